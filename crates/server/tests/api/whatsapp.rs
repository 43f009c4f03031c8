//! WhatsApp through the Cloud API's wire format, against a stand-in Graph API: the
//! set-up handshake, webhooks signed as Meta signs them (forged ones change nothing,
//! repeats count once), the customer known by phone number across SMS and WhatsApp,
//! replies with our id echoed in their statuses, the 24-hour window and the approved
//! templates that reopen the conversation after it. On SQLite and
//! PostgreSQL, with a clock the test moves by hand.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use store::{Role, Store as _};

use crate::common::*;

const SECRET: &str = "meta-app-secret-0123456789";
const TOKEN: &str = "EAAG-system-user-token-0123456789";
const VERIFY: &str = "verify-me-please";
const PHONE_ID: &str = "106540352242922";

/// A media upload: whether authorised, the declared type and the bytes.
type Upload = (bool, String, Vec<u8>);

/// The Graph API's `/{phone-number-id}/messages`, recording what it is sent.
#[derive(Clone, Default)]
struct Graph {
    sent: Arc<Mutex<Vec<(bool, Value)>>>,
    uploads: Arc<Mutex<Vec<Upload>>>,
}

impl Graph {
    async fn start() -> (Graph, String) {
        let g = Graph::default();
        let gg = g.clone();
        let app = axum::Router::new().route(
            "/{phone}/messages",
            axum::routing::post(
                move |axum::extract::Path(phone): axum::extract::Path<String>,
                      headers: HeaderMap,
                      axum::Json(body): axum::Json<Value>| {
                    let gg = gg.clone();
                    async move {
                        let authorised = phone == PHONE_ID
                            && headers.get("authorization").and_then(|v| v.to_str().ok())
                                == Some(format!("Bearer {TOKEN}").as_str());
                        let n = {
                            let mut sent = gg.sent.lock().unwrap();
                            sent.push((authorised, body));
                            sent.len()
                        };
                        (
                            StatusCode::OK,
                            axum::Json(json!({"messaging_product": "whatsapp",
                                "contacts": [{"input": "x", "wa_id": "x"}],
                                "messages": [{"id": format!("wamid.OUT{n}")}]})),
                        )
                    }
                },
            ),
        );
        // Media uploads (`/{phone}/media`, multipart), answered with a media id.
        let up = g.clone();
        let app = app.route(
            "/{phone}/media",
            axum::routing::post(
                move |axum::extract::Path(phone): axum::extract::Path<String>,
                      headers: HeaderMap,
                      mut form: axum::extract::Multipart| {
                    let up = up.clone();
                    async move {
                        let authorised = phone == PHONE_ID
                            && headers.get("authorization").and_then(|v| v.to_str().ok())
                                == Some(format!("Bearer {TOKEN}").as_str());
                        let (mut kind, mut bytes) = (String::new(), Vec::new());
                        while let Ok(Some(f)) = form.next_field().await {
                            match f.name() {
                                Some("type") => kind = f.text().await.unwrap(),
                                Some("file") => bytes = f.bytes().await.unwrap().to_vec(),
                                _ => {}
                            }
                        }
                        let n = {
                            let mut u = up.uploads.lock().unwrap();
                            u.push((authorised, kind, bytes));
                            u.len()
                        };
                        axum::Json(json!({"id": format!("media-{n}")}))
                    }
                },
            ),
        );
        // Reading the number, as an admin's "Test" does: only with the right token.
        let app = app.route(
            "/{phone}",
            axum::routing::get(
                |axum::extract::Path(phone): axum::extract::Path<String>, headers: HeaderMap| async move {
                    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                    // A customer's media: where its bytes are (with the token).
                    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok())
                        == Some(format!("Bearer {TOKEN}").as_str());
                    if phone.starts_with("media") && bearer {
                        return (
                            StatusCode::OK,
                            axum::Json(json!({"url": format!("http://{host}/download/{phone}"), "mime_type": "image/png", "id": phone})),
                        );
                    }
                    if phone != PHONE_ID
                        || headers.get("authorization").and_then(|v| v.to_str().ok())
                            != Some(format!("Bearer {TOKEN}").as_str())
                    {
                        return (
                            StatusCode::UNAUTHORIZED,
                            axum::Json(json!({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}})),
                        );
                    }
                    (
                        StatusCode::OK,
                        axum::Json(json!({"display_phone_number": "+1 555-010-4000", "verified_name": "Demo Retail", "id": PHONE_ID})),
                    )
                },
            ),
        );
        let app = app.route(
            "/download/{id}",
            axum::routing::get(|headers: HeaderMap| async move {
                if headers.get("authorization").and_then(|v| v.to_str().ok())
                    != Some(format!("Bearer {TOKEN}").as_str())
                {
                    return (StatusCode::UNAUTHORIZED, Vec::new());
                }
                (StatusCode::OK, png())
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (g, base)
    }
    fn sent(&self) -> Vec<(bool, Value)> {
        self.sent.lock().unwrap().clone()
    }
}

fn sign(body: &[u8], secret: &str) -> String {
    server::channels::whatsapp::signature(secret, body)
}

async fn post_webhook(s: &Server, slug: &str, body: &Value, secret: &str) -> Answer {
    let raw = serde_json::to_vec(body).unwrap();
    let rb = server::http_client()
        .post(format!("{}/api/webhooks/whatsapp/{slug}", s.base))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sign(&raw, secret))
        .body(raw);
    answer(rb).await
}

fn message(wamid: &str, from: &str, ts: i64, text: &str) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE_ID},
        "contacts": [{"wa_id": from, "profile": {"name": "Wanda Whats"}}],
        "messages": [{"from": from, "id": wamid, "timestamp": ts.to_string(), "type": "text", "text": {"body": text}}]}}]}]})
}

fn status(wamid: &str, ours: &str, st: &str) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE_ID},
        "statuses": [{"id": wamid, "status": st, "timestamp": "1764601300", "recipient_id": "15550004000", "biz_opaque_callback_data": ours}]}}]}]})
}

#[tokio::test]
async fn whatsapp_in_and_out_with_signatures_statuses_one_customer_and_the_window() {
    each_backend_with(manual_clock(), |s| async move {
        let o = seed_org(&s, "wa").await;
        let (graph, api_base) = Graph::start().await;
        let admin = o.client(&s, Role::Admin);
        let put = admin
            .put(
                "/api/channel-endpoints/whatsapp",
                &json!({"provider": "whatsapp", "phone_number_id": PHONE_ID, "access_token": TOKEN,
                        "app_secret": SECRET, "verify_token": VERIFY, "queue_id": o.queue, "api_base": api_base}),
            )
            .await;
        assert_eq!(put.status, 200, "{}", put.text);
        assert_eq!(put.body["inbound_url"], "/api/webhooks/whatsapp/wa");
        assert!(!put.text.contains(SECRET) && !put.text.contains(TOKEN), "{}", put.text);
        // At rest the credentials are sealed: the database holds none of them in clear.
        let stored = s
            .state
            .store()
            .get_object_by_name(o.id, store::ObjectKind::ChannelEndpoint, "whatsapp")
            .await
            .unwrap()
            .unwrap();
        let raw = stored.data.to_string();
        for clear in [SECRET, TOKEN, VERIFY] {
            assert!(!raw.contains(clear), "{clear} in clear at rest: {raw}");
        }
        assert!(stored.data["access_token"].as_str().unwrap().starts_with("enc:v1:"), "{raw}");
        assert_eq!(stored.data["phone_number_id"], PHONE_ID, "what is not a credential stays readable");

        // The set-up handshake.
        let anon = Client::new(&s.base, None);
        let ok = anon
            .get(&format!("/api/webhooks/whatsapp/wa?hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=1158201444"))
            .await;
        assert_eq!((ok.status, ok.text.as_str()), (200, "1158201444"));
        let bad = anon
            .get("/api/webhooks/whatsapp/wa?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1")
            .await;
        assert_eq!(bad.status, 403, "{}", bad.text);

        // The customer texted by SMS first (through the generic inbound path).
        let sms = admin
            .post("/api/inbound", &json!({"channel": "sms", "from": {"kind": "phone", "value": "+15550004000"},
                                          "message_id": "SM-wa-1", "text": "texting you", "queue_id": o.queue}))
            .await;
        assert_eq!(sms.status, 200, "{}", sms.text);
        let customer = sms.body["contact"]["customer_id"].clone();

        // A forged webhook changes nothing; a signed one, sent three times, counts once.
        let now = s.clock.now().unix_timestamp();
        let body = message("wamid.IN1", "15550004000", now - 60, "Is my order ready?");
        let forged = post_webhook(&s, "wa", &body, "not-the-secret").await;
        assert_eq!(forged.status, 403, "{}", forged.text);
        for _ in 0..3 {
            let a = post_webhook(&s, "wa", &body, SECRET).await;
            assert_eq!(a.status, 200, "{}", a.text);
        }
        let contacts = admin.ok(&format!("/api/customers/{}", customer.as_str().unwrap())).await;
        let wa: Vec<&Value> = contacts["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["channel"] == "whatsapp")
            .collect();
        assert_eq!(wa.len(), 1, "one customer across SMS and WhatsApp: {contacts}");
        let contact = wa[0]["id"].as_str().unwrap().to_string();

        // The agent takes it (the SMS contact too) and replies on WhatsApp.
        let agent = o.client(&s, Role::Agent);
        for _ in 0..150 {
            let pending = offers(&s, &o).await;
            for (offer, _) in &pending {
                agent.post(&format!("/api/offers/{offer}/accept"), &json!({})).await;
            }
            let c = agent.ok(&format!("/api/contacts/{contact}")).await;
            if c["status"] == "active" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let msgs = agent.ok(&format!("/api/contacts/{contact}/messages")).await;
        assert_eq!(msgs["items"].as_array().unwrap().len(), 1, "{msgs}");
        assert_eq!(msgs["items"][0]["at"], server::wire::ts(time::OffsetDateTime::from_unix_timestamp(now - 60).unwrap()), "WhatsApp's time");
        let r = agent
            .post(&format!("/api/contacts/{contact}/messages"), &json!({"client_id": "w1", "text": "Yes, ready for pickup"}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.body["id"].as_str().unwrap().to_string();
        delivery_until(&agent, &contact, &id, |d| d["status"] == "sent").await;
        let (authorised, sent) = graph.sent()[0].clone();
        assert!(authorised, "bearer token and phone number id");
        assert_eq!(sent["to"], "15550004000");
        assert_eq!(sent["text"]["body"], "Yes, ready for pickup");
        assert_eq!(sent["biz_opaque_callback_data"], id.as_str());

        // Statuses: delivered, then read; a forged one is refused.
        assert_eq!(post_webhook(&s, "wa", &status("wamid.OUT1", &id, "failed"), "nope").await.status, 403);
        assert_eq!(post_webhook(&s, "wa", &status("wamid.OUT1", &id, "delivered"), SECRET).await.status, 200);
        delivery_until(&agent, &contact, &id, |d| d["status"] == "delivered").await;
        assert_eq!(post_webhook(&s, "wa", &status("wamid.OUT1", &id, "read"), SECRET).await.status, 200);
        delivery_until(&agent, &contact, &id, |d| d["status"] == "read").await;

        // A picture: uploaded to WhatsApp's media first, then sent by its id with the
        // text as its caption.
        let pic = send_file(&agent, &contact, "w-pic", "Your receipt").await;
        delivery_until(&agent, &contact, &pic, |d| d["status"] == "sent").await;
        let uploads = graph.uploads.lock().unwrap().clone();
        assert_eq!(uploads, vec![(true, "image/png".to_string(), png())]);
        let (_, sent) = graph.sent()[1].clone();
        assert_eq!((sent["type"].as_str(), sent["image"]["id"].as_str()), (Some("image"), Some("media-1")), "{sent}");
        assert_eq!(sent["image"]["caption"], "Your receipt");

        // The customer sends a picture, delivered twice: kept once after its caption.
        let pic_in = json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE_ID},
            "messages": [{"from": "15550004000", "id": "wamid.PIC1", "timestamp": (now - 30).to_string(), "type": "image",
                "image": {"id": "media77", "mime_type": "image/png", "caption": "the dent"}}]}}]}]});
        for _ in 0..2 {
            assert_eq!(post_webhook(&s, "wa", &pic_in, SECRET).await.status, 200);
        }
        let msgs = agent.ok(&format!("/api/contacts/{contact}/messages")).await;
        let theirs: Vec<&Value> = msgs["items"].as_array().unwrap().iter().filter(|m| m["from"] == "customer").collect();
        assert_eq!(theirs.len(), 3, "{msgs}");
        assert_eq!(theirs[1]["text"], "(a image) the dent");
        assert_eq!(theirs[2]["attachment"]["content_type"], "image/png", "{msgs}");
        let got = agent.get(theirs[2]["attachment"]["url"].as_str().unwrap()).await;
        assert_eq!(got.status, 200);

        // A day later the window is closed: free text is refused, and says why.
        s.clock.advance(Duration::from_secs(25 * 3600));
        let r = agent
            .post(&format!("/api/contacts/{contact}/messages"), &json!({"client_id": "w2", "text": "Still there?"}))
            .await;
        let id2 = r.body["id"].as_str().unwrap().to_string();
        s.state.wake_outbox();
        let d = delivery_until(&agent, &contact, &id2, |d| d["status"] == "failed").await;
        assert!(d["error"].as_str().unwrap().contains("24 hours"), "{d}");
        assert_eq!(graph.sent().len(), 2, "nothing sent outside the window");

        // An approved template is the way back. Admins copy templates from WhatsApp
        // Manager; a malformed one is refused, the secrets stay as they were.
        let endpoint = |templates: Value| {
            json!({"provider": "whatsapp", "phone_number_id": PHONE_ID, "queue_id": o.queue,
                   "api_base": api_base, "templates": templates})
        };
        for bad in [
            json!([{"name": "Order Update", "language": "en_US", "body": "Hi"}]),
            json!([{"name": "order_update", "language": "en_US", "body": "Hi {{2}}"}]),
            json!([{"name": "order_update", "language": "en_US", "body": "Hi {{name}}"}]),
            json!([{"name": "a", "language": "en_US", "body": "x"}, {"name": "a", "language": "en_US", "body": "y"}]),
        ] {
            let r = admin.put("/api/channel-endpoints/whatsapp", &endpoint(bad.clone())).await;
            assert_eq!(r.status, 422, "{bad}: {}", r.text);
        }
        let templates = json!([
            {"name": "order_update", "language": "en_US", "body": "Hi {{1}}, your order {{2}} is ready for pickup."},
            {"name": "order_update", "language": "es_MX", "body": "Hola {{1}}, tu pedido {{2}} está listo."},
            {"name": "follow_up", "language": "en_US", "body": "Do you still need help? Reply to continue."}
        ]);
        let put = admin.put("/api/channel-endpoints/whatsapp", &endpoint(templates.clone())).await;
        assert_eq!(put.status, 200, "{}", put.text);
        assert_eq!(put.body["templates"], templates);
        let listed = agent.ok(&format!("/api/contacts/{contact}/templates")).await;
        assert_eq!(listed.as_array().unwrap().len(), 3, "{listed}");
        assert_eq!(listed[0]["params"], 2);
        assert_eq!(listed[2]["params"], 0);

        let send = |body: Value| {
            let agent = &agent;
            let contact = &contact;
            async move { agent.post(&format!("/api/contacts/{contact}/messages"), &body).await }
        };
        for (bad, why) in [
            (json!({"client_id": "t0", "template": {"name": "order_update", "params": ["Wanda", "A-1"]}}), "several languages"),
            (json!({"client_id": "t0", "template": {"name": "order_update", "language": "en_US", "params": ["Wanda"]}}), "takes 2"),
            (json!({"client_id": "t0", "template": {"name": "order_update", "language": "en_US", "params": ["Wanda", " "]}}), "1 to 1024"),
            (json!({"client_id": "t0", "template": {"name": "no_such", "params": []}}), "no approved template"),
            (json!({"client_id": "t0", "internal": true, "template": {"name": "follow_up"}}), "internal note"),
        ] {
            let r = send(bad.clone()).await;
            assert_eq!(r.status, 422, "{bad}: {}", r.text);
            assert!(r.text.contains(why), "{bad}: {}", r.text);
        }
        let r = send(json!({"client_id": "t1", "template": {"name": "order_update", "language": "en_US", "params": ["Wanda", "A-1042"]}})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["text"], "Hi Wanda, your order A-1042 is ready for pickup.");
        assert_eq!(r.body["template"], "order_update");
        let id3 = r.body["id"].as_str().unwrap().to_string();
        s.state.wake_outbox();
        delivery_until(&agent, &contact, &id3, |d| d["status"] == "sent").await;
        let (authorised, sent) = graph.sent().last().cloned().unwrap();
        assert!(authorised);
        assert_eq!(sent["type"], "template", "{sent}");
        assert_eq!(sent["to"], "15550004000");
        assert_eq!(sent["template"]["name"], "order_update");
        assert_eq!(sent["template"]["language"]["code"], "en_US");
        assert_eq!(
            sent["template"]["components"],
            json!([{"type": "body", "parameters": [{"type": "text", "text": "Wanda"}, {"type": "text", "text": "A-1042"}]}])
        );
        assert_eq!(sent["biz_opaque_callback_data"], id3.as_str());
        // The transcript keeps what was sent, and a retry sends nothing twice.
        let again = send(json!({"client_id": "t1", "template": {"name": "order_update", "language": "en_US", "params": ["Wanda", "A-1042"]}})).await;
        assert_eq!((again.status, again.body["id"].as_str()), (201, Some(id3.as_str())), "{}", again.text);
        let msgs = agent.ok(&format!("/api/contacts/{contact}/messages")).await;
        let last = msgs["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((last["template"].as_str(), last["id"].as_str()), (Some("order_update"), Some(id3.as_str())), "{msgs}");
        assert_eq!(graph.sent().len(), 3, "one template sent once");

        // "Test" reads the number with the stored (sealed) token; a wrong token says so.
        // Agents may not test endpoints.
        let t = admin.post("/api/channel-endpoints/whatsapp/test", &json!({})).await;
        assert_eq!((t.status, t.body["ok"].clone()), (200, json!(true)), "{}", t.text);
        assert!(t.body["detail"].as_str().unwrap().contains("+1 555-010-4000"), "{}", t.text);
        assert_eq!(agent.post("/api/channel-endpoints/whatsapp/test", &json!({})).await.status, 403);
        let put = admin
            .put("/api/channel-endpoints/whatsapp", &json!({"provider": "whatsapp", "phone_number_id": PHONE_ID,
                   "access_token": "EAAG-a-token-that-was-revoked", "queue_id": o.queue, "api_base": api_base}))
            .await;
        assert_eq!(put.status, 200, "{}", put.text);
        let t = admin.post("/api/channel-endpoints/whatsapp/test", &json!({})).await;
        assert_eq!(t.body["ok"], false, "{}", t.text);
        assert!(t.body["detail"].as_str().unwrap().contains("Invalid OAuth access token"), "{}", t.text);
        assert_eq!(graph.sent().len(), 3, "a test sends no message");
        s
    })
    .await;
}
