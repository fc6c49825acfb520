//! Service identity and delegation, each against its baseline in the same run:
//!
//! - attaching a cached service token to a `reqwest` request, against building the same
//!   request without it;
//! - one token exchange at the authority's endpoint (form parsing, the client's cached secret,
//!   the subject token verified, the policy, a new token signed), against one verify plus one
//!   sign of the same tokens done directly.
//!
//! ```sh
//! cargo bench --features full --bench delegation
//! ```
#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use auth::outbound::{ClientAuthentication, ServiceTokenSource};
use auth::{
    ACCESS_TOKEN_TYPE, Algorithm, Authority, ServiceClient, SigningKey, TOKEN_EXCHANGE,
    TokenEndpoint, TokenRequest, Verifier,
};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

fn authority(issuer: &str) -> Authority {
    Authority::builder()
        .issuer(issuer)
        .audience("reports")
        .signing_key(SigningKey::generate(Algorithm::ES256).unwrap())
        .build()
        .unwrap()
}

fn endpoint(authority: &Authority) -> TokenEndpoint {
    TokenEndpoint::builder(authority.clone())
        .client(
            ServiceClient::with_secret("reports", "reports-secret")
                .unwrap()
                .audiences(["users"])
                .may_exchange_for(["users"]),
        )
        .build()
        .unwrap()
}

async fn token(
    State(endpoint): State<Arc<TokenEndpoint>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let authorization = headers.get("authorization").map(|v| v.as_bytes().to_vec());
    endpoint
        .respond(TokenRequest {
            authorization: authorization.as_deref(),
            body: &body,
        })
        .into_response()
}

fn attach(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let base = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let endpoint = Arc::new(endpoint(&authority(&base)));
        let app = axum::Router::new()
            .route("/oauth/token", axum::routing::post(token))
            .with_state(endpoint);
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        base
    });
    let source = ServiceTokenSource::builder(ClientAuthentication::secret_basic(
        "reports",
        "reports-secret",
    ))
    .token_endpoint(format!("{base}/oauth/token"))
    .build()
    .unwrap();
    runtime.block_on(source.token()).expect("the first fetch");
    let http = reqwest::Client::new();
    let url = "http://users.example/users/bob";
    let mut group = c.benchmark_group("outbound");
    group.bench_function("baseline: build the request", |b| {
        b.iter(|| runtime.block_on(async { http.get(black_box(url)).build().unwrap() }))
    });
    group.bench_function("build the request with the cached service token", |b| {
        b.iter(|| {
            runtime.block_on(async {
                source
                    .authorize(http.get(black_box(url)))
                    .await
                    .unwrap()
                    .build()
                    .unwrap()
            })
        })
    });
    group.finish();
    assert_eq!(source.fetches(), 1, "every request took the cached token");
}

fn exchange(c: &mut Criterion) {
    let authority = authority("https://auth.example.com");
    let endpoint = endpoint(&authority);
    let verifier = Verifier::builder()
        .keys(authority.verifying_keys())
        .issuer("https://auth.example.com")
        .any_audience()
        .build()
        .unwrap();
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "reports:reports-secret"
        )
    );
    // A fresh subject token for every iteration (signed outside the measurement), as the
    // outbound cache sends the authority each token once.
    let subject = || authority.issue("bob", ["user"]).unwrap();
    let form = |subject: &str| {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("grant_type", TOKEN_EXCHANGE),
                ("subject_token", subject),
                ("subject_token_type", ACCESS_TOKEN_TYPE),
                ("audience", "users"),
            ])
            .finish()
    };
    // The secret's argon2 verification happens once, before the measurement.
    let warm = endpoint.respond(TokenRequest {
        authorization: Some(basic.as_bytes()),
        body: form(&subject()).as_bytes(),
    });
    assert_eq!(warm.status(), 200, "{}", warm.body());

    let mut group = c.benchmark_group("token exchange");
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("baseline: one verify + one sign", |b| {
        b.iter_batched(
            subject,
            |subject| {
                let claims = verifier.verify(black_box(&subject)).unwrap();
                authority
                    .token(claims.sub.unwrap())
                    .audience("users")
                    .roles(claims.roles)
                    .issue()
                    .unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("the token endpoint's exchange", |b| {
        b.iter_batched(
            || form(&subject()),
            |form| {
                let response = endpoint.respond(TokenRequest {
                    authorization: Some(basic.as_bytes()),
                    body: black_box(form.as_bytes()),
                });
                assert_eq!(response.status(), 200);
                response
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, attach, exchange);
criterion_main!(benches);
