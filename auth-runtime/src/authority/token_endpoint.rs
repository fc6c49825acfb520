//! The authority's token endpoint (`POST /oauth/token`, RFC 6749 section 3.2), for services:
//! the client credentials grant (section 4.4) and token exchange (RFC 8693), each client
//! authenticated by `client_secret_basic`, `client_secret_post` or `private_key_jwt` (RFC
//! 7523). Framework-free: it reads the request's `Authorization` header and form body and
//! answers a complete response, errors as section 5.2 says.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::clients::{Credential, SecretCache, ServiceClient};
use super::replay::UsedAssertions;
use super::sessions::Sessions;
use super::{Authority, KeyRing};
use crate::error::ConfigError;
use crate::token::claims::RolesLocation;
use crate::verifier::{DEFAULT_MAX_TOKEN_LEN, Verifier};

/// `grant_type` of the client credentials grant.
pub const CLIENT_CREDENTIALS: &str = "client_credentials";
/// `grant_type` of the refresh grant (RFC 6749 section 6).
pub const REFRESH_TOKEN: &str = "refresh_token";
/// `grant_type` of token exchange (RFC 8693 section 2.1).
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The token type of an access token (RFC 8693 section 3).
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// `client_assertion_type` of a JWT client assertion (RFC 7523 section 2.2).
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The longest a client assertion may live: its `jti` is remembered that long.
const MAX_ASSERTION_LIFETIME: u64 = 3600;

/// The authority's token endpoint for service clients: client credentials and token exchange.
///
/// ```
/// use auth_runtime::{Algorithm, Authority, ServiceClient, SigningKey, TokenEndpoint, TokenRequest};
///
/// let authority = Authority::builder()
///     .issuer("https://auth.example.com")
///     .signing_key(SigningKey::generate(Algorithm::ES256)?)
///     .build()?;
/// let endpoint = TokenEndpoint::builder(authority.clone())
///     .client(ServiceClient::with_secret("reports", "reports-secret")?.audiences(["users"]))
///     .build()?;
/// let response = endpoint.respond(TokenRequest {
///     authorization: None,
///     body: b"grant_type=client_credentials&client_id=reports&client_secret=reports-secret",
/// });
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.headers()["cache-control"], "no-store");
/// let body: serde_json::Value = serde_json::from_str(response.body())?;
/// let token = body["access_token"].as_str().unwrap();
/// let claims = authority.verifier().any_audience().build()?.verify(token)?;
/// assert_eq!(claims.sub.as_deref(), Some("reports"));
/// assert!(claims.aud.contains("users"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TokenEndpoint {
    authority: Authority,
    url: String,
    clients: HashMap<String, RegisteredClient>,
    secrets: SecretCache,
    used_assertions: UsedAssertions,
    client_lifetime: Duration,
    exchange_lifetime: Duration,
    /// The verifier of subject tokens, for the key ring it was built from.
    subject_verifier: RwLock<Option<(Arc<KeyRing>, Verifier)>>,
    /// Whether a subject token was revoked, as the application's revocation says.
    revoked: Option<RevocationCheck>,
    /// `WWW-Authenticate: Basic realm="<issuer>"`, for a failed client authentication.
    basic_challenge: http::HeaderValue,
    /// The users' sessions, when the endpoint serves the refresh grant and revocation.
    pub(crate) sessions: Option<Sessions>,
    /// The revocation endpoint's URL (RFC 7009), in the discovery document with sessions.
    pub(crate) revocation_url: String,
}

/// The application's answer to "was this token revoked?", for subject tokens of an exchange.
type RevocationCheck = Arc<dyn Fn(&crate::token::claims::Claims) -> bool + Send + Sync>;

/// A client and, for `private_key_jwt`, the verifier of its assertions.
struct RegisteredClient {
    client: ServiceClient,
    assertions: Option<Verifier>,
}

impl std::fmt::Debug for TokenEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenEndpoint")
            .field("url", &self.url)
            .field("clients", &self.clients.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// What the token endpoint reads of a request: the `Authorization` header's value, if any,
/// and the `application/x-www-form-urlencoded` body.
#[derive(Debug, Clone, Copy)]
pub struct TokenRequest<'a> {
    /// The `Authorization` header's value (`client_secret_basic`).
    pub authorization: Option<&'a [u8]>,
    /// The form body.
    pub body: &'a [u8],
}

/// An error of the token endpoint (RFC 6749 section 5.2, RFC 8693 section 2.2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    /// The `error` code: `invalid_request`, `invalid_client`, `invalid_grant`,
    /// `unauthorized_client`, `unsupported_grant_type`, `invalid_scope` or `invalid_target`.
    pub code: &'static str,
    /// The `error_description`: what the client may know.
    pub description: String,
}

impl TokenError {
    pub(crate) fn new(code: &'static str, description: impl Into<String>) -> Self {
        TokenError {
            code,
            description: description.into(),
        }
    }

    pub(crate) fn invalid_request(description: impl Into<String>) -> Self {
        TokenError::new("invalid_request", description)
    }

    /// The client could not be authenticated: always the same words, whatever failed.
    fn invalid_client() -> Self {
        TokenError::new("invalid_client", "client authentication failed")
    }

    /// 401 for a failed client authentication, 500 for the server's own failure
    /// (`server_error`: a token could not be signed), 503 when a store it needs cannot be
    /// reached (`temporarily_unavailable`), 400 for every other error.
    pub fn status(&self) -> u16 {
        match self.code {
            "invalid_client" => 401,
            "server_error" => 500,
            "temporarily_unavailable" => 503,
            _ => 400,
        }
    }
}

/// A token the endpoint issued: the success response (RFC 6749 section 5.1, RFC 8693
/// section 2.2.1).
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The access token.
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: u64,
    /// Its scopes, space-delimited, when it has any.
    pub scope: Option<String>,
    /// `urn:ietf:params:oauth:token-type:access_token` for an exchanged token.
    pub issued_token_type: Option<&'static str>,
    /// The next refresh token, for the refresh grant.
    pub refresh_token: Option<String>,
}

impl IssuedToken {
    fn to_json(&self) -> Value {
        let mut body = json!({
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        });
        if let Some(scope) = &self.scope {
            body["scope"] = Value::String(scope.clone());
        }
        if let Some(kind) = self.issued_token_type {
            body["issued_token_type"] = Value::String(kind.into());
        }
        if let Some(refresh) = &self.refresh_token {
            body["refresh_token"] = Value::String(refresh.clone());
        }
        body
    }
}

/// The parameters of one request: each at most once (RFC 6749 section 3.2), an empty value
/// counted as absent (section 3.1).
pub(crate) struct Params(HashMap<String, String>);

impl Params {
    pub(crate) fn parse(body: &[u8]) -> Result<Params, TokenError> {
        let mut params = HashMap::new();
        for (name, value) in form_urlencoded::parse(body) {
            if value.is_empty() {
                continue;
            }
            if params
                .insert(name.to_string(), value.into_owned())
                .is_some()
            {
                return Err(TokenError::invalid_request(format!(
                    "the parameter `{name}` is given more than once"
                )));
            }
        }
        Ok(Params(params))
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub(crate) fn required(&self, name: &str) -> Result<&str, TokenError> {
        self.get(name)
            .ok_or_else(|| TokenError::invalid_request(format!("`{name}` is missing")))
    }

    /// The space-delimited list `name`, if given.
    pub(crate) fn list(&self, name: &str) -> Option<Vec<&str>> {
        self.get(name)
            .map(|v| v.split(' ').filter(|s| !s.is_empty()).collect())
    }
}

impl TokenEndpoint {
    /// Starts the endpoint of `authority`.
    pub fn builder(authority: Authority) -> TokenEndpointBuilder {
        TokenEndpointBuilder {
            url: None,
            client_lifetime: authority.lifetime(),
            exchange_lifetime: Duration::from_secs(300),
            authority,
            clients: Vec::new(),
            revoked: None,
            sessions: None,
            revocation_url: None,
        }
    }

    /// The endpoint's URL: the audience of client assertions, and `token_endpoint` in the
    /// discovery document.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The authority's discovery document with the endpoint's members: `token_endpoint`,
    /// `grant_types_supported`, `token_endpoint_auth_methods_supported` and the algorithms of
    /// client assertions.
    pub fn discovery_document(&self) -> Value {
        let mut document = self.authority.discovery_document();
        document["token_endpoint"] = Value::String(self.url.clone());
        document["grant_types_supported"] = if self.sessions.is_some() {
            document["revocation_endpoint"] = Value::String(self.revocation_url.clone());
            document["revocation_endpoint_auth_methods_supported"] = json!(["none"]);
            json!([CLIENT_CREDENTIALS, TOKEN_EXCHANGE, REFRESH_TOKEN])
        } else {
            json!([CLIENT_CREDENTIALS, TOKEN_EXCHANGE])
        };
        document["token_endpoint_auth_methods_supported"] = json!([
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt"
        ]);
        document["token_endpoint_auth_signing_alg_values_supported"] =
            json!(["RS256", "PS256", "ES256", "ES384", "EdDSA"]);
        document
    }

    /// The whole response to a `POST` of the token endpoint: the token as JSON, or the
    /// error's JSON body with its status (401 and `WWW-Authenticate: Basic` when the client
    /// could not be authenticated); `Cache-Control: no-store` either way. Verifying a client's
    /// secret the first time costs an argon2 hash: call it where blocking is allowed
    /// (`spawn_blocking` in an async server).
    pub fn respond(&self, request: TokenRequest<'_>) -> http::Response<String> {
        self.response(self.handle(request))
    }

    /// The response of an answer of the endpoint.
    pub(crate) fn response(
        &self,
        answer: Result<IssuedToken, TokenError>,
    ) -> http::Response<String> {
        let (status, body, challenge) = match answer {
            Ok(issued) => (200, issued.to_json(), false),
            Err(error) => (
                error.status(),
                json!({"error": error.code, "error_description": error.description}),
                error.code == "invalid_client",
            ),
        };
        let mut response = super::json_response_cached(body.to_string(), "no-store");
        *response.status_mut() =
            http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_REQUEST);
        let headers = response.headers_mut();
        headers.insert(
            http::header::PRAGMA,
            http::HeaderValue::from_static("no-cache"),
        );
        if challenge {
            headers.insert(http::header::WWW_AUTHENTICATE, self.basic_challenge.clone());
        }
        response
    }

    /// The token a request asks for, or why not.
    pub fn handle(&self, request: TokenRequest<'_>) -> Result<IssuedToken, TokenError> {
        let params = Params::parse(request.body)?;
        let grant = params.required("grant_type")?;
        if grant == REFRESH_TOKEN && self.sessions.is_some() {
            return Err(TokenError::new(
                "server_error",
                "the refresh grant is answered by respond_async",
            ));
        }
        if grant != CLIENT_CREDENTIALS && grant != TOKEN_EXCHANGE {
            return Err(TokenError::new(
                "unsupported_grant_type",
                format!("the grant type `{grant}` is not supported"),
            ));
        }
        let client = self.authenticate_client(&params, request.authorization)?;
        if grant == CLIENT_CREDENTIALS {
            self.client_credentials(client, &params)
        } else {
            super::exchange::exchange(self, client, &params)
        }
    }

    /// The client the request authenticates, by exactly one method.
    fn authenticate_client(
        &self,
        params: &Params,
        authorization: Option<&[u8]>,
    ) -> Result<&ServiceClient, TokenError> {
        let basic = authorization.and_then(basic_credentials);
        let posted = params.get("client_secret");
        let assertion = params.get("client_assertion");
        let methods = [basic.is_some(), posted.is_some(), assertion.is_some()];
        if methods.iter().filter(|used| **used).count() > 1 {
            return Err(TokenError::invalid_request(
                "the client authenticates by more than one method",
            ));
        }
        let named = params.get("client_id");
        if let Some((id, secret)) = &basic {
            if named.is_some_and(|named| named != id) {
                return Err(TokenError::invalid_request(
                    "`client_id` differs from the authenticated client",
                ));
            }
            return self.by_secret(id, secret);
        }
        if let Some(secret) = posted {
            let id = named.ok_or_else(TokenError::invalid_client)?;
            return self.by_secret(id, secret);
        }
        if let Some(assertion) = assertion {
            if params.get("client_assertion_type") != Some(JWT_BEARER_ASSERTION) {
                return Err(TokenError::invalid_request(
                    "`client_assertion_type` must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ));
            }
            return self.by_assertion(named, assertion);
        }
        Err(TokenError::invalid_client())
    }

    fn by_secret(&self, id: &str, secret: &str) -> Result<&ServiceClient, TokenError> {
        let registered = self
            .clients
            .get(id)
            .ok_or_else(TokenError::invalid_client)?;
        match &registered.client.credential {
            Credential::Secret(hash) if self.secrets.matches(id, hash, secret) => {
                Ok(&registered.client)
            }
            _ => Err(TokenError::invalid_client()),
        }
    }

    /// A `private_key_jwt` assertion: signed by a key of the client it names in `iss` and
    /// `sub`, for this endpoint, short-lived, its `jti` never seen before.
    fn by_assertion(
        &self,
        named: Option<&str>,
        assertion: &str,
    ) -> Result<&ServiceClient, TokenError> {
        let issuer = crate::token::jws::peek_issuer(assertion.as_bytes(), DEFAULT_MAX_TOKEN_LEN)
            .map_err(|_| TokenError::invalid_client())?;
        if named.is_some_and(|named| named != issuer) {
            return Err(TokenError::invalid_client());
        }
        let registered = self
            .clients
            .get(&issuer)
            .ok_or_else(TokenError::invalid_client)?;
        let verifier = registered
            .assertions
            .as_ref()
            .ok_or_else(TokenError::invalid_client)?;
        let claims = verifier
            .verify(assertion)
            .map_err(|_| TokenError::invalid_client())?;
        let now = self.authority.inner.clock.now();
        let fits = claims.sub.as_deref() == Some(issuer.as_str())
            && claims.exp.saturating_sub(now) <= MAX_ASSERTION_LIFETIME;
        let jti = claims.jti.as_deref().filter(|_| fits);
        match jti {
            Some(jti)
                if self
                    .used_assertions
                    .first_use(&issuer, jti, claims.exp, now) =>
            {
                Ok(&registered.client)
            }
            _ => Err(TokenError::invalid_client()),
        }
    }

    /// RFC 6749 section 4.4: a token for the client itself, within what it is registered for.
    fn client_credentials(
        &self,
        client: &ServiceClient,
        params: &Params,
    ) -> Result<IssuedToken, TokenError> {
        if client.audiences.is_empty() {
            return Err(TokenError::new(
                "unauthorized_client",
                "the client is not registered for tokens of its own",
            ));
        }
        let audiences = within(
            params.list("audience"),
            &client.audiences,
            "invalid_target",
            "the client may not obtain tokens for",
        )?;
        let scopes = within(
            params.list("scope"),
            &client.scopes,
            "invalid_scope",
            "the client may not ask for the scope",
        )?;
        let mut token = self
            .authority
            .token(client.id.clone())
            .claim("aud", audience_value(&audiences))
            .claim("client_id", &client.id)
            .lifetime(self.client_lifetime);
        if !client.roles.is_empty() {
            token = token.roles(client.roles.iter().cloned());
        }
        if !scopes.is_empty() {
            token = token.scopes(scopes.iter().copied());
        }
        let access_token = token
            .issue()
            .map_err(|e| TokenError::new("server_error", e.to_string()))?;
        Ok(IssuedToken {
            access_token,
            expires_in: self.client_lifetime.as_secs(),
            scope: (!scopes.is_empty()).then(|| scopes.join(" ")),
            issued_token_type: None,
            refresh_token: None,
        })
    }

    pub(crate) fn authority(&self) -> &Authority {
        &self.authority
    }

    pub(crate) fn exchange_lifetime(&self) -> Duration {
        self.exchange_lifetime
    }

    /// Whether the application revoked the subject token with `claims`.
    pub(crate) fn is_revoked(&self, claims: &crate::token::claims::Claims) -> bool {
        self.revoked.as_ref().is_some_and(|revoked| revoked(claims))
    }

    /// The verifier of subject tokens: this authority's current keys and issuer, any audience
    /// (the exchange checks it against the acting client), rebuilt when the keys change.
    pub(crate) fn subject_verifier(&self) -> Result<Verifier, TokenError> {
        let ring = self.authority.ring();
        if let Some((built_for, verifier)) = &*self
            .subject_verifier
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            && Arc::ptr_eq(built_for, &ring)
        {
            return Ok(verifier.clone());
        }
        let inner = &self.authority.inner;
        let verifier = Verifier::builder()
            .keys(self.authority.verifying_keys())
            .issuer(inner.issuer.clone())
            .any_audience()
            .roles_at(RolesLocation::claim(inner.roles_claim.clone()))
            .shared_clock(Arc::clone(&inner.clock))
            .build()
            .map_err(|e| TokenError::new("server_error", e.to_string()))?;
        *self
            .subject_verifier
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some((ring, verifier.clone()));
        Ok(verifier)
    }
}

/// What the client asked for (`asked`), each of it among what it is `registered` for; or all
/// it is registered for, when it asked for nothing. Else the error `code`, naming the first
/// name that is not, after `refusal`.
fn within<'a>(
    asked: Option<Vec<&'a str>>,
    registered: &'a [String],
    code: &'static str,
    refusal: &str,
) -> Result<Vec<&'a str>, TokenError> {
    let Some(asked) = asked else {
        return Ok(registered.iter().map(String::as_str).collect());
    };
    match asked
        .iter()
        .find(|name| !registered.iter().any(|r| r == *name))
    {
        Some(unknown) => Err(TokenError::new(code, format!("{refusal} `{unknown}`"))),
        None => Ok(asked),
    }
}

/// `aud` as a string for one audience, an array for several.
pub(crate) fn audience_value(audiences: &[&str]) -> Value {
    match audiences {
        [one] => Value::String((*one).to_owned()),
        many => json!(many),
    }
}

/// `client_secret_basic`: the client id and secret of `Authorization: Basic ..`, each
/// form-urlencoded before base64 (RFC 6749 section 2.3.1). `None` for another scheme or a
/// malformed value.
fn basic_credentials(header: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(header).ok()?;
    let (scheme, encoded) = text.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id)?, form_decode(secret)?))
}

/// One form-urlencoded component (`+` a space, `%XX` a byte), as UTF-8.
fn form_decode(component: &str) -> Option<String> {
    let spaced = component.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|text| text.into_owned())
}

/// Configuration of a [`TokenEndpoint`].
#[must_use]
pub struct TokenEndpointBuilder {
    authority: Authority,
    url: Option<String>,
    clients: Vec<ServiceClient>,
    client_lifetime: Duration,
    exchange_lifetime: Duration,
    revoked: Option<RevocationCheck>,
    sessions: Option<Sessions>,
    revocation_url: Option<String>,
}

impl TokenEndpointBuilder {
    /// Serves the users' `sessions` too: the refresh grant (RFC 6749 section 6) through
    /// [`TokenEndpoint::respond_async`], and the revocation endpoint (RFC 7009,
    /// [`TokenEndpoint::revoke`]); the discovery document lists both.
    pub fn sessions(mut self, sessions: Sessions) -> Self {
        self.sessions = Some(sessions);
        self
    }

    /// The revocation endpoint's URL (default: `{issuer}/oauth/revoke`).
    pub fn revocation_url(mut self, url: impl Into<String>) -> Self {
        self.revocation_url = Some(url.into());
        self
    }

    /// How the endpoint learns that a subject token was revoked (by its `jti`, its session,
    /// its subject): an exchange of a token for which `revoked` answers `true` is refused
    /// (`invalid_grant`), so that a revoked token is not turned into a fresh one.
    ///
    /// ```
    /// use std::collections::HashSet;
    /// use std::sync::{Arc, RwLock};
    /// # let authority = auth_runtime::testing::authority(auth_runtime::Algorithm::ES256);
    ///
    /// let revoked_jtis: Arc<RwLock<HashSet<String>>> = Arc::default();
    /// let list = Arc::clone(&revoked_jtis);
    /// let endpoint = auth_runtime::TokenEndpoint::builder(authority)
    ///     .revoked(move |claims| {
    ///         claims.jti.as_ref().is_some_and(|jti| list.read().unwrap().contains(jti))
    ///     })
    ///     .build()?;
    /// # let _ = endpoint;
    /// # Ok::<(), auth_runtime::ConfigError>(())
    /// ```
    pub fn revoked(
        mut self,
        revoked: impl Fn(&crate::token::claims::Claims) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.revoked = Some(Arc::new(revoked));
        self
    }

    /// The endpoint's URL (default: `{issuer}/oauth/token`).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Registers a client.
    pub fn client(mut self, client: ServiceClient) -> Self {
        self.clients.push(client);
        self
    }

    /// The lifetime of a client's own tokens (default: the authority's).
    pub fn client_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.client_lifetime = lifetime;
        self
    }

    /// The longest an exchanged token lives (default 5 minutes), never past its subject
    /// token.
    pub fn exchange_lifetime(mut self, lifetime: Duration) -> Self {
        self.exchange_lifetime = lifetime;
        self
    }

    /// Builds the endpoint. Errors: two clients with one id, or a client's keys unusable.
    pub fn build(self) -> Result<TokenEndpoint, ConfigError> {
        let issuer = self.authority.issuer().to_owned();
        let url = self
            .url
            .unwrap_or_else(|| format!("{}/oauth/token", issuer.trim_end_matches('/')));
        let mut clients = HashMap::new();
        for client in self.clients {
            let assertions = match &client.credential {
                Credential::Secret(_) => None,
                Credential::PublicKeys(keys) => Some(
                    Verifier::builder()
                        .keys(keys.iter().cloned())
                        .issuer(client.id.clone())
                        .audience(url.clone())
                        .audience(issuer.clone())
                        .shared_clock(Arc::clone(&self.authority.inner.clock))
                        // Each assertion is used once: nothing to gain from keeping it.
                        .no_cache()
                        .build()?,
                ),
            };
            let id = client.id.clone();
            if clients
                .insert(id.clone(), RegisteredClient { client, assertions })
                .is_some()
            {
                return Err(ConfigError::Client(format!(
                    "the client `{id}` is registered twice"
                )));
            }
        }
        Ok(TokenEndpoint {
            authority: self.authority,
            url,
            clients,
            secrets: SecretCache::new()?,
            used_assertions: UsedAssertions::default(),
            client_lifetime: self.client_lifetime,
            exchange_lifetime: self.exchange_lifetime,
            subject_verifier: RwLock::new(None),
            revoked: self.revoked,
            sessions: self.sessions,
            revocation_url: self
                .revocation_url
                .unwrap_or_else(|| format!("{}/oauth/revoke", issuer.trim_end_matches('/'))),
            basic_challenge: http::HeaderValue::from_str(&format!(
                "Basic realm=\"{}\"",
                issuer.replace(['"', '\\'], "")
            ))
            .unwrap_or(http::HeaderValue::from_static("Basic")),
        })
    }
}
