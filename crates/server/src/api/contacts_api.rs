//! Contacts, messages, offers, agent presence, customers.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use store::{Channel, Contact, ContactFilter, ContactStatus, Role, Sender, Store};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{PageQuery, Stored, idempotent, items, parse};
use crate::auth::Auth;
use crate::contacts::{self, CustomerRef, NewContact, NewMessage};
use crate::error::{Json, Path, Query};
use crate::events::{Actor, LiveEvent};
use crate::live::AgentState;
use crate::{ApiError, ApiResult, AppState, Tx, wire};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(get_contact))
        .routes(routes!(list_messages, post_message))
        .routes(routes!(reveal))
        .routes(routes!(list_templates))
        .routes(routes!(transfer))
        .routes(routes!(end))
        .routes(routes!(wrapup))
        .routes(routes!(read))
        .routes(routes!(typing))
        .routes(routes!(set_state))
        .routes(routes!(list_offers))
        .routes(routes!(accept))
        .routes(routes!(reject))
        .routes(routes!(get_customer))
        .routes(routes!(erase_customer))
        .routes(routes!(inbound))
}

const ALL: &[Role] = &[Role::Admin, Role::Supervisor, Role::Agent, Role::Analyst];
const HANDLERS: &[Role] = &[Role::Admin, Role::Supervisor, Role::Agent];
const MANAGERS: &[Role] = &[Role::Admin, Role::Supervisor];

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ContactListQuery {
    /// `waiting`, `active`, `wrapup`, `closed`.
    pub status: Option<String>,
    pub queue_id: Option<Uuid>,
    pub agent_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub cursor: Option<Uuid>,
    pub limit: Option<u32>,
}

/// List contacts (agents: only their own).
#[utoipa::path(get, path = "/api/contacts", tag = "contacts", params(ContactListQuery), responses((status = 200, body = wire::ContactPage)))]
async fn list_contacts(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ContactListQuery>,
) -> ApiResult<Json<Value>> {
    auth.require(ALL)?;
    let status =
        match q.status.as_deref() {
            None | Some("") => None,
            Some(s) => Some(ContactStatus::parse(s).ok_or_else(|| {
                ApiError::bad_request("status: waiting, active, wrapup or closed")
            })?),
        };
    let mut filter = ContactFilter {
        status,
        queue_id: q.queue_id,
        agent_id: q.agent_id,
        customer_id: q.customer_id,
    };
    if auth.role() == Role::Agent {
        filter.agent_id = Some(auth.user.id);
    }
    let page = PageQuery {
        cursor: q.cursor,
        limit: q.limit,
    }
    .page();
    let p = state.contacts(auth.org_id(), &filter, page).await?;
    Ok(items(
        p.items.iter().map(wire::contact).collect(),
        p.next_cursor,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerIn {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContactIn {
    /// `chat`, `sms`, `whatsapp`, `messenger`, `email` or `voice`.
    #[schema(value_type = String, example = "chat")]
    pub channel: store::Channel,
    pub queue_id: Uuid,
    pub topic: Option<String>,
    /// An existing customer…
    pub customer_id: Option<Uuid>,
    /// …or who they are (found by email or phone when known).
    pub customer: Option<CustomerIn>,
    /// The customer's first message.
    pub text: Option<String>,
    /// Attributes routing steps can test as `contact.<name>` (e.g. `language`).
    #[serde(default)]
    pub attributes: std::collections::BTreeMap<String, String>,
}

/// Create a contact (integrations, the simulator): it is queued and routed at once.
#[utoipa::path(post, path = "/api/contacts", tag = "contacts", request_body = CreateContactIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "retry-safe create")),
    responses((status = 201, body = wire::ContactOut), (status = 422, body = crate::error::ErrorBody)))]
async fn create_contact(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> ApiResult<(StatusCode, axum::Json<Value>)> {
    auth.require(MANAGERS)?;
    let input: CreateContactIn = parse(&body)?;
    let customer = match (input.customer_id, input.customer) {
        (Some(id), _) => CustomerRef::Existing(id),
        (None, Some(c)) => {
            if c.name.trim().is_empty() || c.name.len() > 200 {
                return Err(ApiError::invalid("customer.name: 1 to 200 characters"));
            }
            let identity = c
                .email
                .clone()
                .map(|e| ("email".to_string(), e.trim().to_lowercase()))
                .or_else(|| c.phone.clone().map(|p| ("phone".to_string(), p)));
            CustomerRef::New {
                name: c.name,
                email: c.email,
                identity,
            }
        }
        (None, None) => return Err(ApiError::invalid("give customer_id or customer")),
    };
    let org = auth.org_id();
    if input.attributes.len() > 32
        || input
            .attributes
            .iter()
            .any(|(k, v)| k.is_empty() || k.len() > 64 || v.len() > 256)
    {
        return Err(ApiError::invalid(
            "attributes: at most 32, names 1 to 64 characters, values at most 256",
        ));
    }
    let actor = Actor::from(&auth);
    idempotent(&state, &auth, &headers, "contacts", &body, |rec| async {
        let stored = if rec.is_some() {
            Stored::WithResult
        } else {
            Stored::No
        };
        let c = contacts::create_contact(
            &state,
            org,
            actor,
            NewContact {
                topic: input.topic,
                data: Map::new(),
                first_message: input.text,
                attributes: input.attributes,
                idempotency: rec,
                ..NewContact::new(input.channel, input.queue_id, customer)
            },
        )
        .await?;
        Ok((wire::contact(&c), stored))
    })
    .await
}

/// One contact.
#[utoipa::path(get, path = "/api/contacts/{id}", tag = "contacts", params(("id" = Uuid, Path)), responses((status = 200, body = wire::ContactOut), (status = 404, body = crate::error::ErrorBody)))]
async fn get_contact(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    auth.require(ALL)?;
    let c = contacts::visible(&state, &auth, id).await?;
    contacts::audit_read(&state, &auth, "contact", id).await?;
    let mut v = wire::contact_out(&c);
    if let Some((pos, est)) = contacts::queue_position(&state, auth.org_id(), id) {
        v.position = Some(pos as u64);
        v.estimated_wait_s = Some(est);
    }
    Ok(Json(serde_json::to_value(v).unwrap_or(Value::Null)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AfterQuery {
    /// Only messages with a greater `seq`.
    pub after_seq: Option<i64>,
    /// At most this many (1 to 1000, default 500).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealIn {
    /// Why you need the hidden values (kept with your name in the log): 3 to 500
    /// characters, e.g. "customer asked for a call back".
    pub reason: String,
}

/// Show the personal data masked out of one customer message, to staff who may see the
/// contact (not analysts), for a reason that is recorded as `pii.revealed` before the
/// values are sent. Card numbers are never kept: theirs come back `null`.
#[utoipa::path(post, path = "/api/contacts/{id}/messages/{seq}/reveal", tag = "contacts", params(("id" = Uuid, Path), ("seq" = i64, Path)), request_body = RevealIn,
    responses((status = 200, body = wire::Revealed), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn reveal(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, seq)): Path<(Uuid, i64)>,
    Json(body): Json<RevealIn>,
) -> ApiResult<Json<wire::Revealed>> {
    auth.require(HANDLERS)?;
    let reason = body.reason.trim();
    if reason.chars().count() < 3 || reason.len() > 500 {
        return Err(ApiError::invalid(
            "reason: say in 3 to 500 characters why you need to see these details",
        ));
    }
    contacts::visible(&state, &auth, id).await?;
    let org = auth.org_id();
    let m = state
        .messages(org, id, seq.saturating_sub(1), 1)
        .await?
        .into_iter()
        .find(|m| m.seq == seq)
        .ok_or_else(|| ApiError::not_found("message"))?;
    if m.pii.is_empty() {
        return Err(ApiError::not_found("hidden details in this message"));
    }
    let values = m
        .pii
        .iter()
        .map(|h| wire::RevealedValue {
            kind: h.kind.clone(),
            mask: h.mask.clone(),
            value: h
                .sealed
                .as_deref()
                .and_then(|s| state.sealer().open(org, crate::pii::SEALED_FIELD, s)),
        })
        .collect();
    // Recorded before anything is shown.
    state
        .write(
            vec![
                LiveEvent::PiiRevealed {
                    contact_id: id,
                    seq,
                    kinds: m.pii.iter().map(|h| h.kind.clone()).collect(),
                    reason: reason.to_string(),
                }
                .change(org, state.now(), Actor::from(&auth)),
            ],
            vec![],
        )
        .await?;
    Ok(Json(wire::Revealed { values }))
}

/// Messages of a contact, in order. Those an agent sent through a channel carry their
/// `delivery` (`{status: queued|sent|delivered|read|failed, attempts, error}`).
#[utoipa::path(get, path = "/api/contacts/{id}/messages", tag = "contacts", params(("id" = Uuid, Path), AfterQuery), responses((status = 200, body = wire::MessagePage)))]
async fn list_messages(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Query(q): Query<AfterQuery>,
) -> ApiResult<Json<Value>> {
    auth.require(ALL)?;
    let c = contacts::visible(&state, &auth, id).await?;
    contacts::audit_read(&state, &auth, "transcript", id).await?;
    let ms = state
        .messages(
            auth.org_id(),
            id,
            q.after_seq.unwrap_or(0),
            q.limit.unwrap_or(500),
        )
        .await?;
    let after = ms.first().map(|m| m.seq - 1).unwrap_or(0);
    let deliveries: std::collections::HashMap<Uuid, store::Delivery> = state
        .store()
        .list_deliveries(auth.org_id(), id, after)
        .await?
        .into_iter()
        .map(|d| (d.message_id, d))
        .collect();
    let items: Vec<Value> = ms
        .iter()
        .map(|m| wire::staff_message(m, &c, deliveries.get(&m.id)))
        .collect();
    Ok(Json(json!({"items": items})))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageIn {
    /// The sender's idempotency key: a retry with the same one returns the first message.
    pub client_id: String,
    /// The message (left out when sending a `template`: its filled-in body is the text).
    #[serde(default)]
    pub text: String,
    /// A note for staff only, never shown to the customer.
    #[serde(default)]
    pub internal: bool,
    /// Send one of the channel's approved templates instead of free text (WhatsApp:
    /// the only way to write once 24 hours have passed since the customer last wrote).
    pub template: Option<TemplateIn>,
    /// A file uploaded to this contact (`POST /api/contacts/{id}/attachments`) to send
    /// with the message; `text` may then be empty (its caption where the channel has
    /// captions; on Messenger, which has none, it must be).
    pub attachment_id: Option<Uuid>,
}

/// Which approved template to send, and its parameters.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateIn {
    pub name: String,
    /// Needed only when the template is approved in more than one language.
    pub language: Option<String>,
    /// The values of `{{1}}`, `{{2}}`, … in order.
    #[serde(default)]
    pub params: Vec<String>,
}

/// A template an agent may send on this contact's channel.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateOut {
    pub name: String,
    pub language: String,
    /// The body, with `{{1}}`, `{{2}}`, … where the parameters go.
    pub body: String,
    /// How many parameters it takes.
    pub params: usize,
}

/// The approved templates of the contact's channel (WhatsApp; empty for the others).
async fn channel_templates(
    state: &AppState,
    org: Uuid,
    c: &Contact,
) -> ApiResult<Vec<crate::channels::whatsapp::Template>> {
    use crate::channels::outbound::{Provider, endpoint};
    if c.channel != Channel::Whatsapp {
        return Ok(Vec::new());
    }
    Ok(match endpoint(state, org, Channel::Whatsapp).await? {
        Some(e) => match e.provider {
            Provider::Whatsapp(cfg) => cfg.templates,
            _ => Vec::new(),
        },
        None => Vec::new(),
    })
}

/// The approved templates an agent may send on this contact (WhatsApp's way to write
/// after the 24-hour window closed).
#[utoipa::path(get, path = "/api/contacts/{id}/templates", tag = "contacts", params(("id" = Uuid, Path)), responses((status = 200, body = Vec<TemplateOut>)))]
async fn list_templates(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<TemplateOut>>> {
    auth.require(HANDLERS)?;
    let c = contacts::visible(&state, &auth, id).await?;
    let out = channel_templates(&state, auth.org_id(), &c)
        .await?
        .into_iter()
        .map(|t| TemplateOut {
            params: t.params().unwrap_or(0),
            name: t.name,
            language: t.language,
            body: t.body,
        })
        .collect();
    Ok(Json(out))
}

/// The template `want` names on this contact's channel, filled in: its text and what
/// the channel is sent.
async fn fill_template(
    state: &AppState,
    org: Uuid,
    c: &Contact,
    want: TemplateIn,
) -> ApiResult<(String, store::MessageTemplate)> {
    if c.channel != Channel::Whatsapp {
        return Err(ApiError::invalid(format!(
            "template: {} conversations take free text only",
            c.channel.as_str()
        )));
    }
    let all = channel_templates(state, org, c).await?;
    let named: Vec<_> = all
        .iter()
        .filter(|t| t.name == want.name)
        .filter(|t| want.language.as_ref().is_none_or(|l| *l == t.language))
        .collect();
    let t = match named.as_slice() {
        [t] => *t,
        [] => {
            return Err(ApiError::invalid(format!(
                "template: no approved template `{}`{}; an admin adds templates under Admin → Channels → WhatsApp",
                want.name.chars().take(60).collect::<String>(),
                want.language
                    .map(|l| format!(" in {l}"))
                    .unwrap_or_default()
            )));
        }
        _ => {
            return Err(ApiError::invalid(format!(
                "template: `{}` is approved in several languages; say which in `language`",
                want.name
            )));
        }
    };
    let n = t.params().map_err(ApiError::invalid)?;
    if want.params.len() != n {
        return Err(ApiError::invalid(format!(
            "template: `{}` takes {n} parameter(s), {} given",
            t.name,
            want.params.len()
        )));
    }
    if let Some(p) = want
        .params
        .iter()
        .find(|p| p.trim().is_empty() || p.chars().count() > 1024 || p.contains(['\n', '\t']))
    {
        return Err(ApiError::invalid(format!(
            "template: each parameter is 1 to 1024 characters on one line (`{}`)",
            p.chars().take(40).collect::<String>()
        )));
    }
    Ok((
        t.render(&want.params),
        store::MessageTemplate {
            name: t.name.clone(),
            language: t.language.clone(),
            params: want.params,
        },
    ))
}

/// Send a message as the agent (or a supervisor's internal note). It is answered once
/// durable, with its `delivery` queued in the outbox; `receipt` updates on the staff
/// WebSocket follow it to `sent`, `delivered`, `read` or `failed`.
#[utoipa::path(post, path = "/api/contacts/{id}/messages", tag = "contacts", params(("id" = Uuid, Path)), request_body = MessageIn, responses((status = 201, body = wire::MessageOut), (status = 409, body = crate::error::ErrorBody)))]
async fn post_message(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Json(body): Json<MessageIn>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    auth.require(HANDLERS)?;
    let c = contacts::visible(&state, &auth, id).await?;
    if c.agent_id != Some(auth.user.id) && !auth.is_staff_manager() {
        return Err(ApiError::forbidden("accept the contact first"));
    }
    // Someone other than the assigned agent whispers (an internal message), unless they
    // joined the conversation (barged), when the customer sees them too.
    let mine = c.agent_id == Some(auth.user.id);
    let internal = body.internal || (!mine && !crate::supervise::has_barged(&c, auth.user.id));
    let attachment = match body.attachment_id {
        None => None,
        Some(_) if body.template.is_some() => {
            return Err(ApiError::invalid(
                "attachment_id: a template is sent alone, without a file",
            ));
        }
        Some(a) => {
            let meta = state
                .attachment(auth.org_id(), a)
                .await?
                .filter(|m| m.contact_id == id)
                .ok_or_else(|| {
                    ApiError::invalid("attachment_id: no file uploaded to this contact")
                })?;
            if c.channel == Channel::Messenger && !body.text.trim().is_empty() {
                return Err(ApiError::invalid(
                    "text: Messenger shows no caption with a file; send the text as its own message",
                ));
            }
            if c.channel == Channel::Voice {
                return Err(ApiError::invalid("attachment_id: a call carries no files"));
            }
            Some(wire::attachment(&meta))
        }
    };
    let (text, template) = match body.template {
        None => (body.text, None),
        Some(_) if internal => {
            return Err(ApiError::invalid(
                "template: templates go to the customer; an internal note is free text",
            ));
        }
        Some(want) => {
            let (text, t) = fill_template(&state, auth.org_id(), &c, want).await?;
            (text, Some(t))
        }
    };
    let appended = contacts::append(
        &state,
        auth.org_id(),
        id,
        NewMessage {
            sent_at: None,
            sender: if mine {
                Sender::Agent
            } else {
                Sender::Supervisor
            },
            author: Some(Actor::from(&auth)),
            author_name: Some(auth.user.name.clone()),
            text: (attachment.is_none() || !text.trim().is_empty()).then_some(text),
            attachment,
            internal,
            client_id: Some(body.client_id),
            template,
        },
    )
    .await?;
    let m = appended.message;
    let (c, d) = match appended.written {
        Some(written) => written,
        // A retry answered with the first attempt: read what became of it.
        None => {
            let c = state.contact(auth.org_id(), id).await?.unwrap_or(c);
            let d = state.store().get_delivery(auth.org_id(), m.id).await?;
            (c, d)
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(wire::staff_message(&m, &c, d.as_ref())),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferIn {
    pub queue_id: Option<Uuid>,
    pub agent_id: Option<Uuid>,
    /// For the next agent only (the customer never sees it).
    pub note: Option<String>,
}

/// Transfer an active contact to a queue or an agent.
#[utoipa::path(post, path = "/api/contacts/{id}/transfer", tag = "contacts", params(("id" = Uuid, Path)), request_body = TransferIn, responses((status = 200, body = wire::ContactOut)))]
async fn transfer(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Json(body): Json<TransferIn>,
) -> ApiResult<Json<Value>> {
    auth.require(HANDLERS)?;
    contacts::visible(&state, &auth, id).await?;
    let c = contacts::transfer(
        &state,
        auth.org_id(),
        Actor::from(&auth),
        auth.is_staff_manager(),
        id,
        contacts::Handover {
            queue: body.queue_id,
            agent: body.agent_id,
            note: body.note,
        },
    )
    .await?;
    Ok(Json(wire::contact(&c)))
}

/// End the conversation; the agent goes to after-contact work.
#[utoipa::path(post, path = "/api/contacts/{id}/end", tag = "contacts", params(("id" = Uuid, Path)), responses((status = 200, body = wire::ContactOut)))]
async fn end(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    auth.require(HANDLERS)?;
    let c = contacts::visible(&state, &auth, id).await?;
    if c.agent_id != Some(auth.user.id) && !auth.is_staff_manager() {
        return Err(ApiError::forbidden("not your contact"));
    }
    let c = contacts::end_contact(&state, auth.org_id(), id, Actor::from(&auth)).await?;
    Ok(Json(wire::contact(&c)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WrapupIn {
    /// A wrap-up code (its name or id).
    pub code: String,
    pub notes: Option<String>,
}

/// Record the wrap-up and close the contact.
#[utoipa::path(post, path = "/api/contacts/{id}/wrapup", tag = "contacts", params(("id" = Uuid, Path)), request_body = WrapupIn, responses((status = 200, body = wire::ContactOut)))]
async fn wrapup(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Json(body): Json<WrapupIn>,
) -> ApiResult<Json<Value>> {
    auth.require(HANDLERS)?;
    contacts::visible(&state, &auth, id).await?;
    if body.notes.as_ref().is_some_and(|n| n.len() > 10_000) {
        return Err(ApiError::invalid("notes: at most 10000 bytes"));
    }
    let c = contacts::wrapup(
        &state,
        auth.org_id(),
        Actor::from(&auth),
        auth.is_staff_manager(),
        id,
        body.code,
        body.notes,
    )
    .await?;
    Ok(Json(wire::contact(&c)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadIn {
    pub up_to_seq: i64,
}

/// The agent has read the customer's messages up to `up_to_seq`.
#[utoipa::path(post, path = "/api/contacts/{id}/read", tag = "contacts", params(("id" = Uuid, Path)), request_body = ReadIn, responses((status = 204, description = "noted")))]
async fn read(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Json(body): Json<ReadIn>,
) -> ApiResult<StatusCode> {
    auth.require(HANDLERS)?;
    let c = contacts::visible(&state, &auth, id).await?;
    if c.agent_id != Some(auth.user.id) {
        return Err(ApiError::forbidden("not your contact"));
    }
    contacts::mark_read(&state, auth.org_id(), id, Sender::Agent, body.up_to_seq).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypingIn {
    pub typing: bool,
}

/// The agent is typing (shown to the customer).
#[utoipa::path(post, path = "/api/contacts/{id}/typing", tag = "contacts", params(("id" = Uuid, Path)), request_body = TypingIn, responses((status = 204, description = "sent")))]
async fn typing(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Json(body): Json<TypingIn>,
) -> ApiResult<StatusCode> {
    auth.require(HANDLERS)?;
    let c = contacts::visible(&state, &auth, id).await?;
    if c.agent_id != Some(auth.user.id) {
        return Err(ApiError::forbidden("not your contact"));
    }
    contacts::set_typing(&state, auth.org_id(), id, Sender::Agent, body.typing).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateIn {
    pub state: AgentState,
    pub reason: Option<String>,
}

/// Set my presence: `available`, `break` (with a reason) or `offline`.
#[utoipa::path(put, path = "/api/agent/state", tag = "agent", request_body = StateIn, responses((status = 200, description = "the agent"), (status = 403, body = crate::error::ErrorBody)))]
async fn set_state(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<StateIn>,
) -> ApiResult<Json<Value>> {
    auth.require(HANDLERS)?;
    let a = contacts::set_agent_state(
        &state,
        auth.org_id(),
        Actor::from(&auth),
        body.state,
        body.reason,
    )
    .await?;
    Ok(Json(a))
}

/// My pending offers and assigned contacts.
#[utoipa::path(get, path = "/api/offers", tag = "agent", responses((status = 200, description = "`{offers, contacts, agent}`")))]
async fn list_offers(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require(HANDLERS)?;
    Ok(Json(contacts::agent_snapshot(
        &state,
        auth.org_id(),
        auth.user.id,
    )))
}

/// Accept an offer: the contact is mine and active.
#[utoipa::path(post, path = "/api/offers/{id}/accept", tag = "agent", params(("id" = Uuid, Path)), responses((status = 200, body = wire::ContactOut), (status = 404, body = crate::error::ErrorBody)))]
async fn accept(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    auth.require(HANDLERS)?;
    let c = contacts::accept_offer(&state, auth.org_id(), Actor::from(&auth), id).await?;
    Ok(Json(wire::contact(&c)))
}

/// Decline an offer.
#[utoipa::path(post, path = "/api/offers/{id}/reject", tag = "agent", params(("id" = Uuid, Path)), responses((status = 204, description = "declined"), (status = 404, body = crate::error::ErrorBody)))]
async fn reject(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    auth.require(HANDLERS)?;
    contacts::reject_offer(&state, auth.org_id(), Actor::from(&auth), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A customer, their identities and recent contacts (agents: only their customers).
/// A customer merged into another answers 404 with `details.merged_into`.
#[utoipa::path(get, path = "/api/customers/{id}", tag = "contacts", params(("id" = Uuid, Path)), responses((status = 200, description = "`{customer, identities, contacts}`"), (status = 404, body = crate::error::ErrorBody)))]
async fn get_customer(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    auth.require(ALL)?;
    let org = auth.org_id();
    let c = crate::customers::existing(&state, org, id).await?;
    if auth.role() == Role::Agent {
        let mine = state.with_org(org, |o| crate::customers::serves(o, auth.user.id, id));
        if !mine {
            return Err(ApiError::forbidden(
                "not the customer of one of your contacts",
            ));
        }
    }
    contacts::audit_read(&state, &auth, "customer", id).await?;
    let ids = state.identities(org, id).await?;
    let cs = state
        .contacts(
            org,
            &ContactFilter {
                customer_id: Some(id),
                ..Default::default()
            },
            store::PageRequest {
                after: None,
                limit: 50,
            },
        )
        .await?;
    Ok(Json(json!({
        "customer": {"id": c.id, "name": c.name, "email": c.email, "created_at": wire::ts(c.created_at)},
        "identities": ids.iter().map(|i| json!({"id": i.id, "kind": i.kind, "value": i.value})).collect::<Vec<_>>(),
        "contacts": cs.items.iter().map(wire::contact).collect::<Vec<_>>(),
    })))
}

/// Why a customer is erased.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseIn {
    /// Why (kept with your name in the log, so write no personal data in it): 3 to 500
    /// characters, e.g. "erasure request of 2026-12-01, ticket 4711".
    pub reason: String,
}

/// What an erasure deleted.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErasureReport {
    pub customer_id: Uuid,
    /// Rows deleted per kind: `customers`, `identities`, `contacts`, `messages`,
    /// `attachments`, `deliveries`, `idempotency_keys`.
    pub erased: std::collections::BTreeMap<String, u64>,
}

/// Erase one customer on request (admins): the customer, their identities, contacts,
/// messages, attachments, deliveries and the idempotency records that name them are
/// deleted in one commit with a `customer.erased` event (the reason and the admin).
/// The event log keeps only ids, so its hash chain stays whole. A customer with a
/// contact not yet closed is refused (409): close it first.
#[utoipa::path(post, path = "/api/customers/{id}/erase", tag = "contacts", params(("id" = Uuid, Path)), request_body = EraseIn, responses((status = 200, body = ErasureReport), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn erase_customer(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Json(body): Json<EraseIn>,
) -> ApiResult<Json<ErasureReport>> {
    auth.require(&[Role::Admin])?;
    let reason = body.reason.trim().to_string();
    if reason.chars().count() < 3 || reason.len() > 500 {
        return Err(ApiError::invalid(
            "reason: say in 3 to 500 characters why this customer is erased",
        ));
    }
    let org = auth.org_id();
    if state.customer(org, id).await?.is_none() {
        return Err(ApiError::not_found("customer"));
    }
    let actor = Actor::from(&auth);
    let ((), committed) = state
        .mutate_committed(org, |o, now| {
            // Under the organisation's lock: no contact of theirs opens meanwhile.
            if o.contacts().any(|lc| lc.contact.customer_id == Some(id)) {
                return Err(ApiError::conflict(
                    "this customer has a contact that is not closed yet: close it first",
                ));
            }
            let mut tx = Tx::new(());
            tx.changes = vec![
                store::Change::EraseCustomer {
                    org_id: org,
                    customer_id: id,
                },
                LiveEvent::CustomerErased {
                    customer_id: id,
                    reason: reason.clone(),
                }
                .change(org, now, actor),
            ];
            Ok(tx)
        })
        .await?;
    if !committed
        .erased
        .iter()
        .any(|(t, n)| *t == "customers" && *n > 0)
    {
        // Erased by a request that raced this one.
        return Err(ApiError::not_found("customer"));
    }
    Ok(Json(ErasureReport {
        customer_id: id,
        erased: committed
            .erased
            .into_iter()
            .map(|(t, n)| (t.to_string(), n))
            .collect(),
    }))
}

/// Who sent an inbound message.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundFrom {
    /// `phone`, `email`, `messenger_psid`, `whatsapp`, `chat`…
    pub kind: String,
    pub value: String,
    pub name: Option<String>,
}

/// An inbound message from an integration, in the channel contract's one shape.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundIn {
    #[schema(value_type = String, example = "sms")]
    pub channel: store::Channel,
    pub from: InboundFrom,
    /// The provider's id of the message: a second delivery answers the first result.
    pub message_id: String,
    /// When the provider says it was sent (RFC 3339).
    pub sent_at: Option<String>,
    pub text: Option<String>,
    /// Where a new contact waits.
    pub queue_id: Uuid,
    #[serde(default)]
    pub attributes: std::collections::BTreeMap<String, String>,
}

/// Receive a customer's message from any channel (integrations): the customer is found
/// by identity, their open contact on that channel gets the message, or a new contact is
/// opened and routed. Idempotent on `message_id`, also across restarts.
#[utoipa::path(post, path = "/api/inbound", tag = "contacts", request_body = InboundIn,
    responses((status = 200, description = "`{contact, message, opened, duplicate}`"), (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn inbound(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<InboundIn>,
) -> ApiResult<Json<Value>> {
    auth.require(MANAGERS)?;
    let sent_at = match &body.sent_at {
        Some(t) => Some(
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .map_err(|_| {
                    ApiError::invalid("sent_at: an RFC 3339 time such as 2026-12-01T15:04:05Z")
                })?,
        ),
        None => None,
    };
    if body.text.as_deref().is_none_or(|t| t.trim().is_empty()) {
        return Err(ApiError::invalid("text: an inbound message needs text"));
    }
    let r = crate::channels::receive(
        &state,
        auth.org_id(),
        crate::channels::Inbound {
            channel: body.channel,
            identity: (body.from.kind, body.from.value),
            name: body.from.name,
            provider_message_id: body.message_id,
            sent_at,
            text: body.text,
            attachment: None,
            queue_id: body.queue_id,
            attributes: body.attributes,
            thread: crate::channels::Threading::Open,
            topic: None,
        },
    )
    .await?;
    Ok(Json(json!({
        "contact": wire::contact(&r.contact),
        "message": wire::message(&r.message, &r.contact),
        "opened": r.opened,
        "duplicate": r.duplicate,
    })))
}
