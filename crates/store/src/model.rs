//! Domain types the store reads and writes. Plain data: no HTTP, no SQL.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

/// The current time, truncated to microseconds (what both databases keep), so a value
/// read back equals the value written.
pub fn now() -> OffsetDateTime {
    truncate(OffsetDateTime::now_utc())
}

/// `t` truncated to whole microseconds, in UTC.
pub fn truncate(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    let micros = t.microsecond();
    t.replace_microsecond(micros).unwrap_or(t)
}

/// A new time-ordered id (UUIDv7): ids sort by creation, which cursor pagination uses.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// A staff member's role. Ordered by nothing: check capabilities, not ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Supervisor,
    Agent,
    Analyst,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Supervisor, Role::Agent, Role::Analyst];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Agent => "agent",
            Role::Analyst => "analyst",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One tenant. Every other row belongs to exactly one organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Org {
    pub id: Uuid,
    /// Short, URL-safe, unique name (`demo-retail`), used at login and in widget URLs.
    pub slug: String,
    pub name: String,
    /// Every user of this organisation must have TOTP enrolled to log in.
    pub mfa_required: bool,
    pub created_at: OffsetDateTime,
}

/// A staff account.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: Uuid,
    pub org_id: Uuid,
    /// Lower-cased; unique within the organisation.
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Base32 TOTP secret, present once enrolment has started.
    pub totp_secret: Option<String>,
    /// True once the user proved the secret with a code.
    pub totp_enabled: bool,
    /// Hashes of unused recovery codes.
    pub recovery_codes: Vec<String>,
    pub failed_logins: i32,
    pub locked_until: Option<OffsetDateTime>,
    pub disabled: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl std::fmt::Debug for User {
    // Never print secrets, even hashed ones.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("org_id", &self.org_id)
            .field("email", &self.email)
            .field("role", &self.role)
            .field("totp_enabled", &self.totp_enabled)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// A browser session. The cookie holds the secret; the store keeps its SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub token_hash: String,
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub csrf_token: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    /// Absolute end of the session, whatever the activity.
    pub expires_at: OffsetDateTime,
    /// Signed in through the organisation's identity provider, which reported a second
    /// factor (`amr`): counts as two-factor authentication for this session.
    pub idp_mfa: bool,
}

/// A scoped bearer token for integrations. Only the hash is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: Uuid,
    pub org_id: Uuid,
    /// The user the token acts for (its role caps the token's rights).
    pub user_id: Uuid,
    pub name: String,
    pub token_hash: String,
    /// What the token may do: `read`, `write`, `admin`.
    pub scopes: Vec<String>,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked: bool,
    /// Refused from this moment on (`None`: until revoked).
    pub expires_at: Option<OffsetDateTime>,
    /// The admin who minted it for `user_id` (an impersonation), when not the user.
    pub created_by: Option<Uuid>,
}

/// The kinds of configuration object kept in the generic `objects` projection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Queue,
    Skill,
    /// An agent's routing profile: skills, capacity. Its id is the user's id.
    Agent,
    RoutingPolicy,
    WrapupCode,
    BusinessHours,
    CannedResponse,
    /// Workforce management: an agent's offered hours (its name is the user's id).
    WfmPreferences,
    /// Workforce management: a week's staffing requirement (and forecast).
    WfmPlan,
    /// Workforce management: a generated (and maybe published) week's schedule.
    WfmSchedule,
    /// Where one channel's outbound messages go (an integration's webhook and its
    /// signing secret). Its name is the channel. Admins only: never listed with the
    /// objects everyone reads.
    ChannelEndpoint,
    /// A phone number that texted STOP (its name): no texts until it texts START.
    SmsOptOut,
    /// The organisation's single sign-on (OpenID Connect) settings; one, named `oidc`.
    /// Admins only.
    SsoConfig,
    /// How long closed contacts are kept, for the organisation and per channel; one,
    /// named `retention`. Admins only.
    Retention,
    /// A knowledge-base article (its name is its slug): draft and published versions,
    /// and the help center's votes on it.
    KbArticle,
    /// Who besides admins may edit the knowledge base; one, named `kb`.
    KbSettings,
    /// The help center's "was this helpful?" counts for one article (its name is the
    /// article's id), kept apart so that a vote never races an edit.
    KbVotes,
    /// Data protection settings (which roles open customers' attachments); one, named
    /// `protection`. Admins only.
    Protection,
    /// Alert rules and the alerts' webhook (its secret sealed); one, named `alerts`.
    Alerts,
    /// The weekly digest's webhook (its secret sealed); one, named `insight`. Admins
    /// only.
    Insight,
    /// How far an email mailbox has been read (UIDVALIDITY, last UID); one per mailbox,
    /// named `imap:<mailbox>`.
    EmailSync,
    /// One of the answer bot's guided actions (its name is its slug): what starts it,
    /// what it asks, and the organisation's endpoint it calls (its secret sealed).
    /// Admins only.
    BotAction,
    /// A SIP trunk (its name is the trunk's name): the numbers it brings calls for and
    /// their queues, who may send calls (addresses, digest credentials), and the provider
    /// it registers with (passwords sealed). Admins only.
    Trunk,
    /// A contact flow (the IVR; its name is the flow's name): the steps a caller goes
    /// through on the numbers that name it. Admins only.
    CallFlow,
    /// A recording an admin made of a sentence a contact flow says (its name is a key
    /// of the sentence): played in place of synthesized speech. Admins only.
    VoicePrompt,
}

impl ObjectKind {
    pub const ALL: [ObjectKind; 25] = [
        ObjectKind::Queue,
        ObjectKind::Skill,
        ObjectKind::Agent,
        ObjectKind::RoutingPolicy,
        ObjectKind::WrapupCode,
        ObjectKind::BusinessHours,
        ObjectKind::CannedResponse,
        ObjectKind::WfmPreferences,
        ObjectKind::WfmPlan,
        ObjectKind::WfmSchedule,
        ObjectKind::ChannelEndpoint,
        ObjectKind::SmsOptOut,
        ObjectKind::SsoConfig,
        ObjectKind::Retention,
        ObjectKind::KbArticle,
        ObjectKind::KbSettings,
        ObjectKind::KbVotes,
        ObjectKind::Protection,
        ObjectKind::Alerts,
        ObjectKind::Insight,
        ObjectKind::EmailSync,
        ObjectKind::BotAction,
        ObjectKind::Trunk,
        ObjectKind::CallFlow,
        ObjectKind::VoicePrompt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Queue => "queue",
            ObjectKind::Skill => "skill",
            ObjectKind::Agent => "agent",
            ObjectKind::RoutingPolicy => "routing_policy",
            ObjectKind::WrapupCode => "wrapup_code",
            ObjectKind::BusinessHours => "business_hours",
            ObjectKind::CannedResponse => "canned_response",
            ObjectKind::WfmPreferences => "wfm_preferences",
            ObjectKind::WfmPlan => "wfm_plan",
            ObjectKind::WfmSchedule => "wfm_schedule",
            ObjectKind::ChannelEndpoint => "channel_endpoint",
            ObjectKind::SmsOptOut => "sms_opt_out",
            ObjectKind::SsoConfig => "sso_config",
            ObjectKind::Retention => "retention",
            ObjectKind::KbArticle => "kb_article",
            ObjectKind::KbSettings => "kb_settings",
            ObjectKind::KbVotes => "kb_votes",
            ObjectKind::Protection => "protection",
            ObjectKind::Alerts => "alerts",
            ObjectKind::Insight => "insight",
            ObjectKind::EmailSync => "email_sync",
            ObjectKind::BotAction => "bot_action",
            ObjectKind::Trunk => "trunk",
            ObjectKind::CallFlow => "call_flow",
            ObjectKind::VoicePrompt => "voice_prompt",
        }
    }

    pub fn parse(s: &str) -> Option<ObjectKind> {
        ObjectKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A configuration object (queue, skill, wrap-up code…): a unique name per kind and
/// organisation plus kind-specific JSON the server validates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Object {
    pub id: Uuid,
    pub org_id: Uuid,
    pub kind: ObjectKind,
    pub name: String,
    pub data: Value,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Object {
    /// The next version of an organisation's one object of a kind and name (its
    /// channel endpoint, its single sign-on or retention settings): the existing one's
    /// id and creation time kept, or a new object.
    pub fn next_version(
        existing: Option<&Object>,
        org_id: Uuid,
        kind: ObjectKind,
        name: impl Into<String>,
        data: Value,
        now: OffsetDateTime,
    ) -> Object {
        Object {
            id: existing.map(|o| o.id).unwrap_or_else(new_id),
            org_id,
            kind,
            name: name.into(),
            data,
            created_at: existing.map(|o| o.created_at).unwrap_or(now),
            updated_at: now,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub data: Value,
    pub created_at: OffsetDateTime,
}

/// How a customer is recognised on one channel (`email`, `phone`, `chat`…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub id: Uuid,
    pub org_id: Uuid,
    pub customer_id: Uuid,
    pub kind: String,
    /// What lookups compare. The server stores a keyed hash of the value here (a blind
    /// index) and the value itself, sealed, in `sealed`; rows from before that hold the
    /// value in clear and no `sealed`.
    pub value: String,
    pub sealed: Option<String>,
    pub created_at: OffsetDateTime,
}

/// `(id, text, customer's name)` of one message, as the re-encryption walks them.
pub type MessageTexts = (Uuid, Option<String>, Option<String>);

/// Where a contact is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactStatus {
    /// With the answer bot, before any queue: it answers from the knowledge base and
    /// hands the customer to a person (then `Waiting`) when unsure or asked.
    Bot,
    /// In a queue, possibly offered to an agent.
    Waiting,
    /// An agent accepted it; messages flow.
    Active,
    /// Ended; the agent is doing after-contact work until wrap-up.
    Wrapup,
    /// Wrapped up (or ended with no agent): finished.
    Closed,
}

impl ContactStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactStatus::Bot => "bot",
            ContactStatus::Waiting => "waiting",
            ContactStatus::Active => "active",
            ContactStatus::Wrapup => "wrapup",
            ContactStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<ContactStatus> {
        [
            ContactStatus::Bot,
            ContactStatus::Waiting,
            ContactStatus::Active,
            ContactStatus::Wrapup,
            ContactStatus::Closed,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// The conversation itself is over (no more messages).
    pub fn is_ended(self) -> bool {
        matches!(self, ContactStatus::Wrapup | ContactStatus::Closed)
    }
}

/// The channel a contact arrives on. Closed: every adapter is one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// The web chat widget.
    Chat,
    Sms,
    Whatsapp,
    Messenger,
    Email,
    /// A phone call (trunk or browser).
    Voice,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::Chat,
        Channel::Sms,
        Channel::Whatsapp,
        Channel::Messenger,
        Channel::Email,
        Channel::Voice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Chat => "chat",
            Channel::Sms => "sms",
            Channel::Whatsapp => "whatsapp",
            Channel::Messenger => "messenger",
            Channel::Email => "email",
            Channel::Voice => "voice",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One conversation with a customer on one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: Uuid,
    pub org_id: Uuid,
    pub channel: Channel,
    pub queue_id: Option<Uuid>,
    pub status: ContactStatus,
    pub customer_id: Option<Uuid>,
    pub agent_id: Option<Uuid>,
    pub topic: Option<String>,
    /// When it first entered a queue: kept across restarts and transfers.
    pub enqueued_at: OffsetDateTime,
    pub accepted_at: Option<OffsetDateTime>,
    pub ended_at: Option<OffsetDateTime>,
    pub closed_at: Option<OffsetDateTime>,
    pub wrapup_code: Option<String>,
    pub wrapup_notes: Option<String>,
    /// Sequence number of the last message (0: none yet).
    pub last_seq: i64,
    pub customer_read_seq: i64,
    pub agent_read_seq: i64,
    /// Channel-specific data (the chat widget keeps its token hash, CSAT… here).
    pub data: Value,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sender {
    Customer,
    Agent,
    System,
    /// A supervisor who is not the contact's agent: a whisper (internal, for the agent
    /// only) or a barge (visible to the customer).
    Supervisor,
}

impl Sender {
    pub fn as_str(self) -> &'static str {
        match self {
            Sender::Customer => "customer",
            Sender::Agent => "agent",
            Sender::System => "system",
            Sender::Supervisor => "supervisor",
        }
    }

    pub fn parse(s: &str) -> Option<Sender> {
        [
            Sender::Customer,
            Sender::Agent,
            Sender::System,
            Sender::Supervisor,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One message of a conversation; `seq` counts from 1 per contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: Uuid,
    pub org_id: Uuid,
    pub contact_id: Uuid,
    pub seq: i64,
    pub sender: Sender,
    pub author_id: Option<Uuid>,
    pub author_name: Option<String>,
    pub text: Option<String>,
    /// Attachment metadata `{id, name, content_type, size}` when the message carries a file.
    pub attachment: Option<Value>,
    /// Internal notes are for staff only, never shown to the customer.
    pub internal: bool,
    /// The sender's idempotency key, unique per contact.
    pub client_id: Option<String>,
    pub at: OffsetDateTime,
    /// Sent as a provider's approved template rather than free text (`text` is the
    /// template as the customer reads it).
    pub template: Option<MessageTemplate>,
    /// Personal data masked out of `text`, in order (empty when there was none).
    pub pii: Vec<HiddenValue>,
}

/// One piece of personal data masked out of a message's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HiddenValue {
    /// `card`, `ssn`, `iban`, `phone`, `email`.
    pub kind: String,
    /// What the text shows in its place (`[card ending 4242]`).
    pub mask: String,
    /// The value sealed with the center's key; `None` where it is never kept (cards).
    pub sealed: Option<String>,
}

/// An approved template a message was sent as: WhatsApp's way of writing first, or again
/// after its 24-hour reply window closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageTemplate {
    pub name: String,
    /// The template's language code as approved (`en_US`).
    pub language: String,
    /// The values of its `{{1}}`, `{{2}}`, … in order.
    pub params: Vec<String>,
}

/// Where an outbound message stands with its channel. A receipt may move a delivery
/// forward, never back ([`DeliveryStatus::rank`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Durable in the outbox, not yet handed to the channel.
    Queued,
    /// The channel (provider, or the customer's conversation feed) has it.
    Sent,
    /// The customer's device has it.
    Delivered,
    /// The customer has read it.
    Read,
    /// Given up: the reason is in [`Delivery::error`].
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 5] = [
        DeliveryStatus::Queued,
        DeliveryStatus::Sent,
        DeliveryStatus::Delivered,
        DeliveryStatus::Read,
        DeliveryStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Queued => "queued",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        DeliveryStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How far along it is. A delivery only moves to a status of a higher or equal
    /// rank (the store enforces it): a late "sent" never undoes "delivered", and a
    /// failure reported after delivery is ignored. `Failed` ranks above `Sent` (a
    /// provider reports "undelivered" after accepting) and below `Delivered`.
    pub fn rank(self) -> i32 {
        match self {
            DeliveryStatus::Queued => 0,
            DeliveryStatus::Sent => 1,
            DeliveryStatus::Failed => 2,
            DeliveryStatus::Delivered => 3,
            DeliveryStatus::Read => 4,
        }
    }
}

/// One outbound message in the outbox: written in the same commit as the message, then
/// moved along by its channel's transport and by the provider's receipts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// The message's id: one delivery per outbound message.
    pub message_id: Uuid,
    pub org_id: Uuid,
    pub contact_id: Uuid,
    pub seq: i64,
    pub channel: Channel,
    pub status: DeliveryStatus,
    /// Send attempts made so far.
    pub attempts: i32,
    /// When to try (again), Unix milliseconds; `None` once nothing is left to send.
    pub next_attempt_ms: Option<i64>,
    /// The provider's id of the sent message (receipts name it).
    pub provider_message_id: Option<String>,
    /// The last failure, as the provider or the transport gave it.
    pub error: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A stored file's metadata; the bytes are read with `Store::attachment_data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: Uuid,
    pub org_id: Uuid,
    pub contact_id: Uuid,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    pub created_at: OffsetDateTime,
}

/// A remembered answer to a create carrying an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub org_id: Uuid,
    pub key: String,
    /// A hash of the method, path and body: the same key with another request is refused.
    pub request_hash: String,
    pub status: i32,
    pub body: Value,
    pub created_at: OffsetDateTime,
}

/// One entry of the append-only log. `seq` is global and strictly increasing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: i64,
    pub org_id: Uuid,
    pub at: OffsetDateTime,
    pub kind: String,
    pub data: Value,
    /// Its link in the organisation's hash chain ([`crate::chain`]); `None` for events
    /// from before the chain.
    pub hash: Option<String>,
}

/// An event to append; the store gives it its `seq`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    pub org_id: Uuid,
    pub at: OffsetDateTime,
    pub kind: String,
    pub data: Value,
}

/// One write. A `Vec<Change>` submitted together commits atomically, or not at all.
#[derive(Debug, Clone)]
pub enum Change {
    Event(NewEvent),
    PutOrg(Org),
    PutUser(User),
    PutSession(Session),
    DeleteSession {
        token_hash: String,
    },
    /// "Log out everywhere".
    DeleteUserSessions {
        org_id: Uuid,
        user_id: Uuid,
    },
    PutApiToken(ApiToken),
    /// Insert or replace (by id). A second object of the same kind and name is a conflict.
    PutObject(Object),
    DeleteObject {
        org_id: Uuid,
        kind: ObjectKind,
        id: Uuid,
    },
    PutCustomer(Customer),
    /// Insert only: a second identity with the same kind and value is a conflict.
    PutIdentity(Identity),
    PutContact(Contact),
    /// Insert only: a repeated `(contact_id, seq)` or `(contact_id, client_id)` is a conflict.
    PutMessage(Message),
    PutAttachment {
        meta: Attachment,
        data: Vec<u8>,
    },
    /// Insert only: a repeated key is a conflict.
    PutIdempotency(IdempotencyRecord),
    /// Insert or replace (by message id, within the organisation).
    PutDelivery(Delivery),
    /// Insert only: a second key with the same id is a conflict (another process made it).
    PutDataKey(DataKey),
    /// Replace the wrapped form of an existing data key (master-key rotation).
    RewrapDataKey(DataKey),
    /// Replace the stored text of one message (re-encryption under a newer key).
    ResealMessage {
        org_id: Uuid,
        id: Uuid,
        text: Option<String>,
        /// A customer's message also names them: replaced when `Some`.
        author_name: Option<String>,
    },
    /// Replace the stored personal fields of one customer (sealing, re-encryption).
    ResealCustomer {
        org_id: Uuid,
        id: Uuid,
        name: String,
        email: Option<String>,
        data: Value,
    },
    /// Replace one identity's lookup value and sealed value (sealing, re-encryption).
    /// `kind` is the identity's own (unchanged): the writer learns the new value.
    ResealIdentity {
        org_id: Uuid,
        id: Uuid,
        kind: String,
        value: String,
        sealed: String,
    },
    /// Replace a contact's `data` if it still is `before` (the live state may have changed
    /// it since it was read; then this does nothing and a later pass seals it).
    ResealContactData {
        org_id: Uuid,
        id: Uuid,
        before: Value,
        data: Value,
    },
    /// Replace the stored bytes of one attachment (re-encryption under a newer key).
    ResealAttachment {
        org_id: Uuid,
        id: Uuid,
        data: Vec<u8>,
    },
    /// Delete one customer and everything about them: their identities, contacts, the
    /// contacts' messages, attachments and deliveries, and the idempotency records whose
    /// answer names them. The counts come back in [`Committed::erased`].
    EraseCustomer {
        org_id: Uuid,
        customer_id: Uuid,
    },
    /// Delete closed contacts (with their messages, attachments, deliveries and the
    /// idempotency records that name them); counts in [`Committed::erased`].
    EraseContacts {
        org_id: Uuid,
        contact_ids: Vec<Uuid>,
    },
    /// Customer `from` is the same person as `into`: every identity and contact of
    /// `from` becomes `into`'s, `from`'s row is deleted and a redirect from it to `into`
    /// is kept (earlier redirects to `from` now point at `into`), so that a read of
    /// `from` can say where it went ([`crate::Store::get_customer_merge`]).
    MergeCustomer {
        org_id: Uuid,
        from: Uuid,
        into: Uuid,
    },
    /// Move these identities and contacts of customer `from` to customer `into` (a new
    /// customer, written before it in the same list). Rows no longer `from`'s are left.
    SplitCustomer {
        org_id: Uuid,
        from: Uuid,
        into: Uuid,
        identity_ids: Vec<Uuid>,
        contact_ids: Vec<Uuid>,
    },
}

impl Change {
    /// An erasure: written in its list's order, never gathered with the hot tables'
    /// rows of other lists (which are written after everything else).
    pub fn is_erasure(&self) -> bool {
        matches!(
            self,
            Change::EraseCustomer { .. } | Change::EraseContacts { .. }
        )
    }

    /// A change that must be written in its list's order, after every change submitted
    /// before it (an erasure, a customer's merge or split: they rewrite rows that an
    /// earlier list of the same batch may still be writing).
    pub fn in_order(&self) -> bool {
        self.is_erasure()
            || matches!(
                self,
                Change::MergeCustomer { .. } | Change::SplitCustomer { .. }
            )
    }
}

/// One of an organisation's data keys, wrapped by the center's master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataKey {
    pub org_id: Uuid,
    /// 1, 2, …: the highest is the one new writes use.
    pub key_id: i32,
    /// The key sealed by the master key (or a KMS): never the key itself.
    pub wrapped: String,
    pub created_at: OffsetDateTime,
}

/// What the group-commit writer has done since the store opened, for metrics and
/// benchmarks: how full its transactions are and how much of the time it is working
/// (a writer busy all the time is the bottleneck; an idle one is waiting for requests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Transactions (committed or not).
    pub batches: u64,
    /// Submissions they carried.
    pub submissions: u64,
    /// Time spent in transactions rather than waiting for work, in nanoseconds.
    pub busy_ns: u64,
}

impl WriterStats {
    /// What happened between `before` and `self`.
    pub fn since(self, before: WriterStats) -> WriterStats {
        WriterStats {
            batches: self.batches.saturating_sub(before.batches),
            submissions: self.submissions.saturating_sub(before.submissions),
            busy_ns: self.busy_ns.saturating_sub(before.busy_ns),
        }
    }
}

/// What a committed submission produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Committed {
    /// The sequence numbers of its `Change::Event`s, in order.
    pub event_seqs: Vec<i64>,
    /// What its erasures deleted: `(table, rows)`, added up over the submission.
    pub erased: Vec<(&'static str, u64)>,
}

impl Committed {
    fn count(&mut self, table: &'static str, n: u64) {
        match self.erased.iter_mut().find(|(t, _)| *t == table) {
            Some((_, c)) => *c += n,
            None => self.erased.push((table, n)),
        }
    }

    /// Adds `n` rows of `table` to [`Committed::erased`].
    pub fn add_erased(&mut self, table: &'static str, n: u64) {
        self.count(table, n)
    }
}

/// A page of results and where the next page starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<Uuid>,
}

/// Which page to read: items with an id after `after`, at most `limit` of them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageRequest {
    pub after: Option<Uuid>,
    pub limit: u32,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            after: None,
            limit: 100,
        }
    }
}

/// Filter for listing contacts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactFilter {
    pub status: Option<ContactStatus>,
    pub queue_id: Option<Uuid>,
    pub agent_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
}
