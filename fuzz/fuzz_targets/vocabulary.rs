//! The role vocabulary (`auth-macros/src/vocabulary.rs`): the `[package.metadata.auth]` table
//! read from TOML, its checks (declared names, implied roles declared, no cycle), and the
//! queries the macros make (`satisfied_by`, `closest`, `edit_distance`).
//!
//! Input: UTF-8 TOML text, the content of `[package.metadata.auth]` (a `[roles]` table, or a
//! `roles-file`, which is pointed at fuzz/Cargo.toml whatever its value: the fuzzer does not
//! get to read arbitrary files).
//!
//! Invariants, besides "never panics":
//! - every role of a vocabulary that loads passes `check_declared_name`;
//! - `satisfied_by(r)` starts with `r`, repeats nothing, names only declared roles, and holds
//!   every role that implies `r` directly;
//! - `closest(r)` of a declared `r` is `r` up to case;
//! - `edit_distance` is symmetric, zero on equal strings, at most the longer length.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
mod vocabulary {
    // `vocabulary.rs` without its inner doc comments (see build.rs).
    include!(concat!(env!("OUT_DIR"), "/vocabulary.rs"));

    /// Loads a vocabulary from the text of an `auth` metadata table.
    pub(crate) fn from_text(text: &str) -> Option<Result<Vocabulary, String>> {
        let mut table: Table = text.parse().ok()?;
        if let Some(file) = table.get_mut("roles-file")
            && file.is_str()
        {
            *file = Value::String("Cargo.toml".into());
        }
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        Some(Vocabulary::from_auth_table(
            &table,
            &manifest,
            &mut Stamps::new(),
        ))
    }

    /// The roles each role implies directly, as declared.
    pub(crate) fn implies(vocabulary: &Vocabulary, role: &str) -> Vec<String> {
        vocabulary.implies.get(role).cloned().unwrap_or_default()
    }
}

use vocabulary::{check_declared_name, edit_distance};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let probe = text.lines().next().unwrap_or_default();
    let _ = check_declared_name(probe);
    check_distance(probe, text.lines().nth(1).unwrap_or_default());

    let Some(Ok(vocabulary)) = vocabulary::from_text(text) else {
        return;
    };
    let names: Vec<String> = vocabulary.names().map(str::to_owned).collect();
    for name in &names {
        assert_eq!(check_declared_name(name), Ok(()), "declared {name:?}");
        assert!(vocabulary.contains(name));
    }
    // Bounded: `satisfied_by` is quadratic in the number of roles.
    for role in names.iter().take(16) {
        let satisfied = vocabulary.satisfied_by(role);
        assert_eq!(
            satisfied.first(),
            Some(role),
            "satisfied_by({role:?}) first"
        );
        let mut unique = satisfied.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            satisfied.len(),
            "satisfied_by({role:?}) repeats"
        );
        assert!(satisfied.iter().all(|r| vocabulary.contains(r)));
        for implied in vocabulary::implies(&vocabulary, role) {
            assert!(
                vocabulary.satisfied_by(&implied).contains(role),
                "{role:?} implies {implied:?} but does not satisfy it"
            );
        }
        let closest = vocabulary.closest(role);
        assert!(
            closest.is_some_and(|c| c.to_lowercase() == role.to_lowercase()),
            "closest({role:?}) = {closest:?}"
        );
    }
    let _ = vocabulary.closest(probe);
});

fn check_distance(a: &str, b: &str) {
    // Bounded: the distance is quadratic in the lengths.
    if a.len() > 64 || b.len() > 64 {
        return;
    }
    let d = edit_distance(a, b);
    assert_eq!(
        d,
        edit_distance(b, a),
        "edit_distance({a:?}, {b:?}) symmetric"
    );
    assert_eq!(edit_distance(a, a), 0);
    assert!(d <= a.chars().count().max(b.chars().count()));
}
