//! Role and scope requirements, checked against verified [`Claims`].
//!
//! Two forms: [`Requirement`] is a value, for code that checks by hand; the
//! [`StaticRequirement`] types encode a requirement in a type, so that an extractor type can
//! carry it (this is what `#[requires_role]` expands to). Role names inside types are packed
//! into `u128` const parameters ([`Name`]), at most 64 bytes.

use std::marker::PhantomData;

use crate::error::AuthError;
use crate::token::claims::Claims;

/// What a requirement asks for, as an [`AuthError::InsufficientScope`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequirementKind {
    /// Roles only.
    Role,
    /// OAuth scopes only.
    Scope,
    /// Roles and scopes combined (or any requirements of different kinds).
    RoleOrScope,
    /// The calling service ([`Claims::caller`]).
    Caller,
    /// A claim compared with a constant (`#[requires_policy(claim("tenant") == "acme")]`).
    Claim,
}

impl RequirementKind {
    /// `"role"`, `"scope"` or `"role or scope"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RequirementKind::Role => "role",
            RequirementKind::Scope => "scope",
            RequirementKind::RoleOrScope => "role or scope",
            RequirementKind::Caller => "caller",
            RequirementKind::Claim => "claim",
        }
    }

    /// The kind of a combination of requirements of kinds `self` and `other`.
    const fn and(self, other: RequirementKind) -> RequirementKind {
        match (self, other) {
            (RequirementKind::Role, RequirementKind::Role) => RequirementKind::Role,
            (RequirementKind::Scope, RequirementKind::Scope) => RequirementKind::Scope,
            (RequirementKind::Caller, RequirementKind::Caller) => RequirementKind::Caller,
            _ => RequirementKind::RoleOrScope,
        }
    }
}

impl std::fmt::Display for RequirementKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role or scope requirement as a value.
///
/// ```
/// use auth_runtime::{Claims, Requirement};
/// let mut claims = Claims::for_subject("bob");
/// claims.roles = vec!["auditor".into()];
/// assert!(Requirement::any_role(["admin", "auditor"]).check(&claims).is_ok());
/// assert_eq!(Requirement::all_roles(["admin", "auditor"]).check(&claims).unwrap_err().status(), 403);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Requirement {
    /// At least one of these roles.
    AnyRole(Vec<String>),
    /// Every one of these roles.
    AllRoles(Vec<String>),
    /// At least one of these scopes.
    AnyScope(Vec<String>),
    /// Every one of these scopes.
    AllScopes(Vec<String>),
    /// Every one of these requirements.
    All(Vec<Requirement>),
    /// A declared role, met by any of `satisfied_by` (the role itself and every role that
    /// implies it): [`Requirement::role`].
    Role {
        /// The role's name.
        role: String,
        /// The names that meet it.
        satisfied_by: Vec<String>,
    },
    /// At least one of these requirements.
    Any(Vec<Requirement>),
    /// The calling service ([`Claims::caller`]) is one of these.
    AnyCaller(Vec<String>),
    /// The requirement does not hold: [`Requirement::not`].
    Not(Box<Requirement>),
    /// The claim `claim` equals `value`, compared by type: [`Requirement::claim_equals`].
    ClaimEquals {
        /// The claim's name.
        claim: String,
        /// A string, an integer or a boolean; any other value equals no claim.
        value: serde_json::Value,
    },
}

impl Requirement {
    /// At least one of `roles`.
    pub fn any_role<I: IntoIterator<Item = S>, S: Into<String>>(roles: I) -> Self {
        Requirement::AnyRole(roles.into_iter().map(Into::into).collect())
    }

    /// All of `roles`.
    pub fn all_roles<I: IntoIterator<Item = S>, S: Into<String>>(roles: I) -> Self {
        Requirement::AllRoles(roles.into_iter().map(Into::into).collect())
    }

    /// The declared role `role`, with its hierarchy: met by the role and by every role that
    /// implies it, as `#[requires_role]` decides for the same name.
    ///
    /// ```
    /// # use auth_runtime::{Claims, Requirement, RoleVocabulary};
    /// # #[derive(Debug, Clone, Copy, PartialEq, Eq)] enum Role { Admin, User }
    /// # impl RoleVocabulary for Role {
    /// #     fn all() -> &'static [Self] { &[Role::Admin, Role::User] }
    /// #     fn name(self) -> &'static str { match self { Role::Admin => "admin", Role::User => "user" } }
    /// #     fn satisfied_by(self) -> &'static [Self] {
    /// #         match self { Role::Admin => &[Role::Admin], Role::User => &[Role::User, Role::Admin] }
    /// #     }
    /// # }
    /// let mut admin = Claims::for_subject("alice");
    /// admin.roles = vec!["admin".into()];
    /// assert!(Requirement::role(Role::User).check(&admin).is_ok());
    /// // The string form is exact:
    /// assert!(Requirement::any_role(["user"]).check(&admin).is_err());
    /// ```
    pub fn role<R: crate::RoleVocabulary>(role: R) -> Self {
        Requirement::Role {
            role: role.name().to_owned(),
            satisfied_by: role
                .satisfied_by()
                .iter()
                .map(|r| r.name().to_owned())
                .collect(),
        }
    }

    /// At least one of `requirements` (`#[requires_role(any(..))]` with declared roles).
    pub fn any_of(requirements: impl IntoIterator<Item = Requirement>) -> Self {
        Requirement::Any(requirements.into_iter().collect())
    }

    /// Every one of `requirements` (`#[requires_role(all(..))]` with declared roles).
    pub fn all_of(requirements: impl IntoIterator<Item = Requirement>) -> Self {
        Requirement::All(requirements.into_iter().collect())
    }

    /// The calling service ([`Claims::caller`]: `client_id`, else `azp`) is one of `callers`.
    ///
    /// ```
    /// use auth_runtime::{Claims, Requirement};
    /// let mut claims = Claims::for_subject("svc");
    /// claims.extra.insert("client_id".into(), "reports".into());
    /// assert!(Requirement::any_caller(["billing", "reports"]).check(&claims).is_ok());
    /// assert!(Requirement::any_caller(["billing"]).check(&claims).is_err());
    /// ```
    pub fn any_caller<I: IntoIterator<Item = S>, S: Into<String>>(callers: I) -> Self {
        Requirement::AnyCaller(callers.into_iter().map(Into::into).collect())
    }

    /// The negation of `requirement`, as `not` in `#[requires_policy]`.
    ///
    /// ```
    /// use auth_runtime::{Claims, Requirement};
    /// let mut claims = Claims::for_subject("bob");
    /// claims.roles = vec!["guest".into()];
    /// assert!(Requirement::not(Requirement::any_role(["guest"])).check(&claims).is_err());
    /// assert!(Requirement::not(Requirement::any_role(["admin"])).check(&claims).is_ok());
    /// ```
    #[allow(
        clippy::should_implement_trait,
        reason = "a constructor, as any_of and all_of"
    )]
    pub fn not(requirement: Requirement) -> Self {
        Requirement::Not(Box::new(requirement))
    }

    /// The claim `claim` equals `value` (a string, an integer or a boolean), compared by type
    /// as `claim("..") == ..` in `#[requires_policy]` compares: `"1"` is not `1`, and a
    /// missing claim equals nothing. The registered claims (`sub`, `iss`, `jti`, `exp`, `nbf`,
    /// `iat`) are read from their fields, every other from [`Claims::extra`].
    ///
    /// ```
    /// use auth_runtime::{Claims, Requirement};
    /// let mut claims = Claims::for_subject("bob");
    /// claims.extra.insert("tenant".into(), "acme".into());
    /// claims.extra.insert("level".into(), 3.into());
    /// assert!(Requirement::claim_equals("tenant", "acme").check(&claims).is_ok());
    /// assert!(Requirement::claim_equals("level", 3).check(&claims).is_ok());
    /// assert!(Requirement::claim_equals("level", "3").check(&claims).is_err());
    /// assert!(Requirement::claim_equals("sub", "bob").check(&claims).is_ok());
    /// ```
    pub fn claim_equals(claim: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        Requirement::ClaimEquals {
            claim: claim.into(),
            value: value.into(),
        }
    }

    /// At least one of `scopes`.
    pub fn any_scope<I: IntoIterator<Item = S>, S: Into<String>>(scopes: I) -> Self {
        Requirement::AnyScope(scopes.into_iter().map(Into::into).collect())
    }

    /// Whether `claims` meet the requirement; a 403 [`AuthError::InsufficientScope`] if not.
    pub fn check(&self, claims: &Claims) -> Result<(), AuthError> {
        if self.holds(claims) {
            Ok(())
        } else {
            Err(AuthError::InsufficientScope {
                kind: self.kind(),
                required: self.to_string(),
            })
        }
    }

    fn holds(&self, claims: &Claims) -> bool {
        match self {
            Requirement::AnyRole(r) => r.iter().any(|r| claims.has_role(r)),
            Requirement::AllRoles(r) => r.iter().all(|r| claims.has_role(r)),
            Requirement::AnyScope(s) => s.iter().any(|s| claims.has_scope(s)),
            Requirement::AllScopes(s) => s.iter().all(|s| claims.has_scope(s)),
            Requirement::All(all) => all.iter().all(|r| r.holds(claims)),
            Requirement::Role { satisfied_by, .. } => {
                satisfied_by.iter().any(|r| claims.has_role(r))
            }
            Requirement::Any(any) => any.iter().any(|r| r.holds(claims)),
            Requirement::AnyCaller(callers) => claims
                .caller()
                .is_some_and(|caller| callers.iter().any(|c| c == caller)),
            Requirement::Not(inner) => !inner.holds(claims),
            Requirement::ClaimEquals { claim, value } => {
                match (ClaimValue::of(claims, claim), value) {
                    (Some(ClaimValue::Str(text)), serde_json::Value::String(constant)) => {
                        text == constant
                    }
                    (Some(ClaimValue::Bool(flag)), serde_json::Value::Bool(constant)) => {
                        flag == *constant
                    }
                    (Some(ClaimValue::Int(int)), serde_json::Value::Number(constant)) => {
                        constant
                            .as_i64()
                            .map(i128::from)
                            .or_else(|| constant.as_u64().map(i128::from))
                            == Some(int)
                    }
                    _ => false,
                }
            }
        }
    }

    fn kind(&self) -> RequirementKind {
        match self {
            Requirement::AnyRole(_) | Requirement::AllRoles(_) => RequirementKind::Role,
            Requirement::AnyScope(_) | Requirement::AllScopes(_) => RequirementKind::Scope,
            Requirement::Role { .. } => RequirementKind::Role,
            Requirement::AnyCaller(_) => RequirementKind::Caller,
            Requirement::Not(inner) => inner.kind(),
            Requirement::ClaimEquals { .. } => RequirementKind::Claim,
            // As the attributes' combinations report it: the members' kinds together.
            Requirement::All(members) | Requirement::Any(members) => members
                .iter()
                .map(Requirement::kind)
                .reduce(RequirementKind::and)
                .unwrap_or(RequirementKind::RoleOrScope),
        }
    }
}

impl std::fmt::Display for Requirement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |f: &mut std::fmt::Formatter<'_>, word: &str, items: &[String]| match items {
            [one] => f.write_str(one),
            many => write!(f, "{word}({})", many.join(", ")),
        };
        match self {
            Requirement::AnyRole(r) | Requirement::AnyScope(r) | Requirement::AnyCaller(r) => {
                list(f, "any", r)
            }
            Requirement::AllRoles(r) | Requirement::AllScopes(r) => list(f, "all", r),
            Requirement::All(all) => {
                let parts: Vec<String> = all.iter().map(ToString::to_string).collect();
                write!(f, "all({})", parts.join(", "))
            }
            Requirement::Any(any) => {
                let parts: Vec<String> = any.iter().map(ToString::to_string).collect();
                write!(f, "any({})", parts.join(", "))
            }
            Requirement::Role { role, .. } => f.write_str(role),
            Requirement::Not(inner) => write!(f, "not({inner})"),
            Requirement::ClaimEquals { claim, value } => write!(f, "claim({claim}) == {value}"),
        }
    }
}

/// A requirement encoded in a type, checked without any value at hand.
pub trait StaticRequirement: Send + Sync + 'static {
    /// Checks `claims`.
    fn check(claims: &Claims) -> Result<(), AuthError> {
        if Self::holds(claims) {
            Ok(())
        } else {
            let mut required = String::new();
            Self::describe(&mut required);
            Err(AuthError::InsufficientScope {
                kind: Self::KIND,
                required,
            })
        }
    }
    /// What it asks for.
    const KIND: RequirementKind;
    /// Whether `claims` meet it.
    fn holds(claims: &Claims) -> bool;
    /// Appends a readable form, such as `any(admin, auditor)`.
    fn describe(out: &mut String);
}

/// No requirement beyond a valid token.
#[derive(Debug)]
pub struct NoRequirement;

impl StaticRequirement for NoRequirement {
    // Never reported: no requirement never fails.
    const KIND: RequirementKind = RequirementKind::RoleOrScope;
    fn holds(_: &Claims) -> bool {
        true
    }
    fn describe(out: &mut String) {
        out.push_str("a valid token");
    }
}

/// A name of at most 64 bytes packed big-endian into four `u128`s, NUL-padded.
#[derive(Debug)]
pub struct Name<const A: u128, const B: u128, const C: u128, const D: u128>;

/// A type that stands for one name.
pub trait StaticName: Send + Sync + 'static {
    /// The name's bytes, NUL-padded to 64.
    const BYTES: [u8; 64];
    /// The name's length.
    const LEN: usize;
    /// Whether `text` is this name.
    fn matches(text: &str) -> bool {
        text.len() == Self::LEN && text.as_bytes() == Self::BYTES.split_at(Self::LEN).0
    }
    /// The name, for messages.
    fn push_to(out: &mut String) {
        out.push_str(&String::from_utf8_lossy(Self::BYTES.split_at(Self::LEN).0));
    }
}

impl<const A: u128, const B: u128, const C: u128, const D: u128> StaticName for Name<A, B, C, D> {
    const BYTES: [u8; 64] = unpack([A, B, C, D]);
    const LEN: usize = {
        let mut len = 0;
        while len < 64 && Self::BYTES[len] != 0 {
            len += 1;
        }
        len
    };
}

const fn unpack(words: [u128; 4]) -> [u8; 64] {
    let mut out = [0u8; 64];
    let mut i = 0;
    while i < 64 {
        out[i] = (words[i / 16] >> (8 * (15 - (i % 16)))) as u8;
        i += 1;
    }
    out
}

/// Packs `name` (at most 64 bytes, no NUL) the way [`Name`] expects; used by the macros.
pub fn pack(name: &str) -> Option<[u128; 4]> {
    let bytes = name.as_bytes();
    if bytes.len() > 64 || bytes.contains(&0) {
        return None;
    }
    let mut words = [0u128; 4];
    for (i, b) in bytes.iter().enumerate() {
        words[i / 16] |= u128::from(*b) << (8 * (15 - (i % 16)));
    }
    Some(words)
}

/// The empty list of names or requirements.
#[derive(Debug)]
pub struct Nil;
/// A list: `Head` followed by `Tail`.
#[derive(Debug)]
pub struct Cons<Head, Tail>(PhantomData<(Head, Tail)>);

/// A type-level list of names.
pub trait NameList: Send + Sync + 'static {
    /// How many names.
    const LEN: usize;
    /// Whether any name is `text`.
    fn contains(text: &str) -> bool;
    /// Appends the names, comma-separated (`first`: nothing before them yet).
    fn push_names(out: &mut String, first: bool);
    /// Appends the list as [`Requirement`]'s display shows one: the name alone, or
    /// `any(a, b)`.
    fn describe(out: &mut String) {
        if Self::LEN == 1 {
            Self::push_names(out, true);
        } else {
            out.push_str("any(");
            Self::push_names(out, true);
            out.push(')');
        }
    }
}
impl NameList for Nil {
    const LEN: usize = 0;
    fn contains(_: &str) -> bool {
        false
    }
    fn push_names(_: &mut String, _: bool) {}
}
impl<H: StaticName, T: NameList> NameList for Cons<H, T> {
    const LEN: usize = 1 + T::LEN;
    fn contains(text: &str) -> bool {
        H::matches(text) || T::contains(text)
    }
    fn push_names(out: &mut String, first: bool) {
        if !first {
            out.push_str(", ");
        }
        H::push_to(out);
        T::push_names(out, false);
    }
}

/// The role `N`, met by any role in `SatisfiedBy` (the role itself and every role that
/// implies it in the hierarchy, resolved at compile time).
#[derive(Debug)]
pub struct Role<N, SatisfiedBy>(PhantomData<(N, SatisfiedBy)>);

impl<N: StaticName, L: NameList> StaticRequirement for Role<N, L> {
    const KIND: RequirementKind = RequirementKind::Role;
    fn holds(claims: &Claims) -> bool {
        claims.roles.iter().any(|r| L::contains(r))
    }
    fn describe(out: &mut String) {
        N::push_to(out);
    }
}

/// The scope `N`.
#[derive(Debug)]
pub struct Scope<N>(PhantomData<N>);

impl<N: StaticName> StaticRequirement for Scope<N> {
    const KIND: RequirementKind = RequirementKind::Scope;
    fn holds(claims: &Claims) -> bool {
        claims.scopes.iter().any(|s| N::matches(s))
    }
    fn describe(out: &mut String) {
        N::push_to(out);
    }
}

/// The calling service ([`Claims::caller`]) is one of the names of `L`
/// (`#[protected(callers = [..])]`).
#[derive(Debug)]
pub struct Caller<L>(PhantomData<L>);

impl<L: NameList> StaticRequirement for Caller<L> {
    const KIND: RequirementKind = RequirementKind::Caller;
    fn holds(claims: &Claims) -> bool {
        claims.caller().is_some_and(L::contains)
    }
    fn describe(out: &mut String) {
        L::describe(out);
    }
}

/// `R` does not hold (`not` in a policy).
#[derive(Debug)]
pub struct Not<R>(PhantomData<R>);

impl<R: StaticRequirement> StaticRequirement for Not<R> {
    const KIND: RequirementKind = R::KIND;
    fn holds(claims: &Claims) -> bool {
        !R::holds(claims)
    }
    fn describe(out: &mut String) {
        out.push_str("not(");
        R::describe(out);
        out.push(')');
    }
}

/// A claim's value, as a policy compares it with a constant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClaimValue<'c> {
    /// A string.
    Str(&'c str),
    /// A number that is an integer.
    Int(i128),
    /// A boolean.
    Bool(bool),
    /// Anything else: another number, an array, an object, `null`.
    Other,
}

impl<'c> ClaimValue<'c> {
    /// The value of the claim `name` in `claims`, `None` when the token has no such claim. The
    /// registered claims are read from their fields; every other from
    /// [`Claims::extra`].
    pub fn of(claims: &'c Claims, name: &str) -> Option<ClaimValue<'c>> {
        let text = |value: &'c Option<String>| value.as_deref().map(ClaimValue::Str);
        let number = |value: Option<u64>| value.map(|n| ClaimValue::Int(i128::from(n)));
        match name {
            "sub" => text(&claims.sub),
            "iss" => text(&claims.iss),
            "jti" => text(&claims.jti),
            "exp" => number(Some(claims.exp)),
            "nbf" => number(claims.nbf),
            "iat" => number(claims.iat),
            _ => claims.extra.get(name).map(|value| match value {
                serde_json::Value::String(s) => ClaimValue::Str(s),
                serde_json::Value::Bool(b) => ClaimValue::Bool(*b),
                serde_json::Value::Number(n) => n
                    .as_i64()
                    .map(i128::from)
                    .or_else(|| n.as_u64().map(i128::from))
                    .map_or(ClaimValue::Other, ClaimValue::Int),
                _ => ClaimValue::Other,
            }),
        }
    }
}

/// A constant a policy compares a claim with: [`Str`], [`Int`] or [`Bool`].
pub trait ClaimConstant: Send + Sync + 'static {
    /// Whether `value` is this constant (a string never equals a number, nor `"true"` a
    /// boolean).
    fn equals(value: ClaimValue<'_>) -> bool;
    /// Appends the constant as the policy wrote it.
    fn describe(out: &mut String);
}

/// The string constant `N`.
#[derive(Debug)]
pub struct Str<N>(PhantomData<N>);
/// The integer constant `I`.
#[derive(Debug)]
pub struct Int<const I: i64>;
/// The boolean constant `B`.
#[derive(Debug)]
pub struct Bool<const B: bool>;

impl<N: StaticName> ClaimConstant for Str<N> {
    fn equals(value: ClaimValue<'_>) -> bool {
        matches!(value, ClaimValue::Str(text) if N::matches(text))
    }
    fn describe(out: &mut String) {
        out.push('"');
        N::push_to(out);
        out.push('"');
    }
}

impl<const I: i64> ClaimConstant for Int<I> {
    fn equals(value: ClaimValue<'_>) -> bool {
        value == ClaimValue::Int(i128::from(I))
    }
    fn describe(out: &mut String) {
        out.push_str(&I.to_string());
    }
}

impl<const B: bool> ClaimConstant for Bool<B> {
    fn equals(value: ClaimValue<'_>) -> bool {
        value == ClaimValue::Bool(B)
    }
    fn describe(out: &mut String) {
        out.push_str(if B { "true" } else { "false" });
    }
}

/// The claim `N` equals the constant `V`; a token without the claim does not meet it (and so
/// meets `not`, which is how `!=` expands).
#[derive(Debug)]
pub struct ClaimIs<N, V>(PhantomData<(N, V)>);

impl<N: StaticName, V: ClaimConstant> StaticRequirement for ClaimIs<N, V> {
    const KIND: RequirementKind = RequirementKind::Claim;
    fn holds(claims: &Claims) -> bool {
        // The name's bytes on the stack, not a new string per check.
        let bytes = N::BYTES;
        let Ok(name) = std::str::from_utf8(bytes.split_at(N::LEN).0) else {
            return false;
        };
        ClaimValue::of(claims, name).is_some_and(V::equals)
    }
    fn describe(out: &mut String) {
        out.push_str("claim(");
        N::push_to(out);
        out.push_str(") == ");
        V::describe(out);
    }
}

/// A type-level list of requirements.
pub trait RequirementList: Send + Sync + 'static {
    /// The kind of the members together; `None` for the empty list.
    const KIND: Option<RequirementKind>;
    /// Whether any member holds.
    fn any(claims: &Claims) -> bool;
    /// Whether every member holds.
    fn all(claims: &Claims) -> bool;
    /// Appends the members, comma-separated.
    fn describe(out: &mut String, first: bool);
}
impl RequirementList for Nil {
    const KIND: Option<RequirementKind> = None;
    fn any(_: &Claims) -> bool {
        false
    }
    fn all(_: &Claims) -> bool {
        true
    }
    fn describe(_: &mut String, _: bool) {}
}
impl<H: StaticRequirement, T: RequirementList> RequirementList for Cons<H, T> {
    const KIND: Option<RequirementKind> = match T::KIND {
        None => Some(H::KIND),
        Some(tail) => Some(H::KIND.and(tail)),
    };
    fn any(claims: &Claims) -> bool {
        H::holds(claims) || T::any(claims)
    }
    fn all(claims: &Claims) -> bool {
        H::holds(claims) && T::all(claims)
    }
    fn describe(out: &mut String, first: bool) {
        if !first {
            out.push_str(", ");
        }
        H::describe(out);
        T::describe(out, false);
    }
}

/// At least one requirement of the list.
#[derive(Debug)]
pub struct AnyOf<L>(PhantomData<L>);
/// Every requirement of the list.
#[derive(Debug)]
pub struct AllOf<L>(PhantomData<L>);

impl<L: RequirementList> StaticRequirement for AnyOf<L> {
    const KIND: RequirementKind = match L::KIND {
        Some(kind) => kind,
        None => RequirementKind::RoleOrScope,
    };
    fn holds(claims: &Claims) -> bool {
        L::any(claims)
    }
    fn describe(out: &mut String) {
        out.push_str("any(");
        L::describe(out, true);
        out.push(')');
    }
}

impl<L: RequirementList> StaticRequirement for AllOf<L> {
    const KIND: RequirementKind = match L::KIND {
        Some(kind) => kind,
        None => RequirementKind::RoleOrScope,
    };
    fn holds(claims: &Claims) -> bool {
        L::all(claims)
    }
    fn describe(out: &mut String) {
        out.push_str("all(");
        L::describe(out, true);
        out.push(')');
    }
}

/// Renders a static requirement, for docs and tests.
pub fn describe<R: StaticRequirement>() -> String {
    let mut out = String::new();
    R::describe(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! name {
        ($s:literal) => {{
            const W: [u128; 4] = match pack_const($s) {
                Some(w) => w,
                None => [0; 4],
            };
            Name::<{ W[0] }, { W[1] }, { W[2] }, { W[3] }>
        }};
    }

    const fn pack_const(name: &str) -> Option<[u128; 4]> {
        let bytes = name.as_bytes();
        let mut words = [0u128; 4];
        let mut i = 0;
        while i < bytes.len() {
            words[i / 16] |= (bytes[i] as u128) << (8 * (15 - (i % 16)));
            i += 1;
        }
        Some(words)
    }

    fn packed<N: StaticName>(_: N) -> (usize, String) {
        let mut s = String::new();
        N::push_to(&mut s);
        (N::LEN, s)
    }

    #[test]
    fn names_round_trip() {
        assert_eq!(packed(name!("admin")), (5, "admin".into()));
        let long = "a-role-name-that-is-exactly-sixty-four-bytes-long-0123456789abcd";
        assert_eq!(long.len(), 64);
        let words = pack(long).expect("64 bytes fit");
        assert_eq!(unpack(words).as_slice(), long.as_bytes());
        assert!(pack(&"x".repeat(65)).is_none());
        assert!(pack("a\0b").is_none());
        assert_eq!(pack("admin"), pack_const("admin"));
    }

    #[test]
    fn hierarchy_and_combinators() {
        type Admin = Name<{ W_ADMIN[0] }, { W_ADMIN[1] }, { W_ADMIN[2] }, { W_ADMIN[3] }>;
        type User = Name<{ W_USER[0] }, { W_USER[1] }, { W_USER[2] }, { W_USER[3] }>;
        const W_ADMIN: [u128; 4] = match pack_const("admin") {
            Some(w) => w,
            None => [0; 4],
        };
        const W_USER: [u128; 4] = match pack_const("user") {
            Some(w) => w,
            None => [0; 4],
        };
        type NeedsUser = Role<User, Cons<User, Cons<Admin, Nil>>>;
        type NeedsAdmin = Role<Admin, Cons<Admin, Nil>>;
        let with = |roles: &[&str]| {
            let mut c = Claims::for_subject("x");
            c.roles = roles.iter().map(|r| r.to_string()).collect();
            c
        };
        assert!(NeedsUser::check(&with(&["admin"])).is_ok());
        assert!(NeedsUser::check(&with(&["user"])).is_ok());
        assert!(NeedsAdmin::check(&with(&["user"])).is_err());
        assert!(NeedsAdmin::check(&with(&["adminx"])).is_err());
        type Both = AllOf<Cons<NeedsUser, Cons<NeedsAdmin, Nil>>>;
        assert_eq!(describe::<Both>(), "all(user, admin)");
        assert_eq!(
            Both::check(&with(&["user"])),
            Err(AuthError::InsufficientScope {
                kind: RequirementKind::Role,
                required: "all(user, admin)".into()
            })
        );
        type Either = AnyOf<Cons<NeedsAdmin, Cons<Scope<User>, Nil>>>;
        assert_eq!(
            <Either as StaticRequirement>::KIND,
            RequirementKind::RoleOrScope
        );
        let mut c = with(&[]);
        c.scopes = vec!["user".into()];
        assert!(Either::check(&c).is_ok());
    }

    #[test]
    fn value_comparisons_and_negation_decide_as_the_attribute_types() {
        const W_LEVEL: [u128; 4] = match pack_const("level") {
            Some(w) => w,
            None => [0; 4],
        };
        const W_TEN: [u128; 4] = match pack_const("10") {
            Some(w) => w,
            None => [0; 4],
        };
        type Level = Name<{ W_LEVEL[0] }, { W_LEVEL[1] }, { W_LEVEL[2] }, { W_LEVEL[3] }>;
        type Ten = Name<{ W_TEN[0] }, { W_TEN[1] }, { W_TEN[2] }, { W_TEN[3] }>;
        let values: [Option<serde_json::Value>; 9] = [
            None,
            Some(10.into()),
            Some((-10).into()),
            Some(u64::MAX.into()),
            Some("10".into()),
            Some(true.into()),
            Some(false.into()),
            Some(10.5.into()),
            Some(serde_json::json!([10])),
        ];
        for value in values {
            let mut claims = Claims::for_subject("x");
            if let Some(value) = &value {
                claims.extra.insert("level".into(), value.clone());
            }
            let pairs: [(bool, Requirement); 6] = [
                (
                    ClaimIs::<Level, Int<10>>::holds(&claims),
                    Requirement::claim_equals("level", 10),
                ),
                (
                    ClaimIs::<Level, Int<{ -10 }>>::holds(&claims),
                    Requirement::claim_equals("level", -10),
                ),
                (
                    ClaimIs::<Level, Str<Ten>>::holds(&claims),
                    Requirement::claim_equals("level", "10"),
                ),
                (
                    ClaimIs::<Level, Bool<true>>::holds(&claims),
                    Requirement::claim_equals("level", true),
                ),
                (
                    Not::<ClaimIs<Level, Bool<false>>>::holds(&claims),
                    Requirement::not(Requirement::claim_equals("level", false)),
                ),
                (
                    Not::<ClaimIs<Level, Int<10>>>::holds(&claims),
                    Requirement::not(Requirement::claim_equals("level", 10)),
                ),
            ];
            for (attribute, value_form) in pairs {
                assert_eq!(
                    attribute,
                    value_form.check(&claims).is_ok(),
                    "{value_form} on {value:?}"
                );
            }
        }
        assert_eq!(
            Requirement::not(Requirement::claim_equals("level", "10")).to_string(),
            r#"not(claim(level) == "10")"#
        );
    }
}
