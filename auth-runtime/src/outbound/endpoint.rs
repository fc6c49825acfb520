//! One request to a token endpoint: where it is (given, or named by an issuer's discovery
//! document), the client's authentication, the form, and the token response read within a
//! size bound.

use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;

use super::{ClientAuthentication, OutboundConfig, OutboundError};
use crate::crypto;

/// Where the token endpoint is.
#[derive(Debug)]
pub(crate) enum Location {
    /// Its URL.
    Token(String),
    /// An issuer whose discovery document names it, read once.
    Issuer {
        issuer: String,
        resolved: OnceLock<String>,
    },
}

/// What a token source needs to ask for tokens.
#[derive(Debug)]
pub(crate) struct Endpoint {
    pub(crate) location: Location,
    pub(crate) client: ClientAuthentication,
    pub(crate) http: reqwest::Client,
    pub(crate) config: OutboundConfig,
}

/// What both token sources' builders gather about the endpoint, and the checks of it.
#[derive(Debug)]
pub(crate) struct EndpointSettings {
    pub(crate) client: ClientAuthentication,
    pub(crate) location: Option<Location>,
    pub(crate) http: Option<reqwest::Client>,
    pub(crate) config: OutboundConfig,
}

impl EndpointSettings {
    pub(crate) fn new(client: ClientAuthentication) -> Self {
        EndpointSettings {
            client,
            location: None,
            http: None,
            config: OutboundConfig::default(),
        }
    }

    pub(crate) fn token_endpoint(&mut self, url: String) {
        self.location = Some(Location::Token(url));
    }

    pub(crate) fn issuer(&mut self, issuer: String) {
        self.location = Some(Location::Issuer {
            issuer,
            resolved: OnceLock::new(),
        });
    }

    /// The endpoint, once its location is given and its configuration holds.
    pub(crate) fn build(self) -> Result<Endpoint, OutboundError> {
        let location = self.location.ok_or_else(|| {
            OutboundError::Config("no token endpoint: call token_endpoint(..) or issuer(..)".into())
        })?;
        let config = checked(self.config)?;
        Endpoint::new(location, self.client, self.http, config)
    }
}

/// `config`, if its shares are shares and its backoff grows.
fn checked(config: OutboundConfig) -> Result<OutboundConfig, OutboundError> {
    let share = |x: f64| (0.0..=1.0).contains(&x);
    if !share(config.refresh_at) || !share(config.jitter) || config.jitter > config.refresh_at {
        return Err(OutboundError::Config(
            "refresh_at and jitter are shares of the lifetime, jitter at most refresh_at".into(),
        ));
    }
    if config.min_backoff.is_zero() || config.min_backoff > config.max_backoff {
        return Err(OutboundError::Config(
            "min_backoff is above zero and at most max_backoff".into(),
        ));
    }
    Ok(config)
}

/// A token response (RFC 6749 section 5.1).
pub(crate) struct Issued {
    pub(crate) token: String,
    pub(crate) expires_in: Duration,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct ErrorResponse {
    error: String,
    #[serde(default)]
    error_description: String,
}

#[cfg(test)]
mod tests {
    use super::check_url;

    #[test]
    fn credentials_travel_over_https_or_loopback_only() {
        for url in [
            "https://auth.example.com/oauth/token",
            "http://127.0.0.1:8000/oauth/token",
            "http://[::1]:8000/oauth/token",
            "http://localhost/oauth/token",
        ] {
            assert!(check_url(url, false).is_ok(), "{url}");
        }
        for url in [
            "http://auth.example.com/oauth/token",
            "ftp://x/",
            "not a url",
        ] {
            assert!(check_url(url, false).is_err(), "{url}");
        }
        assert!(check_url("http://auth.example.com/oauth/token", true).is_ok());
    }
}

#[derive(Deserialize)]
struct Discovery {
    token_endpoint: String,
}

impl Endpoint {
    fn new(
        location: Location,
        client: ClientAuthentication,
        http: Option<reqwest::Client>,
        config: OutboundConfig,
    ) -> Result<Endpoint, OutboundError> {
        let given = match &location {
            Location::Token(url) => url,
            Location::Issuer { issuer, .. } => issuer,
        };
        check_url(given, config.allow_insecure_http)?;
        let http = match http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .timeout(config.timeout)
                .connect_timeout(config.timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| OutboundError::Config(e.to_string()))?,
        };
        Ok(Endpoint {
            location,
            client,
            http,
            config,
        })
    }

    /// The token endpoint's URL.
    async fn url(&self) -> Result<String, OutboundError> {
        match &self.location {
            Location::Token(url) => Ok(url.clone()),
            Location::Issuer { issuer, resolved } => {
                if let Some(url) = resolved.get() {
                    return Ok(url.clone());
                }
                let discovery = format!(
                    "{}/.well-known/openid-configuration",
                    issuer.trim_end_matches('/')
                );
                let (status, body) = self.send(self.http.get(&discovery), &discovery).await?;
                if status != 200 {
                    return Err(OutboundError::Request {
                        url: discovery,
                        reason: format!("the discovery document answered {status}"),
                    });
                }
                let document: Discovery = serde_json::from_slice(&body).map_err(|e| {
                    OutboundError::InvalidResponse(format!("discovery document: {e}"))
                })?;
                check_url(&document.token_endpoint, self.config.allow_insecure_http)?;
                Ok(resolved.get_or_init(|| document.token_endpoint).clone())
            }
        }
    }

    /// POSTs the grant `form` (without the client's authentication) and reads the token.
    pub(crate) async fn request(&self, form: &[(&str, &str)]) -> Result<Issued, OutboundError> {
        let url = self.url().await?;
        let mut request = self.http.post(&url);
        // Built whole before anything is awaited: the serializer is not `Send`.
        let body = {
            let mut body = form_urlencoded::Serializer::new(String::new());
            body.extend_pairs(form);
            match &self.client {
                ClientAuthentication::SecretBasic { id, secret } => {
                    // Each part form-urlencoded before base64 (RFC 6749 section 2.3.1).
                    let encode = |text: &str| {
                        form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
                    };
                    let pair = format!("{}:{}", encode(id), encode(secret));
                    let value = base64::engine::general_purpose::STANDARD.encode(pair);
                    request =
                        request.header(reqwest::header::AUTHORIZATION, format!("Basic {value}"));
                }
                ClientAuthentication::SecretPost { id, secret } => {
                    body.append_pair("client_id", id);
                    body.append_pair("client_secret", secret);
                }
                ClientAuthentication::PrivateKeyJwt { id, key } => {
                    let assertion = assertion(id, key, &url)?;
                    body.append_pair("client_id", id);
                    body.append_pair(
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    );
                    body.append_pair("client_assertion", &assertion);
                }
            }
            body.finish()
        };
        let request = request
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body);
        let (status, body) = self.send(request, &url).await?;
        if status != 200 {
            let ErrorResponse {
                error,
                error_description,
            } = serde_json::from_slice(&body).unwrap_or(ErrorResponse {
                error: "unknown".into(),
                error_description: String::new(),
            });
            return Err(OutboundError::Refused {
                status,
                error,
                description: error_description,
            });
        }
        let response: TokenResponse = serde_json::from_slice(&body)
            .map_err(|e| OutboundError::InvalidResponse(e.to_string()))?;
        if response
            .token_type
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case("bearer"))
        {
            return Err(OutboundError::InvalidResponse(
                "the token type is not Bearer".into(),
            ));
        }
        if response.access_token.is_empty() {
            return Err(OutboundError::InvalidResponse(
                "an empty access token".into(),
            ));
        }
        // Without `expires_in`, the token's own `exp` says; without either, a minute.
        let expires_in = response
            .expires_in
            .or_else(|| {
                unverified_exp(&response.access_token)
                    .map(|exp| exp.saturating_sub(crate::clock::Clock::now(&crate::SystemClock)))
            })
            .unwrap_or(60);
        Ok(Issued {
            token: response.access_token,
            expires_in: Duration::from_secs(expires_in),
        })
    }

    /// Sends `request`; the status and the body, read within the size bound.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
    ) -> Result<(u16, Vec<u8>), OutboundError> {
        let failed = |reason: String| OutboundError::Request {
            url: url.to_owned(),
            reason,
        };
        let mut response = request
            .timeout(self.config.timeout)
            .send()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let status = response.status().as_u16();
        let max = self.config.max_response_bytes;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| failed(e.to_string()))? {
            if body.len() + chunk.len() > max {
                return Err(failed(format!("the answer is larger than {max} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body))
    }
}

/// `Ok` for an `https` URL, or `http` to loopback (or anywhere, when `allow_http`): a client's
/// credentials never travel in the clear to another host.
fn check_url(url: &str, allow_http: bool) -> Result<(), OutboundError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| OutboundError::Config(format!("the URL {url} does not parse: {e}")))?;
    let loopback = || {
        let host = parsed.host_str().unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if allow_http || loopback() => Ok(()),
        _ => Err(OutboundError::Config(format!(
            "{url}: only https (or http to loopback) carries client credentials; set allow_insecure_http on a closed test network"
        ))),
    }
}

/// A `private_key_jwt` assertion for the endpoint `url`: one minute, a fresh `jti`.
fn assertion(id: &str, key: &crate::SigningKey, url: &str) -> Result<String, OutboundError> {
    let now = crate::clock::Clock::now(&crate::SystemClock);
    let mut jti = [0u8; 16];
    crypto::random_bytes(&mut jti).map_err(OutboundError::Config)?;
    let jti = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(jti);
    let header = json!({"alg": key.algorithm().name(), "typ": "JWT", "kid": key.kid()});
    let claims = json!({
        "iss": id, "sub": id, "aud": url, "iat": now, "exp": now + 60, "jti": jti,
    });
    key.sign(&header, &claims)
        .map_err(|e| OutboundError::Config(format!("signing the client assertion: {e}")))
}

/// The `exp` of a JWT's payload, unverified: how long a token may be used, as its issuer
/// wrote it (never a decision: the token is the service's own, or its caller's to pass on).
pub(crate) fn unverified_exp(token: &str) -> Option<u64> {
    #[derive(Deserialize)]
    struct Expiry {
        exp: Option<u64>,
    }
    let peeked: Expiry =
        crate::token::jws::peek_payload(token.as_bytes(), crate::DEFAULT_MAX_TOKEN_LEN, "exp")
            .ok()?;
    peeked.exp
}

/// A random share in `[0, 1)`, for the refresh jitter.
pub(crate) fn random_share() -> f64 {
    let mut bytes = [0u8; 8];
    if crypto::random_bytes(&mut bytes).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}
