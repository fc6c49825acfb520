//! The verifier: built once at start-up, cheap to clone, shared by every request.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;
use serde::de::DeserializeOwned;

use crate::algorithm::Algorithm;
use crate::bearer::bearer_token;
use crate::cache::{CacheConfig, TokenCache};
use crate::claims::{Claims, RegisteredView, RolesLocation};
use crate::clock::{Clock, SystemClock};
use crate::error::{AuthError, ConfigError};
use crate::jws::{self, HeaderPolicy, VerifiedJws};
use crate::key::VerifyingKey;
use crate::key_set::KeySet;

/// Default clock-skew allowance for `exp`, `nbf` and `iat`.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);
/// Largest leeway a verifier accepts.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);
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
    inner: Arc<Inner>,
}

struct Inner {
    /// Tokens verified before, when enabled.
    cache: Option<TokenCache>,
    /// One per trusted issuer; a token is matched to its domain by `iss` when there are
    /// several, and its key is looked up only among that domain's keys.
    domains: Vec<Domain>,
    header: HeaderPolicy,
    leeway: u64,
    roles_at: RolesLocation,
    clock: Arc<dyn Clock>,
    realm: String,
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
            .field("realm", &i.realm)
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

    /// Verifies `token` and returns its claims with the verified payload, for callers that
    /// deserialize the payload again into their own type.
    pub fn verify_with_payload(&self, token: &str) -> Result<(Claims, Vec<u8>), AuthError> {
        Ok(self.verify_shared(token)?.into_parts())
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
        let i = &self.inner;
        let Some(cache) = &i.cache else {
            let (claims, payload) = self.verify_uncached(token)?;
            return Ok(VerifiedToken::fresh(claims, payload));
        };
        if token.len() > i.header.max_len {
            return Err(AuthError::TokenTooLong {
                len: token.len(),
                max: i.header.max_len,
            });
        }
        let now = i.clock.now();
        let generation = self.key_generation();
        if let Some(hit) = cache.get(token, now, generation) {
            return Ok(VerifiedToken(Shared::Cached(hit)));
        }
        let (claims, payload) = self.verify_uncached(token)?;
        Ok(match cache.keep_until(&claims, now, i.leeway) {
            Some(until) => {
                let entry = cache.insert(token, claims, payload, until, generation);
                VerifiedToken(Shared::Cached(entry))
            }
            None => VerifiedToken::fresh(claims, payload),
        })
    }

    fn verify_uncached(&self, token: &str) -> Result<(Claims, Vec<u8>), AuthError> {
        let domain = self.domain_for(token)?;
        let jws = domain.verify_signature(token, &self.inner.header)?;
        let claims = Claims::from_payload(&jws.payload, &self.inner.roles_at)?;
        self.validate(domain, claims.registered())?;
        Ok((claims, jws.payload))
    }

    /// Changes whenever any trusted key set changes (a JWKS rotation).
    fn key_generation(&self) -> u64 {
        self.inner
            .domains
            .iter()
            .map(|d| d.keys.generation())
            .fold(0, u64::wrapping_add)
    }

    /// Entries and estimated bytes in the verified-token cache (zeros when it is off).
    pub fn cache_usage(&self) -> (usize, u64) {
        self.inner
            .cache
            .as_ref()
            .map_or((0, 0), |c| (c.len(), c.weight()))
    }

    /// After a token was refused for an unknown `kid`: if its issuer's keys come from a
    /// [`JwksClient`](crate::JwksClient), asks for a refetch (at most once per cooldown) and
    /// waits for it. Returns whether the keys were refetched, so the caller may retry once.
    pub async fn refetch_keys_for(&self, token: &str) -> bool {
        match self.domain_for(token).map(|d| &d.keys) {
            #[cfg(feature = "jwks")]
            Ok(KeySource::Remote(client)) => client.refetch_and_wait().await,
            _ => false,
        }
    }

    /// Verifies the signature layer only: header, key and signature. The payload is returned
    /// undecoded as claims and **not** validated (no `exp`, `iss`, `aud` checks). For JWS
    /// payloads that are not claim sets; use [`verify`](Self::verify) for access tokens.
    pub fn verify_signature(&self, token: &str) -> Result<VerifiedJws, AuthError> {
        self.domain_for(token)?
            .verify_signature(token, &self.inner.header)
    }

    /// The trust domain of `token`: the only one, or the one whose issuer is the token's
    /// (read before the signature is checked, only to choose the keys; checked again after).
    fn domain_for(&self, token: &str) -> Result<&Domain, AuthError> {
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

    /// Takes the bearer token from `headers` and verifies it.
    pub fn verify_headers(&self, headers: &HeaderMap) -> Result<Claims, AuthError> {
        self.verify(bearer_token(headers)?)
    }

    /// The realm named in `WWW-Authenticate` challenges.
    pub fn realm(&self) -> &str {
        &self.inner.realm
    }

    /// The keys this verifier trusts now, across its issuers.
    pub fn key_count(&self) -> usize {
        self.inner
            .domains
            .iter()
            .map(|d| d.keys.with(KeySet::len))
            .sum()
    }

    fn validate(&self, domain: &Domain, claims: RegisteredView<'_>) -> Result<(), AuthError> {
        let i = &self.inner;
        let now = i.clock.now();
        let exp = claims.exp.ok_or(AuthError::MissingClaim("exp"))?;
        // RFC 7519: now must be before exp; the leeway absorbs clock skew.
        if now >= exp.saturating_add(i.leeway) {
            return Err(AuthError::Expired);
        }
        if claims
            .nbf
            .is_some_and(|nbf| nbf > now.saturating_add(i.leeway))
        {
            return Err(AuthError::NotYetValid);
        }
        if claims
            .iat
            .is_some_and(|iat| iat > now.saturating_add(i.leeway))
        {
            return Err(AuthError::IssuedInFuture);
        }
        if let Some(issuers) = &domain.issuers {
            let iss = claims.iss.ok_or(AuthError::MissingClaim("iss"))?;
            if !issuers.iter().any(|expected| expected == iss) {
                return Err(AuthError::InvalidIssuer);
            }
        }
        if let Some(audiences) = &domain.audiences {
            if claims.aud.is_empty() {
                return Err(AuthError::MissingClaim("aud"));
            }
            if !claims
                .aud
                .iter()
                .any(|aud| audiences.iter().any(|a| a == aud))
            {
                return Err(AuthError::InvalidAudience);
            }
        }
        Ok(())
    }
}

/// A token that passed verification: its claims and verified payload, either shared with the
/// verified-token cache or freshly decoded. See [`Verifier::verify_shared`].
pub struct VerifiedToken(Shared);

/// Returned and consumed at once, so its size costs one move; boxing the fresh case would cost
/// an allocation per miss.
#[allow(clippy::large_enum_variant)]
enum Shared {
    Cached(Arc<crate::cache::Entry>),
    Fresh(Claims, Vec<u8>),
}

impl VerifiedToken {
    fn fresh(claims: Claims, payload: Vec<u8>) -> Self {
        VerifiedToken(Shared::Fresh(claims, payload))
    }

    /// The validated claims.
    pub fn claims(&self) -> &Claims {
        match &self.0 {
            Shared::Cached(entry) => &entry.claims,
            Shared::Fresh(claims, _) => claims,
        }
    }

    /// The verified payload: the claims set as the issuer wrote it.
    pub fn payload(&self) -> &[u8] {
        match &self.0 {
            Shared::Cached(entry) => &entry.payload,
            Shared::Fresh(_, payload) => payload,
        }
    }

    /// The claims, owned (copied only when shared with the cache).
    pub fn into_claims(self) -> Claims {
        match self.0 {
            Shared::Cached(entry) => entry.claims.clone(),
            Shared::Fresh(claims, _) => claims,
        }
    }

    /// The claims and the payload, owned.
    pub fn into_parts(self) -> (Claims, Vec<u8>) {
        match self.0 {
            Shared::Cached(entry) => (entry.claims.clone(), entry.payload.clone()),
            Shared::Fresh(claims, payload) => (claims, payload),
        }
    }

    /// The payload deserialized into the caller's own type.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, AuthError> {
        serde_json::from_slice(self.payload()).map_err(|e| {
            AuthError::InvalidClaim(format!("claims do not fit the handler's type: {e}"))
        })
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

/// The keys, issuers and audiences of one trusted authority.
struct Domain {
    keys: KeySource,
    issuers: Option<Vec<String>>,
    audiences: Option<Vec<String>>,
}

impl fmt::Debug for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Domain")
            .field("keys", &self.keys.with(KeySet::len))
            .field("remote", &!matches!(self.keys, KeySource::Static(_)))
            .field("issuers", &self.issuers)
            .field("audiences", &self.audiences)
            .finish()
    }
}

impl Domain {
    fn verify_signature(
        &self,
        token: &str,
        header: &HeaderPolicy,
    ) -> Result<VerifiedJws, AuthError> {
        let result = self.keys.with(|keys| jws::verify(token, keys, header));
        #[cfg(feature = "jwks")]
        if let (Err(AuthError::UnknownKey), KeySource::Remote(client)) = (&result, &self.keys) {
            client.request_refetch();
        }
        result
    }
}

/// Keys held in memory, or kept fresh from an authority's JWK Set.
enum KeySource {
    Static(KeySet),
    #[cfg(feature = "jwks")]
    Remote(crate::JwksClient),
}

impl KeySource {
    fn generation(&self) -> u64 {
        match self {
            KeySource::Static(_) => 0,
            #[cfg(feature = "jwks")]
            KeySource::Remote(client) => client.generation(),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&KeySet) -> R) -> R {
        match self {
            KeySource::Static(keys) => f(keys),
            #[cfg(feature = "jwks")]
            KeySource::Remote(client) => client.with_keys(f),
        }
    }
}

/// Another authority a [`Verifier`] trusts besides its main one
/// ([`VerifierBuilder::trust`]): tokens whose `iss` is this issuer are checked with these keys
/// and audiences only.
#[must_use]
#[derive(Debug)]
pub struct TrustedIssuer {
    issuer: String,
    audiences: Option<Vec<String>>,
    keys: Vec<VerifyingKey>,
    #[cfg(feature = "jwks")]
    jwks: Option<crate::JwksClient>,
}

impl TrustedIssuer {
    /// An issuer (exact `iss` value).
    pub fn new(issuer: impl Into<String>) -> Self {
        TrustedIssuer {
            issuer: issuer.into(),
            audiences: None,
            keys: Vec::new(),
            #[cfg(feature = "jwks")]
            jwks: None,
        }
    }

    /// An audience its tokens must name (call again for several). Without one, the audience
    /// is not checked for this issuer.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences
            .get_or_insert_with(Vec::new)
            .push(audience.into());
        self
    }

    /// One of its keys.
    pub fn key(mut self, key: VerifyingKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Its keys, from its JWK Set.
    #[cfg(feature = "jwks")]
    pub fn jwks(mut self, client: crate::JwksClient) -> Self {
        self.jwks = Some(client);
        self
    }
}

/// Configuration of a [`Verifier`].
///
/// An issuer and an audience must each be configured, or deliberately waived with
/// [`any_issuer`](Self::any_issuer) / [`any_audience`](Self::any_audience): forgetting them is a
/// [`ConfigError`], not a silent acceptance of tokens minted for another service.
#[must_use]
pub struct VerifierBuilder {
    keys: Vec<VerifyingKey>,
    jwks: Vec<(String, Option<Algorithm>)>,
    issuers: Option<Vec<String>>,
    any_issuer: bool,
    audiences: Option<Vec<String>>,
    any_audience: bool,
    leeway: Duration,
    max_len: usize,
    typ: Option<String>,
    roles_at: RolesLocation,
    clock: Arc<dyn Clock>,
    realm: String,
    mixed_families: bool,
    trusted: Vec<TrustedIssuer>,
    #[cfg(feature = "jwks")]
    jwks_client: Option<crate::JwksClient>,
    cache: Option<CacheConfig>,
}

impl Default for VerifierBuilder {
    fn default() -> Self {
        VerifierBuilder {
            keys: Vec::new(),
            jwks: Vec::new(),
            issuers: None,
            any_issuer: false,
            audiences: None,
            any_audience: false,
            leeway: DEFAULT_LEEWAY,
            max_len: DEFAULT_MAX_TOKEN_LEN,
            typ: None,
            roles_at: RolesLocation::default(),
            clock: Arc::new(SystemClock),
            realm: String::from("api"),
            mixed_families: false,
            trusted: Vec::new(),
            #[cfg(feature = "jwks")]
            jwks_client: None,
            cache: Some(CacheConfig::default()),
        }
    }
}

impl VerifierBuilder {
    /// Trusts `key`.
    pub fn key(mut self, key: VerifyingKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Trusts every key.
    pub fn keys(mut self, keys: impl IntoIterator<Item = VerifyingKey>) -> Self {
        self.keys.extend(keys);
        self
    }

    /// Trusts the keys of a JWK Set document (see [`KeySet::from_jwks_json`]); parsed by
    /// [`build`](Self::build).
    pub fn jwks_json(mut self, json: impl Into<String>) -> Self {
        self.jwks.push((json.into(), None));
        self
    }

    /// Like [`jwks_json`](Self::jwks_json), binding RSA keys that carry no `alg` to `alg`.
    pub fn jwks_json_with_rsa_default(mut self, json: impl Into<String>, alg: Algorithm) -> Self {
        self.jwks.push((json.into(), Some(alg)));
        self
    }

    /// Takes the keys from a [`JwksClient`](crate::JwksClient), kept fresh in the background
    /// (feature `jwks`). The set may be empty while the authority is unreachable: tokens are
    /// then refused with a 401, never let through.
    #[cfg(feature = "jwks")]
    pub fn jwks(mut self, client: crate::JwksClient) -> Self {
        self.jwks_client = Some(client);
        self
    }

    /// Trusts another authority too: a token is matched to an authority by its `iss`, and
    /// its key is looked up only among that authority's keys. The main configuration then
    /// needs explicit issuers.
    pub fn trust(mut self, issuer: TrustedIssuer) -> Self {
        self.trusted.push(issuer);
        self
    }

    /// Accepts tokens whose `iss` is `issuer` (call again to accept several).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuers
            .get_or_insert_with(Vec::new)
            .push(issuer.into());
        self
    }

    /// Accepts tokens from any issuer: a deliberate choice, for tokens that carry no `iss`.
    pub fn any_issuer(mut self) -> Self {
        self.any_issuer = true;
        self
    }

    /// Accepts tokens whose `aud` names `audience` (call again to accept several).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences
            .get_or_insert_with(Vec::new)
            .push(audience.into());
        self
    }

    /// Accepts tokens for any audience, or none: a deliberate choice.
    pub fn any_audience(mut self) -> Self {
        self.any_audience = true;
        self
    }

    /// Clock-skew allowance for `exp`, `nbf` and `iat` (default 60 s, at most 300 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Longest token accepted, in bytes, checked before decoding (default 8 KiB).
    pub fn max_token_len(mut self, bytes: usize) -> Self {
        self.max_len = bytes;
        self
    }

    /// Requires the header `typ` to be `typ`, compared case-insensitively and with an optional
    /// `application/` prefix: `require_typ("at+jwt")` for RFC 9068 access tokens.
    pub fn require_typ(mut self, typ: &str) -> Self {
        self.typ = Some(jws::normalize_typ(typ));
        self
    }

    /// Where tokens keep their roles (default: a top-level `roles` array).
    pub fn roles_at(mut self, location: RolesLocation) -> Self {
        self.roles_at = location;
        self
    }

    /// The source of "now" (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The realm named in `WWW-Authenticate` challenges (default `api`).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// Sizes the verified-token cache (on by default: see [`CacheConfig::default`]).
    pub fn cache(mut self, config: CacheConfig) -> Self {
        self.cache = Some(config);
        self
    }

    /// Verifies every token in full, every time: no verified-token cache.
    pub fn no_cache(mut self) -> Self {
        self.cache = None;
        self
    }

    /// Allows HMAC secrets and asymmetric public keys in one verifier. Off by default: a
    /// verifier that holds both is one `kid` mix-up away from key confusion.
    pub fn allow_mixed_key_families(mut self) -> Self {
        self.mixed_families = true;
        self
    }

    /// Checks the configuration and builds the verifier.
    pub fn build(self) -> Result<Verifier, ConfigError> {
        if self.issuers.is_none() && !self.any_issuer {
            return Err(ConfigError::IssuerNotConfigured);
        }
        if self.audiences.is_none() && !self.any_audience {
            return Err(ConfigError::AudienceNotConfigured);
        }
        if self.leeway > MAX_LEEWAY {
            return Err(ConfigError::LeewayTooLarge(self.leeway.as_secs()));
        }
        let mixed = self.mixed_families;
        let check_families = |keys: &KeySet| {
            let hmac = keys.iter().filter(|k| k.is_hmac()).count();
            if hmac != 0 && hmac != keys.len() && !mixed {
                return Err(ConfigError::MixedKeyFamilies);
            }
            Ok(())
        };
        let mut domains = Vec::new();
        let mut keys = KeySet::new(self.keys)?;
        let mut refused = Vec::new();
        for (json, default_rsa) in &self.jwks {
            let set = KeySet::from_jwks_json(json, *default_rsa)?;
            for key in set.iter() {
                keys.insert(key.clone())?;
            }
            refused.extend_from_slice(set.refused());
        }
        #[cfg(feature = "jwks")]
        let remote = self.jwks_client;
        #[cfg(not(feature = "jwks"))]
        let remote: Option<std::convert::Infallible> = None;
        match remote {
            #[cfg(feature = "jwks")]
            Some(client) => {
                if !keys.is_empty() {
                    return Err(ConfigError::Key(crate::error::KeyError::Invalid(
                        "give static keys or a JWKS client, not both".into(),
                    )));
                }
                domains.push(Domain {
                    keys: KeySource::Remote(client),
                    issuers: self.issuers.clone(),
                    audiences: self.audiences,
                });
            }
            #[cfg(not(feature = "jwks"))]
            Some(never) => match never {},
            None if !keys.is_empty() => {
                check_families(&keys)?;
                domains.push(Domain {
                    keys: KeySource::Static(keys),
                    issuers: self.issuers.clone(),
                    audiences: self.audiences,
                });
            }
            None => {}
        }
        if !self.trusted.is_empty() && domains.first().is_some_and(|d| d.issuers.is_none()) {
            return Err(ConfigError::IssuerNotConfigured);
        }
        for trusted in self.trusted {
            let keys = KeySet::new(trusted.keys)?;
            check_families(&keys)?;
            #[cfg(feature = "jwks")]
            let remote = trusted.jwks;
            #[cfg(not(feature = "jwks"))]
            let remote: Option<std::convert::Infallible> = None;
            let source = match remote {
                #[cfg(feature = "jwks")]
                Some(client) => KeySource::Remote(client),
                #[cfg(not(feature = "jwks"))]
                Some(never) => match never {},
                None if keys.is_empty() => return Err(ConfigError::NoKeys),
                None => KeySource::Static(keys),
            };
            if domains.iter().any(|d| {
                d.issuers
                    .as_ref()
                    .is_some_and(|i| i.contains(&trusted.issuer))
            }) {
                return Err(ConfigError::DuplicateIssuer(trusted.issuer));
            }
            domains.push(Domain {
                keys: source,
                issuers: Some(vec![trusted.issuer]),
                audiences: trusted.audiences,
            });
        }
        if domains.is_empty() {
            return Err(if refused.is_empty() {
                ConfigError::NoKeys
            } else {
                ConfigError::NoUsableKeys(refused)
            });
        }
        Ok(Verifier {
            inner: Arc::new(Inner {
                cache: self.cache.map(TokenCache::new),
                domains,
                header: HeaderPolicy {
                    max_len: self.max_len,
                    typ: self.typ,
                },
                leeway: self.leeway.as_secs(),
                roles_at: self.roles_at,
                clock: self.clock,
                realm: self.realm,
            }),
        })
    }
}
