//! The framework-free core of a protected handler: find the verifier, take the token, verify
//! it, check the requirement, hand over the claims. Framework adapters are thin wrappers
//! around [`authenticate`].

use std::any::{Any, TypeId};
use std::fmt;
use std::marker::PhantomData;
use std::sync::OnceLock;

use http::HeaderMap;
use serde::de::DeserializeOwned;

use crate::bearer::bearer_token;
use crate::claims::Claims;
use crate::error::AuthError;
use crate::requirement::{NoRequirement, StaticRequirement};
use crate::verifier::{VerifiedToken, Verifier};

static DEFAULT_VERIFIER: OnceLock<Verifier> = OnceLock::new();

/// Installs the process-wide verifier, used by protected handlers whose framework state holds
/// none. Call it once at start-up; a second call returns the verifier back as the error.
pub fn install_default_verifier(verifier: Verifier) -> Result<(), Verifier> {
    DEFAULT_VERIFIER.set(verifier)
}

/// The process-wide verifier, if one was installed.
pub fn default_verifier() -> Option<&'static Verifier> {
    DEFAULT_VERIFIER.get()
}

/// A type a protected handler can take its claims as: [`Claims`] or any type that implements
/// `serde::Deserialize`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the claims parameter of a protected handler",
    label = "this type does not implement `serde::Deserialize`",
    note = "derive `serde::Deserialize` for `{Self}`, or take `auth::Claims`"
)]
pub trait ClaimsType: DeserializeOwned + Send + 'static {}
impl<T: DeserializeOwned + Send + 'static> ClaimsType for T {}

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

/// Claims of type `T` are required: no token is a 401.
#[derive(Debug)]
pub struct Required<T>(PhantomData<T>);
/// Claims of type `T` are optional: no token gives `None`; a bad token is still rejected.
#[derive(Debug)]
pub struct Optional<T>(PhantomData<T>);

impl<T: ClaimsType> ClaimsSlot for Required<T> {
    type Output = T;
    const OPTIONAL: bool = false;
    fn present(verified: VerifiedToken) -> Result<T, AuthError> {
        into_type(verified)
    }
    fn absent() -> Option<T> {
        None
    }
}

impl<T: ClaimsType> ClaimsSlot for Optional<T> {
    type Output = Option<T>;
    const OPTIONAL: bool = true;
    fn present(verified: VerifiedToken) -> Result<Option<T>, AuthError> {
        into_type(verified).map(Some)
    }
    fn absent() -> Option<Option<T>> {
        Some(None)
    }
}

/// `Claims` moves through as is (copied from the cache on a hit); any other type is
/// deserialized from the verified payload, so its claims are never copied.
fn into_type<T: ClaimsType>(verified: VerifiedToken) -> Result<T, AuthError> {
    if TypeId::of::<T>() != TypeId::of::<Claims>() {
        return verified.deserialize();
    }
    let mut slot = Some(verified.into_claims());
    (&mut slot as &mut dyn Any)
        .downcast_mut::<Option<T>>()
        .and_then(Option::take)
        .ok_or(AuthError::InvalidClaim("claims type mismatch".into()))
}

/// Runs the whole check for one request: bearer token from `headers`, verification with
/// `verifier` (a missing one is [`AuthError::VerifierMissing`]), requirement `R`.
pub fn authenticate<C: ClaimsSlot, R: StaticRequirement>(
    verifier: Option<&Verifier>,
    headers: &HeaderMap,
) -> Result<C::Output, AuthError> {
    authenticate_extracted::<C, R>(verifier, bearer_token(headers))
}

/// [`authenticate`] once the token was taken from the request (or its absence noted): the
/// entry point of adapters whose frameworks have their own header types.
pub fn authenticate_extracted<C: ClaimsSlot, R: StaticRequirement>(
    verifier: Option<&Verifier>,
    token: Result<&str, AuthError>,
) -> Result<C::Output, AuthError> {
    let Some(verifier) = verifier else {
        return Err(AuthError::VerifierMissing);
    };
    match token {
        Ok(token) => authenticate_token::<C, R>(verifier, token),
        Err(AuthError::MissingCredentials) if C::OPTIONAL => {
            C::absent().ok_or(AuthError::MissingCredentials)
        }
        Err(error) => Err(error),
    }
}

/// [`authenticate_extracted`] for async adapters: a token refused for an unknown `kid` makes
/// a verifier whose keys come from a JWKS refetch them (at most once per cooldown) and the
/// token is checked once more, so a key rotated in at the authority is accepted at once.
pub async fn authenticate_extracted_async<C: ClaimsSlot, R: StaticRequirement>(
    verifier: Option<&Verifier>,
    token: Result<&str, AuthError>,
) -> Result<C::Output, AuthError> {
    let retry = token.clone();
    match authenticate_extracted::<C, R>(verifier, token) {
        Err(AuthError::UnknownKey) => match (verifier, retry) {
            (Some(verifier), Ok(token)) if verifier.refetch_keys_for(token).await => {
                authenticate_extracted::<C, R>(Some(verifier), Ok(token))
            }
            _ => Err(AuthError::UnknownKey),
        },
        other => other,
    }
}

/// Like [`authenticate`], for a token already taken from the request.
pub fn authenticate_token<C: ClaimsSlot, R: StaticRequirement>(
    verifier: &Verifier,
    token: &str,
) -> Result<C::Output, AuthError> {
    let verified = verifier.verify_shared(token)?;
    R::check(verified.claims())?;
    C::present(verified)
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
        default_verifier().cloned()
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
        self.extensions()
            .get::<Verifier>()
            .cloned()
            .or_else(|| default_verifier().cloned())
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

/// The check of the explicit-source style: token and verifier from `source`, then
/// requirement `R`. Failures are logged here.
pub fn authenticate_source<C: ClaimsSlot, R: StaticRequirement, S: TokenSource + ?Sized>(
    source: &S,
) -> Result<C::Output, AuthError> {
    let verifier = source.verifier();
    let result = authenticate_extracted::<C, R>(verifier.as_ref(), source.bearer_token());
    if let Err(error) = &result {
        error.log();
    }
    result
}

/// An error type a `#[protected(from = ...)]` function can return early with.
#[diagnostic::on_unimplemented(
    message = "the error type `{Self}` cannot carry an authentication failure",
    label = "`{Self}` does not implement `From<auth::AuthError>`",
    note = "a `#[protected(from = ...)]` function returns `Result<_, E>`: implement `From<auth::AuthError>` for `E`, or return an error type that does"
)]
pub trait FromAuthError {
    /// Converts.
    fn from_auth_error(error: AuthError) -> Self;
}

impl<E: From<AuthError>> FromAuthError for E {
    fn from_auth_error(error: AuthError) -> Self {
        E::from(error)
    }
}

/// Converts a rejection into the function's error type (used by the generated code).
pub fn into_error<E: FromAuthError>(error: AuthError) -> E {
    E::from_auth_error(error)
}
