//! The staff WebSocket, `GET /api/ws?after_seq=N`.
//!
//! Server → client text frames `{seq, type, data}`. First a `hello` (no seq) with
//! `{last_seq, user, agent, offers, contacts}`; with `after_seq` the messages after it
//! follow (from the feed's ring), or a `resync` when they are no longer there (reload
//! over REST). Then live messages, and a `heartbeat` `{last_seq}` every 15 s. A client
//! that sends nothing (not even a pong) for 60 s is closed. A client too slow to read is
//! cut off (close code 1013) and resumes with its last seq.
//!
//! Browsers send cookies with the upgrade, so the Origin must match the Host: another
//! site cannot open a socket with our user's cookies.

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::auth::Auth;
use crate::error::Query;
use crate::{ApiError, AppState, contacts, wire};

#[derive(Debug, Deserialize)]
pub struct WsQuery {
    pub after_seq: Option<i64>,
}

pub const HEARTBEAT: Duration = Duration::from_secs(15);
pub const IDLE_LIMIT: Duration = Duration::from_secs(60);

fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get("origin").and_then(|v| v.to_str().ok()) else {
        // Not a browser (no Origin): cookies are not ambient there.
        return true;
    };
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'))
        .is_some_and(|o| o.eq_ignore_ascii_case(host))
}

pub async fn handler(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Query(q): Query<WsQuery>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    if !same_origin(&headers) {
        return ApiError::forbidden("cross-origin WebSocket refused").into_response();
    }
    let ws = match ws {
        Ok(ws) => ws,
        Err(e) => return ApiError::bad_request(e.to_string()).into_response(),
    };
    let Some(share) = state.staff_sockets().take(auth.user.id) else {
        return ApiError::too_many(
            format!(
                "you already have {} live connections open; close a tab first",
                crate::SOCKETS_PER_SESSION
            ),
            1,
        )
        .into_response();
    };
    // Staff clients send only pings and short frames: a small read buffer keeps each of
    // thousands of idle connections at a few KiB instead of the library's 128 KiB.
    ws.max_message_size(64 * 1024)
        .read_buffer_size(4 * 1024)
        .on_upgrade(move |socket| async move {
            run(state, auth, q.after_seq, socket).await;
            drop(share);
        })
}

async fn run(state: AppState, auth: Auth, after_seq: Option<i64>, mut socket: WebSocket) {
    let org = auth.org_id();
    let user = auth.user.id;
    let mut sub = state.hub().subscribe(org, user, auth.role(), after_seq);
    let snapshot = contacts::agent_snapshot(&state, org, user);
    let hello = json!({
        "seq": null,
        "type": "hello",
        "data": {
            "last_seq": sub.last_seq,
            "user": wire::user(&auth.user),
            "agent": snapshot["agent"],
            "offers": snapshot["offers"],
            "contacts": snapshot["contacts"],
        }
    });
    let mut ok = socket
        .send(Message::Text(hello.to_string().into()))
        .await
        .is_ok();
    if ok && sub.resync {
        ok = socket
            .send(Message::Text(
                json!({"seq": null, "type": "resync", "data": {"last_seq": sub.last_seq}})
                    .to_string()
                    .into(),
            ))
            .await
            .is_ok();
    }
    for m in std::mem::take(&mut sub.backlog) {
        if !ok {
            break;
        }
        ok = socket
            .send(Message::Text(m.to_string().into()))
            .await
            .is_ok();
    }
    let mut last_seq = sub.last_seq;
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    let mut last_heard = tokio::time::Instant::now();
    let mut shutdown = state.shutdown_signal();
    let mut close: Option<CloseFrame> = None;
    while ok {
        tokio::select! {
            m = sub.rx.recv() => match m {
                Some(m) => {
                    if let Some(s) = seq_of(&m) { last_seq = s; }
                    state.metrics().ws_messages_sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    ok = socket.send(Message::Text(m.to_string().into())).await.is_ok();
                }
                None => {
                    // Cut off (too slow) or logged out everywhere.
                    close = Some(CloseFrame { code: 1013, reason: "resume with after_seq".into() });
                    break;
                }
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => last_heard = tokio::time::Instant::now(),
            },
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > IDLE_LIMIT {
                    close = Some(CloseFrame { code: 1001, reason: "idle".into() });
                    break;
                }
                let hb = json!({"seq": null, "type": "heartbeat", "data": {"last_seq": last_seq}});
                ok = socket.send(Message::Text(hb.to_string().into())).await.is_ok()
                    && socket.send(Message::Ping(Vec::new().into())).await.is_ok();
            },
            _ = shutdown.changed() => {
                close = Some(CloseFrame { code: 1012, reason: "server restarting".into() });
                break;
            }
        }
    }
    if let Some(frame) = close {
        let _ = socket.send(Message::Close(Some(frame))).await;
    }
    state.hub().unsubscribe(user, sub.conn_id);
}

fn seq_of(m: &str) -> Option<i64> {
    let rest = m.strip_prefix("{\"seq\":")?;
    let end = rest.find(',')?;
    rest[..end].parse().ok()
}
