//! Collect: every `auth` attribute of the function (the invoked one and the others still on
//! it, in any order) into one [`Spec`]. Collection is lenient: it keeps whatever parsed and
//! gathers the errors of what did not, for the validation to report and the fallback to
//! ignore.

use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn, Path, Type};

use crate::attr::{NamesArgs, Origin, ProtectedArgs, arguments, parse_names, parse_protected};
use crate::policy::PolicyArgs;

/// Everything the `auth` attributes on one function asked for.
#[derive(Default)]
pub(crate) struct Spec {
    pub(crate) protected: Option<ProtectedArgs>,
    pub(crate) roles: Option<NamesArgs>,
    pub(crate) scopes: Option<NamesArgs>,
    pub(crate) policy: Option<PolicyArgs>,
    /// The attributes that did not parse, and duplicates.
    pub(crate) errors: Errors,
}

impl Spec {
    /// `from = param`: the parameter that carries the token (explicit-source style).
    pub(crate) fn from(&self) -> Option<&Ident> {
        self.protected.as_ref()?.from.as_ref()
    }

    /// `claims = name`.
    pub(crate) fn claims_name(&self) -> Option<&Ident> {
        self.protected.as_ref()?.claims.as_ref()
    }

    /// `token_locations = Type`: the handler's own token locations.
    pub(crate) fn token_locations(&self) -> Option<&Type> {
        self.protected.as_ref()?.token_locations.as_ref()
    }

    /// Every `crate = path` given, in the order protected, roles, scopes.
    pub(crate) fn crate_paths(&self) -> impl Iterator<Item = &Path> {
        [
            self.protected.as_ref().and_then(|a| a.krate.as_ref()),
            self.roles.as_ref().and_then(|a| a.krate.as_ref()),
            self.scopes.as_ref().and_then(|a| a.krate.as_ref()),
            self.policy.as_ref().and_then(|a| a.krate.as_ref()),
        ]
        .into_iter()
        .flatten()
    }

    /// `callers = [..]`.
    pub(crate) fn callers(&self) -> Option<&crate::attr::CallerList> {
        self.protected.as_ref()?.callers.as_ref()
    }

    /// `check = function`.
    pub(crate) fn check(&self) -> Option<&Path> {
        self.protected.as_ref()?.check.as_ref()
    }

    /// Whether a role, scope or caller is required (whether or not its names are valid).
    pub(crate) fn has_requirement(&self) -> bool {
        self.roles.is_some()
            || self.scopes.is_some()
            || self.policy.is_some()
            || self.callers().is_some()
    }
}

/// Collects the invoked attribute (`origin` with `args`) and every `auth` attribute on
/// `function` into one spec, removing them from `function`.
pub(crate) fn collect(origin: Origin, args: TokenStream, function: &mut ItemFn) -> Spec {
    let mut spec = Spec::default();
    let mut found = vec![(origin, args, Span::call_site())];
    let mut kept = Vec::new();
    for attr in std::mem::take(&mut function.attrs) {
        let Some(origin) = Origin::of(&attr) else {
            kept.push(attr);
            continue;
        };
        match arguments(&attr) {
            Some(tokens) => found.push((origin, tokens, attr.path().span())),
            None => spec.errors.push(syn::Error::new_spanned(
                &attr.meta,
                format!("expected `#[{0}]` or `#[{0}(...)]`", origin.name()),
            )),
        }
    }
    function.attrs = kept;
    for (origin, tokens, span) in found {
        let filled = match origin {
            Origin::Protected => fill(&mut spec.protected, parse_protected, tokens, origin, span),
            Origin::RequiresRole => fill(&mut spec.roles, parse_names, tokens, origin, span),
            Origin::RequiresScope => fill(&mut spec.scopes, parse_names, tokens, origin, span),
            Origin::RequiresPolicy => fill(&mut spec.policy, parse_policy, tokens, origin, span),
        };
        if let Err(error) = filled {
            spec.errors.push(error);
        }
    }
    spec
}

/// Parses the arguments of one attribute into its place in the spec, which a second attribute
/// of the same kind finds taken: the one duplicate-attribute check.
fn fill<T>(
    place: &mut Option<T>,
    parse: fn(TokenStream) -> syn::Result<T>,
    tokens: TokenStream,
    origin: Origin,
    span: Span,
) -> syn::Result<()> {
    if place.is_some() {
        let hint = match origin {
            Origin::Protected => "",
            Origin::RequiresPolicy => "; combine policies with `and` / `or` in one",
            Origin::RequiresRole | Origin::RequiresScope => {
                "; combine names with `any(...)` or `all(...)`"
            }
        };
        return Err(syn::Error::new(
            span,
            format!("duplicate #[{}] attribute{hint}", origin.name()),
        ));
    }
    *place = Some(parse(tokens)?);
    Ok(())
}

fn parse_policy(tokens: TokenStream) -> syn::Result<PolicyArgs> {
    syn::parse2(tokens)
}

/// Errors gathered across a step, reported together (`syn::Error::combine`).
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// `Err` with every error pushed, if any.
    pub(crate) fn check(&self) -> syn::Result<()> {
        self.0.clone().map_or(Ok(()), Err)
    }
}

/// Both values, or every error of the two.
pub(crate) fn join<A, B>(a: syn::Result<A>, b: syn::Result<B>) -> syn::Result<(A, B)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(error), Ok(_)) | (Ok(_), Err(error)) => Err(error),
        (Err(mut first), Err(second)) => {
            first.combine(second);
            Err(first)
        }
    }
}
