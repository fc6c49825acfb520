use auth::{AccessRequest, Claims};

// The parameters swapped: each type is reported on its parameter.
#[auth::check]
fn swapped(request: &AccessRequest<'_>, claims: &Claims) -> bool {
    let _ = (request, claims);
    true
}

fn main() {}
