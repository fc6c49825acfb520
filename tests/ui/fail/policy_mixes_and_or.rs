use auth::requires_policy;

// `and` and `or` do not mix without parentheses.
#[requires_policy(role("admin") or scope("orders:read") and caller("billing"))]
async fn orders() -> &'static str {
    "orders"
}

fn main() {}
