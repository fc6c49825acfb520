//! Where a request's access token is read from: the `Authorization` header by default, and, when
//! the verifier is configured so, a cookie (with CSRF protection), a gateway's header, or a query
//! parameter of a WebSocket upgrade. Configured once on the verifier
//! ([`VerifierBuilder::token_locations`](crate::VerifierBuilder::token_locations)); every adapter
//! and the layer read a request through [`RequestView`] and honour the same list.
//!
//! A request that carries a token in two places is refused (400 `invalid_request`): choosing
//! one silently would let whoever controls the other place (a cookie planted by a sibling
//! domain, a query string in a link) decide which identity the request has.

use http::HeaderMap;

use crate::error::{AuthError, ConfigError};
use crate::http::bearer::{presented_from_values, trim_ows};
use crate::token::claims::Claims;

/// One place a request may carry its access token. See
/// [`VerifierBuilder::token_locations`](crate::VerifierBuilder::token_locations).
///
/// ```
/// use auth_runtime::{Csrf, TokenLocation};
///
/// let locations = [
///     TokenLocation::AuthorizationHeader,
///     // A browser's HttpOnly cookie; unsafe methods need `X-CSRF-Token` equal to the
///     // readable `csrf_token` cookie (the default double submit).
///     TokenLocation::cookie("access_token"),
///     // A gateway's header, here without a scheme.
///     TokenLocation::header("x-forwarded-access-token"),
///     // `?access_token=` on WebSocket upgrades only.
///     TokenLocation::websocket_query("access_token"),
/// ];
/// let bound = TokenLocation::cookie("session").csrf(Csrf::claim("csrf", "x-csrf-token"));
/// # let _ = (locations, bound);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenLocation {
    /// `Authorization: Bearer <token>` (RFC 6750 section 2.1): the default, and the only
    /// location unless others are configured.
    AuthorizationHeader,
    /// The value of a cookie, for browser applications that keep the token out of scripts
    /// (`HttpOnly`). Requests with an unsafe method must pass the cookie's CSRF check.
    Cookie {
        /// The cookie's name.
        name: String,
        /// How requests with an unsafe method prove they come from the application's own
        /// pages; `None` only when explicitly waived ([`TokenLocation::without_csrf`]).
        csrf: Option<Csrf>,
    },
    /// A header other than `Authorization`, such as the one a gateway injects.
    Header {
        /// The header's name, lower case.
        name: String,
        /// The scheme before the token (`Bearer`), matched case-insensitively; `None` when the
        /// header's whole value is the token.
        scheme: Option<String>,
    },
    /// A query parameter, read only on WebSocket upgrade requests: browsers cannot set headers
    /// on a WebSocket, and RFC 6750 section 2.3 explains why query tokens are otherwise unsafe
    /// (they end up in logs, histories and `Referer` headers). Anywhere else it is ignored.
    WebSocketQuery {
        /// The parameter's name.
        name: String,
    },
}

impl TokenLocation {
    /// A cookie named `name`, with the default CSRF protection: [`Csrf::default`].
    pub fn cookie(name: impl Into<String>) -> Self {
        TokenLocation::Cookie {
            name: name.into(),
            csrf: Some(Csrf::default()),
        }
    }

    /// This cookie location with `csrf` as its CSRF protection.
    #[must_use]
    pub fn csrf(self, csrf: Csrf) -> Self {
        match self {
            TokenLocation::Cookie { name, .. } => TokenLocation::Cookie {
                name,
                csrf: Some(csrf),
            },
            other => other,
        }
    }

    /// This cookie location without CSRF protection: only for cookies that browsers never
    /// send cross-site (`SameSite=Strict` on a site no other origin shares) or clients that are
    /// not browsers. See SECURITY.md.
    #[must_use]
    pub fn without_csrf(self) -> Self {
        match self {
            TokenLocation::Cookie { name, .. } => TokenLocation::Cookie { name, csrf: None },
            other => other,
        }
    }

    /// A header named `name` whose whole value is the token.
    pub fn header(name: impl Into<String>) -> Self {
        TokenLocation::Header {
            name: name.into().to_ascii_lowercase(),
            scheme: None,
        }
    }

    /// A header named `name` whose value is `<scheme> <token>`.
    pub fn header_with_scheme(name: impl Into<String>, scheme: impl Into<String>) -> Self {
        TokenLocation::Header {
            name: name.into().to_ascii_lowercase(),
            scheme: Some(scheme.into()),
        }
    }

    /// A query parameter named `name`, on WebSocket upgrade requests only.
    pub fn websocket_query(name: impl Into<String>) -> Self {
        TokenLocation::WebSocketQuery { name: name.into() }
    }
}

/// The CSRF protection of a token cookie (double submit): on a request with an unsafe method
/// (anything but `GET`, `HEAD`, `OPTIONS` and `TRACE`), a header must carry a value that a
/// cross-site page cannot know. A missing or wrong value is a 403.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Csrf {
    /// The header must equal a second cookie, readable by the application's scripts but, being
    /// a cookie, not by another site's.
    Cookie {
        /// The readable cookie's name.
        cookie: String,
        /// The header's name, lower case.
        header: String,
    },
    /// The header must equal a string claim of the verified token, bound in at login.
    Claim {
        /// The claim's name.
        claim: String,
        /// The header's name, lower case.
        header: String,
    },
}

impl Default for Csrf {
    /// The header `x-csrf-token` must equal the cookie `csrf_token`.
    fn default() -> Self {
        Csrf::cookie("csrf_token", "x-csrf-token")
    }
}

impl Csrf {
    /// The header `header` must equal the cookie `cookie`.
    pub fn cookie(cookie: impl Into<String>, header: impl Into<String>) -> Self {
        Csrf::Cookie {
            cookie: cookie.into(),
            header: header.into().to_ascii_lowercase(),
        }
    }

    /// The header `header` must equal the token's claim `claim`.
    pub fn claim(claim: impl Into<String>, header: impl Into<String>) -> Self {
        Csrf::Claim {
            claim: claim.into(),
            header: header.into().to_ascii_lowercase(),
        }
    }

    fn header(&self) -> &str {
        match self {
            Csrf::Cookie { header, .. } | Csrf::Claim { header, .. } => header,
        }
    }
}

/// An ordered list of token locations, checked: at least one, none twice, header names that
/// are header names. A verifier holds one
/// ([`VerifierBuilder::token_locations`](crate::VerifierBuilder::token_locations)); a handler
/// that reads its token elsewhere names its own with
/// [`token_locations!`](crate::token_locations) and `#[protected(token_locations = ...)]`.
///
/// ```
/// use auth_runtime::{TokenLocation, TokenLocations};
///
/// let locations = TokenLocations::new([TokenLocation::websocket_query("access_token")])?;
/// assert_eq!(locations.list(), [TokenLocation::websocket_query("access_token")]);
/// assert!(TokenLocations::new([]).is_err());
/// # Ok::<(), auth_runtime::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct TokenLocations {
    list: Box<[TokenLocation]>,
    /// The default alone: the request path then reads just the `Authorization` header, as if
    /// nothing were configurable.
    authorization_only: bool,
}

impl TokenLocations {
    /// `locations`, in order, if they can be used: at least one, none twice, header names that
    /// are header names, and the `Authorization` header only as
    /// [`TokenLocation::AuthorizationHeader`].
    pub fn new(locations: impl IntoIterator<Item = TokenLocation>) -> Result<Self, ConfigError> {
        Self::checked(locations).map_err(ConfigError::TokenLocations)
    }

    /// [`new`](Self::new), the error being the reason alone.
    pub(crate) fn checked(
        locations: impl IntoIterator<Item = TokenLocation>,
    ) -> Result<Self, &'static str> {
        let list: Vec<TokenLocation> = locations.into_iter().collect();
        check(&list)?;
        let authorization_only = list == [TokenLocation::AuthorizationHeader];
        Ok(TokenLocations {
            list: list.into_boxed_slice(),
            authorization_only,
        })
    }

    /// The locations, in the order they are read.
    pub fn list(&self) -> &[TokenLocation] {
        &self.list
    }

    #[inline]
    pub(crate) fn authorization_only(&self) -> bool {
        self.authorization_only
    }

    /// The token `request` carries (see [`presented`]).
    #[inline]
    pub(crate) fn presented<'r>(
        &'r self,
        request: &'r impl RequestView,
    ) -> Result<Presented<'r>, AuthError> {
        if self.authorization_only {
            return presented_from_values(request.authorization_values())
                .map(|token| Presented { token, csrf: None });
        }
        presented(&self.list, request)
    }
}

/// Why `locations` cannot be used, if they cannot.
fn check(locations: &[TokenLocation]) -> Result<(), &'static str> {
    if locations.is_empty() {
        return Err("at least one location is needed");
    }
    for (i, location) in locations.iter().enumerate() {
        if locations[..i].contains(location) {
            return Err("a location is listed twice");
        }
        let names: &[&str] = match location {
            TokenLocation::Header { name, .. } => &[name],
            TokenLocation::Cookie {
                csrf: Some(Csrf::Cookie { header, .. } | Csrf::Claim { header, .. }),
                ..
            } => &[header],
            _ => &[],
        };
        if names
            .iter()
            .any(|name| http::HeaderName::from_bytes(name.as_bytes()).is_err())
        {
            return Err("a header name is not valid");
        }
        if let TokenLocation::Header { name, .. } = location
            && name.eq_ignore_ascii_case("authorization")
        {
            return Err("the Authorization header is TokenLocation::AuthorizationHeader");
        }
    }
    Ok(())
}

/// What an adapter shows of a request: header values by name, the method, the query.
pub trait RequestView {
    /// Every value of the header `name` (lower case), in order.
    fn header_values(&self, name: &str) -> impl Iterator<Item = &[u8]>;
    /// Every value of the `Authorization` header, in order: [`header_values`](Self::header_values)
    /// unless the framework looks a standard header up faster by its constant name.
    fn authorization_values(&self) -> impl Iterator<Item = &[u8]> {
        self.header_values("authorization")
    }
    /// Whether the method is safe (RFC 9110 section 9.2.1): `None` when the adapter cannot
    /// tell, which counts as unsafe.
    fn is_safe_method(&self) -> Option<bool>;
    /// The query string, without `?`.
    fn query(&self) -> Option<&str>;
    /// The request's path, for the audit events (none when the adapter does not know it).
    fn path(&self) -> Option<&str> {
        None
    }
}

/// An `http` 1.x request's parts.
#[derive(Debug, Clone, Copy)]
pub struct HttpView<'r> {
    /// The request's headers.
    pub headers: &'r HeaderMap,
    /// Its method, if known.
    pub method: Option<&'r http::Method>,
    /// Its query string.
    pub query: Option<&'r str>,
    /// Its path, for the audit events.
    pub path: Option<&'r str>,
}

impl<'r> HttpView<'r> {
    /// The view of a request's headers, method and URI.
    pub fn new(headers: &'r HeaderMap, method: &'r http::Method, uri: &'r http::Uri) -> Self {
        HttpView {
            headers,
            method: Some(method),
            query: uri.query(),
            path: Some(uri.path()),
        }
    }

    /// The view of a request's head.
    pub fn of(parts: &'r http::request::Parts) -> Self {
        HttpView::new(&parts.headers, &parts.method, &parts.uri)
    }
}

impl RequestView for HttpView<'_> {
    fn header_values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.headers
            .get_all(name)
            .into_iter()
            .map(http::HeaderValue::as_bytes)
    }

    // By the constant name: a lookup by text parses the name first, on every request.
    #[inline]
    fn authorization_values(&self) -> impl Iterator<Item = &[u8]> {
        self.headers
            .get_all(http::header::AUTHORIZATION)
            .into_iter()
            .map(http::HeaderValue::as_bytes)
    }

    fn is_safe_method(&self) -> Option<bool> {
        self.method.map(|method| is_safe_method(method.as_str()))
    }

    fn query(&self) -> Option<&str> {
        self.query
    }

    fn path(&self) -> Option<&str> {
        self.path
    }
}

/// Whether the method named `method` is safe (RFC 9110 section 9.2.1), for every adapter's
/// method type.
pub(crate) fn is_safe_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

/// The token a request presented, and the CSRF check it still owes if it came in a cookie.
#[derive(Debug)]
pub(crate) struct Presented<'r> {
    pub(crate) token: &'r [u8],
    pub(crate) csrf: Option<CsrfCheck<'r>>,
}

/// A cookie-borne token's CSRF proof, to check once the token verified.
#[derive(Debug)]
pub(crate) struct CsrfCheck<'r> {
    csrf: &'r Csrf,
    /// The header's value, if exactly one was sent.
    presented: Option<&'r [u8]>,
    /// The readable cookie's value, for [`Csrf::Cookie`].
    cookie: Option<&'r [u8]>,
}

impl CsrfCheck<'_> {
    /// [`AuthError::CsrfMismatch`] unless the header carries the expected value.
    pub(crate) fn check(&self, claims: &Claims) -> Result<(), AuthError> {
        let expected = match self.csrf {
            Csrf::Cookie { .. } => self.cookie,
            Csrf::Claim { claim, .. } => claims
                .extra
                .get(claim)
                .and_then(serde_json::Value::as_str)
                .map(str::as_bytes),
        };
        match (self.presented, expected) {
            (Some(presented), Some(expected))
                if !expected.is_empty() && constant_time_eq(presented, expected) =>
            {
                Ok(())
            }
            _ => Err(AuthError::CsrfMismatch),
        }
    }
}

/// Compares without stopping at the first difference, so the time taken does not tell how
/// much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The token `request` carries in one of `locations`.
///
/// No token anywhere is [`AuthError::MissingCredentials`] (or
/// [`AuthError::UnsupportedScheme`] when the `Authorization` header holds another scheme); a
/// token in two places is [`AuthError::TokenInSeveralPlaces`]; a malformed `Authorization`
/// header keeps its own error.
pub(crate) fn presented<'r>(
    locations: &'r [TokenLocation],
    request: &'r impl RequestView,
) -> Result<Presented<'r>, AuthError> {
    let mut found: Option<Presented<'r>> = None;
    let mut absent = AuthError::MissingCredentials;
    for location in locations {
        let token = match location {
            TokenLocation::AuthorizationHeader => {
                match presented_from_values(request.authorization_values()) {
                    Ok(token) => Some(token),
                    Err(AuthError::MissingCredentials) => None,
                    Err(AuthError::UnsupportedScheme) => {
                        absent = AuthError::UnsupportedScheme;
                        None
                    }
                    Err(error) => return Err(error),
                }
            }
            TokenLocation::Cookie { name, .. } => one(cookie_values(request, name))?,
            TokenLocation::Header { name, scheme } => {
                match one(request.header_values(name).map(trim_ows))? {
                    None => None,
                    Some(value) => Some(after_scheme(value, scheme.as_deref())?),
                }
            }
            TokenLocation::WebSocketQuery { name } => {
                if is_websocket_upgrade(request) {
                    one(query_values(request.query(), name))?
                } else {
                    None
                }
            }
        };
        let Some(token) = token else { continue };
        if found.is_some() {
            return Err(AuthError::TokenInSeveralPlaces);
        }
        let csrf = match location {
            TokenLocation::Cookie {
                csrf: Some(csrf), ..
            } if request.is_safe_method() != Some(true) => Some(CsrfCheck {
                csrf,
                presented: one(request.header_values(csrf.header())).ok().flatten(),
                cookie: match csrf {
                    Csrf::Cookie { cookie, .. } => {
                        one(cookie_values(request, cookie)).ok().flatten()
                    }
                    Csrf::Claim { .. } => None,
                },
            }),
            _ => None,
        };
        found = Some(Presented { token, csrf });
    }
    found.ok_or(absent)
}

/// The only item of `values`, none, or [`AuthError::TokenInSeveralPlaces`] for more.
fn one<'a>(mut values: impl Iterator<Item = &'a [u8]>) -> Result<Option<&'a [u8]>, AuthError> {
    let first = values.next();
    if first.is_some() && values.next().is_some() {
        return Err(AuthError::TokenInSeveralPlaces);
    }
    Ok(first)
}

/// The values of every cookie named `name` in the request's `Cookie` headers (RFC 6265
/// section 4.2.1: `name=value` pairs separated by `; `), empty values left out.
fn cookie_values<'a>(
    request: &'a impl RequestView,
    name: &'a str,
) -> impl Iterator<Item = &'a [u8]> {
    request
        .header_values("cookie")
        .flat_map(|header| header.split(|b| *b == b';'))
        .filter_map(move |pair| {
            let pair = trim_ows(pair);
            let at = pair.iter().position(|b| *b == b'=')?;
            let (key, value) = (trim_ows(&pair[..at]), trim_ows(&pair[at + 1..]));
            // A quoted cookie value (RFC 6265 allows DQUOTE around it) without its quotes.
            let value = match value {
                [b'"', inner @ .., b'"'] => inner,
                other => other,
            };
            (key == name.as_bytes() && !value.is_empty()).then_some(value)
        })
}

/// The values of the query parameter `name` (not percent-decoded: a token needs no escaping).
fn query_values<'a>(query: Option<&'a str>, name: &'a str) -> impl Iterator<Item = &'a [u8]> {
    query
        .into_iter()
        .flat_map(|query| query.split('&'))
        .filter_map(move |pair| {
            let (key, value) = pair.split_once('=')?;
            (key == name && !value.is_empty()).then_some(value.as_bytes())
        })
}

/// `Upgrade: websocket` (RFC 6455 section 4.1), in any case.
fn is_websocket_upgrade(request: &impl RequestView) -> bool {
    request
        .header_values("upgrade")
        .flat_map(|value| value.split(|b| *b == b','))
        .any(|protocol| trim_ows(protocol).eq_ignore_ascii_case(b"websocket"))
}

/// The token after `scheme` and a space, or the whole value without a scheme.
fn after_scheme<'a>(value: &'a [u8], scheme: Option<&str>) -> Result<&'a [u8], AuthError> {
    let Some(scheme) = scheme else {
        return if value.is_empty() {
            Err(AuthError::EmptyToken)
        } else {
            Ok(value)
        };
    };
    let at = value.iter().position(|b| *b == b' ').unwrap_or(value.len());
    let (given, rest) = value.split_at(at);
    if !given.eq_ignore_ascii_case(scheme.as_bytes()) {
        return Err(AuthError::UnsupportedScheme);
    }
    match trim_ows(rest) {
        [] => Err(AuthError::EmptyToken),
        token => Ok(token),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn request<'q>(
        headers: &[(&str, &str)],
        query: Option<&'q str>,
    ) -> (HeaderMap, Option<&'q str>) {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
                HeaderValue::from_str(value).expect("a header value"),
            );
        }
        (map, query)
    }

    fn found(
        locations: &[TokenLocation],
        headers: &[(&str, &str)],
        query: Option<&str>,
    ) -> Result<Vec<u8>, AuthError> {
        let (headers, query) = request(headers, query);
        let view = HttpView {
            headers: &headers,
            method: Some(&http::Method::GET),
            query,
            path: None,
        };
        presented(locations, &view).map(|p| p.token.to_vec())
    }

    #[test]
    fn cookies_are_read_by_exact_name_with_spaces_and_quotes_around() {
        let at = [TokenLocation::cookie("at").without_csrf()];
        for header in [
            "at=t1",
            "a=1; at=t1",
            "x=1;at=t1 ; y",
            "at=\"t1\"",
            "  at = t1  ",
        ] {
            assert_eq!(
                found(&at, &[("cookie", header)], None),
                Ok(b"t1".to_vec()),
                "{header}"
            );
        }
        for header in ["att=t1", "xat=t1", "at=", "at", "x=at=t1"] {
            assert_eq!(
                found(&at, &[("cookie", header)], None),
                Err(AuthError::MissingCredentials),
                "{header}"
            );
        }
        // Two cookies of that name (two paths, or a planted one): ambiguous, refused.
        assert_eq!(
            found(&at, &[("cookie", "at=t1"), ("cookie", "at=t2")], None),
            Err(AuthError::TokenInSeveralPlaces)
        );
    }

    #[test]
    fn the_query_counts_only_with_a_websocket_upgrade_header() {
        let ws = [TokenLocation::websocket_query("access_token")];
        let query = Some("a=1&access_token=t1");
        assert_eq!(found(&ws, &[], query), Err(AuthError::MissingCredentials));
        for upgrade in ["websocket", "WebSocket", "h2c, websocket"] {
            assert_eq!(
                found(&ws, &[("upgrade", upgrade)], query),
                Ok(b"t1".to_vec())
            );
        }
        assert_eq!(
            found(&ws, &[("upgrade", "h2c")], query),
            Err(AuthError::MissingCredentials)
        );
        assert_eq!(
            found(
                &ws,
                &[("upgrade", "websocket")],
                Some("access_token=a&access_token=b")
            ),
            Err(AuthError::TokenInSeveralPlaces)
        );
    }

    #[test]
    fn another_scheme_in_the_authorization_header_is_no_token_but_is_said_so() {
        let both = [
            TokenLocation::AuthorizationHeader,
            TokenLocation::header("x-token"),
        ];
        assert_eq!(
            found(&both, &[("authorization", "Basic dXNlcjpw")], None),
            Err(AuthError::UnsupportedScheme)
        );
        assert_eq!(
            found(
                &both,
                &[("authorization", "Basic dXNlcjpw"), ("x-token", "t1")],
                None
            ),
            Ok(b"t1".to_vec())
        );
        assert_eq!(
            found(&both, &[("authorization", "Bearer")], None),
            Err(AuthError::EmptyToken)
        );
    }

    #[test]
    fn the_csrf_proof_is_owed_only_by_cookies_on_unsafe_methods() {
        let (headers, _) = request(
            &[("cookie", "at=t1; csrf_token=c1"), ("x-csrf-token", "c1")],
            None,
        );
        let locations = [TokenLocation::cookie("at")];
        let claims = Claims::default();
        for (method, owed) in [
            (http::Method::GET, false),
            (http::Method::HEAD, false),
            (http::Method::POST, true),
            (http::Method::PATCH, true),
        ] {
            let view = HttpView {
                headers: &headers,
                method: Some(&method),
                query: None,
                path: None,
            };
            let presented = presented(&locations, &view).expect("a token");
            assert_eq!(presented.csrf.is_some(), owed, "{method}");
            if let Some(csrf) = presented.csrf {
                assert_eq!(csrf.check(&claims), Ok(()));
            }
        }
        // A request whose method the adapter cannot tell owes the proof.
        let view = HttpView {
            headers: &headers,
            method: None,
            query: None,
            path: None,
        };
        assert!(
            presented(&locations, &view)
                .expect("a token")
                .csrf
                .is_some()
        );
    }
}
