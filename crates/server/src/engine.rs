//! The live state of every organisation: queues, agents and their presence, contacts
//! that are not closed, offers in flight, and the routing decisions over them.
//!
//! It is a projection: everything here is rebuilt at start from the store (open
//! contacts keep their `enqueued_at`, so their order; agent presence is kept in the
//! agent profiles). Offers are not persisted as state: an offer in flight at a crash is
//! simply made again after the restart. Time is an input (`now`); nothing here reads a
//! clock, does I/O or awaits, so the server calls it under one lock and submits the
//! resulting writes in the same order.
//!
//! Routing rule (until the `routing` crate's engine replaces [`OrgLive::route`]): by
//! queue priority, then oldest `enqueued_at` first; to an available agent who serves the
//! queue, has its required skills, has a free slot (capacity counts active and
//! wrap-up contacts), has no offer pending and did not decline this contact; among
//! those, fewest contacts first, then longest in their current state.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{Contact, ContactStatus, Object};
use time::OffsetDateTime;
use uuid::Uuid;

/// How long an agent has to accept an offer, unless the queue says otherwise.
pub const DEFAULT_OFFER_TIMEOUT_S: i64 = 30;
/// Contacts an agent handles at once, unless their profile says otherwise.
pub const DEFAULT_CAPACITY: u32 = 3;

/// A queue's routing settings (the `data` of a queue object).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(default)]
pub struct QueueSettings {
    /// Higher is served first.
    pub priority: i32,
    /// Skills an agent needs to be offered this queue's contacts.
    pub required_skills: Vec<String>,
    /// Seconds an agent has to accept an offer (default 30).
    pub offer_timeout_s: Option<i64>,
    /// Shown to customers as a topic in the chat widget.
    pub public: Option<bool>,
}

/// An agent's routing profile (the `data` of an agent object; its id is the user's id).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(default)]
pub struct AgentProfile {
    pub skills: Vec<String>,
    /// Queues served; empty means every queue.
    pub queues: Vec<Uuid>,
    pub capacity: u32,
    /// Presence, kept here so it survives a restart.
    pub state: AgentState,
    pub reason: Option<String>,
}

impl Default for AgentProfile {
    fn default() -> Self {
        AgentProfile {
            skills: Vec::new(),
            queues: Vec::new(),
            capacity: DEFAULT_CAPACITY,
            state: AgentState::Offline,
            reason: None,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    #[default]
    Offline,
    Available,
    Break,
}

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
    /// When the current state began (longest-idle tie-break).
    pub since: OffsetDateTime,
    /// Contacts assigned: active or in wrap-up.
    pub contacts: BTreeSet<Uuid>,
    pub offer: Option<Uuid>,
}

#[derive(Debug, Clone)]
pub struct LiveContact {
    pub contact: Contact,
    pub offer: Option<Uuid>,
    pub declined_by: HashSet<Uuid>,
    /// Recently used client ids → message seq (idempotent retries without a read).
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
}

/// One organisation's live state.
#[derive(Debug, Clone, Default)]
pub struct OrgLive {
    pub queues: HashMap<Uuid, QueueLive>,
    pub agents: HashMap<Uuid, AgentLive>,
    pub contacts: HashMap<Uuid, LiveContact>,
    pub offers: HashMap<Uuid, Offer>,
    /// Waiting contacts without an offer, by (enqueued_at, id).
    pub waiting: BTreeSet<(OffsetDateTime, Uuid)>,
    /// Routing decisions made this boot (metrics).
    pub decisions: u64,
}

/// Every organisation's live state.
#[derive(Debug, Default)]
pub struct Engine {
    pub orgs: HashMap<Uuid, OrgLive>,
}

impl Engine {
    pub fn org(&mut self, org: Uuid) -> &mut OrgLive {
        self.orgs.entry(org).or_default()
    }
}

impl OrgLive {
    pub fn put_queue(&mut self, o: &Object) {
        let settings = serde_json::from_value(o.data.clone()).unwrap_or_default();
        self.queues.insert(
            o.id,
            QueueLive {
                id: o.id,
                name: o.name.clone(),
                settings,
            },
        );
    }

    pub fn put_agent(
        &mut self,
        user_id: Uuid,
        name: &str,
        profile: AgentProfile,
        now: OffsetDateTime,
    ) {
        match self.agents.get_mut(&user_id) {
            Some(a) => {
                if a.profile.state != profile.state {
                    a.since = now;
                }
                a.name = name.to_string();
                a.profile = profile;
            }
            None => {
                self.agents.insert(
                    user_id,
                    AgentLive {
                        user_id,
                        name: name.to_string(),
                        profile,
                        since: now,
                        contacts: BTreeSet::new(),
                        offer: None,
                    },
                );
            }
        }
    }

    /// Track a contact (new, or loaded at start). Waiting ones join the queue.
    pub fn track(&mut self, contact: Contact) {
        if contact.status == ContactStatus::Waiting {
            self.waiting.insert((contact.enqueued_at, contact.id));
        }
        if matches!(
            contact.status,
            ContactStatus::Active | ContactStatus::Wrapup
        ) && let Some(agent) = contact.agent_id
            && let Some(a) = self.agents.get_mut(&agent)
        {
            a.contacts.insert(contact.id);
        }
        self.contacts.insert(
            contact.id,
            LiveContact {
                contact,
                offer: None,
                declined_by: HashSet::new(),
                client_ids: HashMap::new(),
                position_sent: None,
            },
        );
    }

    /// Stop tracking a closed contact.
    pub fn forget(&mut self, id: Uuid) {
        if let Some(lc) = self.contacts.remove(&id) {
            self.waiting.remove(&(lc.contact.enqueued_at, id));
            if let Some(o) = lc.offer {
                self.drop_offer(o);
            }
            if let Some(a) = lc.contact.agent_id.and_then(|a| self.agents.get_mut(&a)) {
                a.contacts.remove(&id);
            }
        }
    }

    /// Remove an offer; its contact waits again (keeping its place).
    pub fn drop_offer(&mut self, offer_id: Uuid) -> Option<Offer> {
        let offer = self.offers.remove(&offer_id)?;
        if let Some(a) = self.agents.get_mut(&offer.agent_id)
            && a.offer == Some(offer_id)
        {
            a.offer = None;
        }
        if let Some(lc) = self.contacts.get_mut(&offer.contact_id) {
            lc.offer = None;
            if lc.contact.status == ContactStatus::Waiting {
                self.waiting.insert((lc.contact.enqueued_at, lc.contact.id));
            }
        }
        Some(offer)
    }

    fn eligible(&self, lc: &LiveContact, a: &AgentLive) -> bool {
        if a.profile.state != AgentState::Available
            || a.offer.is_some()
            || a.contacts.len() as u32 >= a.profile.capacity.max(1)
            || lc.declined_by.contains(&a.user_id)
        {
            return false;
        }
        if let Some(target) = lc.contact.data.get("target_agent").and_then(Value::as_str) {
            return target == a.user_id.to_string();
        }
        let Some(q) = lc.contact.queue_id else {
            return true;
        };
        if !a.profile.queues.is_empty() && !a.profile.queues.contains(&q) {
            return false;
        }
        match self.queues.get(&q) {
            Some(queue) => queue
                .settings
                .required_skills
                .iter()
                .all(|s| a.profile.skills.contains(s)),
            None => true,
        }
    }

    /// Make every offer that can be made now.
    pub fn route(&mut self, now: OffsetDateTime) -> Vec<Offer> {
        let mut made = Vec::new();
        if self.waiting.is_empty() {
            return made;
        }
        let mut free: Vec<Uuid> = self
            .agents
            .values()
            .filter(|a| {
                a.profile.state == AgentState::Available
                    && a.offer.is_none()
                    && (a.contacts.len() as u32) < a.profile.capacity.max(1)
            })
            .map(|a| a.user_id)
            .collect();
        if free.is_empty() {
            return made;
        }
        // Queue priority first, then enqueue time.
        let mut order: Vec<(i32, OffsetDateTime, Uuid)> = self
            .waiting
            .iter()
            .map(|(t, id)| {
                let prio = self
                    .contacts
                    .get(id)
                    .and_then(|lc| lc.contact.queue_id)
                    .and_then(|q| self.queues.get(&q))
                    .map(|q| q.settings.priority)
                    .unwrap_or(0);
                (-prio, *t, *id)
            })
            .collect();
        order.sort();
        for (_, t, cid) in order {
            if free.is_empty() {
                break;
            }
            let Some(lc) = self.contacts.get(&cid) else {
                continue;
            };
            let best = free
                .iter()
                .filter_map(|id| self.agents.get(id))
                .filter(|a| self.eligible(lc, a))
                .min_by_key(|a| (a.contacts.len(), a.since, a.user_id))
                .map(|a| a.user_id);
            let Some(agent) = best else { continue };
            let timeout = lc
                .contact
                .queue_id
                .and_then(|q| self.queues.get(&q))
                .and_then(|q| q.settings.offer_timeout_s)
                .unwrap_or(DEFAULT_OFFER_TIMEOUT_S)
                .clamp(5, 3600);
            let offer = Offer {
                id: store::new_id(),
                contact_id: cid,
                agent_id: agent,
                queue_id: lc.contact.queue_id,
                created_at: now,
                expires_at: now + time::Duration::seconds(timeout),
            };
            self.waiting.remove(&(t, cid));
            if let Some(lc) = self.contacts.get_mut(&cid) {
                lc.offer = Some(offer.id);
            }
            if let Some(a) = self.agents.get_mut(&agent) {
                a.offer = Some(offer.id);
            }
            // One offer at a time per agent.
            free.retain(|x| *x != agent);
            self.offers.insert(offer.id, offer.clone());
            self.decisions += 1;
            made.push(offer);
        }
        made
    }

    /// Offers whose time ran out.
    pub fn expired_offers(&self, now: OffsetDateTime) -> Vec<Uuid> {
        self.offers
            .values()
            .filter(|o| o.expires_at <= now)
            .map(|o| o.id)
            .collect()
    }

    /// 1-based place of a waiting contact in its queue, and a rough wait estimate.
    pub fn position(&self, contact: Uuid) -> Option<(usize, u64)> {
        let lc = self.contacts.get(&contact)?;
        if lc.contact.status != ContactStatus::Waiting {
            return None;
        }
        let q = lc.contact.queue_id;
        let ahead = self
            .contacts
            .values()
            .filter(|o| {
                o.contact.status == ContactStatus::Waiting
                    && o.contact.queue_id == q
                    && (o.contact.enqueued_at, o.contact.id)
                        < (lc.contact.enqueued_at, lc.contact.id)
            })
            .count();
        let serving = self
            .agents
            .values()
            .filter(|a| {
                a.profile.state == AgentState::Available
                    && q.is_none_or(|q| {
                        a.profile.queues.is_empty() || a.profile.queues.contains(&q)
                    })
            })
            .count()
            .max(1);
        // A chat takes about three minutes of an agent's slot.
        let est = ((ahead + 1) as u64 * 180) / serving as u64;
        Some((ahead + 1, est))
    }

    /// [`Self::position`] of every waiting contact, in one pass: sorted by queue and
    /// enqueue order, instead of a count over all contacts for each of them.
    pub fn positions(&self) -> Vec<(Uuid, usize, u64)> {
        let mut waiting: Vec<(Option<Uuid>, OffsetDateTime, Uuid)> = self
            .contacts
            .values()
            .filter(|c| c.contact.status == ContactStatus::Waiting)
            .map(|c| (c.contact.queue_id, c.contact.enqueued_at, c.contact.id))
            .collect();
        waiting.sort_unstable();
        let available: Vec<&AgentLive> = self
            .agents
            .values()
            .filter(|a| a.profile.state == AgentState::Available)
            .collect();
        let serving = |q: Option<Uuid>| {
            available
                .iter()
                .filter(|a| {
                    q.is_none_or(|q| a.profile.queues.is_empty() || a.profile.queues.contains(&q))
                })
                .count()
                .max(1) as u64
        };
        let mut out = Vec::with_capacity(waiting.len());
        let mut current: Option<(Option<Uuid>, u64)> = None;
        let mut ahead = 0usize;
        for (q, _, id) in waiting {
            let n = match current {
                Some((cq, n)) if cq == q => n,
                _ => {
                    ahead = 0;
                    let n = serving(q);
                    current = Some((q, n));
                    n
                }
            };
            out.push((id, ahead + 1, ((ahead + 1) as u64 * 180) / n));
            ahead += 1;
        }
        out
    }

    /// Per-queue figures for supervisors: waiting, oldest wait, agents available.
    pub fn queue_stats(&self, now: OffsetDateTime) -> Value {
        let mut out = Vec::new();
        for q in self.queues.values() {
            let waiting: Vec<&LiveContact> = self
                .contacts
                .values()
                .filter(|c| {
                    c.contact.status == ContactStatus::Waiting && c.contact.queue_id == Some(q.id)
                })
                .collect();
            let oldest = waiting
                .iter()
                .map(|c| (now - c.contact.enqueued_at).whole_seconds())
                .max()
                .unwrap_or(0);
            let active = self
                .contacts
                .values()
                .filter(|c| {
                    c.contact.status == ContactStatus::Active && c.contact.queue_id == Some(q.id)
                })
                .count();
            let available = self
                .agents
                .values()
                .filter(|a| {
                    a.profile.state == AgentState::Available
                        && (a.profile.queues.is_empty() || a.profile.queues.contains(&q.id))
                })
                .count();
            out.push(json!({
                "queue_id": q.id, "name": q.name, "waiting": waiting.len(),
                "oldest_wait_s": oldest, "active": active, "agents_available": available,
            }));
        }
        json!({ "queues": out })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(org: Uuid, queue: Uuid, t: OffsetDateTime) -> Contact {
        Contact {
            id: store::new_id(),
            org_id: org,
            channel: "chat".into(),
            queue_id: Some(queue),
            status: ContactStatus::Waiting,
            customer_id: None,
            agent_id: None,
            topic: None,
            enqueued_at: t,
            accepted_at: None,
            ended_at: None,
            closed_at: None,
            wrapup_code: None,
            wrapup_notes: None,
            last_seq: 0,
            customer_read_seq: 0,
            agent_read_seq: 0,
            data: json!({}),
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn positions_in_one_pass_agree_with_each_position() {
        let t0 = time::macros::datetime!(2026-01-01 10:00 UTC);
        let org = Uuid::now_v7();
        let (q1, q2) = (Uuid::now_v7(), Uuid::now_v7());
        let mut o = OrgLive::default();
        for (i, queues) in [vec![], vec![q1], vec![q2]].into_iter().enumerate() {
            let profile = AgentProfile {
                state: AgentState::Available,
                queues,
                ..Default::default()
            };
            o.put_agent(Uuid::now_v7(), &format!("A{i}"), profile, t0);
        }
        let mut ids = Vec::new();
        for i in 0..9i64 {
            // Interleaved queues, arrivals out of order.
            let q = if i % 3 == 0 { q2 } else { q1 };
            let c = contact(org, q, t0 + time::Duration::seconds((i * 7) % 5));
            ids.push(c.id);
            o.track(c);
        }
        let all = o.positions();
        assert_eq!(all.len(), ids.len());
        for (id, position, est) in all {
            assert_eq!(o.position(id), Some((position, est)), "{id}");
        }
    }

    #[test]
    fn oldest_first_to_an_available_agent_with_room() {
        let t0 = time::macros::datetime!(2026-01-01 10:00 UTC);
        let org = Uuid::now_v7();
        let q = Uuid::now_v7();
        let mut o = OrgLive::default();
        let a1 = Uuid::now_v7();
        let profile = AgentProfile {
            state: AgentState::Available,
            capacity: 1,
            ..Default::default()
        };
        o.put_agent(a1, "A", profile, t0);
        let later = contact(org, q, t0 + time::Duration::seconds(5));
        let earlier = contact(org, q, t0);
        o.track(later.clone());
        o.track(earlier.clone());
        let offers = o.route(t0 + time::Duration::seconds(10));
        assert_eq!(offers.len(), 1);
        assert_eq!(offers[0].contact_id, earlier.id);
        assert_eq!(offers[0].agent_id, a1);
        // The agent has an offer pending: nothing more.
        assert!(o.route(t0).is_empty());
        assert_eq!(o.position(later.id), Some((2, 360)));
        // Declining puts the contact back in its place, and not to the same agent.
        o.contacts
            .get_mut(&earlier.id)
            .unwrap()
            .declined_by
            .insert(a1);
        o.drop_offer(offers[0].id);
        let again = o.route(t0);
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].contact_id, later.id);
    }
}
