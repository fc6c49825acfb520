use auth::{Claims, protected};

// An allow-list with no names would refuse every request.
#[protected(callers = [])]
async fn invoices(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

fn main() {}
