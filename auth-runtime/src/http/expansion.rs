//! What the expansion of `#[protected]` calls, through the facade's hidden `__private` module:
//! the claims slots (required or optional, `Claims` or the handler's own type), the
//! synchronous check, and the explicit-source entry with its error conversion. Not public API.

use std::any::{Any, TypeId};
use std::marker::PhantomData;
use std::sync::Arc;

use http::HeaderMap;
use serde::de::DeserializeOwned;

use crate::error::AuthError;
use crate::http::bearer::presented_bearer;
use crate::http::guard::{ClaimsSlot, HandlerTokenLocations, TokenSource};
use crate::http::sources::{TokenLocation, TokenLocations};
use crate::observe;
use crate::requirement::StaticRequirement;
use crate::token::claims::Claims;
use crate::verifier::{VerifiedToken, Verifier};

/// A type a protected handler can take its claims as: [`Claims`] or any type that implements
/// `serde::Deserialize`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the claims parameter of a protected handler",
    label = "this type does not implement `serde::Deserialize`",
    note = "derive `serde::Deserialize` for `{Self}`, or take `auth::Claims`"
)]
pub trait ClaimsType: DeserializeOwned + Send + 'static {}
impl<T: DeserializeOwned + Send + 'static> ClaimsType for T {}

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

/// `Claims` moves through as is (copied from the cache on a hit), `Arc<Claims>` is shared with
/// the cache (never copied); any other type is deserialized from the verified payload.
fn into_type<T: ClaimsType>(verified: VerifiedToken) -> Result<T, AuthError> {
    if TypeId::of::<T>() == TypeId::of::<Claims>() {
        return moved(Some(verified.into_claims()));
    }
    if TypeId::of::<T>() == TypeId::of::<Arc<Claims>>() {
        return moved(Some(verified.into_shared_claims()));
    }
    verified.deserialize()
}

/// The value of `slot` as `T`, which the caller checked is its type.
fn moved<T: 'static, U: 'static>(mut slot: Option<U>) -> Result<T, AuthError> {
    (&mut slot as &mut dyn Any)
        .downcast_mut::<Option<T>>()
        .and_then(Option::take)
        .ok_or_else(|| AuthError::ClaimsTypeMismatch("not the claims type it names".into()))
}

/// Runs the whole check for one request: bearer token from `headers`, verification with
/// `verifier` (a missing one is [`AuthError::VerifierMissing`]), requirement `R`.
pub fn authenticate<C: ClaimsSlot, R: StaticRequirement>(
    verifier: Option<&Verifier>,
    headers: &HeaderMap,
) -> Result<C::Output, AuthError> {
    not_checked::<C>()
        .and_then(|()| authenticate_extracted::<C, R>(verifier, presented_bearer(headers), None))
        .inspect_err(observe::refused_token)
}

/// [`authenticate`] once the token was taken from the request (or its absence noted), its
/// characters checked by the verifier if it has not seen it. A request let through is
/// recorded as allowed ([`observe`]) on `route`; a refusal is recorded where it is logged.
pub(crate) fn authenticate_extracted<C: ClaimsSlot, R: StaticRequirement>(
    verifier: Option<&Verifier>,
    token: Result<&[u8], AuthError>,
    route: Option<&str>,
) -> Result<C::Output, AuthError> {
    let Some(verifier) = verifier else {
        return Err(AuthError::VerifierMissing);
    };
    match token {
        Ok(token) => authenticate_token::<C, R>(verifier, token, route),
        Err(AuthError::MissingCredentials) if C::OPTIONAL => absent::<C>(route),
        Err(error) => Err(error),
    }
}

/// The output of optional slot `C` for a request without credentials, recorded as allowed.
pub(crate) fn absent<C: ClaimsSlot>(route: Option<&str>) -> Result<C::Output, AuthError> {
    let output = C::absent().ok_or(AuthError::MissingCredentials)?;
    observe::allowed_anonymous(route);
    Ok(output)
}

/// What slot `C` hands the handler of `verified`, which met its requirement: the decision is
/// recorded as allowed here, unless the handler's check function decides after this. The
/// token is kept for the audit event only when those are on.
#[inline]
pub(crate) fn present_allowed<C: ClaimsSlot>(
    verified: VerifiedToken,
    route: Option<&str>,
) -> Result<C::Output, AuthError> {
    if C::CHECKS {
        return C::present(verified);
    }
    if observe::audit_events() {
        return present_audited::<C>(verified, route);
    }
    C::present(verified).inspect(|_| observe::allowed(None, route))
}

/// [`present_allowed`] with audit events on: the token is kept for the event.
#[cold]
#[inline(never)]
fn present_audited<C: ClaimsSlot>(
    verified: VerifiedToken,
    route: Option<&str>,
) -> Result<C::Output, AuthError> {
    let kept = verified.clone();
    C::present(verified).inspect(|_| observe::allowed(Some(kept.claims()), route))
}

/// `Ok` unless slot `C` carries a check function: for the entries that cannot run one (the
/// token alone, the explicit-source style), which refuse such a slot rather than let the
/// request in unchecked. A constant per slot: nothing to run for the others.
#[inline(always)]
pub(crate) fn not_checked<C: ClaimsSlot>() -> Result<(), AuthError> {
    if C::CHECKS {
        Err(AuthError::CheckNotRun)
    } else {
        Ok(())
    }
}

/// Like [`authenticate`], for a token already taken from the request.
pub(crate) fn authenticate_token<C: ClaimsSlot, R: StaticRequirement>(
    verifier: &Verifier,
    token: &[u8],
    route: Option<&str>,
) -> Result<C::Output, AuthError> {
    let verified = verifier.verify_presented(token)?;
    R::check(verified.claims())?;
    present_allowed::<C>(verified, route)
}

/// The check of the explicit-source style: token and verifier from `source`, then
/// requirement `R`. Failures are logged here.
pub fn authenticate_source<C: ClaimsSlot, R: StaticRequirement, S: TokenSource + ?Sized>(
    source: &S,
) -> Result<C::Output, AuthError> {
    let result = not_checked::<C>().and_then(|()| {
        let verifier = source.verifier();
        let token = source.bearer_token().map(str::as_bytes);
        authenticate_extracted::<C, R>(verifier.as_ref(), token, None)
    });
    if let Err(error) = &result {
        error.log();
        observe::refused_token(error);
    }
    result
}

/// Compiles only for a type declared with `token_locations!`: the
/// macros' check of `#[protected(token_locations = T)]`, reported on `T`.
#[inline(always)]
pub const fn token_locations_declared<T: HandlerTokenLocations>() {}

/// `token_locations!`'s list, checked: the locations, or why they cannot be used.
pub fn checked_token_locations(
    locations: impl IntoIterator<Item = TokenLocation>,
) -> Result<TokenLocations, &'static str> {
    TokenLocations::checked(locations)
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
