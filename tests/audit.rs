//! The audit events (target `auth::audit`) of the demo's services: one per decision, with the
//! fields an auditor needs (outcome, reason class, issuer, subject, client, `jti`, route), none
//! while they are off, and no token, refresh token or password in any line the process logs,
//! at any level, through a whole session: login in both modes, calls with a header and with a
//! cookie, a token exchange between the services, a refresh and a logout. (The demo's
//! passwords are in its start-up announcement on purpose.)
//!
//! The subscriber is the process's, so this file holds one test.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use auth_demo as demo;
use base64::Engine as _;
use serde_json::{Value, json};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt as _};

/// One event as the subscriber saw it.
#[derive(Debug, Clone)]
struct Recorded {
    target: String,
    fields: BTreeMap<String, String>,
}

impl Recorded {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// Collects every event's target and fields.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<Recorded>>>);

impl Events {
    fn audit(&self) -> Vec<Recorded> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|event| event.target == auth::observe::AUDIT_TARGET)
            .cloned()
            .collect()
    }

    fn clear(&self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

struct FieldsOf<'a>(&'a mut BTreeMap<String, String>);

impl Visit for FieldsOf<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Events {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut FieldsOf(&mut fields));
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Recorded {
                target: event.metadata().target().to_owned(),
                fields,
            });
    }
}

/// Every line the process logs, at every level, every target.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

/// The `jti` of a token, read from its payload (the test's own decoding, not the library's).
fn jti_of(token: &str) -> String {
    let payload = token.split('.').nth(1).expect("a JWS");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: Value = serde_json::from_slice(&bytes).unwrap();
    claims["jti"].as_str().expect("a jti").to_owned()
}

/// The audit events that one request produced.
async fn audited(events: &Events, request: reqwest::RequestBuilder, status: u16) -> Vec<Recorded> {
    events.clear();
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), status);
    events.audit()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_audit_event_per_decision_and_no_secret_in_any_line() {
    let events = Events::default();
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::filter::LevelFilter::TRACE)
        .with(events.clone())
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(move || writer.clone()),
        );
    tracing::subscriber::set_global_default(subscriber).expect("the test's subscriber");

    let running = demo::start(&demo::Config::ephemeral(), &demo::Service::ALL)
        .await
        .expect("demo starts");
    let urls = running.urls.clone();
    let http = reqwest::Client::new();
    let me = format!("{}/me", urls.users);
    let login = common::demo_login(&urls.authority, "bob").await;
    let access = login["access_token"].as_str().unwrap().to_owned();
    let refresh = login["refresh_token"].as_str().unwrap().to_owned();

    // Off by default: a decision, no event.
    assert!(!auth::observe::audit_events());
    let off = audited(&events, http.get(&me).bearer_auth(&access), 200).await;
    assert!(off.is_empty(), "{off:?}");
    auth::observe::set_audit_events(true);

    let allowed = audited(&events, http.get(&me).bearer_auth(&access), 200).await;
    assert_eq!(allowed.len(), 1, "{allowed:?}");
    let event = &allowed[0];
    for (name, value) in [
        ("outcome", "allowed"),
        ("class", "none"),
        ("reason", "ok"),
        ("issuer", urls.issuer.as_str()),
        ("subject", "bob"),
        ("jti", jti_of(&access).as_str()),
        ("route", "/me"),
    ] {
        assert_eq!(event.field(name), Some(value), "{name} of {event:?}");
    }
    assert_eq!(
        event.field("client"),
        None,
        "bob calls for himself: {event:?}"
    );

    let forbidden = audited(
        &events,
        http.get(format!("{}/admin/users", urls.users))
            .bearer_auth(&access),
        403,
    )
    .await;
    assert_eq!(forbidden.len(), 1, "{forbidden:?}");
    let event = &forbidden[0];
    for (name, value) in [
        ("outcome", "refused"),
        ("class", "insufficient_scope"),
        ("reason", "forbidden"),
        ("subject", "bob"),
        ("jti", jti_of(&access).as_str()),
        ("route", "/admin/users"),
    ] {
        assert_eq!(event.field(name), Some(value), "{name} of {event:?}");
    }

    let anonymous = audited(&events, http.get(&me), 401).await;
    assert_eq!(anonymous.len(), 1, "{anonymous:?}");
    let event = &anonymous[0];
    assert_eq!(event.field("class"), Some("no_credentials"));
    assert_eq!(event.field("route"), Some("/me"));
    assert_eq!(event.field("subject"), None);

    // The reports service admits bob, then calls the users service with a token exchanged
    // for it: two decisions, the second naming reports as the client acting for bob.
    let chain = audited(
        &events,
        http.get(format!("{}/reports", urls.reports))
            .bearer_auth(&access),
        200,
    )
    .await;
    let routes: Vec<_> = chain.iter().map(|e| e.field("route")).collect();
    assert_eq!(routes, [Some("/reports"), Some("/me")], "{chain:?}");
    assert_eq!(chain[0].field("client"), None);
    assert_eq!(chain[1].field("subject"), Some("bob"));
    assert_eq!(chain[1].field("client"), Some("reports"));
    assert_ne!(chain[1].field("jti"), chain[0].field("jti"));

    // The cookie mode: the token in a cookie, the CSRF proof on the unsafe method.
    let cookie_login = http
        .post(format!("{}/login", urls.authority))
        .json(&json!({"username": "bob", "password": "bob-password", "mode": "cookie"}))
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = cookie_login
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    let cookie_header = cookies.join("; ");
    let csrf = cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{}=", demo::CSRF_COOKIE)))
        .expect("a CSRF cookie")
        .to_owned();
    let by_cookie = audited(
        &events,
        http.post(format!("{}/reports", urls.reports))
            .header("cookie", &cookie_header)
            .header(demo::CSRF_HEADER, &csrf)
            .json(&json!({"title": "audited"})),
        201,
    )
    .await;
    assert_eq!(by_cookie.len(), 1, "{by_cookie:?}");
    assert_eq!(by_cookie[0].field("outcome"), Some("allowed"));

    // A refresh, a logout, and the refused token after it.
    let refreshed: Value = http
        .post(format!("{}/oauth/token", urls.authority))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let renewed = refreshed["access_token"]
        .as_str()
        .expect("a new token")
        .to_owned();
    let second_refresh = refreshed["refresh_token"].as_str().unwrap().to_owned();
    let logout = http
        .post(format!("{}/logout", urls.authority))
        .bearer_auth(&renewed)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    let revoked = audited(&events, http.get(&me).bearer_auth(&renewed), 401).await;
    assert_eq!(revoked.len(), 1, "{revoked:?}");
    assert_eq!(revoked[0].field("reason"), Some("revoked"));
    assert_eq!(revoked[0].field("class"), Some("invalid_token"));
    auth::observe::set_audit_events(false);
    running.stop();

    // Nothing secret in any line, at any level: no JWS at all (the services' exchanged
    // tokens are never seen by this test, so look for the shape), no refresh token, no
    // cookie value.
    let log = lines.text();
    assert!(
        log.lines().count() > 50,
        "the log is suspiciously short:\n{log}"
    );
    assert!(
        log.contains("auth::audit"),
        "the audit events are in the log"
    );
    let mut secrets = vec![
        access.clone(),
        renewed.clone(),
        refresh.clone(),
        second_refresh.clone(),
        csrf.clone(),
    ];
    secrets.extend(
        cookies
            .iter()
            .filter_map(|c| c.split_once('='))
            .map(|(_, v)| v.to_owned()),
    );
    assert!(
        looks_like_a_jws(&format!("token={access}; next")),
        "the shape check sees one"
    );
    for line in log.lines() {
        for secret in &secrets {
            assert!(
                !line.contains(secret.as_str()),
                "a secret in the log: {line}"
            );
        }
        assert!(!looks_like_a_jws(line), "a token in the log: {line}");
    }
}

/// Whether `line` holds three dot-separated base64url runs starting with `eyJ` (a JSON object's
/// encoding): the shape of a compact JWS.
fn looks_like_a_jws(line: &str) -> bool {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    line.match_indices("eyJ").any(|(start, _)| {
        let parts: Vec<&str> = line[start..]
            .split(|c: char| !(is_b64(c) || c == '.'))
            .next()
            .unwrap_or_default()
            .split('.')
            .collect();
        parts.len() >= 3 && parts.iter().take(3).all(|p| p.len() >= 8)
    })
}
