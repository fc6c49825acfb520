//! The `jti`s of client assertions already used (RFC 7523 section 3, item 7): each is refused
//! a second time until the assertion it names has expired anyway.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// Used assertion ids per client, each kept until its assertion's `exp`.
#[derive(Default)]
pub(crate) struct UsedAssertions {
    used: Mutex<HashMap<(String, String), u64>>,
}

impl UsedAssertions {
    /// Whether this is the first use of `jti` by `client` (an assertion valid until `exp`),
    /// remembering it; entries past their expiry at `now` are dropped on the way.
    pub(crate) fn first_use(&self, client: &str, jti: &str, exp: u64, now: u64) -> bool {
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        // Bounded by the assertions alive at once: every entry dies with its assertion.
        used.retain(|_, until| *until >= now);
        let key = (client.to_owned(), jti.to_owned());
        if used.contains_key(&key) {
            return false;
        }
        used.insert(key, exp);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jti_is_used_once_until_it_expires() {
        let used = UsedAssertions::default();
        assert!(used.first_use("reports", "a", 100, 50));
        assert!(!used.first_use("reports", "a", 100, 60), "replayed");
        assert!(
            used.first_use("billing", "a", 100, 60),
            "another client's own"
        );
        assert!(
            used.first_use("reports", "a", 200, 101),
            "forgotten once expired"
        );
    }
}
