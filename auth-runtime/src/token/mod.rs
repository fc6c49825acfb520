//! The token itself: the signature layer of a compact JWS ([`jws`]) and the claims it carries
//! ([`claims`]).

pub(crate) mod alphabet;
pub(crate) mod claims;
pub(crate) mod json;
pub(crate) mod jws;
pub(crate) mod known_header;
