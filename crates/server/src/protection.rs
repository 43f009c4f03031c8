//! Data protection settings an admin chooses for the organisation: today, which roles may
//! open customers' attachments. Remote staff work on computers the company does not own,
//! and a file a customer sent (an ID card, a bank statement, a photo of a damaged
//! parcel) that reaches one is out of the company's hands: an organisation may keep them
//! to the roles whose work needs them. The rest still see that a file was sent (its
//! name, type and size) and are told why it does not open. Every opening is audited as a
//! read ([`crate::contacts::audit_read`]).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use store::{Object, ObjectKind, Role};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::Json;
use crate::events::Actor;
use crate::{ApiError, ApiResult, AppState};

/// The settings object's name.
pub const NAME: &str = "protection";

/// The organisation's data protection settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Protection {
    /// Roles whose staff may open customers' attachments, on the contacts they may see.
    /// (`admin`, `supervisor`, `agent`, `analyst`.) Default: admins, supervisors and
    /// agents.
    #[serde(default = "default_attachment_roles")]
    #[schema(value_type = Vec<String>)]
    pub attachment_roles: Vec<Role>,
}

fn default_attachment_roles() -> Vec<Role> {
    vec![Role::Admin, Role::Supervisor, Role::Agent]
}

impl Default for Protection {
    fn default() -> Self {
        Protection {
            attachment_roles: default_attachment_roles(),
        }
    }
}

/// The organisation's settings (the defaults where none were saved).
pub async fn settings(state: &AppState, org: Uuid) -> ApiResult<(Protection, Option<Object>)> {
    crate::org_settings::load(state, org, ObjectKind::Protection, NAME).await
}

/// Refuses a role the organisation does not let open customers' attachments.
pub async fn may_open_attachments(state: &AppState, auth: &Auth) -> ApiResult<()> {
    let (p, _) = settings(state, auth.org_id()).await?;
    if p.attachment_roles.contains(&auth.user.role) {
        return Ok(());
    }
    Err(ApiError::forbidden(format!(
        "customers' files do not open for the {} role in this organisation; an admin can \
         allow it in Admin → Data protection",
        auth.user.role.as_str()
    )))
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_protection, put_protection))
}

/// The organisation's data protection settings (admins).
#[utoipa::path(get, path = "/api/protection", tag = "admin", responses((status = 200, body = Protection)))]
async fn get_protection(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Protection>> {
    auth.require_admin()?;
    Ok(Json(settings(&state, auth.org_id()).await?.0))
}

/// Set the organisation's data protection settings (admins); in effect at once.
/// Audited as `object.put`.
#[utoipa::path(put, path = "/api/protection", tag = "admin", request_body = Protection,
    responses((status = 200, body = Protection), (status = 422, body = crate::error::ErrorBody)))]
async fn put_protection(
    State(state): State<AppState>,
    auth: Auth,
    Json(mut body): Json<Protection>,
) -> ApiResult<Json<Protection>> {
    auth.require_admin()?;
    body.attachment_roles.sort_by_key(|r| r.as_str());
    body.attachment_roles.dedup();
    let org = auth.org_id();
    let (_, existing) = settings(&state, org).await?;
    crate::org_settings::save(
        &state,
        org,
        Actor::from(&auth),
        ObjectKind::Protection,
        NAME,
        &body,
        existing.as_ref(),
    )
    .await?;
    Ok(Json(body))
}
