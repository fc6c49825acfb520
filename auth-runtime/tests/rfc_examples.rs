//! The worked examples of RFC 7515 appendix A and RFC 8037 appendix A, verified with the exact
//! tokens and keys printed in the RFCs, at a fixed instant.
//!
//! - A.1 HS256, A.2 RS256, A.3 ES256: the same claims (`iss` "joe", `exp` 1300819380,
//!   `http://example.com/is_root` true) verify before `exp` and are `Expired` after
//!   `exp` + leeway.
//! - A.4 ES512 is not supported: rejected as `UnsupportedAlgorithm`.
//! - A.5 (`alg: none`) is rejected in every casing, with or without a signature.
//! - RFC 8037 A.4 Ed25519 signs a sentence, not a claim set: checked with `verify_signature`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod support;

use auth_runtime::{
    Algorithm, AuthError, DEFAULT_LEEWAY, FixedClock, KeyError, Verifier, VerifyingKey,
};
use serde_json::{Value, json};
use support::{b64, signature_bytes, unb64};

/// `exp` of the RFC 7515 example claims.
const EXP: u64 = 1_300_819_380;
/// An instant ten seconds before `exp`.
const BEFORE_EXP: u64 = 1_300_819_370;

/// The payload of A.1, A.2, A.3 and A.5: `{"iss":"joe",\r\n "exp":1300819380,\r\n
/// "http://example.com/is_root":true}`.
const CLAIMS_B64: &str = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";

// ----- RFC 7515 A.1: HMAC SHA-256 -----

/// A.1.1's JWK (`kty` `oct`); the RFC gives no `alg`.
const A1_K: &str =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
/// A.1.1's token; header `{"typ":"JWT",\r\n "alg":"HS256"}`.
const A1_TOKEN: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

// ----- RFC 7515 A.2: RSASSA-PKCS1-v1_5 SHA-256 -----

/// A.2.1's public key (`n`, `e`); the RFC gives no `alg`.
const A2_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
const A2_E: &str = "AQAB";
/// A.2.1's token; header `{"alg":"RS256"}`.
const A2_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

// ----- RFC 7515 A.3: ECDSA P-256 SHA-256 -----

/// A.3.1's public key (`crv` P-256, `x`, `y`).
const A3_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const A3_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
/// A.3.1's token; header `{"alg":"ES256"}`.
const A3_TOKEN: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

// ----- RFC 7515 A.4: ECDSA P-521 SHA-512 (not supported) -----

/// A.4.1's public key (`crv` P-521).
const A4_X: &str =
    "AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk";
const A4_Y: &str =
    "ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2";
/// A.4.1's token; header `{"alg":"ES512"}`, payload `Payload`.
const A4_TOKEN: &str = "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA.AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn";

// ----- RFC 7515 A.5: unsecured JWS -----

/// A.5's token; header `{"alg":"none"}`, empty signature.
const A5_TOKEN: &str = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.";

// ----- RFC 8037 A.1 and A.4: Ed25519 -----

/// A.1's public key `x`.
const ED_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
/// A.4's token; header `{"alg":"EdDSA"}`, payload `Example of Ed25519 signing`.
const ED_TOKEN: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
const ED_PAYLOAD: &[u8] = b"Example of Ed25519 signing";

fn a1_key() -> VerifyingKey {
    // The RFC's JWK has no `alg`; an `oct` key is bound to one algorithm only when it says so.
    // A secret is only taken from explicit secret configuration, never as a public JWK.
    VerifyingKey::from_secret_jwk(&json!({"kty": "oct", "alg": "HS256", "k": A1_K}))
        .expect("the RFC 7515 A.1 key is a valid HS256 key")
}

fn a2_key() -> VerifyingKey {
    VerifyingKey::from_jwk_with_default(
        &json!({"kty": "RSA", "n": A2_N, "e": A2_E}),
        Some(Algorithm::RS256),
    )
    .expect("the RFC 7515 A.2 key is a valid 2048-bit RSA key")
}

fn a3_key() -> VerifyingKey {
    VerifyingKey::from_jwk(&json!({"kty": "EC", "crv": "P-256", "x": A3_X, "y": A3_Y}))
        .expect("the RFC 7515 A.3 key is a valid P-256 key")
}

fn ed_key() -> VerifyingKey {
    VerifyingKey::from_jwk(&json!({"kty": "OKP", "crv": "Ed25519", "x": ED_X}))
        .expect("the RFC 8037 A.1 key is a valid Ed25519 key")
}

/// A verifier for the RFC claims: issuer "joe", any audience, clock at `now`.
fn verifier_at(key: VerifyingKey, now: u64) -> Verifier {
    Verifier::builder()
        .key(key)
        .clock(FixedClock(now))
        .issuer("joe")
        .any_audience()
        .build()
        .expect("a verifier with one key, issuer joe, any audience")
}

/// Flips the low bit of signature byte `index`.
fn with_signature_byte_flipped(token: &str, index: usize) -> String {
    let (signing_input, _) = token.rsplit_once('.').expect("a compact JWS");
    let mut bytes = signature_bytes(token);
    bytes[index] ^= 0x01;
    format!("{signing_input}.{}", b64(bytes))
}

fn signature_len(token: &str) -> usize {
    signature_bytes(token).len()
}

/// Verifies one of A.1-A.3 before `exp`, checks its claims, then checks expiry and tampering.
fn check_rfc7515_example(key: fn() -> VerifyingKey, token: &str, alg: Algorithm) {
    let verifier = verifier_at(key(), BEFORE_EXP);
    let claims = verifier
        .verify(token)
        .unwrap_or_else(|e| panic!("the RFC example verifies before exp: {e}"));
    assert_eq!(claims.iss.as_deref(), Some("joe"));
    assert_eq!(claims.exp, EXP);
    assert_eq!(claims.sub, None);
    assert!(claims.aud.is_empty());
    assert_eq!(
        claims.extra["http://example.com/is_root"],
        Value::Bool(true)
    );
    assert_eq!(claims.extra.len(), 1, "only is_root is an extra claim");

    let jws = verifier
        .verify_signature(token)
        .expect("the signature layer accepts the RFC example");
    assert_eq!(jws.header.alg, alg);
    assert_eq!(jws.header.kid, None);
    assert_eq!(jws.payload, unb64(CLAIMS_B64));

    // `exp` is honoured: still valid just inside the leeway, expired from exp + leeway on.
    let leeway = DEFAULT_LEEWAY.as_secs();
    assert!(verifier_at(key(), EXP + leeway - 1).verify(token).is_ok());
    assert_eq!(
        verifier_at(key(), EXP + leeway).verify(token).unwrap_err(),
        AuthError::Expired
    );
    assert_eq!(
        verifier_at(key(), EXP + 3600).verify(token).unwrap_err(),
        AuthError::Expired
    );

    // Another issuer is refused.
    let elsewhere = Verifier::builder()
        .key(key())
        .clock(FixedClock(BEFORE_EXP))
        .issuer("not-joe")
        .any_audience()
        .build()
        .expect("a verifier");
    assert_eq!(
        elsewhere.verify(token).unwrap_err(),
        AuthError::InvalidIssuer
    );

    // One changed signature byte, or one changed payload character, breaks the signature.
    for index in [0, signature_len(token) / 2, signature_len(token) - 1] {
        let forged = with_signature_byte_flipped(token, index);
        assert_eq!(
            verifier.verify(&forged).unwrap_err(),
            AuthError::InvalidSignature,
            "signature byte {index} changed"
        );
    }
    let mut parts: Vec<&str> = token.split('.').collect();
    let tampered_claims = CLAIMS_B64.replacen("eyJpc3MiOiJqb2Ui", "eyJpc3MiOiJqb2Ij", 1);
    parts[1] = &tampered_claims;
    assert_eq!(
        verifier.verify(&parts.join(".")).unwrap_err(),
        AuthError::InvalidSignature
    );
}

#[test]
fn rfc7515_a1_hs256() {
    check_rfc7515_example(a1_key, A1_TOKEN, Algorithm::HS256);
    let jws = verifier_at(a1_key(), BEFORE_EXP)
        .verify_signature(A1_TOKEN)
        .expect("valid");
    assert_eq!(jws.header.typ.as_deref(), Some("JWT"));
}

#[test]
fn rfc7515_a1_jwk_without_alg_is_not_bound_to_an_algorithm() {
    // The RFC prints the key as {"kty":"oct","k":...}: with no `alg`, an HMAC secret could
    // serve HS256, HS384 or HS512, so it is refused rather than guessed.
    assert!(matches!(
        VerifyingKey::from_secret_jwk(&json!({"kty": "oct", "k": A1_K})),
        Err(KeyError::UnusableJwk(_))
    ));
    // As a public JWK, it is refused whatever its `alg`: a secret in a public key.
    for jwk in [
        json!({"kty": "oct", "k": A1_K}),
        json!({"kty": "oct", "alg": "HS256", "k": A1_K}),
    ] {
        assert_eq!(
            VerifyingKey::from_jwk(&jwk).unwrap_err(),
            KeyError::SymmetricKeyInPublicSet
        );
    }
}

#[test]
fn rfc7515_a1_secret_loaded_directly() {
    let secret = unb64(A1_K);
    assert_eq!(secret.len(), 64);
    let key = VerifyingKey::hmac(&secret, Algorithm::HS256).expect("a 64-byte HS256 secret");
    let claims = verifier_at(key, BEFORE_EXP)
        .verify(A1_TOKEN)
        .expect("the RFC example verifies");
    assert_eq!(claims.iss.as_deref(), Some("joe"));
}

#[test]
fn rfc7515_a2_rs256() {
    check_rfc7515_example(a2_key, A2_TOKEN, Algorithm::RS256);
}

#[test]
fn rfc7515_a2_key_with_another_rsa_algorithm_is_refused() {
    // The same RSA key bound to PS256 does not accept an RS256 token (RFC 8725 section 3.1).
    let ps256 =
        VerifyingKey::from_jwk(&json!({"kty": "RSA", "alg": "PS256", "n": A2_N, "e": A2_E}))
            .expect("a PS256 key");
    assert!(matches!(
        verifier_at(ps256, BEFORE_EXP).verify(A2_TOKEN),
        Err(AuthError::AlgorithmMismatch { .. })
    ));
}

#[test]
fn rfc7515_a3_es256() {
    check_rfc7515_example(a3_key, A3_TOKEN, Algorithm::ES256);
}

#[test]
fn tokens_are_refused_by_keys_of_other_algorithms() {
    for (key, token) in [
        (a1_key(), A2_TOKEN),
        (a2_key(), A3_TOKEN),
        (a3_key(), A1_TOKEN),
    ] {
        assert!(matches!(
            verifier_at(key, BEFORE_EXP).verify(token),
            Err(AuthError::AlgorithmMismatch { .. })
        ));
    }
}

#[test]
fn rfc7515_a4_es512_is_unsupported() {
    // No verifier accepts ES512, whatever key it holds: the header is refused before any key
    // is looked up.
    for key in [a1_key(), a2_key(), a3_key(), ed_key()] {
        assert_eq!(
            verifier_at(key, BEFORE_EXP)
                .verify_signature(A4_TOKEN)
                .unwrap_err(),
            AuthError::UnsupportedAlgorithm("ES512".into())
        );
    }
    // Nor is A.4's P-521 key usable: without `alg` it is not bound to a supported algorithm,
    // and with `alg` ES512 the algorithm itself is unsupported.
    let p521 = json!({"kty": "EC", "crv": "P-521", "x": A4_X, "y": A4_Y});
    assert!(VerifyingKey::from_jwk(&p521).is_err());
    let mut with_alg = p521;
    with_alg["alg"] = json!("ES512");
    assert_eq!(
        VerifyingKey::from_jwk(&with_alg).unwrap_err(),
        KeyError::UnsupportedAlgorithm("ES512".into())
    );
}

#[test]
fn rfc7515_a5_unsecured_jws_is_rejected() {
    let header = |alg: &str| b64(json!({ "alg": alg }).to_string());
    assert_eq!(header("none"), "eyJhbGciOiJub25lIn0");

    let (_, a1_signature) = A1_TOKEN.rsplit_once('.').expect("a compact JWS");
    let mut tokens = vec![A5_TOKEN.to_owned(), format!("{A5_TOKEN}{a1_signature}")];
    for alg in ["None", "NONE", "nOnE"] {
        let unsigned = format!("{}.{CLAIMS_B64}.", header(alg));
        tokens.push(format!("{unsigned}{a1_signature}"));
        tokens.push(unsigned);
    }
    for key in [a1_key(), a2_key(), a3_key(), ed_key()] {
        let verifier = verifier_at(key, BEFORE_EXP);
        for token in &tokens {
            for result in [
                verifier.verify_signature(token).map(|_| ()),
                verifier.verify(token).map(|_| ()),
            ] {
                assert!(
                    matches!(result, Err(AuthError::UnsupportedAlgorithm(_))),
                    "{token}: {result:?}"
                );
            }
        }
    }
}

#[test]
fn rfc8037_a4_ed25519() {
    let verifier = verifier_at(ed_key(), BEFORE_EXP);
    let jws = verifier
        .verify_signature(ED_TOKEN)
        .expect("the RFC 8037 example verifies");
    assert_eq!(jws.header.alg, Algorithm::EdDSA);
    assert_eq!(jws.payload, ED_PAYLOAD);

    // The payload is a sentence, not a claim set: `verify` refuses it after the signature.
    assert!(matches!(
        verifier.verify(ED_TOKEN),
        Err(AuthError::Malformed(_))
    ));

    // Changing any one byte of the signature breaks it.
    let len = signature_len(ED_TOKEN);
    assert_eq!(len, 64);
    for index in 0..len {
        let forged = with_signature_byte_flipped(ED_TOKEN, index);
        assert_eq!(
            verifier.verify_signature(&forged).unwrap_err(),
            AuthError::InvalidSignature,
            "signature byte {index} changed"
        );
    }
    // And so does a changed payload.
    let other = format!(
        "eyJhbGciOiJFZERTQSJ9.{}.{}",
        b64(b"Example of Ed25519 signinG"),
        ED_TOKEN.rsplit_once('.').expect("a compact JWS").1
    );
    assert_eq!(
        verifier.verify_signature(&other).unwrap_err(),
        AuthError::InvalidSignature
    );
}
