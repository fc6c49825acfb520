//! The outbound token sources against the authority's token endpoint over loopback: one fetch
//! for 1,000 concurrent calls; a refresh before expiry without a failed call; an outage while
//! the cached token is valid without a failed call, then after expiry a clear error, then
//! recovery; the token attached to reqwest and tonic requests; exchanged tokens cached per
//! incoming token and never past its expiry; private_key_jwt; the endpoint found through
//! discovery.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use auth::outbound::{
    ClientAuthentication, ExchangingTokenSource, OutboundConfig, OutboundError, ServiceTokenSource,
};
use auth::{Algorithm, Authority, ServiceClient, SigningKey, TokenEndpoint, TokenRequest};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

/// The authority as the tests see it: its token endpoint, whether it is up, how many token
/// requests reached it.
#[derive(Clone)]
struct Server {
    endpoint: Arc<TokenEndpoint>,
    up: Arc<AtomicBool>,
    requests: Arc<AtomicUsize>,
    base: String,
    authority: Authority,
}

impl Server {
    /// A verifier of the authority's tokens for the users service.
    fn users_verifier(&self) -> auth::Verifier {
        self.authority.verifier().audience("users").build().unwrap()
    }
}

async fn token(State(server): State<Server>, headers: HeaderMap, body: Bytes) -> Response {
    server.requests.fetch_add(1, Ordering::SeqCst);
    if !server.up.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "down").into_response();
    }
    let endpoint = Arc::clone(&server.endpoint);
    let authorization = headers.get("authorization").map(|v| v.as_bytes().to_vec());
    let response = tokio::task::spawn_blocking(move || {
        endpoint.respond(TokenRequest {
            authorization: authorization.as_deref(),
            body: &body,
        })
    })
    .await
    .unwrap();
    response.into_response()
}

async fn discovery(State(server): State<Server>) -> Response {
    axum::Json(server.endpoint.discovery_document()).into_response()
}

/// The Authorization header a request carried.
async fn echo(headers: HeaderMap) -> String {
    headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// An authority on loopback whose clients' own tokens live `lifetime`.
async fn start(lifetime: Duration, batch_key: Option<&SigningKey>) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let authority = Authority::builder()
        .issuer(base.clone())
        .audience("reports")
        .signing_key(SigningKey::generate(Algorithm::ES256).unwrap())
        .build()
        .unwrap();
    let mut builder = TokenEndpoint::builder(authority.clone())
        .client_token_lifetime(lifetime)
        .client(
            ServiceClient::with_secret("reports", "reports-secret")
                .unwrap()
                .audiences(["users"])
                .may_exchange_for(["users"]),
        );
    if let Some(key) = batch_key {
        builder = builder.client(
            ServiceClient::with_public_keys("batch", [key.verifying_key()])
                .unwrap()
                .audiences(["users"]),
        );
    }
    let server = Server {
        endpoint: Arc::new(builder.build().unwrap()),
        up: Arc::new(AtomicBool::new(true)),
        requests: Arc::new(AtomicUsize::new(0)),
        base: base.clone(),
        authority,
    };
    let app = Router::new()
        .route("/oauth/token", post(token))
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/echo", get(echo))
        .with_state(server.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    server
}

fn reports() -> ClientAuthentication {
    ClientAuthentication::secret_basic("reports", "reports-secret")
}

fn source(server: &Server, config: OutboundConfig) -> ServiceTokenSource {
    ServiceTokenSource::builder(reports())
        .token_endpoint(format!("{}/oauth/token", server.base))
        .audience("users")
        .config(config)
        .build()
        .unwrap()
}

/// Quick timings for tests: a one-second skew, a short backoff.
fn quick(refresh_at: f64) -> OutboundConfig {
    OutboundConfig {
        refresh_at,
        jitter: 0.05,
        skew: Duration::from_secs(1),
        min_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_millis(400),
        ..OutboundConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_cause_one_fetch() {
    let server = start(Duration::from_secs(300), None).await;
    let source = source(&server, OutboundConfig::default());
    let calls: Vec<_> = (0..1000)
        .map(|_| {
            let source = source.clone();
            tokio::spawn(async move { source.token().await })
        })
        .collect();
    let mut tokens = Vec::new();
    for call in calls {
        tokens.push(call.await.unwrap().expect("a token"));
    }
    assert!(tokens.iter().all(|t| *t == tokens[0]), "one token for all");
    assert_eq!(server.requests.load(Ordering::SeqCst), 1, "one fetch");
    assert_eq!(source.fetches(), 1);
    let verifier = server.users_verifier();
    let claims = verifier.verify(&tokens[0]).unwrap();
    assert_eq!(claims.sub.as_deref(), Some("reports"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_refreshes_before_expiry_without_a_failed_call() {
    // Four-second tokens refreshed from half their lifetime: over seven seconds, every call
    // gets a token valid when handed out, and the source refreshed in the background.
    let server = start(Duration::from_secs(4), None).await;
    let source = source(&server, quick(0.5));
    let verifier = server.users_verifier();
    let started = Instant::now();
    let mut seen = std::collections::BTreeSet::new();
    while started.elapsed() < Duration::from_secs(7) {
        let token = source.token().await.expect("no failed call");
        verifier.verify(&token).expect("valid when handed out");
        seen.insert(token.to_string());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen.len() >= 2, "refreshed: {} tokens", seen.len());
    let fetches = server.requests.load(Ordering::SeqCst);
    assert!(
        (2..=5).contains(&fetches),
        "{fetches} fetches, not one per call"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_is_bridged_by_the_cached_token_then_reported_then_recovered() {
    // Three-second tokens, due for a refresh at once: the refreshes fail while the authority
    // is down, and the calls still get the cached token until it expires.
    let server = start(Duration::from_secs(3), None).await;
    let source = source(&server, quick(0.1));
    let first = source.token().await.unwrap();
    server.up.store(false, Ordering::SeqCst);
    let usable_until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < usable_until {
        assert_eq!(
            source
                .token()
                .await
                .expect("the cached token bridges the outage"),
            first
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        server.requests.load(Ordering::SeqCst) >= 2,
        "refreshes were tried"
    );

    // Past its expiry (less the skew), a clear error.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let error = loop {
        match source.token().await {
            Err(error) => break error,
            Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    assert!(
        matches!(
            error,
            OutboundError::Refused { status: 503, .. } | OutboundError::Unavailable { .. }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("503"), "{error}");
    // The backoff keeps the authority from being hammered: no fetch per call.
    let before = server.requests.load(Ordering::SeqCst);
    for _ in 0..50 {
        assert!(source.token().await.is_err());
    }
    assert!(server.requests.load(Ordering::SeqCst) - before <= 1);

    // Back up: the next call after the backoff fetches a new token.
    server.up.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(450)).await;
    let recovered = source.token().await.expect("recovered");
    assert_ne!(recovered, first);
}

#[tokio::test]
async fn the_token_attaches_to_reqwest_and_tonic_requests() {
    let server = start(Duration::from_secs(300), None).await;
    let source = source(&server, OutboundConfig::default());
    let token = source.token().await.unwrap();
    let http = reqwest::Client::new();
    let sent = source
        .authorize(http.get(format!("{}/echo", server.base)))
        .await
        .unwrap()
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(sent, format!("Bearer {token}"));
    let call = source.authorize(tonic::Request::new(())).await.unwrap();
    assert_eq!(
        call.metadata().get("authorization").unwrap(),
        format!("Bearer {token}").as_str()
    );
}

#[tokio::test]
async fn private_key_jwt_and_discovery() {
    let key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("batch-1");
    let server = start(Duration::from_secs(2), Some(&key)).await;
    let source = ServiceTokenSource::builder(ClientAuthentication::private_key_jwt("batch", key))
        .issuer(server.base.clone())
        .config(OutboundConfig {
            skew: Duration::from_millis(1500),
            ..quick(0.9)
        })
        .build()
        .unwrap();
    let first = source.token().await.expect("through discovery");
    // Usable for half a second: the next fetch signs a new assertion (a new jti).
    tokio::time::sleep(Duration::from_millis(700)).await;
    let second = source.token().await.expect("a second assertion");
    assert_ne!(first, second);
    assert_eq!(source.fetches(), 2);
}

#[tokio::test]
async fn exchanged_tokens_are_cached_per_incoming_token_and_never_past_it() {
    let server = start(Duration::from_secs(300), None).await;
    let for_users = ExchangingTokenSource::builder(reports())
        .token_endpoint(format!("{}/oauth/token", server.base))
        .audience("users")
        .config(quick(0.75))
        .build()
        .unwrap();
    let bob = server.authority.issue("bob", ["user"]).unwrap();
    let alice = server.authority.issue("alice", ["admin"]).unwrap();
    let first = for_users.token_for(&bob).await.unwrap();
    assert_eq!(for_users.token_for(&bob).await.unwrap(), first, "cached");
    assert_eq!(for_users.exchanges(), 1);
    let for_alice = for_users.token_for(&alice).await.unwrap();
    assert_ne!(for_alice, first, "one per incoming token");
    assert_eq!(for_users.exchanges(), 2);
    let verifier = server.users_verifier();
    let claims = verifier.verify(&first).unwrap();
    assert_eq!(claims.sub.as_deref(), Some("bob"));
    assert_eq!(claims.actors(), ["reports"]);

    // An incoming token with three to four seconds left (one to two, less a two-second skew):
    // exchanged again once that has passed, while it is still valid.
    let skewed = ExchangingTokenSource::builder(reports())
        .token_endpoint(format!("{}/oauth/token", server.base))
        .audience("users")
        .config(OutboundConfig {
            skew: Duration::from_secs(2),
            ..quick(0.75)
        })
        .build()
        .unwrap();
    let short = server
        .authority
        .token("bob")
        .roles(["user"])
        .lifetime(Duration::from_secs(4))
        .issue()
        .unwrap();
    let once = skewed.token_for(&short).await.unwrap();
    assert_eq!(skewed.token_for(&short).await.unwrap(), once, "cached");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let again = skewed.token_for(&short).await.unwrap();
    assert_ne!(once, again, "not cached past the incoming token's expiry");
    assert_eq!(skewed.exchanges(), 2);

    // A refused exchange says why.
    let foreign = auth::testing::authority(Algorithm::ES256)
        .issue("mallory", ["admin"])
        .unwrap();
    let refused = for_users.token_for(&foreign).await.unwrap_err();
    assert_eq!(
        refused,
        OutboundError::Refused {
            status: 400,
            error: "invalid_grant".into(),
            description: "the subject token is invalid".into(),
        }
    );
}
