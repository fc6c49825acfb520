//! Attribute macros of the [`auth`](https://docs.rs/auth) crate. Use them through `auth`:
//! `#[auth::protected]`, `#[auth::requires_role("admin")]`, `#[auth::requires_scope("...")]`.
//! Their documentation, with what they expand to, is on the re-exports in `auth`.
//!
//! Each macro is `parse -> validate -> expand` (modules `args`, `vocabulary`, `expand`); every
//! error is spanned on the offending tokens and the original function is still emitted beside
//! it, so one mistake gives one error.

use proc_macro::TokenStream;

mod args;
mod expand;
mod vocabulary;

/// Verifies the bearer token before the body runs and hands the claims to the body.
/// See `auth::protected`.
#[proc_macro_attribute]
pub fn protected(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::entry(expand::Origin::Protected, args.into(), item.into()).into()
}

/// Requires a role (implies `#[protected]`). See `auth::requires_role`.
#[proc_macro_attribute]
pub fn requires_role(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::entry(expand::Origin::RequiresRole, args.into(), item.into()).into()
}

/// Requires an OAuth scope (implies `#[protected]`). See `auth::requires_scope`.
#[proc_macro_attribute]
pub fn requires_scope(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::entry(expand::Origin::RequiresScope, args.into(), item.into()).into()
}
