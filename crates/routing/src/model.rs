//! Configuration and value types: channels, capacity, agents, queues, policies.
//!
//! These are plain data with serde derives; the engine validates them when a command
//! carries them (see [`crate::CommandError`]).
use crate::ids::{AgentId, Millis, QueueId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The channel a contact arrives on. Each has its own capacity per agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A phone call (PSTN or WebRTC).
    Voice,
    /// Web chat.
    Chat,
    /// SMS, Messenger, WhatsApp: asynchronous messaging.
    Messaging,
    /// An email thread.
    Email,
    /// Back-office work item.
    Task,
}

impl Channel {
    /// Every channel, in index order.
    pub const ALL: [Channel; 5] = [
        Channel::Voice,
        Channel::Chat,
        Channel::Messaging,
        Channel::Email,
        Channel::Task,
    ];
    /// Number of channels.
    pub const COUNT: usize = 5;

    /// Dense index 0..5, used for per-channel arrays.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The name used in expressions and JSON (`"voice"`, `"chat"`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Channel::Voice => "voice",
            Channel::Chat => "chat",
            Channel::Messaging => "messaging",
            Channel::Email => "email",
            Channel::Task => "task",
        }
    }

    /// Parses a channel name as written by [`Channel::name`].
    pub fn from_name(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.name() == name)
    }

    pub(crate) const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// "While an agent handles a contact on `while_handling`, offer nothing on `blocks`."
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrossChannelRule {
    /// The channel that, while at least one contact on it is held, blocks others.
    pub while_handling: Channel,
    /// Channels on which no new contact is offered meanwhile.
    pub blocks: Vec<Channel>,
}

/// How much work an agent takes at once.
///
/// A contact counts against capacity from the moment it is offered until its
/// after-contact work ends. A limit of 0 means the agent never gets that channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capacity {
    /// Concurrent calls (normally 0 or 1).
    #[serde(default)]
    pub voice: u8,
    /// Concurrent web chats.
    #[serde(default)]
    pub chat: u8,
    /// Concurrent messaging threads.
    #[serde(default)]
    pub messaging: u8,
    /// Concurrent emails.
    #[serde(default)]
    pub email: u8,
    /// Concurrent tasks.
    #[serde(default)]
    pub task: u8,
    /// Upper bound across all channels together, if any.
    #[serde(default)]
    pub max_total: Option<u8>,
    /// Cross-channel rules. The default ([`Capacity::standard_rules`]): a call blocks
    /// every other channel, and any other contact blocks calls.
    #[serde(default = "Capacity::standard_rules")]
    pub rules: Vec<CrossChannelRule>,
}

impl Default for Capacity {
    /// One call, three chats, three messaging threads, two emails, one task, with the
    /// standard cross-channel rules.
    fn default() -> Self {
        Capacity {
            voice: 1,
            chat: 3,
            messaging: 3,
            email: 2,
            task: 1,
            max_total: None,
            rules: Capacity::standard_rules(),
        }
    }
}

impl Capacity {
    /// No channel at all; build on it with the `with_*` methods.
    pub fn none() -> Self {
        Capacity {
            voice: 0,
            chat: 0,
            messaging: 0,
            email: 0,
            task: 0,
            max_total: None,
            rules: Capacity::standard_rules(),
        }
    }

    /// One call at a time and nothing else.
    pub fn voice_only() -> Self {
        Capacity::none().with(Channel::Voice, 1)
    }

    /// Returns a copy with `limit` on `channel`.
    pub fn with(mut self, channel: Channel, limit: u8) -> Self {
        *self.limit_mut(channel) = limit;
        self
    }

    /// On a call → nothing else; on anything else → no call.
    pub fn standard_rules() -> Vec<CrossChannelRule> {
        let mut rules = vec![CrossChannelRule {
            while_handling: Channel::Voice,
            blocks: Channel::ALL[1..].to_vec(),
        }];
        for c in &Channel::ALL[1..] {
            rules.push(CrossChannelRule {
                while_handling: *c,
                blocks: vec![Channel::Voice],
            });
        }
        rules
    }

    /// The limit for one channel.
    pub fn limit(&self, channel: Channel) -> u8 {
        match channel {
            Channel::Voice => self.voice,
            Channel::Chat => self.chat,
            Channel::Messaging => self.messaging,
            Channel::Email => self.email,
            Channel::Task => self.task,
        }
    }

    fn limit_mut(&mut self, channel: Channel) -> &mut u8 {
        match channel {
            Channel::Voice => &mut self.voice,
            Channel::Chat => &mut self.chat,
            Channel::Messaging => &mut self.messaging,
            Channel::Email => &mut self.email,
            Channel::Task => &mut self.task,
        }
    }
}

/// Proficiency 1 (novice) to 5 (expert).
pub type Level = u8;

/// What the engine needs to know about an agent. Sent with
/// [`crate::Command::ConfigureAgent`]; the same command updates it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentConfig {
    /// Skill name → proficiency 1–5. Names are identifiers (`returns`, `spanish`,
    /// `after-sales`) and appear in target expressions as `skill.<name>`.
    #[serde(default)]
    pub skills: BTreeMap<String, Level>,
    /// Per-channel capacity and cross-channel rules.
    #[serde(default)]
    pub capacity: Capacity,
    /// Offers are accepted on the agent's behalf as they are made (auto-answer, as on
    /// a voice line): `OfferAccepted` follows `ContactOffered` in the same pass.
    #[serde(default)]
    pub auto_accept: bool,
}

impl AgentConfig {
    /// An agent with the given skills and the default capacity.
    pub fn with_skills<'a>(skills: impl IntoIterator<Item = (&'a str, Level)>) -> Self {
        AgentConfig {
            skills: skills
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            capacity: Capacity::default(),
            auto_accept: false,
        }
    }
}

/// How an agent is chosen among those who qualify.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    /// The agent ready the longest: longest since their last offer, their last contact
    /// ending, or their becoming available, whichever is latest.
    #[default]
    LongestIdle,
    /// The highest sum of proficiency over the skills the matched step names; ties go
    /// to the longest idle.
    MostSkilled,
    /// The fewest contacts held right now; ties go to the longest idle.
    LeastOccupied,
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Selection::LongestIdle => "longest idle",
            Selection::MostSkilled => "most skilled",
            Selection::LeastOccupied => "least occupied",
        })
    }
}

/// One step of a routing policy: who qualifies, and for how long before the next step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingStep {
    /// Target expression, e.g. `skill.returns >= 3 AND contact.language == "es"`.
    /// See [`crate::expr`] for the grammar.
    pub target: String,
    /// How long this step applies before the next one replaces it. `None` on the last
    /// step (or any step) means it applies until the contact leaves the queue.
    #[serde(default)]
    pub timeout: Option<Millis>,
}

impl RoutingStep {
    /// A step with a target and an optional timeout.
    pub fn new(target: impl Into<String>, timeout: Option<Millis>) -> Self {
        RoutingStep {
            target: target.into(),
            timeout,
        }
    }
}

/// A service-level target: `percent` of contacts answered within `threshold`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLevel {
    /// Answered within this long counts as "in service level".
    pub threshold: Millis,
    /// The target share, 0–100.
    pub percent: u8,
}

impl Default for ServiceLevel {
    /// 80% in 20 seconds.
    fn default() -> Self {
        ServiceLevel {
            threshold: Millis::secs(20),
            percent: 80,
        }
    }
}

/// A queue's configuration, including its routing policy (`steps`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueConfig {
    /// Added to each contact's own priority. Higher is served first.
    #[serde(default)]
    pub priority: u8,
    /// The routing policy: ordered steps, at least one.
    pub steps: Vec<RoutingStep>,
    /// How the agent is chosen among those qualified.
    #[serde(default)]
    pub selection: Selection,
    /// Service-level target (reported in [`crate::QueueStats`]).
    #[serde(default)]
    pub service_level: ServiceLevel,
    /// Longest a contact waits here before it overflows (or expires without an
    /// overflow target). `None`: no limit.
    #[serde(default)]
    pub max_wait: Option<Millis>,
    /// Where a contact goes after `max_wait`.
    #[serde(default)]
    pub overflow: Option<QueueId>,
    /// How long an agent has to accept an offer.
    #[serde(default = "QueueConfig::default_offer_timeout")]
    pub offer_timeout: Millis,
    /// After-contact work: how long the agent's slot stays taken after the contact ends,
    /// unless the agent submits the wrap-up sooner. `None`: the slot frees at once.
    #[serde(default)]
    pub after_contact_work: Option<Millis>,
    /// Priority aging: how much waiting is worth one level of priority. A contact of
    /// priority `p` that arrived at `t` is served before one of priority `p + 1` that
    /// arrived after `t + priority_aging`. Use a large value for strict priority.
    #[serde(default = "QueueConfig::default_priority_aging")]
    pub priority_aging: Millis,
    /// Decline cool-off: how long a contact is kept from an agent who rejected it, let
    /// its offer time out, or requeued it, counted from that decline. Then the agent
    /// qualifies for it again: the [`crate::Command::Tick`] due then emits
    /// [`crate::EventKind::DeclineExpired`] (or the command that brings the contact
    /// back to its queue does, when the cool-off ended while it was offered or
    /// handled), and the routing pass that follows may offer it to them at once. A
    /// change applies to declines already made. Must be positive. A withdrawn offer
    /// (the agent left `available`) is not held against the agent at all.
    #[serde(default = "QueueConfig::default_decline_cooloff")]
    pub decline_cooloff: Millis,
}

impl QueueConfig {
    fn default_offer_timeout() -> Millis {
        Millis::secs(20)
    }
    fn default_priority_aging() -> Millis {
        Millis::secs(60)
    }
    fn default_decline_cooloff() -> Millis {
        Millis::secs(60)
    }

    /// A queue with the given policy steps and every other setting at its default.
    pub fn new(steps: Vec<RoutingStep>) -> Self {
        QueueConfig {
            priority: 0,
            steps,
            selection: Selection::default(),
            service_level: ServiceLevel::default(),
            max_wait: None,
            overflow: None,
            offer_timeout: QueueConfig::default_offer_timeout(),
            after_contact_work: None,
            priority_aging: QueueConfig::default_priority_aging(),
            decline_cooloff: QueueConfig::default_decline_cooloff(),
        }
    }

    /// A queue with one step and no timeout.
    pub fn single(target: impl Into<String>) -> Self {
        QueueConfig::new(vec![RoutingStep::new(target, None)])
    }
}

/// An agent's presence, as set by the agent (or, for `Missed`, by the engine).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "presence", rename_all = "snake_case")]
pub enum Presence {
    /// Ready for offers (subject to capacity).
    Available,
    /// On a break; `aux` is the reason code ("lunch", "training", …).
    Break {
        /// Auxiliary (reason) code.
        aux: String,
    },
    /// Logged out.
    Offline,
    /// Set by the engine after too many offers were missed in a row; the agent must
    /// set `Available` again to get offers.
    Missed,
}

impl fmt::Display for Presence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Presence::Available => f.write_str("available"),
            Presence::Break { aux } => write!(f, "break ({aux})"),
            Presence::Offline => f.write_str("offline"),
            Presence::Missed => f.write_str("missed"),
        }
    }
}

/// The agent who should get a contact first, and for how long only they qualify.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreferredAgent {
    /// Usually the agent who last helped this customer.
    pub agent: AgentId,
    /// How long only this agent qualifies; after it the policy's steps apply.
    /// `None`: only this agent, until the contact leaves the queue (direct transfer).
    pub wait: Option<Millis>,
}

/// Where a transfer sends a contact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum TransferTarget {
    /// Into another queue: routed by that queue's policy from its first step.
    Queue(QueueId),
    /// To one agent: the contact waits (in its current queue) for that agent only.
    Agent(AgentId),
}

/// Engine-wide settings that affect decisions only (never how events are applied, so
/// a rebuild with different settings still reproduces the same state). Timings are
/// per queue, in [`QueueConfig`]: the offer timeout, and how long a declined contact
/// is kept from the agent who declined it ([`QueueConfig::decline_cooloff`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// After this many missed offers in a row the agent's presence becomes
    /// [`Presence::Missed`]. `None`: never.
    pub missed_after: Option<u32>,
    /// Whether an explicit rejection counts as a miss (a timeout always does).
    pub rejections_count_as_misses: bool,
}

impl Default for Settings {
    /// Three timeouts in a row; rejections do not count.
    fn default() -> Self {
        Settings {
            missed_after: Some(3),
            rejections_count_as_misses: false,
        }
    }
}
