//! Issuing round trips: `Authority` -> token -> `Verifier` for every algorithm, through the
//! authority's own keys and through its published JWK Set; key rotation and retirement; keys
//! loaded from PEM and DER.
//!
//! Run with `cargo test -p auth-runtime --features testing --test round_trip`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::OnceLock;
use std::time::Duration;

use auth_runtime::{
    Algorithm, AuthError, Authority, ConfigError, FixedClock, SigningKey, Verifier, VerifyingKey,
};
use serde_json::{Value, json};
use support::{header_of, pem_body};

const ISSUER: &str = "https://auth.example.com";
const AUDIENCE: &str = "reports";
/// The authority's clock: tokens are issued at this instant.
const NOW: u64 = 1_750_000_000;
const LIFETIME: u64 = 600;

/// Members of a private JWK (RFC 7518 section 6): none may ever be published.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

fn is_rsa(alg: Algorithm) -> bool {
    use Algorithm::*;
    matches!(alg, RS256 | RS384 | RS512 | PS256 | PS384 | PS512)
}

/// One generated RSA key (RS256) for the whole test binary: RSA key generation takes seconds
/// in debug builds, much more with the pure-Rust backend.
fn generated_rsa() -> SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate(Algorithm::RS256).unwrap())
        .clone()
}

/// A key for `alg`: freshly generated, except for RSA, where RS256 uses [`generated_rsa`] and
/// the other RSA algorithms the PEM test key below.
fn key_for(alg: Algorithm) -> SigningKey {
    match alg {
        Algorithm::RS256 => generated_rsa(),
        _ if is_rsa(alg) => SigningKey::from_pem(RSA_PRIVATE_PKCS8.as_bytes(), alg).unwrap(),
        _ => SigningKey::generate(alg).unwrap(),
    }
}

fn authority(key: SigningKey) -> Authority {
    Authority::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .lifetime(Duration::from_secs(LIFETIME))
        .clock(FixedClock(NOW))
        .signing_key(key)
        .build()
        .unwrap()
}

/// A verifier trusting exactly the keys of `jwks`, a moment after the tokens were issued.
fn from_jwks(jwks: &str) -> Verifier {
    Verifier::builder()
        .jwks_json(jwks)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .clock(FixedClock(NOW + 1))
        .build()
        .unwrap()
}

fn issue(authority: &Authority, subject: &str) -> String {
    authority
        .token(subject)
        .roles(["admin", "auditor"])
        .scopes(["reports:read", "reports:write"])
        .claim("tenant", "acme")
        .claim("limits", json!({"daily": 100}))
        .issue()
        .unwrap()
}

#[derive(serde::Deserialize)]
struct Mine {
    sub: String,
    tenant: String,
    roles: Vec<String>,
    exp: u64,
}

#[test]
fn every_algorithm_round_trips_with_every_registered_claim() {
    for alg in Algorithm::ALL {
        let name = alg.name();
        let authority = authority(key_for(alg));
        let verifier = authority
            .verifier()
            .clock(FixedClock(NOW + 1))
            .build()
            .unwrap();
        let first = issue(&authority, "alice");
        let second = issue(&authority, "bob");

        let claims = verifier.verify(&first).unwrap();
        assert_eq!(claims.iss.as_deref(), Some(ISSUER), "{name}");
        assert_eq!(claims.sub.as_deref(), Some("alice"), "{name}");
        assert_eq!(claims.aud.0, vec![AUDIENCE.to_owned()], "{name}");
        assert!(claims.aud.contains(AUDIENCE));
        assert_eq!(claims.iat, Some(NOW), "{name}");
        assert_eq!(claims.nbf, Some(NOW), "{name}");
        assert_eq!(claims.exp, NOW + LIFETIME, "{name}");
        assert_eq!(claims.exp - claims.iat.unwrap(), LIFETIME, "{name}");
        assert_eq!(
            claims.exp - claims.iat.unwrap(),
            authority.lifetime().as_secs()
        );
        let jti = claims.jti.clone().unwrap();
        assert!(jti.len() >= 16, "{name}: jti {jti:?}");
        assert_eq!(claims.roles, ["admin", "auditor"], "{name}");
        assert!(claims.has_role("admin") && !claims.has_role("user"));
        assert_eq!(claims.scopes, ["reports:read", "reports:write"], "{name}");
        assert!(claims.has_scope("reports:write"));
        assert_eq!(claims.extra["tenant"], "acme", "{name}");
        assert_eq!(claims.extra["limits"], json!({"daily": 100}), "{name}");

        let other = verifier.verify(&second).unwrap();
        assert_eq!(other.sub.as_deref(), Some("bob"));
        assert_ne!(other.jti, claims.jti, "{name}: jti must differ");
        assert_ne!(first, second);

        // The header: the signing key's algorithm and kid, and the RFC 9068 type.
        let jws = verifier.verify_signature(&first).unwrap();
        assert_eq!(jws.header.alg, alg, "{name}");
        assert_eq!(
            jws.header.kid.as_deref(),
            Some(authority.signing_kid().as_str()),
            "{name}"
        );
        assert_eq!(jws.header.typ.as_deref(), Some("at+jwt"), "{name}");
        assert_eq!(header_of(&first)["alg"], name);
        let payload: Value = serde_json::from_slice(&jws.payload).unwrap();
        assert_eq!(payload["sub"], "alice");

        // Into the caller's own type.
        let mine: Mine = verifier.verify_as(&first).unwrap();
        assert_eq!(
            (mine.sub.as_str(), mine.tenant.as_str(), mine.exp),
            ("alice", "acme", NOW + LIFETIME)
        );
        assert_eq!(mine.roles, ["admin", "auditor"]);

        // And the lifetime is real: expired once past it and the leeway.
        let late = authority
            .verifier()
            .clock(FixedClock(NOW + LIFETIME + 60))
            .build()
            .unwrap();
        assert_eq!(late.verify(&first), Err(AuthError::Expired), "{name}");
    }
}

#[test]
fn the_published_jwks_alone_verifies_and_holds_no_private_member() {
    for alg in Algorithm::ALL {
        let name = alg.name();
        let authority = authority(key_for(alg));
        let token = issue(&authority, "alice");
        let jwks = authority.jwks().to_json();
        let document: Value = serde_json::from_str(&jwks).unwrap();
        let keys = document["keys"].as_array().unwrap();

        if alg.is_hmac() {
            // A shared secret is never published, so there is nothing to verify with.
            assert!(keys.is_empty(), "{name}: {jwks}");
            let error = Verifier::builder()
                .jwks_json(jwks)
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .build()
                .unwrap_err();
            assert_eq!(error, ConfigError::NoKeys);
            continue;
        }

        assert_eq!(keys.len(), 1, "{name}: {jwks}");
        let jwk = keys[0].as_object().unwrap();
        for member in PRIVATE_MEMBERS {
            assert!(!jwk.contains_key(member), "{name}: `{member}` in {jwks}");
        }
        let kty = match alg {
            Algorithm::ES256 | Algorithm::ES384 => "EC",
            Algorithm::EdDSA => "OKP",
            _ => "RSA",
        };
        assert_eq!(jwk["kty"], kty, "{name}");
        assert_eq!(jwk["alg"], name, "{name}");
        assert_eq!(jwk["use"], "sig", "{name}");
        assert_eq!(jwk["kid"], authority.signing_kid().as_str(), "{name}");

        let verifier = from_jwks(&jwks);
        let claims = verifier.verify(&token).unwrap();
        assert_eq!(claims.sub.as_deref(), Some("alice"));
        assert_eq!(claims.roles, ["admin", "auditor"]);
        // The same claims as through the authority's own keys.
        let direct = authority
            .verifier()
            .clock(FixedClock(NOW + 1))
            .build()
            .unwrap();
        assert_eq!(direct.verify(&token).unwrap(), claims, "{name}");

        // One JWK on its own, too.
        let key = VerifyingKey::from_jwk(&keys[0]).unwrap();
        assert_eq!(key.kid(), Some(authority.signing_kid().as_str()));
        assert_eq!(key.algorithm(), alg);
        let verifier = Verifier::builder()
            .key(key)
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .clock(FixedClock(NOW + 1))
            .build()
            .unwrap();
        assert!(verifier.verify(&token).is_ok(), "{name}");
    }
}

/// Key A signs token 1, B is rotated in and signs token 2; retiring A invalidates token 1 only.
fn rotation(a: SigningKey, b: SigningKey, verifier_of: impl Fn(&Authority) -> Verifier) {
    let (kid_a, kid_b) = (a.kid().to_owned(), b.kid().to_owned());
    assert_ne!(kid_a, kid_b);
    let authority = authority(a.clone());
    let token1 = issue(&authority, "alice");
    assert_eq!(header_of(&token1)["kid"], kid_a.as_str());

    authority.rotate(b).unwrap();
    assert_eq!(authority.signing_kid(), kid_b);
    let token2 = issue(&authority, "alice");
    assert_eq!(header_of(&token2)["kid"], kid_b.as_str());

    // Both keys are published: both tokens verify.
    let both = verifier_of(&authority);
    assert!(both.verify(&token1).is_ok());
    assert!(both.verify(&token2).is_ok());
    assert_eq!(
        both.verify_signature(&token1).unwrap().header.kid,
        Some(kid_a.clone())
    );
    assert_eq!(
        both.verify_signature(&token2).unwrap().header.kid,
        Some(kid_b.clone())
    );

    // The signing key cannot be retired; unknown kids are not retired; a kid is not reused.
    assert!(!authority.retire(&kid_b));
    assert!(!authority.retire("no-such-kid"));
    assert_eq!(
        authority.rotate(a).unwrap_err(),
        ConfigError::DuplicateKid(kid_a.clone())
    );
    assert_eq!(authority.signing_kid(), kid_b);

    assert!(authority.retire(&kid_a));
    assert!(!authority.retire(&kid_a), "already retired");
    let after = verifier_of(&authority);
    assert_eq!(after.verify(&token1), Err(AuthError::UnknownKey));
    assert!(after.verify(&token2).is_ok());
    // A verifier is a snapshot: the one built before the retirement keeps its keys.
    assert!(both.verify(&token1).is_ok());
    // New tokens keep coming from B.
    let token3 = issue(&authority, "carol");
    assert_eq!(after.verify(&token3).unwrap().sub.as_deref(), Some("carol"));
}

#[test]
fn rotation_through_the_published_jwks() {
    let by_jwks = |authority: &Authority| {
        let jwks = authority.jwks();
        assert!(jwks.keys.iter().all(|k| k.kid.is_some()));
        from_jwks(&jwks.to_json())
    };
    for (a, b) in [
        (Algorithm::ES256, Algorithm::ES256),
        (Algorithm::EdDSA, Algorithm::EdDSA),
        // Changing the algorithm with the key.
        (Algorithm::ES256, Algorithm::EdDSA),
        (Algorithm::EdDSA, Algorithm::ES384),
    ] {
        rotation(
            SigningKey::generate(a).unwrap(),
            SigningKey::generate(b).unwrap(),
            by_jwks,
        );
    }
    // RSA: the generated key, then the PEM one; then the PEM key again, bound to PS256 (a key
    // is bound to one algorithm, so it is published as a second key with its own kid).
    let pem = |alg| SigningKey::from_pem(RSA_PRIVATE_PKCS8.as_bytes(), alg).unwrap();
    rotation(generated_rsa(), pem(Algorithm::RS256), by_jwks);
    rotation(
        pem(Algorithm::RS256),
        pem(Algorithm::PS256).with_kid("pem-ps256"),
        by_jwks,
    );
    // The JWKS has both keys between rotate and retire, then one.
    let authority = authority(SigningKey::generate(Algorithm::EdDSA).unwrap());
    assert_eq!(authority.jwks().keys.len(), 1);
    let old = authority.signing_kid();
    authority
        .rotate(SigningKey::generate(Algorithm::EdDSA).unwrap())
        .unwrap();
    assert_eq!(authority.jwks().keys.len(), 2);
    assert!(authority.retire(&old));
    assert_eq!(authority.jwks().keys.len(), 1);
    assert_eq!(
        authority.jwks().keys[0].kid.as_deref(),
        Some(authority.signing_kid().as_str())
    );
}

#[test]
fn rotation_of_hmac_secrets_through_the_authority_verifier() {
    let by_authority = |authority: &Authority| {
        authority
            .verifier()
            .clock(FixedClock(NOW + 1))
            .build()
            .unwrap()
    };
    rotation(
        SigningKey::generate(Algorithm::HS256).unwrap(),
        SigningKey::generate(Algorithm::HS512).unwrap(),
        by_authority,
    );
    rotation(
        SigningKey::generate(Algorithm::ES384).unwrap(),
        SigningKey::generate(Algorithm::ES256).unwrap(),
        by_authority,
    );
}

#[test]
fn a_previous_key_can_be_published_from_the_start() {
    let old = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let new = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let before = authority(old.clone());
    let token = issue(&before, "alice");
    let after = Authority::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .clock(FixedClock(NOW))
        .published_key(old.clone())
        .signing_key(new.clone())
        .build()
        .unwrap();
    assert_eq!(after.signing_kid(), new.kid());
    let verifier = from_jwks(&after.jwks().to_json());
    assert!(verifier.verify(&token).is_ok());
    assert!(verifier.verify(&issue(&after, "bob")).is_ok());
    assert_eq!(
        Authority::builder()
            .issuer(ISSUER)
            .published_key(old.clone())
            .signing_key(old)
            .build()
            .unwrap_err(),
        ConfigError::DuplicateKid(before.signing_kid())
    );
}

// ---------------------------------------------------------------------------------------------
// Keys from PEM and DER. Generated once with `openssl genpkey` (RSA 2048, P-256, P-384,
// Ed25519) for these tests only; the private halves are public, never use them elsewhere.
// ---------------------------------------------------------------------------------------------

/// RSA 2048, PKCS#8 (`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`), shared
/// with security_floor.rs.
const RSA_PRIVATE_PKCS8: &str = include_str!("fixtures/rsa_2048_pkcs8.pem");

/// The same key, PKCS#1 (`openssl rsa -traditional`).
const RSA_PRIVATE_PKCS1: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAx2IUzmX6WX0BIDXIADJzzHeFANiwwxSlxoG+9OQCL98Z9IWK
5cKAxm77Uj9fw+X1CwIVBX8jfBY1fhI46zcHrNgVfLva6izXJ7QSMNYW5UAqdLBR
652G1YuMB+jTelAltRHPfR1pB4PGmoWPWG8H78kyHYJTX0PZoR2b3X/LyV+W4u1Y
pdRYvzNJe/xLy5G840jGtgKs4RAwOV8fxa9KY2lwENiyb6d/RPYVebu830V8147g
Ax13qViII9WNZBjCvBYHRWzh9Q1QSgWyv0NBbDi+FuK9Hg3HFT7NRkFSQMQPzYlh
sWkow3djhEtySfUvDR90L9oaDDllBp65x/DXUQIDAQABAoIBADHbDS/VISYqU1M+
D345H2qTwk7FYGHPcmpyPBEZSJC23VMe523vVmsIClD1Jtmh0UXI5f/DXFilZwfY
v6HVV1Z5i9nuUV24C67SYLAUgJIfmt4lzr43XCVeqQu7RNIzY1JlGziCV6Z45Xrz
BbaLwPTNHvpxAa7zFOKsODLJR2hZTQnRBzAeDREK6dYKI/qTyC5X1cOvE4/umKMK
um20xPaOPYzpiYZBT2+aeq4/4H5wshMADNBLYhGhLe1bT4Yom0LT1fpJqlnb+lvI
+gbriYlOlMvMq8jEmnsYGKJv6ElCSMrhKNnPrNfabn6fHCnUk3cgRf1vlXry25Ha
hNzgQd8CgYEA7g+3DVpCu0W4JMiY5gkwRjRt6ef1sK56uSVCZqCQpFOPPhn57MtC
wFqrWkR5zU4LRITGAhm/xDqrl3GQ/VmjlW9CqDgHRuEUxLypPT38klbKnn4uHVu5
kKjGU+T1X3ZCwa2yRhQSB5NXMhGl/vkDTZo5iflzfPbzQkKSukKjTCcCgYEA1mg/
4MDQP1BBelbkjJ9iVZop7g0ILXna7wEATtEyck1iBBzEWVcloZo9csxNcfbT59xm
2ARPcMJFYCIHf9t3OYJsDXtdBP4UbSf4qbbVf3Kojf0lQ0OhlzJjV58CZ+tvOOhY
VaBI3Vm40bWrXdpbaH60UHX412v0Cy590m4wU8cCgYEA3GLCBON9iZ9GlQ77tWHm
Ref9pSAvbGxqgoJC0X1tyiLtJgGoRJX7atXFciCYXf8VIU6FfKZXyJLEDcR+BHz6
mrnQjKip2+09a9B4IJEFBHjCxS1tBZLH3GrSiBIbMk/qByEFPCkSc97sRxbdhIkE
jM/s2pWLW7HGi53T9gkA4dsCgYALUCDeuQ3D6XYrAF661MYZgjLoLqPZ0m4s4j6j
6gHhahfb47CwjhqcNkk7v2/urXls6II8r62JY5bJhcIjiu71h94vr+yukMF/KPbD
7bPCL8iZBVxr+iuSkMQRIYC8/v01YX0Xt4dgtpU763wJTbY5A0Z8YF0q8LVFycQ1
0D6YjQKBgFpDmPKIe+QOCCiB5StJ9ZpFdvWArJnTK/JS1oYoxG93XK2wEMoTbt7b
FO0u/vmgf2SmLV/9Y/j0yVMC7gtAprfbMd/0KBC6CD+O8O/HcLJOZqObjCjaJb9S
SnxPhBZJbPoiEdQqtxqNOAtaWdfnCn9pDITfULwglscgsVLzklBC
-----END RSA PRIVATE KEY-----
";

/// Its public key, SubjectPublicKeyInfo (`openssl pkey -pubout`).
const RSA_PUBLIC_SPKI: &str = include_str!("fixtures/rsa_2048_spki.pem");

/// Its public key, PKCS#1 (`openssl rsa -RSAPublicKey_out`).
const RSA_PUBLIC_PKCS1: &str = include_str!("fixtures/rsa_2048_pkcs1_public.pem");

/// EC P-256, PKCS#8.
const EC_P256_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgQ1Ekq+tLbGE4aaxV
82lfqx+xEnA4cqNSBGZ8KFzXNTqhRANCAATjF6gBGQaRB82kBJvp7KXXvzv+wd7i
8wTCDWDOPcfuZewXa0e+Po2EKIzIo6E9lZIfTtLWyjJ3t0r6zsaL5ceD
-----END PRIVATE KEY-----
";

const EC_P256_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE4xeoARkGkQfNpASb6eyl1787/sHe
4vMEwg1gzj3H7mXsF2tHvj6NhCiMyKOhPZWSH07S1soyd7dK+s7Gi+XHgw==
-----END PUBLIC KEY-----
";

/// EC P-384, PKCS#8.
const EC_P384_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDBw1H0jrvc/ddmp8IV/
QH3yOUxlUDcwZhlmYRDlphnre5FagxkPJ9ffkVRsEaB64zyhZANiAASXmgyBO4UZ
9dTOxiqdAUaPAWmXfRbm/AE/VbyMocbo6iq0No6FzYPtWvZ5XMOvWmGPpOeaDQsf
PGZrCnXV3h+U7eBV8zDd78vlDGI5KVFG26aMhGX3UEzR1K8M4NyU3+o=
-----END PRIVATE KEY-----
";

const EC_P384_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEl5oMgTuFGfXUzsYqnQFGjwFpl30W5vwB
P1W8jKHG6OoqtDaOhc2D7Vr2eVzDr1phj6Tnmg0LHzxmawp11d4flO3gVfMw3e/L
5QxiOSlRRtumjIRl91BM0dSvDODclN/q
-----END PUBLIC KEY-----
";

/// Ed25519, PKCS#8.
const ED25519_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIOPUMpbkQekWSAfPK6sxSgTU788yl1UHNOtuwlqRyx3b
-----END PRIVATE KEY-----
";

const ED25519_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAzTHaOJb7POEOWMkEAVvlYxGoN6SR2QEE5E3K/neKaRw=
-----END PUBLIC KEY-----
";

struct PemKey {
    algs: &'static [Algorithm],
    private: &'static [&'static str],
    /// Of the PKCS#8 private key, if there is one.
    pkcs8: Option<&'static str>,
    public: &'static [&'static str],
    /// RFC 7638 thumbprint of the public key, computed with openssl and Python's hashlib.
    thumbprint: &'static str,
}

fn pem_keys() -> [PemKey; 4] {
    use Algorithm::*;
    [
        PemKey {
            algs: &[RS256, RS384, RS512, PS256, PS384, PS512],
            private: &[RSA_PRIVATE_PKCS8, RSA_PRIVATE_PKCS1],
            pkcs8: Some(RSA_PRIVATE_PKCS8),
            public: &[RSA_PUBLIC_SPKI, RSA_PUBLIC_PKCS1],
            thumbprint: "y06RpkTgQO5r0FpQM_13D98NK-3VOgL3N48Pe8GZlWg",
        },
        PemKey {
            algs: &[ES256],
            private: &[EC_P256_PRIVATE],
            pkcs8: Some(EC_P256_PRIVATE),
            public: &[EC_P256_PUBLIC],
            thumbprint: "IFcoCUiTqONcni2k5SN6lmVf5R33befVDDncjGrDWWY",
        },
        PemKey {
            algs: &[ES384],
            private: &[EC_P384_PRIVATE],
            pkcs8: Some(EC_P384_PRIVATE),
            public: &[EC_P384_PUBLIC],
            thumbprint: "PPIjWT2WAusopFVPyB2f2CgckeNdpWZqNWHx0st7DLc",
        },
        PemKey {
            algs: &[EdDSA],
            private: &[ED25519_PRIVATE],
            pkcs8: Some(ED25519_PRIVATE),
            public: &[ED25519_PUBLIC],
            thumbprint: "ecWEkiFODMNUfgGq8nzLBD3uurNAekwPQ-GMvgeMIYo",
        },
    ]
}

fn verifier_with(key: VerifyingKey) -> Verifier {
    Verifier::builder()
        .key(key)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .clock(FixedClock(NOW + 1))
        .build()
        .unwrap()
}

#[test]
fn keys_from_pem_and_der_round_trip() {
    for pem_key in pem_keys() {
        for &alg in pem_key.algs {
            let name = alg.name();
            // Every private form loads, to the same key (same thumbprint kid, same JWK).
            let mut signers: Vec<SigningKey> = pem_key
                .private
                .iter()
                .map(|pem| {
                    SigningKey::from_pem(pem.as_bytes(), alg)
                        .unwrap_or_else(|e| panic!("{name}: private PEM: {e}"))
                })
                .collect();
            if let Some(pkcs8) = pem_key.pkcs8 {
                signers.push(SigningKey::from_pkcs8_der(&pem_body(pkcs8), alg).unwrap());
            }
            for signer in &signers {
                assert_eq!(signer.kid(), pem_key.thumbprint, "{name}");
                assert_eq!(signer.algorithm(), alg);
                assert_eq!(signer.public_jwk(), signers[0].public_jwk(), "{name}");
            }

            // Every public form, PEM and DER, verifies what every private form signs.
            let mut verifying: Vec<(String, VerifyingKey)> = Vec::new();
            for (i, pem) in pem_key.public.iter().enumerate() {
                let from_pem = VerifyingKey::from_pem(pem.as_bytes(), alg)
                    .unwrap_or_else(|e| panic!("{name}: public PEM #{i}: {e}"));
                let from_der = VerifyingKey::from_der(&pem_body(pem), alg)
                    .unwrap_or_else(|e| panic!("{name}: public DER #{i}: {e}"));
                assert_eq!(from_pem.algorithm(), alg);
                assert_eq!(from_pem.kid(), None);
                verifying.push((format!("PEM #{i}"), from_pem));
                verifying.push((format!("DER #{i}"), from_der));
            }
            let jwk = serde_json::to_value(signers[0].public_jwk().unwrap()).unwrap();
            verifying.push(("JWK".into(), VerifyingKey::from_jwk(&jwk).unwrap()));

            for (s, signer) in signers.iter().enumerate() {
                let authority = authority(signer.clone());
                let token = issue(&authority, "alice");
                for (what, key) in &verifying {
                    // Named by kid, and as the verifier's one anonymous key.
                    let named = verifier_with(key.clone().with_kid(signer.kid()));
                    let claims = named
                        .verify(&token)
                        .unwrap_or_else(|e| panic!("{name}: signer #{s}, {what}: {e}"));
                    assert_eq!(claims.sub.as_deref(), Some("alice"));
                    assert!(verifier_with(key.clone()).verify(&token).is_ok());
                }
            }

            // The loaded public key is that key and no other: another key's signature over
            // the same header and payload is refused.
            let stranger = if is_rsa(alg) {
                generated_rsa()
            } else {
                SigningKey::generate(alg).unwrap()
            };
            let stranger = authority(stranger);
            let honest = authority(signers[0].clone());
            let token = honest.token("mallory").jti("same").issue().unwrap();
            let (header, payload, _) = split3(&token);
            let other = stranger.token("mallory").jti("same").issue().unwrap();
            let (_, _, signature) = split3(&other);
            let (_, key) = &verifying[0];
            let verifier = verifier_with(key.clone().with_kid(pem_key.thumbprint));
            assert!(verifier.verify(&token).is_ok());
            assert_eq!(
                verifier.verify(&format!("{header}.{payload}.{signature}")),
                Err(AuthError::InvalidSignature),
                "{name}"
            );
        }
    }
}

fn split3(token: &str) -> (&str, &str, &str) {
    let mut parts = token.splitn(3, '.');
    (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    )
}

#[test]
fn pem_of_the_wrong_kind_is_refused() {
    // A private key where a public one is expected, and the other way round.
    assert!(VerifyingKey::from_pem(RSA_PRIVATE_PKCS8.as_bytes(), Algorithm::RS256).is_err());
    assert!(VerifyingKey::from_pem(EC_P256_PRIVATE.as_bytes(), Algorithm::ES256).is_err());
    assert!(VerifyingKey::from_pem(ED25519_PRIVATE.as_bytes(), Algorithm::EdDSA).is_err());
    assert!(SigningKey::from_pem(RSA_PUBLIC_SPKI.as_bytes(), Algorithm::RS256).is_err());
    assert!(SigningKey::from_pem(EC_P256_PUBLIC.as_bytes(), Algorithm::ES256).is_err());
    assert!(SigningKey::from_pem(ED25519_PUBLIC.as_bytes(), Algorithm::EdDSA).is_err());
    // Not PEM at all, truncated, or DER of something else.
    assert!(VerifyingKey::from_pem(b"not a key", Algorithm::RS256).is_err());
    assert!(VerifyingKey::from_pem(&RSA_PUBLIC_SPKI.as_bytes()[..200], Algorithm::RS256).is_err());
    assert!(VerifyingKey::from_der(b"\x30\x03\x02\x01\x01", Algorithm::RS256).is_err());
    assert!(VerifyingKey::from_der(&[], Algorithm::EdDSA).is_err());
    assert!(VerifyingKey::from_der(&pem_body(EC_P256_PUBLIC), Algorithm::EdDSA).is_err());
    assert!(SigningKey::from_pkcs8_der(&pem_body(ED25519_PRIVATE), Algorithm::ES256).is_err());
}
