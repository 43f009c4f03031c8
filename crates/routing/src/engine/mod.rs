//! The [`Engine`]: state, commands, queries.
mod check;
mod decide;
#[cfg(test)]
mod proptests;
mod slab;
mod sorted;
mod state;
#[cfg(test)]
pub(crate) mod tests;

use crate::command::{Command, CommandError};
use crate::event::Event;
use crate::ids::{AgentId, ContactId, Millis, QueueId, Timestamp};
use crate::model::{Channel, Presence, Settings};
use crate::query::{
    AgentSnapshot, AgentState, ContactSnapshot, ContactStatus, QueueSnapshot, QueueStats, Snapshot,
};
use decide::Candidate;
pub use state::ApplyError;
use state::{CState, Dirty, Phase, State};
use std::borrow::Borrow;
use std::collections::BinaryHeap;

/// The routing engine. See the crate docs for the model.
#[derive(Clone, Debug)]
pub struct Engine {
    settings: Settings,
    state: State,
    dirty: Dirty,
    heap: BinaryHeap<Candidate>,
}

/// Equal when the states are equal, indexes included. Settings are not compared:
/// they shape future decisions, not the state.
impl PartialEq for Engine {
    fn eq(&self, other: &Self) -> bool {
        self.state == other.state
    }
}

/// A rebuild stopped at an event that does not fit the state built so far.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("event #{index}: {error}")]
pub struct RebuildError {
    /// 0-based position of the event in the input.
    pub index: usize,
    /// What did not fit.
    pub error: ApplyError,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(Settings::default())
    }
}

impl Engine {
    /// An empty engine: no queues, no agents, no contacts.
    pub fn new(settings: Settings) -> Engine {
        Engine {
            settings,
            state: State::default(),
            dirty: Dirty::default(),
            heap: BinaryHeap::new(),
        }
    }

    /// The engine a log of events describes. Applying the events a live engine emitted,
    /// in order, gives an engine equal (`==`) to it. Makes no decision and emits
    /// nothing: a rebuilt engine is passive until the next command.
    pub fn rebuild<E: Borrow<Event>>(
        settings: Settings,
        events: impl IntoIterator<Item = E>,
    ) -> Result<Engine, RebuildError> {
        let mut engine = Engine::new(settings);
        for (index, ev) in events.into_iter().enumerate() {
            engine
                .apply(ev.borrow())
                .map_err(|error| RebuildError { index, error })?;
        }
        Ok(engine)
    }

    /// Applies one event from the log (a follower keeping a replica current). Changes
    /// nothing and returns an error when the event does not fit.
    pub fn apply(&mut self, event: &Event) -> Result<(), ApplyError> {
        self.dirty.enabled = false;
        self.state.apply(event, &mut self.dirty)
    }

    /// Decision settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Replaces the decision settings (they affect future decisions only).
    pub fn set_settings(&mut self, settings: Settings) {
        self.settings = settings;
    }

    /// Handles one command at `now` and returns its events, decisions included, in the
    /// order they were applied. A refused command returns an error and changes nothing.
    ///
    /// `now` earlier than the last event's time is treated as that time, so event
    /// times never go backwards.
    pub fn handle(&mut self, now: Timestamp, command: Command) -> Result<Vec<Event>, CommandError> {
        let mut out = Vec::new();
        self.handle_into(now, command, &mut out)?;
        Ok(out)
    }

    /// [`Engine::handle`] appending to a caller's buffer (no allocation per call once
    /// the buffer has grown). On error nothing is appended.
    pub fn handle_into(
        &mut self,
        now: Timestamp,
        command: Command,
        out: &mut Vec<Event>,
    ) -> Result<(), CommandError> {
        let now = now.max(self.state.last_at);
        self.dirty.enabled = true;
        self.dirty.contacts.clear();
        self.dirty.agents.clear();
        let result = self.command(now, command, out);
        if result.is_ok() {
            self.route(now, out);
        }
        self.dirty.enabled = false;
        result
    }

    /// The earliest pending deadline (offer timeout, step timeout, maximum wait, end of
    /// after-contact work, end of a waiting contact's decline cool-off). Call
    /// `handle(t, Command::Tick)` at or after it.
    pub fn next_timeout(&self) -> Option<Timestamp> {
        self.state.timers.first().map(|t| t.0)
    }

    /// Time of the last event applied.
    pub fn last_event_at(&self) -> Timestamp {
        self.state.last_at
    }

    // ----- queries ------------------------------------------------------------------------

    /// Number of agents, queues and live contacts.
    pub fn counts(&self) -> (usize, usize, usize) {
        (
            self.state.agents.len(),
            self.state.queues.len(),
            self.state.contacts.len(),
        )
    }

    /// One agent.
    pub fn agent(&self, id: AgentId) -> Option<AgentSnapshot> {
        let a = self.state.agent_idx(id)?;
        let ag = &self.state.agents[a];
        let held = ag.held.iter().map(|&c| &self.state.contacts[c]);
        let mut on_contact = false;
        let mut wrap_up = false;
        for c in held.clone() {
            match c.state {
                CState::WrapUp { .. } => wrap_up = true,
                _ => on_contact = true,
            }
        }
        let state = if on_contact {
            AgentState::OnContact
        } else if wrap_up {
            AgentState::AfterContactWork
        } else {
            match &ag.presence {
                Presence::Available => AgentState::Available,
                Presence::Break { aux } => AgentState::Break { aux: aux.clone() },
                Presence::Offline => AgentState::Offline,
                Presence::Missed => AgentState::Missed,
            }
        };
        let free = ag.free_mask();
        Some(AgentSnapshot {
            agent: id,
            state,
            presence: ag.presence.clone(),
            presence_since: ag.presence_since,
            ready_since: ag.ready_since,
            config: ag.config.clone(),
            load: Channel::ALL
                .into_iter()
                .filter(|c| ag.load[c.index()] > 0)
                .map(|c| (c, ag.load[c.index()]))
                .collect(),
            free_channels: Channel::ALL
                .into_iter()
                .filter(|c| free & c.bit() != 0)
                .collect(),
            contacts: held.map(|c| c.id).collect(),
            consecutive_timeouts: ag.timeouts,
            consecutive_unanswered: ag.unanswered,
        })
    }

    /// One live contact.
    pub fn contact(&self, id: ContactId) -> Option<ContactSnapshot> {
        let c = self.state.contact_idx(id)?;
        let ct = &self.state.contacts[c];
        let agent_id = |a: u32| self.state.agents[a].id;
        let status = match ct.state {
            CState::Waiting(_) | CState::Limbo => {
                let (step, for_agent) = match ct.phase {
                    Phase::Preferred(a) => (None, Some(agent_id(a))),
                    Phase::Step(k) => (Some(k), None),
                };
                ContactStatus::Waiting {
                    step,
                    for_agent,
                    position: self.position(id).unwrap_or(0),
                }
            }
            CState::Offered { agent, expires_at } => ContactStatus::Offered {
                agent: agent_id(agent),
                expires_at,
            },
            CState::Active { agent, since } => ContactStatus::Active {
                agent: agent_id(agent),
                since,
            },
            CState::WrapUp { agent, until } => ContactStatus::WrapUp {
                agent: agent_id(agent),
                until,
            },
        };
        Some(ContactSnapshot {
            contact: id,
            queue: self.state.queues[ct.queue].id,
            channel: ct.channel,
            priority: ct.priority,
            attributes: ct.attributes.clone(),
            preferred_agent: ct.preferred,
            enqueued_at: ct.enqueued_at,
            queue_entered_at: ct.queue_entered_at,
            declined_by: ct.declined_by.iter().map(|d| d.agent).collect(),
            status,
        })
    }

    /// 1-based position of a waiting contact among its queue's waiting contacts, in the
    /// order they would be served (priority with aging, then arrival): its index in the
    /// queue's line, counted from the line's nearer end, so O(1) for a contact that has
    /// just arrived or is next.
    pub fn position(&self, id: ContactId) -> Option<u32> {
        let c = self.state.contact_idx(id)?;
        let ct = &self.state.contacts[c];
        let CState::Waiting(w) = ct.state else {
            return None;
        };
        let ahead = self.state.queues[ct.queue]
            .line
            .index_of(&(w.rank, ct.seq, c))?;
        Some(ahead as u32 + 1)
    }

    /// A queue's waiting contacts (not offered) in the order they would be served, each
    /// with its 1-based position: [`Engine::position`] of them all, O(w) for w waiting.
    pub fn waiting_in_order(&self, id: QueueId) -> Vec<(ContactId, u32)> {
        let Some(q) = self.state.queue_idx(id) else {
            return Vec::new();
        };
        self.state.queues[q]
            .line
            .iter()
            .enumerate()
            .map(|(i, &(_, _, c))| (self.state.contacts[c].id, i as u32 + 1))
            .collect()
    }

    /// Live figures for one queue at `now`.
    pub fn queue_stats(&self, id: QueueId, now: Timestamp) -> Option<QueueStats> {
        let q = self.state.queue_idx(id)?;
        let queue = &self.state.queues[q];
        let waiting = queue.waiting.len() as u32;
        let oldest = queue.waiting.first().map(|w| w.0);
        let mut groups: Vec<u32> = queue
            .steps
            .iter()
            .flat_map(|s| s.groups.iter().map(|g| g.1))
            .collect();
        groups.sort_unstable();
        groups.dedup();
        let agents_available = match groups.as_slice() {
            [] => 0,
            [g] => self.state.groups[*g].free_agents,
            many => {
                let mut agents: Vec<u32> = many
                    .iter()
                    .flat_map(|&g| self.state.group_members(g))
                    .filter(|&a| self.state.agents[a].indexed.free != 0)
                    .collect();
                agents.sort_unstable();
                agents.dedup();
                agents.len() as u32
            }
        };
        let c = &queue.counters;
        Some(QueueStats {
            queue: id,
            open: queue.open,
            waiting,
            offered: queue.offered,
            handling: queue.contacts - waiting - queue.offered,
            oldest_entered_at: oldest,
            longest_wait: oldest.map(|t| now.since(t)).unwrap_or(Millis(0)),
            agents_available,
            answered: c.answered,
            answered_within_threshold: c.answered_in_sl,
            abandoned: c.abandoned,
            expired: c.expired,
            overflowed: c.overflowed,
            service_level_percent: (c.answered > 0)
                .then(|| 100.0 * c.answered_in_sl as f64 / c.answered as f64),
            service_level_target_percent: queue.config.service_level.percent,
        })
    }

    /// A queue's configuration as last set.
    pub fn queue_config(&self, id: QueueId) -> Option<&crate::model::QueueConfig> {
        let q = self.state.queue_idx(id)?;
        Some(&self.state.queues[q].config)
    }

    /// Ids of all queues, sorted.
    pub fn queue_ids(&self) -> Vec<QueueId> {
        let mut ids: Vec<QueueId> = self.state.queues.iter().map(|(_, q)| q.id).collect();
        ids.sort_unstable();
        ids
    }

    /// Ids of all agents, sorted.
    pub fn agent_ids(&self) -> Vec<AgentId> {
        let mut ids: Vec<AgentId> = self.state.agents.iter().map(|(_, a)| a.id).collect();
        ids.sort_unstable();
        ids
    }

    /// Ids of all live contacts, sorted.
    pub fn contact_ids(&self) -> Vec<ContactId> {
        let mut ids: Vec<ContactId> = self.state.contacts.iter().map(|(_, c)| c.id).collect();
        ids.sort_unstable();
        ids
    }

    /// Everything, sorted by id (O(n log n); for supervisors' full views and tests).
    pub fn snapshot(&self, now: Timestamp) -> Snapshot {
        Snapshot {
            agents: self
                .agent_ids()
                .into_iter()
                .filter_map(|a| self.agent(a))
                .collect(),
            queues: self
                .queue_ids()
                .into_iter()
                .filter_map(|q| {
                    let i = self.state.queue_idx(q)?;
                    Some(QueueSnapshot {
                        config: self.state.queues[i].config.clone(),
                        stats: self.queue_stats(q, now)?,
                    })
                })
                .collect(),
            contacts: self
                .contact_ids()
                .into_iter()
                .filter_map(|c| self.contact(c))
                .collect(),
        }
    }
}
