//! The demo's services: an authority that logs users in and signs short-lived tokens, a users
//! service (axum) and a reports service (actix-web) that verify them locally with only the
//! authority's public keys, fetched from its JWKS. `cargo run --example microservices` runs
//! them; the tests start them on ephemeral ports (`tests/microservices.rs`, `tests/browser.rs`).

pub mod authority;
pub mod reports;
pub mod shared;
pub mod telemetry;
pub mod users;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often the authority applies its key schedule: a new key signs, and a next key is
/// published, within this long of the time the schedule says.
pub const KEY_SCHEDULE_INTERVAL: Duration = Duration::from_secs(60);

/// One of the three services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// The authority: login, signing, JWKS.
    Authority,
    /// The users service (axum).
    Users,
    /// The reports service (actix-web).
    Reports,
}

impl Service {
    /// The three services, as `cargo run --example microservices` starts them.
    pub const ALL: [Service; 3] = [Service::Authority, Service::Users, Service::Reports];

    /// The service of a command-line name: `authority`, `users` or `reports`.
    pub fn parse(name: &str) -> Option<Service> {
        match name {
            "authority" => Some(Service::Authority),
            "users" => Some(Service::Users),
            "reports" => Some(Service::Reports),
            _ => None,
        }
    }
}

/// Addresses and trust settings, from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// `AUTH_ADDR`: where the authority listens.
    pub auth_addr: SocketAddr,
    /// `USERS_ADDR`: where the users service listens.
    pub users_addr: SocketAddr,
    /// `REPORTS_ADDR`: where the reports service listens.
    pub reports_addr: SocketAddr,
    /// `AUTH_KEY_DIR`: where the authority keeps its signing keys, so that a restart keeps
    /// them (and the tokens they signed valid); default `auth-demo-keys` in the system's
    /// temporary directory.
    pub key_dir: PathBuf,
    /// `AUTH_ISSUER`; default: the authority's URL.
    pub issuer: Option<String>,
    /// `USERS_AUDIENCE`: the audience the users service accepts; default `users`.
    pub users_audience: String,
    /// `REPORTS_AUDIENCE`: the audience the reports service accepts; default `reports`.
    pub reports_audience: String,
    /// `AUTH_JWKS_URL`; default: the authority's JWKS.
    pub jwks_url: Option<String>,
    /// `REDIS_URL`: where revocations and sessions are shared; default none (one process).
    pub redis_url: Option<String>,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

impl Config {
    /// The configuration from the environment, with the defaults of the README.
    pub fn from_env() -> Result<Config, Error> {
        let addr = |name: &str, default: &str| -> Result<SocketAddr, Error> {
            let text = std::env::var(name).unwrap_or_else(|_| default.to_owned());
            text.parse()
                .map_err(|e| format!("{name}={text}: {e}").into())
        };
        Ok(Config {
            auth_addr: addr("AUTH_ADDR", "127.0.0.1:8000")?,
            users_addr: addr("USERS_ADDR", "127.0.0.1:8001")?,
            reports_addr: addr("REPORTS_ADDR", "127.0.0.1:8002")?,
            key_dir: std::env::var_os("AUTH_KEY_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| std::env::temp_dir().join("auth-demo-keys")),
            issuer: std::env::var("AUTH_ISSUER").ok(),
            users_audience: std::env::var("USERS_AUDIENCE").unwrap_or_else(|_| "users".to_owned()),
            reports_audience: std::env::var("REPORTS_AUDIENCE")
                .unwrap_or_else(|_| "reports".to_owned()),
            jwks_url: std::env::var("AUTH_JWKS_URL").ok(),
            redis_url: std::env::var("REDIS_URL")
                .ok()
                .filter(|url| !url.is_empty()),
        })
    }

    /// Every address on an OS-chosen loopback port and the keys in a fresh directory (for
    /// tests).
    pub fn ephemeral() -> Config {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        Config {
            auth_addr: any,
            users_addr: any,
            reports_addr: any,
            key_dir: fresh_key_dir(),
            issuer: None,
            users_audience: "users".into(),
            reports_audience: "reports".into(),
            jwks_url: None,
            redis_url: None,
        }
    }
}

/// A directory name under the system's temporary directory that no other configuration of
/// this or an earlier process uses.
fn fresh_key_dir() -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    std::env::temp_dir().join(format!(
        "auth-demo-keys-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Where each service listens and whom the services trust, once the sockets are bound.
#[derive(Debug, Clone)]
pub struct Urls {
    /// The authority's base URL.
    pub authority: String,
    /// The users service's base URL.
    pub users: String,
    /// The reports service's base URL.
    pub reports: String,
    /// The issuer the services trust.
    pub issuer: String,
    /// The audience the users service accepts.
    pub users_audience: String,
    /// The audience the reports service accepts.
    pub reports_audience: String,
    /// Where the services fetch the authority's keys.
    pub jwks_url: String,
}

/// The running services.
pub struct Running {
    /// Where each service listens.
    pub urls: Urls,
    /// The axum servers and the key schedule, each stopping when `stopping` says so.
    tasks: Vec<(&'static str, JoinHandle<()>)>,
    reports: Option<reports::Handle>,
    /// The revocations this process honours, fed from Redis when configured.
    pub shared: Arc<shared::Shared>,
    stopping: watch::Sender<bool>,
}

/// Services that were still busy when the grace period of [`Running::shutdown`] ended.
#[derive(Debug)]
pub struct ShutdownTimedOut {
    /// The services still busy.
    pub busy: Vec<&'static str>,
    /// The grace period they had.
    pub grace: Duration,
}

impl std::fmt::Display for ShutdownTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} still busy after {} s",
            self.busy.join(", "),
            self.grace.as_secs_f32()
        )
    }
}

impl std::error::Error for ShutdownTimedOut {}

impl Running {
    /// Stops every service at once, cutting the requests in flight.
    pub fn stop(self) {
        for (_, task) in &self.tasks {
            task.abort();
        }
        if let Some(reports) = self.reports {
            reports.stop();
        }
    }

    /// Stops gracefully: every service stops accepting connections at once and finishes the
    /// requests in flight, for `grace` at most; then whatever still runs is cut off and the
    /// error names it. The key schedule stops too.
    pub async fn shutdown(self, grace: Duration) -> Result<(), ShutdownTimedOut> {
        // Every receiver lives in a task of `self.tasks`, which are still running or done.
        let _ = self.stopping.send(true);
        let reports = self.reports.map(reports::Handle::shutdown);
        let mut waiting: Vec<(&'static str, JoinHandle<()>)> = self.tasks;
        if let Some(stopped) = reports {
            waiting.push(("reports", tokio::spawn(stopped)));
        }
        let deadline = tokio::time::Instant::now() + grace;
        let mut busy = Vec::new();
        for (name, task) in waiting {
            let abort = task.abort_handle();
            if tokio::time::timeout_at(deadline, task).await.is_err() {
                abort.abort();
                busy.push(name);
            }
        }
        if busy.is_empty() {
            Ok(())
        } else {
            Err(ShutdownTimedOut { busy, grace })
        }
    }
}

/// Binds every socket first (so each service knows the others' URLs), then starts `which`.
pub async fn start(config: &Config, which: &[Service]) -> Result<Running, Error> {
    let bind = |addr: SocketAddr| -> Result<TcpListener, Error> {
        let listener =
            TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        listener.set_nonblocking(true)?;
        Ok(listener)
    };
    let auth = which
        .contains(&Service::Authority)
        .then(|| bind(config.auth_addr))
        .transpose()?;
    let users = which
        .contains(&Service::Users)
        .then(|| bind(config.users_addr))
        .transpose()?;
    let reports = which
        .contains(&Service::Reports)
        .then(|| bind(config.reports_addr))
        .transpose()?;
    let url = |listener: &Option<TcpListener>, configured: SocketAddr| -> Result<String, Error> {
        let addr = match listener {
            Some(listener) => listener.local_addr()?,
            None => configured,
        };
        Ok(format!("http://{addr}"))
    };
    let authority_url = url(&auth, config.auth_addr)?;
    let urls = Urls {
        users: url(&users, config.users_addr)?,
        reports: url(&reports, config.reports_addr)?,
        issuer: config
            .issuer
            .clone()
            .unwrap_or_else(|| authority_url.clone()),
        users_audience: config.users_audience.clone(),
        reports_audience: config.reports_audience.clone(),
        jwks_url: config
            .jwks_url
            .clone()
            .unwrap_or_else(|| format!("{authority_url}/.well-known/jwks.json")),
        authority: authority_url,
    };
    let shared = Arc::new(match &config.redis_url {
        Some(url) => {
            let shared = shared::Shared::through_redis(url).await?;
            tracing::info!(redis = %url, "revocations and sessions shared through Redis");
            shared
        }
        None => shared::Shared::in_process(),
    });
    let prometheus = telemetry::prometheus()?;
    let (stopping, stop) = watch::channel(false);
    let mut tasks = vec![(
        "metrics upkeep",
        telemetry::upkeep(prometheus.clone(), stop.clone()),
    )];
    if let Some(listener) = auth {
        let signer = authority::build_authority(&urls, &config.key_dir)?;
        tracing::info!(
            "authority's signing keys in {} (AUTH_KEY_DIR); signing with {}",
            config.key_dir.display(),
            signer.signing_kid()
        );
        tasks.push(("key schedule", key_schedule(signer.clone(), stop.clone())));
        let app = authority::app(&urls, signer, &shared, prometheus.clone())?;
        tracing::info!(
            "authority on {}: POST /login, POST /logout, POST /oauth/token, POST /oauth/revoke, GET /.well-known/jwks.json, GET /metrics, GET /openapi.json, GET / (the front end); demo users alice/alice-password (admin), bob/bob-password (user); service client {}/{} (client credentials, token exchange for {})",
            urls.authority,
            authority::REPORTS_CLIENT.0,
            authority::REPORTS_CLIENT.1,
            urls.users_audience
        );
        tasks.push(("authority", serve(listener, app, stop.clone())?));
    }
    if let Some(listener) = users {
        let app = users::app(&urls, &shared.revocations, prometheus.clone()).await?;
        tracing::info!(
            "users service on {}: GET /health, GET /metrics, GET /openapi.json, GET /me (any valid token), GET /admin/users (admin), GET /directory (the reports service itself); accepts audience {} from {} via {}",
            urls.users,
            urls.users_audience,
            urls.issuer,
            urls.jwks_url
        );
        tasks.push(("users", serve(listener, app, stop.clone())?));
    }
    let reports = match reports {
        Some(listener) => {
            let handle = reports::start(
                listener,
                urls.clone(),
                shared.revocations.clone(),
                prometheus.clone(),
            )?;
            tracing::info!(
                "reports service on {} (actix-web): GET /health, GET /metrics, GET /openapi.json, GET /reports and POST /reports (user), GET /reports/all (admin), GET /reports/directory (user; calls users as itself); accepts audience {} from {} via {}",
                urls.reports,
                urls.reports_audience,
                urls.issuer,
                urls.jwks_url
            );
            Some(handle)
        }
        None => None,
    };
    Ok(Running {
        urls,
        tasks,
        reports,
        shared,
        stopping,
    })
}

/// Resolves once `stop` says the services are stopping (or its sender is gone).
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

/// Serves `app` on `listener` until `stop`, then finishes the requests in flight.
fn serve(
    listener: TcpListener,
    app: axum::Router,
    stop: watch::Receiver<bool>,
) -> Result<JoinHandle<()>, Error> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    Ok(tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app)
            .with_graceful_shutdown(stopped(stop))
            .await
        {
            tracing::error!(%error, "server stopped");
        }
    }))
}

/// Applies the authority's key schedule every [`KEY_SCHEDULE_INTERVAL`] until `stop`.
fn key_schedule(authority: auth::Authority, stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(KEY_SCHEDULE_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await; // the first tick is now, and the build applied the schedule
        let stop = stopped(stop);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                _ = tick.tick() => {}
            }
            // A few small files read (a key generated once a period): short enough for the
            // runtime's thread.
            match authority.apply_key_schedule() {
                Ok(true) => tracing::info!(
                    signing = %authority.signing_kid(),
                    published = authority.jwks().keys.len(),
                    "signing keys changed"
                ),
                Ok(false) => {}
                // The authority keeps its keys; the next tick tries again.
                Err(error) => tracing::error!(%error, "key schedule not applied"),
            }
        }
    })
}

/// The cookie that carries the access token in the page's cookie mode (`HttpOnly`).
pub const ACCESS_COOKIE: &str = "access_token";
/// The readable cookie of the CSRF double submit, set beside [`ACCESS_COOKIE`].
pub const CSRF_COOKIE: &str = "csrf_token";
/// The header in which the page echoes [`CSRF_COOKIE`] on unsafe methods.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A service's verifier: the authority's public keys from its JWKS, its issuer, and the
/// service's own `audience` only.
/// A token is read from the `Authorization` header or from the [`ACCESS_COOKIE`] cookie (the
/// page's two modes); a cookie-borne token on an unsafe method also needs [`CSRF_HEADER`]
/// equal to the [`CSRF_COOKIE`] cookie (the library's default double submit), and a request
/// carrying a token in both places is refused.
/// Tokens that `revocations` names are refused.
pub async fn verifier(
    urls: &Urls,
    audience: &str,
    revocations: &auth::RevocationList,
) -> Result<auth::Verifier, Error> {
    let jwks = auth::JwksClient::builder(urls.jwks_url.clone())
        .refetch_cooldown(std::time::Duration::from_secs(5))
        .start()
        .await?;
    Ok(auth::Verifier::builder()
        .jwks(jwks)
        .issuer(urls.issuer.clone())
        .audience(audience)
        .revocations(revocations.clone())
        .token_locations([
            auth::TokenLocation::AuthorizationHeader,
            auth::TokenLocation::cookie(ACCESS_COOKIE)
                .csrf(auth::Csrf::cookie(CSRF_COOKIE, CSRF_HEADER)),
        ])
        .build()?)
}

/// CORS for the front end, which the authority serves from its own origin. Credentials are
/// allowed (for that origin only) so that the page's cookie mode can send the cookies; the
/// CSRF header is allowed so that it can prove its unsafe requests are its own.
pub fn cors(urls: &Urls) -> Result<tower_http::cors::CorsLayer, Error> {
    use axum::http::{HeaderName, HeaderValue, Method, header};
    Ok(tower_http::cors::CorsLayer::new()
        .allow_origin(HeaderValue::from_str(&urls.authority)?)
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static(CSRF_HEADER),
        ]))
}
