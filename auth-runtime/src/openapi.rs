//! OpenAPI documents from the attributes (feature `openapi`, with
//! [utoipa](https://docs.rs/utoipa)): a protected handler that also carries
//! `#[utoipa::path(..)]` has its operation's security requirement and its refusals (401 and
//! 403, with the body and challenge the verifier sends) written into that attribute by
//! `#[protected]`, `#[requires_role]` or `#[requires_scope]`, from the same role and scope
//! names they check. [`BearerSecurity`] declares the scheme those requirements name.
//!
//! Put `#[utoipa::path]` below the `auth` attribute: attributes expand from the top, so the
//! `auth` one must see it. The requirement lists the roles or scopes a token needs (OpenAPI
//! 3.1 allows role names in the requirement of a non-OAuth scheme); an `any_of` gives one
//! alternative requirement each; a handler that also admits anonymous requests
//! (`Option<Claims>`) lists the empty requirement too. Checks beyond roles and scopes (claims,
//! callers, check functions) are not in the requirement, and are summed up in the 403's
//! description.
//!
//! ```
//! use auth_runtime::openapi::BearerSecurity;
//! use utoipa::OpenApi;
//!
//! #[derive(OpenApi)]
//! #[openapi(modifiers(&BearerSecurity))]
//! struct Api;
//!
//! let document = Api::openapi();
//! let schemes = &document.components.as_ref().unwrap().security_schemes;
//! assert!(schemes.contains_key(auth_runtime::openapi::SECURITY_SCHEME));
//! ```

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Components, OpenApi};

/// The name of the security scheme every generated requirement names: `bearer`.
pub const SECURITY_SCHEME: &str = "bearer";

/// Declares [`SECURITY_SCHEME`] in a document's components: HTTP bearer authentication with
/// JWTs (RFC 6750). Add it to the document with `#[openapi(modifiers(&BearerSecurity))]`.
///
/// ```
/// use utoipa::Modify as _;
///
/// let mut document = utoipa::openapi::OpenApi::default();
/// auth_runtime::openapi::BearerSecurity.modify(&mut document);
/// let json = document.to_json()?;
/// assert!(json.contains(r#""bearer":{"type":"http","scheme":"bearer","bearerFormat":"JWT""#));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct BearerSecurity;

impl utoipa::Modify for BearerSecurity {
    fn modify(&self, openapi: &mut OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "A JWT access token of the authority in `Authorization: Bearer <token>`",
            ))
            .build();
        // Added to the components already collected, never in their place.
        openapi
            .components
            .get_or_insert_with(Components::new)
            .add_security_scheme(SECURITY_SCHEME, SecurityScheme::Http(scheme));
    }
}

/// The body of a refusal with the verifier's default
/// [`RejectionBody::Json`](crate::RejectionBody::Json): the RFC 6750 error code and a
/// message safe to show the client. (A verifier configured with another body sends that
/// instead.)
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RefusalBody {
    /// The error code: `invalid_token`, `insufficient_scope`, `invalid_request`,
    /// `csrf_failed`, `unauthorized` (no credentials), ...
    pub error: String,
    /// What went wrong, for the client's developer.
    pub error_description: String,
}
