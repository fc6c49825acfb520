//! OpenAPI: a protected handler's `#[utoipa::path(..)]` gets the operation's security
//! requirement and its refusals from the plan, so that the roles and scopes are written once.
//!
//! Validation finds the attribute and splits its arguments ([`Operation`]); generation
//! ([`document`]) appends a `security(..)` argument and the 401 and 403 responses the user did
//! not document. The attribute keeps its place, so utoipa, expanding after this macro, sees
//! the function as generated.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::{Attribute, ItemFn, LitInt, Meta};

use crate::plan::{ClaimValue, Requirement};

/// The scheme every requirement names; the runtime's `openapi::SECURITY_SCHEME`.
const SECURITY_SCHEME: &str = "bearer";

/// At most this many alternative requirements (an `any_of` of `all_of`s multiplies them); past
/// it, the requirement is a valid token alone and the 403 describes the rest.
const MAX_ALTERNATIVES: usize = 16;

/// The `#[utoipa::path(..)]` of the function, split into its top-level arguments.
pub(crate) struct Operation {
    /// Its position among the function's attributes.
    attribute: usize,
    /// Its arguments, each without the separating comma.
    arguments: Vec<TokenStream>,
    /// Which argument is `responses(..)`, if any.
    responses: Option<usize>,
    /// The statuses `responses(..)` documents already.
    documented: Vec<u16>,
}

/// The function's `#[utoipa::path(..)]`, if it has one. Errors: the `openapi` feature is off,
/// or the attribute writes a `security(..)` of its own.
pub(crate) fn operation(function: &ItemFn) -> syn::Result<Option<Operation>> {
    let Some((attribute, attr)) = function
        .attrs
        .iter()
        .enumerate()
        .find(|(_, attr)| is_utoipa_path(attr))
    else {
        return Ok(None);
    };
    if !cfg!(feature = "openapi") {
        return Err(syn::Error::new_spanned(
            attr,
            "a protected operation documented with #[utoipa::path] gets its security \
             requirement and refusals from the `auth` attributes: turn on the `openapi` \
             feature of `auth`",
        ));
    }
    let Meta::List(list) = &attr.meta else {
        return Err(syn::Error::new_spanned(
            attr,
            "expected #[utoipa::path(..)]",
        ));
    };
    let arguments = split_top_level(list.tokens.clone());
    let mut responses = None;
    let mut documented = Vec::new();
    for (index, argument) in arguments.iter().enumerate() {
        match key(argument) {
            Some(key) if key == "security" => {
                return Err(syn::Error::new_spanned(
                    argument,
                    "the security requirement of a protected operation comes from its `auth` \
                     attributes: remove `security(..)` here",
                ));
            }
            Some(key) if key == "responses" => {
                responses = Some(index);
                documented = documented_statuses(argument);
            }
            _ => {}
        }
    }
    Ok(Some(Operation {
        attribute,
        arguments,
        responses,
        documented,
    }))
}

/// Writes the security requirement and the refusals into the operation's attribute.
/// `anonymous`: the handler admits requests without a token too.
pub(crate) fn document(
    operation: Operation,
    function: &mut ItemFn,
    requirement: &Requirement,
    anonymous: bool,
    krate: &TokenStream,
) {
    let Operation {
        attribute,
        mut arguments,
        responses,
        documented,
    } = operation;
    let alternatives = alternatives(requirement);
    let mut refusals = Vec::new();
    if !documented.contains(&401) {
        refusals.push(refusal(
            401,
            "No valid access token: none, malformed, expired, revoked, or not for this \
             service",
            krate,
        ));
    }
    if !documented.contains(&403) {
        refusals.push(refusal(403, &forbidden_description(requirement), krate));
    }
    match responses {
        Some(index) => arguments[index] = with_responses(&arguments[index], &refusals),
        None if !refusals.is_empty() => arguments.push(quote!(responses(#(#refusals),*))),
        None => {}
    }
    let mut requirements: Vec<TokenStream> = Vec::new();
    if anonymous {
        requirements.push(quote!(()));
    }
    for names in &alternatives {
        requirements.push(quote!((#SECURITY_SCHEME = [#(#names),*])));
    }
    arguments.push(quote!(security(#(#requirements),*)));
    let attr = &mut function.attrs[attribute];
    if let Meta::List(list) = &mut attr.meta {
        list.tokens = quote!(#(#arguments),*);
    }
}

fn is_utoipa_path(attr: &Attribute) -> bool {
    let segments: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    segments == ["utoipa", "path"]
}

/// The arguments of an attribute, split at its top-level commas (those inside groups belong to
/// an argument).
fn split_top_level(tokens: TokenStream) -> Vec<TokenStream> {
    let mut arguments = Vec::new();
    let mut current = TokenStream::new();
    for token in tokens {
        match &token {
            TokenTree::Punct(p) if p.as_char() == ',' => {
                arguments.push(std::mem::take(&mut current));
            }
            _ => current.extend([token]),
        }
    }
    if !current.is_empty() {
        arguments.push(current);
    }
    arguments
}

/// The leading identifier of an argument: `responses` of `responses(..)`, `path` of
/// `path = ".."`.
fn key(argument: &TokenStream) -> Option<String> {
    match argument.clone().into_iter().next() {
        Some(TokenTree::Ident(ident)) => Some(ident.to_string()),
        _ => None,
    }
}

/// The group of `responses(..)`.
fn responses_group(argument: &TokenStream) -> Option<Group> {
    argument.clone().into_iter().find_map(|token| match token {
        TokenTree::Group(group) if group.delimiter() == Delimiter::Parenthesis => Some(group),
        _ => None,
    })
}

/// The integer statuses of `responses((status = 200, ..), ..)`.
fn documented_statuses(argument: &TokenStream) -> Vec<u16> {
    let Some(group) = responses_group(argument) else {
        return Vec::new();
    };
    group
        .stream()
        .into_iter()
        .filter_map(|token| match token {
            TokenTree::Group(response) => status_of(response.stream()),
            _ => None,
        })
        .collect()
}

/// `N` of `status = N, ..`.
fn status_of(response: TokenStream) -> Option<u16> {
    let tokens: Vec<TokenTree> = response.into_iter().collect();
    tokens.windows(3).find_map(|window| match window {
        [
            TokenTree::Ident(key),
            TokenTree::Punct(eq),
            TokenTree::Literal(value),
        ] if key == "status" && eq.as_char() == '=' => {
            syn::parse2::<LitInt>(value.to_token_stream())
                .ok()?
                .base10_parse()
                .ok()
        }
        _ => None,
    })
}

/// `responses(.., <refusals>)`: the user's responses, then ours.
fn with_responses(argument: &TokenStream, refusals: &[TokenStream]) -> TokenStream {
    let Some(group) = responses_group(argument) else {
        return argument.clone();
    };
    let mut inner = group.stream();
    let ends_with_comma = matches!(
        inner.clone().into_iter().last(),
        Some(TokenTree::Punct(p)) if p.as_char() == ','
    );
    for (index, refusal) in refusals.iter().enumerate() {
        if index > 0 || (!inner.is_empty() && !ends_with_comma) {
            inner.extend(quote!(,));
        }
        inner.extend(refusal.clone());
    }
    let mut group = Group::new(Delimiter::Parenthesis, inner);
    group.set_span(Span::call_site());
    quote!(responses #group)
}

/// One documented refusal: the default JSON body and the RFC 6750 challenge.
fn refusal(status: u16, description: &str, krate: &TokenStream) -> TokenStream {
    quote! {
        (
            status = #status,
            description = #description,
            body = #krate::__private::openapi::RefusalBody,
            headers(
                ("WWW-Authenticate" = String, description = "The RFC 6750 challenge: the realm and the error")
            )
        )
    }
}

/// The 403's description: what the token must grant.
fn forbidden_description(requirement: &Requirement) -> String {
    let needs = describe(requirement);
    let needs = if needs.is_empty() {
        String::new()
    } else {
        format!(" (it requires {needs})")
    };
    format!(
        "The access token is valid but does not grant this operation{needs}, or a request \
         carrying its token in a cookie failed the CSRF check"
    )
}

/// The requirement in words, for the 403's description.
fn describe(requirement: &Requirement) -> String {
    match requirement {
        Requirement::None => String::new(),
        Requirement::Role { name, .. } => format!("role `{}`", name.value),
        Requirement::Scope(name) => format!("scope `{}`", name.value),
        Requirement::Callers(names) => {
            let names: Vec<String> = names.iter().map(|n| format!("`{}`", n.value)).collect();
            format!("a call by the service {}", names.join(" or "))
        }
        Requirement::Claim {
            name,
            negated,
            value,
        } => {
            let op = if *negated { "!=" } else { "==" };
            format!("claim `{}` {op} {}", name.value, claim_value(value))
        }
        Requirement::Not(inner) => format!("not ({})", describe(inner)),
        Requirement::AnyOf(all) => joined(all, " or "),
        Requirement::AllOf(all) => joined(all, " and "),
    }
}

fn joined(requirements: &[Requirement], separator: &str) -> String {
    let parts: Vec<String> = requirements
        .iter()
        .map(describe)
        .filter(|part| !part.is_empty())
        .map(|part| {
            if part.contains(" or ") || part.contains(" and ") {
                format!("({part})")
            } else {
                part
            }
        })
        .collect();
    parts.join(separator)
}

fn claim_value(value: &ClaimValue) -> String {
    match value {
        ClaimValue::Str(name) => format!("{:?}", name.value),
        ClaimValue::Int(n) => n.to_string(),
        ClaimValue::Bool(b) => b.to_string(),
    }
}

/// The requirement as alternatives of role and scope names, each alternative the names a
/// token needs together: the `security` argument's requirements. Checks of other kinds
/// (callers, claims, negations) need no name and add none.
fn alternatives(requirement: &Requirement) -> Vec<Vec<String>> {
    let expanded = expand(requirement);
    if expanded.len() > MAX_ALTERNATIVES {
        return vec![Vec::new()];
    }
    // The same names reached twice (`role("a") or role("a")`) are one requirement.
    let mut alternatives: Vec<Vec<String>> = Vec::with_capacity(expanded.len());
    for names in expanded {
        if !alternatives.contains(&names) {
            alternatives.push(names);
        }
    }
    alternatives
}

fn expand(requirement: &Requirement) -> Vec<Vec<String>> {
    match requirement {
        Requirement::Role { name, .. } | Requirement::Scope(name) => {
            vec![vec![name.value.clone()]]
        }
        Requirement::None
        | Requirement::Callers(_)
        | Requirement::Claim { .. }
        | Requirement::Not(_) => vec![Vec::new()],
        Requirement::AnyOf(all) => {
            let mut alternatives: Vec<Vec<String>> = all.iter().flat_map(expand).collect();
            // An alternative with no name makes the others moot: a valid token may suffice.
            if alternatives.iter().any(Vec::is_empty) {
                alternatives = vec![Vec::new()];
            }
            alternatives
        }
        Requirement::AllOf(all) => {
            let mut product = vec![Vec::new()];
            for part in all {
                let options = expand(part);
                let mut next = Vec::new();
                for have in &product {
                    for option in &options {
                        let mut names: Vec<String> = have.clone();
                        for name in option {
                            if !names.contains(name) {
                                names.push(name.clone());
                            }
                        }
                        next.push(names);
                    }
                }
                product = next;
                if product.len() > MAX_ALTERNATIVES {
                    return product;
                }
            }
            product
        }
    }
}
