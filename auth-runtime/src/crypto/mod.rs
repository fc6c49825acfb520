//! The crypto backend: exactly one of the features `aws-lc-rs` (default) and `rust-crypto`.
//!
//! Everything cryptographic goes through [`provider`], chosen at compile time from the features,
//! so the request path never depends on a process-wide provider being installed. Each backend is
//! one file: `aws_lc.rs`, `rust_crypto.rs`; `ed25519.rs` holds the Ed25519 rules both share.

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
pub const BACKEND: &str = backend::NAME;

// Lint and doc builds with `--all-features` see both features; they take aws-lc-rs. Any real
// build with both stops at the `compile_error!` above.
#[cfg(feature = "aws-lc-rs")]
mod aws_lc;
#[cfg(feature = "aws-lc-rs")]
use aws_lc as backend;

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
mod rust_crypto;
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
use rust_crypto as backend;

pub(crate) mod ed25519;

use crate::algorithm::Algorithm;

use backend::generate;
pub(crate) use backend::{PreparedKey, provider, rsa_pkcs8_from_pkcs1};

/// Fills `buf` with bytes from the operating system's random source.
pub(crate) fn random_bytes(buf: &mut [u8]) -> Result<(), String> {
    getrandom::fill(buf).map_err(|e| e.to_string())
}

/// Generates a private key for `alg` as PKCS#8 DER (or raw secret bytes for HMAC).
pub(crate) fn generate_private_key(alg: Algorithm) -> Result<Vec<u8>, String> {
    use Algorithm::*;
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
    }
}
