//! A standard OAuth client against the demo's authority: Python's authlib
//! (interop/py_client_credentials.py), given nothing but the discovery URL, the client id and
//! the secret, obtains a client-credentials token with `client_secret_basic` and with
//! `client_secret_post`; the token verifies with the authority's published keys.
//!
//! Needs `python3` with `pip install -r interop/requirements.txt`; fails (does not skip)
//! without them.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

use auth::Verifier;
use auth_demo as demo;
use serde_json::Value;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop/py_client_credentials.py")
}

#[tokio::test(flavor = "multi_thread")]
async fn authlib_obtains_a_client_credentials_token_from_the_demo() {
    let running = demo::start(&demo::Config::ephemeral(), &[demo::Service::Authority])
        .await
        .expect("the authority starts");
    let urls = running.urls.clone();
    let discovery = format!("{}/.well-known/openid-configuration", urls.authority);
    let jwks = reqwest::get(&urls.jwks_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let verifier = Verifier::builder()
        .jwks_json(jwks)
        .issuer(urls.issuer.clone())
        .audience("users")
        .build()
        .unwrap();
    let (id, secret) = demo::authority::REPORTS_CLIENT;
    for method in ["basic", "post"] {
        let output = tokio::process::Command::new("python3")
            .arg(script())
            .args([discovery.as_str(), id, secret, method])
            .output()
            .await
            .unwrap_or_else(|e| panic!("python3 could not run: {e}; install Python 3"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "authlib failed ({method}); is it installed (pip install -r interop/requirements.txt)?\n{stderr}"
        );
        let token: Value = serde_json::from_slice(&output.stdout).expect("the token response");
        assert_eq!(token["token_type"], "Bearer", "{token}");
        let claims = verifier
            .verify(token["access_token"].as_str().unwrap())
            .expect("the token verifies with the published keys");
        assert_eq!(claims.sub.as_deref(), Some("reports"));
        assert_eq!(claims.client_id(), Some("reports"));
    }
    running.stop();
}
