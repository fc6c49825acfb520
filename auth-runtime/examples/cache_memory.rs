//! Memory of the verified-token cache: resident size after one million distinct tokens went
//! through a verifier, against the cache's configured byte bound.
//!
//! ```sh
//! cargo run --release -p auth-runtime --example cache_memory --features testing [-- MAX_MIB]
//! ```
#![allow(clippy::print_stdout, clippy::expect_used)]

use std::time::{Duration, Instant};

use auth_runtime::{Algorithm, Authority, CacheConfig, SigningKey, testing};

/// Resident set size in bytes, from /proc/self/statm.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("rss pages");
    pages * 4096
}

fn main() {
    let max_mib: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(64);
    let tokens: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let config = CacheConfig {
        max_entries: 1_000_000,
        max_bytes: max_mib * 1024 * 1024,
        max_age: Duration::from_secs(300),
    };
    let authority = Authority::builder()
        .issuer(testing::ISSUER)
        .audience(testing::AUDIENCE)
        .signing_key(SigningKey::hmac(&[7u8; 32], Algorithm::HS256).expect("key"))
        .build()
        .expect("authority");
    let verifier = authority
        .verifier()
        .cache(config)
        .build()
        .expect("verifier");
    let before = rss();
    let started = Instant::now();
    for i in 0..tokens {
        let token = authority
            .token(format!("user-{i}"))
            .roles(["user"])
            .issue()
            .expect("token");
        verifier.verify(&token).expect("valid");
    }
    let after = rss();
    let stats = verifier.cache_stats();
    let (entries, weight) = (stats.entries, stats.bytes);
    let grown = after.saturating_sub(before);
    println!(
        "tokens verified:        {tokens} in {:.1?}",
        started.elapsed()
    );
    println!("cache bound:            {max_mib} MiB");
    println!("cache entries:          {entries}");
    println!(
        "cache weight (estimate): {:.1} MiB",
        weight as f64 / 1048576.0
    );
    println!(
        "resident before:        {:.1} MiB",
        before as f64 / 1048576.0
    );
    println!(
        "resident after:         {:.1} MiB",
        after as f64 / 1048576.0
    );
    println!(
        "resident growth:        {:.1} MiB ({:.0}% of the bound)",
        grown as f64 / 1048576.0,
        100.0 * grown as f64 / (max_mib * 1048576) as f64
    );
    assert!(
        grown <= max_mib * 1024 * 1024 * 11 / 10,
        "resident growth above the bound (+10%)"
    );
}
