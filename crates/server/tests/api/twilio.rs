//! SMS through Twilio's wire format, against a stand-in that speaks it: texts signed as
//! Twilio signs them come in once however often they are retried, forged ones change
//! nothing, replies go out through the Messages API (retried while it fails) and move
//! on with Twilio's status callbacks, and a customer who texts STOP gets no more texts
//! until START. On SQLite and PostgreSQL, with a clock the test moves by hand.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use store::{Role, Store};
use uuid::Uuid;

use crate::common::*;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "twilio-auth-token-0123456789";
const NUMBER: &str = "+15550001000";
const CUSTOMER: &str = "+15550002000";

/// One call to the Messages API: its form and whether its credentials were right.
#[derive(Debug, Clone)]
struct Sent {
    form: Vec<(String, String)>,
    authorised: bool,
}

impl Sent {
    fn get(&self, k: &str) -> &str {
        self.form
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

/// Twilio's Messages API, as far as sending goes: answers with the next scripted status,
/// then 201 with a new message SID.
#[derive(Clone, Default)]
struct Twilio {
    script: Arc<Mutex<VecDeque<(u16, Value)>>>,
    sent: Arc<Mutex<Vec<Sent>>>,
}

impl Twilio {
    async fn start(script: Vec<(u16, Value)>) -> (Twilio, String) {
        let t = Twilio {
            script: Arc::new(Mutex::new(script.into())),
            sent: Arc::default(),
        };
        let tw = t.clone();
        let app = axum::Router::new().route(
            "/2010-04-01/Accounts/{sid}/Messages.json",
            axum::routing::post(
                move |axum::extract::Path(sid): axum::extract::Path<String>,
                      headers: HeaderMap,
                      body: axum::body::Bytes| {
                    let tw = tw.clone();
                    async move {
                        use base64::Engine as _;
                        let want = format!(
                            "Basic {}",
                            base64::engine::general_purpose::STANDARD
                                .encode(format!("{SID}:{TOKEN}"))
                        );
                        let authorised = sid == SID
                            && headers.get("authorization").and_then(|v| v.to_str().ok())
                                == Some(want.as_str());
                        let form: Vec<(String, String)> =
                            url::form_urlencoded::parse(&body).into_owned().collect();
                        let n = {
                            let mut sent = tw.sent.lock().unwrap();
                            sent.push(Sent { form, authorised });
                            sent.len()
                        };
                        let (status, answer) = tw.script.lock().unwrap().pop_front().unwrap_or((
                            201,
                            json!({"sid": format!("SM{n:032}"), "status": "queued"}),
                        ));
                        (StatusCode::from_u16(status).unwrap(), axum::Json(answer))
                    }
                },
            ),
        );
        // An MMS's media: a PNG for the right credentials, and a file that is no picture.
        let app = app
            .route(
                "/media/picture",
                axum::routing::get(|headers: HeaderMap| async move {
                    use base64::Engine as _;
                    let want = format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TOKEN}"))
                    );
                    if headers.get("authorization").and_then(|v| v.to_str().ok())
                        != Some(want.as_str())
                    {
                        return (StatusCode::UNAUTHORIZED, Vec::new());
                    }
                    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
                    png.extend_from_slice(&[0u8; 64]);
                    (StatusCode::OK, png)
                }),
            )
            // The account, as an admin's "Test" reads it: only with the right credentials.
            .route(
                "/2010-04-01/Accounts/{file}",
                axum::routing::get(
                    |axum::extract::Path(file): axum::extract::Path<String>, headers: HeaderMap| async move {
                        use base64::Engine as _;
                        let want = format!(
                            "Basic {}",
                            base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TOKEN}"))
                        );
                        if file != format!("{SID}.json")
                            || headers.get("authorization").and_then(|v| v.to_str().ok())
                                != Some(want.as_str())
                        {
                            return (
                                StatusCode::UNAUTHORIZED,
                                axum::Json(json!({"code": 20003, "message": "Authenticate", "status": 401})),
                            );
                        }
                        (
                            StatusCode::OK,
                            axum::Json(json!({"sid": SID, "friendly_name": "Demo Retail", "status": "active"})),
                        )
                    },
                ),
            )
            .route(
                "/media/not-a-picture",
                axum::routing::get(|| async {
                    (StatusCode::OK, b"MZ\x90\x00 pretending".to_vec())
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (t, base)
    }

    fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    async fn wait_for(&self, n: usize) -> Vec<Sent> {
        for _ in 0..300 {
            if self.sent().len() >= n {
                return self.sent();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("Twilio got {} sends, not {n}", self.sent().len());
    }
}

/// POST a form to our server as Twilio would, signed with `token`.
async fn post_signed(s: &Server, path: &str, form: &[(&str, &str)], token: &str) -> Answer {
    let params: Vec<(String, String)> = form
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let signature =
        server::channels::twilio::signature(token, &format!("{}{path}", s.base), &params);
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form.iter())
        .finish();
    let rb = server::http_client()
        .post(format!("{}{path}", s.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", signature)
        .body(body);
    answer(rb).await
}

async fn text_in(s: &Server, slug: &str, sid: &str, body: &str) -> Answer {
    post_signed(
        s,
        &format!("/api/webhooks/twilio/{slug}/sms"),
        &[
            ("MessageSid", sid),
            ("AccountSid", SID),
            ("From", CUSTOMER),
            ("To", NUMBER),
            ("Body", body),
            ("NumMedia", "0"),
        ],
        TOKEN,
    )
    .await
}

async fn messages(c: &Client, contact: &str) -> Vec<Value> {
    c.ok(&format!("/api/contacts/{contact}/messages")).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn reply(c: &Client, contact: &str, text: &str) -> String {
    let a = c
        .post(
            &format!("/api/contacts/{contact}/messages"),
            &json!({"client_id": Uuid::new_v4().to_string(), "text": text}),
        )
        .await;
    assert_eq!(a.status, 201, "reply: {}", a.text);
    a.body["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn sms_through_twilio_in_and_out_with_signatures_retries_callbacks_and_stop() {
    each_backend_with(manual_clock(), |s| async move {
        let o = seed_org(&s, "texts").await;
        let (twilio, api_base) = Twilio::start(vec![(503, json!({"code": 20500, "message": "Internal Server Error"}))]).await;
        let admin = o.client(&s, Role::Admin);
        let put = admin
            .put(
                "/api/channel-endpoints/sms",
                &json!({"provider": "twilio", "account_sid": SID, "auth_token": TOKEN, "from": NUMBER,
                        "queue_id": o.queue, "api_base": api_base, "public_base_url": s.base}),
            )
            .await;
        assert_eq!(put.status, 200, "{}", put.text);
        assert_eq!(put.body["inbound_url"], format!("{}/api/webhooks/twilio/texts/sms", s.base));
        assert_eq!(put.body["secret_hint"], "6789");
        assert!(!put.text.contains(TOKEN), "the auth token is never shown: {}", put.text);

        // Forged, unsigned or foreign-signed texts are refused and store nothing.
        let forged = post_signed(
            &s,
            "/api/webhooks/twilio/texts/sms",
            &[("MessageSid", "SMforged"), ("From", CUSTOMER), ("Body", "refund me")],
            "not-the-token-at-all",
        )
        .await;
        assert_eq!(forged.status, 403, "{}", forged.text);
        forged.assert_error_shape("forged");
        let unsigned = Client::new(&s.base, None)
            .raw("POST", "/api/webhooks/twilio/texts/sms", "application/x-www-form-urlencoded", b"MessageSid=SMx&From=%2B1555&Body=hi".to_vec())
            .await;
        assert_eq!(unsigned.status, 403, "{}", unsigned.text);
        assert_eq!(
            s.state.store().list_contacts(o.id, &Default::default(), Default::default()).await.unwrap().items.len(),
            0,
            "nothing stored for a forged text"
        );

        // A text, retried five times by Twilio: one contact, one message.
        for _ in 0..5 {
            let a = text_in(&s, "texts", "SM-in-1", "Where is my parcel?").await;
            assert_eq!(a.status, 200, "{}", a.text);
            assert!(a.text.contains("<Response></Response>"), "{}", a.text);
        }
        let contact = {
            let agent = o.client(&s, Role::Agent);
            let mut found = None;
            for _ in 0..150 {
                if let Some((offer, c)) = offers(&s, &o).await.into_iter().next() {
                    let r = agent.post(&format!("/api/offers/{offer}/accept"), &json!({})).await;
                    assert_eq!(r.status, 200, "{}", r.text);
                    found = Some(c.to_string());
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            found.expect("the text is offered to the agent")
        };
        let agent = o.client(&s, Role::Agent);
        let msgs = messages(&agent, &contact).await;
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert_eq!(msgs[0]["text"], "Where is my parcel?");

        // The reply: Twilio is down once (retried after 2 s), then takes it.
        let id = reply(&agent, &contact, "It arrives tomorrow.").await;
        twilio.wait_for(1).await;
        delivery_until(&agent, &contact, &id, |d| d["attempts"] == 1).await;
        s.clock.advance(Duration::from_secs(2));
        s.state.wake_outbox();
        let sent = twilio.wait_for(2).await;
        let call = &sent[1];
        assert!(call.authorised, "basic auth with the account SID and token");
        assert_eq!((call.get("To"), call.get("From"), call.get("Body")), (CUSTOMER, NUMBER, "It arrives tomorrow."));
        let callback = call.get("StatusCallback").to_string();
        assert_eq!(callback, format!("{}/api/webhooks/twilio/texts/status?m={id}", s.base));
        let d = delivery_until(&agent, &contact, &id, |d| d["status"] == "sent").await;
        assert_eq!(d["attempts"], 2);

        // Status callbacks move it on; a forged one does not.
        let path = callback.trim_start_matches(&s.base).to_string();
        let provider_sid = format!("SM{:032}", 2);
        let forged = post_signed(&s, &path, &[("MessageSid", &provider_sid), ("MessageStatus", "failed")], "wrong-token-0123456789").await;
        assert_eq!(forged.status, 403, "{}", forged.text);
        let ok = post_signed(&s, &path, &[("MessageSid", &provider_sid), ("MessageStatus", "delivered")], TOKEN).await;
        assert_eq!(ok.status, 204, "{}", ok.text);
        let d = delivery_until(&agent, &contact, &id, |d| d["status"] == "delivered").await;
        assert!(d["error"].is_null(), "{d}");
        let late = post_signed(&s, &path, &[("MessageSid", &provider_sid), ("MessageStatus", "sent")], TOKEN).await;
        assert_eq!(late.status, 204, "{}", late.text);
        assert_eq!(delivery_until(&agent, &contact, &id, |_| true).await["status"], "delivered");

        // STOP: the next reply is not sent, and says why; START lets them through again.
        assert_eq!(text_in(&s, "texts", "SM-in-2", "STOP").await.status, 200);
        let id2 = reply(&agent, &contact, "Sorry to see you go").await;
        let d = delivery_until(&agent, &contact, &id2, |d| d["status"] == "failed").await;
        assert!(d["error"].as_str().unwrap().contains("texted STOP"), "{d}");
        assert_eq!(twilio.sent().len(), 2, "nothing sent to an opted-out number");
        s.state.barrier().await;
        assert_eq!(
            cells_holding(&s, CUSTOMER.trim_start_matches('+')).await,
            Vec::<String>::new(),
            "the customer's number (their identity, their opt-out) is nowhere in clear"
        );
        assert_eq!(text_in(&s, "texts", "SM-in-3", "start").await.status, 200);
        let id3 = reply(&agent, &contact, "Welcome back").await;
        delivery_until(&agent, &contact, &id3, |d| d["status"] == "sent").await;
        assert_eq!(twilio.wait_for(3).await[2].get("Body"), "Welcome back");
        // An agent's picture goes as an MMS: Twilio fetches it from a signed link that
        // names nothing else.
        let id4 = send_file(&agent, &contact, "mms-out-1", "Your return label").await;
        delivery_until(&agent, &contact, &id4, |d| d["status"] == "sent").await;
        let mms = twilio.wait_for(4).await[3].clone();
        assert_eq!(mms.get("Body"), "Your return label");
        let link = mms.get("MediaUrl").to_string();
        assert!(link.starts_with(&format!("{}/api/media/", s.base)), "{link}");
        let got = server::http_client().get(&link).send().await.unwrap();
        assert_eq!(got.status(), 200);
        assert_eq!(got.headers()["content-type"], "image/png");
        assert_eq!(got.bytes().await.unwrap().to_vec(), png());
        let forged = format!("{}0", &link[..link.len() - 1]);
        let forged = if forged == link { format!("{}1", &link[..link.len() - 1]) } else { forged };
        assert_eq!(server::http_client().get(&forged).send().await.unwrap().status(), 404);
        // An MMS with two pictures, delivered twice: its picture once, stored, and the
        // file that is no picture refused for what it is.
        let media = [
            ("MessageSid", "SM-mms-1"),
            ("AccountSid", SID),
            ("From", CUSTOMER),
            ("To", NUMBER),
            ("Body", ""),
            ("NumMedia", "2"),
        ];
        let (pic, bad) = (format!("{api_base}/media/picture"), format!("{api_base}/media/not-a-picture"));
        let mut form: Vec<(&str, &str)> = media.to_vec();
        form.push(("MediaUrl0", &pic));
        form.push(("MediaContentType0", "image/png"));
        form.push(("MediaUrl1", &bad));
        form.push(("MediaContentType1", "image/jpeg"));
        for _ in 0..2 {
            let a = post_signed(&s, "/api/webhooks/twilio/texts/sms", &form, TOKEN).await;
            assert_eq!(a.status, 200, "{}", a.text);
        }
        let all = messages(&agent, &contact).await;
        let pictures: Vec<&Value> = all
            .iter()
            .filter(|m| m["attachment"].is_object() && m["from"] == "customer")
            .collect();
        assert_eq!(pictures.len(), 1, "{all:?}");
        assert_eq!(pictures[0]["attachment"]["content_type"], "image/png");
        let url = pictures[0]["attachment"]["url"].as_str().unwrap().to_string();
        let bytes = agent.get(&url).await;
        assert_eq!(bytes.status, 200);
        assert!(all.iter().any(|m| m["text"].as_str().is_some_and(|t| t.contains("not a picture or PDF"))), "{all:?}");
        let texts: Vec<String> = all
            .iter()
            .filter(|m| m["from"] == "customer" && m["attachment"].is_null())
            .map(|m| m["text"].as_str().unwrap_or("").to_string())
            .collect();
        assert_eq!(texts.len(), 5, "STOP, start, the MMS's text and its refused file: {texts:?}");

        // The customer's STOP and START are in the conversation, once each.
        let texts: Vec<String> = messages(&agent, &contact)
            .await
            .iter()
            .filter(|m| m["from"] == "customer")
            .map(|m| m["text"].as_str().unwrap_or("").to_string())
            .take(3)
            .collect();
        assert_eq!(texts, vec!["Where is my parcel?", "STOP", "start"]);

        // Personal data in a text is masked for the agent as on every channel, and the
        // card number is kept nowhere.
        assert_eq!(text_in(&s, "texts", "SM-in-card", "my card is 4111 1111 1111 1111").await.status, 200);
        let last = messages(&agent, &contact).await;
        let card = last.iter().rev().find(|m| m["from"] == "customer").unwrap();
        assert_eq!(card["text"], "my card is [card ending 1111]", "{card}");
        s.state.barrier().await;
        assert_eq!(cells_holding(&s, "4111111111111111").await, Vec::<String>::new());
        assert_eq!(cells_holding(&s, "4111 1111 1111 1111").await, Vec::<String>::new());

        // "Test" opens the account with the stored (sealed) credentials and sends nothing.
        let before = twilio.sent().len();
        let t = admin.post("/api/channel-endpoints/sms/test", &json!({})).await;
        assert_eq!((t.status, t.body["ok"].clone()), (200, json!(true)), "{}", t.text);
        assert!(t.body["detail"].as_str().unwrap().contains("(Demo Retail, active)"), "{}", t.text);
        assert_eq!(twilio.sent().len(), before, "a test sends no text");
        let put = admin
            .put(
                "/api/channel-endpoints/sms",
                &json!({"provider": "twilio", "account_sid": SID, "auth_token": "a-rotated-token-000", "from": NUMBER,
                        "queue_id": o.queue, "api_base": api_base, "public_base_url": s.base}),
            )
            .await;
        assert_eq!(put.status, 200, "{}", put.text);
        let t = admin.post("/api/channel-endpoints/sms/test", &json!({})).await;
        assert_eq!(t.body["ok"], false, "{}", t.text);
        assert!(t.body["detail"].as_str().unwrap().contains("refused the account SID and auth token"), "{}", t.text);
        s
    })
    .await;
}

#[tokio::test]
async fn twilio_settings_are_checked() {
    each_backend(|s| async move {
        let o = seed_org(&s, "twset").await;
        let admin = o.client(&s, Role::Admin);
        let good = json!({"provider": "twilio", "account_sid": SID, "auth_token": TOKEN, "from": NUMBER,
                          "queue_id": o.queue, "public_base_url": "https://cc.example.com"});
        for (field, value) in [
            ("account_sid", json!("SK123")),
            ("from", json!("555-0100")),
            ("queue_id", json!(Uuid::nil())),
            ("public_base_url", json!("cc.example.com")),
            ("auth_token", json!("short")),
        ] {
            let mut body = good.clone();
            body[field] = value;
            let a = admin.put("/api/channel-endpoints/sms", &body).await;
            assert_eq!(a.status, 422, "{field}: {}", a.text);
            assert!(a.body["error"]["message"].as_str().unwrap().contains(field), "{field}: {}", a.text);
        }
        let a = admin.put("/api/channel-endpoints/whatsapp", &good).await;
        assert_eq!(a.status, 422, "{}", a.text);
        let a = admin.put("/api/channel-endpoints/sms", &good).await;
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(a.body["api_base"], "https://api.twilio.com");
        // The token is kept when only other settings change.
        let mut no_token = good.clone();
        no_token.as_object_mut().unwrap().remove("auth_token");
        no_token["from"] = json!("+15550009999");
        let a = admin.put("/api/channel-endpoints/sms", &no_token).await;
        assert_eq!((a.status, a.body["secret_hint"].clone()), (200, json!("6789")), "{}", a.text);
        // A webhook for an organisation without Twilio is not found.
        let other = seed_org(&s, "twnone").await;
        let a = text_in(&s, &other.slug, "SM1", "hi").await;
        assert_eq!(a.status, 404, "{}", a.text);
        s
    })
    .await;
}
