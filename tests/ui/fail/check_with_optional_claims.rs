use auth::{Claims, protected};

#[auth::check]
fn verified(claims: &Claims) -> bool {
    claims.extra.contains_key("email_verified")
}

// A check decides on claims: they cannot be optional.
#[protected(check = verified)]
async fn maybe(claims: Option<Claims>) -> String {
    claims.and_then(|c| c.sub).unwrap_or_default()
}

// The explicit-source style reads the request in the body: call the check there.
#[protected(from = request, check = verified)]
async fn from_request(request: http::Request<()>) -> Result<String, auth::AuthError> {
    let _ = request;
    Ok(String::new())
}

fn main() {}
