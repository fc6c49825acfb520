use auth::requires_policy;

#[requires_policy(roles("admin"))]
async fn misspelt_term() {}

#[requires_policy(role("admin") or)]
async fn missing_operand() {}

#[requires_policy(claim("tenant") = "acme")]
async fn not_a_comparison() {}

#[requires_policy(role("admin") && scope("x"))]
async fn symbols_for_words() {}

#[requires_policy(claim("level") == 1.5)]
async fn a_float() {}

#[requires_policy()]
async fn empty() {}

fn main() {}
