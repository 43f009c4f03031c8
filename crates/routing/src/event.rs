//! Events: every state change, as the server persists it.
//!
//! The event stream is the source of truth: [`crate::Engine::rebuild`] applied to the
//! events a live engine emitted reproduces that engine exactly. Variants and fields
//! are only ever added (with `#[serde(default)]`), never renamed or removed.
use crate::ids::{AgentId, ContactId, Millis, QueueId, Timestamp};
use crate::model::{
    AgentConfig, Channel, PreferredAgent, Presence, QueueConfig, Selection, TransferTarget,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// One state change, stamped with the time of the command that caused it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The `now` of the command (or tick) that produced it.
    pub at: Timestamp,
    /// What happened.
    pub kind: EventKind,
}

/// What happened. JSON: `{"type": "contact_offered", "contact": 7, …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// A queue was created or its configuration replaced.
    QueueConfigured {
        /// The queue.
        queue: QueueId,
        /// Its new configuration.
        config: QueueConfig,
    },
    /// A queue was removed.
    QueueRemoved {
        /// The queue.
        queue: QueueId,
    },
    /// A queue opened or closed.
    QueueOpenChanged {
        /// The queue.
        queue: QueueId,
        /// Open now?
        open: bool,
    },
    /// An agent was created or their skills/capacity replaced.
    AgentConfigured {
        /// The agent.
        agent: AgentId,
        /// The new configuration.
        config: AgentConfig,
    },
    /// An agent was removed.
    AgentRemoved {
        /// The agent.
        agent: AgentId,
    },
    /// An agent's presence changed (by command, or to `missed` by the engine).
    AgentPresenceChanged {
        /// The agent.
        agent: AgentId,
        /// The new presence.
        presence: Presence,
    },
    /// A contact entered a queue; `at` is its enqueue time.
    ContactEnqueued {
        /// The contact.
        contact: ContactId,
        /// The queue.
        queue: QueueId,
        /// Its channel.
        channel: Channel,
        /// Its own priority.
        priority: u8,
        /// Its attributes.
        #[serde(default)]
        attributes: BTreeMap<String, String>,
        /// The agent who gets it first, if any (only known agents).
        #[serde(default)]
        preferred_agent: Option<PreferredAgent>,
        /// Where its place in line counts from, when before `at` (see
        /// [`crate::NewContact::waiting_since`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        waiting_since: Option<Timestamp>,
    },
    /// A waiting contact's routing step changed (a step timed out, or its preferred
    /// agent's wait ended). `step` is the index of the policy step now in force.
    ContactStepChanged {
        /// The contact.
        contact: ContactId,
        /// 0-based step index.
        step: u32,
    },
    /// A routing decision: the contact is offered to one agent.
    ContactOffered {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
        /// When the offer times out.
        expires_at: Timestamp,
        /// Why this agent, which step, how many others qualified.
        explanation: Explanation,
    },
    /// The agent accepted; the contact is now active with them.
    OfferAccepted {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
    },
    /// The offer ended without acceptance; the contact is back in its place in the queue.
    /// Unless the offer was withdrawn, the contact is not offered to this agent again
    /// until [`EventKind::DeclineExpired`] ([`QueueConfig::decline_cooloff`] later).
    OfferDeclined {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
        /// Rejected, timed out, or withdrawn.
        reason: DeclineReason,
    },
    /// The agent gave an active contact back to its queue. Like a decline, it is not
    /// offered to this agent again until [`EventKind::DeclineExpired`].
    ContactRequeued {
        /// The contact.
        contact: ContactId,
        /// The agent who had it.
        agent: AgentId,
    },
    /// A waiting or active contact moved to another queue or to one agent.
    ContactTransferred {
        /// The contact.
        contact: ContactId,
        /// The agent who had it, if it was active.
        from_agent: Option<AgentId>,
        /// Where it went.
        to: TransferTarget,
    },
    /// A live contact's own priority changed ([`crate::Command::SetPriority`]).
    ContactPriorityChanged {
        /// The contact.
        contact: ContactId,
        /// Its new priority.
        priority: u8,
    },
    /// The contact waited its queue's maximum and moved to the overflow queue.
    ContactOverflowed {
        /// The contact.
        contact: ContactId,
        /// The queue it left.
        from: QueueId,
        /// The queue it entered.
        to: QueueId,
    },
    /// The contact waited its queue's maximum and there is no overflow target: it left.
    ContactExpired {
        /// The contact.
        contact: ContactId,
        /// Its queue.
        queue: QueueId,
    },
    /// The customer left before an agent accepted.
    ContactAbandoned {
        /// The contact.
        contact: ContactId,
        /// Its queue.
        queue: QueueId,
    },
    /// The conversation ended. With `after_contact_work_until` the agent keeps the slot
    /// until then (or until the wrap-up); without it the contact is gone.
    ContactCompleted {
        /// The contact.
        contact: ContactId,
        /// The agent who handled it.
        agent: AgentId,
        /// End of after-contact work, if the queue has it.
        after_contact_work_until: Option<Timestamp>,
    },
    /// After-contact work ended; the contact is gone and the slot is free.
    ContactWrappedUp {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
        /// The wrap-up code the agent chose, if any.
        code: Option<String>,
        /// True when the timer ended it rather than the agent.
        timed_out: bool,
    },
    /// A waiting contact's decline cool-off ([`QueueConfig::decline_cooloff`]) for one
    /// agent ended: the agent who rejected it, let its offer time out, or requeued it
    /// qualifies for it again, and may be offered it in the same pass.
    DeclineExpired {
        /// The contact.
        contact: ContactId,
        /// The agent whose decline expired.
        agent: AgentId,
    },
}

/// Why an offer ended without acceptance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclineReason {
    /// The agent said no.
    Rejected,
    /// The offer timed out.
    TimedOut,
    /// The agent left `available` (break, offline, missed) with the offer pending.
    Withdrawn,
}

/// What started a routing decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A contact became routable (arrived, came back, changed step) and an agent was
    /// free: the best free agent was chosen for it.
    ContactWaiting,
    /// An agent became free (or qualified for more): the best waiting contact was
    /// chosen for them.
    AgentReady,
}

/// Which rule let the agent qualify.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum MatchedRule {
    /// The contact's preferred agent (or a transfer to this agent): only they qualified.
    PreferredAgent,
    /// A step of the queue's routing policy.
    Step {
        /// 0-based step index.
        index: u32,
        /// Number of steps in the policy.
        of: u32,
        /// The step's target expression, as configured (shared with the queue's
        /// configuration, so an offer does not copy it).
        target: Arc<str>,
    },
}

/// Why a contact was offered to this agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// What started the decision.
    pub trigger: Trigger,
    /// The contact's queue.
    pub queue: QueueId,
    /// Which rule matched.
    pub rule: MatchedRule,
    /// How the agent was ranked.
    pub selection: Selection,
    /// Agents who qualified and were free on the contact's channel at the time,
    /// including the chosen one.
    pub qualified_agents: u32,
    /// For [`Trigger::AgentReady`]: how many queue heads the agent's qualifications
    /// reached (candidates compared); 1 for [`Trigger::ContactWaiting`].
    pub contacts_considered: u32,
    /// Since when the agent was ready (their longest-idle key).
    pub agent_ready_since: Timestamp,
    /// Contacts the agent held before this offer.
    pub agent_load: u8,
    /// Sum of the agent's levels in the skills the step names (the most-skilled key).
    pub skill_score: u16,
    /// How long the contact had waited in this queue.
    pub waited: Millis,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.rule {
            MatchedRule::PreferredAgent => write!(f, "{}: preferred agent", self.queue)?,
            MatchedRule::Step { index, of, target } => write!(
                f,
                "{}: step {} of {} (`{target}`)",
                self.queue,
                index + 1,
                of
            )?,
        }
        write!(f, " after {} waiting; ", self.waited)?;
        let others = self.qualified_agents.saturating_sub(1);
        match self.trigger {
            Trigger::ContactWaiting => write!(
                f,
                "chosen as {} of {} qualified free agent{} (ready since {}, holding {}, skill score {})",
                self.selection,
                self.qualified_agents,
                if self.qualified_agents == 1 { "" } else { "s" },
                self.agent_ready_since,
                self.agent_load,
                self.skill_score
            ),
            Trigger::AgentReady => write!(
                f,
                "the agent became free and this was the first in line of {} queue head{} they qualify for ({} other free agent{} qualified)",
                self.contacts_considered,
                if self.contacts_considered == 1 {
                    ""
                } else {
                    "s"
                },
                others,
                if others == 1 { "" } else { "s" },
            ),
        }
    }
}
