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
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};

use crate::error::AuthError;
use crate::http::bearer::presented_from_values;
use crate::http::guard::{Authenticated, ClaimsSlot, authenticate_presented_async};
use crate::http::rejection::{AuthRejection, or_default};
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

impl<C: ClaimsSlot, R: StaticRequirement> FromRequest for Authenticated<C, R> {
    type Error = AuthRejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AuthRejection>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verifier = verifier_for(request);
        let values = request
            .headers()
            .get_all(AUTHORIZATION)
            .map(HeaderValue::as_bytes);
        // Owned, so the future does not borrow the request.
        let token = presented_from_values(values).map(<[u8]>::to_vec);
        Box::pin(async move {
            let token = token.as_deref().map_err(Clone::clone);
            authenticate_presented_async::<C, R>(verifier.as_ref(), token)
                .await
                .map(Authenticated::new)
                .map_err(|error| AuthRejection::logged(error, verifier.as_ref()))
        })
    }
}

impl ResponseError for AuthRejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((CONTENT_TYPE, "application/json"));
        if let Some(challenge) = self.challenge()
            && let Ok(value) = HeaderValue::from_bytes(challenge.as_bytes())
        {
            response.insert_header((WWW_AUTHENTICATE, value));
        }
        response.body(self.body())
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
