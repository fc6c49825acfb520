//! A real OpenID provider: the Node `oidc-provider` package (interop/oidc/provider.mjs) on
//! loopback issues RFC 9068 JWT access tokens through the client credentials grant, one
//! audience per resource indicator. A `#[protected]` axum endpoint configured with nothing but
//! the provider's issuer URL (keys through OpenID discovery) and its own audience accepts the
//! token for its resource and rejects one for another resource. The library's own outbound
//! `ServiceTokenSource`, given nothing but the provider's issuer URL, the client's id and
//! secret, obtains the provider's token for its resource, once for many calls.
//!
//! Needs Node.js and `npm ci --prefix interop/oidc`; fails (does not skip) without them.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use auth::{AuthError, Claims, JwksClient, Verifier, protected};
use axum::Router;
use axum::routing::get;
use common::{b64, bearer, get as fetch, json_part, parts as token_parts, serve};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

/// The client registered in provider.mjs.
const CLIENT_ID: &str = "orders-client";
const CLIENT_SECRET: &str = "orders-client-secret-for-tests-only";
/// The protected service's audience, and another resource server's.
const ORDERS: &str = "https://api.example/orders";
const BILLING: &str = "https://api.example/billing";

const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// The running provider; killed when dropped.
struct OidcProvider {
    issuer: String,
    _child: Child,
}

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop/oidc")
}

impl OidcProvider {
    async fn start() -> OidcProvider {
        let dir = interop_dir();
        assert!(
            dir.join("node_modules/oidc-provider/package.json")
                .is_file(),
            "oidc-provider is not installed in {}: run `npm ci --prefix interop/oidc`",
            dir.display()
        );
        let mut child = match Command::new("node")
            .arg(dir.join("provider.mjs"))
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
        {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                panic!("`node` is not on PATH: install Node.js 20 or later")
            }
            Err(e) => panic!("cannot start node: {e}"),
        };
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(STARTUP_TIMEOUT, lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("provider.mjs printed no issuer within {STARTUP_TIMEOUT:?}"))
            .expect("read provider stdout");
        let Some(issuer) = first.filter(|line| line.starts_with("http://127.0.0.1:")) else {
            let mut stderr = String::new();
            if let Some(mut err) = child.stderr.take() {
                let _ =
                    tokio::time::timeout(Duration::from_secs(5), err.read_to_string(&mut stderr))
                        .await;
            }
            panic!("provider.mjs did not print its issuer; stderr:\n{stderr}");
        };
        // Keep draining both pipes so the provider never blocks on a full one; show its stderr.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let stderr = child.stderr.take().unwrap();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("[oidc-provider] {line}");
            }
        });
        OidcProvider {
            issuer,
            _child: child,
        }
    }

    /// The provider's OpenID configuration.
    async fn discovery(&self) -> serde_json::Value {
        let url = format!("{}/.well-known/openid-configuration", self.issuer);
        let response = reqwest::get(&url).await.expect("discovery request");
        assert_eq!(response.status(), 200, "GET {url}");
        response.json().await.expect("discovery JSON")
    }

    /// A client credentials access token for `resource`, authenticated with HTTP Basic.
    async fn access_token(&self, resource: &str) -> String {
        let discovery = self.discovery().await;
        let token_endpoint = discovery["token_endpoint"]
            .as_str()
            .expect("discovery names a token_endpoint");
        let form = [
            ("grant_type", "client_credentials"),
            ("scope", "orders:read"),
            ("resource", resource),
        ];
        let response = reqwest::Client::new()
            .post(token_endpoint)
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form_urlencoded(&form))
            .send()
            .await
            .expect("token request");
        let status = response.status();
        let body: serde_json::Value = response.json().await.expect("token response JSON");
        assert_eq!(status, 200, "token endpoint answered {body}");
        assert_eq!(body["token_type"], "Bearer", "{body}");
        body["access_token"]
            .as_str()
            .expect("an access_token")
            .to_owned()
    }
}

/// `application/x-www-form-urlencoded` (the dev-dependency reqwest has no `form` feature).
fn form_urlencoded(pairs: &[(&str, &str)]) -> String {
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                    char::from(b).to_string()
                }
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The decoded header and payload of a compact JWS, unverified.
fn parts(token: &str) -> (serde_json::Value, serde_json::Value) {
    let segments: Vec<&str> = token.split('.').collect();
    assert_eq!(
        segments.len(),
        3,
        "a JWT access token (JWS compact), not an opaque one: {token}"
    );
    (json_part(token, 0), json_part(token, 1))
}

#[protected]
async fn me(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected]
async fn scopes(claims: Claims) -> String {
    claims.scopes.join(" ")
}

/// The orders service's verifier: trusts the provider through its issuer URL alone.
async fn orders_verifier(issuer: &str) -> Verifier {
    let jwks = JwksClient::discover(issuer)
        .start()
        .await
        .unwrap_or_else(|e| panic!("discovery and JWKS of {issuer}: {e}"));
    Verifier::builder()
        .jwks(jwks)
        .issuer(issuer)
        .audience(ORDERS)
        .require_typ("at+jwt")
        .build()
        .unwrap()
}

#[tokio::test]
async fn oidc_provider_client_credentials_token_is_accepted_for_its_audience_only() {
    let provider = OidcProvider::start().await;
    let issuer = provider.issuer.clone();

    let discovery = provider.discovery().await;
    assert_eq!(discovery["issuer"], issuer.as_str());

    // The token for the orders resource: an ES256 JWT, RFC 9068 style.
    let orders_token = provider.access_token(ORDERS).await;
    let (header, payload) = parts(&orders_token);
    assert_eq!(header["alg"], "ES256", "{header}");
    assert_eq!(header["typ"], "at+jwt", "{header}");
    assert!(header["kid"].is_string(), "{header}");
    assert_eq!(payload["iss"], issuer.as_str(), "{payload}");
    assert_eq!(payload["aud"], ORDERS, "{payload}");
    assert_eq!(payload["sub"], CLIENT_ID, "{payload}");
    assert_eq!(payload["client_id"], CLIENT_ID, "{payload}");

    // A token for another resource server, from the same provider, client and key.
    let billing_token = provider.access_token(BILLING).await;
    let (billing_header, billing_payload) = parts(&billing_token);
    assert_eq!(billing_header["kid"], header["kid"]);
    assert_eq!(billing_payload["aud"], BILLING, "{billing_payload}");

    let verifier = orders_verifier(&issuer).await;
    // The precise reasons, straight from the verifier.
    let claims = verifier
        .verify(&orders_token)
        .unwrap_or_else(|e| panic!("orders token verifies: {e}"));
    assert_eq!(claims.iss.as_deref(), Some(issuer.as_str()));
    assert_eq!(claims.sub.as_deref(), Some(CLIENT_ID));
    assert!(claims.aud.contains(ORDERS));
    assert!(claims.has_scope("orders:read"), "{:?}", claims.scopes);
    assert_eq!(
        verifier.verify(&billing_token).unwrap_err(),
        AuthError::InvalidAudience
    );

    let router = Router::new()
        .route("/me", get(me))
        .route("/scopes", get(scopes))
        .with_state(verifier);
    let base = serve(router).await;

    let ok = fetch(&format!("{base}/me"), &[&bearer(&orders_token)]).await;
    assert_eq!(ok.status, 200, "orders token accepted: {}", ok.body);
    assert_eq!(ok.body, CLIENT_ID);

    let granted = fetch(&format!("{base}/scopes"), &[&bearer(&orders_token)]).await;
    assert_eq!(granted.status, 200, "{}", granted.body);
    assert_eq!(granted.body, "orders:read");

    let other = fetch(&format!("{base}/me"), &[&bearer(&billing_token)]).await;
    assert_eq!(other.status, 401, "billing token rejected: {}", other.body);
    let challenge = other.challenge.expect("WWW-Authenticate on 401");
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");

    let none = fetch(&format!("{base}/me"), &[]).await;
    assert_eq!(none.status, 401);
    let challenge = none.challenge.expect("WWW-Authenticate on 401");
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    assert!(
        !challenge.contains("error="),
        "no token, no error code: {challenge}"
    );

    // A token the provider never signed, shaped like its own: rejected too.
    let (h, p, _) = token_parts(&orders_token);
    let forged = format!("{h}.{p}.{}", b64([7u8; 64]));
    let forged = fetch(&format!("{base}/me"), &[&bearer(&forged)]).await;
    assert_eq!(forged.status, 401, "{}", forged.body);
}

#[tokio::test]
async fn the_outbound_source_obtains_the_providers_client_credentials_token() {
    use auth::outbound::{ClientAuthentication, ServiceTokenSource};
    let provider = OidcProvider::start().await;
    let source =
        ServiceTokenSource::builder(ClientAuthentication::secret_basic(CLIENT_ID, CLIENT_SECRET))
            .issuer(provider.issuer.clone())
            .resource(ORDERS)
            .scope("orders:read")
            .build()
            .unwrap();
    let token = source.token().await.expect("a token from the provider");
    for _ in 0..20 {
        assert_eq!(source.token().await.unwrap(), token, "from memory");
    }
    assert_eq!(source.fetches(), 1);
    let claims = orders_verifier(&provider.issuer)
        .await
        .verify(&token)
        .expect("the provider's token verifies for its resource");
    assert_eq!(claims.client_id(), Some(CLIENT_ID));
    assert!(claims.has_scope("orders:read"));
}
