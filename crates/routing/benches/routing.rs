//! `cargo bench -p homeshore-routing`: routing decisions at 10k agents, 200 queues,
//! 100k contacts, and a rebuild of the events that run produced. The same workload as
//! `homeshore bench routing` (see `routing::workload`). Set `ROUTING_BENCH_AGENTS` /
//! `ROUTING_BENCH_CONTACTS` to change the size.
use routing::workload::{WorkloadConfig, run};
use routing::{Engine, Settings};
use std::time::Instant;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too: keep it small then.
    let quick = !std::env::args().any(|a| a == "--bench");
    let config = WorkloadConfig {
        agents: env("ROUTING_BENCH_AGENTS", if quick { 200 } else { 10_000 }) as u32,
        queues: 200,
        contacts: env(
            "ROUTING_BENCH_CONTACTS",
            if quick { 2_000 } else { 100_000 },
        ),
        seed: 1,
    };
    let origin = Instant::now();
    let mut log = Vec::new();
    let (_, r) = run(
        &config,
        || origin.elapsed().as_nanos() as u64,
        |e| log.push(e.clone()),
    );
    println!(
        "routing decision ({} agents, {} queues, {} contacts): {:.0} decisions/s, p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        config.agents,
        config.queues,
        config.contacts,
        r.decisions_per_sec(),
        r.quantile_us(0.5),
        r.quantile_us(0.99),
        r.quantile_us(1.0)
    );
    // decisions/s divides by the time of every command, not only the deciding ones.
    println!(
        "  {} decisions in {} commands, {:.0} commands/s, {:.3} s in the engine",
        r.decisions,
        r.commands,
        r.commands as f64 / (r.busy_ns.max(1) as f64 / 1e9),
        r.busy_ns as f64 / 1e9
    );
    let t = Instant::now();
    let engine = Engine::rebuild(Settings::default(), &log).expect("rebuild");
    println!(
        "rebuild of {} events: {:.3} s ({} live contacts)",
        log.len(),
        t.elapsed().as_secs_f64(),
        engine.counts().2
    );
}
