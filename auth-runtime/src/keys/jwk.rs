//! Publishing public keys as a JWK Set (RFC 7517).

use serde::{Deserialize, Serialize};

/// A public JSON Web Key, as an authority publishes it: never any private member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type: `RSA`, `EC` or `OKP`.
    pub kty: String,
    /// Key id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// The one algorithm the key is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Intended use: `sig`.
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Curve, for `EC` and `OKP`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// X coordinate (`EC`) or public key (`OKP`), base64url.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// Y coordinate (`EC`), base64url.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// Modulus (`RSA`), base64url.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// Public exponent (`RSA`), base64url.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
}

/// A JWK Set document: `{"keys": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    /// The keys.
    pub keys: Vec<Jwk>,
}

impl JwkSet {
    /// The document as JSON text.
    pub fn to_json(&self) -> String {
        // Serializing plain strings and options into a string cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{\"keys\":[]}"))
    }
}
