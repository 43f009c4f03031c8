//! The staff WebSocket: events carry sequence numbers; a client that drops and
//! reconnects with `?after_seq=N` gets every event after N exactly once.

use std::collections::HashSet;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use store::Role;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest};

use crate::common::{self, Org, Server};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(
    s: &Server,
    token: &str,
    query: &str,
    origin: Option<&str>,
) -> Result<Socket, tungstenite::Error> {
    let url = format!("{}/api/ws{query}", s.base.replacen("http", "ws", 1));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    if let Some(o) = origin {
        req.headers_mut().insert("origin", o.parse().unwrap());
    }
    tokio_tungstenite::connect_async(req)
        .await
        .map(|(ws, _)| ws)
}

/// The next frame as JSON (skipping pings); `None` when nothing comes within `wait`.
async fn next(ws: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        match timeout(wait, ws.next()).await {
            Err(_) => return None,
            Ok(Some(Ok(Message::Text(t)))) => {
                return Some(serde_json::from_str(&t).expect("frames are JSON"));
            }
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) => return None,
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => panic!("socket error: {e}"),
        }
    }
}

/// Events with a seq until every contact of `want` has been seen in a `contact` event,
/// then whatever else arrives within a short quiet time.
async fn read_until(ws: &mut Socket, want: &HashSet<String>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut missing = want.clone();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !missing.is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "events for {missing:?} never came"
        );
        let Some(ev) = next(ws, Duration::from_secs(20)).await else {
            panic!("the socket went quiet; missing {missing:?}")
        };
        if ev["seq"].is_i64() {
            if ev["type"] == "contact" {
                missing.remove(ev["data"]["id"].as_str().unwrap_or(""));
            }
            out.push(ev);
        }
    }
    while let Some(ev) = next(ws, Duration::from_millis(400)).await {
        if ev["seq"].is_i64() {
            out.push(ev);
        }
    }
    out
}

async fn new_contacts(s: &Server, o: &Org, n: usize, tag: &str) -> HashSet<String> {
    let mut ids = HashSet::new();
    for i in 0..n {
        let c = common::create_contact(s, o, &format!("{tag} {i}")).await;
        ids.insert(c["id"].as_str().unwrap().to_string());
    }
    ids
}

fn seqs(events: &[Value]) -> Vec<i64> {
    events.iter().map(|e| e["seq"].as_i64().unwrap()).collect()
}

fn contact_ids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["type"] == "contact")
        .map(|e| e["data"]["id"].as_str().unwrap().to_string())
        .collect()
}

async fn resume(s: Server) -> Server {
    let o = common::seed_org(&s, "acme").await;
    let token = o.token(Role::Supervisor);

    let mut ws = connect(&s, &token, "", None)
        .await
        .expect("the supervisor connects");
    let hello = next(&mut ws, Duration::from_secs(10)).await.expect("hello");
    assert_eq!(hello["type"], "hello", "{hello}");
    assert!(hello["seq"].is_null());
    let start = hello["data"]["last_seq"]
        .as_i64()
        .expect("hello has last_seq");

    // Live: three new contacts, each told once, seqs following on from hello's.
    let first = new_contacts(&s, &o, 3, "Before").await;
    let got = read_until(&mut ws, &first).await;
    let s1 = seqs(&got);
    assert_eq!(
        s1,
        ((start + 1)..=(start + s1.len() as i64)).collect::<Vec<_>>(),
        "contiguous seqs"
    );
    let n = *s1.last().unwrap();
    let mut c1 = contact_ids(&got);
    c1.sort();
    let mut want: Vec<String> = first.iter().cloned().collect();
    want.sort();
    assert_eq!(c1, want);

    // The connection drops without a goodbye; four more contacts come meanwhile.
    drop(ws);
    let second = new_contacts(&s, &o, 4, "During").await;

    let mut ws = connect(&s, &token, &format!("?after_seq={n}"), None)
        .await
        .expect("reconnects");
    let hello = next(&mut ws, Duration::from_secs(10)).await.expect("hello");
    assert_eq!(hello["type"], "hello");
    let got = read_until(&mut ws, &second).await;
    assert!(
        got.iter().all(|e| e["type"] != "resync"),
        "no resync within the ring"
    );
    let s2 = seqs(&got);
    assert_eq!(
        s2,
        ((n + 1)..=(n + s2.len() as i64)).collect::<Vec<_>>(),
        "no loss, no duplicate: {s2:?}"
    );
    let c2 = contact_ids(&got);
    let unique: HashSet<&String> = c2.iter().collect();
    assert_eq!(unique.len(), c2.len(), "each contact told once");
    assert_eq!(
        c2.iter().cloned().collect::<HashSet<_>>(),
        second,
        "exactly the contacts made while away"
    );
    // What the hello counts as sent is what the backlog brought.
    assert_eq!(hello["data"]["last_seq"].as_i64(), s2.last().copied());

    // Live again after the resume, still in sequence.
    let third = new_contacts(&s, &o, 1, "After").await;
    let got = read_until(&mut ws, &third).await;
    assert_eq!(got[0]["seq"].as_i64().unwrap(), s2.last().unwrap() + 1);
    ws.close(None).await.ok();

    // A seq from before this boot (or older than the ring) asks the client to reload.
    let mut ws = connect(&s, &token, "?after_seq=1", None).await.unwrap();
    assert_eq!(
        next(&mut ws, Duration::from_secs(10)).await.unwrap()["type"],
        "hello"
    );
    assert_eq!(
        next(&mut ws, Duration::from_secs(10)).await.unwrap()["type"],
        "resync"
    );
    ws.send(Message::Close(None)).await.ok();

    // Another site's page cannot open the socket; no credentials, no socket.
    let refused = connect(&s, &token, "", Some("https://evil.example")).await;
    assert!(
        matches!(refused, Err(tungstenite::Error::Http(ref r)) if r.status() == 403),
        "{refused:?}"
    );
    let refused = connect(&s, "hs_wrong", "", None).await;
    assert!(
        matches!(refused, Err(tungstenite::Error::Http(ref r)) if r.status() == 401),
        "{refused:?}"
    );
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_websocket_resumes_without_loss_or_duplicates() {
    common::each_backend(resume).await;
}
