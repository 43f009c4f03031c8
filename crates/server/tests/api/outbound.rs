//! The outbound half of the channel contract, as an integration sees it: an agent's
//! reply to a text leaves through the outbox to the organisation's endpoint (a real HTTP
//! server here, checking our signature), is retried with backoff while the endpoint
//! fails, survives a restart while it waits, fails with the endpoint's words when
//! refused, and moves forward only on receipts. On SQLite and PostgreSQL, with a clock
//! the test moves by hand.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use store::{Role, Store as _};
use uuid::Uuid;

use crate::common::*;

/// One request the endpoint received.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub(crate) body: Value,
    pub(crate) raw: Vec<u8>,
    pub(crate) signature: String,
    pub(crate) idempotency_key: String,
}

/// A stand-in for an SMS integration: answers each request with the next scripted
/// answer (then 200), and remembers what it got.
#[derive(Clone, Default)]
pub(crate) struct Endpoint {
    script: Arc<Mutex<VecDeque<(u16, Value)>>>,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Endpoint {
    pub(crate) async fn start(script: Vec<(u16, Value)>) -> (Endpoint, String) {
        let ep = Endpoint {
            script: Arc::new(Mutex::new(script.into())),
            hits: Arc::default(),
        };
        let e = ep.clone();
        let app = axum::Router::new().route(
            "/out",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let e = e.clone();
                async move {
                    let h = |k: &str| {
                        headers
                            .get(k)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string()
                    };
                    e.hits.lock().unwrap().push(Hit {
                        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                        raw: body.to_vec(),
                        signature: h("x-homeshore-signature"),
                        idempotency_key: h("idempotency-key"),
                    });
                    let (status, answer) = e
                        .script
                        .lock()
                        .unwrap()
                        .pop_front()
                        .unwrap_or((200, json!({})));
                    (StatusCode::from_u16(status).unwrap(), axum::Json(answer))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/out", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (ep, url)
    }

    pub(crate) fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    pub(crate) async fn wait_for(&self, n: usize) -> Vec<Hit> {
        for _ in 0..300 {
            let h = self.hits();
            if h.len() >= n {
                return h;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the endpoint got {} requests, not {n}", self.hits().len());
    }
}

/// A webhook's delivery log (`path`) once it holds `n` attempts (they are logged as
/// they are made, in the background).
pub(crate) async fn deliveries_until(c: &Client, path: &str, n: usize) -> Value {
    let mut log = json!(null);
    for _ in 0..100 {
        log = c.ok(path).await;
        if log["items"].as_array().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    log
}

/// Our signature, checked the way an integration would.
pub(crate) fn verify(secret: &str, hit: &Hit) -> bool {
    let Some((t, v1)) = hit
        .signature
        .strip_prefix("t=")
        .and_then(|r| r.split_once(",v1="))
    else {
        return false;
    };
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&hit.raw);
    hex::encode(mac.finalize().into_bytes()) == v1
}

/// An SMS from a customer, taken by the org's agent: the contact's id.
async fn texting_customer(s: &Server, o: &Org, phone: &str) -> String {
    let admin = o.client(s, Role::Admin);
    let a = admin
        .post(
            "/api/inbound",
            &json!({"channel": "sms", "from": {"kind": "phone", "value": phone, "name": "Sam"},
                    "message_id": format!("in-{phone}"), "text": "Where is my parcel?", "queue_id": o.queue}),
        )
        .await;
    assert_eq!(a.status, 200, "inbound: {}", a.text);
    let contact: Uuid = a.body["contact"]["id"].as_str().unwrap().parse().unwrap();
    let agent = o.client(s, Role::Agent);
    for _ in 0..150 {
        if let Some((offer, _)) = offers(s, o).await.into_iter().find(|(_, c)| *c == contact) {
            let r = agent
                .post(&format!("/api/offers/{offer}/accept"), &json!({}))
                .await;
            assert_eq!(r.status, 200, "accept: {}", r.text);
            return contact.to_string();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the text was never offered to the agent");
}

async fn reply(s: &Server, o: &Org, contact: &str, text: &str) -> Value {
    let a = o
        .client(s, Role::Agent)
        .post(
            &format!("/api/contacts/{contact}/messages"),
            &json!({"client_id": Uuid::new_v4().to_string(), "text": text}),
        )
        .await;
    assert_eq!(a.status, 201, "reply: {}", a.text);
    a.body
}

#[tokio::test]
async fn an_agents_reply_leaves_through_the_outbox_with_retries_receipts_and_a_restart() {
    each_backend_with(manual_clock(), |s| async move {
        let o = seed_org(&s, "outbox").await;
        let (ep, url) = Endpoint::start(vec![
            (503, json!({"error": "busy"})),
            (200, json!({"provider_message_id": "SM-out-1"})),
            (500, json!({"error": "down"})),
            (200, json!({"id": "SM-out-2"})),
            (400, json!({"error": "21211 invalid 'To' number"})),
        ])
        .await;
        let admin = o.client(&s, Role::Admin);
        let put = admin
            .put("/api/channel-endpoints/sms", &json!({"webhook_url": url}))
            .await;
        assert_eq!(put.status, 200, "{}", put.text);
        let secret = put.body["secret"].as_str().expect("a new secret is shown once").to_string();
        let listed = admin.ok("/api/channel-endpoints").await;
        assert_eq!(listed["items"][0]["channel"], "sms");
        assert!(listed["items"][0].get("secret").is_none(), "never listed: {listed}");
        assert_eq!(
            listed["items"][0]["secret_hint"].as_str().unwrap(),
            &secret[secret.len() - 4..]
        );

        let contact = texting_customer(&s, &o, "+15550102030").await;
        let m1 = reply(&s, &o, &contact, "It left our warehouse today.").await;
        assert_eq!(m1["delivery"]["status"], "queued", "{m1}");
        let id1 = m1["id"].as_str().unwrap().to_string();

        // First attempt: 503, so it waits 2 s and tries again.
        let hits = ep.wait_for(1).await;
        assert!(verify(&secret, &hits[0]), "signature: {}", hits[0].signature);
        assert_eq!(hits[0].idempotency_key, id1);
        assert_eq!(hits[0].body["to"], json!({"kind": "phone", "value": "+15550102030"}));
        assert_eq!(hits[0].body["text"], "It left our warehouse today.");
        assert_eq!(hits[0].body["channel"], "sms");
        let agent = o.client(&s, Role::Agent);
        let d = delivery_until(&agent, &contact, &id1, |d| d["attempts"] == 1).await;
        assert_eq!(d["status"], "queued");
        assert!(d["error"].as_str().unwrap().contains("503"), "{d}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(ep.hits().len(), 1, "no second attempt before the backoff is over");
        s.clock.advance(Duration::from_secs(2));
        s.state.wake_outbox();
        let hits = ep.wait_for(2).await;
        assert_eq!(hits[1].idempotency_key, id1, "the retry is the same message");
        assert_eq!(hits[1].body["attempt"], 2);
        let d = delivery_until(&agent, &contact, &id1, |d| d["status"] == "sent").await;
        assert_eq!(d["attempts"], 2);
        assert!(d["error"].is_null(), "{d}");

        // Receipts move it forward, never back; our id or the provider's will do.
        let sup = o.client(&s, Role::Supervisor);
        let r = sup
            .post("/api/receipts", &json!({"channel": "sms", "provider_message_id": "SM-out-1", "status": "delivered"}))
            .await;
        assert_eq!((r.status, r.body["status"].clone()), (200, json!("delivered")), "{}", r.text);
        let late = sup
            .post("/api/receipts", &json!({"message_id": id1, "status": "sent"}))
            .await;
        assert_eq!(late.body["status"], "delivered", "a late receipt changes nothing: {}", late.text);
        let bad = sup
            .post("/api/receipts", &json!({"message_id": id1, "status": "bounced"}))
            .await;
        assert_eq!(bad.status, 422, "{}", bad.text);
        let d = delivery_of(&agent, &contact, &id1).await;
        assert_eq!(d["status"], "delivered");
        // Another organisation cannot see or move it.
        let other = seed_org(&s, "outbox-other").await;
        let foreign = other
            .client(&s, Role::Admin)
            .post("/api/receipts", &json!({"message_id": id1, "status": "read"}))
            .await;
        assert_eq!(foreign.status, 404, "{}", foreign.text);

        // The next reply fails once (500), then the server stops before the retry.
        let m2 = reply(&s, &o, &contact, "Tracking number to follow.").await;
        let id2 = m2["id"].as_str().unwrap().to_string();
        ep.wait_for(3).await;
        delivery_until(&agent, &contact, &id2, |d| d["attempts"] == 1).await;
        let clock = s.clock.clone();
        let s = Server::start_with(s.halt().await, clock).await;
        s.clock.advance(Duration::from_secs(3));
        s.state.wake_outbox();
        let hits = ep.wait_for(4).await;
        assert_eq!(hits[3].idempotency_key, id2, "sent after the restart");
        let agent = o.client(&s, Role::Agent);
        let d = delivery_until(&agent, &contact, &id2, |d| d["status"] == "sent").await;
        assert_eq!(d["attempts"], 2);
        let by_provider = o
            .client(&s, Role::Admin)
            .post("/api/receipts", &json!({"channel": "sms", "provider_message_id": "SM-out-2", "status": "read"}))
            .await;
        assert_eq!(by_provider.body["status"], "read", "{}", by_provider.text);

        // A refusal (400) is final, with the endpoint's words for the agent.
        let m3 = reply(&s, &o, &contact, "Anything else?").await;
        let id3 = m3["id"].as_str().unwrap().to_string();
        let d = delivery_until(&agent, &contact, &id3, |d| d["status"] == "failed").await;
        assert!(d["error"].as_str().unwrap().contains("21211"), "{d}");
        assert_eq!(ep.hits().len(), 5, "no retry after a refusal");

        // Prometheus counts each move (since this process started: the restart).
        let metrics = metrics_text(&s).await;
        for line in [
            r#"homeshore_deliveries_total{channel="sms",status="sent"} 1"#,
            r#"homeshore_deliveries_total{channel="sms",status="read"} 1"#,
            r#"homeshore_deliveries_total{channel="sms",status="failed"} 1"#,
        ] {
            assert!(metrics.contains(line), "{line} in\n{metrics}");
        }

        // Internal notes never leave.
        let note = agent
            .post(
                &format!("/api/contacts/{contact}/messages"),
                &json!({"client_id": "note-1", "text": "customer sounds upset", "internal": true}),
            )
            .await;
        assert_eq!(note.status, 201, "{}", note.text);
        assert!(note.body["delivery"].is_null(), "{}", note.text);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(ep.hits().len(), 5);

        // "Test" sends the integration a signed test message, no customer's.
        let t = o.client(&s, Role::Admin).post("/api/channel-endpoints/sms/test", &json!({})).await;
        assert_eq!((t.status, t.body["ok"].clone()), (200, json!(true)), "{}", t.text);
        let hits = ep.wait_for(6).await;
        assert_eq!(hits[5].body["type"], "test", "{:?}", hits[5].body);
        assert!(verify(&secret, &hits[5]), "signed with the stored secret after the restart");
        s
    })
    .await;
}

#[tokio::test]
async fn a_channel_without_an_endpoint_fails_its_replies_and_web_chat_needs_none() {
    each_backend(|s| async move {
        let o = seed_org(&s, "noendpoint").await;
        let contact = texting_customer(&s, &o, "+15550109999").await;
        let m = reply(&s, &o, &contact, "Hello!").await;
        let agent = o.client(&s, Role::Agent);
        let d = delivery_until(&agent, &contact, m["id"].as_str().unwrap(), |d| {
            d["status"] == "failed"
        })
        .await;
        assert!(
            d["error"].as_str().unwrap().contains("no sms endpoint"),
            "{d}"
        );

        // Web chat is its own transport: the reply is in the customer's conversation.
        let chat = active_contact(&s, &o).await.to_string();
        let m = reply(&s, &o, &chat, "Hi there").await;
        let d = delivery_until(&agent, &chat, m["id"].as_str().unwrap(), |d| {
            d["status"] == "sent"
        })
        .await;
        assert_eq!(d["attempts"], 1);
        s
    })
    .await;
}

#[tokio::test]
async fn endpoints_are_for_admins_and_checked() {
    each_backend(|s| async move {
        let o = seed_org(&s, "endpoints").await;
        let admin = o.client(&s, Role::Admin);
        for (body, what) in [
            (json!({"webhook_url": "relay.example/out"}), "no scheme"),
            (json!({"provider": "twilio", "account_sid": "AC0123456789abcdef", "auth_token": "0123456789abcdef", "from": "+15550001000", "public_base_url": "https://cc.example"}), "twilio without a queue"),
            (json!({"provider": "carrier-pigeon", "webhook_url": "http://relay/out"}), "provider"),
            (json!({"webhook_url": "ftp://relay/out"}), "scheme"),
            (json!({"webhook_url": "http:///out"}), "host"),
            (
                json!({"webhook_url": "http://relay/out", "secret": "short"}),
                "secret",
            ),
            (
                json!({"webhook_url": "http://relay/out", "extra": 1}),
                "unknown field",
            ),
        ] {
            let a = admin.put("/api/channel-endpoints/sms", &body).await;
            assert_eq!(a.status, 422, "{what}: {}", a.text);
            a.assert_error_shape(what);
        }
        for channel in ["chat", "voice", "fax"] {
            let a = admin
                .put(
                    &format!("/api/channel-endpoints/{channel}"),
                    &json!({"webhook_url": "http://relay/out"}),
                )
                .await;
            assert_eq!(a.status, 422, "{channel}: {}", a.text);
        }
        let a = admin
            .put(
                "/api/channel-endpoints/email",
                &json!({"webhook_url": "http://relay/out", "secret": "0123456789abcdef-given"}),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        assert!(
            a.body.get("secret").is_none(),
            "a given secret is not echoed: {}",
            a.text
        );
        // Changing the URL keeps the secret.
        let a = admin
            .put(
                "/api/channel-endpoints/email",
                &json!({"webhook_url": "http://relay2/out"}),
            )
            .await;
        assert_eq!(a.body["secret_hint"], "iven", "{}", a.text);
        let listed = admin.ok("/api/channel-endpoints").await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
        assert_eq!(listed["items"][0]["webhook_url"], "http://relay2/out");
        // Nobody else reads them, and the generic object lists never show them.
        for role in [Role::Supervisor, Role::Agent, Role::Analyst] {
            let a = o.client(&s, role).get("/api/channel-endpoints").await;
            assert_eq!(a.status, 403, "{role:?}: {}", a.text);
        }
        let d = admin
            .send("DELETE", "/api/channel-endpoints/email", None, &[])
            .await;
        assert_eq!(d.status, 204, "{}", d.text);
        let d = admin
            .send("DELETE", "/api/channel-endpoints/email", None, &[])
            .await;
        assert_eq!(d.status, 404, "{}", d.text);
        s
    })
    .await;
}

#[tokio::test]
async fn changes_to_access_and_configuration_name_who_made_them() {
    each_backend(|s| async move {
        let o = seed_org(&s, "actors").await;
        let admin = o.client(&s, Role::Admin);
        let a = admin.post("/api/skills", &json!({"name": "returns"})).await;
        assert_eq!(a.status, 201, "{}", a.text);
        let a = admin
            .put(
                "/api/channel-endpoints/sms",
                &json!({"webhook_url": "http://relay/out"}),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        let a = admin
            .post("/api/tokens", &json!({"name": "crm", "scopes": ["read"]}))
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
        let events = admin.ok("/api/events?limit=500").await;
        let admin_id = o.user(Role::Admin);
        for kind in ["object.put", "channel_endpoint.put", "token.created"] {
            let e = events["items"]
                .as_array()
                .unwrap()
                .iter()
                .rev()
                .find(|e| e["kind"] == kind)
                .unwrap_or_else(|| panic!("no {kind} in {events}"));
            assert_eq!(e["data"]["actor"]["kind"], "api_token", "{kind}: {e}");
            assert_eq!(
                e["data"]["actor"]["user_id"],
                json!(admin_id),
                "{kind}: {e}"
            );
        }
        s
    })
    .await;
}

/// An alert rule over the wallboard's figures raises an alert for the consoles and calls
/// the organisation's webhook, signed like every webhook, retried after a failure, with
/// each attempt in the delivery log; it clears when the figure comes back.
#[tokio::test]
async fn alerts_rise_for_the_consoles_and_call_a_signed_webhook_that_is_retried() {
    each_backend(|s| async move {
        let o = seed_org(&s, "alerts").await;
        let (ep, url) = Endpoint::start(vec![(500, json!({}))]).await;
        let admin = o.client(&s, Role::Admin);
        let secret = "alerts-signing-secret-0001";
        let rule = json!({"name": "Line forming", "queue_id": o.queue, "metric": "waiting",
                          "when": "above", "threshold": 0, "for_s": 0});
        for (body, what) in [
            (json!({"rules": [rule.clone(), rule.clone()]}), "rules[1].name"),
            (json!({"rules": [rule.clone()], "webhook_url": url.clone()}), "webhook_secret"),
            (json!({"rules": [rule.clone()], "webhook_url": "http://example.com/x", "webhook_secret": secret}), "webhook_url"),
        ] {
            let r = admin.put("/api/alerts", &body).await;
            assert_eq!(r.status, 422, "{}", r.text);
            assert!(r.text.contains(what), "{what}: {}", r.text);
        }
        let analyst = o.client(&s, Role::Analyst);
        assert_eq!(analyst.put("/api/alerts", &json!({"rules": []})).await.status, 403);
        let put = admin
            .put("/api/alerts", &json!({"rules": [rule], "webhook_url": url, "webhook_secret": secret}))
            .await;
        assert_eq!(put.status, 200, "{}", put.text);
        assert_eq!(put.body["has_secret"], true);
        assert!(!put.text.contains(secret), "the secret never comes back");

        server::alerts::check(&s.state).await;
        assert_eq!(analyst.ok("/api/alerts/active").await, json!([]), "nothing waits yet");
        let c = create_contact(&s, &o, "Wanda Wait").await;
        server::alerts::check(&s.state).await;
        let active = analyst.ok("/api/alerts/active").await;
        assert_eq!(active.as_array().unwrap().len(), 1, "{active}");
        assert_eq!((active[0]["rule"].clone(), active[0]["value"].clone()), (json!("Line forming"), json!(1.0)));

        // Refused once (500), then delivered on the retry; both signed.
        let hits = ep.wait_for(2).await;
        for h in &hits {
            assert!(verify(secret, h), "signed: {:?}", h.signature);
            assert_eq!(h.body["type"], "alert.raised");
            assert_eq!(h.body["alert"]["rule"], "Line forming");
        }
        let log = deliveries_until(&admin, "/api/alerts/deliveries", 2).await;
        let items = log["items"].as_array().unwrap();
        assert_eq!((items[1]["attempt"].clone(), items[1]["ok"].clone(), items[1]["status"].clone()), (json!(1), json!(false), json!(500)), "{log}");
        assert_eq!((items[0]["attempt"].clone(), items[0]["ok"].clone()), (json!(2), json!(true)), "{log}");
        let events = admin.ok("/api/events?limit=1000").await;
        assert!(events["items"].as_array().unwrap().iter().any(|e| e["kind"] == "alert.raised"), "{events}");

        // The agent takes the contact: nobody waits, the alert clears, the webhook hears.
        let cid: Uuid = c["id"].as_str().unwrap().parse().unwrap();
        let mut taken = false;
        for _ in 0..100 {
            if let Some((offer, _)) = offers(&s, &o).await.into_iter().find(|(_, c)| *c == cid) {
                let a = o.client(&s, Role::Agent).post(&format!("/api/offers/{offer}/accept"), &json!({})).await;
                assert_eq!(a.status, 200, "{}", a.text);
                taken = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(taken, "the contact is offered to the agent");
        server::alerts::check(&s.state).await;
        assert_eq!(analyst.ok("/api/alerts/active").await, json!([]));
        let hits = ep.wait_for(3).await;
        assert_eq!(hits[2].body["type"], "alert.cleared");
        assert!(verify(secret, &hits[2]));
        s
    })
    .await;
}

/// A webhook call that failed when the server stopped is made again after the restart,
/// as the next attempt of the same change; the alert that was up is not raised twice.
#[tokio::test]
async fn an_alert_call_owed_at_a_stop_is_made_after_the_restart() {
    each_backend(|s| async move {
        let o = seed_org(&s, "alerts-restart").await;
        let (ep, url) = Endpoint::start(vec![(503, json!({}))]).await;
        let secret = "alerts-signing-secret-0002";
        let rule = json!({"name": "Line forming", "queue_id": o.queue, "metric": "waiting",
                          "when": "above", "threshold": 0, "for_s": 0});
        let admin = o.client(&s, Role::Admin);
        let put = admin
            .put(
                "/api/alerts",
                &json!({"rules": [rule], "webhook_url": url, "webhook_secret": secret}),
            )
            .await;
        assert_eq!(put.status, 200, "{}", put.text);
        create_contact(&s, &o, "Wanda Wait").await;
        server::alerts::check(&s.state).await;
        let first = ep.wait_for(1).await;
        assert_eq!(first[0].body["type"], "alert.raised");
        // Stopped before the retry (1 s later).
        let data = s.halt().await;
        assert_eq!(
            ep.hits.lock().unwrap().len(),
            1,
            "no retry from a stopped server"
        );
        let s = Server::start_with(data, server::Clock::System).await;
        server::alerts::check(&s.state).await;
        let hits = ep.wait_for(2).await;
        assert!(verify(secret, &hits[1]), "signed: {:?}", hits[1].signature);
        assert_eq!(hits[1].body, first[0].body, "the same change");
        let admin = o.client(&s, Role::Admin);
        let log = deliveries_until(&admin, "/api/alerts/deliveries", 2).await;
        let items = log["items"].as_array().unwrap();
        assert_eq!(
            (items[0]["attempt"].clone(), items[0]["ok"].clone()),
            (json!(2), json!(true)),
            "{log}"
        );
        assert_eq!(
            (items[1]["attempt"].clone(), items[1]["status"].clone()),
            (json!(1), json!(503)),
            "{log}"
        );
        // Still up after the restart, and raised once.
        server::alerts::check(&s.state).await;
        let active = admin.ok("/api/alerts/active").await;
        assert_eq!(active.as_array().unwrap().len(), 1, "{active}");
        let raised = s
            .state
            .store()
            .read_org_events_of_kind(o.id, "alert.raised", i64::MAX, 100)
            .await
            .unwrap();
        assert_eq!(raised.len(), 1, "raised once");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(ep.hits.lock().unwrap().len(), 2, "nothing sent twice");
        s
    })
    .await;
}

/// A customer with two numbers (two customers merged): a reply goes back to the number
/// the conversation came in on, not to whichever the customer had first.
#[tokio::test]
async fn a_reply_goes_to_the_number_its_conversation_came_in_on() {
    each_backend(|s| async move {
        let o = seed_org(&s, "two-numbers").await;
        let (ep, url) = Endpoint::start(vec![]).await;
        let admin = o.client(&s, Role::Admin);
        let put = admin
            .put("/api/channel-endpoints/sms", &json!({"webhook_url": url}))
            .await;
        assert_eq!(put.status, 200, "{}", put.text);
        let first = texting_customer(&s, &o, "+15550107001").await;
        let second = texting_customer(&s, &o, "+15550107002").await;
        let customer_of = |c: Value| c["customer_id"].as_str().unwrap().to_string();
        let a = customer_of(admin.ok(&format!("/api/contacts/{first}")).await);
        let b = customer_of(admin.ok(&format!("/api/contacts/{second}")).await);
        let merged = admin
            .post(&format!("/api/customers/{a}/merge"), &json!({"from": b}))
            .await;
        assert_eq!(merged.status, 200, "{}", merged.text);
        assert_eq!(
            customer_of(admin.ok(&format!("/api/contacts/{second}")).await),
            a
        );
        reply(&s, &o, &second, "To your second number").await;
        reply(&s, &o, &first, "To your first number").await;
        let hits = ep.wait_for(2).await;
        let to = |text: &str| {
            hits.iter()
                .find(|h| h.body["text"] == text)
                .map(|h| h.body["to"]["value"].as_str().unwrap().to_string())
                .unwrap()
        };
        assert_eq!(to("To your second number"), "+15550107002");
        assert_eq!(to("To your first number"), "+15550107001");
        s
    })
    .await;
}
