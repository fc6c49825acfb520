//! `#[auth::check]`: declares a check function that handlers name with
//! `#[protected(check = name)]`.
//!
//! ```text
//! #[auth::check]
//! async fn owner_or_admin(claims: &Claims, request: &AccessRequest<'_>) -> bool { .. }
//! ```
//!
//! expands to the function as written and, under its name in the type namespace (as a unit
//! struct's constructor sits beside its type), a struct implementing the runtime's `Check`
//! that calls it. The handler's extractor carries that type. The signature is checked here:
//! a free function, no type or const parameters, the claims (and optionally the request) by
//! reference; the types themselves and the return type (`CheckOutcome`) are the compiler's to
//! check, each error spanned on what the user wrote.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{FnArg, GenericParam, ItemFn, Path, ReturnType, Token, Type, parse_quote};

use crate::plan::located_at;

/// `#[auth::check]` or `#[auth::check(crate = path)]`.
struct CheckArgs {
    krate: Path,
}

impl Parse for CheckArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Ok(CheckArgs {
                krate: parse_quote!(::auth),
            });
        }
        input.parse::<Token![crate]>().map_err(|_| {
            syn::Error::new(input.span(), "`#[auth::check]` takes only `crate = path`")
        })?;
        input.parse::<Token![=]>()?;
        let krate = Path::parse_mod_style(input)?;
        if !input.is_empty() {
            return Err(input.error("`#[auth::check]` takes only `crate = path`"));
        }
        Ok(CheckArgs { krate })
    }
}

pub(crate) fn run(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = match syn::parse2::<CheckArgs>(args) {
        Ok(args) => args,
        Err(error) => {
            let mut out = error.to_compile_error();
            out.extend(item);
            return out;
        }
    };
    let function = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            let span = item
                .clone()
                .into_iter()
                .next()
                .map_or_else(Span::call_site, |t| t.span());
            let mut out =
                syn::Error::new(span, "#[auth::check] applies to functions").to_compile_error();
            out.extend(item);
            return out;
        }
    };
    match signature(&function) {
        Ok(params) => expand(&args.krate, &function, &params),
        Err(error) => {
            // The function as written beside the error, so that its callers still resolve.
            let mut out = error.to_compile_error();
            out.extend(function.into_token_stream());
            out
        }
    }
}

/// The types of the parameters (the claims, then the request if taken), after checking the
/// shape of the signature. Every mistake is reported, each on its token.
fn signature(function: &ItemFn) -> syn::Result<Vec<Type>> {
    let sig = &function.sig;
    let mut errors: Option<syn::Error> = None;
    let mut push = |error: syn::Error| match &mut errors {
        Some(all) => all.combine(error),
        None => errors = Some(error),
    };
    const SHAPE: &str = "a check function takes `(claims: &Claims)` or `(claims: &Claims, request: &AccessRequest<'_>)`";
    for param in &sig.generics.params {
        if !matches!(param, GenericParam::Lifetime(_)) {
            push(syn::Error::new_spanned(
                param,
                "a check function has no type or const parameters: the handler names it by its name alone",
            ));
        }
    }
    if let Some(variadic) = &sig.variadic {
        push(syn::Error::new_spanned(variadic, SHAPE));
    }
    let mut types = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => push(syn::Error::new_spanned(
                receiver,
                "a check function is a free function, not a method: the handler names it by its path",
            )),
            FnArg::Typed(typed) => match &*typed.ty {
                Type::Reference(reference) if reference.mutability.is_none() => {
                    types.push((*typed.ty).clone());
                }
                other => push(syn::Error::new_spanned(
                    other,
                    if types.is_empty() {
                        "a check function borrows the claims: `claims: &Claims`"
                    } else {
                        "a check function borrows the request: `request: &AccessRequest<'_>`"
                    },
                )),
            },
        }
    }
    if sig.inputs.is_empty() {
        push(syn::Error::new(sig.paren_token.span.join(), SHAPE));
    } else if sig.inputs.len() > 2 {
        let third = sig.inputs.iter().nth(2).map(Spanned::span);
        push(syn::Error::new(
            third.unwrap_or_else(Span::call_site),
            format!("{SHAPE}; for more of the request, read it from `request`"),
        ));
    }
    match errors {
        Some(errors) => Err(errors),
        None => Ok(types),
    }
}

fn expand(krate: &Path, function: &ItemFn, params: &[Type]) -> TokenStream {
    let name = &function.sig.ident;
    let vis = &function.vis;
    let krate = krate.to_token_stream();
    // Each argument bound with the parameter's own type, so that a type that is not `&Claims`
    // or `&AccessRequest` is reported on it ("expected .., found .."). Without lifetimes of
    // the function's own, which the binding could not name.
    let annotate = function.sig.generics.params.is_empty();
    let mut bindings = TokenStream::new();
    let mut args = Vec::new();
    for (given, ty) in ["claims", "request"].iter().zip(params) {
        let span = located_at(ty.span());
        let given = syn::Ident::new(given, span);
        let arg = syn::Ident::new(&format!("__auth_{given}"), span);
        bindings.extend(if annotate {
            quote_spanned!(span=> let #arg: #ty = #given;)
        } else {
            quote_spanned!(span=> let #arg = #given;)
        });
        args.push(arg);
    }
    let call = quote!(#name(#(#args),*));
    let call = if function.sig.asyncness.is_some() {
        quote!(#call.await)
    } else {
        call
    };
    // Spanned on the return type: one that is not a decision is reported there.
    let output_span = located_at(match &function.sig.output {
        ReturnType::Default => function.sig.paren_token.span.close(),
        ReturnType::Type(_, ty) => ty.span(),
    });
    // The outcome bound to a name spanned there: an argument spanned on the whole call would
    // put the error on the attribute.
    let outcome = quote_spanned!(output_span=> __auth_outcome);
    let decision = quote! {
        #bindings
        let #outcome = #call;
        #krate::__private::CheckOutcome::into_decision(#outcome)
    };
    let doc =
        format!("The check function [`{name}()`], as `#[protected(check = {name})]` names it.");
    quote! {
        #function

        #[doc = #doc]
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #name {}

        impl #krate::__private::Check for #name {
            fn check<'__auth_a>(
                claims: &'__auth_a #krate::__private::Claims,
                request: &'__auth_a #krate::__private::AccessRequest<'__auth_a>,
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<(), #krate::__private::AuthError>,
            > + ::core::marker::Send + '__auth_a {
                let _ = &request;
                async move { #decision }
            }
        }
    }
}
