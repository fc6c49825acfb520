//! The verified token each thread found or verified last, per cache: a token sent again and
//! again (a service calling with its one token, a client on a keep-alive connection) is
//! answered without hashing it and without touching the shared cache's locks, whose cache
//! lines every core would otherwise write for the same hot token.
//!
//! Only a shortcut to an entry of the verified-token cache: the cache checks the entry's
//! validity (`exp`, maximum age, key-set generation) on every hit, from here or not. Each thread
//! holds at most one entry, which may outlive its eviction from the cache until the thread sees
//! another token.

use std::cell::RefCell;
use std::sync::Arc;

use crate::verifier::cache::Entry;

thread_local! {
    static RECENT: RefCell<Option<(u64, Arc<Entry>)>> = const { RefCell::new(None) };
}

/// The entry of `token` if it is the one this thread saw last in cache `cache_id`.
#[inline]
pub(crate) fn get(cache_id: u64, token: &[u8]) -> Option<Arc<Entry>> {
    RECENT
        .try_with(|slot| {
            let slot = slot.try_borrow().ok()?;
            let (id, entry) = slot.as_ref()?;
            (*id == cache_id && *entry.token == *token).then(|| Arc::clone(entry))
        })
        .ok()
        .flatten()
}

/// Makes `entry` of cache `cache_id` this thread's last one.
#[inline]
pub(crate) fn remember(cache_id: u64, entry: &Arc<Entry>) {
    // During thread teardown there is no slot any more; nothing to remember then.
    let _ = RECENT.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = Some((cache_id, Arc::clone(entry)));
        }
    });
}
