//! The fuzz targets' oracle: an independent check, with the other backend's primitives used
//! directly (not through jsonwebtoken or auth-runtime; see [`Independent`]), of whether a token
//! carries a valid signature of one of the fixture keys; signing of arbitrary bytes with those
//! keys; and the claim checks.

use auth_runtime::Claims;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::Family;
pub use crate::independent::Independent;

/// A token that the independent check found signed by a fixture key.
#[derive(Debug)]
pub struct Signed {
    pub family: Family,
    /// The header members a verifier reads; any other member is skipped unread (as JSON
    /// syntax only, so a number beyond `f64`, which `serde_json::Value` refuses, is fine).
    pub header: Header,
    /// The decoded header, as signed.
    pub header_bytes: Vec<u8>,
    pub payload: Vec<u8>,
}

/// The header members the oracle looks at.
#[derive(Debug, serde::Deserialize)]
pub struct Header {
    pub alg: Value,
    #[serde(default)]
    pub kid: Option<Value>,
    #[serde(default)]
    pub typ: Option<Value>,
}

/// Whether `token` is `header.payload.signature` in strict base64url with a JSON header whose
/// `alg` names a fixture key's algorithm and a valid signature by that key. This is what must
/// hold for any token a verifier accepts.
pub fn signed_by(keys: &Independent, token: &str) -> Option<Signed> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let header_bytes = URL_SAFE_NO_PAD.decode(h).ok()?;
    let header: Header = serde_json::from_slice(&header_bytes).ok()?;
    let family = Family::from_alg_name(header.alg.as_str()?)?;
    let signature = URL_SAFE_NO_PAD.decode(s).ok()?;
    let input = &token[..h.len() + 1 + p.len()];
    if !keys.verifies(family, input.as_bytes(), &signature) {
        return None;
    }
    let payload = URL_SAFE_NO_PAD.decode(p).ok()?;
    Some(Signed {
        family,
        header,
        header_bytes,
        payload,
    })
}

/// A `NumericDate` as RFC 7519 defines it, read independently of the library.
fn numeric_date(value: &Value) -> Option<u64> {
    let n = value.as_number()?;
    if let Some(secs) = n.as_u64() {
        return Some(secs);
    }
    let secs = n.as_f64()?;
    (secs.is_finite() && secs >= 0.0).then_some(secs as u64)
}

/// Checks claims that a verifier accepted against the verified payload read independently and
/// against the fixture verifiers' configuration (issuer `issuer`, audience, clock, 60 s leeway).
/// Panics (a fuzzing finding) on any disagreement.
pub fn check_accepted(claims: &Claims, payload: &[u8], issuer: &str, what: &str) {
    const LEEWAY: u64 = 60;
    let now = crate::NOW;
    let value: Value = serde_json::from_slice(payload)
        .unwrap_or_else(|e| panic!("{what}: accepted a payload that is not JSON: {e}"));
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("{what}: accepted a payload that is not an object"));
    assert!(
        now < claims.exp.saturating_add(LEEWAY),
        "{what}: accepted an expired token (exp {})",
        claims.exp
    );
    for (name, field) in [("nbf", claims.nbf), ("iat", claims.iat)] {
        if let Some(t) = field {
            assert!(
                t <= now + LEEWAY,
                "{what}: accepted {name} {t} in the future"
            );
        }
        assert_eq!(
            object.get(name).map(numeric_date),
            field.map(Some),
            "{what}: {name} differs from the payload"
        );
    }
    assert_eq!(
        object.get("exp").and_then(numeric_date),
        Some(claims.exp),
        "{what}: exp differs from the payload"
    );
    assert_eq!(
        claims.iss.as_deref(),
        Some(issuer),
        "{what}: accepted another issuer"
    );
    for (name, field) in [
        ("iss", &claims.iss),
        ("sub", &claims.sub),
        ("jti", &claims.jti),
    ] {
        assert_eq!(
            object.get(name).map(Value::as_str),
            field.as_deref().map(Some),
            "{what}: {name} differs from the payload"
        );
    }
    assert!(
        claims.aud.contains(crate::AUDIENCE),
        "{what}: accepted a token for another audience"
    );
    let aud: Vec<&str> = match object.get("aud") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    assert_eq!(
        aud,
        claims.aud.iter().collect::<Vec<_>>(),
        "{what}: aud differs from the payload"
    );
}
