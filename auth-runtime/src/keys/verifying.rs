//! Public keys for verification, each bound to exactly one algorithm, loaded from PEM, DER,
//! raw HMAC secrets or JWK.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::DecodingKey;
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::algorithm::{Algorithm, Family};
use crate::crypto;
use crate::crypto::ed25519;
use crate::error::KeyError;

/// Smallest RSA modulus accepted, in bits (RFC 7518 section 3.3).
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted, in bits: a larger key makes every verification slow (a
/// 16,384-bit key costs about eight times a 4,096-bit one), a lever for denial of service.
pub const MAX_RSA_BITS: usize = 8192;
/// Smallest RSA public exponent accepted.
const MIN_RSA_EXPONENT: u64 = 3;
/// Largest RSA public exponent accepted (what the crypto backends support).
const MAX_RSA_EXPONENT: u64 = (1 << 32) - 1;

/// A key that verifies signatures of exactly one algorithm (RFC 8725 section 3.1), with an
/// optional key id (`kid`).
///
/// The token header never chooses the algorithm: a token whose `alg` differs from its key's is
/// rejected.
///
/// ```
/// use auth_runtime::{Algorithm, VerifyingKey};
/// let key = VerifyingKey::hmac(b"a secret of at least thirty-two bytes!", Algorithm::HS256)?
///     .with_kid("primary");
/// assert_eq!(key.kid(), Some("primary"));
/// # Ok::<(), auth_runtime::KeyError>(())
/// ```
#[derive(Clone)]
pub struct VerifyingKey {
    kid: Option<Arc<str>>,
    alg: Algorithm,
    /// Parsed once at load time; shared by the clones of this key.
    prepared: Arc<crypto::PreparedKey>,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg.name())
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// An HMAC key. The secret must be at least as long as the hash output (32, 48 or 64
    /// bytes for HS256, HS384, HS512).
    pub fn hmac(secret: &[u8], alg: Algorithm) -> Result<Self, KeyError> {
        check_hmac(secret, alg)?;
        let key = DecodingKey::from_secret(secret).map_err(|e| KeyError::Invalid(e.to_string()))?;
        Self::new(key, alg)
    }

    /// A public key in PEM: `PUBLIC KEY` (SubjectPublicKeyInfo) for every asymmetric algorithm,
    /// or `RSA PUBLIC KEY` (PKCS#1) for RSA.
    pub fn from_pem(pem: &[u8], alg: Algorithm) -> Result<Self, KeyError> {
        let invalid = |e: jsonwebtoken::errors::Error| KeyError::Invalid(e.to_string());
        match alg.family() {
            Family::Hmac => Err(wrong(alg, "an HMAC key is a secret, not a PEM public key")),
            Family::Rsa => {
                let key = DecodingKey::from_rsa_pem(pem).map_err(invalid)?;
                Self::rsa_from_der_key(&key, alg)
            }
            Family::Ec => {
                let key = DecodingKey::from_ec_pem(pem).map_err(invalid)?;
                Self::ec(key, alg)
            }
            Family::Ed => {
                let key = DecodingKey::from_ed_pem(pem).map_err(invalid)?;
                Self::ed(key, alg)
            }
        }
    }

    /// A public key in DER: SubjectPublicKeyInfo for every asymmetric algorithm, or PKCS#1
    /// `RSAPublicKey` for RSA.
    pub fn from_der(der: &[u8], alg: Algorithm) -> Result<Self, KeyError> {
        let pem = |label: &str| {
            format!(
                "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
                STANDARD.encode(der)
            )
        };
        match Self::from_pem(pem("PUBLIC KEY").as_bytes(), alg) {
            Err(first) if alg.family() == Family::Rsa => {
                Self::from_pem(pem("RSA PUBLIC KEY").as_bytes(), alg).map_err(|_| first)
            }
            other => other,
        }
    }

    /// A public key from one JWK (RFC 7517), in JSON text. See [`VerifyingKey::from_jwk`].
    pub fn from_jwk_json(json: &str) -> Result<Self, KeyError> {
        let jwk: JwkParams = crate::token::json::object(json.as_bytes())
            .map_err(|e| KeyError::Invalid(format!("JWK is not valid JSON: {e}")))?;
        Self::from_jwk_params(&jwk, None, Material::Public)
    }

    /// A public key from one JWK as a JSON value.
    ///
    /// The algorithm comes from the JWK's `alg`; without one it is inferred only where the key
    /// allows a single choice (`EC` `P-256` is ES256, `P-384` is ES384, `OKP` `Ed25519` is
    /// EdDSA). The JWK's `kid` becomes the key's id. Refused, each with its own [`KeyError`]:
    ///
    /// - a symmetric (`oct`) key, and any JWK with a private member (`d`, `p`, `q`, `dp`,
    ///   `dq`, `qi`, `oth`, `k`): secrets come from [`from_secret_jwk`](Self::from_secret_jwk);
    /// - `"use"` other than `"sig"`, and `key_ops` without `verify`;
    /// - an RSA JWK without `alg`, and an `alg` that does not fit `kty` or `crv`;
    /// - unsafe key material (see [`VerifyingKey`]'s validation rules).
    ///
    /// ```
    /// use auth_runtime::{KeyError, VerifyingKey};
    /// let leaked = serde_json::json!({"kty": "oct", "alg": "HS256", "k": "c2VjcmV0"});
    /// assert_eq!(VerifyingKey::from_jwk(&leaked).unwrap_err(), KeyError::SymmetricKeyInPublicSet);
    /// ```
    pub fn from_jwk(jwk: &serde_json::Value) -> Result<Self, KeyError> {
        Self::from_jwk_with_default(jwk, None)
    }

    /// Like [`from_jwk`](Self::from_jwk), binding an RSA JWK without `alg` to `default_rsa`.
    pub fn from_jwk_with_default(
        jwk: &serde_json::Value,
        default_rsa: Option<Algorithm>,
    ) -> Result<Self, KeyError> {
        let params = JwkParams::from_value(jwk)?;
        Self::from_jwk_params(&params, default_rsa, Material::Public)
    }

    /// An HMAC secret from a symmetric (`oct`) JWK with its `alg`: explicit secret
    /// configuration, the only way a JWK yields a symmetric key. Public JWKs are refused here.
    ///
    /// ```
    /// use auth_runtime::VerifyingKey;
    /// let jwk = serde_json::json!({
    ///     "kty": "oct", "alg": "HS256", "kid": "shared",
    ///     "k": "YS1zaGFyZWQtc2VjcmV0LW9mLWF0LWxlYXN0LTMyLWJ5dGVz",
    /// });
    /// assert_eq!(VerifyingKey::from_secret_jwk(&jwk)?.kid(), Some("shared"));
    /// # Ok::<(), auth_runtime::KeyError>(())
    /// ```
    pub fn from_secret_jwk(jwk: &serde_json::Value) -> Result<Self, KeyError> {
        let params = JwkParams::from_value(jwk)?;
        Self::from_jwk_params(&params, None, Material::Secret)
    }

    /// [`from_secret_jwk`](Self::from_secret_jwk) from JSON text.
    pub fn from_secret_jwk_json(json: &str) -> Result<Self, KeyError> {
        let jwk: JwkParams = crate::token::json::object(json.as_bytes())
            .map_err(|e| KeyError::Invalid(format!("JWK is not valid JSON: {e}")))?;
        Self::from_jwk_params(&jwk, None, Material::Secret)
    }

    /// Sets the key id that tokens name in their `kid` header.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(Arc::from(kid.into()));
        self
    }

    /// The key id, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The one algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// Whether the key is an HMAC secret.
    pub fn is_hmac(&self) -> bool {
        self.alg.is_hmac()
    }

    /// Checks `signature` over `message` with this key and its algorithm.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        if self.alg == Algorithm::EdDSA && !ed25519::is_strict_signature(signature) {
            return false;
        }
        self.prepared.verify(message, signature)
    }

    /// Parses `key` into the crypto backend's form: a key the backend refuses is refused here,
    /// at load time, never on a request.
    pub(crate) fn new(key: DecodingKey, alg: Algorithm) -> Result<Self, KeyError> {
        let prepared = crypto::PreparedKey::new(alg.to_jwt(), &key).map_err(|e| match alg {
            // The point's encoding was checked before: the backend refuses a point that is
            // not on the curve.
            Algorithm::ES256 => KeyError::PointNotOnCurve { curve: "P-256" },
            Algorithm::ES384 => KeyError::PointNotOnCurve { curve: "P-384" },
            _ => KeyError::Invalid(format!("key refused by the crypto backend: {e}")),
        })?;
        Ok(Self {
            kid: None,
            alg,
            prepared: Arc::new(prepared),
        })
    }

    fn rsa_from_der_key(key: &DecodingKey, alg: Algorithm) -> Result<Self, KeyError> {
        let der = key
            .try_get_as_bytes()
            .map_err(|e| KeyError::Invalid(e.to_string()))?;
        let (n, e) = (crypto::provider()
            .key_utils
            .rsa_pub_components_from_public_key)(der)
        .map_err(|e| rsa_parse_error(der, false, format!("RSA public key: {e}")))?;
        Self::rsa(&n, &e, alg)
    }

    pub(crate) fn rsa(n: &[u8], e: &[u8], alg: Algorithm) -> Result<Self, KeyError> {
        if alg.family() != Family::Rsa {
            return Err(wrong(alg, "an RSA key"));
        }
        let n = strip_leading_zeros(n);
        let bits = bit_len(n);
        if bits < MIN_RSA_BITS {
            return Err(KeyError::RsaKeyTooSmall { bits });
        }
        if bits > MAX_RSA_BITS {
            return Err(KeyError::RsaKeyTooLarge {
                bits,
                max: MAX_RSA_BITS,
            });
        }
        if n.last().is_some_and(|low| low & 1 == 0) {
            return Err(KeyError::RsaModulusEven);
        }
        let e = strip_leading_zeros(e);
        let exponent = match e.len() {
            0..=4 => e.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)),
            _ => u64::MAX,
        };
        if !(MIN_RSA_EXPONENT..=MAX_RSA_EXPONENT).contains(&exponent) || exponent % 2 == 0 {
            return Err(KeyError::RsaExponent);
        }
        Self::new(DecodingKey::from_rsa_raw_components(n, e), alg)
    }

    fn ec(key: DecodingKey, alg: Algorithm) -> Result<Self, KeyError> {
        let point = key
            .try_get_as_bytes()
            .map_err(|e| KeyError::Invalid(e.to_string()))?;
        let expected = match alg {
            Algorithm::ES256 => 65,
            Algorithm::ES384 => 97,
            _ => return Err(wrong(alg, "an EC key")),
        };
        if point.len() != expected || point[0] != 4 {
            return Err(wrong(
                alg,
                "the EC point is not an uncompressed point of the algorithm's curve",
            ));
        }
        Self::new(key, alg)
    }

    fn ed(key: DecodingKey, alg: Algorithm) -> Result<Self, KeyError> {
        if alg != Algorithm::EdDSA {
            return Err(wrong(alg, "an Ed25519 key"));
        }
        let bytes = key
            .try_get_as_bytes()
            .map_err(|e| KeyError::Invalid(e.to_string()))?;
        let Ok(point) = <[u8; 32]>::try_from(bytes) else {
            return Err(KeyError::Invalid(format!(
                "Ed25519 public key of {} bytes",
                bytes.len()
            )));
        };
        ed25519::check_public_key(&point)?;
        Self::new(key, alg)
    }

    fn from_jwk_params(
        jwk: &JwkParams,
        default_rsa: Option<Algorithm>,
        material: Material,
    ) -> Result<Self, KeyError> {
        jwk.check_material(material)?;
        jwk.check_use()?;
        let alg = match jwk.alg.as_deref() {
            Some(name) => Algorithm::from_name(name)
                .ok_or_else(|| KeyError::UnsupportedAlgorithm(name.to_owned()))?,
            None => infer_alg(jwk, default_rsa)?,
        };
        let key = match (jwk.kty.as_str(), alg.family()) {
            ("oct", Family::Hmac) => Self::hmac(
                &jwk.member("k", jwk.k.as_ref().and_then(Option::as_ref))?,
                alg,
            )?,
            ("RSA", Family::Rsa) => Self::rsa(
                &jwk.member("n", jwk.n.as_ref())?,
                &jwk.member("e", jwk.e.as_ref())?,
                alg,
            )?,
            ("EC", Family::Ec) => Self::ec(DecodingKey::from_ec_der(&jwk.ec_point(alg)?), alg)?,
            ("OKP", Family::Ed) => {
                if jwk.crv.as_deref() != Some("Ed25519") {
                    return Err(wrong(alg, "only the Ed25519 curve is supported"));
                }
                Self::ed(
                    DecodingKey::from_ed_der(&jwk.member("x", jwk.x.as_ref())?),
                    alg,
                )?
            }
            (kty, _) => {
                return Err(wrong(
                    alg,
                    &format!("a JWK of kty `{kty}` cannot hold such a key"),
                ));
            }
        };
        Ok(match &jwk.kid {
            Some(kid) => key.with_kid(kid.clone()),
            None => key,
        })
    }
}

fn infer_alg(jwk: &JwkParams, default_rsa: Option<Algorithm>) -> Result<Algorithm, KeyError> {
    match (jwk.kty.as_str(), jwk.crv.as_deref()) {
        ("EC", Some("P-256")) => Ok(Algorithm::ES256),
        ("EC", Some("P-384")) => Ok(Algorithm::ES384),
        ("OKP", Some("Ed25519")) => Ok(Algorithm::EdDSA),
        ("RSA", _) => default_rsa.ok_or_else(|| {
            KeyError::UnusableJwk("RSA JWK without `alg`: the algorithm is ambiguous".into())
        }),
        (kty, crv) => Err(KeyError::UnusableJwk(format!(
            "cannot bind a JWK of kty `{kty}`{} without `alg` to one algorithm",
            crv.map(|c| format!(" and crv `{c}`")).unwrap_or_default()
        ))),
    }
}

pub(crate) fn check_hmac(secret: &[u8], alg: Algorithm) -> Result<(), KeyError> {
    if !alg.is_hmac() {
        return Err(wrong(alg, "an HMAC secret"));
    }
    let min = alg.hmac_min_len();
    if secret.len() < min {
        return Err(KeyError::SecretTooShort {
            alg: alg.name(),
            min,
            len: secret.len(),
        });
    }
    Ok(())
}

fn wrong(alg: Algorithm, reason: &str) -> KeyError {
    KeyError::WrongAlgorithm {
        alg: alg.name(),
        reason: reason.to_owned(),
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    &bytes[zeros..]
}

/// Size in bits of a big-endian unsigned integer (0 for an empty or all-zero one).
fn bit_len(n: &[u8]) -> usize {
    let n = strip_leading_zeros(n);
    match n.first() {
        Some(first) => n.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}

/// The error for an RSA key (PKCS#1 DER, `RSAPrivateKey` when `private`) that the crypto
/// backend could not read: [`KeyError::RsaKeyTooSmall`] when its modulus is under 2048 bits
/// (aws-lc-rs refuses to parse such keys at all), [`KeyError::Invalid`] otherwise.
pub(crate) fn rsa_parse_error(der: &[u8], private: bool, error: String) -> KeyError {
    match rsa_modulus(der, private).map(bit_len) {
        Some(bits) if bits < MIN_RSA_BITS => KeyError::RsaKeyTooSmall { bits },
        Some(bits) if bits > MAX_RSA_BITS => KeyError::RsaKeyTooLarge {
            bits,
            max: MAX_RSA_BITS,
        },
        _ => KeyError::Invalid(error),
    }
}

/// The modulus of a DER `RSAPublicKey` (`SEQUENCE { n, e }`) or `RSAPrivateKey`
/// (`SEQUENCE { version, n, ... }`), RFC 8017 appendix A.1.
fn rsa_modulus(der: &[u8], private: bool) -> Option<&[u8]> {
    let (0x30, sequence, _) = der_item(der)? else {
        return None;
    };
    let sequence = if private {
        let (0x02, _version, rest) = der_item(sequence)? else {
            return None;
        };
        rest
    } else {
        sequence
    };
    match der_item(sequence)? {
        (0x02, n, _) => Some(n),
        _ => None,
    }
}

/// One DER item: tag, contents, and what follows.
fn der_item(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (len, rest) = rest.split_at(count);
        (
            len.iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b)),
            rest,
        )
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The members of a JWK this crate reads (RFC 7517, RFC 7518 section 6, RFC 8037).
#[derive(Debug, Deserialize)]
pub(crate) struct JwkParams {
    kty: String,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    key_ops: Option<Vec<String>>,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    /// `Some(None)` for `"k": null`: present, so refused in a public JWK like any value.
    #[serde(default, deserialize_with = "present_value")]
    k: Option<Option<String>>,
    // Private members (RFC 7518 section 6.3.2, RFC 8037 section 2): only their presence matters.
    #[serde(default, deserialize_with = "present")]
    d: Option<IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    p: Option<IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    q: Option<IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    dp: Option<IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    dq: Option<IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    qi: Option<IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    oth: Option<IgnoredAny>,
}

impl JwkParams {
    /// Public keys come without secrets and private members; secrets only as `oct` keys.
    fn check_material(&self, material: Material) -> Result<(), KeyError> {
        match material {
            Material::Public if self.kty == "oct" => Err(KeyError::SymmetricKeyInPublicSet),
            Material::Public => match self.private_member() {
                Some(member) => Err(KeyError::PrivateMember(member)),
                None => Ok(()),
            },
            Material::Secret if self.kty != "oct" => Err(KeyError::UnusableJwk(format!(
                "a secret JWK has kty `oct`, not `{}`",
                self.kty
            ))),
            Material::Secret => Ok(()),
        }
    }

    /// A key for verification: `use` is `sig` if given, `key_ops` include `verify` if given.
    fn check_use(&self) -> Result<(), KeyError> {
        if let Some(other) = self.use_.as_deref().filter(|u| *u != "sig") {
            return Err(KeyError::UnusableJwk(format!("key is for use `{other}`")));
        }
        if self
            .key_ops
            .as_ref()
            .is_some_and(|ops| !ops.iter().any(|op| op == "verify"))
        {
            return Err(KeyError::UnusableJwk(
                "key_ops does not include `verify`".into(),
            ));
        }
        Ok(())
    }

    /// The bytes of the base64url member `name`, which must be present.
    fn member(&self, name: &'static str, value: Option<&String>) -> Result<Vec<u8>, KeyError> {
        let text = value.ok_or_else(|| KeyError::Invalid(format!("JWK lacks `{name}`")))?;
        URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| KeyError::Invalid(format!("JWK `{name}` is not base64url")))
    }

    /// The uncompressed point `04 || x || y` of an EC JWK whose `crv` is `alg`'s curve.
    fn ec_point(&self, alg: Algorithm) -> Result<Vec<u8>, KeyError> {
        let crv_ok = matches!(
            (self.crv.as_deref(), alg),
            (Some("P-256"), Algorithm::ES256) | (Some("P-384"), Algorithm::ES384)
        );
        if !crv_ok {
            return Err(wrong(alg, "the JWK's curve is not the algorithm's curve"));
        }
        let (x, y) = (
            self.member("x", self.x.as_ref())?,
            self.member("y", self.y.as_ref())?,
        );
        let size = if alg == Algorithm::ES256 { 32 } else { 48 };
        if x.len() != size || y.len() != size {
            return Err(KeyError::Invalid(
                "EC coordinates of the wrong length".into(),
            ));
        }
        Ok([&[4u8][..], &x, &y].concat())
    }

    /// A JWK from a JSON value, which must be an object (serde would read an array too).
    fn from_value(jwk: &serde_json::Value) -> Result<Self, KeyError> {
        if !jwk.is_object() {
            return Err(KeyError::Invalid("not a JWK: not a JSON object".into()));
        }
        JwkParams::deserialize(jwk).map_err(|e| KeyError::Invalid(format!("not a JWK: {e}")))
    }

    /// The first private member present, if any (`k` of a symmetric key counts: a public set
    /// must not hold it).
    fn private_member(&self) -> Option<&'static str> {
        [
            ("d", self.d.is_some()),
            ("p", self.p.is_some()),
            ("q", self.q.is_some()),
            ("dp", self.dp.is_some()),
            ("dq", self.dq.is_some()),
            ("qi", self.qi.is_some()),
            ("oth", self.oth.is_some()),
            ("k", self.k.is_some()),
        ]
        .into_iter()
        .find_map(|(name, present)| present.then_some(name))
    }
}

/// Whether a JWK may hold a secret: only explicit secret configuration says so.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Material {
    Public,
    Secret,
}

/// A member that is present, with its value (`Some(None)` for `null`).
fn present_value<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// A member that is present, whatever its value (`null` included).
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<IgnoredAny>, D::Error> {
    IgnoredAny::deserialize(deserializer).map(Some)
}
