use auth::{Claims, protected};
use axum::http::HeaderMap;

#[derive(Debug)]
struct MyError;

#[protected(from = headers)]
fn handle(headers: &HeaderMap, claims: Claims) -> Result<String, MyError> {
    let _ = headers;
    Ok(claims.sub.unwrap_or_default())
}

fn main() {
    let _ = handle(&HeaderMap::new());
}
