//! The verified-token cache: a token seen before skips the signature check.
//!
//! - Keyed by the whole token text (never a prefix or a hash of it); hashed by its tail, which
//!   lies in the signature ([`TokenKey`] says why that is safe).
//! - An entry never outlives the token's `exp` (plus leeway) nor the configured maximum age,
//!   and is checked against the clock on every hit.
//! - Bounded in bytes and in entries (each entry weighs at least `max_bytes / max_entries`).
//! - Emptied when the key set changes (a JWKS refresh that rotates keys).
//! - Sharded, so concurrent requests do not contend on one lock (`quick_cache`).

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use quick_cache::sync::Cache;
use quick_cache::{DefaultHashBuilder, Equivalent, Lifecycle, Weighter};

use crate::observe::{self, GaugeShare};
use crate::token::claims::Claims;
use crate::verifier::recent;

/// Sizes and lifetime of the verified-token cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// Most entries held.
    pub max_entries: usize,
    /// Most bytes held (tokens, payloads and claims, estimated).
    pub max_bytes: u64,
    /// Longest time an entry is trusted, whatever the token's `exp`.
    pub max_age: Duration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            max_entries: 100_000,
            max_bytes: 64 * 1024 * 1024,
            max_age: Duration::from_secs(300),
        }
    }
}

/// What the verified-token cache did so far: from [`Verifier::cache_stats`].
///
/// A *hit* is a token found in the cache and still valid; a *miss* is any other token that
/// went to full verification while the cache is on (never seen, expired from the cache,
/// voided by a key rotation, or failing). Tokens refused before that (too long) count as
/// neither. With the cache off, every field is zero.
///
/// ```
/// use auth_runtime::{Algorithm, Authority, SigningKey, Verifier};
/// let authority = Authority::builder()
///     .issuer("https://auth.example.com")
///     .audience("reports")
///     .signing_key(SigningKey::generate(Algorithm::ES256)?)
///     .build()?;
/// let verifier = Verifier::builder()
///     .jwks_json(authority.jwks().to_json())
///     .issuer("https://auth.example.com")
///     .audience("reports")
///     .build()?;
/// let token = authority.issue("alice", ["user"])?;
/// verifier.verify(&token)?;
/// verifier.verify(&token)?;
/// let stats = verifier.cache_stats();
/// assert_eq!((stats.misses, stats.hits, stats.entries), (1, 1, 1));
/// assert!(stats.bytes > 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`Verifier::cache_stats`]: crate::Verifier::cache_stats
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Tokens served from the cache.
    pub hits: u64,
    /// Tokens verified in full while the cache is on.
    pub misses: u64,
    /// Entries held now.
    pub entries: usize,
    /// Estimated bytes held now.
    pub bytes: u64,
    /// Tokens refused again from the refusal cache, without cryptography.
    pub refusal_hits: u64,
    /// Refusals held now.
    pub refusals: usize,
    /// Estimated bytes the refusals hold now.
    pub refusal_bytes: u64,
    /// Entries evicted to make room for others.
    pub evictions: u64,
}

/// Hit and miss counters, on a cache line of their own: they are written on every request,
/// and the key-set generation beside them is read on every request.
#[repr(align(128))]
#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Counts the entries the cache evicts to make room (not those removed as expired or replaced).
#[derive(Clone, Default)]
struct CountEvictions(Arc<AtomicU64>);

impl Lifecycle<TokenKey, Arc<Entry>> for CountEvictions {
    type RequestState = ();

    fn on_evict(&self, _: &mut (), _: TokenKey, _: Arc<Entry>) {
        self.0.fetch_add(1, Ordering::Relaxed);
        observe::cache_eviction();
    }
}

/// A verified token: what a hit returns.
pub(crate) struct Entry {
    /// The token itself, shared with the cache's key.
    pub(crate) token: Arc<[u8]>,
    /// Shared with every handler that takes `Arc<Claims>`.
    pub(crate) claims: Arc<Claims>,
    pub(crate) payload: Vec<u8>,
    /// Seconds since the epoch after which the entry is void.
    pub(crate) valid_until: u64,
    /// Key-set generation it was verified under.
    pub(crate) generation: u64,
    /// The revocation list's epoch when the claims were last found not revoked.
    pub(crate) revocation_epoch: AtomicU64,
    weight: u64,
}

/// `Arc<Entry>`, the `Arc<Claims>`, the key's `Arc`, and a cache slot.
const ENTRY_OVERHEAD: usize = 256;

/// Heap bytes held by `claims`, estimated from the capacities of its strings and vectors
/// (a parsed claim may hold more than its length) and JSON value counts.
fn claims_heap_size(claims: &Claims) -> usize {
    fn string(s: &String) -> usize {
        s.capacity() + 24
    }
    fn value(v: &serde_json::Value) -> usize {
        32 + match v {
            serde_json::Value::String(s) => s.capacity(),
            serde_json::Value::Array(items) => {
                items.capacity() * 32 + items.iter().map(value).sum::<usize>()
            }
            serde_json::Value::Object(map) => {
                map.iter().map(|(k, v)| string(k) + value(v) + 16).sum()
            }
            _ => 0,
        }
    }
    fn strings(list: &Vec<String>) -> usize {
        list.capacity() * 24 + list.iter().map(string).sum::<usize>()
    }
    let optional = |s: &Option<String>| s.as_ref().map_or(0, string);
    optional(&claims.iss)
        + optional(&claims.sub)
        + optional(&claims.jti)
        + strings(&claims.aud.0)
        + strings(&claims.roles)
        + strings(&claims.scopes)
        + claims
            .extra
            .iter()
            .map(|(k, v)| string(k) + value(v) + 16)
            .sum::<usize>()
        + std::mem::size_of::<Claims>()
}

/// How many of a token's last bytes its cache slot is chosen by: 16 characters of a signature
/// are 96 unpredictable bits.
const HASHED_TAIL: usize = 16;

/// The text of a verified token, the cache's key: compared whole, but hashed by its last
/// [`HASHED_TAIL`] bytes and its length only, so that a hit does not hash the whole token.
///
/// Safe because only verified tokens are inserted: the tail lies in the signature, which is
/// unpredictable and differs between any two tokens a trusted key signed, so nobody can fill
/// one slot with colliding entries. (The refusal cache, which anyone can fill, hashes its keys
/// whole.)
struct TokenKey(Arc<[u8]>);

/// A token looked up in the cache, hashed as its [`TokenKey`] would be.
struct Lookup<'a>(&'a [u8]);

#[inline]
fn hash_token<H: Hasher>(token: &[u8], state: &mut H) {
    match token.last_chunk::<HASHED_TAIL>() {
        // Two words rather than a slice: the hasher's fastest path.
        Some(tail) => {
            let (high, low) = tail.split_at(HASHED_TAIL / 2);
            state.write_u64(u64::from_le_bytes(high.try_into().unwrap_or_default()));
            state.write_u64(u64::from_le_bytes(low.try_into().unwrap_or_default()));
        }
        None => state.write(token),
    }
    state.write_usize(token.len());
}

impl Hash for TokenKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_token(&self.0, state);
    }
}

impl PartialEq for TokenKey {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for TokenKey {}

impl Hash for Lookup<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_token(self.0, state);
    }
}

impl Equivalent<TokenKey> for Lookup<'_> {
    fn equivalent(&self, key: &TokenKey) -> bool {
        *self.0 == *key.0
    }
}

#[derive(Clone)]
struct ByWeight;

impl Weighter<TokenKey, Arc<Entry>> for ByWeight {
    fn weight(&self, _: &TokenKey, entry: &Arc<Entry>) -> u64 {
        entry.weight
    }
}

pub(crate) struct TokenCache {
    /// Tells this cache's entries from other caches' in each thread's most recent entry.
    id: u64,
    map: Cache<TokenKey, Arc<Entry>, ByWeight, DefaultHashBuilder, CountEvictions>,
    config: CacheConfig,
    min_weight: u64,
    /// The key-set generation the entries belong to.
    generation: AtomicU64,
    counters: Counters,
    evictions: CountEvictions,
    /// This cache's share of the entries gauge.
    entries_gauge: GaugeShare,
}

impl TokenCache {
    pub(crate) fn new(config: CacheConfig) -> TokenCache {
        let max_entries = config.max_entries.max(1);
        let min_weight = (config.max_bytes / max_entries as u64).max(1);
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        let evictions = CountEvictions::default();
        TokenCache {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            map: Cache::with(
                max_entries,
                config.max_bytes.max(1),
                ByWeight,
                DefaultHashBuilder::default(),
                evictions.clone(),
            ),
            config,
            min_weight,
            generation: AtomicU64::new(0),
            counters: Counters::default(),
            evictions,
            entries_gauge: GaugeShare::cache_entries(),
        }
    }

    /// The entry for `token`, if it is still valid at `now` under key-set `generation`.
    #[inline]
    pub(crate) fn get(&self, token: &[u8], now: u64, generation: u64) -> Option<Arc<Entry>> {
        let valid = |entry: &Entry| now < entry.valid_until && entry.generation == generation;
        if let Some(entry) = recent::get(self.id, token)
            && valid(&entry)
        {
            return Some(entry);
        }
        self.sync_generation(generation);
        let entry = self.map.get(&Lookup(token))?;
        if !valid(&entry) {
            self.map.remove(&Lookup(token));
            self.entries_gauge.set(self.map.len());
            return None;
        }
        recent::remember(self.id, &entry);
        Some(entry)
    }

    /// Until when a token verified at `now` may be served from the cache: `exp + leeway`, at
    /// most the configured maximum age; `None` when that is not in the future.
    pub(crate) fn keep_until(&self, claims: &Claims, now: u64, leeway: u64) -> Option<u64> {
        let valid_until = claims
            .exp
            .saturating_add(leeway)
            .min(now.saturating_add(self.config.max_age.as_secs()));
        (valid_until > now).then_some(valid_until)
    }

    /// Remembers a verified token until `valid_until` (from [`keep_until`](Self::keep_until))
    /// and returns the entry: claims and payload are moved in, not copied.
    pub(crate) fn insert(
        &self,
        token: &[u8],
        claims: Claims,
        payload: Vec<u8>,
        valid_until: u64,
        generation: u64,
        revocation_epoch: u64,
    ) -> Arc<Entry> {
        // Key, payload, the parsed claims, the entry, and the cache's own bookkeeping; tripled
        // for allocator overhead and fragmentation under churn, as measured with one million
        // distinct tokens by `examples/cache_memory.rs`: resident size stays within `max_bytes`.
        let held = token.len() + payload.capacity() + claims_heap_size(&claims) + ENTRY_OVERHEAD;
        let bytes = 3 * held as u64;
        let token: Arc<[u8]> = Arc::from(token);
        let entry = Arc::new(Entry {
            token: Arc::clone(&token),
            claims: Arc::new(claims),
            payload,
            valid_until,
            generation,
            revocation_epoch: AtomicU64::new(revocation_epoch),
            weight: bytes.max(self.min_weight),
        });
        self.map.insert(TokenKey(token), Arc::clone(&entry));
        recent::remember(self.id, &entry);
        self.entries_gauge.set(self.map.len());
        entry
    }

    /// Empties the cache when the key set changed since the entries were verified.
    fn sync_generation(&self, generation: u64) {
        let seen = self.generation.load(Ordering::Acquire);
        if seen != generation
            && self
                .generation
                .compare_exchange(seen, generation, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            self.map.clear();
            self.entries_gauge.set(0);
            tracing::debug!(target: "auth", generation, "key set changed: verified-token cache cleared");
        }
    }

    /// Counts a token served from the cache.
    #[inline]
    pub(crate) fn record_hit(&self) {
        self.counters.hits.fetch_add(1, Ordering::Relaxed);
        observe::cache_hit();
    }

    /// Counts a token that goes to full verification.
    pub(crate) fn record_miss(&self) {
        self.counters.misses.fetch_add(1, Ordering::Relaxed);
        observe::cache_miss();
    }

    pub(crate) fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.counters.hits.load(Ordering::Relaxed),
            misses: self.counters.misses.load(Ordering::Relaxed),
            entries: self.len(),
            bytes: self.weight(),
            evictions: self.evictions.0.load(Ordering::Relaxed),
            ..CacheStats::default()
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn weight(&self) -> u64 {
        self.map.weight()
    }
}
