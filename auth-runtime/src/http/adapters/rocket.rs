//! rocket 0.5 adapter (feature `rocket`): the request guard behind `#[protected]`, the fairing
//! that sends a refused request's rejection, and the rejection as a responder.
//!
//! The verifier comes from rocket's managed state (`.manage(verifier)`), else the process-wide
//! default installed with [`install_default_verifier`](crate::install_default_verifier); none at
//! all is a 500.
//!
//! # The rejection response: attach [`Rejections`]
//!
//! A failing request guard in rocket only picks a status; the response then comes from a
//! catcher, which does not know why the guard failed. So the guard keeps its
//! [`AuthRejection`] with the request, and the [`Rejections`] fairing replaces the response to
//! such a request with it: the status, the `WWW-Authenticate` challenge (none for a 500),
//! the body and its content type (JSON unless the verifier says otherwise), exactly as every
//! other adapter sends them, whatever catchers the application registers (they still answer every other error).
//! Forgetting the fairing is caught before any request is served: the guard is a
//! [`Sentinel`], and launching a rocket that mounts a protected route without the fairing
//! aborts with the guard's type named in rocket's log.
//!
//! # Attribute order
//!
//! `#[protected]`, `#[requires_role]` and `#[requires_scope]` go **above** rocket's route
//! attribute (`#[get]`, `#[post]`, ...): outer attributes expand first, and the auth macro must
//! rewrite the claims parameter into the guard before rocket's macro reads the parameters.
//!
//! ```
//! # extern crate auth_runtime as auth;
//! # use auth_macros::{protected, requires_role};
//! use auth::{AuthRejection, Claims, Verifier};
//! use rocket::{Build, Rocket, get, routes};
//!
//! #[protected]
//! #[get("/me")]
//! async fn me(claims: Claims) -> String {
//!     claims.sub.unwrap_or_default()
//! }
//!
//! #[requires_role("admin")]
//! #[get("/admin")]
//! async fn admin() -> &'static str {
//!     "only admins get here"
//! }
//!
//! // A handler that checks by hand returns the rejection itself.
//! #[get("/by-hand")]
//! fn by_hand() -> Result<&'static str, AuthRejection> {
//!     Err(AuthRejection::new(auth::AuthError::MissingCredentials, None))
//! }
//!
//! fn app(verifier: Verifier) -> Rocket<Build> {
//!     rocket::build()
//!         .manage(verifier)
//!         .attach(auth::rocket::Rejections)
//!         .mount("/", routes![me, admin, by_hand])
//! }
//! # fn main() {}
//! ```
//!
//! # Headers rocket drops
//!
//! rocket drops a header whose value is not UTF-8 before any guard runs, so an
//! `Authorization` header with such bytes is never seen: the request counts as one without
//! credentials (401) rather than as a malformed one (400), and with a second `Authorization`
//! header as one with a single header.

use std::io::Cursor;

use http::header::WWW_AUTHENTICATE;
use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::http::{Status, StatusClass};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use rocket::{Build, Ignite, Rocket, Sentinel};

use crate::http::check::RequestFacts;
use crate::http::default_verifier::default_verifier;
use crate::http::guard::{Authenticated, ClaimsSlot, LocationChoice, authenticate_request_async};
use crate::http::rejection::AuthRejection;
use crate::http::sources::{RequestView, is_safe_method};
use crate::requirement::StaticRequirement;
use crate::verifier::Verifier;

/// The fairing that answers a request a protected route refused with its [`AuthRejection`]
/// (see the [module docs](self)). Attach it once: `rocket::build().attach(Rejections)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rejections;

/// In managed state once [`Rejections`] is attached, for the guard's [`Sentinel`] check.
struct RejectionsAttached;

/// The rejection of the request, in its local cache: what [`Rejections`] sends.
struct Refused(Option<AuthRejection>);

/// The verifier for `request`: managed state first, then the process-wide default. Borrowed,
/// not cloned: both outlive the request.
fn verifier_for<'r>(request: &'r Request<'_>) -> Option<&'r Verifier> {
    match request.rocket().state::<Verifier>() {
        Some(verifier) => Some(verifier),
        None => default_verifier(),
    }
}

fn status_of(rejection: &AuthRejection) -> Status {
    Status::new(rejection.status().as_u16())
}

#[rocket::async_trait]
impl<'r, C: ClaimsSlot, R: StaticRequirement, L: LocationChoice> FromRequest<'r>
    for Authenticated<C, R, L>
{
    type Error = AuthRejection;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, AuthRejection> {
        let verifier = verifier_for(request);
        let view = RocketView(request);
        let facts = || RocketFacts(request);
        match authenticate_request_async::<C, R, L, _>(verifier, &view, facts).await {
            Ok(value) => Outcome::Success(Authenticated::new(value)),
            Err(error) => {
                let rejection = AuthRejection::logged(error, verifier);
                let status = status_of(&rejection);
                // The catcher that rocket runs next cannot see the guard's error; the fairing
                // reads it from here.
                request.local_cache(|| Refused(Some(rejection.clone())));
                Outcome::Error((status, rejection))
            }
        }
    }
}

/// What a check function reads of a rocket request.
struct RocketFacts<'a, 'r>(&'a Request<'r>);

impl RequestFacts for RocketFacts<'_, '_> {
    fn method(&self) -> &str {
        self.0.method().as_str()
    }

    fn path(&self) -> &str {
        self.0.uri().path().as_str()
    }

    fn query(&self) -> Option<&str> {
        self.0.uri().query().map(|query| query.as_str())
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        self.0.headers().get_one(name).map(str::as_bytes)
    }

    /// The segment of the request's path where the route has `<name>`.
    fn path_param(&self, name: &str) -> Option<&str> {
        let route = self.0.route()?;
        let mut segments = route
            .uri
            .origin
            .path()
            .segments()
            .zip(self.0.uri().path().segments());
        segments.find_map(|(template, segment)| {
            let param = template.strip_prefix('<')?.strip_suffix('>')?;
            (param == name).then_some(segment)
        })
    }
}

/// A rocket request as the token locations read it.
struct RocketView<'a, 'r>(&'a Request<'r>);

impl RequestView for RocketView<'_, '_> {
    fn header_values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.0.headers().get(name).map(str::as_bytes)
    }

    fn is_safe_method(&self) -> Option<bool> {
        Some(is_safe_method(self.0.method().as_str()))
    }

    fn query(&self) -> Option<&str> {
        self.0.uri().query().map(|query| query.as_str())
    }

    fn path(&self) -> Option<&str> {
        Some(self.0.uri().path().as_str())
    }
}

/// Aborts the launch of a rocket that mounts a protected route but has no [`Rejections`]:
/// its rejections would go out without their challenge and JSON body.
impl<C: ClaimsSlot, R: StaticRequirement, L: LocationChoice> Sentinel for Authenticated<C, R, L> {
    fn abort(rocket: &Rocket<Ignite>) -> bool {
        let missing = rocket.state::<RejectionsAttached>().is_none();
        if missing {
            tracing::error!(
                target: "auth",
                "a protected route is mounted without the rejection fairing: \
                 attach auth::rocket::Rejections"
            );
        }
        missing
    }
}

#[rocket::async_trait]
impl Fairing for Rejections {
    fn info(&self) -> Info {
        Info {
            name: "auth rejections",
            kind: Kind::Ignite | Kind::Response | Kind::Singleton,
        }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        Ok(rocket.manage(RejectionsAttached))
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        // Only an error can be a rejection; a success skips the cache lookup, which would
        // otherwise add an empty entry to every request.
        if !matches!(
            response.status().class(),
            StatusClass::ClientError | StatusClass::ServerError
        ) {
            return;
        }
        if let Refused(Some(rejection)) = request.local_cache(|| Refused(None)) {
            write_rejection(rejection, response);
        }
    }
}

/// Makes `response` the rejection: its status, challenge, content type and body replace what a
/// catcher wrote; other headers (set by other fairings) stay.
fn write_rejection(rejection: &AuthRejection, response: &mut Response<'_>) {
    response.set_status(status_of(rejection));
    if let Ok(content_type) = rejection.content_type().to_str() {
        response.set_raw_header("content-type", content_type.to_owned());
    }
    response.remove_header(WWW_AUTHENTICATE.as_str());
    if let Some(challenge) = rejection.challenge()
        && let Ok(challenge) = challenge.to_str()
    {
        response.set_raw_header(WWW_AUTHENTICATE.as_str(), challenge.to_owned());
    }
    let body = rejection.body_bytes();
    response.set_sized_body(body.len(), Cursor::new(body));
}

/// A handler can return an `AuthRejection` (say in a `Result`) for the same response.
impl<'r> Responder<'r, 'static> for AuthRejection {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut response = Response::new();
        write_rejection(&self, &mut response);
        Ok(response)
    }
}
