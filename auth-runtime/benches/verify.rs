//! The verifier against a bare `jsonwebtoken::decode` of the same token, per algorithm, in the
//! same run. Run under each crypto backend to compare them:
//!
//! ```sh
//! cargo bench -p auth-runtime --bench verify --features testing
//! cargo bench -p auth-runtime --bench verify --no-default-features --features rust-crypto,testing
//! ```
#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)]

use std::hint::black_box;

use auth_runtime::guard::{Required, authenticate};
use auth_runtime::requirement::{Cons, Name, Nil, Role};
use auth_runtime::{Algorithm, Authority, Claims, SigningKey, Verifier, testing};
use criterion::{Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
use jsonwebtoken::{DecodingKey, Validation};

/// `"admin"` packed as `requirement::pack` does (big-endian bytes from the top of the first
/// word): the type `#[requires_role("admin")]` expands to for a role no other role implies.
const ADMIN: u128 = 0x61_64_6d_69_6e << 88;
type AdminRole = Role<Name<ADMIN, 0, 0, 0>, Cons<Name<ADMIN, 0, 0, 0>, Nil>>;

/// What a `#[requires_role("admin")]` handler taking `Claims` runs before its body.
fn guard(verifier: &Verifier, headers: &HeaderMap) -> Claims {
    authenticate::<Required<Claims>, AdminRole>(Some(verifier), headers).expect("admitted")
}

struct Case {
    alg: Algorithm,
    token: String,
    verifier: Verifier,
    with_cache: Verifier,
    key: DecodingKey,
    validation: Validation,
}

/// An asymmetric case: the public key as jsonwebtoken would load it, from the JWK.
fn case(alg: Algorithm) -> Case {
    let signing = SigningKey::generate(alg).expect("key");
    let jwk = signing
        .public_jwk()
        .expect("an asymmetric key has a public JWK");
    let jwk: jsonwebtoken::jwk::Jwk =
        serde_json::from_value(serde_json::to_value(jwk).expect("jwk")).expect("jwk");
    let key = DecodingKey::from_jwk(&jwk).expect("decoding key");
    case_with(alg, signing, key)
}

fn hs256() -> Case {
    let secret = b"a-benchmark-secret-of-at-least-32-bytes!";
    let signing = SigningKey::hmac(secret, Algorithm::HS256).expect("key");
    case_with(
        Algorithm::HS256,
        signing,
        DecodingKey::from_secret(secret).expect("key"),
    )
}

/// One token from an authority with `signing`, our verifiers (without and with the cache), and
/// jsonwebtoken's key and validation for the same issuer and audience.
fn case_with(alg: Algorithm, signing: SigningKey, key: DecodingKey) -> Case {
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
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[testing::ISSUER]);
    validation.set_audience(&[testing::AUDIENCE]);
    Case {
        alg,
        token,
        verifier: authority.verifier().no_cache().build().expect("verifier"),
        with_cache: authority.verifier().build().expect("verifier"),
        key,
        validation,
    }
}

fn bench(c: &mut Criterion) {
    assert_eq!(
        auth_runtime::requirement::pack("admin"),
        Some([ADMIN, 0, 0, 0])
    );
    let cases = [
        hs256(),
        case(Algorithm::RS256),
        case(Algorithm::ES256),
        case(Algorithm::EdDSA),
    ];
    for case in &cases {
        let name = format!(
            "{}/{}",
            auth_runtime::algorithm::name(case.alg),
            auth_runtime::BACKEND
        );
        let mut group = c.benchmark_group(name);
        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {}", case.token)).expect("header"),
        );
        group.bench_function("baseline: jsonwebtoken::decode", |b| {
            b.iter(|| {
                jsonwebtoken::decode::<serde_json::Value>(
                    black_box(&case.token),
                    &case.key,
                    &case.validation,
                )
                .expect("valid")
            })
        });
        group.bench_function("auth: extract + verify + authorize", |b| {
            b.iter(|| guard(&case.verifier, black_box(&headers)))
        });
        group.finish();
    }
    // A token seen before: the cache against the bare RS256 decode.
    let rs256 = &cases[1];
    let mut group = c.benchmark_group(format!("RS256/{}/cache", auth_runtime::BACKEND));
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {}", rs256.token)).expect("header"),
    );
    let with_cache = rs256.with_cache.clone();
    with_cache.verify(&rs256.token).expect("valid");
    group.bench_function("baseline: jsonwebtoken::decode", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(
                black_box(&rs256.token),
                &rs256.key,
                &rs256.validation,
            )
            .expect("valid")
        })
    });
    group.bench_function("auth: extract + cache hit + authorize", |b| {
        b.iter(|| guard(&with_cache, black_box(&headers)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
