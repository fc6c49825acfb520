//! `#[protected(from = request, claims = claims)]` and `#[requires_role]` on the methods of a
//! tonic service (inside `#[tonic::async_trait]`), and `auth::tonic::interceptor` on a whole
//! service: a real server on a loopback socket, a real tonic client.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod tonic_support;

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth::{Algorithm, Authority, Claims, Requirement, Verifier, testing};
use tonic::transport::Server;
use tonic::{Code, Request, Response, Status};
use tonic_support::{ADMIN, GreeterServer, SAY_HELLO, bearer, call, challenge, serve};

/// One authority for the whole test binary; its verifier is the process default, which is
/// what `#[protected(from = request)]` falls back to (a tonic request carries no framework
/// state).
static AUTHORITY: LazyLock<(Authority, Verifier)> = LazyLock::new(|| {
    let (authority, verifier) = testing::pair(Algorithm::ES256);
    auth::install_default_verifier(verifier.clone()).expect("one default verifier per process");
    (authority, verifier)
});

fn authority() -> &'static Authority {
    &AUTHORITY.0
}

fn verifier() -> Verifier {
    AUTHORITY.1.clone()
}

fn token(roles: &[&str]) -> String {
    bearer(
        &authority()
            .token("alice")
            .roles(roles.iter().copied())
            .issue()
            .expect("token"),
    )
}

/// Each method protected by the macro; the claims are bound to `claims`, since the trait fixes
/// the signature.
struct Protected;

impl Protected {
    fn greeting(&self) -> &'static str {
        "hello"
    }
}

#[tonic::async_trait]
impl tonic_support::Greeter for Protected {
    #[auth::protected(from = request, claims = claims)]
    async fn say_hello(&self, request: Request<String>) -> Result<Response<String>, Status> {
        // `self` still works in the body (`#[async_trait]` renamed it before the check went in).
        let sub = claims.sub.unwrap_or_default();
        Ok(Response::new(format!(
            "{} {}, signed in as {sub}",
            self.greeting(),
            request.into_inner()
        )))
    }

    #[auth::requires_role("admin")]
    #[auth::protected(from = request, claims = claims)]
    async fn admin(&self, request: Request<String>) -> Result<Response<String>, Status> {
        Ok(Response::new(format!(
            "{} ran {} as {}",
            claims.sub.unwrap_or_default(),
            request.into_inner(),
            claims.roles.join(",")
        )))
    }
}

#[tokio::test]
async fn a_valid_token_reaches_the_method_with_its_claims() {
    let channel = serve(Server::builder().add_service(GreeterServer::new(Protected))).await;
    let reply = call(&channel, SAY_HELLO, "world", &[&token(&["user"])]).await;
    assert_eq!(reply.unwrap(), "hello world, signed in as alice");

    let reply = call(&channel, ADMIN, "backup", &[&token(&["admin"])]).await;
    assert_eq!(reply.unwrap(), "alice ran backup as admin");

    // Any casing of the scheme, like the HTTP adapters.
    let lower = token(&[]).replacen("Bearer", "bearer", 1);
    assert!(call(&channel, SAY_HELLO, "x", &[&lower]).await.is_ok());
}

#[tokio::test]
async fn each_failure_gets_its_code_and_challenge() {
    let channel = serve(Server::builder().add_service(GreeterServer::new(Protected))).await;
    let hello = |authorization: Vec<String>| {
        let channel = channel.clone();
        async move {
            let authorization: Vec<&str> = authorization.iter().map(String::as_str).collect();
            call(&channel, SAY_HELLO, "world", &authorization)
                .await
                .expect_err("rejected")
        }
    };

    let none = hello(vec![]).await;
    assert_eq!(none.code(), Code::Unauthenticated);
    assert_eq!(none.message(), "authentication required");
    assert_eq!(challenge(&none), Some(r#"Bearer realm="api""#));

    let basic = hello(vec!["Basic dXNlcjpwYXNz".to_owned()]).await;
    assert_eq!(basic.code(), Code::Unauthenticated);
    assert_eq!(challenge(&basic), Some(r#"Bearer realm="api""#));

    for malformed in ["Bearer a b", "Bearer", "Bearer \"quoted\""] {
        let status = hello(vec![malformed.to_owned()]).await;
        assert_eq!(status.code(), Code::InvalidArgument, "{malformed}");
        assert!(
            challenge(&status)
                .unwrap()
                .contains(r#"error="invalid_request""#),
            "{malformed}"
        );
    }
    let good = token(&[]);
    let two = hello(vec![good.clone(), good]).await;
    assert_eq!(two.code(), Code::InvalidArgument);
    assert_eq!(
        two.message(),
        "the request has more than one Authorization header"
    );

    let expired = authority()
        .token("alice")
        .expires_at(testing::now() - 3600)
        .issue()
        .unwrap();
    let status = hello(vec![bearer(&expired)]).await;
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "the access token expired");
    assert_eq!(
        challenge(&status),
        Some(
            r#"Bearer realm="api", error="invalid_token", error_description="the access token expired""#
        )
    );

    // Signed by another authority's key: the precise cause stays in the logs.
    let forged = testing::authority(Algorithm::ES256)
        .issue("alice", ["admin"])
        .unwrap();
    let status = hello(vec![bearer(&forged)]).await;
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "the access token is invalid");
    assert!(
        challenge(&status)
            .unwrap()
            .contains(r#"error="invalid_token""#)
    );

    let elsewhere = authority()
        .token("alice")
        .audience("billing")
        .issue()
        .unwrap();
    assert_eq!(
        hello(vec![bearer(&elsewhere)]).await.code(),
        Code::Unauthenticated
    );

    // A valid token without the role.
    let status = call(&channel, ADMIN, "backup", &[&token(&["user", "auditor"])])
        .await
        .expect_err("a user is not an admin");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(
        status.message(),
        "the access token does not grant this operation"
    );
    assert!(
        challenge(&status)
            .unwrap()
            .contains(r#"error="insufficient_scope""#)
    );
}

/// Bodies of the methods that only the rejection test calls.
static REJECTED_BODIES: AtomicUsize = AtomicUsize::new(0);

struct Counting;

#[tonic::async_trait]
impl tonic_support::Greeter for Counting {
    // Without `claims = ...`: checked, the claims unused.
    #[auth::protected(from = request)]
    async fn say_hello(&self, request: Request<String>) -> Result<Response<String>, Status> {
        REJECTED_BODIES.fetch_add(1, Ordering::SeqCst);
        Ok(Response::new(request.into_inner()))
    }

    #[auth::requires_role("admin")]
    #[auth::protected(from = request, claims = claims)]
    async fn admin(&self, request: Request<String>) -> Result<Response<String>, Status> {
        REJECTED_BODIES.fetch_add(1, Ordering::SeqCst);
        Ok(Response::new(format!(
            "{} {}",
            request.into_inner(),
            claims.sub.unwrap_or_default()
        )))
    }
}

#[tokio::test]
async fn the_method_body_never_runs_on_rejection() {
    let channel = serve(Server::builder().add_service(GreeterServer::new(Counting))).await;
    let expired = bearer(
        &authority()
            .token("x")
            .roles(["admin"])
            .expires_at(1)
            .issue()
            .unwrap(),
    );
    let forged = bearer(
        &testing::authority(Algorithm::ES256)
            .issue("x", ["admin"])
            .unwrap(),
    );
    let user = token(&["user"]);
    for (path, authorization, code) in [
        (SAY_HELLO, None, Code::Unauthenticated),
        (SAY_HELLO, Some("Bearer a b"), Code::InvalidArgument),
        (SAY_HELLO, Some(expired.as_str()), Code::Unauthenticated),
        (SAY_HELLO, Some(forged.as_str()), Code::Unauthenticated),
        (ADMIN, None, Code::Unauthenticated),
        (ADMIN, Some(forged.as_str()), Code::Unauthenticated),
        (ADMIN, Some(user.as_str()), Code::PermissionDenied),
    ] {
        let headers: Vec<&str> = authorization.into_iter().collect();
        let status = call(&channel, path, "x", &headers)
            .await
            .expect_err("rejected");
        assert_eq!(status.code(), code, "{path} {authorization:?}");
    }
    assert_eq!(
        REJECTED_BODIES.load(Ordering::SeqCst),
        0,
        "a rejected call ran a method body"
    );
    // The counter does count: an accepted call runs the body once.
    let reply = call(&channel, ADMIN, "x", &[&token(&["admin"])]).await;
    assert_eq!(reply.unwrap(), "x alice");
    assert_eq!(REJECTED_BODIES.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_unknown_method_is_unimplemented() {
    let channel = serve(Server::builder().add_service(GreeterServer::new(Protected))).await;
    let status = call(&channel, "/demo.Greeter/Nope", "x", &[&token(&["admin"])])
        .await
        .expect_err("no such method");
    assert_eq!(status.code(), Code::Unimplemented);
}

/// The claims as a parameter instead of `claims = name`: in the explicit-source style the
/// macro takes the parameter out of the signature, so the method still matches the trait. This
/// is how a gRPC method gets optional authentication or its own claims type.
struct ClaimsParameters;

#[derive(serde::Deserialize)]
struct Tenant {
    sub: String,
    tenant: String,
}

#[tonic::async_trait]
impl tonic_support::Greeter for ClaimsParameters {
    #[auth::protected(from = request)]
    async fn say_hello(
        &self,
        request: Request<String>,
        claims: Option<Claims>,
    ) -> Result<Response<String>, Status> {
        let who = claims.and_then(|c| c.sub);
        Ok(Response::new(format!(
            "hello {}, {}",
            request.into_inner(),
            who.as_deref().unwrap_or("stranger")
        )))
    }

    #[auth::requires_role("admin")]
    #[auth::protected(from = request)]
    async fn admin(
        &self,
        request: Request<String>,
        #[claims] who: Tenant,
    ) -> Result<Response<String>, Status> {
        Ok(Response::new(format!(
            "{}@{} ran {}",
            who.sub,
            who.tenant,
            request.into_inner()
        )))
    }
}

#[tokio::test]
async fn optional_and_custom_claims_as_parameters() {
    let channel = serve(Server::builder().add_service(GreeterServer::new(ClaimsParameters))).await;
    let anonymous = call(&channel, SAY_HELLO, "world", &[]).await;
    assert_eq!(anonymous.unwrap(), "hello world, stranger");
    let known = call(&channel, SAY_HELLO, "world", &[&token(&[])]).await;
    assert_eq!(known.unwrap(), "hello world, alice");
    // Optional authentication still rejects a bad token or a malformed header.
    let forged = bearer(
        &testing::authority(Algorithm::ES256)
            .issue("x", ["admin"])
            .unwrap(),
    );
    let status = call(&channel, SAY_HELLO, "x", &[&forged])
        .await
        .expect_err("forged");
    assert_eq!(status.code(), Code::Unauthenticated);
    let status = call(&channel, SAY_HELLO, "x", &["Bearer a b"])
        .await
        .expect_err("malformed");
    assert_eq!(status.code(), Code::InvalidArgument);

    let acme = |roles: &[&str]| {
        bearer(
            &authority()
                .token("bob")
                .roles(roles.iter().copied())
                .claim("tenant", "acme")
                .issue()
                .unwrap(),
        )
    };
    let reply = call(&channel, ADMIN, "backup", &[&acme(&["admin"])]).await;
    assert_eq!(reply.unwrap(), "bob@acme ran backup");
    let status = call(&channel, ADMIN, "backup", &[&acme(&["user"])])
        .await
        .expect_err("not an admin");
    assert_eq!(status.code(), Code::PermissionDenied);
    // A token without the claim the type needs.
    let status = call(&channel, ADMIN, "backup", &[&token(&["admin"])])
        .await
        .expect_err("no tenant claim");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(
        challenge(&status)
            .unwrap()
            .contains(r#"error="invalid_token""#)
    );
}

/// Unannotated methods: the interceptor in front of the service checked the call and left the
/// claims in the request's extensions.
struct FromExtensions;

fn claims_of<T>(request: &Request<T>) -> Result<&Claims, Status> {
    request
        .extensions()
        .get::<Claims>()
        .ok_or_else(|| Status::internal("no claims: the interceptor did not run"))
}

#[tonic::async_trait]
impl tonic_support::Greeter for FromExtensions {
    async fn say_hello(&self, request: Request<String>) -> Result<Response<String>, Status> {
        let claims = claims_of(&request)?;
        Ok(Response::new(format!(
            "hello {}, signed in as {} ({})",
            request.get_ref(),
            claims.sub.as_deref().unwrap_or_default(),
            claims.roles.join(",")
        )))
    }

    async fn admin(&self, request: Request<String>) -> Result<Response<String>, Status> {
        let claims = claims_of(&request)?;
        Ok(Response::new(format!(
            "{} ran {}",
            claims.sub.as_deref().unwrap_or_default(),
            request.get_ref()
        )))
    }
}

#[tokio::test]
async fn an_interceptor_protects_every_method_of_a_service() {
    let guard = auth::tonic::interceptor(Some(verifier())).require(Requirement::any_role(["user"]));
    let channel = serve(
        Server::builder().add_service(GreeterServer::with_interceptor(FromExtensions, guard)),
    )
    .await;

    let reply = call(&channel, SAY_HELLO, "world", &[&token(&["user"])]).await;
    assert_eq!(reply.unwrap(), "hello world, signed in as alice (user)");
    let reply = call(&channel, ADMIN, "backup", &[&token(&["guest", "user"])]).await;
    assert_eq!(reply.unwrap(), "alice ran backup");

    for path in [SAY_HELLO, ADMIN] {
        let none = call(&channel, path, "x", &[]).await.expect_err("no token");
        assert_eq!(none.code(), Code::Unauthenticated);
        assert_eq!(challenge(&none), Some(r#"Bearer realm="api""#));

        let malformed = call(&channel, path, "x", &["Bearer a b"])
            .await
            .expect_err("malformed");
        assert_eq!(malformed.code(), Code::InvalidArgument);

        let forged = testing::authority(Algorithm::ES256)
            .issue("alice", ["user"])
            .unwrap();
        let status = call(&channel, path, "x", &[&bearer(&forged)])
            .await
            .expect_err("forged");
        assert_eq!(status.code(), Code::Unauthenticated);
        assert!(
            challenge(&status)
                .unwrap()
                .contains(r#"error="invalid_token""#)
        );

        // `Requirement::any_role` names exact roles: the vocabulary's hierarchy (admin implies
        // user) is the macros' business, so an admin-only token does not pass `any_role(["user"])`.
        for roles in [&[][..], &["guest"], &["admin"]] {
            let status = call(&channel, path, "x", &[&token(roles)])
                .await
                .expect_err("lacks the user role");
            assert_eq!(status.code(), Code::PermissionDenied, "{path} {roles:?}");
            assert!(
                challenge(&status)
                    .unwrap()
                    .contains(r#"error="insufficient_scope""#)
            );
        }
    }
}

/// The deny-by-default tower layer in front of a whole tonic server: the same answers as the
/// interceptor's, with the claims in the request's extensions for unannotated methods.
#[tokio::test]
async fn the_tower_layer_protects_a_whole_server() {
    let layer =
        auth::layer::RequireAuthLayer::new(verifier()).require(Requirement::any_role(["user"]));
    let listener = tokio::net::TcpListener::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let server = Server::builder()
        .layer(layer)
        .add_service(GreeterServer::new(FromExtensions));
    tokio::spawn(async move {
        server
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
            .await
            .expect("server runs");
    });
    let channel = tonic_support::connect(addr).await;

    let reply = call(&channel, SAY_HELLO, "world", &[&token(&["user"])]).await;
    assert_eq!(reply.unwrap(), "hello world, signed in as alice (user)");
    let none = call(&channel, ADMIN, "x", &[]).await.expect_err("no token");
    assert_eq!(none.code(), Code::Unauthenticated);
    assert_eq!(challenge(&none), Some(r#"Bearer realm="api""#));
    let malformed = call(&channel, ADMIN, "x", &["Bearer a b"])
        .await
        .expect_err("malformed");
    assert_eq!(malformed.code(), Code::InvalidArgument);
    let guest = call(&channel, ADMIN, "x", &[&token(&["guest"])])
        .await
        .expect_err("lacks the user role");
    assert_eq!(guest.code(), Code::PermissionDenied);
    assert!(
        challenge(&guest)
            .unwrap()
            .contains(r#"error="insufficient_scope""#)
    );
}

#[tokio::test]
async fn an_interceptor_without_a_verifier_uses_the_process_default() {
    LazyLock::force(&AUTHORITY);
    let channel = serve(
        Server::builder().add_service(GreeterServer::with_interceptor(
            FromExtensions,
            auth::tonic::interceptor(None),
        )),
    )
    .await;
    let reply = call(&channel, SAY_HELLO, "world", &[&token(&[])]).await;
    assert_eq!(reply.unwrap(), "hello world, signed in as alice ()");
    let none = call(&channel, SAY_HELLO, "x", &[])
        .await
        .expect_err("no token");
    assert_eq!(none.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn the_interceptors_verifier_reaches_the_protected_methods() {
    // Another authority than the process default: the interceptor puts its verifier in the
    // request's extensions, where `#[protected(from = request)]` finds it before the default.
    let (other, other_verifier) = testing::pair(Algorithm::EdDSA);
    LazyLock::force(&AUTHORITY);
    let channel = serve(
        Server::builder().add_service(GreeterServer::with_interceptor(
            Protected,
            auth::tonic::interceptor(Some(other_verifier)),
        )),
    )
    .await;
    let admin = bearer(&other.issue("bob", ["admin"]).unwrap());
    let reply = call(&channel, ADMIN, "backup", &[&admin]).await;
    assert_eq!(reply.unwrap(), "bob ran backup as admin");

    // The interceptor lets a plain user through; the method's own role check does not.
    let user = bearer(&other.issue("bob", ["user"]).unwrap());
    let status = call(&channel, ADMIN, "backup", &[&user])
        .await
        .expect_err("not an admin");
    assert_eq!(status.code(), Code::PermissionDenied);

    // A token of the default authority does not pass the interceptor.
    let status = call(&channel, SAY_HELLO, "x", &[&token(&["admin"])])
        .await
        .expect_err("unknown authority");
    assert_eq!(status.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn a_closure_interceptor_can_hand_the_verifier_to_the_methods() {
    // The verifier alone, without verifying twice: the methods' own checks use it.
    let (other, other_verifier) = testing::pair(Algorithm::ES384);
    LazyLock::force(&AUTHORITY);
    let with_verifier = move |mut request: Request<()>| {
        request.extensions_mut().insert(other_verifier.clone());
        Ok(request)
    };
    let channel = serve(
        Server::builder().add_service(GreeterServer::with_interceptor(Protected, with_verifier)),
    )
    .await;
    let carol = bearer(&other.issue("carol", ["admin"]).unwrap());
    let reply = call(&channel, SAY_HELLO, "world", &[&carol]).await;
    assert_eq!(reply.unwrap(), "hello world, signed in as carol");
    let reply = call(&channel, ADMIN, "backup", &[&carol]).await;
    assert_eq!(reply.unwrap(), "carol ran backup as admin");

    // The default authority's tokens no longer pass these methods, and no token is still a 401.
    let status = call(&channel, SAY_HELLO, "x", &[&token(&["admin"])])
        .await
        .expect_err("another authority");
    assert_eq!(status.code(), Code::Unauthenticated);
    let status = call(&channel, SAY_HELLO, "x", &[])
        .await
        .expect_err("no token");
    assert_eq!(
        (status.code(), challenge(&status)),
        (Code::Unauthenticated, Some(r#"Bearer realm="api""#))
    );
}

/// The interceptor's rejections name its verifier's realm, like every other adapter's.
#[tokio::test]
async fn the_interceptor_uses_its_verifiers_realm() {
    let realm_verifier = authority()
        .verifier()
        .realm("greeter")
        .build()
        .expect("verifier");
    let guard =
        auth::tonic::interceptor(Some(realm_verifier)).require(Requirement::any_role(["admin"]));
    let channel = serve(
        Server::builder().add_service(GreeterServer::with_interceptor(FromExtensions, guard)),
    )
    .await;
    let none = call(&channel, SAY_HELLO, "x", &[])
        .await
        .expect_err("no token");
    assert_eq!(challenge(&none), Some(r#"Bearer realm="greeter""#));
    let user = call(&channel, SAY_HELLO, "x", &[&token(&["user"])])
        .await
        .expect_err("not an admin");
    assert_eq!(user.code(), Code::PermissionDenied);
    assert_eq!(
        challenge(&user),
        Some(
            r#"Bearer realm="greeter", error="insufficient_scope", error_description="the access token does not grant this operation""#
        )
    );
}
