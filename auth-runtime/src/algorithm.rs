//! The signature algorithms the runtime accepts, and their properties.

pub use jsonwebtoken::Algorithm;
use jsonwebtoken::AlgorithmFamily;

/// The registered name of `alg` (`"RS256"`, `"EdDSA"`, ...).
pub fn name(alg: Algorithm) -> &'static str {
    use Algorithm::*;
    match alg {
        HS256 => "HS256",
        HS384 => "HS384",
        HS512 => "HS512",
        RS256 => "RS256",
        RS384 => "RS384",
        RS512 => "RS512",
        PS256 => "PS256",
        PS384 => "PS384",
        PS512 => "PS512",
        ES256 => "ES256",
        ES384 => "ES384",
        EdDSA => "EdDSA",
        // `Algorithm` is non-exhaustive; a variant added upstream is not supported here.
        _ => "unsupported",
    }
}

/// Parses a registered algorithm name, exactly (case-sensitive, as RFC 7518 requires).
/// `none` and unknown names give `None`.
pub fn from_name(name: &str) -> Option<Algorithm> {
    use Algorithm::*;
    Some(match name {
        "HS256" => HS256,
        "HS384" => HS384,
        "HS512" => HS512,
        "RS256" => RS256,
        "RS384" => RS384,
        "RS512" => RS512,
        "PS256" => PS256,
        "PS384" => PS384,
        "PS512" => PS512,
        "ES256" => ES256,
        "ES384" => ES384,
        "EdDSA" => EdDSA,
        _ => return None,
    })
}

/// Every algorithm the runtime supports.
pub const ALL: [Algorithm; 12] = {
    use Algorithm::*;
    [
        HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA,
    ]
};

/// Whether `alg` is an HMAC (shared-secret) algorithm.
pub fn is_hmac(alg: Algorithm) -> bool {
    alg.family() == AlgorithmFamily::Hmac
}

/// Minimum HMAC secret length in bytes: the hash output size (RFC 7518 section 3.2).
pub(crate) fn hmac_min_len(alg: Algorithm) -> usize {
    match alg {
        Algorithm::HS384 => 48,
        Algorithm::HS512 => 64,
        _ => 32,
    }
}
