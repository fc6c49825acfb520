//! Tokens beyond the `Authorization` header, over loopback: a cookie with its CSRF check
//! (double submit against a second cookie, or against a claim), a gateway's header with and
//! without a scheme, a query parameter on WebSocket upgrades only, and the rule that a token in
//! two places is a 400. The same verifier configuration through axum handlers, the tower layer,
//! actix-web, poem, rocket and salvo; and handlers that name their own locations
//! (`#[protected(token_locations = ...)]`) in each framework.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use auth::layer::RequireAuthLayer;
use auth::{Algorithm, Authority, Claims, Csrf, TokenLocation, Verifier, protected, testing};
use axum::Router;
use axum::routing::get;
use common::challenge::{MALFORMED, NONE};
use common::{alice_token, send};
use reqwest::Method;

const SEVERAL: &str = r#"Bearer realm="api", error="invalid_request", error_description="the request carries an access token in more than one place""#;

#[protected]
async fn me(claims: Claims) -> String {
    format!("hello {}", claims.sub.unwrap_or_default())
}

auth::token_locations! {
    /// A WebSocket endpoint's: the query of the upgrade, or a gateway's header.
    pub struct LiveTokens = [
        TokenLocation::websocket_query("access_token"),
        TokenLocation::header("x-gateway-token"),
    ];
}

auth::token_locations! {
    /// A list that cannot work: the same location twice.
    struct Twice = [TokenLocation::header("x-token"), TokenLocation::header("x-token")];
}

/// Reads its token where [`LiveTokens`] says, whatever the verifier's locations.
#[protected(token_locations = LiveTokens)]
async fn live(claims: Claims) -> String {
    format!("live for {}", claims.sub.unwrap_or_default())
}

#[protected(token_locations = Twice)]
async fn misconfigured() -> &'static str {
    "never"
}

async fn plain() -> &'static str {
    "behind the layer"
}

/// An authority, and a verifier of its tokens reading them from `locations`.
fn verifier_with(locations: Vec<TokenLocation>) -> (Authority, Verifier) {
    let authority = testing::authority(Algorithm::ES256);
    let verifier = authority
        .verifier()
        .token_locations(locations)
        .build()
        .expect("verifier");
    (authority, verifier)
}

async fn axum_server(verifier: Verifier) -> String {
    let layered = Router::new()
        .route("/layer", get(plain).post(plain))
        .layer(RequireAuthLayer::new(verifier.clone()));
    let router = Router::new()
        .route("/me", get(me).post(me).delete(me))
        .route("/live", get(live))
        .route("/misconfigured", get(misconfigured))
        .with_state(verifier)
        .merge(layered);
    common::serve(router).await
}

fn cookie(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test]
async fn a_cookie_carries_the_token_and_unsafe_methods_need_the_csrf_header() {
    let (authority, verifier) = verifier_with(vec![
        TokenLocation::AuthorizationHeader,
        TokenLocation::cookie("access_token"),
    ]);
    let base = axum_server(verifier).await;
    let token = alice_token(&authority, &[]);
    let cookies = cookie(&[
        ("theme", "dark"),
        ("access_token", &token),
        ("csrf_token", "k9"),
    ]);
    for path in ["/me", "/layer"] {
        let url = format!("{base}{path}");
        // A safe method needs no CSRF proof.
        let reply = send(Method::GET, &url, &[("cookie", &cookies)]).await;
        assert_eq!(reply.status, 200, "{path}");
        // An unsafe one does: the header must equal the readable cookie.
        let reply = send(
            Method::POST,
            &url,
            &[("cookie", &cookies), ("x-csrf-token", "k9")],
        )
        .await;
        assert_eq!(reply.status, 200, "{path}");
        // A forged cross-site POST: the browser sends the cookies, the attacker cannot set the
        // header (or does not know the value).
        for headers in [
            vec![("cookie", cookies.as_str())],
            vec![("cookie", cookies.as_str()), ("x-csrf-token", "guess")],
            vec![("cookie", cookies.as_str()), ("x-csrf-token", "")],
        ] {
            let reply = send(Method::POST, &url, &headers).await;
            assert_eq!(
                (reply.status, reply.challenge.as_deref()),
                (403, None),
                "{path}"
            );
            assert_eq!(reply.json()["error"], "csrf_failed", "{path}");
        }
        // Without the readable cookie there is nothing to match, whatever the header says.
        let only_token = cookie(&[("access_token", &token)]);
        let reply = send(
            Method::POST,
            &url,
            &[("cookie", &only_token), ("x-csrf-token", "")],
        )
        .await;
        assert_eq!(reply.status, 403, "{path}");
        // The Authorization header needs no CSRF proof: a browser never adds it by itself.
        let reply = send(
            Method::POST,
            &url,
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await;
        assert_eq!(reply.status, 200, "{path}");
        // No token anywhere: the usual 401.
        let reply = send(Method::GET, &url, &[("cookie", "theme=dark")]).await;
        assert_eq!(
            (reply.status, reply.challenge.as_deref()),
            (401, Some(NONE))
        );
    }
}

#[tokio::test]
async fn the_csrf_value_can_be_a_claim_bound_into_the_token() {
    let (authority, verifier) = verifier_with(vec![
        TokenLocation::cookie("session").csrf(Csrf::claim("csrf", "x-xsrf-token")),
    ]);
    let base = axum_server(verifier).await;
    let token = authority
        .token("alice")
        .claim("csrf", "bound-7")
        .issue()
        .expect("token");
    let url = format!("{base}/me");
    let cookies = cookie(&[("session", &token)]);
    let reply = send(
        Method::DELETE,
        &url,
        &[("cookie", &cookies), ("x-xsrf-token", "bound-7")],
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "hello alice"));
    let reply = send(
        Method::DELETE,
        &url,
        &[("cookie", &cookies), ("x-xsrf-token", "bound-8")],
    )
    .await;
    assert_eq!(reply.status, 403);
    // A token without the claim cannot pass an unsafe request.
    let unbound = cookie(&[("session", &alice_token(&authority, &[]))]);
    let reply = send(
        Method::DELETE,
        &url,
        &[("cookie", &unbound), ("x-xsrf-token", "bound-7")],
    )
    .await;
    assert_eq!(reply.status, 403);
}

#[tokio::test]
async fn a_token_in_two_places_is_a_bad_request_never_a_choice() {
    let (authority, verifier) = verifier_with(vec![
        TokenLocation::AuthorizationHeader,
        TokenLocation::cookie("access_token"),
        TokenLocation::header("x-forwarded-access-token"),
    ]);
    let base = axum_server(verifier).await;
    let token = alice_token(&authority, &[]);
    let bearer = format!("Bearer {token}");
    let in_cookie = cookie(&[("access_token", &token)]);
    let twice_in_cookies = cookie(&[("access_token", &token), ("access_token", &token)]);
    let cases: [&[(&str, &str)]; 4] = [
        &[("authorization", &bearer), ("cookie", &in_cookie)],
        &[
            ("authorization", &bearer),
            ("x-forwarded-access-token", &token),
        ],
        &[("cookie", &in_cookie), ("x-forwarded-access-token", &token)],
        &[("cookie", &twice_in_cookies)],
    ];
    for path in ["/me", "/layer"] {
        for headers in cases {
            let reply = send(Method::GET, &format!("{base}{path}"), headers).await;
            assert_eq!(
                (reply.status, reply.challenge.as_deref()),
                (400, Some(SEVERAL)),
                "{path} {headers:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_gateway_header_with_or_without_a_scheme() {
    let (authority, verifier) = verifier_with(vec![
        TokenLocation::header("x-forwarded-access-token"),
        TokenLocation::header_with_scheme("x-gateway-authorization", "Bearer"),
    ]);
    let base = axum_server(verifier).await;
    let token = alice_token(&authority, &[]);
    let url = format!("{base}/me");
    let reply = send(Method::GET, &url, &[("x-forwarded-access-token", &token)]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "hello alice"));
    let reply = send(
        Method::GET,
        &url,
        &[("x-gateway-authorization", &format!("bearer {token}"))],
    )
    .await;
    assert_eq!(reply.status, 200);
    // The Authorization header is not among this verifier's locations.
    let reply = send(
        Method::GET,
        &url,
        &[("authorization", &format!("Bearer {token}"))],
    )
    .await;
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (401, Some(NONE))
    );
    // An empty header value is malformed, as `Authorization: Bearer` alone is.
    let reply = send(Method::GET, &url, &[("x-gateway-authorization", "Bearer")]).await;
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (400, Some(MALFORMED))
    );
}

#[tokio::test]
async fn a_query_token_counts_only_on_a_websocket_upgrade() {
    let (authority, verifier) = verifier_with(vec![
        TokenLocation::AuthorizationHeader,
        TokenLocation::websocket_query("access_token"),
    ]);
    let base = axum_server(verifier).await;
    let token = alice_token(&authority, &[]);
    let url = format!("{base}/me?room=1&access_token={token}");
    let upgrade = [("connection", "Upgrade"), ("upgrade", "websocket")];
    let reply = send(Method::GET, &url, &upgrade).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "hello alice"));
    // The same URL without the upgrade: the query is not a place for tokens.
    let reply = send(Method::GET, &url, &[]).await;
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (401, Some(NONE))
    );
    // A header and the query on the same upgrade: two places.
    let bearer = format!("Bearer {token}");
    let reply = send(
        Method::GET,
        &url,
        &[upgrade[0], upgrade[1], ("authorization", &bearer)],
    )
    .await;
    assert_eq!(reply.status, 400);
}

/// The checks of a handler whose own locations are [`LiveTokens`], on a verifier that reads the
/// `Authorization` header alone.
async fn check_live_route(base: &str, token: &str) {
    let bearer = format!("Bearer {token}");
    let upgrade = [("connection", "Upgrade"), ("upgrade", "websocket")];
    let url = format!("{base}/live?access_token={token}");
    let reply = send(Method::GET, &url, &upgrade).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "live for alice"),
        "{base}: the query of an upgrade"
    );
    let plain = format!("{base}/live");
    let reply = send(Method::GET, &plain, &[("x-gateway-token", token)]).await;
    assert_eq!(reply.status, 200, "{base}: the gateway header");
    // The verifier's own location is not one of this handler's.
    let reply = send(Method::GET, &plain, &[("authorization", &bearer)]).await;
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (401, Some(NONE)),
        "{base}: the Authorization header is not read here"
    );
    // Two of its own places at once.
    let reply = send(
        Method::GET,
        &url,
        &[upgrade[0], upgrade[1], ("x-gateway-token", token)],
    )
    .await;
    assert_eq!(reply.status, 400, "{base}: two places");
    // And the other handlers still read the verifier's locations, not these.
    let reply = send(
        Method::GET,
        &format!("{base}/me"),
        &[("x-gateway-token", token)],
    )
    .await;
    assert_eq!(
        reply.status, 401,
        "{base}: /me does not read the gateway header"
    );
}

#[tokio::test]
async fn a_handler_reads_its_own_locations_instead_of_the_verifiers() {
    let (authority, verifier) = verifier_with(vec![TokenLocation::AuthorizationHeader]);
    let token = alice_token(&authority, &[]);
    let base = axum_server(verifier.clone()).await;
    check_live_route(&base, &token).await;
    for base in [
        actix_server(verifier.clone()),
        poem_server(verifier.clone()).await,
        rocket_server(verifier.clone()).await,
        salvo_server(verifier).await,
    ] {
        check_live_route(&base, &token).await;
    }
}

#[tokio::test]
async fn a_handler_whose_own_locations_cannot_work_answers_500() {
    let (authority, verifier) = verifier_with(vec![TokenLocation::AuthorizationHeader]);
    let base = axum_server(verifier).await;
    let bearer = format!("Bearer {}", alice_token(&authority, &[]));
    let reply = send(
        Method::GET,
        &format!("{base}/misconfigured"),
        &[("authorization", &bearer), ("x-token", "t")],
    )
    .await;
    assert_eq!((reply.status, reply.challenge), (500, None));
    assert!(reply.body.contains("server_error"), "{}", reply.body);
}

#[test]
fn declared_locations_are_checked_once_and_kept() {
    use auth::guard::HandlerTokenLocations;
    let first = LiveTokens::token_locations().expect("a valid list");
    let again = LiveTokens::token_locations().expect("a valid list");
    assert!(std::ptr::eq(first, again), "one list for the process");
    assert_eq!(first.list().len(), 2);
    assert_eq!(
        Twice::token_locations().map(|_| ()),
        Err("a location is listed twice")
    );
}

#[tokio::test]
async fn actix_poem_rocket_and_salvo_read_the_same_locations() {
    let (authority, verifier) = verifier_with(vec![
        TokenLocation::AuthorizationHeader,
        TokenLocation::cookie("access_token"),
    ]);
    let token = alice_token(&authority, &[]);
    let cookies = cookie(&[("access_token", &token), ("csrf_token", "k9")]);
    let servers = [
        actix_server(verifier.clone()),
        poem_server(verifier.clone()).await,
        rocket_server(verifier.clone()).await,
        salvo_server(verifier.clone()).await,
    ];
    for base in servers {
        let url = format!("{base}/me");
        let reply = send(Method::GET, &url, &[("cookie", &cookies)]).await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (200, "hello alice"),
            "{base}"
        );
        let reply = send(Method::POST, &url, &[("cookie", &cookies)]).await;
        assert_eq!(reply.status, 403, "{base}");
        let reply = send(
            Method::POST,
            &url,
            &[("cookie", &cookies), ("x-csrf-token", "k9")],
        )
        .await;
        assert_eq!(reply.status, 200, "{base}");
        let reply = send(
            Method::GET,
            &url,
            &[
                ("cookie", &cookies),
                ("authorization", &format!("Bearer {token}")),
            ],
        )
        .await;
        assert_eq!(reply.status, 400, "{base}");
    }
}

mod actix_handlers {
    use auth::{Claims, protected};

    #[protected]
    pub(crate) async fn me(claims: Claims) -> String {
        format!("hello {}", claims.sub.unwrap_or_default())
    }

    #[protected(token_locations = super::LiveTokens)]
    pub(crate) async fn live(claims: Claims) -> String {
        format!("live for {}", claims.sub.unwrap_or_default())
    }
}

/// The actix-web server of these handlers.
fn actix_server(verifier: Verifier) -> String {
    use actix_web::web;
    common::serve_actix(verifier, |app| {
        app.route("/me", web::get().to(actix_handlers::me))
            .route("/me", web::post().to(actix_handlers::me))
            .route("/live", web::get().to(actix_handlers::live));
    })
}

mod rocket_handlers {
    use auth::{Claims, protected};

    #[protected]
    #[rocket::get("/me")]
    pub(crate) async fn me(claims: Claims) -> String {
        format!("hello {}", claims.sub.unwrap_or_default())
    }

    #[protected]
    #[rocket::post("/me")]
    pub(crate) async fn me_post(claims: Claims) -> String {
        format!("hello {}", claims.sub.unwrap_or_default())
    }

    #[protected(token_locations = super::LiveTokens)]
    #[rocket::get("/live")]
    pub(crate) async fn live(claims: Claims) -> String {
        format!("live for {}", claims.sub.unwrap_or_default())
    }
}

async fn rocket_server(verifier: Verifier) -> String {
    let rocket = rocket::build()
        .manage(verifier)
        .attach(auth::rocket::Rejections)
        .mount(
            "/",
            rocket::routes![
                rocket_handlers::me,
                rocket_handlers::me_post,
                rocket_handlers::live
            ],
        );
    common::launch_rocket(rocket).await
}

mod salvo_handlers {
    use auth::{Claims, protected};
    // The code of `#[handler]` calls `Writer::write` as a method.
    use salvo::Writer as _;
    use salvo::handler;

    #[protected]
    #[handler]
    pub(crate) async fn me(claims: Claims) -> String {
        format!("hello {}", claims.sub.unwrap_or_default())
    }

    #[protected(token_locations = super::LiveTokens)]
    #[handler]
    pub(crate) async fn live(claims: Claims) -> String {
        format!("live for {}", claims.sub.unwrap_or_default())
    }
}

async fn salvo_server(verifier: Verifier) -> String {
    use salvo::Router;
    let router = Router::new()
        .hoop(salvo::affix_state::inject(verifier))
        .push(
            Router::with_path("me")
                .get(salvo_handlers::me)
                .post(salvo_handlers::me),
        )
        .push(Router::with_path("live").get(salvo_handlers::live));
    common::serve_salvo(router).await
}

mod poem_handlers {
    use auth::{Claims, protected};
    use poem::handler;

    #[protected]
    #[handler]
    pub(crate) async fn me(claims: Claims) -> String {
        format!("hello {}", claims.sub.unwrap_or_default())
    }

    #[protected(token_locations = super::LiveTokens)]
    #[handler]
    pub(crate) async fn live(claims: Claims) -> String {
        format!("live for {}", claims.sub.unwrap_or_default())
    }
}

async fn poem_server(verifier: Verifier) -> String {
    use poem::listener::{Acceptor, Listener, TcpListener};
    use poem::{EndpointExt, Route, Server, get};
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .expect("bind loopback");
    let addr = acceptor.local_addr()[0]
        .as_socket_addr()
        .copied()
        .expect("a socket address");
    let app = Route::new()
        .at("/me", get(poem_handlers::me).post(poem_handlers::me))
        .at("/live", get(poem_handlers::live))
        .data(verifier);
    tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
    format!("http://{addr}")
}

#[test]
fn locations_that_cannot_work_are_a_configuration_error() {
    let authority = testing::authority(Algorithm::ES256);
    let build = |locations: Vec<TokenLocation>| {
        authority
            .verifier()
            .token_locations(locations)
            .build()
            .map(|_| ())
    };
    for bad in [
        vec![],
        vec![
            TokenLocation::AuthorizationHeader,
            TokenLocation::AuthorizationHeader,
        ],
        vec![TokenLocation::header("Authorization")],
        vec![TokenLocation::header("not a header")],
        vec![TokenLocation::cookie("at").csrf(Csrf::cookie("c", "bad header"))],
    ] {
        assert!(
            matches!(
                build(bad.clone()),
                Err(auth::ConfigError::TokenLocations(_))
            ),
            "{bad:?}"
        );
    }
    assert!(
        build(vec![
            TokenLocation::cookie("at"),
            TokenLocation::header("x-token")
        ])
        .is_ok()
    );
}
