//! The expansion uses absolute paths only: this module shadows the names it could otherwise
//! pick up by accident (`Result`, `Option`, `Ok`, `Claims`, `core`, `std`, `auth`, ...).
#![allow(dead_code, non_camel_case_types, unused_macros)]

struct Claims;
type Result = ();
struct Option;
struct Some;
struct None;
struct Ok;
struct Err;
struct Box;
struct Authenticated;
struct Required;
struct NoRequirement;
struct __private;
mod core {}
mod std {}
mod auth {}
macro_rules! include_bytes {
    ($($tt:tt)*) => {
        compile_error!("the expansion called a shadowed `include_bytes!`")
    };
}

#[::auth::protected]
async fn required(claims: ::auth::Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[::auth::protected]
async fn optional(claims: ::core::option::Option<::auth::Claims>) -> &'static str {
    if claims.is_some() { "you" } else { "stranger" }
}

#[::auth::protected]
async fn no_claims() -> &'static str {
    "guarded"
}

#[derive(::serde::Deserialize)]
struct Tenant {
    tenant: String,
}

#[::auth::protected]
async fn custom(#[claims] who: Tenant) -> String {
    who.tenant
}

#[::auth::requires_role("admin")]
async fn one_role(claims: ::auth::Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[::auth::requires_role(any("admin", "auditor"))]
#[::auth::requires_scope(all("orders:read", "orders:write"))]
async fn roles_and_scopes() -> &'static str {
    "both"
}

#[::auth::requires_role(all("user", "auditor"), crate = ::auth)]
#[::auth::protected(crate = ::auth)]
async fn explicit_crate(claims: ::auth::Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[::auth::requires_role("user")]
#[::auth::protected(from = headers)]
fn from_headers(
    headers: &::axum::http::HeaderMap,
    claims: ::auth::Claims,
) -> ::core::result::Result<String, ::auth::AuthError> {
    ::core::result::Result::Ok(claims.sub.unwrap_or_default())
}

fn app(verifier: ::auth::Verifier) -> ::axum::Router {
    use ::axum::routing::get;
    ::axum::Router::new()
        .route("/required", get(required))
        .route("/optional", get(optional))
        .route("/no-claims", get(no_claims))
        .route("/custom", get(custom))
        .route("/one-role", get(one_role))
        .route("/roles-and-scopes", get(roles_and_scopes))
        .route("/explicit-crate", get(explicit_crate))
        .with_state(verifier)
}

fn main() {
    let (_authority, verifier) = ::auth::testing::pair(::auth::Algorithm::ES256);
    let _app = app(verifier);
    let headers = ::axum::http::HeaderMap::new();
    assert!(from_headers(&headers).is_err());
}
