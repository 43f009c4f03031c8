//! Workforce management: forecasting, Erlang staffing, schedules from the hours agents
//! offer, adherence and simulation.
//!
//! Pure maths over inputs: no clock, no I/O. The simulator drives the real `routing` engine.
#![forbid(unsafe_code)]

pub mod adherence;
pub mod erlang;
pub mod forecast;
pub mod history;
pub mod schedule;
pub mod sim;
#[cfg(feature = "routing-engine")]
pub mod sim_routing;
pub mod synth;
pub mod time;
