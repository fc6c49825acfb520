use auth::requires_policy;

// Roles in a policy are checked against the vocabulary like any other.
#[requires_policy(role("amin") or scope("orders:read"))]
async fn orders() -> &'static str {
    "orders"
}

fn main() {}
