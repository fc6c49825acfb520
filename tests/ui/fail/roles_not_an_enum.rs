// The vocabulary becomes an enum: `auth::roles!(pub enum Role);`.
auth::roles!(pub struct Role);

fn main() {}
