//! salvo 1 adapter (feature `salvo`): the extractor behind `#[protected]`, and the rejection
//! response. salvo 1 needs Rust 1.95 or newer (its own minimum, above this crate's).
//!
//! The verifier comes from the [`Depot`]: a [`Verifier`] put there by type, as
//! `affix_state::inject(verifier)` does (salvo's feature `affix-state`) or
//! `depot.insert_typed(verifier)` in a hoop of your own; else the process-wide default installed with
//! [`install_default_verifier`](crate::install_default_verifier); none at all is a 500.
//!
//! A refused request gets the [`AuthRejection`] (status, `WWW-Authenticate` challenge, JSON
//! body) and the handler's body does not run. A handler can return an `AuthRejection` too (it
//! is a [`Scribe`]), say as the error of a `Result`.
//!
//! # Attribute order
//!
//! `#[protected]`, `#[requires_role]` and `#[requires_scope]` go **above** `#[handler]`: outer
//! attributes expand first, and the auth macro must rewrite the claims parameter into the
//! extractor before salvo's macro turns the function into a handler type.
//!
//! ```
//! # extern crate auth_runtime as auth;
//! # use auth_macros::{protected, requires_role};
//! use auth::{AuthError, AuthRejection, Claims, Verifier};
//! // salvo's prelude: `#[handler]` code calls `Writer::write` as a method.
//! use salvo::prelude::*;
//!
//! #[protected]
//! #[handler]
//! async fn me(claims: Claims) -> String {
//!     claims.sub.unwrap_or_default()
//! }
//!
//! #[requires_role("admin")]
//! #[handler]
//! async fn admin() -> &'static str {
//!     "only admins get here"
//! }
//!
//! // A handler that checks by hand returns the rejection itself.
//! #[handler]
//! async fn by_hand() -> Result<&'static str, AuthRejection> {
//!     Err(AuthRejection::new(AuthError::MissingCredentials, None))
//! }
//!
//! // What `affix_state::inject(verifier)` does.
//! struct InjectVerifier(Verifier);
//!
//! #[handler]
//! impl InjectVerifier {
//!     fn handle(&self, depot: &mut Depot) {
//!         depot.insert_typed(self.0.clone());
//!     }
//! }
//!
//! fn router(verifier: Verifier) -> Router {
//!     Router::new()
//!         .hoop(InjectVerifier(verifier))
//!         .push(Router::with_path("me").get(me))
//!         .push(Router::with_path("admin").get(admin))
//!         .push(Router::with_path("by-hand").get(by_hand))
//! }
//! # fn main() {}
//! ```
//!
//! With salvo-oapi's `#[endpoint]` instead of `#[handler]`, a parameter type must also describe
//! itself to the OpenAPI document (`EndpointArgRegister`); the extractor does not (it would
//! make this feature depend on salvo-oapi), so protected handlers use `#[handler]`.

use http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use salvo::extract::Metadata;
use salvo::{Depot, Extractible, Request, Response, Scribe};

use crate::http::check::HttpFacts;
use crate::http::default_verifier::default_verifier;
use crate::http::guard::{Authenticated, ClaimsSlot, LocationChoice, authenticate_request_async};
use crate::http::rejection::AuthRejection;
use crate::http::sources::HttpView;
use crate::requirement::StaticRequirement;
use crate::verifier::Verifier;

impl<'ex, C: ClaimsSlot, R: StaticRequirement, L: LocationChoice> Extractible<'ex>
    for Authenticated<C, R, L>
{
    fn metadata() -> &'static Metadata {
        // Nothing for salvo to deserialize: the extractor reads the headers itself.
        static METADATA: Metadata = Metadata::new("Authenticated");
        &METADATA
    }

    #[allow(refining_impl_trait)]
    async fn extract(req: &'ex mut Request, depot: &'ex mut Depot) -> Result<Self, AuthRejection> {
        // The depot's verifier (borrowed for the request) first, then the process default.
        let verifier = match depot.get_typed::<Verifier>() {
            Ok(verifier) => Some(verifier),
            Err(_) => default_verifier(),
        };
        let view = HttpView::new(req.headers(), req.method(), req.uri());
        let facts = || {
            let params = req.params().iter().map(|(k, v)| (k.as_str(), v.as_str()));
            HttpFacts::new(req.method(), req.uri(), req.headers()).with_path_params(params)
        };
        authenticate_request_async::<C, R, L, _>(verifier, &view, facts)
            .await
            .map(Authenticated::new)
            .map_err(|error| AuthRejection::logged(error, verifier))
    }
}

impl Scribe for AuthRejection {
    fn render(self, res: &mut Response) {
        res.status_code(self.status());
        let headers = res.headers_mut();
        headers.insert(CONTENT_TYPE, self.content_type());
        match self.challenge() {
            Some(challenge) => headers.insert(WWW_AUTHENTICATE, challenge),
            None => headers.remove(WWW_AUTHENTICATE),
        };
        // The whole body: whatever an earlier writer buffered is replaced, not appended to.
        res.body(self.body_bytes());
    }
}
