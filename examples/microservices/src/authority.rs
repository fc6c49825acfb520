//! The authority: checks passwords (argon2 hashes) and signs short-lived tokens, handed over
//! in the response body or in `HttpOnly` cookies; issues service tokens at its token endpoint
//! (client credentials, token exchange); publishes its public keys and a discovery document;
//! serves the front end.

use std::path::Path;
use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use auth::openapi::BearerSecurity;
use auth::{
    Authority, KeyDirectory, ServiceClient, SessionError, Sessions, TokenEndpoint, TokenRequest,
    Verifier,
};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{AppendHeaders, Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use utoipa::OpenApi;

use crate::shared::Shared;
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
    sessions: Sessions,
    /// The authority's own tokens, any of its audiences, revocations honoured: for logout.
    verifier: Verifier,
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

/// The authority's router: login, refresh, logout, revocation, JWKS, discovery, and the front
/// end, signing with `authority` (from [`build_authority`]), keeping sessions and sending
/// revocations where `shared` says.
pub fn app(
    urls: &Urls,
    authority: Authority,
    shared: &Shared,
    prometheus: metrics_exporter_prometheus::PrometheusHandle,
) -> Result<Router, Error> {
    let sessions = Sessions::builder(authority.clone())
        .store(shared.sessions.clone())
        .revocations(shared.publisher.clone())
        .build()?;
    let verifier = authority
        .verifier()
        .any_audience()
        .revocations(shared.revocations.clone())
        .token_locations([
            auth::TokenLocation::AuthorizationHeader,
            auth::TokenLocation::cookie(ACCESS_COOKIE),
        ])
        .build()?;
    let (id, secret) = REPORTS_CLIENT;
    let revocations = shared.revocations.clone();
    let endpoint = TokenEndpoint::builder(authority.clone())
        .url(format!("{}/oauth/token", urls.authority))
        .revocation_url(format!("{}/oauth/revoke", urls.authority))
        .sessions(sessions.clone())
        // A revoked token is not exchanged for a fresh one.
        .revoked(move |claims| revocations.is_revoked(claims))
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
        sessions,
        verifier,
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
        .route(REFRESH_PATH, post(refresh_cookie))
        .route("/oauth/token", post(oauth_token))
        .route("/oauth/revoke", post(oauth_revoke))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/metrics", crate::telemetry::metrics_route(prometheus))
        .route("/openapi.json", get(openapi))
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

/// The authority's API: login and sessions, the OAuth token and revocation endpoints, the
/// keys and the discovery document.
#[derive(OpenApi)]
#[openapi(
    info(title = "authority", description = "The demo's authority"),
    paths(login, refresh_cookie, logout, oauth_token, oauth_revoke, jwks, discovery),
    modifiers(&BearerSecurity, &ClientSecurity)
)]
pub struct AuthorityApi;

/// The name of the service clients' HTTP Basic scheme (`client_secret_basic`).
pub const CLIENT_SCHEME: &str = "client_basic";

/// Declares [`CLIENT_SCHEME`]: a service client's id and secret in HTTP Basic (RFC 6749
/// section 2.3.1; `client_secret_post` and `private_key_jwt` go in the form instead).
pub struct ClientSecurity;

impl utoipa::Modify for ClientSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        openapi
            .components
            .get_or_insert_with(utoipa::openapi::Components::new)
            .add_security_scheme(
                CLIENT_SCHEME,
                SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
            );
    }
}

/// The authority's OpenAPI document.
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(AuthorityApi::openapi())
}

/// The form of `POST /oauth/token` (RFC 6749, RFC 8693, RFC 7523): the members each grant
/// reads.
#[derive(utoipa::ToSchema)]
#[allow(
    dead_code,
    reason = "the endpoint parses the form itself; this is its schema"
)]
struct TokenForm {
    /// `client_credentials`, `urn:ietf:params:oauth:grant-type:token-exchange` or
    /// `refresh_token`.
    grant_type: String,
    /// The audience asked for (client credentials, token exchange).
    audience: Option<String>,
    /// The token exchanged (token exchange).
    subject_token: Option<String>,
    /// `urn:ietf:params:oauth:token-type:access_token` (token exchange).
    subject_token_type: Option<String>,
    /// The refresh token (refresh grant).
    refresh_token: Option<String>,
    /// `client_secret_post` and `private_key_jwt`: the client's id.
    client_id: Option<String>,
    /// `client_secret_post`: the client's secret.
    client_secret: Option<String>,
    /// `private_key_jwt`: `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
    client_assertion_type: Option<String>,
    /// `private_key_jwt`: the client's signed assertion.
    client_assertion: Option<String>,
}

/// The form of `POST /oauth/revoke` (RFC 7009).
#[derive(utoipa::ToSchema)]
#[allow(
    dead_code,
    reason = "the endpoint parses the form itself; this is its schema"
)]
struct RevokeForm {
    /// A refresh token or an access token of this authority.
    token: String,
    /// `refresh_token` or `access_token`.
    token_type_hint: Option<String>,
    /// `client_secret_post`: the client's id.
    client_id: Option<String>,
    /// `client_secret_post`: the client's secret.
    client_secret: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Login {
    username: String,
    password: String,
    /// Where the token goes: absent or `"bearer"`, the body; `"cookie"`, two cookies.
    #[serde(default)]
    mode: LoginMode,
}

#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
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
#[utoipa::path(
    post,
    path = "/login",
    request_body = Login,
    responses(
        (status = 200, description = "Logged in: the tokens in the body, or in cookies"),
        (status = 400, description = "A malformed body"),
        (status = 401, description = "Wrong username or password"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "A body without the members a login needs"),
        (status = 503, description = "The session store is away"),
    )
)]
async fn login(State(state): State<AppState>, Json(login): Json<Login>) -> Response {
    let user = state.users.iter().find(|u| u.name == login.username);
    let hash = user.map_or(state.decoy.as_str(), |u| u.hash.as_str());
    let ok = password_matches(&login.password, hash) && user.is_some();
    let Some(user) = user.filter(|_| ok) else {
        tracing::info!(username = %login.username, "login refused");
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_grant", "error_description": "wrong username or password"}))).into_response();
    };
    let session = match state.sessions.start(&user.name, user.roles.clone()).await {
        Ok(session) => session,
        Err(error) => return session_failure(&error),
    };
    let token = session.access_token;
    let lifetime = session.expires_in;
    // A token response must not be cached (RFC 6749 section 5.1), whichever way it travels.
    match login.mode {
        LoginMode::Bearer => {
            tracing::info!(username = %user.name, "login");
            (
                [(header::CACHE_CONTROL, "no-store")],
                Json(json!({
                    "access_token": token,
                    "token_type": "Bearer",
                    "expires_in": lifetime,
                    "refresh_token": session.refresh_token,
                })),
            )
                .into_response()
        }
        LoginMode::Cookie => {
            tracing::info!(username = %user.name, "login (cookie mode)");
            cookie_session(&user.name, token, session.refresh_token, lifetime)
        }
    }
}

/// The cookie mode's answer to a login or a refresh: the access token in an `HttpOnly` cookie
/// beside a readable CSRF cookie, both lasting as long as the token, and the refresh token in
/// an `HttpOnly` cookie sent to `POST /refresh` only. No token in the body: the page's scripts
/// never see one.
fn cookie_session(sub: &str, access: String, refresh: String, lifetime: u64) -> Response {
    let csrf = match csrf_value() {
        Ok(csrf) => csrf,
        Err(error) => {
            tracing::error!(%error, "no randomness for the CSRF cookie");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let max_age = cookie::time::Duration::seconds(i64::try_from(lifetime).unwrap_or(i64::MAX));
    let access = session_cookie(ACCESS_COOKIE, access, true).max_age(max_age);
    let csrf = session_cookie(CSRF_COOKIE, csrf, false).max_age(max_age);
    let refresh = session_cookie(REFRESH_COOKIE, refresh, true).path(REFRESH_PATH);
    (
        AppendHeaders([
            (header::SET_COOKIE, access.to_string()),
            (header::SET_COOKIE, csrf.to_string()),
            (header::SET_COOKIE, refresh.to_string()),
        ]),
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "token_type": "cookie",
            "expires_in": lifetime,
            "sub": sub,
        })),
    )
        .into_response()
}

/// The cookie of the cookie mode's refresh token, sent to `POST /refresh` only.
pub const REFRESH_COOKIE: &str = "refresh_token";
/// Where the cookie mode refreshes its session.
const REFRESH_PATH: &str = "/refresh";

/// `POST /refresh`, the cookie mode's refresh: the refresh token from its cookie, rotated as by
/// `POST /oauth/token` (a reused one ends the session); new cookies, 200 with
/// `{"token_type": "cookie", "expires_in", "sub"}`; 400 `invalid_grant` (cookies cleared) for a
/// missing, unknown, used or expired one; 503 when the session store is away. `SameSite=Strict`
/// keeps other sites from sending the cookie.
#[utoipa::path(
    post,
    path = "/refresh",
    responses(
        (status = 200, description = "New cookies for the session"),
        (status = 400, description = "No usable refresh token cookie; the cookies are cleared"),
        (status = 503, description = "The session store is away"),
    )
)]
async fn refresh_cookie(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let refresh = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == REFRESH_COOKIE)
        .map(|c| c.value().to_owned());
    let refreshed = match refresh {
        Some(token) => state.sessions.refresh(&token).await,
        None => Err(SessionError::InvalidGrant("no refresh token cookie")),
    };
    match refreshed {
        Ok(tokens) => {
            let sub = state
                .verifier
                .verify(&tokens.access_token)
                .ok()
                .and_then(|claims| claims.sub)
                .unwrap_or_default();
            cookie_session(
                &sub,
                tokens.access_token,
                tokens.refresh_token,
                tokens.expires_in,
            )
        }
        Err(SessionError::InvalidGrant(why)) => {
            let mut response = (
                StatusCode::BAD_REQUEST,
                [(header::CACHE_CONTROL, "no-store")],
                Json(json!({"error": "invalid_grant", "error_description": why})),
            )
                .into_response();
            for cleared in cleared_cookies() {
                if let Ok(value) = cleared.parse() {
                    response.headers_mut().append(header::SET_COOKIE, value);
                }
            }
            response
        }
        Err(error) => session_failure(&error),
    }
}

/// `Set-Cookie` values removing the cookie mode's three cookies.
fn cleared_cookies() -> [String; 3] {
    [
        session_cookie(ACCESS_COOKIE, String::new(), true)
            .removal()
            .to_string(),
        session_cookie(CSRF_COOKIE, String::new(), false)
            .removal()
            .to_string(),
        session_cookie(REFRESH_COOKIE, String::new(), true)
            .path(REFRESH_PATH)
            .removal()
            .to_string(),
    ]
}

/// `POST /logout`, with the session's access token (`Authorization: Bearer`, or the cookie of
/// the cookie mode): ends the token's session, its access tokens revoked on every service;
/// `?everywhere=true` ends every session of its subject. 204, clearing the cookies of the
/// cookie mode (the page cannot clear the `HttpOnly` one itself); 503 when the revocation
/// could not be persisted (nothing was ended: try again). Without a valid token there is no
/// session to end: 204 all the same. It needs no CSRF proof: the worst a forged logout does
/// is log the browser out.
#[utoipa::path(
    post,
    path = "/logout",
    params(("everywhere" = Option<String>, Query, description = "`true`: end every session of the token's subject; otherwise the token's session only")),
    responses(
        (status = 204, description = "The session ended (or there was none); the cookies are cleared"),
        (status = 503, description = "The revocation could not be persisted: nothing ended"),
    ),
    security((), ("bearer" = []))
)]
async fn logout(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> Response {
    // `?everywhere=true`: every session of the token's subject, not only this one.
    let everywhere = form_urlencoded_pairs(uri.query().unwrap_or("").as_bytes())
        .any(|(name, value)| name == "everywhere" && value == "true");
    let view = auth::HttpView {
        headers: &headers,
        method: None,
        query: None,
        path: None,
    };
    if let Ok(verified) = state.verifier.verify_request(&view) {
        let claims = verified.claims();
        let ended = match (everywhere, claims.sub.as_deref(), claims.sid()) {
            (true, Some(sub), _) => state.sessions.end_all(sub).await,
            (false, _, Some(sid)) => state.sessions.end(sid).await,
            _ => match &claims.jti {
                Some(jti) => state.sessions.revoke_token(jti, claims.exp).await,
                None => Ok(()),
            },
        };
        if let Err(error) = ended {
            return session_failure(&error);
        }
        tracing::info!(sub = ?claims.sub, everywhere = everywhere, "logout");
    }
    let [access, csrf, refresh] = cleared_cookies();
    (
        StatusCode::NO_CONTENT,
        AppendHeaders([
            (header::SET_COOKIE, access),
            (header::SET_COOKIE, csrf),
            (header::SET_COOKIE, refresh),
        ]),
    )
        .into_response()
}

/// A session operation that failed: 503 when the store or the revocation feed is away
/// (nothing acknowledged), 500 otherwise.
fn session_failure(error: &SessionError) -> Response {
    tracing::error!(%error, "session operation failed");
    let status = match error {
        SessionError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"error": "temporarily_unavailable", "error_description": "sessions cannot be changed now; try again"})),
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

/// The authority's public keys (RFC 7517).
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    responses((status = 200, description = "The JWK Set"))
)]
async fn jwks(State(state): State<AppState>) -> Response {
    let (parts, body) = state.sessions.authority().jwks_response().into_parts();
    Response::from_parts(parts, body.into())
}

/// The discovery document, with the token endpoint's members.
#[utoipa::path(
    get,
    path = "/.well-known/openid-configuration",
    responses((status = 200, description = "The OpenID Provider metadata"))
)]
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
#[utoipa::path(
    post,
    path = "/oauth/token",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "A token (RFC 6749 section 5.1)"),
        (status = 400, description = "An error of RFC 6749 section 5.2: invalid_request, invalid_grant, unsupported_grant_type, invalid_target, ..."),
        (status = 401, description = "invalid_client: the client could not be authenticated"),
        (status = 503, description = "The session store is away (refresh grant)"),
    ),
    security((), ("client_basic" = []))
)]
async fn oauth_token(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|value| value.as_bytes().to_vec());
    let endpoint = Arc::clone(&state.endpoint);
    // The refresh grant asks the session store (async); the others may hash a secret.
    if is_refresh_grant(&body) {
        let request = TokenRequest {
            authorization: authorization.as_deref(),
            body: &body,
        };
        let (parts, body) = endpoint.respond_async(request).await.into_parts();
        return Response::from_parts(parts, body.into());
    }
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

fn is_refresh_grant(body: &[u8]) -> bool {
    form_urlencoded_pairs(body)
        .any(|(name, value)| name == "grant_type" && value == auth::REFRESH_TOKEN)
}

/// The pairs of a form body, for the grant type only (the endpoint parses the whole body).
fn form_urlencoded_pairs(body: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    body.split(|b| *b == b'&').filter_map(|pair| {
        let text = std::str::from_utf8(pair).ok()?;
        let (name, value) = text.split_once('=')?;
        Some((name.to_owned(), value.to_owned()))
    })
}

/// `POST /oauth/revoke`, form-encoded `token=` (RFC 7009): a refresh token or an access token
/// of this authority; its session ends. 200 whether or not the token was known; 503 when the
/// revocation could not be persisted.
#[utoipa::path(
    post,
    path = "/oauth/revoke",
    request_body(content = RevokeForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Revoked, or not known (RFC 7009 section 2.2)"),
        (status = 400, description = "invalid_request: no token"),
        (status = 401, description = "invalid_client: a client's credentials did not verify"),
        (status = 503, description = "The revocation could not be persisted"),
    ),
    security((), ("client_basic" = []))
)]
async fn oauth_revoke(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let request = TokenRequest {
        authorization: headers
            .get(header::AUTHORIZATION)
            .map(axum::http::HeaderValue::as_bytes),
        body: &body,
    };
    let (parts, body) = state.endpoint.revoke(request).await.into_parts();
    Response::from_parts(parts, body.into())
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
