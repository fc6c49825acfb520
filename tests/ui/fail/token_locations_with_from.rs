use auth::{AuthError, Claims, TokenLocation, protected};
use axum::http::HeaderMap;

auth::token_locations! {
    struct LiveTokens = [TokenLocation::websocket_query("access_token")];
}

// The explicit-source style reads the token where its source says: no locations to choose.
#[protected(from = headers, token_locations = LiveTokens)]
fn handle(headers: &HeaderMap, claims: Claims) -> Result<String, AuthError> {
    let _ = headers;
    Ok(claims.sub.unwrap_or_default())
}

fn main() {
    let _ = handle(&HeaderMap::new());
}
