use auth::requires_role;

#[requires_role("admin")]
#[utoipa::path(get, path = "/admin", security(("bearer" = ["admin"])))]
async fn admin() -> &'static str {
    "admin"
}

fn main() {}
