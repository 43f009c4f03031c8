//! WhatsApp over the Cloud API's wire format: the verify-token handshake, signed
//! webhooks with customers' messages and our messages' statuses, and replies through
//! the Graph API's `/{phone-number-id}/messages`.
//!
//! - Webhooks (`POST /api/webhooks/whatsapp/{org}`) are checked against
//!   `X-Hub-Signature-256` (`sha256=` and the hex HMAC-SHA256 of the exact raw body with
//!   the app secret) before the body is parsed ([`verify`]). Each message goes through
//!   the one receive path, de-duplicated by its `wamid`, stamped with WhatsApp's own
//!   timestamp. The customer is known by phone number (`+` and the `wa_id`), the same
//!   identity an SMS from that number has: one customer across both.
//! - Media (pictures, documents…) are fetched from the Graph API and kept after the
//!   message, judged by their bytes.
//! - Text, location, interactive replies and media captions come in as text
//!   ([`parse`]).
//! - Replies: a text message with our message id as `biz_opaque_callback_data`, which
//!   WhatsApp echoes in the message's statuses (`sent`, `delivered`, `read`, `failed`),
//!   so a status that beats our record of the `wamid` still finds its message.
//! - The 24-hour customer-service window: free text only within 24 hours of the
//!   customer's last message ([`window_open`]); outside it a free-text reply fails and
//!   says so. An approved [`Template`] (admins copy them from WhatsApp Manager; agents
//!   pick one and fill its parameters) is sent as a template message at any time.

use futures::future::BoxFuture;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;
use store::{Delivery, DeliveryStatus, MessageTemplate};
use time::OffsetDateTime;

use super::outbound::{Outbound, SendError, Sent};
use crate::AppState;

/// How long after the customer's last message free text may be sent.
pub const WINDOW: time::Duration = time::Duration::hours(24);

/// An organisation's WhatsApp Business number, as admins configure it.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatsappConfig {
    /// The Cloud API's id of the business number.
    pub phone_number_id: String,
    /// A system user's access token for the Graph API.
    pub access_token: String,
    /// The Meta app's secret: the key of `X-Hub-Signature-256`.
    pub app_secret: String,
    /// What the webhook's GET handshake must present.
    pub verify_token: String,
    /// Where a new WhatsApp contact waits.
    pub queue_id: uuid::Uuid,
    /// The Graph API (`https://graph.facebook.com/v21.0`; a stand-in's address in tests).
    pub api_base: String,
    /// The number's approved message templates, as copied from WhatsApp Manager: the
    /// only messages WhatsApp delivers once the reply window has closed.
    pub templates: Vec<Template>,
}

/// An approved message template. Its body is kept only to show agents what the customer
/// will read; WhatsApp sends its own approved copy, filled with the parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Template {
    /// The template's name (`order_update`): lowercase letters, digits and `_`.
    pub name: String,
    /// The approved language's code (`en_US`).
    pub language: String,
    /// The body with its parameters as `{{1}}`, `{{2}}`, …
    pub body: String,
}

/// The most templates one number keeps here, and parameters one template takes.
pub const MAX_TEMPLATES: usize = 100;
pub const MAX_PARAMS: usize = 20;

impl Template {
    /// How many parameters the body takes, or why it is not a template body: its
    /// placeholders must be `{{1}}` to `{{n}}`, each at least once, none other.
    pub fn params(&self) -> Result<usize, String> {
        let mut seen = std::collections::BTreeSet::new();
        for piece in pieces(&self.body) {
            match piece {
                Piece::Text(_) => {}
                Piece::Unclosed(_) => return Err("body: a `{{` is never closed".into()),
                Piece::Param { n: Some(n), .. } => {
                    seen.insert(n);
                }
                Piece::Param { n: None, inner, .. } => {
                    return Err(format!(
                        "body: `{{{{{}}}}}` is not a parameter; write {{{{1}}}}, {{{{2}}}}, …",
                        inner.chars().take(20).collect::<String>()
                    ));
                }
            }
        }
        let n = seen.len();
        if seen.iter().copied().ne(1..=n) {
            return Err("body: parameters must be numbered {{1}}, {{2}}, … without gaps".into());
        }
        if n > MAX_PARAMS {
            return Err(format!("body: at most {MAX_PARAMS} parameters"));
        }
        Ok(n)
    }

    /// Whether the name, language and body are what WhatsApp accepts.
    pub fn check(&self) -> Result<usize, String> {
        let name_ok = (1..=512).contains(&self.name.len())
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !name_ok {
            return Err(format!(
                "name: `{}`: lowercase letters, digits and _ only",
                self.name.chars().take(40).collect::<String>()
            ));
        }
        let lang_ok = (2..=15).contains(&self.language.len())
            && self
                .language
                .chars()
                .all(|c| c.is_ascii_alphabetic() || c == '_');
        if !lang_ok {
            return Err(format!("{}: language: a code such as en_US", self.name));
        }
        if self.body.trim().is_empty() || self.body.chars().count() > 1024 {
            return Err(format!("{}: body: 1 to 1024 characters", self.name));
        }
        self.params().map_err(|e| format!("{}: {e}", self.name))
    }

    /// The body as the customer reads it, with `params` in place.
    /// One pass over the body, so a parameter's own text is never taken for a placeholder.
    pub fn render(&self, params: &[String]) -> String {
        let mut out = String::with_capacity(self.body.len());
        for piece in pieces(&self.body) {
            match piece {
                Piece::Param { n: Some(n), .. } if (1..=params.len()).contains(&n) => {
                    out.push_str(&params[n - 1]);
                }
                Piece::Text(t) | Piece::Param { whole: t, .. } | Piece::Unclosed(t) => {
                    out.push_str(t);
                }
            }
        }
        out
    }
}

/// A template body in pieces: its text, and each `{{…}}`.
enum Piece<'a> {
    Text(&'a str),
    /// A placeholder: what stands between the braces, its number if it is one, and the
    /// placeholder as written.
    Param {
        inner: &'a str,
        n: Option<usize>,
        whole: &'a str,
    },
    /// A `{{` never closed, and everything after it.
    Unclosed(&'a str),
}

fn pieces(body: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find("{{") {
        out.push(Piece::Text(&rest[..i]));
        let Some(end) = rest[i + 2..].find("}}") else {
            out.push(Piece::Unclosed(&rest[i..]));
            return out;
        };
        let inner = &rest[i + 2..i + 2 + end];
        out.push(Piece::Param {
            inner,
            n: inner.trim().parse().ok(),
            whole: &rest[i..i + 2 + end + 2],
        });
        rest = &rest[i + 2 + end + 2..];
    }
    out.push(Piece::Text(rest));
    out
}

/// `X-Hub-Signature-256` of a raw body.
pub fn signature(app_secret: &str, body: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(app_secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `given` signs `body` (compared in constant time).
pub fn verify(app_secret: &str, body: &[u8], given: &str) -> bool {
    crate::auth::constant_time_eq(
        signature(app_secret, body).as_bytes(),
        given.trim().as_bytes(),
    )
}

/// A customer's message in a webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    pub wamid: String,
    /// `+` and the customer's WhatsApp id (their phone number).
    pub phone: String,
    pub name: Option<String>,
    pub sent_at: Option<OffsetDateTime>,
    pub text: String,
    /// A picture's, document's, video's, voice note's or sticker's media id: fetched
    /// from the Graph API and kept after the text.
    pub media: Option<String>,
}

/// A status of one of our messages in a webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    pub wamid: String,
    pub status: DeliveryStatus,
    /// Our message id, echoed from `biz_opaque_callback_data`.
    pub ours: Option<uuid::Uuid>,
    pub error: Option<String>,
}

/// Messages and statuses of one webhook body (what it does not know is skipped).
pub fn parse(body: &Value) -> (Vec<InboundMessage>, Vec<StatusUpdate>) {
    let mut messages = Vec::new();
    let mut statuses = Vec::new();
    let values = body["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["changes"].as_array().into_iter().flatten())
        .map(|c| &c["value"]);
    for v in values {
        let names: Vec<(&str, &str)> = v["contacts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| Some((c["wa_id"].as_str()?, c["profile"]["name"].as_str()?)))
            .collect();
        for m in v["messages"].as_array().into_iter().flatten() {
            let (Some(id), Some(from)) = (m["id"].as_str(), m["from"].as_str()) else {
                continue;
            };
            let Some(text) = text_of(m) else { continue };
            messages.push(InboundMessage {
                wamid: id.to_string(),
                phone: format!("+{}", from.trim_start_matches('+')),
                name: names
                    .iter()
                    .find(|(w, _)| *w == from)
                    .map(|(_, n)| n.to_string()),
                sent_at: m["timestamp"]
                    .as_str()
                    .and_then(|t| t.parse::<i64>().ok())
                    .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok()),
                text,
                media: m["type"]
                    .as_str()
                    .and_then(|t| m[t]["id"].as_str())
                    .map(str::to_string),
            });
        }
        for s in v["statuses"].as_array().into_iter().flatten() {
            let Some(id) = s["id"].as_str() else { continue };
            let status = match s["status"].as_str() {
                Some("sent") => DeliveryStatus::Sent,
                Some("delivered") => DeliveryStatus::Delivered,
                Some("read") => DeliveryStatus::Read,
                Some("failed") => DeliveryStatus::Failed,
                _ => continue,
            };
            let error = s["errors"].as_array().and_then(|e| e.first()).map(|e| {
                format!(
                    "WhatsApp error {}: {}",
                    e["code"].as_i64().unwrap_or(0),
                    e["title"]
                        .as_str()
                        .or(e["message"].as_str())
                        .unwrap_or("not delivered")
                )
            });
            statuses.push(StatusUpdate {
                wamid: id.to_string(),
                status,
                ours: s["biz_opaque_callback_data"]
                    .as_str()
                    .and_then(|x| x.parse().ok()),
                error,
            });
        }
    }
    (messages, statuses)
}

/// A message's content as text: text, a location, the reply chosen from buttons or a
/// list, or a media message's caption.
fn text_of(m: &Value) -> Option<String> {
    let t = m["type"].as_str().unwrap_or("");
    let s = match t {
        "text" => m["text"]["body"].as_str()?.to_string(),
        "location" => {
            let l = &m["location"];
            let place = [l["name"].as_str(), l["address"].as_str()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "📍 {}, {}{}",
                l["latitude"].as_f64()?,
                l["longitude"].as_f64()?,
                if place.is_empty() {
                    String::new()
                } else {
                    format!(" ({place})")
                }
            )
        }
        "interactive" => {
            let i = &m["interactive"];
            i["button_reply"]["title"]
                .as_str()
                .or(i["list_reply"]["title"].as_str())?
                .to_string()
        }
        "button" => m["button"]["text"].as_str()?.to_string(),
        "image" | "video" | "document" | "audio" | "sticker" => {
            let caption = m[t]["caption"].as_str().unwrap_or("");
            if caption.is_empty() {
                format!("(a {t})")
            } else {
                format!("(a {t}) {caption}")
            }
        }
        _ => return None,
    };
    Some(s)
}

/// Whether free text may be sent at `now` to a customer whose last message was at
/// `last_customer_message`.
pub fn window_open(last_customer_message: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
    last_customer_message.is_some_and(|t| now - t < WINDOW)
}

/// An error answer of the Graph API (WhatsApp's and Messenger's): its code, if it has
/// one, and its message.
pub(crate) struct GraphError {
    status: u16,
    code: Option<i64>,
    message: String,
}

impl GraphError {
    pub(crate) fn parse(status: u16, body: &str) -> GraphError {
        let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let e = &v["error"];
        GraphError {
            status,
            code: e["code"].as_i64(),
            message: e["message"]
                .as_str()
                .unwrap_or(body)
                .chars()
                .take(200)
                .collect(),
        }
    }

    /// In words: "`who` refused `what` (code): message", or what it answered.
    pub(crate) fn describe(&self, who: &str, what: &str) -> String {
        match self.code {
            Some(c) => format!("{who} refused {what} ({c}): {}", self.message),
            None => format!("{who} answered {}: {}", self.status, self.message),
        }
    }

    /// Worth another try: 429, the provider's own 5xx, or one of these codes.
    pub(crate) fn passing(&self, codes: &[i64]) -> bool {
        self.status == 429 || self.status >= 500 || self.code.is_some_and(|c| codes.contains(&c))
    }
}

/// WhatsApp's codes for rate limits (130429, 131056) and its own trouble (131000, 2).
const PASSING_CODES: &[i64] = &[130429, 131056, 131000, 2];

/// How an error answer of the Graph API to a WhatsApp message is taken.
pub fn classify(status: u16, body: &str) -> SendError {
    let e = GraphError::parse(status, body);
    let what = e.describe("WhatsApp", "the message");
    if e.passing(PASSING_CODES) {
        SendError::Retry(what)
    } else {
        SendError::Permanent(what)
    }
}

/// The JSON of one text reply.
pub fn message_body(to_phone: &str, text: &str, message_id: uuid::Uuid) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to_phone.trim_start_matches('+'),
        "type": "text",
        "text": {"preview_url": false, "body": text},
        "biz_opaque_callback_data": message_id.to_string(),
    })
}

/// A picture (`image`) or any other file (`document`, with its name), by the id
/// WhatsApp gave it on upload, the message's text as its caption.
pub fn media_body(
    to_phone: &str,
    file: &super::outbound::File,
    media_id: &str,
    caption: &str,
    message_id: uuid::Uuid,
) -> Value {
    let kind = if file.is_image() { "image" } else { "document" };
    let mut media = json!({"id": media_id});
    if !caption.trim().is_empty() {
        media["caption"] = json!(caption);
    }
    if kind == "document" {
        media["filename"] = json!(file.name);
    }
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to_phone.trim_start_matches('+'),
        "type": kind,
        kind: media,
        "biz_opaque_callback_data": message_id.to_string(),
    })
}

/// One of the number's resources in the Graph API (`messages`, `media`).
fn number_url(cfg: &WhatsappConfig, resource: &str) -> String {
    format!(
        "{}/{}/{resource}",
        cfg.api_base.trim_end_matches('/'),
        cfg.phone_number_id
    )
}

/// A request to the Graph API with the number's token: its JSON answer, or the error
/// classed as worth another try or not.
async fn post(cfg: &WhatsappConfig, request: reqwest::RequestBuilder) -> Result<Value, SendError> {
    let answer = request.bearer_auth(&cfg.access_token).send().await;
    let (status, body) = super::outbound::answer_of("WhatsApp", answer).await?;
    if !(200..300).contains(&status) {
        return Err(classify(status, &body));
    }
    Ok(serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// Uploads a file to the number's media (`POST /{phone-number-id}/media`, multipart):
/// the id to send it by.
async fn upload_media(
    client: &reqwest::Client,
    cfg: &WhatsappConfig,
    file: &super::outbound::File,
) -> Result<String, SendError> {
    let part = reqwest::multipart::Part::bytes(file.bytes.clone())
        .file_name(file.name.clone())
        .mime_str(&file.content_type)
        .map_err(|e| SendError::Permanent(format!("the file's type: {e}")))?;
    let form = reqwest::multipart::Form::new()
        .text("messaging_product", "whatsapp")
        .text("type", file.content_type.clone())
        .part("file", part);
    let request = client.post(number_url(cfg, "media")).multipart(form);
    let v = post(cfg, request).await?;
    v["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| SendError::Retry("WhatsApp gave no media id for the upload".into()))
}

/// One webhook body (its signature already checked): each message joins the
/// customer's conversation through the one receive path, each status moves our reply.
pub async fn receive(
    state: &AppState,
    org: uuid::Uuid,
    cfg: &WhatsappConfig,
    body: &Value,
) -> crate::ApiResult<()> {
    use super::outbound::{ReceiptFor, provider_receipt};
    let (messages, statuses) = parse(body);
    for m in messages {
        let (wamid, media) = (m.wamid.clone(), m.media.clone());
        let received = super::receive(
            state,
            org,
            super::Inbound {
                channel: store::Channel::Whatsapp,
                identity: ("phone".into(), m.phone),
                name: m.name,
                provider_message_id: m.wamid,
                sent_at: m.sent_at,
                text: Some(m.text),
                attachment: None,
                queue_id: cfg.queue_id,
                attributes: Default::default(),
                thread: super::Threading::Open,
                topic: None,
            },
        )
        .await?;
        if let Some(id) = media {
            let cid = format!("whatsapp:{wamid}:media");
            if state
                .message_by_client_id(org, received.contact.id, &cid)
                .await?
                .is_none()
            {
                let fetched = fetch_media(cfg, &id).await;
                super::keep_file(state, org, &received, cid, "whatsapp-file", fetched).await?;
            }
        }
    }
    for s in statuses {
        let which = match s.ours {
            Some(id) => ReceiptFor::Message {
                id,
                provider_message_id: Some(s.wamid),
            },
            None => ReceiptFor::Provider {
                channel: store::Channel::Whatsapp,
                id: s.wamid,
            },
        };
        provider_receipt(state, org, which, s.status, s.error.as_deref()).await?;
    }
    Ok(())
}

/// A customer's media, as the Cloud API hands it out: its address from
/// `GET /{media-id}`, then its bytes from that address, both with the access token.
async fn fetch_media(
    cfg: &WhatsappConfig,
    media_id: &str,
) -> Result<(crate::chat::upload::FileKind, Vec<u8>), String> {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    let client = CLIENT.get_or_init(|| crate::http_client_builder().build().unwrap_or_default());
    if media_id.is_empty()
        || !media_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err("not a media id".into());
    }
    let v = graph_get(
        client,
        "WhatsApp",
        &cfg.api_base,
        media_id,
        "url",
        &cfg.access_token,
    )
    .await?;
    let url = v["url"].as_str().ok_or("WhatsApp gave no address for it")?;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err("not a web address".into());
    }
    super::fetch_file(client.get(url).bearer_auth(&cfg.access_token)).await
}

/// Reads a Graph API object (`GET {api_base}/{id}?fields=…`) with a token: what an
/// admin's "Test" asks of WhatsApp and Messenger. The object's JSON, or why not.
pub(crate) async fn graph_get(
    client: &reqwest::Client,
    who: &str,
    api_base: &str,
    id: &str,
    fields: &str,
    token: &str,
) -> Result<Value, String> {
    let url = format!("{}/{id}", api_base.trim_end_matches('/'));
    let answer = client
        .get(&url)
        .query(&[("fields", fields)])
        .bearer_auth(token)
        .send()
        .await;
    let (status, body) = super::outbound::answer_of(who, answer)
        .await
        .map_err(SendError::into_message)?;
    if !(200..300).contains(&status) {
        return Err(GraphError::parse(status, &body).describe(who, "the credentials"));
    }
    Ok(serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// Whether the access token reads the business number: what an admin's "Test" checks.
pub async fn check(client: &reqwest::Client, cfg: &WhatsappConfig) -> Result<String, String> {
    let v = graph_get(
        client,
        "WhatsApp",
        &cfg.api_base,
        &cfg.phone_number_id,
        "display_phone_number,verified_name",
        &cfg.access_token,
    )
    .await?;
    Ok(format!(
        "WhatsApp accepted the access token for {} ({})",
        v["display_phone_number"]
            .as_str()
            .unwrap_or(&cfg.phone_number_id),
        v["verified_name"].as_str().unwrap_or("no verified name")
    ))
}

/// The JSON of one template message.
pub fn template_body(to_phone: &str, t: &MessageTemplate, message_id: uuid::Uuid) -> Value {
    let parameters: Vec<Value> = t
        .params
        .iter()
        .map(|p| json!({"type": "text", "text": p}))
        .collect();
    let mut template = json!({"name": t.name, "language": {"code": t.language}});
    if !parameters.is_empty() {
        template["components"] = json!([{"type": "body", "parameters": parameters}]);
    }
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to_phone.trim_start_matches('+'),
        "type": "template",
        "template": template,
        "biz_opaque_callback_data": message_id.to_string(),
    })
}

/// Sends one reply through the Graph API: a template as a template at any time, free
/// text only within the reply window.
pub fn send<'a>(
    client: &'a reqwest::Client,
    state: &'a AppState,
    cfg: &'a WhatsappConfig,
    d: &'a Delivery,
) -> BoxFuture<'a, Result<Sent, SendError>> {
    Box::pin(async move {
        let out = Outbound::for_send(state, d).await?;
        let to = out.address("phone", "the customer has no WhatsApp number")?;
        let body = match &out.message.template {
            Some(t) => template_body(&to, t, d.message_id),
            None => {
                let last = out.last_customer_message(state).await?;
                if !window_open(last, state.now()) {
                    return Err(SendError::Permanent(
                        "more than 24 hours since the customer last wrote: WhatsApp only allows an approved template now".into(),
                    ));
                }
                let text = out.message.text.clone().unwrap_or_default();
                match out.file(state).await? {
                    // A file is uploaded to WhatsApp first, then sent by its media id.
                    Some(file) => {
                        let media = upload_media(client, cfg, &file).await?;
                        media_body(&to, &file, &media, &text, d.message_id)
                    }
                    None => message_body(&to, &text, d.message_id),
                }
            }
        };
        let v = post(cfg, client.post(number_url(cfg, "messages")).json(&body)).await?;
        Ok(Sent {
            status: DeliveryStatus::Sent,
            provider_message_id: v["messages"][0]["id"].as_str().map(str::to_string),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_signature_is_hmac_sha256_of_the_raw_body() {
        // Checked against an independent HMAC-SHA256 (Python's hmac module).
        let body = br#"{"object":"whatsapp_business_account"}"#;
        assert_eq!(
            signature("app-secret", body),
            "sha256=0bf7374433906636bed1653bc7c64affb42fa5da9a39e251ab95c2e3a9c06923"
        );
        assert!(verify("app-secret", body, &signature("app-secret", body)));
        assert!(!verify("other", body, &signature("app-secret", body)));
        assert!(!verify("app-secret", b"{}", &signature("app-secret", body)));
        assert!(!verify("app-secret", body, ""));
    }

    #[test]
    fn webhooks_give_messages_with_their_time_and_statuses_with_our_id() {
        let ours = uuid::Uuid::now_v7();
        let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"phone_number_id": "PN1"},
            "contacts": [{"wa_id": "15550003000", "profile": {"name": "Wanda"}}],
            "messages": [
                {"from": "15550003000", "id": "wamid.A", "timestamp": "1764601200", "type": "text", "text": {"body": "Hello"}},
                {"from": "15550003000", "id": "wamid.B", "timestamp": "1764601201", "type": "location", "location": {"latitude": 40.7, "longitude": -74.0, "name": "Store 12"}},
                {"from": "15550003000", "id": "wamid.C", "timestamp": "1764601202", "type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": "b1", "title": "Track my order"}}},
                {"from": "15550003000", "id": "wamid.D", "timestamp": "1764601203", "type": "image", "image": {"id": "m1", "caption": "the box"}},
                {"from": "15550003000", "id": "wamid.E", "timestamp": "1764601204", "type": "reaction", "reaction": {}}
            ],
            "statuses": [
                {"id": "wamid.OUT", "status": "delivered", "timestamp": "1764601300", "recipient_id": "15550003000", "biz_opaque_callback_data": ours.to_string()},
                {"id": "wamid.OUT2", "status": "failed", "errors": [{"code": 131047, "title": "Re-engagement message"}]}
            ]
        }}]}]});
        let (m, s) = parse(&body);
        let texts: Vec<&str> = m.iter().map(|x| x.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "Hello",
                "📍 40.7, -74 (Store 12)",
                "Track my order",
                "(a image) the box"
            ]
        );
        assert_eq!(m[0].phone, "+15550003000");
        assert_eq!(m[0].name.as_deref(), Some("Wanda"));
        assert_eq!(m[0].sent_at, Some(datetime!(2025-12-01 15:00 UTC)));
        assert_eq!(s[0].status, DeliveryStatus::Delivered);
        assert_eq!(s[0].ours, Some(ours));
        assert_eq!(s[1].status, DeliveryStatus::Failed);
        assert!(s[1].error.as_deref().unwrap().contains("131047"));
        assert_eq!(parse(&json!({"garbage": true})), (vec![], vec![]));
    }

    #[test]
    fn the_window_closes_24_hours_after_the_customer_last_wrote() {
        let t = datetime!(2026-12-01 10:00 UTC);
        assert!(window_open(Some(t), t + time::Duration::hours(23)));
        assert!(!window_open(Some(t), t + time::Duration::hours(24)));
        assert!(!window_open(None, t));
    }

    #[test]
    fn templates_count_check_and_fill_their_parameters() {
        let t = |name: &str, body: &str| Template {
            name: name.into(),
            language: "en_US".into(),
            body: body.into(),
        };
        let order = t(
            "order_update",
            "Hi {{1}}, order {{2}} is ready. Thanks, {{1}}!",
        );
        assert_eq!(order.check(), Ok(2));
        assert_eq!(
            order.render(&["Wanda".into(), "A-1".into()]),
            "Hi Wanda, order A-1 is ready. Thanks, Wanda!"
        );
        assert_eq!(t("hello", "No parameters.").check(), Ok(0));
        assert!(
            t("gap", "{{1}} and {{3}}")
                .check()
                .unwrap_err()
                .contains("without gaps")
        );
        assert!(
            t("named", "Hi {{name}}")
                .check()
                .unwrap_err()
                .contains("not a parameter")
        );
        assert!(
            t("open", "Hi {{1")
                .check()
                .unwrap_err()
                .contains("never closed")
        );
        assert!(t("Upper", "x").check().unwrap_err().contains("lowercase"));
        assert!(t("empty", " ").check().is_err());
        // {{10}} is not {{1}} followed by a 0.
        let many = t(
            "many",
            &(1..=10)
                .map(|i| format!("{{{{{i}}}}}"))
                .collect::<Vec<_>>()
                .join(" "),
        );
        let params: Vec<String> = (1..=10).map(|i| format!("p{i}")).collect();
        assert_eq!(many.check(), Ok(10));
        assert_eq!(many.render(&params), params.join(" "));
        // A parameter that looks like a placeholder is taken literally.
        assert_eq!(
            t("lit", "{{1}}/{{2}}").render(&["{{2}}".into(), "b".into()]),
            "{{2}}/b"
        );

        let id = uuid::Uuid::now_v7();
        let sent = template_body(
            "+15550004000",
            &MessageTemplate {
                name: "order_update".into(),
                language: "en_US".into(),
                params: vec!["Wanda".into()],
            },
            id,
        );
        assert_eq!(sent["type"], "template");
        assert_eq!(sent["to"], "15550004000");
        assert_eq!(
            sent["template"]["components"][0]["parameters"][0]["text"],
            "Wanda"
        );
        let bare = template_body(
            "+1",
            &MessageTemplate {
                name: "hello".into(),
                language: "en_US".into(),
                params: vec![],
            },
            id,
        );
        assert!(bare["template"].get("components").is_none(), "{bare}");
    }

    #[test]
    fn errors_are_classed() {
        assert!(
            matches!(classify(400, r#"{"error":{"code":131026,"message":"Message undeliverable"}}"#), SendError::Permanent(m) if m.contains("131026"))
        );
        assert!(matches!(
            classify(
                400,
                r#"{"error":{"code":130429,"message":"Rate limit hit"}}"#
            ),
            SendError::Retry(_)
        ));
        assert!(matches!(classify(502, "bad gateway"), SendError::Retry(_)));
    }
}
