//! Helpers for tests of services that use this crate (feature `testing`).
//!
//! One line gives an authority with a fresh key pair and a verifier that trusts it; tokens
//! with any claims, valid or not, take one more.
//!
//! ```
//! use auth_runtime::{testing, Algorithm, AuthError};
//! let (authority, verifier) = testing::pair(Algorithm::RS256);
//!
//! let ok = authority.token("alice").roles(["admin"]).issue()?;
//! assert!(verifier.verify(&ok)?.has_role("admin"));
//!
//! let expired = authority.token("alice").expires_at(testing::now() - 3600).issue()?;
//! assert_eq!(verifier.verify(&expired).unwrap_err(), AuthError::Expired);
//!
//! let elsewhere = authority.token("alice").audience("another-service").issue()?;
//! assert_eq!(verifier.verify(&elsewhere).unwrap_err(), AuthError::InvalidAudience);
//!
//! let forged = testing::sign_raw(
//!     &auth_runtime::SigningKey::generate(Algorithm::RS256)?,
//!     &serde_json::json!({"alg": "RS256", "kid": authority.signing_kid()}),
//!     &serde_json::json!({"sub": "mallory", "exp": testing::now() + 60}),
//! )?;
//! assert_eq!(verifier.verify(&forged).unwrap_err(), AuthError::InvalidSignature);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde_json::Value;

use crate::algorithm::Algorithm;
use crate::authority::Authority;
use crate::clock::{Clock, SystemClock};
use crate::error::IssueError;
use crate::keys::signing::SigningKey;
use crate::verifier::Verifier;

/// Issuer of test authorities.
pub const ISSUER: &str = "https://issuer.test";
/// Audience of test authorities and verifiers.
pub const AUDIENCE: &str = "test-audience";

/// Now, in seconds since the epoch.
pub fn now() -> u64 {
    SystemClock.now()
}

/// An authority for [`ISSUER`] and [`AUDIENCE`] with a freshly generated key for `alg`.
///
/// # Panics
/// If key generation fails, which only a broken system random source causes: this is a test
/// helper.
#[allow(clippy::expect_used)]
pub fn authority(alg: Algorithm) -> Authority {
    let key = SigningKey::generate(alg).expect("generating a test key");
    Authority::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .signing_key(key)
        .build()
        .expect("a complete test authority")
}

/// A test authority and a verifier that trusts it (default leeway, system clock).
///
/// # Panics
/// As [`authority`].
#[allow(clippy::expect_used)]
pub fn pair(alg: Algorithm) -> (Authority, Verifier) {
    let authority = authority(alg);
    let verifier = authority
        .verifier()
        .build()
        .expect("a verifier for the test authority");
    (authority, verifier)
}

/// `value` (a JSON object: a header or claims for [`sign_raw`]) with the member `name` set to
/// `member`, or removed when `member` is `None`.
///
/// ```
/// use auth_runtime::testing::with_member;
/// let claims = serde_json::json!({"sub": "alice", "exp": 1});
/// let claims = with_member(claims, "exp", Some("soon".into()));
/// assert_eq!(with_member(claims, "sub", None), serde_json::json!({"exp": "soon"}));
/// ```
///
/// # Panics
///
/// If `value` is not a JSON object.
#[allow(clippy::expect_used)]
pub fn with_member(mut value: Value, name: &str, member: Option<Value>) -> Value {
    let object = value
        .as_object_mut()
        .expect("with_member: the value is not a JSON object");
    match member {
        Some(member) => {
            object.insert(name.into(), member);
        }
        None => {
            object.remove(name);
        }
    }
    value
}

/// Signs any header and any claims with `key`, exactly as given: no claim is added, and the
/// header may name another algorithm or key than `key`'s (to test rejections).
pub fn sign_raw(key: &SigningKey, header: &Value, claims: &Value) -> Result<String, IssueError> {
    key.sign(header, claims)
}
