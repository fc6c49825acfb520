//! Between HTTP and the verifier: the bearer token of a request ([`bearer`]), the guard that
//! protected handlers run ([`guard`]), forwarding a token to the next service ([`propagate`]),
//! the one rejection every adapter sends ([`rejection`]), the deny-by-default tower layer
//! ([`layer`], feature `tower`), and the framework adapters.

pub(crate) mod adapters;
pub(crate) mod bearer;
pub(crate) mod check;
pub(crate) mod default_verifier;
pub(crate) mod expansion;
pub mod guard;
#[cfg(feature = "tower")]
pub mod layer;
pub mod propagate;
pub(crate) mod rejection;
pub(crate) mod sources;
