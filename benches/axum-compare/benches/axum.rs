//! One request through an axum router: a handler behind `#[protected]` against the same
//! handler unprotected, and against the same route protected by `jwt-authorizer` (axum 0.7)
//! and by `axum-jwt-auth` (axum 0.8). One RS256 key pair, one token issued by
//! `auth::Authority`, the same issuer and audience checked by every library. Each iteration
//! clones the router and sends it one request with `tower::ServiceExt::oneshot`.
//!
//! ```sh
//! cargo bench --manifest-path benches/axum-compare/Cargo.toml
//! ```
//!
//! Neither other library caches verified tokens (jwt-authorizer keeps only its keys;
//! axum-jwt-auth's local decoder keeps nothing), so each has one number, which is both its
//! fresh-token and its repeated-token cost.
#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;

use auth::{Algorithm, Authority, CacheConfig, Claims, SigningKey, Verifier, protected};
use axum::http::{HeaderValue, Request, StatusCode, header::AUTHORIZATION};
use criterion::{Criterion, criterion_group, criterion_main};
use serde::Deserialize;
use tower::ServiceExt;

const ISSUER: &str = "https://auth.bench.example";
const AUDIENCE: &str = "bench-api";
const SUBJECT: &str = "alice";

// --- the handlers: each answers with the caller's subject --------------------------------

async fn unprotected() -> String {
    String::from(SUBJECT)
}

#[protected]
async fn ours(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

/// What the other libraries deserialize: the same claims our `Claims` reads from this token
/// (without our catch-all map of unregistered claims).
#[derive(Clone, Deserialize)]
#[allow(dead_code)]
struct TheirClaims {
    iss: String,
    sub: String,
    aud: String,
    exp: u64,
    nbf: u64,
    iat: u64,
    jti: String,
    roles: Vec<String>,
}

async fn jwt_authorizer_handler(
    jwt_authorizer::JwtClaims(claims): jwt_authorizer::JwtClaims<TheirClaims>,
) -> String {
    claims.sub
}

async fn axum_jwt_auth_handler(claims: axum_jwt_auth::Claims<TheirClaims>) -> String {
    claims.claims.sub
}

// --- the routers -------------------------------------------------------------------------

struct Setup {
    token: String,
    /// Distinct tokens from the same authority, for the cache-miss case.
    pool: Vec<String>,
    unprotected: axum::Router,
    /// The same, on axum 0.7: jwt-authorizer's baseline.
    unprotected07: axum07::Router,
    ours_no_cache: axum::Router,
    ours_cached: axum::Router,
    ours_cache_miss: axum::Router,
    jwt_authorizer: axum07::Router,
    axum_jwt_auth: axum::Router,
}

fn setup(rt: &tokio::runtime::Runtime) -> Setup {
    #[cfg(feature = "jwt-auth-aws-lc")]
    jsonwebtoken10::crypto::CryptoProvider::install_default(
        &jsonwebtoken10::crypto::aws_lc::DEFAULT_PROVIDER,
    )
    .expect("jsonwebtoken 10 provider");

    let signing = SigningKey::generate(Algorithm::RS256).expect("RS256 key");
    let authority = Authority::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .signing_key(signing.clone())
        .build()
        .expect("authority");
    let token = authority
        .token(SUBJECT)
        .roles(["user"])
        .issue()
        .expect("token");
    let pool = (0..1024)
        .map(|_| authority.token(SUBJECT).roles(["user"]).issue().expect("token"))
        .collect();
    let jwks = authority.jwks().to_json();
    let jwk = signing.public_jwk().expect("RSA key has a JWK");

    let verifier = |cache: Option<CacheConfig>| {
        let builder = Verifier::builder()
            .jwks_json(jwks.clone())
            .issuer(ISSUER)
            .audience(AUDIENCE);
        match cache {
            None => builder.no_cache(),
            Some(config) => builder.cache(config),
        }
        .build()
        .expect("verifier")
    };
    let ours_router = |verifier: Verifier| {
        axum::Router::new()
            .route("/", axum::routing::get(ours))
            .with_state(verifier)
    };
    // A cache far smaller than the pool it is fed: every request misses, verifies and inserts.
    let tiny = CacheConfig {
        max_entries: 16,
        ..CacheConfig::default()
    };

    // jwt-authorizer: the same JWK Set (kid lookup, alg from the JWK), issuer, audience, nbf.
    let authorizer = rt
        .block_on(
            jwt_authorizer::JwtAuthorizer::<TheirClaims>::from_jwks_text(&jwks)
                .validation(
                    jwt_authorizer::Validation::new()
                        .iss(&[ISSUER])
                        .aud(&[AUDIENCE])
                        .nbf(true),
                )
                .build(),
        )
        .expect("jwt-authorizer");
    let jwt_authorizer = axum07::Router::new()
        .route("/", axum07::routing::get(jwt_authorizer_handler))
        .layer(jwt_authorizer::IntoLayer::into_layer(authorizer));

    // axum-jwt-auth: the public key from the JWK's n and e; RS256, issuer, audience, nbf.
    let key = jsonwebtoken10::DecodingKey::from_rsa_components(
        jwk.n.as_deref().expect("n"),
        jwk.e.as_deref().expect("e"),
    )
    .expect("decoding key");
    let mut validation = jsonwebtoken10::Validation::new(jsonwebtoken10::Algorithm::RS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.validate_nbf = true;
    let decoder: axum_jwt_auth::Decoder<TheirClaims> = Arc::new(
        axum_jwt_auth::LocalDecoder::builder()
            .keys(vec![key])
            .validation(validation)
            .build()
            .expect("axum-jwt-auth decoder"),
    );
    let axum_jwt_auth = axum::Router::new()
        .route("/", axum::routing::get(axum_jwt_auth_handler))
        .with_state(decoder);

    Setup {
        token,
        pool,
        unprotected: axum::Router::new().route("/", axum::routing::get(unprotected)),
        unprotected07: axum07::Router::new().route("/", axum07::routing::get(unprotected)),
        ours_no_cache: ours_router(verifier(None)),
        ours_cached: ours_router(verifier(Some(CacheConfig::default()))),
        ours_cache_miss: ours_router(verifier(Some(tiny))),
        jwt_authorizer,
        axum_jwt_auth,
    }
}

fn bearer(token: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("Bearer {token}")).expect("header")
}

fn request(authorization: &HeaderValue) -> Request<axum::body::Body> {
    Request::builder()
        .uri("/")
        .header(AUTHORIZATION, authorization.clone())
        .body(axum::body::Body::empty())
        .expect("request")
}

fn request07(authorization: &HeaderValue) -> Request<axum07::body::Body> {
    Request::builder()
        .uri("/")
        .header(AUTHORIZATION, authorization.clone())
        .body(axum07::body::Body::empty())
        .expect("request")
}

/// Before measuring: every router answers the token with 200 and the subject, and every
/// protected one answers a token with a broken signature with 401.
fn check(rt: &tokio::runtime::Runtime, s: &Setup) {
    let good = bearer(&s.token);
    // Change the signature's first character (all six of its bits are signature bits).
    let at = s.token.rfind('.').expect("token") + 1;
    let flipped = if s.token[at..].starts_with('A') { "B" } else { "A" };
    let forged = bearer(&format!("{}{flipped}{}", &s.token[..at], &s.token[at + 1..]));
    rt.block_on(async {
        let routers = [
            ("unprotected", &s.unprotected, false),
            ("ours", &s.ours_no_cache, true),
            ("ours cached", &s.ours_cached, true),
            ("ours cache miss", &s.ours_cache_miss, true),
            ("axum-jwt-auth", &s.axum_jwt_auth, true),
        ];
        for (name, router, protected) in routers {
            let response = router.clone().oneshot(request(&good)).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{name}");
            let body = axum::body::to_bytes(response.into_body(), 1024).await.unwrap();
            assert_eq!(&body[..], SUBJECT.as_bytes(), "{name}");
            if protected {
                let response = router.clone().oneshot(request(&forged)).await.unwrap();
                assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{name}");
            }
        }
        let response = s.unprotected07.clone().oneshot(request07(&good)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "unprotected axum 0.7");
        let response = s.jwt_authorizer.clone().oneshot(request07(&good)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "jwt-authorizer");
        let body = axum07::body::to_bytes(response.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], SUBJECT.as_bytes(), "jwt-authorizer");
        let response = s.jwt_authorizer.clone().oneshot(request07(&forged)).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "jwt-authorizer");
    });
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let s = setup(&rt);
    check(&rt, &s);
    let auth = bearer(&s.token);
    let pool: Vec<HeaderValue> = s.pool.iter().map(|t| bearer(t)).collect();

    let mut group = c.benchmark_group("axum_request");
    // One request per iteration: clone the router, send it a request with `oneshot`.
    macro_rules! measure {
        ($name:literal, $router:expr, $request:expr) => {
            group.bench_function($name, |b| {
                let mut i = 0usize;
                b.to_async(&rt).iter(|| {
                    let router = $router.clone();
                    let req = $request(i);
                    i = i.wrapping_add(1);
                    async move { black_box(router.oneshot(req).await.unwrap()) }
                })
            });
        };
    }
    let same = |_| request(&auth);
    measure!("unprotected", s.unprotected, same);
    measure!("ours_fresh_no_cache", s.ours_no_cache, same);
    // A default cache fed the same token: every request after the first is a hit.
    measure!("ours_repeated_cached", s.ours_cached, same);
    // A 16-entry cache fed 1024 distinct tokens in turn: every request misses and inserts.
    measure!("ours_fresh_cache_miss", s.ours_cache_miss, |i: usize| {
        request(&pool[i % pool.len()])
    });
    measure!("jwt_authorizer", s.jwt_authorizer, |_| request07(&auth));
    measure!("unprotected_axum07", s.unprotected07, |_| request07(&auth));
    measure!("axum_jwt_auth", s.axum_jwt_auth, same);
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
