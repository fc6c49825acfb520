//! Where "now" comes from: the system clock in production, a fixed instant in tests.

use std::fmt::Debug;
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time as seconds since the Unix epoch (a JWT `NumericDate`).
///
/// Inject a [`FixedClock`] into a [`VerifierBuilder`](crate::VerifierBuilder) or an
/// [`AuthorityBuilder`](crate::AuthorityBuilder) to test expiry without waiting.
pub trait Clock: Send + Sync + Debug + 'static {
    /// Seconds since 1970-01-01T00:00:00Z.
    fn now(&self) -> u64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        // A clock before 1970 is treated as 1970: every token then looks not yet valid or
        // issued in the future, so this fails closed.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

/// A clock stopped at one instant, for tests.
///
/// ```
/// use auth_runtime::{Clock, FixedClock};
/// assert_eq!(FixedClock(1_300_819_370).now(), 1_300_819_370);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub u64);

impl Clock for FixedClock {
    fn now(&self) -> u64 {
        self.0
    }
}
