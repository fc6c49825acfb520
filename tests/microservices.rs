//! The demo's HTTP contract (examples/microservices): login, the services' status codes and
//! challenges, token forwarding between services, CORS, and trust taken from configuration.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use auth_demo as demo;

use auth::Verifier;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

async fn start_all() -> demo::Running {
    demo::start(&demo::Config::ephemeral(), &demo::Service::ALL)
        .await
        .expect("demo starts")
}

async fn login(client: &Client, authority: &str, user: &str, password: &str) -> reqwest::Response {
    post_login(
        client,
        authority,
        json!({"username": user, "password": password}),
    )
    .await
}

/// `POST /login` with `body`.
async fn post_login(client: &Client, authority: &str, body: Value) -> reqwest::Response {
    client
        .post(format!("{authority}/login"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The authority's OpenID discovery document.
async fn discovery_document(client: &Client, urls: &demo::Urls) -> Value {
    client
        .get(format!(
            "{}/.well-known/openid-configuration",
            urls.authority
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A verifier of the demo's tokens with only the keys the authority publishes.
async fn published_verifier(client: &Client, urls: &demo::Urls) -> Verifier {
    let jwks = client.get(&urls.jwks_url).send().await.unwrap();
    Verifier::builder()
        .jwks_json(jwks.text().await.unwrap())
        .issuer(urls.issuer.clone())
        .audience("users")
        .build()
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
    let claims = published_verifier(&client, &urls)
        .await
        .verify(token)
        .unwrap();
    assert_eq!(claims.sub.as_deref(), Some("bob"));
    assert_eq!(claims.roles, vec!["user"]);
    assert_eq!(claims.iss.as_deref(), Some(urls.authority.as_str()));
    assert!(
        claims.aud.contains("users")
            && claims.aud.contains("reports")
            && claims.jti.is_some()
            && claims.iat.is_some()
    );
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
    let malformed = post_login(&client, &urls.authority, json!({"user": 1})).await;
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

    let discovery = discovery_document(&client, &urls).await;
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
        (
            StatusCode::OK,
            json!({"sub": "bob", "roles": ["user"], "actors": []})
        )
    );
    let (status, challenge, _) =
        get(&client, format!("{}/admin/users", urls.users), Some(&bob)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(challenge.unwrap().contains(r#"error="insufficient_scope""#));
    let (status, _, body) = get(&client, format!("{}/admin/users", urls.users), Some(&alice)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["users"].as_array().unwrap().len(), 2);

    // reports calls users on the caller's behalf with a token exchanged for users.
    let (status, _, body) = get(&client, format!("{}/reports", urls.reports), Some(&bob)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["users_service_says"],
        json!({"status": 200, "body": {"sub": "bob", "roles": ["user"], "actors": ["reports"]}})
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
    config.users_audience = "another-audience".into();
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

/// Each `Set-Cookie` header of `response`: the cookie's name and value, then each attribute as
/// written.
fn set_cookies(response: &reqwest::Response) -> Vec<(String, String, Vec<String>)> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|header| {
            let mut parts = header.to_str().unwrap().split(';').map(str::trim);
            let (name, value) = parts.next().unwrap().split_once('=').unwrap();
            (
                name.into(),
                value.into(),
                parts.map(str::to_owned).collect(),
            )
        })
        .collect()
}

/// Logs `user` in in cookie mode: the access token's and the CSRF cookie's values.
async fn cookie_login(client: &Client, authority: &str, user: &str) -> (String, String) {
    let password = format!("{user}-password");
    let body = json!({"username": user, "password": password, "mode": "cookie"});
    let reply = post_login(client, authority, body).await;
    assert_eq!(reply.status(), 200);
    let cookies = set_cookies(&reply);
    assert_eq!(
        (cookies[0].0.as_str(), cookies[1].0.as_str()),
        ("access_token", "csrf_token")
    );
    (cookies[0].1.clone(), cookies[1].1.clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn cookie_login_sets_an_http_only_token_and_a_readable_csrf_cookie() {
    let running = start_all().await;
    let urls = running.urls.clone();
    let client = Client::new();

    let bob = |mode: &str| json!({"username": "bob", "password": "bob-password", "mode": mode});
    let reply = post_login(&client, &urls.authority, bob("cookie")).await;
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers()["cache-control"], "no-store");
    let cookies = set_cookies(&reply);
    assert_eq!(cookies.len(), 3, "{cookies:?}");
    let (name, token, attributes) = &cookies[0];
    assert_eq!(name, "access_token");
    assert_eq!(
        attributes,
        &["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=900"]
    );
    let (name, csrf, attributes) = &cookies[1];
    assert_eq!(name, "csrf_token");
    // Readable by the page's scripts (no HttpOnly); no Secure on plain-HTTP loopback.
    assert_eq!(attributes, &["SameSite=Strict", "Path=/", "Max-Age=900"]);
    assert_eq!(csrf.len(), 43, "32 bytes in unpadded base64url: {csrf}");
    assert!(
        csrf.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    // The refresh token: HttpOnly, sent to POST /refresh only, for the session's lifetime.
    let (name, refresh, attributes) = &cookies[2];
    assert_eq!(name, "refresh_token");
    assert_eq!(
        attributes,
        &["HttpOnly", "SameSite=Strict", "Path=/refresh"]
    );
    let renewed = client
        .post(format!("{}/refresh", urls.authority))
        .header("cookie", format!("refresh_token={refresh}"))
        .send()
        .await
        .unwrap();
    assert_eq!(renewed.status(), 200);
    let renewed_cookies = set_cookies(&renewed);
    assert_eq!(renewed_cookies.len(), 3, "{renewed_cookies:?}");
    assert_ne!(&renewed_cookies[2].1, refresh, "rotated");
    let reused = client
        .post(format!("{}/refresh", urls.authority))
        .header("cookie", format!("refresh_token={refresh}"))
        .send()
        .await
        .unwrap();
    assert_eq!(reused.status(), 400, "used before: the session ends");
    assert_eq!(set_cookies(&reused).len(), 3, "and its cookies are cleared");
    // The body says who logged in, never the token.
    let body: Value = reply.json().await.unwrap();
    assert_eq!(
        body,
        json!({"token_type": "cookie", "expires_in": 900, "sub": "bob"})
    );
    let claims = published_verifier(&client, &urls)
        .await
        .verify(token)
        .unwrap();
    assert_eq!(claims.sub.as_deref(), Some("bob"));

    // Each login has its own CSRF value.
    let (_, another_csrf) = cookie_login(&client, &urls.authority, "bob").await;
    assert_ne!(&another_csrf, csrf);

    // The default and an explicit "bearer" keep the body contract; an unknown mode is refused.
    let bearer = post_login(&client, &urls.authority, bob("bearer")).await;
    assert_eq!(bearer.status(), 200);
    assert!(bearer.headers().get("set-cookie").is_none());
    let body: Value = bearer.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["access_token"].is_string());
    let unknown = post_login(&client, &urls.authority, bob("session")).await;
    assert_eq!(unknown.status(), 422);
    let wrong = json!({"username": "bob", "password": "wrong", "mode": "cookie"});
    let refused = post_login(&client, &urls.authority, wrong).await;
    assert_eq!(refused.status(), 401);
    assert!(refused.headers().get("set-cookie").is_none());

    // Logging out clears the cookies.
    let logout = client
        .post(format!("{}/logout", urls.authority))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    let cleared = set_cookies(&logout);
    assert_eq!(cleared.len(), 3, "{cleared:?}");
    for ((name, value, attributes), (expected, path)) in cleared.iter().zip([
        ("access_token", "Path=/"),
        ("csrf_token", "Path=/"),
        ("refresh_token", "Path=/refresh"),
    ]) {
        assert_eq!((name.as_str(), value.as_str()), (expected, ""));
        assert!(
            attributes.iter().any(|a| a == "Max-Age=0"),
            "{attributes:?}"
        );
        assert!(attributes.iter().any(|a| a == path), "{attributes:?}");
    }
    running.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cookie_token_works_everywhere_and_unsafe_methods_need_the_csrf_header() {
    let running = start_all().await;
    let urls = running.urls.clone();
    let client = Client::new();
    let (cookie_token, csrf) = cookie_login(&client, &urls.authority, "bob").await;
    let cookies = format!("access_token={cookie_token}; csrf_token={csrf}");
    let reports = format!("{}/reports", urls.reports);

    let me = client
        .get(format!("{}/me", urls.users))
        .header("cookie", &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(me.json::<Value>().await.unwrap()["sub"], "bob");
    let admin = client
        .get(format!("{}/admin/users", urls.users))
        .header("cookie", &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 403);

    let post = |csrf_header: Option<&str>| {
        let mut request = client
            .post(&reports)
            .header("cookie", &cookies)
            .json(&json!({"title": "from a cookie"}));
        if let Some(value) = csrf_header {
            request = request.header("x-csrf-token", value);
        }
        request.send()
    };
    // Without the CSRF header, or with a wrong one: 403 csrf_failed, no challenge.
    for header in [None, Some("guess"), Some("")] {
        let refused = post(header).await.unwrap();
        assert_eq!(refused.status(), 403, "{header:?}");
        assert!(refused.headers().get("www-authenticate").is_none());
        assert_eq!(
            refused.json::<Value>().await.unwrap()["error"],
            "csrf_failed"
        );
    }
    // A form POST, as a forged cross-site page would send: refused before its body is read.
    let form = client
        .post(&reports)
        .header("cookie", &cookies)
        .form(&[("title", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 403);
    let created = post(Some(&csrf)).await.unwrap();
    assert_eq!(created.status(), 201);
    let body: Value = created.json().await.unwrap();
    assert_eq!(
        (&body["title"], &body["requested_by"]),
        (&json!("from a cookie"), &json!("bob"))
    );

    // GET needs no CSRF proof; the reports service forwards the cookie's token to users.
    let listed: Value = client
        .get(&reports)
        .header("cookie", &cookies)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["users_service_says"],
        json!({"status": 200, "body": {"sub": "bob", "roles": ["user"], "actors": ["reports"]}})
    );
    assert_eq!(
        listed["requested"],
        json!([{"id": body["id"], "title": "from a cookie"}])
    );

    // A token in two places is refused, whichever service.
    let bearer = token(&client, &urls.authority, "bob").await;
    for url in [format!("{}/me", urls.users), reports.clone()] {
        let both = client
            .get(&url)
            .header("cookie", &cookies)
            .bearer_auth(&bearer)
            .send()
            .await
            .unwrap();
        assert_eq!(both.status(), 400, "{url}");
        assert_eq!(
            both.json::<Value>().await.unwrap()["error"],
            "invalid_request"
        );
    }

    // The preflight of the page's credentialed POST is granted to the front end's origin.
    for service in [&urls.users, &urls.reports] {
        let preflight = client
            .request(Method::OPTIONS, format!("{service}/reports"))
            .header("origin", &urls.authority)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,x-csrf-token",
            )
            .send()
            .await
            .unwrap();
        let headers = preflight.headers();
        assert_eq!(
            headers["access-control-allow-origin"],
            urls.authority.as_str()
        );
        assert_eq!(headers["access-control-allow-credentials"], "true");
        let allowed = headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            allowed.contains("x-csrf-token") && allowed.contains("content-type"),
            "{service}: {allowed}"
        );
        let methods = headers["access-control-allow-methods"].to_str().unwrap();
        assert!(methods.contains("POST"), "{service}: {methods}");
    }
    running.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn requesting_a_report_checks_the_title_and_keeps_it_per_user() {
    let running = start_all().await;
    let urls = running.urls.clone();
    let client = Client::new();
    let bob = token(&client, &urls.authority, "bob").await;
    let alice = token(&client, &urls.authority, "alice").await;
    let reports = format!("{}/reports", urls.reports);
    let post =
        |token: &str, body: Value| client.post(&reports).bearer_auth(token).json(&body).send();

    let no_token = client
        .post(&reports)
        .json(&json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 401);
    let long = "x".repeat(demo::reports::MAX_TITLE_CHARS + 1);
    for title in ["", "   ", long.as_str(), "a\u{0}b", "line\nbreak"] {
        let refused = post(&bob, json!({"title": title})).await.unwrap();
        assert_eq!(refused.status(), 400, "{title:?}");
        assert_eq!(
            refused.json::<Value>().await.unwrap()["error"],
            "invalid_title"
        );
    }
    for body in [json!({}), json!({"title": 7}), json!("title")] {
        let refused = post(&bob, body.clone()).await.unwrap();
        assert_eq!(refused.status(), 400, "{body}");
        assert_eq!(
            refused.json::<Value>().await.unwrap()["error"],
            "invalid_body"
        );
    }
    let form = client
        .post(&reports)
        .bearer_auth(&bob)
        .form(&[("title", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 415);
    let huge = client
        .post(&reports)
        .bearer_auth(&bob)
        .header("content-type", "application/json")
        .body(format!(r#"{{"title": "{}"}}"#, "x".repeat(10_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);

    // Titles are trimmed; a title of exactly the maximum length is fine; admins get in.
    let longest = "é".repeat(demo::reports::MAX_TITLE_CHARS);
    for (token, title) in [
        (&bob, "  padded  "),
        (&bob, longest.as_str()),
        (&alice, "alice's"),
    ] {
        let created = post(token, json!({"title": title})).await.unwrap();
        assert_eq!(created.status(), 201, "{title}");
        assert_eq!(
            created.json::<Value>().await.unwrap()["title"],
            title.trim()
        );
    }
    let (_, _, listed) = get(&client, reports.clone(), Some(&bob)).await;
    let titles: Vec<&str> = listed["requested"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["padded", longest.as_str()], "only bob's own");

    // The in-memory list is bounded per user.
    for i in titles.len()..demo::reports::MAX_REQUESTS_PER_USER {
        let created = post(&bob, json!({"title": format!("report {i}")}))
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
    }
    let full = post(&bob, json!({"title": "one too many"})).await.unwrap();
    assert_eq!(full.status(), 409);
    assert_eq!(
        full.json::<Value>().await.unwrap()["error"],
        "too_many_reports"
    );
    assert_eq!(
        post(&alice, json!({"title": "still fine"}))
            .await
            .unwrap()
            .status(),
        201
    );
    running.stop();
}

/// POSTs `form` to the authority's token endpoint, as the reports client (Basic).
async fn token_endpoint(
    client: &Client,
    urls: &demo::Urls,
    form: &[(&str, &str)],
) -> (StatusCode, Value) {
    let (id, secret) = demo::authority::REPORTS_CLIENT;
    let response = client
        .post(format!("{}/oauth/token", urls.authority))
        .basic_auth(id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
    (response.status(), response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn each_service_has_its_audience_and_reports_delegates() {
    let running = start_all().await;
    let urls = running.urls.clone();
    let client = Client::new();
    let bob = token(&client, &urls.authority, "bob").await;

    // The discovery document names the token endpoint.
    let discovery = discovery_document(&client, &urls).await;
    assert_eq!(
        discovery["token_endpoint"],
        format!("{}/oauth/token", urls.authority)
    );
    assert_eq!(
        discovery["grant_types_supported"],
        json!([
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:token-exchange",
            "refresh_token"
        ])
    );
    assert!(
        discovery["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("client_secret_basic"))
    );

    // Client credentials: a token of reports itself, for users only.
    let (status, own) =
        token_endpoint(&client, &urls, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, StatusCode::OK, "{own}");
    let own = own["access_token"].as_str().unwrap().to_owned();
    let (status, _, body) = get(&client, format!("{}/directory", urls.users), Some(&own)).await;
    assert_eq!(
        (status, body["asked_by"].as_str()),
        (StatusCode::OK, Some("reports"))
    );
    // The directory is for the reports service, not for a user.
    let (status, _, _) = get(&client, format!("{}/directory", urls.users), Some(&bob)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // reports' own token is no key to reports.
    let (status, _, _) = get(&client, format!("{}/reports", urls.reports), Some(&own)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A token exchanged for users names reports as the actor and opens users only.
    let (status, exchanged) = token_endpoint(
        &client,
        &urls,
        &[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("subject_token", &bob),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:access_token",
            ),
            ("audience", "users"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{exchanged}");
    let exchanged = exchanged["access_token"].as_str().unwrap().to_owned();
    let (status, _, body) = get(&client, format!("{}/me", urls.users), Some(&exchanged)).await;
    assert_eq!(
        (status, body["actors"].clone()),
        (StatusCode::OK, json!(["reports"]))
    );
    let (status, _, _) = get(
        &client,
        format!("{}/reports", urls.reports),
        Some(&exchanged),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "an exchanged token for users opens no other service"
    );

    // No token for reports alone can be had from the endpoint: the client is registered for
    // users only (the users service's verifier accepts its own audience only).
    let (status, refused) = token_endpoint(
        &client,
        &urls,
        &[
            ("grant_type", "client_credentials"),
            ("audience", "reports"),
        ],
    )
    .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_target"))
    );

    // reports, as itself, asks the users service's directory on a user's request.
    let (status, _, body) = get(
        &client,
        format!("{}/reports/directory", urls.reports),
        Some(&bob),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["users_service_says"],
        json!({"status": 200, "body": {"users": 2, "asked_by": "reports"}})
    );

    // A wrong secret is a 401 with a Basic challenge.
    let response = client
        .post(format!("{}/oauth/token", urls.authority))
        .basic_auth("reports", Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    running.stop();
}

/// `POST /oauth/token` or `/oauth/revoke` with a form `body`: status and JSON (null if none).
async fn post_form(client: &Client, url: String, body: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = client.post(url).form(body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A bearer login: the access token and the refresh token.
async fn session_login(client: &Client, authority: &str, user: &str) -> (String, String) {
    let reply: Value = login(client, authority, user, &format!("{user}-password"))
        .await
        .json()
        .await
        .unwrap();
    (
        reply["access_token"].as_str().unwrap().to_owned(),
        reply["refresh_token"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_refresh_rotate_and_end_everywhere() {
    let demo = start_all().await;
    let urls = demo.urls.clone();
    let client = Client::new();
    let token_url = format!("{}/oauth/token", urls.authority);
    let me = || format!("{}/me", urls.users);
    let reports = || format!("{}/reports", urls.reports);

    let document = discovery_document(&client, &urls).await;
    assert_eq!(
        document["revocation_endpoint"],
        format!("{}/oauth/revoke", urls.authority)
    );
    assert!(
        document["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("refresh_token"))
    );

    // Refresh: a new pair; the old refresh token again ends the session on every service.
    let (access, refresh) = session_login(&client, &urls.authority, "bob").await;
    assert_eq!(get(&client, me(), Some(&access)).await.0, StatusCode::OK);
    let (status, body) = post_form(
        &client,
        token_url.clone(),
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let renewed = body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(body["refresh_token"].as_str().unwrap(), refresh);
    assert_eq!(get(&client, me(), Some(&renewed)).await.0, StatusCode::OK);
    assert_eq!(
        get(&client, reports(), Some(&renewed)).await.0,
        StatusCode::OK
    );
    let (status, body) = post_form(
        &client,
        token_url.clone(),
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    for token in [&access, &renewed] {
        let (status, challenge, body) = get(&client, me(), Some(token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(challenge.unwrap().contains("revoked"));
        assert_eq!(body["error"], "invalid_token");
        assert_eq!(
            get(&client, reports(), Some(token)).await.0,
            StatusCode::UNAUTHORIZED
        );
    }

    // RFC 7009 revocation of a refresh token: 200, the session's access token refused.
    let (access, refresh) = session_login(&client, &urls.authority, "bob").await;
    let revoke_url = format!("{}/oauth/revoke", urls.authority);
    let (status, _) = post_form(&client, revoke_url.clone(), &[("token", &refresh)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        get(&client, me(), Some(&access)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = post_form(&client, revoke_url.clone(), &[("token", "not-a-token")]).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "unknown tokens too (RFC 7009 section 2.2)"
    );

    // POST /logout with the bearer token ends that session only.
    let (one, one_refresh) = session_login(&client, &urls.authority, "bob").await;
    let (other, _) = session_login(&client, &urls.authority, "bob").await;
    let logout = client
        .post(format!("{}/logout", urls.authority))
        .bearer_auth(&one)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        get(&client, me(), Some(&one)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = post_form(
        &client,
        token_url.clone(),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &one_refresh),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(get(&client, me(), Some(&other)).await.0, StatusCode::OK);

    // ...and ?everywhere=true every session of bob's, not alice's.
    let (alice, _) = session_login(&client, &urls.authority, "alice").await;
    let logout = client
        .post(format!("{}/logout?everywhere=true", urls.authority))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        get(&client, me(), Some(&other)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&client, reports(), Some(&other)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(get(&client, me(), Some(&alice)).await.0, StatusCode::OK);
    demo.stop();
}
