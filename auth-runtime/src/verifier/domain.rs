//! One trusted authority of a verifier: its keys (in memory, or kept fresh from its JWK Set),
//! its issuers and its audiences.

use std::fmt;

use crate::error::AuthError;
use crate::keys::set::KeySet;
use crate::token::jws::{self, HeaderPolicy, VerifiedJws};

/// The keys, issuers and audiences of one trusted authority.
pub(crate) struct Domain {
    pub(crate) keys: KeySource,
    pub(crate) issuers: Option<Vec<String>>,
    pub(crate) audiences: Option<Vec<String>>,
}

impl fmt::Debug for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Domain")
            .field("keys", &self.keys.with(KeySet::len))
            .field("remote", &!matches!(self.keys, KeySource::Static(_)))
            .field("issuers", &self.issuers)
            .field("audiences", &self.audiences)
            .finish()
    }
}

impl Domain {
    /// The token's header, key and signature checked (see [`jws::verify`]).
    pub(crate) fn verify_signature(
        &self,
        token: &[u8],
        header: &HeaderPolicy,
    ) -> Result<VerifiedJws, AuthError> {
        self.with_keys(|keys| jws::verify(token, keys, header))
    }

    /// [`verify_signature`](Self::verify_signature) for the payload alone.
    pub(crate) fn verify_payload(
        &self,
        token: &[u8],
        header: &HeaderPolicy,
    ) -> Result<Vec<u8>, AuthError> {
        self.with_keys(|keys| jws::verify_payload(token, keys, header))
    }

    /// `check` against the current keys; a refusal for an unknown `kid` asks a JWKS client for
    /// an early refetch.
    fn with_keys<T>(
        &self,
        check: impl FnOnce(&KeySet) -> Result<T, AuthError>,
    ) -> Result<T, AuthError> {
        let result = self.keys.with(check);
        #[cfg(feature = "jwks")]
        if let (Err(AuthError::UnknownKey), KeySource::Remote(client)) = (&result, &self.keys) {
            client.request_refetch();
        }
        result
    }
}

/// Keys held in memory, or kept fresh from an authority's JWK Set.
pub(crate) enum KeySource {
    Static(KeySet),
    #[cfg(feature = "jwks")]
    Remote(crate::JwksClient),
}

impl KeySource {
    pub(crate) fn generation(&self) -> u64 {
        match self {
            KeySource::Static(_) => 0,
            #[cfg(feature = "jwks")]
            KeySource::Remote(client) => client.generation(),
        }
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(&KeySet) -> R) -> R {
        match self {
            KeySource::Static(keys) => f(keys),
            #[cfg(feature = "jwks")]
            KeySource::Remote(client) => client.with_keys(f),
        }
    }
}
