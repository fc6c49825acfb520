//! A router without state uses the process-wide verifier; one process, one default.
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
async fn stateless_router_uses_the_installed_default() {
    let (authority, verifier) = testing::pair(Algorithm::EdDSA);
    auth::install_default_verifier(verifier).expect("first install");
    let base = serve(Router::new().route("/me", get(me))).await;
    let token = authority.issue("carol", ["user"]).unwrap();
    let reply = fetch(&format!("{base}/me"), &[&bearer(&token)]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "carol"));
    assert_eq!(fetch(&format!("{base}/me"), &[]).await.status, 401);
}
