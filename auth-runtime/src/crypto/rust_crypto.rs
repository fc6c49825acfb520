//! The pure-Rust backend (feature `rust-crypto`): RustCrypto through jsonwebtoken, and key
//! generation.

use jsonwebtoken::crypto::CryptoProvider;

pub(crate) const NAME: &str = "rust-crypto";

pub(crate) fn provider() -> &'static CryptoProvider {
    &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER
}

/// With rust-crypto, the key is handed to jsonwebtoken's verifier for the algorithm, which
/// checks it when built: a key the backend refuses is refused at load time.
pub(crate) struct PreparedKey {
    alg: jsonwebtoken::Algorithm,
    key: jsonwebtoken::DecodingKey,
}

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

/// An RSA private key in PKCS#1 DER (the form jsonwebtoken keeps) as PKCS#8 DER, parsed and
/// re-encoded by the `rsa` crate so that only a key it accepts is written out.
pub(crate) fn rsa_pkcs8_from_pkcs1(pkcs1: &[u8]) -> Result<Vec<u8>, String> {
    use rsa::pkcs1::DecodeRsaPrivateKey as _;
    use rsa::pkcs8::EncodePrivateKey as _;
    let key = rsa::PrivateKey::from_pkcs1_der(pkcs1).map_err(|e| e.to_string())?;
    let der = key.to_pkcs8_der().map_err(|e| e.to_string())?;
    Ok(der.as_bytes().to_vec())
}

/// Key generation with RustCrypto: PKCS#8 DER.
pub(crate) mod generate {
    use ed25519_dalek::pkcs8::EncodePrivateKey as _;

    pub(crate) fn rsa_2048() -> Result<Vec<u8>, String> {
        let key = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048).map_err(|e| e.to_string())?;
        let der = key.to_pkcs8_der().map_err(|e| e.to_string())?;
        Ok(der.as_bytes().to_vec())
    }

    /// A scalar from the system's random bytes; out-of-range draws (probability about 2^-128)
    /// are drawn again.
    pub(crate) fn p256() -> Result<Vec<u8>, String> {
        loop {
            let mut bytes = [0u8; 32];
            crate::crypto::random_bytes(&mut bytes)?;
            if let Ok(key) = p256::SecretKey::from_slice(&bytes) {
                let der =
                    p256::pkcs8::EncodePrivateKey::to_pkcs8_der(&key).map_err(|e| e.to_string())?;
                return Ok(der.as_bytes().to_vec());
            }
        }
    }

    /// As [`p256`], on P-384.
    pub(crate) fn p384() -> Result<Vec<u8>, String> {
        loop {
            let mut bytes = [0u8; 48];
            crate::crypto::random_bytes(&mut bytes)?;
            if let Ok(key) = p384::SecretKey::from_slice(&bytes) {
                let der =
                    p384::pkcs8::EncodePrivateKey::to_pkcs8_der(&key).map_err(|e| e.to_string())?;
                return Ok(der.as_bytes().to_vec());
            }
        }
    }

    pub(crate) fn ed25519() -> Result<Vec<u8>, String> {
        let mut seed = [0u8; 32];
        crate::crypto::random_bytes(&mut seed)?;
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let der = key.to_pkcs8_der().map_err(|e| e.to_string())?;
        Ok(der.as_bytes().to_vec())
    }
}
