//! `homeshore`: the one binary that runs, seeds, benchmarks and plans a contact center.
//!
//! Each subcommand lives in its own module under `cmd/`; this file only parses and
//! dispatches.
#![forbid(unsafe_code)]

mod cmd;

use clap::{Parser, Subcommand};

/// Homeshore — a self-hostable contact center for customer-service teams that work from home.
///
/// Start with `homeshore demo` for a living demo center at http://localhost:8080.
#[derive(Debug, Parser)]
#[command(name = "homeshore", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a demo center: seeded organisation, simulated customers and agents.
    Demo(cmd::demo::Args),
    /// Measure the hot paths (routing decisions, event rebuild) and print figures.
    #[command(subcommand)]
    Bench(cmd::bench::BenchCommand),
    // Workforce management (docs on the argument structs, with examples).
    Forecast(cmd::wfm::ForecastArgs),
    Staff(cmd::wfm::StaffArgs),
    Schedule(cmd::wfm::ScheduleArgs),
    Simulate(cmd::wfm::SimulateArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo(args) => cmd::demo::run(args),
        Command::Bench(command) => cmd::bench::run(command),
        Command::Forecast(args) => cmd::wfm::forecast_cmd(args),
        Command::Staff(args) => cmd::wfm::staff_cmd(args),
        Command::Schedule(args) => cmd::wfm::schedule_cmd(args),
        Command::Simulate(args) => cmd::wfm::simulate_cmd(args),
    }
}
