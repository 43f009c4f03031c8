//! Workforce management: forecasting, Erlang staffing, schedules from the hours agents
//! offer, adherence and simulation.
//!
//! Pure maths over inputs: no clock, no I/O; randomness is seeded and passed in.
//!
//! * [`history`] — interval history per queue (offered, handled, abandoned, AHT) from
//!   interval records or individual contacts. Missing intervals mean *closed*.
//! * [`forecast`] — volume and AHT per queue and interval (weekly and daily seasonality,
//!   trend, special days, prediction ranges) and a backtest (WAPE, MAPE, bias) against
//!   the seasonal-naive baseline.
//! * [`erlang`] — Erlang B/C/A in stable recurrences and log space; the fewest agents for
//!   a service-level or ASA target with occupancy cap, shrinkage and chat concurrency.
//! * [`schedule`] — agents' preferences (windows per weekday in their time zone, weekly
//!   hours 1–30 or up to 60 in peak weeks, shift lengths, days off, skills), schedule
//!   generation with breaks and lunch, a proven lower bound on the shortfall, and peak
//!   hiring plans.
//! * [`adherence`] — adherence, conformance and the live out-of-adherence list.
//! * [`sim`] — a seeded discrete-event simulation (Poisson arrivals, lognormal handle
//!   times, exponential patience) behind a small [`sim::Router`] trait; `sim_routing`
//!   (feature `routing-engine`) implements it over the `routing` engine.
//! * [`synth`] — seeded synthetic histories and centers for tests and benchmarks.
//! * [`time`] — local wall-clock minutes, civil dates and ISO 8601 parsing.
//! * [`zone`] — wall clocks of IANA time zones (`jiff`'s tz rules, passed in as values):
//!   local times to UTC date by date, 23- and 25-hour days, abbreviations.
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
pub mod zone;
