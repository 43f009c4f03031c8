//! Retention: closed contacts are kept for a period the organisation chooses (days, for
//! the organisation and per channel; none: kept), then deleted with their messages,
//! attachments, deliveries and the idempotency records that name them.
//!
//! One background task ([`task`]) runs [`run_once`] every [`EVERY`]; each run that
//! deletes something logs `retention.run` with the counts. The hash-chained events are
//! not rewritten: they hold ids and no personal data ([`crate::events`]), and what
//! customers wrote was sealed under the organisation's key ([`crate::keys`]).
//! Customers themselves are kept (they may come back); erase one with
//! `POST /api/customers/{id}/erase`.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::State;
use serde::{Deserialize, Serialize};
use store::{Change, Channel, Object, ObjectKind, Store as _};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::Json;
use crate::events::{Actor, LiveEvent};
use crate::{ApiError, ApiResult, AppState, Tx};

/// How often the task looks for expired contacts.
pub const EVERY: Duration = Duration::from_secs(3600);
/// The settings object's name.
pub const NAME: &str = "retention";
/// At most this many days (a century).
const MAX_DAYS: u32 = 36_500;

/// How long closed contacts are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Days a closed contact is kept, counted from its closing; null: kept.
    #[serde(default)]
    pub days: Option<u32>,
    /// Per channel (`chat`, `sms`, `whatsapp`, `messenger`, `email`, `voice`): days
    /// that replace `days` for that channel (null: kept).
    #[serde(default)]
    pub channels: BTreeMap<String, Option<u32>>,
}

impl Retention {
    fn validate(&self) -> Result<(), String> {
        for (ch, d) in &self.channels {
            if Channel::parse(ch).is_none() {
                return Err(format!("channels: {ch} is not a channel"));
            }
            if d.is_some_and(|d| d == 0 || d > MAX_DAYS) {
                return Err(format!("channels.{ch}: 1 to {MAX_DAYS} days, or null"));
            }
        }
        if self.days.is_some_and(|d| d == 0 || d > MAX_DAYS) {
            return Err(format!("days: 1 to {MAX_DAYS}, or null"));
        }
        Ok(())
    }

    /// The period for a channel, if its contacts expire.
    pub fn period(&self, channel: Channel) -> Option<time::Duration> {
        let days = match self.channels.get(channel.as_str()) {
            Some(d) => *d,
            None => self.days,
        };
        days.map(|d| time::Duration::days(i64::from(d)))
    }
}

/// The organisation's retention settings (none set: everything kept).
pub async fn settings(state: &AppState, org: Uuid) -> ApiResult<(Retention, Option<Object>)> {
    crate::org_settings::load(state, org, ObjectKind::Retention, NAME).await
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_retention, put_retention))
}

/// How long closed contacts are kept (admins).
#[utoipa::path(get, path = "/api/retention", tag = "admin", responses((status = 200, body = Retention)))]
async fn get_retention(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Retention>> {
    auth.require_admin()?;
    Ok(Json(settings(&state, auth.org_id()).await?.0))
}

/// Set how long closed contacts are kept (admins); the next run of the retention job
/// (hourly) deletes those past their period. Audited as `object.put`.
#[utoipa::path(put, path = "/api/retention", tag = "admin", request_body = Retention,
    responses((status = 200, body = Retention), (status = 422, body = crate::error::ErrorBody)))]
async fn put_retention(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<Retention>,
) -> ApiResult<Json<Retention>> {
    auth.require_admin()?;
    body.validate().map_err(ApiError::invalid)?;
    let org = auth.org_id();
    let (_, existing) = settings(&state, org).await?;
    crate::org_settings::save(
        &state,
        org,
        Actor::from(&auth),
        ObjectKind::Retention,
        NAME,
        &body,
        existing.as_ref(),
    )
    .await?;
    Ok(Json(body))
}

/// What one organisation's run deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Run {
    pub org: Uuid,
    pub contacts: u64,
    pub messages: u64,
    pub attachments: u64,
}

/// Deletes every organisation's closed contacts past their period (as of the clock's
/// `now`); answers what each organisation with something to delete lost.
pub async fn run_once(state: &AppState) -> ApiResult<Vec<Run>> {
    let mut runs = Vec::new();
    for org in state.store().list_orgs().await? {
        let (r, obj) = settings(state, org.id).await?;
        if obj.is_none() {
            continue;
        }
        let now = state.now();
        let expired: Vec<Uuid> = state
            .store()
            .list_closed_contacts(org.id)
            .await?
            .into_iter()
            .filter(|(_, ch, closed)| r.period(*ch).is_some_and(|p| *closed + p <= now))
            .map(|(id, _, _)| id)
            .collect();
        for chunk in expired.chunks(200) {
            let ids = chunk.to_vec();
            let ((), committed) = state
                .mutate_committed(org.id, |o, _| {
                    // Closed contacts are not in the live state; one that is (reopened
                    // by a message racing this run) is kept.
                    let ids: Vec<Uuid> = ids
                        .into_iter()
                        .filter(|id| o.contact(*id).is_none())
                        .collect();
                    let mut tx = Tx::new(());
                    tx.changes = vec![Change::EraseContacts {
                        org_id: org.id,
                        contact_ids: ids,
                    }];
                    Ok(tx)
                })
                .await?;
            let n = |t: &str| {
                committed
                    .erased
                    .iter()
                    .find(|(x, _)| *x == t)
                    .map_or(0, |(_, n)| *n)
            };
            let run = Run {
                org: org.id,
                contacts: n("contacts"),
                messages: n("messages"),
                attachments: n("attachments"),
            };
            state
                .write(
                    vec![
                        LiveEvent::RetentionRun {
                            contacts: run.contacts,
                            messages: run.messages,
                            attachments: run.attachments,
                        }
                        .change(org.id, state.now(), Actor::System),
                    ],
                    vec![],
                )
                .await?;
            runs.push(run);
        }
    }
    Ok(runs)
}

/// The retention job: [`run_once`] now and every [`EVERY`], until shutdown.
pub async fn task(state: AppState) {
    let mut shutdown = state.shutdown_signal();
    loop {
        match run_once(&state).await {
            Ok(runs) => {
                for r in runs {
                    tracing::info!(org = %r.org, contacts = r.contacts, messages = r.messages, "retention: expired contacts deleted");
                }
            }
            Err(e) => tracing::warn!(error = %e.message, "retention run failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_period_replaces_the_organisation_one() {
        let r: Retention = serde_json::from_value(
            serde_json::json!({"days": 30, "channels": {"sms": 7, "voice": null}}),
        )
        .unwrap();
        assert_eq!(r.validate(), Ok(()));
        assert_eq!(r.period(Channel::Chat), Some(time::Duration::days(30)));
        assert_eq!(r.period(Channel::Sms), Some(time::Duration::days(7)));
        assert_eq!(r.period(Channel::Voice), None, "null: kept");
        assert_eq!(Retention::default().period(Channel::Chat), None);
        let bad: Retention =
            serde_json::from_value(serde_json::json!({"channels": {"fax": 7}})).unwrap();
        assert!(bad.validate().is_err());
        assert!(
            Retention {
                days: Some(0),
                ..Default::default()
            }
            .validate()
            .is_err()
        );
    }
}
