use auth::{Claims, protected};

// A list where a type is expected: the locations are declared once, with `token_locations!`.
#[protected(token_locations = ["access_token"])]
async fn live(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

fn main() {}
