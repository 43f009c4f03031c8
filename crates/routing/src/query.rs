//! Read-only views for the server and supervisors.
use crate::ids::{AgentId, ContactId, Millis, QueueId, Timestamp};
use crate::model::{AgentConfig, Channel, PreferredAgent, Presence, QueueConfig};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What an agent is doing, as a supervisor would say it. Contact work wins over
/// presence: an agent who went on break mid-call is `on_contact` until the call ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AgentState {
    /// Available with no contact.
    Available,
    /// Holding at least one offered or active contact.
    OnContact,
    /// Only after-contact work left.
    AfterContactWork,
    /// On a break.
    Break {
        /// Reason code.
        aux: String,
    },
    /// Logged out.
    Offline,
    /// Missed too many offers; must become available again.
    Missed,
}

/// One agent, as the engine sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSnapshot {
    /// The agent.
    pub agent: AgentId,
    /// Derived activity.
    pub state: AgentState,
    /// Presence as last set.
    pub presence: Presence,
    /// Since when.
    pub presence_since: Timestamp,
    /// Their longest-idle key: latest of becoming available, last offer, last freed slot.
    pub ready_since: Timestamp,
    /// Skills and capacity.
    pub config: AgentConfig,
    /// Contacts held per channel (offered, active or in wrap-up); channels with none
    /// are left out.
    pub load: BTreeMap<Channel, u8>,
    /// Channels on which they would get an offer now.
    pub free_channels: Vec<Channel>,
    /// Held contacts, in the order they were offered.
    pub contacts: Vec<ContactId>,
    /// Offers timed out in a row (since the last accept or becoming available).
    pub consecutive_timeouts: u32,
    /// Offers timed out or rejected in a row.
    pub consecutive_unanswered: u32,
}

/// Where a contact is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ContactStatus {
    /// Waiting in its queue.
    Waiting {
        /// Policy step in force; `None` while only a preferred agent qualifies.
        step: Option<u32>,
        /// The agent it waits for, in the preferred phase.
        for_agent: Option<AgentId>,
        /// 1-based position among the queue's waiting contacts in service order.
        position: u32,
    },
    /// Offered to an agent.
    Offered {
        /// The agent.
        agent: AgentId,
        /// When the offer times out.
        expires_at: Timestamp,
    },
    /// With an agent.
    Active {
        /// The agent.
        agent: AgentId,
        /// Since when.
        since: Timestamp,
    },
    /// Ended; the agent is doing after-contact work.
    WrapUp {
        /// The agent.
        agent: AgentId,
        /// When the after-contact-work timer ends it.
        until: Option<Timestamp>,
    },
}

/// One live contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactSnapshot {
    /// The contact.
    pub contact: ContactId,
    /// Its queue.
    pub queue: QueueId,
    /// Its channel.
    pub channel: Channel,
    /// Its own priority.
    pub priority: u8,
    /// Its attributes.
    pub attributes: BTreeMap<String, String>,
    /// Preferred agent (or the agent it was transferred to), if any.
    pub preferred_agent: Option<PreferredAgent>,
    /// When it first entered the engine.
    pub enqueued_at: Timestamp,
    /// When it entered its current queue.
    pub queue_entered_at: Timestamp,
    /// Agents who declined it (rejected it, let its offer time out, or requeued it)
    /// during this queue visit and are kept from it until their decline cool-off
    /// ([`crate::QueueConfig::decline_cooloff`]) expires, earliest decline first.
    pub declined_by: Vec<AgentId>,
    /// Where it is.
    pub status: ContactStatus,
}

/// Live figures for one queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueStats {
    /// The queue.
    pub queue: QueueId,
    /// Open to new contacts?
    pub open: bool,
    /// Contacts waiting (not offered).
    pub waiting: u32,
    /// Contacts being offered.
    pub offered: u32,
    /// Contacts with agents (active or in wrap-up).
    pub handling: u32,
    /// Time the longest-waiting contact entered the queue.
    pub oldest_entered_at: Option<Timestamp>,
    /// How long that contact has waited at `now`.
    pub longest_wait: Millis,
    /// Distinct agents free now who qualify for some step of this queue (for the
    /// contact conditions seen so far).
    pub agents_available: u32,
    /// Offers accepted since the engine started (or since the log began).
    pub answered: u64,
    /// Of those, accepted within the service-level threshold of entering the queue.
    pub answered_within_threshold: u64,
    /// Abandoned by the customer.
    pub abandoned: u64,
    /// Left after the maximum wait with no overflow.
    pub expired: u64,
    /// Moved to the overflow queue.
    pub overflowed: u64,
    /// `answered_within_threshold / answered` in percent, if anything was answered.
    pub service_level_percent: Option<f64>,
    /// The target, for comparison.
    pub service_level_target_percent: u8,
}

/// A queue's configuration and figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueSnapshot {
    /// Configuration.
    pub config: QueueConfig,
    /// Figures.
    pub stats: QueueStats,
}

/// Everything, sorted by id: compare two of these to compare engines semantically.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// All agents.
    pub agents: Vec<AgentSnapshot>,
    /// All queues.
    pub queues: Vec<QueueSnapshot>,
    /// All live contacts.
    pub contacts: Vec<ContactSnapshot>,
}
