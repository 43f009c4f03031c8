//! Commands: everything that can happen to the engine from outside.
use crate::expr::ParseError;
use crate::ids::{AgentId, ContactId, QueueId, Timestamp};
use crate::model::{AgentConfig, Channel, PreferredAgent, Presence, QueueConfig, TransferTarget};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An input to [`crate::Engine::handle`]. Always paired with the current time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Creates or replaces a queue and its routing policy. Contacts already waiting
    /// keep their place and step (clamped to the new number of steps).
    ConfigureQueue {
        /// The queue.
        queue: QueueId,
        /// Its configuration.
        config: QueueConfig,
    },
    /// Removes a queue that holds no contact and is no other queue's overflow target.
    RemoveQueue {
        /// The queue.
        queue: QueueId,
    },
    /// Opens or closes a queue (business hours are an input). A closed queue refuses new
    /// contacts; those already waiting are still served.
    SetQueueOpen {
        /// The queue.
        queue: QueueId,
        /// Open or closed.
        open: bool,
    },
    /// Creates or updates an agent (skills, capacity). A new agent starts `Offline`.
    ConfigureAgent {
        /// The agent.
        agent: AgentId,
        /// Skills and capacity.
        config: AgentConfig,
    },
    /// Removes an agent who holds no contact.
    RemoveAgent {
        /// The agent.
        agent: AgentId,
    },
    /// Sets an agent's presence. Leaving `Available` withdraws pending offers (the
    /// contacts go back to their place in the queue); held contacts stay.
    /// `Presence::Missed` is set only by the engine.
    SetPresence {
        /// The agent.
        agent: AgentId,
        /// The new presence.
        presence: Presence,
    },
    /// A new contact enters a queue.
    Enqueue(NewContact),
    /// The agent accepts an offer.
    Accept {
        /// The contact offered.
        contact: ContactId,
        /// The agent it was offered to.
        agent: AgentId,
    },
    /// The agent rejects an offer; the contact is offered to the next agent, and to
    /// this one again only after the queue's [`QueueConfig::decline_cooloff`].
    Reject {
        /// The contact offered.
        contact: ContactId,
        /// The agent it was offered to.
        agent: AgentId,
    },
    /// The conversation ended. With after-contact work configured on the queue the agent
    /// keeps the slot until [`Command::WrapUp`] or the timer.
    Complete {
        /// The contact.
        contact: ContactId,
    },
    /// The agent submits the wrap-up (with an optional wrap-up code) and frees the slot.
    WrapUp {
        /// The contact.
        contact: ContactId,
        /// The reason for the contact.
        code: Option<String>,
    },
    /// Moves a waiting or active contact to another queue or to one agent.
    Transfer {
        /// The contact.
        contact: ContactId,
        /// Where to.
        to: TransferTarget,
    },
    /// The agent hands an active contact back to its queue; it keeps its original place
    /// and is not offered to that agent again until the queue's
    /// [`QueueConfig::decline_cooloff`] has passed.
    Requeue {
        /// The contact.
        contact: ContactId,
    },
    /// Changes a live contact's own priority (a supervisor moving a customer up or down
    /// the line). A waiting contact takes its new place at once, as if it had entered
    /// with that priority; its arrival, step and declines are kept. An offered or active
    /// contact keeps the new priority for when it waits again.
    SetPriority {
        /// The contact.
        contact: ContactId,
        /// Its own priority (added to the queue's). Higher is served first.
        priority: u8,
    },
    /// The customer left while waiting or while being offered.
    Abandon {
        /// The contact.
        contact: ContactId,
    },
    /// Time passed: fires every timer due at `now` (offer timeouts, step timeouts,
    /// maximum waits, after-contact work, decline cool-offs) and routes what they
    /// freed. Call it whenever `now >= engine.next_timeout()`.
    Tick,
    /// Runs a routing pass over every waiting contact. Never needed for correctness of
    /// a live engine; useful once after [`crate::Engine::rebuild`] if the log may end
    /// mid-command.
    Reroute,
}

/// A contact entering the engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewContact {
    /// Caller-allocated, unique among live contacts.
    pub contact: ContactId,
    /// The queue it enters.
    pub queue: QueueId,
    /// Its channel.
    pub channel: Channel,
    /// Its own priority (added to the queue's). Higher is served first.
    #[serde(default)]
    pub priority: u8,
    /// Attributes that target expressions can read as `contact.<name>`.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// The agent who should get it first. An unknown agent is ignored.
    #[serde(default)]
    pub preferred_agent: Option<PreferredAgent>,
    /// Since when the customer has been waiting, when that is before now: their place
    /// in line and priority aging count from it (a customer the answer bot handed over
    /// keeps the time they spent with it, where the organisation says so). Step
    /// timeouts and the queue's maximum wait still count from entering the queue. A
    /// time in the future is taken as now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_since: Option<Timestamp>,
}

impl NewContact {
    /// A contact with no priority, attributes or preferred agent.
    pub fn new(contact: ContactId, queue: QueueId, channel: Channel) -> Self {
        NewContact {
            contact,
            queue,
            channel,
            priority: 0,
            attributes: BTreeMap::new(),
            preferred_agent: None,
            waiting_since: None,
        }
    }
}

/// Why a command was refused. A refused command changes nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// No such queue.
    #[error("unknown {0}")]
    UnknownQueue(QueueId),
    /// No such agent.
    #[error("unknown {0}")]
    UnknownAgent(AgentId),
    /// No such live contact.
    #[error("unknown {0}")]
    UnknownContact(ContactId),
    /// A live contact already has this id.
    #[error("{0} already exists")]
    DuplicateContact(ContactId),
    /// The queue is closed to new contacts.
    #[error("{0} is closed")]
    QueueClosed(QueueId),
    /// A routing step's target does not parse.
    #[error("step {step} target: {error}")]
    InvalidTarget {
        /// 0-based step index.
        step: usize,
        /// The parse error, with its position.
        error: ParseError,
    },
    /// Some other configuration value is invalid.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// The contact is not offered to this agent right now.
    #[error("{contact} is not offered to {agent}")]
    NotOffered {
        /// The contact.
        contact: ContactId,
        /// The agent who tried.
        agent: AgentId,
    },
    /// The command does not apply to the contact in its current state.
    #[error("{contact} is {state}; {action} needs it {needs}")]
    InvalidContactState {
        /// The contact.
        contact: ContactId,
        /// Its state now (`waiting`, `offered`, `active`, `wrap-up`).
        state: &'static str,
        /// What was attempted.
        action: &'static str,
        /// The state(s) the command needs.
        needs: &'static str,
    },
    /// The agent still holds contacts.
    #[error("{0} still holds contacts")]
    AgentBusy(AgentId),
    /// The queue still holds contacts or is another queue's overflow target.
    #[error("{0} is in use: {1}")]
    QueueInUse(QueueId, String),
    /// `Presence::Missed` is set only by the engine.
    #[error("presence `missed` is set by the engine, not by a command")]
    PresenceNotSettable,
}
