//! The cost of the metrics on the cache-hit path: the guard of a `#[requires_role("admin")]`
//! handler served by the verified-token cache with metrics off, then, in the same run, with
//! them on and recorded by the Prometheus exporter's recorder (a decision counter and a cache
//! counter per hit).
//!
//! ```sh
//! cargo bench -p auth-runtime --bench metrics --features testing,metrics
//! ```
//!
//! "Off" is the build with the feature whose metrics are not enabled yet (one atomic load per
//! event); without the feature, the events compile to nothing.
#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)]

#[path = "support/case.rs"]
mod case;

use std::hint::black_box;

use auth_runtime::Algorithm;
use auth_runtime::observe::names;
use case::{case, guard};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let case = case(Algorithm::RS256);
    let verifier = &case.with_cache;
    guard(verifier, &case.headers);
    let prometheus = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .expect("the only recorder");

    let mut group = c.benchmark_group("metrics/cache hit");
    group.bench_function("baseline: metrics off", |b| {
        b.iter(|| guard(verifier, black_box(&case.headers)))
    });
    group.bench_function("auth: metrics on, Prometheus recorder", |b| {
        auth_runtime::observe::enable_metrics();
        b.iter(|| guard(verifier, black_box(&case.headers)))
    });
    group.finish();

    // The second case did record (unless a filter left it out): each hit is a decision and a
    // cache hit.
    let text = prometheus.render();
    if text.contains(names::DECISIONS) {
        for name in [names::DECISIONS, names::CACHE_HITS] {
            let recorded: f64 = text
                .lines()
                .filter(|line| line.starts_with(name))
                .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
                .sum();
            assert!(recorded > 0.0, "{name} was not recorded:\n{text}");
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
