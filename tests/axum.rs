//! `#[protected]` and `#[requires_role]` on real axum routers, over a loopback socket.
#![cfg(feature = "axum")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use auth::{
    Algorithm, Authority, Claims, Verifier, protected, requires_role, requires_scope, testing,
};
use axum::extract::Path;
use axum::routing::get;
use axum::{Json, Router};
use common::{bearer, get as fetch, serve};
use serde_json::{Value, json};

/// Counts how often a handler body ran, to prove rejected requests never reach it.
static BODIES: AtomicUsize = AtomicUsize::new(0);

#[protected]
async fn me(claims: Claims) -> Json<Value> {
    BODIES.fetch_add(1, Ordering::SeqCst);
    Json(json!({ "sub": claims.sub, "roles": claims.roles }))
}

#[protected]
#[requires_role("admin")]
async fn admin_only(claims: Claims, Path(id): Path<u64>) -> String {
    BODIES.fetch_add(1, Ordering::SeqCst);
    format!("{} deleted user {id}", claims.sub.unwrap_or_default())
}

// Attribute order does not matter, and requires_role alone implies protected.
#[requires_role("user")]
#[protected]
async fn users(claims: Claims) -> String {
    BODIES.fetch_add(1, Ordering::SeqCst);
    claims.roles.join(",")
}

#[requires_role("guest")]
async fn guests() -> &'static str {
    BODIES.fetch_add(1, Ordering::SeqCst);
    "welcome"
}

#[requires_role(any("admin", "auditor"))]
async fn audit() -> &'static str {
    BODIES.fetch_add(1, Ordering::SeqCst);
    "audit log"
}

#[requires_role(all("user", "auditor"))]
async fn export() -> &'static str {
    BODIES.fetch_add(1, Ordering::SeqCst);
    "export"
}

#[requires_scope("orders:read")]
async fn orders(claims: Claims) -> String {
    BODIES.fetch_add(1, Ordering::SeqCst);
    claims.scopes.join(" ")
}

#[protected]
async fn maybe(claims: Option<Claims>) -> String {
    match claims {
        Some(claims) => format!("hello {}", claims.sub.unwrap_or_default()),
        None => "hello stranger".to_owned(),
    }
}

#[protected]
async fn guard_only() -> &'static str {
    BODIES.fetch_add(1, Ordering::SeqCst);
    "guarded"
}

#[derive(serde::Deserialize)]
struct Tenant {
    sub: String,
    tenant: String,
}

#[protected]
async fn custom(#[claims] who: Tenant) -> String {
    format!("{}@{}", who.sub, who.tenant)
}

struct Handlers;

impl Handlers {
    /// An associated function in an impl block, with a role.
    #[requires_role("admin")]
    async fn method(claims: Claims) -> String {
        BODIES.fetch_add(1, Ordering::SeqCst);
        format!("method for {}", claims.sub.unwrap_or_default())
    }
}

fn router(verifier: Verifier) -> Router {
    Router::new()
        .route("/me", get(me))
        .route("/admin/users/{id}", get(admin_only))
        .route("/users", get(users))
        .route("/guests", get(guests))
        .route("/audit", get(audit))
        .route("/export", get(export))
        .route("/orders", get(orders))
        .route("/maybe", get(maybe))
        .route("/guard", get(guard_only))
        .route("/custom", get(custom))
        .route("/method", get(Handlers::method))
        .with_state(verifier)
}

async fn setup() -> (Authority, String) {
    let (authority, verifier) = testing::pair(Algorithm::ES256);
    let base = serve(router(verifier)).await;
    (authority, base)
}

fn token(authority: &Authority, roles: &[&str]) -> String {
    authority
        .token("alice")
        .roles(roles.iter().copied())
        .issue()
        .expect("token")
}

#[tokio::test]
async fn valid_token_reaches_the_body_with_its_claims() {
    let (authority, base) = setup().await;
    let reply = fetch(
        &format!("{base}/me"),
        &[&bearer(&token(&authority, &["user"]))],
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({"sub": "alice", "roles": ["user"]}));

    let reply = fetch(
        &format!("{base}/admin/users/7"),
        &[&bearer(&token(&authority, &["admin"]))],
    )
    .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "alice deleted user 7")
    );

    let custom = authority
        .token("bob")
        .claim("tenant", "acme")
        .issue()
        .expect("token");
    let reply = fetch(&format!("{base}/custom"), &[&bearer(&custom)]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "bob@acme"));

    let reply = fetch(
        &format!("{base}/method"),
        &[&bearer(&token(&authority, &["admin"]))],
    )
    .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "method for alice")
    );
}

#[tokio::test]
async fn each_failure_gets_its_status_and_challenge() {
    let (authority, base) = setup().await;
    let me = format!("{base}/me");

    let none = fetch(&me, &[]).await;
    assert_eq!(
        (none.status, none.challenge.as_deref()),
        (401, Some(r#"Bearer realm="api""#))
    );

    let basic = fetch(&me, &["Basic dXNlcjpwYXNz"]).await;
    assert_eq!(
        (basic.status, basic.challenge.as_deref()),
        (401, Some(r#"Bearer realm="api""#))
    );

    for malformed in ["Bearer", "Bearer a b", "Bearer \"quoted\""] {
        let reply = fetch(&me, &[malformed]).await;
        assert_eq!(reply.status, 400, "{malformed}");
        assert!(
            reply
                .challenge
                .as_deref()
                .unwrap()
                .contains(r#"error="invalid_request""#)
        );
        assert_eq!(reply.json()["error"], "invalid_request");
    }
    let good = bearer(&token(&authority, &[]));
    let two = fetch(&me, &[&good, &good]).await;
    assert_eq!(two.status, 400);

    let expired = authority
        .token("alice")
        .expires_at(testing::now() - 3600)
        .issue()
        .unwrap();
    let reply = fetch(&me, &[&bearer(&expired)]).await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.challenge.as_deref(),
        Some(
            r#"Bearer realm="api", error="invalid_token", error_description="the access token expired""#
        )
    );

    let stranger = testing::authority(Algorithm::ES256)
        .token("alice")
        .issue()
        .unwrap();
    let reply = fetch(&me, &[&bearer(&stranger)]).await;
    assert_eq!(reply.status, 401);
    assert!(
        reply
            .challenge
            .as_deref()
            .unwrap()
            .contains(r#"error="invalid_token""#)
    );
    assert_eq!(
        reply.json()["error_description"],
        "the access token is invalid"
    );

    let elsewhere = authority
        .token("alice")
        .audience("billing")
        .issue()
        .unwrap();
    assert_eq!(fetch(&me, &[&bearer(&elsewhere)]).await.status, 401);

    let reply = fetch(
        &format!("{base}/admin/users/1"),
        &[&bearer(&token(&authority, &["user"]))],
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
}

/// Bodies of the handlers that only the rejection test calls.
static REJECTED_BODIES: AtomicUsize = AtomicUsize::new(0);

#[protected]
async fn never_me(claims: Claims) -> String {
    REJECTED_BODIES.fetch_add(1, Ordering::SeqCst);
    claims.sub.unwrap_or_default()
}

#[protected]
async fn never_guard() -> &'static str {
    REJECTED_BODIES.fetch_add(1, Ordering::SeqCst);
    "ran"
}

#[requires_role("admin")]
async fn never_admin(Json(_body): Json<Value>) -> &'static str {
    REJECTED_BODIES.fetch_add(1, Ordering::SeqCst);
    "ran"
}

#[tokio::test]
async fn the_body_never_runs_on_rejection() {
    let (authority, verifier) = testing::pair(Algorithm::ES256);
    let base = serve(
        Router::new()
            .route("/me", get(never_me))
            .route("/guard", get(never_guard))
            .route("/admin", axum::routing::post(never_admin))
            .with_state(verifier),
    )
    .await;
    let user = bearer(&token(&authority, &["user"]));
    let expired = bearer(
        &authority
            .token("x")
            .roles(["admin"])
            .expires_at(1)
            .issue()
            .unwrap(),
    );
    let forged = bearer(
        &testing::authority(Algorithm::ES256)
            .issue("x", ["admin"])
            .unwrap(),
    );
    for (path, auth) in [
        ("/me", None),
        ("/me", Some(expired.as_str())),
        ("/me", Some(forged.as_str())),
        ("/me", Some("Bearer")),
        ("/guard", None),
        ("/guard", Some(forged.as_str())),
    ] {
        let headers: Vec<&str> = auth.into_iter().collect();
        let reply = fetch(&format!("{base}{path}"), &headers).await;
        assert!(reply.status >= 400, "{path} let a bad request through");
    }
    // The role check runs before the body extractor: a user posting a body gets 403, not the
    // body's parse error, and the body never runs.
    let client = reqwest::Client::new();
    for auth in [None, Some(user.as_str())] {
        let mut request = client.post(format!("{base}/admin")).body("not json");
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let status = request.send().await.unwrap().status().as_u16();
        assert_eq!(status, if auth.is_some() { 403 } else { 401 });
    }
    assert_eq!(
        REJECTED_BODIES.load(Ordering::SeqCst),
        0,
        "a rejected request ran a body"
    );
}

#[tokio::test]
async fn hierarchy_any_all_and_scopes() {
    let (authority, base) = setup().await;
    let call = |path: &'static str, roles: &'static [&'static str]| {
        let token = token(&authority, roles);
        let base = base.clone();
        async move {
            fetch(&format!("{base}{path}"), &[&bearer(&token)])
                .await
                .status
        }
    };
    // admin implies user implies guest.
    assert_eq!(call("/users", &["admin"]).await, 200);
    assert_eq!(call("/users", &["user"]).await, 200);
    assert_eq!(call("/users", &["guest"]).await, 403);
    assert_eq!(call("/guests", &["admin"]).await, 200);
    assert_eq!(call("/guests", &[]).await, 403);
    // any: one suffices; admin also implies auditor.
    assert_eq!(call("/audit", &["auditor"]).await, 200);
    assert_eq!(call("/audit", &["admin"]).await, 200);
    assert_eq!(call("/audit", &["user"]).await, 403);
    // all: each is needed (admin implies both).
    assert_eq!(call("/export", &["user", "auditor"]).await, 200);
    assert_eq!(call("/export", &["admin"]).await, 200);
    assert_eq!(call("/export", &["user"]).await, 403);
    assert_eq!(call("/export", &["auditor"]).await, 403);
    // Role names are exact.
    assert_eq!(call("/users", &["User", "users", "user "]).await, 403);

    let scoped = authority
        .token("svc")
        .scopes(["orders:read", "orders:write"])
        .issue()
        .unwrap();
    let reply = fetch(&format!("{base}/orders"), &[&bearer(&scoped)]).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "orders:read orders:write")
    );
    let unscoped = authority
        .token("svc")
        .scopes(["orders:write"])
        .issue()
        .unwrap();
    assert_eq!(
        fetch(&format!("{base}/orders"), &[&bearer(&unscoped)])
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn optional_authentication() {
    let (authority, base) = setup().await;
    let url = format!("{base}/maybe");
    let anonymous = fetch(&url, &[]).await;
    assert_eq!(
        (anonymous.status, anonymous.body.as_str()),
        (200, "hello stranger")
    );
    let known = fetch(&url, &[&bearer(&token(&authority, &[]))]).await;
    assert_eq!((known.status, known.body.as_str()), (200, "hello alice"));
    // A bad token is still rejected, and so is a malformed header.
    let bad = fetch(&url, &["Bearer not.a.token"]).await;
    assert_eq!(bad.status, 401);
    assert_eq!(fetch(&url, &["Bearer"]).await.status, 400);
}
