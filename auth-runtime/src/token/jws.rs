//! The signature layer: a compact JWS (RFC 7515) checked against a key set, before any claim
//! is looked at.
//!
//! Order of checks, cheapest first: length cap, exactly three parts, strict base64url and JSON
//! header, `alg` (never `none`), `crit`, `typ`, key by `kid`, the key's own algorithm, the
//! signature. The payload is decoded only after the signature verified.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::algorithm::Algorithm;
use crate::error::AuthError;
use crate::keys::set::KeySet;
use crate::keys::verifying::VerifyingKey;
use crate::token::known_header;

/// The header parameters of a verified token that a caller may want to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwsHeader {
    /// The algorithm, equal to the verifying key's.
    pub alg: Algorithm,
    /// The key id, if the token named one.
    pub kid: Option<String>,
    /// The `typ` header, if any.
    pub typ: Option<String>,
}

/// A token whose signature verified. The payload is not validated as claims.
#[derive(Debug, Clone)]
pub struct VerifiedJws {
    /// The protected header.
    pub header: JwsHeader,
    /// The decoded payload bytes.
    pub payload: Vec<u8>,
}

/// What the verifier demands of a header besides a key.
#[derive(Debug, Clone)]
pub(crate) struct HeaderPolicy {
    /// Tells policies apart in [`known_header`]: unique per policy made by [`Self::new`].
    pub(crate) id: u64,
    pub(crate) max_len: usize,
    /// Lower-case `typ` without an `application/` prefix.
    pub(crate) typ: Option<String>,
}

impl HeaderPolicy {
    pub(crate) fn new(max_len: usize, typ: Option<String>) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        HeaderPolicy {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            max_len,
            typ,
        }
    }
}

/// The header as parsed: its strings borrowed from the decoded JSON unless they hold escapes.
#[derive(Deserialize)]
struct RawHeader<'a> {
    #[serde(borrow)]
    alg: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    kid: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    typ: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "present")]
    crit: Option<IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    b64: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    enc: Option<IgnoredAny>,
}

/// A member that is present, whatever its value: `Option`'s own deserialization would read
/// `"crit": null` as an absent `crit` and let the token through.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Verifies `token`'s signature with the key its header names; returns its header and payload.
pub(crate) fn verify(
    token: &[u8],
    keys: &KeySet,
    policy: &HeaderPolicy,
) -> Result<VerifiedJws, AuthError> {
    let parts = Parts::of(token, policy)?;
    let (mut buffer, mut spill) = ([0u8; HEADER_BUFFER], Vec::new());
    let raw = parse_header(parts.header_b64, &mut buffer, &mut spill)?;
    let alg = check_header(&raw, policy)?;
    let key = key_for(keys, raw.kid.as_deref(), alg)?;
    let payload = parts.check_signature(key)?;
    let header = JwsHeader {
        alg,
        kid: raw.kid.map(Cow::into_owned),
        typ: raw.typ.map(Cow::into_owned),
    };
    Ok(VerifiedJws { header, payload })
}

/// [`verify`] for a caller that needs only the payload. A header that is byte for byte the one
/// this thread accepted last under the same policy is not decoded again (see [`known_header`]).
pub(crate) fn verify_payload(
    token: &[u8],
    keys: &KeySet,
    policy: &HeaderPolicy,
) -> Result<Vec<u8>, AuthError> {
    let parts = Parts::of(token, policy)?;
    if let Some(key) = known_header::with(policy.id, parts.header_b64, |alg, kid| {
        key_for(keys, kid, alg)
    }) {
        return parts.check_signature(key?);
    }
    let (mut buffer, mut spill) = ([0u8; HEADER_BUFFER], Vec::new());
    let raw = parse_header(parts.header_b64, &mut buffer, &mut spill)?;
    let alg = check_header(&raw, policy)?;
    let payload = parts.check_signature(key_for(keys, raw.kid.as_deref(), alg)?)?;
    known_header::remember(policy.id, parts.header_b64, alg, raw.kid.as_deref());
    Ok(payload)
}

/// The header is short and dropped at the end of the check: decoded on the stack.
const HEADER_BUFFER: usize = 512;

/// The three parts of a compact JWS, within the length cap.
struct Parts<'t> {
    signing_input: &'t [u8],
    header_b64: &'t [u8],
    payload_b64: &'t [u8],
    signature_b64: &'t [u8],
}

impl<'t> Parts<'t> {
    fn of(token: &'t [u8], policy: &HeaderPolicy) -> Result<Self, AuthError> {
        if token.len() > policy.max_len {
            return Err(AuthError::TokenTooLong {
                len: token.len(),
                max: policy.max_len,
            });
        }
        split(token)
    }

    /// The signature checked with `key`; then, and only then, the payload decoded.
    fn check_signature(&self, key: &VerifyingKey) -> Result<Vec<u8>, AuthError> {
        // RSA with the largest key this crate accepts signs 1,024 bytes: on the stack.
        let (mut buffer, mut spill) = ([0u8; 1024], Vec::new());
        let signature = decode_into(
            self.signature_b64,
            &mut buffer,
            &mut spill,
            "signature is not base64url",
        )?;
        if signature.is_empty() || !key.verify(self.signing_input, signature) {
            return Err(AuthError::InvalidSignature);
        }
        decode_part(self.payload_b64, "payload is not base64url")
    }
}

/// The header decoded into `buffer` (or `spill`) and parsed, its strings borrowed from there.
fn parse_header<'b>(
    header_b64: &[u8],
    buffer: &'b mut [u8],
    spill: &'b mut Vec<u8>,
) -> Result<RawHeader<'b>, AuthError> {
    let json = decode_into(header_b64, buffer, spill, "header is not base64url")?;
    crate::token::json::object(json)
        .map_err(|_| AuthError::Malformed("header is not a JSON object of the JWS shape"))
}

/// The `iss` of a token, read before its signature is checked: only to choose which
/// authority's keys to check it with. Shape and length rules are those of [`verify`].
pub(crate) fn peek_issuer(token: &[u8], max_len: usize) -> Result<String, AuthError> {
    #[derive(Deserialize)]
    struct Issuer {
        iss: Option<String>,
    }
    let peeked: Issuer = peek_payload(token, max_len, "iss")?;
    peeked.iss.ok_or(AuthError::MissingClaim("iss"))
}

/// The payload of a token as `T`, read before (or without) its signature being checked: for
/// what only routes the token (its issuer) or bounds how long a token of one's own is kept
/// (its `exp`), never for a decision. Shape and length rules are those of [`verify`]; a
/// payload that is not `T` is [`AuthError::InvalidClaim`] of `what`.
pub(crate) fn peek_payload<T: serde::de::DeserializeOwned>(
    token: &[u8],
    max_len: usize,
    what: &str,
) -> Result<T, AuthError> {
    if token.len() > max_len {
        return Err(AuthError::TokenTooLong {
            len: token.len(),
            max: max_len,
        });
    }
    let payload = decode_part(split(token)?.payload_b64, "payload is not base64url")?;
    crate::token::json::object(&payload).map_err(|_| AuthError::InvalidClaim(what.into()))
}

/// Splits `header.payload.signature`; anything else (JWE's five parts, two, many) is malformed.
/// The token is bytes: one that verifies is base64url and dots, so nothing needs it as text.
fn split(token: &[u8]) -> Result<Parts<'_>, AuthError> {
    let malformed = || AuthError::Malformed("a compact JWS has exactly three parts");
    // memchr: the search for the dots is vectorized.
    let dot = |from: usize| memchr::memchr(b'.', &token[from..]).map(|at| from + at);
    let first = dot(0).ok_or_else(malformed)?;
    let second = dot(first + 1).ok_or_else(malformed)?;
    if dot(second + 1).is_some() {
        return Err(malformed());
    }
    Ok(Parts {
        signing_input: &token[..second],
        header_b64: &token[..first],
        payload_b64: &token[first + 1..second],
        signature_b64: &token[second + 1..],
    })
}

/// base64url without padding (RFC 7515 section 2), strict: no padding, no other alphabet, and
/// the unused bits of the last character zero, so that each byte string has one encoding. The
/// decoder is vectorized; it accepts exactly what the `base64` crate's strict engine accepts
/// (a property test below compares them).
const BASE64URL: base64_simd::Base64 = base64_simd::URL_SAFE_NO_PAD;

fn decode_part(part: &[u8], what: &'static str) -> Result<Vec<u8>, AuthError> {
    BASE64URL
        .decode_to_vec(part)
        .map_err(|_| AuthError::Malformed(what))
}

/// [`decode_part`] into `buffer` when the decoded bytes fit, else into `spill`; the same errors.
fn decode_into<'b>(
    part: &[u8],
    buffer: &'b mut [u8],
    spill: &'b mut Vec<u8>,
    what: &'static str,
) -> Result<&'b [u8], AuthError> {
    let malformed = |_| AuthError::Malformed(what);
    let len = BASE64URL.decoded_length(part).map_err(malformed)?;
    let Some(fits) = buffer.get_mut(..len) else {
        *spill = decode_part(part, what)?;
        return Ok(spill);
    };
    match BASE64URL.decode(part, base64_simd::Out::from_slice(fits)) {
        Ok(decoded) => Ok(decoded),
        Err(error) => Err(malformed(error)),
    }
}

/// What the header alone decides under `policy`: its algorithm, or why it is refused.
fn check_header(raw: &RawHeader<'_>, policy: &HeaderPolicy) -> Result<Algorithm, AuthError> {
    let name = raw
        .alg
        .as_deref()
        .ok_or(AuthError::Malformed("header has no alg"))?;
    if name.eq_ignore_ascii_case("none") {
        return Err(AuthError::UnsupportedAlgorithm("none".into()));
    }
    let Some(alg) = Algorithm::from_name(name) else {
        return Err(AuthError::UnsupportedAlgorithm(
            name.chars().take(32).collect(),
        ));
    };
    if raw.enc.is_some() {
        return Err(AuthError::Malformed(
            "an `enc` header belongs to an encrypted token (JWE)",
        ));
    }
    // No JWS extension is understood here, so any `crit` list is refused (RFC 7515 4.1.11);
    // `b64` other than true (RFC 7797 unencoded payload) is refused as well.
    if raw.crit.is_some() {
        return Err(AuthError::UnsupportedCritical);
    }
    if raw
        .b64
        .as_ref()
        .is_some_and(|b| b != &serde_json::Value::Bool(true))
    {
        return Err(AuthError::UnsupportedCritical);
    }
    if let Some(required) = &policy.typ {
        let ok = raw
            .typ
            .as_deref()
            .is_some_and(|typ| normalize_typ(typ) == *required);
        if !ok {
            return Err(AuthError::InvalidType);
        }
    }
    Ok(alg)
}

/// The key the header names by `kid`, if its algorithm is the header's.
fn key_for<'k>(
    keys: &'k KeySet,
    kid: Option<&str>,
    alg: Algorithm,
) -> Result<&'k VerifyingKey, AuthError> {
    let key = keys.find(kid).ok_or(AuthError::UnknownKey)?;
    if key.algorithm() != alg {
        return Err(AuthError::AlgorithmMismatch {
            header: alg.name().into(),
            key: key.algorithm().name(),
        });
    }
    Ok(key)
}

/// `typ` compared case-insensitively, with the optional `application/` prefix removed
/// (RFC 7515 section 4.1.9, RFC 9068 section 4).
pub(crate) fn normalize_typ(typ: &str) -> String {
    let lower = typ.to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) => rest.to_owned(),
        None => lower,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_needs_exactly_three_parts() {
        let parts = split(b"a.b.c").expect("three parts");
        let expected: [&[u8]; 4] = [b"a.b", b"a", b"b", b"c"];
        let found = [
            parts.signing_input,
            parts.header_b64,
            parts.payload_b64,
            parts.signature_b64,
        ];
        assert_eq!(found, expected);
        for bad in ["", "abc", "a.b", "a.b.c.d", "a.b.c.d.e", "....."] {
            assert!(split(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    /// What the `base64` crate's strict URL-safe, unpadded engine makes of `part`, and what
    /// both decoding functions here make of it.
    fn both_decoders(part: &[u8]) -> (Option<Vec<u8>>, [Option<Vec<u8>>; 2]) {
        use base64::Engine as _;
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .ok();
        let (mut small, mut spill) = ([0u8; 8], Vec::new());
        let ours = [
            decode_part(part, "part").ok(),
            decode_into(part, &mut small, &mut spill, "part")
                .ok()
                .map(<[u8]>::to_vec),
        ];
        (expected, ours)
    }

    proptest::proptest! {
        /// The vectorized decoder accepts and decodes exactly what the `base64` crate does:
        /// on text near the alphabet (padding, the other alphabet, dots, spaces) ...
        #[test]
        fn base64url_decoding_matches_the_base64_crate(part in "[A-Za-z0-9_=+/. -]{0,70}") {
            let (expected, ours) = both_decoders(part.as_bytes());
            proptest::prop_assert_eq!(ours, [expected.clone(), expected]);
        }

        /// ... on text of the alphabet alone (of any length, any trailing bits) ...
        #[test]
        fn base64url_alphabet_decoding_matches_the_base64_crate(part in "[A-Za-z0-9_-]{0,700}") {
            let (expected, ours) = both_decoders(part.as_bytes());
            proptest::prop_assert_eq!(ours, [expected.clone(), expected]);
        }

        /// ... and every encoding of bytes decodes to those bytes.
        #[test]
        fn encoded_bytes_decode_to_themselves(bytes in proptest::collection::vec(0u8.., 0..600)) {
            use base64::Engine as _;
            let part = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
            let (_, ours) = both_decoders(part.as_bytes());
            proptest::prop_assert_eq!(ours, [Some(bytes.clone()), Some(bytes)]);
        }
    }

    /// Two HMAC keys under one `kid`, of two algorithms, and a token signed by the first.
    fn keys_and_token(header: serde_json::Value) -> (KeySet, KeySet, Vec<u8>) {
        use crate::keys::signing::SigningKey;
        let key = |alg| {
            SigningKey::hmac(&[7; 64], alg)
                .expect("a long secret")
                .with_kid("k1")
        };
        let hs256 = key(Algorithm::HS256);
        let set = |k: &SigningKey| KeySet::new([k.verifying_key()]).expect("one key");
        let token = hs256
            .sign(&header, &serde_json::json!({"sub": "alice"}))
            .expect("signed");
        (set(&hs256), set(&key(Algorithm::HS512)), token.into_bytes())
    }

    #[test]
    fn a_known_header_is_checked_against_the_current_keys() {
        let (keys, other_alg, token) =
            keys_and_token(serde_json::json!({"alg": "HS256", "kid": "k1", "typ": "JWT"}));
        let policy = HeaderPolicy::new(8192, None);
        assert!(verify_payload(&token, &keys, &policy).is_ok());
        assert!(
            known_header::with(
                policy.id,
                Parts::of(&token, &policy).expect("parts").header_b64,
                |_, _| ()
            )
            .is_some()
        );
        // The same header text, now remembered: the key is still looked up and compared.
        assert!(matches!(
            verify_payload(&token, &other_alg, &policy),
            Err(AuthError::AlgorithmMismatch { .. })
        ));
        let no_such_kid = KeySet::new([]).expect("empty set");
        assert!(matches!(
            verify_payload(&token, &no_such_kid, &policy),
            Err(AuthError::UnknownKey)
        ));
        assert!(verify_payload(&token, &keys, &policy).is_ok());
    }

    #[test]
    fn a_header_accepted_under_one_policy_is_checked_again_under_another() {
        let (keys, _, token) =
            keys_and_token(serde_json::json!({"alg": "HS256", "kid": "k1", "typ": "JWT"}));
        let lenient = HeaderPolicy::new(8192, None);
        let strict = HeaderPolicy::new(8192, Some("at+jwt".into()));
        assert!(verify_payload(&token, &keys, &lenient).is_ok());
        assert!(matches!(
            verify_payload(&token, &keys, &strict),
            Err(AuthError::InvalidType)
        ));
        // A refused header is not remembered: refused again, then the lenient policy's own.
        assert!(matches!(
            verify_payload(&token, &keys, &strict),
            Err(AuthError::InvalidType)
        ));
        assert!(verify_payload(&token, &keys, &lenient).is_ok());
    }

    #[test]
    fn a_header_is_remembered_only_with_a_verified_signature() {
        let (keys, _, token) = keys_and_token(serde_json::json!({"alg": "HS256", "kid": "k1"}));
        let policy = HeaderPolicy::new(8192, None);
        let mut forged = token.clone();
        let last = forged.len() - 2;
        forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
        let header_b64 = Parts::of(&token, &policy)
            .expect("parts")
            .header_b64
            .to_vec();
        assert!(matches!(
            verify_payload(&forged, &keys, &policy),
            Err(AuthError::InvalidSignature)
        ));
        assert!(known_header::with(policy.id, &header_b64, |_, _| ()).is_none());
        assert!(verify_payload(&token, &keys, &policy).is_ok());
        assert!(known_header::with(policy.id, &header_b64, |_, _| ()).is_some());
        // The signature is checked on every token, the header known or not.
        assert!(matches!(
            verify_payload(&forged, &keys, &policy),
            Err(AuthError::InvalidSignature)
        ));
    }

    #[test]
    fn typ_normalization() {
        assert_eq!(normalize_typ("AT+JWT"), "at+jwt");
        assert_eq!(normalize_typ("application/at+jwt"), "at+jwt");
        assert_eq!(normalize_typ("Application/AT+jwt"), "at+jwt");
    }
}
