//! The live state of one organisation: the `routing` crate's engine, which makes every
//! routing decision, and the server's mirror of what the API shows (open contacts,
//! offers with their ids, agents' names and profiles).
//!
//! Why it is shaped like this:
//!
//! - **One router.** Every decision (who is offered which contact, step relaxation,
//!   overflow, missed offers, after-contact work) is the engine's; this module only
//!   translates between the server's UUIDs and rows and the engine's ids and events, so
//!   what a planner simulates with `wfm::sim` is what customers get.
//! - **Events are the state.** Each command's engine events are written to the log
//!   (`LiveEvent::Routing`) in the same commit as the rows they imply. A restart (or a
//!   recovery after a failed commit) replays them into a fresh engine
//!   ([`OrgLive::restore`]) and takes the mirror from the rows, so a waiting contact
//!   keeps its step, its place and its original enqueue time, and an offer in flight
//!   keeps its id and deadline.
//! - **Pure.** No clock, no I/O, no locks: [`crate::AppState`] calls it under the
//!   organisation's lock with `now` and turns the returned changes into one commit.
//!
//! Ids: the engine's `u64` ids are derived from the UUIDs ([`rid`]), so they are the same
//! after every restart without a table of their own.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use routing::{
    AgentConfig, AgentId, Capacity, Command, CommandError, ContactId, EventKind, Millis,
    NewContact, Presence, QueueConfig, QueueId, RoutingStep, Selection, ServiceLevel, Timestamp,
};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};
use store::{Change, Channel, Contact, ContactStatus, Object};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::events::{Actor, LiveEvent};
use crate::hub::Note;
use crate::wire;

/// One queue's line at a moment: see [`OrgLive::lines`].
#[derive(Debug, Clone, Default)]
pub struct Line {
    pub waiting: usize,
    pub longest_wait_s: i64,
    /// Agents on one of the queue's contacts (any channel).
    pub on_contact: BTreeSet<Uuid>,
}

/// Seconds an agent has to accept an offer, unless the queue says otherwise.
pub const DEFAULT_OFFER_TIMEOUT_S: i64 = 30;
/// Seconds of after-contact work before the slot frees by itself.
pub const DEFAULT_AFTER_CONTACT_WORK_S: i64 = 30;
/// Chats (and messaging threads, emails) an agent handles at once by default.
pub const DEFAULT_CAPACITY: u8 = 3;

// ---------- configuration: what admins set, and its translation for the engine ----------

/// One step of a queue's routing policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyStep {
    /// Who qualifies, e.g. `skill.returns >= 4 AND contact.language == "es"`.
    pub target: String,
    /// Seconds before the next step replaces this one; none on the last step.
    pub timeout_s: Option<i64>,
}

/// A queue's routing settings (the `data` of a queue object).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(default)]
pub struct QueueSettings {
    /// 0–100; higher is served first.
    pub priority: i32,
    /// Shorthand for a one-step policy: agents with each of these skills (level ≥ 1).
    pub required_skills: Vec<String>,
    /// The routing policy: ordered steps. Empty: one step from `required_skills`.
    pub steps: Vec<PolicyStep>,
    /// `longest_idle` (default), `most_skilled` or `least_occupied`.
    #[schema(value_type = String)]
    pub selection: Selection,
    /// Service-level target: `service_level_percent` answered within
    /// `service_level_s` (default 80 % in 20 s).
    pub service_level_percent: u8,
    pub service_level_s: i64,
    /// Seconds an agent has to accept an offer (default 30).
    pub offer_timeout_s: Option<i64>,
    /// Seconds the agent's slot stays taken after a contact ends, unless they wrap up
    /// sooner (default 30; 0: frees at once).
    pub after_contact_work_s: Option<i64>,
    /// Longest wait before a contact moves to `overflow_queue_id` (or leaves).
    pub max_wait_s: Option<i64>,
    pub overflow_queue_id: Option<Uuid>,
    /// Seconds of waiting worth one level of priority (default 60).
    pub priority_aging_s: Option<i64>,
    /// Offer a returning customer's contact to the agent who last helped them, alone,
    /// for this many seconds (0 or none: off).
    pub prefer_last_agent_s: Option<i64>,
    /// An agent who declined or missed a contact may be offered it again this many
    /// seconds later (default 60), so nobody waits while a qualified agent is free.
    pub decline_cooloff_s: Option<i64>,
    /// Open only in these business hours (a business-hours object); none: always open.
    /// A closed queue refuses new contacts and still serves those waiting.
    pub business_hours_id: Option<Uuid>,
    /// Shown to customers as a topic in the chat widget.
    pub public: Option<bool>,
    /// Record this queue's calls: both sides, each on its own channel, sealed at rest,
    /// played back by those who may open customers' files (default off).
    pub record_calls: Option<bool>,
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings {
            priority: 0,
            required_skills: Vec::new(),
            steps: Vec::new(),
            selection: Selection::LongestIdle,
            service_level_percent: 80,
            service_level_s: 20,
            offer_timeout_s: None,
            after_contact_work_s: None,
            max_wait_s: None,
            overflow_queue_id: None,
            priority_aging_s: None,
            prefer_last_agent_s: None,
            decline_cooloff_s: None,
            business_hours_id: None,
            public: None,
            record_calls: None,
        }
    }
}

fn secs(s: i64) -> Millis {
    Millis(s.max(0) as u64 * 1000)
}

impl QueueSettings {
    /// The steps in force: `steps`, or one step from `required_skills`.
    pub fn effective_steps(&self) -> Vec<PolicyStep> {
        if !self.steps.is_empty() {
            return self.steps.clone();
        }
        let target = if self.required_skills.is_empty() {
            "true".to_string()
        } else {
            self.required_skills
                .iter()
                .map(|s| format!("skill.{s}"))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        vec![PolicyStep {
            target,
            timeout_s: None,
        }]
    }

    /// Checks everything an admin can get wrong, with the field in the message.
    pub fn validate(&self) -> Result<(), String> {
        if !(0..=100).contains(&self.priority) {
            return Err("priority: 0 to 100".into());
        }
        if self.steps.len() > 20 {
            return Err("steps: at most 20".into());
        }
        for s in &self.required_skills {
            routing::Expr::parse(&format!("skill.{s}"))
                .map_err(|_| format!("required_skills: `{s}` is not a skill name"))?;
        }
        for (i, st) in self.effective_steps().iter().enumerate() {
            if let Err(e) = routing::Expr::parse(&st.target) {
                return Err(format!(
                    "steps[{i}].target: {} (column {})",
                    e.message, e.column
                ));
            }
            if st.timeout_s.is_some_and(|t| !(1..=86_400).contains(&t)) {
                return Err(format!("steps[{i}].timeout_s: 1 to 86400 seconds"));
            }
        }
        let ranged = [
            ("offer_timeout_s", self.offer_timeout_s, 5, 3600),
            ("after_contact_work_s", self.after_contact_work_s, 0, 7200),
            ("max_wait_s", self.max_wait_s, 1, 7 * 86_400),
            ("priority_aging_s", self.priority_aging_s, 1, 86_400),
            ("prefer_last_agent_s", self.prefer_last_agent_s, 0, 3600),
            ("decline_cooloff_s", self.decline_cooloff_s, 1, 3600),
        ];
        for (name, v, lo, hi) in ranged {
            if v.is_some_and(|v| !(lo..=hi).contains(&v)) {
                return Err(format!("{name}: {lo} to {hi} seconds"));
            }
        }
        if !(1..=100).contains(&self.service_level_percent) {
            return Err("service_level_percent: 1 to 100".into());
        }
        if !(1..=3600).contains(&self.service_level_s) {
            return Err("service_level_s: 1 to 3600 seconds".into());
        }
        Ok(())
    }

    /// The engine's configuration of this queue.
    pub fn engine_config(&self) -> QueueConfig {
        let steps = self
            .effective_steps()
            .into_iter()
            .map(|s| RoutingStep::new(s.target, s.timeout_s.map(secs)))
            .collect();
        let mut c = QueueConfig::new(steps);
        c.priority = self.priority.clamp(0, 100) as u8;
        c.selection = self.selection;
        c.service_level = ServiceLevel {
            threshold: secs(self.service_level_s),
            percent: self.service_level_percent.clamp(1, 100),
        };
        c.offer_timeout = secs(
            self.offer_timeout_s
                .unwrap_or(DEFAULT_OFFER_TIMEOUT_S)
                .clamp(5, 3600),
        );
        c.after_contact_work = match self
            .after_contact_work_s
            .unwrap_or(DEFAULT_AFTER_CONTACT_WORK_S)
        {
            0 => None,
            s => Some(secs(s)),
        };
        c.max_wait = self.max_wait_s.map(secs);
        c.overflow = self.overflow_queue_id.map(|q| QueueId(rid(q)));
        if let Some(a) = self.priority_aging_s {
            c.priority_aging = secs(a.max(1));
        }
        if let Some(d) = self.decline_cooloff_s {
            c.decline_cooloff = secs(d.max(1));
        }
        c
    }
}

/// An agent's routing profile (the `data` of an agent object; its id is the user's id).
/// Presence is not here: it is the engine's, changed only through the agent's state.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(default)]
pub struct AgentProfile {
    /// Skill → level 1–5. A list of names is read as level 3 each.
    #[serde(deserialize_with = "skills_compat")]
    #[schema(value_type = BTreeMap<String, u8>)]
    pub skills: BTreeMap<String, u8>,
    /// Contacts at once per channel, and the cross-channel rules (by default a call
    /// blocks every other channel and any other contact blocks calls). A number is read
    /// as that many chats, messaging threads and emails, and one call.
    #[serde(deserialize_with = "capacity_compat")]
    #[schema(value_type = Object)]
    pub capacity: Capacity,
    /// The team the agent belongs to (wallboard filters; supervisors see their team
    /// first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
}

impl Default for AgentProfile {
    fn default() -> Self {
        AgentProfile {
            skills: BTreeMap::new(),
            capacity: capacity_of(DEFAULT_CAPACITY),
            team: None,
        }
    }
}

/// The capacity an old single number meant.
pub fn capacity_of(n: u8) -> Capacity {
    Capacity {
        chat: n,
        messaging: n,
        email: n,
        ..Capacity::default()
    }
}

fn skills_compat<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, u8>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum S {
        Names(Vec<String>),
        Levels(BTreeMap<String, u8>),
    }
    Ok(match S::deserialize(d)? {
        S::Names(v) => v.into_iter().map(|n| (n, 3)).collect(),
        S::Levels(m) => m,
    })
}

fn capacity_compat<'de, D: Deserializer<'de>>(d: D) -> Result<Capacity, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum C {
        Number(u8),
        Full(Capacity),
    }
    Ok(match C::deserialize(d)? {
        C::Number(n) => capacity_of(n),
        C::Full(c) => c,
    })
}

impl AgentProfile {
    pub fn validate(&self) -> Result<(), String> {
        for (s, l) in &self.skills {
            if !(1..=5).contains(l) {
                return Err(format!("skills.{s}: level 1 to 5"));
            }
            routing::Expr::parse(&format!("skill.{s}"))
                .map_err(|_| format!("skills: `{s}` is not a skill name"))?;
        }
        let c = &self.capacity;
        if [c.voice, c.chat, c.messaging, c.email, c.task]
            .iter()
            .any(|&n| n > 50)
        {
            return Err("capacity: at most 50 per channel".into());
        }
        if self
            .team
            .as_ref()
            .is_some_and(|t| t.trim().is_empty() || t.len() > 60)
        {
            return Err("team: 1 to 60 characters, or leave it out".into());
        }
        Ok(())
    }

    pub fn engine_config(&self) -> AgentConfig {
        AgentConfig {
            skills: self.skills.clone(),
            capacity: self.capacity.clone(),
            auto_accept: false,
        }
    }
}

/// The presence an agent asks for.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    #[default]
    Offline,
    Available,
    Break,
}

/// The engine's channel for a contact's channel: SMS, WhatsApp and Messenger share the
/// messaging capacity.
pub fn routing_channel(c: Channel) -> routing::Channel {
    match c {
        Channel::Chat => routing::Channel::Chat,
        Channel::Sms | Channel::Whatsapp | Channel::Messenger => routing::Channel::Messaging,
        Channel::Email => routing::Channel::Email,
        Channel::Voice => routing::Channel::Voice,
    }
}

/// The engine's id for a UUID: the same on every boot.
pub fn rid(u: Uuid) -> u64 {
    let v = u.as_u128();
    ((v >> 64) as u64 ^ v as u64) & (u64::MAX >> 1)
}

/// Milliseconds since the epoch.
pub fn ts(t: OffsetDateTime) -> Timestamp {
    Timestamp((t.unix_timestamp_nanos() / 1_000_000).max(0) as u64)
}

pub fn time_of(t: Timestamp) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.0) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Weekly opening hours in a time zone (a business-hours object).
#[derive(Debug, Clone)]
pub struct Hours {
    tz: jiff::tz::TimeZone,
    /// (ISO weekday 1–7, open minute, close minute) of the day, local time.
    windows: Vec<(i8, i32, i32)>,
}

impl Hours {
    /// From a business-hours object's data (`timezone`, `weekly: [{day, open, close}]`);
    /// `None` when its zone is unknown (then the queue stays as it is).
    pub fn from_object(o: &Object) -> Option<Hours> {
        let tz = o
            .data
            .get("timezone")
            .and_then(Value::as_str)
            .unwrap_or("UTC");
        let tz = jiff::tz::TimeZone::get(tz).ok()?;
        let minute = |v: &Value| -> Option<i32> {
            let s = v.as_str()?;
            let (h, m) = s.split_once(':')?;
            Some(h.parse::<i32>().ok()? * 60 + m.parse::<i32>().ok()?)
        };
        let windows = o
            .data
            .get("weekly")
            .and_then(Value::as_array)
            .map(|ws| {
                ws.iter()
                    .filter_map(|w| {
                        Some((
                            i8::try_from(w.get("day")?.as_i64()?).ok()?,
                            minute(w.get("open")?)?,
                            minute(w.get("close")?)?,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Hours { tz, windows })
    }

    /// Open at `now`, in the zone's local time (its daylight-saving rules included)?
    pub fn open_at(&self, now: OffsetDateTime) -> bool {
        let Ok(ts) = jiff::Timestamp::from_second(now.unix_timestamp()) else {
            return true;
        };
        let local = ts.to_zoned(self.tz.clone());
        let day = local.weekday().to_monday_one_offset();
        let minute = i32::from(local.hour()) * 60 + i32::from(local.minute());
        self.windows
            .iter()
            .any(|&(d, open, close)| d == day && open <= minute && minute < close)
    }
}

// ---------- the mirror ----------

#[derive(Debug, Clone)]
pub struct QueueLive {
    pub id: Uuid,
    pub name: String,
    pub settings: QueueSettings,
}

#[derive(Debug, Clone)]
pub struct AgentLive {
    pub user_id: Uuid,
    pub name: String,
    pub profile: AgentProfile,
}

#[derive(Debug, Clone)]
pub struct LiveContact {
    pub contact: Contact,
    /// The offer in flight, if any.
    pub offer: Option<Uuid>,
    /// Client ids of its messages → seq: a retry is recognised without a read, also
    /// after a restart (loaded from the store).
    pub client_ids: HashMap<String, i64>,
    /// The queue position and estimate last sent to the customer.
    pub position_sent: Option<(usize, u64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Offer {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub agent_id: Uuid,
    pub queue_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub expires_at: OffsetDateTime,
    /// Why this agent, in words ("queue …: step 1 of 2 (`skill.returns >= 4`) …").
    pub explanation: String,
    /// The same, as data: step, selection rule, agents qualified, wait.
    #[schema(value_type = Object)]
    pub why: Value,
}

/// How a contact is closed: the wrap-up code and notes, and why (`wrapped_up`,
/// `abandoned`, `expired`).
#[derive(Debug, Clone, Default)]
pub struct Closing {
    pub code: Option<String>,
    pub notes: Option<String>,
    pub reason: &'static str,
}

impl Closing {
    pub fn because(reason: &'static str) -> Closing {
        Closing {
            reason,
            ..Default::default()
        }
    }
}

/// What a command changed, for the caller to commit and publish.
#[derive(Debug, Default)]
pub struct Effects {
    pub changes: Vec<Change>,
    pub notes: Vec<Note>,
}

/// One organisation's live state.
#[derive(Debug)]
pub struct OrgLive {
    org: Uuid,
    router: routing::Engine,
    queues: HashMap<Uuid, QueueLive>,
    agents: HashMap<Uuid, AgentLive>,
    contacts: HashMap<Uuid, LiveContact>,
    offers: HashMap<Uuid, Offer>,
    agent_ids: HashMap<AgentId, Uuid>,
    queue_ids: HashMap<QueueId, Uuid>,
    contact_ids: HashMap<ContactId, Uuid>,
    /// Queues whose waiting line changed since positions were last sent.
    dirty_queues: HashSet<Uuid>,
    /// Business hours by id, for the queues that have them.
    hours: HashMap<Uuid, Hours>,
    /// Contacts with the answer bot (open, in no queue yet): see [`crate::bot`].
    bots: HashSet<Uuid>,
    /// Routing decisions made this boot (metrics).
    pub decisions: u64,
    /// The supervisors' figures, fed the engine's events as they happen and at replay.
    pub wallboard: routing::wallboard::Wallboard,
    /// Open help requests (raised hands).
    pub help: crate::supervise::HelpDesk,
    /// Names of the organisation's enabled staff (for help requests and system lines).
    pub staff_names: HashMap<Uuid, String>,
    /// Customers merged away since this state was built, and where they went: a
    /// contact whose customer was looked up before the merge committed is opened on
    /// the customer it went to ([`OrgLive::current_customer`]).
    pub merged_customers: HashMap<Uuid, Uuid>,
}

/// The outcome of [`OrgLive::restore`]: what did not fit, for the log.
#[derive(Debug, Default)]
pub struct RestoreReport {
    pub routing_events: usize,
    /// Contacts open in the store that the log did not know (written before the log
    /// held routing events): queued again now, at the back.
    pub requeued: Vec<Uuid>,
}

fn routing_err(e: CommandError) -> crate::ApiError {
    use crate::ApiError;
    match e {
        CommandError::QueueClosed(_) => ApiError::conflict("this queue is closed right now"),
        CommandError::NotOffered { .. } => ApiError::not_found("offer"),
        CommandError::InvalidContactState { state, needs, .. } => {
            ApiError::conflict(format!("the contact is {state}; this needs it {needs}"))
        }
        CommandError::AgentBusy(_) => ApiError::conflict("the agent still holds contacts"),
        CommandError::QueueInUse(_, why) => {
            ApiError::conflict(format!("the queue is in use: {why}"))
        }
        CommandError::InvalidTarget { step, error } => {
            ApiError::invalid(format!("steps[{step}].target: {}", error.message))
        }
        CommandError::InvalidConfig(m) => ApiError::invalid(m),
        CommandError::UnknownContact(_) => ApiError::conflict("this contact is closed or unknown"),
        other => ApiError::conflict(other.to_string()),
    }
}

impl OrgLive {
    pub fn new(org: Uuid) -> OrgLive {
        OrgLive {
            org,
            router: routing::Engine::default(),
            queues: HashMap::new(),
            agents: HashMap::new(),
            contacts: HashMap::new(),
            offers: HashMap::new(),
            agent_ids: HashMap::new(),
            queue_ids: HashMap::new(),
            contact_ids: HashMap::new(),
            dirty_queues: HashSet::new(),
            hours: HashMap::new(),
            bots: HashSet::new(),
            decisions: 0,
            wallboard: Default::default(),
            help: Default::default(),
            staff_names: HashMap::new(),
            merged_customers: HashMap::new(),
        }
    }

    pub fn org(&self) -> Uuid {
        self.org
    }

    /// A staff member's name ("" when unknown).
    pub fn staff_name(&self, user: Uuid) -> String {
        self.staff_names
            .get(&user)
            .or_else(|| self.agents.get(&user).map(|a| &a.name))
            .cloned()
            .unwrap_or_default()
    }

    // ----- reads -----

    pub fn router(&self) -> &routing::Engine {
        &self.router
    }
    pub fn queue(&self, id: Uuid) -> Option<&QueueLive> {
        self.queues.get(&id)
    }
    pub fn queues(&self) -> impl Iterator<Item = &QueueLive> {
        self.queues.values()
    }
    /// Whether a queue is open now (its business hours, as the engine was last told).
    pub fn queue_open(&self, id: Uuid) -> Option<bool> {
        self.router
            .queue_stats(QueueId(rid(id)), Timestamp(0))
            .map(|s| s.open)
    }
    pub fn agent(&self, id: Uuid) -> Option<&AgentLive> {
        self.agents.get(&id)
    }
    pub fn agents(&self) -> impl Iterator<Item = &AgentLive> {
        self.agents.values()
    }
    pub fn contact(&self, id: Uuid) -> Option<&LiveContact> {
        self.contacts.get(&id)
    }
    pub fn contacts(&self) -> impl Iterator<Item = &LiveContact> {
        self.contacts.values()
    }
    /// Each queue's line now, on one channel or all: how many contacts wait and the
    /// longest wait in seconds (from when the contact was made, as customers count it),
    /// and which agents are on one of its contacts. One pass over the live contacts,
    /// for the wallboard and the alerts alike.
    pub fn lines(&self, channel: Option<Channel>, now: OffsetDateTime) -> HashMap<Uuid, Line> {
        let mut lines: HashMap<Uuid, Line> = HashMap::new();
        for c in self.contacts.values().map(|lc| &lc.contact) {
            let Some(q) = c.queue_id else { continue };
            match c.status {
                ContactStatus::Waiting if channel.is_none_or(|ch| c.channel == ch) => {
                    let l = lines.entry(q).or_default();
                    l.waiting += 1;
                    l.longest_wait_s = l
                        .longest_wait_s
                        .max((now - c.created_at).whole_seconds().max(0));
                }
                ContactStatus::Active | ContactStatus::Wrapup => {
                    if let Some(a) = c.agent_id {
                        lines.entry(q).or_default().on_contact.insert(a);
                    }
                }
                _ => {}
            }
        }
        lines
    }
    pub fn offer(&self, id: Uuid) -> Option<&Offer> {
        self.offers.get(&id)
    }
    pub fn offers(&self) -> impl Iterator<Item = &Offer> {
        self.offers.values()
    }
    /// The engine's view of an agent (state, load, presence).
    pub fn agent_snapshot(&self, id: Uuid) -> Option<routing::AgentSnapshot> {
        self.router.agent(AgentId(rid(id)))
    }
    pub fn next_timeout(&self) -> Option<OffsetDateTime> {
        self.router.next_timeout().map(time_of)
    }
    pub fn contact_uuid(&self, c: ContactId) -> Option<Uuid> {
        self.contact_ids.get(&c).copied()
    }
    pub fn agent_uuid(&self, a: AgentId) -> Option<Uuid> {
        self.agent_ids.get(&a).copied()
    }
    pub fn queue_uuid(&self, q: QueueId) -> Option<Uuid> {
        self.queue_ids.get(&q).copied()
    }

    /// Mutable access to a contact's mirror for changes the engine does not see
    /// (messages, reads, channel data). Its status is not changed here.
    /// The customer `id` is now: itself, or the one it was merged into (followed).
    pub fn current_customer(&self, mut id: Uuid) -> Uuid {
        for _ in 0..16 {
            match self.merged_customers.get(&id) {
                Some(next) => id = *next,
                None => break,
            }
        }
        id
    }

    pub fn contact_mut(&mut self, id: Uuid) -> Option<&mut LiveContact> {
        self.contacts.get_mut(&id)
    }

    /// The agent as the API shows them.
    pub fn agent_json(&self, id: Uuid) -> Option<Value> {
        let a = self.agents.get(&id)?;
        let snap = self.agent_snapshot(id);
        let (state, reason) = match snap.as_ref().map(|s| &s.presence) {
            Some(Presence::Available) => ("available", None),
            Some(Presence::Break { aux }) => ("break", Some(aux.clone())),
            Some(Presence::Missed) => ("missed", Some("missed offers".to_string())),
            Some(Presence::Offline) | None => ("offline", None),
        };
        let activity = match snap.as_ref().map(|s| &s.state) {
            Some(routing::AgentState::OnContact) => "on_contact",
            Some(routing::AgentState::AfterContactWork) => "after_contact_work",
            _ => state,
        };
        let held = snap.as_ref().map(|s| s.contacts.len()).unwrap_or(0);
        Some(json!({
            "id": a.user_id,
            "name": a.name,
            "state": state,
            "activity": activity,
            "reason": reason,
            "capacity": a.profile.capacity.chat,
            "capacity_by_channel": a.profile.capacity,
            "skills": a.profile.skills,
            "team": a.profile.team,
            "since": snap.as_ref().map(|s| wire::ts(time_of(s.presence_since))),
            "contacts": held,
            "missed_in_a_row": snap.as_ref().map(|s| s.consecutive_timeouts).unwrap_or(0),
        }))
    }

    /// 1-based place of a waiting contact in its queue, and a rough wait estimate.
    pub fn position(&self, contact: Uuid) -> Option<(usize, u64)> {
        let lc = self.contacts.get(&contact)?;
        if lc.contact.status != ContactStatus::Waiting {
            return None;
        }
        let p = self.router.position(ContactId(rid(contact)))? as usize;
        Some((p, self.estimate(lc.contact.queue_id, p)))
    }

    /// A chat takes about three minutes of an agent's slot; agents who can take the
    /// queue's contacts share the line.
    fn estimate(&self, queue: Option<Uuid>, position: usize) -> u64 {
        let serving = queue
            .and_then(|q| self.router.queue_stats(QueueId(rid(q)), Timestamp(0)))
            .map(|s| (s.agents_available + s.handling) as u64)
            .unwrap_or(0)
            .max(1);
        (position as u64 * 180).div_ceil(serving)
    }

    /// Position notes for the waiting customers of queues whose line changed since the
    /// last call (the timer task sends them; one sort per changed queue).
    pub fn position_notes(&mut self, notes: &mut Vec<Note>) {
        if self.dirty_queues.is_empty() {
            return;
        }
        let dirty: Vec<Uuid> = std::mem::take(&mut self.dirty_queues).into_iter().collect();
        for q in dirty {
            let line = self.router.waiting_in_order(QueueId(rid(q)));
            for (cid, p) in line {
                let Some(id) = self.contact_uuid(cid) else {
                    continue;
                };
                let pos = (p as usize, self.estimate(Some(q), p as usize));
                let Some(lc) = self.contacts.get_mut(&id) else {
                    continue;
                };
                if lc.position_sent == Some(pos) {
                    continue;
                }
                lc.position_sent = Some(pos);
                notes.push(Note::contact(
                    id,
                    "queue",
                    None,
                    json!({"position": pos.0, "estimated_wait_s": pos.1}),
                ));
            }
        }
    }

    /// Per-queue figures for supervisors.
    pub fn queue_stats(&self, now: OffsetDateTime) -> Value {
        let mut out = Vec::new();
        let mut queues: Vec<&QueueLive> = self.queues.values().collect();
        queues.sort_by_key(|q| q.id);
        for q in queues {
            let Some(s) = self.router.queue_stats(QueueId(rid(q.id)), ts(now)) else {
                continue;
            };
            out.push(json!({
                "queue_id": q.id, "name": q.name, "open": s.open,
                "waiting": s.waiting + s.offered, "offered": s.offered,
                "oldest_wait_s": s.longest_wait.0 / 1000,
                "active": s.handling, "agents_available": s.agents_available,
                "answered": s.answered, "answered_within_target": s.answered_within_threshold,
                "abandoned": s.abandoned, "expired": s.expired, "overflowed": s.overflowed,
                "service_level_percent": s.service_level_percent,
                "service_level_target_percent": s.service_level_target_percent,
            }));
        }
        json!({ "queues": out })
    }

    // ----- configuration -----

    /// Bring queues and agents in line with the configuration rows. Engine changes come
    /// back as effects to commit (their routing events).
    pub fn configure(
        &mut self,
        now: OffsetDateTime,
        queues: &[Object],
        agents: &[(Uuid, String, Option<AgentProfile>)],
        fx: &mut Effects,
    ) {
        let mut events = Vec::new();
        let t = ts(now);
        // Queues: create/replace, overflow targets after their sources exist.
        let mut wanted: BTreeMap<Uuid, QueueLive> = BTreeMap::new();
        for o in queues {
            let settings: QueueSettings =
                serde_json::from_value(o.data.clone()).unwrap_or_default();
            wanted.insert(
                o.id,
                QueueLive {
                    id: o.id,
                    name: o.name.clone(),
                    settings,
                },
            );
        }
        for q in wanted.values() {
            self.queue_ids.insert(QueueId(rid(q.id)), q.id);
        }
        // Two passes: first without overflow (targets may not exist yet), then with.
        for pass in 0..2 {
            for q in wanted.values() {
                let mut config = q.settings.engine_config();
                if pass == 0 {
                    if self.router.queue_stats(QueueId(rid(q.id)), t).is_some() {
                        continue;
                    }
                    config.overflow = None;
                } else if config
                    .overflow
                    .is_some_and(|o| self.router.queue_stats(o, t).is_none())
                {
                    config.overflow = None;
                }
                let unchanged = pass == 1
                    && self
                        .router
                        .queue_config(QueueId(rid(q.id)))
                        .is_some_and(|c| *c == config);
                if unchanged {
                    continue;
                }
                match self.router.handle(
                    t,
                    Command::ConfigureQueue {
                        queue: QueueId(rid(q.id)),
                        config,
                    },
                ) {
                    Ok(evs) => events.extend(evs),
                    Err(e) => tracing::warn!(queue = %q.id, error = %e, "queue not applied"),
                }
            }
        }
        let gone: Vec<Uuid> = self
            .queues
            .keys()
            .filter(|id| !wanted.contains_key(id))
            .copied()
            .collect();
        for id in gone {
            match self.router.handle(
                t,
                Command::RemoveQueue {
                    queue: QueueId(rid(id)),
                },
            ) {
                Ok(evs) => events.extend(evs),
                Err(e) => tracing::warn!(queue = %id, error = %e, "queue kept"),
            }
        }
        self.queues = wanted.into_iter().collect();

        // Agents.
        let mut seen = HashSet::new();
        for (id, name, profile) in agents {
            seen.insert(*id);
            let aid = AgentId(rid(*id));
            self.agent_ids.insert(aid, *id);
            let profile = profile.clone().unwrap_or_default();
            let config = profile.engine_config();
            let same = self.router.agent(aid).is_some_and(|s| s.config == config);
            if !same {
                match self
                    .router
                    .handle(t, Command::ConfigureAgent { agent: aid, config })
                {
                    Ok(evs) => events.extend(evs),
                    Err(e) => tracing::warn!(agent = %id, error = %e, "agent not applied"),
                }
            }
            self.agents.insert(
                *id,
                AgentLive {
                    user_id: *id,
                    name: name.clone(),
                    profile,
                },
            );
        }
        let gone: Vec<Uuid> = self
            .agents
            .keys()
            .filter(|id| !seen.contains(id))
            .copied()
            .collect();
        for id in gone {
            let aid = AgentId(rid(id));
            // A removed or disabled agent first goes offline (offers go back).
            let off = self.router.handle(
                t,
                Command::SetPresence {
                    agent: aid,
                    presence: Presence::Offline,
                },
            );
            if let Ok(evs) = off {
                events.extend(evs);
            }
            // Still holding contacts: kept (offline) until they end.
            if let Ok(evs) = self.router.handle(t, Command::RemoveAgent { agent: aid }) {
                events.extend(evs);
                self.agents.remove(&id);
            }
        }
        self.absorb(now, Actor::System, events, fx);
    }

    // ----- commands -----

    /// Run one engine command and absorb its events into the mirror and `fx`.
    pub fn command(
        &mut self,
        now: OffsetDateTime,
        actor: Actor,
        command: Command,
        fx: &mut Effects,
    ) -> Result<(), crate::ApiError> {
        let events = self.router.handle(ts(now), command).map_err(routing_err)?;
        self.absorb(now, actor, events, fx);
        Ok(())
    }

    /// Track a new contact and enqueue it.
    pub fn enqueue(
        &mut self,
        now: OffsetDateTime,
        actor: Actor,
        contact: Contact,
        attributes: BTreeMap<String, String>,
        preferred: Option<(Uuid, i64)>,
        fx: &mut Effects,
    ) -> Result<(), crate::ApiError> {
        let lc = LiveContact {
            contact,
            offer: None,
            client_ids: HashMap::new(),
            position_sent: None,
        };
        self.route_in(now, actor, lc, attributes, preferred, None, fx)
    }

    /// Track a new contact that starts with the answer bot: open, in no queue.
    pub fn track_bot(&mut self, contact: Contact) {
        self.bots.insert(contact.id);
        self.contacts.insert(
            contact.id,
            LiveContact {
                contact,
                offer: None,
                client_ids: HashMap::new(),
                position_sent: None,
            },
        );
    }

    /// Put a contact the answer bot hands over into its queue (waiting, routed now),
    /// its place in line counting from `since` when given. Refused, changing nothing,
    /// when it is not with the bot or the queue is closed.
    #[allow(clippy::too_many_arguments)]
    pub fn hand_over(
        &mut self,
        now: OffsetDateTime,
        actor: Actor,
        id: Uuid,
        attributes: BTreeMap<String, String>,
        preferred: Option<(Uuid, i64)>,
        since: Option<OffsetDateTime>,
        fx: &mut Effects,
    ) -> Result<(), crate::ApiError> {
        let Some(lc) = self
            .contacts
            .get(&id)
            .filter(|lc| lc.contact.status == ContactStatus::Bot)
        else {
            return Err(crate::ApiError::conflict("the contact is not with the bot"));
        };
        let mut lc = lc.clone();
        lc.contact.status = ContactStatus::Waiting;
        lc.contact.enqueued_at = now;
        lc.contact.updated_at = now;
        fx.changes.push(Change::PutContact(lc.contact.clone()));
        self.route_in(now, actor, lc, attributes, preferred, since, fx)?;
        self.bots.remove(&id);
        Ok(())
    }

    /// Enqueue a contact in the engine and track it; nothing changes when the engine
    /// refuses it.
    #[allow(clippy::too_many_arguments)]
    fn route_in(
        &mut self,
        now: OffsetDateTime,
        actor: Actor,
        lc: LiveContact,
        attributes: BTreeMap<String, String>,
        preferred: Option<(Uuid, i64)>,
        since: Option<OffsetDateTime>,
        fx: &mut Effects,
    ) -> Result<(), crate::ApiError> {
        let contact = &lc.contact;
        let queue = contact
            .queue_id
            .ok_or_else(|| crate::ApiError::invalid("queue_id: required"))?;
        let cid = ContactId(rid(contact.id));
        let mut nc = NewContact::new(cid, QueueId(rid(queue)), routing_channel(contact.channel));
        // A contact's own priority comes with it as the attribute `priority` (0–100),
        // e.g. set by a contact flow.
        nc.priority = attributes
            .get("priority")
            .and_then(|p| p.parse::<u8>().ok())
            .map_or(0, |p| p.min(100));
        nc.attributes = attributes;
        nc.preferred_agent = preferred
            .filter(|(a, s)| *s > 0 && self.agents.contains_key(a))
            .map(|(a, s)| routing::PreferredAgent {
                agent: AgentId(rid(a)),
                wait: Some(secs(s)),
            });
        nc.waiting_since = since.map(ts);
        let events = self
            .router
            .handle(ts(now), Command::Enqueue(nc))
            .map_err(routing_err)?;
        self.contact_ids.insert(cid, contact.id);
        self.dirty_queues.insert(queue);
        self.contacts.insert(contact.id, lc);
        self.absorb(now, actor, events, fx);
        Ok(())
    }

    /// Contacts with the answer bot silent for longer than their record allows, due to
    /// close at `now`.
    pub fn idle_bots(&self, now: OffsetDateTime) -> Vec<Uuid> {
        self.bots
            .iter()
            .filter_map(|id| self.contacts.get(id))
            .filter(|lc| {
                let idle = crate::bot::BotRecord::of(&lc.contact)
                    .map(|r| r.idle_s)
                    .filter(|s| *s > 0)
                    .unwrap_or(1800);
                lc.contact.updated_at + time::Duration::seconds(idle) <= now
            })
            .map(|lc| lc.contact.id)
            .collect()
    }

    /// Close a contact's row and stop tracking it (wrap-up submitted, or it ended while
    /// nobody held it).
    pub fn close(
        &mut self,
        now: OffsetDateTime,
        actor: Actor,
        id: Uuid,
        how: Closing,
        fx: &mut Effects,
    ) -> Option<Contact> {
        let Closing {
            code,
            notes: notes_text,
            reason,
        } = how;
        let lc = self.contacts.get_mut(&id)?;
        let c = &mut lc.contact;
        c.status = ContactStatus::Closed;
        c.ended_at.get_or_insert(now);
        c.closed_at = Some(now);
        if code.is_some() {
            c.wrapup_code = code.clone();
            c.wrapup_notes = notes_text;
        }
        c.updated_at = now;
        let c = c.clone();
        fx.changes.push(Change::PutContact(c.clone()));
        fx.changes.push(
            LiveEvent::ContactClosed {
                contact_id: id,
                code,
                reason: reason.to_string(),
                channel: Some(c.channel),
                queue_id: c.queue_id,
            }
            .change(self.org, now, actor),
        );
        contact_note(&c, &mut fx.notes);
        self.forget(id);
        Some(c)
    }

    fn forget(&mut self, id: Uuid) {
        self.bots.remove(&id);
        if let Some(lc) = self.contacts.remove(&id) {
            if let Some(o) = lc.offer {
                self.offers.remove(&o);
            }
            if let Some(q) = lc.contact.queue_id {
                self.dirty_queues.insert(q);
            }
        }
        // The engine id stays mapped while the engine may still mention it.
        if self.router.contact(ContactId(rid(id))).is_none() {
            self.contact_ids.remove(&ContactId(rid(id)));
        }
    }

    /// Turn engine events into mirror changes, row writes, the log record and notes.
    fn absorb(
        &mut self,
        now: OffsetDateTime,
        actor: Actor,
        events: Vec<routing::Event>,
        fx: &mut Effects,
    ) {
        if events.is_empty() {
            return;
        }
        let org = self.org;
        let mut changed: BTreeSet<Uuid> = BTreeSet::new();
        let mut closed: Vec<(Uuid, &'static str)> = Vec::new();
        let mut offer_ids = Vec::new();
        let mut later: Vec<Change> = Vec::new();
        for e in &events {
            self.wallboard.apply(e);
            match &e.kind {
                EventKind::ContactOffered {
                    contact,
                    agent,
                    expires_at,
                    explanation,
                } => {
                    let id = store::new_id();
                    offer_ids.push(id);
                    let (Some(cid), Some(aid)) =
                        (self.contact_uuid(*contact), self.agent_uuid(*agent))
                    else {
                        continue;
                    };
                    let Some(lc) = self.contacts.get_mut(&cid) else {
                        continue;
                    };
                    let offer = Offer {
                        id,
                        contact_id: cid,
                        agent_id: aid,
                        queue_id: lc.contact.queue_id,
                        created_at: now,
                        expires_at: time_of(*expires_at),
                        explanation: explanation.to_string(),
                        why: serde_json::to_value(explanation).unwrap_or(Value::Null),
                    };
                    lc.offer = Some(id);
                    if let Some(q) = lc.contact.queue_id {
                        self.dirty_queues.insert(q);
                    }
                    self.decisions += 1;
                    fx.notes.push(Note::user(
                        aid,
                        "offer",
                        json!({"offer": offer, "contact": wire::contact(&lc.contact)}),
                    ));
                    fx.notes
                        .push(Note::supervisors(org, "offer", json!({"offer": offer})));
                    self.offers.insert(id, offer);
                }
                EventKind::OfferAccepted { contact, agent } => {
                    let (Some(cid), Some(aid)) =
                        (self.contact_uuid(*contact), self.agent_uuid(*agent))
                    else {
                        continue;
                    };
                    let name = self.agents.get(&aid).map(|a| a.name.clone());
                    if let Some(lc) = self.contacts.get_mut(&cid) {
                        if let Some(o) = lc.offer.take() {
                            self.offers.remove(&o);
                        }
                        let c = &mut lc.contact;
                        c.status = ContactStatus::Active;
                        c.agent_id = Some(aid);
                        c.accepted_at = Some(now);
                        c.updated_at = now;
                        changed.insert(cid);
                        fx.notes.push(Note::contact(
                            cid,
                            "agent_joined",
                            None,
                            json!({"agent_name": name}),
                        ));
                    }
                }
                EventKind::OfferDeclined {
                    contact,
                    agent,
                    reason,
                } => {
                    let (Some(cid), Some(aid)) =
                        (self.contact_uuid(*contact), self.agent_uuid(*agent))
                    else {
                        continue;
                    };
                    if let Some(lc) = self.contacts.get_mut(&cid)
                        && let Some(o) = lc.offer.take()
                    {
                        self.offers.remove(&o);
                        if let Some(q) = lc.contact.queue_id {
                            self.dirty_queues.insert(q);
                        }
                        let why = match reason {
                            routing::DeclineReason::Rejected => "declined",
                            routing::DeclineReason::TimedOut => "timeout",
                            routing::DeclineReason::Withdrawn => "state",
                        };
                        fx.notes.push(Note::user(
                            aid,
                            "offer_revoked",
                            json!({"offer_id": o, "contact_id": cid, "reason": why}),
                        ));
                    }
                }
                EventKind::ContactRequeued { contact, agent } => {
                    let Some(cid) = self.contact_uuid(*contact) else {
                        continue;
                    };
                    if let Some(lc) = self.contacts.get_mut(&cid) {
                        let c = &mut lc.contact;
                        c.status = ContactStatus::Waiting;
                        c.agent_id = None;
                        c.accepted_at = None;
                        c.updated_at = now;
                        changed.insert(cid);
                        if let Some(a) = self.agent_ids.get(agent) {
                            fx.notes.push(Note::user(*a, "contact", wire::contact(c)));
                        }
                    }
                }
                EventKind::ContactTransferred {
                    contact,
                    from_agent,
                    to,
                } => {
                    let Some(cid) = self.contact_uuid(*contact) else {
                        continue;
                    };
                    let to_queue = match to {
                        routing::TransferTarget::Queue(q) => self.queue_uuid(*q),
                        routing::TransferTarget::Agent(_) => None,
                    };
                    if let Some(lc) = self.contacts.get_mut(&cid) {
                        let c = &mut lc.contact;
                        if let Some(q) = c.queue_id {
                            self.dirty_queues.insert(q);
                        }
                        c.status = ContactStatus::Waiting;
                        c.agent_id = None;
                        c.accepted_at = None;
                        c.updated_at = now;
                        if let Some(q) = to_queue {
                            c.queue_id = Some(q);
                            self.dirty_queues.insert(q);
                        }
                        changed.insert(cid);
                        if let Some(a) = from_agent.and_then(|a| self.agent_ids.get(&a)) {
                            fx.notes.push(Note::user(*a, "contact", wire::contact(c)));
                        }
                    }
                }
                EventKind::ContactOverflowed { contact, to, .. } => {
                    let (Some(cid), Some(q)) = (self.contact_uuid(*contact), self.queue_uuid(*to))
                    else {
                        continue;
                    };
                    if let Some(lc) = self.contacts.get_mut(&cid) {
                        if let Some(old) = lc.contact.queue_id {
                            self.dirty_queues.insert(old);
                        }
                        lc.contact.queue_id = Some(q);
                        lc.contact.updated_at = now;
                        self.dirty_queues.insert(q);
                        changed.insert(cid);
                    }
                }
                EventKind::ContactPriorityChanged { contact, priority } => {
                    let Some(cid) = self.contact_uuid(*contact) else {
                        continue;
                    };
                    if let Some(lc) = self.contacts.get_mut(&cid) {
                        // Kept on the row too, so the API and the console show it.
                        if let Value::Object(d) = &mut lc.contact.data {
                            d.insert("priority".into(), json!(priority));
                        }
                        lc.contact.updated_at = now;
                        if let Some(q) = lc.contact.queue_id {
                            self.dirty_queues.insert(q);
                        }
                        changed.insert(cid);
                    }
                }
                EventKind::ContactExpired { contact, .. } => {
                    if let Some(cid) = self.contact_uuid(*contact) {
                        closed.push((cid, "expired"));
                    }
                }
                EventKind::ContactAbandoned { contact, .. } => {
                    if let Some(cid) = self.contact_uuid(*contact) {
                        closed.push((cid, "abandoned"));
                    }
                }
                EventKind::AgentPresenceChanged { agent, presence } => {
                    let Some(aid) = self.agent_uuid(*agent) else {
                        continue;
                    };
                    let (state, reason) = match presence {
                        Presence::Available => ("available", None),
                        Presence::Break { aux } => ("break", Some(aux.clone())),
                        Presence::Offline => ("offline", None),
                        // Missed offers take the agent out of routing like a break.
                        Presence::Missed => ("break", Some("missed offers".to_string())),
                    };
                    later.push(
                        LiveEvent::AgentState {
                            agent_id: aid,
                            state: state.into(),
                            reason,
                        }
                        .change(org, now, actor),
                    );
                }
                EventKind::ContactStepChanged { .. }
                | EventKind::ContactCompleted { .. }
                | EventKind::ContactWrappedUp { .. }
                | EventKind::QueueConfigured { .. }
                | EventKind::QueueRemoved { .. }
                | EventKind::QueueOpenChanged { .. }
                | EventKind::AgentConfigured { .. }
                | EventKind::AgentRemoved { .. }
                | EventKind::ContactEnqueued { .. } => {}
                #[allow(unreachable_patterns)]
                _ => {}
            }
        }
        // Agents whose load or presence changed: tell them and supervisors.
        let mut touched: BTreeSet<Uuid> = BTreeSet::new();
        for e in &events {
            let a = match &e.kind {
                EventKind::ContactOffered { agent, .. }
                | EventKind::OfferAccepted { agent, .. }
                | EventKind::OfferDeclined { agent, .. }
                | EventKind::ContactCompleted { agent, .. }
                | EventKind::ContactWrappedUp { agent, .. }
                | EventKind::ContactRequeued { agent, .. }
                | EventKind::AgentPresenceChanged { agent, .. } => Some(*agent),
                EventKind::ContactTransferred { from_agent, .. } => *from_agent,
                _ => None,
            };
            if let Some(aid) = a.and_then(|a| self.agent_uuid(a)) {
                touched.insert(aid);
            }
        }
        fx.changes
            .push(LiveEvent::Routing { events, offer_ids }.change(org, now, actor));
        fx.changes.append(&mut later);
        for cid in changed {
            if let Some(lc) = self.contacts.get(&cid) {
                fx.changes.push(Change::PutContact(lc.contact.clone()));
                contact_note(&lc.contact, &mut fx.notes);
            }
        }
        for (cid, reason) in closed {
            if reason == "expired" {
                // The customer waited the queue's longest wait with nowhere to go.
                fx.notes.push(Note::contact(
                    cid,
                    "ended",
                    None,
                    json!({"contact_id": cid, "by": "system", "reason": reason}),
                ));
            }
            self.close(now, actor, cid, Closing::because(reason), fx);
        }
        for aid in touched {
            if let Some(aj) = self.agent_json(aid) {
                fx.notes.push(Note::user(aid, "agent_state", aj.clone()));
                fx.notes.push(Note::supervisors(org, "agent_state", aj));
            }
        }
    }

    // ----- restart -----

    /// Rebuild from what is durable: the routing log (in order) and the rows. Makes no
    /// decision; the caller runs `Command::Reroute` afterwards.
    pub fn restore(
        org: Uuid,
        log: Vec<store::Event>,
        queues: &[Object],
        agents: &[(Uuid, String, Option<AgentProfile>)],
        open: Vec<Contact>,
        client_ids: Vec<(Uuid, String, i64)>,
    ) -> Result<(OrgLive, RestoreReport), String> {
        let mut o = OrgLive::new(org);
        let mut report = RestoreReport::default();
        let mut offer_of: HashMap<ContactId, Uuid> = HashMap::new();
        // What the log said of each offer: when it was made, and why.
        let mut offer_info: HashMap<Uuid, (Timestamp, routing::Explanation)> = HashMap::new();
        for e in &log {
            let Some((_, LiveEvent::Routing { events, offer_ids })) = LiveEvent::parse(e) else {
                continue;
            };
            let mut ids = offer_ids.into_iter();
            for ev in &events {
                o.router
                    .apply(ev)
                    .map_err(|err| format!("routing log seq {}: {err}", e.seq))?;
                o.wallboard.apply(ev);
                report.routing_events += 1;
                if let EventKind::ContactOffered {
                    contact,
                    explanation,
                    ..
                } = &ev.kind
                    && let Some(id) = ids.next()
                {
                    offer_of.insert(*contact, id);
                    offer_info.insert(id, (ev.at, explanation.clone()));
                }
            }
        }
        // Names and ids of everything the rows know.
        for q in queues {
            o.queue_ids.insert(QueueId(rid(q.id)), q.id);
            let settings = serde_json::from_value(q.data.clone()).unwrap_or_default();
            o.queues.insert(
                q.id,
                QueueLive {
                    id: q.id,
                    name: q.name.clone(),
                    settings,
                },
            );
        }
        for (id, name, profile) in agents {
            o.agent_ids.insert(AgentId(rid(*id)), *id);
            o.agents.insert(
                *id,
                AgentLive {
                    user_id: *id,
                    name: name.clone(),
                    profile: profile.clone().unwrap_or_default(),
                },
            );
        }
        let mut by_contact: HashMap<Uuid, HashMap<String, i64>> = HashMap::new();
        for (c, cid, seq) in client_ids {
            by_contact.entry(c).or_default().insert(cid, seq);
        }
        for c in open {
            let cid = ContactId(rid(c.id));
            o.contact_ids.insert(cid, c.id);
            let snap = o.router.contact(cid);
            let offer = match snap.as_ref().map(|s| &s.status) {
                Some(routing::ContactStatus::Offered { agent, expires_at }) => {
                    let id = offer_of.get(&cid).copied().unwrap_or_else(store::new_id);
                    let agent_id = o.agent_ids.get(agent).copied();
                    agent_id.map(|agent_id| {
                        o.offers.insert(
                            id,
                            Offer {
                                id,
                                contact_id: c.id,
                                agent_id,
                                queue_id: c.queue_id,
                                created_at: time_of(*expires_at),
                                expires_at: time_of(*expires_at),
                                explanation: String::new(),
                                why: Value::Null,
                            },
                        );
                        id
                    })
                }
                _ => None,
            };
            if snap.is_none() && c.status == ContactStatus::Waiting {
                report.requeued.push(c.id);
            }
            if c.status == ContactStatus::Bot {
                o.bots.insert(c.id);
            }
            if let Some(q) = c.queue_id {
                o.dirty_queues.insert(q);
            }
            o.contacts.insert(
                c.id,
                LiveContact {
                    client_ids: by_contact.remove(&c.id).unwrap_or_default(),
                    contact: c,
                    offer,
                    position_sent: None,
                },
            );
        }
        // Offers keep what the log said about them (when, and why).
        for off in o.offers.values_mut() {
            if let Some((at, explanation)) = offer_info.remove(&off.id) {
                off.explanation = explanation.to_string();
                off.why = serde_json::to_value(&explanation).unwrap_or(Value::Null);
                off.created_at = time_of(at);
            }
        }
        Ok((o, report))
    }

    /// Enqueue again the open waiting contacts the log did not know (see
    /// [`RestoreReport::requeued`]), and route.
    pub fn settle(&mut self, now: OffsetDateTime, requeued: &[Uuid], fx: &mut Effects) {
        for id in requeued {
            let Some(lc) = self.contacts.get(id) else {
                continue;
            };
            let Some(q) = lc.contact.queue_id.filter(|q| self.queues.contains_key(q)) else {
                continue;
            };
            let nc = NewContact::new(
                ContactId(rid(*id)),
                QueueId(rid(q)),
                routing_channel(lc.contact.channel),
            );
            match self.router.handle(ts(now), Command::Enqueue(nc)) {
                Ok(evs) => self.absorb(now, Actor::System, evs, fx),
                Err(e) => tracing::warn!(contact = %id, error = %e, "open contact not requeued"),
            }
        }
        if let Ok(evs) = self.router.handle(ts(now), Command::Reroute) {
            self.absorb(now, Actor::System, evs, fx);
        }
    }

    /// Fire due timers (offer timeouts, step relaxation, overflow, after-contact work),
    /// and open or close queues by their business hours.
    pub fn tick(&mut self, now: OffsetDateTime, fx: &mut Effects) {
        if self.next_timeout().is_some_and(|t| t <= now) {
            let _ = self.command(now, Actor::System, Command::Tick, fx);
        }
        self.apply_hours(now, fx);
        for id in self.idle_bots(now) {
            let reason = self
                .contacts
                .get(&id)
                .and_then(|lc| crate::bot::BotRecord::of(&lc.contact))
                .unwrap_or_default()
                .closing();
            fx.changes.push(
                LiveEvent::BotClosed {
                    contact_id: id,
                    reason: reason.into(),
                }
                .change(self.org, now, Actor::System),
            );
            self.close(now, Actor::System, id, Closing::because(reason), fx);
        }
    }

    /// Replace the business hours (from their objects), then apply them.
    pub fn set_hours(&mut self, now: OffsetDateTime, objects: &[Object], fx: &mut Effects) {
        self.hours = objects
            .iter()
            .filter_map(|o| Hours::from_object(o).map(|h| (o.id, h)))
            .collect();
        self.apply_hours(now, fx);
    }

    /// Whether some queue's open state differs from what its business hours say now.
    pub fn hours_due(&self, now: OffsetDateTime) -> bool {
        self.queues
            .values()
            .any(|q| self.hours_change(q, now).is_some())
    }

    fn hours_change(&self, q: &QueueLive, now: OffsetDateTime) -> Option<bool> {
        let wanted = match q.settings.business_hours_id {
            Some(h) => self.hours.get(&h)?.open_at(now),
            None => true,
        };
        let open = self.router.queue_stats(QueueId(rid(q.id)), ts(now))?.open;
        (open != wanted).then_some(wanted)
    }

    fn apply_hours(&mut self, now: OffsetDateTime, fx: &mut Effects) {
        let mut changes: Vec<(Uuid, bool)> = self
            .queues
            .values()
            .filter_map(|q| self.hours_change(q, now).map(|open| (q.id, open)))
            .collect();
        changes.sort();
        for (q, open) in changes {
            let _ = self.command(
                now,
                Actor::System,
                Command::SetQueueOpen {
                    queue: QueueId(rid(q)),
                    open,
                },
                fx,
            );
        }
    }

    /// Semantic state for tests: the engine's snapshot.
    pub fn snapshot(&self, now: OffsetDateTime) -> routing::Snapshot {
        self.router.snapshot(ts(now))
    }
}

/// Tell the agent and supervisors about a contact row change.
pub fn contact_note(c: &Contact, notes: &mut Vec<Note>) {
    let v = wire::contact(c);
    if let Some(agent) = c.agent_id {
        notes.push(Note::user(agent, "contact", v.clone()));
    }
    notes.push(Note::supervisors(c.org_id, "contact", v));
}
