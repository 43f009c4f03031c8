//! `homeshore forecast | staff | schedule | simulate`: workforce planning from the
//! command line. The maths lives in the `wfm` crate; this module reads and writes CSV
//! and JSON, draws progress on a terminal's stderr, and prints summaries.
use std::io::{IsTerminal, Write};

use anyhow::{Context, bail};
use clap::Args;
use wfm::erlang::{StaffingInput, Target, required_agents};
use wfm::forecast::{ForecastConfig, SpecialDay, backtest, forecast};
use wfm::history::{History, Record};
use wfm::schedule::{AgentPrefs, ScheduleConfig};
use wfm::sim::{FifoRouter, HandleTime, SimConfig, simulate_replications_with_progress};
use wfm::time::{DateTime, parse_date, parse_datetime};

/// Forecast volume and handle time per queue and interval from a history CSV.
///
/// FILE.csv has the columns `timestamp,queue,offered[,aht_s]`: ISO 8601 local times,
/// any interval length that divides --interval-min. Missing intervals mean the center
/// was closed.
///
/// Examples:
///
///   homeshore forecast --history calls.csv --interval-min 30 --backtest-days 20 --json
///
///   homeshore forecast --history calls.csv --interval-min 30 --start 2026-12-01 --days 7 > fc.csv
///
///   homeshore forecast --history calls.csv --start 2026-12-24 --days 3 --special 2026-12-24=1.6 --special 2026-12-25=0
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ForecastArgs {
    /// History CSV: timestamp,queue,offered[,aht_s].
    #[arg(long, value_name = "FILE.csv")]
    pub history: std::path::PathBuf,
    /// Target interval length in minutes (15, 30 or 60).
    #[arg(long, default_value_t = 30)]
    pub interval_min: u32,
    /// Backtest: one-day-ahead forecasts over the last N open days.
    #[arg(long, value_name = "N")]
    pub backtest_days: Option<usize>,
    /// First day to forecast (YYYY-MM-DD); only history before it is used.
    #[arg(long)]
    pub start: Option<String>,
    /// Days to forecast from --start.
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    /// Special day DATE=UPLIFT[:QUEUE] (1.5 = +50 %, 0 = closed). Repeatable.
    #[arg(long, value_name = "DATE=UPLIFT")]
    pub special: Vec<String>,
    /// Add offered_lo,offered_hi (80 % prediction range) columns to the CSV.
    #[arg(long)]
    pub ranges: bool,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// Agents needed for a load: Erlang C, or Erlang A with --patience-s; chat with --concurrency.
///
/// Examples:
///
///   homeshore staff --contacts 100 --interval-min 30 --aht-s 180 --sl 0.8 --answer-s 20
///
///   homeshore staff --contacts 100 --interval-min 30 --aht-s 180 --sl 0.8 --answer-s 20 \
///       --shrinkage 0.3 --patience-s 120 --max-occupancy 0.85 --json
///
///   homeshore staff --contacts 300 --interval-min 30 --aht-s 600 --asa-s 30 --concurrency 3
///
/// A whole forecast (the CSV `homeshore forecast` prints), with the requirement per
/// interval of the week starting --week-start written for `homeshore schedule`:
///
///   homeshore staff --forecast fc.csv --interval-min 30 --sl 0.8 --answer-s 20 --shrinkage 0.1 \
///       --week-start 2026-11-30T00:00 --requirement-out req.csv > staffing.csv
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct StaffArgs {
    /// Contacts offered in the interval.
    #[arg(long, required_unless_present = "forecast")]
    pub contacts: Option<f64>,
    /// Interval length, minutes.
    #[arg(long, default_value_t = 30)]
    pub interval_min: u32,
    /// Average handle time, seconds (with --forecast: where a row has none).
    #[arg(long)]
    pub aht_s: Option<f64>,
    /// Staff every row of a forecast CSV (timestamp,queue,offered[,aht_s]); prints CSV.
    #[arg(long, value_name = "FILE.csv", conflicts_with = "contacts")]
    pub forecast: Option<std::path::PathBuf>,
    /// With --forecast: also write `interval,agents` (all queues summed, intervals of
    /// --interval-min from --week-start) for `homeshore schedule --requirement`.
    #[arg(long, value_name = "FILE.csv", requires = "week_start")]
    pub requirement_out: Option<std::path::PathBuf>,
    /// Start of the planning week for --requirement-out, ISO 8601.
    #[arg(long)]
    pub week_start: Option<String>,
    /// Service-level target: fraction answered within --answer-s (e.g. 0.8).
    #[arg(long, conflicts_with = "asa_s")]
    pub sl: Option<f64>,
    /// Answer time for --sl, seconds.
    #[arg(long, default_value_t = 20.0)]
    pub answer_s: f64,
    /// ASA target instead of a service level, seconds.
    #[arg(long)]
    pub asa_s: Option<f64>,
    /// Shrinkage (breaks, training, absence), 0–1.
    #[arg(long, default_value_t = 0.0)]
    pub shrinkage: f64,
    /// Mean customer patience, seconds: switches to Erlang A (abandonment).
    #[arg(long)]
    pub patience_s: Option<f64>,
    /// Occupancy cap, 0–1.
    #[arg(long)]
    pub max_occupancy: Option<f64>,
    /// Abandonment cap with --patience-s, 0–1 (e.g. 0.05).
    #[arg(long, requires = "patience_s")]
    pub max_abandon: Option<f64>,
    /// Chats per agent at once.
    #[arg(long, default_value_t = 1)]
    pub concurrency: u32,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// Generate a week's schedule from agents' preferences and a requirement.
///
/// Agents come from --agents (a JSON array of preferences: id, time_zone, windows
/// [{weekday 0=Mon, start_min, end_min}], min/max_week_hours, min/max_shift_hours,
/// days_off, skills) or --generate-agents N (a seeded synthetic center, for trials and
/// benchmarks). The requirement is a CSV `interval,agents` (--requirement).
///
/// Examples:
///
///   homeshore schedule --generate-agents 3000 --json > schedule.json
///
///   homeshore schedule --agents agents.json --requirement req.csv --start 2026-12-07T00:00 --peak
///
///   homeshore schedule --agents agents.json --requirement req30.csv --requirement-interval-min 30 \
///       --start 2026-11-30T00:00 --shifts-csv shifts.csv
///
///   homeshore schedule --generate-agents 500 --hire-plan
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ScheduleArgs {
    /// Agents' preferences, JSON array.
    #[arg(long, value_name = "FILE.json", conflicts_with = "generate_agents")]
    pub agents: Option<std::path::PathBuf>,
    /// Requirement CSV: interval,agents (interval numbers from 0).
    #[arg(long, value_name = "FILE.csv")]
    pub requirement: Option<std::path::PathBuf>,
    /// Interval length of the requirement file, if longer than --interval-min (e.g. 30
    /// from `homeshore staff --requirement-out`); each row is repeated to fit.
    #[arg(long)]
    pub requirement_interval_min: Option<u32>,
    /// Generate a synthetic center of N agents with its requirement.
    #[arg(long, value_name = "N")]
    pub generate_agents: Option<usize>,
    /// UTC start of the week, ISO 8601 (a Monday 00:00 by default: 2026-11-30).
    #[arg(long, default_value = "2026-11-30T00:00")]
    pub start: String,
    /// Interval length, minutes.
    #[arg(long, default_value_t = 15)]
    pub interval_min: u32,
    /// A peak week: agents' peak maximum hours (up to 60) apply.
    #[arg(long)]
    pub peak: bool,
    /// Also plan peak hires: how many of which availability pattern close the gap.
    #[arg(long)]
    pub hire_plan: bool,
    /// Requirement as a share of the hours the generated agents offer (--generate-agents).
    #[arg(long, default_value_t = 0.85)]
    pub load: f64,
    /// Seed for --generate-agents.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Write the shifts as CSV: agent,start_utc,end_utc,paid_hours,breaks.
    #[arg(long, value_name = "FILE.csv")]
    pub shifts_csv: Option<std::path::PathBuf>,
    /// JSON output (the whole schedule).
    #[arg(long)]
    pub json: bool,
}

/// Simulate contacts through a staffing plan and report SL, ASA, abandonment, occupancy.
///
/// Input: a plan CSV (--plan: interval,contacts,aht_s,agents, one row per interval), or
/// a forecast with a schedule (--forecast, the CSV `homeshore forecast` prints, and
/// --schedule, the JSON `homeshore schedule --json` prints): the schedule's coverage
/// answers the forecast's contacts, interval by interval of its week.
///
/// Examples:
///
///   homeshore simulate --forecast fc.csv --schedule schedule.json --runs 10
///
///   homeshore simulate --plan plan.csv --interval-min 30 --patience-s 120 --seed 7
///
///   homeshore simulate --contacts 100 --aht-s 180 --agents 14 --intervals 48 --json
///
///   homeshore simulate --plan plan.csv --runs 20   # 20 seeds: SL with a 95 % interval
///
///   homeshore simulate --plan plan.csv --router fifo   # a plain FIFO queue instead
///
/// Contacts go through the `routing` crate's engine (agents auto-answer). Replications
/// run on every core (--threads); their results do not depend on how many.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct SimulateArgs {
    /// Plan CSV: interval,contacts,aht_s,agents.
    #[arg(long, value_name = "FILE.csv")]
    pub plan: Option<std::path::PathBuf>,
    /// Forecast CSV (timestamp,queue,offered[,aht_s]) to simulate against --schedule.
    #[arg(
        long,
        value_name = "FILE.csv",
        requires = "schedule",
        conflicts_with = "plan"
    )]
    pub forecast: Option<std::path::PathBuf>,
    /// Schedule JSON from `homeshore schedule --json`: agents on duty per interval.
    #[arg(long, value_name = "FILE.json", requires = "forecast")]
    pub schedule: Option<std::path::PathBuf>,
    /// Interval length of the --forecast rows, minutes (a multiple of the schedule's).
    #[arg(long, default_value_t = 30)]
    pub forecast_interval_min: u32,
    /// Constant load instead of a plan: contacts per interval.
    #[arg(long, conflicts_with_all = ["plan", "forecast"])]
    pub contacts: Option<f64>,
    /// Constant AHT, seconds.
    #[arg(long, default_value_t = 180.0)]
    pub aht_s: f64,
    /// Constant agents on duty.
    #[arg(long, default_value_t = 10)]
    pub agents: u32,
    /// Intervals to simulate with a constant load.
    #[arg(long, default_value_t = 48)]
    pub intervals: usize,
    /// Interval length, minutes.
    #[arg(long, default_value_t = 30)]
    pub interval_min: u32,
    /// Mean patience, seconds (exponential); none: nobody abandons.
    #[arg(long)]
    pub patience_s: Option<f64>,
    /// Handle-time coefficient of variation (lognormal); 1 with --exponential.
    #[arg(long, default_value_t = 0.8)]
    pub cv: f64,
    /// Exponential handle times (the M/M/n case).
    #[arg(long)]
    pub exponential: bool,
    /// Service-level answer time, seconds.
    #[arg(long, default_value_t = 20.0)]
    pub answer_s: f64,
    /// Who answers: the `routing` crate's engine, or a plain first-come-first-served queue
    /// with the longest-idle agent (faster, for what-ifs on huge plans).
    #[arg(long, value_enum, default_value_t = SimRouter::Engine)]
    pub router: SimRouter,
    /// Random seed (replication k uses seed + k).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Independent replications; with more than one, the service level comes with a
    /// 95 % confidence interval.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub runs: u32,
    /// Threads for the replications (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// The simulator's router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SimRouter {
    /// The `routing` crate's engine: skills, policies, fairness.
    Engine,
    /// First come, first served; longest-idle agent.
    Fifo,
}

/// Where the columns of a `timestamp,queue,offered[,aht_s]` CSV (history or forecast)
/// are, whatever their order and case.
struct ContactColumns {
    timestamp: usize,
    queue: usize,
    offered: usize,
    aht_s: Option<usize>,
}

fn contact_columns(table: &csvio::Table, path: &std::path::Path) -> anyhow::Result<ContactColumns> {
    let col = |name: &str| {
        table
            .headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
    };
    let (Some(timestamp), Some(queue), Some(offered)) =
        (col("timestamp"), col("queue"), col("offered"))
    else {
        bail!(
            "{}: need columns timestamp,queue,offered[,aht_s]",
            path.display()
        );
    };
    Ok(ContactColumns {
        timestamp,
        queue,
        offered,
        aht_s: col("aht_s"),
    })
}

fn read_history(path: &std::path::Path, interval_min: u32) -> anyhow::Result<History> {
    let table = csvio::read(path)?;
    let ContactColumns {
        timestamp: ts,
        queue: q,
        offered: o,
        aht_s: aht,
    } = contact_columns(&table, path)?;
    let mut records = Vec::new();
    for (line, row) in table.rows.iter().enumerate() {
        let at = |i: usize| row.get(i).map_or("", String::as_str);
        let ctx = || format!("{} line {}", path.display(), line + 2);
        let timestamp = parse_datetime(at(ts)).with_context(ctx)?;
        let offered: f64 = at(o).parse().with_context(ctx)?;
        let aht_s = match aht.map(at) {
            Some(s) if !s.is_empty() => Some(s.parse::<f64>().with_context(ctx)?),
            _ => None,
        };
        records.push(Record {
            timestamp,
            queue: at(q).to_string(),
            offered,
            handled: None,
            abandoned: None,
            aht_s,
        });
    }
    // The input's interval is the finest alignment of its timestamps; it must divide
    // the target interval, or records would be split between target intervals wrongly.
    fn gcd(a: i64, b: i64) -> i64 {
        if b == 0 { a } else { gcd(b, a % b) }
    }
    let input = records
        .iter()
        .fold(1440, |g, r| gcd(g, r.timestamp.rem_euclid(1440)));
    if i64::from(interval_min) % input != 0 {
        bail!(
            "{}: records every {input} minutes do not divide --interval-min {interval_min}",
            path.display()
        );
    }
    Ok(History::from_records(&records, interval_min)?)
}

fn parse_special(s: &str) -> anyhow::Result<SpecialDay> {
    let (date, rest) = s
        .split_once('=')
        .context("--special wants DATE=UPLIFT[:QUEUE]")?;
    let (uplift, queue) = match rest.split_once(':') {
        Some((u, q)) => (u, Some(q.to_string())),
        None => (rest, None),
    };
    Ok(SpecialDay {
        date: parse_date(date)?,
        queue,
        uplift: uplift.parse().context("uplift must be a number")?,
    })
}

/// `homeshore forecast`.
pub fn forecast_cmd(args: ForecastArgs) -> anyhow::Result<()> {
    let history = read_history(&args.history, args.interval_min)?;
    let cfg = ForecastConfig {
        special_days: args
            .special
            .iter()
            .map(|s| parse_special(s))
            .collect::<anyhow::Result<_>>()?,
        ..ForecastConfig::default()
    };
    let mut out = std::io::stdout().lock();
    if let Some(n) = args.backtest_days {
        let bt = backtest(&history, &cfg, n)?;
        if args.json {
            let mut v = serde_json::to_value(&bt)?;
            v["days"] = bt
                .days
                .iter()
                .map(|d| wfm::time::Date(*d).to_string())
                .collect();
            serde_json::to_writer(&mut out, &v)?;
            writeln!(out)?;
        } else {
            writeln!(
                out,
                "Backtest: one-day-ahead over {} open days, {} intervals",
                bt.days.len(),
                bt.overall.intervals
            )?;
            writeln!(
                out,
                "{:<20} {:>8} {:>8} {:>8} {:>10} {:>10}",
                "queue", "WAPE", "MAPE", "bias", "naive WAPE", "naive MAPE"
            )?;
            let row = |out: &mut dyn Write, q: &str, a: &wfm::forecast::Accuracy| {
                writeln!(
                    out,
                    "{:<20} {:>7.1}% {:>7.1}% {:>+7.1}% {:>9.1}% {:>9.1}%",
                    q,
                    a.wape * 100.0,
                    a.mape * 100.0,
                    a.bias * 100.0,
                    a.baseline_wape * 100.0,
                    a.baseline_mape * 100.0
                )
            };
            for (q, a) in &bt.queues {
                row(&mut out, q, a)?;
            }
            row(&mut out, "all", &bt.overall)?;
        }
        return Ok(());
    }
    let Some(start) = &args.start else {
        bail!("give --backtest-days N or --start YYYY-MM-DD")
    };
    let start = parse_date(start)?;
    let rows = forecast(&history, &cfg, start, args.days)?;
    if args.json {
        serde_json::to_writer(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    let with_aht = history.has_aht();
    let mut w = std::io::BufWriter::new(out);
    let mut header = vec!["timestamp", "queue", "offered"];
    if with_aht {
        header.push("aht_s");
    }
    if args.ranges {
        header.extend(["offered_lo", "offered_hi"]);
    }
    csvio::write_row(&mut w, &header)?;
    for r in rows {
        let mut rec = vec![
            DateTime(r.start).to_string(),
            r.queue,
            format!("{:.2}", r.offered),
        ];
        if with_aht {
            rec.push(r.aht_s.map_or(String::new(), |a| format!("{a:.1}")));
        }
        if args.ranges {
            rec.push(format!("{:.2}", r.offered_lo));
            rec.push(format!("{:.2}", r.offered_hi));
        }
        csvio::write_row(&mut w, &rec)?;
    }
    w.flush()?;
    Ok(())
}

fn staff_forecast(
    args: &StaffArgs,
    path: &std::path::Path,
    base: StaffingInput,
) -> anyhow::Result<()> {
    let table = csvio::read(path)?;
    let ContactColumns {
        timestamp: ts,
        queue: q,
        offered: o,
        aht_s: aht_col,
    } = contact_columns(&table, path)?;
    let week_start = args.week_start.as_deref().map(parse_datetime).transpose()?;
    let step = i64::from(args.interval_min);
    let mut req: Vec<f64> = Vec::new();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    csvio::write_row(
        &mut out,
        &[
            "timestamp",
            "queue",
            "offered",
            "aht_s",
            "agents_raw",
            "agents",
            "service_level",
        ],
    )?;
    for (line, row) in table.rows.iter().enumerate() {
        let at = |i: usize| row.get(i).map_or("", String::as_str);
        let ctx = || format!("{} line {}", path.display(), line + 2);
        let t = parse_datetime(at(ts)).with_context(ctx)?;
        let offered: f64 = at(o).parse().with_context(ctx)?;
        let aht = match aht_col.map(at).filter(|s| !s.is_empty()) {
            Some(a) => a.parse::<f64>().with_context(ctx)?,
            None => args
                .aht_s
                .with_context(|| format!("{}: no aht_s; give --aht-s", ctx()))?,
        };
        let s = required_agents(&StaffingInput {
            contacts: offered,
            aht_s: aht,
            ..base
        })
        .with_context(ctx)?;
        csvio::write_row(
            &mut out,
            &[
                at(ts).to_string(),
                at(q).to_string(),
                format!("{offered:.2}"),
                format!("{aht:.1}"),
                s.agents_raw.to_string(),
                s.agents.to_string(),
                format!("{:.4}", s.metrics.service_level),
            ],
        )?;
        if let Some(w) = week_start {
            let rel = t - w;
            if (0..7 * 1440).contains(&rel) {
                let i = (rel / step) as usize;
                if req.len() <= i {
                    req.resize(i + 1, 0.0);
                }
                req[i] += f64::from(s.agents);
            }
        }
    }
    out.flush()?;
    if let Some(p) = &args.requirement_out {
        req.resize((7 * 1440 / step) as usize, 0.0);
        let file = std::fs::File::create(p).with_context(|| format!("writing {}", p.display()))?;
        let mut w = std::io::BufWriter::new(file);
        csvio::write_row(&mut w, &["interval", "agents"])?;
        for (i, r) in req.iter().enumerate() {
            csvio::write_row(&mut w, &[i.to_string(), r.to_string()])?;
        }
        w.flush()?;
    }
    Ok(())
}

/// `homeshore staff`.
pub fn staff_cmd(args: StaffArgs) -> anyhow::Result<()> {
    let target = match (args.sl, args.asa_s) {
        (_, Some(asa_s)) => Target::Asa { asa_s },
        (Some(fraction), None) => Target::ServiceLevel {
            fraction,
            answer_s: args.answer_s,
        },
        (None, None) => bail!("give a target: --sl 0.8 --answer-s 20, or --asa-s 30"),
    };
    let base = StaffingInput {
        contacts: args.contacts.unwrap_or(0.0),
        interval_s: f64::from(args.interval_min) * 60.0,
        aht_s: args.aht_s.unwrap_or(0.0),
        target,
        patience_s: args.patience_s,
        max_occupancy: args.max_occupancy,
        max_abandon: args.max_abandon,
        shrinkage: args.shrinkage,
        concurrency: args.concurrency,
    };
    if let Some(path) = &args.forecast {
        return staff_forecast(&args, path, base);
    }
    let Some(_) = args.aht_s else {
        bail!("give --aht-s")
    };
    let input = base;
    let s = required_agents(&input)?;
    if args.json {
        let mut v = serde_json::to_value(s)?;
        if args.patience_s.is_none()
            && let Some(o) = v.as_object_mut()
        {
            o.remove("abandon_rate");
        }
        println!("{v}");
        return Ok(());
    }
    let m = &s.metrics;
    println!(
        "Model               {}",
        if s.model == "erlang_a" {
            "Erlang A (with abandonment)"
        } else {
            "Erlang C"
        }
    );
    println!("Traffic             {:.2} Erlangs", s.traffic_erlangs);
    println!("Agents (raw)        {}", s.agents_raw);
    println!(
        "Agents (scheduled)  {}  after {:.0}% shrinkage",
        s.agents,
        args.shrinkage * 100.0
    );
    println!(
        "Service level       {:.1}% in {} s",
        m.service_level * 100.0,
        args.answer_s
    );
    println!("P(wait)             {:.1}%", m.p_wait * 100.0);
    println!("ASA                 {:.1} s", m.asa_s);
    println!("Occupancy           {:.1}%", m.occupancy * 100.0);
    if args.patience_s.is_some() {
        println!("Abandoned           {:.1}%", m.abandon_rate * 100.0);
    }
    if !s.target_met {
        println!("warning: target not reachable within the search limit");
    }
    Ok(())
}

fn read_requirement(path: &std::path::Path) -> anyhow::Result<Vec<f64>> {
    let table = csvio::read(path)?;
    let mut req: Vec<f64> = Vec::new();
    for row in &table.rows {
        let i: usize = row
            .first()
            .map_or("", String::as_str)
            .parse()
            .context("interval must be a number")?;
        let v: f64 = row
            .get(1)
            .map_or("", String::as_str)
            .parse()
            .context("agents must be a number")?;
        if req.len() <= i {
            req.resize(i + 1, 0.0);
        }
        req[i] = v;
    }
    Ok(req)
}

fn progress_bar(total: u64, what: &str) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    pb.set_message(what.to_string());
    Some(pb)
}

/// `homeshore schedule`.
pub fn schedule_cmd(args: ScheduleArgs) -> anyhow::Result<()> {
    let (agents, req): (Vec<AgentPrefs>, Vec<f64>) = match (args.generate_agents, &args.agents) {
        (Some(n), _) => wfm::synth::center(
            n,
            7 * 24 * 60 / args.interval_min as usize,
            args.interval_min,
            args.load,
            args.seed,
        ),
        (None, Some(path)) => {
            let agents: Vec<AgentPrefs> = serde_json::from_reader(std::io::BufReader::new(
                std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?,
            ))?;
            let Some(r) = &args.requirement else {
                bail!("--agents needs --requirement FILE.csv")
            };
            let mut req = read_requirement(r)?;
            if let Some(k) = args.requirement_interval_min {
                if k == 0 || k % args.interval_min != 0 {
                    bail!("--requirement-interval-min must be a multiple of --interval-min");
                }
                let k = (k / args.interval_min) as usize;
                req = req
                    .iter()
                    .flat_map(|&r| std::iter::repeat_n(r, k))
                    .collect();
            }
            (agents, req)
        }
        (None, None) => {
            bail!("give --agents FILE.json --requirement FILE.csv, or --generate-agents N")
        }
    };
    let cfg = ScheduleConfig {
        start_utc: if args.generate_agents.is_some() {
            wfm::synth::WEEK_START
        } else {
            parse_datetime(&args.start)?
        },
        interval_min: args.interval_min,
        peak: args.peak,
        ..ScheduleConfig::default()
    };
    let t0 = std::time::Instant::now();
    let pb = progress_bar(0, "scheduling");
    let schedule =
        wfm::schedule::generate_with_progress(&agents, &req, &cfg, &mut |done, total| {
            if let Some(pb) = &pb {
                pb.set_length(total);
                pb.set_position(done);
            }
        })?;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    let elapsed = t0.elapsed();
    let plan = if args.hire_plan {
        let profiles = wfm::schedule::standard_profiles(
            &wfm::zone::TimeZone::UTC,
            if args.peak { 40.0 } else { 30.0 },
        );
        Some(wfm::schedule::plan_hires(
            &agents,
            &req,
            &cfg,
            &profiles,
            schedule.lower_bound,
            10_000,
        )?)
    } else {
        None
    };
    if let Some(path) = &args.shifts_csv {
        let file =
            std::fs::File::create(path).with_context(|| format!("writing {}", path.display()))?;
        let mut w = std::io::BufWriter::new(file);
        csvio::write_row(
            &mut w,
            &["agent", "start_utc", "end_utc", "paid_hours", "breaks"],
        )?;
        let iv = i64::from(schedule.interval_min);
        let at = |i: u32| DateTime(schedule.start_utc + i64::from(i) * iv).to_string();
        for s in &schedule.shifts {
            let breaks: Vec<String> = s
                .breaks
                .iter()
                .map(|b| {
                    format!(
                        "{:?} {}-{}",
                        b.kind,
                        &at(b.start)[11..16],
                        &at(b.start + b.len)[11..16]
                    )
                    .to_lowercase()
                })
                .collect();
            csvio::write_row(
                &mut w,
                &[
                    agents[s.agent].id.clone(),
                    at(s.start),
                    at(s.start + s.len),
                    format!("{:.2}", f64::from(s.paid()) * iv as f64 / 60.0),
                    breaks.join("; "),
                ],
            )?;
        }
        w.flush()?;
    }
    if args.json {
        let v = serde_json::json!({ "schedule": schedule, "gap": schedule.gap(), "seconds": elapsed.as_secs_f64(), "hire_plan": plan });
        println!("{v}");
        return Ok(());
    }
    let need: f64 = req.iter().sum();
    let per_hour = 60.0 / f64::from(args.interval_min);
    println!("Agents              {}", agents.len());
    println!(
        "Intervals           {} of {} min",
        req.len(),
        args.interval_min
    );
    println!("Shifts              {}", schedule.shifts.len());
    println!("Requirement         {:.0} agent-hours", need / per_hour);
    println!(
        "Shortfall           {:.1} agent-hours ({:.2}% of requirement)",
        schedule.shortfall / per_hour,
        schedule.shortfall / need.max(1e-9) * 100.0
    );
    println!(
        "Lower bound         {:.1} agent-hours (gap {:.2}%)",
        schedule.lower_bound / per_hour,
        schedule.gap() * 100.0
    );
    println!(
        "Over-staffing       {:.1} agent-hours",
        schedule.overstaffing / per_hour
    );
    println!(
        "Fill spread (sd)    {:.3} of asked hours",
        schedule.fill_spread
    );
    println!(
        "Minimum unmet       {} agents",
        schedule.unmet_minimum.len()
    );
    println!("Time                {:.2} s", elapsed.as_secs_f64());
    if let Some(p) = plan {
        println!(
            "\nPeak hires to close the gap ({} in all, +{:.0} h/week):",
            p.total_hires, p.hours_added
        );
        for (name, n) in &p.hires {
            println!("  {n:>5}  {name}");
        }
        println!(
            "Shortfall {:.1} -> {:.1} agent-hours",
            p.shortfall_before / per_hour,
            p.shortfall_after / per_hour
        );
    }
    Ok(())
}

/// `homeshore simulate`.
pub fn simulate_cmd(args: SimulateArgs) -> anyhow::Result<()> {
    let mut interval_min = args.interval_min;
    let (contacts, aht, agents) = if let (Some(fc), Some(sc)) = (&args.forecast, &args.schedule) {
        let plan = forecast_against_schedule(fc, sc, args.forecast_interval_min, args.aht_s)?;
        interval_min = plan.0;
        (plan.1, plan.2, plan.3)
    } else if let Some(path) = &args.plan {
        let table = csvio::read(path)?;
        let (mut c, mut a, mut n) = (Vec::new(), Vec::new(), Vec::new());
        for row in &table.rows {
            let f = |i: usize| -> anyhow::Result<f64> {
                Ok(row.get(i).map_or("", String::as_str).parse::<f64>()?)
            };
            c.push(f(1)?);
            a.push(f(2)?);
            n.push(f(3)?.max(0.0).round() as u32);
        }
        (c, a, n)
    } else {
        let c = args
            .contacts
            .context("give --plan FILE.csv or --contacts N")?;
        (
            vec![c; args.intervals],
            vec![args.aht_s; args.intervals],
            vec![args.agents; args.intervals],
        )
    };
    let cfg = SimConfig {
        interval_min,
        contacts,
        aht_s: aht,
        agents,
        handle: if args.exponential {
            HandleTime::Exponential
        } else {
            HandleTime::LogNormal { cv: args.cv }
        },
        patience_s: args.patience_s,
        answer_s: args.answer_s,
        seed: args.seed,
    };
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1)
    });
    let pb = progress_bar(
        u64::from(args.runs) * cfg.contacts.len() as u64,
        "simulated intervals",
    );
    let tick = || {
        if let Some(pb) = &pb {
            pb.inc(1);
        }
    };
    let t0 = std::time::Instant::now();
    let r = match args.router {
        SimRouter::Engine => simulate_replications_with_progress(
            &cfg,
            args.runs,
            threads,
            || wfm::sim_routing::EngineRouter::new(1_800_000_000_000),
            &tick,
        )?,
        SimRouter::Fifo => simulate_replications_with_progress(
            &cfg,
            args.runs,
            threads,
            FifoRouter::default,
            &tick,
        )?,
    };
    let secs = t0.elapsed().as_secs_f64();
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    let t = &r.total;
    let rate = t.offered as f64 / secs.max(1e-9);
    if args.json {
        let per: Vec<_> = r
            .intervals
            .iter()
            .enumerate()
            .map(|(i, x)| {
                serde_json::json!({ "interval": i, "offered": x.offered, "service_level": x.service_level(), "asa_s": x.asa_s(), "abandon_rate": x.abandon_rate(), "occupancy": x.occupancy() })
            })
            .collect();
        let runs: Vec<_> = r
            .runs
            .iter()
            .enumerate()
            .map(|(k, x)| {
                let t = &x.total;
                serde_json::json!({ "seed": args.seed.wrapping_add(k as u64), "offered": t.offered, "service_level": t.service_level(), "asa_s": t.asa_s(), "abandon_rate": t.abandon_rate(), "occupancy": t.occupancy() })
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({ "offered": t.offered, "service_level": t.service_level(), "service_level_ci95": r.service_level_ci95, "asa_s": t.asa_s(), "abandon_rate": t.abandon_rate(), "occupancy": t.occupancy(), "runs": runs, "threads": threads.min(args.runs as usize), "seconds": secs, "contacts_per_s": rate, "intervals": per })
        );
        return Ok(());
    }
    if args.runs > 1 {
        println!("{} replications; figures are over all of them", args.runs);
    }
    println!(
        "{:>8} {:>8} {:>7} {:>8} {:>8} {:>6}",
        "interval", "offered", "SL", "ASA s", "aband.", "occ."
    );
    for (i, x) in r.intervals.iter().enumerate() {
        println!(
            "{:>8} {:>8} {:>6.1}% {:>8.1} {:>7.1}% {:>5.1}%",
            i,
            x.offered,
            x.service_level() * 100.0,
            x.asa_s(),
            x.abandon_rate() * 100.0,
            x.occupancy() * 100.0
        );
    }
    println!(
        "{:>8} {:>8} {:>6.1}% {:>8.1} {:>7.1}% {:>5.1}%",
        "total",
        t.offered,
        t.service_level() * 100.0,
        t.asa_s(),
        t.abandon_rate() * 100.0,
        t.occupancy() * 100.0
    );
    if args.runs > 1 {
        println!(
            "service level {:.1}% ± {:.1} points (95 % confidence, {} replications)",
            t.service_level() * 100.0,
            r.service_level_ci95 * 100.0,
            args.runs
        );
    }
    eprintln!(
        "{} contacts simulated in {:.3} s ({:.0}/s, {} thread{})",
        t.offered,
        secs,
        rate,
        threads.min(args.runs as usize),
        if threads.min(args.runs as usize) == 1 {
            ""
        } else {
            "s"
        }
    );
    Ok(())
}

/// A schedule's week as a simulation plan: (interval minutes, contacts, AHT, agents per
/// interval). Forecast rows are spread evenly over the schedule intervals they span;
/// AHT is the contact-weighted mean (`default_aht` where no contact is forecast).
type Plan = (u32, Vec<f64>, Vec<f64>, Vec<u32>);

fn forecast_against_schedule(
    forecast: &std::path::Path,
    schedule: &std::path::Path,
    forecast_interval_min: u32,
    default_aht: f64,
) -> anyhow::Result<Plan> {
    let text = std::fs::read_to_string(schedule)
        .with_context(|| format!("reading {}", schedule.display()))?;
    let mut v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", schedule.display()))?;
    // `homeshore schedule --json` wraps the schedule; a bare one is fine too.
    if let Some(inner) = v.get_mut("schedule") {
        v = inner.take();
    }
    let sched: wfm::schedule::Schedule = serde_json::from_value(v)
        .with_context(|| format!("{}: not a schedule", schedule.display()))?;
    let iv = sched.interval_min;
    if iv == 0 || !forecast_interval_min.is_multiple_of(iv) {
        bail!(
            "--forecast-interval-min {forecast_interval_min} is not a multiple of the schedule's {iv}-minute intervals"
        );
    }
    let parts = forecast_interval_min / iv;
    let n = sched.coverage.len();
    let mut contacts = vec![0.0; n];
    let mut work = vec![0.0; n];
    let table = csvio::read(forecast)?;
    let ContactColumns {
        timestamp: ts,
        offered: o,
        aht_s: aht_col,
        ..
    } = contact_columns(&table, forecast)?;
    let mut used = 0usize;
    for (line, row) in table.rows.iter().enumerate() {
        let at = |i: usize| row.get(i).map_or("", String::as_str);
        let ctx = || format!("{} line {}", forecast.display(), line + 2);
        let rel = parse_datetime(at(ts)).with_context(ctx)? - sched.start_utc;
        if rel < 0 {
            continue;
        }
        let first = (rel / i64::from(iv)) as usize;
        if first >= n {
            continue;
        }
        let offered: f64 = at(o).parse().with_context(ctx)?;
        let aht = match aht_col.map(at).filter(|s| !s.is_empty()) {
            Some(a) => a.parse::<f64>().with_context(ctx)?,
            None => default_aht,
        };
        let share = offered / f64::from(parts);
        for i in first..(first + parts as usize).min(n) {
            contacts[i] += share;
            work[i] += share * aht;
        }
        used += 1;
    }
    if used == 0 {
        bail!(
            "{}: no forecast row falls in the schedule's week (from {})",
            forecast.display(),
            DateTime(sched.start_utc)
        );
    }
    let aht = contacts
        .iter()
        .zip(&work)
        .map(|(&c, &w)| if c > 0.0 { w / c } else { default_aht })
        .collect();
    Ok((iv, contacts, aht, sched.coverage))
}

/// Just enough CSV: a header row, comma-separated fields, double quotes with `""`
/// escapes, surrounding spaces trimmed, blank lines skipped.
mod csvio {
    use std::io::Write;

    use anyhow::Context;

    pub struct Table {
        pub headers: Vec<String>,
        pub rows: Vec<Vec<String>>,
    }

    pub fn read(path: &std::path::Path) -> anyhow::Result<Table> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let headers = lines
            .next()
            .map(parse_line)
            .with_context(|| format!("{} is empty", path.display()))?;
        Ok(Table {
            headers,
            rows: lines.map(parse_line).collect(),
        })
    }

    pub fn parse_line(line: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut chars = line.trim_end_matches('\r').chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                ('"', true) => quoted = false,
                ('"', false) if field.trim().is_empty() => {
                    field.clear();
                    quoted = true;
                }
                (',', false) => out.push(std::mem::take(&mut field).trim().to_string()),
                _ => field.push(c),
            }
        }
        out.push(field.trim().to_string());
        out
    }

    pub fn write_row(w: &mut impl Write, fields: &[impl AsRef<str>]) -> std::io::Result<()> {
        for (i, f) in fields.iter().enumerate() {
            let f = f.as_ref();
            if i > 0 {
                w.write_all(b",")?;
            }
            if f.contains([',', '"', '\n', '\r']) {
                write!(w, "\"{}\"", f.replace('"', "\"\""))?;
            } else {
                w.write_all(f.as_bytes())?;
            }
        }
        w.write_all(b"\n")
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn quotes() {
            assert_eq!(
                super::parse_line(r#"a, "b,c" ,"d""e""#),
                ["a", "b,c", "d\"e"]
            );
            let mut v = Vec::new();
            super::write_row(&mut v, &["x", "y,z", "q\""]).unwrap();
            assert_eq!(String::from_utf8(v).unwrap(), "x,\"y,z\",\"q\"\"\"\n");
        }
    }
}
