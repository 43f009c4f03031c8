//! Historical reports over HTTP: the figures by interval and group, the contacts behind
//! any figure, and both as CSV (the per-contact one streamed). The counting lives in
//! [`crate::reports`]; this is the shell: parameters, labels, audit, formats.

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use store::reports::{ReportStay, StayFact, StayQuery};
use store::{Channel, Role};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{Json, Query};
use crate::events::{Actor, LiveEvent};
use crate::reports::{self, Cells, Figures, Filters, GroupBy, Interval, SLACK, millis, time_of};
use crate::{ApiError, ApiResult, AppState, wire};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(report))
        .routes(routes!(report_csv))
        .routes(routes!(contacts))
        .routes(routes!(contacts_csv))
}

/// Who reads reports: supervisors, admins and analysts (never agents).
const READERS: &[Role] = &[Role::Admin, Role::Supervisor, Role::Analyst];

/// The longest range a report covers, in days.
const MAX_DAYS: i64 = 400;
/// The most intervals a report has.
const MAX_INTERVALS: usize = 10_000;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReportQuery {
    /// First day (`YYYY-MM-DD`, in `tz`; default: six days before `to`).
    pub from: Option<String>,
    /// Last day, included (`YYYY-MM-DD`, in `tz`; default: today).
    pub to: Option<String>,
    /// IANA time zone of the days and intervals (default UTC).
    pub tz: Option<String>,
    /// `15m`, `hour`, `day` (default), `week` or `total`.
    #[param(value_type = Option<String>)]
    pub interval: Option<Interval>,
    /// `none` (default), `queue`, `agent`, `channel` or `code`.
    #[param(value_type = Option<String>)]
    pub group_by: Option<GroupBy>,
    /// Only this queue.
    pub queue_id: Option<Uuid>,
    /// Only this agent (`-`: contacts no agent answered).
    pub agent_id: Option<String>,
    /// Only this channel (`chat`, `sms`, …).
    pub channel: Option<String>,
    /// Only this wrap-up code (`-`: contacts without one).
    pub code: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ContactsQuery {
    /// First day (`YYYY-MM-DD`, in `tz`; default: six days before `to`).
    pub from: Option<String>,
    /// Last day, included (default: today).
    pub to: Option<String>,
    /// IANA time zone (default UTC).
    pub tz: Option<String>,
    /// The figure whose contacts to list: `offered` (default), `answered`,
    /// `answered_in_sl`, `abandoned`, `expired`, `handled`, `transferred`, `wrapped`,
    /// `rated`. Each counts at its own time (an answer when accepted, an abandon when
    /// the customer left), as in the report.
    pub figure: Option<String>,
    /// Narrow to one interval: its start and end (RFC 3339, as the report gives them).
    pub start: Option<String>,
    pub end: Option<String>,
    pub queue_id: Option<Uuid>,
    /// `-`: contacts no agent answered.
    pub agent_id: Option<String>,
    pub channel: Option<String>,
    /// `-`: contacts without a code.
    pub code: Option<String>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Rows per page (1–500, default 50).
    pub limit: Option<u32>,
}

/// A validated range: `[from, to)` in Unix ms, and its zone.
struct Range {
    zone: jiff::tz::TimeZone,
    tz: String,
    from: i64,
    to: i64,
}

fn range(
    now: time::OffsetDateTime,
    from: Option<&str>,
    to: Option<&str>,
    tz: Option<&str>,
) -> ApiResult<Range> {
    let (zone, tz) = match tz {
        None | Some("") => (jiff::tz::TimeZone::UTC, "UTC".to_string()),
        Some(name) => (
            wfm::zone::parse(name).map_err(|_| {
                ApiError::invalid(format!(
                    "tz: `{name}` is not an IANA time zone (e.g. America/New_York)"
                ))
            })?,
            name.to_string(),
        ),
    };
    let day = |s: &str, field: &str| {
        wfm::time::parse_date(s)
            .map_err(|_| ApiError::invalid(format!("{field}: `{s}` is not a date (YYYY-MM-DD)")))
    };
    let d1 = match to.filter(|s| !s.is_empty()) {
        Some(s) => day(s, "to")?,
        None => wfm::zone::local_day(&zone, millis(now).div_euclid(60_000)),
    };
    let d0 = match from.filter(|s| !s.is_empty()) {
        Some(s) => day(s, "from")?,
        None => d1 - 6,
    };
    if d1 < d0 {
        return Err(ApiError::invalid("to: before from"));
    }
    if d1 - d0 + 1 > MAX_DAYS {
        return Err(ApiError::invalid(format!(
            "to: a report covers at most {MAX_DAYS} days"
        )));
    }
    Ok(Range {
        from: wfm::zone::to_utc(&zone, d0, 0) * 60_000,
        to: wfm::zone::to_utc(&zone, d1 + 1, 0) * 60_000,
        zone,
        tz,
    })
}

fn filters(
    queue_id: Option<Uuid>,
    agent_id: Option<&str>,
    channel: Option<&str>,
    code: Option<&str>,
) -> ApiResult<Filters> {
    let agent_id = match agent_id {
        None | Some("") => None,
        Some("-") => Some(None),
        Some(a) => Some(Some(Uuid::parse_str(a).map_err(|_| {
            ApiError::invalid("agent_id: an agent's id, or `-` for none")
        })?)),
    };
    let channel = match channel {
        None | Some("") => None,
        Some(c) => Some(
            Channel::parse(c)
                .ok_or_else(|| ApiError::invalid(format!("channel: `{c}` is not a channel")))?
                .as_str()
                .to_string(),
        ),
    };
    let code = match code {
        None | Some("") => None,
        Some("-") => Some(None),
        Some(c) => Some(Some(c.to_string())),
    };
    Ok(Filters {
        queue_id,
        agent_id,
        channel,
        code,
    })
}

/// Names of queues and agents, for labels.
fn names(state: &AppState, org: Uuid) -> std::collections::HashMap<Uuid, String> {
    state.with_org(org, |o| {
        o.queues()
            .map(|q| (q.id, q.name.clone()))
            .chain(o.agents().map(|a| (a.user_id, a.name.clone())))
            .collect()
    })
}

fn label(names: &std::collections::HashMap<Uuid, String>, group: GroupBy, key: &str) -> String {
    match group {
        GroupBy::None => "All".into(),
        GroupBy::Queue | GroupBy::Agent => {
            if key.is_empty() {
                return if group == GroupBy::Agent {
                    "(not answered)".into()
                } else {
                    "(none)".into()
                };
            }
            Uuid::parse_str(key)
                .ok()
                .and_then(|id| names.get(&id).cloned())
                .unwrap_or_else(|| key.to_string())
        }
        GroupBy::Channel => key.to_string(),
        GroupBy::Code => {
            if key.is_empty() {
                "(no code)".into()
            } else {
                key.to_string()
            }
        }
    }
}

fn merge(mut v: Value, extra: Value) -> Value {
    if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
        m.extend(e);
    }
    v
}

struct Computed {
    range: Range,
    interval: Interval,
    group: GroupBy,
    cells: Cells,
    names: std::collections::HashMap<Uuid, String>,
}

async fn compute(state: &AppState, auth: &Auth, q: &ReportQuery) -> ApiResult<Computed> {
    auth.require(READERS)?;
    let range = range(
        state.now(),
        q.from.as_deref(),
        q.to.as_deref(),
        q.tz.as_deref(),
    )?;
    let interval = q.interval.unwrap_or(Interval::Day);
    let group = q.group_by.unwrap_or(GroupBy::None);
    let f = filters(
        q.queue_id,
        q.agent_id.as_deref(),
        q.channel.as_deref(),
        q.code.as_deref(),
    )?;
    let bounds = reports::boundaries(&range.zone, range.from, range.to, interval);
    if bounds.len() > MAX_INTERVALS {
        return Err(ApiError::invalid(format!(
            "interval: at most {MAX_INTERVALS} intervals; choose a longer interval or a shorter range"
        )));
    }
    let now = millis(state.now());
    let cells = reports::compute(state, auth.org_id(), bounds, range.to, group, &f, now).await?;
    Ok(Computed {
        names: names(state, auth.org_id()),
        range,
        interval,
        group,
        cells,
    })
}

fn end_of(c: &Cells, i: usize) -> i64 {
    c.bounds.get(i + 1).copied().unwrap_or(c.to)
}

/// The report: figures per interval (`series`, for a chart), per group over the range
/// (`groups`), per interval and group (`rows`), in total, and per wrap-up code (the
/// contact reasons). Each fact counts in the interval it happened, with the wallboard's
/// definitions (service level: answered within the queue's threshold of answered and
/// abandoned). Occupancy is the agents' time with contacts of their time ready for them
/// (given when the rows are agents or the whole center, without queue, channel or code
/// filters).
#[utoipa::path(get, path = "/api/reports", tag = "reports", params(ReportQuery), responses((status = 200, description = "`{from, to, tz, interval, group_by, totals, series, groups, rows, reasons}`"), (status = 422, body = crate::error::ErrorBody)))]
async fn report(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Json<Value>> {
    let c = compute(&state, &auth, &q).await?;
    let cells = &c.cells;
    let ts = |ms: i64| wire::ts(time_of(ms));
    let series: Vec<Value> = cells
        .series()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            merge(
                json!({"start": ts(cells.bounds[i]), "end": ts(end_of(cells, i))}),
                f.json(),
            )
        })
        .collect();
    let groups: Vec<Value> = cells
        .groups()
        .into_iter()
        .map(|(k, f)| {
            merge(
                json!({"key": k, "label": label(&c.names, c.group, k)}),
                f.json(),
            )
        })
        .collect();
    let rows: Vec<Value> = cells
        .cells()
        .into_iter()
        .map(|((i, k), f)| {
            merge(
                json!({
                    "start": ts(cells.bounds[i]),
                    "end": ts(end_of(cells, i)),
                    "key": k,
                    "label": label(&c.names, c.group, k),
                }),
                f.json(),
            )
        })
        .collect();
    let mut reasons: Vec<(&str, Figures)> = cells.reasons().into_iter().collect();
    reasons.sort_by(|a, b| b.1.tally.handled.cmp(&a.1.tally.handled).then(a.0.cmp(b.0)));
    let reasons: Vec<Value> = reasons
        .into_iter()
        .map(|(k, f)| {
            merge(
                json!({"code": k, "label": label(&c.names, GroupBy::Code, k)}),
                f.json(),
            )
        })
        .collect();
    Ok(Json(json!({
        "from": ts(c.range.from),
        "to": ts(c.range.to),
        "tz": c.range.tz,
        "interval": c.interval,
        "group_by": c.group,
        "totals": cells.total().json(),
        "series": series,
        "groups": groups,
        "rows": rows,
        "reasons": reasons,
    })))
}

/// A CSV field, quoted when it needs to be; a leading `=`, `+`, `-` or `@` is
/// prefixed with `'` so a spreadsheet does not run it as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn csv_value(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => csv_field(s),
        other => other.to_string(),
    }
}

const FIGURES: &[&str] = &[
    "offered",
    "answered",
    "answered_in_sl",
    "abandoned",
    "expired",
    "handled",
    "transferred",
    "wrapped",
    "service_level_percent",
    "abandon_percent",
    "asa_s",
    "aht_s",
    "acw_s",
    "abandon_wait_s",
    "csat_avg",
    "csat_count",
    "occupancy_percent",
];

fn csv_response(name: &str, body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// The report's figures as CSV: one line per interval and group.
#[utoipa::path(get, path = "/api/reports.csv", tag = "reports", params(ReportQuery), responses((status = 200, description = "`text/csv`: `interval_start, interval_end, group, label`, then the figures", content_type = "text/csv"), (status = 422, body = crate::error::ErrorBody)))]
async fn report_csv(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Response> {
    let c = compute(&state, &auth, &q).await?;
    let cells = &c.cells;
    let mut out = String::from("interval_start,interval_end,group,label");
    for f in FIGURES {
        out.push(',');
        out.push_str(f);
    }
    out.push_str("\r\n");
    for ((i, k), f) in cells.cells() {
        let v = f.json();
        out.push_str(&format!(
            "{},{},{},{}",
            wire::ts(time_of(cells.bounds[i])),
            wire::ts(time_of(end_of(cells, i))),
            csv_field(k),
            csv_field(&label(&c.names, c.group, k))
        ));
        for name in FIGURES {
            out.push(',');
            out.push_str(&csv_value(&v[*name]));
        }
        out.push_str("\r\n");
    }
    Ok(csv_response("report.csv", Body::from(out)))
}

fn figure(s: Option<&str>) -> ApiResult<StayFact> {
    Ok(match s.unwrap_or("offered") {
        "offered" => StayFact::Offered,
        "answered" | "asa" => StayFact::Answered,
        "answered_in_sl" => StayFact::AnsweredInSl,
        "abandoned" => StayFact::Abandoned,
        "expired" => StayFact::Expired,
        "handled" | "aht" => StayFact::Handled,
        "transferred" => StayFact::Transferred,
        "wrapped" | "acw" => StayFact::Wrapped,
        "rated" | "csat" => StayFact::Rated,
        other => {
            return Err(ApiError::invalid(format!(
                "figure: `{other}` is not a figure (offered, answered, answered_in_sl, abandoned, expired, handled, transferred, wrapped, rated)"
            )));
        }
    })
}

fn instant(s: Option<&str>, field: &str) -> ApiResult<Option<i64>> {
    match s {
        None | Some("") => Ok(None),
        Some(s) => time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map(|t| Some(millis(t)))
            .map_err(|_| ApiError::invalid(format!("{field}: not an RFC 3339 time"))),
    }
}

/// The stays a drill-down or export reads.
fn stay_query(state: &AppState, auth: &Auth, q: &ContactsQuery) -> ApiResult<StayQuery> {
    let r = range(
        state.now(),
        q.from.as_deref(),
        q.to.as_deref(),
        q.tz.as_deref(),
    )?;
    let fact = figure(q.figure.as_deref())?;
    let from = instant(q.start.as_deref(), "start")?
        .unwrap_or(r.from)
        .max(r.from);
    let to = instant(q.end.as_deref(), "end")?.unwrap_or(r.to).min(r.to);
    let f = filters(
        q.queue_id,
        q.agent_id.as_deref(),
        q.channel.as_deref(),
        q.code.as_deref(),
    )?;
    let offered_from = if fact == StayFact::Offered {
        from
    } else {
        from - SLACK.0 as i64
    };
    Ok(StayQuery {
        org_id: auth.org_id(),
        offered_from,
        offered_to: to,
        queue_id: f.queue_id,
        agent_id: f.agent_id,
        channel: f.channel,
        code: f.code,
        fact: Some((fact, from, to)),
        ..Default::default()
    })
}

fn stay_json(names: &std::collections::HashMap<Uuid, String>, s: &ReportStay) -> Value {
    let ts = |ms: Option<i64>| ms.map(|m| wire::ts(time_of(m)));
    let secs = |ms: Option<i64>| ms.map(|m| (m as f64 / 100.0).round() / 10.0);
    json!({
        "contact_id": s.contact_id,
        "stay": s.seq,
        "queue_id": s.queue_id,
        "queue": names.get(&s.queue_id),
        "channel": s.channel,
        "agent_id": s.agent_id,
        "agent": s.agent_id.and_then(|a| names.get(&a)),
        "offered_at": ts(Some(s.offered_at)),
        "answered_at": ts(s.answered_at),
        "wait_s": secs(s.answer_wait_ms.or(s.wait_ms)),
        "in_service_level": s.answered_at.map(|_| s.in_sl),
        "outcome": s.outcome,
        "ended_at": ts(s.ended_at),
        "handle_s": secs(s.handle_ms),
        "wrapped_at": ts(s.wrapped_at),
        "acw_s": secs(s.acw_ms),
        "code": s.code,
        "csat": s.csat,
    })
}

/// The contacts behind a figure (one row per stay in a queue: a transferred contact
/// has one per queue), a page at a time, oldest offer first. Each contact listed is
/// recorded as read (`audit.read`) before the page is sent.
#[utoipa::path(get, path = "/api/reports/contacts", tag = "reports", params(ContactsQuery), responses((status = 200, description = "`{items, next_cursor}`"), (status = 422, body = crate::error::ErrorBody)))]
async fn contacts(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ContactsQuery>,
) -> ApiResult<Json<Value>> {
    auth.require(READERS)?;
    let mut sq = stay_query(&state, &auth, &q)?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    if let Some(c) = q.cursor.as_deref().filter(|c| !c.is_empty()) {
        let bad = || ApiError::invalid("cursor: not a cursor from this list");
        let mut parts = c.split('.');
        let at = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let id = parts
            .next()
            .and_then(|p| Uuid::parse_str(p).ok())
            .ok_or_else(bad)?;
        let seq = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        sq.after = Some((at, id, seq));
    }
    sq.limit = Some(limit + 1);
    sq.ordered = true;
    reports::catch_up(&state, auth.org_id()).await?;
    let mut rx = state.store().report_stays(sq);
    let mut stays = Vec::new();
    while let Some(chunk) = rx.recv().await {
        stays.extend(chunk?);
    }
    let next = (stays.len() > limit as usize).then(|| {
        stays.truncate(limit as usize);
        let l = stays.last().expect("a full page");
        format!("{}.{}.{}", l.offered_at, l.contact_id, l.seq)
    });
    let mut seen = std::collections::BTreeSet::new();
    let reads: Vec<store::Change> = stays
        .iter()
        .filter(|s| seen.insert(s.contact_id))
        .map(|s| {
            LiveEvent::Read {
                what: "contact".into(),
                id: s.contact_id,
            }
            .change(auth.org_id(), state.now(), Actor::from(&auth))
        })
        .collect();
    if !reads.is_empty() {
        state.write(reads, vec![]).await?;
    }
    let names = names(&state, auth.org_id());
    let items: Vec<Value> = stays.iter().map(|s| stay_json(&names, s)).collect();
    Ok(Json(json!({"items": items, "next_cursor": next})))
}

const STAY_COLUMNS: &str = "contact_id,stay,queue_id,queue,channel,agent_id,agent,offered_at,\
answered_at,wait_s,in_service_level,outcome,ended_at,handle_s,wrapped_at,acw_s,code,csat";

/// One row per contact (per stay in a queue) behind a figure, as CSV, streamed as it
/// is read (never held whole). The export is recorded (`audit.export`, with its
/// filter) before the first row is sent.
#[utoipa::path(get, path = "/api/reports/contacts.csv", tag = "reports", params(ContactsQuery), responses((status = 200, description = "`text/csv`: one line per stay", content_type = "text/csv"), (status = 422, body = crate::error::ErrorBody)))]
async fn contacts_csv(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ContactsQuery>,
) -> ApiResult<Response> {
    auth.require(READERS)?;
    let mut sq = stay_query(&state, &auth, &q)?;
    sq.ordered = true;
    reports::catch_up(&state, auth.org_id()).await?;
    let filter = format!(
        "from={} to={} tz={} figure={} start={} end={} queue_id={} agent_id={} channel={} code={}",
        q.from.as_deref().unwrap_or(""),
        q.to.as_deref().unwrap_or(""),
        q.tz.as_deref().unwrap_or("UTC"),
        q.figure.as_deref().unwrap_or("offered"),
        q.start.as_deref().unwrap_or(""),
        q.end.as_deref().unwrap_or(""),
        q.queue_id.map(|u| u.to_string()).unwrap_or_default(),
        q.agent_id.as_deref().unwrap_or(""),
        q.channel.as_deref().unwrap_or(""),
        // A code is the organisation's own word, not personal data.
        q.code.as_deref().unwrap_or(""),
    );
    state
        .write(
            vec![
                LiveEvent::Export {
                    what: "report_contacts".into(),
                    filter,
                }
                .change(auth.org_id(), state.now(), Actor::from(&auth)),
            ],
            vec![],
        )
        .await?;
    let names = std::sync::Arc::new(names(&state, auth.org_id()));
    let rx = state.store().report_stays(sq);
    let header = futures::stream::once(async {
        Ok::<_, std::io::Error>(axum::body::Bytes::from(format!("{STAY_COLUMNS}\r\n")))
    });
    let rows = futures::stream::unfold(rx, move |mut rx| {
        let names = names.clone();
        async move {
            let chunk = rx.recv().await?;
            let item = match chunk {
                Ok(stays) => {
                    let mut out = String::with_capacity(stays.len() * 200);
                    for s in &stays {
                        let v = stay_json(&names, s);
                        for (i, col) in STAY_COLUMNS.split(',').enumerate() {
                            if i > 0 {
                                out.push(',');
                            }
                            out.push_str(&csv_value(&v[if col == "stay" { "stay" } else { col }]));
                        }
                        out.push_str("\r\n");
                    }
                    Ok(axum::body::Bytes::from(out))
                }
                Err(e) => Err(std::io::Error::other(e.to_string())),
            };
            Some((item, rx))
        }
    });
    use futures::StreamExt as _;
    Ok(csv_response(
        "contacts.csv",
        Body::from_stream(header.chain(rows)),
    ))
}
