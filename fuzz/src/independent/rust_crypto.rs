//! The oracle's keys with the RustCrypto crates, for fuzzing auth-runtime on aws-lc-rs
//! (feature `backend-aws-lc`).

use hmac::{KeyInit, Mac};
use sha2::Sha256;

use crate::{Family, HS256_SECRET, pem_to_der};

/// The fixture keys in the RustCrypto crates' own types.
pub struct Independent {
    rs_sign: rsa::pkcs1v15::SigningKey<Sha256>,
    rs_verify: rsa::pkcs1v15::VerifyingKey<Sha256>,
    es_sign: p256::ecdsa::SigningKey,
    es_verify: p256::ecdsa::VerifyingKey,
    ed_sign: ed25519_dalek::SigningKey,
    ed_verify: ed25519_dalek::VerifyingKey,
}

impl Independent {
    pub(crate) fn load() -> Independent {
        use ed25519_dalek::pkcs8::DecodePrivateKey as _;
        use rsa::signature::Keypair as _;
        let (rs, es, ed) = crate::pems();
        let rs_sign = rsa::pkcs1v15::SigningKey::<Sha256>::from_pkcs8_der(&pem_to_der(rs))
            .unwrap_or_else(|e| panic!("RS256 fixture: {e}"));
        let es_sign = p256::ecdsa::SigningKey::from_pkcs8_der(&pem_to_der(es))
            .unwrap_or_else(|e| panic!("ES256 fixture: {e}"));
        let ed_sign = ed25519_dalek::SigningKey::from_pkcs8_der(&pem_to_der(ed))
            .unwrap_or_else(|e| panic!("Ed25519 fixture: {e}"));
        Independent {
            rs_verify: rs_sign.verifying_key(),
            es_verify: *es_sign.verifying_key(),
            ed_verify: ed_sign.verifying_key(),
            rs_sign,
            es_sign,
            ed_sign,
        }
    }

    /// The JWS signature of `input` with the fixture key of `family`.
    pub fn sign(&self, family: Family, input: &[u8]) -> Vec<u8> {
        use rsa::signature::{SignatureEncoding as _, Signer as _};
        match family {
            Family::Hs => {
                let mut mac = hmac::Hmac::<Sha256>::new_from_slice(HS256_SECRET)
                    .unwrap_or_else(|e| panic!("HMAC key: {e}"));
                mac.update(input);
                mac.finalize().into_bytes().to_vec()
            }
            Family::Rs => self.rs_sign.sign(input).to_vec(),
            Family::Es => {
                let signature: p256::ecdsa::Signature = self.es_sign.sign(input);
                signature.to_vec()
            }
            Family::Ed => self.ed_sign.sign(input).to_bytes().to_vec(),
        }
    }

    /// Whether `signature` is a valid JWS signature of `input` by the fixture key of `family`.
    pub fn verifies(&self, family: Family, input: &[u8], signature: &[u8]) -> bool {
        use rsa::signature::Verifier as _;
        match family {
            Family::Hs => {
                let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(HS256_SECRET) else {
                    return false;
                };
                mac.update(input);
                mac.verify_slice(signature).is_ok()
            }
            Family::Rs => rsa::pkcs1v15::Signature::try_from(signature)
                .is_ok_and(|s| self.rs_verify.verify(input, &s).is_ok()),
            Family::Es => p256::ecdsa::Signature::from_slice(signature)
                .is_ok_and(|s| self.es_verify.verify(input, &s).is_ok()),
            Family::Ed => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|s| self.ed_verify.verify(input, &s).is_ok()),
        }
    }
}
