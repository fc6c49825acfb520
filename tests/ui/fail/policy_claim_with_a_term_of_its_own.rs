use auth::requires_policy;

// Roles follow the hierarchy through `role(..)`; the caller is `caller(..)`.
#[requires_policy(claim("roles") == "admin" or claim("client_id") == "billing")]
async fn refunds() {}

fn main() {}
