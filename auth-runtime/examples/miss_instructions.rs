//! The cache-miss path against a bare `jsonwebtoken::decode`, counted in instructions rather
//! than timed: on a shared machine the counts do not drift with load. Each side runs in a
//! function of its own, so that callgrind counts only that function:
//!
//! ```sh
//! cargo build --release -p auth-runtime --example miss_instructions --features testing
//! for side in baseline auth; do
//!   valgrind --tool=callgrind --toggle-collect="*miss_instructions::$side" \
//!     --callgrind-out-file=/tmp/miss.$side target/release/examples/miss_instructions EdDSA $side 2000
//! done
//! ```
//!
//! The ratio of the two totals (`I refs`) is the cost of the full path (bearer extraction,
//! verification, claims, role check) over the bare decode of the same token.
#![allow(
    missing_docs,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::hint::black_box;

use auth_runtime::guard::{Required, authenticate};
use auth_runtime::requirement::{Cons, Name, Nil, Role};
use auth_runtime::{Algorithm, Authority, Claims, SigningKey, Verifier, testing};
use http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
use jsonwebtoken::{DecodingKey, Validation};

/// `"admin"` as `requirement::pack` packs it.
const ADMIN: u128 = 0x61_64_6d_69_6e << 88;
type AdminRole = Role<Name<ADMIN, 0, 0, 0>, Cons<Name<ADMIN, 0, 0, 0>, Nil>>;

#[inline(never)]
fn baseline(token: &str, key: &DecodingKey, validation: &Validation, n: usize) {
    for _ in 0..n {
        let data = jsonwebtoken::decode::<serde_json::Value>(black_box(token), key, validation)
            .expect("valid");
        black_box(data);
    }
}

#[inline(never)]
fn auth(verifier: &Verifier, headers: &HeaderMap, n: usize) {
    for _ in 0..n {
        let claims =
            authenticate::<Required<Claims>, AdminRole>(Some(verifier), black_box(headers))
                .expect("admitted");
        black_box(claims);
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
    let side = args.next().expect("baseline or auth");
    let n: usize = args.next().map_or(1000, |n| n.parse().expect("a count"));
    assert_eq!(
        auth_runtime::requirement::pack("admin"),
        Some([ADMIN, 0, 0, 0])
    );

    let secret = b"a-benchmark-secret-of-at-least-32-bytes!";
    let (signing, key) = if alg == Algorithm::HS256 {
        let signing = SigningKey::hmac(secret, alg).expect("key");
        (signing, DecodingKey::from_secret(secret).expect("key"))
    } else {
        let signing = SigningKey::generate(alg).expect("key");
        let jwk = serde_json::to_value(signing.public_jwk().expect("public JWK")).expect("jwk");
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk).expect("jwk");
        (signing, DecodingKey::from_jwk(&jwk).expect("key"))
    };
    let authority = Authority::builder()
        .issuer(testing::ISSUER)
        .audience(testing::AUDIENCE)
        .signing_key(signing)
        .build()
        .expect("authority");
    let token = authority
        .token("alice")
        .roles(["admin", "user"])
        .issue()
        .expect("token");
    let verifier = authority.verifier().no_cache().build().expect("verifier");
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[testing::ISSUER]);
    validation.set_audience(&[testing::AUDIENCE]);
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
    );
    match side.as_str() {
        "baseline" => baseline(&token, &key, &validation, n),
        "auth" => auth(&verifier, &headers, n),
        other => panic!("baseline or auth, not {other}"),
    }
    eprintln!("{alg:?} {side}: {n} verifications");
}
