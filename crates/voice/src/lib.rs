//! Voice: the sans-IO core of Homeshore's telephony.
#![forbid(unsafe_code)]

pub mod digest;
pub mod sdp;
pub mod sip;
