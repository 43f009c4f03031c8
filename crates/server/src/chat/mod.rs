//! The web chat channel: the endpoints the customer's chat widget talks to
//! (`/api/widget/…`), see `docs/http-api.md`, "Customers (chat widget)".
//!
//! - A chat is a contact on the `chat` channel, created through the conversation service
//!   ([`crate::contacts`]) in the queue of the topic the customer picked, for a customer
//!   found by (or given) a chat visitor id and email identity.
//! - The customer authenticates with a per-chat bearer secret ([`token`]): random, shown
//!   once, stored as its SHA-256 in the contact's data. It travels in
//!   `Authorization: Bearer …`, or in `?token=` where a header cannot be set (the
//!   WebSocket). No cookies: the widget runs on other sites, so these routes answer CORS
//!   with `*` and nothing here is ambient.
//! - The customer's WebSocket resumes with `after_seq`: it subscribes to the contact's
//!   live feed *first*, sends a `state` frame (status, position, agent name), then the
//!   stored messages after `after_seq`, then the live ones whose `seq` it has not sent.
//!   So nothing is lost and nothing is sent twice. A wrong token gets close code 4401.
//!   Its buffer is the hub's bounded channel: a client too slow to read is cut off (close
//!   code 1013) and resumes.
//! - Attachments ([`upload`]) are typed by their bytes, capped at 10 MiB while they
//!   stream in, and kept by the server in its store; agents download them from the
//!   server (`GET /api/attachments/{id}`), never from the customer.
//! - Opening chats is rate-limited per client address ([`ratelimit`]); a chat carries at
//!   most [`MAX_ATTACHMENTS_PER_CHAT`] files.
//!
//! Invariant: a customer sees only its own contact, never an internal note, never staff
//! data beyond the agent's display name.

pub mod ratelimit;
pub mod token;
pub mod upload;

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, Extension, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use store::{Contact, ContactStatus, Sender, Store};
use uuid::Uuid;

use crate::auth::{Auth, ClientIp};
use crate::contacts::{self, CustomerRef, NewContact, NewMessage};
use crate::error::{Json, Path, Query};
use crate::{ApiError, ApiResult, AppState, wire};

pub use ratelimit::Limit;
use ratelimit::RateLimiter;
use upload::{MAX_ATTACHMENT_BYTES, UploadBuffer, UploadError};

/// The contact data key holding the chat token's hash.
const TOKEN_HASH_KEY: &str = "widget_token_hash";
/// Multipart framing allowed on top of the file itself.
const MULTIPART_SLACK: usize = 256 * 1024;
/// Files one chat may send (10 MiB each): enough for receipts and photos, not a disk
/// filler.
pub const MAX_ATTACHMENTS_PER_CHAT: u64 = 20;
/// The contact data key counting a chat's files.
const ATTACHMENT_COUNT_KEY: &str = "attachment_count";
/// JSON bodies of the widget are small.
const JSON_LIMIT: usize = 64 * 1024;
pub const HEARTBEAT: Duration = Duration::from_secs(15);
pub const IDLE_LIMIT: Duration = Duration::from_secs(60);

static CREATE_LIMIT: RwLock<Limit> = RwLock::new(Limit::DEFAULT);

/// Sets the per-address limit on opening chats for routers built from now on (the
/// demo loosens it, load benchmarks lift it). Default: [`Limit::DEFAULT`].
pub fn set_create_limit(limit: Limit) {
    *CREATE_LIMIT.write().unwrap_or_else(|p| p.into_inner()) = limit;
}

#[derive(Clone)]
struct Shared {
    limiter: Arc<RateLimiter>,
}

/// The widget's routes (CORS open to every origin) and the staff download of
/// attachments.
pub fn router() -> axum::Router<AppState> {
    let limit = *CREATE_LIMIT.read().unwrap_or_else(|p| p.into_inner());
    let shared = Shared {
        limiter: Arc::new(RateLimiter::new(limit)),
    };
    let widget = axum::Router::new()
        .route("/api/widget/{org}/config", get(config))
        .route("/api/widget/{org}/search", get(search))
        .route("/api/widget/{org}/chats", post(create_chat))
        .route("/api/widget/chats/{id}", get(get_chat))
        .route("/api/widget/chats/{id}/messages", post(post_message))
        .route("/api/widget/chats/{id}/typing", post(typing))
        .route("/api/widget/chats/{id}/read", post(read))
        .route(
            "/api/widget/chats/{id}/attachments",
            post(upload_attachment).layer(DefaultBodyLimit::max(
                MAX_ATTACHMENT_BYTES + MULTIPART_SLACK,
            )),
        )
        .route(
            "/api/widget/chats/{id}/attachments/{att}",
            get(customer_attachment),
        )
        .route("/api/widget/chats/{id}/end", post(end))
        .route("/api/widget/chats/{id}/handover", post(ask_for_person))
        .route("/api/widget/chats/{id}/csat", post(csat))
        .route("/api/widget/chats/{id}/ws", get(ws_handler))
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .layer(middleware::from_fn(cors));
    axum::Router::new()
        .merge(widget)
        .route("/api/attachments/{att}", get(staff_attachment))
        .route(
            "/api/contacts/{id}/attachments",
            post(staff_upload).layer(DefaultBodyLimit::max(
                MAX_ATTACHMENT_BYTES + MULTIPART_SLACK,
            )),
        )
        .route("/api/media/{token}", get(provider_media))
        .layer(Extension(shared))
}

/// CORS for the widget: any origin, no credentials (the token is a header).
async fn cors(req: Request, next: Next) -> Response {
    if req.method() == Method::OPTIONS {
        let mut resp = StatusCode::NO_CONTENT.into_response();
        let h = resp.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type, accept"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        return resp;
    }
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("retry-after, content-disposition"),
    );
    resp
}

// ---------- organisation and topics ----------

async fn find_org(state: &AppState, slug: &str) -> ApiResult<store::Org> {
    if !crate::seed::valid_slug(slug) {
        return Err(ApiError::not_found("organisation"));
    }
    state
        .store()
        .get_org_by_slug(slug)
        .await?
        .ok_or_else(|| ApiError::not_found("organisation"))
}

/// The queues customers may pick, in creation order: those marked public, or every
/// queue when none is marked (an organisation that never configured the widget).
fn topics(state: &AppState, org: Uuid) -> Vec<(Uuid, String)> {
    state.with_org(org, |o| {
        let any_public = o.queues().any(|q| q.settings.public == Some(true));
        let mut out: Vec<(Uuid, String)> = o
            .queues()
            .filter(|q| {
                if any_public {
                    q.settings.public == Some(true)
                } else {
                    q.settings.public != Some(false)
                }
            })
            .map(|q| (q.id, q.name.clone()))
            .collect();
        out.sort_by_key(|(id, _)| *id);
        out
    })
}

async fn config(State(state): State<AppState>, Path(org): Path<String>) -> ApiResult<Response> {
    let org = find_org(&state, &org).await?;
    let topics: Vec<Value> = topics(&state, org.id)
        .into_iter()
        .map(|(id, name)| json!({"id": id, "name": name}))
        .collect();
    let body = json!({
        "org_name": org.name,
        "topics": topics,
        "max_attachment_bytes": MAX_ATTACHMENT_BYTES,
        "attachment_types": ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"],
    });
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=60")],
        axum::Json(body),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    q: String,
}

/// The help center's best articles for what a visitor types before starting a chat
/// (at most three, published only): many questions end here, without a chat.
async fn search(
    State(state): State<AppState>,
    Path(org): Path<String>,
    Query(p): Query<SearchQuery>,
) -> ApiResult<Response> {
    let org = find_org(&state, &org).await?;
    let q = p.q.trim();
    if q.is_empty() || q.chars().count() > 300 {
        return Err(ApiError::invalid("q: 1 to 300 characters"));
    }
    let hits = crate::knowledge::search(&state, org.id, q, "en", 3).await?;
    let items: Vec<Value> = crate::knowledge::with_articles(&state, org.id, hits)
        .await?
        .into_iter()
        .map(|(_, a, v)| {
            json!({
                "title": v.title,
                "url": format!("/help/{}/a/{}", org.slug, a.slug()),
                "excerpt": kb::render::excerpt(&v.body, 200),
            })
        })
        .collect();
    Ok(axum::Json(json!({ "items": items })).into_response())
}

// ---------- opening a chat ----------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewChat {
    name: String,
    #[serde(default)]
    email: Option<String>,
    /// A topic id (a queue id) or a topic name.
    topic: String,
    /// The widget's random id for this browser, kept across chats.
    #[serde(default)]
    visitor_id: Option<String>,
    /// The widget's id for this attempt (with `visitor_id`): a retry of the same start
    /// gets the same chat back, with a fresh token, instead of a second chat.
    #[serde(default)]
    client_id: Option<String>,
}

fn valid_visitor_id(v: &str) -> bool {
    (8..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn clean_name(name: &str) -> ApiResult<String> {
    let name: String = name.chars().filter(|c| !c.is_control()).collect();
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid("name: 1 to 100 characters"));
    }
    Ok(name.to_string())
}

async fn create_chat(
    State(state): State<AppState>,
    Extension(shared): Extension<Shared>,
    ClientIp(ip): ClientIp,
    Path(org): Path<String>,
    Json(body): Json<NewChat>,
) -> ApiResult<(StatusCode, axum::Json<Value>)> {
    if let Err(wait) = shared.limiter.check(ip, Instant::now()) {
        let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
        return Err(ApiError::too_many(
            "too many chats opened from this address; try again shortly",
            secs,
        ));
    }
    let org = find_org(&state, &org).await?;
    let name = clean_name(&body.name)?;
    let email = match body.email.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(e) if crate::seed::valid_email(e) => Some(e.to_lowercase()),
        Some(_) => return Err(ApiError::invalid("email: not an email address")),
    };
    let topic = body.topic.trim();
    let queue = topics(&state, org.id)
        .into_iter()
        .find(|(id, n)| id.to_string() == topic || n.eq_ignore_ascii_case(topic))
        .ok_or_else(|| ApiError::invalid("topic: not a topic of this organisation"))?;
    let visitor_id = match body.visitor_id.as_deref() {
        Some(v) if valid_visitor_id(v) => v.to_string(),
        Some(_) => {
            return Err(ApiError::invalid(
                "visitor_id: 8 to 64 letters, digits, - or _",
            ));
        }
        None => {
            let b: [u8; 16] = rand::random();
            hex::encode(b)
        }
    };

    // A retried start: the chat it opened, with a new token (the first answer was lost).
    let retry_key = match &body.client_id {
        Some(c) if c.is_empty() || c.len() > 100 => {
            return Err(ApiError::invalid("client_id: 1 to 100 characters"));
        }
        Some(c) if body.visitor_id.is_some() => Some(format!("widget-start:{visitor_id}:{c}")),
        _ => None,
    };
    let request_hash = crate::auth::sha256_hex(&format!(
        "{name}\n{}\n{topic}",
        email.as_deref().unwrap_or("")
    ));
    let lock = retry_key
        .as_ref()
        .map(|k| crate::api::key_lock(&format!("{}:{k}", org.id)));
    let _one_at_a_time = match &lock {
        Some(l) => Some(l.lock().await),
        None => None,
    };
    if let Some(key) = &retry_key
        && let Some(rec) = state.idempotency(org.id, key).await?
    {
        if rec.request_hash != request_hash {
            return Err(ApiError::invalid(
                "client_id was already used to start a different chat; use a new one",
            ));
        }
        let id: Uuid = rec.body["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| ApiError::internal("a stored chat start is unreadable"))?;
        let (secret, hash) = token::generate(org.id);
        let mut patch = Map::new();
        patch.insert(TOKEN_HASH_KEY.into(), Value::String(hash));
        let contact = contacts::update_contact_data(&state, org.id, id, patch).await?;
        return Ok((
            StatusCode::CREATED,
            axum::Json(start_answer(&state, &contact, secret, &visitor_id)),
        ));
    }

    // The same browser, else the same email, is the same customer.
    let mut known = state.find_identity(org.id, "chat", &visitor_id).await?;
    let by_visitor = known.is_some();
    if known.is_none()
        && let Some(e) = &email
    {
        known = state.find_identity(org.id, "email", e).await?;
    }
    // The customer gets the identities of this chat they lack, in the chat's commit:
    // the email unless it found them, the visitor id when the email did.
    let mut identities = Vec::new();
    if let Some(e) = &email
        && (known.is_none() || by_visitor)
    {
        identities.push(("email".to_string(), e.clone()));
    }
    if known.is_some() && !by_visitor {
        identities.push(("chat".to_string(), visitor_id.clone()));
    }
    let customer = match &known {
        Some(i) => CustomerRef::Existing(i.customer_id),
        None => CustomerRef::New {
            name: name.clone(),
            email: email.clone(),
            identity: Some(("chat".into(), visitor_id.clone())),
        },
    };
    let (secret, hash) = token::generate(org.id);
    let mut data = Map::new();
    data.insert(TOKEN_HASH_KEY.into(), Value::String(hash));
    data.insert("visitor_id".into(), Value::String(visitor_id.clone()));
    // The name given in this chat (a known customer may use another one today).
    data.insert("chat_name".into(), Value::String(name.clone()));
    if let Some(e) = &email {
        data.insert("email".into(), Value::String(e.clone()));
    }
    let idempotency = retry_key.map(|key| store::IdempotencyRecord {
        org_id: org.id,
        key,
        request_hash,
        status: 201,
        body: Value::Null,
        created_at: state.now(),
    });
    let bot = crate::bot::first(&state, org.id, queue.0, store::Channel::Chat)
        .await?
        .map(|settings| crate::bot::BotRecord::start(&settings, Default::default()));
    let contact = contacts::create_contact(
        &state,
        org.id,
        crate::events::Actor::Customer,
        NewContact {
            topic: Some(queue.1.clone()),
            data,
            idempotency,
            identities,
            bot,
            ..NewContact::new(store::Channel::Chat, queue.0, customer)
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(start_answer(&state, &contact, secret, &visitor_id)),
    ))
}

/// What a started chat answers: its id, the customer's token, and the place in line.
fn start_answer(state: &AppState, contact: &Contact, secret: String, visitor_id: &str) -> Value {
    let position = contacts::queue_position(state, contact.org_id, contact.id);
    json!({
        "contact_id": contact.id,
        "token": secret,
        "visitor_id": visitor_id,
        "status": customer_status(contact.status),
        "position": position.map(|p| p.0),
        "estimated_wait_s": position.map(|p| p.1),
    })
}

// ---------- the customer's token ----------

/// A chat the request proved it owns.
struct Chat {
    org: Uuid,
    contact: Contact,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

/// The contact, from the live state when it is open, else from the store.
/// Checks the chat token (header, else `?token=`) against contact `id`. Any failure is
/// the same 401, so ids cannot be probed.
async fn authenticate(
    state: &AppState,
    id: Uuid,
    headers: &HeaderMap,
    query: Option<&str>,
) -> ApiResult<Chat> {
    let denied = || ApiError::unauthorized("this chat's token is missing or wrong");
    let secret = bearer(headers).or(query).ok_or_else(denied)?;
    let org = token::org_of(secret).ok_or_else(denied)?;
    let contact = contacts::load(state, org, id).await?.ok_or_else(denied)?;
    let stored = contact
        .data
        .get(TOKEN_HASH_KEY)
        .and_then(Value::as_str)
        .unwrap_or("");
    if contact.channel != store::Channel::Chat || !token::verify(secret, stored) {
        return Err(denied());
    }
    Ok(Chat { org, contact })
}

#[derive(Debug, Deserialize)]
struct TokenQuery {
    token: Option<String>,
    after_seq: Option<i64>,
}

// ---------- reading the chat ----------

fn customer_status(s: ContactStatus) -> &'static str {
    match s {
        ContactStatus::Bot => "bot",
        ContactStatus::Waiting => "waiting",
        ContactStatus::Active => "active",
        ContactStatus::Wrapup | ContactStatus::Closed => "ended",
    }
}

async fn agent_name(state: &AppState, org: Uuid, agent: Option<Uuid>) -> Option<String> {
    let agent = agent?;
    let live = state.with_org(org, |o| o.agent(agent).map(|a| a.name.clone()));
    match live {
        Some(n) => Some(n),
        None => state
            .store()
            .get_user(org, agent)
            .await
            .ok()
            .flatten()
            .map(|u| u.name),
    }
}

/// A message as the customer sees it: attachment links point at the widget's route.
fn customer_message(m: &store::Message, c: &Contact) -> Value {
    let mut v = wire::message(m, c);
    customer_links(&mut v, c.id);
    v
}

fn customer_links(v: &mut Value, contact: Uuid) {
    if let Some(att) = v.get_mut("attachment").and_then(Value::as_object_mut)
        && let Some(id) = att.get("id").and_then(Value::as_str).map(str::to_string)
    {
        att.insert(
            "url".into(),
            Value::String(format!("/api/widget/chats/{contact}/attachments/{id}")),
        );
    }
}

/// Every message of the contact after `after`, internal notes left out, in order.
async fn customer_messages(
    state: &AppState,
    c: &Contact,
    after: i64,
) -> ApiResult<(Vec<Value>, i64)> {
    let mut out = Vec::new();
    let mut last = after;
    loop {
        let page = state.messages(c.org_id, c.id, last, 500).await?;
        let n = page.len();
        for m in page {
            last = last.max(m.seq);
            if !m.internal {
                out.push(customer_message(&m, c));
            }
        }
        if n < 500 {
            return Ok((out, last));
        }
    }
}

async fn snapshot(state: &AppState, chat: &Chat) -> Value {
    let c = &chat.contact;
    let position = if c.status == ContactStatus::Waiting {
        contacts::queue_position(state, chat.org, c.id)
    } else {
        None
    };
    json!({
        "contact_id": c.id,
        "status": customer_status(c.status),
        "position": position.map(|p| p.0),
        "estimated_wait_s": position.map(|p| p.1),
        "agent_name": agent_name(state, chat.org, c.agent_id).await,
        // When the agent joined: the widget shows "… joined the chat" there, also after
        // a reload.
        "joined_at": c.accepted_at.map(wire::ts),
        "topic": c.topic,
        "last_seq": c.last_seq,
        "agent_read_seq": c.agent_read_seq,
        "csat": c.data.get("csat"),
    })
}

async fn get_chat(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> ApiResult<axum::Json<Value>> {
    let chat = authenticate(&state, id, &headers, None).await?;
    let mut body = snapshot(&state, &chat).await;
    let (messages, _) = customer_messages(&state, &chat.contact, 0).await?;
    body["messages"] = Value::Array(messages);
    Ok(axum::Json(body))
}

// ---------- writing ----------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageIn {
    #[serde(default)]
    client_id: Option<String>,
    text: String,
}

fn customer_display_name(c: &Contact) -> Option<String> {
    c.data
        .get("chat_name")
        .or_else(|| c.data.get("customer_name"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

async fn post_message(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    Json(body): Json<MessageIn>,
) -> ApiResult<(StatusCode, axum::Json<Value>)> {
    let chat = authenticate(&state, id, &headers, None).await?;
    let appended = contacts::append(
        &state,
        chat.org,
        id,
        NewMessage {
            sent_at: None,
            sender: Sender::Customer,
            author: None,
            author_name: customer_display_name(&chat.contact),
            text: Some(body.text.clone()),
            attachment: None,
            internal: false,
            client_id: body.client_id,
            template: None,
        },
    )
    .await?;
    let m = appended.message;
    // The answer bot's turn, once per message (not on a retry).
    if appended.written.is_some() {
        crate::bot::turn(&state, chat.org, id, m.seq, &body.text).await;
    }
    Ok((
        StatusCode::CREATED,
        axum::Json(customer_message(&m, &chat.contact)),
    ))
}

/// The widget's "Talk to a person": the answer bot hands the chat over at once (a chat
/// already with a person, or in line for one, is left as it is).
async fn ask_for_person(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> ApiResult<axum::Json<Value>> {
    let chat = authenticate(&state, id, &headers, None).await?;
    if chat.contact.status.is_ended() {
        return Err(ApiError::conflict("this conversation has ended"));
    }
    crate::bot::handover(
        &state,
        chat.org,
        id,
        crate::bot::Reason::AskedForPerson,
        None,
        None,
    )
    .await?;
    let chat = authenticate(&state, id, &headers, None).await?;
    Ok(axum::Json(snapshot(&state, &chat).await))
}

#[derive(Debug, Deserialize)]
struct TypingIn {
    typing: bool,
}

/// Whether an error only says the conversation is over (typing and read marks on an
/// ended chat are ignored, not refused).
fn is_over(e: &ApiError) -> bool {
    e.status == StatusCode::CONFLICT
}

async fn typing(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    Json(body): Json<TypingIn>,
) -> ApiResult<StatusCode> {
    let chat = authenticate(&state, id, &headers, None).await?;
    if chat.contact.status.is_ended() {
        return Ok(StatusCode::NO_CONTENT);
    }
    match contacts::set_typing(&state, chat.org, id, Sender::Customer, body.typing).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(e) if is_over(&e) => Ok(StatusCode::NO_CONTENT),
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
struct ReadIn {
    up_to_seq: i64,
}

async fn read(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    Json(body): Json<ReadIn>,
) -> ApiResult<StatusCode> {
    let chat = authenticate(&state, id, &headers, None).await?;
    if body.up_to_seq < 0 {
        return Err(ApiError::invalid("up_to_seq: 0 or more"));
    }
    match contacts::mark_read(&state, chat.org, id, Sender::Customer, body.up_to_seq).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(e) if is_over(&e) => Ok(StatusCode::NO_CONTENT),
        Err(e) => Err(e),
    }
}

async fn end(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let chat = authenticate(&state, id, &headers, None).await?;
    if chat.contact.status.is_ended() {
        return Ok(StatusCode::NO_CONTENT);
    }
    match contacts::end_contact(&state, chat.org, id, crate::events::Actor::Customer).await {
        Ok(_) => Ok(StatusCode::NO_CONTENT),
        Err(e) if is_over(&e) => Ok(StatusCode::NO_CONTENT),
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CsatIn {
    rating: i64,
    #[serde(default)]
    comment: Option<String>,
}

async fn csat(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    Json(body): Json<CsatIn>,
) -> ApiResult<StatusCode> {
    let chat = authenticate(&state, id, &headers, None).await?;
    if !(1..=5).contains(&body.rating) {
        return Err(ApiError::invalid("rating: 1 to 5"));
    }
    let comment = body
        .comment
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    if comment.as_ref().is_some_and(|c| c.chars().count() > 1000) {
        return Err(ApiError::invalid("comment: at most 1000 characters"));
    }
    if !chat.contact.status.is_ended() {
        return Err(ApiError::conflict("a chat can be rated once it has ended"));
    }
    let now = state.now();
    let rating = json!({"rating": body.rating, "comment": comment, "at": wire::ts(now)});
    let mut patch = Map::new();
    patch.insert("csat".into(), rating.clone());
    // The contact may leave the live state (wrap-up) between the check and the write:
    // then the second try updates the store.
    if let Err(e) = contacts::update_contact_data(&state, chat.org, id, patch.clone()).await {
        if !is_over(&e) {
            return Err(e);
        }
        contacts::update_contact_data(&state, chat.org, id, patch).await?;
    }
    let event = crate::events::LiveEvent::ContactCsat {
        contact_id: id,
        queue_id: chat.contact.queue_id,
        agent_id: chat.contact.agent_id,
        rating: body.rating,
    }
    .change(chat.org, now, crate::events::Actor::Customer);
    state.write(vec![event], vec![]).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------- attachments ----------

impl From<UploadError> for ApiError {
    fn from(e: UploadError) -> Self {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
        let mut err = ApiError::new(status, e.code(), e.to_string());
        if let UploadError::TooLarge { limit } = e {
            err = err.with_details(json!({"max_bytes": limit}));
        }
        err
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        UploadError::TooLarge {
            limit: MAX_ATTACHMENT_BYTES,
        }
        .into()
    } else {
        UploadError::Malformed(e.body_text()).into()
    }
}

/// A file sent as `multipart/form-data` (`file`, and an optional `client_id`), its kind
/// judged by its bytes and its name cleaned.
pub(crate) struct Upload {
    pub client_id: Option<String>,
    pub name: String,
    pub kind: upload::FileKind,
    pub bytes: Vec<u8>,
}

/// Reads an [`Upload`]: an announced oversize body is refused before any of it is read.
pub(crate) async fn read_upload(
    headers: &HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Upload> {
    // Refuse an announced oversize body before reading any of it.
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|n| n > MAX_ATTACHMENT_BYTES + MULTIPART_SLACK) {
        return Err(UploadError::TooLarge {
            limit: MAX_ATTACHMENT_BYTES,
        }
        .into());
    }
    let mut multipart = multipart.map_err(|e| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("send the file as multipart/form-data: {}", e.body_text()),
        )
    })?;
    let mut client_id: Option<String> = None;
    let mut file: Option<(Option<String>, UploadBuffer)> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("client_id") if client_id.is_none() => {
                let v = field.text().await.map_err(multipart_error)?;
                if v.is_empty() || v.len() > 100 {
                    return Err(ApiError::invalid("client_id: 1 to 100 characters"));
                }
                client_id = Some(v);
            }
            Some("file") if file.is_none() => {
                let name = field.file_name().map(str::to_string);
                let mut buf = UploadBuffer::new(MAX_ATTACHMENT_BYTES);
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    buf.push(&chunk)?;
                }
                file = Some((name, buf));
            }
            // Anything else is read and ignored.
            _ => while field.chunk().await.map_err(multipart_error)?.is_some() {},
        }
    }
    let (claimed_name, buf) = file.ok_or(UploadError::Empty)?;
    let (kind, bytes) = buf.finish()?;
    Ok(Upload {
        client_id,
        name: upload::clean_file_name(claimed_name.as_deref(), kind),
        kind,
        bytes,
    })
}

async fn upload_attachment(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<(StatusCode, axum::Json<Value>)> {
    let chat = authenticate(&state, id, &headers, None).await?;
    if chat.contact.status.is_ended() {
        return Err(ApiError::conflict("this conversation has ended"));
    }
    let Upload {
        client_id,
        name,
        kind,
        bytes,
    } = read_upload(&headers, multipart).await?;
    if let Some(cid) = &client_id
        && let Some(m) = state.message_by_client_id(chat.org, id, cid).await?
    {
        return Ok((
            StatusCode::CREATED,
            axum::Json(customer_message(&m, &chat.contact)),
        ));
    }
    // The slot is taken before the file is kept, under the organisation's lock, so
    // that many uploads at once cannot all pass the cap.
    contacts::take_slot(
        &state,
        chat.org,
        id,
        ATTACHMENT_COUNT_KEY,
        MAX_ATTACHMENTS_PER_CHAT,
        || {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "too_many_attachments",
                format!("a chat may carry at most {MAX_ATTACHMENTS_PER_CHAT} files"),
            )
        },
    )
    .await?;
    let meta =
        contacts::store_attachment(&state, chat.org, id, &name, kind.content_type(), bytes).await?;
    let attachment = wire::attachment(&meta);
    let m = contacts::append_message(
        &state,
        chat.org,
        id,
        NewMessage {
            sent_at: None,
            sender: Sender::Customer,
            author: None,
            author_name: customer_display_name(&chat.contact),
            text: None,
            attachment: Some(attachment),
            internal: false,
            client_id,
            template: None,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(customer_message(&m, &chat.contact)),
    ))
}

/// The file, typed as verified at upload, never rendered as a page of our origin.
fn file_response(meta: &store::Attachment, data: Vec<u8>) -> Response {
    let inline = meta.content_type.starts_with("image/");
    let disposition = format!(
        "{}; filename=\"{}\"",
        if inline { "inline" } else { "attachment" },
        meta.name.replace(['"', '\\'], "_")
    );
    let mut resp = (
        [
            (header::CONTENT_TYPE, meta.content_type.clone()),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox".to_string(),
            ),
        ],
        data,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

async fn send_attachment(
    state: &AppState,
    org: Uuid,
    contact: Option<Uuid>,
    att: Uuid,
) -> ApiResult<Response> {
    let meta = state
        .attachment(org, att)
        .await?
        .filter(|m| contact.is_none_or(|c| m.contact_id == c))
        .ok_or_else(|| ApiError::not_found("attachment"))?;
    let data = state
        .attachment_data(org, att)
        .await?
        .ok_or_else(|| ApiError::not_found("attachment"))?;
    Ok(file_response(&meta, data))
}

async fn customer_attachment(
    State(state): State<AppState>,
    Path((id, att)): Path<(Uuid, Uuid)>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Response> {
    let chat = authenticate(&state, id, &headers, q.token.as_deref()).await?;
    let mut resp = send_attachment(&state, chat.org, Some(id), att).await?;
    resp.headers_mut().insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    Ok(resp)
}

/// Staff read a customer's file from the server: whoever may see its contact (an agent
/// only the contacts assigned or offered to them) in a role the organisation lets open
/// attachments ([`crate::protection`]), recorded as a read.
/// Files staff may send on one contact.
pub const MAX_STAFF_ATTACHMENTS: u64 = 50;
const STAFF_ATTACHMENT_COUNT_KEY: &str = "staff_attachment_count";

/// An agent's file for the customer (`multipart/form-data`, `file`): a picture or PDF of
/// at most 10 MB, judged by its bytes, kept with the contact. It reaches the customer
/// with the message that names it (`attachment_id` in `POST /api/contacts/{id}/messages`).
/// The conversation's agent, supervisors and admins; not on an ended contact.
async fn staff_upload(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<(StatusCode, axum::Json<Value>)> {
    auth.require(&[
        store::Role::Admin,
        store::Role::Supervisor,
        store::Role::Agent,
    ])?;
    let c = contacts::visible(&state, &auth, id).await?;
    if c.agent_id != Some(auth.user.id) && !auth.is_staff_manager() {
        return Err(ApiError::forbidden("accept the contact first"));
    }
    if c.status.is_ended() {
        return Err(ApiError::conflict("this conversation has ended"));
    }
    let up = read_upload(&headers, multipart).await?;
    contacts::take_slot(
        &state,
        auth.org_id(),
        id,
        STAFF_ATTACHMENT_COUNT_KEY,
        MAX_STAFF_ATTACHMENTS,
        || {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "too_many_attachments",
                format!("staff may send at most {MAX_STAFF_ATTACHMENTS} files on one contact"),
            )
        },
    )
    .await?;
    let meta = contacts::store_attachment(
        &state,
        auth.org_id(),
        id,
        &up.name,
        up.kind.content_type(),
        up.bytes,
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(wire::attachment(&meta))))
}

/// A file of an agent's message, fetched by the provider that carries it (Twilio, for
/// an MMS) through a signed link that expires
/// ([`crate::channels::outbound::media_link`]). Anything else is not found.
async fn provider_media(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<Response> {
    let (org, att) = crate::channels::outbound::media_of(&state, &token)
        .await
        .ok_or_else(|| ApiError::not_found("file"))?;
    let mut resp = send_attachment(&state, org, None, att).await?;
    resp.headers_mut().insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    Ok(resp)
}

async fn staff_attachment(
    State(state): State<AppState>,
    auth: Auth,
    Path(att): Path<Uuid>,
) -> ApiResult<Response> {
    let meta = state
        .attachment(auth.org_id(), att)
        .await?
        .ok_or_else(|| ApiError::not_found("attachment"))?;
    contacts::visible(&state, &auth, meta.contact_id).await?;
    crate::protection::may_open_attachments(&state, &auth).await?;
    contacts::audit_read(&state, &auth, "attachment", att).await?;
    send_attachment(&state, auth.org_id(), Some(meta.contact_id), att).await
}

// ---------- the customer's WebSocket ----------

async fn ws_handler(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(e) => return ApiError::bad_request(e.to_string()).into_response(),
    };
    let chat = match authenticate(&state, id, &headers, q.token.as_deref()).await {
        Ok(chat) => chat,
        // Browsers cannot read a refused handshake's status: open, then close with
        // 4401 so the widget knows to stop retrying.
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            return ws.on_upgrade(|mut socket| async move {
                let frame = CloseFrame {
                    code: 4401,
                    reason: "this chat's token is missing or wrong".into(),
                };
                let _ = socket.send(WsMessage::Close(Some(frame))).await;
            });
        }
        Err(e) => return e.into_response(),
    };
    let Some(share) = state.chat_sockets().take(id) else {
        return ApiError::too_many(
            format!(
                "this chat already has {} live connections; close one first",
                crate::SOCKETS_PER_CHAT
            ),
            1,
        )
        .into_response();
    };
    let after = q.after_seq.unwrap_or(0).max(0);
    // Customers send only pings: a small read buffer keeps each of thousands of open
    // chats at a few KiB instead of the library's 128 KiB, zeroed on every connect.
    ws.max_message_size(16 * 1024)
        .read_buffer_size(4 * 1024)
        .on_upgrade(move |socket| async move {
            run_ws(state, chat, after, socket).await;
            drop(share);
        })
}

/// The kinds of live update a customer may see.
const CUSTOMER_KINDS: &[&str] = &[
    "message",
    "typing",
    "read",
    "queue",
    "agent_joined",
    "ended",
];

fn frame(seq: Option<i64>, kind: &str, data: &Value) -> WsMessage {
    WsMessage::Text(
        json!({"seq": seq, "type": kind, "data": data})
            .to_string()
            .into(),
    )
}

async fn run_ws(state: AppState, chat: Chat, after: i64, mut socket: WebSocket) {
    let id = chat.contact.id;
    // Subscribe before reading the store: whatever commits in between is in both, and
    // the seq check below drops the second copy.
    let mut rx = state.hub().subscribe_contact(id);
    let contact = match contacts::load(&state, chat.org, id).await {
        Ok(Some(c)) => c,
        _ => chat.contact.clone(),
    };
    let chat = Chat {
        org: chat.org,
        contact,
    };
    let snap = snapshot(&state, &chat).await;
    let mut ok = socket.send(frame(None, "state", &snap)).await.is_ok();
    let mut sent = after;
    match customer_messages(&state, &chat.contact, after).await {
        Ok((messages, last)) => {
            for m in messages {
                if !ok {
                    break;
                }
                let seq = m.get("seq").and_then(Value::as_i64);
                ok = socket.send(frame(seq, "message", &m)).await.is_ok();
            }
            sent = sent.max(last);
        }
        Err(e) => {
            tracing::warn!(error = %e, "chat backlog unavailable");
            let _ = socket
                .send(WsMessage::Close(Some(CloseFrame {
                    code: 1011,
                    reason: "try again".into(),
                })))
                .await;
            return;
        }
    }
    // An ended chat says so again (the `state` frame above already told the rest).
    if ok && chat.contact.status.is_ended() {
        let data = json!({"contact_id": id, "replay": true});
        ok = socket.send(frame(None, "ended", &data)).await.is_ok();
    }
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    let mut last_heard = tokio::time::Instant::now();
    let mut shutdown = state.shutdown_signal();
    let mut close: Option<CloseFrame> = None;
    while ok {
        tokio::select! {
            ev = rx.recv() => match ev {
                Some(mut ev) => {
                    if !CUSTOMER_KINDS.contains(&ev.kind) {
                        continue;
                    }
                    if ev.kind == "message" {
                        let Some(seq) = ev.seq else { continue };
                        if seq <= sent {
                            continue;
                        }
                        sent = seq;
                        customer_links(&mut ev.data, id);
                    }
                    ok = socket.send(frame(ev.seq, ev.kind, &ev.data)).await.is_ok();
                }
                None => {
                    // Cut off by the hub (this client read too slowly): resume.
                    close = Some(CloseFrame { code: 1013, reason: "resume with after_seq".into() });
                    break;
                }
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => last_heard = tokio::time::Instant::now(),
            },
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > IDLE_LIMIT {
                    close = Some(CloseFrame { code: 1001, reason: "idle".into() });
                    break;
                }
                ok = socket.send(frame(None, "heartbeat", &json!({"last_seq": sent}))).await.is_ok()
                    && socket.send(WsMessage::Ping(Vec::new().into())).await.is_ok();
            },
            _ = shutdown.changed() => {
                close = Some(CloseFrame { code: 1012, reason: "server restarting".into() });
                break;
            }
        }
    }
    if let Some(frame) = close {
        let _ = socket.send(WsMessage::Close(Some(frame))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visitor_ids_and_names() {
        assert!(valid_visitor_id("0123456789abcdef"));
        assert!(valid_visitor_id("a-b_c-d_e"));
        assert!(!valid_visitor_id("short"));
        assert!(!valid_visitor_id("has space in it"));
        assert!(!valid_visitor_id(&"x".repeat(65)));
        assert_eq!(
            clean_name("  Ada\u{0} Lovelace \n").unwrap(),
            "Ada Lovelace"
        );
        assert!(clean_name("   ").is_err());
        assert!(clean_name(&"é".repeat(101)).is_err());
    }

    #[test]
    fn bearer_header_parsing() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer hsc_abc"),
        );
        assert_eq!(bearer(&h), Some("hsc_abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic xyz"));
        assert_eq!(bearer(&h), None);
    }

    #[test]
    fn customer_links_point_at_the_widget_route() {
        let c = Uuid::now_v7();
        let mut v = json!({"attachment": {"id": "a1", "url": "/api/attachments/a1"}});
        customer_links(&mut v, c);
        assert_eq!(
            v["attachment"]["url"],
            format!("/api/widget/chats/{c}/attachments/a1")
        );
        let mut none = json!({"attachment": null});
        customer_links(&mut none, c);
        assert_eq!(none["attachment"], Value::Null);
    }

    #[test]
    fn upload_errors_map_to_statuses() {
        let e: ApiError = UploadError::TooLarge { limit: 10 }.into();
        assert_eq!(e.status, StatusCode::PAYLOAD_TOO_LARGE);
        let e: ApiError = UploadError::UnsupportedType.into();
        assert_eq!(e.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let e: ApiError = UploadError::Empty.into();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}
