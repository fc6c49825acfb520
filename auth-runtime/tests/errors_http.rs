//! The HTTP error contract of docs/design.md (RFC 6750): for every `AuthError`, its
//! status, error code, `WWW-Authenticate` challenge and client-safe message; and the bearer
//! header mistakes through `bearer_token` and `Verifier::verify`.
//!
//! Run with `cargo test -p auth-runtime --features testing --test errors_http`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use auth_runtime::{
    Algorithm, AuthError, ErrorClass, RequirementKind, Verifier, bearer_token, testing,
};
use http::header::WWW_AUTHENTICATE;
use http::{HeaderMap, StatusCode};
use support::authorization;

const INVALID_TOKEN: &str = "the access token is invalid";

/// One variant and everything the contract says about it.
struct Expected {
    error: AuthError,
    class: ErrorClass,
    status: u16,
    code: Option<&'static str>,
    /// The exact `WWW-Authenticate` value for realm `api`, or `None`.
    challenge: Option<&'static str>,
    message: &'static str,
}

fn insufficient_scope(error: AuthError) -> Expected {
    Expected {
        error,
        class: ErrorClass::InsufficientScope,
        status: 403,
        code: Some("insufficient_scope"),
        challenge: Some(
            r#"Bearer realm="api", error="insufficient_scope", error_description="the access token does not grant this operation""#,
        ),
        message: "the access token does not grant this operation",
    }
}

fn server_error(error: AuthError) -> Expected {
    Expected {
        error,
        class: ErrorClass::ServerError,
        status: 500,
        code: None,
        challenge: None,
        message: "authentication is not configured on this server",
    }
}

fn no_credentials(error: AuthError) -> Expected {
    Expected {
        error,
        class: ErrorClass::NoCredentials,
        status: 401,
        code: None,
        challenge: Some(r#"Bearer realm="api""#),
        message: "authentication required",
    }
}

fn invalid_request(error: AuthError, message: &'static str, challenge: &'static str) -> Expected {
    Expected {
        error,
        class: ErrorClass::InvalidRequest,
        status: 400,
        code: Some("invalid_request"),
        challenge: Some(challenge),
        message,
    }
}

fn invalid_token(error: AuthError) -> Expected {
    Expected {
        error,
        class: ErrorClass::InvalidToken,
        status: 401,
        code: Some("invalid_token"),
        challenge: Some(
            r#"Bearer realm="api", error="invalid_token", error_description="the access token is invalid""#,
        ),
        message: INVALID_TOKEN,
    }
}

/// Every variant of `AuthError` (the enum is `#[non_exhaustive]`: a new variant must be added
/// here by hand), with what docs/design.md ("HTTP error contract") requires of it.
fn every_variant() -> Vec<Expected> {
    vec![
        // No credentials at all: 401, a bare challenge without an error code.
        no_credentials(AuthError::MissingCredentials),
        no_credentials(AuthError::UnsupportedScheme),
        // Malformed request: 400 invalid_request.
        invalid_request(
            AuthError::MultipleAuthorizationHeaders { count: 2 },
            "the request has more than one Authorization header",
            r#"Bearer realm="api", error="invalid_request", error_description="the request has more than one Authorization header""#,
        ),
        invalid_request(
            AuthError::EmptyToken,
            "the Authorization header is malformed",
            r#"Bearer realm="api", error="invalid_request", error_description="the Authorization header is malformed""#,
        ),
        invalid_request(
            AuthError::InvalidCharacter,
            "the Authorization header is malformed",
            r#"Bearer realm="api", error="invalid_request", error_description="the Authorization header is malformed""#,
        ),
        invalid_request(
            AuthError::TokenInSeveralPlaces,
            "the request carries an access token in more than one place",
            r#"Bearer realm="api", error="invalid_request", error_description="the request carries an access token in more than one place""#,
        ),
        // Bad token: 401 invalid_token, one generic message for all but expiry.
        invalid_token(AuthError::TokenTooLong {
            len: 9000,
            max: 8192,
        }),
        invalid_token(AuthError::Malformed("header is not base64url")),
        invalid_token(AuthError::UnsupportedAlgorithm("none".into())),
        invalid_token(AuthError::UnsupportedCritical),
        invalid_token(AuthError::InvalidType),
        invalid_token(AuthError::UnknownKey),
        invalid_token(AuthError::AlgorithmMismatch {
            header: "HS256".into(),
            key: "RS256",
        }),
        invalid_token(AuthError::InvalidSignature),
        Expected {
            error: AuthError::Expired,
            class: ErrorClass::InvalidToken,
            status: 401,
            code: Some("invalid_token"),
            challenge: Some(
                r#"Bearer realm="api", error="invalid_token", error_description="the access token expired""#,
            ),
            message: "the access token expired",
        },
        invalid_token(AuthError::NotYetValid),
        invalid_token(AuthError::IssuedInFuture),
        invalid_token(AuthError::MissingClaim("exp")),
        invalid_token(AuthError::InvalidClaim("aud".into())),
        invalid_token(AuthError::ClaimsTypeMismatch(
            "missing field `tenant`".into(),
        )),
        invalid_token(AuthError::InvalidIssuer),
        invalid_token(AuthError::InvalidAudience),
        // Valid token, not enough rights: 403 insufficient_scope.
        insufficient_scope(AuthError::InsufficientScope {
            kind: RequirementKind::Role,
            required: "admin".into(),
        }),
        // A cookie-borne token without its CSRF proof: 403, and no bearer challenge (the
        // token is not the problem).
        Expected {
            error: AuthError::CsrfMismatch,
            class: ErrorClass::CrossSiteRequest,
            status: 403,
            code: None,
            challenge: None,
            message: "the request's CSRF token is missing or does not match",
        },
        // No verifier: 500, no challenge at all.
        server_error(AuthError::VerifierMissing),
        // A handler's own token locations that cannot work: 500 as well.
        server_error(AuthError::InvalidTokenLocations(
            "a location is listed twice",
        )),
        // A check function the adapter's entry cannot run: 500, never let in unchecked.
        server_error(AuthError::CheckNotRun),
        // A check function's refusal: 403 as a missing role.
        insufficient_scope(AuthError::forbidden("not the owner")),
        // A check function hiding a resource: 404, no challenge (the token is fine).
        Expected {
            error: AuthError::not_found("not the owner"),
            class: ErrorClass::NotFound,
            status: 404,
            code: None,
            challenge: None,
            message: "no such resource",
        },
        // A check function that cannot decide: 503, no challenge.
        Expected {
            error: AuthError::check_unavailable("the database is away"),
            class: ErrorClass::Unavailable,
            status: 503,
            code: None,
            challenge: None,
            message: "the request cannot be decided now; try again later",
        },
        // A revoked token (its jti, its session, its subject's cut-off): 401 invalid_token
        // with words of its own, so that a client knows to log in again.
        Expected {
            error: AuthError::Revoked,
            class: ErrorClass::InvalidToken,
            status: 401,
            code: Some("invalid_token"),
            challenge: Some(
                r#"Bearer realm="api", error="invalid_token", error_description="the access token has been revoked""#,
            ),
            message: "the access token has been revoked",
        },
        // A list failing closed and out of sync: 503, no challenge (the token may be fine).
        Expected {
            error: AuthError::RevocationUnknown,
            class: ErrorClass::Unavailable,
            status: 503,
            code: None,
            challenge: None,
            message: "the request cannot be decided now; try again later",
        },
    ]
}

/// The variant names of `AuthError` as the library declares them (its source), so the table
/// above is checked against the library rather than against a count written beside it.
fn declared_variants() -> Vec<String> {
    let source = include_str!("../src/error.rs");
    let start = source
        .find("pub enum AuthError {")
        .expect("AuthError is declared in src/error.rs");
    let body = &source[start..];
    let body = &body[..body.find("\n}\n").expect("the end of the enum")];
    body.lines()
        .filter_map(|line| line.strip_prefix("    "))
        .filter(|line| line.starts_with(|c: char| c.is_ascii_uppercase()))
        .map(|line| {
            line.chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect()
        })
        .collect()
}

/// `Variant` of `Variant`, `Variant(..)` or `Variant { .. }`.
fn variant_name(error: &AuthError) -> String {
    format!("{error:?}")
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

#[test]
fn every_variant_has_its_status_code_and_challenge() {
    let all = every_variant();
    let mut listed: Vec<String> = all.iter().map(|e| variant_name(&e.error)).collect();
    let mut declared = declared_variants();
    listed.sort();
    declared.sort();
    assert_eq!(
        listed, declared,
        "one table entry per AuthError variant the library declares"
    );
    for expected in &all {
        let error = &expected.error;
        assert_eq!(error.class(), expected.class, "{error:?}");
        assert_eq!(error.status().as_u16(), expected.status, "{error:?}");
        assert_eq!(error.error_code(), expected.code, "{error:?}");
        assert_eq!(error.client_message(), expected.message, "{error:?}");
        let challenge = error.www_authenticate("api");
        assert_eq!(
            challenge.as_ref().map(|h| h.to_str().unwrap()),
            expected.challenge,
            "{error:?}"
        );
        // The challenge goes into a header map and comes out unchanged.
        if let Some(challenge) = challenge {
            let mut headers = HeaderMap::new();
            headers.insert(WWW_AUTHENTICATE, challenge);
            assert_eq!(
                headers.get(WWW_AUTHENTICATE).map(|h| h.to_str().unwrap()),
                expected.challenge,
                "{error:?}"
            );
        }
    }
}

#[test]
fn the_statuses_follow_the_design_table() {
    use AuthError::*;
    // docs/design.md, "HTTP error contract", row by row.
    assert_eq!(MissingCredentials.status(), StatusCode::UNAUTHORIZED);
    let no_code = MissingCredentials.www_authenticate("api").unwrap();
    assert!(!no_code.to_str().unwrap().contains("error="));
    for malformed in [
        MultipleAuthorizationHeaders { count: 3 },
        EmptyToken,
        InvalidCharacter,
    ] {
        assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
        assert!(
            malformed
                .www_authenticate("api")
                .unwrap()
                .to_str()
                .unwrap()
                .contains(r#"error="invalid_request""#)
        );
    }
    for bad in [
        InvalidSignature,
        Expired,
        InvalidIssuer,
        InvalidAudience,
        UnknownKey,
    ] {
        assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
        assert!(
            bad.www_authenticate("api")
                .unwrap()
                .to_str()
                .unwrap()
                .contains(r#"error="invalid_token""#)
        );
    }
    let forbidden = InsufficientScope {
        kind: RequirementKind::Scope,
        required: "orders:write".into(),
    };
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    assert!(
        forbidden
            .www_authenticate("api")
            .unwrap()
            .to_str()
            .unwrap()
            .contains(r#"error="insufficient_scope""#)
    );
    assert_eq!(VerifierMissing.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(VerifierMissing.www_authenticate("api"), None);
}

#[test]
fn the_realm_is_quoted() {
    let quoted = |error: &AuthError, realm: &str| {
        error
            .www_authenticate(realm)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        quoted(&AuthError::MissingCredentials, r#"my "api""#),
        r#"Bearer realm="my \"api\"""#
    );
    assert_eq!(
        quoted(&AuthError::MissingCredentials, r"back\slash"),
        r#"Bearer realm="back\\slash""#
    );
    assert_eq!(
        quoted(&AuthError::InvalidSignature, r#"a", error="none"#),
        r#"Bearer realm="a\", error=\"none", error="invalid_token", error_description="the access token is invalid""#
    );
    assert_eq!(
        quoted(&AuthError::MissingCredentials, ""),
        r#"Bearer realm="""#
    );
    // A realm a header cannot carry still gives a valid (bare) challenge, never a panic.
    for realm in ["line\nbreak", "nul\0", "cr\r"] {
        let challenge = AuthError::InvalidSignature.www_authenticate(realm).unwrap();
        assert_eq!(challenge, "Bearer");
    }
    assert_eq!(AuthError::VerifierMissing.www_authenticate(r#"x""#), None);
}

#[test]
fn the_client_never_learns_the_precise_cause() {
    // Everything that would tell a forger which check failed.
    let secrets = [
        "kid",
        "key",
        "signature",
        "alg",
        "hs256",
        "rs256",
        "none",
        "claim",
        "exp",
        "aud",
        "iss",
        "nbf",
        "iat",
        "typ",
        "crit",
        "base64",
        "json",
        "9000",
        "8192",
        "admin",
        "orders:write",
        "header is not",
        "type",
        "verifier",
    ];
    let errors = [
        AuthError::UnknownKey,
        AuthError::InvalidSignature,
        AuthError::AlgorithmMismatch {
            header: "HS256".into(),
            key: "RS256",
        },
        AuthError::UnsupportedAlgorithm("none".into()),
        AuthError::MissingClaim("exp"),
        AuthError::MissingClaim("aud"),
        AuthError::InvalidClaim("exp".into()),
        AuthError::InvalidClaim("iss".into()),
        AuthError::InvalidIssuer,
        AuthError::InvalidAudience,
        AuthError::NotYetValid,
        AuthError::IssuedInFuture,
        AuthError::InvalidType,
        AuthError::UnsupportedCritical,
        AuthError::Malformed("header is not base64url"),
        AuthError::TokenTooLong {
            len: 9000,
            max: 8192,
        },
        AuthError::InsufficientScope {
            kind: RequirementKind::Role,
            required: "admin".into(),
        },
        AuthError::InsufficientScope {
            kind: RequirementKind::Scope,
            required: "orders:write".into(),
        },
    ];
    for error in &errors {
        let message = error.client_message().to_ascii_lowercase();
        let challenge = error
            .www_authenticate("api")
            .unwrap()
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        for secret in secrets {
            assert!(
                !message.contains(secret),
                "{error:?}: client message {message:?} mentions {secret:?}"
            );
            // The challenge holds the realm, the code and the message; nothing else.
            let without_code = challenge
                .replace("invalid_token", "")
                .replace("insufficient_scope", "");
            assert!(
                !without_code.contains(secret),
                "{error:?}: challenge {challenge:?} mentions {secret:?}"
            );
        }
    }
    // Every bad-token failure but expiry reads the same: the client cannot tell an unknown
    // key from a bad signature from a missing claim. (The rows are chosen here, not by the
    // library's own classification: all but the last two are bad tokens.)
    let (bad_tokens, forbidden) = errors.split_at(errors.len() - 2);
    for error in bad_tokens {
        assert_eq!(error.class(), ErrorClass::InvalidToken, "{error:?}");
        assert_eq!(error.client_message(), INVALID_TOKEN, "{error:?}");
    }
    for error in forbidden {
        assert_eq!(error.class(), ErrorClass::InsufficientScope, "{error:?}");
        assert_eq!(
            error.client_message(),
            "the access token does not grant this operation",
            "{error:?}"
        );
    }
    // Expiry may say so: the client's remedy (refresh) differs.
    assert_eq!(
        AuthError::Expired.client_message(),
        "the access token expired"
    );
    // The precise cause is in Display, for the logs.
    assert!(
        AuthError::InvalidClaim("tenant".into())
            .to_string()
            .contains("tenant")
    );
    assert!(AuthError::MissingClaim("aud").to_string().contains("aud"));
    assert!(
        AuthError::AlgorithmMismatch {
            header: "HS256".into(),
            key: "RS256"
        }
        .to_string()
        .contains("HS256")
    );
    assert!(AuthError::UnknownKey.to_string().contains("kid"));
}

// ---------------------------------------------------------------------------------------------
// Bearer extraction through `bearer_token`, then `Verifier::verify`.
// ---------------------------------------------------------------------------------------------

/// The exact challenge (realm `api`) for the variants a header mistake can give, written out
/// from the contract rather than asked of the library.
fn challenge_for(expected: &AuthError) -> &'static str {
    match expected {
        AuthError::MissingCredentials | AuthError::UnsupportedScheme => r#"Bearer realm="api""#,
        AuthError::MultipleAuthorizationHeaders { .. } => {
            r#"Bearer realm="api", error="invalid_request", error_description="the request has more than one Authorization header""#
        }
        AuthError::EmptyToken | AuthError::InvalidCharacter => {
            r#"Bearer realm="api", error="invalid_request", error_description="the Authorization header is malformed""#
        }
        AuthError::Malformed(_) => {
            r#"Bearer realm="api", error="invalid_token", error_description="the access token is invalid""#
        }
        other => panic!("no header mistake gives {other:?}"),
    }
}

#[test]
fn each_header_mistake_maps_to_its_variant_and_status() {
    let (authority, verifier) = testing::pair(Algorithm::EdDSA);
    let token = authority.issue("alice", ["user"]).unwrap();
    let bearer = format!("Bearer {token}");
    let basic = b"Basic dXNlcjpwYXNz";

    let cases: Vec<(&str, HeaderMap, AuthError, u16)> = vec![
        (
            "no header",
            HeaderMap::new(),
            AuthError::MissingCredentials,
            401,
        ),
        (
            "Basic scheme",
            authorization(&[basic]),
            AuthError::UnsupportedScheme,
            401,
        ),
        (
            "Digest scheme",
            authorization(&[b"Digest username=\"alice\""]),
            AuthError::UnsupportedScheme,
            401,
        ),
        (
            "token without scheme",
            authorization(&[token.as_bytes()]),
            AuthError::UnsupportedScheme,
            401,
        ),
        (
            "empty header",
            authorization(&[b""]),
            AuthError::UnsupportedScheme,
            401,
        ),
        (
            "Bearer alone",
            authorization(&[b"Bearer"]),
            AuthError::EmptyToken,
            400,
        ),
        (
            "Bearer and spaces",
            authorization(&[b"Bearer    "]),
            AuthError::EmptyToken,
            400,
        ),
        (
            "two headers",
            authorization(&[bearer.as_bytes(), bearer.as_bytes()]),
            AuthError::MultipleAuthorizationHeaders { count: 2 },
            400,
        ),
        (
            "a bearer and a basic header",
            authorization(&[bearer.as_bytes(), basic]),
            AuthError::MultipleAuthorizationHeaders { count: 2 },
            400,
        ),
        (
            "three headers",
            authorization(&[b"Bearer a", b"Bearer b", b"Bearer c"]),
            AuthError::MultipleAuthorizationHeaders { count: 3 },
            400,
        ),
        (
            "space inside the token",
            authorization(&[b"Bearer abc def"]),
            AuthError::InvalidCharacter,
            400,
        ),
        (
            "comma",
            authorization(&[b"Bearer a.b.c, Bearer d.e.f"]),
            AuthError::InvalidCharacter,
            400,
        ),
        (
            "quotes",
            authorization(&[b"Bearer \"a.b.c\""]),
            AuthError::InvalidCharacter,
            400,
        ),
        (
            "non-ASCII byte",
            authorization(&[b"Bearer a.b\xe9.c"]),
            AuthError::InvalidCharacter,
            400,
        ),
        (
            "padding in the middle",
            authorization(&[b"Bearer a=b.c.d"]),
            AuthError::InvalidCharacter,
            400,
        ),
        (
            "well-formed header, garbage token",
            authorization(&[b"Bearer not.a.token"]),
            AuthError::Malformed("any"),
            401,
        ),
    ];
    for (what, headers, expected, status) in cases {
        let error = verify_headers(&verifier, &headers).unwrap_err();
        if let AuthError::Malformed(_) = expected {
            assert!(
                matches!(error, AuthError::Malformed(_)),
                "{what}: {error:?}"
            );
        } else {
            assert_eq!(error, expected, "{what}");
        }
        assert_eq!(error.status().as_u16(), status, "{what}");
        let challenge = error.www_authenticate(verifier.realm());
        assert_eq!(
            challenge.as_ref().map(|h| h.to_str().unwrap()),
            Some(challenge_for(&expected)),
            "{what}"
        );
    }

    // The right header verifies, whatever the scheme's casing and spacing.
    for value in [
        format!("Bearer {token}"),
        format!("bearer {token}"),
        format!("BEARER   {token}"),
        format!("Bearer {token}  "),
    ] {
        let claims = verify_headers(&verifier, &authorization(&[value.as_bytes()])).unwrap();
        assert_eq!(claims.sub.as_deref(), Some("alice"));
        assert!(claims.has_role("user"));
    }
}

#[test]
fn the_verifier_realm_names_the_challenge() {
    let (_, default) = testing::pair(Algorithm::ES256);
    assert_eq!(default.realm(), "api");
    let authority = testing::authority(Algorithm::ES256);
    let verifier = authority.verifier().realm("orders").build().unwrap();
    assert_eq!(verifier.realm(), "orders");
    let error = verify_headers(&verifier, &HeaderMap::new()).unwrap_err();
    assert_eq!(
        error.www_authenticate(verifier.realm()).unwrap(),
        r#"Bearer realm="orders""#
    );
    let expired = authority
        .token("alice")
        .expires_at(testing::now() - 3600)
        .issue()
        .unwrap();
    let error = verify_headers(
        &verifier,
        &authorization(&[format!("Bearer {expired}").as_bytes()]),
    )
    .unwrap_err();
    assert_eq!(error, AuthError::Expired);
    assert_eq!(
        error.www_authenticate(verifier.realm()).unwrap(),
        r#"Bearer realm="orders", error="invalid_token", error_description="the access token expired""#
    );
}

/// The bearer token of `headers`, verified: what a guard does with a request's headers.
fn verify_headers(
    verifier: &Verifier,
    headers: &HeaderMap,
) -> Result<auth_runtime::Claims, AuthError> {
    verifier.verify(bearer_token(headers)?)
}
