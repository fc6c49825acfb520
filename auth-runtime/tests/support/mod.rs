//! Shared helpers of the runtime's integration tests: base64url and hex, PEM bodies, tokens
//! signed over any header and claims, taking tokens apart, `Authorization` header maps.
//!
//! Included with `mod support;`; each test file uses part of it.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

#[cfg(feature = "testing")]
use auth_runtime::{SigningKey, testing};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue};
use serde_json::Value;

/// Strict base64url without padding (RFC 7515 section 2), as in a compact JWS.
pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The bytes of base64url text without padding; panics on anything else.
pub(crate) fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).expect("base64url")
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of hex text (an even number of hex digits); panics on anything else.
pub(crate) fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The DER inside a PEM document.
pub(crate) fn pem_body(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).expect("PEM body")
}

/// A compact token signed by `key` over exactly this header and these claims, whatever they
/// say (`testing::sign_raw`).
#[cfg(feature = "testing")]
pub(crate) fn sign(key: &SigningKey, header: &Value, claims: &Value) -> String {
    testing::sign_raw(key, header, claims).expect("signing")
}

/// The three parts of a compact token; panics if there are not exactly three.
pub(crate) fn parts(token: &str) -> (&str, &str, &str) {
    let mut it = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (it.next(), it.next(), it.next(), it.next()) else {
        panic!("not three parts: {token}");
    };
    (h, p, s)
}

/// The JSON of the token's header (`part` 0) or payload (`part` 1), decoded without
/// verification (for inspection only).
pub(crate) fn json_part(token: &str, part: usize) -> Value {
    let text = token.split('.').nth(part).expect("the part exists");
    serde_json::from_slice(&unb64(text)).expect("JSON part")
}

/// The JSON of the token's header, decoded without verification (for inspection only).
pub(crate) fn header_of(token: &str) -> Value {
    json_part(token, 0)
}

/// The decoded signature of a compact token.
pub(crate) fn signature_bytes(token: &str) -> Vec<u8> {
    let (_, signature) = token.rsplit_once('.').expect("a compact JWS");
    unb64(signature)
}

/// A header map with one `Authorization` header per value, in order (raw bytes; each must
/// be a valid header value).
pub(crate) fn authorization(values: &[&[u8]]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for value in values {
        headers.append(AUTHORIZATION, HeaderValue::from_bytes(value).unwrap());
    }
    headers
}
