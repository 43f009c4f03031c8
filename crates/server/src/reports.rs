//! Historical reports: offered, answered, abandoned, service level, speed of answer,
//! handle and after-contact times, transfers, ratings and contact reasons, by interval,
//! queue, agent, channel and wrap-up code, over any range of days.
//!
//! Why this shape. Reports must agree with the wallboard, so they count the same facts
//! with the same rule: the routing crate's `wallboard::Tracker` turns the routing
//! log's events into facts and `Tally::count` adds them up, here as on the wallboard.
//! And a month of history must not be replayed on every request or after every
//! restart, so the facts are kept in the database as they happen: one row per stay of
//! a contact in a queue (`store::reports::ReportStay`, each fact with its own time) and
//! each agent's time per activity per fifteen minutes. [`catch_up`] reads the log from
//! the organisation's watermark, applies the new events and writes the rows, the
//! tracker's state and the new watermark in one transaction; a background task does it
//! every few seconds and every report does it first, so a report sees every committed
//! event. A restart resumes at the watermark.
//!
//! The same writes keep a rollup of the stays' facts per quarter hour, queue and one
//! other dimension (`store::reports::stay_sums`, the sums `Tally::count` makes of
//! them: a test here holds the two together). A report reads the rollup of its range
//! and counts each fact in the interval it happened, as the wallboard's buckets do,
//! however long after the offer it came. Filters the rollup does not keep have the
//! database add up the stays offered in the range (and [`SLACK`] before it, for facts
//! that came later than the offer) instead. Drill-downs read the stays with the
//! figure's own condition, so the contacts listed are the ones counted, except facts
//! more than [`SLACK`] after their offer, which the rollup counts and a drill-down
//! does not list.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use routing::wallboard::{Activity, ActivityTime, Fact, Tally, Tracker};
use routing::{AgentId, Millis, QueueId, Timestamp};
use serde::{Deserialize, Serialize};
use store::Store;
use store::reports::{
    AgentTimeRow, FactSum, ReportStay, ReportWrite, StayQuery, SumFact, SumGroup, SumKey,
};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::events::LiveEvent;
use crate::live::rid;
use crate::{ApiResult, AppState};

/// How long after its offer a stay's later facts (an answer, an end, a wrap-up, a
/// rating) are still found by a drill-down, or by a report the rollup does not serve:
/// they read the stays offered this long before their start. (The rollup counts every
/// fact however late.)
pub const SLACK: Millis = Millis(24 * 3600 * 1000);

/// Events read from the log per step.
const STEP: u32 = 1000;

/// A contact in flight: its channel and its stays so far.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Open {
    channel: String,
    stays: Vec<ReportStay>,
    /// Changed since the last write.
    dirty: bool,
    /// Closed: written one last time, then forgotten.
    closed: bool,
}

/// One organisation's projection, persisted as `report_state`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct Projection {
    watermark: i64,
    tracker: Tracker,
    /// Engine contact id → the contact's id and channel, for contacts in flight.
    ids: BTreeMap<u64, (Uuid, String)>,
    open: BTreeMap<Uuid, Open>,
    /// Engine ids of queues and agents → their ids (kept once seen).
    queues: BTreeMap<u64, Uuid>,
    agents: BTreeMap<u64, Uuid>,
}

/// Every organisation's projection, loaded at first use.
#[derive(Default)]
pub struct Rollups(std::sync::Mutex<HashMap<Uuid, Arc<Mutex<Option<Projection>>>>>);

impl Rollups {
    fn slot(&self, org: Uuid) -> Arc<Mutex<Option<Projection>>> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(org)
            .or_default()
            .clone()
    }
}

/// What a report needs from the projection once it has caught up: each agent's
/// activity in progress and since when (the stored time ends there).
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub activities: Vec<(Uuid, Activity, i64)>,
}

fn ms(t: time::OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

impl Projection {
    fn stay_mut(&mut self, contact: routing::ContactId) -> Option<&mut ReportStay> {
        let (id, _) = self.ids.get(&contact.0)?;
        let open = self.open.get_mut(id)?;
        open.dirty = true;
        open.stays.last_mut()
    }

    fn queue(&self, q: QueueId) -> Uuid {
        self.queues.get(&q.0).copied().unwrap_or(Uuid::nil())
    }

    fn agent(&self, a: AgentId) -> Option<Uuid> {
        self.agents.get(&a.0).copied()
    }

    /// Apply one fact at `at` (Unix ms); agents' time goes to `time`.
    fn fact(&mut self, at: i64, f: Fact, time: &mut BTreeMap<(Uuid, i64), [i64; 5]>) {
        match f {
            Fact::Offered { contact, queue, .. } => {
                let q = self.queue(queue);
                let Some((id, channel)) = self.ids.get(&contact.0).cloned() else {
                    return;
                };
                let open = self.open.entry(id).or_insert_with(|| Open {
                    channel: channel.clone(),
                    ..Open::default()
                });
                open.dirty = true;
                if let Some(last) = open.stays.last_mut()
                    && last.outcome.is_none()
                {
                    last.outcome = Some("moved".into());
                    last.ended_at = Some(at);
                }
                let seq = open.stays.len() as i64;
                open.stays.push(ReportStay {
                    contact_id: id,
                    seq,
                    queue_id: q,
                    channel,
                    offered_at: at,
                    ..ReportStay::default()
                });
            }
            Fact::Answered {
                contact,
                agent,
                wait,
                in_sl,
                ..
            } => {
                let a = self.agent(agent);
                if let Some(s) = self.stay_mut(contact) {
                    s.agent_id = a;
                    s.answered_at = Some(at);
                    s.answer_wait_ms = Some(wait.0 as i64);
                    s.in_sl = in_sl;
                }
            }
            Fact::Abandoned { contact, wait, .. } | Fact::Expired { contact, wait, .. } => {
                let outcome = if matches!(f, Fact::Abandoned { .. }) {
                    "abandoned"
                } else {
                    "expired"
                };
                if let Some(s) = self.stay_mut(contact) {
                    s.outcome = Some(outcome.into());
                    s.ended_at = Some(at);
                    s.wait_ms = Some(wait.0 as i64);
                }
            }
            Fact::Handled {
                contact, handle, ..
            } => {
                if let Some(s) = self.stay_mut(contact) {
                    s.outcome = Some("handled".into());
                    s.ended_at = Some(at);
                    s.handle_ms = Some(handle.0 as i64);
                }
            }
            Fact::Transferred { contact, .. } => {
                if let Some(s) = self.stay_mut(contact) {
                    s.outcome = Some("transferred".into());
                    s.ended_at = Some(at);
                }
            }
            Fact::WrappedUp {
                contact,
                after_contact,
                ..
            } => {
                if let Some(s) = self.stay_mut(contact) {
                    s.wrapped_at = Some(at);
                    s.acw_ms = Some(after_contact.0 as i64);
                }
            }
            Fact::AgentTime {
                agent,
                bucket,
                activity,
                ms,
            } => {
                if let Some(a) = self.agent(agent) {
                    time.entry((a, bucket.0 as i64)).or_insert([0; 5])[activity.index()] +=
                        ms as i64;
                }
            }
        }
    }

    /// Apply one routing event.
    fn routing(
        &mut self,
        ev: &routing::Event,
        facts: &mut Vec<Fact>,
        time: &mut BTreeMap<(Uuid, i64), [i64; 5]>,
    ) {
        self.tracker.apply(ev, facts);
        for f in facts.drain(..) {
            self.fact(ev.at.0 as i64, f, time);
        }
    }

    /// Queues and agents known now (their engine ids are derived from their ids).
    fn learn(&mut self, state: &AppState, org: Uuid) {
        state.with_org(org, |o| {
            for q in o.queues() {
                self.queues.insert(rid(q.id), q.id);
            }
            for a in o.agents() {
                self.agents.insert(rid(a.user_id), a.user_id);
            }
        });
    }

    /// Apply a step of the log; returns what to write.
    fn apply(&mut self, org: Uuid, events: &[store::Event]) -> ReportWrite {
        let mut time = BTreeMap::new();
        let mut ratings = Vec::new();
        let mut facts = Vec::new();
        // Contacts' ids first: a contact's creation and its first routing events share
        // a commit, whatever their order in it.
        for e in events {
            if e.kind == "contact.created"
                && let Some((
                    _,
                    LiveEvent::ContactCreated {
                        contact_id,
                        channel,
                        ..
                    },
                )) = LiveEvent::parse(e)
            {
                self.ids
                    .insert(rid(contact_id), (contact_id, channel.as_str().to_string()));
            }
        }
        for e in events {
            self.watermark = self.watermark.max(e.seq);
            match e.kind.as_str() {
                crate::events::ROUTING => {
                    let Some((_, LiveEvent::Routing { events, .. })) = LiveEvent::parse(e) else {
                        continue;
                    };
                    for ev in &events {
                        self.routing(ev, &mut facts, &mut time);
                    }
                }
                "contact.closed" => {
                    if let Some((
                        _,
                        LiveEvent::ContactClosed {
                            contact_id, code, ..
                        },
                    )) = LiveEvent::parse(e)
                        && let Some(open) = self.open.get_mut(&contact_id)
                    {
                        for s in &mut open.stays {
                            s.code = code.clone();
                        }
                        open.dirty = true;
                        open.closed = true;
                    }
                }
                "contact.csat" => {
                    if let Some((
                        _,
                        LiveEvent::ContactCsat {
                            contact_id, rating, ..
                        },
                    )) = LiveEvent::parse(e)
                    {
                        let at = ms(e.at);
                        match self.open.get_mut(&contact_id).and_then(|o| {
                            o.dirty = true;
                            o.stays.last_mut()
                        }) {
                            Some(s) => {
                                s.csat = Some(rating);
                                s.rated_at = Some(at);
                            }
                            None => ratings.push((contact_id, rating, at)),
                        }
                    }
                }
                _ => {}
            }
        }
        let mut stays = Vec::new();
        let mut gone = Vec::new();
        for (id, open) in &mut self.open {
            if open.dirty {
                stays.extend(open.stays.iter().cloned());
                open.dirty = false;
            }
            if open.closed {
                gone.push(*id);
            }
        }
        for id in gone {
            self.open.remove(&id);
            self.ids.remove(&rid(id));
        }
        ReportWrite {
            org_id: org,
            watermark: self.watermark,
            state: String::new(),
            stays,
            agent_time: agent_rows(time),
            ratings,
        }
    }
}

/// Agents' time per (agent, bucket) as rows to add.
fn agent_rows(time: BTreeMap<(Uuid, i64), [i64; 5]>) -> Vec<AgentTimeRow> {
    time.into_iter()
        .map(|((agent_id, bucket), ms)| AgentTimeRow {
            agent_id,
            bucket,
            ms,
        })
        .collect()
}

/// Read the log from the organisation's watermark to its end, write the facts, and
/// return what a report needs of the projection's state. Serialised per organisation.
pub async fn catch_up(state: &AppState, org: Uuid) -> ApiResult<Snapshot> {
    let slot = state.reports().slot(org);
    let mut guard = slot.lock().await;
    let db = state.store();
    if guard.is_none() {
        let p = match db.report_load(org).await? {
            Some((watermark, json)) => match serde_json::from_str::<Projection>(&json) {
                Ok(mut p) => {
                    p.watermark = p.watermark.max(watermark);
                    p
                }
                Err(e) => {
                    tracing::warn!(%org, error = %e, "reports' state unreadable; reading the log again");
                    Projection::default()
                }
            },
            None => Projection::default(),
        };
        *guard = Some(p);
    }
    let Some(p) = guard.as_mut() else {
        return Ok(Snapshot::default());
    };
    p.learn(state, org);
    loop {
        let events = db.read_org_events(org, p.watermark, STEP).await?;
        if events.is_empty() {
            break;
        }
        let before = p.clone();
        let mut w = p.apply(org, &events);
        w.state = serde_json::to_string(&*p).unwrap_or_default();
        if let Err(e) = db.report_save(&w).await {
            // Memory never runs ahead of what is stored.
            *p = before;
            return Err(e.into());
        }
        if events.len() < STEP as usize {
            break;
        }
    }
    let activities = p
        .tracker
        .activities()
        .filter_map(|(a, act, since)| p.agents.get(&a.0).map(|id| (*id, act, since.0 as i64)))
        .collect();
    Ok(Snapshot { activities })
}

/// Writes a past that the live log never held (the demo's simulated history,
/// `history::Past`) into the reports' tables, through a projection of its own: the
/// facts, codes and ratings are counted by the same code as the log's, and the live
/// projection's watermark and state are left as they are.
pub async fn import(state: &AppState, org: Uuid, past: &crate::history::Past) -> ApiResult<()> {
    let mut p = Projection::default();
    p.learn(state, org);
    for c in &past.contacts {
        p.ids
            .insert(rid(c.id), (c.id, c.channel.as_str().to_string()));
    }
    let (mut facts, mut time) = (Vec::new(), BTreeMap::new());
    for ev in &past.events {
        p.routing(ev, &mut facts, &mut time);
    }
    for c in &past.contacts {
        if let Some(open) = p.open.get_mut(&c.id) {
            for s in &mut open.stays {
                s.code = c.wrapup_code.clone();
            }
        }
    }
    for (id, rating, at) in &past.ratings {
        if let Some(s) = p.open.get_mut(id).and_then(|o| o.stays.last_mut()) {
            s.csat = Some(*rating);
            s.rated_at = Some(*at);
        }
    }
    let stays: Vec<ReportStay> = p.open.into_values().flat_map(|o| o.stays).collect();
    let mut agent_time = agent_rows(time);
    for chunk in stays
        .chunks(5000)
        .chain(stays.is_empty().then_some(&[][..]))
    {
        state
            .store()
            .report_save(&ReportWrite {
                org_id: org,
                stays: chunk.to_vec(),
                agent_time: std::mem::take(&mut agent_time),
                ..ReportWrite::default()
            })
            .await?;
    }
    Ok(())
}

/// Keeps every organisation's reports close to the log's end, so that a report only
/// reads the last few seconds and a restart finds little to do.
pub async fn task(state: AppState) {
    let mut shutdown = state.shutdown_signal();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
            _ = shutdown.changed() => return,
        }
        let orgs = match state.store().list_orgs().await {
            Ok(o) => o,
            Err(_) => continue,
        };
        for org in orgs {
            if let Err(e) = catch_up(&state, org.id).await {
                tracing::warn!(org = %org.id, error = ?e, "reports could not catch up");
            }
        }
    }
}

// ----- reading -----

/// How a report cuts its range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    #[serde(rename = "15m")]
    Quarter,
    Hour,
    Day,
    Week,
    /// One interval: the whole range.
    Total,
}

/// What a report's rows are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    None,
    Queue,
    Agent,
    Channel,
    Code,
}

/// The interval starts of `[from, to)` (Unix ms) in `zone`: days and weeks (from
/// Mondays) at local midnights, so a daylight-saving day is 23 or 25 hours.
pub fn boundaries(zone: &jiff::tz::TimeZone, from: i64, to: i64, interval: Interval) -> Vec<i64> {
    let mut out = vec![from];
    match interval {
        Interval::Total => {}
        Interval::Quarter | Interval::Hour => {
            let step = if interval == Interval::Quarter {
                15 * 60_000
            } else {
                3_600_000
            };
            // Steps on the wall clock's grid (offsets are whole quarters of an hour).
            let mut t = from - from.rem_euclid(step) + step;
            let off = wfm::zone::offset_min(zone, from.div_euclid(60_000)) * 60_000;
            if interval == Interval::Hour {
                t = from - (from + off).rem_euclid(step) + step;
            }
            while t < to {
                out.push(t);
                t += step;
            }
        }
        Interval::Day | Interval::Week => {
            let mut day = wfm::zone::local_day(zone, from.div_euclid(60_000));
            loop {
                day += 1;
                if interval == Interval::Week && wfm::time::weekday(day) != 0 {
                    continue;
                }
                let t = wfm::zone::to_utc(zone, day, 0) * 60_000;
                if t >= to {
                    break;
                }
                if t > from {
                    out.push(t);
                }
            }
        }
    }
    out
}

/// One cell's figures: contacts' tally, ratings, agents' time.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Figures {
    pub tally: Tally,
    pub csat_sum: i64,
    pub csat_count: u64,
    pub time: ActivityTime,
}

impl Figures {
    fn add(&mut self, o: &Figures) {
        self.tally.add(&o.tally);
        self.csat_sum += o.csat_sum;
        self.csat_count += o.csat_count;
        for a in Activity::ALL {
            self.time.add(a, activity_ms(&o.time, a));
        }
    }

    /// As JSON: counts, and averages in seconds and percentages rounded to tenths.
    pub fn json(&self) -> serde_json::Value {
        let t = &self.tally;
        let round = |p: Option<f64>| p.map(|p| (p * 10.0).round() / 10.0);
        let secs = |m: Option<u64>| m.map(|m| (m as f64 / 100.0).round() / 10.0);
        serde_json::json!({
            "offered": t.offered,
            "answered": t.answered,
            "answered_in_sl": t.answered_in_sl,
            "abandoned": t.abandoned,
            "expired": t.expired,
            "handled": t.handled,
            "transferred": t.transferred,
            "wrapped": t.wrapped,
            "service_level_percent": round(t.service_level_percent()),
            "abandon_percent": round(t.abandon_percent()),
            "asa_s": secs(t.asa_ms()),
            "aht_s": secs(t.aht_ms()),
            "acw_s": secs(t.acw_ms()),
            "abandon_wait_s": secs(t.abandon_wait_ms()),
            "csat_avg": (self.csat_count > 0)
                .then(|| ((self.csat_sum as f64 / self.csat_count as f64) * 100.0).round() / 100.0),
            "csat_count": self.csat_count,
            "occupancy_percent": round(self.time.occupancy_percent()),
        })
    }
}

fn activity_ms(t: &ActivityTime, a: Activity) -> u64 {
    match a {
        Activity::Offline => t.offline_ms,
        Activity::Break => t.break_ms,
        Activity::Available => t.available_ms,
        Activity::OnContact => t.on_contact_ms,
        Activity::AfterContactWork => t.after_contact_work_ms,
    }
}

/// The facts of a stay, each at its own time: the same facts the tracker produced
/// when it wrote the stay, for [`Tally::count`]. Ratings are not routing facts and are
/// given apart (`(at, rating)`).
pub fn stay_facts(s: &ReportStay, mut each: impl FnMut(i64, &Fact)) -> Option<(i64, i64)> {
    use routing::{Channel as C, ContactId};
    let (contact, queue, channel, agent) = (ContactId(0), QueueId(0), C::Chat, AgentId(0));
    let ms = |v: Option<i64>| Millis(v.unwrap_or(0).max(0) as u64);
    each(
        s.offered_at,
        &Fact::Offered {
            contact,
            queue,
            channel,
        },
    );
    if let Some(at) = s.answered_at {
        each(
            at,
            &Fact::Answered {
                contact,
                queue,
                channel,
                agent,
                wait: ms(s.answer_wait_ms),
                in_sl: s.in_sl,
            },
        );
    }
    if let (Some(at), Some(outcome)) = (s.ended_at, s.outcome.as_deref()) {
        let wait = ms(s.wait_ms);
        let f = match outcome {
            "abandoned" => Some(Fact::Abandoned {
                contact,
                queue,
                channel,
                wait,
            }),
            "expired" => Some(Fact::Expired {
                contact,
                queue,
                channel,
                wait,
            }),
            "handled" => Some(Fact::Handled {
                contact,
                queue,
                channel,
                agent,
                handle: ms(s.handle_ms),
            }),
            "transferred" => Some(Fact::Transferred {
                contact,
                queue,
                channel,
                agent: None,
            }),
            _ => None,
        };
        if let Some(f) = f {
            each(at, &f);
        }
    }
    if let Some(at) = s.wrapped_at {
        each(
            at,
            &Fact::WrappedUp {
                contact,
                queue,
                channel,
                agent,
                after_contact: ms(s.acw_ms),
            },
        );
    }
    s.rated_at.zip(s.csat)
}

/// A report's cells: per (interval index, group), with the groups' keys (`""` for
/// none: no agent, no code) numbered as first seen, so that folding a million stays
/// allocates nothing per stay.
#[derive(Debug, Default)]
pub struct Cells {
    pub bounds: Vec<i64>,
    pub to: i64,
    keys: Vec<String>,
    ids: HashMap<Option<Uuid>, u32>,
    cells: HashMap<(usize, u32), Figures>,
    /// Per wrap-up code (`""`: none), over everything: the contact reasons.
    reasons: Vec<(String, Figures)>,
}

impl Cells {
    pub fn new(bounds: Vec<i64>, to: i64) -> Cells {
        Cells {
            bounds,
            to,
            ..Cells::default()
        }
    }

    fn index(&self, at: i64) -> Option<usize> {
        if at < *self.bounds.first()? || at >= self.to {
            return None;
        }
        Some(self.bounds.partition_point(|b| *b <= at) - 1)
    }

    fn id_key(&mut self, id: Option<Uuid>) -> u32 {
        if let Some(k) = self.ids.get(&id) {
            return *k;
        }
        let k = self.keys.len() as u32;
        self.keys
            .push(id.map(|u| u.to_string()).unwrap_or_default());
        self.ids.insert(id, k);
        k
    }

    fn text_key(&mut self, t: &str) -> u32 {
        // Channels and codes are few: a look along the list is quicker than hashing.
        if let Some(k) = self.keys.iter().position(|x| x == t) {
            return k as u32;
        }
        self.keys.push(t.to_string());
        (self.keys.len() - 1) as u32
    }

    fn key_of(&mut self, s: &ReportStay, g: GroupBy) -> u32 {
        match g {
            GroupBy::None => self.text_key(""),
            GroupBy::Queue => self.id_key(Some(s.queue_id)),
            GroupBy::Agent => self.id_key(s.agent_id),
            GroupBy::Channel => self.text_key(&s.channel),
            GroupBy::Code => self.text_key(s.code.as_deref().unwrap_or("")),
        }
    }

    /// The key of an agent's time in grouping `g` (agents, or everything).
    fn agent_key(&mut self, agent: Uuid, g: GroupBy) -> u32 {
        if g == GroupBy::Agent {
            self.id_key(Some(agent))
        } else {
            self.text_key("")
        }
    }

    fn reason(&mut self, code: &str) -> &mut Figures {
        let i = match self.reasons.iter().position(|(c, _)| c == code) {
            Some(i) => i,
            None => {
                self.reasons.push((code.to_string(), Figures::default()));
                self.reasons.len() - 1
            }
        };
        &mut self.reasons[i].1
    }

    /// Count a stay's facts that fall in the range.
    pub fn stay(&mut self, s: &ReportStay, g: GroupBy) {
        let key = self.key_of(s, g);
        let code = s.code.as_deref().unwrap_or("");
        let mut hits: [(usize, Option<Fact>); 4] = Default::default();
        let mut n = 0;
        let rating = stay_facts(s, |at, f| {
            if let Some(i) = self.index(at)
                && n < hits.len()
            {
                hits[n] = (i, Some(f.clone()));
                n += 1;
            }
        });
        for (i, f) in hits.iter().take(n) {
            if let Some(f) = f {
                self.cells.entry((*i, key)).or_default().tally.count(f);
                self.reason(code).tally.count(f);
            }
        }
        if let Some((at, r)) = rating
            && let Some(i) = self.index(at)
        {
            let c = self.cells.entry((i, key)).or_default();
            c.csat_sum += r;
            c.csat_count += 1;
            let c = self.reason(code);
            c.csat_sum += r;
            c.csat_count += 1;
        }
    }

    /// Add an agent's activity from `at` to `end`, split at interval bounds.
    fn time(&mut self, key: u32, at: i64, end: i64, a: Activity) {
        let mut t = at.max(*self.bounds.first().unwrap_or(&at));
        let end = end.min(self.to);
        while t < end {
            let Some(i) = self.index(t) else {
                return;
            };
            let next = self.bounds.get(i + 1).copied().unwrap_or(self.to).min(end);
            self.cells
                .entry((i, key))
                .or_default()
                .time
                .add(a, (next - t) as u64);
            t = next;
        }
    }

    /// Add `s`, the database's sums of one fact over a quarter hour and a group: `n`
    /// of the facts the tracker wrote into the stays, each counted as
    /// [`Tally::count`] counts one (the stays keep each fact's wait, handle or
    /// after-contact time, so the sums are the tally's sums).
    pub fn add_sum(&mut self, fact: SumFact, s: &FactSum) {
        let Some(i) = self.index(self.bounds[0] + s.bucket * 900_000) else {
            return;
        };
        let key = match &s.key {
            SumKey::None => self.text_key(""),
            SumKey::Id(id) => self.id_key(*id),
            SumKey::Text(t) => self.text_key(t.as_deref().unwrap_or("")),
        };
        add_sum_to(self.cells.entry((i, key)).or_default(), fact, s);
    }

    /// Add `s`, grouped by wrap-up code, to the contact reasons.
    pub fn add_reason(&mut self, fact: SumFact, s: &FactSum) {
        let code = match &s.key {
            SumKey::Text(t) => t.as_deref().unwrap_or("").to_string(),
            _ => String::new(),
        };
        add_sum_to(self.reason(&code), fact, s);
    }

    /// Per (interval, group key), in order.
    pub fn cells(&self) -> BTreeMap<(usize, &str), &Figures> {
        self.cells
            .iter()
            .map(|((i, k), f)| ((*i, self.keys[*k as usize].as_str()), f))
            .collect()
    }

    /// Per interval, over every group.
    pub fn series(&self) -> Vec<Figures> {
        let mut out = vec![Figures::default(); self.bounds.len()];
        for ((i, _), f) in &self.cells {
            out[*i].add(f);
        }
        out
    }

    /// Per group, over every interval.
    pub fn groups(&self) -> BTreeMap<&str, Figures> {
        let mut out: BTreeMap<&str, Figures> = BTreeMap::new();
        for ((_, k), f) in &self.cells {
            out.entry(self.keys[*k as usize].as_str())
                .or_default()
                .add(f);
        }
        out
    }

    /// Per wrap-up code (`""`: none), over everything: the contact reasons.
    pub fn reasons(&self) -> BTreeMap<&str, Figures> {
        self.reasons.iter().map(|(c, f)| (c.as_str(), *f)).collect()
    }

    /// Over everything.
    pub fn total(&self) -> Figures {
        let mut out = Figures::default();
        for f in self.cells.values() {
            out.add(f);
        }
        out
    }
}

fn add_sum_to(c: &mut Figures, fact: SumFact, s: &FactSum) {
    let (n, s1, s2) = (s.n.max(0) as u64, s.s1.max(0) as u64, s.s2.max(0) as u64);
    let t = &mut c.tally;
    match fact {
        SumFact::Offered => t.offered += n,
        SumFact::Answered => {
            t.answered += n;
            t.answer_wait_ms += s1;
            t.answered_in_sl += s2;
        }
        SumFact::Ended => match s.outcome.as_deref() {
            Some("abandoned") => {
                t.abandoned += n;
                t.abandon_wait_ms += s1;
            }
            Some("expired") => t.expired += n,
            Some("handled") => {
                t.handled += n;
                t.handle_ms += s2;
            }
            Some("transferred") => t.transferred += n,
            _ => {}
        },
        SumFact::Wrapped => {
            t.wrapped += n;
            t.after_contact_ms += s1;
        }
        SumFact::Rated => {
            c.csat_count += n;
            c.csat_sum += s1 as i64;
        }
    }
}

/// The filters of a report or a drill-down.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    pub queue_id: Option<Uuid>,
    /// `Some(None)`: no agent (not answered).
    pub agent_id: Option<Option<Uuid>>,
    pub channel: Option<String>,
    /// `Some(None)`: no wrap-up code.
    pub code: Option<Option<String>>,
}

/// Fold the stays and agents' time of `[from, to)` into cells.
pub async fn compute(
    state: &AppState,
    org: Uuid,
    bounds: Vec<i64>,
    to: i64,
    group: GroupBy,
    filters: &Filters,
    now: i64,
) -> ApiResult<Cells> {
    let snapshot = catch_up(state, org).await?;
    let from = bounds[0];
    let mut cells = Cells::new(bounds, to);
    let query = StayQuery {
        org_id: org,
        offered_from: from - SLACK.0 as i64,
        offered_to: to,
        queue_id: filters.queue_id,
        agent_id: filters.agent_id,
        channel: filters.channel.clone(),
        code: filters.code.clone(),
        ..Default::default()
    };
    let sum_group = match group {
        GroupBy::None => SumGroup::None,
        GroupBy::Queue => SumGroup::Queue,
        GroupBy::Agent => SumGroup::Agent,
        GroupBy::Channel => SumGroup::Channel,
        GroupBy::Code => SumGroup::Code,
    };
    let facts = [
        SumFact::Offered,
        SumFact::Answered,
        SumFact::Ended,
        SumFact::Wrapped,
        SumFact::Rated,
    ];
    // Each fact by its own time. The rollup serves most reports (a query per grouping,
    // the contact reasons per code beside it); the stays are added up, a query per
    // fact side by side on the reading pool, for the filters it does not keep.
    let db = state.store();
    let (main, reasons) = futures::try_join!(
        db.report_rollup(&query, from, to, sum_group, &cells.bounds),
        async {
            if group == GroupBy::Code {
                Ok(None)
            } else {
                db.report_rollup(&query, from, to, SumGroup::Code, &cells.bounds)
                    .await
            }
        }
    )?;
    let mut asks: Vec<(SumFact, SumGroup)> = Vec::new();
    let reason = |f: &SumFact| matches!(f, SumFact::Ended | SumFact::Rated);
    match main {
        Some(sums) => {
            for (fact, s) in &sums {
                cells.add_sum(*fact, s);
                if group == GroupBy::Code && reason(fact) {
                    cells.add_reason(*fact, s);
                }
            }
        }
        None => asks.extend(facts.iter().map(|f| (*f, sum_group))),
    }
    if group != GroupBy::Code {
        match reasons {
            Some(sums) => {
                for (fact, s) in sums.iter().filter(|(f, _)| reason(f)) {
                    cells.add_reason(*fact, s);
                }
            }
            None => {
                asks.push((SumFact::Ended, SumGroup::Code));
                asks.push((SumFact::Rated, SumGroup::Code));
            }
        }
    }
    let results = futures::future::try_join_all(asks.iter().map(|(fact, g)| {
        let mut q = query.clone();
        if *fact == SumFact::Offered {
            q.offered_from = from;
        }
        async move { db.report_sums(&q, *fact, from, to, *g).await }
    }))
    .await?;
    for ((fact, g), sums) in asks.iter().zip(results) {
        for s in &sums {
            if *g == sum_group {
                cells.add_sum(*fact, s);
            }
            if *g == SumGroup::Code && reason(fact) {
                cells.add_reason(*fact, s);
            }
        }
    }
    // Agents' time: only where the rows are agents (or everything), and not when the
    // report looks at one queue, channel or code (time is not spent per queue).
    let timed = matches!(group, GroupBy::Agent | GroupBy::None)
        && filters.queue_id.is_none()
        && filters.channel.is_none()
        && filters.code.is_none();
    if timed {
        let q = 15 * 60_000;
        let rows = state
            .store()
            .report_agent_time(org, from - from.rem_euclid(q), to, &cells.bounds)
            .await?;
        for r in rows {
            if filters.agent_id.is_some_and(|a| a != Some(r.agent_id)) {
                continue;
            }
            // Interval bounds fall on quarters of an hour (local midnights and hours in
            // zones whose offsets are whole quarters), so a bucket lies in one interval.
            let Some(i) = cells.index(r.bucket) else {
                continue;
            };
            let key = cells.agent_key(r.agent_id, group);
            let c = cells.cells.entry((i, key)).or_default();
            for a in Activity::ALL {
                c.time.add(a, r.ms[a.index()].max(0) as u64);
            }
        }
        for (agent, act, since) in snapshot.activities {
            if filters.agent_id.is_some_and(|a| a != Some(agent)) {
                continue;
            }
            let key = cells.agent_key(agent, group);
            cells.time(key, since, now, act);
        }
    }
    Ok(cells)
}

/// Milliseconds since the epoch of a time.
pub fn millis(t: time::OffsetDateTime) -> i64 {
    ms(t)
}

/// The time of Unix milliseconds.
pub fn time_of(ms: i64) -> time::OffsetDateTime {
    crate::live::time_of(Timestamp(ms.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn utc(y: i64, m: u32, d: u32, h: i64) -> i64 {
        wfm::time::days_from_civil(y, m, d) * 24 * H + h * H
    }

    #[test]
    fn days_and_hours_follow_the_zones_clock_across_daylight_saving() {
        let ny = wfm::zone::parse("America/New_York").unwrap();
        // 1 November 2026 in New York: 25 hours (EDT until 02:00, then EST).
        let from = utc(2026, 11, 1, 4);
        let to = utc(2026, 11, 2, 5);
        let hours = boundaries(&ny, from, to, Interval::Hour);
        assert_eq!(hours.len(), 25);
        let days = boundaries(&ny, utc(2026, 10, 31, 4), to, Interval::Day);
        assert_eq!(days, vec![utc(2026, 10, 31, 4), from]);
        // Weeks start on Mondays at local midnight: 2 November 2026 is a Monday.
        let weeks = boundaries(&ny, from, utc(2026, 11, 10, 5), Interval::Week);
        assert_eq!(weeks, vec![from, utc(2026, 11, 2, 5), utc(2026, 11, 9, 5)]);
        let quarters = boundaries(&ny, from, from + 2 * H, Interval::Quarter);
        assert_eq!(quarters.len(), 8);
        assert_eq!(boundaries(&ny, from, to, Interval::Total), vec![from]);
    }

    #[test]
    fn the_rollups_sums_are_what_tally_count_counts() {
        // Random stays: the figures from the store's sums (`stay_sums`, as the rollup
        // keeps them) are those `Tally::count` makes of the stay's facts.
        let mut x: u64 = 7;
        let mut below = |n: u64| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % n
        };
        for _ in 0..2000 {
            let some = |v: i64, b: u64| (b > 0).then_some(v);
            let s = ReportStay {
                offered_at: below(1000) as i64,
                answered_at: some(below(1000) as i64, below(2)),
                answer_wait_ms: some(below(100_000) as i64, below(4)),
                in_sl: below(2) == 0,
                outcome: [None, Some("abandoned"), Some("expired"), Some("handled")]
                    .into_iter()
                    .chain([Some("transferred"), Some("moved")])
                    .nth(below(6) as usize)
                    .flatten()
                    .map(str::to_string),
                ended_at: some(below(1000) as i64, below(4)),
                wait_ms: some(below(100_000) as i64, below(4)),
                handle_ms: some(below(100_000) as i64, below(4)),
                wrapped_at: some(below(1000) as i64, below(2)),
                acw_ms: some(below(100_000) as i64, below(4)),
                csat: some(1 + below(5) as i64, below(2)),
                rated_at: some(below(1000) as i64, below(2)),
                ..Default::default()
            };
            let mut want = Figures::default();
            if let Some((_, r)) = stay_facts(&s, |_, f| want.tally.count(f)) {
                want.csat_sum += r;
                want.csat_count += 1;
            }
            let mut got = Figures::default();
            store::reports::stay_sums(&s, |_, c| {
                store::reports::fact_sums(0, &SumKey::None, c, |f, fs| add_sum_to(&mut got, f, &fs))
            });
            assert_eq!(got, want, "{s:?}");
        }
    }

    #[test]
    fn each_fact_counts_in_the_interval_it_happened() {
        // Offered at 23:59, answered at 00:01 the next day, handled at 00:10.
        let day = 24 * H;
        let s = ReportStay {
            contact_id: Uuid::nil(),
            queue_id: Uuid::nil(),
            channel: "chat".into(),
            offered_at: day - 60_000,
            answered_at: Some(day + 60_000),
            answer_wait_ms: Some(120_000),
            outcome: Some("handled".into()),
            ended_at: Some(day + 600_000),
            handle_ms: Some(540_000),
            csat: Some(4),
            rated_at: Some(day + 700_000),
            ..Default::default()
        };
        let mut cells = Cells::new(vec![0, day], 2 * day);
        cells.stay(&s, GroupBy::None);
        let series = cells.series();
        assert_eq!(series[0].tally.offered, 1);
        assert_eq!(series[0].tally.answered, 0);
        assert_eq!(series[1].tally.answered, 1);
        assert_eq!(series[1].tally.handle_ms, 540_000);
        assert_eq!((series[1].csat_sum, series[1].csat_count), (4, 1));
        // A range that starts at the second day sees the answer, not the offer.
        let mut later = Cells::new(vec![day], 2 * day);
        later.stay(&s, GroupBy::Queue);
        assert_eq!(later.total().tally.offered, 0);
        assert_eq!(later.total().tally.answered, 1);
        assert_eq!(later.reasons()[""].tally.handled, 1);
    }
}
