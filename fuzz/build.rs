//! Copies `auth-macros/src/vocabulary.rs` into `OUT_DIR` without its inner doc comments, so
//! that the `vocabulary` fuzz target can `include!` it inside a module of its own and reach
//! the private `Vocabulary::from_auth_table` (a proc-macro crate exports no functions, and
//! `include!` refuses inner attributes).

use std::path::Path;

fn main() {
    let source = "../auth-macros/src/vocabulary.rs";
    println!("cargo::rerun-if-changed={source}");
    let text = std::fs::read_to_string(source).unwrap_or_else(|e| panic!("reading {source}: {e}"));
    let body: String = text
        .lines()
        .filter(|line| {
            let line = line.trim_start();
            !line.starts_with("//!") && !line.starts_with("#![")
        })
        .flat_map(|line| [line, "\n"])
        .collect();
    let out_dir = std::env::var("OUT_DIR").unwrap_or_else(|e| panic!("OUT_DIR: {e}"));
    let target = Path::new(&out_dir).join("vocabulary.rs");
    std::fs::write(&target, body).unwrap_or_else(|e| panic!("writing {}: {e}", target.display()));
}
