//! The crypto backend: exactly one of the features `aws-lc-rs` (default) and `rust-crypto`.
//!
//! Everything cryptographic goes through [`provider`], chosen at compile time from the features,
//! so the request path never depends on a process-wide provider being installed.

use jsonwebtoken::crypto::CryptoProvider;

#[cfg(all(feature = "aws-lc-rs", feature = "rust-crypto", not(any(clippy, doc))))]
compile_error!(
    "auth-runtime: the features `aws-lc-rs` and `rust-crypto` are both enabled; enable exactly one \
     crypto backend (for rust-crypto: `default-features = false, features = [\"rust-crypto\"]`)"
);

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
compile_error!(
    "auth-runtime: no crypto backend; enable exactly one of the features `aws-lc-rs` (default) \
     and `rust-crypto`"
);

/// Name of the compiled-in crypto backend: `"aws-lc-rs"` or `"rust-crypto"`.
#[cfg(feature = "aws-lc-rs")]
pub const BACKEND: &str = "aws-lc-rs";
/// Name of the compiled-in crypto backend: `"aws-lc-rs"` or `"rust-crypto"`.
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
pub const BACKEND: &str = "rust-crypto";

// Lint and doc builds with `--all-features` see both features; they take aws-lc-rs. Any real
// build with both stops at the `compile_error!` above.
#[cfg(feature = "aws-lc-rs")]
pub(crate) fn provider() -> &'static CryptoProvider {
    &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER
}

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
pub(crate) fn provider() -> &'static CryptoProvider {
    &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER
}

/// A verifying key in the backend's own parsed form, made once when the key is loaded so
/// that a verification never parses key material again.
/// One per key, behind an `Arc`: the size of the HMAC variant costs nothing per request.
#[cfg(feature = "aws-lc-rs")]
#[allow(clippy::large_enum_variant)]
pub(crate) enum PreparedKey {
    Hmac(aws_lc_rs::hmac::Key),
    Public(aws_lc_rs::signature::ParsedPublicKey),
}

#[cfg(feature = "aws-lc-rs")]
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
                    _ => Err(format!("no verifier for {}", crate::algorithm::name(alg))),
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

/// With rust-crypto, the key is handed to jsonwebtoken's verifier for the algorithm, which
/// checks it when built: a key the backend refuses is refused at load time.
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
pub(crate) struct PreparedKey {
    alg: jsonwebtoken::Algorithm,
    key: jsonwebtoken::DecodingKey,
}

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
impl PreparedKey {
    pub(crate) fn new(
        alg: jsonwebtoken::Algorithm,
        key: &jsonwebtoken::DecodingKey,
    ) -> Result<Self, String> {
        (provider().verifier_factory)(&alg, key).map_err(|e| e.to_string())?;
        Ok(Self {
            alg,
            key: key.clone(),
        })
    }

    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match (provider().verifier_factory)(&self.alg, &self.key) {
            Ok(verifier) => verifier.verify(message, &signature.to_vec()).is_ok(),
            Err(_) => false,
        }
    }
}

/// Fills `buf` with bytes from the operating system's random source.
pub(crate) fn random_bytes(buf: &mut [u8]) -> Result<(), String> {
    getrandom::fill(buf).map_err(|e| e.to_string())
}

/// Generates a private key for `alg` as PKCS#8 DER (or raw secret bytes for HMAC).
pub(crate) fn generate_private_key(alg: jsonwebtoken::Algorithm) -> Result<Vec<u8>, String> {
    use jsonwebtoken::Algorithm::*;
    match alg {
        HS256 | HS384 | HS512 => {
            let mut secret = vec![0u8; 64];
            random_bytes(&mut secret)?;
            Ok(secret)
        }
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => generate::rsa_2048(),
        ES256 => generate::p256(),
        ES384 => generate::p384(),
        EdDSA => generate::ed25519(),
        _ => Err(format!(
            "no key generation for {}",
            crate::algorithm::name(alg)
        )),
    }
}

#[cfg(feature = "aws-lc-rs")]
mod generate {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair,
        Ed25519KeyPair,
    };

    pub(super) fn rsa_2048() -> Result<Vec<u8>, String> {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|e| e.to_string())?;
        let der = pair.as_der().map_err(|e| e.to_string())?;
        Ok(der.as_ref().to_vec())
    }

    pub(super) fn p256() -> Result<Vec<u8>, String> {
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|e| e.to_string())?;
        Ok(doc.as_ref().to_vec())
    }

    pub(super) fn p384() -> Result<Vec<u8>, String> {
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|e| e.to_string())?;
        Ok(doc.as_ref().to_vec())
    }

    pub(super) fn ed25519() -> Result<Vec<u8>, String> {
        let doc =
            Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|e| e.to_string())?;
        Ok(doc.as_ref().to_vec())
    }
}

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
mod generate {
    use ed25519_dalek::pkcs8::EncodePrivateKey as _;

    pub(super) fn rsa_2048() -> Result<Vec<u8>, String> {
        let key = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048).map_err(|e| e.to_string())?;
        let der = key.to_pkcs8_der().map_err(|e| e.to_string())?;
        Ok(der.as_bytes().to_vec())
    }

    /// A scalar from the system's random bytes; out-of-range draws (probability about 2^-128)
    /// are drawn again.
    pub(super) fn p256() -> Result<Vec<u8>, String> {
        loop {
            let mut bytes = [0u8; 32];
            super::random_bytes(&mut bytes)?;
            if let Ok(key) = p256::SecretKey::from_slice(&bytes) {
                let der =
                    p256::pkcs8::EncodePrivateKey::to_pkcs8_der(&key).map_err(|e| e.to_string())?;
                return Ok(der.as_bytes().to_vec());
            }
        }
    }

    /// As [`p256`], on P-384.
    pub(super) fn p384() -> Result<Vec<u8>, String> {
        loop {
            let mut bytes = [0u8; 48];
            super::random_bytes(&mut bytes)?;
            if let Ok(key) = p384::SecretKey::from_slice(&bytes) {
                let der =
                    p384::pkcs8::EncodePrivateKey::to_pkcs8_der(&key).map_err(|e| e.to_string())?;
                return Ok(der.as_bytes().to_vec());
            }
        }
    }

    pub(super) fn ed25519() -> Result<Vec<u8>, String> {
        let mut seed = [0u8; 32];
        super::random_bytes(&mut seed)?;
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let der = key.to_pkcs8_der().map_err(|e| e.to_string())?;
        Ok(der.as_bytes().to_vec())
    }
}
