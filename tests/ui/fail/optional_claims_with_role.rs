use auth::{Claims, Verifier, requires_role};
use axum::{Router, routing::get};

#[requires_role("admin")]
async fn handler(claims: Option<Claims>) -> String {
    claims.and_then(|c| c.sub).unwrap_or_default()
}

fn app(verifier: Verifier) -> Router {
    Router::new().route("/", get(handler)).with_state(verifier)
}

fn main() {
    let _ = app;
}
