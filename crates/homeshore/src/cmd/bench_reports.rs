//! `homeshore bench reports`: a month of history in the reports' tables, then the time
//! a report over it takes through the HTTP API, and the per-contact CSV streamed with
//! the server's peak memory while it streams.
//!
//! The history is written straight into the reports' tables (the rows the projection
//! writes from the routing log: one per stay of a contact in a queue, and agents' time
//! per fifteen minutes), generated with a seed: a million contacts through the real
//! engine would take the benchmark hours and measure the engine, not the report.
//! Arrivals follow a daily curve over 30 days; 10 % abandon, 5 % are transferred
//! (a second stay), a fifth are rated.

use std::time::Instant;

use anyhow::Context as _;
use clap::Args as ClapArgs;
use serde::Serialize;
use store::reports::{AgentTimeRow, ReportStay, ReportWrite};
use uuid::Uuid;

use super::bench::{BenchDb, Served, status_kib};

#[derive(Debug, Clone, ClapArgs)]
#[command(
    after_help = "Examples:\n  homeshore bench reports --contacts 1000000\n  homeshore bench reports --database-url postgres://postgres@127.0.0.1:5432/test --json"
)]
pub struct Args {
    /// Contacts over the period.
    #[arg(long, default_value_t = 1_000_000)]
    pub contacts: u64,
    /// Days of history (the report covers them all).
    #[arg(long, default_value_t = 30)]
    pub days: i64,
    /// Queues.
    #[arg(long, default_value_t = 8)]
    pub queues: usize,
    /// Agents.
    #[arg(long, default_value_t = 200)]
    pub agents: usize,
    /// Times each report is asked (the median is given).
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Workload seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A `postgres://` URL (a schema of its own, dropped afterwards); SQLite otherwise.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Default, Serialize)]
pub struct Timing {
    pub name: String,
    pub median_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub backend: &'static str,
    pub contacts: u64,
    pub stays: u64,
    pub days: i64,
    pub seed_s: f64,
    pub reports: Vec<Timing>,
    pub csv_rows: u64,
    pub csv_bytes: u64,
    pub csv_s: f64,
    pub csv_mib_per_s: f64,
    pub rss_before_csv_mib: f64,
    pub peak_rss_during_csv_mib: f64,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const CHANNELS: [&str; 5] = ["chat", "sms", "whatsapp", "email", "voice"];
const CODES: [&str; 8] = [
    "billing",
    "returns",
    "shipping",
    "sizing",
    "damaged",
    "account",
    "order_status",
    "other",
];

pub fn run(args: Args) -> anyhow::Result<()> {
    let rt = super::bench::runtime()?;
    let r = rt.block_on(run_async(&args))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        println!(
            "Reports on {}: {} contacts ({} stays) over {} days, seeded in {:.1} s",
            r.backend, r.contacts, r.stays, r.days, r.seed_s
        );
        for t in &r.reports {
            println!(
                "  {:<44} median {:>7.0} ms   max {:>7.0} ms",
                t.name, t.median_ms, t.max_ms
            );
        }
        println!(
            "  per-contact CSV: {} rows, {:.1} MiB in {:.2} s ({:.0} MiB/s); server RSS {:.0} MiB before, peak {:.0} MiB while streaming",
            r.csv_rows,
            r.csv_bytes as f64 / 1048576.0,
            r.csv_s,
            r.csv_mib_per_s,
            r.rss_before_csv_mib,
            r.peak_rss_during_csv_mib
        );
    }
    Ok(())
}

async fn run_async(args: &Args) -> anyhow::Result<Report> {
    let config = server::Config {
        argon2_m_kib: 4096,
        ..Default::default()
    };
    let (state, db) = BenchDb::open("reports", args.database_url.as_deref(), config).await?;
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
    let mut queues = Vec::new();
    for q in 0..args.queues {
        let x = server::seed::create_queue(
            &state,
            org.id,
            &format!("Queue {q}"),
            serde_json::json!({"required_skills": []}),
        )
        .await?;
        queues.push(x.id);
    }
    let agents: Vec<Uuid> = (0..args.agents).map(|_| Uuid::now_v7()).collect();
    let sup = server::seed::create_user(
        &state,
        org.id,
        "sup@bench.example",
        "Supervisor",
        store::Role::Supervisor,
        "correct-horse-battery",
    )
    .await?;
    let (token, _) = server::seed::create_api_token(
        &state,
        org.id,
        sup.id,
        "bench",
        vec!["read".into(), "write".into()],
    )
    .await?;
    // Catch the projection up with the seeding's own events first, so the history
    // written below is after its watermark.
    server::reports::catch_up(&state, org.id)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;

    // 2026-11-01 00:00 UTC onwards.
    let start: i64 = 1_793_491_200_000;
    let mut rng = Rng(args.seed);
    let t0 = Instant::now();
    let mut stays = 0u64;
    let mut batch = Vec::with_capacity(20_000);
    let store = state.store().clone();
    let flush = |batch: Vec<ReportStay>| {
        let store = store.clone();
        async move {
            store
                .report_save(&ReportWrite {
                    org_id: org.id,
                    watermark: 0,
                    state: String::new(),
                    stays: batch,
                    ..Default::default()
                })
                .await
        }
    };
    for _ in 0..args.contacts {
        // A daily curve: most arrivals between 08:00 and 20:00.
        let day = rng.below(args.days as u64) as i64;
        let hour = if rng.below(5) == 0 {
            rng.below(24)
        } else {
            8 + rng.below(12)
        } as i64;
        let offered_at = start + day * 86_400_000 + hour * 3_600_000 + rng.below(3_600_000) as i64;
        let contact = Uuid::now_v7();
        let channel = CHANNELS[rng.below(CHANNELS.len() as u64) as usize].to_string();
        let code = Some(CODES[rng.below(CODES.len() as u64) as usize].to_string());
        let wait = 1000 * (1 + rng.below(120)) as i64;
        let mut s = ReportStay {
            contact_id: contact,
            seq: 0,
            queue_id: queues[rng.below(queues.len() as u64) as usize],
            channel,
            offered_at,
            code: code.clone(),
            ..Default::default()
        };
        if rng.below(10) == 0 {
            s.outcome = Some("abandoned".into());
            s.ended_at = Some(offered_at + wait);
            s.wait_ms = Some(wait);
            s.code = None;
            batch.push(s);
        } else {
            let agent = agents[rng.below(agents.len() as u64) as usize];
            s.agent_id = Some(agent);
            s.answered_at = Some(offered_at + wait);
            s.answer_wait_ms = Some(wait);
            s.in_sl = wait <= 20_000;
            let handle = 1000 * (30 + rng.below(900)) as i64;
            let ended = offered_at + wait + handle;
            s.ended_at = Some(ended);
            if rng.below(20) == 0 {
                s.outcome = Some("transferred".into());
                let mut t = s.clone();
                t.seq = 1;
                t.queue_id = queues[rng.below(queues.len() as u64) as usize];
                t.offered_at = ended;
                t.answered_at = Some(ended + 5000);
                t.answer_wait_ms = Some(5000);
                t.in_sl = true;
                t.ended_at = Some(ended + 5000 + handle);
                t.outcome = Some("handled".into());
                t.handle_ms = Some(handle);
                batch.push(s);
                s = t;
            } else {
                s.outcome = Some("handled".into());
                s.handle_ms = Some(handle);
            }
            let acw = 1000 * rng.below(90) as i64;
            s.wrapped_at = Some(s.ended_at.unwrap_or(ended) + acw);
            s.acw_ms = Some(acw);
            if rng.below(5) == 0 {
                s.csat = Some(1 + rng.below(5) as i64);
                s.rated_at = Some(s.wrapped_at.unwrap_or(ended) + 60_000);
            }
            batch.push(s);
        }
        if batch.len() >= 20_000 {
            stays += batch.len() as u64;
            flush(std::mem::take(&mut batch)).await?;
        }
    }
    stays += batch.len() as u64;
    flush(std::mem::take(&mut batch)).await?;
    // Agents' time: each agent works 8 hours a day, 60 % of it with contacts.
    let mut rows = Vec::new();
    for a in &agents {
        for d in 0..args.days {
            for q in 0..32 {
                let bucket = start + d * 86_400_000 + 8 * 3_600_000 + q * 900_000;
                let busy = 400_000 + rng.below(300_000) as i64;
                rows.push(AgentTimeRow {
                    agent_id: *a,
                    bucket,
                    ms: [0, 0, 900_000 - busy, busy - 60_000, 60_000],
                });
            }
        }
    }
    for chunk in rows.chunks(20_000) {
        store
            .report_save(&ReportWrite {
                org_id: org.id,
                watermark: 0,
                state: String::new(),
                agent_time: chunk.to_vec(),
                ..Default::default()
            })
            .await?;
    }
    let seed_s = t0.elapsed().as_secs_f64();

    let served = Served::server(state.clone()).await?;
    let client = server::http_client();
    let days = |d: i64| {
        let (y, m, dd) = wfm::time::civil_from_days((start / 86_400_000) + d);
        format!("{y:04}-{m:02}-{dd:02}")
    };
    let range = format!("from={}&to={}&tz=UTC", days(0), days(args.days - 1));
    let mut reports = Vec::new();
    for (name, q) in [
        ("30 days by day", "interval=day"),
        ("30 days by day and queue", "interval=day&group_by=queue"),
        (
            "30 days by agent (with occupancy)",
            "interval=total&group_by=agent",
        ),
        ("30 days by 15 minutes", "interval=15m"),
        (
            "30 days by week and wrap-up code",
            "interval=week&group_by=code",
        ),
    ] {
        let mut times = Vec::new();
        for _ in 0..args.repeat.max(1) {
            let t = Instant::now();
            let r = client
                .get(format!("{}/api/reports?{range}&{q}", served.base))
                .bearer_auth(&token)
                .send()
                .await?;
            anyhow::ensure!(r.status().is_success(), "report: {}", r.status());
            let v: serde_json::Value = r.json().await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(
                v["totals"]["offered"].as_u64() == Some(stays),
                "the report counts {} offered of {stays}",
                v["totals"]["offered"]
            );
        }
        times.sort_by(f64::total_cmp);
        reports.push(Timing {
            name: name.into(),
            median_ms: times[times.len() / 2],
            max_ms: *times.last().unwrap_or(&0.0),
        });
    }

    // The CSV: the server's peak memory while it streams (the client here reads it
    // chunk by chunk and keeps nothing).
    let rss_before = status_kib("self", "VmRSS").unwrap_or(0) as f64 / 1024.0;
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let t = Instant::now();
    let mut r = client
        .get(format!("{}/api/reports/contacts.csv?{range}", served.base))
        .bearer_auth(&token)
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "csv: {}", r.status());
    let (mut bytes, mut lines) = (0u64, 0u64);
    while let Some(chunk) = r.chunk().await.context("reading the CSV")? {
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
    }
    let csv_s = t.elapsed().as_secs_f64();
    let peak = status_kib("self", "VmHWM").unwrap_or(0) as f64 / 1024.0;
    served.stop().await;
    Ok(Report {
        backend,
        contacts: args.contacts,
        stays,
        days: args.days,
        seed_s,
        reports,
        csv_rows: lines.saturating_sub(1),
        csv_bytes: bytes,
        csv_s,
        csv_mib_per_s: bytes as f64 / 1048576.0 / csv_s.max(1e-9),
        rss_before_csv_mib: rss_before,
        peak_rss_during_csv_mib: peak,
    })
}
