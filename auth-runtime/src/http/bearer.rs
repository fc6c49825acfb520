//! Taking the bearer token out of a request's headers (RFC 6750 section 2.1).

use http::HeaderMap;
use http::header::AUTHORIZATION;

use crate::AuthError;
use crate::token::alphabet;

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
    alphabet::checked(presented_bearer(headers)?)
}

/// [`bearer_token`] over the raw values of every `Authorization` header of a request, for
/// frameworks whose header types are not `http` 1.x (actix-web, gRPC metadata).
pub fn bearer_from_values<'a>(
    values: impl Iterator<Item = &'a [u8]>,
) -> Result<&'a str, AuthError> {
    alphabet::checked(presented_from_values(values)?)
}

/// Parses the value of one `Authorization` header (see [`bearer_token`]).
pub fn parse_authorization(value: &[u8]) -> Result<&str, AuthError> {
    alphabet::checked(presented_token(value)?)
}

/// The token of `Authorization: Bearer <token>` as the request carried it: every check of
/// [`bearer_token`] but the one of its characters, which the verifier makes only for a token
/// it has not seen (a cached token passed it when it was first verified).
#[inline]
pub(crate) fn presented_bearer(headers: &HeaderMap) -> Result<&[u8], AuthError> {
    presented_from_values(headers.get_all(AUTHORIZATION).iter().map(|v| v.as_bytes()))
}

/// [`presented_bearer`] over raw header values.
#[inline]
pub(crate) fn presented_from_values<'a>(
    mut values: impl Iterator<Item = &'a [u8]>,
) -> Result<&'a [u8], AuthError> {
    let Some(value) = values.next() else {
        return Err(AuthError::MissingCredentials);
    };
    let extra = values.count();
    if extra > 0 {
        return Err(AuthError::MultipleAuthorizationHeaders { count: extra + 1 });
    }
    presented_token(value)
}

/// The scheme of one `Authorization` value matched and the token after it trimmed.
#[inline]
fn presented_token(value: &[u8]) -> Result<&[u8], AuthError> {
    const SCHEME: &[u8] = b"bearer";
    // What nearly every client sends, `Bearer <token>` with one space and nothing around it,
    // without the general path's scans.
    if let Some(token) = after_bearer_space(value)
        && let ([first, ..], [.., last]) = (token, token)
        && !matches!(first, b' ' | b'\t')
        && !matches!(last, b' ' | b'\t')
    {
        return Ok(token);
    }
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
    Ok(token)
}

/// What follows `bearer ` (the scheme in any case, one space) at the start of `value`, read as
/// one word: or-ing 0x20 into a byte makes it `b`, `e`, `a` or `r` exactly when it is that
/// letter in either case.
#[inline]
fn after_bearer_space(value: &[u8]) -> Option<&[u8]> {
    const LOWER_LETTERS: u64 = 0x0000_2020_2020_2020;
    const FIRST_SEVEN: u64 = 0x00ff_ffff_ffff_ffff;
    let word = u64::from_le_bytes(*value.first_chunk::<8>()?);
    let expected = u64::from_le_bytes(*b"bearer \0");
    ((word | LOWER_LETTERS) & FIRST_SEVEN == expected).then(|| &value[7..])
}

/// `bytes` without the spaces and tabs around it (RFC 9110 optional whitespace).
pub(crate) fn trim_ows(mut bytes: &[u8]) -> &[u8] {
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
    fn the_one_word_scheme_match_is_exactly_a_case_insensitive_compare() {
        for at in 0..7 {
            for b in 0..=u8::MAX {
                let mut value = *b"bearer xyz";
                value[at] = b;
                let expected = value[..7].eq_ignore_ascii_case(b"bearer ");
                assert_eq!(after_bearer_space(&value).is_some(), expected, "{value:?}");
            }
        }
        assert_eq!(after_bearer_space(b"BeArEr x"), Some(&b"x"[..]));
        assert_eq!(after_bearer_space(b"bearer "), None, "shorter than a word");
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
