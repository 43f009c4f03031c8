//! Insight over HTTP, and the weekly digest's webhook. The figures come from the
//! reports' projection ([`crate::reports::compute`], per week and wrap-up code, per
//! week and queue); the rising terms from customers' messages of the week and the four
//! before, opened through [`AppState::messages`], counted per conversation
//! ([`insight::terms`]) and kept only as counts, in memory, per organisation and week
//! (a finished week once, the current one for a minute). Each counting is audited
//! (`insight.terms`, with its actor) before anything is answered. Nothing derived from
//! what customers wrote is stored.
//!
//! The digest goes to the organisation's webhook (Admin → Insight: URL and signing
//! secret, sealed) every Monday at 08:00 in the planning zone ([`insight::digest_due`],
//! checked every minute by [`task`]) and when an admin asks
//! (`POST /api/insight/digest/send`), signed and retried by [`crate::webhook`], each
//! attempt logged as `insight.webhook`; a call a stopped server still owed is made after
//! the next start, counting on from its last attempt ([`insight::owed`]).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use futures::StreamExt as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::reports::StayQuery;
use store::{ObjectKind, Role, Sender, Store as _};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{Json, Query};
use crate::events::{Actor, LiveEvent};
use crate::insight::{
    self, Digest, QueueInsight, ReasonTrend, RisingTerm, WeekCount, WeekFigures, WeekTerms,
};
use crate::reports::{self, Figures, Filters, GroupBy, millis, time_of};
use crate::{ApiError, ApiResult, AppState, wire};

/// Who reads Insight: supervisors, admins and analysts (never agents).
const READERS: &[Role] = &[Role::Admin, Role::Supervisor, Role::Analyst];
const ADMINS: &[Role] = &[Role::Admin];
/// The settings object's name, and what the signing secret is sealed as.
const NAME: &str = "insight";
const SECRET_FIELD: &str = "insight_webhook_secret";
/// Conversations read per week at most, messages per conversation, terms kept per week.
const MAX_CONVERSATIONS: usize = 5000;
const MAX_MESSAGES: u32 = 200;
const MAX_TERMS: usize = 50_000;
/// How long the current week's counts are served before they are counted again.
const FRESH: Duration = Duration::from_secs(60);
/// Weeks of counts kept per organisation.
const KEPT_WEEKS: usize = 16;
/// Rising terms shown.
const RISING: usize = 20;
/// How often [`task`] looks for a digest due.
const EVERY: Duration = Duration::from_secs(60);

/// Counted weeks and the last digest sent on schedule, on the organisation's slot.
#[derive(Debug, Default)]
pub struct Cache {
    /// (from, to) in Unix ms → (when counted, finished, the counts).
    weeks: HashMap<(i64, i64), (Instant, bool, Arc<WeekTerms>)>,
    /// The Monday of the last week whose digest went out on schedule; `None` until
    /// read from the log.
    last_sent: Option<Option<i64>>,
    /// Whether the calls owed from before a restart were taken up.
    resumed: bool,
}

/// The digest webhook as stored (the secret sealed; `since`: when the URL was set,
/// Unix ms).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Stored {
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
    since: Option<i64>,
}

/// The digest webhook as an admin reads and sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DigestSettings {
    /// Where the weekly digest is posted (https, or http on this machine); none: not
    /// sent.
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// The signing secret: leave out to keep the stored one. Never returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
    /// Whether a signing secret is stored (read only).
    #[serde(default)]
    pub has_secret: bool,
}

/// One week of Insight.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Insight {
    /// The week's Monday (`YYYY-MM-DD`) in `tz`, and its bounds.
    pub week: String,
    pub tz: String,
    pub from: String,
    pub to: String,
    /// The Mondays of the weeks the trends cover, oldest first, this week last.
    pub weeks: Vec<String>,
    pub totals: WeekFigures,
    pub last_week: WeekFigures,
    /// Contact reasons (wrap-up codes of handled contacts), most frequent first, with
    /// their ratings.
    pub reasons: Vec<ReasonTrend>,
    /// Each queue this week and last.
    pub queues: Vec<QueueInsight>,
    /// Words and phrases rising in customers' messages, against the four weeks before.
    pub rising: Vec<RisingTerm>,
    /// Conversations whose words were counted this week.
    pub conversations: u32,
    /// Terms used in fewer conversations than this are never shown.
    pub min_conversations: u32,
    /// The answer bot's week: deflection, handovers and why, ratings, and the questions
    /// it could not answer, grouped.
    pub bot: insight::BotWeek,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct InsightQuery {
    /// Any day of the week (`YYYY-MM-DD`, in `tz`); default: this week (the digest:
    /// last week).
    pub week: Option<String>,
    /// IANA time zone of the weeks (default: the organisation's planning zone).
    pub tz: Option<String>,
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_insight))
        .routes(routes!(get_digest))
        .routes(routes!(send_digest))
        .routes(routes!(get_digest_settings, put_digest_settings))
        .routes(routes!(digest_deliveries))
}

fn date(day: i64) -> String {
    let (y, m, d) = wfm::time::civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The zone (the query's, or the planning zone) and its name.
async fn zone_of(
    state: &AppState,
    org: Uuid,
    tz: Option<&str>,
) -> ApiResult<(jiff::tz::TimeZone, String)> {
    let zone = match tz.filter(|t| !t.is_empty()) {
        Some(name) => wfm::zone::parse(name).map_err(|_| {
            ApiError::invalid(format!(
                "tz: `{name}` is not an IANA time zone (e.g. America/New_York)"
            ))
        })?,
        None => crate::api::wfm_api::planning_zone(state, org).await?,
    };
    let name = wfm::zone::name(&zone);
    Ok((zone, name))
}

/// The Monday of the asked week, or of this week (`last`: of the week before).
fn week_of(zone: &jiff::tz::TimeZone, now: i64, week: Option<&str>, last: bool) -> ApiResult<i64> {
    match week.filter(|w| !w.is_empty()) {
        Some(w) => wfm::time::parse_date(w)
            .map(insight::monday_of)
            .map_err(|_| ApiError::invalid(format!("week: `{w}` is not a date (YYYY-MM-DD)"))),
        None => {
            let today = wfm::zone::local_day(zone, now.div_euclid(60_000));
            Ok(insight::monday_of(today) - if last { 7 } else { 0 })
        }
    }
}

/// What a request asks for: its organisation, zone (and its name) and week's Monday
/// (`last`: last week by default).
async fn asked(
    state: &AppState,
    auth: &Auth,
    q: &InsightQuery,
    last: bool,
) -> ApiResult<(Uuid, jiff::tz::TimeZone, String, i64)> {
    let org = auth.org_id();
    let (zone, tz) = zone_of(state, org, q.tz.as_deref()).await?;
    let week = week_of(&zone, millis(state.now()), q.week.as_deref(), last)?;
    Ok((org, zone, tz, week))
}

fn week_figures(f: &Figures) -> WeekFigures {
    let t = &f.tally;
    let round = |p: Option<f64>| p.map(|p| (p * 10.0).round() / 10.0);
    WeekFigures {
        contacts: t.offered,
        handled: t.handled,
        service_level_percent: round(t.service_level_percent()),
        asa_s: t.asa_ms().map(|m| (m as f64 / 100.0).round() / 10.0),
        abandon_percent: round(t.abandon_percent()),
        csat_avg: (f.csat_count > 0)
            .then(|| ((f.csat_sum as f64 / f.csat_count as f64) * 100.0).round() / 100.0),
        csat_count: f.csat_count,
    }
}

/// Insight for the week starting on Monday `week` in `zone`; the messages' reads are
/// audited under `actor`.
async fn compute(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    zone: &jiff::tz::TimeZone,
    tz: &str,
    week: i64,
) -> ApiResult<Insight> {
    let mondays: Vec<i64> = (0..=insight::PREVIOUS_WEEKS as i64)
        .rev()
        .map(|k| week - 7 * k)
        .collect();
    let at = |day: i64| wfm::zone::to_utc(zone, day, 0) * 60_000;
    let bounds: Vec<i64> = mondays.iter().map(|d| at(*d)).collect();
    let to = at(week + 7);
    let now = millis(state.now());
    let n = bounds.len();
    let none = Filters::default();
    let by_code =
        reports::compute(state, org, bounds.clone(), to, GroupBy::Code, &none, now).await?;
    let by_queue =
        reports::compute(state, org, bounds.clone(), to, GroupBy::Queue, &none, now).await?;
    let mut weeks: Vec<BTreeMap<String, WeekCount>> = vec![BTreeMap::new(); n];
    for ((i, code), f) in by_code.cells() {
        weeks[i].insert(
            code.to_string(),
            WeekCount {
                contacts: f.tally.handled,
                csat_sum: f.csat_sum,
                csat_count: f.csat_count,
            },
        );
    }
    let series = by_queue.series();
    let names: HashMap<Uuid, String> = state.with_org(org, |o| {
        o.queues().map(|q| (q.id, q.name.clone())).collect()
    });
    let mut per_queue: BTreeMap<Uuid, (Figures, Figures)> = BTreeMap::new();
    for ((i, key), f) in by_queue.cells() {
        let Ok(id) = Uuid::parse_str(key) else {
            continue;
        };
        let e = per_queue.entry(id).or_default();
        if i == n - 1 {
            e.0 = *f;
        } else if i == n - 2 {
            e.1 = *f;
        }
    }
    let mut queues: Vec<QueueInsight> = per_queue
        .into_iter()
        .map(|(id, (this, last))| QueueInsight {
            queue_id: id,
            name: names.get(&id).cloned().unwrap_or_else(|| id.to_string()),
            this_week: week_figures(&this),
            last_week: week_figures(&last),
        })
        .filter(|q| q.this_week.contacts > 0 || q.last_week.contacts > 0)
        .collect();
    queues.sort_by(|a, b| a.name.cmp(&b.name));
    let mut counted = Vec::with_capacity(n);
    for (i, monday) in mondays.iter().enumerate() {
        let end = bounds.get(i + 1).copied().unwrap_or(to);
        counted.push(week_terms(state, org, actor, *monday, bounds[i], end).await?);
    }
    let previous: Vec<WeekTerms> = counted[..n - 1].iter().map(|w| (**w).clone()).collect();
    let rising = insight::rising(&counted[n - 1], &previous, RISING);
    let bot = bot_week(state, org, actor, bounds[n - 1], to).await?;
    Ok(Insight {
        week: date(week),
        tz: tz.to_string(),
        from: wire::ts(time_of(bounds[n - 1])),
        to: wire::ts(time_of(to)),
        weeks: mondays.iter().map(|d| date(*d)).collect(),
        totals: week_figures(&series[n - 1]),
        last_week: week_figures(&series[n - 2]),
        reasons: insight::reasons(&weeks),
        queues,
        rising,
        conversations: counted[n - 1].conversations,
        min_conversations: insight::MIN_CONVERSATIONS,
        bot,
    })
}

/// The most conversations with the bot a week's figures read.
const MAX_BOT_CONVERSATIONS: usize = 2_000;
/// Groups of unanswered questions shown.
const UNANSWERED_GROUPS: usize = 10;

/// The answer bot's week `[from, to)` (ms): its conversations from the log's `bot.*`
/// events, each customer's next contact (for deflection) and rating from the contacts,
/// and the questions it could not answer from the messages the handovers name. Reading
/// those questions is audited (`audit.read`, `bot_unanswered`) before it happens.
async fn bot_week(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    from: i64,
    to: i64,
) -> ApiResult<insight::BotWeek> {
    let mut convs: BTreeMap<Uuid, insight::BotConversation> = BTreeMap::new();
    let mut unanswered: Vec<Uuid> = Vec::new();
    for kind in ["bot.answered", "bot.handover", "bot.closed"] {
        let mut before = i64::MAX;
        'kind: loop {
            let page = state
                .store()
                .read_org_events_of_kind(org, kind, before, 500)
                .await?;
            let Some(last) = page.last() else {
                break;
            };
            before = last.seq;
            for e in &page {
                let at = millis(e.at);
                if at < from {
                    break 'kind;
                }
                if at >= to {
                    continue;
                }
                let Some((_, ev)) = LiveEvent::parse(e) else {
                    continue;
                };
                let id = match &ev {
                    LiveEvent::BotAnswered { contact_id, .. }
                    | LiveEvent::BotHandover { contact_id, .. }
                    | LiveEvent::BotClosed { contact_id, .. } => *contact_id,
                    _ => continue,
                };
                if !convs.contains_key(&id) && convs.len() >= MAX_BOT_CONVERSATIONS {
                    continue;
                }
                let c = convs.entry(id).or_default();
                match ev {
                    LiveEvent::BotAnswered { .. } => c.answered = true,
                    LiveEvent::BotHandover { reason, .. } => {
                        if matches!(
                            reason,
                            crate::bot::Reason::NoMatch | crate::bot::Reason::LowConfidence
                        ) {
                            unanswered.push(id);
                        }
                        c.handover = Some(reason.as_str().to_string());
                    }
                    LiveEvent::BotClosed { reason, .. } if reason == "self_served" => {
                        c.self_served_at = Some(at);
                    }
                    _ => {}
                }
            }
            if page.len() < 500 {
                break;
            }
        }
    }
    // Self-served: did the customer come back within a day, and how did they rate it?
    let served: Vec<Uuid> = convs
        .iter()
        .filter(|(_, c)| c.self_served_at.is_some())
        .map(|(id, _)| *id)
        .collect();
    for id in served {
        let Some(contact) = state.contact(org, id).await? else {
            continue;
        };
        let c = convs.entry(id).or_default();
        c.csat = contact.data["csat"]["rating"]
            .as_u64()
            .and_then(|r| u8::try_from(r).ok());
        let (Some(customer), Some(closed)) = (contact.customer_id, contact.closed_at) else {
            continue;
        };
        let later = crate::contacts::of_customer(state, org, customer).await?;
        c.back_at = later
            .iter()
            .filter(|x| x.id != id && x.created_at > closed)
            .map(|x| millis(x.created_at))
            .min();
    }
    let mut questions = Vec::new();
    if !unanswered.is_empty() {
        state
            .write(
                vec![
                    LiveEvent::Read {
                        what: "bot_unanswered".into(),
                        id: org,
                    }
                    .change(org, state.now(), actor),
                ],
                vec![],
            )
            .await?;
        for id in unanswered.iter().take(MAX_BOT_CONVERSATIONS) {
            let Some(contact) = state.contact(org, *id).await? else {
                continue;
            };
            let Some(seq) = crate::bot::BotRecord::of(&contact)
                .and_then(|r| r.handover)
                .and_then(|h| h.question_seq)
            else {
                continue;
            };
            let m = state.messages(org, *id, seq - 1, 1).await?;
            if let Some(text) = m
                .first()
                .filter(|m| m.seq == seq)
                .and_then(|m| m.text.clone())
            {
                questions.push(text);
            }
        }
    }
    let mut week = insight::bot_week(
        &convs.into_values().collect::<Vec<_>>(),
        millis(state.now()),
    );
    week.unanswered = insight::group_questions(&questions, UNANSWERED_GROUPS);
    Ok(week)
}

/// The terms of the conversations that came in during `[from, to)` (their first stay
/// in a queue), from the cache or counted now (audited as `insight.terms`).
async fn week_terms(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    monday: i64,
    from: i64,
    to: i64,
) -> ApiResult<Arc<WeekTerms>> {
    let slot = state.slot(org);
    if let Some((at, done, w)) = slot.insight().weeks.get(&(from, to))
        && (*done || at.elapsed() < FRESH)
    {
        return Ok(w.clone());
    }
    let done = to <= millis(state.now());
    reports::catch_up(state, org).await?;
    let mut rx = state.store().report_stays(StayQuery {
        org_id: org,
        offered_from: from,
        offered_to: to,
        ..Default::default()
    });
    let mut ids = Vec::new();
    let mut seen = HashSet::new();
    'read: while let Some(chunk) = rx.recv().await {
        for s in chunk? {
            if s.seq == 0 && seen.insert(s.contact_id) {
                ids.push(s.contact_id);
                if ids.len() >= MAX_CONVERSATIONS {
                    break 'read;
                }
            }
        }
    }
    drop(rx);
    if !ids.is_empty() {
        let ev = LiveEvent::InsightTerms {
            week: date(monday),
            from,
            to,
            conversations: ids.len() as u32,
        };
        state
            .write(vec![ev.change(org, state.now(), actor)], vec![])
            .await?;
    }
    let read: Vec<Result<BTreeSet<String>, store::StoreError>> = futures::stream::iter(ids)
        .map(|c| async move {
            let list = state.messages(org, c, 0, MAX_MESSAGES).await?;
            Ok(list
                .iter()
                .filter(|m| m.sender == Sender::Customer && !m.internal)
                .filter_map(|m| m.text.as_deref())
                .flat_map(insight::terms)
                .collect())
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut w = WeekTerms::default();
    for t in read {
        let t = t?;
        if !t.is_empty() {
            w.add(&t);
        }
    }
    if w.counts.len() > MAX_TERMS {
        let mut v: Vec<(String, u32)> = w.counts.drain().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(MAX_TERMS);
        w.counts = v.into_iter().collect();
    }
    let w = Arc::new(w);
    let mut c = slot.insight();
    c.weeks
        .insert((from, to), (Instant::now(), done, w.clone()));
    while c.weeks.len() > KEPT_WEEKS {
        let Some(oldest) = c.weeks.keys().min().copied() else {
            break;
        };
        c.weeks.remove(&oldest);
    }
    Ok(w)
}

fn digest_of(i: &Insight) -> Digest {
    insight::digest(
        &i.week,
        &i.tz,
        &i.totals,
        &i.last_week,
        &i.reasons,
        &i.rising,
        &i.queues,
    )
}

/// One week of Insight: the top contact reasons with their trend over five weeks and
/// their ratings, each queue this week and last, and the words and two-word phrases
/// rising in customers' messages against the mean of the four weeks before (by
/// conversations using them; never one used in fewer than three; personal data masked
/// first). Counting the words of a week's conversations is audited (`insight.terms`).
#[utoipa::path(get, path = "/api/insight", tag = "insight", params(InsightQuery),
    responses((status = 200, body = Insight), (status = 422, body = crate::error::ErrorBody)))]
async fn get_insight(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<InsightQuery>,
) -> ApiResult<Json<Insight>> {
    auth.require(READERS)?;
    let (org, zone, tz, week) = asked(&state, &auth, &q, false).await?;
    Ok(Json(
        compute(&state, org, Actor::from(&auth), &zone, &tz, week).await?,
    ))
}

/// The weekly digest (default: last week): contacts, service level, speed of answer,
/// abandons and satisfaction against the week before, the five top reasons and
/// rising phrases, the best and the worst queue, and a few sentences.
#[utoipa::path(get, path = "/api/insight/digest", tag = "insight", params(InsightQuery),
    responses((status = 200, body = Digest), (status = 422, body = crate::error::ErrorBody)))]
async fn get_digest(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<InsightQuery>,
) -> ApiResult<Json<Digest>> {
    auth.require(READERS)?;
    let (org, zone, tz, week) = asked(&state, &auth, &q, true).await?;
    let i = compute(&state, org, Actor::from(&auth), &zone, &tz, week).await?;
    Ok(Json(digest_of(&i)))
}

/// The answer to a digest sent.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DigestSent {
    /// What its delivery attempts name.
    pub id: Uuid,
    pub digest: Digest,
}

/// Send the digest (default: last week) to the webhook now (admins). Answered once
/// the send is logged (`insight.digest`); the call is made, signed, and retried in the
/// background, each attempt in `GET /api/insight/deliveries`.
#[utoipa::path(post, path = "/api/insight/digest/send", tag = "insight", params(InsightQuery),
    responses((status = 202, body = DigestSent), (status = 422, body = crate::error::ErrorBody)))]
async fn send_digest(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<InsightQuery>,
) -> ApiResult<(StatusCode, Json<DigestSent>)> {
    auth.require(ADMINS)?;
    let (org, zone, tz, week) = asked(&state, &auth, &q, true).await?;
    let sent = send(&state, org, Actor::from(&auth), &zone, &tz, week, "manual").await?;
    let Some((id, digest)) = sent else {
        return Err(ApiError::invalid(
            "webhook_url: no digest webhook is set (PUT /api/insight/settings)",
        ));
    };
    Ok((StatusCode::ACCEPTED, Json(DigestSent { id, digest })))
}

async fn stored(state: &AppState, org: Uuid) -> ApiResult<(Stored, Option<store::Object>)> {
    crate::org_settings::load(state, org, ObjectKind::Insight, NAME).await
}

/// Compute the week's digest, log it, and post it to the webhook in the background;
/// `None` when no webhook is set.
async fn send(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    zone: &jiff::tz::TimeZone,
    tz: &str,
    week: i64,
    trigger: &str,
) -> ApiResult<Option<(Uuid, Digest)>> {
    let (s, _) = stored(state, org).await?;
    let Some(url) = s.webhook_url else {
        return Ok(None);
    };
    let secret = s
        .webhook_secret
        .and_then(|x| state.sealer().open(org, SECRET_FIELD, &x))
        .unwrap_or_default();
    let i = compute(state, org, actor, zone, tz, week).await?;
    let d = digest_of(&i);
    let id = store::new_id();
    let ev = LiveEvent::InsightDigest {
        id,
        week: d.week.clone(),
        trigger: trigger.into(),
    };
    state
        .write(vec![ev.change(org, state.now(), actor)], vec![])
        .await?;
    post(state, org, url, secret, id, &d, 1);
    Ok(Some((id, d)))
}

/// Posts digest `id` to the webhook in the background, from attempt `first`, each
/// attempt logged as `insight.webhook`.
fn post(
    state: &AppState,
    org: Uuid,
    url: String,
    secret: String,
    id: Uuid,
    d: &Digest,
    first: u32,
) {
    let body = json!({"type": "insight.digest", "organisation_id": org, "id": id, "digest": d})
        .to_string();
    let (st, w) = (state.clone(), d.week.clone());
    tokio::spawn(async move {
        crate::webhook::deliver(&st, &url, &secret, body, first, |a| {
            LiveEvent::InsightWebhook {
                digest_id: id,
                week: w.clone(),
                attempt: a.attempt,
                ok: a.ok,
                status: a.status,
                error: a.error.clone(),
            }
            .change(org, a.at, Actor::System)
        })
        .await
    });
}

/// The digests whose calls a stopped server still owed ([`insight::owed`]), from the
/// log: (id, week, next attempt).
async fn owed(state: &AppState, org: Uuid) -> store::Result<Vec<(Uuid, String, u32)>> {
    let db = state.store();
    let sends: Vec<(Uuid, String, i64)> = db
        .read_org_events_of_kind(org, "insight.digest", i64::MAX, 200)
        .await?
        .iter()
        .filter_map(|e| match LiveEvent::parse(e) {
            Some((_, LiveEvent::InsightDigest { id, week, .. })) => Some((id, week, millis(e.at))),
            _ => None,
        })
        .collect();
    let attempts: Vec<(Uuid, u32, bool)> = db
        .read_org_events_of_kind(org, "insight.webhook", i64::MAX, 1000)
        .await?
        .iter()
        .filter_map(|e| match LiveEvent::parse(e) {
            Some((
                _,
                LiveEvent::InsightWebhook {
                    digest_id,
                    attempt,
                    ok,
                    ..
                },
            )) => Some((digest_id, attempt, ok)),
            _ => None,
        })
        .collect();
    Ok(insight::owed(
        &sends,
        &attempts,
        millis(state.now()),
        crate::webhook::ATTEMPTS,
    ))
}

/// Make the calls a stopped server still owed (once per start), each digest computed
/// again for its week and sent under its first id, counting on from its last attempt.
async fn resume(
    state: &AppState,
    org: Uuid,
    s: &Stored,
    zone: &jiff::tz::TimeZone,
    tz: &str,
) -> ApiResult<()> {
    let (Some(url), Some(sealed)) = (&s.webhook_url, &s.webhook_secret) else {
        return Ok(());
    };
    let secret = state
        .sealer()
        .open(org, SECRET_FIELD, sealed)
        .unwrap_or_default();
    for (id, week, first) in owed(state, org).await? {
        let Ok(day) = wfm::time::parse_date(&week) else {
            continue;
        };
        let i = compute(state, org, Actor::System, zone, tz, day).await?;
        post(
            state,
            org,
            url.clone(),
            secret.clone(),
            id,
            &digest_of(&i),
            first,
        );
    }
    Ok(())
}

/// The Monday of the last week whose digest went out on schedule, from the log.
async fn last_scheduled(state: &AppState, org: Uuid) -> store::Result<Option<i64>> {
    let events = state
        .store()
        .read_org_events_of_kind(org, "insight.digest", i64::MAX, 200)
        .await?;
    Ok(events.iter().find_map(|e| match LiveEvent::parse(e) {
        Some((_, LiveEvent::InsightDigest { week, trigger, .. })) if trigger == "schedule" => {
            wfm::time::parse_date(&week).ok()
        }
        _ => None,
    }))
}

/// Send each organisation's digest that is due ([`insight::digest_due`]): once a week,
/// Monday 08:00 in its planning zone; first, after a start, the calls still owed. Called every minute by [`task`]; tests call it
/// after moving the clock.
pub async fn check_digests(state: &AppState) {
    for (org, slot) in state.slots() {
        let Ok((s, _)) = stored(state, org).await else {
            continue;
        };
        if s.webhook_url.is_none() {
            continue;
        }
        let Ok((zone, tz)) = zone_of(state, org, None).await else {
            continue;
        };
        let first = !std::mem::replace(&mut slot.insight().resumed, true);
        if first && let Err(e) = resume(state, org, &s, &zone, &tz).await {
            tracing::warn!(%org, error = %e.message, "owed digest calls not made; trying again");
            slot.insight().resumed = false;
        }
        let known = slot.insight().last_sent;
        let last = match known {
            Some(l) => l,
            None => match last_scheduled(state, org).await {
                Ok(l) => *slot.insight().last_sent.get_or_insert(l),
                Err(_) => continue,
            },
        };
        let now = millis(state.now());
        let Some(week) = insight::digest_due(now, &zone, s.since.unwrap_or(0), last) else {
            continue;
        };
        {
            // Whoever marks the week first sends it.
            let mut c = slot.insight();
            if c.last_sent.flatten().is_some_and(|l| l >= week) {
                continue;
            }
            c.last_sent = Some(Some(week));
        }
        if let Err(e) = send(state, org, Actor::System, &zone, &tz, week, "schedule").await {
            tracing::warn!(%org, error = %e.message, "weekly digest not sent; trying again");
            slot.insight().last_sent = Some(last);
        }
    }
}

/// Looks for digests due every minute until the server stops.
pub async fn task(state: AppState) {
    let mut shutdown = state.shutdown_signal();
    loop {
        check_digests(&state).await;
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.changed() => return,
        }
    }
}

fn shown(s: &Stored) -> DigestSettings {
    DigestSettings {
        webhook_url: s.webhook_url.clone(),
        webhook_secret: None,
        has_secret: s.webhook_secret.is_some(),
    }
}

/// The digest's webhook (admins). The signing secret is never returned.
#[utoipa::path(get, path = "/api/insight/settings", tag = "insight", responses((status = 200, body = DigestSettings)))]
async fn get_digest_settings(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<DigestSettings>> {
    auth.require(ADMINS)?;
    Ok(Json(shown(&stored(&state, auth.org_id()).await?.0)))
}

/// Set the digest's webhook (admins): sent every Monday at 08:00 in the planning zone,
/// from the next Monday on. Audited as `object.put`.
#[utoipa::path(put, path = "/api/insight/settings", tag = "insight", request_body = DigestSettings,
    responses((status = 200, body = DigestSettings), (status = 422, body = crate::error::ErrorBody)))]
async fn put_digest_settings(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<DigestSettings>,
) -> ApiResult<Json<DigestSettings>> {
    auth.require(ADMINS)?;
    let org = auth.org_id();
    let (existing, obj) = stored(&state, org).await?;
    let (url, secret) = crate::webhook::settings(
        &state,
        org,
        body.webhook_url.as_deref(),
        body.webhook_secret.as_deref(),
        existing.webhook_secret.clone(),
        SECRET_FIELD,
    )?;
    let since = if url.is_some() && url == existing.webhook_url {
        existing.since
    } else {
        url.as_ref().map(|_| millis(state.now()))
    };
    let new = Stored {
        webhook_url: url,
        webhook_secret: secret,
        since,
    };
    crate::org_settings::save(
        &state,
        org,
        Actor::from(&auth),
        ObjectKind::Insight,
        NAME,
        &new,
        obj.as_ref(),
    )
    .await?;
    Ok(Json(shown(&new)))
}

/// The digest webhook's delivery log, newest first (admins and supervisors): each
/// attempt with its outcome.
#[utoipa::path(get, path = "/api/insight/deliveries", tag = "insight", responses((status = 200, description = "`{items: [{at, digest_id, week, attempt, ok, status, error}]}`")))]
async fn digest_deliveries(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require(&[Role::Admin, Role::Supervisor])?;
    Ok(Json(
        crate::webhook::delivery_log(&state, auth.org_id(), "insight.webhook").await?,
    ))
}
