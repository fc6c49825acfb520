//! The revocation set a verifier consults: in memory, read on the request path without a
//! network call.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use crate::clock::{Clock, SystemClock};
use crate::error::AuthError;
use crate::observe::GaugeShare;
use crate::revocation::Revocation;
use crate::token::claims::Claims;

/// What a verifier does with a token while its list has lost its source (a feed that cannot
/// reach its server).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RevocationPolicy {
    /// Keep deciding with the revocations known so far (the default): an outage of the
    /// source does not become an outage of the service.
    #[default]
    FailOpen,
    /// Refuse (503) every token issued after the last successful sync, whose revocation the
    /// list could not have heard of; older tokens are decided with the revocations known.
    FailClosed,
}

/// Whether a list is in step with its source, from [`RevocationList::status`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncStatus {
    /// The source was reached at the last attempt and everything it holds is applied.
    pub in_sync: bool,
    /// When the list was last known to hold everything its source held (seconds since the
    /// epoch); `None` before the first sync.
    pub last_sync: Option<u64>,
    /// Revocations held now.
    pub entries: usize,
}

/// The revocations a verifier honours ([`VerifierBuilder::revocations`]): by `jti`, by `sid`,
/// and by subject with an `iat` cut-off. Cheap to clone (shared); `Send + Sync`.
///
/// Lookups happen only when the list changed since a cached token was last checked: a hit of
/// the verified-token cache costs one atomic load while nothing changes, whatever the size of
/// the list, and a revocation applies to cached tokens at once.
///
/// ```
/// use auth_runtime::{AuthError, Revocation, RevocationList};
/// # let (authority, _) = auth_runtime::testing::pair(auth_runtime::Algorithm::ES256);
/// let revocations = RevocationList::new();
/// let verifier = authority.verifier().revocations(revocations.clone()).build()?;
/// let token = authority.token("bob").jti("t-1").claim("sid", "s-1").issue()?;
/// assert!(verifier.verify(&token).is_ok());
///
/// revocations.revoke(&Revocation::session("s-1", u64::MAX));
/// assert!(matches!(verifier.verify(&token), Err(AuthError::Revoked)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`VerifierBuilder::revocations`]: crate::VerifierBuilder::revocations
#[derive(Clone)]
pub struct RevocationList {
    inner: Arc<Inner>,
}

struct Inner {
    /// Changes after every change of the entries or of the sync state, so a cached token
    /// checked under the current epoch needs no lookup.
    epoch: AtomicU64,
    entries: RwLock<Entries>,
    policy: RevocationPolicy,
    in_sync: AtomicBool,
    /// Seconds since the epoch; 0 before the first sync.
    last_sync: AtomicU64,
    clock: Arc<dyn Clock>,
    /// This list's share of the revocations gauge.
    gauge: GaugeShare,
}

#[derive(Default)]
struct Entries {
    /// `jti` → until.
    tokens: HashMap<String, u64>,
    /// `sid` → until.
    sessions: HashMap<String, u64>,
    /// `sub` → (issued until, until).
    subjects: HashMap<String, (u64, u64)>,
    /// When entries past their `until` are next dropped.
    next_sweep: u64,
}

/// How often entries past their `until` are dropped, at most.
const SWEEP_EVERY: u64 = 60;

impl Entries {
    fn len(&self) -> usize {
        self.tokens.len() + self.sessions.len() + self.subjects.len()
    }

    /// Adds `revocation`; whether it changed anything.
    fn add(&mut self, revocation: &Revocation) -> bool {
        fn later(slot: &mut u64, until: u64) -> bool {
            let changed = until > *slot;
            *slot = (*slot).max(until);
            changed
        }
        match revocation {
            Revocation::Token { jti, until } => {
                later(self.tokens.entry(jti.clone()).or_default(), *until)
            }
            Revocation::Session { sid, until } => {
                later(self.sessions.entry(sid.clone()).or_default(), *until)
            }
            Revocation::Subject {
                sub,
                issued_until,
                until,
            } => {
                let slot = self.subjects.entry(sub.clone()).or_default();
                let changed = *issued_until > slot.0 || *until > slot.1;
                *slot = (slot.0.max(*issued_until), slot.1.max(*until));
                changed
            }
        }
    }

    fn sweep(&mut self, now: u64) {
        if now < self.next_sweep {
            return;
        }
        self.tokens.retain(|_, until| *until > now);
        self.sessions.retain(|_, until| *until > now);
        self.subjects.retain(|_, (_, until)| *until > now);
        self.next_sweep = now.saturating_add(SWEEP_EVERY);
    }

    fn names(&self, claims: &Claims) -> bool {
        let listed = |map: &HashMap<String, u64>, key: Option<&str>| {
            key.is_some_and(|key| map.contains_key(key))
        };
        listed(&self.tokens, claims.jti.as_deref())
            || listed(&self.sessions, claims.sid())
            || claims.sub.as_deref().is_some_and(|sub| {
                // A token without `iat` cannot show it was issued after the cut-off.
                self.subjects
                    .get(sub)
                    .is_some_and(|(issued_until, _)| claims.iat.unwrap_or(0) <= *issued_until)
            })
    }
}

impl fmt::Debug for RevocationList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationList")
            .field("policy", &self.inner.policy)
            .field("status", &self.status())
            .finish()
    }
}

impl Default for RevocationList {
    fn default() -> Self {
        Self::new()
    }
}

impl RevocationList {
    /// An empty list, in sync (nothing feeds it but the process itself), failing open, on
    /// the system clock.
    pub fn new() -> Self {
        Self::build(RevocationPolicy::FailOpen, Arc::new(SystemClock), true)
    }

    /// An empty list for a feed to fill ([`RedisRevocations::follow`]): not in sync until the
    /// feed's first sync, so that under [`RevocationPolicy::FailClosed`] nothing issued
    /// before the list heard from its source gets in.
    ///
    /// [`RedisRevocations::follow`]: crate::revocation::redis::RedisRevocations::follow
    pub fn fed(policy: RevocationPolicy) -> Self {
        Self::build(policy, Arc::new(SystemClock), false)
    }

    /// [`fed`](Self::fed) on another clock (tests).
    pub fn fed_with_clock(policy: RevocationPolicy, clock: impl Clock) -> Self {
        Self::build(policy, Arc::new(clock), false)
    }

    fn build(policy: RevocationPolicy, clock: Arc<dyn Clock>, in_sync: bool) -> Self {
        let now = clock.now();
        RevocationList {
            inner: Arc::new(Inner {
                epoch: AtomicU64::new(1),
                entries: RwLock::new(Entries::default()),
                policy,
                in_sync: AtomicBool::new(in_sync),
                last_sync: AtomicU64::new(if in_sync { now } else { 0 }),
                clock,
                gauge: GaugeShare::revocations(),
            }),
        }
    }

    /// Adds one revocation; it applies to every verifier using this list, cached tokens
    /// included, when this returns. Returns whether it changed the list (a repeated
    /// revocation does not). An entry already past its `until` is not kept.
    pub fn revoke(&self, revocation: &Revocation) -> bool {
        self.revoke_all(std::slice::from_ref(revocation)) > 0
    }

    /// Adds many revocations at once (a feed catching up); returns how many changed the list.
    pub fn revoke_all<'a>(&self, revocations: impl IntoIterator<Item = &'a Revocation>) -> usize {
        let now = self.inner.clock.now();
        let mut entries = self.write();
        let changed = revocations
            .into_iter()
            .filter(|r| r.until() > now)
            .filter(|r| entries.add(r))
            .count();
        entries.sweep(now);
        self.inner.gauge.set(entries.len());
        drop(entries);
        if changed > 0 {
            self.bump();
        }
        changed
    }

    /// Whether `claims` are revoked (by `jti`, `sid`, or their subject's cut-off).
    pub fn is_revoked(&self, claims: &Claims) -> bool {
        self.read().names(claims)
    }

    /// The verifier's decision: revoked, not known (failing closed, out of sync, issued
    /// after the last sync), or neither.
    pub(crate) fn check(&self, claims: &Claims) -> Result<(), AuthError> {
        if self.is_revoked(claims) {
            return Err(AuthError::Revoked);
        }
        if self.inner.policy == RevocationPolicy::FailClosed
            && !self.inner.in_sync.load(Ordering::Acquire)
        {
            let last_sync = self.inner.last_sync.load(Ordering::Acquire);
            if claims.iat.is_none_or(|iat| iat > last_sync) {
                return Err(AuthError::RevocationUnknown);
            }
        }
        Ok(())
    }

    /// Changes whenever the entries or the sync state change.
    #[inline]
    pub(crate) fn epoch(&self) -> u64 {
        self.inner.epoch.load(Ordering::Acquire)
    }

    fn bump(&self) {
        self.inner.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Records that the list holds everything its source held at `at` (seconds since the
    /// epoch), for a feed of your own.
    pub fn record_sync(&self, at: u64) {
        self.inner.last_sync.fetch_max(at, Ordering::AcqRel);
        if !self.inner.in_sync.swap(true, Ordering::AcqRel) {
            self.bump();
        }
    }

    /// Records that the list's source cannot be reached, for a feed of your own: under
    /// [`RevocationPolicy::FailClosed`], tokens issued after the last sync are refused until
    /// the next [`record_sync`](Self::record_sync).
    pub fn record_sync_lost(&self) {
        if self.inner.in_sync.swap(false, Ordering::AcqRel) {
            self.bump();
        }
    }

    /// Whether the list is in step with its source, and how many entries it holds.
    pub fn status(&self) -> SyncStatus {
        let last_sync = self.inner.last_sync.load(Ordering::Acquire);
        SyncStatus {
            in_sync: self.inner.in_sync.load(Ordering::Acquire),
            last_sync: (last_sync > 0).then_some(last_sync),
            entries: self.len(),
        }
    }

    /// Revocations held now.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether no revocation is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The policy chosen at construction.
    pub fn policy(&self) -> RevocationPolicy {
        self.inner.policy
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        self.inner
            .entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        self.inner
            .entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;

    fn claims(sub: &str, jti: &str, sid: &str, iat: u64) -> Claims {
        let mut claims = Claims::for_subject(sub);
        claims.jti = Some(jti.into());
        claims.extra.insert("sid".into(), sid.into());
        claims.iat = Some(iat);
        claims
    }

    #[test]
    fn each_kind_names_its_tokens_only() {
        let list = RevocationList::new();
        let bob = claims("bob", "t1", "s1", 100);
        assert!(!list.is_revoked(&bob));
        list.revoke(&Revocation::token("t2", u64::MAX));
        list.revoke(&Revocation::session("s2", u64::MAX));
        list.revoke(&Revocation::subject_before("alice", 1_000, u64::MAX));
        assert!(!list.is_revoked(&bob));
        assert!(list.is_revoked(&claims("bob", "t2", "s1", 100)));
        assert!(list.is_revoked(&claims("bob", "t1", "s2", 100)));
        assert!(list.is_revoked(&claims("alice", "t1", "s1", 1_000)));
        assert!(!list.is_revoked(&claims("alice", "t1", "s1", 1_001)));
        let mut no_iat = claims("alice", "t1", "s1", 0);
        no_iat.iat = None;
        assert!(list.is_revoked(&no_iat));
    }

    #[test]
    fn the_epoch_moves_on_changes_only() {
        let list = RevocationList::new();
        let before = list.epoch();
        assert!(list.revoke(&Revocation::token("t", u64::MAX)));
        let after = list.epoch();
        assert_ne!(before, after);
        assert!(!list.revoke(&Revocation::token("t", u64::MAX)), "repeated");
        assert_eq!(list.epoch(), after);
        // A later cut-off for the same subject is a change.
        list.revoke(&Revocation::subject_before("bob", 10, u64::MAX));
        let e = list.epoch();
        list.revoke(&Revocation::subject_before("bob", 5, u64::MAX));
        assert_eq!(list.epoch(), e, "an earlier cut-off changes nothing");
        list.revoke(&Revocation::subject_before("bob", 20, u64::MAX));
        assert_ne!(list.epoch(), e);
    }

    #[test]
    fn entries_past_their_until_are_dropped() {
        let list = RevocationList::fed_with_clock(RevocationPolicy::FailOpen, FixedClock(1_000));
        assert!(!list.revoke(&Revocation::token("old", 999)), "already over");
        list.revoke(&Revocation::token("new", 2_000));
        assert_eq!(list.len(), 1);
    }

    #[test]
    fn failing_closed_refuses_tokens_after_the_last_sync_only() {
        let list = RevocationList::fed_with_clock(RevocationPolicy::FailClosed, FixedClock(1_000));
        let at = |iat| claims("bob", "t", "s", iat);
        assert!(
            matches!(list.check(&at(10)), Err(AuthError::RevocationUnknown)),
            "never synced"
        );
        list.record_sync(500);
        assert!(list.check(&at(900)).is_ok());
        let epoch = list.epoch();
        list.record_sync_lost();
        assert_ne!(list.epoch(), epoch, "cached tokens are checked again");
        assert!(list.check(&at(500)).is_ok());
        assert!(matches!(
            list.check(&at(501)),
            Err(AuthError::RevocationUnknown)
        ));
        list.record_sync(600);
        assert!(list.check(&at(900)).is_ok());

        let open = RevocationList::fed_with_clock(RevocationPolicy::FailOpen, FixedClock(1_000));
        assert!(open.check(&at(10)).is_ok());
    }
}
