//! The role vocabulary: declared once in a manifest, read at compile time, so every role
//! literal is checked and the hierarchy is resolved before the program runs.
//!
//! ```toml
//! # Cargo.toml of the service (or [workspace.metadata.auth.roles] for a whole workspace)
//! [package.metadata.auth.roles]
//! admin = ["user"]   # admin implies user
//! user = ["guest"]   # user implies guest
//! guest = []
//!
//! # or, shared by several services:
//! [package.metadata.auth]
//! roles-file = "../roles.toml"   # holds a [roles] table of the same shape
//! ```
//!
//! Lookup: the crate's `[package.metadata.auth]`, else the `[workspace.metadata.auth]` of the
//! nearest workspace root above it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use toml::{Table, Value};

/// The declared roles and, for each, the roles it implies directly.
pub(crate) struct Vocabulary {
    implies: BTreeMap<String, Vec<String>>,
    /// Files read, so the expansion can make the compiler track them.
    pub(crate) sources: Vec<PathBuf>,
}

/// Files a vocabulary was read from (and Cargo.toml files looked for on the way), with their
/// modification times, `None` for a file that did not exist.
type Stamps = Vec<(PathBuf, Option<SystemTime>)>;

/// Vocabularies read by earlier expansions in this compiler process: every annotated handler
/// of a crate needs the same one, so its files are read and parsed once per compilation. An
/// entry is used only while none of the files it came from changed (a long-lived process such
/// as an IDE's sees edits).
static LOADED: Mutex<Vec<(PathBuf, Stamps, Arc<Vocabulary>)>> = Mutex::new(Vec::new());

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl Vocabulary {
    /// Finds and reads the vocabulary of the crate being compiled (once per process and
    /// crate while its files stay unchanged).
    pub(crate) fn load() -> Result<Arc<Self>, String> {
        let dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .ok_or("CARGO_MANIFEST_DIR is not set: role names can only be checked under cargo")?;
        Self::load_for(dir)
    }

    fn load_for(dir: PathBuf) -> Result<Arc<Self>, String> {
        if let Ok(loaded) = LOADED.lock() {
            let fresh = loaded.iter().find(|(for_dir, stamps, _)| {
                *for_dir == dir && stamps.iter().all(|(path, at)| modified(path) == *at)
            });
            if let Some((_, _, vocabulary)) = fresh {
                return Ok(Arc::clone(vocabulary));
            }
        }
        let mut stamps = Stamps::new();
        let vocabulary = Arc::new(Self::read(&dir, &mut stamps)?);
        if let Ok(mut loaded) = LOADED.lock() {
            loaded.retain(|(for_dir, _, _)| *for_dir != dir);
            loaded.push((dir, stamps, Arc::clone(&vocabulary)));
        }
        Ok(vocabulary)
    }

    fn read(dir: &Path, stamps: &mut Stamps) -> Result<Self, String> {
        let manifest = dir.join("Cargo.toml");
        let table = read_toml(&manifest, stamps)?;
        if let Some(auth) = nested(&table, &["package", "metadata", "auth"]) {
            return Self::from_auth_table(auth, &manifest, stamps);
        }
        if let Some(auth) = nested(&table, &["workspace", "metadata", "auth"]) {
            return Self::from_auth_table(auth, &manifest, stamps);
        }
        let mut ancestor = dir.parent();
        while let Some(candidate_dir) = ancestor {
            let candidate = candidate_dir.join("Cargo.toml");
            if candidate.is_file() {
                let table = read_toml(&candidate, stamps)?;
                if table.contains_key("workspace") {
                    if let Some(auth) = nested(&table, &["workspace", "metadata", "auth"]) {
                        return Self::from_auth_table(auth, &candidate, stamps);
                    }
                    break;
                }
            } else {
                stamps.push((candidate, None));
            }
            ancestor = candidate_dir.parent();
        }
        Err(format!(
            "no role vocabulary is declared: add `[package.metadata.auth.roles]` to {} \
             (for example `admin = [\"user\"]` and `user = []`), or `[workspace.metadata.auth.roles]` \
             to the workspace's Cargo.toml",
            manifest.display()
        ))
    }

    fn from_auth_table(auth: &Table, manifest: &Path, stamps: &mut Stamps) -> Result<Self, String> {
        let mut sources = vec![manifest.to_path_buf()];
        let roles = match (auth.get("roles"), auth.get("roles-file")) {
            (Some(Value::Table(roles)), None) => roles.clone(),
            (None, Some(Value::String(file))) => {
                let path = manifest.parent().unwrap_or(Path::new(".")).join(file);
                let table = read_toml(&path, stamps)?;
                sources.push(path.clone());
                match table.get("roles") {
                    Some(Value::Table(roles)) => roles.clone(),
                    _ => return Err(format!("{} has no [roles] table", path.display())),
                }
            }
            (Some(_), Some(_)) => {
                return Err(format!(
                    "{}: give `roles` or `roles-file`, not both",
                    manifest.display()
                ));
            }
            _ => {
                return Err(format!(
                    "{}: the auth metadata needs a `roles` table (role = [implied roles]) or a `roles-file`",
                    manifest.display()
                ));
            }
        };
        let mut implies = BTreeMap::new();
        for (role, value) in &roles {
            check_declared_name(role)
                .map_err(|e| format!("{}: role `{role}`: {e}", manifest.display()))?;
            let Value::Array(items) = value else {
                return Err(format!(
                    "{}: role `{role}` must map to an array of the roles it implies (`[]` for none)",
                    manifest.display()
                ));
            };
            let mut implied = Vec::new();
            for item in items {
                let Value::String(name) = item else {
                    return Err(format!(
                        "{}: role `{role}` implies a non-string",
                        manifest.display()
                    ));
                };
                if !roles.contains_key(name) {
                    return Err(format!(
                        "{}: role `{role}` implies `{name}`, which is not declared",
                        manifest.display()
                    ));
                }
                implied.push(name.clone());
            }
            implies.insert(role.clone(), implied);
        }
        let vocabulary = Vocabulary { implies, sources };
        vocabulary.check_acyclic().map_err(|cycle| {
            format!(
                "{}: the role hierarchy has a cycle through `{cycle}`",
                manifest.display()
            )
        })?;
        Ok(vocabulary)
    }

    pub(crate) fn contains(&self, role: &str) -> bool {
        self.implies.contains_key(role)
    }

    /// `role` and every role that implies it, directly or through others.
    pub(crate) fn satisfied_by(&self, role: &str) -> Vec<String> {
        let mut found = BTreeSet::from([role.to_owned()]);
        loop {
            let before = found.len();
            for (candidate, implied) in &self.implies {
                if implied.iter().any(|i| found.contains(i)) {
                    found.insert(candidate.clone());
                }
            }
            if found.len() == before {
                break;
            }
        }
        // The role itself first: it is the most likely match.
        let mut ordered = vec![role.to_owned()];
        ordered.extend(found.into_iter().filter(|r| r != role));
        ordered
    }

    /// The declared role closest to `unknown`, if one is close enough to be a typo.
    pub(crate) fn closest(&self, unknown: &str) -> Option<&str> {
        let lower = unknown.to_lowercase();
        self.implies
            .keys()
            .map(|known| (edit_distance(&lower, &known.to_lowercase()), known))
            .filter(|(d, known)| *d <= (known.chars().count().max(3) / 3).max(1) || (*d == 0))
            .min_by_key(|(d, _)| *d)
            .map(|(_, known)| known.as_str())
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.implies.keys().map(String::as_str)
    }

    fn check_acyclic(&self) -> Result<(), String> {
        for role in self.implies.keys() {
            let mut stack: Vec<&str> = self.implies[role].iter().map(String::as_str).collect();
            let mut seen = BTreeSet::new();
            while let Some(next) = stack.pop() {
                if next == role {
                    return Err(role.clone());
                }
                if seen.insert(next) {
                    stack.extend(
                        self.implies
                            .get(next)
                            .into_iter()
                            .flatten()
                            .map(String::as_str),
                    );
                }
            }
        }
        Ok(())
    }
}

/// A role or scope name: not empty or blank, no surrounding or inner whitespace, no control
/// characters, at most 64 bytes (the runtime packs names into types).
pub(crate) fn check_declared_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("names cannot be empty or blank".into());
    }
    if name.chars().any(char::is_whitespace) {
        return Err("names cannot contain whitespace".into());
    }
    if name.chars().any(char::is_control) {
        return Err("names cannot contain control characters".into());
    }
    if name.len() > 64 {
        return Err(format!(
            "names are at most 64 bytes; this one has {}",
            name.len()
        ));
    }
    Ok(())
}

fn read_toml(path: &Path, stamps: &mut Stamps) -> Result<Table, String> {
    stamps.push((path.to_path_buf(), modified(path)));
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    text.parse::<Table>()
        .map_err(|e| format!("{} is not valid TOML: {e}", path.display()))
}

fn nested<'t>(table: &'t Table, path: &[&str]) -> Option<&'t Table> {
    let mut current = table;
    for key in path {
        match current.get(*key) {
            Some(Value::Table(inner)) => current = inner,
            _ => return None,
        }
    }
    Some(current)
}

/// Damerau-Levenshtein distance (adjacent transpositions count as one edit).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab(text: &str) -> Result<Vocabulary, String> {
        let table: Table = text.parse().map_err(|e| format!("{e}"))?;
        Vocabulary::from_auth_table(&table, Path::new("Cargo.toml"), &mut Stamps::new())
    }

    #[test]
    fn loaded_once_per_process_until_a_file_changes() {
        let dir = std::env::temp_dir().join(format!("auth-macros-vocab-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let manifest = dir.join("Cargo.toml");
        let write = |roles: &str, at: SystemTime| {
            std::fs::write(
                &manifest,
                format!("[package.metadata.auth.roles]\n{roles}\n"),
            )
            .expect("write manifest");
            std::fs::File::options()
                .write(true)
                .open(&manifest)
                .and_then(|f| f.set_modified(at))
                .expect("set mtime");
        };
        let epoch = SystemTime::UNIX_EPOCH;
        write("admin = []", epoch + std::time::Duration::from_secs(1_000));

        let first = Vocabulary::load_for(dir.clone()).expect("valid");
        let again = Vocabulary::load_for(dir.clone()).expect("valid");
        assert!(
            Arc::ptr_eq(&first, &again),
            "the second expansion reuses the first read"
        );
        assert!(!first.contains("auditor"));

        write(
            "admin = []\nauditor = []",
            epoch + std::time::Duration::from_secs(2_000),
        );
        let edited = Vocabulary::load_for(dir.clone()).expect("valid");
        assert!(
            edited.contains("auditor"),
            "an edited manifest is read again"
        );

        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn hierarchy_is_resolved_transitively() {
        let v = vocab("[roles]\nadmin = [\"user\"]\nuser = [\"guest\"]\nguest = []\nauditor = []")
            .expect("valid");
        assert_eq!(v.satisfied_by("guest"), vec!["guest", "admin", "user"]);
        assert_eq!(v.satisfied_by("admin"), vec!["admin"]);
        assert_eq!(v.satisfied_by("auditor"), vec!["auditor"]);
    }

    #[test]
    fn bad_vocabularies_are_refused() {
        assert!(vocab("[roles]\na = [\"b\"]\nb = [\"a\"]").is_err_and(|e| e.contains("cycle")));
        assert!(vocab("[roles]\na = [\"missing\"]").is_err_and(|e| e.contains("not declared")));
        assert!(vocab("[roles]\n\" \" = []").is_err_and(|e| e.contains("blank")));
        assert!(vocab("[roles]\na = 1").is_err());
        assert!(vocab("x = 1").is_err());
    }

    #[test]
    fn suggestions() {
        let v = vocab("[roles]\nadmin = []\nuser = []\nauditor = []").expect("valid");
        assert_eq!(v.closest("amin"), Some("admin"));
        assert_eq!(v.closest("Admin"), Some("admin"));
        assert_eq!(v.closest("usre"), Some("user"));
        assert_eq!(v.closest("auditr"), Some("auditor"));
        assert_eq!(v.closest("superuser"), None);
        assert_eq!(edit_distance("ab", "ba"), 1);
    }
}
