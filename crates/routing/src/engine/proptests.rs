//! Property tests over random command sequences: capacity, single assignment, work
//! conservation (all via `check_consistency`), refused commands change nothing,
//! rebuild-from-events equals the live engine, determinism, and declines that cool
//! off (no contact waits for good while a qualified agent is free).
use crate::*;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Queue(u8, u8),
    Agent(u8, u8, u8),
    Presence(u8, u8),
    Enqueue(u8, u8, u8, u8, bool),
    Accept(u8),
    Reject(u8),
    Complete(u8),
    WrapUp(u8),
    Transfer(u8, u8, bool),
    Requeue(u8),
    Abandon(u8),
    Priority(u8, u8),
    Advance(u16),
    RemoveAgent(u8),
}

const TARGETS: [&str; 6] = [
    "skill.a >= 3",
    "skill.a",
    "skill.a >= 2 AND skill.b >= 2",
    "skill.b OR skill.c >= 4",
    "contact.language == \"es\" AND skill.c >= 1 OR contact.language != \"es\" AND skill.a",
    "true",
];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (0..3u8, any::<u8>()).prop_map(|(q, t)| Op::Queue(q, t)),
        2 => (0..6u8, any::<u8>(), any::<u8>()).prop_map(|(a, s, l)| Op::Agent(a, s, l)),
        3 => (0..6u8, 0..4u8).prop_map(|(a, p)| Op::Presence(a, p)),
        6 => (0..3u8, 0..5u8, 0..3u8, any::<u8>(), any::<bool>())
            .prop_map(|(q, ch, p, x, es)| Op::Enqueue(q, ch, p, x, es)),
        5 => any::<u8>().prop_map(Op::Accept),
        2 => any::<u8>().prop_map(Op::Reject),
        4 => any::<u8>().prop_map(Op::Complete),
        2 => any::<u8>().prop_map(Op::WrapUp),
        1 => (any::<u8>(), any::<u8>(), any::<bool>()).prop_map(|(c, t, q)| Op::Transfer(c, t, q)),
        1 => any::<u8>().prop_map(Op::Requeue),
        1 => any::<u8>().prop_map(Op::Abandon),
        1 => (any::<u8>(), 0..4u8).prop_map(|(c, p)| Op::Priority(c, p)),
        3 => (0..40_000u16).prop_map(Op::Advance),
        1 => (0..6u8).prop_map(Op::RemoveAgent),
    ]
}

/// Random operations after a staffed start (three queues, six available agents with
/// some of every skill), with more rejections: sequences that decline often.
fn declining_ops() -> impl Strategy<Value = Vec<Op>> {
    let more_rejects = prop_oneof![3 => op(), 1 => any::<u8>().prop_map(Op::Reject)];
    (any::<[u8; 6]>(), prop::collection::vec(more_rejects, 1..80)).prop_map(|(levels, ops)| {
        let mut all: Vec<Op> = (0..3).map(|q| Op::Queue(q, levels[q as usize])).collect();
        for a in 0..6 {
            all.push(Op::Agent(a, 0b111, levels[a as usize]));
            all.push(Op::Presence(a, 0));
        }
        all.extend(ops);
        all
    })
}

fn queue_config(q: u8, t: u8) -> QueueConfig {
    let n = 1 + (t % 3) as usize;
    let steps = (0..n)
        .map(|i| {
            let target = TARGETS[(t as usize / 3 + i * 2) % TARGETS.len()];
            RoutingStep::new(
                target,
                (i + 1 < n).then_some(Millis(5_000 + 1_000 * i as u64)),
            )
        })
        .collect();
    let mut c = QueueConfig::new(steps);
    c.selection = [
        Selection::LongestIdle,
        Selection::MostSkilled,
        Selection::LeastOccupied,
    ][(t % 3) as usize];
    c.priority = t % 4;
    c.offer_timeout = Millis(8_000);
    c.after_contact_work = t.is_multiple_of(2).then_some(Millis(4_000));
    c.priority_aging = Millis(1 + u64::from(t) * 100);
    c.decline_cooloff = Millis(2_000 + 7_000 * u64::from(t % 4));
    if q == 1 {
        c.max_wait = Some(Millis(30_000));
        c.overflow = t.is_multiple_of(2).then_some(QueueId(0));
    }
    c
}

/// The longest decline cool-off `queue_config` sets.
const MAX_COOLOFF: u64 = 23_000;

/// Capacity is fixed per agent id (never lowered), so "over capacity" is a bug.
fn capacity(a: u8) -> Capacity {
    match a % 3 {
        0 => Capacity::voice_only(),
        1 => Capacity::default(),
        _ => Capacity::none()
            .with(Channel::Chat, 2)
            .with(Channel::Email, 1),
    }
}

/// Runs `ops` from scratch; returns the engine, the log and the time.
fn run(ops: &[Op]) -> Result<(Engine, Vec<Event>, u64), TestCaseError> {
    let mut e = Engine::default();
    let mut log = Vec::new();
    let mut now = 1_000_000u64;
    // Queue 0 always exists so overflow targets resolve.
    log.extend(
        e.handle(
            Timestamp(now),
            Command::ConfigureQueue {
                queue: QueueId(0),
                config: queue_config(0, 0),
            },
        )
        .map_err(|e| TestCaseError::fail(e.to_string()))?,
    );
    let mut next_contact = 0u64;
    for op in ops {
        let ids = e.contact_ids();
        let pick = |i: u8| ids.get(i as usize % ids.len().max(1)).copied();
        let offered_to = |c: ContactId| match e.contact(c).map(|s| s.status) {
            Some(ContactStatus::Offered { agent, .. }) => agent,
            _ => AgentId(0),
        };
        let cmd = match *op {
            Op::Queue(q, t) => Command::ConfigureQueue {
                queue: QueueId(u64::from(q)),
                config: queue_config(q, t),
            },
            Op::Agent(a, s, l) => {
                let names = ["a", "b", "c"];
                let skills = (0..3)
                    .filter(|i| s & (1 << i) != 0)
                    .map(|i| (names[i], 1 + (l >> (2 * i)) % 5));
                let mut config = AgentConfig::with_skills(skills);
                config.capacity = capacity(a);
                // Some agents auto-answer (offer and acceptance in one pass).
                config.auto_accept = a % 4 == 1;
                Command::ConfigureAgent {
                    agent: AgentId(u64::from(a)),
                    config,
                }
            }
            Op::Presence(a, p) => Command::SetPresence {
                agent: AgentId(u64::from(a)),
                presence: match p {
                    0 | 1 => Presence::Available,
                    2 => Presence::Break {
                        aux: "lunch".into(),
                    },
                    _ => Presence::Offline,
                },
            },
            Op::Enqueue(q, ch, p, x, es) => {
                next_contact += 1;
                let mut nc = NewContact::new(
                    ContactId(next_contact),
                    QueueId(u64::from(q)),
                    Channel::ALL[ch as usize],
                );
                nc.priority = p;
                if es {
                    nc.attributes.insert("language".into(), "es".into());
                }
                if x % 4 == 0 {
                    nc.preferred_agent = Some(PreferredAgent {
                        agent: AgentId(u64::from(x % 6)),
                        wait: Some(Millis(3_000)),
                    });
                }
                Command::Enqueue(nc)
            }
            Op::Accept(i) | Op::Reject(i) => {
                let Some(c) = pick(i) else { continue };
                let agent = offered_to(c);
                if matches!(op, Op::Accept(_)) {
                    Command::Accept { contact: c, agent }
                } else {
                    Command::Reject { contact: c, agent }
                }
            }
            Op::Complete(i) => match pick(i) {
                Some(contact) => Command::Complete { contact },
                None => continue,
            },
            Op::WrapUp(i) => match pick(i) {
                Some(contact) => Command::WrapUp {
                    contact,
                    code: Some("x".into()),
                },
                None => continue,
            },
            Op::Transfer(i, t, to_queue) => match pick(i) {
                Some(contact) => Command::Transfer {
                    contact,
                    to: if to_queue {
                        TransferTarget::Queue(QueueId(u64::from(t % 3)))
                    } else {
                        TransferTarget::Agent(AgentId(u64::from(t % 6)))
                    },
                },
                None => continue,
            },
            Op::Requeue(i) => match pick(i) {
                Some(contact) => Command::Requeue { contact },
                None => continue,
            },
            Op::Abandon(i) => match pick(i) {
                Some(contact) => Command::Abandon { contact },
                None => continue,
            },
            Op::Priority(i, p) => match pick(i) {
                Some(contact) => Command::SetPriority {
                    contact,
                    priority: p * 60,
                },
                None => continue,
            },
            Op::Advance(ms) => {
                now += u64::from(ms);
                Command::Tick
            }
            Op::RemoveAgent(a) => Command::RemoveAgent {
                agent: AgentId(u64::from(a)),
            },
        };
        let before = e.clone();
        match e.handle(Timestamp(now), cmd.clone()) {
            Ok(events) => log.extend(events),
            Err(_) => prop_assert!(before == e, "refused {cmd:?} changed the state"),
        }
        if let Err(msg) = e.check_consistency() {
            return Err(TestCaseError::fail(format!("after {cmd:?}:\n{msg}")));
        }
    }
    Ok((e, log, now))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_and_rebuild_equals_live(ops in prop::collection::vec(op(), 1..80)) {
        let (live, log, now) = run(&ops)?;
        let rebuilt = Engine::rebuild(Settings::default(), &log)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(rebuilt == live, "rebuilt engine differs from the live one");
        prop_assert_eq!(rebuilt.snapshot(Timestamp(now)), live.snapshot(Timestamp(now)));
        // Through JSON too, as the server stores them.
        let json = serde_json::to_string(&log).unwrap();
        let back: Vec<Event> = serde_json::from_str(&json).unwrap();
        prop_assert!(Engine::rebuild(Settings::default(), &back).unwrap() == live);
        // A rebuilt engine keeps deciding exactly like the live one.
        let (mut a, mut b) = (live.clone(), rebuilt);
        let t = Timestamp(now + 3_600_000);
        prop_assert_eq!(a.handle(t, Command::Tick), b.handle(t, Command::Tick));
        prop_assert!(a == b);
        // And nothing was left unrouted.
        prop_assert_eq!(a.handle(t, Command::Reroute).unwrap(), vec![]);
    }

    #[test]
    fn past_every_cooloff_no_contact_waits_for_a_free_qualified_agent(ops in declining_ops()) {
        let (mut e, mut log, now) = run(&ops)?;
        // Every decline so far was made by `now`. Accept the pending offers, so that
        // none times out (a new decline) when time moves on.
        let t = Timestamp(now);
        loop {
            let offered: Vec<(ContactId, AgentId)> = e
                .snapshot(t)
                .contacts
                .into_iter()
                .filter_map(|c| match c.status {
                    ContactStatus::Offered { agent, .. } => Some((c.contact, agent)),
                    _ => None,
                })
                .collect();
            if offered.is_empty() {
                break;
            }
            for (contact, agent) in offered {
                let events = e.handle(t, Command::Accept { contact, agent });
                log.extend(events.map_err(|e| TestCaseError::fail(e.to_string()))?);
            }
        }
        let t = Timestamp(now + MAX_COOLOFF);
        log.extend(e.handle(t, Command::Tick).map_err(|e| TestCaseError::fail(e.to_string()))?);
        e.check_consistency().map_err(TestCaseError::fail)?;
        let snap = e.snapshot(t);
        for c in &snap.contacts {
            if matches!(c.status, ContactStatus::Waiting { .. }) {
                prop_assert_eq!(&c.declined_by, &Vec::<AgentId>::new(), "{:?}", c.contact);
            }
        }
        // Declines included: nobody free qualifies for a waiting contact.
        prop_assert_eq!(e.idle_qualified(false).map_err(TestCaseError::fail)?, vec![]);
        let rebuilt = Engine::rebuild(Settings::default(), &log)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(rebuilt == e, "rebuilt engine differs from the live one");
    }

    #[test]
    fn same_inputs_same_decisions(ops in prop::collection::vec(op(), 1..60)) {
        let (e1, log1, _) = run(&ops)?;
        let (e2, log2, _) = run(&ops)?;
        prop_assert_eq!(log1, log2);
        prop_assert!(e1 == e2);
    }
}
