//! JWT authentication between micro-services, as attribute macros.
//!
//! An authority signs a short-lived token after login; clients send it as
//! `Authorization: Bearer <jwt>`; every service verifies it locally with the authority's public
//! keys. Handlers say what they need, Python-decorator style:
//!
//! ```
//! # #[cfg(feature = "axum")] mod demo {
//! use auth::{Claims, protected, requires_role};
//! use axum::{Json, Router, routing::{delete, get}};
//!
//! #[protected]
//! async fn me(claims: Claims) -> Json<Option<String>> {
//!     Json(claims.sub)
//! }
//!
//! #[requires_role("admin")] // implies #[protected]; `admin` is checked at compile time
//! async fn delete_user(claims: Claims) -> &'static str {
//!     "deleted"
//! }
//!
//! pub fn app(verifier: auth::Verifier) -> Router {
//!     Router::new()
//!         .route("/me", get(me))
//!         .route("/users/1", delete(delete_user))
//!         .with_state(verifier)
//! }
//! # }
//! ```
//!
//! - [`protected`], [`requires_role`], [`requires_scope`], [`requires_policy`]: the macros;
//!   [`roles!`] for the vocabulary at run time.
//! - [`Verifier`], [`Claims`], [`Authority`], [`AuthError`]: the runtime (the `auth-runtime`
//!   crate, usable without the macros).
//! - [`JwksClient`] (feature `jwks`): the authority's keys over HTTP, kept fresh; several
//!   trusted issuers with [`TrustedIssuer`]; [`propagate`] forwards a caller's token.
//! - Adapters, one feature each: [`axum`], [`actix`] (feature `actix-web`), [`poem`],
//!   [`rocket`], [`salvo`], [`tonic`]; any other framework through [`guard::TokenSource`] or
//!   `docs/adapters.md`.
//! - [`layer`] (feature `tower`): a deny-by-default layer for a whole axum router or tonic
//!   server, the claims handed on in the request's extensions.
//!
//! # Role vocabulary
//!
//! Role names are declared once, with their hierarchy, in the manifest of the crate (or of its
//! workspace, to share them between services); `#[requires_role("amin")]` is then a compile
//! error that suggests `admin`:
//!
//! ```toml
//! [package.metadata.auth.roles]   # or [workspace.metadata.auth.roles]
//! admin = ["user"]                # admin implies user
//! user = ["guest"]
//! guest = []
//! ```

// The runtime's public items, one path each (the adapters under their framework's name).
#[cfg(feature = "actix-web")]
pub use auth_runtime::actix;
#[cfg(feature = "axum")]
pub use auth_runtime::axum;
#[cfg(feature = "tower")]
pub use auth_runtime::layer;
pub use auth_runtime::observe;
#[cfg(feature = "openapi")]
pub use auth_runtime::openapi;
#[cfg(feature = "outbound")]
pub use auth_runtime::outbound;
#[cfg(feature = "poem")]
pub use auth_runtime::poem;
pub use auth_runtime::revocation;
#[cfg(feature = "rocket")]
pub use auth_runtime::rocket;
#[cfg(feature = "salvo")]
pub use auth_runtime::salvo;
#[cfg(feature = "testing")]
pub use auth_runtime::testing;
pub use auth_runtime::token_locations;
#[cfg(feature = "tonic")]
pub use auth_runtime::tonic;
#[cfg(feature = "token-endpoint")]
pub use auth_runtime::{
    ACCESS_TOKEN_TYPE, CLIENT_CREDENTIALS, DEFAULT_ABSOLUTE_LIFETIME, DEFAULT_IDLE_LIFETIME,
    IssuedToken, JWT_BEARER_ASSERTION, REFRESH_TOKEN, ServiceClient, SessionError, SessionStore,
    SessionTokens, Sessions, SessionsBuilder, TOKEN_EXCHANGE, TokenEndpoint, TokenEndpointBuilder,
    TokenError, TokenRequest,
};
pub use auth_runtime::{
    AccessRequest, Algorithm, Audience, AuthError, AuthRejection, Authority, AuthorityBuilder,
    BACKEND, CacheConfig, CacheStats, CheckOutcome, ClaimConstant, ClaimValue, Claims, Clock,
    ConfigError, Csrf, DEFAULT_LEEWAY, DEFAULT_LIFETIME, DEFAULT_MAX_TOKEN_LEN, DEFAULT_REALM,
    ErrorClass, FixedClock, HttpFacts, HttpView, IssueError, Jwk, JwkSet, JwsHeader, KeyDirectory,
    KeyDirectoryError, KeyError, KeySet, MAX_LEEWAY, MAX_RSA_BITS, MIN_RSA_BITS, RefusedKey,
    RejectionBody, RequestFacts, RequestView, Requirement, RequirementKind, Revocation,
    RevocationError, RevocationList, RevocationPolicy, RevocationPublisher, RoleVocabulary,
    RolesLocation, SigningKey, SyncStatus, SystemClock, TokenBuilder, TokenLocation,
    TokenLocations, TrustedIssuer, UnknownAlgorithm, UnknownRole, VerifiedJws, VerifiedToken,
    Verifier, VerifierBuilder, VerifyingKey, bearer_from_values, bearer_token, default_verifier,
    guard, install_default_verifier, parse_authorization, propagate,
};
#[cfg(feature = "jwks")]
pub use auth_runtime::{JwksClient, JwksClientBuilder, JwksConfig, JwksError, RefreshError};

/// Protects a handler: before its body runs, the bearer token is taken from the request,
/// verified, and the claims handed to the body.
///
/// ```
/// # #[cfg(feature = "axum")] mod demo {
/// use auth::{Claims, protected};
///
/// #[protected]
/// async fn me(claims: Claims) -> String {
///     claims.sub.unwrap_or_default()
/// }
///
/// #[protected]
/// async fn shared(claims: std::sync::Arc<Claims>) -> String { // the cache's claims, not a copy
///     claims.sub.clone().unwrap_or_default()
/// }
///
/// #[protected]
/// async fn maybe(claims: Option<Claims>) -> &'static str {   // optional authentication
///     if claims.is_some() { "hello, you" } else { "hello, stranger" }
/// }
///
/// #[protected]
/// async fn no_claims_needed() -> &'static str {              // a hidden guard parameter
///     "only for authenticated callers"
/// }
///
/// #[derive(serde::Deserialize)]
/// struct Mine { sub: String, tenant: String }
///
/// #[protected]
/// async fn custom(#[claims] mine: Mine) -> String {          // your own claims type
///     format!("{}@{}", mine.sub, mine.tenant)
/// }
/// # }
/// ```
///
/// # The claims parameter
///
/// The parameter of type `Claims`, `Arc<Claims>` (or either in an `Option`), or the one marked
/// `#[claims]` with any `serde::Deserialize` type. Without one, the handler still gets checked.
/// A token seen before is answered from the verifier's cache: `Arc<Claims>` is the cache's own
/// copy, lent without copying; `Claims` is copied out of it for the handler to own.
///
/// # What it expands to
///
/// Extractor style (axum, actix-web): the claims parameter becomes an extractor that carries
/// the requirement in its type and is moved first; a failed check rejects the request in the
/// extractor, so the return type is untouched and the body never runs:
///
/// ```text
/// async fn me(
///     __auth_claims: ::auth::__private::Authenticated<
///         ::auth::__private::Required<Claims>,
///         ::auth::__private::NoRequirement,     // or Role<Name<..>, Cons<..>> for a role
///     >,
/// ) -> String {
///     let __auth_claims = ::auth::__private::Authenticated::into_inner(__auth_claims);
///     let claims: Claims = __auth_claims;
///     { claims.sub.unwrap_or_default() }
/// }
/// ```
///
/// Explicit-source style, `#[protected(from = req)]`, for functions without extractors (tonic,
/// hyper, lambdas): the token is read from the parameter `req` (anything implementing
/// [`guard::TokenSource`]: `http::Request`, `http::HeaderMap`, your own type), and the
/// function, which must return `Result<_, E>` with `E: From<AuthError>`, returns early:
///
/// ```text
/// fn handle(req: http::Request<()>) -> Result<String, MyError> {
///     let __auth_claims = match ::auth::__private::authenticate_source::<..>(&req) {
///         Ok(claims) => claims,
///         Err(error) => return Err(::auth::__private::into_error(error)),
///     };
///     let claims: Claims = __auth_claims;
///     { ... }
/// }
/// ```
///
/// # Arguments
///
/// - `crate = path`: where the `auth` crate is, for crates that re-export it.
/// - `from = param`: explicit-source style, reading the token from `param`.
/// - `claims = name`: binds the standard claims to `name` when the signature cannot take a
///   claims parameter (a trait method).
/// - `callers = ["billing", "reports"]`: only these calling services (the token's
///   `client_id`, else `azp`) get in; any other is a 403 `insufficient_scope`. Expands to the
///   requirement `Caller<Cons<Name<"billing">, ..>>`, combined with a role or scope
///   requirement as `AllOf<..>`.
/// - `check = function`: after the token and the requirement passed, the extractor calls the
///   [`check`] function `function` with the claims and the request, and refuses the request
///   if it does. Expands to the slot `Checked<Required<Claims>, function>`, whose extractor
///   runs the check; the claims cannot be optional beside it, and the explicit-source style
///   calls the function in the body instead.
/// - `token_locations = Type`: reads this handler's token from the locations `Type` names
///   (declared with [`token_locations!`]) instead of the verifier's
///   ([`VerifierBuilder::token_locations`]); the extractor then carries it as a third type
///   parameter, `Authenticated<.., .., HandlerLocations<Type>>`. Behind the
///   [deny-by-default layer](crate::layer) the layer has already read and verified the token,
///   where its own verifier says; list such a route as public on the layer for the handler to
///   read the token itself.
///
/// ```
/// # #[cfg(feature = "axum")] mod demo {
/// use auth::{Claims, TokenLocation, protected};
///
/// auth::token_locations! {
///     /// WebSocket upgrades from a browser, which cannot set headers.
///     pub struct WebSocketTokens = [TokenLocation::websocket_query("access_token")];
/// }
///
/// #[protected(token_locations = WebSocketTokens)]
/// async fn live_feed(claims: Claims) -> String {
///     format!("streaming for {}", claims.sub.unwrap_or_default())
/// }
/// # }
/// ```
pub use auth_macros::protected;

/// Requires a role; implies [`protected`], in either order.
///
/// ```
/// # #[cfg(feature = "axum")] mod demo {
/// use auth::{Claims, requires_role};
///
/// #[requires_role("admin")]
/// async fn delete_user(claims: Claims) -> &'static str { "deleted" }
///
/// #[requires_role(any("admin", "auditor"))]   // one of them suffices
/// async fn read_audit_log() -> &'static str { "log" }
///
/// #[requires_role(all("user", "auditor"))]    // each is needed
/// async fn export() -> &'static str { "export" }
/// # }
/// ```
///
/// Each name must be declared in the role vocabulary (see the crate docs); an unknown name is
/// a compile error on the literal that suggests the closest declared role. A role is met by
/// the role itself and by every role that implies it: with `admin = ["user"]`,
/// `#[requires_role("user")]` lets admins in. The hierarchy is resolved at compile time and
/// expands to a type such as
/// `Role<Name<"user">, Cons<Name<"user">, Cons<Name<"admin">, Nil>>>` (names packed into
/// `u128` const parameters). A token without the role gets a 403 with
/// `WWW-Authenticate: Bearer error="insufficient_scope"`.
pub use auth_macros::requires_role;

/// Requires an OAuth scope (from the token's `scope` or `scp`); implies [`protected`].
/// Takes the same forms as [`requires_role`]; scopes are not checked against the vocabulary.
///
/// ```
/// # #[cfg(feature = "axum")] mod demo {
/// #[auth::requires_scope("orders:read")]
/// async fn list_orders(claims: auth::Claims) -> &'static str { "orders" }
/// # }
/// ```
pub use auth_macros::requires_scope;

/// Requires a policy: `and`, `or` and `not` of roles, scopes, calling services and claims
/// compared with constants; implies [`protected`], in any order with the other attributes.
///
/// ```
/// # #[cfg(feature = "axum")] mod demo {
/// use auth::{Claims, requires_policy};
///
/// #[requires_policy(role("admin") or (scope("refunds:write") and caller("billing")))]
/// async fn refund(claims: Claims) -> &'static str { "refunded" }
///
/// #[requires_policy(claim("tenant") == "acme" and not role("guest"))]
/// async fn acme_only() -> &'static str { "acme" }
///
/// #[requires_policy(claim("email_verified") == true and claim("level") != 0)]
/// async fn verified() -> &'static str { "verified" }
/// # }
/// ```
///
/// Checked at compile time: each role against the vocabulary (with the did-you-mean of
/// [`requires_role`]), each name, each constant; a malformed expression is an error on the
/// offending token. `and` and `or` do not mix without parentheses. A role is met through the
/// hierarchy, a caller is the token's `client_id` (else `azp`), a claim is compared by type
/// (`"1"` is not `1`) and a missing claim equals nothing (so `!=` holds for it). `sub`, `iss`,
/// `jti`, `exp`, `nbf` and `iat` are the registered claims; `roles`, `scope`, `aud`,
/// `client_id` and `azp` have terms of their own or are checked by the verifier, and comparing
/// them is an error. A token that fails the policy gets a 403 `insufficient_scope`.
///
/// The policy expands to a requirement type, as a role does: `role("admin") or
/// (scope("x") and caller("billing"))` is
/// `AnyOf<Cons<Role<Name<"admin">, ..>, Cons<AllOf<Cons<Scope<Name<"x">>, Cons<Caller<..>, Nil>>>, Nil>>>`,
/// `not p` is `Not<P>`, `claim("tenant") == "acme"` is `ClaimIs<Name<"tenant">, Str<Name<"acme">>>`
/// and `!=` wraps it in `Not`.
pub use auth_macros::requires_policy;

/// Declares a check function, for what neither a role nor a policy can say: ownership,
/// tenancy, data in the request. Written once, named by every handler that needs it with
/// `#[protected(check = name)]`, beside any role, scope or policy attribute.
///
/// ```
/// # #[cfg(feature = "axum")] mod demo {
/// use auth::{AccessRequest, AuthError, Claims, protected};
///
/// auth::roles!(enum Role);
///
/// /// Only the user the path names, or an admin.
/// #[auth::check]
/// fn owner_or_admin(claims: &Claims, request: &AccessRequest<'_>) -> bool {
///     claims.holds_role(Role::Admin) || claims.sub.as_deref() == request.path_param("user")
/// }
///
/// /// Async, for a lookup; a stranger is told the report does not exist.
/// #[auth::check]
/// async fn report_owner(claims: &Claims, request: &AccessRequest<'_>) -> Result<(), AuthError> {
///     let id: u64 = request
///         .path_param("id")
///         .and_then(|id| id.parse().ok())
///         .ok_or_else(|| AuthError::not_found("no such report"))?;
///     let owner = if id == 7 { "bob" } else { "alice" }; // a database, in a real service
///     if claims.sub.as_deref() == Some(owner) {
///         Ok(())
///     } else {
///         Err(AuthError::not_found("not the report's owner"))
///     }
/// }
///
/// #[protected(check = owner_or_admin)]
/// async fn user_profile(claims: Claims) -> String {      // route: /users/{user}
///     claims.sub.unwrap_or_default()
/// }
///
/// #[protected(check = report_owner)]
/// #[auth::requires_role("user")]
/// async fn report() -> &'static str {                   // route: /reports/{id}
///     "the report"
/// }
/// # }
/// ```
///
/// The function takes `(claims: &Claims)` or `(claims: &Claims, request: &AccessRequest<'_>)`,
/// may be `async` (its future must be `Send`), and returns a [`CheckOutcome`]: `bool` (`false`
/// is a 403 `insufficient_scope`), or `Result<(), E>` / `Result<bool, E>` with
/// `E: Into<AuthError>`, whose error says the status: [`AuthError::forbidden`] (403),
/// [`AuthError::not_found`] (404, not telling a stranger that the resource exists),
/// [`AuthError::check_unavailable`] (503, when what it asks is away: never let in). It runs
/// after the token was verified and the role, scope, policy or caller requirement met, before
/// the body and before the handler's other extractors, in axum, actix-web, poem, rocket and
/// salvo. A check reaches its service's state through a static (a pool in a `OnceLock`): the
/// request it sees is the request's method, path, path parameters, query and headers.
///
/// It expands to the function as written and, under its name in the type namespace, a
/// `#[doc(hidden)]` struct implementing [`guard::Check`] by calling it; the handler's extractor
/// carries that type. `#[auth::check(crate = path)]` for a crate that re-exports `auth`.
pub use auth_macros::check;

/// The role vocabulary of the manifest as an enum, so that run-time checks use the names and
/// the hierarchy the attributes check against: a misspelt role is a compile error there too,
/// and an admin meets a requirement of `user` wherever the hierarchy says so.
///
/// ```
/// // With [workspace.metadata.auth.roles]: admin = ["user", "auditor"], auditor = [],
/// // user = ["guest"], guest = [].
/// auth::roles!(pub enum Role);
///
/// use auth::{Claims, Requirement, RoleVocabulary};
///
/// let mut alice = Claims::for_subject("alice");
/// alice.roles = vec!["admin".into()];
/// assert!(alice.holds_role(Role::Guest));                    // admin → user → guest
/// assert!(Requirement::role(Role::User).check(&alice).is_ok());
/// let either = Requirement::any_of([Requirement::role(Role::Auditor), Requirement::role(Role::User)]);
/// assert!(either.check(&alice).is_ok());
///
/// assert_eq!(Role::User.name(), "user");
/// assert_eq!("auditor".parse::<Role>(), Ok(Role::Auditor));
/// assert!("superuser".parse::<Role>().is_err());
/// assert_eq!(Role::User.satisfied_by(), [Role::User, Role::Admin]);
/// ```
///
/// It expands to the enum (one variant per role, the name in UpperCamelCase: `orders:read`
/// becomes `OrdersRead`), `Role::ALL` and `Role::name`, [`RoleVocabulary`] with each role's
/// hierarchy resolved at compile time, `Display` and `FromStr`. The manifest's files are
/// tracked, so adding a role rebuilds the crate. `auth::roles!(pub enum Role, crate = path)`
/// for a crate that re-exports `auth`.
pub use auth_macros::roles;

/// What the macros' output calls. Not public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use auth_runtime::__private::*;
    pub use auth_runtime::Claims;
    pub use auth_runtime::guard::{Authenticated, ClaimsSlot};
}

// The README's examples are compiled as doc tests.
#[cfg(all(
    doctest,
    feature = "axum",
    feature = "tower",
    feature = "rocket",
    feature = "salvo"
))]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
