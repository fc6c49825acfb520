//! From the annotated function to the protected one.
//!
//! All `auth` attributes on one function are handled by whichever runs first (the outermost):
//! it removes the others and expands once, so the order of `#[protected]` and
//! `#[requires_role]` does not matter, and `#[requires_role]` alone implies `#[protected]`.

use proc_macro2::{Group, Literal, Span, TokenStream, TokenTree};
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
    let original = function.clone();
    match expand(origin, args.clone(), &mut function) {
        Ok(tokens) => tokens,
        Err(error) => {
            let mut out = error.to_compile_error();
            out.extend(fallback(origin, args, original));
            out
        }
    }
}

/// What is emitted beside an error: the function expanded as plainly as possible (no role or
/// scope requirement, each claims parameter its own extractor, or a placeholder in
/// explicit-source style), so that it still fits where it is used (a router, a call) and one
/// mistake gives one error, not a cascade of "not a handler" and arity errors. If even that
/// fails, the function as written, minus the `auth` attributes.
fn fallback(origin: Origin, args: TokenStream, mut function: ItemFn) -> TokenStream {
    let mut krate = None;
    let mut from = None;
    let ours: Vec<(Origin, TokenStream)> = function
        .attrs
        .iter()
        .filter_map(|attr| Some((Origin::of(attr)?, attr_tokens(attr)?)))
        .collect();
    for (found, tokens) in std::iter::once((origin, args)).chain(ours) {
        match found {
            Origin::Protected => {
                if let Ok(parsed) = parse_protected(tokens) {
                    krate = krate.or(parsed.krate);
                    from = from.or(parsed.from);
                }
            }
            Origin::RequiresRole | Origin::RequiresScope => {
                if let Ok(parsed) = parse_names(tokens) {
                    krate = krate.or(parsed.krate);
                }
            }
        }
    }
    function.attrs.retain(|a| Origin::of(a).is_none());
    let krate = krate.map_or_else(|| quote!(::auth), |path| path.to_token_stream());
    let requirement = quote!(#krate::__private::NoRequirement);
    let mut plain = function.clone();
    match rewrite(
        &mut plain,
        &krate,
        requirement,
        from,
        None,
        TokenStream::new(),
        Mode::Fallback,
    ) {
        Ok(tokens) => tokens,
        Err(_) => {
            for input in &mut function.sig.inputs {
                if let FnArg::Typed(typed) = input {
                    typed.attrs.retain(|a| !a.path().is_ident("claims"));
                }
            }
            function.into_token_stream()
        }
    }
}

/// The arguments of an `auth` attribute; `None` for the `#[attr = ...]` form.
fn attr_tokens(attr: &Attribute) -> Option<TokenStream> {
    match &attr.meta {
        syn::Meta::Path(_) => Some(TokenStream::new()),
        syn::Meta::List(list) => Some(list.tokens.clone()),
        syn::Meta::NameValue(_) => None,
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
            Some(found) => match attr_tokens(&attr) {
                Some(tokens) => seen.push((found, tokens, attr.path().span())),
                None => errors.push(syn::Error::new_spanned(
                    &attr.meta,
                    format!("expected `#[{0}]` or `#[{0}(...)]`", found.name()),
                )),
            },
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
    let claims_name = spec.protected.as_ref().and_then(|p| p.claims.clone());
    rewrite(
        function,
        &krate,
        requirement,
        from,
        claims_name,
        tracked,
        Mode::Strict,
    )
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
            Ok(vocabulary) => match names_requirement(roles, krate, Some(&*vocabulary)) {
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
    /// Marked `#[claims]` (any `Deserialize` type) rather than recognized as `Claims`.
    marked: bool,
}

/// How strictly the function is rewritten.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The real expansion: every mistake is an error.
    Strict,
    /// Beside an error (see `fallback`): no requirement, every claims parameter kept.
    Fallback,
}

/// The claims parameters, with their `#[claims]` markers removed: at most one in strict mode.
fn find_claims_params(function: &mut ItemFn, mode: Mode) -> syn::Result<Vec<ClaimsParam>> {
    let mut marked = Vec::new();
    let mut by_name = Vec::new();
    for (index, input) in function.sig.inputs.iter_mut().enumerate() {
        let FnArg::Typed(typed) = input else { continue };
        let marker = typed
            .attrs
            .iter()
            .find(|a| a.path().is_ident("claims"))
            .map(ToTokens::to_token_stream);
        typed.attrs.retain(|a| !a.path().is_ident("claims"));
        if let Some(marker) = marker {
            marked.push((index, marker));
        } else if names_claims(&typed.ty) {
            by_name.push((index, typed.ty.to_token_stream()));
        }
    }
    let is_marked = !marked.is_empty();
    let chosen = if is_marked { marked } else { by_name };
    if mode == Mode::Strict
        && let Some((_, second)) = chosen.get(1)
    {
        return Err(syn::Error::new_spanned(
            second,
            if is_marked {
                "only one parameter can be marked #[claims]"
            } else {
                "two parameters look like claims; mark the one to fill with #[claims]"
            },
        ));
    }
    Ok(chosen
        .into_iter()
        .filter_map(|(index, _)| match &function.sig.inputs[index] {
            FnArg::Typed(typed) => Some(ClaimsParam {
                index,
                pat: typed.pat.clone(),
                ty: typed.ty.clone(),
                optional_inner: option_inner(&typed.ty).cloned(),
                marked: is_marked,
            }),
            FnArg::Receiver(_) => None,
        })
        .collect())
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
    claims_name: Option<syn::Ident>,
    tracked: TokenStream,
    mode: Mode,
) -> syn::Result<TokenStream> {
    if function.sig.variadic.is_some() {
        return Err(syn::Error::new_spanned(
            &function.sig.variadic,
            "protected functions cannot be variadic",
        ));
    }
    if from.is_none() && async_trait_body(function).is_some() {
        return Err(syn::Error::new(
            function.sig.ident.span(),
            "this method was already rewritten by `#[async_trait]` (a tonic service?), whose signature is fixed by its trait: \
             the extractor style cannot add a parameter to it; read the token from the request instead: \
             `#[protected(from = request, claims = claims)]`",
        ));
    }
    let claims = find_claims_params(function, mode)?;
    if mode == Mode::Strict
        && let Some(param) = claims.iter().find(|c| c.optional_inner.is_some())
        && requirement.to_string() != quote!(#krate::__private::NoRequirement).to_string()
    {
        return Err(syn::Error::new_spanned(
            &param.ty,
            "optional authentication (`Option<...>` claims) cannot require a role or scope; take the claims without `Option`",
        ));
    }
    if mode == Mode::Strict
        && let Some(source) = &from
    {
        let exists = function.sig.inputs.iter().any(|input| {
            matches!(input, FnArg::Typed(t) if matches!(&*t.pat, Pat::Ident(p) if p.ident == *source))
        });
        if !exists {
            return Err(syn::Error::new(
                source.span(),
                format!(
                    "`{source}` is not a parameter of this function; `from = ...` names the parameter that carries the token"
                ),
            ));
        }
        check_result_return(&function.sig)?;
    }
    // The claims parameters leave the signature: they become the extractor (extractor style)
    // or are filled from the token source (explicit-source style).
    let removed: Vec<usize> = claims.iter().map(|c| c.index).collect();
    function.sig.inputs = std::mem::take(&mut function.sig.inputs)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !removed.contains(i))
        .map(|(_, input)| input)
        .collect();

    let mut check = TokenStream::new();
    let mut bindings = TokenStream::new();
    let mut extractors = Vec::new();
    if let (Some(name), Some(param)) = (&claims_name, claims.first()) {
        let mut error = syn::Error::new(
            name.span(),
            "`claims = ...` names the claims when the function has no claims parameter, but this one has",
        );
        error.combine(syn::Error::new_spanned(&param.ty, "the claims parameter"));
        return Err(error);
    }
    let slots: Vec<Slot> = if claims.is_empty() {
        vec![Slot::hidden(function, krate, claims_name.as_ref())]
    } else {
        claims
            .iter()
            .enumerate()
            .map(|(i, param)| Slot::of(param, i, krate))
            .collect()
    };
    for slot in &slots {
        let Slot {
            ident,
            span,
            ty,
            binding,
            ..
        } = slot;
        let krate_here = respan(krate.clone(), *span);
        match (&from, mode) {
            (None, _) => {
                // Extractor style: the claims parameter becomes the extractor. Every token of
                // its type is spanned on the claims type, so that an error in it (a type that
                // is not `Deserialize`) points there, once.
                let requirement = respan(requirement.clone(), *span);
                extractors.push(syn::parse2::<FnArg>(quote_spanned!(*span=>
                    #ident: #krate_here::__private::Authenticated<#ty, #requirement>
                ))?);
                check.extend(quote_spanned!(*span=>
                    let #ident = #krate_here::__private::Authenticated::into_inner(#ident);
                ));
            }
            (Some(source), Mode::Strict) => {
                // Explicit-source style: read the token from the named parameter, return
                // early with the error converted by `From<AuthError>`.
                let source_span = located_at(source.span());
                let krate_source = respan(krate.clone(), source_span);
                let error_span = located_at(error_type_span(&function.sig.output));
                let krate_error = respan(krate.clone(), error_span);
                let authenticate = quote_spanned!(source_span=>
                    #krate_source::__private::authenticate_source::<#ty, #requirement, _>
                );
                // Spanned on `E` of `Result<_, E>`: an `E` without `From<AuthError>` is
                // reported there.
                let early_return = quote_spanned!(error_span=>
                    return ::core::result::Result::Err(#krate_error::__private::into_error(error))
                );
                check.extend(quote!(
                    let #ident = match #authenticate(&#source) {
                        ::core::result::Result::Ok(claims) => claims,
                        ::core::result::Result::Err(error) => {
                            #early_return;
                        }
                    };
                ));
            }
            (Some(_), Mode::Fallback) => {
                // Beside an error: a value of the claims type that is never computed, so that
                // the body still type-checks without a usable token source.
                let output = quote_spanned!(*span=>
                    <#ty as #krate_here::guard::ClaimsSlot>::Output
                );
                check.extend(quote_spanned!(*span=>
                    let #ident: #output = ::core::option::Option::None.unwrap();
                ));
            }
        }
        bindings.extend(binding.clone());
    }
    // Extractors go first (after a receiver), so that authentication runs before any other
    // extractor.
    let position = usize::from(matches!(
        function.sig.inputs.first(),
        Some(FnArg::Receiver(_))
    ));
    for (offset, extractor) in extractors.into_iter().enumerate() {
        function.sig.inputs.insert(position + offset, extractor);
    }
    let prologue: syn::Block = syn::parse2(quote!({ #tracked #check #bindings }))?;
    // The prologue's statements go before the body's own, in the same block: nesting the body
    // as a block of its own would make rustc warn `unused_braces` on one-line bodies.
    let block = match async_trait_body(function) {
        // `#[async_trait]` (tonic's services) has already turned `async fn` into a function
        // that returns `Box::pin(async move { .. })`: the check goes inside the future, where
        // an early `return` returns from the method's body.
        Some(async_block) => &mut async_block.block,
        None => &mut *function.block,
    };
    block.stmts.splice(0..0, prologue.stmts);
    Ok(function.to_token_stream())
}

/// The `async move { .. }` of a body that `#[async_trait]` already rewrote to
/// `Box::pin(async move { .. })`, if the function is such.
fn async_trait_body(function: &mut ItemFn) -> Option<&mut syn::ExprAsync> {
    if function.sig.asyncness.is_some() {
        return None;
    }
    let Some(syn::Stmt::Expr(syn::Expr::Call(call), None)) = function.block.stmts.last_mut() else {
        return None;
    };
    let syn::Expr::Path(callee) = &*call.func else {
        return None;
    };
    let is_box_pin = callee.path.segments.len() >= 2
        && callee
            .path
            .segments
            .iter()
            .rev()
            .nth(1)
            .is_some_and(|s| s.ident == "Box")
        && callee
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "pin");
    if !is_box_pin || call.args.len() != 1 {
        return None;
    }
    match call.args.first_mut() {
        Some(syn::Expr::Async(async_block)) => Some(async_block),
        _ => None,
    }
}

/// One claims slot of the expansion: the hidden parameter's name, the `ClaimsSlot` type
/// (`Required<T>` or `Optional<T>`), and how the user's parameter is bound from it.
struct Slot {
    ident: syn::Ident,
    span: Span,
    ty: TokenStream,
    binding: TokenStream,
}

impl Slot {
    /// No claims parameter: a hidden guard that requires the standard claims.
    /// With `claims = name`, the claims are bound to `name`.
    fn hidden(function: &ItemFn, krate: &TokenStream, name: Option<&syn::Ident>) -> Slot {
        let span = located_at(function.sig.ident.span());
        let krate = respan(krate.clone(), span);
        let ident = format_ident!("__auth_claims");
        let binding = match name {
            Some(name) => quote!(let #name: #krate::__private::Claims = #ident;),
            None => quote!(let _ = #ident;),
        };
        Slot {
            ty: quote_spanned!(span=> #krate::__private::Required<#krate::__private::Claims>),
            binding,
            ident,
            span,
        }
    }

    fn of(param: &ClaimsParam, position: usize, krate: &TokenStream) -> Slot {
        let ident = if position == 0 {
            format_ident!("__auth_claims")
        } else {
            format_ident!("__auth_claims_{}", position)
        };
        let ClaimsParam {
            pat,
            ty,
            optional_inner,
            marked,
            ..
        } = param;
        let span = located_at(ty.span());
        let krate_here = respan(krate.clone(), span);
        let inner = optional_inner.as_ref().unwrap_or(ty);
        // A custom claims type goes through `<Required<T> as ClaimsSlot>::Output` (which is
        // `T`): if `T` is not `Deserialize`, the failed projection reports the `ClaimsType`
        // diagnostic on the type.
        let inner = if *marked {
            quote_spanned!(span=>
                <#krate_here::__private::Required<#inner> as #krate_here::guard::ClaimsSlot>::Output
            )
        } else {
            inner.to_token_stream()
        };
        let ty_tokens = if optional_inner.is_some() {
            quote_spanned!(span=> #krate_here::__private::Optional<#inner>)
        } else {
            quote_spanned!(span=> #krate_here::__private::Required<#inner>)
        };
        Slot {
            binding: quote!(let #pat: #ty = #ident;),
            ident,
            span,
            ty: ty_tokens,
        }
    }
}

/// A span that points at the user's `tokens` for errors but is still the macro's own
/// (resolved at the call site, marked as coming from the expansion), so that lints such as
/// clippy's `type_complexity` do not fire on generated code as if the user had written it.
fn located_at(tokens: Span) -> Span {
    Span::call_site().located_at(tokens)
}

/// Gives every token the same span.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Group(group) => {
                let mut respanned = Group::new(group.delimiter(), respan(group.stream(), span));
                respanned.set_span(span);
                TokenTree::Group(respanned)
            }
            mut other => {
                other.set_span(span);
                other
            }
        })
        .collect()
}

/// The span of `E` in `-> Result<T, E>`, else of the return type.
fn error_type_span(output: &ReturnType) -> Span {
    let ReturnType::Type(_, ty) = output else {
        return Span::call_site();
    };
    let ty = future_output(ty);
    if let Type::Path(path) = ty
        && let Some(PathArguments::AngleBracketed(args)) =
            path.path.segments.last().map(|s| &s.arguments)
        && let Some(GenericArgument::Type(error)) = args.args.iter().nth(1)
    {
        return error.span();
    }
    ty.span()
}

fn check_result_return(sig: &syn::Signature) -> syn::Result<()> {
    let message = "a `#[protected(from = ...)]` function returns `Result<_, E>` with `E: From<auth::AuthError>`, so that a rejected request can return early";
    match &sig.output {
        ReturnType::Default => Err(syn::Error::new(sig.paren_token.span.close(), message)),
        ReturnType::Type(_, ty) => match future_output(ty) {
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

/// `T` of `Pin<Box<dyn Future<Output = T> + ..>>` (the return type `#[async_trait]` writes),
/// else the type itself.
fn future_output(ty: &Type) -> &Type {
    /// `T` of `Name<T, ..>`.
    fn first_type_arg<'t>(ty: &'t Type, name: &str) -> Option<&'t Type> {
        let Type::Path(path) = ty else { return None };
        let last = path.path.segments.last()?;
        let PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        match args.args.first()? {
            GenericArgument::Type(inner) if last.ident == name => Some(inner),
            _ => None,
        }
    }
    let output = || {
        let boxed = first_type_arg(ty, "Pin")?;
        let Type::TraitObject(object) = first_type_arg(boxed, "Box")? else {
            return None;
        };
        object.bounds.iter().find_map(|bound| {
            let syn::TypeParamBound::Trait(t) = bound else {
                return None;
            };
            let last = t.path.segments.last().filter(|s| s.ident == "Future")?;
            let PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            args.args.iter().find_map(|arg| match arg {
                GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(&assoc.ty),
                _ => None,
            })
        })
    };
    output().unwrap_or(ty)
}
