//! The characters a bearer token may hold: RFC 6750's `b64token`,
//! `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
//!
//! The bearer parser checks it for its public functions; the verifier checks it only for a token
//! it refuses (see `Verifier::check_presented`): a token that verifies is base64url and dots.

use crate::error::AuthError;

/// `token` as text, if every character is in the `b64token` alphabet.
pub(crate) fn checked(token: &[u8]) -> Result<&str, AuthError> {
    if !is_b64token(token) {
        return Err(AuthError::InvalidCharacter);
    }
    std::str::from_utf8(token).map_err(|_| AuthError::InvalidCharacter)
}

/// Whether every character of `token` is in the alphabet (and it is not only padding).
pub(crate) fn is_b64token(token: &[u8]) -> bool {
    let body_len = token.len() - token.iter().rev().take_while(|b| **b == b'=').count();
    let body = &token[..body_len];
    // Branch-free over fixed chunks, so that the compiler checks many bytes per instruction.
    let mut chunks = body.chunks_exact(32);
    let mut outside = 0u8;
    for chunk in &mut chunks {
        for b in chunk {
            outside |= u8::from(!in_alphabet(*b));
        }
    }
    for b in chunks.remainder() {
        outside |= u8::from(!in_alphabet(*b));
    }
    body_len > 0 && outside == 0
}

fn in_alphabet(b: u8) -> bool {
    let letter = (b | 0x20).wrapping_sub(b'a') < 26;
    let dash_dot_slash_digit = b.wrapping_sub(b'-') < 13;
    letter | dash_dot_slash_digit | (b == b'+') | (b == b'_') | (b == b'~')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_is_exactly_rfc_6750_b64token() {
        for b in 0..=u8::MAX {
            let spec = b.is_ascii_alphanumeric() || b"-._~+/".contains(&b);
            assert_eq!(in_alphabet(b), spec, "byte {b:#04x}");
        }
    }

    #[test]
    fn padding_only_at_the_end_and_never_alone() {
        assert_eq!(checked(b"a.b.c"), Ok("a.b.c"));
        assert_eq!(checked(b"abc=="), Ok("abc=="));
        assert_eq!(checked(b"=="), Err(AuthError::InvalidCharacter));
        assert_eq!(checked(b"a=b"), Err(AuthError::InvalidCharacter));
        assert_eq!(checked(b""), Err(AuthError::InvalidCharacter));
    }

    #[test]
    fn a_bad_byte_is_found_at_every_position_of_a_long_token() {
        let good = vec![b'a'; 100];
        for at in 0..good.len() {
            for bad in [b' ', b',', b'"', 0x80, 0xff, b'='] {
                let mut token = good.clone();
                token[at] = bad;
                let last_pad = bad == b'=' && at == good.len() - 1;
                assert_eq!(checked(&token).is_ok(), last_pad, "byte {bad:#04x} at {at}");
            }
        }
    }
}
