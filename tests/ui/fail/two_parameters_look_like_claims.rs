use auth::{Claims, Verifier, protected};
use axum::{Router, routing::get};

#[protected]
async fn handler(caller: Claims, on_behalf_of: Option<Claims>) -> String {
    format!("{:?} {:?}", caller.sub, on_behalf_of.and_then(|c| c.sub))
}

fn app(verifier: Verifier) -> Router {
    Router::new().route("/", get(handler)).with_state(verifier)
}

fn main() {
    let _ = app;
}
