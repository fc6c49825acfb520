//! An independent check of the key-validation rules for a public JWK (what
//! `VerifyingKey::from_jwk`, `KeySet::from_jwks_json` and `Verifier::builder().jwks_json` must
//! accept), computed with the curve crates called directly: p256 and p384 for points,
//! curve25519-dalek for Ed25519 decompression and the small-order check, the rest by hand.
//!
//! Rules: a JSON object; never `kty` `oct`; no private member (`d`, `p`, `q`, `dp`, `dq`,
//! `qi`, `oth`, `k`), whatever its value; `use`, if any, is `sig`; `key_ops`, if any, holds
//! `verify`; `alg` known and consistent with `kty` (and `crv`), or inferred where only one
//! choice exists (EC P-256: ES256, P-384: ES384, OKP Ed25519: EdDSA, RSA: the caller's
//! default); EC: coordinates of exactly the field size, the point on the curve; Ed25519: `x` of
//! 32 bytes, a canonical encoding of a curve point not of small order; RSA: modulus odd of
//! 2048..=8192 bits, exponent odd in 3..=2^32-1. Base64url is strict and unpadded.

use auth_runtime::Algorithm;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// The model's verdict on one JWK.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Acceptable, as a key of this algorithm and `kid`.
    Accept(Algorithm, Option<String>),
    /// Must be refused (the rule broken, for the panic message).
    Refuse(&'static str),
}

const PRIVATE: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// The verdict on `jwk`; RSA keys without `alg` take `default_rsa`.
pub fn verdict(jwk: &Value, default_rsa: Option<Algorithm>) -> Verdict {
    use Verdict::Refuse;
    let Some(object) = jwk.as_object() else {
        return Refuse("a JWK is a JSON object");
    };
    // The members the rules read: strings (null as absent), key_ops a list of strings.
    let text = |name: &str| -> Result<Option<&str>, ()> {
        match object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(()),
        }
    };
    let mut fields = [None; 10];
    let names = ["kty", "alg", "use", "kid", "crv", "x", "y", "n", "e", "k"];
    for (slot, name) in fields.iter_mut().zip(names) {
        match text(name) {
            Ok(value) => *slot = value,
            Err(()) => return Refuse("a member of the wrong JSON type"),
        }
    }
    let [kty, alg, use_, kid, crv, x, y, n, e, _k] = fields;
    let Some(kty) = kty else {
        return Refuse("no kty");
    };
    let key_ops = match object.get("key_ops") {
        None | Some(Value::Null) => None,
        Some(Value::Array(ops)) => {
            match ops.iter().map(Value::as_str).collect::<Option<Vec<_>>>() {
                Some(ops) => Some(ops),
                None => return Refuse("key_ops not a list of strings"),
            }
        }
        Some(_) => return Refuse("key_ops not a list"),
    };
    if kty == "oct" {
        return Refuse("an oct key in a public JWK");
    }
    if PRIVATE.iter().any(|name| object.contains_key(*name)) {
        return Refuse("a private member");
    }
    if use_.is_some_and(|u| u != "sig") {
        return Refuse("use other than sig");
    }
    if key_ops.is_some_and(|ops| !ops.contains(&"verify")) {
        return Refuse("key_ops without verify");
    }
    let alg = match alg {
        Some(name) => match name_to_alg(name) {
            Some(alg) => alg,
            None => return Refuse("unknown alg"),
        },
        None => match (kty, crv) {
            ("EC", Some("P-256")) => Algorithm::ES256,
            ("EC", Some("P-384")) => Algorithm::ES384,
            ("OKP", Some("Ed25519")) => Algorithm::EdDSA,
            ("RSA", _) => match default_rsa {
                Some(alg) => alg,
                None => return Refuse("RSA without alg"),
            },
            _ => return Refuse("no alg to infer"),
        },
    };
    let decode = |value: Option<&str>| value.and_then(|v| URL_SAFE_NO_PAD.decode(v).ok());
    let ok = match (kty, alg) {
        ("RSA", Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512)
        | ("RSA", Algorithm::PS256 | Algorithm::PS384 | Algorithm::PS512) => {
            match (decode(n), decode(e)) {
                (Some(n), Some(e)) => rsa_ok(&n, &e),
                _ => Err("n or e missing or not base64url"),
            }
        }
        ("EC", Algorithm::ES256 | Algorithm::ES384) => {
            let size = if alg == Algorithm::ES256 { 32 } else { 48 };
            let curve = if alg == Algorithm::ES256 {
                "P-256"
            } else {
                "P-384"
            };
            match (crv, decode(x), decode(y)) {
                (Some(c), _, _) if c != curve => Err("crv not the alg's curve"),
                (Some(_), Some(x), Some(y)) if x.len() == size && y.len() == size => {
                    if on_curve(alg, &x, &y) {
                        Ok(())
                    } else {
                        Err("EC point not on the curve")
                    }
                }
                (Some(_), Some(_), Some(_)) => Err("EC coordinates not of the field size"),
                _ => Err("crv, x or y missing or not base64url"),
            }
        }
        ("OKP", Algorithm::EdDSA) => match (crv, decode(x)) {
            (Some("Ed25519"), Some(x)) => ed25519_ok(&x),
            _ => Err("not an Ed25519 x"),
        },
        _ => Err("alg not consistent with kty"),
    };
    match ok {
        Ok(()) => Verdict::Accept(alg, kid.map(str::to_owned)),
        Err(rule) => Refuse(rule),
    }
}

fn name_to_alg(name: &str) -> Option<Algorithm> {
    Some(match name {
        "HS256" => Algorithm::HS256,
        "HS384" => Algorithm::HS384,
        "HS512" => Algorithm::HS512,
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "EdDSA" => Algorithm::EdDSA,
        _ => return None,
    })
}

fn rsa_ok(n: &[u8], e: &[u8]) -> Result<(), &'static str> {
    let n = &n[n.iter().take_while(|b| **b == 0).count()..];
    let bits = match n.first() {
        None => 0,
        Some(top) => n.len() * 8 - top.leading_zeros() as usize,
    };
    if !(2048..=8192).contains(&bits) {
        return Err("RSA modulus not of 2048..=8192 bits");
    }
    if n.last().is_some_and(|b| b % 2 == 0) {
        return Err("RSA modulus even");
    }
    let e = &e[e.iter().take_while(|b| **b == 0).count()..];
    if e.len() > 4 {
        return Err("RSA exponent above 2^32-1");
    }
    let value = e.iter().fold(0u64, |acc, b| acc * 256 + u64::from(*b));
    if value < 3 || value % 2 == 0 {
        return Err("RSA exponent below 3 or even");
    }
    Ok(())
}

fn on_curve(alg: Algorithm, x: &[u8], y: &[u8]) -> bool {
    let mut sec1 = vec![4u8];
    sec1.extend_from_slice(x);
    sec1.extend_from_slice(y);
    match alg {
        Algorithm::ES256 => p256::PublicKey::from_sec1_bytes(&sec1).is_ok(),
        _ => p384::PublicKey::from_sec1_bytes(&sec1).is_ok(),
    }
}

/// `p = 2^255 - 19`, little-endian.
const P: [u8; 32] = {
    let mut p = [0xff; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

fn ed25519_ok(x: &[u8]) -> Result<(), &'static str> {
    let Ok(encoded) = <[u8; 32]>::try_from(x) else {
        return Err("Ed25519 x not of 32 bytes");
    };
    // y (the low 255 bits, little-endian) must be below p.
    let mut y = encoded;
    y[31] &= 0x7f;
    let below_p = y
        .iter()
        .rev()
        .zip(P.iter().rev())
        .find(|(a, b)| a != b)
        .is_some_and(|(a, b)| a < b);
    if !below_p {
        return Err("Ed25519 y not below p");
    }
    let Some(point) = curve25519_dalek::edwards::CompressedEdwardsY(encoded).decompress() else {
        return Err("Ed25519 x not a curve point");
    };
    // x = 0 has only the positive sign: a set sign bit there is a second spelling.
    if point.compress().to_bytes() != encoded {
        return Err("Ed25519 encoding not canonical");
    }
    // Small order: killed by the cofactor 8.
    if point.mul_by_cofactor() == curve25519_dalek::EdwardsPoint::default() {
        return Err("Ed25519 point of small order");
    }
    Ok(())
}
