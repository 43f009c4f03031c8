//! The demo's phone carrier and mail provider: stands in for Twilio's Messages API,
//! WhatsApp's Cloud API, Messenger's Send API and an SMTP relay on loopback, speaking their wire formats and
//! signing as they do, so simulated customers can text, message and mail the demo center
//! and agents' replies reach them (with delivery receipts where the channel has them).
//! Customers' mails come in through the center's raw-mail ingress, as from an MTA. The center is configured exactly as it would be for the real
//! providers; only the providers' addresses point here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;

/// The demo's Twilio account and WhatsApp app (stand-in credentials).
pub const TWILIO_SID: &str = "ACdemo00000000000000000000000000000";
pub const TWILIO_TOKEN: &str = "demo-twilio-auth-token-000000";
pub const SMS_NUMBER: &str = "+15550100000";
pub const WHATSAPP_PHONE_ID: &str = "100000000000001";
pub const WHATSAPP_TOKEN: &str = "demo-whatsapp-access-token-000000";
pub const META_SECRET: &str = "demo-meta-app-secret-000000";
pub const META_VERIFY: &str = "demo-verify-token";
pub const MESSENGER_PAGE_ID: &str = "100000000000002";
pub const MESSENGER_TOKEN: &str = "demo-messenger-page-token-000000";
pub const EMAIL_ADDRESS: &str = "support@demo-retail.example";
pub const EMAIL_SECRET: &str = "demo-email-ingress-secret-000000";

/// The stand-in and what it knows of the center.
pub struct Carrier {
    /// Where the stand-in listens (`http://127.0.0.1:PORT`).
    pub base: String,
    /// Where its SMTP relay listens (on 127.0.0.1).
    smtp_port: u16,
    /// The demo center (`http://127.0.0.1:8080`) and its organisation.
    center: String,
    org: String,
    http: reqwest::Client,
    /// Each simulated customer's phone (E.164) → their inbox of replies.
    inboxes: Mutex<HashMap<String, mpsc::UnboundedSender<String>>>,
    sent: Mutex<u64>,
}

impl std::fmt::Debug for Carrier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Carrier")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Carrier {
    /// Starts the stand-in on a free loopback port.
    pub async fn start(center: &str, org: &str) -> anyhow::Result<Arc<Carrier>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let smtp = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let carrier = Arc::new(Carrier {
            base,
            smtp_port: smtp.local_addr()?.port(),
            center: center.trim_end_matches('/').to_string(),
            org: org.to_string(),
            http: super::client::http_client()?,
            inboxes: Mutex::new(HashMap::new()),
            sent: Mutex::new(0),
        });
        let (c1, c2, c4) = (carrier.clone(), carrier.clone(), carrier.clone());
        let app = axum::Router::new()
            .route(
                "/2010-04-01/Accounts/{sid}/Messages.json",
                axum::routing::post(move |body: axum::body::Bytes| {
                    let c = c1.clone();
                    async move { c.twilio_send(&body) }
                }),
            )
            .route(
                "/{phone_id}/messages",
                axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
                    let c = c2.clone();
                    async move { c.whatsapp_send(&body) }
                }),
            )
            .route(
                "/me/messages",
                axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
                    let c = c4.clone();
                    async move { c.messenger_send(&body) }
                }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await });
        let c3 = carrier.clone();
        tokio::spawn(async move {
            while let Ok((conn, _)) = smtp.accept().await {
                let c = c3.clone();
                tokio::spawn(async move {
                    if let Err(e) = c.relay(conn).await {
                        tracing::warn!("demo mail relay: {e}");
                    }
                });
            }
        });
        Ok(carrier)
    }

    /// The SMTP relay: each mail the center sends reaches its recipient's inbox (the raw
    /// mail: the customer answers it by its Message-ID).
    async fn relay(&self, conn: tokio::net::TcpStream) -> std::io::Result<()> {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
        let (r, mut w) = conn.into_split();
        let mut r = tokio::io::BufReader::new(r);
        w.write_all(b"220 demo-relay ESMTP\r\n").await?;
        let (mut line, mut data, mut in_data) = (String::new(), String::new(), false);
        loop {
            line.clear();
            if r.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            if in_data {
                if line == ".\r\n" {
                    in_data = false;
                    if let Ok(m) = server::channels::email::parse(data.as_bytes()) {
                        for to in &m.recipients {
                            self.deliver(to, data.clone());
                        }
                    }
                    data.clear();
                    w.write_all(b"250 queued\r\n").await?;
                } else {
                    data.push_str(
                        line.strip_prefix('.')
                            .filter(|_| line.starts_with(".."))
                            .unwrap_or(&line),
                    );
                }
                continue;
            }
            let reply: &[u8] = match line.get(..4).map(str::to_ascii_uppercase).as_deref() {
                Some("EHLO") => b"250-demo-relay\r\n250 8BITMIME\r\n",
                Some("DATA") => {
                    in_data = true;
                    b"354 end with .\r\n"
                }
                Some("QUIT") => {
                    w.write_all(b"221 bye\r\n").await?;
                    return Ok(());
                }
                _ => b"250 OK\r\n",
            };
            w.write_all(reply).await?;
        }
    }

    fn next_id(&self) -> u64 {
        let mut n = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        *n += 1;
        *n
    }

    /// A simulated customer's inbox: the replies sent to `phone`.
    pub fn inbox(&self, phone: &str) -> mpsc::UnboundedReceiver<String> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.inboxes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(phone.to_string(), tx);
        rx
    }

    pub fn hang_up(&self, phone: &str) {
        self.inboxes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(phone);
    }

    fn deliver(&self, phone: &str, text: String) {
        if let Some(tx) = self
            .inboxes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(phone)
        {
            let _ = tx.send(text);
        }
    }

    /// Twilio's Messages API: takes the text, reports it delivered a moment later.
    fn twilio_send(self: &Arc<Self>, body: &[u8]) -> (axum::http::StatusCode, axum::Json<Value>) {
        let form: HashMap<String, String> =
            url::form_urlencoded::parse(body).into_owned().collect();
        let sid = format!("SMdemo{:026}", self.next_id());
        let to = form.get("To").cloned().unwrap_or_default();
        let text = form.get("Body").cloned().unwrap_or_default();
        let callback = form.get("StatusCallback").cloned();
        let (c, sid2) = (self.clone(), sid.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            c.deliver(&to, text);
            if let Some(url) = callback {
                let params = vec![
                    ("AccountSid".to_string(), TWILIO_SID.to_string()),
                    ("MessageSid".to_string(), sid2),
                    ("MessageStatus".to_string(), "delivered".to_string()),
                ];
                c.post_twilio(&url, &params).await;
            }
        });
        (
            axum::http::StatusCode::CREATED,
            axum::Json(json!({"sid": sid, "status": "queued"})),
        )
    }

    /// WhatsApp's `/{phone-number-id}/messages`: takes the text (or template), reports it
    /// delivered and then read.
    fn whatsapp_send(self: &Arc<Self>, body: &Value) -> axum::Json<Value> {
        let wamid = format!("wamid.demo{}", self.next_id());
        let to = format!("+{}", body["to"].as_str().unwrap_or(""));
        // A template arrives as its name and parameters (WhatsApp fills in its own copy).
        let text = match body["text"]["body"].as_str() {
            Some(t) => t.to_string(),
            None => {
                let params: Vec<&str> = body["template"]["components"][0]["parameters"]
                    .as_array()
                    .map(|ps| ps.iter().filter_map(|p| p["text"].as_str()).collect())
                    .unwrap_or_default();
                format!(
                    "[{}] {}",
                    body["template"]["name"].as_str().unwrap_or("template"),
                    params.join(", ")
                )
            }
        };
        let ours = body["biz_opaque_callback_data"].clone();
        let (c, id) = (self.clone(), wamid.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            c.deliver(&to, text);
            for (status, wait) in [("delivered", 0), ("read", 3000)] {
                tokio::time::sleep(Duration::from_millis(wait)).await;
                let hook = json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
                    "messaging_product": "whatsapp", "metadata": {"phone_number_id": WHATSAPP_PHONE_ID},
                    "statuses": [{"id": id, "status": status, "recipient_id": to.trim_start_matches('+'), "biz_opaque_callback_data": ours}]}}]}]});
                c.post_whatsapp(&hook).await;
            }
        });
        axum::Json(json!({"messaging_product": "whatsapp", "messages": [{"id": wamid}]}))
    }

    async fn post_twilio(&self, url: &str, params: &[(String, String)]) {
        let signature = server::channels::twilio::signature(TWILIO_TOKEN, url, params);
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params.iter())
            .finish();
        if let Err(e) = self
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", signature)
            .body(body)
            .send()
            .await
        {
            tracing::warn!("demo carrier: {e}");
        }
    }

    /// Messenger's Send API: takes the text, reports it delivered and then read.
    fn messenger_send(self: &Arc<Self>, body: &Value) -> axum::Json<Value> {
        let mid = format!("m_demo{}", self.next_id());
        let psid = body["recipient"]["id"].as_str().unwrap_or("").to_string();
        let text = body["message"]["text"].as_str().unwrap_or("").to_string();
        let (c, id) = (self.clone(), mid.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            c.deliver(&psid, text);
            let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
            for (what, wait) in [("delivery", 0), ("read", 3000)] {
                tokio::time::sleep(Duration::from_millis(wait)).await;
                let receipt = if what == "delivery" {
                    json!({"mids": [id], "watermark": now})
                } else {
                    json!({"watermark": now + 3000})
                };
                let hook = json!({"object": "page", "entry": [{"id": MESSENGER_PAGE_ID, "time": now, "messaging": [
                    {"sender": {"id": psid}, "recipient": {"id": MESSENGER_PAGE_ID}, what: receipt}]}]});
                c.post_meta("messenger", &hook).await;
            }
        });
        axum::Json(json!({"recipient_id": body["recipient"]["id"], "message_id": mid}))
    }

    /// A customer's Messenger message to the page, as Meta posts it.
    pub async fn messenger(&self, psid: &str, mid: &str, body: &str) {
        let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
        let hook = json!({"object": "page", "entry": [{"id": MESSENGER_PAGE_ID, "time": now, "messaging": [
            {"sender": {"id": psid}, "recipient": {"id": MESSENGER_PAGE_ID}, "timestamp": now,
             "message": {"mid": mid, "text": body}}]}]});
        self.post_meta("messenger", &hook).await;
    }

    async fn post_whatsapp(&self, hook: &Value) {
        self.post_meta("whatsapp", hook).await;
    }

    /// A webhook signed as Meta signs it, to the center's WhatsApp or Messenger hook.
    async fn post_meta(&self, channel: &str, hook: &Value) {
        let raw = serde_json::to_vec(hook).unwrap_or_default();
        let signature = server::channels::whatsapp::signature(META_SECRET, &raw);
        if let Err(e) = self
            .http
            .post(format!(
                "{}/api/webhooks/{channel}/{}",
                self.center, self.org
            ))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature)
            .body(raw)
            .send()
            .await
        {
            tracing::warn!("demo carrier: {e}");
        }
    }

    /// A customer's text to the center, as Twilio posts it.
    pub async fn text(&self, from: &str, message_sid: &str, body: &str) {
        let url = format!("{}/api/webhooks/twilio/{}/sms", self.center, self.org);
        let params = vec![
            ("AccountSid".to_string(), TWILIO_SID.to_string()),
            ("Body".to_string(), body.to_string()),
            ("From".to_string(), from.to_string()),
            ("MessageSid".to_string(), message_sid.to_string()),
            ("NumMedia".to_string(), "0".to_string()),
            ("To".to_string(), SMS_NUMBER.to_string()),
        ];
        self.post_twilio(&url, &params).await;
    }

    /// A customer's WhatsApp message to the center, as the Cloud API posts it.
    pub async fn whatsapp(&self, from: &str, name: &str, wamid: &str, body: &str) {
        let wa_id = from.trim_start_matches('+');
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let hook = json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": {"phone_number_id": WHATSAPP_PHONE_ID},
            "contacts": [{"wa_id": wa_id, "profile": {"name": name}}],
            "messages": [{"from": wa_id, "id": wamid, "timestamp": now.to_string(), "type": "text", "text": {"body": body}}]}}]}]});
        self.post_whatsapp(&hook).await;
    }

    /// A customer's mail to the center, as an MTA hands it to the ingress; `answers`:
    /// the Message-ID of the center's mail it replies to.
    pub async fn email(
        &self,
        from: &str,
        name: &str,
        message_id: &str,
        answers: Option<&str>,
        subject: &str,
        body: &str,
    ) {
        let date = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc2822)
            .unwrap_or_default();
        let threading = answers.map_or(String::new(), |id| {
            format!("In-Reply-To: <{id}>\r\nReferences: <{id}>\r\n")
        });
        let raw = format!(
            "From: {name} <{from}>\r\nTo: {EMAIL_ADDRESS}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n\
             Date: {date}\r\n{threading}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
        );
        if let Err(e) = self
            .http
            .post(format!("{}/api/webhooks/email/{}", self.center, self.org))
            .header("content-type", "message/rfc822")
            .header("authorization", format!("Bearer {EMAIL_SECRET}"))
            .body(raw)
            .send()
            .await
        {
            tracing::warn!("demo mail: {e}");
        }
    }

    /// The settings that point the center's SMS, WhatsApp, Messenger and email at this
    /// stand-in: `(channel, endpoint object data)`.
    pub fn endpoints(&self, queue: uuid::Uuid) -> Vec<(&'static str, Value)> {
        vec![
            (
                "messenger",
                json!({"provider": "messenger", "page_id": MESSENGER_PAGE_ID,
                       "page_access_token": MESSENGER_TOKEN, "app_secret": META_SECRET,
                       "verify_token": META_VERIFY, "queue_id": queue, "api_base": self.base}),
            ),
            (
                "email",
                json!({"provider": "email", "address": EMAIL_ADDRESS,
                       "display_name": "Demo Retail Support", "queue_id": queue,
                       "smtp_host": "127.0.0.1", "smtp_port": self.smtp_port, "smtp_security": "none",
                       "smtp_user": "", "smtp_password": "", "ingress_secret": EMAIL_SECRET,
                       "mailbox": "INBOX", "signature": "{agent}\nDemo Retail Support"}),
            ),
            (
                "sms",
                json!({"provider": "twilio", "account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN,
                       "from": SMS_NUMBER, "queue_id": queue, "api_base": self.base,
                       "public_base_url": self.center}),
            ),
            (
                "whatsapp",
                json!({"provider": "whatsapp", "phone_number_id": WHATSAPP_PHONE_ID,
                "access_token": WHATSAPP_TOKEN, "app_secret": META_SECRET,
                "verify_token": META_VERIFY, "queue_id": queue, "api_base": self.base,
                // What a retailer has approved in WhatsApp Manager, for customers
                // who wrote more than a day ago.
                "templates": [
                    {"name": "order_update", "language": "en_US",
                     "body": "Hi {{1}}, your order {{2}} is ready for pickup."},
                    {"name": "follow_up", "language": "en_US",
                     "body": "Hi {{1}}, we are sorry for the wait. Do you still need help? Reply here and we will pick it up."}
                ]}),
            ),
        ]
    }
}
