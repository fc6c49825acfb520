//! The deny-by-default tower layer on a real axum router, over a loopback socket: routes
//! without any attribute are protected, public paths are not, and the claims reach what runs
//! behind the layer without a second verification.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use auth::layer::RequireAuthLayer;
use auth::{
    Algorithm, Authority, Claims, Requirement, Verifier, protected, requires_role, testing,
};
use axum::routing::get;
use axum::{Extension, Router};
use common::challenge::{INSUFFICIENT, INVALID, MALFORMED, NONE, TWO_HEADERS};
use common::{bearer, get as fetch, serve};

async fn plain() -> &'static str {
    "no attribute here"
}

async fn by_extension(Extension(claims): Extension<Claims>) -> String {
    format!("extension: {}", claims.sub.unwrap_or_default())
}

async fn by_shared_extension(Extension(claims): Extension<Arc<Claims>>) -> String {
    format!("shared: {}", claims.sub.as_deref().unwrap_or_default())
}

#[protected]
async fn protected_handler(claims: Claims) -> String {
    format!("protected: {}", claims.sub.unwrap_or_default())
}

#[requires_role("admin")]
async fn admin_handler(claims: Arc<Claims>) -> String {
    format!("admin: {}", claims.sub.as_deref().unwrap_or_default())
}

#[protected]
async fn maybe(claims: Option<Claims>) -> String {
    match claims {
        Some(claims) => format!("hello {}", claims.sub.unwrap_or_default()),
        None => "hello stranger".to_owned(),
    }
}

fn router(verifier: Verifier, layer: RequireAuthLayer) -> Router {
    Router::new()
        .route("/plain", get(plain))
        .route("/extension", get(by_extension))
        .route("/shared-extension", get(by_shared_extension))
        .route("/protected", get(protected_handler))
        .route("/admin", get(admin_handler))
        .route("/health", get(plain))
        .route("/docs", get(plain))
        .route("/docs/api.json", get(plain))
        .route("/docsearch", get(plain))
        .route("/welcome", get(maybe))
        .with_state(verifier)
        .layer(layer)
}

/// A server behind the layer (`configure` adds to it), its authority and its verifier.
async fn setup(
    configure: impl FnOnce(RequireAuthLayer) -> RequireAuthLayer,
) -> (Authority, Verifier, String) {
    let (authority, verifier) = testing::pair(Algorithm::ES256);
    let layer = configure(
        RequireAuthLayer::new(verifier.clone())
            .public("/health")
            .public("/welcome")
            .public_prefix("/docs/"),
    );
    let base = serve(router(verifier.clone(), layer)).await;
    (authority, verifier, base)
}

fn token(authority: &Authority, roles: &[&str]) -> String {
    common::alice_token(authority, roles)
}

#[tokio::test]
async fn a_route_without_any_attribute_needs_a_token() {
    let (authority, _, base) = setup(|layer| layer).await;
    let reply = fetch(&format!("{base}/plain"), &[]).await;
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (401, Some(NONE))
    );
    let reply = fetch(
        &format!("{base}/plain"),
        &[&bearer(&token(&authority, &[]))],
    )
    .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "no attribute here")
    );
}

#[tokio::test]
async fn public_paths_answer_without_a_token_and_only_they_do() {
    let (_, _, base) = setup(|layer| layer).await;
    for public in ["/health", "/docs", "/docs/api.json"] {
        let reply = fetch(&format!("{base}{public}"), &[]).await;
        assert_eq!(reply.status, 200, "{public}");
    }
    // A prefix is matched segment by segment; an exact path is exact.
    for private in ["/docsearch", "/health/", "/plain"] {
        let reply = fetch(&format!("{base}{private}"), &[]).await;
        assert_eq!(
            (reply.status, reply.challenge.as_deref()),
            (401, Some(NONE)),
            "{private}"
        );
    }
}

#[tokio::test]
async fn rejections_follow_the_bearer_contract() {
    let (authority, _, base) = setup(|layer| layer).await;
    let url = format!("{base}/plain");
    let forged = {
        let (other, _) = testing::pair(Algorithm::ES256);
        token(&other, &[])
    };
    let cases: [(&[&str], u16, &str, &str); 4] = [
        (&[&bearer(&forged)], 401, INVALID, "invalid_token"),
        (&["Bearer "], 400, MALFORMED, "invalid_request"),
        (&["Bearer a b"], 400, MALFORMED, "invalid_request"),
        (
            &[
                &bearer(&token(&authority, &[])),
                &bearer(&token(&authority, &[])),
            ],
            400,
            TWO_HEADERS,
            "invalid_request",
        ),
    ];
    for (headers, status, challenge, code) in cases {
        let reply = fetch(&url, headers).await;
        assert_eq!(
            (reply.status, reply.challenge.as_deref()),
            (status, Some(challenge)),
            "{headers:?}"
        );
        assert_eq!(reply.json()["error"], code, "{headers:?}");
    }
}

#[tokio::test]
async fn claims_reach_every_kind_of_handler_with_one_verification() {
    let (authority, verifier, base) = setup(|layer| layer).await;
    let routes = [
        ("/extension", "extension: alice"),
        ("/shared-extension", "shared: alice"),
        ("/protected", "protected: alice"),
        ("/admin", "admin: alice"),
    ];
    for (n, (route, body)) in routes.iter().enumerate() {
        // A new token each time: the layer's verification is a miss, and a second one (by
        // the handler) would be a hit.
        let token = authority
            .token("alice")
            .roles(["admin"])
            .claim("n", n)
            .issue()
            .expect("token");
        let reply = fetch(&format!("{base}{route}"), &[&bearer(&token)]).await;
        assert_eq!((reply.status, reply.body.as_str()), (200, *body), "{route}");
        let stats = verifier.cache_stats();
        assert_eq!((stats.misses, stats.hits), (n as u64 + 1, 0), "{route}");
    }
}

#[tokio::test]
async fn a_handler_still_adds_its_own_requirement() {
    let (authority, _, base) = setup(|layer| layer).await;
    let user = token(&authority, &["user"]);
    let reply = fetch(&format!("{base}/admin"), &[&bearer(&user)]).await;
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (403, Some(INSUFFICIENT))
    );
    let reply = fetch(&format!("{base}/protected"), &[&bearer(&user)]).await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn the_layer_requirement_applies_to_every_route_behind_it() {
    let (authority, _, base) = setup(|layer| layer.require(Requirement::any_role(["user"]))).await;
    let guest = token(&authority, &["guest"]);
    for route in ["/plain", "/protected", "/extension"] {
        let reply = fetch(&format!("{base}{route}"), &[&bearer(&guest)]).await;
        assert_eq!(
            (reply.status, reply.challenge.as_deref()),
            (403, Some(INSUFFICIENT)),
            "{route}"
        );
    }
    let reply = fetch(
        &format!("{base}/plain"),
        &[&bearer(&token(&authority, &["user"]))],
    )
    .await;
    assert_eq!(reply.status, 200);
    // Public paths need neither a token nor the role.
    assert_eq!(fetch(&format!("{base}/health"), &[]).await.status, 200);
}

#[tokio::test]
async fn a_public_path_with_optional_claims_verifies_a_token_itself() {
    let (authority, _, base) = setup(|layer| layer).await;
    let reply = fetch(&format!("{base}/welcome"), &[]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "hello stranger"));
    let reply = fetch(
        &format!("{base}/welcome"),
        &[&bearer(&token(&authority, &[]))],
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "hello alice"));
}

#[tokio::test]
async fn a_grpc_request_is_refused_the_grpc_way() {
    let (_, _, base) = setup(|layer| layer).await;
    let response = reqwest::Client::new()
        .post(format!("{base}/plain"))
        .header("content-type", "application/grpc")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().expect("ascii").to_owned())
    };
    assert_eq!(header("grpc-status").as_deref(), Some("16"));
    assert_eq!(header("content-type").as_deref(), Some("application/grpc"));
    assert_eq!(header("www-authenticate").as_deref(), Some(NONE));
    assert!(header("grpc-message").is_some());
}
