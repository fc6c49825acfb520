//! The users service (axum): who am I, the user list for admins, and a directory for the
//! reports service itself. It accepts tokens for its own audience only (`users`): a token
//! meant for reports is refused everywhere here.

use auth::openapi::BearerSecurity;
use auth::{Claims, Verifier, protected, requires_role};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::{Value, json};
use utoipa::OpenApi;

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
        .route("/openapi.json", get(openapi))
        .layer(crate::cors(urls)?)
        .with_state(verifier))
}

/// The users service's API: the bearer scheme and the operations below, whose security
/// requirements and refusals come from their `auth` attributes.
#[derive(OpenApi)]
#[openapi(
    info(title = "users", description = "The demo's users service"),
    paths(health, me, directory, admin_users),
    modifiers(&BearerSecurity)
)]
pub struct UsersApi;

/// The users service's OpenAPI document.
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(UsersApi::openapi())
}

/// Whether the service is ready: 200 once the verifier has the authority's keys, 503 before.
#[utoipa::path(
    get,
    path = "/health",
    responses(
        (status = 200, description = "Ready: the verifier has the authority's keys"),
        (status = 503, description = "Not ready: the first fetch of the authority's keys is pending"),
    )
)]
async fn health(State(verifier): State<Verifier>) -> (StatusCode, Json<Value>) {
    let (ready, body) = crate::telemetry::health("users", &verifier);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

/// Any valid token: the caller's subject and roles, and who acts for the caller (the `act`
/// chain of an exchanged token, the current actor first; empty when the caller calls itself).
#[protected]
#[utoipa::path(
    get,
    path = "/me",
    responses((status = 200, description = "The caller's subject, roles and actors"))
)]
async fn me(claims: Claims) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "roles": claims.roles, "actors": claims.actors() }))
}

/// The reports service itself (its own token, client credentials): how many users there are.
#[protected(callers = ["reports"])]
#[utoipa::path(
    get,
    path = "/directory",
    responses((status = 200, description = "How many users there are"))
)]
async fn directory(claims: Claims) -> Json<Value> {
    Json(json!({ "users": DEMO_USERS.len(), "asked_by": claims.sub }))
}

/// Admins only.
#[requires_role("admin")]
#[utoipa::path(
    get,
    path = "/admin/users",
    responses((status = 200, description = "Every user and their roles"))
)]
async fn admin_users(claims: Claims) -> Json<Value> {
    tracing::info!(admin = ?claims.sub, "user list read");
    let users: Vec<Value> = DEMO_USERS
        .iter()
        .map(|(name, _, roles)| json!({"name": name, "roles": roles}))
        .collect();
    Json(json!({ "users": users }))
}
