//! Sessions in Redis: every authority process sharing the server sees the same sessions, so a
//! restart or a second process keeps them.
//!
//! Keys, under a prefix: `session:<sid>` (the record as JSON, expiring with the session's
//! absolute lifetime), `refresh:<hash>` (`{"sid", "used"}`, expiring with its session),
//! `subject:<sub>` (the set of the subject's session ids, for "log out everywhere") and
//! `cutoff:<sub>` (the instant before which the subject's sessions are over). A rotation is
//! one Lua script, so two concurrent refreshes with the same token cannot both succeed.

use std::time::Duration;

use redis::aio::MultiplexedConnection;

use super::{Rotation, SessionRecord};
use crate::revocation::RevocationError;

/// `KEYS`: the old refresh token's key, the new one's. `ARGV`: now, the key prefix.
/// Returns `{"rotated", record}`, `{"reused", sid}`, `{"over", sid}` or `{"unknown"}`.
const ROTATE: &str = r#"
local old = redis.call('GET', KEYS[1])
if not old then return {'unknown'} end
local refresh = cjson.decode(old)
local session_key = ARGV[2] .. 'session:' .. refresh.sid
if refresh.used then
  redis.call('DEL', session_key)
  return {'reused', refresh.sid}
end
local stored = redis.call('GET', session_key)
if not stored then return {'unknown'} end
local session = cjson.decode(stored)
local now = tonumber(ARGV[1])
local cutoff = tonumber(redis.call('GET', ARGV[2] .. 'cutoff:' .. session.sub) or '-1')
if now >= session.absolute_expiry or now >= session.last_used + session.idle
   or session.created_at <= cutoff then
  redis.call('DEL', session_key)
  return {'over', refresh.sid}
end
refresh.used = true
redis.call('SET', KEYS[1], cjson.encode(refresh), 'KEEPTTL')
session.last_used = now
local record = cjson.encode(session)
redis.call('SET', session_key, record, 'KEEPTTL')
redis.call('SET', KEYS[2], cjson.encode({sid = refresh.sid, used = false}), 'EXAT', session.absolute_expiry)
return {'rotated', record}
"#;

/// One command or one pipeline.
#[derive(Clone, Copy)]
enum Query<'a> {
    Cmd(&'a redis::Cmd),
    Pipe(&'a redis::Pipeline),
}

pub struct RedisStore {
    client: redis::Client,
    prefix: String,
    connection: tokio::sync::Mutex<Option<MultiplexedConnection>>,
}

fn unavailable(error: impl std::fmt::Display) -> RevocationError {
    RevocationError::Unavailable(error.to_string())
}

impl RedisStore {
    pub(crate) fn open(url: &str, prefix: &str) -> Result<Self, RevocationError> {
        let client = redis::Client::open(url)
            .map_err(|e| RevocationError::Config(format!("REDIS url {url:?}: {e}")))?;
        Ok(RedisStore {
            client,
            prefix: prefix.to_owned(),
            connection: tokio::sync::Mutex::new(None),
        })
    }

    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Runs `run` on the shared connection, made at first use and again after a failure.
    /// `idempotent`: a failure on a connection kept from before (which may have died with a
    /// Redis restart) is tried once more on a fresh one.
    async fn run<T: redis::FromRedisValue>(
        &self,
        idempotent: bool,
        query: Query<'_>,
    ) -> Result<T, RevocationError> {
        let mut slot = self.connection.lock().await;
        let mut fresh = slot.is_none() || !idempotent;
        loop {
            let connection = match slot.as_mut() {
                Some(connection) => connection,
                None => {
                    let config = redis::AsyncConnectionConfig::new()
                        .set_connection_timeout(Some(Duration::from_secs(2)));
                    slot.insert(
                        self.client
                            .get_multiplexed_async_connection_with_config(&config)
                            .await
                            .map_err(unavailable)?,
                    )
                }
            };
            let result = match query {
                Query::Cmd(cmd) => cmd.query_async(connection).await,
                Query::Pipe(pipe) => pipe.query_async(connection).await,
            };
            match result {
                Ok(value) => return Ok(value),
                Err(error) => {
                    *slot = None;
                    if fresh {
                        return Err(unavailable(error));
                    }
                    fresh = true;
                }
            }
        }
    }

    pub(crate) async fn create(
        &self,
        record: &SessionRecord,
        refresh_hash: &str,
        now: u64,
    ) -> Result<(), RevocationError> {
        let json = serde_json::to_string(record).map_err(unavailable)?;
        let refresh = serde_json::json!({"sid": record.sid, "used": false}).to_string();
        let ttl = record.absolute_expiry.saturating_sub(now).max(1);
        let session_key = format!("{}session:{}", self.prefix, record.sid);
        let refresh_key = format!("{}refresh:{refresh_hash}", self.prefix);
        let subject_key = format!("{}subject:{}", self.prefix, record.sub);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SET")
            .arg(&session_key)
            .arg(&json)
            .arg("EX")
            .arg(ttl)
            .ignore()
            .cmd("SET")
            .arg(&refresh_key)
            .arg(&refresh)
            .arg("EX")
            .arg(ttl)
            .ignore()
            .cmd("SADD")
            .arg(&subject_key)
            .arg(&record.sid)
            .ignore()
            // The set outlives none of its sessions; ids of ended ones in it are harmless.
            .cmd("EXPIRE")
            .arg(&subject_key)
            .arg(ttl)
            .arg("GT")
            .ignore()
            .cmd("EXPIRE")
            .arg(&subject_key)
            .arg(ttl)
            .arg("NX")
            .ignore();
        self.run(true, Query::Pipe(&pipe)).await
    }

    pub(crate) async fn rotate(
        &self,
        old: &str,
        new: &str,
        now: u64,
    ) -> Result<Rotation, RevocationError> {
        let old_key = format!("{}refresh:{old}", self.prefix);
        let new_key = format!("{}refresh:{new}", self.prefix);
        let mut eval = redis::cmd("EVAL");
        eval.arg(ROTATE)
            .arg(2)
            .arg(&old_key)
            .arg(&new_key)
            .arg(now)
            .arg(&self.prefix);
        // Not tried twice: a rotation whose reply was lost may have been made, and making it
        // again would look like reuse.
        let reply: Vec<String> = self.run(false, Query::Cmd(&eval)).await?;
        Ok(match reply.as_slice() {
            [kind, record] if kind == "rotated" => {
                Rotation::Rotated(serde_json::from_str(record).map_err(unavailable)?)
            }
            [kind, sid] if kind == "reused" => Rotation::Reused(sid.clone()),
            [kind, sid] if kind == "over" => Rotation::Over(sid.clone()),
            _ => Rotation::Unknown,
        })
    }

    pub(crate) async fn remove(&self, sid: &str) -> Result<(), RevocationError> {
        let key = format!("{}session:{sid}", self.prefix);
        self.run(true, Query::Cmd(redis::cmd("DEL").arg(&key)))
            .await
    }

    /// Removes every session of `subject`; their ids.
    pub(crate) async fn remove_all_of(
        &self,
        subject: &str,
    ) -> Result<Vec<String>, RevocationError> {
        let key = format!("{}subject:{subject}", self.prefix);
        let sids: Vec<String> = self
            .run(true, Query::Cmd(redis::cmd("SMEMBERS").arg(&key)))
            .await?;
        if !sids.is_empty() {
            let mut del = redis::cmd("DEL");
            for sid in &sids {
                del.arg(format!("{}session:{sid}", self.prefix));
            }
            del.arg(&key);
            self.run::<()>(true, Query::Cmd(&del)).await?;
        }
        Ok(sids)
    }

    pub(crate) async fn session_of(
        &self,
        refresh_hash: &str,
    ) -> Result<Option<String>, RevocationError> {
        let key = format!("{}refresh:{refresh_hash}", self.prefix);
        let stored: Option<String> = self
            .run(true, Query::Cmd(redis::cmd("GET").arg(&key)))
            .await?;
        Ok(stored
            .and_then(|json| serde_json::from_str::<serde_json::Value>(&json).ok())
            .and_then(|v| v["sid"].as_str().map(str::to_owned)))
    }

    pub(crate) async fn cut_off(
        &self,
        subject: &str,
        now: u64,
        absolute: Duration,
    ) -> Result<(), RevocationError> {
        let key = format!("{}cutoff:{subject}", self.prefix);
        let ttl = absolute.as_secs().max(1);
        let mut set = redis::cmd("SET");
        set.arg(&key).arg(now).arg("EX").arg(ttl);
        self.run(true, Query::Cmd(&set)).await
    }
}
