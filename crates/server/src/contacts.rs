//! The conversation service: a contact's life from creation to wrap-up, as plain async
//! functions over [`AppState`]. Channel adapters (the chat widget) and the staff API
//! both call these, so agents' and customers' messages land in one conversation, and
//! every routing decision is the `routing` engine's ([`crate::live`]).
//!
//! Life of a contact: `create_contact` (waiting, in a queue) → the engine offers it to an
//! agent (`offer` on the agent's WebSocket) → `accept_offer` (active) or
//! `reject_offer` / timeout (waiting again, same place) → `append_message` from either
//! side → `end_contact` (wrap-up: the agent's after-contact work) → `wrapup` (closed).
//! A contact ended while still waiting is closed at once (abandoned).
//!
//! Each function computes its change under the organisation's lock
//! ([`AppState::mutate`]), returns only after the change is committed, and publishes its
//! live updates in commit order. [`recover`] rebuilds an organisation from the store
//! after a failed write; [`rebuild`] does it for every organisation at start.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;

use routing::{AgentId, Command, ContactId, Presence, QueueId, TransferTarget};
use serde_json::{Map, Value, json};
use store::{
    Attachment, Change, Channel, Contact, ContactFilter, ContactStatus, Customer,
    IdempotencyRecord, Identity, Message, ObjectKind, PageRequest, Role, Sender, Store, StoreError,
};
use uuid::Uuid;

use crate::auth::Auth;
use crate::events::{Actor, LiveEvent, ROUTING};
use crate::hub::Note;
use crate::live::{AgentProfile, AgentState, Closing, Effects, OrgLive, contact_note, rid};
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
    pub channel: Channel,
    pub queue_id: Uuid,
    pub topic: Option<String>,
    pub customer: CustomerRef,
    /// Channel-specific data kept on the contact (a widget token hash…).
    pub data: Map<String, Value>,
    /// The customer's first message, if it came with the contact.
    pub first_message: Option<String>,
    /// Its client id (a channel's provider message id), for retries.
    pub first_message_client_id: Option<String>,
    /// When the channel's provider says the first message was sent.
    pub first_message_sent_at: Option<time::OffsetDateTime>,
    /// Attributes routing steps can test (`contact.language == "es"`).
    pub attributes: BTreeMap<String, String>,
    /// An `Idempotency-Key` record to keep in the same commit: a retry after a crash
    /// finds it and gets this contact back instead of a second one.
    pub idempotency: Option<IdempotencyRecord>,
    /// More identities (kind, value) the customer showed with this contact (the widget's
    /// visitor id, an email): each that no customer has yet is recorded in the
    /// contact's own commit.
    pub identities: Vec<(String, String)>,
    /// It starts with the answer bot, in no queue yet ([`crate::bot`]): its record.
    pub bot: Option<crate::bot::BotRecord>,
}

impl NewContact {
    pub fn new(channel: Channel, queue_id: Uuid, customer: CustomerRef) -> Self {
        NewContact {
            channel,
            queue_id,
            topic: None,
            customer,
            data: Map::new(),
            first_message: None,
            first_message_client_id: None,
            first_message_sent_at: None,
            attributes: BTreeMap::new(),
            idempotency: None,
            identities: Vec::new(),
            bot: None,
        }
    }
}

/// A message to append.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub sender: Sender,
    /// The staff member who wrote it, as the actor the log records (through a session,
    /// or an API token that may be an admin's impersonation). A system message with an
    /// author (the answer bot) speaks to the customer and leaves through the channel; one
    /// without (a transfer, a supervisor joining) is a line in the conversation only.
    pub author: Option<Actor>,
    pub author_name: Option<String>,
    pub text: Option<String>,
    pub attachment: Option<Value>,
    pub internal: bool,
    pub client_id: Option<String>,
    /// When the channel's provider says it was sent; the message's time when given and
    /// not in the future (a provider's retry keeps the customer's time, not ours).
    pub sent_at: Option<time::OffsetDateTime>,
    /// Sent as this approved template (`text` is the template filled in).
    pub template: Option<store::MessageTemplate>,
}

impl NewMessage {
    /// A line in the conversation from no one (a transfer, a supervisor joining, the
    /// answer bot handing over): shown to both sides, sent through no channel.
    pub fn line(text: String) -> NewMessage {
        NewMessage {
            sender: Sender::System,
            author: None,
            author_name: None,
            text: Some(text),
            attachment: None,
            internal: false,
            client_id: None,
            sent_at: None,
            template: None,
        }
    }
}

/// A customer's text with personal data masked ([`crate::pii`]): card numbers dropped,
/// the other values sealed beside the message for a reveal with a reason.
fn hide_personal_data(
    state: &AppState,
    org: Uuid,
    text: Option<String>,
) -> (Option<String>, Vec<store::HiddenValue>) {
    let Some(masked) = text.as_deref().and_then(crate::pii::mask) else {
        return (text, Vec::new());
    };
    let hidden = masked
        .hidden
        .into_iter()
        .map(|(kind, mask, value)| store::HiddenValue {
            kind: kind.as_str().to_string(),
            mask,
            sealed: kind
                .kept()
                .then(|| state.sealer().seal(org, crate::pii::SEALED_FIELD, &value)),
        })
        .collect();
    (Some(masked.text), hidden)
}

/// A contact the caller may see: managers and analysts see all of their organisation's;
/// an agent sees those assigned or offered to them (and so their files). A foreign id is
/// a 404.
pub async fn visible(state: &AppState, auth: &Auth, id: Uuid) -> ApiResult<Contact> {
    let c = load(state, auth.org_id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("contact"))?;
    if auth.role() == store::Role::Agent && c.agent_id != Some(auth.user.id) {
        let offered = state.with_org(auth.org_id(), |o| {
            o.offers()
                .any(|off| off.contact_id == id && off.agent_id == auth.user.id)
        });
        if !offered {
            return Err(ApiError::forbidden("this contact is not yours"));
        }
    }
    Ok(c)
}

/// Records that `auth` read customer data (`what`, `id`) before it is sent: who saw
/// which customer's data is answerable afterwards.
pub async fn audit_read(state: &AppState, auth: &Auth, what: &str, id: Uuid) -> ApiResult<()> {
    state
        .write(
            vec![
                LiveEvent::Read {
                    what: what.to_string(),
                    id,
                }
                .change(auth.org_id(), state.now(), Actor::from(auth)),
            ],
            vec![],
        )
        .await?;
    Ok(())
}

/// The staff member behind `actor` (a user, or an API token's user).
pub(crate) fn staff(actor: Actor) -> ApiResult<Uuid> {
    actor
        .user_id()
        .ok_or_else(|| ApiError::forbidden("only staff members do this"))
}

fn live_contact(o: &mut OrgLive, id: Uuid) -> ApiResult<&mut crate::live::LiveContact> {
    o.contact_mut(id)
        .ok_or_else(|| ApiError::conflict("this contact is closed or unknown"))
}

/// A customer found, or one to create in the contact's own commit.
struct ResolvedCustomer {
    id: Uuid,
    name: String,
    /// `PutCustomer` (and `PutIdentity`) for a new customer.
    changes: Vec<Change>,
    /// Held until the contact is committed, so that two first contacts of one identity
    /// in this process do not both create it (a second would fail its commit).
    _identity: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// Find the customer, or prepare to create them with the contact (one commit).
async fn resolve_customer(
    state: &AppState,
    org: Uuid,
    customer: &CustomerRef,
) -> ApiResult<ResolvedCustomer> {
    match customer {
        CustomerRef::Existing(id) => {
            let c = state
                .customer(org, *id)
                .await?
                .ok_or_else(|| ApiError::not_found("customer"))?;
            Ok(ResolvedCustomer {
                id: c.id,
                name: c.name,
                changes: Vec::new(),
                _identity: None,
            })
        }
        CustomerRef::New {
            name,
            email,
            identity,
        } => {
            let guard = match identity {
                Some((k, v)) => Some(
                    crate::api::key_lock(&format!("{org}:identity:{k}:{v}"))
                        .lock_owned()
                        .await,
                ),
                None => None,
            };
            if let Some((k, v)) = identity
                && let Some(i) = state.find_identity(org, k, v).await?
            {
                let name = state
                    .customer(org, i.customer_id)
                    .await?
                    .map(|c| c.name)
                    .unwrap_or_else(|| name.clone());
                return Ok(ResolvedCustomer {
                    id: i.customer_id,
                    name,
                    changes: Vec::new(),
                    _identity: None,
                });
            }
            let now = state.now();
            let c = Customer {
                id: store::new_id(),
                org_id: org,
                name: name.clone(),
                email: email.clone(),
                data: json!({}),
                created_at: now,
            };
            let mut changes = vec![Change::PutCustomer(c.clone())];
            if let Some((k, v)) = identity {
                changes.push(put_identity(org, c.id, k, v, now));
            }
            Ok(ResolvedCustomer {
                id: c.id,
                name: c.name,
                changes,
                _identity: guard,
            })
        }
    }
}

/// The write that gives customer `customer` the identity (`kind`, `value`).
fn put_identity(
    org: Uuid,
    customer: Uuid,
    kind: &str,
    value: &str,
    now: time::OffsetDateTime,
) -> Change {
    Change::PutIdentity(Identity {
        id: store::new_id(),
        org_id: org,
        customer_id: customer,
        kind: kind.to_string(),
        value: value.to_string(),
        sealed: None,
        created_at: now,
    })
}

/// The identities in `wanted` that no customer has yet, as writes for the contact's
/// commit, each with its lock held until then (as [`resolve_customer`] holds the new
/// customer's), so that two contacts in this process cannot both record one. `skip` is
/// the identity the customer is being created with.
async fn more_identities(
    state: &AppState,
    org: Uuid,
    customer: Uuid,
    wanted: &[(String, String)],
    skip: Option<&(String, String)>,
) -> ApiResult<(Vec<Change>, Vec<tokio::sync::OwnedMutexGuard<()>>)> {
    let (mut changes, mut guards) = (Vec::new(), Vec::new());
    for (i, (k, v)) in wanted.iter().enumerate() {
        let same = |w: &(String, String)| w.0 == *k && w.1 == *v;
        if skip.is_some_and(same) || wanted[..i].iter().any(same) {
            continue;
        }
        let guard = crate::api::key_lock(&format!("{org}:identity:{k}:{v}"))
            .lock_owned()
            .await;
        if state.find_identity(org, k, v).await?.is_none() {
            changes.push(put_identity(org, customer, k, v, state.now()));
            guards.push(guard);
        }
    }
    Ok((changes, guards))
}

/// The agent to offer a known customer's new contact in `queue` first, and for how
/// many seconds: the one who last helped them, when the queue prefers them.
pub(crate) async fn preferred_agent(
    state: &AppState,
    org: Uuid,
    queue: Uuid,
    customer: Uuid,
) -> Option<(Uuid, i64)> {
    let prefer_s = state.with_org(org, |o| {
        o.queue(queue)
            .and_then(|q| q.settings.prefer_last_agent_s)
            .unwrap_or(0)
    });
    if prefer_s <= 0 {
        return None;
    }
    last_agent(state, org, customer)
        .await
        .map(|a| (a, prefer_s))
}

/// The agent who last helped this customer.
async fn last_agent(state: &AppState, org: Uuid, customer: Uuid) -> Option<Uuid> {
    of_customer(state, org, customer)
        .await
        .ok()?
        .iter()
        .filter(|c| c.agent_id.is_some())
        .max_by_key(|c| c.accepted_at)
        .and_then(|c| c.agent_id)
}

/// A customer's contacts, the latest 50.
pub(crate) async fn of_customer(
    state: &AppState,
    org: Uuid,
    customer: Uuid,
) -> Result<Vec<Contact>, StoreError> {
    let filter = ContactFilter {
        customer_id: Some(customer),
        ..Default::default()
    };
    let page = PageRequest {
        after: None,
        limit: 50,
    };
    Ok(state.contacts(org, &filter, page).await?.items)
}

/// Create a contact and put it in its queue: the engine may offer it at once.
pub async fn create_contact(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    new: NewContact,
) -> ApiResult<Contact> {
    create_contact_for(state, org, actor, new, None).await
}

/// [`create_contact`], offered first to `agent` alone for so many seconds (instead of
/// the agent who last helped the customer, when the queue prefers them).
pub async fn create_contact_for(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    new: NewContact,
    agent: Option<(Uuid, i64)>,
) -> ApiResult<Contact> {
    let customer = resolve_customer(state, org, &new.customer).await?;
    let (customer_id, customer_name) = (customer.id, customer.name.clone());
    let created_with = match &new.customer {
        CustomerRef::New { identity, .. } if !customer.changes.is_empty() => identity.as_ref(),
        _ => None,
    };
    let (identities, _identity_locks) =
        more_identities(state, org, customer_id, &new.identities, created_with).await?;
    let preferred = if agent.is_some() {
        agent
    } else if customer.changes.is_empty() && new.bot.is_none() {
        preferred_agent(state, org, new.queue_id, customer_id).await
    } else {
        None
    };
    let first_text = new
        .first_message
        .as_ref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| hide_personal_data(state, org, Some(t.clone())));
    state
        .mutate(org, |o, now| {
            let queue = o
                .queue(new.queue_id)
                .ok_or_else(|| ApiError::invalid("queue_id: no such queue"))?;
            // Merged into another while this request looked it up: that one's now.
            let customer_id = o.current_customer(customer_id);
            let mut data = new.data.clone();
            data.insert("customer_name".into(), Value::String(customer_name.clone()));
            if let Some(record) = &new.bot {
                let mut record = record.clone();
                record.attributes = new.attributes.clone();
                data.insert(
                    crate::bot::KEY.into(),
                    serde_json::to_value(record).unwrap_or(Value::Null),
                );
            }
            let mut c = Contact {
                id: store::new_id(),
                org_id: org,
                channel: new.channel,
                queue_id: Some(queue.id),
                status: if new.bot.is_some() {
                    ContactStatus::Bot
                } else {
                    ContactStatus::Waiting
                },
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
            let mut first = None;
            if let Some((text, pii)) = first_text.clone() {
                c.last_seq = 1;
                first = Some(Message {
                    id: store::new_id(),
                    org_id: org,
                    contact_id: c.id,
                    seq: 1,
                    sender: Sender::Customer,
                    author_id: None,
                    author_name: Some(customer_name.clone()),
                    text,
                    attachment: None,
                    internal: false,
                    client_id: new.first_message_client_id.clone(),
                    at: new
                        .first_message_sent_at
                        .filter(|t| *t <= now)
                        .unwrap_or(now),
                    template: None,
                    pii,
                });
            }
            let mut fx = Effects {
                changes: customer.changes.clone(),
                notes: Vec::new(),
            };
            fx.changes.extend(identities.iter().cloned());
            fx.changes.push(Change::PutContact(c.clone()));
            fx.changes.push(
                LiveEvent::ContactCreated {
                    contact_id: c.id,
                    queue_id: queue.id,
                    channel: c.channel,
                    customer_id,
                }
                .change(org, now, actor),
            );
            if let Some(m) = first {
                fx.changes.push(Change::PutMessage(m));
            }
            contact_note(&c, &mut fx.notes);
            if new.bot.is_some() {
                o.track_bot(c.clone());
            } else {
                o.enqueue(
                    now,
                    actor,
                    c.clone(),
                    new.attributes.clone(),
                    preferred,
                    &mut fx,
                )?;
            }
            if let (Some(cid), Some(lc)) = (&new.first_message_client_id, o.contact_mut(c.id))
                && c.last_seq == 1
            {
                lc.client_ids.insert(cid.clone(), 1);
            }
            // The engine may have changed it already (offered: no; auto-answered: yes).
            let c = o.contact(c.id).map(|lc| lc.contact.clone()).unwrap_or(c);
            if let Some(mut rec) = new.idempotency.clone() {
                rec.body = wire::contact(&c);
                rec.created_at = now;
                fx.changes.push(Change::PutIdempotency(rec));
            }
            Ok(Tx {
                value: c,
                changes: fx.changes,
                notes: fx.notes,
            })
        })
        .await
}

/// The most bytes of text in one message.
pub const MAX_TEXT: usize = 10_000;

/// A contact as it is now: from the live state while it is there (what the store has
/// or is about to commit), else from the store.
pub async fn load(state: &AppState, org: Uuid, id: Uuid) -> ApiResult<Option<Contact>> {
    let live = state.with_org(org, |o| o.contact(id).map(|lc| lc.contact.clone()));
    match live {
        Some(c) => Ok(Some(c)),
        None => Ok(state.contact(org, id).await?),
    }
}

/// Append a message. Idempotent on `client_id`: a retry returns the first message, also
/// after a restart.
pub async fn append_message(
    state: &AppState,
    org: Uuid,
    contact_id: Uuid,
    new: NewMessage,
) -> ApiResult<Message> {
    append(state, org, contact_id, new).await.map(|a| a.message)
}

/// What [`append`] wrote: the message and, when this call wrote it (not a retry
/// answered with the first attempt's message), the contact and outbox row as they were
/// committed with it, so that the caller answers without reading them back.
pub struct Appended {
    pub message: Message,
    pub written: Option<(Contact, Option<store::Delivery>)>,
}

/// [`append_message`], also returning what was written beside the message.
pub async fn append(
    state: &AppState,
    org: Uuid,
    contact_id: Uuid,
    new: NewMessage,
) -> ApiResult<Appended> {
    if let Some(t) = &new.text
        && t.len() > MAX_TEXT
    {
        return Err(ApiError::invalid(format!(
            "This message is {} characters long; the most one message can hold is {MAX_TEXT}. Split it into shorter messages.",
            t.chars().count()
        ))
        .with_details(json!({"field": "text", "max_bytes": MAX_TEXT})));
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
    let (text, pii) = match new.sender {
        Sender::Customer => hide_personal_data(state, org, new.text.clone()),
        Sender::Agent | Sender::System | Sender::Supervisor => (new.text.clone(), Vec::new()),
    };
    enum Outcome {
        New(Box<(Message, Contact, Option<store::Delivery>)>),
        Seen,
    }
    let outcome = state
        .mutate(org, |o, now| {
            let lc = live_contact(o, contact_id)?;
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
                author_id: new.author.and_then(Actor::user_id),
                author_name: new.author_name.clone(),
                text: text.clone(),
                attachment: new.attachment.clone(),
                internal: new.internal,
                client_id: new.client_id.clone(),
                at: new.sent_at.filter(|t| *t <= now).unwrap_or(now),
                template: new.template.clone(),
                pii: pii.clone(),
            };
            lc.contact.last_seq = seq;
            lc.contact.updated_at = now;
            if let Some(cid) = &new.client_id {
                lc.client_ids.insert(cid.clone(), seq);
            }
            let c = lc.contact.clone();
            let actor = match new.sender {
                Sender::Customer => Actor::Customer,
                Sender::System => Actor::System,
                Sender::Agent | Sender::Supervisor => new.author.unwrap_or(Actor::System),
            };
            let mut changes = vec![Change::PutMessage(m.clone())];
            changes.push(Change::PutContact(c.clone()));
            changes.push(
                LiveEvent::MessageAppended {
                    contact_id,
                    seq,
                    message_id: m.id,
                    from: m.sender.as_str().into(),
                    channel: Some(c.channel),
                }
                .change(org, now, actor),
            );
            // An agent's message (or the answer bot's) leaves through the outbox, in this
            // same commit.
            let speaks = match m.sender {
                Sender::Agent | Sender::Supervisor => true,
                Sender::System => new.author.is_some(),
                Sender::Customer => false,
            };
            let delivery = speaks
                .then(|| crate::channels::outbound::enqueue(&m, &c, now))
                .flatten();
            let sm = wire::staff_message(&m, &c, delivery.as_ref());
            if let Some(d) = &delivery {
                changes.push(Change::PutDelivery(d.clone()));
            }
            let mut tx = Tx::new(Outcome::New(Box::new((m.clone(), c.clone(), delivery))));
            tx.changes = changes;
            if let Some(agent) = c.agent_id {
                tx.notes.push(Note::user(agent, "message", sm.clone()));
            }
            tx.notes.push(Note::supervisors(org, "message", sm));
            if !m.internal {
                tx.notes.push(Note::contact(
                    contact_id,
                    "message",
                    Some(seq),
                    wire::message(&m, &c),
                ));
            }
            Ok(tx)
        })
        .await;
    let retry_of = |o: &Result<Outcome, ApiError>| match o {
        Ok(Outcome::Seen) => true,
        Err(e) => e.code == "conflict",
        Ok(Outcome::New(..)) => false,
    };
    match outcome {
        Ok(Outcome::New(new)) => {
            let (message, c, d) = *new;
            Ok(Appended {
                message,
                written: Some((c, d)),
            })
        }
        ref o if new.client_id.is_some() && retry_of(o) => {
            // A retry: the first one was submitted before us, so once everything
            // submitted so far is through, it is durable (or failed). Answer with it.
            state.barrier().await;
            let cid = new.client_id.as_deref().unwrap_or_default();
            match state.message_by_client_id(org, contact_id, cid).await? {
                Some(message) => Ok(Appended {
                    message,
                    written: None,
                }),
                None => match outcome {
                    Err(e) => Err(e),
                    Ok(_) => Err(ApiError::unavailable(
                        "the first attempt of this message did not save; retry",
                    )),
                },
            }
        }
        Ok(Outcome::Seen) => Err(ApiError::internal("unreachable")),
        Err(e) => Err(e),
    }
}

/// Append a message from inside a change (a system line, a transfer note): the same
/// writes and notes as [`append_message`], for a contact whose state was checked.
pub(crate) fn push_message(
    o: &mut OrgLive,
    now: time::OffsetDateTime,
    actor: Actor,
    contact_id: Uuid,
    new: NewMessage,
    fx: &mut Effects,
) -> Option<Message> {
    let lc = o.contact_mut(contact_id)?;
    let speaks = new.sender == Sender::System && new.author.is_some();
    let seq = lc.contact.last_seq + 1;
    let m = Message {
        id: store::new_id(),
        org_id: lc.contact.org_id,
        contact_id,
        seq,
        sender: new.sender,
        author_id: new.author.and_then(Actor::user_id),
        author_name: new.author_name,
        text: new.text,
        attachment: new.attachment,
        internal: new.internal,
        client_id: new.client_id,
        at: new.sent_at.filter(|t| *t <= now).unwrap_or(now),
        template: new.template,
        pii: Vec::new(),
    };
    lc.contact.last_seq = seq;
    lc.contact.updated_at = now;
    let c = lc.contact.clone();
    fx.changes.push(Change::PutMessage(m.clone()));
    fx.changes.push(Change::PutContact(c.clone()));
    // A system message with an author (the answer bot) speaks to the customer: it
    // leaves through the channel's outbox in this same commit.
    if speaks && let Some(d) = crate::channels::outbound::enqueue(&m, &c, now) {
        fx.changes.push(Change::PutDelivery(d));
    }
    fx.changes.push(
        LiveEvent::MessageAppended {
            contact_id,
            seq,
            message_id: m.id,
            from: m.sender.as_str().into(),
            channel: Some(c.channel),
        }
        .change(c.org_id, now, actor),
    );
    let wm = wire::message(&m, &c);
    fx.notes
        .push(Note::supervisors(c.org_id, "message", wm.clone()));
    if !m.internal {
        fx.notes
            .push(Note::contact(contact_id, "message", Some(seq), wm));
    }
    Some(m)
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
        .mutate(org, |o, _now| {
            let lc = live_contact(o, contact_id)?;
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
        .mutate(org, |o, now| {
            let lc = live_contact(o, contact_id)?;
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
    state
        .mutate(org, |o, now| {
            let lc = live_contact(o, contact_id)?;
            if lc.contact.status.is_ended() {
                return Ok(Tx::new(lc.contact.clone()));
            }
            if lc.contact.status == ContactStatus::Bot {
                // With the bot, in no queue: closed at once.
                let reason = crate::bot::BotRecord::of(&lc.contact)
                    .unwrap_or_default()
                    .closing();
                let mut fx = Effects::default();
                fx.notes.push(Note::contact(
                    contact_id,
                    "ended",
                    None,
                    json!({"contact_id": contact_id, "by": if by == Actor::Customer { "customer" } else { "system" }}),
                ));
                fx.changes
                    .push(LiveEvent::ContactEnded { contact_id }.change(org, now, by));
                fx.changes.push(
                    LiveEvent::BotClosed {
                        contact_id,
                        reason: reason.into(),
                    }
                    .change(org, now, by),
                );
                let c = o
                    .close(now, by, contact_id, Closing::because(reason), &mut fx)
                    .ok_or_else(|| ApiError::internal("ended contact lost"))?;
                return Ok(Tx {
                    value: c,
                    changes: fx.changes,
                    notes: fx.notes,
                });
            }
            let was_waiting = lc.contact.status == ContactStatus::Waiting;
            let by_s = match by {
                Actor::Customer => "customer",
                Actor::System => "system",
                _ => "agent",
            };
            let mut fx = Effects::default();
            fx.notes.push(Note::contact(
                contact_id,
                "ended",
                None,
                json!({"contact_id": contact_id, "by": by_s}),
            ));
            fx.changes
                .push(LiveEvent::ContactEnded { contact_id }.change(org, now, by));
            let cmd = if was_waiting {
                Command::Abandon {
                    contact: ContactId(rid(contact_id)),
                }
            } else {
                lc.contact.status = ContactStatus::Wrapup;
                lc.contact.ended_at = Some(now);
                lc.contact.updated_at = now;
                let c = lc.contact.clone();
                fx.changes.push(Change::PutContact(c.clone()));
                contact_note(&c, &mut fx.notes);
                Command::Complete {
                    contact: ContactId(rid(contact_id)),
                }
            };
            let in_engine = o.router().contact(ContactId(rid(contact_id))).is_some();
            if in_engine {
                o.command(now, by, cmd, &mut fx)?;
            }
            if was_waiting && o.contact(contact_id).is_some() {
                // Not in the engine (a restart lost track of it): close it here.
                o.close(now, by, contact_id, Closing::because("abandoned"), &mut fx);
            }
            let c = match o.contact(contact_id) {
                Some(lc) => lc.contact.clone(),
                None => fx
                    .changes
                    .iter()
                    .rev()
                    .find_map(|ch| match ch {
                        Change::PutContact(c) if c.id == contact_id => Some(c.clone()),
                        _ => None,
                    })
                    .ok_or_else(|| ApiError::internal("ended contact lost"))?,
            };
            Ok(Tx {
                value: c,
                changes: fx.changes,
                notes: fx.notes,
            })
        })
        .await
}

/// Merge `patch` into the contact's channel data (CSAT, widget settings…).
///
/// A live contact is changed under the organisation's lock like any other. One that
/// has left the live state (closed) is read from the store and written back, but only
/// once every write submitted before has committed: its close may still be on its way
/// to the store, and a row read before it lands would, written back, undo it.
pub async fn update_contact_data(
    state: &AppState,
    org: Uuid,
    contact_id: Uuid,
    patch: Map<String, Value>,
) -> ApiResult<Contact> {
    let live = state
        .mutate(org, |o, now| {
            let Some(lc) = o.contact_mut(contact_id) else {
                return Ok(Tx {
                    value: None,
                    changes: vec![],
                    notes: vec![],
                });
            };
            if let Value::Object(map) = &mut lc.contact.data {
                map.extend(patch.clone());
            }
            lc.contact.updated_at = now;
            let c = lc.contact.clone();
            let mut notes = Vec::new();
            crate::live::contact_note(&c, &mut notes);
            Ok(Tx {
                value: Some(c.clone()),
                changes: vec![Change::PutContact(c)],
                notes,
            })
        })
        .await?;
    if let Some(c) = live {
        return Ok(c);
    }
    let slot = state.slot(org);
    let _cold = slot.cold.lock().await;
    state.barrier().await;
    let mut c = state
        .contact(org, contact_id)
        .await?
        .ok_or_else(|| ApiError::not_found("contact"))?;
    if let Value::Object(map) = &mut c.data {
        map.extend(patch);
    }
    c.updated_at = state.now();
    let mut notes = Vec::new();
    crate::live::contact_note(&c, &mut notes);
    state
        .write(vec![Change::PutContact(c.clone())], notes)
        .await?;
    Ok(c)
}

/// Takes one of a live contact's `max` slots counted under `key` in its data (the
/// files a customer may attach, say), under the organisation's lock: of many requests
/// at once, exactly `max` get one. The count is durable with the contact.
pub async fn take_slot(
    state: &AppState,
    org: Uuid,
    contact_id: Uuid,
    key: &'static str,
    max: u64,
    full: impl FnOnce() -> ApiError + Send,
) -> ApiResult<u64> {
    state
        .mutate(org, |o, now| {
            let lc = live_contact(o, contact_id)?;
            let taken = lc
                .contact
                .data
                .get(key)
                .and_then(Value::as_u64)
                .unwrap_or(0);
            if taken >= max {
                return Err(full());
            }
            if let Value::Object(map) = &mut lc.contact.data {
                map.insert(key.into(), Value::from(taken + 1));
            }
            lc.contact.updated_at = now;
            Ok(Tx {
                value: taken + 1,
                changes: vec![Change::PutContact(lc.contact.clone())],
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
    if state.contact(org, contact_id).await?.is_none() {
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
    state.with_org(org, |o| o.position(contact_id))
}

/// The agent's current offers and contacts (for the WebSocket `hello` and `/api/me`).
pub fn agent_snapshot(state: &AppState, org: Uuid, user: Uuid) -> Value {
    state.with_org(org, |o| {
        let offers: Vec<Value> = o
            .offers()
            .filter(|off| off.agent_id == user)
            .map(|off| {
                json!({"offer": off, "contact": o.contact(off.contact_id).map(|lc| wire::contact(&lc.contact))})
            })
            .collect();
        let mut contacts: Vec<&Contact> = o
            .contacts()
            .map(|lc| &lc.contact)
            .filter(|c| {
                c.agent_id == Some(user)
                    && matches!(c.status, ContactStatus::Active | ContactStatus::Wrapup)
            })
            .collect();
        contacts.sort_by_key(|c| (c.accepted_at, c.id));
        let contacts: Vec<Value> = contacts.into_iter().map(wire::contact).collect();
        json!({"offers": offers, "contacts": contacts, "agent": o.agent_json(user)})
    })
}

/// An agent as the API shows them.
pub fn agent_json(state: &AppState, org: Uuid, user: Uuid) -> Option<Value> {
    state.with_org(org, |o| o.agent_json(user))
}

/// Accept an offer made to `user`.
pub async fn accept_offer(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    offer_id: Uuid,
) -> ApiResult<Contact> {
    let user = staff(actor)?;
    state
        .mutate(org, |o, now| {
            let off = o
                .offer(offer_id)
                .filter(|off| off.agent_id == user)
                .cloned()
                .ok_or_else(|| ApiError::not_found("offer"))?;
            let mut fx = Effects::default();
            o.command(
                now,
                actor,
                Command::Accept {
                    contact: ContactId(rid(off.contact_id)),
                    agent: AgentId(rid(user)),
                },
                &mut fx,
            )?;
            let c = o
                .contact(off.contact_id)
                .map(|lc| lc.contact.clone())
                .ok_or_else(|| ApiError::conflict("this contact is closed or unknown"))?;
            Ok(Tx {
                value: c,
                changes: fx.changes,
                notes: fx.notes,
            })
        })
        .await
}

/// Decline an offer: the contact waits again in its place, for someone else (and for
/// this agent again after the queue's cool-off).
pub async fn reject_offer(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    offer_id: Uuid,
) -> ApiResult<()> {
    let user = staff(actor)?;
    state
        .mutate(org, |o, now| {
            let off = o
                .offer(offer_id)
                .filter(|off| off.agent_id == user)
                .cloned()
                .ok_or_else(|| ApiError::not_found("offer"))?;
            let mut fx = Effects::default();
            o.command(
                now,
                actor,
                Command::Reject {
                    contact: ContactId(rid(off.contact_id)),
                    agent: AgentId(rid(user)),
                },
                &mut fx,
            )?;
            Ok(Tx {
                value: (),
                changes: fx.changes,
                notes: fx.notes,
            })
        })
        .await
}

/// After-contact work done: record the wrap-up code and close.
pub async fn wrapup(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    is_manager: bool,
    contact_id: Uuid,
    code: String,
    notes_text: Option<String>,
) -> ApiResult<Contact> {
    let user = staff(actor)?;
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
        .mutate(org, |o, now| {
            let lc = live_contact(o, contact_id)?;
            if lc.contact.agent_id != Some(user) && !is_manager {
                return Err(ApiError::forbidden("not your contact"));
            }
            if lc.contact.status != ContactStatus::Wrapup {
                return Err(ApiError::conflict("end the contact before wrapping it up"));
            }
            let mut fx = Effects::default();
            let cid = ContactId(rid(contact_id));
            // Still in after-contact work: the wrap-up frees the agent's slot now.
            if o.router().contact(cid).is_some() {
                o.command(
                    now,
                    actor,
                    Command::WrapUp {
                        contact: cid,
                        code: Some(code.clone()),
                    },
                    &mut fx,
                )?;
            }
            let c = o
                .close(
                    now,
                    actor,
                    contact_id,
                    Closing {
                        code: Some(code.clone()),
                        notes: notes_text.clone(),
                        reason: "wrapped_up",
                    },
                    &mut fx,
                )
                .ok_or_else(|| ApiError::conflict("this contact is closed or unknown"))?;
            Ok(Tx {
                value: c,
                changes: fx.changes,
                notes: fx.notes,
            })
        })
        .await
}

/// Where a transfer sends a contact, and the note for whoever takes it next.
#[derive(Debug, Clone, Default)]
pub struct Handover {
    pub queue: Option<Uuid>,
    pub agent: Option<Uuid>,
    /// For the next agent only (an internal message).
    pub note: Option<String>,
}

/// Send an active (or waiting) contact to another queue or agent; it waits again,
/// keeping its original enqueue time.
pub async fn transfer(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    is_manager: bool,
    contact_id: Uuid,
    to: Handover,
) -> ApiResult<Contact> {
    let user = staff(actor)?;
    if to.note.as_ref().is_some_and(|n| n.len() > MAX_TEXT) {
        return Err(ApiError::invalid(format!(
            "note: at most {MAX_TEXT} bytes; shorten it"
        )));
    }
    state
        .mutate(org, |o, now| {
            let mut fx = Effects::default();
            pass_on(o, now, actor, user, is_manager, contact_id, &to, &mut fx)?;
            contact_tx(o, contact_id, fx)
        })
        .await
}

/// The end of a warm transfer: the agent who holds a call passes it to the colleague
/// they consulted, who takes it at once (no offer to accept: they are already on the
/// call). Answers the contact and whether the colleague took it; one who cannot take
/// it now (no room for a call, not available) gets it offered as with any transfer to
/// them, and the caller waits for them.
pub async fn hand_over(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    contact_id: Uuid,
    colleague: Uuid,
) -> ApiResult<(Contact, bool)> {
    let user = staff(actor)?;
    let to = Handover {
        agent: Some(colleague),
        ..Handover::default()
    };
    state
        .mutate(org, |o, now| {
            let mut fx = Effects::default();
            pass_on(o, now, actor, user, false, contact_id, &to, &mut fx)?;
            let offered = o
                .offers()
                .any(|off| off.contact_id == contact_id && off.agent_id == colleague);
            // The transfer is made: from here nothing may fail the change.
            let taken = offered
                && o.command(
                    now,
                    actor,
                    Command::Accept {
                        contact: ContactId(rid(contact_id)),
                        agent: AgentId(rid(colleague)),
                    },
                    &mut fx,
                )
                .inspect_err(|e| tracing::warn!(contact = %contact_id, error = ?e, "a warm transfer's colleague could not take the call"))
                .is_ok();
            let tx = contact_tx(o, contact_id, fx)?;
            Ok(Tx {
                value: (tx.value, taken),
                changes: tx.changes,
                notes: tx.notes,
            })
        })
        .await
}

/// A transfer under the organisation's lock: checks who may pass the contact on and
/// where, then moves it in the router and tells the customer and the next agent.
#[allow(clippy::too_many_arguments)]
fn pass_on(
    o: &mut OrgLive,
    now: time::OffsetDateTime,
    actor: Actor,
    user: Uuid,
    is_manager: bool,
    contact_id: Uuid,
    to: &Handover,
    fx: &mut Effects,
) -> ApiResult<()> {
    let Handover { queue, agent, note } = to.clone();
    let to_name = match (queue, agent) {
        (Some(q), None) => o.queue(q).map(|q| q.name.clone()),
        (None, Some(a)) => o.agent(a).map(|a| a.name.clone()),
        _ => None,
    };
    let from_name = o.agent(user).map(|a| a.name.clone());
    let to = match (queue, agent) {
        (Some(q), None) => {
            if o.queue(q).is_none() {
                return Err(ApiError::invalid("queue_id: no such queue"));
            }
            TransferTarget::Queue(QueueId(rid(q)))
        }
        (None, Some(a)) => {
            if o.agent(a).is_none() {
                return Err(ApiError::invalid("agent_id: no such agent"));
            }
            TransferTarget::Agent(AgentId(rid(a)))
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid("give queue_id or agent_id, not both"));
        }
        (None, None) => return Err(ApiError::invalid("give queue_id or agent_id")),
    };
    let lc = live_contact(o, contact_id)?;
    if lc.contact.agent_id != Some(user) && !is_manager {
        return Err(ApiError::forbidden("not your contact"));
    }
    // Agents pass on what they hold; supervisors also move waiting contacts.
    let movable = lc.contact.status == ContactStatus::Active
        || (is_manager && lc.contact.status == ContactStatus::Waiting);
    let what = if lc.contact.channel == store::Channel::Voice {
        "call"
    } else {
        "conversation"
    };
    if !movable {
        return Err(ApiError::conflict(if is_manager {
            "only a waiting or active contact can be moved"
        } else {
            "only an active contact can be transferred"
        }));
    }
    o.command(
        now,
        actor,
        Command::Transfer {
            contact: ContactId(rid(contact_id)),
            to,
        },
        fx,
    )?;
    // The customer and the next agent see who passed it on, and to whom; the
    // next agent also gets the note, which the customer never sees.
    let line = match (&from_name, &to_name) {
        (Some(f), Some(t)) => format!("{f} transferred this {what} to {t}."),
        (None, Some(t)) => format!("This {what} was transferred to {t}."),
        _ => format!("This {what} was transferred."),
    };
    push_message(o, now, actor, contact_id, NewMessage::line(line), fx);
    if let Some(n) = note.as_ref().filter(|n| !n.trim().is_empty()) {
        push_message(
            o,
            now,
            actor,
            contact_id,
            NewMessage {
                sent_at: None,
                sender: Sender::Agent,
                author: Some(actor),
                author_name: from_name.clone(),
                text: Some(format!("Transfer note: {n}")),
                attachment: None,
                internal: true,
                client_id: None,
                template: None,
            },
            fx,
        );
    }
    if let Some(lc) = o.contact_mut(contact_id)
        && let Value::Object(d) = &mut lc.contact.data
    {
        d.insert(
            "transferred_from".into(),
            json!({"agent_id": user, "agent_name": from_name, "note": note, "at": wire::ts(now)}),
        );
    }

    Ok(())
}

/// What a change to one contact answers: the contact as it is now, with the change's
/// writes and notes.
pub(crate) fn contact_tx(o: &OrgLive, contact_id: Uuid, fx: Effects) -> ApiResult<Tx<Contact>> {
    let c = o
        .contact(contact_id)
        .map(|lc| lc.contact.clone())
        .ok_or_else(|| ApiError::conflict("this contact is closed or unknown"))?;
    Ok(Tx {
        value: c,
        changes: fx.changes,
        notes: fx.notes,
    })
}

/// Set an agent's presence. Leaving `available` withdraws a pending offer (the contact
/// goes back to its place).
pub async fn set_agent_state(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    new_state: AgentState,
    reason: Option<String>,
) -> ApiResult<Value> {
    let user = staff(actor)?;
    set_presence(state, org, actor, user, new_state, reason, |_, _| {}).await
}

/// Set `user`'s presence as `actor` (themselves, or a supervisor), with `also` adding
/// to the same commit.
pub(crate) async fn set_presence(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    user: Uuid,
    new_state: AgentState,
    reason: Option<String>,
    also: impl FnOnce(&OrgLive, &mut Effects),
) -> ApiResult<Value> {
    if reason.as_ref().is_some_and(|r| r.len() > 100) {
        return Err(ApiError::invalid("reason: at most 100 characters"));
    }
    state
        .mutate(org, |o, now| {
            if o.agent(user).is_none() {
                return Err(if actor.user_id() == Some(user) {
                    ApiError::forbidden("you have no agent profile")
                } else {
                    ApiError::not_found("agent")
                });
            }
            let presence = match new_state {
                AgentState::Available => Presence::Available,
                AgentState::Offline => Presence::Offline,
                AgentState::Break => Presence::Break {
                    aux: reason
                        .clone()
                        .filter(|r| !r.trim().is_empty())
                        .unwrap_or_else(|| "break".into()),
                },
            };
            let mut fx = Effects::default();
            let unchanged = o
                .agent_snapshot(user)
                .is_some_and(|s| s.presence == presence);
            if !unchanged {
                o.command(
                    now,
                    actor,
                    Command::SetPresence {
                        agent: AgentId(rid(user)),
                        presence,
                    },
                    &mut fx,
                )?;
            }
            let aj = o.agent_json(user).unwrap_or(Value::Null);
            if unchanged {
                fx.notes.push(Note::user(user, "agent_state", aj.clone()));
            }
            also(o, &mut fx);
            Ok(Tx {
                value: aj,
                changes: fx.changes,
                notes: fx.notes,
            })
        })
        .await
}

/// Load an organisation's queues and agents into the live state after a change of
/// configuration (takes effect at once: the engine re-routes).
pub async fn refresh_org_config(state: &AppState, org: Uuid) -> ApiResult<()> {
    let (queues, agents, names) = load_org_config(state, org).await?;
    let hours = load_all_objects(state, org, ObjectKind::BusinessHours).await?;
    state
        .mutate(org, |o, now| {
            o.staff_names = names;
            let mut fx = Effects::default();
            o.configure(now, &queues, &agents, &mut fx);
            o.set_hours(now, &hours, &mut fx);
            Ok(Tx {
                value: (),
                changes: fx.changes,
                notes: fx.notes,
            })
        })
        .await
}

type Agents = Vec<(Uuid, String, Option<AgentProfile>)>;

pub(crate) async fn load_all_objects(
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

/// Queues, and the users who are agents with their profiles: agents always, supervisors
/// and admins once they were given a profile; never disabled users.
async fn load_org_config(
    state: &AppState,
    org: Uuid,
) -> Result<(Vec<store::Object>, Agents, HashMap<Uuid, String>), StoreError> {
    let queues = load_all_objects(state, org, ObjectKind::Queue).await?;
    let profiles = load_all_objects(state, org, ObjectKind::Agent).await?;
    let mut agents = Vec::new();
    let mut names = HashMap::new();
    let mut after = None;
    loop {
        let page = state
            .store()
            .list_users(org, PageRequest { after, limit: 1000 })
            .await?;
        for u in &page.items {
            if !u.disabled {
                names.insert(u.id, u.name.clone());
            }
            let profile = profiles
                .iter()
                .find(|p| p.id == u.id)
                .and_then(|p| serde_json::from_value::<AgentProfile>(p.data.clone()).ok());
            if u.disabled || (u.role != Role::Agent && profile.is_none()) {
                continue;
            }
            agents.push((u.id, u.name.clone(), profile));
        }
        match page.next_cursor {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    Ok((queues, agents, names))
}

/// Read an organisation's routing log from the start.
async fn load_routing_log(state: &AppState, org: Uuid) -> Result<Vec<store::Event>, StoreError> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = state
            .store()
            .read_org_events_of_kind_after(org, ROUTING, after, 1000)
            .await?;
        let n = page.len();
        if let Some(last) = page.last() {
            after = last.seq;
        }
        out.extend(page);
        if n < 1000 {
            return Ok(out);
        }
    }
}

/// The organisation's latest help events, oldest first (open requests are rebuilt
/// from them; older ones than the last thousand are long closed).
async fn load_help_log(state: &AppState, org: Uuid) -> Result<Vec<store::Event>, StoreError> {
    let mut events = state
        .store()
        .read_org_events_of_kind(org, crate::supervise::HELP_KIND, i64::MAX, 1000)
        .await?;
    events.sort_by_key(|e| e.seq);
    Ok(events)
}

/// Rebuild one organisation's live state from the store: the routing log replayed into
/// a fresh engine, the mirror from the rows. Called at start, and after a failed write
/// whose fence `epoch` is still current (a later one means someone already did).
pub async fn recover(state: &AppState, org: Uuid, epoch: u64) {
    let slot = state.slot(org);
    let _one = slot.recovering.lock().await;
    if slot.epoch.load(Ordering::SeqCst) != epoch {
        return;
    }
    slot.stale.store(true, Ordering::SeqCst);
    let mut delay = std::time::Duration::from_millis(50);
    loop {
        match restore_org(state, org).await {
            Ok(()) => break,
            Err(e) => {
                // A server that is stopping has closed its store: nothing to rebuild.
                if *state.shutdown_signal().borrow() {
                    tracing::info!(%org, "stopping: the live state is not rebuilt");
                    return;
                }
                tracing::error!(%org, error = %e, "rebuilding the live state failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(std::time::Duration::from_secs(5));
            }
        }
    }
    slot.stale.store(false, Ordering::SeqCst);
    slot.recovered.notify_waiters();
}

async fn restore_org(state: &AppState, org: Uuid) -> Result<(), String> {
    // Everything submitted before now is through: what the store holds is final for the
    // old epoch (its later writes are refused by the fence).
    state.barrier().await;
    let err = |e: StoreError| e.to_string();
    let (queues, agents, names) = load_org_config(state, org).await.map_err(err)?;
    let help = load_help_log(state, org).await.map_err(err)?;
    let hours = load_all_objects(state, org, ObjectKind::BusinessHours)
        .await
        .map_err(err)?;
    let log = load_routing_log(state, org).await.map_err(err)?;
    let open: Vec<Contact> = state.open_contacts_of(org).await.map_err(err)?;
    let client_ids = state.store().list_open_client_ids(org).await.map_err(err)?;
    let (mut restored, report) = OrgLive::restore(org, log, &queues, &agents, open, client_ids)?;
    let slot = state.slot(org);
    let rx = {
        let mut live = slot.lock();
        let epoch = slot.epoch.fetch_add(1, Ordering::SeqCst) + 1;
        let now = state.now();
        let mut fx = Effects::default();
        restored.configure(now, &queues, &agents, &mut fx);
        restored.set_hours(now, &hours, &mut fx);
        restored.settle(now, &report.requeued, &mut fx);
        let teams: HashMap<Uuid, String> = restored
            .agents()
            .filter_map(|a| a.profile.team.clone().map(|t| (a.user_id, t)))
            .collect();
        restored.help = crate::supervise::HelpDesk::fold(
            &help,
            now,
            &crate::supervise::Who {
                name: &|u| names.get(&u).cloned().unwrap_or_default(),
                team: &|u| teams.get(&u).cloned(),
            },
        );
        restored.staff_names = names;
        *live = restored;
        tracing::info!(
            %org,
            epoch,
            routing_events = report.routing_events,
            requeued = report.requeued.len(),
            "live state rebuilt from the store"
        );
        state.enqueue(Some(store::Fence { org, epoch }), fx.changes, fx.notes)
    };
    state.0.wake.notify_one();
    match rx.await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("shutting down".into()),
    }
}

/// Rebuild every organisation's live state from the store (start).
pub async fn rebuild(state: &AppState) -> Result<(), StoreError> {
    for org in state.store().list_orgs().await? {
        let keys = state.org_keys(org.id).await?;
        let sealed = crate::keys::seal_identities_in_clear(state.store(), &keys).await?;
        if sealed > 0 {
            tracing::info!(org = %org.slug, sealed, "identities from before sealing sealed");
        }
        let slot = state.slot(org.id);
        // At start a failure is fatal rather than retried forever.
        let _one = slot.recovering.lock().await;
        restore_org(state, org.id)
            .await
            .map_err(StoreError::Backend)?;
    }
    Ok(())
}

/// Fire every organisation's due timers (also called by tests after moving the clock).
pub async fn tick(state: &AppState) -> ApiResult<()> {
    let now = state.now();
    for (org, slot) in state.slots() {
        let due = {
            let o = slot.lock();
            o.next_timeout().is_some_and(|t| t <= now)
                || o.hours_due(now)
                || !o.idle_bots(now).is_empty()
        };
        if due {
            state
                .mutate(org, |o, now| {
                    let mut fx = Effects::default();
                    o.tick(now, &mut fx);
                    Ok(Tx {
                        value: (),
                        changes: fx.changes,
                        notes: fx.notes,
                    })
                })
                .await?;
        }
    }
    Ok(())
}

/// How often supervisors' consoles hear at most that the wallboard changed.
const BOARD_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// The one timer task: sleeps until the earliest deadline of any organisation's engine
/// (or a change wakes it, or a wallboard note is due), fires what is due, sends waiting
/// customers their new place in line, and pushes queue figures to supervisors every few
/// seconds.
pub async fn timer_task(state: AppState) {
    let mut shutdown = state.shutdown_signal();
    let mut last_stats = std::time::Instant::now();
    let mut last_positions = std::time::Instant::now();
    let mut last_board = std::time::Instant::now();
    let mut last_alerts = std::time::Instant::now();
    let mut board_sent: HashMap<Uuid, u64> = HashMap::new();
    loop {
        let now = state.now();
        let next = state
            .slots()
            .iter()
            .filter_map(|(_, s)| s.lock().next_timeout())
            .min();
        let wait = next
            .map(|t| (t - now).max(time::Duration::ZERO))
            .and_then(|d| std::time::Duration::try_from(d).ok())
            .unwrap_or(std::time::Duration::from_secs(1))
            .min(std::time::Duration::from_secs(1));
        // A wallboard change not yet announced (held back by the twice-a-second limit)
        // is announced when the limit allows, not at the next change or timer: the last
        // change before a quiet spell would otherwise wait up to a second longer.
        let board_pending = state
            .slots()
            .iter()
            .any(|(org, s)| board_sent.get(org) != Some(&s.lock().wallboard.version()));
        let wait = if board_pending {
            wait.min(BOARD_EVERY.saturating_sub(last_board.elapsed()))
        } else {
            wait
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = state.0.wake.notified() => {
                // Let a burst of changes settle before looking again.
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            _ = shutdown.changed() => return,
        }
        if let Err(e) = tick(&state).await {
            tracing::warn!(error = %e, "timers failed");
        }
        // Customers hear of their new place in line, twice a second at most (one sort
        // per queue whose line changed), after everything committed before.
        if last_positions.elapsed() >= std::time::Duration::from_millis(500) {
            last_positions = std::time::Instant::now();
            let mut notes = Vec::new();
            for (_, slot) in state.slots() {
                slot.lock().position_notes(&mut notes);
            }
            if !notes.is_empty() {
                let _ = state.write(vec![], notes).await;
            }
        }
        if last_alerts.elapsed() >= std::time::Duration::from_millis(1000) {
            last_alerts = std::time::Instant::now();
            crate::alerts::check(&state).await;
        }
        // Supervisors' consoles hear twice a second at most that the wallboard changed
        // (and fetch it again, with their own filters and day): a change is on every
        // console within a second (`homeshore bench ws --wallboard`).
        if last_board.elapsed() >= BOARD_EVERY {
            last_board = std::time::Instant::now();
            for (org, slot) in state.slots() {
                let v = slot.lock().wallboard.version();
                if board_sent.insert(org, v) != Some(v) {
                    state.hub().publish_ephemeral(
                        org,
                        &[Role::Admin, Role::Supervisor, Role::Analyst],
                        "wallboard",
                        &json!({ "version": v }),
                    );
                }
            }
        }
        if last_stats.elapsed() >= std::time::Duration::from_secs(3) {
            last_stats = std::time::Instant::now();
            let now = state.now();
            for (org, slot) in state.slots() {
                let s = slot.lock().queue_stats(now);
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
