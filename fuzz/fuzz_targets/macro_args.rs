//! The attribute macros' argument parser (`auth-macros/src/attr.rs`) and their whole pipeline
//! (`pipeline::run`: collect in `spec.rs`, validate into a plan in `valid.rs`, generate in
//! `expand.rs` with `openapi.rs`, the fallback in `fallback.rs`), compiled into this target from their sources: a
//! proc-macro crate exports no functions. proc-macro2 runs on its own lexer here, outside the
//! compiler.
//!
//! Input: UTF-8 text. The arguments, then optionally `\n---\n` and the annotated item. The
//! arguments go to `parse_protected`, `parse_names` and the policy parser (`policy.rs`); then
//! each of `#[protected]`, `#[requires_role]`, `#[requires_scope]` and `#[requires_policy]`
//! expands with them over the given item, or over
//! fixed handlers when there is none. Roles are checked against `[package.metadata.auth.roles]`
//! of fuzz/Cargo.toml (found through CARGO_MANIFEST_DIR, as under cargo).
//!
//! Invariants, besides "never panics":
//! - parsed role/scope arguments hold at least one name;
//! - over a function that parses, the expansion (an expansion, or `compile_error!` beside the
//!   fallback function) is a sequence of items that parses as a Rust file;
//! - over a function that parses, arguments that the attribute's own parser refuses
//!   (`parse_protected` for `#[protected]`, `parse_names` for the others) give a
//!   `compile_error!`: a mistake never expands silently;
//! - an expansion without `compile_error!` holds the guard (the `__private::Authenticated`
//!   extractor or a `__private::authenticate_source` call); for `#[requires_role(..)]` it names
//!   `__private::Role`, for `#[requires_scope(..)]` `__private::Scope`, and with several names
//!   `__private::AnyOf` (`any(..)`) or `__private::AllOf` (`all(..)`): a requirement that
//!   parsed is never replaced by a guard without it; a `#[requires_policy(..)]` that expands
//!   names a requirement other than `NoRequirement`.

#![no_main]

use std::str::FromStr;
use std::sync::Once;

use libfuzzer_sys::fuzz_target;
use proc_macro2::TokenStream;

#[allow(dead_code)]
#[rustfmt::skip] // formatting belongs to auth-macros, not to `cargo fmt` here
#[path = "../../auth-macros/src/attr.rs"]
mod attr;
#[allow(dead_code)]
#[rustfmt::skip] // formatting belongs to auth-macros, not to `cargo fmt` here
#[path = "../../auth-macros/src/expand.rs"]
mod expand;
#[allow(dead_code)]
#[rustfmt::skip] // formatting belongs to auth-macros, not to `cargo fmt` here
#[path = "../../auth-macros/src/fallback.rs"]
mod fallback;
#[allow(dead_code)]
#[rustfmt::skip] // formatting belongs to auth-macros, not to `cargo fmt` here
#[path = "../../auth-macros/src/openapi.rs"]
mod openapi;
#[allow(dead_code)]
#[rustfmt::skip] // formatting belongs to auth-macros, not to `cargo fmt` here
#[path = "../../auth-macros/src/pipeline.rs"]
mod pipeline;
#[allow(dead_code)]
#[rustfmt::skip] // formatting belongs to auth-macros, not to `cargo fmt` here
#[path = "../../auth-macros/src/plan.rs"]
mod plan;
#[allow(dead_code)]
#[rustfmt::skip] // formatting belongs to auth-macros, not to `cargo fmt` here
#[path = "../../auth-macros/src/policy.rs"]
mod policy;
#[allow(dead_code)]
#[rustfmt::skip] // formatting belongs to auth-macros, not to `cargo fmt` here
#[path = "../../auth-macros/src/signature.rs"]
mod signature;
#[allow(dead_code)]
#[rustfmt::skip] // formatting belongs to auth-macros, not to `cargo fmt` here
#[path = "../../auth-macros/src/spec.rs"]
mod spec;
#[allow(dead_code)]
#[rustfmt::skip] // formatting belongs to auth-macros, not to `cargo fmt` here
#[path = "../../auth-macros/src/valid.rs"]
mod valid;
#[allow(dead_code)]
#[rustfmt::skip] // formatting belongs to auth-macros, not to `cargo fmt` here
#[path = "../../auth-macros/src/vocabulary.rs"]
mod vocabulary;

use attr::Origin;

/// Handlers the arguments are tried on when the input names none.
const ITEMS: &[&str] = &[
    "async fn handler(claims: Claims) -> String { claims.sub.unwrap_or_default() }",
    "fn check(&self, headers: &HeaderMap, req: Request<()>) -> Result<String, AuthError> { Ok(String::new()) }",
    // The OpenAPI rewriting (`openapi.rs`, the fuzz crate's `openapi` feature on).
    "#[utoipa::path(get, path = \"/x\", responses((status = 200, description = \"ok\"), (status = 403)),)] async fn documented(claims: Option<Claims>) -> String { String::new() }",
];

fuzz_target!(|data: &[u8]| {
    static SETUP: Once = Once::new();
    SETUP.call_once(|| {
        // SAFETY: set once, before anything reads the environment, in a single-threaded
        // process; this is what cargo sets for a proc macro.
        unsafe { std::env::set_var("CARGO_MANIFEST_DIR", env!("CARGO_MANIFEST_DIR")) };
    });

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (args_text, item_text) = match text.split_once("\n---\n") {
        Some((args, item)) => (args, Some(item)),
        None => (text, None),
    };
    let Ok(args) = TokenStream::from_str(args_text) else {
        return;
    };

    match attr::parse_protected(args.clone()) {
        Ok(parsed) => {
            let _ = (parsed.krate, parsed.from, parsed.claims);
        }
        Err(error) => {
            let _ = error.to_compile_error();
        }
    }
    let names = attr::parse_names(args.clone())
        .ok()
        .map(|parsed| (parsed.names.len(), parsed.combine));
    let protected_ok = attr::parse_protected(args.clone()).is_ok();
    let policy_ok = syn::parse2::<policy::PolicyArgs>(args.clone()).is_ok();
    match attr::parse_names(args.clone()) {
        Ok(parsed) => {
            assert!(!parsed.names.is_empty(), "names parsed without a name");
            for name in &parsed.names {
                let _ = name.value();
            }
        }
        Err(error) => {
            let _ = error.to_compile_error();
        }
    }

    let items: Vec<TokenStream> = match item_text {
        Some(item) => match TokenStream::from_str(item) {
            Ok(tokens) => vec![tokens],
            Err(_) => return,
        },
        None => ITEMS
            .iter()
            .filter_map(|item| TokenStream::from_str(item).ok())
            .collect(),
    };
    for item in items {
        let is_fn = syn::parse2::<syn::ItemFn>(item.clone()).is_ok();
        for origin in [
            Origin::Protected,
            Origin::RequiresRole,
            Origin::RequiresScope,
            Origin::RequiresPolicy,
        ] {
            let out = pipeline::run(origin, args.clone(), item.clone());
            if !is_fn {
                continue;
            }
            if let Err(error) = syn::parse2::<syn::File>(out.clone()) {
                panic!("the expansion is not Rust items ({error}):\n{out}");
            }
            check_expansion(origin, names, protected_ok, policy_ok, &out);
        }
    }
});

fn check_expansion(
    origin: Origin,
    names: Option<(usize, attr::Combine)>,
    protected_ok: bool,
    policy_ok: bool,
    out: &TokenStream,
) {
    let tokens = flatten(out);
    let failed = tokens
        .windows(2)
        .any(|w| w[0] == "compile_error" && w[1] == "!");
    let (name, args_ok) = match origin {
        Origin::Protected => ("protected", protected_ok),
        Origin::RequiresRole => ("requires_role", names.is_some()),
        Origin::RequiresScope => ("requires_scope", names.is_some()),
        Origin::RequiresPolicy => ("requires_policy", policy_ok),
    };
    assert!(
        args_ok || failed,
        "#[{name}] with arguments its parser refuses expanded without compile_error!:\n{out}"
    );
    if failed {
        return;
    }
    let private = |what: &str| {
        tokens
            .windows(4)
            .any(|w| w[0] == "__private" && w[1] == ":" && w[2] == ":" && w[3] == what)
    };
    assert!(
        private("Authenticated") || private("authenticate_source"),
        "#[{name}] expanded without a guard:\n{out}"
    );
    if origin == Origin::RequiresPolicy {
        assert!(
            !private("NoRequirement"),
            "#[{name}] expanded without its requirement:\n{out}"
        );
        return;
    }
    let (requirement, Some((count, combine))) = (
        match origin {
            Origin::Protected | Origin::RequiresPolicy => return,
            Origin::RequiresRole => "Role",
            Origin::RequiresScope => "Scope",
        },
        names,
    ) else {
        return;
    };
    assert!(
        private(requirement),
        "#[{name}] expanded without __private::{requirement}:\n{out}"
    );
    if count > 1 {
        let combined = match combine {
            attr::Combine::Any => "AnyOf",
            attr::Combine::All => "AllOf",
        };
        assert!(
            private(combined),
            "#[{name}] of {count} names expanded without __private::{combined}:\n{out}"
        );
    }
}

/// The tokens of `stream` as text, groups opened (delimiters left out), punctuation one
/// character each.
fn flatten(stream: &TokenStream) -> Vec<String> {
    let mut out = Vec::new();
    for tree in stream.clone() {
        match tree {
            proc_macro2::TokenTree::Group(group) => out.extend(flatten(&group.stream())),
            proc_macro2::TokenTree::Ident(ident) => out.push(ident.to_string()),
            proc_macro2::TokenTree::Punct(punct) => out.push(punct.as_char().to_string()),
            proc_macro2::TokenTree::Literal(literal) => out.push(literal.to_string()),
        }
    }
    out
}
