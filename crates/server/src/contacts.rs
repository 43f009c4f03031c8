//! The conversation service: a contact's life from creation to wrap-up, as plain async
//! functions over [`AppState`]. Channel adapters (the chat widget) and the staff API
//! both call these, so agents' and customers' messages land in one conversation.
//!
//! Life of a contact: `create_contact` (waiting, in a queue) → routing offers it to an
//! agent (`offer` on the agent's WebSocket) → `accept_offer` (active) or
//! `reject_offer` / timeout (waiting again, same place) → `append_message` from either
//! side → `end_contact` (wrap-up: the agent's after-contact work) → `wrapup` (closed).
//! A contact ended while still waiting is closed at once (abandoned).

use serde_json::{Map, Value, json};
use store::{
    Attachment, Change, Contact, ContactStatus, Customer, Identity, Message, NewEvent, ObjectKind,
    PageRequest, Role, Sender, Store, StoreError,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::engine::{AgentProfile, AgentState, Offer, OrgLive};
use crate::hub::Note;
use crate::{ApiError, ApiResult, AppState, Tx, wire};

/// Who the contact is with.
#[derive(Debug, Clone)]
pub enum CustomerRef {
    Existing(Uuid),
    /// Found by identity (`kind`, `value`) when given and known, else created.
    New {
        name: String,
        email: Option<String>,
        identity: Option<(String, String)>,
    },
}

/// A contact to create.
#[derive(Debug, Clone)]
pub struct NewContact {
    pub channel: String,
    pub queue_id: Uuid,
    pub topic: Option<String>,
    pub customer: CustomerRef,
    /// Channel-specific data kept on the contact (a widget token hash…).
    pub data: Map<String, Value>,
    /// The customer's first message, if it came with the contact.
    pub first_message: Option<String>,
}

/// A message to append.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub sender: Sender,
    pub author_id: Option<Uuid>,
    pub author_name: Option<String>,
    pub text: Option<String>,
    pub attachment: Option<Value>,
    pub internal: bool,
    pub client_id: Option<String>,
}

/// Who ends a contact.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    Customer,
    Staff(Uuid),
    System,
}

fn event(org: Uuid, at: OffsetDateTime, kind: &str, data: Value) -> Change {
    Change::Event(NewEvent {
        org_id: org,
        at,
        kind: kind.to_string(),
        data,
    })
}

fn live(o: &mut OrgLive, id: Uuid) -> ApiResult<&mut crate::engine::LiveContact> {
    o.contacts
        .get_mut(&id)
        .ok_or_else(|| ApiError::conflict("this contact is closed or unknown"))
}

/// The notes that tell everyone about new offers.
fn offer_notes(
    org: Uuid,
    o: &OrgLive,
    offers: &[Offer],
    tx_changes: &mut Vec<Change>,
    notes: &mut Vec<Note>,
) {
    for off in offers {
        let contact = o
            .contacts
            .get(&off.contact_id)
            .map(|lc| wire::contact(&lc.contact));
        tx_changes.push(event(
            org,
            off.created_at,
            "contact.offered",
            json!({"offer_id": off.id, "contact_id": off.contact_id, "agent_id": off.agent_id}),
        ));
        notes.push(Note::user(
            off.agent_id,
            "offer",
            json!({"offer": off, "contact": contact}),
        ));
    }
}

/// Queue positions for the waiting contacts of an organisation whose position or
/// estimate changed since last sent (customer side). A contact joining at the back of a
/// queue moves nobody, so it costs one sort, not a note per waiting customer.
fn position_notes(o: &mut OrgLive, notes: &mut Vec<Note>) {
    for (id, position, est) in o.positions() {
        let Some(lc) = o.contacts.get_mut(&id) else {
            continue;
        };
        if lc.position_sent == Some((position, est)) {
            continue;
        }
        lc.position_sent = Some((position, est));
        notes.push(Note::contact(
            id,
            "queue",
            None,
            json!({"position": position, "estimated_wait_s": est}),
        ));
    }
}

/// Route and collect the writes and notes the new offers need.
fn route_into<T>(org: Uuid, o: &mut OrgLive, now: OffsetDateTime, tx: &mut Tx<T>) {
    let offers = o.route(now);
    offer_notes(org, o, &offers, &mut tx.changes, &mut tx.notes);
}

fn contact_note(c: &Contact, notes: &mut Vec<Note>) {
    let v = wire::contact(c);
    if let Some(agent) = c.agent_id {
        notes.push(Note::user(agent, "contact", v.clone()));
    }
    notes.push(Note::supervisors(c.org_id, "contact", v));
}

/// Create a contact and put it in its queue. Resolves the customer first (outside the
/// lock), then enqueues and routes.
pub async fn create_contact(state: &AppState, org: Uuid, new: NewContact) -> ApiResult<Contact> {
    if new.channel.is_empty() || new.channel.len() > 32 {
        return Err(ApiError::invalid("channel: 1 to 32 characters"));
    }
    let now0 = state.now();
    let mut pre: Vec<Change> = Vec::new();
    let (customer_id, customer_name) = match &new.customer {
        CustomerRef::Existing(id) => {
            let c = state
                .store()
                .get_customer(org, *id)
                .await?
                .ok_or_else(|| ApiError::not_found("customer"))?;
            (c.id, c.name)
        }
        CustomerRef::New {
            name,
            email,
            identity,
        } => {
            let known = match identity {
                Some((k, v)) => state.store().find_identity(org, k, v).await?,
                None => None,
            };
            match known {
                Some(i) => {
                    let name = state
                        .store()
                        .get_customer(org, i.customer_id)
                        .await?
                        .map(|c| c.name)
                        .unwrap_or_else(|| name.clone());
                    (i.customer_id, name)
                }
                None => {
                    let c = Customer {
                        id: store::new_id(),
                        org_id: org,
                        name: name.clone(),
                        email: email.clone(),
                        data: json!({}),
                        created_at: now0,
                    };
                    pre.push(Change::PutCustomer(c.clone()));
                    if let Some((k, v)) = identity {
                        pre.push(Change::PutIdentity(Identity {
                            id: store::new_id(),
                            org_id: org,
                            customer_id: c.id,
                            kind: k.clone(),
                            value: v.clone(),
                            created_at: now0,
                        }));
                    }
                    (c.id, c.name)
                }
            }
        }
    };
    let result = state
        .mutate(|engine, now| {
            let o = engine.org(org);
            let queue = o
                .queues
                .get(&new.queue_id)
                .ok_or_else(|| ApiError::invalid("queue_id: no such queue"))?;
            let mut data = new.data.clone();
            data.insert("customer_name".into(), Value::String(customer_name.clone()));
            let mut c = Contact {
                id: store::new_id(),
                org_id: org,
                channel: new.channel.clone(),
                queue_id: Some(queue.id),
                status: ContactStatus::Waiting,
                customer_id: Some(customer_id),
                agent_id: None,
                topic: new.topic.clone().or_else(|| Some(queue.name.clone())),
                enqueued_at: now,
                accepted_at: None,
                ended_at: None,
                closed_at: None,
                wrapup_code: None,
                wrapup_notes: None,
                last_seq: 0,
                customer_read_seq: 0,
                agent_read_seq: 0,
                data: Value::Object(data),
                created_at: now,
                updated_at: now,
            };
            let mut tx = Tx::new(());
            tx.changes.append(&mut pre.clone());
            let mut first = None;
            if let Some(text) = new.first_message.as_ref().filter(|t| !t.trim().is_empty()) {
                c.last_seq = 1;
                first = Some(Message {
                    id: store::new_id(),
                    org_id: org,
                    contact_id: c.id,
                    seq: 1,
                    sender: Sender::Customer,
                    author_id: None,
                    author_name: Some(customer_name.clone()),
                    text: Some(text.clone()),
                    attachment: None,
                    internal: false,
                    client_id: None,
                    at: now,
                });
            }
            tx.changes.push(Change::PutContact(c.clone()));
            tx.changes.push(event(
                org,
                now,
                "contact.created",
                json!({"contact_id": c.id, "queue_id": c.queue_id, "channel": c.channel, "customer_id": customer_id}),
            ));
            if let Some(m) = first {
                tx.changes.push(Change::PutMessage(m));
            }
            o.track(c.clone());
            contact_note(&c, &mut tx.notes);
            route_into(org, o, now, &mut tx);
            position_notes(o, &mut tx.notes);
            // The offer, if any, was made on the tracked copy.
            let c = o.contacts.get(&c.id).map(|lc| lc.contact.clone()).unwrap_or(c);
            Ok(Tx {
                value: c,
                changes: tx.changes,
                notes: tx.notes,
            })
        })
        .await?;
    Ok(result)
}

const MAX_TEXT: usize = 10_000;

/// Append a message. Idempotent on `client_id`: a retry returns the first message.
pub async fn append_message(
    state: &AppState,
    org: Uuid,
    contact_id: Uuid,
    new: NewMessage,
) -> ApiResult<Message> {
    if let Some(t) = &new.text
        && t.len() > MAX_TEXT
    {
        return Err(ApiError::invalid(format!("text: at most {MAX_TEXT} bytes")));
    }
    if new.text.as_deref().is_none_or(|t| t.trim().is_empty()) && new.attachment.is_none() {
        return Err(ApiError::invalid(
            "text: a message needs text or an attachment",
        ));
    }
    if let Some(cid) = &new.client_id
        && (cid.is_empty() || cid.len() > 100)
    {
        return Err(ApiError::invalid("client_id: 1 to 100 characters"));
    }
    enum Outcome {
        New(Message),
        Seen,
    }
    let outcome = state
        .mutate(|engine, now| {
            let o = engine.org(org);
            let lc = live(o, contact_id)?;
            if let Some(cid) = &new.client_id
                && lc.client_ids.contains_key(cid)
            {
                return Ok(Tx::new(Outcome::Seen));
            }
            if lc.contact.status.is_ended() {
                return Err(ApiError::conflict("this conversation has ended"));
            }
            if new.sender == Sender::Agent && lc.contact.status != ContactStatus::Active {
                return Err(ApiError::conflict("the contact is not active"));
            }
            let seq = lc.contact.last_seq + 1;
            let m = Message {
                id: store::new_id(),
                org_id: org,
                contact_id,
                seq,
                sender: new.sender,
                author_id: new.author_id,
                author_name: new.author_name.clone(),
                text: new.text.clone(),
                attachment: new.attachment.clone(),
                internal: new.internal,
                client_id: new.client_id.clone(),
                at: now,
            };
            lc.contact.last_seq = seq;
            lc.contact.updated_at = now;
            if let Some(cid) = &new.client_id {
                if lc.client_ids.len() > 1000 {
                    lc.client_ids.clear();
                }
                lc.client_ids.insert(cid.clone(), seq);
            }
            let c = lc.contact.clone();
            let mut tx = Tx::new(Outcome::New(m.clone()));
            tx.changes.push(Change::PutMessage(m.clone()));
            tx.changes.push(Change::PutContact(c.clone()));
            tx.changes.push(event(
                org,
                now,
                "message.appended",
                json!({"contact_id": contact_id, "seq": seq, "message_id": m.id, "from": m.sender.as_str()}),
            ));
            let wm = wire::message(&m, &c);
            if let Some(agent) = c.agent_id {
                tx.notes.push(Note::user(agent, "message", wm.clone()));
            }
            tx.notes.push(Note::supervisors(org, "message", wm.clone()));
            if !m.internal {
                tx.notes.push(Note::contact(contact_id, "message", Some(seq), wm));
            }
            Ok(tx)
        })
        .await;
    match outcome {
        Ok(Outcome::New(m)) => Ok(m),
        Ok(Outcome::Seen)
        | Err(ApiError {
            code: "conflict", ..
        }) if new.client_id.is_some() => {
            // A retry: make sure the first one is durable (a no-op through the same
            // ordered pipeline), then answer with it.
            state.write(vec![], vec![]).await?;
            let cid = new.client_id.as_deref().unwrap_or_default();
            match state
                .store()
                .get_message_by_client_id(org, contact_id, cid)
                .await?
            {
                Some(m) => Ok(m),
                None => match outcome {
                    Err(e) => Err(e),
                    Ok(_) => Err(ApiError::conflict("message not found for this client_id")),
                },
            }
        }
        Ok(Outcome::Seen) => Err(ApiError::internal("unreachable")),
        Err(e) => Err(e),
    }
}

/// Typing indicator: live only, nothing stored.
pub async fn set_typing(
    state: &AppState,
    org: Uuid,
    contact_id: Uuid,
    from: Sender,
    typing: bool,
) -> ApiResult<()> {
    state
        .mutate(|engine, _now| {
            let o = engine.org(org);
            let lc = live(o, contact_id)?;
            let mut tx = Tx::new(());
            let data = json!({"contact_id": contact_id, "from": from.as_str(), "typing": typing});
            match from {
                Sender::Customer => {
                    if let Some(a) = lc.contact.agent_id {
                        tx.notes.push(Note::user(a, "typing", data));
                    }
                }
                _ => tx
                    .notes
                    .push(Note::contact(contact_id, "typing", None, data)),
            }
            Ok(tx)
        })
        .await
}

/// The reader (`Customer` or `Agent`) has read everything up to `up_to_seq`.
pub async fn mark_read(
    state: &AppState,
    org: Uuid,
    contact_id: Uuid,
    reader: Sender,
    up_to_seq: i64,
) -> ApiResult<()> {
    state
        .mutate(|engine, now| {
            let o = engine.org(org);
            let lc = live(o, contact_id)?;
            let up = up_to_seq.clamp(0, lc.contact.last_seq);
            let mut tx = Tx::new(());
            let field = match reader {
                Sender::Customer => &mut lc.contact.customer_read_seq,
                _ => &mut lc.contact.agent_read_seq,
            };
            if up <= *field {
                return Ok(tx);
            }
            *field = up;
            lc.contact.updated_at = now;
            tx.changes.push(Change::PutContact(lc.contact.clone()));
            let data =
                json!({"contact_id": contact_id, "reader": reader.as_str(), "up_to_seq": up});
            match reader {
                Sender::Customer => {
                    if let Some(a) = lc.contact.agent_id {
                        tx.notes.push(Note::user(a, "read", data));
                    }
                }
                _ => tx.notes.push(Note::contact(contact_id, "read", None, data)),
            }
            Ok(tx)
        })
        .await
}

/// End the conversation. Waiting: closed at once (abandoned). Active: the agent goes to
/// after-contact work (`wrapup`). Already ended: returned as is.
pub async fn end_contact(
    state: &AppState,
    org: Uuid,
    contact_id: Uuid,
    by: Actor,
) -> ApiResult<Contact> {
    let ended = state
        .mutate(|engine, now| {
            let o = engine.org(org);
            let lc = live(o, contact_id)?;
            if lc.contact.status.is_ended() {
                return Ok(Tx::new(lc.contact.clone()));
            }
            let by_s = match by {
                Actor::Customer => "customer".to_string(),
                Actor::Staff(u) => u.to_string(),
                Actor::System => "system".to_string(),
            };
            let mut tx = Tx::new(());
            let was_waiting = lc.contact.status == ContactStatus::Waiting;
            lc.contact.ended_at = Some(now);
            lc.contact.updated_at = now;
            if was_waiting {
                lc.contact.status = ContactStatus::Closed;
                lc.contact.closed_at = Some(now);
            } else {
                lc.contact.status = ContactStatus::Wrapup;
            }
            let c = lc.contact.clone();
            let offer = lc.offer;
            if was_waiting {
                if let Some(off) = offer.and_then(|id| o.offers.get(&id)).cloned() {
                    tx.notes.push(Note::user(
                        off.agent_id,
                        "offer_revoked",
                        json!({"offer_id": off.id, "contact_id": contact_id, "reason": "ended"}),
                    ));
                }
                o.forget(contact_id);
            }
            tx.changes.push(Change::PutContact(c.clone()));
            tx.changes.push(event(org, now, "contact.ended", json!({"contact_id": contact_id, "by": by_s})));
            contact_note(&c, &mut tx.notes);
            tx.notes.push(Note::contact(contact_id, "ended", None, json!({"contact_id": contact_id, "by": match by { Actor::Customer => "customer", Actor::Staff(_) => "agent", Actor::System => "system" }})));
            if was_waiting {
                route_into(org, o, now, &mut tx);
                position_notes(o, &mut tx.notes);
            }
            Ok(Tx {
                value: c,
                changes: tx.changes,
                notes: tx.notes,
            })
        })
        .await?;
    Ok(ended)
}

/// Merge `patch` into the contact's channel data (CSAT, widget settings…).
pub async fn update_contact_data(
    state: &AppState,
    org: Uuid,
    contact_id: Uuid,
    patch: Map<String, Value>,
) -> ApiResult<Contact> {
    // Closed contacts are not in memory: update them in the store directly.
    let in_memory = state.engine().org(org).contacts.contains_key(&contact_id);
    if !in_memory {
        let mut c = state
            .store()
            .get_contact(org, contact_id)
            .await?
            .ok_or_else(|| ApiError::not_found("contact"))?;
        if let Value::Object(map) = &mut c.data {
            map.extend(patch);
        }
        c.updated_at = state.now();
        state
            .write(vec![Change::PutContact(c.clone())], vec![])
            .await?;
        return Ok(c);
    }
    state
        .mutate(|engine, now| {
            let lc = live(engine.org(org), contact_id)?;
            if let Value::Object(map) = &mut lc.contact.data {
                map.extend(patch);
            }
            lc.contact.updated_at = now;
            let c = lc.contact.clone();
            Ok(Tx {
                value: c.clone(),
                changes: vec![Change::PutContact(c)],
                notes: vec![],
            })
        })
        .await
}

/// Keep a file for a contact; attach it to a message with `append_message`
/// (`attachment: {id, name, content_type, size}`).
pub async fn store_attachment(
    state: &AppState,
    org: Uuid,
    contact_id: Uuid,
    name: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> ApiResult<Attachment> {
    if state.store().get_contact(org, contact_id).await?.is_none() {
        return Err(ApiError::not_found("contact"));
    }
    use sha2::Digest;
    let meta = Attachment {
        id: store::new_id(),
        org_id: org,
        contact_id,
        name: name.chars().take(200).collect(),
        content_type: content_type.to_string(),
        size: bytes.len() as i64,
        sha256: hex::encode(sha2::Sha256::digest(&bytes)),
        created_at: state.now(),
    };
    state
        .write(
            vec![Change::PutAttachment {
                meta: meta.clone(),
                data: bytes,
            }],
            vec![],
        )
        .await?;
    Ok(meta)
}

/// 1-based place in the queue and estimated wait in seconds, while waiting.
pub fn queue_position(state: &AppState, org: Uuid, contact_id: Uuid) -> Option<(usize, u64)> {
    state.engine().orgs.get(&org)?.position(contact_id)
}

/// The agent's current offers and contacts (for the WebSocket `hello` and `/api/me`).
pub fn agent_snapshot(state: &AppState, org: Uuid, user: Uuid) -> Value {
    let engine = state.engine();
    let Some(o) = engine.orgs.get(&org) else {
        return json!({"offers": [], "contacts": []});
    };
    let offers: Vec<Value> = o
        .offers
        .values()
        .filter(|off| off.agent_id == user)
        .map(|off| {
            json!({"offer": off, "contact": o.contacts.get(&off.contact_id).map(|lc| wire::contact(&lc.contact))})
        })
        .collect();
    let contacts: Vec<Value> = o
        .agents
        .get(&user)
        .map(|a| {
            a.contacts
                .iter()
                .filter_map(|c| o.contacts.get(c))
                .map(|lc| wire::contact(&lc.contact))
                .collect()
        })
        .unwrap_or_default();
    let agent = o.agents.get(&user).map(agent_json);
    json!({"offers": offers, "contacts": contacts, "agent": agent})
}

pub fn agent_json(a: &crate::engine::AgentLive) -> Value {
    json!({
        "id": a.user_id,
        "name": a.name,
        "state": a.profile.state,
        "reason": a.profile.reason,
        "capacity": a.profile.capacity,
        "skills": a.profile.skills,
        "queues": a.profile.queues,
        "since": wire::ts(a.since),
        "contacts": a.contacts.len(),
    })
}

fn agent_object(
    org: Uuid,
    a: &crate::engine::AgentLive,
    created: OffsetDateTime,
    now: OffsetDateTime,
) -> store::Object {
    store::Object {
        id: a.user_id,
        org_id: org,
        kind: ObjectKind::Agent,
        name: a.user_id.to_string(),
        data: serde_json::to_value(&a.profile).unwrap_or(Value::Null),
        created_at: created,
        updated_at: now,
    }
}

/// Accept an offer made to `user`.
pub async fn accept_offer(
    state: &AppState,
    org: Uuid,
    user: Uuid,
    offer_id: Uuid,
) -> ApiResult<Contact> {
    state
        .mutate(|engine, now| {
            let o = engine.org(org);
            let off = o
                .offers
                .get(&offer_id)
                .filter(|off| off.agent_id == user)
                .cloned()
                .ok_or_else(|| ApiError::not_found("offer"))?;
            o.offers.remove(&offer_id);
            let agent_name = o.agents.get(&user).map(|a| a.name.clone());
            if let Some(a) = o.agents.get_mut(&user) {
                a.offer = None;
                a.contacts.insert(off.contact_id);
            }
            let lc = live(o, off.contact_id)?;
            lc.offer = None;
            lc.contact.status = ContactStatus::Active;
            lc.contact.agent_id = Some(user);
            lc.contact.accepted_at = Some(now);
            lc.contact.updated_at = now;
            if let Value::Object(m) = &mut lc.contact.data {
                m.remove("target_agent");
            }
            let c = lc.contact.clone();
            let mut tx = Tx::new(c.clone());
            tx.changes.push(Change::PutContact(c.clone()));
            tx.changes.push(event(
                org,
                now,
                "contact.accepted",
                json!({"offer_id": offer_id, "contact_id": c.id, "agent_id": user}),
            ));
            contact_note(&c, &mut tx.notes);
            tx.notes.push(Note::contact(
                c.id,
                "agent_joined",
                None,
                json!({"agent_name": agent_name}),
            ));
            position_notes(o, &mut tx.notes);
            Ok(tx)
        })
        .await
}

/// Decline an offer: the contact waits again in its place, for someone else.
pub async fn reject_offer(
    state: &AppState,
    org: Uuid,
    user: Uuid,
    offer_id: Uuid,
) -> ApiResult<()> {
    state
        .mutate(|engine, now| {
            let o = engine.org(org);
            let off = o
                .offers
                .get(&offer_id)
                .filter(|off| off.agent_id == user)
                .cloned()
                .ok_or_else(|| ApiError::not_found("offer"))?;
            if let Some(lc) = o.contacts.get_mut(&off.contact_id) {
                lc.declined_by.insert(user);
            }
            o.drop_offer(offer_id);
            let mut tx = Tx::new(());
            tx.changes.push(event(
                org,
                now,
                "contact.offer_declined",
                json!({"offer_id": offer_id, "contact_id": off.contact_id, "agent_id": user}),
            ));
            tx.notes.push(Note::user(
                user,
                "offer_revoked",
                json!({"offer_id": offer_id, "contact_id": off.contact_id, "reason": "declined"}),
            ));
            route_into(org, o, now, &mut tx);
            Ok(tx)
        })
        .await
}

/// After-contact work done: record the wrap-up code and close.
pub async fn wrapup(
    state: &AppState,
    org: Uuid,
    user: Uuid,
    is_manager: bool,
    contact_id: Uuid,
    code: String,
    notes_text: Option<String>,
) -> ApiResult<Contact> {
    if code.is_empty() || code.len() > 100 {
        return Err(ApiError::invalid("code: 1 to 100 characters"));
    }
    // Known codes only, when the organisation defined any.
    let codes = state
        .store()
        .list_objects(
            org,
            ObjectKind::WrapupCode,
            PageRequest {
                after: None,
                limit: 1000,
            },
        )
        .await?;
    if !codes.items.is_empty()
        && !codes
            .items
            .iter()
            .any(|o| o.name == code || o.id.to_string() == code)
    {
        return Err(ApiError::invalid(
            "code: not a wrap-up code of this organisation",
        ));
    }
    state
        .mutate(|engine, now| {
            let o = engine.org(org);
            let lc = live(o, contact_id)?;
            if lc.contact.agent_id != Some(user) && !is_manager {
                return Err(ApiError::forbidden("not your contact"));
            }
            if lc.contact.status != ContactStatus::Wrapup {
                return Err(ApiError::conflict("end the contact before wrapping it up"));
            }
            lc.contact.status = ContactStatus::Closed;
            lc.contact.closed_at = Some(now);
            lc.contact.wrapup_code = Some(code.clone());
            lc.contact.wrapup_notes = notes_text.clone();
            lc.contact.updated_at = now;
            let c = lc.contact.clone();
            o.forget(contact_id);
            let mut tx = Tx::new(c.clone());
            tx.changes.push(Change::PutContact(c.clone()));
            tx.changes.push(event(
                org,
                now,
                "contact.closed",
                json!({"contact_id": contact_id, "code": code}),
            ));
            contact_note(&c, &mut tx.notes);
            route_into(org, o, now, &mut tx);
            Ok(tx)
        })
        .await
}

/// Send an active contact to another queue or agent; it waits again, keeping its
/// original enqueue time.
pub async fn transfer(
    state: &AppState,
    org: Uuid,
    user: Uuid,
    is_manager: bool,
    contact_id: Uuid,
    queue: Option<Uuid>,
    agent: Option<Uuid>,
) -> ApiResult<Contact> {
    state
        .mutate(|engine, now| {
            let o = engine.org(org);
            if let Some(q) = queue
                && !o.queues.contains_key(&q)
            {
                return Err(ApiError::invalid("queue_id: no such queue"));
            }
            if let Some(a) = agent
                && !o.agents.contains_key(&a)
            {
                return Err(ApiError::invalid("agent_id: no such agent"));
            }
            if queue.is_none() && agent.is_none() {
                return Err(ApiError::invalid("give queue_id or agent_id"));
            }
            let lc = live(o, contact_id)?;
            if lc.contact.agent_id != Some(user) && !is_manager {
                return Err(ApiError::forbidden("not your contact"));
            }
            if lc.contact.status != ContactStatus::Active {
                return Err(ApiError::conflict("only an active contact can be transferred"));
            }
            let from = lc.contact.agent_id;
            lc.contact.status = ContactStatus::Waiting;
            lc.contact.agent_id = None;
            lc.contact.accepted_at = None;
            lc.contact.updated_at = now;
            lc.declined_by.clear();
            if let Some(q) = queue {
                lc.contact.queue_id = Some(q);
            }
            if let Value::Object(m) = &mut lc.contact.data {
                match agent {
                    Some(a) => m.insert("target_agent".into(), Value::String(a.to_string())),
                    None => m.remove("target_agent"),
                };
            }
            let c = lc.contact.clone();
            o.waiting.insert((c.enqueued_at, c.id));
            if let Some(a) = from.and_then(|f| o.agents.get_mut(&f)) {
                a.contacts.remove(&contact_id);
            }
            let mut tx = Tx::new(c.clone());
            tx.changes.push(Change::PutContact(c.clone()));
            tx.changes.push(event(org, now, "contact.transferred", json!({"contact_id": contact_id, "from": from, "queue_id": queue, "agent_id": agent})));
            if let Some(f) = from {
                tx.notes.push(Note::user(f, "contact", wire::contact(&c)));
            }
            contact_note(&c, &mut tx.notes);
            route_into(org, o, now, &mut tx);
            position_notes(o, &mut tx.notes);
            let c = o.contacts.get(&contact_id).map(|lc| lc.contact.clone()).unwrap_or(c);
            Ok(Tx { value: c, changes: tx.changes, notes: tx.notes })
        })
        .await
}

/// Set an agent's presence. Going offline or on break revokes a pending offer.
pub async fn set_agent_state(
    state: &AppState,
    org: Uuid,
    user: Uuid,
    new_state: AgentState,
    reason: Option<String>,
) -> ApiResult<Value> {
    if reason.as_ref().is_some_and(|r| r.len() > 100) {
        return Err(ApiError::invalid("reason: at most 100 characters"));
    }
    state
        .mutate(|engine, now| {
            let o = engine.org(org);
            let a = o
                .agents
                .get_mut(&user)
                .ok_or_else(|| ApiError::forbidden("you have no agent profile"))?;
            let mut tx = Tx::new(Value::Null);
            if a.profile.state != new_state {
                a.since = now;
            }
            a.profile.state = new_state;
            a.profile.reason = if new_state == AgentState::Available {
                None
            } else {
                reason.clone()
            };
            let pending = a.offer;
            let obj = agent_object(org, a, now, now);
            tx.changes.push(Change::PutObject(obj));
            tx.changes.push(event(
                org,
                now,
                "agent.state",
                json!({"agent_id": user, "state": new_state, "reason": reason}),
            ));
            if new_state != AgentState::Available
                && let Some(off) = pending.and_then(|id| o.drop_offer(id))
            {
                tx.changes.push(event(
                    org,
                    now,
                    "contact.offer_revoked",
                    json!({"offer_id": off.id, "contact_id": off.contact_id, "agent_id": user}),
                ));
                tx.notes.push(Note::user(
                    user,
                    "offer_revoked",
                    json!({"offer_id": off.id, "contact_id": off.contact_id, "reason": "state"}),
                ));
            }
            let aj = o.agents.get(&user).map(agent_json).unwrap_or(Value::Null);
            tx.notes.push(Note::user(user, "agent_state", aj.clone()));
            tx.notes
                .push(Note::supervisors(org, "agent_state", aj.clone()));
            route_into(org, o, now, &mut tx);
            tx.value = aj;
            Ok(tx)
        })
        .await
}

/// Load an organisation's queue and agent into the live state after a config change.
pub async fn refresh_org_config(state: &AppState, org: Uuid) -> ApiResult<()> {
    let (queues, agents, users) = load_org_config(state, org).await?;
    state
        .mutate(|engine, now| {
            let o = engine.org(org);
            apply_org_config(o, &queues, &agents, &users, now);
            let mut tx = Tx::new(());
            route_into(org, o, now, &mut tx);
            Ok(tx)
        })
        .await
}

type OrgConfig = (Vec<store::Object>, Vec<store::Object>, Vec<store::User>);

async fn load_all_objects(
    state: &AppState,
    org: Uuid,
    kind: ObjectKind,
) -> Result<Vec<store::Object>, StoreError> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = state
            .store()
            .list_objects(org, kind, PageRequest { after, limit: 1000 })
            .await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => after = Some(c),
            None => return Ok(out),
        }
    }
}

async fn load_org_config(state: &AppState, org: Uuid) -> Result<OrgConfig, StoreError> {
    let queues = load_all_objects(state, org, ObjectKind::Queue).await?;
    let agents = load_all_objects(state, org, ObjectKind::Agent).await?;
    let mut users = Vec::new();
    let mut after = None;
    loop {
        let page = state
            .store()
            .list_users(org, PageRequest { after, limit: 1000 })
            .await?;
        users.extend(page.items);
        match page.next_cursor {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    Ok((queues, agents, users))
}

fn apply_org_config(
    o: &mut OrgLive,
    queues: &[store::Object],
    agents: &[store::Object],
    users: &[store::User],
    now: OffsetDateTime,
) {
    o.queues.clear();
    for q in queues {
        o.put_queue(q);
    }
    for u in users {
        let profile = agents.iter().find(|a| a.id == u.id);
        // Agents always have a profile; supervisors only once they were given one.
        if u.disabled || (u.role != Role::Agent && profile.is_none()) {
            if let Some(a) = o.agents.get_mut(&u.id) {
                a.profile.state = AgentState::Offline;
            }
            continue;
        }
        let p: AgentProfile = profile
            .and_then(|p| serde_json::from_value(p.data.clone()).ok())
            .unwrap_or_default();
        o.put_agent(u.id, &u.name, p, now);
    }
}

/// Rebuild every organisation's live state from the store (start, or after a failed
/// commit). Waiting contacts keep their `enqueued_at` and so their order; offers that
/// were in flight are made again.
pub async fn rebuild(state: &AppState) -> Result<(), StoreError> {
    let orgs = state.store().list_orgs().await?;
    let mut configs = Vec::new();
    for org in &orgs {
        configs.push((org.id, load_org_config(state, org.id).await?));
    }
    let open = state.store().list_open_contacts().await?;
    let r = state
        .mutate(|engine, now| {
            engine.orgs.clear();
            for (org, (queues, agents, users)) in &configs {
                apply_org_config(engine.org(*org), queues, agents, users, now);
            }
            for c in open {
                engine.org(c.org_id).track(c);
            }
            let mut tx = Tx::new(());
            let ids: Vec<Uuid> = engine.orgs.keys().copied().collect();
            for org in ids {
                let o = engine.org(org);
                route_into(org, o, now, &mut tx);
            }
            Ok(tx)
        })
        .await;
    r.map_err(|e| StoreError::Backend(e.to_string()))
}

/// Every second: expire offers that ran out (the agent is set to break, "missed offer",
/// and the contact is offered to someone else), route, and push queue statistics to
/// supervisors every few seconds.
pub async fn timer_task(state: AppState) {
    let mut shutdown = state.shutdown_signal();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut n: u64 = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = state.0.rebuild_needed.notified() => {
                if let Err(e) = rebuild(&state).await {
                    tracing::error!(error = %e, "rebuild failed");
                }
                continue;
            }
            _ = shutdown.changed() => return,
        }
        n += 1;
        if let Err(e) = expire_offers(&state).await {
            tracing::warn!(error = %e, "offer expiry failed");
        }
        if n.is_multiple_of(3) {
            let now = state.now();
            let stats: Vec<(Uuid, Value)> = {
                let engine = state.engine();
                engine
                    .orgs
                    .iter()
                    .map(|(id, o)| (*id, o.queue_stats(now)))
                    .collect()
            };
            for (org, s) in stats {
                state.hub().publish_ephemeral(
                    org,
                    &[Role::Admin, Role::Supervisor, Role::Analyst],
                    "queue_stats",
                    &s,
                );
            }
        }
    }
}

/// Expire offers whose time is up (also called by tests after moving the clock).
pub async fn expire_offers(state: &AppState) -> ApiResult<()> {
    state
        .mutate(|engine, now| {
            let mut tx = Tx::new(());
            let ids: Vec<Uuid> = engine.orgs.keys().copied().collect();
            for org in ids {
                let o = engine.org(org);
                for offer_id in o.expired_offers(now) {
                    let Some(off) = o.drop_offer(offer_id) else { continue };
                    if let Some(lc) = o.contacts.get_mut(&off.contact_id) {
                        lc.declined_by.insert(off.agent_id);
                    }
                    tx.changes.push(event(org, now, "contact.offer_expired", json!({"offer_id": off.id, "contact_id": off.contact_id, "agent_id": off.agent_id})));
                    tx.notes.push(Note::user(off.agent_id, "offer_revoked", json!({"offer_id": off.id, "contact_id": off.contact_id, "reason": "timeout"})));
                    if let Some(a) = o.agents.get_mut(&off.agent_id) {
                        a.profile.state = AgentState::Break;
                        a.profile.reason = Some("missed offer".into());
                        a.since = now;
                        let obj = agent_object(org, a, now, now);
                        let aj = agent_json(a);
                        tx.changes.push(Change::PutObject(obj));
                        tx.changes.push(event(
                            org,
                            now,
                            "agent.state",
                            json!({"agent_id": off.agent_id, "state": AgentState::Break, "reason": "missed offer"}),
                        ));
                        tx.notes.push(Note::user(off.agent_id, "agent_state", aj.clone()));
                        tx.notes.push(Note::supervisors(org, "agent_state", aj));
                    }
                }
                route_into(org, o, now, &mut tx);
            }
            Ok(tx)
        })
        .await
}
