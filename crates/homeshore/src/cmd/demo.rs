//! `homeshore demo`.
use clap::Args as ClapArgs;

#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("the demo center is not built yet")
}
