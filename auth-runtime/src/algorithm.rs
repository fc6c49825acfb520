//! The signature algorithms the runtime accepts, and their properties.

use std::fmt;
use std::str::FromStr;

/// A JWS signature algorithm (RFC 7518 section 3, RFC 8037): each key is bound to exactly one.
///
/// ```
/// use auth_runtime::Algorithm;
/// assert_eq!(Algorithm::ES256.name(), "ES256");
/// assert_eq!("EdDSA".parse::<Algorithm>(), Ok(Algorithm::EdDSA));
/// assert!("none".parse::<Algorithm>().is_err());
/// assert!(Algorithm::HS256.is_hmac());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(clippy::upper_case_acronyms)]
pub enum Algorithm {
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// EdDSA with Ed25519.
    EdDSA,
}

/// The key family of an algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Hmac,
    Rsa,
    Ec,
    Ed,
}

impl Algorithm {
    /// Every algorithm the runtime supports.
    pub const ALL: [Algorithm; 12] = {
        use Algorithm::*;
        [
            HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA,
        ]
    };

    /// The registered name (`"RS256"`, `"EdDSA"`, ...).
    pub const fn name(self) -> &'static str {
        use Algorithm::*;
        match self {
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
        }
    }

    /// Parses a registered name, exactly (case-sensitive, as RFC 7518 requires); `none` and
    /// unknown names give `None`.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Self::ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// Whether this is an HMAC (shared-secret) algorithm.
    pub const fn is_hmac(self) -> bool {
        matches!(self.family(), Family::Hmac)
    }

    pub(crate) const fn family(self) -> Family {
        use Algorithm::*;
        match self {
            HS256 | HS384 | HS512 => Family::Hmac,
            RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => Family::Rsa,
            ES256 | ES384 => Family::Ec,
            EdDSA => Family::Ed,
        }
    }

    /// Minimum HMAC secret length in bytes: the hash output size (RFC 7518 section 3.2).
    pub(crate) const fn hmac_min_len(self) -> usize {
        match self {
            Algorithm::HS384 => 48,
            Algorithm::HS512 => 64,
            _ => 32,
        }
    }

    /// The same algorithm in jsonwebtoken's type, for the crypto provider.
    pub(crate) const fn to_jwt(self) -> jsonwebtoken::Algorithm {
        use Algorithm::*;
        match self {
            HS256 => jsonwebtoken::Algorithm::HS256,
            HS384 => jsonwebtoken::Algorithm::HS384,
            HS512 => jsonwebtoken::Algorithm::HS512,
            RS256 => jsonwebtoken::Algorithm::RS256,
            RS384 => jsonwebtoken::Algorithm::RS384,
            RS512 => jsonwebtoken::Algorithm::RS512,
            PS256 => jsonwebtoken::Algorithm::PS256,
            PS384 => jsonwebtoken::Algorithm::PS384,
            PS512 => jsonwebtoken::Algorithm::PS512,
            ES256 => jsonwebtoken::Algorithm::ES256,
            ES384 => jsonwebtoken::Algorithm::ES384,
            EdDSA => jsonwebtoken::Algorithm::EdDSA,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An algorithm name that is not one of [`Algorithm`]'s (`none` among them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported algorithm name")]
pub struct UnknownAlgorithm;

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Algorithm::from_name(name).ok_or(UnknownAlgorithm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_exact() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(alg.name()), Some(alg));
            assert_eq!(alg.to_string(), alg.name());
            assert_eq!(
                Algorithm::from_name(&alg.name().to_lowercase()),
                None,
                "{alg}"
            );
        }
        assert_eq!(Algorithm::from_name("none"), None);
        assert_eq!(Algorithm::from_name("ES512"), None);
    }
}
