//! Nothing here: the comparison is `benches/axum.rs` (`cargo bench`, see README.md).
