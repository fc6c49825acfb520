//! One axum service with an in-process authority: log in, then call handlers protected by
//! `#[protected]` and `#[requires_role(...)]`.
//!
//! ```sh
//! cargo run --example axum_roles --features axum            # serves on 127.0.0.1:3000
//! cargo run --example axum_roles --features axum -- --check # runs the tour against itself and exits
//! ```

use std::net::SocketAddr;

use auth::{Algorithm, Authority, Claims, SigningKey, Verifier, protected, requires_role};
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Clone, FromRef)]
struct AppState {
    authority: Authority,
    verifier: Verifier,
}

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

/// Demo users: (name, password, roles). A real authority checks a password hash.
const USERS: [(&str, &str, &[&str]); 2] = [
    ("alice", "alice-password", &["admin"]),
    ("bob", "bob-password", &["user"]),
];

async fn login(
    State(authority): State<Authority>,
    Json(login): Json<Login>,
) -> Result<Json<Value>, StatusCode> {
    let (name, _, roles) = USERS
        .iter()
        .find(|(name, password, _)| *name == login.username && *password == login.password)
        .ok_or(StatusCode::UNAUTHORIZED)?;
    let token = authority
        .issue(*name, roles.iter().copied())
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": authority.lifetime().as_secs(),
    })))
}

/// Any valid token.
#[protected]
async fn me(claims: Claims) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "roles": claims.roles }))
}

/// Role `user`; admins get in too (`admin` implies `user` in the workspace's vocabulary).
#[requires_role("user")]
async fn reports(claims: Claims) -> String {
    format!("reports for {}", claims.sub.unwrap_or_default())
}

/// Role `admin` only.
#[protected]
#[requires_role("admin")]
async fn admin_users() -> Json<Value> {
    Json(json!(
        USERS
            .iter()
            .map(|(name, _, roles)| json!({"name": name, "roles": roles}))
            .collect::<Vec<_>>()
    ))
}

fn app() -> Result<Router, Box<dyn std::error::Error>> {
    let authority = Authority::builder()
        .issuer("http://127.0.0.1:3000")
        .audience("demo")
        .signing_key(SigningKey::generate(Algorithm::ES256)?)
        .build()?;
    // In a real deployment the service gets the public keys from the authority's JWKS.
    let verifier = Verifier::builder()
        .jwks_json(authority.jwks().to_json())
        .issuer("http://127.0.0.1:3000")
        .audience("demo")
        .build()?;
    Ok(Router::new()
        .route("/login", post(login))
        .route("/me", get(me))
        .route("/reports", get(reports))
        .route("/admin/users", get(admin_users))
        .with_state(AppState {
            authority,
            verifier,
        }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info,auth=debug".into()))
        .init();
    let check = std::env::args().any(|a| a == "--check");
    let addr = if check {
        SocketAddr::from(([127, 0, 0, 1], 0))
    } else {
        SocketAddr::from(([127, 0, 0, 1], 3000))
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(axum::serve(listener, app()?).into_future());
    if !check {
        tracing::info!("listening on {base}; try:");
        tracing::info!(
            r#"TOKEN=$(curl -s -XPOST {base}/login -H 'content-type: application/json' -d '{{"username":"bob","password":"bob-password"}}' | jq -r .access_token)"#
        );
        tracing::info!(r#"curl -i {base}/me -H "Authorization: Bearer $TOKEN""#);
        tracing::info!(
            r#"curl -i {base}/admin/users -H "Authorization: Bearer $TOKEN"   # 403 for bob"#
        );
        server.await??;
        return Ok(());
    }
    tour(&base).await
}

/// Logs in as bob and alice and checks what each may do.
async fn tour(base: &str) -> Result<(), Box<dyn std::error::Error>> {
    let client = reqwest::Client::new();
    let status = |path: &str, token: Option<&str>| {
        let mut request = client.get(format!("{base}{path}"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.map(|r| r.status().as_u16()) }
    };
    let mut tokens = Vec::new();
    for (user, password) in [("bob", "bob-password"), ("alice", "alice-password")] {
        let reply: Value = client
            .post(format!("{base}/login"))
            .json(&json!({"username": user, "password": password}))
            .send()
            .await?
            .json()
            .await?;
        tokens.push(reply["access_token"].as_str().ok_or("no token")?.to_owned());
    }
    let (bob, alice) = (Some(tokens[0].as_str()), Some(tokens[1].as_str()));
    let expected = [
        ("/me", None, 401),
        ("/me", bob, 200),
        ("/reports", bob, 200),
        ("/admin/users", bob, 403),
        ("/reports", alice, 200),
        ("/admin/users", alice, 200),
    ];
    for (path, token, want) in expected {
        let got = status(path, token).await?;
        let who = match token {
            None => "anonymous",
            Some(t) if Some(t) == bob => "bob",
            Some(_) => "alice",
        };
        tracing::info!("GET {path} as {who}: {got}");
        if got != want {
            return Err(format!("GET {path} as {who}: expected {want}, got {got}").into());
        }
    }
    tracing::info!("tour passed");
    Ok(())
}
