//! The historical reports' tables: one row per stay of a contact in a queue
//! ([`ReportStay`]), the sums of their facts per quarter hour, queue and one other
//! dimension (`report_rollup`, kept in the same transactions: [`stay_sums`]), each
//! agent's time per activity per fifteen minutes, and how far into the log the
//! server's projection has read (`report_state`).
//!
//! They are a projection of the event log, kept by the server's `reports.rs` as the log
//! grows, so they are written here, on the reading pool in their own short
//! transactions, not through the group commit: nothing waits on them, and they can
//! always be rebuilt from the log. Every query names its organisation.
//!
//! Reading returns a channel of row chunks fed by a task of its own, so a report can
//! fold a month of stays, and a CSV export stream them, without holding them all.

use std::collections::HashMap;

use futures::TryStreamExt as _;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::sql::{PgStore, SqliteStore};
use crate::{Db, Result};

/// A contact's stay in one queue, with the time of each thing that happened to it
/// (Unix milliseconds).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportStay {
    pub contact_id: Uuid,
    /// The contact's n-th stay, from 0.
    pub seq: i64,
    pub queue_id: Uuid,
    /// The contact's channel (`chat`, `sms`, …).
    pub channel: String,
    /// The agent who answered it in this stay.
    pub agent_id: Option<Uuid>,
    pub offered_at: i64,
    pub answered_at: Option<i64>,
    /// Its wait in the queue until the answer.
    pub answer_wait_ms: Option<i64>,
    /// Answered within the queue's service-level threshold.
    pub in_sl: bool,
    /// `abandoned`, `expired`, `handled`, `transferred` or `moved` (overflowed to
    /// another queue); `None` while it is not over.
    pub outcome: Option<String>,
    pub ended_at: Option<i64>,
    /// For the abandoned and expired: how long they waited.
    pub wait_ms: Option<i64>,
    /// For the handled: acceptance to end.
    pub handle_ms: Option<i64>,
    /// When after-contact work ended, and how long it took.
    pub wrapped_at: Option<i64>,
    pub acw_ms: Option<i64>,
    /// The contact's wrap-up code (on each of its stays).
    pub code: Option<String>,
    /// The customer's rating (on the contact's last stay), and when it came.
    pub csat: Option<i64>,
    pub rated_at: Option<i64>,
}

/// An agent's time per activity in one fifteen-minute bucket (offline, break,
/// available, on contact, after-contact work), in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgentTimeRow {
    pub agent_id: Uuid,
    pub bucket: i64,
    pub ms: [i64; 5],
}

/// One step of the projection, written in one transaction.
#[derive(Clone, Debug, Default)]
pub struct ReportWrite {
    pub org_id: Uuid,
    /// The last event seq read.
    pub watermark: i64,
    /// The projection's state there (JSON); empty: rows only, the watermark unchanged.
    pub state: String,
    /// Stays created or changed (written whole; the rollup takes off what the previous
    /// version added and adds the new one's sums).
    pub stays: Vec<ReportStay>,
    /// Time to add to what is stored.
    pub agent_time: Vec<AgentTimeRow>,
    /// Ratings of contacts no longer in flight: (contact, rating, at).
    pub ratings: Vec<(Uuid, i64, i64)>,
}

/// Which of a stay's facts a drill-down asks for; each has its own time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StayFact {
    Offered,
    Answered,
    AnsweredInSl,
    Abandoned,
    Expired,
    Handled,
    Transferred,
    Wrapped,
    Rated,
}

impl StayFact {
    /// The column holding its time, and what else the stay must be.
    fn sql(self) -> (&'static str, &'static str) {
        match self {
            StayFact::Offered => ("offered_at", ""),
            StayFact::Answered => ("answered_at", ""),
            StayFact::AnsweredInSl => ("answered_at", " AND in_sl = 1"),
            StayFact::Abandoned => ("ended_at", " AND outcome = 'abandoned'"),
            StayFact::Expired => ("ended_at", " AND outcome = 'expired'"),
            StayFact::Handled => ("ended_at", " AND outcome = 'handled'"),
            StayFact::Transferred => ("ended_at", " AND outcome = 'transferred'"),
            StayFact::Wrapped => ("wrapped_at", ""),
            StayFact::Rated => ("rated_at", ""),
        }
    }
}

/// Which stays to read: offered in `[offered_from, offered_to)`, of one organisation,
/// optionally only those matching the filters, those with one fact in `[from, to)`,
/// after a cursor, at most `limit`.
#[derive(Clone, Debug, Default)]
pub struct StayQuery {
    pub org_id: Uuid,
    pub offered_from: i64,
    pub offered_to: i64,
    pub queue_id: Option<Uuid>,
    /// `Some(None)`: stays no agent answered.
    pub agent_id: Option<Option<Uuid>>,
    pub channel: Option<String>,
    /// `Some(None)`: stays without a code.
    pub code: Option<Option<String>>,
    pub fact: Option<(StayFact, i64, i64)>,
    /// (offered_at, contact_id, seq) of the last row of the previous page.
    pub after: Option<(i64, Uuid, i64)>,
    pub limit: Option<u32>,
    /// In (offered_at, contact, seq) order (pages, exports); else in any order.
    pub ordered: bool,
}

/// Which fact of the stays [`Db::report_sums`] adds up, each at its own time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SumFact {
    /// `n` offers.
    Offered,
    /// `n` answers; `s1` their waits, `s2` those within the threshold.
    Answered,
    /// `n` ends with `outcome`; `s1` the waits (abandoned, expired), `s2` the handle
    /// times (handled).
    Ended,
    /// `n` wrap-ups; `s1` their after-contact time.
    Wrapped,
    /// `n` ratings; `s1` their sum.
    Rated,
}

/// What [`Db::report_sums`] groups by besides the quarter hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SumGroup {
    None,
    Queue,
    Agent,
    Channel,
    Code,
}

/// A group's value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SumKey {
    None,
    Id(Option<Uuid>),
    Text(Option<String>),
}

/// The sums of one fact in one quarter hour (`bucket`: quarter hours after the
/// query's `from`) and group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FactSum {
    pub bucket: i64,
    pub key: SumKey,
    pub outcome: Option<String>,
    pub n: i64,
    pub s1: i64,
    pub s2: i64,
}

/// The rollup's columns ([`RollupSums`]), in order.
const SUM_COLUMNS: [&str; 14] = [
    "offered",
    "answered",
    "answered_in_sl",
    "answer_wait_ms",
    "abandoned",
    "abandon_wait_ms",
    "expired",
    "handled",
    "handle_ms",
    "transferred",
    "wrapped",
    "acw_ms",
    "rated",
    "csat_sum",
];

/// What a stay's facts add to the rollup, per [`SUM_COLUMNS`]: offered; answered,
/// within the threshold, their waits; abandoned and their waits; expired; handled and
/// their handle times; transferred; wrapped and their after-contact time; rated and
/// the ratings' sum. The same sums [`Db::report_sums`] makes from the stays.
pub type RollupSums = [i64; 14];

/// The other dimension a rollup row is kept by, beside the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Dim {
    Channel = 0,
    Code = 1,
    /// Over every queue (agents times queues would be as many rows as stays).
    Agent = 2,
}

/// A rollup row's key: dimension, quarter hour (its start, Unix ms), queue (nil for
/// [`Dim::Agent`]), agent (nil when none or not the dimension), channel or code ('').
type RollupKey = (Dim, i64, Uuid, Uuid, String);

/// The facts of `s`, each at its own time, as what they add to the rollup: the one rule
/// the rollup is kept by (and [`Db::report_sums`]'s queries make from the stays).
pub fn stay_sums(s: &ReportStay, mut each: impl FnMut(i64, &RollupSums)) {
    let v = |x: Option<i64>| x.unwrap_or(0);
    let mut offered = [0; 14];
    offered[0] = 1;
    each(s.offered_at, &offered);
    if let Some(at) = s.answered_at {
        let mut a = [0; 14];
        a[1] = 1;
        a[2] = i64::from(s.in_sl);
        a[3] = v(s.answer_wait_ms);
        each(at, &a);
    }
    if let (Some(at), Some(outcome)) = (s.ended_at, s.outcome.as_deref()) {
        let mut e = [0; 14];
        match outcome {
            "abandoned" => {
                e[4] = 1;
                e[5] = v(s.wait_ms);
            }
            "expired" => e[6] = 1,
            "handled" => {
                e[7] = 1;
                e[8] = v(s.handle_ms);
            }
            "transferred" => e[9] = 1,
            _ => {}
        }
        if e != [0; 14] {
            each(at, &e);
        }
    }
    if let Some(at) = s.wrapped_at {
        let mut w = [0; 14];
        w[10] = 1;
        w[11] = v(s.acw_ms);
        each(at, &w);
    }
    if let (Some(at), Some(csat)) = (s.rated_at, s.csat) {
        let mut r = [0; 14];
        r[12] = 1;
        r[13] = csat;
        each(at, &r);
    }
}

/// The quarter hour (its start, Unix ms) of a time.
fn quarter(at: i64) -> i64 {
    at - at.rem_euclid(900_000)
}

/// Add `sign` times what `s` adds to the rollup, in each dimension.
fn add_stay(acc: &mut HashMap<RollupKey, RollupSums>, s: &ReportStay, sign: i64) {
    let nil = Uuid::nil();
    let code = s.code.clone().unwrap_or_default();
    stay_sums(s, |at, sums| {
        let b = quarter(at);
        for key in [
            (Dim::Channel, b, s.queue_id, nil, s.channel.clone()),
            (Dim::Code, b, s.queue_id, nil, code.clone()),
            (Dim::Agent, b, nil, s.agent_id.unwrap_or(nil), String::new()),
        ] {
            let row = acc.entry(key).or_insert([0; 14]);
            for (r, x) in row.iter_mut().zip(sums) {
                *r += sign * x;
            }
        }
    });
}

/// A rollup row as the facts' sums [`Db::report_sums`] gives (those not zero).
pub fn fact_sums(bucket: i64, key: &SumKey, c: &RollupSums, mut out: impl FnMut(SumFact, FactSum)) {
    let mut put = |fact, outcome: Option<&str>, n: i64, s1: i64, s2: i64| {
        if n != 0 {
            out(
                fact,
                FactSum {
                    bucket,
                    key: key.clone(),
                    outcome: outcome.map(str::to_string),
                    n,
                    s1,
                    s2,
                },
            );
        }
    };
    put(SumFact::Offered, None, c[0], 0, 0);
    put(SumFact::Answered, None, c[1], c[3], c[2]);
    put(SumFact::Ended, Some("abandoned"), c[4], c[5], 0);
    put(SumFact::Ended, Some("expired"), c[6], 0, 0);
    put(SumFact::Ended, Some("handled"), c[7], 0, c[8]);
    put(SumFact::Ended, Some("transferred"), c[9], 0, 0);
    put(SumFact::Wrapped, None, c[10], c[11], 0);
    put(SumFact::Rated, None, c[12], c[13], 0);
}

/// Which rollup dimension serves a report of `q`'s filters grouped by `group`, if one
/// does: filters by the queue and by at most one other dimension, grouped by none, the
/// queue or that dimension (agents' rows are not kept per queue).
fn rollup_dim(q: &StayQuery, group: SumGroup) -> Option<Dim> {
    let mut filtered = Vec::new();
    if q.channel.is_some() {
        filtered.push(Dim::Channel);
    }
    if q.code.is_some() {
        filtered.push(Dim::Code);
    }
    if q.agent_id.is_some() {
        filtered.push(Dim::Agent);
    }
    let grouped = match group {
        SumGroup::None | SumGroup::Queue => None,
        SumGroup::Channel => Some(Dim::Channel),
        SumGroup::Code => Some(Dim::Code),
        SumGroup::Agent => Some(Dim::Agent),
    };
    let dim = match (grouped, filtered.as_slice()) {
        (g, []) => g.unwrap_or(Dim::Channel),
        (None, [f]) => *f,
        (Some(g), [f]) if g == *f => g,
        _ => return None,
    };
    let per_queue = q.queue_id.is_some() || group == SumGroup::Queue;
    (dim != Dim::Agent || !per_queue).then_some(dim)
}

/// Rows per chunk sent by [`Db::report_stays`].
const CHUNK: usize = 1024;
/// Stays per multi-row insert (19 values each, within both databases' limits).
const INSERT_ROWS: usize = 500;

const COLUMNS: &str = "contact_id, seq, queue_id, channel, agent_id, offered_at, answered_at, \
     answer_wait_ms, in_sl, outcome, ended_at, wait_ms, handle_ms, wrapped_at, acw_ms, code, \
     csat, rated_at";

macro_rules! reports_backend {
    ($name:ident, $db:ty, $begin:expr, $prepare:expr) => {
        impl $name {
            /// The conditions a stay query adds after its range: queue, agent, channel
            /// and code, each a value or "none".
            fn push_filters(qb: &mut sqlx::QueryBuilder<$db>, q: &StayQuery) {
                if let Some(v) = q.queue_id {
                    qb.push(" AND queue_id = ").push_bind(v);
                }
                match q.agent_id {
                    Some(Some(v)) => {
                        qb.push(" AND agent_id = ").push_bind(v);
                    }
                    Some(None) => {
                        qb.push(" AND agent_id IS NULL");
                    }
                    None => {}
                }
                if let Some(v) = &q.channel {
                    qb.push(" AND channel = ").push_bind(v.clone());
                }
                match &q.code {
                    Some(Some(v)) => {
                        qb.push(" AND code = ").push_bind(v.clone());
                    }
                    Some(None) => {
                        qb.push(" AND code IS NULL");
                    }
                    None => {}
                }
            }

            async fn report_load(&self, org: Uuid) -> Result<Option<(i64, String)>> {
                Ok(sqlx::query_as::<_, (i64, String)>(
                    "SELECT watermark, state FROM report_state WHERE org_id = $1",
                )
                .bind(org)
                .fetch_optional(self.read_pool())
                .await?)
            }

            async fn report_save(&self, w: &ReportWrite) -> Result<()> {
                let mut tx = self.read_pool().begin_with($begin).await?;
                // What the rollup gains: each stay's sums less those of its previous
                // version.
                let mut rollup = HashMap::new();
                for chunk in w.stays.chunks(INSERT_ROWS) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                        "SELECT {COLUMNS} FROM report_stays JOIN (VALUES "
                    ));
                    for (i, s) in chunk.iter().enumerate() {
                        qb.push(if i == 0 { "(" } else { ", (" });
                        qb.push_bind(s.offered_at).push(", ");
                        qb.push_bind(s.contact_id).push(", ");
                        qb.push_bind(s.seq).push(")");
                    }
                    qb.push(
                        ") AS v ON offered_at = v.column1 AND contact_id = v.column2 \
                         AND seq = v.column3 WHERE org_id = ",
                    );
                    qb.push_bind(w.org_id);
                    for r in qb.build().fetch_all(&mut *tx).await? {
                        add_stay(&mut rollup, &stay_of(&r)?, -1);
                    }
                    for s in chunk {
                        add_stay(&mut rollup, s, 1);
                    }
                    let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                        "INSERT INTO report_stays (org_id, {COLUMNS}) "
                    ));
                    qb.push_values(chunk, |mut b, s| {
                        b.push_bind(w.org_id)
                            .push_bind(s.contact_id)
                            .push_bind(s.seq)
                            .push_bind(s.queue_id)
                            .push_bind(s.channel.clone())
                            .push_bind(s.agent_id)
                            .push_bind(s.offered_at)
                            .push_bind(s.answered_at)
                            .push_bind(s.answer_wait_ms)
                            .push_bind(i64::from(s.in_sl))
                            .push_bind(s.outcome.clone())
                            .push_bind(s.ended_at)
                            .push_bind(s.wait_ms)
                            .push_bind(s.handle_ms)
                            .push_bind(s.wrapped_at)
                            .push_bind(s.acw_ms)
                            .push_bind(s.code.clone())
                            .push_bind(s.csat)
                            .push_bind(s.rated_at);
                    });
                    qb.push(
                        " ON CONFLICT (org_id, offered_at, contact_id, seq) DO UPDATE SET \
                         queue_id = excluded.queue_id, channel = excluded.channel, \
                         agent_id = excluded.agent_id, \
                         answered_at = excluded.answered_at, \
                         answer_wait_ms = excluded.answer_wait_ms, in_sl = excluded.in_sl, \
                         outcome = excluded.outcome, ended_at = excluded.ended_at, \
                         wait_ms = excluded.wait_ms, handle_ms = excluded.handle_ms, \
                         wrapped_at = excluded.wrapped_at, acw_ms = excluded.acw_ms, \
                         code = excluded.code, csat = excluded.csat, \
                         rated_at = excluded.rated_at",
                    );
                    qb.build().execute(&mut *tx).await?;
                }
                for chunk in w.agent_time.chunks(INSERT_ROWS) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO report_agent_time (org_id, agent_id, bucket, offline_ms, \
                         break_ms, available_ms, on_contact_ms, acw_ms) ",
                    );
                    qb.push_values(chunk, |mut b, r| {
                        b.push_bind(w.org_id)
                            .push_bind(r.agent_id)
                            .push_bind(r.bucket)
                            .push_bind(r.ms[0])
                            .push_bind(r.ms[1])
                            .push_bind(r.ms[2])
                            .push_bind(r.ms[3])
                            .push_bind(r.ms[4]);
                    });
                    qb.push(
                        " ON CONFLICT (org_id, bucket, agent_id) DO UPDATE SET \
                         offline_ms = report_agent_time.offline_ms + excluded.offline_ms, \
                         break_ms = report_agent_time.break_ms + excluded.break_ms, \
                         available_ms = report_agent_time.available_ms + excluded.available_ms, \
                         on_contact_ms = report_agent_time.on_contact_ms + excluded.on_contact_ms, \
                         acw_ms = report_agent_time.acw_ms + excluded.acw_ms",
                    );
                    qb.build().execute(&mut *tx).await?;
                }
                for (contact, rating, at) in &w.ratings {
                    // The contact's last stay gets the rating.
                    // COLUMNS is a constant.
                    let Some(r) = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT {COLUMNS} FROM report_stays WHERE org_id = $1 \
                         AND contact_id = $2 ORDER BY seq DESC LIMIT 1"
                    )))
                    .bind(w.org_id)
                    .bind(*contact)
                    .fetch_optional(&mut *tx)
                    .await?
                    else {
                        continue;
                    };
                    let last = stay_of(&r)?;
                    add_stay(&mut rollup, &last, -1);
                    let rated = ReportStay {
                        csat: Some(*rating),
                        rated_at: Some(*at),
                        ..last
                    };
                    add_stay(&mut rollup, &rated, 1);
                    sqlx::query(
                        "UPDATE report_stays SET csat = $1, rated_at = $2 WHERE org_id = $3 \
                         AND offered_at = $4 AND contact_id = $5 AND seq = $6",
                    )
                    .bind(*rating)
                    .bind(*at)
                    .bind(w.org_id)
                    .bind(rated.offered_at)
                    .bind(rated.contact_id)
                    .bind(rated.seq)
                    .execute(&mut *tx)
                    .await?;
                }
                let mut rows: Vec<(RollupKey, RollupSums)> =
                    rollup.into_iter().filter(|(_, v)| *v != [0; 14]).collect();
                rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                for chunk in rows.chunks(INSERT_ROWS) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                        "INSERT INTO report_rollup (org_id, dim, bucket, queue_id, agent_id, \
                         val, {}) ",
                        SUM_COLUMNS.join(", ")
                    ));
                    qb.push_values(chunk, |mut b, ((dim, bucket, queue, agent, val), sums)| {
                        b.push_bind(w.org_id)
                            .push_bind(*dim as i64)
                            .push_bind(*bucket)
                            .push_bind(*queue)
                            .push_bind(*agent)
                            .push_bind(val.clone());
                        for x in sums {
                            b.push_bind(*x);
                        }
                    });
                    qb.push(
                        " ON CONFLICT (org_id, dim, bucket, queue_id, agent_id, val) \
                         DO UPDATE SET ",
                    );
                    qb.push(
                        SUM_COLUMNS
                            .iter()
                            .map(|c| format!("{c} = report_rollup.{c} + excluded.{c}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    );
                    qb.build().execute(&mut *tx).await?;
                }
                if !w.state.is_empty() {
                    sqlx::query(
                        "INSERT INTO report_state (org_id, watermark, state) VALUES ($1, $2, $3) \
                         ON CONFLICT (org_id) DO UPDATE SET watermark = excluded.watermark, \
                         state = excluded.state",
                    )
                    .bind(w.org_id)
                    .bind(w.watermark)
                    .bind(&w.state)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            fn report_stays(&self, q: StayQuery) -> mpsc::Receiver<Result<Vec<ReportStay>>> {
                let (tx, rx) = mpsc::channel(4);
                let pool = self.read_pool().clone();
                tokio::spawn(async move {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                        "SELECT {COLUMNS} FROM report_stays WHERE org_id = "
                    ));
                    qb.push_bind(q.org_id);
                    qb.push(" AND offered_at >= ").push_bind(q.offered_from);
                    qb.push(" AND offered_at < ").push_bind(q.offered_to);
                    Self::push_filters(&mut qb, &q);
                    if let Some((fact, from, to)) = q.fact {
                        let (col, extra) = fact.sql();
                        qb.push(format!(" AND {col} >= ")).push_bind(from);
                        qb.push(format!(" AND {col} < ")).push_bind(to);
                        qb.push(extra);
                    }
                    if let Some((at, contact, seq)) = q.after {
                        qb.push(" AND (offered_at > ").push_bind(at);
                        qb.push(" OR (offered_at = ").push_bind(at);
                        qb.push(" AND (contact_id > ").push_bind(contact);
                        qb.push(" OR (contact_id = ").push_bind(contact);
                        qb.push(" AND seq > ").push_bind(seq);
                        qb.push("))))");
                    }
                    if q.ordered {
                        qb.push(" ORDER BY offered_at, contact_id, seq");
                    }
                    if let Some(n) = q.limit {
                        qb.push(" LIMIT ").push_bind(i64::from(n));
                    }
                    let mut rows = qb.build().fetch(&pool);
                    let mut chunk = Vec::with_capacity(CHUNK);
                    loop {
                        match rows.try_next().await {
                            Ok(Some(r)) => match stay_of(&r) {
                                Ok(s) => {
                                    chunk.push(s);
                                    if chunk.len() == CHUNK
                                        && tx
                                            .send(Ok(std::mem::replace(
                                                &mut chunk,
                                                Vec::with_capacity(CHUNK),
                                            )))
                                            .await
                                            .is_err()
                                    {
                                        return;
                                    }
                                }
                                Err(e) => {
                                    let _ = tx.send(Err(e)).await;
                                    return;
                                }
                            },
                            Ok(None) => break,
                            Err(e) => {
                                let _ = tx.send(Err(e.into())).await;
                                return;
                            }
                        }
                    }
                    if !chunk.is_empty() {
                        let _ = tx.send(Ok(chunk)).await;
                    }
                });
                rx
            }

            async fn report_sums(
                &self,
                q: &StayQuery,
                fact: SumFact,
                from: i64,
                to: i64,
                group: SumGroup,
            ) -> Result<Vec<FactSum>> {
                let (col, values, extra) = match fact {
                    SumFact::Offered => ("offered_at", "0, 0", ""),
                    SumFact::Answered => ("answered_at", "answer_wait_ms, in_sl", ""),
                    SumFact::Ended => ("ended_at", "wait_ms, handle_ms", ", outcome"),
                    SumFact::Wrapped => ("wrapped_at", "acw_ms, 0", ""),
                    SumFact::Rated => ("rated_at", "csat, 0", ""),
                };
                let (v1, v2) = values.split_once(", ").unwrap_or(("0", "0"));
                let k = match group {
                    SumGroup::None => "''",
                    SumGroup::Queue => "queue_id",
                    SumGroup::Agent => "agent_id",
                    SumGroup::Channel => "channel",
                    SumGroup::Code => "code",
                };
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!("SELECT ({col} - "));
                qb.push_bind(from);
                qb.push(format!(
                    ") / 900000 AS b, {k} AS k{extra}, COUNT(*) AS n, \
                     CAST(COALESCE(SUM({v1}), 0) AS BIGINT) AS s1, \
                     CAST(COALESCE(SUM({v2}), 0) AS BIGINT) AS s2 \
                     FROM report_stays WHERE org_id = "
                ));
                qb.push_bind(q.org_id);
                qb.push(" AND offered_at >= ").push_bind(q.offered_from);
                qb.push(" AND offered_at < ").push_bind(q.offered_to);
                qb.push(format!(" AND {col} >= ")).push_bind(from);
                qb.push(format!(" AND {col} < ")).push_bind(to);
                if fact == SumFact::Rated {
                    qb.push(" AND csat IS NOT NULL");
                }
                Self::push_filters(&mut qb, q);
                qb.push(format!(" GROUP BY b, k{extra}"));
                let mut conn = self.read_pool().acquire().await?;
                if let Some(p) = $prepare {
                    sqlx::query(p).execute(&mut *conn).await?;
                }
                let rows = qb.build().fetch_all(&mut *conn).await?;
                rows.iter()
                    .map(|r| {
                        Ok(FactSum {
                            bucket: r.try_get("b")?,
                            key: match group {
                                SumGroup::None => SumKey::None,
                                SumGroup::Queue | SumGroup::Agent => SumKey::Id(r.try_get("k")?),
                                SumGroup::Channel | SumGroup::Code => {
                                    SumKey::Text(r.try_get("k")?)
                                }
                            },
                            outcome: if fact == SumFact::Ended {
                                r.try_get("outcome")?
                            } else {
                                None
                            },
                            n: r.try_get("n")?,
                            s1: r.try_get("s1")?,
                            s2: r.try_get("s2")?,
                        })
                    })
                    .collect()
            }

            async fn report_rollup(
                &self,
                q: &StayQuery,
                from: i64,
                to: i64,
                group: SumGroup,
                starts: &[i64],
            ) -> Result<Option<Vec<(SumFact, FactSum)>>> {
                let Some(dim) = rollup_dim(q, group) else {
                    return Ok(None);
                };
                if quarter(from) != from || quarter(to) != to {
                    return Ok(None);
                }
                let (k, by) = match group {
                    SumGroup::None => ("''", "ib"),
                    SumGroup::Queue => ("queue_id", "ib, queue_id"),
                    SumGroup::Agent => ("agent_id", "ib, agent_id"),
                    SumGroup::Channel | SumGroup::Code => ("val", "ib, val"),
                };
                let ib = interval_start_sql(starts);
                let sums = SUM_COLUMNS
                    .iter()
                    .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {ib} AS ib, {k} AS k, {sums} FROM report_rollup WHERE org_id = "
                ));
                qb.push_bind(q.org_id);
                qb.push(" AND dim = ").push_bind(dim as i64);
                qb.push(" AND bucket >= ").push_bind(from);
                qb.push(" AND bucket < ").push_bind(to);
                if let Some(v) = q.queue_id {
                    qb.push(" AND queue_id = ").push_bind(v);
                }
                if let Some(v) = &q.channel {
                    qb.push(" AND val = ").push_bind(v.clone());
                }
                if let Some(v) = &q.code {
                    qb.push(" AND val = ").push_bind(v.clone().unwrap_or_default());
                }
                if let Some(v) = q.agent_id {
                    qb.push(" AND agent_id = ").push_bind(v.unwrap_or(Uuid::nil()));
                }
                qb.push(format!(" GROUP BY {by}"));
                let mut conn = self.read_pool().acquire().await?;
                if let Some(p) = $prepare {
                    sqlx::query(p).execute(&mut *conn).await?;
                }
                let rows = qb.build().fetch_all(&mut *conn).await?;
                let mut out = Vec::new();
                for r in &rows {
                    let key = match group {
                        SumGroup::None => SumKey::None,
                        SumGroup::Queue => SumKey::Id(Some(r.try_get("k")?)),
                        SumGroup::Agent => {
                            let a: Uuid = r.try_get("k")?;
                            SumKey::Id((!a.is_nil()).then_some(a))
                        }
                        SumGroup::Channel | SumGroup::Code => {
                            let v: String = r.try_get("k")?;
                            SumKey::Text((!v.is_empty()).then_some(v))
                        }
                    };
                    let mut c = [0; 14];
                    for (x, col) in c.iter_mut().zip(SUM_COLUMNS) {
                        *x = r.try_get(col)?;
                    }
                    let bucket = (r.try_get::<i64, _>("ib")? - from) / 900_000;
                    fact_sums(bucket, &key, &c, |f, s| out.push((f, s)));
                }
                Ok(Some(out))
            }

            async fn report_agent_time(
                &self,
                org: Uuid,
                from: i64,
                to: i64,
                starts: &[i64],
            ) -> Result<Vec<AgentTimeRow>> {
                let ib = interval_start_sql(starts);
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT agent_id, {ib} AS ib, \
                     CAST(SUM(offline_ms) AS BIGINT) AS offline_ms, \
                     CAST(SUM(break_ms) AS BIGINT) AS break_ms, \
                     CAST(SUM(available_ms) AS BIGINT) AS available_ms, \
                     CAST(SUM(on_contact_ms) AS BIGINT) AS on_contact_ms, \
                     CAST(SUM(acw_ms) AS BIGINT) AS acw_ms FROM report_agent_time \
                     WHERE org_id = "
                ));
                qb.push_bind(org);
                qb.push(" AND bucket >= ").push_bind(from);
                qb.push(" AND bucket < ").push_bind(to);
                qb.push(" GROUP BY agent_id, ib");
                let rows = qb.build().fetch_all(self.read_pool()).await?;
                rows.iter()
                    .map(|r| {
                        Ok(AgentTimeRow {
                            agent_id: r.try_get("agent_id")?,
                            bucket: r.try_get("ib")?,
                            ms: [
                                r.try_get("offline_ms")?,
                                r.try_get("break_ms")?,
                                r.try_get("available_ms")?,
                                r.try_get("on_contact_ms")?,
                                r.try_get("acw_ms")?,
                            ],
                        })
                    })
                    .collect()
            }
        }
    };
}

/// Intervals a report may ask the database to add up into; with more, rows come back
/// per quarter hour and the caller adds them up.
pub const MAX_FOLDED_INTERVALS: usize = 100;

/// SQL mapping a row's `bucket` (Unix ms on a quarter hour) to the start of the report
/// interval it lies in, `starts` being the intervals' starts in order (a report's days,
/// weeks or whole range, cut at its zone's midnights): the database then adds a month
/// up into a row per interval instead of sending a row per quarter hour. The bounds
/// are the server's own integers, written as literals. With no starts, or more than
/// [`MAX_FOLDED_INTERVALS`], the bucket itself.
pub fn interval_start_sql(starts: &[i64]) -> String {
    if starts.is_empty() || starts.len() > MAX_FOLDED_INTERVALS {
        return "bucket".into();
    }
    // Before the first interval: the bucket itself, which no interval claims.
    let mut sql = format!("CASE WHEN bucket < {} THEN bucket", starts[0]);
    for w in starts.windows(2) {
        sql.push_str(&format!(" WHEN bucket < {} THEN {}", w[1], w[0]));
    }
    sql.push_str(&format!(" ELSE {} END", starts[starts.len() - 1]));
    sql
}

fn stay_of<R: Row>(r: &R) -> Result<ReportStay>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> Uuid: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<Uuid>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(ReportStay {
        contact_id: r.try_get("contact_id")?,
        seq: r.try_get("seq")?,
        queue_id: r.try_get("queue_id")?,
        channel: r.try_get("channel")?,
        agent_id: r.try_get("agent_id")?,
        offered_at: r.try_get("offered_at")?,
        answered_at: r.try_get("answered_at")?,
        answer_wait_ms: r.try_get("answer_wait_ms")?,
        in_sl: r.try_get::<i64, _>("in_sl")? != 0,
        outcome: r.try_get("outcome")?,
        ended_at: r.try_get("ended_at")?,
        wait_ms: r.try_get("wait_ms")?,
        handle_ms: r.try_get("handle_ms")?,
        wrapped_at: r.try_get("wrapped_at")?,
        acw_ms: r.try_get("acw_ms")?,
        code: r.try_get("code")?,
        csat: r.try_get("csat")?,
        rated_at: r.try_get("rated_at")?,
    })
}

// SQLite reads a month of stays through a memory map rather than a read call per page
// (the connection keeps the setting; it changes nothing on disk).
reports_backend!(
    SqliteStore,
    sqlx::Sqlite,
    "BEGIN IMMEDIATE",
    Some("PRAGMA mmap_size = 4294967296")
);
reports_backend!(PgStore, sqlx::Postgres, "BEGIN", None::<&str>);

impl Db {
    /// The reports' watermark and state for `org`, if they have started.
    pub async fn report_load(&self, org: Uuid) -> Result<Option<(i64, String)>> {
        match self {
            Db::Sqlite(s) => s.report_load(org).await,
            Db::Postgres(s) => s.report_load(org).await,
        }
    }

    /// Write one step of the reports' projection (stays, agents' time, ratings, the new
    /// watermark) in one transaction.
    pub async fn report_save(&self, w: &ReportWrite) -> Result<()> {
        match self {
            Db::Sqlite(s) => s.report_save(w).await,
            Db::Postgres(s) => s.report_save(w).await,
        }
    }

    /// The stays `q` asks for, in chunks, read by a task of its own (dropping the
    /// receiver stops it).
    pub fn report_stays(&self, q: StayQuery) -> mpsc::Receiver<Result<Vec<ReportStay>>> {
        match self {
            Db::Sqlite(s) => s.report_stays(q),
            Db::Postgres(s) => s.report_stays(q),
        }
    }

    /// The sums of one fact of the stays `q` chooses (its offer range and filters),
    /// that happened in `[from, to)`, per quarter hour after `from` and group: the
    /// database adds up, so a month of stays never leaves it.
    pub async fn report_sums(
        &self,
        q: &StayQuery,
        fact: SumFact,
        from: i64,
        to: i64,
        group: SumGroup,
    ) -> Result<Vec<FactSum>> {
        match self {
            Db::Sqlite(s) => s.report_sums(q, fact, from, to, group).await,
            Db::Postgres(s) => s.report_sums(q, fact, from, to, group).await,
        }
    }

    /// The sums [`Db::report_sums`] would give for every fact, from the rollup: each fact
    /// of every stay that happened in `[from, to)`, however long after its offer (`q`'s
    /// offer range is not used), per quarter hour after `from` and group. `None` when
    /// the rollup cannot serve the filters and grouping (filters by more than the queue
    /// and one other dimension, agents with a queue) or `from` or `to` is not on a
    /// quarter hour: then [`Db::report_sums`] adds up the stays.
    pub async fn report_rollup(
        &self,
        q: &StayQuery,
        from: i64,
        to: i64,
        group: SumGroup,
        starts: &[i64],
    ) -> Result<Option<Vec<(SumFact, FactSum)>>> {
        match self {
            Db::Sqlite(s) => s.report_rollup(q, from, to, group, starts).await,
            Db::Postgres(s) => s.report_rollup(q, from, to, group, starts).await,
        }
    }

    /// Agents' time with `from <= bucket < to`, added up per interval of `starts` (see
    /// [`interval_start_sql`]; each row's `bucket` is its interval's start).
    pub async fn report_agent_time(
        &self,
        org: Uuid,
        from: i64,
        to: i64,
        starts: &[i64],
    ) -> Result<Vec<AgentTimeRow>> {
        match self {
            Db::Sqlite(s) => s.report_agent_time(org, from, to, starts).await,
            Db::Postgres(s) => s.report_agent_time(org, from, to, starts).await,
        }
    }
}
