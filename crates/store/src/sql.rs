//! The two backends. sqlx's `Any` driver cannot carry UUIDs, times or JSON, so the trait
//! is implemented twice; the SQL is written once (`$N` placeholders work in both) and a
//! macro stamps out one implementation per database with concrete types.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;
use sqlx::types::Json;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::cache::{Key, Principals};
use crate::chain::Chains;
use crate::known::KnownIdentities;
use crate::model::*;
use crate::{Fence, Pending, Result, Store, StoreError};

/// How many submissions one transaction takes at most.
const MAX_BATCH: usize = 512;
/// How many submissions may wait for the writer before `submit` refuses more.
const QUEUE: usize = 65_536;

struct Request {
    changes: Vec<Change>,
    fence: Option<Fence>,
    reply: oneshot::Sender<Result<Committed>>,
}

/// The writer's running totals behind [`WriterStats`].
#[derive(Default)]
struct WriterCounters {
    batches: std::sync::atomic::AtomicU64,
    submissions: std::sync::atomic::AtomicU64,
    busy_ns: std::sync::atomic::AtomicU64,
}

impl WriterCounters {
    fn add(&self, submissions: usize, busy: Duration) {
        use std::sync::atomic::Ordering::Relaxed;
        self.batches.fetch_add(1, Relaxed);
        self.submissions.fetch_add(submissions as u64, Relaxed);
        self.busy_ns.fetch_add(busy.as_nanos() as u64, Relaxed);
    }

    fn read(&self) -> WriterStats {
        use std::sync::atomic::Ordering::Relaxed;
        WriterStats {
            batches: self.batches.load(Relaxed),
            submissions: self.submissions.load(Relaxed),
            busy_ns: self.busy_ns.load(Relaxed),
        }
    }
}

/// The writer's memory of fences that failed: organisation → epoch. A submission whose
/// fence failed earlier is refused without touching the database, because it was
/// computed from a live state that the failed write had already changed.
#[derive(Default)]
struct Fences(std::collections::HashMap<Uuid, u64>);

impl Fences {
    fn refused(&self, f: Option<Fence>) -> bool {
        f.is_some_and(|f| self.0.get(&f.org) == Some(&f.epoch))
    }
    fn fail(&mut self, f: Option<Fence>) {
        if let Some(f) = f {
            let e = self.0.entry(f.org).or_insert(f.epoch);
            *e = (*e).max(f.epoch);
        }
    }
}

fn fenced(f: Fence) -> StoreError {
    StoreError::Fenced(format!(
        "an earlier write of this organisation's live state (epoch {}) failed",
        f.epoch
    ))
}

/// How often SQLite's write-ahead log is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Rows per multi-row statement: 500 contacts are 10,000 parameters, well inside both
/// databases' limits (SQLite 32,766, PostgreSQL 65,535).
const ROWS_PER_STATEMENT: usize = 500;

/// One row per key, in first-seen order of the kept rows: of the rows with the same key,
/// the one with the highest rank, the last of equal ones (what applying them one after
/// another leaves, for an upsert that only moves a row to an equal or higher rank).
fn last_of_each<T, K: std::hash::Hash + Eq>(
    rows: Vec<&T>,
    key: impl Fn(&T) -> K,
    rank: impl Fn(&T) -> i64,
) -> Vec<&T> {
    if rows.len() < 2 {
        return rows;
    }
    let mut best: std::collections::HashMap<K, usize> = std::collections::HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        best.entry(key(r))
            .and_modify(|b| {
                if rank(r) >= rank(rows[*b]) {
                    *b = i;
                }
            })
            .or_insert(i);
    }
    let mut keep: Vec<usize> = best.into_values().collect();
    keep.sort_unstable();
    keep.into_iter().map(|i| rows[i]).collect()
}

fn parse_role(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| StoreError::Backend(format!("bad role in database: {s}")))
}
fn parse_kind(s: &str) -> Result<ObjectKind> {
    ObjectKind::parse(s).ok_or_else(|| StoreError::Backend(format!("bad kind in database: {s}")))
}
fn parse_status(s: &str) -> Result<ContactStatus> {
    ContactStatus::parse(s)
        .ok_or_else(|| StoreError::Backend(format!("bad status in database: {s}")))
}
fn parse_channel(s: &str) -> Result<Channel> {
    Channel::parse(s).ok_or_else(|| StoreError::Backend(format!("bad channel in database: {s}")))
}
fn parse_sender(s: &str) -> Result<Sender> {
    Sender::parse(s).ok_or_else(|| StoreError::Backend(format!("bad sender in database: {s}")))
}
fn limit(n: u32) -> i64 {
    i64::from(n.clamp(1, 1000))
}

macro_rules! backend {
    ($name:ident, $db:ty, $begin:expr) => {
        /// A store on one database; cheap to clone (connection pools and a channel).
        #[derive(Clone)]
        pub struct $name {
            read: sqlx::Pool<$db>,
            write_pool: sqlx::Pool<$db>,
            tx: mpsc::Sender<Request>,
            principals: Arc<Principals>,
            known: Arc<KnownIdentities>,
            counters: Arc<WriterCounters>,
        }

        impl $name {
            /// Start the writer, once the identities that exist are known.
            async fn start(read: sqlx::Pool<$db>, write_pool: sqlx::Pool<$db>) -> Result<Self> {
                let known = Arc::new(KnownIdentities::default());
                {
                    use futures::TryStreamExt as _;
                    let mut rows = sqlx::query_as::<_, (Uuid, String, String)>(
                        "SELECT org_id, kind, value FROM identities",
                    )
                    .fetch(&read);
                    let mut chunk = Vec::with_capacity(4096);
                    while let Some(row) = rows.try_next().await? {
                        chunk.push(row);
                        if chunk.len() == chunk.capacity() {
                            known.add(chunk.iter().map(|(o, k, v)| (*o, k.as_str(), v.as_str())));
                            chunk.clear();
                        }
                    }
                    known.add(chunk.iter().map(|(o, k, v)| (*o, k.as_str(), v.as_str())));
                }
                tracing::debug!(identities = known.len(), "known identities loaded");
                let (tx, rx) = mpsc::channel(QUEUE);
                let principals = Arc::new(Principals::default());
                let counters = Arc::new(WriterCounters::default());
                // The group commit runs on a thread of its own: a commit is a chain of
                // calls to the database, and on the request runtime each step of that
                // chain waited behind every request's task.
                let run = writer(
                    write_pool.clone(),
                    rx,
                    principals.clone(),
                    known.clone(),
                    counters.clone(),
                );
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| StoreError::Unavailable(format!("writer thread: {e}")))?;
                std::thread::Builder::new()
                    .name("store-writer".into())
                    .spawn(move || rt.block_on(run))
                    .map_err(|e| StoreError::Unavailable(format!("writer thread: {e}")))?;
                Ok($name {
                    read,
                    write_pool,
                    tx,
                    principals,
                    known,
                    counters,
                })
            }

            /// The reading pool: the reports' own tables ([`crate::reports`]) are read,
            /// and written, here, off the group commit.
            pub(crate) fn read_pool(&self) -> &sqlx::Pool<$db> {
                &self.read
            }

            /// What the writer has done since the store opened.
            pub fn writer_stats(&self) -> WriterStats {
                self.counters.read()
            }

            /// Close the pools (queued writes that already reached the writer finish first).
            pub async fn close(&self) {
                self.write_pool.close().await;
                self.read.close().await;
            }
        }

        /// The group-commit loop: take everything waiting, commit it as one transaction,
        /// answer each submitter once the commit returned.
        async fn writer(
            pool: sqlx::Pool<$db>,
            mut rx: mpsc::Receiver<Request>,
            principals: Arc<Principals>,
            known: Arc<KnownIdentities>,
            counters: Arc<WriterCounters>,
        ) {
            let mut batch: Vec<Request> = Vec::new();
            let mut fences = Fences::default();
            let mut chains = Chains::default();
            // The connection is kept from one transaction to the next while more work
            // waits (a pool's acquire costs a task's round trip), and given back when
            // the queue runs dry or the pool closes, so that closing never waits on it.
            let mut held: Option<sqlx::pool::PoolConnection<$db>> = None;
            while let Some(first) = rx.recv().await {
                // Whatever arrived while the last transaction committed goes into this
                // one: a lone write waits for nothing, and a busy server commits fewer,
                // larger batches (the fixed cost of a commit shared by more of them).
                batch.push(first);
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(r) => batch.push(r),
                        Err(_) => break,
                    }
                }
                let mark = chains.mark();
                let started = std::time::Instant::now();
                let result = match held.take() {
                    Some(c) => Ok(c),
                    None => pool.acquire().await.map_err(StoreError::from),
                };
                let result = match result {
                    Ok(mut conn) => {
                        let r = write_batch(&mut conn, &batch, &mut fences, &mut chains).await;
                        if r.is_ok() && !rx.is_empty() && !pool.is_closed() {
                            held = Some(conn);
                        }
                        r
                    }
                    Err(e) => Err(e),
                };
                counters.add(batch.len(), started.elapsed());
                match &result {
                    Ok(_) => chains.commit(),
                    Err(_) => chains.rollback_to(mark),
                }
                // Cached principals this batch wrote are dropped before anyone hears of
                // the commit, so no request that follows it sees the old row.
                principals.written(batch.iter().flat_map(|r| r.changes.iter()));
                // Identities are added whether or not the commit held: an extra one only
                // costs a read later, a missing one would hide a customer.
                known.written(batch.iter().flat_map(|r| r.changes.iter()));
                match result {
                    Ok(outcomes) => {
                        for (req, out) in batch.drain(..).zip(outcomes) {
                            let _ = req.reply.send(out);
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, n = batch.len(), "commit failed");
                        for req in batch.drain(..) {
                            fences.fail(req.fence);
                            let _ = req.reply.send(Err(e.clone()));
                        }
                    }
                }
            }
        }

        async fn write_batch(
            conn: &mut sqlx::pool::PoolConnection<$db>,
            batch: &[Request],
            fences: &mut Fences,
            chains: &mut Chains,
        ) -> Result<Vec<Result<Committed>>> {
            // The common case first: every list applies. One transaction, no savepoints,
            // and the rows of the hot tables (events, messages, contacts, deliveries)
            // written a table at a time, many rows per statement. If any list fails, it
            // is rolled back and the batch is written again list by list, each in its own
            // savepoint, so that only the failing list fails. A batch with an erasure, a
            // merge or a split takes the second path at once: it must apply in its list's
            // order.
            if !batch.iter().any(|r| r.changes.iter().any(Change::in_order)) {
                let mut tx = sqlx::Connection::begin_with(&mut **conn, $begin).await?;
                let lists: Vec<&[Change]> = batch
                    .iter()
                    .filter(|r| !fences.refused(r.fence))
                    .map(|r| r.changes.as_slice())
                    .collect();
                let mark = chains.mark();
                match apply_many(&mut tx, &lists, chains).await {
                    Ok(committed) => {
                        tx.commit().await?;
                        let mut committed = committed.into_iter();
                        return Ok(batch
                            .iter()
                            .map(|r| match r.fence.filter(|_| fences.refused(r.fence)) {
                                Some(f) => Err(fenced(f)),
                                None => Ok(committed.next().unwrap_or_default()),
                            })
                            .collect());
                    }
                    Err(e) => {
                        chains.rollback_to(mark);
                        tx.rollback().await?;
                        if lists.len() <= 1 {
                            // Alone in the transaction: the error is that list's own.
                            return Ok(batch
                                .iter()
                                .map(|r| match r.fence.filter(|_| fences.refused(r.fence)) {
                                    Some(f) => Err(fenced(f)),
                                    None => {
                                        fences.fail(r.fence);
                                        Err(e.clone())
                                    }
                                })
                                .collect());
                        }
                    }
                }
            }
            let mut tx = sqlx::Connection::begin_with(&mut **conn, $begin).await?;
            let mut outcomes = Vec::with_capacity(batch.len());
            for req in batch {
                if let Some(f) = req.fence.filter(|_| fences.refused(req.fence)) {
                    outcomes.push(Err(fenced(f)));
                    continue;
                }
                sqlx::query("SAVEPOINT w").execute(&mut *tx).await?;
                let mark = chains.mark();
                let out = apply(&mut tx, &req.changes, chains).await;
                if out.is_err() {
                    chains.rollback_to(mark);
                    fences.fail(req.fence);
                    sqlx::query("ROLLBACK TO SAVEPOINT w")
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query("RELEASE SAVEPOINT w").execute(&mut *tx).await?;
                outcomes.push(out);
            }
            tx.commit().await?;
            Ok(outcomes)
        }

        /// Every list's changes in one transaction: the hot tables' rows gathered and
        /// written a table at a time, many rows per statement; everything else in order,
        /// one statement each. The result is the same as applying the lists one after
        /// another: the hot tables have no foreign keys and no triggers, events keep
        /// their order (sequence numbers are assigned in the order of the rows), messages,
        /// identities and idempotency records are only inserted, a contact or customer
        /// written twice keeps its last version, and a
        /// delivery written twice keeps the furthest status (the last of equal ones), as
        /// its guarded upsert would.
        async fn apply_many(
            tx: &mut sqlx::Transaction<'_, $db>,
            lists: &[&[Change]],
            chains: &mut Chains,
        ) -> Result<Vec<Committed>> {
            let mut events = Vec::new();
            let mut owners = Vec::new();
            let mut messages = Vec::new();
            let mut contacts = Vec::new();
            let mut deliveries = Vec::new();
            let mut customers = Vec::new();
            let mut identities = Vec::new();
            let mut idempotency = Vec::new();
            for (i, list) in lists.iter().enumerate() {
                for change in list.iter() {
                    match change {
                        Change::Event(e) => {
                            events.push(e);
                            owners.push(i);
                        }
                        Change::PutMessage(m) => messages.push(m),
                        Change::PutContact(c) => contacts.push(c),
                        Change::PutDelivery(d) => deliveries.push(d),
                        Change::PutCustomer(c) => customers.push(c),
                        Change::PutIdentity(i) => identities.push(i),
                        Change::PutIdempotency(r) => idempotency.push(r),
                        other => {
                            apply(tx, std::slice::from_ref(other), chains).await?;
                        }
                    }
                }
            }
            let contacts = last_of_each(contacts, |c| c.id, |_| 0);
            let deliveries = last_of_each(deliveries, |d| d.message_id, |d| i64::from(d.status.rank()));
            let customers = last_of_each(customers, |c| c.id, |_| 0);
            put_customers(tx, &customers).await?;
            insert_identities(tx, &identities).await?;
            insert_idempotency(tx, &idempotency).await?;
            put_contacts(tx, &contacts).await?;
            insert_messages(tx, &messages).await?;
            put_deliveries(tx, &deliveries).await?;
            let seqs = insert_events(tx, &events, chains).await?;
            let mut committed = vec![Committed::default(); lists.len()];
            for (owner, seq) in owners.into_iter().zip(seqs) {
                committed[owner].event_seqs.push(seq);
            }
            Ok(committed)
        }

        /// Appends events, many rows a statement; their sequence numbers in row order.
        async fn insert_events(
            tx: &mut sqlx::Transaction<'_, $db>,
            events: &[&NewEvent],
            chains: &mut Chains,
        ) -> Result<Vec<i64>> {
            // Each event's link in its organisation's chain, in order.
            let mut hashes = Vec::with_capacity(events.len());
            for e in events {
                let prev = match chains.get(e.org_id) {
                    Some(h) => h.clone(),
                    None => sqlx::query_scalar::<_, Option<String>>(
                        "SELECT hash FROM events WHERE org_id = $1 ORDER BY seq DESC LIMIT 1",
                    )
                    .bind(e.org_id)
                    .fetch_optional(&mut **tx)
                    .await?
                    .flatten()
                    .unwrap_or_default(),
                };
                let h = crate::chain::link(&prev, e.org_id, e.at, &e.kind, &e.data);
                chains.set(e.org_id, h.clone());
                hashes.push(h);
            }
            let mut seqs = Vec::with_capacity(events.len());
            for (chunk, hashes) in events
                .chunks(ROWS_PER_STATEMENT)
                .zip(hashes.chunks(ROWS_PER_STATEMENT))
            {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO events (org_id, at, kind, data, hash) ",
                );
                q.push_values(chunk.iter().zip(hashes), |mut row, (e, h)| {
                    row.push_bind(e.org_id)
                        .push_bind(e.at)
                        .push_bind(&e.kind)
                        .push_bind(Json(&e.data))
                        .push_bind(h);
                });
                q.push(" RETURNING seq");
                let mut got: Vec<i64> = q
                    .build_query_scalar()
                    .persistent(chunk.len() == 1)
                    .fetch_all(&mut **tx)
                    .await?;
                // Rows are numbered in the order they are given; the order RETURNING
                // lists them in is not promised, so put them back in that order.
                got.sort_unstable();
                seqs.extend(got);
            }
            Ok(seqs)
        }

        async fn insert_messages(
            tx: &mut sqlx::Transaction<'_, $db>,
            messages: &[&Message],
        ) -> Result<()> {
            for chunk in messages.chunks(ROWS_PER_STATEMENT) {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO messages (id, org_id, contact_id, seq, sender, author_id, \
                     author_name, text, attachment, internal, client_id, at, template, pii) ",
                );
                q.push_values(chunk, |mut row, m| {
                    row.push_bind(m.id)
                        .push_bind(m.org_id)
                        .push_bind(m.contact_id)
                        .push_bind(m.seq)
                        .push_bind(m.sender.as_str())
                        .push_bind(m.author_id)
                        .push_bind(&m.author_name)
                        .push_bind(&m.text)
                        .push_bind(m.attachment.as_ref().map(Json))
                        .push_bind(m.internal)
                        .push_bind(&m.client_id)
                        .push_bind(m.at)
                        .push_bind(m.template.as_ref().map(Json))
                        .push_bind((!m.pii.is_empty()).then_some(Json(&m.pii)));
                });
                q.build()
                    .persistent(chunk.len() == 1)
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(())
        }

        async fn put_customers(
            tx: &mut sqlx::Transaction<'_, $db>,
            customers: &[&Customer],
        ) -> Result<()> {
            for chunk in customers.chunks(ROWS_PER_STATEMENT) {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO customers (id, org_id, name, email, data, created_at) ",
                );
                q.push_values(chunk, |mut row, c| {
                    row.push_bind(c.id)
                        .push_bind(c.org_id)
                        .push_bind(&c.name)
                        .push_bind(&c.email)
                        .push_bind(Json(&c.data))
                        .push_bind(c.created_at);
                });
                q.push(
                    " ON CONFLICT (id) DO UPDATE SET \
                     name = excluded.name, email = excluded.email, data = excluded.data \
                     WHERE customers.org_id = excluded.org_id",
                );
                q.build()
                    .persistent(chunk.len() == 1)
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(())
        }

        async fn insert_identities(
            tx: &mut sqlx::Transaction<'_, $db>,
            identities: &[&Identity],
        ) -> Result<()> {
            for chunk in identities.chunks(ROWS_PER_STATEMENT) {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO identities (id, org_id, customer_id, kind, value, sealed, \
                     created_at) ",
                );
                q.push_values(chunk, |mut row, i| {
                    row.push_bind(i.id)
                        .push_bind(i.org_id)
                        .push_bind(i.customer_id)
                        .push_bind(&i.kind)
                        .push_bind(&i.value)
                        .push_bind(&i.sealed)
                        .push_bind(i.created_at);
                });
                q.build()
                    .persistent(chunk.len() == 1)
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(())
        }

        async fn insert_idempotency(
            tx: &mut sqlx::Transaction<'_, $db>,
            records: &[&IdempotencyRecord],
        ) -> Result<()> {
            for chunk in records.chunks(ROWS_PER_STATEMENT) {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO idempotency_keys (org_id, key, request_hash, status, body, \
                     created_at) ",
                );
                q.push_values(chunk, |mut row, r| {
                    row.push_bind(r.org_id)
                        .push_bind(&r.key)
                        .push_bind(&r.request_hash)
                        .push_bind(r.status)
                        .push_bind(Json(&r.body))
                        .push_bind(r.created_at);
                });
                q.build()
                    .persistent(chunk.len() == 1)
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(())
        }

        async fn put_contacts(
            tx: &mut sqlx::Transaction<'_, $db>,
            contacts: &[&Contact],
        ) -> Result<()> {
            for chunk in contacts.chunks(ROWS_PER_STATEMENT) {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO contacts (id, org_id, channel, queue_id, status, customer_id, \
                     agent_id, topic, enqueued_at, accepted_at, ended_at, closed_at, \
                     wrapup_code, wrapup_notes, last_seq, customer_read_seq, agent_read_seq, \
                     data, created_at, updated_at) ",
                );
                q.push_values(chunk, |mut row, c| {
                    row.push_bind(c.id)
                        .push_bind(c.org_id)
                        .push_bind(c.channel.as_str())
                        .push_bind(c.queue_id)
                        .push_bind(c.status.as_str())
                        .push_bind(c.customer_id)
                        .push_bind(c.agent_id)
                        .push_bind(&c.topic)
                        .push_bind(c.enqueued_at)
                        .push_bind(c.accepted_at)
                        .push_bind(c.ended_at)
                        .push_bind(c.closed_at)
                        .push_bind(&c.wrapup_code)
                        .push_bind(&c.wrapup_notes)
                        .push_bind(c.last_seq)
                        .push_bind(c.customer_read_seq)
                        .push_bind(c.agent_read_seq)
                        .push_bind(Json(&c.data))
                        .push_bind(c.created_at)
                        .push_bind(c.updated_at);
                });
                q.push(
                    " ON CONFLICT (id) DO UPDATE SET \
                     channel = excluded.channel, queue_id = excluded.queue_id, \
                     status = excluded.status, customer_id = excluded.customer_id, \
                     agent_id = excluded.agent_id, topic = excluded.topic, \
                     enqueued_at = excluded.enqueued_at, \
                     accepted_at = excluded.accepted_at, ended_at = excluded.ended_at, \
                     closed_at = excluded.closed_at, \
                     wrapup_code = excluded.wrapup_code, \
                     wrapup_notes = excluded.wrapup_notes, last_seq = excluded.last_seq, \
                     customer_read_seq = excluded.customer_read_seq, \
                     agent_read_seq = excluded.agent_read_seq, data = excluded.data, \
                     updated_at = excluded.updated_at \
                     WHERE contacts.org_id = excluded.org_id",
                );
                q.build()
                    .persistent(chunk.len() == 1)
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(())
        }

        async fn put_deliveries(
            tx: &mut sqlx::Transaction<'_, $db>,
            deliveries: &[&Delivery],
        ) -> Result<()> {
            for chunk in deliveries.chunks(ROWS_PER_STATEMENT) {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO deliveries (message_id, org_id, contact_id, seq, channel, \
                     status, status_rank, attempts, next_attempt_ms, provider_message_id, \
                     error, created_at, updated_at) ",
                );
                q.push_values(chunk, |mut row, d| {
                    row.push_bind(d.message_id)
                        .push_bind(d.org_id)
                        .push_bind(d.contact_id)
                        .push_bind(d.seq)
                        .push_bind(d.channel.as_str())
                        .push_bind(d.status.as_str())
                        .push_bind(d.status.rank())
                        .push_bind(d.attempts)
                        .push_bind(d.next_attempt_ms)
                        .push_bind(&d.provider_message_id)
                        .push_bind(&d.error)
                        .push_bind(d.created_at)
                        .push_bind(d.updated_at);
                });
                // A receipt only moves a delivery forward: a late "sent" never undoes
                // the "delivered" that overtook it.
                q.push(
                    " ON CONFLICT (message_id) DO UPDATE SET \
                     status = excluded.status, status_rank = excluded.status_rank, \
                     attempts = excluded.attempts, \
                     next_attempt_ms = excluded.next_attempt_ms, \
                     provider_message_id = excluded.provider_message_id, \
                     error = excluded.error, updated_at = excluded.updated_at \
                     WHERE deliveries.org_id = excluded.org_id \
                     AND deliveries.status_rank <= excluded.status_rank",
                );
                q.build()
                    .persistent(chunk.len() == 1)
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(())
        }

        /// Deletes contacts with their messages, attachments, deliveries and the
        /// idempotency records whose answer names them.
        async fn erase_contacts(
            tx: &mut sqlx::Transaction<'_, $db>,
            org: Uuid,
            contacts: &[Uuid],
            committed: &mut Committed,
        ) -> Result<()> {
            for id in contacts {
                for (table, sql) in [
                    ("messages", "DELETE FROM messages WHERE org_id = $1 AND contact_id = $2"),
                    ("attachments", "DELETE FROM attachments WHERE org_id = $1 AND contact_id = $2"),
                    ("deliveries", "DELETE FROM deliveries WHERE org_id = $1 AND contact_id = $2"),
                    ("contacts", "DELETE FROM contacts WHERE org_id = $1 AND id = $2"),
                ] {
                    let n = sqlx::query(sql)
                        .bind(org)
                        .bind(id)
                        .execute(&mut **tx)
                        .await?
                        .rows_affected();
                    committed.add_erased(table, n);
                }
                erase_answers_naming(tx, org, *id, committed).await?;
            }
            Ok(())
        }

        /// Deletes the idempotency records whose stored answer names `id` (a contact or
        /// a customer): a retried request must not bring an erased person back. It scans
        /// the organisation's records once per id (they are kept without expiry today).
        async fn erase_answers_naming(
            tx: &mut sqlx::Transaction<'_, $db>,
            org: Uuid,
            id: Uuid,
            committed: &mut Committed,
        ) -> Result<()> {
            let n = sqlx::query(
                "DELETE FROM idempotency_keys WHERE org_id = $1 AND CAST(body AS TEXT) LIKE $2",
            )
            .bind(org)
            .bind(format!("%{id}%"))
            .execute(&mut **tx)
            .await?
            .rows_affected();
            committed.add_erased("idempotency_keys", n);
            Ok(())
        }

        async fn apply(
            tx: &mut sqlx::Transaction<'_, $db>,
            changes: &[Change],
            chains: &mut Chains,
        ) -> Result<Committed> {
            let mut committed = Committed::default();
            for change in changes {
                match change {
                    Change::Event(e) => {
                        committed.event_seqs.extend(insert_events(tx, &[e], chains).await?);
                    }
                    Change::PutOrg(o) => {
                        sqlx::query(
                            "INSERT INTO orgs (id, slug, name, mfa_required, created_at) \
                             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET \
                             slug = excluded.slug, name = excluded.name, \
                             mfa_required = excluded.mfa_required",
                        )
                        .bind(o.id)
                        .bind(&o.slug)
                        .bind(&o.name)
                        .bind(o.mfa_required)
                        .bind(o.created_at)
                        .execute(&mut **tx)
                        .await?;
                    }
                    Change::PutUser(u) => {
                        sqlx::query(
                            "INSERT INTO users (id, org_id, email, name, role, password_hash, \
                             totp_secret, totp_enabled, recovery_codes, failed_logins, \
                             locked_until, disabled, created_at, updated_at) VALUES \
                             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                             ON CONFLICT (id) DO UPDATE SET email = excluded.email, \
                             name = excluded.name, role = excluded.role, \
                             password_hash = excluded.password_hash, \
                             totp_secret = excluded.totp_secret, \
                             totp_enabled = excluded.totp_enabled, \
                             recovery_codes = excluded.recovery_codes, \
                             failed_logins = excluded.failed_logins, \
                             locked_until = excluded.locked_until, \
                             disabled = excluded.disabled, updated_at = excluded.updated_at \
                             WHERE users.org_id = excluded.org_id",
                        )
                        .bind(u.id)
                        .bind(u.org_id)
                        .bind(&u.email)
                        .bind(&u.name)
                        .bind(u.role.as_str())
                        .bind(&u.password_hash)
                        .bind(&u.totp_secret)
                        .bind(u.totp_enabled)
                        .bind(Json(&u.recovery_codes))
                        .bind(u.failed_logins)
                        .bind(u.locked_until)
                        .bind(u.disabled)
                        .bind(u.created_at)
                        .bind(u.updated_at)
                        .execute(&mut **tx)
                        .await?;
                    }
                    Change::PutSession(s) => {
                        sqlx::query(
                            "INSERT INTO sessions (token_hash, org_id, user_id, csrf_token, \
                             created_at, last_seen_at, expires_at, idp_mfa) VALUES \
                             ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (token_hash) DO UPDATE \
                             SET last_seen_at = excluded.last_seen_at, \
                             expires_at = excluded.expires_at",
                        )
                        .bind(&s.token_hash)
                        .bind(s.org_id)
                        .bind(s.user_id)
                        .bind(&s.csrf_token)
                        .bind(s.created_at)
                        .bind(s.last_seen_at)
                        .bind(s.expires_at)
                        .bind(s.idp_mfa)
                        .execute(&mut **tx)
                        .await?;
                    }
                    Change::DeleteSession { token_hash } => {
                        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                            .bind(token_hash)
                            .execute(&mut **tx)
                            .await?;
                    }
                    Change::DeleteUserSessions { org_id, user_id } => {
                        sqlx::query("DELETE FROM sessions WHERE org_id = $1 AND user_id = $2")
                            .bind(org_id)
                            .bind(user_id)
                            .execute(&mut **tx)
                            .await?;
                    }
                    Change::PutApiToken(t) => {
                        sqlx::query(
                            "INSERT INTO api_tokens (id, org_id, user_id, name, token_hash, \
                             scopes, created_at, last_used_at, revoked, expires_at, \
                             created_by) VALUES \
                             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                             ON CONFLICT (id) DO UPDATE \
                             SET name = excluded.name, scopes = excluded.scopes, \
                             last_used_at = excluded.last_used_at, revoked = excluded.revoked, \
                             expires_at = excluded.expires_at \
                             WHERE api_tokens.org_id = excluded.org_id",
                        )
                        .bind(t.id)
                        .bind(t.org_id)
                        .bind(t.user_id)
                        .bind(&t.name)
                        .bind(&t.token_hash)
                        .bind(Json(&t.scopes))
                        .bind(t.created_at)
                        .bind(t.last_used_at)
                        .bind(t.revoked)
                        .bind(t.expires_at)
                        .bind(t.created_by)
                        .execute(&mut **tx)
                        .await?;
                    }
                    Change::PutObject(o) => {
                        sqlx::query(
                            "INSERT INTO objects (id, org_id, kind, name, data, created_at, \
                             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                             ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
                             data = excluded.data, updated_at = excluded.updated_at \
                             WHERE objects.org_id = excluded.org_id \
                             AND objects.kind = excluded.kind",
                        )
                        .bind(o.id)
                        .bind(o.org_id)
                        .bind(o.kind.as_str())
                        .bind(&o.name)
                        .bind(Json(&o.data))
                        .bind(o.created_at)
                        .bind(o.updated_at)
                        .execute(&mut **tx)
                        .await?;
                    }
                    Change::DeleteObject { org_id, kind, id } => {
                        sqlx::query(
                            "DELETE FROM objects WHERE org_id = $1 AND kind = $2 AND id = $3",
                        )
                        .bind(org_id)
                        .bind(kind.as_str())
                        .bind(id)
                        .execute(&mut **tx)
                        .await?;
                    }
                    Change::PutCustomer(c) => put_customers(tx, &[c]).await?,
                    Change::PutIdentity(i) => insert_identities(tx, &[i]).await?,
                    Change::PutContact(c) => put_contacts(tx, &[c]).await?,
                    Change::PutMessage(m) => insert_messages(tx, &[m]).await?,
                    Change::PutAttachment { meta, data } => {
                        sqlx::query(
                            "INSERT INTO attachments (id, org_id, contact_id, name, \
                             content_type, size, sha256, data, created_at) VALUES \
                             ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                        )
                        .bind(meta.id)
                        .bind(meta.org_id)
                        .bind(meta.contact_id)
                        .bind(&meta.name)
                        .bind(&meta.content_type)
                        .bind(meta.size)
                        .bind(&meta.sha256)
                        .bind(data.as_slice())
                        .bind(meta.created_at)
                        .execute(&mut **tx)
                        .await?;
                    }
                    Change::PutDelivery(d) => put_deliveries(tx, &[d]).await?,
                    Change::PutIdempotency(r) => insert_idempotency(tx, &[r]).await?,
                    Change::PutDataKey(k) => {
                        sqlx::query(
                            "INSERT INTO data_keys (org_id, key_id, wrapped, created_at) \
                             VALUES ($1, $2, $3, $4)",
                        )
                        .bind(k.org_id)
                        .bind(k.key_id)
                        .bind(&k.wrapped)
                        .bind(k.created_at)
                        .execute(&mut **tx)
                        .await?;
                    }
                    Change::RewrapDataKey(k) => {
                        sqlx::query(
                            "UPDATE data_keys SET wrapped = $1 WHERE org_id = $2 AND key_id = $3",
                        )
                        .bind(&k.wrapped)
                        .bind(k.org_id)
                        .bind(k.key_id)
                        .execute(&mut **tx)
                        .await?;
                    }
                    Change::ResealMessage {
                        org_id,
                        id,
                        text,
                        author_name,
                    } => {
                        sqlx::query(
                            "UPDATE messages SET text = COALESCE($1, text), \
                             author_name = COALESCE($2, author_name) \
                             WHERE org_id = $3 AND id = $4",
                        )
                        .bind(text)
                        .bind(author_name)
                        .bind(org_id)
                        .bind(id)
                        .execute(&mut **tx)
                        .await?;
                    }
                    Change::ResealCustomer {
                        org_id,
                        id,
                        name,
                        email,
                        data,
                    } => {
                        sqlx::query(
                            "UPDATE customers SET name = $1, email = $2, data = $3 \
                             WHERE org_id = $4 AND id = $5",
                        )
                        .bind(name)
                        .bind(email)
                        .bind(Json(data))
                        .bind(org_id)
                        .bind(id)
                        .execute(&mut **tx)
                        .await?;
                    }
                    Change::ResealIdentity {
                        org_id,
                        id,
                        value,
                        sealed,
                        ..
                    } => {
                        sqlx::query(
                            "UPDATE identities SET value = $1, sealed = $2 \
                             WHERE org_id = $3 AND id = $4",
                        )
                        .bind(value)
                        .bind(sealed)
                        .bind(org_id)
                        .bind(id)
                        .execute(&mut **tx)
                        .await?;
                    }
                    Change::ResealContactData {
                        org_id,
                        id,
                        before,
                        data,
                    } => {
                        // Compared as read back: the live state may have moved on.
                        let now: Option<Json<serde_json::Value>> = sqlx::query_scalar(
                            "SELECT data FROM contacts WHERE org_id = $1 AND id = $2",
                        )
                        .bind(org_id)
                        .bind(id)
                        .fetch_optional(&mut **tx)
                        .await?;
                        if now.is_some_and(|n| &n.0 == before) {
                            sqlx::query(
                                "UPDATE contacts SET data = $1 WHERE org_id = $2 AND id = $3",
                            )
                            .bind(Json(data))
                            .bind(org_id)
                            .bind(id)
                            .execute(&mut **tx)
                            .await?;
                        }
                    }
                    Change::ResealAttachment { org_id, id, data } => {
                        sqlx::query(
                            "UPDATE attachments SET data = $1 WHERE org_id = $2 AND id = $3",
                        )
                        .bind(data.as_slice())
                        .bind(org_id)
                        .bind(id)
                        .execute(&mut **tx)
                        .await?;
                    }
                    Change::EraseCustomer { org_id, customer_id } => {
                        let contacts: Vec<Uuid> = sqlx::query_scalar(
                            "SELECT id FROM contacts WHERE org_id = $1 AND customer_id = $2",
                        )
                        .bind(org_id)
                        .bind(customer_id)
                        .fetch_all(&mut **tx)
                        .await?;
                        erase_contacts(tx, *org_id, &contacts, &mut committed).await?;
                        for (table, sql) in [
                            ("identities", "DELETE FROM identities WHERE org_id = $1 AND customer_id = $2"),
                            ("customers", "DELETE FROM customers WHERE org_id = $1 AND id = $2"),
                        ] {
                            let n = sqlx::query(sql)
                                .bind(org_id)
                                .bind(customer_id)
                                .execute(&mut **tx)
                                .await?
                                .rows_affected();
                            committed.add_erased(table, n);
                        }
                        erase_answers_naming(tx, *org_id, *customer_id, &mut committed).await?;
                        // Redirects from customers merged into this one, or to it: ids
                        // only, but they would still say the person existed.
                        sqlx::query(
                            "DELETE FROM customer_merges WHERE org_id = $1 \
                             AND (merged_into = $2 OR customer_id = $2)",
                        )
                        .bind(org_id)
                        .bind(customer_id)
                        .execute(&mut **tx)
                        .await?;
                    }
                    Change::EraseContacts { org_id, contact_ids } => {
                        erase_contacts(tx, *org_id, contact_ids, &mut committed).await?;
                    }
                    Change::MergeCustomer { org_id, from, into } => {
                        // Both must exist: never move rows onto a customer erased or
                        // merged away meanwhile.
                        let kept: Option<Uuid> = sqlx::query_scalar(
                            "SELECT id FROM customers WHERE org_id = $1 AND id = $2",
                        )
                        .bind(org_id)
                        .bind(into)
                        .fetch_optional(&mut **tx)
                        .await?;
                        if kept.is_none() || from == into {
                            return Err(StoreError::NotFound);
                        }
                        for sql in [
                            "UPDATE identities SET customer_id = $3 WHERE org_id = $1 AND customer_id = $2",
                            "UPDATE contacts SET customer_id = $3 WHERE org_id = $1 AND customer_id = $2",
                            "UPDATE customer_merges SET merged_into = $3 WHERE org_id = $1 AND merged_into = $2",
                        ] {
                            sqlx::query(sql)
                                .bind(org_id)
                                .bind(from)
                                .bind(into)
                                .execute(&mut **tx)
                                .await?;
                        }
                        let gone = sqlx::query("DELETE FROM customers WHERE org_id = $1 AND id = $2")
                            .bind(org_id)
                            .bind(from)
                            .execute(&mut **tx)
                            .await?
                            .rows_affected();
                        if gone == 0 {
                            return Err(StoreError::NotFound);
                        }
                        sqlx::query(
                            "INSERT INTO customer_merges (org_id, customer_id, merged_into) \
                             VALUES ($1, $2, $3)",
                        )
                        .bind(org_id)
                        .bind(from)
                        .bind(into)
                        .execute(&mut **tx)
                        .await?;
                    }
                    Change::SplitCustomer {
                        org_id,
                        from,
                        into,
                        identity_ids,
                        contact_ids,
                    } => {
                        for (sql, ids) in [
                            ("UPDATE identities SET customer_id = $3 WHERE org_id = $1 AND customer_id = $2 AND id = $4", identity_ids),
                            ("UPDATE contacts SET customer_id = $3 WHERE org_id = $1 AND customer_id = $2 AND id = $4", contact_ids),
                        ] {
                            for id in ids {
                                sqlx::query(sql)
                                    .bind(org_id)
                                    .bind(from)
                                    .bind(into)
                                    .bind(id)
                                    .execute(&mut **tx)
                                    .await?;
                            }
                        }
                    }
                }
            }
            Ok(committed)
        }

        mod rows {
            use super::*;
            type R = <$db as sqlx::Database>::Row;

            pub fn org(r: &R) -> Result<Org> {
                Ok(Org {
                    id: r.try_get("id")?,
                    slug: r.try_get("slug")?,
                    name: r.try_get("name")?,
                    mfa_required: r.try_get("mfa_required")?,
                    created_at: r.try_get("created_at")?,
                })
            }
            pub fn user(r: &R) -> Result<User> {
                let role: String = r.try_get("role")?;
                let codes: Json<Vec<String>> = r.try_get("recovery_codes")?;
                Ok(User {
                    id: r.try_get("id")?,
                    org_id: r.try_get("org_id")?,
                    email: r.try_get("email")?,
                    name: r.try_get("name")?,
                    role: parse_role(&role)?,
                    password_hash: r.try_get("password_hash")?,
                    totp_secret: r.try_get("totp_secret")?,
                    totp_enabled: r.try_get("totp_enabled")?,
                    recovery_codes: codes.0,
                    failed_logins: r.try_get("failed_logins")?,
                    locked_until: r.try_get("locked_until")?,
                    disabled: r.try_get("disabled")?,
                    created_at: r.try_get("created_at")?,
                    updated_at: r.try_get("updated_at")?,
                })
            }
            pub fn session(r: &R) -> Result<Session> {
                Ok(Session {
                    token_hash: r.try_get("token_hash")?,
                    org_id: r.try_get("org_id")?,
                    user_id: r.try_get("user_id")?,
                    csrf_token: r.try_get("csrf_token")?,
                    created_at: r.try_get("created_at")?,
                    last_seen_at: r.try_get("last_seen_at")?,
                    expires_at: r.try_get("expires_at")?,
                    idp_mfa: r.try_get("idp_mfa")?,
                })
            }
            pub fn api_token(r: &R) -> Result<ApiToken> {
                let scopes: Json<Vec<String>> = r.try_get("scopes")?;
                Ok(ApiToken {
                    id: r.try_get("id")?,
                    org_id: r.try_get("org_id")?,
                    user_id: r.try_get("user_id")?,
                    name: r.try_get("name")?,
                    token_hash: r.try_get("token_hash")?,
                    scopes: scopes.0,
                    created_at: r.try_get("created_at")?,
                    last_used_at: r.try_get("last_used_at")?,
                    revoked: r.try_get("revoked")?,
                    expires_at: r.try_get("expires_at")?,
                    created_by: r.try_get("created_by")?,
                })
            }
            pub fn object(r: &R) -> Result<Object> {
                let kind: String = r.try_get("kind")?;
                let data: Json<serde_json::Value> = r.try_get("data")?;
                Ok(Object {
                    id: r.try_get("id")?,
                    org_id: r.try_get("org_id")?,
                    kind: parse_kind(&kind)?,
                    name: r.try_get("name")?,
                    data: data.0,
                    created_at: r.try_get("created_at")?,
                    updated_at: r.try_get("updated_at")?,
                })
            }
            pub fn customer(r: &R) -> Result<Customer> {
                let data: Json<serde_json::Value> = r.try_get("data")?;
                Ok(Customer {
                    id: r.try_get("id")?,
                    org_id: r.try_get("org_id")?,
                    name: r.try_get("name")?,
                    email: r.try_get("email")?,
                    data: data.0,
                    created_at: r.try_get("created_at")?,
                })
            }
            pub fn identity(r: &R) -> Result<Identity> {
                Ok(Identity {
                    id: r.try_get("id")?,
                    org_id: r.try_get("org_id")?,
                    customer_id: r.try_get("customer_id")?,
                    kind: r.try_get("kind")?,
                    value: r.try_get("value")?,
                    sealed: r.try_get("sealed")?,
                    created_at: r.try_get("created_at")?,
                })
            }
            pub fn contact(r: &R) -> Result<Contact> {
                let status: String = r.try_get("status")?;
                let channel: String = r.try_get("channel")?;
                let data: Json<serde_json::Value> = r.try_get("data")?;
                Ok(Contact {
                    id: r.try_get("id")?,
                    org_id: r.try_get("org_id")?,
                    channel: parse_channel(&channel)?,
                    queue_id: r.try_get("queue_id")?,
                    status: parse_status(&status)?,
                    customer_id: r.try_get("customer_id")?,
                    agent_id: r.try_get("agent_id")?,
                    topic: r.try_get("topic")?,
                    enqueued_at: r.try_get("enqueued_at")?,
                    accepted_at: r.try_get("accepted_at")?,
                    ended_at: r.try_get("ended_at")?,
                    closed_at: r.try_get("closed_at")?,
                    wrapup_code: r.try_get("wrapup_code")?,
                    wrapup_notes: r.try_get("wrapup_notes")?,
                    last_seq: r.try_get("last_seq")?,
                    customer_read_seq: r.try_get("customer_read_seq")?,
                    agent_read_seq: r.try_get("agent_read_seq")?,
                    data: data.0,
                    created_at: r.try_get("created_at")?,
                    updated_at: r.try_get("updated_at")?,
                })
            }
            pub fn message(r: &R) -> Result<Message> {
                let sender: String = r.try_get("sender")?;
                let attachment: Option<Json<serde_json::Value>> = r.try_get("attachment")?;
                let template: Option<Json<MessageTemplate>> = r.try_get("template")?;
                let pii: Option<Json<Vec<HiddenValue>>> = r.try_get("pii")?;
                Ok(Message {
                    id: r.try_get("id")?,
                    org_id: r.try_get("org_id")?,
                    contact_id: r.try_get("contact_id")?,
                    seq: r.try_get("seq")?,
                    sender: parse_sender(&sender)?,
                    author_id: r.try_get("author_id")?,
                    author_name: r.try_get("author_name")?,
                    text: r.try_get("text")?,
                    attachment: attachment.map(|j| j.0),
                    internal: r.try_get("internal")?,
                    client_id: r.try_get("client_id")?,
                    at: r.try_get("at")?,
                    template: template.map(|j| j.0),
                    pii: pii.map(|j| j.0).unwrap_or_default(),
                })
            }
            pub fn delivery(r: &R) -> Result<Delivery> {
                let channel: String = r.try_get("channel")?;
                let status: String = r.try_get("status")?;
                Ok(Delivery {
                    message_id: r.try_get("message_id")?,
                    org_id: r.try_get("org_id")?,
                    contact_id: r.try_get("contact_id")?,
                    seq: r.try_get("seq")?,
                    channel: parse_channel(&channel)?,
                    status: DeliveryStatus::parse(&status).ok_or_else(|| {
                        StoreError::Backend(format!("bad delivery status in database: {status}"))
                    })?,
                    attempts: r.try_get("attempts")?,
                    next_attempt_ms: r.try_get("next_attempt_ms")?,
                    provider_message_id: r.try_get("provider_message_id")?,
                    error: r.try_get("error")?,
                    created_at: r.try_get("created_at")?,
                    updated_at: r.try_get("updated_at")?,
                })
            }
            pub fn attachment(r: &R) -> Result<Attachment> {
                Ok(Attachment {
                    id: r.try_get("id")?,
                    org_id: r.try_get("org_id")?,
                    contact_id: r.try_get("contact_id")?,
                    name: r.try_get("name")?,
                    content_type: r.try_get("content_type")?,
                    size: r.try_get("size")?,
                    sha256: r.try_get("sha256")?,
                    created_at: r.try_get("created_at")?,
                })
            }
            pub fn idempotency(r: &R) -> Result<IdempotencyRecord> {
                let body: Json<serde_json::Value> = r.try_get("body")?;
                Ok(IdempotencyRecord {
                    org_id: r.try_get("org_id")?,
                    key: r.try_get("key")?,
                    request_hash: r.try_get("request_hash")?,
                    status: r.try_get("status")?,
                    body: body.0,
                    created_at: r.try_get("created_at")?,
                })
            }
            pub fn event(r: &R) -> Result<Event> {
                let data: Json<serde_json::Value> = r.try_get("data")?;
                Ok(Event {
                    seq: r.try_get("seq")?,
                    org_id: r.try_get("org_id")?,
                    at: r.try_get("at")?,
                    kind: r.try_get("kind")?,
                    data: data.0,
                    hash: r.try_get("hash")?,
                })
            }
        }

        const ATTACHMENT_COLS: &str =
            "id, org_id, contact_id, name, content_type, size, sha256, created_at";

        fn paged<T>(items: Vec<T>, want: u32, id: impl Fn(&T) -> Uuid) -> Page<T> {
            let next_cursor = if items.len() >= want.clamp(1, 1000) as usize {
                items.last().map(&id)
            } else {
                None
            };
            Page { items, next_cursor }
        }

        impl Store for $name {
            fn submit(&self, changes: Vec<Change>) -> Pending {
                self.submit_fenced(None, changes)
            }

            fn submit_fenced(&self, fence: Option<Fence>, changes: Vec<Change>) -> Pending {
                let (reply, rx) = oneshot::channel();
                match self.tx.try_send(Request { changes, fence, reply }) {
                    Ok(()) => Pending::new(rx),
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        Pending::failed(StoreError::Unavailable("write queue full".into()))
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => {
                        Pending::failed(StoreError::Unavailable("store closed".into()))
                    }
                }
            }

            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(&self.read).await?;
                Ok(())
            }

            async fn get_org(&self, id: Uuid) -> Result<Option<Org>> {
                self.principals
                    .get_or_load(Key::Org(id), async {
                        sqlx::query("SELECT * FROM orgs WHERE id = $1")
                            .bind(id)
                            .fetch_optional(&self.read)
                            .await?
                            .map(|r| rows::org(&r))
                            .transpose()
                    })
                    .await
            }
            async fn get_org_by_slug(&self, slug: &str) -> Result<Option<Org>> {
                self.principals
                    .get_or_load(Key::OrgSlug(slug), async {
                        sqlx::query("SELECT * FROM orgs WHERE slug = $1")
                            .bind(slug)
                            .fetch_optional(&self.read)
                            .await?
                            .map(|r| rows::org(&r))
                            .transpose()
                    })
                    .await
            }
            async fn list_orgs(&self) -> Result<Vec<Org>> {
                sqlx::query("SELECT * FROM orgs ORDER BY id")
                    .fetch_all(&self.read)
                    .await?
                    .iter()
                    .map(rows::org)
                    .collect()
            }

            async fn get_user(&self, org: Uuid, id: Uuid) -> Result<Option<User>> {
                self.principals
                    .get_or_load(Key::User(org, id), async {
                        sqlx::query("SELECT * FROM users WHERE org_id = $1 AND id = $2")
                            .bind(org)
                            .bind(id)
                            .fetch_optional(&self.read)
                            .await?
                            .map(|r| rows::user(&r))
                            .transpose()
                    })
                    .await
            }
            async fn get_user_by_email(&self, org: Uuid, email: &str) -> Result<Option<User>> {
                sqlx::query("SELECT * FROM users WHERE org_id = $1 AND email = $2")
                    .bind(org)
                    .bind(email)
                    .fetch_optional(&self.read)
                    .await?
                    .map(|r| rows::user(&r))
                    .transpose()
            }
            async fn list_users(&self, org: Uuid, page: PageRequest) -> Result<Page<User>> {
                let items = sqlx::query(
                    "SELECT * FROM users WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                )
                .bind(org)
                .bind(page.after.unwrap_or(Uuid::nil()))
                .bind(limit(page.limit))
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(rows::user)
                .collect::<Result<Vec<_>>>()?;
                Ok(paged(items, page.limit, |u| u.id))
            }

            async fn get_session(&self, token_hash: &str) -> Result<Option<Session>> {
                self.principals
                    .get_or_load(Key::Session(token_hash), async {
                        sqlx::query("SELECT * FROM sessions WHERE token_hash = $1")
                            .bind(token_hash)
                            .fetch_optional(&self.read)
                            .await?
                            .map(|r| rows::session(&r))
                            .transpose()
                    })
                    .await
            }
            async fn get_api_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
                self.principals
                    .get_or_load(Key::Token(token_hash), async {
                        sqlx::query("SELECT * FROM api_tokens WHERE token_hash = $1")
                            .bind(token_hash)
                            .fetch_optional(&self.read)
                            .await?
                            .map(|r| rows::api_token(&r))
                            .transpose()
                    })
                    .await
            }
            async fn list_api_tokens(&self, org: Uuid) -> Result<Vec<ApiToken>> {
                sqlx::query("SELECT * FROM api_tokens WHERE org_id = $1 ORDER BY id")
                    .bind(org)
                    .fetch_all(&self.read)
                    .await?
                    .iter()
                    .map(rows::api_token)
                    .collect()
            }

            async fn get_object_by_name(
                &self,
                org: Uuid,
                kind: ObjectKind,
                name: &str,
            ) -> Result<Option<Object>> {
                sqlx::query("SELECT * FROM objects WHERE org_id = $1 AND kind = $2 AND name = $3")
                    .bind(org)
                    .bind(kind.as_str())
                    .bind(name)
                    .fetch_optional(&self.read)
                    .await?
                    .map(|r| rows::object(&r))
                    .transpose()
            }
            async fn get_object(
                &self,
                org: Uuid,
                kind: ObjectKind,
                id: Uuid,
            ) -> Result<Option<Object>> {
                sqlx::query("SELECT * FROM objects WHERE org_id = $1 AND kind = $2 AND id = $3")
                    .bind(org)
                    .bind(kind.as_str())
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await?
                    .map(|r| rows::object(&r))
                    .transpose()
            }
            async fn list_objects(
                &self,
                org: Uuid,
                kind: ObjectKind,
                page: PageRequest,
            ) -> Result<Page<Object>> {
                let items = sqlx::query(
                    "SELECT * FROM objects WHERE org_id = $1 AND kind = $2 AND id > $3 \
                     ORDER BY id LIMIT $4",
                )
                .bind(org)
                .bind(kind.as_str())
                .bind(page.after.unwrap_or(Uuid::nil()))
                .bind(limit(page.limit))
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(rows::object)
                .collect::<Result<Vec<_>>>()?;
                Ok(paged(items, page.limit, |o| o.id))
            }

            async fn get_customer(&self, org: Uuid, id: Uuid) -> Result<Option<Customer>> {
                sqlx::query("SELECT * FROM customers WHERE org_id = $1 AND id = $2")
                    .bind(org)
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await?
                    .map(|r| rows::customer(&r))
                    .transpose()
            }
            async fn find_identity(
                &self,
                org: Uuid,
                kind: &str,
                value: &str,
            ) -> Result<Option<Identity>> {
                if !self.known.may_exist(org, kind, value) {
                    return Ok(None);
                }
                sqlx::query(
                    "SELECT * FROM identities WHERE org_id = $1 AND kind = $2 AND value = $3",
                )
                .bind(org)
                .bind(kind)
                .bind(value)
                .fetch_optional(&self.read)
                .await?
                .map(|r| rows::identity(&r))
                .transpose()
            }
            async fn get_customer_merge(&self, org: Uuid, id: Uuid) -> Result<Option<Uuid>> {
                Ok(sqlx::query_scalar(
                    "SELECT merged_into FROM customer_merges WHERE org_id = $1 AND customer_id = $2",
                )
                .bind(org)
                .bind(id)
                .fetch_optional(&self.read)
                .await?)
            }
            async fn list_customer_contacts(
                &self,
                org: Uuid,
                customer: Uuid,
                before: Option<Uuid>,
                limit_n: u32,
            ) -> Result<Vec<Contact>> {
                sqlx::query(
                    "SELECT * FROM contacts WHERE org_id = $1 AND customer_id = $2 \
                     AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4",
                )
                .bind(org)
                .bind(customer)
                .bind(before)
                .bind(limit(limit_n))
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(rows::contact)
                .collect()
            }
            async fn list_identities(&self, org: Uuid, customer: Uuid) -> Result<Vec<Identity>> {
                sqlx::query(
                    "SELECT * FROM identities WHERE org_id = $1 AND customer_id = $2 ORDER BY id",
                )
                .bind(org)
                .bind(customer)
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(rows::identity)
                .collect()
            }

            async fn get_contact(&self, org: Uuid, id: Uuid) -> Result<Option<Contact>> {
                sqlx::query("SELECT * FROM contacts WHERE org_id = $1 AND id = $2")
                    .bind(org)
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await?
                    .map(|r| rows::contact(&r))
                    .transpose()
            }
            async fn list_contacts(
                &self,
                org: Uuid,
                filter: &ContactFilter,
                page: PageRequest,
            ) -> Result<Page<Contact>> {
                let items = sqlx::query(
                    "SELECT * FROM contacts WHERE org_id = $1 AND id > $2 \
                     AND ($3 IS NULL OR status = $3) AND ($4 IS NULL OR queue_id = $4) \
                     AND ($5 IS NULL OR agent_id = $5) AND ($6 IS NULL OR customer_id = $6) \
                     ORDER BY id LIMIT $7",
                )
                .bind(org)
                .bind(page.after.unwrap_or(Uuid::nil()))
                .bind(filter.status.map(|s| s.as_str()))
                .bind(filter.queue_id)
                .bind(filter.agent_id)
                .bind(filter.customer_id)
                .bind(limit(page.limit))
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(rows::contact)
                .collect::<Result<Vec<_>>>()?;
                Ok(paged(items, page.limit, |c| c.id))
            }
            async fn list_open_contacts(&self) -> Result<Vec<Contact>> {
                sqlx::query("SELECT * FROM contacts WHERE status <> 'closed' ORDER BY id")
                    .fetch_all(&self.read)
                    .await?
                    .iter()
                    .map(rows::contact)
                    .collect()
            }

            async fn list_messages(
                &self,
                org: Uuid,
                contact: Uuid,
                after_seq: i64,
                limit_n: u32,
            ) -> Result<Vec<Message>> {
                sqlx::query(
                    "SELECT * FROM messages WHERE org_id = $1 AND contact_id = $2 AND seq > $3 \
                     ORDER BY seq LIMIT $4",
                )
                .bind(org)
                .bind(contact)
                .bind(after_seq)
                .bind(limit(limit_n))
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(rows::message)
                .collect()
            }
            async fn get_message_by_client_id(
                &self,
                org: Uuid,
                contact: Uuid,
                client_id: &str,
            ) -> Result<Option<Message>> {
                sqlx::query(
                    "SELECT * FROM messages WHERE org_id = $1 AND contact_id = $2 \
                     AND client_id = $3",
                )
                .bind(org)
                .bind(contact)
                .bind(client_id)
                .fetch_optional(&self.read)
                .await?
                .map(|r| rows::message(&r))
                .transpose()
            }

            async fn get_attachment(&self, org: Uuid, id: Uuid) -> Result<Option<Attachment>> {
                let sql = format!(
                    "SELECT {ATTACHMENT_COLS} FROM attachments WHERE org_id = $1 AND id = $2"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(org)
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await?
                    .map(|r| rows::attachment(&r))
                    .transpose()
            }
            async fn attachment_data(&self, org: Uuid, id: Uuid) -> Result<Option<Vec<u8>>> {
                Ok(
                    sqlx::query_scalar("SELECT data FROM attachments WHERE org_id = $1 AND id = $2")
                        .bind(org)
                        .bind(id)
                        .fetch_optional(&self.read)
                        .await?,
                )
            }

            async fn get_idempotency(
                &self,
                org: Uuid,
                key: &str,
            ) -> Result<Option<IdempotencyRecord>> {
                sqlx::query("SELECT * FROM idempotency_keys WHERE org_id = $1 AND key = $2")
                    .bind(org)
                    .bind(key)
                    .fetch_optional(&self.read)
                    .await?
                    .map(|r| rows::idempotency(&r))
                    .transpose()
            }

            async fn read_events(&self, after: i64, limit_n: u32) -> Result<Vec<Event>> {
                sqlx::query("SELECT * FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")
                    .bind(after)
                    .bind(limit(limit_n))
                    .fetch_all(&self.read)
                    .await?
                    .iter()
                    .map(rows::event)
                    .collect()
            }
            async fn read_org_events(
                &self,
                org: Uuid,
                after: i64,
                limit_n: u32,
            ) -> Result<Vec<Event>> {
                sqlx::query(
                    "SELECT * FROM events WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                )
                .bind(org)
                .bind(after)
                .bind(limit(limit_n))
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(rows::event)
                .collect()
            }
            async fn read_org_events_of_kind_after(
                &self,
                org: Uuid,
                kind: &str,
                after: i64,
                limit_n: u32,
            ) -> Result<Vec<Event>> {
                sqlx::query(
                    "SELECT * FROM events WHERE org_id = $1 AND kind = $2 AND seq > $3 \
                     ORDER BY seq LIMIT $4",
                )
                .bind(org)
                .bind(kind)
                .bind(after)
                .bind(limit(limit_n))
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(rows::event)
                .collect()
            }

            async fn list_due_deliveries(&self, now_ms: i64, limit_n: u32) -> Result<Vec<Delivery>> {
                sqlx::query(
                    "SELECT * FROM deliveries WHERE next_attempt_ms IS NOT NULL \
                     AND next_attempt_ms <= $1 ORDER BY next_attempt_ms LIMIT $2",
                )
                .bind(now_ms)
                .bind(limit(limit_n))
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(rows::delivery)
                .collect()
            }
            async fn next_delivery_due(&self) -> Result<Option<i64>> {
                let next: Option<i64> = sqlx::query_scalar(
                    "SELECT min(next_attempt_ms) FROM deliveries WHERE next_attempt_ms IS NOT NULL",
                )
                .fetch_one(&self.read)
                .await?;
                Ok(next)
            }
            async fn list_deliveries(
                &self,
                org: Uuid,
                contact: Uuid,
                after_seq: i64,
            ) -> Result<Vec<Delivery>> {
                sqlx::query(
                    "SELECT * FROM deliveries WHERE org_id = $1 AND contact_id = $2 \
                     AND seq > $3 ORDER BY seq",
                )
                .bind(org)
                .bind(contact)
                .bind(after_seq)
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(rows::delivery)
                .collect()
            }
            async fn get_delivery(&self, org: Uuid, message: Uuid) -> Result<Option<Delivery>> {
                sqlx::query("SELECT * FROM deliveries WHERE org_id = $1 AND message_id = $2")
                    .bind(org)
                    .bind(message)
                    .fetch_optional(&self.read)
                    .await?
                    .map(|r| rows::delivery(&r))
                    .transpose()
            }
            async fn find_delivery_by_provider_id(
                &self,
                org: Uuid,
                channel: Channel,
                provider_message_id: &str,
            ) -> Result<Option<Delivery>> {
                sqlx::query(
                    "SELECT * FROM deliveries WHERE org_id = $1 AND channel = $2 \
                     AND provider_message_id = $3",
                )
                .bind(org)
                .bind(channel.as_str())
                .bind(provider_message_id)
                .fetch_optional(&self.read)
                .await?
                .map(|r| rows::delivery(&r))
                .transpose()
            }

            async fn list_data_keys(&self, org: Uuid) -> Result<Vec<DataKey>> {
                let rows = sqlx::query(
                    "SELECT org_id, key_id, wrapped, created_at FROM data_keys \
                     WHERE org_id = $1 ORDER BY key_id",
                )
                .bind(org)
                .fetch_all(&self.read)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(DataKey {
                            org_id: r.try_get("org_id")?,
                            key_id: r.try_get("key_id")?,
                            wrapped: r.try_get("wrapped")?,
                            created_at: r.try_get("created_at")?,
                        })
                    })
                    .collect()
            }
            async fn list_message_texts(
                &self,
                org: Uuid,
                after: Option<Uuid>,
                limit_n: u32,
            ) -> Result<Vec<MessageTexts>> {
                Ok(sqlx::query_as::<_, MessageTexts>(
                    "SELECT id, text, CASE WHEN sender = 'customer' THEN author_name END \
                     FROM messages WHERE org_id = $1 \
                     AND (text IS NOT NULL OR (sender = 'customer' AND author_name IS NOT NULL)) \
                     AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3",
                )
                .bind(org)
                .bind(after)
                .bind(limit(limit_n))
                .fetch_all(&self.read)
                .await?)
            }
            async fn list_attachment_ids(
                &self,
                org: Uuid,
                after: Option<Uuid>,
                limit_n: u32,
            ) -> Result<Vec<Uuid>> {
                Ok(sqlx::query_scalar(
                    "SELECT id FROM attachments WHERE org_id = $1 \
                     AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3",
                )
                .bind(org)
                .bind(after)
                .bind(limit(limit_n))
                .fetch_all(&self.read)
                .await?)
            }
            async fn list_customers(
                &self,
                org: Uuid,
                after: Option<Uuid>,
                limit_n: u32,
            ) -> Result<Vec<Customer>> {
                sqlx::query(
                    "SELECT * FROM customers WHERE org_id = $1 \
                     AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3",
                )
                .bind(org)
                .bind(after)
                .bind(limit(limit_n))
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(rows::customer)
                .collect()
            }
            async fn list_all_identities(
                &self,
                org: Uuid,
                after: Option<Uuid>,
                limit_n: u32,
            ) -> Result<Vec<Identity>> {
                sqlx::query(
                    "SELECT * FROM identities WHERE org_id = $1 \
                     AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3",
                )
                .bind(org)
                .bind(after)
                .bind(limit(limit_n))
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(rows::identity)
                .collect()
            }
            async fn list_unsealed_identities(
                &self,
                org: Uuid,
                limit_n: u32,
            ) -> Result<Vec<Identity>> {
                sqlx::query(
                    "SELECT * FROM identities WHERE org_id = $1 AND sealed IS NULL \
                     ORDER BY id LIMIT $2",
                )
                .bind(org)
                .bind(limit(limit_n))
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(rows::identity)
                .collect()
            }
            async fn list_contact_data(
                &self,
                org: Uuid,
                after: Option<Uuid>,
                limit_n: u32,
            ) -> Result<Vec<(Uuid, serde_json::Value)>> {
                Ok(sqlx::query_as::<_, (Uuid, Json<serde_json::Value>)>(
                    "SELECT id, data FROM contacts WHERE org_id = $1 \
                     AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3",
                )
                .bind(org)
                .bind(after)
                .bind(limit(limit_n))
                .fetch_all(&self.read)
                .await?
                .into_iter()
                .map(|(id, d)| (id, d.0))
                .collect())
            }
            async fn list_closed_contacts(
                &self,
                org: Uuid,
            ) -> Result<Vec<(Uuid, Channel, time::OffsetDateTime)>> {
                let rows = sqlx::query(
                    "SELECT id, channel, closed_at FROM contacts WHERE org_id = $1 \
                     AND status = 'closed' AND closed_at IS NOT NULL",
                )
                .bind(org)
                .fetch_all(&self.read)
                .await?;
                rows.iter()
                    .map(|r| {
                        let ch: String = r.try_get("channel")?;
                        Ok((r.try_get("id")?, parse_channel(&ch)?, r.try_get("closed_at")?))
                    })
                    .collect()
            }
            async fn list_open_client_ids(&self, org: Uuid) -> Result<Vec<(Uuid, String, i64)>> {
                let rows = sqlx::query(
                    "SELECT m.contact_id, m.client_id, m.seq FROM messages m \
                     JOIN contacts c ON c.id = m.contact_id \
                     WHERE c.org_id = $1 AND c.status <> 'closed' AND m.client_id IS NOT NULL",
                )
                .bind(org)
                .fetch_all(&self.read)
                .await?;
                rows.iter()
                    .map(|r| Ok((r.try_get("contact_id")?, r.try_get("client_id")?, r.try_get("seq")?)))
                    .collect()
            }

            async fn read_org_events_of_kind(
                &self,
                org: Uuid,
                kind: &str,
                before: i64,
                limit_n: u32,
            ) -> Result<Vec<Event>> {
                sqlx::query(
                    "SELECT * FROM events WHERE org_id = $1 AND kind = $2 AND seq < $3 \
                     ORDER BY seq DESC LIMIT $4",
                )
                .bind(org)
                .bind(kind)
                .bind(before)
                .bind(limit(limit_n))
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(rows::event)
                .collect()
            }
        }
    };
}

mod sqlite {
    use super::*;
    backend!(SqliteStore, sqlx::Sqlite, "BEGIN IMMEDIATE");

    impl SqliteStore {
        /// Open (creating) the database file at `path` and run the migrations.
        ///
        /// WAL with `synchronous=FULL`: every commit is fsynced before it returns, so an
        /// acknowledged write survives power loss, not only a process crash. Group commit
        /// is what keeps that affordable.
        pub async fn open(path: &Path) -> Result<SqliteStore> {
            use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                crate::private_dir(dir).map_err(|e| {
                    StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
            // The database holds customers' conversations: only its owner may read it
            // (SQLite gives its log and index files the database file's mode).
            crate::private_file(path).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", path.display()))
            })?;
            let opts = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                // Deleted rows (an erased customer, expired contacts) are overwritten
                // with zeros, not left in free pages of the file.
                .pragma("secure_delete", "ON")
                .busy_timeout(Duration::from_secs(10));
            // The writer never checkpoints: copying the log back into the database
            // would hold up every commit behind it. A task on a reading connection
            // does it instead (see `checkpoints`).
            // A connection to a file in this process cannot have gone away: no ping
            // before each use (a round trip to the connection's thread per query).
            let write_pool = sqlx::pool::PoolOptions::<sqlx::Sqlite>::new()
                .max_connections(1)
                .test_before_acquire(false)
                .connect_with(opts.clone().pragma("wal_autocheckpoint", "0"))
                .await
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            sqlx::migrate!("./migrations/sqlite")
                .run(&write_pool)
                .await
                .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
            let read = sqlx::pool::PoolOptions::<sqlx::Sqlite>::new()
                .max_connections(8)
                .test_before_acquire(false)
                .connect_with(opts)
                .await
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            tokio::spawn(checkpoints(read.clone()));
            SqliteStore::start(read, write_pool).await
        }
    }

    /// Copies the write-ahead log back into the database file a few times a second, off
    /// the writer's connection. A passive checkpoint waits for nobody: it copies what no
    /// reader still needs, and the writer starts the log over once all of it is copied,
    /// so the log stays small without a commit ever waiting for a checkpoint.
    async fn checkpoints(read: sqlx::Pool<sqlx::Sqlite>) {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if read.is_closed() {
                return;
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&read)
                .await
            {
                if read.is_closed() {
                    return;
                }
                tracing::warn!(error = %e, "checkpoint failed; retrying");
            }
        }
    }
}

mod postgres {
    use super::*;
    backend!(PgStore, sqlx::Postgres, "BEGIN");

    /// A process killed in the middle of a commit leaves its database session running
    /// until that commit finishes: its write can land after a new process has read the
    /// state. Before the new process reads anything, wait (3 s at most) until no older
    /// session of this application on this database is still executing. A session of a
    /// dead process that is idle, or idle in a transaction, can no longer commit.
    /// (Several nodes will fence each other with a lease checked in every transaction.)
    async fn settle_orphans(pool: &sqlx::Pool<sqlx::Postgres>, app: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(3);
        loop {
            let busy: std::result::Result<i64, sqlx::Error> = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND application_name = $1 AND pid <> pg_backend_pid() AND state = 'active' \
                 AND backend_start < (SELECT backend_start FROM pg_stat_activity \
                 WHERE pid = pg_backend_pid())",
            )
            .bind(app)
            .fetch_one(pool)
            .await;
            match busy {
                Ok(0) | Err(_) => return,
                Ok(n) if std::time::Instant::now() > deadline => {
                    tracing::warn!(sessions = n, "older sessions still busy; starting anyway");
                    return;
                }
                Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    impl PgStore {
        /// Connect to `url` and run the migrations. With `schema`, everything lives in that
        /// schema (created if missing): tests use one schema per run.
        pub async fn connect(url: &str, schema: Option<&str>) -> Result<PgStore> {
            use sqlx::postgres::PgConnectOptions;
            let mut opts: PgConnectOptions = url
                .parse()
                .map_err(|e: sqlx::Error| StoreError::Unavailable(e.to_string()))?;
            if let Some(schema) = schema {
                if !schema
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    return Err(StoreError::Backend(format!("bad schema name {schema}")));
                }
                let admin = sqlx::pool::PoolOptions::<sqlx::Postgres>::new()
                    .max_connections(1)
                    .connect_with(opts.clone())
                    .await
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "CREATE SCHEMA IF NOT EXISTS {schema}"
                )))
                .execute(&admin)
                .await?;
                admin.close().await;
                opts = opts.options([("search_path", schema)]);
            }
            let app = match schema {
                Some(s) => format!("homeshore:{s}"),
                None => "homeshore".to_string(),
            };
            opts = opts.application_name(&app);
            let write_pool = sqlx::pool::PoolOptions::<sqlx::Postgres>::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts.clone())
                .await
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            sqlx::migrate!("./migrations/postgres")
                .run(&write_pool)
                .await
                .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
            settle_orphans(&write_pool, &app).await;
            let read = sqlx::pool::PoolOptions::<sqlx::Postgres>::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            PgStore::start(read, write_pool).await
        }

        /// Drop a schema made by [`PgStore::connect`] (test clean-up).
        pub async fn drop_schema(url: &str, schema: &str) -> Result<()> {
            if !schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(StoreError::Backend(format!("bad schema name {schema}")));
            }
            let pool = sqlx::pool::PoolOptions::<sqlx::Postgres>::new()
                .max_connections(1)
                .connect(url)
                .await
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE"
            )))
            .execute(&pool)
            .await?;
            pool.close().await;
            Ok(())
        }
    }
}

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

#[cfg(test)]
mod tests {
    use super::last_of_each;

    #[test]
    fn last_of_each_keeps_the_highest_rank_and_the_last_of_equals() {
        // (key, rank, tag)
        let rows = [
            (1, 0, 'a'),
            (2, 1, 'b'),
            (1, 2, 'c'),
            (1, 1, 'd'),
            (2, 1, 'e'),
            (3, 0, 'f'),
        ];
        let refs: Vec<_> = rows.iter().collect();
        let kept: Vec<char> = last_of_each(refs, |r| r.0, |r| r.1)
            .into_iter()
            .map(|r| r.2)
            .collect();
        assert_eq!(kept, vec!['c', 'e', 'f']);
        let refs: Vec<_> = rows.iter().collect();
        let kept: Vec<char> = last_of_each(refs, |r| r.0, |_| 0)
            .into_iter()
            .map(|r| r.2)
            .collect();
        assert_eq!(kept, vec!['d', 'e', 'f']);
    }
}
