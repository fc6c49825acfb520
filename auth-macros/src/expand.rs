//! From the annotated function to the protected one.
//!
//! All `auth` attributes on one function are handled by whichever runs first (the outermost):
//! it removes the others and expands once, so the order of `#[protected]` and
//! `#[requires_role]` does not matter, and `#[requires_role]` alone implies `#[protected]`.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{
    Attribute, FnArg, GenericArgument, ItemFn, LitStr, Pat, PathArguments, ReturnType, Type,
};

use crate::args::{Combine, NamesArgs, ProtectedArgs, parse_names, parse_protected};
use crate::vocabulary::{Vocabulary, check_declared_name};

/// Which attribute the compiler invoked.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Protected,
    RequiresRole,
    RequiresScope,
}

impl Origin {
    fn name(self) -> &'static str {
        match self {
            Origin::Protected => "protected",
            Origin::RequiresRole => "requires_role",
            Origin::RequiresScope => "requires_scope",
        }
    }

    fn of(attr: &Attribute) -> Option<Origin> {
        let last = attr.path().segments.last()?.ident.to_string();
        match last.as_str() {
            "protected" => Some(Origin::Protected),
            "requires_role" => Some(Origin::RequiresRole),
            "requires_scope" => Some(Origin::RequiresScope),
            _ => None,
        }
    }
}

/// Errors gathered across the whole expansion, reported together.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn check(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

pub(crate) fn entry(origin: Origin, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            let error = syn::Error::new(
                first_span(&item),
                format!(
                    "#[{}] applies to functions and methods with a body",
                    origin.name()
                ),
            );
            let mut out = error.to_compile_error();
            out.extend(item);
            return out;
        }
    };
    match expand(origin, args, &mut function) {
        Ok(tokens) => tokens,
        Err(error) => {
            // Emit the function as written (minus our attributes) beside the error, so the
            // rest of the crate type-checks and the user sees one error, not a cascade.
            function.attrs.retain(|a| Origin::of(a).is_none());
            let mut out = error.to_compile_error();
            out.extend(function.into_token_stream());
            out
        }
    }
}

fn first_span(tokens: &TokenStream) -> Span {
    tokens
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span())
}

/// Everything the attributes on one function asked for.
struct Spec {
    protected: Option<ProtectedArgs>,
    roles: Option<NamesArgs>,
    scopes: Option<NamesArgs>,
}

fn expand(origin: Origin, args: TokenStream, function: &mut ItemFn) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let mut spec = Spec {
        protected: None,
        roles: None,
        scopes: None,
    };
    let invoked = (origin, args, Span::call_site());
    let mut seen = Vec::new();
    let mut kept = Vec::new();
    for attr in std::mem::take(&mut function.attrs) {
        match Origin::of(&attr) {
            Some(found) => {
                let tokens = match &attr.meta {
                    syn::Meta::Path(_) => TokenStream::new(),
                    syn::Meta::List(list) => list.tokens.clone(),
                    syn::Meta::NameValue(nv) => {
                        errors.push(syn::Error::new(
                            nv.eq_token.span,
                            "expected `#[attr]` or `#[attr(...)]`",
                        ));
                        continue;
                    }
                };
                seen.push((found, tokens, attr.path().span()));
            }
            None => kept.push(attr),
        }
    }
    function.attrs = kept;
    for (found, tokens, span) in std::iter::once(invoked).chain(seen) {
        let duplicate = match found {
            Origin::Protected => spec.protected.is_some(),
            Origin::RequiresRole => spec.roles.is_some(),
            Origin::RequiresScope => spec.scopes.is_some(),
        };
        if duplicate {
            let hint = if found == Origin::Protected {
                ""
            } else {
                "; combine names with `any(...)` or `all(...)`"
            };
            errors.push(syn::Error::new(
                span,
                format!("duplicate #[{}] attribute{hint}", found.name()),
            ));
            continue;
        }
        let parsed = match found {
            Origin::Protected => parse_protected(tokens).map(|a| spec.protected = Some(a)),
            Origin::RequiresRole => parse_names(tokens).map(|a| spec.roles = Some(a)),
            Origin::RequiresScope => parse_names(tokens).map(|a| spec.scopes = Some(a)),
        };
        if let Err(error) = parsed {
            errors.push(error);
        }
    }
    errors.check()?;

    let krate = crate_path(&spec)?;
    let requirement = requirement_type(&spec, &krate)?;
    let tracked = tracked_files(&spec)?;
    let from = spec.protected.as_ref().and_then(|p| p.from.clone());
    rewrite(function, &krate, requirement, from, tracked)
}

fn crate_path(spec: &Spec) -> syn::Result<TokenStream> {
    let paths = [
        spec.protected.as_ref().and_then(|a| a.krate.as_ref()),
        spec.roles.as_ref().and_then(|a| a.krate.as_ref()),
        spec.scopes.as_ref().and_then(|a| a.krate.as_ref()),
    ];
    let mut given = paths.into_iter().flatten();
    match (given.next(), given.next()) {
        (Some(first), Some(second))
            if first.to_token_stream().to_string() != second.to_token_stream().to_string() =>
        {
            Err(syn::Error::new_spanned(
                second,
                "the attributes name different `crate` paths",
            ))
        }
        (Some(path), _) => Ok(path.to_token_stream()),
        (None, _) => Ok(quote!(::auth)),
    }
}

/// The type that encodes the role and scope requirement (see `auth_runtime::requirement`).
fn requirement_type(spec: &Spec, krate: &TokenStream) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let mut parts = Vec::new();
    if let Some(roles) = &spec.roles {
        match Vocabulary::load() {
            Err(message) => errors.push(syn::Error::new(roles.names[0].span(), message)),
            Ok(vocabulary) => match names_requirement(roles, krate, Some(&vocabulary)) {
                Ok(tokens) => parts.push(tokens),
                Err(error) => errors.push(error),
            },
        }
    }
    if let Some(scopes) = &spec.scopes {
        match names_requirement(scopes, krate, None) {
            Ok(tokens) => parts.push(tokens),
            Err(error) => errors.push(error),
        }
    }
    errors.check()?;
    Ok(match parts.len() {
        0 => quote!(#krate::__private::NoRequirement),
        1 => parts.remove(0),
        _ => {
            let list = type_list(parts, krate);
            quote!(#krate::__private::AllOf<#list>)
        }
    })
}

/// Checks each name (against the vocabulary for roles) and builds the requirement type.
fn names_requirement(
    args: &NamesArgs,
    krate: &TokenStream,
    vocabulary: Option<&Vocabulary>,
) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let mut seen = Vec::<String>::new();
    let mut members = Vec::new();
    let what = if vocabulary.is_some() {
        "role"
    } else {
        "scope"
    };
    for lit in &args.names {
        let name = lit.value();
        if let Err(problem) = check_declared_name(&name) {
            errors.push(syn::Error::new(
                lit.span(),
                format!("invalid {what} name: {problem}"),
            ));
            continue;
        }
        if seen.contains(&name) {
            errors.push(syn::Error::new(
                lit.span(),
                format!("duplicate {what} `{name}`"),
            ));
            continue;
        }
        seen.push(name.clone());
        match vocabulary {
            Some(vocabulary) if !vocabulary.contains(&name) => {
                let message = match vocabulary.closest(&name) {
                    Some(close) => format!("unknown role `{name}`; did you mean `{close}`?"),
                    None => {
                        let all: Vec<&str> = vocabulary.names().collect();
                        format!(
                            "unknown role `{name}`; the declared roles are: {}",
                            all.join(", ")
                        )
                    }
                };
                errors.push(syn::Error::new(lit.span(), message));
            }
            Some(vocabulary) => {
                let satisfied: Vec<TokenStream> = vocabulary
                    .satisfied_by(&name)
                    .iter()
                    .map(|role| name_type(role, lit, krate))
                    .collect();
                let own = name_type(&name, lit, krate);
                let list = type_list(satisfied, krate);
                members.push(quote!(#krate::__private::Role<#own, #list>));
            }
            None => {
                let own = name_type(&name, lit, krate);
                members.push(quote!(#krate::__private::Scope<#own>));
            }
        }
    }
    errors.check()?;
    if members.len() == 1 {
        return Ok(members.remove(0));
    }
    let list = type_list(members, krate);
    Ok(match args.combine {
        Combine::Any => quote!(#krate::__private::AnyOf<#list>),
        Combine::All => quote!(#krate::__private::AllOf<#list>),
    })
}

/// `Name<A, B, C, D>`: the name's bytes packed big-endian into four `u128`s, NUL-padded.
fn name_type(name: &str, lit: &LitStr, krate: &TokenStream) -> TokenStream {
    let mut words = [0u128; 4];
    for (i, byte) in name.bytes().take(64).enumerate() {
        words[i / 16] |= u128::from(byte) << (8 * (15 - (i % 16)));
    }
    let [a, b, c, d] = words.map(Literal::u128_unsuffixed);
    quote_spanned!(lit.span()=> #krate::__private::Name<#a, #b, #c, #d>)
}

fn type_list(items: Vec<TokenStream>, krate: &TokenStream) -> TokenStream {
    items.into_iter().rev().fold(
        quote!(#krate::__private::Nil),
        |tail, head| quote!(#krate::__private::Cons<#head, #tail>),
    )
}

/// `include_bytes!` of each vocabulary file, so that cargo rebuilds when a role is added.
fn tracked_files(spec: &Spec) -> syn::Result<TokenStream> {
    if spec.roles.is_none() {
        return Ok(TokenStream::new());
    }
    let Ok(vocabulary) = Vocabulary::load() else {
        return Ok(TokenStream::new());
    };
    let files = vocabulary
        .sources
        .iter()
        .filter_map(|p| p.to_str())
        .map(|p| LitStr::new(p, Span::call_site()));
    Ok(quote!(#(const _: &[u8] = ::core::include_bytes!(#files);)*))
}

/// Which parameter receives the claims, and how.
struct ClaimsParam {
    index: usize,
    pat: Box<Pat>,
    ty: Box<Type>,
    /// `Option<T>`: `T`.
    optional_inner: Option<Type>,
}

fn find_claims_param(function: &mut ItemFn) -> syn::Result<Option<ClaimsParam>> {
    let mut marked = Vec::new();
    let mut by_name = Vec::new();
    for (index, input) in function.sig.inputs.iter_mut().enumerate() {
        let FnArg::Typed(typed) = input else { continue };
        let before = typed.attrs.len();
        typed.attrs.retain(|a| !a.path().is_ident("claims"));
        if typed.attrs.len() != before {
            marked.push(index);
        } else if names_claims(&typed.ty) {
            by_name.push(index);
        }
    }
    let chosen = match (marked.as_slice(), by_name.as_slice()) {
        ([one], _) => *one,
        ([_, second, ..], _) => {
            return Err(syn::Error::new(
                function.sig.inputs[*second].span(),
                "only one parameter can be marked #[claims]",
            ));
        }
        ([], [one]) => *one,
        ([], [_, second, ..]) => {
            return Err(syn::Error::new(
                function.sig.inputs[*second].span(),
                "two parameters look like claims; mark the one to fill with #[claims]",
            ));
        }
        ([], []) => return Ok(None),
    };
    let FnArg::Typed(typed) = &function.sig.inputs[chosen] else {
        return Ok(None);
    };
    Ok(Some(ClaimsParam {
        index: chosen,
        pat: typed.pat.clone(),
        ty: typed.ty.clone(),
        optional_inner: option_inner(&typed.ty).cloned(),
    }))
}

/// `Claims` or `Option<Claims>`, whatever the path before it.
fn names_claims(ty: &Type) -> bool {
    let ty = option_inner(ty).unwrap_or(ty);
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Claims" && s.arguments.is_empty()))
}

fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let segments: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    let is_option = matches!(
        segments
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["Option"] | ["std" | "core", "option", "Option"]
    );
    if !is_option {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &path.path.segments.last()?.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(inner) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}

fn rewrite(
    function: &mut ItemFn,
    krate: &TokenStream,
    requirement: TokenStream,
    from: Option<syn::Ident>,
    tracked: TokenStream,
) -> syn::Result<TokenStream> {
    if function.sig.variadic.is_some() {
        return Err(syn::Error::new_spanned(
            &function.sig.variadic,
            "protected functions cannot be variadic",
        ));
    }
    let claims = find_claims_param(function)?;
    let unconditional =
        requirement.to_string() == quote!(#krate::__private::NoRequirement).to_string();
    if let Some(ClaimsParam {
        optional_inner: Some(_),
        ty,
        ..
    }) = &claims
        && !unconditional
    {
        return Err(syn::Error::new_spanned(
            ty,
            "optional authentication (`Option<...>` claims) cannot require a role or scope; take the claims without `Option`",
        ));
    }
    let slot = match &claims {
        Some(ClaimsParam {
            optional_inner: Some(inner),
            ..
        }) => quote!(#krate::__private::Optional<#inner>),
        Some(ClaimsParam { ty, .. }) => quote!(#krate::__private::Required<#ty>),
        None => quote!(#krate::__private::Required<#krate::__private::Claims>),
    };
    let ident = format_ident!("__auth_claims");
    let binding = match &claims {
        Some(ClaimsParam { pat, ty, .. }) => quote!(let #pat: #ty = #ident;),
        None => quote!(let _ = #ident;),
    };
    let span = claims
        .as_ref()
        .map_or_else(|| function.sig.ident.span(), |c| c.ty.span());

    let check = match &from {
        None => {
            // Extractor style: the claims parameter becomes the extractor, placed first (after
            // a receiver) so that authentication runs before any other extractor.
            if let Some(param) = &claims {
                function.sig.inputs = function
                    .sig
                    .inputs
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != param.index)
                    .map(|(_, input)| input.clone())
                    .collect();
            }
            let extractor: FnArg = syn::parse2(quote_spanned!(span=>
                #ident: #krate::__private::Authenticated<#slot, #requirement>
            ))?;
            let position = usize::from(matches!(
                function.sig.inputs.first(),
                Some(FnArg::Receiver(_))
            ));
            function.sig.inputs.insert(position, extractor);
            quote_spanned!(span=> let #ident = #krate::__private::Authenticated::into_inner(#ident);)
        }
        Some(source) => {
            // Explicit-source style: read the token from a named parameter, return early with
            // the error converted by `From<AuthError>`.
            if !function.sig.inputs.iter().any(|input| matches!(input, FnArg::Typed(t) if matches!(&*t.pat, Pat::Ident(p) if p.ident == *source))) {
                return Err(syn::Error::new(
                    source.span(),
                    format!("`{source}` is not a parameter of this function; `from = ...` names the parameter that carries the token"),
                ));
            }
            check_result_return(&function.sig.output)?;
            if let Some(param) = &claims {
                function.sig.inputs = function
                    .sig
                    .inputs
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != param.index)
                    .map(|(_, input)| input.clone())
                    .collect();
            }
            quote_spanned!(span=>
                let #ident = match #krate::__private::authenticate_source::<#slot, #requirement, _>(&#source) {
                    ::core::result::Result::Ok(claims) => claims,
                    ::core::result::Result::Err(error) => {
                        return ::core::result::Result::Err(#krate::__private::into_error(error));
                    }
                };
            )
        }
    };
    let body = &function.block;
    let new_body: syn::Block = syn::parse2(quote!({
        #tracked
        #check
        #binding
        #body
    }))?;
    *function.block = new_body;
    Ok(function.to_token_stream())
}

fn check_result_return(output: &ReturnType) -> syn::Result<()> {
    let message = "a `#[protected(from = ...)]` function returns `Result<_, E>` with `E: From<auth::AuthError>`, so that a rejected request can return early";
    match output {
        ReturnType::Default => Err(syn::Error::new(Span::call_site(), message)),
        ReturnType::Type(_, ty) => match &**ty {
            Type::Path(path)
                if path
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident.to_string().ends_with("Result")) =>
            {
                Ok(())
            }
            other => Err(syn::Error::new_spanned(other, message)),
        },
    }
}
