//! The explicit-source style: `#[protected(from = param)]` on plain functions, with no web
//! framework at all.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::LazyLock;

use auth::guard::TokenSource;
use auth::{Algorithm, AuthError, Authority, Claims, Verifier, protected, requires_role, testing};
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Request};

/// One authority whose verifier is the process default; another whose verifier travels in
/// request extensions.
static DEFAULT: LazyLock<Authority> = LazyLock::new(|| {
    let (authority, verifier) = testing::pair(Algorithm::ES256);
    auth::install_default_verifier(verifier).expect("installed once");
    authority
});

#[derive(Debug, PartialEq)]
enum AppError {
    Auth(u16),
}

impl From<AuthError> for AppError {
    fn from(error: AuthError) -> Self {
        AppError::Auth(error.status().as_u16())
    }
}

#[protected(from = req)]
fn hello(req: &Request<()>, claims: Claims) -> Result<String, AppError> {
    Ok(format!("hello {}", claims.sub.unwrap_or_default()))
}

#[requires_role("admin")]
#[protected(from = headers)]
fn admin(headers: &HeaderMap) -> Result<&'static str, AuthError> {
    Ok("admin")
}

#[protected(from = req)]
async fn maybe(req: Request<Vec<u8>>, claims: Option<Claims>) -> Result<String, AppError> {
    Ok(format!(
        "{} bytes from {:?}",
        req.body().len(),
        claims.and_then(|c| c.sub)
    ))
}

/// A token source of the user's own: an event from a serverless platform.
struct Event {
    authorization: Option<String>,
}

impl TokenSource for Event {
    fn bearer_token(&self) -> Result<&str, AuthError> {
        let value = self
            .authorization
            .as_deref()
            .ok_or(AuthError::MissingCredentials)?;
        auth::parse_authorization(value.as_bytes())
    }
}

#[protected(from = event)]
fn lambda(event: Event, claims: Claims) -> Result<String, AuthError> {
    Ok(claims.roles.join(","))
}

fn request(token: Option<&str>) -> Request<()> {
    let mut builder = Request::builder();
    if let Some(token) = token {
        builder = builder.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    builder.body(()).unwrap()
}

#[test]
fn request_with_the_default_verifier() {
    let token = DEFAULT.issue("dave", ["user"]).unwrap();
    assert_eq!(hello(&request(Some(&token))), Ok("hello dave".to_owned()));
    assert_eq!(hello(&request(None)), Err(AppError::Auth(401)));
    let mut bad = request(None);
    bad.headers_mut()
        .insert(AUTHORIZATION, HeaderValue::from_static("Bearer a b"));
    assert_eq!(hello(&bad), Err(AppError::Auth(400)));
    let forged = testing::authority(Algorithm::ES256)
        .issue("x", ["admin"])
        .unwrap();
    assert_eq!(hello(&request(Some(&forged))), Err(AppError::Auth(401)));
}

#[test]
fn a_verifier_in_the_request_extensions_wins() {
    let (other, verifier): (Authority, Verifier) = testing::pair(Algorithm::EdDSA);
    let token = other.issue("erin", ["user"]).unwrap();
    let mut req = request(Some(&token));
    LazyLock::force(&DEFAULT);
    assert_eq!(
        hello(&req),
        Err(AppError::Auth(401)),
        "the default verifier does not trust it"
    );
    req.extensions_mut().insert(verifier);
    assert_eq!(hello(&req), Ok("hello erin".to_owned()));
}

#[test]
fn header_map_with_a_role() {
    let mut headers = HeaderMap::new();
    let admin_token = DEFAULT.issue("alice", ["admin"]).unwrap();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {admin_token}")).unwrap(),
    );
    assert_eq!(admin(&headers), Ok("admin"));
    let user_token = DEFAULT.issue("bob", ["user"]).unwrap();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {user_token}")).unwrap(),
    );
    let error = admin(&headers).unwrap_err();
    assert_eq!(error.status(), 403);
    assert_eq!(admin(&HeaderMap::new()), Err(AuthError::MissingCredentials));
}

#[tokio::test]
async fn async_function_with_optional_claims_and_an_owned_request() {
    let token = DEFAULT.issue("frank", ["guest"]).unwrap();
    let mut req = Request::builder().body(vec![1, 2, 3]).unwrap();
    assert_eq!(maybe(req).await, Ok("3 bytes from None".to_owned()));
    req = Request::builder()
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .body(vec![1])
        .unwrap();
    assert_eq!(
        maybe(req).await,
        Ok("1 bytes from Some(\"frank\")".to_owned())
    );
    req = Request::builder()
        .header(AUTHORIZATION, "Bearer x.y.z")
        .body(vec![])
        .unwrap();
    assert_eq!(maybe(req).await, Err(AppError::Auth(401)));
}

#[test]
fn the_users_own_token_source() {
    let token = DEFAULT.issue("gina", ["user", "auditor"]).unwrap();
    let event = Event {
        authorization: Some(format!("bearer {token}")),
    };
    assert_eq!(lambda(event), Ok("user,auditor".to_owned()));
    assert_eq!(
        lambda(Event {
            authorization: None
        }),
        Err(AuthError::MissingCredentials)
    );
}
