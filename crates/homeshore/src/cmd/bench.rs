//! `homeshore bench …`: benchmarks that print figures.
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Routing decisions per second and decision latency.
    Routing,
}

pub fn run(_command: BenchCommand) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
