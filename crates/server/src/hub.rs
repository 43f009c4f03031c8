//! Fan-out of live updates, after commit, in commit order.
//!
//! **Staff feeds.** Every staff user has one feed: a per-user sequence number, a short
//! ring of recent messages (for resuming), and the WebSocket connections reading it.
//! Sequence numbers start at `boot_secs × 1,000,000` for every boot, so a client's
//! `after_seq` from before a restart is recognisably older than anything this process
//! sent: it gets a `resync` (reload state over REST) instead of silently wrong data.
//! A connection whose bounded channel is full is cut off, never waited for: the client
//! reconnects with its last `seq` and resumes from the ring.
//!
//! **Contact feeds.** The customer's side (the chat widget) subscribes to one contact and
//! gets [`ContactEvent`]s: messages (with their per-contact `seq`, which is durable, so
//! resume from the store), typing, read marks, queue position, agent joined, ended.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use store::Role;
use tokio::sync::mpsc;
use uuid::Uuid;

/// How many recent messages a staff feed keeps for resuming.
pub const RING: usize = 64;
/// How many undelivered messages a connection may have before it is cut off.
pub const CONN_BUFFER: usize = 512;

/// One update for the customer side of a contact.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactEvent {
    /// `message`, `typing`, `read`, `queue`, `agent_joined`, `ended`, `contact`.
    pub kind: &'static str,
    /// The message's per-contact sequence number (messages only).
    pub seq: Option<i64>,
    pub data: Value,
}

/// Who gets a staff update.
#[derive(Debug, Clone)]
pub enum Audience {
    User(Uuid),
    /// Every staff user of the organisation with one of these roles (feeds opened this boot).
    Roles(Uuid, &'static [Role]),
}

/// An update to publish once its write committed.
#[derive(Debug, Clone)]
pub enum Note {
    Staff {
        to: Audience,
        kind: &'static str,
        data: Value,
    },
    Contact {
        contact: Uuid,
        event: ContactEvent,
    },
}

impl Note {
    pub fn user(user: Uuid, kind: &'static str, data: Value) -> Note {
        Note::Staff {
            to: Audience::User(user),
            kind,
            data,
        }
    }
    pub fn supervisors(org: Uuid, kind: &'static str, data: Value) -> Note {
        Note::Staff {
            to: Audience::Roles(org, &[Role::Admin, Role::Supervisor]),
            kind,
            data,
        }
    }
    pub fn contact(contact: Uuid, kind: &'static str, seq: Option<i64>, data: Value) -> Note {
        Note::Contact {
            contact,
            event: ContactEvent { kind, seq, data },
        }
    }
}

struct Conn {
    id: u64,
    tx: mpsc::Sender<Arc<str>>,
}

struct UserFeed {
    role: Role,
    /// The seq of the last message sent.
    last: i64,
    ring: VecDeque<(i64, Arc<str>)>,
    conns: Vec<Conn>,
}

#[derive(Default)]
struct Inner {
    users: HashMap<Uuid, UserFeed>,
    /// Each organisation's feeds by role: a note for supervisors visits the supervisors,
    /// not every agent of a large team.
    by_role: HashMap<(Uuid, Role), Vec<Uuid>>,
    contacts: HashMap<Uuid, Vec<mpsc::Sender<ContactEvent>>>,
    next_conn: u64,
}

/// The fan-out hub. Cheap to share (`Arc`).
pub struct Hub {
    inner: Mutex<Inner>,
    base: i64,
    pub connections: AtomicI64,
    pub cut_off: AtomicI64,
}

/// What a new staff connection starts with.
pub struct Subscription {
    pub conn_id: u64,
    /// The feed's current last seq.
    pub last_seq: i64,
    /// Messages after the client's `after_seq`, already serialised.
    pub backlog: Vec<Arc<str>>,
    /// True when the client's `after_seq` cannot be served (older than the ring or from
    /// another boot): it must reload its state.
    pub resync: bool,
    pub rx: mpsc::Receiver<Arc<str>>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    pub fn new() -> Hub {
        let secs = time::OffsetDateTime::now_utc().unix_timestamp();
        Hub {
            inner: Mutex::new(Inner::default()),
            base: secs.saturating_mul(1_000_000),
            connections: AtomicI64::new(0),
            cut_off: AtomicI64::new(0),
        }
    }

    /// The first seq of this boot's feeds (exclusive).
    pub fn base(&self) -> i64 {
        self.base
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `user`'s feed, created if new, filed under `role` (moved if the role changed).
    fn feed(inner: &mut Inner, base: i64, user: Uuid, org: Uuid, role: Role) -> &mut UserFeed {
        let before = inner.users.get(&user).map(|f| f.role);
        if before != Some(role) {
            if let Some(old) = before
                && let Some(v) = inner.by_role.get_mut(&(org, old))
            {
                v.retain(|u| *u != user);
            }
            inner.by_role.entry((org, role)).or_default().push(user);
        }
        let feed = inner.users.entry(user).or_insert_with(|| UserFeed {
            role,
            last: base,
            ring: VecDeque::new(),
            conns: Vec::new(),
        });
        feed.role = role;
        feed
    }

    /// The feeds of `org`'s users in these roles.
    fn with_roles(inner: &Inner, org: Uuid, roles: &[Role]) -> Vec<Uuid> {
        roles
            .iter()
            .filter_map(|r| inner.by_role.get(&(org, *r)))
            .flatten()
            .copied()
            .collect()
    }

    /// Open a connection on `user`'s feed, resuming after `after_seq` when possible.
    pub fn subscribe(
        &self,
        org: Uuid,
        user: Uuid,
        role: Role,
        after_seq: Option<i64>,
    ) -> Subscription {
        let (tx, rx) = mpsc::channel(CONN_BUFFER);
        let mut inner = self.lock();
        inner.next_conn += 1;
        let conn_id = inner.next_conn;
        let base = self.base;
        let feed = Self::feed(&mut inner, base, user, org, role);
        let mut resync = false;
        let mut backlog = Vec::new();
        if let Some(after) = after_seq {
            let oldest = feed.ring.front().map(|(s, _)| *s).unwrap_or(feed.last + 1);
            if after < base || after > feed.last || after + 1 < oldest {
                resync = after != feed.last;
            } else {
                backlog = feed
                    .ring
                    .iter()
                    .filter(|(s, _)| *s > after)
                    .map(|(_, m)| m.clone())
                    .collect();
            }
        }
        feed.conns.push(Conn { id: conn_id, tx });
        self.connections.fetch_add(1, Ordering::Relaxed);
        Subscription {
            conn_id,
            last_seq: feed.last,
            backlog,
            resync,
            rx,
        }
    }

    pub fn unsubscribe(&self, user: Uuid, conn_id: u64) {
        let mut inner = self.lock();
        if let Some(feed) = inner.users.get_mut(&user) {
            let before = feed.conns.len();
            feed.conns.retain(|c| c.id != conn_id);
            if feed.conns.len() < before {
                self.connections.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// Close every connection of `user` (logout everywhere, user disabled).
    pub fn disconnect_user(&self, user: Uuid) {
        let mut inner = self.lock();
        if let Some(feed) = inner.users.get_mut(&user) {
            let n = feed.conns.len() as i64;
            feed.conns.clear();
            self.connections.fetch_sub(n, Ordering::Relaxed);
        }
    }

    /// Whether `user` has at least one live connection.
    pub fn is_connected(&self, user: Uuid) -> bool {
        self.lock()
            .users
            .get(&user)
            .is_some_and(|f| !f.conns.is_empty())
    }

    /// Whether the customer side of `contact` has an open socket.
    pub fn contact_connected(&self, contact: Uuid) -> bool {
        self.lock()
            .contacts
            .get(&contact)
            .is_some_and(|subs| subs.iter().any(|tx| !tx.is_closed()))
    }

    /// Subscribe to the customer side of one contact.
    pub fn subscribe_contact(&self, contact: Uuid) -> mpsc::Receiver<ContactEvent> {
        let (tx, rx) = mpsc::channel(CONN_BUFFER);
        self.lock().contacts.entry(contact).or_default().push(tx);
        rx
    }

    /// Publish notes, in order. Called by the commit pipeline only, after the commit.
    pub fn publish(&self, notes: Vec<Note>) {
        if notes.is_empty() {
            return;
        }
        let mut inner = self.lock();
        for note in notes {
            match note {
                Note::Staff { to, kind, data } => {
                    let payload = data.to_string();
                    match to {
                        Audience::User(u) => self.send_user(&mut inner, u, kind, &payload),
                        Audience::Roles(org, roles) => {
                            for u in Self::with_roles(&inner, org, roles) {
                                self.send_user(&mut inner, u, kind, &payload);
                            }
                        }
                    }
                }
                Note::Contact { contact, event } => {
                    if let Some(subs) = inner.contacts.get_mut(&contact) {
                        subs.retain(|tx| tx.try_send(event.clone()).is_ok());
                        if subs.is_empty() {
                            inner.contacts.remove(&contact);
                        }
                    }
                }
            }
        }
    }

    /// Publish a staff message that no one needs to resume (heartbeat-like, queue stats):
    /// sent to connected users only, with the feed's current seq and no ring entry.
    pub fn publish_ephemeral(&self, org: Uuid, roles: &[Role], kind: &str, data: &Value) {
        let payload = data.to_string();
        let mut inner = self.lock();
        for u in Self::with_roles(&inner, org, roles) {
            if let Some(feed) = inner.users.get_mut(&u) {
                if feed.conns.is_empty() {
                    continue;
                }
                let msg: Arc<str> =
                    format!("{{\"seq\":null,\"type\":\"{kind}\",\"data\":{payload}}}").into();
                self.deliver(feed, msg);
            }
        }
    }

    fn send_user(&self, inner: &mut Inner, user: Uuid, kind: &str, payload: &str) {
        let Some(feed) = inner.users.get_mut(&user) else {
            // Never connected this boot: the user loads state over REST when they do.
            return;
        };
        feed.last += 1;
        let seq = feed.last;
        let msg: Arc<str> =
            format!("{{\"seq\":{seq},\"type\":\"{kind}\",\"data\":{payload}}}").into();
        if feed.ring.len() >= RING {
            feed.ring.pop_front();
        }
        feed.ring.push_back((seq, msg.clone()));
        self.deliver(feed, msg);
    }

    fn deliver(&self, feed: &mut UserFeed, msg: Arc<str>) {
        let before = feed.conns.len();
        feed.conns.retain(|c| c.tx.try_send(msg.clone()).is_ok());
        let dropped = (before - feed.conns.len()) as i64;
        if dropped > 0 {
            self.cut_off.fetch_add(dropped, Ordering::Relaxed);
            self.connections.fetch_sub(dropped, Ordering::Relaxed);
        }
    }

    /// Make sure `user` has a feed (so role-wide notes reach it before it connects).
    pub fn ensure_feed(&self, org: Uuid, user: Uuid, role: Role) {
        let mut inner = self.lock();
        let base = self.base;
        Self::feed(&mut inner, base, user, org, role);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resume_from_ring_without_loss_or_duplicates() {
        let hub = Hub::new();
        let (org, u) = (Uuid::now_v7(), Uuid::now_v7());
        let mut s1 = hub.subscribe(org, u, Role::Agent, None);
        for i in 0..5 {
            hub.publish(vec![Note::user(u, "t", json!({"i": i}))]);
        }
        let mut got = Vec::new();
        while let Ok(m) = s1.rx.try_recv() {
            got.push(m);
        }
        assert_eq!(got.len(), 5);
        let third: serde_json::Value = serde_json::from_str(&got[2]).unwrap();
        let after = third["seq"].as_i64().unwrap();
        hub.unsubscribe(u, s1.conn_id);
        hub.publish(vec![Note::user(u, "t", json!({"i": 5}))]);
        let s2 = hub.subscribe(org, u, Role::Agent, Some(after));
        assert!(!s2.resync);
        let seqs: Vec<i64> = s2
            .backlog
            .iter()
            .map(|m| {
                serde_json::from_str::<serde_json::Value>(m).unwrap()["seq"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        assert_eq!(seqs, vec![after + 1, after + 2, after + 3]);
        // A seq from another boot asks for a resync.
        let s3 = hub.subscribe(org, u, Role::Agent, Some(5));
        assert!(s3.resync);
    }

    #[test]
    fn slow_connections_are_cut_off_not_waited_for() {
        let hub = Hub::new();
        let (org, u) = (Uuid::now_v7(), Uuid::now_v7());
        let slow = hub.subscribe(org, u, Role::Agent, None);
        let mut fast = hub.subscribe(org, u, Role::Agent, None);
        for i in 0..(CONN_BUFFER + 10) {
            hub.publish(vec![Note::user(u, "t", json!(i))]);
            while fast.rx.try_recv().is_ok() {}
        }
        assert_eq!(hub.cut_off.load(Ordering::Relaxed), 1);
        drop(slow);
        assert!(hub.is_connected(u));
    }
}
