//! The channel contract: every message-driven channel (SMS, WhatsApp, Messenger, email,
//! an integration's own) hands inbound messages to one receive path in one shape, so that
//! a customer is one person across channels and a provider's retry is never a second
//! message. (The web widget starts a session and then addresses its contact by token,
//! so it calls the conversation service directly.)
//!
//! [`receive`]: find (or create) the customer by identity, find their open contact on
//! that channel (or, for email, the conversation the mail's thread names:
//! [`Threading`]) or open one (queued and routed by the engine at once), append the
//! message, then give the answer bot its turn. The provider's message id de-duplicates:
//! a webhook delivered twice, also across a restart, answers the first result
//! (`duplicate: true`). The message keeps
//! the provider's own time (unless it is in the future), so a late retry does not move
//! it. An adapter ([`twilio`], [`whatsapp`], [`messenger`], [`email`]) only checks its
//! provider's signature (or secret) and translates its wire format to [`Inbound`]; the
//! files that come with a message are kept after it ([`keep_file`]).
//!
//! [`outbound`] is the other half: agents' messages leave through a durable outbox and a
//! transport per channel, with delivery receipts.

pub mod email;
pub mod messenger;
pub mod outbound;
pub mod twilio;
pub mod whatsapp;

#[cfg(test)]
mod proptests;

use std::collections::BTreeMap;

use serde_json::Value;
use store::{Channel, Contact, ContactStatus, IdempotencyRecord, Message, Sender};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::contacts::{self, CustomerRef, NewContact, NewMessage};
use crate::events::Actor;
use crate::{ApiError, ApiResult, AppState};

/// One inbound message, whatever channel brought it.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub channel: Channel,
    /// How the customer is known on this channel: (`phone`, `+15551230000`),
    /// (`messenger_psid`, …), (`email`, …), (`chat`, visitor id).
    pub identity: (String, String),
    /// The sender's name as the channel gives it, for a new customer.
    pub name: Option<String>,
    /// The provider's id of this message: the de-duplication key.
    pub provider_message_id: String,
    /// When the provider says it was sent.
    pub sent_at: Option<OffsetDateTime>,
    pub text: Option<String>,
    /// Attachments as the channel describes them (kept on the message).
    pub attachment: Option<Value>,
    /// Where a new contact waits.
    pub queue_id: Uuid,
    /// Attributes routing steps can test, for a new contact.
    pub attributes: BTreeMap<String, String>,
    /// Which conversation the message joins.
    pub thread: Threading,
    /// What a new contact is about (an email's subject; else its queue's name).
    pub topic: Option<String>,
}

/// Which conversation an inbound message joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threading {
    /// The customer's open contact on the channel, else a new one (SMS, WhatsApp,
    /// Messenger: one conversation per customer and channel at a time).
    Open,
    /// This open contact, or a new one when `None` (email: the thread decides, see
    /// [`email::thread_of`]).
    Given(Option<Uuid>),
}

/// What [`receive`] did.
#[derive(Debug, Clone)]
pub struct Received {
    pub contact: Contact,
    pub message: Message,
    /// A new contact was opened for it.
    pub opened: bool,
    /// The provider sent it before: this is the first result again.
    pub duplicate: bool,
}

/// The client id a provider's message id becomes (per contact, unique).
fn client_id(channel: Channel, provider_id: &str) -> String {
    format!("{}:{provider_id}", channel.as_str())
}

/// The one receive path (see the module docs); then the answer bot's turn on what the
/// customer wrote, where the organisation turned it on for the contact's queue.
pub async fn receive(state: &AppState, org: Uuid, msg: Inbound) -> ApiResult<Received> {
    let channel = msg.channel;
    let r = receive_message(state, org, msg).await?;
    if !r.duplicate
        && let Some(text) = r.message.text.as_deref()
    {
        // A mail's quoted history is not the question.
        let question = match channel {
            Channel::Email => email::fresh_part(text),
            _ => text,
        };
        crate::bot::turn(state, org, r.contact.id, r.message.seq, question).await;
    }
    Ok(r)
}

async fn receive_message(state: &AppState, org: Uuid, msg: Inbound) -> ApiResult<Received> {
    let (kind, value) = &msg.identity;
    if kind.is_empty() || kind.len() > 32 || value.is_empty() || value.len() > 320 {
        return Err(ApiError::invalid(
            "from: an identity kind (1 to 32 characters) and value (1 to 320)",
        ));
    }
    if msg.provider_message_id.is_empty() || msg.provider_message_id.len() > 200 {
        return Err(ApiError::invalid("message_id: 1 to 200 characters"));
    }
    let cid = client_id(msg.channel, &msg.provider_message_id);
    // One delivery at a time per provider message (a provider that retries before the
    // first answer waits for it).
    let key = format!("inbound:{cid}");
    let lock = crate::api::key_lock(&format!("{org}:{key}"));
    let _one = lock.lock().await;
    // A first message that opened a contact: its record names the contact.
    if let Some(rec) = state.idempotency(org, &key).await?
        && let Some(id) = rec.body["id"].as_str().and_then(|s| s.parse().ok())
    {
        return first_result(state, org, id, &cid).await;
    }
    let open = match msg.thread {
        Threading::Given(c) => c.filter(|c| {
            state.with_org(org, |o| {
                o.contact(*c).is_some_and(|lc| {
                    lc.contact.channel == msg.channel
                        && matches!(
                            lc.contact.status,
                            ContactStatus::Bot | ContactStatus::Waiting | ContactStatus::Active
                        )
                })
            })
        }),
        Threading::Open => open_contact(state, org, &msg).await?,
    };
    let new_message = |text: Option<String>| NewMessage {
        sent_at: msg.sent_at,
        sender: Sender::Customer,
        author: None,
        author_name: msg.name.clone(),
        text,
        attachment: msg.attachment.clone(),
        internal: false,
        client_id: Some(cid.clone()),
        template: None,
    };
    if let Some(contact_id) = open {
        // Seen before on this contact? Then answer the first result.
        let seen = state.with_org(org, |o| {
            o.contact(contact_id)
                .is_some_and(|lc| lc.client_ids.contains_key(&cid))
        });
        let m =
            contacts::append_message(state, org, contact_id, new_message(msg.text.clone())).await?;
        let contact = contact_now(state, org, contact_id).await?;
        return Ok(Received {
            contact,
            message: m,
            opened: false,
            duplicate: seen,
        });
    }
    let record = IdempotencyRecord {
        org_id: org,
        key,
        request_hash: crate::auth::sha256_hex(&cid),
        status: 201,
        body: Value::Null,
        created_at: state.now(),
    };
    let name = msg.name.clone().unwrap_or_else(|| value.clone());
    let bot = crate::bot::first(state, org, msg.queue_id, msg.channel)
        .await?
        .map(|settings| crate::bot::BotRecord::start(&settings, Default::default()));
    let contact = contacts::create_contact(
        state,
        org,
        Actor::Customer,
        NewContact {
            first_message: msg.text.clone(),
            first_message_client_id: Some(cid.clone()),
            first_message_sent_at: msg.sent_at,
            attributes: msg.attributes.clone(),
            topic: msg.topic.clone(),
            idempotency: Some(record),
            data: via(state, org, kind, value).await?,
            bot,
            ..NewContact::new(
                msg.channel,
                msg.queue_id,
                CustomerRef::New {
                    name,
                    email: (kind == "email").then(|| value.clone()),
                    identity: Some((kind.clone(), value.clone())),
                },
            )
        },
    )
    .await?;
    let message = state
        .message_by_client_id(org, contact.id, &cid)
        .await?
        .ok_or_else(|| ApiError::invalid("text: an inbound message needs text"))?;
    Ok(Received {
        contact,
        message,
        opened: true,
        duplicate: false,
    })
}

/// A customer's file that came with their message (an MMS's picture, a WhatsApp or
/// Messenger attachment), kept as a message of its own after it: once however often the
/// provider delivers it (`cid`, per file), its kind judged by its bytes. One that could
/// not be fetched, or is no picture or PDF, is said in words instead. The `name` is
/// cleaned and given the extension of the file's real kind.
pub async fn keep_file(
    state: &AppState,
    org: Uuid,
    received: &Received,
    cid: String,
    name: &str,
    fetched: Result<(crate::chat::upload::FileKind, Vec<u8>), String>,
) -> ApiResult<()> {
    let contact = received.contact.id;
    if state
        .message_by_client_id(org, contact, &cid)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let (attachment, text) = match fetched {
        Ok((kind, bytes)) => {
            let name = crate::chat::upload::clean_file_name(Some(name), kind);
            let meta =
                contacts::store_attachment(state, org, contact, &name, kind.content_type(), bytes)
                    .await?;
            (Some(crate::wire::attachment(&meta)), None)
        }
        Err(why) => (
            None,
            Some(format!("(a file that could not be fetched: {why})")),
        ),
    };
    contacts::append_message(
        state,
        org,
        contact,
        NewMessage {
            sender: Sender::Customer,
            author: None,
            author_name: received.message.author_name.clone(),
            text,
            attachment,
            internal: false,
            client_id: Some(cid),
            sent_at: None,
            template: None,
        },
    )
    .await?;
    Ok(())
}

/// A file fetched from a provider's address (with its credentials, `auth`), no larger
/// than a chat attachment, its kind judged by its bytes, never by what the provider says.
pub async fn fetch_file(
    request: reqwest::RequestBuilder,
) -> Result<(crate::chat::upload::FileKind, Vec<u8>), String> {
    use crate::chat::upload::{MAX_ATTACHMENT_BYTES, sniff};
    let mut resp = request
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| outbound::root_cause(&e))?;
    if !resp.status().is_success() {
        return Err(format!("the provider answered {}", resp.status()));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err("larger than 10 MB".into());
        }
    }
    let kind = sniff(&bytes).ok_or("not a picture or PDF")?;
    Ok((kind, bytes))
}

/// What a contact keeps of the identity it came in on (`via`: its blind index, never
/// the value), so that replies go back to it even when the customer has several of that
/// kind (two numbers after a merge).
async fn via(
    state: &AppState,
    org: Uuid,
    kind: &str,
    value: &str,
) -> ApiResult<serde_json::Map<String, Value>> {
    let mut data = serde_json::Map::new();
    data.insert(
        VIA.into(),
        Value::String(state.org_keys(org).await?.blind(kind, value)),
    );
    Ok(data)
}

/// The contact's data key of [`via`].
pub const VIA: &str = "via";

/// The customer's open contact on the message's channel, if any.
async fn open_contact(state: &AppState, org: Uuid, msg: &Inbound) -> ApiResult<Option<Uuid>> {
    let (kind, value) = &msg.identity;
    let known = state.find_identity(org, kind, value).await?;
    Ok(known.and_then(|i| {
        state.with_org(org, |o| {
            o.contacts()
                .map(|lc| &lc.contact)
                .filter(|c| {
                    c.customer_id == Some(i.customer_id)
                        && c.channel == msg.channel
                        && matches!(
                            c.status,
                            ContactStatus::Bot | ContactStatus::Waiting | ContactStatus::Active
                        )
                })
                .max_by_key(|c| c.created_at)
                .map(|c| c.id)
        })
    }))
}

async fn contact_now(state: &AppState, org: Uuid, id: Uuid) -> ApiResult<Contact> {
    match state.with_org(org, |o| o.contact(id).map(|lc| lc.contact.clone())) {
        Some(c) => Ok(c),
        None => state
            .contact(org, id)
            .await?
            .ok_or_else(|| ApiError::not_found("contact")),
    }
}

async fn first_result(state: &AppState, org: Uuid, id: Uuid, cid: &str) -> ApiResult<Received> {
    let contact = contact_now(state, org, id).await?;
    let message = state
        .message_by_client_id(org, id, cid)
        .await?
        .ok_or_else(|| ApiError::not_found("message"))?;
    Ok(Received {
        contact,
        message,
        opened: true,
        duplicate: true,
    })
}
