use auth::{Claims, Verifier, protected};
use axum::{Router, routing::get};

#[derive(serde::Deserialize)]
struct Tenant {
    tenant: String,
}

#[protected]
async fn handler(#[claims] claims: Claims, #[claims] tenant: Tenant) -> String {
    format!("{:?}@{}", claims.sub, tenant.tenant)
}

fn app(verifier: Verifier) -> Router {
    Router::new().route("/", get(handler)).with_state(verifier)
}

fn main() {
    let _ = app;
}
