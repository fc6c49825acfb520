//! The one rejection every adapter sends (docs/design.md, "HTTP error contract"): the status,
//! the RFC 6750 `WWW-Authenticate` challenge with the verifier's realm, and the JSON body. Each
//! adapter only converts an [`AuthRejection`] into its framework's response type.

use std::fmt;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::HeaderValue;

use crate::error::{AuthError, Reply};
use crate::http::default_verifier::default_verifier;
use crate::verifier::Verifier;

/// The realm of a verifier built without [`realm`](crate::VerifierBuilder::realm), and of a
/// rejection with no verifier at hand.
pub const DEFAULT_REALM: &str = "api";

/// The `Content-Type` of a rejection's default body.
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// What the body of a rejection says, chosen once on the verifier
/// ([`VerifierBuilder::rejection_body`](crate::VerifierBuilder::rejection_body)). Whatever the
/// body, the status and the `WWW-Authenticate` challenge follow the contract (RFC 6750).
///
/// ```
/// use auth_runtime::{AuthError, RejectionBody};
/// # let authority = auth_runtime::testing::authority(auth_runtime::Algorithm::ES256);
/// let problems = authority.verifier().rejection_body(RejectionBody::Problem).build()?;
/// let own = authority
///     .verifier()
///     .rejection_body(RejectionBody::custom("text/plain", |error: &AuthError| {
///         format!("denied: {}", error.client_message())
///     }))
///     .build()?;
/// # let _ = (problems, own);
/// # Ok::<(), auth_runtime::ConfigError>(())
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum RejectionBody {
    /// `{"error": <code>, "error_description": <message>}` as `application/json`: the RFC 6750
    /// error code (`unauthorized` without one, `csrf_failed`, `server_error`) and the
    /// client-safe message. The default.
    #[default]
    Json,
    /// RFC 9457 problem details as `application/problem+json`: `type` `about:blank`, `title`
    /// the status's reason phrase, `status`, `detail` the client-safe message, and `error` the
    /// code of [`RejectionBody::Json`] as an extension member.
    Problem,
    /// Your own body: `render` makes it from the error (tell the client no more than
    /// [`AuthError::client_message`] does), sent as `content_type`.
    Custom {
        /// The `Content-Type` of the body.
        content_type: HeaderValue,
        /// Makes the body of a rejection.
        render: Arc<dyn Fn(&AuthError) -> String + Send + Sync>,
    },
}

impl RejectionBody {
    /// A body of your own, sent as `content_type` (a static header value).
    ///
    /// # Panics
    ///
    /// If `content_type` is not a valid header value (a control character in the literal):
    /// a mistake in the program, found when the verifier is configured, never on a request.
    pub fn custom(
        content_type: &'static str,
        render: impl Fn(&AuthError) -> String + Send + Sync + 'static,
    ) -> Self {
        RejectionBody::Custom {
            content_type: HeaderValue::from_static(content_type),
            render: Arc::new(render),
        }
    }

    fn content_type(&self) -> HeaderValue {
        match self {
            RejectionBody::Json => JSON,
            RejectionBody::Problem => HeaderValue::from_static("application/problem+json"),
            RejectionBody::Custom { content_type, .. } => content_type.clone(),
        }
    }

    /// The body of `reply`, when it does not depend on the error itself.
    fn rendered(&self, reply: Reply) -> Option<Bytes> {
        match self {
            RejectionBody::Json => Some(Bytes::from_static(reply.body().as_bytes())),
            RejectionBody::Problem => {
                let status = reply.status();
                let problem = serde_json::json!({
                    "type": "about:blank",
                    "title": status.canonical_reason().unwrap_or("Error"),
                    "status": status.as_u16(),
                    "detail": reply.message(),
                    "error": reply.body_code(),
                });
                Some(Bytes::from(problem.to_string()))
            }
            RejectionBody::Custom { .. } => None,
        }
    }
}

impl fmt::Debug for RejectionBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RejectionBody::Json => f.write_str("Json"),
            RejectionBody::Problem => f.write_str("Problem"),
            RejectionBody::Custom { content_type, .. } => f
                .debug_struct("Custom")
                .field("content_type", content_type)
                .finish_non_exhaustive(),
        }
    }
}

/// The verifier a request uses: the one its framework's state or its extensions hold, else the
/// process-wide default ([`install_default_verifier`](crate::install_default_verifier)).
pub(crate) fn or_default(verifier: Option<Verifier>) -> Option<Verifier> {
    verifier.or_else(|| default_verifier().cloned())
}

/// The challenge and the body of every [`Reply`] in one realm, rendered once (when the
/// verifier is built): a rejection then costs no formatting and no allocation (unless a body of
/// the user's own renders each one).
#[derive(Clone)]
pub(crate) struct Challenges {
    realm: String,
    by_reply: [Option<HeaderValue>; Reply::ALL.len()],
    style: RejectionBody,
    content_type: HeaderValue,
    bodies: [Option<Bytes>; Reply::ALL.len()],
}

impl Challenges {
    pub(crate) fn new(realm: String, style: RejectionBody) -> Challenges {
        let by_reply = Reply::ALL.map(|reply| reply.challenge(&realm));
        let bodies = Reply::ALL.map(|reply| style.rendered(reply));
        Challenges {
            realm,
            by_reply,
            content_type: style.content_type(),
            style,
            bodies,
        }
    }

    pub(crate) fn realm(&self) -> &str {
        &self.realm
    }

    fn of(&self, reply: Reply) -> Option<HeaderValue> {
        self.by_reply[reply.index()].clone()
    }

    fn body(&self, error: &AuthError) -> Bytes {
        match (&self.bodies[error.reply().index()], &self.style) {
            (Some(body), _) => body.clone(),
            (None, RejectionBody::Custom { render, .. }) => Bytes::from(render(error)),
            (None, _) => Bytes::from_static(error.reply().body().as_bytes()),
        }
    }
}

/// The challenges of [`DEFAULT_REALM`], for a rejection with no verifier at hand.
fn default_challenges() -> &'static Arc<Challenges> {
    static DEFAULT: OnceLock<Arc<Challenges>> = OnceLock::new();
    DEFAULT.get_or_init(|| {
        Arc::new(Challenges::new(
            DEFAULT_REALM.to_owned(),
            RejectionBody::Json,
        ))
    })
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
#[derive(Clone)]
pub struct AuthRejection {
    error: AuthError,
    /// The refusing verifier's rendered challenges and bodies (shared, not copied).
    rendered: Arc<Challenges>,
}

impl PartialEq for AuthRejection {
    fn eq(&self, other: &Self) -> bool {
        self.error == other.error
            && self.challenge() == other.challenge()
            && self.content_type() == other.content_type()
            && self.body_bytes() == other.body_bytes()
    }
}

impl Eq for AuthRejection {}

impl fmt::Debug for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRejection")
            .field("error", &self.error)
            .field("challenge", &self.challenge())
            .field("content_type", &self.content_type())
            .finish_non_exhaustive()
    }
}

impl AuthRejection {
    /// The rejection of `error` by `verifier` (its realm), or by the process default verifier
    /// when `None` (else [`DEFAULT_REALM`]).
    pub fn new(error: AuthError, verifier: Option<&Verifier>) -> Self {
        let challenges = match verifier {
            Some(verifier) => verifier.challenges(),
            None => default_verifier().map_or_else(default_challenges, Verifier::challenges),
        };
        AuthRejection {
            error,
            rendered: Arc::clone(challenges),
        }
    }

    /// Logs the precise cause (see [`AuthError::log`]), then builds the rejection: what an
    /// adapter does with a failed check.
    #[cfg(any(
        feature = "axum",
        feature = "actix-web",
        feature = "poem",
        feature = "tonic",
        feature = "tower",
        feature = "rocket",
        feature = "salvo"
    ))]
    pub(crate) fn logged(error: AuthError, verifier: Option<&Verifier>) -> Self {
        error.log();
        Self::new(error, verifier)
    }

    /// Records the refusal of `request` in the metrics and audit events
    /// ([`observe`](crate::observe)), then [`logged`](Self::logged): what an adapter that runs
    /// the guard's steps itself does with a failed check (the async entries of the guard
    /// record their own decisions).
    #[cfg(any(
        feature = "axum",
        feature = "actix-web",
        feature = "tonic",
        feature = "tower"
    ))]
    pub(crate) fn recorded(
        error: AuthError,
        verifier: Option<&Verifier>,
        request: &impl crate::http::sources::RequestView,
    ) -> Self {
        crate::observe::refused(verifier, &error, request);
        Self::logged(error, verifier)
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
        self.rendered.of(self.error.reply())
    }

    /// The body (by default the JSON of the RFC 6750 error code, `unauthorized` when there is
    /// none, and the client-safe message; see [`RejectionBody`]).
    pub fn body(&self) -> String {
        String::from_utf8_lossy(&self.body_bytes()).into_owned()
    }

    /// The body as bytes, for a framework's response: shared with the verifier, not copied
    /// (rendered here only for a body of the application's own).
    pub fn body_bytes(&self) -> Bytes {
        self.rendered.body(&self.error)
    }

    /// The `Content-Type` of the body.
    pub fn content_type(&self) -> HeaderValue {
        self.rendered.content_type.clone()
    }

    /// The whole response as an `http` 1.x response, for frameworks built on `http`.
    pub fn to_http_response(&self) -> http::Response<Bytes> {
        let mut response = http::Response::new(self.body_bytes());
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(http::header::CONTENT_TYPE, self.content_type());
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
