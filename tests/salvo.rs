//! `#[protected]` and `#[requires_role]` on a real salvo server over a loopback socket, the
//! verifier in the depot (`affix_state::inject`), and `AuthRejection` as a handler's writer.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use auth::{
    Algorithm, AuthError, AuthRejection, Authority, Claims, protected, requires_role, testing,
};
use common::challenge::{EXPIRED, INSUFFICIENT, NONE};
use salvo::affix_state;
use salvo::extract::PathParam;
// salvo's prelude: the code of `#[handler]` calls `Writer::write` as a method.
use salvo::prelude::*;
use serde_json::json;

// How often each handler body ran: one counter per handler, and each handler is called by one
// test only, so the counts are exact although the tests run in parallel threads.
static ME: AtomicUsize = AtomicUsize::new(0);
static REPORTS: AtomicUsize = AtomicUsize::new(0);
static MAYBE: AtomicUsize = AtomicUsize::new(0);
static CUSTOM: AtomicUsize = AtomicUsize::new(0);
static GUARDED: AtomicUsize = AtomicUsize::new(0);
/// Bodies of the handler only the rejection test calls.
static REJECTED_BODIES: AtomicUsize = AtomicUsize::new(0);

/// How often the body behind `counter` ran.
fn ran(counter: &AtomicUsize) -> usize {
    counter.load(Ordering::SeqCst)
}

// The auth attribute goes above `#[handler]`: outer attributes expand first, and ours must
// see the function before salvo turns it into a handler type.

#[protected]
#[handler]
async fn me(claims: Claims) -> String {
    ME.fetch_add(1, Ordering::SeqCst);
    json!({ "sub": claims.sub, "roles": claims.roles }).to_string()
}

#[requires_role("user")]
#[handler]
async fn reports(claims: Claims, id: PathParam<u32>) -> String {
    REPORTS.fetch_add(1, Ordering::SeqCst);
    format!(
        "report {} for {}",
        id.into_inner(),
        claims.sub.unwrap_or_default()
    )
}

#[requires_role("admin")]
#[handler]
async fn admin(req: &mut Request) -> String {
    REJECTED_BODIES.fetch_add(1, Ordering::SeqCst);
    let body = req.payload().await.expect("a body");
    format!("admin got {} bytes", body.len())
}

#[protected]
#[handler]
async fn maybe(claims: Option<Claims>) -> String {
    MAYBE.fetch_add(1, Ordering::SeqCst);
    claims
        .and_then(|c| c.sub)
        .unwrap_or_else(|| "stranger".to_owned())
}

#[derive(serde::Deserialize)]
struct Tenant {
    sub: String,
    tenant: String,
}

#[protected]
#[handler]
async fn custom(#[claims] who: Tenant) -> String {
    CUSTOM.fetch_add(1, Ordering::SeqCst);
    format!("{}@{}", who.sub, who.tenant)
}

/// No claims parameter: the extractor is a hidden one.
#[protected]
#[handler]
async fn guarded() -> &'static str {
    GUARDED.fetch_add(1, Ordering::SeqCst);
    "guarded"
}

/// A handler that checks by hand and returns the rejection as its writer.
#[handler]
async fn by_hand() -> Result<&'static str, AuthRejection> {
    Err(AuthRejection::new(AuthError::Expired, None))
}

#[protected(check = common::owner_of_path)]
#[handler]
async fn profile(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

async fn start() -> (Authority, String) {
    let (authority, verifier) = testing::pair(Algorithm::ES256);
    let router = Router::new()
        .hoop(affix_state::inject(verifier))
        .push(Router::with_path("me").get(me))
        .push(Router::with_path("reports/{id}").get(reports))
        .push(Router::with_path("admin").post(admin))
        .push(Router::with_path("maybe").get(maybe))
        .push(Router::with_path("custom").get(custom))
        .push(Router::with_path("guarded").get(guarded))
        .push(Router::with_path("by-hand").get(by_hand))
        .push(Router::with_path("users/{user}/profile").get(profile));
    (authority, common::serve_salvo(router).await)
}

#[tokio::test]
async fn salvo_handlers_follow_the_contract() {
    let (authority, base) = start().await;
    let counters = common::Counters {
        me: &ME,
        reports: &REPORTS,
        maybe: &MAYBE,
        custom: &CUSTOM,
        guarded: &GUARDED,
    };
    common::routes_follow_the_contract(&base, &authority, counters).await;
}

#[tokio::test]
async fn a_check_function_reads_the_route_parameter() {
    let (authority, base) = start().await;
    common::the_check_function_decides(&base, &authority).await;
}

/// The whole rejection response, as the other adapters send it (salvo's catcher, which writes
/// error pages for bodiless errors, leaves it alone), and the same from a handler that returns
/// an `AuthRejection`.
#[tokio::test]
async fn rejections_are_the_exact_response() {
    let (_, base) = start().await;
    let response = reqwest::get(format!("{base}/me")).await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let headers = response.headers();
    assert_eq!(headers["www-authenticate"], NONE);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(
        response.text().await.unwrap(),
        AuthRejection::new(AuthError::MissingCredentials, None).body()
    );

    let response = reqwest::get(format!("{base}/by-hand")).await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(response.headers()["www-authenticate"], EXPIRED);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"error":"invalid_token","error_description":"the access token expired"}"#
    );
}

#[tokio::test]
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
    assert_eq!(ran(&REJECTED_BODIES), 0, "a rejected request ran a body");
    // An admin does reach the body: the counter above does count.
    let alice = authority.issue("alice", ["admin"]).unwrap();
    let response = client
        .post(format!("{base}/admin"))
        .body("payload")
        .bearer_auth(alice)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.text().await.unwrap(), "admin got 7 bytes");
    assert_eq!(ran(&REJECTED_BODIES), 1);
}
