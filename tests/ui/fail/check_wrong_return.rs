use auth::Claims;

// A string is no decision.
#[auth::check]
fn named(claims: &Claims) -> String {
    claims.sub.clone().unwrap_or_default()
}

fn main() {}
