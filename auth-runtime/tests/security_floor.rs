//! The security floor of docs/design.md, one rule at a time, each failure pinned to its exact
//! `AuthError` (or `ConfigError` / `KeyError`) variant.
//!
//! Run with `cargo test -p auth-runtime --features testing --test security_floor`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::OnceLock;
use std::time::Duration;

use auth_runtime::testing::{self, AUDIENCE, ISSUER, with_member};
use auth_runtime::{
    Algorithm, AuthError, Authority, ConfigError, DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_LEN,
    FixedClock, KeyError, RefusedKey, SigningKey, Verifier, VerifierBuilder, VerifyingKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use support::{authorization, b64, hex, parts, pem_body, sign, unb64};

// ---------------------------------------------------------------------------------------------
// Test keys, generated once with `openssl genpkey` for these tests only. Never use them anywhere
// else: the private halves are public.
// ---------------------------------------------------------------------------------------------

/// RSA 2048, PKCS#8.
const RSA_PRIVATE_PEM: &str = include_str!("fixtures/rsa_2048_pkcs8.pem");

/// The public half of [`RSA_PRIVATE_PEM`], SubjectPublicKeyInfo.
const RSA_PUBLIC_PEM: &str = include_str!("fixtures/rsa_2048_spki.pem");

/// The public half of [`RSA_PRIVATE_PEM`], PKCS#1.
const RSA_PUBLIC_PKCS1_PEM: &str = include_str!("fixtures/rsa_2048_pkcs1_public.pem");

/// RSA 1024, PKCS#8: too small, must be refused.
const RSA_1024_PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIICeAIBADANBgkqhkiG9w0BAQEFAASCAmIwggJeAgEAAoGBANUxPNBSb0I/QtEK
0xRCy2OB5PWT8QvJjDyGKfIwOvr1OfFeLxqLHw4Dw30F55MEnVaqZ04BhiBWMqNq
3RwkkQfwfyFna9ElkDa8FFyYwP9nJKWymYP3YMR/0tRlVS81uuxk47UFpxpzOU4M
OAFwOGDxP5I+NludGBCzW0+3Y6ynAgMBAAECgYAD01ZcBp6oeaohRihzfJ9ZscMC
BR2WMI+rplyqU+M7DZt0kVQXDdgI0Fh5rdlx8etA2t3vsGdPvTw7YneFQcK4cVkC
dz/+8ni2E4bylZdKLZbqX0d86+Q12juoEG/KpUkAn0U0fRWJThlVYEQp3nW4Dfnt
FQnGtdhJyWWRgpy8AQJBAPoPM5j+gAQRhPTUQE++uXlA9r8sVbebsG/LK5mQ4C+h
1gLRLQh+k3ZC56UTA2NSSGKA9ckYyKLy1FMpobCE1GcCQQDaQdHiygI580FmX95Y
Rj3mr3JkOAV1goWZR5g7QQaEbuBWWtsVGTRYr/vSyDpugydtOZd1XTGJKopgVZ5Q
ZT3BAkEApSrVUgEIXaeUwoJP2FyJ9eVLFgsasyRK7gysx8pByjSDP2ka7bltfXfD
ue1NF5WJ6kZ0Elgkbj0msaeV/Ro/kQJBAIhgFDt3Kgj3vGexg4b47PjVq85/Srnw
QnZSTAbKTL43YanTv4zhYNoBrII6ZnhjLyGKmN7WynsAv9IN7YwiloECQQDTYh/o
F5nRXkUqz8r0nehWjAGFLLVUz7Ht01VRaVCDp/qEe/X6qkgxodz9+/38BhZcR0vA
xOpkwLMO7xpWys8Z
-----END PRIVATE KEY-----
";

/// The public half of [`RSA_1024_PRIVATE_PEM`].
const RSA_1024_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDVMTzQUm9CP0LRCtMUQstjgeT1
k/ELyYw8hinyMDr69TnxXi8aix8OA8N9BeeTBJ1WqmdOAYYgVjKjat0cJJEH8H8h
Z2vRJZA2vBRcmMD/ZySlspmD92DEf9LUZVUvNbrsZOO1BacaczlODDgBcDhg8T+S
PjZbnRgQs1tPt2OspwIDAQAB
-----END PUBLIC KEY-----
";

/// EC P-256, PKCS#8.
const EC_P256_PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgQ1Ekq+tLbGE4aaxV
82lfqx+xEnA4cqNSBGZ8KFzXNTqhRANCAATjF6gBGQaRB82kBJvp7KXXvzv+wd7i
8wTCDWDOPcfuZewXa0e+Po2EKIzIo6E9lZIfTtLWyjJ3t0r6zsaL5ceD
-----END PRIVATE KEY-----
";

/// The public half of [`EC_P256_PRIVATE_PEM`].
const EC_P256_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE4xeoARkGkQfNpASb6eyl1787/sHe
4vMEwg1gzj3H7mXsF2tHvj6NhCiMyKOhPZWSH07S1soyd7dK+s7Gi+XHgw==
-----END PUBLIC KEY-----
";

/// EC P-384, PKCS#8.
const EC_P384_PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDBw1H0jrvc/ddmp8IV/
QH3yOUxlUDcwZhlmYRDlphnre5FagxkPJ9ffkVRsEaB64zyhZANiAASXmgyBO4UZ
9dTOxiqdAUaPAWmXfRbm/AE/VbyMocbo6iq0No6FzYPtWvZ5XMOvWmGPpOeaDQsf
PGZrCnXV3h+U7eBV8zDd78vlDGI5KVFG26aMhGX3UEzR1K8M4NyU3+o=
-----END PRIVATE KEY-----
";

/// Ed25519, PKCS#8.
const ED25519_PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIOPUMpbkQekWSAfPK6sxSgTU788yl1UHNOtuwlqRyx3b
-----END PRIVATE KEY-----
";

/// The public half of [`ED25519_PRIVATE_PEM`].
const ED25519_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAzTHaOJb7POEOWMkEAVvlYxGoN6SR2QEE5E3K/neKaRw=
-----END PUBLIC KEY-----
";

/// A fixed "now" for the clock tests.
const NOW: u64 = 1_700_000_000;

/// The HMAC secret of the hand-signed HS256 tokens below (exactly 32 bytes).
const SECRET: &[u8; 32] = b"0123456789abcdef0123456789abcdef";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A signing key for `alg`: generated for HMAC, from the PEM constants otherwise (RSA key
/// generation is slow in debug builds).
fn key_for(alg: Algorithm) -> SigningKey {
    use Algorithm::*;
    let pem = match alg {
        HS256 | HS384 | HS512 => return SigningKey::generate(alg).expect("HMAC key"),
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => RSA_PRIVATE_PEM,
        ES256 => EC_P256_PRIVATE_PEM,
        ES384 => EC_P384_PRIVATE_PEM,
        EdDSA => ED25519_PRIVATE_PEM,
    };
    SigningKey::from_pem(pem.as_bytes(), alg).expect("test key from PEM")
}

fn is_rsa(alg: Algorithm) -> bool {
    use Algorithm::*;
    matches!(alg, RS256 | RS384 | RS512 | PS256 | PS384 | PS512)
}

/// One Ed25519 key, shared by the tests that do not care about the algorithm.
fn ed_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| key_for(Algorithm::EdDSA))
}

/// A second RSA key, for the attacker (generated once: slow in debug builds).
fn attacker_rsa() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate(Algorithm::RS256).expect("RSA key"))
}

/// A verifier configuration that trusts `key` alone, for [`ISSUER`] and [`AUDIENCE`].
fn trusting(key: &SigningKey) -> VerifierBuilder {
    Verifier::builder()
        .key(key.verifying_key())
        .issuer(ISSUER)
        .audience(AUDIENCE)
}

fn verifier(key: &SigningKey) -> Verifier {
    trusting(key).build().expect("verifier")
}

/// The header an honest issuer writes for `key`.
fn header(key: &SigningKey) -> Value {
    json!({"alg": key.algorithm().name(), "kid": key.kid(), "typ": "at+jwt"})
}

/// Valid claims for a verifier on the system clock.
fn claims() -> Value {
    claims_at(testing::now())
}

/// Valid claims issued at `now`, expiring ten minutes later.
fn claims_at(now: u64) -> Value {
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "alice",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": "id-1",
    })
}

/// The verification error; panics if the token verified.
#[track_caller]
fn rejected(verifier: &Verifier, token: &str) -> AuthError {
    match verifier.verify(token) {
        Ok(claims) => panic!("token accepted, claims {claims:?}: {token}"),
        Err(error) => error,
    }
}

// ----- HMAC-SHA-256 (the `hmac` and `sha2` crates) over exactly the given text, to sign signing
// inputs the library would never produce (non-canonical base64url, invalid UTF-8 headers): a
// strictness check is only proven when the signature over the odd text is valid. The test
// below pins it to FIPS 180-2 and RFC 4231 vectors and to the library's own HS256 signatures.

/// SHA-256 of `data`.
fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// HMAC-SHA-256 of `message` under `key` (RFC 2104).
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// `header.payload.signature` with an HS256 signature by [`SECRET`] over exactly the given
/// header and payload text, however odd.
fn hs256_over(header_text: &str, payload_text: &str) -> String {
    let input = format!("{header_text}.{payload_text}");
    let mac = hmac_sha256(SECRET, input.as_bytes());
    format!("{input}.{}", b64(mac))
}

/// An HS256 token by [`SECRET`] over raw header and payload bytes.
fn hs256_raw(header: &[u8], payload: &[u8]) -> String {
    hs256_over(&b64(header), &b64(payload))
}

/// A verifier for the hand-signed tokens: [`SECRET`] as HS256 with kid `k1`.
fn hs256_verifier() -> Verifier {
    Verifier::builder()
        .key(
            VerifyingKey::hmac(SECRET, Algorithm::HS256)
                .unwrap()
                .with_kid("k1"),
        )
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap()
}

fn hs256_header() -> Vec<u8> {
    br#"{"alg":"HS256","kid":"k1"}"#.to_vec()
}

#[test]
fn the_test_hmac_agrees_with_the_standard_and_the_library() {
    assert_eq!(
        hex(&sha256(b"abc")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        hex(&sha256(&[b'a'; 1000])),
        "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"
    );
    // RFC 4231 test case 2.
    assert_eq!(
        hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    // The library accepts a token signed here and signs exactly as this does.
    let payload = serde_json::to_vec(&claims()).unwrap();
    let token = hs256_raw(&hs256_header(), &payload);
    assert!(hs256_verifier().verify(&token).is_ok());
    let library = SigningKey::hmac(SECRET, Algorithm::HS256).unwrap();
    let by_library = sign(&library, &json!({"alg": "HS256", "kid": "k1"}), &claims());
    let (h, p, s) = parts(&by_library);
    assert_eq!(hs256_over(h, p), format!("{h}.{p}.{s}"));
}

// ---------------------------------------------------------------------------------------------
// 1. The verifier's configuration chooses the algorithm; the header never does.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_verifier_chooses_the_algorithm_never_the_header() {
    for alg in Algorithm::ALL {
        let key = key_for(alg);
        let verifier = verifier(&key);
        let token = sign(&key, &header(&key), &claims());
        assert!(verifier.verify(&token).is_ok(), "{alg:?}");
        let (_, payload, signature) = parts(&token);
        for other in Algorithm::ALL.into_iter().filter(|other| *other != alg) {
            let expected = AuthError::AlgorithmMismatch {
                header: other.name().into(),
                key: alg.name(),
            };
            let header = with_member(header(&key), "alg", Some(json!(other.name())));
            // Re-headed: the original payload and signature under a header naming another alg.
            let reheaded = format!("{}.{payload}.{signature}", b64(header.to_string()));
            assert_eq!(
                rejected(&verifier, &reheaded),
                expected,
                "{alg:?} as {other:?}"
            );
            // Signed by the right key, over a header that names another algorithm.
            let signed = sign(&key, &header, &claims());
            assert_eq!(
                rejected(&verifier, &signed),
                expected,
                "{alg:?} as {other:?}"
            );
        }
    }
}

#[test]
fn algorithm_names_are_exact_and_unknown_ones_rejected() {
    let key = ed_key();
    let verifier = verifier(key);
    for name in [
        "eddsa", "EDDSA", "Ed25519", "ES512", "RSA-OAEP", "HS1", "", " EdDSA",
    ] {
        let token = sign(
            key,
            &with_member(header(key), "alg", Some(json!(name))),
            &claims(),
        );
        assert_eq!(
            rejected(&verifier, &token),
            AuthError::UnsupportedAlgorithm(name.into()),
            "{name:?}"
        );
    }
    let long = "X".repeat(1000);
    let token = sign(
        key,
        &with_member(header(key), "alg", Some(json!(long))),
        &claims(),
    );
    assert!(matches!(
        rejected(&verifier, &token),
        AuthError::UnsupportedAlgorithm(echo) if echo.len() <= 32
    ));
    for alg in [
        None,
        Some(json!(null)),
        Some(json!(256)),
        Some(json!(["EdDSA"])),
    ] {
        let token = sign(
            key,
            &with_member(header(key), "alg", alg.clone()),
            &claims(),
        );
        assert!(
            matches!(rejected(&verifier, &token), AuthError::Malformed(_)),
            "{alg:?}"
        );
    }
}

#[test]
fn a_duplicated_header_member_is_malformed() {
    // `{"alg":"HS256","alg":"none"}`: a parser keeping either value would be fooled.
    let verifier = hs256_verifier();
    let claims = serde_json::to_vec(&claims()).unwrap();
    for header in [
        &br#"{"alg":"HS256","kid":"k1","alg":"none"}"#[..],
        br#"{"alg":"none","kid":"k1","alg":"HS256"}"#,
        br#"{"alg":"HS256","kid":"k1","kid":"k2"}"#,
    ] {
        let token = hs256_raw(header, &claims);
        assert!(
            matches!(rejected(&verifier, &token), AuthError::Malformed(_)),
            "{}",
            String::from_utf8_lossy(header)
        );
    }
}

#[test]
fn none_is_rejected_in_every_casing_with_any_signature() {
    let ed = ed_key();
    let hs = SigningKey::generate(Algorithm::HS256).unwrap();
    for key in [ed, &hs] {
        let verifier = verifier(key);
        let real = sign(key, &header(key), &claims());
        let (_, payload, real_signature) = parts(&real);
        for name in ["none", "None", "NONE", "nOnE"] {
            for header in [
                json!({"alg": name}),
                json!({"alg": name, "kid": key.kid()}),
                json!({"alg": name, "kid": key.kid(), "typ": "JWT"}),
            ] {
                let header = b64(header.to_string());
                for signature in ["", "c2lnbmF0dXJl", real_signature] {
                    let token = format!("{header}.{payload}.{signature}");
                    assert_eq!(
                        rejected(&verifier, &token),
                        AuthError::UnsupportedAlgorithm("none".into()),
                        "{name} {signature:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn an_empty_or_all_zero_signature_is_rejected() {
    for alg in Algorithm::ALL {
        let key = key_for(alg);
        let verifier = verifier(&key);
        let token = sign(&key, &header(&key), &claims());
        let (h, p, s) = parts(&token);
        assert_eq!(
            rejected(&verifier, &format!("{h}.{p}.")),
            AuthError::InvalidSignature,
            "{alg:?}"
        );
        // A single zero byte, and zeros of the real length (r = s = 0 breaks naive ECDSA
        // verifiers, CVE-2022-21449).
        let len = unb64(s).len();
        for zeros in [vec![0u8; 1], vec![0u8; len]] {
            assert_eq!(
                rejected(&verifier, &format!("{h}.{p}.{}", b64(&zeros))),
                AuthError::InvalidSignature,
                "{alg:?} {} zero bytes",
                zeros.len()
            );
        }
    }
}

#[test]
fn a_token_signed_by_another_key_is_rejected() {
    for alg in Algorithm::ALL {
        let key = key_for(alg);
        let verifier = verifier(&key);
        // The attacker names the victim's kid and algorithm. (The shared attacker RSA key
        // signs RS256 whatever the header says: the signature is wrong for every RSA alg.)
        let other = if is_rsa(alg) {
            attacker_rsa().clone()
        } else {
            SigningKey::generate(alg).unwrap()
        };
        let forged = sign(&other, &header(&key), &claims());
        assert_eq!(
            rejected(&verifier, &forged),
            AuthError::InvalidSignature,
            "{alg:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// HMAC / asymmetric key confusion.
// ---------------------------------------------------------------------------------------------

#[test]
fn an_hmac_token_keyed_with_the_public_key_is_rejected() {
    let rsa = VerifyingKey::from_pem(RSA_PUBLIC_PEM.as_bytes(), Algorithm::RS256)
        .unwrap()
        .with_kid("rsa");
    let anonymous_rsa =
        VerifyingKey::from_pem(RSA_PUBLIC_PEM.as_bytes(), Algorithm::RS256).unwrap();
    let secrets: [(&str, Vec<u8>); 6] = [
        ("SPKI PEM text", RSA_PUBLIC_PEM.as_bytes().to_vec()),
        (
            "SPKI PEM text, trimmed",
            RSA_PUBLIC_PEM.trim().as_bytes().to_vec(),
        ),
        ("SPKI DER", pem_body(RSA_PUBLIC_PEM)),
        ("PKCS#1 PEM text", RSA_PUBLIC_PKCS1_PEM.as_bytes().to_vec()),
        ("PKCS#1 DER", pem_body(RSA_PUBLIC_PKCS1_PEM)),
        (
            "JWK text",
            serde_json::to_vec(&key_for(Algorithm::RS256).public_jwk().unwrap()).unwrap(),
        ),
    ];
    for (with_kid, key) in [(true, rsa), (false, anonymous_rsa)] {
        let verifier = Verifier::builder()
            .key(key)
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .unwrap();
        for (what, secret) in &secrets {
            let attacker = SigningKey::hmac(secret, Algorithm::HS256).unwrap();
            for header in [
                json!({"alg": "HS256", "kid": "rsa", "typ": "at+jwt"}),
                json!({"alg": "HS256"}),
            ] {
                let token = sign(&attacker, &header, &claims());
                assert_eq!(
                    rejected(&verifier, &token),
                    AuthError::AlgorithmMismatch {
                        header: "HS256".into(),
                        key: "RS256"
                    },
                    "{what}, verifier key with kid: {with_kid}, header {header}"
                );
            }
            // The same HMAC signature under a header that claims RS256.
            let token = sign(&attacker, &json!({"alg": "HS256", "kid": "rsa"}), &claims());
            let (_, p, s) = parts(&token);
            let reheaded = format!("{}.{p}.{s}", b64(r#"{"alg":"RS256","kid":"rsa"}"#));
            assert_eq!(
                rejected(&verifier, &reheaded),
                AuthError::InvalidSignature,
                "{what}"
            );
        }
    }
    // The same attack on EC and Ed25519 keys, with their public key bytes as the secret.
    for (alg, public_pem) in [
        (Algorithm::ES256, EC_P256_PUBLIC_PEM),
        (Algorithm::EdDSA, ED25519_PUBLIC_PEM),
    ] {
        let verifier = Verifier::builder()
            .key(VerifyingKey::from_pem(public_pem.as_bytes(), alg).unwrap())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .unwrap();
        let der = pem_body(public_pem);
        for secret in [public_pem.as_bytes(), &der[..]] {
            for hs in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
                let Ok(attacker) = SigningKey::hmac(secret, hs) else {
                    continue; // too short for this hash: the attack cannot even be mounted
                };
                let token = sign(&attacker, &json!({"alg": hs.name()}), &claims());
                assert_eq!(
                    rejected(&verifier, &token),
                    AuthError::AlgorithmMismatch {
                        header: hs.name().into(),
                        key: alg.name()
                    }
                );
            }
        }
    }
}

#[test]
fn hmac_and_asymmetric_keys_do_not_mix_unless_asked() {
    let hmac = VerifyingKey::hmac(SECRET, Algorithm::HS256)
        .unwrap()
        .with_kid("hmac");
    let rsa = VerifyingKey::from_pem(RSA_PUBLIC_PEM.as_bytes(), Algorithm::RS256)
        .unwrap()
        .with_kid("rsa");
    let mixed = || {
        Verifier::builder()
            .key(hmac.clone())
            .key(rsa.clone())
            .issuer(ISSUER)
            .audience(AUDIENCE)
    };
    assert_eq!(mixed().build().unwrap_err(), ConfigError::MixedKeyFamilies);
    // An HMAC key beside a JWK Set is the same mix.
    let authority = Authority::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .signing_key(ed_key().clone())
        .build()
        .unwrap();
    let err = Verifier::builder()
        .key(hmac.clone())
        .jwks_json(authority.jwks().to_json())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap_err();
    assert_eq!(err, ConfigError::MixedKeyFamilies);
    // Same family only: fine.
    assert!(
        Verifier::builder()
            .key(rsa.clone())
            .key(ed_key().verifying_key())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .is_ok()
    );

    // Asked for explicitly: allowed, and each key still verifies only its own algorithm.
    let verifier = mixed().allow_mixed_key_families().build().unwrap();
    let hs_token = hs256_raw(
        br#"{"alg":"HS256","kid":"hmac"}"#,
        &serde_json::to_vec(&claims()).unwrap(),
    );
    assert!(verifier.verify(&hs_token).is_ok());
    let rs_token = sign(
        &key_for(Algorithm::RS256),
        &json!({"alg": "RS256", "kid": "rsa"}),
        &claims(),
    );
    assert!(verifier.verify(&rs_token).is_ok());
    // HMAC keyed with the RSA public key, naming the RSA kid: the key's algorithm wins.
    let attacker = SigningKey::hmac(RSA_PUBLIC_PEM.as_bytes(), Algorithm::HS256).unwrap();
    let token = sign(&attacker, &json!({"alg": "HS256", "kid": "rsa"}), &claims());
    assert_eq!(
        rejected(&verifier, &token),
        AuthError::AlgorithmMismatch {
            header: "HS256".into(),
            key: "RS256"
        }
    );
    // And the HMAC kid with an RS256 header.
    let (_, p, s) = parts(&rs_token);
    let reheaded = format!("{}.{p}.{s}", b64(r#"{"alg":"RS256","kid":"hmac"}"#));
    assert_eq!(
        rejected(&verifier, &reheaded),
        AuthError::AlgorithmMismatch {
            header: "RS256".into(),
            key: "HS256"
        }
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Keys are found by kid in memory; kid is opaque; header keys and URLs are ignored.
// ---------------------------------------------------------------------------------------------

#[test]
fn an_unknown_kid_is_rejected() {
    let key = ed_key();
    let verifier = verifier(key);
    let token = sign(
        key,
        &with_member(header(key), "kid", Some(json!("nope"))),
        &claims(),
    );
    assert_eq!(rejected(&verifier, &token), AuthError::UnknownKey);
    // The real kid verifies, and so does no kid at all when the verifier holds one key.
    assert!(verifier.verify(&sign(key, &header(key), &claims())).is_ok());
    assert!(
        verifier
            .verify(&sign(
                key,
                &with_member(header(key), "kid", None),
                &claims()
            ))
            .is_ok()
    );
    // With two keys, a token without kid names no key.
    let two = trusting(key)
        .key(key_for(Algorithm::ES256).verifying_key())
        .build()
        .unwrap();
    let token = sign(key, &with_member(header(key), "kid", None), &claims());
    assert_eq!(rejected(&two, &token), AuthError::UnknownKey);
}

#[test]
fn a_hostile_kid_never_crashes_and_names_no_key() {
    let key = ed_key();
    let other = key_for(Algorithm::ES256);
    let builder = || trusting(key).key(other.verifying_key());
    let verifier = builder().build().unwrap();
    let roomy = builder().max_token_len(64 * 1024).build().unwrap();
    let ten_kb = "k".repeat(10 * 1024);
    let hostile = [
        "../../etc/passwd",
        "../../../../../../dev/null",
        "/etc/passwd",
        "file:///etc/passwd",
        "https://attacker.example/key.pem",
        "' OR '1'='1",
        "1; DROP TABLE keys; --",
        "\" OR \"\"=\"",
        "*",
        "%",
        "",
        " ",
        "\u{0}",
        "\n",
        "\u{202e}",
        "🔑",
        ten_kb.as_str(),
    ];
    for kid in hostile {
        let token = sign(
            key,
            &with_member(header(key), "kid", Some(json!(kid))),
            &claims(),
        );
        assert_eq!(rejected(&roomy, &token), AuthError::UnknownKey, "{kid:?}");
        let error = rejected(&verifier, &token);
        if token.len() > DEFAULT_MAX_TOKEN_LEN {
            assert!(matches!(error, AuthError::TokenTooLong { .. }), "{error:?}");
        } else {
            assert_eq!(error, AuthError::UnknownKey, "{kid:?}");
        }
    }
    // The real kid with something around it is another kid.
    for kid in [
        format!("{} ", key.kid()),
        format!(" {}", key.kid()),
        key.kid().to_uppercase(),
        format!("{}\u{0}", key.kid()),
        format!("{}/../{}", key.kid(), key.kid()),
    ] {
        let token = sign(
            key,
            &with_member(header(key), "kid", Some(json!(kid))),
            &claims(),
        );
        assert_eq!(rejected(&roomy, &token), AuthError::UnknownKey, "{kid:?}");
    }
    // Non-UTF-8 and non-strings, with a valid signature over the odd header.
    let hs = hs256_verifier();
    let payload = serde_json::to_vec(&claims()).unwrap();
    for header in [
        &br#"{"alg":"HS256","kid":"\ud800"}"#[..],
        br#"{"alg":"HS256","kid":"\udfff\ud800"}"#,
        b"{\"alg\":\"HS256\",\"kid\":\"\xff\xfe\"}",
        b"{\"alg\":\"HS256\",\"kid\":\"k1\xc0\"}",
        b"{\"alg\":\"HS256\",\"kid\":\"\xed\xa0\x80\"}",
        br#"{"alg":"HS256","kid":1}"#,
        br#"{"alg":"HS256","kid":["k1"]}"#,
        br#"{"alg":"HS256","kid":{"path":"../../etc/passwd"}}"#,
    ] {
        let token = hs256_raw(header, &payload);
        assert!(
            matches!(rejected(&hs, &token), AuthError::Malformed(_)),
            "{}",
            String::from_utf8_lossy(header)
        );
    }
    // A correct escape of an ordinary character is just that character.
    let token = hs256_raw(br#"{"alg":"HS256","kid":"\u006b1"}"#, &payload);
    assert!(hs.verify(&token).is_ok());
}

#[test]
fn keys_embedded_in_the_header_are_ignored() {
    let victims = [
        key_for(Algorithm::EdDSA),
        key_for(Algorithm::ES256),
        key_for(Algorithm::RS256),
    ];
    for victim in &victims {
        let alg = victim.algorithm();
        let attacker = match alg {
            Algorithm::RS256 => attacker_rsa().clone(),
            _ => SigningKey::generate(alg).unwrap(),
        };
        let jwk = serde_json::to_value(attacker.public_jwk().unwrap()).unwrap();
        let verifier = verifier(victim);
        let x5c = json!([STANDARD.encode(b"attacker certificate, DER")]);
        let embeddings = [
            ("jwk", jwk.clone()),
            ("jku", json!("https://attacker.example/jwks.json")),
            ("x5u", json!("https://attacker.example/cert.pem")),
            ("x5c", x5c.clone()),
        ];
        for (member, value) in &embeddings {
            let name = alg.name();
            // Naming the victim's kid: the victim's key is used, and the signature fails.
            let header = json!({"alg": name, "kid": victim.kid(), member.to_string(): value});
            assert_eq!(
                rejected(&verifier, &sign(&attacker, &header, &claims())),
                AuthError::InvalidSignature,
                "{name} {member}"
            );
            // No kid: the verifier's only key is used, not the header's.
            let header = json!({"alg": name, member.to_string(): value});
            assert_eq!(
                rejected(&verifier, &sign(&attacker, &header, &claims())),
                AuthError::InvalidSignature,
                "{name} {member}"
            );
            // The attacker's own kid: no such key in memory.
            let header = json!({"alg": name, "kid": attacker.kid(), member.to_string(): value});
            assert_eq!(
                rejected(&verifier, &sign(&attacker, &header, &claims())),
                AuthError::UnknownKey,
                "{name} {member}"
            );
            // Control: the victim's own token with the same header member verifies, so the
            // member was ignored rather than being the reason for the rejections above.
            let header = json!({"alg": name, "kid": victim.kid(), member.to_string(): value});
            assert!(verifier.verify(&sign(victim, &header, &claims())).is_ok());
        }
        // Everything at once.
        let header = json!({
            "alg": alg.name(), "kid": victim.kid(),
            "jwk": jwk, "jku": "https://attacker.example/jwks.json",
            "x5u": "https://attacker.example/cert.pem", "x5c": x5c,
        });
        assert_eq!(
            rejected(&verifier, &sign(&attacker, &header, &claims())),
            AuthError::InvalidSignature
        );
    }
    // An embedded symmetric key: still the verifier's RSA key and algorithm.
    let victim = key_for(Algorithm::RS256);
    let attacker = SigningKey::hmac(SECRET, Algorithm::HS256).unwrap();
    let header =
        json!({"alg": "HS256", "kid": victim.kid(), "jwk": {"kty": "oct", "k": b64(SECRET)}});
    assert_eq!(
        rejected(&verifier(&victim), &sign(&attacker, &header, &claims())),
        AuthError::AlgorithmMismatch {
            header: "HS256".into(),
            key: "RS256"
        }
    );
}

#[test]
fn crit_is_refused() {
    let key = ed_key();
    let verifier = verifier(key);
    for crit in [
        json!(["exp"]),
        json!(["b64"]),
        json!(["urn:example:custom"]),
        json!(["kid"]),
        json!([]),
        json!("urn:example:custom"),
        json!(null),
        json!({}),
    ] {
        let header = json!({
            "alg": "EdDSA", "kid": key.kid(), "crit": crit, "urn:example:custom": true,
            "exp": testing::now() + 60, "b64": true,
        });
        assert_eq!(
            rejected(&verifier, &sign(key, &header, &claims())),
            AuthError::UnsupportedCritical,
            "{crit}"
        );
    }
    // RFC 7797 unencoded payloads are not supported either.
    for b64_member in [json!(false), json!(null), json!("false"), json!(0)] {
        let header = json!({"alg": "EdDSA", "kid": key.kid(), "b64": b64_member});
        assert_eq!(
            rejected(&verifier, &sign(key, &header, &claims())),
            AuthError::UnsupportedCritical,
            "{b64_member}"
        );
    }
}

#[test]
fn jwe_and_wrong_part_counts_are_malformed() {
    let key = ed_key();
    let verifier = verifier(key);
    let token = sign(key, &header(key), &claims());
    let (h, p, s) = parts(&token);
    let jwe_header = b64(r#"{"alg":"RSA-OAEP","enc":"A256GCM","kid":"k"}"#);
    let five = format!("{jwe_header}.ZW5jcnlwdGVkLWtleQ.aXY.Y2lwaGVydGV4dA.dGFn");
    let five_dir = format!(
        "{}..aXY.Y2lwaGVydGV4dA.dGFn",
        b64(r#"{"alg":"dir","enc":"A128GCM"}"#)
    );
    for bad in [
        five.as_str(),
        five_dir.as_str(),
        &format!("{token}.dGFn.dGFn"),
        &format!("{h}.{p}"),
        &format!("{h}.{p}.{s}."),
        &format!(".{h}.{p}.{s}"),
        &format!("{h}..{p}.{s}"),
        &format!("{h}.{p}.{s}.{s}"),
        h,
        "",
        ".",
        "..",
        "...",
        "....",
        "a.b",
        "a.b.c.d",
    ] {
        assert!(
            matches!(rejected(&verifier, bad), AuthError::Malformed(_)),
            "{bad:?}"
        );
    }
    // A three-part token whose header belongs to JWE.
    for enc in [json!("A256GCM"), json!(null)] {
        let header = json!({"alg": "EdDSA", "kid": key.kid(), "enc": enc});
        assert!(matches!(
            rejected(&verifier, &sign(key, &header, &claims())),
            AuthError::Malformed(_)
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// 3. exp required; exp, nbf, iat honoured with a small leeway; wrong types invalid; iss, aud;
//    typ.
// ---------------------------------------------------------------------------------------------

#[test]
fn exp_is_required() {
    let key = ed_key();
    let verifier = verifier(key);
    let token = sign(key, &header(key), &with_member(claims(), "exp", None));
    assert_eq!(rejected(&verifier, &token), AuthError::MissingClaim("exp"));
    assert_eq!(
        verifier.verify_as::<Value>(&token).unwrap_err(),
        AuthError::MissingClaim("exp")
    );
    let authority = Authority::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .signing_key(key.clone())
        .build()
        .unwrap();
    let token = authority.token("alice").without("exp").issue().unwrap();
    assert_eq!(rejected(&verifier, &token), AuthError::MissingClaim("exp"));
}

/// A verifier for `key` on a clock stopped at `now`, with `leeway` seconds.
fn at(key: &SigningKey, now: u64, leeway: u64) -> Verifier {
    trusting(key)
        .clock(FixedClock(now))
        .leeway(Duration::from_secs(leeway))
        .build()
        .unwrap()
}

#[test]
fn exp_is_honoured_at_the_leeway_edge() {
    let key = ed_key();
    let exp = NOW + 600;
    let token = sign(key, &header(key), &claims_at(NOW));
    for leeway in [0, 1, 60, 300] {
        assert!(at(key, exp - 1, leeway).verify(&token).is_ok(), "{leeway}");
        assert!(
            at(key, exp + leeway - 1, leeway).verify(&token).is_ok(),
            "{leeway}"
        );
        assert_eq!(
            rejected(&at(key, exp + leeway, leeway), &token),
            AuthError::Expired,
            "{leeway}"
        );
        assert_eq!(
            rejected(&at(key, exp + leeway + 86_400, leeway), &token),
            AuthError::Expired
        );
    }
    // The default leeway is 60 s.
    assert_eq!(DEFAULT_LEEWAY, Duration::from_secs(60));
    let default = |now| trusting(key).clock(FixedClock(now)).build().unwrap();
    assert!(default(exp + 59).verify(&token).is_ok());
    assert_eq!(rejected(&default(exp + 60), &token), AuthError::Expired);
    // Also through verify_as.
    assert_eq!(
        at(key, exp + 60, 60)
            .verify_as::<Value>(&token)
            .unwrap_err(),
        AuthError::Expired
    );
    // An exp far in the future or at the edge of the integer range does not overflow.
    for far in [json!(u64::MAX), json!(9.1e18), json!(u64::MAX - 1)] {
        let token = sign(
            key,
            &header(key),
            &with_member(claims_at(NOW), "exp", Some(far)),
        );
        assert!(at(key, NOW, 300).verify(&token).is_ok());
    }
    // Fractions are truncated: exp = 1700000600.9 is expired at 1700000600 with no leeway.
    let token = sign(
        key,
        &header(key),
        &with_member(claims_at(NOW), "exp", Some(json!(exp as f64 + 0.9))),
    );
    assert!(at(key, exp - 1, 0).verify(&token).is_ok());
    assert_eq!(rejected(&at(key, exp, 0), &token), AuthError::Expired);
}

#[test]
fn nbf_and_iat_are_honoured_at_the_leeway_edge() {
    let key = ed_key();
    let later = NOW + 1000;
    let base = with_member(claims_at(NOW), "exp", Some(json!(NOW + 5000)));

    let nbf = sign(
        key,
        &header(key),
        &with_member(base.clone(), "nbf", Some(json!(later))),
    );
    for leeway in [0, 60, 300] {
        assert!(at(key, later - leeway, leeway).verify(&nbf).is_ok());
        assert_eq!(
            rejected(&at(key, later - leeway - 1, leeway), &nbf),
            AuthError::NotYetValid,
            "{leeway}"
        );
        assert_eq!(
            rejected(&at(key, NOW, leeway), &nbf),
            AuthError::NotYetValid
        );
    }

    let iat = sign(
        key,
        &header(key),
        &with_member(with_member(base, "iat", Some(json!(later))), "nbf", None),
    );
    for leeway in [0, 60, 300] {
        assert!(at(key, later - leeway, leeway).verify(&iat).is_ok());
        assert_eq!(
            rejected(&at(key, later - leeway - 1, leeway), &iat),
            AuthError::IssuedInFuture,
            "{leeway}"
        );
    }
    // An old iat is fine (age is not limited here), nbf and iat are optional.
    let old = sign(
        key,
        &header(key),
        &with_member(
            with_member(claims_at(NOW), "iat", Some(json!(0))),
            "nbf",
            Some(json!(0)),
        ),
    );
    assert!(at(key, NOW, 0).verify(&old).is_ok());
    let bare = sign(
        key,
        &header(key),
        &with_member(with_member(claims_at(NOW), "iat", None), "nbf", None),
    );
    assert!(at(key, NOW, 0).verify(&bare).is_ok());
}

#[test]
fn the_leeway_is_small() {
    let key = ed_key();
    assert!(
        trusting(key)
            .leeway(Duration::from_secs(300))
            .build()
            .is_ok()
    );
    assert_eq!(
        trusting(key)
            .leeway(Duration::from_secs(301))
            .build()
            .unwrap_err(),
        ConfigError::LeewayTooLarge(301)
    );
    assert_eq!(
        trusting(key)
            .leeway(Duration::from_secs(u64::MAX))
            .build()
            .unwrap_err(),
        ConfigError::LeewayTooLarge(u64::MAX)
    );
}

#[test]
fn a_claim_of_the_wrong_type_is_invalid_not_absent() {
    let key = ed_key();
    let strict = verifier(key);
    let lenient = Verifier::builder()
        .key(key.verifying_key())
        .any_issuer()
        .any_audience()
        .build()
        .unwrap();
    let exp = testing::now() + 600;
    let cases: Vec<(&str, Value)> = vec![
        ("exp", json!(exp.to_string())),
        ("exp", json!(-1)),
        ("exp", json!(true)),
        ("exp", json!(null)),
        ("exp", json!([exp])),
        ("exp", json!({"value": exp})),
        ("exp", json!(1e300)),
        ("nbf", json!("0")),
        ("nbf", json!(false)),
        ("iat", json!("0")),
        ("iat", json!(-5)),
        ("iat", json!([1])),
        ("aud", json!(42)),
        ("aud", json!([42])),
        ("aud", json!([AUDIENCE, 1])),
        ("aud", json!({"aud": AUDIENCE})),
        ("aud", json!(true)),
        ("aud", json!(null)),
        ("iss", json!([ISSUER])),
        ("iss", json!(1)),
        ("iss", json!(null)),
        ("iss", json!({"iss": ISSUER})),
        ("sub", json!(7)),
        ("sub", json!({})),
        ("sub", json!(["alice"])),
        ("jti", json!(5)),
        ("jti", json!([])),
    ];
    for (name, value) in cases {
        let token = sign(
            key,
            &header(key),
            &with_member(claims(), name, Some(value.clone())),
        );
        let expected = AuthError::InvalidClaim(name.into());
        assert_eq!(rejected(&strict, &token), expected, "{name}: {value}");
        // Not checked by configuration does not mean not type-checked.
        assert_eq!(rejected(&lenient, &token), expected, "{name}: {value}");
        assert_eq!(
            strict.verify_as::<Value>(&token).unwrap_err(),
            expected,
            "{name}: {value}"
        );
    }
    // Roles and scopes have a type too.
    for (name, value) in [
        ("roles", json!(5)),
        ("roles", json!(["admin", 1])),
        ("roles", json!({"admin": true})),
        ("scope", json!(["read"])),
        ("scope", json!(1)),
        ("scp", json!(1)),
    ] {
        let token = sign(
            key,
            &header(key),
            &with_member(claims(), name, Some(value.clone())),
        );
        assert_eq!(
            rejected(&strict, &token),
            AuthError::InvalidClaim(name.into()),
            "{name}: {value}"
        );
    }
    // A duplicated claim is malformed, not "the last one wins".
    let hs = hs256_verifier();
    let payload = format!(r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{exp},"exp":1}}"#);
    let token = hs256_raw(&hs256_header(), payload.as_bytes());
    assert!(matches!(rejected(&hs, &token), AuthError::Malformed(_)));
    let payload = format!(r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{exp},"iss":"x"}}"#);
    let token = hs256_raw(&hs256_header(), payload.as_bytes());
    assert!(matches!(rejected(&hs, &token), AuthError::Malformed(_)));
    // A payload that is not an object is malformed.
    for payload in [&b"[]"[..], b"null", b"1", b"\"claims\"", b"", b"{", b"{}{}"] {
        let token = hs256_raw(&hs256_header(), payload);
        assert!(
            matches!(rejected(&hs, &token), AuthError::Malformed(_)),
            "{}",
            String::from_utf8_lossy(payload)
        );
    }
}

#[test]
fn iss_and_aud_are_checked_when_configured() {
    let key = ed_key();
    let verifier = verifier(key);
    let check = |claims: Value| verifier.verify(&sign(key, &header(key), &claims));

    assert!(check(claims()).is_ok());
    for iss in [
        "https://evil.test",
        "",
        "https://issuer.test/",
        "HTTPS://ISSUER.TEST",
        "https://issuer.test ",
    ] {
        assert_eq!(
            check(with_member(claims(), "iss", Some(json!(iss)))),
            Err(AuthError::InvalidIssuer),
            "{iss:?}"
        );
    }
    assert_eq!(
        check(with_member(claims(), "iss", None)),
        Err(AuthError::MissingClaim("iss"))
    );

    for aud in [
        json!("other"),
        json!(""),
        json!(["x", "y"]),
        json!("Test-Audience"),
    ] {
        assert_eq!(
            check(with_member(claims(), "aud", Some(aud.clone()))),
            Err(AuthError::InvalidAudience),
            "{aud}"
        );
    }
    assert!(
        check(with_member(
            claims(),
            "aud",
            Some(json!(["other", AUDIENCE]))
        ))
        .is_ok()
    );
    assert_eq!(
        check(with_member(claims(), "aud", None)),
        Err(AuthError::MissingClaim("aud"))
    );
    assert_eq!(
        check(with_member(claims(), "aud", Some(json!([])))),
        Err(AuthError::MissingClaim("aud"))
    );

    // Several accepted issuers and audiences.
    let several = trusting(key)
        .issuer("https://second.test")
        .audience("second")
        .build()
        .unwrap();
    let second = with_member(
        with_member(claims(), "iss", Some(json!("https://second.test"))),
        "aud",
        Some(json!("second")),
    );
    assert!(several.verify(&sign(key, &header(key), &second)).is_ok());
    assert!(several.verify(&sign(key, &header(key), &claims())).is_ok());

    // Waived deliberately: absent or any value is fine.
    let waived = Verifier::builder()
        .key(key.verifying_key())
        .any_issuer()
        .any_audience()
        .build()
        .unwrap();
    for claims in [
        with_member(with_member(claims(), "iss", None), "aud", None),
        with_member(
            with_member(claims(), "iss", Some(json!("https://evil.test"))),
            "aud",
            Some(json!("other")),
        ),
    ] {
        assert!(waived.verify(&sign(key, &header(key), &claims)).is_ok());
    }
    // An explicit issuer wins over any_issuer (the stricter setting).
    let both = Verifier::builder()
        .key(key.verifying_key())
        .issuer(ISSUER)
        .any_issuer()
        .audience(AUDIENCE)
        .any_audience()
        .build()
        .unwrap();
    let wrong = with_member(claims(), "iss", Some(json!("https://evil.test")));
    assert_eq!(
        both.verify(&sign(key, &header(key), &wrong)),
        Err(AuthError::InvalidIssuer)
    );
    let wrong = with_member(claims(), "aud", Some(json!("other")));
    assert_eq!(
        both.verify(&sign(key, &header(key), &wrong)),
        Err(AuthError::InvalidAudience)
    );
}

#[test]
fn configuring_neither_issuer_nor_audience_is_an_error() {
    let key = ed_key().verifying_key();
    let base = || Verifier::builder().key(key.clone());
    assert_eq!(
        base().audience(AUDIENCE).build().unwrap_err(),
        ConfigError::IssuerNotConfigured
    );
    assert_eq!(
        base().any_audience().build().unwrap_err(),
        ConfigError::IssuerNotConfigured
    );
    assert_eq!(
        base().issuer(ISSUER).build().unwrap_err(),
        ConfigError::AudienceNotConfigured
    );
    assert_eq!(
        base().any_issuer().build().unwrap_err(),
        ConfigError::AudienceNotConfigured
    );
    assert_eq!(
        base().build().unwrap_err(),
        ConfigError::IssuerNotConfigured
    );
    assert!(base().any_issuer().any_audience().build().is_ok());
    assert_eq!(
        Verifier::builder()
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .unwrap_err(),
        ConfigError::NoKeys
    );
    assert_eq!(
        Authority::builder()
            .signing_key(ed_key().clone())
            .build()
            .unwrap_err(),
        ConfigError::IssuerNotConfigured
    );
}

#[test]
fn typ_is_checked_when_required() {
    let key = ed_key();
    let strict = trusting(key).require_typ("at+jwt").build().unwrap();
    let typed = |typ: Option<Value>| sign(key, &with_member(header(key), "typ", typ), &claims());
    for typ in [
        "at+jwt",
        "AT+JWT",
        "At+Jwt",
        "application/at+jwt",
        "APPLICATION/AT+JWT",
    ] {
        assert!(strict.verify(&typed(Some(json!(typ)))).is_ok(), "{typ}");
    }
    for typ in [
        "JWT",
        "jwt",
        "",
        "at+jwt ",
        " at+jwt",
        "application/jwt",
        "application/",
        "at+jwt+x",
        "xat+jwt",
        "application/application/at+jwt",
        "at%2Bjwt",
    ] {
        assert_eq!(
            rejected(&strict, &typed(Some(json!(typ)))),
            AuthError::InvalidType,
            "{typ:?}"
        );
    }
    assert_eq!(rejected(&strict, &typed(None)), AuthError::InvalidType);
    assert_eq!(
        rejected(&strict, &typed(Some(json!(null)))),
        AuthError::InvalidType
    );
    assert!(matches!(
        rejected(&strict, &typed(Some(json!(["at+jwt"])))),
        AuthError::Malformed(_)
    ));
    // The configured value is normalized the same way.
    let upper = trusting(key)
        .require_typ("application/AT+JWT")
        .build()
        .unwrap();
    assert!(upper.verify(&typed(Some(json!("at+jwt")))).is_ok());
    // Not required: any typ, or none, is fine.
    let any = verifier(key);
    assert!(any.verify(&typed(Some(json!("JWT")))).is_ok());
    assert!(any.verify(&typed(None)).is_ok());
}

// ---------------------------------------------------------------------------------------------
// 4. Length cap before decoding; exactly three parts; strict base64url.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_length_cap_comes_before_any_decoding() {
    let key = ed_key();
    let verifier = verifier(key);
    assert_eq!(DEFAULT_MAX_TOKEN_LEN, 8 * 1024);
    let max = DEFAULT_MAX_TOKEN_LEN;
    for garbage in [
        "A".repeat(max + 1),
        "!".repeat(max + 1),
        ".".repeat(max + 1),
    ] {
        assert_eq!(
            rejected(&verifier, &garbage),
            AuthError::TokenTooLong { len: max + 1, max }
        );
    }
    // Multi-byte characters count in bytes.
    let wide = "é".repeat(max / 2 + 1);
    assert_eq!(
        rejected(&verifier, &wide),
        AuthError::TokenTooLong {
            len: wide.len(),
            max
        }
    );
    // At the cap, the garbage is decoded (and rejected for what it is).
    assert!(matches!(
        rejected(&verifier, &"A".repeat(max)),
        AuthError::Malformed(_)
    ));
    // A huge token never gets near the decoder.
    let huge = format!("{}.{}.{}", "A".repeat(1 << 20), "B".repeat(1 << 20), "C");
    assert!(matches!(
        rejected(&verifier, &huge),
        AuthError::TokenTooLong { .. }
    ));

    // Configurable, in both directions.
    let token = sign(key, &header(key), &claims());
    let len = token.len();
    let capped = |max| trusting(key).max_token_len(max).build().unwrap();
    assert!(capped(len).verify(&token).is_ok());
    assert_eq!(
        rejected(&capped(len - 1), &token),
        AuthError::TokenTooLong { len, max: len - 1 }
    );
    assert_eq!(
        rejected(&capped(0), "a.b.c"),
        AuthError::TokenTooLong { len: 5, max: 0 }
    );
    let big = with_member(claims(), "blob", Some(json!("x".repeat(2 * max))));
    let big = sign(key, &header(key), &big);
    assert!(matches!(
        rejected(&verifier, &big),
        AuthError::TokenTooLong { .. }
    ));
    assert!(capped(64 * 1024).verify(&big).is_ok());

    // Through the headers as well.
    let value = format!("Bearer {}", "A".repeat(max + 1));
    let headers = authorization(&[value.as_bytes()]);
    assert_eq!(
        verify_headers(&verifier, &headers).unwrap_err(),
        AuthError::TokenTooLong { len: max + 1, max }
    );
}

/// A token by [`SECRET`] whose header and payload base64url both contain `-` and `_` (so the
/// standard alphabet's `+` and `/` can stand in for them) and whose lengths are not multiples
/// of four (so padding and trailing bits can be added).
fn odd_friendly_token() -> (String, String) {
    let friendly = |s: &str| s.contains('-') && s.contains('_') && !s.len().is_multiple_of(4);
    let header = (0..64)
        .map(|n| {
            let header =
                json!({"alg": "HS256", "kid": "k1", "x": format!("{}???>>>~~~", "h".repeat(n))});
            b64(header.to_string())
        })
        .find(|h| friendly(h))
        .expect("a suitable header");
    let payload = (0..64)
        .map(|n| {
            let claims = with_member(
                claims(),
                "x",
                Some(json!(format!("{}???>>>~~~", "p".repeat(n)))),
            );
            b64(claims.to_string())
        })
        .find(|p| friendly(p))
        .expect("a suitable payload");
    (header, payload)
}

/// A rewriting of one base64url part.
type Rewrite = fn(&str) -> String;

/// `part` with its last character changed so that the unused low bits are not zero.
fn with_trailing_bits(part: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    assert_ne!(part.len() % 4, 0, "a full quantum has no unused bits");
    let last = *part.as_bytes().last().unwrap();
    let value = ALPHABET.iter().position(|c| *c == last).unwrap();
    let changed = ALPHABET[value | 1] as char;
    assert_ne!(changed as u8, last);
    format!("{}{changed}", &part[..part.len() - 1])
}

fn padded(part: &str) -> String {
    let missing = (4 - part.len() % 4) % 4;
    format!("{part}{}", "=".repeat(missing.max(1)))
}

fn standard_alphabet(part: &str) -> String {
    part.replace('-', "+").replace('_', "/")
}

#[test]
fn base64url_is_strict_in_every_part() {
    let verifier = hs256_verifier();
    let (h, p) = odd_friendly_token();
    let good = hs256_over(&h, &p);
    assert!(verifier.verify(&good).is_ok());
    // Each odd variant decodes (leniently) to the very same bytes, and is signed correctly
    // over its odd text: only strict decoding can reject it.
    let variants: [(&str, Rewrite); 7] = [
        ("padding", padded),
        ("standard alphabet", standard_alphabet),
        ("trailing bits", with_trailing_bits),
        ("inner space", |s| format!("{} {}", &s[..4], &s[4..])),
        ("inner newline", |s| format!("{}\n{}", &s[..4], &s[4..])),
        ("inner tab", |s| format!("{}\t{}", &s[..4], &s[4..])),
        ("trailing CRLF", |s| format!("{s}\r\n")),
    ];
    for (what, odd) in variants {
        let odd_header = hs256_over(&odd(&h), &p);
        let odd_payload = hs256_over(&h, &odd(&p));
        for (part, token) in [("header", odd_header), ("payload", odd_payload)] {
            assert!(
                matches!(rejected(&verifier, &token), AuthError::Malformed(_)),
                "{what} in the {part}: {token}"
            );
        }
    }
    // The signature part: find a signature with `-` or `_` (43 characters for HS256, so
    // trailing bits are available too).
    let mut tokens = (0..200).map(|i| {
        let claims = with_member(claims(), "jti", Some(json!(format!("id-{i}"))));
        hs256_raw(&hs256_header(), &serde_json::to_vec(&claims).unwrap())
    });
    let token = tokens
        .find(|t| {
            let s = parts(t).2;
            s.contains('-') || s.contains('_')
        })
        .unwrap();
    assert!(verifier.verify(&token).is_ok());
    let (h, p, s) = parts(&token);
    for odd in [
        padded(s),
        standard_alphabet(s),
        with_trailing_bits(s),
        format!("{} {}", &s[..4], &s[4..]),
        format!("{s}\n"),
        format!("{s}="),
    ] {
        let token = format!("{h}.{p}.{odd}");
        assert!(
            matches!(rejected(&verifier, &token), AuthError::Malformed(_)),
            "{token}"
        );
    }
    // Whitespace around the whole token.
    for token in [
        format!(" {token}"),
        format!("{token} "),
        format!("{token}\n"),
    ] {
        assert!(matches!(
            rejected(&verifier, &token),
            AuthError::Malformed(_)
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Short HMAC secrets and small RSA keys are refused at construction; each key has one alg.
// ---------------------------------------------------------------------------------------------

#[test]
fn short_hmac_secrets_are_refused() {
    for (alg, name, min) in [
        (Algorithm::HS256, "HS256", 32),
        (Algorithm::HS384, "HS384", 48),
        (Algorithm::HS512, "HS512", 64),
    ] {
        for len in [0, 1, min / 2, min - 1] {
            let secret = vec![7u8; len];
            let expected = KeyError::SecretTooShort {
                alg: name,
                min,
                len,
            };
            assert_eq!(
                VerifyingKey::hmac(&secret, alg).unwrap_err(),
                expected,
                "{name} {len}"
            );
            assert_eq!(SigningKey::hmac(&secret, alg).unwrap_err(), expected);
            let jwk = json!({"kty": "oct", "alg": name, "k": b64(&secret)});
            assert_eq!(VerifyingKey::from_secret_jwk(&jwk).unwrap_err(), expected);
        }
        let secret = vec![7u8; min];
        assert!(VerifyingKey::hmac(&secret, alg).is_ok());
        assert!(SigningKey::hmac(&secret, alg).is_ok());
        // Generated secrets are long enough for every HMAC algorithm.
        assert!(SigningKey::generate(alg).is_ok());
    }
    // A secret long enough for HS256 is too short for HS512.
    assert_eq!(
        VerifyingKey::hmac(SECRET, Algorithm::HS512).unwrap_err(),
        KeyError::SecretTooShort {
            alg: "HS512",
            min: 64,
            len: 32
        }
    );
    // An oct JWK in a (public) JWK Set is refused whatever its length, leaving no key; the
    // error says why.
    let jwks =
        json!({"keys": [{"kty": "oct", "alg": "HS256", "kid": "short", "k": b64([1u8; 16])}]});
    assert_eq!(
        Verifier::builder()
            .jwks_json(jwks.to_string())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .unwrap_err(),
        ConfigError::NoUsableKeys(vec![RefusedKey {
            kid: Some("short".into()),
            reason: KeyError::SymmetricKeyInPublicSet,
        }])
    );
}

#[test]
fn rsa_keys_under_2048_bits_are_refused() {
    assert_eq!(
        VerifyingKey::from_pem(RSA_1024_PUBLIC_PEM.as_bytes(), Algorithm::RS256).unwrap_err(),
        KeyError::RsaKeyTooSmall { bits: 1024 }
    );
    assert_eq!(
        VerifyingKey::from_der(&pem_body(RSA_1024_PUBLIC_PEM), Algorithm::PS256).unwrap_err(),
        KeyError::RsaKeyTooSmall { bits: 1024 }
    );
    assert_eq!(
        SigningKey::from_pem(RSA_1024_PRIVATE_PEM.as_bytes(), Algorithm::RS256).unwrap_err(),
        KeyError::RsaKeyTooSmall { bits: 1024 }
    );
    // JWKs, at the bit: 2047 bits refused, 2048 accepted (with or without a leading zero).
    let e = b64([1u8, 0, 1]);
    let jwk = |n: Vec<u8>| json!({"kty": "RSA", "alg": "RS256", "n": b64(n), "e": e});
    let mut n2047 = vec![0xffu8; 256];
    n2047[0] = 0x7f;
    let mut n2048 = vec![0xffu8; 256];
    n2048[0] = 0x80;
    let mut n2048_zero = vec![0u8];
    n2048_zero.extend_from_slice(&n2048);
    assert_eq!(
        VerifyingKey::from_jwk(&jwk(n2047)).unwrap_err(),
        KeyError::RsaKeyTooSmall { bits: 2047 }
    );
    assert!(VerifyingKey::from_jwk(&jwk(n2048)).is_ok());
    assert!(VerifyingKey::from_jwk(&jwk(n2048_zero)).is_ok());
    // Zero-length and all-zero moduli: refused, without a panic.
    for n in [vec![], vec![0u8], vec![0u8; 300]] {
        assert_eq!(
            VerifyingKey::from_jwk(&jwk(n.clone())).unwrap_err(),
            KeyError::RsaKeyTooSmall { bits: 0 },
            "{} zero bytes",
            n.len()
        );
    }
    // In a JWK Set: refused, so no key is left, and the error says why.
    let jwks = json!({"keys": [jwk(vec![]), jwk(vec![0xff; 128])]});
    let refused = |bits| RefusedKey {
        kid: None,
        reason: KeyError::RsaKeyTooSmall { bits },
    };
    assert_eq!(
        Verifier::builder()
            .jwks_json(jwks.to_string())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .unwrap_err(),
        ConfigError::NoUsableKeys(vec![refused(0), refused(1024)])
    );
}

#[test]
fn each_key_is_bound_to_one_algorithm_family() {
    let pem = |text: &str, alg| VerifyingKey::from_pem(text.as_bytes(), alg);
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        assert!(matches!(
            pem(RSA_PUBLIC_PEM, alg).unwrap_err(),
            KeyError::WrongAlgorithm { .. }
        ));
    }
    // A P-256 key for ES384 is refused.
    assert!(matches!(
        pem(EC_P256_PUBLIC_PEM, Algorithm::ES384).unwrap_err(),
        KeyError::WrongAlgorithm { .. }
    ));
    // Keys of another family are refused.
    for (text, alg) in [
        (RSA_PUBLIC_PEM, Algorithm::ES256),
        (RSA_PUBLIC_PEM, Algorithm::EdDSA),
        (EC_P256_PUBLIC_PEM, Algorithm::RS256),
        (EC_P256_PUBLIC_PEM, Algorithm::EdDSA),
        (ED25519_PUBLIC_PEM, Algorithm::ES256),
        (ED25519_PUBLIC_PEM, Algorithm::PS256),
    ] {
        assert!(pem(text, alg).is_err(), "{alg:?}");
    }
    for (text, alg) in [
        (RSA_PRIVATE_PEM, Algorithm::ES256),
        (EC_P256_PRIVATE_PEM, Algorithm::RS256),
        (EC_P256_PRIVATE_PEM, Algorithm::EdDSA),
        (ED25519_PRIVATE_PEM, Algorithm::ES256),
        (RSA_PRIVATE_PEM, Algorithm::HS256),
    ] {
        assert!(
            SigningKey::from_pem(text.as_bytes(), alg).is_err(),
            "{alg:?}"
        );
    }
    // JWKs: the curve must fit, `use: enc` and RSA without alg are unusable.
    let ec = serde_json::to_value(key_for(Algorithm::ES256).public_jwk().unwrap()).unwrap();
    let ec384 = with_member(ec.clone(), "alg", Some(json!("ES384")));
    assert!(matches!(
        VerifyingKey::from_jwk(&ec384).unwrap_err(),
        KeyError::WrongAlgorithm { .. }
    ));
    let enc = with_member(ec.clone(), "use", Some(json!("enc")));
    assert!(matches!(
        VerifyingKey::from_jwk(&enc).unwrap_err(),
        KeyError::UnusableJwk(_)
    ));
    let rsa = serde_json::to_value(key_for(Algorithm::RS256).public_jwk().unwrap()).unwrap();
    let rsa_no_alg = with_member(rsa, "alg", None);
    assert!(matches!(
        VerifyingKey::from_jwk(&rsa_no_alg).unwrap_err(),
        KeyError::UnusableJwk(_)
    ));
    let none = with_member(ec, "alg", Some(json!("none")));
    assert!(matches!(
        VerifyingKey::from_jwk(&none).unwrap_err(),
        KeyError::UnsupportedAlgorithm(_)
    ));
}

// ---------------------------------------------------------------------------------------------
// 6. No panic on any input.
// ---------------------------------------------------------------------------------------------

/// SplitMix64: deterministic, so a failure is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

const TOKEN_CHARS: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \t\"{}:,\\%~";

/// Every entry point that takes a token: all must return `Err` for `token`.
#[track_caller]
fn assert_all_reject(verifier: &Verifier, token: &str) {
    assert!(verifier.verify(token).is_err(), "verify accepted {token:?}");
    assert!(
        verifier.verify_as::<Value>(token).is_err(),
        "verify_as accepted {token:?}"
    );
    assert!(
        verifier.verify_signature(token).is_err(),
        "verify_signature accepted {token:?}"
    );
}

fn mutate(rng: &mut Rng, token: &str) -> String {
    let mut bytes = token.as_bytes().to_vec();
    let rounds = 1 + rng.below(3);
    for _ in 0..rounds {
        let len = bytes.len();
        match rng.below(9) {
            // Flip one character to another token character.
            0 | 1 if len > 0 => {
                let i = rng.below(len);
                bytes[i] = rng.pick(TOKEN_CHARS);
            }
            // Flip a bit (keeping ASCII).
            2 if len > 0 => {
                let i = rng.below(len);
                bytes[i] = (bytes[i] ^ (1 << rng.below(7))) & 0x7f;
            }
            3 => bytes.truncate(rng.below(len + 1)),
            4 => bytes.insert(rng.below(len + 1), b'.'),
            5 if len > 0 => {
                bytes.remove(rng.below(len));
            }
            6 => {
                let start = rng.below(len + 1);
                let end = start + rng.below(len - start + 1);
                let copy = bytes[start..end].to_vec();
                let tail = bytes.split_off(rng.below(len + 1));
                bytes.extend(copy);
                bytes.extend(tail);
            }
            7 => {
                // Swap two of the parts.
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let mut parts: Vec<&str> = text.split('.').collect();
                if parts.len() >= 2 {
                    let (a, b) = (rng.below(parts.len()), rng.below(parts.len()));
                    parts.swap(a, b);
                }
                bytes = parts.join(".").into_bytes();
            }
            _ => {
                let extra = rng.below(8);
                for _ in 0..extra {
                    bytes.push(rng.pick(TOKEN_CHARS));
                }
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn no_panic_on_garbage() {
    let mut rng = Rng(0x5eed_f00d_cafe_beef);
    let ed = key_for(Algorithm::EdDSA);
    let es = key_for(Algorithm::ES256);
    let rs = key_for(Algorithm::RS256);
    let hs = SigningKey::hmac(SECRET, Algorithm::HS256)
        .unwrap()
        .with_kid("k1");
    let keys = [&ed, &es, &rs, &hs];
    let verifiers: Vec<Verifier> = keys.iter().map(|k| verifier(k)).collect();

    // Random strings, mostly from the token alphabet, some from any byte.
    for round in 0..3000 {
        let len = rng.below(if round % 10 == 0 { 2000 } else { 300 });
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                if rng.below(5) == 0 {
                    rng.next() as u8
                } else {
                    rng.pick(TOKEN_CHARS)
                }
            })
            .collect();
        let token = String::from_utf8_lossy(&bytes);
        let verifier = &verifiers[round % verifiers.len()];
        assert_all_reject(verifier, &token);
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_bytes(&[b"Bearer ", &bytes[..]].concat()) {
            headers.insert(AUTHORIZATION, value);
            assert!(verify_headers(verifier, &headers).is_err());
        }
    }

    // Three parts of random base64url, and plausible headers over random payloads and
    // signatures.
    let headers = [
        r#"{"alg":"EdDSA"}"#,
        r#"{"alg":"ES256","kid":"x"}"#,
        r#"{"alg":"RS256","typ":"JWT"}"#,
        r#"{"alg":"HS256","kid":"k1"}"#,
        r#"{"alg":"PS512","crit":[]}"#,
        r#"{"alg":"none"}"#,
        r#"{}"#,
        r#"[]"#,
        "",
    ];
    for round in 0..2000 {
        let header = if round % 2 == 0 {
            b64(rng.pick(&headers))
        } else {
            let len = rng.below(64);
            b64(rng.bytes(len))
        };
        let (plen, slen) = (rng.below(200), rng.pick(&[0, 1, 32, 64, 96, 256, 300]));
        let token = format!("{header}.{}.{}", b64(rng.bytes(plen)), b64(rng.bytes(slen)));
        assert_all_reject(&verifiers[round % verifiers.len()], &token);
    }

    // Mutations of valid tokens.
    for (key, verifier) in keys.iter().zip(&verifiers) {
        let token = sign(key, &header(key), &claims());
        assert!(verifier.verify(&token).is_ok());
        let rounds = if key.algorithm() == Algorithm::RS256 {
            400
        } else {
            800
        };
        for _ in 0..rounds {
            let mutated = mutate(&mut rng, &token);
            if mutated == token {
                continue;
            }
            assert_all_reject(verifier, &mutated);
        }
    }

    // Valid HS256 signatures over mutated header and payload JSON: any outcome but a panic.
    let hs_verifier = hs256_verifier();
    let header_json = r#"{"alg":"HS256","kid":"k1","typ":"at+jwt"}"#;
    let payload_json = claims().to_string();
    for _ in 0..1500 {
        let header = mutate(&mut rng, header_json);
        let payload = mutate(&mut rng, &payload_json);
        let token = hs256_raw(header.as_bytes(), payload.as_bytes());
        let _ = hs_verifier.verify(&token);
        let _ = hs_verifier.verify_as::<Value>(&token);
        let raw: Vec<u8> = {
            let len = rng.below(100);
            rng.bytes(len)
        };
        let token = hs256_raw(&hs256_header(), &raw);
        assert!(hs_verifier.verify(&token).is_err());
    }
}

/// The bearer token of `headers`, verified: what a guard does with a request's headers.
fn verify_headers(
    verifier: &Verifier,
    headers: &HeaderMap,
) -> Result<auth_runtime::Claims, AuthError> {
    verifier.verify(auth_runtime::bearer_token(headers)?)
}
