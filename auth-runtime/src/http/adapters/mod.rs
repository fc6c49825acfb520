//! Framework adapters, each behind the feature of its name. They only move data between the
//! framework and the guard ([`authenticate_extracted_async`](crate::http::guard::authenticate_extracted_async),
//! [`TokenSource`](crate::http::guard::TokenSource)) and turn an
//! [`AuthRejection`](crate::AuthRejection) into the framework's response; no checking logic
//! lives here.

#[cfg(feature = "actix-web")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "poem")]
pub mod poem;
#[cfg(feature = "rocket")]
pub mod rocket;
#[cfg(feature = "salvo")]
pub mod salvo;
#[cfg(feature = "tonic")]
pub mod tonic;
