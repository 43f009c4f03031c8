//! `homeshore bench ws`: many concurrent authenticated staff WebSockets on one server,
//! with events pushed to them at a steady rate; the server's resident memory and the
//! delivery latency.
//!
//! The server runs in a child process (the same binary, `bench ws --server`), so that its
//! memory is its own and each side has its own open-file limit (10,000 sockets are
//! 10,000 descriptors on each side). The child opens a fresh SQLite database, writes the
//! agents and one API token each straight to the store (batches of 250 agents a commit,
//! one Argon2 hash shared by all: logging 10,000 people in is not what is measured), and
//! serves on loopback. The parent connects every agent to `GET /api/ws` with
//! `Authorization: Bearer hs_…`, waits for each `hello`, then tells the child to start.
//!
//! The events: the child publishes `bench` notes through the server's hub, exactly where
//! the commit pipeline publishes `agent_state`, `offer`, `message`… after a commit, each
//! to one agent (round robin), `--events-per-sec` in all. They travel the real path from
//! there: the agent's feed (seq, resume ring), the connection's channel, the WebSocket
//! task, the socket. No HTTP route produces thousands of committed changes a second for
//! distinct agents on this machine (see `bench api` for the commit rate), and the cost
//! measured here is the fan-out, not the commit. Each event carries its publication time
//! (Unix µs; both processes read the same clock); latency is until the parent's socket
//! reads it.
//!
//! `--wallboard`: the staff are supervisors with their consoles open. The child creates
//! contacts through the conversation service at `--events-per-sec` (nobody takes them,
//! so each one changes the wallboard), and every console does what the browser's does:
//! on each `wallboard` note it fetches `GET /api/wallboard?version=…` again. The figure is how
//! long after a contact was committed each console first shows it (its `waiting`
//! count includes it), over every contact and every console.

use std::io::{BufRead as _, Write as _};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, anyhow, bail};
use clap::Args as ClapArgs;
use futures::{SinkExt as _, StreamExt as _};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::{Semaphore, watch};
use tokio_tungstenite::tungstenite;

use super::bench::{BenchDb, Latency, Served, load_average, status_kib};

#[derive(Debug, Clone, ClapArgs)]
#[command(
    after_help = "Examples:\n  ulimit -n $(ulimit -Hn); homeshore bench ws --agents 10000 --events-per-sec 5000 --seconds 30\n  homeshore bench ws --agents 1000 --seconds 10 --json\n\n10,000 sockets need more than 10,000 open files on each side: raise the soft limit\n(`ulimit -n`) first."
)]
pub struct Args {
    /// Agents, each with one staff WebSocket.
    #[arg(long, default_value_t = 10_000)]
    pub agents: usize,
    /// Events published per second, in all (each to one agent, round robin).
    #[arg(long, default_value_t = 5_000)]
    pub events_per_sec: u64,
    /// How long to publish.
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
    /// WebSockets being opened at once.
    #[arg(long, default_value_t = 100)]
    pub connect_concurrency: usize,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
    /// Instead of publishing notes, create `--events-per-sec` contacts a second through
    /// the conversation service (agents available, chat capacity 3, one queue) and
    /// measure enqueue → `offer` on the agent's WebSocket: the routing engine's decision,
    /// the commit and the fan-out.
    #[arg(long)]
    pub enqueue: bool,
    /// Open supervisors' consoles instead of agents' desktops: contacts are created
    /// at `--events-per-sec` and nobody takes them; measure how soon each console's
    /// wallboard shows each one (target: within 1 s for 200 consoles at 500/s).
    #[arg(long, conflicts_with = "enqueue")]
    pub wallboard: bool,
    /// Be the server side (started by the benchmark itself).
    #[arg(long, hide = true)]
    pub server: bool,
}

/// What one run measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Offers of contacts created through the conversation service (`--enqueue`).
    pub enqueue: bool,
    /// Supervisors' consoles showing new contacts on the wallboard (`--wallboard`):
    /// `published` is contacts × consoles, `delivered` those shown, latency from commit
    /// to the console's first board showing it.
    pub wallboard: bool,
    pub agents: usize,
    pub connected: usize,
    pub events_per_sec: u64,
    pub seconds: u64,
    pub published: u64,
    pub delivered: u64,
    /// Connections the server cut off for being slow, and sockets that closed or failed.
    pub cut_off: u64,
    pub closed: u64,
    pub latency: Latency,
    /// The server process's resident memory: after setup with nobody connected, with
    /// every socket open and idle, and the highest seen while events flowed (KiB).
    pub rss_setup_kib: u64,
    pub rss_connected_kib: u64,
    pub rss_max_kib: u64,
    /// The server process's peak (VmHWM) at the end.
    pub rss_peak_kib: u64,
    pub setup_s: f64,
    pub connect_s: f64,
    pub load_before: Option<f64>,
    pub load_after: Option<f64>,
}

impl Report {
    pub fn print(&self) {
        let mib = |k: u64| k as f64 / 1024.0;
        println!(
            "ws load: {} staff WebSockets, {} {}/s for {} s ({})",
            self.agents,
            self.events_per_sec,
            if self.enqueue || self.wallboard {
                "new contacts"
            } else {
                "events"
            },
            self.seconds,
            if self.wallboard {
                "supervisors' consoles, each event a contact every console must show"
            } else {
                "one agent each"
            }
        );
        println!(
            "  connected          {}/{} in {:.1} s (server setup {:.1} s)",
            self.connected, self.agents, self.connect_s, self.setup_s
        );
        println!(
            "  events             {} published, {} delivered, {} cut off, {} closed",
            self.published, self.delivered, self.cut_off, self.closed
        );
        println!("  delivery latency   {}", self.latency);
        println!(
            "  server memory      {:.0} MiB after setup, {:.0} MiB connected, {:.0} MiB max under load (peak {:.0} MiB)",
            mib(self.rss_setup_kib),
            mib(self.rss_connected_kib),
            mib(self.rss_max_kib),
            mib(self.rss_peak_kib)
        );
        let fmt = |l: Option<f64>| l.map_or("?".to_string(), |l| format!("{l:.2}"));
        println!(
            "  load average       {} before, {} after",
            fmt(self.load_before),
            fmt(self.load_after)
        );
        // Offers: enqueue → offer p99 ≤ 20 ms; notes: publication → read p99 < 50 ms.
        let (limit, what) = if self.wallboard {
            (
                1000.0,
                "every contact on every console, RSS < 1 GiB, commit → console p99 ≤ 1 s",
            )
        } else if self.enqueue {
            (
                20.0,
                "every contact offered, RSS < 1 GiB, enqueue → offer p99 ≤ 20 ms",
            )
        } else {
            (50.0, "all delivered, RSS < 1 GiB, p99 < 50 ms")
        };
        let ok = self.connected == self.agents
            && self.delivered == self.published
            && self.rss_max_kib < 1024 * 1024
            && self.latency.p99_ms <= limit;
        println!(
            "  verdict            {} ({what})",
            if ok { "PASS" } else { "FAIL" }
        );
    }
}

/// The child's first line: where it listens and where the agents' tokens are.
#[derive(Debug, Serialize, Deserialize)]
struct Ready {
    base: String,
    tokens: std::path::PathBuf,
    setup_s: f64,
}

/// The child's last line.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Done {
    published: u64,
    cut_off: u64,
    /// `--wallboard`: when each contact was committed (Unix µs).
    #[serde(default)]
    committed_us: Vec<u64>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.agents > 0 && args.events_per_sec > 0 && args.seconds > 0,
        "--agents, --events-per-sec and --seconds must be positive"
    );
    if args.server {
        return super::bench::runtime()?.block_on(server_side(&args));
    }
    let report = super::bench::runtime()?.block_on(client_side(&args))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        report.print();
    }
    Ok(())
}

fn rfc3339_micros(s: &str) -> Option<u64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    u64::try_from(t.unix_timestamp_nanos() / 1000).ok()
}

fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

// ---- the server side (child process) ----

async fn server_side(args: &Args) -> anyhow::Result<()> {
    let config = server::Config {
        argon2_m_kib: 64,
        ..Default::default()
    };
    let (state, db) = BenchDb::open("ws", None, config).await?;
    let result = serve_and_publish(state, args).await;
    db.remove().await;
    result
}

async fn serve_and_publish(state: server::AppState, args: &Args) -> anyhow::Result<()> {
    use store::{ApiToken, Change, Object, ObjectKind, Role, User};
    let t0 = Instant::now();
    let org = server::seed::create_org(&state, "bench", "Bench").await?;
    let hash = server::auth::hash_password("bench-password-1".into(), 64).await?;
    let profile = serde_json::to_value(server::live::AgentProfile::default())?;
    let mut agents = Vec::with_capacity(args.agents);
    let mut tokens = String::new();
    for batch in (0..args.agents).collect::<Vec<_>>().chunks(250) {
        let now = state.now();
        let mut changes = Vec::with_capacity(batch.len() * 3);
        for &i in batch {
            let id = store::new_id();
            changes.push(Change::PutUser(User {
                id,
                org_id: org.id,
                email: format!("agent{i}@bench.example"),
                name: format!("Agent {i}"),
                role: if args.wallboard {
                    Role::Supervisor
                } else {
                    Role::Agent
                },
                password_hash: hash.clone(),
                totp_secret: None,
                totp_enabled: false,
                recovery_codes: vec![],
                failed_logins: 0,
                locked_until: None,
                disabled: false,
                created_at: now,
                updated_at: now,
            }));
            if !args.wallboard {
                changes.push(Change::PutObject(Object {
                    id,
                    org_id: org.id,
                    kind: ObjectKind::Agent,
                    name: id.to_string(),
                    data: profile.clone(),
                    created_at: now,
                    updated_at: now,
                }));
            }
            let secret = format!(
                "{}{}",
                server::auth::TOKEN_PREFIX,
                server::auth::random_secret()
            );
            changes.push(Change::PutApiToken(ApiToken {
                id: store::new_id(),
                org_id: org.id,
                user_id: id,
                name: "bench".into(),
                token_hash: server::auth::sha256_hex(&secret),
                scopes: vec!["read".into()],
                created_at: now,
                last_used_at: None,
                revoked: false,
                expires_at: None,
                created_by: None,
            }));
            tokens.push_str(&secret);
            tokens.push('\n');
            agents.push(id);
        }
        state.write(changes, vec![]).await?;
    }
    server::contacts::refresh_org_config(&state, org.id).await?;
    let queue = if args.wallboard {
        Some(
            server::seed::create_queue(&state, org.id, "Bench", json!({}))
                .await?
                .id,
        )
    } else if args.enqueue {
        let q = server::seed::create_queue(&state, org.id, "Bench", json!({})).await?;
        // Everyone available, a few hundred at a time.
        for chunk in agents.chunks(250) {
            let sets = chunk.iter().map(|a| {
                server::contacts::set_agent_state(
                    &state,
                    org.id,
                    server::events::Actor::User { id: *a },
                    server::live::AgentState::Available,
                    None,
                )
            });
            for r in futures::future::join_all(sets).await {
                r.map_err(|e| anyhow!("agent available: {e}"))?;
            }
        }
        Some(q.id)
    } else {
        None
    };
    let tokens_path = state.config().data_dir.join("tokens.txt");
    std::fs::write(&tokens_path, tokens)?;
    let served = Served::server(state.clone()).await?;
    let ready = Ready {
        base: served.base.clone(),
        tokens: tokens_path,
        setup_s: t0.elapsed().as_secs_f64(),
    };
    println!("{}", serde_json::to_string(&ready)?);
    std::io::stdout().flush()?;

    // Commands on stdin: `go` publishes for --seconds; end of input stops the server.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    while let Some(line) = rx.recv().await {
        if line.trim() == "go" {
            let (published, committed_us) = match queue {
                Some(q) => enqueue(&state, org.id, q, args).await,
                None => (publish(&state, &agents, args).await, Vec::new()),
            };
            let done = Done {
                published,
                cut_off: state.hub().cut_off.load(Ordering::Relaxed).max(0) as u64,
                committed_us: if args.wallboard {
                    committed_us
                } else {
                    Vec::new()
                },
            };
            println!("{}", serde_json::to_string(&done)?);
            std::io::stdout().flush()?;
        }
    }
    served.stop().await;
    Ok(())
}

/// Creates contacts at `events_per_sec` through the conversation service, as a channel
/// adapter would; each is enqueued and routed by the engine at once. Answers how many
/// were committed, and when each was (Unix µs, in the order they were).
async fn enqueue(
    state: &server::AppState,
    org: uuid::Uuid,
    queue: uuid::Uuid,
    args: &Args,
) -> (u64, Vec<u64>) {
    use server::contacts::{CustomerRef, NewContact};
    let start = tokio::time::Instant::now();
    let end = start + Duration::from_secs(args.seconds);
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sent = 0u64;
    let mut committed = Vec::new();
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let now = tick.tick().await;
        if now >= end {
            break;
        }
        let due = (now - start).as_micros() as u64 * args.events_per_sec / 1_000_000;
        for k in sent..due {
            let state = state.clone();
            tasks.spawn(async move {
                let new = NewContact::new(
                    store::Channel::Chat,
                    queue,
                    CustomerRef::New {
                        name: format!("Customer {k}"),
                        email: None,
                        identity: None,
                    },
                );
                server::contacts::create_contact(&state, org, server::events::Actor::System, new)
                    .await
                    .is_ok()
                    .then(unix_micros)
            });
        }
        sent = sent.max(due);
        while let Some(r) = tasks.try_join_next() {
            committed.extend(r.ok().flatten());
        }
    }
    while let Some(r) = tasks.join_next().await {
        committed.extend(r.ok().flatten());
    }
    committed.sort_unstable();
    (committed.len() as u64, committed)
}

/// Publishes `bench` notes to the agents in turn, `events_per_sec` a second, in batches
/// every millisecond (as the commit pipeline publishes a batch per commit).
async fn publish(state: &server::AppState, agents: &[uuid::Uuid], args: &Args) -> u64 {
    let start = tokio::time::Instant::now();
    let end = start + Duration::from_secs(args.seconds);
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sent = 0u64;
    loop {
        let now = tick.tick().await;
        if now >= end {
            break;
        }
        let due = (now - start).as_micros() as u64 * args.events_per_sec / 1_000_000;
        if due <= sent {
            continue;
        }
        let notes = (sent..due)
            .map(|k| {
                server::hub::Note::user(
                    agents[(k % agents.len() as u64) as usize],
                    "bench",
                    json!({"k": k, "t": unix_micros()}),
                )
            })
            .collect();
        state.hub().publish(notes);
        sent = due;
    }
    sent
}

// ---- the client side (the benchmark's own process) ----

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Shared counters of the agents' sockets.
#[derive(Default)]
struct Tally {
    delivered: AtomicU64,
    closed: AtomicU64,
    /// `--wallboard`: the contacts committed, once known; a console that shows them all
    /// counts them delivered.
    target: AtomicU64,
}

/// What one socket saw: delivery latencies (µs), or a console's wallboards.
enum Seen {
    Latencies(Vec<u64>),
    /// `(Unix µs when the fetch answered, waiting contacts it showed)`, in order.
    Boards(Vec<(u64, u64)>),
}

/// For each committed contact (commit times in order, Unix µs), how long after its
/// commit one console first showed it: the first board fetched after the commit whose
/// `waiting` count includes it (contacts are shown in the order they were committed;
/// nobody takes them). Contacts the console never showed are left out.
fn first_shown(committed_us: &[u64], boards: &[(u64, u64)]) -> Vec<u64> {
    let mut lags = Vec::with_capacity(committed_us.len());
    let mut b = 0;
    for (i, &c) in committed_us.iter().enumerate() {
        while b < boards.len() && ((boards[b].1 as usize) <= i || boards[b].0 < c) {
            b += 1;
        }
        match boards.get(b) {
            Some(&(t, _)) => lags.push(t - c),
            None => break,
        }
    }
    lags
}

/// A supervisor's console: on each `wallboard` note, fetch `GET /api/wallboard` again
/// (as the browser's does) and keep when it answered and how many contacts wait.
async fn console(
    mut ws: Socket,
    (http, url): (reqwest::Client, String),
    token: &str,
    tally: Arc<Tally>,
    mut stop: watch::Receiver<bool>,
) -> Vec<(u64, u64)> {
    let auth = format!("Bearer {token}");
    let mut boards = Vec::new();
    let mut keepalive = tokio::time::interval(Duration::from_secs(20));
    keepalive.tick().await;
    loop {
        tokio::select! {
            frame = ws.next() => match frame {
                Some(Ok(tungstenite::Message::Text(text))) => {
                    if !text.contains("\"wallboard\"") {
                        continue;
                    }
                    // As the browser does: the note's version lets consoles share a board.
                    let version = serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|f| f["data"]["version"].as_u64());
                    let mut req = http.get(&url).header("authorization", &auth);
                    if let Some(v) = version {
                        req = req.query(&[("version", v)]);
                    }
                    let Ok(r) = req.send().await else { continue };
                    let Ok(v) = r.json::<serde_json::Value>().await else { continue };
                    let waiting = v["totals"]["waiting"].as_u64().unwrap_or(0);
                    boards.push((unix_micros(), waiting));
                    let target = tally.target.load(Ordering::Relaxed);
                    if target > 0 && waiting >= target {
                        // Every contact shown: this console is done.
                        tally.delivered.fetch_add(target, Ordering::Relaxed);
                        let _ = ws.close(None).await;
                        return boards;
                    }
                }
                Some(Ok(tungstenite::Message::Close(_))) | Some(Err(_)) | None => {
                    tally.closed.fetch_add(1, Ordering::Relaxed);
                    return boards;
                }
                Some(Ok(_)) => {}
            },
            _ = keepalive.tick() => {
                let _ = ws.send(tungstenite::Message::Ping(Vec::new().into())).await;
            }
            _ = stop.changed() => {
                let _ = ws.close(None).await;
                return boards;
            }
        }
    }
}

async fn client_side(args: &Args) -> anyhow::Result<Report> {
    let load_before = load_average();
    let exe = std::env::current_exe().context("finding this program")?;
    let mut child = Command::new(exe)
        .args(["bench", "ws", "--server"])
        .args(["--agents", &args.agents.to_string()])
        .args(["--events-per-sec", &args.events_per_sec.to_string()])
        .args(["--seconds", &args.seconds.to_string()])
        .args(args.enqueue.then_some("--enqueue"))
        .args(args.wallboard.then_some("--wallboard"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting the server process")?;
    let pid = child.id().to_string();
    let mut stdin = child.stdin.take().context("no stdin")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let (line_tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line_tx.send(line).is_err() {
                break;
            }
        }
    });
    let result: anyhow::Result<Report> = async {
        if !args.json {
            eprintln!("server process {pid}: writing {} agents…", args.agents);
        }
        let ready: Ready = serde_json::from_str(
            &lines
                .recv()
                .await
                .ok_or_else(|| anyhow!("the server process ended before it was ready"))?,
        )?;
        let rss = || status_kib(&pid, "VmRSS").unwrap_or(0);
        let rss_setup_kib = rss();
        let tokens: Vec<String> = std::fs::read_to_string(&ready.tokens)?
            .lines()
            .map(str::to_string)
            .collect();
        if tokens.len() != args.agents {
            bail!("{} tokens for {} agents", tokens.len(), args.agents);
        }

        // Connect every agent.
        if !args.json {
            eprintln!("connecting {} staff WebSockets…", args.agents);
        }
        let t_connect = Instant::now();
        let url = format!("{}/api/ws", ready.base.replacen("http://", "ws://", 1));
        let board_url = format!("{}/api/wallboard", ready.base);
        let http = super::demo::client::http_client()?;
        let tally = Arc::new(Tally::default());
        let (stop_tx, stop_rx) = watch::channel(false);
        let opening = Arc::new(Semaphore::new(args.connect_concurrency.max(1)));
        let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<anyhow::Result<()>>(1024);
        let mut sockets = Vec::with_capacity(args.agents);
        let wallboard = args.wallboard;
        for token in tokens {
            let (url, tally, stop, opening, ready) = (
                url.clone(),
                tally.clone(),
                stop_rx.clone(),
                opening.clone(),
                ready_tx.clone(),
            );
            let board = (http.clone(), board_url.clone());
            sockets.push(tokio::spawn(async move {
                let ws = {
                    let _permit = opening.acquire().await;
                    connect(&url, &token).await
                };
                match ws {
                    Ok(ws) => {
                        let _ = ready.send(Ok(())).await;
                        drop(ready);
                        if wallboard {
                            Seen::Boards(console(ws, board, &token, tally, stop).await)
                        } else {
                            Seen::Latencies(agent(ws, tally, stop).await)
                        }
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e)).await;
                        Seen::Latencies(Vec::new())
                    }
                }
            }));
        }
        drop(ready_tx);
        let mut connected = 0;
        let mut first_error = None;
        while let Some(r) = ready_rx.recv().await {
            match r {
                Ok(()) => connected += 1,
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_error {
            eprintln!(
                "{} of {} WebSockets failed to open; the first: {e:#}",
                args.agents - connected,
                args.agents
            );
        }
        let connect_s = t_connect.elapsed().as_secs_f64();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rss_connected_kib = rss();

        // Publish, sampling the server's memory meanwhile.
        if !args.json {
            eprintln!(
                "{connected} connected in {connect_s:.1} s; {} events/s for {} s…",
                args.events_per_sec, args.seconds
            );
        }
        writeln!(stdin, "go")?;
        stdin.flush()?;
        let mut rss_max_kib = rss_connected_kib;
        let mut sample = tokio::time::interval(Duration::from_millis(250));
        let done: Done = loop {
            tokio::select! {
                line = lines.recv() => {
                    let line = line.ok_or_else(|| anyhow!("the server process ended early"))?;
                    break serde_json::from_str(&line)?;
                }
                _ = sample.tick() => rss_max_kib = rss_max_kib.max(rss()),
            }
        };
        // Let the last events arrive (consoles: every console sees every contact).
        let t_wait = Instant::now();
        let expected = if args.wallboard {
            done.published * connected as u64
        } else {
            done.published
        };
        if args.wallboard {
            tally.target.store(done.published, Ordering::Relaxed);
        }
        while tally.delivered.load(Ordering::Relaxed) < expected
            && t_wait.elapsed() < Duration::from_secs(5)
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let rss_peak_kib = status_kib(&pid, "VmHWM").unwrap_or(0);
        let _ = stop_tx.send(true);
        let mut micros = Vec::new();
        let mut delivered = tally.delivered.load(Ordering::Relaxed);
        if args.wallboard {
            delivered = 0;
        }
        for s in sockets {
            match s.await {
                Ok(Seen::Latencies(m)) => micros.extend(m),
                Ok(Seen::Boards(boards)) => {
                    let lags = first_shown(&done.committed_us, &boards);
                    delivered += lags.len() as u64;
                    micros.extend(lags);
                }
                Err(_) => {}
            }
        }
        let published = if args.wallboard {
            expected
        } else {
            done.published
        };
        Ok(Report {
            enqueue: args.enqueue,
            wallboard: args.wallboard,
            agents: args.agents,
            connected,
            events_per_sec: args.events_per_sec,
            seconds: args.seconds,
            published,
            delivered,
            cut_off: done.cut_off,
            closed: tally.closed.load(Ordering::Relaxed),
            latency: Latency::from_micros(micros),
            rss_setup_kib,
            rss_connected_kib,
            rss_max_kib,
            rss_peak_kib,
            setup_s: ready.setup_s,
            connect_s,
            load_before,
            load_after: load_average(),
        })
    }
    .await;
    // End of input stops the server process.
    drop(stdin);
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
    result
}

/// Opens a staff WebSocket with an API token and reads its `hello`.
async fn connect(url: &str, token: &str) -> anyhow::Result<Socket> {
    use tungstenite::client::IntoClientRequest as _;
    let mut req = url.into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    // Events are small: a small read buffer keeps 10,000 clients light.
    let config = tungstenite::protocol::WebSocketConfig::default().read_buffer_size(16 * 1024);
    let (mut ws, _) = tokio::time::timeout(
        Duration::from_secs(60),
        tokio_tungstenite::connect_async_with_config(req, Some(config), true),
    )
    .await
    .map_err(|_| anyhow!("WebSocket connect timed out"))??;
    loop {
        match ws.next().await {
            Some(Ok(tungstenite::Message::Text(t))) if t.contains("\"hello\"") => return Ok(ws),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
            None => bail!("closed before hello"),
        }
    }
}

/// Reads `bench` events until told to stop; returns their delivery latencies (µs).
async fn agent(mut ws: Socket, tally: Arc<Tally>, mut stop: watch::Receiver<bool>) -> Vec<u64> {
    #[derive(Deserialize)]
    struct Frame {
        #[serde(rename = "type")]
        kind: String,
        #[serde(default)]
        data: serde_json::Value,
    }
    let mut micros = Vec::new();
    // The server closes a socket that sends nothing for 60 s.
    let mut keepalive = tokio::time::interval(Duration::from_secs(20));
    keepalive.tick().await;
    loop {
        tokio::select! {
            frame = ws.next() => match frame {
                Some(Ok(tungstenite::Message::Text(text))) => {
                    let now = unix_micros();
                    let Ok(f) = serde_json::from_str::<Frame>(&text) else { continue };
                    if let Some(t) = f.data["t"].as_u64().filter(|_| f.kind == "bench") {
                        micros.push(now.saturating_sub(t));
                        tally.delivered.fetch_add(1, Ordering::Relaxed);
                    }
                    // An offer: from the contact's enqueue time (the server's clock,
                    // the same machine's).
                    if f.kind == "offer"
                        && let Some(t) = f.data["contact"]["enqueued_at"].as_str().and_then(rfc3339_micros)
                    {
                        micros.push(now.saturating_sub(t));
                        tally.delivered.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Some(Ok(tungstenite::Message::Close(_))) | Some(Err(_)) | None => {
                    tally.closed.fetch_add(1, Ordering::Relaxed);
                    return micros;
                }
                Some(Ok(_)) => {}
            },
            _ = keepalive.tick() => {
                let _ = ws.send(tungstenite::Message::Ping(Vec::new().into())).await;
            }
            _ = stop.changed() => {
                let _ = ws.close(None).await;
                return micros;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::first_shown;

    #[test]
    fn a_contact_is_shown_by_the_first_board_after_its_commit_that_counts_it() {
        // Commits at 100, 200, 300 µs. Boards: at 150 showing 1, at 250 still 1
        // (fetched before the second was in), at 400 showing 3.
        let lags = first_shown(&[100, 200, 300], &[(150, 1), (250, 1), (400, 3)]);
        assert_eq!(lags, vec![50, 200, 100]);
        // A board from before a commit does not show it, whatever it counts.
        assert_eq!(first_shown(&[100], &[(90, 1), (120, 1)]), vec![20]);
        // Never shown: left out.
        assert_eq!(first_shown(&[100, 200], &[(150, 1)]), vec![50]);
    }
}
