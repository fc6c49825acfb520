//! The service's own token (client credentials grant), fetched once, handed out from memory,
//! refreshed in the background before it expires; the last good token is handed out while
//! the authority is away, until it expires.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use super::endpoint::{Endpoint, EndpointSettings, Issued, random_share};
use super::{Authorize, ClientAuthentication, OutboundConfig, OutboundError, bearer_header};

/// The service's own token, for calls made as the service itself (a background job, a call
/// with no user behind it). Cheap to clone; the clones share one token.
///
/// - one fetch for any number of concurrent callers (single flight);
/// - refreshed in the background after `refresh_at` of its lifetime (less a random jitter),
///   while still handed out, so no call waits for the refresh;
/// - when a fetch fails, the last good token is handed out until it expires, and fetches are
///   retried with an exponential backoff; with no valid token left, calls fail at once with
///   [`OutboundError::Unavailable`] until the next retry succeeds.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use auth_runtime::outbound::{ClientAuthentication, ServiceTokenSource};
///
/// let source = ServiceTokenSource::builder(ClientAuthentication::secret_basic("reports", "reports-secret"))
///     .token_endpoint("https://auth.example.com/oauth/token")
///     .audience("users")
///     .build()?;
/// let http = reqwest::Client::new();
/// let response = source.authorize(http.get("https://users.example.com/users")).await?.send().await?;
/// # let _ = response;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ServiceTokenSource {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    endpoint: Endpoint,
    audiences: Vec<String>,
    resources: Vec<String>,
    scope: Option<String>,
    state: Mutex<State>,
    /// Held by the one fetch in flight.
    fetching: tokio::sync::Mutex<()>,
    /// Whether a background refresh is spawned and not done: one at a time, not one per call.
    refreshing: AtomicBool,
    fetches: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    current: Option<Current>,
    /// After a failure: no fetch before then.
    retry_after: Option<Instant>,
    failures: u32,
    last_error: Option<OutboundError>,
}

#[derive(Debug, Clone)]
struct Current {
    token: Arc<str>,
    /// `Bearer <token>`, built once.
    header: http::HeaderValue,
    /// Handed out until then (its expiry less the skew).
    usable_until: Instant,
    /// Refreshed in the background from then.
    refresh_from: Instant,
}

impl State {
    fn valid(&self, now: Instant) -> Option<&Current> {
        self.current.as_ref().filter(|c| now < c.usable_until)
    }

    fn may_fetch(&self, now: Instant) -> bool {
        self.retry_after.is_none_or(|at| now >= at)
    }
}

impl ServiceTokenSource {
    /// Starts a source that authenticates as `client`.
    pub fn builder(client: ClientAuthentication) -> ServiceTokenSourceBuilder {
        ServiceTokenSourceBuilder {
            endpoint: EndpointSettings::new(client),
            audiences: Vec::new(),
            resources: Vec::new(),
            scope: None,
        }
    }

    /// The current token: from memory when there is a valid one (starting a background
    /// refresh when it is due), else fetched, once for every concurrent caller.
    pub async fn token(&self) -> Result<Arc<str>, OutboundError> {
        Ok(self.current().await?.token)
    }

    /// The current token and its header.
    async fn current(&self) -> Result<Current, OutboundError> {
        let now = Instant::now();
        {
            let state = self.inner.state();
            if let Some(current) = state.valid(now) {
                let current = current.clone();
                if now >= current.refresh_from && state.may_fetch(now) {
                    self.refresh_in_background();
                }
                return Ok(current);
            }
            if !state.may_fetch(now) {
                return Err(self.inner.unavailable(&state));
            }
        }
        let _fetching = self.inner.fetching.lock().await;
        // Whoever held the lock before may have fetched it, or failed a moment ago.
        let now = Instant::now();
        {
            let state = self.inner.state();
            if let Some(current) = state.valid(now) {
                return Ok(current.clone());
            }
            if !state.may_fetch(now) {
                return Err(self.inner.unavailable(&state));
            }
        }
        self.inner.fetch().await
    }

    /// `request` with the current token as `Authorization: Bearer`: a `reqwest` request, a
    /// tonic request.
    pub async fn authorize<R: Authorize>(&self, request: R) -> Result<R, OutboundError> {
        let current = self.current().await?;
        request.with_authorization(&current.header)
    }

    /// How many fetches the source made (successful or not).
    pub fn fetches(&self) -> u64 {
        self.inner.fetches.load(Ordering::Relaxed)
    }

    fn refresh_in_background(&self) {
        // Outside a runtime there is no background: the token is refreshed when it expires.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.inner.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let inner = Arc::clone(&self.inner);
        runtime.spawn(async move {
            // A fetch already in flight (a caller's, with no valid token) does the work.
            if let Ok(_fetching) = inner.fetching.try_lock() {
                let now = Instant::now();
                let due = {
                    let state = inner.state();
                    state.may_fetch(now)
                        && state.current.as_ref().is_none_or(|c| now >= c.refresh_from)
                };
                if due {
                    let _ = inner.fetch().await;
                }
            }
            inner.refreshing.store(false, Ordering::Release);
        });
    }
}

impl Inner {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn unavailable(&self, state: &State) -> OutboundError {
        OutboundError::Unavailable {
            last: state
                .last_error
                .as_ref()
                .map_or_else(|| "no fetch yet".into(), ToString::to_string),
        }
    }

    /// One fetch; the state updated with its token or its failure.
    async fn fetch(&self) -> Result<Current, OutboundError> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let audience = self.audiences.join(" ");
        let mut form = vec![("grant_type", "client_credentials")];
        if !audience.is_empty() {
            form.push(("audience", audience.as_str()));
        }
        for resource in &self.resources {
            form.push(("resource", resource.as_str()));
        }
        if let Some(scope) = &self.scope {
            form.push(("scope", scope.as_str()));
        }
        let started = Instant::now();
        let result = self
            .endpoint
            .request(&form)
            .await
            .and_then(|issued| Ok((bearer_header(&issued.token)?, issued)));
        let mut state = self.state();
        match result {
            Ok((header, Issued { token, expires_in })) => {
                let config = &self.endpoint.config;
                let usable = expires_in.saturating_sub(config.skew);
                let share = (config.refresh_at - config.jitter * random_share()).clamp(0.0, 1.0);
                let current = Current {
                    token: Arc::from(token),
                    header,
                    usable_until: started + usable,
                    refresh_from: started + expires_in.mul_f64(share),
                };
                state.current = Some(current.clone());
                state.retry_after = None;
                state.failures = 0;
                state.last_error = None;
                crate::observe::outbound_refresh(true);
                Ok(current)
            }
            Err(error) => {
                let config = &self.endpoint.config;
                let backoff = config
                    .min_backoff
                    .saturating_mul(1u32 << state.failures.min(16))
                    .min(config.max_backoff);
                state.failures = state.failures.saturating_add(1);
                state.retry_after = Some(Instant::now() + backoff);
                state.last_error = Some(error.clone());
                let still_valid = state.valid(Instant::now()).is_some();
                crate::observe::outbound_refresh(false);
                tracing::warn!(
                    target: "auth::outbound",
                    %error,
                    still_valid,
                    retry_in_ms = backoff.as_millis() as u64,
                    "fetching the service token failed"
                );
                Err(error)
            }
        }
    }
}

/// Configuration of a [`ServiceTokenSource`].
#[must_use]
#[derive(Debug)]
pub struct ServiceTokenSourceBuilder {
    endpoint: EndpointSettings,
    audiences: Vec<String>,
    resources: Vec<String>,
    scope: Option<String>,
}

impl ServiceTokenSourceBuilder {
    /// The token endpoint's URL.
    pub fn token_endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint.token_endpoint(url.into());
        self
    }

    /// An issuer, whose OpenID discovery document names the token endpoint (read at the first
    /// fetch).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.endpoint.issuer(issuer.into());
        self
    }

    /// An audience to ask for (`audience`); none: the client's registered ones.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// A resource indicator to ask for (`resource`, RFC 8707), for providers that name the
    /// target by its URL (oidc-provider, Auth0's `audience` aside).
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resources.push(resource.into());
        self
    }

    /// The scopes to ask for, space-delimited.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The HTTP client (a company CA, a proxy); by default one without redirects.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.endpoint.http = Some(client);
        self
    }

    /// Timings and limits.
    pub fn config(mut self, config: OutboundConfig) -> Self {
        self.endpoint.config = config;
        self
    }

    /// Builds the source; nothing is fetched before the first call.
    pub fn build(self) -> Result<ServiceTokenSource, OutboundError> {
        Ok(ServiceTokenSource {
            inner: Arc::new(Inner {
                endpoint: self.endpoint.build()?,
                audiences: self.audiences,
                resources: self.resources,
                scope: self.scope,
                state: Mutex::new(State::default()),
                fetching: tokio::sync::Mutex::new(()),
                refreshing: AtomicBool::new(false),
                fetches: AtomicU64::new(0),
            }),
        })
    }
}
