//! The authority: checks passwords (argon2 hashes) and signs short-lived tokens, handed over
//! in the response body or in `HttpOnly` cookies; issues service tokens at its token endpoint
//! (client credentials, token exchange); publishes its public keys and a discovery document;
//! serves the front end.

use std::path::Path;
use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use auth::{Authority, KeyDirectory, ServiceClient, TokenEndpoint, TokenRequest};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{AppendHeaders, Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::{ACCESS_COOKIE, CSRF_COOKIE, Error, Urls};

/// The demo's service client: the reports service, with its secret (only its argon2 hash is
/// kept). It may obtain tokens of its own for the users service, and exchange its callers'
/// tokens for ones for the users service.
pub const REPORTS_CLIENT: (&str, &str) = ("reports", "reports-secret");

/// Demo users: name, password, roles. Only the argon2 hash of the password is kept.
pub const DEMO_USERS: [(&str, &str, &[&str]); 2] = [
    ("alice", "alice-password", &["admin"]),
    ("bob", "bob-password", &["user"]),
];

struct User {
    name: String,
    hash: String,
    roles: Vec<String>,
}

#[derive(Clone)]
struct AppState {
    authority: Authority,
    endpoint: Arc<TokenEndpoint>,
    users: Arc<Vec<User>>,
    /// A hash checked when the user is unknown, so both cases take the same time.
    decoy: Arc<String>,
    page: Arc<String>,
}

/// The demo's authority: its issuer, both audiences, and its signing keys in `key_dir`
/// (loaded, or generated on first start; rotated by [`Authority::apply_key_schedule`]).
pub fn build_authority(urls: &Urls, key_dir: &Path) -> Result<Authority, Error> {
    Ok(Authority::builder()
        .issuer(urls.issuer.clone())
        .audience(urls.users_audience.clone())
        .audience(urls.reports_audience.clone())
        .key_directory(KeyDirectory::new(key_dir))
        .build()?)
}

/// The authority's router: login, JWKS, discovery, and the front end, signing with
/// `authority` (from [`build_authority`]).
pub fn app(urls: &Urls, authority: Authority) -> Result<Router, Error> {
    let (id, secret) = REPORTS_CLIENT;
    let endpoint = TokenEndpoint::builder(authority.clone())
        .url(format!("{}/oauth/token", urls.authority))
        .client(
            ServiceClient::with_secret(id, secret)?
                .audiences([urls.users_audience.clone()])
                .serves([urls.reports_audience.clone()])
                .may_exchange_for([urls.users_audience.clone()]),
        )
        .build()?;
    let users = DEMO_USERS
        .iter()
        .map(|(name, password, roles)| {
            Ok(User {
                name: (*name).into(),
                hash: hash(password)?,
                roles: roles.iter().map(|r| (*r).into()).collect(),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let page = include_str!("../static/index.html")
        .replace("{{USERS_URL}}", &urls.users)
        .replace("{{REPORTS_URL}}", &urls.reports);
    let state = AppState {
        authority,
        endpoint: Arc::new(endpoint),
        users: Arc::new(users),
        decoy: Arc::new(hash("decoy")?),
        page: Arc::new(page),
    };
    Ok(Router::new()
        .route("/", get(index))
        .route("/axios.min.js", get(axios))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/oauth/token", post(oauth_token))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/.well-known/openid-configuration", get(discovery))
        .with_state(state))
}

fn hash(password: &str) -> Result<String, Error> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let hash: PasswordHash = Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|e| e.to_string())?;
    Ok(hash.to_string())
}

fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
    /// Where the token goes: absent or `"bearer"`, the body; `"cookie"`, two cookies.
    #[serde(default)]
    mode: LoginMode,
}

#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum LoginMode {
    /// The token in the JSON body, for the page to send as `Authorization: Bearer`.
    #[default]
    Bearer,
    /// The token in an `HttpOnly` cookie that scripts never see, beside a readable CSRF cookie.
    Cookie,
}

/// `POST /login` with `{"username", "password"}` and optionally `"mode": "bearer" | "cookie"`:
/// 200 with the token in the body (bearer, the default) or in cookies (cookie), 401 for bad
/// credentials; axum's `Json` answers 400/415/422 for a malformed body (an unknown mode too).
///
/// Requiring a JSON body also keeps other sites from logging a browser in as someone else: an
/// HTML form cannot send `application/json`, and a cross-origin script cannot either without a
/// CORS preflight, which the authority does not answer.
async fn login(State(state): State<AppState>, Json(login): Json<Login>) -> Response {
    let user = state.users.iter().find(|u| u.name == login.username);
    let hash = user.map_or(state.decoy.as_str(), |u| u.hash.as_str());
    let ok = password_matches(&login.password, hash) && user.is_some();
    let Some(user) = user.filter(|_| ok) else {
        tracing::info!(username = %login.username, "login refused");
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_grant", "error_description": "wrong username or password"}))).into_response();
    };
    let token = match state
        .authority
        .issue(user.name.clone(), user.roles.iter().cloned())
    {
        Ok(token) => token,
        Err(error) => {
            tracing::error!(%error, "signing failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let lifetime = state.authority.lifetime().as_secs();
    // A token response must not be cached (RFC 6749 section 5.1), whichever way it travels.
    let no_store = (header::CACHE_CONTROL, "no-store");
    match login.mode {
        LoginMode::Bearer => {
            tracing::info!(username = %user.name, "login");
            (
                [no_store],
                Json(json!({
                    "access_token": token,
                    "token_type": "Bearer",
                    "expires_in": lifetime,
                })),
            )
                .into_response()
        }
        LoginMode::Cookie => {
            let csrf = match csrf_value() {
                Ok(csrf) => csrf,
                Err(error) => {
                    tracing::error!(%error, "no randomness for the CSRF cookie");
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                }
            };
            tracing::info!(username = %user.name, "login (cookie mode)");
            // Both cookies last as long as the token.
            let max_age =
                cookie::time::Duration::seconds(i64::try_from(lifetime).unwrap_or(i64::MAX));
            let access = session_cookie(ACCESS_COOKIE, token, true).max_age(max_age);
            let csrf = session_cookie(CSRF_COOKIE, csrf, false).max_age(max_age);
            (
                AppendHeaders([
                    (header::SET_COOKIE, access.to_string()),
                    (header::SET_COOKIE, csrf.to_string()),
                ]),
                [no_store],
                // No token here: the page's scripts never see it.
                Json(json!({
                    "token_type": "cookie",
                    "expires_in": lifetime,
                    "sub": user.name,
                })),
            )
                .into_response()
        }
    }
}

/// `POST /logout`: 204, clearing both cookies of the cookie mode (the page cannot clear the
/// `HttpOnly` one itself). It reads no cookie and needs no CSRF proof: the worst a forged
/// logout does is log the browser out.
async fn logout() -> Response {
    (
        StatusCode::NO_CONTENT,
        AppendHeaders([
            (
                header::SET_COOKIE,
                session_cookie(ACCESS_COOKIE, String::new(), true)
                    .removal()
                    .to_string(),
            ),
            (
                header::SET_COOKIE,
                session_cookie(CSRF_COOKIE, String::new(), false)
                    .removal()
                    .to_string(),
            ),
        ]),
    )
        .into_response()
}

/// A cookie of the cookie mode: `SameSite=Strict` (never sent on requests from other sites),
/// `Path=/`, host-only (no `Domain`). Cookies ignore ports, so the services on the other ports
/// of 127.0.0.1 receive it too: same site, other origins.
///
/// Without `Secure`, because the demo runs on plain http://127.0.0.1 and a browser would not
/// send a `Secure` cookie there over HTTP. In production, over HTTPS, add `Secure` and prefer
/// the `__Host-` name prefix (`__Host-access_token`), which makes browsers insist on `Secure`,
/// `Path=/` and no `Domain`, so a sibling subdomain cannot plant or overwrite the cookie.
fn session_cookie(
    name: &'static str,
    value: String,
    http_only: bool,
) -> cookie::CookieBuilder<'static> {
    cookie::Cookie::build((name, value))
        .http_only(http_only)
        .same_site(cookie::SameSite::Strict)
        .path("/")
}

/// 32 random bytes, base64url: the CSRF cookie's value, which another site cannot read.
fn csrf_value() -> Result<String, Error> {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

async fn jwks(State(state): State<AppState>) -> Response {
    let (parts, body) = state.authority.jwks_response().into_parts();
    Response::from_parts(parts, body.into())
}

/// The discovery document, with the token endpoint's members.
async fn discovery(State(state): State<AppState>) -> Response {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(state.endpoint.discovery_document()),
    )
        .into_response()
}

/// `POST /oauth/token`, form-encoded: client credentials and token exchange for the service
/// clients (RFC 6749 section 4.4, RFC 8693). Off the async workers: verifying a secret the
/// first time is an argon2 hash.
async fn oauth_token(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|value| value.as_bytes().to_vec());
    let endpoint = Arc::clone(&state.endpoint);
    let answered = tokio::task::spawn_blocking(move || {
        endpoint.respond(TokenRequest {
            authorization: authorization.as_deref(),
            body: &body,
        })
    })
    .await;
    match answered {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            Response::from_parts(parts, body.into())
        }
        Err(error) => {
            tracing::error!(%error, "the token endpoint failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn index(State(state): State<AppState>) -> Html<String> {
    Html(state.page.as_ref().clone())
}

async fn axios() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../static/axios.min.js"),
    )
}
