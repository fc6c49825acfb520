use auth::{Claims, TokenLocation, Verifier, protected};
use axum::{Router, routing::get};

// A type of its own, not declared with `token_locations!`: the error is on the type in the
// attribute. Registering the handler then also fails at the route (axum's "not a `Handler`").
struct LiveTokens;

#[protected(token_locations = LiveTokens)]
async fn live(claims: Claims) -> String {
    let _ = TokenLocation::AuthorizationHeader;
    claims.sub.unwrap_or_default()
}

fn app(verifier: Verifier) -> Router {
    Router::new().route("/", get(live)).with_state(verifier)
}

fn main() {
    let _ = app;
}
