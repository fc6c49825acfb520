//! The authority's keys in a directory: kept across restarts, shared by concurrent
//! authorities, rotated and retired on schedule, and refused when a file is unusable.

#![allow(clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use auth_runtime::{
    Algorithm, Authority, Clock, ConfigError, FixedClock, KeyDirectory, KeyDirectoryError,
    KeyError, SigningKey, Verifier,
};

const ISSUER: &str = "https://auth.example.com";
const AUDIENCE: &str = "orders";
/// A start time on the minute grid, far from the test machine's clock (the schedule only
/// knows the authority's clock).
const T0: u64 = 1_800_000_000;
const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

/// A clock the test moves by hand.
#[derive(Debug, Clone)]
struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    fn at(now: u64) -> Self {
        ManualClock(Arc::new(AtomicU64::new(now)))
    }

    fn set(&self, now: u64) {
        self.0.store(now, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A fresh directory path under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let unique = format!(
            "auth-key-directory-{test}-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            auth_runtime::SystemClock.now()
        );
        let path = std::env::temp_dir().join(unique);
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// The names of the key files, sorted.
    fn key_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .expect("the key directory lists")
            .map(|entry| {
                entry
                    .expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|name| name.ends_with(".pem"))
            .collect();
        names.sort();
        names
    }

    /// Every file name, temporary ones included.
    fn all_files(&self) -> Vec<String> {
        std::fs::read_dir(&self.0)
            .expect("the key directory lists")
            .map(|entry| {
                entry
                    .expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn authority(directory: KeyDirectory, clock: impl Clock) -> Result<Authority, ConfigError> {
    Authority::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .clock(clock)
        .key_directory(directory)
        .build()
}

/// A verifier that knows only what `authority` publishes in its JWK Set, at `now`.
fn jwks_verifier(authority: &Authority, now: u64) -> Verifier {
    Verifier::builder()
        .jwks_json(authority.jwks().to_json())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .clock(FixedClock(now))
        .build()
        .expect("a verifier of the published keys")
}

fn published_kids(authority: &Authority) -> Vec<String> {
    authority
        .jwks()
        .keys
        .iter()
        .map(|k| k.kid.clone().unwrap_or_default())
        .collect()
}

#[test]
fn a_restarted_authority_keeps_its_keys() {
    let dir = TempDir::new("restart");
    let now = auth_runtime::SystemClock.now();
    let first = authority(KeyDirectory::new(dir.path()), auth_runtime::SystemClock)
        .expect("the first start generates a key");
    let token = first.issue("alice", ["user"]).expect("a token");
    assert_eq!(
        dir.key_files().len(),
        1,
        "one key file: {:?}",
        dir.key_files()
    );
    drop(first);

    let second = authority(KeyDirectory::new(dir.path()), auth_runtime::SystemClock)
        .expect("the restart loads the key");
    assert_eq!(dir.key_files().len(), 1, "no new key on restart");
    let claims = jwks_verifier(&second, now)
        .verify(&token)
        .expect("a token of the first start verifies with the JWKS of the second");
    assert_eq!(claims.sub.as_deref(), Some("alice"));
    let kid = second.signing_kid();
    assert_eq!(published_kids(&second), [kid]);
}

#[test]
fn authorities_built_concurrently_on_one_directory_agree() {
    let dir = TempDir::new("concurrent");
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let authorities: Vec<Authority> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let barrier = barrier.clone();
                let path = dir.path().to_owned();
                scope.spawn(move || {
                    barrier.wait();
                    authority(KeyDirectory::new(path), FixedClock(T0))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic").expect("every authority builds"))
            .collect()
    });
    let kid = authorities[0].signing_kid();
    for (i, signer) in authorities.iter().enumerate() {
        assert_eq!(
            signer.signing_kid(),
            kid,
            "authority {i} signs with another key"
        );
        let token = signer.issue("bob", ["user"]).expect("a token");
        for (j, other) in authorities.iter().enumerate() {
            assert!(
                jwks_verifier(other, T0).verify(&token).is_ok(),
                "a token of authority {i} does not verify with the JWKS of authority {j}"
            );
        }
    }
    assert_eq!(
        dir.all_files(),
        [format!("{T0}.ES256.pem")],
        "one key file and no temporary file left"
    );
}

#[test]
fn the_schedule_publishes_ahead_rotates_and_retires() {
    let dir = TempDir::new("schedule");
    let clock = ManualClock::at(T0);
    let keys = KeyDirectory::new(dir.path())
        .rotation_period(Duration::from_secs(DAY))
        .publish_ahead(Duration::from_secs(HOUR));
    let authority = authority(keys.clone(), clock.clone()).expect("an authority");
    // The default retention: the token lifetime (15 min) plus the largest leeway (5 min).
    let retention = 15 * 60 + 300;
    let first = authority.signing_kid();
    assert_eq!(published_kids(&authority), [first.as_str()]);
    assert_eq!(dir.key_files(), [format!("{T0}.ES256.pem")]);

    // Not yet within publish-ahead of the rotation: nothing changes.
    clock.set(T0 + DAY - HOUR - 1);
    assert!(
        !authority
            .apply_key_schedule()
            .expect("the schedule applies")
    );
    assert_eq!(published_kids(&authority), [first.as_str()]);

    // Within publish-ahead: the next key is published, the current one still signs.
    let published_at = T0 + DAY - HOUR;
    clock.set(published_at);
    assert!(
        authority
            .apply_key_schedule()
            .expect("the schedule applies")
    );
    assert_eq!(authority.signing_kid(), first);
    let kids = published_kids(&authority);
    assert_eq!(kids.len(), 2, "{kids:?}");
    let next = kids[1].clone();
    assert_ne!(next, first);
    assert_eq!(
        dir.key_files(),
        [format!("{T0}.ES256.pem"), format!("{}.ES256.pem", T0 + DAY)]
    );
    // An authority started now from the directory derives the same schedule.
    let restarted = self::authority(keys, clock.clone()).expect("a restart");
    assert_eq!(restarted.signing_kid(), first);
    assert_eq!(published_kids(&restarted), kids);

    // A token signed just before the rotation...
    clock.set(T0 + DAY - 1);
    assert!(
        !authority
            .apply_key_schedule()
            .expect("the schedule applies")
    );
    assert_eq!(authority.signing_kid(), first);
    let old_token = authority.issue("alice", ["user"]).expect("a token");

    // At its activation time the next key signs, published at least publish-ahead before.
    let activated_at = T0 + DAY;
    clock.set(activated_at);
    assert!(
        authority
            .apply_key_schedule()
            .expect("the schedule applies")
    );
    assert_eq!(authority.signing_kid(), next);
    assert!(activated_at - published_at >= HOUR);
    assert_eq!(published_kids(&authority), [first.clone(), next.clone()]);
    let new_token = authority.issue("alice", ["user"]).expect("a token");
    let verifier = jwks_verifier(&authority, activated_at + 60);
    assert!(
        verifier.verify(&old_token).is_ok(),
        "the old key still verifies"
    );
    assert!(verifier.verify(&new_token).is_ok());

    // The old key stays published until the retention has passed since the rotation...
    clock.set(activated_at + retention - 1);
    assert!(
        !authority
            .apply_key_schedule()
            .expect("the schedule applies")
    );
    assert_eq!(published_kids(&authority), [first.clone(), next.clone()]);
    assert!(
        jwks_verifier(&authority, activated_at + retention - 1)
            .verify(&old_token)
            .is_err(),
        "by then the old key's last token has expired, beyond any leeway"
    );

    // ...and is then gone, its file too.
    clock.set(activated_at + retention);
    assert!(
        authority
            .apply_key_schedule()
            .expect("the schedule applies")
    );
    assert_eq!(published_kids(&authority), [next.as_str()]);
    assert_eq!(
        dir.key_files(),
        [format!("{}.ES256.pem", T0 + DAY)],
        "the retired key's file is deleted"
    );
}

#[test]
fn a_schedule_that_fell_behind_publishes_the_next_key_ahead_from_now() {
    let dir = TempDir::new("behind");
    let clock = ManualClock::at(T0);
    let keys = KeyDirectory::new(dir.path())
        .rotation_period(Duration::from_secs(DAY))
        .publish_ahead(Duration::from_secs(HOUR));
    let authority = authority(keys, clock.clone()).expect("an authority");
    let first = authority.signing_kid();

    // Stopped for ten days: the key keeps signing until its successor has been published
    // for publish-ahead, never switching to a key no verifier has seen.
    let now = T0 + 10 * DAY + 7;
    clock.set(now);
    assert!(
        authority
            .apply_key_schedule()
            .expect("the schedule applies")
    );
    assert_eq!(authority.signing_kid(), first);
    let next_activation = (now + HOUR).div_ceil(60) * 60;
    assert_eq!(
        dir.key_files(),
        [
            format!("{T0}.ES256.pem"),
            format!("{next_activation}.ES256.pem")
        ]
    );
    clock.set(next_activation);
    assert!(
        authority
            .apply_key_schedule()
            .expect("the schedule applies")
    );
    assert_ne!(authority.signing_kid(), first);
}

#[test]
fn a_corrupt_key_file_is_an_error_naming_it() {
    let dir = TempDir::new("corrupt");
    std::fs::create_dir_all(dir.path()).expect("the directory");
    let corrupt = dir.path().join(format!("{T0}.ES256.pem"));
    std::fs::write(
        &corrupt,
        "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
    )
    .expect("a file");
    let error = authority(KeyDirectory::new(dir.path()), FixedClock(T0))
        .expect_err("a corrupt key file is refused");
    match &error {
        ConfigError::KeyDirectory(KeyDirectoryError::KeyFile { path, .. }) => {
            assert_eq!(path, &corrupt);
        }
        other => panic!("expected a key file error, got {other:?}"),
    }
    assert!(
        error.to_string().contains(&format!("{T0}.ES256.pem")),
        "the message names the file: {error}"
    );

    // A file that names an algorithm a directory never holds is refused too.
    std::fs::remove_file(&corrupt).expect("removed");
    let hmac = dir.path().join("1.HS256.pem");
    std::fs::write(&hmac, "secret").expect("a file");
    let error = authority(KeyDirectory::new(dir.path()), FixedClock(T0))
        .expect_err("an HMAC key file is refused");
    assert!(error.to_string().contains("1.HS256.pem"), "{error}");
    std::fs::remove_file(&hmac).expect("removed");

    // Files of other shapes are ignored.
    std::fs::write(dir.path().join("README.md"), "keys of the authority").expect("a file");
    std::fs::write(dir.path().join("backup.pem"), "not a key").expect("a file");
    std::fs::create_dir(dir.path().join("1.ES256.pem.d")).expect("a subdirectory");
    let authority = authority(KeyDirectory::new(dir.path()), FixedClock(T0))
        .expect("unrelated files are ignored");

    // A corrupt file appearing later fails the schedule; the authority keeps its keys.
    let kid = authority.signing_kid();
    let later = dir.path().join(format!("{}.ES256.pem", T0 + 1));
    std::fs::write(&later, "garbage").expect("a file");
    let error = authority
        .apply_key_schedule()
        .expect_err("the corrupt file is refused");
    assert!(
        error.to_string().contains(&later.display().to_string()),
        "{error}"
    );
    assert_eq!(authority.signing_kid(), kid);
}

#[test]
fn a_directory_path_that_is_a_file_is_an_error_naming_it() {
    let dir = TempDir::new("not-a-directory");
    std::fs::create_dir_all(dir.path()).expect("the directory");
    let file = dir.path().join("keys");
    std::fs::write(&file, "").expect("a file");
    let error = authority(KeyDirectory::new(&file), FixedClock(T0))
        .expect_err("a file is not a key directory");
    assert!(
        matches!(&error, ConfigError::KeyDirectory(KeyDirectoryError::Directory { path, .. }) if path == &file),
        "{error:?}"
    );
}

#[cfg(unix)]
#[test]
fn key_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = TempDir::new("modes");
    authority(KeyDirectory::new(dir.path()), FixedClock(T0)).expect("an authority");
    let mode = |path: &Path| {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(dir.path()), 0o700, "the directory it created");
    let files = dir.key_files();
    assert_eq!(files.len(), 1);
    assert_eq!(mode(&dir.path().join(&files[0])), 0o600, "the key file");
}

#[test]
fn every_asymmetric_key_exports_as_pkcs8_pem_and_reads_back() {
    for alg in [
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
        Algorithm::RS256,
        Algorithm::PS256,
    ] {
        let key = SigningKey::generate(alg).expect("a key");
        let pem = key.to_pkcs8_pem().expect("the key exports");
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{alg:?}");
        assert!(pem.ends_with("-----END PRIVATE KEY-----\n"), "{alg:?}");
        assert!(pem.lines().all(|line| line.len() <= 64), "{alg:?}");
        let again = SigningKey::from_pem(pem.as_bytes(), alg).expect("the PEM reads back");
        assert_eq!(again.kid(), key.kid(), "{alg:?}");
        assert_eq!(
            again.to_pkcs8_pem().expect("exports again"),
            pem,
            "{alg:?}: the export is stable"
        );
        // The key read back signs tokens the original's public key verifies.
        let authority = Authority::builder()
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .signing_key(again)
            .build()
            .expect("an authority");
        let verifier = Verifier::builder()
            .key(key.verifying_key())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .expect("a verifier");
        let token = authority.issue("alice", ["user"]).expect("a token");
        assert!(verifier.verify(&token).is_ok(), "{alg:?}");
    }
}

#[test]
fn an_rsa_key_read_from_a_file_exports_as_pkcs8() {
    // The key is kept as the PKCS#1 key inside the file's PKCS#8: the export wraps it again.
    let pkcs8 = include_str!("fixtures/rsa_2048_pkcs8.pem");
    let key = SigningKey::from_pem(pkcs8.as_bytes(), Algorithm::RS256).expect("the fixture");
    let pem = key.to_pkcs8_pem().expect("the key exports");
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let again = SigningKey::from_pem(pem.as_bytes(), Algorithm::RS256).expect("reads back");
    assert_eq!(again.kid(), key.kid());
}

#[test]
fn an_hmac_key_is_never_exported() {
    let secret = SigningKey::generate(Algorithm::HS256).expect("a secret");
    let error = secret
        .to_pkcs8_pem()
        .expect_err("an HMAC secret is refused");
    assert!(
        matches!(error, KeyError::WrongAlgorithm { alg: "HS256", .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("HS256"), "{error}");
}

#[test]
fn unsafe_settings_are_refused_before_the_directory_is_touched() {
    let dir = TempDir::new("settings");
    let refused = |keys: KeyDirectory, lifetime: Duration, needle: &str| {
        let error = Authority::builder()
            .issuer(ISSUER)
            .lifetime(lifetime)
            .key_directory(keys)
            .build()
            .expect_err("refused");
        assert!(
            matches!(error, ConfigError::KeySchedule(_)),
            "expected a schedule error, got {error:?}"
        );
        assert!(error.to_string().contains(needle), "{needle}: {error}");
    };
    let lifetime = Duration::from_secs(15 * 60);
    let keys = || KeyDirectory::new(dir.path());
    refused(
        keys().publish_ahead(Duration::from_secs(299)),
        lifetime,
        "cache lifetime of 300 s",
    );
    refused(
        keys()
            .publish_ahead(Duration::from_secs(HOUR))
            .rotation_period(Duration::from_secs(HOUR)),
        lifetime,
        "rotation period",
    );
    refused(
        keys().retention(Duration::from_secs(60)),
        lifetime,
        "shorter than the token lifetime",
    );
    refused(keys().algorithm(Algorithm::HS256), lifetime, "HMAC");
    assert!(
        !dir.path().exists(),
        "no directory made for refused settings"
    );

    // The smallest accepted values.
    Authority::builder()
        .issuer(ISSUER)
        .lifetime(lifetime)
        .key_directory(
            keys()
                .publish_ahead(Duration::from_secs(300))
                .rotation_period(Duration::from_secs(301))
                .retention(lifetime),
        )
        .build()
        .expect("accepted");
}

#[test]
fn a_key_directory_excludes_keys_of_its_own() {
    let dir = TempDir::new("exclusive");
    let key = || SigningKey::generate(Algorithm::ES256).expect("a key");
    for builder in [
        Authority::builder().signing_key(key()),
        Authority::builder().published_key(key()),
    ] {
        let error = builder
            .issuer(ISSUER)
            .key_directory(KeyDirectory::new(dir.path()))
            .build()
            .expect_err("refused");
        assert_eq!(error, ConfigError::KeysAndKeyDirectory);
    }

    // The schedule owns the keys: manual rotation and retirement are refused.
    let authority = authority(KeyDirectory::new(dir.path()), FixedClock(T0)).expect("an authority");
    assert_eq!(
        authority.rotate(key()),
        Err(ConfigError::KeysFromKeyDirectory)
    );
    assert!(!authority.retire(&authority.signing_kid()));

    // An authority with keys of its own has no schedule to apply.
    let own = Authority::builder()
        .issuer(ISSUER)
        .signing_key(key())
        .build()
        .expect("an authority");
    assert_eq!(own.apply_key_schedule(), Ok(false));
}
