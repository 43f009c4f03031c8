//! The historical reports' tables: one row per stay of a contact in a queue
//! ([`ReportStay`]), each agent's time per activity per fifteen minutes, and how far
//! into the log the server's projection has read (`report_state`).
//!
//! They are a projection of the event log, kept by the server's `reports.rs` as the log
//! grows, so they are written here, on the reading pool in their own short
//! transactions, not through the group commit: nothing waits on them, and they can
//! always be rebuilt from the log. Every query names its organisation.
//!
//! Reading returns a channel of row chunks fed by a task of its own, so a report can
//! fold a month of stays, and a CSV export stream them, without holding them all.

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
    /// Stays created or changed (written whole).
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
                for chunk in w.stays.chunks(INSERT_ROWS) {
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
                    sqlx::query(
                        "UPDATE report_stays SET csat = $1, rated_at = $2 \
                         WHERE org_id = $3 AND contact_id = $4 AND seq = \
                         (SELECT MAX(seq) FROM report_stays AS l \
                          WHERE l.org_id = $3 AND l.contact_id = $4)",
                    )
                    .bind(*rating)
                    .bind(*at)
                    .bind(w.org_id)
                    .bind(*contact)
                    .execute(&mut *tx)
                    .await?;
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

            async fn report_agent_time(
                &self,
                org: Uuid,
                from: i64,
                to: i64,
            ) -> Result<Vec<AgentTimeRow>> {
                let rows = sqlx::query(
                    "SELECT agent_id, bucket, offline_ms, break_ms, available_ms, \
                     on_contact_ms, acw_ms FROM report_agent_time \
                     WHERE org_id = $1 AND bucket >= $2 AND bucket < $3",
                )
                .bind(org)
                .bind(from)
                .bind(to)
                .fetch_all(self.read_pool())
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(AgentTimeRow {
                            agent_id: r.try_get("agent_id")?,
                            bucket: r.try_get("bucket")?,
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

    /// Agents' time per bucket with `from <= bucket < to`.
    pub async fn report_agent_time(
        &self,
        org: Uuid,
        from: i64,
        to: i64,
    ) -> Result<Vec<AgentTimeRow>> {
        match self {
            Db::Sqlite(s) => s.report_agent_time(org, from, to).await,
            Db::Postgres(s) => s.report_agent_time(org, from, to).await,
        }
    }
}
