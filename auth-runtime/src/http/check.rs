//! Check functions: what a policy expression cannot say (ownership, tenancy, data in the
//! request), written once as a function of the claims and the request and named by the
//! handlers that need it: `#[protected(check = owner_or_admin)]`.
//!
//! The adapter runs the check after the token was verified and the handler's requirement met,
//! before the body and before any other extractor of the handler; a refusal is the check's
//! [`AuthError`] (403, 404 or 503), sent as every other rejection. `#[auth::check]` on the
//! function generates the [`Check`] type the attribute names (docs/design.md, "Check
//! functions").

use std::future::Future;
use std::marker::PhantomData;

use crate::error::AuthError;
use crate::http::guard::ClaimsSlot;
use crate::token::claims::Claims;
use crate::verifier::VerifiedToken;

/// What a check function sees of the request: its method, path, query, headers and the path
/// parameters of the route it matched.
///
/// ```
/// use auth_runtime::{AccessRequest, HttpFacts};
///
/// let request = http::Request::get("/users/bob/reports/7?full=1")
///     .header("x-tenant", "acme")
///     .body(())?;
/// let (parts, ()) = request.into_parts();
/// let facts = HttpFacts::of(&parts).with_path_params([("user", "bob"), ("id", "7")]);
/// let request = AccessRequest::new(&facts);
/// assert_eq!(request.method(), "GET");
/// assert_eq!(request.path(), "/users/bob/reports/7");
/// assert_eq!(request.query(), Some("full=1"));
/// assert_eq!(request.header("x-tenant"), Some("acme"));
/// assert_eq!(request.path_param("user"), Some("bob"));
/// assert_eq!(request.path_param("nobody"), None);
/// # Ok::<(), http::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct AccessRequest<'r> {
    facts: &'r dyn RequestFacts,
}

impl<'r> AccessRequest<'r> {
    /// The view over what an adapter read of its request.
    pub fn new(facts: &'r dyn RequestFacts) -> Self {
        AccessRequest { facts }
    }

    /// The method, as sent (`GET`, `DELETE`, ..).
    pub fn method(&self) -> &'r str {
        self.facts.method()
    }

    /// The path, without the query.
    pub fn path(&self) -> &'r str {
        self.facts.path()
    }

    /// The query string, without `?`.
    pub fn query(&self) -> Option<&'r str> {
        self.facts.query().filter(|q| !q.is_empty())
    }

    /// The first value of the header `name`, if it is visible ASCII text.
    pub fn header(&self, name: &str) -> Option<&'r str> {
        // Lower-cased only when it is not already, as the facts take it.
        let value = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            self.facts.header(&name.to_ascii_lowercase())?
        } else {
            self.facts.header(name)?
        };
        std::str::from_utf8(value).ok().filter(|text| {
            text.bytes()
                .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
        })
    }

    /// The path parameter `name` of the matched route (`{id}` in axum and actix-web, `<id>` in
    /// rocket, `:id` in poem), as the framework decoded it.
    pub fn path_param(&self, name: &str) -> Option<&'r str> {
        self.facts.path_param(name)
    }
}

impl std::fmt::Debug for AccessRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Headers are left out: they may carry credentials.
        f.debug_struct("AccessRequest")
            .field("method", &self.method())
            .field("path", &self.path())
            .finish_non_exhaustive()
    }
}

/// What an adapter reads of its request for a check function: implement it for the request
/// type of a framework of your own (docs/adapters.md). Shared between threads, because a check
/// may await.
pub trait RequestFacts: Sync {
    /// The method.
    fn method(&self) -> &str;
    /// The path, without the query.
    fn path(&self) -> &str;
    /// The query string, without `?`.
    fn query(&self) -> Option<&str>;
    /// The first value of the header `name` (lower case).
    fn header(&self, name: &str) -> Option<&[u8]>;
    /// The path parameter `name` of the matched route.
    fn path_param(&self, name: &str) -> Option<&str>;
}

/// An `http` 1.x request's head and the path parameters its router matched: the facts of axum,
/// poem and salvo requests, and of requests built in a check function's unit tests.
#[derive(Debug, Clone)]
pub struct HttpFacts<'r> {
    method: &'r http::Method,
    uri: &'r http::Uri,
    headers: &'r http::HeaderMap,
    path_params: Vec<(&'r str, &'r str)>,
}

impl<'r> HttpFacts<'r> {
    /// The facts of a request's head, without path parameters.
    pub fn of(parts: &'r http::request::Parts) -> Self {
        HttpFacts::new(&parts.method, &parts.uri, &parts.headers)
    }

    /// The facts of a request's method, URI and headers, without path parameters.
    pub fn new(method: &'r http::Method, uri: &'r http::Uri, headers: &'r http::HeaderMap) -> Self {
        HttpFacts {
            method,
            uri,
            headers,
            path_params: Vec::new(),
        }
    }

    /// With the path parameters `(name, value)` the router matched.
    pub fn with_path_params(
        mut self,
        params: impl IntoIterator<Item = (&'r str, &'r str)>,
    ) -> Self {
        self.path_params = params.into_iter().collect();
        self
    }
}

impl RequestFacts for HttpFacts<'_> {
    fn method(&self) -> &str {
        self.method.as_str()
    }

    fn path(&self) -> &str {
        self.uri.path()
    }

    fn query(&self) -> Option<&str> {
        self.uri.query()
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.get(name).map(http::HeaderValue::as_bytes)
    }

    fn path_param(&self, name: &str) -> Option<&str> {
        self.path_params
            .iter()
            .find(|(param, _)| *param == name)
            .map(|(_, value)| *value)
    }
}

/// A check function, as `#[protected(check = name)]` names it: generated by `#[auth::check]`
/// on the function, under the function's own name (a type beside the function, as a unit
/// struct is beside its constructor).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a check function",
    label = "not declared with `#[auth::check]`",
    note = "put `#[auth::check]` on `fn {Self}(claims: &Claims, request: &AccessRequest<'_>) -> bool` (or `Result<(), AuthError>`, sync or async)"
)]
pub trait Check: 'static {
    /// Whether `claims` may make `request`; the refusal says with which status.
    fn check<'a>(
        claims: &'a Claims,
        request: &'a AccessRequest<'a>,
    ) -> impl Future<Output = Result<(), AuthError>> + Send + 'a;
}

/// What a check function returns: `bool` (`false` is 403 `insufficient_scope`),
/// `Result<(), E>` or `Result<bool, E>` with `E: Into<AuthError>` ([`AuthError::forbidden`],
/// [`not_found`](AuthError::not_found), [`check_unavailable`](AuthError::check_unavailable)).
///
/// ```
/// use auth_runtime::{AuthError, CheckOutcome};
///
/// assert_eq!(true.into_decision(), Ok(()));
/// assert_eq!(false.into_decision().map_err(|e| e.status().as_u16()), Err(403));
/// let hidden: Result<(), AuthError> = Err(AuthError::not_found("not the owner"));
/// assert_eq!(hidden.into_decision().map_err(|e| e.status().as_u16()), Err(404));
/// ```
#[diagnostic::on_unimplemented(
    message = "a check function returns `bool`, `Result<(), E>` or `Result<bool, E>` with `E: Into<AuthError>`, not `{Self}`",
    label = "not a decision"
)]
pub trait CheckOutcome {
    /// `Ok(())` lets the request in; the error is the refusal.
    fn into_decision(self) -> Result<(), AuthError>;
}

impl CheckOutcome for bool {
    fn into_decision(self) -> Result<(), AuthError> {
        if self {
            Ok(())
        } else {
            Err(AuthError::forbidden("the check function answered false"))
        }
    }
}

impl<E: Into<AuthError>> CheckOutcome for Result<(), E> {
    fn into_decision(self) -> Result<(), AuthError> {
        self.map_err(Into::into)
    }
}

impl<E: Into<AuthError>> CheckOutcome for Result<bool, E> {
    fn into_decision(self) -> Result<(), AuthError> {
        self.map_err(Into::into)?.into_decision()
    }
}

/// The claims slot of a handler with a check function `K`: the slot `C` the handler takes,
/// together with the verified token the check reads. Never optional: a check decides on
/// claims, so a request without a token is refused (the attribute refuses `Option` claims
/// beside a check at compile time).
pub struct Checked<C, K>(PhantomData<fn() -> (C, K)>);

impl<C: ClaimsSlot, K: Check> ClaimsSlot for Checked<C, K> {
    type Output = (VerifiedToken, C::Output);
    const OPTIONAL: bool = false;
    const CHECKS: bool = true;

    fn present(verified: VerifiedToken) -> Result<Self::Output, AuthError> {
        let kept = verified.clone();
        Ok((kept, C::present(verified)?))
    }

    fn absent() -> Option<Self::Output> {
        None
    }

    async fn admit<'a>(
        output: Self::Output,
        request: &'a AccessRequest<'a>,
    ) -> Result<Self::Output, AuthError> {
        K::check(output.0.claims(), request).await?;
        crate::observe::allowed(Some(output.0.claims()), Some(request.path()));
        Ok(output)
    }
}

/// The claims of a checked slot, for the handler's body.
pub fn checked_claims<T>((_, claims): (VerifiedToken, T)) -> T {
    claims
}
