//! `Authorization: Bearer` parsing: `bearer_token` over an `http::HeaderMap`,
//! `bearer_from_values` over raw header values and `parse_authorization` over one value.
//!
//! Input: header values separated by `\n` (a value never holds one). Invariants, besides
//! "never panics":
//! - a token returned is non-empty, has no whitespace, is in the RFC 6750 `b64token` alphabet
//!   (`=` only at the end, after at least one other character), and lies inside the value it
//!   came from (a borrowed slice of it);
//! - `bearer_token`, `bearer_from_values` and `parse_authorization` agree: one value parses as
//!   `parse_authorization` says, several are refused with their count, none is "missing";
//! - `Bearer <t>` parses back to `t` for every `t` returned, and for every `b64token` `t`;
//! - `parse_authorization` agrees exactly (the token, as the same slice, or the error) with an
//!   independent model of RFC 6750 section 2.1 as the runtime documents it: optional
//!   whitespace (spaces, tabs) around the value; the scheme `Bearer` in any case, then the end
//!   of the value (`EmptyToken`) or at least one space; another scheme (`Basic ...`,
//!   `Bearer\t...`, `Bearerabc`, an empty value) is `UnsupportedScheme`; after the spaces, a
//!   `b64token` or `InvalidCharacter`; no header at all is `MissingCredentials`.

#![no_main]

use auth_runtime::{AuthError, bearer_from_values, bearer_token, parse_authorization};
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let values: Vec<&[u8]> = data.split(|b| *b == b'\n').collect();

    for value in &values {
        let parsed = parse_authorization(value);
        let expected = model(value);
        match (&parsed, &expected) {
            (Ok(token), Ok(range)) => assert!(
                token.as_ptr() == value[range.clone()].as_ptr() && token.len() == range.len(),
                "token {token:?} of {value:?} is not the model's bytes {range:?}"
            ),
            _ => assert_eq!(
                parsed.clone().map(|_| ()),
                expected.clone().map(|_| ()),
                "the model and parse_authorization disagree on {value:?}"
            ),
        }
        if let Ok(token) = parsed {
            check_token(token, value);
            let again = format!("Bearer {token}");
            assert_eq!(
                parse_authorization(again.as_bytes()),
                Ok(token),
                "round trip"
            );
        }
        // Every b64token is accepted after `Bearer `, as itself.
        if is_b64token(value) {
            let mut header = b"bEaReR  ".to_vec();
            header.extend_from_slice(value);
            let token = parse_authorization(&header);
            assert_eq!(token.map(str::as_bytes), Ok(*value), "b64token refused");
        }
    }

    let raw = bearer_from_values(values.iter().copied());
    match values.as_slice() {
        [] => unreachable!("split yields at least one value"),
        [one] => assert_eq!(raw, parse_authorization(one)),
        many => assert_eq!(
            raw,
            Err(AuthError::MultipleAuthorizationHeaders { count: many.len() })
        ),
    }
    assert_eq!(
        bearer_from_values(std::iter::empty()),
        Err(AuthError::MissingCredentials)
    );

    // The same values as real headers, when `http` accepts each of them.
    let Ok(header_values) = values
        .iter()
        .map(|v| HeaderValue::from_bytes(v))
        .collect::<Result<Vec<_>, _>>()
    else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(http::header::COOKIE, HeaderValue::from_static("a=b"));
    for value in header_values {
        headers.append(AUTHORIZATION, value);
    }
    let token = bearer_token(&headers);
    assert_eq!(token, raw, "bearer_token and bearer_from_values disagree");
    if let Ok(token) = token {
        let value = headers
            .get(AUTHORIZATION)
            .map(HeaderValue::as_bytes)
            .unwrap_or_default();
        check_token(token, value);
    }
});

fn check_token(token: &str, value: &[u8]) {
    assert!(!token.is_empty(), "empty token from {value:?}");
    assert!(
        !token.chars().any(char::is_whitespace),
        "whitespace in {token:?}"
    );
    assert!(is_b64token(token.as_bytes()), "not a b64token: {token:?}");
    let start = value.as_ptr() as usize;
    let at = token.as_ptr() as usize;
    assert!(
        at >= start && at + token.len() <= start + value.len(),
        "token {token:?} is not a slice of {value:?}"
    );
}

/// `Authorization` value -> where its token lies, or the error the runtime documents.
fn model(value: &[u8]) -> Result<std::ops::Range<usize>, AuthError> {
    let ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !ows(b)).unwrap_or(value.len());
    let end = value.len() - value.iter().rev().take_while(|b| ows(b)).count();
    let trimmed = if start < end {
        start..end
    } else {
        start..start
    };
    let v = &value[trimmed.clone()];
    let Some(scheme) = v.get(..6) else {
        return Err(AuthError::UnsupportedScheme);
    };
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Err(AuthError::UnsupportedScheme);
    }
    match v.get(6) {
        None => return Err(AuthError::EmptyToken),
        Some(b' ') => {}
        Some(_) => return Err(AuthError::UnsupportedScheme),
    }
    // The value ends in no whitespace (trimmed), so the token runs to its end.
    let token_start = trimmed.start + 6 + v[6..].iter().take_while(|b| ows(b)).count();
    let token = token_start..trimmed.end;
    if token.is_empty() {
        return Err(AuthError::EmptyToken);
    }
    if !is_b64token(&value[token.clone()]) {
        return Err(AuthError::InvalidCharacter);
    }
    Ok(token)
}

/// RFC 6750: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(bytes: &[u8]) -> bool {
    let body = bytes.iter().position(|b| *b == b'=').unwrap_or(bytes.len());
    body > 0
        && bytes[..body]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(b))
        && bytes[body..].iter().all(|b| *b == b'=')
}
