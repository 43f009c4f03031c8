//! `homeshore`: the one binary that runs, seeds, benchmarks and plans a contact center.
//!
//! Each subcommand lives in its own module under `cmd/`; this file only parses and
//! dispatches.
#![forbid(unsafe_code)]

mod cmd;

/// The server makes many small, short-lived allocations from two threads (requests,
/// JSON, fan-out frames); mimalloc serves them with less contention and fragmentation
/// than the system allocator (see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Run a contact center: the API, live updates and the browser apps.
    ///
    /// Settings: --config FILE (TOML), HOMESHORE_* variables, then flags. Example:
    ///   homeshore serve --listen 0.0.0.0:8080 --database-url postgres://homeshore@db/homeshore
    Serve(cmd::serve::ServerArgs),
    /// Create or update the database schema, then exit (serve also does this on start).
    Migrate(cmd::serve::ServerArgs),
    /// Organisations: create, list.
    #[command(subcommand)]
    Org(cmd::serve::OrgCommand),
    /// Staff accounts: add.
    #[command(subcommand)]
    User(cmd::serve::UserCommand),
    /// The audit trail: check that no event was changed by hand.
    #[command(subcommand)]
    Audit(cmd::serve::AuditCommand),
    /// Encryption at rest: rotate an organisation's data key, re-encrypt, rewrap.
    #[command(subcommand)]
    Keys(cmd::serve::KeysCommand),
    /// Run a demo center: seeded organisation, simulated customers and agents.
    Demo(cmd::demo::Args),
    /// Measure the hot paths and print figures: routing decisions and rebuild, chat load,
    /// API contact creations, staff WebSocket fan-out.
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
        Command::Serve(args) => cmd::serve::serve(args),
        Command::Migrate(args) => cmd::serve::migrate(args),
        Command::Org(command) => cmd::serve::org(command),
        Command::Audit(command) => cmd::serve::audit(command),
        Command::Keys(command) => cmd::serve::keys(command),
        Command::User(command) => cmd::serve::user(command),
        Command::Demo(args) => cmd::demo::run(args),
        Command::Bench(command) => cmd::bench::run(command),
        Command::Forecast(args) => cmd::wfm::forecast_cmd(args),
        Command::Staff(args) => cmd::wfm::staff_cmd(args),
        Command::Schedule(args) => cmd::wfm::schedule_cmd(args),
        Command::Simulate(args) => cmd::wfm::simulate_cmd(args),
    }
}
