//! The authority: checks passwords (argon2 hashes) and signs short-lived tokens; publishes its
//! public keys and a discovery document; serves the front end.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use auth::{Algorithm, Authority, SigningKey};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::{Error, Urls};

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
    users: Arc<Vec<User>>,
    /// A hash checked when the user is unknown, so both cases take the same time.
    decoy: Arc<String>,
    page: Arc<String>,
}

/// The authority's router: login, JWKS, discovery, and the front end.
pub fn app(urls: &Urls) -> Result<Router, Error> {
    let authority = Authority::builder()
        .issuer(urls.issuer.clone())
        .audience(urls.audience.clone())
        .signing_key(SigningKey::generate(Algorithm::ES256)?)
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
        users: Arc::new(users),
        decoy: Arc::new(hash("decoy")?),
        page: Arc::new(page),
    };
    Ok(Router::new()
        .route("/", get(index))
        .route("/axios.min.js", get(axios))
        .route("/login", post(login))
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
}

/// `POST /login`: 200 with a token, 401 for bad credentials; axum's `Json` answers 400/415/422
/// for a malformed body.
async fn login(State(state): State<AppState>, Json(login): Json<Login>) -> Response {
    let user = state.users.iter().find(|u| u.name == login.username);
    let hash = user.map_or(state.decoy.as_str(), |u| u.hash.as_str());
    let ok = password_matches(&login.password, hash) && user.is_some();
    let Some(user) = user.filter(|_| ok) else {
        tracing::info!(username = %login.username, "login refused");
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_grant", "error_description": "wrong username or password"}))).into_response();
    };
    match state
        .authority
        .issue(user.name.clone(), user.roles.iter().cloned())
    {
        Ok(token) => {
            tracing::info!(username = %user.name, "login");
            Json(json!({
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": state.authority.lifetime().as_secs(),
            }))
            .into_response()
        }
        Err(error) => {
            tracing::error!(%error, "signing failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn jwks(State(state): State<AppState>) -> Response {
    let (parts, body) = state.authority.jwks_response().into_parts();
    Response::from_parts(parts, body.into())
}

async fn discovery(State(state): State<AppState>) -> Response {
    let (parts, body) = state.authority.discovery_response().into_parts();
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
