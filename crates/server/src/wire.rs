//! JSON shapes of the domain objects, shared by the staff API, the staff WebSocket and
//! the chat widget, so every side sees the same conversation.

use serde::Serialize;
use serde_json::{Value, json};
use store::{Contact, Delivery, DeliveryStatus, Message, Sender, User};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

pub fn ts(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn ots(t: Option<OffsetDateTime>) -> Value {
    t.map(|t| Value::String(ts(t))).unwrap_or(Value::Null)
}

/// A message: `{id, contact_id, seq, from, author_name?, text?, attachment?, internal,
/// client_id?, at, delivered, read}`. `read` is whether the other side has read it;
/// `delivered`, whether it reached them (a customer's message always has: it is here).
pub fn message(m: &Message, c: &Contact) -> Value {
    message_with(m, c, None)
}

/// A message as staff see it: with `delivery` (`{status, attempts, error}`) for one an
/// agent sent through a channel, from the outbox. `status` is `queued`, `sent`,
/// `delivered`, `read` or `failed`; a customer's read mark counts as `read`.
pub fn staff_message(m: &Message, c: &Contact, d: Option<&Delivery>) -> Value {
    let mut v = message_with(m, c, d);
    if let (Some(d), Some(o)) = (d, v.as_object_mut()) {
        let read = m.seq <= c.customer_read_seq && d.status != DeliveryStatus::Failed;
        o.insert(
            "delivery".into(),
            json!({
                "status": if read { "read" } else { d.status.as_str() },
                "attempts": d.attempts,
                "error": d.error,
            }),
        );
    }
    v
}

fn message_with(m: &Message, c: &Contact, d: Option<&Delivery>) -> Value {
    let read = match m.sender {
        Sender::Customer => m.seq <= c.agent_read_seq,
        Sender::Agent | Sender::System => m.seq <= c.customer_read_seq,
    };
    let delivered = match (m.sender, d) {
        (Sender::Customer, _) => true,
        (_, Some(d)) => d.status.rank() >= DeliveryStatus::Delivered.rank(),
        // Lines that go through no outbox (system lines in the chat feed).
        (_, None) => !m.internal,
    } || read;
    json!({
        "id": m.id,
        "contact_id": m.contact_id,
        "seq": m.seq,
        "from": m.sender.as_str(),
        "author_name": m.author_name,
        "text": m.text,
        "attachment": m.attachment,
        "internal": m.internal,
        "client_id": m.client_id,
        "at": ts(m.at),
        "delivered": delivered,
        "read": read,
    })
}

/// A contact as staff see it.
pub fn contact(c: &Contact) -> Value {
    json!({
        "id": c.id,
        "channel": c.channel,
        "queue_id": c.queue_id,
        "status": c.status.as_str(),
        "customer_id": c.customer_id,
        "customer_name": c.data.get("customer_name"),
        "agent_id": c.agent_id,
        "topic": c.topic,
        "enqueued_at": ts(c.enqueued_at),
        "accepted_at": ots(c.accepted_at),
        "ended_at": ots(c.ended_at),
        "closed_at": ots(c.closed_at),
        "wrapup_code": c.wrapup_code,
        "wrapup_notes": c.wrapup_notes,
        "last_seq": c.last_seq,
        "customer_read_seq": c.customer_read_seq,
        "agent_read_seq": c.agent_read_seq,
        "csat": c.data.get("csat"),
        "transferred_from": c.data.get("transferred_from"),
        "created_at": ts(c.created_at),
        "updated_at": ts(c.updated_at),
    })
}

/// A staff user without secrets.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserOut {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: String,
    pub mfa_enabled: bool,
    pub disabled: bool,
}

pub fn user(u: &User) -> UserOut {
    UserOut {
        id: u.id,
        org_id: u.org_id,
        name: u.name.clone(),
        email: u.email.clone(),
        role: u.role.as_str().to_string(),
        mfa_enabled: u.totp_enabled,
        disabled: u.disabled,
    }
}

/// An object (queue, skill…): `{id, name, …data, created_at, updated_at}`.
pub fn object(o: &store::Object) -> Value {
    let mut v = json!({"id": o.id, "name": o.name});
    if let (Some(map), Value::Object(data)) = (v.as_object_mut(), &o.data) {
        for (k, val) in data {
            if k != "id" && k != "name" {
                map.insert(k.clone(), val.clone());
            }
        }
        map.insert("created_at".into(), Value::String(ts(o.created_at)));
        map.insert("updated_at".into(), Value::String(ts(o.updated_at)));
    }
    v
}
