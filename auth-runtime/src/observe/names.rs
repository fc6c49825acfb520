//! The names of the metrics (feature `metrics`), for dashboards, alerts and tests.

/// Decisions of the check points: counter, labels `outcome`, `class`, `reason`.
pub const DECISIONS: &str = "auth_decisions_total";
/// Time of a full verification (signature and claims), in seconds: histogram.
pub const VERIFICATION_DURATION: &str = "auth_verification_duration_seconds";
/// Tokens served by the verified-token cache: counter.
pub const CACHE_HITS: &str = "auth_cache_hits_total";
/// Tokens verified in full while the cache is on: counter.
pub const CACHE_MISSES: &str = "auth_cache_misses_total";
/// Entries the verified-token caches hold: gauge.
pub const CACHE_ENTRIES: &str = "auth_cache_entries";
/// Entries the verified-token caches evicted to make room: counter.
pub const CACHE_EVICTIONS: &str = "auth_cache_evictions_total";
/// Keys of a JWKS client's current set: gauge, label `url`.
pub const JWKS_KEYS: &str = "auth_jwks_keys";
/// When a JWKS client last fetched its set successfully, in seconds since the Unix epoch:
/// gauge, label `url`.
pub const JWKS_LAST_SUCCESS: &str = "auth_jwks_last_success_timestamp_seconds";
/// Failed JWKS fetches: counter, label `url`.
pub const JWKS_FETCH_FAILURES: &str = "auth_jwks_fetch_failures_total";
/// Revocations the local revocation lists hold: gauge.
pub const REVOCATIONS: &str = "auth_revocations";
/// Service tokens fetched from the token endpoint (the first and each refresh before expiry):
/// counter, label `outcome` (`ok`, `failed`).
pub const OUTBOUND_REFRESHES: &str = "auth_outbound_token_refreshes_total";
