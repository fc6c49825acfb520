//! The token authority: signs short-lived tokens with a private key and publishes
//! the public keys as a JWK Set.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::EllipticCurve;
use jsonwebtoken::{AlgorithmFamily, EncodingKey};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::algorithm::{self, Algorithm};
use crate::backend;
use crate::clock::{Clock, SystemClock};
use crate::error::{ConfigError, IssueError, KeyError};
use crate::jwks::{Jwk, JwkSet};
use crate::key::{VerifyingKey, check_hmac, rsa_parse_error};
use crate::verifier::VerifierBuilder;

/// Default token lifetime: short, as the pattern wants (15 minutes).
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// A private key that signs tokens with exactly one algorithm, with its key id.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    alg: Algorithm,
    key: EncodingKey,
    public: VerifyingKey,
    jwk: Option<Jwk>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &algorithm::name(self.alg))
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates a fresh key for `alg` (RSA keys are 2048 bits; HMAC secrets 64 bytes). The
    /// key id is the RFC 7638 thumbprint of the public key (random for HMAC).
    pub fn generate(alg: Algorithm) -> Result<Self, KeyError> {
        let der = backend::generate_private_key(alg).map_err(KeyError::Invalid)?;
        match alg.family() {
            AlgorithmFamily::Hmac => Self::hmac(&der, alg),
            _ => Self::from_pkcs8_der(&der, alg),
        }
    }

    /// An HMAC secret (at least the hash output size: 32, 48 or 64 bytes).
    pub fn hmac(secret: &[u8], alg: Algorithm) -> Result<Self, KeyError> {
        check_hmac(secret, alg)?;
        let key = EncodingKey::from_secret(secret).map_err(|e| KeyError::Invalid(e.to_string()))?;
        let public = VerifyingKey::hmac(secret, alg)?;
        let mut kid = [0u8; 12];
        backend::random_bytes(&mut kid).map_err(KeyError::Invalid)?;
        Ok(Self::assemble(
            URL_SAFE_NO_PAD.encode(kid),
            alg,
            key,
            public,
            None,
        ))
    }

    /// A private key in PEM: PKCS#8 `PRIVATE KEY` for every algorithm, or PKCS#1
    /// `RSA PRIVATE KEY` for RSA.
    pub fn from_pem(pem: &[u8], alg: Algorithm) -> Result<Self, KeyError> {
        let invalid = |e: jsonwebtoken::errors::Error| KeyError::Invalid(e.to_string());
        let key = match alg.family() {
            AlgorithmFamily::Hmac => {
                return Err(KeyError::WrongAlgorithm {
                    alg: algorithm::name(alg),
                    reason: "an HMAC key is a secret, not PEM".into(),
                });
            }
            AlgorithmFamily::Rsa => EncodingKey::from_rsa_pem(pem).map_err(invalid)?,
            AlgorithmFamily::Ec => EncodingKey::from_ec_pem(pem).map_err(invalid)?,
            AlgorithmFamily::Ed => EncodingKey::from_ed_pem(pem).map_err(invalid)?,
        };
        Self::from_encoding_key(key, alg)
    }

    /// A private key in PKCS#8 DER.
    pub fn from_pkcs8_der(der: &[u8], alg: Algorithm) -> Result<Self, KeyError> {
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(der)
        );
        Self::from_pem(pem.as_bytes(), alg)
    }

    fn from_encoding_key(key: EncodingKey, alg: Algorithm) -> Result<Self, KeyError> {
        let utils = &backend::provider().key_utils;
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let der = key.as_bytes();
        let key_error = |e: jsonwebtoken::errors::Error| KeyError::Invalid(e.to_string());
        let (public, mut jwk) = match alg.family() {
            AlgorithmFamily::Rsa => {
                let (n, e) = (utils.rsa_pub_components_from_private_key)(der)
                    .map_err(|e| rsa_parse_error(der, true, e.to_string()))?;
                let public = VerifyingKey::rsa(&n, &e, alg)?;
                (
                    public,
                    public_jwk("RSA", alg, |j| {
                        j.n = Some(b64(&n));
                        j.e = Some(b64(&e));
                    }),
                )
            }
            AlgorithmFamily::Ec => {
                let (curve, x, y) =
                    (utils.ec_pub_components_from_private_key)(der, alg).map_err(key_error)?;
                let crv = match curve {
                    EllipticCurve::P256 => "P-256",
                    EllipticCurve::P384 => "P-384",
                    _ => return Err(KeyError::UnsupportedAlgorithm("curve".into())),
                };
                let jwk = public_jwk("EC", alg, |j| {
                    j.crv = Some(crv.into());
                    j.x = Some(b64(&x));
                    j.y = Some(b64(&y));
                });
                (VerifyingKey::from_jwk(&json!(jwk))?, jwk)
            }
            AlgorithmFamily::Ed => {
                let x = (utils.ed_pub_components_from_private_key)(der, &EllipticCurve::Ed25519)
                    .map_err(key_error)?;
                let jwk = public_jwk("OKP", alg, |j| {
                    j.crv = Some("Ed25519".into());
                    j.x = Some(b64(&x));
                });
                (VerifyingKey::from_jwk(&json!(jwk))?, jwk)
            }
            AlgorithmFamily::Hmac => {
                return Err(KeyError::UnsupportedAlgorithm("HMAC via PEM".into()));
            }
        };
        let kid = thumbprint(&jwk);
        jwk.kid = Some(kid.clone());
        Ok(Self::assemble(kid, alg, key, public, Some(jwk)))
    }

    fn assemble(
        kid: String,
        alg: Algorithm,
        key: EncodingKey,
        public: VerifyingKey,
        jwk: Option<Jwk>,
    ) -> Self {
        let public = public.with_kid(kid.clone());
        SigningKey {
            kid,
            alg,
            key,
            public,
            jwk,
        }
    }

    /// Replaces the key id.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = kid.into();
        self.public = self.public.with_kid(self.kid.clone());
        if let Some(jwk) = &mut self.jwk {
            jwk.kid = Some(self.kid.clone());
        }
        self
    }

    /// The key id put in the `kid` header of every token this key signs.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The matching verification key (for HMAC, the same secret).
    pub fn verifying_key(&self) -> VerifyingKey {
        self.public.clone()
    }

    /// The public key as a JWK; `None` for HMAC, whose secret is never published.
    pub fn public_jwk(&self) -> Option<&Jwk> {
        self.jwk.as_ref()
    }

    /// Signs `header.payload` and returns the compact token.
    pub(crate) fn sign(&self, header: &Value, claims: &Value) -> Result<String, IssueError> {
        let header = serde_json::to_vec(header).map_err(|e| IssueError::Claims(e.to_string()))?;
        let claims = serde_json::to_vec(claims).map_err(|e| IssueError::Claims(e.to_string()))?;
        let mut token = URL_SAFE_NO_PAD.encode(header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(claims, &mut token);
        let signer = (backend::provider().signer_factory)(&self.alg, &self.key)
            .map_err(|e| IssueError::Signing(e.to_string()))?;
        let signature = signer
            .try_sign(token.as_bytes())
            .map_err(|e| IssueError::Signing(e.to_string()))?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }
}

fn json_response(body: String) -> http::Response<String> {
    let mut response = http::Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("public, max-age=300"),
    );
    response
}

fn public_jwk(kty: &str, alg: Algorithm, fill: impl FnOnce(&mut Jwk)) -> Jwk {
    let mut jwk = Jwk {
        kty: kty.into(),
        kid: None,
        alg: Some(algorithm::name(alg).into()),
        use_: Some("sig".into()),
        crv: None,
        x: None,
        y: None,
        n: None,
        e: None,
    };
    fill(&mut jwk);
    jwk
}

/// RFC 7638 thumbprint (SHA-256) of a public JWK: the required members in lexicographic order.
fn thumbprint(jwk: &Jwk) -> String {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let canonical = match jwk.kty.as_str() {
        "RSA" => json!({"e": s(&jwk.e), "kty": "RSA", "n": s(&jwk.n)}),
        "EC" => json!({"crv": s(&jwk.crv), "kty": "EC", "x": s(&jwk.x), "y": s(&jwk.y)}),
        _ => json!({"crv": s(&jwk.crv), "kty": jwk.kty, "x": s(&jwk.x)}),
    };
    // serde_json's map is ordered by key, which is the order RFC 7638 asks for.
    let text = canonical.to_string();
    let digest = (backend::provider().key_utils.compute_digest)(
        text.as_bytes(),
        jsonwebtoken::jwk::ThumbprintHash::SHA256,
    )
    .unwrap_or_else(|_| text.into_bytes());
    URL_SAFE_NO_PAD.encode(digest)
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
}

struct KeyRing {
    /// Index of the signing key in `keys`.
    signing: usize,
    keys: Vec<SigningKey>,
}

impl fmt::Debug for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ring = self.ring();
        f.debug_struct("Authority")
            .field("issuer", &self.inner.issuer)
            .field("audiences", &self.inner.audiences)
            .field("lifetime", &self.inner.lifetime)
            .field("signing_kid", &ring.keys[ring.signing].kid)
            .field("keys", &ring.keys.len())
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
        ring.keys[ring.signing].kid.clone()
    }

    /// Makes `key` the signing key. The previous keys stay published, so tokens they signed
    /// keep verifying; [`retire`](Self::retire) them once those tokens have expired.
    pub fn rotate(&self, key: SigningKey) -> Result<(), ConfigError> {
        let mut guard = self
            .inner
            .ring
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if guard.keys.iter().any(|k| k.kid == key.kid) {
            return Err(ConfigError::DuplicateKid(key.kid));
        }
        let mut keys = guard.keys.clone();
        keys.push(key);
        *guard = Arc::new(KeyRing {
            signing: keys.len() - 1,
            keys,
        });
        Ok(())
    }

    /// Stops publishing the key `kid`. The signing key cannot be retired; returns whether a
    /// key was removed.
    pub fn retire(&self, kid: &str) -> bool {
        let mut guard = self
            .inner
            .ring
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let signing_kid = guard.keys[guard.signing].kid.clone();
        if kid == signing_kid || !guard.keys.iter().any(|k| k.kid == kid) {
            return false;
        }
        let keys: Vec<SigningKey> = guard
            .keys
            .iter()
            .filter(|k| k.kid != kid)
            .cloned()
            .collect();
        let signing = keys.iter().position(|k| k.kid == signing_kid).unwrap_or(0);
        *guard = Arc::new(KeyRing { signing, keys });
        true
    }

    /// The public keys as a JWK Set (RFC 7517): every published asymmetric key, never a
    /// private member and never an HMAC secret.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self
                .ring()
                .keys
                .iter()
                .filter_map(|k| k.jwk.clone())
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
            .filter(|k| k.jwk.is_some())
            .map(|k| algorithm::name(k.alg))
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
            json!({"alg": algorithm::name(key.alg), "typ": self.inner.typ, "kid": key.kid});
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
            backend::random_bytes(&mut id).map_err(IssueError::Signing)?;
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

    /// The key that signs (required).
    pub fn signing_key(mut self, key: SigningKey) -> Self {
        self.signing = Some(key);
        self
    }

    /// A key that is published (and verifies) but does not sign: a previous key in a rotation.
    pub fn published_key(mut self, key: SigningKey) -> Self {
        self.others.push(key);
        self
    }

    /// Builds the authority.
    pub fn build(self) -> Result<Authority, ConfigError> {
        let issuer = self.issuer.ok_or(ConfigError::IssuerNotConfigured)?;
        let signing = self.signing.ok_or(ConfigError::NoKeys)?;
        let mut keys = self.others;
        keys.push(signing);
        for (i, key) in keys.iter().enumerate() {
            if keys[..i].iter().any(|k| k.kid == key.kid) {
                return Err(ConfigError::DuplicateKid(key.kid.clone()));
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
            }),
        })
    }
}
