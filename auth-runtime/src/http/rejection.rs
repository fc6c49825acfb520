//! The one rejection every adapter sends (docs/design.md, "HTTP error contract"): the status,
//! the RFC 6750 `WWW-Authenticate` challenge with the verifier's realm, and the JSON body. Each
//! adapter only converts an [`AuthRejection`] into its framework's response type.

use http::HeaderValue;

use std::sync::OnceLock;

use crate::error::{AuthError, Reply};
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

/// The challenge of every [`Reply`] in one realm, rendered once (when the verifier is built):
/// a rejection then costs no formatting and no allocation.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Challenges {
    realm: String,
    by_reply: [Option<HeaderValue>; Reply::ALL.len()],
}

impl Challenges {
    pub(crate) fn new(realm: String) -> Challenges {
        let by_reply = Reply::ALL.map(|reply| reply.challenge(&realm));
        Challenges { realm, by_reply }
    }

    pub(crate) fn realm(&self) -> &str {
        &self.realm
    }

    fn of(&self, reply: Reply) -> Option<HeaderValue> {
        self.by_reply[reply.index()].clone()
    }
}

/// The challenges of [`DEFAULT_REALM`], for a rejection with no verifier at hand.
fn default_challenges() -> &'static Challenges {
    static DEFAULT: OnceLock<Challenges> = OnceLock::new();
    DEFAULT.get_or_init(|| Challenges::new(DEFAULT_REALM.to_owned()))
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
/// assert_eq!(rejection.error(), &AuthError::Expired);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRejection {
    error: AuthError,
    challenge: Option<HeaderValue>,
}

impl AuthRejection {
    /// The rejection of `error` by `verifier` (its realm), or by the process default verifier
    /// when `None` (else [`DEFAULT_REALM`]).
    pub fn new(error: AuthError, verifier: Option<&Verifier>) -> Self {
        let challenges = match verifier {
            Some(verifier) => verifier.challenges(),
            None => default_verifier().map_or_else(default_challenges, Verifier::challenges),
        };
        let challenge = challenges.of(error.reply());
        AuthRejection { error, challenge }
    }

    /// Logs the precise cause (see [`AuthError::log`]), then builds the rejection: what an
    /// adapter does with a failed check.
    #[cfg(any(
        feature = "axum",
        feature = "actix-web",
        feature = "poem",
        feature = "tonic",
        feature = "tower"
    ))]
    pub(crate) fn logged(error: AuthError, verifier: Option<&Verifier>) -> Self {
        error.log();
        Self::new(error, verifier)
    }

    /// Why.
    pub fn error(&self) -> &AuthError {
        &self.error
    }

    /// The HTTP status.
    pub fn status(&self) -> http::StatusCode {
        self.error.status()
    }

    /// The `WWW-Authenticate` challenge; `None` for a server error.
    pub fn challenge(&self) -> Option<HeaderValue> {
        self.challenge.clone()
    }

    /// The JSON body: the RFC 6750 error code (`unauthorized` when there is none, as for a
    /// request without credentials; `server_error` for a 500) and the client-safe message.
    pub fn body(&self) -> &'static str {
        self.error.reply().body()
    }

    /// The whole response as an `http` 1.x response, for frameworks built on `http`.
    pub fn to_http_response(&self) -> http::Response<&'static str> {
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
