//! Benchmarks of the WFM hot paths, in release: `cargo run --release -p homeshore-wfm --example wfm_bench [staff|schedule|simulate] [agents]`.
use std::time::Instant;

use wfm::erlang::{StaffingInput, Target, required_agents};
use wfm::schedule::{ScheduleConfig, generate};

fn staff() {
    // 100 queues × 672 intervals of 15 minutes, varied loads.
    let t = Instant::now();
    let mut total = 0u64;
    for q in 0..100u32 {
        for i in 0..672u32 {
            let contacts = 5.0 + f64::from((q * 37 + i * 11) % 400);
            let s = required_agents(&StaffingInput {
                shrinkage: 0.3,
                ..StaffingInput::voice(
                    contacts,
                    900.0,
                    180.0 + f64::from(q),
                    Target::ServiceLevel {
                        fraction: 0.8,
                        answer_s: 20.0,
                    },
                )
            })
            .unwrap();
            total += u64::from(s.agents);
        }
    }
    let el = t.elapsed();
    println!(
        "staffing: 100 queues x 672 intervals in {:.1} ms ({} agent-intervals)",
        el.as_secs_f64() * 1e3,
        total
    );
}

fn schedule(n: usize) {
    let load: f64 = std::env::var("LOAD")
        .ok()
        .and_then(|x| x.parse().ok())
        .unwrap_or(0.85);
    // SHIFT_DAYS moves the requirement's week against the agents' weekdays (a demand
    // pattern that does not follow the usual weekday/weekend split).
    let shift_days: i64 = std::env::var("SHIFT_DAYS")
        .ok()
        .and_then(|x| x.parse().ok())
        .unwrap_or(0);
    let (agents, req) = wfm::synth::center(n, 672, 15, load, 42);
    let t = Instant::now();
    let passes = std::env::var("PASSES")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(ScheduleConfig::default().improve_passes);
    let priced = std::env::var("PRICED")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(ScheduleConfig::default().priced_passes);
    let cfg = ScheduleConfig {
        improve_passes: passes,
        priced_passes: priced,
        start_utc: wfm::synth::WEEK_START + shift_days * 1440,
        // FLOW_BOUND=0: as the server runs large centres, without the max-flow bound.
        flow_bound: std::env::var("FLOW_BOUND").map_or(true, |v| v != "0"),
        ..ScheduleConfig::default()
    };
    let s = generate(&agents, &req, &cfg).unwrap();
    let el = t.elapsed();
    let need: f64 = req.iter().sum();
    println!("load {load}, requirement week shifted by {shift_days} days");
    println!(
        "schedule: {n} agents x 672 intervals in {:.2} s; requirement {:.0} agent-intervals, shortfall {:.1}, lower bound {:.1}, gap {:.2}%, over {:.1}, shifts {}, fill spread {:.3}, unmet min {}",
        el.as_secs_f64(),
        need,
        s.shortfall,
        s.lower_bound,
        s.gap() * 100.0,
        s.overstaffing,
        s.shifts.len(),
        s.fill_spread,
        s.unmet_minimum.len()
    );
    wfm::schedule::check(&s, &agents, &cfg).unwrap();
    if std::env::var("DIAG").is_ok() {
        let used: f64 = s.hours.iter().map(|h| h.hours).sum();
        let cap: f64 = s.hours.iter().map(|h| h.max_hours).sum();
        let at_cap = s
            .hours
            .iter()
            .filter(|h| h.hours > h.max_hours - 2.0)
            .count();
        println!("hours used {used:.0} of {cap:.0}; within 2 h of cap: {at_cap}");
        let t = Instant::now();
        let plain = generate(
            &agents,
            &req,
            &ScheduleConfig {
                lagrange_bound: false,
                ..cfg.clone()
            },
        )
        .unwrap();
        println!(
            "without the Lagrangian bound: lower bound {:.1} in {:.2} s",
            plain.lower_bound,
            t.elapsed().as_secs_f64()
        );
        let mut by_hour = [0.0f64; 24];
        for (i, (&r, &c)) in s.requirement.iter().zip(&s.coverage).enumerate() {
            by_hour[(i % 96) / 4] += (r - f64::from(c)).max(0.0);
        }
        println!(
            "shortfall by UTC hour: {:?}",
            by_hour.iter().map(|x| x.round()).collect::<Vec<_>>()
        );
    }
}

fn simulate() {
    // SIM_ROUTER=fifo|engine runs only that router (default: both).
    let only = std::env::var("SIM_ROUTER").unwrap_or_default();
    if only != "engine" {
        simulate_with("built-in FIFO router", &mut wfm::sim::FifoRouter::default());
    }
    #[cfg(feature = "routing-engine")]
    if only != "fifo" {
        simulate_with(
            "routing engine",
            &mut wfm::sim_routing::EngineRouter::new(1_800_000_000_000),
        );
    }
}

fn simulate_with<R: wfm::sim::Router>(name: &str, router: &mut R) {
    use wfm::sim::{HandleTime, SimConfig, simulate};
    // A week of 15-minute intervals, 10,000 contacts each (13.4 million in all), staffed
    // by Erlang C for 80/20, lognormal handle times, 120 s mean patience.
    // SIM_DAYS shortens the run (for profiling); default a week.
    let days: usize = std::env::var("SIM_DAYS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(7);
    let n = 96 * days.clamp(1, 7);
    let contacts = 10_000.0;
    let s = required_agents(&StaffingInput::voice(
        contacts,
        900.0,
        180.0,
        Target::ServiceLevel {
            fraction: 0.8,
            answer_s: 20.0,
        },
    ))
    .unwrap();
    let cfg = SimConfig {
        interval_min: 15,
        contacts: vec![contacts; n],
        aht_s: vec![180.0; n],
        agents: vec![s.agents_raw; n],
        handle: HandleTime::LogNormal { cv: 0.8 },
        patience_s: Some(120.0),
        answer_s: 20.0,
        seed: 1,
    };
    let t = Instant::now();
    let r = simulate(&cfg, router).unwrap();
    let el = t.elapsed().as_secs_f64();
    println!(
        "simulate: {} contacts in {:.2} s = {:.2} M contacts/s ({name}); {} agents, SL {:.3}, ASA {:.1} s, abandoned {:.3}, occupancy {:.3}",
        r.total.offered,
        el,
        r.total.offered as f64 / el / 1e6,
        s.agents_raw,
        r.total.service_level(),
        r.total.asa_s(),
        r.total.abandon_rate(),
        r.total.occupancy()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let what = args.get(1).map(String::as_str).unwrap_or("all");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3000);
    if what == "history" {
        // A sample history CSV (16 weeks of 15-minute records, two queues) on stdout.
        let start = wfm::time::days_from_civil(2026, 8, 10);
        let mut recs =
            wfm::synth::history("support", start, 7 * 16, 15, 2000.0, 0.01, &[start + 30], 1);
        recs.extend(wfm::synth::history(
            "sales",
            start,
            7 * 16,
            15,
            600.0,
            0.0,
            &[start + 30],
            2,
        ));
        println!("timestamp,queue,offered,aht_s");
        for r in recs {
            println!(
                "{},{},{},{:.1}",
                wfm::time::DateTime(r.timestamp),
                r.queue,
                r.offered,
                r.aht_s.unwrap_or(0.0)
            );
        }
        return;
    }
    if what == "staff" || what == "all" {
        staff();
    }
    if what == "schedule" || what == "all" {
        schedule(n);
    }
    if what == "simulate" || what == "all" {
        simulate();
    }
}
