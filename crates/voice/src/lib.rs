//! Voice: the sans-IO core of Homeshore's telephony.
#![forbid(unsafe_code)]

pub mod call;
pub mod dialog;
pub mod digest;
pub mod dtmf;
pub mod g711;
pub mod jitter;
pub mod mixer;
pub mod register;
pub mod rtp;
pub mod sdp;
pub mod sip;
pub mod tone;
pub mod transaction;
