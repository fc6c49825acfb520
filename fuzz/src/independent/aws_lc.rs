//! The oracle's keys with aws-lc-rs called directly, for fuzzing auth-runtime on the RustCrypto
//! crates (feature `backend-rust-crypto`).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, KeyPair as _, UnparsedPublicKey};
use aws_lc_rs::{hmac, signature::EcdsaKeyPair, signature::Ed25519KeyPair, signature::RsaKeyPair};

use crate::{Family, HS256_SECRET, pem_to_der};

/// The fixture keys in aws-lc-rs's own types.
pub struct Independent {
    hs: hmac::Key,
    rs_sign: RsaKeyPair,
    rs_public: Vec<u8>,
    es_sign: EcdsaKeyPair,
    es_public: Vec<u8>,
    ed_sign: Ed25519KeyPair,
    ed_public: Vec<u8>,
    rng: SystemRandom,
}

impl Independent {
    pub(crate) fn load() -> Independent {
        let (rs, es, ed) = crate::pems();
        let rs_sign = RsaKeyPair::from_pkcs8(&pem_to_der(rs))
            .unwrap_or_else(|e| panic!("RS256 fixture: {e}"));
        let es_sign =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &pem_to_der(es))
                .unwrap_or_else(|e| panic!("ES256 fixture: {e}"));
        let ed_sign = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pem_to_der(ed))
            .unwrap_or_else(|e| panic!("Ed25519 fixture: {e}"));
        Independent {
            hs: hmac::Key::new(hmac::HMAC_SHA256, HS256_SECRET),
            rs_public: rs_sign.public_key().as_ref().to_vec(),
            es_public: es_sign.public_key().as_ref().to_vec(),
            ed_public: ed_sign.public_key().as_ref().to_vec(),
            rs_sign,
            es_sign,
            ed_sign,
            rng: SystemRandom::new(),
        }
    }

    /// The JWS signature of `input` with the fixture key of `family` (ES256: fixed-size
    /// `r || s`, with a random nonce).
    pub fn sign(&self, family: Family, input: &[u8]) -> Vec<u8> {
        match family {
            Family::Hs => hmac::sign(&self.hs, input).as_ref().to_vec(),
            Family::Rs => {
                let mut sig = vec![0; self.rs_sign.public_modulus_len()];
                self.rs_sign
                    .sign(&signature::RSA_PKCS1_SHA256, &self.rng, input, &mut sig)
                    .unwrap_or_else(|e| panic!("RS256 signing: {e}"));
                sig
            }
            Family::Es => self
                .es_sign
                .sign(&self.rng, input)
                .unwrap_or_else(|e| panic!("ES256 signing: {e}"))
                .as_ref()
                .to_vec(),
            Family::Ed => self.ed_sign.sign(input).as_ref().to_vec(),
        }
    }

    /// Whether `signature` is a valid JWS signature of `input` by the fixture key of `family`.
    pub fn verifies(&self, family: Family, input: &[u8], signature: &[u8]) -> bool {
        let public = |alg: &'static dyn signature::VerificationAlgorithm, key: &[u8]| {
            UnparsedPublicKey::new(alg, key)
                .verify(input, signature)
                .is_ok()
        };
        match family {
            Family::Hs => hmac::verify(&self.hs, input, signature).is_ok(),
            Family::Rs => public(&signature::RSA_PKCS1_2048_8192_SHA256, &self.rs_public),
            Family::Es => public(&signature::ECDSA_P256_SHA256_FIXED, &self.es_public),
            Family::Ed => public(&signature::ED25519, &self.ed_public),
        }
    }
}
