//! Token verification: `Verifier::verify`, `verify_as`, `verify_shared`, `verify_signature`,
//! and `bearer_token` then `verify`, of verifiers with keys of four families.
//!
//! Input: the first byte chooses the mode. Even: the rest is token text (lossy UTF-8), which
//! is how the committed seeds (valid tokens of each family) are written. Odd: the rest drives
//! a structured token (header and payload members, a valid or broken signature by a fixture
//! key), so the fuzzer reaches the claims checks behind the signature.
//!
//! Invariants, besides "never panics":
//! - a verifier accepts a token only if the independent check finds a valid signature of that
//!   verifier's key (for the two-issuer verifier: of the key of the issuer named in `iss`),
//!   with the key's algorithm in the header;
//! - accepted claims are not expired, not from the future, for the right issuer and audience,
//!   and equal to the payload read independently;
//! - the cached and uncached verifiers agree exactly; `verify_as::<Value>`,
//!   `verify_shared`, `verify_signature` and `bearer_token` then `verify` agree with `verify`.

#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use auth_fuzz::json::{Json, write_object};
use auth_fuzz::model::{self, Config, Keys};
use auth_fuzz::oracle::{Signed, check_accepted, signed_by};
use auth_fuzz::{AUDIENCE, Family, Fixture, ISSUER, NOW, OTHER_ISSUER, b64, fixture};
use auth_runtime::{Verifier, bearer_token};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let fx = fixture();
    if mode & 1 == 0 {
        check(fx, &String::from_utf8_lossy(rest));
    } else if let Ok(parts) = Parts::arbitrary_take_rest(Unstructured::new(rest)) {
        let token = parts.token(fx);
        if auth_fuzz::debug() {
            eprintln!("{parts:#?}\n{token}");
        }
        check(fx, &token);
    }
});

fn check(fx: &Fixture, token: &str) {
    let signed = signed_by(&fx.independent, token);
    let hs_claims = fx.cached[0].verify(token);
    for family in Family::ALL {
        check_single(fx, family, token, signed.as_ref());
    }
    check_trusting(&fx.trusting, token, signed.as_ref());
    let mixed = fx.mixed.verify(token);
    let config = Config {
        keys: Keys::AllByKid,
        issuer: ISSUER,
        at_jwt: false,
    };
    model::expect(config, token, signed.as_ref()).check(&mixed, "mixed verifier", token);
    if let Ok(claims) = mixed {
        let signed = signed.as_ref().unwrap_or_else(|| {
            panic!("the mixed verifier accepted a token without a fixture signature: {token:?}")
        });
        check_accepted(&claims, &signed.payload, ISSUER, "mixed");
    }
    // The same token from an Authorization header.
    if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, value);
        let from_headers = bearer_token(&headers).and_then(|t| fx.cached[0].verify(t));
        match bearer_token(&headers) {
            Ok(t) if t == token => assert_eq!(from_headers, hs_claims, "from the header"),
            Ok(t) => assert_eq!(from_headers, fx.cached[0].verify(t), "from the header"),
            Err(e) => assert_eq!(from_headers, Err(e), "from the header"),
        }
    }
}

fn check_single(fx: &Fixture, family: Family, token: &str, signed: Option<&Signed>) {
    let i = family.index();
    let what = format!("{family:?} verifier");
    let cached = fx.cached[i].verify(token);
    let uncached = fx.uncached[i].verify(token);
    assert_eq!(cached, uncached, "{what}: cached and uncached disagree");
    let config = Config {
        keys: Keys::One(family),
        issuer: ISSUER,
        at_jwt: false,
    };
    model::expect(config, token, signed).check(&cached, &what, token);
    let Ok(claims) = &cached else {
        assert!(
            fx.uncached[i].verify_as::<Value>(token).is_err(),
            "{what}: verify_as accepted what verify refused"
        );
        assert!(fx.cached[i].verify_shared(token).is_err());
        return;
    };
    let signed = signed.unwrap_or_else(|| {
        panic!("{what} accepted a token without a valid fixture signature: {token:?}")
    });
    assert_eq!(
        signed.family, family,
        "{what} accepted a token signed by another key: {token:?}"
    );
    check_accepted(claims, &signed.payload, ISSUER, &what);

    let payload: Value = serde_json::from_slice(&signed.payload).unwrap_or(Value::Null);
    for verifier in [&fx.cached[i], &fx.uncached[i]] {
        assert_eq!(
            verifier.verify_as::<Value>(token).as_ref(),
            Ok(&payload),
            "{what}: verify_as"
        );
        let shared = verifier
            .verify_shared(token)
            .unwrap_or_else(|e| panic!("{what}: verify_shared refused ({e})"));
        assert_eq!(shared.claims(), claims, "{what}: verify_shared claims");
        assert_eq!(
            shared.payload(),
            signed.payload,
            "{what}: verify_shared payload"
        );
        let jws = verifier
            .verify_signature(token)
            .unwrap_or_else(|e| panic!("{what}: verify_signature refused ({e})"));
        assert_eq!(jws.header.alg, family.alg(), "{what}: header alg");
        assert_eq!(
            jws.header.kid.as_deref(),
            signed.header.kid.as_ref().and_then(Value::as_str),
            "{what}: header kid"
        );
        assert_eq!(jws.payload, signed.payload, "{what}: signature payload");
    }
}

fn check_trusting(verifier: &Verifier, token: &str, signed: Option<&Signed>) {
    if let Ok(jws) = verifier.verify_signature(token) {
        let signed = signed.unwrap_or_else(|| {
            panic!("the two-issuer verifier accepted a signature not by a fixture key: {token:?}")
        });
        assert!(
            matches!(signed.family, Family::Es | Family::Ed),
            "the two-issuer verifier accepted a {:?} signature",
            signed.family
        );
        assert_eq!(jws.header.alg, signed.family.alg());
    }
    let verdict = verifier.verify(token);
    model::expect_trusting(token, signed).check(&verdict, "two-issuer verifier", token);
    let Ok(claims) = verdict else {
        return;
    };
    let signed = signed.unwrap_or_else(|| {
        panic!("the two-issuer verifier accepted a token without a fixture signature: {token:?}")
    });
    let issuer = match signed.family {
        Family::Es => ISSUER,
        Family::Ed => OTHER_ISSUER,
        other => panic!("the two-issuer verifier accepted a {other:?} token: {token:?}"),
    };
    check_accepted(&claims, &signed.payload, issuer, "two-issuer verifier");
    let typ = signed.header.typ.as_ref().and_then(Value::as_str);
    assert!(
        typ.is_some_and(|t| {
            let t = t.to_ascii_lowercase();
            t == "at+jwt" || t == "application/at+jwt"
        }),
        "the two-issuer verifier accepted typ {typ:?}"
    );
}

/// A token assembled member by member. Every enum's first variant is the valid choice, so
/// an input of zeros is a valid HS256 token.
#[derive(Arbitrary, Debug)]
struct Parts {
    signer: Family,
    header: Header,
    payload: Payload,
    signature: Sig,
    tail: Tail,
}

#[derive(Arbitrary, Debug)]
enum Header {
    Members {
        alg: Alg,
        kid: Kid,
        typ: Typ,
        /// A header extension that a verifier must refuse, or none.
        ext: Ext,
        /// Added after the others; may repeat one of them.
        extra: Vec<(HeaderName, Json)>,
    },
    Raw(Vec<u8>),
}

/// `crit` (RFC 7515 4.1.11), `b64` (RFC 7797) and `enc` (JWE): only `b64: true` is harmless.
#[derive(Arbitrary, Debug)]
enum Ext {
    None,
    CritB64,
    CritEmpty,
    CritNull,
    B64True,
    B64False,
    B64Null,
    B64Text,
    Enc,
    EncNull,
}

impl Ext {
    fn member(&self) -> Option<(&'static str, Json)> {
        let text = |s: &str| Json::Str(s.to_owned());
        Some(match self {
            Ext::None => return None,
            Ext::CritB64 => ("crit", Json::Array(vec![text("b64")])),
            Ext::CritEmpty => ("crit", Json::Array(Vec::new())),
            Ext::CritNull => ("crit", Json::Null),
            Ext::B64True => ("b64", Json::Bool(true)),
            Ext::B64False => ("b64", Json::Bool(false)),
            Ext::B64Null => ("b64", Json::Null),
            Ext::B64Text => ("b64", text("true")),
            Ext::Enc => ("enc", text("A256GCM")),
            Ext::EncNull => ("enc", Json::Null),
        })
    }
}

#[derive(Arbitrary, Debug)]
enum Alg {
    Signer,
    Of(Family),
    Named(AlgName),
    Text(String),
    Absent,
    Value(Json),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum AlgName {
    Hs384,
    Hs512,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
    Es384,
    None,
    NoneUpper,
    NoneMixed,
    LowerHs256,
    Empty,
}

impl AlgName {
    fn text(self) -> &'static str {
        match self {
            AlgName::Hs384 => "HS384",
            AlgName::Hs512 => "HS512",
            AlgName::Rs384 => "RS384",
            AlgName::Rs512 => "RS512",
            AlgName::Ps256 => "PS256",
            AlgName::Ps384 => "PS384",
            AlgName::Ps512 => "PS512",
            AlgName::Es384 => "ES384",
            AlgName::None => "none",
            AlgName::NoneUpper => "NONE",
            AlgName::NoneMixed => "nOnE",
            AlgName::LowerHs256 => "hs256",
            AlgName::Empty => "",
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Kid {
    Signer,
    Of(Family),
    Absent,
    Text(String),
    Value(Json),
}

#[derive(Arbitrary, Debug)]
enum Typ {
    AtJwt,
    Absent,
    ApplicationAtJwt,
    Jwt,
    Text(String),
    Value(Json),
}

#[derive(Arbitrary, Debug)]
enum HeaderName {
    Crit,
    Enc,
    B64,
    Jwk,
    Jku,
    X5u,
    X5c,
    Cty,
    Zip,
    Alg,
    Kid,
    Typ,
    Text(String),
}

impl HeaderName {
    fn text(&self) -> &str {
        match self {
            HeaderName::Crit => "crit",
            HeaderName::Enc => "enc",
            HeaderName::B64 => "b64",
            HeaderName::Jwk => "jwk",
            HeaderName::Jku => "jku",
            HeaderName::X5u => "x5u",
            HeaderName::X5c => "x5c",
            HeaderName::Cty => "cty",
            HeaderName::Zip => "zip",
            HeaderName::Alg => "alg",
            HeaderName::Kid => "kid",
            HeaderName::Typ => "typ",
            HeaderName::Text(text) => text,
        }
    }
}

// Fuzzer input, built once per run: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Arbitrary, Debug)]
enum Payload {
    Claims {
        iss: Str,
        sub: Str,
        aud: Aud,
        exp: Time,
        nbf: Time,
        iat: Time,
        jti: Str,
        /// Added after the registered claims; may repeat one of them.
        extra: Vec<(ClaimName, Json)>,
    },
    Raw(Vec<u8>),
}

/// A string claim: the fixture's value (`iss`: the issuer), another issuer, absent, any JSON.
#[derive(Arbitrary, Debug)]
enum Str {
    Right,
    OtherIssuer,
    Absent,
    Text(String),
    Value(Json),
}

#[derive(Arbitrary, Debug)]
enum Aud {
    Right,
    List(Vec<Option<String>>),
    Absent,
    Value(Json),
}

/// A `NumericDate`: a sensible default (exp: in 15 minutes; nbf, iat: 10 s ago), a time
/// relative to now (seconds), a fractional one, absent, or any JSON.
#[derive(Arbitrary, Debug)]
enum Time {
    Default,
    Offset(i32),
    Fraction(i32, u16),
    Absent,
    Value(Json),
}

#[derive(Arbitrary, Debug)]
enum ClaimName {
    Roles,
    Scope,
    Scp,
    Iss,
    Sub,
    Aud,
    Exp,
    Nbf,
    Iat,
    Jti,
    Text(String),
}

impl ClaimName {
    fn text(&self) -> &str {
        match self {
            ClaimName::Roles => "roles",
            ClaimName::Scope => "scope",
            ClaimName::Scp => "scp",
            ClaimName::Iss => "iss",
            ClaimName::Sub => "sub",
            ClaimName::Aud => "aud",
            ClaimName::Exp => "exp",
            ClaimName::Nbf => "nbf",
            ClaimName::Iat => "iat",
            ClaimName::Jti => "jti",
            ClaimName::Text(text) => text,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Sig {
    Valid,
    /// A valid signature with one byte changed.
    Flipped {
        at: u16,
        xor: u8,
    },
    Truncated(u16),
    Extended(Vec<u8>),
    /// A valid signature by another fixture key.
    By(Family),
    Empty,
    Bytes(Vec<u8>),
    /// Any text as the third part (not necessarily base64url).
    Text(String),
}

/// Damage done to the finished token text.
#[derive(Arbitrary, Debug)]
enum Tail {
    None,
    Append(String),
    Prepend(String),
    Insert { at: u16, text: String },
    Pad { part: u8 },
}

impl Parts {
    fn token(&self, fx: &Fixture) -> String {
        let header = self.header.bytes(self.signer);
        let payload = self.payload.bytes();
        let input = auth_fuzz::signing_input(&header, &payload);
        // RSA signing costs milliseconds, instrumented: an RS256 "valid" signature is the
        // fixture token's, valid but over another message (a transplanted signature). The
        // seeds carry real RS256 tokens; the claims checks behind the signature are the
        // same for every family.
        let sign = |family: Family| match family {
            Family::Rs => rs256_signature(fx),
            _ => fx.independent.sign(family, input.as_bytes()),
        };
        let signature = match &self.signature {
            Sig::Valid => b64(&sign(self.signer)),
            Sig::Flipped { at, xor } => {
                let mut sig = sign(self.signer);
                let at = usize::from(*at) % sig.len().max(1);
                if let Some(byte) = sig.get_mut(at) {
                    *byte ^= (*xor).max(1);
                }
                b64(&sig)
            }
            Sig::Truncated(len) => {
                let mut sig = sign(self.signer);
                sig.truncate(usize::from(*len) % sig.len().max(1));
                b64(&sig)
            }
            Sig::Extended(more) => {
                let mut sig = sign(self.signer);
                sig.extend_from_slice(more);
                b64(&sig)
            }
            Sig::By(family) => b64(&sign(*family)),
            Sig::Empty => String::new(),
            Sig::Bytes(bytes) => b64(bytes),
            Sig::Text(text) => text.clone(),
        };
        let mut token = format!("{input}.{signature}");
        match &self.tail {
            Tail::None => {}
            Tail::Append(text) => token.push_str(text),
            Tail::Prepend(text) => token.insert_str(0, text),
            Tail::Insert { at, text } => {
                let mut at = usize::from(*at) % (token.len() + 1);
                while !token.is_char_boundary(at) {
                    at -= 1;
                }
                token.insert_str(at, text);
            }
            Tail::Pad { part } => {
                let dots: Vec<usize> = token.match_indices('.').map(|(i, _)| i).collect();
                let at = match usize::from(*part) % 3 {
                    0 => dots.first().copied(),
                    1 => dots.get(1).copied(),
                    _ => None,
                };
                token.insert(at.unwrap_or(token.len()), '=');
            }
        }
        token
    }
}

fn rs256_signature(fx: &Fixture) -> Vec<u8> {
    let token = &fx.tokens[Family::Rs.index()];
    let signature = token.rsplit('.').next().unwrap_or_default();
    URL_SAFE_NO_PAD.decode(signature).unwrap_or_default()
}

impl Header {
    fn bytes(&self, signer: Family) -> Vec<u8> {
        let (alg, kid, typ, ext, extra) = match self {
            Header::Members {
                alg,
                kid,
                typ,
                ext,
                extra,
            } => (alg, kid, typ, ext, extra),
            Header::Raw(bytes) => return bytes.clone(),
        };
        let mut members: Vec<(&str, Json)> = Vec::new();
        let text = |s: &str| Json::Str(s.to_owned());
        match alg {
            Alg::Signer => members.push(("alg", text(signer.alg_name()))),
            Alg::Of(family) => members.push(("alg", text(family.alg_name()))),
            Alg::Named(name) => members.push(("alg", text(name.text()))),
            Alg::Text(s) => members.push(("alg", text(s))),
            Alg::Absent => {}
            Alg::Value(v) => members.push(("alg", v.clone())),
        }
        match kid {
            Kid::Signer => members.push(("kid", text(signer.kid()))),
            Kid::Of(family) => members.push(("kid", text(family.kid()))),
            Kid::Absent => {}
            Kid::Text(s) => members.push(("kid", text(s))),
            Kid::Value(v) => members.push(("kid", v.clone())),
        }
        match typ {
            Typ::AtJwt => members.push(("typ", text("at+jwt"))),
            Typ::Absent => {}
            Typ::ApplicationAtJwt => members.push(("typ", text("application/AT+JWT"))),
            Typ::Jwt => members.push(("typ", text("JWT"))),
            Typ::Text(s) => members.push(("typ", text(s))),
            Typ::Value(v) => members.push(("typ", v.clone())),
        }
        members.extend(ext.member());
        for (name, value) in extra {
            members.push((name.text(), value.clone()));
        }
        let mut out = String::new();
        write_object(&mut out, members.iter().map(|(k, v)| (k, v)));
        out.into_bytes()
    }
}

impl Payload {
    fn bytes(&self) -> Vec<u8> {
        let (iss, sub, aud, exp, nbf, iat, jti, extra) = match self {
            Payload::Claims {
                iss,
                sub,
                aud,
                exp,
                nbf,
                iat,
                jti,
                extra,
            } => (iss, sub, aud, exp, nbf, iat, jti, extra),
            Payload::Raw(bytes) => return bytes.clone(),
        };
        let mut members: Vec<(&str, Json)> = Vec::new();
        for (name, value, right) in [
            ("iss", iss, ISSUER),
            ("sub", sub, "fuzz"),
            ("jti", jti, "fixed"),
        ] {
            match value {
                Str::Right => members.push((name, Json::Str(right.into()))),
                Str::OtherIssuer => members.push((name, Json::Str(OTHER_ISSUER.into()))),
                Str::Absent => {}
                Str::Text(s) => members.push((name, Json::Str(s.clone()))),
                Str::Value(v) => members.push((name, v.clone())),
            }
        }
        match aud {
            Aud::Right => members.push(("aud", Json::Str(AUDIENCE.into()))),
            Aud::List(items) => members.push((
                "aud",
                Json::Array(
                    items
                        .iter()
                        .map(|a| Json::Str(a.clone().unwrap_or_else(|| AUDIENCE.into())))
                        .collect(),
                ),
            )),
            Aud::Absent => {}
            Aud::Value(v) => members.push(("aud", v.clone())),
        }
        for (name, value, default) in [("exp", exp, 900), ("nbf", nbf, -10), ("iat", iat, -10)] {
            let at = |offset: i32| i64::try_from(NOW).unwrap_or(i64::MAX) + i64::from(offset);
            match value {
                Time::Default => members.push((name, Json::Int(at(default)))),
                Time::Offset(offset) => members.push((name, Json::Int(at(*offset)))),
                Time::Fraction(offset, fraction) => members.push((
                    name,
                    Json::Float(at(*offset) as f64 + f64::from(*fraction) / 65536.0),
                )),
                Time::Absent => {}
                Time::Value(v) => members.push((name, v.clone())),
            }
        }
        for (name, value) in extra {
            members.push((name.text(), value.clone()));
        }
        let mut out = String::new();
        write_object(&mut out, members.iter().map(|(k, v)| (k, v)));
        out.into_bytes()
    }
}
