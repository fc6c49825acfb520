//! What the fuzz targets share: fixed test keys of four families, the authorities and
//! verifiers built from them once per process, an independent signature check (the oracle of
//! "only the authority's signatures verify"), and JSON built from fuzzer input.
//!
//! The keys are fixed (committed under `keys/`, made with openssl for these tests only) and the
//! verifiers' clock is [`NOW`], so a crash reproduces exactly and the committed seed tokens
//! verify forever.

use std::sync::LazyLock;

use auth_runtime::{Algorithm, Authority, FixedClock, SigningKey, TrustedIssuer, Verifier};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

pub mod json;
pub mod jwk_model;
pub mod model;
pub mod oracle;

#[cfg(all(feature = "backend-aws-lc", feature = "backend-rust-crypto"))]
compile_error!(
    "auth-fuzz: enable exactly one of the features `backend-aws-lc` (default) and \
     `backend-rust-crypto` (with --no-default-features)"
);
#[cfg(not(any(feature = "backend-aws-lc", feature = "backend-rust-crypto")))]
compile_error!(
    "auth-fuzz: no backend; enable exactly one of the features `backend-aws-lc` and \
     `backend-rust-crypto`"
);

/// The oracle's primitives: always the other backend's than auth-runtime's.
#[cfg(feature = "backend-aws-lc")]
#[path = "independent/rust_crypto.rs"]
mod independent;
#[cfg(all(feature = "backend-rust-crypto", not(feature = "backend-aws-lc")))]
#[path = "independent/aws_lc.rs"]
mod independent;

/// The backend auth-runtime runs on, as auth-runtime names it (`"aws-lc-rs"`, `"rust-crypto"`).
pub const BACKEND: &str = auth_runtime::BACKEND;

/// The verifiers' "now" (2027-01-15): fixed, so verification does not depend on the day.
pub const NOW: u64 = 1_800_000_000;
/// Issuer of the fixture authorities.
pub const ISSUER: &str = auth_runtime::testing::ISSUER;
/// Audience of the fixture authorities and verifiers.
pub const AUDIENCE: &str = auth_runtime::testing::AUDIENCE;
/// The second issuer that [`Fixture::trusting`] trusts (with the EdDSA key).
pub const OTHER_ISSUER: &str = "https://other-issuer.test";
/// The HS256 secret: a test fixture, not a credential.
pub const HS256_SECRET: &[u8] = b"fuzz-only HS256 secret, not a credential, 0123456789";

const RS256_PEM: &str = include_str!("../keys/rs256.pem");
const ES256_PEM: &str = include_str!("../keys/es256.pem");
const ED25519_PEM: &str = include_str!("../keys/ed25519.pem");

/// A key family, with the one fixture key of it.
#[derive(arbitrary::Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Hs,
    Rs,
    Es,
    Ed,
}

impl Family {
    pub const ALL: [Family; 4] = [Family::Hs, Family::Rs, Family::Es, Family::Ed];

    pub fn alg(self) -> Algorithm {
        match self {
            Family::Hs => Algorithm::HS256,
            Family::Rs => Algorithm::RS256,
            Family::Es => Algorithm::ES256,
            Family::Ed => Algorithm::EdDSA,
        }
    }

    /// The registered `alg` name.
    pub fn alg_name(self) -> &'static str {
        self.alg().name()
    }

    /// The family whose algorithm is named `name` exactly.
    pub fn from_alg_name(name: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.alg_name() == name)
    }

    /// The `kid` of the fixture key.
    pub fn kid(self) -> &'static str {
        match self {
            Family::Hs => "fuzz-hs256",
            Family::Rs => "fuzz-rs256",
            Family::Es => "fuzz-es256",
            Family::Ed => "fuzz-ed25519",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// The fixture's private key, as the library loads it.
    pub fn signing_key(self) -> SigningKey {
        let key = match self {
            Family::Hs => SigningKey::hmac(HS256_SECRET, self.alg()),
            Family::Rs => SigningKey::from_pem(RS256_PEM.as_bytes(), self.alg()),
            Family::Es => SigningKey::from_pem(ES256_PEM.as_bytes(), self.alg()),
            Family::Ed => SigningKey::from_pem(ED25519_PEM.as_bytes(), self.alg()),
        };
        key.unwrap_or_else(|e| panic!("fixture key {self:?}: {e}"))
            .with_kid(self.kid())
    }
}

/// Everything built once per fuzzing process.
pub struct Fixture {
    /// One authority per family (index [`Family::index`]): issuer [`ISSUER`], audience
    /// [`AUDIENCE`], clock [`NOW`].
    pub authorities: [Authority; 4],
    /// `authority.verifier()` of each family, clock [`NOW`], with the verified-token cache.
    pub cached: [Verifier; 4],
    /// The same without the cache.
    pub uncached: [Verifier; 4],
    /// ES256 key for [`ISSUER`], plus [`OTHER_ISSUER`] trusted with the EdDSA key; both for
    /// [`AUDIENCE`]; `typ` must be `at+jwt`.
    pub trusting: Verifier,
    /// All four keys in one verifier (mixed families explicitly allowed).
    pub mixed: Verifier,
    /// One valid token per family, as its authority issues it (expires at `NOW + 900`).
    pub tokens: [String; 4],
    /// The independent keys of the oracle.
    pub independent: oracle::Independent,
}

/// The process-wide fixture, built on first use.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: LazyLock<Fixture> = LazyLock::new(Fixture::build);
    &FIXTURE
}

fn built<T, E: std::fmt::Display>(what: &str, result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| panic!("fixture {what}: {e}"))
}

impl Fixture {
    fn build() -> Fixture {
        let authorities = Family::ALL.map(|f| {
            built(
                "authority",
                Authority::builder()
                    .issuer(ISSUER)
                    .audience(AUDIENCE)
                    .clock(FixedClock(NOW))
                    .signing_key(f.signing_key())
                    .build(),
            )
        });
        let verifier = |f: Family, cache: bool| {
            let builder = authorities[f.index()].verifier().clock(FixedClock(NOW));
            let builder = if cache { builder } else { builder.no_cache() };
            built("verifier", builder.build())
        };
        let cached = Family::ALL.map(|f| verifier(f, true));
        let uncached = Family::ALL.map(|f| verifier(f, false));
        let trusting = built(
            "trusting verifier",
            Verifier::builder()
                .key(Family::Es.signing_key().verifying_key())
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .trust(
                    TrustedIssuer::new(OTHER_ISSUER)
                        .audience(AUDIENCE)
                        .key(Family::Ed.signing_key().verifying_key()),
                )
                .require_typ("at+jwt")
                .clock(FixedClock(NOW))
                .build(),
        );
        let mixed = built(
            "mixed verifier",
            Verifier::builder()
                .keys(Family::ALL.map(|f| f.signing_key().verifying_key()))
                .allow_mixed_key_families()
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .clock(FixedClock(NOW))
                .build(),
        );
        let tokens = Family::ALL.map(|f| {
            built(
                "token",
                authorities[f.index()]
                    .token("fuzz")
                    .roles(["admin"])
                    .jti("fixed")
                    .issue(),
            )
        });
        let fixture = Fixture {
            authorities,
            cached,
            uncached,
            trusting,
            mixed,
            tokens,
            independent: oracle::Independent::load(),
        };
        let expected = if cfg!(feature = "backend-aws-lc") {
            "aws-lc-rs"
        } else {
            "rust-crypto"
        };
        assert_eq!(BACKEND, expected, "auth-runtime runs on the chosen backend");
        // The oracle and the library agree on the fixture before anything is fuzzed.
        for f in Family::ALL {
            let token = &fixture.tokens[f.index()];
            built("fixture token", fixture.cached[f.index()].verify(token));
            built("fixture token", fixture.mixed.verify(token));
            assert_eq!(
                oracle::signed_by(&fixture.independent, token).map(|s| s.family),
                Some(f),
                "the independent check accepts the {f:?} fixture token"
            );
        }
        fixture
    }

    /// The published public JWK of `family` (`None` for HMAC), as JSON.
    pub fn public_jwk(&self, family: Family) -> Option<serde_json::Value> {
        let jwks = self.authorities[family.index()].jwks();
        let jwk = jwks.keys.first()?;
        serde_json::to_value(jwk).ok()
    }
}

/// The DER inside a PEM document.
pub fn pem_to_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    built("PEM", STANDARD.decode(body))
}

/// `base64url(header) . base64url(payload)`: a JWS signing input.
pub fn signing_input(header: &[u8], payload: &[u8]) -> String {
    let mut text = URL_SAFE_NO_PAD.encode(header);
    text.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut text);
    text
}

/// Strict unpadded base64url, decoded.
pub fn b64_decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    URL_SAFE_NO_PAD.decode(text)
}

/// Unpadded base64url.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `AUTH_FUZZ_DEBUG` is set: the targets then print the structured inputs they build
/// (to read a crash).
pub fn debug() -> bool {
    static DEBUG: LazyLock<bool> = LazyLock::new(|| std::env::var_os("AUTH_FUZZ_DEBUG").is_some());
    *DEBUG
}

/// The private keys in PEM, for the oracle.
pub(crate) fn pems() -> (&'static str, &'static str, &'static str) {
    (RS256_PEM, ES256_PEM, ED25519_PEM)
}
