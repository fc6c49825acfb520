//! JWK Set and JWK parsing: `JwkSet` (serde), `KeySet::from_jwks_json`,
//! `VerifyingKey::from_jwk_json` / `from_jwk`, and `Verifier::builder().jwks_json(..)`.
//!
//! Input: the first byte chooses the mode. Even: the rest is the document text (lossy UTF-8),
//! which is how the committed seeds are written. Odd: the rest drives a structured document
//! whose keys are the fixture keys' published JWKs with members changed, or keys assembled
//! member by member from real or broken key material, so the fuzzer gets past the JSON gate
//! into key construction.
//!
//! Invariants, besides "never panics":
//! - `JwkSet` round-trips through `to_json`;
//! - `from_jwk(&value)` and `from_jwk_json(&value.to_string())` agree (and the text form
//!   accepts nothing the value form refuses: it only adds the refusal of repeated members);
//! - `from_jwk` accepts a JWK exactly when the independent key-rule check
//!   (`auth_fuzz::jwk_model`) finds it acceptable, with the same algorithm and `kid`; so does
//!   `KeySet::from_jwks_json` for each JWK of a set (an error exactly for repeated `kid`s or
//!   several keys without one among the acceptable keys; a document that is not a JSON object
//!   refused), and `Verifier::builder().jwks_json` builds exactly when some key is acceptable;
//! - `from_secret_jwk_json` yields only `oct` keys;
//! - a verifier built from the document accepts a fixture token only if the document holds
//!   that fixture key's material (RSA `n`/`e` up to leading zeros, EC `x`/`y`, OKP `x`; never
//!   an HMAC secret: a public set yields no `oct` key), and what it accepts passes the claim
//!   checks.

#![no_main]

use std::sync::LazyLock;

use arbitrary::{Arbitrary, Unstructured};
use auth_fuzz::json::{Json, write_object};
use auth_fuzz::jwk_model::{Verdict, verdict};
use auth_fuzz::oracle::check_accepted;
use auth_fuzz::{AUDIENCE, Family, HS256_SECRET, ISSUER, NOW, b64, fixture};
use auth_runtime::{Algorithm, FixedClock, JwkSet, KeySet, Verifier, VerifyingKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        // Bits 1 and 2: RSA keys without `alg` are RS256; mixed key families allowed.
        let rsa_default = (mode & 2 != 0).then_some(Algorithm::RS256);
        check(&String::from_utf8_lossy(rest), rsa_default, mode & 4 != 0);
    } else if let Ok(doc) = Doc::arbitrary_take_rest(Unstructured::new(rest)) {
        let text = doc.text();
        if auth_fuzz::debug() {
            eprintln!("{doc:#?}\n{text}");
        }
        check(&text, doc.rsa_default.map(Family::alg), doc.mixed);
    }
});

fn check(text: &str, rsa_default: Option<Algorithm>, mixed: bool) {
    if let Ok(set) = serde_json::from_str::<JwkSet>(text) {
        let again: JwkSet = serde_json::from_str(&set.to_json())
            .unwrap_or_else(|e| panic!("JwkSet::to_json is not a JwkSet: {e}"));
        assert_eq!(again, set, "JwkSet round trip");
    }
    let value: Option<Value> = serde_json::from_str(text).ok();
    for default in [None, rsa_default] {
        check_set(text, value.as_ref(), default);
    }
    if let Ok(key) = VerifyingKey::from_secret_jwk_json(text) {
        assert!(
            value
                .as_ref()
                .is_some_and(|v| v.get("kty") == Some(&Value::from("oct"))),
            "from_secret_jwk_json accepted a key that is not oct: {text}"
        );
        assert!(
            key.is_hmac(),
            "a secret JWK gave a key of {:?}",
            key.algorithm()
        );
    }

    // One JWK, as text and as a value.
    let single = VerifyingKey::from_jwk_json(text);
    if let Some(value) = &value {
        check_key(value, None, &VerifyingKey::from_jwk(value), text);
        // A `Value` keeps the last of repeated members where the text parser refuses them:
        // compare on the value's own text, and only "text accepted => value accepted" here.
        let from_value = VerifyingKey::from_jwk(value);
        assert_eq!(
            from_value.is_ok(),
            VerifyingKey::from_jwk_json(&value.to_string()).is_ok(),
            "from_jwk and from_jwk_json disagree"
        );
        assert!(
            single.is_err() || from_value.is_ok(),
            "from_jwk_json accepted what from_jwk refuses"
        );
        if let Some(keys) = value.get("keys").and_then(Value::as_array) {
            for jwk in keys {
                let from_value = VerifyingKey::from_jwk(jwk);
                check_key(jwk, None, &from_value, text);
                let from_text = VerifyingKey::from_jwk_json(&jwk.to_string());
                assert_eq!(from_value.is_ok(), from_text.is_ok());
                if let (Ok(a), Ok(b)) = (from_value, from_text) {
                    assert_eq!((a.kid(), a.algorithm()), (b.kid(), b.algorithm()));
                }
            }
        }
    }

    // A verifier that trusts the document's keys.
    let builder = Verifier::builder();
    let builder = match rsa_default {
        Some(alg) => builder.jwks_json_with_rsa_default(text, alg),
        None => builder.jwks_json(text),
    };
    let builder = if mixed {
        builder.allow_mixed_key_families()
    } else {
        builder
    };
    let built = builder
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .clock(FixedClock(NOW))
        .build();
    if let Some(Ok(accepted)) = value.as_ref().and_then(|v| model_set(v, rsa_default)) {
        assert_eq!(
            built.is_ok(),
            !accepted.is_empty(),
            "jwks_json built {:?} where the model accepts {accepted:?}: {text}",
            built.as_ref().err()
        );
    }
    let Ok(verifier) = built else {
        return;
    };
    let fx = fixture();
    for family in Family::ALL {
        let token = &fx.tokens[family.index()];
        let Ok(claims) = verifier.verify(token) else {
            continue;
        };
        assert!(
            value.as_ref().is_some_and(|doc| holds(doc, family)),
            "a verifier built from a JWK Set without the {family:?} key accepted its token: {text}"
        );
        let payload = token
            .split('.')
            .nth(1)
            .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
            .unwrap_or_default();
        check_accepted(&claims, &payload, ISSUER, "JWKS verifier");
    }
}

/// `from_jwk`'s result on `jwk` against the model's verdict.
fn check_key(
    jwk: &Value,
    default_rsa: Option<Algorithm>,
    got: &Result<VerifyingKey, auth_runtime::KeyError>,
    text: &str,
) {
    match (verdict(jwk, default_rsa), got) {
        (Verdict::Accept(alg, kid), Ok(key)) => assert_eq!(
            (alg, kid.as_deref()),
            (key.algorithm(), key.kid()),
            "the JWK gave another key than the model's: {jwk}"
        ),
        (Verdict::Accept(alg, _), Err(e)) => {
            panic!("an acceptable {alg:?} JWK was refused ({e}): {jwk}\nin {text}")
        }
        (Verdict::Refuse(rule), Ok(key)) => panic!(
            "a JWK breaking a key rule ({rule}) was accepted as {:?}: {jwk}\nin {text}",
            key.algorithm()
        ),
        (Verdict::Refuse(_), Err(_)) => {}
    }
}

/// The keys (algorithm, `kid`) that a JWK Set document must yield: `None` when the model does
/// not decide (a repeated member), `Some(Err(()))` when the document must be refused.
fn model_set(
    doc: &Value,
    default_rsa: Option<Algorithm>,
) -> Option<Result<Vec<(Algorithm, Option<String>)>, ()>> {
    let Some(object) = doc.as_object() else {
        // RFC 7517 section 5: a JWK Set is a JSON object.
        return Some(Err(()));
    };
    let Some(Value::Array(keys)) = object.get("keys") else {
        return Some(Err(()));
    };
    let mut accepted = Vec::new();
    for jwk in keys {
        if let Verdict::Accept(alg, kid) = verdict(jwk, default_rsa) {
            if accepted.iter().any(|(_, k)| *k == kid) {
                // A repeated kid, or a second key without one.
                return Some(Err(()));
            }
            accepted.push((alg, kid));
        }
    }
    Some(Ok(accepted))
}

/// `KeySet::from_jwks_json` against the model, when the document's text has no repeated
/// member (which the value form cannot show).
fn check_set(text: &str, value: Option<&Value>, default_rsa: Option<Algorithm>) {
    let set = KeySet::from_jwks_json(text, default_rsa);
    let repeats = auth_fuzz::model::members(text.as_bytes()).is_none_or(|m| m.has_repeats());
    let Some(value) = value else {
        return;
    };
    if repeats && value.is_object() {
        return;
    }
    let Some(expected) = model_set(value, default_rsa) else {
        return;
    };
    match (expected, &set) {
        (Ok(mut keys), Ok(set)) => {
            let mut got: Vec<(Algorithm, Option<String>)> = set
                .iter()
                .map(|k| (k.algorithm(), k.kid().map(str::to_owned)))
                .collect();
            let order = |a: &(Algorithm, Option<String>), b: &(Algorithm, Option<String>)| {
                (format!("{:?}", a.0), &a.1).cmp(&(format!("{:?}", b.0), &b.1))
            };
            keys.sort_by(order);
            got.sort_by(order);
            assert_eq!(
                got, keys,
                "KeySet and the model disagree on the keys: {text}"
            );
            let total = value["keys"].as_array().map_or(0, Vec::len);
            assert_eq!(
                set.refused().len(),
                total - keys.len(),
                "KeySet::refused does not list every refused JWK: {text}"
            );
        }
        (Err(()), Err(_)) => {}
        (expected, got) => {
            panic!("KeySet gave {got:?}, the model {expected:?}: {text}")
        }
    }
}

/// The published material of each fixture key.
struct Material {
    rs_n: Vec<u8>,
    rs_e: Vec<u8>,
    es_x: Vec<u8>,
    es_y: Vec<u8>,
    ed_x: Vec<u8>,
}

static MATERIAL: LazyLock<Material> = LazyLock::new(|| {
    let fx = fixture();
    let member = |family: Family, name: &str| -> Vec<u8> {
        fx.public_jwk(family)
            .and_then(|jwk| URL_SAFE_NO_PAD.decode(jwk.get(name)?.as_str()?).ok())
            .unwrap_or_else(|| panic!("fixture JWK {family:?} lacks {name}"))
    };
    Material {
        rs_n: member(Family::Rs, "n"),
        rs_e: member(Family::Rs, "e"),
        es_x: member(Family::Es, "x"),
        es_y: member(Family::Es, "y"),
        ed_x: member(Family::Ed, "x"),
    }
});

/// Whether the JWK Set `doc` holds the key material of `family`'s fixture key.
fn holds(doc: &Value, family: Family) -> bool {
    let m = &*MATERIAL;
    let Some(keys) = doc.get("keys").and_then(Value::as_array) else {
        return false;
    };
    let strip = |b: &[u8]| b[b.iter().take_while(|x| **x == 0).count()..].to_vec();
    keys.iter().any(|jwk| {
        let kty = jwk.get("kty").and_then(Value::as_str);
        let get = |name: &str| {
            jwk.get(name)
                .and_then(Value::as_str)
                .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
        };
        match family {
            // A public set never yields a secret.
            Family::Hs => false,
            Family::Rs => {
                kty == Some("RSA")
                    && get("n").map(|n| strip(&n)) == Some(strip(&m.rs_n))
                    && get("e").map(|e| strip(&e)) == Some(strip(&m.rs_e))
            }
            Family::Es => {
                kty == Some("EC")
                    && get("x").as_ref() == Some(&m.es_x)
                    && get("y").as_ref() == Some(&m.es_y)
            }
            Family::Ed => kty == Some("OKP") && get("x").as_ref() == Some(&m.ed_x),
        }
    })
}

/// A structured document. Enums list the valid choice first.
#[derive(Arbitrary, Debug)]
struct Doc {
    rsa_default: Option<Family>,
    mixed: bool,
    body: Body,
}

#[derive(Arbitrary, Debug)]
enum Body {
    Keys(Vec<Entry>),
    Other(Vec<(String, Json)>),
}

#[derive(Arbitrary, Debug)]
enum Entry {
    /// A fixture key's JWK (HMAC as `oct`), with members replaced (`Some`) or removed (`None`).
    Real(Family, Vec<(Member, Option<MemberValue>)>),
    /// A JWK assembled member by member.
    Built(Vec<(Member, MemberValue)>),
    Any(Json),
}

#[derive(Arbitrary, Debug, Clone)]
enum Member {
    Kty,
    Alg,
    Use,
    KeyOps,
    Kid,
    Crv,
    X,
    Y,
    N,
    E,
    K,
    D,
    P,
    Q,
    Dp,
    Dq,
    Qi,
    Oth,
    Text(String),
}

impl Member {
    fn name(&self) -> &str {
        match self {
            Member::Kty => "kty",
            Member::Alg => "alg",
            Member::Use => "use",
            Member::KeyOps => "key_ops",
            Member::Kid => "kid",
            Member::Crv => "crv",
            Member::X => "x",
            Member::Y => "y",
            Member::N => "n",
            Member::E => "e",
            Member::K => "k",
            Member::D => "d",
            Member::P => "p",
            Member::Q => "q",
            Member::Dp => "dp",
            Member::Dq => "dq",
            Member::Qi => "qi",
            Member::Oth => "oth",
            Member::Text(text) => text,
        }
    }
}

/// A member value: a meaningful word, real key material (possibly damaged), or anything.
#[derive(Arbitrary, Debug, Clone)]
enum MemberValue {
    Word(Word),
    Real(Component),
    Padded(Component, u8),
    Flipped(Component, u16, u8),
    Truncated(Component, u16),
    Bytes(Vec<u8>),
    Ops(Vec<Word>),
    /// An Ed25519 `x` that breaks a rule (or the fixture's).
    Ed(EdPoint),
    /// An RSA modulus of `1948 + bits % 6400` bits (the fixture's bytes repeated),
    /// odd or even.
    Modulus {
        bits: u16,
        odd: bool,
    },
    /// An RSA exponent.
    Exponent(u64),
    /// An EC coordinate `p + small` (not a field element) or the fixture's, off by one.
    Coordinate(Curve, CoordinateKind),
    Any(Json),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum EdPoint {
    /// `y = 1`: the identity (order 1).
    Identity,
    /// `y = 1` with the sign bit: the identity, non-canonically.
    IdentityNegative,
    /// `y = -1`: order 2.
    Order2,
    /// `y = 0`: order 4.
    Order4,
    /// A point of order 8.
    Order8,
    /// `y = p`: not below p (the identity's `y = 1` is `p + 1`).
    YIsP,
    YIsPPlusOne,
    /// All ones: `y = 2^255 - 1 >= p`.
    AllOnes,
    /// The fixture key's.
    Fixture,
}

impl EdPoint {
    fn bytes(self) -> Vec<u8> {
        let mut b = [0u8; 32];
        match self {
            EdPoint::Identity => b[0] = 1,
            EdPoint::IdentityNegative => {
                b[0] = 1;
                b[31] = 0x80;
            }
            EdPoint::Order2 => {
                b = [0xff; 32];
                b[0] = 0xec;
                b[31] = 0x7f;
            }
            EdPoint::Order4 => {}
            EdPoint::Order8 => {
                let hex = "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05";
                for (i, byte) in b.iter_mut().enumerate() {
                    *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0);
                }
            }
            EdPoint::YIsP | EdPoint::YIsPPlusOne => {
                b = [0xff; 32];
                b[0] = if matches!(self, EdPoint::YIsP) {
                    0xed
                } else {
                    0xee
                };
                b[31] = 0x7f;
            }
            EdPoint::AllOnes => b = [0xff; 32],
            EdPoint::Fixture => return MATERIAL.ed_x.clone(),
        }
        b.to_vec()
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Curve {
    P256,
    P384,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum CoordinateKind {
    /// The field prime plus `n` (wrapping within the size): not a field element.
    PrimePlus(u8),
    /// The fixture's `y` plus one: off the curve.
    FixtureYPlusOne,
    /// All zeros.
    Zero,
}

impl Curve {
    fn prime(self) -> Vec<u8> {
        let hex = match self {
            Curve::P256 => "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
            Curve::P384 => {
                "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff"
            }
        };
        (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0))
            .collect()
    }

    fn size(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
        }
    }
}

/// Big-endian `bytes + n`, wrapping.
fn add_small(mut bytes: Vec<u8>, n: u8) -> Vec<u8> {
    let mut carry = u16::from(n);
    for byte in bytes.iter_mut().rev() {
        let sum = u16::from(*byte) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }
    bytes
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Word {
    Rsa,
    Ec,
    Okp,
    Oct,
    Rs256,
    Rs384,
    Ps256,
    Es256,
    Es384,
    EdDsa,
    Hs256,
    Hs512,
    None,
    Sig,
    Enc,
    Verify,
    Sign,
    P256,
    P384,
    P521,
    Ed25519,
    X25519,
    Secp256k1,
    KidHs,
    KidRs,
    KidEs,
    KidEd,
}

impl Word {
    fn text(self) -> &'static str {
        match self {
            Word::Rsa => "RSA",
            Word::Ec => "EC",
            Word::Okp => "OKP",
            Word::Oct => "oct",
            Word::Rs256 => "RS256",
            Word::Rs384 => "RS384",
            Word::Ps256 => "PS256",
            Word::Es256 => "ES256",
            Word::Es384 => "ES384",
            Word::EdDsa => "EdDSA",
            Word::Hs256 => "HS256",
            Word::Hs512 => "HS512",
            Word::None => "none",
            Word::Sig => "sig",
            Word::Enc => "enc",
            Word::Verify => "verify",
            Word::Sign => "sign",
            Word::P256 => "P-256",
            Word::P384 => "P-384",
            Word::P521 => "P-521",
            Word::Ed25519 => "Ed25519",
            Word::X25519 => "X25519",
            Word::Secp256k1 => "secp256k1",
            Word::KidHs => Family::Hs.kid(),
            Word::KidRs => Family::Rs.kid(),
            Word::KidEs => Family::Es.kid(),
            Word::KidEd => Family::Ed.kid(),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Component {
    RsN,
    RsE,
    EsX,
    EsY,
    EdX,
    HsK,
}

impl Component {
    fn bytes(self) -> Vec<u8> {
        let m = &*MATERIAL;
        match self {
            Component::RsN => m.rs_n.clone(),
            Component::RsE => m.rs_e.clone(),
            Component::EsX => m.es_x.clone(),
            Component::EsY => m.es_y.clone(),
            Component::EdX => m.ed_x.clone(),
            Component::HsK => HS256_SECRET.to_vec(),
        }
    }
}

impl MemberValue {
    fn json(&self) -> Json {
        let text = |s: String| Json::Str(s);
        match self {
            MemberValue::Word(w) => text(w.text().into()),
            MemberValue::Real(c) => text(b64(&c.bytes())),
            MemberValue::Padded(c, zeros) => {
                let mut bytes = vec![0; usize::from(*zeros % 8)];
                bytes.extend(c.bytes());
                text(b64(&bytes))
            }
            MemberValue::Flipped(c, at, xor) => {
                let mut bytes = c.bytes();
                let at = usize::from(*at) % bytes.len().max(1);
                if let Some(b) = bytes.get_mut(at) {
                    *b ^= (*xor).max(1);
                }
                text(b64(&bytes))
            }
            MemberValue::Truncated(c, len) => {
                let mut bytes = c.bytes();
                bytes.truncate(usize::from(*len) % (bytes.len() + 1));
                text(b64(&bytes))
            }
            MemberValue::Bytes(bytes) => text(b64(bytes)),
            MemberValue::Ops(words) => {
                Json::Array(words.iter().map(|w| text(w.text().into())).collect())
            }
            MemberValue::Ed(point) => text(b64(&point.bytes())),
            MemberValue::Modulus { bits, odd } => {
                let bits = 1948 + usize::from(*bits) % 6400;
                let len = bits.div_ceil(8);
                let fixture = &MATERIAL.rs_n;
                let mut n: Vec<u8> = fixture.iter().cycle().take(len).copied().collect();
                let top_bits = bits - (len - 1) * 8;
                n[0] = (n[0] | 0x80) >> (8 - top_bits);
                if let Some(low) = n.last_mut() {
                    *low = if *odd { *low | 1 } else { *low & !1 };
                }
                text(b64(&n))
            }
            MemberValue::Exponent(e) => {
                let bytes = e.to_be_bytes();
                let start = bytes.iter().take_while(|b| **b == 0).count().min(7);
                text(b64(&bytes[start..]))
            }
            MemberValue::Coordinate(curve, kind) => {
                let bytes = match kind {
                    CoordinateKind::PrimePlus(n) => add_small(curve.prime(), *n),
                    CoordinateKind::FixtureYPlusOne => match curve {
                        Curve::P256 => add_small(MATERIAL.es_y.clone(), 1),
                        Curve::P384 => add_small(curve.prime(), 0),
                    },
                    CoordinateKind::Zero => vec![0; curve.size()],
                };
                text(b64(&bytes))
            }
            MemberValue::Any(json) => json.clone(),
        }
    }
}

/// The published JWK of a fixture key as members (HMAC: an `oct` JWK of the secret).
fn real_members(family: Family) -> Vec<(String, Json)> {
    let jwk = match family {
        Family::Hs => serde_json::json!({
            "kty": "oct", "alg": "HS256", "kid": family.kid(), "k": b64(HS256_SECRET)
        }),
        _ => fixture().public_jwk(family).unwrap_or_default(),
    };
    let Value::Object(map) = jwk else {
        return Vec::new();
    };
    map.into_iter()
        .map(|(k, v)| (k, Json::Str(v.as_str().unwrap_or_default().to_owned())))
        .collect()
}

impl Doc {
    fn text(&self) -> String {
        let mut out = String::new();
        match &self.body {
            Body::Keys(entries) => {
                out.push_str("{\"keys\":[");
                for (i, entry) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    entry.write(&mut out);
                }
                out.push_str("]}");
            }
            Body::Other(members) => write_object(&mut out, members.iter().map(|(k, v)| (k, v))),
        }
        out
    }
}

impl Entry {
    fn write(&self, out: &mut String) {
        match self {
            Entry::Real(family, changes) => {
                let mut members = real_members(*family);
                for (member, change) in changes {
                    let name = member.name();
                    members.retain(|(k, _)| k != name);
                    if let Some(value) = change {
                        members.push((name.to_owned(), value.json()));
                    }
                }
                write_object(out, members.iter().map(|(k, v)| (k, v)));
            }
            Entry::Built(members) => {
                let members: Vec<(&str, Json)> =
                    members.iter().map(|(m, v)| (m.name(), v.json())).collect();
                write_object(out, members.iter().map(|(k, v)| (k, v)));
            }
            Entry::Any(json) => json.write(out),
        }
    }
}
