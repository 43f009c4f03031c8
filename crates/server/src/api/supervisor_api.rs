//! The supervisor console's API: the wallboard, raised hands, supervising a
//! conversation, and team control. The decisions live in [`crate::supervise`] and the
//! figures in the routing crate's [`routing::wallboard`]; this is the HTTP shell.

use axum::extract::State;
use axum::http::StatusCode;
use routing::wallboard::{Activity, Filter, Tally};
use routing::{Millis, QueueId, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{Channel, Role};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{Json, Path, Query};
use crate::events::Actor;
use crate::live::{AgentState, rid, routing_channel, ts};
use crate::supervise::{self, HelpAction, HelpRequest, Supervision};
use crate::{ApiError, ApiResult, AppState, wire};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(wallboard))
        .routes(routes!(list_help, raise_help))
        .routes(routes!(take_help))
        .routes(routes!(close_help))
        .routes(routes!(supervise_contact))
        .routes(routes!(force_state))
        .routes(routes!(set_priority))
        .routes(routes!(routing_history))
}

const WATCHERS: &[Role] = &[Role::Admin, Role::Supervisor, Role::Analyst];
const MANAGERS: &[Role] = &[Role::Admin, Role::Supervisor];
const HANDLERS: &[Role] = &[Role::Admin, Role::Supervisor, Role::Agent];

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct WallboardQuery {
    /// Only this queue.
    pub queue_id: Option<Uuid>,
    /// Only this channel (`chat`, `sms`, `whatsapp`, …).
    pub channel: Option<String>,
    /// Only agents of this team.
    pub team: Option<String>,
    /// The viewer's IANA time zone: "today" starts at its midnight (default UTC).
    pub tz: Option<String>,
    /// The `version` of the `wallboard` note being answered: a board at least that
    /// recent, computed in the last half second for another console, may be shared.
    pub version: Option<u64>,
}

fn tally_json(t: &Tally) -> Value {
    let round = |p: Option<f64>| p.map(|p| (p * 10.0).round() / 10.0);
    json!({
        "offered": t.offered,
        "answered": t.answered,
        "answered_in_sl": t.answered_in_sl,
        "abandoned": t.abandoned,
        "expired": t.expired,
        "handled": t.handled,
        "service_level_percent": round(t.service_level_percent()),
        "asa_s": t.asa_ms().map(|m| m / 1000),
        "abandon_percent": round(t.abandon_percent()),
        "aht_s": t.aht_ms().map(|m| m / 1000),
        "abandon_wait_s": (t.abandoned > 0).then(|| t.abandon_wait_ms / t.abandoned / 1000),
    })
}

/// The midnight that starts `now`'s day in `tz` (`wfm::zone`: the zones the planner uses).
fn day_start(now: time::OffsetDateTime, tz: Option<&str>) -> ApiResult<Timestamp> {
    let zone = match tz {
        None | Some("") => jiff::tz::TimeZone::UTC,
        Some(name) => wfm::zone::parse(name).map_err(|_| {
            ApiError::invalid(format!(
                "tz: `{name}` is not an IANA time zone (e.g. America/New_York)"
            ))
        })?,
    };
    let minute = now.unix_timestamp().div_euclid(60);
    let midnight = wfm::zone::to_utc(&zone, wfm::zone::local_day(&zone, minute), 0);
    Ok(Timestamp((midnight.max(0) * 60_000) as u64))
}

/// The wallboard: per queue, waiting and longest wait now, and today's and the last 30
/// minutes' service level, speed of answer, abandons and handle time; per agent, their
/// activity and since when, contacts held and occupancy today; volume and service level
/// per 15 minutes of the day. The same figures the routing log gives (they are kept
/// from its events); supervisors get a `wallboard` note on their WebSocket when they
/// change, and fetch this again.
#[utoipa::path(get, path = "/api/wallboard", tag = "supervisor", params(WallboardQuery), responses((status = 200, description = "`{day_start, now, queues, totals, agents, series, help}`")))]
async fn wallboard(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<WallboardQuery>,
) -> ApiResult<Json<Value>> {
    auth.require(WATCHERS)?;
    let channel = match q.channel.as_deref() {
        None | Some("") => None,
        Some(c) => Some(
            Channel::parse(c)
                .ok_or_else(|| ApiError::invalid(format!("channel: `{c}` is not a channel")))?,
        ),
    };
    let now = state.now();
    let day = day_start(now, q.tz.as_deref())?;
    let t_now = ts(now);
    let recent = Timestamp(t_now.0.saturating_sub(30 * 60 * 1000));
    let team = q.team.filter(|t| !t.is_empty());
    // Every console fetches after each note: the first computes, the rest share it.
    let key = format!("{:?}|{channel:?}|{team:?}|{}", q.queue_id, day.0);
    let slot = state.slot(auth.org_id());
    let current = slot.lock().wallboard.version();
    if let Some(board) = slot
        .boards
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&key, current, q.version)
    {
        return Ok(Json(with_help(&state, auth.org_id(), &board)));
    }
    let (version, v) = state.with_org(auth.org_id(), |o| {
        (o.wallboard.version(), {
        let board = &o.wallboard;
        let ch = channel.map(routing_channel);
        let mut queues: Vec<&crate::live::QueueLive> = o
            .queues()
            .filter(|x| q.queue_id.is_none_or(|id| id == x.id))
            .collect();
        queues.sort_by(|a, b| a.name.cmp(&b.name));
        let ids: Vec<QueueId> = queues.iter().map(|x| QueueId(rid(x.id))).collect();
        let filter = Filter {
            queues: Some(&ids),
            channel: ch,
        };
        let mut rows = Vec::new();
        let mut waiting_total = 0;
        let mut longest_total = 0;
        let lines = o.lines(channel, now);
        for x in &queues {
            let id = QueueId(rid(x.id));
            let one = [id];
            let f = Filter {
                queues: Some(&one),
                channel: ch,
            };
            let line = lines.get(&x.id).cloned().unwrap_or_default();
            let (waiting, longest) = (line.waiting, line.longest_wait_s);
            let stats = o.router().queue_stats(id, t_now);
            waiting_total += waiting;
            longest_total = longest_total.max(longest);
            rows.push(json!({
                "queue_id": x.id,
                "name": x.name,
                "open": stats.as_ref().map(|s| s.open),
                "waiting": waiting,
                "longest_wait_s": longest,
                "agents_available": stats.as_ref().map(|s| s.agents_available),
                "agents_on_contact": line.on_contact.len(),
                "service_level_target_percent": stats.as_ref().map(|s| s.service_level_target_percent),
                "threshold_s": o.router().queue_config(id).map(|c| c.service_level.threshold.0 / 1000),
                "today": tally_json(&board.tally(f, day, Timestamp(t_now.0 + 1))),
                "last_30m": tally_json(&board.tally(f, recent, Timestamp(t_now.0 + 1))),
            }));
        }
        let help = o.help.list();
        let raised: std::collections::HashSet<Uuid> = help.iter().map(|r| r.agent_id).collect();
        let mut agents = Vec::new();
        let mut counts = std::collections::BTreeMap::<&str, u32>::new();
        let mut list: Vec<&crate::live::AgentLive> = o
            .agents()
            .filter(|a| team.is_none() || a.profile.team == team)
            .collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        for a in list {
            let aid = routing::AgentId(rid(a.user_id));
            let time = board.agent_time(aid, day, t_now);
            let (activity, since) = board
                .activity(aid)
                .map(|(act, s)| (act, Some(wire::ts(crate::live::time_of(s)))))
                .unwrap_or((Activity::Offline, None));
            let name = match activity {
                Activity::Offline => "offline",
                Activity::Break => "break",
                Activity::Available => "available",
                Activity::OnContact => "on_contact",
                Activity::AfterContactWork => "after_contact_work",
            };
            *counts.entry(name).or_default() += 1;
            let mut row = o.agent_json(a.user_id).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut row {
                m.insert("activity".into(), json!(name));
                m.insert("activity_since".into(), json!(since));
                m.insert(
                    "occupancy_percent".into(),
                    json!(time.occupancy_percent().map(|p| p.round())),
                );
                m.insert("time_today".into(), json!(time));
                m.insert("help".into(), json!(raised.contains(&a.user_id)));
            }
            agents.push(row);
        }
        let series: Vec<Value> = board
            .series(filter, day, Timestamp(t_now.0 + 1), Millis(15 * 60 * 1000))
            .into_iter()
            .map(|(start, t)| {
                json!({
                    "start": wire::ts(crate::live::time_of(start)),
                    "offered": t.offered,
                    "answered": t.answered,
                    "abandoned": t.abandoned,
                    "service_level_percent": t.service_level_percent().map(|p| p.round()),
                })
            })
            .collect();
        let mut teams: Vec<String> = o.agents().filter_map(|a| a.profile.team.clone()).collect();
        teams.sort();
        teams.dedup();
        json!({
            "day_start": wire::ts(crate::live::time_of(day)),
            "now": wire::ts(now),
            "queues": rows,
            "totals": {
                "waiting": waiting_total,
                "longest_wait_s": longest_total,
                "today": tally_json(&board.tally(filter, day, Timestamp(t_now.0 + 1))),
                "last_30m": tally_json(&board.tally(filter, recent, Timestamp(t_now.0 + 1))),
                "agents": counts,
            },
            "agents": agents,
            "teams": teams,
            "series": series,
            "help": help,
        })
        })
    });
    let v = std::sync::Arc::new(v);
    slot.boards
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .put(key, version, v.clone());
    Ok(Json(with_help(&state, auth.org_id(), &v)))
}

/// Open raised hands: supervisors see all, an agent their own.
#[utoipa::path(get, path = "/api/help", tag = "supervisor", responses((status = 200, body = Vec<HelpRequest>)))]
async fn list_help(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<HelpRequest>>> {
    auth.require(HANDLERS)?;
    Ok(Json(supervise::visible_requests(
        &state,
        auth.org_id(),
        auth.user.id,
        auth.is_staff_manager(),
    )))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RaiseIn {
    /// The contact you need help with (one of yours).
    pub contact_id: Option<Uuid>,
    /// One line for the supervisor (at most 280 characters).
    pub text: Option<String>,
}

/// Raise a hand: every supervisor sees it at once; one takes it and joins you.
#[utoipa::path(post, path = "/api/help", tag = "supervisor", request_body = RaiseIn, responses((status = 201, body = HelpRequest), (status = 409, body = crate::error::ErrorBody)))]
async fn raise_help(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<RaiseIn>,
) -> ApiResult<(StatusCode, Json<HelpRequest>)> {
    auth.require(HANDLERS)?;
    let r = supervise::raise(
        &state,
        auth.org_id(),
        Actor::from(&auth),
        body.contact_id,
        body.text,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Take a raised hand (supervisors): the others see it taken, the agent sees who is
/// coming. Open the contact next (`POST /api/contacts/{id}/supervise`).
#[utoipa::path(post, path = "/api/help/{id}/take", tag = "supervisor", params(("id" = Uuid, Path)), responses((status = 200, body = HelpRequest), (status = 409, body = crate::error::ErrorBody)))]
async fn take_help(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Option<HelpRequest>>> {
    auth.require(MANAGERS)?;
    let r = supervise::act(
        &state,
        auth.org_id(),
        Actor::from(&auth),
        true,
        id,
        HelpAction::Taken,
    )
    .await?;
    Ok(Json(r))
}

/// Close a raised hand (the agent who raised it, or a supervisor).
#[utoipa::path(post, path = "/api/help/{id}/close", tag = "supervisor", params(("id" = Uuid, Path)), responses((status = 204, description = "closed"), (status = 404, body = crate::error::ErrorBody)))]
async fn close_help(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    auth.require(HANDLERS)?;
    supervise::act(
        &state,
        auth.org_id(),
        Actor::from(&auth),
        auth.is_staff_manager(),
        id,
        HelpAction::Closed,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A (possibly shared) board with the raised hands as they are now: hands are not
/// routing events, so a board computed a moment ago may not have the latest.
fn with_help(state: &AppState, org: Uuid, board: &Value) -> Value {
    let help = state.with_org(org, |o| o.help.list());
    let raised: std::collections::HashSet<Uuid> = help.iter().map(|r| r.agent_id).collect();
    let mut out = board.clone();
    if let Some(agents) = out.get_mut("agents").and_then(Value::as_array_mut) {
        for a in agents {
            let id = a
                .get("id")
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok());
            if let Some(m) = a.as_object_mut() {
                m.insert(
                    "help".into(),
                    json!(id.is_some_and(|id| raised.contains(&id))),
                );
            }
        }
    }
    out["help"] = json!(help);
    out
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuperviseIn {
    /// `monitor` (watch silently), `barge` (join: the customer sees you and your
    /// messages), `take_over` (the agent is released; you continue). To whisper, post an
    /// internal message (`POST /api/contacts/{id}/messages` with `internal: true`).
    pub action: Supervision,
}

/// Supervise a live conversation. Every action is in the log with who and when.
#[utoipa::path(post, path = "/api/contacts/{id}/supervise", tag = "supervisor", params(("id" = Uuid, Path)), request_body = SuperviseIn, responses((status = 200, body = wire::ContactOut), (status = 409, body = crate::error::ErrorBody)))]
async fn supervise_contact(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Json(body): Json<SuperviseIn>,
) -> ApiResult<Json<Value>> {
    auth.require(MANAGERS)?;
    crate::contacts::visible(&state, &auth, id).await?;
    let c =
        supervise::supervise(&state, auth.org_id(), Actor::from(&auth), id, body.action).await?;
    Ok(Json(wire::contact(&c)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForceStateIn {
    /// `available`, `break` or `offline`.
    pub state: AgentState,
    /// Why (the agent sees it; 1 to 100 characters).
    pub reason: String,
    /// Also end the agent's sessions (they sign in again).
    #[serde(default)]
    pub sign_out: bool,
}

/// Set an agent's state, or sign them out (supervisors), with a reason the agent sees.
#[utoipa::path(put, path = "/api/agents/{id}/state", tag = "supervisor", params(("id" = Uuid, Path)), request_body = ForceStateIn, responses((status = 200, description = "the agent"), (status = 404, body = crate::error::ErrorBody)))]
async fn force_state(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Json(body): Json<ForceStateIn>,
) -> ApiResult<Json<Value>> {
    auth.require(MANAGERS)?;
    if body.sign_out && body.state != AgentState::Offline {
        return Err(ApiError::invalid(
            "state: signing an agent out sets them offline; send `offline`",
        ));
    }
    let v = supervise::set_agent_state(
        &state,
        auth.org_id(),
        Actor::from(&auth),
        id,
        body.state,
        body.reason,
        body.sign_out,
    )
    .await?;
    Ok(Json(v))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityIn {
    /// The contact's own priority, 0 to 100, added to its queue's; higher is served
    /// first. Waiting time still ages every contact toward the front.
    pub priority: u8,
    /// Why (kept in the log with who changed it).
    pub reason: Option<String>,
}

/// Move a waiting (or active) contact up or down its line (supervisors).
#[utoipa::path(put, path = "/api/contacts/{id}/priority", tag = "supervisor", params(("id" = Uuid, Path)), request_body = PriorityIn, responses((status = 200, body = wire::ContactOut), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn set_priority(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Json(body): Json<PriorityIn>,
) -> ApiResult<Json<Value>> {
    auth.require(MANAGERS)?;
    crate::contacts::visible(&state, &auth, id).await?;
    let c = supervise::set_priority(
        &state,
        auth.org_id(),
        Actor::from(&auth),
        id,
        body.priority,
        body.reason,
    )
    .await?;
    Ok(Json(wire::contact(&c)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoutingHistoryOut {
    pub contact_id: Uuid,
    /// Everything routing did with the contact, oldest first.
    pub steps: Vec<supervise::RoutingStep>,
}

/// Why a contact went where it went: each routing decision with the engine's
/// explanation ("why did Alex get this contact?"), from the log.
#[utoipa::path(get, path = "/api/contacts/{id}/routing", tag = "supervisor", params(("id" = Uuid, Path)), responses((status = 200, body = RoutingHistoryOut), (status = 404, body = crate::error::ErrorBody)))]
async fn routing_history(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<RoutingHistoryOut>> {
    auth.require(WATCHERS)?;
    let c = crate::contacts::visible(&state, &auth, id).await?;
    let steps = supervise::routing_history(&state, auth.org_id(), &c).await?;
    Ok(Json(RoutingHistoryOut {
        contact_id: id,
        steps,
    }))
}
