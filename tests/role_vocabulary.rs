//! One vocabulary at compile time and at run time: for random role sets, the guard that
//! `#[requires_role(...)]` generates, the run-time [`Requirement`] built from the generated
//! `Role` enum, the tonic interceptor and the deny-by-default layer with that requirement,
//! and `Claims::holds_role`, all decide the same, with the same 403.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use auth::layer::RequireAuthLayer;
use auth::{
    Algorithm, AuthError, Authority, Claims, Requirement, RoleVocabulary, Verifier, requires_role,
    testing,
};
use axum::Router;
use axum::body::Body;
use axum::routing::get;
use proptest::prelude::*;
use tonic::service::Interceptor;
use tower::ServiceExt;

auth::roles!(pub enum Role);

/// A guard of the attributes, framework-free: the token from the request, the verifier from
/// its extensions.
macro_rules! attribute_guard {
    ($name:ident, $($requirement:tt)*) => {
        #[requires_role($($requirement)*)]
        #[auth::protected(from = request)]
        fn $name(request: &http::Request<()>) -> Result<(), AuthError> {
            Ok(())
        }
    };
}

attribute_guard!(needs_guest, "guest");
attribute_guard!(needs_user, "user");
attribute_guard!(needs_admin, "admin");
attribute_guard!(needs_auditor, "auditor");
attribute_guard!(needs_user_or_auditor, any("user", "auditor"));
attribute_guard!(needs_user_and_auditor, all("user", "auditor"));
attribute_guard!(needs_guest_or_admin, any("guest", "admin"));
attribute_guard!(needs_admin_and_guest, all("admin", "guest"));

type Guard = fn(&http::Request<()>) -> Result<(), AuthError>;

/// Each attribute guard beside the run-time requirement that should decide as it does.
fn cases() -> Vec<(&'static str, Guard, Requirement)> {
    use Requirement as R;
    vec![
        ("guest", needs_guest, R::role(Role::Guest)),
        ("user", needs_user, R::role(Role::User)),
        ("admin", needs_admin, R::role(Role::Admin)),
        ("auditor", needs_auditor, R::role(Role::Auditor)),
        (
            "any(user, auditor)",
            needs_user_or_auditor,
            R::any_of([R::role(Role::User), R::role(Role::Auditor)]),
        ),
        (
            "all(user, auditor)",
            needs_user_and_auditor,
            R::all_of([R::role(Role::User), R::role(Role::Auditor)]),
        ),
        (
            "any(guest, admin)",
            needs_guest_or_admin,
            R::any_of([R::role(Role::Guest), R::role(Role::Admin)]),
        ),
        (
            "all(admin, guest)",
            needs_admin_and_guest,
            R::all_of([R::role(Role::Admin), R::role(Role::Guest)]),
        ),
    ]
}

fn request(verifier: &Verifier, token: &str) -> http::Request<()> {
    let mut request = http::Request::builder()
        .uri("/")
        .header("authorization", format!("Bearer {token}"))
        .body(())
        .unwrap();
    request.extensions_mut().insert(verifier.clone());
    request
}

struct World {
    authority: Authority,
    verifier: Verifier,
    runtime: tokio::runtime::Runtime,
}

fn world() -> World {
    let (authority, verifier) = testing::pair(Algorithm::ES256);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    World {
        authority,
        verifier,
        runtime,
    }
}

/// The layer's status for `token` with `requirement` on everything behind it.
fn layer_status(world: &World, requirement: &Requirement, token: &str) -> u16 {
    let router = Router::new()
        .route("/", get(|| async { "in" }))
        .layer(RequireAuthLayer::new(world.verifier.clone()).require(requirement.clone()));
    let request = http::Request::builder()
        .uri("/")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = world
        .runtime
        .block_on(router.oneshot(request))
        .expect("the router answers");
    response.status().as_u16()
}

/// The tonic interceptor's decision for `token` with `requirement`: `Ok`, or the gRPC code.
fn interceptor_outcome(
    world: &World,
    requirement: &Requirement,
    token: &str,
) -> Result<(), tonic::Code> {
    let mut interceptor =
        auth::tonic::interceptor(Some(world.verifier.clone())).require(requirement.clone());
    let mut request = tonic::Request::new(());
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    interceptor
        .call(request)
        .map(|_| ())
        .map_err(|status| status.code())
}

/// Every check decides `roles` the same way, with the same refusal.
fn agree(world: &World, roles: &[&str]) {
    let token = world
        .authority
        .issue("someone", roles.iter().copied())
        .unwrap();
    let claims: Claims = world.verifier.verify(&token).unwrap();
    for (name, guard, requirement) in cases() {
        let by_attribute = guard(&request(&world.verifier, &token));
        let by_value = requirement.check(&claims);
        assert_eq!(by_attribute, by_value, "{name} for roles {roles:?}");
        if let Err(error) = &by_value {
            assert_eq!(error.status(), 403, "{name}");
        }
        let by_interceptor = interceptor_outcome(world, &requirement, &token);
        assert_eq!(
            by_interceptor.is_ok(),
            by_value.is_ok(),
            "tonic, {name} for roles {roles:?}"
        );
        if let Err(code) = by_interceptor {
            assert_eq!(code, tonic::Code::PermissionDenied, "{name}");
        }
        let expected_status = if by_value.is_ok() { 200 } else { 403 };
        assert_eq!(
            layer_status(world, &requirement, &token),
            expected_status,
            "layer, {name} for roles {roles:?}"
        );
    }
    for &role in Role::ALL {
        let single = match role {
            Role::Admin => needs_admin,
            Role::Auditor => needs_auditor,
            Role::User => needs_user,
            Role::Guest => needs_guest,
        };
        assert_eq!(
            claims.holds_role(role),
            single(&request(&world.verifier, &token)).is_ok(),
            "holds_role({role}) for roles {roles:?}"
        );
    }
}

/// Names a token may carry: every declared role, and near misses that must never count.
const NAMES: [&str; 8] = [
    "admin",
    "auditor",
    "user",
    "guest",
    "Admin",
    "users",
    "superuser",
    "guest ",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_attributes_and_the_run_time_checks_decide_alike(
        roles in proptest::collection::vec(proptest::sample::select(NAMES.to_vec()), 0..5)
    ) {
        thread_local! {
            static WORLD: World = world();
        }
        WORLD.with(|world| agree(world, &roles));
    }
}

#[test]
fn every_role_set_of_the_vocabulary_agrees() {
    // All 16 subsets of the four declared roles, beside the random ones above.
    let world = world();
    for mask in 0u8..16 {
        let roles: Vec<&str> = Role::ALL
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, role)| role.name())
            .collect();
        agree(&world, &roles);
    }
}

#[test]
fn the_generated_enum_carries_the_manifests_names_and_hierarchy() {
    assert_eq!(
        Role::ALL,
        [Role::Admin, Role::Auditor, Role::Guest, Role::User]
    );
    assert_eq!(
        Role::ALL.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
        ["admin", "auditor", "guest", "user"]
    );
    assert_eq!(
        Role::Guest.satisfied_by(),
        [Role::Guest, Role::Admin, Role::User]
    );
    assert_eq!(Role::User.satisfied_by(), [Role::User, Role::Admin]);
    assert_eq!(Role::Auditor.satisfied_by(), [Role::Auditor, Role::Admin]);
    assert_eq!(Role::Admin.satisfied_by(), [Role::Admin]);
    assert_eq!("user".parse::<Role>(), Ok(Role::User));
    assert_eq!(
        "User".parse::<Role>(),
        Err(auth::UnknownRole("User".into()))
    );
    assert_eq!(Role::from_name("guest"), Some(Role::Guest));
}
