//! Every form the macros accept, each handler registered in an axum `Router` so that axum's
//! `Handler` trait is proven for the expansion. `deny(warnings)`: the expansion adds no warning.
#![deny(warnings)]

use auth::{AuthError, Claims, Verifier, protected, requires_role, requires_scope};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Request};
use axum::routing::{get, post};
use axum::{Json, Router};

/// Claims by type.
#[protected]
async fn claims(claims: Claims) -> Json<Option<String>> {
    Json(claims.sub)
}

/// Claims by a qualified path.
#[protected]
async fn claims_by_path(claims: auth::Claims) -> String {
    claims.sub.unwrap_or_default()
}

/// A body on one line: the expansion must not nest it as a block of its own, which rustc
/// would warn about (`unused_braces`).
#[rustfmt::skip]
#[requires_role("user")]
async fn one_line(claims: Claims) -> String { claims.sub.unwrap_or_default() }

/// Optional authentication.
#[protected]
async fn optional(claims: Option<Claims>) -> String {
    match claims {
        Some(claims) => claims.sub.unwrap_or_default(),
        None => "stranger".to_owned(),
    }
}

/// Optional authentication, spelled with the full path of `Option`.
#[protected]
async fn optional_by_path(claims: ::core::option::Option<Claims>) -> &'static str {
    if claims.is_some() { "you" } else { "stranger" }
}

/// No claims parameter: the guard is a hidden parameter.
#[protected]
async fn no_claims() -> &'static str {
    "guarded"
}

#[derive(Debug, serde::Deserialize)]
struct Tenant {
    sub: String,
    tenant: String,
}

/// A custom claims type.
#[protected]
async fn custom(#[claims] who: Tenant) -> String {
    format!("{}@{}", who.sub, who.tenant)
}

/// A custom claims type, optional.
#[protected]
async fn custom_optional(#[claims] who: Option<Tenant>) -> String {
    who.map(|who| who.tenant).unwrap_or_default()
}

/// A custom claims type with a role: the role is checked on the verified token.
#[requires_role("user")]
async fn custom_with_role(#[claims] who: Tenant) -> String {
    who.tenant
}

/// A destructuring pattern as the claims parameter.
#[protected]
async fn destructured(#[claims] Tenant { sub, tenant }: Tenant) -> String {
    format!("{sub}@{tenant}")
}

/// The claims parameter after other extractors, and a body extractor last.
#[protected]
async fn with_extractors(
    Path(id): Path<u64>,
    claims: Claims,
    Json(body): Json<serde_json::Value>,
) -> String {
    format!("{id} {:?} {body}", claims.sub)
}

#[requires_role("admin")]
async fn one_role(claims: Claims) -> String {
    claims.roles.join(",")
}

#[requires_role(any("admin", "auditor"))]
async fn any_role() -> &'static str {
    "audit log"
}

#[requires_role(all("user", "auditor"))]
async fn all_roles() -> &'static str {
    "export"
}

#[requires_role(any("guest"))]
async fn any_of_one() -> &'static str {
    "guest"
}

#[requires_scope("orders:read")]
async fn one_scope(claims: Claims) -> String {
    claims.scopes.join(" ")
}

#[requires_scope(any("orders:read", "orders:write"))]
async fn any_scope() -> &'static str {
    "orders"
}

#[requires_scope(all("orders:read", "orders:write"))]
async fn all_scopes() -> &'static str {
    "orders"
}

/// A role and a scope: both are needed.
#[requires_role("user")]
#[requires_scope("orders:write")]
async fn role_and_scope(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected]
#[requires_role("admin")]
async fn protected_then_role(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[requires_role("admin")]
#[protected]
async fn role_then_protected(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[requires_scope("orders:read")]
#[protected]
#[requires_role(any("admin", "user"))]
async fn three_attributes() -> &'static str {
    "all three"
}

struct Api;

impl Api {
    /// An associated function with a role.
    #[requires_role("admin")]
    async fn method(claims: Claims) -> String {
        claims.sub.unwrap_or_default()
    }

    /// A method with a receiver, in explicit-source style.
    #[protected(from = headers)]
    fn check(&self, headers: &HeaderMap, claims: Claims) -> Result<String, AuthError> {
        Ok(claims.sub.unwrap_or_default())
    }
}

/// Generic, with a `where` clause.
#[protected]
async fn generic<T>(claims: Claims) -> String
where
    T: Default + ToString,
{
    format!(
        "{} {}",
        T::default().to_string(),
        claims.sub.unwrap_or_default()
    )
}

/// Generic over the state, with another extractor.
#[requires_role("user")]
async fn generic_state<S>(State(state): State<S>, claims: Claims) -> String
where
    S: Clone + Send + Sync + 'static,
{
    let _ = state;
    claims.sub.unwrap_or_default()
}

/// Attributes other than ours are kept: without this `allow`, the unused claims would fail
/// the crate's `deny(warnings)`.
#[allow(unused_variables)]
#[cfg_attr(all(), allow(unused_variables))]
#[inline]
#[protected]
async fn attributes_kept(claims: Claims) -> &'static str {
    "kept"
}

/// Generic over the claims type.
#[protected]
async fn generic_claims<T>(#[claims] who: T) -> String
where
    T: serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    format!("{who:?}")
}

/// Visibility is kept.
#[protected]
pub(crate) async fn crate_visible(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

/// The `auth` crate named explicitly, the same on every attribute.
#[protected(crate = ::auth)]
#[requires_role("admin", crate = ::auth)]
async fn explicit_crate(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

mod reexport {
    pub(crate) use auth;
}

/// The `auth` crate through a re-export.
#[requires_scope("orders:read", crate = crate::reexport::auth)]
async fn reexported_crate(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

/// Explicit-source style: a plain function reading the token from a header map.
#[protected(from = headers)]
fn from_headers(headers: &HeaderMap) -> Result<String, AuthError> {
    let _ = headers;
    Ok("checked".to_owned())
}

/// An error type of its own, converted with `From<AuthError>`.
#[derive(Debug)]
struct ServiceError(#[allow(dead_code)] AuthError);

impl From<AuthError> for ServiceError {
    fn from(error: AuthError) -> Self {
        ServiceError(error)
    }
}

/// Explicit-source style: a request, claims, a role, a custom error, the `from` argument
/// beside `crate`.
#[requires_role("admin")]
#[protected(crate = ::auth, from = request)]
fn from_request(request: Request<()>, claims: Claims) -> Result<String, ServiceError> {
    let _ = request;
    Ok(claims.sub.unwrap_or_default())
}

/// Explicit-source style, async, optional claims.
#[protected(from = headers)]
async fn from_headers_optional(
    headers: HeaderMap,
    claims: Option<Claims>,
) -> Result<bool, AuthError> {
    let _ = headers;
    Ok(claims.is_some())
}

auth::token_locations! {
    /// A handler's own token locations.
    struct LiveTokens = [
        auth::TokenLocation::websocket_query("access_token"),
        auth::TokenLocation::cookie("access_token"),
    ];
}

/// Its own token locations, with a role.
#[protected(token_locations = LiveTokens)]
#[requires_role("user")]
async fn own_locations(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

/// Its own token locations, by path, without a claims parameter.
#[protected(token_locations = self::LiveTokens)]
async fn own_locations_no_claims() -> &'static str {
    "ok"
}

/// A policy of every term.
#[auth::requires_policy(role("admin") or (scope("x:y") and caller("billing") and not (claim("tenant") != "acme" or claim("level") == -1 or claim("email_verified") == false)))]
async fn policy_of_every_term(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

/// A policy beside a role and an allow-list of callers.
#[requires_role("user")]
#[auth::requires_policy(claim("tenant") == "acme")]
#[protected(callers = ["billing", "reports"])]
async fn policy_role_and_callers() -> &'static str {
    "ok"
}

auth::roles!(
    /// The vocabulary, at run time.
    #[derive(serde::Serialize)]
    pub enum Role
);

/// The generated vocabulary is usable in ordinary code.
fn vocabulary_in_use(claims: &Claims) -> bool {
    claims.holds_role(Role::Guest) && auth::Requirement::role(Role::User).check(claims).is_ok()
}

/// A check function: sync, on the claims and the request.
#[auth::check]
fn owner_or_admin(claims: &Claims, request: &auth::AccessRequest<'_>) -> bool {
    claims.holds_role(Role::Admin) || claims.sub.as_deref() == request.path_param("user")
}

/// Async, on the claims alone, with a lifetime of its own.
#[auth::check]
async fn verified<'c>(claims: &'c Claims) -> Result<(), AuthError> {
    match claims.extra.get("email_verified") {
        Some(serde_json::Value::Bool(true)) => Ok(()),
        _ => Err(AuthError::forbidden("e-mail not verified")),
    }
}

/// `Result<bool, E>` with the crate path spelled out.
#[auth::check(crate = ::auth)]
pub(crate) fn tenant(
    claims: &auth::Claims,
    request: &auth::AccessRequest<'_>,
) -> Result<bool, AuthError> {
    Ok(claims.extra.get("tenant").and_then(|t| t.as_str()) == request.header("x-tenant"))
}

mod checks {
    /// A check in another module, named by its path.
    #[auth::check]
    pub(crate) fn nobody(_claims: &auth::Claims) -> bool {
        false
    }
}

/// A check beside a role, the claims taken.
#[requires_role("user")]
#[protected(check = owner_or_admin)]
async fn checked(claims: Claims, Path(user): Path<String>) -> String {
    format!("{user}: {}", claims.sub.unwrap_or_default())
}

/// A check without claims, beside a policy and a caller list.
#[protected(check = verified, callers = ["billing"])]
#[auth::requires_policy(scope("orders:read") or role("admin"))]
async fn checked_hidden() -> &'static str {
    "ok"
}

/// A check with shared claims and with its own token locations.
#[protected(check = tenant, token_locations = LiveTokens)]
async fn checked_shared(claims: std::sync::Arc<Claims>) -> String {
    claims.sub.clone().unwrap_or_default()
}

/// A check by path, with an own claims type.
#[protected(check = checks::nobody)]
async fn checked_custom(#[claims] who: Tenant) -> String {
    who.sub
}

fn app(verifier: Verifier) -> Router {
    Router::new()
        .route("/users/{user}/checked", get(checked))
        .route("/checked-hidden", get(checked_hidden))
        .route("/checked-shared", get(checked_shared))
        .route("/checked-custom", get(checked_custom))
        .route("/claims", get(claims))
        .route("/policy-of-every-term", get(policy_of_every_term))
        .route("/policy-role-and-callers", get(policy_role_and_callers))
        .route("/own-locations", get(own_locations))
        .route("/own-locations-no-claims", get(own_locations_no_claims))
        .route("/claims-by-path", get(claims_by_path))
        .route("/one-line", get(one_line))
        .route("/optional", get(optional))
        .route("/optional-by-path", get(optional_by_path))
        .route("/no-claims", get(no_claims))
        .route("/custom", get(custom))
        .route("/custom-optional", get(custom_optional))
        .route("/custom-with-role", get(custom_with_role))
        .route("/destructured", get(destructured))
        .route("/with-extractors/{id}", post(with_extractors))
        .route("/one-role", get(one_role))
        .route("/any-role", get(any_role))
        .route("/all-roles", get(all_roles))
        .route("/any-of-one", get(any_of_one))
        .route("/one-scope", get(one_scope))
        .route("/any-scope", get(any_scope))
        .route("/all-scopes", get(all_scopes))
        .route("/role-and-scope", get(role_and_scope))
        .route("/protected-then-role", get(protected_then_role))
        .route("/role-then-protected", get(role_then_protected))
        .route("/three-attributes", get(three_attributes))
        .route("/method", get(Api::method))
        .route("/generic", get(generic::<u8>))
        .route("/generic-state", get(generic_state::<Verifier>))
        .route("/generic-claims", get(generic_claims::<Tenant>))
        .route("/attributes-kept", get(attributes_kept))
        .route("/crate-visible", get(crate_visible))
        .route("/explicit-crate", get(explicit_crate))
        .route("/reexported-crate", get(reexported_crate))
        .with_state(verifier)
}

fn main() {
    let (_authority, verifier) = auth::testing::pair(auth::Algorithm::ES256);
    let _app: Router = app(verifier);
    assert!(!vocabulary_in_use(&Claims::for_subject("nobody")));

    // Without a default verifier every explicit-source check fails, with the function's error.
    let headers = HeaderMap::new();
    assert!(matches!(
        from_headers(&headers),
        Err(AuthError::VerifierMissing)
    ));
    assert!(Api.check(&headers).is_err());
    let request = Request::new(());
    assert!(matches!(
        from_request(request),
        Err(ServiceError(AuthError::VerifierMissing))
    ));
    let _future = from_headers_optional(headers);
}
