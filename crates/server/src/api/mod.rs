//! The JSON API under `/api/`, its OpenAPI document, and the operational endpoints
//! (`/healthz`, `/readyz`, `/metrics`).
//!
//! Every handler authenticates with [`Auth`](crate::auth::Auth), checks the role, and
//! reads and writes only the caller's organisation. Lists are `{items, next_cursor}`
//! pages (`?cursor=…&limit=…`). Creates honour `Idempotency-Key`.

mod auth_api;
mod bot_api;
mod channels_api;
mod config;
mod contacts_api;
mod customers_api;
pub mod insight_api;
mod kb_api;
mod reports_api;
mod scim_api;
pub(crate) mod sso_api;
pub(crate) mod supervisor_api;
mod voice_api;
pub(crate) mod wfm_api;
mod wfm_calendar;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{Change, IdempotencyRecord, Store};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::Json;
use crate::{ApiError, ApiResult, AppState};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Homeshore API",
        description = "Staff API of the Homeshore contact center. Errors: `{\"error\":{\"code\",\"message\",\"details\"}}`. Cookie-authenticated writes need the `X-CSRF-Token` header; bearer tokens (`Authorization: Bearer hs_…`) do not.",
        license(name = "AGPL-3.0-or-later")
    ),
    components(schemas(
        crate::error::ErrorBody,
        crate::error::ErrorInner,
        crate::wire::ReceiptOut,
        crate::wire::MessageOut,
        crate::wire::ContactOut,
        crate::wire::UserOut
    )),
    tags(
        (name = "auth", description = "Login, sessions, MFA"),
        (name = "agent", description = "The agent desktop: presence, offers"),
        (name = "contacts", description = "Contacts (conversations) and their messages"),
        (name = "config", description = "Queues, skills, routing policies, wrap-up codes, business hours, canned responses, agents"),
        (name = "supervisor", description = "The supervisor console: wallboard, raised hands, monitoring, whisper, barge, take-over, team control"),
        (name = "admin", description = "Users, API tokens, the organisation, single sign-on"),
        (name = "scim", description = "SCIM 2.0 provisioning (RFC 7644) for identity providers: bearer token with the `scim` scope; SCIM error bodies"),
        (name = "reports", description = "Historical reports: figures by interval, queue, agent, channel and wrap-up code; the contacts behind each figure; CSV exports"),
        (name = "insight", description = "Insight: top contact reasons and their trend, satisfaction by reason and queue, rising words and phrases, the weekly digest and its webhook"),
        (name = "kb", description = "The knowledge base: articles, drafts and publishing, search and the answer bot's decision, import"),
        (name = "voice", description = "Telephony: SIP trunks (numbers, who may send calls, registration) and live calls"),
        (name = "ops", description = "Health, readiness, metrics")
    )
)]
struct ApiDoc;

/// The documented routes and their OpenAPI document, from one list.
fn documented() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(auth_api::routes())
        .merge(contacts_api::routes())
        .merge(customers_api::routes())
        .merge(channels_api::routes())
        .merge(config::routes())
        .merge(sso_api::routes())
        .merge(crate::retention::routes())
        .merge(crate::protection::routes())
        .merge(crate::alerts::routes())
        .merge(scim_api::routes())
        .merge(supervisor_api::routes())
        .merge(wfm_api::routes())
        .merge(kb_api::routes())
        .merge(bot_api::routes())
        .merge(voice_api::routes())
        .merge(reports_api::routes())
        .merge(insight_api::routes())
        .routes(utoipa_axum::routes!(healthz))
        .routes(utoipa_axum::routes!(readyz))
        .split_for_parts();
    config::expand_object_paths(&mut doc);
    (router, doc)
}

/// The API router (with state still to be given) and its OpenAPI document.
pub fn router(state: AppState) -> axum::Router<AppState> {
    let (router, doc) = documented();
    let doc_json: &'static str = Box::leak(
        serde_json::to_string_pretty(&doc)
            .unwrap_or_else(|_| "{}".into())
            .into_boxed_str(),
    );
    let limit = state.config().body_limit_bytes;
    router
        .route(
            "/api/openapi.json",
            get(move || async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    doc_json,
                )
            }),
        )
        .route("/api/ws", get(crate::ws::handler))
        .route("/metrics", get(crate::metrics::render))
        .layer(DefaultBodyLimit::max(limit))
}

/// The OpenAPI document as JSON text, as `/api/openapi.json` serves it (the snapshot
/// in `docs/openapi.json`, from which the browser apps' types are generated).
pub fn openapi_json() -> String {
    serde_json::to_string_pretty(&documented().1).unwrap_or_default()
}

/// Alive (the process answers).
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, description = "ready")))]
async fn healthz(State(state): State<AppState>) -> Response {
    if state.is_ready() {
        (StatusCode::OK, "ok").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "starting").into_response()
    }
}

/// Ready to serve: started and the database answers.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses((status = 200, description = "ready"), (status = 503, description = "not ready")))]
async fn readyz(State(state): State<AppState>) -> Response {
    if !state.is_ready() {
        return (StatusCode::SERVICE_UNAVAILABLE, "starting").into_response();
    }
    match tokio::time::timeout(std::time::Duration::from_secs(2), state.store().ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready").into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

/// `?cursor=&limit=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// Where the previous page ended (its `next_cursor`).
    pub cursor: Option<Uuid>,
    /// 1 to 500, default 100.
    pub limit: Option<u32>,
}

impl PageQuery {
    pub fn page(&self) -> store::PageRequest {
        store::PageRequest {
            after: self.cursor,
            limit: self.limit.unwrap_or(100).clamp(1, 500),
        }
    }
}

/// A page of items.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PageOut<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<Uuid>,
}

/// Run a create at most once per `Idempotency-Key`: a retry with the same key and body
/// gets the first answer; the same key with another body is a 422.
/// Whether a create kept the idempotency record in its own commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Written with the result: a crash cannot separate them.
    WithResult,
    /// Not written: [`idempotent`] writes it after the result.
    No,
}

pub async fn idempotent<F, Fut>(
    state: &AppState,
    auth: &Auth,
    headers: &HeaderMap,
    scope: &str,
    body: &Value,
    create: F,
) -> ApiResult<(StatusCode, axum::Json<Value>)>
where
    F: FnOnce(Option<IdempotencyRecord>) -> Fut,
    Fut: std::future::Future<Output = ApiResult<(Value, Stored)>>,
{
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let Some(key) = key else {
        return Ok((StatusCode::CREATED, axum::Json(create(None).await?.0)));
    };
    if key.is_empty() || key.len() > 200 {
        return Err(ApiError::bad_request(
            "Idempotency-Key: 1 to 200 characters",
        ));
    }
    let full_key = format!("{}:{scope}:{key}", auth.user.id);
    let request_hash = crate::auth::sha256_hex(&format!("{scope}\n{body}"));
    // A retry racing the first call waits for it, then gets its answer.
    let lock = key_lock(&format!("{}:{full_key}", auth.org_id()));
    let _one_at_a_time = lock.lock().await;
    if let Some(rec) = state.idempotency(auth.org_id(), &full_key).await? {
        if rec.request_hash != request_hash {
            return Err(ApiError::invalid(
                "Idempotency-Key was used with a different request",
            ));
        }
        let status = StatusCode::from_u16(rec.status as u16).unwrap_or(StatusCode::OK);
        return Ok((status, axum::Json(rec.body)));
    }
    let draft = IdempotencyRecord {
        org_id: auth.org_id(),
        key: full_key.clone(),
        request_hash,
        status: 201,
        body: Value::Null,
        created_at: state.now(),
    };
    let (out, stored) = create(Some(draft.clone())).await?;
    if stored == Stored::WithResult {
        return Ok((StatusCode::CREATED, axum::Json(out)));
    }
    let rec = IdempotencyRecord {
        body: out.clone(),
        ..draft
    };
    match state.write(vec![Change::PutIdempotency(rec)], vec![]).await {
        Ok(_) => Ok((StatusCode::CREATED, axum::Json(out))),
        // A concurrent twin got there first: answer with its result.
        Err(e) if e.status == StatusCode::CONFLICT => {
            match state.idempotency(auth.org_id(), &full_key).await? {
                Some(rec) => Ok((StatusCode::CREATED, axum::Json(rec.body))),
                None => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// The lock that runs the calls with one idempotency key one after the other (in this
/// process; a record written by another node is still found and answered).
pub(crate) fn key_lock(key: &str) -> std::sync::Arc<tokio::sync::Mutex<()>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock, Weak};
    type Locks = Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>;
    static LOCKS: OnceLock<Locks> = OnceLock::new();
    let mut locks = LOCKS
        .get_or_init(Locks::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    // Only keys with calls in flight stay.
    locks.retain(|_, l| l.strong_count() > 0);
    if let Some(l) = locks.get(key).and_then(Weak::upgrade) {
        return l;
    }
    let l = Arc::new(tokio::sync::Mutex::new(()));
    locks.insert(key.to_string(), Arc::downgrade(&l));
    l
}

/// A JSON body read as a generic value first (so it can be hashed for idempotency),
/// then as `T`: a malformed body is 400, a wrong shape 422.
pub fn parse<T: serde::de::DeserializeOwned>(v: &Value) -> ApiResult<T> {
    serde_json::from_value(v.clone()).map_err(|e| ApiError::invalid(e.to_string()))
}

pub fn ok<T: Serialize>(v: T) -> Json<T> {
    Json(v)
}

pub fn items<T: Serialize>(items: Vec<T>, next: Option<Uuid>) -> Json<Value> {
    Json(json!({"items": items, "next_cursor": next}))
}
