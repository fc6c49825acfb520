use auth::{Claims, Verifier, requires_role};
use axum::{Router, routing::get};

#[requires_role("admin", "user")]
async fn handler(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

fn app(verifier: Verifier) -> Router {
    Router::new().route("/", get(handler)).with_state(verifier)
}

fn main() {
    let _ = app;
}
