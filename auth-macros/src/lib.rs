//! Attribute macros of the [`auth`](https://docs.rs/auth) crate. Use them through `auth`:
//! `#[auth::protected]`, `#[auth::requires_role("admin")]`, `#[auth::requires_scope("...")]`.
//! Their documentation, with what they expand to, is on the re-exports in `auth`.
//!
//! # The pipeline
//!
//! All `auth` attributes of one function are handled by whichever the compiler runs first
//! (the outermost): it takes the others off the function and expands once, so their order
//! does not matter and `#[requires_role]` alone implies `#[protected]`. Each step has its
//! module and its own data:
//!
//! 1. **collect** (`spec`, with `attr` for one attribute's typed arguments): every `auth`
//!    attribute of the function into one `Spec`, keeping what parsed and gathering the errors
//!    of what did not;
//! 2. **validate** (`valid`, reading the function with `signature` and the role manifest with
//!    `vocabulary`, once): the spec and the signature into a `Plan` (`plan`), plain data: the
//!    crate path, the style (extractor, or the token read from a parameter), the claims slots,
//!    the requirement as a typed tree, the vocabulary files to track, the `#[utoipa::path]`
//!    to document (`openapi`). Every check and every error is here, combined and spanned on
//!    the offending tokens;
//! 3. **generate** (`expand`, with `openapi` for the operation's security requirement and
//!    refusals): the protected function from the plan; it cannot fail.
//!
//! On errors, the **fallback** (`fallback`) expands a plain plan built leniently from the same
//! spec (no requirement) and emits it beside the errors, so that one mistake gives one error.
//! `pipeline` strings the steps together. `#[auth::check]` (`check`) and `roles!` (`roles`)
//! are macros of their own: a check function's signature checked and its `Check` type
//! generated; the vocabulary as an enum.

use proc_macro::TokenStream;

mod attr;
mod check;
mod expand;
mod fallback;
mod openapi;
mod pipeline;
mod plan;
mod policy;
mod roles;
mod signature;
mod spec;
mod valid;
mod vocabulary;

use attr::Origin;

/// Verifies the bearer token before the body runs and hands the claims to the body.
/// See `auth::protected`.
#[proc_macro_attribute]
pub fn protected(args: TokenStream, item: TokenStream) -> TokenStream {
    pipeline::run(Origin::Protected, args.into(), item.into()).into()
}

/// Requires a role (implies `#[protected]`). See `auth::requires_role`.
#[proc_macro_attribute]
pub fn requires_role(args: TokenStream, item: TokenStream) -> TokenStream {
    pipeline::run(Origin::RequiresRole, args.into(), item.into()).into()
}

/// Requires a policy: `and`, `or` and `not` of roles, scopes, callers and claim comparisons
/// (implies `#[protected]`). See `auth::requires_policy`.
#[proc_macro_attribute]
pub fn requires_policy(args: TokenStream, item: TokenStream) -> TokenStream {
    pipeline::run(Origin::RequiresPolicy, args.into(), item.into()).into()
}

/// Declares a check function for `#[protected(check = name)]`. See `auth::check`.
#[proc_macro_attribute]
pub fn check(args: TokenStream, item: TokenStream) -> TokenStream {
    check::run(args.into(), item.into()).into()
}

/// The role vocabulary of the manifest as an enum, for run-time checks. See `auth::roles`.
#[proc_macro]
pub fn roles(input: TokenStream) -> TokenStream {
    roles::run(input.into()).into()
}

/// Requires an OAuth scope (implies `#[protected]`). See `auth::requires_scope`.
#[proc_macro_attribute]
pub fn requires_scope(args: TokenStream, item: TokenStream) -> TokenStream {
    pipeline::run(Origin::RequiresScope, args.into(), item.into()).into()
}
