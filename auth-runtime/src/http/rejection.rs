//! The one rejection every adapter sends (docs/design.md, "HTTP error contract"): the status,
//! the RFC 6750 `WWW-Authenticate` challenge with the verifier's realm, and the JSON body. Each
//! adapter only converts an [`AuthRejection`] into its framework's response type.

use http::HeaderValue;

use crate::error::{AuthError, ErrorClass};
use crate::http::default_verifier::default_verifier;
use crate::verifier::Verifier;

/// The realm of a verifier built without [`realm`](crate::VerifierBuilder::realm), and of a
/// rejection with no verifier at hand.
pub const DEFAULT_REALM: &str = "api";

/// The `Content-Type` of a rejection's body.
pub(crate) const CONTENT_TYPE: HeaderValue = HeaderValue::from_static("application/json");

/// The verifier a request uses: the one its framework's state or its extensions hold, else the
/// process-wide default ([`install_default_verifier`](crate::install_default_verifier)).
pub(crate) fn or_default(verifier: Option<Verifier>) -> Option<Verifier> {
    verifier.or_else(|| default_verifier().cloned())
}

/// A refused request: [`AuthError`]'s status, `WWW-Authenticate` challenge and JSON body, with
/// the realm of the verifier that refused it. Every adapter turns it into its framework's
/// response (`IntoResponse` for axum and poem, `ResponseError` for actix-web, `Status` for
/// tonic).
///
/// ```
/// use auth_runtime::{AuthError, AuthRejection};
/// let rejection = AuthRejection::new(AuthError::Expired, None);
/// assert_eq!(rejection.status(), 401);
/// assert_eq!(
///     rejection.challenge().unwrap(),
///     r#"Bearer realm="api", error="invalid_token", error_description="the access token expired""#
/// );
/// assert_eq!(
///     rejection.body(),
///     r#"{"error":"invalid_token","error_description":"the access token expired"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRejection {
    /// Why.
    pub error: AuthError,
    /// The realm named in the challenge.
    pub realm: String,
}

impl AuthRejection {
    /// The rejection of `error` by `verifier` (its realm), or by the process default verifier
    /// when `None` (else [`DEFAULT_REALM`]).
    pub fn new(error: AuthError, verifier: Option<&Verifier>) -> Self {
        let realm = match verifier {
            Some(verifier) => verifier.realm(),
            None => default_verifier().map_or(DEFAULT_REALM, Verifier::realm),
        }
        .to_owned();
        AuthRejection { error, realm }
    }

    /// Logs the precise cause (see [`AuthError::log`]), then builds the rejection: what an
    /// adapter does with a failed check.
    #[cfg(any(
        feature = "axum",
        feature = "actix-web",
        feature = "poem",
        feature = "tonic"
    ))]
    pub(crate) fn logged(error: AuthError, verifier: Option<&Verifier>) -> Self {
        error.log();
        Self::new(error, verifier)
    }

    /// The HTTP status.
    pub fn status(&self) -> http::StatusCode {
        self.error.status()
    }

    /// The `WWW-Authenticate` challenge; `None` for a server error.
    pub fn challenge(&self) -> Option<HeaderValue> {
        self.error.www_authenticate(&self.realm)
    }

    /// The JSON body: the RFC 6750 error code (`unauthorized` when there is none, as for a
    /// request without credentials; `server_error` for a 500) and the client-safe message.
    pub fn body(&self) -> String {
        let code = self.error.error_code().unwrap_or(match self.error.class() {
            ErrorClass::ServerError => "server_error",
            _ => "unauthorized",
        });
        serde_json::json!({ "error": code, "error_description": self.error.client_message() })
            .to_string()
    }

    /// The whole response as an `http` 1.x response, for frameworks built on `http`.
    pub fn to_http_response(&self) -> http::Response<String> {
        let mut response = http::Response::new(self.body());
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(http::header::CONTENT_TYPE, CONTENT_TYPE);
        if let Some(challenge) = self.challenge() {
            headers.insert(http::header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

impl std::fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.error.client_message())
    }
}
