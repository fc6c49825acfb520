//! Private keys that sign tokens, each with its key id and its public half as a JWK.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::EncodingKey;
use jsonwebtoken::jwk::EllipticCurve;
use serde_json::{Value, json};

use crate::algorithm::{Algorithm, Family};
use crate::crypto;
use crate::error::{IssueError, KeyError};
use crate::keys::jwk::Jwk;
use crate::keys::verifying::{VerifyingKey, check_hmac, rsa_parse_error};

/// A private key that signs tokens with exactly one algorithm, with its key id.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    alg: Algorithm,
    key: EncodingKey,
    public: VerifyingKey,
    jwk: Option<Jwk>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg.name())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates a fresh key for `alg` (RSA keys are 2048 bits; HMAC secrets 64 bytes). The
    /// key id is the RFC 7638 thumbprint of the public key (random for HMAC).
    pub fn generate(alg: Algorithm) -> Result<Self, KeyError> {
        let der = crypto::generate_private_key(alg).map_err(KeyError::Invalid)?;
        match alg.family() {
            Family::Hmac => Self::hmac(&der, alg),
            _ => Self::from_pkcs8_der(&der, alg),
        }
    }

    /// An HMAC secret (at least the hash output size: 32, 48 or 64 bytes).
    pub fn hmac(secret: &[u8], alg: Algorithm) -> Result<Self, KeyError> {
        check_hmac(secret, alg)?;
        let key = EncodingKey::from_secret(secret).map_err(|e| KeyError::Invalid(e.to_string()))?;
        let public = VerifyingKey::hmac(secret, alg)?;
        let mut kid = [0u8; 12];
        crypto::random_bytes(&mut kid).map_err(KeyError::Invalid)?;
        Ok(Self::assemble(
            URL_SAFE_NO_PAD.encode(kid),
            alg,
            key,
            public,
            None,
        ))
    }

    /// A private key in PEM: PKCS#8 `PRIVATE KEY` for every algorithm, or PKCS#1
    /// `RSA PRIVATE KEY` for RSA.
    pub fn from_pem(pem: &[u8], alg: Algorithm) -> Result<Self, KeyError> {
        let invalid = |e: jsonwebtoken::errors::Error| KeyError::Invalid(e.to_string());
        let key = match alg.family() {
            Family::Hmac => {
                return Err(KeyError::WrongAlgorithm {
                    alg: alg.name(),
                    reason: "an HMAC key is a secret, not PEM".into(),
                });
            }
            Family::Rsa => EncodingKey::from_rsa_pem(pem).map_err(invalid)?,
            Family::Ec => EncodingKey::from_ec_pem(pem).map_err(invalid)?,
            Family::Ed => EncodingKey::from_ed_pem(pem).map_err(invalid)?,
        };
        Self::from_encoding_key(key, alg)
    }

    /// A private key in PKCS#8 DER.
    pub fn from_pkcs8_der(der: &[u8], alg: Algorithm) -> Result<Self, KeyError> {
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(der)
        );
        Self::from_pem(pem.as_bytes(), alg)
    }

    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), to keep it across
    /// restarts: [`from_pem`](Self::from_pem) reads it back with the same key id. Asymmetric
    /// keys only: an HMAC secret is refused.
    ///
    /// The PEM holds the private key: store it where only the authority can read it (a
    /// [`KeyDirectory`](crate::KeyDirectory) writes its files with mode 0600).
    ///
    /// ```
    /// use auth_runtime::{Algorithm, SigningKey};
    /// let key = SigningKey::generate(Algorithm::ES256)?;
    /// let pem = key.to_pkcs8_pem()?;
    /// assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    /// let again = SigningKey::from_pem(pem.as_bytes(), Algorithm::ES256)?;
    /// assert_eq!(again.kid(), key.kid());
    ///
    /// let secret = SigningKey::generate(Algorithm::HS256)?;
    /// assert!(secret.to_pkcs8_pem().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_pkcs8_pem(&self) -> Result<String, KeyError> {
        // jsonwebtoken keeps EC and Ed25519 keys as the PKCS#8 document they were read from,
        // and RSA keys as the PKCS#1 key inside it.
        let der = match self.alg.family() {
            Family::Hmac => {
                return Err(KeyError::WrongAlgorithm {
                    alg: self.alg.name(),
                    reason: "an HMAC key is a shared secret, never exported as a private key file"
                        .into(),
                });
            }
            Family::Rsa => {
                crypto::rsa_pkcs8_from_pkcs1(self.key.as_bytes()).map_err(KeyError::Invalid)?
            }
            Family::Ec | Family::Ed => self.key.as_bytes().to_vec(),
        };
        Ok(pem_encode("PRIVATE KEY", &der))
    }

    fn from_encoding_key(key: EncodingKey, alg: Algorithm) -> Result<Self, KeyError> {
        let utils = &crypto::provider().key_utils;
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let der = key.as_bytes();
        let key_error = |e: jsonwebtoken::errors::Error| KeyError::Invalid(e.to_string());
        let (public, mut jwk) = match alg.family() {
            Family::Rsa => {
                let (n, e) = (utils.rsa_pub_components_from_private_key)(der)
                    .map_err(|e| rsa_parse_error(der, true, e.to_string()))?;
                let public = VerifyingKey::rsa(&n, &e, alg)?;
                (
                    public,
                    public_jwk("RSA", alg, |j| {
                        j.n = Some(b64(&n));
                        j.e = Some(b64(&e));
                    }),
                )
            }
            Family::Ec => {
                let (curve, x, y) = (utils.ec_pub_components_from_private_key)(der, alg.to_jwt())
                    .map_err(key_error)?;
                let crv = match curve {
                    EllipticCurve::P256 => "P-256",
                    EllipticCurve::P384 => "P-384",
                    _ => return Err(KeyError::UnsupportedAlgorithm("curve".into())),
                };
                let jwk = public_jwk("EC", alg, |j| {
                    j.crv = Some(crv.into());
                    j.x = Some(b64(&x));
                    j.y = Some(b64(&y));
                });
                (VerifyingKey::from_jwk(&json!(jwk))?, jwk)
            }
            Family::Ed => {
                let x = (utils.ed_pub_components_from_private_key)(der, &EllipticCurve::Ed25519)
                    .map_err(key_error)?;
                let jwk = public_jwk("OKP", alg, |j| {
                    j.crv = Some("Ed25519".into());
                    j.x = Some(b64(&x));
                });
                (VerifyingKey::from_jwk(&json!(jwk))?, jwk)
            }
            Family::Hmac => {
                return Err(KeyError::UnsupportedAlgorithm("HMAC via PEM".into()));
            }
        };
        let kid = thumbprint(&jwk);
        jwk.kid = Some(kid.clone());
        Ok(Self::assemble(kid, alg, key, public, Some(jwk)))
    }

    fn assemble(
        kid: String,
        alg: Algorithm,
        key: EncodingKey,
        public: VerifyingKey,
        jwk: Option<Jwk>,
    ) -> Self {
        let public = public.with_kid(kid.clone());
        SigningKey {
            kid,
            alg,
            key,
            public,
            jwk,
        }
    }

    /// Replaces the key id.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = kid.into();
        self.public = self.public.with_kid(self.kid.clone());
        if let Some(jwk) = &mut self.jwk {
            jwk.kid = Some(self.kid.clone());
        }
        self
    }

    /// The key id put in the `kid` header of every token this key signs.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The matching verification key (for HMAC, the same secret).
    pub fn verifying_key(&self) -> VerifyingKey {
        self.public.clone()
    }

    /// The public key as a JWK; `None` for HMAC, whose secret is never published.
    pub fn public_jwk(&self) -> Option<&Jwk> {
        self.jwk.as_ref()
    }

    /// Signs `header.payload` and returns the compact token.
    pub(crate) fn sign(&self, header: &Value, claims: &Value) -> Result<String, IssueError> {
        let header = serde_json::to_vec(header).map_err(|e| IssueError::Claims(e.to_string()))?;
        let claims = serde_json::to_vec(claims).map_err(|e| IssueError::Claims(e.to_string()))?;
        let mut token = URL_SAFE_NO_PAD.encode(header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(claims, &mut token);
        let signer = (crypto::provider().signer_factory)(&self.alg.to_jwt(), &self.key)
            .map_err(|e| IssueError::Signing(e.to_string()))?;
        let signature = signer
            .try_sign(token.as_bytes())
            .map_err(|e| IssueError::Signing(e.to_string()))?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }
}

/// PEM (RFC 7468): the base64 of `der` in lines of 64 characters between the labels.
fn pem_encode(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    // Base64 is ASCII, so every 64-byte chunk is valid UTF-8.
    for line in body.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

fn public_jwk(kty: &str, alg: Algorithm, fill: impl FnOnce(&mut Jwk)) -> Jwk {
    let mut jwk = Jwk {
        kty: kty.into(),
        kid: None,
        alg: Some(alg.name().into()),
        use_: Some("sig".into()),
        crv: None,
        x: None,
        y: None,
        n: None,
        e: None,
    };
    fill(&mut jwk);
    jwk
}

/// RFC 7638 thumbprint (SHA-256) of a public JWK: the required members in lexicographic order.
fn thumbprint(jwk: &Jwk) -> String {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let canonical = match jwk.kty.as_str() {
        "RSA" => json!({"e": s(&jwk.e), "kty": "RSA", "n": s(&jwk.n)}),
        "EC" => json!({"crv": s(&jwk.crv), "kty": "EC", "x": s(&jwk.x), "y": s(&jwk.y)}),
        _ => json!({"crv": s(&jwk.crv), "kty": jwk.kty, "x": s(&jwk.x)}),
    };
    // serde_json's map is ordered by key, which is the order RFC 7638 asks for.
    let text = canonical.to_string();
    let digest = (crypto::provider().key_utils.compute_digest)(
        text.as_bytes(),
        jsonwebtoken::jwk::ThumbprintHash::SHA256,
    )
    .unwrap_or_else(|_| text.into_bytes());
    URL_SAFE_NO_PAD.encode(digest)
}
