//! The cache-miss path against a bare `jsonwebtoken::decode`, counted in instructions rather
//! than timed: on a shared machine the counts do not drift with load. Each side runs in a
//! function of its own, so that callgrind counts only that function:
//!
//! ```sh
//! cargo build --release -p auth-runtime --example miss_instructions --features testing
//! for side in baseline auth raw; do
//!   valgrind --tool=callgrind --toggle-collect="*miss_instructions::${side}_side" \
//!     --callgrind-out-file=/tmp/miss.$side target/release/examples/miss_instructions EdDSA $side 2000
//! done
//! ```
//!
//! The ratio of the totals (`I refs`) of `auth` and `baseline` is the cost of the full path
//! (bearer extraction, verification, claims, role check) over the bare decode of the same token;
//! `raw` is the backend's signature check alone of the same signing input and signature (the
//! physical floor; aws-lc-rs only).
#![allow(
    missing_docs,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stderr
)]

#[path = "../benches/support/case.rs"]
mod case;

use std::hint::black_box;

use auth_runtime::Algorithm;
use case::{Case, baseline, case, guard};

#[inline(never)]
fn baseline_side(case: &Case, n: usize) {
    for _ in 0..n {
        black_box(baseline(black_box(case)));
    }
}

#[inline(never)]
fn auth_side(case: &Case, n: usize) {
    for _ in 0..n {
        black_box(guard(&case.verifier, black_box(&case.headers)));
    }
}

#[cfg(feature = "aws-lc-rs")]
#[inline(never)]
fn raw_side(case: &Case, n: usize) {
    let raw = case::raw(case).expect("an asymmetric algorithm");
    assert!(raw.verify());
    for _ in 0..n {
        black_box(black_box(&raw).verify());
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let alg = match args.next().as_deref() {
        Some("HS256") => Algorithm::HS256,
        Some("RS256") => Algorithm::RS256,
        Some("ES256") => Algorithm::ES256,
        Some("EdDSA") => Algorithm::EdDSA,
        other => panic!("algorithm HS256, RS256, ES256 or EdDSA, not {other:?}"),
    };
    let side = args.next().expect("baseline, auth or raw");
    let n: usize = args.next().map_or(1000, |n| n.parse().expect("a count"));
    let case = case(alg);
    match side.as_str() {
        "baseline" => baseline_side(&case, n),
        "auth" => auth_side(&case, n),
        #[cfg(feature = "aws-lc-rs")]
        "raw" => raw_side(&case, n),
        other => panic!("baseline, auth or raw, not {other}"),
    }
    eprintln!("{alg:?} {side}: {n} verifications");
}
