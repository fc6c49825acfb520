//! The users service (axum): who am I, and the user list for admins.

use auth::{Claims, protected, requires_role};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::{Error, Urls, authority::DEMO_USERS};

/// The users service's router: `/health`, `/me`, `/admin/users`.
pub async fn app(urls: &Urls) -> Result<Router, Error> {
    let verifier = crate::verifier(urls).await?;
    Ok(Router::new()
        .route("/health", get(health))
        .route("/me", get(me))
        .route("/admin/users", get(admin_users))
        .layer(crate::cors(urls)?)
        .with_state(verifier))
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok", "service": "users"}))
}

/// Any valid token: the caller's subject and roles.
#[protected]
async fn me(claims: Claims) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "roles": claims.roles }))
}

/// Admins only.
#[requires_role("admin")]
async fn admin_users(claims: Claims) -> Json<Value> {
    tracing::info!(admin = ?claims.sub, "user list read");
    let users: Vec<Value> = DEMO_USERS
        .iter()
        .map(|(name, _, roles)| json!({"name": name, "roles": roles}))
        .collect();
    Json(json!({ "users": users }))
}
