//! The outbound half of the channel contract: every message an agent sends a customer
//! enters the outbox (a [`Delivery`] row) in the same commit as the message itself, so
//! nothing acknowledged to the agent can be lost between "saved" and "sent". One drain
//! task hands due deliveries to their channel's [`Transport`], records each answer, and
//! tells the agent desktop (`receipt` on the staff socket): queued → sent → delivered →
//! read, or failed with the reason.
//!
//! - Retries: a transport says whether a failure is worth retrying. Retries back off
//!   exponentially up to a minute apart ([`backoff_ms`]), so a message queued during
//!   a provider's outage goes within a minute of its end, and give up a day after the
//!   message was written ([`GIVE_UP_AFTER`]). A send that happened just before a crash
//!   is sent again after the restart (at least once): the webhook transport passes the
//!   message id as `Idempotency-Key`; Twilio's and Meta's APIs take none.
//! - Receipts from providers ([`receipt`]) only move a delivery forward
//!   ([`DeliveryStatus::rank`]; the store enforces the same rule, so a late "sent" from
//!   the drain task never undoes a "delivered" that raced it).
//! - Transports: web chat ([`Channel::Chat`]) puts the message in the customer's
//!   conversation feed, delivered when the widget's socket is open, read when the widget
//!   says so. Every other text channel goes through the provider the organisation set
//!   up for it: Twilio for SMS ([`super::twilio`]), WhatsApp's Cloud API
//!   ([`super::whatsapp`]), Messenger's Send API ([`super::messenger`]), or an
//!   integration's webhook, signed
//!   with HMAC-SHA256, for any channel whose provider is not built in.
//!
//! The decisions ([`after_attempt`], [`apply_receipt`], [`backoff_ms`], [`sign`]) are pure
//! functions of their inputs and the time; the task around them does the I/O.

use std::time::Duration;

use futures::StreamExt;
use futures::future::BoxFuture;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use store::{
    Change, Channel, Contact, Delivery, DeliveryStatus, Identity, Message, ObjectKind, PageRequest,
    Store, StoreError,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::events::{Actor, LiveEvent};
use crate::hub::Note;
use crate::{ApiError, ApiResult, AppState};

/// How long a delivery is retried before it is given up as failed.
pub const GIVE_UP_AFTER: time::Duration = time::Duration::hours(24);
/// The wait after the first failed attempt; each further one waits twice as long.
const FIRST_BACKOFF_MS: i64 = 2_000;
/// The longest wait between two attempts: a message waiting out an outage goes at most
/// this long after the provider is back.
const MAX_BACKOFF_MS: i64 = 60_000;
/// Sends in flight at once, over all channels.
const PARALLEL: usize = 32;
/// Due deliveries taken per round.
const ROUND: u32 = 500;
/// How long one webhook call may take before it counts as failed (and is retried).
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// Milliseconds since the Unix epoch.
pub fn unix_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The wait before the next attempt once `attempts` attempts have failed (≥ 1):
/// 2 s, 4 s, 8 s … at most a minute.
pub fn backoff_ms(attempts: i32) -> i64 {
    let doublings = (attempts - 1).clamp(0, 30) as u32;
    FIRST_BACKOFF_MS
        .saturating_mul(1i64 << doublings)
        .min(MAX_BACKOFF_MS)
}

/// What a transport did with a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    /// `Sent` (the channel has it) or `Delivered` (the customer's device has it).
    pub status: DeliveryStatus,
    /// The provider's id for it, which its receipts will name.
    pub provider_message_id: Option<String>,
}

/// Why a send failed.
#[derive(Debug, Clone, PartialEq)]
pub enum SendError {
    /// Worth another try later (timeouts, 5xx, rate limits, the endpoint is down).
    Retry(String),
    /// Another try would fail the same way (refused, nowhere to send it).
    Permanent(String),
}

impl SendError {
    /// What went wrong, in words.
    pub fn into_message(self) -> String {
        match self {
            SendError::Retry(m) | SendError::Permanent(m) => m,
        }
    }
}

/// A provider's or transport's error with the personal data in it masked (a provider
/// may quote the number it could not reach): it is kept on the delivery and in the
/// hash-chained log, which holds no personal data.
fn scrubbed(error: &str) -> String {
    crate::pii::mask(error).map_or_else(|| error.to_string(), |m| m.text)
}

/// The delivery after one attempt that ended with `outcome` at `now`.
pub fn after_attempt(
    d: &Delivery,
    outcome: &Result<Sent, SendError>,
    now: OffsetDateTime,
) -> Delivery {
    let mut d = d.clone();
    d.attempts += 1;
    d.updated_at = now;
    match outcome {
        Ok(s) => {
            d.status = s.status;
            d.next_attempt_ms = None;
            d.error = None;
            if s.provider_message_id.is_some() {
                d.provider_message_id = s.provider_message_id.clone();
            }
        }
        Err(SendError::Permanent(e)) => {
            d.status = DeliveryStatus::Failed;
            d.next_attempt_ms = None;
            d.error = Some(scrubbed(e));
        }
        Err(SendError::Retry(e)) if now - d.created_at >= GIVE_UP_AFTER => {
            d.status = DeliveryStatus::Failed;
            d.next_attempt_ms = None;
            d.error = Some(format!(
                "{} (gave up after {} attempts over a day)",
                scrubbed(e),
                d.attempts
            ));
        }
        Err(SendError::Retry(e)) => {
            d.next_attempt_ms = Some(unix_ms(now) + backoff_ms(d.attempts));
            d.error = Some(scrubbed(e));
        }
    }
    d
}

/// A receipt applied to a delivery, or `None` when it would change nothing or move the
/// delivery back. A receipt stops further attempts: the channel has the message.
pub fn apply_receipt(
    d: &Delivery,
    status: DeliveryStatus,
    provider_message_id: Option<&str>,
    error: Option<&str>,
    now: OffsetDateTime,
) -> Option<Delivery> {
    if status == DeliveryStatus::Queued || status.rank() < d.status.rank() {
        return None;
    }
    let new_id = provider_message_id.filter(|p| d.provider_message_id.as_deref() != Some(*p));
    if status == d.status && new_id.is_none() {
        return None;
    }
    let mut d = d.clone();
    d.status = status;
    d.next_attempt_ms = None;
    d.updated_at = now;
    if let Some(p) = new_id {
        d.provider_message_id = Some(p.to_string());
    }
    d.error = match status {
        DeliveryStatus::Failed => Some(scrubbed(
            &error
                .filter(|e| !e.trim().is_empty())
                .unwrap_or("the channel reported that it could not deliver the message")
                .chars()
                .take(500)
                .collect::<String>(),
        )),
        _ => None,
    };
    Some(d)
}

/// The `X-Homeshore-Signature` header of a webhook body: `t=<unix seconds>,v1=<hex of
/// HMAC-SHA256(secret, "<t>.<body>")>`. The time is signed too, so a receiver can refuse
/// old replays.
pub fn sign(secret: &str, unix_secs: i64, body: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(unix_secs.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={unix_secs},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// The delivery row for a message an agent just sent (written in the message's commit),
/// or `None` for messages that leave through no channel (internal notes, voice).
pub fn enqueue(m: &Message, c: &Contact, now: OffsetDateTime) -> Option<Delivery> {
    if m.internal || m.sender == store::Sender::Customer || c.channel == Channel::Voice {
        return None;
    }
    Some(Delivery {
        message_id: m.id,
        org_id: m.org_id,
        contact_id: m.contact_id,
        seq: m.seq,
        channel: c.channel,
        status: DeliveryStatus::Queued,
        attempts: 0,
        next_attempt_ms: Some(unix_ms(now)),
        provider_message_id: None,
        error: None,
        created_at: now,
        updated_at: now,
    })
}

/// Everything a provider's transport needs to send one message.
pub struct Outbound {
    pub delivery: Delivery,
    pub message: Message,
    pub contact: Contact,
    /// The customer's identities (phone, email, page-scoped id…).
    pub identities: Vec<Identity>,
}

impl Outbound {
    /// The identity this channel reaches the customer at.
    pub fn to(&self) -> Option<&Identity> {
        let kinds: &[&str] = match self.contact.channel {
            Channel::Sms | Channel::Whatsapp | Channel::Voice => &["phone", "whatsapp"],
            Channel::Messenger => &["messenger_psid", "messenger"],
            Channel::Email => &["email"],
            Channel::Chat => &["chat"],
        };
        kinds
            .iter()
            .find_map(|k| self.identities.iter().find(|i| i.kind == *k))
            .or(self.identities.first())
    }
}

/// A file an agent sends with a message.
#[derive(Debug, Clone)]
pub struct File {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl File {
    pub fn is_image(&self) -> bool {
        self.content_type.starts_with("image/")
    }
}

/// How long a provider may fetch a file through its link ([`media_link`]).
pub const MEDIA_LINK_TTL: time::Duration = time::Duration::days(7);
const MEDIA: &str = "media_link";

/// A link a provider fetches an agent's file from (Twilio's `MediaUrl`): under
/// `base`, naming the organisation and the file, valid for [`MEDIA_LINK_TTL`], signed
/// with the organisation's index key so that no other file can be named.
pub async fn media_link(
    state: &AppState,
    org: Uuid,
    file: Uuid,
    base: &str,
) -> Result<String, SendError> {
    let until = state.now().unix_timestamp() + MEDIA_LINK_TTL.whole_seconds();
    let keys = state
        .org_keys(org)
        .await
        .map_err(|e| SendError::Retry(format!("reading the keys: {e}")))?;
    let tag = keys.blind(MEDIA, &format!("{file}.{until}"));
    Ok(format!(
        "{}/api/media/{}.{}.{until}.{}",
        base.trim_end_matches('/'),
        org.simple(),
        file.simple(),
        tag.rsplit(':').next().unwrap_or(&tag)
    ))
}

/// The organisation and file a media link names, when its signature holds and it has
/// not expired.
pub async fn media_of(state: &AppState, token: &str) -> Option<(Uuid, Uuid)> {
    let mut parts = token.split('.');
    let (org, file, until, tag) = (
        Uuid::try_parse(parts.next()?).ok()?,
        Uuid::try_parse(parts.next()?).ok()?,
        parts.next()?.parse::<i64>().ok()?,
        parts.next()?,
    );
    if parts.next().is_some() || until < state.now().unix_timestamp() {
        return None;
    }
    // Only an organisation that exists has keys to check against.
    state.store().get_org(org).await.ok()??;
    let keys = state.org_keys(org).await.ok()?;
    let want = keys.blind(MEDIA, &format!("{file}.{until}"));
    let want = want.rsplit(':').next().unwrap_or(&want);
    crate::auth::constant_time_eq(want.as_bytes(), tag.as_bytes()).then_some((org, file))
}

/// One channel's way out. A transport reads what it needs (see [`Outbound::load`]).
pub trait Transport: Send + Sync {
    fn send<'a>(
        &'a self,
        state: &'a AppState,
        d: &'a Delivery,
    ) -> BoxFuture<'a, Result<Sent, SendError>>;
}

/// Web chat: the message is already in the customer's conversation feed (published
/// when it committed); the widget's open socket has it, or reads it on its return.
pub struct ChatTransport;

impl Transport for ChatTransport {
    fn send<'a>(
        &'a self,
        state: &'a AppState,
        d: &'a Delivery,
    ) -> BoxFuture<'a, Result<Sent, SendError>> {
        Box::pin(async move {
            let status = if state.hub().contact_connected(d.contact_id) {
                DeliveryStatus::Delivered
            } else {
                DeliveryStatus::Sent
            };
            Ok(Sent {
                status,
                provider_message_id: None,
            })
        })
    }
}

/// An organisation's endpoint for one channel, as admins configure it.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub id: Uuid,
    pub channel: Channel,
    pub provider: Provider,
}

/// Who carries a channel's messages.
#[derive(Debug, Clone, PartialEq)]
pub enum Provider {
    /// An integration of the organisation's own, reached by a signed webhook.
    Webhook { url: String, secret: String },
    /// Twilio's Messages API (SMS).
    Twilio(super::twilio::TwilioConfig),
    /// WhatsApp's Cloud API.
    Whatsapp(super::whatsapp::WhatsappConfig),
    /// Messenger's Send API (a Facebook page).
    Messenger(super::messenger::MessengerConfig),
    /// A support address: IMAP in, SMTP out.
    Email(super::email::EmailConfig),
}

/// The settings of an endpoint that are credentials, sealed at rest
/// ([`crate::secrets`]).
pub const SEALED_FIELDS: &[&str] = &[
    "secret",
    "auth_token",
    "access_token",
    "page_access_token",
    "app_secret",
    "verify_token",
    "imap_password",
    "smtp_password",
    "ingress_secret",
];

/// Seal the credentials among an endpoint's settings (those not sealed yet).
pub fn seal_endpoint(sealer: &crate::secrets::Sealer, org: Uuid, data: &mut Value) {
    for field in SEALED_FIELDS {
        if let Some(v) = data.get_mut(*field)
            && let Some(plain) = v.as_str().filter(|s| !crate::secrets::Sealer::is_sealed(s))
        {
            *v = Value::String(sealer.seal(org, field, plain));
        }
    }
}

impl Endpoint {
    /// An endpoint from its stored object, its credentials opened. One whose credentials
    /// do not open (a different key) is no endpoint: sends fail and say so.
    pub fn from_object(sealer: &crate::secrets::Sealer, o: &store::Object) -> Option<Endpoint> {
        let d = &o.data;
        let text = |k: &str| {
            let v = d.get(k).and_then(Value::as_str)?;
            if SEALED_FIELDS.contains(&k) {
                let opened = sealer.open(o.org_id, k, v);
                if opened.is_none() {
                    tracing::error!(org = %o.org_id, channel = %o.name, field = k,
                        "a stored credential does not open with this server's key");
                }
                opened
            } else {
                Some(v.to_string())
            }
        };
        let provider = match d.get("provider").and_then(Value::as_str) {
            Some("twilio") => Provider::Twilio(super::twilio::TwilioConfig {
                account_sid: text("account_sid")?,
                auth_token: text("auth_token")?,
                from: text("from")?,
                queue_id: text("queue_id")?.parse().ok()?,
                api_base: text("api_base")?,
                public_base_url: text("public_base_url")?,
            }),
            Some("whatsapp") => Provider::Whatsapp(super::whatsapp::WhatsappConfig {
                phone_number_id: text("phone_number_id")?,
                access_token: text("access_token")?,
                app_secret: text("app_secret")?,
                verify_token: text("verify_token")?,
                queue_id: text("queue_id")?.parse().ok()?,
                api_base: text("api_base")?,
                templates: d
                    .get("templates")
                    .and_then(|t| serde_json::from_value(t.clone()).ok())
                    .unwrap_or_default(),
            }),
            Some("messenger") => Provider::Messenger(super::messenger::MessengerConfig {
                page_id: text("page_id")?,
                page_access_token: text("page_access_token")?,
                app_secret: text("app_secret")?,
                verify_token: text("verify_token")?,
                queue_id: text("queue_id")?.parse().ok()?,
                api_base: text("api_base")?,
            }),
            Some("email") => {
                use super::email::{Security, Server};
                let server = |prefix: &str| -> Option<Server> {
                    Some(Server {
                        host: text(&format!("{prefix}_host"))?,
                        port: d.get(format!("{prefix}_port"))?.as_u64()?.try_into().ok()?,
                        security: Security::parse(&text(&format!("{prefix}_security"))?)?,
                        user: text(&format!("{prefix}_user")).unwrap_or_default(),
                        password: text(&format!("{prefix}_password")).unwrap_or_default(),
                    })
                };
                Provider::Email(super::email::EmailConfig {
                    address: text("address")?,
                    display_name: text("display_name").unwrap_or_default(),
                    queue_id: text("queue_id")?.parse().ok()?,
                    imap: server("imap"),
                    mailbox: text("mailbox").unwrap_or_else(|| "INBOX".into()),
                    smtp: server("smtp")?,
                    ingress_secret: text("ingress_secret")?,
                    signature: text("signature").unwrap_or_default(),
                })
            }
            _ => Provider::Webhook {
                url: text("webhook_url")?,
                secret: text("secret")?,
            },
        };
        Some(Endpoint {
            id: o.id,
            channel: Channel::parse(&o.name)?,
            provider,
        })
    }
}

/// The organisation's endpoints, one per channel at most.
pub async fn endpoints(state: &AppState, org: Uuid) -> ApiResult<Vec<Endpoint>> {
    let page = state
        .store()
        .list_objects(
            org,
            ObjectKind::ChannelEndpoint,
            PageRequest {
                after: None,
                limit: 100,
            },
        )
        .await?;
    Ok(page
        .items
        .iter()
        .filter_map(|o| Endpoint::from_object(state.sealer(), o))
        .collect())
}

/// The organisation's endpoint for one channel.
pub async fn endpoint(
    state: &AppState,
    org: Uuid,
    channel: Channel,
) -> ApiResult<Option<Endpoint>> {
    Ok(state
        .store()
        .get_object_by_name(org, ObjectKind::ChannelEndpoint, channel.as_str())
        .await?
        .as_ref()
        .and_then(|o| Endpoint::from_object(state.sealer(), o)))
}

/// Every text channel but web chat: sends through the provider the organisation set up
/// for the channel. With a webhook: a signed POST to the organisation's integration;
/// 2xx is sent (its JSON may give `provider_message_id` and a `status` of `delivered`);
/// 408, 425, 429, 5xx and network errors are retried; any other answer fails the
/// delivery with its text. With Twilio: [`super::twilio::send`].
pub struct ProviderTransport {
    client: reqwest::Client,
}

impl ProviderTransport {
    pub fn new() -> ProviderTransport {
        ProviderTransport {
            client: crate::http_client_builder()
                .timeout(WEBHOOK_TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
        }
    }
}

impl Default for ProviderTransport {
    fn default() -> Self {
        Self::new()
    }
}

/// The JSON an endpoint receives for one message.
pub fn webhook_body(out: &Outbound) -> Value {
    let m = &out.message;
    json!({
        "id": m.id,
        "org_id": m.org_id,
        "contact_id": m.contact_id,
        "channel": out.contact.channel,
        "customer_id": out.contact.customer_id,
        "to": out.to().map(|i| json!({"kind": i.kind, "value": i.value})),
        "seq": m.seq,
        "author_name": m.author_name,
        "text": m.text,
        "attachment": m.attachment,
        "at": crate::wire::ts(m.at),
        "attempt": out.delivery.attempts + 1,
    })
}

impl Transport for ProviderTransport {
    fn send<'a>(
        &'a self,
        state: &'a AppState,
        d: &'a Delivery,
    ) -> BoxFuture<'a, Result<Sent, SendError>> {
        Box::pin(async move {
            let channel = d.channel;
            let ep = endpoint(state, d.org_id, channel)
                .await
                .map_err(|e| SendError::Retry(format!("reading the channel settings: {e}")))?;
            match ep.map(|e| e.provider) {
                None => Err(SendError::Permanent(format!(
                    "no {channel} endpoint is set up: an admin adds one under Admin → Channels"
                ))),
                Some(Provider::Twilio(cfg)) => {
                    super::twilio::send(&self.client, state, &cfg, d).await
                }
                Some(Provider::Whatsapp(cfg)) => {
                    super::whatsapp::send(&self.client, state, &cfg, d).await
                }
                Some(Provider::Messenger(cfg)) => {
                    super::messenger::send(&self.client, state, &cfg, d).await
                }
                Some(Provider::Email(cfg)) => super::email::send(state, &cfg, d).await,
                Some(Provider::Webhook { url, secret }) => {
                    self.webhook(state, d, &url, &secret).await
                }
            }
        })
    }
}

impl ProviderTransport {
    /// Checks an endpoint's address and credentials without sending a customer
    /// anything: a webhook gets a signed test POST (`"type": "test"`); Twilio, WhatsApp
    /// and Messenger are asked to read the account, number or page with the stored
    /// credentials. What the provider said, or why it failed.
    pub async fn check(&self, state: &AppState, org: Uuid, e: &Endpoint) -> Result<String, String> {
        match &e.provider {
            Provider::Twilio(cfg) => super::twilio::check(&self.client, cfg).await,
            Provider::Whatsapp(cfg) => super::whatsapp::check(&self.client, cfg).await,
            Provider::Messenger(cfg) => super::messenger::check(&self.client, cfg).await,
            Provider::Email(cfg) => super::email::check(cfg).await,
            Provider::Webhook { url, secret } => {
                let body = serde_json::to_vec(&json!({
                    "type": "test",
                    "org_id": org,
                    "channel": e.channel,
                    "at": crate::wire::ts(state.now()),
                }))
                .unwrap_or_default();
                let answer = self
                    .client
                    .post(url)
                    .header("content-type", "application/json")
                    .header(
                        "x-homeshore-signature",
                        sign(secret, state.now().unix_timestamp(), &body),
                    )
                    .body(body)
                    .send()
                    .await;
                let (status, text) = answer_of("the integration", answer)
                    .await
                    .map_err(SendError::into_message)?;
                if (200..300).contains(&status) {
                    Ok(format!(
                        "the integration answered {status} to a signed test message; it should also refuse one whose X-Homeshore-Signature is wrong"
                    ))
                } else {
                    Err(format!(
                        "the integration answered {status} to a signed test message: {}",
                        text.chars().take(200).collect::<String>()
                    ))
                }
            }
        }
    }

    async fn webhook(
        &self,
        state: &AppState,
        d: &Delivery,
        url: &str,
        secret: &str,
    ) -> Result<Sent, SendError> {
        let channel = d.channel;
        let out = Outbound::for_send(state, d).await?;
        let body = serde_json::to_vec(&webhook_body(&out)).unwrap_or_default();
        let signature = sign(secret, state.now().unix_timestamp(), &body);
        let answer = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("idempotency-key", out.message.id.to_string())
            .header("x-homeshore-signature", signature)
            .body(body)
            .send()
            .await;
        let resp = match answer {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return Err(SendError::Retry(format!(
                    "the {channel} endpoint did not answer within {} s",
                    WEBHOOK_TIMEOUT.as_secs()
                )));
            }
            Err(e) => {
                return Err(SendError::Retry(format!(
                    "could not reach the {channel} endpoint: {}",
                    root_cause(&e)
                )));
            }
        };
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let snippet: String = text.chars().take(200).collect();
        if status.is_success() {
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let provider_message_id = v
                .get("provider_message_id")
                .or_else(|| v.get("id"))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty() && s.len() <= 200)
                .map(str::to_string);
            let delivered = v.get("status").and_then(Value::as_str) == Some("delivered");
            return Ok(Sent {
                status: if delivered {
                    DeliveryStatus::Delivered
                } else {
                    DeliveryStatus::Sent
                },
                provider_message_id,
            });
        }
        let what = format!("the {channel} endpoint answered {status}: {snippet}");
        if matches!(status.as_u16(), 408 | 425 | 429) || status.is_server_error() {
            Err(SendError::Retry(what))
        } else {
            Err(SendError::Permanent(what))
        }
    }
}

/// A provider API's answer as (status, body), or a retryable failure to reach `who`.
pub(crate) async fn answer_of(
    who: &str,
    sent: Result<reqwest::Response, reqwest::Error>,
) -> Result<(u16, String), SendError> {
    match sent {
        Ok(r) => {
            let status = r.status().as_u16();
            Ok((status, r.text().await.unwrap_or_default()))
        }
        Err(e) => Err(SendError::Retry(format!(
            "could not reach {who}: {}",
            root_cause(&e)
        ))),
    }
}

pub(crate) fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// The transports, one per channel.
pub struct Transports {
    chat: ChatTransport,
    provider: ProviderTransport,
}

impl Default for Transports {
    fn default() -> Self {
        Transports {
            chat: ChatTransport,
            provider: ProviderTransport::new(),
        }
    }
}

impl Transports {
    /// The transport of every channel but web chat.
    pub fn provider(&self) -> &ProviderTransport {
        &self.provider
    }

    pub fn for_channel(&self, c: Channel) -> &dyn Transport {
        match c {
            Channel::Chat => &self.chat,
            _ => &self.provider,
        }
    }
}

/// The live update the agent desktop and supervisors get when a delivery moves.
fn receipt_data(d: &Delivery) -> Value {
    serde_json::to_value(crate::wire::receipt(d)).unwrap_or(Value::Null)
}

/// The writes and notes that record a delivery's new state.
fn record(
    state: &AppState,
    before: DeliveryStatus,
    d: Delivery,
    actor: Actor,
    changes: &mut Vec<Change>,
    notes: &mut Vec<Note>,
) {
    let org = d.org_id;
    if d.status != before {
        changes.push(
            LiveEvent::MessageDelivery {
                contact_id: d.contact_id,
                message_id: d.message_id,
                channel: d.channel,
                status: d.status,
                attempts: d.attempts,
                error: d.error.clone(),
            }
            .change(org, d.updated_at, actor),
        );
        let data = receipt_data(&d);
        let agent = state.with_org(org, |o| {
            o.contact(d.contact_id).and_then(|c| c.contact.agent_id)
        });
        if let Some(a) = agent {
            notes.push(Note::user(a, "receipt", data.clone()));
        }
        notes.push(Note::supervisors(org, "receipt", data));
    }
    changes.push(Change::PutDelivery(d));
}

impl Outbound {
    /// [`Outbound::load`] for a transport about to send: what it needs, or why not (a
    /// read that failed is worth retrying; a message that is gone is not).
    pub async fn for_send(state: &AppState, d: &Delivery) -> Result<Outbound, SendError> {
        match Outbound::load(state, d).await {
            Ok(Some(out)) => Ok(out),
            Ok(None) => Err(SendError::Permanent(
                "the message or its contact no longer exists".into(),
            )),
            Err(e) => Err(SendError::Retry(format!("reading the message: {e}"))),
        }
    }

    /// The id of the file this message carries, if any.
    pub fn attachment_id(&self) -> Option<Uuid> {
        self.message
            .attachment
            .as_ref()
            .and_then(|a| a.get("id")?.as_str()?.parse::<Uuid>().ok())
    }

    /// The file this message carries, if any: its name, type and bytes.
    pub async fn file(&self, state: &AppState) -> Result<Option<File>, SendError> {
        let Some(id) = self.attachment_id() else {
            return Ok(None);
        };
        let org = self.message.org_id;
        let meta = state
            .attachment(org, id)
            .await
            .map_err(|e| SendError::Retry(format!("reading the file: {e}")))?;
        let bytes = state
            .attachment_data(org, id)
            .await
            .map_err(|e| SendError::Retry(format!("reading the file: {e}")))?;
        match (meta, bytes) {
            (Some(m), Some(bytes)) => Ok(Some(File {
                name: m.name,
                content_type: m.content_type,
                bytes,
            })),
            _ => Err(SendError::Permanent("the file is gone".into())),
        }
    }

    /// Where this channel reaches the customer: their identity of `kind`, or a final
    /// failure saying what is missing.
    pub fn address(&self, kind: &str, missing: &str) -> Result<String, SendError> {
        self.to()
            .filter(|i| i.kind == kind)
            .map(|i| i.value.clone())
            .ok_or_else(|| SendError::Permanent(missing.to_string()))
    }

    /// When the customer last wrote in this contact (the channels' reply windows).
    pub async fn last_customer_message(
        &self,
        state: &AppState,
    ) -> Result<Option<OffsetDateTime>, SendError> {
        Ok(state
            .messages(self.contact.org_id, self.contact.id, 0, 1000)
            .await
            .map_err(|e| SendError::Retry(format!("reading the conversation: {e}")))?
            .iter()
            .filter(|m| m.sender == store::Sender::Customer)
            .map(|m| m.at)
            .max())
    }

    /// The message, its contact and the customer's identities, from the live state and
    /// the store; `None` when the message or contact is gone.
    pub async fn load(state: &AppState, d: &Delivery) -> Result<Option<Outbound>, StoreError> {
        let org = d.org_id;
        let message = state
            .messages(org, d.contact_id, d.seq - 1, 1)
            .await?
            .into_iter()
            .find(|m| m.id == d.message_id);
        let Some(message) = message else {
            return Ok(None);
        };
        let live = state.with_org(org, |o| o.contact(d.contact_id).map(|c| c.contact.clone()));
        let contact = match live {
            Some(c) => c,
            None => match state.contact(org, d.contact_id).await? {
                Some(c) => c,
                None => return Ok(None),
            },
        };
        let mut identities = match contact.customer_id {
            Some(cust) => state.identities(org, cust).await?,
            None => Vec::new(),
        };
        // The identity the contact came in on answers first (see [`super::VIA`]).
        if let Some(via) = contact.data.get(super::VIA).and_then(Value::as_str) {
            let keys = state.org_keys(org).await?;
            if let Some(k) = identities
                .iter()
                .position(|i| keys.blind(&i.kind, &i.value) == via)
            {
                let first = identities.remove(k);
                identities.insert(0, first);
            }
        }
        Ok(Some(Outbound {
            delivery: d.clone(),
            message,
            contact,
            identities,
        }))
    }
}

/// One round: send what is due. Returns how many deliveries it handled.
pub async fn drain_once(state: &AppState) -> Result<usize, ApiError> {
    let due = state
        .store()
        .list_due_deliveries(unix_ms(state.now()), ROUND)
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let n = due.len();
    let transports = state.transports();
    let results: Vec<(Delivery, Result<Sent, SendError>)> = futures::stream::iter(due)
        .map(|d| async move {
            let outcome = transports.for_channel(d.channel).send(state, &d).await;
            (d, outcome)
        })
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    let now = state.now();
    let mut changes = Vec::with_capacity(results.len() * 2);
    let mut notes = Vec::new();
    for (d, outcome) in results {
        if let Err(SendError::Retry(e) | SendError::Permanent(e)) = &outcome {
            tracing::warn!(message = %d.message_id, channel = %d.channel, attempt = d.attempts + 1, error = %e, "outbound message not sent");
        }
        let before = d.status;
        record(
            state,
            before,
            after_attempt(&d, &outcome, now),
            Actor::System,
            &mut changes,
            &mut notes,
        );
    }
    state.write(changes, notes).await?;
    Ok(n)
}

/// The drain task: sends what is due, then sleeps until the next delivery is due (or a
/// new message wakes it).
pub async fn drain_task(state: AppState) {
    let mut shutdown = state.shutdown_signal();
    loop {
        let wait = match drain_once(&state).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => match state.store().next_delivery_due().await {
                Ok(Some(next)) => {
                    let ms = (next - unix_ms(state.now())).clamp(0, 1_000);
                    Duration::from_millis(ms as u64)
                }
                Ok(None) => Duration::from_secs(1),
                Err(_) => Duration::from_secs(1),
            },
            Err(e) => {
                tracing::warn!(error = %e, "outbox round failed");
                Duration::from_secs(1)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = state.outbox_notified() => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// A receipt for one outbound message: by our message id, or by the provider's id on a
/// channel. Moves the delivery forward only; answers the delivery as it now stands.
pub async fn receipt(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    which: ReceiptFor,
    status: DeliveryStatus,
    error: Option<&str>,
) -> ApiResult<Delivery> {
    let (d, provider_id) = match &which {
        ReceiptFor::Message {
            id,
            provider_message_id,
        } => (
            state.store().get_delivery(org, *id).await?,
            provider_message_id.as_deref(),
        ),
        ReceiptFor::Provider { channel, id } => (
            state
                .store()
                .find_delivery_by_provider_id(org, *channel, id)
                .await?,
            None,
        ),
    };
    let d = d.ok_or_else(|| ApiError::not_found("outbound message"))?;
    let Some(next) = apply_receipt(&d, status, provider_id, error, state.now()) else {
        return Ok(d);
    };
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    record(state, d.status, next, actor, &mut changes, &mut notes);
    state.write(changes, notes).await?;
    Ok(state
        .store()
        .get_delivery(org, d.message_id)
        .await?
        .unwrap_or(d))
}

/// [`receipt`] from a provider's webhook, where a receipt may name a message this
/// server did not send (another tool on the same number or page): nothing to record.
pub async fn provider_receipt(
    state: &AppState,
    org: Uuid,
    which: ReceiptFor,
    status: DeliveryStatus,
    error: Option<&str>,
) -> ApiResult<()> {
    match receipt(state, org, Actor::System, which, status, error).await {
        Err(e) if e.code == "not_found" => Ok(()),
        other => other.map(|_| ()),
    }
}

/// Which outbound message a receipt is about.
pub enum ReceiptFor {
    /// Our message id (the webhook body's `id`), optionally telling us the provider's.
    Message {
        id: Uuid,
        provider_message_id: Option<String>,
    },
    /// The provider's id, as the transport recorded it.
    Provider { channel: Channel, id: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// A provider that quotes the customer's number in its error: the delivery (and so
    /// the log) keeps the error without it.
    #[test]
    fn errors_are_kept_without_the_personal_data_they_quote() {
        let now = datetime!(2026-12-01 15:00 UTC);
        for outcome in [
            Err(SendError::Permanent(
                "21211: The 'To' number +1 312 555 0142 is not valid".into(),
            )),
            Err(SendError::Retry(
                "mailbox ann.customer@example.org is full".into(),
            )),
        ] {
            let e = after_attempt(&queued(), &outcome, now).error.unwrap();
            assert!(
                !e.contains("312 555 0142") && !e.contains("ann.customer@"),
                "{e}"
            );
            assert!(
                e.contains("21211") || e.contains("is full"),
                "the rest stays: {e}"
            );
        }
        let d = apply_receipt(
            &queued(),
            DeliveryStatus::Failed,
            None,
            Some("unreachable: +13125550142"),
            now,
        )
        .unwrap();
        assert!(!d.error.unwrap().contains("3125550142"));
    }

    fn queued() -> Delivery {
        let t = datetime!(2026-12-01 15:00 UTC);
        Delivery {
            message_id: Uuid::nil(),
            org_id: Uuid::nil(),
            contact_id: Uuid::nil(),
            seq: 3,
            channel: Channel::Sms,
            status: DeliveryStatus::Queued,
            attempts: 0,
            next_attempt_ms: Some(unix_ms(t)),
            provider_message_id: None,
            error: None,
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn backoff_doubles_from_two_seconds_up_to_a_minute() {
        let waits: Vec<i64> = (1..=8).map(backoff_ms).collect();
        assert_eq!(
            waits,
            vec![2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]
        );
        assert_eq!(backoff_ms(0), 2_000);
        assert_eq!(backoff_ms(i32::MAX), 60_000);
    }

    #[test]
    fn a_retryable_failure_waits_and_a_day_later_gives_up() {
        let mut now = datetime!(2026-12-01 15:00:05 UTC);
        let mut d = queued();
        let mut attempt = 0;
        while now - d.created_at < GIVE_UP_AFTER {
            d = after_attempt(&d, &Err(SendError::Retry("503".into())), now);
            attempt += 1;
            assert_eq!(d.status, DeliveryStatus::Queued);
            assert_eq!(d.attempts, attempt);
            let wait = backoff_ms(attempt);
            assert_eq!(d.next_attempt_ms, Some(unix_ms(now) + wait));
            assert_eq!(d.error.as_deref(), Some("503"));
            now += time::Duration::milliseconds(wait);
        }
        assert!(attempt > 1000, "a day of tries, a minute apart: {attempt}");
        d = after_attempt(&d, &Err(SendError::Retry("503".into())), now);
        assert_eq!(d.status, DeliveryStatus::Failed);
        assert_eq!(d.next_attempt_ms, None);
        assert!(d.error.unwrap().contains("over a day"));
    }

    #[test]
    fn success_and_permanent_failure_end_the_attempts() {
        let now = datetime!(2026-12-01 15:00:05 UTC);
        let sent = after_attempt(
            &after_attempt(&queued(), &Err(SendError::Retry("timeout".into())), now),
            &Ok(Sent {
                status: DeliveryStatus::Sent,
                provider_message_id: Some("SM1".into()),
            }),
            now,
        );
        assert_eq!(
            (sent.status, sent.attempts, sent.next_attempt_ms, sent.error),
            (DeliveryStatus::Sent, 2, None, None)
        );
        assert_eq!(sent.provider_message_id.as_deref(), Some("SM1"));
        let refused = after_attempt(&queued(), &Err(SendError::Permanent("400".into())), now);
        assert_eq!(
            (refused.status, refused.next_attempt_ms),
            (DeliveryStatus::Failed, None)
        );
    }

    #[test]
    fn receipts_only_move_forward() {
        let now = datetime!(2026-12-01 15:01 UTC);
        let d = queued();
        let sent = apply_receipt(&d, DeliveryStatus::Sent, Some("SM9"), None, now).unwrap();
        assert_eq!(
            sent.next_attempt_ms, None,
            "the channel has it: no more attempts"
        );
        let delivered = apply_receipt(&sent, DeliveryStatus::Delivered, None, None, now).unwrap();
        assert_eq!(delivered.provider_message_id.as_deref(), Some("SM9"));
        assert!(apply_receipt(&delivered, DeliveryStatus::Sent, None, None, now).is_none());
        assert!(apply_receipt(&delivered, DeliveryStatus::Failed, None, None, now).is_none());
        assert!(apply_receipt(&delivered, DeliveryStatus::Delivered, None, None, now).is_none());
        assert!(apply_receipt(&delivered, DeliveryStatus::Queued, None, None, now).is_none());
        let read = apply_receipt(&delivered, DeliveryStatus::Read, None, None, now).unwrap();
        assert_eq!(read.status, DeliveryStatus::Read);
        let failed = apply_receipt(
            &sent,
            DeliveryStatus::Failed,
            None,
            Some("30007 filtered"),
            now,
        )
        .unwrap();
        assert_eq!(failed.error.as_deref(), Some("30007 filtered"));
        let failed = apply_receipt(&sent, DeliveryStatus::Failed, None, None, now).unwrap();
        assert!(failed.error.unwrap().contains("could not deliver"));
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_time_dot_body() {
        // Checked against an independent HMAC-SHA256 (Python's hmac module):
        // hmac.new(b"topsecret", b"1700000000.{}", hashlib.sha256).hexdigest()
        assert_eq!(
            sign("topsecret", 1_700_000_000, b"{}"),
            "t=1700000000,v1=9ec0a0b3a9ebf7b4b512e23475f03d264dd11ea5aec41b6acdd5fff59a6a947c"
        );
    }
}
