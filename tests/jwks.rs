//! The JWKS client against a local authority the test controls: down at start, down later,
//! slow, garbage, oversized, rotated, discovery, several issuers. No request ever gets a 5xx
//! because of the JWKS.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use auth::{
    Algorithm, Authority, Claims, ConfigError, JwksClient, RefreshError, SigningKey, TrustedIssuer,
    Verifier, protected,
};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::challenge::INVALID;
use common::{bearer, get as fetch, serve};

/// What the fake authority answers on its JWKS and discovery URLs.
#[derive(Clone)]
enum Mode {
    Serve,
    Status(u16),
    Slow(Duration),
    Garbage,
    Oversized(usize),
}

#[derive(Clone)]
struct Control {
    authority: Arc<Mutex<Authority>>,
    mode: Arc<Mutex<Mode>>,
    /// Requests received on the JWKS URL.
    hits: Arc<AtomicUsize>,
    /// Of those, the ones answered (a slow answer counts once its delay has passed).
    answered: Arc<AtomicUsize>,
    issuer: String,
    discovery_issuer: Arc<Mutex<Option<String>>>,
}

async fn jwks(State(c): State<Control>) -> Response {
    c.hits.fetch_add(1, Ordering::SeqCst);
    let mode = c.mode.lock().unwrap().clone();
    let response = answer(&c, mode).await;
    c.answered.fetch_add(1, Ordering::SeqCst);
    response
}

async fn answer(c: &Control, mode: Mode) -> Response {
    match mode {
        Mode::Serve => {
            let (parts, body) = c.authority.lock().unwrap().jwks_response().into_parts();
            Response::from_parts(parts, body.into())
        }
        Mode::Status(code) => StatusCode::from_u16(code).unwrap().into_response(),
        Mode::Slow(delay) => {
            tokio::time::sleep(delay).await;
            c.authority.lock().unwrap().jwks().to_json().into_response()
        }
        Mode::Garbage => (StatusCode::OK, "{\"keys\": [ this is not JSON").into_response(),
        Mode::Oversized(bytes) => {
            let padding = "x".repeat(bytes);
            let body = format!("{{\"padding\":\"{padding}\",\"keys\":[]}}");
            let mut response = body.into_response();
            response.headers_mut().remove(header::CONTENT_LENGTH);
            response
        }
    }
}

async fn discovery(State(c): State<Control>) -> Response {
    let issuer = c
        .discovery_issuer
        .lock()
        .unwrap()
        .clone()
        .unwrap_or(c.issuer.clone());
    let body = serde_json::json!({
        "issuer": issuer,
        "jwks_uri": format!("{}/.well-known/jwks.json", c.issuer),
        "id_token_signing_alg_values_supported": ["ES256"],
    });
    let mut response = body.to_string().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A fake authority on a fixed loopback port that can go down and come back.
struct FakeAuthority {
    addr: SocketAddr,
    control: Control,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl FakeAuthority {
    /// Reserves a port without listening on it yet.
    fn reserve() -> FakeAuthority {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let issuer = format!("http://{addr}");
        let authority = Authority::builder()
            .issuer(issuer.clone())
            .audience("svc")
            .signing_key(SigningKey::generate(Algorithm::ES256).unwrap())
            .build()
            .unwrap();
        let control = Control {
            authority: Arc::new(Mutex::new(authority)),
            mode: Arc::new(Mutex::new(Mode::Serve)),
            hits: Arc::new(AtomicUsize::new(0)),
            answered: Arc::new(AtomicUsize::new(0)),
            issuer,
            discovery_issuer: Arc::new(Mutex::new(None)),
        };
        FakeAuthority {
            addr,
            control,
            task: None,
        }
    }

    async fn up(&mut self) {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(self.addr).unwrap();
        let listener = socket.listen(64).unwrap();
        let app = Router::new()
            .route("/.well-known/jwks.json", get(jwks))
            .route("/.well-known/openid-configuration", get(discovery))
            .with_state(self.control.clone());
        self.task = Some(tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        }));
    }

    async fn down(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    fn set(&self, mode: Mode) {
        *self.control.mode.lock().unwrap() = mode;
    }

    fn issuer(&self) -> String {
        self.control.issuer.clone()
    }

    fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.control.issuer)
    }

    fn token(&self, sub: &str) -> String {
        self.control
            .authority
            .lock()
            .unwrap()
            .issue(sub, ["user"])
            .unwrap()
    }

    fn hits(&self) -> usize {
        self.control.hits.load(Ordering::SeqCst)
    }

    fn answered(&self) -> usize {
        self.control.answered.load(Ordering::SeqCst)
    }
}

#[protected]
async fn me(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

/// A protected service whose verifier trusts `authority` through `jwks`.
async fn service(authority: &FakeAuthority, jwks: JwksClient) -> String {
    let verifier = Verifier::builder()
        .jwks(jwks)
        .issuer(authority.issuer())
        .audience("svc")
        .build()
        .unwrap();
    serve(Router::new().route("/me", get(me)).with_state(verifier)).await
}

fn quick(url: String) -> auth::JwksClientBuilder {
    JwksClient::builder(url)
        .timeout(Duration::from_millis(500))
        .retry_after(Duration::from_millis(50))
        .refetch_cooldown(Duration::from_millis(200))
}

/// Waits for `check` to hold. The deadline only guards against a hang: no test passes or
/// fails on how long this takes.
async fn eventually(what: &str, check: impl AsyncFnMut() -> bool) {
    eventually_within(what, Duration::from_secs(30), check).await;
}

/// [`eventually`] with another hang guard.
async fn eventually_within(what: &str, limit: Duration, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

#[tokio::test]
async fn down_at_start_fails_closed_then_recovers() {
    let mut authority = FakeAuthority::reserve();
    let jwks = quick(authority.jwks_url())
        .start()
        .await
        .expect("starts even with the authority down");
    let base = service(&authority, jwks.clone()).await;
    let token = authority.token("ann");
    for _ in 0..3 {
        let reply = fetch(&format!("{base}/me"), &[&bearer(&token)]).await;
        assert_eq!(reply.status, 401, "fails closed, never 5xx");
        assert_eq!(reply.challenge.as_deref(), Some(INVALID));
    }
    authority.up().await;
    eventually("the key set arrives", async || {
        fetch(&format!("{base}/me"), &[&bearer(&token)])
            .await
            .status
            == 200
    })
    .await;
    assert_eq!(
        fetch(&format!("{base}/me"), &[&bearer(&token)]).await.body,
        "ann"
    );
}

#[tokio::test]
async fn down_later_known_keys_keep_working() {
    let mut authority = FakeAuthority::reserve();
    authority.up().await;
    let jwks = quick(authority.jwks_url()).start().await.unwrap();
    let base = service(&authority, jwks.clone()).await;
    let token = authority.token("ben");
    assert_eq!(
        fetch(&format!("{base}/me"), &[&bearer(&token)])
            .await
            .status,
        200
    );
    authority.down().await;
    assert!(jwks.refresh().await.is_err(), "the authority is down");
    for _ in 0..3 {
        assert_eq!(
            fetch(&format!("{base}/me"), &[&bearer(&token)])
                .await
                .status,
            200
        );
    }
    // 503 and 500 from the authority do not replace the keys either.
    authority.up().await;
    authority.set(Mode::Status(503));
    assert!(jwks.refresh().await.is_err());
    assert_eq!(
        fetch(&format!("{base}/me"), &[&bearer(&token)])
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn slow_authority_is_cut_off_by_the_timeout() {
    let mut authority = FakeAuthority::reserve();
    authority.up().await;
    // Far slower than any test run: an answer that arrives means something waited for it.
    authority.set(Mode::Slow(Duration::from_secs(600)));
    let jwks = quick(authority.jwks_url()).start().await.unwrap();
    // Ordering, not elapsed time: start asked, and returned before any answer came.
    eventually("start's fetch reaches the authority", async || {
        authority.hits() >= 1
    })
    .await;
    assert_eq!(authority.answered(), 0, "start waited for the slow answer");
    assert_eq!(jwks.keys().len(), 0, "no keys from a cut-off fetch");
    let base = service(&authority, jwks.clone()).await;
    let token = authority.token("cat");
    let reply = fetch(&format!("{base}/me"), &[&bearer(&token)]).await;
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (401, Some(INVALID))
    );
    assert_eq!(
        authority.answered(),
        0,
        "a request waited for the slow answer"
    );
    authority.set(Mode::Serve);
    eventually("recovery", async || {
        fetch(&format!("{base}/me"), &[&bearer(&token)])
            .await
            .status
            == 200
    })
    .await;
}

#[tokio::test]
async fn garbage_and_oversized_responses_keep_the_last_good_set() {
    let mut authority = FakeAuthority::reserve();
    authority.up().await;
    authority.set(Mode::Garbage);
    let jwks = quick(authority.jwks_url())
        .max_response_bytes(64 * 1024)
        .start()
        .await
        .unwrap();
    let base = service(&authority, jwks.clone()).await;
    let token = authority.token("dan");
    assert_eq!(
        fetch(&format!("{base}/me"), &[&bearer(&token)])
            .await
            .status,
        401
    );

    authority.set(Mode::Serve);
    assert!(jwks.refresh().await.is_ok());
    assert_eq!(
        fetch(&format!("{base}/me"), &[&bearer(&token)])
            .await
            .status,
        200
    );

    for bad in [
        Mode::Garbage,
        Mode::Oversized(1024 * 1024),
        Mode::Status(404),
    ] {
        let expected_error = match bad {
            Mode::Garbage => "InvalidSet",
            Mode::Oversized(_) => "TooLarge",
            _ => "Status",
        };
        authority.set(bad);
        let error = jwks.refresh().await.unwrap_err();
        let kind = format!("{error:?}");
        assert!(kind.starts_with(expected_error), "{kind}");
        assert_eq!(
            fetch(&format!("{base}/me"), &[&bearer(&token)])
                .await
                .status,
            200,
            "last good set kept"
        );
    }
    authority.set(Mode::Oversized(1024 * 1024));
    assert!(matches!(
        jwks.refresh().await.unwrap_err(),
        RefreshError::TooLarge { .. }
    ));
}

#[tokio::test]
async fn rotated_key_is_accepted_without_restart() {
    let mut authority = FakeAuthority::reserve();
    authority.up().await;
    let jwks = quick(authority.jwks_url()).start().await.unwrap();
    let generation = jwks.generation();
    let base = service(&authority, jwks.clone()).await;
    let old = authority.token("eve");
    assert_eq!(
        fetch(&format!("{base}/me"), &[&bearer(&old)]).await.status,
        200
    );
    // The fetch at start only: a known kid asks for nothing, and the next background refresh
    // is minutes away (max-age=300, at least the default minimum TTL of 60 s).
    assert_eq!(authority.hits(), 1);

    authority
        .control
        .authority
        .lock()
        .unwrap()
        .rotate(SigningKey::generate(Algorithm::ES256).unwrap())
        .unwrap();
    let new = authority.token("eve");
    // The first request with the new kid makes the service refetch and is accepted.
    let reply = fetch(&format!("{base}/me"), &[&bearer(&new)]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "eve"));
    assert!(jwks.generation() > generation);
    assert_eq!(
        authority.hits(),
        2,
        "exactly one refetch, for the new kid, before the reply"
    );
    // The old key is still published, so tokens it signed keep working.
    assert_eq!(
        fetch(&format!("{base}/me"), &[&bearer(&old)]).await.status,
        200
    );
    assert_eq!(authority.hits(), 2, "a known kid asks for no refetch");
}

#[tokio::test]
async fn unknown_kids_cannot_hammer_the_authority() {
    let mut authority = FakeAuthority::reserve();
    authority.up().await;
    let jwks = JwksClient::builder(authority.jwks_url())
        .timeout(Duration::from_millis(500))
        .refetch_cooldown(Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let base = service(&authority, jwks).await;
    let hits_before = authority.hits();
    // Tokens from a stranger's keys, each with a new kid.
    let stranger = FakeAuthority::reserve();
    for i in 0..50 {
        stranger
            .control
            .authority
            .lock()
            .unwrap()
            .rotate(
                SigningKey::generate(Algorithm::ES256)
                    .unwrap()
                    .with_kid(format!("k{i}")),
            )
            .unwrap();
        let token = stranger.token("mallory");
        let reply = fetch(&format!("{base}/me"), &[&bearer(&token)]).await;
        assert_eq!(
            (reply.status, reply.challenge.as_deref()),
            (401, Some(INVALID))
        );
    }
    // The first unknown kid must cause a refetch (waited for, so normally counted already);
    // the other 49, within the cooldown, none.
    eventually("the refetch for the first unknown kid", async || {
        authority.hits() > hits_before
    })
    .await;
    let refetches = authority.hits() - hits_before;
    assert_eq!(
        refetches, 1,
        "{refetches} refetches for 50 unknown kids within one cooldown"
    );
}

#[tokio::test]
async fn cache_control_is_honoured_within_bounds() {
    let mut authority = FakeAuthority::reserve();
    authority.up().await;
    // The authority says max-age=300; the bounds clamp it to at most 1 s.
    let jwks = quick(authority.jwks_url())
        .ttl_bounds(Duration::from_millis(300), Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let generation = jwks.generation();
    authority
        .control
        .authority
        .lock()
        .unwrap()
        .rotate(SigningKey::generate(Algorithm::ES256).unwrap())
        .unwrap();
    let hits = authority.hits();
    assert_eq!(hits, 1, "the fetch at start");
    // No request and no refresh() call: only the background refresh can pick up the rotation.
    // Honouring max-age=300 unclamped, it would come after 300 s, long past this hang guard;
    // clamped to 1 s, it comes well within it, however loaded the machine.
    eventually_within(
        "a background refresh picks up the rotation",
        Duration::from_secs(60),
        async || jwks.generation() > generation,
    )
    .await;
    assert!(authority.hits() > hits, "the refresh asked the authority");
    assert!(
        jwks.keys().len() >= 2,
        "the rotated set (old and new key) is in"
    );
}

#[tokio::test]
async fn discovery_from_the_issuer_url() {
    let mut authority = FakeAuthority::reserve();
    authority.up().await;
    let jwks = JwksClient::discover(authority.issuer())
        .timeout(Duration::from_millis(500))
        .start()
        .await
        .unwrap();
    let base = service(&authority, jwks).await;
    let reply = fetch(&format!("{base}/me"), &[&bearer(&authority.token("fay"))]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "fay"));

    // A discovery document naming another issuer is not trusted: fail closed.
    let mut liar = FakeAuthority::reserve();
    liar.up().await;
    *liar.control.discovery_issuer.lock().unwrap() = Some("https://evil.example".into());
    let jwks = JwksClient::discover(liar.issuer())
        .timeout(Duration::from_millis(500))
        .start()
        .await
        .unwrap();
    assert_eq!(jwks.keys().len(), 0);
    assert!(matches!(
        jwks.refresh().await.unwrap_err(),
        RefreshError::Discovery(reason) if reason.contains("expected")
    ));
    let base = service(&liar, jwks).await;
    assert_eq!(
        fetch(&format!("{base}/me"), &[&bearer(&liar.token("x"))])
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn several_issuers_each_with_its_own_keys() {
    let mut a = FakeAuthority::reserve();
    let mut b = FakeAuthority::reserve();
    a.up().await;
    b.up().await;
    let jwks_a = quick(a.jwks_url()).start().await.unwrap();
    let jwks_b = quick(b.jwks_url()).start().await.unwrap();
    let verifier = Verifier::builder()
        .jwks(jwks_a)
        .issuer(a.issuer())
        .audience("svc")
        .trust(TrustedIssuer::new(b.issuer()).audience("svc").jwks(jwks_b))
        .build()
        .unwrap();
    let base = serve(Router::new().route("/me", get(me)).with_state(verifier)).await;
    assert_eq!(
        fetch(&format!("{base}/me"), &[&bearer(&a.token("from-a"))])
            .await
            .body,
        "from-a"
    );
    assert_eq!(
        fetch(&format!("{base}/me"), &[&bearer(&b.token("from-b"))])
            .await
            .body,
        "from-b"
    );

    // B's key cannot vouch for a token that claims A as issuer, even with A's kid.
    let a_kid = a.control.authority.lock().unwrap().signing_kid();
    let forged = b
        .control
        .authority
        .lock()
        .unwrap()
        .token("mallory")
        .claim("iss", a.issuer())
        .issue()
        .unwrap();
    let reply = fetch(&format!("{base}/me"), &[&bearer(&forged)]).await;
    assert_eq!(reply.status, 401);
    let relabelled = auth::testing::sign_raw(
        &SigningKey::generate(Algorithm::ES256).unwrap(),
        &serde_json::json!({"alg": "ES256", "kid": a_kid}),
        &serde_json::json!({"iss": a.issuer(), "aud": "svc", "sub": "mallory", "exp": auth::testing::now() + 60}),
    )
    .unwrap();
    assert_eq!(
        fetch(&format!("{base}/me"), &[&bearer(&relabelled)])
            .await
            .status,
        401
    );
    // An unknown issuer is refused outright.
    let c = FakeAuthority::reserve();
    assert_eq!(
        fetch(&format!("{base}/me"), &[&bearer(&c.token("x"))])
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn a_retired_key_voids_cached_tokens() {
    let mut authority = FakeAuthority::reserve();
    authority.up().await;
    let jwks = quick(authority.jwks_url()).start().await.unwrap();
    let verifier = Verifier::builder()
        .jwks(jwks.clone())
        .issuer(authority.issuer())
        .audience("svc")
        .build()
        .unwrap();
    let old_kid = authority.control.authority.lock().unwrap().signing_kid();
    let old = authority.token("gus");
    assert!(verifier.verify(&old).is_ok());
    assert_eq!(
        verifier.cache_stats().entries,
        1,
        "verified once, now cached"
    );
    {
        let authority = authority.control.authority.lock().unwrap();
        authority
            .rotate(SigningKey::generate(Algorithm::ES256).unwrap())
            .unwrap();
        assert!(authority.retire(&old_kid));
    }
    jwks.refresh().await.unwrap();
    assert_eq!(
        verifier.verify(&old),
        Err(auth::AuthError::UnknownKey),
        "the cache was cleared with the key set"
    );
}

/// An authority's keys come from static keys or a JWKS client, never both: the same error for
/// the main authority and for a trusted one (a trusted issuer once dropped its static keys
/// silently).
#[tokio::test]
async fn static_keys_and_a_jwks_client_are_refused_for_every_authority() {
    let mut a = FakeAuthority::reserve();
    let mut b = FakeAuthority::reserve();
    a.up().await;
    b.up().await;
    let static_key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .verifying_key();
    let main = Verifier::builder()
        .jwks(quick(a.jwks_url()).start().await.unwrap())
        .key(static_key.clone())
        .issuer(a.issuer())
        .audience("svc")
        .build()
        .unwrap_err();
    let trusted = Verifier::builder()
        .jwks(quick(a.jwks_url()).start().await.unwrap())
        .issuer(a.issuer())
        .audience("svc")
        .trust(
            TrustedIssuer::new(b.issuer())
                .key(static_key)
                .jwks(quick(b.jwks_url()).start().await.unwrap()),
        )
        .build()
        .unwrap_err();
    assert_eq!(main, ConfigError::KeysAndJwksClient);
    assert_eq!(trusted, ConfigError::KeysAndJwksClient);
}

/// A token refused for an unknown `kid` is answered from the refusal cache while the key set
/// stays the same, and accepted once the key appears in it.
#[tokio::test]
async fn an_unknown_kid_refusal_ends_when_the_key_appears() {
    let mut authority = FakeAuthority::reserve();
    authority.up().await;
    let jwks = quick(authority.jwks_url())
        .refetch_cooldown(Duration::from_secs(600))
        .start()
        .await
        .unwrap();
    let verifier = Verifier::builder()
        .jwks(jwks.clone())
        .issuer(authority.issuer())
        .audience("svc")
        .build()
        .unwrap();
    // A key the authority signs with before publishing it: not in the fetched set.
    let unpublished = SigningKey::generate(Algorithm::ES256).unwrap();
    let early = Authority::builder()
        .issuer(authority.issuer())
        .audience("svc")
        .signing_key(unpublished.clone())
        .build()
        .unwrap()
        .token("eve")
        .issue()
        .unwrap();
    for _ in 0..3 {
        assert_eq!(
            verifier.verify(&early).unwrap_err(),
            auth::AuthError::UnknownKey
        );
    }
    assert_eq!(verifier.cache_stats().refusal_hits, 2);
    // The key is published; the next fetch brings it in and the refusal no longer holds.
    authority
        .control
        .authority
        .lock()
        .unwrap()
        .rotate(unpublished)
        .unwrap();
    jwks.refresh().await.unwrap();
    assert_eq!(verifier.verify(&early).unwrap().sub.as_deref(), Some("eve"));
}
