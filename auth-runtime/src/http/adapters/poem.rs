//! poem 3 adapter (feature `poem`), written by following `docs/adapters.md`: the extractor
//! behind `#[protected]`, and the rejection response.
//!
//! The verifier comes from the route's data (`.data(verifier)`, poem's `AddData` middleware),
//! else the process-wide default; none at all is a 500.

use poem::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use poem::{FromRequest, IntoResponse, Request, RequestBody, Response};

use crate::http::check::RequestFacts;
use crate::http::guard::{Authenticated, ClaimsSlot, LocationChoice, authenticate_request_async};
use crate::http::rejection::{AuthRejection, or_default};
use crate::http::sources::HttpView;
use crate::requirement::StaticRequirement;
use crate::verifier::Verifier;

impl<'a, C: ClaimsSlot, R: StaticRequirement, L: LocationChoice> FromRequest<'a>
    for Authenticated<C, R, L>
{
    async fn from_request(request: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        // Route data (`.data(verifier)`, poem's `AddData`) first, then the process default.
        let verifier = or_default(request.data::<Verifier>().cloned());
        let view = HttpView::new(request.headers(), request.method(), request.uri());
        authenticate_request_async::<C, R, L, _>(verifier.as_ref(), &view, || PoemFacts(request))
            .await
            .map(Authenticated::new)
            .map_err(|error| {
                let rejection = AuthRejection::logged(error, verifier.as_ref());
                poem::Error::from_response(rejection.into_response())
            })
    }
}

/// What a check function reads of a poem request.
struct PoemFacts<'r>(&'r Request);

impl RequestFacts for PoemFacts<'_> {
    fn method(&self) -> &str {
        self.0.method().as_str()
    }

    fn path(&self) -> &str {
        self.0.uri().path()
    }

    fn query(&self) -> Option<&str> {
        self.0.uri().query()
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        self.0.headers().get(name).map(|value| value.as_bytes())
    }

    fn path_param(&self, name: &str) -> Option<&str> {
        self.0.raw_path_param(name)
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let mut response = Response::builder()
            .status(self.status())
            .header(CONTENT_TYPE, self.content_type())
            .body(self.body_bytes());
        if let Some(challenge) = self.challenge() {
            response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
        }
        response
    }
}
