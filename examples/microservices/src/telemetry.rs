//! What the services tell an operator: the library's metrics in the Prometheus text format
//! (`GET /metrics` on each service) and, with `AUTH_AUDIT=1`, one audit event per decision in
//! the log.
//!
//! The recorder is the process's: the services of one process (all three when the demo runs
//! them together) serve the same numbers, as one Prometheus target.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::Error;

/// The content type of the Prometheus text exposition format.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Bucket bounds of the verification-time histogram, in seconds: a full verification takes
/// tens of microseconds, so the buckets are fine there and coarse beyond a millisecond.
const VERIFICATION_BUCKETS: [f64; 10] = [
    0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.01, 0.1,
];

static RECORDER: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

/// Installs the Prometheus recorder as the process's (once; later calls return the same
/// handle) and turns the library's metrics on, bound to it. It comes before the first
/// verifier, so that the caches' and revocation lists' gauges report from their start.
pub fn prometheus() -> Result<PrometheusHandle, Error> {
    let installed = RECORDER.get_or_init(|| {
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full(auth::observe::names::VERIFICATION_DURATION.to_owned()),
                &VERIFICATION_BUCKETS,
            )
            .and_then(PrometheusBuilder::install_recorder)
            .map_err(|e| format!("the Prometheus recorder cannot be installed: {e}"))?;
        auth::observe::enable_metrics();
        Ok(handle)
    });
    installed.clone().map_err(Into::into)
}

/// `AUTH_AUDIT`: `1` or `true` turns the audit events on.
pub fn audit_from_env() {
    let on = std::env::var("AUTH_AUDIT").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
    auth::observe::set_audit_events(on);
}

/// The body of `GET /metrics`.
pub fn render(handle: &PrometheusHandle) -> String {
    // Drains what the histograms recorded since the last scrape; the upkeep task does it too
    // when nobody scrapes.
    handle.run_upkeep();
    handle.render()
}

/// Whether the service is ready, and the body of `GET /health`: ready (200) once the service's
/// verifier has keys, not (503) while its first JWKS fetch is pending (a readiness probe keeps
/// traffic away until then).
pub fn health(service: &str, verifier: &auth::Verifier) -> (bool, serde_json::Value) {
    if verifier.is_ready() {
        (
            true,
            serde_json::json!({"status": "ok", "service": service}),
        )
    } else {
        (
            false,
            serde_json::json!({
                "status": "starting",
                "service": service,
                "reason": "no keys from the authority yet",
            }),
        )
    }
}

/// `GET /metrics` for an axum router.
pub fn metrics_route<S>(handle: PrometheusHandle) -> axum::routing::MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    axum::routing::get(move || {
        let body = render(&handle);
        async move { ([(axum::http::header::CONTENT_TYPE, PROMETHEUS_TEXT)], body) }
    })
}

/// Runs the recorder's upkeep every few seconds until `stop`, so that the histograms' pending
/// samples stay bounded when nobody scrapes.
pub fn upkeep(
    handle: PrometheusHandle,
    stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let stop = crate::stopped(stop);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                _ = tick.tick() => handle.run_upkeep(),
            }
        }
    })
}
