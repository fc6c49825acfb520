use auth::{Claims, Verifier, requires_role};
use axum::{Router, routing::get};

#[requires_role("amin")]
async fn delete_user(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

fn app(verifier: Verifier) -> Router {
    Router::new()
        .route("/users", get(delete_user))
        .with_state(verifier)
}

fn main() {
    let _ = app;
}
