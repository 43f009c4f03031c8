//! Durable event log and the projections the API reads, on SQLite (embedded default) and
//! PostgreSQL. Nothing is acknowledged before it is committed.
#![forbid(unsafe_code)]
