//! Every key a verifier will use is validated once, when it is loaded, and a key that fails is
//! refused there with its own reason, logged at warn level with its `kid`; the other keys of a
//! set stay usable. One table-driven test per rule (see SECURITY.md, "Key validation").
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use auth_runtime::testing::{self, AUDIENCE, ISSUER};
use auth_runtime::{
    Algorithm, AuthError, ConfigError, KeyError, KeySet, MAX_RSA_BITS, RefusedKey, Verifier,
    VerifyingKey,
};
use serde_json::{Value, json};
use support::{b64, unb64, unhex};

/// An Ed25519 key of RFC 8037 appendix A.1, valid.
const ED_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
/// The P-256 key of RFC 7515 appendix A.3, valid.
const P256_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const P256_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

/// A 2048-bit odd modulus (not a real key: verification only needs it to parse).
fn modulus(bits: usize) -> Vec<u8> {
    let mut n = vec![0xffu8; bits.div_ceil(8)];
    let spare = n.len() * 8 - bits;
    n[0] = 0xff >> spare;
    n
}

fn rsa_jwk(n: &[u8], e: &[u8]) -> Value {
    json!({"kty": "RSA", "alg": "RS256", "kid": "rsa", "n": b64(n), "e": b64(e)})
}

fn ed_jwk(x: &[u8]) -> Value {
    json!({"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": b64(x)})
}

/// Checks each case through the single-JWK entry points (value and text), then all of them
/// in one JWK Set beside a good key: each refused for its reason, the good key kept.
fn check_table(cases: &[(&str, Value, KeyError)]) {
    for (what, jwk, expected) in cases {
        assert_eq!(
            VerifyingKey::from_jwk(jwk).unwrap_err(),
            *expected,
            "{what}: from_jwk"
        );
        assert_eq!(
            VerifyingKey::from_jwk_json(&jwk.to_string()).unwrap_err(),
            *expected,
            "{what}: from_jwk_json"
        );
    }
    let mut keys: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(i, (_, jwk, _))| {
            let mut jwk = jwk.clone();
            jwk["kid"] = json!(format!("bad-{i}"));
            jwk
        })
        .collect();
    keys.push(json!({"kty": "OKP", "crv": "Ed25519", "kid": "good", "x": ED_X}));
    let set = KeySet::from_jwks_json(&json!({ "keys": keys }).to_string(), None).unwrap();
    assert_eq!(set.len(), 1, "only the good key is kept");
    assert!(set.find(Some("good")).is_some());
    let expected: Vec<RefusedKey> = cases
        .iter()
        .enumerate()
        .map(|(i, (_, _, reason))| RefusedKey {
            kid: Some(format!("bad-{i}")),
            reason: reason.clone(),
        })
        .collect();
    assert_eq!(set.refused(), expected.as_slice());
}

#[test]
fn symmetric_keys_never_come_from_a_public_key_or_set() {
    let secret = b64(b"a-shared-secret-of-at-least-32-bytes!!");
    check_table(&[
        (
            "oct with alg",
            json!({"kty": "oct", "alg": "HS256", "k": secret}),
            KeyError::SymmetricKeyInPublicSet,
        ),
        (
            "oct without alg",
            json!({"kty": "oct", "k": secret}),
            KeyError::SymmetricKeyInPublicSet,
        ),
        (
            "oct without k",
            json!({"kty": "oct", "alg": "HS512"}),
            KeyError::SymmetricKeyInPublicSet,
        ),
    ]);
    // Explicit secret configuration takes it, and only it.
    let jwk = json!({"kty": "oct", "alg": "HS256", "kid": "s", "k": secret});
    assert_eq!(
        VerifyingKey::from_secret_jwk(&jwk).unwrap().algorithm(),
        Algorithm::HS256
    );
    assert_eq!(
        VerifyingKey::from_secret_jwk_json(&jwk.to_string())
            .unwrap()
            .kid(),
        Some("s")
    );
    assert!(matches!(
        VerifyingKey::from_secret_jwk(&json!({"kty": "OKP", "crv": "Ed25519", "x": ED_X})),
        Err(KeyError::UnusableJwk(_))
    ));
    // A verifier given only such a set has no key, and says why.
    let only_secret = json!({"keys": [jwk]}).to_string();
    assert_eq!(
        Verifier::builder()
            .jwks_json(only_secret)
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .unwrap_err(),
        ConfigError::NoUsableKeys(vec![RefusedKey {
            kid: Some("s".into()),
            reason: KeyError::SymmetricKeyInPublicSet,
        }])
    );
}

#[test]
fn public_jwks_with_private_members_are_refused() {
    let n = modulus(2048);
    let e = [1u8, 0, 1];
    let rsa = |member: &str, value: Value| {
        let mut jwk = rsa_jwk(&n, &e);
        jwk[member] = value;
        jwk
    };
    let mut cases: Vec<(&str, Value, KeyError)> = ["d", "p", "q", "dp", "dq", "qi", "oth"]
        .into_iter()
        .map(|m| (m, rsa(m, json!(b64([7u8; 32]))), KeyError::PrivateMember(m)))
        .collect();
    cases.push((
        "d: null still counts",
        rsa("d", Value::Null),
        KeyError::PrivateMember("d"),
    ));
    cases.push((
        "k on an RSA key",
        rsa("k", json!("AAAA")),
        KeyError::PrivateMember("k"),
    ));
    let mut ed_private = ed_jwk(&unb64(ED_X));
    ed_private["d"] = json!("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
    cases.push(("Ed25519 with d", ed_private, KeyError::PrivateMember("d")));
    let mut ec_private = json!({"kty": "EC", "crv": "P-256", "x": P256_X, "y": P256_Y});
    ec_private["d"] = json!("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI");
    cases.push(("P-256 with d", ec_private, KeyError::PrivateMember("d")));
    check_table(&cases);
}

#[test]
fn ed25519_keys_of_small_order_or_not_canonical_are_refused() {
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut minus_one = [0xffu8; 32];
    minus_one[0] = 0xec;
    minus_one[31] = 0x7f;
    let order_8 = hex32("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a");
    let mut order_8_negated = order_8;
    order_8_negated[31] |= 0x80;
    // y = p + 1, the identity spelled beyond the field; y = 2^255 - 1 likewise.
    let mut y_p_plus_1 = [0xffu8; 32];
    y_p_plus_1[0] = 0xee;
    y_p_plus_1[31] = 0x7f;
    // The identity with the sign bit of x set: x = 0 has no negative.
    let mut negative_zero = identity;
    negative_zero[31] |= 0x80;
    // y = 2 is not the y of any curve point.
    let mut off_curve = [0u8; 32];
    off_curve[0] = 2;
    check_table(&[
        ("the identity", ed_jwk(&identity), KeyError::SmallOrderPoint),
        ("order 2", ed_jwk(&minus_one), KeyError::SmallOrderPoint),
        ("order 4", ed_jwk(&[0u8; 32]), KeyError::SmallOrderPoint),
        ("order 8", ed_jwk(&order_8), KeyError::SmallOrderPoint),
        (
            "order 8, negated",
            ed_jwk(&order_8_negated),
            KeyError::SmallOrderPoint,
        ),
        (
            "y = p + 1",
            ed_jwk(&y_p_plus_1),
            KeyError::NonCanonicalPoint,
        ),
        (
            "x = -0",
            ed_jwk(&negative_zero),
            KeyError::NonCanonicalPoint,
        ),
        (
            "not on the curve",
            ed_jwk(&off_curve),
            KeyError::PointNotOnCurve { curve: "Ed25519" },
        ),
    ]);
    // The same rules for a key given as DER (SubjectPublicKeyInfo).
    let spki = |x: &[u8; 32]| {
        let mut der = unhex("302a300506032b6570032100");
        der.extend_from_slice(x);
        der
    };
    assert_eq!(
        VerifyingKey::from_der(&spki(&identity), Algorithm::EdDSA).unwrap_err(),
        KeyError::SmallOrderPoint
    );
    let good: [u8; 32] = unb64(ED_X).try_into().unwrap();
    assert!(VerifyingKey::from_der(&spki(&good), Algorithm::EdDSA).is_ok());
}

#[test]
fn ed25519_signatures_are_checked_strictly() {
    let (authority, verifier) = testing::pair(Algorithm::EdDSA);
    let token = authority.issue("ann", ["user"]).unwrap();
    assert!(verifier.verify(&token).is_ok());
    let (input, signature) = token.rsplit_once('.').unwrap();
    let signature = unb64(signature);
    let with = |signature: &[u8]| format!("{input}.{}", b64(signature));
    // S + L: the same signature under a non-canonical S (malleability).
    let l = hex32("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    let mut s_plus_l = signature.clone();
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(s_plus_l[32 + i]) + u16::from(l[i]) + carry;
        s_plus_l[32 + i] = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0);
    // R of small order (the identity) with S = 0: the universal forgery's signature.
    let mut identity_r = [0u8; 64];
    identity_r[0] = 1;
    for (what, forged) in [
        ("S + L", s_plus_l),
        ("R = identity, S = 0", identity_r.to_vec()),
    ] {
        assert_eq!(
            verifier.verify(&with(&forged)).unwrap_err(),
            AuthError::InvalidSignature,
            "{what}"
        );
    }
}

#[test]
fn ec_points_off_their_curve_or_of_another_curve_are_refused() {
    let p256 = |x: &str, y: &str, alg: Option<&str>| {
        let mut jwk = json!({"kty": "EC", "crv": "P-256", "x": x, "y": y});
        if let Some(alg) = alg {
            jwk["alg"] = json!(alg);
        }
        jwk
    };
    let one = b64({
        let mut c = [0u8; 32];
        c[31] = 1;
        c
    });
    let mut flipped_y = unb64(P256_Y);
    flipped_y[31] ^= 1;
    let p384 = json!({"kty": "EC", "crv": "P-384", "alg": "ES256",
        "x": b64([1u8; 48]), "y": b64([2u8; 48])});
    let wrong = |alg: &'static str| KeyError::WrongAlgorithm {
        alg,
        reason: "the JWK's curve is not the algorithm's curve".into(),
    };
    check_table(&[
        (
            "x = y = 1",
            p256(&one, &one, None),
            KeyError::PointNotOnCurve { curve: "P-256" },
        ),
        (
            "y off by one bit",
            p256(P256_X, &b64(&flipped_y), None),
            KeyError::PointNotOnCurve { curve: "P-256" },
        ),
        (
            "P-256 with ES384",
            p256(P256_X, P256_Y, Some("ES384")),
            wrong("ES384"),
        ),
        ("P-384 with ES256", p384, wrong("ES256")),
    ]);
    assert!(VerifyingKey::from_jwk(&p256(P256_X, P256_Y, Some("ES256"))).is_ok());
}

#[test]
fn rsa_keys_need_an_odd_modulus_of_sane_size_and_a_sane_exponent() {
    let e = [1u8, 0, 1];
    let mut even = modulus(2048);
    *even.last_mut().unwrap() = 0xfe;
    let too_large = modulus(MAX_RSA_BITS + 1);
    check_table(&[
        ("even modulus", rsa_jwk(&even, &e), KeyError::RsaModulusEven),
        (
            "8193 bits",
            rsa_jwk(&too_large, &e),
            KeyError::RsaKeyTooLarge {
                bits: MAX_RSA_BITS + 1,
                max: MAX_RSA_BITS,
            },
        ),
        (
            "16384 bits",
            rsa_jwk(&modulus(16_384), &e),
            KeyError::RsaKeyTooLarge {
                bits: 16_384,
                max: MAX_RSA_BITS,
            },
        ),
        (
            "e = 1",
            rsa_jwk(&modulus(2048), &[1]),
            KeyError::RsaExponent,
        ),
        (
            "e = 2",
            rsa_jwk(&modulus(2048), &[2]),
            KeyError::RsaExponent,
        ),
        (
            "e = 0",
            rsa_jwk(&modulus(2048), &[0]),
            KeyError::RsaExponent,
        ),
        (
            "e = 65536",
            rsa_jwk(&modulus(2048), &[1, 0, 0]),
            KeyError::RsaExponent,
        ),
        (
            "e = 2^32 + 1",
            rsa_jwk(&modulus(2048), &[1, 0, 0, 0, 1]),
            KeyError::RsaExponent,
        ),
        (
            "RSA key for ES256",
            json!({"kty": "RSA", "alg": "ES256", "n": b64(modulus(2048)), "e": b64(e)}),
            KeyError::WrongAlgorithm {
                alg: "ES256",
                reason: "a JWK of kty `RSA` cannot hold such a key".into(),
            },
        ),
    ]);
    for (n, e) in [
        (modulus(MAX_RSA_BITS), vec![1u8, 0, 1]),
        (modulus(2048), vec![3]),
        (modulus(4096), vec![0xff, 0xff, 0xff, 0xff]),
    ] {
        assert!(
            VerifyingKey::from_jwk(&rsa_jwk(&n, &e)).is_ok(),
            "{} bits, e = {e:?}",
            n.len() * 8
        );
    }
}

#[test]
fn keys_for_other_uses_are_refused_and_alg_binds() {
    let x = ED_X;
    check_table(&[
        (
            "use enc",
            json!({"kty": "OKP", "crv": "Ed25519", "x": x, "use": "enc"}),
            KeyError::UnusableJwk("key is for use `enc`".into()),
        ),
        (
            "key_ops sign only",
            json!({"kty": "OKP", "crv": "Ed25519", "x": x, "key_ops": ["sign"]}),
            KeyError::UnusableJwk("key_ops does not include `verify`".into()),
        ),
        (
            "Ed25519 for RS256",
            json!({"kty": "OKP", "crv": "Ed25519", "x": x, "alg": "RS256"}),
            KeyError::WrongAlgorithm {
                alg: "RS256",
                reason: "a JWK of kty `OKP` cannot hold such a key".into(),
            },
        ),
    ]);
    let bound = VerifyingKey::from_jwk(
        &json!({"kty": "OKP", "crv": "Ed25519", "x": x, "use": "sig", "key_ops": ["verify"], "alg": "EdDSA"}),
    )
    .unwrap();
    assert_eq!(bound.algorithm(), Algorithm::EdDSA);
}

/// Collects what a `tracing` subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn each_refused_key_is_logged_at_warn_with_its_kid_and_reason() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let jwks = json!({"keys": [
        {"kty": "oct", "alg": "HS256", "kid": "leaked-secret", "k": b64([7u8; 32])},
        {"kty": "OKP", "crv": "Ed25519", "kid": "small-order", "x": b64(identity)},
        {"kty": "OKP", "crv": "Ed25519", "kid": "good", "x": ED_X},
    ]});
    let set = tracing::subscriber::with_default(subscriber, || {
        KeySet::from_jwks_json(&jwks.to_string(), None).unwrap()
    });
    assert_eq!(set.len(), 1);
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    for (line, kid, reason) in [
        (lines[0], "leaked-secret", KeyError::SymmetricKeyInPublicSet),
        (lines[1], "small-order", KeyError::SmallOrderPoint),
    ] {
        assert!(line.contains(" WARN "), "{line}");
        assert!(line.contains(&format!("kid=\"{kid}\"")), "{line}");
        assert!(line.contains(&reason.to_string()), "{line}");
    }
}

/// 32 bytes from hex text.
fn hex32(text: &str) -> [u8; 32] {
    unhex(text).try_into().unwrap()
}
