use auth::{AccessRequest, Claims};

// The claims by value: a check borrows them.
#[auth::check]
fn by_value(claims: Claims) -> bool {
    claims.sub.is_some()
}

// No parameters at all.
#[auth::check]
fn nothing() -> bool {
    true
}

// A type parameter the handler could not name.
#[auth::check]
fn generic<T: Default>(claims: &Claims, request: &AccessRequest<'_>) -> bool {
    let _ = (claims, request, T::default());
    true
}

// A third parameter.
#[auth::check]
fn three(claims: &Claims, request: &AccessRequest<'_>, id: &u64) -> bool {
    let _ = (claims, request, id);
    true
}

fn main() {}
