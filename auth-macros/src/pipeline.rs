//! The whole expansion of one attribute: collect, validate into a plan, generate; beside the
//! errors, the fallback.

use proc_macro2::{Span, TokenStream};
use syn::ItemFn;

use crate::attr::Origin;
use crate::{expand, fallback, spec, valid};

/// Expands the attribute `origin`, invoked with `args`, over `item`.
pub(crate) fn run(origin: Origin, args: TokenStream, item: TokenStream) -> TokenStream {
    let Ok(mut function) = syn::parse2::<ItemFn>(item.clone()) else {
        return not_a_function(origin, item);
    };
    let spec = spec::collect(origin, args, &mut function);
    match valid::plan(&spec, function.clone()) {
        Ok(plan) => expand::expand(plan),
        Err(errors) => {
            let mut out = errors.to_compile_error();
            out.extend(fallback::fallback(&spec, function));
            out
        }
    }
}

/// The error for an item that is not a function, beside the item as written.
fn not_a_function(origin: Origin, item: TokenStream) -> TokenStream {
    let span = item
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span());
    let error = syn::Error::new(
        span,
        format!(
            "#[{}] applies to functions and methods with a body",
            origin.name()
        ),
    );
    let mut out = error.to_compile_error();
    out.extend(item);
    out
}
