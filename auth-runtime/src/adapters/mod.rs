//! Framework adapters, each behind the feature of its name. They only move data between the
//! framework and [`authenticate`](crate::guard::authenticate); no checking logic lives here.

#[cfg(feature = "actix-web")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "poem")]
pub mod poem;
#[cfg(feature = "tonic")]
pub mod tonic;

/// The JSON body of a rejection: the RFC 6750 error code (or `unauthorized` /
/// `server_error`) and the client-safe message.
#[cfg(any(feature = "axum", feature = "actix-web", feature = "poem"))]
pub(crate) fn rejection_body(error: &crate::AuthError) -> String {
    let code = error.error_code().unwrap_or(match error.class() {
        crate::ErrorClass::ServerError => "server_error",
        _ => "unauthorized",
    });
    serde_json::json!({ "error": code, "error_description": error.client_message() }).to_string()
}
