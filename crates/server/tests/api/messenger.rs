//! Facebook Messenger through the Send API's wire format, against a stand-in Graph API:
//! the handshake, webhooks signed as Meta signs them, the customer known by their
//! page-scoped id, replies as responses and then with the human-agent tag, delivery and
//! read receipts. On SQLite and PostgreSQL, with a clock the test moves by hand.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use store::Role;

use crate::common::*;

const SECRET: &str = "meta-app-secret-for-the-page";
const PAGE_TOKEN: &str = "EAAB-page-access-token-0123456789";
const VERIFY: &str = "page-verify-token";
const PAGE: &str = "112233445566";
const PSID: &str = "6789012345678901";

/// One send: the access token it carried and its body.
type Send = (Option<String>, Value);

/// The Send API's `/me/messages`, recording what it is sent.
#[derive(Clone, Default)]
struct Graph {
    sent: Arc<Mutex<Vec<Send>>>,
}

impl Graph {
    async fn start() -> (Graph, String) {
        let g = Graph::default();
        let gg = g.clone();
        let app = axum::Router::new().route(
            "/me/messages",
            axum::routing::post(
                move |axum::extract::Query(q): axum::extract::Query<
                    std::collections::HashMap<String, String>,
                >,
                      req: axum::extract::Request| {
                    let gg = gg.clone();
                    async move {
                        use axum::extract::FromRequest as _;
                        let multipart = req
                            .headers()
                            .get("content-type")
                            .and_then(|v| v.to_str().ok())
                            .is_some_and(|v| v.starts_with("multipart/"));
                        // A file comes as a form: its fields, and the file's size.
                        let body = if multipart {
                            let mut form = axum::extract::Multipart::from_request(req, &())
                                .await
                                .unwrap();
                            let mut v = json!({});
                            while let Ok(Some(f)) = form.next_field().await {
                                let name = f.name().unwrap_or("").to_string();
                                if name == "filedata" {
                                    v["filedata_bytes"] = json!(f.bytes().await.unwrap().len());
                                } else {
                                    v[name] = json!(f.text().await.unwrap());
                                }
                            }
                            v
                        } else {
                            let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
                                .await
                                .unwrap();
                            serde_json::from_slice(&bytes).unwrap()
                        };
                        let n = {
                            let mut sent = gg.sent.lock().unwrap();
                            sent.push((q.get("access_token").cloned(), body));
                            sent.len()
                        };
                        (
                            StatusCode::OK,
                            axum::Json(
                                json!({"recipient_id": PSID, "message_id": format!("m_out_{n}")}),
                            ),
                        )
                    }
                },
            ),
        );
        // Reading the page, as an admin's "Test" does: only with the page's token.
        let app = app.route(
            "/{page}",
            axum::routing::get(
                |axum::extract::Path(page): axum::extract::Path<String>,
                 headers: axum::http::HeaderMap| async move {
                    let ok = page == PAGE
                        && headers.get("authorization").and_then(|v| v.to_str().ok())
                            == Some(format!("Bearer {PAGE_TOKEN}").as_str());
                    if ok {
                        (StatusCode::OK, axum::Json(json!({"name": "Demo Retail", "id": PAGE})))
                    } else {
                        (
                            StatusCode::BAD_REQUEST,
                            axum::Json(json!({"error": {"message": "Invalid OAuth access token.", "code": 190}})),
                        )
                    }
                },
            ),
        );
        // Messenger's CDN, where a customer's attachments are.
        let app = app
            .route("/cdn/photo.png", axum::routing::get(|| async { png() }))
            .route(
                "/cdn/tool.exe",
                axum::routing::get(|| async { b"MZ\x90\x00 a program".to_vec() }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (g, base)
    }
    fn sent(&self) -> Vec<Send> {
        self.sent.lock().unwrap().clone()
    }
}

async fn post_webhook(s: &Server, body: &Value, secret: &str) -> Answer {
    let raw = serde_json::to_vec(body).unwrap();
    let rb = server::http_client()
        .post(format!("{}/api/webhooks/messenger/fb", s.base))
        .header("content-type", "application/json")
        .header(
            "x-hub-signature-256",
            server::channels::whatsapp::signature(secret, &raw),
        )
        .body(raw);
    answer(rb).await
}

fn page(items: Vec<Value>) -> Value {
    json!({"object": "page", "entry": [{"id": PAGE, "time": 1, "messaging": items}]})
}

fn text(mid: &str, ms: i64, body: &str) -> Value {
    json!({"sender": {"id": PSID}, "recipient": {"id": PAGE}, "timestamp": ms, "message": {"mid": mid, "text": body}})
}

#[tokio::test]
async fn messenger_in_and_out_with_receipts_and_the_human_agent_tag() {
    each_backend_with(manual_clock(), |s| async move {
        let o = seed_org(&s, "fb").await;
        let (graph, api_base) = Graph::start().await;
        let admin = o.client(&s, Role::Admin);
        let put = admin
            .put(
                "/api/channel-endpoints/messenger",
                &json!({"provider": "messenger", "page_id": PAGE, "page_access_token": PAGE_TOKEN,
                        "app_secret": SECRET, "verify_token": VERIFY, "queue_id": o.queue, "api_base": api_base}),
            )
            .await;
        assert_eq!(put.status, 200, "{}", put.text);
        assert_eq!(put.body["inbound_url"], "/api/webhooks/messenger/fb");
        let anon = Client::new(&s.base, None);
        let hs = anon
            .get(&format!("/api/webhooks/messenger/fb?hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=42"))
            .await;
        assert_eq!((hs.status, hs.text.as_str()), (200, "42"));

        let now_ms = s.clock.now().unix_timestamp() * 1000;
        let hello = page(vec![text("m_in_1", now_ms - 1000, "Do you ship to Canada?")]);
        assert_eq!(post_webhook(&s, &hello, "forged-secret-000").await.status, 403);
        for _ in 0..3 {
            let a = post_webhook(&s, &hello, SECRET).await;
            assert_eq!(a.status, 200, "{}", a.text);
        }
        let agent = o.client(&s, Role::Agent);
        let mut contact = None;
        for _ in 0..150 {
            if let Some((offer, c)) = offers(&s, &o).await.into_iter().next() {
                let r = agent.post(&format!("/api/offers/{offer}/accept"), &json!({})).await;
                assert_eq!(r.status, 200, "{}", r.text);
                contact = Some(c.to_string());
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let contact = contact.expect("the message is offered");
        let msgs = agent.ok(&format!("/api/contacts/{contact}/messages")).await;
        assert_eq!(msgs["items"].as_array().unwrap().len(), 1, "once: {msgs}");

        // A reply within the day: a response. Delivered, then read by watermark.
        let r = agent
            .post(&format!("/api/contacts/{contact}/messages"), &json!({"client_id": "f1", "text": "Yes, we do."}))
            .await;
        let id = r.body["id"].as_str().unwrap().to_string();
        delivery_until(&agent, &contact, &id, |d| d["status"] == "sent").await;
        let (token, sent) = graph.sent()[0].clone();
        assert_eq!(token.as_deref(), Some(PAGE_TOKEN));
        assert_eq!((sent["messaging_type"].as_str(), sent["recipient"]["id"].as_str()), (Some("RESPONSE"), Some(PSID)));
        assert_eq!(sent["message"]["text"], "Yes, we do.");
        let delivered = page(vec![json!({"sender": {"id": PSID}, "recipient": {"id": PAGE}, "delivery": {"mids": ["m_out_1"], "watermark": now_ms + 1000}})]);
        assert_eq!(post_webhook(&s, &delivered, SECRET).await.status, 200);
        delivery_until(&agent, &contact, &id, |d| d["status"] == "delivered").await;
        let read = page(vec![json!({"sender": {"id": PSID}, "recipient": {"id": PAGE}, "read": {"watermark": now_ms + 60_000}})]);
        assert_eq!(post_webhook(&s, &read, SECRET).await.status, 200);
        delivery_until(&agent, &contact, &id, |d| d["status"] == "read").await;

        // The customer sends a photo and a program, delivered twice: the photo kept once,
        // the program refused for what it is.
        let files = page(vec![json!({"sender": {"id": PSID}, "recipient": {"id": PAGE}, "timestamp": now_ms + 2000,
            "message": {"mid": "m_in_files", "attachments": [
                {"type": "image", "payload": {"url": format!("{api_base}/cdn/photo.png")}},
                {"type": "file", "payload": {"url": format!("{api_base}/cdn/tool.exe")}}]}})]);
        for _ in 0..2 {
            assert_eq!(post_webhook(&s, &files, SECRET).await.status, 200);
        }
        let msgs = agent.ok(&format!("/api/contacts/{contact}/messages")).await;
        let theirs: Vec<&Value> = msgs["items"].as_array().unwrap().iter().filter(|m| m["from"] == "customer").collect();
        assert_eq!(theirs.len(), 4, "{msgs}");
        assert_eq!(theirs[1]["text"], "(image, file)");
        assert_eq!(theirs[2]["attachment"]["content_type"], "image/png", "{msgs}");
        assert!(theirs[3]["text"].as_str().unwrap().contains("not a picture or PDF"), "{msgs}");

        // A picture is uploaded with the message; Messenger has no captions, so a text
        // with a file is refused before anything is sent.
        let up = upload_file(&agent, &contact, "label.png", &png()).await;
        assert_eq!(up.status, 201, "{}", up.text);
        let both = agent
            .post(&format!("/api/contacts/{contact}/messages"), &json!({"client_id": "fx", "text": "see this", "attachment_id": up.body["id"]}))
            .await;
        assert_eq!(both.status, 422, "{}", both.text);
        let pic = send_file(&agent, &contact, "f-pic", "").await;
        delivery_until(&agent, &contact, &pic, |d| d["status"] == "sent").await;
        let (_, sent) = graph.sent()[1].clone();
        assert_eq!(sent["filedata_bytes"], png().len(), "{sent}");
        assert_eq!(sent["messaging_type"], "RESPONSE", "{sent}");
        let message: Value = serde_json::from_str(sent["message"].as_str().unwrap()).unwrap();
        assert_eq!(message["attachment"]["type"], "image", "{sent}");

        // Two days later: only a person may answer, with the human-agent tag.
        s.clock.advance(Duration::from_secs(48 * 3600));
        let r = agent
            .post(&format!("/api/contacts/{contact}/messages"), &json!({"client_id": "f2", "text": "Following up"}))
            .await;
        let id2 = r.body["id"].as_str().unwrap().to_string();
        s.state.wake_outbox();
        delivery_until(&agent, &contact, &id2, |d| d["status"] == "sent").await;
        let (_, sent) = graph.sent()[2].clone();
        assert_eq!((sent["messaging_type"].as_str(), sent["tag"].as_str()), (Some("MESSAGE_TAG"), Some("HUMAN_AGENT")));
        // After a week: refused, with the reason.
        s.clock.advance(Duration::from_secs(6 * 24 * 3600));
        let r = agent
            .post(&format!("/api/contacts/{contact}/messages"), &json!({"client_id": "f3", "text": "Hello?"}))
            .await;
        let id3 = r.body["id"].as_str().unwrap().to_string();
        s.state.wake_outbox();
        let d = delivery_until(&agent, &contact, &id3, |d| d["status"] == "failed").await;
        assert!(d["error"].as_str().unwrap().contains("7 days"), "{d}");
        assert_eq!(graph.sent().len(), 3);

        // "Test" reads the page with the stored token and sends nothing.
        let t = admin.post("/api/channel-endpoints/messenger/test", &json!({})).await;
        assert_eq!((t.status, t.body["ok"].clone()), (200, json!(true)), "{}", t.text);
        assert!(t.body["detail"].as_str().unwrap().contains("Demo Retail"), "{}", t.text);
        assert_eq!(graph.sent().len(), 3);
        s
    })
    .await;
}
