//! The aws-lc-rs backend (feature `aws-lc-rs`, the default): keys parsed once into aws-lc-rs's
//! own types, and key generation.

use jsonwebtoken::crypto::CryptoProvider;

pub(crate) const NAME: &str = "aws-lc-rs";

pub(crate) fn provider() -> &'static CryptoProvider {
    &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER
}

/// A verifying key in the backend's own parsed form, made once when the key is loaded so
/// that a verification never parses key material again.
/// One per key, behind an `Arc`: the size of the HMAC variant costs nothing per request.
#[allow(clippy::large_enum_variant)]
pub(crate) enum PreparedKey {
    Hmac(aws_lc_rs::hmac::Key),
    Public(aws_lc_rs::signature::ParsedPublicKey),
}

impl PreparedKey {
    pub(crate) fn new(
        alg: jsonwebtoken::Algorithm,
        key: &jsonwebtoken::DecodingKey,
    ) -> Result<Self, String> {
        use aws_lc_rs::{hmac, signature as sig};
        use jsonwebtoken::Algorithm::*;
        use jsonwebtoken::DecodingKeyKind;

        let rsa: Option<&'static sig::RsaParameters> = match alg {
            RS256 => Some(&sig::RSA_PKCS1_2048_8192_SHA256),
            RS384 => Some(&sig::RSA_PKCS1_2048_8192_SHA384),
            RS512 => Some(&sig::RSA_PKCS1_2048_8192_SHA512),
            PS256 => Some(&sig::RSA_PSS_2048_8192_SHA256),
            PS384 => Some(&sig::RSA_PSS_2048_8192_SHA384),
            PS512 => Some(&sig::RSA_PSS_2048_8192_SHA512),
            _ => None,
        };
        let rejected = |e: aws_lc_rs::error::KeyRejected| e.to_string();
        match (key.kind(), rsa) {
            (DecodingKeyKind::RsaModulusExponent { n, e }, Some(params)) => {
                let components = sig::RsaPublicKeyComponents { n, e };
                Ok(Self::Public(
                    components.to_parsed_public_key(params).map_err(rejected)?,
                ))
            }
            (DecodingKeyKind::SecretOrDer(der), Some(params)) => Ok(Self::Public(
                sig::ParsedPublicKey::new(params, der).map_err(rejected)?,
            )),
            (DecodingKeyKind::SecretOrDer(bytes), None) => {
                let public = |alg: &'static dyn sig::VerificationAlgorithm| {
                    sig::ParsedPublicKey::new(alg, bytes)
                        .map(Self::Public)
                        .map_err(rejected)
                };
                match alg {
                    HS256 => Ok(Self::Hmac(hmac::Key::new(hmac::HMAC_SHA256, bytes))),
                    HS384 => Ok(Self::Hmac(hmac::Key::new(hmac::HMAC_SHA384, bytes))),
                    HS512 => Ok(Self::Hmac(hmac::Key::new(hmac::HMAC_SHA512, bytes))),
                    ES256 => public(&sig::ECDSA_P256_SHA256_FIXED),
                    ES384 => public(&sig::ECDSA_P384_SHA384_FIXED),
                    EdDSA => public(&sig::ED25519),
                    _ => Err(format!("no verifier for {alg:?}")),
                }
            }
            (DecodingKeyKind::RsaModulusExponent { .. }, None) => {
                Err("RSA components given for a non-RSA algorithm".into())
            }
        }
    }

    /// Checks `signature` over `message`; HMAC tags are compared in constant time.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::Hmac(key) => aws_lc_rs::hmac::verify(key, message, signature).is_ok(),
            Self::Public(key) => key.verify_sig(message, signature).is_ok(),
        }
    }
}

/// An RSA private key in PKCS#1 DER (the form jsonwebtoken keeps) as PKCS#8 DER, parsed and
/// re-encoded by aws-lc-rs so that only a key it accepts is written out.
pub(crate) fn rsa_pkcs8_from_pkcs1(pkcs1: &[u8]) -> Result<Vec<u8>, String> {
    use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
    let pair = aws_lc_rs::rsa::KeyPair::from_der(pkcs1).map_err(|e| e.to_string())?;
    let der: Pkcs8V1Der<'static> = pair.as_der().map_err(|e| e.to_string())?;
    Ok(der.as_ref().to_vec())
}

/// Key generation with aws-lc-rs: PKCS#8 DER.
pub(crate) mod generate {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair,
        Ed25519KeyPair,
    };

    pub(crate) fn rsa_2048() -> Result<Vec<u8>, String> {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|e| e.to_string())?;
        let der = pair.as_der().map_err(|e| e.to_string())?;
        Ok(der.as_ref().to_vec())
    }

    pub(crate) fn p256() -> Result<Vec<u8>, String> {
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|e| e.to_string())?;
        Ok(doc.as_ref().to_vec())
    }

    pub(crate) fn p384() -> Result<Vec<u8>, String> {
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|e| e.to_string())?;
        Ok(doc.as_ref().to_vec())
    }

    pub(crate) fn ed25519() -> Result<Vec<u8>, String> {
        let doc =
            Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|e| e.to_string())?;
        Ok(doc.as_ref().to_vec())
    }
}
