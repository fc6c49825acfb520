//! The verified-token cache's hit with a revocation list of 100,000 entries against the same
//! hit with revocation off, in the same run; and, for scale, the hit right after every change
//! of the list (when the cached claims are looked up again).
//!
//! ```sh
//! cargo bench -p auth-runtime --bench revocation --features testing
//! ```
#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)]

#[path = "support/case.rs"]
mod case;

use std::hint::black_box;

use auth_runtime::{Algorithm, Revocation, RevocationList, testing};
use case::guard;
use criterion::{Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, header::AUTHORIZATION};

const ENTRIES: usize = 100_000;

fn bench(c: &mut Criterion) {
    let authority = testing::authority(Algorithm::RS256);
    let token = authority
        .token("alice")
        .roles(["admin", "user"])
        .jti("token-of-alice")
        .claim("sid", "session-of-alice")
        .issue()
        .expect("token");
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
    );
    let until = testing::now() + 3_600;
    let revocations = RevocationList::new();
    let many: Vec<Revocation> = (0..ENTRIES)
        .map(|i| match i % 10 {
            0 => Revocation::subject_before(format!("subject-{i}"), until - 3_600, until),
            1..=3 => Revocation::session(format!("session-{i}"), until),
            _ => Revocation::token(format!("token-{i}"), until),
        })
        .collect();
    assert_eq!(revocations.revoke_all(&many), ENTRIES);

    let off = authority.verifier().build().expect("verifier");
    let on = authority
        .verifier()
        .revocations(revocations.clone())
        .build()
        .expect("verifier");
    guard(&off, &headers);
    guard(&on, &headers);

    let mut group = c.benchmark_group("revocation/cache hit");
    group.bench_function("baseline: revocation off", |b| {
        b.iter(|| guard(&off, black_box(&headers)))
    });
    group.bench_function("auth: 100,000 revocations", |b| {
        b.iter(|| guard(&on, black_box(&headers)))
    });
    // Every iteration changes the list first, so each hit looks its claims up again.
    let mut n = 0u64;
    group.bench_function("auth: 100,000 revocations, changed before each hit", |b| {
        b.iter(|| {
            n += 1;
            revocations.revoke(&Revocation::token(format!("extra-{n}"), until));
            guard(&on, black_box(&headers))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
