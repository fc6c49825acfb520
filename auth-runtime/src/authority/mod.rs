//! The token authority: signs short-lived tokens with a private key and publishes
//! the public keys as a JWK Set.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::clock::{Clock, SystemClock};
use crate::crypto;
use crate::error::{ConfigError, IssueError, KeyDirectoryError};
use crate::keys::jwk::JwkSet;
use crate::keys::signing::SigningKey;
use crate::keys::verifying::VerifyingKey;
use crate::verifier::VerifierBuilder;

pub use key_directory::KeyDirectory;
use key_directory::{KeySchedule, ScheduledKeys};

#[cfg(feature = "token-endpoint")]
pub(crate) mod clients;
#[cfg(feature = "token-endpoint")]
mod exchange;
pub(crate) mod key_directory;
#[cfg(feature = "token-endpoint")]
mod replay;
#[cfg(feature = "token-endpoint")]
mod session_grants;
#[cfg(feature = "token-endpoint")]
pub(crate) mod sessions;
#[cfg(feature = "token-endpoint")]
pub(crate) mod token_endpoint;

/// Default token lifetime: short, as the pattern wants (15 minutes).
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// How long a client may cache the JWKS and the discovery document: a key directory
/// publishes a next key at least this long before it signs.
pub(crate) const JWKS_MAX_AGE: Duration = Duration::from_secs(300);

/// A JSON response with the public caching of the JWKS and the discovery document
/// ([`JWKS_MAX_AGE`]).
fn json_response(body: String) -> http::Response<String> {
    json_response_cached(body, "public, max-age=300")
}

/// A JSON response with `Cache-Control: cache_control`.
pub(crate) fn json_response_cached(
    body: String,
    cache_control: &'static str,
) -> http::Response<String> {
    let mut response = http::Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static(cache_control),
    );
    response
}

/// Issues tokens: the authority's token generator, with key rotation and a published JWK Set.
///
/// It holds several keys: one signs, all are published, so tokens signed by a previous key
/// keep verifying until they expire.
///
/// ```
/// use auth_runtime::{Algorithm, Authority, SigningKey};
/// let authority = Authority::builder()
///     .issuer("https://auth.example.com")
///     .audience("orders")
///     .signing_key(SigningKey::generate(Algorithm::ES256)?)
///     .build()?;
/// let token = authority.token("alice").roles(["admin"]).issue()?;
///
/// let verifier = authority.verifier().build()?; // its public keys, issuer and audience
/// assert!(verifier.verify(&token)?.has_role("admin"));
/// assert_eq!(authority.jwks().keys.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Authority {
    inner: Arc<AuthorityInner>,
}

struct AuthorityInner {
    issuer: String,
    audiences: Vec<String>,
    lifetime: Duration,
    typ: String,
    roles_claim: String,
    clock: Arc<dyn Clock>,
    ring: RwLock<Arc<KeyRing>>,
    /// Where the keys come from when the schedule owns them.
    schedule: Option<KeySchedule>,
}

struct KeyRing {
    /// Index of the signing key in `keys`.
    signing: usize,
    keys: Vec<SigningKey>,
}

impl From<ScheduledKeys> for KeyRing {
    fn from(scheduled: ScheduledKeys) -> Self {
        KeyRing {
            signing: scheduled.signing,
            keys: scheduled.keys,
        }
    }
}

impl fmt::Debug for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ring = self.ring();
        f.debug_struct("Authority")
            .field("issuer", &self.inner.issuer)
            .field("audiences", &self.inner.audiences)
            .field("lifetime", &self.inner.lifetime)
            .field("signing_kid", &ring.keys[ring.signing].kid())
            .field("keys", &ring.keys.len())
            .field(
                "key_directory",
                &self.inner.schedule.as_ref().map(KeySchedule::path),
            )
            .finish()
    }
}

impl Authority {
    /// Starts a configuration.
    pub fn builder() -> AuthorityBuilder {
        AuthorityBuilder::default()
    }

    fn ring(&self) -> Arc<KeyRing> {
        self.inner
            .ring
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Starts a token for `subject`, with the authority's issuer, audience and lifetime.
    pub fn token(&self, subject: impl Into<String>) -> TokenBuilder<'_> {
        let now = self.inner.clock.now();
        let mut claims = Map::new();
        claims.insert("iss".into(), Value::String(self.inner.issuer.clone()));
        claims.insert("sub".into(), Value::String(subject.into()));
        match self.inner.audiences.as_slice() {
            [] => {}
            [one] => {
                claims.insert("aud".into(), Value::String(one.clone()));
            }
            many => {
                claims.insert("aud".into(), json!(many));
            }
        }
        claims.insert("iat".into(), now.into());
        claims.insert("nbf".into(), now.into());
        claims.insert(
            "exp".into(),
            now.saturating_add(self.inner.lifetime.as_secs()).into(),
        );
        TokenBuilder {
            authority: self,
            now,
            claims,
            jti: true,
        }
    }

    /// Shortcut: a token for `subject` with `roles`.
    pub fn issue<I, S>(&self, subject: impl Into<String>, roles: I) -> Result<String, IssueError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.token(subject).roles(roles).issue()
    }

    /// The issuer (`iss`) of every token.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The token lifetime.
    pub fn lifetime(&self) -> Duration {
        self.inner.lifetime
    }

    /// The key id of the current signing key.
    pub fn signing_kid(&self) -> String {
        let ring = self.ring();
        ring.keys[ring.signing].kid().to_owned()
    }

    /// Makes `key` the signing key. The previous keys stay published, so tokens they signed
    /// keep verifying; [`retire`](Self::retire) them once those tokens have expired.
    ///
    /// Refused ([`ConfigError::KeysFromKeyDirectory`]) for an authority built from a
    /// [`KeyDirectory`], whose schedule rotates its keys.
    pub fn rotate(&self, key: SigningKey) -> Result<(), ConfigError> {
        if self.inner.schedule.is_some() {
            return Err(ConfigError::KeysFromKeyDirectory);
        }
        let mut guard = self
            .inner
            .ring
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if guard.keys.iter().any(|k| k.kid() == key.kid()) {
            return Err(ConfigError::DuplicateKid(key.kid().to_owned()));
        }
        let mut keys = guard.keys.clone();
        keys.push(key);
        *guard = Arc::new(KeyRing {
            signing: keys.len() - 1,
            keys,
        });
        Ok(())
    }

    /// Stops publishing the key `kid`. The signing key cannot be retired, nor any key of an
    /// authority built from a [`KeyDirectory`] (its schedule retires them); returns whether a
    /// key was removed.
    pub fn retire(&self, kid: &str) -> bool {
        if self.inner.schedule.is_some() {
            return false;
        }
        let mut guard = self
            .inner
            .ring
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let signing_kid = guard.keys[guard.signing].kid().to_owned();
        if kid == signing_kid || !guard.keys.iter().any(|k| k.kid() == kid) {
            return false;
        }
        let keys: Vec<SigningKey> = guard
            .keys
            .iter()
            .filter(|k| k.kid() != kid)
            .cloned()
            .collect();
        let signing = keys
            .iter()
            .position(|k| k.kid() == signing_kid)
            .unwrap_or(0);
        *guard = Arc::new(KeyRing { signing, keys });
        true
    }

    /// Applies the [`KeyDirectory`]'s rotation schedule at the authority's clock's now: signs
    /// with the newest key whose time has come, publishes (generating and storing it) the next
    /// key once it is due within publish-ahead, and drops keys whose retention has passed.
    /// Returns whether the signing key or the published keys changed; always `false` for an
    /// authority with keys of its own.
    ///
    /// Call it periodically, every minute for example: a new key signs from the first call
    /// after its activation time, and a next key is published by the first call within
    /// publish-ahead of the rotation. On an error (the directory unreadable, a corrupt key
    /// file) the authority keeps its current keys.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("auth-doc-schedule-{}", std::process::id()));
    /// let authority = auth_runtime::Authority::builder()
    ///     .issuer("https://auth.example.com")
    ///     .audience("orders")
    ///     .key_directory(auth_runtime::KeyDirectory::new(&path))
    ///     .build()?;
    /// assert!(!authority.apply_key_schedule()?); // nothing is due right after the start
    /// # std::fs::remove_dir_all(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply_key_schedule(&self) -> Result<bool, KeyDirectoryError> {
        let Some(schedule) = &self.inner.schedule else {
            return Ok(false);
        };
        let scheduled = schedule.apply(self.inner.clock.now())?;
        let mut guard = self
            .inner
            .ring
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let unchanged = guard.signing == scheduled.signing
            && guard.keys.len() == scheduled.keys.len()
            && guard
                .keys
                .iter()
                .zip(&scheduled.keys)
                .all(|(a, b)| a.kid() == b.kid());
        if !unchanged {
            *guard = Arc::new(KeyRing::from(scheduled));
        }
        Ok(!unchanged)
    }

    /// The public keys as a JWK Set (RFC 7517): every published asymmetric key, never a
    /// private member and never an HMAC secret.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self
                .ring()
                .keys
                .iter()
                .filter_map(|k| k.public_jwk().cloned())
                .collect(),
        }
    }

    /// The `GET /.well-known/jwks.json` response: the [`jwks`](Self::jwks) document with
    /// `Content-Type: application/json` and `Cache-Control: public, max-age=300`, so verifiers
    /// refresh within five minutes of a rotation.
    ///
    /// ```
    /// # let authority = auth_runtime::testing::authority(auth_runtime::Algorithm::ES256);
    /// let response = authority.jwks_response();
    /// assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    /// ```
    pub fn jwks_response(&self) -> http::Response<String> {
        json_response(self.jwks().to_json())
    }

    /// The minimal OpenID discovery document (`/.well-known/openid-configuration`): `issuer`,
    /// `jwks_uri` (`{issuer}/.well-known/jwks.json`) and the signing algorithms in use.
    pub fn discovery_document(&self) -> Value {
        let ring = self.ring();
        let mut algs: Vec<&str> = ring
            .keys
            .iter()
            .filter(|k| k.public_jwk().is_some())
            .map(|k| k.algorithm().name())
            .collect();
        algs.sort_unstable();
        algs.dedup();
        json!({
            "issuer": self.inner.issuer,
            "jwks_uri": format!("{}/.well-known/jwks.json", self.inner.issuer.trim_end_matches('/')),
            "id_token_signing_alg_values_supported": algs,
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
        })
    }

    /// The `GET /.well-known/openid-configuration` response, cached like the JWKS.
    pub fn discovery_response(&self) -> http::Response<String> {
        json_response(self.discovery_document().to_string())
    }

    /// The verification keys of every published key (HMAC secrets included: this stays in
    /// the process).
    pub fn verifying_keys(&self) -> Vec<VerifyingKey> {
        self.ring()
            .keys
            .iter()
            .map(SigningKey::verifying_key)
            .collect()
    }

    /// A verifier configuration that trusts this authority: its keys, issuer and audiences.
    pub fn verifier(&self) -> VerifierBuilder {
        let mut builder = crate::Verifier::builder()
            .keys(self.verifying_keys())
            .issuer(self.inner.issuer.clone());
        if self.inner.audiences.is_empty() {
            builder = builder.any_audience();
        }
        for audience in &self.inner.audiences {
            builder = builder.audience(audience.clone());
        }
        builder
    }

    fn sign(&self, claims: &Map<String, Value>) -> Result<String, IssueError> {
        let ring = self.ring();
        let key = &ring.keys[ring.signing];
        let header =
            json!({"alg": key.algorithm().name(), "typ": self.inner.typ, "kid": key.kid()});
        key.sign(&header, &Value::Object(claims.clone()))
    }
}

/// One token being issued; see [`Authority::token`].
#[must_use]
pub struct TokenBuilder<'a> {
    authority: &'a Authority,
    now: u64,
    claims: Map<String, Value>,
    jti: bool,
}

impl TokenBuilder<'_> {
    /// Sets the roles (under the authority's roles claim, `roles` by default).
    pub fn roles<I, S>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let roles: Vec<String> = roles.into_iter().map(Into::into).collect();
        self.claims
            .insert(self.authority.inner.roles_claim.clone(), json!(roles));
        self
    }

    /// Sets the OAuth scopes (`scope`, space-delimited).
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        self.claims
            .insert("scope".into(), Value::String(scopes.join(" ")));
        self
    }

    /// Replaces the audience.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.claims
            .insert("aud".into(), Value::String(audience.into()));
        self
    }

    /// Expires `lifetime` after now instead of the authority's default.
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.claims.insert(
            "exp".into(),
            self.now.saturating_add(lifetime.as_secs()).into(),
        );
        self
    }

    /// Sets `exp` to an absolute time (seconds since the epoch), even one in the past.
    pub fn expires_at(mut self, exp: u64) -> Self {
        self.claims.insert("exp".into(), exp.into());
        self
    }

    /// Sets `nbf`.
    pub fn not_before(mut self, nbf: u64) -> Self {
        self.claims.insert("nbf".into(), nbf.into());
        self
    }

    /// Sets `iat`.
    pub fn issued_at(mut self, iat: u64) -> Self {
        self.claims.insert("iat".into(), iat.into());
        self
    }

    /// Sets `jti` instead of a random one.
    pub fn jti(mut self, jti: impl Into<String>) -> Self {
        self.claims.insert("jti".into(), Value::String(jti.into()));
        self.jti = false;
        self
    }

    /// Adds (or replaces) any claim, registered ones included.
    pub fn claim(mut self, name: impl Into<String>, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.claims.insert(name.into(), value);
        self
    }

    /// Removes a claim, for tests of tokens that lack one.
    pub fn without(mut self, name: &str) -> Self {
        self.claims.remove(name);
        if name == "jti" {
            self.jti = false;
        }
        self
    }

    /// Signs the token with the authority's current signing key.
    pub fn issue(mut self) -> Result<String, IssueError> {
        if self.jti {
            let mut id = [0u8; 16];
            crypto::random_bytes(&mut id).map_err(IssueError::Signing)?;
            self.claims
                .insert("jti".into(), Value::String(URL_SAFE_NO_PAD.encode(id)));
        }
        self.authority.sign(&self.claims)
    }
}

/// Configuration of an [`Authority`].
#[must_use]
pub struct AuthorityBuilder {
    issuer: Option<String>,
    audiences: Vec<String>,
    lifetime: Duration,
    typ: String,
    roles_claim: String,
    clock: Arc<dyn Clock>,
    signing: Option<SigningKey>,
    others: Vec<SigningKey>,
    key_directory: Option<KeyDirectory>,
}

impl Default for AuthorityBuilder {
    fn default() -> Self {
        AuthorityBuilder {
            issuer: None,
            audiences: Vec::new(),
            lifetime: DEFAULT_LIFETIME,
            typ: "at+jwt".into(),
            roles_claim: "roles".into(),
            clock: Arc::new(SystemClock),
            signing: None,
            others: Vec::new(),
            key_directory: None,
        }
    }
}

impl AuthorityBuilder {
    /// The `iss` of every token (required), usually the authority's URL.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Adds an audience (`aud`) to every token.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Token lifetime (default 15 minutes).
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// The `typ` header (default `at+jwt`, RFC 9068).
    pub fn token_type(mut self, typ: impl Into<String>) -> Self {
        self.typ = typ.into();
        self
    }

    /// The claim roles are written to (default `roles`).
    pub fn roles_claim(mut self, name: impl Into<String>) -> Self {
        self.roles_claim = name.into();
        self
    }

    /// The source of "now" (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The key that signs (required, unless the keys come from a
    /// [`key_directory`](Self::key_directory)).
    pub fn signing_key(mut self, key: SigningKey) -> Self {
        self.signing = Some(key);
        self
    }

    /// A key that is published (and verifies) but does not sign: a previous key in a rotation.
    pub fn published_key(mut self, key: SigningKey) -> Self {
        self.others.push(key);
        self
    }

    /// The signing keys come from `directory`, loaded (or generated and stored, on first
    /// start) when the authority is built, and rotated by its schedule
    /// ([`Authority::apply_key_schedule`]). Exclusive with [`signing_key`](Self::signing_key)
    /// and [`published_key`](Self::published_key).
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("auth-doc-builder-{}", std::process::id()));
    /// use auth_runtime::{Algorithm, Authority, ConfigError, KeyDirectory, SigningKey};
    /// let both = Authority::builder()
    ///     .issuer("https://auth.example.com")
    ///     .key_directory(KeyDirectory::new(&path))
    ///     .signing_key(SigningKey::generate(Algorithm::ES256)?)
    ///     .build();
    /// assert_eq!(both.err(), Some(ConfigError::KeysAndKeyDirectory));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn key_directory(mut self, directory: KeyDirectory) -> Self {
        self.key_directory = Some(directory);
        self
    }

    /// Builds the authority. With a [`key_directory`](Self::key_directory), this reads the
    /// directory (creating it and the first key if needed) and applies the schedule.
    pub fn build(self) -> Result<Authority, ConfigError> {
        let issuer = self.issuer.ok_or(ConfigError::IssuerNotConfigured)?;
        if let Some(directory) = self.key_directory {
            if self.signing.is_some() || !self.others.is_empty() {
                return Err(ConfigError::KeysAndKeyDirectory);
            }
            let schedule = KeySchedule::new(directory, self.lifetime)?;
            let ring = KeyRing::from(schedule.apply(self.clock.now())?);
            return Ok(Authority {
                inner: Arc::new(AuthorityInner {
                    issuer,
                    audiences: self.audiences,
                    lifetime: self.lifetime,
                    typ: self.typ,
                    roles_claim: self.roles_claim,
                    clock: self.clock,
                    ring: RwLock::new(Arc::new(ring)),
                    schedule: Some(schedule),
                }),
            });
        }
        let signing = self.signing.ok_or(ConfigError::NoKeys)?;
        let mut keys = self.others;
        keys.push(signing);
        for (i, key) in keys.iter().enumerate() {
            if keys[..i].iter().any(|k| k.kid() == key.kid()) {
                return Err(ConfigError::DuplicateKid(key.kid().to_owned()));
            }
        }
        Ok(Authority {
            inner: Arc::new(AuthorityInner {
                issuer,
                audiences: self.audiences,
                lifetime: self.lifetime,
                typ: self.typ,
                roles_claim: self.roles_claim,
                clock: self.clock,
                ring: RwLock::new(Arc::new(KeyRing {
                    signing: keys.len() - 1,
                    keys,
                })),
                schedule: None,
            }),
        })
    }
}
