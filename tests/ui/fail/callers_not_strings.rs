use auth::{Claims, protected};

// Caller names are string literals, like role names; a list must be in brackets.
#[protected(callers = [billing, "reports", "reports"])]
async fn invoices(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected(callers = "billing")]
async fn refunds(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

fn main() {}
