//! The poem adapter (written from docs/adapters.md) over a loopback socket.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use auth::{Algorithm, Claims, protected, requires_role, testing};
use common::{bearer, get as fetch};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::{Json, Path};
use poem::{EndpointExt, Route, Server, get, handler};
use serde_json::{Value, json};

// The auth attribute goes above `#[handler]`: outer attributes expand first, and ours must
// see the function before poem turns it into an endpoint type.
static REJECTED_BODIES: AtomicUsize = AtomicUsize::new(0);

#[protected]
#[handler]
async fn me(claims: Claims) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "roles": claims.roles }))
}

#[requires_role("user")]
#[handler]
async fn report(claims: Claims, Path(id): Path<u32>) -> String {
    format!("report {id} for {}", claims.sub.unwrap_or_default())
}

#[requires_role("admin")]
#[handler]
async fn admin() -> &'static str {
    REJECTED_BODIES.fetch_add(1, Ordering::SeqCst);
    "admin"
}

#[protected]
#[handler]
async fn maybe(claims: Option<Claims>) -> String {
    claims
        .and_then(|c| c.sub)
        .unwrap_or_else(|| "stranger".to_owned())
}

#[protected(check = common::owner_of_path)]
#[handler]
async fn profile(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[tokio::test]
async fn poem_endpoints_follow_the_contract() {
    let (authority, verifier) = testing::pair(Algorithm::ES256);
    let app = Route::new()
        .at("/me", get(me))
        .at("/reports/:id", get(report))
        .at("/admin", get(admin))
        .at("/maybe", get(maybe))
        .at("/users/:user/profile", get(profile))
        .data(verifier);
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .expect("bind");
    let addr = acceptor.local_addr()[0]
        .as_socket_addr()
        .copied()
        .expect("tcp address");
    tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
    let base = format!("http://{addr}");
    common::the_check_function_decides(&base, &authority).await;

    let bob = authority.issue("bob", ["user"]).unwrap();
    let alice = authority.issue("alice", ["admin"]).unwrap();

    let reply = fetch(&format!("{base}/me"), &[&bearer(&bob)]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({"sub": "bob", "roles": ["user"]}));
    let reply = fetch(&format!("{base}/reports/3"), &[&bearer(&alice)]).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "report 3 for alice")
    );

    let none = fetch(&format!("{base}/me"), &[]).await;
    assert_eq!(
        (none.status, none.challenge.as_deref()),
        (401, Some(r#"Bearer realm="api""#))
    );
    let malformed = fetch(&format!("{base}/me"), &["Bearer a b"]).await;
    assert_eq!(malformed.status, 400);
    assert!(
        malformed
            .challenge
            .as_deref()
            .unwrap()
            .contains(r#"error="invalid_request""#)
    );
    let forged = testing::authority(Algorithm::ES256)
        .issue("x", ["admin"])
        .unwrap();
    let reply = fetch(&format!("{base}/admin"), &[&bearer(&forged)]).await;
    assert_eq!(reply.status, 401);
    assert!(
        reply
            .challenge
            .as_deref()
            .unwrap()
            .contains(r#"error="invalid_token""#)
    );
    let reply = fetch(&format!("{base}/admin"), &[&bearer(&bob)]).await;
    assert_eq!(reply.status, 403);
    assert!(
        reply
            .challenge
            .as_deref()
            .unwrap()
            .contains(r#"error="insufficient_scope""#)
    );
    assert_eq!(reply.json()["error"], "insufficient_scope");
    assert_eq!(
        REJECTED_BODIES.load(Ordering::SeqCst),
        0,
        "a rejected request ran the body"
    );
    assert_eq!(
        fetch(&format!("{base}/admin"), &[&bearer(&alice)])
            .await
            .status,
        200
    );

    assert_eq!(fetch(&format!("{base}/maybe"), &[]).await.body, "stranger");
    assert_eq!(
        fetch(&format!("{base}/maybe"), &[&bearer(&bob)]).await.body,
        "bob"
    );
}
