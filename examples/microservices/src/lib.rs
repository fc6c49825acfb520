//! The demo's services: an authority that logs users in and signs short-lived tokens, a users
//! service (axum) and a reports service (actix-web) that verify them locally with only the
//! authority's public keys, fetched from its JWKS. `cargo run --example microservices` runs
//! them; the tests start them on ephemeral ports (`tests/microservices.rs`, `tests/browser.rs`).

pub mod authority;
pub mod reports;
pub mod shared;
pub mod users;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

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

    /// Every address on an OS-chosen loopback port (for tests).
    pub fn ephemeral() -> Config {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        Config {
            auth_addr: any,
            users_addr: any,
            reports_addr: any,
            issuer: None,
            users_audience: "users".into(),
            reports_audience: "reports".into(),
            jwks_url: None,
            redis_url: None,
        }
    }
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
    tasks: Vec<tokio::task::JoinHandle<()>>,
    reports: Option<reports::Handle>,
    /// The revocations this process honours, fed from Redis when configured.
    pub shared: Arc<shared::Shared>,
}

impl Running {
    /// Stops every service.
    pub fn stop(self) {
        for task in &self.tasks {
            task.abort();
        }
        if let Some(reports) = self.reports {
            reports.stop();
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
    let mut tasks = Vec::new();
    if let Some(listener) = auth {
        let app = authority::app(&urls, &shared)?;
        tracing::info!(
            "authority on {}: POST /login, POST /logout, POST /oauth/token, POST /oauth/revoke, GET /.well-known/jwks.json, GET / (the front end); demo users alice/alice-password (admin), bob/bob-password (user); service client {}/{} (client credentials, token exchange for {})",
            urls.authority,
            authority::REPORTS_CLIENT.0,
            authority::REPORTS_CLIENT.1,
            urls.users_audience
        );
        tasks.push(serve(listener, app)?);
    }
    if let Some(listener) = users {
        let app = users::app(&urls, &shared.revocations).await?;
        tracing::info!(
            "users service on {}: GET /health, GET /me (any valid token), GET /admin/users (admin), GET /directory (the reports service itself); accepts audience {} from {} via {}",
            urls.users,
            urls.users_audience,
            urls.issuer,
            urls.jwks_url
        );
        tasks.push(serve(listener, app)?);
    }
    let reports = match reports {
        Some(listener) => {
            let handle = reports::start(listener, urls.clone(), shared.revocations.clone())?;
            tracing::info!(
                "reports service on {} (actix-web): GET /health, GET /reports and POST /reports (user), GET /reports/all (admin), GET /reports/directory (user; calls users as itself); accepts audience {} from {} via {}",
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
    })
}

fn serve(listener: TcpListener, app: axum::Router) -> Result<tokio::task::JoinHandle<()>, Error> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    Ok(tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "server stopped");
        }
    }))
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
