//! `homeshore bench webhooks`: SMS through the Twilio adapter under load, both ways.
//!
//! Inbound: signed Twilio webhooks (one new customer each) at a steady rate, each sent
//! again as a provider retry would be; the latency is from sending to the 2xx, which
//! the server gives only once the text is durable. Afterwards every text must be in
//! the store exactly once.
//!
//! Outbound: agents (in the server process) answer `--replies` of those texts while the
//! Twilio stand-in answers 503 (an outage of `--outage-s` seconds); then the stand-in
//! recovers. Measured: how long after the outage every reply is sent, and that Twilio
//! took each exactly once.
//!
//! One process: the server on SQLite in a temporary directory, a Twilio stand-in, and
//! the webhook client, all on loopback.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args as ClapArgs;
use serde::Serialize;
use serde_json::json;
use store::{Change, ContactFilter, Object, ObjectKind, PageRequest};

use super::bench::{BenchDb, Latency, Served, load_average};

#[derive(Debug, Clone, ClapArgs)]
#[command(
    after_help = "Examples:\n  homeshore bench webhooks --rate 500 --seconds 10\n  homeshore bench webhooks --replies 1000 --outage-s 20 --json"
)]
pub struct Args {
    /// Inbound webhooks per second (each a new customer's text).
    #[arg(long, default_value_t = 500)]
    pub rate: u32,
    /// For how long.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// How many times each webhook is delivered (Twilio retries; 1: once).
    #[arg(long, default_value_t = 2)]
    pub deliveries: u32,
    /// Replies sent during the outage (at most the texts received).
    #[arg(long, default_value_t = 1000)]
    pub replies: usize,
    /// How long the Twilio stand-in answers 503.
    #[arg(long, default_value_t = 20)]
    pub outage_s: u64,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub webhooks: u64,
    pub deliveries_each: u32,
    pub rate_asked: u32,
    pub rate_achieved: f64,
    pub acknowledgement: Latency,
    pub errors: u64,
    pub texts_stored: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub replies: usize,
    pub outage_s: u64,
    pub attempts_during_outage: u64,
    pub replies_sent: usize,
    pub replies_sent_twice: usize,
    /// From the end of the outage until the last reply was sent.
    pub last_reply_after_outage_s: f64,
    pub load_before: Option<f64>,
    pub load_after: Option<f64>,
}

impl Report {
    fn print(&self) {
        let l = &self.acknowledgement;
        println!(
            "SMS webhooks: {} texts at {}/s asked ({:.0}/s achieved), each delivered {} times",
            self.webhooks, self.rate_asked, self.rate_achieved, self.deliveries_each
        );
        println!(
            "  acknowledgement (durable) p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms
        );
        println!(
            "  stored {} texts: lost {}, duplicated {}, errors {}",
            self.texts_stored, self.lost, self.duplicated, self.errors
        );
        println!(
            "outbound: {} replies during a {} s outage ({} attempts refused), {} sent, {} sent twice, the last {:.1} s after the outage",
            self.replies,
            self.outage_s,
            self.attempts_during_outage,
            self.replies_sent,
            self.replies_sent_twice,
            self.last_reply_after_outage_s
        );
        if let (Some(a), Some(b)) = (self.load_before, self.load_after) {
            println!("  load average {a:.2} before, {b:.2} after");
        }
        let ok = self.lost == 0
            && self.duplicated == 0
            && self.errors == 0
            && l.p99_ms < 50.0
            && self.replies_sent == self.replies
            && self.replies_sent_twice == 0
            && self.last_reply_after_outage_s < 60.0;
        println!(
            "  verdict {}",
            if ok {
                "PASS (0 lost, 0 duplicated, p99 < 50 ms; every reply once, within a minute of the outage)"
            } else {
                "FAIL"
            }
        );
    }
}

const SID: &str = "ACbench0000000000000000000000000000";
const TOKEN: &str = "bench-twilio-auth-token-0000";

/// The Twilio stand-in: 503 while `down`, else 201 with a new SID; counts each
/// accepted message by our id (the `m` of its status callback).
#[derive(Default)]
struct Twilio {
    down: AtomicBool,
    refused: AtomicU64,
    accepted: Mutex<HashMap<String, u32>>,
    last_accept: Mutex<Option<Instant>>,
}

async fn twilio(t: Arc<Twilio>) -> anyhow::Result<Served> {
    let app = axum::Router::new().route(
        "/2010-04-01/Accounts/{sid}/Messages.json",
        axum::routing::post(move |body: axum::body::Bytes| {
            let t = t.clone();
            async move {
                if t.down.load(Ordering::SeqCst) {
                    t.refused.fetch_add(1, Ordering::Relaxed);
                    return (
                        axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        axum::Json(json!({"code": 20503, "message": "Service Unavailable"})),
                    );
                }
                let form: HashMap<String, String> =
                    url::form_urlencoded::parse(&body).into_owned().collect();
                let m = form
                    .get("StatusCallback")
                    .and_then(|u| u.split("?m=").nth(1))
                    .unwrap_or("")
                    .to_string();
                let n = {
                    let mut acc = t.accepted.lock().unwrap_or_else(|p| p.into_inner());
                    *acc.entry(m).or_default() += 1;
                    acc.len()
                };
                *t.last_accept.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
                (
                    axum::http::StatusCode::CREATED,
                    axum::Json(json!({"sid": format!("SM{n:032}"), "status": "queued"})),
                )
            }
        }),
    );
    Served::router(app).await
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if args.rate == 0 || args.seconds == 0 || args.deliveries == 0 {
        anyhow::bail!("--rate, --seconds and --deliveries must be at least 1");
    }
    let report = super::bench::runtime()?.block_on(run_async(&args))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        report.print();
    }
    Ok(())
}

async fn run_async(args: &Args) -> anyhow::Result<Report> {
    server::tls_init();
    let config = server::Config {
        argon2_m_kib: 1024,
        ..Default::default()
    };
    let (state, db) = BenchDb::open("webhooks", None, config).await?;
    let result = drive(&state, args).await;
    db.remove().await;
    result
}

async fn drive(state: &server::AppState, args: &Args) -> anyhow::Result<Report> {
    use server::live::{AgentProfile, AgentState, capacity_of};
    let say = |s: String| {
        if !args.json {
            eprintln!("{s}");
        }
    };
    let mut report = Report {
        deliveries_each: args.deliveries,
        rate_asked: args.rate,
        outage_s: args.outage_s,
        ..Report::default()
    };
    let org = server::seed::create_org(state, "bench", "Bench").await?;
    let queue = server::seed::create_queue(
        state,
        org.id,
        "Texts",
        json!({"required_skills": [], "offer_timeout_s": 3600}),
    )
    .await?;
    let served = Served::server(state.clone()).await?;
    let stand_in = Arc::new(Twilio::default());
    let twilio_at = twilio(stand_in.clone()).await?;
    let now = state.now();
    state
        .write(
            vec![Change::PutObject(Object {
                id: store::new_id(),
                org_id: org.id,
                kind: ObjectKind::ChannelEndpoint,
                name: "sms".into(),
                data: json!({"provider": "twilio", "account_sid": SID, "auth_token": TOKEN,
                             "from": "+15550001000", "queue_id": queue.id,
                             "api_base": twilio_at.base, "public_base_url": served.base}),
                created_at: now,
                updated_at: now,
            })],
            vec![],
        )
        .await?;

    // Agents enough to take every reply's contact (50 texts each).
    let agents = args.replies.div_ceil(50).max(1);
    let mut agent_ids = Vec::new();
    for i in 0..agents {
        let u = server::seed::create_user(
            state,
            org.id,
            &format!("agent{i}@bench.example"),
            &format!("Agent {i}"),
            store::Role::Agent,
            "bench-password-1",
        )
        .await?;
        let now = state.now();
        let profile = AgentProfile {
            capacity: capacity_of(50),
            ..Default::default()
        };
        state
            .write(
                vec![Change::PutObject(Object {
                    id: u.id,
                    org_id: org.id,
                    kind: ObjectKind::Agent,
                    name: u.id.to_string(),
                    data: serde_json::to_value(profile)?,
                    created_at: now,
                    updated_at: now,
                })],
                vec![],
            )
            .await?;
        agent_ids.push(u.id);
    }
    server::contacts::refresh_org_config(state, org.id).await?;

    // ---- Inbound ----
    let total = u64::from(args.rate) * args.seconds;
    report.webhooks = total;
    say(format!(
        "server on {}; {total} signed webhooks at {}/s, each delivered {} times…",
        served.base, args.rate, args.deliveries
    ));
    report.load_before = load_average();
    let http = server::http_client_builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let path = "/api/webhooks/twilio/bench/sms";
    let url = format!("{}{path}", served.base);
    let errors = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(total as usize)));
    let t0 = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let due = t0 + Duration::from_secs_f64(i as f64 / f64::from(args.rate));
        tokio::time::sleep_until(due.into()).await;
        let (http, url, errors, latencies) =
            (http.clone(), url.clone(), errors.clone(), latencies.clone());
        let deliveries = args.deliveries;
        tasks.push(tokio::spawn(async move {
            let from = format!("+1555{i:07}");
            let sid = format!("SMbench{i:026}");
            let params = vec![
                ("AccountSid".to_string(), SID.to_string()),
                ("Body".to_string(), format!("Where is order {i}?")),
                ("From".to_string(), from),
                ("MessageSid".to_string(), sid),
                ("NumMedia".to_string(), "0".to_string()),
                ("To".to_string(), "+15550001000".to_string()),
            ];
            let signature = server::channels::twilio::signature(TOKEN, &url, &params);
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params.iter())
                .finish();
            for k in 0..deliveries {
                let sent = Instant::now();
                let r = http
                    .post(&url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("x-twilio-signature", &signature)
                    .body(body.clone())
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => {
                        if k == 0 {
                            let us = sent.elapsed().as_micros() as u64;
                            latencies.lock().unwrap_or_else(|p| p.into_inner()).push(us);
                        }
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let took = t0.elapsed().as_secs_f64();
    report.rate_achieved = total as f64 / took;
    report.errors = errors.load(Ordering::Relaxed);
    report.acknowledgement = Latency::from_micros(std::mem::take(
        &mut *latencies.lock().unwrap_or_else(|p| p.into_inner()),
    ));

    // Every text once: one contact per customer, one message each.
    let mut stored = 0u64;
    let mut extra = 0u64;
    let mut after = None;
    loop {
        let page = state
            .contacts(
                org.id,
                &ContactFilter::default(),
                PageRequest { after, limit: 1000 },
            )
            .await?;
        for c in &page.items {
            stored += 1;
            extra += (c.last_seq - 1).max(0) as u64;
        }
        match page.next_cursor {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    report.texts_stored = stored;
    report.lost = total.saturating_sub(stored);
    report.duplicated = extra + stored.saturating_sub(total);

    // ---- Outbound during an outage ----
    say(format!(
        "agents answer {} texts while Twilio is down for {} s…",
        args.replies, args.outage_s
    ));
    stand_in.down.store(true, Ordering::SeqCst);
    for a in &agent_ids {
        server::contacts::set_agent_state(
            state,
            org.id,
            server::events::Actor::User { id: *a },
            AgentState::Available,
            None,
        )
        .await?;
    }
    let mut answered = 0usize;
    let deadline = Instant::now() + Duration::from_secs(120);
    while answered < args.replies && Instant::now() < deadline {
        let offers: Vec<(uuid::Uuid, uuid::Uuid)> =
            state.with_org(org.id, |o| o.offers().map(|f| (f.id, f.agent_id)).collect());
        if offers.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        for (offer, agent) in offers {
            if answered >= args.replies {
                break;
            }
            let Ok(c) = server::contacts::accept_offer(
                state,
                org.id,
                server::events::Actor::User { id: agent },
                offer,
            )
            .await
            else {
                continue;
            };
            server::contacts::append_message(
                state,
                org.id,
                c.id,
                server::contacts::NewMessage {
                    sender: store::Sender::Agent,
                    author: Some(server::events::Actor::User { id: agent }),
                    author_name: Some("Agent".into()),
                    text: Some("It ships today.".into()),
                    attachment: None,
                    internal: false,
                    client_id: Some(format!("reply-{}", c.id)),
                    sent_at: None,
                    template: None,
                },
            )
            .await
            .context("an agent's reply")?;
            answered += 1;
        }
    }
    report.replies = answered;
    tokio::time::sleep(Duration::from_secs(args.outage_s)).await;
    stand_in.down.store(false, Ordering::SeqCst);
    let recovered = Instant::now();
    report.attempts_during_outage = stand_in.refused.load(Ordering::Relaxed);
    let give_up = recovered + Duration::from_secs(180);
    loop {
        let n = stand_in
            .accepted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len();
        if n >= answered || Instant::now() > give_up {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give a second chance to any repeated send, then count.
    tokio::time::sleep(Duration::from_secs(2)).await;
    {
        let acc = stand_in.accepted.lock().unwrap_or_else(|p| p.into_inner());
        report.replies_sent = acc.len();
        report.replies_sent_twice = acc.values().filter(|n| **n > 1).count();
    }
    let last = *stand_in
        .last_accept
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    report.last_reply_after_outage_s = last
        .map(|t| t.saturating_duration_since(recovered).as_secs_f64())
        .unwrap_or(f64::INFINITY);
    report.load_after = load_average();
    twilio_at.stop().await;
    served.stop().await;
    Ok(report)
}
