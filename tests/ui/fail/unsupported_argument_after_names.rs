use auth::{Claims, Verifier, requires_scope};
use axum::{Router, routing::get};

#[requires_scope("orders:read", optional = true)]
async fn handler(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

fn app(verifier: Verifier) -> Router {
    Router::new().route("/", get(handler)).with_state(verifier)
}

fn main() {
    let _ = app;
}
