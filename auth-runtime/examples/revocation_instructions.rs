//! The verified-token cache's hit with a revocation list of 100,000 entries against the same
//! hit with revocation off, counted in instructions rather than timed (the counts do not drift
//! with the machine's load). callgrind counts only the function running the hits:
//!
//! ```sh
//! cargo build --release -p auth-runtime --example revocation_instructions --features testing
//! for side in off on; do
//!   valgrind --tool=callgrind --toggle-collect="*revocation_instructions::case::hits" \
//!     --callgrind-out-file=/tmp/revocation.$side target/release/examples/revocation_instructions $side 100000
//! done
//! ```
//!
//! The ratio of the totals (`I refs`) of `on` and `off` is the cost of the list on the hit path.
#![allow(
    missing_docs,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stderr
)]

#[path = "../benches/support/case.rs"]
mod case;

use auth_runtime::{Algorithm, Revocation, RevocationList, testing};
use case::{guard, hits};
use http::{HeaderMap, HeaderValue, header::AUTHORIZATION};

fn main() {
    let mut args = std::env::args().skip(1);
    let side = args.next().unwrap_or_else(|| "on".into());
    let n: usize = args.next().map_or(100_000, |n| n.parse().expect("a count"));
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
    let many: Vec<Revocation> = (0..100_000)
        .map(|i| match i % 10 {
            0 => Revocation::subject_before(format!("subject-{i}"), until - 3_600, until),
            1..=3 => Revocation::session(format!("session-{i}"), until),
            _ => Revocation::token(format!("token-{i}"), until),
        })
        .collect();
    revocations.revoke_all(&many);
    let verifier = match side.as_str() {
        "off" => authority.verifier().build(),
        "on" => authority.verifier().revocations(revocations).build(),
        other => panic!("`{other}`: expected off or on"),
    }
    .expect("verifier");
    // Warm: the token verified once and cached, as in production.
    guard(&verifier, &headers);
    hits(&verifier, &headers, n);
    eprintln!("{side}: {n} cache hits");
}
