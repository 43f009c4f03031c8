//! Rebuild the server when the browser apps in `web/dist` change: release builds embed
//! them, and whether the folder exists is decided at compile time.
fn main() {
    println!("cargo:rerun-if-changed=../../web/dist");
}
