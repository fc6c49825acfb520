//! The verified-token cache: hits skip the signature check but never outlive `exp` or the
//! maximum age, the whole token is the key, and the cache stays within its bounds.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use auth_runtime::{
    Algorithm, AuthError, Authority, CacheConfig, CacheStats, Clock, SigningKey, Verifier, testing,
};

/// A clock the test moves.
#[derive(Debug, Clone)]
struct Manual(Arc<AtomicU64>);

impl Clock for Manual {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Hits and misses so far.
fn counts(verifier: &Verifier) -> (u64, u64) {
    let CacheStats { hits, misses, .. } = verifier.cache_stats();
    (hits, misses)
}

fn setup(config: CacheConfig) -> (Authority, Verifier, Arc<AtomicU64>) {
    let now = Arc::new(AtomicU64::new(testing::now()));
    let authority = Authority::builder()
        .issuer(testing::ISSUER)
        .audience(testing::AUDIENCE)
        .clock(Manual(now.clone()))
        .signing_key(SigningKey::generate(Algorithm::ES256).unwrap())
        .build()
        .unwrap();
    let verifier = authority
        .verifier()
        .clock(Manual(now.clone()))
        .leeway(Duration::from_secs(5))
        .cache(config)
        .build()
        .unwrap();
    (authority, verifier, now)
}

#[test]
fn a_hit_returns_the_same_claims() {
    let (authority, verifier, _) = setup(CacheConfig::default());
    let token = authority.issue("ann", ["user"]).unwrap();
    assert_eq!(counts(&verifier), (0, 0));
    let first = verifier.verify(&token).unwrap();
    assert_eq!(counts(&verifier), (0, 1), "the first verify is a miss");
    assert_eq!(verifier.cache_stats().entries, 1);
    let second = verifier.verify(&token).unwrap();
    assert_eq!(counts(&verifier), (1, 1), "the second verify is a hit");
    assert_eq!(first, second);
    assert_eq!(verifier.cache_stats().entries, 1);
    let stats = verifier.cache_stats();
    assert_eq!(
        (stats.entries, stats.bytes),
        (verifier.cache_stats().entries, verifier.cache_stats().bytes),
        "the stats report the same usage"
    );
}

#[test]
fn an_entry_never_outlives_exp_plus_leeway() {
    let (authority, verifier, now) = setup(CacheConfig::default());
    let start = now.load(Ordering::SeqCst);
    let token = authority
        .token("ann")
        .lifetime(Duration::from_secs(60))
        .issue()
        .unwrap();
    verifier.verify(&token).unwrap();
    now.store(start + 64, Ordering::SeqCst);
    assert!(verifier.verify(&token).is_ok(), "within exp + leeway");
    assert_eq!(
        counts(&verifier),
        (1, 1),
        "served from the cache within exp + leeway"
    );
    now.store(start + 65, Ordering::SeqCst);
    assert_eq!(
        verifier.verify(&token),
        Err(AuthError::Expired),
        "a cached token still expires"
    );
    assert_eq!(
        counts(&verifier),
        (1, 2),
        "past exp + leeway the token is verified afresh, not served from the cache"
    );
    assert_eq!(
        verifier.cache_stats().entries,
        0,
        "the stale entry is dropped"
    );
}

#[test]
fn an_entry_never_outlives_the_maximum_age() {
    let config = CacheConfig {
        max_age: Duration::from_secs(10),
        ..CacheConfig::default()
    };
    let (authority, verifier, now) = setup(config);
    let start = now.load(Ordering::SeqCst);
    let token = authority.issue("ann", ["user"]).unwrap();
    verifier.verify(&token).unwrap();
    now.store(start + 9, Ordering::SeqCst);
    assert!(verifier.verify(&token).is_ok());
    assert_eq!(counts(&verifier), (1, 1), "a hit within the maximum age");
    now.store(start + 11, Ordering::SeqCst);
    // Still valid, but verified afresh (the entry was too old): the count stays one.
    assert!(verifier.verify(&token).is_ok());
    assert_eq!(
        counts(&verifier),
        (1, 2),
        "past the maximum age the next verify is a miss"
    );
    assert_eq!(verifier.cache_stats().entries, 1);
    // The fresh entry is trusted again for a maximum age from now.
    assert!(verifier.verify(&token).is_ok());
    assert_eq!(counts(&verifier), (2, 2));
}

#[test]
fn the_whole_token_is_the_key() {
    let (authority, verifier, _) = setup(CacheConfig::default());
    let token = authority.issue("ann", ["user"]).unwrap();
    verifier.verify(&token).unwrap();
    assert_eq!(counts(&verifier), (0, 1));
    // The same header and payload with another signature is not a hit.
    let (head, signature) = token.rsplit_once('.').unwrap();
    let mut forged: Vec<u8> = signature.bytes().collect();
    let last = forged.len() - 2;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let forged = format!("{head}.{}", String::from_utf8(forged).unwrap());
    assert_eq!(verifier.verify(&forged), Err(AuthError::InvalidSignature));
    // Nor is a prefix, or the token with something appended.
    assert!(verifier.verify(&token[..token.len() - 1]).is_err());
    assert!(verifier.verify(&format!("{token}A")).is_err());
    assert_eq!(
        counts(&verifier),
        (0, 4),
        "the forgery, the prefix and the extension all went to full verification"
    );
    verifier.verify(&token).unwrap();
    assert_eq!(counts(&verifier), (1, 4), "the token itself is still a hit");
}

/// The cache chooses a slot by the token's last bytes: tokens that share them (and their
/// length) but differ anywhere before are still different tokens.
#[test]
fn tokens_that_share_their_tail_are_different_entries() {
    let (authority, verifier, _) = setup(CacheConfig::default());
    let token = authority.issue("ann", ["user"]).unwrap();
    verifier.verify(&token).unwrap();
    let tail = &token[token.len() - 40..];
    // Same length and the same last 40 characters; one payload character changed.
    let (head, _) = token.split_at(token.len() - 40);
    let mut changed: Vec<u8> = head.bytes().collect();
    let at = head.find('.').unwrap() + 5;
    changed[at] = if changed[at] == b'A' { b'B' } else { b'A' };
    let lookalike = format!("{}{tail}", String::from_utf8(changed).unwrap());
    assert_eq!(lookalike.len(), token.len());
    assert!(verifier.verify(&lookalike).is_err(), "not the cached token");
    assert_eq!(
        counts(&verifier),
        (0, 2),
        "the lookalike went to full verification"
    );
    let first = verifier.verify_shared(&token).unwrap().into_shared_claims();
    let again = verifier.verify_shared(&token).unwrap().into_shared_claims();
    assert!(Arc::ptr_eq(&first, &again), "a hit lends the cached claims");
    assert_eq!(counts(&verifier), (2, 2));
}

/// Each thread remembers the token it saw last, per cache: another verifier in the same thread,
/// with its own cache and its own rules, never answers from it.
#[test]
fn the_last_token_of_one_verifier_is_not_another_verifiers() {
    let (authority, verifier, _) = setup(CacheConfig::default());
    let strict = Verifier::builder()
        .jwks_json(authority.jwks().to_json())
        .issuer(testing::ISSUER)
        .audience("another-audience")
        .build()
        .unwrap();
    let token = authority.issue("ann", ["user"]).unwrap();
    for _ in 0..3 {
        assert!(verifier.verify(&token).is_ok());
        assert_eq!(strict.verify(&token), Err(AuthError::InvalidAudience));
    }
    assert_eq!(counts(&verifier), (2, 1));
    // A clone shares the verifier's cache, so it shares its hits.
    let clone = verifier.clone();
    assert!(clone.verify(&token).is_ok());
    assert_eq!(counts(&verifier), (3, 1));
}

/// Neither cache holds a token with characters outside the RFC 6750 alphabet, so a token seen
/// before may skip that check: such text is refused every time, as a malformed token when given
/// directly and as a malformed request (400) when a request carries it, in either order.
#[test]
fn text_outside_the_token_alphabet_is_never_cached() {
    use auth_runtime::__private::{NoRequirement, Required, authenticate};
    use auth_runtime::{Claims, ErrorClass};
    let (authority, verifier, _) = setup(CacheConfig::default());
    let authority_token = |verifier: &Verifier| {
        let token = authority.issue("ann", ["user"]).unwrap();
        verifier.verify(&token).unwrap();
        token
    };
    let header = |value: &str| {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::AUTHORIZATION, value.parse().unwrap());
        headers
    };
    let through_header = |text: &str| {
        authenticate::<Required<Claims>, NoRequirement>(
            Some(&verifier),
            &header(&format!("Bearer {text}")),
        )
    };
    // A real token with one character replaced, in its header, payload or signature, too.
    let token = authority_token(&verifier);
    let spoiled: Vec<String> = [4, token.len() / 2, token.len() - 3]
        .into_iter()
        .map(|at| format!("{},{}", &token[..at], &token[at + 1..]))
        .collect();
    let texts = ["a,b.c.d", "eyJ\"x.y.z", "a.b.c%"]
        .into_iter()
        .map(str::to_owned);
    for text in texts.chain(spoiled) {
        let text = text.as_str();
        for _ in 0..2 {
            let direct = verifier.verify(text).unwrap_err();
            assert_eq!(
                direct.class(),
                ErrorClass::InvalidToken,
                "{text}: {direct:?}"
            );
            assert_eq!(
                through_header(text).unwrap_err(),
                AuthError::InvalidCharacter
            );
        }
    }
    assert_eq!(verifier.cache_stats().refusals, 0);
    assert_eq!(
        counts(&verifier),
        (0, 1),
        "only the real token was verified"
    );
}

#[test]
fn a_refusal_is_answered_again_without_a_second_check() {
    let (authority, verifier, _) = setup(CacheConfig::default());
    let other = testing::authority(Algorithm::ES256);
    let stranger = other.issue("mallory", ["admin"]).unwrap();
    for _ in 0..3 {
        assert_eq!(verifier.verify(&stranger), Err(AuthError::UnknownKey));
    }
    let wrong_audience = authority
        .token("ann")
        .audience("elsewhere")
        .issue()
        .unwrap();
    for _ in 0..2 {
        assert_eq!(
            verifier.verify(&wrong_audience),
            Err(AuthError::InvalidAudience),
            "the same error, so the same status, challenge and body"
        );
    }
    let stats = verifier.cache_stats();
    assert_eq!(
        (stats.hits, stats.misses, stats.refusal_hits),
        (0, 2, 3),
        "each refused token is checked once, then answered from the refusal cache"
    );
    assert_eq!((stats.entries, stats.refusals), (0, 2));
    // Another token is checked on its own, even one that differs in its signature only.
    let (head, signature) = stranger.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
    let other_signature = format!("{head}.{flipped}{}", &signature[1..]);
    assert!(verifier.verify(&other_signature).is_err());
    assert_eq!(verifier.cache_stats().misses, 3);
}

#[test]
fn a_token_refused_as_not_yet_valid_is_accepted_at_its_time() {
    let (authority, verifier, now) = setup(CacheConfig::default());
    let start = now.load(Ordering::SeqCst);
    // Leeway 5 s: valid from nbf - 5 (and likewise for iat).
    for (claim, error) in [
        ("nbf", AuthError::NotYetValid),
        ("iat", AuthError::IssuedInFuture),
    ] {
        now.store(start, Ordering::SeqCst);
        let token = authority
            .token("ann")
            .claim(claim, start + 100)
            .lifetime(Duration::from_secs(600))
            .issue()
            .unwrap();
        assert_eq!(verifier.verify(&token), Err(error.clone()), "{claim}");
        now.store(start + 94, Ordering::SeqCst);
        assert_eq!(
            verifier.verify(&token),
            Err(error),
            "{claim}: still too early"
        );
        now.store(start + 95, Ordering::SeqCst);
        assert!(
            verifier.verify(&token).is_ok(),
            "{claim}: valid at its time"
        );
    }
    let stats = verifier.cache_stats();
    assert_eq!(
        stats.refusal_hits, 2,
        "the early retries came from the refusal cache"
    );
}

#[test]
fn an_expired_token_stays_refused_and_refusals_age_out() {
    let config = CacheConfig {
        max_age: Duration::from_secs(10),
        ..CacheConfig::default()
    };
    let (authority, verifier, now) = setup(config);
    let start = now.load(Ordering::SeqCst);
    let token = authority
        .token("ann")
        .expires_at(start - 100)
        .issue()
        .unwrap();
    assert_eq!(verifier.verify(&token), Err(AuthError::Expired));
    assert_eq!(verifier.verify(&token), Err(AuthError::Expired));
    assert_eq!(verifier.cache_stats().refusal_hits, 1);
    now.store(start + 10, Ordering::SeqCst);
    assert_eq!(verifier.verify(&token), Err(AuthError::Expired));
    let stats = verifier.cache_stats();
    assert_eq!(
        (stats.refusal_hits, stats.misses),
        (1, 2),
        "past the maximum age a refusal is checked again"
    );
}

#[test]
fn refusals_stay_within_their_bounds_under_churn() {
    let config = CacheConfig {
        max_entries: 400,
        max_bytes: 256 * 1024,
        max_age: Duration::from_secs(300),
    };
    let (authority, verifier, _) = setup(config);
    for i in 0..5000 {
        let token = authority
            .token(format!("user-{i}"))
            .audience("elsewhere")
            .issue()
            .unwrap();
        assert_eq!(verifier.verify(&token), Err(AuthError::InvalidAudience));
    }
    let stats = verifier.cache_stats();
    assert!(
        stats.refusals <= 100,
        "{} refusals: a quarter of the entries",
        stats.refusals
    );
    assert!(
        stats.refusal_bytes <= 64 * 1024,
        "{} bytes: a quarter of the bytes",
        stats.refusal_bytes
    );
    assert!(stats.refusals > 0);
}

#[test]
fn the_cache_stays_within_its_bounds() {
    let config = CacheConfig {
        max_entries: 100,
        max_bytes: 1024 * 1024,
        max_age: Duration::from_secs(300),
    };
    let (authority, verifier, _) = setup(config);
    for i in 0..1000 {
        let token = authority.issue(format!("user-{i}"), ["user"]).unwrap();
        verifier.verify(&token).unwrap();
    }
    assert_eq!(counts(&verifier), (0, 1000), "distinct tokens never hit");
    let stats = verifier.cache_stats();
    let (entries, bytes) = (stats.entries, stats.bytes);
    assert!(entries <= 100, "{entries} entries");
    assert!(bytes <= 1024 * 1024, "{bytes} bytes");
    assert_eq!(
        entries as u64 + stats.evictions,
        1000,
        "every token entered; those not held were evicted, and counted"
    );
    let config = CacheConfig {
        max_entries: 100_000,
        max_bytes: 16 * 1024,
        max_age: Duration::from_secs(300),
    };
    let (authority, verifier, _) = setup(config);
    for i in 0..1000 {
        verifier
            .verify(&authority.issue(format!("user-{i}"), ["user"]).unwrap())
            .unwrap();
    }
    let stats = verifier.cache_stats();
    let (entries, bytes) = (stats.entries, stats.bytes);
    assert!(bytes <= 16 * 1024, "{bytes} bytes");
    assert!(entries < 1000, "{entries} entries held in 16 KiB");
    assert_eq!(entries as u64 + stats.evictions, 1000);
}

#[test]
fn no_cache_verifies_every_time() {
    let (authority, _, now) = setup(CacheConfig::default());
    let verifier = authority
        .verifier()
        .clock(Manual(now))
        .no_cache()
        .build()
        .unwrap();
    let token = authority.issue("ann", ["user"]).unwrap();
    verifier.verify(&token).unwrap();
    verifier.verify(&token).unwrap();
    assert_eq!(
        (verifier.cache_stats().entries, verifier.cache_stats().bytes),
        (0, 0)
    );
    assert_eq!(verifier.cache_stats(), CacheStats::default());
}
