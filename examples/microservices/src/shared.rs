//! What the services of one deployment share: the revocations and the authority's sessions.
//! In one process (no `REDIS_URL`), a list the authority writes and every verifier reads; with
//! `REDIS_URL`, each process's own list, fed from the Redis stream the authority writes to,
//! and the sessions in Redis, so that replicas and restarted authorities agree.

use auth::revocation::redis::{Follower, RedisRevocations};
use auth::{RevocationList, RevocationPolicy, RevocationPublisher, SessionStore};

use crate::Error;

/// The revocations and sessions of this process.
pub struct Shared {
    /// What this process's verifiers honour.
    pub revocations: RevocationList,
    /// Where the authority sends the revocations it makes.
    pub publisher: RevocationPublisher,
    /// Where the authority keeps its sessions.
    pub sessions: SessionStore,
    /// Feeds `revocations` from Redis while it lives.
    follower: Option<Follower>,
}

impl Shared {
    /// In this process only.
    pub fn in_process() -> Shared {
        let revocations = RevocationList::new();
        Shared {
            publisher: RevocationPublisher::Local(revocations.clone()),
            revocations,
            sessions: SessionStore::memory(),
            follower: None,
        }
    }

    /// Through the Redis server at `url`: returns once the revocations made so far are read
    /// (or Redis was found unreachable; the feed then keeps trying in the background).
    pub async fn through_redis(url: &str) -> Result<Shared, Error> {
        let redis = RedisRevocations::open(url)?;
        let revocations = RevocationList::fed(RevocationPolicy::FailOpen);
        let follower = redis.follow(revocations.clone()).await;
        Ok(Shared {
            revocations,
            publisher: RevocationPublisher::Redis(redis),
            sessions: SessionStore::redis(url)?,
            follower: Some(follower),
        })
    }

    /// Whether a Redis feed is running.
    pub fn follows_redis(&self) -> bool {
        self.follower.is_some()
    }
}
