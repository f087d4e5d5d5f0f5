//! Placeholder: replaced by the quickstart lifecycle.
fn main() {}
