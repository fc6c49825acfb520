//! The signature layer: a compact JWS (RFC 7515) checked against a key set, before any claim
//! is looked at.
//!
//! Order of checks, cheapest first: length cap, exactly three parts, strict base64url and JSON
//! header, `alg` (never `none`), `crit`, `typ`, key by `kid`, the key's own algorithm, the
//! signature. The payload is decoded only after the signature verified.

use base64::DecodeSliceError;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::algorithm::Algorithm;
use crate::error::AuthError;
use crate::keys::set::KeySet;
use crate::keys::verifying::VerifyingKey;

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
#[derive(Debug, Clone, Default)]
pub(crate) struct HeaderPolicy {
    pub(crate) max_len: usize,
    /// Lower-case `typ` without an `application/` prefix.
    pub(crate) typ: Option<String>,
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
    token: &str,
    keys: &KeySet,
    policy: &HeaderPolicy,
) -> Result<VerifiedJws, AuthError> {
    let (header, payload) = verify_with(token, keys, policy, |alg, raw| JwsHeader {
        alg,
        kid: raw.kid.map(Cow::into_owned),
        typ: raw.typ.map(Cow::into_owned),
    })?;
    Ok(VerifiedJws { header, payload })
}

/// [`verify`] for a caller that needs only the payload: the header's strings are not copied.
pub(crate) fn verify_payload(
    token: &str,
    keys: &KeySet,
    policy: &HeaderPolicy,
) -> Result<Vec<u8>, AuthError> {
    verify_with(token, keys, policy, |_, _| ()).map(|((), payload)| payload)
}

/// The whole check; `header` makes what the caller keeps of the header.
fn verify_with<H>(
    token: &str,
    keys: &KeySet,
    policy: &HeaderPolicy,
    header: impl FnOnce(Algorithm, RawHeader<'_>) -> H,
) -> Result<(H, Vec<u8>), AuthError> {
    if token.len() > policy.max_len {
        return Err(AuthError::TokenTooLong {
            len: token.len(),
            max: policy.max_len,
        });
    }
    let (signing_input, header_b64, payload_b64, signature_b64) = split(token)?;

    // The header and the signature are short and dropped at the end: decoded on the stack.
    let (mut header_buffer, mut header_spill) = ([0u8; 512], Vec::new());
    let header_json = decode_into(
        header_b64,
        &mut header_buffer,
        &mut header_spill,
        "header is not base64url",
    )?;
    let raw: RawHeader<'_> = crate::token::json::object(header_json)
        .map_err(|_| AuthError::Malformed("header is not a JSON object of the JWS shape"))?;
    let (alg, key) = check_header(&raw, keys, policy)?;

    // RSA with the largest key this crate accepts signs 1,024 bytes.
    let (mut signature_buffer, mut signature_spill) = ([0u8; 1024], Vec::new());
    let signature = decode_into(
        signature_b64,
        &mut signature_buffer,
        &mut signature_spill,
        "signature is not base64url",
    )?;
    if signature.is_empty() || !key.verify(signing_input.as_bytes(), signature) {
        return Err(AuthError::InvalidSignature);
    }
    let payload = decode_part(payload_b64, "payload is not base64url")?;
    Ok((header(alg, raw), payload))
}

/// The `iss` of a token, read before its signature is checked: only to choose which
/// authority's keys to check it with. Shape and length rules are those of [`verify`].
pub(crate) fn peek_issuer(token: &str, max_len: usize) -> Result<String, AuthError> {
    #[derive(Deserialize)]
    struct Issuer {
        iss: Option<String>,
    }
    if token.len() > max_len {
        return Err(AuthError::TokenTooLong {
            len: token.len(),
            max: max_len,
        });
    }
    let (_, _, payload_b64, _) = split(token)?;
    let payload = decode_part(payload_b64, "payload is not base64url")?;
    let peeked: Issuer =
        crate::token::json::object(&payload).map_err(|_| AuthError::InvalidClaim("iss".into()))?;
    peeked.iss.ok_or(AuthError::MissingClaim("iss"))
}

/// Splits `header.payload.signature`; anything else (JWE's five parts, two, many) is malformed.
fn split(token: &str) -> Result<(&str, &str, &str, &str), AuthError> {
    let malformed = || AuthError::Malformed("a compact JWS has exactly three parts");
    // `str::find` with a `char` is a memchr: the search is vectorized.
    let first = token.find('.').ok_or_else(malformed)?;
    let second = first + 1 + token[first + 1..].find('.').ok_or_else(malformed)?;
    if token[second + 1..].contains('.') {
        return Err(malformed());
    }
    Ok((
        &token[..second],
        &token[..first],
        &token[first + 1..second],
        &token[second + 1..],
    ))
}

fn decode_part(part: &str, what: &'static str) -> Result<Vec<u8>, AuthError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| AuthError::Malformed(what))
}

/// [`decode_part`] into `buffer` when the decoded bytes fit, else into `spill`; the same errors.
fn decode_into<'b>(
    part: &str,
    buffer: &'b mut [u8],
    spill: &'b mut Vec<u8>,
    what: &'static str,
) -> Result<&'b [u8], AuthError> {
    match URL_SAFE_NO_PAD.decode_slice(part, buffer) {
        Ok(len) => Ok(&buffer[..len]),
        Err(DecodeSliceError::OutputSliceTooSmall) => {
            *spill = decode_part(part, what)?;
            Ok(spill)
        }
        Err(DecodeSliceError::DecodeError(_)) => Err(AuthError::Malformed(what)),
    }
}

fn check_header<'k>(
    raw: &RawHeader<'_>,
    keys: &'k KeySet,
    policy: &HeaderPolicy,
) -> Result<(Algorithm, &'k VerifyingKey), AuthError> {
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
    let key = keys.find(raw.kid.as_deref()).ok_or(AuthError::UnknownKey)?;
    if key.algorithm() != alg {
        return Err(AuthError::AlgorithmMismatch {
            header: alg.name().into(),
            key: key.algorithm().name(),
        });
    }
    Ok((alg, key))
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
        assert!(split("a.b.c").is_ok());
        assert_eq!(split("a.b.c").ok(), Some(("a.b", "a", "b", "c")));
        for bad in ["", "abc", "a.b", "a.b.c.d", "a.b.c.d.e", "....."] {
            assert!(split(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn typ_normalization() {
        assert_eq!(normalize_typ("AT+JWT"), "at+jwt");
        assert_eq!(normalize_typ("application/at+jwt"), "at+jwt");
        assert_eq!(normalize_typ("Application/AT+jwt"), "at+jwt");
    }
}
