//! Rebuilds the crate when a migration changes: `embed_migrations!` reads the
//! migration files at compile time, and cargo would not notice them otherwise.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
