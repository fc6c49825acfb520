//! The metric handles (feature `metrics`): registered once, by [`enable_metrics`], with the
//! recorder installed then, so that recording is an atomic operation on a handle, never a
//! lookup by name on the request path. Until then nothing is recorded, at the cost of one
//! atomic load per event.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicI64, Ordering};

use metrics::{Counter, Gauge, Histogram, Unit};

use crate::error::Reply;
use crate::observe::names;

/// Every handle the library records to, but the JWKS clients' (labelled by URL).
pub(crate) struct Handles {
    pub(crate) allowed: Counter,
    pub(crate) anonymous: Counter,
    /// Refusals by reply, in the order of [`Reply::ALL`].
    pub(crate) refused: [Counter; Reply::ALL.len()],
    pub(crate) verification: Histogram,
    pub(crate) cache_hits: Counter,
    pub(crate) cache_misses: Counter,
    pub(crate) cache_evictions: Counter,
    cache_entries: Gauge,
    revocations: Gauge,
    pub(crate) outbound_ok: Counter,
    pub(crate) outbound_failed: Counter,
}

static HANDLES: OnceLock<Handles> = OnceLock::new();

/// Records with the handles, once [`enable_metrics`] registered them.
#[inline]
pub(crate) fn with(record: impl FnOnce(&'static Handles)) {
    if let Some(handles) = HANDLES.get() {
        record(handles);
    }
}

/// Whether [`enable_metrics`] was called.
#[cfg(feature = "jwks")]
#[inline]
pub(crate) fn enabled() -> bool {
    HANDLES.get().is_some()
}

/// Starts recording the library's metrics to the recorder installed now (for example
/// `metrics_exporter_prometheus::PrometheusBuilder::install_recorder`), and describes them to
/// it: their unit and help text (the `# HELP` lines of the Prometheus exporter). Call it once,
/// after installing the recorder and before building verifiers (whose gauges report their
/// changes from then on); later calls do nothing. Until it is called, nothing is recorded.
///
/// ```
/// auth_runtime::observe::enable_metrics();
/// ```
pub fn enable_metrics() {
    let mut first = false;
    HANDLES.get_or_init(|| {
        first = true;
        register()
    });
    if first {
        describe();
    }
}

fn register() -> Handles {
    Handles {
        allowed: metrics::counter!(names::DECISIONS, "outcome" => "allowed", "class" => "none", "reason" => "ok"),
        anonymous: metrics::counter!(names::DECISIONS, "outcome" => "allowed", "class" => "none", "reason" => "anonymous"),
        refused: Reply::ALL.map(|reply| {
            metrics::counter!(
                names::DECISIONS,
                "outcome" => "refused",
                "class" => reply.class().as_str(),
                "reason" => reply.reason(),
            )
        }),
        verification: metrics::histogram!(names::VERIFICATION_DURATION),
        cache_hits: metrics::counter!(names::CACHE_HITS),
        cache_misses: metrics::counter!(names::CACHE_MISSES),
        cache_evictions: metrics::counter!(names::CACHE_EVICTIONS),
        cache_entries: metrics::gauge!(names::CACHE_ENTRIES),
        revocations: metrics::gauge!(names::REVOCATIONS),
        outbound_ok: metrics::counter!(names::OUTBOUND_REFRESHES, "outcome" => "ok"),
        outbound_failed: metrics::counter!(names::OUTBOUND_REFRESHES, "outcome" => "failed"),
    }
}

/// Describes every metric of the library to the installed recorder.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        names::DECISIONS,
        Unit::Count,
        "Requests let through or refused by a check point, by outcome and reason class"
    );
    describe_histogram!(
        names::VERIFICATION_DURATION,
        Unit::Seconds,
        "Time of a full token verification: signature and claims"
    );
    describe_counter!(
        names::CACHE_HITS,
        Unit::Count,
        "Tokens served by the verified-token cache"
    );
    describe_counter!(
        names::CACHE_MISSES,
        Unit::Count,
        "Tokens verified in full while the cache is on"
    );
    describe_gauge!(
        names::CACHE_ENTRIES,
        Unit::Count,
        "Entries of the verified-token caches"
    );
    describe_counter!(
        names::CACHE_EVICTIONS,
        Unit::Count,
        "Entries the verified-token caches evicted to make room"
    );
    describe_gauge!(
        names::JWKS_KEYS,
        Unit::Count,
        "Keys of the JWKS client's current set"
    );
    describe_gauge!(
        names::JWKS_LAST_SUCCESS,
        Unit::Seconds,
        "When the JWKS was last fetched successfully (Unix time)"
    );
    describe_counter!(
        names::JWKS_FETCH_FAILURES,
        Unit::Count,
        "Failed JWKS fetches"
    );
    describe_gauge!(
        names::REVOCATIONS,
        Unit::Count,
        "Revocations the local lists hold"
    );
    describe_counter!(
        names::OUTBOUND_REFRESHES,
        Unit::Count,
        "Service tokens fetched again before expiry, by outcome"
    );
}

/// One cache's or revocation list's share of a process-wide gauge: the shares of several
/// verifiers add up, and a dropped one takes its share away.
pub(crate) struct GaugeShare {
    gauge: fn(&'static Handles) -> &'static Gauge,
    reported: AtomicI64,
}

impl GaugeShare {
    /// A share of `auth_cache_entries`.
    pub(crate) const fn cache_entries() -> Self {
        GaugeShare {
            gauge: |h| &h.cache_entries,
            reported: AtomicI64::new(0),
        }
    }

    /// A share of `auth_revocations`.
    pub(crate) const fn revocations() -> Self {
        GaugeShare {
            gauge: |h| &h.revocations,
            reported: AtomicI64::new(0),
        }
    }

    /// This share is now `len`.
    pub(crate) fn set(&self, len: usize) {
        with(|handles| {
            let len = i64::try_from(len).unwrap_or(i64::MAX);
            let before = self.reported.swap(len, Ordering::AcqRel);
            if len != before {
                (self.gauge)(handles).increment((len - before) as f64);
            }
        });
    }
}

impl Drop for GaugeShare {
    fn drop(&mut self) {
        self.set(0);
    }
}

/// The meters of one JWKS client, labelled with its URL. Registered at each fetch (once a
/// refresh period), so that a client started before [`enable_metrics`] reports too.
#[cfg(feature = "jwks")]
pub(crate) struct JwksMeters {
    url: String,
}

#[cfg(feature = "jwks")]
impl JwksMeters {
    pub(crate) fn new(url: &str) -> Self {
        JwksMeters {
            url: url.to_owned(),
        }
    }

    /// A fetch succeeded with `keys` usable keys.
    pub(crate) fn fetched(&self, keys: usize) {
        if !enabled() {
            return;
        }
        metrics::gauge!(names::JWKS_KEYS, "url" => self.url.clone()).set(keys as f64);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |since| since.as_secs_f64());
        metrics::gauge!(names::JWKS_LAST_SUCCESS, "url" => self.url.clone()).set(now);
        // Registered at zero, so that the series exists before the first failure.
        metrics::counter!(names::JWKS_FETCH_FAILURES, "url" => self.url.clone()).increment(0);
    }

    /// A fetch failed.
    pub(crate) fn failed(&self) {
        if enabled() {
            metrics::counter!(names::JWKS_FETCH_FAILURES, "url" => self.url.clone()).increment(1);
        }
    }
}
