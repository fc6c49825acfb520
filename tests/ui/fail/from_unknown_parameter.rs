use auth::{AuthError, Claims, protected};
use axum::http::HeaderMap;

#[protected(from = request)]
fn handle(headers: &HeaderMap, claims: Claims) -> Result<String, AuthError> {
    let _ = headers;
    Ok(claims.sub.unwrap_or_default())
}

fn main() {
    let _ = handle(&HeaderMap::new());
}
