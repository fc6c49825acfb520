//! Compile-time behaviour of the macros: what they accept (`tests/ui/pass`) and the error each
//! mistake gets (`tests/ui/fail`, one file per mistake, with its reviewed `.stderr`).
//!
//! Regenerate the expected output with
//! `TRYBUILD=overwrite cargo test --features full --test ui`, then review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
