//! A caller's token exchanged for one meant for another service (RFC 8693), cached per
//! incoming token, never handed out past the expiry of either.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;

use super::endpoint::{Endpoint, EndpointSettings, Issued, unverified_exp};
use super::{Authorize, ClientAuthentication, OutboundConfig, OutboundError, bearer_header};

/// Exchanges the caller's token for one for `audience` instead of forwarding it, so that the
/// next service receives a token meant for it alone, naming this service as the actor
/// (`act`). One source per target audience; cheap to clone.
///
/// ```no_run
/// # async fn run(incoming: &str) -> Result<(), Box<dyn std::error::Error>> {
/// use auth_runtime::outbound::{ClientAuthentication, ExchangingTokenSource};
///
/// let for_users = ExchangingTokenSource::builder(ClientAuthentication::secret_basic("reports", "reports-secret"))
///     .token_endpoint("https://auth.example.com/oauth/token")
///     .audience("users")
///     .build()?;
/// let http = reqwest::Client::new();
/// let me = for_users.authorize(incoming, http.get("https://users.example.com/me")).await?.send().await?;
/// # let _ = me;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ExchangingTokenSource {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: Endpoint,
    audience: String,
    scope: Option<String>,
    /// Exchanged tokens by incoming token.
    cache: Cache<String, Exchanged>,
    exchanges: AtomicU64,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExchangingTokenSource")
            .field("audience", &self.audience)
            .field("cached", &self.cache.len())
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
struct Exchanged {
    token: Arc<str>,
    header: http::HeaderValue,
    usable_until: Instant,
}

impl ExchangingTokenSource {
    /// Starts a source that authenticates as `client`.
    pub fn builder(client: ClientAuthentication) -> ExchangingTokenSourceBuilder {
        ExchangingTokenSourceBuilder {
            endpoint: EndpointSettings::new(client),
            audience: None,
            scope: None,
            capacity: 10_000,
        }
    }

    /// A token for the source's audience in exchange for `incoming`, the caller's token: from
    /// the cache while both are valid, else exchanged.
    pub async fn token_for(&self, incoming: &str) -> Result<Arc<str>, OutboundError> {
        Ok(self.exchanged(incoming).await?.token)
    }

    async fn exchanged(&self, incoming: &str) -> Result<Exchanged, OutboundError> {
        let now = Instant::now();
        if let Some(cached) = self.inner.cache.get(incoming)
            && now < cached.usable_until
        {
            return Ok(cached);
        }
        self.inner.exchanges.fetch_add(1, Ordering::Relaxed);
        let mut form = vec![
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("subject_token", incoming),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:access_token",
            ),
            ("audience", self.inner.audience.as_str()),
        ];
        if let Some(scope) = &self.inner.scope {
            form.push(("scope", scope.as_str()));
        }
        let started = Instant::now();
        let Issued { token, expires_in } = self.inner.endpoint.request(&form).await?;
        // Never past the incoming token's own expiry either, whatever the answer says.
        let wall = crate::clock::Clock::now(&crate::SystemClock);
        let incoming_left = unverified_exp(incoming).map_or(expires_in, |exp| {
            Duration::from_secs(exp.saturating_sub(wall))
        });
        let lifetime = expires_in
            .min(incoming_left)
            .saturating_sub(self.inner.endpoint.config.skew);
        let exchanged = Exchanged {
            header: bearer_header(&token)?,
            token: Arc::from(token),
            usable_until: started + lifetime,
        };
        if !lifetime.is_zero() {
            self.inner
                .cache
                .insert(incoming.to_owned(), exchanged.clone());
        }
        Ok(exchanged)
    }

    /// `request` with a token for the source's audience, exchanged for `incoming`.
    pub async fn authorize<R: Authorize>(
        &self,
        incoming: &str,
        request: R,
    ) -> Result<R, OutboundError> {
        let exchanged = self.exchanged(incoming).await?;
        request.with_authorization(&exchanged.header)
    }

    /// How many exchanges the source asked for.
    pub fn exchanges(&self) -> u64 {
        self.inner.exchanges.load(Ordering::Relaxed)
    }
}

/// Configuration of an [`ExchangingTokenSource`].
#[must_use]
#[derive(Debug)]
pub struct ExchangingTokenSourceBuilder {
    endpoint: EndpointSettings,
    audience: Option<String>,
    scope: Option<String>,
    capacity: usize,
}

impl ExchangingTokenSourceBuilder {
    /// The token endpoint's URL.
    pub fn token_endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint.token_endpoint(url.into());
        self
    }

    /// An issuer, whose OpenID discovery document names the token endpoint.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.endpoint.issuer(issuer.into());
        self
    }

    /// The audience of the exchanged tokens (required).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Fewer roles or scopes than the caller's, space-delimited.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The HTTP client; by default one without redirects.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.endpoint.http = Some(client);
        self
    }

    /// Timings and limits (`skew`, `timeout`, `max_response_bytes` apply).
    pub fn config(mut self, config: OutboundConfig) -> Self {
        self.endpoint.config = config;
        self
    }

    /// How many exchanged tokens are kept (default 10,000).
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// Builds the source.
    pub fn build(self) -> Result<ExchangingTokenSource, OutboundError> {
        let audience = self
            .audience
            .ok_or_else(|| OutboundError::Config("no audience: call audience(..)".into()))?;
        Ok(ExchangingTokenSource {
            inner: Arc::new(Inner {
                endpoint: self.endpoint.build()?,
                audience,
                scope: self.scope,
                cache: Cache::new(self.capacity),
                exchanges: AtomicU64::new(0),
            }),
        })
    }
}
