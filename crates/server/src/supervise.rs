//! Help for remote agents, and supervisors' hands on live work.
//!
//! A work-from-home agent cannot lean over to a manager, so the desktop has a "raise
//! hand": a [`HelpRequest`] that every supervisor sees at once, one of them takes (the
//! others see it taken, the agent sees who is coming) and closes. Requests are
//! `help` events in the log, and [`HelpDesk::fold`] rebuilds the open ones after a
//! restart: events are the state.
//!
//! Supervisors also act on contacts and agents: monitor a conversation (audited), barge
//! into it (the customer sees them join), take it over (the agent is released; the
//! contact is routed to the supervisor through the engine, like any transfer), whisper
//! (an internal message from a supervisor, which only staff see), set an agent's state
//! or sign them out, with a reason. Every one of these is an event with its actor.

use std::collections::BTreeMap;

use routing::{AgentId, Command, ContactId, Presence, TransferTarget};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{Change, ContactStatus};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::contacts::{NewMessage, staff};
use crate::events::{Actor, LiveEvent};
use crate::hub::Note;
use crate::live::{AgentState, Effects, OrgLive, rid};
use crate::{ApiError, ApiResult, AppState, Tx};

/// How long an open help request is kept after it was raised (older ones are dropped
/// at a restart: the moment has passed).
pub const HELP_KEEP: time::Duration = time::Duration::hours(12);
/// The longest line an agent may add to a raised hand.
pub const HELP_TEXT_MAX: usize = 280;

/// What happened to a help request (the `action` of its `help` event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HelpAction {
    Raised,
    Taken,
    Closed,
}

/// A raised hand.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HelpRequest {
    pub id: Uuid,
    pub agent_id: Uuid,
    pub agent_name: String,
    /// The agent's team when they raised it: that team's supervisors (and those with no
    /// team) are called with a sound and a notification; everyone else sees it listed.
    pub team: Option<String>,
    /// The contact the agent needs help with, if any.
    pub contact_id: Option<Uuid>,
    /// The agent's line (personal data masked).
    pub text: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub raised_at: OffsetDateTime,
    /// The supervisor who took it.
    pub taken_by: Option<Uuid>,
    pub taken_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>)]
    pub taken_at: Option<OffsetDateTime>,
}

/// How a help desk names staff and finds an agent's team.
pub struct Who<'a> {
    pub name: &'a dyn Fn(Uuid) -> String,
    pub team: &'a dyn Fn(Uuid) -> Option<String>,
}

/// The open help requests of one organisation.
#[derive(Debug, Clone, Default)]
pub struct HelpDesk {
    open: BTreeMap<Uuid, HelpRequest>,
}

impl HelpDesk {
    pub fn get(&self, id: Uuid) -> Option<&HelpRequest> {
        self.open.get(&id)
    }

    /// Open requests, oldest first.
    pub fn list(&self) -> Vec<HelpRequest> {
        let mut v: Vec<HelpRequest> = self.open.values().cloned().collect();
        v.sort_by_key(|r| (r.raised_at, r.id));
        v
    }

    /// Apply one `help` event (names and teams are looked up by the caller's `who`).
    pub fn apply(&mut self, at: OffsetDateTime, actor: Actor, e: &LiveEvent, who: &Who) {
        let LiveEvent::Help {
            request_id,
            action,
            agent_id,
            contact_id,
            text,
        } = e
        else {
            return;
        };
        match action {
            HelpAction::Raised => {
                self.open.insert(
                    *request_id,
                    HelpRequest {
                        id: *request_id,
                        agent_id: *agent_id,
                        agent_name: (who.name)(*agent_id),
                        team: (who.team)(*agent_id),
                        contact_id: *contact_id,
                        text: text.clone(),
                        raised_at: at,
                        taken_by: None,
                        taken_by_name: None,
                        taken_at: None,
                    },
                );
            }
            HelpAction::Taken => {
                if let Some(r) = self.open.get_mut(request_id) {
                    r.taken_by = actor.user_id();
                    r.taken_by_name = r.taken_by.map(who.name);
                    r.taken_at = Some(at);
                }
            }
            HelpAction::Closed => {
                self.open.remove(request_id);
            }
        }
    }

    /// Rebuild from the organisation's `help` events (oldest first), keeping the
    /// requests raised within [`HELP_KEEP`] of `now`.
    pub fn fold(events: &[store::Event], now: OffsetDateTime, who: &Who) -> HelpDesk {
        let mut d = HelpDesk::default();
        for e in events {
            if let Some((actor, ev)) = LiveEvent::parse(e) {
                d.apply(e.at, actor, &ev, who);
            }
        }
        d.open.retain(|_, r| now - r.raised_at <= HELP_KEEP);
        d
    }
}

/// The `kind` of help events in the log.
pub const HELP_KIND: &str = "help";

fn help_change(
    o: &mut OrgLive,
    now: OffsetDateTime,
    actor: Actor,
    ev: LiveEvent,
    fx: &mut Effects,
) -> Option<HelpRequest> {
    let id = match &ev {
        LiveEvent::Help { request_id, .. } => *request_id,
        _ => return None,
    };
    let team = match &ev {
        LiveEvent::Help { agent_id, .. } => o.agent(*agent_id).and_then(|a| a.profile.team.clone()),
        _ => None,
    };
    let names = &o.staff_names;
    o.help.apply(
        now,
        actor,
        &ev,
        &Who {
            name: &|u| names.get(&u).cloned().unwrap_or_default(),
            team: &|_| team.clone(),
        },
    );
    fx.changes.push(ev.clone().change(o.org(), now, actor));
    let req = o.help.get(id).cloned();
    let data = match &req {
        Some(r) => json!(r),
        None => json!({"id": id, "closed": true}),
    };
    if let LiveEvent::Help { agent_id, .. } = &ev {
        fx.notes.push(Note::user(*agent_id, "help", data.clone()));
    }
    fx.notes.push(Note::supervisors(o.org(), "help", data));
    req
}

/// The agent raises a hand, optionally about one of their contacts and with a line.
pub async fn raise(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    contact_id: Option<Uuid>,
    text: Option<String>,
) -> ApiResult<HelpRequest> {
    let user = staff(actor)?;
    let text = text
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .map(|t| crate::pii::mask(&t).map(|m| m.text).unwrap_or(t));
    if text.as_ref().is_some_and(|t| t.len() > HELP_TEXT_MAX) {
        return Err(ApiError::invalid(format!(
            "text: at most {HELP_TEXT_MAX} characters; say the rest when your supervisor joins"
        )));
    }
    state
        .mutate(org, |o, now| {
            if o.agent(user).is_none() {
                return Err(ApiError::forbidden("you have no agent profile"));
            }
            if let Some(c) = contact_id
                && o.contact(c)
                    .is_none_or(|lc| lc.contact.agent_id != Some(user))
            {
                return Err(ApiError::invalid(
                    "contact_id: not one of your open contacts",
                ));
            }
            // The same hand raised again while no one has taken it yet.
            if o.help
                .list()
                .iter()
                .any(|r| r.agent_id == user && r.contact_id == contact_id && r.taken_by.is_none())
            {
                return Err(ApiError::conflict(
                    "your hand is already raised for this; a supervisor will come",
                ));
            }
            let mut fx = Effects::default();
            let req = help_change(
                o,
                now,
                actor,
                LiveEvent::Help {
                    request_id: store::new_id(),
                    action: HelpAction::Raised,
                    agent_id: user,
                    contact_id,
                    text: text.clone(),
                },
                &mut fx,
            )
            .ok_or_else(|| ApiError::internal("help request lost"))?;
            Ok(Tx {
                value: req,
                changes: fx.changes,
                notes: fx.notes,
            })
        })
        .await
}

/// A supervisor takes a request (`Taken`) or anyone involved closes it (`Closed`).
pub async fn act(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    is_manager: bool,
    id: Uuid,
    action: HelpAction,
) -> ApiResult<Option<HelpRequest>> {
    let user = staff(actor)?;
    state
        .mutate(org, |o, now| {
            let r = o
                .help
                .get(id)
                .cloned()
                .ok_or_else(|| ApiError::not_found("help request"))?;
            match action {
                HelpAction::Raised => return Err(ApiError::invalid("raise a new request instead")),
                HelpAction::Taken if !is_manager => {
                    return Err(ApiError::forbidden("supervisors take help requests"));
                }
                HelpAction::Taken if r.taken_by.is_some() && r.taken_by != Some(user) => {
                    return Err(ApiError::conflict(format!(
                        "{} already took this request",
                        r.taken_by_name.unwrap_or_default()
                    )));
                }
                HelpAction::Closed if !is_manager && r.agent_id != user => {
                    return Err(ApiError::forbidden("not your request"));
                }
                _ => {}
            }
            let mut fx = Effects::default();
            let out = help_change(
                o,
                now,
                actor,
                LiveEvent::Help {
                    request_id: id,
                    action,
                    agent_id: r.agent_id,
                    contact_id: r.contact_id,
                    text: None,
                },
                &mut fx,
            );
            Ok(Tx {
                value: out,
                changes: fx.changes,
                notes: fx.notes,
            })
        })
        .await
}

/// What a supervisor does to a live conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Supervision {
    /// Watch silently (the transcript and its live messages).
    Monitor,
    /// Join visibly: the customer sees the supervisor arrive, and the supervisor's
    /// messages reach them.
    Barge,
    /// Take the conversation: the agent is released and the supervisor continues.
    TakeOver,
}

impl Supervision {
    pub fn as_str(self) -> &'static str {
        match self {
            Supervision::Monitor => "monitor",
            Supervision::Barge => "barge",
            Supervision::TakeOver => "take_over",
        }
    }
}

/// Has this supervisor barged into the contact (so their messages reach the customer)?
pub fn has_barged(c: &store::Contact, user: Uuid) -> bool {
    c.data
        .get("barged_by")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(&user.to_string())))
}

/// Monitor, barge into or take over a live conversation (supervisors and admins).
pub async fn supervise(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    contact_id: Uuid,
    what: Supervision,
) -> ApiResult<store::Contact> {
    let user = staff(actor)?;
    state
        .mutate(org, |o, now| {
            let sup_name = Some(o.staff_name(user))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "A supervisor".into());
            let lc = o
                .contact(contact_id)
                .ok_or_else(|| ApiError::conflict("this conversation is closed or unknown"))?;
            let c = lc.contact.clone();
            if c.status.is_ended() {
                return Err(ApiError::conflict("this conversation has ended"));
            }
            let mut fx = Effects::default();
            fx.changes.push(
                LiveEvent::Supervision {
                    contact_id,
                    agent_id: c.agent_id,
                    action: what.as_str().into(),
                    priority: None,
                    reason: None,
                }
                .change(org, now, actor),
            );
            match what {
                Supervision::Monitor => {}
                Supervision::Barge => {
                    if c.status != ContactStatus::Active {
                        return Err(ApiError::conflict(
                            "only a conversation with an agent can be joined; take it over instead",
                        ));
                    }
                    if !has_barged(&c, user) {
                        if let Some(lc) = o.contact_mut(contact_id) {
                            if !lc.contact.data.is_object() {
                                lc.contact.data = json!({});
                            }
                            if let Some(d) = lc.contact.data.as_object_mut() {
                                let list = d.entry("barged_by").or_insert_with(|| json!([]));
                                if let Some(a) = list.as_array_mut() {
                                    a.push(json!(user));
                                }
                            }
                        }
                        crate::contacts::push_message(
                            o,
                            now,
                            actor,
                            contact_id,
                            NewMessage::line(format!("{sup_name} (supervisor) joined the conversation.")),
                            &mut fx,
                        );
                    }
                }
                Supervision::TakeOver => take_over(o, now, actor, user, &c, &sup_name, &mut fx)?,
            }
            if let Some(agent) = c.agent_id
                && agent != user
            {
                fx.notes.push(Note::user(
                    agent,
                    "supervision",
                    json!({"contact_id": contact_id, "action": what.as_str(), "by": user, "by_name": sup_name}),
                ));
            }
            // (A barge's `barged_by` is written with its system line's contact row.)
            let c = o
                .contact(contact_id)
                .map(|lc| lc.contact.clone())
                .unwrap_or(c);
            Ok(Tx {
                value: c,
                changes: fx.changes,
                notes: fx.notes,
            })
        })
        .await
}

/// The supervisor takes the contact: made available if they were not, the contact is
/// transferred to them through the engine, and accepted at once when the engine offers
/// it (it waits for them when they have no free slot on its channel).
fn take_over(
    o: &mut OrgLive,
    now: OffsetDateTime,
    actor: Actor,
    user: Uuid,
    c: &store::Contact,
    sup_name: &str,
    fx: &mut Effects,
) -> ApiResult<()> {
    if o.agent(user).is_none() {
        return Err(ApiError::conflict(
            "taking over needs an agent profile for you: Admin → Agents",
        ));
    }
    if c.agent_id == Some(user) {
        return Err(ApiError::conflict("this conversation is already yours"));
    }
    if c.status == ContactStatus::Bot {
        return Err(ApiError::conflict(
            "this conversation is with the answer bot, in no queue yet",
        ));
    }
    if !matches!(c.status, ContactStatus::Active | ContactStatus::Waiting) {
        return Err(ApiError::conflict("this conversation is wrapping up"));
    }
    let me = AgentId(rid(user));
    if o.agent_snapshot(user)
        .is_some_and(|s| s.presence != Presence::Available)
    {
        o.command(
            now,
            actor,
            Command::SetPresence {
                agent: me,
                presence: Presence::Available,
            },
            fx,
        )?;
    }
    // An offer to someone else in flight is withdrawn by the transfer.
    o.command(
        now,
        actor,
        Command::Transfer {
            contact: ContactId(rid(c.id)),
            to: TransferTarget::Agent(me),
        },
        fx,
    )?;
    crate::contacts::push_message(
        o,
        now,
        actor,
        c.id,
        NewMessage::line(format!(
            "{sup_name} (supervisor) took over this conversation."
        )),
        fx,
    );
    let offer = o
        .offers()
        .find(|off| off.contact_id == c.id && off.agent_id == user)
        .map(|off| off.id);
    if offer.is_some() {
        o.command(
            now,
            actor,
            Command::Accept {
                contact: ContactId(rid(c.id)),
                agent: me,
            },
            fx,
        )?;
    }
    Ok(())
}

/// A supervisor sets an agent's presence (or signs them out), with a reason the agent
/// sees. Signing out also ends the agent's sessions in the same commit.
pub async fn set_agent_state(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    agent: Uuid,
    new_state: AgentState,
    reason: String,
    sign_out: bool,
) -> ApiResult<Value> {
    let user = staff(actor)?;
    let reason = reason.trim().to_string();
    if reason.is_empty() || reason.len() > 100 {
        return Err(ApiError::invalid(
            "reason: say why in 1 to 100 characters; the agent sees it",
        ));
    }
    let mut v = crate::contacts::set_presence(
        state,
        org,
        actor,
        agent,
        new_state,
        Some(reason.clone()),
        |o, fx| {
            let by_name = o.staff_name(user);
            fx.notes.push(Note::user(
                agent,
                "state_forced",
                json!({"state": new_state, "reason": reason, "by": user, "by_name": by_name, "signed_out": sign_out}),
            ));
            if sign_out {
                fx.changes.push(Change::DeleteUserSessions {
                    org_id: org,
                    user_id: agent,
                });
            }
        },
    )
    .await?;
    if let Value::Object(m) = &mut v {
        m.insert("signed_out".into(), json!(sign_out));
    }
    Ok(v)
}

/// Open help requests as the caller may see them: supervisors all, an agent theirs.
pub fn visible_requests(
    state: &AppState,
    org: Uuid,
    user: Uuid,
    manager: bool,
) -> Vec<HelpRequest> {
    state.with_org(org, |o| {
        o.help
            .list()
            .into_iter()
            .filter(|r| manager || r.agent_id == user)
            .collect()
    })
}

/// The highest own priority a supervisor may give a contact (the queue's own priority
/// is added to it, as for every contact).
pub const MAX_CONTACT_PRIORITY: u8 = 100;

/// Move a live contact up or down its line: a new own priority, through the engine
/// (a waiting contact takes its new place at once), logged with who did it and why.
pub async fn set_priority(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    contact_id: Uuid,
    priority: u8,
    reason: Option<String>,
) -> ApiResult<store::Contact> {
    if priority > MAX_CONTACT_PRIORITY {
        return Err(ApiError::invalid(format!(
            "priority: 0 to {MAX_CONTACT_PRIORITY}"
        )));
    }
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if reason.as_ref().is_some_and(|r| r.chars().count() > 200) {
        return Err(ApiError::invalid("reason: at most 200 characters"));
    }
    state
        .mutate(org, |o, now| {
            let (status, agent_id) = o
                .contact(contact_id)
                .map(|lc| (lc.contact.status, lc.contact.agent_id))
                .ok_or_else(|| ApiError::conflict("this contact is closed or unknown"))?;
            if !matches!(status, ContactStatus::Waiting | ContactStatus::Active) {
                return Err(ApiError::conflict(
                    "only a waiting or active contact has a priority to change",
                ));
            }
            let mut fx = Effects::default();
            o.command(
                now,
                actor,
                Command::SetPriority {
                    contact: ContactId(rid(contact_id)),
                    priority,
                },
                &mut fx,
            )?;
            fx.changes.push(
                LiveEvent::Supervision {
                    contact_id,
                    agent_id,
                    action: "priority".into(),
                    priority: Some(priority),
                    reason: reason.clone(),
                }
                .change(org, now, actor),
            );
            crate::contacts::contact_tx(o, contact_id, fx)
        })
        .await
}

/// One thing routing did with a contact, in words for a supervisor.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoutingStep {
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub at: OffsetDateTime,
    /// The engine's event: `contact_enqueued`, `contact_offered`, `offer_declined`…
    pub event: String,
    /// What happened, in a sentence.
    pub text: String,
    /// The agent it concerns, if any.
    pub agent_id: Option<Uuid>,
    /// For an offer: why this agent, in words.
    pub explanation: Option<String>,
    /// For an offer: the same, as data (step, selection rule, agents qualified, wait).
    #[schema(value_type = Option<Object>)]
    pub why: Option<Value>,
    /// Who caused it (a user, an API token, the customer, or the server's timers).
    #[schema(value_type = Object)]
    pub actor: Actor,
}

/// How many of the log's routing records a history request reads at most: a contact's
/// history is found by walking back from now to when it was made.
const HISTORY_SCAN: usize = 200_000;

/// Everything routing did with one contact, oldest first, from the log: where it
/// queued, each step change, each offer with the engine's explanation, declines,
/// priority changes, transfers and how it ended ("why did Alex get this contact?").
pub async fn routing_history(
    state: &AppState,
    org: Uuid,
    contact: &store::Contact,
) -> ApiResult<Vec<RoutingStep>> {
    use store::Store as _;
    let id = ContactId(rid(contact.id));
    let since = contact.created_at - time::Duration::seconds(1);
    let mut found: Vec<(OffsetDateTime, Actor, routing::EventKind)> = Vec::new();
    let mut before = i64::MAX;
    let mut scanned = 0;
    'scan: while scanned < HISTORY_SCAN {
        let page = state
            .store()
            .read_org_events_of_kind(org, "routing", before, 1000)
            .await?;
        let Some(last) = page.last() else { break };
        before = last.seq;
        scanned += page.len();
        for e in &page {
            if e.at < since {
                break 'scan;
            }
            let Some((actor, LiveEvent::Routing { events, .. })) = LiveEvent::parse(e) else {
                continue;
            };
            for ev in events.into_iter().rev() {
                if event_contact(&ev.kind) == Some(id) {
                    found.push((e.at, actor, ev.kind));
                }
            }
        }
    }
    found.reverse();
    Ok(state.with_org(org, |o| {
        found
            .into_iter()
            .map(|(at, actor, kind)| describe(o, at, actor, kind))
            .collect()
    }))
}

/// The contact a routing event is about, if it is about one.
fn event_contact(kind: &routing::EventKind) -> Option<ContactId> {
    use routing::EventKind as E;
    match kind {
        E::ContactEnqueued { contact, .. }
        | E::ContactStepChanged { contact, .. }
        | E::ContactPriorityChanged { contact, .. }
        | E::ContactOffered { contact, .. }
        | E::OfferAccepted { contact, .. }
        | E::OfferDeclined { contact, .. }
        | E::ContactRequeued { contact, .. }
        | E::ContactTransferred { contact, .. }
        | E::ContactOverflowed { contact, .. }
        | E::ContactExpired { contact, .. }
        | E::ContactAbandoned { contact, .. }
        | E::ContactCompleted { contact, .. }
        | E::ContactWrappedUp { contact, .. }
        | E::DeclineExpired { contact, .. } => Some(*contact),
        E::QueueConfigured { .. }
        | E::QueueRemoved { .. }
        | E::QueueOpenChanged { .. }
        | E::AgentConfigured { .. }
        | E::AgentRemoved { .. }
        | E::AgentPresenceChanged { .. } => None,
    }
}

fn describe(
    o: &OrgLive,
    at: OffsetDateTime,
    actor: Actor,
    kind: routing::EventKind,
) -> RoutingStep {
    use routing::EventKind as E;
    let agent = |a: AgentId| o.agent_uuid(a);
    let agent_name = |a: AgentId| {
        o.agent_uuid(a)
            .and_then(|id| o.agent(id))
            .map_or_else(|| "an agent no longer here".to_string(), |x| x.name.clone())
    };
    let queue_name = |q: routing::QueueId| {
        o.queue_uuid(q)
            .and_then(|id| o.queue(id))
            .map_or_else(|| "a removed queue".to_string(), |x| x.name.clone())
    };
    let event = serde_json::to_value(&kind)
        .ok()
        .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default();
    let mut step = RoutingStep {
        at,
        event,
        text: String::new(),
        agent_id: None,
        explanation: None,
        why: None,
        actor,
    };
    step.text = match kind {
        E::ContactEnqueued {
            queue, priority, ..
        } => format!("Entered {} with priority {priority}.", queue_name(queue)),
        E::ContactStepChanged { step: k, .. } => {
            format!(
                "Moved to routing step {}: the previous step's wait ran out.",
                k + 1
            )
        }
        E::ContactPriorityChanged { priority, .. } => format!("Priority set to {priority}."),
        E::ContactOffered {
            agent: a,
            explanation,
            ..
        } => {
            step.agent_id = agent(a);
            step.explanation = Some(explanation.to_string());
            step.why = serde_json::to_value(&explanation).ok();
            format!("Offered to {}.", agent_name(a))
        }
        E::OfferAccepted { agent: a, .. } => {
            step.agent_id = agent(a);
            format!("{} accepted.", agent_name(a))
        }
        E::OfferDeclined {
            agent: a, reason, ..
        } => {
            step.agent_id = agent(a);
            let how = match reason {
                routing::DeclineReason::Rejected => "declined it",
                routing::DeclineReason::TimedOut => "let the offer time out",
                routing::DeclineReason::Withdrawn => "left available before answering",
            };
            format!("{} {how}.", agent_name(a))
        }
        E::ContactRequeued { agent: a, .. } => {
            step.agent_id = agent(a);
            format!("{} put it back in the queue.", agent_name(a))
        }
        E::ContactTransferred { to, .. } => match to {
            TransferTarget::Queue(q) => format!("Transferred to {}.", queue_name(q)),
            TransferTarget::Agent(a) => {
                step.agent_id = agent(a);
                format!("Transferred to {}.", agent_name(a))
            }
        },
        E::ContactOverflowed { from, to, .. } => format!(
            "Waited the longest {} allows; overflowed to {}.",
            queue_name(from),
            queue_name(to)
        ),
        E::ContactExpired { queue, .. } => format!(
            "Waited the longest {} allows, with no overflow queue: ended.",
            queue_name(queue)
        ),
        E::ContactAbandoned { .. } => "The customer left before an agent answered.".into(),
        E::ContactCompleted { agent: a, .. } => {
            step.agent_id = agent(a);
            format!("{} ended the conversation.", agent_name(a))
        }
        E::ContactWrappedUp {
            agent: a,
            code,
            timed_out,
            ..
        } => {
            step.agent_id = agent(a);
            let code = code.map(|c| format!(" ({c})")).unwrap_or_default();
            if timed_out {
                format!("After-contact work ran out{code}.")
            } else {
                format!("{} wrapped up{code}.", agent_name(a))
            }
        }
        E::DeclineExpired { agent: a, .. } => {
            step.agent_id = agent(a);
            format!("{} may be offered it again.", agent_name(a))
        }
        other => format!("{other:?}"),
    };
    step
}
