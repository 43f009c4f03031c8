//! `homeshore bench api`: durable contact creations per second through the HTTP API,
//! against the rate of a plain axum "hello" handler on the same machine.
//!
//! One process starts the real server on loopback (fresh SQLite in a temporary
//! directory, or a fresh schema of the PostgreSQL database at `--database-url`), seeds
//! an organisation, a queue and an admin's API token, and a bare axum router with one
//! handler that answers `hello`, served the same way. The same HTTP client, with the
//! same number of requests in flight, then posts to each: first the ceiling, then the
//! contact creations. A contact creation is answered (201) only once its writes are
//! committed, so every 201 counted is a durable contact. Nobody is logged in to take
//! the contacts: they wait in the queue, as they would in a busy hour.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use clap::Args as ClapArgs;
use serde::Serialize;
use serde_json::json;

use super::bench::{BenchDb, Latency, Served, load_average, process_cpu_secs};
use super::demo::client;

#[derive(Debug, Clone, ClapArgs)]
#[command(
    after_help = "Examples:\n  homeshore bench api\n  homeshore bench api --database-url postgres://postgres@127.0.0.1:5432/test\n  homeshore bench api --route widget --requests 5000 --concurrency 16 --json"
)]
pub struct Args {
    /// A `postgres://…` URL: measure PostgreSQL, in a fresh schema dropped afterwards.
    /// Without it: SQLite in a temporary directory.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Contacts to create (after a warm-up of 2 × concurrency that is not counted);
    /// as many requests to the hello handler, and at least 20,000.
    #[arg(long, default_value_t = 1_000)]
    pub requests: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Queues the contacts are spread over (round robin). Nobody takes them, so each
    /// queue grows by requests/queues contacts during the run.
    #[arg(long, default_value_t = 1)]
    pub queues: usize,
    /// The route that creates the contacts: `staff` is `POST /api/contacts` with an API
    /// token (integrations); `widget` is `POST /api/widget/{org}/chats` (the chat widget).
    #[arg(long, value_enum, default_value_t = Route::Staff)]
    pub route: Route,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Route {
    Staff,
    Widget,
}

impl Route {
    fn describe(self) -> &'static str {
        match self {
            Route::Staff => "POST /api/contacts (API token)",
            Route::Widget => "POST /api/widget/{org}/chats",
        }
    }
}

/// The rate and latency of one series of requests.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Rate {
    /// Requests answered with the expected status.
    pub ok: usize,
    pub errors: u64,
    /// The first error, to see what went wrong.
    pub first_error: Option<String>,
    pub secs: f64,
    pub per_sec: f64,
    /// CPU time the whole process (server and client) spent per request, in
    /// microseconds: less sensitive than the rate to other work on the machine.
    pub cpu_us_per_request: Option<f64>,
    pub latency: Latency,
}

/// What one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub backend: &'static str,
    pub route: Route,
    pub requests: usize,
    pub concurrency: usize,
    pub queues: usize,
    /// The plain axum handler: the most this client and machine can do.
    pub hello: Rate,
    pub contacts: Rate,
    /// Contact creations per second as a share of the hello rate.
    pub ratio: f64,
    /// The store's group-commit writer during the contact creations.
    pub writer: Writer,
    /// The one-minute load average before and after the run.
    pub load_before: Option<f64>,
    pub load_after: Option<f64>,
}

/// How the group-commit writer spent the contact creations' run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Writer {
    /// Transactions committed.
    pub transactions: u64,
    /// Submissions per transaction, on average.
    pub mean_batch: f64,
    /// Time in a transaction per transaction, on average, in microseconds.
    pub mean_transaction_us: f64,
    /// Share of the run the writer spent in transactions (1.0: never waiting for work).
    pub busy: f64,
}

impl Writer {
    fn of(stats: store::WriterStats, secs: f64) -> Writer {
        let n = stats.batches.max(1) as f64;
        Writer {
            transactions: stats.batches,
            mean_batch: stats.submissions as f64 / n,
            mean_transaction_us: stats.busy_ns as f64 / n / 1e3,
            busy: stats.busy_ns as f64 / 1e9 / secs.max(1e-9),
        }
    }
}

impl Report {
    pub fn print(&self) {
        println!(
            "api load: {} contact creations through {} on {}, {} in flight, {} queues",
            self.requests,
            self.route.describe(),
            self.backend,
            self.concurrency,
            self.queues
        );
        let line = |name: &str, r: &Rate| {
            println!(
                "  {name:<18} {:>8.0} /s  ({} in {:.2} s, {} errors)",
                r.per_sec, r.ok, r.secs, r.errors
            );
            println!("  {:<18} {}", "", r.latency);
            if let Some(cpu) = r.cpu_us_per_request {
                println!(
                    "  {:<18} {cpu:.0} µs of CPU per request (server and client)",
                    ""
                );
            }
            if let Some(e) = &r.first_error {
                println!("  {:<18} first error: {e}", "");
            }
        };
        line("hello (ceiling)", &self.hello);
        line("contacts created", &self.contacts);
        println!(
            "  ratio              {:.1} % of the hello rate",
            self.ratio * 100.0
        );
        let w = &self.writer;
        println!(
            "  writer             {} transactions, {:.1} submissions and {:.0} µs each, busy {:.0} % of the run",
            w.transactions,
            w.mean_batch,
            w.mean_transaction_us,
            w.busy * 100.0
        );
        let fmt = |l: Option<f64>| l.map_or("?".to_string(), |l| format!("{l:.2}"));
        println!(
            "  load average       {} before, {} after",
            fmt(self.load_before),
            fmt(self.load_after)
        );
    }
}

/// Builds request `i` of a series.
pub type MakeRequest = Arc<dyn Fn(usize) -> reqwest::RequestBuilder + Send + Sync>;

/// Sends requests `first..first + n` with `concurrency` in flight, counting those answered
/// with `expect` and their latency (from just before sending to the whole body read).
pub async fn load(
    make: MakeRequest,
    expect: u16,
    first: usize,
    n: usize,
    concurrency: usize,
) -> Rate {
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(Mutex::new(None::<String>));
    let start = Instant::now();
    let cpu_before = process_cpu_secs();
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency.max(1) {
        let (make, next, errors, first_error) = (
            make.clone(),
            next.clone(),
            errors.clone(),
            first_error.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut micros = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return micros;
                }
                let t = Instant::now();
                let outcome = match make(first + i).send().await {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let body = resp.bytes().await;
                        match body {
                            Ok(_) if status == expect => Ok(()),
                            Ok(b) => Err(format!("{status}: {}", String::from_utf8_lossy(&b))),
                            Err(e) => Err(e.to_string()),
                        }
                    }
                    Err(e) => Err(e.to_string()),
                };
                match outcome {
                    Ok(()) => micros.push(t.elapsed().as_micros() as u64),
                    Err(e) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        if let Ok(mut f) = first_error.lock() {
                            f.get_or_insert(e);
                        }
                    }
                }
            }
        }));
    }
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        if let Ok(m) = t.await {
            all.extend(m);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_before
        .zip(process_cpu_secs())
        .map(|(a, b)| (b - a) * 1e6 / (all.len().max(1) as f64));
    let first_error = first_error.lock().ok().and_then(|mut f| f.take());
    Rate {
        ok: all.len(),
        errors: errors.load(Ordering::Relaxed),
        first_error,
        secs,
        per_sec: all.len() as f64 / secs.max(1e-9),
        cpu_us_per_request: cpu,
        latency: Latency::from_micros(all),
    }
}

/// A warm-up (not counted), then the measured series of `n` requests.
async fn measure(make: MakeRequest, expect: u16, n: usize, args: &Args) -> Rate {
    let warm = args.concurrency * 2;
    let _ = load(make.clone(), expect, 0, warm, args.concurrency).await;
    load(make, expect, warm, n, args.concurrency).await
}

pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.requests > 0 && args.concurrency > 0 && args.queues > 0,
        "--requests, --concurrency and --queues must be at least 1"
    );
    let report = super::bench::runtime()?.block_on(run_async(&args))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        report.print();
    }
    Ok(())
}

async fn run_async(args: &Args) -> anyhow::Result<Report> {
    server::chat::set_create_limit(server::chat::Limit::UNLIMITED);
    let config = server::Config {
        // One admin's password is hashed; not what is measured.
        argon2_m_kib: 4096,
        ..Default::default()
    };
    let (state, db) = BenchDb::open("api", args.database_url.as_deref(), config).await?;
    let backend = db.backend();
    let result = seed_and_measure(state, backend, args).await;
    db.remove().await;
    result
}

async fn seed_and_measure(
    state: server::AppState,
    backend: &'static str,
    args: &Args,
) -> anyhow::Result<Report> {
    let org = server::seed::create_org(&state, "bench", "Bench").await?;
    let mut queues = Vec::with_capacity(args.queues);
    for q in 0..args.queues {
        let queue = server::seed::create_queue(
            &state,
            org.id,
            &format!("Queue {q}"),
            json!({"priority": 0, "required_skills": [], "public": true}),
        )
        .await?;
        queues.push(queue.id);
    }
    let queues = Arc::new(queues);
    let admin = server::seed::create_user(
        &state,
        org.id,
        "admin@bench.example",
        "Bench Admin",
        store::Role::Admin,
        "bench-password-1",
    )
    .await?;
    let (token, _) = server::seed::create_api_token(
        &state,
        org.id,
        admin.id,
        "bench",
        vec!["write".to_string()],
    )
    .await?;

    let http = client::http_client()?;
    let api = Served::server(state.clone()).await?;
    let hello = Served::router(axum::Router::new().route(
        "/hello",
        axum::routing::post(|_body: axum::body::Bytes| async { "hello" }),
    ))
    .await?;
    let load_before = load_average();
    if !args.json {
        eprintln!(
            "{backend}: {} requests, {} in flight, to a hello handler and to {}…",
            args.requests,
            args.concurrency,
            args.route.describe()
        );
    }

    // The same body to both, so the ceiling reads and sends as many bytes.
    let queue = Arc::new(move |i: usize| queues[i % queues.len()]);
    let body = {
        let queue = queue.clone();
        Arc::new(move |i: usize| {
            json!({
                "channel": "chat",
                "queue_id": queue(i),
                "customer": {"name": format!("Bench Customer {i}"), "email": format!("c{i}@bench.example")},
                "text": "Hello, I need help with my order.",
            })
        })
    };
    let make_hello: MakeRequest = {
        let (http, url, body) = (http.clone(), format!("{}/hello", hello.base), body.clone());
        Arc::new(move |i| http.post(&url).json(&body(i)))
    };
    let make_contact: MakeRequest = match args.route {
        Route::Staff => {
            let (http, url) = (http.clone(), format!("{}/api/contacts", api.base));
            let body = body.clone();
            let auth = format!("Bearer {token}");
            Arc::new(move |i| {
                http.post(&url)
                    .header("authorization", &auth)
                    .json(&body(i))
            })
        }
        Route::Widget => {
            let (http, url) = (
                http.clone(),
                format!("{}/api/widget/{}/chats", api.base, org.slug),
            );
            let queue = queue.clone();
            Arc::new(move |i| {
                http.post(&url).json(&json!({
                    "name": format!("Bench Customer {i}"),
                    "email": format!("c{i}@bench.example"),
                    "topic": queue(i),
                }))
            })
        }
    };

    let hello_rate = measure(make_hello, 200, args.requests.max(20_000), args).await;
    let writer_before = state.store().writer_stats();
    let contacts = measure(make_contact, 201, args.requests, args).await;
    let writer = Writer::of(
        state.store().writer_stats().since(writer_before),
        contacts.secs,
    );
    let load_after = load_average();
    hello.stop().await;
    api.stop().await;
    anyhow::ensure!(
        hello_rate.ok > 0,
        "the hello handler answered nothing: {:?}",
        hello_rate.first_error
    );
    let ratio = contacts.per_sec / hello_rate.per_sec;
    Ok(Report {
        backend,
        route: args.route,
        requests: args.requests,
        concurrency: args.concurrency,
        queues: args.queues,
        hello: hello_rate,
        contacts,
        ratio,
        writer,
        load_before,
        load_after,
    })
}
