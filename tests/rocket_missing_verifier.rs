//! rocket without any verifier: a 500, never an open door; then the process-wide default,
//! once installed, serves the same rocket. One process, one default: a binary of its own.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::net::Ipv4Addr;

use auth::{Algorithm, Claims, protected, testing};
use common::{bearer, get as fetch};
use rocket::config::{LogLevel, Shutdown};
use rocket::fairing::AdHoc;
use rocket::{Config, get, routes};

#[protected]
#[get("/me")]
async fn me(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[tokio::test]
async fn missing_verifier_is_a_500_until_a_default_is_installed() {
    let config = Config {
        address: Ipv4Addr::LOCALHOST.into(),
        port: 0,
        log_level: LogLevel::Off,
        shutdown: Shutdown {
            ctrlc: false,
            ..Shutdown::default()
        },
        ..Config::debug_default()
    };
    let (bound, port) = rocket::tokio::sync::oneshot::channel();
    let rocket = rocket::custom(config)
        .attach(auth::rocket::Rejections)
        .attach(AdHoc::on_liftoff("bound port", move |rocket| {
            Box::pin(async move {
                bound.send(rocket.config().port).expect("the test waits");
            })
        }))
        .mount("/", routes![me]);
    tokio::spawn(rocket.launch());
    let base = format!("http://127.0.0.1:{}", port.await.expect("lifts off"));

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
