//! The authority's token endpoint: the client credentials grant (RFC 6749 section 4.4) with
//! `client_secret_basic`, `client_secret_post` and `private_key_jwt` (RFC 7523, replay
//! refused), token exchange (RFC 8693) with its policy, `act` chains and lifetimes, and every
//! error of RFC 6749 section 5.2 with its status, challenge and `Cache-Control: no-store`.
//!
//! Run with `cargo test -p auth-runtime --features testing,token-endpoint --test token_endpoint`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use auth_runtime::{
    ACCESS_TOKEN_TYPE, Algorithm, Authority, Claims, JWT_BEARER_ASSERTION, ServiceClient,
    SigningKey, TOKEN_EXCHANGE, TokenEndpoint, TokenRequest, Verifier, testing,
};
use base64::Engine as _;
use serde_json::{Value, json};

const ISSUER: &str = "https://auth.example.com";
const URL: &str = "https://auth.example.com/oauth/token";

struct Setup {
    authority: Authority,
    endpoint: TokenEndpoint,
    /// The private key of the `batch` client (private_key_jwt).
    batch_key: SigningKey,
}

fn setup() -> Setup {
    let authority = Authority::builder()
        .issuer(ISSUER)
        .audience("reports")
        .audience("users")
        .signing_key(SigningKey::generate(Algorithm::ES256).unwrap())
        .build()
        .unwrap();
    let batch_key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("batch-1");
    let endpoint = TokenEndpoint::builder(authority.clone())
        .url(URL)
        .exchange_lifetime(Duration::from_secs(300))
        .client(
            ServiceClient::with_secret("reports", "reports-secret")
                .unwrap()
                .audiences(["users", "billing"])
                .scopes(["users:read", "users:list"])
                .may_exchange_for(["users"]),
        )
        .client(
            ServiceClient::with_secret("users", "users secret: with + and %")
                .unwrap()
                .may_exchange_for(["billing"]),
        )
        .client(
            ServiceClient::with_public_keys("batch", [batch_key.verifying_key()])
                .unwrap()
                .audiences(["users"])
                .roles(["service"]),
        )
        .build()
        .unwrap();
    Setup {
        authority,
        endpoint,
        batch_key,
    }
}

/// Status, `WWW-Authenticate`, `Cache-Control` and JSON body of a POST.
fn post(endpoint: &TokenEndpoint, authorization: Option<&str>, form: &[(&str, &str)]) -> Reply {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let response = endpoint.respond(TokenRequest {
        authorization: authorization.map(str::as_bytes),
        body: body.as_bytes(),
    });
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    Reply {
        status: response.status().as_u16(),
        challenge: header("www-authenticate"),
        cache: header("cache-control"),
        body: serde_json::from_str(response.body()).unwrap(),
    }
}

/// A request's form fields.
type Form<'a> = &'a [(&'a str, &'a str)];

#[derive(Debug)]
struct Reply {
    status: u16,
    challenge: Option<String>,
    cache: Option<String>,
    body: Value,
}

impl Reply {
    fn error(&self) -> (u16, &str) {
        (
            self.status,
            self.body["error"].as_str().unwrap_or("no error"),
        )
    }

    fn token(&self) -> &str {
        assert_eq!(self.status, 200, "{self:?}");
        self.body["access_token"].as_str().unwrap()
    }
}

/// `Basic` credentials, form-urlencoded before base64 (RFC 6749 section 2.3.1).
fn basic(id: &str, secret: &str) -> String {
    let encode = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", encode(id), encode(secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

fn verify(authority: &Authority, token: &str) -> Claims {
    Verifier::builder()
        .keys(authority.verifying_keys())
        .issuer(ISSUER)
        .any_audience()
        .build()
        .unwrap()
        .verify(token)
        .unwrap()
}

#[test]
fn client_credentials_with_a_secret_in_the_header_or_the_body() {
    let Setup {
        authority,
        endpoint,
        ..
    } = setup();
    let grant = [("grant_type", "client_credentials")];
    let by_header = post(&endpoint, Some(&basic("reports", "reports-secret")), &grant);
    assert_eq!(by_header.cache.as_deref(), Some("no-store"));
    assert_eq!(by_header.body["token_type"], "Bearer");
    assert_eq!(by_header.body["scope"], "users:read users:list");
    let claims = verify(&authority, by_header.token());
    assert_eq!(claims.sub.as_deref(), Some("reports"));
    assert_eq!(claims.client_id(), Some("reports"));
    assert_eq!(claims.aud.iter().collect::<Vec<_>>(), ["users", "billing"]);
    assert_eq!(claims.scopes, ["users:read", "users:list"]);
    assert_eq!(
        by_header.body["expires_in"].as_u64(),
        Some(claims.exp - claims.iat.unwrap())
    );

    // In the body, asking for less.
    let by_body = post(
        &endpoint,
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "reports"),
            ("client_secret", "reports-secret"),
            ("scope", "users:read"),
            ("audience", "users"),
        ],
    );
    let claims = verify(&authority, by_body.token());
    assert_eq!(claims.aud.iter().collect::<Vec<_>>(), ["users"]);
    assert_eq!(claims.scopes, ["users:read"]);
    assert_eq!(by_body.body["scope"], "users:read");

    // A secret with characters the Basic encoding escapes.
    let users = post(
        &endpoint,
        Some(&basic("users", "users secret: with + and %")),
        &[("grant_type", "client_credentials")],
    );
    assert_eq!(
        users.error(),
        (400, "unauthorized_client"),
        "authenticated, but not registered for tokens of its own"
    );
}

#[test]
fn failed_client_authentication_is_a_401_with_a_basic_challenge() {
    let Setup { endpoint, .. } = setup();
    let grant = ("grant_type", "client_credentials");
    let refused = [
        post(&endpoint, Some(&basic("reports", "wrong")), &[grant]),
        post(
            &endpoint,
            Some(&basic("nobody", "reports-secret")),
            &[grant],
        ),
        post(&endpoint, None, &[grant]),
        post(
            &endpoint,
            None,
            &[grant, ("client_id", "reports"), ("client_secret", "wrong")],
        ),
        post(
            &endpoint,
            None,
            &[grant, ("client_secret", "reports-secret")],
        ),
        // A secret client presenting an assertion, and a key client presenting a secret.
        post(&endpoint, Some(&basic("batch", "anything")), &[grant]),
    ];
    for reply in refused {
        assert_eq!(reply.error(), (401, "invalid_client"), "{reply:?}");
        assert_eq!(
            reply.challenge.as_deref(),
            Some(r#"Basic realm="https://auth.example.com""#)
        );
        assert_eq!(reply.cache.as_deref(), Some("no-store"));
        assert_eq!(
            reply.body["error_description"], "client authentication failed",
            "one answer, whatever failed"
        );
    }
    let twice = post(
        &endpoint,
        Some(&basic("reports", "reports-secret")),
        &[
            grant,
            ("client_id", "reports"),
            ("client_secret", "reports-secret"),
        ],
    );
    assert_eq!(twice.error(), (400, "invalid_request"));
    assert_eq!(twice.challenge, None);
}

#[test]
fn the_servers_own_failure_is_a_500() {
    let failure = auth_runtime::TokenError {
        code: "server_error",
        description: "signing failed".into(),
    };
    assert_eq!(failure.status(), 500);
}

#[test]
fn request_and_grant_errors() {
    let Setup { endpoint, .. } = setup();
    let auth = basic("reports", "reports-secret");
    let cases: [(Form<'_>, (u16, &str)); 6] = [
        (
            &[("grant_type", "password")],
            (400, "unsupported_grant_type"),
        ),
        (
            &[("grant_type", "refresh_token")],
            (400, "unsupported_grant_type"),
        ),
        (&[("scope", "users:read")], (400, "invalid_request")),
        (
            &[("grant_type", "client_credentials"), ("scope", "admin")],
            (400, "invalid_scope"),
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("audience", "payments"),
            ],
            (400, "invalid_target"),
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("grant_type", "client_credentials"),
            ],
            (400, "invalid_request"),
        ),
    ];
    for (form, expected) in cases {
        let reply = post(&endpoint, Some(&auth), form);
        assert_eq!(reply.error(), expected, "{form:?}");
        assert_eq!(reply.cache.as_deref(), Some("no-store"));
        assert_eq!(reply.challenge, None, "{form:?}");
    }
}

/// A client assertion of `batch` with `claims` over the defaults, signed by `key`.
fn assertion(key: &SigningKey, claims: Value) -> String {
    let now = testing::now();
    let mut body = json!({
        "iss": "batch", "sub": "batch", "aud": URL,
        "iat": now, "exp": now + 60, "jti": format!("jti-{}", rand_id()),
    });
    for (name, value) in claims.as_object().unwrap() {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(name);
        } else {
            body[name] = value.clone();
        }
    }
    let header = json!({"alg": "ES256", "typ": "JWT", "kid": key.kid()});
    testing::sign_raw(key, &header, &body).unwrap()
}

fn rand_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::SeqCst)
}

fn with_assertion(endpoint: &TokenEndpoint, assertion: &str) -> Reply {
    post(
        endpoint,
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER_ASSERTION),
            ("client_assertion", assertion),
        ],
    )
}

#[test]
fn private_key_jwt_authenticates_once_per_assertion() {
    let Setup {
        authority,
        endpoint,
        batch_key,
    } = setup();
    let first = assertion(&batch_key, json!({}));
    let claims = verify(&authority, with_assertion(&endpoint, &first).token());
    assert_eq!(claims.sub.as_deref(), Some("batch"));
    assert_eq!(claims.roles, ["service"]);
    assert_eq!(
        with_assertion(&endpoint, &first).error(),
        (401, "invalid_client"),
        "the same jti again is a replay"
    );
    // The issuer's URL is an audience too (RFC 7523 section 3).
    let to_issuer = assertion(&batch_key, json!({"aud": ISSUER}));
    assert_eq!(with_assertion(&endpoint, &to_issuer).status, 200);

    let now = testing::now();
    let stranger = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("batch-1");
    let refused = [
        ("another key", assertion(&stranger, json!({}))),
        (
            "another audience",
            assertion(&batch_key, json!({"aud": "https://elsewhere"})),
        ),
        (
            "another subject",
            assertion(&batch_key, json!({"sub": "reports"})),
        ),
        ("no jti", assertion(&batch_key, json!({"jti": null}))),
        ("expired", assertion(&batch_key, json!({"exp": now - 600}))),
        (
            "living two hours",
            assertion(&batch_key, json!({"exp": now + 7200})),
        ),
        (
            "unknown client",
            assertion(&batch_key, json!({"iss": "ghost", "sub": "ghost"})),
        ),
        ("not a JWT", "garbage".to_owned()),
    ];
    for (case, assertion) in refused {
        let reply = with_assertion(&endpoint, &assertion);
        assert_eq!(reply.error(), (401, "invalid_client"), "{case}");
    }
    let wrong_type = post(
        &endpoint,
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:example:other"),
            ("client_assertion", &assertion(&batch_key, json!({}))),
        ],
    );
    assert_eq!(wrong_type.error(), (400, "invalid_request"));
}

/// The caller's token, as the browser sends it to reports: for both services.
fn caller_token(authority: &Authority, roles: &[&str], lifetime: Duration) -> String {
    authority
        .token("bob")
        .roles(roles.iter().copied())
        .lifetime(lifetime)
        .issue()
        .unwrap()
}

fn exchange(endpoint: &TokenEndpoint, client: (&str, &str), form: &[(&str, &str)]) -> Reply {
    let mut all = vec![
        ("grant_type", TOKEN_EXCHANGE),
        ("subject_token_type", ACCESS_TOKEN_TYPE),
    ];
    all.extend_from_slice(form);
    post(endpoint, Some(&basic(client.0, client.1)), &all)
}

const REPORTS: (&str, &str) = ("reports", "reports-secret");

#[test]
fn an_exchanged_token_is_for_one_audience_with_the_actor_named() {
    let Setup {
        authority,
        endpoint,
        ..
    } = setup();
    let subject = caller_token(&authority, &["user", "auditor"], Duration::from_secs(900));
    let reply = exchange(
        &endpoint,
        REPORTS,
        &[("subject_token", &subject), ("audience", "users")],
    );
    assert_eq!(reply.body["issued_token_type"], ACCESS_TOKEN_TYPE);
    assert_eq!(reply.cache.as_deref(), Some("no-store"));
    let claims = verify(&authority, reply.token());
    assert_eq!(claims.sub.as_deref(), Some("bob"));
    assert_eq!(
        claims.aud.iter().collect::<Vec<_>>(),
        ["users"],
        "only the target"
    );
    assert_eq!(claims.roles, ["user", "auditor"]);
    assert_eq!(claims.actors(), ["reports"]);
    assert_eq!(claims.client_id(), Some("reports"));
    let now = testing::now();
    assert!(
        claims.exp <= now + 300 + 1,
        "the exchange lifetime bounds it"
    );
    let users_only = Verifier::builder()
        .keys(authority.verifying_keys())
        .issuer(ISSUER)
        .audience("reports")
        .build()
        .unwrap();
    assert!(
        users_only.verify(reply.token()).is_err(),
        "the exchanged token opens no other service"
    );

    // Fewer roles, when asked.
    let narrowed = exchange(
        &endpoint,
        REPORTS,
        &[
            ("subject_token", &subject),
            ("audience", "users"),
            ("scope", "user"),
        ],
    );
    assert_eq!(verify(&authority, narrowed.token()).roles, ["user"]);
    assert_eq!(narrowed.body["scope"], "user");
    let more = exchange(
        &endpoint,
        REPORTS,
        &[
            ("subject_token", &subject),
            ("audience", "users"),
            ("scope", "admin"),
        ],
    );
    assert_eq!(
        more.error(),
        (400, "invalid_scope"),
        "never more than the caller holds"
    );
}

#[test]
fn a_chain_of_exchanges_nests_the_actors() {
    let Setup {
        authority,
        endpoint,
        ..
    } = setup();
    let subject = caller_token(&authority, &["user"], Duration::from_secs(900));
    let for_users = exchange(
        &endpoint,
        REPORTS,
        &[("subject_token", &subject), ("audience", "users")],
    );
    let for_billing = exchange(
        &endpoint,
        ("users", "users secret: with + and %"),
        &[
            ("subject_token", for_users.token()),
            ("audience", "billing"),
        ],
    );
    let claims = verify(&authority, for_billing.token());
    assert_eq!(claims.sub.as_deref(), Some("bob"));
    assert_eq!(
        claims.actors(),
        ["users", "reports"],
        "the current actor first"
    );
    assert_eq!(
        claims.act(),
        Some(&json!({"sub": "users", "act": {"sub": "reports"}}))
    );
}

#[test]
fn an_exchanged_token_never_outlives_its_subject() {
    let Setup {
        authority,
        endpoint,
        ..
    } = setup();
    let short = caller_token(&authority, &["user"], Duration::from_secs(60));
    let subject_exp = verify(&authority, &short).exp;
    let reply = exchange(
        &endpoint,
        REPORTS,
        &[("subject_token", &short), ("audience", "users")],
    );
    let claims = verify(&authority, reply.token());
    assert_eq!(claims.exp, subject_exp, "bounded by the subject token");
    let expires_in = reply.body["expires_in"].as_u64().unwrap();
    assert!((59..=60).contains(&expires_in), "{expires_in}");
}

#[test]
fn the_exchange_policy_and_the_subject_token_are_checked() {
    let Setup {
        authority,
        endpoint,
        batch_key,
        ..
    } = setup();
    let subject = caller_token(&authority, &["user"], Duration::from_secs(900));
    let to = |audience| [("subject_token", subject.as_str()), ("audience", audience)];
    assert_eq!(
        exchange(&endpoint, REPORTS, &to("billing")).error(),
        (400, "invalid_target"),
        "reports may exchange for users only"
    );
    assert_eq!(
        exchange(&endpoint, REPORTS, &to("users billing")).error(),
        (400, "invalid_target")
    );
    // A client with no exchange rights.
    let batch = post(
        &endpoint,
        None,
        &[
            ("grant_type", TOKEN_EXCHANGE),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
            ("subject_token", &subject),
            ("audience", "users"),
            ("client_assertion_type", JWT_BEARER_ASSERTION),
            ("client_assertion", &assertion(&batch_key, json!({}))),
        ],
    );
    assert_eq!(batch.error(), (400, "unauthorized_client"));

    // Subject tokens that are expired, foreign, for another service, or no token at all.
    let expired = authority
        .token("bob")
        .roles(["user"])
        .expires_at(testing::now() - 3600)
        .issue()
        .unwrap();
    let foreign = testing::authority(Algorithm::ES256)
        .token("bob")
        .audience("reports")
        .issue()
        .unwrap();
    let for_users_only = authority.token("bob").audience("users").issue().unwrap();
    for (case, token, description) in [
        ("expired", expired.as_str(), "the subject token expired"),
        ("foreign", foreign.as_str(), "the subject token is invalid"),
        (
            "not addressed to reports",
            for_users_only.as_str(),
            "the subject token is not addressed to the acting client",
        ),
        ("garbage", "not.a.token", "the subject token is invalid"),
    ] {
        let reply = exchange(
            &endpoint,
            REPORTS,
            &[("subject_token", token), ("audience", "users")],
        );
        assert_eq!(reply.error(), (400, "invalid_grant"), "{case}");
        assert_eq!(reply.body["error_description"], description, "{case}");
    }

    // The request's own shape.
    for (form, code) in [
        (vec![("audience", "users")], "invalid_request"),
        (vec![("subject_token", subject.as_str())], "invalid_request"),
        (
            vec![
                ("subject_token", subject.as_str()),
                ("audience", "users"),
                (
                    "requested_token_type",
                    "urn:ietf:params:oauth:token-type:id_token",
                ),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("subject_token", subject.as_str()),
                ("audience", "users"),
                ("actor_token", subject.as_str()),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("subject_token", subject.as_str()),
                ("resource", "https://users.example.com"),
            ],
            "invalid_target",
        ),
    ] {
        assert_eq!(
            exchange(&endpoint, REPORTS, &form).error(),
            (400, code),
            "{form:?}"
        );
    }
    let wrong_type = post(
        &endpoint,
        Some(&basic("reports", "reports-secret")),
        &[
            ("grant_type", TOKEN_EXCHANGE),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:id_token",
            ),
            ("subject_token", &subject),
            ("audience", "users"),
        ],
    );
    assert_eq!(wrong_type.error(), (400, "invalid_request"));
}

#[test]
fn the_discovery_document_lists_the_endpoint() {
    let Setup { endpoint, .. } = setup();
    let document = endpoint.discovery_document();
    assert_eq!(document["issuer"], ISSUER);
    assert_eq!(document["token_endpoint"], URL);
    assert_eq!(
        document["grant_types_supported"],
        json!(["client_credentials", TOKEN_EXCHANGE])
    );
    assert_eq!(
        document["token_endpoint_auth_methods_supported"],
        json!([
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt"
        ])
    );
}

#[test]
fn clients_are_checked_when_registered() {
    assert!(ServiceClient::with_secret("", "x").is_err());
    assert!(ServiceClient::with_secret("reports", "").is_err());
    assert!(ServiceClient::with_secret_hash("reports", "plain text").is_err());
    assert!(ServiceClient::with_public_keys("batch", []).is_err());
    let hmac = auth_runtime::VerifyingKey::hmac(&[7; 32], Algorithm::HS256).unwrap();
    assert!(ServiceClient::with_public_keys("batch", [hmac]).is_err());
    let twice = TokenEndpoint::builder(testing::authority(Algorithm::ES256))
        .client(ServiceClient::with_secret("a", "one").unwrap())
        .client(ServiceClient::with_secret("a", "two").unwrap())
        .build();
    assert!(twice.is_err());
}

#[test]
fn a_revoked_subject_token_is_not_exchanged() {
    use std::collections::HashSet;
    use std::sync::{Arc, RwLock};
    let authority = testing::authority(Algorithm::ES256);
    let revoked: Arc<RwLock<HashSet<String>>> = Arc::default();
    let list = Arc::clone(&revoked);
    let endpoint = TokenEndpoint::builder(authority.clone())
        .client(
            ServiceClient::with_secret("reports", "reports-secret")
                .unwrap()
                .may_exchange_for(["users"])
                .serves(["reports", "test"]),
        )
        .revoked(move |claims| {
            claims
                .jti
                .as_ref()
                .is_some_and(|jti| list.read().unwrap().contains(jti))
        })
        .build()
        .unwrap();
    let subject = authority.token("bob").audience("reports").issue().unwrap();
    let form = [("subject_token", subject.as_str()), ("audience", "users")];
    assert_eq!(exchange(&endpoint, REPORTS, &form).status, 200);
    let jti = Verifier::builder()
        .keys(authority.verifying_keys())
        .any_issuer()
        .any_audience()
        .build()
        .unwrap()
        .verify(&subject)
        .unwrap()
        .jti
        .unwrap();
    revoked.write().unwrap().insert(jti);
    let refused = exchange(&endpoint, REPORTS, &form);
    assert_eq!(refused.error(), (400, "invalid_grant"));
    assert_eq!(
        refused.body["error_description"],
        "the subject token was revoked"
    );
}
