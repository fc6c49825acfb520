//! Audit events: one `tracing` event per decision, on target [`AUDIT_TARGET`] at level INFO,
//! once turned on with [`set_audit_events`] (off by default, for the whole process: the
//! subscriber then routes or filters the target like any other).
//!
//! Fields: `outcome` (`allowed`, `refused`), `class` and `reason` (as in the metrics' labels),
//! and what the token said of who made the request once its signature verified: `issuer`,
//! `subject`, `client`, `jti`; then `route`, the request's path when the adapter knows it.
//! Never the token, nor any claim beyond these.

use crate::error::AuthError;
use crate::token::claims::Claims;

use std::sync::atomic::{AtomicBool, Ordering};

/// The `tracing` target of the audit events, to route them to a sink of their own.
pub const AUDIT_TARGET: &str = "auth::audit";

static AUDIT_EVENTS: AtomicBool = AtomicBool::new(false);

/// Turns the audit events on or off for the whole process (off by default): one event per
/// decision of every check point (the handlers' guards, the layer, the gRPC interceptor, the
/// explicit-source style), at INFO on target [`AUDIT_TARGET`]. Fields: `outcome` (`allowed`,
/// `refused`), `class` and `reason`, then what a verified token says of the caller (`issuer`,
/// `subject`, `client`, `jti`) and the request's `route` (its path) when the adapter knows
/// it. Never the token itself.
///
/// ```
/// auth_runtime::observe::set_audit_events(true);
/// assert!(auth_runtime::observe::audit_events());
/// # auth_runtime::observe::set_audit_events(false);
/// ```
pub fn set_audit_events(on: bool) {
    AUDIT_EVENTS.store(on, Ordering::Relaxed);
}

/// Whether the audit events are on ([`set_audit_events`]).
#[inline]
pub fn audit_events() -> bool {
    AUDIT_EVENTS.load(Ordering::Relaxed)
}

pub(crate) fn allowed(claims: &Claims, route: Option<&str>) {
    tracing::info!(
        target: "auth::audit",
        outcome = "allowed",
        class = "none",
        reason = "ok",
        issuer = claims.iss.as_deref(),
        subject = claims.sub.as_deref(),
        client = claims.caller(),
        jti = claims.jti.as_deref(),
        route,
        "access allowed"
    );
}

pub(crate) fn anonymous(route: Option<&str>) {
    tracing::info!(
        target: "auth::audit",
        outcome = "allowed",
        class = "none",
        reason = "anonymous",
        route,
        "access allowed without credentials"
    );
}

pub(crate) fn refused(error: &AuthError, claims: Option<&Claims>, route: Option<&str>) {
    let reply = error.reply();
    tracing::info!(
        target: "auth::audit",
        outcome = "refused",
        class = reply.class().as_str(),
        reason = reply.reason(),
        issuer = claims.and_then(|c| c.iss.as_deref()),
        subject = claims.and_then(|c| c.sub.as_deref()),
        client = claims.and_then(Claims::caller),
        jti = claims.and_then(|c| c.jti.as_deref()),
        route,
        "access refused"
    );
}
