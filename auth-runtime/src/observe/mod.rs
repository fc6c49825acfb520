//! What the library tells an operator: metrics through the [`metrics`](https://docs.rs/metrics)
//! facade (feature `metrics`) and one audit event per decision (a `tracing` event on target
//! [`AUDIT_TARGET`], once turned on with [`set_audit_events`]).
//!
//! # Metrics
//!
//! Every name is in [`names`]; labels take a few fixed values each, never a token, a subject or
//! anything else a request chooses.
//!
//! | name | type | labels |
//! |---|---|---|
//! | `auth_decisions_total` | counter | `outcome` (`allowed`, `refused`), `class` ([`ErrorClass::as_str`](crate::ErrorClass::as_str), `none` when allowed), `reason` (`ok`, `expired`, `revoked`, ...) |
//! | `auth_verification_duration_seconds` | histogram | |
//! | `auth_cache_hits_total`, `auth_cache_misses_total`, `auth_cache_evictions_total` | counter | |
//! | `auth_cache_entries` | gauge | |
//! | `auth_jwks_keys` | gauge | `url` (the JWKS URL the client was configured with) |
//! | `auth_jwks_last_success_timestamp_seconds` | gauge | `url` |
//! | `auth_jwks_fetch_failures_total` | counter | `url` |
//! | `auth_revocations` | gauge | |
//! | `auth_outbound_token_refreshes_total` | counter | `outcome` (`ok`, `failed`) |
//!
//! A decision is what one check point answered: a handler's guard, the deny-by-default layer,
//! or the explicit-source style. A request behind the layer whose handler adds a requirement of
//! its own is decided twice. The verification time is that of a full verification (a miss of
//! the verified-token cache, or a verifier without one); a hit is counted, not timed, because
//! reading the clock twice would cost a tenth of the hit itself. The age of the key set is
//! `time() - auth_jwks_last_success_timestamp_seconds`.
//!
//! Nothing is recorded until [`enable_metrics`] binds the metrics to the recorder installed
//! then (for example `metrics_exporter_prometheus::PrometheusBuilder::install_recorder`): call
//! it once at start, before building verifiers. Until then an event costs one atomic load.

pub(crate) mod audit;
#[cfg(feature = "metrics")]
mod meters;
pub mod names;

use crate::error::{AuthError, ErrorClass};
use crate::http::sources::RequestView;
use crate::token::claims::Claims;
use crate::verifier::Verifier;

pub use audit::{AUDIT_TARGET, audit_events, set_audit_events};
#[cfg(feature = "metrics")]
pub(crate) use meters::GaugeShare;
#[cfg(all(feature = "metrics", feature = "jwks"))]
pub(crate) use meters::JwksMeters;
#[cfg(feature = "metrics")]
pub use meters::enable_metrics;

/// Without the `metrics` feature: nothing to report.
#[cfg(not(feature = "metrics"))]
pub(crate) struct GaugeShare;

#[cfg(not(feature = "metrics"))]
impl GaugeShare {
    pub(crate) const fn cache_entries() -> Self {
        GaugeShare
    }
    pub(crate) const fn revocations() -> Self {
        GaugeShare
    }
    #[inline(always)]
    pub(crate) fn set(&self, _len: usize) {}
}

/// Without the `metrics` feature: nothing to report.
#[cfg(all(not(feature = "metrics"), feature = "jwks"))]
pub(crate) struct JwksMeters;

#[cfg(all(not(feature = "metrics"), feature = "jwks"))]
impl JwksMeters {
    pub(crate) fn new(_url: &str) -> Self {
        JwksMeters
    }
    pub(crate) fn fetched(&self, _keys: usize) {}
    pub(crate) fn failed(&self) {}
}

/// One check point let a request through: its token verified and its requirement met. The
/// audit event, when those are on, names the caller by `claims` (`None`: the caller kept no
/// claims for it, because audit events were off when it decided).
#[inline]
pub(crate) fn allowed(claims: Option<&Claims>, route: Option<&str>) {
    #[cfg(feature = "metrics")]
    meters::with(|h| h.allowed.increment(1));
    if let Some(claims) = claims
        && audit_events()
    {
        audit::allowed(claims, route);
    }
}

/// One check point let a request without credentials through, its claims optional.
#[inline]
pub(crate) fn allowed_anonymous(route: Option<&str>) {
    #[cfg(feature = "metrics")]
    meters::with(|h| h.anonymous.increment(1));
    if audit_events() {
        audit::anonymous(route);
    }
}

/// One check point refused `request` with `error`. The audit event names who made the
/// request when the token itself was accepted and a requirement or a check function refused
/// it: the token is verified once more for that (a hit of the verified-token cache), only
/// when audit events are on.
pub(crate) fn refused(verifier: Option<&Verifier>, error: &AuthError, request: &impl RequestView) {
    #[cfg(feature = "metrics")]
    meters::with(|h| h.refused[error.reply().index()].increment(1));
    if audit_events() {
        let verified = match (verifier, error.class()) {
            (
                Some(verifier),
                ErrorClass::InsufficientScope | ErrorClass::NotFound | ErrorClass::Unavailable,
            ) => verifier.verify_request(request).ok(),
            _ => None,
        };
        audit::refused(error, verified.as_ref().map(|v| v.claims()), request.path());
    }
}

/// [`refused`] where no request is at hand (a token given alone).
pub(crate) fn refused_token(error: &AuthError) {
    #[cfg(feature = "metrics")]
    meters::with(|h| h.refused[error.reply().index()].increment(1));
    if audit_events() {
        audit::refused(error, None, None);
    }
}

/// A full verification took `seconds`.
#[cfg(feature = "metrics")]
#[inline]
pub(crate) fn verification_time(seconds: f64) {
    meters::with(|h| h.verification.record(seconds));
}

/// The verified-token cache served a token.
#[inline]
pub(crate) fn cache_hit() {
    #[cfg(feature = "metrics")]
    meters::with(|h| h.cache_hits.increment(1));
}

/// A token went to full verification with the cache on.
#[inline]
pub(crate) fn cache_miss() {
    #[cfg(feature = "metrics")]
    meters::with(|h| h.cache_misses.increment(1));
}

/// The verified-token cache evicted an entry to make room.
#[inline]
pub(crate) fn cache_eviction() {
    #[cfg(feature = "metrics")]
    meters::with(|h| h.cache_evictions.increment(1));
}

/// A service token was fetched (`ok`) or could not be (`failed`).
#[cfg_attr(
    not(feature = "outbound"),
    allow(dead_code, reason = "what the outbound sources call")
)]
pub(crate) fn outbound_refresh(ok: bool) {
    #[cfg(feature = "metrics")]
    meters::with(|h| {
        if ok {
            h.outbound_ok.increment(1);
        } else {
            h.outbound_failed.increment(1);
        }
    });
    let _ = ok;
}
