use auth::{Claims, Verifier, protected};
use axum::{Router, routing::get};

#[protected]
#[protected]
async fn handler(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

fn app(verifier: Verifier) -> Router {
    Router::new().route("/", get(handler)).with_state(verifier)
}

fn main() {
    let _ = app;
}
