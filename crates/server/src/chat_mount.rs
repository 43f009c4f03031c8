//! Where the chat widget's endpoints (`crates/server/src/chat/`, owned by the chat
//! channel) join the application.
//!
//! MOUNT POINT: once `crates/server/src/chat/mod.rs` exists with
//! `pub fn router() -> axum::Router<AppState>`, `lib.rs` declares `pub mod chat;` and this
//! function returns `crate::chat::router()`.

use crate::AppState;

pub fn router() -> axum::Router<AppState> {
    crate::chat::router()
}
