//! The authority's sessions in one process (the in-memory store): refresh rotation, reuse
//! detection ending the session, absolute and idle lifetimes, "log out everywhere", and the
//! refresh grant and revocation endpoint (RFC 6749 section 6, RFC 7009) of the token endpoint,
//! with a verifier that honours the revocations at once, cached tokens included.
//!
//! The same behaviour against a real Redis server: `tests/redis_sessions.rs` at the root.
//!
//! Run with `cargo test -p auth-runtime --features testing,token-endpoint --test sessions`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use auth_runtime::{
    Algorithm, AuthError, Authority, Clock, RevocationList, RevocationPublisher, SessionError,
    SessionStore, Sessions, SigningKey, TokenEndpoint, TokenRequest, Verifier, testing,
};
use serde_json::Value;

/// A clock the test moves.
#[derive(Debug, Clone, Default)]
struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_secs(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

struct Setup {
    clock: ManualClock,
    sessions: Sessions,
    endpoint: TokenEndpoint,
    verifier: Verifier,
}

fn setup() -> Setup {
    let clock = ManualClock::default();
    clock.0.store(testing::now(), Ordering::SeqCst);
    let authority = Authority::builder()
        .issuer(testing::ISSUER)
        .audience(testing::AUDIENCE)
        .lifetime(Duration::from_secs(600))
        .clock(clock.clone())
        .signing_key(SigningKey::generate(Algorithm::ES256).unwrap())
        .build()
        .unwrap();
    let revocations = RevocationList::new();
    let sessions = Sessions::builder(authority.clone())
        .store(SessionStore::memory())
        .revocations(RevocationPublisher::Local(revocations.clone()))
        .idle_lifetime(Duration::from_secs(3_600))
        .absolute_lifetime(Duration::from_secs(4 * 3_600))
        .build()
        .unwrap();
    let endpoint = TokenEndpoint::builder(authority.clone())
        .sessions(sessions.clone())
        .build()
        .unwrap();
    let verifier = authority
        .verifier()
        .clock(clock.clone())
        .revocations(revocations)
        .build()
        .unwrap();
    Setup {
        clock,
        sessions,
        endpoint,
        verifier,
    }
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

fn post(endpoint: &TokenEndpoint, body: &str, revoke: bool) -> (u16, Value) {
    let request = TokenRequest {
        authorization: None,
        body: body.as_bytes(),
    };
    let response = block_on(async {
        if revoke {
            endpoint.revoke(request).await
        } else {
            endpoint.respond_async(request).await
        }
    });
    assert_eq!(
        response.headers()["cache-control"],
        "no-store",
        "token and revocation responses are not cached"
    );
    let status = response.status().as_u16();
    let body = response.into_body();
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&body).unwrap()
    };
    (status, json)
}

#[test]
fn a_refresh_rotates_and_a_reused_token_ends_the_session() {
    let s = setup();
    let login = block_on(s.sessions.start("bob", vec!["user".into()])).unwrap();
    let first = s.verifier.verify(&login.access_token).unwrap();
    assert_eq!(
        first.sid(),
        Some(login.sid.as_str()),
        "access tokens carry sid"
    );
    assert!(first.has_role("user"));

    let (status, body) = post(
        &s.endpoint,
        &format!(
            "grant_type=refresh_token&refresh_token={}",
            login.refresh_token
        ),
        false,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 600);
    let second_refresh = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, login.refresh_token, "rotated");
    let second_access = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        s.verifier.verify(&second_access).unwrap().sid(),
        Some(login.sid.as_str()),
        "the same session"
    );

    // The first refresh token again: 400 invalid_grant, and the session is over.
    let (status, body) = post(
        &s.endpoint,
        &format!(
            "grant_type=refresh_token&refresh_token={}",
            login.refresh_token
        ),
        false,
    );
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    for token in [&login.access_token, &second_access] {
        assert!(matches!(s.verifier.verify(token), Err(AuthError::Revoked)));
    }
    let (status, _) = post(
        &s.endpoint,
        &format!("grant_type=refresh_token&refresh_token={second_refresh}"),
        false,
    );
    assert_eq!(status, 400, "the rotated token died with its session");
}

#[test]
fn refresh_grant_errors() {
    let s = setup();
    let login = block_on(s.sessions.start("bob", vec![])).unwrap();
    for (body, code) in [
        ("grant_type=refresh_token", "invalid_request"),
        (
            "grant_type=refresh_token&refresh_token=never-issued",
            "invalid_grant",
        ),
        (
            &*format!(
                "grant_type=refresh_token&refresh_token={}&scope=admin",
                login.refresh_token
            ),
            "invalid_scope",
        ),
    ] {
        let (status, json) = post(&s.endpoint, body, false);
        assert_eq!(
            (status, json["error"].as_str()),
            (400, Some(code)),
            "{body}"
        );
    }
    // None of that used the refresh token up.
    assert!(block_on(s.sessions.refresh(&login.refresh_token)).is_ok());
}

#[test]
fn sessions_end_after_their_idle_or_absolute_lifetime() {
    let s = setup();
    let idle = block_on(s.sessions.start("bob", vec![])).unwrap();
    s.clock.advance(Duration::from_secs(3_601));
    assert_eq!(
        block_on(s.sessions.refresh(&idle.refresh_token)),
        Err(SessionError::InvalidGrant("the session is over"))
    );

    let busy = block_on(s.sessions.start("bob", vec![])).unwrap();
    let mut refresh = busy.refresh_token;
    for _ in 0..4 {
        s.clock.advance(Duration::from_secs(3_000));
        refresh = block_on(s.sessions.refresh(&refresh))
            .unwrap()
            .refresh_token;
    }
    // Past 4 hours after the login, refreshed every 50 minutes: over all the same.
    s.clock.advance(Duration::from_secs(3_000));
    assert!(block_on(s.sessions.refresh(&refresh)).is_err());
}

#[test]
fn the_revocation_endpoint_takes_refresh_and_access_tokens() {
    let s = setup();
    // A refresh token: its session ends, its access tokens are revoked.
    let one = block_on(s.sessions.start("bob", vec![])).unwrap();
    s.verifier.verify(&one.access_token).unwrap();
    let (status, body) = post(&s.endpoint, &format!("token={}", one.refresh_token), true);
    assert_eq!((status, body), (200, Value::Null));
    assert!(matches!(
        s.verifier.verify(&one.access_token),
        Err(AuthError::Revoked)
    ));
    assert!(block_on(s.sessions.refresh(&one.refresh_token)).is_err());

    // An access token, with the hint: revoked with its session.
    let two = block_on(s.sessions.start("bob", vec![])).unwrap();
    let (status, _) = post(
        &s.endpoint,
        &format!("token={}&token_type_hint=access_token", two.access_token),
        true,
    );
    assert_eq!(status, 200);
    assert!(matches!(
        s.verifier.verify(&two.access_token),
        Err(AuthError::Revoked)
    ));
    assert!(block_on(s.sessions.refresh(&two.refresh_token)).is_err());

    // Unknown or invalid tokens: 200 all the same (RFC 7009 section 2.2); no token: 400.
    assert_eq!(post(&s.endpoint, "token=whatever", true).0, 200);
    let (status, body) = post(&s.endpoint, "token_type_hint=refresh_token", true);
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );

    // Another session of bob's is untouched.
    let three = block_on(s.sessions.start("bob", vec![])).unwrap();
    assert!(s.verifier.verify(&three.access_token).is_ok());
}

#[test]
fn logging_out_everywhere_ends_every_session_of_the_subject_only() {
    let s = setup();
    let phone = block_on(s.sessions.start("bob", vec![])).unwrap();
    let laptop = block_on(s.sessions.start("bob", vec![])).unwrap();
    let alice = block_on(s.sessions.start("alice", vec![])).unwrap();
    s.verifier.verify(&phone.access_token).unwrap();
    block_on(s.sessions.end_all("bob")).unwrap();
    for session in [&phone, &laptop] {
        assert!(matches!(
            s.verifier.verify(&session.access_token),
            Err(AuthError::Revoked)
        ));
        assert!(block_on(s.sessions.refresh(&session.refresh_token)).is_err());
    }
    assert!(s.verifier.verify(&alice.access_token).is_ok());
    assert!(block_on(s.sessions.refresh(&alice.refresh_token)).is_ok());
    // A login right after is a new session, unaffected.
    let again = block_on(s.sessions.start("bob", vec![])).unwrap();
    assert!(s.verifier.verify(&again.access_token).is_ok());
    assert!(block_on(s.sessions.refresh(&again.refresh_token)).is_ok());
}

#[test]
fn revoking_a_subject_cuts_off_every_token_issued_until_now() {
    let s = setup();
    let session = block_on(s.sessions.start("bob", vec![])).unwrap();
    let outside = s.sessions.authority().token("bob").issue().unwrap();
    let alice = s.sessions.authority().token("alice").issue().unwrap();
    block_on(s.sessions.revoke_subject("bob")).unwrap();
    for token in [&session.access_token, &outside] {
        assert!(matches!(s.verifier.verify(token), Err(AuthError::Revoked)));
    }
    assert!(block_on(s.sessions.refresh(&session.refresh_token)).is_err());
    assert!(s.verifier.verify(&alice).is_ok());
    // Tokens issued after the cut-off second verify.
    s.clock.advance(Duration::from_secs(1));
    let later = block_on(s.sessions.start("bob", vec![])).unwrap();
    assert!(s.verifier.verify(&later.access_token).is_ok());
    assert!(block_on(s.sessions.refresh(&later.refresh_token)).is_ok());
}

#[test]
fn the_discovery_document_lists_the_refresh_grant_and_revocation_endpoint() {
    let s = setup();
    let document = s.endpoint.discovery_document();
    assert!(
        document["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&Value::from("refresh_token"))
    );
    assert_eq!(
        document["revocation_endpoint"],
        format!("{}/oauth/revoke", testing::ISSUER)
    );
}

#[test]
fn settings_that_contradict_each_other_are_refused() {
    let authority = testing::authority(Algorithm::ES256);
    let base = || {
        Sessions::builder(authority.clone())
            .store(SessionStore::memory())
            .revocations(RevocationPublisher::Local(RevocationList::new()))
    };
    assert!(
        base()
            .idle_lifetime(Duration::from_secs(1))
            .build()
            .is_err(),
        "idle < access"
    );
    assert!(
        base()
            .absolute_lifetime(Duration::from_secs(1_800))
            .idle_lifetime(Duration::from_secs(3_600))
            .build()
            .is_err()
    );
    assert!(
        Sessions::builder(authority.clone()).build().is_err(),
        "no store"
    );
    assert!(base().build().is_ok());
}
