use auth::Claims;
use axum::{Router, routing::get};

mod reexport {
    pub use auth;
}

#[auth::protected(crate = ::auth)]
#[auth::requires_role("admin", crate = reexport::auth)]
async fn handler(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

fn app(verifier: reexport::auth::Verifier) -> Router {
    Router::new().route("/", get(handler)).with_state(verifier)
}

fn main() {
    let _ = app;
}
