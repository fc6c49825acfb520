//! axum 0.8 adapter (feature `axum`): the extractor behind `#[protected]`, and the rejection
//! response.
//!
//! The verifier comes from the router's state through [`FromRef`]: put a [`Verifier`] in your
//! state (`#[derive(FromRef)]` on the state struct does it), or, for a router without state,
//! install a process-wide default with
//! [`install_default_verifier`](crate::install_default_verifier). A state type that holds no
//! verifier can point at the default:
//!
//! ```
//! use auth_runtime::axum::VerifierSource;
//! use axum_core::extract::FromRef;
//!
//! #[derive(Clone)]
//! struct AppState { /* no verifier here */ }
//!
//! impl FromRef<AppState> for VerifierSource {
//!     fn from_ref(_: &AppState) -> Self {
//!         VerifierSource::process_default()
//!     }
//! }
//! ```

use axum::extract::RawPathParams;
use axum_core::body::Body;
use axum_core::extract::{FromRef, FromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;

use crate::error::AuthError;
use crate::http::check::{AccessRequest, HttpFacts};
use crate::http::guard::{
    Authenticated, ClaimsSlot, LocationChoice, authenticate_request, refetched,
};
#[cfg(feature = "tower")]
use crate::http::layer::{VerifiedByLayer, authenticated_by_layer};
use crate::http::rejection::{AuthRejection, or_default};
use crate::http::sources::HttpView;
use crate::requirement::StaticRequirement;
use crate::verifier::Verifier;

/// Where a protected handler finds its verifier: the state's [`Verifier`], or the process-wide
/// default for a router without state.
#[derive(Debug)]
pub struct VerifierSource(Option<Verifier>);

impl VerifierSource {
    /// The process-wide default verifier, or none (requests then fail with a 500).
    pub fn process_default() -> Self {
        VerifierSource(or_default(None))
    }

    /// A given verifier.
    pub fn new(verifier: Verifier) -> Self {
        VerifierSource(Some(verifier))
    }
}

impl<S: Send + Sync> FromRef<S> for VerifierSource
where
    Verifier: FromRef<S>,
{
    fn from_ref(state: &S) -> Self {
        VerifierSource(Some(Verifier::from_ref(state)))
    }
}

impl FromRef<()> for VerifierSource {
    fn from_ref(_: &()) -> Self {
        VerifierSource::process_default()
    }
}

impl<S, C, R, L> FromRequestParts<S> for Authenticated<C, R, L>
where
    S: Send + Sync,
    VerifierSource: FromRef<S>,
    C: ClaimsSlot,
    R: StaticRequirement,
    L: LocationChoice,
{
    type Rejection = AuthRejection;

    #[cfg_attr(
        not(feature = "tower"),
        allow(
            unused_labels,
            reason = "the label is left early only behind the layer"
        )
    )]
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let VerifierSource(verifier) = VerifierSource::from_ref(state);
        let verifier = verifier.as_ref();
        let authenticated = 'verified: {
            // Behind the deny-by-default layer, the token was verified there: only this
            // handler's own requirement is left to check.
            #[cfg(feature = "tower")]
            if let Some(layer) = parts.extensions.get::<VerifiedByLayer>() {
                break 'verified authenticated_by_layer::<C, R>(layer, Some(parts.uri.path()));
            }
            let request = HttpView::of(parts);
            // Checked at once, in this future rather than a nested one; only a refusal for an
            // unknown `kid` by a verifier that can refetch its keys waits.
            match authenticate_request::<C, R, L>(verifier, &request) {
                Err(AuthError::UnknownKey) if verifier.is_some_and(Verifier::refetches_keys) => {
                    if refetched::<L>(verifier, &request).await {
                        authenticate_request::<C, R, L>(verifier, &request)
                    } else {
                        Err(AuthError::UnknownKey)
                    }
                }
                other => other,
            }
        };
        let admitted = match authenticated {
            // Boxed: the future of every other handler does not carry the check's.
            Ok(output) if C::CHECKS => Box::pin(admit::<C>(output, parts)).await,
            other => other,
        };
        admitted
            .map(Authenticated::new)
            .map_err(|error| AuthRejection::recorded(error, verifier, &HttpView::of(parts)))
    }
}

/// The handler's check function over the request, with the path parameters of its route.
async fn admit<C: ClaimsSlot>(
    output: C::Output,
    parts: &mut Parts,
) -> Result<C::Output, AuthError> {
    // Outside a router's route (a handler called by hand) there are none.
    let params = RawPathParams::from_request_parts(parts, &()).await.ok();
    let params = params.iter().flat_map(RawPathParams::iter);
    let facts = HttpFacts::of(parts).with_path_params(params);
    C::admit(output, &AccessRequest::new(&facts)).await
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        self.to_http_response().map(Body::from)
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        AuthRejection::new(self, None).into_response()
    }
}
