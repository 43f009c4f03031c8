//! A seeded, synthetic contact-center workload for benchmarks and demos.
//!
//! Realistic mix: queue demand and agents' primary skills follow the same skewed
//! (Zipf) distribution, 20% of agents hold one or two extra skills, a tenth of the
//! queues need Spanish for Spanish-speaking contacts, voice agents take one call,
//! digital agents up to 3 chats, 3 messaging threads and 2 emails. Arrivals,
//! accepts, a few rejections, completions and ticks are interleaved in virtual time
//! at about 97% of the agents' capacity, so queues build and drain.
//!
//! The driver only produces commands; the caller runs them (and times them: this
//! crate never reads a clock).
use crate::{
    AgentConfig, AgentId, Capacity, Channel, Command, ContactId, Event, EventKind, Millis,
    NewContact, Presence, QueueConfig, QueueId, RoutingStep, Timestamp,
};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Workload size and seed.
#[derive(Clone, Debug)]
pub struct WorkloadConfig {
    /// Agents, all available from the start.
    pub agents: u32,
    /// Queues.
    pub queues: u32,
    /// Contacts that arrive over the run.
    pub contacts: u64,
    /// PRNG seed.
    pub seed: u64,
}

/// SplitMix64: small, fast, good enough for workloads.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in 0..n.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// Exponential with the given mean.
    pub fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }
}

/// A Zipf(1) sampler over 0..n by inverse CDF.
#[derive(Clone, Debug)]
struct Zipf(Vec<f64>);

impl Zipf {
    fn new(n: u32) -> Zipf {
        let mut acc = 0.0;
        let mut cdf: Vec<f64> = (0..n)
            .map(|i| {
                acc += 1.0 / f64::from(i + 1);
                acc
            })
            .collect();
        for x in &mut cdf {
            *x /= acc;
        }
        Zipf(cdf)
    }
    fn sample(&self, rng: &mut Rng) -> u32 {
        let u = rng.unit();
        self.0.partition_point(|&c| c < u).min(self.0.len() - 1) as u32
    }
}

fn queue_channel(q: u32) -> Channel {
    match q % 5 {
        0 | 1 => Channel::Voice,
        2 | 3 => Channel::Chat,
        _ if q % 10 == 4 => Channel::Messaging,
        _ => Channel::Email,
    }
}

fn mean_handle_secs(c: Channel) -> f64 {
    match c {
        Channel::Voice => 240.0,
        Channel::Chat | Channel::Messaging => 420.0,
        _ => 600.0,
    }
}

/// Epoch of the virtual clock.
pub const START: Timestamp = Timestamp(1_700_000_000_000);

/// Commands that build the center: queues, then agents (available).
pub fn setup(config: &WorkloadConfig) -> Vec<Command> {
    let mut rng = Rng::new(config.seed);
    let zipf = Zipf::new(config.queues);
    let mut out = Vec::new();
    for q in 0..config.queues {
        let target = if q % 10 == 9 {
            format!("skill.q{q} >= 2 AND (contact.language != \"es\" OR skill.spanish >= 2)")
        } else {
            format!("skill.q{q} >= 3")
        };
        let mut c = QueueConfig::new(vec![
            RoutingStep::new(target, Some(Millis::secs(20))),
            RoutingStep::new(format!("skill.q{q} >= 1"), None),
        ]);
        c.priority = (q % 3 == 0) as u8;
        c.offer_timeout = Millis::secs(15);
        c.max_wait = Some(Millis::secs(900));
        out.push(Command::ConfigureQueue {
            queue: QueueId(u64::from(q)),
            config: c,
        });
    }
    for a in 0..config.agents {
        let primary = zipf.sample(&mut rng);
        let mut cfg = AgentConfig::with_skills([]);
        cfg.skills
            .insert(format!("q{primary}"), 1 + rng.below(5) as u8);
        if rng.below(5) == 0 {
            for _ in 0..1 + rng.below(2) {
                let extra = zipf.sample(&mut rng);
                cfg.skills
                    .entry(format!("q{extra}"))
                    .or_insert(1 + rng.below(5) as u8);
            }
        }
        if rng.below(10) == 0 {
            cfg.skills.insert("spanish".into(), 2 + rng.below(4) as u8);
        }
        cfg.capacity = if queue_channel(primary) == Channel::Voice {
            Capacity::voice_only()
        } else {
            Capacity::none()
                .with(Channel::Chat, 3)
                .with(Channel::Messaging, 3)
                .with(Channel::Email, 2)
        };
        out.push(Command::ConfigureAgent {
            agent: AgentId(u64::from(a)),
            config: cfg,
        });
        out.push(Command::SetPresence {
            agent: AgentId(u64::from(a)),
            presence: Presence::Available,
        });
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    Accept(u64, u64),
    Reject(u64, u64),
    Complete(u64),
}

/// Produces the interleaved command stream, reacting to the events it is shown.
#[derive(Debug)]
pub struct Driver {
    rng: Rng,
    zipf: Zipf,
    contacts: u64,
    arrived: u64,
    next_arrival: f64,
    interarrival_ms: f64,
    now: u64,
    pending: BinaryHeap<Reverse<(u64, Action)>>,
}

impl Driver {
    /// A driver for `config`; run [`setup`] first.
    pub fn new(config: &WorkloadConfig) -> Driver {
        // Offered load ≈ 97% of capacity: slots / mean handle time, where a digital
        // agent's 8 slots are not all usable at once by one queue's channel; count the
        // slots of the agent's primary channel (1 call or 3 chats, …).
        let zipf = Zipf::new(config.queues);
        let mut rng = Rng::new(config.seed ^ 0xA5A5);
        let mut rate = 0.0; // contacts per ms
        for _ in 0..config.agents.min(10_000) {
            let ch = queue_channel(zipf.sample(&mut rng));
            let slots = match ch {
                Channel::Voice => 1.0,
                Channel::Email => 2.0,
                _ => 3.0,
            };
            rate += slots / (mean_handle_secs(ch) * 1000.0);
        }
        rate *= f64::from(config.agents) / f64::from(config.agents.clamp(1, 10_000));
        Driver {
            rng: Rng::new(config.seed ^ 0x5A5A),
            zipf,
            contacts: config.contacts,
            arrived: 0,
            next_arrival: START.0 as f64,
            interarrival_ms: 1.0 / (rate * 0.97).max(1e-9),
            now: START.0,
            pending: BinaryHeap::new(),
        }
    }

    /// Contacts that have arrived so far.
    pub fn arrived(&self) -> u64 {
        self.arrived
    }

    /// Looks at the events of the last command and schedules the agents' reactions.
    pub fn observe(&mut self, events: &[Event]) {
        for ev in events {
            match &ev.kind {
                EventKind::ContactOffered { contact, agent, .. } => {
                    let at = self.now + 500 + self.rng.below(3_000);
                    let action = if self.rng.below(50) == 0 {
                        Action::Reject(contact.0, agent.0)
                    } else {
                        Action::Accept(contact.0, agent.0)
                    };
                    self.pending.push(Reverse((at, action)));
                }
                EventKind::OfferAccepted { contact, .. } => {
                    let ch = queue_channel((contact.0 >> 40) as u32);
                    let at = self.now + self.rng.exp(mean_handle_secs(ch) * 1000.0) as u64;
                    self.pending
                        .push(Reverse((at, Action::Complete(contact.0))));
                }
                _ => {}
            }
        }
    }

    /// The next command and its time, or `None` when every contact has arrived and
    /// been handled. `next_timeout` is the engine's.
    pub fn next(&mut self, next_timeout: Option<Timestamp>) -> Option<(Timestamp, Command)> {
        let arrival = (self.arrived < self.contacts).then_some(self.next_arrival as u64);
        let action = self.pending.peek().map(|r| r.0.0);
        let soonest = [arrival, action].into_iter().flatten().min();
        if let Some(t) = next_timeout
            && soonest.is_none_or(|s| t.0 <= s)
        {
            self.now = self.now.max(t.0);
            return Some((Timestamp(self.now), Command::Tick));
        }
        let soonest = soonest?;
        self.now = self.now.max(soonest);
        if arrival == Some(soonest) {
            let q = self.zipf.sample(&mut self.rng);
            // The queue rides in the id's high bits so completions know the channel.
            let id = (u64::from(q) << 40) | self.arrived;
            self.arrived += 1;
            self.next_arrival += self.rng.exp(self.interarrival_ms);
            let mut nc = NewContact::new(ContactId(id), QueueId(u64::from(q)), queue_channel(q));
            if self.rng.below(10) == 0 {
                nc.priority = 2;
            }
            if self.rng.below(7) == 0 {
                nc.attributes.insert("language".into(), "es".into());
            }
            return Some((Timestamp(self.now), Command::Enqueue(nc)));
        }
        let Reverse((_, action)) = self.pending.pop()?;
        let cmd = match action {
            Action::Accept(c, a) => Command::Accept {
                contact: ContactId(c),
                agent: AgentId(a),
            },
            Action::Reject(c, a) => Command::Reject {
                contact: ContactId(c),
                agent: AgentId(a),
            },
            Action::Complete(c) => Command::Complete {
                contact: ContactId(c),
            },
        };
        Some((Timestamp(self.now), cmd))
    }
}

/// What a run measured.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Routing decisions (offers) made.
    pub decisions: u64,
    /// Commands handled (setup excluded).
    pub commands: u64,
    /// Total time inside `handle` for those commands, in nanoseconds.
    pub busy_ns: u64,
    /// Per decision-making `handle` call: its duration in nanoseconds, sorted.
    pub latencies_ns: Vec<u64>,
    /// Events emitted (setup included).
    pub events: u64,
    /// Contacts still live at the end.
    pub live_contacts: usize,
}

impl Report {
    /// Decisions per second of time spent in the engine.
    pub fn decisions_per_sec(&self) -> f64 {
        self.decisions as f64 / (self.busy_ns.max(1) as f64 / 1e9)
    }
    /// The q-quantile (0..=1) of decision latency, in microseconds.
    pub fn quantile_us(&self, q: f64) -> f64 {
        if self.latencies_ns.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_ns.len() - 1) as f64 * q).round() as usize;
        self.latencies_ns[i] as f64 / 1000.0
    }
}

/// Runs the whole workload on a fresh engine. `clock` returns nanoseconds from any
/// origin (the caller's monotonic clock; this crate has none). Every emitted event is
/// passed to `sink` (for a rebuild benchmark; pass `|_| {}` otherwise).
pub fn run(
    config: &WorkloadConfig,
    mut clock: impl FnMut() -> u64,
    mut sink: impl FnMut(&Event),
) -> (crate::Engine, Report) {
    let mut engine = crate::Engine::default();
    let mut report = Report::default();
    let mut events = Vec::new();
    for cmd in setup(config) {
        events.clear();
        let _ = engine.handle_into(START, cmd, &mut events);
        events.iter().for_each(&mut sink);
        report.events += events.len() as u64;
    }
    let mut driver = Driver::new(config);
    while let Some((t, cmd)) = driver.next(engine.next_timeout()) {
        events.clear();
        let t0 = clock();
        // Accepts and completions can race with timeouts; refused commands are fine.
        let _ = engine.handle_into(t, cmd, &mut events);
        let dt = clock().saturating_sub(t0);
        report.commands += 1;
        report.busy_ns += dt;
        let offers = events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::ContactOffered { .. }))
            .count() as u64;
        if offers > 0 {
            report.decisions += offers;
            report.latencies_ns.push(dt);
        }
        report.events += events.len() as u64;
        events.iter().for_each(&mut sink);
        driver.observe(&events);
    }
    report.latencies_ns.sort_unstable();
    report.live_contacts = engine.counts().2;
    (engine, report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Engine;

    #[test]
    fn a_small_workload_routes_every_contact() {
        let config = WorkloadConfig {
            agents: 60,
            queues: 8,
            contacts: 400,
            seed: 7,
        };
        let mut log = Vec::new();
        let mut n = 0;
        let (e, report) = run(
            &config,
            || {
                n += 1;
                n
            },
            |ev| log.push(ev.clone()),
        );
        assert!(report.decisions >= 300, "{report:?}");
        assert_eq!(report.live_contacts, 0, "every contact handled or expired");
        assert_eq!(report.events, log.len() as u64);
        e.check_consistency().unwrap();
        assert!(Engine::rebuild(Default::default(), &log).unwrap() == e);
    }
}
