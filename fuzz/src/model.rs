//! An independent model of what a verifier must do with a token whose signature the oracle
//! found valid: the header rules (RFC 7515 `crit`, RFC 7797 `b64`, JWE's `enc`, `typ` where
//! required), key selection by `kid`, and the claim rules (RFC 7519 registered claims, the
//! verifiers' issuer, audience, clock and leeway). Written from the rules, not from the
//! runtime's code: JSON is read member by member (repeats kept) with serde_json's lexer only.
//!
//! Where the model cannot be sure (a repeated header member, a fractional date within a second
//! of a boundary, a payload that is not an object), it says [`Expect::Unknown`] rather than
//! guess.

use auth_runtime::AuthError;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::oracle::Signed;
use crate::{AUDIENCE, Family, NOW};

/// The fixture verifiers' leeway (the runtime's default).
pub const LEEWAY: u64 = 60;
/// The fixture verifiers' token length cap (the runtime's default).
pub const MAX_LEN: usize = 8 * 1024;

/// What the model requires of a verifier.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// It must accept.
    Accept,
    /// It must refuse, with exactly this error.
    Exactly(AuthError),
    /// It must refuse with some `AuthError::Malformed(_)`.
    Malformed,
    /// It must refuse; the model does not say with which error.
    Refuse,
    /// The model does not decide.
    Unknown,
}

impl Expect {
    /// Panics unless `result` is what the model requires.
    pub fn check<T: std::fmt::Debug>(
        &self,
        result: &Result<T, AuthError>,
        what: &str,
        token: &str,
    ) {
        let ok = match (self, result) {
            (Expect::Unknown, _) => true,
            (Expect::Accept, r) => r.is_ok(),
            (Expect::Exactly(e), Err(got)) => got == e,
            (Expect::Malformed, Err(got)) => matches!(got, AuthError::Malformed(_)),
            (Expect::Refuse, r) => r.is_err(),
            (_, Ok(_)) => false,
        };
        assert!(
            ok,
            "{what}: the model requires {self:?}, the verifier gave {result:?}: {token:?}"
        );
    }
}

/// A JSON object's members in order, repeats kept; `None` from [`members`] if the text is not
/// one JSON object.
pub struct Members(pub Vec<(String, Value)>);

impl Members {
    /// The value of `name`: `Ok(None)` when absent, `Err(())` when repeated.
    pub fn get(&self, name: &str) -> Result<Option<&Value>, ()> {
        let mut found = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        match (found.next(), found.next()) {
            (one, None) => Ok(one),
            (Some(_), Some(_)) => Err(()),
            (None, Some(_)) => unreachable!(),
        }
    }

    pub fn has_repeats(&self) -> bool {
        let mut names: Vec<&str> = self.0.iter().map(|(k, _)| k.as_str()).collect();
        names.sort_unstable();
        names.windows(2).any(|w| w[0] == w[1])
    }
}

/// Reads members; the values of names that `keep` refuses are only checked as JSON syntax
/// (stored as `null`), since a reader that skips a member need not represent its value (a
/// number such as `1e400` is JSON, but not an `f64`).
struct MembersSeed(fn(&str) -> bool);

impl<'de> serde::de::DeserializeSeed<'de> for MembersSeed {
    type Value = Members;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Members, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MembersSeed {
    type Value = Members;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
        let mut members = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            let value = if (self.0)(&name) {
                map.next_value::<Value>()?
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
                Value::Null
            };
            members.push((name, value));
        }
        Ok(Members(members))
    }
}

fn read_members(bytes: &[u8], keep: fn(&str) -> bool) -> Option<Members> {
    use serde::de::DeserializeSeed as _;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let members = MembersSeed(keep).deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(members)
}

/// The members of `bytes` if it is exactly one JSON object (surrounding whitespace allowed),
/// every value read.
pub fn members(bytes: &[u8]) -> Option<Members> {
    read_members(bytes, |_| true)
}

/// The members of a JOSE header: the values of the members the model looks at are read, the
/// others checked as JSON syntax only (`crit` and `enc` count by presence, whatever value).
pub fn header_members(bytes: &[u8]) -> Option<Members> {
    read_members(bytes, |name| matches!(name, "alg" | "kid" | "typ" | "b64"))
}

/// The keys of a verifier: fixture keys, each under its `kid`.
#[derive(Debug, Clone, Copy)]
pub enum Keys {
    /// The key of one family.
    One(Family),
    /// Every fixture key.
    AllByKid,
}

impl Keys {
    fn holds(self, family: Family) -> bool {
        match self {
            Keys::One(one) => one == family,
            Keys::AllByKid => true,
        }
    }
}

/// A fixture verifier as the model sees it.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub keys: Keys,
    pub issuer: &'static str,
    /// `typ` must be `at+jwt` (case-insensitive, optional `application/` prefix).
    pub at_jwt: bool,
}

/// The model's verdict for one verifier on `token`, whose signature `signed` (the oracle's
/// finding, `None` when no fixture key signed it) is over the header's `alg`.
pub fn expect(config: Config, token: &str, signed: Option<&Signed>) -> Expect {
    if token.len() > MAX_LEN {
        return Expect::Exactly(AuthError::TokenTooLong {
            len: token.len(),
            max: MAX_LEN,
        });
    }
    let Some(signed) = signed else {
        return Expect::Unknown;
    };
    let Some(header) = header_members(&signed.header_bytes) else {
        // Not a JSON object: RFC 7515 section 4 requires one.
        return Expect::Refuse;
    };
    if header.has_repeats() {
        return Expect::Unknown;
    }
    let get = |name| header.get(name).ok().flatten();
    let string_or_null =
        |v: Option<&Value>| matches!(v, None | Some(Value::Null | Value::String(_)));
    if !string_or_null(get("kid")) || !string_or_null(get("typ")) {
        return Expect::Malformed;
    }
    if get("enc").is_some() {
        return Expect::Malformed;
    }
    if get("crit").is_some() {
        return Expect::Exactly(AuthError::UnsupportedCritical);
    }
    if get("b64").is_some_and(|b| b != &Value::Bool(true)) {
        return Expect::Exactly(AuthError::UnsupportedCritical);
    }
    if config.at_jwt {
        let typ_ok = get("typ").and_then(Value::as_str).is_some_and(|typ| {
            let typ = typ.to_ascii_lowercase();
            typ == "at+jwt" || typ == "application/at+jwt"
        });
        if !typ_ok {
            return Expect::Exactly(AuthError::InvalidType);
        }
    }
    // A `kid` names a key exactly; a token without one (or with `null`) finds the key of a
    // one-key verifier only.
    let kid = get("kid").and_then(Value::as_str);
    let key = match (config.keys, kid) {
        (Keys::One(family), None) => family,
        (_, Some(kid)) => match Family::ALL.into_iter().find(|f| f.kid() == kid) {
            Some(family) if config.keys.holds(family) => family,
            _ => return Expect::Exactly(AuthError::UnknownKey),
        },
        (Keys::AllByKid, None) => return Expect::Exactly(AuthError::UnknownKey),
    };
    if key != signed.family {
        return Expect::Refuse;
    }
    claims(&signed.payload, config.issuer)
}

/// The model's verdict for the two-issuer verifier ([`crate::Fixture::trusting`]): the
/// token's `iss`, read before the signature, chooses the issuer and its key; `typ` must be
/// `at+jwt`.
pub fn expect_trusting(token: &str, signed: Option<&Signed>) -> Expect {
    if token.len() > MAX_LEN {
        return expect(
            Config {
                keys: Keys::One(Family::Es),
                issuer: crate::ISSUER,
                at_jwt: true,
            },
            token,
            signed,
        );
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [_, payload, _] = parts.as_slice() else {
        return Expect::Malformed;
    };
    let Ok(payload) = crate::b64_decode(payload) else {
        return Expect::Malformed;
    };
    match trusting_domain(&payload) {
        Err(expect) => expect,
        Ok((issuer, family)) => expect(
            Config {
                keys: Keys::One(family),
                issuer,
                at_jwt: true,
            },
            token,
            signed,
        ),
    }
}

/// The domain (issuer and key) of the two-issuer verifier for a token, chosen by `iss`.
fn trusting_domain(payload: &[u8]) -> Result<(&'static str, Family), Expect> {
    let Some(claims) = members(payload) else {
        return Err(Expect::Unknown);
    };
    match claims.get("iss") {
        Err(()) => Err(Expect::Refuse),
        Ok(None | Some(Value::Null)) => Err(Expect::Exactly(AuthError::MissingClaim("iss"))),
        Ok(Some(Value::String(iss))) if iss == crate::ISSUER => Ok((crate::ISSUER, Family::Es)),
        Ok(Some(Value::String(iss))) if iss == crate::OTHER_ISSUER => {
            Ok((crate::OTHER_ISSUER, Family::Ed))
        }
        Ok(Some(Value::String(_))) => Err(Expect::Exactly(AuthError::InvalidIssuer)),
        Ok(Some(_)) => Err(Expect::Exactly(AuthError::InvalidClaim("iss".into()))),
    }
}

/// A `NumericDate` (RFC 7519 section 2): a non-negative number of seconds.
enum Date {
    Secs(u64),
    /// A fraction, truncated: close to a boundary the model abstains.
    Fraction(f64),
    Invalid,
    Unsure,
}

fn date(value: &Value) -> Date {
    let Value::Number(n) = value else {
        return Date::Invalid;
    };
    if let Some(secs) = n.as_u64() {
        return Date::Secs(secs);
    }
    if n.as_i64().is_some() {
        return Date::Invalid; // negative
    }
    match n.as_f64() {
        Some(f) if (1.0..1e18).contains(&f) => Date::Fraction(f),
        Some(f) if f <= -1.0 => Date::Invalid,
        _ => Date::Unsure,
    }
}

/// Whether the date `d` is "at most `limit`" (`at_most`) or "more than `limit`": `None` when a
/// fraction lies within a second of the limit.
fn compare(d: &Date, limit: u64, at_most: bool) -> Option<bool> {
    match d {
        Date::Secs(s) => Some(if at_most { *s <= limit } else { *s > limit }),
        Date::Fraction(f) => {
            let limit = limit as f64;
            if (f - limit).abs() <= 2.0 {
                None
            } else {
                Some(if at_most { *f < limit } else { *f > limit })
            }
        }
        Date::Invalid | Date::Unsure => None,
    }
}

/// Whether the claims in `payload` are valid for a fixture verifier of `issuer` (audience
/// [`AUDIENCE`], clock [`NOW`], leeway [`LEEWAY`], roles in `roles`).
pub fn claims(payload: &[u8], issuer: &str) -> Expect {
    let Some(claims) = members(payload) else {
        // Not one JSON object (or not JSON): a claims set must be one.
        return Expect::Refuse;
    };
    if claims.has_repeats() {
        return Expect::Refuse;
    }
    let get = |name| claims.get(name).ok().flatten();
    let mut unsure = false;
    // Registered claims of the right JSON types.
    for name in ["iss", "sub", "jti"] {
        if get(name).is_some_and(|v| !v.is_string()) {
            return Expect::Refuse;
        }
    }
    let audiences: Vec<&str> = match get("aud") {
        None => Vec::new(),
        Some(Value::String(one)) => vec![one],
        Some(Value::Array(items)) => {
            let Some(list) = items.iter().map(Value::as_str).collect::<Option<Vec<_>>>() else {
                return Expect::Refuse;
            };
            list
        }
        Some(_) => return Expect::Refuse,
    };
    let mut dates = Vec::new();
    for name in ["exp", "nbf", "iat"] {
        match get(name).map(date) {
            Some(Date::Invalid) => return Expect::Refuse,
            Some(Date::Unsure) => unsure = true,
            other => dates.push((name, other)),
        }
    }
    // Roles (`roles`: a string or an array of strings, null as absent) and scopes (`scope`: a
    // string; `scp`: a string or an array of strings).
    let strings =
        |v: &Value| v.is_string() || v.as_array().is_some_and(|a| a.iter().all(Value::is_string));
    if get("roles").is_some_and(|v| !v.is_null() && !strings(v))
        || get("scope").is_some_and(|v| !v.is_string())
        || get("scp").is_some_and(|v| !strings(v))
    {
        return Expect::Refuse;
    }
    // Validity now.
    for (name, d) in &dates {
        let ok = match (name, d) {
            (&"exp", None) => Some(false),
            (&"exp", Some(d)) => compare(d, NOW.saturating_sub(LEEWAY), false),
            (_, None) => Some(true),
            (_, Some(d)) => compare(d, NOW + LEEWAY, true),
        };
        match ok {
            Some(false) => return Expect::Refuse,
            Some(true) => {}
            None => unsure = true,
        }
    }
    if get("iss").and_then(Value::as_str) != Some(issuer) || !audiences.contains(&AUDIENCE) {
        return Expect::Refuse;
    }
    if unsure {
        Expect::Unknown
    } else {
        Expect::Accept
    }
}
