//! Sessions at the authority: a login starts one, with a short-lived access token (carrying
//! `sid`) and an opaque refresh token; each refresh rotates the refresh token; a logout, a
//! revocation or a reused refresh token ends it.
//!
//! - Refresh tokens are 256 random bits, base64url; only their SHA-256 is stored.
//! - Reuse detection: a refresh token is good once. Presenting it again means two parties
//!   hold it (one of them a thief), so the whole session ends and its access tokens are
//!   revoked.
//! - A session lasts at most its absolute lifetime from the login, and ends when unused for
//!   its idle lifetime.
//! - The store is in memory (one authority process) or in Redis (feature `redis`), where a
//!   restarted or second authority finds the sessions.

mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::authority::Authority;
use crate::error::ConfigError;
use crate::revocation::{Revocation, RevocationError, RevocationPublisher};
use crate::verifier::MAX_LEEWAY;

/// Default absolute lifetime of a session: 12 hours from the login.
pub const DEFAULT_ABSOLUTE_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);
/// Default idle lifetime: a session unused (not refreshed) for 1 hour ends.
pub const DEFAULT_IDLE_LIFETIME: Duration = Duration::from_secs(60 * 60);

/// Where sessions and refresh tokens are kept.
#[derive(Clone)]
pub enum SessionStore {
    /// In this process: sessions end when it stops.
    Memory(Arc<memory::MemoryStore>),
    /// In Redis, under keys starting with the prefix: shared by every authority process.
    #[cfg(feature = "redis")]
    Redis(Arc<redis::RedisStore>),
}

impl fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionStore::Memory(_) => f.write_str("SessionStore::Memory"),
            #[cfg(feature = "redis")]
            SessionStore::Redis(store) => write!(f, "SessionStore::Redis({:?})", store.prefix()),
        }
    }
}

impl SessionStore {
    /// Sessions in this process.
    pub fn memory() -> Self {
        SessionStore::Memory(Arc::default())
    }

    /// Sessions in the Redis server at `url`, under keys starting with `auth:`.
    #[cfg(feature = "redis")]
    pub fn redis(url: &str) -> Result<Self, RevocationError> {
        Ok(SessionStore::Redis(Arc::new(redis::RedisStore::open(
            url, "auth:",
        )?)))
    }
}

/// One session as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct SessionRecord {
    pub(crate) sid: String,
    pub(crate) sub: String,
    pub(crate) roles: Vec<String>,
    /// Seconds since the epoch.
    pub(crate) created_at: u64,
    pub(crate) last_used: u64,
    pub(crate) absolute_expiry: u64,
    pub(crate) idle: u64,
}

impl SessionRecord {
    /// Whether the session is over at `now`, or was started no later than `cutoff`.
    pub(crate) fn is_over(&self, now: u64, cutoff: Option<u64>) -> bool {
        now >= self.absolute_expiry
            || now >= self.last_used.saturating_add(self.idle)
            || cutoff.is_some_and(|cutoff| self.created_at <= cutoff)
    }
}

/// What presenting a refresh token found.
pub(crate) enum Rotation {
    /// Good: the session, now under the new refresh token.
    Rotated(SessionRecord),
    /// Used before: the session `sid` is ended.
    Reused(String),
    /// Past its lifetimes, or ended by a subject-wide logout: the session `sid` is ended.
    Over(String),
    /// Never issued, or its session is gone.
    Unknown,
}

/// What a login or a refresh hands to the client.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionTokens {
    /// The access token, carrying `sid`.
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The refresh token: good for one refresh.
    pub refresh_token: String,
    /// The session's id (the `sid` claim).
    pub sid: String,
}

impl fmt::Debug for SessionTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionTokens")
            .field("sid", &self.sid)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// Why a session operation failed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The refresh token is unknown, expired, or was used before (then the session is ended):
    /// `invalid_grant` (RFC 6749 section 5.2).
    #[error("the refresh token is invalid: {0}")]
    InvalidGrant(&'static str),
    /// The store or the revocation feed could not be reached: nothing was changed, or not
    /// acknowledged; try again.
    #[error(transparent)]
    Unavailable(#[from] RevocationError),
    /// A token could not be signed.
    #[error("the access token could not be signed: {0}")]
    Signing(String),
}

/// The authority's sessions: login, refresh with rotation and reuse detection, logout.
///
/// ```
/// use auth_runtime::{RevocationList, RevocationPublisher, SessionStore, Sessions};
/// # let authority = auth_runtime::testing::authority(auth_runtime::Algorithm::ES256);
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let revocations = RevocationList::new();
/// let sessions = Sessions::builder(authority.clone())
///     .store(SessionStore::memory())
///     .revocations(RevocationPublisher::Local(revocations.clone()))
///     .build()?;
/// let verifier = authority.verifier().revocations(revocations).build()?;
///
/// let login = sessions.start("bob", vec!["user".into()]).await?;
/// let refreshed = sessions.refresh(&login.refresh_token).await?;
/// assert!(verifier.verify(&refreshed.access_token).is_ok());
///
/// // The first refresh token again: reuse, the session ends, its tokens are revoked.
/// assert!(sessions.refresh(&login.refresh_token).await.is_err());
/// assert!(verifier.verify(&refreshed.access_token).is_err());
/// assert!(sessions.refresh(&refreshed.refresh_token).await.is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Sessions {
    inner: Arc<Inner>,
}

struct Inner {
    authority: Authority,
    store: SessionStore,
    revocations: RevocationPublisher,
    absolute: Duration,
    idle: Duration,
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sessions")
            .field("store", &self.inner.store)
            .field("revocations", &self.inner.revocations)
            .field("absolute", &self.inner.absolute)
            .field("idle", &self.inner.idle)
            .finish()
    }
}

/// Configures [`Sessions`].
#[must_use]
pub struct SessionsBuilder {
    authority: Authority,
    store: Option<SessionStore>,
    revocations: Option<RevocationPublisher>,
    absolute: Duration,
    idle: Duration,
}

impl SessionsBuilder {
    /// Where sessions are kept (required).
    pub fn store(mut self, store: SessionStore) -> Self {
        self.store = Some(store);
        self
    }

    /// Where the revocations of ended sessions go (required): the verifiers' list in this
    /// process, or the Redis stream the replicas follow.
    pub fn revocations(mut self, revocations: RevocationPublisher) -> Self {
        self.revocations = Some(revocations);
        self
    }

    /// The longest a session lasts from its login (default 12 hours).
    pub fn absolute_lifetime(mut self, lifetime: Duration) -> Self {
        self.absolute = lifetime;
        self
    }

    /// How long a session may go unrefreshed before it ends (default 1 hour); at least the
    /// access tokens' lifetime, or a client refreshing at expiry would find it ended.
    pub fn idle_lifetime(mut self, lifetime: Duration) -> Self {
        self.idle = lifetime;
        self
    }

    /// Checks the settings.
    pub fn build(self) -> Result<Sessions, ConfigError> {
        let store = self
            .store
            .ok_or(ConfigError::Sessions("sessions need a store"))?;
        let revocations = self.revocations.ok_or(ConfigError::Sessions(
            "sessions need a revocation publisher",
        ))?;
        if self.idle < self.authority.lifetime() || self.absolute < self.idle {
            return Err(ConfigError::Sessions(
                "a session's idle lifetime must be at least the access tokens' lifetime, and its absolute lifetime at least the idle one",
            ));
        }
        Ok(Sessions {
            inner: Arc::new(Inner {
                authority: self.authority,
                store,
                revocations,
                absolute: self.absolute,
                idle: self.idle,
            }),
        })
    }
}

/// 256 random bits, base64url.
fn random_token() -> Result<String, SessionError> {
    let mut bytes = [0u8; 32];
    crate::crypto::random_bytes(&mut bytes).map_err(SessionError::Signing)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What the store keeps of a refresh token: its SHA-256, hex.
pub(crate) fn refresh_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Sessions {
    /// Starts the configuration for `authority`'s sessions.
    pub fn builder(authority: Authority) -> SessionsBuilder {
        SessionsBuilder {
            authority,
            store: None,
            revocations: None,
            absolute: DEFAULT_ABSOLUTE_LIFETIME,
            idle: DEFAULT_IDLE_LIFETIME,
        }
    }

    fn now(&self) -> u64 {
        self.inner.authority.inner.clock.now()
    }

    /// Until when an access token issued now can verify: what a revocation made now must
    /// be remembered for.
    fn access_horizon(&self) -> u64 {
        self.now()
            .saturating_add(self.inner.authority.lifetime().as_secs())
            .saturating_add(MAX_LEEWAY.as_secs())
    }

    /// The authority these sessions issue for.
    pub fn authority(&self) -> &Authority {
        &self.inner.authority
    }

    /// Starts a session for `subject` with `roles` (after a login): its first access and
    /// refresh tokens.
    pub async fn start(
        &self,
        subject: &str,
        roles: Vec<String>,
    ) -> Result<SessionTokens, SessionError> {
        let now = self.now();
        let sid = random_token()?;
        let record = SessionRecord {
            sid,
            sub: subject.to_owned(),
            roles,
            created_at: now,
            last_used: now,
            absolute_expiry: now.saturating_add(self.inner.absolute.as_secs()),
            idle: self.inner.idle.as_secs(),
        };
        let refresh_token = random_token()?;
        let hash = refresh_hash(&refresh_token);
        match &self.inner.store {
            SessionStore::Memory(store) => store.create(&record, &hash, now),
            #[cfg(feature = "redis")]
            SessionStore::Redis(store) => store.create(&record, &hash, now).await?,
        }
        self.tokens(&record, refresh_token)
    }

    fn tokens(
        &self,
        record: &SessionRecord,
        refresh_token: String,
    ) -> Result<SessionTokens, SessionError> {
        let access_token = self
            .inner
            .authority
            .token(record.sub.clone())
            .roles(record.roles.iter().cloned())
            .claim("sid", &record.sid)
            .issue()
            .map_err(|e| SessionError::Signing(e.to_string()))?;
        Ok(SessionTokens {
            access_token,
            expires_in: self.inner.authority.lifetime().as_secs(),
            refresh_token,
            sid: record.sid.clone(),
        })
    }

    /// Trades `refresh_token` for a new access token and a new refresh token. A refresh
    /// token presented a second time ends its session and revokes its access tokens.
    pub async fn refresh(&self, refresh_token: &str) -> Result<SessionTokens, SessionError> {
        let now = self.now();
        let old = refresh_hash(refresh_token);
        let new_token = random_token()?;
        let new = refresh_hash(&new_token);
        let rotation = match &self.inner.store {
            SessionStore::Memory(store) => store.rotate(&old, &new, now),
            #[cfg(feature = "redis")]
            SessionStore::Redis(store) => store.rotate(&old, &new, now).await?,
        };
        match rotation {
            Rotation::Rotated(record) => self.tokens(&record, new_token),
            Rotation::Reused(sid) => {
                tracing::warn!(target: "auth", %sid, "a refresh token was used twice: session ended");
                self.revoke_session(&sid).await?;
                Err(SessionError::InvalidGrant(
                    "the refresh token was used before; the session is ended",
                ))
            }
            Rotation::Over(sid) => {
                self.revoke_session(&sid).await?;
                Err(SessionError::InvalidGrant("the session is over"))
            }
            Rotation::Unknown => Err(SessionError::InvalidGrant("unknown refresh token")),
        }
    }

    /// Ends the session `sid`: no more refreshes, and its access tokens are revoked once
    /// this returns `Ok`.
    pub async fn end(&self, sid: &str) -> Result<(), SessionError> {
        match &self.inner.store {
            SessionStore::Memory(store) => store.remove(sid),
            #[cfg(feature = "redis")]
            SessionStore::Redis(store) => store.remove(sid).await?,
        }
        self.revoke_session(sid).await
    }

    /// Ends the session of `refresh_token`, if it has one; returns whether it had.
    pub async fn end_by_refresh_token(&self, refresh_token: &str) -> Result<bool, SessionError> {
        let hash = refresh_hash(refresh_token);
        let sid = match &self.inner.store {
            SessionStore::Memory(store) => store.session_of(&hash),
            #[cfg(feature = "redis")]
            SessionStore::Redis(store) => store.session_of(&hash).await?,
        };
        match sid {
            Some(sid) => self.end(&sid).await.map(|()| true),
            None => Ok(false),
        }
    }

    /// Ends every session of `subject`, each one's access tokens revoked ("log out
    /// everywhere"). A login after it starts a new session, unaffected.
    pub async fn end_all(&self, subject: &str) -> Result<(), SessionError> {
        let sids = match &self.inner.store {
            SessionStore::Memory(store) => store.remove_all_of(subject),
            #[cfg(feature = "redis")]
            SessionStore::Redis(store) => store.remove_all_of(subject).await?,
        };
        for sid in &sids {
            self.revoke_session(sid).await?;
        }
        Ok(())
    }

    /// Revokes every access token issued to `subject` until now, whatever its session, and
    /// ends every session started until now (a compromised account). Counted in whole seconds
    /// (`iat`): a token issued later in the same second is revoked too.
    pub async fn revoke_subject(&self, subject: &str) -> Result<(), SessionError> {
        let now = self.now();
        match &self.inner.store {
            SessionStore::Memory(store) => store.cut_off(subject, now, self.inner.absolute),
            #[cfg(feature = "redis")]
            SessionStore::Redis(store) => store.cut_off(subject, now, self.inner.absolute).await?,
        }
        self.inner
            .revocations
            .revoke(&Revocation::subject_before(
                subject,
                now,
                self.access_horizon(),
            ))
            .await?;
        Ok(())
    }

    /// Revokes one access token by its `jti`, until it expires.
    pub async fn revoke_token(&self, jti: &str, exp: u64) -> Result<(), SessionError> {
        let until = exp.saturating_add(MAX_LEEWAY.as_secs());
        self.inner
            .revocations
            .revoke(&Revocation::token(jti, until))
            .await?;
        Ok(())
    }

    async fn revoke_session(&self, sid: &str) -> Result<(), SessionError> {
        self.inner
            .revocations
            .revoke(&Revocation::session(sid, self.access_horizon()))
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_are_random_and_stored_hashed() {
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "256 bits in base64url");
        let hash = refresh_hash(&a);
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains(&a));
    }

    #[test]
    fn a_session_is_over_after_either_lifetime_or_a_cutoff() {
        let record = SessionRecord {
            sid: "s".into(),
            sub: "bob".into(),
            roles: vec![],
            created_at: 100,
            last_used: 500,
            absolute_expiry: 1_000,
            idle: 300,
        };
        assert!(!record.is_over(700, None));
        assert!(record.is_over(800, None), "idle");
        assert!(record.is_over(1_000, Some(50)), "absolute");
        assert!(record.is_over(600, Some(100)), "started before the cutoff");
        assert!(!record.is_over(600, Some(99)));
    }
}
