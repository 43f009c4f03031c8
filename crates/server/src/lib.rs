//! The Homeshore server: HTTP/JSON API, WebSockets, auth, and the routing engine wired to
//! the store and the clock.
#![forbid(unsafe_code)]
