//! `#[protected]` and `#[requires_role]` on a real actix-web server, over a loopback socket.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::{App, HttpResponse, HttpServer, web};
use auth::{Algorithm, Authority, Claims, protected, requires_role, testing};
use common::challenge::{EXPIRED, INSUFFICIENT, INVALID, MALFORMED, NONE, TWO_HEADERS};
use common::{bearer, get as fetch};
use serde_json::json;

// How often each handler body ran: one counter per handler, and each handler is called by one
// test only (`/admin` by the rejection test, the others by the success test), so the counts are
// exact although the tests run in parallel threads.
static ME: AtomicUsize = AtomicUsize::new(0);
static REPORTS: AtomicUsize = AtomicUsize::new(0);
static MAYBE: AtomicUsize = AtomicUsize::new(0);

/// How often the body behind `counter` ran.
fn ran(counter: &AtomicUsize) -> usize {
    counter.load(Ordering::SeqCst)
}

#[protected]
async fn me(claims: Claims) -> HttpResponse {
    ME.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().json(json!({ "sub": claims.sub, "roles": claims.roles }))
}

#[requires_role("user")]
async fn reports(claims: Claims, path: web::Path<u32>) -> String {
    REPORTS.fetch_add(1, Ordering::SeqCst);
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
    MAYBE.fetch_add(1, Ordering::SeqCst);
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
    assert_eq!(ran(&ME), 1);

    let reply = fetch(&format!("{base}/reports/7"), &[&bearer(&admin_token)]).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "report 7 for alice")
    );
    assert_eq!(ran(&REPORTS), 1);

    let none = fetch(&format!("{base}/me"), &[]).await;
    assert_eq!(
        (none.status, none.challenge.as_deref()),
        (401, Some(r#"Bearer realm="api""#))
    );
    assert_eq!(none.json()["error"], "unauthorized");

    let malformed = fetch(&format!("{base}/me"), &["Bearer a b"]).await;
    assert_eq!(
        (malformed.status, malformed.challenge.as_deref()),
        (400, Some(MALFORMED))
    );

    let two = fetch(&format!("{base}/me"), &[&bearer(&user), &bearer(&user)]).await;
    assert_eq!(
        (two.status, two.challenge.as_deref()),
        (400, Some(TWO_HEADERS))
    );

    let forged = testing::authority(Algorithm::EdDSA)
        .issue("mallory", ["admin"])
        .unwrap();
    let reply = fetch(&format!("{base}/me"), &[&bearer(&forged)]).await;
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (401, Some(INVALID))
    );
    assert_eq!(ran(&ME), 1, "a rejected request ran the body");

    let reply = fetch(
        &format!("{base}/reports/1"),
        &[&bearer(&authority.issue("g", ["guest"]).unwrap())],
    )
    .await;
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (403, Some(INSUFFICIENT))
    );
    assert_eq!(ran(&REPORTS), 1, "a rejected request ran the body");

    assert_eq!(fetch(&format!("{base}/maybe"), &[]).await.body, "stranger");
    assert_eq!(ran(&MAYBE), 1);
    assert_eq!(
        fetch(&format!("{base}/maybe"), &[&bearer(&user)])
            .await
            .body,
        "bob"
    );
    assert_eq!(ran(&MAYBE), 2);
    let bad = fetch(&format!("{base}/maybe"), &["Bearer x.y.z"]).await;
    assert_eq!((bad.status, bad.challenge.as_deref()), (401, Some(INVALID)));
    assert_eq!(ran(&MAYBE), 2, "a rejected request ran the body");
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
    for (auth, want, challenge) in [
        (None, 401, NONE),
        (Some(&user), 403, INSUFFICIENT),
        (Some(&expired), 401, EXPIRED),
    ] {
        let mut request = client.post(format!("{base}/admin")).body("payload");
        if let Some(token) = auth {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let seen = response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            (response.status().as_u16(), seen.as_deref()),
            (want, Some(challenge))
        );
    }
    assert_eq!(
        REJECTED_BODIES.load(Ordering::SeqCst),
        0,
        "a rejected request ran a body"
    );
    // An admin does reach the body: the counter above does count.
    let admin = authority.issue("alice", ["admin"]).unwrap();
    let response = client
        .post(format!("{base}/admin"))
        .body("payload")
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.text().await.unwrap(), "admin got 7 bytes");
    assert_eq!(REJECTED_BODIES.load(Ordering::SeqCst), 1);
}
