//! The refusal cache: a token refused before is refused again without cryptography, with the
//! very same error (so the same status, challenge and body).
//!
//! - Keyed by the whole token text, like the verified-token cache.
//! - Never wrong later: a refusal holds only while nothing it depends on can change. A token
//!   refused as not yet valid (`nbf`, or `iat` in the future) is forgotten when it becomes
//!   valid; every refusal is tied to the key-set generation, so a key rotation (a new key for
//!   an unknown `kid`) forgets them all; and none is kept past the cache's maximum age.
//! - Bounded in entries and bytes: a quarter of the verified-token cache's bounds.
//!
//! A client stuck with an expired or foreign token, retrying in a loop, then costs a map lookup
//! per request instead of a signature check; a flood of *distinct* forged tokens is still
//! bounded by the signature check (nothing to reuse).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use quick_cache::Weighter;
use quick_cache::sync::Cache;

use crate::error::AuthError;
use crate::verifier::cache::CacheConfig;

/// Why a token was refused, and from when that answer may change (`None`: not before the key
/// set changes or the refusal ages out).
pub(crate) struct Refused {
    pub(crate) error: AuthError,
    pub(crate) changes_at: Option<u64>,
}

impl Refused {
    /// A refusal that holds as long as the key set.
    pub(crate) fn lasting(error: AuthError) -> Self {
        Refused {
            error,
            changes_at: None,
        }
    }
}

struct Entry {
    error: AuthError,
    /// Seconds since the epoch from which the refusal no longer holds.
    until: u64,
    generation: u64,
    weight: u64,
}

/// `Arc<Entry>`, the key's box and the cache slot.
const ENTRY_OVERHEAD: u64 = 192;

#[derive(Clone)]
struct ByWeight;

impl Weighter<Box<[u8]>, Arc<Entry>> for ByWeight {
    fn weight(&self, _: &Box<[u8]>, entry: &Arc<Entry>) -> u64 {
        entry.weight
    }
}

pub(crate) struct RefusalCache {
    map: Cache<Box<[u8]>, Arc<Entry>, ByWeight>,
    max_age: u64,
    min_weight: u64,
    hits: AtomicU64,
}

impl RefusalCache {
    pub(crate) fn new(config: &CacheConfig) -> RefusalCache {
        let max_entries = (config.max_entries / 4).max(1);
        let max_bytes = (config.max_bytes / 4).max(1);
        RefusalCache {
            map: Cache::with_weighter(max_entries, max_bytes, ByWeight),
            max_age: config.max_age.as_secs(),
            min_weight: (max_bytes / max_entries as u64).max(1),
            hits: AtomicU64::new(0),
        }
    }

    /// The error `token` was refused with, if that still holds at `now` under key-set
    /// `generation`.
    pub(crate) fn get(&self, token: &[u8], now: u64, generation: u64) -> Option<AuthError> {
        let entry = self.map.get(token)?;
        if now >= entry.until || entry.generation != generation {
            self.map.remove(token);
            return None;
        }
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(entry.error.clone())
    }

    /// Remembers that `token` was refused at `now` under key-set `generation`.
    pub(crate) fn insert(&self, token: &[u8], refused: &Refused, now: u64, generation: u64) {
        let aged_out = now.saturating_add(self.max_age);
        let until = refused.changes_at.map_or(aged_out, |at| at.min(aged_out));
        if until <= now {
            return;
        }
        // Key and entry; doubled for allocator overhead, as the verified-token cache does.
        let weight = 2 * (token.len() as u64 + ENTRY_OVERHEAD);
        let entry = Arc::new(Entry {
            error: refused.error.clone(),
            until,
            generation,
            weight: weight.max(self.min_weight),
        });
        self.map.insert(Box::from(token), entry);
    }

    pub(crate) fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn weight(&self) -> u64 {
        self.map.weight()
    }
}
