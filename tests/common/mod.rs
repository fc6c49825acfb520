//! Shared helpers of the facade's integration tests: a real server on a loopback socket, GET
//! requests with any `Authorization` headers, the contract's exact challenges, and token
//! helpers (base64url and hex, PEM bodies, tokens signed over any header and claims, taking
//! tokens apart).
//!
//! Included with `mod common;`; each test file uses part of it.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::net::SocketAddr;

use auth::{SigningKey, testing};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;

/// Serves `router` on 127.0.0.1 with an OS-assigned port; returns the base URL.
#[cfg(feature = "axum")]
pub(crate) async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("server runs");
    });
    format!("http://{addr}")
}

/// Launches `rocket` on 127.0.0.1 with an OS-assigned port, quietly; returns its base URL once it
/// listens (the port is the bound one at liftoff).
#[cfg(feature = "rocket")]
pub(crate) async fn launch_rocket(rocket: rocket::Rocket<rocket::Build>) -> String {
    use rocket::config::{LogLevel, Shutdown};
    let config = rocket::Config {
        address: std::net::Ipv4Addr::LOCALHOST.into(),
        port: 0,
        log_level: LogLevel::Off,
        shutdown: Shutdown {
            ctrlc: false,
            ..Shutdown::default()
        },
        ..rocket::Config::debug_default()
    };
    let (bound, port) = rocket::tokio::sync::oneshot::channel();
    let rocket = rocket
        .configure(config)
        .attach(rocket::fairing::AdHoc::on_liftoff(
            "bound port",
            move |rocket| {
                Box::pin(async move {
                    bound.send(rocket.config().port).expect("the test waits");
                })
            },
        ));
    tokio::spawn(rocket.launch());
    let port = port.await.expect("rocket lifts off");
    format!("http://127.0.0.1:{port}")
}

/// Serves the salvo `router` on 127.0.0.1 with an OS-assigned port; returns the base URL.
#[cfg(feature = "salvo")]
pub(crate) async fn serve_salvo(router: salvo::Router) -> String {
    use salvo::conn::Listener;
    let acceptor = salvo::conn::TcpListener::new("127.0.0.1:0").bind().await;
    let addr = acceptor.local_addr().expect("bound address");
    tokio::spawn(salvo::Server::new(acceptor).serve(router));
    format!("http://{addr}")
}

/// Serves an actix-web app with `verifier` as its data and the routes `routes` adds, on
/// 127.0.0.1 with an OS-assigned port, on its own thread and actix system (its workers are not
/// tokio tasks); returns the base URL.
#[cfg(feature = "actix-web")]
pub(crate) fn serve_actix(
    verifier: auth::Verifier,
    routes: fn(&mut actix_web::web::ServiceConfig),
) -> String {
    use actix_web::{App, HttpServer, web};
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(web::Data::new(verifier.clone()))
                    .configure(routes)
            })
            .workers(1)
            .bind(("127.0.0.1", 0))
            .expect("bind loopback");
            sender.send(server.addrs()[0]).expect("address sent");
            server.run().await.expect("server runs");
        });
    });
    let addr = receiver.recv().expect("the server's address");
    format!("http://{addr}")
}

/// A request's outcome: status, `WWW-Authenticate`, body.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) challenge: Option<String>,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("JSON body")
    }
}

/// GET `url` with the given Authorization header values (none, one, or several).
pub(crate) async fn get(url: &str, authorization: &[&str]) -> Reply {
    let client = reqwest::Client::new();
    let mut request = client.get(url);
    for value in authorization {
        request = request.header(reqwest::header::AUTHORIZATION, *value);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().expect("ascii header").to_owned());
    let body = response.text().await.expect("body");
    Reply {
        status,
        challenge,
        body,
    }
}

/// A token of `authority` for `alice`, with `roles`.
pub(crate) fn alice_token(authority: &auth::Authority, roles: &[&str]) -> String {
    authority
        .token("alice")
        .roles(roles.iter().copied())
        .issue()
        .expect("token")
}

/// A request with `method` to `url` and exactly the given headers (names and values).
pub(crate) async fn send(method: reqwest::Method, url: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = reqwest::Client::new().request(method, url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().expect("ascii header").to_owned());
    let body = response.text().await.expect("body");
    Reply {
        status,
        challenge,
        body,
    }
}

pub(crate) fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The exact `WWW-Authenticate` challenges of the contract (realm `api`), written out here
/// rather than taken from the library, so a test compares the library with them.
pub(crate) mod challenge {
    /// No credentials (or another scheme): 401.
    pub(crate) const NONE: &str = r#"Bearer realm="api""#;
    /// `Authorization: Bearer` with no token, or characters no token has: 400.
    pub(crate) const MALFORMED: &str = r#"Bearer realm="api", error="invalid_request", error_description="the Authorization header is malformed""#;
    /// More than one `Authorization` header: 400.
    pub(crate) const TWO_HEADERS: &str = r#"Bearer realm="api", error="invalid_request", error_description="the request has more than one Authorization header""#;
    /// An expired token: 401.
    pub(crate) const EXPIRED: &str = r#"Bearer realm="api", error="invalid_token", error_description="the access token expired""#;
    /// Any other bad token (forged, unknown key, wrong audience, garbage): 401.
    pub(crate) const INVALID: &str = r#"Bearer realm="api", error="invalid_token", error_description="the access token is invalid""#;
    /// A valid token without the role or scope: 403.
    pub(crate) const INSUFFICIENT: &str = r#"Bearer realm="api", error="insufficient_scope", error_description="the access token does not grant this operation""#;
}

/// How often the body of each route of [`routes_follow_the_contract`] ran.
#[cfg(any(feature = "rocket", feature = "salvo"))]
pub(crate) struct Counters {
    pub(crate) me: &'static std::sync::atomic::AtomicUsize,
    pub(crate) reports: &'static std::sync::atomic::AtomicUsize,
    pub(crate) maybe: &'static std::sync::atomic::AtomicUsize,
    pub(crate) custom: &'static std::sync::atomic::AtomicUsize,
    pub(crate) guarded: &'static std::sync::atomic::AtomicUsize,
}

/// The contract of an extractor-style adapter over a server at `base` that serves, for tokens
/// of `authority`: `/me` (the claims as JSON), `/reports/{id}` (role `user`), `/maybe`
/// (optional claims: the subject or `stranger`), `/custom` (an own claims type: `sub@tenant`)
/// and `/guarded` (a guard without claims); each body counting its runs in `counters`.
#[cfg(any(feature = "rocket", feature = "salvo"))]
pub(crate) async fn routes_follow_the_contract(
    base: &str,
    authority: &auth::Authority,
    counters: Counters,
) {
    use challenge::{INSUFFICIENT, INVALID, MALFORMED, NONE, TWO_HEADERS};
    use serde_json::json;
    let ran = |counter: &std::sync::atomic::AtomicUsize| {
        counter.load(std::sync::atomic::Ordering::SeqCst)
    };
    let fetch = get;
    let user = authority.issue("bob", ["user"]).unwrap();
    let admin_token = authority.issue("alice", ["admin"]).unwrap();

    let reply = fetch(&format!("{base}/me"), &[&bearer(&user)]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({"sub": "bob", "roles": ["user"]}));
    assert_eq!(ran(counters.me), 1);

    let reply = fetch(&format!("{base}/reports/7"), &[&bearer(&admin_token)]).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "report 7 for alice")
    );
    assert_eq!(ran(counters.reports), 1);

    let none = fetch(&format!("{base}/me"), &[]).await;
    assert_eq!((none.status, none.challenge.as_deref()), (401, Some(NONE)));
    assert_eq!(none.json()["error"], "unauthorized");

    let malformed = fetch(&format!("{base}/me"), &["Bearer a b"]).await;
    assert_eq!(
        (malformed.status, malformed.challenge.as_deref()),
        (400, Some(MALFORMED))
    );
    assert_eq!(malformed.json()["error"], "invalid_request");

    let two = fetch(&format!("{base}/me"), &[&bearer(&user), &bearer(&user)]).await;
    assert_eq!(
        (two.status, two.challenge.as_deref()),
        (400, Some(TWO_HEADERS))
    );

    let forged = testing::authority(auth::Algorithm::ES256)
        .issue("mallory", ["admin"])
        .unwrap();
    let reply = fetch(&format!("{base}/me"), &[&bearer(&forged)]).await;
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (401, Some(INVALID))
    );
    assert_eq!(reply.json()["error"], "invalid_token");
    assert_eq!(ran(counters.me), 1, "a rejected request ran the body");

    let guest = authority.issue("g", ["guest"]).unwrap();
    let reply = fetch(&format!("{base}/reports/1"), &[&bearer(&guest)]).await;
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (403, Some(INSUFFICIENT))
    );
    assert_eq!(reply.json()["error"], "insufficient_scope");
    assert_eq!(ran(counters.reports), 1, "a rejected request ran the body");

    assert_eq!(fetch(&format!("{base}/maybe"), &[]).await.body, "stranger");
    assert_eq!(ran(counters.maybe), 1);
    assert_eq!(
        fetch(&format!("{base}/maybe"), &[&bearer(&user)])
            .await
            .body,
        "bob"
    );
    assert_eq!(ran(counters.maybe), 2);
    let bad = fetch(&format!("{base}/maybe"), &["Bearer x.y.z"]).await;
    assert_eq!((bad.status, bad.challenge.as_deref()), (401, Some(INVALID)));
    assert_eq!(ran(counters.maybe), 2, "a rejected request ran the body");

    let tenant = authority
        .token("bob")
        .claim("tenant", "acme")
        .issue()
        .unwrap();
    let reply = fetch(&format!("{base}/custom"), &[&bearer(&tenant)]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "bob@acme"));
    let reply = fetch(&format!("{base}/custom"), &[]).await;
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (401, Some(NONE))
    );
    assert_eq!(ran(counters.custom), 1, "a rejected request ran the body");

    let reply = fetch(&format!("{base}/guarded"), &[&bearer(&user)]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "guarded"));
    let reply = fetch(&format!("{base}/guarded"), &[]).await;
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (401, Some(NONE))
    );
    assert_eq!(ran(counters.guarded), 1, "a rejected request ran the body");
}

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

/// Strict base64url without padding (RFC 7515 section 2), as in a compact JWS.
pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The bytes of base64url text without padding; panics on anything else.
pub(crate) fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).expect("base64url")
}

/// The bytes of hex text (an even number of hex digits); panics on anything else.
pub(crate) fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The DER inside a PEM document.
pub(crate) fn pem_body(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).expect("PEM body")
}

/// A compact token signed by `key` over exactly this header and these claims, whatever they
/// say (`testing::sign_raw`).
pub(crate) fn sign(key: &SigningKey, header: &Value, claims: &Value) -> String {
    testing::sign_raw(key, header, claims).expect("signing")
}

/// The three parts of a compact token; panics if there are not exactly three.
pub(crate) fn parts(token: &str) -> (&str, &str, &str) {
    let mut it = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (it.next(), it.next(), it.next(), it.next()) else {
        panic!("not three parts: {token}");
    };
    (h, p, s)
}

/// The JSON of the token's header (`part` 0) or payload (`part` 1), decoded without
/// verification (for inspection only).
pub(crate) fn json_part(token: &str, part: usize) -> Value {
    let text = token.split('.').nth(part).expect("the part exists");
    serde_json::from_slice(&unb64(text)).expect("JSON part")
}

/// Only the user the path's `{user}` names: the check function of the adapters' tests.
#[auth::check]
pub(crate) fn owner_of_path(claims: &auth::Claims, request: &auth::AccessRequest<'_>) -> bool {
    claims.sub.is_some() && claims.sub.as_deref() == request.path_param("user")
}

/// A server at `base` that serves `/users/{user}/profile` behind [`owner_of_path`], answering
/// with the claims' subject, for tokens of `authority`: bob sees his own profile, not carol's;
/// without a token, the check never decides.
pub(crate) async fn the_check_function_decides(base: &str, authority: &auth::Authority) {
    let bob = bearer(&authority.token("bob").issue().expect("token"));
    let own = get(&format!("{base}/users/bob/profile"), &[&bob]).await;
    assert_eq!((own.status, own.body.as_str()), (200, "bob"), "{base}");
    let other = get(&format!("{base}/users/carol/profile"), &[&bob]).await;
    assert_eq!(
        (other.status, other.challenge.as_deref()),
        (403, Some(challenge::INSUFFICIENT)),
        "{base}"
    );
    let anonymous = get(&format!("{base}/users/bob/profile"), &[]).await;
    assert_eq!(anonymous.status, 401, "{base}");
}

/// The body of the demo authority's `POST /login` for one of its demo users (whose password
/// is `<user>-password`): `access_token`, `refresh_token`, ...
pub(crate) async fn demo_login(authority: &str, user: &str) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{authority}/login"))
        .json(&serde_json::json!({"username": user, "password": format!("{user}-password")}))
        .send()
        .await
        .expect("the authority answers");
    assert_eq!(response.status(), 200, "{user} logs in");
    response.json().await.expect("a JSON body")
}

/// The access token of [`demo_login`].
pub(crate) async fn demo_token(authority: &str, user: &str) -> String {
    let body = demo_login(authority, user).await;
    body["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}
