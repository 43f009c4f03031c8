//! `homeshore bench chat`: many concurrent customer chats against the real server on
//! loopback, counting lost and duplicated messages and measuring customer→agent latency.
//!
//! Every chat is a ping-pong: the customer sends message k, the agent answers k after a
//! short think time, the customer sends k+1 after its own. Latency is measured from just
//! before the customer's `POST …/messages` to the moment the agent's WebSocket delivers
//! it (so it includes the commit and the fan-out), and the other way round. A share of
//! customers drop their WebSocket halfway and resume with `after_seq`, which must lose
//! and repeat nothing.
//!
//! The server runs in a child process (the same binary, `bench chat --server`) unless
//! `--in-process`: with 10,000 chats the clients' sockets would otherwise share one
//! open-file limit with the server's and starve its database of descriptors.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args as ClapArgs;
use rand::{RngExt as _, SeedableRng as _};
use serde::Serialize;
use tokio::sync::Semaphore;

use super::bench::{BenchDb, Latency, Served};
use super::demo::client::{self, CustomerChat, Message, StaffSession};

#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    /// Concurrent customer chats.
    #[arg(long, default_value_t = 1000)]
    pub chats: usize,
    /// Agents sharing them (each gets capacity chats/agents, rounded up).
    #[arg(long, default_value_t = 200)]
    pub agents: usize,
    /// Messages each way per chat.
    #[arg(long, default_value_t = 20)]
    pub messages: usize,
    /// Mean pause before answering a message, in milliseconds (uniform 0.5×–1.5×).
    #[arg(long, default_value_t = 2000)]
    pub think_ms: u64,
    /// Percentage of customers that drop their WebSocket halfway and resume.
    #[arg(long, default_value_t = 10)]
    pub reconnect_pct: u32,
    /// Give up on chats not finished after this many seconds (they count as lost).
    #[arg(long, default_value_t = 300)]
    pub timeout_s: u64,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
    /// Run the server in this process (the clients' sockets then count against the
    /// server's open-file limit).
    #[arg(long)]
    pub in_process: bool,
    /// Internal: be the server process of a run.
    #[arg(long, hide = true)]
    pub server: bool,
}

/// What the server process tells the client process once it is ready.
#[derive(Debug, Serialize, serde::Deserialize)]
struct Ready {
    base: String,
    queue: serde_json::Value,
    pid: u32,
}

/// What one run measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub chats: usize,
    pub agents: usize,
    pub messages_each_way: usize,
    pub chats_completed: usize,
    pub customer_messages_sent: u64,
    pub agent_messages_sent: u64,
    /// Sent messages the other side's WebSocket never delivered.
    pub lost: u64,
    /// Messages a WebSocket delivered more than once (across resumes too).
    pub duplicated: u64,
    pub resumed_connections: u64,
    pub errors: u64,
    pub customer_to_agent: Latency,
    pub agent_to_customer: Latency,
    /// Opening every chat until every agent joined.
    pub setup_s: f64,
    /// The conversations, from the first message to the last.
    pub conversation_s: f64,
    pub messages_per_s: f64,
}

impl Report {
    pub fn print(&self) {
        println!(
            "chat load: {} chats, {} agents, {} messages each way per chat",
            self.chats, self.agents, self.messages_each_way
        );
        println!(
            "  completed chats        {}/{}",
            self.chats_completed, self.chats
        );
        println!(
            "  messages sent          {} by customers, {} by agents",
            self.customer_messages_sent, self.agent_messages_sent
        );
        println!("  lost                   {}", self.lost);
        println!("  duplicated             {}", self.duplicated);
        println!("  resumed WebSockets     {}", self.resumed_connections);
        println!("  errors                 {}", self.errors);
        let l = &self.customer_to_agent;
        println!(
            "  customer→agent latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} messages)",
            l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms, l.count
        );
        let l = &self.agent_to_customer;
        println!(
            "  agent→customer latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} messages)",
            l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms, l.count
        );
        println!(
            "  setup {:.1} s, conversations {:.1} s, {:.0} messages/s",
            self.setup_s, self.conversation_s, self.messages_per_s
        );
        let ok = self.lost == 0 && self.duplicated == 0 && self.customer_to_agent.p99_ms < 100.0;
        println!(
            "  verdict                {}",
            if ok {
                "PASS (zero lost, zero duplicated, p99 < 100 ms)"
            } else {
                "FAIL"
            }
        );
    }
}

/// Shared counters of one run.
#[derive(Default)]
struct Tally {
    c2a_micros: Mutex<Vec<u64>>,
    a2c_micros: Mutex<Vec<u64>>,
    customer_sent: AtomicU64,
    agent_sent: AtomicU64,
    duplicated: AtomicU64,
    resumed: AtomicU64,
    errors: AtomicU64,
    /// (customer messages the agent side received, agent messages the customer received).
    delivered_to_agents: AtomicU64,
    delivered_to_customers: AtomicU64,
    completed: AtomicU64,
    joined: AtomicU64,
}

/// The text of bench message `k`, carrying when it was sent (µs since the run's start).
fn encode(from: char, k: usize, t0: Instant) -> String {
    format!("{from}{k} t{}", t0.elapsed().as_micros())
}

/// `(k, sent_at_micros)` from a bench message's text.
fn decode(text: &str) -> Option<(usize, u64)> {
    let (k, t) = text.get(1..)?.split_once(" t")?;
    Some((k.parse().ok()?, t.parse().ok()?))
}

fn think(mean_ms: u64, rng: &mut impl rand::Rng) -> Duration {
    if mean_ms == 0 {
        return Duration::ZERO;
    }
    Duration::from_micros(rng.random_range(mean_ms * 500..=mean_ms * 1500))
}

/// Runs the load against a server at `base` whose organisation `org` has the agents
/// `agents` (email, password), each with enough chat capacity, all on queue `topic`.
pub async fn drive(
    base: &str,
    org: &str,
    topic: &serde_json::Value,
    agents: &[(String, String)],
    args: &Args,
) -> anyhow::Result<Report> {
    let t0 = Instant::now();
    let tally = Arc::new(Tally::default());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.timeout_s);

    // Agents: log in (a few at a time: Argon2 is deliberately slow), connect, go available.
    let logins = Arc::new(Semaphore::new(8));
    let mut agent_tasks = Vec::new();
    let (ready_tx, mut ready_rx) =
        tokio::sync::mpsc::channel::<anyhow::Result<()>>(agents.len().max(1));
    for (i, (email, password)) in agents.iter().cloned().enumerate() {
        let (base, org, tally, logins, ready) = (
            base.to_string(),
            org.to_string(),
            tally.clone(),
            logins.clone(),
            ready_tx.clone(),
        );
        let think_ms = args.think_ms;
        agent_tasks.push(tokio::spawn(async move {
            let session = {
                let _permit = logins.acquire().await;
                StaffSession::login(&base, &org, &email, &password).await
            };
            let me = match session {
                Ok(me) => me,
                Err(e) => {
                    let _ = ready.send(Err(e)).await;
                    return;
                }
            };
            let mut ws = match me.connect(0).await {
                Ok(ws) => ws,
                Err(e) => {
                    let _ = ready.send(Err(e)).await;
                    return;
                }
            };
            if let Err(e) = me.set_state("available", None).await {
                let _ = ready.send(Err(e)).await;
                return;
            }
            let _ = ready.send(Ok(())).await;
            drop(ready);
            agent_loop(me, &mut ws, tally, t0, think_ms, i as u64).await;
        }));
    }
    drop(ready_tx);
    for _ in 0..agents.len() {
        match ready_rx.recv().await {
            Some(Ok(())) => {}
            Some(Err(e)) => return Err(e.context("an agent could not start")),
            None => break,
        }
    }

    // Customers: open every chat (a bounded number at a time), then talk.
    let http = client::http_client()?;
    let opens = Arc::new(Semaphore::new(64));
    let mut customers = Vec::new();
    let conv_start = Arc::new(Mutex::new(None::<Instant>));
    for i in 0..args.chats {
        let (http, base, org, topic, tally, opens, args2, conv_start) = (
            http.clone(),
            base.to_string(),
            org.to_string(),
            topic.clone(),
            tally.clone(),
            opens.clone(),
            args.clone(),
            conv_start.clone(),
        );
        customers.push(tokio::spawn(async move {
            let reconnect = (i as u64 * 7919 % 100) < u64::from(args2.reconnect_pct);
            let r = tokio::time::timeout_at(
                deadline,
                customer(
                    http,
                    base,
                    org,
                    topic,
                    i,
                    &args2,
                    reconnect,
                    tally.clone(),
                    opens,
                    t0,
                    conv_start,
                ),
            )
            .await;
            match r {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tally.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!("chat {i}: {e:#}");
                }
                Err(_) => tracing::warn!("chat {i}: not finished in time"),
            }
        }));
    }
    for c in customers {
        let _ = c.await;
    }
    let end = Instant::now();
    for a in agent_tasks {
        a.abort();
    }

    let expected_each_way = (args.chats * args.messages) as u64;
    let to_agents = tally.delivered_to_agents.load(Ordering::Relaxed);
    let to_customers = tally.delivered_to_customers.load(Ordering::Relaxed);
    let customer_sent = tally.customer_sent.load(Ordering::Relaxed);
    let agent_sent = tally.agent_sent.load(Ordering::Relaxed);
    // Lost: sent but never delivered. Messages never sent because a chat stalled show up
    // as incomplete chats, and are counted as lost too: the run must finish every chat.
    let lost = (expected_each_way * 2).saturating_sub(to_agents + to_customers);
    let started = conv_start.lock().map(|g| *g).unwrap_or(None).unwrap_or(t0);
    let conversation_s = end.duration_since(started).as_secs_f64();
    let c2a = std::mem::take(&mut *tally.c2a_micros.lock().unwrap_or_else(|e| e.into_inner()));
    let a2c = std::mem::take(&mut *tally.a2c_micros.lock().unwrap_or_else(|e| e.into_inner()));
    Ok(Report {
        chats: args.chats,
        agents: agents.len(),
        messages_each_way: args.messages,
        chats_completed: tally.completed.load(Ordering::Relaxed) as usize,
        customer_messages_sent: customer_sent,
        agent_messages_sent: agent_sent,
        lost,
        duplicated: tally.duplicated.load(Ordering::Relaxed),
        resumed_connections: tally.resumed.load(Ordering::Relaxed),
        errors: tally.errors.load(Ordering::Relaxed),
        customer_to_agent: Latency::from_micros(c2a),
        agent_to_customer: Latency::from_micros(a2c),
        setup_s: started.duration_since(t0).as_secs_f64(),
        conversation_s,
        messages_per_s: (customer_sent + agent_sent) as f64 / conversation_s.max(1e-9),
    })
}

async fn agent_loop(
    me: StaffSession,
    ws: &mut client::Events,
    tally: Arc<Tally>,
    t0: Instant,
    think_ms: u64,
    seed: u64,
) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    // Per contact: the customer messages seen (k), to spot duplicates.
    let mut seen: std::collections::HashMap<String, HashSet<usize>> = Default::default();
    let mut last_seq = 0u64;
    loop {
        let ev = match ws.next().await {
            Some(Ok(ev)) => ev,
            Some(Err(_)) | None => match me.connect(last_seq).await {
                Ok(new) => {
                    *ws = new;
                    tally.resumed.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                Err(_) => return,
            },
        };
        if let Some(seq) = ev.seq {
            if seq <= last_seq {
                tally.duplicated.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            last_seq = seq;
        }
        match ev.kind.as_str() {
            "offer" => {
                if let Some((offer_id, _)) = client::offer_ids(&ev.data) {
                    let (me, tally) = (me.clone(), tally.clone());
                    tokio::spawn(async move {
                        if me.accept(&offer_id).await.is_err() {
                            tally.errors.fetch_add(1, Ordering::Relaxed);
                        }
                    });
                }
            }
            "message" => {
                let Ok(msg) = serde_json::from_value::<Message>(ev.data) else {
                    continue;
                };
                if msg.from != "customer" {
                    continue;
                }
                let Some(contact) = msg.contact() else {
                    continue;
                };
                let Some((k, sent)) = msg.text.as_deref().and_then(decode) else {
                    continue;
                };
                let now = t0.elapsed().as_micros() as u64;
                if !seen.entry(contact.clone()).or_default().insert(k) {
                    tally.duplicated.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                tally.delivered_to_agents.fetch_add(1, Ordering::Relaxed);
                tally
                    .c2a_micros
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(now.saturating_sub(sent));
                let pause = think(think_ms, &mut rng);
                let (me, tally) = (me.clone(), tally.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(pause).await;
                    let client_id = format!("bench-a-{contact}-{k}");
                    // Retried once on a transport error: the client id makes it safe.
                    let mut r = me.send(&contact, &client_id, &encode('a', k, t0)).await;
                    if r.is_err() {
                        r = me.send(&contact, &client_id, &encode('a', k, t0)).await;
                    }
                    match r {
                        Ok(_) => tally.agent_sent.fetch_add(1, Ordering::Relaxed),
                        Err(_) => tally.errors.fetch_add(1, Ordering::Relaxed),
                    };
                });
            }
            _ => {}
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn customer(
    http: reqwest::Client,
    base: String,
    org: String,
    topic: serde_json::Value,
    i: usize,
    args: &Args,
    reconnect: bool,
    tally: Arc<Tally>,
    opens: Arc<Semaphore>,
    t0: Instant,
    conv_start: Arc<Mutex<Option<Instant>>>,
) -> anyhow::Result<()> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(i as u64 ^ 0x5eed);
    let (chat, mut ws) = {
        let _permit = opens.acquire().await?;
        let chat = CustomerChat::open(
            &http,
            &base,
            &org,
            &format!("Bench Customer {i}"),
            None,
            &topic,
        )
        .await?;
        let ws = chat.connect(0).await?;
        (chat, ws)
    };
    let mut seen_seqs: HashSet<u64> = HashSet::new();
    let mut got: HashSet<usize> = HashSet::new();
    let mut last_seq = 0u64;
    let mut joined = false;
    let mut next_k = 1usize;
    let mut dropped = false;
    let send = |k: usize| {
        let (chat, tally) = (chat.clone(), tally.clone());
        async move {
            let client_id = format!("bench-c-{k}");
            let mut r = chat.send(&client_id, &encode('c', k, t0)).await;
            if r.is_err() {
                r = chat.send(&client_id, &encode('c', k, t0)).await;
            }
            r?;
            tally.customer_sent.fetch_add(1, Ordering::Relaxed);
            anyhow::Ok(())
        }
    };
    loop {
        let ev = match ws.next().await {
            Some(Ok(ev)) => ev,
            Some(Err(_)) | None => {
                ws = chat.connect(last_seq).await?;
                tally.resumed.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        let active =
            ev.kind == "agent_joined" || (ev.kind == "state" && ev.data["status"] == "active");
        match ev.kind.as_str() {
            _ if active && !joined => {
                joined = true;
                let n = tally.joined.fetch_add(1, Ordering::Relaxed) + 1;
                if n as usize == args.chats {
                    // Every chat has its agent: the conversations start now.
                    if let Ok(mut g) = conv_start.lock() {
                        g.get_or_insert_with(Instant::now);
                    }
                }
                // Read the greeting first: chats do not all start in the same instant.
                tokio::time::sleep(think(args.think_ms, &mut rng)).await;
                send(next_k).await?;
                next_k += 1;
            }
            "message" => {
                let Ok(msg) = serde_json::from_value::<Message>(ev.data) else {
                    continue;
                };
                if msg.seq > 0 && !seen_seqs.insert(msg.seq) {
                    tally.duplicated.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                last_seq = last_seq.max(msg.seq);
                if msg.from != "agent" {
                    continue;
                }
                let Some((k, sent)) = msg.text.as_deref().and_then(decode) else {
                    continue;
                };
                let now = t0.elapsed().as_micros() as u64;
                if !got.insert(k) {
                    tally.duplicated.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                tally.delivered_to_customers.fetch_add(1, Ordering::Relaxed);
                tally
                    .a2c_micros
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(now.saturating_sub(sent));
                if got.len() >= args.messages {
                    tally.completed.fetch_add(1, Ordering::Relaxed);
                    let _ = chat.end().await;
                    ws.close().await;
                    return Ok(());
                }
                if reconnect && !dropped && k == args.messages / 2 {
                    // Lose the connection, then resume after the last seq seen.
                    dropped = true;
                    ws.drop_abruptly();
                    ws = chat.connect(last_seq).await?;
                    tally.resumed.fetch_add(1, Ordering::Relaxed);
                }
                tokio::time::sleep(think(args.think_ms, &mut rng)).await;
                if next_k <= args.messages {
                    send(next_k).await?;
                    next_k += 1;
                }
            }
            _ => {}
        }
    }
}

/// Starts a server on loopback with a fresh database, seeds one queue and the agents,
/// runs [`drive`], prints the figures.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.chats == 0 || args.agents == 0 || args.messages == 0 {
        anyhow::bail!("--chats, --agents and --messages must be at least 1");
    }
    let rt = super::bench::runtime()?;
    if args.server {
        return rt.block_on(server_side(&args));
    }
    let report = if args.in_process {
        rt.block_on(run_async(&args))?
    } else {
        rt.block_on(client_side(&args))?
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        report.print();
    }
    Ok(())
}

fn bench_config(args: &Args) -> server::Config {
    server::Config {
        login_burst: u32::try_from(args.agents * 2).unwrap_or(u32::MAX),
        login_refill_secs: 1,
        // Logins are not what is measured: cheaper password hashing, faster setup.
        argon2_m_kib: 4096,
        ..Default::default()
    }
}

async fn run_async(args: &Args) -> anyhow::Result<Report> {
    server::chat::set_create_limit(server::chat::Limit::UNLIMITED);
    let (state, db) = BenchDb::open("chat", None, bench_config(args)).await?;
    let report = async {
        let (queue, agents) = seed(&state, args).await?;
        let served = Served::server(state.clone()).await?;
        let base = served.base.clone();
        if !args.json {
            eprintln!(
                "server on {base}; {} chats, {} messages each way…",
                args.chats, args.messages
            );
        }
        let report = drive(&base, "bench", &queue, &agents, args).await;
        served.stop().await;
        report
    }
    .await;
    db.remove().await;
    report
}

/// The server process: a fresh database, seeded, served until the client process
/// closes this process's standard input.
async fn server_side(args: &Args) -> anyhow::Result<()> {
    use tokio::io::AsyncReadExt as _;
    server::chat::set_create_limit(server::chat::Limit::UNLIMITED);
    let (state, db) = BenchDb::open("chat", None, bench_config(args)).await?;
    let result = async {
        let (queue, _) = seed(&state, args).await?;
        let served = Served::server(state.clone()).await?;
        let ready = Ready {
            base: served.base.clone(),
            queue,
            pid: std::process::id(),
        };
        println!("{}", serde_json::to_string(&ready)?);
        let mut sink = Vec::new();
        let _ = tokio::io::stdin().read_to_end(&mut sink).await;
        served.stop().await;
        anyhow::Ok(())
    }
    .await;
    db.remove().await;
    result
}

/// The client process: starts the server process, drives the load, stops it.
async fn client_side(args: &Args) -> anyhow::Result<Report> {
    use anyhow::Context as _;
    use std::io::BufRead as _;
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe().context("finding this program")?;
    let mut child = Command::new(exe)
        .args(["bench", "chat", "--server"])
        .args(["--chats", &args.chats.to_string()])
        .args(["--agents", &args.agents.to_string()])
        .args(args.json.then_some("--json"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting the server process")?;
    let stdin = child.stdin.take().context("no stdin")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .map(|_| line)
    })
    .await??;
    let ready: Ready = serde_json::from_str(line.trim())
        .with_context(|| format!("the server process did not start: {line:?}"))?;
    if !args.json {
        eprintln!(
            "server process {} on {}; {} chats, {} messages each way…",
            ready.pid, ready.base, args.chats, args.messages
        );
    }
    let agents = agent_logins(args);
    let report = drive(&ready.base, "bench", &ready.queue, &agents, args).await;
    drop(stdin);
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
    report
}

const AGENT_PASSWORD: &str = "bench-password-1";

/// Every agent's email and password (the same on both sides of the run).
fn agent_logins(args: &Args) -> Vec<(String, String)> {
    (0..args.agents)
        .map(|i| {
            (
                format!("agent{i}@bench.example"),
                AGENT_PASSWORD.to_string(),
            )
        })
        .collect()
}

/// One organisation, one queue, the agents with chat capacity enough for every chat.
async fn seed(
    state: &server::AppState,
    args: &Args,
) -> anyhow::Result<(serde_json::Value, Vec<(String, String)>)> {
    use server::live::{AgentProfile, capacity_of};
    use store::{Change, Object, ObjectKind};
    let org = server::seed::create_org(state, "bench", "Bench").await?;
    let queue = server::seed::create_queue(
        state,
        org.id,
        "Chat",
        serde_json::json!({"priority": 0, "required_skills": [], "public": true, "offer_timeout_s": 60}),
    )
    .await?;
    let capacity = u8::try_from(args.chats.div_ceil(args.agents))
        .unwrap_or(50)
        .min(50);
    let agents = agent_logins(args);
    if !args.json {
        eprintln!(
            "creating {} agents (capacity {capacity} each)…",
            args.agents
        );
    }
    for (i, (email, password)) in agents.iter().enumerate() {
        let user = server::seed::create_user(
            state,
            org.id,
            email,
            &format!("Agent {i}"),
            store::Role::Agent,
            password,
        )
        .await?;
        let now = state.now();
        let profile = AgentProfile {
            capacity: capacity_of(capacity),
            ..Default::default()
        };
        state
            .write(
                vec![Change::PutObject(Object {
                    id: user.id,
                    org_id: org.id,
                    kind: ObjectKind::Agent,
                    name: user.id.to_string(),
                    data: serde_json::to_value(profile)?,
                    created_at: now,
                    updated_at: now,
                })],
                vec![],
            )
            .await?;
    }
    server::contacts::refresh_org_config(state, org.id).await?;
    Ok((serde_json::json!(queue.id), agents))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_texts_round_trip() {
        let t0 = Instant::now();
        let text = encode('c', 17, t0);
        let (k, t) = decode(&text).unwrap();
        assert_eq!(k, 17);
        assert!(t < 10_000_000);
        assert_eq!(decode("hello"), None);
        assert_eq!(decode(""), None);
        assert_eq!(decode("c3 tx"), None);
    }
}
