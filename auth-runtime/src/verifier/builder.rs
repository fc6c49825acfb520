//! Configuring a [`Verifier`]: keys, trusted issuers and audiences, clock, cache, and the checks
//! that refuse an incomplete or unsafe configuration.

use std::sync::Arc;
use std::time::Duration;

use crate::algorithm::Algorithm;
use crate::clock::{Clock, SystemClock};
use crate::error::ConfigError;
use crate::http::rejection::{Challenges, RejectionBody};
use crate::http::sources::{TokenLocation, TokenLocations};
use crate::keys::set::KeySet;
use crate::keys::verifying::VerifyingKey;
use crate::requirement::Requirement;
use crate::revocation::RevocationList;
use crate::token::claims::{Claims, RolesLocation};
use crate::token::jws::{self, HeaderPolicy};
use crate::verifier::cache::{CacheConfig, TokenCache};
use crate::verifier::domain::{Domain, KeySource};
use crate::verifier::refusals::RefusalCache;
use crate::verifier::{
    ClaimsMapper, DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_LEN, Inner, MAX_LEEWAY, Verifier,
};

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
    map_claims: Option<ClaimsMapper>,
    callers: Option<Vec<String>>,
    revocations: Option<RevocationList>,
    locations: Vec<TokenLocation>,
    rejection_body: RejectionBody,
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
            map_claims: None,
            callers: None,
            revocations: None,
            locations: vec![TokenLocation::AuthorizationHeader],
            rejection_body: RejectionBody::Json,
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

    /// A function that maps the claims of every newly verified token, once, before the cache
    /// keeps them: groups to roles, roles from a place [`RolesLocation`] cannot name, claims
    /// normalized. Handlers, requirements and the layer see the mapped claims; a handler's own
    /// claims type (`#[claims] mine: Mine`) is read from the token as it was signed.
    ///
    /// ```
    /// # let authority = auth_runtime::testing::authority(auth_runtime::Algorithm::ES256);
    /// let verifier = authority
    ///     .verifier()
    ///     .map_claims(|claims| {
    ///         // The directory's group `ops` is the role `admin` here.
    ///         let in_ops = claims.extra.get("groups").and_then(|g| g.as_array())
    ///             .is_some_and(|groups| groups.iter().any(|g| g == "ops"));
    ///         if in_ops {
    ///             claims.roles.push("admin".into());
    ///         }
    ///     })
    ///     .build()?;
    /// let token = authority.token("alice").claim("groups", vec!["ops"]).issue()?;
    /// assert!(verifier.verify(&token)?.has_role("admin"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn map_claims(mut self, map: impl Fn(&mut Claims) + Send + Sync + 'static) -> Self {
        self.map_claims = Some(Arc::new(map));
        self
    }

    /// Accepts only tokens whose calling service ([`Claims::caller`]: `client_id`, else `azp`)
    /// is one of `callers`; any other valid token is a 403 `insufficient_scope`, on every
    /// route. A handler narrows it further with `#[protected(callers = [..])]`. An empty list
    /// is a configuration error.
    ///
    /// ```
    /// # let authority = auth_runtime::testing::authority(auth_runtime::Algorithm::ES256);
    /// let verifier = authority.verifier().allowed_callers(["billing", "reports"]).build()?;
    /// let from_billing = authority.token("svc").claim("client_id", "billing").issue()?;
    /// let from_elsewhere = authority.token("svc").claim("client_id", "mailer").issue()?;
    /// assert!(verifier.verify(&from_billing).is_ok());
    /// assert_eq!(verifier.verify(&from_elsewhere).unwrap_err().status(), 403);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allowed_callers<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        callers: I,
    ) -> Self {
        self.callers = Some(callers.into_iter().map(Into::into).collect());
        self
    }

    /// Refuses tokens that `revocations` names (by `jti`, `sid` or subject cut-off) with 401
    /// [`AuthError::Revoked`](crate::AuthError::Revoked), from the moment they are added,
    /// cached tokens included. See [`RevocationList`] for an example.
    pub fn revocations(mut self, revocations: RevocationList) -> Self {
        self.revocations = Some(revocations);
        self
    }

    /// Where requests carry their token, in order (default: the `Authorization` header only).
    /// Every adapter and the layer read the same list; a request with a token in two of these
    /// places is a 400. See [`TokenLocation`] and, for cookies, [`Csrf`](crate::Csrf).
    ///
    /// ```
    /// use auth_runtime::TokenLocation;
    /// # let authority = auth_runtime::testing::authority(auth_runtime::Algorithm::ES256);
    /// let verifier = authority
    ///     .verifier()
    ///     .token_locations([TokenLocation::AuthorizationHeader, TokenLocation::cookie("access_token")])
    ///     .build()?;
    /// # let _ = verifier;
    /// # Ok::<(), auth_runtime::ConfigError>(())
    /// ```
    pub fn token_locations(mut self, locations: impl IntoIterator<Item = TokenLocation>) -> Self {
        self.locations = locations.into_iter().collect();
        self
    }

    /// The source of "now" (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// [`clock`](Self::clock) shared with whoever else reads it (the authority's own).
    #[cfg_attr(
        not(feature = "token-endpoint"),
        allow(dead_code, reason = "what the token endpoint's verifiers use")
    )]
    pub(crate) fn shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// What the body of a rejection says (default [`RejectionBody::Json`]); the status and the
    /// `WWW-Authenticate` challenge follow the contract whatever the body.
    pub fn rejection_body(mut self, body: RejectionBody) -> Self {
        self.rejection_body = body;
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
        let remote = None;
        if let Some(keys) = key_source(keys, remote, self.mixed_families)? {
            domains.push(Domain {
                keys,
                issuers: self.issuers.clone(),
                audiences: self.audiences,
            });
        }
        if !self.trusted.is_empty() && domains.first().is_some_and(|d| d.issuers.is_none()) {
            return Err(ConfigError::IssuerNotConfigured);
        }
        for trusted in self.trusted {
            #[cfg(feature = "jwks")]
            let remote = trusted.jwks;
            #[cfg(not(feature = "jwks"))]
            let remote = None;
            let source = key_source(KeySet::new(trusted.keys)?, remote, self.mixed_families)?
                .ok_or(ConfigError::NoKeys)?;
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
                refusals: self.cache.as_ref().map(RefusalCache::new),
                cache: self.cache.map(TokenCache::new),
                domains,
                header: HeaderPolicy::new(self.max_len, self.typ),
                leeway: self.leeway.as_secs(),
                roles_at: self.roles_at,
                map_claims: self.map_claims,
                callers: match self.callers {
                    Some(callers) if callers.is_empty() => {
                        return Err(ConfigError::NoCallers);
                    }
                    Some(callers) => Some(Requirement::AnyCaller(callers)),
                    None => None,
                },
                revocations: self.revocations,
                locations: TokenLocations::new(self.locations)?,
                clock: self.clock,
                challenges: Arc::new(Challenges::new(self.realm, self.rejection_body)),
            }),
        })
    }
}

/// The JWKS client of an authority, where the feature brings one.
#[cfg(feature = "jwks")]
type Remote = crate::JwksClient;
#[cfg(not(feature = "jwks"))]
type Remote = std::convert::Infallible;

/// Where one authority's keys come from: static keys or a JWKS client, never both (the same
/// rule for the main authority and every trusted one); `None` when given neither.
fn key_source(
    keys: KeySet,
    remote: Option<Remote>,
    mixed_families: bool,
) -> Result<Option<KeySource>, ConfigError> {
    match remote {
        Some(_) if !keys.is_empty() => Err(ConfigError::KeysAndJwksClient),
        #[cfg(feature = "jwks")]
        Some(client) => Ok(Some(KeySource::Remote(client))),
        #[cfg(not(feature = "jwks"))]
        Some(never) => match never {},
        None if keys.is_empty() => Ok(None),
        None => {
            let hmac = keys.iter().filter(|k| k.is_hmac()).count();
            if hmac != 0 && hmac != keys.len() && !mixed_families {
                return Err(ConfigError::MixedKeyFamilies);
            }
            Ok(Some(KeySource::Static(keys)))
        }
    }
}
