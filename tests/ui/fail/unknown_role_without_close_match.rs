use auth::{Claims, Verifier, requires_role};
use axum::{Router, routing::get};

#[requires_role("superintendent")]
async fn rename_building(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

fn app(verifier: Verifier) -> Router {
    Router::new()
        .route("/building", get(rename_building))
        .with_state(verifier)
}

fn main() {
    let _ = app;
}
