//! The wallboard: what supervisors watch, as a projection of the engine's own events.
//!
//! Counting lives in one place, so that the live wallboard and the historical reports
//! cannot disagree. [`Tracker`] follows the engine's [`Event`]s (live, or replayed from
//! the log after a restart) and turns them into [`Fact`]s: a contact offered to a queue,
//! answered after a wait, abandoned, handled, transferred, wrapped up; a slice of an
//! agent's time in one activity. [`Tally::count`] is the one rule that adds a fact to
//! the figures. [`Wallboard`] keeps those tallies in memory for the last two days; the
//! server's reports keep the same facts per contact in the database (`reports.rs`) and
//! fold them with the same [`Tally::count`], so a report of today equals the wallboard.
//!
//! The wallboard keeps per-queue and per-channel tallies in five-minute buckets
//! ([`BUCKET`]) and each agent's time per activity in fifteen-minute buckets
//! ([`AGENT_BUCKET`]); any period ("today" in the organisation's zone, "the last 30
//! minutes", a chart's intervals) is a sum of buckets, so the caller picks the day's
//! start (time is an input). Buckets older than [`KEEP`] are dropped.
//!
//! Counting follows the engine's rules, so the wallboard and `queue_stats` agree: a
//! contact is *offered* to a queue each time it enters one (arrival, transfer,
//! overflow), *answered* at each acceptance, with its wait measured from when it entered
//! that queue, and in service level when that wait is within the queue's threshold.
//! Each fact counts at the moment it happened: an answer in the interval of the
//! acceptance, a handle time in the interval the conversation ended.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::event::{Event, EventKind};
use crate::ids::{AgentId, ContactId, Millis, QueueId, Timestamp};
use crate::model::{Channel, Presence, TransferTarget};

/// Contact tallies are kept per five minutes.
pub const BUCKET: Millis = Millis(5 * 60 * 1000);
/// Agents' time is kept per fifteen minutes.
pub const AGENT_BUCKET: Millis = Millis(15 * 60 * 1000);
/// Buckets are kept for two days (a day in any zone, and the day before).
pub const KEEP: Millis = Millis(50 * 3600 * 1000);
/// A queue's service-level threshold when it has not said.
pub const DEFAULT_THRESHOLD: Millis = Millis(20_000);

/// What happened to contacts in a period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Entered the queue (arrivals, transfers in, overflows in).
    pub offered: u64,
    /// Accepted by an agent.
    pub answered: u64,
    /// Accepted within the queue's service-level threshold.
    pub answered_in_sl: u64,
    /// Total wait of the answered, in milliseconds.
    pub answer_wait_ms: u64,
    /// Left by the customer before an agent accepted.
    pub abandoned: u64,
    /// Total wait of the abandoned, in milliseconds.
    pub abandon_wait_ms: u64,
    /// Waited the queue's maximum with nowhere to go.
    pub expired: u64,
    /// Conversations ended by their agent.
    pub handled: u64,
    /// Total time from acceptance to end of those, in milliseconds.
    pub handle_ms: u64,
    /// Moved on by a transfer (to a queue or an agent) from this queue.
    pub transferred: u64,
    /// After-contact work finished (wrapped up, or its time ran out).
    pub wrapped: u64,
    /// Total after-contact work of those, in milliseconds.
    pub after_contact_ms: u64,
}

impl Tally {
    /// Add another period's tally.
    pub fn add(&mut self, o: &Tally) {
        self.offered += o.offered;
        self.answered += o.answered;
        self.answered_in_sl += o.answered_in_sl;
        self.answer_wait_ms += o.answer_wait_ms;
        self.abandoned += o.abandoned;
        self.abandon_wait_ms += o.abandon_wait_ms;
        self.expired += o.expired;
        self.handled += o.handled;
        self.handle_ms += o.handle_ms;
        self.transferred += o.transferred;
        self.wrapped += o.wrapped;
        self.after_contact_ms += o.after_contact_ms;
    }

    /// Count one fact: the one rule for what each fact adds, shared by the wallboard
    /// and the reports. Agents' time is not a contact figure and adds nothing.
    pub fn count(&mut self, f: &Fact) {
        match f {
            Fact::Offered { .. } => self.offered += 1,
            Fact::Answered { wait, in_sl, .. } => {
                self.answered += 1;
                self.answer_wait_ms += wait.0;
                if *in_sl {
                    self.answered_in_sl += 1;
                }
            }
            Fact::Abandoned { wait, .. } => {
                self.abandoned += 1;
                self.abandon_wait_ms += wait.0;
            }
            Fact::Expired { .. } => self.expired += 1,
            Fact::Handled { handle, .. } => {
                self.handled += 1;
                self.handle_ms += handle.0;
            }
            Fact::Transferred { .. } => self.transferred += 1,
            Fact::WrappedUp { after_contact, .. } => {
                self.wrapped += 1;
                self.after_contact_ms += after_contact.0;
            }
            Fact::AgentTime { .. } => {}
        }
    }

    /// Answered within the threshold as a share of answered and abandoned (a customer
    /// who gave up was not served in time), in percent; `None` with neither.
    pub fn service_level_percent(&self) -> Option<f64> {
        let base = self.answered + self.abandoned;
        (base > 0).then(|| 100.0 * self.answered_in_sl as f64 / base as f64)
    }

    /// Average speed of answer, in milliseconds.
    pub fn asa_ms(&self) -> Option<u64> {
        (self.answered > 0).then(|| self.answer_wait_ms / self.answered)
    }

    /// Abandoned as a share of answered and abandoned, in percent.
    pub fn abandon_percent(&self) -> Option<f64> {
        let base = self.answered + self.abandoned;
        (base > 0).then(|| 100.0 * self.abandoned as f64 / base as f64)
    }

    /// Average wait of those who abandoned, in milliseconds.
    pub fn abandon_wait_ms(&self) -> Option<u64> {
        (self.abandoned > 0).then(|| self.abandon_wait_ms / self.abandoned)
    }

    /// Average handle time (acceptance to end), in milliseconds.
    pub fn aht_ms(&self) -> Option<u64> {
        (self.handled > 0).then(|| self.handle_ms / self.handled)
    }

    /// Average after-contact work, in milliseconds.
    pub fn acw_ms(&self) -> Option<u64> {
        (self.wrapped > 0).then(|| self.after_contact_ms / self.wrapped)
    }
}

/// One countable thing that happened, at the time of the event that produced it. Each
/// names the contact, the queue and channel it counts for and, where one had it, the
/// agent.
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "snake_case")]
pub enum Fact {
    /// The contact entered `queue` (arrival, transfer in, overflow in): a new stay.
    Offered {
        contact: ContactId,
        queue: QueueId,
        channel: Channel,
    },
    /// An agent accepted it after `wait` in this queue.
    Answered {
        contact: ContactId,
        queue: QueueId,
        channel: Channel,
        agent: AgentId,
        wait: Millis,
        in_sl: bool,
    },
    /// The customer left after `wait` in the queue.
    Abandoned {
        contact: ContactId,
        queue: QueueId,
        channel: Channel,
        wait: Millis,
    },
    /// It waited the queue's maximum with nowhere to go.
    Expired {
        contact: ContactId,
        queue: QueueId,
        channel: Channel,
        wait: Millis,
    },
    /// Its agent ended the conversation, `handle` after accepting it.
    Handled {
        contact: ContactId,
        queue: QueueId,
        channel: Channel,
        agent: AgentId,
        handle: Millis,
    },
    /// It left this queue (or its agent) by a transfer; an `Offered` follows.
    Transferred {
        contact: ContactId,
        queue: QueueId,
        channel: Channel,
        agent: Option<AgentId>,
    },
    /// After-contact work ended, `after_contact` after the conversation did.
    WrappedUp {
        contact: ContactId,
        queue: QueueId,
        channel: Channel,
        agent: AgentId,
        after_contact: Millis,
    },
    /// `ms` of an agent's time in one activity, within the [`AGENT_BUCKET`] that starts
    /// at `bucket`.
    AgentTime {
        agent: AgentId,
        bucket: Timestamp,
        activity: Activity,
        ms: u64,
    },
}

/// What an agent is doing, as the wallboard counts time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// Logged out.
    Offline,
    /// On a break, or parked after missed offers.
    Break,
    /// Ready and holding nothing.
    Available,
    /// Holding at least one active contact.
    OnContact,
    /// Holding only contacts in after-contact work.
    AfterContactWork,
}

impl Activity {
    /// Every activity, in the order of [`Activity::index`].
    pub const ALL: [Activity; 5] = [
        Activity::Offline,
        Activity::Break,
        Activity::Available,
        Activity::OnContact,
        Activity::AfterContactWork,
    ];

    /// Its place in [`Activity::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// An agent's time per activity in a period, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ActivityTime {
    /// Logged out.
    pub offline_ms: u64,
    /// On a break (or parked after missed offers).
    pub break_ms: u64,
    /// Ready and free.
    pub available_ms: u64,
    /// With an active contact.
    pub on_contact_ms: u64,
    /// Wrapping up.
    pub after_contact_work_ms: u64,
}

impl ActivityTime {
    /// Add `ms` of activity `a`.
    pub fn add(&mut self, a: Activity, ms: u64) {
        match a {
            Activity::Offline => self.offline_ms += ms,
            Activity::Break => self.break_ms += ms,
            Activity::Available => self.available_ms += ms,
            Activity::OnContact => self.on_contact_ms += ms,
            Activity::AfterContactWork => self.after_contact_work_ms += ms,
        }
    }

    /// Time with contacts (on them or wrapping them up) as a share of time ready for
    /// them, in percent; `None` before any such time.
    pub fn occupancy_percent(&self) -> Option<f64> {
        let busy = self.on_contact_ms + self.after_contact_work_ms;
        let ready = busy + self.available_ms;
        (ready > 0).then(|| 100.0 * busy as f64 / ready as f64)
    }
}

/// The agent holding a contact: since when it was accepted, and since when it is in
/// after-contact work (once its conversation ended).
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct Held {
    agent: AgentId,
    accepted: Timestamp,
    acw_since: Option<Timestamp>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct ContactTrack {
    queue: QueueId,
    channel: Channel,
    entered_at: Timestamp,
    agent: Option<Held>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct AgentTrack {
    presence: Presence,
    active: u32,
    acw: u32,
    activity: Activity,
    since: Timestamp,
}

impl AgentTrack {
    fn derive(&self) -> Activity {
        match (&self.presence, self.active, self.acw) {
            (Presence::Offline, 0, 0) => Activity::Offline,
            (_, a, _) if a > 0 => Activity::OnContact,
            (_, 0, w) if w > 0 => Activity::AfterContactWork,
            (Presence::Available, _, _) => Activity::Available,
            _ => Activity::Break,
        }
    }

    /// Count the time since the last change up to `at`, split over buckets.
    fn advance(&mut self, agent: AgentId, at: Timestamp, out: &mut Vec<Fact>) {
        let mut t = self.since.0;
        while t < at.0 {
            let start = t - t % AGENT_BUCKET.0;
            let end = (start + AGENT_BUCKET.0).min(at.0);
            out.push(Fact::AgentTime {
                agent,
                bucket: Timestamp(start),
                activity: self.activity,
                ms: end - t,
            });
            t = end;
        }
        self.since = Timestamp(self.since.0.max(at.0));
    }

    fn settle(&mut self, agent: AgentId, at: Timestamp, out: &mut Vec<Fact>) {
        let next = self.derive();
        if next != self.activity {
            self.advance(agent, at, out);
            self.activity = next;
            self.since = at;
        }
    }
}

/// Follows contacts and agents through the engine's events and says what each event
/// counts for. Its state is small (the contacts in flight, the agents) and serializable,
/// so a projection that persists its facts can persist it too and resume after a
/// restart without replaying the log from the start.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Tracker {
    thresholds: BTreeMap<QueueId, Millis>,
    contacts: BTreeMap<ContactId, ContactTrack>,
    agents: BTreeMap<AgentId, AgentTrack>,
}

impl Tracker {
    /// Apply one engine event (in the order the engine emitted them); the facts it
    /// counts for are pushed onto `out`.
    pub fn apply(&mut self, e: &Event, out: &mut Vec<Fact>) {
        let at = e.at;
        match &e.kind {
            EventKind::QueueConfigured { queue, config } => {
                self.thresholds
                    .insert(*queue, config.service_level.threshold);
            }
            EventKind::QueueRemoved { queue } => {
                self.thresholds.remove(queue);
            }
            EventKind::AgentConfigured { agent, .. } => {
                self.agents.entry(*agent).or_insert_with(|| AgentTrack {
                    presence: Presence::Offline,
                    active: 0,
                    acw: 0,
                    activity: Activity::Offline,
                    since: at,
                });
            }
            EventKind::AgentRemoved { agent } => {
                if let Some(mut a) = self.agents.remove(agent) {
                    a.advance(*agent, at, out);
                }
            }
            EventKind::AgentPresenceChanged { agent, presence } => {
                if let Some(a) = self.agents.get_mut(agent) {
                    a.presence = presence.clone();
                    a.settle(*agent, at, out);
                }
            }
            EventKind::ContactEnqueued {
                contact,
                queue,
                channel,
                ..
            } => {
                self.contacts.insert(
                    *contact,
                    ContactTrack {
                        queue: *queue,
                        channel: *channel,
                        entered_at: at,
                        agent: None,
                    },
                );
                out.push(Fact::Offered {
                    contact: *contact,
                    queue: *queue,
                    channel: *channel,
                });
            }
            EventKind::OfferAccepted { contact, agent } => {
                let Some(c) = self.contacts.get_mut(contact) else {
                    return;
                };
                c.agent = Some(Held {
                    agent: *agent,
                    accepted: at,
                    acw_since: None,
                });
                let (q, ch, wait) = (c.queue, c.channel, at.since(c.entered_at));
                let threshold = self
                    .thresholds
                    .get(&q)
                    .copied()
                    .unwrap_or(DEFAULT_THRESHOLD);
                out.push(Fact::Answered {
                    contact: *contact,
                    queue: q,
                    channel: ch,
                    agent: *agent,
                    wait,
                    in_sl: wait <= threshold,
                });
                self.agent_change(*agent, at, 1, 0, out);
            }
            EventKind::ContactRequeued { contact, .. } => {
                self.release(*contact, at, out);
            }
            EventKind::ContactTransferred { contact, to, .. } => {
                let held = self.contacts.get(contact).and_then(|c| c.agent);
                self.release(*contact, at, out);
                let Some(c) = self.contacts.get_mut(contact) else {
                    return;
                };
                out.push(Fact::Transferred {
                    contact: *contact,
                    queue: c.queue,
                    channel: c.channel,
                    agent: held.map(|h| h.agent),
                });
                c.entered_at = at;
                if let TransferTarget::Queue(q) = to {
                    c.queue = *q;
                }
                out.push(Fact::Offered {
                    contact: *contact,
                    queue: c.queue,
                    channel: c.channel,
                });
            }
            EventKind::ContactOverflowed { contact, to, .. } => {
                let Some(c) = self.contacts.get_mut(contact) else {
                    return;
                };
                c.queue = *to;
                c.entered_at = at;
                out.push(Fact::Offered {
                    contact: *contact,
                    queue: *to,
                    channel: c.channel,
                });
            }
            EventKind::ContactExpired { contact, .. } => {
                if let Some(c) = self.contacts.remove(contact) {
                    out.push(Fact::Expired {
                        contact: *contact,
                        queue: c.queue,
                        channel: c.channel,
                        wait: at.since(c.entered_at),
                    });
                }
            }
            EventKind::ContactAbandoned { contact, .. } => {
                if let Some(c) = self.contacts.remove(contact) {
                    out.push(Fact::Abandoned {
                        contact: *contact,
                        queue: c.queue,
                        channel: c.channel,
                        wait: at.since(c.entered_at),
                    });
                }
            }
            EventKind::ContactCompleted {
                contact,
                after_contact_work_until,
                ..
            } => {
                let Some(c) = self.contacts.get(contact).cloned() else {
                    return;
                };
                if let Some(Held {
                    agent,
                    accepted,
                    acw_since: None,
                }) = c.agent
                {
                    out.push(Fact::Handled {
                        contact: *contact,
                        queue: c.queue,
                        channel: c.channel,
                        agent,
                        handle: at.since(accepted),
                    });
                    if after_contact_work_until.is_some() {
                        if let Some(ct) = self.contacts.get_mut(contact) {
                            ct.agent = Some(Held {
                                agent,
                                accepted,
                                acw_since: Some(at),
                            });
                        }
                        self.agent_change(agent, at, -1, 1, out);
                        return;
                    }
                    self.agent_change(agent, at, -1, 0, out);
                }
                self.contacts.remove(contact);
            }
            EventKind::ContactWrappedUp { contact, .. } => {
                self.release(*contact, at, out);
                self.contacts.remove(contact);
            }
            EventKind::QueueOpenChanged { .. }
            | EventKind::ContactStepChanged { .. }
            | EventKind::ContactPriorityChanged { .. }
            | EventKind::ContactOffered { .. }
            | EventKind::OfferDeclined { .. }
            | EventKind::DeclineExpired { .. } => {}
        }
    }

    /// The contact's agent lets go of it (whether active or in after-contact work).
    fn release(&mut self, contact: ContactId, at: Timestamp, out: &mut Vec<Fact>) {
        let Some(c) = self.contacts.get_mut(&contact) else {
            return;
        };
        if let Some(h) = c.agent.take() {
            if let Some(since) = h.acw_since {
                out.push(Fact::WrappedUp {
                    contact,
                    queue: c.queue,
                    channel: c.channel,
                    agent: h.agent,
                    after_contact: at.since(since),
                });
                self.agent_change(h.agent, at, 0, -1, out);
            } else {
                self.agent_change(h.agent, at, -1, 0, out);
            }
        }
    }

    fn agent_change(
        &mut self,
        agent: AgentId,
        at: Timestamp,
        active: i32,
        acw: i32,
        out: &mut Vec<Fact>,
    ) {
        if let Some(a) = self.agents.get_mut(&agent) {
            a.active = a.active.saturating_add_signed(active);
            a.acw = a.acw.saturating_add_signed(acw);
            a.settle(agent, at, out);
        }
    }

    /// An agent's current activity and since when.
    pub fn activity(&self, agent: AgentId) -> Option<(Activity, Timestamp)> {
        self.agents.get(&agent).map(|a| (a.activity, a.since))
    }

    /// Every agent's current activity and since when (what a report adds for the
    /// activity in progress).
    pub fn activities(&self) -> impl Iterator<Item = (AgentId, Activity, Timestamp)> + '_ {
        self.agents.iter().map(|(id, a)| (*id, a.activity, a.since))
    }

    /// Contacts in flight (entered a queue, not yet gone).
    pub fn contacts_in_flight(&self) -> usize {
        self.contacts.len()
    }
}

/// Filters for [`Wallboard::tally`] and [`Wallboard::series`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Filter<'a> {
    /// Only these queues (all when `None`).
    pub queues: Option<&'a [QueueId]>,
    /// Only this channel.
    pub channel: Option<Channel>,
}

impl Filter<'_> {
    fn admits(&self, q: QueueId, ch: Channel) -> bool {
        self.queues.is_none_or(|qs| qs.contains(&q)) && self.channel.is_none_or(|c| c == ch)
    }
}

/// The projection. See the module documentation.
#[derive(Clone, Debug, Default)]
pub struct Wallboard {
    tracker: Tracker,
    buckets: BTreeMap<(u64, QueueId, Channel), Tally>,
    /// Agent → bucket start → time per activity (indexed by [`Activity::index`]).
    agent_time: HashMap<AgentId, BTreeMap<u64, [u64; 5]>>,
    /// The latest event's time: buckets older than [`KEEP`] before it are dropped.
    last: Timestamp,
    /// Events applied: a change of this number means the figures changed.
    version: u64,
    facts: Vec<Fact>,
}

fn bucket_of(t: Timestamp) -> u64 {
    t.0 - t.0 % BUCKET.0
}

impl Wallboard {
    /// Apply one engine event (in the order the engine emitted them).
    pub fn apply(&mut self, e: &Event) {
        self.version += 1;
        let at = e.at;
        if at.0 >= self.last.0 + BUCKET.0 {
            self.prune(Timestamp(at.0.saturating_sub(KEEP.0)));
            self.last = at;
        }
        let mut facts = std::mem::take(&mut self.facts);
        self.tracker.apply(e, &mut facts);
        for f in facts.drain(..) {
            match &f {
                Fact::AgentTime {
                    agent,
                    bucket,
                    activity,
                    ms,
                } => {
                    self.agent_time
                        .entry(*agent)
                        .or_default()
                        .entry(bucket.0)
                        .or_insert([0; 5])[activity.index()] += ms;
                }
                Fact::Offered { queue, channel, .. }
                | Fact::Answered { queue, channel, .. }
                | Fact::Abandoned { queue, channel, .. }
                | Fact::Expired { queue, channel, .. }
                | Fact::Handled { queue, channel, .. }
                | Fact::Transferred { queue, channel, .. }
                | Fact::WrappedUp { queue, channel, .. } => {
                    self.buckets
                        .entry((bucket_of(at), *queue, *channel))
                        .or_default()
                        .count(&f);
                }
            }
        }
        if let EventKind::AgentRemoved { agent } = &e.kind {
            self.agent_time.remove(agent);
        }
        self.facts = facts;
    }

    /// How many events were applied (compare two readings to see whether anything
    /// changed).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Drop buckets that start before `before`.
    pub fn prune(&mut self, before: Timestamp) {
        let b = bucket_of(before);
        self.buckets = self.buckets.split_off(&(b, QueueId(0), Channel::Voice));
        for t in self.agent_time.values_mut() {
            *t = t.split_off(&(before.0 - before.0 % AGENT_BUCKET.0));
        }
    }

    /// Contacts' tally over `[from, to)`, by the buckets that start in it.
    pub fn tally(&self, filter: Filter<'_>, from: Timestamp, to: Timestamp) -> Tally {
        let mut t = Tally::default();
        let lo = (bucket_of(from), QueueId(0), Channel::Voice);
        for ((b, q, ch), x) in self.buckets.range(lo..) {
            if *b >= to.0 {
                break;
            }
            if filter.admits(*q, *ch) {
                t.add(x);
            }
        }
        t
    }

    /// Tallies per `step` (a multiple of [`BUCKET`]) from `from` to `to`, for charts.
    pub fn series(
        &self,
        filter: Filter<'_>,
        from: Timestamp,
        to: Timestamp,
        step: Millis,
    ) -> Vec<(Timestamp, Tally)> {
        let step = step.0.max(BUCKET.0);
        let mut out = Vec::new();
        let mut t = bucket_of(from);
        while t < to.0 {
            out.push((
                Timestamp(t),
                self.tally(filter, Timestamp(t), Timestamp(t + step)),
            ));
            t += step;
        }
        out
    }

    /// An agent's current activity and since when.
    pub fn activity(&self, agent: AgentId) -> Option<(Activity, Timestamp)> {
        self.tracker.activity(agent)
    }

    /// An agent's time per activity from `from` (rounded down to [`AGENT_BUCKET`]) to
    /// `now`, counting the activity in progress.
    pub fn agent_time(&self, agent: AgentId, from: Timestamp, now: Timestamp) -> ActivityTime {
        let mut out = ActivityTime::default();
        let Some((activity, since)) = self.tracker.activity(agent) else {
            return out;
        };
        let lo = from.0 - from.0 % AGENT_BUCKET.0;
        if let Some(time) = self.agent_time.get(&agent) {
            for (_, times) in time.range(lo..) {
                for act in Activity::ALL {
                    out.add(act, times[act.index()]);
                }
            }
        }
        if now.0 > since.0 {
            out.add(activity, now.0 - since.0.max(lo));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AgentConfig, Command, Engine, NewContact, QueueConfig};

    const T0: u64 = 1_800_000_000_000 - 1_800_000_000_000 % 86_400_000; // a UTC midnight

    struct Script {
        engine: Engine,
        board: Wallboard,
    }

    impl Script {
        fn run(&mut self, at_s: u64, c: Command) {
            let events = self.engine.handle(Timestamp(T0 + at_s * 1000), c).unwrap();
            for e in &events {
                self.board.apply(e);
            }
        }
    }

    /// A scripted morning with exact expected figures: two queues, two agents.
    #[test]
    fn scripted_day_gives_exact_figures() {
        let mut s = Script {
            engine: Engine::default(),
            board: Wallboard::default(),
        };
        let (sales, support) = (QueueId(1), QueueId(2));
        let mut qc = QueueConfig::single("true");
        qc.service_level.threshold = Millis::secs(20);
        s.run(
            0,
            Command::ConfigureQueue {
                queue: sales,
                config: qc.clone(),
            },
        );
        s.run(
            0,
            Command::ConfigureQueue {
                queue: support,
                config: qc,
            },
        );
        for a in [1, 2] {
            s.run(
                0,
                Command::ConfigureAgent {
                    agent: AgentId(a),
                    config: AgentConfig::with_skills([]),
                },
            );
        }
        // Agent 1 logs in at 08:00, agent 2 at 08:10.
        let h8 = 8 * 3600;
        s.run(
            h8,
            Command::SetPresence {
                agent: AgentId(1),
                presence: Presence::Available,
            },
        );
        // Contact 1 (sales, chat) at 08:01, accepted after 10 s; contact 2 (support,
        // chat) at 08:02 waits 40 s; contact 3 (sales, email) abandons after 30 s.
        let enqueue = |c: u64, q: QueueId, ch: Channel| {
            Command::Enqueue(NewContact::new(ContactId(c), q, ch))
        };
        s.run(h8 + 60, enqueue(1, sales, Channel::Chat));
        s.run(
            h8 + 70,
            Command::Accept {
                contact: ContactId(1),
                agent: AgentId(1),
            },
        );
        s.run(h8 + 120, enqueue(2, support, Channel::Chat));
        s.run(
            h8 + 160,
            Command::Accept {
                contact: ContactId(2),
                agent: AgentId(1),
            },
        );
        s.run(
            h8 + 300,
            Command::SetPresence {
                agent: AgentId(2),
                presence: Presence::Break {
                    aux: "lunch".into(),
                },
            },
        );
        s.run(
            h8 + 400,
            Command::SetPresence {
                agent: AgentId(1),
                presence: Presence::Break { aux: "x".into() },
            },
        );
        s.run(h8 + 500, enqueue(3, sales, Channel::Email));
        s.run(
            h8 + 530,
            Command::Abandon {
                contact: ContactId(3),
            },
        );
        // Contact 1 ends at 08:11:10 (handled 600 s); contact 2 at 08:12:40 (600 s).
        s.run(
            h8 + 670,
            Command::Complete {
                contact: ContactId(1),
            },
        );
        s.run(
            h8 + 760,
            Command::Complete {
                contact: ContactId(2),
            },
        );

        let day = Timestamp(T0);
        let now = Timestamp(T0 + (h8 + 900) * 1000);
        let all = s.board.tally(Filter::default(), day, now);
        assert_eq!(
            all,
            Tally {
                offered: 3,
                answered: 2,
                answered_in_sl: 1,
                answer_wait_ms: 50_000,
                abandoned: 1,
                abandon_wait_ms: 30_000,
                expired: 0,
                handled: 2,
                handle_ms: 1_200_000,
                ..Tally::default()
            }
        );
        assert_eq!(all.asa_ms(), Some(25_000));
        assert_eq!(all.aht_ms(), Some(600_000));
        let sl = all.service_level_percent().unwrap();
        assert!((sl - 100.0 / 3.0).abs() < 1e-9, "{sl}");
        let sales_only = s.board.tally(
            Filter {
                queues: Some(&[sales]),
                channel: None,
            },
            day,
            now,
        );
        assert_eq!(
            (
                sales_only.offered,
                sales_only.answered,
                sales_only.abandoned
            ),
            (2, 1, 1)
        );
        let email = s.board.tally(
            Filter {
                queues: None,
                channel: Some(Channel::Email),
            },
            day,
            now,
        );
        assert_eq!((email.offered, email.abandoned), (1, 1));
        // Nothing before 08:00 (the previous day has no figures).
        assert_eq!(
            s.board
                .tally(Filter::default(), Timestamp(T0 - 86_400_000), day),
            Tally::default()
        );
        // Series by 15 minutes: 08:00–08:15 holds everything.
        let series = s.board.series(
            Filter::default(),
            Timestamp(T0 + h8 * 1000),
            now,
            Millis(900_000),
        );
        assert_eq!(series.len(), 1);
        assert_eq!(series[0].1.offered, 3);

        // Agent 1: available 08:00–08:01:10 (70 s), on contact 08:01:10–08:12:40 (690 s,
        // breaks while holding count as on contact), then break (the break began at
        // 08:06:40 but they still held contacts) until 08:15 (140 s).
        let a1 = s.board.agent_time(AgentId(1), day, now);
        assert_eq!(a1.available_ms, 70_000);
        assert_eq!(a1.on_contact_ms, 690_000);
        assert_eq!(a1.break_ms, 140_000);
        // Offline from configuration at midnight to 08:00.
        assert_eq!(a1.offline_ms, h8 * 1000);
        let occ = a1.occupancy_percent().unwrap();
        assert!((occ - 100.0 * 690.0 / 760.0).abs() < 1e-9, "{occ}");
        assert_eq!(
            s.board.activity(AgentId(1)),
            Some((Activity::Break, Timestamp(T0 + (h8 + 760) * 1000)))
        );
        // Agent 2 went on break at 08:05 and stays there.
        let a2 = s.board.agent_time(AgentId(2), day, now);
        assert_eq!(a2.break_ms, 600_000);
        assert_eq!(a2.occupancy_percent(), None);
    }

    /// Replaying the engine's events into a fresh wallboard gives the same figures: what a
    /// restart sees.
    #[test]
    fn replay_matches_live() {
        let mut engine = Engine::default();
        let mut live = Wallboard::default();
        let mut log = Vec::new();
        let mut run = |at: u64, c: Command| {
            for e in engine.handle(Timestamp(T0 + at * 1000), c).unwrap() {
                live.apply(&e);
                log.push(e);
            }
        };
        let mut qc = QueueConfig::single("true");
        qc.after_contact_work = Some(Millis::secs(30));
        run(
            0,
            Command::ConfigureQueue {
                queue: QueueId(1),
                config: qc,
            },
        );
        run(
            0,
            Command::ConfigureAgent {
                agent: AgentId(1),
                config: AgentConfig::with_skills([]),
            },
        );
        run(
            1,
            Command::SetPresence {
                agent: AgentId(1),
                presence: Presence::Available,
            },
        );
        for c in 1..=5 {
            run(
                10 * c,
                Command::Enqueue(NewContact::new(ContactId(c), QueueId(1), Channel::Chat)),
            );
        }
        run(
            60,
            Command::Accept {
                contact: ContactId(1),
                agent: AgentId(1),
            },
        );
        run(
            120,
            Command::Complete {
                contact: ContactId(1),
            },
        );
        run(
            130,
            Command::WrapUp {
                contact: ContactId(1),
                code: None,
            },
        );
        let mut replayed = Wallboard::default();
        for e in &log {
            replayed.apply(e);
        }
        let now = Timestamp(T0 + 200_000);
        assert_eq!(
            live.tally(Filter::default(), Timestamp(T0), now),
            replayed.tally(Filter::default(), Timestamp(T0), now)
        );
        let a = replayed.agent_time(AgentId(1), Timestamp(T0), now);
        assert_eq!(a, live.agent_time(AgentId(1), Timestamp(T0), now));
        assert_eq!(a.after_contact_work_ms, 10_000);
        assert_eq!(a.on_contact_ms, 60_000);
    }

    /// The tracker says what a transfer and after-contact work count for: the queue
    /// left gets a transfer, the queue entered an offer; the wrap-up gives the time
    /// since the conversation ended.
    #[test]
    fn transfers_and_after_contact_work_are_facts() {
        let mut engine = Engine::default();
        let mut tracker = Tracker::default();
        let mut facts = Vec::new();
        let mut run = |at: u64, c: Command, facts: &mut Vec<Fact>| {
            for e in engine.handle(Timestamp(T0 + at * 1000), c).unwrap() {
                tracker.apply(&e, facts);
            }
        };
        let mut qc = QueueConfig::single("true");
        qc.after_contact_work = Some(Millis::secs(300));
        for q in [1, 2] {
            run(
                0,
                Command::ConfigureQueue {
                    queue: QueueId(q),
                    config: qc.clone(),
                },
                &mut facts,
            );
        }
        run(
            0,
            Command::ConfigureAgent {
                agent: AgentId(1),
                config: AgentConfig::with_skills([]),
            },
            &mut facts,
        );
        run(
            0,
            Command::SetPresence {
                agent: AgentId(1),
                presence: Presence::Available,
            },
            &mut facts,
        );
        run(
            10,
            Command::Enqueue(NewContact::new(ContactId(7), QueueId(1), Channel::Chat)),
            &mut facts,
        );
        run(
            15,
            Command::Accept {
                contact: ContactId(7),
                agent: AgentId(1),
            },
            &mut facts,
        );
        facts.clear();
        run(
            100,
            Command::Transfer {
                contact: ContactId(7),
                to: TransferTarget::Queue(QueueId(2)),
            },
            &mut facts,
        );
        let kinds: Vec<_> = facts
            .iter()
            .filter(|f| !matches!(f, Fact::AgentTime { .. }))
            .cloned()
            .collect();
        assert_eq!(
            kinds,
            vec![
                Fact::Transferred {
                    contact: ContactId(7),
                    queue: QueueId(1),
                    channel: Channel::Chat,
                    agent: Some(AgentId(1)),
                },
                Fact::Offered {
                    contact: ContactId(7),
                    queue: QueueId(2),
                    channel: Channel::Chat,
                },
            ]
        );
        run(
            110,
            Command::Accept {
                contact: ContactId(7),
                agent: AgentId(1),
            },
            &mut facts,
        );
        run(
            200,
            Command::Complete {
                contact: ContactId(7),
            },
            &mut facts,
        );
        facts.clear();
        run(
            245,
            Command::WrapUp {
                contact: ContactId(7),
                code: Some("billing".into()),
            },
            &mut facts,
        );
        assert!(facts.contains(&Fact::WrappedUp {
            contact: ContactId(7),
            queue: QueueId(2),
            channel: Channel::Chat,
            agent: AgentId(1),
            after_contact: Millis::secs(45),
        }));
        let mut t = Tally::default();
        for f in &facts {
            t.count(f);
        }
        assert_eq!((t.wrapped, t.after_contact_ms), (1, 45_000));
    }
}
