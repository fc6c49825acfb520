//! The arguments of one attribute, typed: parsed with `custom_keyword!` and `lookahead1`.
//!
//! ```text
//! #[protected]                       #[protected(crate = my_reexport::auth)]
//! #[protected(from = req)]           #[protected(from = request, claims = claims)]
//! #[protected(token_locations = WebSocketTokens)]
//! #[protected(callers = ["billing", "reports"])]
//! #[protected(check = owner_or_admin)]
//! #[requires_role("admin")]          #[requires_role(any("admin", "auditor"))]
//! #[requires_role(all("a", "b"))]    #[requires_scope("orders:read", crate = path)]
//! ```

use proc_macro2::TokenStream;
use syn::ext::IdentExt;
use syn::parse::{Lookahead1, Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitStr, Path, Token, Type};

mod kw {
    syn::custom_keyword!(any);
    syn::custom_keyword!(all);
    syn::custom_keyword!(from);
    syn::custom_keyword!(claims);
    syn::custom_keyword!(token_locations);
    syn::custom_keyword!(callers);
    syn::custom_keyword!(check);
}

/// Which `auth` attribute: the one the compiler invoked, or one still on the function.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Origin {
    Protected,
    RequiresRole,
    RequiresScope,
    RequiresPolicy,
}

impl Origin {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Origin::Protected => "protected",
            Origin::RequiresRole => "requires_role",
            Origin::RequiresScope => "requires_scope",
            Origin::RequiresPolicy => "requires_policy",
        }
    }

    /// The `auth` attribute `attr` is, whatever the path before its name.
    pub(crate) fn of(attr: &Attribute) -> Option<Origin> {
        let last = attr.path().segments.last()?.ident.to_string();
        match last.as_str() {
            "protected" => Some(Origin::Protected),
            "requires_role" => Some(Origin::RequiresRole),
            "requires_scope" => Some(Origin::RequiresScope),
            "requires_policy" => Some(Origin::RequiresPolicy),
            _ => None,
        }
    }
}

/// The arguments of an attribute on the function; `None` for the `#[attr = ...]` form.
pub(crate) fn arguments(attr: &Attribute) -> Option<TokenStream> {
    match &attr.meta {
        syn::Meta::Path(_) => Some(TokenStream::new()),
        syn::Meta::List(list) => Some(list.tokens.clone()),
        syn::Meta::NameValue(_) => None,
    }
}

/// Arguments of `#[protected(...)]`.
#[derive(Default)]
pub(crate) struct ProtectedArgs {
    pub(crate) krate: Option<Path>,
    pub(crate) from: Option<Ident>,
    /// `claims = name`: binds the standard claims to `name` when the signature cannot take a
    /// claims parameter (a trait method, such as a tonic service's).
    pub(crate) claims: Option<Ident>,
    /// `token_locations = Type`: where this handler reads its token instead of where its
    /// verifier says (a type declared with `token_locations!`).
    pub(crate) token_locations: Option<Type>,
    /// `callers = ["a", ..]`: the calling services allowed (`client_id`, else `azp`), with the
    /// span of the brackets.
    pub(crate) callers: Option<CallerList>,
    /// `check = path`: a function declared with `#[auth::check]`, run after the token and the
    /// requirement passed.
    pub(crate) check: Option<Path>,
}

/// The names of `callers = [..]`, as written, and the span of the brackets.
pub(crate) struct CallerList {
    pub(crate) names: Vec<LitStr>,
    pub(crate) span: proc_macro2::Span,
}

impl Parse for CallerList {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if !input.peek(syn::token::Bracket) {
            return Err(input.error(
                "expected a list of calling services: `callers = [\"billing\", \"reports\"]`",
            ));
        }
        let content;
        let brackets = syn::bracketed!(content in input);
        let list = Punctuated::<NameLit, Token![,]>::parse_terminated(&content)?;
        Ok(CallerList {
            names: list.into_iter().map(|n| n.0).collect(),
            span: brackets.span.join(),
        })
    }
}

impl Parse for ProtectedArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = ProtectedArgs::default();
        while !input.is_empty() {
            let lookahead = input.lookahead1();
            if lookahead.peek(Token![crate]) {
                let key: Token![crate] = input.parse()?;
                set_once(
                    &mut args.krate,
                    key.span,
                    "crate",
                    input,
                    Path::parse_mod_style,
                )?;
            } else if lookahead.peek(kw::from) {
                let key: kw::from = input.parse()?;
                set_once(&mut args.from, key.span, "from", input, Ident::parse)?;
            } else if lookahead.peek(kw::claims) {
                let key: kw::claims = input.parse()?;
                set_once(&mut args.claims, key.span, "claims", input, Ident::parse)?;
            } else if lookahead.peek(kw::callers) {
                let key: kw::callers = input.parse()?;
                set_once(
                    &mut args.callers,
                    key.span,
                    "callers",
                    input,
                    CallerList::parse,
                )?;
            } else if lookahead.peek(kw::check) {
                let key: kw::check = input.parse()?;
                set_once(&mut args.check, key.span, "check", input, check_path)?;
            } else if lookahead.peek(kw::token_locations) {
                let key: kw::token_locations = input.parse()?;
                set_once(
                    &mut args.token_locations,
                    key.span,
                    "token_locations",
                    input,
                    locations_type,
                )?;
            } else {
                return Err(unsupported(
                    input,
                    lookahead,
                    "`#[protected]` takes `crate = path`, `from = parameter`, `claims = name`, `callers = [..]`, `check = function` and `token_locations = Type`",
                ));
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(args)
    }
}

/// The function of `check = function`: a path, without generic arguments.
fn check_path(input: ParseStream<'_>) -> syn::Result<Path> {
    if input.peek(LitStr) || input.peek(syn::token::Bracket) || input.peek(Token![|]) {
        return Err(input.error(
            "`check = ...` names a function declared with `#[auth::check]`: `check = owner_or_admin`",
        ));
    }
    Path::parse_mod_style(input)
}

/// The type of `token_locations = Type`; a list in its place gets an error that says where the
/// list goes.
fn locations_type(input: ParseStream<'_>) -> syn::Result<Type> {
    if input.peek(syn::token::Bracket) || input.peek(LitStr) {
        return Err(input.error(
            "`token_locations = ...` names a type declared with `auth::token_locations! { struct Name = [...]; }`, where the list goes",
        ));
    }
    Type::parse(input)
}

/// `= value` after the key `name` (spanned `key`), into `slot`, which must still be empty: the
/// one duplicate-argument check.
fn set_once<T>(
    slot: &mut Option<T>,
    key: proc_macro2::Span,
    name: &str,
    input: ParseStream<'_>,
    value: fn(ParseStream<'_>) -> syn::Result<T>,
) -> syn::Result<()> {
    input.parse::<Token![=]>()?;
    if slot.is_some() {
        return Err(syn::Error::new(key, format!("duplicate `{name}` argument")));
    }
    *slot = Some(value(input)?);
    Ok(())
}

/// How several names combine.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Combine {
    Any,
    All,
}

/// Arguments of `#[requires_role(...)]` / `#[requires_scope(...)]`.
pub(crate) struct NamesArgs {
    pub(crate) combine: Combine,
    /// At least one.
    pub(crate) names: Vec<LitStr>,
    pub(crate) krate: Option<Path>,
}

impl Parse for NamesArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let (combine, names) = parse_name_list(input)?;
        let mut krate = None;
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            if input.peek(LitStr) {
                let extra: LitStr = input.parse()?;
                return Err(syn::Error::new(
                    extra.span(),
                    "several names: say `any(\"a\", \"b\")` (one of them suffices) or `all(\"a\", \"b\")` (each is needed)",
                ));
            }
            let lookahead = input.lookahead1();
            if lookahead.peek(Token![crate]) {
                let key: Token![crate] = input.parse()?;
                set_once(&mut krate, key.span, "crate", input, Path::parse_mod_style)?;
            } else {
                return Err(unsupported(
                    input,
                    lookahead,
                    "after the names, the only argument is `crate = path`",
                ));
            }
        }
        Ok(NamesArgs {
            combine,
            names,
            krate,
        })
    }
}

/// `"name"`, `any("a", ..)` or `all("a", ..)`.
fn parse_name_list(input: ParseStream<'_>) -> syn::Result<(Combine, Vec<LitStr>)> {
    if input.is_empty() {
        return Err(input.error(
            "expected a role name: `\"admin\"`, `any(\"admin\", \"auditor\")` or `all(...)`",
        ));
    }
    let lookahead = input.lookahead1();
    if lookahead.peek(LitStr) {
        return Ok((Combine::Any, vec![input.parse::<LitStr>()?]));
    }
    if lookahead.peek(kw::any) || lookahead.peek(kw::all) {
        let combine = if input.peek(kw::any) {
            input.parse::<kw::any>()?;
            Combine::Any
        } else {
            input.parse::<kw::all>()?;
            Combine::All
        };
        let content;
        let parens = syn::parenthesized!(content in input);
        let list = Punctuated::<NameLit, Token![,]>::parse_terminated(&content)?;
        if list.is_empty() {
            return Err(syn::Error::new(
                parens.span.join(),
                "expected at least one name inside the parentheses",
            ));
        }
        return Ok((combine, list.into_iter().map(|n| n.0).collect()));
    }
    if input.peek(Ident::peek_any) {
        let ident = input.call(Ident::parse_any)?;
        return Err(syn::Error::new(
            ident.span(),
            format!(
                "names are string literals: write `\"{ident}\"` (or `any(...)` / `all(...)` for several)"
            ),
        ));
    }
    Err(lookahead.error())
}

/// A name inside `any(...)`/`all(...)`: a string literal, with a precise error otherwise.
struct NameLit(LitStr);

impl Parse for NameLit {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(LitStr) {
            return Ok(NameLit(input.parse()?));
        }
        let span = input.span();
        // Consume the offending expression so the error names it and parsing can go on.
        let _: syn::Expr = input.parse()?;
        Err(syn::Error::new(
            span,
            "expected a string literal naming a role, scope or caller, like `\"admin\"`",
        ))
    }
}

/// One error for an argument that is not supported: named, with what is, when it is a word;
/// syn's "expected ..." otherwise.
fn unsupported(input: ParseStream<'_>, lookahead: Lookahead1<'_>, supported: &str) -> syn::Error {
    if input.peek(Ident::peek_any)
        && let Ok(ident) = input.call(Ident::parse_any)
    {
        return syn::Error::new(
            ident.span(),
            format!("unsupported argument `{ident}`; {supported}"),
        );
    }
    lookahead.error()
}

pub(crate) fn parse_protected(tokens: TokenStream) -> syn::Result<ProtectedArgs> {
    ProtectedArgs::parse.parse2(tokens)
}

pub(crate) fn parse_names(tokens: TokenStream) -> syn::Result<NamesArgs> {
    NamesArgs::parse.parse2(tokens)
}
