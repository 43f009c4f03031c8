//! `homeshore bench …`: benchmarks that print figures.
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Routing decisions per second, decision latency and peak memory; or, with
    /// `--rebuild-events N`, the time to rebuild the routing state from N events.
    Routing(RoutingArgs),
    /// Concurrent customer chats on loopback: lost, duplicated, customer→agent latency.
    Chat(super::bench_chat::Args),
    /// Durable contact creations per second through the HTTP API, against a plain
    /// "hello" handler's rate on the same machine.
    Api(super::bench_api::Args),
    /// Many concurrent staff WebSockets: the server's memory and delivery latency.
    Ws(super::bench_ws::Args),
    /// SMS through the Twilio adapter: signed webhooks per second (durable before the
    /// 2xx, retried deliveries counted once), and replies queued during a provider
    /// outage, sent once each when it ends.
    Webhooks(super::bench_webhooks::Args),
    /// Historical reports over a month of a million contacts: the report's answer time
    /// through the API, and the per-contact CSV streamed with the server's peak memory.
    Reports(super::bench_reports::Args),
}

pub fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Routing(args) => run_routing(args),
        BenchCommand::Chat(args) => super::bench_chat::run(args),
        BenchCommand::Api(args) => super::bench_api::run(args),
        BenchCommand::Ws(args) => super::bench_ws::run(args),
        BenchCommand::Webhooks(args) => super::bench_webhooks::run(args),
        BenchCommand::Reports(args) => super::bench_reports::run(args),
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
    status_kib("self", "VmHWM")
}

/// A memory figure (`VmRSS`, `VmHWM`…) of process `pid` (or `"self"`) from
/// `/proc/PID/status`, in KiB.
pub fn status_kib(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status
        .lines()
        .find(|l| l.split(':').next() == Some(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The one-minute load average, where /proc has it.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// CPU seconds this process has used so far (user and system, all threads), from
/// `/proc/self/stat`: what a series of requests cost, whatever else the machine runs.
pub fn process_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which may hold spaces) start after its ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut f = rest.split_whitespace().skip(11);
    let utime: f64 = f.next()?.parse().ok()?;
    let stime: f64 = f.next()?.parse().ok()?;
    // Clock ticks; Linux reports them in hundredths of a second to user space.
    Some((utime + stime) / 100.0)
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Latency {
    pub count: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    pub fn from_micros(mut v: Vec<u64>) -> Latency {
        if v.is_empty() {
            return Latency::default();
        }
        v.sort_unstable();
        let pick = |q: f64| {
            let i = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
            v[i] as f64 / 1000.0
        };
        Latency {
            count: v.len(),
            p50_ms: pick(0.50),
            p90_ms: pick(0.90),
            p99_ms: pick(0.99),
            max_ms: v[v.len() - 1] as f64 / 1000.0,
        }
    }
}

impl std::fmt::Display for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({})",
            self.p50_ms, self.p90_ms, self.p99_ms, self.max_ms, self.count
        )
    }
}

/// Logs at `error` unless `RUST_LOG` says otherwise, and a multi-threaded runtime: what
/// every server benchmark starts with.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context as _;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// A benchmark's database: SQLite in a fresh temporary directory, or a fresh schema of
/// the PostgreSQL database at `--database-url` (so other users of that database are
/// not disturbed). [`BenchDb::remove`] deletes it.
pub struct BenchDb {
    dir: std::path::PathBuf,
    pg: Option<(String, String)>,
}

impl BenchDb {
    /// Opens the server on a fresh database. `name` tells runs apart (`chat`, `api`…).
    pub async fn open(
        name: &str,
        database_url: Option<&str>,
        mut config: server::Config,
    ) -> anyhow::Result<(server::AppState, BenchDb)> {
        use anyhow::Context as _;
        let tag = format!("{name}_{}", std::process::id());
        let dir = std::env::temp_dir().join(format!("homeshore-bench-{tag}"));
        config.data_dir = dir.clone();
        match database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                let schema = format!("homeshore_bench_{tag}");
                let pg = store::PgStore::connect(url, Some(&schema))
                    .await
                    .context("connecting to PostgreSQL")?;
                config.database_url = url.to_string();
                let state = server::AppState::with_store(
                    store::Db::Postgres(pg),
                    config,
                    server::Clock::System,
                )
                .await
                .context("opening the bench schema")?;
                Ok((
                    state,
                    BenchDb {
                        dir,
                        pg: Some((url.to_string(), schema)),
                    },
                ))
            }
            Some(url) if !url.is_empty() => {
                anyhow::bail!("--database-url: a postgres:// URL (SQLite is the default)")
            }
            _ => {
                let state = server::AppState::open(config)
                    .await
                    .context("opening the bench database")?;
                Ok((state, BenchDb { dir, pg: None }))
            }
        }
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        if self.pg.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// Deletes the database (the directory, or the schema).
    pub async fn remove(self) {
        if let Some((url, schema)) = &self.pg {
            let _ = store::PgStore::drop_schema(url, schema).await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A server (or any router) listening on a loopback port, until [`Served::stop`].
pub struct Served {
    pub base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Served {
    /// `server::serve` for `state` on 127.0.0.1, any port.
    pub async fn server(state: server::AppState) -> anyhow::Result<Served> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server::serve(listener, state, async move {
            let _ = stop_rx.await;
        }));
        Ok(Served { base, stop, task })
    }

    /// `router` served the way `server::serve` serves the application (same listener,
    /// same make-service with the peer address).
    pub async fn router(router: axum::Router) -> anyhow::Result<Served> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = stop_rx.await;
            })
            .await
        });
        Ok(Served { base, stop, task })
    }

    /// Stops accepting, drains, waits up to 10 s.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), self.task).await;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let l = Latency::from_micros((1..=1000).map(|i| i * 1000).collect());
        assert_eq!(l.count, 1000);
        assert_eq!(l.p50_ms, 500.0);
        assert_eq!(l.p99_ms, 990.0);
        assert_eq!(l.max_ms, 1000.0);
        assert_eq!(Latency::from_micros(vec![]).count, 0);
        assert_eq!(Latency::from_micros(vec![7000]).p99_ms, 7.0);
    }

    #[test]
    fn proc_figures() {
        if std::path::Path::new("/proc/self/status").exists() {
            assert!(status_kib("self", "VmRSS").is_some_and(|k| k > 0));
            assert!(load_average().is_some());
        }
    }
}
