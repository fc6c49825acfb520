//! The authority's signing keys kept as PEM files in a directory, and the rotation schedule
//! derived from their file names.
//!
//! Each file holds one PKCS#8 private key and is named `<activation>.<alg>.pem`, the
//! activation being the Unix second from which the key signs. Every process that reads the
//! directory derives the same schedule from the names alone, so several authorities sharing
//! it sign with the same key and publish the same JWK Set.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::algorithm::{Algorithm, Family};
use crate::crypto;
use crate::error::{ConfigError, KeyDirectoryError};
use crate::keys::signing::SigningKey;
use crate::verifier::MAX_LEEWAY;

use super::JWKS_MAX_AGE;

/// Default rotation period: a new signing key every 30 days.
const DEFAULT_ROTATION_PERIOD: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// Default publish-ahead: a next key is in the JWK Set an hour before it signs.
const DEFAULT_PUBLISH_AHEAD: Duration = Duration::from_secs(60 * 60);
/// Activation times that depend on "now" are rounded to this grid, so that processes that
/// start within the same minute pick the same file name (and one of them wins the race for
/// it) instead of each making its own key.
const GRID: u64 = 60;

/// The authority's signing keys as PEM files in a directory: loaded at start-up, generated
/// and stored on first start, rotated on a schedule. Give it to
/// [`AuthorityBuilder::key_directory`](crate::AuthorityBuilder::key_directory).
///
/// ```
/// use std::time::Duration;
/// use auth_runtime::{Algorithm, Authority, KeyDirectory};
///
/// # let path = std::env::temp_dir().join(format!("auth-doc-keys-{}", std::process::id()));
/// let keys = KeyDirectory::new(&path)              // created (mode 0700) if absent
///     .algorithm(Algorithm::ES256)                  // the default
///     .rotation_period(Duration::from_secs(7 * 24 * 3600))
///     .publish_ahead(Duration::from_secs(3600));    // the default
/// let authority = Authority::builder()
///     .issuer("https://auth.example.com")
///     .audience("orders")
///     .key_directory(keys.clone())
///     .build()?;
/// let token = authority.issue("alice", ["user"])?;
///
/// // After a restart, the same key signs and the old tokens still verify.
/// let restarted = Authority::builder()
///     .issuer("https://auth.example.com")
///     .audience("orders")
///     .key_directory(keys)
///     .build()?;
/// assert_eq!(restarted.signing_kid(), authority.signing_kid());
/// assert!(restarted.verifier().build()?.verify(&token).is_ok());
///
/// // Call this periodically (every minute, say): it rotates and retires keys when due.
/// let changed = restarted.apply_key_schedule()?;
/// assert!(!changed);
/// # std::fs::remove_dir_all(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # The schedule
///
/// - The signing key is the newest key whose activation time has passed.
/// - When the next rotation (the signing key's activation plus the rotation period) is due
///   within publish-ahead, the next key is generated and published at once, with that
///   activation time (or, if the schedule fell behind, now plus publish-ahead). Verifiers
///   that cache the JWK Set therefore know it before it signs: publish-ahead must be at least
///   the JWK Set's cache lifetime (`Cache-Control: max-age=300`).
/// - A key that stopped signing stays published until the retention has passed since its
///   successor activated, then it is dropped from the JWK Set and its file deleted. The
///   default retention, the authority's token lifetime plus the verifiers' largest leeway,
///   is the longest a token it signed can still verify; give a longer one if tokens are
///   issued with a longer [lifetime](crate::TokenBuilder::lifetime).
///
/// The authority applies the schedule when it is built and at every
/// [`apply_key_schedule`](crate::Authority::apply_key_schedule), with its own
/// [clock](crate::AuthorityBuilder::clock). A key file from a previous configuration (another
/// algorithm) keeps its place in the schedule; keys of the configured algorithm follow it.
///
/// # The files
///
/// One private key per file, PKCS#8 PEM, named `<activation unix seconds>.<alg>.pem` (for
/// example `1767225600.ES256.pem`), mode 0600 on unix. A new file is written under a
/// temporary name in the directory and then linked to its final name, which fails if the
/// name exists: no file is ever overwritten or seen half-written, and of two processes making
/// the same key, one wins and the other loads its file. Other files are ignored; a key file
/// that cannot be read or parsed is an error naming it.
#[derive(Debug, Clone)]
#[must_use]
pub struct KeyDirectory {
    path: PathBuf,
    algorithm: Algorithm,
    rotation_period: Duration,
    publish_ahead: Duration,
    retention: Option<Duration>,
}

impl KeyDirectory {
    /// The keys in `path`, with the defaults: ES256, a rotation every 30 days, a next key
    /// published an hour ahead, a retired key kept for the longest a token it signed can
    /// verify.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        KeyDirectory {
            path: path.into(),
            algorithm: Algorithm::ES256,
            rotation_period: DEFAULT_ROTATION_PERIOD,
            publish_ahead: DEFAULT_PUBLISH_AHEAD,
            retention: None,
        }
    }

    /// The algorithm of the keys it generates (default ES256; HMAC is refused at build).
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// How long each key signs before the next one takes over (default 30 days; longer than
    /// publish-ahead).
    pub fn rotation_period(mut self, period: Duration) -> Self {
        self.rotation_period = period;
        self
    }

    /// How long a next key is published before it signs (default 1 hour; at least the JWK
    /// Set's cache lifetime of 300 s, so that a verifier's cached copy knows it in time).
    pub fn publish_ahead(mut self, ahead: Duration) -> Self {
        self.publish_ahead = ahead;
        self
    }

    /// How long a key stays published after it stopped signing (default: the authority's
    /// token lifetime plus the verifiers' largest leeway; at least the token lifetime).
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = Some(retention);
        self
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A key directory with its settings checked, and the keys read from it so far.
pub(crate) struct KeySchedule {
    directory: KeyDirectory,
    retention: u64,
    /// Keys already parsed, by file name: a file's content never changes under its name.
    loaded: Mutex<HashMap<String, SigningKey>>,
}

/// The keys an authority publishes, oldest first, and which one signs.
pub(crate) struct ScheduledKeys {
    pub(crate) keys: Vec<SigningKey>,
    pub(crate) signing: usize,
}

/// One key file of the directory.
struct StoredKey {
    activation: u64,
    name: String,
    key: SigningKey,
}

impl KeySchedule {
    /// Checks the settings against the authority's token `lifetime`.
    pub(crate) fn new(directory: KeyDirectory, lifetime: Duration) -> Result<Self, ConfigError> {
        let secs = |d: Duration| d.as_secs();
        if directory.algorithm.family() == Family::Hmac {
            return Err(ConfigError::KeySchedule(format!(
                "{} is an HMAC algorithm: a key directory keeps private keys whose public halves \
                 are published, never shared secrets",
                directory.algorithm.name()
            )));
        }
        if directory.publish_ahead < JWKS_MAX_AGE {
            return Err(ConfigError::KeySchedule(format!(
                "publish-ahead of {} s is shorter than the JWK Set's cache lifetime of {} s: a \
                 verifier with a cached copy would see tokens of a key it does not know yet",
                secs(directory.publish_ahead),
                secs(JWKS_MAX_AGE)
            )));
        }
        if directory.rotation_period <= directory.publish_ahead {
            return Err(ConfigError::KeySchedule(format!(
                "a rotation period of {} s is not longer than publish-ahead ({} s): each key \
                 must sign for a while before the next one is published",
                secs(directory.rotation_period),
                secs(directory.publish_ahead)
            )));
        }
        let retention = directory
            .retention
            .unwrap_or_else(|| lifetime.saturating_add(MAX_LEEWAY));
        if retention < lifetime {
            return Err(ConfigError::KeySchedule(format!(
                "a retention of {} s is shorter than the token lifetime ({} s): tokens would stop \
                 verifying before they expire",
                secs(retention),
                secs(lifetime)
            )));
        }
        Ok(KeySchedule {
            directory,
            retention: secs(retention),
            loaded: Mutex::new(HashMap::new()),
        })
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        &self.directory.path
    }

    /// Reads the directory, generates the keys the schedule needs at `now`, drops (and
    /// deletes) the keys whose retention has passed, and returns the keys to publish.
    pub(crate) fn apply(&self, now: u64) -> Result<ScheduledKeys, KeyDirectoryError> {
        let mut loaded = self.loaded.lock().unwrap_or_else(PoisonError::into_inner);
        self.create_directory()?;
        let mut stored = self.list(&mut loaded)?;
        // At most a first key and its successor (a period shorter than a minute plus
        // publish-ahead needs both at once); a new listing after each, as another process may
        // have won the race for the name and its key is the one to use.
        for _ in 0..2 {
            let Some(activation) = self.needed(&stored, now) else {
                break;
            };
            self.create(activation, &mut loaded)?;
            stored = self.list(&mut loaded)?;
        }
        if stored.is_empty() {
            // Only if another process deletes files as fast as this one writes them.
            return Err(self.directory_error("holds no key file after one was written".into()));
        }
        let signing = signing_index(&stored, now);
        let mut keys = Vec::with_capacity(stored.len());
        let mut kept_signing = 0;
        for (i, entry) in stored.iter().enumerate() {
            let retained =
                i >= signing || now < stored[i + 1].activation.saturating_add(self.retention);
            if retained {
                if i == signing {
                    kept_signing = keys.len();
                }
                keys.push(entry.key.clone());
            } else {
                self.delete(&entry.name, &mut loaded);
            }
        }
        Ok(ScheduledKeys {
            keys,
            signing: kept_signing,
        })
    }

    /// The activation time of the key to generate now, if one is due.
    fn needed(&self, stored: &[StoredKey], now: u64) -> Option<u64> {
        if stored.is_empty() {
            return Some(now - now % GRID);
        }
        let signing = signing_index(stored, now);
        if signing + 1 < stored.len() {
            return None; // the next key exists
        }
        let period = self.directory.rotation_period.as_secs();
        let ahead = self.directory.publish_ahead.as_secs();
        let due = stored[signing].activation.saturating_add(period);
        if due.saturating_sub(ahead) > now {
            return None;
        }
        Some(due.max(round_up(now.saturating_add(ahead))))
    }

    fn create_directory(&self) -> Result<(), KeyDirectoryError> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        builder
            .create(self.path())
            .map_err(|e| self.directory_error(format!("cannot create it: {e}")))
    }

    /// Every key file of the directory, by activation time (then name).
    fn list(
        &self,
        loaded: &mut HashMap<String, SigningKey>,
    ) -> Result<Vec<StoredKey>, KeyDirectoryError> {
        let entries = fs::read_dir(self.path())
            .map_err(|e| self.directory_error(format!("cannot list it: {e}")))?;
        let mut stored = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| self.directory_error(format!("cannot list it: {e}")))?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let Some((activation, alg)) = parse_name(&name) else {
                continue;
            };
            let path = entry.path();
            if !fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                continue;
            }
            let key = match loaded.get(&name) {
                Some(key) => key.clone(),
                None => {
                    let key = read_key(&path, alg)?;
                    loaded.insert(name.clone(), key.clone());
                    key
                }
            };
            stored.push(StoredKey {
                activation,
                name,
                key,
            });
        }
        stored.sort_by(|a, b| (a.activation, &a.name).cmp(&(b.activation, &b.name)));
        Ok(stored)
    }

    /// Generates a key that signs from `activation` and stores it, unless another process
    /// stored one under the same name first (the next listing then loads that one).
    fn create(
        &self,
        activation: u64,
        loaded: &mut HashMap<String, SigningKey>,
    ) -> Result<(), KeyDirectoryError> {
        let alg = self.directory.algorithm;
        let name = format!("{activation}.{}.pem", alg.name());
        let path = self.path().join(&name);
        let file_error = |reason: String| KeyDirectoryError::KeyFile {
            path: path.clone(),
            reason,
        };
        let key = SigningKey::generate(alg)
            .map_err(|e| file_error(format!("cannot generate the key: {e}")))?;
        let pem = key
            .to_pkcs8_pem()
            .map_err(|e| file_error(format!("cannot encode the key: {e}")))?;
        let mut nonce = [0u8; 8];
        crypto::random_bytes(&mut nonce).map_err(file_error)?;
        let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
        // A dot-file, which never parses as a key file: a reader ignores it, even half-written.
        let temporary = self
            .path()
            .join(format!(".{name}.{}.{nonce}.tmp", std::process::id()));
        let written = write_private(&temporary, pem.as_bytes());
        let linked = written.and_then(|()| fs::hard_link(&temporary, &path));
        let _ = fs::remove_file(&temporary);
        match linked {
            Ok(()) => {
                sync_directory(self.path());
                loaded.insert(name, key);
                Ok(())
            }
            // Another process made this key first: its file is the one every process uses.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(file_error(format!("cannot write it: {e}"))),
        }
    }

    /// Deletes the file of a key no longer published. Another process may have deleted it
    /// first; any other failure leaves a file that is never published again, so it is only
    /// logged.
    fn delete(&self, name: &str, loaded: &mut HashMap<String, SigningKey>) {
        loaded.remove(name);
        let path = self.path().join(name);
        match fs::remove_file(&path) {
            Ok(()) => tracing::info!(file = %path.display(), "retired signing key deleted"),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "cannot delete a retired signing key");
            }
        }
    }

    fn directory_error(&self, reason: String) -> KeyDirectoryError {
        KeyDirectoryError::Directory {
            path: self.path().to_owned(),
            reason,
        }
    }
}

/// The newest key whose activation has passed; if none has (a clock behind the one of the
/// process that made the keys), the oldest key, rather than a new one beside it.
fn signing_index(stored: &[StoredKey], now: u64) -> usize {
    stored
        .iter()
        .rposition(|k| k.activation <= now)
        .unwrap_or(0)
}

/// `time` rounded up to the grid.
fn round_up(time: u64) -> u64 {
    time.div_ceil(GRID).saturating_mul(GRID)
}

/// `<activation>.<alg>.pem` as its parts. A name of another shape is not a key file; one of
/// this shape whose algorithm is unknown is one, with an unusable algorithm (refused when
/// read).
fn parse_name(name: &str) -> Option<(u64, Result<Algorithm, String>)> {
    let (activation, alg) = name.strip_suffix(".pem")?.split_once('.')?;
    if activation.is_empty() || !activation.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let activation = activation.parse().ok()?;
    let alg = Algorithm::from_name(alg).ok_or_else(|| format!("unknown algorithm `{alg}`"));
    Some((activation, alg))
}

fn read_key(path: &Path, alg: Result<Algorithm, String>) -> Result<SigningKey, KeyDirectoryError> {
    let error = |reason: String| KeyDirectoryError::KeyFile {
        path: path.to_owned(),
        reason,
    };
    let alg = alg.map_err(|e| error(format!("the file name names an {e}")))?;
    if alg.family() == Family::Hmac {
        return Err(error(format!(
            "{} is an HMAC algorithm, whose keys are never kept in a key directory",
            alg.name()
        )));
    }
    let pem = fs::read(path).map_err(|e| error(format!("cannot read it: {e}")))?;
    SigningKey::from_pem(&pem, alg)
        .map_err(|e| error(format!("not a usable {} private key: {e}", alg.name())))
}

/// Writes `bytes` to a new file readable by its owner only, and flushes it to the disk
/// before it is linked to its final name.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Flushes the directory's entries, so that a new key file survives a crash of the machine.
/// Best effort: not every platform opens a directory as a file.
fn sync_directory(path: &Path) {
    if let Ok(directory) = fs::File::open(path) {
        let _ = directory.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_to_activation_and_algorithm() {
        assert_eq!(
            parse_name("1767225600.ES256.pem").map(|(t, a)| (t, a.ok())),
            Some((1_767_225_600, Some(Algorithm::ES256)))
        );
        assert!(matches!(parse_name("1.XX1.pem"), Some((1, Err(_)))));
        for other in [
            "README.md",
            ".1.ES256.pem.1.ab.tmp",
            "x1.ES256.pem",
            "+1.ES256.pem",
            ".ES256.pem",
            "1.ES256.pem.bak",
            "99999999999999999999999.ES256.pem",
        ] {
            assert!(parse_name(other).is_none(), "{other}");
        }
    }

    #[test]
    fn activations_from_now_fall_on_the_grid() {
        assert_eq!(round_up(0), 0);
        assert_eq!(round_up(1), 60);
        assert_eq!(round_up(60), 60);
        assert_eq!(round_up(61), 120);
    }
}
