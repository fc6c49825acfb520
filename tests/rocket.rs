//! `#[protected]` and `#[requires_role]` on a real rocket server over a loopback socket: the
//! guard, the `Rejections` fairing that sends the exact rejection (whatever catchers the
//! application has), the launch refused without that fairing, and `AuthRejection` as a
//! responder.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth::{
    Algorithm, AuthError, AuthRejection, Authority, Claims, protected, requires_role, testing,
};
use common::challenge::{EXPIRED, INSUFFICIENT, NONE};
use common::get as fetch;
use rocket::config::{LogLevel, Shutdown};
use rocket::error::ErrorKind;
use rocket::{Config, Request, catch, catchers, get, post, routes};
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

// The auth attribute goes above rocket's route attribute: outer attributes expand first, and
// ours must turn the claims parameter into the guard before rocket reads the parameters.

#[protected]
#[get("/me")]
async fn me(claims: Claims) -> String {
    ME.fetch_add(1, Ordering::SeqCst);
    json!({ "sub": claims.sub, "roles": claims.roles }).to_string()
}

#[requires_role("user")]
#[get("/reports/<id>")]
async fn reports(claims: Claims, id: u32) -> String {
    REPORTS.fetch_add(1, Ordering::SeqCst);
    format!("report {id} for {}", claims.sub.unwrap_or_default())
}

#[requires_role("admin")]
#[post("/admin", data = "<body>")]
async fn admin(body: String) -> String {
    REJECTED_BODIES.fetch_add(1, Ordering::SeqCst);
    format!("admin got {} bytes", body.len())
}

#[protected]
#[get("/maybe")]
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
#[get("/custom")]
async fn custom(#[claims] who: Tenant) -> String {
    CUSTOM.fetch_add(1, Ordering::SeqCst);
    format!("{}@{}", who.sub, who.tenant)
}

/// No claims parameter: the guard is a hidden one.
#[protected]
#[get("/guarded")]
async fn guarded() -> &'static str {
    GUARDED.fetch_add(1, Ordering::SeqCst);
    "guarded"
}

/// A handler that checks by hand and returns the rejection as its responder.
#[get("/by-hand")]
fn by_hand() -> Result<&'static str, AuthRejection> {
    Err(AuthRejection::new(AuthError::Expired, None))
}

/// The application's own catchers, which answer every error but the rejections.
#[catch(401)]
fn own_401() -> &'static str {
    "the application's 401 page"
}

#[catch(404)]
fn own_404(request: &Request<'_>) -> String {
    format!("no page at {}", request.uri())
}

/// Loopback, an OS-assigned port, quiet, and no Ctrl-C handler taken from the test process.
fn config() -> Config {
    Config {
        address: Ipv4Addr::LOCALHOST.into(),
        port: 0,
        log_level: LogLevel::Off,
        shutdown: Shutdown {
            ctrlc: false,
            ..Shutdown::default()
        },
        ..Config::debug_default()
    }
}

#[protected(check = common::owner_of_path)]
#[get("/users/<user>/profile")]
async fn profile(claims: Claims, user: &str) -> String {
    let _ = user;
    claims.sub.unwrap_or_default()
}

async fn start() -> (Authority, String) {
    let (authority, verifier) = testing::pair(Algorithm::ES256);
    let rocket = rocket::custom(config())
        .manage(verifier)
        .attach(auth::rocket::Rejections)
        .register("/", catchers![own_401, own_404])
        .mount(
            "/",
            routes![me, reports, admin, maybe, custom, guarded, by_hand],
        )
        // Mounted under a base: the check reads the route's parameter where it is.
        .mount("/v1", routes![profile]);
    (authority, common::launch_rocket(rocket).await)
}

#[tokio::test]
async fn rocket_routes_follow_the_contract() {
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
    common::the_check_function_decides(&format!("{base}/v1"), &authority).await;
}

/// The whole rejection response, as the other adapters send it, although the application has
/// its own 401 catcher; errors that are no rejection still reach the application's catchers.
#[tokio::test]
async fn rejections_are_exact_whatever_the_catchers() {
    let (_, base) = start().await;
    let response = reqwest::get(format!("{base}/me")).await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let headers = response.headers();
    assert_eq!(headers["www-authenticate"], NONE);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers.get_all("www-authenticate").iter().count(), 1);
    assert_eq!(
        response.text().await.unwrap(),
        AuthRejection::new(AuthError::MissingCredentials, None).body()
    );

    let reply = fetch(&format!("{base}/nowhere"), &[]).await;
    assert_eq!(
        (
            reply.status,
            reply.challenge.as_deref(),
            reply.body.as_str()
        ),
        (404, None, "no page at /nowhere")
    );

    // `AuthRejection` as a handler's responder: the same response.
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
    assert_eq!(ran(&REJECTED_BODIES), 1);
}

/// A rocket with a protected route but without the fairing would send rejections without
/// their challenge and body: it does not launch.
#[tokio::test]
async fn no_launch_without_the_rejection_fairing() {
    let (_, verifier) = testing::pair(Algorithm::ES256);
    let error = rocket::custom(config())
        .manage(verifier.clone())
        .mount("/", routes![me])
        .ignite()
        .await
        .expect_err("the guard's sentinel aborts the launch");
    assert!(
        matches!(
            error.kind(),
            ErrorKind::SentinelAborts(aborts)
                if aborts.len() == 1 && aborts[0].type_name.contains("Authenticated")
        ),
        "{:?}",
        error.kind()
    );

    rocket::custom(config())
        .manage(verifier)
        .attach(auth::rocket::Rejections)
        .mount("/", routes![me])
        .ignite()
        .await
        .expect("with the fairing it launches");
}
