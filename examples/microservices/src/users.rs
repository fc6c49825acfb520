//! The users service (axum): who am I, the user list for admins, and a directory for the
//! reports service itself. It accepts tokens for its own audience only (`users`): a token
//! meant for reports is refused everywhere here.

use auth::{Claims, protected, requires_role};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::{Error, Urls, authority::DEMO_USERS};

/// The users service's router: `/health`, `/me`, `/admin/users`.
pub async fn app(urls: &Urls, revocations: &auth::RevocationList) -> Result<Router, Error> {
    let verifier = crate::verifier(urls, &urls.users_audience, revocations).await?;
    Ok(Router::new()
        .route("/health", get(health))
        .route("/me", get(me))
        .route("/directory", get(directory))
        .route("/admin/users", get(admin_users))
        .layer(crate::cors(urls)?)
        .with_state(verifier))
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok", "service": "users"}))
}

/// Any valid token: the caller's subject and roles, and who acts for the caller (the `act`
/// chain of an exchanged token, the current actor first; empty when the caller calls itself).
#[protected]
async fn me(claims: Claims) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "roles": claims.roles, "actors": claims.actors() }))
}

/// The reports service itself (its own token, client credentials): how many users there are.
#[protected(callers = ["reports"])]
async fn directory(claims: Claims) -> Json<Value> {
    Json(json!({ "users": DEMO_USERS.len(), "asked_by": claims.sub }))
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
