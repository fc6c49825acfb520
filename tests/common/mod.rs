//! Shared helpers of the facade's integration tests: a real server on a loopback socket.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::net::SocketAddr;

/// Serves `router` on 127.0.0.1 with an OS-assigned port; returns the base URL.
#[cfg(feature = "axum")]
pub(crate) async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("server runs");
    });
    format!("http://{addr}")
}

/// A request's outcome: status, `WWW-Authenticate`, body.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) challenge: Option<String>,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("JSON body")
    }
}

/// GET `url` with the given Authorization header values (none, one, or several).
pub(crate) async fn get(url: &str, authorization: &[&str]) -> Reply {
    let client = reqwest::Client::new();
    let mut request = client.get(url);
    for value in authorization {
        request = request.header(reqwest::header::AUTHORIZATION, *value);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().expect("ascii header").to_owned());
    let body = response.text().await.expect("body");
    Reply {
        status,
        challenge,
        body,
    }
}

pub(crate) fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The exact `WWW-Authenticate` challenges of the contract (realm `api`), written out here
/// rather than taken from the library, so a test compares the library with them.
pub(crate) mod challenge {
    /// No credentials (or another scheme): 401.
    pub(crate) const NONE: &str = r#"Bearer realm="api""#;
    /// `Authorization: Bearer` with no token, or characters no token has: 400.
    pub(crate) const MALFORMED: &str = r#"Bearer realm="api", error="invalid_request", error_description="the Authorization header is malformed""#;
    /// More than one `Authorization` header: 400.
    pub(crate) const TWO_HEADERS: &str = r#"Bearer realm="api", error="invalid_request", error_description="the request has more than one Authorization header""#;
    /// An expired token: 401.
    pub(crate) const EXPIRED: &str = r#"Bearer realm="api", error="invalid_token", error_description="the access token expired""#;
    /// Any other bad token (forged, unknown key, wrong audience, garbage): 401.
    pub(crate) const INVALID: &str = r#"Bearer realm="api", error="invalid_token", error_description="the access token is invalid""#;
    /// A valid token without the role or scope: 403.
    pub(crate) const INSUFFICIENT: &str = r#"Bearer realm="api", error="insufficient_scope", error_description="the access token does not grant this operation""#;
}
