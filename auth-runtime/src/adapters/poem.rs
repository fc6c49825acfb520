//! poem 3 adapter (feature `poem`), written by following `docs/adapters.md`: the extractor
//! behind `#[protected]`, and the rejection response.
//!
//! The verifier comes from the route's data (`.data(verifier)`, poem's `AddData` middleware),
//! else the process-wide default; none at all is a 500.

use poem::http::HeaderValue;
use poem::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use poem::{FromRequest, Request, RequestBody, Response};

use crate::bearer::bearer_token;
use crate::guard::{Authenticated, ClaimsSlot, authenticate_extracted_async, default_verifier};
use crate::requirement::StaticRequirement;
use crate::{AuthError, Verifier};

/// The verifier for `request`: route data first, then the process-wide default.
pub fn verifier_for(request: &Request) -> Option<Verifier> {
    request
        .data::<Verifier>()
        .cloned()
        .or_else(|| default_verifier().cloned())
}

impl<'a, C: ClaimsSlot, R: StaticRequirement> FromRequest<'a> for Authenticated<C, R> {
    async fn from_request(request: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let verifier = verifier_for(request);
        authenticate_extracted_async::<C, R>(verifier.as_ref(), bearer_token(request.headers()))
            .await
            .map(Authenticated::new)
            .map_err(|error| {
                error.log();
                let realm = verifier.as_ref().map_or("api", Verifier::realm);
                poem::Error::from_response(rejection(&error, realm))
            })
    }
}

/// The response for a rejected request: status, `WWW-Authenticate`, JSON body.
pub fn rejection(error: &AuthError, realm: &str) -> Response {
    let mut response = Response::builder()
        .status(error.status())
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .body(super::rejection_body(error));
    if let Some(challenge) = error.www_authenticate(realm) {
        response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
    }
    response
}
