//! Sessions in this process: the embedded default.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::{Rotation, SessionRecord};

/// The sessions, the refresh tokens (by hash) and the subjects' cut-offs, behind one lock:
/// a rotation is one atomic step.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    sessions: HashMap<String, SessionRecord>,
    /// Refresh token hash → (session, used before).
    refresh: HashMap<String, (String, bool)>,
    /// Subject → sessions started at or before this instant are over; and until when.
    cutoffs: HashMap<String, (u64, u64)>,
}

impl State {
    /// Drops what no request can reach any more: sessions past their lifetimes, the refresh
    /// tokens of sessions that are gone, cut-offs past every session they could end.
    fn sweep(&mut self, now: u64) {
        let cutoffs = &self.cutoffs;
        self.sessions
            .retain(|_, s| !s.is_over(now, cutoffs.get(&s.sub).map(|c| c.0)));
        let sessions = &self.sessions;
        self.refresh
            .retain(|_, (sid, _)| sessions.contains_key(sid));
        self.cutoffs.retain(|_, (_, until)| *until > now);
    }
}

impl MemoryStore {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn create(&self, record: &SessionRecord, refresh_hash: &str, now: u64) {
        let mut state = self.state();
        state.sweep(now);
        state
            .refresh
            .insert(refresh_hash.to_owned(), (record.sid.clone(), false));
        state.sessions.insert(record.sid.clone(), record.clone());
    }

    pub(crate) fn rotate(&self, old: &str, new: &str, now: u64) -> Rotation {
        let mut state = self.state();
        let Some((sid, used)) = state.refresh.get(old).cloned() else {
            return Rotation::Unknown;
        };
        if used {
            state.sessions.remove(&sid);
            return Rotation::Reused(sid);
        }
        let Some(record) = state.sessions.get(&sid).cloned() else {
            return Rotation::Unknown;
        };
        let cutoff = state.cutoffs.get(&record.sub).map(|c| c.0);
        if record.is_over(now, cutoff) {
            state.sessions.remove(&sid);
            return Rotation::Over(sid);
        }
        state.refresh.insert(old.to_owned(), (sid.clone(), true));
        state.refresh.insert(new.to_owned(), (sid.clone(), false));
        let record = SessionRecord {
            last_used: now,
            ..record
        };
        state.sessions.insert(sid, record.clone());
        Rotation::Rotated(record)
    }

    pub(crate) fn remove(&self, sid: &str) {
        self.state().sessions.remove(sid);
    }

    /// Removes every session of `subject`; their ids.
    pub(crate) fn remove_all_of(&self, subject: &str) -> Vec<String> {
        let mut state = self.state();
        let sids: Vec<String> = state
            .sessions
            .values()
            .filter(|s| s.sub == subject)
            .map(|s| s.sid.clone())
            .collect();
        for sid in &sids {
            state.sessions.remove(sid);
        }
        sids
    }

    pub(crate) fn session_of(&self, refresh_hash: &str) -> Option<String> {
        let state = self.state();
        let (sid, _) = state.refresh.get(refresh_hash)?;
        state.sessions.contains_key(sid).then(|| sid.clone())
    }

    pub(crate) fn cut_off(&self, subject: &str, now: u64, absolute: Duration) {
        let until = now.saturating_add(absolute.as_secs());
        let mut state = self.state();
        state.cutoffs.insert(subject.to_owned(), (now, until));
        state.sweep(now);
    }
}
