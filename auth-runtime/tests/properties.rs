//! Property tests (proptest) of the request path: the bearer header parser, the verifier on
//! any token text, acceptance exactly of correctly signed tokens with valid claims, single-byte
//! mutations, foreign keys, and the HTTP mapping of every error.
//!
//! Keys are generated once per test binary (RSA generation is slow in debug builds); each
//! property sets its case count explicitly and keeps no regression files (a failure prints its
//! minimal input). Run with `cargo test -p auth-runtime --features testing --test properties`.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod support;

use std::sync::LazyLock;
use std::time::Duration;

use auth_runtime::testing::{AUDIENCE, ISSUER};
use auth_runtime::{
    Algorithm, AuthError, Authority, DEFAULT_MAX_TOKEN_LEN, ErrorClass, FixedClock,
    RequirementKind, SigningKey, TrustedIssuer, VerifiedToken, Verifier, bearer_from_values,
    bearer_token,
};
use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{
    GeneralPurpose, GeneralPurposeConfig, STANDARD, STANDARD_NO_PAD, URL_SAFE,
};
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;
use serde_json::{Map, Value, json};
use support::{authorization, b64, sign};

/// The verifiers' clock: every token is judged at this instant.
const NOW: u64 = 1_750_000_000;

/// The RSA test key of the other suites (generating RSA keys is slow in debug builds).
const RSA_PRIVATE_PKCS8: &str = include_str!("fixtures/rsa_2048_pkcs8.pem");

/// Registered claims, typed by the verifier; never generated as "extra" claims.
const REGISTERED: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

fn config(cases: u32) -> Config {
    Config {
        failure_persistence: None,
        ..Config::with_cases(cases)
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures: one authority per algorithm, and a foreign key of the same algorithm.
// ---------------------------------------------------------------------------------------------

const ALGS: [Algorithm; 4] = [
    Algorithm::HS256,
    Algorithm::RS256,
    Algorithm::ES256,
    Algorithm::EdDSA,
];

struct Fixture {
    alg: Algorithm,
    /// The authority's signing key, for tokens with any header.
    key: SigningKey,
    authority: Authority,
    /// Another key of the same algorithm, never trusted.
    stranger: SigningKey,
    /// Trusts `authority`, judges at [`NOW`], default leeway, cache on.
    verifier: Verifier,
    /// A valid token of `authority`, judged at [`NOW`].
    token: String,
}

static FIXTURES: LazyLock<Vec<Fixture>> = LazyLock::new(|| {
    ALGS.iter()
        .map(|&alg| {
            let (key, stranger) = if alg == Algorithm::RS256 {
                (
                    SigningKey::from_pem(RSA_PRIVATE_PKCS8.as_bytes(), alg).unwrap(),
                    SigningKey::generate(alg).unwrap(),
                )
            } else {
                (
                    SigningKey::generate(alg).unwrap(),
                    SigningKey::generate(alg).unwrap(),
                )
            };
            let authority = Authority::builder()
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .clock(FixedClock(NOW))
                .signing_key(key.clone())
                .build()
                .unwrap();
            let verifier = authority.verifier().clock(FixedClock(NOW)).build().unwrap();
            let token = authority
                .token("alice")
                .roles(["admin", "user"])
                .claim("tenant", "acme")
                .issue()
                .unwrap();
            assert!(verifier.verify(&token).is_ok());
            Fixture {
                alg,
                key,
                authority,
                stranger,
                verifier,
                token,
            }
        })
        .collect()
});

/// Verifiers of other shapes, for the "never panics" properties: several issuers (the issuer
/// is peeked at before the signature), a required `typ`, no cache, a tiny length cap.
static OTHER_VERIFIERS: LazyLock<Vec<Verifier>> = LazyLock::new(|| {
    let f = &*FIXTURES;
    vec![
        Verifier::builder()
            .keys(f[2].authority.verifying_keys())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .trust(f[3].authority.verifying_keys().into_iter().fold(
                TrustedIssuer::new("https://other.test").audience(AUDIENCE),
                TrustedIssuer::key,
            ))
            .clock(FixedClock(NOW))
            .build()
            .unwrap(),
        f[1].authority
            .verifier()
            .require_typ("at+jwt")
            .clock(FixedClock(NOW))
            .no_cache()
            .build()
            .unwrap(),
        f[0].authority
            .verifier()
            .max_token_len(64)
            .leeway(Duration::ZERO)
            .clock(FixedClock(NOW))
            .build()
            .unwrap(),
    ]
});

fn all_verifiers() -> impl Iterator<Item = &'static Verifier> {
    FIXTURES
        .iter()
        .map(|f| &f.verifier)
        .chain(OTHER_VERIFIERS.iter())
}

// ---------------------------------------------------------------------------------------------
// The error contract, checked for every error any property sees.
// ---------------------------------------------------------------------------------------------

/// The class docs/design.md ("HTTP error contract") gives each variant, written out here independently of
/// `AuthError::class`.
fn expected_class(error: &AuthError) -> ErrorClass {
    use AuthError::*;
    match error {
        MissingCredentials | UnsupportedScheme => ErrorClass::NoCredentials,
        MultipleAuthorizationHeaders { .. }
        | EmptyToken
        | InvalidCharacter
        | TokenInSeveralPlaces => ErrorClass::InvalidRequest,
        CsrfMismatch => ErrorClass::CrossSiteRequest,
        TokenTooLong { .. }
        | Malformed(_)
        | UnsupportedAlgorithm(_)
        | UnsupportedCritical
        | InvalidType
        | UnknownKey
        | AlgorithmMismatch { .. }
        | InvalidSignature
        | Expired
        | NotYetValid
        | IssuedInFuture
        | MissingClaim(_)
        | InvalidClaim(_)
        | ClaimsTypeMismatch(_)
        | InvalidIssuer
        | InvalidAudience => ErrorClass::InvalidToken,
        InsufficientScope { .. } | Forbidden(_) => ErrorClass::InsufficientScope,
        VerifierMissing | InvalidTokenLocations(_) | CheckNotRun => ErrorClass::ServerError,
        NotFound(_) => ErrorClass::NotFound,
        CheckUnavailable(_) => ErrorClass::Unavailable,
        other => panic!("a new AuthError variant: give it its class here: {other:?}"),
    }
}

/// The messages a client may see (docs/design.md: never which check failed in a way that helps
/// forge).
const CLIENT_MESSAGES: [&str; 11] = [
    "authentication required",
    "the request carries an access token in more than one place",
    "the request's CSRF token is missing or does not match",
    "the request has more than one Authorization header",
    "the Authorization header is malformed",
    "the access token expired",
    "the access token is invalid",
    "the access token does not grant this operation",
    "authentication is not configured on this server",
    "no such resource",
    "the request cannot be decided now; try again later",
];

/// Undoes RFC 7230 quoted-string escaping of `Bearer realm="..."` and returns the realm and
/// what follows the closing quote.
fn parse_realm(challenge: &str) -> Option<(String, &str)> {
    let rest = challenge.strip_prefix("Bearer realm=\"")?;
    let mut realm = String::new();
    let mut chars = rest.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => realm.push(chars.next()?.1),
            '"' => return Some((realm, &rest[i + 1..])),
            c => realm.push(c),
        }
    }
    None
}

/// Status, error code, challenge and message of `error` agree with the contract.
fn check_contract(error: &AuthError, realm: &str) {
    let class = expected_class(error);
    assert_eq!(error.class(), class, "{error:?}");
    let (status, code) = match class {
        ErrorClass::NoCredentials => (401, None),
        ErrorClass::InvalidRequest => (400, Some("invalid_request")),
        ErrorClass::InvalidToken => (401, Some("invalid_token")),
        ErrorClass::InsufficientScope => (403, Some("insufficient_scope")),
        ErrorClass::CrossSiteRequest => (403, None),
        ErrorClass::ServerError => (500, None),
        ErrorClass::NotFound => (404, None),
        ErrorClass::Unavailable => (503, None),
    };
    assert_eq!(error.status().as_u16(), status, "{error:?}");
    assert_eq!(error.error_code(), code, "{error:?}");
    let message = error.client_message();
    assert!(CLIENT_MESSAGES.contains(&message), "{error:?}: {message}");
    if class == ErrorClass::InvalidToken {
        // Which check failed is not the client's business, except that the token expired.
        let expected = match error {
            AuthError::Expired => "the access token expired",
            _ => "the access token is invalid",
        };
        assert_eq!(message, expected, "{error:?}");
    }
    let challenge = error.www_authenticate(realm);
    // A server error, a failed CSRF check and a check function's 404 or 503 are no
    // bearer-token problem: no challenge.
    if matches!(
        class,
        ErrorClass::ServerError
            | ErrorClass::CrossSiteRequest
            | ErrorClass::NotFound
            | ErrorClass::Unavailable
    ) {
        assert!(challenge.is_none(), "{error:?}");
        return;
    }
    let challenge = challenge.expect("a bearer-token 4xx has a challenge");
    // A realm a header cannot carry (control characters) falls back to a bare challenge;
    // otherwise the realm reads back exactly (no injection through quotes or backslashes)
    // and the code follows it.
    let unrepresentable = realm.chars().any(|c| c.is_ascii_control() && c != '\t');
    if unrepresentable {
        assert_eq!(challenge, "Bearer", "{error:?} realm {realm:?}");
        return;
    }
    let text = std::str::from_utf8(challenge.as_bytes()).unwrap();
    let (parsed, rest) = parse_realm(text).expect("Bearer realm=\"...\"");
    assert_eq!(parsed, realm);
    match code {
        None => assert_eq!(rest, ""),
        Some(code) => assert_eq!(
            rest,
            format!(", error=\"{code}\", error_description=\"{message}\"")
        ),
    }
}

fn arb_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..max).prop_map(String::from_iter)
}

fn arb_error() -> impl Strategy<Value = AuthError> {
    prop_oneof![
        Just(AuthError::MissingCredentials),
        Just(AuthError::UnsupportedScheme),
        any::<usize>().prop_map(|count| AuthError::MultipleAuthorizationHeaders { count }),
        Just(AuthError::EmptyToken),
        Just(AuthError::InvalidCharacter),
        (any::<usize>(), any::<usize>())
            .prop_map(|(len, max)| AuthError::TokenTooLong { len, max }),
        prop::sample::select(vec!["a", "payload is not base64url", ""])
            .prop_map(AuthError::Malformed),
        arb_text(16).prop_map(AuthError::UnsupportedAlgorithm),
        Just(AuthError::UnsupportedCritical),
        Just(AuthError::InvalidType),
        Just(AuthError::UnknownKey),
        arb_text(8).prop_map(|header| AuthError::AlgorithmMismatch {
            header,
            key: "ES256"
        }),
        Just(AuthError::InvalidSignature),
        Just(AuthError::Expired),
        Just(AuthError::NotYetValid),
        Just(AuthError::IssuedInFuture),
        prop::sample::select(vec!["exp", "iss", "aud"]).prop_map(AuthError::MissingClaim),
        arb_text(16).prop_map(AuthError::InvalidClaim),
        arb_text(16).prop_map(AuthError::ClaimsTypeMismatch),
        Just(AuthError::InvalidIssuer),
        Just(AuthError::InvalidAudience),
        (
            prop::sample::select(vec![
                RequirementKind::Role,
                RequirementKind::Scope,
                RequirementKind::RoleOrScope
            ]),
            arb_text(16)
        )
            .prop_map(|(kind, required)| AuthError::InsufficientScope { kind, required }),
        Just(AuthError::VerifierMissing),
        Just(AuthError::CheckNotRun),
        arb_text(16).prop_map(AuthError::forbidden),
        arb_text(16).prop_map(AuthError::not_found),
        arb_text(16).prop_map(AuthError::check_unavailable),
    ]
}

proptest! {
    #![proptest_config(config(2_000))]

    /// Every error maps to the status, code, challenge and message the contract gives its
    /// class, for any realm.
    #[test]
    fn every_error_maps_to_its_status(
        error in arb_error(),
        realm in prop_oneof![Just("api".to_owned()), "[ -~]{0,12}", arb_text(12)],
    ) {
        check_contract(&error, &realm);
    }
}

// ---------------------------------------------------------------------------------------------
// Bearer header
// ---------------------------------------------------------------------------------------------

/// `b64token` of RFC 6750: the characters of a token as the parser must accept it.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

/// Header values: arbitrary bytes, and ones shaped like `<scheme><spaces><token><spaces>`
/// with near-miss schemes, separators and token characters.
fn arb_header_value() -> impl Strategy<Value = Vec<u8>> {
    let scheme = prop_oneof![
        3 => prop::sample::select(vec!["Bearer", "bearer", "BEARER", "BeArEr"]),
        1 => prop::sample::select(vec![
            "Bearer:", "Beare", "Bearerx", "Basic", "Digest", "", "bearer\t", "Bearer\u{0}",
        ]),
    ];
    let ows = prop_oneof![
        3 => prop::sample::select(vec!["", " ", "\t", " \t "]),
        1 => prop::sample::select(vec!["\u{b}", "\u{a0}", "\r\n", "\u{0}"]),
    ];
    let noisy = prop::collection::vec(
        prop_oneof![
            8 => prop::sample::select(b"ABCxyz0189-._~+/=".to_vec()),
            1 => any::<u8>(),
            1 => prop::sample::select(b" \t,\"\\=".to_vec()),
        ],
        0..40,
    );
    let clean = "[A-Za-z0-9._~+/-]{0,30}={0,2}".prop_map(String::into_bytes);
    let body = prop_oneof![3 => clean, 1 => noisy];
    let separator = prop::sample::select(vec![" ", " ", " ", "  ", " \t", "", "\t", "\u{a0}"]);
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..48),
        3 => (ows.clone(), scheme, separator, body, ows).prop_map(|(a, s, b, t, c)| {
            let mut v = Vec::new();
            v.extend_from_slice(a.as_bytes());
            v.extend_from_slice(s.as_bytes());
            v.extend_from_slice(b.as_bytes());
            v.extend_from_slice(&t);
            v.extend_from_slice(c.as_bytes());
            v
        }),
    ]
}

/// What any answer of the bearer parser must satisfy, whatever the input.
fn check_bearer(values: &[&[u8]], result: Result<&str, AuthError>) {
    match result.clone() {
        Ok(token) => {
            assert_eq!(values.len(), 1, "one header value only: {values:?}");
            let value = values[0];
            assert!(!token.is_empty());
            assert!(
                token.bytes().all(is_token_char),
                "{token:?} has a character outside b64token"
            );
            let body = token.trim_end_matches('=');
            assert!(!body.is_empty() && !body.contains('='), "{token:?}");
            // The token is the end of the value (its last occurrence, as it holds no space),
            // after the scheme, with optional whitespace around.
            let at = value
                .windows(token.len())
                .rposition(|w| w == token.as_bytes())
                .expect("the token is part of the header value");
            let after = &value[at + token.len()..];
            assert!(after.iter().all(|b| matches!(b, b' ' | b'\t')), "{value:?}");
            assert!(
                trim_ows(&value[..at]).eq_ignore_ascii_case(b"bearer"),
                "{value:?}"
            );
        }
        Err(error) => {
            check_contract(&error, "api");
            assert!(
                matches!(
                    error.class(),
                    ErrorClass::NoCredentials | ErrorClass::InvalidRequest
                ),
                "{error:?}"
            );
            match values.len() {
                0 => assert_eq!(error, AuthError::MissingCredentials),
                1 => {}
                n => assert_eq!(error, AuthError::MultipleAuthorizationHeaders { count: n }),
            }
        }
    }
    if let [value] = values {
        assert_eq!(
            result.map(str::as_bytes),
            expected_bearer(value),
            "{value:?}"
        );
    }
}

fn trim_ows(mut bytes: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    bytes
}

/// The answer RFC 6750 section 2.1 gives one `Authorization` value, written out
/// independently: `Bearer 1*SP b64token`, the scheme in any case, optional whitespace around
/// (RFC 9110 OWS) and between; anything else after the scheme is a malformed request, and
/// another scheme means no bearer credentials.
fn expected_bearer(value: &[u8]) -> Result<&[u8], AuthError> {
    let value = trim_ows(value);
    let (scheme, rest) = value.split_at(value.len().min(6));
    if !scheme.eq_ignore_ascii_case(b"bearer") || rest.first().is_some_and(|b| *b != b' ') {
        return Err(AuthError::UnsupportedScheme);
    }
    let token = trim_ows(rest);
    if token.is_empty() {
        return Err(AuthError::EmptyToken);
    }
    let body = &token[..token.len() - token.iter().rev().take_while(|b| **b == b'=').count()];
    if body.is_empty() || !body.iter().all(|b| *b != b'=' && is_token_char(*b)) {
        return Err(AuthError::InvalidCharacter);
    }
    Ok(token)
}

proptest! {
    #![proptest_config(config(3_000))]

    /// Any number of `Authorization` headers with any bytes: a token or a request error,
    /// never a panic; the header map and the raw-values entry point agree.
    #[test]
    fn bearer_header_never_panics(
        values in prop_oneof![
            3 => prop::collection::vec(arb_header_value(), 1),
            1 => prop::collection::vec(arb_header_value(), 0..4),
        ]
    ) {
        // Raw values: what frameworks with their own header types pass (no validation at all).
        let raw: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();
        let from_raw = bearer_from_values(raw.iter().copied());
        check_bearer(&raw, from_raw.clone());

        // Through `http`: only the values it accepts.
        let mut headers = HeaderMap::new();
        let mut accepted: Vec<&[u8]> = Vec::new();
        for value in &values {
            if let Ok(v) = HeaderValue::from_bytes(value) {
                headers.append(AUTHORIZATION, v);
                accepted.push(value);
            }
        }
        let result = bearer_token(&headers);
        check_bearer(&accepted, result.clone());
        if accepted.len() == raw.len() {
            prop_assert_eq!(result, from_raw);
        }
    }

}

proptest! {
    #![proptest_config(config(1_000))]

    /// Every well-formed `Bearer <token>` comes back as exactly its token, whatever the
    /// scheme's casing and the whitespace around.
    #[test]
    fn bearer_round_trip(
        scheme in "[bB][eE][aA][rR][eE][rR]",
        spaces in " {1,3}",
        ows in prop::sample::select(vec![("", ""), (" ", ""), ("", " \t"), ("\t", " ")]),
        token in "[A-Za-z0-9._~+/-]{1,60}={0,2}",
    ) {
        let value = format!("{}{scheme}{spaces}{token}{}", ows.0, ows.1);
        let headers = authorization(&[value.as_bytes()]);
        prop_assert_eq!(bearer_token(&headers), Ok(token.as_str()));
    }
}

// ---------------------------------------------------------------------------------------------
// Any token text
// ---------------------------------------------------------------------------------------------

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        arb_text(10).prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(arb_text(6), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A header member: absent (`absent` times in `absent + 1`), or one of a few values.
fn member(absent: u32, values: Vec<Value>) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        absent => Just(None),
        1 => prop::sample::select(values).prop_map(Some),
    ]
}

/// `valid` most of the time (`bias` times in `bias + 1`), otherwise anything `any` gives.
fn mostly<T: std::fmt::Debug + Clone + 'static>(
    bias: u32,
    valid: impl Strategy<Value = T> + 'static,
    any: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<T> {
    prop_oneof![bias => valid, 1 => any].boxed()
}

fn kids() -> Vec<Value> {
    let mut kids: Vec<Value> = FIXTURES
        .iter()
        .map(|f| json!(f.authority.signing_kid()))
        .collect();
    kids.extend([json!(""), json!("../../etc/passwd"), json!(7), Value::Null]);
    kids
}

/// A JWS header: a JSON object with the members the verifier reads (and some it must never
/// use). With `fixture`, mostly one that the fixture's verifier accepts, with its algorithm
/// and key id; without, any mix.
fn arb_header_object(fixture: Option<usize>) -> impl Strategy<Value = Value> {
    let any_alg = member(
        1,
        vec![
            json!("HS256"),
            json!("RS256"),
            json!("ES256"),
            json!("EdDSA"),
            json!("none"),
            json!("None"),
            json!("NONE"),
            json!("hs256"),
            json!("PS256"),
            json!("ES384"),
            json!("HS512"),
            json!(""),
            json!(["ES256"]),
            Value::Null,
        ],
    );
    let any_kid = member(2, kids());
    let (alg, kid, bias) = match fixture {
        Some(i) => {
            let f = &FIXTURES[i];
            let alg = Just(Some(json!(algorithm_name(f.alg))));
            let kid = prop::sample::select(vec![
                Some(json!(f.authority.signing_kid())),
                Some(json!(f.authority.signing_kid())),
                None,
                Some(Value::Null),
            ]);
            (mostly(8, alg, any_alg), mostly(8, kid, any_kid), 8)
        }
        None => (any_alg.boxed(), any_kid.boxed(), 2),
    };
    let typ = member(
        2,
        vec![
            json!("at+jwt"),
            json!("AT+JWT"),
            json!("application/at+jwt"),
            json!("JWT"),
            json!(5),
            Value::Null,
        ],
    );
    let crit = member(
        bias,
        vec![json!(["b64"]), json!([]), json!(["exp"]), Value::Null],
    );
    let b64 = member(
        bias,
        vec![json!(true), json!(false), Value::Null, json!("true")],
    );
    let enc = member(bias, vec![json!("A128GCM"), Value::Null]);
    let jku = member(
        2,
        vec![
            json!("https://evil.test/jwks.json"),
            json!({"kty": "oct", "k": "AAAA"}),
        ],
    );
    let extra = prop::option::of((arb_text(6), arb_json()));
    (alg, kid, typ, crit, b64, enc, jku, extra).prop_map(
        |(alg, kid, typ, crit, b64, enc, jku, extra)| {
            let mut h = Map::new();
            if let Some((name, value)) = extra {
                h.insert(name, value);
            }
            for (name, value) in [
                ("alg", alg),
                ("kid", kid),
                ("typ", typ),
                ("crit", crit),
                ("b64", b64),
                ("enc", enc),
            ] {
                if let Some(value) = value {
                    h.insert(name.into(), value);
                }
            }
            if let Some(jku) = jku {
                let name = if jku.is_string() { "jku" } else { "jwk" };
                h.insert(name.into(), jku);
            }
            Value::Object(h)
        },
    )
}

/// Bytes of a header or payload: JSON of the right shape, any JSON, or any bytes.
fn arb_part(object: BoxedStrategy<Value>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => object.prop_map(|v| serde_json::to_vec(&v).unwrap()),
        1 => arb_json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        1 => prop::collection::vec(any::<u8>(), 0..40),
        1 => prop::sample::select(vec![
            br#"{"alg":"ES256","alg":"none"}"#.to_vec(),
            br#"{"alg":"none","alg":"ES256"}"#.to_vec(),
            br#"{"exp":99999999999,"exp":1}"#.to_vec(),
            br#"{"alg":"ES256"} {}"#.to_vec(),
            b"{\"alg\":\"ES256\"\0}".to_vec(),
            br#"{"alg":"\ud800"}"#.to_vec(),
            b"\xef\xbb\xbf{\"alg\":\"ES256\"}".to_vec(),
        ]),
    ]
}

/// How a part is put into the token: strict base64url as it should be, or a near miss.
fn arb_encoding() -> impl Strategy<Value = u8> {
    prop_oneof![6 => Just(0u8), 1 => 1u8..6]
}

fn encode(bytes: &[u8], how: u8) -> String {
    match how {
        0 => b64(bytes),
        1 => URL_SAFE.encode(bytes),
        2 => STANDARD.encode(bytes),
        3 => STANDARD_NO_PAD.encode(bytes),
        4 => String::from_utf8_lossy(bytes).into_owned(),
        _ => format!("{} ", b64(bytes)),
    }
}

fn arb_signature() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        prop::sample::select(vec![32usize, 64, 256])
            .prop_flat_map(|n| prop::collection::vec(any::<u8>(), n)),
        prop::collection::vec(any::<u8>(), 0..300),
    ]
}

/// Token text: anything, anything in the token alphabet, or three (or another number of)
/// encoded parts.
fn arb_token_text() -> impl Strategy<Value = String> {
    let structured = (
        arb_part(arb_header_object(None).boxed()),
        arb_encoding(),
        arb_part(arb_claims().prop_map(|c| c.to_json()).boxed()),
        arb_encoding(),
        arb_signature(),
        arb_encoding(),
        prop_oneof![8 => Just(3usize), 1 => 0usize..7],
    )
        .prop_map(|(h, he, p, pe, s, se, parts)| {
            let mut all = vec![encode(&h, he), encode(&p, pe), encode(&s, se)];
            all.resize(parts, String::new());
            if parts > 3 {
                all[3..].iter_mut().for_each(|p| *p = b64(b"x"));
            }
            all.join(".")
        });
    prop_oneof![
        1 => arb_text(80),
        1 => "[A-Za-z0-9_=.+/-]{0,120}",
        6 => structured,
    ]
}

/// Every entry point that takes token text: never a panic, never an acceptance of a token
/// that none of the verifier's keys signed, and every error a 401 `invalid_token`.
fn check_forged(verifier: &Verifier, token: &str) {
    let result = verifier.verify(token);
    let error = result.expect_err("an unsigned token was accepted");
    check_contract(&error, "api");
    assert_eq!(error.class(), ErrorClass::InvalidToken, "{error:?}");
    assert!(verifier.verify_signature(token).is_err());
    assert!(verifier.verify_as::<Value>(token).is_err());
    assert!(verifier.verify_shared(token).is_err());
}

proptest! {
    #![proptest_config(config(2_000))]

    /// Any token text: a decision or an `AuthError`, never a panic; none is accepted.
    #[test]
    fn any_token_text_is_refused_without_panic(token in arb_token_text()) {
        for verifier in all_verifiers() {
            check_forged(verifier, &token);
        }
    }

}

proptest! {
    #![proptest_config(config(1_000))]

    /// Any bytes in each of the three parts, encoded or not: the issuer peek (several
    /// trusted issuers), the header parser and the payload parser never panic, never accept.
    #[test]
    fn any_bytes_in_any_part(
        parts in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 3),
        encoding in arb_encoding(),
    ) {
        let token = parts.iter().map(|p| encode(p, encoding)).collect::<Vec<_>>().join(".");
        for verifier in all_verifiers() {
            check_forged(verifier, &token);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Claims: accepted exactly when valid
// ---------------------------------------------------------------------------------------------

/// A time claim, relative to [`NOW`] or to the edge of the leeway window.
#[derive(Debug, Clone)]
enum Time {
    Absent,
    /// `NOW + offset`, as an integer.
    Now(i64),
    /// `NOW + offset + 0.25`, as a fraction (truncated by the verifier).
    Fraction(i64),
    /// `NOW - leeway + delta` for `exp`, `NOW + leeway + delta` for `nbf` and `iat`.
    Edge(i64),
    /// An extreme or wrongly typed value, as JSON.
    Raw(Value),
}

/// Any time claim: valid or not, at the edges, extreme or of the wrong type.
fn any_time() -> impl Strategy<Value = Time> {
    prop_oneof![
        1 => Just(Time::Absent),
        4 => (-1_000i64..1_000).prop_map(Time::Now),
        1 => (-400i64..400).prop_map(Time::Fraction),
        3 => (-2i64..=2).prop_map(Time::Edge),
        1 => prop::sample::select(vec![
            json!(0),
            json!(u64::MAX),
            json!(i64::MAX),
            json!(-1),
            json!(-0.5),
            json!(1e300),
            json!("1750000000"),
            json!(true),
            json!([NOW]),
            json!({}),
            Value::Null,
        ])
        .prop_map(Time::Raw),
    ]
}

/// A valid `exp`: in the future, or within the leeway of the past.
fn valid_exp() -> impl Strategy<Value = Time> {
    prop_oneof![
        (1i64..2_000).prop_map(Time::Now),
        (0i64..400).prop_map(Time::Fraction),
        (1i64..=2).prop_map(Time::Edge),
    ]
}

/// A valid `nbf` or `iat`: absent, in the past, or within the leeway of the future.
fn valid_start() -> impl Strategy<Value = Time> {
    prop_oneof![
        Just(Time::Absent),
        (-2_000i64..=0).prop_map(Time::Now),
        (-400i64..0).prop_map(Time::Fraction),
        (-2i64..=0).prop_map(Time::Edge),
    ]
}

/// What a test token carries, and what the verifier must make of it.
#[derive(Debug, Clone)]
struct ClaimSpec {
    iss: Option<Value>,
    sub: Option<Value>,
    aud: Option<Value>,
    exp: Time,
    nbf: Time,
    iat: Time,
    roles: Option<Value>,
    scope: Option<Value>,
    extra: Map<String, Value>,
    /// Leeway of the verifier, seconds.
    leeway: u64,
}

/// Claims: half the time any mix, half the time mostly valid ones (each claim valid twelve
/// times in thirteen), so that both verdicts are common and single defects are frequent.
fn arb_claims() -> impl Strategy<Value = ClaimSpec> {
    prop_oneof![claims_with_bias(1), claims_with_bias(12)]
}

fn claims_with_bias(bias: u32) -> impl Strategy<Value = ClaimSpec> {
    let iss = mostly(
        bias,
        Just(Some(json!(ISSUER))),
        member(
            1,
            vec![
                json!(ISSUER),
                json!(format!("{ISSUER}/")),
                json!(ISSUER.to_uppercase()),
                json!("https://other.test"),
                json!(""),
                json!(42),
                json!([ISSUER]),
                Value::Null,
            ],
        ),
    );
    let aud = mostly(
        bias,
        prop::sample::select(vec![
            json!(AUDIENCE),
            json!([AUDIENCE]),
            json!(["other", AUDIENCE]),
        ])
        .prop_map(Some),
        member(
            1,
            vec![
                json!(AUDIENCE),
                json!("other"),
                json!(["other"]),
                json!([]),
                json!(7),
                json!([AUDIENCE, 7]),
                json!(format!("{AUDIENCE} ")),
                Value::Null,
            ],
        ),
    );
    let sub = mostly(
        bias,
        prop::option::of(arb_text(12).prop_map(|s| json!(s))),
        prop::sample::select(vec![json!(5), Value::Null, json!(["a"])]).prop_map(Some),
    );
    let role = prop_oneof![
        prop::sample::select(vec!["admin", "user", "guest", "Admin", ""]).prop_map(str::to_owned),
        arb_text(8),
    ];
    let roles = mostly(
        bias,
        prop_oneof![
            4 => prop::collection::vec(role.clone(), 0..4).prop_map(|r| Some(json!(r))),
            1 => role.prop_map(|r| Some(json!(r))),
            1 => Just(None),
            1 => Just(Some(Value::Null)),
        ],
        prop::sample::select(vec![json!(5), json!(["a", 1]), json!({"a": 1})]).prop_map(Some),
    );
    let scope = mostly(
        bias,
        prop_oneof![Just(None), "[a-z: ]{0,20}".prop_map(|s| Some(json!(s)))],
        prop::sample::select(vec![json!(["read"]), json!(5), Value::Null]).prop_map(Some),
    );
    let extra = prop::collection::btree_map(
        arb_text(8).prop_filter("not a claim the verifier reads", |name| {
            !REGISTERED.contains(&name.as_str())
                && !["roles", "scope", "scp"].contains(&name.as_str())
        }),
        arb_json(),
        0..4,
    )
    .prop_map(|m| m.into_iter().collect::<Map<_, _>>());
    let leeway = prop_oneof![Just(0u64), Just(60), 0u64..=300];
    let times = (
        mostly(bias, valid_exp(), any_time()),
        mostly(bias, valid_start(), any_time()),
        mostly(bias, valid_start(), any_time()),
    );
    ((iss, sub, aud), times, (roles, scope, extra, leeway)).prop_map(
        |((iss, sub, aud), (exp, nbf, iat), (roles, scope, extra, leeway))| ClaimSpec {
            iss,
            sub,
            aud,
            exp,
            nbf,
            iat,
            roles,
            scope,
            extra,
            leeway,
        },
    )
}

impl Time {
    /// The JSON value, given the edge of the window for this claim.
    fn to_json(&self, edge: i64) -> Option<Value> {
        let at = |offset: i64| NOW.checked_add_signed(offset).unwrap();
        match self {
            Time::Absent => None,
            Time::Now(offset) => Some(json!(at(*offset))),
            Time::Fraction(offset) => Some(json!(at(*offset) as f64 + 0.25)),
            Time::Edge(delta) => Some(json!(at(edge + delta))),
            Time::Raw(value) => Some(value.clone()),
        }
    }
}

/// A `NumericDate` as RFC 7519 defines it: a non-negative number of seconds, fractions
/// allowed (here truncated); anything else is a claim of the wrong type. The crate also
/// refuses fractions of 2^63 and more (far beyond any real date, and safe from overflow).
fn numeric_date(value: &Value) -> Result<u64, ()> {
    match value {
        Value::Number(n) => match (n.as_u64(), n.as_f64()) {
            (Some(secs), _) => Ok(secs),
            (None, Some(f)) if (0.0..9.2e18).contains(&f) => Ok(f as u64),
            _ => Err(()),
        },
        _ => Err(()),
    }
}

fn string_list(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

/// The verdict the claims deserve, computed from RFC 7519 and the crate's documented rules.
struct Expected {
    /// The errors the verifier may answer with (it stops at the first problem it meets, so
    /// any of them will do); empty when the token must be accepted.
    errors: Vec<AuthError>,
    roles: Vec<String>,
    scopes: Vec<String>,
    exp: Option<u64>,
    nbf: Option<u64>,
    iat: Option<u64>,
    aud: Vec<String>,
}

impl ClaimSpec {
    fn leeway(&self) -> i64 {
        self.leeway as i64
    }

    fn to_json(&self) -> Value {
        let mut claims = self.extra.clone();
        let l = self.leeway();
        let times = [
            ("exp", self.exp.to_json(-l)),
            ("nbf", self.nbf.to_json(l)),
            ("iat", self.iat.to_json(l)),
        ];
        let others = [
            ("iss", self.iss.clone()),
            ("sub", self.sub.clone()),
            ("aud", self.aud.clone()),
            ("roles", self.roles.clone()),
            ("scope", self.scope.clone()),
        ];
        for (name, value) in times.into_iter().chain(others) {
            if let Some(value) = value {
                claims.insert(name.into(), value);
            }
        }
        Value::Object(claims)
    }

    fn expected(&self) -> Expected {
        let json = self.to_json();
        let get = |name: &str| json.get(name);
        let mut errors = Vec::new();
        let invalid = |name: &str| AuthError::InvalidClaim(name.into());
        let mut time = |name: &'static str| match get(name).map(numeric_date) {
            None => None,
            Some(Ok(t)) => Some(t),
            Some(Err(())) => {
                errors.push(invalid(name));
                None
            }
        };
        let (exp, nbf, iat) = (time("exp"), time("nbf"), time("iat"));
        let (now, leeway) = (NOW, self.leeway);
        match exp {
            None if get("exp").is_none() => errors.push(AuthError::MissingClaim("exp")),
            None => {}
            // Valid while now < exp (RFC 7519 4.1.4), with the leeway for clock skew.
            Some(exp) if now >= exp.saturating_add(leeway) => errors.push(AuthError::Expired),
            Some(_) => {}
        }
        if nbf.is_some_and(|nbf| nbf > now + leeway) {
            errors.push(AuthError::NotYetValid);
        }
        if iat.is_some_and(|iat| iat > now + leeway) {
            errors.push(AuthError::IssuedInFuture);
        }
        for name in ["iss", "sub"] {
            if get(name).is_some_and(|v| !v.is_string()) {
                errors.push(invalid(name));
            }
        }
        match get("iss") {
            None => errors.push(AuthError::MissingClaim("iss")),
            Some(Value::String(iss)) if iss != ISSUER => errors.push(AuthError::InvalidIssuer),
            Some(_) => {}
        }
        let aud = match get("aud").map(string_list) {
            None => Vec::new(),
            Some(Some(list)) => list,
            Some(None) => {
                errors.push(invalid("aud"));
                Vec::new()
            }
        };
        if get("aud").is_none() || aud.is_empty() && get("aud").is_some_and(Value::is_array) {
            errors.push(AuthError::MissingClaim("aud"));
        } else if !aud.is_empty() && !aud.iter().any(|a| a == AUDIENCE) {
            errors.push(AuthError::InvalidAudience);
        }
        let roles = match get("roles") {
            None | Some(Value::Null) => Vec::new(),
            Some(value) => string_list(value).unwrap_or_else(|| {
                errors.push(invalid("roles"));
                Vec::new()
            }),
        };
        let scopes = match get("scope") {
            None => Vec::new(),
            Some(Value::String(s)) => s
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            Some(_) => {
                errors.push(invalid("scope"));
                Vec::new()
            }
        };
        Expected {
            errors,
            roles,
            scopes,
            exp,
            nbf,
            iat,
            aud,
        }
    }

    /// The token, issued by `authority` (which adds `jti`) with exactly these claims.
    fn issue(&self, authority: &Authority) -> String {
        let Value::Object(claims) = self.to_json() else {
            unreachable!()
        };
        let mut builder = authority.token("placeholder");
        for name in ["iss", "sub", "aud", "exp", "nbf", "iat"] {
            builder = builder.without(name);
        }
        for (name, value) in claims {
            builder = builder.claim(name, value);
        }
        builder.issue().unwrap()
    }
}

/// `verifier`'s answer for a token with `spec`'s claims is the one `spec` deserves.
fn check_decision(verifier: &Verifier, token: &str, spec: &ClaimSpec) -> Result<(), TestCaseError> {
    let expected = spec.expected();
    let result = verifier.verify_shared(token).map(VerifiedToken::into_parts);
    if token.len() > DEFAULT_MAX_TOKEN_LEN {
        prop_assert!(
            matches!(result, Err(AuthError::TokenTooLong { .. })),
            "{:?}",
            result
        );
        return Ok(());
    }
    match result {
        Ok((claims, payload)) => {
            prop_assert!(
                expected.errors.is_empty(),
                "accepted, but the claims are invalid: {:?}",
                expected.errors
            );
            let sent = spec.to_json();
            let mut received: Value = serde_json::from_slice(&payload).unwrap();
            prop_assert!(received["jti"].is_string());
            received.as_object_mut().unwrap().remove("jti");
            prop_assert_eq!(&received, &sent);
            prop_assert_eq!(
                claims.sub.as_deref(),
                sent.get("sub").and_then(Value::as_str)
            );
            prop_assert_eq!(claims.iss.as_deref(), Some(ISSUER));
            prop_assert_eq!(&claims.aud.0, &expected.aud);
            prop_assert_eq!(Some(claims.exp), expected.exp);
            prop_assert_eq!(claims.nbf, expected.nbf);
            prop_assert_eq!(claims.iat, expected.iat);
            prop_assert_eq!(&claims.roles, &expected.roles);
            prop_assert_eq!(&claims.scopes, &expected.scopes);
            for (name, value) in &spec.extra {
                prop_assert_eq!(claims.extra.get(name), Some(value));
            }
        }
        Err(error) => {
            check_contract(&error, "api");
            prop_assert!(
                expected.errors.contains(&error),
                "refused with {:?}; expected one of {:?}",
                error,
                expected.errors
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(1_000))]

    /// Tokens of the authority with random claims, judged at a fixed instant with a random
    /// leeway: accepted exactly when the claims are valid, with the claims as sent; and again
    /// the same answer from the verified-token cache.
    #[test]
    fn accepted_exactly_when_claims_are_valid(which in 0..ALGS.len(), spec in arb_claims()) {
        let f = &FIXTURES[which];
        let verifier = f
            .authority
            .verifier()
            .clock(FixedClock(NOW))
            .leeway(Duration::from_secs(spec.leeway))
            .build()
            .unwrap();
        let token = spec.issue(&f.authority);
        check_decision(&verifier, &token, &spec)?;
        // The second answer may come from the cache: it must be the same.
        let first = verifier.verify(&token);
        prop_assert_eq!(verifier.verify(&token), first);
        check_decision(&verifier, &token, &spec)?;
    }

}

proptest! {
    #![proptest_config(config(600))]

    /// The same claims signed by another key of the same algorithm, under the trusted key's
    /// `kid` or its own: always refused, whatever the claims.
    #[test]
    fn another_key_of_the_same_algorithm_is_refused(
        which in 0..ALGS.len(),
        spec in arb_claims(),
        kid_choice in 0u8..3,
    ) {
        let f = &FIXTURES[which];
        let kid = match kid_choice {
            0 => Some(f.authority.signing_kid()),
            1 => Some(f.stranger.kid().to_owned()),
            _ => None,
        };
        let mut header = json!({"alg": algorithm_name(f.alg), "typ": "at+jwt"});
        if let Some(kid) = &kid {
            header["kid"] = json!(kid);
        }
        let token = sign(&f.stranger, &header, &spec.to_json());
        let error = f.verifier.verify(&token).expect_err("a stranger's token was accepted");
        check_contract(&error, "api");
        if token.len() <= DEFAULT_MAX_TOKEN_LEN {
            let expected = match kid_choice {
                // The stranger's kid is unknown; no kid at all finds the only key.
                1 => AuthError::UnknownKey,
                _ => AuthError::InvalidSignature,
            };
            prop_assert_eq!(error, expected);
        }
    }
}

fn algorithm_name(alg: Algorithm) -> &'static str {
    alg.name()
}

// ---------------------------------------------------------------------------------------------
// Header members, correctly signed
// ---------------------------------------------------------------------------------------------

/// Whether the verifier must accept a correctly signed token with this header and valid
/// claims: RFC 8725 and the security floor of docs/design.md.
fn header_acceptable(header: &Value, f: &Fixture) -> bool {
    let Value::Object(h) = header else {
        return false;
    };
    let string_or_absent = |name: &str| h.get(name).is_none_or(|v| v.is_string() || v.is_null());
    // Exactly the key's algorithm, spelled exactly.
    let alg_ok = h.get("alg") == Some(&json!(algorithm_name(f.alg)));
    // The key's kid, or none (a verifier with one key uses it).
    let kid_ok = match h.get("kid") {
        None | Some(Value::Null) => true,
        Some(kid) => kid == &json!(f.authority.signing_kid()),
    };
    alg_ok
        && kid_ok
        && string_or_absent("typ")
        && !h.contains_key("crit")
        && !h.contains_key("enc")
        && h.get("b64").is_none_or(|b| b == &json!(true))
}

proptest! {
    #![proptest_config(config(1_000))]

    /// Any header, signed by the trusted key over valid claims: accepted exactly when the
    /// header is acceptable (`jku`, `jwk` and unknown members are ignored, never followed).
    #[test]
    fn correctly_signed_any_header(
        (which, header) in (0..ALGS.len())
            .prop_flat_map(|i| (Just(i), arb_header_object(Some(i))))
    ) {
        let f = &FIXTURES[which];
        let claims = json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": NOW + 60});
        let token = sign(&f.key, &header, &claims);
        let result = f.verifier.verify(&token);
        if header_acceptable(&header, f) {
            prop_assert!(result.is_ok(), "refused {}: {:?}", header, result);
        } else {
            let error = result.expect_err("an unacceptable header was accepted");
            check_contract(&error, "api");
            prop_assert_eq!(error.class(), ErrorClass::InvalidToken);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Single-byte mutations
// ---------------------------------------------------------------------------------------------

/// base64url without padding that ignores non-zero trailing bits: what a lax decoder would
/// make of a part.
const LAX: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// Whether `a` and `b` decode, laxly, to the same three parts.
fn same_parts_laxly(a: &str, b: &str) -> bool {
    let parts = |t: &str| -> Option<Vec<Vec<u8>>> {
        let parts: Vec<&str> = t.split('.').collect();
        if parts.len() != 3 {
            return None;
        }
        parts.iter().map(|p| LAX.decode(p).ok()).collect()
    };
    matches!((parts(a), parts(b)), (Some(x), Some(y)) if x == y)
}

fn mutate(token: &str, at: usize, byte: u8) -> Vec<u8> {
    let mut bytes = token.as_bytes().to_vec();
    bytes[at] = byte;
    bytes
}

/// The answer to a token with one byte changed: refused. A byte outside ASCII cannot be in
/// token text at all (not UTF-8, or not `b64token`): it is refused at the header.
fn check_mutation(f: &Fixture, at: usize, byte: u8) -> Result<(), TestCaseError> {
    let original = f.token.as_bytes()[at];
    if byte == original {
        return Ok(());
    }
    let mutated = mutate(&f.token, at, byte);
    let mut value = b"Bearer ".to_vec();
    value.extend_from_slice(&mutated);
    let Ok(text) = String::from_utf8(mutated) else {
        let error = bearer_from_values([value.as_slice()].into_iter()).unwrap_err();
        prop_assert_eq!(error, AuthError::InvalidCharacter);
        return Ok(());
    };
    let error = f
        .verifier
        .verify(&text)
        .expect_err("a mutated token was accepted");
    check_contract(&error, "api");
    if same_parts_laxly(&f.token, &text) {
        // Only the last character of a part can change this way: its low bits are spare,
        // and strict base64url requires them to be zero. In the header or the payload the
        // signature, which covers the encoded text, refuses the token anyway (the header is
        // decoded, strictly, before the signature is checked). In the signature part the
        // decoded signature is the same bytes and still verifies: strict decoding is the only
        // thing that refuses it.
        let signature_part = at > f.token.rfind('.').unwrap();
        if signature_part {
            prop_assert_eq!(&error, &AuthError::Malformed("signature is not base64url"));
        } else {
            prop_assert!(
                matches!(error, AuthError::Malformed(_) | AuthError::InvalidSignature),
                "{:?}",
                error
            );
        }
    }
    // Through the header too: refused (the same way when the header yields the same text;
    // a space at either end is trimmed off first), or a request error for a character that
    // a bearer token cannot hold.
    match bearer_from_values([value.as_slice()].into_iter()) {
        Ok(token) if token == text => {
            prop_assert_eq!(f.verifier.verify(token).unwrap_err(), error);
        }
        Ok(token) => prop_assert!(f.verifier.verify(token).is_err()),
        Err(e) => prop_assert!(e.class() == ErrorClass::InvalidRequest, "{:?}", e),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(3_000))]

    /// Any single byte of a valid token changed to any other byte: refused. The original
    /// stays accepted (and cached) throughout, so a mutation never hits its cache entry.
    #[test]
    fn any_single_byte_mutation_is_refused(
        which in 0..ALGS.len(),
        at in any::<Index>(),
        byte in prop_oneof![
            3 => prop::sample::select(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".to_vec()),
            1 => any::<u8>(),
        ],
    ) {
        let f = &FIXTURES[which];
        prop_assert!(f.verifier.verify(&f.token).is_ok());
        check_mutation(f, at.index(f.token.len()), byte)?;
    }
}

/// Exhaustively, the last character of each part (where non-canonical encodings live) and
/// each dot, changed to every ASCII byte, for every algorithm.
#[test]
fn every_mutation_of_part_ends_is_refused() {
    for f in FIXTURES.iter() {
        let dots: Vec<usize> = f.token.match_indices('.').map(|(i, _)| i).collect();
        let last = f.token.len() - 1;
        let mut lax_equal_signatures = 0;
        for at in [dots[0] - 1, dots[0], dots[1] - 1, dots[1], last] {
            for byte in 0..=0x7f {
                check_mutation(f, at, byte).unwrap();
                let text = String::from_utf8(mutate(&f.token, at, byte)).unwrap();
                if at == last && byte != f.token.as_bytes()[at] && same_parts_laxly(&f.token, &text)
                {
                    lax_equal_signatures += 1;
                }
            }
        }
        // Every signature here is 32, 64 or 256 bytes: its encoding ends in a character with
        // 2 or 4 spare bits, so 3 or 15 other characters decode, laxly, to the same signature.
        // Each of them was refused above, as Malformed.
        let spare_bits = match (f.token.len() - dots[1] - 1) % 4 {
            2 => 4,
            3 => 2,
            _ => 0,
        };
        assert_eq!(lax_equal_signatures, (1 << spare_bits) - 1, "{:?}", f.alg);
        assert!(spare_bits > 0, "{:?}", f.alg);
    }
}
