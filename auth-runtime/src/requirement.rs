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
    /// Roles and scopes combined.
    RoleOrScope,
}

impl RequirementKind {
    /// `"role"`, `"scope"` or `"role or scope"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RequirementKind::Role => "role",
            RequirementKind::Scope => "scope",
            RequirementKind::RoleOrScope => "role or scope",
        }
    }

    /// The kind of a combination of requirements of kinds `self` and `other`.
    const fn and(self, other: RequirementKind) -> RequirementKind {
        match (self, other) {
            (RequirementKind::Role, RequirementKind::Role) => RequirementKind::Role,
            (RequirementKind::Scope, RequirementKind::Scope) => RequirementKind::Scope,
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
        }
    }

    fn kind(&self) -> RequirementKind {
        match self {
            Requirement::AnyRole(_) | Requirement::AllRoles(_) => RequirementKind::Role,
            Requirement::AnyScope(_) | Requirement::AllScopes(_) => RequirementKind::Scope,
            Requirement::All(_) => RequirementKind::RoleOrScope,
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
            Requirement::AnyRole(r) | Requirement::AnyScope(r) => list(f, "any", r),
            Requirement::AllRoles(r) | Requirement::AllScopes(r) => list(f, "all", r),
            Requirement::All(all) => {
                let parts: Vec<String> = all.iter().map(ToString::to_string).collect();
                write!(f, "all({})", parts.join(", "))
            }
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
    /// Whether any name is `text`.
    fn contains(text: &str) -> bool;
}
impl NameList for Nil {
    fn contains(_: &str) -> bool {
        false
    }
}
impl<H: StaticName, T: NameList> NameList for Cons<H, T> {
    fn contains(text: &str) -> bool {
        H::matches(text) || T::contains(text)
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
}
