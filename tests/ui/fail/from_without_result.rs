use auth::{Claims, protected};
use axum::http::HeaderMap;

#[protected(from = headers)]
fn handle(headers: &HeaderMap, claims: Claims) -> String {
    let _ = headers;
    claims.sub.unwrap_or_default()
}

fn main() {
    let _ = handle(&HeaderMap::new());
}
