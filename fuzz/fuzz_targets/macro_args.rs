//! The attribute macros' argument parser (`auth-macros/src/attr.rs`) and their whole pipeline
//! (`pipeline::run`: collect in `spec.rs`, validate into a plan in `valid.rs`, generate in
//! `expand.rs`, the fallback in `fallback.rs`), compiled into this target from their sources: a
//! proc-macro crate exports no functions. proc-macro2 runs on its own lexer here, outside the
//! compiler.
//!
//! Input: UTF-8 text. The arguments, then optionally `\n---\n` and the annotated item. The
//! arguments go to `parse_protected` and `parse_names`; then each of `#[protected]`,
//! `#[requires_role]` and `#[requires_scope]` expands with them over the given item, or over
//! fixed handlers when there is none. Roles are checked against `[package.metadata.auth.roles]`
//! of fuzz/Cargo.toml (found through CARGO_MANIFEST_DIR, as under cargo).
//!
//! Invariants, besides "never panics":
//! - parsed role/scope arguments hold at least one name;
//! - over a function that parses, the expansion (an expansion, or `compile_error!` beside the
//!   fallback function) is a sequence of items that parses as a Rust file.

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
#[path = "../../auth-macros/src/pipeline.rs"]
mod pipeline;
#[allow(dead_code)]
#[rustfmt::skip] // formatting belongs to auth-macros, not to `cargo fmt` here
#[path = "../../auth-macros/src/plan.rs"]
mod plan;
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
        ] {
            let out = pipeline::run(origin, args.clone(), item.clone());
            if is_fn && let Err(error) = syn::parse2::<syn::File>(out.clone()) {
                panic!("the expansion is not Rust items ({error}):\n{out}");
            }
        }
    }
});
