//! Durable event log and the projections the API reads, on SQLite (embedded default) and
//! PostgreSQL. Nothing is acknowledged before it is committed.
//!
//! - [`Store`] is the one interface, in domain types ([`model`]); [`Db`] picks a backend
//!   from a URL (`sqlite://…` or `postgres://…`) and implements it by delegation.
//! - Writes are lists of [`Change`]s. [`Store::submit`] enqueues one list *synchronously*
//!   (so callers that hold a lock get the log in their own order) and returns a
//!   [`Pending`] that resolves once the list is committed. A single writer (on a thread
//!   of its own) per store drains everything waiting into **one transaction** (group commit): one fsync
//!   for many appends, each list isolated in its own savepoint, so one list's conflict
//!   fails only that list.
//! - SQLite runs in WAL mode with `synchronous=FULL`: a commit is on disk when it returns.
//!   PostgreSQL keeps its default `synchronous_commit=on`.
//! - Every read takes the organisation id; no query crosses organisations (except the
//!   log replay, the outbox's work list and session lookup by secret hash, which return
//!   the organisation).
//! - Organisations, users, sessions and API tokens are cached in memory for the requests
//!   they authenticate; the writer drops what it wrote before answering (`cache.rs`).
//! - One set of migrations per backend (`migrations/sqlite`, `migrations/postgres`), run
//!   by [`Db::connect`].
#![forbid(unsafe_code)]

mod cache;
pub mod chain;
mod known;
pub mod model;
pub mod reports;
mod sql;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;
use uuid::Uuid;

pub use model::*;

/// Creates `dir` (and its parents) if missing; one this creates is its owner's alone
/// (0700 on Unix). An existing directory keeps the mode its operator gave it.
pub fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Makes `path` its owner's alone (0600 on Unix), creating it empty if missing.
pub fn private_file(path: &std::path::Path) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    opts.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}
pub use sql::{PgStore, SqliteStore};

/// What can go wrong in the store, small on purpose: callers map these to HTTP.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken (same name, same client id…).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached or is shutting down.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else the database reported.
    #[error("store error: {0}")]
    Backend(String),
    /// Refused unwritten: an earlier fenced write of the same live state failed (see
    /// [`Fence`]).
    #[error("refused: {0}")]
    Fenced(String),
}

/// Ties a write to one version of an organisation's live state.
///
/// The server computes writes from memory and submits them in order; when one of them
/// fails, everything submitted after it for the same organisation was computed from a
/// memory that already included the failed change. The writer therefore refuses, without
/// writing, every later submission carrying the same fence, until the server has rebuilt
/// that organisation from what is durable and moved on to a new `epoch`. Other
/// organisations are not affected. The same token fences a node that lost an
/// organisation's lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fence {
    pub org: Uuid,
    /// Increases each time the organisation's live state is rebuilt.
    pub epoch: u64,
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) => match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => {
                    StoreError::Conflict(db.constraint().unwrap_or(db.message()).to_string())
                }
                _ => StoreError::Backend(db.message().to_string()),
            },
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Backend(e.to_string()),
        }
    }
}

/// A submitted write, resolving once it is committed (or failed).
pub struct Pending(oneshot::Receiver<Result<Committed>>);

impl Pending {
    pub(crate) fn new(rx: oneshot::Receiver<Result<Committed>>) -> Self {
        Pending(rx)
    }

    /// A pending write that already failed.
    pub fn failed(e: StoreError) -> Self {
        let (tx, rx) = oneshot::channel();
        let _ = tx.send(Err(e));
        Pending(rx)
    }
}

impl Future for Pending {
    type Output = Result<Committed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match Pin::new(&mut self.0).poll(cx) {
            Poll::Ready(Ok(r)) => Poll::Ready(r),
            Poll::Ready(Err(_)) => Poll::Ready(Err(StoreError::Unavailable(
                "the store's writer stopped".into(),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The store's interface, in domain types. Implemented by [`SqliteStore`], [`PgStore`]
/// and [`Db`] (either of them).
pub trait Store: Clone + Send + Sync + 'static {
    /// Enqueue a write now; it commits atomically with others waiting (group commit).
    fn submit(&self, changes: Vec<Change>) -> Pending;

    /// [`Store::submit`] under a [`Fence`]: refused unwritten if an earlier submission
    /// with the same fence failed.
    fn submit_fenced(&self, fence: Option<Fence>, changes: Vec<Change>) -> Pending;

    /// Submit and wait for the commit.
    fn commit(&self, changes: Vec<Change>) -> Pending {
        self.submit(changes)
    }

    /// Cheap round trip to the database (readiness).
    fn ping(&self) -> impl Future<Output = Result<()>> + Send;

    fn get_org(&self, id: Uuid) -> impl Future<Output = Result<Option<Org>>> + Send;
    fn get_org_by_slug(&self, slug: &str) -> impl Future<Output = Result<Option<Org>>> + Send;
    fn list_orgs(&self) -> impl Future<Output = Result<Vec<Org>>> + Send;

    fn get_user(&self, org: Uuid, id: Uuid) -> impl Future<Output = Result<Option<User>>> + Send;
    fn get_user_by_email(
        &self,
        org: Uuid,
        email: &str,
    ) -> impl Future<Output = Result<Option<User>>> + Send;
    fn list_users(
        &self,
        org: Uuid,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<User>>> + Send;

    /// A session by the hash of its secret (the only cross-organisation lookup).
    fn get_session(&self, token_hash: &str)
    -> impl Future<Output = Result<Option<Session>>> + Send;
    /// An API token by the hash of its secret.
    fn get_api_token(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<ApiToken>>> + Send;
    fn list_api_tokens(&self, org: Uuid) -> impl Future<Output = Result<Vec<ApiToken>>> + Send;

    fn get_object(
        &self,
        org: Uuid,
        kind: ObjectKind,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<Object>>> + Send;
    fn list_objects(
        &self,
        org: Uuid,
        kind: ObjectKind,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Object>>> + Send;
    /// The object of this kind with this name (names are unique per kind).
    fn get_object_by_name(
        &self,
        org: Uuid,
        kind: ObjectKind,
        name: &str,
    ) -> impl Future<Output = Result<Option<Object>>> + Send;

    fn get_customer(
        &self,
        org: Uuid,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<Customer>>> + Send;
    fn find_identity(
        &self,
        org: Uuid,
        kind: &str,
        value: &str,
    ) -> impl Future<Output = Result<Option<Identity>>> + Send;
    fn list_identities(
        &self,
        org: Uuid,
        customer: Uuid,
    ) -> impl Future<Output = Result<Vec<Identity>>> + Send;
    /// The customer that customer `id` was merged into, if it was (followed: a customer
    /// merged into one that was merged again names the last).
    fn get_customer_merge(
        &self,
        org: Uuid,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<Uuid>>> + Send;
    /// A customer's contacts on every channel, newest first, with an id before `before`.
    fn list_customer_contacts(
        &self,
        org: Uuid,
        customer: Uuid,
        before: Option<Uuid>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Contact>>> + Send;

    fn get_contact(
        &self,
        org: Uuid,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<Contact>>> + Send;
    fn list_contacts(
        &self,
        org: Uuid,
        filter: &ContactFilter,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Contact>>> + Send;
    /// Every contact not yet closed, in every organisation, oldest first (restart).
    fn list_open_contacts(&self) -> impl Future<Output = Result<Vec<Contact>>> + Send;

    /// Messages of one contact with `seq > after_seq`, in order.
    fn list_messages(
        &self,
        org: Uuid,
        contact: Uuid,
        after_seq: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Message>>> + Send;
    fn get_message_by_client_id(
        &self,
        org: Uuid,
        contact: Uuid,
        client_id: &str,
    ) -> impl Future<Output = Result<Option<Message>>> + Send;

    fn get_attachment(
        &self,
        org: Uuid,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<Attachment>>> + Send;
    fn attachment_data(
        &self,
        org: Uuid,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<Vec<u8>>>> + Send;

    fn get_idempotency(
        &self,
        org: Uuid,
        key: &str,
    ) -> impl Future<Output = Result<Option<IdempotencyRecord>>> + Send;

    /// The log, all organisations, `seq > after`, in order (restart replay).
    fn read_events(
        &self,
        after: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Event>>> + Send;
    /// One organisation's log, `seq > after`, in order.
    fn read_org_events(
        &self,
        org: Uuid,
        after: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Event>>> + Send;
    /// One organisation's events of one kind with `seq > after`, oldest first (the
    /// routing log's replay).
    fn read_org_events_of_kind_after(
        &self,
        org: Uuid,
        kind: &str,
        after: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Event>>> + Send;
    /// Outbox entries whose next attempt is due at `now_ms` (Unix ms), every
    /// organisation, soonest first (the transports' work list).
    fn list_due_deliveries(
        &self,
        now_ms: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Delivery>>> + Send;
    /// When the soonest outbox entry is due (Unix ms), if any is waiting.
    fn next_delivery_due(&self) -> impl Future<Output = Result<Option<i64>>> + Send;
    /// One contact's deliveries with `seq > after_seq`, in order.
    fn list_deliveries(
        &self,
        org: Uuid,
        contact: Uuid,
        after_seq: i64,
    ) -> impl Future<Output = Result<Vec<Delivery>>> + Send;
    fn get_delivery(
        &self,
        org: Uuid,
        message: Uuid,
    ) -> impl Future<Output = Result<Option<Delivery>>> + Send;
    /// The delivery a provider's receipt names by the provider's own message id.
    fn find_delivery_by_provider_id(
        &self,
        org: Uuid,
        channel: Channel,
        provider_message_id: &str,
    ) -> impl Future<Output = Result<Option<Delivery>>> + Send;
    /// `(contact, client_id, seq)` of every message with a client id in the
    /// organisation's open contacts: what a rebuilt live state needs to recognise retries.
    fn list_open_client_ids(
        &self,
        org: Uuid,
    ) -> impl Future<Output = Result<Vec<(Uuid, String, i64)>>> + Send;
    /// One organisation's events of one kind with `seq < before`, newest first: recent
    /// history (today's agent states, say) without reading the whole log.
    fn read_org_events_of_kind(
        &self,
        org: Uuid,
        kind: &str,
        before: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Event>>> + Send;
    /// The organisation's data keys, oldest first.
    fn list_data_keys(&self, org: Uuid) -> impl Future<Output = Result<Vec<DataKey>>> + Send;
    /// `(id, text, customer's name)` of the organisation's messages with a text or a
    /// customer's name and an id after `after`, by id: what the re-encryption walks.
    fn list_message_texts(
        &self,
        org: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<MessageTexts>>> + Send;
    /// The organisation's customers with an id after `after`, by id.
    fn list_customers(
        &self,
        org: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Customer>>> + Send;
    /// The organisation's identities with an id after `after`, by id.
    fn list_all_identities(
        &self,
        org: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Identity>>> + Send;
    /// The organisation's identities stored in clear (from before identities were
    /// sealed), at most `limit`.
    fn list_unsealed_identities(
        &self,
        org: Uuid,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Identity>>> + Send;
    /// `(id, data)` of the organisation's contacts with an id after `after`, by id.
    fn list_contact_data(
        &self,
        org: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<(Uuid, serde_json::Value)>>> + Send;
    /// The ids of the organisation's attachments after `after`, by id.
    fn list_attachment_ids(
        &self,
        org: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Uuid>>> + Send;
    /// `(id, channel, closed_at)` of the organisation's closed contacts: what retention
    /// walks.
    fn list_closed_contacts(
        &self,
        org: Uuid,
    ) -> impl Future<Output = Result<Vec<(Uuid, Channel, time::OffsetDateTime)>>> + Send;
}

/// Either backend, chosen from the URL.
#[derive(Clone)]
pub enum Db {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.backend())
    }
}

impl Db {
    /// Open (creating and migrating) the database at `url`: `sqlite://PATH` or
    /// `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db> {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            Ok(Db::Sqlite(
                SqliteStore::open(std::path::Path::new(path)).await?,
            ))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Db::Postgres(PgStore::connect(url, None).await?))
        } else {
            Err(StoreError::Unavailable(format!(
                "unsupported database URL (want sqlite://PATH or postgres://…): {}",
                redact(url)
            )))
        }
    }

    /// What the group-commit writer has done since the store opened.
    pub fn writer_stats(&self) -> WriterStats {
        match self {
            Db::Sqlite(s) => s.writer_stats(),
            Db::Postgres(s) => s.writer_stats(),
        }
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Stop accepting writes, finish those queued, close connections.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(s) => s.close().await,
            Db::Postgres(s) => s.close().await,
        }
    }
}

/// A database URL with its password hidden, for logs and errors.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

macro_rules! delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            Db::Sqlite($s) => $e.await,
            Db::Postgres($s) => $e.await,
        }
    };
}

impl Store for Db {
    fn submit(&self, changes: Vec<Change>) -> Pending {
        match self {
            Db::Sqlite(s) => s.submit(changes),
            Db::Postgres(s) => s.submit(changes),
        }
    }
    fn submit_fenced(&self, fence: Option<Fence>, changes: Vec<Change>) -> Pending {
        match self {
            Db::Sqlite(s) => s.submit_fenced(fence, changes),
            Db::Postgres(s) => s.submit_fenced(fence, changes),
        }
    }
    async fn read_org_events_of_kind_after(
        &self,
        org: Uuid,
        kind: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Event>> {
        delegate!(self, s => s.read_org_events_of_kind_after(org, kind, after, limit))
    }
    async fn list_due_deliveries(&self, now_ms: i64, limit: u32) -> Result<Vec<Delivery>> {
        delegate!(self, s => s.list_due_deliveries(now_ms, limit))
    }
    async fn list_data_keys(&self, org: Uuid) -> Result<Vec<DataKey>> {
        delegate!(self, s => s.list_data_keys(org))
    }
    async fn list_message_texts(
        &self,
        org: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<MessageTexts>> {
        delegate!(self, s => s.list_message_texts(org, after, limit))
    }
    async fn list_customers(
        &self,
        org: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Customer>> {
        delegate!(self, s => s.list_customers(org, after, limit))
    }
    async fn list_all_identities(
        &self,
        org: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Identity>> {
        delegate!(self, s => s.list_all_identities(org, after, limit))
    }
    async fn list_unsealed_identities(&self, org: Uuid, limit: u32) -> Result<Vec<Identity>> {
        delegate!(self, s => s.list_unsealed_identities(org, limit))
    }
    async fn list_contact_data(
        &self,
        org: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<(Uuid, serde_json::Value)>> {
        delegate!(self, s => s.list_contact_data(org, after, limit))
    }
    async fn list_attachment_ids(
        &self,
        org: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Uuid>> {
        delegate!(self, s => s.list_attachment_ids(org, after, limit))
    }
    async fn list_closed_contacts(
        &self,
        org: Uuid,
    ) -> Result<Vec<(Uuid, Channel, time::OffsetDateTime)>> {
        delegate!(self, s => s.list_closed_contacts(org))
    }
    async fn next_delivery_due(&self) -> Result<Option<i64>> {
        delegate!(self, s => s.next_delivery_due())
    }
    async fn list_deliveries(
        &self,
        org: Uuid,
        contact: Uuid,
        after_seq: i64,
    ) -> Result<Vec<Delivery>> {
        delegate!(self, s => s.list_deliveries(org, contact, after_seq))
    }
    async fn get_delivery(&self, org: Uuid, message: Uuid) -> Result<Option<Delivery>> {
        delegate!(self, s => s.get_delivery(org, message))
    }
    async fn find_delivery_by_provider_id(
        &self,
        org: Uuid,
        channel: Channel,
        provider_message_id: &str,
    ) -> Result<Option<Delivery>> {
        delegate!(self, s => s.find_delivery_by_provider_id(org, channel, provider_message_id))
    }
    async fn list_open_client_ids(&self, org: Uuid) -> Result<Vec<(Uuid, String, i64)>> {
        delegate!(self, s => s.list_open_client_ids(org))
    }
    async fn ping(&self) -> Result<()> {
        delegate!(self, s => s.ping())
    }
    async fn get_org(&self, id: Uuid) -> Result<Option<Org>> {
        delegate!(self, s => s.get_org(id))
    }
    async fn get_org_by_slug(&self, slug: &str) -> Result<Option<Org>> {
        delegate!(self, s => s.get_org_by_slug(slug))
    }
    async fn list_orgs(&self) -> Result<Vec<Org>> {
        delegate!(self, s => s.list_orgs())
    }
    async fn get_user(&self, org: Uuid, id: Uuid) -> Result<Option<User>> {
        delegate!(self, s => s.get_user(org, id))
    }
    async fn get_user_by_email(&self, org: Uuid, email: &str) -> Result<Option<User>> {
        delegate!(self, s => s.get_user_by_email(org, email))
    }
    async fn list_users(&self, org: Uuid, page: PageRequest) -> Result<Page<User>> {
        delegate!(self, s => s.list_users(org, page))
    }
    async fn get_session(&self, token_hash: &str) -> Result<Option<Session>> {
        delegate!(self, s => s.get_session(token_hash))
    }
    async fn get_api_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        delegate!(self, s => s.get_api_token(token_hash))
    }
    async fn list_api_tokens(&self, org: Uuid) -> Result<Vec<ApiToken>> {
        delegate!(self, s => s.list_api_tokens(org))
    }
    async fn get_object(&self, org: Uuid, kind: ObjectKind, id: Uuid) -> Result<Option<Object>> {
        delegate!(self, s => s.get_object(org, kind, id))
    }
    async fn list_objects(
        &self,
        org: Uuid,
        kind: ObjectKind,
        page: PageRequest,
    ) -> Result<Page<Object>> {
        delegate!(self, s => s.list_objects(org, kind, page))
    }
    async fn get_object_by_name(
        &self,
        org: Uuid,
        kind: ObjectKind,
        name: &str,
    ) -> Result<Option<Object>> {
        delegate!(self, s => s.get_object_by_name(org, kind, name))
    }
    async fn get_customer(&self, org: Uuid, id: Uuid) -> Result<Option<Customer>> {
        delegate!(self, s => s.get_customer(org, id))
    }
    async fn find_identity(&self, org: Uuid, kind: &str, value: &str) -> Result<Option<Identity>> {
        delegate!(self, s => s.find_identity(org, kind, value))
    }
    async fn get_customer_merge(&self, org: Uuid, id: Uuid) -> Result<Option<Uuid>> {
        delegate!(self, s => s.get_customer_merge(org, id))
    }
    async fn list_customer_contacts(
        &self,
        org: Uuid,
        customer: Uuid,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Contact>> {
        delegate!(self, s => s.list_customer_contacts(org, customer, before, limit))
    }
    async fn list_identities(&self, org: Uuid, customer: Uuid) -> Result<Vec<Identity>> {
        delegate!(self, s => s.list_identities(org, customer))
    }
    async fn get_contact(&self, org: Uuid, id: Uuid) -> Result<Option<Contact>> {
        delegate!(self, s => s.get_contact(org, id))
    }
    async fn list_contacts(
        &self,
        org: Uuid,
        filter: &ContactFilter,
        page: PageRequest,
    ) -> Result<Page<Contact>> {
        delegate!(self, s => s.list_contacts(org, filter, page))
    }
    async fn list_open_contacts(&self) -> Result<Vec<Contact>> {
        delegate!(self, s => s.list_open_contacts())
    }
    async fn list_messages(
        &self,
        org: Uuid,
        contact: Uuid,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<Message>> {
        delegate!(self, s => s.list_messages(org, contact, after_seq, limit))
    }
    async fn get_message_by_client_id(
        &self,
        org: Uuid,
        contact: Uuid,
        client_id: &str,
    ) -> Result<Option<Message>> {
        delegate!(self, s => s.get_message_by_client_id(org, contact, client_id))
    }
    async fn get_attachment(&self, org: Uuid, id: Uuid) -> Result<Option<Attachment>> {
        delegate!(self, s => s.get_attachment(org, id))
    }
    async fn attachment_data(&self, org: Uuid, id: Uuid) -> Result<Option<Vec<u8>>> {
        delegate!(self, s => s.attachment_data(org, id))
    }
    async fn get_idempotency(&self, org: Uuid, key: &str) -> Result<Option<IdempotencyRecord>> {
        delegate!(self, s => s.get_idempotency(org, key))
    }
    async fn read_events(&self, after: i64, limit: u32) -> Result<Vec<Event>> {
        delegate!(self, s => s.read_events(after, limit))
    }
    async fn read_org_events(&self, org: Uuid, after: i64, limit: u32) -> Result<Vec<Event>> {
        delegate!(self, s => s.read_org_events(org, after, limit))
    }
    async fn read_org_events_of_kind(
        &self,
        org: Uuid,
        kind: &str,
        before: i64,
        limit: u32,
    ) -> Result<Vec<Event>> {
        delegate!(self, s => s.read_org_events_of_kind(org, kind, before, limit))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }
}
