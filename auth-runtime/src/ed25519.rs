//! Ed25519 rules on top of the crypto backend: public keys that make forgery trivial are
//! refused when loaded, and signatures are checked strictly (canonical `R` and `S`).
//!
//! A public key of small order (the identity among them) lets `R = identity, S = 0` verify
//! every message; non-canonical encodings of keys and of `R`, and `S >= L`, make one signature
//! valid under several spellings (malleability). RFC 8032 section 5.1.7 asks verifiers to
//! refuse `S >= L`; the rest follows the strict checks of "Taming the many EdDSAs" (Chalkias
//! et al., 2020), which libsodium and ed25519-dalek's `verify_strict` also make.

use curve25519_dalek::Scalar;
use curve25519_dalek::edwards::CompressedEdwardsY;

use crate::error::KeyError;

/// Checks an encoded public key: a point of the curve, canonically encoded, not of small order.
pub(crate) fn check_public_key(encoded: &[u8; 32]) -> Result<(), KeyError> {
    let compressed = CompressedEdwardsY(*encoded);
    let point = compressed
        .decompress()
        .ok_or(KeyError::PointNotOnCurve { curve: "Ed25519" })?;
    if point.compress() != compressed {
        return Err(KeyError::NonCanonicalPoint);
    }
    if point.is_small_order() {
        return Err(KeyError::SmallOrderPoint);
    }
    Ok(())
}

/// Whether `signature` (`R || S`) passes the strict checks before the backend verifies it:
/// 64 bytes, `S < L`, `R` a canonical encoding and not a point of small order.
///
/// Only byte comparisons and one scalar range check: this runs on every EdDSA verification.
pub(crate) fn is_strict_signature(signature: &[u8]) -> bool {
    let Ok(signature) = <&[u8; 64]>::try_from(signature) else {
        return false;
    };
    let (r, s) = signature.split_at(32);
    let mut s_bytes = [0u8; 32];
    s_bytes.copy_from_slice(s);
    let s_canonical: bool = Scalar::from_canonical_bytes(s_bytes).is_some().into();
    s_canonical && is_canonical_y(r) && !is_small_order_encoding(r)
}

/// Whether the 255-bit `y` of an encoded point (sign bit cleared) is below
/// `p = 2^255 - 19`, and `x = 0` is not given a negative sign (`y = 1` or `y = p - 1` with the
/// sign bit set).
fn is_canonical_y(encoded: &[u8]) -> bool {
    let top = encoded[31] & 0x7f;
    let y_at_least_p =
        top == 0x7f && encoded[1..31].iter().all(|b| *b == 0xff) && encoded[0] >= 0xed;
    let sign = encoded[31] & 0x80 != 0;
    let x_is_zero =
        y_with_cleared_sign(encoded) == Y_ONE || y_with_cleared_sign(encoded) == Y_MINUS_ONE;
    !y_at_least_p && !(sign && x_is_zero)
}

fn y_with_cleared_sign(encoded: &[u8]) -> [u8; 32] {
    let mut y = [0u8; 32];
    y.copy_from_slice(encoded);
    y[31] &= 0x7f;
    y
}

/// `y = 1`: the identity (and `x = 0`).
const Y_ONE: [u8; 32] = {
    let mut y = [0u8; 32];
    y[0] = 1;
    y
};
/// `y = p - 1`: the point of order 2 (and `x = 0`).
const Y_MINUS_ONE: [u8; 32] = {
    let mut y = [0xffu8; 32];
    y[0] = 0xec;
    y[31] = 0x7f;
    y
};

/// The `y` coordinates of the eight points of small order (the torsion subgroup): 1 (the
/// identity), p - 1 (order 2), 0 (order 4, two points) and two values of order 8 (two points
/// each). A point is of small order exactly when its `y` is one of these.
const SMALL_ORDER_Y: [[u8; 32]; 5] = [
    Y_ONE,
    Y_MINUS_ONE,
    [0; 32],
    hex32("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    hex32("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
];

fn is_small_order_encoding(encoded: &[u8]) -> bool {
    SMALL_ORDER_Y.contains(&y_with_cleared_sign(encoded))
}

/// 32 bytes from 64 lower-case hex digits, at compile time (a bad literal fails the build).
#[allow(clippy::panic)]
const fn hex32(text: &str) -> [u8; 32] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not a lower-case hex digit"),
        }
    }
    let bytes = text.as_bytes();
    assert!(bytes.len() == 64, "32 bytes of hex");
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(bytes[2 * i]) << 4) | nibble(bytes[2 * i + 1]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
    use curve25519_dalek::traits::IsIdentity;

    /// Every encoding whose `y` is in the list (with either sign) that decodes is a point of
    /// small order, and together they are the eight points of the torsion subgroup.
    #[test]
    fn the_small_order_list_is_the_torsion_subgroup() {
        let mut points = Vec::new();
        for y in SMALL_ORDER_Y {
            for sign in [0u8, 0x80] {
                let mut encoded = y;
                encoded[31] |= sign;
                if let Some(point) = CompressedEdwardsY(encoded).decompress() {
                    assert!(point.is_small_order(), "{encoded:02x?}");
                    assert!(point.mul_by_cofactor().is_identity());
                    if !points.contains(&point) {
                        points.push(point);
                    }
                }
            }
        }
        assert_eq!(points.len(), 8, "the eight torsion points");
        // A point of large order is not in the list, nor is it with a torsion component added.
        let mut large = ED25519_BASEPOINT_POINT;
        for _ in 0..64 {
            assert!(!is_small_order_encoding(large.compress().as_bytes()));
            assert!(check_public_key(large.compress().as_bytes()).is_ok());
            large += ED25519_BASEPOINT_POINT + points[3];
        }
    }

    #[test]
    fn public_key_rules() {
        let identity = Y_ONE;
        assert_eq!(check_public_key(&identity), Err(KeyError::SmallOrderPoint));
        assert_eq!(check_public_key(&[0; 32]), Err(KeyError::SmallOrderPoint));
        // y = p + 1 is the identity's non-canonical spelling.
        let mut y_p_plus_1 = [0xffu8; 32];
        y_p_plus_1[0] = 0xee;
        y_p_plus_1[31] = 0x7f;
        assert_eq!(
            check_public_key(&y_p_plus_1),
            Err(KeyError::NonCanonicalPoint)
        );
        // The base point with the sign bit flipped is its negation, a valid key; a y whose
        // x^2 is not a square is not on the curve.
        let mut negated = *ED25519_BASEPOINT_POINT.compress().as_bytes();
        negated[31] ^= 0x80;
        assert!(check_public_key(&negated).is_ok());
        let off_curve = (2u8..)
            .map(|first| {
                let mut y = [0u8; 32];
                y[0] = first;
                y
            })
            .find(|y| CompressedEdwardsY(*y).decompress().is_none())
            .unwrap_or_default();
        assert_eq!(
            check_public_key(&off_curve),
            Err(KeyError::PointNotOnCurve { curve: "Ed25519" })
        );
    }

    #[test]
    fn strict_signatures() {
        let r = *ED25519_BASEPOINT_POINT.compress().as_bytes();
        let signature = |r: [u8; 32], s: [u8; 32]| [r, s].concat();
        assert!(is_strict_signature(&signature(
            r,
            [1; 32].map(|b| b & 0x0f)
        )));
        // S = L is not canonical; S = L - 1 is.
        let l = hex32("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
        let mut l_minus_1 = l;
        l_minus_1[0] -= 1;
        assert!(!is_strict_signature(&signature(r, l)));
        assert!(is_strict_signature(&signature(r, l_minus_1)));
        // R of small order (the identity: the universal forgery with S = 0), R not canonical.
        assert!(!is_strict_signature(&signature(Y_ONE, [0; 32])));
        let mut minus_zero = Y_ONE;
        minus_zero[31] |= 0x80;
        assert!(!is_strict_signature(&signature(minus_zero, [0; 32])));
        let mut y_p = [0xffu8; 32];
        y_p[0] = 0xed;
        y_p[31] = 0x7f;
        assert!(!is_strict_signature(&signature(y_p, [0; 32])));
        assert!(!is_strict_signature(&[0; 63]));
    }
}
