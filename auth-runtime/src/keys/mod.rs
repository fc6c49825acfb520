//! Keys: the public keys a verifier trusts ([`VerifyingKey`], found by `kid` in a [`KeySet`]),
//! the private keys an authority signs with ([`SigningKey`]), JWKs in both directions, and the
//! JWKS client that keeps a remote authority's keys fresh (feature `jwks`).
//!
//! Every key is validated when it is loaded (docs/design.md, "Key validation").

pub(crate) mod jwk;
#[cfg(feature = "jwks")]
pub(crate) mod jwks_client;
pub(crate) mod set;
pub(crate) mod signing;
pub(crate) mod verifying;
