//! The JWKS fetch with a client of the user's own (a company CA, a proxy, a client
//! certificate): over TLS on loopback, with a certificate issued by a throwaway CA that only a
//! client given that CA trusts. The size cap, the timeout and the refusal of redirects hold
//! whatever the client.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use auth::{Algorithm, JwksClient, RefreshError, Verifier, testing};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// A CA, and a TLS configuration for `127.0.0.1` with a certificate it signed.
struct Pki {
    ca_pem: String,
    server: Arc<rustls::ServerConfig>,
}

fn pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("CA key"))
        .expect("CA certificate");
    let key = KeyPair::generate().expect("server key");
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .expect("server parameters")
        .signed_by(&key, &ca)
        .expect("server certificate");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        )
        .expect("server configuration");
    Pki {
        ca_pem: ca.pem(),
        server: Arc::new(server),
    }
}

/// An HTTPS server on loopback: `/jwks` is `jwks`, `/moved` redirects there, `/big` is a
/// body larger than any cap used here. One request per connection.
async fn serve(config: Arc<rustls::ServerConfig>, jwks: String) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let acceptor = TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, jwks) = (acceptor.clone(), jwks.clone());
            tokio::spawn(async move {
                // A client that does not trust the CA ends the handshake: nothing to answer.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head);
                let path = head.split(' ').nth(1).unwrap_or("/");
                let response = match path {
                    "/jwks" => format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{jwks}",
                        jwks.len()
                    ),
                    "/moved" => "HTTP/1.1 302 Found\r\nlocation: /jwks\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_owned(),
                    _ => {
                        let big = " ".repeat(64 * 1024);
                        format!(
                            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{big}",
                            big.len()
                        )
                    }
                };
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

/// A client that trusts the CA of `pki`, and follows redirects unless told not to.
fn trusting(pki: &Pki, follow_redirects: bool) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).expect("CA certificate");
    let policy = if follow_redirects {
        reqwest::redirect::Policy::limited(3)
    } else {
        reqwest::redirect::Policy::none()
    };
    reqwest::Client::builder()
        .add_root_certificate(ca)
        .redirect(policy)
        .build()
        .expect("client")
}

#[tokio::test]
async fn a_client_trusting_the_company_ca_fetches_the_keys_over_tls() {
    let pki = pki();
    let authority = testing::authority(Algorithm::ES256);
    let jwks = serde_json::to_string(&authority.jwks()).expect("JWKS");
    let addr = serve(Arc::clone(&pki.server), jwks).await;
    let client = JwksClient::builder(format!("https://{addr}/jwks"))
        .http_client(trusting(&pki, false))
        .timeout(Duration::from_secs(5))
        .start()
        .await
        .expect("client started");
    assert!(client.refresh().await.is_ok());
    assert_eq!(client.keys().len(), 1);
    let verifier = Verifier::builder()
        .jwks(client)
        .issuer(authority.issuer())
        .audience(testing::AUDIENCE)
        .build()
        .expect("verifier");
    let token = authority.issue("alice", ["user"]).expect("token");
    assert_eq!(
        verifier.verify(&token).expect("verified").sub.as_deref(),
        Some("alice")
    );
}

#[tokio::test]
async fn the_default_client_does_not_trust_that_ca() {
    let pki = pki();
    let authority = testing::authority(Algorithm::ES256);
    let jwks = serde_json::to_string(&authority.jwks()).expect("JWKS");
    let addr = serve(Arc::clone(&pki.server), jwks).await;
    let client = JwksClient::builder(format!("https://{addr}/jwks"))
        .timeout(Duration::from_secs(5))
        .start()
        .await
        .expect("client started, failing closed");
    assert!(matches!(
        client.refresh().await,
        Err(RefreshError::Request { .. })
    ));
    assert!(client.keys().is_empty());
}

#[tokio::test]
async fn a_redirect_the_given_client_follows_is_refused() {
    let pki = pki();
    let authority = testing::authority(Algorithm::ES256);
    let jwks = serde_json::to_string(&authority.jwks()).expect("JWKS");
    let addr = serve(Arc::clone(&pki.server), jwks).await;
    let following = JwksClient::builder(format!("https://{addr}/moved"))
        .http_client(trusting(&pki, true))
        .start()
        .await
        .expect("client started");
    match following.refresh().await {
        Err(RefreshError::Redirected { to, .. }) => assert!(to.ends_with("/jwks"), "{to}"),
        other => panic!("a followed redirect must be refused: {other:?}"),
    }
    assert!(following.keys().is_empty());
    // A client that does not follow it sees the 302 itself.
    let not_following = JwksClient::builder(format!("https://{addr}/moved"))
        .http_client(trusting(&pki, false))
        .start()
        .await
        .expect("client started");
    assert!(matches!(
        not_following.refresh().await,
        Err(RefreshError::Status { status: 302, .. })
    ));
}

#[tokio::test]
async fn the_size_cap_holds_with_the_given_client() {
    let pki = pki();
    let addr = serve(Arc::clone(&pki.server), "{}".to_owned()).await;
    let client = JwksClient::builder(format!("https://{addr}/big"))
        .http_client(trusting(&pki, false))
        .max_response_bytes(1024)
        .start()
        .await
        .expect("client started");
    assert!(matches!(
        client.refresh().await,
        Err(RefreshError::TooLarge { max: 1024, .. })
    ));
}
