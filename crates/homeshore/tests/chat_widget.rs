//! The chat widget's API end to end, over real HTTP and WebSockets against the real
//! server: a customer opens a chat, an agent accepts it, messages flow both ways, the
//! customer drops its connection and resumes with `after_seq` (nothing lost, nothing
//! twice), internal notes stay internal, attachments are accepted or refused by their
//! bytes, the chat ends and is rated. Runs on SQLite, then on PostgreSQL
//! (`HOMESHORE_TEST_PG`, default `postgres://postgres@127.0.0.1:5432/test`; skipped
//! loudly when unreachable, except in CI).

#[path = "../src/cmd/demo/client.rs"]
mod client;

use std::path::PathBuf;
use std::time::Duration;

use client::{CustomerChat, Event, Events, StaffSession, api_status};
use serde_json::{Value, json};
use server::AppState;
use tokio::time::timeout;
use uuid::Uuid;

const PASSWORD: &str = "correct-horse-battery";

struct Harness {
    base: String,
    help_queue: Uuid,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    dir: PathBuf,
}

impl Harness {
    async fn start(db: Option<store::Db>) -> Harness {
        let dir =
            std::env::temp_dir().join(format!("homeshore-chat-test-{}", Uuid::new_v4().simple()));
        let config = server::Config {
            data_dir: dir.clone(),
            argon2_m_kib: 4096,
            login_burst: 100,
            ..Default::default()
        };
        let state = match db {
            None => AppState::open(config)
                .await
                .expect("server starts on SQLite"),
            Some(db) => AppState::with_store(db, config, server::Clock::System)
                .await
                .expect("server starts on PostgreSQL"),
        };
        let org = server::seed::create_org(&state, "acme", "Acme Outdoor")
            .await
            .unwrap();
        let help = server::seed::create_queue(
            &state,
            org.id,
            "Help",
            json!({"required_skills": [], "public": true}),
        )
        .await
        .unwrap();
        server::seed::create_queue(&state, org.id, "Escalations", json!({"public": false}))
            .await
            .unwrap();
        server::seed::create_user(
            &state,
            org.id,
            "ada@acme.example",
            "Ada Lovelace",
            store::Role::Agent,
            PASSWORD,
        )
        .await
        .unwrap();
        server::seed::create_user(
            &state,
            org.id,
            "bob@acme.example",
            "Bob Other",
            store::Role::Agent,
            PASSWORD,
        )
        .await
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        Harness {
            base,
            help_queue: help.id,
            stop: Some(stop),
            task: Some(task),
            dir,
        }
    }

    async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = timeout(Duration::from_secs(10), t).await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The next event of `kind`, skipping others (heartbeats, queue updates…).
async fn next_of(ws: &mut Events, kind: &str) -> Event {
    next_where(ws, kind, |_| true).await
}

/// The next event of `kind` whose data passes `pred`.
async fn next_where(ws: &mut Events, kind: &str, pred: impl Fn(&Value) -> bool) -> Event {
    let found = timeout(Duration::from_secs(10), async {
        loop {
            let ev = ws.next().await.expect("socket open").expect("a frame");
            if ev.kind == kind && pred(&ev.data) {
                return ev;
            }
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("no such {kind} event within 10 s"))
}

/// Every event that arrives within `quiet` of the previous one.
async fn drain(ws: &mut Events, quiet: Duration) -> Vec<Event> {
    let mut out = Vec::new();
    while let Ok(Some(Ok(ev))) = timeout(quiet, ws.next()).await {
        out.push(ev);
    }
    out
}

fn messages(events: &[Event]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e.kind == "message")
        .map(|e| e.data.clone())
        .collect()
}

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    b.extend_from_slice(&[
        0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82,
    ]);
    b
}

async fn widget_flow(h: &Harness) {
    let http = client::http_client().unwrap();
    let base = h.base.as_str();

    // The widget's configuration: public topics only, CORS open.
    let config = client::widget_config(&http, base, "acme").await.unwrap();
    assert_eq!(config.org_name, "Acme Outdoor");
    let names: Vec<&str> = config.topics.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Help"]);
    let resp = http
        .get(format!("{base}/api/widget/acme/config"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let resp = http
        .get(format!("{base}/api/widget/nobody/config"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);

    // Bad pre-chat forms are refused.
    let bad = CustomerChat::open(&http, base, "acme", " ", None, &json!(h.help_queue)).await;
    assert_eq!(bad.map(|_| ()).map_err(|e| api_status(&e)), Err(Some(422)));
    let bad = CustomerChat::open(
        &http,
        base,
        "acme",
        "Carla",
        Some("not-an-email"),
        &json!(h.help_queue),
    )
    .await;
    assert_eq!(bad.map(|_| ()).map_err(|e| api_status(&e)), Err(Some(422)));
    let bad = CustomerChat::open(&http, base, "acme", "Carla", None, &json!("Escalations")).await;
    assert_eq!(bad.map(|_| ()).map_err(|e| api_status(&e)), Err(Some(422)));

    // A customer opens a chat while no agent is available: waiting, first in line.
    let chat = CustomerChat::open(
        &http,
        base,
        "acme",
        "Carla Gomez",
        Some("Carla@Example.com"),
        &json!(h.help_queue),
    )
    .await
    .unwrap();
    assert!(chat.token().starts_with("hsc_"));
    let st = chat.state().await.unwrap();
    assert_eq!(st.status, "waiting");
    assert_eq!(st.position, Some(1));
    let mut cws = chat.connect(0).await.unwrap();
    let hello = next_of(&mut cws, "state").await;
    assert_eq!(hello.data["status"], "waiting");
    // The customer writes while waiting.
    let m1 = chat
        .send("c-1", "Hello, my tent pole snapped.")
        .await
        .unwrap();
    assert_eq!(m1.seq, 1);
    let again = chat
        .send("c-1", "Hello, my tent pole snapped.")
        .await
        .unwrap();
    assert_eq!(
        again.id, m1.id,
        "a retried client_id gives the first message back"
    );

    // The agent comes online, is offered the chat, accepts.
    let agent = StaffSession::login(base, "acme", "ada@acme.example", PASSWORD)
        .await
        .unwrap();
    let mut aws = agent.connect(0).await.unwrap();
    // Subscribed once the socket says hello (the upgrade's answer comes before it).
    next_of(&mut aws, "hello").await;
    agent.set_state("available", None).await.unwrap();
    let offer = next_of(&mut aws, "offer").await;
    let (offer_id, contact_id) = client::offer_ids(&offer.data).expect("offer ids");
    assert_eq!(contact_id, chat.contact_id);
    agent.accept(&offer_id).await.unwrap();
    let joined = next_of(&mut cws, "agent_joined").await;
    assert_eq!(joined.data["agent_name"], "Ada Lovelace");
    let st = chat.state().await.unwrap();
    assert_eq!(st.status, "active");
    assert_eq!(st.agent_name.as_deref(), Some("Ada Lovelace"));

    // Messages both ways, each delivered once.
    let history = agent.messages(&contact_id, 0).await.unwrap();
    assert_eq!(history.len(), 1);
    chat.send("c-2", "Can you send a replacement?")
        .await
        .unwrap();
    let got = next_of(&mut aws, "message").await;
    assert_eq!(got.data["text"], "Can you send a replacement?");
    assert_eq!(got.data["from"], "customer");
    agent
        .send(&contact_id, "a-1", "Of course, Carla!")
        .await
        .unwrap();
    let events = drain(&mut cws, Duration::from_millis(500)).await;
    let seen: Vec<i64> = messages(&events)
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    // (c-1 went by while waiting for the agent.) c-2 and a-1: each once, in order.
    assert_eq!(seen, [2, 3]);
    assert!(
        events
            .iter()
            .filter(|e| e.kind == "message")
            .all(|e| e.seq == e.data["seq"].as_u64())
    );

    // Typing and read marks reach the agent.
    chat.typing(true).await.unwrap();
    let typing = next_of(&mut aws, "typing").await;
    assert_eq!(typing.data["typing"], true);
    chat.read(3).await.unwrap();
    let read = next_of(&mut aws, "read").await;
    assert_eq!(read.data["up_to_seq"], 3);

    // The customer's phone loses its network after seq 3; the agent goes on writing and
    // adds an internal note. Resuming after 3 gives exactly the two new public messages.
    cws.drop_abruptly();
    agent
        .send(&contact_id, "a-2", "I have found your order.")
        .await
        .unwrap();
    agent
        .note(
            &contact_id,
            "n-1",
            "Customer is a frequent camper, waive shipping",
        )
        .await
        .unwrap();
    agent
        .send(&contact_id, "a-3", "A new pole ships today.")
        .await
        .unwrap();
    let mut cws = chat.connect(3).await.unwrap();
    let events = drain(&mut cws, Duration::from_millis(700)).await;
    assert_eq!(events.first().map(|e| e.kind.as_str()), Some("state"));
    let resumed = messages(&events);
    let texts: Vec<&str> = resumed
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        ["I have found your order.", "A new pole ships today."]
    );
    assert_eq!(
        resumed
            .iter()
            .map(|m| m["seq"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [4, 6]
    );
    assert_eq!(
        events[0].data["status"], "active",
        "where the chat stands comes first"
    );
    assert_eq!(events[0].data["agent_name"], "Ada Lovelace");
    // A reload from scratch: the whole public conversation, the note nowhere.
    let st = chat.state().await.unwrap();
    let all: Vec<u64> = st.messages.iter().map(|m| m.seq).collect();
    assert_eq!(all, [1, 2, 3, 4, 6]);
    assert!(st.messages.iter().all(|m| !m.internal));
    let mut fresh = chat.connect(0).await.unwrap();
    let replay = messages(&drain(&mut fresh, Duration::from_millis(500)).await);
    assert_eq!(replay.len(), 5);
    fresh.close().await;

    // Attachments: a real PNG is kept by the server and served back to both sides.
    let file = png();
    let m = chat
        .attach("../../tent.png", file.clone(), "image/png")
        .await
        .unwrap();
    let att = m.attachment.clone().expect("an attachment");
    assert_eq!(att["name"], "tent.png");
    assert_eq!(att["content_type"], "image/png");
    assert_eq!(att["size"], file.len());
    let url = att["url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&format!(
        "/api/widget/chats/{}/attachments/",
        chat.contact_id
    )));
    let (ct, bytes) = chat.get_bytes(&url).await.unwrap();
    assert_eq!(
        (ct.as_str(), bytes.as_slice()),
        ("image/png", file.as_slice())
    );
    let staff_msg = next_where(&mut aws, "message", |d| !d["attachment"].is_null()).await;
    let staff_url = staff_msg.data["attachment"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(staff_url.starts_with("/api/attachments/"));
    // Another agent, whose contact it is not, may not fetch the file.
    let bob = StaffSession::login(base, "acme", "bob@acme.example", PASSWORD)
        .await
        .unwrap();
    let refused = bob
        .get_bytes(&staff_url)
        .await
        .expect_err("not Bob's contact");
    assert_eq!(api_status(&refused), Some(403), "{refused:#}");
    let (ct, bytes) = agent.get_bytes(&staff_url).await.unwrap();
    assert_eq!(
        (ct.as_str(), bytes.as_slice()),
        ("image/png", file.as_slice())
    );
    let pushed = next_where(&mut cws, "message", |d| !d["attachment"].is_null()).await;
    assert_eq!(pushed.data["attachment"]["url"], url.as_str());
    // …and refused by content, not by the claimed type: 415, 413, 422.
    let fake = b"<html><script>alert(1)</script></html>".to_vec();
    let r = chat.attach("cat.png", fake, "image/png").await;
    assert_eq!(r.map(|_| ()).map_err(|e| api_status(&e)), Err(Some(415)));
    let mut big = png();
    big.resize(10 * 1024 * 1024 + 1, 0);
    let r = chat.attach("huge.png", big, "image/png").await;
    assert_eq!(r.map(|_| ()).map_err(|e| api_status(&e)), Err(Some(413)));
    let pdf = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let m = chat
        .attach("receipt", pdf, "application/octet-stream")
        .await
        .unwrap();
    assert_eq!(
        m.attachment.as_ref().unwrap()["content_type"],
        "application/pdf"
    );
    let upload = format!("{base}/api/widget/chats/{}/attachments", chat.contact_id);
    let form = reqwest::multipart::Form::new().text("note", "no file here");
    let r = http
        .post(&upload)
        .bearer_auth(chat.token())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = http
        .post(&upload)
        .bearer_auth(chat.token())
        .json(&json!({"file": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);

    // Tokens: missing, wrong, or another chat's are all the same 401.
    let url = format!("{base}/api/widget/chats/{}", chat.contact_id);
    assert_eq!(http.get(&url).send().await.unwrap().status(), 401);
    let r = http
        .get(&url)
        .bearer_auth("hsc_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let other = CustomerChat::open(&http, base, "acme", "Otto", None, &json!("Help"))
        .await
        .unwrap();
    let r = http
        .get(&url)
        .bearer_auth(other.token())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // The WebSocket with another chat's token opens and closes at once with 4401.
    let ws_url = format!(
        "{}/ws?token={}&after_seq=0",
        url.replacen("http", "ws", 1),
        other.token()
    );
    let (mut sock, _) = tokio_tungstenite::connect_async(ws_url.as_str())
        .await
        .unwrap();
    let closed = timeout(Duration::from_secs(5), futures::StreamExt::next(&mut sock))
        .await
        .unwrap();
    match closed {
        Some(Ok(tokio_tungstenite::tungstenite::Message::Close(Some(f)))) => {
            assert_eq!(u16::from(f.code), 4401)
        }
        other => panic!("expected a 4401 close, got {other:?}"),
    }
    let att_id = staff_url.rsplit('/').next().unwrap();
    let r = http
        .get(format!(
            "{base}/api/widget/chats/{}/attachments/{att_id}",
            other.contact_id
        ))
        .bearer_auth(other.token())
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        404,
        "another chat's file is not found through this chat"
    );
    other.end().await.unwrap();

    // CORS preflight from a customer's site.
    let r = http
        .request(reqwest::Method::OPTIONS, format!("{url}/messages"))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(
        r.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("authorization")
    );

    // Rating needs the end; the end reaches both sides; then a rating is kept.
    let r = chat.csat(5, None).await;
    assert_eq!(r.map_err(|e| api_status(&e)), Err(Some(409)));
    chat.end().await.unwrap();
    let ended = next_of(&mut cws, "ended").await;
    assert_eq!(ended.data["by"], "customer");
    let r = chat.send("c-9", "one more thing").await;
    assert_eq!(r.map(|_| ()).map_err(|e| api_status(&e)), Err(Some(409)));
    let r = chat.csat(6, None).await;
    assert_eq!(r.map_err(|e| api_status(&e)), Err(Some(422)));
    chat.csat(5, Some("Quick and kind")).await.unwrap();
    let v: Value = http
        .get(&url)
        .bearer_auth(chat.token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "ended");
    assert_eq!(v["csat"]["rating"], 5);
    assert_eq!(v["csat"]["comment"], "Quick and kind");
    // The agent wraps up; the customer can still read the conversation.
    agent.wrapup(&contact_id, "resolved", None).await.ok();
    assert_eq!(chat.state().await.unwrap().status, "ended");
    cws.close().await;
    aws.close().await;
}

/// What a hostile customer tries with one chat token: forty uploads at once against a
/// cap of twenty, and more WebSockets than a few browser tabs need.
async fn hostile_customer(h: &Harness) {
    let http = client::http_client().unwrap();
    let chat = CustomerChat::open(&http, &h.base, "acme", "Mallory", None, &json!("Help"))
        .await
        .unwrap();
    let uploads = (0..40).map(|i| {
        let chat = &chat;
        async move { chat.attach(&format!("p{i}.png"), png(), "image/png").await }
    });
    let results = futures::future::join_all(uploads).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let refused: Vec<Option<u16>> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(api_status))
        .collect();
    assert_eq!(
        ok,
        server::chat::MAX_ATTACHMENTS_PER_CHAT as usize,
        "{refused:?}"
    );
    assert!(refused.iter().all(|s| *s == Some(422)), "{refused:?}");

    let mut open = Vec::new();
    for _ in 0..server::SOCKETS_PER_CHAT {
        open.push(chat.connect(0).await.expect("a socket within the share"));
    }
    match chat.connect(0).await {
        Ok(_) => panic!("one socket too many was accepted"),
        Err(err) => assert!(format!("{err:#}").contains("429"), "{err:#}"),
    }
    // One closes: a new one is welcome again.
    open.pop().unwrap().close().await;
    let mut again = None;
    for _ in 0..50 {
        if let Ok(ws) = chat.connect(0).await {
            again = Some(ws);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(again.is_some(), "the closed socket's share came back");
}

async fn rate_limit() {
    server::chat::set_create_limit(server::chat::Limit {
        burst: 2,
        refill_every: Duration::from_secs(3600),
    });
    let h = Harness::start(None).await;
    let http = client::http_client().unwrap();
    for _ in 0..2 {
        CustomerChat::open(&http, &h.base, "acme", "Flo", None, &json!("Help"))
            .await
            .unwrap();
    }
    let r = http
        .post(format!("{}/api/widget/acme/chats", h.base))
        .json(&json!({"name": "Flo", "topic": "Help"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    server::chat::set_create_limit(server::chat::Limit::DEFAULT);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_widget_end_to_end() {
    // One test function: the chat-opening limit is process-wide, and the cases below set it.
    let h = Harness::start(None).await;
    widget_flow(&h).await;
    hostile_customer(&h).await;
    h.stop().await;

    let url = std::env::var("HOMESHORE_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
    let schema = format!("chat_{}", Uuid::new_v4().simple());
    match store::PgStore::connect(&url, Some(&schema)).await {
        Ok(pg) => {
            let h = Harness::start(Some(store::Db::Postgres(pg))).await;
            widget_flow(&h).await;
            hostile_customer(&h).await;
            h.stop().await;
            let _ = store::PgStore::drop_schema(&url, &schema).await;
        }
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "PostgreSQL unreachable in CI: {e}"
            );
            eprintln!("\n!!!!!!!! SKIPPING the PostgreSQL run of the chat test: {e}\n");
        }
    }

    rate_limit().await;
}
