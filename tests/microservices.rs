//! The demo's HTTP contract (examples/microservices): login, the services' status codes and
//! challenges, token forwarding between services, CORS, and trust taken from configuration.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use auth_demo as demo;

use auth::Verifier;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

async fn start_all() -> demo::Running {
    let all = [
        demo::Service::Authority,
        demo::Service::Users,
        demo::Service::Reports,
    ];
    demo::start(&demo::Config::ephemeral(), &all)
        .await
        .expect("demo starts")
}

async fn login(client: &Client, authority: &str, user: &str, password: &str) -> reqwest::Response {
    client
        .post(format!("{authority}/login"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn token(client: &Client, authority: &str, user: &str) -> String {
    let reply: Value = login(client, authority, user, &format!("{user}-password"))
        .await
        .json()
        .await
        .unwrap();
    reply["access_token"].as_str().unwrap().to_owned()
}

async fn get(
    client: &Client,
    url: String,
    token: Option<&str>,
) -> (StatusCode, Option<String>, Value) {
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.json().await.unwrap_or(Value::Null);
    (status, challenge, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn login_and_the_tokens_it_issues() {
    let running = start_all().await;
    let urls = running.urls.clone();
    let client = Client::new();

    let reply = login(&client, &urls.authority, "bob", "bob-password").await;
    assert_eq!(reply.status(), 200);
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let token = body["access_token"].as_str().unwrap();

    // The token verifies with only the authority's published keys, and carries the claims.
    let jwks = client.get(&urls.jwks_url).send().await.unwrap();
    assert_eq!(jwks.headers()["cache-control"], "public, max-age=300");
    let verifier = Verifier::builder()
        .jwks_json(jwks.text().await.unwrap())
        .issuer(urls.issuer.clone())
        .audience("demo")
        .build()
        .unwrap();
    let claims = verifier.verify(token).unwrap();
    assert_eq!(claims.sub.as_deref(), Some("bob"));
    assert_eq!(claims.roles, vec!["user"]);
    assert_eq!(claims.iss.as_deref(), Some(urls.authority.as_str()));
    assert!(claims.aud.contains("demo") && claims.jti.is_some() && claims.iat.is_some());
    assert_eq!(claims.exp - claims.iat.unwrap(), 900);

    for (user, password) in [("bob", "wrong"), ("nobody", "bob-password"), ("", "")] {
        assert_eq!(
            login(&client, &urls.authority, user, password)
                .await
                .status(),
            401,
            "{user}"
        );
    }
    let malformed = client
        .post(format!("{}/login", urls.authority))
        .json(&json!({"user": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 422);
    let not_json = client
        .post(format!("{}/login", urls.authority))
        .body("garbage")
        .send()
        .await
        .unwrap();
    assert!(
        matches!(not_json.status().as_u16(), 400 | 415),
        "{}",
        not_json.status()
    );

    let discovery: Value = client
        .get(format!(
            "{}/.well-known/openid-configuration",
            urls.authority
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], urls.authority);
    assert_eq!(discovery["jwks_uri"], urls.jwks_url);
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        json!(["ES256"])
    );

    let page = client
        .get(format!("{}/", urls.authority))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("/axios.min.js")
            && page.contains(&urls.users)
            && page.contains(&urls.reports)
    );
    let axios = client
        .get(format!("{}/axios.min.js", urls.authority))
        .send()
        .await
        .unwrap();
    assert_eq!(axios.status(), 200);
    running.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn services_follow_the_contract_and_forward_tokens() {
    let running = start_all().await;
    let urls = running.urls.clone();
    let client = Client::new();
    let bob = token(&client, &urls.authority, "bob").await;
    let alice = token(&client, &urls.authority, "alice").await;

    for service in [&urls.users, &urls.reports] {
        let (status, _, body) = get(&client, format!("{service}/health"), None).await;
        assert_eq!(
            (status, body["status"].as_str()),
            (StatusCode::OK, Some("ok"))
        );
    }

    let (status, challenge, _) = get(&client, format!("{}/me", urls.users), None).await;
    assert_eq!(
        (status, challenge.as_deref()),
        (StatusCode::UNAUTHORIZED, Some(r#"Bearer realm="api""#))
    );
    let (status, _, body) = get(&client, format!("{}/me", urls.users), Some(&bob)).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"sub": "bob", "roles": ["user"]}))
    );
    let (status, challenge, _) =
        get(&client, format!("{}/admin/users", urls.users), Some(&bob)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(challenge.unwrap().contains(r#"error="insufficient_scope""#));
    let (status, _, body) = get(&client, format!("{}/admin/users", urls.users), Some(&alice)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["users"].as_array().unwrap().len(), 2);

    // reports calls users on the caller's behalf with the caller's token.
    let (status, _, body) = get(&client, format!("{}/reports", urls.reports), Some(&bob)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["users_service_says"],
        json!({"status": 200, "body": {"sub": "bob", "roles": ["user"]}})
    );
    // admin gets in through the hierarchy (admin implies user).
    let (status, _, body) = get(&client, format!("{}/reports", urls.reports), Some(&alice)).await;
    assert_eq!(
        (status, &body["users_service_says"]["body"]["sub"]),
        (StatusCode::OK, &json!("alice"))
    );
    let (status, challenge, _) =
        get(&client, format!("{}/reports/all", urls.reports), Some(&bob)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(challenge.unwrap().contains("insufficient_scope"));
    assert_eq!(
        get(
            &client,
            format!("{}/reports/all", urls.reports),
            Some(&alice)
        )
        .await
        .0,
        StatusCode::OK
    );
    let (status, challenge, _) = get(
        &client,
        format!("{}/reports", urls.reports),
        Some("not.a.token"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge.unwrap().contains(r#"error="invalid_token""#));
    let malformed = client
        .get(format!("{}/reports", urls.reports))
        .header("authorization", "Bearer a b")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    running.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_allows_the_front_end_origin_only() {
    let running = start_all().await;
    let urls = running.urls.clone();
    let client = Client::new();
    for service in [&urls.users, &urls.reports] {
        let preflight = |origin: &str| {
            client
                .request(Method::OPTIONS, format!("{service}/me"))
                .header("origin", origin)
                .header("access-control-request-method", "GET")
                .header("access-control-request-headers", "authorization")
                .send()
        };
        let allowed = preflight(&urls.authority).await.unwrap();
        assert_eq!(
            allowed.headers()["access-control-allow-origin"],
            urls.authority.as_str(),
            "{service}"
        );
        // Another origin is not granted: no header, or one naming only the front end's origin.
        let other = preflight("http://evil.example").await.unwrap();
        let granted = other
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned());
        assert!(
            granted.is_none_or(|origin| origin == urls.authority),
            "{service}"
        );
    }
    running.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn services_trust_what_the_environment_says() {
    let running = start_all().await;
    let urls = running.urls.clone();
    let client = Client::new();
    let bob = token(&client, &urls.authority, "bob").await;
    // A users service configured for another audience refuses the demo's tokens.
    let mut config = demo::Config::ephemeral();
    config.audience = "another-audience".into();
    config.jwks_url = Some(urls.jwks_url.clone());
    config.issuer = Some(urls.issuer.clone());
    let strict = demo::start(&config, &[demo::Service::Users]).await.unwrap();
    let (status, challenge, _) =
        get(&client, format!("{}/me", strict.urls.users), Some(&bob)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge.unwrap().contains("invalid_token"));
    strict.stop();
    running.stop();
}
