//! `#[protected]` and `#[requires_role]` on a real actix-web server, over a loopback socket.
#![cfg(feature = "actix-web")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::{App, HttpResponse, HttpServer, web};
use auth::{Algorithm, Authority, Claims, protected, requires_role, testing};
use common::{bearer, get as fetch};
use serde_json::json;

static BODIES: AtomicUsize = AtomicUsize::new(0);

#[protected]
async fn me(claims: Claims) -> HttpResponse {
    BODIES.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().json(json!({ "sub": claims.sub, "roles": claims.roles }))
}

#[requires_role("user")]
async fn reports(claims: Claims, path: web::Path<u32>) -> String {
    BODIES.fetch_add(1, Ordering::SeqCst);
    format!(
        "report {} for {}",
        path.into_inner(),
        claims.sub.unwrap_or_default()
    )
}

/// Bodies of the handlers only the rejection test calls.
static REJECTED_BODIES: AtomicUsize = AtomicUsize::new(0);

#[requires_role("admin")]
async fn admin(body: String) -> String {
    REJECTED_BODIES.fetch_add(1, Ordering::SeqCst);
    format!("admin got {} bytes", body.len())
}

#[protected]
async fn maybe(claims: Option<Claims>) -> String {
    claims
        .and_then(|c| c.sub)
        .unwrap_or_else(|| "stranger".to_owned())
}

async fn start() -> (Authority, String) {
    let (authority, verifier) = testing::pair(Algorithm::EdDSA);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(verifier.clone()))
            .route("/me", web::get().to(me))
            .route("/reports/{id}", web::get().to(reports))
            .route("/admin", web::post().to(admin))
            .route("/maybe", web::get().to(maybe))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .expect("bind loopback");
    let addr = server.addrs()[0];
    actix_web::rt::spawn(server.run());
    (authority, format!("http://{addr}"))
}

#[actix_web::test]
async fn success_with_claims_and_each_failure() {
    let (authority, base) = start().await;
    let user = authority.issue("bob", ["user"]).unwrap();
    let admin_token = authority.issue("alice", ["admin"]).unwrap();

    let reply = fetch(&format!("{base}/me"), &[&bearer(&user)]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({"sub": "bob", "roles": ["user"]}));

    let reply = fetch(&format!("{base}/reports/7"), &[&bearer(&admin_token)]).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "report 7 for alice")
    );

    let none = fetch(&format!("{base}/me"), &[]).await;
    assert_eq!(
        (none.status, none.challenge.as_deref()),
        (401, Some(r#"Bearer realm="api""#))
    );
    assert_eq!(none.json()["error"], "unauthorized");

    let malformed = fetch(&format!("{base}/me"), &["Bearer a b"]).await;
    assert_eq!(malformed.status, 400);
    assert!(
        malformed
            .challenge
            .as_deref()
            .unwrap()
            .contains(r#"error="invalid_request""#)
    );

    let two = fetch(&format!("{base}/me"), &[&bearer(&user), &bearer(&user)]).await;
    assert_eq!(two.status, 400);

    let forged = testing::authority(Algorithm::EdDSA)
        .issue("mallory", ["admin"])
        .unwrap();
    let reply = fetch(&format!("{base}/me"), &[&bearer(&forged)]).await;
    assert_eq!(reply.status, 401);
    assert!(
        reply
            .challenge
            .as_deref()
            .unwrap()
            .contains(r#"error="invalid_token""#)
    );

    let reply = fetch(
        &format!("{base}/reports/1"),
        &[&bearer(&authority.issue("g", ["guest"]).unwrap())],
    )
    .await;
    assert_eq!(reply.status, 403);
    assert!(
        reply
            .challenge
            .as_deref()
            .unwrap()
            .contains(r#"error="insufficient_scope""#)
    );

    assert_eq!(fetch(&format!("{base}/maybe"), &[]).await.body, "stranger");
    assert_eq!(
        fetch(&format!("{base}/maybe"), &[&bearer(&user)])
            .await
            .body,
        "bob"
    );
    assert_eq!(
        fetch(&format!("{base}/maybe"), &["Bearer x.y.z"])
            .await
            .status,
        401
    );
}

#[actix_web::test]
async fn the_body_never_runs_on_rejection() {
    let (authority, base) = start().await;
    let user = authority.issue("bob", ["user"]).unwrap();
    let expired = authority
        .token("bob")
        .roles(["admin"])
        .expires_at(1)
        .issue()
        .unwrap();
    let client = reqwest::Client::new();
    for (auth, want) in [(None, 401), (Some(&user), 403), (Some(&expired), 401)] {
        let mut request = client.post(format!("{base}/admin")).body("payload");
        if let Some(token) = auth {
            request = request.bearer_auth(token);
        }
        assert_eq!(request.send().await.unwrap().status().as_u16(), want);
    }
    assert_eq!(
        REJECTED_BODIES.load(Ordering::SeqCst),
        0,
        "a rejected request ran a body"
    );
}
