//! Every failure of the request path, with its HTTP meaning (RFC 6750), and the errors of
//! setting things up (keys, verifier and authority configuration, token issuing).

use std::borrow::Cow;

use http::{HeaderValue, StatusCode};

/// Why a request was not let through.
///
/// Each variant knows its HTTP [status](AuthError::status), its RFC 6750
/// [`WWW-Authenticate`](AuthError::www_authenticate) challenge and a
/// [client-safe message](AuthError::client_message). `Display` gives the precise cause, for
/// logs only: never send it to the client.
///
/// | variant group | status | `WWW-Authenticate` |
/// | --- | --- | --- |
/// | no credentials ([`MissingCredentials`](AuthError::MissingCredentials), [`UnsupportedScheme`](AuthError::UnsupportedScheme)) | 401 | `Bearer realm="..."` |
/// | malformed request (empty token, bad characters, two headers) | 400 | `Bearer realm="...", error="invalid_request"` |
/// | bad token (signature, expiry, issuer, audience, key, shape, ...) | 401 | `Bearer realm="...", error="invalid_token"` |
/// | valid token, missing role or scope | 403 | `Bearer realm="...", error="insufficient_scope"` |
/// | token from a cookie, CSRF header missing or wrong | 403 | none |
/// | refused by the handler's [check function](crate::guard::Check) | 403, 404 or 503, as it says | 403 `insufficient_scope`; none for 404 and 503 |
/// | no verifier configured, a handler's own token locations invalid, a check function its adapter cannot run | 500 | none |
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    // ----- no credentials: 401 without an error code -----
    /// The request carries no `Authorization` header (nor any other configured token source).
    #[error("no credentials: the request has no Authorization header")]
    MissingCredentials,
    /// The `Authorization` header uses another scheme than `Bearer` (for example `Basic`).
    #[error("the Authorization header uses another scheme than Bearer")]
    UnsupportedScheme,

    // ----- malformed request: 400 invalid_request -----
    /// The request carries more than one `Authorization` header.
    #[error("the request has {count} Authorization headers")]
    MultipleAuthorizationHeaders {
        /// How many headers were found.
        count: usize,
    },
    /// `Authorization: Bearer` with no token after it (or an empty token in another
    /// configured header).
    #[error("the Authorization header has the Bearer scheme but no token")]
    EmptyToken,
    /// The request carries a token in more than one place (two configured locations, or two
    /// cookies or query parameters of the same name): never a silent choice.
    #[error("the request carries an access token in more than one place")]
    TokenInSeveralPlaces,
    /// The header or the token holds a character that a bearer token cannot contain.
    #[error("the bearer token contains a character outside the RFC 6750 token alphabet")]
    InvalidCharacter,

    // ----- bad token: 401 invalid_token -----
    /// The token is longer than the verifier's maximum; it was not decoded.
    #[error("the token is {len} bytes long, more than the maximum of {max}")]
    TokenTooLong {
        /// Length of the token.
        len: usize,
        /// Configured maximum.
        max: usize,
    },
    /// The token is not a compact JWS: wrong number of parts, bad base64url, bad JSON.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// The header names `none` (in any casing) or an algorithm this crate does not verify.
    #[error("the token's algorithm is not accepted: {0}")]
    UnsupportedAlgorithm(String),
    /// The header lists a critical extension (`crit`) that this verifier does not understand.
    #[error("the token requires a critical header extension this verifier does not support")]
    UnsupportedCritical,
    /// The header's `typ` is not the one the verifier requires.
    #[error("the token's typ header is not the required one")]
    InvalidType,
    /// No key of the verifier matches the token's `kid`.
    #[error("no key matches the token's kid")]
    UnknownKey,
    /// The key named by `kid` is bound to another algorithm than the header's `alg`.
    #[error("the token's alg {header} does not match its key's algorithm {key}")]
    AlgorithmMismatch {
        /// Algorithm named in the token header.
        header: String,
        /// Algorithm the key is bound to.
        key: &'static str,
    },
    /// The signature does not verify with the key.
    #[error("the signature does not verify")]
    InvalidSignature,
    /// `exp` is in the past (beyond the leeway).
    #[error("the token expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("the token is not valid yet (nbf)")]
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    #[error("the token was issued in the future (iat)")]
    IssuedInFuture,
    /// A claim the verifier requires is absent.
    #[error("the required claim `{0}` is missing")]
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type or an impossible value.
    #[error("the claim `{0}` has the wrong type or value")]
    InvalidClaim(String),
    /// The verified claims do not fit the handler's own claims type (a `#[claims]` parameter or
    /// [`Verifier::verify_as`](crate::Verifier::verify_as)): a field it needs is missing or of
    /// another type.
    #[error("the claims do not fit the handler's claims type: {0}")]
    ClaimsTypeMismatch(String),
    /// `iss` is not one of the expected issuers.
    #[error("the token's issuer is not trusted")]
    InvalidIssuer,
    /// `aud` names none of the expected audiences.
    #[error("the token is not meant for this audience")]
    InvalidAudience,

    // ----- valid token, not enough rights: 403 insufficient_scope -----
    /// The token is valid but lacks the role or scope the handler requires.
    #[error("the token lacks the required {kind}: {required}")]
    InsufficientScope {
        /// Roles, scopes, or both.
        kind: crate::requirement::RequirementKind,
        /// Human-readable requirement, for example `admin` or `any(admin, auditor)`.
        required: String,
    },

    // ----- refused by the handler's check function -----
    /// The handler's [check function](crate::guard::Check) refused the request (`false`, or
    /// [`AuthError::forbidden`]): 403 `insufficient_scope`, like a missing role. The reason
    /// is for logs.
    #[error("the check function refused the request: {0}")]
    Forbidden(Cow<'static, str>),
    /// The handler's check function answered 404 ([`AuthError::not_found`]): a caller who may
    /// not see a resource is not told that it exists. No challenge; the reason is for logs.
    #[error("the check function answered not found: {0}")]
    NotFound(Cow<'static, str>),
    /// The handler's check function could not decide, a dependency it asks being away
    /// ([`AuthError::check_unavailable`]): 503, the request refused rather than let in. No
    /// challenge; the reason is for logs.
    #[error("the check function could not decide: {0}")]
    CheckUnavailable(Cow<'static, str>),

    // ----- revocation -----
    /// The token, its session (`sid`) or every token of its subject issued until then was
    /// revoked ([`RevocationList`](crate::RevocationList)): 401 `invalid_token`.
    #[error("the token has been revoked")]
    Revoked,
    /// The verifier's revocation list fails closed and has not heard from its source since
    /// before the token was issued: 503, refused rather than let in unchecked.
    #[error("the revocation list is out of date for a token issued after its last sync")]
    RevocationUnknown,

    // ----- cross-site request: 403 without a challenge -----
    /// A token came in a cookie on a request with an unsafe method, and the CSRF header is
    /// missing or does not match (see [`Csrf`](crate::Csrf)).
    #[error("the CSRF header of a cookie-authenticated request is missing or does not match")]
    CsrfMismatch,

    // ----- server side: 500 -----
    /// No verifier is configured for this handler: a server misconfiguration, never an open door.
    #[error(
        "no verifier is configured (neither in the framework state nor as the process default)"
    )]
    VerifierMissing,
    /// The handler's own token locations (`#[protected(token_locations = ...)]`) cannot be
    /// used: a server misconfiguration, logged with the reason.
    #[error("the handler's token locations are invalid: {0}")]
    InvalidTokenLocations(&'static str),
    /// The handler names a [check function](crate::guard::Check), and its adapter reached the
    /// guard through an entry that cannot run it (the token alone, or the explicit-source
    /// style): a server misconfiguration, refused rather than let in unchecked.
    #[error(
        "the handler names a check function, which this adapter's entry into the guard cannot run"
    )]
    CheckNotRun,
}

/// The RFC 6750 error code family of an [`AuthError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// No credentials were offered: 401 without an error code.
    NoCredentials,
    /// `invalid_request`: 400.
    InvalidRequest,
    /// `invalid_token`: 401.
    InvalidToken,
    /// `insufficient_scope`: 403.
    InsufficientScope,
    /// A cookie-authenticated request failed its CSRF check: 403, without a challenge (the
    /// token is fine; the request did not come from the application's own pages).
    CrossSiteRequest,
    /// The server is misconfigured: 500.
    ServerError,
    /// A check function answered that the resource does not exist for this caller: 404.
    NotFound,
    /// A check function could not decide: 503.
    Unavailable,
}

impl ErrorClass {
    /// The class's name, as the metrics' `class` label and the audit events give it.
    ///
    /// ```
    /// use auth_runtime::AuthError;
    /// assert_eq!(AuthError::Expired.class().as_str(), "invalid_token");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::NoCredentials => "no_credentials",
            ErrorClass::InvalidRequest => "invalid_request",
            ErrorClass::InvalidToken => "invalid_token",
            ErrorClass::InsufficientScope => "insufficient_scope",
            ErrorClass::CrossSiteRequest => "cross_site_request",
            ErrorClass::ServerError => "server_error",
            ErrorClass::NotFound => "not_found",
            ErrorClass::Unavailable => "unavailable",
        }
    }
}

/// The responses a client can receive, one per distinct status, challenge and body: every
/// [`AuthError`] maps to one, so each can be rendered once per realm and reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reply {
    NoCredentials,
    MultipleHeaders,
    MalformedHeader,
    InvalidToken,
    Expired,
    Revoked,
    Forbidden,
    SeveralTokens,
    CrossSite,
    ServerError,
    NotFound,
    Unavailable,
}

/// The body's `error` member and the client message of each reply, and the JSON body made of
/// them (the messages hold no character JSON would escape; a test checks it).
macro_rules! replies {
    ($($reply:ident => $code:literal, $message:literal;)*) => {
        impl Reply {
            /// Every reply, in the order of [`Reply::index`].
            pub(crate) const ALL: [Reply; 12] = [$(Reply::$reply),*];

            /// What the client may be told.
            pub(crate) fn message(self) -> &'static str {
                match self { $(Reply::$reply => $message,)* }
            }

            /// The body's `error` member.
            pub(crate) fn body_code(self) -> &'static str {
                match self { $(Reply::$reply => $code,)* }
            }

            /// The JSON body: `{"error":..,"error_description":..}`.
            pub(crate) fn body(self) -> &'static str {
                match self {
                    $(Reply::$reply => concat!(
                        r#"{"error":""#, $code, r#"","error_description":""#, $message, r#""}"#
                    ),)*
                }
            }
        }
    };
}

replies! {
    NoCredentials => "unauthorized", "authentication required";
    MultipleHeaders => "invalid_request", "the request has more than one Authorization header";
    MalformedHeader => "invalid_request", "the Authorization header is malformed";
    InvalidToken => "invalid_token", "the access token is invalid";
    Expired => "invalid_token", "the access token expired";
    Revoked => "invalid_token", "the access token has been revoked";
    Forbidden => "insufficient_scope", "the access token does not grant this operation";
    SeveralTokens => "invalid_request", "the request carries an access token in more than one place";
    CrossSite => "csrf_failed", "the request's CSRF token is missing or does not match";
    ServerError => "server_error", "authentication is not configured on this server";
    NotFound => "not_found", "no such resource";
    Unavailable => "temporarily_unavailable", "the request cannot be decided now; try again later";
}

impl Reply {
    /// The HTTP status of this reply.
    pub(crate) fn status(self) -> StatusCode {
        match self.class() {
            ErrorClass::NoCredentials | ErrorClass::InvalidToken => StatusCode::UNAUTHORIZED,
            ErrorClass::InvalidRequest => StatusCode::BAD_REQUEST,
            ErrorClass::InsufficientScope | ErrorClass::CrossSiteRequest => StatusCode::FORBIDDEN,
            ErrorClass::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorClass::NotFound => StatusCode::NOT_FOUND,
            ErrorClass::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The reply's name in the metrics' `reason` label and the audit events.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Reply::NoCredentials => "no_credentials",
            Reply::MultipleHeaders => "multiple_headers",
            Reply::MalformedHeader => "malformed_header",
            Reply::InvalidToken => "invalid_token",
            Reply::Expired => "expired",
            Reply::Revoked => "revoked",
            Reply::Forbidden => "forbidden",
            Reply::SeveralTokens => "several_tokens",
            Reply::CrossSite => "cross_site",
            Reply::ServerError => "server_error",
            Reply::NotFound => "not_found",
            Reply::Unavailable => "unavailable",
        }
    }

    /// The position of this reply in [`Reply::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The class of this reply.
    pub(crate) fn class(self) -> ErrorClass {
        match self {
            Reply::NoCredentials => ErrorClass::NoCredentials,
            Reply::MultipleHeaders | Reply::MalformedHeader | Reply::SeveralTokens => {
                ErrorClass::InvalidRequest
            }
            Reply::InvalidToken | Reply::Expired | Reply::Revoked => ErrorClass::InvalidToken,
            Reply::Forbidden => ErrorClass::InsufficientScope,
            Reply::CrossSite => ErrorClass::CrossSiteRequest,
            Reply::ServerError => ErrorClass::ServerError,
            Reply::NotFound => ErrorClass::NotFound,
            Reply::Unavailable => ErrorClass::Unavailable,
        }
    }

    /// The RFC 6750 `error` code of the challenge, if any.
    fn code(self) -> Option<&'static str> {
        match self.class() {
            ErrorClass::NoCredentials
            | ErrorClass::ServerError
            | ErrorClass::CrossSiteRequest
            | ErrorClass::NotFound
            | ErrorClass::Unavailable => None,
            ErrorClass::InvalidRequest => Some("invalid_request"),
            ErrorClass::InvalidToken => Some("invalid_token"),
            ErrorClass::InsufficientScope => Some("insufficient_scope"),
        }
    }

    /// The `WWW-Authenticate` challenge in `realm`, or `None` for a server error.
    pub(crate) fn challenge(self, realm: &str) -> Option<HeaderValue> {
        if matches!(
            self.class(),
            ErrorClass::ServerError
                | ErrorClass::CrossSiteRequest
                | ErrorClass::NotFound
                | ErrorClass::Unavailable
        ) {
            return None;
        }
        let mut value = String::with_capacity(96);
        value.push_str("Bearer realm=\"");
        push_quoted(&mut value, realm);
        value.push('"');
        if let Some(code) = self.code() {
            value.push_str(", error=\"");
            value.push_str(code);
            value.push_str("\", error_description=\"");
            value.push_str(self.message());
            value.push('"');
        }
        // The realm is configuration, not request input; fall back to a bare challenge if it
        // holds bytes a header cannot carry.
        HeaderValue::from_str(&value)
            .ok()
            .or(Some(HeaderValue::from_static("Bearer")))
    }
}

impl AuthError {
    /// A check function's refusal: 403 `insufficient_scope`; `reason` goes to the logs only.
    ///
    /// ```
    /// use auth_runtime::AuthError;
    /// assert_eq!(AuthError::forbidden("not the owner").status(), 403);
    /// assert_eq!(AuthError::not_found("not the owner").status(), 404);
    /// assert_eq!(AuthError::check_unavailable("owner lookup timed out").status(), 503);
    /// ```
    pub fn forbidden(reason: impl Into<Cow<'static, str>>) -> Self {
        AuthError::Forbidden(reason.into())
    }

    /// A check function's refusal that does not reveal the resource exists: 404.
    pub fn not_found(reason: impl Into<Cow<'static, str>>) -> Self {
        AuthError::NotFound(reason.into())
    }

    /// A check function that could not decide (its database is away): 503, never let in.
    pub fn check_unavailable(reason: impl Into<Cow<'static, str>>) -> Self {
        AuthError::CheckUnavailable(reason.into())
    }

    /// Which RFC 6750 family this error belongs to.
    pub fn class(&self) -> ErrorClass {
        self.reply().class()
    }

    /// The HTTP status this error maps to (docs/design.md, "HTTP error contract").
    ///
    /// ```
    /// use auth_runtime::AuthError;
    /// assert_eq!(AuthError::MissingCredentials.status(), 401);
    /// assert_eq!(AuthError::EmptyToken.status(), 400);
    /// assert_eq!(AuthError::Expired.status(), 401);
    /// assert_eq!(AuthError::VerifierMissing.status(), 500);
    /// ```
    pub fn status(&self) -> StatusCode {
        self.reply().status()
    }

    /// The RFC 6750 `error` code, if this error has one.
    pub fn error_code(&self) -> Option<&'static str> {
        self.reply().code()
    }

    /// What the client may be told: short, stable, and never the check that failed in a way
    /// that helps forge a token. The precise cause is in `Display`, for logs.
    pub fn client_message(&self) -> &'static str {
        self.reply().message()
    }

    /// Which of the few responses a client can receive this error gets.
    pub(crate) fn reply(&self) -> Reply {
        match self {
            AuthError::MissingCredentials | AuthError::UnsupportedScheme => Reply::NoCredentials,
            AuthError::MultipleAuthorizationHeaders { .. } => Reply::MultipleHeaders,
            AuthError::TokenInSeveralPlaces => Reply::SeveralTokens,
            AuthError::CsrfMismatch => Reply::CrossSite,
            AuthError::EmptyToken | AuthError::InvalidCharacter => Reply::MalformedHeader,
            AuthError::Expired => Reply::Expired,
            AuthError::Revoked => Reply::Revoked,
            AuthError::RevocationUnknown => Reply::Unavailable,
            AuthError::InsufficientScope { .. } | AuthError::Forbidden(_) => Reply::Forbidden,
            AuthError::NotFound(_) => Reply::NotFound,
            AuthError::CheckUnavailable(_) => Reply::Unavailable,
            AuthError::VerifierMissing
            | AuthError::InvalidTokenLocations(_)
            | AuthError::CheckNotRun => Reply::ServerError,
            _ => Reply::InvalidToken,
        }
    }

    /// The `WWW-Authenticate` challenge for this error (RFC 6750 section 3), or `None` for a
    /// server error. `realm` is quoted; quotes and backslashes in it are escaped.
    ///
    /// ```
    /// use auth_runtime::AuthError;
    /// let h = AuthError::Expired.www_authenticate("api").unwrap();
    /// assert_eq!(
    ///     h.to_str().unwrap(),
    ///     r#"Bearer realm="api", error="invalid_token", error_description="the access token expired""#
    /// );
    /// assert_eq!(
    ///     AuthError::MissingCredentials.www_authenticate("api").unwrap(),
    ///     r#"Bearer realm="api""#
    /// );
    /// ```
    pub fn www_authenticate(&self, realm: &str) -> Option<HeaderValue> {
        self.reply().challenge(realm)
    }

    /// Emit this error as a `tracing` event at debug level (server errors at error level),
    /// with the precise cause.
    pub fn log(&self) {
        match self.class() {
            ErrorClass::ServerError => {
                tracing::error!(target: "auth", error = %self, "request rejected: server misconfiguration");
            }
            class => {
                tracing::debug!(target: "auth", error = %self, ?class, status = self.status().as_u16(), "request rejected");
            }
        }
    }
}

fn push_quoted(out: &mut String, text: &str) {
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
}

/// A key could not be loaded or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key text or bytes could not be parsed.
    #[error("invalid key: {0}")]
    Invalid(String),
    /// The key is of another family than the algorithm (for example an EC key for RS256).
    #[error("the key does not fit algorithm {alg}: {reason}")]
    WrongAlgorithm {
        /// Algorithm asked for.
        alg: &'static str,
        /// What does not fit.
        reason: String,
    },
    /// An HMAC secret shorter than the hash output (RFC 7518 section 3.2).
    #[error("an {alg} secret must be at least {min} bytes, got {len}")]
    SecretTooShort {
        /// Algorithm asked for.
        alg: &'static str,
        /// Minimum length in bytes.
        min: usize,
        /// Length given.
        len: usize,
    },
    /// An RSA modulus smaller than 2048 bits (RFC 7518 section 3.3).
    #[error("RSA keys must be at least 2048 bits, got {bits}")]
    RsaKeyTooSmall {
        /// Size of the modulus in bits.
        bits: usize,
    },
    /// A JWK without enough information to bind it to one algorithm, or for encryption only.
    #[error("unusable JWK: {0}")]
    UnusableJwk(String),
    /// The algorithm is not supported for this operation.
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// A symmetric (`oct`) key where public keys are expected: a JWK Set or a public JWK.
    /// Anyone who can read a key set could mint tokens with it; secrets come only from
    /// explicit secret configuration ([`VerifyingKey::hmac`](crate::VerifyingKey::hmac),
    /// [`VerifyingKey::from_secret_jwk`](crate::VerifyingKey::from_secret_jwk)).
    #[error(
        "a symmetric (oct) key is a shared secret: it is never taken from a public key or key set, only from explicit secret configuration"
    )]
    SymmetricKeyInPublicSet,
    /// A public JWK that carries a private member (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`):
    /// whoever published it leaked a private key, and a verifier does not use it.
    #[error("the public JWK carries the private member `{0}`")]
    PrivateMember(&'static str),
    /// The encoded point is not on the key's curve (or is the point at infinity).
    #[error("the public key is not a point of the {curve} curve")]
    PointNotOnCurve {
        /// `P-256`, `P-384` or `Ed25519`.
        curve: &'static str,
    },
    /// An Ed25519 public key that is not the canonical encoding of its point.
    #[error("the Ed25519 public key is not canonically encoded")]
    NonCanonicalPoint,
    /// An Ed25519 public key of small order: with it, forged signatures verify.
    #[error("the Ed25519 public key is a point of small order, for which signatures can be forged")]
    SmallOrderPoint,
    /// An RSA modulus larger than [`MAX_RSA_BITS`](crate::MAX_RSA_BITS): every verification
    /// with it would be slow enough to be a denial of service.
    #[error("RSA keys must be at most {max} bits, got {bits}")]
    RsaKeyTooLarge {
        /// Size of the modulus in bits.
        bits: usize,
        /// The largest size accepted.
        max: usize,
    },
    /// An even RSA modulus: not the product of two odd primes.
    #[error("the RSA modulus is even")]
    RsaModulusEven,
    /// An RSA public exponent that is even or outside 3 ..= 2^32 - 1.
    #[error("the RSA public exponent must be odd and between 3 and 2^32 - 1")]
    RsaExponent,
}

/// A [`Verifier`](crate::Verifier) or [`Authority`](crate::Authority) configuration is incomplete
/// or unsafe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No key was given.
    #[error("no key configured")]
    NoKeys,
    /// Two keys share one `kid`.
    #[error("two keys share the kid `{0}`")]
    DuplicateKid(String),
    /// One authority was given static keys and a JWKS client: its keys come from one or the
    /// other (the main authority and each [`TrustedIssuer`](crate::TrustedIssuer) alike).
    #[error("give an authority static keys or a JWKS client, not both")]
    KeysAndJwksClient,
    /// Two trusted authorities name the same issuer.
    #[error("the issuer `{0}` is trusted twice")]
    DuplicateIssuer(String),
    /// More than one key without a `kid`.
    #[error("at most one key may have no kid")]
    SeveralAnonymousKeys,
    /// HMAC and asymmetric keys in one verifier without [`allow_mixed_key_families`](crate::VerifierBuilder::allow_mixed_key_families).
    #[error(
        "HMAC and asymmetric keys are mixed; call allow_mixed_key_families() if this is intended"
    )]
    MixedKeyFamilies,
    /// Neither an issuer nor an explicit `any_issuer()` was configured.
    #[error("no issuer configured: call issuer(..) or, deliberately, any_issuer()")]
    IssuerNotConfigured,
    /// Neither an audience nor an explicit `any_audience()` was configured.
    #[error("no audience configured: call audience(..) or, deliberately, any_audience()")]
    AudienceNotConfigured,
    /// The leeway is larger than the allowed maximum (5 minutes).
    #[error("leeway of {0} s is too large (max 300 s)")]
    LeewayTooLarge(u64),
    /// [`allowed_callers`](crate::VerifierBuilder::allowed_callers) was given no name: no
    /// request could ever pass.
    #[error("the list of allowed callers is empty")]
    NoCallers,
    /// A service client of the token endpoint cannot be registered: an invalid id, an empty
    /// secret, a hash that is not argon2 in PHC form, no public key, or an id registered twice.
    #[error("invalid service client: {0}")]
    Client(String),
    /// The authority's sessions lack a store or a revocation publisher, or their lifetimes
    /// contradict each other.
    #[error("invalid session settings: {0}")]
    Sessions(&'static str),
    /// The token locations are empty, repeat one, or name a header that cannot exist.
    #[error("invalid token locations: {0}")]
    TokenLocations(&'static str),
    /// A key was unusable.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Every key of the given JWK Sets was refused, each for the reason listed.
    #[error("no usable key: {}", crate::keys::set::describe_all(.0))]
    NoUsableKeys(Vec<crate::RefusedKey>),
    /// An authority was given a [`KeyDirectory`](crate::KeyDirectory) and also a signing or
    /// published key: its keys come from one or the other.
    #[error("give an authority a key directory or its keys (signing_key, published_key), not both")]
    KeysAndKeyDirectory,
    /// The authority's keys come from its key directory, whose schedule rotates and retires
    /// them: [`Authority::rotate`](crate::Authority::rotate) is refused.
    #[error("the authority's keys come from its key directory, whose schedule rotates them")]
    KeysFromKeyDirectory,
    /// The settings of a [`KeyDirectory`](crate::KeyDirectory) cannot give a safe schedule:
    /// the reason says which and why.
    #[error("invalid key schedule: {0}")]
    KeySchedule(String),
    /// The key directory could not be read or written, or holds a key file that is unusable.
    #[error(transparent)]
    KeyDirectory(#[from] KeyDirectoryError),
}

/// The keys of a [`KeyDirectory`](crate::KeyDirectory) could not be loaded or stored: each
/// error names the directory or the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyDirectoryError {
    /// The directory cannot be created or listed.
    #[error("key directory {}: {reason}", .path.display())]
    Directory {
        /// The directory.
        path: std::path::PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A key file cannot be read, does not hold a usable private key, or cannot be written.
    #[error("key file {}: {reason}", .path.display())]
    KeyFile {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// A token could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The claims could not be serialized to a JSON object.
    #[error("claims could not be serialized: {0}")]
    Claims(String),
    /// The signing operation failed.
    #[error("signing failed: {0}")]
    Signing(String),
    /// The system clock is before 1970.
    #[error("the clock is before the Unix epoch")]
    Clock,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requirement::RequirementKind;

    /// One error of every variant.
    fn every_error() -> Vec<AuthError> {
        use AuthError::*;
        vec![
            MissingCredentials,
            UnsupportedScheme,
            MultipleAuthorizationHeaders { count: 2 },
            EmptyToken,
            TokenInSeveralPlaces,
            InvalidCharacter,
            TokenTooLong { len: 9, max: 8 },
            Malformed("x"),
            UnsupportedAlgorithm("none".into()),
            UnsupportedCritical,
            InvalidType,
            UnknownKey,
            AlgorithmMismatch {
                header: "HS256".into(),
                key: "RS256",
            },
            InvalidSignature,
            Expired,
            NotYetValid,
            IssuedInFuture,
            MissingClaim("exp"),
            InvalidClaim("exp".into()),
            ClaimsTypeMismatch("x".into()),
            InvalidIssuer,
            InvalidAudience,
            InsufficientScope {
                kind: RequirementKind::Role,
                required: "admin".into(),
            },
            CsrfMismatch,
            VerifierMissing,
            InvalidTokenLocations("a location is listed twice"),
            Forbidden("not the owner".into()),
            NotFound("not the owner".into()),
            CheckUnavailable("the owners' database is away".into()),
            CheckNotRun,
            Revoked,
            RevocationUnknown,
        ]
    }

    #[test]
    fn every_error_has_the_class_of_the_documented_table() {
        use AuthError::*;
        for error in every_error() {
            let expected = match error {
                MissingCredentials | UnsupportedScheme => ErrorClass::NoCredentials,
                MultipleAuthorizationHeaders { .. }
                | EmptyToken
                | InvalidCharacter
                | TokenInSeveralPlaces => ErrorClass::InvalidRequest,
                InsufficientScope { .. } | Forbidden(_) => ErrorClass::InsufficientScope,
                CsrfMismatch => ErrorClass::CrossSiteRequest,
                VerifierMissing | InvalidTokenLocations(_) | CheckNotRun => ErrorClass::ServerError,
                NotFound(_) => ErrorClass::NotFound,
                CheckUnavailable(_) | RevocationUnknown => ErrorClass::Unavailable,
                _ => ErrorClass::InvalidToken,
            };
            assert_eq!(error.class(), expected, "{error:?}");
        }
        let replies: std::collections::BTreeSet<usize> =
            every_error().iter().map(|e| e.reply().index()).collect();
        assert_eq!(replies.len(), Reply::ALL.len(), "every reply is used");
    }

    #[test]
    fn each_body_is_the_json_of_its_code_and_message() {
        for (i, reply) in Reply::ALL.into_iter().enumerate() {
            assert_eq!(reply.index(), i);
            let code = reply.code().unwrap_or(match reply.class() {
                ErrorClass::ServerError => "server_error",
                ErrorClass::CrossSiteRequest => "csrf_failed",
                ErrorClass::NotFound => "not_found",
                ErrorClass::Unavailable => "temporarily_unavailable",
                _ => "unauthorized",
            });
            let expected =
                serde_json::json!({ "error": code, "error_description": reply.message() });
            assert_eq!(reply.body(), expected.to_string(), "{reply:?}");
        }
    }
}
