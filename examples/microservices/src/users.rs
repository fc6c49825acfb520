//! The users service (axum): who am I, the user list for admins, and a directory for the
//! reports service itself. It accepts tokens for its own audience only (`users`): a token
//! meant for reports is refused everywhere here.

use auth::{Claims, Verifier, protected, requires_role};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::{Value, json};

use crate::{Error, Urls, authority::DEMO_USERS};

/// The users service's router: `/health`, `/metrics`, `/me`, `/directory`, `/admin/users`.
pub async fn app(
    urls: &Urls,
    revocations: &auth::RevocationList,
    prometheus: PrometheusHandle,
) -> Result<Router, Error> {
    let verifier = crate::verifier(urls, &urls.users_audience, revocations).await?;
    Ok(Router::new()
        .route("/health", get(health))
        .route("/metrics", crate::telemetry::metrics_route(prometheus))
        .route("/me", get(me))
        .route("/directory", get(directory))
        .route("/admin/users", get(admin_users))
        .layer(crate::cors(urls)?)
        .with_state(verifier))
}

/// 200 once the verifier has the authority's keys, 503 before.
async fn health(State(verifier): State<Verifier>) -> (StatusCode, Json<Value>) {
    let (status, body) = crate::telemetry::health("users", &verifier);
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
        Json(body),
    )
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
