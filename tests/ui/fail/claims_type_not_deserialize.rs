use auth::{Verifier, protected};
use axum::{Router, routing::get};

// Not `Deserialize`: the error is on the parameter's type. Registering the handler then also
// fails at the route (axum's "not a `Handler`", and the same claims error again).
struct Tenant {
    sub: String,
}

#[protected]
async fn handler(#[claims] tenant: Tenant) -> String {
    tenant.sub
}

fn app(verifier: Verifier) -> Router {
    Router::new().route("/", get(handler)).with_state(verifier)
}

fn main() {
    let _ = app;
}
