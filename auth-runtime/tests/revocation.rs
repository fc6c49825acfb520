//! A verifier with a revocation list: a revocation applies at once to tokens already in the
//! verified-token cache (by `jti`, `sid` and subject cut-off), with and without the cache; a
//! list failing closed refuses (503) tokens issued after its last sync while it is out of sync,
//! and only those; a refused token stays refused.
//!
//! Run with `cargo test -p auth-runtime --features testing --test revocation`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth_runtime::{
    Algorithm, AuthError, Revocation, RevocationList, RevocationPolicy, VerifierBuilder, testing,
};

/// A verifier with the verified-token cache and one without, each with a list of its own made
/// by `list`.
fn verifiers(
    authority: &auth_runtime::Authority,
    list: impl Fn() -> RevocationList,
) -> [(&'static str, RevocationList, auth_runtime::Verifier); 2] {
    let with = |name, b: VerifierBuilder| {
        let list = list();
        (name, list.clone(), b.revocations(list).build().unwrap())
    };
    [
        with("cached", authority.verifier()),
        with("no cache", authority.verifier().no_cache()),
    ]
}

#[test]
fn each_kind_of_revocation_applies_at_once_cached_or_not() {
    let authority = testing::authority(Algorithm::ES256);
    let now = testing::now();
    for revocation in [
        Revocation::token("t-1", now + 3_600),
        Revocation::session("s-1", now + 3_600),
        Revocation::subject_before("bob", now, now + 3_600),
    ] {
        for (name, list, verifier) in verifiers(&authority, RevocationList::new) {
            let token = authority
                .token("bob")
                .jti("t-1")
                .claim("sid", "s-1")
                .issued_at(now)
                .issue()
                .unwrap();
            let other = authority
                .token("alice")
                .jti("t-2")
                .claim("sid", "s-2")
                .issue()
                .unwrap();
            for _ in 0..3 {
                verifier.verify(&token).unwrap();
                verifier.verify(&other).unwrap();
            }
            if name == "cached" {
                assert!(verifier.cache_stats().hits >= 4, "served from the cache");
            }
            list.revoke(&revocation);
            for _ in 0..3 {
                assert!(
                    matches!(verifier.verify(&token), Err(AuthError::Revoked)),
                    "{name}: {revocation:?}"
                );
                assert!(verifier.verify(&other).is_ok(), "{name}: {revocation:?}");
            }
            assert_eq!(verifier.verify(&token).unwrap_err().status(), 401);
        }
    }
}

#[test]
fn a_subject_cut_off_spares_tokens_issued_after_it() {
    let authority = testing::authority(Algorithm::ES256);
    let now = testing::now();
    let list = || {
        let list = RevocationList::new();
        list.revoke(&Revocation::subject_before("bob", now - 10, now + 3_600));
        list
    };
    for (name, _, verifier) in verifiers(&authority, list) {
        let before = authority.token("bob").issued_at(now - 10).issue().unwrap();
        let after = authority.token("bob").issued_at(now - 9).issue().unwrap();
        assert!(
            matches!(verifier.verify(&before), Err(AuthError::Revoked)),
            "{name}"
        );
        assert!(verifier.verify(&after).is_ok(), "{name}");
    }
}

#[test]
fn failing_closed_refuses_only_tokens_newer_than_the_last_sync() {
    let authority = testing::authority(Algorithm::ES256);
    let now = testing::now();
    let fed = || RevocationList::fed(RevocationPolicy::FailClosed);
    for (name, list, verifier) in verifiers(&authority, fed) {
        let old = authority.token("bob").issued_at(now - 100).issue().unwrap();
        let new = authority.token("bob").issued_at(now - 10).issue().unwrap();
        // Never synced: nothing gets in.
        let refused = verifier.verify(&old).unwrap_err();
        assert!(matches!(refused, AuthError::RevocationUnknown), "{name}");
        assert_eq!(refused.status(), 503);
        list.record_sync(now - 50);
        assert!(verifier.verify(&old).is_ok(), "{name}");
        assert!(
            verifier.verify(&new).is_ok(),
            "{name}: in sync, all is decided"
        );
        list.record_sync_lost();
        assert!(
            verifier.verify(&old).is_ok(),
            "{name}: issued before the last sync"
        );
        assert!(
            matches!(verifier.verify(&new), Err(AuthError::RevocationUnknown)),
            "{name}: issued after the last sync, the cached one too"
        );
        list.record_sync(now);
        assert!(verifier.verify(&new).is_ok(), "{name}: in sync again");
    }
    // Failing open, the same outage changes nothing.
    let open = RevocationList::fed(RevocationPolicy::FailOpen);
    let verifier = authority
        .verifier()
        .revocations(open.clone())
        .build()
        .unwrap();
    let token = authority.token("bob").issue().unwrap();
    assert!(verifier.verify(&token).is_ok());
    open.record_sync_lost();
    assert!(verifier.verify(&token).is_ok());
}
