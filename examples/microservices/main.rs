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
//! `AUTH_ISSUER`, `USERS_AUDIENCE`, `REPORTS_AUDIENCE`, `AUTH_JWKS_URL`, and `REDIS_URL` to share
//! revocations and sessions between processes through Redis.

// The services live in the `auth-demo` library beside this file (`src/`), which the tests use
// too.
use auth_demo::{Config, Service};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info,auth=debug".to_owned());
    tracing_subscriber::fmt().with_env_filter(filter).init();
    let which: Vec<Service> = match std::env::args().nth(1).as_deref() {
        None | Some("all") => vec![Service::Authority, Service::Users, Service::Reports],
        Some(name) => vec![Service::parse(name).ok_or_else(|| {
            format!("unknown service `{name}`: expected authority, users, reports or all")
        })?],
    };
    let config = Config::from_env()?;
    let running = auth_demo::start(&config, &which).await?;
    tracing::info!("ready; press Ctrl-C to stop");
    tokio::signal::ctrl_c().await?;
    running.stop();
    Ok(())
}
