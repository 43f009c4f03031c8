//! The answer bot before the queue: it answers from the knowledge base with the article
//! quoted and linked, hands over to a person when asked or unsure (with what it learned,
//! for the agent), keeps its conversations across a restart, closes silent ones, and
//! counts the time with it toward the wait only where the organisation says so. Over
//! real HTTP, on SQLite and PostgreSQL, with a clock the test moves by hand.

use serde_json::{Value, json};
use store::{Role, Store as _};
use uuid::Uuid;

use crate::common::*;
use crate::routing_live::{accept, advance, agent, offered_to, offers_of, quiet_org, uuid};

/// Turn the bot on for the organisation's queue.
async fn bot_on(s: &Server, o: &Org, time_counts: bool) {
    let a = o
        .client(s, Role::Admin)
        .put(
            "/api/kb/settings",
            &json!({"editors": [], "bot_queues": [o.queue], "bot_time_counts": time_counts}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
}

/// A widget chat: (contact, token).
async fn start_chat(s: &Server, o: &Org, name: &str) -> (Uuid, String) {
    let start = answer(
        reqwest::Client::new()
            .post(format!("{}/api/widget/{}/chats", s.base, o.slug))
            .json(&json!({"name": name, "topic": o.queue.to_string()})),
    )
    .await;
    assert_eq!(start.status, 201, "{}", start.text);
    assert_eq!(start.body["status"], "bot", "{}", start.text);
    assert!(
        start.body["position"].is_null(),
        "in no queue: {}",
        start.text
    );
    (
        uuid(&start.body["contact_id"]),
        start.body["token"].as_str().unwrap().to_string(),
    )
}

async fn say(s: &Server, chat: Uuid, token: &str, text: &str) {
    let a = answer(
        reqwest::Client::new()
            .post(format!("{}/api/widget/chats/{chat}/messages", s.base))
            .bearer_auth(token)
            .json(&json!({"text": text})),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
}

async fn messages(admin: &Client, contact: Uuid) -> Vec<Value> {
    admin.ok(&format!("/api/contacts/{contact}/messages")).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn by_bot(msgs: &[Value]) -> Vec<String> {
    msgs.iter()
        .filter(|m| m["author_name"] == "Answer bot")
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_answers_before_the_queue_and_hands_over_with_what_it_learned() {
    each_backend_with(manual_clock(), |s| async move {
        let o = quiet_org(&s, "bot-first").await;
        server::knowledge::seed_demo(&s.state, o.id).await.unwrap();
        let ana = agent(&s, &o, Role::Agent, json!({"skills": {}, "capacity": 3})).await;
        bot_on(&s, &o, false).await;
        let admin = o.client(&s, Role::Admin);

        // An answer with its article, and a thanks acknowledged: no agent is offered it
        // while an agent is free.
        let (chat, token) = start_chat(&s, &o, "Robin").await;
        say(&s, chat, &token, "When will I get my refund?").await;
        say(&s, chat, &token, "thanks!").await;
        let bot = by_bot(&messages(&admin, chat).await);
        assert_eq!(bot.len(), 2, "{bot:?}");
        assert!(
            bot[0].contains("/help/bot-first/a/refund-time"),
            "{}",
            bot[0]
        );
        assert!(bot[1].starts_with("Glad that helped"), "{}", bot[1]);
        assert!(
            offers_of(&ana).await.is_empty(),
            "the bot holds it, no agent"
        );
        let c = admin.ok(&format!("/api/contacts/{chat}")).await;
        assert_eq!(c["status"], "bot", "{c}");
        assert_eq!(c["bot"]["answers"][0]["slug"], "refund-time", "{c}");

        // Asking for a person hands over at once: queued, offered, with the record.
        say(&s, chat, &token, "I want to talk to a human").await;
        let (offer, _) = offered_to(&ana, chat)
            .await
            .expect("offered once handed over");
        let c = admin.ok(&format!("/api/contacts/{chat}")).await;
        assert_eq!(c["status"], "waiting", "{c}");
        assert_eq!(c["bot"]["handover"]["reason"], "asked_for_person", "{c}");
        assert_eq!(c["bot"]["handover"]["question_seq"], 5, "{c}");
        accept(&ana, offer).await;
        let msgs = messages(&ana, chat).await;
        let texts: Vec<&str> = msgs.iter().filter_map(|m| m["text"].as_str()).collect();
        assert_eq!(
            texts[0], "When will I get my refund?",
            "the agent reads it all: {texts:?}"
        );
        assert!(
            texts
                .iter()
                .any(|t| t
                    .starts_with("The answer bot handed over: the customer asked for a person")),
            "{texts:?}"
        );
        // The bot is quiet once a person has it.
        say(&s, chat, &token, "When will I get my refund?").await;
        assert_eq!(by_bot(&messages(&admin, chat).await).len(), 2);

        // A question it cannot answer is handed over, with the topic the search found
        // (or none), and the customer's question named.
        let (unsure, token2) = start_chat(&s, &o, "Sam").await;
        say(
            &s,
            unsure,
            &token2,
            "Can you repaint the roof of my boat house?",
        )
        .await;
        let c = admin.ok(&format!("/api/contacts/{unsure}")).await;
        assert_eq!(c["status"], "waiting", "{c}");
        let reason = c["bot"]["handover"]["reason"].as_str().unwrap();
        assert!(["no_match", "low_confidence"].contains(&reason), "{c}");
        assert_eq!(c["bot"]["handover"]["question_seq"], 1, "{c}");
        assert!(by_bot(&messages(&admin, unsure).await).is_empty());

        // A restart keeps a conversation with the bot where it was; the widget's button
        // then hands it over.
        let (kept, token3) = start_chat(&s, &o, "Kim").await;
        say(&s, kept, &token3, "How do I return an item?").await;
        let clock = s.clock.clone();
        let s = Server::start_with(s.halt().await, clock).await;
        let admin = o.client(&s, Role::Admin);
        let c = admin.ok(&format!("/api/contacts/{kept}")).await;
        assert_eq!(c["status"], "bot", "{c}");
        assert_eq!(c["bot"]["answers"].as_array().unwrap().len(), 1, "{c}");
        let h = answer(
            reqwest::Client::new()
                .post(format!("{}/api/widget/chats/{kept}/handover", s.base))
                .bearer_auth(&token3),
        )
        .await;
        assert_eq!(h.status, 200, "{}", h.text);
        assert_eq!(h.body["status"], "waiting", "{}", h.text);
        let again = answer(
            reqwest::Client::new()
                .post(format!("{}/api/widget/chats/{kept}/handover", s.base))
                .bearer_auth(&token3),
        )
        .await;
        assert_eq!(
            again.status, 200,
            "a second press changes nothing: {}",
            again.text
        );
        let lines = messages(&admin, kept)
            .await
            .iter()
            .filter(|m| {
                m["text"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("The answer bot handed over"))
            })
            .count();
        assert_eq!(lines, 1);
        let forged = answer(
            reqwest::Client::new()
                .post(format!("{}/api/widget/chats/{kept}/handover", s.base))
                .bearer_auth(&token2),
        )
        .await;
        assert_eq!(forged.status, 401, "another chat's token: {}", forged.text);

        // Silence closes a conversation with the bot: self-served after an answer.
        let (quiet, token4) = start_chat(&s, &o, "Lee").await;
        say(&s, quiet, &token4, "When will I get my refund?").await;
        let (silent, _) = start_chat(&s, &o, "Max").await;
        advance(&s, 1_799).await;
        assert_eq!(
            admin.ok(&format!("/api/contacts/{quiet}")).await["status"],
            "bot"
        );
        advance(&s, 2).await;
        for c in [quiet, silent] {
            let v = admin.ok(&format!("/api/contacts/{c}")).await;
            assert_eq!(v["status"], "closed", "{v}");
        }
        let events = s
            .state
            .store()
            .read_org_events_of_kind(o.id, "contact.closed", i64::MAX, 1_000)
            .await
            .unwrap();
        let closed: Vec<(String, String)> = events
            .iter()
            .filter(|e| {
                [quiet, silent]
                    .iter()
                    .any(|c| e.data["contact_id"] == c.to_string())
            })
            .map(|e| {
                (
                    e.data["contact_id"].as_str().unwrap().to_string(),
                    e.data["reason"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert!(
            closed.contains(&(quiet.to_string(), "self_served".into())),
            "{closed:?}"
        );
        assert!(
            closed.contains(&(silent.to_string(), "left_bot".into())),
            "{closed:?}"
        );
        s
    })
    .await;
}

/// With `bot_time_counts`, a customer handed over keeps the place their first message
/// gave them; without it, they join the back of the line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_with_the_bot_counts_toward_the_wait_only_where_configured() {
    each_backend_with(manual_clock(), |s| async move {
        let o = quiet_org(&s, "bot-wait").await;
        server::knowledge::seed_demo(&s.state, o.id).await.unwrap();
        let admin = o.client(&s, Role::Admin);
        bot_on(&s, &o, true).await;
        let (counted, t1) = start_chat(&s, &o, "Early").await;
        bot_on(&s, &o, false).await;
        let (uncounted, t2) = start_chat(&s, &o, "Also early").await;
        advance(&s, 60).await;
        let plain =
            crate::routing_live::contact(&s, &o, o.queue, "chat", json!({"name": "Queued"})).await;
        advance(&s, 60).await;
        say(&s, counted, &t1, "agent please").await;
        say(&s, uncounted, &t2, "agent please").await;
        let pos = |v: Value| v["position"].clone();
        assert_eq!(
            pos(admin.ok(&format!("/api/contacts/{counted}")).await),
            1,
            "ahead of the contact queued after it started"
        );
        assert_eq!(pos(admin.ok(&format!("/api/contacts/{plain}")).await), 2);
        assert_eq!(
            pos(admin.ok(&format!("/api/contacts/{uncounted}")).await),
            3,
            "behind everyone queued before its handover"
        );
        s
    })
    .await;
}

/// On a text channel the bot's answer leaves by SMS like an agent's, once however often
/// the provider delivers the question; a later question it cannot answer hands over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_answers_by_sms_once_and_hands_over_what_it_cannot_answer() {
    each_backend(|s| async move {
        let o = quiet_org(&s, "bot-sms").await;
        server::knowledge::seed_demo(&s.state, o.id).await.unwrap();
        bot_on(&s, &o, false).await;
        let admin = o.client(&s, Role::Admin);
        let sms = |id: &str, text: &str| {
            json!({"channel": "sms", "from": {"kind": "phone", "value": "+15550109999"},
                   "message_id": id, "text": text, "queue_id": o.queue})
        };
        for _ in 0..2 {
            let a = admin
                .post(
                    "/api/inbound",
                    &sms("SM-bot-1", "When will I get my refund?"),
                )
                .await;
            assert_eq!(a.status, 200, "{}", a.text);
        }
        let contact = admin.ok("/api/contacts?limit=50").await["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel"] == "sms")
            .map(|c| uuid(&c["id"]))
            .unwrap();
        let msgs = messages(&admin, contact).await;
        let bot: Vec<&Value> = msgs
            .iter()
            .filter(|m| m["author_name"] == "Answer bot")
            .collect();
        assert_eq!(bot.len(), 1, "{msgs:?}");
        assert!(
            bot[0]["text"]
                .as_str()
                .unwrap()
                .contains("/help/bot-sms/a/refund-time")
        );
        assert!(
            bot[0]["delivery"].is_object(),
            "it goes out by SMS: {msgs:?}"
        );
        let c = admin.ok(&format!("/api/contacts/{contact}")).await;
        assert_eq!(c["status"], "bot", "{c}");

        let a = admin
            .post(
                "/api/inbound",
                &sms(
                    "SM-bot-2",
                    "My parrot ate the parcel, can you insure birds?",
                ),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        let c = admin.ok(&format!("/api/contacts/{contact}")).await;
        assert_eq!(c["status"], "waiting", "{c}");
        assert_eq!(c["bot"]["handover"]["question_seq"], 3, "{c}");
        s
    })
    .await;
}

/// Insight's answer-bot week: deflection judged a day later, handovers by reason, the
/// rating of a self-served chat, and the unanswered questions grouped by what they
/// share (reading them audited).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insight_reports_deflection_handovers_and_the_questions_to_write_articles_for() {
    each_backend_with(manual_clock(), |s| async move {
        let o = quiet_org(&s, "bot-insight").await;
        server::knowledge::seed_demo(&s.state, o.id).await.unwrap();
        bot_on(&s, &o, false).await;
        let http = reqwest::Client::new();
        let (served, token) = start_chat(&s, &o, "Robin").await;
        say(&s, served, &token, "When will I get my refund?").await;
        for path in ["end", "csat"] {
            let a = answer(
                http.post(format!("{}/api/widget/chats/{served}/{path}", s.base))
                    .bearer_auth(&token)
                    .json(&json!({"rating": 5})),
            )
            .await;
            assert!(a.status < 300, "{path}: {}", a.text);
        }
        for q in [
            "Can I rent a kayak from you?",
            "How much is a kayak for a weekend?",
            "Is the kayak insured?",
            "agent",
        ] {
            let (c, t) = start_chat(&s, &o, "Sam").await;
            say(&s, c, &t, q).await;
        }
        let analyst = o.client(&s, Role::Analyst);
        let early = analyst.ok("/api/insight").await["bot"].clone();
        assert_eq!(early["conversations"], 5, "{early}");
        assert_eq!(early["pending"], 1, "not judged before a day: {early}");
        advance(&s, 25 * 3600).await;
        let bot = analyst.ok("/api/insight").await["bot"].clone();
        assert_eq!(bot["self_served"], 1, "{bot}");
        assert_eq!(bot["deflected"], 1, "{bot}");
        assert_eq!(bot["deflection_percent"], 20.0, "{bot}");
        assert_eq!(bot["handed_over"], 4, "{bot}");
        assert_eq!(bot["handover_percent"], 80.0, "{bot}");
        assert_eq!(bot["csat_avg"], 5.0, "{bot}");
        let reasons = bot["handover_reasons"].as_array().unwrap();
        assert!(
            reasons
                .iter()
                .any(|r| r["reason"] == "asked_for_person" && r["count"] == 1),
            "{bot}"
        );
        let groups = bot["unanswered"].as_array().unwrap();
        assert_eq!(groups[0]["label"], "kayak", "{bot}");
        assert_eq!(groups[0]["count"], 3, "{bot}");
        assert_eq!(groups[0]["examples"].as_array().unwrap().len(), 3, "{bot}");
        let audits = s
            .state
            .store()
            .read_org_events_of_kind(o.id, "audit.read", i64::MAX, 100)
            .await
            .unwrap();
        assert!(
            audits.iter().any(|e| e.data["what"] == "bot_unanswered"),
            "reading the questions is audited"
        );
        s
    })
    .await;
}

/// The company's order endpoint, as a guided action calls it: it checks the signature
/// itself (HMAC-SHA256 of "<t>.<body>") and answers by order number.
async fn order_endpoint(
    secret: &'static str,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use hmac::{Hmac, KeyInit, Mac};
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/hooks/order",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let log = log.clone();
            async move {
                let sig = headers
                    .get("x-homeshore-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let (t, v1) = sig
                    .split_once(",v1=")
                    .map(|(t, v)| (t.trim_start_matches("t=").to_string(), v.to_string()))
                    .unwrap_or_default();
                let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
                mac.update(format!("{t}.").as_bytes());
                mac.update(&body);
                let valid = hex::decode(&v1).is_ok_and(|v| mac.verify_slice(&v).is_ok());
                if !valid {
                    return (axum::http::StatusCode::UNAUTHORIZED, "bad signature".to_string());
                }
                let v: Value = serde_json::from_slice(&body).unwrap();
                log.lock().unwrap().push(v.clone());
                match v["values"]["order_number"].as_str().unwrap_or("") {
                    "HS-12345" => (
                        axum::http::StatusCode::OK,
                        json!({"status": "on its way", "eta": "Friday"}).to_string(),
                    ),
                    "HS-77777" => (
                        axum::http::StatusCode::OK,
                        json!({"status": "held at customs", "eta": "unknown", "handover": true}).to_string(),
                    ),
                    "HS-55555" => {
                        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                        (axum::http::StatusCode::OK, "{}".to_string())
                    }
                    _ => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "down".to_string()),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/order", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

/// A guided action: a phrase starts it, the bot asks for the order number (again, with
/// the hint, when it does not fit), calls the company's endpoint signed (checked by
/// that endpoint, a real HTTP server here) and answers from its fields; a failing, slow
/// or refusing endpoint, or a customer who cannot give a number, reaches a person at
/// once. Admins get the field that is wrong, never the secret back, and can try it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guided_actions_call_the_companys_endpoint_signed_and_fall_back_to_a_person() {
    each_backend(|s| async move {
        const SECRET: &str = "order-hook-secret-0123";
        let (url, seen) = order_endpoint(SECRET).await;
        let o = quiet_org(&s, "bot-act").await;
        server::knowledge::seed_demo(&s.state, o.id).await.unwrap();
        bot_on(&s, &o, false).await;
        let admin = o.client(&s, Role::Admin);
        let action = json!({
            "title": "Where is my order",
            "triggers": ["where is my order", "track my order"],
            "ask": [{"name": "order_number", "prompt": "What is your order number?",
                     "pattern": "HS-\\d{5}", "hint": "Order numbers look like HS-12345."}],
            "url": url, "secret": SECRET, "timeout_ms": 1000,
            "reply": "Order {{order_number}} is {{status}}, arriving {{eta}}."
        });
        for (change, field) in [
            (
                json!({"ask": [{"name": "n", "prompt": "p", "pattern": "("}]}),
                "ask[0].pattern",
            ),
            (json!({"url": "ftp://example.com/x"}), "url"),
            (json!({"secret": "short"}), "secret"),
            (json!({"triggers": []}), "triggers"),
        ] {
            let mut body = action.clone();
            for (k, v) in change.as_object().unwrap() {
                body[k] = v.clone();
            }
            let bad = admin.put("/api/bot/actions/where-is-my-order", &body).await;
            assert_eq!(bad.status, 422, "{field}: {}", bad.text);
            assert!(
                bad.body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .starts_with(field),
                "{}",
                bad.text
            );
        }
        let mut no_secret = action.clone();
        no_secret.as_object_mut().unwrap().remove("secret");
        let bad = admin
            .put("/api/bot/actions/where-is-my-order", &no_secret)
            .await;
        assert_eq!(bad.status, 422, "a new action needs a secret: {}", bad.text);
        let put = admin
            .put("/api/bot/actions/where-is-my-order", &action)
            .await;
        assert_eq!(put.status, 200, "{}", put.text);
        assert_eq!(put.body["has_secret"], true);
        // Saved again without the secret: the stored one is kept.
        let again = admin
            .put("/api/bot/actions/where-is-my-order", &no_secret)
            .await;
        assert_eq!(again.status, 200, "{}", again.text);
        let list = admin.ok("/api/bot/actions").await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
        assert!(
            !list.to_string().contains(SECRET),
            "the secret is never read back"
        );
        let stored = s
            .state
            .store()
            .get_object_by_name(o.id, store::ObjectKind::BotAction, "where-is-my-order")
            .await
            .unwrap()
            .unwrap();
        assert!(!stored.data.to_string().contains(SECRET), "sealed at rest");

        // Asked, asked again with the hint, called, answered.
        let (chat, token) = start_chat(&s, &o, "Robin").await;
        say(&s, chat, &token, "Hi, where is my order?").await;
        say(&s, chat, &token, "12345").await;
        say(&s, chat, &token, "HS-12345").await;
        let bot = by_bot(&messages(&admin, chat).await);
        assert_eq!(
            bot,
            [
                "What is your order number?",
                "Order numbers look like HS-12345. What is your order number?",
                "Order HS-12345 is on its way, arriving Friday.",
            ],
        );
        let c = admin.ok(&format!("/api/contacts/{chat}")).await;
        assert_eq!(c["status"], "bot", "answered without a person: {c}");
        {
            let calls = seen.lock().unwrap();
            assert_eq!(calls.len(), 1, "one signed call: {calls:?}");
            assert_eq!(calls[0]["contact_id"], chat.to_string());
            assert_eq!(calls[0]["action"], "where-is-my-order");
        }

        // Every way it can fail ends with a person, the action named as the topic.
        for (order, reason) in [
            ("HS-99999", "action_failed"),
            ("HS-55555", "action_failed"),
            ("HS-77777", "action_handover"),
        ] {
            let (c, t) = start_chat(&s, &o, "Sam").await;
            say(&s, c, &t, "track my order please").await;
            say(&s, c, &t, order).await;
            let v = admin.ok(&format!("/api/contacts/{c}")).await;
            assert_eq!(v["status"], "waiting", "{order}: {v}");
            assert_eq!(v["bot"]["handover"]["reason"], reason, "{order}: {v}");
            assert_eq!(
                v["bot"]["handover"]["topic"], "Where is my order",
                "{order}: {v}"
            );
            let said = by_bot(&messages(&admin, c).await);
            if order == "HS-77777" {
                assert_eq!(
                    said.last().unwrap(),
                    "Order HS-77777 is held at customs, arriving unknown."
                );
            } else {
                assert!(
                    said.last().unwrap().starts_with("I could not look that up"),
                    "{said:?}"
                );
            }
        }
        let (c, t) = start_chat(&s, &o, "Kim").await;
        say(&s, c, &t, "where is my order").await;
        say(&s, c, &t, "I don't know").await;
        say(&s, c, &t, "no idea").await;
        let v = admin.ok(&format!("/api/contacts/{c}")).await;
        assert_eq!(
            v["bot"]["handover"]["reason"], "action_failed",
            "gave up: {v}"
        );

        // Admins try it with sample values.
        let tried = admin
            .post(
                "/api/bot/actions/where-is-my-order/try",
                &json!({"values": {"order_number": "HS-12345"}}),
            )
            .await;
        assert_eq!(tried.status, 200, "{}", tried.text);
        assert_eq!(
            tried.body["reply"],
            "Order HS-12345 is on its way, arriving Friday."
        );
        let missing = admin
            .post(
                "/api/bot/actions/where-is-my-order/try",
                &json!({"values": {}}),
            )
            .await;
        assert_eq!(missing.status, 422, "{}", missing.text);

        // Deleted: the phrase is only a question for the knowledge base again.
        let del = admin
            .send("DELETE", "/api/bot/actions/where-is-my-order", None, &[])
            .await;
        assert_eq!(del.status, 204, "{}", del.text);
        let (c, t) = start_chat(&s, &o, "Lee").await;
        say(&s, c, &t, "where is my order").await;
        assert!(
            !by_bot(&messages(&admin, c).await)
                .iter()
                .any(|m| m == "What is your order number?"),
            "no action any more"
        );
        s
    })
    .await;
}
