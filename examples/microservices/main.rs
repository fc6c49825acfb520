//! The whole pattern on one machine: an authority that logs users in and signs short-lived
//! tokens, and two services that verify them locally with only the authority's public keys,
//! fetched over HTTP from its JWKS.
//!
//! ```sh
//! cargo run --example microservices            # all three services
//! cargo run --example microservices -- users   # one service alone: authority | users | reports
//! ```
//!
//! Then open http://127.0.0.1:8000/ (log in as bob / bob-password or alice / alice-password),
//! with the token kept in localStorage (`Authorization: Bearer`) or in an `HttpOnly` cookie
//! (CSRF double submit), as chosen in the page.
//! Addresses and trust come from the environment: `AUTH_ADDR`, `USERS_ADDR`, `REPORTS_ADDR`,
//! `AUTH_ISSUER`, `USERS_AUDIENCE`, `REPORTS_AUDIENCE`, `AUTH_JWKS_URL`, `REDIS_URL`
//! (revocations and sessions shared between processes through Redis), `AUTH_AUDIT=1` (one
//! audit event per decision in the log, target `auth::audit`); the authority keeps
//! its signing keys in `AUTH_KEY_DIR` (default: `auth-demo-keys` in the system's temporary
//! directory), so a restart keeps them, and rotates them on schedule. Every service serves
//! its metrics in the Prometheus text format on `GET /metrics` and its OpenAPI document on
//! `GET /openapi.json`; the users and reports services answer `GET /health` with 503 until
//! they have the authority's keys.
//!
//! SIGTERM or SIGINT (Ctrl-C) stops it gracefully: the services stop accepting connections,
//! finish the requests in flight and the process exits 0; whatever is still busy after
//! 10 seconds is cut off, said in the log, and the process exits 1.

use std::time::Duration;

// The services live in the `auth-demo` library beside this file (`src/`), which the tests use
// too.
use auth_demo::{Config, Service};

/// How long the requests in flight have to finish once a stop is asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info,auth=debug".to_owned());
    tracing_subscriber::fmt().with_env_filter(filter).init();
    let which: Vec<Service> = match std::env::args().nth(1).as_deref() {
        None | Some("all") => Service::ALL.to_vec(),
        Some(name) => vec![Service::parse(name).ok_or_else(|| {
            format!("unknown service `{name}`: expected authority, users, reports or all")
        })?],
    };
    auth_demo::telemetry::audit_from_env();
    let config = Config::from_env()?;
    // Listen for the signals before saying "ready", so that none sent after it is missed.
    let stop = stop_signal()?;
    let running = auth_demo::start(&config, &which).await?;
    tracing::info!("ready; stop with Ctrl-C or SIGTERM");
    let signal = stop.await;
    tracing::info!(
        "{signal} received: stopping, the requests in flight have {} s to finish",
        SHUTDOWN_GRACE.as_secs()
    );
    match running.shutdown(SHUTDOWN_GRACE).await {
        Ok(()) => {
            tracing::info!("stopped");
            Ok(())
        }
        Err(timed_out) => {
            tracing::error!("{timed_out}: exiting anyway");
            std::process::exit(1)
        }
    }
}

/// Resolves with the name of the first stop signal: SIGTERM (what service managers and
/// container runtimes send) or SIGINT (Ctrl-C); elsewhere than on unix, Ctrl-C.
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = &'static str> + Send + 'static>
{
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = interrupt.recv() => "SIGINT",
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        })
    }
}
