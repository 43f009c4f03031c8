//! The simulator's [`Router`] over the real `routing` engine: every arrival, answer,
//! abandonment and completion is a [`routing::Command`], and the engine's
//! `OfferAccepted` events say who answers: agents auto-accept, as on a voice line.
//!
//! Built with the `routing-engine` feature (on by default).

use routing::{
    AgentConfig, AgentId, Channel, Command, ContactId, Engine, Event, EventKind, NewContact,
    Presence, QueueConfig, QueueId, Timestamp,
};

use crate::sim::Router;

/// One queue, every agent qualified (`skill.support >= 1`), voice.
pub struct EngineRouter {
    engine: Engine,
    events: Vec<Event>,
    known: Vec<bool>,
    holding: Vec<Option<u64>>,
    answered: Vec<bool>,
    base: u64,
}

const QUEUE: QueueId = QueueId(1);

impl EngineRouter {
    /// A fresh engine with one queue; simulated second 0 is `base_ms` on its clock.
    pub fn new(base_ms: u64) -> Self {
        let mut engine = Engine::default();
        engine
            .handle(
                Timestamp(base_ms),
                Command::ConfigureQueue {
                    queue: QUEUE,
                    config: QueueConfig::single("skill.support >= 1"),
                },
            )
            .expect("a valid queue");
        EngineRouter {
            engine,
            events: Vec::new(),
            known: Vec::new(),
            holding: Vec::new(),
            answered: Vec::new(),
            base: base_ms,
        }
    }

    fn now(&self, t: f64) -> Timestamp {
        Timestamp(self.base + (t * 1000.0) as u64)
    }

    /// Runs a command and reports the answers it led to (agents auto-accept, so an
    /// answer is an `OfferAccepted` in the command's own events).
    fn run(&mut self, t: f64, command: Command, out: &mut Vec<(u64, usize)>) -> bool {
        let now = self.now(t);
        self.events.clear();
        if self
            .engine
            .handle_into(now, command, &mut self.events)
            .is_err()
        {
            return false;
        }
        for e in &self.events {
            if let EventKind::OfferAccepted { contact, agent } = e.kind {
                let a = agent.0 as usize;
                if self.holding.len() <= a {
                    self.holding.resize(a + 1, None);
                }
                self.holding[a] = Some(contact.0);
                let c = contact.0 as usize;
                if self.answered.len() <= c {
                    self.answered.resize(c + 1, false);
                }
                self.answered[c] = true;
                out.push((contact.0, a));
            }
        }
        true
    }
}

impl Router for EngineRouter {
    fn agent_on(&mut self, t: f64, agent: usize, out: &mut Vec<(u64, usize)>) {
        if self.known.len() <= agent {
            self.known.resize(agent + 1, false);
        }
        if !self.known[agent] {
            self.known[agent] = true;
            let config = AgentConfig {
                auto_accept: true,
                ..AgentConfig::with_skills([("support", 1)])
            };
            self.run(
                t,
                Command::ConfigureAgent {
                    agent: AgentId(agent as u64),
                    config,
                },
                out,
            );
        }
        self.run(
            t,
            Command::SetPresence {
                agent: AgentId(agent as u64),
                presence: Presence::Available,
            },
            out,
        );
    }

    fn agent_off(&mut self, t: f64, agent: usize) {
        let mut out = Vec::new();
        self.run(
            t,
            Command::SetPresence {
                agent: AgentId(agent as u64),
                presence: Presence::Offline,
            },
            &mut out,
        );
    }

    fn arrive(&mut self, t: f64, contact: u64, out: &mut Vec<(u64, usize)>) {
        self.run(
            t,
            Command::Enqueue(NewContact::new(ContactId(contact), QUEUE, Channel::Voice)),
            out,
        );
    }

    fn abandon(&mut self, t: f64, contact: u64) -> bool {
        let now = self.now(t);
        // Only a waiting contact can abandon; an answered one is with an agent.
        if self
            .answered
            .get(contact as usize)
            .copied()
            .unwrap_or(false)
        {
            return false;
        }
        self.events.clear();
        self.engine
            .handle_into(
                now,
                Command::Abandon {
                    contact: ContactId(contact),
                },
                &mut self.events,
            )
            .is_ok()
            && self
                .events
                .iter()
                .any(|e| matches!(e.kind, EventKind::ContactAbandoned { .. }))
    }

    fn finish(&mut self, t: f64, agent: usize, stays_on: bool, out: &mut Vec<(u64, usize)>) {
        let Some(contact) = self.holding.get_mut(agent).and_then(Option::take) else {
            return;
        };
        if !stays_on {
            self.run(
                t,
                Command::SetPresence {
                    agent: AgentId(agent as u64),
                    presence: Presence::Offline,
                },
                out,
            );
        }
        self.run(
            t,
            Command::Complete {
                contact: ContactId(contact),
            },
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erlang::{erlang_a_metrics, erlang_c_metrics};
    use crate::sim::{HandleTime, IntervalResult, SimConfig, simulate};

    #[test]
    fn the_real_router_matches_erlang_c() {
        let c = erlang_c_metrics(14, 10.0, 180.0, 20.0);
        let mut sl = 0.0;
        let runs = 10;
        for seed in 0..runs {
            let cfg = SimConfig {
                interval_min: 30,
                contacts: vec![100.0; 12],
                aht_s: vec![180.0; 12],
                agents: vec![14; 12],
                handle: HandleTime::Exponential,
                patience_s: None,
                answer_s: 20.0,
                seed,
            };
            let r = simulate(&cfg, &mut EngineRouter::new(1_800_000_000_000)).unwrap();
            let mut t = IntervalResult::default();
            for i in &r.intervals[2..] {
                t.offered += i.offered;
                t.answered_in_time += i.answered_in_time;
            }
            sl += t.service_level();
        }
        let sl = sl / f64::from(runs as u32);
        assert!(
            (sl - c.service_level).abs() < 0.015,
            "{sl} vs {}",
            c.service_level
        );
    }

    #[test]
    fn the_real_router_matches_erlang_a() {
        // 10 Erlangs on 10 agents, mean patience 60 s: heavy abandonment.
        let a = erlang_a_metrics(10, 100.0 / 1800.0, 180.0, 60.0, 20.0);
        let (mut sl, mut ab) = (0.0, 0.0);
        let runs = 20;
        for seed in 0..runs {
            let cfg = SimConfig {
                interval_min: 30,
                contacts: vec![100.0; 12],
                aht_s: vec![180.0; 12],
                agents: vec![10; 12],
                handle: HandleTime::Exponential,
                patience_s: Some(60.0),
                answer_s: 20.0,
                seed,
            };
            let r = simulate(&cfg, &mut EngineRouter::new(1_800_000_000_000)).unwrap();
            let mut t = IntervalResult::default();
            for i in &r.intervals[2..] {
                t.offered += i.offered;
                t.answered_in_time += i.answered_in_time;
                t.abandoned += i.abandoned;
            }
            sl += t.service_level();
            ab += t.abandon_rate();
        }
        let k = f64::from(runs as u32);
        assert!(
            (sl / k - a.service_level).abs() < 0.015,
            "{} vs {}",
            sl / k,
            a.service_level
        );
        assert!(
            (ab / k - a.abandon_rate).abs() < 0.01,
            "{} vs {}",
            ab / k,
            a.abandon_rate
        );
    }
}
