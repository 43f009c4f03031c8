//! HTTP and WebSocket clients for the public API, written against `docs/http-api.md`.
//!
//! The demo's simulated customers and agents and the chat load benchmark use these, so
//! they go through exactly the code paths a browser does: the widget's endpoints for
//! customers, cookie login + CSRF + the staff WebSocket for agents.
//!
//! A complete client of those endpoints: the simulators use part of it, the integration
//! tests (`tests/chat_widget.rs`, which include this file) the rest.
#![allow(dead_code)]

use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use futures::StreamExt as _;
use reqwest::header::{self, HeaderMap, HeaderValue};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite};

/// How long one HTTP request may take before the client gives up.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// An id as the API gives it (a UUID string or a number), as a string.
pub fn id_str(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The API's error shape, folded into an `anyhow` error with status and code.
async fn check(resp: reqwest::Response, what: &str) -> anyhow::Result<reqwest::Response> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let body = resp.text().await.unwrap_or_default();
    let (code, message) = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| {
            let e = v.get("error")?;
            Some((
                e.get("code")?.as_str()?.to_string(),
                e.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            ))
        })
        .unwrap_or_else(|| ("http_error".into(), body.chars().take(200).collect()));
    Err(ApiError {
        status: status.as_u16(),
        code,
        message,
    })
    .with_context(|| what.to_string())
}

/// A refusal from the server: status, code and message from the error body.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// The status of an API refusal anywhere in an error's chain.
pub fn api_status(err: &anyhow::Error) -> Option<u16> {
    err.chain()
        .find_map(|e| e.downcast_ref::<ApiError>())
        .map(|e| e.status)
}

/// One event from either WebSocket: `{seq?, type, data}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    #[serde(default)]
    pub seq: Option<u64>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub data: Value,
}

/// A message as the API shows it (the fields the simulators read).
#[derive(Debug, Clone, Deserialize)]
pub struct Message {
    #[serde(default)]
    pub id: Value,
    #[serde(default)]
    pub contact_id: Value,
    #[serde(default)]
    pub seq: u64,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub author_name: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub attachment: Option<Value>,
    #[serde(default)]
    pub internal: bool,
    #[serde(default)]
    pub client_id: Option<String>,
}

impl Message {
    pub fn contact(&self) -> Option<String> {
        id_str(&self.contact_id)
    }
}

/// An open WebSocket that yields parsed events. Heartbeats are answered by the library;
/// text frames that are not events are skipped.
pub struct Events {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Events {
    async fn connect(
        url: &str,
        headers: &[(header::HeaderName, HeaderValue)],
    ) -> anyhow::Result<Self> {
        use tungstenite::client::IntoClientRequest as _;
        let mut req = url
            .into_client_request()
            .with_context(|| format!("bad WebSocket URL {url}"))?;
        for (k, v) in headers {
            req.headers_mut().insert(k.clone(), v.clone());
        }
        let (ws, _) = tokio::time::timeout(REQUEST_TIMEOUT, tokio_tungstenite::connect_async(req))
            .await
            .map_err(|_| anyhow!("WebSocket connect to {url} timed out"))?
            .with_context(|| format!("WebSocket connect to {}", redact(url)))?;
        Ok(Events { ws })
    }

    /// The next event; `None` when the server closed the socket.
    pub async fn next(&mut self) -> Option<anyhow::Result<Event>> {
        loop {
            let frame = match self.ws.next().await? {
                Ok(frame) => frame,
                Err(e) => return Some(Err(e.into())),
            };
            match frame {
                tungstenite::Message::Text(text) => match serde_json::from_str::<Event>(&text) {
                    Ok(ev) => return Some(Ok(ev)),
                    Err(_) => continue,
                },
                tungstenite::Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// Closes the socket politely.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }

    /// Drops the connection without a close frame, like a phone losing its network.
    pub fn drop_abruptly(self) {
        drop(self);
    }
}

fn redact(url: &str) -> String {
    match url.find("token=") {
        Some(i) => format!("{}token=…", &url[..i]),
        None => url.to_string(),
    }
}

fn ws_base(base: &str) -> String {
    if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_string()
    }
}

/// A shared HTTP client for many customers (each request carries its own bearer token).
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    server::http_client_builder()
        .timeout(REQUEST_TIMEOUT)
        .pool_max_idle_per_host(256)
        .tcp_nodelay(true)
        .build()
        .context("building the HTTP client")
}

/// The widget configuration of an organisation.
#[derive(Debug, Clone, Deserialize)]
pub struct WidgetConfig {
    pub org_name: String,
    pub topics: Vec<Topic>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Topic {
    pub id: Value,
    pub name: String,
}

pub async fn widget_config(
    http: &reqwest::Client,
    base: &str,
    org: &str,
) -> anyhow::Result<WidgetConfig> {
    let resp = http
        .get(format!("{base}/api/widget/{org}/config"))
        .send()
        .await
        .context("GET widget config")?;
    Ok(check(resp, "GET widget config").await?.json().await?)
}

/// What `GET /api/widget/chats/{id}` answers.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatState {
    pub status: String,
    #[serde(default)]
    pub position: Option<u32>,
    #[serde(default)]
    pub estimated_wait_s: Option<u64>,
    #[serde(default)]
    pub agent_name: Option<String>,
    #[serde(default)]
    pub messages: Vec<Message>,
}

/// One customer's chat, seen from the widget.
#[derive(Clone)]
pub struct CustomerChat {
    http: reqwest::Client,
    base: String,
    pub contact_id: String,
    token: String,
}

impl std::fmt::Debug for CustomerChat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerChat")
            .field("contact_id", &self.contact_id)
            .finish_non_exhaustive()
    }
}

impl CustomerChat {
    /// Opens a chat: `POST /api/widget/{org}/chats`.
    pub async fn open(
        http: &reqwest::Client,
        base: &str,
        org: &str,
        name: &str,
        email: Option<&str>,
        topic: &Value,
    ) -> anyhow::Result<Self> {
        let mut body = json!({"name": name, "topic": topic});
        if let Some(email) = email {
            body["email"] = json!(email);
        }
        let resp = http
            .post(format!("{base}/api/widget/{org}/chats"))
            .json(&body)
            .send()
            .await
            .context("POST widget chat")?;
        let v: Value = check(resp, "opening a chat").await?.json().await?;
        let contact_id = v
            .get("contact_id")
            .and_then(id_str)
            .context("no contact_id in answer")?;
        let token = v
            .get("token")
            .and_then(Value::as_str)
            .context("no token in answer")?
            .to_string();
        Ok(CustomerChat {
            http: http.clone(),
            base: base.to_string(),
            contact_id,
            token,
        })
    }

    fn url(&self, tail: &str) -> String {
        format!("{}/api/widget/chats/{}{tail}", self.base, self.contact_id)
    }

    pub async fn state(&self) -> anyhow::Result<ChatState> {
        let resp = self
            .http
            .get(self.url(""))
            .bearer_auth(&self.token)
            .send()
            .await?;
        Ok(check(resp, "GET chat").await?.json().await?)
    }

    pub async fn send(&self, client_id: &str, text: &str) -> anyhow::Result<Message> {
        let resp = self
            .http
            .post(self.url("/messages"))
            .bearer_auth(&self.token)
            .json(&json!({"client_id": client_id, "text": text}))
            .send()
            .await?;
        Ok(check(resp, "POST chat message").await?.json().await?)
    }

    pub async fn typing(&self, typing: bool) -> anyhow::Result<()> {
        let resp = self
            .http
            .post(self.url("/typing"))
            .bearer_auth(&self.token)
            .json(&json!({"typing": typing}))
            .send()
            .await?;
        check(resp, "POST typing").await?;
        Ok(())
    }

    pub async fn read(&self, up_to_seq: u64) -> anyhow::Result<()> {
        let resp = self
            .http
            .post(self.url("/read"))
            .bearer_auth(&self.token)
            .json(&json!({"up_to_seq": up_to_seq}))
            .send()
            .await?;
        check(resp, "POST read").await?;
        Ok(())
    }

    pub async fn attach(
        &self,
        name: &str,
        bytes: Vec<u8>,
        claimed_type: &str,
    ) -> anyhow::Result<Message> {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_string())
            .mime_str(claimed_type)?;
        let form = reqwest::multipart::Form::new().part("file", part);
        let resp = self
            .http
            .post(self.url("/attachments"))
            .bearer_auth(&self.token)
            .multipart(form)
            .send()
            .await?;
        Ok(check(resp, "POST attachment").await?.json().await?)
    }

    /// `GET` a file the chat may see (an attachment `url`): content type and bytes.
    pub async fn get_bytes(&self, path: &str) -> anyhow::Result<(String, Vec<u8>)> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        let resp = check(resp, path).await?;
        let ct = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        Ok((ct, resp.bytes().await?.to_vec()))
    }

    /// The bearer secret (tests use it to try it where it does not belong).
    pub fn token(&self) -> &str {
        &self.token
    }

    pub async fn end(&self) -> anyhow::Result<()> {
        let resp = self
            .http
            .post(self.url("/end"))
            .bearer_auth(&self.token)
            .send()
            .await?;
        check(resp, "POST end").await?;
        Ok(())
    }

    pub async fn csat(&self, rating: u8, comment: Option<&str>) -> anyhow::Result<()> {
        let resp = self
            .http
            .post(self.url("/csat"))
            .bearer_auth(&self.token)
            .json(&json!({"rating": rating, "comment": comment}))
            .send()
            .await?;
        check(resp, "POST csat").await?;
        Ok(())
    }

    /// The customer's WebSocket, resuming after `after_seq`.
    pub async fn connect(&self, after_seq: u64) -> anyhow::Result<Events> {
        let url = format!(
            "{}/api/widget/chats/{}/ws?token={}&after_seq={after_seq}",
            ws_base(&self.base),
            self.contact_id,
            self.token
        );
        Events::connect(&url, &[]).await
    }
}

/// A logged-in staff member (an agent, for the simulators).
#[derive(Clone)]
pub struct StaffSession {
    http: reqwest::Client,
    base: String,
    cookie: HeaderValue,
    pub user_id: String,
    pub name: String,
}

impl std::fmt::Debug for StaffSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffSession")
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl StaffSession {
    /// `POST /api/auth/login`; keeps the session cookie and the CSRF token for every
    /// later request, as the browser does.
    pub async fn login(base: &str, org: &str, email: &str, password: &str) -> anyhow::Result<Self> {
        let plain = http_client()?;
        let resp = plain
            .post(format!("{base}/api/auth/login"))
            .header(header::ORIGIN, base)
            .json(&json!({"org": org, "email": email, "password": password}))
            .send()
            .await
            .context("POST login")?;
        let resp = check(resp, &format!("logging in as {email}")).await?;
        // Keep the cookies by hand: a `Secure` session cookie must still work on loopback.
        let cookie = resp
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("; ");
        let v: Value = resp.json().await?;
        let csrf = v
            .get("csrf_token")
            .and_then(Value::as_str)
            .context("no csrf_token in the login answer")?;
        let user = v.get("user").context("no user in the login answer")?;
        let user_id = user.get("id").and_then(id_str).context("no user id")?;
        let name = user
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(email)
            .to_string();
        let cookie = HeaderValue::from_str(&cookie).context("odd session cookie")?;
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, cookie.clone());
        headers.insert("x-csrf-token", HeaderValue::from_str(csrf)?);
        headers.insert(header::ORIGIN, HeaderValue::from_str(base)?);
        let http = server::http_client_builder()
            .timeout(REQUEST_TIMEOUT)
            .default_headers(headers)
            .tcp_nodelay(true)
            .build()?;
        Ok(StaffSession {
            http,
            base: base.to_string(),
            cookie,
            user_id,
            name,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn set_state(&self, state: &str, reason: Option<&str>) -> anyhow::Result<()> {
        let resp = self
            .http
            .put(self.url("/api/agent/state"))
            .json(&json!({"state": state, "reason": reason}))
            .send()
            .await?;
        check(resp, "PUT agent state").await?;
        Ok(())
    }

    pub async fn accept(&self, offer_id: &str) -> anyhow::Result<Value> {
        let resp = self
            .http
            .post(self.url(&format!("/api/offers/{offer_id}/accept")))
            .send()
            .await?;
        Ok(check(resp, "accepting an offer")
            .await?
            .json()
            .await
            .unwrap_or(Value::Null))
    }

    /// Raise a hand about a contact; answers the request's id.
    pub async fn raise_hand(&self, contact_id: &str, text: &str) -> anyhow::Result<String> {
        let resp = self
            .http
            .post(self.url("/api/help"))
            .json(&json!({"contact_id": contact_id, "text": text}))
            .send()
            .await?;
        let v: Value = check(resp, "raising a hand").await?.json().await?;
        v.get("id")
            .and_then(id_str)
            .ok_or_else(|| anyhow::anyhow!("a help request without an id"))
    }

    /// Close a raised hand (help given, or no longer needed).
    pub async fn lower_hand(&self, id: &str) -> anyhow::Result<()> {
        let resp = self
            .http
            .post(self.url(&format!("/api/help/{id}/close")))
            .send()
            .await?;
        check(resp, "closing a help request").await?;
        Ok(())
    }

    pub async fn reject(&self, offer_id: &str) -> anyhow::Result<()> {
        let resp = self
            .http
            .post(self.url(&format!("/api/offers/{offer_id}/reject")))
            .send()
            .await?;
        check(resp, "rejecting an offer").await?;
        Ok(())
    }

    pub async fn send(
        &self,
        contact_id: &str,
        client_id: &str,
        text: &str,
    ) -> anyhow::Result<Message> {
        let resp = self
            .http
            .post(self.url(&format!("/api/contacts/{contact_id}/messages")))
            .json(&json!({"client_id": client_id, "text": text}))
            .send()
            .await?;
        Ok(check(resp, "POST agent message").await?.json().await?)
    }

    /// An internal note (staff only, never shown to the customer).
    pub async fn note(
        &self,
        contact_id: &str,
        client_id: &str,
        text: &str,
    ) -> anyhow::Result<Message> {
        let resp = self
            .http
            .post(self.url(&format!("/api/contacts/{contact_id}/messages")))
            .json(&json!({"client_id": client_id, "text": text, "internal": true}))
            .send()
            .await?;
        Ok(check(resp, "POST internal note").await?.json().await?)
    }

    /// `GET` a file (an attachment): content type and bytes.
    pub async fn get_bytes(&self, path: &str) -> anyhow::Result<(String, Vec<u8>)> {
        let resp = check(self.http.get(self.url(path)).send().await?, path).await?;
        let ct = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        Ok((ct, resp.bytes().await?.to_vec()))
    }

    pub async fn messages(&self, contact_id: &str, after_seq: u64) -> anyhow::Result<Vec<Message>> {
        #[derive(Deserialize)]
        struct Items {
            items: Vec<Message>,
        }
        let resp = self
            .http
            .get(self.url(&format!(
                "/api/contacts/{contact_id}/messages?after_seq={after_seq}"
            )))
            .send()
            .await?;
        Ok(check(resp, "GET messages")
            .await?
            .json::<Items>()
            .await?
            .items)
    }

    pub async fn end(&self, contact_id: &str) -> anyhow::Result<()> {
        let resp = self
            .http
            .post(self.url(&format!("/api/contacts/{contact_id}/end")))
            .send()
            .await?;
        check(resp, "ending a contact").await?;
        Ok(())
    }

    pub async fn wrapup(
        &self,
        contact_id: &str,
        code: &str,
        notes: Option<&str>,
    ) -> anyhow::Result<()> {
        let resp = self
            .http
            .post(self.url(&format!("/api/contacts/{contact_id}/wrapup")))
            .json(&json!({"code": code, "notes": notes}))
            .send()
            .await?;
        check(resp, "wrapping up").await?;
        Ok(())
    }

    /// `GET` any JSON endpoint.
    pub async fn get_json(&self, path: &str) -> anyhow::Result<Value> {
        let resp = self.http.get(self.url(path)).send().await?;
        Ok(check(resp, path).await?.json().await?)
    }

    /// `GET` any list endpoint (`/api/queues`, `/api/wrapup-codes`…): its items.
    pub async fn list(&self, path: &str) -> anyhow::Result<Vec<Value>> {
        let resp = self.http.get(self.url(path)).send().await?;
        let v: Value = check(resp, path).await?.json().await?;
        match v.get("items") {
            Some(Value::Array(items)) => Ok(items.clone()),
            _ => bail!("{path}: no items in answer"),
        }
    }

    /// The staff WebSocket, resuming after `after_seq`.
    pub async fn connect(&self, after_seq: u64) -> anyhow::Result<Events> {
        let url = format!("{}/api/ws?after_seq={after_seq}", ws_base(&self.base));
        let origin = HeaderValue::from_str(&self.base)?;
        Events::connect(
            &url,
            &[
                (header::COOKIE, self.cookie.clone()),
                (header::ORIGIN, origin),
            ],
        )
        .await
    }
}

/// The offer id and contact id an `offer` event carries, whatever its exact layout.
pub fn offer_ids(data: &Value) -> Option<(String, String)> {
    let offer = data.get("offer").unwrap_or(data);
    let offer_id = offer
        .get("offer_id")
        .or_else(|| offer.get("id"))
        .and_then(id_str)?;
    let contact_id = offer.get("contact_id").and_then(id_str).or_else(|| {
        data.get("contact")
            .and_then(|c| c.get("id"))
            .and_then(id_str)
    })?;
    Some((offer_id, contact_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_ids_in_the_layouts_we_accept() {
        let flat = json!({"id": "o1", "contact_id": "c1", "queue_id": "q"});
        assert_eq!(offer_ids(&flat), Some(("o1".into(), "c1".into())));
        let nested = json!({"offer": {"id": 7, "contact_id": 9}});
        assert_eq!(offer_ids(&nested), Some(("7".into(), "9".into())));
        let with_contact = json!({"offer_id": "o2", "contact": {"id": "c2"}});
        assert_eq!(offer_ids(&with_contact), Some(("o2".into(), "c2".into())));
        assert_eq!(offer_ids(&json!({"id": "o3"})), None);
    }

    #[test]
    fn ws_urls_and_redaction() {
        assert_eq!(ws_base("http://127.0.0.1:8080"), "ws://127.0.0.1:8080");
        assert_eq!(ws_base("https://cc.example"), "wss://cc.example");
        assert_eq!(
            redact("ws://h/api/widget/chats/1/ws?token=hsc_x&after_seq=0"),
            "ws://h/api/widget/chats/1/ws?token=…"
        );
    }

    #[test]
    fn events_parse_with_and_without_seq() {
        let e: Event = serde_json::from_str(r#"{"seq":3,"type":"message","data":{"seq":3,"from":"agent","text":"hi","contact_id":"c"}}"#).unwrap();
        assert_eq!(e.seq, Some(3));
        let m: Message = serde_json::from_value(e.data).unwrap();
        assert_eq!(m.from, "agent");
        assert_eq!(m.contact().as_deref(), Some("c"));
        let e: Event = serde_json::from_str(r#"{"type":"heartbeat"}"#).unwrap();
        assert_eq!(e.kind, "heartbeat");
        assert_eq!(e.seq, None);
    }
}
