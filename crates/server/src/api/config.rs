//! Configuration objects (queues, skills, routing policies, wrap-up codes, business
//! hours, canned responses), agents, users, API tokens, the organisation, the event log.
//!
//! The six object kinds share one set of handlers on `/api/{kind}`; the OpenAPI document
//! lists each kind's paths separately ([`expand_object_paths`]).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use store::{Change, Object, ObjectKind, Role, Store};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{PageQuery, Stored, idempotent, items, parse};
use crate::auth::Auth;
use crate::error::{Json, Path, Query};
use crate::events::{Actor, LiveEvent};
use crate::live::{AgentProfile, QueueSettings};
use crate::{ApiError, ApiResult, AppState, contacts, seed, wire};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_objects, create_object))
        .routes(routes!(get_object, update_object, delete_object))
        .routes(routes!(list_agents))
        .routes(routes!(get_agent, update_agent))
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(reset_user_mfa))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(get_org, update_org))
        .routes(routes!(list_events))
        .routes(routes!(preview_policy))
}

const ALL: &[Role] = &[Role::Admin, Role::Supervisor, Role::Agent, Role::Analyst];
const MANAGERS: &[Role] = &[Role::Admin, Role::Supervisor];

/// The URL segment of each object kind.
pub const KINDS: &[(&str, ObjectKind)] = &[
    ("queues", ObjectKind::Queue),
    ("skills", ObjectKind::Skill),
    ("routing-policies", ObjectKind::RoutingPolicy),
    ("wrapup-codes", ObjectKind::WrapupCode),
    ("business-hours", ObjectKind::BusinessHours),
    ("canned-responses", ObjectKind::CannedResponse),
];

/// The `{kind}` of `/api/{kind}[/{id}]`, checked before authentication so that an
/// unknown path is a 404 for everyone.
struct Kind(ObjectKind, &'static str);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Kind {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, ApiError> {
        let segment = parts
            .uri
            .path()
            .strip_prefix("/api/")
            .and_then(|r| r.split('/').next())
            .unwrap_or("");
        KINDS
            .iter()
            .find(|(s, _)| *s == segment)
            .map(|(s, k)| Kind(*k, s))
            .ok_or_else(|| ApiError::not_found("route"))
    }
}

/// Replace `/api/{kind}` paths by one path per kind in the OpenAPI document.
pub fn expand_object_paths(doc: &mut utoipa::openapi::OpenApi) {
    for template in ["/api/{kind}", "/api/{kind}/{id}"] {
        let Some(item) = doc.paths.paths.remove(template) else {
            continue;
        };
        for (segment, _) in KINDS {
            let mut v = serde_json::to_value(&item).unwrap_or(Value::Null);
            if let Some(ops) = v.as_object_mut() {
                for (_, op) in ops.iter_mut() {
                    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
                        params.retain(|p| p.get("name").and_then(Value::as_str) != Some("kind"));
                    }
                    if let Some(id) = op.get_mut("operationId") {
                        *id = json!(format!(
                            "{}_{}",
                            id.as_str().unwrap_or(""),
                            segment.replace('-', "_")
                        ));
                    }
                }
            }
            if let Ok(it) = serde_json::from_value(v) {
                doc.paths
                    .paths
                    .insert(template.replace("{kind}", segment), it);
            }
        }
    }
}

// ---------- validation per kind ----------

/// A queue: its name and its routing settings (see [`QueueSettings`]). Unknown fields
/// are refused.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct QueueIn {
    pub name: String,
    #[serde(flatten)]
    pub settings: QueueSettings,
}

#[derive(Debug, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimpleIn {
    pub name: String,
    pub description: Option<String>,
    /// Routing policies: the target expression; canned responses: the text.
    pub expression: Option<String>,
    pub text: Option<String>,
    pub queue_id: Option<Uuid>,
    pub label: Option<String>,
    /// Business hours: IANA time zone and weekly opening hours.
    pub timezone: Option<String>,
    pub weekly: Option<Vec<WeeklyIn>>,
    pub tags: Option<Vec<String>>,
    /// Canned responses: what the agent types to insert it (`/refund`), and a title.
    pub shortcut: Option<String>,
    pub title: Option<String>,
}

impl SimpleIn {
    /// Every free-text field has a size limit: a configuration object is read by every
    /// agent's desktop, so a megabyte here is a megabyte on every screen.
    fn within_limits(&self) -> ApiResult<()> {
        let fields: [(&str, &Option<String>, usize); 7] = [
            ("description", &self.description, 2_000),
            ("expression", &self.expression, 10_000),
            ("text", &self.text, 10_000),
            ("label", &self.label, 200),
            ("timezone", &self.timezone, 64),
            ("shortcut", &self.shortcut, 50),
            ("title", &self.title, 200),
        ];
        for (name, value, max) in fields {
            if value.as_ref().is_some_and(|v| v.len() > max) {
                return Err(ApiError::invalid(format!("{name}: at most {max} bytes")));
            }
        }
        if let Some(tags) = &self.tags
            && (tags.len() > 50 || tags.iter().any(|t| t.is_empty() || t.len() > 50))
        {
            return Err(ApiError::invalid("tags: at most 50, each 1 to 50 bytes"));
        }
        if self.weekly.as_ref().is_some_and(|w| w.len() > 70) {
            return Err(ApiError::invalid("weekly: at most 70 opening periods"));
        }
        Ok(())
    }
}

#[derive(Debug, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklyIn {
    /// 1 = Monday … 7 = Sunday.
    pub day: u8,
    /// `HH:MM`.
    pub open: String,
    pub close: String,
}

/// The fields of [`QueueSettings`].
const QUEUE_KEYS: &[&str] = &[
    "priority",
    "required_skills",
    "steps",
    "selection",
    "service_level_percent",
    "service_level_s",
    "offer_timeout_s",
    "after_contact_work_s",
    "max_wait_s",
    "overflow_queue_id",
    "priority_aging_s",
    "prefer_last_agent_s",
    "decline_cooloff_s",
    "business_hours_id",
    "public",
    "record_calls",
];

/// Refuse fields a flattened body does not know (serde cannot, with `flatten`).
fn only_keys(body: &Value, extra: &str, keys: &[&str]) -> ApiResult<()> {
    if let Some(m) = body.as_object()
        && let Some(k) = m
            .keys()
            .find(|k| k.as_str() != extra && !keys.contains(&k.as_str()))
    {
        return Err(ApiError::invalid(format!(
            "{k}: unknown field; expected one of {}",
            keys.join(", ")
        )));
    }
    Ok(())
}

fn hhmm(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 5
        && b[2] == b':'
        && s[..2].parse::<u8>().is_ok_and(|h| h < 24)
        && s[3..].parse::<u8>().is_ok_and(|m| m < 60)
}

/// Validate a create/update body for `kind`: the name and the object's data.
fn validate(kind: ObjectKind, body: &Value) -> ApiResult<(String, Value)> {
    let name_ok = |n: &str| -> ApiResult<()> {
        if n.trim().is_empty() || n.len() > 100 {
            Err(ApiError::invalid("name: 1 to 100 characters"))
        } else {
            Ok(())
        }
    };
    match kind {
        ObjectKind::Queue => {
            let q: QueueIn = parse(body)?;
            only_keys(body, "name", QUEUE_KEYS)?;
            name_ok(&q.name)?;
            q.settings.validate().map_err(ApiError::invalid)?;
            Ok((
                q.name.trim().to_string(),
                serde_json::to_value(q.settings).unwrap_or(Value::Null),
            ))
        }
        _ => {
            let s: SimpleIn = parse(body)?;
            name_ok(&s.name)?;
            match kind {
                ObjectKind::RoutingPolicy
                    if s.expression.as_deref().is_none_or(|e| e.trim().is_empty()) =>
                {
                    return Err(ApiError::invalid("expression: required"));
                }
                ObjectKind::CannedResponse
                    if s.text.as_deref().is_none_or(|e| e.trim().is_empty()) =>
                {
                    return Err(ApiError::invalid("text: required"));
                }
                ObjectKind::BusinessHours => {
                    let tz = s.timezone.as_deref().unwrap_or("UTC");
                    if jiff::tz::TimeZone::get(tz).is_err() {
                        return Err(ApiError::invalid(format!(
                            "timezone: `{tz}` is not a time zone; use an IANA name such as America/Chicago"
                        )));
                    }
                    let weekly = s.weekly.as_deref().unwrap_or(&[]);
                    if weekly.iter().any(|w| {
                        !(1..=7).contains(&w.day)
                            || !hhmm(&w.open)
                            || !hhmm(&w.close)
                            || w.open >= w.close
                    }) {
                        return Err(ApiError::invalid("weekly: day 1-7, open < close as HH:MM"));
                    }
                }
                _ => {}
            }
            s.within_limits()?;
            let mut v = serde_json::to_value(&s).unwrap_or(Value::Null);
            if let Some(m) = v.as_object_mut() {
                m.remove("name");
                m.retain(|_, v| !v.is_null());
            }
            Ok((s.name.trim().to_string(), v))
        }
    }
}

/// List objects of one kind (`queues`, `skills`, `routing-policies`, `wrapup-codes`,
/// `business-hours`, `canned-responses`).
#[utoipa::path(get, path = "/api/{kind}", tag = "config", params(("kind" = String, Path), PageQuery), responses((status = 200, description = "`{items, next_cursor}`")))]
async fn list_objects(
    State(state): State<AppState>,
    Kind(kind, _): Kind,
    auth: Auth,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Value>> {
    auth.require(ALL)?;
    let p = state
        .store()
        .list_objects(auth.org_id(), kind, q.page())
        .await?;
    Ok(items(
        p.items.iter().map(wire::object).collect(),
        p.next_cursor,
    ))
}

/// Create an object (admins, supervisors).
#[utoipa::path(post, path = "/api/{kind}", tag = "config", params(("kind" = String, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = SimpleIn,
    responses((status = 201, description = "the object"), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_object(
    State(state): State<AppState>,
    Kind(kind, kind_s): Kind,
    auth: Auth,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> ApiResult<(StatusCode, axum::Json<Value>)> {
    auth.require(MANAGERS)?;
    let (name, data) = validate(kind, &body)?;
    let org = auth.org_id();
    idempotent(&state, &auth, &headers, kind_s, &body, |_| async {
        let o = seed::create_object_by(&state, Actor::from(&auth), org, kind, &name, data).await?;
        Ok((wire::object(&o), Stored::No))
    })
    .await
}

/// One object.
#[utoipa::path(get, path = "/api/{kind}/{id}", tag = "config", params(("kind" = String, Path), ("id" = Uuid, Path)), responses((status = 200, description = "the object"), (status = 404, body = crate::error::ErrorBody)))]
async fn get_object(
    State(state): State<AppState>,
    Kind(kind, _): Kind,
    auth: Auth,
    Path((_kind, id)): Path<(String, Uuid)>,
) -> ApiResult<Json<Value>> {
    auth.require(ALL)?;
    let o = state
        .store()
        .get_object(auth.org_id(), kind, id)
        .await?
        .ok_or_else(|| ApiError::not_found("object"))?;
    Ok(Json(wire::object(&o)))
}

/// Replace an object.
#[utoipa::path(put, path = "/api/{kind}/{id}", tag = "config", params(("kind" = String, Path), ("id" = Uuid, Path)), request_body = SimpleIn, responses((status = 200, description = "the object"), (status = 404, body = crate::error::ErrorBody)))]
async fn update_object(
    State(state): State<AppState>,
    Kind(kind, _): Kind,
    auth: Auth,
    Path((_kind, id)): Path<(String, Uuid)>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    auth.require(MANAGERS)?;
    let (name, data) = validate(kind, &body)?;
    let mut o = state
        .store()
        .get_object(auth.org_id(), kind, id)
        .await?
        .ok_or_else(|| ApiError::not_found("object"))?;
    let now = state.now();
    o.name = name;
    o.data = data;
    o.updated_at = now;
    state
        .write(
            vec![
                Change::PutObject(o.clone()),
                LiveEvent::ObjectPut {
                    kind: kind.as_str().into(),
                    id,
                }
                .change(o.org_id, now, Actor::from(&auth)),
            ],
            vec![],
        )
        .await?;
    if matches!(kind, ObjectKind::Queue | ObjectKind::BusinessHours) {
        contacts::refresh_org_config(&state, auth.org_id()).await?;
    }
    Ok(Json(wire::object(&o)))
}

/// Delete an object. A queue with contacts still waiting or active is a 409.
#[utoipa::path(delete, path = "/api/{kind}/{id}", tag = "config", params(("kind" = String, Path), ("id" = Uuid, Path)), responses((status = 204, description = "deleted"), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn delete_object(
    State(state): State<AppState>,
    Kind(kind, _): Kind,
    auth: Auth,
    Path((_kind, id)): Path<(String, Uuid)>,
) -> ApiResult<StatusCode> {
    auth.require(MANAGERS)?;
    let org = auth.org_id();
    state
        .store()
        .get_object(org, kind, id)
        .await?
        .ok_or_else(|| ApiError::not_found("object"))?;
    if kind == ObjectKind::Queue {
        let busy = state.with_org(org, |o| {
            o.contacts().any(|c| c.contact.queue_id == Some(id))
                || o.queues().any(|q| q.settings.overflow_queue_id == Some(id))
        });
        if busy {
            return Err(ApiError::conflict(
                "this queue still has open contacts or is another queue's overflow; move them first",
            ));
        }
    }
    crate::org_settings::delete(&state, org, Actor::from(&auth), kind, id).await?;
    if matches!(kind, ObjectKind::Queue | ObjectKind::BusinessHours) {
        contacts::refresh_org_config(&state, org).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

// ---------- agents ----------

/// Agents with their presence and profile.
#[utoipa::path(get, path = "/api/agents", tag = "config", responses((status = 200, description = "`{items, next_cursor}`")))]
async fn list_agents(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require(ALL)?;
    let mut list: Vec<Value> = state.with_org(auth.org_id(), |o| {
        o.agents().filter_map(|a| o.agent_json(a.user_id)).collect()
    });
    list.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Ok(items(list, None))
}

/// One agent.
#[utoipa::path(get, path = "/api/agents/{id}", tag = "config", params(("id" = Uuid, Path)), responses((status = 200, description = "the agent"), (status = 404, body = crate::error::ErrorBody)))]
async fn get_agent(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    auth.require(ALL)?;
    contacts::agent_json(&state, auth.org_id(), id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found("agent"))
}

/// An agent's routing profile: skills with levels 1–5 (or a list of names, level 3
/// each), capacity per channel (or one number: that many chats, messaging threads and
/// emails, and one call), and their team.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AgentIn {
    #[serde(flatten)]
    pub profile: AgentProfile,
}

/// Set an agent's routing profile (skills, capacity). Also makes a supervisor or admin
/// an agent. Presence is not touched: an agent on a break stays on it.
#[utoipa::path(put, path = "/api/agents/{id}", tag = "config", params(("id" = Uuid, Path)), request_body = AgentIn, responses((status = 200, description = "the agent"), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn update_agent(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    auth.require(MANAGERS)?;
    only_keys(&body, "", &["skills", "capacity", "team"])?;
    let profile = parse::<AgentIn>(&body)?.profile;
    profile.validate().map_err(ApiError::invalid)?;
    let org = auth.org_id();
    let user = state
        .store()
        .get_user(org, id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent"))?;
    let existing = state.store().get_object(org, ObjectKind::Agent, id).await?;
    let now = state.now();
    let o = Object {
        id,
        org_id: org,
        kind: ObjectKind::Agent,
        name: user.id.to_string(),
        data: serde_json::to_value(&profile).unwrap_or(Value::Null),
        created_at: existing.map(|e| e.created_at).unwrap_or(now),
        updated_at: now,
    };
    state
        .write(
            vec![
                Change::PutObject(o),
                LiveEvent::AgentProfile { agent_id: id }.change(org, now, Actor::from(&auth)),
            ],
            vec![],
        )
        .await?;
    contacts::refresh_org_config(&state, org).await?;
    contacts::agent_json(&state, org, id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found("agent"))
}

// ---------- routing policy preview ----------

/// A sample contact for [`preview_policy`].
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleContact {
    #[schema(value_type = String, example = "chat")]
    pub channel: store::Channel,
    #[serde(default)]
    pub priority: u8,
    #[serde(default)]
    pub attributes: std::collections::BTreeMap<String, String>,
}

/// What to preview: steps as typed in the editor, or a queue's own.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewIn {
    pub queue_id: Option<Uuid>,
    pub steps: Option<Vec<crate::live::PolicyStep>>,
    pub contact: SampleContact,
}

/// Which agents qualify now, at each step of a policy, for a sample contact; and the
/// parser's error for each step that does not parse (with its column), so the policy
/// editor can show it as the admin types.
#[utoipa::path(post, path = "/api/routing/preview", tag = "config", request_body = PreviewIn, responses((status = 200, description = "`{steps: [{index, target, timeout_s, error, agents}]}`"), (status = 422, body = crate::error::ErrorBody)))]
async fn preview_policy(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<PreviewIn>,
) -> ApiResult<Json<Value>> {
    auth.require(MANAGERS)?;
    let org = auth.org_id();
    let steps = match (body.steps, body.queue_id) {
        (Some(s), _) => s,
        (None, Some(q)) => state
            .with_org(org, |o| o.queue(q).map(|q| q.settings.effective_steps()))
            .ok_or_else(|| ApiError::not_found("queue"))?,
        (None, None) => return Err(ApiError::invalid("give steps or queue_id")),
    };
    if steps.len() > 20 {
        return Err(ApiError::invalid("steps: at most 20"));
    }
    let channel = crate::live::routing_channel(body.contact.channel);
    let view = routing::expr::ContactView {
        channel,
        priority: body.contact.priority,
        attributes: &body.contact.attributes,
    };
    let out: Vec<Value> = state.with_org(org, |o| {
        let mut agents: Vec<&crate::live::AgentLive> = o.agents().collect();
        agents.sort_by(|a, b| a.name.cmp(&b.name));
        steps
            .iter()
            .enumerate()
            .map(|(i, st)| match routing::Expr::parse(&st.target) {
                Err(e) => json!({
                    "index": i, "target": st.target, "timeout_s": st.timeout_s,
                    "error": {"message": e.message, "column": e.column, "span": [e.span.0, e.span.1], "rendered": e.render(&st.target)},
                    "agents": [],
                }),
                Ok(expr) => {
                    let qualified: Vec<Value> = agents
                        .iter()
                        .filter(|a| expr.matches(&a.profile.skills, &view))
                        .map(|a| {
                            let snap = o.agent_snapshot(a.user_id);
                            let free = snap
                                .as_ref()
                                .is_some_and(|s| s.free_channels.contains(&channel));
                            let aj = o.agent_json(a.user_id).unwrap_or(Value::Null);
                            json!({
                                "id": a.user_id, "name": a.name, "state": aj["state"],
                                "activity": aj["activity"], "free_now": free,
                                "skills": a.profile.skills,
                            })
                        })
                        .collect();
                    json!({
                        "index": i, "target": st.target, "timeout_s": st.timeout_s,
                        "error": null, "agents": qualified,
                    })
                }
            })
            .collect()
    });
    Ok(Json(json!({ "steps": out })))
}

// ---------- users ----------

/// Users of the organisation (admins).
#[utoipa::path(get, path = "/api/users", tag = "admin", params(PageQuery), responses((status = 200, description = "`{items, next_cursor}`")))]
async fn list_users(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Value>> {
    auth.require(&[Role::Admin, Role::Supervisor])?;
    let p = state.store().list_users(auth.org_id(), q.page()).await?;
    Ok(items(
        p.items.iter().map(wire::user).collect(),
        p.next_cursor,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    pub email: String,
    pub name: String,
    /// `admin`, `supervisor`, `agent`, `analyst`.
    #[schema(value_type = String, example = "agent")]
    pub role: Role,
    pub password: String,
}

/// Add a user (admins).
#[utoipa::path(post, path = "/api/users", tag = "admin", request_body = UserIn, params(("Idempotency-Key" = Option<String>, Header)), responses((status = 201, description = "the user"), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> ApiResult<(StatusCode, axum::Json<Value>)> {
    auth.require_admin()?;
    let u: UserIn = parse(&body)?;
    let org = auth.org_id();
    // The password is not part of what the idempotency record remembers.
    let mut hashed = body.clone();
    hashed["password"] = json!(crate::auth::sha256_hex(&u.password));
    idempotent(&state, &auth, &headers, "users", &hashed, |_| async {
        let user = seed::create_user_by(
            &state,
            Actor::from(&auth),
            org,
            &u.email,
            &u.name,
            u.role,
            &u.password,
        )
        .await?;
        Ok((
            serde_json::to_value(wire::user(&user)).unwrap_or(Value::Null),
            Stored::No,
        ))
    })
    .await
}

/// One user.
#[utoipa::path(get, path = "/api/users/{id}", tag = "admin", params(("id" = Uuid, Path)), responses((status = 200, description = "the user"), (status = 404, body = crate::error::ErrorBody)))]
async fn get_user(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<wire::UserOut>> {
    if auth.user.id != id {
        auth.require(&[Role::Admin, Role::Supervisor])?;
    }
    let u = state
        .store()
        .get_user(auth.org_id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    Ok(Json(wire::user(&u)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub name: Option<String>,
    #[schema(value_type = Option<String>, example = "supervisor")]
    pub role: Option<Role>,
    /// A disabled user cannot log in; their sessions end.
    pub disabled: Option<bool>,
    pub password: Option<String>,
}

/// Change a user (admins): name, role, disabled, password. Disabling or a new password
/// ends the user's sessions.
#[utoipa::path(patch, path = "/api/users/{id}", tag = "admin", params(("id" = Uuid, Path)), request_body = UserPatch, responses((status = 200, description = "the user"), (status = 404, body = crate::error::ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Json(body): Json<UserPatch>,
) -> ApiResult<Json<wire::UserOut>> {
    auth.require_admin()?;
    let org = auth.org_id();
    let mut u = state
        .store()
        .get_user(org, id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let mut end_sessions = false;
    if let Some(n) = body.name {
        if n.trim().is_empty() || n.len() > 200 {
            return Err(ApiError::invalid("name: 1 to 200 characters"));
        }
        u.name = n.trim().to_string();
    }
    if let Some(r) = body.role {
        if id == auth.user.id && r != Role::Admin {
            return Err(ApiError::conflict(
                "you cannot take away your own admin role",
            ));
        }
        u.role = r;
    }
    if let Some(d) = body.disabled {
        if id == auth.user.id && d {
            return Err(ApiError::conflict("you cannot disable yourself"));
        }
        end_sessions |= d;
        u.disabled = d;
    }
    if let Some(p) = body.password {
        crate::auth::password_policy(&p)?;
        u.password_hash = crate::auth::hash_password(p, state.config().argon2_m_kib).await?;
        end_sessions = true;
    }
    let now = state.now();
    u.updated_at = now;
    let mut changes = vec![
        Change::PutUser(u.clone()),
        LiveEvent::UserUpdated { user_id: id }.change(org, now, Actor::from(&auth)),
    ];
    if u.role == Role::Agent
        && state
            .store()
            .get_object(org, ObjectKind::Agent, id)
            .await?
            .is_none()
    {
        changes.push(Change::PutObject(Object {
            id,
            org_id: org,
            kind: ObjectKind::Agent,
            name: id.to_string(),
            data: serde_json::to_value(AgentProfile::default()).unwrap_or(Value::Null),
            created_at: now,
            updated_at: now,
        }));
    }
    if end_sessions {
        changes.push(Change::DeleteUserSessions {
            org_id: org,
            user_id: id,
        });
    }
    state.write(changes, vec![]).await?;
    if end_sessions {
        state.hub().disconnect_user(id);
    }
    contacts::refresh_org_config(&state, org).await?;
    Ok(Json(wire::user(&u)))
}

/// Turn off a user's MFA (lost phone; admins). They enrol again at next login.
#[utoipa::path(post, path = "/api/users/{id}/mfa/reset", tag = "admin", params(("id" = Uuid, Path)), responses((status = 204, description = "reset"), (status = 404, body = crate::error::ErrorBody)))]
async fn reset_user_mfa(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    auth.require_admin()?;
    let org = auth.org_id();
    let mut u = state
        .store()
        .get_user(org, id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    u.totp_enabled = false;
    u.totp_secret = None;
    u.recovery_codes.clear();
    u.updated_at = state.now();
    state
        .write(
            vec![
                Change::PutUser(u),
                Change::DeleteUserSessions {
                    org_id: org,
                    user_id: id,
                },
                LiveEvent::UserMfaReset { user_id: id }.change(
                    org,
                    state.now(),
                    Actor::from(&auth),
                ),
            ],
            vec![],
        )
        .await?;
    state.hub().disconnect_user(id);
    Ok(StatusCode::NO_CONTENT)
}

// ---------- API tokens ----------

/// API tokens (admins; never the secrets).
#[utoipa::path(get, path = "/api/tokens", tag = "admin", responses((status = 200, description = "`{items, next_cursor}`")))]
async fn list_tokens(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require_admin()?;
    let ts = state.store().list_api_tokens(auth.org_id()).await?;
    let v: Vec<Value> = ts
        .iter()
        .map(|t| json!({"id": t.id, "name": t.name, "user_id": t.user_id, "scopes": t.scopes, "created_at": wire::ts(t.created_at), "revoked": t.revoked, "expires_at": t.expires_at.map(wire::ts), "created_by": t.created_by}))
        .collect();
    Ok(items(v, None))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenIn {
    pub name: String,
    /// `read`, `write`, `admin`; or `scim` alone (SCIM provisioning at `/scim/v2`, nothing
    /// else).
    pub scopes: Vec<String>,
    /// The user the token acts for (default: you). A token for someone else is an
    /// impersonation: never with the `admin` scope, always expiring (within an hour),
    /// and every change made with it names you as well.
    pub user_id: Option<Uuid>,
    /// Seconds until the token stops working (default: never for your own tokens, 15
    /// minutes for an impersonation, at most an hour for one).
    pub expires_in_s: Option<u64>,
}

/// The longest an impersonation token lives, and its default.
const IMPERSONATION_MAX_S: u64 = 3600;
const IMPERSONATION_DEFAULT_S: u64 = 15 * 60;

/// Create an API token; the secret is in this answer only.
#[utoipa::path(post, path = "/api/tokens", tag = "admin", request_body = TokenIn, responses((status = 201, description = "`{id, token}`"), (status = 422, body = crate::error::ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<TokenIn>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    auth.require_admin()?;
    let user = body.user_id.unwrap_or(auth.user.id);
    let impersonation = user != auth.user.id;
    let expires_in = match (impersonation, body.expires_in_s) {
        (_, Some(0)) => return Err(ApiError::invalid("expires_in_s: at least 1")),
        (true, Some(s)) if s > IMPERSONATION_MAX_S => {
            return Err(ApiError::invalid(format!(
                "expires_in_s: a token for someone else lives at most {IMPERSONATION_MAX_S} seconds"
            )));
        }
        (true, None) => Some(IMPERSONATION_DEFAULT_S),
        (_, s) => s,
    };
    if impersonation && body.scopes.iter().any(|s| s == "admin" || s == "scim") {
        return Err(ApiError::forbidden(
            "a token for someone else cannot carry the admin or scim scope",
        ));
    }
    let expires_at = match expires_in {
        Some(s) => Some(
            state.now()
                + time::Duration::seconds(
                    i64::try_from(s).map_err(|_| ApiError::invalid("expires_in_s: too large"))?,
                ),
        ),
        None => None,
    };
    let (secret, t) = seed::create_api_token_by(
        &state,
        Actor::from(&auth),
        auth.org_id(),
        user,
        &body.name,
        body.scopes,
        expires_at,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": t.id,
            "name": t.name,
            "scopes": t.scopes,
            "token": secret,
            "expires_at": t.expires_at.map(wire::ts),
            "impersonation": t.created_by.is_some(),
        })),
    ))
}

/// Revoke an API token.
#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "admin", params(("id" = Uuid, Path)), responses((status = 204, description = "revoked"), (status = 404, body = crate::error::ErrorBody)))]
async fn revoke_token(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    auth.require_admin()?;
    let org = auth.org_id();
    let mut t = state
        .store()
        .list_api_tokens(org)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| ApiError::not_found("token"))?;
    t.revoked = true;
    state
        .write(
            vec![
                Change::PutApiToken(t),
                LiveEvent::TokenRevoked { token_id: id }.change(
                    org,
                    state.now(),
                    Actor::from(&auth),
                ),
            ],
            vec![],
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------- organisation, events ----------

/// My organisation.
#[utoipa::path(get, path = "/api/org", tag = "admin", responses((status = 200, description = "the organisation")))]
async fn get_org(auth: Auth) -> ApiResult<Json<Value>> {
    auth.require(ALL)?;
    Ok(Json(
        json!({"id": auth.org.id, "slug": auth.org.slug, "name": auth.org.name, "mfa_required": auth.org.mfa_required}),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgPatch {
    pub name: Option<String>,
    /// Every user must use two-factor authentication.
    pub mfa_required: Option<bool>,
}

/// Change the organisation (admins).
#[utoipa::path(patch, path = "/api/org", tag = "admin", request_body = OrgPatch, responses((status = 200, description = "the organisation")))]
async fn update_org(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<OrgPatch>,
) -> ApiResult<Json<Value>> {
    auth.require_admin()?;
    let mut o = auth.org.clone();
    if let Some(n) = body.name {
        if n.trim().is_empty() || n.len() > 200 {
            return Err(ApiError::invalid("name: 1 to 200 characters"));
        }
        o.name = n.trim().to_string();
    }
    if let Some(m) = body.mfa_required {
        o.mfa_required = m;
    }
    state
        .write(
            vec![
                Change::PutOrg(o.clone()),
                LiveEvent::OrgUpdated {
                    mfa_required: o.mfa_required,
                }
                .change(o.id, state.now(), Actor::from(&auth)),
            ],
            vec![],
        )
        .await?;
    Ok(Json(
        json!({"id": o.id, "slug": o.slug, "name": o.name, "mfa_required": o.mfa_required}),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EventsQuery {
    pub after_seq: Option<i64>,
    pub limit: Option<u32>,
}

/// The organisation's event log (admins, analysts): `{items, next_after_seq}`.
#[utoipa::path(get, path = "/api/events", tag = "admin", params(EventsQuery), responses((status = 200, description = "`{items, next_after_seq}`")))]
async fn list_events(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<EventsQuery>,
) -> ApiResult<Json<Value>> {
    auth.require(&[Role::Admin, Role::Analyst])?;
    let evs = state
        .store()
        .read_org_events(
            auth.org_id(),
            q.after_seq.unwrap_or(0),
            q.limit.unwrap_or(500).clamp(1, 1000),
        )
        .await?;
    let next = evs.last().map(|e| e.seq);
    let v: Vec<Value> = evs
        .iter()
        .map(|e| json!({"seq": e.seq, "at": wire::ts(e.at), "kind": e.kind, "data": e.data}))
        .collect();
    Ok(Json(json!({"items": v, "next_after_seq": next})))
}
