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
    use crate::sim::checks;

    #[test]
    fn the_real_router_matches_erlang_c() {
        checks::against_erlang_c(|| EngineRouter::new(1_800_000_000_000));
    }

    #[test]
    fn the_real_router_matches_erlang_a() {
        checks::against_erlang_a(|| EngineRouter::new(1_800_000_000_000));
    }
}
