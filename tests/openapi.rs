//! OpenAPI from the attributes: each protected operation's security requirement (the role and
//! scope names the attributes check) and its 401 and 403 refusals are in the utoipa document
//! without being written in `#[utoipa::path]`; what the user did document stays.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use auth::openapi::{BearerSecurity, SECURITY_SCHEME};
use auth::{Claims, protected, requires_policy, requires_role, requires_scope};
use serde_json::{Value, json};
use utoipa::OpenApi;

/// Any valid token.
#[protected]
#[utoipa::path(get, path = "/me", responses((status = 200, description = "Who the caller is")))]
async fn me(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

/// Admins only; no responses written at all.
#[requires_role("admin")]
#[utoipa::path(get, path = "/admin")]
async fn admin() -> &'static str {
    "admin"
}

/// A scope, and a 403 of the user's own that is kept.
#[requires_scope("reports:write")]
#[utoipa::path(
    post,
    path = "/reports",
    responses(
        (status = 201, description = "Created"),
        (status = 403, description = "Our own words for the refusal"),
    )
)]
async fn write_report() -> &'static str {
    "written"
}

/// Either role: two alternative requirements.
#[requires_policy(role("admin") or (role("user") and scope("audit:read")))]
#[utoipa::path(get, path = "/audit")]
async fn audit() -> &'static str {
    "audit"
}

/// Anonymous requests too: the empty requirement is an alternative.
#[protected]
#[utoipa::path(get, path = "/greeting")]
async fn greeting(claims: Option<Claims>) -> String {
    claims.and_then(|c| c.sub).unwrap_or_default()
}

/// A policy with no name to list: a valid token, and the 403 says what else.
#[requires_policy(claim("tenant") == "acme")]
#[utoipa::path(get, path = "/acme")]
async fn acme() -> &'static str {
    "acme"
}

#[derive(OpenApi)]
#[openapi(
    paths(me, admin, write_report, audit, greeting, acme),
    modifiers(&BearerSecurity)
)]
struct Api;

fn document() -> Value {
    serde_json::from_str(&Api::openapi().to_json().unwrap()).unwrap()
}

fn operation<'a>(document: &'a Value, method: &str, path: &str) -> &'a Value {
    let operation = &document["paths"][path][method];
    assert!(operation.is_object(), "no {method} {path} in {document:#}");
    operation
}

#[test]
fn the_scheme_is_declared_once_as_http_bearer_jwt() {
    let document = document();
    assert_eq!(SECURITY_SCHEME, "bearer");
    let scheme = &document["components"]["securitySchemes"][SECURITY_SCHEME];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    assert_eq!(scheme["bearerFormat"], "JWT");
    let body = &document["components"]["schemas"]["RefusalBody"];
    assert_eq!(body["required"], json!(["error", "error_description"]));
}

#[test]
fn each_operation_requires_what_its_attributes_check() {
    let document = document();
    let security =
        |method: &str, path: &str| operation(&document, method, path)["security"].clone();
    assert_eq!(security("get", "/me"), json!([{"bearer": []}]));
    assert_eq!(security("get", "/admin"), json!([{"bearer": ["admin"]}]));
    assert_eq!(
        security("post", "/reports"),
        json!([{"bearer": ["reports:write"]}])
    );
    assert_eq!(
        security("get", "/audit"),
        json!([{"bearer": ["admin"]}, {"bearer": ["user", "audit:read"]}])
    );
    assert_eq!(security("get", "/greeting"), json!([{}, {"bearer": []}]));
    assert_eq!(security("get", "/acme"), json!([{"bearer": []}]));
}

#[test]
fn each_operation_documents_its_refusals_and_keeps_its_own_responses() {
    let document = document();
    for (method, path) in [
        ("get", "/me"),
        ("get", "/admin"),
        ("post", "/reports"),
        ("get", "/audit"),
        ("get", "/greeting"),
        ("get", "/acme"),
    ] {
        let responses = &operation(&document, method, path)["responses"];
        for status in ["401", "403"] {
            assert!(
                responses[status].is_object(),
                "{method} {path} lacks {status}"
            );
        }
        let unauthorized = &responses["401"];
        assert_eq!(
            unauthorized["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/RefusalBody"
        );
        assert!(unauthorized["headers"]["WWW-Authenticate"].is_object());
    }
    let me = &operation(&document, "get", "/me")["responses"];
    assert_eq!(me["200"]["description"], "Who the caller is");
    let reports = &operation(&document, "post", "/reports")["responses"];
    assert_eq!(reports["201"]["description"], "Created");
    assert_eq!(
        reports["403"]["description"],
        "Our own words for the refusal"
    );
    let admin = &operation(&document, "get", "/admin")["responses"]["403"]["description"];
    assert!(admin.as_str().unwrap().contains("role `admin`"), "{admin}");
    let acme = &operation(&document, "get", "/acme")["responses"]["403"]["description"];
    assert!(
        acme.as_str()
            .unwrap()
            .contains(r#"claim `tenant` == "acme""#),
        "{acme}"
    );
}

#[test]
fn the_documented_handlers_are_still_handlers() {
    use axum::routing::{get, post};
    let _router: axum::Router = axum::Router::new()
        .route("/me", get(me))
        .route("/admin", get(admin))
        .route("/reports", post(write_report))
        .route("/audit", get(audit))
        .route("/greeting", get(greeting))
        .route("/acme", get(acme));
}
