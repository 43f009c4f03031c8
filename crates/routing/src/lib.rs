//! Routing engine: decides which agent helps each contact.
//!
//! Pure and deterministic: commands in, events and decisions out. Time is an input;
//! this crate never reads a clock, never does I/O, never spawns a thread.
#![forbid(unsafe_code)]
