//! The verifier: built once at start-up, cheap to clone, shared by every request.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;
use serde::de::DeserializeOwned;

use crate::algorithm::Algorithm;
use crate::bearer::bearer_token;
use crate::claims::{Claims, RawClaims, RegisteredView, RolesLocation};
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
    keys: KeySet,
    header: HeaderPolicy,
    issuers: Option<Vec<String>>,
    audiences: Option<Vec<String>>,
    leeway: u64,
    roles_at: RolesLocation,
    clock: Arc<dyn Clock>,
    realm: String,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Verifier")
            .field("keys", &i.keys.len())
            .field("issuers", &i.issuers)
            .field("audiences", &i.audiences)
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
        self.verify_with_payload(token).map(|(claims, _)| claims)
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
        let jws = self.verify_signature(token)?;
        let raw = RawClaims::parse(&jws.payload, false)?;
        self.validate(raw.registered.view())?;
        serde_json::from_slice(&jws.payload).map_err(|e| {
            AuthError::InvalidClaim(format!("claims do not fit the handler's type: {e}"))
        })
    }

    /// Verifies `token` and returns its claims with the verified payload, for callers that
    /// deserialize the payload again into their own type.
    pub fn verify_with_payload(&self, token: &str) -> Result<(Claims, Vec<u8>), AuthError> {
        let jws = self.verify_signature(token)?;
        let claims = Claims::from_payload(&jws.payload, &self.inner.roles_at)?;
        self.validate(claims.registered())?;
        Ok((claims, jws.payload))
    }

    /// Verifies the signature layer only: header, key and signature. The payload is returned
    /// undecoded as claims and **not** validated (no `exp`, `iss`, `aud` checks). For JWS
    /// payloads that are not claim sets; use [`verify`](Self::verify) for access tokens.
    pub fn verify_signature(&self, token: &str) -> Result<VerifiedJws, AuthError> {
        jws::verify(token, &self.inner.keys, &self.inner.header)
    }

    /// Takes the bearer token from `headers` and verifies it.
    pub fn verify_headers(&self, headers: &HeaderMap) -> Result<Claims, AuthError> {
        self.verify(bearer_token(headers)?)
    }

    /// The realm named in `WWW-Authenticate` challenges.
    pub fn realm(&self) -> &str {
        &self.inner.realm
    }

    /// The keys this verifier trusts.
    pub fn keys(&self) -> &KeySet {
        &self.inner.keys
    }

    fn validate(&self, claims: RegisteredView<'_>) -> Result<(), AuthError> {
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
        if let Some(issuers) = &i.issuers {
            let iss = claims.iss.ok_or(AuthError::MissingClaim("iss"))?;
            if !issuers.iter().any(|expected| expected == iss) {
                return Err(AuthError::InvalidIssuer);
            }
        }
        if let Some(audiences) = &i.audiences {
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
        let mut keys = KeySet::new(self.keys)?;
        for (json, default_rsa) in &self.jwks {
            for key in KeySet::from_jwks_json(json, *default_rsa)?.iter() {
                keys.insert(key.clone())?;
            }
        }
        if keys.is_empty() {
            return Err(ConfigError::NoKeys);
        }
        let hmac = keys.iter().filter(|k| k.is_hmac()).count();
        if hmac != 0 && hmac != keys.len() && !self.mixed_families {
            return Err(ConfigError::MixedKeyFamilies);
        }
        Ok(Verifier {
            inner: Arc::new(Inner {
                keys,
                header: HeaderPolicy {
                    max_len: self.max_len,
                    typ: self.typ,
                },
                // Explicit issuers win over `any_issuer()`: the stricter setting.
                issuers: self.issuers,
                audiences: self.audiences,
                leeway: self.leeway.as_secs(),
                roles_at: self.roles_at,
                clock: self.clock,
                realm: self.realm,
            }),
        })
    }
}
