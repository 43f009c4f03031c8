//! The authorization matrix: every operation of the OpenAPI document × every caller
//! (admin, supervisor, agent, analyst, anonymous, an admin of another organisation),
//! with path ids of the caller's organisation, then every role with ids of another
//! organisation. The expectations are the table below; an operation of the document
//! that the table does not list fails the test (decide who may call it, add a row).
//!
//! Rules the table encodes:
//! - anonymous → 401 (except the public operations);
//! - a role the operation is not for → 403;
//! - an allowed role → the row's status (some allowed roles get a specific refusal, like
//!   an offer made to someone else: listed per row);
//! - an id of another organisation → 404 (403 is accepted only where the role is refused
//!   anyway) — never 2xx, never 500;
//! - the other organisation's admin calling operations without ids gets answers about
//!   its own organisation only: no id of the first organisation appears in them.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};
use store::Role;
use uuid::Uuid;

use crate::common::{self, Client, Org, Server, fill};

use Role::{Admin, Agent, Analyst, Supervisor};

const ALL: &[Role] = &[Admin, Supervisor, Agent, Analyst];
const HANDLERS: &[Role] = &[Admin, Supervisor, Agent];
const MANAGERS: &[Role] = &[Admin, Supervisor];
const ADMIN: &[Role] = &[Admin];
const AGENT: &[Role] = &[Agent];
/// Reached without authentication.
const PUBLIC: &[Role] = &[];

/// Which id fills the path's `{…}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Id {
    None,
    /// An active contact of the organisation's agent.
    Contact,
    /// Like `Contact`, but a new one once a call succeeded (the call uses it up).
    FreshContact,
    /// A contact the agent ended, waiting for its wrap-up (new after each success).
    EndedContact,
    /// An offer pending for the organisation's agent (new after each success).
    Offer,
    Customer,
    /// The agent (a user with an agent profile).
    AgentUser,
    /// A user other than the callers.
    TargetUser,
    Object(&'static str),
    /// An object of this kind, new after each success (deletes).
    FreshObject(&'static str),
    /// An API token, new after each success (revokes).
    FreshToken,
    /// A hand the agent raised, new after each success (take, close).
    FreshHelp,
}

type BodyFn = fn(&Fx, u64) -> Value;

struct Row {
    method: &'static str,
    path: String,
    /// Roles the operation is for; `PUBLIC`: everyone, signed in or not.
    allow: &'static [Role],
    /// What an allowed role gets.
    ok: u16,
    /// Allowed roles that get something else, and what.
    except: &'static [(Role, u16)],
    /// What the other organisation's admin gets (operations without ids; default: what
    /// an admin gets) — used when the body names the first organisation's objects.
    other: Option<u16>,
    id: Id,
    body: Option<BodyFn>,
}

fn row(
    method: &'static str,
    path: &str,
    allow: &'static [Role],
    ok: u16,
    id: Id,
    body: Option<BodyFn>,
) -> Row {
    Row {
        method,
        path: path.to_string(),
        allow,
        ok,
        except: &[],
        other: None,
        id,
        body,
    }
}

impl Row {
    fn except(mut self, e: &'static [(Role, u16)]) -> Row {
        self.except = e;
        self
    }
    fn other(mut self, s: u16) -> Row {
        self.other = Some(s);
        self
    }
    fn key(&self) -> (String, String) {
        (self.method.to_string(), self.path.clone())
    }
    /// What `role` of the organisation gets with the organisation's own ids.
    fn expect(&self, role: Role) -> u16 {
        if self.allow.is_empty() {
            return self.ok;
        }
        if let Some((_, s)) = self.except.iter().find(|(r, _)| *r == role) {
            return *s;
        }
        if self.allow.contains(&role) {
            self.ok
        } else {
            403
        }
    }
}

/// Body of one kind of configuration object, named `name`.
fn object_body(kind: &str, name: &str) -> Value {
    match kind {
        "queues" => json!({"name": name, "offer_timeout_s": 3600, "public": true}),
        "routing-policies" => json!({"name": name, "expression": "skill:orders >= 1"}),
        "business-hours" => {
            json!({"name": name, "timezone": "Europe/Paris", "weekly": [{"day": 1, "open": "09:00", "close": "17:00"}]})
        }
        "canned-responses" => json!({"name": name, "text": "Hello {{customer.first_name}}"}),
        _ => json!({"name": name}),
    }
}

/// Weekdays 09:00 to 17:00.
fn hours() -> Value {
    let windows: Vec<Value> = (0..5)
        .map(|d| json!({"weekday": d, "start": "09:00", "end": "17:00"}))
        .collect();
    json!({"windows": windows, "min_week_hours": 1, "max_week_hours": 30})
}

/// The key of the organisation's knowledge-base article among the standing objects.
const KB_ARTICLE: &str = "kb-article";

/// Creates a knowledge-base article as the organisation's admin; answers its id.
async fn kb_article(s: &Server, o: &Org, title: &str) -> Uuid {
    let a = o
        .client(s, Admin)
        .post(
            "/api/kb/articles",
            &json!({"title": title, "body": "Text."}),
        )
        .await;
    assert_eq!(a.status, 201, "kb article: {}", a.text);
    a.body["id"].as_str().unwrap().parse().unwrap()
}

/// The key of the organisation's schedule among the standing objects.
const SCHEDULE: &str = "wfm-schedule";

const KINDS: &[&str] = &[
    "queues",
    "skills",
    "routing-policies",
    "wrapup-codes",
    "business-hours",
    "canned-responses",
];

/// The name of each kind's standing object (the queue is the organisation's "Help").
fn standing_name(kind: &str) -> &'static str {
    match kind {
        "queues" => "Help",
        "wrapup-codes" => "resolved",
        _ => "Standing",
    }
}

fn table() -> Vec<Row> {
    let mut t = vec![
        // auth
        row("POST", "/api/auth/login", PUBLIC, 200, Id::None, Some(|f, _| json!({"org": f.slug, "email": f.analyst_email, "password": common::PASSWORD}))),
        row("POST", "/api/auth/logout", ALL, 204, Id::None, None),
        row("POST", "/api/auth/logout-all", ALL, 204, Id::None, None),
        row("GET", "/api/me", ALL, 200, Id::None, None),
        // Tokens never lock: only a browser session does.
        row("POST", "/api/auth/reauth", ALL, 400, Id::None, Some(|_, _| json!({"password": common::PASSWORD}))),
        row("POST", "/api/auth/mfa/enrol", ALL, 200, Id::None, None),
        // A wrong code: refused for what it is, after authorization.
        row("POST", "/api/auth/mfa/verify", ALL, 422, Id::None, Some(|_, _| json!({"code": "000000"}))),
        row("POST", "/api/auth/mfa/disable", ALL, 422, Id::None, Some(|_, _| json!({"code": "000000"}))),
        row("POST", "/api/auth/password", ALL, 204, Id::None, Some(|_, _| json!({"current_password": common::PASSWORD, "new_password": common::PASSWORD}))),
        // contacts
        row("GET", "/api/contacts", ALL, 200, Id::None, None),
        // The body names the first organisation's queue: another organisation has no such queue.
        row("POST", "/api/contacts", MANAGERS, 201, Id::None, Some(|f, n| json!({"channel": "chat", "queue_id": f.queue, "customer": {"name": format!("Cora {n}")}}))).other(422),
        row("GET", "/api/contacts/{id}", ALL, 200, Id::Contact, None),
        row("GET", "/api/contacts/{id}/messages", ALL, 200, Id::Contact, None),
        row("POST", "/api/contacts/{id}/messages", HANDLERS, 201, Id::Contact, Some(|_, n| json!({"client_id": format!("m-{n}"), "text": "On it."}))),
        row("GET", "/api/contacts/{id}/templates", HANDLERS, 200, Id::Contact, None),
        // A file is multipart: a JSON body gets past the role check only to be refused.
        row("POST", "/api/contacts/{id}/attachments", HANDLERS, 415, Id::Contact, Some(|_, _| json!({}))),
        row("POST", "/api/contacts/{id}/messages/{seq}/reveal", HANDLERS, 200, Id::Contact, Some(|_, _| json!({"reason": "customer asked for a call back"}))),
        row("POST", "/api/contacts/{id}/transfer", HANDLERS, 200, Id::FreshContact, Some(|f, _| json!({"queue_id": f.queue}))),
        row("POST", "/api/contacts/{id}/end", HANDLERS, 200, Id::FreshContact, None),
        row("POST", "/api/contacts/{id}/wrapup", HANDLERS, 200, Id::EndedContact, Some(|_, _| json!({"code": "resolved", "notes": "done"}))),
        // Read marks and typing are the assigned agent's own.
        row("POST", "/api/contacts/{id}/read", AGENT, 204, Id::Contact, Some(|_, _| json!({"up_to_seq": 1}))),
        row("POST", "/api/contacts/{id}/typing", AGENT, 204, Id::Contact, Some(|_, _| json!({"typing": true}))),
        // Presence is for users with an agent profile.
        row("PUT", "/api/agent/state", AGENT, 200, Id::None, Some(|_, _| json!({"state": "available"}))),
        row("GET", "/api/offers", HANDLERS, 200, Id::None, None),
        // An offer is its agent's: others who could take offers do not find it.
        row("POST", "/api/offers/{id}/accept", HANDLERS, 200, Id::Offer, None).except(&[(Admin, 404), (Supervisor, 404)]),
        row("POST", "/api/offers/{id}/reject", HANDLERS, 204, Id::Offer, None).except(&[(Admin, 404), (Supervisor, 404)]),
        row("GET", "/api/customers/{id}", ALL, 200, Id::Customer, None),
        // The fixture's customer has an open contact: an admin's erasure is refused.
        row("POST", "/api/customers/{id}/erase", ADMIN, 409, Id::Customer, Some(|_, _| json!({"reason": "erasure request"}))),
        row("GET", "/api/customers", HANDLERS, 200, Id::None, None),
        row("GET", "/api/customers/{id}/history", ALL, 200, Id::Customer, None),
        // Merging the fixture's customer into itself, or splitting nothing off: refused
        // as invalid once the caller may act on the customer.
        row("POST", "/api/customers/{id}/merge", HANDLERS, 422, Id::Customer, Some(|fx, _| json!({"from": fx.customer}))),
        // Only the contact's agent; the fixture's customer has no phone number.
        Row { except: &[(Admin, 403), (Supervisor, 403)], ..row("POST", "/api/contacts/{id}/reach", HANDLERS, 422, Id::Contact, Some(|_, _| json!({"channel": "sms", "text": "hello"}))) },
        row("POST", "/api/customers/{id}/split", HANDLERS, 422, Id::Customer, Some(|_, _| json!({"identities": [], "contacts": []}))),
        row("GET", "/api/retention", ADMIN, 200, Id::None, None),
        row("PUT", "/api/retention", ADMIN, 200, Id::None, Some(|_, _| json!({"days": null, "channels": {}}))),
        row("GET", "/api/alerts", &[Admin, Supervisor, Analyst], 200, Id::None, None),
        row("PUT", "/api/alerts", MANAGERS, 200, Id::None, Some(|_, _| json!({"rules": []}))),
        row("GET", "/api/alerts/active", &[Admin, Supervisor, Analyst], 200, Id::None, None),
        row("GET", "/api/alerts/deliveries", MANAGERS, 200, Id::None, None),
        row("GET", "/api/protection", ADMIN, 200, Id::None, None),
        row("PUT", "/api/protection", ADMIN, 200, Id::None, Some(|_, _| json!({"attachment_roles": ["admin", "supervisor", "agent"]}))),
        // agents, users, tokens, organisation, events
        row("GET", "/api/agents", ALL, 200, Id::None, None),
        row("GET", "/api/agents/{id}", ALL, 200, Id::AgentUser, None),
        row("PUT", "/api/agents/{id}", MANAGERS, 200, Id::AgentUser, Some(|_, _| json!({"skills": [], "capacity": 50}))),
        // The supervisor console.
        row("GET", "/api/wallboard", &[Admin, Supervisor, Analyst], 200, Id::None, None),
        row("GET", "/api/help", HANDLERS, 200, Id::None, None),
        // Historical reports (the last seven days by default): never agents.
        row("GET", "/api/reports", &[Admin, Supervisor, Analyst], 200, Id::None, None),
        row("GET", "/api/reports.csv", &[Admin, Supervisor, Analyst], 200, Id::None, None),
        row("GET", "/api/reports/contacts", &[Admin, Supervisor, Analyst], 200, Id::None, None),
        row("GET", "/api/reports/contacts.csv", &[Admin, Supervisor, Analyst], 200, Id::None, None),
        // Insight: read by those who read reports; the digest's webhook is the admins'.
        row("GET", "/api/insight", &[Admin, Supervisor, Analyst], 200, Id::None, None),
        row("GET", "/api/insight/digest", &[Admin, Supervisor, Analyst], 200, Id::None, None),
        // No webhook set: refused for what it is, after authorization.
        row("POST", "/api/insight/digest/send", ADMIN, 422, Id::None, Some(|_, _| json!({}))),
        row("GET", "/api/insight/settings", ADMIN, 200, Id::None, None),
        row("PUT", "/api/insight/settings", ADMIN, 200, Id::None, Some(|_, _| json!({}))),
        row("GET", "/api/insight/deliveries", MANAGERS, 200, Id::None, None),
        // Only someone with an agent profile raises a hand.
        row("POST", "/api/help", HANDLERS, 201, Id::None, Some(|f, _| json!({"contact_id": f.contact, "text": "help"})))
            .except(&[(Admin, 403), (Supervisor, 403)])
            .other(403),
        row("POST", "/api/help/{id}/take", MANAGERS, 200, Id::FreshHelp, Some(|_, _| json!({}))),
        row("POST", "/api/help/{id}/close", HANDLERS, 204, Id::FreshHelp, Some(|_, _| json!({}))),
        row("POST", "/api/contacts/{id}/supervise", MANAGERS, 200, Id::Contact, Some(|_, _| json!({"action": "monitor"}))),
        row("PUT", "/api/agents/{id}/state", MANAGERS, 200, Id::AgentUser, Some(|_, _| json!({"state": "available", "reason": "back to work"}))),
        row("PUT", "/api/contacts/{id}/priority", MANAGERS, 200, Id::Contact, Some(|_, _| json!({"priority": 3, "reason": "check"}))),
        row("GET", "/api/contacts/{id}/routing", &[Admin, Supervisor, Analyst], 200, Id::Contact, None),
        row("GET", "/api/users", MANAGERS, 200, Id::None, None),
        row("POST", "/api/users", ADMIN, 201, Id::None, Some(|_, n| json!({"email": format!("new{n}@example.com"), "name": "New Person", "role": "agent", "password": common::PASSWORD}))),
        row("GET", "/api/users/{id}", MANAGERS, 200, Id::TargetUser, None),
        row("PATCH", "/api/users/{id}", ADMIN, 200, Id::TargetUser, Some(|_, _| json!({"name": "Tess Target"}))),
        row("POST", "/api/users/{id}/mfa/reset", ADMIN, 204, Id::TargetUser, None),
        row("POST", "/api/users/{id}/unlock", ADMIN, 200, Id::TargetUser, None),
        row("GET", "/api/auth/session", PUBLIC, 200, Id::None, None),
        row("POST", "/api/inbound", MANAGERS, 200, Id::None, Some(|f, n| json!({"channel": "sms", "from": {"kind": "phone", "value": format!("+1555{n:07}")}, "message_id": format!("SM{n}"), "text": "hi", "queue_id": f.queue}))).other(422),
        // Outbound endpoints are admins'; `{channel}` left as is is no channel, refused
        // for that after authorization.
        row("GET", "/api/channel-endpoints", ADMIN, 200, Id::None, None),
        row("PUT", "/api/channel-endpoints/{channel}", ADMIN, 422, Id::None, Some(|_, _| json!({"webhook_url": "http://127.0.0.1:9/out"}))),
        row("DELETE", "/api/channel-endpoints/{channel}", ADMIN, 422, Id::None, None),
        row("POST", "/api/channel-endpoints/{channel}/test", ADMIN, 422, Id::None, None),
        row("POST", "/api/channel-endpoints/email/fetch", ADMIN, 404, Id::None, None),
        // Providers' webhooks are signed by the provider, not signed in: `{org}` left
        // as is names no organisation.
        row("POST", "/api/webhooks/twilio/{org}/sms", PUBLIC, 404, Id::None, None),
        row("POST", "/api/webhooks/twilio/{org}/status", PUBLIC, 404, Id::None, None),
        row("GET", "/api/webhooks/whatsapp/{org}", PUBLIC, 404, Id::None, None),
        row("POST", "/api/webhooks/whatsapp/{org}", PUBLIC, 404, Id::None, None),
        row("GET", "/api/webhooks/messenger/{org}", PUBLIC, 404, Id::None, None),
        row("POST", "/api/webhooks/messenger/{org}", PUBLIC, 404, Id::None, None),
        row("POST", "/api/webhooks/email/{org}", PUBLIC, 404, Id::None, None),
        // No outbound message has the nil id: found for nobody, after authorization.
        row("POST", "/api/receipts", MANAGERS, 404, Id::None, Some(|_, _| json!({"message_id": Uuid::nil(), "status": "delivered"}))),
        row("POST", "/api/routing/preview", MANAGERS, 200, Id::None, Some(|f, _| json!({"queue_id": f.queue, "contact": {"channel": "chat"}}))).other(404),
        row("GET", "/api/tokens", ADMIN, 200, Id::None, None),
        row("POST", "/api/tokens", ADMIN, 201, Id::None, Some(|_, n| json!({"name": format!("integration {n}"), "scopes": ["read"]}))),
        row("DELETE", "/api/tokens/{id}", ADMIN, 204, Id::FreshToken, None),
        // Single sign-on: the settings are admins'; what the sign-in page asks and the
        // browser's round trip are public (`{org}` left as is names no organisation:
        // back to the sign-in page with a code).
        row("GET", "/api/sso", ADMIN, 200, Id::None, None),
        row("PUT", "/api/sso", ADMIN, 200, Id::None, Some(|_, _| json!({"enabled": false, "provider_name": "Acme ID", "issuer": "https://idp.example", "client_id": "homeshore"}))),
        row("GET", "/api/auth/sso/{org}", PUBLIC, 200, Id::None, None),
        row("GET", "/api/auth/sso/{org}/start", PUBLIC, 303, Id::None, None),
        row("GET", "/api/auth/sso/callback", PUBLIC, 303, Id::None, None),
        // SCIM answers only a token with the scim scope (tests/api/scim.rs): every staff
        // credential, an admin's included, is refused; no credential is a 401.
        row("GET", "/scim/v2/ServiceProviderConfig", ADMIN, 403, Id::None, None),
        row("GET", "/scim/v2/ResourceTypes", ADMIN, 403, Id::None, None),
        row("GET", "/scim/v2/Schemas", ADMIN, 403, Id::None, None),
        row("GET", "/scim/v2/Users", ADMIN, 403, Id::None, None),
        row("POST", "/scim/v2/Users", ADMIN, 403, Id::None, Some(|_, n| json!({"userName": format!("scim{n}@example.com")}))),
        row("GET", "/scim/v2/Users/{id}", ADMIN, 403, Id::TargetUser, None),
        row("PUT", "/scim/v2/Users/{id}", ADMIN, 403, Id::TargetUser, Some(|_, _| json!({"userName": "x@example.com"}))),
        row("PATCH", "/scim/v2/Users/{id}", ADMIN, 403, Id::TargetUser, Some(|_, _| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "active", "value": false}]}))),
        row("DELETE", "/scim/v2/Users/{id}", ADMIN, 403, Id::TargetUser, None),
        row("GET", "/api/org", ALL, 200, Id::None, None),
        row("PATCH", "/api/org", ADMIN, 200, Id::None, Some(|_, _| json!({"mfa_required": false}))),
        row("GET", "/api/events", &[Admin, Analyst], 200, Id::None, None),
        // The knowledge base: every role reads and searches; admins (and the editors
        // they name, none here) write.
        row("GET", "/api/kb/articles", ALL, 200, Id::None, None),
        row("POST", "/api/kb/articles", ADMIN, 201, Id::None, Some(|_, n| json!({"title": format!("Article {n}"), "body": "Text."}))),
        row("GET", "/api/kb/articles/{id}", ALL, 200, Id::Object(KB_ARTICLE), None),
        row("PUT", "/api/kb/articles/{id}", ADMIN, 200, Id::Object(KB_ARTICLE), Some(|_, n| json!({"title": format!("Standing {n}"), "body": "Text."}))),
        row("DELETE", "/api/kb/articles/{id}", ADMIN, 204, Id::FreshObject(KB_ARTICLE), None),
        row("POST", "/api/kb/articles/{id}/publish", ADMIN, 200, Id::Object(KB_ARTICLE), None),
        row("POST", "/api/kb/articles/{id}/unpublish", ADMIN, 200, Id::Object(KB_ARTICLE), None),
        row("GET", "/api/kb/search", ALL, 200, Id::None, None),
        // Agent assist: the conversation's agent and managers; flags from every role,
        // read by admins (and the editors they name).
        row("GET", "/api/contacts/{id}/suggestions", HANDLERS, 200, Id::Contact, None),
        row("POST", "/api/kb/flags", ALL, 201, Id::None, Some(|_, n| json!({"reason": "missing", "note": format!("question {n}")}))),
        row("GET", "/api/kb/flags", ADMIN, 200, Id::None, None),
        row("POST", "/api/kb/import", ADMIN, 201, Id::None, Some(|_, n| json!({"format": "csv", "content": format!("title,body\nImported {n},Text.\n")}))),
        row("GET", "/api/kb/settings", ADMIN, 200, Id::None, None),
        row("PUT", "/api/kb/settings", ADMIN, 200, Id::None, Some(|_, _| json!({"editors": []}))),
        // The answer bot's guided actions: admins. A slug names no object of another
        // organisation (each has its own names), so the rows say `Id::None`: the literal
        // `{slug}` is no slug (422) and names no action (404).
        row("GET", "/api/bot/actions", ADMIN, 200, Id::None, None),
        row("PUT", "/api/bot/actions/{slug}", ADMIN, 422, Id::None, Some(|_, _| json!({"title": "Order", "triggers": ["where is my order"], "url": "http://127.0.0.1:9/x", "secret": "0123456789abcdef", "reply": "ok"}))),
        row("DELETE", "/api/bot/actions/{slug}", ADMIN, 404, Id::None, None),
        row("POST", "/api/bot/actions/{slug}/try", ADMIN, 404, Id::None, Some(|_, _| json!({"values": {}}))),
        // telephony: trunks for admins, live calls for managers (the literal `{name}` is
        // no name: 422; names no trunk: 404)
        row("GET", "/api/voice/trunks", ADMIN, 200, Id::None, None),
        row("PUT", "/api/voice/trunks/{name}", ADMIN, 422, Id::None, Some(|_, _| json!({"numbers": [{"number": "+15550199", "queue_id": "00000000-0000-0000-0000-000000000000"}], "allow": ["192.0.2.1"]}))),
        row("DELETE", "/api/voice/trunks/{name}", ADMIN, 404, Id::None, None),
        row("GET", "/api/voice/status", MANAGERS, 200, Id::None, None),
        row("GET", "/api/voice/flows", ADMIN, 200, Id::None, None),
        row("POST", "/api/voice/flows/check", ADMIN, 200, Id::None, Some(|_, _| json!({"flow": {"start": "a", "steps": {"a": {"type": "hangup"}}}}))),
        row("PUT", "/api/voice/flows/{name}", ADMIN, 422, Id::None, Some(|_, _| json!({"flow": {"start": "nowhere", "steps": {}}}))),
        row("DELETE", "/api/voice/flows/{name}", ADMIN, 404, Id::None, None),
        // only the contact's own agent joins its call; this server has telephony off (409)
        Row { except: &[(Admin, 403), (Supervisor, 403)], ..row("POST", "/api/voice/calls/{id}/audio", HANDLERS, 409, Id::Contact, Some(|_, _| json!({"sdp": "v=0"}))) },
        Row { except: &[(Admin, 403), (Supervisor, 403)], ..row("POST", "/api/voice/calls/{id}/recording", HANDLERS, 409, Id::Contact, Some(|_, _| json!({"paused": true}))) },
        // A chat contact: no call to listen to (managers) or dial (its agent).
        row("POST", "/api/voice/calls/{id}/monitor", MANAGERS, 409, Id::Contact, Some(|_, _| json!({"sdp": "v=0", "mode": "listen"}))),
        row("PUT", "/api/voice/calls/{id}/monitor", MANAGERS, 409, Id::Contact, Some(|_, _| json!({"mode": "whisper"}))),
        Row { except: &[(Admin, 403), (Supervisor, 403)], ..row("POST", "/api/voice/calls/{id}/dial", HANDLERS, 409, Id::Contact, Some(|_, _| json!({"number": "+15550001"}))) },
        Row { except: &[(Admin, 403), (Supervisor, 403)], ..row("POST", "/api/voice/calls/{id}/hold", HANDLERS, 409, Id::Contact, Some(|_, _| json!({"on": true}))) },
        Row { except: &[(Admin, 403), (Supervisor, 403)], ..row("POST", "/api/voice/calls/{id}/keys", HANDLERS, 409, Id::Contact, Some(|_, _| json!({"keys": "12#"}))) },
        row("GET", "/api/voice/prompts", ADMIN, 200, Id::None, None),
        row("PUT", "/api/voice/prompts", ADMIN, 422, Id::None, None),
        row("DELETE", "/api/voice/prompts/{key}", ADMIN, 404, Id::None, None),
        row("GET", "/api/voice/prompts/{key}/audio", ADMIN, 404, Id::None, None),
        row("POST", "/api/voice/loopback", PUBLIC, 409, Id::None, Some(|_, _| json!({"sdp": "v=0"}))),
        row("POST", "/api/voice/calls", HANDLERS, 409, Id::None, Some(|f, _| json!({"number": "+15550001", "queue_id": f.queue}))).other(422),
        // a consult: the holder asks, makes it a conference and hands over; the colleague
        // asked joins; either ends it (telephony off here: 409 once the role may)
        Row { except: &[(Admin, 403), (Supervisor, 403)], ..row("POST", "/api/voice/calls/{id}/consult", HANDLERS, 409, Id::Contact, Some(|_, _| json!({"agent_id": uuid::Uuid::nil()}))) },
        Row { except: &[(Admin, 403), (Supervisor, 403)], ..row("PUT", "/api/voice/calls/{id}/consult", HANDLERS, 409, Id::Contact, Some(|_, _| json!({"conference": true}))) },
        Row { except: &[(Admin, 403), (Supervisor, 403)], ..row("POST", "/api/voice/calls/{id}/consult/complete", HANDLERS, 409, Id::Contact, None) },
        row("POST", "/api/voice/calls/{id}/consult/join", HANDLERS, 409, Id::Contact, Some(|_, _| json!({"sdp": "v=0"}))),
        row("DELETE", "/api/voice/calls/{id}/consult", HANDLERS, 409, Id::Contact, None),
        // operations
        // workforce management: agents' own hours and shifts; planning for planners
        row("GET", "/api/wfm/me/preferences", HANDLERS, 200, Id::None, None),
        row("PUT", "/api/wfm/me/preferences", HANDLERS, 200, Id::None, Some(|_, _| hours())),
        row("GET", "/api/wfm/settings", ALL, 200, Id::None, None),
        row("PUT", "/api/wfm/settings", MANAGERS, 200, Id::None, Some(|_, _| json!({"planning_zone": "America/Chicago"}))),
        row("GET", "/api/wfm/me/shifts", HANDLERS, 200, Id::None, None),
        row("GET", "/api/wfm/me/shifts.ics", HANDLERS, 200, Id::None, None),
        row("GET", "/api/wfm/me/open-shifts", HANDLERS, 200, Id::None, None),
        // No such schedule: refused for what it is, after authorization.
        row("POST", "/api/wfm/me/open-shifts", HANDLERS, 404, Id::None, Some(|_, _| json!({"schedule_id": Uuid::nil(), "start_index": 0, "len": 2}))),
        row("GET", "/api/wfm/me/extra-hours", HANDLERS, 200, Id::None, None),
        row("POST", "/api/wfm/me/extra-hours", HANDLERS, 404, Id::None, Some(|_, _| json!({"schedule_id": Uuid::nil(), "start_index": 0, "len": 1, "shift_id": Uuid::nil()}))),
        row("GET", "/api/wfm/me/swaps", HANDLERS, 200, Id::None, None),
        // No shift has these ids: found for nobody, whoever asks.
        row("POST", "/api/wfm/me/swaps", HANDLERS, 404, Id::None, Some(|_, _| json!({"shift_id": Uuid::nil()}))),
        row("DELETE", "/api/wfm/me/swaps/{id}", HANDLERS, 404, Id::Object(SCHEDULE), None),
        row("POST", "/api/wfm/me/swaps/{id}/take", HANDLERS, 404, Id::Object(SCHEDULE), None),
        row("GET", "/api/wfm/requirements", &[Admin, Supervisor, Analyst], 200, Id::None, None),
        row("POST", "/api/wfm/requirements", MANAGERS, 201, Id::None, Some(|_, _| json!({"requirement": vec![1.0; 336]}))),
        // A new organisation has no history to forecast from: refused for that, after authorization.
        row("POST", "/api/wfm/forecasts", MANAGERS, 422, Id::None, Some(|_, _| json!({}))),
        row("GET", "/api/wfm/forecast", &[Admin, Supervisor, Analyst], 200, Id::None, None),
        row("GET", "/api/wfm/schedules", &[Admin, Supervisor, Analyst], 200, Id::None, None),
        row("POST", "/api/wfm/schedules", MANAGERS, 201, Id::None, Some(|_, _| json!({}))),
        row("GET", "/api/wfm/schedules/{id}", &[Admin, Supervisor, Analyst], 200, Id::Object(SCHEDULE), None),
        row("POST", "/api/wfm/schedules/{id}/publish", MANAGERS, 200, Id::Object(SCHEDULE), None),
        row("POST", "/api/wfm/hire-plans", MANAGERS, 200, Id::None, Some(|_, _| json!({}))),
        // The fixture's week has a requirement but no expected contacts.
        row("POST", "/api/wfm/schedules/{id}/simulate", &[Admin, Supervisor, Analyst], 422, Id::Object(SCHEDULE), Some(|_, _| json!({}))),
        row("GET", "/api/wfm/adherence", MANAGERS, 200, Id::None, None),
        row("GET", "/healthz", PUBLIC, 200, Id::None, None),
        row("GET", "/readyz", PUBLIC, 200, Id::None, None),
    ];
    for kind in KINDS {
        let list = format!("/api/{kind}");
        let one = format!("/api/{kind}/{{id}}");
        t.push(row("GET", &list, ALL, 200, Id::None, None));
        let create: BodyFn = match *kind {
            "queues" => |_, n| object_body("queues", &format!("Queue {n}")),
            "skills" => |_, n| object_body("skills", &format!("Skill {n}")),
            "routing-policies" => |_, n| object_body("routing-policies", &format!("Policy {n}")),
            "wrapup-codes" => |_, n| object_body("wrapup-codes", &format!("code-{n}")),
            "business-hours" => |_, n| object_body("business-hours", &format!("Hours {n}")),
            _ => |_, n| object_body("canned-responses", &format!("Canned {n}")),
        };
        t.push(row("POST", &list, MANAGERS, 201, Id::None, Some(create)));
        t.push(row("GET", &one, ALL, 200, Id::Object(kind), None));
        let replace: BodyFn = match *kind {
            "queues" => |_, _| object_body("queues", standing_name("queues")),
            "skills" => |_, _| object_body("skills", standing_name("skills")),
            "routing-policies" => {
                |_, _| object_body("routing-policies", standing_name("routing-policies"))
            }
            "wrapup-codes" => |_, _| object_body("wrapup-codes", standing_name("wrapup-codes")),
            "business-hours" => {
                |_, _| object_body("business-hours", standing_name("business-hours"))
            }
            _ => |_, _| object_body("canned-responses", standing_name("canned-responses")),
        };
        t.push(row(
            "PUT",
            &one,
            MANAGERS,
            200,
            Id::Object(kind),
            Some(replace),
        ));
        t.push(row(
            "DELETE",
            &one,
            MANAGERS,
            204,
            Id::FreshObject(kind),
            None,
        ));
    }
    t
}

/// The ids of one organisation that the matrix fills paths with.
pub struct Fx {
    slug: String,
    analyst_email: String,
    queue: Uuid,
    contact: Uuid,
    customer: Uuid,
    agent: Uuid,
    target: Uuid,
    objects: HashMap<&'static str, Uuid>,
    /// Standing ids for the fresh kinds (the other organisation's: never used up).
    standing: HashMap<Id, Uuid>,
    /// Fresh ids not used up yet (this organisation's).
    cache: HashMap<Id, Uuid>,
}

impl Fx {
    async fn new(s: &Server, o: &Org, foreign: bool, ops: &BTreeSet<(String, String)>) -> Fx {
        let admin = o.client(s, Admin);
        let mut objects = HashMap::new();
        objects.insert("queues", o.queue);
        if ops.contains(&("POST".to_string(), "/api/wfm/schedules".to_string())) {
            // The agent's hours, this week's requirement and a draft schedule for it.
            let a = o
                .client(s, Agent)
                .put("/api/wfm/me/preferences", &hours())
                .await;
            assert_eq!(a.status, 200, "preferences: {}", a.text);
            let a = admin
                .post(
                    "/api/wfm/requirements",
                    &json!({"requirement": vec![2.0; 336]}),
                )
                .await;
            assert_eq!(a.status, 201, "requirement: {}", a.text);
            let a = admin.post("/api/wfm/schedules", &json!({})).await;
            assert_eq!(a.status, 201, "schedule: {}", a.text);
            objects.insert(SCHEDULE, a.body["id"].as_str().unwrap().parse().unwrap());
        }
        for kind in KINDS.iter().filter(|k| **k != "queues") {
            let a = admin
                .post(
                    &format!("/api/{kind}"),
                    &object_body(kind, standing_name(kind)),
                )
                .await;
            assert_eq!(a.status, 201, "create {kind}: {}", a.text);
            objects.insert(*kind, a.body["id"].as_str().unwrap().parse().unwrap());
        }
        objects.insert(KB_ARTICLE, kb_article(s, o, "Standing article").await);
        let target = server::seed::create_user(
            &s.state,
            o.id,
            &format!("target@{}.example", o.slug),
            "Target",
            Role::Agent,
            common::PASSWORD,
        )
        .await
        .unwrap()
        .id;
        let contact = common::active_contact(s, o).await;
        let c = admin.ok(&format!("/api/contacts/{contact}")).await;
        let customer = c["customer_id"].as_str().unwrap().parse().unwrap();
        let mut standing = HashMap::new();
        if foreign {
            standing.insert(Id::FreshContact, common::active_contact(s, o).await);
            standing.insert(Id::EndedContact, common::ended_contact(s, o).await);
            standing.insert(Id::Offer, common::fresh_offer(s, o).await.0);
            let (_, t) = server::seed::create_api_token(
                &s.state,
                o.id,
                target,
                "spare",
                vec!["read".into()],
            )
            .await
            .unwrap();
            standing.insert(Id::FreshToken, t.id);
            standing.insert(Id::FreshHelp, raise_hand(s, o).await);
            for kind in KINDS {
                standing.insert(Id::FreshObject(kind), objects[kind]);
            }
            standing.insert(Id::FreshObject(KB_ARTICLE), objects[KB_ARTICLE]);
        }
        Fx {
            slug: o.slug.clone(),
            analyst_email: o.email(Analyst),
            queue: o.queue,
            contact,
            customer,
            agent: o.user(Agent),
            target,
            objects,
            standing,
            cache: HashMap::new(),
        }
    }

    /// Every id of this organisation that the matrix knows (to look for leaks).
    fn known_ids(&self, o: &Org) -> Vec<String> {
        let mut v: Vec<Uuid> = vec![
            o.id,
            self.queue,
            self.contact,
            self.customer,
            self.agent,
            self.target,
        ];
        v.extend(o.users.iter().map(|(_, id, _)| *id));
        v.extend(self.objects.values());
        v.into_iter().map(|u| u.to_string()).collect()
    }

    async fn id(&mut self, s: &Server, o: &Org, id: Id) -> Option<Uuid> {
        Some(match id {
            Id::None => return None,
            Id::Contact => self.contact,
            Id::Customer => self.customer,
            Id::AgentUser => self.agent,
            Id::TargetUser => self.target,
            Id::Object(k) => self.objects[k],
            fresh => {
                if let Some(x) = self.standing.get(&fresh) {
                    return Some(*x);
                }
                if let Some(x) = self.cache.get(&fresh) {
                    return Some(*x);
                }
                let x = match fresh {
                    Id::FreshContact => common::active_contact(s, o).await,
                    Id::EndedContact => common::ended_contact(s, o).await,
                    Id::Offer => common::fresh_offer(s, o).await.0,
                    Id::FreshToken => {
                        server::seed::create_api_token(
                            &s.state,
                            o.id,
                            self.target,
                            "spare",
                            vec!["read".into()],
                        )
                        .await
                        .unwrap()
                        .1
                        .id
                    }
                    Id::FreshHelp => raise_hand(s, o).await,
                    Id::FreshObject(KB_ARTICLE) => {
                        let n = Uuid::new_v4().simple().to_string();
                        kb_article(s, o, &format!("Spare {}", &n[..8])).await
                    }
                    Id::FreshObject(kind) => {
                        let n = Uuid::new_v4().simple().to_string();
                        let a = o
                            .client(s, Admin)
                            .post(
                                &format!("/api/{kind}"),
                                &object_body(kind, &format!("Spare {}", &n[..8])),
                            )
                            .await;
                        assert_eq!(a.status, 201, "spare {kind}: {}", a.text);
                        a.body["id"].as_str().unwrap().parse().unwrap()
                    }
                    _ => unreachable!(),
                };
                self.cache.insert(fresh, x);
                x
            }
        })
    }

    /// A call with this fresh id succeeded: the next one gets a new id.
    fn used(&mut self, id: Id) {
        self.cache.remove(&id);
    }
}

/// A hand the organisation's agent raises (about nothing in particular).
async fn raise_hand(s: &Server, o: &Org) -> Uuid {
    let a = o
        .client(s, Agent)
        .post("/api/help", &json!({"text": "spare"}))
        .await;
    assert_eq!(a.status, 201, "raise a hand: {}", a.text);
    a.body["id"].as_str().unwrap().parse().unwrap()
}

/// The id kind a path of an operation missing from the table is filled with.
fn guess_id(path: &str) -> Id {
    if !path.contains('{') {
        return Id::None;
    }
    let seg = path
        .trim_start_matches("/api/")
        .split('/')
        .next()
        .unwrap_or("");
    match seg {
        "contacts" => Id::Contact,
        "customers" => Id::Customer,
        "offers" => Id::Offer,
        "agents" => Id::AgentUser,
        "users" => Id::TargetUser,
        "tokens" => Id::FreshToken,
        k => KINDS
            .iter()
            .find(|x| **x == k)
            .map(|x| Id::Object(x))
            .unwrap_or(Id::Contact),
    }
}

#[derive(Debug, Clone, Copy)]
enum Caller {
    Role(Role),
    Anonymous,
    /// The admin of the other organisation.
    Other,
}

/// The operations of the OpenAPI document: (METHOD, path).
async fn operations(s: &Server) -> BTreeSet<(String, String)> {
    let doc = Client::new(&s.base, None).ok("/api/openapi.json").await;
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, _) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

fn is_ok(status: u16) -> bool {
    (200..300).contains(&status)
}

async fn matrix(s: Server) -> Server {
    let a = common::seed_org(&s, "acme").await;
    let b = common::seed_org(&s, "globex").await;
    let ops = operations(&s).await;
    let mut fa = Fx::new(&s, &a, false, &ops).await;
    let mut fb = Fx::new(&s, &b, true, &ops).await;
    let a_ids = fa.known_ids(&a);
    let rows = table();
    let by_key: HashMap<(String, String), &Row> = rows.iter().map(|r| (r.key(), r)).collect();
    let mut failures: Vec<String> = Vec::new();
    let missing: Vec<&(String, String)> = ops.iter().filter(|k| !by_key.contains_key(*k)).collect();
    let stale: Vec<(String, String)> = rows
        .iter()
        .map(Row::key)
        .filter(|k| !ops.contains(k))
        .collect();
    assert!(
        ops.len() >= 50,
        "the document lists the API ({} operations)",
        ops.len()
    );

    let callers = [
        Caller::Role(Admin),
        Caller::Role(Supervisor),
        Caller::Role(Agent),
        Caller::Role(Analyst),
        Caller::Anonymous,
        Caller::Other,
    ];
    let mut n: u64 = 0;
    let mut calls = 0;
    for key in &ops {
        let (method, path) = key;
        let row = by_key.get(key).copied();
        let id_kind = row.map(|r| r.id).unwrap_or_else(|| guess_id(path));
        for caller in callers {
            n += 1;
            let id = fa.id(&s, &a, id_kind).await;
            let url = fill(path, id);
            let body = row
                .and_then(|r| r.body)
                .map(|f| f(&fa, n))
                .or_else(|| (method != "GET" && method != "DELETE").then(|| json!({})));
            let client = match caller {
                Caller::Role(r) => a.client(&s, r),
                Caller::Anonymous => Client::new(&s.base, None),
                Caller::Other => b.client(&s, Admin),
            };
            let got = client.send(method, &url, body.as_ref(), &[]).await;
            calls += 1;
            let what = format!("{} {method} {url} as {caller:?}", s.backend);
            if got.status >= 500 {
                failures.push(format!("{what}: {} {}", got.status, got.text));
                continue;
            }
            if got.status >= 400 && url.starts_with("/api/") {
                let e = &got.body["error"];
                if !(e["code"].is_string() && e["message"].is_string()) {
                    failures.push(format!(
                        "{what}: {} not in the error shape: {}",
                        got.status, got.text
                    ));
                }
            }
            let public = row.is_some_and(|r| r.allow.is_empty());
            let expected: Vec<u16> = match (row, caller) {
                (_, Caller::Anonymous) if !public => vec![401],
                (Some(r), Caller::Anonymous) => vec![r.ok],
                (Some(r), Caller::Role(role)) => vec![r.expect(role)],
                (Some(r), Caller::Other) if id.is_some() => {
                    if r.expect(Admin) == 403 {
                        vec![403, 404]
                    } else {
                        vec![404]
                    }
                }
                (Some(r), Caller::Other) => vec![r.other.unwrap_or_else(|| r.expect(Admin))],
                // Not in the table: whatever it is, it is not a success for an outsider
                // with someone else's ids.
                (None, Caller::Other) if id.is_some() => vec![403, 404],
                (None, _) => Vec::new(),
            };
            if !expected.is_empty() && !expected.contains(&got.status) {
                failures.push(format!(
                    "{what}: expected {expected:?}, got {} {}",
                    got.status, got.text
                ));
            }
            if matches!(caller, Caller::Other)
                && path != "/api/auth/login"
                && let Some(leak) = a_ids.iter().find(|i| got.text.contains(i.as_str()))
            {
                failures.push(format!(
                    "{what}: the answer names {leak} of the other organisation: {}",
                    got.text
                ));
            }
            if matches!(caller, Caller::Role(_)) && is_ok(got.status) {
                fa.used(id_kind);
            }
        }
    }

    // Every role with the other organisation's ids: 404 (or the role's own refusal).
    for key in &ops {
        let (method, path) = key;
        let row = by_key.get(key).copied();
        // A parameter that names no object (a channel) has no other organisation's
        // version: its rows say `Id::None`.
        if !path.contains('{') || row.is_some_and(|r| r.id == Id::None) {
            continue;
        }
        let id_kind = row.map(|r| r.id).unwrap_or_else(|| guess_id(path));
        for role in [Admin, Supervisor, Agent, Analyst] {
            n += 1;
            let id = fb.id(&s, &b, id_kind).await;
            let url = fill(path, id);
            let body = row
                .and_then(|r| r.body)
                .map(|f| f(&fb, n))
                .or_else(|| (method != "GET" && method != "DELETE").then(|| json!({})));
            let got = a
                .client(&s, role)
                .send(method, &url, body.as_ref(), &[])
                .await;
            calls += 1;
            let expected = match row {
                Some(r) if r.expect(role) != 403 => vec![404],
                _ => vec![403, 404],
            };
            if !expected.contains(&got.status) {
                failures.push(format!("{} {method} {url} as {role:?} with another organisation's id: expected {expected:?}, got {} {}", s.backend, got.status, got.text));
            }
        }
    }
    // The other organisation's objects are untouched.
    let b_admin = b.client(&s, Admin);
    for kind in KINDS {
        b_admin
            .ok(&format!("/api/{kind}/{}", fb.objects[kind]))
            .await;
    }
    let tokens = b_admin.ok("/api/tokens").await;
    assert!(
        tokens["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["revoked"] == false),
        "no token of the other organisation is revoked"
    );
    let offers = common::offers(&s, &b).await;
    assert_eq!(
        offers.len(),
        1,
        "the other organisation's offer is still pending"
    );
    let ended = b_admin
        .ok(&format!("/api/contacts/{}", fb.standing[&Id::EndedContact]))
        .await;
    assert_eq!(ended["status"], "wrapup");

    eprintln!("{}: {calls} calls over {} operations", s.backend, ops.len());
    if !stale.is_empty() {
        eprintln!(
            "note: rows of the authorization table for operations the document does not list: {stale:?}"
        );
    }
    assert!(
        failures.is_empty(),
        "{} authorization failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        missing.is_empty(),
        "operations of the OpenAPI document missing from the authorization table (add a row saying who may call them): {missing:?}"
    );
    s
}

/// Sessions: cookie writes need the CSRF header; a read-only token cannot write.
async fn sessions_and_scopes(s: Server) -> Server {
    let o = common::seed_org(&s, "initech").await;
    let http = server::http_client_builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login =
        common::answer(http.post(format!("{}/api/auth/login", s.base)).json(
            &json!({"org": o.slug, "email": o.email(Supervisor), "password": common::PASSWORD}),
        ))
        .await;
    assert_eq!(login.status, 200, "{}", login.text);
    let csrf = login.body["csrf_token"].as_str().unwrap().to_string();
    let me = common::answer(http.get(format!("{}/api/me", s.base))).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["user"]["role"], "supervisor");
    let no_csrf = common::answer(
        http.post(format!("{}/api/skills", s.base))
            .json(&json!({"name": "Kayaks"})),
    )
    .await;
    assert_eq!(no_csrf.status, 403, "{}", no_csrf.text);
    assert_eq!(no_csrf.body["error"]["code"], "csrf");
    let wrong = common::answer(
        http.post(format!("{}/api/skills", s.base))
            .header("x-csrf-token", "nope")
            .json(&json!({"name": "Kayaks"})),
    )
    .await;
    assert_eq!(wrong.status, 403);
    let with = common::answer(
        http.post(format!("{}/api/skills", s.base))
            .header("x-csrf-token", &csrf)
            .json(&json!({"name": "Kayaks"})),
    )
    .await;
    assert_eq!(with.status, 201, "{}", with.text);
    // Logged out: the cookie no longer works.
    let out = common::answer(
        http.post(format!("{}/api/auth/logout", s.base))
            .header("x-csrf-token", &csrf),
    )
    .await;
    assert_eq!(out.status, 204);
    let me = common::answer(http.get(format!("{}/api/me", s.base))).await;
    assert_eq!(me.status, 401);

    let (read_only, _) = server::seed::create_api_token(
        &s.state,
        o.id,
        o.user(Admin),
        "reader",
        vec!["read".into()],
    )
    .await
    .unwrap();
    let c = Client::new(&s.base, Some(read_only));
    assert_eq!(c.get("/api/skills").await.status, 200);
    let w = c.post("/api/skills", &json!({"name": "Canoes"})).await;
    assert_eq!(w.status, 403, "{}", w.text);
    // An admin's token without the admin scope cannot do admin-only things.
    let (writer, _) = server::seed::create_api_token(
        &s.state,
        o.id,
        o.user(Admin),
        "writer",
        vec!["read".into(), "write".into()],
    )
    .await
    .unwrap();
    let c = Client::new(&s.base, Some(writer));
    assert_eq!(
        c.post("/api/skills", &json!({"name": "Canoes"}))
            .await
            .status,
        201
    );
    assert_eq!(c.get("/api/tokens").await.status, 403);
    // Garbage credentials are a 401, never a 500.
    for bad in ["hs_", "hs_nope", "Basic abc", &"hs_x".repeat(100)] {
        let c = Client::new(&s.base, Some(bad.to_string()));
        assert_eq!(c.get("/api/me").await.status, 401, "{bad}");
    }
    let cookie = common::answer(
        server::http_client()
            .get(format!("{}/api/me", s.base))
            .header("cookie", "hs_session=forged"),
    )
    .await;
    assert_eq!(cookie.status, 401);
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_matrix() {
    common::each_backend(matrix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_csrf_and_token_scopes() {
    common::each_backend(sessions_and_scopes).await;
}
