//! Decisions beyond a role name, over loopback: policy expressions (`#[requires_policy]`),
//! caller allow-lists on a handler (`#[protected(callers = [..])]`) and on the whole verifier,
//! roles merged from Keycloak's two places, and the application's claims mapping, run once per
//! token and cached. Through axum and actix-web.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth::{
    Algorithm, Authority, Claims, RolesLocation, Verifier, protected, requires_policy,
    requires_role, testing,
};
use axum::Router;
use axum::routing::get;
use common::challenge::INSUFFICIENT;
use common::{bearer, get as fetch, serve};

/// Only the billing and reports services may call it.
#[protected(callers = ["billing", "reports"])]
async fn invoices(claims: Claims) -> String {
    format!("invoices for {}", claims.caller().unwrap_or_default())
}

/// Admins, and only from the billing service.
#[requires_role("admin")]
#[protected(callers = ["billing"])]
async fn refunds() -> &'static str {
    "refunds"
}

#[protected]
async fn me(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[requires_role("admin")]
async fn admin() -> &'static str {
    "admin"
}

/// Admins, or the billing service with the scope to refund.
#[requires_policy(role("admin") or (scope("refunds:write") and caller("billing")))]
async fn refund() -> &'static str {
    "refunded"
}

/// Tenant acme, guests excepted (an admin holds guest through the hierarchy: not let in).
#[requires_policy(claim("tenant") == "acme" and not role("guest"))]
async fn acme() -> &'static str {
    "acme"
}

/// A verified e-mail and a level other than 0 (a missing level is other than 0).
#[requires_policy(claim("email_verified") == true and claim("level") != 0)]
async fn verified() -> &'static str {
    "verified"
}

fn router(verifier: Verifier) -> Router {
    Router::new()
        .route("/refund", get(refund))
        .route("/acme", get(acme))
        .route("/verified", get(verified))
        .route("/invoices", get(invoices))
        .route("/refunds", get(refunds))
        .route("/me", get(me))
        .route("/admin", get(admin))
        .with_state(verifier)
}

/// A token of `authority` for `sub` with `roles` and the extra claim `name` = `value`.
fn token(authority: &Authority, roles: &[&str], claim: Option<(&str, &str)>) -> String {
    let mut builder = authority.token("svc").roles(roles.iter().copied());
    if let Some((name, value)) = claim {
        builder = builder.claim(name, value);
    }
    builder.issue().unwrap()
}

/// The status, challenge and body of `path` on `base` with `token`.
async fn call(base: &str, path: &str, token: &str) -> (u16, Option<String>, String) {
    let reply = fetch(&format!("{base}{path}"), &[&bearer(token)]).await;
    (reply.status, reply.challenge, reply.body)
}

async fn check_handler_allow_list(base: &str, authority: &Authority) {
    let billing = token(authority, &[], Some(("client_id", "billing")));
    let by_azp = token(authority, &[], Some(("azp", "reports")));
    let mailer = token(authority, &[], Some(("client_id", "mailer")));
    let nobody = token(authority, &[], None);
    assert_eq!(
        call(base, "/invoices", &billing).await.2,
        "invoices for billing",
        "{base}"
    );
    assert_eq!(
        call(base, "/invoices", &by_azp).await.2,
        "invoices for reports",
        "{base}: azp when there is no client_id"
    );
    for refused in [&mailer, &nobody] {
        let (status, challenge, _) = call(base, "/invoices", refused).await;
        assert_eq!(
            (status, challenge.as_deref()),
            (403, Some(INSUFFICIENT)),
            "{base}"
        );
    }
    // The plain handler beside it takes every caller.
    assert_eq!(call(base, "/me", &mailer).await.0, 200, "{base}");
}

#[tokio::test]
async fn a_handler_names_the_services_that_may_call_it() {
    let (authority, verifier) = testing::pair(Algorithm::ES256);
    let base = serve(router(verifier.clone())).await;
    check_handler_allow_list(&base, &authority).await;
    check_handler_allow_list(&actix_server(verifier), &authority).await;
}

async fn check_policies(base: &str, authority: &Authority) {
    let tok = |roles: &[&str], claims: serde_json::Value| {
        let mut builder = authority.token("someone").roles(roles.iter().copied());
        for (name, value) in claims.as_object().unwrap() {
            builder = builder.claim(name.clone(), value.clone());
        }
        builder.issue().unwrap()
    };
    use serde_json::json;
    let cases: Vec<(&str, String, u16)> = vec![
        ("/refund", tok(&["admin"], json!({})), 200),
        (
            "/refund",
            tok(
                &[],
                json!({"scope": "refunds:write", "client_id": "billing"}),
            ),
            200,
        ),
        (
            "/refund",
            tok(&[], json!({"scope": "refunds:write", "azp": "billing"})),
            200,
        ),
        (
            "/refund",
            tok(
                &[],
                json!({"scope": "refunds:write", "client_id": "mailer"}),
            ),
            403,
        ),
        (
            "/refund",
            tok(&["user"], json!({"client_id": "billing"})),
            403,
        ),
        ("/acme", tok(&[], json!({"tenant": "acme"})), 200),
        ("/acme", tok(&["auditor"], json!({"tenant": "acme"})), 200),
        ("/acme", tok(&["guest"], json!({"tenant": "acme"})), 403),
        ("/acme", tok(&["user"], json!({"tenant": "acme"})), 403),
        ("/acme", tok(&[], json!({"tenant": "globex"})), 403),
        ("/acme", tok(&[], json!({"tenant": ["acme"]})), 403),
        ("/acme", tok(&[], json!({})), 403),
        (
            "/verified",
            tok(&[], json!({"email_verified": true, "level": 2})),
            200,
        ),
        ("/verified", tok(&[], json!({"email_verified": true})), 200),
        (
            "/verified",
            tok(&[], json!({"email_verified": true, "level": 0})),
            403,
        ),
        (
            "/verified",
            tok(&[], json!({"email_verified": "true", "level": 2})),
            403,
        ),
        ("/verified", tok(&[], json!({"email_verified": false})), 403),
    ];
    for (path, token, expected) in cases {
        let (status, challenge, _) = call(base, path, &token).await;
        assert_eq!(
            status,
            expected,
            "{base}{path} {}",
            common::json_part(&token, 1)
        );
        if expected == 403 {
            assert_eq!(challenge.as_deref(), Some(INSUFFICIENT), "{base}{path}");
        }
    }
}

#[tokio::test]
async fn policies_combine_roles_scopes_callers_and_claims() {
    let (authority, verifier) = testing::pair(Algorithm::ES256);
    let base = serve(router(verifier.clone())).await;
    check_policies(&base, &authority).await;
    check_policies(&actix_server(verifier), &authority).await;
}

#[tokio::test]
async fn roles_and_callers_are_both_required() {
    let (authority, verifier) = testing::pair(Algorithm::ES256);
    let base = serve(router(verifier)).await;
    let admin_from_billing = token(&authority, &["admin"], Some(("client_id", "billing")));
    let admin_from_reports = token(&authority, &["admin"], Some(("client_id", "reports")));
    let user_from_billing = token(&authority, &["user"], Some(("client_id", "billing")));
    assert_eq!(call(&base, "/refunds", &admin_from_billing).await.0, 200);
    assert_eq!(call(&base, "/refunds", &admin_from_reports).await.0, 403);
    assert_eq!(call(&base, "/refunds", &user_from_billing).await.0, 403);
}

#[tokio::test]
async fn the_verifier_can_accept_only_some_callers_on_every_route() {
    let authority = testing::authority(Algorithm::ES256);
    let verifier = authority
        .verifier()
        .allowed_callers(["billing"])
        .build()
        .unwrap();
    let base = serve(router(verifier)).await;
    let billing = token(&authority, &[], Some(("client_id", "billing")));
    let mailer = token(&authority, &[], Some(("client_id", "mailer")));
    assert_eq!(call(&base, "/me", &billing).await.0, 200);
    for _ in 0..2 {
        // Refused again from the refusal cache, with the same answer.
        let (status, challenge, _) = call(&base, "/me", &mailer).await;
        assert_eq!((status, challenge.as_deref()), (403, Some(INSUFFICIENT)));
    }
    assert!(matches!(
        authority
            .verifier()
            .allowed_callers(Vec::<String>::new())
            .build(),
        Err(auth::ConfigError::NoCallers)
    ));
}

#[tokio::test]
async fn keycloak_roles_are_merged_and_the_mapping_runs_once_per_token() {
    let authority = testing::authority(Algorithm::ES256);
    let mapped = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&mapped);
    let verifier = authority
        .verifier()
        .roles_at(RolesLocation::keycloak("orders"))
        .map_claims(move |claims| {
            count.fetch_add(1, Ordering::SeqCst);
            // The directory's group `ops` is the role `admin` in this service.
            let in_ops = claims
                .extra
                .get("groups")
                .and_then(|groups| groups.as_array())
                .is_some_and(|groups| groups.iter().any(|g| g == "ops"));
            if in_ops && !claims.has_role("admin") {
                claims.roles.push("admin".into());
            }
        })
        .build()
        .unwrap();
    let base = serve(router(verifier)).await;
    let client_role = authority
        .token("alice")
        .claim(
            "resource_access",
            serde_json::json!({"orders": {"roles": ["admin"]}}),
        )
        .claim("realm_access", serde_json::json!({"roles": ["user"]}))
        .issue()
        .unwrap();
    let other_client = authority
        .token("bob")
        .claim(
            "resource_access",
            serde_json::json!({"billing": {"roles": ["admin"]}}),
        )
        .issue()
        .unwrap();
    let by_group = authority
        .token("carol")
        .claim("groups", vec!["ops"])
        .issue()
        .unwrap();
    assert_eq!(call(&base, "/admin", &client_role).await.0, 200);
    assert_eq!(
        call(&base, "/admin", &other_client).await.0,
        403,
        "another client's roles are not this service's"
    );
    for _ in 0..3 {
        assert_eq!(call(&base, "/admin", &by_group).await.0, 200);
    }
    assert_eq!(
        mapped.load(Ordering::SeqCst),
        3,
        "once per verified token; the cache keeps the mapped claims"
    );
}

mod actix_handlers {
    use auth::{Claims, protected, requires_policy};

    #[requires_policy(role("admin") or (scope("refunds:write") and caller("billing")))]
    pub(crate) async fn refund() -> &'static str {
        "refunded"
    }

    #[requires_policy(claim("tenant") == "acme" and not role("guest"))]
    pub(crate) async fn acme() -> &'static str {
        "acme"
    }

    #[requires_policy(claim("email_verified") == true and claim("level") != 0)]
    pub(crate) async fn verified() -> &'static str {
        "verified"
    }

    #[protected(callers = ["billing", "reports"])]
    pub(crate) async fn invoices(claims: Claims) -> String {
        format!("invoices for {}", claims.caller().unwrap_or_default())
    }

    #[protected]
    pub(crate) async fn me(claims: Claims) -> String {
        claims.sub.unwrap_or_default()
    }
}

/// The actix-web server of these handlers.
fn actix_server(verifier: Verifier) -> String {
    use actix_web::web;
    common::serve_actix(verifier, |app| {
        app.route("/invoices", web::get().to(actix_handlers::invoices))
            .route("/me", web::get().to(actix_handlers::me))
            .route("/refund", web::get().to(actix_handlers::refund))
            .route("/acme", web::get().to(actix_handlers::acme))
            .route("/verified", web::get().to(actix_handlers::verified));
    })
}
