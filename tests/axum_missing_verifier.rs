//! No verifier anywhere is a server misconfiguration: 500, never an open door.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use auth::{Algorithm, Claims, protected, testing};
use axum::Router;
use axum::routing::get;
use common::{bearer, get as fetch, serve};

#[protected]
async fn me(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[tokio::test]
async fn missing_verifier_is_a_500_not_an_open_door() {
    let base = serve(Router::new().route("/me", get(me))).await;
    let token = testing::authority(Algorithm::ES256)
        .issue("mallory", ["admin"])
        .unwrap();
    for headers in [vec![], vec![bearer(&token)]] {
        let refs: Vec<&str> = headers.iter().map(String::as_str).collect();
        let reply = fetch(&format!("{base}/me"), &refs).await;
        assert_eq!(reply.status, 500);
        assert_eq!(reply.challenge, None);
        assert_eq!(reply.json()["error"], "server_error");
    }
}
