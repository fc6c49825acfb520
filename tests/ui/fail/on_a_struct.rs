#[auth::protected]
struct Handler {
    name: String,
}

fn main() {
    let _ = Handler {
        name: String::new(),
    }
    .name;
}
