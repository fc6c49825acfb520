//! The body of a rejection, chosen on the verifier: RFC 6750 JSON by default, RFC 9457
//! problem details, or the application's own; over loopback through a protected axum handler
//! and the tower layer. The status and the `WWW-Authenticate` challenge follow the contract
//! whatever the body.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use auth::layer::RequireAuthLayer;
use auth::{
    Algorithm, AuthError, Claims, RejectionBody, Verifier, protected, requires_role, testing,
};
use axum::Router;
use axum::routing::get;
use common::challenge::{INSUFFICIENT, INVALID, NONE};
use common::{bearer, send};
use reqwest::Method;
use serde_json::json;

#[protected]
async fn me(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[requires_role("admin")]
async fn admin() -> &'static str {
    "admin"
}

async fn plain() -> &'static str {
    "behind the layer"
}

/// A server whose verifier renders `body`, its authority, and its base URL.
async fn server(body: RejectionBody) -> (auth::Authority, String) {
    let authority = testing::authority(Algorithm::ES256);
    let verifier: Verifier = authority
        .verifier()
        .rejection_body(body)
        .build()
        .expect("verifier");
    let layered = Router::new()
        .route("/layer", get(plain))
        .layer(RequireAuthLayer::new(verifier.clone()));
    let router = Router::new()
        .route("/me", get(me))
        .route("/admin", get(admin))
        .with_state(verifier)
        .merge(layered);
    (authority, common::serve(router).await)
}

/// Status, `Content-Type`, challenge and body of a GET.
async fn fetch(url: &str, headers: &[(&str, &str)]) -> (u16, String, Option<String>, String) {
    let response = reqwest::Client::new()
        .request(Method::GET, url)
        .headers(
            headers
                .iter()
                .map(|(n, v)| {
                    (
                        reqwest::header::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                        reqwest::header::HeaderValue::from_str(v).unwrap(),
                    )
                })
                .collect(),
        )
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let content_type = header("content-type").unwrap_or_default();
    let challenge = header("www-authenticate");
    (
        status,
        content_type,
        challenge,
        response.text().await.unwrap(),
    )
}

#[tokio::test]
async fn the_default_body_is_the_rfc_6750_json() {
    let (_, base) = server(RejectionBody::default()).await;
    for path in ["/me", "/layer"] {
        let (status, content_type, challenge, body) = fetch(&format!("{base}{path}"), &[]).await;
        assert_eq!((status, challenge.as_deref()), (401, Some(NONE)));
        assert_eq!(content_type, "application/json");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body,
            json!({"error": "unauthorized", "error_description": "authentication required"})
        );
    }
}

#[tokio::test]
async fn problem_details_keep_the_status_and_the_challenge() {
    let (authority, base) = server(RejectionBody::Problem).await;
    let user = bearer(&authority.issue("bob", ["user"]).unwrap());
    let forged = bearer(
        &testing::authority(Algorithm::ES256)
            .issue("eve", ["admin"])
            .unwrap(),
    );
    let cases = [
        (
            "/me",
            None,
            401,
            NONE,
            "Unauthorized",
            "unauthorized",
            "authentication required",
        ),
        (
            "/layer",
            None,
            401,
            NONE,
            "Unauthorized",
            "unauthorized",
            "authentication required",
        ),
        (
            "/me",
            Some(&forged),
            401,
            INVALID,
            "Unauthorized",
            "invalid_token",
            "the access token is invalid",
        ),
        (
            "/admin",
            Some(&user),
            403,
            INSUFFICIENT,
            "Forbidden",
            "insufficient_scope",
            "the access token does not grant this operation",
        ),
    ];
    for (path, authorization, status, expected_challenge, title, code, detail) in cases {
        let headers: Vec<(&str, &str)> = authorization
            .map(|a| vec![("authorization", a.as_str())])
            .unwrap_or_default();
        let (got, content_type, challenge, body) = fetch(&format!("{base}{path}"), &headers).await;
        assert_eq!(
            (got, challenge.as_deref()),
            (status, Some(expected_challenge)),
            "{path}"
        );
        assert_eq!(content_type, "application/problem+json", "{path}");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body,
            json!({"type": "about:blank", "title": title, "status": status, "detail": detail, "error": code}),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_body_of_the_applications_own_keeps_the_status_and_the_challenge() {
    let render = |error: &AuthError| format!("<denied>{}</denied>", error.client_message());
    let (authority, base) = server(RejectionBody::custom("application/xml", render)).await;
    let (status, content_type, challenge, body) = fetch(&format!("{base}/me"), &[]).await;
    assert_eq!((status, challenge.as_deref()), (401, Some(NONE)));
    assert_eq!(content_type, "application/xml");
    assert_eq!(body, "<denied>authentication required</denied>");
    let user = bearer(&authority.issue("bob", ["user"]).unwrap());
    let (status, _, challenge, body) =
        fetch(&format!("{base}/admin"), &[("authorization", &user)]).await;
    assert_eq!((status, challenge.as_deref()), (403, Some(INSUFFICIENT)));
    assert_eq!(
        body,
        "<denied>the access token does not grant this operation</denied>"
    );
    // A request that passes is untouched.
    let reply = send(
        Method::GET,
        &format!("{base}/me"),
        &[("authorization", &user)],
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "bob"));
}
