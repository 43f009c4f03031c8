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
                ..StaffingInput::voice(contacts, 900.0, 180.0 + f64::from(q), Target::ServiceLevel { fraction: 0.8, answer_s: 20.0 })
            })
            .unwrap();
            total += u64::from(s.agents);
        }
    }
    let el = t.elapsed();
    println!("staffing: 100 queues x 672 intervals in {:.1} ms ({} agent-intervals)", el.as_secs_f64() * 1e3, total);
}

fn schedule(n: usize) {
    let (agents, req) = wfm::synth::center(n, 672, 15, 42);
    let t = Instant::now();
    let passes = std::env::var("PASSES").ok().and_then(|p| p.parse().ok()).unwrap_or(ScheduleConfig::default().improve_passes);
    let priced = std::env::var("PRICED").ok().and_then(|p| p.parse().ok()).unwrap_or(ScheduleConfig::default().priced_passes);
    let cfg = ScheduleConfig { improve_passes: passes, priced_passes: priced, ..ScheduleConfig::default() };
    let s = generate(&agents, &req, &cfg).unwrap();
    let el = t.elapsed();
    let need: f64 = req.iter().sum();
    println!(
        "schedule: {n} agents x 672 intervals in {:.2} s; requirement {:.0} agent-intervals, shortfall {:.1}, lower bound {:.1}, gap {:.2}%, over {:.1}, shifts {}, fill spread {:.3}, unmet min {}",
        el.as_secs_f64(), need, s.shortfall, s.lower_bound, s.gap() * 100.0, s.overstaffing, s.shifts.len(), s.fill_spread, s.unmet_minimum.len()
    );
    wfm::schedule::check(&s, &agents, &ScheduleConfig::default()).unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let what = args.get(1).map(String::as_str).unwrap_or("all");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3000);
    if what == "staff" || what == "all" {
        staff();
    }
    if what == "schedule" || what == "all" {
        schedule(n);
    }
}
