//! Generate: the protected function from a [`Plan`]. Generation cannot fail: every check was
//! made when the plan was built.
//!
//! The generated code names only the facade's hidden `__private` module, through absolute
//! paths, and its own identifiers start with `__auth_`.

use std::path::PathBuf;

use proc_macro2::{Group, Literal, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::{FnArg, LitStr, parse_quote_spanned};

use crate::plan::{ClaimValue, Name, Plan, Requirement, Slot, SlotClaims, Style};
use crate::signature::async_trait_body;

pub(crate) fn expand(plan: Plan) -> TokenStream {
    let Plan {
        krate,
        style,
        slots,
        requirement,
        locations,
        check,
        tracked,
        operation,
        mut function,
    } = plan;
    let krate = krate.to_token_stream();
    if let Some(operation) = operation {
        let anonymous = matches!(
            slots.first().map(|slot| &slot.claims),
            Some(SlotClaims::Param { optional: true, .. })
        );
        crate::openapi::document(operation, &mut function, &requirement, anonymous, &krate);
    }
    let requirement = requirement_type(&requirement, &krate);
    let mut prologue = tracked_files(&tracked);
    if let Some(ty) = &locations {
        prologue.extend(locations_declared(ty, &krate));
    }
    let locations = locations.map(|ty| locations_type(&ty, &krate));
    let mut extractors = Vec::new();
    for (position, slot) in slots.iter().enumerate() {
        let ty = slot_type(slot, &krate);
        match &style {
            Style::Extractor => {
                // The check runs once, in the first slot's extractor (validation allows one
                // claims parameter).
                let check = check.as_ref().filter(|_| position == 0);
                let (extractor, unwrap) =
                    extractor(slot, &ty, &krate, &requirement, locations.as_ref(), check);
                extractors.push(extractor);
                prologue.extend(unwrap);
            }
            Style::Source { param, error_span } => prologue.extend(from_source(
                slot,
                &ty,
                &krate,
                &requirement,
                param,
                *error_span,
            )),
            Style::Placeholder => prologue.extend(placeholder(slot, &ty, &krate)),
        }
    }
    for slot in &slots {
        prologue.extend(binding(slot, &krate));
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
    // The prologue goes before the body's own statements, in the same block: nesting the body
    // as a block of its own would make rustc warn `unused_braces` on one-line bodies.
    let block = match async_trait_body(&mut function) {
        // `#[async_trait]` (tonic's services) has already turned `async fn` into a function
        // that returns `Box::pin(async move { .. })`: the check goes inside the future, where
        // an early `return` returns from the method's body.
        Some(async_block) => &mut async_block.block,
        None => &mut *function.block,
    };
    let prologue = syn::Stmt::Expr(syn::Expr::Verbatim(prologue), None);
    block.stmts.insert(0, prologue);
    function.into_token_stream()
}

/// Extractor style: the claims parameter becomes the extractor. Every token of its type is
/// spanned on the claims type, so that an error in it (a type that is not `Deserialize`)
/// points there, once.
fn extractor(
    slot: &Slot,
    ty: &TokenStream,
    krate: &TokenStream,
    requirement: &TokenStream,
    locations: Option<&TokenStream>,
    check: Option<&syn::Path>,
) -> (FnArg, TokenStream) {
    let Slot { ident, span, .. } = slot;
    let krate = respan(krate.clone(), *span);
    let requirement = respan(requirement.clone(), *span);
    // The third parameter only when the handler names its own locations or a check (which
    // needs the third given): the default is the verifier's.
    let locations = match (locations, check) {
        (Some(l), _) => Some(quote!(, #l)),
        (None, Some(_)) => Some(quote_spanned!(*span=> , #krate::__private::VerifierLocations)),
        (None, None) => None,
    };
    let (ty, into_inner) = match check {
        // Spanned on the path: a type that is no check function is reported there.
        Some(check) => (
            {
                let at = crate::plan::located_at(syn::spanned::Spanned::span(check));
                let krate = respan(krate.clone(), at);
                quote_spanned!(at=> #krate::__private::Checked<#ty, #check>)
            },
            quote_spanned!(*span=>
                #krate::__private::checked_claims(#krate::__private::Authenticated::into_inner(#ident))
            ),
        ),
        None => (
            ty.clone(),
            quote_spanned!(*span=> #krate::__private::Authenticated::into_inner(#ident)),
        ),
    };
    let extractor = parse_quote_spanned!(*span=>
        #ident: #krate::__private::Authenticated<#ty, #requirement #locations>
    );
    let unwrap = quote_spanned!(*span=> let #ident = #into_inner;);
    (extractor, unwrap)
}

/// Explicit-source style: read the token from the named parameter, return early with the
/// error converted by `From<AuthError>`.
fn from_source(
    slot: &Slot,
    ty: &TokenStream,
    krate: &TokenStream,
    requirement: &TokenStream,
    param: &syn::Ident,
    error_span: Span,
) -> TokenStream {
    let ident = &slot.ident;
    let source_span = crate::plan::located_at(param.span());
    let krate_source = respan(krate.clone(), source_span);
    let krate_error = respan(krate.clone(), error_span);
    let authenticate = quote_spanned!(source_span=>
        #krate_source::__private::authenticate_source::<#ty, #requirement, _>
    );
    // Spanned on `E` of `Result<_, E>`: an `E` without `From<AuthError>` is reported there.
    let early_return = quote_spanned!(error_span=>
        return ::core::result::Result::Err(#krate_error::__private::into_error(error))
    );
    quote!(
        let #ident = match #authenticate(&#param) {
            ::core::result::Result::Ok(claims) => claims,
            ::core::result::Result::Err(error) => {
                #early_return;
            }
        };
    )
}

/// Beside an error: a value of the claims type that is never computed, so that the body still
/// type-checks without a usable token source.
fn placeholder(slot: &Slot, ty: &TokenStream, krate: &TokenStream) -> TokenStream {
    let Slot { ident, span, .. } = slot;
    let krate = respan(krate.clone(), *span);
    quote_spanned!(*span=>
        let #ident: <#ty as #krate::__private::ClaimsSlot>::Output =
            ::core::option::Option::None.unwrap();
    )
}

/// The `ClaimsSlot` type of a slot: `Required<T>` or `Optional<T>`.
fn slot_type(slot: &Slot, krate: &TokenStream) -> TokenStream {
    let span = slot.span;
    let krate = respan(krate.clone(), span);
    match &slot.claims {
        SlotClaims::Hidden { .. } => {
            quote_spanned!(span=> #krate::__private::Required<#krate::__private::Claims>)
        }
        SlotClaims::Param {
            inner,
            optional,
            custom,
            ..
        } => {
            // A custom claims type goes through `<Required<T> as ClaimsSlot>::Output` (which
            // is `T`): if `T` is not `Deserialize`, the failed projection reports the
            // `ClaimsType` diagnostic on the type.
            let inner = if *custom {
                quote_spanned!(span=>
                    <#krate::__private::Required<#inner> as #krate::__private::ClaimsSlot>::Output
                )
            } else {
                inner.to_token_stream()
            };
            if *optional {
                quote_spanned!(span=> #krate::__private::Optional<#inner>)
            } else {
                quote_spanned!(span=> #krate::__private::Required<#inner>)
            }
        }
    }
}

/// How the user's side is bound from the slot.
fn binding(slot: &Slot, krate: &TokenStream) -> TokenStream {
    let ident = &slot.ident;
    match &slot.claims {
        SlotClaims::Hidden { bind: Some(name) } => {
            let krate = respan(krate.clone(), slot.span);
            quote!(let #name: #krate::__private::Claims = #ident;)
        }
        SlotClaims::Hidden { bind: None } => quote!(let _ = #ident;),
        SlotClaims::Param { pat, ty, .. } => quote!(let #pat: #ty = #ident;),
    }
}

/// A check that `ty` was declared with `token_locations!`, spanned on it: without it, a type
/// that was not would only be reported where the handler is registered, as "not a handler".
fn locations_declared(ty: &syn::Type, krate: &TokenStream) -> TokenStream {
    let span = crate::plan::located_at(syn::spanned::Spanned::span(ty));
    let krate = respan(krate.clone(), span);
    quote_spanned!(span=> #krate::__private::token_locations_declared::<#ty>();)
}

/// `HandlerLocations<T>` for `token_locations = T`, spanned on `T`, so that a type not
/// declared with `token_locations!` is reported there.
fn locations_type(ty: &syn::Type, krate: &TokenStream) -> TokenStream {
    let span = crate::plan::located_at(syn::spanned::Spanned::span(ty));
    let krate = respan(krate.clone(), span);
    quote_spanned!(span=> #krate::__private::HandlerLocations<#ty>)
}

/// The type that encodes the requirement (see the runtime's `requirement.rs`).
fn requirement_type(requirement: &Requirement, krate: &TokenStream) -> TokenStream {
    match requirement {
        Requirement::None => quote!(#krate::__private::NoRequirement),
        Requirement::Role { name, satisfied_by } => {
            let own = name_type(&name.value, name, krate);
            let satisfied = satisfied_by.iter().map(|role| name_type(role, name, krate));
            let list = type_list(satisfied.collect(), krate);
            quote!(#krate::__private::Role<#own, #list>)
        }
        Requirement::Scope(name) => {
            let own = name_type(&name.value, name, krate);
            quote!(#krate::__private::Scope<#own>)
        }
        Requirement::Not(inner) => {
            let inner = requirement_type(inner, krate);
            quote!(#krate::__private::Not<#inner>)
        }
        Requirement::Claim {
            name,
            negated,
            value,
        } => {
            let claim = name_type(&name.value, name, krate);
            let constant = match value {
                ClaimValue::Str(text) => {
                    let text = name_type(&text.value, text, krate);
                    quote!(#krate::__private::Str<#text>)
                }
                ClaimValue::Int(int) => {
                    let int = Literal::i64_unsuffixed(*int);
                    // A negative constant is a block: `Int<{ -1 }>`.
                    quote!(#krate::__private::Int<{ #int }>)
                }
                ClaimValue::Bool(value) => quote!(#krate::__private::Bool<#value>),
            };
            let equals = quote!(#krate::__private::ClaimIs<#claim, #constant>);
            if *negated {
                quote!(#krate::__private::Not<#equals>)
            } else {
                equals
            }
        }
        Requirement::Callers(names) => {
            let list = type_list(
                names
                    .iter()
                    .map(|name| name_type(&name.value, name, krate))
                    .collect(),
                krate,
            );
            quote!(#krate::__private::Caller<#list>)
        }
        Requirement::AnyOf(members) => {
            let list = type_list(
                members.iter().map(|m| requirement_type(m, krate)).collect(),
                krate,
            );
            quote!(#krate::__private::AnyOf<#list>)
        }
        Requirement::AllOf(members) => {
            let list = type_list(
                members.iter().map(|m| requirement_type(m, krate)).collect(),
                krate,
            );
            quote!(#krate::__private::AllOf<#list>)
        }
    }
}

/// `Name<A, B, C, D>`: `value`'s bytes packed big-endian into four `u128`s, NUL-padded,
/// spanned on the literal of `at`.
fn name_type(value: &str, at: &Name, krate: &TokenStream) -> TokenStream {
    let mut words = [0u128; 4];
    for (i, byte) in value.bytes().take(64).enumerate() {
        words[i / 16] |= u128::from(byte) << (8 * (15 - (i % 16)));
    }
    let [a, b, c, d] = words.map(Literal::u128_unsuffixed);
    quote_spanned!(at.span=> #krate::__private::Name<#a, #b, #c, #d>)
}

fn type_list(items: Vec<TokenStream>, krate: &TokenStream) -> TokenStream {
    items.into_iter().rev().fold(
        quote!(#krate::__private::Nil),
        |tail, head| quote!(#krate::__private::Cons<#head, #tail>),
    )
}

/// `include_bytes!` of each vocabulary file, so that cargo rebuilds when a role is added.
pub(crate) fn tracked_files(files: &[PathBuf]) -> TokenStream {
    let files = files
        .iter()
        .filter_map(|p| p.to_str())
        .map(|p| LitStr::new(p, Span::call_site()));
    quote!(#(const _: &[u8] = ::core::include_bytes!(#files);)*)
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
