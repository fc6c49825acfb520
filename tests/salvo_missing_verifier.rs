//! salvo without any verifier: a 500, never an open door; then the process-wide default, once
//! installed, serves the same router. One process, one default: a binary of its own.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use auth::{Algorithm, Claims, protected, testing};
use common::{bearer, get as fetch};
use salvo::conn::TcpListener;
// salvo's prelude: the code of `#[handler]` calls `Writer::write` as a method.
use salvo::prelude::*;

#[protected]
#[handler]
async fn me(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[tokio::test]
async fn missing_verifier_is_a_500_until_a_default_is_installed() {
    let acceptor = TcpListener::new("127.0.0.1:0").bind().await;
    let base = format!("http://{}", acceptor.local_addr().expect("bound address"));
    tokio::spawn(Server::new(acceptor).serve(Router::with_path("me").get(me)));

    let (authority, verifier) = testing::pair(Algorithm::ES256);
    let token = authority.issue("carol", ["user"]).unwrap();
    let response = reqwest::Client::new()
        .get(format!("{base}/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 500);
    assert_eq!(response.headers().get("www-authenticate"), None);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "server_error");

    auth::install_default_verifier(verifier).expect("first install");
    let reply = fetch(&format!("{base}/me"), &[&bearer(&token)]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "carol"));
    let reply = fetch(&format!("{base}/me"), &[]).await;
    assert_eq!(reply.status, 401);
}
