//! The Homeshore server: HTTP/JSON API, WebSockets, auth, and the live contact-center
//! state wired to the store and the clock.
//!
//! # Seams (for channel adapters, the demo, tests)
//!
//! - [`AppState::open`]`(`[`Config`]`)` opens the store (SQLite in `data_dir`, or
//!   `database_url`), runs migrations, rebuilds the live state from the store and starts
//!   the commit pipeline and the timer task. [`app`]`(state)` is the whole
//!   `axum::Router`; [`serve`]`(listener, state, shutdown)` runs it with graceful shutdown.
//! - [`seed`]: `create_org`, `create_user`, `create_queue`, `create_api_token` — used by
//!   the CLI, the demo and tests.
//! - [`auth::Auth`]: the staff extractor (session cookie + CSRF header, or
//!   `Authorization: Bearer hs_…`), with `auth.require(&[Role::…])`.
//! - [`live`]: one organisation's live state, the routing engine and the server's mirror
//!   of contacts and offers; [`events`]: the typed events (with their actor) it logs.
//! - [`contacts`]: the conversation service, plain async functions on [`AppState`]:
//!   `create_contact` (customer + identity, enqueue, route), `append_message`
//!   (idempotent on `client_id`, per-contact `seq`), `set_typing`, `mark_read`,
//!   `end_contact`, `update_contact_data`, `store_attachment`, `queue_position`; the
//!   staff side `accept_offer`, `reject_offer`, `transfer`, `wrapup`, `set_agent_state`.
//!   Each returns only after its writes are committed, and publishes its live updates
//!   (in commit order) before returning.
//! - [`hub::Hub`] (`state.hub()`): `subscribe_contact(contact_id)` gives the customer
//!   side's [`hub::ContactEvent`]s (`message` with `seq`, `typing`, `read`, `queue`,
//!   `agent_joined`, `ended`). To resume without loss: subscribe first, then read
//!   `store.list_messages(org, contact, after_seq)` and skip events whose `seq` you sent.
//! - [`wire`]: the JSON shapes of contacts and messages (`wire::message(&m, &c)`), shared
//!   by the staff API and the widget so both sides see the same conversation.
//!
//! # Invariants
//!
//! - Nothing is acknowledged before it is committed: every change to live state goes
//!   through [`AppState::mutate`], which computes it under the organisation's lock
//!   ([`OrgSlot`]; one per organisation, not one for all), submits the writes to the
//!   store's group-commit queue *under that lock* (so the log has the same order as
//!   memory), and waits for the commit; live updates are published after the commit, in
//!   commit order, by the pipeline task.
//! - A failed commit never leaves memory ahead of the store for long: its writes carry
//!   the organisation's [`store::Fence`], so every later write computed from the same
//!   memory is refused unwritten, and the organisation is rebuilt from the log
//!   ([`contacts::recover`]) before it takes new changes. Other organisations go on.
//! - Every routing decision is the `routing` engine's ([`live`]); its events are the
//!   state, replayed at start.
//! - Every query is scoped to the caller's organisation; a foreign id is a 404.
//! - Bad input is a 4xx in the one error shape ([`error`]), never a 500 or a panic.
#![forbid(unsafe_code)]

pub mod alerts;
pub mod api;
pub mod auth;
pub mod bot;
pub mod channels;
pub mod chat;
mod chat_mount;
pub mod conn_limit;
pub mod contacts;
pub mod customers;
pub mod error;
pub mod events;
pub mod help_center;
pub mod history;
pub mod hub;
pub mod insight;
pub mod keys;
pub mod knowledge;
pub mod live;
pub mod metrics;
pub mod org_settings;
pub mod pii;
pub mod protection;
pub mod reports;
pub mod retention;
pub mod secrets;
pub mod seed;
pub mod sso;
pub mod supervise;
pub mod telephony;
pub mod web;
pub mod webhook;
pub mod wire;
mod ws;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use store::{Change, Committed, Db, Fence, Pending, Store};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

pub use error::{ApiError, ApiResult};
use hub::{Hub, Note};

/// Server settings. Built by the CLI from flags, `HOMESHORE_*` variables and a TOML file.
#[derive(Clone, serde::Deserialize)]
#[serde(default)]
pub struct Config {
    /// Where SQLite keeps its file (and anything else on disk).
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite://PATH`; empty: SQLite at `data_dir/homeshore.db`.
    pub database_url: String,
    /// Send cookies with `Secure`. `None`: yes, unless the server listens on loopback.
    pub cookie_secure: Option<bool>,
    /// Log out after this much inactivity.
    pub session_idle_secs: u64,
    /// Log out this long after login, whatever the activity.
    pub session_absolute_secs: u64,
    /// Largest request body accepted (attachments have their own limit).
    pub body_limit_bytes: usize,
    /// Login attempts per client address: burst, then one more every `login_refill_secs`.
    pub login_burst: u32,
    pub login_refill_secs: u64,
    /// Failed logins in a row before an account is locked, and for how long.
    pub lockout_threshold: i32,
    pub lockout_secs: u64,
    /// Shown in authenticator apps.
    pub mfa_issuer: String,
    /// Argon2 memory cost in KiB (19 MiB default, OWASP's minimum for Argon2id).
    pub argon2_m_kib: u32,
    /// Open connections at most; new ones past it get a 503 at once. 0: the process's
    /// open-file limit less what the store needs ([`conn_limit::auto_limit`]).
    pub max_connections: usize,
    /// Open connections at most from one address other than loopback (0: no limit). A
    /// reverse proxy on the same machine connects from loopback and is not limited.
    pub max_connections_per_address: usize,
    /// Seconds a connection has to send a request's headers, from its opening and from
    /// each answer (slow-header and idle connections are closed after it).
    pub header_read_timeout_secs: u64,
    /// Seconds without a key press, click or touch after which the agent desktop hides
    /// everything behind a lock that asks for the password again (0: never).
    pub idle_lock_secs: u64,
    /// The bearer token `GET /metrics` asks for. Empty: `/metrics` answers 403 to
    /// everyone (it lists every organisation's queues and load).
    pub metrics_token: String,
    /// The key that seals providers' credentials at rest ([`secrets`]): 64 hex digits or
    /// base64. Empty: `secret.key` in `data_dir`, made on first start.
    pub secret_key: String,
    /// A command that wraps and unwraps data keys with a key-management service
    /// ([`keys::KmsCommand`]). Empty: the master key (`secret_key`) wraps them.
    pub kms_command: String,
    /// The address staff reach this server at (`https://cc.example.com`), used for the
    /// single sign-on callback registered at the identity provider. Empty: from each
    /// request's `Host` (https unless the server listens on loopback).
    pub public_url: String,
    /// A sentence-embedding model's directory (`config.json`, `vocab.txt`,
    /// `model.safetensors`, e.g. all-MiniLM-L6-v2) for the knowledge base's optional
    /// semantic re-ranking ([`kb::semantic`]). Empty: off; search is BM25 alone.
    pub kb_model_dir: String,
    /// How much meaning weighs against words when re-ranking, 0 to 1.
    pub kb_rerank_weight: f32,
    /// Where SIP is received from trunks (UDP), e.g. `0.0.0.0:5060`. Empty: no
    /// telephony.
    pub sip_bind: String,
    /// The address trunks reach this server at, put in SIP headers and SDP (a public
    /// address behind NAT). Empty: the bind address (127.0.0.1 when it is 0.0.0.0).
    pub sip_host: String,
    /// When `sip_bind`'s port is taken, take any free port on the same address instead
    /// of failing (the demo, which prefers 5060 but must start anyway).
    pub sip_any_port: bool,
    /// The UDP ports call audio uses (RTP towards trunks, WebRTC towards browsers),
    /// `FIRST-LAST`, e.g. `20000-29999`, so that a firewall can be opened for them
    /// ahead of time; each call takes one for its trunk side and one per browser on
    /// it. Empty: any free port.
    pub media_ports: String,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("database_url", &store::redact(&self.database_url))
            .field("cookie_secure", &self.cookie_secure)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("homeshore-data"),
            database_url: String::new(),
            cookie_secure: None,
            session_idle_secs: 30 * 60,
            session_absolute_secs: 12 * 3600,
            body_limit_bytes: 1024 * 1024,
            login_burst: 10,
            login_refill_secs: 6,
            lockout_threshold: 5,
            lockout_secs: 15 * 60,
            mfa_issuer: "Homeshore".into(),
            argon2_m_kib: 19 * 1024,
            max_connections: 0,
            max_connections_per_address: 256,
            header_read_timeout_secs: 10,
            metrics_token: String::new(),
            idle_lock_secs: 10 * 60,
            secret_key: String::new(),
            kms_command: String::new(),
            public_url: String::new(),
            kb_model_dir: String::new(),
            kb_rerank_weight: 0.5,
            sip_bind: String::new(),
            sip_host: String::new(),
            sip_any_port: false,
            media_ports: String::new(),
        }
    }
}

impl Config {
    /// The database URL to open: `database_url`, or SQLite in `data_dir`.
    pub fn resolved_database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("homeshore.db").display())
        } else {
            self.database_url.clone()
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Store(#[from] store::StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Config(String),
}

/// The clock: the system's, or one tests move by hand.
#[derive(Clone)]
pub enum Clock {
    System,
    Manual(Arc<Mutex<OffsetDateTime>>),
}

impl Clock {
    pub fn now(&self) -> OffsetDateTime {
        match self {
            Clock::System => store::now(),
            Clock::Manual(t) => *t.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }
    /// Move a manual clock forward (no-op on the system clock).
    pub fn advance(&self, by: Duration) {
        if let Clock::Manual(t) = self {
            let mut g = t.lock().unwrap_or_else(|p| p.into_inner());
            *g += by;
        }
    }
}

struct PipelineItem {
    pending: Option<Pending>,
    notes: Vec<Note>,
    tally: metrics::Tally,
    /// The write puts something in the outbox: wake its drain task once committed.
    outbound: bool,
    reply: oneshot::Sender<store::Result<Committed>>,
}

pub struct Inner {
    sealer: secrets::Sealer,
    keyring: keys::Keyring,
    store: Db,
    config: Config,
    orgs: RwLock<HashMap<Uuid, Arc<OrgSlot>>>,
    hub: Hub,
    metrics: metrics::Metrics,
    clock: Clock,
    pipeline: mpsc::UnboundedSender<PipelineItem>,
    /// Held while a write is handed to the store and to the pipeline, so both see the
    /// same order.
    submit: Mutex<()>,
    limiter: auth::LoginLimiter,
    ready: AtomicBool,
    cookie_secure: AtomicBool,
    shutdown: tokio::sync::watch::Sender<bool>,
    /// Poked after each change: the timer task re-reads the next deadline.
    wake: tokio::sync::Notify,
    /// Poked when a commit put a message in the outbox.
    outbox: tokio::sync::Notify,
    transports: channels::outbound::Transports,
    connections: Arc<conn_limit::Gauge>,
    /// Customers' sockets per chat, and staff sockets per session.
    chat_sockets: conn_limit::Shares,
    staff_sockets: conn_limit::Shares,
    lockouts: auth::Lockouts,
    /// Each organisation's knowledge-base search index, built at first use.
    kb_indexes: knowledge::Indexes,
    /// Each organisation's reports projection, loaded at first use.
    reports: reports::Rollups,
    /// The SIP driver, when `sip_bind` is set.
    sip: std::sync::OnceLock<telephony::Sip>,
}

/// WebSockets one chat (one customer token) may hold at once: a few tabs, not hundreds.
pub const SOCKETS_PER_CHAT: usize = 8;
/// WebSockets one staff member may hold at once (tabs, the desktop and a wallboard).
pub const SOCKETS_PER_SESSION: usize = 16;

/// One organisation's live state behind its own lock, and the epoch its writes are
/// fenced with (see [`store::Fence`]).
pub struct OrgSlot {
    live: Mutex<live::OrgLive>,
    epoch: AtomicU64,
    /// Set when a write failed: the state is being rebuilt from the store.
    stale: AtomicBool,
    recovering: tokio::sync::Mutex<()>,
    recovered: tokio::sync::Notify,
    /// Held while a contact that has left the live state is read from the store and
    /// written back ([`contacts::update_contact_data`]): two such updates at once
    /// would otherwise each write the row without the other's change.
    pub cold: tokio::sync::Mutex<()>,
    /// Which alerts are up ([`alerts`]); apart from the live state, so that a rebuild
    /// does not raise them again.
    alerts: Mutex<alerts::Watch>,
    /// Insight's counted weeks and the last digest sent on schedule.
    insight: Mutex<api::insight_api::Cache>,
    /// Wallboards last computed, by their filters: every console that fetches after a
    /// `wallboard` note shares one computation.
    pub boards: Mutex<BoardCache>,
}

/// See [`OrgSlot::boards`].
#[derive(Default)]
pub struct BoardCache {
    /// Filters → (version computed at, when, the board).
    boards: HashMap<String, (u64, std::time::Instant, Arc<serde_json::Value>)>,
}

impl BoardCache {
    /// How long a board is served to others: figures that grow with time (waits, time
    /// in a state) move on even when no event does.
    const FRESH: Duration = Duration::from_millis(500);

    /// A board for `key` computed at the wallboard's `current` version, or, for a
    /// console answering a note, at `wanted` or later and fresh.
    pub fn get(
        &self,
        key: &str,
        current: u64,
        wanted: Option<u64>,
    ) -> Option<Arc<serde_json::Value>> {
        self.boards
            .get(key)
            .filter(|(v, at, _)| {
                *v == current || wanted.is_some_and(|w| *v >= w) && at.elapsed() < Self::FRESH
            })
            .map(|(_, _, b)| b.clone())
    }

    pub fn put(&mut self, key: String, version: u64, board: Arc<serde_json::Value>) {
        if self.boards.len() >= 64 {
            self.boards.clear();
        }
        self.boards
            .insert(key, (version, std::time::Instant::now(), board));
    }
}

impl OrgSlot {
    fn new(org: Uuid) -> OrgSlot {
        OrgSlot {
            live: Mutex::new(live::OrgLive::new(org)),
            epoch: AtomicU64::new(1),
            stale: AtomicBool::new(false),
            recovering: tokio::sync::Mutex::new(()),
            cold: tokio::sync::Mutex::new(()),
            recovered: tokio::sync::Notify::new(),
            alerts: Mutex::new(alerts::Watch::default()),
            insight: Mutex::new(api::insight_api::Cache::default()),
            boards: Mutex::new(BoardCache::default()),
        }
    }
    /// Insight's counted weeks and digest schedule. Never hold it across an `.await`.
    pub fn insight(&self) -> MutexGuard<'_, api::insight_api::Cache> {
        self.insight.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// The organisation's alerts. Never hold it across an `.await`.
    pub fn alerts(&self) -> MutexGuard<'_, alerts::Watch> {
        self.alerts.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// Lock the live state. Never hold it across an `.await`.
    pub fn lock(&self) -> MutexGuard<'_, live::OrgLive> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Everything a request handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// A change computed under the live-state lock: its result, the writes that make it
/// durable, and the live updates to publish once they are.
pub struct Tx<T> {
    pub value: T,
    pub changes: Vec<Change>,
    pub notes: Vec<Note>,
}

impl<T> Tx<T> {
    pub fn new(value: T) -> Self {
        Tx {
            value,
            changes: Vec::new(),
            notes: Vec::new(),
        }
    }
}

impl AppState {
    /// Open the store, rebuild the live state, start the background tasks.
    pub async fn open(config: Config) -> Result<AppState, StartError> {
        Self::open_with_clock(config, Clock::System).await
    }

    pub async fn open_with_clock(mut config: Config, clock: Clock) -> Result<AppState, StartError> {
        if config.database_url.is_empty() {
            store::private_dir(&config.data_dir)?;
        }
        if config.secret_key.trim().is_empty() {
            config.secret_key = secrets::load_or_create_key(&config.data_dir).map_err(|e| {
                StartError::Config(format!(
                    "the key for credentials at rest, {}: {e} (or set HOMESHORE_SECRET_KEY)",
                    config.data_dir.join(secrets::KEY_FILE).display()
                ))
            })?;
        }
        secrets::Sealer::from_key_text(&config.secret_key).map_err(StartError::Config)?;
        let db = Db::connect(&config.resolved_database_url()).await?;
        Ok(Self::with_store(db, config, clock).await?)
    }

    /// Build on an open store (tests pass a PostgreSQL schema of their own). Without a
    /// `secret_key` credentials are sealed with a key of this process only.
    pub async fn with_store(
        db: Db,
        config: Config,
        clock: Clock,
    ) -> Result<AppState, store::StoreError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let (shutdown, _) = tokio::sync::watch::channel(false);
        let sealer = secrets::Sealer::from_key_text(&config.secret_key).unwrap_or_else(|_| {
            if !config.secret_key.trim().is_empty() {
                tracing::error!(
                    "secret_key is not a key; credentials sealed now will not open after a restart"
                );
            }
            secrets::Sealer::from_key_text(&secrets::Sealer::new_key_text())
                .expect("a fresh key is a key")
        });
        let inner = Inner {
            keyring: keys::Keyring::new(Arc::new(keys::DataKeyWrap {
                local: sealer.clone(),
                kms: (!config.kms_command.trim().is_empty())
                    .then(|| keys::KmsCommand::new(&config.kms_command)),
            })),
            sealer,
            store: db,
            limiter: auth::LoginLimiter::new(config.login_burst, config.login_refill_secs),
            cookie_secure: AtomicBool::new(config.cookie_secure.unwrap_or(true)),
            config,
            orgs: RwLock::new(HashMap::new()),
            hub: Hub::new(),
            metrics: metrics::Metrics::default(),
            clock,
            pipeline: tx,
            submit: Mutex::new(()),
            ready: AtomicBool::new(false),
            shutdown,
            wake: tokio::sync::Notify::new(),
            outbox: tokio::sync::Notify::new(),
            transports: channels::outbound::Transports::default(),
            connections: Arc::default(),
            chat_sockets: conn_limit::Shares::new(SOCKETS_PER_CHAT),
            staff_sockets: conn_limit::Shares::new(SOCKETS_PER_SESSION),
            lockouts: auth::Lockouts::default(),
            kb_indexes: knowledge::Indexes::default(),
            reports: reports::Rollups::default(),
            sip: std::sync::OnceLock::new(),
        };
        let state = AppState(Arc::new(inner));
        tokio::spawn(run_pipeline(state.clone(), rx));
        contacts::rebuild(&state).await?;
        tokio::spawn(contacts::timer_task(state.clone()));
        tokio::spawn(channels::outbound::drain_task(state.clone()));
        tokio::spawn(channels::email::poll_task(state.clone()));
        tokio::spawn(retention::task(state.clone()));
        tokio::spawn(reports::task(state.clone()));
        tokio::spawn(api::insight_api::task(state.clone()));
        match telephony::start(&state).await {
            Ok(Some(sip)) => {
                let _ = state.0.sip.set(sip);
            }
            Ok(None) => {}
            Err(e) => {
                return Err(store::StoreError::Unavailable(format!(
                    "the SIP address {}: {e}",
                    state.config().sip_bind
                )));
            }
        }
        state.0.ready.store(true, Ordering::SeqCst);
        Ok(state)
    }

    pub fn store(&self) -> &Db {
        &self.0.store
    }
    /// The SIP driver, when telephony is on (`sip_bind`).
    pub fn sip(&self) -> Option<&telephony::Sip> {
        self.0.sip.get()
    }
    pub fn reports(&self) -> &reports::Rollups {
        &self.0.reports
    }
    pub fn kb_indexes(&self) -> &knowledge::Indexes {
        &self.0.kb_indexes
    }
    pub fn config(&self) -> &Config {
        &self.0.config
    }
    /// Seals and opens providers' credentials.
    pub fn sealer(&self) -> &secrets::Sealer {
        &self.0.sealer
    }
    /// The organisations' data keys (encryption at rest).
    pub fn keyring(&self) -> &keys::Keyring {
        &self.0.keyring
    }
    /// The organisation's data keys, to seal with before a write.
    pub async fn org_keys(&self, org: Uuid) -> Result<Arc<keys::OrgKeys>, store::StoreError> {
        self.0.keyring.get(&self.0.store, org).await
    }
    /// Messages of a contact, their text opened (see [`keys`]).
    pub async fn messages(
        &self,
        org: Uuid,
        contact: Uuid,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<store::Message>, store::StoreError> {
        let list = self
            .0
            .store
            .list_messages(org, contact, after_seq, limit)
            .await?;
        self.open_messages(org, list).await
    }
    /// One message by its client id, its text opened.
    pub async fn message_by_client_id(
        &self,
        org: Uuid,
        contact: Uuid,
        client_id: &str,
    ) -> Result<Option<store::Message>, store::StoreError> {
        let Some(m) = self
            .0
            .store
            .get_message_by_client_id(org, contact, client_id)
            .await?
        else {
            return Ok(None);
        };
        Ok(self.open_messages(org, vec![m]).await?.pop())
    }
    async fn open_messages(
        &self,
        org: Uuid,
        mut list: Vec<store::Message>,
    ) -> Result<Vec<store::Message>, store::StoreError> {
        let newest = list
            .iter()
            .flat_map(|m| {
                let file = m.attachment.as_ref().and_then(|a| a.get("name")?.as_str());
                [m.text.as_deref(), m.author_name.as_deref(), file]
            })
            .filter_map(|t| t.and_then(keys::text_key_id))
            .max();
        if newest.is_none() {
            return Ok(list);
        }
        let k = self.0.keyring.for_key(&self.0.store, org, newest).await?;
        for m in &mut list {
            if let Some(t) = &m.text {
                m.text = k.open_text(keys::MESSAGE_TEXT, m.id, t);
            }
            k.open_message_names(m);
        }
        Ok(list)
    }
    /// The keys that open what `org` sealed under `newest` (the highest key a batch of
    /// stored values names).
    async fn opener(
        &self,
        org: Uuid,
        newest: Option<i32>,
    ) -> Result<Arc<keys::OrgKeys>, store::StoreError> {
        self.0.keyring.for_key(&self.0.store, org, newest).await
    }
    /// A customer, their name, email and attributes opened (see [`keys`]).
    pub async fn customer(
        &self,
        org: Uuid,
        id: Uuid,
    ) -> Result<Option<store::Customer>, store::StoreError> {
        let Some(c) = self.0.store.get_customer(org, id).await? else {
            return Ok(None);
        };
        let k = self.opener(org, keys::text_key_id(&c.name)).await?;
        Ok(Some(k.open_customer(c)))
    }
    /// The organisation's customers with an id after `after`, by id, opened.
    pub async fn customers_after(
        &self,
        org: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<store::Customer>, store::StoreError> {
        let list = self.0.store.list_customers(org, after, limit).await?;
        let newest = list.iter().filter_map(|c| keys::text_key_id(&c.name)).max();
        let k = self.opener(org, newest).await?;
        Ok(list.into_iter().map(|c| k.open_customer(c)).collect())
    }
    /// A customer's contacts on every channel, newest first, before `before`, opened.
    pub async fn customer_contacts(
        &self,
        org: Uuid,
        customer: Uuid,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<store::Contact>, store::StoreError> {
        let list = self
            .0
            .store
            .list_customer_contacts(org, customer, before, limit)
            .await?;
        self.open_contacts(org, list).await
    }
    /// The identity of this kind and value, by its blind index (or, for rows from before
    /// identities were sealed, by the value itself), its value opened.
    pub async fn find_identity(
        &self,
        org: Uuid,
        kind: &str,
        value: &str,
    ) -> Result<Option<store::Identity>, store::StoreError> {
        let k = self.org_keys(org).await?;
        let st = &self.0.store;
        let found = match st.find_identity(org, kind, &k.blind(kind, value)).await? {
            Some(i) => Some(i),
            None if !keys::is_blind(value) => st.find_identity(org, kind, value).await?,
            None => None,
        };
        let Some(i) = found else { return Ok(None) };
        let k = self
            .opener(org, i.sealed.as_deref().and_then(keys::text_key_id))
            .await?;
        Ok(Some(k.open_identity(i)))
    }
    /// A customer's identities, their values opened.
    pub async fn identities(
        &self,
        org: Uuid,
        customer: Uuid,
    ) -> Result<Vec<store::Identity>, store::StoreError> {
        let list = self.0.store.list_identities(org, customer).await?;
        let newest = list
            .iter()
            .filter_map(|i| i.sealed.as_deref().and_then(keys::text_key_id))
            .max();
        let k = self.opener(org, newest).await?;
        Ok(list.into_iter().map(|i| k.open_identity(i)).collect())
    }
    /// A contact, the personal keys of its data opened.
    pub async fn contact(
        &self,
        org: Uuid,
        id: Uuid,
    ) -> Result<Option<store::Contact>, store::StoreError> {
        match self.0.store.get_contact(org, id).await? {
            Some(c) => Ok(self.open_contacts(org, vec![c]).await?.pop()),
            None => Ok(None),
        }
    }
    /// A page of contacts, opened.
    pub async fn contacts(
        &self,
        org: Uuid,
        filter: &store::ContactFilter,
        page: store::PageRequest,
    ) -> Result<store::Page<store::Contact>, store::StoreError> {
        let mut p = self.0.store.list_contacts(org, filter, page).await?;
        p.items = self
            .open_contacts(org, std::mem::take(&mut p.items))
            .await?;
        Ok(p)
    }
    /// The organisation's contacts not yet closed, opened (restart, recovery).
    pub async fn open_contacts_of(
        &self,
        org: Uuid,
    ) -> Result<Vec<store::Contact>, store::StoreError> {
        let open = self.0.store.list_open_contacts().await?;
        let open = open.into_iter().filter(|c| c.org_id == org).collect();
        self.open_contacts(org, open).await
    }
    async fn open_contacts(
        &self,
        org: Uuid,
        list: Vec<store::Contact>,
    ) -> Result<Vec<store::Contact>, store::StoreError> {
        let newest = list
            .iter()
            .flat_map(|c| {
                let personal = keys::CONTACT_PERSONAL
                    .iter()
                    .filter_map(|k| c.data.get(*k)?.as_str());
                personal.chain(c.wrapup_notes.as_deref())
            })
            .filter_map(keys::text_key_id)
            .max();
        let k = self.opener(org, newest).await?;
        Ok(list.into_iter().map(|c| k.open_contact(c)).collect())
    }
    /// The stored answer to a retried request, opened.
    pub async fn idempotency(
        &self,
        org: Uuid,
        key: &str,
    ) -> Result<Option<store::IdempotencyRecord>, store::StoreError> {
        let Some(r) = self.0.store.get_idempotency(org, key).await? else {
            return Ok(None);
        };
        let newest = r
            .body
            .get("sealed")
            .and_then(serde_json::Value::as_str)
            .and_then(keys::text_key_id);
        let k = self.opener(org, newest).await?;
        Ok(Some(k.open_answer(r)))
    }
    /// An attachment's metadata, its file name opened.
    pub async fn attachment(
        &self,
        org: Uuid,
        id: Uuid,
    ) -> Result<Option<store::Attachment>, store::StoreError> {
        let Some(a) = self.0.store.get_attachment(org, id).await? else {
            return Ok(None);
        };
        let k = self.opener(org, keys::text_key_id(&a.name)).await?;
        Ok(Some(k.open_attachment(a)))
    }
    /// An attachment's bytes, opened.
    pub async fn attachment_data(
        &self,
        org: Uuid,
        id: Uuid,
    ) -> Result<Option<Vec<u8>>, store::StoreError> {
        let Some(stored) = self.0.store.attachment_data(org, id).await? else {
            return Ok(None);
        };
        let k = self
            .0
            .keyring
            .for_key(&self.0.store, org, keys::bytes_key_id(&stored))
            .await?;
        Ok(k.open_bytes(keys::ATTACHMENT, id, &stored))
    }
    pub fn hub(&self) -> &Hub {
        &self.0.hub
    }
    pub fn metrics(&self) -> &metrics::Metrics {
        &self.0.metrics
    }
    pub fn clock(&self) -> &Clock {
        &self.0.clock
    }
    /// Failed sign-ins kept in memory (recognised devices, unknown accounts).
    pub fn lockouts(&self) -> &auth::Lockouts {
        &self.0.lockouts
    }

    /// Customers' WebSockets, per chat.
    pub fn chat_sockets(&self) -> &conn_limit::Shares {
        &self.0.chat_sockets
    }

    /// Staff WebSockets, per user.
    pub fn staff_sockets(&self) -> &conn_limit::Shares {
        &self.0.staff_sockets
    }

    /// Open HTTP connections and those refused at the limit.
    pub fn connections(&self) -> &conn_limit::Gauge {
        &self.0.connections
    }
    /// The outbound transports, one per channel.
    pub fn transports(&self) -> &channels::outbound::Transports {
        &self.0.transports
    }
    /// Wake the outbox's drain task (tests that move a manual clock past a retry).
    pub fn wake_outbox(&self) {
        self.0.outbox.notify_one();
    }
    pub(crate) async fn outbox_notified(&self) {
        self.0.outbox.notified().await
    }
    pub fn now(&self) -> OffsetDateTime {
        self.0.clock.now()
    }
    pub(crate) fn limiter(&self) -> &auth::LoginLimiter {
        &self.0.limiter
    }
    pub fn is_ready(&self) -> bool {
        self.0.ready.load(Ordering::SeqCst)
    }
    pub fn cookie_secure(&self) -> bool {
        self.0.cookie_secure.load(Ordering::Relaxed)
    }
    /// Decide `Secure` cookies from the listening address when the config did not.
    pub fn set_listen_addr(&self, addr: SocketAddr) {
        if self.0.config.cookie_secure.is_none() {
            self.0
                .cookie_secure
                .store(!addr.ip().is_loopback(), Ordering::Relaxed);
        }
    }
    /// A receiver that turns true when the server shuts down (long-lived tasks stop).
    pub fn shutdown_signal(&self) -> tokio::sync::watch::Receiver<bool> {
        self.0.shutdown.subscribe()
    }

    /// The organisation's slot, created empty for an organisation made after start.
    pub fn slot(&self, org: Uuid) -> Arc<OrgSlot> {
        if let Some(s) = self
            .0
            .orgs
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&org)
        {
            return s.clone();
        }
        self.0
            .orgs
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(org)
            .or_insert_with(|| Arc::new(OrgSlot::new(org)))
            .clone()
    }

    /// Every organisation's slot (timers, metrics).
    pub fn slots(&self) -> Vec<(Uuid, Arc<OrgSlot>)> {
        self.0
            .orgs
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect()
    }

    /// Read an organisation's live state.
    pub fn with_org<R>(&self, org: Uuid, f: impl FnOnce(&live::OrgLive) -> R) -> R {
        let slot = self.slot(org);
        let live = slot.lock();
        f(&live)
    }

    /// Compute a change to one organisation's live state under its lock and make it
    /// durable: see the crate docs. A change computed from a state that a failed write
    /// had already moved on is refused by the store ([`store::Fence`]); the organisation
    /// is then rebuilt from what is durable, and the caller gets a 503 it may retry.
    pub async fn mutate<T>(
        &self,
        org: Uuid,
        f: impl FnOnce(&mut live::OrgLive, OffsetDateTime) -> ApiResult<Tx<T>>,
    ) -> ApiResult<T> {
        Ok(self.mutate_committed(org, f).await?.0)
    }

    /// [`AppState::mutate`], also answering what the commit reported (an erasure's
    /// counts).
    pub async fn mutate_committed<T>(
        &self,
        org: Uuid,
        f: impl FnOnce(&mut live::OrgLive, OffsetDateTime) -> ApiResult<Tx<T>>,
    ) -> ApiResult<(T, Committed)> {
        let slot = self.slot(org);
        // Messages are sealed on this task, never in the store's writer (see `keys`).
        let keys = self.org_keys(org).await?;
        if slot.stale.load(Ordering::SeqCst) {
            // Wait (briefly) for the rebuild rather than refusing at once.
            let _ = tokio::time::timeout(Duration::from_secs(5), slot.recovered.notified()).await;
        }
        let (rx, value, epoch) = {
            let mut live = slot.lock();
            if slot.stale.load(Ordering::SeqCst) {
                return Err(ApiError::unavailable(
                    "the server is recovering from a failed write; retry in a moment",
                ));
            }
            let now = self.now();
            let mut tx = f(&mut live, now)?;
            keys::seal_changes(&keys, &mut tx.changes);
            let epoch = slot.epoch.load(Ordering::SeqCst);
            let rx = self.enqueue(Some(Fence { org, epoch }), tx.changes, tx.notes);
            (rx, tx.value, epoch)
        };
        self.0.wake.notify_one();
        match rx.await {
            Ok(Ok(committed)) => Ok((value, committed)),
            Ok(Err(e)) => {
                let stopping = *self.0.shutdown.borrow();
                if !matches!(e, store::StoreError::Fenced(_)) && !stopping {
                    tracing::error!(%org, error = %e, "commit failed; rebuilding the organisation's live state");
                }
                let state = self.clone();
                tokio::spawn(async move { contacts::recover(&state, org, epoch).await });
                Err(e.into())
            }
            Err(_) => Err(ApiError::unavailable("shutting down")),
        }
    }

    /// Submit writes and notes in order.
    fn enqueue(
        &self,
        fence: Option<Fence>,
        changes: Vec<Change>,
        notes: Vec<Note>,
    ) -> oneshot::Receiver<store::Result<Committed>> {
        let tally = metrics::Tally::of(&changes);
        let outbound = changes
            .iter()
            .any(|c| matches!(c, Change::PutDelivery(d) if d.next_attempt_ms.is_some()));
        let _order = self.0.submit.lock().unwrap_or_else(|p| p.into_inner());
        let pending = if changes.is_empty() {
            None
        } else {
            Some(self.0.store.submit_fenced(fence, changes))
        };
        let (tx, rx) = oneshot::channel();
        let item = PipelineItem {
            pending,
            notes,
            tally,
            outbound,
            reply: tx,
        };
        if let Err(e) = self.0.pipeline.send(item) {
            let _ = e.0.reply.send(Err(store::StoreError::Unavailable(
                "pipeline stopped".into(),
            )));
        }
        rx
    }

    /// Write without touching the live state (config objects, users, sessions…); the
    /// notes are published after the commit like every other change.
    pub async fn write(&self, mut changes: Vec<Change>, notes: Vec<Note>) -> ApiResult<Committed> {
        for org in keys::orgs_to_seal(&changes) {
            let keys = self.org_keys(org).await?;
            keys::seal_changes(&keys, &mut changes);
        }
        let rx = self.enqueue(None, changes, notes);
        match rx.await {
            Ok(r) => Ok(r?),
            Err(_) => Err(ApiError::unavailable("shutting down")),
        }
    }

    /// Resolves once everything submitted before it has committed or failed.
    pub async fn barrier(&self) {
        let _ = self.enqueue(None, vec![], vec![]).await;
    }
}

/// Awaits commits in submission order and publishes their notes, then answers.
async fn run_pipeline(state: AppState, mut rx: mpsc::UnboundedReceiver<PipelineItem>) {
    while let Some(item) = rx.recv().await {
        let result = match item.pending {
            Some(p) => p.await,
            None => Ok(Committed::default()),
        };
        if result.is_ok() {
            state.hub().publish(item.notes);
            state.metrics().count(item.tally);
            if item.outbound {
                state.0.outbox.notify_one();
            }
        }
        let _ = item.reply.send(result);
    }
}

/// Make rustls (with ring, the one TLS stack in the tree) the process's TLS provider.
/// Every HTTP client needs it before it is built; [`http_client_builder`] calls it.
/// Idempotent. ring builds with a plain C compiler (aws-lc, rustls's default, needs
/// much more); it has no post-quantum key exchange, hence rustls's deprecation note.
pub fn tls_init() {
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A `reqwest` client builder, with the TLS provider in place.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    tls_init();
    reqwest::Client::builder()
}

/// A `reqwest` client with default settings, with the TLS provider in place.
pub fn http_client() -> reqwest::Client {
    tls_init();
    reqwest::Client::new()
}

/// The whole HTTP application: API, WebSockets, health, metrics, and the browser apps.
pub fn app(state: AppState) -> axum::Router {
    let api = api::router(state.clone());
    // The browser apps answer every path the API does not; the device check's echo
    // socket is routed here so that `/api/{kind}/{id}` does not shadow it.
    api.merge(chat_mount::router())
        .merge(help_center::router())
        .route("/api/ws/echo", axum::routing::get(web::echo))
        .fallback_service(web::router::<()>().with_state(()))
        .layer(axum::middleware::map_response(web::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_err: Box<dyn std::any::Any + Send + 'static>| {
                ApiError::internal("the server hit a bug").into_response_boxed()
            },
        ))
        .with_state(state)
}

impl ApiError {
    fn into_response_boxed(self) -> axum::response::Response {
        axum::response::IntoResponse::into_response(self)
    }
}

/// Serve `app(state)` on `listener` until `shutdown` resolves, then drain in-flight
/// requests and close the store. Connections past the limit are refused with a 503
/// ([`conn_limit`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        state.set_listen_addr(addr);
    }
    let router = app(state.clone());
    let stop = state.0.shutdown.clone();
    let max = match state.config().max_connections {
        0 => conn_limit::auto_limit(),
        n => n,
    };
    tracing::info!(max_connections = max, "accepting connections");
    let listener = conn_limit::Limited::new(listener, max, state.0.connections.clone())
        .per_address(state.config().max_connections_per_address);
    let header_timeout = Duration::from_secs(state.config().header_read_timeout_secs.max(1));
    let result = conn_limit::serve(listener, router, header_timeout, async move {
        shutdown.await;
        let _ = stop.send(true);
    })
    .await;
    state.0.ready.store(false, Ordering::SeqCst);
    state.store().close().await;
    result
}

#[cfg(test)]
mod board_cache_tests {
    use super::*;

    #[test]
    fn a_board_is_shared_only_with_consoles_it_is_recent_enough_for() {
        let mut c = BoardCache::default();
        let board = Arc::new(serde_json::json!({"waiting": 3}));
        c.put("all".into(), 7, board.clone());
        // The same version as now: anyone may have it.
        assert_eq!(c.get("all", 7, None), Some(board.clone()));
        // The wallboard moved on: a plain fetch computes again...
        assert_eq!(c.get("all", 9, None), None);
        // ...a console answering the note of version 7 (or before) shares it...
        assert_eq!(c.get("all", 9, Some(7)), Some(board.clone()));
        // ...one answering a later note does not.
        assert_eq!(c.get("all", 9, Some(8)), None);
        // Other filters are another board.
        assert_eq!(c.get("returns", 7, None), None);
    }
}
