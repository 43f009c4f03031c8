//! The answer bot's guided actions over HTTP (`/api/bot/actions/…`, admins): list,
//! write (their signing secret sealed, never read back), delete, and try one against
//! its endpoint with sample values. The flow itself lives in `crate::bot::actions`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use store::{ObjectKind, Store as _};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::bot::actions::{self, ActionData, ActionIn, ActionOut};
use crate::error::{Json, Path};
use crate::events::Actor;
use crate::{ApiError, ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_actions))
        .routes(routes!(put_action, delete_action))
        .routes(routes!(try_action))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActionsOut {
    pub items: Vec<ActionOut>,
}

/// The answer bot's guided actions (admins), by slug.
#[utoipa::path(get, path = "/api/bot/actions", tag = "kb",
    responses((status = 200, body = ActionsOut), (status = 403, body = crate::error::ErrorBody)))]
async fn list_actions(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<ActionsOut>> {
    auth.require_admin()?;
    let items = actions::all(&state, auth.org_id())
        .await?
        .into_iter()
        .map(|(slug, data)| ActionOut::of(slug, data))
        .collect();
    Ok(Json(ActionsOut { items }))
}

/// Create or replace a guided action (admins). The secret is sealed; leaving it out
/// keeps the stored one. Audited as `object.put`.
#[utoipa::path(put, path = "/api/bot/actions/{slug}", tag = "kb", request_body = ActionIn,
    params(("slug" = String, Path, description = "lowercase letters, digits and dashes, 2 to 64")),
    responses((status = 200, body = ActionOut), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
async fn put_action(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Json(body): Json<ActionIn>,
) -> ApiResult<Json<ActionOut>> {
    auth.require_admin()?;
    let org = auth.org_id();
    if !crate::seed::valid_slug(&slug) {
        return Err(ApiError::invalid(
            "slug: lowercase letters, digits and dashes, 2 to 64",
        ));
    }
    body.validate()?;
    let lock = crate::api::key_lock(&format!("{org}:bot-action:{slug}"));
    let _one = lock.lock().await;
    let existing = state
        .store()
        .get_object_by_name(org, ObjectKind::BotAction, &slug)
        .await?;
    let kept = existing
        .as_ref()
        .and_then(|o| serde_json::from_value::<ActionData>(o.data.clone()).ok())
        .and_then(|d| d.secret_sealed);
    let secret_sealed = match body.secret.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => {
            if s.len() < 16 || s.len() > 200 {
                return Err(ApiError::invalid("secret: 16 to 200 characters"));
            }
            Some(state.sealer().seal(org, actions::SECRET_FIELD, s))
        }
        _ => kept,
    };
    if secret_sealed.is_none() {
        return Err(ApiError::invalid(
            "secret: a guided action needs a signing secret (16 to 200 characters)",
        ));
    }
    let data = ActionData {
        action: ActionIn {
            secret: None,
            url: body.url.trim().to_string(),
            ..body
        },
        secret_sealed,
    };
    crate::org_settings::save(
        &state,
        org,
        Actor::from(&auth),
        ObjectKind::BotAction,
        &slug,
        &data,
        existing.as_ref(),
    )
    .await?;
    Ok(Json(ActionOut::of(slug, data)))
}

/// Delete a guided action (admins); conversations in the middle of it go on as if it
/// had never started. Audited as `object.deleted`.
#[utoipa::path(delete, path = "/api/bot/actions/{slug}", tag = "kb",
    params(("slug" = String, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
async fn delete_action(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
) -> ApiResult<StatusCode> {
    auth.require_admin()?;
    let org = auth.org_id();
    let o = state
        .store()
        .get_object_by_name(org, ObjectKind::BotAction, &slug)
        .await?
        .ok_or_else(|| ApiError::not_found("guided action"))?;
    crate::org_settings::delete(&state, org, Actor::from(&auth), ObjectKind::BotAction, o.id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TryIn {
    /// A sample value for each question the action asks.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TryOut {
    /// Whether the endpoint answered as it should.
    pub ok: bool,
    /// What the bot would say.
    pub reply: Option<String>,
    /// Whether the endpoint asked for a person.
    pub handover: bool,
    /// Why the call failed.
    pub error: Option<String>,
}

/// Try a guided action against its endpoint with sample values, as the bot would call
/// it (signed), and see the reply (admins).
#[utoipa::path(post, path = "/api/bot/actions/{slug}/try", tag = "kb", request_body = TryIn,
    params(("slug" = String, Path)),
    responses((status = 200, body = TryOut), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn try_action(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Json(body): Json<TryIn>,
) -> ApiResult<Json<TryOut>> {
    auth.require_admin()?;
    let org = auth.org_id();
    let (_, data) = actions::all(&state, org)
        .await?
        .into_iter()
        .find(|(s, _)| *s == slug)
        .ok_or_else(|| ApiError::not_found("guided action"))?;
    for f in &data.action.ask {
        if !body.values.contains_key(&f.name) {
            return Err(ApiError::invalid(format!(
                "values.{}: a sample value is needed",
                f.name
            )));
        }
    }
    if body.values.values().any(|v| v.chars().count() > 200) {
        return Err(ApiError::invalid("values: at most 200 characters each"));
    }
    let sample = uuid::Uuid::nil();
    Ok(Json(
        match actions::call(&state, org, sample, &slug, &data, &body.values).await {
            Ok(answer) => {
                let mut all = body.values.clone();
                all.extend(answer.fields);
                TryOut {
                    ok: true,
                    reply: Some(actions::fill(&data.action.reply, &all)),
                    handover: answer.handover,
                    error: None,
                }
            }
            Err(e) => TryOut {
                ok: false,
                reply: None,
                handover: false,
                error: Some(e),
            },
        },
    ))
}
