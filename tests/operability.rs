//! What the demo's services tell an operator: the counters of `GET /metrics` (parsed as
//! Prometheus text) move by exactly what a known sequence of requests makes them move, and
//! `GET /health` says 503 while a service has no keys yet and 200 once its first JWKS fetch
//! succeeds.
//!
//! The metrics are the process's, and every service of the demo runs in this one: each check
//! is the difference of two scrapes around one request to the users service, so the
//! authority's own decisions (at logout) do not count. The checks run in one test, in order;
//! the readiness test makes no decision.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use auth::observe::names;
use auth_demo as demo;
use prometheus_parse::{Sample, Scrape, Value};
use serde_json::Value as Json;

/// A scrape of a `/metrics` endpoint.
struct Metrics(Scrape);

impl Metrics {
    async fn of(http: &reqwest::Client, service: &str) -> Metrics {
        let response = http
            .get(format!("{service}/metrics"))
            .send()
            .await
            .expect("GET /metrics answers");
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.starts_with("text/plain; version=0.0.4"),
            "not the Prometheus text format: {content_type}"
        );
        let text = response.text().await.unwrap();
        let scrape = Scrape::parse(text.lines().map(|line| Ok(line.to_owned())))
            .expect("the body parses as Prometheus text");
        Metrics(scrape)
    }

    /// The samples of `metric` whose labels include `labels`.
    fn samples<'a>(
        &'a self,
        metric: &'a str,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.0.samples.iter().filter(move |sample| {
            sample.metric == metric
                && labels
                    .iter()
                    .all(|(name, value)| sample.labels.get(name) == Some(*value))
        })
    }

    /// The one counter or gauge `metric` with `labels`; 0 when absent (a counter never
    /// incremented may not be rendered).
    fn value(&self, metric: &str, labels: &[(&str, &str)]) -> f64 {
        let found: Vec<&Sample> = self.samples(metric, labels).collect();
        assert!(
            found.len() <= 1,
            "{metric} {labels:?} is ambiguous: {found:?}"
        );
        match found.first().map(|sample| &sample.value) {
            None => 0.0,
            Some(Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v)) => *v,
            Some(other) => panic!("{metric} is not a counter or a gauge: {other:?}"),
        }
    }

    /// The number of observations of the histogram `metric`: its `+Inf` bucket; 0 when absent
    /// (a histogram without observations is not rendered).
    fn observations(&self, metric: &str) -> f64 {
        let Some(sample) = self.samples(metric, &[]).next() else {
            return 0.0;
        };
        match &sample.value {
            Value::Histogram(buckets) => buckets
                .iter()
                .find(|bucket| bucket.less_than.is_infinite())
                .map(|bucket| bucket.count)
                .expect("a +Inf bucket"),
            other => panic!("{metric} is not a histogram: {other:?}"),
        }
    }

    fn decisions(&self, outcome: &str, reason: &str) -> f64 {
        self.value(
            names::DECISIONS,
            &[("outcome", outcome), ("reason", reason)],
        )
    }
}

/// What one request changed.
struct Change {
    before: Metrics,
    after: Metrics,
}

impl Change {
    fn decisions(&self, outcome: &str, reason: &str) -> f64 {
        self.after.decisions(outcome, reason) - self.before.decisions(outcome, reason)
    }

    fn counter(&self, metric: &str) -> f64 {
        self.after.value(metric, &[]) - self.before.value(metric, &[])
    }

    fn verifications(&self) -> f64 {
        self.after.observations(names::VERIFICATION_DURATION)
            - self.before.observations(names::VERIFICATION_DURATION)
    }

    /// Every decision series that moved, as `outcome/reason`.
    fn moved_decisions(&self) -> Vec<String> {
        let mut moved: Vec<String> = self
            .after
            .samples(names::DECISIONS, &[])
            .filter_map(|sample| {
                let outcome = sample.labels.get("outcome")?;
                let reason = sample.labels.get("reason")?;
                let change = self.decisions(outcome, reason);
                (change != 0.0).then(|| format!("{outcome}/{reason} +{change}"))
            })
            .collect();
        moved.sort();
        moved
    }
}

/// Sends `request` to the users service between two scrapes of its metrics; checks its status.
async fn measured(
    http: &reqwest::Client,
    users: &str,
    request: reqwest::RequestBuilder,
    status: u16,
) -> Change {
    let before = Metrics::of(http, users).await;
    let response = request.send().await.expect("the request is answered");
    assert_eq!(response.status(), status, "{:?}", response.text().await);
    let after = Metrics::of(http, users).await;
    Change { before, after }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_counters_move_by_what_each_request_did() {
    let running = demo::start(&demo::Config::ephemeral(), &demo::Service::ALL)
        .await
        .expect("demo starts");
    let urls = running.urls.clone();
    let http = reqwest::Client::new();
    let users = urls.users.as_str();
    let me = format!("{users}/me");
    let admin = format!("{users}/admin/users");
    let bob = common::demo_token(&urls.authority, "bob").await;
    let alice = common::demo_token(&urls.authority, "alice").await;

    // A first token: verified in full (one miss, one timed verification), then allowed.
    let first = measured(&http, users, http.get(&me).bearer_auth(&bob), 200).await;
    assert_eq!(first.moved_decisions(), ["allowed/ok +1"]);
    assert_eq!(first.counter(names::CACHE_MISSES), 1.0);
    assert_eq!(first.counter(names::CACHE_HITS), 0.0);
    assert_eq!(first.verifications(), 1.0);
    assert_eq!(first.counter(names::CACHE_ENTRIES), 1.0);

    // The same token again: a cache hit, not verified again.
    let again = measured(&http, users, http.get(&me).bearer_auth(&bob), 200).await;
    assert_eq!(again.moved_decisions(), ["allowed/ok +1"]);
    assert_eq!(again.counter(names::CACHE_HITS), 1.0);
    assert_eq!(again.counter(names::CACHE_MISSES), 0.0);
    assert_eq!(again.verifications(), 0.0);

    // No token, a token that is not one, a role missing, each under its own reason.
    let none = measured(&http, users, http.get(&me), 401).await;
    assert_eq!(none.moved_decisions(), ["refused/no_credentials +1"]);
    assert_eq!(none.verifications(), 0.0);
    let garbage = measured(&http, users, http.get(&me).bearer_auth("not.a.jwt"), 401).await;
    assert_eq!(garbage.moved_decisions(), ["refused/invalid_token +1"]);
    let forbidden = measured(&http, users, http.get(&admin).bearer_auth(&bob), 403).await;
    assert_eq!(forbidden.moved_decisions(), ["refused/forbidden +1"]);
    assert_eq!(forbidden.counter(names::CACHE_HITS), 1.0);
    let admitted = measured(&http, users, http.get(&admin).bearer_auth(&alice), 200).await;
    assert_eq!(admitted.moved_decisions(), ["allowed/ok +1"]);
    assert_eq!(admitted.counter(names::CACHE_MISSES), 1.0);
    assert_eq!(admitted.verifications(), 1.0);

    // Logout: the session's revocation reaches the users service's list (one more entry),
    // and the token, though cached, is refused as revoked.
    let before_logout = Metrics::of(&http, users).await;
    let logout = http
        .post(format!("{}/logout", urls.authority))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    let after_logout = Metrics::of(&http, users).await;
    assert_eq!(
        after_logout.value(names::REVOCATIONS, &[]) - before_logout.value(names::REVOCATIONS, &[]),
        1.0
    );
    let revoked = measured(&http, users, http.get(&me).bearer_auth(&bob), 401).await;
    assert_eq!(revoked.moved_decisions(), ["refused/revoked +1"]);

    // The key set: one client per service verifier, each labelled with its URL, fresh.
    let metrics = Metrics::of(&http, users).await;
    let url = [("url", urls.jwks_url.as_str())];
    assert!(metrics.value(names::JWKS_KEYS, &url) >= 1.0);
    assert_eq!(metrics.value(names::JWKS_FETCH_FAILURES, &url), 0.0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let age = now - metrics.value(names::JWKS_LAST_SUCCESS, &url);
    assert!((0.0..120.0).contains(&age), "the key set is {age} s old");
    // Every series has its help text, and no label value is a token or a subject.
    for sample in &metrics.0.samples {
        let family = sample
            .metric
            .trim_end_matches("_sum")
            .trim_end_matches("_count");
        assert!(
            metrics.0.docs.contains_key(family),
            "{} has no # HELP",
            sample.metric
        );
    }
    for secret in [bob.as_str(), alice.as_str(), "bob", "alice"] {
        let text = format!("{:?}", metrics.0.samples);
        assert!(
            !text.contains(&format!("\"{secret}\"")),
            "a label carries {secret}"
        );
    }
    running.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_503_until_the_first_key_set_arrives() {
    // The authority's address is known, but nothing listens there yet.
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let mut config = demo::Config::ephemeral();
    config.auth_addr = ([127, 0, 0, 1], port).into();
    let users = demo::start(&config, &[demo::Service::Users])
        .await
        .expect("the users service starts without its authority");
    let http = reqwest::Client::new();
    let health = format!("{}/health", users.urls.users);
    let response = http.get(&health).send().await.unwrap();
    assert_eq!(response.status(), 503);
    let body: Json = response.json().await.unwrap();
    assert_eq!(body["status"], "starting");

    let authority = demo::start(&config, &[demo::Service::Authority])
        .await
        .expect("the authority starts on the address the users service expects");
    // The JWKS client retries with backoff (2 s, 4 s, 8 s, ...).
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let status = http.get(&health).send().await.unwrap().status();
        if status == 200 {
            break;
        }
        assert_eq!(status, 503);
        assert!(Instant::now() < deadline, "never ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let token = common::demo_token(&authority.urls.authority, "bob").await;
    let me = http
        .get(format!("{}/me", users.urls.users))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    users.stop();
    authority.stop();
}
