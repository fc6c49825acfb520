//! The verifier against a bare `jsonwebtoken::decode` of the same token, per algorithm, in the
//! same run. Run under each crypto backend to compare them:
//!
//! ```sh
//! cargo bench -p auth-runtime --bench verify --features testing
//! cargo bench -p auth-runtime --bench verify --no-default-features --features rust-crypto,testing
//! ```
#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)]

#[path = "support/case.rs"]
mod case;

use std::hint::black_box;

use auth_runtime::Algorithm;
use case::{baseline, case, guard, guard_shared};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let cases = [
        case(Algorithm::HS256),
        case(Algorithm::RS256),
        case(Algorithm::ES256),
        case(Algorithm::EdDSA),
    ];
    for case in &cases {
        let name = format!("{}/{}", case.alg.name(), auth_runtime::BACKEND);
        let mut group = c.benchmark_group(name);
        group.bench_function("baseline: jsonwebtoken::decode", |b| {
            b.iter(|| baseline(black_box(case)))
        });
        group.bench_function("auth: extract + verify + authorize", |b| {
            b.iter(|| guard(&case.verifier, black_box(&case.headers)))
        });
        // The physical floor: the backend's signature check alone, same input and signature.
        #[cfg(feature = "aws-lc-rs")]
        if let Some(raw) = case::raw(case) {
            assert!(raw.verify());
            group.bench_function("raw: aws-lc-rs signature check", |b| {
                b.iter(|| black_box(&raw).verify())
            });
        }
        group.finish();
    }
    // A token seen before: the cache against the bare RS256 decode.
    let rs256 = &cases[1];
    let mut group = c.benchmark_group(format!("RS256/{}/cache", auth_runtime::BACKEND));
    rs256.with_cache.verify(&rs256.token).expect("valid");
    group.bench_function("baseline: jsonwebtoken::decode", |b| {
        b.iter(|| baseline(black_box(rs256)))
    });
    group.bench_function("auth: extract + cache hit + authorize", |b| {
        b.iter(|| guard(&rs256.with_cache, black_box(&rs256.headers)))
    });
    group.bench_function(
        "auth: extract + cache hit + authorize, shared claims",
        |b| b.iter(|| guard_shared(&rs256.with_cache, black_box(&rs256.headers))),
    );
    // The same token under a signature of another key, sent again and again: the refusal cache.
    let (head, _) = rs256.token.rsplit_once('.').expect("three parts");
    let forged = format!(
        "{head}.{}",
        cases[3].token.rsplit_once('.').expect("parts").1
    );
    assert!(rs256.with_cache.verify(&forged).is_err());
    group.bench_function("auth: the same refused token again", |b| {
        b.iter(|| rs256.with_cache.verify(black_box(&forged)).unwrap_err())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
