//! The verified-token cache's hit with metrics on (recorded by the Prometheus exporter's
//! recorder) against the same hit with metrics off, counted in instructions rather than timed
//! (the counts do not drift with the machine's load). callgrind counts only the function
//! running the hits:
//!
//! ```sh
//! cargo build --release -p auth-runtime --example metrics_instructions --features testing,metrics
//! for side in off on; do
//!   valgrind --tool=callgrind --toggle-collect="*metrics_instructions::case::hits" \
//!     --callgrind-out-file=/tmp/metrics.$side target/release/examples/metrics_instructions $side 100000
//! done
//! ```
//!
//! The ratio of the totals (`I refs`) of `on` and `off` is the cost of the metrics on the hit
//! path.
#![allow(
    missing_docs,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stderr
)]

#[path = "../benches/support/case.rs"]
mod case;

use auth_runtime::Algorithm;
use case::{case, guard, hits};

fn main() {
    let mut args = std::env::args().skip(1);
    let side = args.next().unwrap_or_else(|| "on".into());
    let n: usize = args.next().map_or(100_000, |n| n.parse().expect("a count"));
    let prometheus = match side.as_str() {
        "on" => {
            let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
                .install_recorder()
                .expect("the only recorder");
            auth_runtime::observe::enable_metrics();
            Some(handle)
        }
        "off" => None,
        other => panic!("`{other}`: expected on or off"),
    };
    let case = case(Algorithm::RS256);
    guard(&case.with_cache, &case.headers);
    hits(&case.with_cache, &case.headers, n);
    if let Some(prometheus) = prometheus {
        let text = prometheus.render();
        let line = format!("{} {}", auth_runtime::observe::names::CACHE_HITS, n);
        assert!(text.contains(&line), "{n} hits not recorded:\n{text}");
    }
    eprintln!("{n} cache hits, metrics {side}");
}
