//! Revocations shared through Redis: the authority appends each one to a Redis stream, and
//! every replica of every service follows the stream into its own [`RevocationList`].
//!
//! - A stream, not pub/sub: a follower that was away reads on from the last entry it applied,
//!   so nothing published while it was disconnected (or while Redis restarted, with its data
//!   persisted) is lost. A new follower reads the whole stream first.
//! - The request path never calls Redis: verifiers read the local list.
//! - [`RedisRevocations::revoke`] returns only once Redis has taken the entry; a revocation
//!   Redis did not take is an error, for the caller not to acknowledge.
//! - The stream is trimmed to the entries younger than the retention (default 24 hours,
//!   which must exceed the longest lifetime of an access token): older ones name expired
//!   tokens only.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use redis::AsyncConnectionConfig;
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamReadOptions, StreamReadReply};

use crate::clock::{Clock, SystemClock};
use crate::revocation::{Revocation, RevocationError, RevocationList};

/// The stream's default key.
pub const DEFAULT_STREAM: &str = "auth:revocations";
/// How long entries stay in the stream by default.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

/// How long a follower's read waits for new entries before it counts as a sync.
const BLOCK: Duration = Duration::from_secs(1);
/// Entries read at once.
const BATCH: usize = 1_000;
/// The first and the longest wait before reconnecting.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(5));
/// The stream entry's field holding the revocation as JSON.
const FIELD: &str = "revocation";

/// Publishes revocations to a Redis stream and follows it into local lists.
///
/// ```no_run
/// use auth_runtime::revocation::redis::RedisRevocations;
/// use auth_runtime::{Revocation, RevocationList, RevocationPolicy};
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let redis = RedisRevocations::open("redis://127.0.0.1:6379")?;
///
/// // Every replica: a local list, fed from the stream, for its verifier.
/// let revocations = RevocationList::fed(RevocationPolicy::FailOpen);
/// let _follower = redis.follow(revocations.clone()).await;
/// # let authority = auth_runtime::testing::authority(auth_runtime::Algorithm::ES256);
/// let verifier = authority.verifier().revocations(revocations).build()?;
///
/// // The authority, at a logout: acknowledged once Redis has it.
/// redis.revoke(&Revocation::session("s-42", 1_900_000_000)).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisRevocations {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    stream: String,
    retention: Duration,
    clock: Arc<dyn Clock>,
    /// The connection publishing, made at first use and again after a failure.
    publisher: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    /// The list the first follower fills: a revocation published here applies to it at once,
    /// before the stream brings it back.
    local: OnceLock<RevocationList>,
}

impl fmt::Debug for RedisRevocations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRevocations")
            .field("server", &self.inner.client.get_connection_info().addr())
            .field("stream", &self.inner.stream)
            .field("retention", &self.inner.retention)
            .finish()
    }
}

impl RedisRevocations {
    /// The stream [`DEFAULT_STREAM`] on the Redis server at `url` (`redis://host:port/db`,
    /// with a password as `redis://:password@host`). Connects at first use, not here.
    pub fn open(url: &str) -> Result<Self, RevocationError> {
        Self::with_stream(url, DEFAULT_STREAM, DEFAULT_RETENTION)
    }

    /// The stream `stream`, keeping entries for `retention` (longer than the longest access
    /// token lifetime).
    pub fn with_stream(
        url: &str,
        stream: impl Into<String>,
        retention: Duration,
    ) -> Result<Self, RevocationError> {
        let client = redis::Client::open(url)
            .map_err(|e| RevocationError::Config(format!("REDIS url {url:?}: {e}")))?;
        Ok(RedisRevocations {
            inner: Arc::new(Inner {
                client,
                stream: stream.into(),
                retention,
                clock: Arc::new(SystemClock),
                publisher: tokio::sync::Mutex::new(None),
                local: OnceLock::new(),
            }),
        })
    }

    /// Appends `revocation` to the stream; `Ok` once Redis has taken it (what an authority may
    /// acknowledge), an error if it could not be reached (the revocation is not made: say so
    /// to the caller and let them retry). Applies it to the followed local list at once too.
    pub async fn revoke(&self, revocation: &Revocation) -> Result<(), RevocationError> {
        let json = serde_json::to_string(revocation)
            .map_err(|e| RevocationError::Config(e.to_string()))?;
        let retention_ms = u64::try_from(self.inner.retention.as_millis()).unwrap_or(u64::MAX);
        let now_ms = self.inner.clock.now().saturating_mul(1_000);
        let min_id = format!("{}-0", now_ms.saturating_sub(retention_ms));
        let mut add = redis::cmd("XADD");
        add.arg(&self.inner.stream)
            .arg("MINID")
            .arg("~")
            .arg(min_id)
            .arg("*")
            .arg(FIELD)
            .arg(json);
        let mut slot = self.inner.publisher.lock().await;
        // A connection kept from before may have died with a Redis restart: one more try on a
        // fresh one (a revocation added twice is the same revocation).
        let mut fresh = slot.is_none();
        loop {
            let connection = match slot.as_mut() {
                Some(connection) => connection,
                None => slot.insert(connect(&self.inner.client, None).await?),
            };
            let added: Result<String, _> = add.query_async(connection).await;
            match added {
                Ok(_) => break,
                Err(error) => {
                    *slot = None;
                    if fresh {
                        return Err(RevocationError::Unavailable(error.to_string()));
                    }
                    fresh = true;
                }
            }
        }
        drop(slot);
        if let Some(local) = self.inner.local.get() {
            local.revoke(revocation);
        }
        Ok(())
    }

    /// Fills `list` from the stream in a background task, from its first entry, then with
    /// every new one as it is published; reconnects with backoff after a failure and reads on
    /// from the last entry applied. Marks the list in sync after each read that found it
    /// complete, and out of sync (logged as a warning) while Redis cannot be reached.
    ///
    /// Returns once the stream has been read up to now, or after the first failure to reach
    /// Redis (logged; the list then serves with what it has, and catches up later). The
    /// follower stops when the returned handle is dropped.
    pub async fn follow(&self, list: RevocationList) -> Follower {
        let _ = self.inner.local.set(list.clone());
        let (first_sync, first) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(follow(self.clone(), list, first_sync));
        // Either outcome lets the caller go on: a sync, or a first failure.
        let _ = first.await;
        Follower { task }
    }
}

/// The background task of [`RedisRevocations::follow`]; stops it when dropped.
#[derive(Debug)]
pub struct Follower {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn connect(
    client: &redis::Client,
    response_timeout: Option<Duration>,
) -> Result<MultiplexedConnection, RevocationError> {
    let mut config = AsyncConnectionConfig::new().set_connection_timeout(Some(BACKOFF.1));
    if let Some(timeout) = response_timeout {
        config = config.set_response_timeout(Some(timeout));
    }
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(|e| RevocationError::Unavailable(e.to_string()))
}

/// Reads the stream from the start into `list`, forever.
async fn follow(
    redis: RedisRevocations,
    list: RevocationList,
    first_sync: tokio::sync::oneshot::Sender<()>,
) {
    let inner = &redis.inner;
    let mut first_sync = Some(first_sync);
    let mut last_id = String::from("0-0");
    let mut backoff = BACKOFF.0;
    let mut lost_since: Option<std::time::Instant> = None;
    loop {
        let failure = match connect(&inner.client, Some(BLOCK * 3)).await {
            Ok(mut connection) => {
                read_on(&redis, &list, &mut connection, &mut last_id, || {
                    backoff = BACKOFF.0;
                    if let Some(since) = lost_since.take() {
                        tracing::info!(target: "auth", stream = %inner.stream, after = ?since.elapsed(), "revocation feed: caught up with Redis again");
                    }
                    if let Some(first) = first_sync.take() {
                        let _ = first.send(());
                    }
                })
                .await
            }
            Err(error) => error,
        };
        list.record_sync_lost();
        if lost_since.is_none() {
            lost_since = Some(std::time::Instant::now());
        }
        tracing::warn!(target: "auth", stream = %inner.stream, %failure, retry_in = ?backoff, entries = list.len(), "revocation feed: Redis unreachable; deciding with the revocations known so far");
        if let Some(first) = first_sync.take() {
            let _ = first.send(());
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF.1);
    }
}

/// Reads entries after `last_id` until a read fails; `synced` runs after each read that left
/// nothing unread.
async fn read_on(
    redis: &RedisRevocations,
    list: &RevocationList,
    connection: &mut MultiplexedConnection,
    last_id: &mut String,
    mut synced: impl FnMut(),
) -> RevocationError {
    let inner = &redis.inner;
    let block_ms = usize::try_from(BLOCK.as_millis()).unwrap_or(1_000);
    let options = StreamReadOptions::default().block(block_ms).count(BATCH);
    loop {
        let asked_at = inner.clock.now();
        let reply: Result<Option<StreamReadReply>, _> = redis::cmd("XREAD")
            .arg(&options)
            .arg("STREAMS")
            .arg(&inner.stream)
            .arg(last_id.as_str())
            .query_async(connection)
            .await;
        let reply = match reply {
            Ok(reply) => reply,
            Err(error) => return RevocationError::Unavailable(error.to_string()),
        };
        let entries: Vec<_> = reply
            .into_iter()
            .flat_map(|r| r.keys)
            .flat_map(|k| k.ids)
            .collect();
        let complete = entries.len() < BATCH;
        let mut revocations = Vec::with_capacity(entries.len());
        for entry in &entries {
            match entry
                .get::<String>(FIELD)
                .map(|json| serde_json::from_str::<Revocation>(&json))
            {
                Some(Ok(revocation)) => revocations.push(revocation),
                // Written by something else: skipped, never fatal.
                _ => {
                    tracing::warn!(target: "auth", stream = %inner.stream, id = %entry.id, "revocation feed: an entry that is not a revocation, skipped")
                }
            }
        }
        if let Some(last) = entries.last() {
            last_id.clone_from(&last.id);
        }
        let changed = list.revoke_all(&revocations);
        if changed > 0 {
            tracing::debug!(target: "auth", changed, entries = list.len(), "revocation feed: applied");
        }
        if complete {
            list.record_sync(asked_at);
            synced();
        }
    }
}
