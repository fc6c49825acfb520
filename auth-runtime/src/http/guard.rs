//! What an adapter needs to protect handlers in a framework (docs/adapters.md): the extractor
//! type [`Authenticated`] that `#[protected]` rewrites a claims parameter to, the async check
//! [`authenticate_extracted_async`] that extractor-style adapters call, and [`TokenSource`], the
//! token-source entry of the explicit-source style (`#[protected(from = request)]`).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use http::HeaderMap;

use crate::error::AuthError;
use crate::http::bearer::bearer_token;
use crate::http::expansion::authenticate_extracted;
use crate::http::rejection::or_default;
use crate::verifier::{VerifiedToken, Verifier};

use crate::requirement::NoRequirement;
pub use crate::requirement::StaticRequirement;

/// How a handler takes its claims: required or optional.
pub trait ClaimsSlot: Send + 'static {
    /// What the handler receives.
    type Output: Send + 'static;
    /// Whether a request without credentials passes (with no claims).
    const OPTIONAL: bool;
    /// Builds the output from verified claims.
    fn present(verified: VerifiedToken) -> Result<Self::Output, AuthError>;
    /// The output for a request without credentials, when optional.
    fn absent() -> Option<Self::Output>;
}

/// The check of a protected handler, for async adapters: the verifier (a missing one is
/// [`AuthError::VerifierMissing`]), the token taken from the request (or why there is none),
/// then requirement `R`. A token refused for an unknown `kid` makes
/// a verifier whose keys come from a JWKS refetch them (at most once per cooldown) and the
/// token is checked once more, so a key rotated in at the authority is accepted at once.
pub async fn authenticate_extracted_async<C: ClaimsSlot, R: StaticRequirement>(
    verifier: Option<&Verifier>,
    token: Result<&str, AuthError>,
) -> Result<C::Output, AuthError> {
    authenticate_presented_async::<C, R>(verifier, token.map(str::as_bytes)).await
}

/// [`authenticate_extracted_async`] of a token as the request carried it (see
/// [`presented_bearer`](crate::http::bearer::presented_bearer)): what this crate's adapters call.
pub(crate) async fn authenticate_presented_async<C: ClaimsSlot, R: StaticRequirement>(
    verifier: Option<&Verifier>,
    token: Result<&[u8], AuthError>,
) -> Result<C::Output, AuthError> {
    let presented = token.as_ref().ok().copied();
    match authenticate_extracted::<C, R>(verifier, token) {
        Err(AuthError::UnknownKey) if verifier.is_some_and(Verifier::refetches_keys) => {
            retry_with_new_keys::<C, R>(verifier, presented).await
        }
        other => other,
    }
}

/// After a refusal of `token` for an unknown `kid`: the check once more if the verifier's keys
/// were refetched. Boxed: the refetch future is large, and every request's future would
/// otherwise carry it.
pub(crate) fn retry_with_new_keys<'a, C: ClaimsSlot, R: StaticRequirement>(
    verifier: Option<&'a Verifier>,
    token: Option<&'a [u8]>,
) -> Pin<Box<dyn Future<Output = Result<C::Output, AuthError>> + Send + 'a>> {
    Box::pin(async move {
        match (verifier, token.map(std::str::from_utf8)) {
            (Some(verifier), Some(Ok(token))) if verifier.refetch_keys_for(token).await => {
                authenticate_extracted::<C, R>(Some(verifier), Ok(token.as_bytes()))
            }
            _ => Err(AuthError::UnknownKey),
        }
    })
}

/// The extractor a protected handler's claims parameter is rewritten to: `C` says which
/// claims and whether they are optional, `R` the role or scope requirement. Framework
/// adapters implement their extractor traits for it; a failed check rejects the request in
/// the extractor, so the handler's body never runs.
pub struct Authenticated<C: ClaimsSlot, R = NoRequirement> {
    value: C::Output,
    requirement: PhantomData<fn() -> R>,
}

impl<C: ClaimsSlot, R> Authenticated<C, R> {
    /// Wraps checked claims.
    pub fn new(value: C::Output) -> Self {
        Authenticated {
            value,
            requirement: PhantomData,
        }
    }

    /// The claims, for the handler's body.
    pub fn into_inner(self) -> C::Output {
        self.value
    }
}

impl<C: ClaimsSlot, R> fmt::Debug for Authenticated<C, R>
where
    C::Output: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Authenticated").field(&self.value).finish()
    }
}

/// Something a bearer token can be read from, for the explicit-source style
/// (`#[protected(from = req)]`): a request, a header map, gRPC metadata, or your own type.
///
/// ```
/// use auth_runtime::{AuthError, guard::TokenSource};
///
/// struct Lambda { authorization: Option<String> }
///
/// impl TokenSource for Lambda {
///     fn bearer_token(&self) -> Result<&str, AuthError> {
///         let value = self.authorization.as_deref().ok_or(AuthError::MissingCredentials)?;
///         auth_runtime::parse_authorization(value.as_bytes())
///     }
/// }
/// ```
pub trait TokenSource {
    /// The bearer token, or why there is none.
    fn bearer_token(&self) -> Result<&str, AuthError>;

    /// The verifier to use: by default the process-wide one.
    fn verifier(&self) -> Option<Verifier> {
        or_default(None)
    }
}

impl TokenSource for HeaderMap {
    fn bearer_token(&self) -> Result<&str, AuthError> {
        bearer_token(self)
    }
}

/// A request's headers; its extensions may carry the [`Verifier`] (put there by a layer), which
/// wins over the process-wide default.
impl<B> TokenSource for http::Request<B> {
    fn bearer_token(&self) -> Result<&str, AuthError> {
        bearer_token(self.headers())
    }

    fn verifier(&self) -> Option<Verifier> {
        or_default(self.extensions().get::<Verifier>().cloned())
    }
}

impl<T: TokenSource + ?Sized> TokenSource for &T {
    fn bearer_token(&self) -> Result<&str, AuthError> {
        (**self).bearer_token()
    }

    fn verifier(&self) -> Option<Verifier> {
        (**self).verifier()
    }
}
