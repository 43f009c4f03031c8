//! SMS over Twilio's wire format: the inbound webhook, outbound sends through the
//! Messages API with status callbacks, and STOP/START/HELP opt-outs.
//!
//! - Inbound (`POST /api/webhooks/twilio/{org}/sms`, form-encoded `MessageSid`, `From`,
//!   `To`, `Body`, …) is checked against `X-Twilio-Signature` before anything is read
//!   from it: Base64 of HMAC-SHA1 with the account's auth token over the URL Twilio
//!   called (the configured public base URL and the path) followed by every POST
//!   parameter's name and value, sorted by name ([`signature`]). Then it goes through
//!   the one receive path, de-duplicated by `MessageSid`, and is answered with empty
//!   TwiML once durable.
//! - An MMS's pictures are fetched from Twilio and stored like a chat's attachments,
//!   judged by their bytes ([`fetch_media`]).
//! - Outbound: a `POST …/Accounts/{sid}/Messages.json` with `To`, `From`, `Body` and a
//!   `StatusCallback` back to us (an agent's file as `MediaUrl`, a signed link Twilio
//!   fetches it from: an MMS); Twilio's message SID is the provider id its callbacks
//!   (`queued`, `sending`, `sent`, `delivered`, `undelivered`, `failed`) name
//!   ([`status_of`]).
//! - Opt-outs: a customer who texts STOP (or STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT) is
//!   not texted again until they text START (or YES, UNSTOP); replies to them fail with
//!   that reason instead of being sent ([`keyword`]).
//!
//! The rules (signature, keywords, statuses, error classes) are pure functions here; the
//! I/O is the transport and the webhook handlers.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures::future::BoxFuture;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha1::Sha1;
use store::{Change, Channel, Delivery, DeliveryStatus, ObjectKind, Store as _};

use super::outbound::{Outbound, SendError, Sent};
use crate::events::{Actor, LiveEvent};
use crate::{ApiError, ApiResult, AppState};

/// An organisation's Twilio account for SMS, as admins configure it.
#[derive(Debug, Clone, PartialEq)]
pub struct TwilioConfig {
    pub account_sid: String,
    pub auth_token: String,
    /// The number (or messaging service's sender) replies come from, E.164.
    pub from: String,
    /// Where a new SMS contact waits.
    pub queue_id: uuid::Uuid,
    /// Twilio's API (`https://api.twilio.com`; a stand-in's address in tests).
    pub api_base: String,
    /// This server's address as Twilio calls it (`https://cc.example.com`): signatures
    /// cover the full URL, and status callbacks go there.
    pub public_base_url: String,
}

/// The account's resource in Twilio's API, and what follows it (`/Messages.json`).
fn account_url(cfg: &TwilioConfig, rest: &str) -> String {
    format!(
        "{}/2010-04-01/Accounts/{}{rest}",
        cfg.api_base.trim_end_matches('/'),
        cfg.account_sid
    )
}

/// `X-Twilio-Signature` of a POST to `url` with `params`.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let mut mac =
        <Hmac<Sha1> as KeyInit>::new_from_slice(auth_token.as_bytes()).expect("any key length");
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `given` is the signature of this request (compared in constant time).
pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], given: &str) -> bool {
    let want = signature(auth_token, url, params);
    crate::auth::constant_time_eq(want.as_bytes(), given.trim().as_bytes())
}

/// A carrier keyword in an inbound text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    Stop,
    Start,
    Help,
}

/// The opt-out keyword a whole message is, if it is one (case and spaces ignored).
pub fn keyword(body: &str) -> Option<Keyword> {
    let word = body
        .trim()
        .trim_end_matches(['.', '!'])
        .to_ascii_uppercase();
    match word.as_str() {
        "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" => Some(Keyword::Stop),
        "START" | "YES" | "UNSTOP" => Some(Keyword::Start),
        "HELP" | "INFO" => Some(Keyword::Help),
        _ => None,
    }
}

/// What a status callback's `MessageStatus` means for the delivery (`None`: nothing
/// new, such as `queued` or `accepted`).
pub fn status_of(message_status: &str) -> Option<DeliveryStatus> {
    match message_status {
        "sending" | "sent" => Some(DeliveryStatus::Sent),
        "delivered" => Some(DeliveryStatus::Delivered),
        "read" => Some(DeliveryStatus::Read),
        "undelivered" | "failed" => Some(DeliveryStatus::Failed),
        _ => None,
    }
}

/// How an answer of the Messages API is taken: retried (rate limits, Twilio's own
/// errors) or final (a bad number, an unsubscribed recipient, bad credentials).
pub fn classify(status: u16, body: &str) -> SendError {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let code = v.get("code").and_then(Value::as_i64);
    let message = v
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or(body)
        .chars()
        .take(200)
        .collect::<String>();
    let what = match code {
        Some(c) => format!("Twilio refused the message ({c}): {message}"),
        None => format!("Twilio answered {status}: {message}"),
    };
    if status == 429 || status >= 500 {
        SendError::Retry(what)
    } else {
        SendError::Permanent(what)
    }
}

/// The form of one outbound message.
pub fn message_form(
    cfg: &TwilioConfig,
    to: &str,
    body: &str,
    org_slug: &str,
    message_id: uuid::Uuid,
) -> Vec<(String, String)> {
    vec![
        ("To".into(), to.into()),
        ("From".into(), cfg.from.clone()),
        ("Body".into(), body.into()),
        (
            "StatusCallback".into(),
            format!(
                "{}/api/webhooks/twilio/{org_slug}/status?m={message_id}",
                cfg.public_base_url.trim_end_matches('/')
            ),
        ),
    ]
}

/// Sends one message through the Messages API.
pub fn send<'a>(
    client: &'a reqwest::Client,
    state: &'a AppState,
    cfg: &'a TwilioConfig,
    d: &'a Delivery,
) -> BoxFuture<'a, Result<Sent, SendError>> {
    Box::pin(async move {
        let out = Outbound::for_send(state, d).await?;
        let to = out.address("phone", "the customer has no phone number to text")?;
        if opted_out(state, d.org_id, &to)
            .await
            .map_err(|e| SendError::Retry(format!("reading opt-outs: {e}")))?
        {
            return Err(SendError::Permanent(
                "the customer texted STOP: they get no texts until they text START".into(),
            ));
        }
        let slug = state
            .store()
            .get_org(d.org_id)
            .await
            .ok()
            .flatten()
            .map(|o| o.slug)
            .unwrap_or_default();
        let text = out.message.text.clone().unwrap_or_default();
        let mut form = message_form(cfg, &to, &text, &slug, d.message_id);
        // A file goes as an MMS: Twilio fetches it from a signed link.
        if let Some(file) = out.attachment_id() {
            let link =
                super::outbound::media_link(state, d.org_id, file, &cfg.public_base_url).await?;
            form.push(("MediaUrl".into(), link));
        }
        let url = account_url(cfg, "/Messages.json");
        let answer = client
            .post(&url)
            .basic_auth(&cfg.account_sid, Some(&cfg.auth_token))
            .form(&form)
            .send()
            .await;
        let (status, body) = super::outbound::answer_of("Twilio", answer).await?;
        if !(200..300).contains(&status) {
            return Err(classify(status, &body));
        }
        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let sid = v.get("sid").and_then(Value::as_str).map(str::to_string);
        let delivered = v.get("status").and_then(Value::as_str).and_then(status_of);
        Ok(Sent {
            status: match delivered {
                Some(DeliveryStatus::Delivered) => DeliveryStatus::Delivered,
                _ => DeliveryStatus::Sent,
            },
            provider_message_id: sid,
        })
    })
}

/// One picture of an MMS, fetched from Twilio (with the account's credentials, as
/// Twilio's media URLs may require).
pub async fn fetch_media(
    cfg: &TwilioConfig,
    url: &str,
) -> Result<(crate::chat::upload::FileKind, Vec<u8>), String> {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    let client = CLIENT.get_or_init(|| crate::http_client_builder().build().unwrap_or_default());
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err("not a web address".into());
    }
    super::fetch_file(
        client
            .get(url)
            .basic_auth(&cfg.account_sid, Some(&cfg.auth_token)),
    )
    .await
}

/// The value of one form parameter of a webhook.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A customer's text as Twilio posted it (its signature already checked): STOP and
/// START change whether the number may be texted; the text joins the customer's
/// conversation through the one receive path; an MMS's pictures follow it, one message
/// each (at most three, each once however often Twilio retries).
pub async fn receive_text(
    state: &AppState,
    org: uuid::Uuid,
    cfg: &TwilioConfig,
    params: &[(String, String)],
) -> ApiResult<()> {
    let (Some(sid), Some(from)) = (param(params, "MessageSid"), param(params, "From")) else {
        return Err(ApiError::invalid("MessageSid and From are required"));
    };
    let media = param(params, "NumMedia")
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(0);
    let text = match param(params, "Body").unwrap_or("") {
        t if t.trim().is_empty() && media > 0 => "(a picture message)".to_string(),
        t => t.to_string(),
    };
    match keyword(&text) {
        Some(Keyword::Stop) => opt_out(state, org, from, sid).await?,
        Some(Keyword::Start) => opt_in(state, org, from).await?,
        Some(Keyword::Help) | None => {}
    }
    let mut attributes = std::collections::BTreeMap::new();
    if let Some(to) = param(params, "To") {
        attributes.insert("to".to_string(), to.to_string());
    }
    let received = super::receive(
        state,
        org,
        super::Inbound {
            channel: Channel::Sms,
            identity: ("phone".into(), from.to_string()),
            name: None,
            provider_message_id: sid.to_string(),
            sent_at: None,
            text: Some(text),
            attachment: None,
            queue_id: cfg.queue_id,
            attributes,
            thread: super::Threading::Open,
            topic: None,
        },
    )
    .await?;
    for k in 0..media.min(3) {
        let Some(url) = param(params, &format!("MediaUrl{k}")) else {
            continue;
        };
        let cid = format!("sms:{sid}:media{k}");
        if state
            .message_by_client_id(org, received.contact.id, &cid)
            .await?
            .is_some()
        {
            continue;
        }
        let fetched = fetch_media(cfg, url).await;
        super::keep_file(
            state,
            org,
            &received,
            cid,
            &format!("picture-{}", k + 1),
            fetched,
        )
        .await?;
    }
    Ok(())
}

async fn opt_out(state: &AppState, org: uuid::Uuid, phone: &str, sid: &str) -> ApiResult<()> {
    if opted_out(state, org, phone).await? {
        return Ok(());
    }
    let now = state.now();
    let o = store::Object {
        id: store::new_id(),
        org_id: org,
        kind: ObjectKind::SmsOptOut,
        name: state.org_keys(org).await?.blind(OPT_OUT, phone),
        data: serde_json::json!({"message_sid": sid}),
        created_at: now,
        updated_at: now,
    };
    let ev = LiveEvent::SmsOptedOut {
        phone: crate::events::phone_tail(phone),
    }
    .change(org, now, Actor::Customer);
    match state.write(vec![Change::PutObject(o), ev], vec![]).await {
        // A retry of the same STOP racing the first: it is recorded once.
        Err(e) if e.code != "conflict" => Err(e),
        _ => Ok(()),
    }
}

async fn opt_in(state: &AppState, org: uuid::Uuid, phone: &str) -> ApiResult<()> {
    let Some(o) = opt_out_row(state, org, phone).await? else {
        return Ok(());
    };
    let now = state.now();
    state
        .write(
            vec![
                Change::DeleteObject {
                    org_id: org,
                    kind: ObjectKind::SmsOptOut,
                    id: o.id,
                },
                LiveEvent::SmsOptedIn {
                    phone: crate::events::phone_tail(phone),
                }
                .change(org, now, Actor::Customer),
            ],
            vec![],
        )
        .await?;
    Ok(())
}

/// Whether `phone` has opted out of texts in this organisation.
pub async fn opted_out(
    state: &AppState,
    org: uuid::Uuid,
    phone: &str,
) -> Result<bool, store::StoreError> {
    Ok(opt_out_row(state, org, phone).await?.is_some())
}

/// What an opt-out's name is a blind index of (see [`crate::keys`]): the number itself
/// is never stored.
const OPT_OUT: &str = "sms_opt_out";

/// The opt-out of `phone`: named by its blind index, or (recorded before numbers were
/// hidden) by the number.
async fn opt_out_row(
    state: &AppState,
    org: uuid::Uuid,
    phone: &str,
) -> Result<Option<store::Object>, store::StoreError> {
    let blind = state.org_keys(org).await?.blind(OPT_OUT, phone);
    let st = state.store();
    match st
        .get_object_by_name(org, ObjectKind::SmsOptOut, &blind)
        .await?
    {
        Some(o) => Ok(Some(o)),
        None => {
            st.get_object_by_name(org, ObjectKind::SmsOptOut, phone)
                .await
        }
    }
}

/// Whether the account SID and auth token open the account (`GET
/// /2010-04-01/Accounts/{sid}.json`): what an admin's "Test" checks. Sends nothing.
pub async fn check(client: &reqwest::Client, cfg: &TwilioConfig) -> Result<String, String> {
    let url = account_url(cfg, ".json");
    let answer = client
        .get(&url)
        .basic_auth(&cfg.account_sid, Some(&cfg.auth_token))
        .send()
        .await;
    let (status, body) = super::outbound::answer_of("Twilio", answer)
        .await
        .map_err(SendError::into_message)?;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    match status {
        200..=299 => Ok(format!(
            "Twilio accepted the account SID and auth token ({}, {})",
            v["friendly_name"].as_str().unwrap_or(&cfg.account_sid),
            v["status"].as_str().unwrap_or("status unknown")
        )),
        401 | 403 | 404 => Err(format!(
            "Twilio refused the account SID and auth token ({status}): check both in the Twilio Console"
        )),
        _ => Err(format!(
            "Twilio answered {status}: {}",
            v["message"]
                .as_str()
                .unwrap_or(&body)
                .chars()
                .take(200)
                .collect::<String>()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn the_signature_is_twilios() {
        // Twilio's documented example (auth token 12345, this URL and these params)
        // signs to this value.
        let params = vec![
            p("CallSid", "CA1234567890ABCDE"),
            p("Caller", "+14158675310"),
            p("Digits", "1234"),
            p("From", "+14158675310"),
            p("To", "+18005551212"),
        ];
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(
            signature("12345", url, &params),
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        );
        assert!(verify(
            "12345",
            url,
            &params,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        // Order of the form does not matter; any change to a value or the URL does.
        let mut shuffled = params.clone();
        shuffled.reverse();
        assert!(verify(
            "12345",
            url,
            &shuffled,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        let mut changed = params.clone();
        changed[2].1 = "9999".into();
        assert!(!verify(
            "12345",
            url,
            &changed,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        assert!(!verify(
            "12345",
            "https://mycompany.com/other",
            &params,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        assert!(!verify(
            "54321",
            url,
            &params,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        assert!(!verify("12345", url, &params, ""));
    }

    #[test]
    fn keywords_are_whole_messages() {
        assert_eq!(keyword("STOP"), Some(Keyword::Stop));
        assert_eq!(keyword(" stop. "), Some(Keyword::Stop));
        assert_eq!(keyword("Unsubscribe"), Some(Keyword::Stop));
        assert_eq!(keyword("start"), Some(Keyword::Start));
        assert_eq!(keyword("HELP"), Some(Keyword::Help));
        assert_eq!(keyword("please stop sending the wrong size"), None);
        assert_eq!(keyword(""), None);
    }

    #[test]
    fn callbacks_move_deliveries_and_errors_are_classed() {
        assert_eq!(status_of("queued"), None);
        assert_eq!(status_of("sent"), Some(DeliveryStatus::Sent));
        assert_eq!(status_of("delivered"), Some(DeliveryStatus::Delivered));
        assert_eq!(status_of("undelivered"), Some(DeliveryStatus::Failed));
        assert!(matches!(
            classify(400, r#"{"code": 21610, "message": "Attempt to send to unsubscribed recipient"}"#),
            SendError::Permanent(m) if m.contains("21610")
        ));
        assert!(matches!(classify(429, "{}"), SendError::Retry(_)));
        assert!(matches!(classify(503, "busy"), SendError::Retry(m) if m.contains("503")));
    }
}
