use routing::workload::{Driver, START, WorkloadConfig, setup};
use routing::{Command, Engine, EventKind};
use std::time::Instant;
fn main() {
    let agents: u32 = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap())
        .unwrap_or(10_000);
    let contacts: u64 = std::env::args()
        .nth(2)
        .map(|s| s.parse().unwrap())
        .unwrap_or(100_000);
    let config = WorkloadConfig {
        agents,
        queues: 200,
        contacts,
        seed: 1,
    };
    let mut engine = Engine::default();
    let mut events = Vec::new();
    let mut log = Vec::new();
    let t = Instant::now();
    for cmd in setup(&config) {
        events.clear();
        let _ = engine.handle_into(START, cmd, &mut events);
        log.extend(events.iter().cloned());
    }
    println!("setup {:?}", t.elapsed());
    let mut driver = Driver::new(&config);
    let names = ["enqueue", "accept", "reject", "complete", "tick", "other"];
    let mut ns = [0u64; 6];
    let mut n = [0u64; 6];
    let mut dec = [0u64; 6];
    let origin = Instant::now();
    let mut tick_kinds = std::collections::BTreeMap::new();
    let mut busy = 0u64;
    let mut decisions = 0u64;
    while let Some((t, cmd)) = driver.next(engine.next_timeout()) {
        let k = match cmd {
            Command::Enqueue(_) => 0,
            Command::Accept { .. } => 1,
            Command::Reject { .. } => 2,
            Command::Complete { .. } => 3,
            Command::Tick => 4,
            _ => 5,
        };
        events.clear();
        let t0 = origin.elapsed().as_nanos() as u64;
        timed(&mut engine, t, cmd, &mut events);
        let dt = origin.elapsed().as_nanos() as u64 - t0;
        let d = events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::ContactOffered { .. }))
            .count() as u64;
        ns[k] += dt;
        n[k] += 1;
        dec[k] += d;
        busy += dt;
        decisions += d;
        if k == 4 {
            for e in &events {
                let n = format!("{:?}", e.kind);
                let n = n
                    .split(|c: char| !c.is_alphanumeric())
                    .next()
                    .unwrap()
                    .to_string();
                *tick_kinds.entry(n).or_insert(0u64) += 1;
            }
        }
        log.extend(events.iter().cloned());
        driver.observe(&events);
    }
    for i in 0..6 {
        if n[i] > 0 {
            println!(
                "{:9} n={:7} avg={:6.0}ns total={:5.0}ms dec={}",
                names[i],
                n[i],
                ns[i] as f64 / n[i] as f64,
                ns[i] as f64 / 1e6,
                dec[i]
            );
        }
    }
    println!("tick events {:?}", tick_kinds);
    println!(
        "decisions {} busy {:.0}ms => {:.0}/s",
        decisions,
        busy as f64 / 1e6,
        decisions as f64 / (busy as f64 / 1e9)
    );
    let t = Instant::now();
    let e2 = Engine::rebuild(Default::default(), &log).unwrap();
    println!("rebuild {} events {:?}", log.len(), t.elapsed());
    assert!(e2 == engine);
}

#[inline(never)]
fn timed(
    engine: &mut Engine,
    t: routing::Timestamp,
    cmd: Command,
    events: &mut Vec<routing::Event>,
) {
    let _ = engine.handle_into(t, cmd, events);
}
