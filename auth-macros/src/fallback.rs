//! What is emitted beside the errors: the function expanded as plainly as possible, so that it
//! still fits where it is used (a router, a call) and one mistake gives one error, not a
//! cascade of "not a handler" and arity errors.
//!
//! The plain plan is built leniently from whatever the collection parsed: no role or scope
//! requirement, no vocabulary, each claims parameter its own slot, and in explicit-source
//! style a placeholder instead of reading a token source that may not exist. When even that
//! cannot fit the signature, the function as written, minus the `auth` attributes and the
//! `#[claims]` markers.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{FnArg, ItemFn, parse_quote};

use crate::expand::expand;
use crate::plan::{Plan, Requirement, Style, take_slots};
use crate::signature::{async_trait_body, claims_params};
use crate::spec::Spec;

/// The fallback of `function` (already without its `auth` attributes).
pub(crate) fn fallback(spec: &Spec, function: ItemFn) -> TokenStream {
    match plain_plan(spec, function.clone()) {
        Some(plan) => expand(plan),
        None => as_written(function),
    }
}

/// The plan without requirement; `None` when the signature cannot take the guard at all.
fn plain_plan(spec: &Spec, mut function: ItemFn) -> Option<Plan> {
    if function.sig.variadic.is_some()
        || (spec.from().is_none() && async_trait_body(&mut function).is_some())
    {
        return None;
    }
    let params = claims_params(&mut function);
    // `claims = name` binds the hidden slot only; beside claims parameters it is the mistake.
    let bind = spec.claims_name().filter(|_| params.is_empty());
    let slots = take_slots(&mut function, params, bind);
    Some(Plan {
        krate: spec
            .crate_paths()
            .next()
            .cloned()
            .unwrap_or_else(|| parse_quote!(::auth)),
        style: match spec.from() {
            Some(_) => Style::Placeholder,
            None => Style::Extractor,
        },
        slots,
        requirement: Requirement::None,
        locations: None,
        check: None,
        tracked: Vec::new(),
        // Beside the errors, `#[utoipa::path]` stays as written.
        operation: None,
        function,
    })
}

fn as_written(mut function: ItemFn) -> TokenStream {
    for input in &mut function.sig.inputs {
        if let FnArg::Typed(typed) = input {
            typed.attrs.retain(|a| !a.path().is_ident("claims"));
        }
    }
    function.into_token_stream()
}
