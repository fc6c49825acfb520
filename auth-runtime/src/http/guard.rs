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
use crate::http::bearer::presented_from_values;
use crate::http::check::{AccessRequest, RequestFacts};
pub use crate::http::check::{Check, Checked};
use crate::http::expansion::{absent, authenticate_extracted, not_checked, present_allowed};
use crate::http::rejection::or_default;
use crate::http::sources::{RequestView, TokenLocations};
use crate::observe;
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

    /// Whether the handler names a [check function](crate::guard::Check)
    /// ([`Checked`](crate::guard::Checked)): the adapter then reads the request's
    /// [`RequestFacts`](crate::RequestFacts) and calls [`admit`](Self::admit).
    const CHECKS: bool = false;

    /// After the token was verified and the requirement met: the handler's check function over
    /// `request`, which lets the output through or refuses. Nothing to do unless
    /// [`CHECKS`](Self::CHECKS).
    fn admit<'a>(
        output: Self::Output,
        request: &'a AccessRequest<'a>,
    ) -> impl Future<Output = Result<Self::Output, AuthError>> + Send + 'a {
        let _ = request;
        std::future::ready(Ok(output))
    }
}

/// The check of a protected handler, for async adapters of your own that read the
/// `Authorization` header themselves (the adapters of this crate read every configured token
/// location through [`Verifier::verify_request`]): the verifier (a missing one is
/// [`AuthError::VerifierMissing`]), the token taken from the request (or why there is none),
/// then requirement `R`. A handler with a [check function](Check) is refused here
/// ([`AuthError::CheckNotRun`]): the check needs the request, through
/// [`authenticate_request_async`]. A token refused for an unknown `kid` makes
/// a verifier whose keys come from a JWKS refetch them (at most once per cooldown) and the
/// token is checked once more, so a key rotated in at the authority is accepted at once.
/// The decision is recorded in the metrics and audit events ([`observe`](crate::observe)).
pub async fn authenticate_extracted_async<C: ClaimsSlot, R: StaticRequirement>(
    verifier: Option<&Verifier>,
    token: Result<&str, AuthError>,
) -> Result<C::Output, AuthError> {
    let result = async {
        // A token alone shows a check function nothing of the request.
        not_checked::<C>()?;
        let token = token.map(str::as_bytes);
        let presented = token.as_ref().ok().copied();
        match authenticate_extracted::<C, R>(verifier, token, None) {
            Err(AuthError::UnknownKey) if verifier.is_some_and(Verifier::refetches_keys) => {
                retry_with_new_keys::<C, R>(verifier, presented).await
            }
            other => other,
        }
    }
    .await;
    if let Err(error) = &result {
        observe::refused_token(error);
    }
    result
}

/// The check of a protected handler over a whole request: the token from wherever `L` says
/// (by default the verifier's [token locations](crate::VerifierBuilder::token_locations)), its
/// CSRF proof if it came in a cookie, then requirement `R`. Synchronous: see
/// [`authenticate_request_async`].
#[cfg_attr(
    not(any(
        feature = "axum",
        feature = "actix-web",
        feature = "poem",
        feature = "rocket",
        feature = "salvo"
    )),
    allow(dead_code, reason = "what the framework adapters call")
)]
pub(crate) fn authenticate_request<C: ClaimsSlot, R: StaticRequirement, L: LocationChoice>(
    verifier: Option<&Verifier>,
    request: &impl RequestView,
) -> Result<C::Output, AuthError> {
    let Some(verifier) = verifier else {
        return Err(AuthError::VerifierMissing);
    };
    let locations = L::locations(verifier)?;
    if locations.authorization_only() {
        let token = presented_from_values(request.authorization_values());
        return authenticate_extracted::<C, R>(Some(verifier), token, request.path());
    }
    match verifier.verify_request_at(locations, request) {
        Ok(verified) => {
            R::check(verified.claims())?;
            present_allowed::<C>(verified, request.path())
        }
        Err(AuthError::MissingCredentials) if C::OPTIONAL => absent::<C>(request.path()),
        Err(error) => Err(error),
    }
}

/// The check of a protected handler over a whole request, for async adapters: the token read
/// from wherever `L` says ([`VerifierLocations`]: the verifier's
/// [token locations](crate::VerifierBuilder::token_locations), the `Authorization` header by
/// default), its CSRF proof if it came in a cookie, then requirement `R`; a missing verifier is
/// [`AuthError::VerifierMissing`]. A token refused for an unknown `kid` makes a verifier whose
/// keys come from a JWKS refetch them (at most once per cooldown) and is checked once more.
/// Then, if the handler names a [check function](Check), the check over the request's facts,
/// which `facts` reads (called only then: [`HttpFacts`](crate::HttpFacts) for a framework on
/// `http` 1.x, with the route's path parameters). See docs/adapters.md. The decision is
/// recorded in the metrics and audit events ([`observe`](crate::observe)).
pub async fn authenticate_request_async<C, R, L, F>(
    verifier: Option<&Verifier>,
    request: &(impl RequestView + Sync),
    facts: impl FnOnce() -> F + Send,
) -> Result<C::Output, AuthError>
where
    C: ClaimsSlot,
    R: StaticRequirement,
    L: LocationChoice,
    F: RequestFacts + Send,
{
    let result = async {
        let output = match authenticate_request::<C, R, L>(verifier, request) {
            Err(AuthError::UnknownKey) if verifier.is_some_and(Verifier::refetches_keys) => {
                if refetched::<L>(verifier, request).await {
                    authenticate_request::<C, R, L>(verifier, request)
                } else {
                    Err(AuthError::UnknownKey)
                }
            }
            other => other,
        }?;
        if C::CHECKS {
            let facts = facts();
            C::admit(output, &AccessRequest::new(&facts)).await
        } else {
            Ok(output)
        }
    }
    .await;
    if let Err(error) = &result {
        observe::refused(verifier, error, request);
    }
    result
}

/// After a refusal for an unknown `kid`: whether the verifier refetched its keys for the token
/// `request` carries where `L` says. Boxed: the refetch future is large, and every request's
/// future would otherwise carry it.
#[cfg_attr(
    not(any(
        feature = "axum",
        feature = "tower",
        feature = "poem",
        feature = "rocket",
        feature = "salvo"
    )),
    allow(dead_code, reason = "what the framework adapters call")
)]
pub(crate) fn refetched<'a, L: LocationChoice>(
    verifier: Option<&'a Verifier>,
    request: &impl RequestView,
) -> Pin<Box<dyn Future<Output = bool> + Send + 'a>> {
    let token = verifier.and_then(|v| presented_text::<L>(v, request));
    refetch_for(verifier, token)
}

/// The token `request` carries where `L` says, as text owned by the caller (for a refetch that
/// outlives the request's borrow); `None` if there is none or it is not text.
pub(crate) fn presented_text<L: LocationChoice>(
    verifier: &Verifier,
    request: &impl RequestView,
) -> Option<String> {
    presented_owned::<L>(verifier, request).ok()
}

/// The token `request` carries where `L` says, unverified, as text owned by the caller; or why
/// there is none.
pub(crate) fn presented_owned<L: LocationChoice>(
    verifier: &Verifier,
    request: &impl RequestView,
) -> Result<String, AuthError> {
    let presented = L::locations(verifier)?.presented(request)?;
    std::str::from_utf8(presented.token)
        .map(str::to_owned)
        .map_err(|_| AuthError::InvalidCharacter)
}

/// Whether `verifier` refetched its keys for `token`. Boxed: the refetch future is large, and
/// every request's future would otherwise carry it.
fn refetch_for<'a>(
    verifier: Option<&'a Verifier>,
    token: Option<String>,
) -> Pin<Box<dyn Future<Output = bool> + Send + 'a>> {
    Box::pin(async move {
        match (verifier, token) {
            (Some(verifier), Some(token)) => verifier.refetch_keys_for(&token).await,
            _ => false,
        }
    })
}

/// After a refusal of `token` for an unknown `kid`: the check once more if the verifier's keys
/// were refetched.
pub(crate) async fn retry_with_new_keys<C: ClaimsSlot, R: StaticRequirement>(
    verifier: Option<&Verifier>,
    token: Option<&[u8]>,
) -> Result<C::Output, AuthError> {
    let text = token
        .and_then(|t| std::str::from_utf8(t).ok())
        .map(str::to_owned);
    if refetch_for(verifier, text).await {
        authenticate_extracted::<C, R>(verifier, token.ok_or(AuthError::UnknownKey), None)
    } else {
        Err(AuthError::UnknownKey)
    }
}

/// The extractor a protected handler's claims parameter is rewritten to: `C` says which
/// claims and whether they are optional, `R` the role or scope requirement, `L` where the token
/// is read ([`VerifierLocations`] unless the handler names its own). Framework adapters
/// implement their extractor traits for it; a failed check rejects the request in the
/// extractor, so the handler's body never runs.
pub struct Authenticated<C: ClaimsSlot, R = NoRequirement, L = VerifierLocations> {
    value: C::Output,
    requirement: PhantomData<fn() -> (R, L)>,
}

impl<C: ClaimsSlot, R, L> Authenticated<C, R, L> {
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

impl<C: ClaimsSlot, R, L> fmt::Debug for Authenticated<C, R, L>
where
    C::Output: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Authenticated").field(&self.value).finish()
    }
}

/// Where a protected handler reads its token: the third parameter of [`Authenticated`].
pub trait LocationChoice: 'static {
    /// The locations to read, or why they cannot be used.
    fn locations(verifier: &Verifier) -> Result<&TokenLocations, AuthError>;
}

/// The verifier's own [token locations](crate::VerifierBuilder::token_locations): what a
/// handler reads unless it names its own.
#[derive(Debug)]
pub struct VerifierLocations;

impl LocationChoice for VerifierLocations {
    #[inline]
    fn locations(verifier: &Verifier) -> Result<&TokenLocations, AuthError> {
        Ok(verifier.locations())
    }
}

/// The locations `T` names, for a handler with `#[protected(token_locations = T)]`.
#[derive(Debug)]
pub struct HandlerLocations<T>(PhantomData<fn() -> T>);

impl<T: HandlerTokenLocations> LocationChoice for HandlerLocations<T> {
    fn locations(_: &Verifier) -> Result<&TokenLocations, AuthError> {
        T::token_locations().map_err(AuthError::InvalidTokenLocations)
    }
}

/// A handler's own token locations, in place of its verifier's: declared with
/// [`token_locations!`](crate::token_locations) and named in
/// `#[protected(token_locations = Type)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not name token locations",
    label = "not declared with `token_locations!`",
    note = "declare it with `auth::token_locations!(struct {Self} = [...]);`"
)]
pub trait HandlerTokenLocations: 'static {
    /// The locations, checked once; or why they cannot be used (the reason
    /// [`TokenLocations::new`] gives), which makes every request of the handler a 500 logged
    /// with it.
    fn token_locations() -> Result<&'static TokenLocations, &'static str>;
}

/// Declares a type that names token locations, for handlers that read their token elsewhere
/// than their verifier says: `#[protected(token_locations = Type)]`. The list is checked on
/// first use and kept for the life of the process.
///
/// ```
/// # extern crate auth_runtime as auth;
/// use auth::TokenLocation;
///
/// auth::token_locations! {
///     /// A browser's WebSocket upgrade: the token in `?access_token=`, or in the cookie.
///     pub struct WebSocketTokens = [
///         TokenLocation::websocket_query("access_token"),
///         TokenLocation::cookie("access_token"),
///     ];
/// }
///
/// use auth::guard::HandlerTokenLocations;
/// let locations = WebSocketTokens::token_locations().expect("a valid list");
/// assert_eq!(locations.list().len(), 2);
/// ```
#[macro_export]
macro_rules! token_locations {
    ($(#[$meta:meta])* $vis:vis struct $name:ident = [$($location:expr),+ $(,)?];) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy)]
        $vis struct $name;

        impl $crate::guard::HandlerTokenLocations for $name {
            fn token_locations() -> ::core::result::Result<
                &'static $crate::TokenLocations,
                &'static str,
            > {
                static LOCATIONS: ::std::sync::LazyLock<
                    ::core::result::Result<$crate::TokenLocations, &'static str>,
                > = ::std::sync::LazyLock::new(|| {
                    $crate::__private::checked_token_locations([$($location),+])
                });
                LOCATIONS.as_ref().map_err(|reason| *reason)
            }
        }
    };
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
