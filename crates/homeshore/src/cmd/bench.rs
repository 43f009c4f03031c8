//! `homeshore bench …`: benchmarks that print figures.
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Routing decisions per second, decision latency and peak memory; or, with
    /// `--rebuild-events N`, the time to rebuild the routing state from N events.
    Routing(RoutingArgs),
    /// Concurrent customer chats on loopback: lost, duplicated, customer→agent latency.
    Chat(super::bench_chat::Args),
}

pub fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Routing(args) => run_routing(args),
        BenchCommand::Chat(args) => super::bench_chat::run(args),
    }
}

/// `homeshore bench routing` arguments.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  homeshore bench routing --agents 10000 --queues 200 --contacts 100000\n  homeshore bench routing --agents 1000 --json\n  homeshore bench routing --rebuild-events 1000000"
)]
pub struct RoutingArgs {
    /// Agents, all available from the start.
    #[arg(long, default_value_t = 10_000)]
    pub agents: u32,
    /// Queues (demand and skills skewed across them).
    #[arg(long, default_value_t = 200)]
    pub queues: u32,
    /// Contacts arriving over the run.
    #[arg(long, default_value_t = 100_000)]
    pub contacts: u64,
    /// Workload seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Instead: produce at least N events with the workload, then time a rebuild.
    #[arg(long, value_name = "N")]
    pub rebuild_events: Option<u64>,
}

/// Peak resident memory of this process (VmHWM), in KiB, where /proc has it.
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn run_routing(args: RoutingArgs) -> anyhow::Result<()> {
    use routing::workload::{WorkloadConfig, run};
    use std::time::Instant;
    anyhow::ensure!(
        args.agents > 0 && args.queues > 0,
        "--agents and --queues must be positive"
    );
    let mut config = WorkloadConfig {
        agents: args.agents,
        queues: args.queues,
        contacts: args.contacts,
        seed: args.seed,
    };
    let origin = Instant::now();
    let clock = || origin.elapsed().as_nanos() as u64;
    if let Some(n) = args.rebuild_events {
        // About 4.7 events per contact in this workload: size the run to reach N.
        config.contacts = config.contacts.max(n / 4 + 1);
        let mut log = Vec::with_capacity(n as usize + 1024);
        let make = |c: &WorkloadConfig, log: &mut Vec<routing::Event>| {
            log.clear();
            run(c, clock, |e| log.push(e.clone()))
        };
        make(&config, &mut log);
        while (log.len() as u64) < n {
            config.contacts = config.contacts * n / (log.len() as u64).max(1) + 1000;
            make(&config, &mut log);
        }
        log.truncate(n as usize);
        let t = Instant::now();
        let engine = routing::Engine::rebuild(routing::Settings::default(), &log)?;
        let secs = t.elapsed().as_secs_f64();
        let (agents, queues, contacts) = engine.counts();
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "events": log.len(),
                    "rebuild_secs": secs,
                    "events_per_sec": log.len() as f64 / secs,
                    "agents": agents,
                    "queues": queues,
                    "live_contacts": contacts,
                    "peak_rss_kib": peak_kib(),
                })
            );
        } else {
            println!(
                "rebuilt {} events in {:.3} s ({:.0} events/s): {agents} agents, {queues} queues, {contacts} live contacts; peak memory {} MiB",
                log.len(),
                secs,
                log.len() as f64 / secs,
                peak_kib()
                    .map(|k| (k / 1024).to_string())
                    .unwrap_or_else(|| "?".into())
            );
        }
        return Ok(());
    }
    let bar = (!args.json).then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_message(format!(
            "routing {} contacts over {} agents and {} queues…",
            config.contacts, config.agents, config.queues
        ));
        b.enable_steady_tick(std::time::Duration::from_millis(200));
        b
    });
    let wall = Instant::now();
    let (_, r) = run(&config, clock, |_| {});
    let wall = wall.elapsed().as_secs_f64();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let peak = peak_kib();
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "agents": config.agents,
                "queues": config.queues,
                "contacts": config.contacts,
                "seed": config.seed,
                "decisions": r.decisions,
                "commands": r.commands,
                "decisions_per_sec": r.decisions_per_sec(),
                "commands_per_sec": r.commands as f64 / (r.busy_ns.max(1) as f64 / 1e9),
                "p50_us": r.quantile_us(0.5),
                "p99_us": r.quantile_us(0.99),
                "max_us": r.quantile_us(1.0),
                "events": r.events,
                "wall_secs": wall,
                "peak_rss_kib": peak,
            })
        );
    } else {
        println!(
            "{} agents, {} queues, {} contacts (seed {})",
            config.agents, config.queues, config.contacts, config.seed
        );
        println!(
            "  decisions      {} in {} commands ({:.2} s in the engine, {:.2} s wall)",
            r.decisions,
            r.commands,
            r.busy_ns as f64 / 1e9,
            wall
        );
        println!("  decisions/s    {:.0}", r.decisions_per_sec());
        println!(
            "  latency        p50 {:.1} µs   p99 {:.1} µs   max {:.1} µs  (per decision-making command)",
            r.quantile_us(0.5),
            r.quantile_us(0.99),
            r.quantile_us(1.0)
        );
        println!(
            "  peak memory    {} MiB",
            peak.map(|k| (k / 1024).to_string())
                .unwrap_or_else(|| "?".into())
        );
    }
    Ok(())
}
