//! The process-wide verifier, for protected handlers whose framework state holds none.

use std::sync::OnceLock;

use crate::verifier::Verifier;

static DEFAULT_VERIFIER: OnceLock<Verifier> = OnceLock::new();

/// Installs the process-wide verifier, used by protected handlers whose framework state holds
/// none. Call it once at start-up; a second call returns the verifier back as the error.
pub fn install_default_verifier(verifier: Verifier) -> Result<(), Verifier> {
    DEFAULT_VERIFIER.set(verifier)
}

/// The process-wide verifier, if one was installed.
pub fn default_verifier() -> Option<&'static Verifier> {
    DEFAULT_VERIFIER.get()
}
