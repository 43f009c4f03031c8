//! Prometheus text exposition, hand-rolled: request latency histogram by route, queue
//! depth and oldest wait per queue, routing decisions, outbound deliveries by status,
//! WebSocket and HTTP connections.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<HashMap<(String, String, u16), Histogram>>,
    pub ws_messages_sent: AtomicU64,
    pub logins_failed: AtomicU64,
    /// Counters of committed live events: (metric, labels) → count.
    counters: Mutex<std::collections::BTreeMap<(&'static str, String), u64>>,
}

/// Counter increments read off a write before it is submitted, applied once it commits
/// (so the counters count what is durable, and nothing twice).
#[derive(Debug, Default)]
pub struct Tally(Vec<(&'static str, String)>);

impl Tally {
    /// What `changes` will count once committed. Reads the events' JSON in place (no
    /// copy, no full parse): this runs for every write.
    pub fn of(changes: &[store::Change]) -> Tally {
        let mut t = Vec::new();
        let str_of = |v: &serde_json::Value, k: &str| -> String {
            v.get(k)
                .and_then(|x| x.as_str())
                .unwrap_or("unknown")
                .to_string()
        };
        for ch in changes {
            let store::Change::Event(e) = ch else {
                continue;
            };
            let d = &e.data;
            match e.kind.as_str() {
                "contact.created" => t.push((
                    "homeshore_contacts_created_total",
                    format!(
                        "channel=\"{}\",queue=\"{}\"",
                        str_of(d, "channel"),
                        str_of(d, "queue_id")
                    ),
                )),
                "contact.closed" => t.push((
                    "homeshore_contacts_closed_total",
                    format!(
                        "channel=\"{}\",queue=\"{}\",reason=\"{}\"",
                        str_of(d, "channel"),
                        str_of(d, "queue_id"),
                        str_of(d, "reason")
                    ),
                )),
                "message.appended" => t.push((
                    "homeshore_messages_total",
                    format!(
                        "channel=\"{}\",direction=\"{}\"",
                        str_of(d, "channel"),
                        if d.get("from").and_then(|f| f.as_str()) == Some("customer") {
                            "in"
                        } else {
                            "out"
                        }
                    ),
                )),
                "message.delivery" => t.push((
                    "homeshore_deliveries_total",
                    format!(
                        "channel=\"{}\",status=\"{}\"",
                        str_of(d, "channel"),
                        str_of(d, "status")
                    ),
                )),
                crate::events::ROUTING => {
                    let events = d.get("events").and_then(|v| v.as_array());
                    for re in events.into_iter().flatten() {
                        let k = &re["kind"];
                        let outcome = match k["type"].as_str() {
                            Some("offer_accepted") => "accepted",
                            Some("offer_declined") => match k["reason"].as_str() {
                                Some("rejected") => "rejected",
                                Some("timed_out") => "timed_out",
                                _ => "withdrawn",
                            },
                            _ => continue,
                        };
                        t.push(("homeshore_offers_total", format!("outcome=\"{outcome}\"")));
                    }
                }
                _ => {}
            }
        }
        Tally(t)
    }
}

impl Metrics {
    /// Count a committed write's events.
    pub fn count(&self, tally: Tally) {
        if tally.0.is_empty() {
            return;
        }
        let mut c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        for k in tally.0 {
            *c.entry(k).or_default() += 1;
        }
    }

    fn write_counters(&self, out: &mut String) {
        let c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        let help = [
            (
                "homeshore_contacts_created_total",
                "Contacts created, by channel and queue.",
            ),
            (
                "homeshore_contacts_closed_total",
                "Contacts closed, by channel, queue and reason (wrapped_up, abandoned, expired).",
            ),
            (
                "homeshore_messages_total",
                "Messages stored, by channel and direction (in: from customers).",
            ),
            (
                "homeshore_offers_total",
                "Offers ended, by outcome (accepted, rejected, timed_out, withdrawn).",
            ),
            (
                "homeshore_deliveries_total",
                "Outbound messages that moved on, by channel and status (sent, delivered, read, failed).",
            ),
        ];
        for (name, text) in help {
            let _ = writeln!(out, "# HELP {name} {text}\n# TYPE {name} counter");
            for ((n, labels), v) in c.iter() {
                if *n == name {
                    let _ = writeln!(out, "{name}{{{labels}}} {v}");
                }
            }
        }
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, secs: f64) {
        let mut m = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let h = m
            .entry((method.to_string(), route.to_string(), status))
            .or_default();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.counts[i] += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    }
}

/// Middleware: time every request by its route template.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "other".to_string());
    let resp = next.run(req).await;
    state.metrics().observe(
        &method,
        &route,
        resp.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    resp
}

/// `GET /metrics`, for a scraper that sends `Authorization: Bearer <metrics_token>`.
/// The figures name every organisation and queue, so without a configured token no
/// one reads them.
pub async fn render(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Response, crate::error::ApiError> {
    let want = state.config().metrics_token.as_bytes();
    if want.is_empty() {
        return Err(crate::error::ApiError::forbidden(
            "Metrics are off: set metrics_token (HOMESHORE_METRICS_TOKEN) and send it as a bearer token.",
        ));
    }
    let sent = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !crate::auth::constant_time_eq(sent.as_bytes(), want) {
        return Err(crate::error::ApiError::unauthorized(
            "Send the metrics token as `Authorization: Bearer …`.",
        ));
    }
    let mut out = String::new();
    let conns = state.connections();
    let _ = writeln!(
        out,
        "# HELP homeshore_http_connections_open Open HTTP connections.\n# TYPE homeshore_http_connections_open gauge\nhomeshore_http_connections_open {}\n# HELP homeshore_http_connections_max Open connections allowed before new ones get 503.\n# TYPE homeshore_http_connections_max gauge\nhomeshore_http_connections_max {}\n# HELP homeshore_http_connections_refused_total Connections refused at the limit.\n# TYPE homeshore_http_connections_refused_total counter\nhomeshore_http_connections_refused_total {}\n# HELP homeshore_http_connections_refused_per_address_total Connections refused because their address held its share.\n# TYPE homeshore_http_connections_refused_per_address_total counter\nhomeshore_http_connections_refused_per_address_total {}",
        conns.open.load(std::sync::atomic::Ordering::Relaxed),
        conns.max.load(std::sync::atomic::Ordering::Relaxed),
        conns.refused.load(std::sync::atomic::Ordering::Relaxed),
        conns
            .refused_per_address
            .load(std::sync::atomic::Ordering::Relaxed),
    );
    out.push_str("# HELP homeshore_http_request_duration_seconds HTTP request latency.\n");
    out.push_str("# TYPE homeshore_http_request_duration_seconds histogram\n");
    {
        let m = state
            .metrics()
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let mut keys: Vec<_> = m.keys().collect();
        keys.sort();
        for k in keys {
            let h = &m[k];
            let labels = format!("method=\"{}\",route=\"{}\",status=\"{}\"", k.0, k.1, k.2);
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "homeshore_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "homeshore_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "homeshore_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "homeshore_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
    }
    let now = state.now();
    let mut depth = String::new();
    let mut wait = String::new();
    let mut decisions = 0u64;
    let mut agents = String::new();
    for (org, slot) in state.slots() {
        let o = slot.lock();
        decisions += o.decisions;
        let mut queues: Vec<_> = o.queues().map(|q| q.id).collect();
        queues.sort();
        for q in queues {
            let Some(s) = o
                .router()
                .queue_stats(routing::QueueId(crate::live::rid(q)), crate::live::ts(now))
            else {
                continue;
            };
            let l = format!("org=\"{org}\",queue=\"{q}\"");
            let _ = writeln!(
                depth,
                "homeshore_queue_depth{{{l}}} {}",
                s.waiting + s.offered
            );
            let _ = writeln!(
                wait,
                "homeshore_queue_oldest_wait_seconds{{{l}}} {}",
                s.longest_wait.0 as f64 / 1000.0
            );
        }
        let avail = o
            .agents()
            .filter(|a| {
                o.agent_snapshot(a.user_id)
                    .is_some_and(|s| s.presence == routing::Presence::Available)
            })
            .count();
        let _ = writeln!(
            agents,
            "homeshore_agents_available{{org=\"{org}\"}} {avail}"
        );
    }
    state.metrics().write_counters(&mut out);
    out.push_str("# HELP homeshore_queue_depth Contacts waiting per queue.\n# TYPE homeshore_queue_depth gauge\n");
    out.push_str(&depth);
    out.push_str("# HELP homeshore_queue_oldest_wait_seconds Longest current wait per queue.\n# TYPE homeshore_queue_oldest_wait_seconds gauge\n");
    out.push_str(&wait);
    out.push_str("# HELP homeshore_agents_available Agents available per organisation.\n# TYPE homeshore_agents_available gauge\n");
    out.push_str(&agents);
    let _ = writeln!(
        out,
        "# HELP homeshore_routing_decisions_total Offers made since start.\n# TYPE homeshore_routing_decisions_total counter\nhomeshore_routing_decisions_total {decisions}"
    );
    let hub = state.hub();
    let _ = writeln!(
        out,
        "# HELP homeshore_websocket_connections Open staff WebSocket connections.\n# TYPE homeshore_websocket_connections gauge\nhomeshore_websocket_connections {}",
        hub.connections.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "# HELP homeshore_websocket_cut_off_total Slow connections cut off.\n# TYPE homeshore_websocket_cut_off_total counter\nhomeshore_websocket_cut_off_total {}",
        hub.cut_off.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "# HELP homeshore_logins_failed_total Failed logins.\n# TYPE homeshore_logins_failed_total counter\nhomeshore_logins_failed_total {}",
        state.metrics().logins_failed.load(Ordering::Relaxed)
    );
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        out,
    )
        .into_response())
}
