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
