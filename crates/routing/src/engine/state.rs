//! The engine's state and the one function that changes it: [`State::apply`].
//!
//! Everything a live engine knows is changed here and only here, from events. The
//! decision code (`decide.rs`) reads the state, chooses, and emits events that come
//! back through `apply`. That is what makes "rebuild from the log equals the live
//! state" true by construction rather than by care.
//!
//! ## Indexes
//!
//! * **Agent groups.** Each routing step's target, with the contact's own conditions
//!   substituted (see `expr::Compiled::residual`), is an agent-only expression. Every
//!   distinct (expression, selection) pair is one *group* holding, per channel, the set
//!   of its member agents who can take one more contact on that channel, ordered by
//!   the selection key; and, per channel, the set of contacts waiting for it, ordered
//!   by (rank, arrival sequence). A contact-side decision is one ordered-set lookup;
//!   an agent-side decision peeks the head of each group the agent belongs to.
//! * **Preferred sets.** Contacts waiting for one specific agent (preferred agent,
//!   transfer to agent) sit in that agent's own per-channel sets.
//! * **Timers.** Per timer kind, one ordered set of (deadline, contact): each contact
//!   has at most one live entry per kind; a waiting contact has one for the earlier of
//!   its step deadline and maximum wait, and one for its earliest decline expiry.
//! * **Queue order.** Per queue, waiting contacts by time entered (stats, positions).
use super::slab::{FxMap, Slab};
use super::sorted::SortedDeque;
use crate::event::{DeclineReason, Event, EventKind};
use crate::expr::{AgentExpr, Compiled, ContactView, Expr};
use crate::ids::{AgentId, ContactId, Millis, QueueId, Timestamp};
use crate::model::{
    AgentConfig, Channel, Level, PreferredAgent, Presence, QueueConfig, Selection, TransferTarget,
};
use std::collections::{BTreeMap, VecDeque};

pub(crate) const NONE: u32 = u32::MAX;
/// The highest effective priority (queue priority + contact priority).
const MAX_PRIORITY: u64 = 2 * u8::MAX as u64;

/// Contacts in a waiting set: (rank, arrival sequence, contact handle).
pub(crate) type CKey = (u64, u64, u32);
/// Agents in an availability set: (selection key, ready since, agent handle).
pub(crate) type AKey = (u64, u64, u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TimerKind {
    Offer,
    Phase,
    MaxWait,
    WrapUp,
    /// The earliest of a waiting contact's decline cool-offs ends.
    Decline,
}

/// Why an event could not be applied (only a corrupt or foreign log does this).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("event does not fit the state: {0}")]
pub struct ApplyError(pub String);

fn inconsistent(what: impl std::fmt::Display) -> ApplyError {
    ApplyError(what.to_string())
}

// ---------------------------------------------------------------------------------------

/// What an agent's entries in the group sets were computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Indexed {
    pub(crate) free: u8,
    pub(crate) ready_since: Timestamp,
    pub(crate) load_total: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Member {
    pub(crate) group: u32,
    pub(crate) score: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Agent {
    pub(crate) id: AgentId,
    pub(crate) config: AgentConfig,
    /// Interned skills, sorted by skill id.
    pub(crate) skills: Vec<(u32, Level)>,
    pub(crate) limits: [u8; Channel::COUNT],
    pub(crate) max_total: u16,
    /// Channels blocked while at least one contact on channel i is held.
    pub(crate) block: [u8; Channel::COUNT],
    pub(crate) presence: Presence,
    pub(crate) presence_since: Timestamp,
    /// Latest of: became available, last offer, last slot freed.
    pub(crate) ready_since: Timestamp,
    /// Held contacts per channel (offered, active, wrap-up).
    pub(crate) load: [u8; Channel::COUNT],
    /// Held contact handles, in the order they were offered.
    pub(crate) held: Vec<u32>,
    /// Offers timed out since the agent last accepted or became available.
    pub(crate) timeouts: u32,
    /// Offers timed out or rejected since then.
    pub(crate) unanswered: u32,
    pub(crate) groups: Vec<Member>,
    pub(crate) indexed: Indexed,
    /// Contacts waiting for this agent only, by (channel index, key). One set for all
    /// channels keeps the agent small; it is usually empty.
    pub(crate) preferred: SortedDeque<(u8, CKey)>,
}

impl Agent {
    pub(crate) fn load_total(&self) -> u16 {
        self.load.iter().map(|&l| u16::from(l)).sum()
    }

    /// Channels on which the agent can take one more contact now.
    pub(crate) fn free_mask(&self) -> u8 {
        if self.presence != Presence::Available || self.load_total() >= self.max_total {
            return 0;
        }
        let mut blocked = 0u8;
        let mut free = 0u8;
        for ch in 0..Channel::COUNT {
            if self.load[ch] > 0 {
                blocked |= self.block[ch];
            }
        }
        for ch in 0..Channel::COUNT {
            if self.load[ch] < self.limits[ch] && blocked & (1 << ch) == 0 {
                free |= 1 << ch;
            }
        }
        free
    }

    fn set_config(&mut self, config: &AgentConfig, skills: Vec<(u32, Level)>) {
        let cap = &config.capacity;
        self.limits = Channel::ALL.map(|c| cap.limit(c));
        self.max_total = cap.max_total.map(u16::from).unwrap_or(u16::MAX);
        self.block = [0; Channel::COUNT];
        for rule in &cap.rules {
            for b in &rule.blocks {
                self.block[rule.while_handling.index()] |= b.bit();
            }
        }
        self.skills = skills;
        self.config = config.clone();
    }

    pub(crate) fn score(&self, group: u32) -> u16 {
        self.groups
            .iter()
            .find(|m| m.group == group)
            .map(|m| m.score)
            .unwrap_or(0)
    }
}

pub(crate) fn agent_key(selection: Selection, score: u16, ix: &Indexed, agent: u32) -> AKey {
    let primary = match selection {
        Selection::LongestIdle => 0,
        Selection::MostSkilled => u64::from(u16::MAX - score),
        Selection::LeastOccupied => u64::from(ix.load_total),
    };
    (primary, ix.ready_since.0, agent)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Group {
    pub(crate) expr: AgentExpr,
    pub(crate) selection: Selection,
    /// Skills the most-skilled score sums.
    pub(crate) skills: Vec<u32>,
    pub(crate) members: u32,
    /// Members with at least one free channel.
    pub(crate) free_agents: u32,
    /// Channels some contact has waited on in this group. Availability sets are kept
    /// for these channels only (a group usually serves one channel); a channel is
    /// added, and its set filled from the members, when its first contact arrives.
    pub(crate) channels: u8,
    pub(crate) avail: [SortedDeque<AKey>; Channel::COUNT],
    pub(crate) waiting: [SortedDeque<CKey>; Channel::COUNT],
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    pub(crate) compiled: Compiled,
    /// The target as configured, shared with every offer's explanation.
    pub(crate) target: std::sync::Arc<str>,
    /// Contact-condition mask → group. One entry when the target ignores the contact.
    pub(crate) groups: Vec<(u64, u32)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    pub(crate) answered: u64,
    pub(crate) answered_in_sl: u64,
    pub(crate) abandoned: u64,
    pub(crate) expired: u64,
    pub(crate) overflowed: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Queue {
    pub(crate) id: QueueId,
    pub(crate) config: QueueConfig,
    pub(crate) steps: Vec<Step>,
    pub(crate) open: bool,
    /// Waiting contacts by (time entered, sequence).
    pub(crate) waiting: SortedDeque<(Timestamp, u64, u32)>,
    /// The same contacts in the order they would be served: (rank, sequence), the
    /// waiting sets' key. A contact's place in line is its index here.
    pub(crate) line: SortedDeque<CKey>,
    /// Contacts in this queue in any state.
    pub(crate) contacts: u32,
    pub(crate) offered: u32,
    pub(crate) counters: Counters,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Only this agent (handle) qualifies.
    Preferred(u32),
    /// Policy step k.
    Step(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Waiting {
    pub(crate) rank: u64,
    /// The group whose waiting set holds it (`NONE` in the preferred phase).
    pub(crate) group: u32,
    pub(crate) phase_deadline: Option<Timestamp>,
    pub(crate) max_wait_deadline: Option<Timestamp>,
    /// When the earliest of its declines expires (its `TimerKind::Decline` entry).
    pub(crate) decline_deadline: Option<Timestamp>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CState {
    /// Transient, only inside `apply`.
    Limbo,
    Waiting(Waiting),
    Offered {
        agent: u32,
        expires_at: Timestamp,
    },
    Active {
        agent: u32,
        since: Timestamp,
    },
    WrapUp {
        agent: u32,
        until: Option<Timestamp>,
    },
}

impl Waiting {
    /// The earlier of the step deadline and the maximum wait (the step first on a tie,
    /// as `TimerKind` orders them): the one with a timer entry. The later one gets its
    /// entry when the earlier has fired and the contact waits on (a step change
    /// re-enters the waiting sets).
    pub(crate) fn deadline(&self) -> Option<(Timestamp, TimerKind)> {
        let phase = self.phase_deadline.map(|t| (t, TimerKind::Phase));
        let max_wait = self.max_wait_deadline.map(|t| (t, TimerKind::MaxWait));
        match (phase, max_wait) {
            (Some(p), Some(m)) => Some(p.min(m)),
            (p, m) => p.or(m),
        }
    }
}

impl CState {
    /// The one deadline a contact in this state has a live timer entry for.
    pub(crate) fn deadline(&self) -> Option<(Timestamp, TimerKind)> {
        match *self {
            CState::Waiting(w) => w.deadline(),
            CState::Offered { expires_at, .. } => Some((expires_at, TimerKind::Offer)),
            CState::WrapUp { until, .. } => until.map(|t| (t, TimerKind::WrapUp)),
            CState::Limbo | CState::Active { .. } => None,
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            CState::Limbo => "limbo",
            CState::Waiting(_) => "waiting",
            CState::Offered { .. } => "offered",
            CState::Active { .. } => "active",
            CState::WrapUp { .. } => "in wrap-up",
        }
    }
    pub(crate) fn agent(&self) -> Option<u32> {
        match *self {
            CState::Offered { agent, .. }
            | CState::Active { agent, .. }
            | CState::WrapUp { agent, .. } => Some(agent),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Contact {
    pub(crate) id: ContactId,
    pub(crate) queue: u32,
    pub(crate) channel: Channel,
    pub(crate) priority: u8,
    pub(crate) attributes: BTreeMap<String, String>,
    pub(crate) preferred: Option<PreferredAgent>,
    pub(crate) enqueued_at: Timestamp,
    pub(crate) queue_entered_at: Timestamp,
    pub(crate) seq: u64,
    pub(crate) phase: Phase,
    pub(crate) phase_started: Timestamp,
    /// Agents who declined it (or requeued it) during this queue visit and whose
    /// cool-off has not yet expired (by a `DeclineExpired` event), with the time of
    /// the decline. At most one entry per agent.
    pub(crate) declined_by: Vec<Declined>,
    pub(crate) state: CState,
}

/// One entry of a contact's `declined_by`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Declined {
    pub(crate) agent: AgentId,
    /// When the agent declined (or requeued) it; the cool-off counts from here.
    pub(crate) at: Timestamp,
}

impl Contact {
    /// Whether `agent` declined it and the cool-off has not expired.
    pub(crate) fn declined(&self, agent: AgentId) -> bool {
        self.declined_by.iter().any(|d| d.agent == agent)
    }

    /// When the earliest decline expires, with this queue's cool-off.
    pub(crate) fn decline_deadline(&self, cooloff: Millis) -> Option<Timestamp> {
        self.declined_by
            .iter()
            .map(|d| d.at)
            .min()
            .map(|t| t + cooloff)
    }

    /// Records a decline (or requeue) by `agent` at `at`.
    fn add_decline(&mut self, agent: AgentId, at: Timestamp) {
        self.declined_by.retain(|d| d.agent != agent);
        self.declined_by.push(Declined { agent, at });
    }

    pub(crate) fn view(&self) -> ContactView<'_> {
        ContactView {
            channel: self.channel,
            priority: self.priority,
            attributes: &self.attributes,
        }
    }
}

/// Entities touched by `apply` that the routing pass must look at.
#[derive(Clone, Debug, Default)]
pub(crate) struct Dirty {
    pub(crate) enabled: bool,
    pub(crate) contacts: Vec<u32>,
    pub(crate) agents: Vec<u32>,
}

/// A deadline: (when, what, contact handle).
pub(crate) type Timer = (Timestamp, TimerKind, u32);

/// Deadlines, one queue per kind, each sorted by (deadline, contact). Within a kind
/// deadlines are mostly "now plus a per-queue constant", so entries arrive at the
/// back. Entries are not searched for and removed when a contact moves on (offered,
/// accepted, gone): they go stale in place and are dropped when they reach the front
/// (`State::prune_timers`, after every event, so every front is live), or in a sweep
/// when stale ones outnumber live ones. An entry is live while its contact's state
/// still carries that deadline (`CState::deadline`, or `Waiting::decline_deadline` for
/// a decline). The earliest deadline is the least of five fronts.
#[derive(Clone, Debug, Default)]
pub(crate) struct Timers {
    by_kind: [VecDeque<(Timestamp, u32)>; 5],
    /// Entries made stale since the last sweep, per kind (an estimate: it triggers
    /// sweeps and front pruning, nothing else).
    stale: [usize; 5],
}

impl Timers {
    const KINDS: [TimerKind; 5] = [
        TimerKind::Offer,
        TimerKind::Phase,
        TimerKind::MaxWait,
        TimerKind::WrapUp,
        TimerKind::Decline,
    ];

    pub(crate) fn insert(&mut self, (t, kind, c): Timer) {
        let q = &mut self.by_kind[kind as usize];
        let k = (t, c);
        match q.back() {
            Some(&b) if b >= k => match q.binary_search(&k) {
                Ok(_) => {}
                Err(i) => q.insert(i, k),
            },
            _ => q.push_back(k),
        }
    }

    /// The contact no longer has this deadline; its entry stays until pruned.
    pub(crate) fn went_stale(&mut self, kind: TimerKind) {
        self.stale[kind as usize] += 1;
    }

    /// The earliest deadline, in (time, kind, contact) order.
    pub(crate) fn first(&self) -> Option<Timer> {
        let mut best: Option<Timer> = None;
        for (q, kind) in self.by_kind.iter().zip(Self::KINDS) {
            if let Some(&(t, c)) = q.front() {
                let k = (t, kind, c);
                if best.is_none_or(|b| k < b) {
                    best = Some(k);
                }
            }
        }
        best
    }

    /// Every entry, live or stale.
    pub(crate) fn raw(&self) -> impl Iterator<Item = Timer> + '_ {
        self.by_kind
            .iter()
            .zip(Self::KINDS)
            .flat_map(|(q, kind)| q.iter().map(move |&(t, c)| (t, kind, c)))
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct State {
    /// Time of the last event applied.
    pub(crate) last_at: Timestamp,
    /// Arrival sequence for tie-breaking.
    pub(crate) seq: u64,
    pub(crate) skill_names: Vec<String>,
    pub(crate) skill_ids: FxMap<String, u32>,
    /// Skill id → agents who have it (any level), for building groups without a scan.
    pub(crate) skill_agents: Vec<Vec<u32>>,
    pub(crate) agents: Slab<Agent>,
    pub(crate) agent_ids: FxMap<AgentId, u32>,
    pub(crate) queues: Slab<Queue>,
    pub(crate) queue_ids: FxMap<QueueId, u32>,
    pub(crate) contacts: Slab<Contact>,
    pub(crate) contact_ids: FxMap<ContactId, u32>,
    pub(crate) groups: Slab<Group>,
    pub(crate) group_ids: FxMap<(AgentExpr, Selection), u32>,
    pub(crate) timers: Timers,
}

/// Field by field; timers by their live entries (stale entries are not state).
impl PartialEq for State {
    fn eq(&self, other: &Self) -> bool {
        let State {
            last_at,
            seq,
            skill_names,
            skill_ids,
            skill_agents,
            agents,
            agent_ids,
            queues,
            queue_ids,
            contacts,
            contact_ids,
            groups,
            group_ids,
            timers: _,
        } = self;
        *last_at == other.last_at
            && *seq == other.seq
            && *skill_names == other.skill_names
            && *skill_ids == other.skill_ids
            && *skill_agents == other.skill_agents
            && *agents == other.agents
            && *agent_ids == other.agent_ids
            && *queues == other.queues
            && *queue_ids == other.queue_ids
            && *contacts == other.contacts
            && *contact_ids == other.contact_ids
            && *groups == other.groups
            && *group_ids == other.group_ids
            && self.live_timers() == other.live_timers()
    }
}

impl Eq for State {}

fn intern(names: &mut Vec<String>, ids: &mut FxMap<String, u32>, name: &str) -> u32 {
    if let Some(&i) = ids.get(name) {
        return i;
    }
    let i = names.len() as u32;
    names.push(name.to_string());
    ids.insert(name.to_string(), i);
    i
}

impl State {
    pub(crate) fn agent_idx(&self, id: AgentId) -> Option<u32> {
        self.agent_ids.get(&id).copied()
    }
    pub(crate) fn queue_idx(&self, id: QueueId) -> Option<u32> {
        self.queue_ids.get(&id).copied()
    }
    pub(crate) fn contact_idx(&self, id: ContactId) -> Option<u32> {
        self.contact_ids.get(&id).copied()
    }

    fn compile_steps(&mut self, config: &QueueConfig) -> Result<Vec<Step>, ApplyError> {
        let mut steps = Vec::with_capacity(config.steps.len());
        for s in &config.steps {
            let expr = Expr::parse(&s.target).map_err(|e| inconsistent(format!("target: {e}")))?;
            let (names, ids) = (&mut self.skill_names, &mut self.skill_ids);
            let compiled = Compiled::new(&expr, &mut |n| intern(names, ids, n));
            steps.push(Step {
                compiled,
                target: s.target.as_str().into(),
                groups: Vec::new(),
            });
        }
        if steps.is_empty() {
            return Err(inconsistent("a queue without steps"));
        }
        Ok(steps)
    }

    fn intern_skills(&mut self, config: &AgentConfig) -> Vec<(u32, Level)> {
        let mut skills: Vec<(u32, Level)> = config
            .skills
            .iter()
            .map(|(n, &l)| (intern(&mut self.skill_names, &mut self.skill_ids, n), l))
            .collect();
        skills.sort_unstable();
        self.skill_agents.resize(self.skill_names.len(), Vec::new());
        skills
    }

    // ----- agent indexes ----------------------------------------------------------------

    /// Brings the agent's entries in its groups' availability sets up to date.
    pub(crate) fn reindex_agent(&mut self, a: u32, dirty: &mut Dirty) {
        let agent = &mut self.agents[a];
        let new = Indexed {
            free: agent.free_mask(),
            ready_since: agent.ready_since,
            load_total: agent.load_total(),
        };
        let old = agent.indexed;
        if new == old {
            return;
        }
        agent.indexed = new;
        for m in &agent.groups {
            let g = &mut self.groups[m.group];
            let ok = agent_key(g.selection, m.score, &old, a);
            let nk = agent_key(g.selection, m.score, &new, a);
            let active = g.channels;
            for ch in 0..Channel::COUNT {
                let bit = 1u8 << ch;
                if active & bit == 0 {
                    continue;
                }
                let (was, is) = (old.free & bit != 0, new.free & bit != 0);
                if was && is && ok == nk {
                    continue;
                }
                if was {
                    g.avail[ch].remove(&ok);
                }
                if is {
                    g.avail[ch].insert(nk);
                }
            }
            match (old.free != 0, new.free != 0) {
                (false, true) => g.free_agents += 1,
                (true, false) => g.free_agents -= 1,
                _ => {}
            }
        }
        if dirty.enabled && new.free & !old.free != 0 {
            dirty.agents.push(a);
        }
    }

    /// Removes the agent from every group.
    fn unindex_agent(&mut self, a: u32) {
        let agent = &mut self.agents[a];
        let old = agent.indexed;
        agent.indexed.free = 0;
        for m in std::mem::take(&mut agent.groups) {
            let g = &mut self.groups[m.group];
            let k = agent_key(g.selection, m.score, &old, a);
            for ch in 0..Channel::COUNT {
                if old.free & g.channels & (1 << ch) != 0 {
                    g.avail[ch].remove(&k);
                }
            }
            if old.free != 0 {
                g.free_agents -= 1;
            }
            g.members -= 1;
        }
    }

    /// Recomputes which groups an unindexed agent belongs to, then indexes it.
    fn index_agent(&mut self, a: u32, dirty: &mut Dirty) {
        let agent = &mut self.agents[a];
        debug_assert!(agent.groups.is_empty() && agent.indexed.free == 0);
        for (gi, g) in self.groups.iter_mut() {
            if g.expr.eval(&agent.skills) {
                agent.groups.push(Member {
                    group: gi,
                    score: score(&agent.skills, &g.skills),
                });
                g.members += 1;
            }
        }
        // Start from "in no set" so reindex inserts everywhere.
        agent.indexed = Indexed {
            free: 0,
            ready_since: Timestamp(u64::MAX),
            load_total: u16::MAX,
        };
        self.reindex_agent(a, dirty);
    }

    /// Agents who may match `expr`: holders of a skill it names, or everyone when an
    /// agent without those skills matches. Sorted.
    fn candidates(&self, expr: &AgentExpr) -> Vec<u32> {
        if expr.eval(&[]) {
            return self.agents.iter().map(|(a, _)| a).collect();
        }
        // An agent with none of the named skills evaluates like an agent with no skills;
        // when that is false, only holders of a named skill can match.
        let mut named = Vec::new();
        expr.all_skills(&mut named);
        let mut c: Vec<u32> = named
            .iter()
            .flat_map(|&s| {
                self.skill_agents
                    .get(s as usize)
                    .into_iter()
                    .flatten()
                    .copied()
            })
            .collect();
        c.sort_unstable();
        c.dedup();
        c
    }

    /// Members of group `g`, sorted.
    pub(crate) fn group_members(&self, g: u32) -> Vec<u32> {
        let mut m = self.candidates(&self.groups[g].expr);
        m.retain(|&a| self.agents[a].groups.iter().any(|x| x.group == g));
        m
    }

    /// Starts keeping group `g`'s availability set for channel `ch`.
    fn activate_channel(&mut self, g: u32, ch: usize) {
        let bit = 1u8 << ch;
        if self.groups[g].channels & bit != 0 {
            return;
        }
        let members = self.group_members(g);
        let group = &mut self.groups[g];
        group.channels |= bit;
        for a in members {
            let agent = &self.agents[a];
            let ix = agent.indexed;
            if ix.free & bit != 0 {
                let score = agent.score(g);
                group.avail[ch].insert(agent_key(group.selection, score, &ix, a));
            }
        }
    }

    fn intern_group(&mut self, expr: AgentExpr, selection: Selection) -> u32 {
        if let Some(&g) = self.group_ids.get(&(expr.clone(), selection)) {
            return g;
        }
        let mut skills = Vec::new();
        expr.positive_skills(&mut skills);
        let mut group = Group {
            expr: expr.clone(),
            selection,
            skills,
            members: 0,
            free_agents: 0,
            channels: 0,
            avail: Default::default(),
            waiting: Default::default(),
        };
        let gi = self.groups.next_handle();
        for a in self.candidates(&expr) {
            let agent = &mut self.agents[a];
            if group.expr.eval(&agent.skills) {
                let score = score(&agent.skills, &group.skills);
                agent.groups.push(Member { group: gi, score });
                group.members += 1;
                if agent.indexed.free != 0 {
                    group.free_agents += 1;
                }
            }
        }
        let got = self.groups.insert(group);
        debug_assert_eq!(got, gi);
        self.group_ids.insert((expr, selection), gi);
        gi
    }

    /// The group a contact waits in at step `k` of its queue's policy.
    fn group_for(&mut self, q: u32, k: u32, c: u32) -> u32 {
        let queue = &self.queues[q];
        let step = &queue.steps[k as usize];
        let mask = if step.compiled.uses_contact() {
            step.compiled.contact_mask(&self.contacts[c].view())
        } else {
            0
        };
        if let Some(&(_, g)) = step.groups.iter().find(|(m, _)| *m == mask) {
            return g;
        }
        let expr = step.compiled.residual(mask);
        let selection = queue.config.selection;
        let g = self.intern_group(expr, selection);
        self.queues[q].steps[k as usize].groups.push((mask, g));
        g
    }

    /// Drops groups no step refers to and no contact waits in.
    fn collect_groups(&mut self) {
        let mut used = vec![false; self.groups.bound()];
        for (_, q) in self.queues.iter() {
            for s in &q.steps {
                for &(_, g) in &s.groups {
                    used[g as usize] = true;
                }
            }
        }
        let mut dead = Vec::new();
        for (gi, g) in self.groups.iter() {
            if !used[gi as usize] && g.waiting.iter().all(SortedDeque::is_empty) {
                dead.push(gi);
            }
        }
        if dead.is_empty() {
            return;
        }
        for (_, agent) in self.agents.iter_mut() {
            agent.groups.retain(|m| !dead.contains(&m.group));
        }
        for gi in dead {
            if let Some(g) = self.groups.remove(gi) {
                self.group_ids.remove(&(g.expr, g.selection));
            }
        }
    }

    // ----- contact placement ------------------------------------------------------------

    /// Puts a contact (state `Limbo`) into the waiting sets of its queue and phase.
    fn insert_waiting(&mut self, c: u32, at: Timestamp, dirty: &mut Dirty) {
        self.place_waiting(c, at, true, dirty);
    }

    /// Puts a contact (state `Limbo`) into the waiting sets of its queue and phase;
    /// into its queue's order too unless `order` is false (it is still there: a step
    /// change within the same queue visit).
    fn place_waiting(&mut self, c: u32, at: Timestamp, order: bool, dirty: &mut Dirty) {
        let contact = &mut self.contacts[c];
        if let Phase::Preferred(a) = contact.phase {
            let gone = match self.agents.get(a) {
                None => true,
                Some(agent) => contact.declined(agent.id),
            };
            if gone {
                contact.phase = Phase::Step(0);
                contact.phase_started = at;
            }
        }
        let q = contact.queue;
        let queue = &self.queues[q];
        if let Phase::Step(k) = contact.phase
            && k as usize >= queue.steps.len()
        {
            contact.phase = Phase::Step(queue.steps.len() as u32 - 1);
        }
        let effective = u64::from(queue.config.priority) + u64::from(contact.priority);
        let rank = contact.enqueued_at.0.saturating_add(
            (MAX_PRIORITY - effective).saturating_mul(queue.config.priority_aging.0),
        );
        let phase_deadline = match contact.phase {
            Phase::Preferred(_) => contact
                .preferred
                .and_then(|p| p.wait)
                .map(|w| contact.phase_started + w),
            Phase::Step(k) if (k as usize) + 1 < queue.steps.len() => queue.config.steps
                [k as usize]
                .timeout
                .map(|t| contact.phase_started + t),
            Phase::Step(_) => None,
        };
        let max_wait_deadline = queue.config.max_wait.map(|m| contact.queue_entered_at + m);
        let decline_deadline = contact.decline_deadline(queue.config.decline_cooloff);
        let key = (rank, contact.seq, c);
        let (channel, phase, seq, entered) = (
            contact.channel.index(),
            contact.phase,
            contact.seq,
            contact.queue_entered_at,
        );
        let group = match phase {
            Phase::Preferred(a) => {
                self.agents[a].preferred.insert((channel as u8, key));
                NONE
            }
            Phase::Step(k) => {
                let g = self.group_for(q, k, c);
                self.activate_channel(g, channel);
                self.groups[g].waiting[channel].insert(key);
                g
            }
        };
        if order {
            self.queues[q].waiting.insert((entered, seq, c));
        }
        self.queues[q].line.insert(key);
        let w = Waiting {
            rank,
            group,
            phase_deadline,
            max_wait_deadline,
            decline_deadline,
        };
        if let Some((t, kind)) = w.deadline() {
            self.timers.insert((t, kind, c));
        }
        if let Some(t) = decline_deadline {
            self.timers.insert((t, TimerKind::Decline, c));
        }
        self.contacts[c].state = CState::Waiting(w);
        if dirty.enabled {
            dirty.contacts.push(c);
        }
    }

    /// Takes a waiting contact out of every waiting set; leaves it in `Limbo`.
    fn remove_waiting(&mut self, c: u32) {
        self.unplace_waiting(c, true);
    }

    /// Takes a waiting contact out of its waiting set, and out of its queue's order
    /// unless `order` is false; leaves it in `Limbo`.
    fn unplace_waiting(&mut self, c: u32, order: bool) {
        let contact = &mut self.contacts[c];
        let CState::Waiting(w) = contact.state else {
            return;
        };
        contact.state = CState::Limbo;
        let key = (w.rank, contact.seq, c);
        let ch = contact.channel.index();
        match contact.phase {
            Phase::Preferred(a) => {
                self.agents[a].preferred.remove(&(ch as u8, key));
            }
            Phase::Step(_) => {
                self.groups[w.group].waiting[ch].remove(&key);
            }
        }
        let queue = &mut self.queues[contact.queue];
        if order {
            queue
                .waiting
                .remove(&(contact.queue_entered_at, contact.seq, c));
        }
        queue.line.remove(&key);
        if let Some((_, kind)) = w.deadline() {
            self.timers.went_stale(kind);
        }
        if w.decline_deadline.is_some() {
            self.timers.went_stale(TimerKind::Decline);
        }
    }

    /// Frees the agent's slot for contact `c`.
    fn release(&mut self, a: u32, c: u32, at: Timestamp, dirty: &mut Dirty) {
        let ch = self.contacts[c].channel.index();
        let agent = &mut self.agents[a];
        agent.load[ch] = agent.load[ch].saturating_sub(1);
        agent.held.retain(|&h| h != c);
        agent.ready_since = at;
        self.reindex_agent(a, dirty);
    }

    /// Moves the contact into queue `q` as a fresh visit (transfer, overflow).
    fn enter_queue(&mut self, c: u32, q: u32, at: Timestamp) {
        let old = self.contacts[c].queue;
        self.queues[old].contacts -= 1;
        self.queues[q].contacts += 1;
        let contact = &mut self.contacts[c];
        contact.queue = q;
        contact.queue_entered_at = at;
        contact.phase = Phase::Step(0);
        contact.phase_started = at;
        contact.declined_by.clear();
        contact.preferred = None;
    }

    fn remove_contact(&mut self, c: u32) {
        if let Some(contact) = self.contacts.remove(c) {
            self.contact_ids.remove(&contact.id);
            self.queues[contact.queue].contacts -= 1;
        }
    }

    /// Ends an offer; leaves the contact in `Limbo`.
    fn clear_offer(&mut self, c: u32) -> Option<u32> {
        let contact = &mut self.contacts[c];
        let CState::Offered { agent, .. } = contact.state else {
            return None;
        };
        contact.state = CState::Limbo;
        self.timers.went_stale(TimerKind::Offer);
        self.queues[contact.queue].offered -= 1;
        Some(agent)
    }

    // ----- apply ------------------------------------------------------------------------

    fn contact_of(&self, id: ContactId) -> Result<u32, ApplyError> {
        self.contact_idx(id)
            .ok_or_else(|| inconsistent(format!("unknown {id}")))
    }
    fn agent_of(&self, id: AgentId) -> Result<u32, ApplyError> {
        self.agent_idx(id)
            .ok_or_else(|| inconsistent(format!("unknown {id}")))
    }
    fn queue_of(&self, id: QueueId) -> Result<u32, ApplyError> {
        self.queue_idx(id)
            .ok_or_else(|| inconsistent(format!("unknown {id}")))
    }
    fn held_by(&self, c: u32, agent: AgentId) -> Result<u32, ApplyError> {
        match self.contacts[c].state.agent() {
            Some(a) if self.agents.get(a).map(|x| x.id) == Some(agent) => Ok(a),
            _ => Err(inconsistent(format!(
                "{} is not held by {agent}",
                self.contacts[c].id
            ))),
        }
    }
    fn expect_state(&self, c: u32, ok: bool) -> Result<(), ApplyError> {
        if ok {
            Ok(())
        } else {
            Err(inconsistent(format!(
                "{} is {}",
                self.contacts[c].id,
                self.contacts[c].state.name()
            )))
        }
    }

    /// Applies one event. The only mutator of the state. Checks that the event fits
    /// before changing anything.
    pub(crate) fn apply(&mut self, ev: &Event, dirty: &mut Dirty) -> Result<(), ApplyError> {
        self.apply_event(ev, dirty)?;
        self.prune_timers();
        Ok(())
    }

    /// Whether the contact's state still carries this deadline.
    pub(crate) fn timer_live(&self, (t, kind, c): Timer) -> bool {
        self.contacts
            .get(c)
            .is_some_and(|ct| match (kind, ct.state) {
                (TimerKind::Decline, CState::Waiting(w)) => w.decline_deadline == Some(t),
                (TimerKind::Decline, _) => false,
                _ => ct.state.deadline() == Some((t, kind)),
            })
    }

    /// Drops stale entries from the front of each timer queue that had entries go
    /// stale, and sweeps a queue whose stale entries outnumber its live ones.
    fn prune_timers(&mut self) {
        for (k, kind) in Timers::KINDS.into_iter().enumerate() {
            if self.timers.stale[k] == 0 {
                continue;
            }
            while let Some(&(t, c)) = self.timers.by_kind[k].front() {
                if self.timer_live((t, kind, c)) {
                    break;
                }
                self.timers.by_kind[k].pop_front();
                self.timers.stale[k] -= 1;
                if self.timers.stale[k] == 0 {
                    break;
                }
            }
            if self.timers.stale[k] > self.timers.by_kind[k].len() / 2 + 1024 {
                let mut q = std::mem::take(&mut self.timers.by_kind[k]);
                q.retain(|&(t, c)| self.timer_live((t, kind, c)));
                self.timers.by_kind[k] = q;
                self.timers.stale[k] = 0;
            }
        }
    }

    /// The live deadlines, sorted.
    pub(crate) fn live_timers(&self) -> Vec<Timer> {
        let mut live: Vec<Timer> = self.timers.raw().filter(|&t| self.timer_live(t)).collect();
        live.sort_unstable();
        live
    }

    fn apply_event(&mut self, ev: &Event, dirty: &mut Dirty) -> Result<(), ApplyError> {
        let at = ev.at;
        match &ev.kind {
            EventKind::QueueConfigured { queue, config } => {
                if let Some(o) = config.overflow
                    && (o == *queue || self.queue_idx(o).is_none())
                {
                    return Err(inconsistent(format!("overflow to {o}")));
                }
                let steps = self.compile_steps(config)?;
                match self.queue_idx(*queue) {
                    None => {
                        let q = self.queues.insert(Queue {
                            id: *queue,
                            config: config.clone(),
                            steps,
                            open: true,
                            waiting: SortedDeque::default(),
                            line: SortedDeque::default(),
                            contacts: 0,
                            offered: 0,
                            counters: Counters::default(),
                        });
                        self.queue_ids.insert(*queue, q);
                    }
                    Some(q) => {
                        let waiting: Vec<u32> =
                            self.queues[q].waiting.iter().map(|&(_, _, c)| c).collect();
                        for &c in &waiting {
                            self.unplace_waiting(c, false);
                        }
                        let qu = &mut self.queues[q];
                        qu.config = config.clone();
                        qu.steps = steps;
                        for &c in &waiting {
                            self.place_waiting(c, at, false, dirty);
                        }
                        self.collect_groups();
                    }
                }
            }
            EventKind::QueueRemoved { queue } => {
                let q = self.queue_of(*queue)?;
                if self.queues[q].contacts > 0 {
                    return Err(inconsistent(format!("{queue} still holds contacts")));
                }
                self.queues.remove(q);
                self.queue_ids.remove(queue);
                self.collect_groups();
            }
            EventKind::QueueOpenChanged { queue, open } => {
                let q = self.queue_of(*queue)?;
                self.queues[q].open = *open;
            }
            EventKind::AgentConfigured { agent, config } => {
                let skills = self.intern_skills(config);
                let a = match self.agent_idx(*agent) {
                    Some(a) => {
                        self.unindex_agent(a);
                        a
                    }
                    None => {
                        let a = self.agents.insert(Agent {
                            id: *agent,
                            config: config.clone(),
                            skills: Vec::new(),
                            limits: [0; Channel::COUNT],
                            max_total: 0,
                            block: [0; Channel::COUNT],
                            presence: Presence::Offline,
                            presence_since: at,
                            ready_since: at,
                            load: [0; Channel::COUNT],
                            held: Vec::new(),
                            timeouts: 0,
                            unanswered: 0,
                            groups: Vec::new(),
                            indexed: Indexed {
                                free: 0,
                                ready_since: at,
                                load_total: 0,
                            },
                            preferred: Default::default(),
                        });
                        self.agent_ids.insert(*agent, a);
                        a
                    }
                };
                for &(s, _) in &self.agents[a].skills {
                    self.skill_agents[s as usize].retain(|&x| x != a);
                }
                for &(s, _) in &skills {
                    self.skill_agents[s as usize].push(a);
                }
                self.agents[a].set_config(config, skills);
                self.index_agent(a, dirty);
            }
            EventKind::AgentRemoved { agent } => {
                let a = self.agent_of(*agent)?;
                if !self.agents[a].held.is_empty() {
                    return Err(inconsistent(format!("{agent} still holds contacts")));
                }
                // Contacts waiting for this agent only fall back to their policy.
                let waiting: Vec<u32> =
                    self.agents[a].preferred.iter().map(|&(_, k)| k.2).collect();
                for &c in &waiting {
                    self.remove_waiting(c);
                    let contact = &mut self.contacts[c];
                    contact.phase = Phase::Step(0);
                    contact.phase_started = at;
                }
                self.unindex_agent(a);
                for &(s, _) in &self.agents[a].skills {
                    self.skill_agents[s as usize].retain(|&x| x != a);
                }
                self.agents.remove(a);
                self.agent_ids.remove(agent);
                for &c in &waiting {
                    self.insert_waiting(c, at, dirty);
                }
            }
            EventKind::AgentPresenceChanged { agent, presence } => {
                let a = self.agent_of(*agent)?;
                let ag = &mut self.agents[a];
                ag.presence = presence.clone();
                ag.presence_since = at;
                if *presence == Presence::Available {
                    ag.ready_since = at;
                    ag.timeouts = 0;
                    ag.unanswered = 0;
                }
                self.reindex_agent(a, dirty);
            }
            EventKind::ContactEnqueued {
                contact,
                queue,
                channel,
                priority,
                attributes,
                preferred_agent,
                waiting_since,
            } => {
                if self.contact_idx(*contact).is_some() {
                    return Err(inconsistent(format!("{contact} already exists")));
                }
                let q = self.queue_of(*queue)?;
                let preferred = preferred_agent.filter(|p| self.agent_idx(p.agent).is_some());
                let phase = match preferred {
                    Some(p) => Phase::Preferred(self.agent_of(p.agent)?),
                    None => Phase::Step(0),
                };
                self.seq += 1;
                let c = self.contacts.insert(Contact {
                    id: *contact,
                    queue: q,
                    channel: *channel,
                    priority: *priority,
                    attributes: attributes.clone(),
                    preferred,
                    enqueued_at: waiting_since.map_or(at, |s| s.min(at)),
                    queue_entered_at: at,
                    seq: self.seq,
                    phase,
                    phase_started: at,
                    declined_by: Vec::new(),
                    state: CState::Limbo,
                });
                self.contact_ids.insert(*contact, c);
                self.queues[q].contacts += 1;
                self.insert_waiting(c, at, dirty);
            }
            EventKind::ContactStepChanged { contact, step } => {
                let c = self.contact_of(*contact)?;
                let q = self.contacts[c].queue;
                self.expect_state(
                    c,
                    matches!(self.contacts[c].state, CState::Waiting(_))
                        && (*step as usize) < self.queues[q].steps.len(),
                )?;
                self.unplace_waiting(c, false);
                let ct = &mut self.contacts[c];
                ct.phase = Phase::Step(*step);
                ct.phase_started = at;
                self.place_waiting(c, at, false, dirty);
            }
            EventKind::ContactPriorityChanged { contact, priority } => {
                let c = self.contact_of(*contact)?;
                if matches!(self.contacts[c].state, CState::Waiting(_)) {
                    // Its place in line is by rank, which the priority changes; its
                    // arrival (the queue's other order) stays.
                    self.unplace_waiting(c, false);
                    self.contacts[c].priority = *priority;
                    self.place_waiting(c, at, false, dirty);
                } else {
                    self.contacts[c].priority = *priority;
                }
            }
            EventKind::ContactOffered {
                contact,
                agent,
                expires_at,
                ..
            } => {
                let c = self.contact_of(*contact)?;
                let a = self.agent_of(*agent)?;
                self.expect_state(c, matches!(self.contacts[c].state, CState::Waiting(_)))?;
                self.remove_waiting(c);
                let ct = &mut self.contacts[c];
                ct.state = CState::Offered {
                    agent: a,
                    expires_at: *expires_at,
                };
                let ch = ct.channel.index();
                self.queues[ct.queue].offered += 1;
                self.timers.insert((*expires_at, TimerKind::Offer, c));
                let ag = &mut self.agents[a];
                ag.load[ch] = ag.load[ch].saturating_add(1);
                ag.held.push(c);
                ag.ready_since = at;
                self.reindex_agent(a, dirty);
            }
            EventKind::OfferAccepted { contact, agent } => {
                let c = self.contact_of(*contact)?;
                let a = self.held_by(c, *agent)?;
                self.expect_state(c, matches!(self.contacts[c].state, CState::Offered { .. }))?;
                self.clear_offer(c);
                let ct = &mut self.contacts[c];
                ct.state = CState::Active {
                    agent: a,
                    since: at,
                };
                let queue = &mut self.queues[ct.queue];
                queue.counters.answered += 1;
                if at.since(ct.queue_entered_at) <= queue.config.service_level.threshold {
                    queue.counters.answered_in_sl += 1;
                }
                let ag = &mut self.agents[a];
                ag.timeouts = 0;
                ag.unanswered = 0;
            }
            EventKind::OfferDeclined {
                contact,
                agent,
                reason,
            } => {
                let c = self.contact_of(*contact)?;
                let a = self.held_by(c, *agent)?;
                self.expect_state(c, matches!(self.contacts[c].state, CState::Offered { .. }))?;
                self.clear_offer(c);
                let ag = &mut self.agents[a];
                match reason {
                    DeclineReason::TimedOut => {
                        ag.timeouts += 1;
                        ag.unanswered += 1;
                    }
                    DeclineReason::Rejected => ag.unanswered += 1,
                    DeclineReason::Withdrawn => {}
                }
                if *reason != DeclineReason::Withdrawn {
                    self.contacts[c].add_decline(*agent, at);
                }
                self.release(a, c, at, dirty);
                self.insert_waiting(c, at, dirty);
            }
            EventKind::ContactRequeued { contact, agent } => {
                let c = self.contact_of(*contact)?;
                let a = self.held_by(c, *agent)?;
                self.expect_state(c, matches!(self.contacts[c].state, CState::Active { .. }))?;
                self.contacts[c].state = CState::Limbo;
                self.contacts[c].add_decline(*agent, at);
                self.release(a, c, at, dirty);
                self.insert_waiting(c, at, dirty);
            }
            EventKind::ContactTransferred {
                contact,
                from_agent,
                to,
            } => {
                let c = self.contact_of(*contact)?;
                let target = match to {
                    TransferTarget::Queue(q) => Ok(self.queue_of(*q)?),
                    TransferTarget::Agent(a) => Err(self.agent_of(*a)?),
                };
                match (self.contacts[c].state, from_agent) {
                    (CState::Waiting(_), None) => self.remove_waiting(c),
                    (CState::Active { .. }, Some(from)) => {
                        let a = self.held_by(c, *from)?;
                        self.contacts[c].state = CState::Limbo;
                        self.release(a, c, at, dirty);
                    }
                    _ => return self.expect_state(c, false),
                }
                match target {
                    Ok(q) => self.enter_queue(c, q, at),
                    Err(a) => {
                        let q = self.contacts[c].queue;
                        self.enter_queue(c, q, at);
                        let ct = &mut self.contacts[c];
                        ct.phase = Phase::Preferred(a);
                        ct.preferred = Some(PreferredAgent {
                            agent: self.agents[a].id,
                            wait: None,
                        });
                    }
                }
                self.insert_waiting(c, at, dirty);
            }
            EventKind::ContactOverflowed { contact, from, to } => {
                let c = self.contact_of(*contact)?;
                let q = self.queue_of(*to)?;
                self.expect_state(
                    c,
                    matches!(self.contacts[c].state, CState::Waiting(_))
                        && self.queues[self.contacts[c].queue].id == *from,
                )?;
                self.remove_waiting(c);
                self.queues[self.contacts[c].queue].counters.overflowed += 1;
                self.enter_queue(c, q, at);
                self.insert_waiting(c, at, dirty);
            }
            EventKind::ContactExpired { contact, .. } => {
                let c = self.contact_of(*contact)?;
                self.expect_state(c, matches!(self.contacts[c].state, CState::Waiting(_)))?;
                self.remove_waiting(c);
                self.queues[self.contacts[c].queue].counters.expired += 1;
                self.remove_contact(c);
            }
            EventKind::ContactAbandoned { contact, .. } => {
                let c = self.contact_of(*contact)?;
                match self.contacts[c].state {
                    CState::Waiting(_) => self.remove_waiting(c),
                    CState::Offered { agent, .. } => {
                        self.clear_offer(c);
                        self.release(agent, c, at, dirty);
                    }
                    _ => return self.expect_state(c, false),
                }
                self.queues[self.contacts[c].queue].counters.abandoned += 1;
                self.remove_contact(c);
            }
            EventKind::ContactCompleted {
                contact,
                agent,
                after_contact_work_until,
            } => {
                let c = self.contact_of(*contact)?;
                let a = self.held_by(c, *agent)?;
                self.expect_state(c, matches!(self.contacts[c].state, CState::Active { .. }))?;
                match after_contact_work_until {
                    Some(until) => {
                        self.contacts[c].state = CState::WrapUp {
                            agent: a,
                            until: Some(*until),
                        };
                        self.timers.insert((*until, TimerKind::WrapUp, c));
                    }
                    None => {
                        self.release(a, c, at, dirty);
                        self.remove_contact(c);
                    }
                }
            }
            EventKind::ContactWrappedUp { contact, agent, .. } => {
                let c = self.contact_of(*contact)?;
                let a = self.held_by(c, *agent)?;
                let CState::WrapUp { until, .. } = self.contacts[c].state else {
                    return self.expect_state(c, false);
                };
                if until.is_some() {
                    self.timers.went_stale(TimerKind::WrapUp);
                }
                self.release(a, c, at, dirty);
                self.remove_contact(c);
            }
            EventKind::DeclineExpired { contact, agent } => {
                let c = self.contact_of(*contact)?;
                let ct = &mut self.contacts[c];
                let Some(i) = ct.declined_by.iter().position(|d| d.agent == *agent) else {
                    return Err(inconsistent(format!(
                        "{contact} is not declined by {agent}"
                    )));
                };
                ct.declined_by.remove(i);
                let cooloff = self.queues[ct.queue].config.decline_cooloff;
                let deadline = ct.decline_deadline(cooloff);
                // Only a waiting contact has a decline timer (one returning to its queue
                // gets one for its earliest decline then); it may go to the agent now.
                if let CState::Waiting(w) = &mut ct.state {
                    w.decline_deadline = deadline;
                    self.timers.went_stale(TimerKind::Decline);
                    if let Some(t) = deadline {
                        self.timers.insert((t, TimerKind::Decline, c));
                    }
                    if dirty.enabled {
                        dirty.contacts.push(c);
                    }
                }
            }
        }
        self.last_at = self.last_at.max(at);
        Ok(())
    }
}

fn score(agent: &[(u32, Level)], skills: &[u32]) -> u16 {
    skills
        .iter()
        .map(|s| match agent.binary_search_by_key(s, |x| x.0) {
            Ok(i) => u16::from(agent[i].1),
            Err(_) => 0,
        })
        .sum()
}
