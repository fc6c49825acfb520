//! tonic adapter (feature `tonic`): gRPC between services.
//!
//! - `#[protected(from = request)]` on a service method reads the token from the request's
//!   metadata (`authorization: Bearer ...`); a failure returns a [`Status`]:
//!   `UNAUTHENTICATED`, `PERMISSION_DENIED` (missing role), `INVALID_ARGUMENT` (malformed
//!   header) or `INTERNAL` (no verifier), with the RFC 6750 challenge in the
//!   `www-authenticate` metadata entry.
//! - [`interceptor`] protects a whole service: it verifies every call and leaves the
//!   [`Claims`] in the request's extensions.
//!
//! The verifier is the one an interceptor or layer put in the request's extensions, else the
//! process-wide default.

use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::service::Interceptor;
use tonic::{Code, Request, Status};

use crate::error::{AuthError, ErrorClass};
use crate::http::bearer::bearer_from_values;
use crate::http::guard::TokenSource;
use crate::http::rejection::{AuthRejection, or_default};
use crate::http::sources::RequestView;
use crate::requirement::Requirement;
use crate::token::claims::Claims;
use crate::verifier::Verifier;

impl<T> TokenSource for Request<T> {
    fn bearer_token(&self) -> Result<&str, AuthError> {
        metadata_bearer(self.metadata())
    }

    fn verifier(&self) -> Option<Verifier> {
        or_default(self.extensions().get::<Verifier>().cloned())
    }
}

impl TokenSource for MetadataMap {
    fn bearer_token(&self) -> Result<&str, AuthError> {
        metadata_bearer(self)
    }
}

/// A call's metadata as the token locations read it: its ASCII entries are the HTTP/2 headers,
/// and every call is a `POST`.
struct MetadataView<'r>(&'r MetadataMap);

impl RequestView for MetadataView<'_> {
    fn header_values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.0.get_all(name).iter().map(|value| value.as_bytes())
    }

    fn is_safe_method(&self) -> Option<bool> {
        Some(false)
    }

    fn query(&self) -> Option<&str> {
        None
    }
}

fn metadata_bearer(metadata: &MetadataMap) -> Result<&str, AuthError> {
    bearer_from_values(
        metadata
            .get_all("authorization")
            .iter()
            .map(|value| value.as_bytes()),
    )
}

/// With the realm of the process default verifier (the interceptor uses its own verifier's).
impl From<AuthError> for Status {
    fn from(error: AuthError) -> Status {
        Status::from(AuthRejection::new(error, None))
    }
}

/// The gRPC status of a rejection, with the RFC 6750 challenge in the `www-authenticate`
/// metadata entry.
impl From<AuthRejection> for Status {
    fn from(rejection: AuthRejection) -> Status {
        let code = match rejection.error().class() {
            ErrorClass::NoCredentials | ErrorClass::InvalidToken => Code::Unauthenticated,
            ErrorClass::InvalidRequest => Code::InvalidArgument,
            ErrorClass::InsufficientScope | ErrorClass::CrossSiteRequest => Code::PermissionDenied,
            ErrorClass::ServerError => Code::Internal,
            ErrorClass::NotFound => Code::NotFound,
            ErrorClass::Unavailable => Code::Unavailable,
        };
        let mut metadata = MetadataMap::new();
        if let Some(challenge) = rejection.challenge()
            && let Ok(value) = MetadataValue::try_from(challenge.as_bytes())
        {
            metadata.insert("www-authenticate", value);
        }
        Status::with_metadata(code, rejection.error().client_message(), metadata)
    }
}

/// Protects every method of a service: verifies the bearer token of each call, checks the
/// optional requirement, and inserts the [`Claims`] into the request's extensions.
///
/// ```
/// use auth_runtime::tonic::interceptor;
/// # let (_, verifier) = auth_runtime::testing::pair(auth_runtime::Algorithm::ES256);
/// let guard = interceptor(Some(verifier)).require(auth_runtime::Requirement::any_role(["user"]));
/// // GreeterServer::with_interceptor(service, guard)
/// # let _ = guard;
/// ```
pub fn interceptor(verifier: Option<Verifier>) -> AuthInterceptor {
    AuthInterceptor {
        verifier,
        requirement: None,
    }
}

/// See [`interceptor`].
#[derive(Clone, Debug)]
pub struct AuthInterceptor {
    verifier: Option<Verifier>,
    requirement: Option<Requirement>,
}

impl AuthInterceptor {
    /// Also requires roles or scopes of every call.
    pub fn require(mut self, requirement: Requirement) -> Self {
        self.requirement = Some(requirement);
        self
    }

    fn check(
        &self,
        verifier: Option<&Verifier>,
        request: &Request<()>,
    ) -> Result<Claims, AuthError> {
        let verifier = verifier.ok_or(AuthError::VerifierMissing)?;
        let verified = verifier.verify_request(&MetadataView(request.metadata()))?;
        if let Some(requirement) = &self.requirement {
            requirement.check(verified.claims())?;
        }
        crate::observe::allowed(Some(verified.claims()), None);
        Ok(verified.into_claims())
    }
}

impl Interceptor for AuthInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let verifier = self.verifier.clone().or_else(|| request.verifier());
        match self.check(verifier.as_ref(), &request) {
            Ok(claims) => {
                if let Some(verifier) = &self.verifier {
                    request.extensions_mut().insert(verifier.clone());
                }
                request.extensions_mut().insert(claims);
                Ok(request)
            }
            Err(error) => {
                let view = MetadataView(request.metadata());
                Err(AuthRejection::recorded(error, verifier.as_ref(), &view).into())
            }
        }
    }
}
