//! Taking the bearer token out of a request's headers (RFC 6750 section 2.1).

use http::HeaderMap;
use http::header::AUTHORIZATION;

use crate::AuthError;

/// Returns the token of `Authorization: Bearer <token>`.
///
/// The scheme is matched case-insensitively and may be followed by one or more spaces.
/// Each way of getting it wrong has its own error:
///
/// | request | error | status |
/// | --- | --- | --- |
/// | no `Authorization` header | [`AuthError::MissingCredentials`] | 401 |
/// | another scheme (`Basic ...`) | [`AuthError::UnsupportedScheme`] | 401 |
/// | `Bearer` with nothing after it | [`AuthError::EmptyToken`] | 400 |
/// | two `Authorization` headers | [`AuthError::MultipleAuthorizationHeaders`] | 400 |
/// | a character outside the token alphabet | [`AuthError::InvalidCharacter`] | 400 |
///
/// ```
/// use auth_runtime::{bearer_token, AuthError};
/// use http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
///
/// let mut headers = HeaderMap::new();
/// headers.insert(AUTHORIZATION, HeaderValue::from_static("bearer abc.def.ghi"));
/// assert_eq!(bearer_token(&headers), Ok("abc.def.ghi"));
///
/// headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic dXNlcjpwYXNz"));
/// assert_eq!(bearer_token(&headers), Err(AuthError::UnsupportedScheme));
/// ```
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, AuthError> {
    bearer_from_values(headers.get_all(AUTHORIZATION).iter().map(|v| v.as_bytes()))
}

/// [`bearer_token`] over the raw values of every `Authorization` header of a request, for
/// frameworks whose header types are not `http` 1.x (actix-web, gRPC metadata).
pub fn bearer_from_values<'a>(
    mut values: impl Iterator<Item = &'a [u8]>,
) -> Result<&'a str, AuthError> {
    let Some(value) = values.next() else {
        return Err(AuthError::MissingCredentials);
    };
    let extra = values.count();
    if extra > 0 {
        return Err(AuthError::MultipleAuthorizationHeaders { count: extra + 1 });
    }
    parse_authorization(value)
}

/// Parses the value of one `Authorization` header (see [`bearer_token`]).
pub fn parse_authorization(value: &[u8]) -> Result<&str, AuthError> {
    const SCHEME: &[u8] = b"bearer";
    let value = trim_ows(value);
    let scheme_len = value.iter().position(|b| *b == b' ').unwrap_or(value.len());
    let (scheme, rest) = value.split_at(scheme_len);
    if !scheme.eq_ignore_ascii_case(SCHEME) {
        return Err(AuthError::UnsupportedScheme);
    }
    let token = trim_ows(rest);
    if token.is_empty() {
        return Err(AuthError::EmptyToken);
    }
    if !is_b64token(token) {
        return Err(AuthError::InvalidCharacter);
    }
    // `is_b64token` admits ASCII only, so this cannot fail; stay panic-free anyway.
    std::str::from_utf8(token).map_err(|_| AuthError::InvalidCharacter)
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="` (RFC 6750).
fn is_b64token(token: &[u8]) -> bool {
    let body_len = token.len() - token.iter().rev().take_while(|b| **b == b'=').count();
    // Branch-free (no early exit), so the compiler vectorizes it: this runs on every request,
    // over the whole token.
    let mut outside = 0u8;
    for b in &token[..body_len] {
        outside |= u8::from(!in_b64token_alphabet(*b));
    }
    body_len > 0 && outside == 0
}

fn in_b64token_alphabet(b: u8) -> bool {
    let letter = (b | 0x20).wrapping_sub(b'a') < 26;
    // `-`, `.`, `/` and the digits are the contiguous range 0x2D..=0x39.
    let dash_dot_slash_digit = b.wrapping_sub(b'-') < 13;
    letter | dash_dot_slash_digit | (b == b'+') | (b == b'_') | (b == b'~')
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

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn with(values: &[&'static [u8]]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(
                AUTHORIZATION,
                HeaderValue::from_bytes(v).expect("test header"),
            );
        }
        headers
    }

    #[test]
    fn alphabet_is_exactly_rfc_6750_b64token() {
        for b in 0..=u8::MAX {
            let spec = b.is_ascii_alphanumeric() || b"-._~+/".contains(&b);
            assert_eq!(in_b64token_alphabet(b), spec, "byte {b:#04x}");
        }
    }

    #[test]
    fn accepts_bearer_in_any_case_with_spaces() {
        for v in [
            &b"Bearer a.b.c"[..],
            b"bearer a.b.c",
            b"BEARER   a.b.c",
            b"BeArEr a.b.c  ",
        ] {
            assert_eq!(bearer_token(&with(&[v])), Ok("a.b.c"), "{v:?}");
        }
    }

    #[test]
    fn each_mistake_has_its_own_error() {
        assert_eq!(
            bearer_token(&HeaderMap::new()),
            Err(AuthError::MissingCredentials)
        );
        assert_eq!(
            bearer_token(&with(&[b"Basic abc"])),
            Err(AuthError::UnsupportedScheme)
        );
        assert_eq!(
            bearer_token(&with(&[b"Bearerabc"])),
            Err(AuthError::UnsupportedScheme)
        );
        assert_eq!(
            bearer_token(&with(&[b""])),
            Err(AuthError::UnsupportedScheme)
        );
        assert_eq!(
            bearer_token(&with(&[b"Bearer"])),
            Err(AuthError::EmptyToken)
        );
        assert_eq!(
            bearer_token(&with(&[b"Bearer    "])),
            Err(AuthError::EmptyToken)
        );
        assert_eq!(
            bearer_token(&with(&[b"Bearer a", b"Bearer b"])),
            Err(AuthError::MultipleAuthorizationHeaders { count: 2 })
        );
        for bad in [
            &b"Bearer a b"[..],
            b"Bearer a,b",
            b"Bearer \"ab\"",
            b"Bearer a\x80b",
            b"Bearer ===",
        ] {
            assert_eq!(
                bearer_token(&with(&[bad])),
                Err(AuthError::InvalidCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn padding_only_at_the_end() {
        assert_eq!(parse_authorization(b"Bearer abc=="), Ok("abc=="));
        assert_eq!(
            parse_authorization(b"Bearer a=bc"),
            Err(AuthError::InvalidCharacter)
        );
    }
}
