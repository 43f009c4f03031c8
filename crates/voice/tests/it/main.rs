//! Integration tests of the voice crate: whole flows between two of our own user agents
//! over a simulated network (one test binary, modules below).
mod call_flow;
