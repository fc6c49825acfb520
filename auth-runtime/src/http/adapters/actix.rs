//! actix-web 4 adapter (feature `actix-web`): the extractor behind `#[protected]`, and the
//! rejection response.
//!
//! The verifier comes from the application data: `web::Data<Verifier>` (or a plain
//! `Verifier` registered with `App::app_data`), else the process-wide default installed with
//! [`install_default_verifier`](crate::install_default_verifier); none at all is a 500.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};

use crate::error::AuthError;
use crate::http::check::{AccessRequest, RequestFacts};
use crate::http::guard::{
    Authenticated, ClaimsSlot, LocationChoice, VerifierLocations, authenticate_request,
    presented_owned, presented_text,
};
use crate::http::rejection::{AuthRejection, or_default};
use crate::http::sources::{RequestView, is_safe_method};
use crate::requirement::StaticRequirement;
use crate::verifier::Verifier;

/// The verifier for `request`: application data first, then the process-wide default.
fn verifier_for(request: &HttpRequest) -> Option<Verifier> {
    let from_data = request
        .app_data::<web::Data<Verifier>>()
        .map(|data| data.get_ref().clone())
        .or_else(|| request.app_data::<Verifier>().cloned());
    or_default(from_data)
}

impl<C: ClaimsSlot, R: StaticRequirement, L: LocationChoice> FromRequest
    for Authenticated<C, R, L>
{
    type Error = AuthRejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AuthRejection>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verifier = verifier_for(request);
        // Checked at once; only a refusal for an unknown `kid` by a verifier that can refetch
        // its keys waits, for the refetch, and is checked once more.
        let first = authenticate_request::<C, R, L>(verifier.as_ref(), &ActixView(request));
        let retry = match (&first, &verifier) {
            (Err(AuthError::UnknownKey), Some(v)) if v.refetches_keys() => {
                presented_text::<L>(v, &ActixView(request))
            }
            _ => None,
        };
        // The request itself (a reference count), for a refetch, a check or a refusal.
        let request = request.clone();
        Box::pin(async move {
            let result = match (retry, &verifier) {
                (Some(token), Some(v)) => {
                    if v.refetch_keys_for(&token).await {
                        authenticate_request::<C, R, L>(verifier.as_ref(), &ActixView(&request))
                    } else {
                        Err(AuthError::UnknownKey)
                    }
                }
                _ => first,
            };
            let result = match result {
                Ok(output) if C::CHECKS => {
                    C::admit(output, &AccessRequest::new(&ActixFacts::of(&request))).await
                }
                other => other,
            };
            result.map(Authenticated::new).map_err(|error| {
                AuthRejection::recorded(error, verifier.as_ref(), &ActixView(&request))
            })
        })
    }
}

/// What a check function reads of an actix-web request: borrowed from its parts that may be
/// shared between threads (the request itself may not).
struct ActixFacts<'r> {
    method: &'r str,
    uri: &'r actix_web::http::Uri,
    headers: &'r actix_web::http::header::HeaderMap,
    params: &'r actix_web::dev::Path<actix_web::dev::Url>,
}

impl<'r> ActixFacts<'r> {
    fn of(request: &'r HttpRequest) -> Self {
        ActixFacts {
            method: request.method().as_str(),
            uri: request.uri(),
            headers: request.headers(),
            params: request.match_info(),
        }
    }
}

impl RequestFacts for ActixFacts<'_> {
    fn method(&self) -> &str {
        self.method
    }

    fn path(&self) -> &str {
        self.uri.path()
    }

    fn query(&self) -> Option<&str> {
        self.uri.query()
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.get(name).map(HeaderValue::as_bytes)
    }

    fn path_param(&self, name: &str) -> Option<&str> {
        self.params.get(name)
    }
}

/// The token `request` carries, read where its verifier's
/// [token locations](crate::VerifierBuilder::token_locations) say: the `Authorization` header's,
/// a cookie's, a gateway header's. Not verified here: this is for a protected handler that
/// forwards its caller's token to another service, after its own check let the request in.
///
/// ```
/// # extern crate auth_runtime as auth;
/// # use auth_macros::protected;
/// use actix_web::{HttpRequest, HttpResponse};
/// use auth::{AuthError, Claims};
///
/// #[protected]
/// async fn report(claims: Claims, request: HttpRequest) -> Result<HttpResponse, AuthError> {
///     let token = auth::actix::presented_token(&request)?;
///     // ... call another service with `Authorization: Bearer {token}`
///     # let _ = (claims, token);
///     Ok(HttpResponse::Ok().finish())
/// }
/// ```
pub fn presented_token(request: &HttpRequest) -> Result<String, AuthError> {
    let verifier = verifier_for(request).ok_or(AuthError::VerifierMissing)?;
    presented_owned::<VerifierLocations>(&verifier, &ActixView(request))
}

/// An actix-web request as the token locations read it.
struct ActixView<'r>(&'r HttpRequest);

impl RequestView for ActixView<'_> {
    fn header_values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.0.headers().get_all(name).map(HeaderValue::as_bytes)
    }

    fn is_safe_method(&self) -> Option<bool> {
        Some(is_safe_method(self.0.method().as_str()))
    }

    fn query(&self) -> Option<&str> {
        Some(self.0.query_string())
    }

    fn path(&self) -> Option<&str> {
        Some(self.0.path())
    }
}

impl ResponseError for AuthRejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if let Ok(content_type) = HeaderValue::from_bytes(self.content_type().as_bytes()) {
            response.insert_header((CONTENT_TYPE, content_type));
        }
        if let Some(challenge) = self.challenge()
            && let Ok(value) = HeaderValue::from_bytes(challenge.as_bytes())
        {
            response.insert_header((WWW_AUTHENTICATE, value));
        }
        response.body(self.body_bytes())
    }
}

/// `AuthError` as an actix-web error, for handlers that check by hand and return `?`.
impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        AuthRejection::new(self.clone(), None).error_response()
    }
}
