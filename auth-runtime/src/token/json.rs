//! JSON documents that must be objects: a JWS header, a claims set, a JWK, a JWK Set, a discovery
//! document. serde's derived structs also accept a JSON array (its elements taken as the fields
//! in order), which RFC 7515, 7517 and 7519 do not allow: `["HS256"]` is not a header.

use serde::Deserialize;
use serde::de::Error as _;

/// `bytes` parsed as `T` (which may borrow from them), refusing any top-level value other than
/// an object.
pub(crate) fn object<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, serde_json::Error> {
    let first = bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first != Some(&b'{') {
        return Err(serde_json::Error::custom("expected a JSON object"));
    }
    serde_json::from_slice(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Header {
        alg: String,
    }

    #[test]
    fn only_objects() {
        assert!(object::<Header>(br#" {"alg":"HS256"}"#).is_ok());
        for not_an_object in [
            &br#"["HS256"]"#[..],
            b" [\"HS256\"]",
            b"\"HS256\"",
            b"",
            b"  ",
        ] {
            assert!(
                object::<Header>(not_an_object).is_err(),
                "{not_an_object:?}"
            );
        }
    }
}
