//! JSON shapes of the domain objects, shared by the staff API, the staff WebSocket and
//! the chat widget, so every side sees the same conversation.

use serde::Serialize;
use serde_json::{Value, json};
use store::{Channel, Contact, Delivery, DeliveryStatus, Message, Sender, User};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

pub fn ts(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum From {
    Customer,
    Agent,
    System,
    /// A supervisor: a whisper (`internal`, the agent only) or a barge.
    Supervisor,
}

/// The channel a contact came on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChannelOut {
    Chat,
    Sms,
    Whatsapp,
    Messenger,
    Email,
    Voice,
}

impl std::convert::From<store::Channel> for ChannelOut {
    fn from(c: store::Channel) -> Self {
        match c {
            store::Channel::Chat => ChannelOut::Chat,
            store::Channel::Sms => ChannelOut::Sms,
            store::Channel::Whatsapp => ChannelOut::Whatsapp,
            store::Channel::Messenger => ChannelOut::Messenger,
            store::Channel::Email => ChannelOut::Email,
            store::Channel::Voice => ChannelOut::Voice,
        }
    }
}

/// Where an outbound message stands with its channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    Queued,
    Sent,
    Delivered,
    Read,
    Failed,
}

impl std::convert::From<DeliveryStatus> for DeliveryState {
    fn from(s: DeliveryStatus) -> Self {
        match s {
            DeliveryStatus::Queued => DeliveryState::Queued,
            DeliveryStatus::Sent => DeliveryState::Sent,
            DeliveryStatus::Delivered => DeliveryState::Delivered,
            DeliveryStatus::Read => DeliveryState::Read,
            DeliveryStatus::Failed => DeliveryState::Failed,
        }
    }
}

/// A message an agent sent through a channel, as far as the channel has taken it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub status: DeliveryState,
    /// Send attempts so far.
    pub attempts: i32,
    /// The last failure, in the channel's words.
    pub error: Option<String>,
}

/// A `receipt` on the staff WebSocket: an outbound message moved on.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReceiptOut {
    pub contact_id: Uuid,
    pub message_id: Uuid,
    pub seq: i64,
    pub channel: ChannelOut,
    pub status: DeliveryState,
    pub attempts: i32,
    pub error: Option<String>,
}

pub fn receipt(d: &Delivery) -> ReceiptOut {
    ReceiptOut {
        contact_id: d.contact_id,
        message_id: d.message_id,
        seq: d.seq,
        channel: d.channel.into(),
        status: d.status.into(),
        attempts: d.attempts,
        error: d.error.clone(),
    }
}

/// A file on a message.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttachmentRef {
    pub id: Uuid,
    pub name: String,
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// Where to fetch it: `/api/attachments/{id}` for staff, the widget's own route for
    /// customers.
    pub url: String,
}

/// A stored file as a message carries it (`url`: the staff route; the widget rewrites it).
pub fn attachment(meta: &store::Attachment) -> Value {
    json!({
        "id": meta.id,
        "name": meta.name,
        "content_type": meta.content_type,
        "size": meta.size,
        "url": format!("/api/attachments/{}", meta.id),
    })
}

/// A message, the same for staff and customers (staff also get `delivery`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessageOut {
    pub id: Uuid,
    pub contact_id: Uuid,
    /// 1, 2, 3… within the contact: the order of the conversation.
    pub seq: i64,
    pub from: From,
    pub author_name: Option<String>,
    pub text: Option<String>,
    /// When the message carries a file.
    #[schema(value_type = Option<AttachmentRef>)]
    pub attachment: Option<Value>,
    /// A note for staff only.
    pub internal: bool,
    /// The sender's idempotency key.
    pub client_id: Option<String>,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub at: String,
    /// It reached the other side (a customer's message always has: it is here).
    pub delivered: bool,
    /// The other side has read it.
    pub read: bool,
    /// For a message an agent sent through a channel (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<DeliveryView>,
    /// The approved template it was sent as (WhatsApp); `text` is that template filled in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Personal data masked out of `text`, in order: what each mask stands for. The
    /// values come only from `POST …/messages/{seq}/reveal`, with a reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden: Vec<HiddenOut>,
    /// An email's quoted history starts at this offset of `text` (in UTF-16 code units,
    /// as browsers count): the desktop folds it away.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quoted_from: Option<usize>,
}

/// One mask in a message's text.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HiddenOut {
    /// `card`, `ssn`, `iban`, `phone`, `email`.
    pub kind: String,
    /// As it appears in the text (`[phone ending 99]`).
    pub mask: String,
    /// Whether a reveal can show it (card numbers are never kept).
    pub kept: bool,
}

/// The values behind a message's masks, for the staff member who asked, with a reason.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Revealed {
    pub values: Vec<RevealedValue>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RevealedValue {
    pub kind: String,
    pub mask: String,
    /// `null` for a card number: it was never kept.
    pub value: Option<String>,
}

/// A message as customers see it (no delivery details).
pub fn message(m: &Message, c: &Contact) -> Value {
    serde_json::to_value(message_out(m, c, None)).unwrap_or(Value::Null)
}

/// A message as staff see it: with `delivery` for one an agent sent through a channel,
/// from the outbox. A customer's read mark counts as `read`.
pub fn staff_message(m: &Message, c: &Contact, d: Option<&Delivery>) -> Value {
    serde_json::to_value(message_out(m, c, d)).unwrap_or(Value::Null)
}

pub fn message_out(m: &Message, c: &Contact, d: Option<&Delivery>) -> MessageOut {
    let read = match m.sender {
        Sender::Customer => m.seq <= c.agent_read_seq,
        Sender::Agent | Sender::System | Sender::Supervisor => m.seq <= c.customer_read_seq,
    };
    let delivered = match (m.sender, d) {
        (Sender::Customer, _) => true,
        (_, Some(d)) => d.status.rank() >= DeliveryStatus::Delivered.rank(),
        // Lines that go through no outbox (system lines in the chat feed).
        (_, None) => !m.internal,
    } || read;
    let delivery = d.map(|d| DeliveryView {
        status: if read && d.status != DeliveryStatus::Failed {
            DeliveryState::Read
        } else {
            d.status.into()
        },
        attempts: d.attempts,
        error: d.error.clone(),
    });
    MessageOut {
        id: m.id,
        contact_id: m.contact_id,
        seq: m.seq,
        from: match m.sender {
            Sender::Customer => From::Customer,
            Sender::Agent => From::Agent,
            Sender::System => From::System,
            Sender::Supervisor => From::Supervisor,
        },
        author_name: m.author_name.clone(),
        template: m.template.as_ref().map(|t| t.name.clone()),
        hidden: m
            .pii
            .iter()
            .map(|h| HiddenOut {
                kind: h.kind.clone(),
                mask: h.mask.clone(),
                kept: h.sealed.is_some(),
            })
            .collect(),
        quoted_from: match (&m.text, c.channel, m.sender) {
            (Some(t), Channel::Email, Sender::Customer) => {
                let fresh = crate::channels::email::fresh_part(t);
                t[fresh.len()..]
                    .lines()
                    .any(|l| l.starts_with('>'))
                    .then(|| fresh.encode_utf16().count())
            }
            _ => None,
        },
        text: m.text.clone(),
        attachment: m.attachment.clone(),
        internal: m.internal,
        client_id: m.client_id.clone(),
        at: ts(m.at),
        delivered,
        read,
        delivery,
    }
}

/// A contact's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContactState {
    /// With the answer bot, in no queue yet.
    Bot,
    Waiting,
    Active,
    Wrapup,
    Closed,
}

/// A contact as staff see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContactOut {
    pub id: Uuid,
    pub channel: ChannelOut,
    pub queue_id: Option<Uuid>,
    pub status: ContactState,
    pub customer_id: Option<Uuid>,
    pub customer_name: Option<String>,
    pub agent_id: Option<Uuid>,
    pub topic: Option<String>,
    #[schema(format = DateTime)]
    pub enqueued_at: String,
    #[schema(format = DateTime)]
    pub accepted_at: Option<String>,
    #[schema(format = DateTime)]
    pub ended_at: Option<String>,
    #[schema(format = DateTime)]
    pub closed_at: Option<String>,
    pub wrapup_code: Option<String>,
    pub wrapup_notes: Option<String>,
    /// The last message's `seq` (0: none yet).
    pub last_seq: i64,
    pub customer_read_seq: i64,
    pub agent_read_seq: i64,
    /// The customer's rating once given: `{score, comment?}`.
    #[schema(value_type = Option<Object>)]
    pub csat: Option<Value>,
    /// Where a transferred contact comes from: `{by, from_queue?, note?}`.
    #[schema(value_type = Option<Object>)]
    pub transferred_from: Option<Value>,
    /// What the answer bot did before a person took over: the articles it showed, and
    /// why and on what topic it handed over.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot: Option<crate::bot::BotRecord>,
    /// The contact's own priority, when a supervisor has set one (0 to 100, added to
    /// its queue's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    /// A recorded call's recording, once the call is over: `{attachment, seconds}`
    /// (the attachment plays as `audio/wav`, caller left, what the caller heard right).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub recording: Option<Value>,
    /// A call that went through a contact flow: `{name, path, keyed}` — the flow, the
    /// steps and keys that led here (`menu:1`), and what the caller keyed in by
    /// attribute (an order number).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub flow: Option<Value>,
    /// A voicemail: `{attachment, seconds}` (mono `audio/wav`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub voicemail: Option<Value>,
    /// The caller asked to be called back instead of waiting: `{number, requested_at}`;
    /// the contact kept its place in line.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub callback: Option<Value>,
    /// A call an agent placed from the desktop: `{number}`, and like a callback's,
    /// `attempts` and `last` (`{at, outcome}`) once a call out went unanswered.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub outbound: Option<Value>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Waiting contacts, on their own: their place in line (1 = next).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
    /// Waiting contacts, on their own: the estimated wait in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_wait_s: Option<u64>,
}

/// A contact as staff see it.
pub fn contact(c: &Contact) -> Value {
    serde_json::to_value(contact_out(c)).unwrap_or(Value::Null)
}

pub fn contact_out(c: &Contact) -> ContactOut {
    let data = |k: &str| c.data.get(k).filter(|v| !v.is_null()).cloned();
    ContactOut {
        id: c.id,
        channel: c.channel.into(),
        queue_id: c.queue_id,
        status: match c.status {
            store::ContactStatus::Bot => ContactState::Bot,
            store::ContactStatus::Waiting => ContactState::Waiting,
            store::ContactStatus::Active => ContactState::Active,
            store::ContactStatus::Wrapup => ContactState::Wrapup,
            store::ContactStatus::Closed => ContactState::Closed,
        },
        customer_id: c.customer_id,
        customer_name: c
            .data
            .get("customer_name")
            .and_then(Value::as_str)
            .map(str::to_string),
        agent_id: c.agent_id,
        topic: c.topic.clone(),
        enqueued_at: ts(c.enqueued_at),
        accepted_at: c.accepted_at.map(ts),
        ended_at: c.ended_at.map(ts),
        closed_at: c.closed_at.map(ts),
        wrapup_code: c.wrapup_code.clone(),
        wrapup_notes: c.wrapup_notes.clone(),
        last_seq: c.last_seq,
        customer_read_seq: c.customer_read_seq,
        agent_read_seq: c.agent_read_seq,
        csat: data("csat"),
        transferred_from: data("transferred_from"),
        bot: crate::bot::BotRecord::of(c),
        priority: data("priority")
            .and_then(|v| v.as_u64())
            .and_then(|p| u8::try_from(p).ok()),
        recording: data("recording"),
        flow: data("flow"),
        voicemail: data("voicemail"),
        callback: data("callback"),
        outbound: data("outbound"),
        created_at: ts(c.created_at),
        updated_at: ts(c.updated_at),
        position: None,
        estimated_wait_s: None,
    }
}

/// One page of a contact's messages.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessagePage {
    pub items: Vec<MessageOut>,
}

/// One page of contacts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContactPage {
    pub items: Vec<ContactOut>,
    pub next_cursor: Option<Uuid>,
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
