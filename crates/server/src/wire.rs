//! JSON shapes of the domain objects, shared by the staff API, the staff WebSocket and
//! the chat widget, so every side sees the same conversation.

use serde::Serialize;
use serde_json::{Value, json};
use store::{Contact, Message, Sender, User};
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
/// client_id?, at, delivered, read}`. `read` is whether the other side has read it.
pub fn message(m: &Message, c: &Contact) -> Value {
    let read = match m.sender {
        Sender::Customer => m.seq <= c.agent_read_seq,
        Sender::Agent | Sender::System => m.seq <= c.customer_read_seq,
    };
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
        "delivered": true,
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
