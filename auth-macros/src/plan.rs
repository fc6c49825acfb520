//! The plan: what the expansion will generate, as plain data, every check already made. Built
//! by `valid` (strictly) or by `fallback` (leniently), turned into code by `expand`.

use std::path::PathBuf;

use proc_macro2::Span;
use quote::format_ident;
use syn::spanned::Spanned;
use syn::{Ident, ItemFn, Pat, Path, Type};

use crate::openapi::Operation;
use crate::signature::{ClaimsParam, remove_params};

pub(crate) struct Plan {
    /// Where the `auth` crate is: `::auth` or the `crate = path` given.
    pub(crate) krate: Path,
    pub(crate) style: Style,
    /// One per claims parameter, or one hidden slot when there is none.
    pub(crate) slots: Vec<Slot>,
    pub(crate) requirement: Requirement,
    /// `token_locations = Type`: where the extractor reads the token, if not where the
    /// verifier says.
    pub(crate) locations: Option<Type>,
    /// `check = function`: the check function's type (declared by `#[auth::check]`), run by the
    /// extractor after the requirement.
    pub(crate) check: Option<Path>,
    /// The vocabulary files the role names were checked against, for the compiler to track.
    pub(crate) tracked: Vec<PathBuf>,
    /// The function's `#[utoipa::path(..)]`, to document with the requirement.
    pub(crate) operation: Option<Operation>,
    /// The function as written minus its `auth` attributes, `#[claims]` markers and claims
    /// parameters.
    pub(crate) function: ItemFn,
}

/// How the claims reach the body.
pub(crate) enum Style {
    /// Each slot becomes an extractor parameter (axum, actix-web, poem), placed first.
    Extractor,
    /// The token is read from the parameter `param` (`from = param`); a failure returns early
    /// with the error converted by `From<AuthError>`, reported at `error_span` (the `E` of
    /// `Result<_, E>`) when `E` cannot carry it.
    Source { param: Ident, error_span: Span },
    /// Beside an error only: each slot a value of its claims type that is never computed, so
    /// that the body still type-checks without a usable token source.
    Placeholder,
}

/// One claims slot: the hidden binding `ident` (`__auth_claims`, `__auth_claims_1`, ..), the
/// span its generated tokens carry, and what fills the user's side.
pub(crate) struct Slot {
    pub(crate) ident: Ident,
    pub(crate) span: Span,
    pub(crate) claims: SlotClaims,
}

pub(crate) enum SlotClaims {
    /// No claims parameter: the standard claims, required, bound to `bind` (`claims = name`)
    /// or dropped.
    Hidden { bind: Option<Ident> },
    /// The user's parameter `pat: ty`.
    Param {
        pat: Box<Pat>,
        ty: Box<Type>,
        /// `ty`, or `T` of `Option<T>`.
        inner: Box<Type>,
        optional: bool,
        /// Marked `#[claims]`: any `Deserialize` type, checked through `ClaimsSlot`.
        custom: bool,
    },
}

/// The role and scope requirement, as the type tree of the runtime's `requirement.rs`.
#[derive(Debug)]
pub(crate) enum Requirement {
    None,
    /// `name`, met by each of `satisfied_by` (the role itself first, then the roles that imply
    /// it).
    Role {
        name: Name,
        satisfied_by: Vec<String>,
    },
    Scope(Name),
    /// The calling service is one of these.
    Callers(Vec<Name>),
    /// The claim `name` equals `value` (differs from it, when `negated`).
    Claim {
        name: Name,
        negated: bool,
        value: ClaimValue,
    },
    Not(Box<Requirement>),
    AnyOf(Vec<Requirement>),
    AllOf(Vec<Requirement>),
}

/// The constant of a claim comparison.
#[derive(Debug)]
pub(crate) enum ClaimValue {
    Str(Name),
    Int(i64),
    Bool(bool),
}

/// A checked role or scope name, with the span of its literal.
#[derive(Debug)]
pub(crate) struct Name {
    pub(crate) value: String,
    pub(crate) span: Span,
}

/// Takes the claims parameters out of the signature and gives their slots: one per parameter,
/// or, without any, a hidden one whose standard claims are bound to `bind`.
pub(crate) fn take_slots(
    function: &mut ItemFn,
    params: Vec<ClaimsParam>,
    bind: Option<&Ident>,
) -> Vec<Slot> {
    if params.is_empty() {
        return vec![Slot {
            ident: format_ident!("__auth_claims"),
            span: located_at(function.sig.ident.span()),
            claims: SlotClaims::Hidden {
                bind: bind.cloned(),
            },
        }];
    }
    let indices: Vec<usize> = params.iter().map(|p| p.index).collect();
    remove_params(function, &indices);
    params
        .into_iter()
        .enumerate()
        .map(|(position, param)| Slot {
            ident: if position == 0 {
                format_ident!("__auth_claims")
            } else {
                format_ident!("__auth_claims_{}", position)
            },
            span: located_at(param.ty.span()),
            claims: SlotClaims::Param {
                inner: param
                    .optional_inner
                    .clone()
                    .map_or_else(|| param.ty.clone(), Box::new),
                optional: param.optional_inner.is_some(),
                custom: param.marker.is_some(),
                pat: param.pat,
                ty: param.ty,
            },
        })
        .collect()
}

/// A span that points at the user's `tokens` for errors but is still the macro's own
/// (resolved at the call site, marked as coming from the expansion), so that lints such as
/// clippy's `type_complexity` do not fire on generated code as if the user had written it.
pub(crate) fn located_at(tokens: Span) -> Span {
    Span::call_site().located_at(tokens)
}
