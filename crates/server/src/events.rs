//! The events: one serde-tagged type for what happens to contacts, agents, the
//! configuration, users and access, each with the [`Actor`] who caused it, written to
//! the store's log in the same commit as the rows they describe.
//!
//! The tag is the log's `kind` column (`contact.created`, `routing`, …) and the rest of
//! the JSON its `data`, so the log stays readable by SQL and by older readers (the
//! adherence report reads `agent.state`). [`LiveEvent::Routing`] carries the routing
//! engine's own events: replaying them is how a restarted server rebuilds each
//! organisation's engine ([`crate::live`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::{Change, Channel, NewEvent};
use time::OffsetDateTime;
use uuid::Uuid;

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A signed-in staff member.
    User { id: Uuid },
    /// An integration acting through an API token (for the user who owns it); `by` is
    /// the admin who minted it when it is an impersonation.
    ApiToken {
        id: Uuid,
        user_id: Uuid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<Uuid>,
    },
    /// The customer of the contact.
    Customer,
    /// The server itself: timers, routing, recovery.
    System,
}

impl Actor {
    /// The staff member behind the change, if any.
    pub fn user_id(self) -> Option<Uuid> {
        match self {
            Actor::User { id } => Some(id),
            Actor::ApiToken { user_id, .. } => Some(user_id),
            Actor::Customer | Actor::System => None,
        }
    }
}

impl From<&crate::auth::Auth> for Actor {
    fn from(a: &crate::auth::Auth) -> Actor {
        match &a.via {
            crate::auth::Via::Token { id, by, .. } => Actor::ApiToken {
                id: *id,
                user_id: a.user.id,
                by: *by,
            },
            crate::auth::Via::Session { .. } => Actor::User { id: a.user.id },
        }
    }
}

/// A phone number as events keep it: its last four digits only. Events are
/// hash-chained and cannot be rewritten when a customer is erased, so they carry ids and
/// no personal data (the opt-out itself is a row, which can be deleted).
pub fn phone_tail(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("…{tail}")
}

/// The `kind` of the routing engine's records in the log.
pub const ROUTING: &str = "routing";

/// Something that happened in the live core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum LiveEvent {
    #[serde(rename = "contact.created")]
    ContactCreated {
        contact_id: Uuid,
        queue_id: Uuid,
        channel: Channel,
        customer_id: Uuid,
    },
    #[serde(rename = "message.appended")]
    MessageAppended {
        contact_id: Uuid,
        seq: i64,
        message_id: Uuid,
        from: String,
        #[serde(default)]
        channel: Option<Channel>,
    },
    #[serde(rename = "contact.ended")]
    ContactEnded { contact_id: Uuid },
    #[serde(rename = "contact.closed")]
    ContactClosed {
        contact_id: Uuid,
        code: Option<String>,
        /// `wrapped_up`, `abandoned`, `expired`.
        reason: String,
        #[serde(default)]
        channel: Option<Channel>,
        #[serde(default)]
        queue_id: Option<Uuid>,
    },
    /// An agent's presence changed (the adherence report reads these).
    #[serde(rename = "agent.state")]
    AgentState {
        agent_id: Uuid,
        /// `available`, `break`, `offline`.
        state: String,
        reason: Option<String>,
    },
    /// An outbound message moved on with its channel (sent, delivered, read, failed).
    #[serde(rename = "message.delivery")]
    MessageDelivery {
        contact_id: Uuid,
        message_id: Uuid,
        channel: Channel,
        status: store::DeliveryStatus,
        attempts: i32,
        error: Option<String>,
    },
    // ---- Who changed the organisation, its users, access and configuration ----
    #[serde(rename = "org.created")]
    OrgCreated { slug: String, name: String },
    #[serde(rename = "org.updated")]
    OrgUpdated { mfa_required: bool },
    #[serde(rename = "org.mfa_required")]
    OrgMfaRequired { required: bool },
    #[serde(rename = "user.created")]
    UserCreated { user_id: Uuid, role: store::Role },
    #[serde(rename = "user.updated")]
    UserUpdated { user_id: Uuid },
    /// A user made by the organisation's identity provider: `source` is `oidc` (just in
    /// time, at their first sign-in; the actor is the system) or `scim` (provisioned;
    /// the actor is the SCIM token).
    #[serde(rename = "user.provisioned")]
    UserProvisioned {
        user_id: Uuid,
        role: store::Role,
        source: String,
    },
    /// The identity provider changed a user (`source` as above): their role from their
    /// groups, their name, or whether they may sign in (`disabled`).
    #[serde(rename = "user.synced")]
    UserSynced {
        user_id: Uuid,
        role: store::Role,
        disabled: bool,
        source: String,
    },
    /// The organisation's single sign-on settings changed (never the secret).
    #[serde(rename = "sso.configured")]
    SsoConfigured { enabled: bool, issuer: String },
    #[serde(rename = "user.mfa_reset")]
    UserMfaReset { user_id: Uuid },
    #[serde(rename = "user.unlocked")]
    UserUnlocked { user_id: Uuid, was_locked: bool },
    /// A token minted; for someone other than the actor it is an impersonation, which
    /// always expires (`expires_at`, Unix seconds).
    #[serde(rename = "token.created")]
    TokenCreated {
        token_id: Uuid,
        user_id: Uuid,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        impersonation: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at: Option<i64>,
    },
    #[serde(rename = "token.revoked")]
    TokenRevoked { token_id: Uuid },
    /// A staff member (the actor) read customer data: `what` is `contact`,
    /// `transcript`, `customer` or `attachment`, `id` its id. Recorded before the
    /// answer is sent.
    #[serde(rename = "audit.read")]
    Read { what: String, id: Uuid },
    /// A staff member exported customer data in bulk (`what`: `report_contacts`, the
    /// reports' one row per contact), with the filter that chose the rows (ids and
    /// dates only), written before the first row is sent.
    #[serde(rename = "audit.export")]
    Export { what: String, filter: String },
    /// Personal data masked out of a customer's message shown to a staff member (the
    /// actor), with the reason they gave.
    #[serde(rename = "pii.revealed")]
    PiiRevealed {
        contact_id: Uuid,
        seq: i64,
        kinds: Vec<String>,
        reason: String,
    },
    /// A customer erased on request (the actor is the admin): their rows are deleted;
    /// events keep only ids, so nothing personal stays in the log.
    #[serde(rename = "customer.erased")]
    CustomerErased { customer_id: Uuid, reason: String },
    /// Customer `from` is the same person as `customer_id` (the actor said so): every
    /// identity and contact of `from` is now `customer_id`'s, and `from` is gone.
    #[serde(rename = "customer.merged")]
    CustomerMerged {
        customer_id: Uuid,
        from: Uuid,
        identities: Vec<Uuid>,
        contacts: Vec<Uuid>,
    },
    /// Identities and contacts of `customer_id` moved to a new customer, `into`
    /// (a wrong merge undone, two people behind one customer).
    #[serde(rename = "customer.split")]
    CustomerSplit {
        customer_id: Uuid,
        into: Uuid,
        identities: Vec<Uuid>,
        contacts: Vec<Uuid>,
    },
    /// The retention job deleted closed contacts older than their period.
    #[serde(rename = "retention.run")]
    RetentionRun {
        contacts: u64,
        messages: u64,
        attachments: u64,
    },
    /// A raised hand: raised by the agent, taken by a supervisor (the actor), closed.
    /// `text` (raised only) is the agent's line with personal data masked.
    #[serde(rename = "help")]
    Help {
        request_id: Uuid,
        action: crate::supervise::HelpAction,
        agent_id: Uuid,
        #[serde(default)]
        contact_id: Option<Uuid>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    /// A supervisor (the actor) monitored, joined (`barge`) or took over (`take_over`)
    /// a conversation held by `agent_id`, or changed a contact's priority
    /// (`priority`, with the new value and the reason given).
    #[serde(rename = "supervision")]
    Supervision {
        contact_id: Uuid,
        agent_id: Option<Uuid>,
        action: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        priority: Option<u8>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A sign-in (the actor is the user).
    #[serde(rename = "auth.login")]
    Login { user_id: Uuid },
    /// A refused sign-in for this user's email (the actor is the system: nobody proved
    /// who they were).
    #[serde(rename = "auth.login_failed")]
    LoginFailed { user_id: Uuid },
    /// A sign-in through the organisation's identity provider (the actor is the
    /// user): its issuer and subject, and whether it reported a second factor.
    #[serde(rename = "auth.sso_login")]
    SsoLogin {
        user_id: Uuid,
        issuer: String,
        subject: String,
        mfa: bool,
    },
    /// A sign-in through the identity provider that Homeshore refused after the
    /// provider vouched for the person (`reason`: `no_access`, `disabled`,
    /// `no_account`, `mfa_required`); the actor is the system.
    #[serde(rename = "auth.sso_refused")]
    SsoRefused {
        user_id: Option<Uuid>,
        email: String,
        reason: String,
    },
    #[serde(rename = "auth.mfa_enabled")]
    MfaEnabled { user_id: Uuid },
    /// A configuration object (queue, skill, policy…) was created or replaced.
    #[serde(rename = "object.put")]
    ObjectPut { kind: String, id: Uuid },
    #[serde(rename = "object.deleted")]
    ObjectDeleted { kind: String, id: Uuid },
    /// A knowledge-base article's draft became its published version (`revision`: the
    /// draft's number), or it was withdrawn from the help center and the bot.
    #[serde(rename = "kb.published")]
    KbPublished { article_id: Uuid, revision: u32 },
    #[serde(rename = "kb.unpublished")]
    KbUnpublished { article_id: Uuid },
    /// A staff member flagged an article as wrong or outdated, or a question as having
    /// no article (`article_id` none), from a conversation (`contact_id`); the note
    /// has personal data masked.
    #[serde(rename = "kb.flagged")]
    KbFlagged {
        flag_id: Uuid,
        article_id: Option<Uuid>,
        reason: String,
        note: String,
        contact_id: Option<Uuid>,
    },
    /// The answer bot answered a customer with an article ([`crate::bot`]).
    #[serde(rename = "bot.answered")]
    BotAnswered { contact_id: Uuid, article_id: Uuid },
    /// The answer bot handed a customer to a person: why, and the topic it detected.
    #[serde(rename = "bot.handover")]
    BotHandover {
        contact_id: Uuid,
        reason: crate::bot::Reason,
        topic: Option<String>,
    },
    /// A guided action of the answer bot ended (`answered`, `failed` with why, or
    /// `gave_up`: the customer could not give what it asks).
    #[serde(rename = "bot.action")]
    BotAction {
        contact_id: Uuid,
        action: String,
        outcome: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// A conversation with the answer bot ended without a person: `self_served` when
    /// the bot had answered, `left_bot` when it never had.
    #[serde(rename = "bot.closed")]
    BotClosed { contact_id: Uuid, reason: String },
    /// An agent's routing profile (skills, capacity) changed.
    #[serde(rename = "agent.profile")]
    AgentProfile { agent_id: Uuid },
    /// Where a channel's outbound messages go changed.
    #[serde(rename = "channel_endpoint.put")]
    ChannelEndpointPut { channel: Channel },
    #[serde(rename = "channel_endpoint.deleted")]
    ChannelEndpointDeleted { channel: Channel },
    /// An alert rule's figure went past its threshold for a queue ([`crate::alerts`]).
    #[serde(rename = "alert.raised")]
    AlertRaised {
        rule: String,
        queue_id: Uuid,
        value: f64,
        threshold: f64,
        /// The change's id, which its webhook attempts name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<Uuid>,
        /// The alert as the webhook is told of it (sent again after a restart).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alert: Option<crate::alerts::ActiveAlert>,
    },
    /// It came back within its threshold (or its rule was removed).
    #[serde(rename = "alert.cleared")]
    AlertCleared {
        rule: String,
        queue_id: Uuid,
        value: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<Uuid>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alert: Option<crate::alerts::ActiveAlert>,
    },
    /// One attempt at calling the alerts' webhook (`alert`: `alert.raised` or
    /// `alert.cleared`).
    #[serde(rename = "alert.webhook")]
    AlertWebhook {
        rule: String,
        queue_id: Uuid,
        alert: String,
        /// The `id` of the change it delivers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alert_id: Option<Uuid>,
        attempt: u32,
        ok: bool,
        status: Option<u16>,
        error: Option<String>,
    },
    /// A staff member (the actor; the server for a scheduled digest) had the words of
    /// one week's customer messages counted for Insight (`week`: its Monday, `from` and
    /// `to` in Unix ms): `conversations` read, nothing of them kept but counts.
    #[serde(rename = "insight.terms")]
    InsightTerms {
        week: String,
        from: i64,
        to: i64,
        conversations: u32,
    },
    /// A weekly digest was sent to the organisation's webhook (`trigger`: `schedule`
    /// or `manual`); its attempts name its `id`.
    #[serde(rename = "insight.digest")]
    InsightDigest {
        id: Uuid,
        week: String,
        trigger: String,
    },
    /// One attempt at calling the digest's webhook.
    #[serde(rename = "insight.webhook")]
    InsightWebhook {
        digest_id: Uuid,
        week: String,
        attempt: u32,
        ok: bool,
        status: Option<u16>,
        error: Option<String>,
    },
    /// A phone number texted STOP, or START again.
    /// `phone`: its last four digits ([`phone_tail`]).
    #[serde(rename = "sms.opted_out")]
    SmsOptedOut { phone: String },
    #[serde(rename = "sms.opted_in")]
    SmsOptedIn { phone: String },
    /// A customer rated their contact.
    #[serde(rename = "contact.csat")]
    ContactCsat {
        contact_id: Uuid,
        queue_id: Option<Uuid>,
        agent_id: Option<Uuid>,
        rating: i64,
    },
    /// An agent's offered hours changed.
    #[serde(rename = "wfm.preferences")]
    WfmPreferences { user_id: Uuid },
    /// A week's staffing requirement was saved (entered or forecast).
    #[serde(rename = "wfm.requirement")]
    WfmRequirement { week: String, source: String },
    #[serde(rename = "wfm.schedule.generated")]
    WfmScheduleGenerated {
        schedule_id: Uuid,
        week: String,
        shifts: usize,
        shortfall: f64,
        lower_bound: f64,
    },
    #[serde(rename = "wfm.schedule.published")]
    WfmSchedulePublished { schedule_id: Uuid, week: String },
    #[serde(rename = "wfm.open_shift.taken")]
    WfmOpenShiftTaken {
        schedule_id: Uuid,
        shift_id: Uuid,
        user_id: Uuid,
    },
    #[serde(rename = "wfm.extra_hours.accepted")]
    WfmExtraHoursAccepted {
        schedule_id: Uuid,
        shift_id: Uuid,
        user_id: Uuid,
        intervals: u32,
    },
    #[serde(rename = "wfm.swap.offered")]
    WfmSwapOffered {
        schedule_id: Uuid,
        shift_id: Uuid,
        user_id: Uuid,
    },
    #[serde(rename = "wfm.swap.withdrawn")]
    WfmSwapWithdrawn {
        schedule_id: Uuid,
        shift_id: Uuid,
        user_id: Uuid,
    },
    #[serde(rename = "wfm.swap.taken")]
    WfmSwapTaken {
        schedule_id: Uuid,
        shift_id: Uuid,
        from_user_id: Uuid,
        user_id: Uuid,
    },
    /// One command's worth of routing-engine events. `offer_ids` gives, in order, the
    /// server's id of each `contact_offered` among them.
    #[serde(rename = "routing")]
    Routing {
        events: Vec<routing::Event>,
        #[serde(default)]
        offer_ids: Vec<Uuid>,
    },
}

#[derive(Serialize, Deserialize)]
struct Record {
    actor: Actor,
    #[serde(flatten)]
    event: LiveEvent,
}

impl LiveEvent {
    /// The change that appends this event to the organisation's log.
    pub fn change(self, org: Uuid, at: OffsetDateTime, actor: Actor) -> Change {
        let mut v = serde_json::to_value(Record { actor, event: self }).unwrap_or(Value::Null);
        let kind = v
            .as_object_mut()
            .and_then(|m| m.remove("type"))
            .and_then(|t| t.as_str().map(str::to_string))
            .unwrap_or_default();
        Change::Event(NewEvent {
            org_id: org,
            at,
            kind,
            data: v,
        })
    }

    /// Reads an event back from the log; `None` for kinds this type does not describe.
    pub fn parse(e: &store::Event) -> Option<(Actor, LiveEvent)> {
        let mut data = e.data.clone();
        data.as_object_mut()?
            .insert("type".into(), Value::String(e.kind.clone()));
        let r: Record = serde_json::from_value(data).ok()?;
        Some((r.actor, r.event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_log_shape() {
        let org = Uuid::now_v7();
        let at = store::now();
        let ev = LiveEvent::AgentState {
            agent_id: Uuid::now_v7(),
            state: "break".into(),
            reason: Some("lunch".into()),
        };
        let actor = Actor::User { id: Uuid::now_v7() };
        let Change::Event(ne) = ev.clone().change(org, at, actor) else {
            panic!("not an event")
        };
        // The adherence report's reading of `agent.state` keeps working.
        assert_eq!(ne.kind, "agent.state");
        assert_eq!(ne.data["state"], "break");
        let stored = store::Event {
            seq: 1,
            org_id: org,
            at,
            kind: ne.kind,
            data: ne.data,
            hash: None,
        };
        assert_eq!(LiveEvent::parse(&stored), Some((actor, ev)));
    }

    #[test]
    fn unknown_kinds_are_not_live_events() {
        let stored = store::Event {
            seq: 1,
            org_id: Uuid::now_v7(),
            at: store::now(),
            kind: "object.put".into(),
            data: serde_json::json!({"kind": "queue"}),
            hash: None,
        };
        assert_eq!(LiveEvent::parse(&stored), None);
    }
}
