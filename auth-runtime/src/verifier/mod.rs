//! The verifier: built once at start-up, cheap to clone, shared by every request.

mod builder;
pub(crate) mod cache;
mod domain;
mod recent;
mod refusals;
mod validate;

pub use builder::{TrustedIssuer, VerifierBuilder};

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::clock::Clock;
use crate::error::AuthError;
use crate::http::rejection::Challenges;
use crate::http::sources::{RequestView, TokenLocation, TokenLocations};
use crate::keys::set::KeySet;
use crate::requirement::Requirement;
use crate::revocation::RevocationList;
use crate::token::alphabet;
use crate::token::claims::{Claims, RolesLocation};
use crate::token::jws::{self, HeaderPolicy, VerifiedJws};
use crate::verifier::cache::{CacheStats, TokenCache};
use crate::verifier::domain::Domain;
use crate::verifier::refusals::{RefusalCache, Refused};

/// Default clock-skew allowance for `exp`, `nbf` and `iat`.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);
/// Largest leeway a verifier accepts.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);
/// How a token reached the verifier, which decides what a refusal of text outside the RFC 6750
/// alphabet says.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Given {
    /// As text, to [`Verifier::verify`] and its siblings: the verification's own error, as
    /// when no bearer parser is involved.
    Directly,
    /// In a request's `Authorization` header: a malformed request (400), as if the bearer
    /// parser had checked the characters first.
    InHeader,
}

/// Default maximum token length in bytes, checked before any decoding.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 8 * 1024;

/// Verifies bearer tokens locally: signature with a key chosen by `kid` and bound to one
/// algorithm, then the registered claims.
///
/// Build it once at start-up with [`Verifier::builder`]; clones share everything (`Arc`), and
/// it is `Send + Sync`.
///
/// ```
/// use auth_runtime::{Algorithm, Verifier, VerifyingKey};
/// let secret = b"a-shared-secret-of-at-least-32-bytes";
/// let verifier = Verifier::builder()
///     .key(VerifyingKey::hmac(secret, Algorithm::HS256)?)
///     .issuer("https://auth.example.com")
///     .audience("orders")
///     .build()?;
/// assert!(verifier.verify("not.a.token").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Verifier {
    pub(super) inner: Arc<Inner>,
}

/// The application's mapping of newly verified claims ([`VerifierBuilder::map_claims`]).
pub(crate) type ClaimsMapper = Arc<dyn Fn(&mut Claims) + Send + Sync>;

pub(crate) struct Inner {
    /// Tokens verified before, when enabled.
    pub(super) cache: Option<TokenCache>,
    /// Tokens refused before, when the cache is enabled.
    pub(super) refusals: Option<RefusalCache>,
    /// One per trusted issuer; a token is matched to its domain by `iss` when there are
    /// several, and its key is looked up only among that domain's keys.
    pub(super) domains: Vec<Domain>,
    pub(super) header: HeaderPolicy,
    pub(super) leeway: u64,
    pub(super) roles_at: RolesLocation,
    /// The application's mapping of newly verified claims, before the cache keeps them.
    pub(super) map_claims: Option<ClaimsMapper>,
    /// The calling services accepted at all, when restricted.
    pub(super) callers: Option<Requirement>,
    /// The revocations honoured, when configured.
    pub(super) revocations: Option<RevocationList>,
    /// Where requests carry their token.
    pub(super) locations: TokenLocations,
    pub(super) clock: Arc<dyn Clock>,
    /// The realm's `WWW-Authenticate` challenges and the rejection bodies, rendered once;
    /// shared with every rejection.
    pub(super) challenges: Arc<Challenges>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Verifier")
            .field("domains", &i.domains)
            .field("leeway", &i.leeway)
            .field("max_token_len", &i.header.max_len)
            .field("typ", &i.header.typ)
            .field("roles_at", &i.roles_at)
            .field("maps_claims", &i.map_claims.is_some())
            .field("callers", &i.callers)
            .field("revocations", &i.revocations)
            .field("token_locations", &i.locations.list())
            .field("realm", &i.challenges.realm())
            .finish()
    }
}

impl Verifier {
    /// Starts a configuration.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::default()
    }

    /// Verifies `token` and returns its claims.
    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        Ok(self.verify_shared(token)?.into_claims())
    }

    /// Verifies `token` and deserializes its claims into the caller's own type. The registered
    /// claims are validated exactly as by [`verify`](Self::verify) first.
    ///
    /// ```
    /// # use auth_runtime::testing;
    /// #[derive(serde::Deserialize)]
    /// struct Mine { sub: String, tenant: String }
    /// let (authority, verifier) = testing::pair(auth_runtime::Algorithm::EdDSA);
    /// let token = authority.token("alice").claim("tenant", "acme").issue()?;
    /// let mine: Mine = verifier.verify_as(&token)?;
    /// assert_eq!((mine.sub.as_str(), mine.tenant.as_str()), ("alice", "acme"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify_as<T: DeserializeOwned>(&self, token: &str) -> Result<T, AuthError> {
        self.verify_shared(token)?.deserialize()
    }

    /// Verifies `token` and lends its claims and payload without copying them: on a hit of
    /// the verified-token cache they are shared with the cache. This is what the guards of
    /// protected handlers use; the requirement is checked on the borrowed claims.
    ///
    /// ```
    /// # use auth_runtime::testing;
    /// let (authority, verifier) = testing::pair(auth_runtime::Algorithm::ES256);
    /// let token = authority.token("alice").roles(["admin"]).issue()?;
    /// let verified = verifier.verify_shared(&token)?;
    /// assert!(verified.claims().has_role("admin"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify_shared(&self, token: &str) -> Result<VerifiedToken, AuthError> {
        let max_len = self.inner.header.max_len;
        if token.len() > max_len {
            return Err(AuthError::TokenTooLong {
                len: token.len(),
                max: max_len,
            });
        }
        self.check_presented(token.as_bytes(), Given::Directly)
    }

    /// [`verify_shared`](Self::verify_shared) of a token as a request's `Authorization`
    /// header carried it, its characters not yet checked (see [`Self::check_presented`]).
    #[inline]
    pub(crate) fn verify_presented(&self, token: &[u8]) -> Result<VerifiedToken, AuthError> {
        self.check_presented(token, Given::InHeader)
    }

    /// Verifies `token` whose characters are not yet checked against the RFC 6750 alphabet. A
    /// token found in either cache passed that check when it was first seen (neither cache holds
    /// one that failed it). Any other is checked only once it is refused: a token that verifies
    /// consists of base64url and dots, inside the alphabet, and the verification never reaches
    /// the signature of text that is not. A refusal of text outside the alphabet is neither
    /// counted nor cached; from a header it is [`AuthError::InvalidCharacter`] (see [`Given`]).
    fn check_presented(&self, token: &[u8], given: Given) -> Result<VerifiedToken, AuthError> {
        let i = &self.inner;
        let outside_alphabet = || !alphabet::is_b64token(token);
        // What a refusal with `error` says.
        let refusal = |error: AuthError| match given {
            Given::InHeader if outside_alphabet() => AuthError::InvalidCharacter,
            _ => error,
        };
        let Some(cache) = &i.cache else {
            return match self.timed_check(token, i.clock.now()).and_then(|verified| {
                self.check_revocation(&verified.0, None)?;
                Ok(verified)
            }) {
                Ok((claims, payload)) => Ok(VerifiedToken::fresh(claims, payload)),
                Err(refused) => Err(refusal(refused.error)),
            };
        };
        if token.len() > i.header.max_len {
            let too_long = AuthError::TokenTooLong {
                len: token.len(),
                max: i.header.max_len,
            };
            return Err(refusal(too_long));
        }
        let now = i.clock.now();
        let generation = self.key_generation();
        if let Some(hit) = cache.get(token, now, generation) {
            cache.record_hit();
            // One atomic load while the list has not changed since this entry was checked.
            if let Some(revocations) = &i.revocations {
                let epoch = revocations.epoch();
                if hit.revocation_epoch.load(Ordering::Relaxed) != epoch {
                    revocations.check(&hit.claims)?;
                    hit.revocation_epoch.store(epoch, Ordering::Relaxed);
                }
            }
            return Ok(VerifiedToken(Shared::Cached(hit)));
        }
        if let Some(error) = i
            .refusals
            .as_ref()
            .and_then(|r| r.get(token, now, generation))
        {
            return Err(error);
        }
        // Read before the check, so that a revocation added during it is checked at the next hit.
        let epoch = i.revocations.as_ref().map_or(0, RevocationList::epoch);
        let checked = self.timed_check(token, now).and_then(|verified| {
            self.check_revocation(&verified.0, Some(now))
                .map(|()| verified)
        });
        let (claims, payload) = match checked {
            Ok(verified) => {
                cache.record_miss();
                verified
            }
            Err(refused) => {
                if outside_alphabet() {
                    return Err(refusal(refused.error));
                }
                cache.record_miss();
                if let Some(refusals) = &i.refusals {
                    refusals.insert(token, &refused, now, generation);
                }
                return Err(refused.error);
            }
        };
        Ok(match cache.keep_until(&claims, now, i.leeway) {
            Some(until) => {
                let entry = cache.insert(token, claims, payload, until, generation, epoch);
                VerifiedToken(Shared::Cached(entry))
            }
            None => VerifiedToken::fresh(claims, payload),
        })
    }

    /// [`check`](Self::check), timed for the metrics when the feature is on.
    #[inline]
    fn timed_check(&self, token: &[u8], now: u64) -> Result<(Claims, Vec<u8>), Refused> {
        #[cfg(feature = "metrics")]
        {
            let started = std::time::Instant::now();
            let checked = self.check(token, now);
            crate::observe::verification_time(started.elapsed().as_secs_f64());
            checked
        }
        #[cfg(not(feature = "metrics"))]
        self.check(token, now)
    }

    /// The whole check of `token` at `now`; a refusal says from when it may change.
    fn check(&self, token: &[u8], now: u64) -> Result<(Claims, Vec<u8>), Refused> {
        let domain = self.domain_for(token).map_err(Refused::lasting)?;
        let payload = domain
            .verify_payload(token, &self.inner.header)
            .map_err(Refused::lasting)?;
        let mut claims =
            Claims::from_payload(&payload, &self.inner.roles_at).map_err(Refused::lasting)?;
        let leeway = self.inner.leeway;
        match validate::registered_claims(domain, claims.registered(), now, leeway) {
            Ok(()) => {
                if let Some(map) = &self.inner.map_claims {
                    map(&mut claims);
                }
                if let Some(callers) = &self.inner.callers {
                    callers.check(&claims).map_err(Refused::lasting)?;
                }
                Ok((claims, payload))
            }
            Err(error) => {
                // Not yet valid: valid once `nbf` (or `iat`) is within the leeway of now.
                let changes_at = match error {
                    AuthError::NotYetValid => claims.nbf,
                    AuthError::IssuedInFuture => claims.iat,
                    _ => None,
                }
                .map(|at| at.saturating_sub(leeway));
                Err(Refused { error, changes_at })
            }
        }
    }

    /// The revocation list's decision on newly verified `claims`. A revocation is final (the
    /// refusal may be cached); an out-of-date list's refusal lasts only this request.
    fn check_revocation(&self, claims: &Claims, now: Option<u64>) -> Result<(), Refused> {
        let Some(revocations) = &self.inner.revocations else {
            return Ok(());
        };
        revocations.check(claims).map_err(|error| match error {
            AuthError::Revoked => Refused::lasting(error),
            error => Refused {
                error,
                changes_at: now,
            },
        })
    }

    /// Changes whenever any trusted key set changes (a JWKS rotation).
    #[inline]
    fn key_generation(&self) -> u64 {
        match self.inner.domains.as_slice() {
            [only] => only.keys.generation(),
            domains => domains
                .iter()
                .map(|d| d.keys.generation())
                .fold(0, u64::wrapping_add),
        }
    }

    /// Hits, misses, entries and estimated bytes of the verified-token cache (all zeros when
    /// it is off): see [`CacheStats`].
    pub fn cache_stats(&self) -> CacheStats {
        let mut stats = self
            .inner
            .cache
            .as_ref()
            .map_or_else(CacheStats::default, TokenCache::stats);
        if let Some(refusals) = &self.inner.refusals {
            stats.refusal_hits = refusals.hits();
            stats.refusals = refusals.len();
            stats.refusal_bytes = refusals.weight();
        }
        stats
    }

    /// Whether any trusted issuer's keys come from a JWKS client, so that a refusal for an
    /// unknown `kid` may end with a refetch.
    pub(crate) fn refetches_keys(&self) -> bool {
        self.inner.domains.iter().any(|d| match &d.keys {
            #[cfg(feature = "jwks")]
            domain::KeySource::Remote(_) => true,
            _ => false,
        })
    }

    /// After a token was refused for an unknown `kid`: if its issuer's keys come from a
    /// [`JwksClient`](crate::JwksClient), asks for a refetch (at most once per cooldown) and
    /// waits for it. Returns whether the keys were refetched, so the caller may retry once.
    pub async fn refetch_keys_for(&self, token: &str) -> bool {
        match self.domain_for(token.as_bytes()).map(|d| &d.keys) {
            #[cfg(feature = "jwks")]
            Ok(domain::KeySource::Remote(client)) => client.refetch_and_wait().await,
            _ => false,
        }
    }

    /// Verifies the signature layer only: header, key and signature. The payload is returned
    /// undecoded as claims and **not** validated (no `exp`, `iss`, `aud` checks). For JWS
    /// payloads that are not claim sets; use [`verify`](Self::verify) for access tokens.
    pub fn verify_signature(&self, token: &str) -> Result<VerifiedJws, AuthError> {
        self.domain_for(token.as_bytes())?
            .verify_signature(token.as_bytes(), &self.inner.header)
    }

    /// The trust domain of `token`: the only one, or the one whose issuer is the token's
    /// (read before the signature is checked, only to choose the keys; checked again after).
    fn domain_for(&self, token: &[u8]) -> Result<&Domain, AuthError> {
        let domains = &self.inner.domains;
        if let [only] = domains.as_slice() {
            return Ok(only);
        }
        let iss = jws::peek_issuer(token, self.inner.header.max_len)?;
        domains
            .iter()
            .find(|d| d.issuers.as_ref().is_some_and(|list| list.contains(&iss)))
            .ok_or(AuthError::InvalidIssuer)
    }

    /// Verifies the token `request` carries, read from wherever this verifier's
    /// [token locations](VerifierBuilder::token_locations) say, with its CSRF proof checked if it
    /// came in a cookie: what every adapter runs, for adapters of your own (docs/adapters.md).
    ///
    /// ```
    /// use auth_runtime::HttpView;
    /// use http::{HeaderMap, HeaderValue, Method};
    /// # let (authority, verifier) = auth_runtime::testing::pair(auth_runtime::Algorithm::ES256);
    /// let mut headers = HeaderMap::new();
    /// let bearer = format!("Bearer {}", authority.issue("alice", ["user"])?);
    /// headers.insert("authorization", HeaderValue::from_str(&bearer)?);
    /// let request = HttpView { headers: &headers, method: Some(&Method::GET), query: None, path: None };
    /// let verified = verifier.verify_request(&request)?;
    /// assert!(verified.claims().has_role("user"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify_request(&self, request: &impl RequestView) -> Result<VerifiedToken, AuthError> {
        self.verify_request_at(&self.inner.locations, request)
    }

    /// [`verify_request`](Self::verify_request) with the token read from `locations` instead
    /// of this verifier's own (a handler's `#[protected(token_locations = ...)]`).
    pub(crate) fn verify_request_at(
        &self,
        locations: &TokenLocations,
        request: &impl RequestView,
    ) -> Result<VerifiedToken, AuthError> {
        let presented = locations.presented(request)?;
        let verified = self.verify_presented(presented.token)?;
        if let Some(csrf) = &presented.csrf {
            csrf.check(verified.claims())?;
        }
        Ok(verified)
    }

    /// Where requests carry their token, in order (see
    /// [`VerifierBuilder::token_locations`]).
    pub fn token_locations(&self) -> &[TokenLocation] {
        self.inner.locations.list()
    }

    #[inline]
    pub(crate) fn locations(&self) -> &TokenLocations {
        &self.inner.locations
    }

    /// The realm named in `WWW-Authenticate` challenges.
    pub fn realm(&self) -> &str {
        self.inner.challenges.realm()
    }

    /// The realm's challenges, for rejections.
    pub(crate) fn challenges(&self) -> &Arc<Challenges> {
        &self.inner.challenges
    }

    /// Whether this verifier can decide: every trusted issuer has at least one key. `false`
    /// while a [`JwksClient`](crate::JwksClient) has not fetched its first key set (every token
    /// of that issuer is refused until it has), which a readiness probe reports so that no
    /// traffic is sent to the service yet.
    ///
    /// ```
    /// # let (_, verifier) = auth_runtime::testing::pair(auth_runtime::Algorithm::ES256);
    /// assert!(verifier.is_ready());
    /// ```
    pub fn is_ready(&self) -> bool {
        self.inner
            .domains
            .iter()
            .all(|d| d.keys.with(KeySet::len) > 0)
    }

    /// The keys this verifier trusts now, across its issuers.
    pub fn key_count(&self) -> usize {
        self.inner
            .domains
            .iter()
            .map(|d| d.keys.with(KeySet::len))
            .sum()
    }
}

/// A token that passed verification: its claims and verified payload, either shared with the
/// verified-token cache or freshly decoded. See [`Verifier::verify_shared`].
#[derive(Clone)]
pub struct VerifiedToken(Shared);

/// Small, because it is moved several times on every request: a cache hit is one pointer, and
/// the rarer fresh token (no cache, or too close to its expiry to keep) is boxed.
#[derive(Clone)]
enum Shared {
    Cached(Arc<crate::verifier::cache::Entry>),
    Fresh(Box<(Claims, Vec<u8>)>),
}

impl VerifiedToken {
    fn fresh(claims: Claims, payload: Vec<u8>) -> Self {
        VerifiedToken(Shared::Fresh(Box::new((claims, payload))))
    }

    /// The validated claims.
    pub fn claims(&self) -> &Claims {
        match &self.0 {
            Shared::Cached(entry) => &entry.claims,
            Shared::Fresh(fresh) => &fresh.0,
        }
    }

    /// The verified payload: the claims set as the issuer wrote it.
    pub fn payload(&self) -> &[u8] {
        match &self.0 {
            Shared::Cached(entry) => &entry.payload,
            Shared::Fresh(fresh) => &fresh.1,
        }
    }

    /// The claims, owned (copied only when shared with the cache).
    pub fn into_claims(self) -> Claims {
        match self.0 {
            Shared::Cached(entry) => Claims::clone(&entry.claims),
            Shared::Fresh(fresh) => fresh.0,
        }
    }

    /// The claims, shared: with the cache on a hit, without copying them.
    ///
    /// ```
    /// # use auth_runtime::testing;
    /// let (authority, verifier) = testing::pair(auth_runtime::Algorithm::ES256);
    /// let token = authority.issue("alice", ["admin"])?;
    /// let first = verifier.verify_shared(&token)?.into_shared_claims();
    /// let again = verifier.verify_shared(&token)?.into_shared_claims();
    /// assert!(std::sync::Arc::ptr_eq(&first, &again));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn into_shared_claims(self) -> Arc<Claims> {
        match self.0 {
            Shared::Cached(entry) => Arc::clone(&entry.claims),
            Shared::Fresh(fresh) => Arc::new(fresh.0),
        }
    }

    /// The claims and the payload, owned.
    pub fn into_parts(self) -> (Claims, Vec<u8>) {
        match self.0 {
            Shared::Cached(entry) => (Claims::clone(&entry.claims), entry.payload.clone()),
            Shared::Fresh(fresh) => *fresh,
        }
    }

    /// The payload deserialized into the caller's own type.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, AuthError> {
        serde_json::from_slice(self.payload())
            .map_err(|e| AuthError::ClaimsTypeMismatch(e.to_string()))
    }
}

impl fmt::Debug for VerifiedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedToken")
            .field("claims", self.claims())
            .field("cached", &matches!(self.0, Shared::Cached(_)))
            .finish()
    }
}
