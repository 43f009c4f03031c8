//! One module per subcommand. Each exposes its clap arguments and a `run` function.
pub mod bench;
pub mod bench_api;
pub mod bench_chat;
pub mod bench_reports;
pub mod bench_webhooks;
pub mod bench_ws;
pub mod demo;
pub mod serve;
pub mod wfm;
