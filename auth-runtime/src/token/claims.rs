//! The claims of a verified token: the registered ones (RFC 7519 section 4.1), roles and
//! scopes from wherever the identity provider puts them, and everything else.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::AuthError;

/// The claims of a verified token, handed to a protected handler.
///
/// Registered claims are typed; `roles` and `scopes` are read from the location the verifier
/// is configured with ([`RolesLocation`]); every other claim is kept in `extra`.
///
/// ```
/// use auth_runtime::testing;
/// let (authority, verifier) = testing::pair(auth_runtime::Algorithm::ES256);
/// let token = authority.token("alice").roles(["admin"]).claim("tenant", "acme").issue()?;
/// let claims = verifier.verify(&token)?;
/// assert_eq!(claims.sub.as_deref(), Some("alice"));
/// assert!(claims.has_role("admin"));
/// assert_eq!(claims.extra["tenant"], "acme");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Claims {
    /// `iss`: who issued the token.
    pub iss: Option<String>,
    /// `sub`: whom the token is about.
    pub sub: Option<String>,
    /// `aud`: whom the token is for (a string or an array in the token).
    pub aud: Audience,
    /// `exp`: expiry, seconds since the epoch. Always present in a verified token.
    pub exp: u64,
    /// `nbf`: not valid before, seconds since the epoch.
    pub nbf: Option<u64>,
    /// `iat`: issued at, seconds since the epoch.
    pub iat: Option<u64>,
    /// `jti`: unique token id.
    pub jti: Option<String>,
    /// Roles, read from the configured [`RolesLocation`].
    pub roles: Vec<String>,
    /// OAuth scopes, from `scope` (space-delimited) or `scp` (array or space-delimited).
    pub scopes: Vec<String>,
    /// Every claim that is not one of the registered claims above.
    pub extra: Map<String, Value>,
}

impl Claims {
    /// Empty claims for `sub`; mostly useful in tests.
    pub fn for_subject(sub: impl Into<String>) -> Self {
        Claims {
            sub: Some(sub.into()),
            ..Claims::default()
        }
    }

    /// Whether `role` is among the token's roles (exact match: an `admin` does not have the
    /// role `user` here, whatever the hierarchy; see [`holds_role`](Self::holds_role)).
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Whether the token holds `role` or a role that implies it in the vocabulary's hierarchy:
    /// the decision of `#[requires_role("...")]` for the same role.
    ///
    /// ```
    /// # use auth_runtime::{Claims, RoleVocabulary};
    /// # #[derive(Debug, Clone, Copy, PartialEq, Eq)] enum Role { Admin, User }
    /// # impl RoleVocabulary for Role {
    /// #     fn all() -> &'static [Self] { &[Role::Admin, Role::User] }
    /// #     fn name(self) -> &'static str { match self { Role::Admin => "admin", Role::User => "user" } }
    /// #     fn satisfied_by(self) -> &'static [Self] {
    /// #         match self { Role::Admin => &[Role::Admin], Role::User => &[Role::User, Role::Admin] }
    /// #     }
    /// # }
    /// let mut claims = Claims::for_subject("alice");
    /// claims.roles = vec!["admin".into()];
    /// assert!(claims.holds_role(Role::User) && claims.holds_role(Role::Admin));
    /// ```
    pub fn holds_role<R: crate::RoleVocabulary>(&self, role: R) -> bool {
        role.satisfied_by()
            .iter()
            .any(|candidate| self.has_role(candidate.name()))
    }

    /// `client_id` (RFC 9068 section 2.2): the OAuth client the token was issued to.
    pub fn client_id(&self) -> Option<&str> {
        self.extra.get("client_id").and_then(Value::as_str)
    }

    /// `sid` (OpenID Connect Front-Channel Logout section 3, RFC 9068): the session the token
    /// belongs to, which a [`Revocation::session`](crate::Revocation::session) ends.
    pub fn sid(&self) -> Option<&str> {
        self.extra.get("sid").and_then(Value::as_str)
    }

    /// `azp` (OpenID Connect Core section 2): the party the token was issued to.
    pub fn azp(&self) -> Option<&str> {
        self.extra.get("azp").and_then(Value::as_str)
    }

    /// The calling service: [`client_id`](Self::client_id), else [`azp`](Self::azp). What
    /// caller allow-lists match (`#[protected(callers = [..])]`,
    /// [`VerifierBuilder::allowed_callers`](crate::VerifierBuilder::allowed_callers)).
    ///
    /// ```
    /// let mut claims = auth_runtime::Claims::for_subject("svc-billing");
    /// claims.extra.insert("azp".into(), "billing".into());
    /// assert_eq!(claims.caller(), Some("billing"));
    /// claims.extra.insert("client_id".into(), "billing-batch".into());
    /// assert_eq!(claims.caller(), Some("billing-batch"));
    /// ```
    pub fn caller(&self) -> Option<&str> {
        self.client_id().or_else(|| self.azp())
    }

    /// The `act` claim of a delegated token (RFC 8693 section 4.1): the party acting for the
    /// subject, whose own `act`, if any, names the party before it.
    pub fn act(&self) -> Option<&Value> {
        self.extra.get("act")
    }

    /// The chain of actors of a delegated token, the current actor first: the `sub` of each
    /// nested `act`.
    ///
    /// ```
    /// let mut claims = auth_runtime::Claims::for_subject("bob");
    /// claims.extra.insert(
    ///     "act".into(),
    ///     serde_json::json!({"sub": "reports", "act": {"sub": "gateway"}}),
    /// );
    /// assert_eq!(claims.actors(), ["reports", "gateway"]);
    /// assert!(auth_runtime::Claims::for_subject("bob").actors().is_empty());
    /// ```
    pub fn actors(&self) -> Vec<&str> {
        let mut chain = Vec::new();
        let mut next = self.act();
        while let Some(actor) = next {
            match actor.get("sub").and_then(Value::as_str) {
                Some(sub) => chain.push(sub),
                None => break,
            }
            next = actor.get("act");
        }
        chain
    }

    /// Whether `scope` is among the token's scopes (exact match).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// Parses a verified payload, reading roles from `roles_at`.
    pub(crate) fn from_payload(
        payload: &[u8],
        roles_at: &RolesLocation,
    ) -> Result<Self, AuthError> {
        let raw = RawClaims::parse(payload)?;
        let registered = raw.registered;
        let exp = registered.exp.ok_or(AuthError::MissingClaim("exp"))?;
        let roles = roles_at.read(&raw.extra)?;
        let scopes = read_scopes(&raw.extra)?;
        Ok(Claims {
            iss: registered.iss,
            sub: registered.sub,
            aud: registered.aud,
            exp,
            nbf: registered.nbf,
            iat: registered.iat,
            jti: registered.jti,
            roles,
            scopes,
            extra: raw.extra,
        })
    }

    pub(crate) fn registered(&self) -> RegisteredView<'_> {
        RegisteredView {
            exp: Some(self.exp),
            nbf: self.nbf,
            iat: self.iat,
            iss: self.iss.as_deref(),
            aud: &self.aud,
        }
    }
}

impl Serialize for Claims {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(iss) = &self.iss {
            map.serialize_entry("iss", iss)?;
        }
        if let Some(sub) = &self.sub {
            map.serialize_entry("sub", sub)?;
        }
        if !self.aud.is_empty() {
            map.serialize_entry("aud", &self.aud)?;
        }
        map.serialize_entry("exp", &self.exp)?;
        if let Some(nbf) = self.nbf {
            map.serialize_entry("nbf", &nbf)?;
        }
        if let Some(iat) = self.iat {
            map.serialize_entry("iat", &iat)?;
        }
        if let Some(jti) = &self.jti {
            map.serialize_entry("jti", jti)?;
        }
        if !self.roles.is_empty() && !self.extra.contains_key("roles") {
            map.serialize_entry("roles", &self.roles)?;
        }
        if !self.scopes.is_empty()
            && !self.extra.contains_key("scope")
            && !self.extra.contains_key("scp")
        {
            map.serialize_entry("scope", &self.scopes.join(" "))?;
        }
        for (name, value) in &self.extra {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// The `aud` claim: one audience or several. Serialized as a string when it holds one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Audience(pub Vec<String>);

impl Audience {
    /// Whether `aud` names `audience`.
    pub fn contains(&self, audience: &str) -> bool {
        self.0.iter().any(|a| a == audience)
    }

    /// Whether the claim was absent (or an empty array).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The audiences.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl Serialize for Audience {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => serializer.serialize_str(one),
            many => many.serialize(serializer),
        }
    }
}

/// Where a token keeps its roles. Identity providers differ; pick the one yours uses.
///
/// ```
/// use auth_runtime::RolesLocation;
/// let default = RolesLocation::default();             // {"roles": ["admin"]}
/// let keycloak = RolesLocation::path(["realm_access", "roles"]);
/// let auth0 = RolesLocation::claim("https://example.com/roles");
/// let scopes = RolesLocation::Scopes;                  // {"scope": "admin user"}
/// // Keycloak's realm roles and one client's roles, merged:
/// let both = RolesLocation::keycloak("orders");
/// # let _ = (default, keycloak, auth0, scopes, both);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RolesLocation {
    /// A path of object members from the top level; the last holds an array of strings (or a
    /// single string). `["roles"]` is the default; `["realm_access", "roles"]` is Keycloak's.
    /// A namespaced claim such as `https://example.com/roles` is a one-element path: names
    /// are never split on dots.
    Path(Vec<String>),
    /// The OAuth scopes (`scope` or `scp`) double as roles.
    Scopes,
    /// Every one of these places, merged in order, each role once.
    Merged(Vec<RolesLocation>),
}

impl Default for RolesLocation {
    fn default() -> Self {
        RolesLocation::claim("roles")
    }
}

impl RolesLocation {
    /// A top-level claim, for example `roles`, `groups` or a namespaced URL.
    pub fn claim(name: impl Into<String>) -> Self {
        RolesLocation::Path(vec![name.into()])
    }

    /// A nested claim: `path(["realm_access", "roles"])`.
    pub fn path<I, S>(path: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        RolesLocation::Path(path.into_iter().map(Into::into).collect())
    }

    /// Every one of `locations`, merged in order, each role once.
    pub fn merged(locations: impl IntoIterator<Item = RolesLocation>) -> Self {
        RolesLocation::Merged(locations.into_iter().collect())
    }

    /// Keycloak's realm roles (`realm_access.roles`) and the roles of the client `client`
    /// (`resource_access.<client>.roles`), merged.
    ///
    /// ```
    /// # use auth_runtime::{Algorithm, RolesLocation, testing};
    /// let authority = testing::authority(Algorithm::ES256);
    /// let verifier = authority.verifier().roles_at(RolesLocation::keycloak("orders")).build()?;
    /// let token = authority
    ///     .token("alice")
    ///     .claim("realm_access", serde_json::json!({"roles": ["user"]}))
    ///     .claim("resource_access", serde_json::json!({
    ///         "orders": {"roles": ["orders-admin", "user"]},
    ///         "billing": {"roles": ["billing-admin"]},
    ///     }))
    ///     .issue()?;
    /// assert_eq!(verifier.verify(&token)?.roles, ["user", "orders-admin"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keycloak(client: impl Into<String>) -> Self {
        RolesLocation::merged([
            RolesLocation::path(["realm_access", "roles"]),
            RolesLocation::path([
                "resource_access".to_owned(),
                client.into(),
                "roles".to_owned(),
            ]),
        ])
    }

    fn read(&self, claims: &Map<String, Value>) -> Result<Vec<String>, AuthError> {
        let path = match self {
            RolesLocation::Scopes => return read_scopes(claims),
            RolesLocation::Merged(locations) => {
                let mut roles: Vec<String> = Vec::new();
                for location in locations {
                    for role in location.read(claims)? {
                        if !roles.contains(&role) {
                            roles.push(role);
                        }
                    }
                }
                return Ok(roles);
            }
            RolesLocation::Path(path) => path,
        };
        let Some((last, parents)) = path.split_last() else {
            return Ok(Vec::new());
        };
        let mut object = claims;
        for name in parents {
            match object.get(name) {
                None => return Ok(Vec::new()),
                Some(Value::Object(inner)) => object = inner,
                Some(_) => return Err(AuthError::InvalidClaim(path.join("."))),
            }
        }
        match object.get(last) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(value) => {
                string_list(value, false).ok_or_else(|| AuthError::InvalidClaim(path.join(".")))
            }
        }
    }
}

fn read_scopes(claims: &Map<String, Value>) -> Result<Vec<String>, AuthError> {
    let mut scopes = Vec::new();
    for name in ["scope", "scp"] {
        match claims.get(name) {
            None => {}
            // `scope` is a space-delimited string (RFC 8693 section 4.2, RFC 9068); only `scp`
            // may also be an array.
            Some(Value::Array(_)) if name == "scope" => {
                return Err(AuthError::InvalidClaim(name.into()));
            }
            Some(value) => scopes.extend(
                string_list(value, true).ok_or_else(|| AuthError::InvalidClaim(name.into()))?,
            ),
        }
    }
    Ok(scopes)
}

/// An array of strings, or a string (split on spaces when `split` is set).
fn string_list(value: &Value, split: bool) -> Option<Vec<String>> {
    match value {
        Value::String(s) if split => Some(
            s.split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

/// The registered claims the verifier validates, whatever type the caller deserializes into.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RegisteredView<'a> {
    pub(crate) exp: Option<u64>,
    pub(crate) nbf: Option<u64>,
    pub(crate) iat: Option<u64>,
    pub(crate) iss: Option<&'a str>,
    pub(crate) aud: &'a Audience,
}

#[derive(Debug, Default)]
pub(crate) struct Registered {
    pub(crate) iss: Option<String>,
    pub(crate) sub: Option<String>,
    pub(crate) aud: Audience,
    pub(crate) exp: Option<u64>,
    pub(crate) nbf: Option<u64>,
    pub(crate) iat: Option<u64>,
    pub(crate) jti: Option<String>,
}

impl Registered {
    /// Sets the registered claim `name` (one of the seven) from its JSON value, which must be
    /// of the claim's type: a string, a `NumericDate`, or for `aud` a string or strings.
    fn set(&mut self, name: &str, value: Value) -> Result<(), AuthError> {
        let invalid = || AuthError::InvalidClaim(name.to_owned());
        match name {
            "iss" => self.iss = Some(string(value).ok_or_else(invalid)?),
            "sub" => self.sub = Some(string(value).ok_or_else(invalid)?),
            "jti" => self.jti = Some(string(value).ok_or_else(invalid)?),
            "aud" => self.aud = audience(value).ok_or_else(invalid)?,
            "exp" => self.exp = Some(numeric_date(&value).ok_or_else(invalid)?),
            "nbf" => self.nbf = Some(numeric_date(&value).ok_or_else(invalid)?),
            _ => self.iat = Some(numeric_date(&value).ok_or_else(invalid)?),
        }
        Ok(())
    }
}

/// One pass over the payload: registered claims typed and strict, the rest kept as JSON.
pub(crate) struct RawClaims {
    pub(crate) registered: Registered,
    pub(crate) extra: Map<String, Value>,
}

impl RawClaims {
    pub(crate) fn parse(payload: &[u8]) -> Result<Self, AuthError> {
        let mut de = serde_json::Deserializer::from_slice(payload);
        let mut problem = None;
        let visitor = ClaimsVisitor {
            problem: &mut problem,
        };
        let parsed = de
            .deserialize_map(visitor)
            .and_then(|raw| de.end().map(|()| raw));
        match (parsed, problem) {
            (_, Some(problem)) => Err(problem),
            (Ok(raw), None) => Ok(raw),
            (Err(_), None) => Err(AuthError::Malformed("payload is not a JSON object")),
        }
    }
}

struct ClaimsVisitor<'p> {
    /// The precise reason when a registered claim is wrong; serde's error only says "stop".
    problem: &'p mut Option<AuthError>,
}

impl<'de> Visitor<'de> for ClaimsVisitor<'_> {
    type Value = RawClaims;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawClaims, A::Error> {
        let mut reg = Registered::default();
        let mut seen = Seen::default();
        let mut extra = Map::new();
        while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let fail = |problem: &mut Option<AuthError>, error: AuthError| {
                *problem = Some(error);
                de::Error::custom("invalid claim")
            };
            let flag = match name.as_ref() {
                "iss" => &mut seen.iss,
                "sub" => &mut seen.sub,
                "aud" => &mut seen.aud,
                "exp" => &mut seen.exp,
                "nbf" => &mut seen.nbf,
                "iat" => &mut seen.iat,
                "jti" => &mut seen.jti,
                _ => {
                    let value: Value = map.next_value()?;
                    if extra.insert(name.into_owned(), value).is_some() {
                        return Err(fail(
                            self.problem,
                            AuthError::Malformed("a claim appears twice"),
                        ));
                    }
                    continue;
                }
            };
            if std::mem::replace(flag, true) {
                return Err(fail(
                    self.problem,
                    AuthError::Malformed("a claim appears twice"),
                ));
            }
            let value: Value = map.next_value()?;
            reg.set(&name, value).map_err(|e| fail(self.problem, e))?;
        }
        Ok(RawClaims {
            registered: reg,
            extra,
        })
    }
}

#[derive(Default)]
struct Seen {
    iss: bool,
    sub: bool,
    aud: bool,
    exp: bool,
    nbf: bool,
    iat: bool,
    jti: bool,
}

fn string(value: Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s),
        _ => None,
    }
}

fn audience(value: Value) -> Option<Audience> {
    match value {
        Value::String(s) => Some(Audience(vec![s])),
        Value::Array(items) => items
            .into_iter()
            .map(string)
            .collect::<Option<Vec<_>>>()
            .map(Audience),
        _ => None,
    }
}

/// A `NumericDate`: a non-negative JSON number of seconds; fractions are truncated.
fn numeric_date(value: &Value) -> Option<u64> {
    let Value::Number(n) = value else { return None };
    if let Some(secs) = n.as_u64() {
        return Some(secs);
    }
    let secs = n.as_f64()?;
    // 2^63 keeps every later `+ leeway` far from overflow.
    (secs.is_finite() && (0.0..9.2e18).contains(&secs)).then_some(secs as u64)
}

impl<'de> Deserialize<'de> for Claims {
    /// Deserializes without a verifier's configuration: roles from `roles`.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let bytes = serde_json::to_vec(&value).map_err(de::Error::custom)?;
        Claims::from_payload(&bytes, &RolesLocation::default()).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Claims, AuthError> {
        Claims::from_payload(
            &serde_json::to_vec(&v).expect("json"),
            &RolesLocation::default(),
        )
    }

    #[test]
    fn registered_claims_are_typed() {
        let c = parse(json!({"iss":"i","sub":"s","aud":["a","b"],"exp":10,"nbf":1.5,"iat":1,"jti":"j","roles":["admin"],"x":1}))
            .expect("valid");
        assert_eq!(c.aud.0, vec!["a", "b"]);
        assert_eq!(c.nbf, Some(1));
        assert_eq!(c.roles, vec!["admin"]);
        assert_eq!(c.extra["x"], 1);
    }

    #[test]
    fn wrong_types_are_invalid_not_absent() {
        for (claim, v) in [
            ("exp", json!({"exp":"10"})),
            ("exp", json!({"exp":-1})),
            ("exp", json!({"exp":null})),
            ("nbf", json!({"exp":1,"nbf":true})),
            ("iat", json!({"exp":1,"iat":[1]})),
            ("iss", json!({"exp":1,"iss":1})),
            ("sub", json!({"exp":1,"sub":{}})),
            ("aud", json!({"exp":1,"aud":[1]})),
            ("jti", json!({"exp":1,"jti":5})),
            ("roles", json!({"exp":1,"roles":5})),
            ("roles", json!({"exp":1,"roles":["a", 1]})),
            ("scope", json!({"exp":1,"scope":["a"]})),
        ] {
            assert_eq!(
                parse(v.clone()),
                Err(AuthError::InvalidClaim(claim.into())),
                "{v}"
            );
        }
        assert_eq!(
            parse(json!({"sub":"x"})),
            Err(AuthError::MissingClaim("exp"))
        );
    }

    #[test]
    fn duplicates_and_non_objects_are_malformed() {
        let dup = br#"{"exp":1,"exp":2}"#;
        assert!(matches!(
            Claims::from_payload(dup, &RolesLocation::default()),
            Err(AuthError::Malformed(_))
        ));
        let dup = br#"{"exp":1,"x":1,"x":2}"#;
        assert!(matches!(
            Claims::from_payload(dup, &RolesLocation::default()),
            Err(AuthError::Malformed(_))
        ));
        for bad in [&b"[]"[..], b"1", b"\"x\"", b"{", b"{} {}", b""] {
            assert!(matches!(
                Claims::from_payload(bad, &RolesLocation::default()),
                Err(AuthError::Malformed(_))
            ));
        }
    }

    #[test]
    fn roles_from_each_location() {
        let payload = serde_json::to_vec(&json!({
            "exp": 1,
            "realm_access": {"roles": ["kc-admin"]},
            "https://example.com/roles": ["ns-admin"],
            "scope": "read write",
            "scp": ["extra"],
        }))
        .expect("json");
        let at = |loc| Claims::from_payload(&payload, &loc).expect("valid").roles;
        assert_eq!(
            at(RolesLocation::path(["realm_access", "roles"])),
            vec!["kc-admin"]
        );
        assert_eq!(
            at(RolesLocation::claim("https://example.com/roles")),
            vec!["ns-admin"]
        );
        assert_eq!(at(RolesLocation::Scopes), vec!["read", "write", "extra"]);
        assert!(at(RolesLocation::default()).is_empty());
        let c = Claims::from_payload(&payload, &RolesLocation::default()).expect("valid");
        assert_eq!(c.scopes, vec!["read", "write", "extra"]);
    }

    #[test]
    fn serializes_round_trip() {
        let c = parse(json!({"sub":"s","aud":"a","exp":10,"roles":["r"],"scope":"x y"}))
            .expect("valid");
        let back: Value = serde_json::to_value(&c).expect("serialize");
        assert_eq!(
            back,
            json!({"sub":"s","aud":"a","exp":10,"roles":["r"],"scope":"x y"})
        );
    }
}
