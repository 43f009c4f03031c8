//! Alerts: rules over the wallboard's figures ("longest wait in Returns above 120 s",
//! "service level of the last 30 minutes below 70 % for 15 minutes") that raise a
//! visible alert on every supervisor's console and call the organisation's webhook,
//! signed, so that a remote team hears of trouble without watching a screen.
//!
//! The decision is pure: [`evaluate`] takes the rules, the figures per queue and what it
//! decided last time ([`Watch`]), and answers which alerts are raised and which are
//! cleared; time is an input. The shell ([`check`], once a second from the timer task)
//! keeps each organisation's rules in memory (read again every [`RELOAD`], replaced at
//! once when they are saved here), reads the figures from the live state, logs each change as `alert.raised` /
//! `alert.cleared` (ids and figures only: no personal data), tells the consoles, and
//! hands the change to the webhook sender, which signs each call as the channels'
//! webhooks are signed (`X-Homeshore-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
//! "<t>.<body>">`, [`crate::webhook`], so a receiver can refuse a replayed or forged call),
//! retries with backoff, and logs every attempt as `alert.webhook` (the delivery log
//! admins read). Each change carries an id and the alert as sent, so a restart picks up
//! from the log ([`resume`]): alerts that were up stay up (not raised twice), and calls
//! that had not got through are made again, counting on from their last attempt.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{Change, Object, ObjectKind, Role, Store as _};
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::Json;
use crate::events::{Actor, LiveEvent};
use crate::live::{OrgLive, rid};
use crate::{ApiError, ApiResult, AppState};

/// The settings object's name.
pub const NAME: &str = "alerts";
/// What the webhook's signing secret is sealed as.
const SECRET_FIELD: &str = "alerts_webhook_secret";
/// Attempts at one webhook call.
pub use crate::webhook::ATTEMPTS;
/// How long [`check`] trusts the settings it read (changes made by another process).
const RELOAD: Duration = Duration::from_secs(5);

/// What a rule watches, per queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Contacts waiting now.
    Waiting,
    /// Seconds the longest-waiting contact has waited.
    LongestWaitS,
    /// Agents available for the queue now.
    AgentsAvailable,
    /// Percent answered within the queue's threshold, last 30 minutes.
    #[serde(rename = "service_level_30m")]
    ServiceLevel30m,
    /// Percent of contacts abandoned, last 30 minutes.
    #[serde(rename = "abandon_rate_30m")]
    AbandonRate30m,
}

/// One rule: `metric` of a queue (or of each queue) above or below `threshold` for at
/// least `for_s` seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    /// Unique; what the alert is called on the console and in the webhook.
    pub name: String,
    /// One queue, or none for every queue.
    #[serde(default)]
    pub queue_id: Option<Uuid>,
    pub metric: Metric,
    /// `above` or `below`.
    pub when: When,
    pub threshold: f64,
    /// How long the figure must stay past the threshold (0: at once).
    #[serde(default)]
    pub for_s: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum When {
    Above,
    Below,
}

/// The organisation's alert rules and webhook, as stored (the secret sealed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stored {
    pub rules: Vec<AlertRule>,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
}

/// The settings as an admin or supervisor reads and sends them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertSettings {
    #[serde(default)]
    pub rules: Vec<AlertRule>,
    /// Where raised and cleared alerts are posted (https, or http on this machine).
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// The signing secret: leave out to keep the stored one. Never returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
    /// Whether a signing secret is stored (read only).
    #[serde(default)]
    pub has_secret: bool,
}

/// A queue's figures, as the rules see them.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueFigures {
    pub queue_id: Uuid,
    pub name: String,
    pub waiting: f64,
    pub longest_wait_s: f64,
    pub agents_available: f64,
    pub service_level_30m: Option<f64>,
    pub abandon_rate_30m: Option<f64>,
}

impl QueueFigures {
    fn get(&self, m: Metric) -> Option<f64> {
        match m {
            Metric::Waiting => Some(self.waiting),
            Metric::LongestWaitS => Some(self.longest_wait_s),
            Metric::AgentsAvailable => Some(self.agents_available),
            Metric::ServiceLevel30m => self.service_level_30m,
            Metric::AbandonRate30m => self.abandon_rate_30m,
        }
    }
}

/// An alert that is up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActiveAlert {
    pub rule: String,
    pub queue_id: Uuid,
    pub queue: String,
    pub metric: Metric,
    pub when: When,
    pub threshold: f64,
    pub value: f64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub since: OffsetDateTime,
}

/// What [`evaluate`] remembers between calls.
#[derive(Debug, Default)]
pub struct Watch {
    /// When each (rule, queue) first went past its threshold, while it stays past.
    past_since: HashMap<(String, Uuid), OffsetDateTime>,
    active: HashMap<(String, Uuid), ActiveAlert>,
    /// The settings [`check`] last read, and when: read again after [`RELOAD`], at
    /// once after a change through this server.
    loaded: Option<(std::time::Instant, Stored)>,
    /// Whether what the log says of the last day was taken up ([`resume`]).
    resumed: bool,
}

impl Watch {
    /// The alerts up now, oldest first.
    pub fn active(&self) -> Vec<ActiveAlert> {
        let mut v: Vec<ActiveAlert> = self.active.values().cloned().collect();
        v.sort_by(|a, b| (a.since, &a.rule).cmp(&(b.since, &b.rule)));
        v
    }
}

/// A change [`evaluate`] decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    Raised(ActiveAlert),
    Cleared(ActiveAlert),
}

/// Which alerts go up and which come down, given the figures at `now`. A figure that
/// cannot be computed (no contact in 30 minutes for a service level) is neither past
/// nor within its threshold: the alert keeps its state. A rule removed (or a queue
/// gone) clears its alerts.
pub fn evaluate(
    rules: &[AlertRule],
    figures: &[QueueFigures],
    watch: &mut Watch,
    now: OffsetDateTime,
) -> Vec<Transition> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for r in rules {
        for q in figures
            .iter()
            .filter(|q| r.queue_id.is_none_or(|id| id == q.queue_id))
        {
            let key = (r.name.clone(), q.queue_id);
            seen.insert(key.clone());
            let Some(value) = q.get(r.metric) else {
                continue;
            };
            let past = match r.when {
                When::Above => value > r.threshold,
                When::Below => value < r.threshold,
            };
            if !past {
                watch.past_since.remove(&key);
                if let Some(a) = watch.active.remove(&key) {
                    out.push(Transition::Cleared(ActiveAlert { value, ..a }));
                }
                continue;
            }
            let since = *watch.past_since.entry(key.clone()).or_insert(now);
            if let Some(a) = watch.active.get_mut(&key) {
                a.value = value;
            } else if (now - since).whole_seconds() >= i64::from(r.for_s) {
                let a = ActiveAlert {
                    rule: r.name.clone(),
                    queue_id: q.queue_id,
                    queue: q.name.clone(),
                    metric: r.metric,
                    when: r.when,
                    threshold: r.threshold,
                    value,
                    since: now,
                };
                watch.active.insert(key, a.clone());
                out.push(Transition::Raised(a));
            }
        }
    }
    watch.past_since.retain(|k, _| seen.contains(k));
    let gone: Vec<_> = watch
        .active
        .keys()
        .filter(|k| !seen.contains(*k))
        .cloned()
        .collect();
    for k in gone {
        if let Some(a) = watch.active.remove(&k) {
            out.push(Transition::Cleared(a));
        }
    }
    out
}

/// How long after a change its webhook call is still made after a restart.
const RESUME_WINDOW: time::Duration = time::Duration::hours(24);

/// What the log of the last day says after a restart: the alerts that are up, and the
/// webhook calls still owed (the change's id, the change, the next attempt).
#[derive(Debug, Default, PartialEq)]
pub struct Resumed {
    pub active: Vec<ActiveAlert>,
    pub owed: Vec<(Uuid, Transition, u32)>,
}

/// Reads `log` (alert events, oldest first) as of `now`. A change is owed its call
/// until an attempt succeeded or all [`ATTEMPTS`] failed, and for [`RESUME_WINDOW`].
/// Changes logged before they carried an id are left alone.
pub fn resume(log: &[(OffsetDateTime, LiveEvent)], now: OffsetDateTime) -> Resumed {
    let mut up: HashMap<(String, Uuid), ActiveAlert> = HashMap::new();
    let mut changes: Vec<(Uuid, OffsetDateTime, Transition)> = Vec::new();
    let mut attempts: HashMap<Uuid, (u32, bool)> = HashMap::new();
    for (at, e) in log {
        match e {
            LiveEvent::AlertRaised {
                rule,
                queue_id,
                id,
                alert: Some(a),
                ..
            } => {
                up.insert((rule.clone(), *queue_id), a.clone());
                if let Some(id) = id {
                    changes.push((*id, *at, Transition::Raised(a.clone())));
                }
            }
            LiveEvent::AlertCleared {
                rule,
                queue_id,
                id,
                alert,
                ..
            } => {
                up.remove(&(rule.clone(), *queue_id));
                if let (Some(id), Some(a)) = (id, alert) {
                    changes.push((*id, *at, Transition::Cleared(a.clone())));
                }
            }
            LiveEvent::AlertWebhook {
                alert_id: Some(id),
                attempt,
                ok,
                ..
            } => {
                let e = attempts.entry(*id).or_default();
                e.0 = e.0.max(*attempt);
                e.1 |= *ok;
            }
            _ => {}
        }
    }
    let mut active: Vec<ActiveAlert> = up.into_values().collect();
    active.sort_by(|a, b| (a.since, &a.rule).cmp(&(b.since, &b.rule)));
    let owed = changes
        .into_iter()
        .filter(|(_, at, _)| now - *at <= RESUME_WINDOW)
        .filter_map(|(id, _, t)| {
            let (tried, ok) = attempts.get(&id).copied().unwrap_or_default();
            (!ok && tried < ATTEMPTS).then_some((id, t, tried + 1))
        })
        .collect();
    Resumed { active, owed }
}

/// The alert events of the last [`RESUME_WINDOW`], oldest first.
async fn recent_log(
    state: &AppState,
    org: Uuid,
    now: OffsetDateTime,
) -> store::Result<Vec<(OffsetDateTime, LiveEvent)>> {
    let mut all = Vec::new();
    for kind in ["alert.raised", "alert.cleared", "alert.webhook"] {
        let mut before = i64::MAX;
        'pages: loop {
            let page = state
                .store()
                .read_org_events_of_kind(org, kind, before, 1000)
                .await?;
            let Some(last) = page.last() else { break };
            before = last.seq;
            for e in &page {
                if now - e.at > RESUME_WINDOW {
                    break 'pages;
                }
                if let Some((_, ev)) = LiveEvent::parse(e) {
                    all.push((e.seq, e.at, ev));
                }
            }
        }
    }
    all.sort_by_key(|(seq, _, _)| *seq);
    Ok(all.into_iter().map(|(_, at, e)| (at, e)).collect())
}

/// The figures of every queue at `now`, from the live state and its wallboard.
pub fn queue_figures(o: &OrgLive, now: OffsetDateTime) -> Vec<QueueFigures> {
    use routing::wallboard::Filter;
    use routing::{QueueId, Timestamp};
    let t_now = crate::live::ts(now);
    let recent = Timestamp(t_now.0.saturating_sub(30 * 60 * 1000));
    let lines = o.lines(None, now);
    o.queues()
        .map(|x| {
            let id = QueueId(rid(x.id));
            let one = [id];
            let f = Filter {
                queues: Some(&one),
                channel: None,
            };
            let t = o.wallboard.tally(f, recent, Timestamp(t_now.0 + 1));
            let (n, longest) = lines
                .get(&x.id)
                .map_or((0.0, 0.0), |l| (l.waiting as f64, l.longest_wait_s as f64));
            QueueFigures {
                queue_id: x.id,
                name: x.name.clone(),
                waiting: n,
                longest_wait_s: longest,
                agents_available: o
                    .router()
                    .queue_stats(id, t_now)
                    .map_or(0.0, |s| s.agents_available as f64),
                service_level_30m: t.service_level_percent(),
                abandon_rate_30m: t.abandon_percent(),
            }
        })
        .collect()
}

/// The organisation's stored alert settings.
pub async fn stored(state: &AppState, org: Uuid) -> ApiResult<(Stored, Option<Object>)> {
    crate::org_settings::load(state, org, ObjectKind::Alerts, NAME).await
}

/// Look at every organisation's rules once (the timer task, every second; tests after
/// moving the clock).
pub async fn check(state: &AppState) {
    for (org, slot) in state.slots() {
        let cached = slot
            .alerts()
            .loaded
            .as_ref()
            .filter(|(at, _)| at.elapsed() < RELOAD)
            .map(|(_, s)| s.clone());
        let settings = match cached {
            Some(s) => s,
            None => match stored(state, org).await {
                Ok((s, _)) => {
                    slot.alerts().loaded = Some((std::time::Instant::now(), s.clone()));
                    s
                }
                Err(_) => continue,
            },
        };
        let now = state.now();
        let mut owed = Vec::new();
        if !slot.alerts().resumed {
            match recent_log(state, org, now).await {
                Ok(log) => {
                    let r = resume(&log, now);
                    let mut w = slot.alerts();
                    w.resumed = true;
                    for a in r.active {
                        let key = (a.rule.clone(), a.queue_id);
                        w.past_since.insert(key.clone(), a.since);
                        w.active.insert(key, a);
                    }
                    owed = r.owed;
                }
                Err(e) => {
                    tracing::warn!(%org, error = %e, "alerts' log not read; trying again");
                    continue;
                }
            }
        }
        if settings.rules.is_empty() && slot.alerts().active.is_empty() && owed.is_empty() {
            continue;
        }
        let figures = queue_figures(&slot.lock(), now);
        let changes = evaluate(&settings.rules, &figures, &mut slot.alerts(), now);
        if changes.is_empty() && owed.is_empty() {
            continue;
        }
        let changes: Vec<(Uuid, Transition, u32)> = changes
            .into_iter()
            .map(|t| (store::new_id(), t, 1))
            .collect();
        if !changes.is_empty() {
            let events: Vec<Change> = changes
                .iter()
                .map(|(id, t, _)| {
                    let ev = match t {
                        Transition::Raised(a) => LiveEvent::AlertRaised {
                            rule: a.rule.clone(),
                            queue_id: a.queue_id,
                            value: a.value,
                            threshold: a.threshold,
                            id: Some(*id),
                            alert: Some(a.clone()),
                        },
                        Transition::Cleared(a) => LiveEvent::AlertCleared {
                            rule: a.rule.clone(),
                            queue_id: a.queue_id,
                            value: a.value,
                            id: Some(*id),
                            alert: Some(a.clone()),
                        },
                    };
                    ev.change(org, now, Actor::System)
                })
                .collect();
            // Logged before any call is made: a call is only ever owed for a change
            // that is durable.
            if let Err(e) = state.write(events, vec![]).await {
                tracing::warn!(%org, error = %e, "alerts not logged");
                continue;
            }
            let active = slot.alerts().active();
            state.hub().publish_ephemeral(
                org,
                &[Role::Admin, Role::Supervisor, Role::Analyst],
                "alerts",
                &json!({ "active": active }),
            );
        }
        if let Some(url) = settings.webhook_url.filter(|u| !u.is_empty()) {
            let secret = settings
                .webhook_secret
                .and_then(|s| state.sealer().open(org, SECRET_FIELD, &s))
                .unwrap_or_default();
            for (id, t, first) in owed.into_iter().chain(changes) {
                let state = state.clone();
                let (url, secret) = (url.clone(), secret.clone());
                tokio::spawn(
                    async move { deliver(&state, org, &url, &secret, id, t, first).await },
                );
            }
        }
    }
}

/// Posts one change to the webhook from attempt `first` ([`crate::webhook::deliver`]);
/// logs each attempt under the change's id.
async fn deliver(
    state: &AppState,
    org: Uuid,
    url: &str,
    secret: &str,
    id: Uuid,
    t: Transition,
    first: u32,
) {
    let (kind, a) = match &t {
        Transition::Raised(a) => ("alert.raised", a),
        Transition::Cleared(a) => ("alert.cleared", a),
    };
    let body = json!({"type": kind, "organisation_id": org, "alert": a}).to_string();
    crate::webhook::deliver(state, url, secret, body, first, |at| {
        LiveEvent::AlertWebhook {
            rule: a.rule.clone(),
            queue_id: a.queue_id,
            alert: kind.into(),
            alert_id: Some(id),
            attempt: at.attempt,
            ok: at.ok,
            status: at.status,
            error: at.error.clone(),
        }
        .change(org, at.at, Actor::System)
    })
    .await;
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_alerts, put_alerts))
        .routes(routes!(active_alerts))
        .routes(routes!(deliveries))
}

const MANAGERS: &[Role] = &[Role::Admin, Role::Supervisor];
const WATCHERS: &[Role] = &[Role::Admin, Role::Supervisor, Role::Analyst];

fn shown(s: &Stored) -> AlertSettings {
    AlertSettings {
        rules: s.rules.clone(),
        webhook_url: s.webhook_url.clone(),
        webhook_secret: None,
        has_secret: s.webhook_secret.is_some(),
    }
}

/// The organisation's alert rules and webhook (admins, supervisors, analysts). The
/// signing secret is never returned.
#[utoipa::path(get, path = "/api/alerts", tag = "supervisor", responses((status = 200, body = AlertSettings)))]
async fn get_alerts(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<AlertSettings>> {
    auth.require(WATCHERS)?;
    Ok(Json(shown(&stored(&state, auth.org_id()).await?.0)))
}

/// Set the alert rules and webhook (admins and supervisors; in effect within a second).
/// Audited as `object.put`.
#[utoipa::path(put, path = "/api/alerts", tag = "supervisor", request_body = AlertSettings,
    responses((status = 200, body = AlertSettings), (status = 422, body = crate::error::ErrorBody)))]
async fn put_alerts(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<AlertSettings>,
) -> ApiResult<Json<AlertSettings>> {
    auth.require(MANAGERS)?;
    let org = auth.org_id();
    if body.rules.len() > 100 {
        return Err(ApiError::invalid("rules: at most 100"));
    }
    let mut names = HashSet::new();
    for (i, r) in body.rules.iter().enumerate() {
        let name = r.name.trim();
        if name.is_empty() || name.len() > 100 {
            return Err(ApiError::invalid(format!(
                "rules[{i}].name: 1 to 100 characters"
            )));
        }
        if !names.insert(name.to_string()) {
            return Err(ApiError::invalid(format!(
                "rules[{i}].name: `{name}` is used twice"
            )));
        }
        if !r.threshold.is_finite() {
            return Err(ApiError::invalid(format!("rules[{i}].threshold: a number")));
        }
        if r.for_s > 24 * 3600 {
            return Err(ApiError::invalid(format!(
                "rules[{i}].for_s: at most a day"
            )));
        }
        if let Some(q) = r.queue_id
            && state.with_org(org, |o| o.queue(q).is_none())
        {
            return Err(ApiError::invalid(format!(
                "rules[{i}].queue_id: no such queue"
            )));
        }
    }
    let (existing, obj) = stored(&state, org).await?;
    let (url, secret) = crate::webhook::settings(
        &state,
        org,
        body.webhook_url.as_deref(),
        body.webhook_secret.as_deref(),
        existing.webhook_secret,
        SECRET_FIELD,
    )?;
    let new = Stored {
        rules: body
            .rules
            .into_iter()
            .map(|r| AlertRule {
                name: r.name.trim().to_string(),
                ..r
            })
            .collect(),
        webhook_url: url,
        webhook_secret: secret,
    };
    crate::org_settings::save(
        &state,
        org,
        Actor::from(&auth),
        ObjectKind::Alerts,
        NAME,
        &new,
        obj.as_ref(),
    )
    .await?;
    state.slot(org).alerts().loaded = Some((std::time::Instant::now(), new.clone()));
    Ok(Json(shown(&new)))
}

/// The alerts up now.
#[utoipa::path(get, path = "/api/alerts/active", tag = "supervisor", responses((status = 200, body = Vec<ActiveAlert>)))]
async fn active_alerts(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<Vec<ActiveAlert>>> {
    auth.require(WATCHERS)?;
    Ok(Json(state.slot(auth.org_id()).alerts().active()))
}

/// The webhook's delivery log, newest first (admins and supervisors): each attempt
/// with its outcome.
#[utoipa::path(get, path = "/api/alerts/deliveries", tag = "supervisor", responses((status = 200, description = "`{items: [{at, rule, queue_id, alert, attempt, ok, status, error}]}`")))]
async fn deliveries(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require(MANAGERS)?;
    Ok(Json(
        crate::webhook::delivery_log(&state, auth.org_id(), "alert.webhook").await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn fig(waiting: f64, sl: Option<f64>) -> Vec<QueueFigures> {
        vec![QueueFigures {
            queue_id: Uuid::nil(),
            name: "Returns".into(),
            waiting,
            longest_wait_s: waiting * 30.0,
            agents_available: 1.0,
            service_level_30m: sl,
            abandon_rate_30m: None,
        }]
    }

    fn rule(metric: Metric, when: When, threshold: f64, for_s: u32) -> AlertRule {
        AlertRule {
            name: "r".into(),
            queue_id: None,
            metric,
            when,
            threshold,
            for_s,
        }
    }

    #[test]
    fn an_alert_rises_after_its_hold_time_and_clears_once() {
        let t0 = datetime!(2026-12-07 10:00 UTC);
        let rules = [rule(Metric::ServiceLevel30m, When::Below, 70.0, 900)];
        let mut w = Watch::default();
        assert!(evaluate(&rules, &fig(0.0, Some(60.0)), &mut w, t0).is_empty());
        let t = t0 + time::Duration::minutes(14);
        assert!(
            evaluate(&rules, &fig(0.0, Some(65.0)), &mut w, t).is_empty(),
            "not yet 15 min"
        );
        let t = t0 + time::Duration::minutes(15);
        let up = evaluate(&rules, &fig(0.0, Some(65.0)), &mut w, t);
        assert!(
            matches!(&up[..], [Transition::Raised(a)] if a.value == 65.0),
            "{up:?}"
        );
        // No figure (nothing in 30 minutes): the alert stays as it is.
        assert!(evaluate(&rules, &fig(0.0, None), &mut w, t).is_empty());
        assert_eq!(w.active().len(), 1);
        assert!(
            evaluate(&rules, &fig(0.0, Some(50.0)), &mut w, t).is_empty(),
            "raised once"
        );
        let down = evaluate(&rules, &fig(0.0, Some(80.0)), &mut w, t);
        assert!(
            matches!(&down[..], [Transition::Cleared(a)] if a.value == 80.0),
            "{down:?}"
        );
        assert!(w.active().is_empty());
    }

    #[test]
    fn a_blip_shorter_than_the_hold_time_raises_nothing_and_a_removed_rule_clears() {
        let t0 = datetime!(2026-12-07 10:00 UTC);
        let rules = [rule(Metric::Waiting, When::Above, 3.0, 60)];
        let mut w = Watch::default();
        assert!(evaluate(&rules, &fig(5.0, None), &mut w, t0).is_empty());
        assert!(
            evaluate(
                &rules,
                &fig(1.0, None),
                &mut w,
                t0 + time::Duration::seconds(30)
            )
            .is_empty()
        );
        assert!(
            evaluate(
                &rules,
                &fig(5.0, None),
                &mut w,
                t0 + time::Duration::seconds(61)
            )
            .is_empty(),
            "the clock restarted"
        );
        let now = AlertRule {
            name: "now".into(),
            ..rule(Metric::LongestWaitS, When::Above, 60.0, 0)
        };
        let up = evaluate(std::slice::from_ref(&now), &fig(3.0, None), &mut w, t0);
        assert!(matches!(&up[..], [Transition::Raised(_)]));
        let gone = evaluate(&[], &fig(3.0, None), &mut w, t0);
        assert!(matches!(&gone[..], [Transition::Cleared(_)]), "{gone:?}");
    }

    #[test]
    fn a_restart_keeps_what_is_up_and_owes_the_calls_that_did_not_get_through() {
        let t0 = datetime!(2026-12-07 09:00 UTC);
        let alert = |rule: &str, since| ActiveAlert {
            rule: rule.into(),
            queue_id: Uuid::nil(),
            queue: "Returns".into(),
            metric: Metric::Waiting,
            when: When::Above,
            threshold: 0.0,
            value: 2.0,
            since,
        };
        let raised = |id: Uuid, a: &ActiveAlert| LiveEvent::AlertRaised {
            rule: a.rule.clone(),
            queue_id: a.queue_id,
            value: a.value,
            threshold: a.threshold,
            id: Some(id),
            alert: Some(a.clone()),
        };
        let cleared = |id: Uuid, a: &ActiveAlert| LiveEvent::AlertCleared {
            rule: a.rule.clone(),
            queue_id: a.queue_id,
            value: 0.0,
            id: Some(id),
            alert: Some(a.clone()),
        };
        let attempt = |id: Uuid, n: u32, ok: bool| LiveEvent::AlertWebhook {
            rule: String::new(),
            queue_id: Uuid::nil(),
            alert: String::new(),
            alert_id: Some(id),
            attempt: n,
            ok,
            status: None,
            error: None,
        };
        let (a, b, c) = (alert("A", t0), alert("B", t0), alert("C", t0));
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        let log = vec![
            // A: raised, delivered on the second attempt, still up.
            (t0, raised(ids[0], &a)),
            (t0, attempt(ids[0], 1, false)),
            (t0, attempt(ids[0], 2, true)),
            // B: raised (delivered) then cleared, whose call failed twice.
            (t0, raised(ids[1], &b)),
            (t0, attempt(ids[1], 1, true)),
            (t0, cleared(ids[2], &b)),
            (t0, attempt(ids[2], 1, false)),
            (t0, attempt(ids[2], 2, false)),
            // C: raised, never called (the server stopped first).
            (t0, raised(ids[3], &c)),
        ];
        let r = resume(&log, t0 + time::Duration::minutes(5));
        assert_eq!(r.active, vec![a.clone(), c.clone()]);
        assert_eq!(
            r.owed,
            vec![
                (ids[2], Transition::Cleared(b.clone()), 3),
                (ids[3], Transition::Raised(c.clone()), 1),
            ]
        );
        // A change whose calls all failed, or older than a day, is owed nothing.
        let mut spent = log.clone();
        for n in 3..=ATTEMPTS {
            spent.push((t0, attempt(ids[2], n, false)));
        }
        assert_eq!(resume(&spent, t0).owed.len(), 1);
        assert!(resume(&log, t0 + time::Duration::hours(25)).owed.is_empty());
    }
}
