//! The outbound side (feature `outbound`): tokens a service sends, not ones it checks. A
//! [`ServiceTokenSource`] fetches the service's own token (client credentials) and keeps it
//! fresh; an [`ExchangingTokenSource`] turns a caller's token into one for another audience
//! (token exchange, RFC 8693). Either attaches its token to a `reqwest` request or a tonic
//! call in one line, through [`Authorize`].

mod endpoint;
mod exchanging;
mod service_token;

use std::fmt;
use std::time::Duration;

pub use exchanging::{ExchangingTokenSource, ExchangingTokenSourceBuilder};
pub use service_token::{ServiceTokenSource, ServiceTokenSourceBuilder};

use crate::keys::signing::SigningKey;

/// How the service authenticates at the token endpoint.
#[derive(Clone)]
pub enum ClientAuthentication {
    /// `client_secret_basic`: id and secret in `Authorization: Basic`.
    SecretBasic {
        /// The client id.
        id: String,
        /// The secret.
        secret: String,
    },
    /// `client_secret_post`: id and secret in the form body.
    SecretPost {
        /// The client id.
        id: String,
        /// The secret.
        secret: String,
    },
    /// `private_key_jwt` (RFC 7523): a short-lived assertion signed with `key`, a new `jti`
    /// each time.
    PrivateKeyJwt {
        /// The client id.
        id: String,
        /// The client's private key (boxed: it is much larger than a secret).
        key: Box<SigningKey>,
    },
}

impl ClientAuthentication {
    /// `client_secret_basic` with `id` and `secret`.
    pub fn secret_basic(id: impl Into<String>, secret: impl Into<String>) -> Self {
        ClientAuthentication::SecretBasic {
            id: id.into(),
            secret: secret.into(),
        }
    }

    /// `client_secret_post` with `id` and `secret`.
    pub fn secret_post(id: impl Into<String>, secret: impl Into<String>) -> Self {
        ClientAuthentication::SecretPost {
            id: id.into(),
            secret: secret.into(),
        }
    }

    /// `private_key_jwt` with `id` and its private `key`.
    pub fn private_key_jwt(id: impl Into<String>, key: SigningKey) -> Self {
        ClientAuthentication::PrivateKeyJwt {
            id: id.into(),
            key: Box::new(key),
        }
    }

    /// The client id.
    pub fn id(&self) -> &str {
        match self {
            ClientAuthentication::SecretBasic { id, .. }
            | ClientAuthentication::SecretPost { id, .. }
            | ClientAuthentication::PrivateKeyJwt { id, .. } => id,
        }
    }
}

impl fmt::Debug for ClientAuthentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secret or the key.
        let method = match self {
            ClientAuthentication::SecretBasic { .. } => "client_secret_basic",
            ClientAuthentication::SecretPost { .. } => "client_secret_post",
            ClientAuthentication::PrivateKeyJwt { .. } => "private_key_jwt",
        };
        f.debug_struct("ClientAuthentication")
            .field("id", &self.id())
            .field("method", &method)
            .finish_non_exhaustive()
    }
}

/// Timings and limits of a token source.
#[derive(Debug, Clone)]
pub struct OutboundConfig {
    /// The share of a token's lifetime after which it is refreshed in the background, while
    /// still handed out (default 0.75).
    pub refresh_at: f64,
    /// A random share of the lifetime taken off the refresh time, so that replicas do not
    /// refresh together (default 0.1).
    pub jitter: f64,
    /// A token is not handed out in its last `skew`, so it does not expire in transit
    /// (default 10 s).
    pub skew: Duration,
    /// The first wait after a failed fetch; it doubles up to `max_backoff` (default 1 s).
    pub min_backoff: Duration,
    /// The longest wait between failed fetches (default 60 s).
    pub max_backoff: Duration,
    /// Whole-request timeout of one fetch (default 10 s).
    pub timeout: Duration,
    /// Largest response accepted, in bytes (default 64 KiB).
    pub max_response_bytes: usize,
    /// Allows plain `http://` token endpoints on other hosts than loopback, which would send
    /// the client's secret in the clear (never in production; default `false`).
    pub allow_insecure_http: bool,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        OutboundConfig {
            refresh_at: 0.75,
            jitter: 0.1,
            skew: Duration::from_secs(10),
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
            max_response_bytes: 64 * 1024,
            allow_insecure_http: false,
        }
    }
}

/// Why a token source has no token to give.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutboundError {
    /// The configuration cannot work (an unusable URL, a key that cannot sign).
    #[error("token source misconfigured: {0}")]
    Config(String),
    /// The token endpoint could not be reached or did not answer in time.
    #[error("the token endpoint {url} could not be reached: {reason}")]
    Request {
        /// The endpoint.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The token endpoint refused (RFC 6749 section 5.2).
    #[error("the token endpoint refused with {status}: {error} ({description})")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The `error` code, or `unknown`.
        error: String,
        /// The `error_description`, if any.
        description: String,
    },
    /// The answer was not a token response.
    #[error("the token endpoint's answer is not a token response: {0}")]
    InvalidResponse(String),
    /// No valid token, and the last fetch failed a moment ago: the next one is not tried
    /// before the backoff ends.
    #[error("no valid token; the last fetch failed ({last}); retrying after a backoff")]
    Unavailable {
        /// The last fetch's failure.
        last: String,
    },
}

/// A request a token can be attached to as `Authorization: Bearer`: a `reqwest` request, a
/// tonic request (feature `tonic`).
pub trait Authorize: Sized {
    /// The request with the `Authorization` header `value` (`Bearer <token>`, marked
    /// sensitive, built once per token).
    fn with_authorization(self, value: &http::HeaderValue) -> Result<Self, OutboundError>;
}

impl Authorize for reqwest::RequestBuilder {
    fn with_authorization(self, value: &http::HeaderValue) -> Result<Self, OutboundError> {
        Ok(self.header(http::header::AUTHORIZATION, value.clone()))
    }
}

#[cfg(feature = "tonic")]
impl<T> Authorize for tonic::Request<T> {
    fn with_authorization(mut self, value: &http::HeaderValue) -> Result<Self, OutboundError> {
        let value =
            tonic::metadata::AsciiMetadataValue::try_from(value.as_bytes()).map_err(|_| {
                OutboundError::InvalidResponse("a token that no header can carry".into())
            })?;
        self.metadata_mut().insert("authorization", value);
        Ok(self)
    }
}

/// `Authorization: Bearer <token>`, marked sensitive; an error for a token no header can
/// carry.
pub(crate) fn bearer_header(token: &str) -> Result<http::HeaderValue, OutboundError> {
    let mut value = http::HeaderValue::try_from(format!("Bearer {token}"))
        .map_err(|_| OutboundError::InvalidResponse("a token that no header can carry".into()))?;
    value.set_sensitive(true);
    Ok(value)
}
