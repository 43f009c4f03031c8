//! Facebook Messenger over the Send API's wire format: the same verify-token handshake
//! and `X-Hub-Signature-256` as WhatsApp (Meta signs every webhook that way:
//! [`super::whatsapp::verify`]), page-scoped ids, and Messenger's own rules.
//!
//! - Webhooks (`POST /api/webhooks/messenger/{org}`, `object: "page"`): each
//!   `messaging` item is a customer's message (by its `mid`, with Messenger's
//!   timestamp; text, or its attachments named; pictures and files fetched and kept), a delivery receipt (the `mids` it
//!   names are delivered) or a read receipt (everything we sent that customer up to the
//!   `watermark` is read). Echoes of our own messages are skipped ([`parse`]).
//! - The customer is known by their page-scoped id (`messenger_psid`).
//! - Replies: `POST /me/messages` with the page's token (an agent's file uploaded with
//!   it as `filedata`, multipart). Within 24 hours of the
//!   customer's last message, `messaging_type: RESPONSE`; within 7 days, a person may
//!   still answer with the `HUMAN_AGENT` tag; after that Messenger refuses, and so do we
//!   ([`messaging_type`]).

use futures::future::BoxFuture;
use serde_json::{Value, json};
use store::{Delivery, DeliveryStatus};
use time::OffsetDateTime;

use super::outbound::{Outbound, SendError, Sent};
use crate::AppState;

/// An organisation's Facebook page, as admins configure it.
#[derive(Debug, Clone, PartialEq)]
pub struct MessengerConfig {
    pub page_id: String,
    /// The page's access token for the Send API.
    pub page_access_token: String,
    /// The Meta app's secret: the key of `X-Hub-Signature-256`.
    pub app_secret: String,
    pub verify_token: String,
    /// Where a new Messenger contact waits.
    pub queue_id: uuid::Uuid,
    /// The Graph API (`https://graph.facebook.com/v21.0`; a stand-in's address in tests).
    pub api_base: String,
}

/// The Graph API's codes worth another try: WhatsApp's (the same API) and Messenger's
/// rate limits, 613 and 4.
const PASSING_CODES: &[i64] = &[130429, 131056, 131000, 2, 613, 4];

/// One item of a webhook.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Message {
        mid: String,
        psid: String,
        sent_at: Option<OffsetDateTime>,
        text: String,
        /// The addresses of its pictures and files (Messenger's CDN).
        files: Vec<String>,
    },
    Delivered {
        mids: Vec<String>,
    },
    Read {
        psid: String,
        watermark: OffsetDateTime,
    },
}

fn from_ms(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

/// The items of one webhook body (what it does not know is skipped).
pub fn parse(body: &Value) -> Vec<Event> {
    let mut out = Vec::new();
    let items = body["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["messaging"].as_array().into_iter().flatten());
    for m in items {
        let Some(psid) = m["sender"]["id"].as_str() else {
            continue;
        };
        if let Some(msg) = m.get("message") {
            if msg["is_echo"].as_bool() == Some(true) {
                continue;
            }
            let Some(mid) = msg["mid"].as_str() else {
                continue;
            };
            let text = match msg["text"].as_str() {
                Some(t) if !t.trim().is_empty() => t.to_string(),
                _ => {
                    let kinds: Vec<&str> = msg["attachments"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|a| a["type"].as_str())
                        .collect();
                    if kinds.is_empty() {
                        continue;
                    }
                    format!("({})", kinds.join(", "))
                }
            };
            let files = msg["attachments"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|a| matches!(a["type"].as_str(), Some("image" | "file")))
                .filter_map(|a| a["payload"]["url"].as_str().map(str::to_string))
                .take(3)
                .collect();
            out.push(Event::Message {
                mid: mid.to_string(),
                psid: psid.to_string(),
                sent_at: m["timestamp"].as_i64().and_then(from_ms),
                text,
                files,
            });
        } else if let Some(d) = m.get("delivery") {
            let mids: Vec<String> = d["mids"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect();
            if !mids.is_empty() {
                out.push(Event::Delivered { mids });
            }
        } else if let Some(r) = m.get("read")
            && let Some(w) = r["watermark"].as_i64().and_then(from_ms)
        {
            out.push(Event::Read {
                psid: psid.to_string(),
                watermark: w,
            });
        }
    }
    out
}

/// How a reply may be sent at `now`, given the customer's last message: within 24 hours
/// as a response, within 7 days by a person with the human-agent tag, else not at all.
pub fn messaging_type(
    last_customer_message: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Option<Value> {
    let since = now - last_customer_message?;
    if since < time::Duration::hours(24) {
        Some(json!({"messaging_type": "RESPONSE"}))
    } else if since < time::Duration::days(7) {
        Some(json!({"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}))
    } else {
        None
    }
}

/// One webhook body (its signature already checked): messages join the customer's
/// conversation through the one receive path; a delivery receipt marks the messages it
/// names delivered, a read receipt everything sent to that customer up to its
/// watermark.
pub async fn receive(
    state: &AppState,
    org: uuid::Uuid,
    cfg: &MessengerConfig,
    body: &Value,
) -> crate::ApiResult<()> {
    use super::outbound::{ReceiptFor, provider_receipt};
    use store::{Channel, Store as _};
    for ev in parse(body) {
        match ev {
            Event::Message {
                mid,
                psid,
                sent_at,
                text,
                files,
            } => {
                let id = mid.clone();
                let received = super::receive(
                    state,
                    org,
                    super::Inbound {
                        channel: Channel::Messenger,
                        identity: ("messenger_psid".into(), psid),
                        name: None,
                        provider_message_id: mid,
                        sent_at,
                        text: Some(text),
                        attachment: None,
                        queue_id: cfg.queue_id,
                        attributes: Default::default(),
                        thread: super::Threading::Open,
                        topic: None,
                    },
                )
                .await?;
                static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
                let client =
                    CLIENT.get_or_init(|| crate::http_client_builder().build().unwrap_or_default());
                for (k, url) in files.iter().enumerate() {
                    let cid = format!("messenger:{id}:file{k}");
                    if state
                        .message_by_client_id(org, received.contact.id, &cid)
                        .await?
                        .is_some()
                    {
                        continue;
                    }
                    let fetched = if url.starts_with("https://") || url.starts_with("http://") {
                        super::fetch_file(client.get(url)).await
                    } else {
                        Err("not a web address".into())
                    };
                    let stem = format!("messenger-file-{}", k + 1);
                    super::keep_file(state, org, &received, cid, &stem, fetched).await?;
                }
            }
            Event::Delivered { mids } => {
                for mid in mids {
                    let which = ReceiptFor::Provider {
                        channel: Channel::Messenger,
                        id: mid,
                    };
                    provider_receipt(state, org, which, DeliveryStatus::Delivered, None).await?;
                }
            }
            Event::Read { psid, watermark } => {
                let Some(identity) = state.find_identity(org, "messenger_psid", &psid).await?
                else {
                    continue;
                };
                let contacts: Vec<uuid::Uuid> = state.with_org(org, |o| {
                    o.contacts()
                        .map(|lc| &lc.contact)
                        .filter(|c| {
                            c.customer_id == Some(identity.customer_id)
                                && c.channel == Channel::Messenger
                        })
                        .map(|c| c.id)
                        .collect()
                });
                for contact in contacts {
                    for d in state.store().list_deliveries(org, contact, 0).await? {
                        if d.created_at <= watermark
                            && d.status.rank() < DeliveryStatus::Read.rank()
                            && d.status != DeliveryStatus::Failed
                        {
                            let which = ReceiptFor::Message {
                                id: d.message_id,
                                provider_message_id: None,
                            };
                            provider_receipt(state, org, which, DeliveryStatus::Read, None).await?;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Sends one reply through the Send API.
pub fn send<'a>(
    client: &'a reqwest::Client,
    state: &'a AppState,
    cfg: &'a MessengerConfig,
    d: &'a Delivery,
) -> BoxFuture<'a, Result<Sent, SendError>> {
    Box::pin(async move {
        let out = Outbound::for_send(state, d).await?;
        let psid = out.address(
            "messenger_psid",
            "the customer has no Messenger id for this page",
        )?;
        let last = out.last_customer_message(state).await?;
        let Some(mut body) = messaging_type(last, state.now()) else {
            return Err(SendError::Permanent(
                "more than 7 days since the customer last wrote: Messenger allows no reply now"
                    .into(),
            ));
        };
        body["recipient"] = json!({"id": psid});
        let text = out.message.text.clone().unwrap_or_default();
        let url = format!("{}/me/messages", cfg.api_base.trim_end_matches('/'));
        let request = client
            .post(&url)
            .query(&[("access_token", cfg.page_access_token.as_str())]);
        let answer = match out.file(state).await? {
            // A file is uploaded with the message (`filedata`). Messenger shows no
            // caption: a message with a file carries no text (the API refuses both).
            Some(file) => {
                let kind = if file.is_image() { "image" } else { "file" };
                let part = reqwest::multipart::Part::bytes(file.bytes)
                    .file_name(file.name)
                    .mime_str(&file.content_type)
                    .map_err(|e| SendError::Permanent(format!("the file's type: {e}")))?;
                let mut form = reqwest::multipart::Form::new();
                for (k, v) in body.as_object().into_iter().flatten() {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    form = form.text(k.clone(), v);
                }
                form = form
                    .text(
                        "message",
                        json!({"attachment": {"type": kind, "payload": {"is_reusable": false}}})
                            .to_string(),
                    )
                    .part("filedata", part);
                request.multipart(form).send().await
            }
            None => {
                body["message"] = json!({"text": text});
                request.json(&body).send().await
            }
        };
        let (status, text) = super::outbound::answer_of("Messenger", answer).await?;
        if !(200..300).contains(&status) {
            let e = super::whatsapp::GraphError::parse(status, &text);
            let what = e.describe("Messenger", "the message");
            return Err(if e.passing(PASSING_CODES) {
                SendError::Retry(what)
            } else {
                SendError::Permanent(what)
            });
        }
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Sent {
            status: DeliveryStatus::Sent,
            provider_message_id: v["message_id"].as_str().map(str::to_string),
        })
    })
}

/// Whether the page's token reads the page: what an admin's "Test" checks.
pub async fn check(client: &reqwest::Client, cfg: &MessengerConfig) -> Result<String, String> {
    let v = super::whatsapp::graph_get(
        client,
        "Messenger",
        &cfg.api_base,
        &cfg.page_id,
        "name",
        &cfg.page_access_token,
    )
    .await?;
    Ok(format!(
        "Messenger accepted the page access token for {}",
        v["name"].as_str().unwrap_or(&cfg.page_id)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn webhooks_give_messages_receipts_and_skip_echoes() {
        let body = json!({"object": "page", "entry": [{"id": "PAGE", "time": 1764601200000i64, "messaging": [
            {"sender": {"id": "PSID1"}, "recipient": {"id": "PAGE"}, "timestamp": 1764601200000i64, "message": {"mid": "m_1", "text": "Hi there"}},
            {"sender": {"id": "PSID1"}, "recipient": {"id": "PAGE"}, "timestamp": 1764601201000i64, "message": {"mid": "m_2", "attachments": [{"type": "image", "payload": {"url": "https://x"}}]}},
            {"sender": {"id": "PAGE"}, "recipient": {"id": "PSID1"}, "timestamp": 1764601202000i64, "message": {"mid": "m_3", "is_echo": true, "text": "ours"}},
            {"sender": {"id": "PSID1"}, "recipient": {"id": "PAGE"}, "delivery": {"mids": ["m_out_1"], "watermark": 1764601203000i64}},
            {"sender": {"id": "PSID1"}, "recipient": {"id": "PAGE"}, "read": {"watermark": 1764601204000i64}}
        ]}]});
        let ev = parse(&body);
        assert_eq!(ev.len(), 4, "{ev:?}");
        assert_eq!(
            ev[0],
            Event::Message {
                mid: "m_1".into(),
                psid: "PSID1".into(),
                sent_at: Some(datetime!(2025-12-01 15:00 UTC)),
                text: "Hi there".into(),
                files: vec![],
            }
        );
        assert!(
            matches!(&ev[1], Event::Message { text, files, .. } if text == "(image)" && files == &["https://x"])
        );
        assert_eq!(
            ev[2],
            Event::Delivered {
                mids: vec!["m_out_1".into()]
            }
        );
        assert_eq!(
            ev[3],
            Event::Read {
                psid: "PSID1".into(),
                watermark: datetime!(2025-12-01 15:00:04 UTC)
            }
        );
        assert!(parse(&json!({"object": "page", "entry": "nope"})).is_empty());
    }

    #[test]
    fn replies_are_responses_then_human_agent_then_refused() {
        let t = datetime!(2026-12-01 10:00 UTC);
        let h = time::Duration::hours;
        assert_eq!(
            messaging_type(Some(t), t + h(23)).unwrap()["messaging_type"],
            "RESPONSE"
        );
        let tagged = messaging_type(Some(t), t + h(30)).unwrap();
        assert_eq!(
            (tagged["messaging_type"].as_str(), tagged["tag"].as_str()),
            (Some("MESSAGE_TAG"), Some("HUMAN_AGENT"))
        );
        assert!(messaging_type(Some(t), t + h(7 * 24)).is_none());
        assert!(messaging_type(None, t).is_none());
    }
}
