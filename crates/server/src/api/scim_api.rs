//! SCIM 2.0 (RFC 7643, 7644) at `/scim/v2`: an identity provider (Okta, Entra ID…)
//! creates, updates and deactivates the organisation's staff accounts itself, so that
//! someone who leaves the company loses access the moment IT removes them.
//!
//! - Authentication: `Authorization: Bearer hs_…`, an API token with the `scim` scope
//!   (made by an admin at Admin → API tokens; stored as SHA-256 like every token). The
//!   token's organisation is the one provisioned: the base URL is the same for every
//!   organisation. A `scim` token opens nothing under `/api`, and no other token opens
//!   SCIM. The token must act for an admin who is still active.
//! - Users: `userName` is the email; `name.formatted` or `displayName` the name;
//!   `active` false deactivates the account (its sessions end at once); `roles[0].value`
//!   (admin, supervisor, agent, analyst), else the single sign-on group rules applied to
//!   `groups[].display`, else the single sign-on default role, else agent. Accounts
//!   made here have no password: they sign in through the provider.
//! - `DELETE` deactivates rather than erases: the account's history stays in the audit
//!   log, and a later `GET` shows it with `active: false`.
//! - Filters: `userName eq "…"` (what Okta and Entra ID ask before creating); paging
//!   with `startIndex` and `count`. Errors are SCIM error bodies.

// A refusal here is the SCIM answer itself (a `Response`), made once per request.
#![allow(clippy::result_large_err)]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use store::{Change, Role, Store, User};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::{Path, Query};
use crate::events::{Actor, LiveEvent};
use crate::{AppState, auth, contacts, seed, wire};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BASE: &str = "/scim/v2";
const CONTENT_TYPE: &str = "application/scim+json";
const MAX_COUNT: usize = 500;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(scim_service_provider_config))
        .routes(routes!(scim_resource_types))
        .routes(routes!(scim_schemas))
        .routes(routes!(scim_list_users, scim_create_user))
        .routes(routes!(
            scim_get_user,
            scim_replace_user,
            scim_patch_user,
            scim_delete_user
        ))
}

/// A SCIM answer: the body with SCIM's content type.
fn scim(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        body.to_string(),
    )
        .into_response()
}

/// A SCIM error (RFC 7644 §3.12).
fn error(status: StatusCode, scim_type: Option<&str>, detail: impl Into<String>) -> Response {
    let mut body = json!({
        "schemas": [ERROR_SCHEMA],
        "status": status.as_u16().to_string(),
        "detail": detail.into(),
    });
    if let Some(t) = scim_type {
        body["scimType"] = json!(t);
    }
    scim(status, body)
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "SCIM request failed");
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        None,
        "the server could not complete this request; retry it",
    )
}

/// Who is provisioning: the organisation and the token (for the log's actor).
struct Caller {
    org: Uuid,
    actor: Actor,
}

async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Caller, Response> {
    let unauthorized = |m: &str| error(StatusCode::UNAUTHORIZED, None, m);
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(s, _)| s.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .ok_or_else(|| {
            unauthorized("send Authorization: Bearer with a token that has the scim scope")
        })?;
    if !token.starts_with(auth::TOKEN_PREFIX) || token.len() > 128 {
        return Err(unauthorized("invalid token"));
    }
    let t = state
        .store()
        .get_api_token(&auth::sha256_hex(token))
        .await
        .map_err(internal)?
        .filter(|t| !t.revoked && t.expires_at.is_none_or(|at| at > state.now()))
        .ok_or_else(|| unauthorized("invalid or expired token"))?;
    if !t.scopes.iter().any(|s| s == "scim") {
        return Err(error(
            StatusCode::FORBIDDEN,
            None,
            "this token lacks the scim scope; an admin makes one at Admin → API tokens",
        ));
    }
    let owner = state
        .store()
        .get_user(t.org_id, t.user_id)
        .await
        .map_err(internal)?;
    if !owner.is_some_and(|u| !u.disabled && u.role == Role::Admin) {
        return Err(error(
            StatusCode::FORBIDDEN,
            None,
            "this token acts for someone who is no longer an active admin",
        ));
    }
    Ok(Caller {
        org: t.org_id,
        actor: Actor::ApiToken {
            id: t.id,
            user_id: t.user_id,
            by: t.created_by,
        },
    })
}

fn user_json(u: &User) -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "id": u.id,
        "userName": u.email,
        "name": {"formatted": u.name},
        "displayName": u.name,
        "emails": [{"value": u.email, "primary": true, "type": "work"}],
        "active": !u.disabled,
        "roles": [{"value": u.role.as_str(), "primary": true}],
        "meta": {
            "resourceType": "User",
            "created": wire::ts(u.created_at),
            "lastModified": wire::ts(u.updated_at),
            "location": format!("{BASE}/Users/{}", u.id),
        },
    })
}

/// The service's capabilities (RFC 7643 §5).
#[utoipa::path(get, path = "/scim/v2/ServiceProviderConfig", tag = "scim", responses((status = 200, description = "SCIM ServiceProviderConfig"), (status = 401, description = "SCIM error")))]
async fn scim_service_provider_config(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = caller(&state, &headers).await {
        return r;
    }
    scim(
        StatusCode::OK,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": "https://github.com/homeshore/homeshore#single-sign-on",
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": MAX_COUNT},
            "changePassword": {"supported": false},
            "sort": {"supported": false},
            "etag": {"supported": false},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "An API token with the scim scope (Admin → API tokens)",
                "primary": true,
            }],
            "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{BASE}/ServiceProviderConfig")},
        }),
    )
}

fn user_resource_type() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "Staff accounts",
        "schema": USER_SCHEMA,
        "meta": {"resourceType": "ResourceType", "location": format!("{BASE}/ResourceTypes/User")},
    })
}

/// The resource types: User.
#[utoipa::path(get, path = "/scim/v2/ResourceTypes", tag = "scim", responses((status = 200, description = "SCIM ListResponse of ResourceType"), (status = 401, description = "SCIM error")))]
async fn scim_resource_types(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(r) = caller(&state, &headers).await {
        return r;
    }
    scim(
        StatusCode::OK,
        json!({"schemas": [LIST_SCHEMA], "totalResults": 1, "startIndex": 1, "itemsPerPage": 1,
               "Resources": [user_resource_type()]}),
    )
}

fn attr(name: &str, kind: &str, required: bool, mutability: &str, uniqueness: &str) -> Value {
    json!({"name": name, "type": kind, "multiValued": false, "required": required,
           "caseExact": false, "mutability": mutability, "returned": "default", "uniqueness": uniqueness})
}

/// The User schema, as far as Homeshore keeps it.
#[utoipa::path(get, path = "/scim/v2/Schemas", tag = "scim", responses((status = 200, description = "SCIM ListResponse of Schema"), (status = 401, description = "SCIM error")))]
async fn scim_schemas(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(r) = caller(&state, &headers).await {
        return r;
    }
    let mut emails = attr("emails", "complex", false, "readWrite", "none");
    emails["multiValued"] = json!(true);
    let mut roles = attr("roles", "complex", false, "readWrite", "none");
    roles["multiValued"] = json!(true);
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A staff account",
        "attributes": [
            attr("userName", "string", true, "readWrite", "server"),
            attr("displayName", "string", false, "readWrite", "none"),
            attr("name", "complex", false, "readWrite", "none"),
            emails,
            attr("active", "boolean", false, "readWrite", "none"),
            roles,
        ],
        "meta": {"resourceType": "Schema", "location": format!("{BASE}/Schemas/{USER_SCHEMA}")},
    });
    scim(
        StatusCode::OK,
        json!({"schemas": [LIST_SCHEMA], "totalResults": 1, "startIndex": 1, "itemsPerPage": 1, "Resources": [user]}),
    )
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// Only `userName eq "…"`.
    pub filter: Option<String>,
    /// 1-based.
    pub start_index: Option<i64>,
    pub count: Option<i64>,
}

/// `userName eq "value"` → the value (lower-cased: emails are kept so).
fn parse_filter(f: &str) -> Option<String> {
    let f = f.trim();
    let (attr, rest) = f.split_once(char::is_whitespace)?;
    let (op, value) = rest.trim().split_once(char::is_whitespace)?;
    let value = value.trim();
    if !(attr.eq_ignore_ascii_case("userName") || attr.eq_ignore_ascii_case("emails.value"))
        || !op.eq_ignore_ascii_case("eq")
        || value.len() < 2
        || !value.starts_with('"')
        || !value.ends_with('"')
    {
        return None;
    }
    let inner = &value[1..value.len() - 1];
    if inner.contains('"') {
        return None;
    }
    Some(inner.trim().to_lowercase())
}

async fn all_users(state: &AppState, org: Uuid) -> Result<Vec<User>, Response> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let p = state
            .store()
            .list_users(org, store::PageRequest { after, limit: 500 })
            .await
            .map_err(internal)?;
        out.extend(p.items);
        match p.next_cursor {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    Ok(out)
}

/// Users, filtered by `userName eq "…"`, paged with `startIndex` and `count`.
#[utoipa::path(get, path = "/scim/v2/Users", tag = "scim", params(ListQuery), responses((status = 200, description = "SCIM ListResponse of User"), (status = 400, description = "SCIM error (invalidFilter)"), (status = 401, description = "SCIM error")))]
async fn scim_list_users(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let c = match caller(&state, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let users = match q.filter.as_deref().filter(|f| !f.trim().is_empty()) {
        Some(f) => {
            let Some(email) = parse_filter(f) else {
                return error(
                    StatusCode::BAD_REQUEST,
                    Some("invalidFilter"),
                    "only userName eq \"…\" is supported",
                );
            };
            match state.store().get_user_by_email(c.org, &email).await {
                Ok(u) => u.into_iter().collect(),
                Err(e) => return internal(e),
            }
        }
        None => match all_users(&state, c.org).await {
            Ok(u) => u,
            Err(r) => return r,
        },
    };
    let start = q.start_index.unwrap_or(1).max(1) as usize;
    let count = q.count.unwrap_or(100).clamp(0, MAX_COUNT as i64) as usize;
    let page: Vec<Value> = users
        .iter()
        .skip(start - 1)
        .take(count)
        .map(user_json)
        .collect();
    scim(
        StatusCode::OK,
        json!({"schemas": [LIST_SCHEMA], "totalResults": users.len(), "startIndex": start,
               "itemsPerPage": page.len(), "Resources": page}),
    )
}

/// The JSON object of a body, or a SCIM `invalidSyntax` error.
fn body_object(body: &Bytes) -> Result<serde_json::Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(error(
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            "the body must be a JSON object",
        )),
        Err(e) => Err(error(
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            format!("the body is not JSON: {e}"),
        )),
    }
}

/// What a User resource sets.
struct UserIn {
    email: String,
    name: String,
    active: bool,
    role: Option<Role>,
}

fn invalid(detail: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, Some("invalidValue"), detail)
}

/// `true`, `false`, or Entra ID's `"True"` / `"False"`.
fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn name_of(m: &serde_json::Map<String, Value>) -> Option<String> {
    let n = m.get("name");
    n.and_then(|n| n.get("formatted"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            m.get("displayName")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .or_else(|| {
            let g = n?.get("givenName").and_then(Value::as_str).unwrap_or("");
            let f = n?.get("familyName").and_then(Value::as_str).unwrap_or("");
            Some(format!("{g} {f}").trim().to_string())
        })
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The role a resource asks for: `roles`, else its groups by the single sign-on rules.
async fn role_of(
    state: &AppState,
    org: Uuid,
    m: &serde_json::Map<String, Value>,
) -> Result<Option<Role>, Response> {
    if let Some(roles) = m.get("roles").and_then(Value::as_array)
        && let Some(first) = roles.first()
    {
        let v = first
            .get("value")
            .and_then(Value::as_str)
            .or(first.as_str());
        return match v.and_then(|v| Role::parse(&v.trim().to_lowercase())) {
            Some(r) => Ok(Some(r)),
            None => Err(invalid(
                "roles: value must be admin, supervisor, agent or analyst",
            )),
        };
    }
    if let Some(groups) = m.get("groups").and_then(Value::as_array) {
        let names: Vec<String> = groups
            .iter()
            .filter_map(|g| {
                g.get("display")
                    .or_else(|| g.get("value"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect();
        let s = super::sso_api::settings(state, org)
            .await
            .map_err(|e| internal(e.message))?;
        if let Some(r) = s.and_then(|s| s.mapped_role(&names)) {
            return Ok(Some(r));
        }
    }
    Ok(None)
}

async fn user_in(
    state: &AppState,
    org: Uuid,
    m: &serde_json::Map<String, Value>,
) -> Result<UserIn, Response> {
    let email = m
        .get("userName")
        .and_then(Value::as_str)
        .map(|e| e.trim().to_lowercase())
        .ok_or_else(|| invalid("userName: required (the person's email address)"))?;
    if !seed::valid_email(&email) {
        return Err(invalid("userName: must be an email address"));
    }
    let name = name_of(m).unwrap_or_else(|| email.clone());
    if name.len() > 200 {
        return Err(invalid("name: at most 200 characters"));
    }
    let active = match m.get("active") {
        None => true,
        Some(v) => boolean(v).ok_or_else(|| invalid("active: true or false"))?,
    };
    Ok(UserIn {
        email,
        name,
        active,
        role: role_of(state, org, m).await?,
    })
}

/// The role for a new account that names none: the single sign-on default, else agent.
async fn default_role(state: &AppState, org: Uuid) -> Role {
    super::sso_api::settings(state, org)
        .await
        .ok()
        .flatten()
        .and_then(|s| s.default_role)
        .unwrap_or(Role::Agent)
}

/// Provision a user. 409 (`uniqueness`) when the email has an account.
#[utoipa::path(post, path = "/scim/v2/Users", tag = "scim", request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 201, description = "the SCIM User"), (status = 400, description = "SCIM error (invalidSyntax, invalidValue)"), (status = 409, description = "SCIM error (uniqueness)")))]
async fn scim_create_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let c = match caller(&state, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let m = match body_object(&body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let u = match user_in(&state, c.org, &m).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let role = match u.role {
        Some(r) => r,
        None => default_role(&state, c.org).await,
    };
    let mut user =
        match seed::provision_user(&state, c.actor, c.org, &u.email, &u.name, role, "scim").await {
            Ok(user) => user,
            Err(e) if e.status == StatusCode::CONFLICT => {
                return error(
                    StatusCode::CONFLICT,
                    Some("uniqueness"),
                    format!("{} already has an account", u.email),
                );
            }
            Err(e) if e.status.is_client_error() => return invalid(e.message),
            Err(e) => return internal(e.message),
        };
    if !u.active {
        user = match apply(&state, &c, user, None, None, Some(false)).await {
            Ok(u) => u,
            Err(r) => return r,
        };
    }
    let mut r = scim(StatusCode::CREATED, user_json(&user));
    if let Ok(v) = header::HeaderValue::from_str(&format!("{BASE}/Users/{}", user.id)) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

async fn find(state: &AppState, c: &Caller, id: &str) -> Result<User, Response> {
    let not_found = || error(StatusCode::NOT_FOUND, None, format!("no user {id}"));
    let id = Uuid::parse_str(id).map_err(|_| not_found())?;
    state
        .store()
        .get_user(c.org, id)
        .await
        .map_err(internal)?
        .ok_or_else(not_found)
}

/// Change a user: name, role, active. Deactivating ends every session of theirs in the
/// same commit, and closes their live connections.
async fn apply(
    state: &AppState,
    c: &Caller,
    mut u: User,
    name: Option<String>,
    role: Option<Role>,
    active: Option<bool>,
) -> Result<User, Response> {
    let before = u.clone();
    if let Some(n) = name {
        u.name = n;
    }
    if let Some(r) = role {
        u.role = r;
    }
    if let Some(a) = active {
        u.disabled = !a;
    }
    if u == before {
        return Ok(u);
    }
    let now = state.now();
    u.updated_at = now;
    let ends = u.disabled && !before.disabled;
    let mut changes = vec![
        Change::PutUser(u.clone()),
        LiveEvent::UserSynced {
            user_id: u.id,
            role: u.role,
            disabled: u.disabled,
            source: "scim".into(),
        }
        .change(c.org, now, c.actor),
    ];
    if ends {
        changes.push(Change::DeleteUserSessions {
            org_id: c.org,
            user_id: u.id,
        });
    }
    if u.role == Role::Agent && before.role != Role::Agent {
        changes.extend(super::sso_api::agent_profile(state, c.org, u.id).await);
    }
    state
        .write(changes, vec![])
        .await
        .map_err(|e| internal(e.message))?;
    if ends {
        state.hub().disconnect_user(u.id);
    }
    if u.role != before.role || u.disabled != before.disabled {
        let _ = contacts::refresh_org_config(state, c.org).await;
    }
    Ok(u)
}

/// One user.
#[utoipa::path(get, path = "/scim/v2/Users/{id}", tag = "scim", params(("id" = String, Path)), responses((status = 200, description = "the SCIM User"), (status = 404, description = "SCIM error")))]
async fn scim_get_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let c = match caller(&state, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match find(&state, &c, &id).await {
        Ok(u) => scim(StatusCode::OK, user_json(&u)),
        Err(r) => r,
    }
}

/// Replace a user (name, role, active). `userName` must stay the same: Homeshore's
/// accounts are known by their email.
#[utoipa::path(put, path = "/scim/v2/Users/{id}", tag = "scim", params(("id" = String, Path)), request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, description = "the SCIM User"), (status = 400, description = "SCIM error"), (status = 404, description = "SCIM error")))]
async fn scim_replace_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let c = match caller(&state, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let u = match find(&state, &c, &id).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let m = match body_object(&body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let new = match user_in(&state, c.org, &m).await {
        Ok(n) => n,
        Err(r) => return r,
    };
    if new.email != u.email {
        return error(
            StatusCode::BAD_REQUEST,
            Some("mutability"),
            "userName cannot change: add a new user for the new address",
        );
    }
    match apply(&state, &c, u, Some(new.name), new.role, Some(new.active)).await {
        Ok(u) => scim(StatusCode::OK, user_json(&u)),
        Err(r) => r,
    }
}

/// Change parts of a user: `Operations` of `replace` / `add` (and `remove` of nothing
/// Homeshore keeps), as Okta and Entra ID send them: with a `path` (`active`,
/// `displayName`, `name.formatted`, `roles`) or without one and an object value.
/// Attributes Homeshore does not keep are ignored.
#[utoipa::path(patch, path = "/scim/v2/Users/{id}", tag = "scim", params(("id" = String, Path)), request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, description = "the SCIM User"), (status = 400, description = "SCIM error"), (status = 404, description = "SCIM error")))]
async fn scim_patch_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let c = match caller(&state, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let u = match find(&state, &c, &id).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let m = match body_object(&body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let is_patch = m
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|v| v == PATCH_SCHEMA));
    let Some(ops) = m
        .get("Operations")
        .and_then(Value::as_array)
        .filter(|_| is_patch)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            format!("a PATCH body has schemas [\"{PATCH_SCHEMA}\"] and Operations"),
        );
    };
    if ops.len() > 100 {
        return invalid("Operations: at most 100");
    }
    let (mut name, mut role, mut active) = (None, None, None);
    for op in ops {
        let kind = op
            .get("op")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        if !["add", "replace", "remove"].contains(&kind.as_str()) {
            return invalid("op: add, replace or remove");
        }
        let path = op.get("path").and_then(Value::as_str).map(str::trim);
        let value = op.get("value").cloned().unwrap_or(Value::Null);
        if kind == "remove" {
            if path.is_some_and(|p| p.eq_ignore_ascii_case("active")) {
                return error(
                    StatusCode::BAD_REQUEST,
                    Some("mutability"),
                    "active cannot be removed; replace it with false",
                );
            }
            continue;
        }
        // Without a path, the value is an object of attributes.
        let pairs: Vec<(String, Value)> = match path {
            Some(p) => vec![(p.to_string(), value)],
            None => match value {
                Value::Object(o) => o.into_iter().collect(),
                _ => return invalid("value: an object when there is no path"),
            },
        };
        for (p, v) in pairs {
            match p.to_ascii_lowercase().as_str() {
                "active" => {
                    active = Some(boolean(&v).ok_or_else(|| invalid("active: true or false")))
                }
                "displayname" | "name.formatted" => {
                    let n = v.as_str().map(str::trim).unwrap_or("");
                    if n.is_empty() || n.len() > 200 {
                        return invalid("name: 1 to 200 characters");
                    }
                    name = Some(n.to_string());
                }
                "name" => {
                    if let Some(n) = v.as_object().and_then(|o| {
                        name_of(&serde_json::Map::from_iter([(
                            "name".to_string(),
                            Value::Object(o.clone()),
                        )]))
                    }) {
                        name = Some(n.chars().take(200).collect());
                    }
                }
                "roles" => {
                    let mut one = serde_json::Map::new();
                    one.insert("roles".into(), if v.is_array() { v } else { json!([v]) });
                    match role_of(&state, c.org, &one).await {
                        Ok(r) => role = r.or(role),
                        Err(r) => return r,
                    }
                }
                "username"
                    if v.as_str().map(|s| s.trim().to_lowercase()) != Some(u.email.clone()) =>
                {
                    return error(
                        StatusCode::BAD_REQUEST,
                        Some("mutability"),
                        "userName cannot change: add a new user for the new address",
                    );
                }
                _ => {}
            }
        }
    }
    let active = match active.transpose() {
        Ok(a) => a,
        Err(r) => return r,
    };
    match apply(&state, &c, u, name, role, active).await {
        Ok(u) => scim(StatusCode::OK, user_json(&u)),
        Err(r) => r,
    }
}

/// Deprovision a user: the account is deactivated (kept for the audit log) and every
/// session of theirs ends at once.
#[utoipa::path(delete, path = "/scim/v2/Users/{id}", tag = "scim", params(("id" = String, Path)), responses((status = 204, description = "deactivated"), (status = 404, description = "SCIM error")))]
async fn scim_delete_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let c = match caller(&state, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let u = match find(&state, &c, &id).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match apply(&state, &c, u, None, None, Some(false)).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        assert_eq!(
            parse_filter("userName eq \"Ann@Acme.example\"").as_deref(),
            Some("ann@acme.example")
        );
        assert_eq!(
            parse_filter("username EQ \"a@b.c\"").as_deref(),
            Some("a@b.c")
        );
        assert_eq!(parse_filter("userName sw \"a\""), None);
        assert_eq!(parse_filter("displayName eq \"a\""), None);
        assert_eq!(parse_filter("userName eq a@b.c"), None);
        assert_eq!(parse_filter("userName eq \"a\" or userName eq \"b\""), None);
    }
}
