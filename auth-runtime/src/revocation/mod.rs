//! Revocation: tokens that stop verifying before their `exp`, by token (`jti`), by session
//! (`sid`) or by subject ("every token of `sub` issued until T").
//!
//! - [`RevocationList`] is the set a verifier consults, in the process: no network call on
//!   the request path. The verified-token cache honours it at once, at the cost of one atomic
//!   load per hit while nothing changes.
//! - Each entry carries the instant after which every token it names has expired anyway, and
//!   is dropped then.
//! - Where revocations come from is up to the deployment: in one process the authority adds
//!   them to the same list the services use; across processes a feed fills each replica's
//!   list (feature `redis`: [`redis::RedisRevocations`]).

mod list;
#[cfg(feature = "redis")]
pub mod redis;

pub use list::{RevocationList, RevocationPolicy, SyncStatus};

use serde::{Deserialize, Serialize};

/// A revocation that could not be made, or a store that could not be set up.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevocationError {
    /// The shared store (Redis) could not be reached or refused the write: nothing was
    /// revoked, and the caller must not say it was.
    #[error("the revocation store is unavailable: {0}")]
    Unavailable(String),
    /// The store's configuration is unusable (its URL, say).
    #[error("the revocation store is misconfigured: {0}")]
    Config(String),
}

/// One revocation: what it names, and until when it must be remembered.
///
/// `until` is the instant (seconds since the epoch) after which every token it names has
/// expired anyway (their `exp` plus the verifiers' leeway); the entry is dropped then.
///
/// ```
/// use auth_runtime::Revocation;
/// let one_token = Revocation::token("b3c1e2", 1_900_000_000);
/// let a_session = Revocation::session("s-42", 1_900_000_900);
/// let everything_of_bob = Revocation::subject_before("bob", 1_899_999_000, 1_900_000_000);
/// assert_ne!(one_token, a_session);
/// assert_eq!(everything_of_bob.until(), 1_900_000_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Revocation {
    /// The token whose `jti` is `jti`.
    Token {
        /// The token's `jti`.
        jti: String,
        /// When the token expires (plus leeway).
        until: u64,
    },
    /// Every token of the session `sid` (the `sid` claim).
    Session {
        /// The session id.
        sid: String,
        /// When the last token of the session expires (plus leeway).
        until: u64,
    },
    /// Every token of the subject `sub` issued at or before `issued_until` (its `iat`).
    Subject {
        /// The subject.
        sub: String,
        /// Tokens with `iat` at or before this instant are revoked.
        issued_until: u64,
        /// When the last of those tokens expires (plus leeway).
        until: u64,
    },
}

impl Revocation {
    /// Revokes the token whose `jti` is `jti`, remembered until `until`.
    pub fn token(jti: impl Into<String>, until: u64) -> Self {
        Revocation::Token {
            jti: jti.into(),
            until,
        }
    }

    /// Revokes every token of session `sid`, remembered until `until`.
    pub fn session(sid: impl Into<String>, until: u64) -> Self {
        Revocation::Session {
            sid: sid.into(),
            until,
        }
    }

    /// Revokes every token of `sub` issued at or before `issued_until`, remembered until
    /// `until`.
    pub fn subject_before(sub: impl Into<String>, issued_until: u64, until: u64) -> Self {
        Revocation::Subject {
            sub: sub.into(),
            issued_until,
            until,
        }
    }

    /// The instant after which the tokens it names have all expired.
    pub fn until(&self) -> u64 {
        match self {
            Revocation::Token { until, .. }
            | Revocation::Session { until, .. }
            | Revocation::Subject { until, .. } => *until,
        }
    }
}

/// Where an authority sends the revocations it makes: to the verifiers' list in its own
/// process, or to the Redis stream every replica follows.
#[derive(Clone, Debug)]
pub enum RevocationPublisher {
    /// The list of this process's verifiers (one process, no shared store).
    Local(RevocationList),
    /// The Redis stream; `Ok` only once Redis has taken the revocation.
    #[cfg(feature = "redis")]
    Redis(redis::RedisRevocations),
}

impl RevocationPublisher {
    /// Makes `revocation`: `Ok` once it is applied (local) or persisted (Redis); an error
    /// means it was not made and must not be acknowledged.
    pub async fn revoke(&self, revocation: &Revocation) -> Result<(), RevocationError> {
        match self {
            RevocationPublisher::Local(list) => {
                list.revoke(revocation);
                Ok(())
            }
            #[cfg(feature = "redis")]
            RevocationPublisher::Redis(redis) => redis.revoke(revocation).await,
        }
    }
}
