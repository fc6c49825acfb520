//! actix-web without any verifier: a 500, never an open door.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use actix_web::{App, HttpServer, web};
use auth::{Algorithm, Claims, protected, testing};
use common::{bearer, get as fetch};

#[protected]
async fn me(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[actix_web::test]
async fn missing_verifier_is_a_500() {
    let server = HttpServer::new(|| App::new().route("/me", web::get().to(me)))
        .workers(1)
        .bind(("127.0.0.1", 0))
        .expect("bind");
    let base = format!("http://{}", server.addrs()[0]);
    actix_web::rt::spawn(server.run());
    let token = testing::authority(Algorithm::ES256)
        .issue("x", ["admin"])
        .unwrap();
    let reply = fetch(&format!("{base}/me"), &[&bearer(&token)]).await;
    assert_eq!((reply.status, reply.challenge.as_deref()), (500, None));
    assert_eq!(reply.json()["error"], "server_error");
}
