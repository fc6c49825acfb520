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
//! - [`Authority`]: issues tokens, rotates keys, publishes a [`JwkSet`]; its keys kept across
//!   restarts and rotated on a schedule in a [`KeyDirectory`].
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

// The layers, from the wire inwards (docs/design.md, "Crates and layers"):
mod algorithm;
mod authority;
mod clock;
mod crypto;
mod error;
mod http;
mod keys;
pub mod observe;
#[cfg(feature = "openapi")]
pub mod openapi;
#[cfg(feature = "outbound")]
pub mod outbound;
mod requirement;
pub mod revocation;
#[cfg(feature = "testing")]
pub mod testing;
mod token;
mod verifier;
mod vocabulary;

// One public path per item.
#[cfg(feature = "actix-web")]
pub use http::adapters::actix;
#[cfg(feature = "axum")]
pub use http::adapters::axum;
#[cfg(feature = "poem")]
pub use http::adapters::poem;
#[cfg(feature = "rocket")]
pub use http::adapters::rocket;
#[cfg(feature = "salvo")]
pub use http::adapters::salvo;
#[cfg(feature = "tonic")]
pub use http::adapters::tonic;
#[cfg(feature = "tower")]
pub use http::layer;
pub use http::{guard, propagate};

pub use algorithm::{Algorithm, UnknownAlgorithm};
#[cfg(feature = "token-endpoint")]
pub use authority::clients::ServiceClient;
#[cfg(feature = "token-endpoint")]
pub use authority::sessions::{
    DEFAULT_ABSOLUTE_LIFETIME, DEFAULT_IDLE_LIFETIME, SessionError, SessionStore, SessionTokens,
    Sessions, SessionsBuilder,
};
#[cfg(feature = "token-endpoint")]
pub use authority::token_endpoint::{
    ACCESS_TOKEN_TYPE, CLIENT_CREDENTIALS, IssuedToken, JWT_BEARER_ASSERTION, REFRESH_TOKEN,
    TOKEN_EXCHANGE, TokenEndpoint, TokenEndpointBuilder, TokenError, TokenRequest,
};
pub use authority::{Authority, AuthorityBuilder, DEFAULT_LIFETIME, KeyDirectory, TokenBuilder};
pub use clock::{Clock, FixedClock, SystemClock};
pub use crypto::BACKEND;
pub use error::{AuthError, ConfigError, ErrorClass, IssueError, KeyDirectoryError, KeyError};
pub use http::bearer::{bearer_from_values, bearer_token, parse_authorization};
pub use http::check::{AccessRequest, CheckOutcome, HttpFacts, RequestFacts};
pub use http::default_verifier::{default_verifier, install_default_verifier};
pub use http::rejection::{AuthRejection, DEFAULT_REALM, RejectionBody};
pub use http::sources::{Csrf, HttpView, RequestView, TokenLocation, TokenLocations};
pub use keys::jwk::{Jwk, JwkSet};
#[cfg(feature = "jwks")]
pub use keys::jwks_client::{JwksClient, JwksClientBuilder, JwksConfig, JwksError, RefreshError};
pub use keys::set::{KeySet, RefusedKey};
pub use keys::signing::SigningKey;
pub use keys::verifying::{MAX_RSA_BITS, MIN_RSA_BITS, VerifyingKey};
pub use requirement::{ClaimConstant, ClaimValue, Requirement, RequirementKind};
pub use revocation::{
    Revocation, RevocationError, RevocationList, RevocationPolicy, RevocationPublisher, SyncStatus,
};
pub use token::claims::{Audience, Claims, RolesLocation};
pub use token::jws::{JwsHeader, VerifiedJws};
pub use verifier::cache::{CacheConfig, CacheStats};
pub use verifier::{
    DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_LEN, MAX_LEEWAY, TrustedIssuer, VerifiedToken, Verifier,
    VerifierBuilder,
};
pub use vocabulary::{RoleVocabulary, UnknownRole};

/// What the macros' output and the facade need: the claims slots, the type-level encoding of
/// requirements, the explicit-source entry. Not public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::http::expansion::{
        ClaimsType, FromAuthError, Optional, Required, authenticate, authenticate_source,
        checked_token_locations, into_error, token_locations_declared,
    };
    pub use crate::requirement::{
        AllOf, AnyOf, Bool, Caller, ClaimIs, Cons, Int, Name, NameList, Nil, NoRequirement, Not,
        RequirementList, Role, Scope, StaticName, Str, describe, pack,
    };
    // The rest of what the macros' output names (the facade has it too), so that this crate's
    // doc examples can run the macros on it (`extern crate auth_runtime as auth`).
    pub use crate::error::AuthError;
    pub use crate::http::check::{AccessRequest, CheckOutcome, checked_claims};
    pub use crate::http::guard::{
        Authenticated, Check, Checked, ClaimsSlot, HandlerLocations, VerifierLocations,
    };
    pub use crate::token::claims::Claims;
    /// The refusals' body that generated OpenAPI responses name.
    #[cfg(feature = "openapi")]
    pub mod openapi {
        pub use crate::openapi::RefusalBody;
    }
}
