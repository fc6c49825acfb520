//! A tower layer that denies by default (feature `tower`): every request behind it needs a
//! valid bearer token, except on the paths it is told are public. For an axum `Router`, a tonic
//! server or any tower `Service` over `http` requests.
//!
//! The verified token goes into the request's extensions, so that what runs behind the layer
//! does not verify it again: `#[protected]` and `#[requires_role]` handlers (axum) take their
//! claims from there and check only their own, stricter requirement; a plain
//! `Extension<Claims>` or `Extension<Arc<Claims>>` finds the claims; other middleware (rate
//! limits by `sub`, audit) reads them with `request.extensions().get::<Claims>()`.
//!
//! Rejections follow the same RFC 6750 contract as the handlers' (status, `WWW-Authenticate`,
//! JSON body). A gRPC request (`content-type: application/grpc…`) is refused the gRPC way
//! instead: HTTP 200 with `grpc-status` (16 `UNAUTHENTICATED`, 7 `PERMISSION_DENIED`, 3
//! `INVALID_ARGUMENT`) and `grpc-message` in a trailers-only response, the challenge kept in
//! `WWW-Authenticate`.
//!
//! ```
//! use auth_runtime::layer::RequireAuthLayer;
//! use auth_runtime::Requirement;
//! # let (_, verifier) = auth_runtime::testing::pair(auth_runtime::Algorithm::ES256);
//! let layer = RequireAuthLayer::new(verifier)
//!     .public("/health")
//!     .public_prefix("/docs")
//!     .require(Requirement::any_role(["user"]));
//! // let app = axum::Router::new().route(...).layer(layer);
//! # let _ = layer;
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{Either, Full};
use tower_layer::Layer;
use tower_service::Service;

use crate::error::AuthError;
use crate::http::guard::{VerifierLocations, refetched};
use crate::http::rejection::AuthRejection;
use crate::http::sources::HttpView;
use crate::observe;
use crate::requirement::Requirement;
use crate::token::claims::Claims;
use crate::verifier::{VerifiedToken, Verifier};

/// The body of a response behind [`RequireAuthLayer`]: the inner service's, or a rejection's.
pub type LayerBody<B> = Either<B, Full<Bytes>>;

/// Denies every request without a valid token, except on public paths. See the
/// [module](self).
#[derive(Clone)]
pub struct RequireAuthLayer {
    config: Arc<Config>,
}

#[derive(Clone)]
struct Config {
    verifier: Verifier,
    public: Vec<String>,
    public_prefixes: Vec<String>,
    requirement: Option<Requirement>,
}

impl fmt::Debug for RequireAuthLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireAuthLayer")
            .field("public", &self.config.public)
            .field("public_prefixes", &self.config.public_prefixes)
            .field("requirement", &self.config.requirement)
            .finish_non_exhaustive()
    }
}

impl RequireAuthLayer {
    /// Every request needs a token that `verifier` accepts.
    pub fn new(verifier: Verifier) -> Self {
        RequireAuthLayer {
            config: Arc::new(Config {
                verifier,
                public: Vec::new(),
                public_prefixes: Vec::new(),
                requirement: None,
            }),
        }
    }

    fn config_mut(&mut self) -> &mut Config {
        // Configured before it is cloned into services; a layer cloned earlier keeps its own.
        Arc::make_mut(&mut self.config)
    }

    /// `path` exactly (no query, no trailing slash added or removed) is public: requests to
    /// it pass without a token.
    pub fn public(mut self, path: impl Into<String>) -> Self {
        self.config_mut().public.push(path.into());
        self
    }

    /// Every path under `prefix` is public, segment by segment: `/docs` covers `/docs` and
    /// `/docs/api.json`, not `/docsearch`.
    pub fn public_prefix(mut self, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        let prefix = prefix.trim_end_matches('/').to_owned();
        self.config_mut().public_prefixes.push(prefix);
        self
    }

    /// Every request that is not public must also meet `requirement` (403 if not). Handlers
    /// behind the layer may add their own.
    pub fn require(mut self, requirement: Requirement) -> Self {
        self.config_mut().requirement = Some(requirement);
        self
    }
}

impl Config {
    fn is_public(&self, path: &str) -> bool {
        self.public.iter().any(|p| p == path)
            || self.public_prefixes.iter().any(|prefix| {
                path.strip_prefix(prefix.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
    }

    /// The whole check of a request: token, verification, requirement.
    fn check(&self, request: &HttpView<'_>) -> Result<VerifiedToken, AuthError> {
        let verified = self.verifier.verify_request(request)?;
        if let Some(requirement) = &self.requirement {
            requirement.check(verified.claims())?;
        }
        Ok(verified)
    }
}

impl<S> Layer<S> for RequireAuthLayer {
    type Service = RequireAuth<S>;

    fn layer(&self, inner: S) -> RequireAuth<S> {
        RequireAuth {
            inner,
            config: Arc::clone(&self.config),
        }
    }
}

/// The service of [`RequireAuthLayer`].
#[derive(Clone)]
pub struct RequireAuth<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S: fmt::Debug> fmt::Debug for RequireAuth<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireAuth")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

/// The token the layer verified, in the request's extensions: handlers behind the layer take
/// their claims from it instead of verifying the token again.
#[derive(Clone)]
#[cfg_attr(
    not(feature = "axum"),
    expect(dead_code, reason = "read by the axum extractor")
)]
pub(crate) struct VerifiedByLayer(VerifiedToken);

/// What a protected handler behind the layer receives: the layer's token, checked against the
/// handler's own requirement `R`.
#[cfg(feature = "axum")]
pub(crate) fn authenticated_by_layer<
    C: crate::http::guard::ClaimsSlot,
    R: crate::requirement::StaticRequirement,
>(
    layer: &VerifiedByLayer,
    route: Option<&str>,
) -> Result<C::Output, AuthError> {
    R::check(layer.0.claims())?;
    crate::http::expansion::present_allowed::<C>(layer.0.clone(), route)
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequireAuth<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
{
    type Response = Response<LayerBody<ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let config = Arc::clone(&self.config);
        // The service that was polled ready answers this request; its clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            if !config.is_public(request.uri().path()) {
                let view = HttpView::new(request.headers(), request.method(), request.uri());
                let checked = match config.check(&view) {
                    Err(AuthError::UnknownKey)
                        if config.verifier.refetches_keys()
                            && refetched::<VerifierLocations>(Some(&config.verifier), &view)
                                .await =>
                    {
                        config.check(&view)
                    }
                    other => other,
                };
                match checked {
                    Ok(verified) => {
                        observe::allowed(Some(verified.claims()), view.path);
                        insert_claims(request.extensions_mut(), verified);
                    }
                    Err(error) => {
                        let verifier = Some(&config.verifier);
                        let rejection = AuthRejection::recorded(error, verifier, &view);
                        return Ok(rejected(&rejection, is_grpc(request.headers())));
                    }
                }
            }
            let response = inner.call(request).await?;
            Ok(response.map(Either::Left))
        })
    }
}

fn insert_claims(extensions: &mut http::Extensions, verified: VerifiedToken) {
    let claims: Arc<Claims> = verified.clone().into_shared_claims();
    extensions.insert(Claims::clone(&claims));
    extensions.insert(claims);
    extensions.insert(VerifiedByLayer(verified));
}

fn is_grpc(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"))
}

fn rejected<B>(rejection: &AuthRejection, grpc: bool) -> Response<LayerBody<B>> {
    if !grpc {
        return rejection
            .to_http_response()
            .map(|body| Either::Right(Full::new(body)));
    }
    let code = match rejection.status() {
        StatusCode::BAD_REQUEST => "3",
        StatusCode::UNAUTHORIZED => "16",
        StatusCode::FORBIDDEN => "7",
        _ => "13",
    };
    let mut response = Response::new(Either::Right(Full::new(Bytes::new())));
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    headers.insert("grpc-status", HeaderValue::from_static(code));
    // The client-facing messages are printable ASCII without `%`: valid as they are.
    if let Ok(message) = HeaderValue::from_str(rejection.error().client_message()) {
        headers.insert("grpc-message", message);
    }
    if let Some(challenge) = rejection.challenge() {
        headers.insert(http::header::WWW_AUTHENTICATE, challenge);
    }
    response
}
