//! The simulator's [`Router`] over the real `routing` engine: every arrival, answer,
//! abandonment and completion is a [`routing::Command`], and the engine's
//! `ContactOffered` decisions say who answers. Offers are accepted at once.
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
    spare: Vec<Event>,
    offers: Vec<(ContactId, AgentId)>,
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
            spare: Vec::new(),
            offers: Vec::new(),
            known: Vec::new(),
            holding: Vec::new(),
            answered: Vec::new(),
            base: base_ms,
        }
    }

    fn now(&self, t: f64) -> Timestamp {
        Timestamp(self.base + (t * 1000.0) as u64)
    }

    /// Runs a command and accepts every offer it makes, reporting the answers.
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
        // Accept every offer; an accept can route again, so its events are scanned
        // too. Only the offers are kept (as a work list), never the events.
        let mut offers = std::mem::take(&mut self.offers);
        offers.clear();
        collect_offers(&self.events, &mut offers);
        let mut i = 0;
        while i < offers.len() {
            let (contact, agent) = offers[i];
            i += 1;
            self.spare.clear();
            if self
                .engine
                .handle_into(now, Command::Accept { contact, agent }, &mut self.spare)
                .is_err()
            {
                continue;
            }
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
            collect_offers(&self.spare, &mut offers);
        }
        self.offers = offers;
        true
    }
}

fn collect_offers(events: &[Event], offers: &mut Vec<(ContactId, AgentId)>) {
    for e in events {
        if let EventKind::ContactOffered { contact, agent, .. } = e.kind {
            offers.push((contact, agent));
        }
    }
}

impl Router for EngineRouter {
    fn agent_on(&mut self, t: f64, agent: usize, out: &mut Vec<(u64, usize)>) {
        if self.known.len() <= agent {
            self.known.resize(agent + 1, false);
        }
        if !self.known[agent] {
            self.known[agent] = true;
            let config = AgentConfig::with_skills([("support", 1)]);
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
    use crate::erlang::erlang_c_metrics;
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
}
