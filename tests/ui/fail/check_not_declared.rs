use auth::{AccessRequest, Claims, protected};

// A plain function, without `#[auth::check]`.
fn owner(claims: &Claims, request: &AccessRequest<'_>) -> bool {
    claims.sub.as_deref() == request.path_param("user")
}

#[protected(check = owner)]
async fn profile(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

// A type, but no check.
struct Owner;

#[protected(check = Owner)]
async fn profile_too(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

fn main() {}
