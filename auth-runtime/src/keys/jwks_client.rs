//! Fetching an authority's public keys over HTTP (feature `jwks`): a JWK Set URL, or an issuer
//! URL whose OpenID discovery document names it.
//!
//! The request path never waits on the network and never takes a lock a fetch holds: it
//! reads the current [`KeySet`] through an atomically swapped pointer. A background task
//! refreshes the set as the response's `Cache-Control` allows (within configured bounds),
//! keeps the last good set when a fetch fails, and refetches early when a token names an
//! unknown `kid`, at most once per cooldown, so a flood of bad tokens cannot hammer the
//! authority.

use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use arc_swap::{ArcSwap, ArcSwapOption};
use reqwest::Url;
use reqwest::header::{CACHE_CONTROL, HeaderMap};
use serde::Deserialize;
use tokio::sync::{Notify, watch};

use crate::algorithm::Algorithm;
use crate::error::ConfigError;
use crate::keys::set::{KeySet, RefusedKey};
use crate::observe::JwksMeters;

/// Where the keys come from.
#[derive(Debug, Clone)]
enum Origin {
    /// A JWK Set URL.
    Jwks(String),
    /// An issuer: `{issuer}/.well-known/openid-configuration` names the JWK Set URL.
    Issuer(String),
}

/// Limits and timings of a [`JwksClient`].
#[derive(Debug, Clone)]
pub struct JwksConfig {
    /// Shortest time a fetched set is kept before refreshing, whatever `Cache-Control` says.
    pub min_ttl: Duration,
    /// Longest time, whatever `Cache-Control` says.
    pub max_ttl: Duration,
    /// Time a set is kept when the response has no `max-age`.
    pub default_ttl: Duration,
    /// Wait before retrying a failed fetch (doubles up to `max_ttl`... capped at 5 minutes).
    pub retry_after: Duration,
    /// Least time between two fetches triggered by unknown `kid`s.
    pub refetch_cooldown: Duration,
    /// Whole-request timeout of one fetch.
    pub timeout: Duration,
    /// Largest response accepted, in bytes.
    pub max_response_bytes: usize,
    /// Algorithm for RSA keys published without `alg` (none: such keys are skipped).
    pub rsa_default: Option<Algorithm>,
    /// Allows plain `http://` URLs to other hosts than loopback (never in production).
    pub allow_insecure_http: bool,
}

impl Default for JwksConfig {
    fn default() -> Self {
        JwksConfig {
            min_ttl: Duration::from_secs(60),
            max_ttl: Duration::from_secs(24 * 3600),
            default_ttl: Duration::from_secs(300),
            retry_after: Duration::from_secs(2),
            refetch_cooldown: Duration::from_secs(30),
            timeout: Duration::from_secs(5),
            max_response_bytes: 256 * 1024,
            rsa_default: None,
            allow_insecure_http: false,
        }
    }
}

/// The keys of a remote authority, kept fresh in the background. Cheap to clone; give it to
/// [`VerifierBuilder::jwks`](crate::VerifierBuilder::jwks).
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use auth_runtime::{JwksClient, Verifier};
/// let jwks = JwksClient::builder("https://auth.example.com/.well-known/jwks.json").start().await?;
/// let verifier = Verifier::builder()
///     .jwks(jwks)
///     .issuer("https://auth.example.com")
///     .audience("orders")
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct JwksClient {
    inner: Arc<Inner>,
}

struct Inner {
    origin: Origin,
    config: JwksConfig,
    http: reqwest::Client,
    jwks_url: ArcSwapOption<Url>,
    keys: ArcSwap<KeySet>,
    /// Bumped whenever the key set is replaced.
    generation: AtomicU64,
    /// Milliseconds since `epoch` of the last refetch claimed for an unknown `kid`.
    last_refetch: AtomicU64,
    /// Milliseconds since `epoch` when the last fetch attempt finished.
    last_completed: AtomicU64,
    epoch: Instant,
    wake: Notify,
    /// Counts finished fetch attempts, for callers that wait on one.
    fetched: watch::Sender<u64>,
    meters: JwksMeters,
}

impl fmt::Debug for JwksClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwksClient")
            .field("origin", &self.inner.origin)
            .field("keys", &self.inner.keys.load().len())
            .field("generation", &self.generation())
            .finish()
    }
}

/// Configuration of a [`JwksClient`]; see [`JwksClient::builder`] and [`JwksClient::discover`].
#[must_use]
#[derive(Debug)]
pub struct JwksClientBuilder {
    origin: Origin,
    config: JwksConfig,
    http: Option<reqwest::Client>,
}

/// Why one fetch of the keys failed; the client keeps its last good key set meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshError {
    /// The request failed: connection, TLS, timeout, or the body could not be read.
    #[error("GET {url}: {reason}")]
    Request {
        /// The URL fetched.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The client followed a redirect (a client given with
    /// [`JwksClientBuilder::http_client`] may): the keys must come from the configured URL.
    #[error("GET {url}: redirected to {to}; keys are only taken from the configured URL")]
    Redirected {
        /// The URL fetched.
        url: String,
        /// Where the response came from.
        to: String,
    },
    /// The server answered with another status than 2xx (redirects are not followed).
    #[error("GET {url}: status {status}")]
    Status {
        /// The URL fetched.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The response is larger than the configured maximum.
    #[error("GET {url}: response larger than {max} bytes")]
    TooLarge {
        /// The URL fetched.
        url: String,
        /// The maximum, in bytes.
        max: usize,
    },
    /// The body is not UTF-8 text.
    #[error("GET {url}: body is not UTF-8")]
    NotUtf8 {
        /// The URL fetched.
        url: String,
    },
    /// The discovery document is unusable: not JSON of the expected shape, another issuer, or
    /// a `jwks_uri` the client may not fetch.
    #[error("discovery: {0}")]
    Discovery(String),
    /// The document is not a JWK Set (invalid JSON, no `keys` array, duplicate `kid`s).
    #[error("{url}: {error}")]
    InvalidSet {
        /// The URL fetched.
        url: String,
        /// Why.
        error: ConfigError,
    },
    /// The set holds no key this client may use; each refused key is listed with why.
    #[error("{url} holds no usable signing key{}", describe(.refused))]
    NoUsableKey {
        /// The URL fetched.
        url: String,
        /// The keys refused, with their reasons.
        refused: Vec<RefusedKey>,
    },
}

fn describe(refused: &[RefusedKey]) -> String {
    if refused.is_empty() {
        return String::new();
    }
    format!(": {}", crate::keys::set::describe_all(refused))
}

/// Why a JWKS client cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    /// The URL does not parse, or is plain `http://` to a host other than loopback.
    #[error("unusable URL {url}: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(String),
}

impl JwksClient {
    /// Keys from a JWK Set URL.
    pub fn builder(jwks_url: impl Into<String>) -> JwksClientBuilder {
        JwksClientBuilder {
            origin: Origin::Jwks(jwks_url.into()),
            config: JwksConfig::default(),
            http: None,
        }
    }

    /// Keys of an OpenID issuer: `{issuer}/.well-known/openid-configuration` names the JWK Set
    /// URL, and its `issuer` must be exactly `issuer`.
    pub fn discover(issuer: impl Into<String>) -> JwksClientBuilder {
        JwksClientBuilder {
            origin: Origin::Issuer(issuer.into()),
            config: JwksConfig::default(),
            http: None,
        }
    }

    /// The current key set (lock-free).
    pub fn keys(&self) -> Arc<KeySet> {
        self.inner.keys.load_full()
    }

    pub(crate) fn with_keys<R>(&self, f: impl FnOnce(&KeySet) -> R) -> R {
        f(&self.inner.keys.load())
    }

    /// How many times the key set was replaced; changes when keys rotate.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// Asks for an early refetch because a token named an unknown `kid`, unless one started
    /// less than the cooldown ago. Returns whether a refetch was requested. Never blocks.
    pub fn request_refetch(&self) -> bool {
        let inner = &self.inner;
        let now = inner.epoch.elapsed().as_millis() as u64;
        let cooldown = inner.config.refetch_cooldown.as_millis() as u64;
        let last = inner.last_refetch.load(Ordering::Acquire);
        // `last == 0` is "never"; a successful swap claims this refetch for this caller.
        let due = last == 0 || now.saturating_sub(last) >= cooldown;
        if due
            && inner
                .last_refetch
                .compare_exchange(last, now.max(1), Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            tracing::debug!(target: "auth", "unknown kid: JWKS refetch requested");
            inner.wake.notify_one();
            return true;
        }
        false
    }

    /// [`request_refetch`](Self::request_refetch), then waits (at most the fetch timeout) for
    /// that fetch to finish. Returns whether a fetch finished after the latest refetch
    /// request, so that a caller may retry once; `false` within the cooldown of an earlier
    /// refetch that found nothing new.
    pub async fn refetch_and_wait(&self) -> bool {
        let inner = &self.inner;
        let mut fetched = inner.fetched.subscribe();
        fetched.mark_unchanged();
        let claimed = self.request_refetch();
        let last_claim = inner.last_refetch.load(Ordering::Acquire);
        let last_done = inner.last_completed.load(Ordering::Acquire);
        if !claimed && last_done >= last_claim {
            // The refetch of this cooldown (claimed by this request's own synchronous
            // check, or by another) has finished: the keys are as fresh as they get.
            return last_done > 0 && last_claim > 0;
        }
        let wait = inner.config.timeout + Duration::from_millis(100);
        tokio::time::timeout(wait, fetched.changed())
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Fetches now (discovering the JWK Set URL first if needed) and swaps the set in on
    /// success. The background task does this on its own; tests and tools may call it.
    pub async fn refresh(&self) -> Result<Duration, RefreshError> {
        self.inner.fetch_and_announce().await
    }
}

impl JwksClientBuilder {
    /// Replaces the whole configuration.
    pub fn config(mut self, config: JwksConfig) -> Self {
        self.config = config;
        self
    }

    /// Bounds on how long a set is kept, whatever `Cache-Control` says.
    pub fn ttl_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.config.min_ttl = min;
        self.config.max_ttl = max.max(min);
        self
    }

    /// Least time between two refetches triggered by unknown `kid`s (default 30 s).
    pub fn refetch_cooldown(mut self, cooldown: Duration) -> Self {
        self.config.refetch_cooldown = cooldown;
        self
    }

    /// Whole-request timeout of one fetch (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// Wait before retrying a failed fetch (default 2 s, doubling up to 5 minutes).
    pub fn retry_after(mut self, wait: Duration) -> Self {
        self.config.retry_after = wait;
        self
    }

    /// Largest response accepted (default 256 KiB).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.config.max_response_bytes = bytes;
        self
    }

    /// Binds RSA keys published without `alg` to `alg`.
    pub fn rsa_default(mut self, alg: Algorithm) -> Self {
        self.config.rsa_default = Some(alg);
        self
    }

    /// Fetches with `client` instead of the default one: for a company CA
    /// (`add_root_certificate`), a proxy, or a client certificate (`identity`). The size cap,
    /// the timeout (set on every request) and the refusal of redirects still hold: a response
    /// that `client` got by following a redirect is refused ([`RefreshError::Redirected`]), so
    /// build it with `redirect(reqwest::redirect::Policy::none())` to fail fast.
    ///
    /// ```no_run
    /// # async fn start(ca_pem: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
    /// let client = reqwest::Client::builder()
    ///     .add_root_certificate(reqwest::Certificate::from_pem(ca_pem)?)
    ///     .redirect(reqwest::redirect::Policy::none())
    ///     .build()?;
    /// let jwks = auth_runtime::JwksClient::builder("https://auth.internal/.well-known/jwks.json")
    ///     .http_client(client)
    ///     .start()
    ///     .await?;
    /// # let _ = jwks;
    /// # Ok(())
    /// # }
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Allows `http://` to hosts other than loopback. Only for closed test networks.
    pub fn allow_insecure_http(mut self) -> Self {
        self.config.allow_insecure_http = true;
        self
    }

    /// Fetches the keys once (failing closed, without error, if the authority is down: every
    /// token is then refused with a 401 until a fetch succeeds) and starts the background
    /// refresh on the current tokio runtime. The task ends when the last clone is dropped.
    pub async fn start(self) -> Result<JwksClient, JwksError> {
        let origin_url = match &self.origin {
            Origin::Jwks(url) | Origin::Issuer(url) => url.clone(),
        };
        check_url(&origin_url, self.config.allow_insecure_http)?;
        let http = match self.http {
            Some(client) => client,
            None => reqwest::Client::builder()
                .timeout(self.config.timeout)
                .connect_timeout(self.config.timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| JwksError::Client(e.to_string()))?,
        };
        let jwks_url = match &self.origin {
            Origin::Jwks(url) => Some(Arc::new(parse_url(url)?)),
            Origin::Issuer(_) => None,
        };
        let (fetched, _) = watch::channel(0);
        let inner = Arc::new(Inner {
            origin: self.origin,
            config: self.config,
            http,
            jwks_url: ArcSwapOption::new(jwks_url),
            keys: ArcSwap::from_pointee(KeySet::default()),
            generation: AtomicU64::new(0),
            last_refetch: AtomicU64::new(0),
            last_completed: AtomicU64::new(0),
            epoch: Instant::now(),
            wake: Notify::new(),
            fetched,
            meters: JwksMeters::new(&origin_url),
        });
        let client = JwksClient { inner };
        let first = client.refresh().await;
        if let Err(error) = &first {
            tracing::warn!(target: "auth", %error, "JWKS unavailable at start: tokens are refused until a fetch succeeds");
        }
        let next = first.unwrap_or(client.inner.config.retry_after);
        tokio::spawn(refresh_loop(Arc::downgrade(&client.inner), next));
        Ok(client)
    }
}

async fn refresh_loop(inner: Weak<Inner>, mut wait: Duration) {
    let mut failures = 0u32;
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let woken = tokio::select! {
            () = tokio::time::sleep(wait) => false,
            () = strong.wake.notified() => true,
        };
        let result = strong.fetch_and_announce().await;
        wait = match result {
            Ok(ttl) => {
                failures = 0;
                ttl
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                tracing::warn!(target: "auth", %error, woken, "JWKS refresh failed; keeping the last good key set");
                let backoff = strong
                    .config
                    .retry_after
                    .saturating_mul(1 << failures.min(8));
                backoff.min(Duration::from_secs(300))
            }
        };
        drop(strong);
    }
}

impl Inner {
    /// One fetch attempt, then tells waiters it finished.
    async fn fetch_and_announce(&self) -> Result<Duration, RefreshError> {
        let result = self.fetch().await;
        match &result {
            Ok(_) => self.meters.fetched(self.keys.load().len()),
            Err(_) => self.meters.failed(),
        }
        let now = (self.epoch.elapsed().as_millis() as u64).max(1);
        self.last_completed.store(now, Ordering::Release);
        self.fetched.send_modify(|n| *n += 1);
        result
    }

    async fn fetch(&self) -> Result<Duration, RefreshError> {
        let url = match self.jwks_url.load_full() {
            Some(url) => url,
            None => {
                let Origin::Issuer(issuer) = &self.origin else {
                    return Err(RefreshError::Discovery("no JWKS URL".into()));
                };
                let url = Arc::new(self.discover(issuer).await?);
                self.jwks_url.store(Some(url.clone()));
                url
            }
        };
        let (body, headers) = self.get(&url).await?;
        let set = KeySet::parse_jwks(&body, self.config.rsa_default).map_err(|error| {
            RefreshError::InvalidSet {
                url: url.to_string(),
                error,
            }
        })?;
        // Refused keys are logged when they first appear, not at every refresh.
        let before = self.keys.load();
        for refused in set.refused() {
            if !before.refused().contains(refused) {
                refused.log();
            }
        }
        if set.is_empty() {
            return Err(RefreshError::NoUsableKey {
                url: url.to_string(),
                refused: set.refused().to_vec(),
            });
        }
        let changed = !same_keys(&before, &set) || before.refused() != set.refused();
        drop(before);
        if changed {
            self.keys.store(Arc::new(set));
            self.generation.fetch_add(1, Ordering::AcqRel);
            tracing::info!(target: "auth", %url, keys = self.keys.load().len(), "JWKS key set updated");
        }
        Ok(self.ttl(&headers))
    }

    async fn discover(&self, issuer: &str) -> Result<Url, RefreshError> {
        #[derive(Deserialize)]
        struct Discovery {
            issuer: String,
            jwks_uri: String,
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let discovery = |reason: String| RefreshError::Discovery(reason);
        let url = parse_url(&url).map_err(|e| discovery(e.to_string()))?;
        let (body, _) = self.get(&url).await?;
        let doc: Discovery = crate::token::json::object(body.as_bytes())
            .map_err(|e| discovery(format!("discovery document: {e}")))?;
        if doc.issuer != issuer {
            return Err(discovery(format!(
                "discovery names issuer {:?}, expected {issuer:?}",
                doc.issuer
            )));
        }
        check_url(&doc.jwks_uri, self.config.allow_insecure_http)
            .map_err(|e| discovery(e.to_string()))?;
        parse_url(&doc.jwks_uri).map_err(|e| discovery(e.to_string()))
    }

    /// GET with the size bound; the body as text.
    async fn get(&self, url: &Url) -> Result<(String, HeaderMap), RefreshError> {
        let failed = |e: reqwest::Error| RefreshError::Request {
            url: url.to_string(),
            reason: e.to_string(),
        };
        let mut response = self
            .http
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            // Per request too, for a client given by the user.
            .timeout(self.config.timeout)
            .send()
            .await
            .map_err(failed)?;
        if response.url() != url {
            return Err(RefreshError::Redirected {
                url: url.to_string(),
                to: response.url().to_string(),
            });
        }
        if !response.status().is_success() {
            return Err(RefreshError::Status {
                url: url.to_string(),
                status: response.status().as_u16(),
            });
        }
        let max = self.config.max_response_bytes;
        let too_large = || RefreshError::TooLarge {
            url: url.to_string(),
            max,
        };
        if response
            .content_length()
            .is_some_and(|len| len > max as u64)
        {
            return Err(too_large());
        }
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            if body.len() + chunk.len() > max {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        String::from_utf8(body)
            .map(|text| (text, headers))
            .map_err(|_| RefreshError::NotUtf8 {
                url: url.to_string(),
            })
    }

    /// `max-age` from `Cache-Control`, within the configured bounds.
    fn ttl(&self, headers: &HeaderMap) -> Duration {
        let c = &self.config;
        let directive = headers
            .get_all(CACHE_CONTROL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .find_map(|d| {
                if d.eq_ignore_ascii_case("no-store") || d.eq_ignore_ascii_case("no-cache") {
                    return Some(Duration::ZERO);
                }
                let (name, value) = d.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("max-age")
                    .then(|| value.trim().trim_matches('"').parse::<u64>().ok())
                    .flatten()
                    .map(Duration::from_secs)
            });
        directive
            .unwrap_or(c.default_ttl)
            .clamp(c.min_ttl, c.max_ttl.max(c.min_ttl))
    }
}

fn same_keys(a: &KeySet, b: &KeySet) -> bool {
    let ids = |set: &KeySet| {
        let mut ids: Vec<(Option<String>, &'static str)> = set
            .iter()
            .map(|k| (k.kid().map(str::to_owned), k.algorithm().name()))
            .collect();
        ids.sort();
        ids
    };
    // Key material under a known kid does not change in practice; a new kid set is a rotation.
    ids(a) == ids(b)
}

fn parse_url(url: &str) -> Result<Url, JwksError> {
    Url::parse(url).map_err(|e| JwksError::Url {
        url: url.to_owned(),
        reason: e.to_string(),
    })
}

/// `https`, or `http` to loopback, or `http` anywhere when explicitly allowed.
fn check_url(url: &str, allow_http: bool) -> Result<(), JwksError> {
    let parsed = parse_url(url)?;
    let reason = match parsed.scheme() {
        "https" => return Ok(()),
        "http" if allow_http => return Ok(()),
        "http" => {
            let loopback = match parsed.host() {
                Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
                Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
                None => false,
            };
            if loopback {
                return Ok(());
            }
            "plain http to a non-loopback host; use https (or allow_insecure_http() on a closed test network)"
        }
        _ => "only https (or http to loopback) is supported",
    };
    Err(JwksError::Url {
        url: url.to_owned(),
        reason: reason.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(check_url("https://auth.example.com/jwks", false).is_ok());
        assert!(check_url("http://127.0.0.1:8000/jwks", false).is_ok());
        assert!(check_url("http://localhost/jwks", false).is_ok());
        assert!(check_url("http://[::1]:80/jwks", false).is_ok());
        assert!(check_url("http://auth.example.com/jwks", false).is_err());
        assert!(check_url("http://auth.example.com/jwks", true).is_ok());
        assert!(check_url("file:///etc/passwd", true).is_err());
        assert!(check_url("not a url", true).is_err());
    }
}
