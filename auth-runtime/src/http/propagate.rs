//! Calling another service on the caller's behalf: the incoming bearer token goes on the
//! outgoing request, so service B checks the same user as service A did.

use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue};

use crate::AuthError;
use crate::http::bearer::{bearer_token, parse_authorization};

/// `Bearer <token>` as a header value; the token must be a valid bearer token.
pub fn bearer_header(token: &str) -> Result<HeaderValue, AuthError> {
    let value = format!("Bearer {token}");
    parse_authorization(value.as_bytes())?;
    HeaderValue::from_str(&value).map_err(|_| AuthError::InvalidCharacter)
}

/// Copies the incoming request's bearer token onto outgoing headers (replacing any
/// `Authorization` there). Fails, copying nothing, when the incoming request has no single
/// well-formed bearer token.
///
/// ```
/// use auth_runtime::propagate::forward_bearer;
/// use http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
/// let mut incoming = HeaderMap::new();
/// incoming.insert(AUTHORIZATION, HeaderValue::from_static("bearer abc.def.ghi"));
/// let mut outgoing = HeaderMap::new();
/// forward_bearer(&incoming, &mut outgoing)?;
/// assert_eq!(outgoing[AUTHORIZATION], "Bearer abc.def.ghi");
/// # Ok::<(), auth_runtime::AuthError>(())
/// ```
pub fn forward_bearer(incoming: &HeaderMap, outgoing: &mut HeaderMap) -> Result<(), AuthError> {
    let value = bearer_header(bearer_token(incoming)?)?;
    outgoing.insert(AUTHORIZATION, value);
    Ok(())
}

/// Forwarding on a `reqwest` request (feature `jwks`, which brings reqwest).
#[cfg(feature = "jwks")]
pub trait ForwardBearer: Sized {
    /// Adds the incoming request's bearer token to this request.
    fn forward_bearer(self, incoming: &HeaderMap) -> Result<Self, AuthError>;
}

#[cfg(feature = "jwks")]
impl ForwardBearer for reqwest::RequestBuilder {
    fn forward_bearer(self, incoming: &HeaderMap) -> Result<Self, AuthError> {
        let value = bearer_header(bearer_token(incoming)?)?;
        Ok(self.header(AUTHORIZATION, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwards_only_a_valid_token() {
        let mut outgoing = HeaderMap::new();
        outgoing.insert(AUTHORIZATION, HeaderValue::from_static("Basic old"));
        assert_eq!(
            forward_bearer(&HeaderMap::new(), &mut outgoing),
            Err(AuthError::MissingCredentials)
        );
        assert_eq!(
            outgoing[AUTHORIZATION], "Basic old",
            "nothing copied on failure"
        );
        let mut incoming = HeaderMap::new();
        incoming.insert(AUTHORIZATION, HeaderValue::from_static("Bearer a b"));
        assert!(forward_bearer(&incoming, &mut outgoing).is_err());
        incoming.insert(AUTHORIZATION, HeaderValue::from_static("BEARER x.y.z"));
        assert_eq!(forward_bearer(&incoming, &mut outgoing), Ok(()));
        assert_eq!(outgoing[AUTHORIZATION], "Bearer x.y.z");
        assert!(bearer_header("a\nb").is_err());
    }
}
