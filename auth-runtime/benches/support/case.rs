//! One benchmark case, shared by the benches and the instruction-count examples: a
//! token from an `Authority`, our verifiers for it, and jsonwebtoken's key and validation for
//! the same token, issuer and audience (the baseline).
// Each includer uses part of it.
#![allow(dead_code)]

use std::sync::Arc;

// What the expansion of `#[requires_role("admin")]` runs, through the macros' hidden contract.
use auth_runtime::__private::{Cons, Name, Nil, Required, Role, authenticate};
use auth_runtime::{Algorithm, Authority, Claims, SigningKey, Verifier, testing};
use http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
use jsonwebtoken::{DecodingKey, Validation};

/// `"admin"` packed as `__private::pack` does (big-endian bytes from the top of the first
/// word): the type `#[requires_role("admin")]` expands to for a role no other role implies.
const ADMIN: u128 = 0x61_64_6d_69_6e << 88;
type AdminRole = Role<Name<ADMIN, 0, 0, 0>, Cons<Name<ADMIN, 0, 0, 0>, Nil>>;

/// What a `#[requires_role("admin")]` handler taking `Claims` runs before its body.
pub(crate) fn guard(verifier: &Verifier, headers: &HeaderMap) -> Claims {
    authenticate::<Required<Claims>, AdminRole>(Some(verifier), headers).expect("admitted")
}

/// `n` runs of [`guard`], for callgrind to count alone (`--toggle-collect="*case::hits"`): the
/// same code for both sides of an instruction count, which differ in their verifier or in
/// what the process has turned on.
#[inline(never)]
pub(crate) fn hits(verifier: &Verifier, headers: &HeaderMap, n: usize) {
    for _ in 0..n {
        std::hint::black_box(guard(verifier, std::hint::black_box(headers)));
    }
}

/// The same, for a handler taking `Arc<Claims>`: shared with the cache, nothing copied.
pub(crate) fn guard_shared(verifier: &Verifier, headers: &HeaderMap) -> Arc<Claims> {
    authenticate::<Required<Arc<Claims>>, AdminRole>(Some(verifier), headers).expect("admitted")
}

/// The bare decode the guard is compared with.
pub(crate) fn baseline(case: &Case) -> serde_json::Value {
    jsonwebtoken::decode::<serde_json::Value>(&case.token, &case.key, &case.validation)
        .expect("valid")
        .claims
}

pub(crate) struct Case {
    pub(crate) alg: Algorithm,
    pub(crate) token: String,
    /// `Authorization: Bearer <token>`.
    pub(crate) headers: HeaderMap,
    pub(crate) verifier: Verifier,
    pub(crate) with_cache: Verifier,
    pub(crate) key: DecodingKey,
    pub(crate) validation: Validation,
}

/// The case for `alg`: HS256 with a fixed secret; the others with a generated key, the public
/// half loaded by jsonwebtoken from its JWK.
pub(crate) fn case(alg: Algorithm) -> Case {
    assert_eq!(
        auth_runtime::__private::pack("admin"),
        Some([ADMIN, 0, 0, 0])
    );
    let secret = b"a-benchmark-secret-of-at-least-32-bytes!";
    let (signing, key) = if alg == Algorithm::HS256 {
        let signing = SigningKey::hmac(secret, alg).expect("key");
        (signing, DecodingKey::from_secret(secret).expect("key"))
    } else {
        let signing = SigningKey::generate(alg).expect("key");
        let jwk = signing
            .public_jwk()
            .expect("an asymmetric key has a public JWK");
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(serde_json::to_value(jwk).expect("jwk")).expect("jwk");
        (signing, DecodingKey::from_jwk(&jwk).expect("decoding key"))
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
    let jwt_alg: jsonwebtoken::Algorithm = alg.name().parse().expect("the same algorithm");
    let mut validation = Validation::new(jwt_alg);
    validation.set_issuer(&[testing::ISSUER]);
    validation.set_audience(&[testing::AUDIENCE]);
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
    );
    Case {
        alg,
        token,
        headers,
        verifier: authority.verifier().no_cache().build().expect("verifier"),
        with_cache: authority.verifier().build().expect("verifier"),
        key,
        validation,
    }
}

/// The same signature check with aws-lc-rs called directly, no JWT layer: the key parsed once,
/// the signing input and signature decoded once. `None` for HMAC.
#[cfg(feature = "aws-lc-rs")]
pub(crate) struct Raw {
    key: aws_lc_rs::signature::ParsedPublicKey,
    message: Vec<u8>,
    signature: Vec<u8>,
}

#[cfg(feature = "aws-lc-rs")]
pub(crate) fn raw(case: &Case) -> Option<Raw> {
    use aws_lc_rs::signature as sig;
    use base64::Engine as _;
    use jsonwebtoken::DecodingKeyKind;
    let (message, signature) = case.token.rsplit_once('.').expect("three parts");
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature)
        .expect("base64url");
    let key = match (case.alg, case.key.kind()) {
        (Algorithm::RS256, DecodingKeyKind::RsaModulusExponent { n, e }) => {
            sig::RsaPublicKeyComponents { n, e }
                .to_parsed_public_key(&sig::RSA_PKCS1_2048_8192_SHA256)
                .expect("RSA key")
        }
        (Algorithm::ES256, DecodingKeyKind::SecretOrDer(point)) => {
            sig::ParsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, point).expect("P-256 key")
        }
        (Algorithm::EdDSA, DecodingKeyKind::SecretOrDer(x)) => {
            sig::ParsedPublicKey::new(&sig::ED25519, x).expect("Ed25519 key")
        }
        _ => return None,
    };
    Some(Raw {
        key,
        message: message.as_bytes().to_vec(),
        signature,
    })
}

#[cfg(feature = "aws-lc-rs")]
impl Raw {
    /// One signature check.
    pub(crate) fn verify(&self) -> bool {
        self.key.verify_sig(&self.message, &self.signature).is_ok()
    }
}
