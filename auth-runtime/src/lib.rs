//! The runtime of the [`auth`](https://docs.rs/auth) crate: everything that checks a bearer
//! token, usable without the macros.
//!
//! ```text
//! request headers -> bearer_token -> Verifier -> Claims -> role check -> handler
//!                                                     \-> AuthError (status + WWW-Authenticate)
//! ```
//!
//! - [`Verifier`]: keys by `kid`, each bound to one algorithm; `exp`/`nbf`/`iat`, issuer,
//!   audience, `typ`; a length cap before decoding.
//! - [`Claims`]: registered claims, roles from a configurable [`RolesLocation`], scopes.
//! - [`Authority`]: issues tokens, rotates keys, publishes a [`JwkSet`].
//! - [`bearer_token`]: `Authorization: Bearer` from an `http::HeaderMap`.
//! - [`AuthError`]: every failure with its HTTP status and RFC 6750 challenge.
//! - [`testing`] (feature `testing`): key pairs and tokens for your own tests.
//!
//! ```
//! use auth_runtime::{Algorithm, Authority, SigningKey, bearer_token};
//! use http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
//!
//! // The authority signs after login...
//! let authority = Authority::builder()
//!     .issuer("https://auth.example.com")
//!     .audience("reports")
//!     .signing_key(SigningKey::generate(Algorithm::EdDSA)?)
//!     .build()?;
//! let token = authority.issue("bob", ["user"])?;
//!
//! // ...and every service verifies locally with the public keys.
//! let verifier = auth_runtime::Verifier::builder()
//!     .jwks_json(authority.jwks().to_json())
//!     .issuer("https://auth.example.com")
//!     .audience("reports")
//!     .build()?;
//! let mut headers = HeaderMap::new();
//! headers.insert(AUTHORIZATION, HeaderValue::from_str(&format!("Bearer {token}"))?);
//! let claims = verifier.verify(bearer_token(&headers)?)?;
//! assert_eq!(claims.sub.as_deref(), Some("bob"));
//! assert!(claims.has_role("user"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crypto backend
//!
//! Exactly one of the features `aws-lc-rs` (default) and `rust-crypto` must be enabled;
//! both or neither is a compile error. (Lint and documentation builds with
//! `--all-features` see aws-lc-rs.)

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod adapters;
pub mod algorithm;
mod authority;
mod backend;
mod bearer;
mod cache;
mod claims;
mod clock;
mod ed25519;
mod error;
pub mod guard;
mod jwks;
#[cfg(feature = "jwks")]
mod jwks_client;
mod jws;
mod key;
mod key_set;
pub mod propagate;
pub mod requirement;
#[cfg(feature = "testing")]
pub mod testing;
mod verifier;

#[cfg(feature = "actix-web")]
pub use adapters::actix;
#[cfg(feature = "axum")]
pub use adapters::axum;
#[cfg(feature = "poem")]
pub use adapters::poem;
#[cfg(feature = "tonic")]
pub use adapters::tonic;
pub use algorithm::Algorithm;
pub use authority::{Authority, AuthorityBuilder, DEFAULT_LIFETIME, SigningKey, TokenBuilder};
pub use backend::BACKEND;
pub use bearer::{bearer_from_values, bearer_token, parse_authorization};
pub use cache::CacheConfig;
pub use claims::{Audience, Claims, RolesLocation};
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{AuthError, ConfigError, ErrorClass, IssueError, KeyError};
pub use guard::{default_verifier, install_default_verifier};
pub use jwks::{Jwk, JwkSet};
#[cfg(feature = "jwks")]
pub use jwks_client::{JwksClient, JwksClientBuilder, JwksConfig, JwksError};
pub use jws::{JwsHeader, VerifiedJws};
pub use key::{MAX_RSA_BITS, MIN_RSA_BITS, VerifyingKey};
pub use key_set::{KeySet, RefusedKey};
pub use requirement::Requirement;
pub use verifier::{
    DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_LEN, MAX_LEEWAY, TrustedIssuer, VerifiedToken, Verifier,
    VerifierBuilder,
};
