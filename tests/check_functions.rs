//! Check functions over loopback: "only the owner of a resource or an admin", written once
//! with `#[auth::check]` and named by several handlers of axum and of actix-web; an async check
//! that hides a resource (404) and says when it cannot decide (503); a check on a header
//! (tenancy); each run after the token and the requirement, before the body.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use auth::{AccessRequest, Algorithm, Authority, HttpFacts, Verifier, testing};
use common::challenge::{INSUFFICIENT, NONE};
use common::{bearer, get as fetch, serve};

/// The checks, written once; the handlers of both frameworks name them.
mod checks {
    use super::*;
    use auth::{AuthError, Claims};

    auth::roles!(pub(crate) enum Role);

    /// How often each check ran, to show when it does not.
    pub(crate) static OWNER_CHECKS: AtomicUsize = AtomicUsize::new(0);
    /// Whether the reports' database answers.
    pub(crate) static REPORTS_DB_UP: AtomicBool = AtomicBool::new(true);

    /// Only the user the path names, or an admin.
    #[auth::check]
    pub(crate) fn owner_or_admin(claims: &Claims, request: &AccessRequest<'_>) -> bool {
        OWNER_CHECKS.fetch_add(1, Ordering::SeqCst);
        claims.holds_role(Role::Admin) || claims.sub.as_deref() == request.path_param("user")
    }

    /// Report 7 is bob's, report 8 alice's; a stranger is told neither exists, and while the
    /// database is away nobody gets in.
    #[auth::check]
    pub(crate) async fn report_owner(
        claims: &Claims,
        request: &AccessRequest<'_>,
    ) -> Result<(), AuthError> {
        tokio::task::yield_now().await; // a lookup, in a real service
        if !REPORTS_DB_UP.load(Ordering::SeqCst) {
            return Err(AuthError::check_unavailable("the reports database is away"));
        }
        let owner = match request.path_param("id") {
            Some("7") => "bob",
            Some("8") => "alice",
            _ => return Err(AuthError::not_found("no such report")),
        };
        if claims.sub.as_deref() == Some(owner) {
            Ok(())
        } else {
            Err(AuthError::not_found("not the report's owner"))
        }
    }

    /// The tenant of the `X-Tenant` header is the token's.
    #[auth::check]
    pub(crate) fn same_tenant(
        claims: &Claims,
        request: &AccessRequest<'_>,
    ) -> Result<bool, AuthError> {
        let tenant = request
            .header("X-Tenant")
            .ok_or_else(|| AuthError::forbidden("no X-Tenant header"))?;
        Ok(claims.extra.get("tenant").and_then(|t| t.as_str()) == Some(tenant))
    }

    /// The claims alone: a verified e-mail.
    #[auth::check]
    pub(crate) fn verified_email(claims: &Claims) -> bool {
        claims.extra.get("email_verified") == Some(&serde_json::Value::Bool(true))
    }
}

/// How often the bodies behind a check ran.
static BODIES: AtomicUsize = AtomicUsize::new(0);

/// The handlers both frameworks serve: the expansion is the same for each, an extractor that
/// axum and actix-web both take.
mod handlers {
    use super::*;
    use auth::{Claims, protected, requires_role};

    #[protected(check = checks::owner_or_admin)]
    pub(crate) async fn profile(claims: Claims) -> String {
        BODIES.fetch_add(1, Ordering::SeqCst);
        format!("profile seen by {}", claims.sub.unwrap_or_default())
    }

    /// The same check on another handler, beside a role.
    #[requires_role("user")]
    #[protected(check = checks::owner_or_admin)]
    pub(crate) async fn delete_report() -> &'static str {
        BODIES.fetch_add(1, Ordering::SeqCst);
        "deleted"
    }

    /// Each framework's own path extractor after the check.
    #[protected(check = checks::report_owner)]
    pub(crate) async fn axum_report(axum::extract::Path(id): axum::extract::Path<u32>) -> String {
        BODIES.fetch_add(1, Ordering::SeqCst);
        format!("report {id}")
    }

    #[protected(check = checks::report_owner)]
    pub(crate) async fn actix_report(id: actix_web::web::Path<u32>) -> String {
        BODIES.fetch_add(1, Ordering::SeqCst);
        format!("report {id}")
    }

    #[protected(check = checks::same_tenant)]
    pub(crate) async fn tenant_data() -> &'static str {
        "tenant data"
    }

    #[protected(check = checks::verified_email)]
    pub(crate) async fn newsletter() -> &'static str {
        "subscribed"
    }
}

fn axum_server(verifier: Verifier) -> axum::Router {
    use axum::routing::{delete, get};
    axum::Router::new()
        .route("/users/{user}/profile", get(handlers::profile))
        .route(
            "/users/{user}/reports/{id}",
            delete(handlers::delete_report),
        )
        .route("/reports/{id}", get(handlers::axum_report))
        .route("/tenant", get(handlers::tenant_data))
        .route("/newsletter", get(handlers::newsletter))
        .with_state(verifier)
}

fn actix_server(verifier: Verifier) -> String {
    use actix_web::web;
    common::serve_actix(verifier, |app| {
        app.route("/users/{user}/profile", web::get().to(handlers::profile))
            .route(
                "/users/{user}/reports/{id}",
                web::delete().to(handlers::delete_report),
            )
            .route("/reports/{id}", web::get().to(handlers::actix_report))
            .route("/tenant", web::get().to(handlers::tenant_data))
            .route("/newsletter", web::get().to(handlers::newsletter));
    })
}

fn token(
    authority: &Authority,
    sub: &str,
    roles: &[&str],
    extra: &[(&str, serde_json::Value)],
) -> String {
    let mut builder = authority.token(sub).roles(roles.iter().copied());
    for (name, value) in extra {
        builder = builder.claim(*name, value.clone());
    }
    builder.issue().unwrap()
}

/// Status, challenge and body of `method path` with `headers`.
async fn call(
    base: &str,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
) -> common::Reply {
    common::send(method, &format!("{base}{path}"), headers).await
}

/// Every decision of the checks on the server at `base`.
async fn check_functions_decide(base: &str, authority: &Authority) {
    use reqwest::Method;
    let bob = bearer(&token(authority, "bob", &["user"], &[]));
    let alice = bearer(&token(authority, "alice", &["admin"], &[]));
    let guest = bearer(&token(authority, "bob", &["guest"], &[]));

    // The owner, and an admin, see bob's profile; carol does not.
    let carol = bearer(&token(authority, "carol", &["user"], &[]));
    let reply = fetch(&format!("{base}/users/bob/profile"), &[&bob]).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "profile seen by bob"),
        "{base}"
    );
    let reply = fetch(&format!("{base}/users/bob/profile"), &[&alice]).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "profile seen by alice"),
        "{base}"
    );
    let before = BODIES.load(Ordering::SeqCst);
    let reply = fetch(&format!("{base}/users/bob/profile"), &[&carol]).await;
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (403, Some(INSUFFICIENT)),
        "{base}: a check answering false is a 403 insufficient_scope"
    );
    assert_eq!(reply.json()["error"], "insufficient_scope");
    assert_eq!(
        BODIES.load(Ordering::SeqCst),
        before,
        "{base}: the body did not run"
    );

    // The same check on another handler, after its role requirement.
    let as_bob = [("authorization", bob.as_str())];
    let reply = call(base, Method::DELETE, "/users/bob/reports/7", &as_bob).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "deleted"),
        "{base}"
    );
    let reply = call(base, Method::DELETE, "/users/carol/reports/7", &as_bob).await;
    assert_eq!(reply.status, 403, "{base}: bob is not carol");
    let checks_before = checks::OWNER_CHECKS.load(Ordering::SeqCst);
    let as_guest = [("authorization", guest.as_str())];
    let reply = call(base, Method::DELETE, "/users/bob/reports/7", &as_guest).await;
    assert_eq!(reply.status, 403, "{base}: a guest lacks the role");
    let reply = call(base, Method::DELETE, "/users/bob/reports/7", &[]).await;
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (401, Some(NONE)),
        "{base}: no token"
    );
    assert_eq!(
        checks::OWNER_CHECKS.load(Ordering::SeqCst),
        checks_before,
        "{base}: the check runs only once the token and the requirement passed"
    );

    // The async check: the owner gets in, a stranger is told there is no such report, and
    // while the database is away nobody gets in.
    let reply = fetch(&format!("{base}/reports/7"), &[&bob]).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "report 7"),
        "{base}"
    );
    for path in ["/reports/8", "/reports/9"] {
        let reply = fetch(&format!("{base}{path}"), &[&bob]).await;
        assert_eq!(
            (reply.status, reply.challenge.as_deref()),
            (404, None),
            "{base}{path}: hidden, not forbidden"
        );
        assert_eq!(reply.json()["error"], "not_found", "{base}{path}");
    }
    checks::REPORTS_DB_UP.store(false, Ordering::SeqCst);
    let reply = fetch(&format!("{base}/reports/7"), &[&bob]).await;
    checks::REPORTS_DB_UP.store(true, Ordering::SeqCst);
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (503, None),
        "{base}: a check that cannot decide lets nobody in"
    );
    assert_eq!(reply.json()["error"], "temporarily_unavailable");

    // A check on a header.
    let acme = bearer(&token(authority, "bob", &[], &[("tenant", "acme".into())]));
    let tenant = |value: &'static str| ("x-tenant", value);
    let reply = call(
        base,
        Method::GET,
        "/tenant",
        &[("authorization", &acme), tenant("acme")],
    )
    .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "tenant data"),
        "{base}"
    );
    for headers in [
        vec![("authorization", acme.as_str()), tenant("globex")],
        vec![("authorization", acme.as_str())],
    ] {
        let reply = call(base, Method::GET, "/tenant", &headers).await;
        assert_eq!(reply.status, 403, "{base}: {headers:?}");
    }

    // A check on the claims alone.
    let verified = bearer(&token(
        authority,
        "bob",
        &[],
        &[("email_verified", true.into())],
    ));
    assert_eq!(
        fetch(&format!("{base}/newsletter"), &[&verified])
            .await
            .status,
        200
    );
    assert_eq!(
        fetch(&format!("{base}/newsletter"), &[&bob]).await.status,
        403
    );
}

#[tokio::test]
async fn a_check_written_once_decides_on_many_handlers_of_two_frameworks() {
    let (authority, verifier) = testing::pair(Algorithm::ES256);
    let base = serve(axum_server(verifier.clone())).await;
    check_functions_decide(&base, &authority).await;
    check_functions_decide(&actix_server(verifier), &authority).await;
}

#[test]
fn a_check_function_is_an_ordinary_function_to_unit_test() {
    let mut bob = auth::Claims::for_subject("bob");
    bob.extra.insert("tenant".into(), "acme".into());
    let request = |tenant: &str| {
        http::Request::get("/tenant")
            .header("x-tenant", tenant)
            .body(())
            .unwrap()
            .into_parts()
            .0
    };
    let (acme, globex) = (request("acme"), request("globex"));
    let decide = |parts| checks::same_tenant(&bob, &AccessRequest::new(&HttpFacts::of(parts)));
    assert_eq!(decide(&acme), Ok(true));
    assert_eq!(decide(&globex), Ok(false));
}

/// An adapter entry that sees only the token cannot run a check: it refuses the handler with a
/// 500 rather than let the request in unchecked.
#[tokio::test]
async fn an_entry_that_cannot_run_the_check_refuses() {
    use auth::__private::{Checked, NoRequirement, Required};
    let (authority, verifier) = testing::pair(Algorithm::ES256);
    let token = authority.issue("bob", ["admin"]).unwrap();
    type Slot = Checked<Required<auth::Claims>, checks::verified_email>;
    let refused = auth::guard::authenticate_extracted_async::<Slot, NoRequirement>(
        Some(&verifier),
        Ok(&token),
    )
    .await;
    assert_eq!(refused.map(|_| ()), Err(auth::AuthError::CheckNotRun));
    assert_eq!(auth::AuthError::CheckNotRun.status(), 500);
}
