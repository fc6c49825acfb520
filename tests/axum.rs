//! `#[protected]` and `#[requires_role]` on real axum routers, over a loopback socket.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth::{
    Algorithm, Authority, Claims, Verifier, protected, requires_role, requires_scope, testing,
};
use axum::extract::Path;
use axum::routing::get;
use axum::{Json, Router};
use common::challenge::{EXPIRED, INSUFFICIENT, INVALID, MALFORMED, NONE, TWO_HEADERS};
use common::{bearer, get as fetch, serve};
use serde_json::{Value, json};

// How often each handler body ran: one counter per handler, and each handler is called by one
// test only, so the counts are exact although the tests run in parallel threads.
static ME: AtomicUsize = AtomicUsize::new(0);
static ADMIN_ONLY: AtomicUsize = AtomicUsize::new(0);
static USERS: AtomicUsize = AtomicUsize::new(0);
static GUESTS: AtomicUsize = AtomicUsize::new(0);
static AUDIT: AtomicUsize = AtomicUsize::new(0);
static EXPORT: AtomicUsize = AtomicUsize::new(0);
static ORDERS: AtomicUsize = AtomicUsize::new(0);
static MAYBE: AtomicUsize = AtomicUsize::new(0);
static GUARD: AtomicUsize = AtomicUsize::new(0);
static CUSTOM: AtomicUsize = AtomicUsize::new(0);
static METHOD: AtomicUsize = AtomicUsize::new(0);

/// How often the body behind `counter` ran.
fn ran(counter: &AtomicUsize) -> usize {
    counter.load(Ordering::SeqCst)
}

#[protected]
async fn me(claims: Claims) -> Json<Value> {
    ME.fetch_add(1, Ordering::SeqCst);
    Json(json!({ "sub": claims.sub, "roles": claims.roles }))
}

#[protected]
#[requires_role("admin")]
async fn admin_only(claims: Claims, Path(id): Path<u64>) -> String {
    ADMIN_ONLY.fetch_add(1, Ordering::SeqCst);
    format!("{} deleted user {id}", claims.sub.unwrap_or_default())
}

// Attribute order does not matter, and requires_role alone implies protected.
#[requires_role("user")]
#[protected]
async fn users(claims: Claims) -> String {
    USERS.fetch_add(1, Ordering::SeqCst);
    claims.roles.join(",")
}

#[requires_role("guest")]
async fn guests() -> &'static str {
    GUESTS.fetch_add(1, Ordering::SeqCst);
    "welcome"
}

#[requires_role(any("admin", "auditor"))]
async fn audit() -> &'static str {
    AUDIT.fetch_add(1, Ordering::SeqCst);
    "audit log"
}

#[requires_role(all("user", "auditor"))]
async fn export() -> &'static str {
    EXPORT.fetch_add(1, Ordering::SeqCst);
    "export"
}

#[requires_scope("orders:read")]
async fn orders(claims: Claims) -> String {
    ORDERS.fetch_add(1, Ordering::SeqCst);
    claims.scopes.join(" ")
}

#[protected]
async fn maybe(claims: Option<Claims>) -> String {
    MAYBE.fetch_add(1, Ordering::SeqCst);
    match claims {
        Some(claims) => format!("hello {}", claims.sub.unwrap_or_default()),
        None => "hello stranger".to_owned(),
    }
}

/// Where the claims of the last `/shared` and `/maybe-shared` requests were.
static SHARED_AT: std::sync::Mutex<Vec<usize>> = std::sync::Mutex::new(Vec::new());

#[protected]
async fn shared(claims: Arc<Claims>) -> String {
    SHARED_AT
        .lock()
        .unwrap()
        .push(Arc::as_ptr(&claims) as usize);
    claims.sub.clone().unwrap_or_default()
}

#[protected]
async fn maybe_shared(claims: Option<std::sync::Arc<Claims>>) -> String {
    match claims {
        Some(claims) => {
            SHARED_AT
                .lock()
                .unwrap()
                .push(Arc::as_ptr(&claims) as usize);
            format!("hello {}", claims.sub.clone().unwrap_or_default())
        }
        None => "hello stranger".to_owned(),
    }
}

#[protected]
async fn guard_only() -> &'static str {
    GUARD.fetch_add(1, Ordering::SeqCst);
    "guarded"
}

#[derive(serde::Deserialize)]
struct Tenant {
    sub: String,
    tenant: String,
}

#[protected]
async fn custom(#[claims] who: Tenant) -> String {
    CUSTOM.fetch_add(1, Ordering::SeqCst);
    format!("{}@{}", who.sub, who.tenant)
}

struct Handlers;

impl Handlers {
    /// An associated function in an impl block, with a role.
    #[requires_role("admin")]
    async fn method(claims: Claims) -> String {
        METHOD.fetch_add(1, Ordering::SeqCst);
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
        .route("/shared", get(shared))
        .route("/maybe-shared", get(maybe_shared))
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
    common::alice_token(authority, roles)
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
    assert_eq!(ran(&ME), 1);

    let reply = fetch(
        &format!("{base}/admin/users/7"),
        &[&bearer(&token(&authority, &["admin"]))],
    )
    .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "alice deleted user 7")
    );
    assert_eq!(ran(&ADMIN_ONLY), 1);

    let custom = authority
        .token("bob")
        .claim("tenant", "acme")
        .issue()
        .expect("token");
    let reply = fetch(&format!("{base}/custom"), &[&bearer(&custom)]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "bob@acme"));
    assert_eq!(ran(&CUSTOM), 1);

    let reply = fetch(
        &format!("{base}/method"),
        &[&bearer(&token(&authority, &["admin"]))],
    )
    .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "method for alice")
    );
    assert_eq!(ran(&METHOD), 1);

    let reply = fetch(
        &format!("{base}/guard"),
        &[&bearer(&token(&authority, &[]))],
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "guarded"));
    assert_eq!(ran(&GUARD), 1);
}

/// Bodies of the handlers that only the failure test calls.
static FAILURE_BODIES: AtomicUsize = AtomicUsize::new(0);

#[protected]
async fn failure_me(claims: Claims) -> Json<Value> {
    FAILURE_BODIES.fetch_add(1, Ordering::SeqCst);
    Json(json!({ "sub": claims.sub }))
}

#[protected]
#[requires_role("admin")]
async fn failure_admin(Path(id): Path<u64>) -> String {
    FAILURE_BODIES.fetch_add(1, Ordering::SeqCst);
    format!("deleted user {id}")
}

#[tokio::test]
async fn each_failure_gets_its_status_and_challenge() {
    let (authority, verifier) = testing::pair(Algorithm::ES256);
    let base = serve(
        Router::new()
            .route("/me", get(failure_me))
            .route("/admin/users/{id}", get(failure_admin))
            .with_state(verifier),
    )
    .await;
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
        assert_eq!(
            (reply.status, reply.challenge.as_deref()),
            (400, Some(MALFORMED)),
            "{malformed}"
        );
        assert_eq!(reply.json()["error"], "invalid_request");
    }
    let good = bearer(&token(&authority, &[]));
    let two = fetch(&me, &[&good, &good]).await;
    assert_eq!(
        (two.status, two.challenge.as_deref()),
        (400, Some(TWO_HEADERS))
    );

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
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (401, Some(INVALID))
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
    let reply = fetch(&me, &[&bearer(&elsewhere)]).await;
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (401, Some(INVALID))
    );

    let reply = fetch(
        &format!("{base}/admin/users/1"),
        &[&bearer(&token(&authority, &["user"]))],
    )
    .await;
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (403, Some(INSUFFICIENT))
    );
    assert_eq!(ran(&FAILURE_BODIES), 0, "a rejected request ran a body");

    // The same routes let a good token through: the counter above does count.
    let reply = fetch(&me, &[&good]).await;
    assert_eq!((reply.status, ran(&FAILURE_BODIES)), (200, 1));
    let reply = fetch(
        &format!("{base}/admin/users/1"),
        &[&bearer(&token(&authority, &["admin"]))],
    )
    .await;
    assert_eq!(
        (reply.status, reply.body.as_str(), ran(&FAILURE_BODIES)),
        (200, "deleted user 1", 2)
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
    let none: &[&str] = &[];
    for (path, headers, status, challenge) in [
        ("/me", none, 401, NONE),
        ("/me", &[expired.as_str()], 401, EXPIRED),
        ("/me", &[forged.as_str()], 401, INVALID),
        ("/me", &["Bearer"], 400, MALFORMED),
        ("/me", &[user.as_str(), user.as_str()], 400, TWO_HEADERS),
        ("/guard", none, 401, NONE),
        ("/guard", &[forged.as_str()], 401, INVALID),
        ("/guard", &["Bearer a b"], 400, MALFORMED),
    ] {
        let reply = fetch(&format!("{base}{path}"), headers).await;
        assert_eq!(
            (reply.status, reply.challenge.as_deref()),
            (status, Some(challenge)),
            "{path} with {} header(s)",
            headers.len()
        );
    }
    // The role check runs before the body extractor: a user posting a body gets 403, not the
    // body's parse error, and the body never runs.
    let client = reqwest::Client::new();
    for (auth, status, challenge) in [(None, 401, NONE), (Some(user.as_str()), 403, INSUFFICIENT)] {
        let mut request = client.post(format!("{base}/admin")).body("not json");
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.unwrap();
        let seen = response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            (response.status().as_u16(), seen.as_deref()),
            (status, Some(challenge))
        );
    }
    assert_eq!(
        REJECTED_BODIES.load(Ordering::SeqCst),
        0,
        "a rejected request ran a body"
    );
    // A good token on the same routes does run the bodies: the counter above does count.
    let reply = fetch(&format!("{base}/me"), &[&user]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "alice"));
    let reply = fetch(&format!("{base}/guard"), &[&user]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "ran"));
    assert_eq!(REJECTED_BODIES.load(Ordering::SeqCst), 2);
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
    // Each call with the body count after it: a 200 ran the body once more, a 403 did not.
    // admin implies user implies guest.
    assert_eq!((call("/users", &["admin"]).await, ran(&USERS)), (200, 1));
    assert_eq!((call("/users", &["user"]).await, ran(&USERS)), (200, 2));
    assert_eq!((call("/users", &["guest"]).await, ran(&USERS)), (403, 2));
    assert_eq!((call("/guests", &["admin"]).await, ran(&GUESTS)), (200, 1));
    assert_eq!((call("/guests", &[]).await, ran(&GUESTS)), (403, 1));
    // any: one suffices; admin also implies auditor.
    assert_eq!((call("/audit", &["auditor"]).await, ran(&AUDIT)), (200, 1));
    assert_eq!((call("/audit", &["admin"]).await, ran(&AUDIT)), (200, 2));
    assert_eq!((call("/audit", &["user"]).await, ran(&AUDIT)), (403, 2));
    // all: each is needed (admin implies both).
    assert_eq!(
        (call("/export", &["user", "auditor"]).await, ran(&EXPORT)),
        (200, 1)
    );
    assert_eq!((call("/export", &["admin"]).await, ran(&EXPORT)), (200, 2));
    assert_eq!((call("/export", &["user"]).await, ran(&EXPORT)), (403, 2));
    assert_eq!(
        (call("/export", &["auditor"]).await, ran(&EXPORT)),
        (403, 2)
    );
    // Role names are exact.
    assert_eq!(
        (
            call("/users", &["User", "users", "user "]).await,
            ran(&USERS)
        ),
        (403, 2)
    );

    let scoped = authority
        .token("svc")
        .scopes(["orders:read", "orders:write"])
        .issue()
        .unwrap();
    assert_eq!(ran(&ORDERS), 0);
    let reply = fetch(&format!("{base}/orders"), &[&bearer(&scoped)]).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "orders:read orders:write")
    );
    assert_eq!(ran(&ORDERS), 1);
    let unscoped = authority
        .token("svc")
        .scopes(["orders:write"])
        .issue()
        .unwrap();
    let reply = fetch(&format!("{base}/orders"), &[&bearer(&unscoped)]).await;
    assert_eq!(
        (reply.status, reply.challenge.as_deref(), ran(&ORDERS)),
        (403, Some(INSUFFICIENT), 1)
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
    assert_eq!(ran(&MAYBE), 1);
    let known = fetch(&url, &[&bearer(&token(&authority, &[]))]).await;
    assert_eq!((known.status, known.body.as_str()), (200, "hello alice"));
    assert_eq!(ran(&MAYBE), 2);
    // A bad token is still rejected, and so is a malformed header: neither runs the body.
    let bad = fetch(&url, &["Bearer not.a.token"]).await;
    assert_eq!((bad.status, bad.challenge.as_deref()), (401, Some(INVALID)));
    let malformed = fetch(&url, &["Bearer"]).await;
    assert_eq!(
        (malformed.status, malformed.challenge.as_deref()),
        (400, Some(MALFORMED))
    );
    assert_eq!(ran(&MAYBE), 2);
}

/// A handler taking `Arc<Claims>` (or `Option<Arc<Claims>>`) gets the verified-token cache's
/// own claims: the same allocation on every request with the same token, nothing copied.
#[tokio::test]
async fn shared_claims_are_lent_by_the_cache() {
    let (authority, base) = setup().await;
    let token = token(&authority, &["user"]);
    for path in ["/shared", "/shared", "/maybe-shared", "/maybe-shared"] {
        let reply = fetch(&format!("{base}{path}"), &[&bearer(&token)]).await;
        assert_eq!(reply.status, 200, "{path}");
        assert!(reply.body.ends_with("alice"), "{path}: {}", reply.body);
    }
    let seen = SHARED_AT.lock().unwrap().clone();
    assert_eq!(seen.len(), 4);
    assert!(
        seen.iter().all(|at| *at == seen[0]),
        "one allocation: {seen:?}"
    );
    let anonymous = fetch(&format!("{base}/maybe-shared"), &[]).await;
    assert_eq!(
        (anonymous.status, anonymous.body.as_str()),
        (200, "hello stranger")
    );
    let refused = fetch(&format!("{base}/shared"), &[]).await;
    assert_eq!(refused.status, 401);
    assert_eq!(
        SHARED_AT.lock().unwrap().len(),
        4,
        "no body ran without claims"
    );
}
