//! Workforce management in the product, over the pure `wfm` crate.
//!
//! * Agents offer hours (`/api/wfm/me/preferences`): availability windows per weekday
//!   in their time zone, weekly hours (1–30; up to 60 in peak weeks the planner opens).
//! * Planners enter a week's requirement or forecast it from the contact history
//!   (`/api/wfm/requirements`, `/api/wfm/forecasts`), generate a schedule from everyone's
//!   hours (`/api/wfm/schedules`) and publish it.
//! * Agents see their published shifts, pick up open shifts (under-staffed stretches
//!   nobody was scheduled for) and accept extra hours (extending their own shift into an
//!   under-staffed interval next to it).
//! * Supervisors see who is out of adherence now (`/api/wfm/adherence`): the published
//!   schedule against the live agent states.
//!
//! Weeks start on Monday 00:00 UTC and are planned in 30-minute intervals. Time zones are
//! IANA zones (`wfm::zone`): each agent's (availability on their wall clock; shifts shown
//! to them in it) and the organisation's planning zone (`/api/wfm/settings`: the planner
//! reads schedules in it). Preferences saved before zones hold a fixed `utc_offset_min`
//! and a free label; they are read as that fixed offset (a read-time fallback, no
//! migration). Everything is stored as per-organisation objects (`wfm_preferences`,
//! `wfm_plan` — the planning settings are the one named `settings` — and
//! `wfm_schedule`, whose `version` makes publishing a compare-and-set).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use axum::extract::State;
use axum::http::StatusCode;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{Change, ContactFilter, Object, ObjectKind, PageRequest, Role, Store};
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use wfm::adherence::{self, ActualState, StateChange};
use wfm::schedule::{AgentPrefs, Break, Schedule, ScheduleConfig, Shift, Window};
use wfm::zone;

use crate::auth::Auth;
use crate::error::{Json, Path, Query};
use crate::events::{Actor, LiveEvent};
use crate::hub::Note;
use crate::{ApiError, ApiResult, AppState, wire};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_preferences, put_preferences))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(my_shifts))
        .routes(routes!(my_shifts_calendar))
        .routes(routes!(open_shifts, pick_up_open_shift))
        .routes(routes!(extra_hours, accept_extra_hours))
        .routes(routes!(swappable_shifts, offer_swap))
        .routes(routes!(withdraw_swap))
        .routes(routes!(take_swap))
        .routes(routes!(get_requirement))
        .routes(routes!(put_requirement))
        .routes(routes!(create_forecast))
        .routes(routes!(forecast_vs_actual))
        .routes(routes!(list_schedules, create_schedule))
        .routes(routes!(get_schedule))
        .routes(routes!(publish_schedule))
        .routes(routes!(simulate_schedule))
        .routes(routes!(plan_hires))
        .routes(routes!(get_adherence))
}

/// Anyone who can be scheduled (supervisors and admins can also take contacts).
const STAFF: &[Role] = &[Role::Admin, Role::Supervisor, Role::Agent];
const PLANNERS: &[Role] = &[Role::Admin, Role::Supervisor];
const VIEWERS: &[Role] = &[Role::Admin, Role::Supervisor, Role::Analyst];

/// Planning interval, minutes.
pub const INTERVAL_MIN: u32 = 30;
const DAY_MIN: i64 = 1440;
const WEEK_MIN: i64 = 7 * DAY_MIN;
/// Intervals in a planning week.
pub const SLOTS: usize = (WEEK_MIN / INTERVAL_MIN as i64) as usize;
/// Longest open shift or extension offered, intervals.
const MAX_OPEN_LEN: u32 = 16;
const MIN_OPEN_LEN: u32 = 2;
const MAX_EXTRA_LEN: u32 = 4;

/// Schedules are read, changed and written back whole: one writer at a time.
fn write_lock() -> &'static tokio::sync::Mutex<()> {
    static LOCK: OnceLock<tokio::sync::Mutex<()>> = OnceLock::new();
    LOCK.get_or_init(|| tokio::sync::Mutex::new(()))
}

// ---------- time ----------

fn minute_of(t: OffsetDateTime) -> i64 {
    t.unix_timestamp().div_euclid(60)
}

fn ts_min(m: i64) -> String {
    OffsetDateTime::from_unix_timestamp(m * 60)
        .map(wire::ts)
        .unwrap_or_default()
}

fn date_str(day: i64) -> String {
    let (y, m, d) = wfm::time::civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The Monday (day number) of the week holding `minute`.
fn monday_of(minute: i64) -> i64 {
    let day = minute.div_euclid(DAY_MIN);
    day - wfm::time::weekday(day) as i64
}

/// `week` (`YYYY-MM-DD`, a Monday) or the current week: `(label, first minute)`.
fn week_of(state: &AppState, week: Option<&str>) -> ApiResult<(String, i64)> {
    let day = match week.map(str::trim).filter(|w| !w.is_empty()) {
        None => monday_of(minute_of(state.now())),
        Some(w) => {
            let day = wfm::time::parse_date(w)
                .map_err(|_| ApiError::invalid("week: a date as YYYY-MM-DD (a Monday)"))?;
            if wfm::time::weekday(day) != 0 {
                return Err(ApiError::invalid("week: must be a Monday"));
            }
            day
        }
    };
    Ok((date_str(day), day * DAY_MIN))
}

fn hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    if m >= 60 || h > 24 || (h == 24 && m != 0) || s.trim().len() != 5 {
        return None;
    }
    Some(h * 60 + m)
}

fn fmt_hhmm(min: u32) -> String {
    format!("{:02}:{:02}", min / 60, min % 60)
}

// ---------- storage ----------

async fn all_objects(state: &AppState, org: Uuid, kind: ObjectKind) -> ApiResult<Vec<Object>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = state
            .store()
            .list_objects(org, kind, PageRequest { after, limit: 500 })
            .await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => after = Some(c),
            None => return Ok(out),
        }
    }
}

fn new_object(
    org: Uuid,
    kind: ObjectKind,
    id: Uuid,
    name: String,
    data: Value,
    now: OffsetDateTime,
) -> Object {
    Object {
        id,
        org_id: org,
        kind,
        name,
        data,
        created_at: now,
        updated_at: now,
    }
}

fn decode<T: serde::de::DeserializeOwned>(o: &Object) -> ApiResult<T> {
    serde_json::from_value(o.data.clone())
        .map_err(|e| ApiError::internal(format!("stored {} is unreadable: {e}", o.kind.as_str())))
}

/// Names of the organisation's agents (the live roster).
fn agent_names(state: &AppState, org: Uuid) -> HashMap<Uuid, String> {
    state.with_org(org, |o| {
        o.agents().map(|a| (a.user_id, a.name.clone())).collect()
    })
}

// ---------- preferences ----------

/// An availability window on one weekday, in the agent's local time.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowIn {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    /// `HH:MM`, local.
    pub start: String,
    /// `HH:MM` (up to `24:00`), local, after `start`.
    pub end: String,
}

fn one() -> f64 {
    1.0
}
fn thirty() -> f64 {
    30.0
}

/// The hours an agent offers.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesIn {
    /// Superseded by `time_zone`: a fixed offset, minutes east of UTC, used only when
    /// `time_zone` is absent (preferences saved before zones read this way: a fixed
    /// offset zone such as `UTC-05:00`).
    #[serde(default)]
    pub utc_offset_min: i32,
    /// The agent's time zone, an IANA name such as `America/Chicago` (its daylight-saving
    /// rules apply date by date). The windows are on its wall clock.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// When the agent can work.
    #[serde(default)]
    pub windows: Vec<WindowIn>,
    /// Fewest paid hours a week (default 1).
    #[serde(default = "one")]
    pub min_week_hours: f64,
    /// Most paid hours a week (default 30, at most 30).
    #[serde(default = "thirty")]
    pub max_week_hours: f64,
    /// Most paid hours in a peak week the planner opened (at most 60).
    #[serde(default)]
    pub peak_max_week_hours: Option<f64>,
    /// Weekdays (0 = Monday) wanted off whatever the windows say.
    #[serde(default)]
    pub days_off: Vec<u8>,
}

impl Default for PreferencesIn {
    fn default() -> Self {
        PreferencesIn {
            utc_offset_min: 0,
            time_zone: None,
            windows: Vec::new(),
            min_week_hours: 1.0,
            max_week_hours: 30.0,
            peak_max_week_hours: None,
            days_off: Vec::new(),
        }
    }
}

impl PreferencesIn {
    /// The zone as sent: `time_zone` must be a zone; without it, `utc_offset_min`.
    fn zone(&self) -> ApiResult<TimeZone> {
        match self.time_zone.as_deref() {
            Some(name) => zone::parse(name).map_err(|_| {
                ApiError::invalid(format!(
                    "time_zone: {:?} is not a time zone. Pick yours from the list (an IANA name such as America/New_York) and save again.",
                    name.chars().take(64).collect::<String>()
                ))
            }),
            None => zone::fixed(self.utc_offset_min)
                .ok_or_else(|| ApiError::invalid("utc_offset_min: within ±840 minutes")),
        }
    }

    /// The zone as stored. Read-time fallback for preferences saved before zones,
    /// whose `time_zone` was a free label: the fixed offset they were scheduled with.
    fn stored_zone(&self) -> TimeZone {
        self.time_zone
            .as_deref()
            .and_then(|n| zone::parse(n).ok())
            .or_else(|| zone::fixed(self.utc_offset_min))
            .unwrap_or(TimeZone::UTC)
    }

    /// The `wfm` form, checked.
    fn to_prefs(&self, id: Uuid) -> ApiResult<AgentPrefs> {
        if self.windows.len() > 100 {
            return Err(ApiError::invalid("windows: at most 100"));
        }
        let mut windows = Vec::with_capacity(self.windows.len());
        for w in &self.windows {
            let (Some(start_min), Some(end_min)) = (hhmm(&w.start), hhmm(&w.end)) else {
                return Err(ApiError::invalid(
                    "Each time you are available needs a start and an end as HH:MM, such as 09:00. Correct it and save again.",
                ));
            };
            windows.push(Window {
                weekday: w.weekday,
                start_min,
                end_min,
            });
        }
        if self.min_week_hours < 0.0 {
            return Err(ApiError::invalid(
                "The weekly minimum cannot be below 0 hours. Enter 0 or more.",
            ));
        }
        if self.max_week_hours > 30.0 {
            return Err(ApiError::invalid(
                "The weekly maximum is at most 30 hours. Lower it, or offer more in peak weeks.",
            ));
        }
        if self.min_week_hours > self.max_week_hours {
            return Err(ApiError::invalid(
                "The weekly minimum is above the maximum. Lower the minimum or raise the maximum.",
            ));
        }
        if let Some(p) = self.peak_max_week_hours
            && p < self.max_week_hours
        {
            return Err(ApiError::invalid(
                "Peak-week hours must be at least your usual weekly maximum. Raise them, or leave peak weeks off.",
            ));
        }
        let mut prefs = AgentPrefs::new(id.to_string(), windows);
        prefs.time_zone = self.stored_zone();
        prefs.min_week_hours = self.min_week_hours;
        prefs.max_week_hours = self.max_week_hours;
        prefs.peak_max_week_hours = self.peak_max_week_hours;
        prefs.days_off = self.days_off.clone();
        prefs.validate().map_err(|e| match e {
            wfm::schedule::ScheduleError::InvalidAgent { why, .. } => {
                ApiError::invalid(prefs_problem(why))
            }
            other => ApiError::invalid(other.to_string()),
        })?;
        Ok(prefs)
    }
}

/// What a person reads when their offered hours do not validate: a sentence saying
/// what to change.
fn prefs_problem(why: &str) -> String {
    if why.starts_with("peak") {
        "Peak-week hours are at most 60. Lower them and save again.".into()
    } else if why.starts_with("weekly maximum") {
        "The weekly maximum is at most 30 hours. Lower it, or offer more in peak weeks.".into()
    } else if why.starts_with("weekly hours") {
        "The weekly minimum is above the maximum. Lower the minimum or raise the maximum.".into()
    } else if why.contains("window") {
        "Each time you are available must end after it starts, within one day (up to 24:00). Correct it and save again.".into()
    } else {
        let mut s = why.to_string();
        if let Some(first) = s.get(0..1) {
            s.replace_range(0..1, &first.to_uppercase());
        }
        format!("{s}. Correct it and save again.")
    }
}

/// The id of a user's preferences object: the user's id with fixed bits flipped (the
/// user's own id is taken by their agent object). Its name is the user's id.
fn prefs_id(user: Uuid) -> Uuid {
    Uuid::from_u128(user.as_u128() ^ 0x5746_4d5f_7072_6566_7300_0000_0000_0000)
}

async fn load_prefs(state: &AppState, org: Uuid, user: Uuid) -> ApiResult<Option<PreferencesIn>> {
    match state
        .store()
        .get_object(org, ObjectKind::WfmPreferences, prefs_id(user))
        .await?
    {
        Some(o) => Ok(Some(decode(&o)?)),
        None => Ok(None),
    }
}

fn prefs_json(p: &PreferencesIn, saved: bool, peak_weeks: &[String], now_min: i64) -> Value {
    let tz = p.stored_zone();
    let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
    if let Some(m) = v.as_object_mut() {
        m.insert("time_zone".into(), json!(zone::name(&tz)));
        m.insert(
            "time_zone_abbreviation".into(),
            json!(zone::abbreviation(&tz, now_min)),
        );
        m.insert(
            "utc_offset_min".into(),
            json!(zone::offset_min(&tz, now_min)),
        );
        m.insert("saved".into(), json!(saved));
        m.insert("peak_weeks".into(), json!(peak_weeks));
    }
    v
}

/// Every agent's zone (UTC for those who never saved preferences).
async fn team_zones(state: &AppState, org: Uuid) -> ApiResult<HashMap<Uuid, TimeZone>> {
    let mut out = HashMap::new();
    for o in all_objects(state, org, ObjectKind::WfmPreferences).await? {
        if let Ok(user) = o.name.parse::<Uuid>()
            && let Ok(p) = decode::<PreferencesIn>(&o)
        {
            out.insert(user, p.stored_zone());
        }
    }
    Ok(out)
}

/// Upcoming weeks the planner opened as peak weeks.
async fn peak_weeks(state: &AppState, org: Uuid) -> ApiResult<Vec<String>> {
    let this_week = date_str(monday_of(minute_of(state.now())));
    let mut weeks: Vec<String> = all_objects(state, org, ObjectKind::WfmPlan)
        .await?
        .iter()
        .filter_map(|o| decode::<Plan>(o).ok())
        .filter(|p| p.peak && p.week >= this_week)
        .map(|p| p.week)
        .collect();
    weeks.sort();
    Ok(weeks)
}

/// My offered hours (defaults until saved: no windows, 1–30 hours).
#[utoipa::path(get, path = "/api/wfm/me/preferences", tag = "wfm", responses((status = 200, description = "the preferences, `saved` and `peak_weeks`")))]
async fn get_preferences(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require(STAFF)?;
    let org = auth.org_id();
    let saved = load_prefs(&state, org, auth.user.id).await?;
    let peaks = peak_weeks(&state, org).await?;
    Ok(Json(prefs_json(
        saved.as_ref().unwrap_or(&PreferencesIn::default()),
        saved.is_some(),
        &peaks,
        minute_of(state.now()),
    )))
}

/// Set my availability and weekly hours.
#[utoipa::path(put, path = "/api/wfm/me/preferences", tag = "wfm", request_body = PreferencesIn,
    responses((status = 200, description = "the preferences"), (status = 422, body = crate::error::ErrorBody)))]
async fn put_preferences(
    State(state): State<AppState>,
    auth: Auth,
    Json(mut body): Json<PreferencesIn>,
) -> ApiResult<Json<Value>> {
    auth.require(STAFF)?;
    // Normalise: the zone by its name, windows in order, times as HH:MM.
    let tz = body.zone()?;
    body.time_zone = Some(zone::name(&tz));
    body.utc_offset_min = 0;
    body.to_prefs(auth.user.id)?;
    for w in &mut body.windows {
        w.start = fmt_hhmm(hhmm(&w.start).unwrap_or(0));
        w.end = fmt_hhmm(hhmm(&w.end).unwrap_or(0));
    }
    body.windows
        .sort_by(|a, b| (a.weekday, &a.start).cmp(&(b.weekday, &b.start)));
    body.days_off.sort_unstable();
    body.days_off.dedup();
    let org = auth.org_id();
    let now = state.now();
    let data = serde_json::to_value(&body).map_err(|e| ApiError::internal(e.to_string()))?;
    let obj = match state
        .store()
        .get_object(org, ObjectKind::WfmPreferences, prefs_id(auth.user.id))
        .await?
    {
        Some(mut o) => {
            o.data = data;
            o.updated_at = now;
            o
        }
        None => new_object(
            org,
            ObjectKind::WfmPreferences,
            prefs_id(auth.user.id),
            auth.user.id.to_string(),
            data,
            now,
        ),
    };
    state
        .write(
            vec![
                Change::PutObject(obj),
                LiveEvent::WfmPreferences {
                    user_id: auth.user.id,
                }
                .change(org, now, Actor::from(&auth)),
            ],
            vec![],
        )
        .await?;
    let peaks = peak_weeks(&state, org).await?;
    Ok(Json(prefs_json(&body, true, &peaks, minute_of(now))))
}

// ---------- planning zone ----------

/// The organisation's planning settings: a `wfm_plan` object named `settings` (plans
/// are named by their week, so the name cannot collide).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct PlanningSettings {
    /// The zone planners read schedules in (an IANA name); UTC when unset.
    #[serde(default)]
    planning_zone: Option<String>,
}

/// The name of the planning settings' object.
const SETTINGS: &str = "settings";

async fn load_settings(
    state: &AppState,
    org: Uuid,
) -> ApiResult<Option<(Object, PlanningSettings)>> {
    for o in all_objects(state, org, ObjectKind::WfmPlan).await? {
        if o.name == SETTINGS {
            let v = decode(&o)?;
            return Ok(Some((o, v)));
        }
    }
    Ok(None)
}

/// The planning zone and every agent's zone.
struct Zones {
    planning: TimeZone,
    agents: HashMap<Uuid, TimeZone>,
    utc: TimeZone,
}

impl Zones {
    fn agent(&self, id: Uuid) -> &TimeZone {
        self.agents.get(&id).unwrap_or(&self.utc)
    }
}

async fn zones(state: &AppState, org: Uuid) -> ApiResult<Zones> {
    Ok(Zones {
        planning: planning_zone(state, org).await?,
        agents: team_zones(state, org).await?,
        utc: TimeZone::UTC,
    })
}

pub(crate) async fn planning_zone(state: &AppState, org: Uuid) -> ApiResult<TimeZone> {
    Ok(load_settings(state, org)
        .await?
        .and_then(|(_, s)| s.planning_zone)
        .and_then(|n| zone::parse(&n).ok())
        .unwrap_or(TimeZone::UTC))
}

fn settings_json(tz: &TimeZone, now_min: i64) -> Value {
    json!({
        "planning_zone": zone::name(tz),
        "planning_zone_abbreviation": zone::abbreviation(tz, now_min),
    })
}

/// The planning settings: `planning_zone`, the zone planners read schedules in.
#[utoipa::path(get, path = "/api/wfm/settings", tag = "wfm", responses((status = 200, description = "`{planning_zone, planning_zone_abbreviation}`")))]
async fn get_settings(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require(&[Role::Admin, Role::Supervisor, Role::Analyst, Role::Agent])?;
    let tz = planning_zone(&state, auth.org_id()).await?;
    Ok(Json(settings_json(&tz, minute_of(state.now()))))
}

/// Planning settings to save.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsIn {
    /// The zone planners read schedules in: an IANA name such as `America/Chicago`.
    pub planning_zone: String,
}

/// Set the planning zone.
#[utoipa::path(put, path = "/api/wfm/settings", tag = "wfm", request_body = SettingsIn,
    responses((status = 200, description = "`{planning_zone, planning_zone_abbreviation}`"), (status = 422, body = crate::error::ErrorBody)))]
async fn put_settings(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<SettingsIn>,
) -> ApiResult<Json<Value>> {
    auth.require(PLANNERS)?;
    let tz = zone::parse(&body.planning_zone).map_err(|_| {
        ApiError::invalid(format!(
            "planning_zone: {:?} is not a time zone. Pick one from the list (an IANA name such as America/Chicago) and save again.",
            body.planning_zone.chars().take(64).collect::<String>()
        ))
    })?;
    let org = auth.org_id();
    let now = state.now();
    let data = serde_json::to_value(PlanningSettings {
        planning_zone: Some(zone::name(&tz)),
    })
    .map_err(|e| ApiError::internal(e.to_string()))?;
    let existing = load_settings(&state, org).await?.map(|(o, _)| o);
    let obj = Object::next_version(
        existing.as_ref(),
        org,
        ObjectKind::WfmPlan,
        SETTINGS,
        data,
        now,
    );
    let id = obj.id;
    state
        .write(
            vec![
                Change::PutObject(obj),
                LiveEvent::ObjectPut {
                    kind: ObjectKind::WfmPlan.as_str().into(),
                    id,
                }
                .change(org, now, Actor::from(&auth)),
            ],
            vec![],
        )
        .await?;
    Ok(Json(settings_json(&tz, minute_of(now))))
}

// ---------- requirement and forecast ----------

/// A week's requirement: agents needed working per interval (UTC, from Monday 00:00).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Plan {
    week: String,
    interval_min: u32,
    peak: bool,
    requirement: Vec<f64>,
    /// `entered` or `forecast`.
    source: String,
    /// Forecast contacts offered per interval (all queues), when forecast or entered.
    #[serde(default)]
    forecast: Option<Vec<f64>>,
    /// Mean handle time per interval, seconds, where known.
    #[serde(default)]
    aht_s: Option<Vec<f64>>,
    /// How the forecast method did on the last open days of the history (one-day-ahead
    /// backtest), when the requirement was forecast.
    #[serde(default)]
    accuracy: Option<Value>,
}

/// The week's requirement, or 422 saying how to make one (scheduling needs it).
async fn required_plan(state: &AppState, org: Uuid, week: &str) -> ApiResult<Plan> {
    let (_, plan) = load_plan(state, org, week).await?.ok_or_else(|| {
        ApiError::invalid(format!(
            "no requirement for the week of {week}: enter one or forecast it first"
        ))
    })?;
    Ok(plan)
}

async fn load_plan(state: &AppState, org: Uuid, week: &str) -> ApiResult<Option<(Object, Plan)>> {
    for o in all_objects(state, org, ObjectKind::WfmPlan).await? {
        if o.name == week {
            let p = decode(&o)?;
            return Ok(Some((o, p)));
        }
    }
    Ok(None)
}

async fn save_plan(state: &AppState, auth: &Auth, plan: &Plan) -> ApiResult<()> {
    let org = auth.org_id();
    let now = state.now();
    let data = serde_json::to_value(plan).map_err(|e| ApiError::internal(e.to_string()))?;
    let existing = load_plan(state, org, &plan.week).await?.map(|(o, _)| o);
    let obj = Object::next_version(
        existing.as_ref(),
        org,
        ObjectKind::WfmPlan,
        plan.week.clone(),
        data,
        now,
    );
    state
        .write(
            vec![
                Change::PutObject(obj),
                LiveEvent::WfmRequirement {
                    week: plan.week.clone(),
                    source: plan.source.clone(),
                }
                .change(org, now, Actor::from(auth)),
            ],
            vec![],
        )
        .await?;
    Ok(())
}

fn plan_json(p: &Plan, start: i64) -> Value {
    json!({
        "week": p.week,
        "start": ts_min(start),
        "interval_min": p.interval_min,
        "peak": p.peak,
        "source": p.source,
        "requirement": p.requirement,
        "forecast": p.forecast,
        "aht_s": p.aht_s,
        "accuracy": p.accuracy,
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct WeekQuery {
    /// The Monday (`YYYY-MM-DD`) starting the week; default: this week.
    pub week: Option<String>,
}

/// A week's requirement (404 until entered or forecast).
#[utoipa::path(get, path = "/api/wfm/requirements", tag = "wfm", params(WeekQuery), responses((status = 200, description = "`{week, start, interval_min, peak, source, requirement, forecast}`"), (status = 404, body = crate::error::ErrorBody)))]
async fn get_requirement(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<WeekQuery>,
) -> ApiResult<Json<Value>> {
    auth.require(VIEWERS)?;
    let (week, start) = week_of(&state, q.week.as_deref())?;
    let (_, plan) = load_plan(&state, auth.org_id(), &week)
        .await?
        .ok_or_else(|| ApiError::not_found("requirement for this week"))?;
    Ok(Json(plan_json(&plan, start)))
}

/// A requirement entered by the planner.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequirementIn {
    /// The Monday starting the week; default: this week.
    #[serde(default)]
    pub week: Option<String>,
    /// A peak week: agents may be given up to their peak maximum (60 at most).
    #[serde(default)]
    pub peak: bool,
    /// Agents needed working per 30-minute interval from Monday 00:00 UTC (336 values).
    pub requirement: Vec<f64>,
    /// Contacts expected per interval (336 values), for simulating schedules; kept
    /// from the week's forecast when not given.
    #[serde(default)]
    pub contacts: Option<Vec<f64>>,
    /// Mean handle time per interval, seconds (336 values).
    #[serde(default)]
    pub aht_s: Option<Vec<f64>>,
}

/// Enter (replace) a week's requirement.
#[utoipa::path(post, path = "/api/wfm/requirements", tag = "wfm", request_body = RequirementIn,
    responses((status = 201, description = "the requirement"), (status = 422, body = crate::error::ErrorBody)))]
async fn put_requirement(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<RequirementIn>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    auth.require(PLANNERS)?;
    let (week, start) = week_of(&state, body.week.as_deref())?;
    if body.requirement.len() != SLOTS {
        return Err(ApiError::invalid(format!(
            "requirement: {SLOTS} values, one per {INTERVAL_MIN}-minute interval of the week"
        )));
    }
    if body
        .requirement
        .iter()
        .any(|r| !(r.is_finite() && (0.0..=100_000.0).contains(r)))
    {
        return Err(ApiError::invalid("requirement: numbers from 0 to 100000"));
    }
    for (name, v) in [("contacts", &body.contacts), ("aht_s", &body.aht_s)] {
        if let Some(v) = v
            && (v.len() != SLOTS
                || v.iter()
                    .any(|x| !(x.is_finite() && (0.0..=1e6).contains(x))))
        {
            return Err(ApiError::invalid(format!(
                "{name}: {SLOTS} numbers from 0 to 1000000"
            )));
        }
    }
    let old = load_plan(&state, auth.org_id(), &week)
        .await?
        .map(|(_, p)| p);
    let (old_forecast, old_aht) = old.map(|p| (p.forecast, p.aht_s)).unwrap_or_default();
    let plan = Plan {
        week,
        interval_min: INTERVAL_MIN,
        peak: body.peak,
        requirement: body.requirement,
        source: "entered".into(),
        forecast: body.contacts.or(old_forecast),
        aht_s: body.aht_s.or(old_aht),
        accuracy: None,
    };
    save_plan(&state, &auth, &plan).await?;
    Ok((StatusCode::CREATED, Json(plan_json(&plan, start))))
}

/// Forecast settings.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForecastIn {
    /// The Monday starting the week; default: this week.
    #[serde(default)]
    pub week: Option<String>,
    #[serde(default)]
    pub peak: bool,
    /// Share answered within `answer_s` (default 0.8).
    #[serde(default)]
    pub service_level: Option<f64>,
    /// Seconds (default 20).
    #[serde(default)]
    pub answer_s: Option<f64>,
    /// Handle time where the history has none, seconds (default 300).
    #[serde(default)]
    pub aht_s: Option<f64>,
    /// Share of paid time not on contacts (default 0.3).
    #[serde(default)]
    pub shrinkage: Option<f64>,
    /// Weeks of history used (default 8).
    #[serde(default)]
    pub weeks_of_history: Option<u32>,
}

/// Contacts of the organisation, as `wfm` history records (arrival in UTC minutes).
async fn contact_records(
    state: &AppState,
    org: Uuid,
) -> ApiResult<Vec<wfm::history::ContactRecord>> {
    let queues: HashMap<Uuid, String> = all_objects(state, org, ObjectKind::Queue)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let mut out = Vec::new();
    let mut after = None;
    let filter = ContactFilter::default();
    while out.len() < 500_000 {
        let page = state
            .contacts(org, &filter, PageRequest { after, limit: 500 })
            .await?;
        for c in &page.items {
            let queue = c
                .queue_id
                .and_then(|q| queues.get(&q).cloned())
                .unwrap_or_else(|| "(no queue)".into());
            let handle_s = match (c.accepted_at, c.ended_at) {
                (Some(a), Some(e)) if e >= a => Some((e - a).as_seconds_f64()),
                _ => None,
            };
            out.push(wfm::history::ContactRecord {
                arrived: minute_of(c.enqueued_at),
                queue,
                abandoned: c.accepted_at.is_none() && c.status == store::ContactStatus::Closed,
                handle_s,
            });
        }
        match page.next_cursor {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    Ok(out)
}

/// Forecast a week from the contact history and turn it into required agents (Erlang C).
#[utoipa::path(post, path = "/api/wfm/forecasts", tag = "wfm", request_body = ForecastIn,
    responses((status = 201, description = "the requirement, with the forecast"), (status = 422, body = crate::error::ErrorBody)))]
async fn create_forecast(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<ForecastIn>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    auth.require(PLANNERS)?;
    let (week, start) = week_of(&state, body.week.as_deref())?;
    let sl = body.service_level.unwrap_or(0.8);
    let answer_s = body.answer_s.unwrap_or(20.0);
    let default_aht = body.aht_s.unwrap_or(300.0);
    let shrinkage = body.shrinkage.unwrap_or(0.3);
    let weeks = body.weeks_of_history.unwrap_or(8);
    if !(sl > 0.0 && sl < 1.0) {
        return Err(ApiError::invalid("service_level: between 0 and 1"));
    }
    if !(answer_s.is_finite() && answer_s > 0.0 && default_aht.is_finite() && default_aht > 0.0) {
        return Err(ApiError::invalid("answer_s and aht_s: positive seconds"));
    }
    if !(0.0..0.9).contains(&shrinkage) {
        return Err(ApiError::invalid("shrinkage: from 0 to 0.9"));
    }
    if !(1..=52).contains(&weeks) {
        return Err(ApiError::invalid("weeks_of_history: 1 to 52"));
    }
    let records = contact_records(&state, auth.org_id()).await?;
    let history = wfm::history::History::from_contacts(
        records.iter().filter(|r| r.arrived < start),
        INTERVAL_MIN,
    )
    .map_err(|e| ApiError::invalid(e.to_string()))?;
    let cfg = wfm::forecast::ForecastConfig {
        window_weeks: weeks,
        ..Default::default()
    };
    let rows = wfm::forecast::forecast(&history, &cfg, start.div_euclid(DAY_MIN), 7)
        .map_err(|e| ApiError::invalid(format!("no forecast: {e}")))?;
    // How the same method did, one day ahead, on the last (up to 14) open days.
    let test_days = history.open_days().len().saturating_sub(7).min(14);
    let accuracy = (test_days > 0)
        .then(|| wfm::forecast::backtest(&history, &cfg, test_days).ok())
        .flatten()
        .map(|b| {
            json!({
                "days": test_days,
                "wape": b.overall.wape,
                "mape": b.overall.mape,
                "bias": b.overall.bias,
                "baseline_wape": b.overall.baseline_wape,
                "range_coverage": b.overall.range_coverage,
            })
        });
    let mut offered = vec![0.0; SLOTS];
    let mut work = vec![0.0; SLOTS];
    let mut requirement = vec![0.0; SLOTS];
    let target = wfm::erlang::Target::ServiceLevel {
        fraction: sl,
        answer_s,
    };
    for r in rows {
        let i = (r.start - start).div_euclid(i64::from(INTERVAL_MIN));
        if !(0..SLOTS as i64).contains(&i) || r.offered <= 0.0 {
            continue;
        }
        let i = i as usize;
        let aht = r.aht_s.filter(|a| *a > 0.0).unwrap_or(default_aht);
        offered[i] += r.offered;
        work[i] += r.offered * aht;
        let mut input = wfm::erlang::StaffingInput::voice(
            r.offered,
            f64::from(INTERVAL_MIN) * 60.0,
            aht,
            target,
        );
        input.shrinkage = shrinkage;
        input.max_occupancy = Some(0.9);
        let s = wfm::erlang::required_agents(&input)
            .map_err(|e| ApiError::invalid(format!("staffing: {e}")))?;
        requirement[i] += f64::from(s.agents);
    }
    let plan = Plan {
        week,
        interval_min: INTERVAL_MIN,
        peak: body.peak,
        requirement,
        source: "forecast".into(),
        accuracy,
        aht_s: Some(
            work.iter()
                .zip(&offered)
                .map(|(&w, &o)| if o > 0.0 { w / o } else { default_aht })
                .collect(),
        ),
        forecast: Some(offered),
    };
    save_plan(&state, &auth, &plan).await?;
    Ok((StatusCode::CREATED, Json(plan_json(&plan, start))))
}

/// Forecast against actual contacts offered, per interval of a week; with the
/// requirement and (when one is published) the scheduled coverage.
#[utoipa::path(get, path = "/api/wfm/forecast", tag = "wfm", params(WeekQuery), responses((status = 200, description = "`{week, start, interval_min, forecast, actual, requirement, scheduled}`")))]
async fn forecast_vs_actual(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<WeekQuery>,
) -> ApiResult<Json<Value>> {
    auth.require(VIEWERS)?;
    let org = auth.org_id();
    let (week, start) = week_of(&state, q.week.as_deref())?;
    let plan = load_plan(&state, org, &week).await?.map(|(_, p)| p);
    let now_i = (minute_of(state.now()) - start).div_euclid(i64::from(INTERVAL_MIN));
    let mut actual: Vec<Option<f64>> = (0..SLOTS as i64)
        .map(|i| (i <= now_i).then_some(0.0))
        .collect();
    for r in contact_records(&state, org).await? {
        let i = (r.arrived - start).div_euclid(i64::from(INTERVAL_MIN));
        if (0..SLOTS as i64).contains(&i)
            && let Some(a) = actual[i as usize].as_mut()
        {
            *a += 1.0;
        }
    }
    let published = published_for_week(&state, org, &week).await?;
    Ok(Json(json!({
        "week": week,
        "start": ts_min(start),
        "interval_min": INTERVAL_MIN,
        "forecast": plan.as_ref().and_then(|p| p.forecast.clone()),
        "actual": actual,
        "requirement": plan.as_ref().map(|p| p.requirement.clone()),
        "scheduled": published.map(|(_, s)| s.coverage()),
    })))
}

// ---------- schedules ----------

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredShift {
    id: Uuid,
    agent_id: Uuid,
    /// The agent's local day (days since the epoch).
    local_day: i64,
    /// First interval of the week.
    start: u32,
    /// Intervals.
    len: u32,
    breaks: Vec<Break>,
    /// `generated`, `open_shift`, `extra_hours` or `swap`.
    source: String,
    /// Its agent has put it up for a colleague to take.
    #[serde(default)]
    up_for_swap: bool,
}

impl StoredShift {
    fn as_wfm(&self, agent: usize) -> Shift {
        Shift {
            agent,
            local_day: self.local_day,
            start: self.start,
            len: self.len,
            breaks: self.breaks.clone(),
        }
    }
    fn end(&self) -> u32 {
        self.start + self.len
    }
    fn paid_hours(&self) -> f64 {
        f64::from(self.as_wfm(0).paid()) * f64::from(INTERVAL_MIN) / 60.0
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredSchedule {
    week: String,
    start_utc: i64,
    interval_min: u32,
    peak: bool,
    /// `draft`, `published` or `superseded`.
    status: String,
    generated_at: String,
    #[serde(default)]
    published_at: Option<String>,
    requirement: Vec<f64>,
    shifts: Vec<StoredShift>,
    lower_bound: f64,
    shortfall_generated: f64,
    /// Agents scheduled from their preferences.
    agents: Vec<Uuid>,
    unmet_minimum: Vec<Uuid>,
    without_preferences: Vec<Uuid>,
    /// Bumped by every write: a planner's change names the version it saw, and a stale
    /// one is refused (0 for schedules saved before versions).
    #[serde(default)]
    version: u64,
}

impl StoredSchedule {
    fn coverage(&self) -> Vec<u32> {
        let mut cov = vec![0u32; self.requirement.len()];
        for s in &self.shifts {
            let w = s.as_wfm(0);
            for i in s.start..s.end().min(cov.len() as u32) {
                if w.works(i) {
                    cov[i as usize] += 1;
                }
            }
        }
        cov
    }
    /// Agents missing per interval (whole agents).
    fn deficit(&self) -> Vec<u32> {
        self.coverage()
            .iter()
            .zip(&self.requirement)
            .map(|(&c, &r)| ((r - 1e-6).ceil().max(0.0) as u32).saturating_sub(c))
            .collect()
    }
    fn shortfall(&self) -> f64 {
        self.coverage()
            .iter()
            .zip(&self.requirement)
            .map(|(&c, &r)| (r - f64::from(c)).max(0.0))
            .sum()
    }
    fn overstaffing(&self) -> f64 {
        self.coverage()
            .iter()
            .zip(&self.requirement)
            .map(|(&c, &r)| (f64::from(c) - r).max(0.0))
            .sum()
    }
    fn paid_hours(&self, agent: Uuid) -> f64 {
        self.shifts
            .iter()
            .filter(|s| s.agent_id == agent)
            .map(StoredShift::paid_hours)
            .sum()
    }
    fn minute(&self, i: u32) -> i64 {
        self.start_utc + i64::from(i) * i64::from(self.interval_min)
    }
    /// The `wfm` schedule and the agents by index.
    fn as_wfm(&self) -> (Schedule, Vec<Uuid>) {
        let mut ids: Vec<Uuid> = Vec::new();
        let mut index: HashMap<Uuid, usize> = HashMap::new();
        let mut shifts = Vec::new();
        for s in &self.shifts {
            let a = *index.entry(s.agent_id).or_insert_with(|| {
                ids.push(s.agent_id);
                ids.len() - 1
            });
            shifts.push(s.as_wfm(a));
        }
        let sched = Schedule {
            interval_min: self.interval_min,
            start_utc: self.start_utc,
            shifts,
            coverage: self.coverage(),
            requirement: self.requirement.clone(),
            shortfall: self.shortfall(),
            overstaffing: self.overstaffing(),
            lower_bound: self.lower_bound,
            hours: Vec::new(),
            unmet_minimum: Vec::new(),
            fill_spread: 0.0,
        };
        (sched, ids)
    }
    /// Open shifts: stretches under-staffed by at least `k` agents for each `k`, split
    /// at UTC midnight (where both sides are long enough to offer: an hour short from
    /// 23:30 to 00:30 is one open shift, not two halves too short to list) and into
    /// pieces of at most 8 hours, from interval `from` on.
    fn open_shifts(&self, from: u32) -> Vec<(u32, u32)> {
        let deficit = self.deficit();
        let per_day = (DAY_MIN / i64::from(self.interval_min)) as u32;
        let top = deficit.iter().copied().max().unwrap_or(0).min(50);
        let mut out = Vec::new();
        for k in 1..=top {
            let mut i = from;
            while (i as usize) < deficit.len() {
                if deficit[i as usize] < k {
                    i += 1;
                    continue;
                }
                let short_by_k = |x: u32| deficit.get(x as usize).is_some_and(|&d| d >= k);
                let cut_at_midnight = |j: u32| {
                    j.is_multiple_of(per_day)
                        && j - i >= MIN_OPEN_LEN
                        && (j..j + MIN_OPEN_LEN).all(short_by_k)
                };
                let mut j = i;
                while short_by_k(j) && !cut_at_midnight(j) {
                    j += 1;
                }
                let mut s = i;
                while s < j {
                    let len = (j - s).min(MAX_OPEN_LEN);
                    if len >= MIN_OPEN_LEN {
                        out.push((s, len));
                    }
                    s += len;
                }
                i = j;
            }
            if out.len() >= 200 {
                break;
            }
        }
        out.truncate(200);
        out.sort_unstable();
        out
    }
}

/// A shift, its times in UTC (`start`, `end`) and on the wall clock of `tz` (the
/// viewer's: the agent's own zone on their pages, the planning zone on the planner's):
/// `time_zone`, `local_start`, `local_end`, `zone_abbreviation` (at the start).
fn shift_json(
    s: &StoredShift,
    sched: &StoredSchedule,
    names: &HashMap<Uuid, String>,
    tz: &TimeZone,
) -> Value {
    let (from, to) = (sched.minute(s.start), sched.minute(s.end()));
    let local = |m: i64| wfm::time::DateTime(zone::to_local(tz, m)).to_string();
    json!({
        "id": s.id,
        "agent_id": s.agent_id,
        "agent_name": names.get(&s.agent_id),
        "start": ts_min(from),
        "end": ts_min(to),
        "time_zone": zone::name(tz),
        "zone_abbreviation": zone::abbreviation(tz, from),
        "local_start": local(from),
        "local_end": local(to),
        "start_index": s.start,
        "len": s.len,
        "breaks": s.breaks.iter().map(|b| json!({
            "kind": b.kind,
            "start": ts_min(sched.minute(b.start)),
            "end": ts_min(sched.minute(b.start + b.len)),
        })).collect::<Vec<_>>(),
        "paid_hours": s.paid_hours(),
        "source": s.source,
        "up_for_swap": s.up_for_swap,
    })
}

fn open_json(id: Uuid, sched: &StoredSchedule, (start, len): (u32, u32)) -> Value {
    json!({
        "schedule_id": id,
        "week": sched.week,
        "start_index": start,
        "len": len,
        "start": ts_min(sched.minute(start)),
        "end": ts_min(sched.minute(start + len)),
        "hours": f64::from(len * sched.interval_min) / 60.0,
    })
}

fn schedule_json(
    o: &Object,
    s: &StoredSchedule,
    names: &HashMap<Uuid, String>,
    now_min: i64,
    zones: &Zones,
) -> Value {
    let name = |id: &Uuid| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let mut agents: Vec<Uuid> = s.agents.clone();
    for sh in &s.shifts {
        if !agents.contains(&sh.agent_id) {
            agents.push(sh.agent_id);
        }
    }
    let hours: Vec<Value> = agents
        .iter()
        .map(|a| json!({"agent_id": a, "agent_name": name(a), "hours": s.paid_hours(*a)}))
        .collect();
    let from = (now_min - s.start_utc)
        .div_euclid(i64::from(s.interval_min))
        .clamp(0, s.requirement.len() as i64) as u32;
    let mut shifts: Vec<&StoredShift> = s.shifts.iter().collect();
    shifts.sort_by_key(|x| (x.start, names.get(&x.agent_id)));
    json!({
        "id": o.id,
        "version": s.version,
        "week": s.week,
        "status": s.status,
        "peak": s.peak,
        "generated_at": s.generated_at,
        "published_at": s.published_at,
        "start": ts_min(s.start_utc),
        "interval_min": s.interval_min,
        "requirement": s.requirement,
        "coverage": s.coverage(),
        "shortfall": s.shortfall(),
        "overstaffing": s.overstaffing(),
        "lower_bound": s.lower_bound,
        "shortfall_generated": s.shortfall_generated,
        "planning_zone": zone::name(&zones.planning),
        "shifts": shifts.iter().map(|x| {
            let mut v = shift_json(x, s, names, &zones.planning);
            v["agent_time_zone"] = json!(zone::name(zones.agent(x.agent_id)));
            v
        }).collect::<Vec<_>>(),
        "hours": hours,
        "unmet_minimum": s.unmet_minimum.iter().map(name).collect::<Vec<_>>(),
        "without_preferences": s.without_preferences.iter().map(name).collect::<Vec<_>>(),
        "open_shifts": s.open_shifts(from).into_iter().map(|x| open_json(o.id, s, x)).collect::<Vec<_>>(),
    })
}

async fn schedules(state: &AppState, org: Uuid) -> ApiResult<Vec<(Object, StoredSchedule)>> {
    let mut out = Vec::new();
    for o in all_objects(state, org, ObjectKind::WfmSchedule).await? {
        let s = decode(&o)?;
        out.push((o, s));
    }
    Ok(out)
}

async fn published_for_week(
    state: &AppState,
    org: Uuid,
    week: &str,
) -> ApiResult<Option<(Object, StoredSchedule)>> {
    Ok(schedules(state, org)
        .await?
        .into_iter()
        .find(|(_, s)| s.status == "published" && s.week == week))
}

async fn load_schedule(
    state: &AppState,
    org: Uuid,
    id: Uuid,
) -> ApiResult<(Object, StoredSchedule)> {
    let o = state
        .store()
        .get_object(org, ObjectKind::WfmSchedule, id)
        .await?
        .ok_or_else(|| ApiError::not_found("schedule"))?;
    let s = decode(&o)?;
    Ok((o, s))
}

async fn save_schedule(
    state: &AppState,
    o: Object,
    s: &mut StoredSchedule,
    extra: Vec<Change>,
) -> ApiResult<Object> {
    save_schedule_telling(state, o, s, extra, Vec::new()).await
}

/// [`save_schedule`], then live notes to the staff it concerns (after the commit).
async fn save_schedule_telling(
    state: &AppState,
    mut o: Object,
    s: &mut StoredSchedule,
    extra: Vec<Change>,
    notes: Vec<Note>,
) -> ApiResult<Object> {
    s.version += 1;
    o.data = serde_json::to_value(s).map_err(|e| ApiError::internal(e.to_string()))?;
    o.updated_at = state.now();
    let mut changes = vec![Change::PutObject(o.clone())];
    changes.extend(extra);
    state.write(changes, notes).await?;
    Ok(o)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ScheduleListQuery {
    /// Only this week (`YYYY-MM-DD`, a Monday).
    pub week: Option<String>,
}

/// Schedules, newest first (without their shifts).
#[utoipa::path(get, path = "/api/wfm/schedules", tag = "wfm", params(ScheduleListQuery), responses((status = 200, description = "`{items, next_cursor}`")))]
async fn list_schedules(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ScheduleListQuery>,
) -> ApiResult<Json<Value>> {
    auth.require(VIEWERS)?;
    let week = match q.week.as_deref() {
        Some(w) => Some(week_of(&state, Some(w))?.0),
        None => None,
    };
    let mut list = schedules(&state, auth.org_id()).await?;
    list.retain(|(_, s)| week.as_ref().is_none_or(|w| &s.week == w));
    list.sort_by(|a, b| b.1.generated_at.cmp(&a.1.generated_at));
    let items: Vec<Value> = list
        .iter()
        .map(|(o, s)| {
            json!({
                "id": o.id,
                "week": s.week,
                "status": s.status,
                "peak": s.peak,
                "generated_at": s.generated_at,
                "published_at": s.published_at,
                "shifts": s.shifts.len(),
                "shortfall": s.shortfall(),
                "lower_bound": s.lower_bound,
            })
        })
        .collect();
    Ok(super::items(items, None))
}

/// Which week to schedule.
/// Everyone's offered hours in the `wfm` form: (preferences, their users in the same
/// order, users without preferences by name). 422 when nobody has offered hours.
async fn team_prefs(
    state: &AppState,
    org: Uuid,
) -> ApiResult<(Vec<AgentPrefs>, Vec<Uuid>, Vec<Uuid>)> {
    let names = agent_names(state, org);
    let mut prefs_by_user: BTreeMap<Uuid, PreferencesIn> = BTreeMap::new();
    for o in all_objects(state, org, ObjectKind::WfmPreferences).await? {
        if let Ok(user) = o.name.parse::<Uuid>()
            && names.contains_key(&user)
        {
            prefs_by_user.insert(user, decode(&o)?);
        }
    }
    let mut without: Vec<Uuid> = names
        .keys()
        .filter(|id| !prefs_by_user.contains_key(id))
        .copied()
        .collect();
    without.sort_by_key(|id| names.get(id).cloned());
    let mut agents = Vec::new();
    let mut ids = Vec::new();
    for (id, p) in &prefs_by_user {
        // A stored preference that no longer validates is skipped, not fatal.
        if let Ok(a) = p.to_prefs(*id) {
            agents.push(a);
            ids.push(*id);
        }
    }
    if agents.is_empty() {
        return Err(ApiError::invalid(
            "No agent has offered hours yet. Ask your agents to enter their hours on their My hours page (/my-hours/), then try again.",
        ));
    }
    Ok((agents, ids, without))
}

/// Peak planning settings.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HirePlanIn {
    /// The Monday starting the week; default: this week.
    #[serde(default)]
    pub week: Option<String>,
    /// The hires' time zone, an IANA name (default: the planning zone).
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Superseded by `time_zone`: a fixed offset, minutes east of UTC.
    #[serde(default)]
    pub utc_offset_min: Option<i32>,
    /// Most hires to consider (default 500, at most 5000).
    #[serde(default)]
    pub max_hires: Option<u32>,
}

/// Peak planning: how many hires of which availability pattern (weekday daytime,
/// mornings, evenings, weekends, flexible) close the week's staffing gap once everyone
/// who offered hours is scheduled. Changes nothing.
#[utoipa::path(post, path = "/api/wfm/hire-plans", tag = "wfm", request_body = HirePlanIn,
    responses((status = 200, description = "`{week, peak, hires:[{profile, hires, max_week_hours}], total_hires, shortfall_before, shortfall_after, shortfall_before_hours, shortfall_after_hours, hours_added}`"), (status = 422, body = crate::error::ErrorBody)))]
async fn plan_hires(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<HirePlanIn>,
) -> ApiResult<Json<Value>> {
    auth.require(PLANNERS)?;
    let org = auth.org_id();
    let (week, start) = week_of(&state, body.week.as_deref())?;
    let tz = match (&body.time_zone, body.utc_offset_min) {
        (Some(name), _) => zone::parse(name).map_err(|_| {
            ApiError::invalid("time_zone: not a time zone; use an IANA name such as America/Denver")
        })?,
        (None, Some(off)) => {
            zone::fixed(off).ok_or_else(|| ApiError::invalid("utc_offset_min: within ±840"))?
        }
        (None, None) => planning_zone(&state, org).await?,
    };
    let max_hires = body.max_hires.unwrap_or(500);
    if !(1..=5000).contains(&max_hires) {
        return Err(ApiError::invalid("max_hires: 1 to 5000"));
    }
    let plan = required_plan(&state, org, &week).await?;
    let (agents, _, _) = team_prefs(&state, org).await?;
    let cfg = ScheduleConfig {
        start_utc: start,
        interval_min: INTERVAL_MIN,
        peak: plan.peak,
        ..Default::default()
    };
    let profiles = wfm::schedule::standard_profiles(&tz, if plan.peak { 40.0 } else { 30.0 });
    let caps: Vec<f64> = profiles
        .iter()
        .map(|p| p.prefs.cap_hours(plan.peak))
        .collect();
    let requirement = plan.requirement;
    let p = tokio::task::spawn_blocking(move || {
        wfm::schedule::plan_hires(&agents, &requirement, &cfg, &profiles, 0.0, max_hires)
    })
    .await
    .map_err(|_| ApiError::internal("peak planning failed"))?
    .map_err(|e| ApiError::invalid(e.to_string()))?;
    let per_hour = 60.0 / f64::from(INTERVAL_MIN);
    Ok(Json(json!({
        "week": week,
        "peak": plan.peak,
        "hires": p.hires.iter().zip(&caps).map(|((name, n), cap)| json!({
            "profile": name,
            "hires": n,
            "max_week_hours": cap,
        })).collect::<Vec<_>>(),
        "total_hires": p.total_hires,
        "shortfall_before": p.shortfall_before,
        "shortfall_after": p.shortfall_after,
        "shortfall_before_hours": p.shortfall_before / per_hour,
        "shortfall_after_hours": p.shortfall_after / per_hour,
        "hours_added": p.hours_added,
    })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleIn {
    /// The Monday starting the week; default: this week.
    #[serde(default)]
    pub week: Option<String>,
}

/// Generate a draft schedule for a week from its requirement and every agent's
/// preferences.
#[utoipa::path(post, path = "/api/wfm/schedules", tag = "wfm", request_body = ScheduleIn,
    responses((status = 201, description = "the schedule, with coverage, shortfall and lower bound"), (status = 422, body = crate::error::ErrorBody)))]
async fn create_schedule(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<ScheduleIn>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    auth.require(PLANNERS)?;
    let org = auth.org_id();
    let (week, start) = week_of(&state, body.week.as_deref())?;
    let plan = required_plan(&state, org, &week).await?;
    let (agents, ids, without) = team_prefs(&state, org).await?;
    let names = agent_names(&state, org);
    let cfg = ScheduleConfig {
        start_utc: start,
        interval_min: INTERVAL_MIN,
        peak: plan.peak,
        flow_bound: agents.len() <= 2000,
        ..Default::default()
    };
    let requirement = plan.requirement.clone();
    let sched =
        tokio::task::spawn_blocking(move || wfm::schedule::generate(&agents, &requirement, &cfg))
            .await
            .map_err(|_| ApiError::internal("schedule generation failed"))?
            .map_err(|e| ApiError::invalid(e.to_string()))?;
    let now = state.now();
    let index_of: HashMap<String, Uuid> = ids.iter().map(|id| (id.to_string(), *id)).collect();
    let mut stored = StoredSchedule {
        week: week.clone(),
        start_utc: start,
        interval_min: INTERVAL_MIN,
        peak: plan.peak,
        status: "draft".into(),
        generated_at: wire::ts(now),
        published_at: None,
        requirement: plan.requirement,
        shifts: sched
            .shifts
            .iter()
            .map(|s| StoredShift {
                id: store::new_id(),
                agent_id: ids[s.agent],
                local_day: s.local_day,
                start: s.start,
                len: s.len,
                breaks: s.breaks.clone(),
                source: "generated".into(),
                up_for_swap: false,
            })
            .collect(),
        lower_bound: sched.lower_bound,
        shortfall_generated: sched.shortfall,
        agents: ids.clone(),
        unmet_minimum: sched
            .unmet_minimum
            .iter()
            .filter_map(|a| index_of.get(a).copied())
            .collect(),
        without_preferences: without,
        version: 0,
    };
    let id = store::new_id();
    let o = new_object(
        org,
        ObjectKind::WfmSchedule,
        id,
        format!("{week} {id}"),
        Value::Null,
        now,
    );
    let shifts = stored.shifts.len();
    let o = save_schedule(
        &state,
        o,
        &mut stored,
        vec![
            LiveEvent::WfmScheduleGenerated {
                schedule_id: id,
                week: week.clone(),
                shifts,
                shortfall: sched.shortfall,
                lower_bound: sched.lower_bound,
            }
            .change(org, now, Actor::from(&auth)),
        ],
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(schedule_json(
            &o,
            &stored,
            &names,
            minute_of(now),
            &zones(&state, org).await?,
        )),
    ))
}

/// One schedule with its shifts, coverage per interval, shortfall and lower bound,
/// hours per agent and open shifts.
#[utoipa::path(get, path = "/api/wfm/schedules/{id}", tag = "wfm", params(("id" = Uuid, Path)), responses((status = 200, description = "the schedule"), (status = 404, body = crate::error::ErrorBody)))]
async fn get_schedule(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    auth.require(VIEWERS)?;
    let org = auth.org_id();
    let (o, s) = load_schedule(&state, org, id).await?;
    let names = agent_names(&state, org);
    Ok(Json(schedule_json(
        &o,
        &s,
        &names,
        minute_of(state.now()),
        &zones(&state, org).await?,
    )))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PublishQuery {
    /// The schedule's `version` as the planner saw it: refused (409) if it has changed
    /// since (compare-and-set; without it, the schedule is published as it is).
    pub version: Option<u64>,
}

/// Publish a schedule: agents see its shifts; the week's previously published schedule
/// is superseded.
#[utoipa::path(post, path = "/api/wfm/schedules/{id}/publish", tag = "wfm", params(("id" = Uuid, Path), PublishQuery), responses((status = 200, description = "the schedule"), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody, description = "superseded, or changed since the `version` given")))]
async fn publish_schedule(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Query(q): Query<PublishQuery>,
) -> ApiResult<Json<Value>> {
    auth.require(PLANNERS)?;
    let org = auth.org_id();
    let _guard = write_lock().lock().await;
    let (o, mut s) = load_schedule(&state, org, id).await?;
    if let Some(seen) = q.version
        && seen != s.version
    {
        return Err(ApiError::conflict(format!(
            "This schedule changed since you opened it (someone published it or took shifts in it: version {seen}, now {}). Reload the week to see it as it is, then publish again if it is still right.",
            s.version
        )));
    }
    let names = agent_names(&state, org);
    let now = state.now();
    match s.status.as_str() {
        "published" => {
            return Ok(Json(schedule_json(
                &o,
                &s,
                &names,
                minute_of(now),
                &zones(&state, org).await?,
            )));
        }
        "superseded" => {
            return Err(ApiError::conflict(
                "this schedule was superseded by a later one; generate a new one",
            ));
        }
        _ => {}
    }
    let mut extra = Vec::new();
    for (mut other, mut os) in schedules(&state, org).await? {
        if other.id != id && os.week == s.week && os.status == "published" {
            os.status = "superseded".into();
            os.version += 1;
            other.data =
                serde_json::to_value(&os).map_err(|e| ApiError::internal(e.to_string()))?;
            other.updated_at = now;
            extra.push(Change::PutObject(other));
        }
    }
    s.status = "published".into();
    s.published_at = Some(wire::ts(now));
    extra.push(
        LiveEvent::WfmSchedulePublished {
            schedule_id: id,
            week: s.week.clone(),
        }
        .change(org, now, Actor::from(&auth)),
    );
    // Everyone with shifts hears of it at once (the agent desktop says so).
    let mut told: Vec<Uuid> = s.shifts.iter().map(|x| x.agent_id).collect();
    told.sort_unstable();
    told.dedup();
    let notes = told
        .into_iter()
        .map(|agent| {
            let shifts = s.shifts.iter().filter(|x| x.agent_id == agent).count();
            Note::user(
                agent,
                "schedule_published",
                json!({"schedule_id": id, "week": s.week, "shifts": shifts}),
            )
        })
        .collect();
    let o = save_schedule_telling(&state, o, &mut s, extra, notes).await?;
    Ok(Json(schedule_json(
        &o,
        &s,
        &names,
        minute_of(now),
        &zones(&state, org).await?,
    )))
}

// ---------- the agent's shifts, open shifts, extra hours ----------

/// Published schedules whose week has not ended.
async fn live_published(
    state: &AppState,
    org: Uuid,
    now_min: i64,
) -> ApiResult<Vec<(Object, StoredSchedule)>> {
    let mut v: Vec<_> = schedules(state, org)
        .await?
        .into_iter()
        .filter(|(_, s)| s.status == "published" && s.start_utc + WEEK_MIN > now_min)
        .collect();
    v.sort_by_key(|(_, s)| s.start_utc);
    Ok(v)
}

/// How to simulate a schedule.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulateIn {
    /// Seeded replications (default 5, at most 50).
    #[serde(default)]
    pub runs: Option<u32>,
    /// Service-level answer time, seconds (default 20).
    #[serde(default)]
    pub answer_s: Option<f64>,
    /// Mean customer patience, seconds (default 120); 0: nobody hangs up.
    #[serde(default)]
    pub patience_s: Option<f64>,
    /// Handle time where the plan has none, seconds (default 300).
    #[serde(default)]
    pub aht_s: Option<f64>,
}

/// Simulate a schedule against its week's expected contacts: Poisson arrivals,
/// lognormal handle times and exponential patience through the routing engine, the
/// schedule's coverage answering. Service level, ASA, abandonment and occupancy, per
/// interval and for the week, with a 95 % interval on the service level.
#[utoipa::path(post, path = "/api/wfm/schedules/{id}/simulate", tag = "wfm", params(("id" = Uuid, Path)), request_body = SimulateIn,
    responses((status = 200, description = "`{runs, service_level, service_level_ci95, asa_s, abandon_rate, occupancy, offered, intervals}`"), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn simulate_schedule(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Json(body): Json<SimulateIn>,
) -> ApiResult<Json<Value>> {
    auth.require(VIEWERS)?;
    let org = auth.org_id();
    let (_, s) = load_schedule(&state, org, id).await?;
    let runs = body.runs.unwrap_or(5);
    let answer_s = body.answer_s.unwrap_or(20.0);
    let patience = body.patience_s.unwrap_or(120.0);
    let default_aht = body.aht_s.unwrap_or(300.0);
    if !(1..=50).contains(&runs) {
        return Err(ApiError::invalid("runs: 1 to 50"));
    }
    let positive = |x: f64| x.is_finite() && x > 0.0;
    if !(positive(answer_s) && positive(default_aht) && patience.is_finite() && patience >= 0.0) {
        return Err(ApiError::invalid(
            "answer_s, patience_s and aht_s: positive seconds",
        ));
    }
    let plan = load_plan(&state, org, &s.week).await?.map(|(_, p)| p);
    let Some(contacts) = plan.as_ref().and_then(|p| p.forecast.clone()) else {
        return Err(ApiError::invalid(
            "no expected contacts for this week: make a forecast from the contact history (or send expected contacts with the requirement through the API)",
        ));
    };
    let n = s.requirement.len();
    if contacts.len() != n {
        return Err(ApiError::invalid(
            "the week's contacts do not match the schedule",
        ));
    }
    let aht = plan
        .and_then(|p| p.aht_s)
        .filter(|a| a.len() == n)
        .unwrap_or_else(|| vec![default_aht; n]);
    let cfg = wfm::sim::SimConfig {
        interval_min: s.interval_min,
        contacts,
        aht_s: aht
            .iter()
            .map(|&a| if a > 0.0 { a } else { default_aht })
            .collect(),
        agents: s.coverage(),
        handle: wfm::sim::HandleTime::LogNormal { cv: 0.8 },
        patience_s: (patience > 0.0).then_some(patience),
        answer_s,
        seed: 1,
    };
    // One thread: a planner's what-if must not take the cores serving contacts.
    let r = tokio::task::spawn_blocking(move || {
        wfm::sim::simulate_replications(&cfg, runs, 1, || {
            wfm::sim_routing::EngineRouter::new(1_800_000_000_000)
        })
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
    .map_err(|e| ApiError::invalid(e.to_string()))?;
    let t = &r.total;
    let intervals: Vec<Value> = r
        .intervals
        .iter()
        .enumerate()
        .map(|(i, x)| {
            json!({
                "start": ts_min(s.minute(i as u32)),
                "offered": x.offered,
                "service_level": (x.offered > 0).then(|| x.service_level()),
                "asa_s": x.asa_s(),
                "abandon_rate": x.abandon_rate(),
                "occupancy": x.occupancy(),
            })
        })
        .collect();
    Ok(Json(json!({
        "schedule_id": id,
        "week": s.week,
        "runs": runs,
        "offered": t.offered,
        "offered_per_run": t.offered as f64 / f64::from(runs),
        "service_level": t.service_level(),
        "service_level_ci95": r.service_level_ci95,
        "asa_s": t.asa_s(),
        "abandon_rate": t.abandon_rate(),
        "occupancy": t.occupancy(),
        "intervals": intervals,
    })))
}

/// My shifts in published schedules that ended at most a week ago, by start:
/// (schedule id, schedule, the shift's index in it).
async fn my_published_shifts(
    state: &AppState,
    org: Uuid,
    me: Uuid,
    now_min: i64,
) -> ApiResult<Vec<(Uuid, std::sync::Arc<StoredSchedule>, usize)>> {
    let mut out = Vec::new();
    for (o, s) in schedules(state, org).await? {
        if s.status != "published" || s.start_utc + 2 * WEEK_MIN <= now_min {
            continue;
        }
        let s = std::sync::Arc::new(s);
        for (i, sh) in s.shifts.iter().enumerate() {
            if sh.agent_id == me && s.minute(sh.end()) >= now_min - WEEK_MIN {
                out.push((o.id, s.clone(), i));
            }
        }
    }
    out.sort_by_key(|(_, s, i)| s.minute(s.shifts[*i].start));
    Ok(out)
}

/// My shifts in published schedules, from a week ago on.
#[utoipa::path(get, path = "/api/wfm/me/shifts", tag = "wfm", responses((status = 200, description = "`{items, next_cursor}`")))]
async fn my_shifts(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require(STAFF)?;
    let org = auth.org_id();
    let names = agent_names(&state, org);
    let tz = my_zone(&state, org, auth.user.id).await?;
    let mine = my_published_shifts(&state, org, auth.user.id, minute_of(state.now())).await?;
    let items = mine
        .iter()
        .map(|(id, s, i)| {
            let mut v = shift_json(&s.shifts[*i], s, &names, &tz);
            v["schedule_id"] = json!(id);
            v["week"] = json!(s.week);
            v
        })
        .collect();
    Ok(super::items(items, None))
}

/// My shifts as an iCalendar file, for the calendar on my phone or computer.
#[utoipa::path(get, path = "/api/wfm/me/shifts.ics", tag = "wfm", responses((status = 200, description = "`text/calendar`: one event per shift on my wall clock (`TZID` with the zone's `VTIMEZONE`), breaks in its description", content_type = "text/calendar")))]
async fn my_shifts_calendar(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<axum::response::Response> {
    use axum::http::header;
    use axum::response::IntoResponse;
    auth.require(STAFF)?;
    let now = state.now();
    let org = auth.org_id();
    let mine = my_published_shifts(&state, org, auth.user.id, minute_of(now)).await?;
    let tz = my_zone(&state, org, auth.user.id).await?;
    let shifts: Vec<super::wfm_calendar::CalShift> = mine
        .iter()
        .map(|(_, s, i)| {
            let sh = &s.shifts[*i];
            super::wfm_calendar::CalShift {
                uid: format!("{}@homeshore", sh.id),
                from: s.minute(sh.start),
                to: s.minute(sh.end()),
                paid_hours: sh.paid_hours(),
                breaks: sh
                    .breaks
                    .iter()
                    .map(|b| {
                        let kind = match b.kind {
                            wfm::schedule::BreakKind::Break => "break",
                            wfm::schedule::BreakKind::Lunch => "lunch",
                        };
                        (kind, s.minute(b.start), s.minute(b.start + b.len))
                    })
                    .collect(),
            }
        })
        .collect();
    let body = super::wfm_calendar::calendar(&shifts, &tz, minute_of(now));
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"my-shifts.ics\"",
            ),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        body,
    )
        .into_response())
}

/// Why `me` may not take intervals `start..start + len` of `s` (None: it fits).
fn cannot_take(
    s: &StoredSchedule,
    me: Uuid,
    prefs: &PreferencesIn,
    start: u32,
    len: u32,
    now_min: i64,
    except: Option<Uuid>,
) -> Option<&'static str> {
    if len == 0 || (start + len) as usize > s.requirement.len() {
        return Some("those intervals are outside the week");
    }
    if s.minute(start) < now_min {
        return Some("that time has already begun");
    }
    let deficit = s.deficit();
    if (start..start + len).any(|i| deficit[i as usize] == 0) {
        return Some("that time is no longer under-staffed");
    }
    let gap = 60 / s.interval_min; // an hour between shifts
    for sh in s
        .shifts
        .iter()
        .filter(|x| x.agent_id == me && Some(x.id) != except)
    {
        if start < sh.end() + gap && sh.start < start + len + gap {
            return Some("it overlaps or touches one of your shifts");
        }
    }
    let cap = if s.peak {
        prefs.peak_max_week_hours.unwrap_or(prefs.max_week_hours)
    } else {
        prefs.max_week_hours
    };
    let add = f64::from(len * s.interval_min) / 60.0;
    if s.paid_hours(me) + add > cap + 1e-9 {
        return Some("it would take you over your weekly maximum");
    }
    None
}

/// Open shifts in published schedules that I can take.
#[utoipa::path(get, path = "/api/wfm/me/open-shifts", tag = "wfm", responses((status = 200, description = "`{items, next_cursor}`")))]
async fn open_shifts(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require(STAFF)?;
    let org = auth.org_id();
    let me = auth.user.id;
    let now_min = minute_of(state.now());
    let prefs = load_prefs(&state, org, me).await?.unwrap_or_default();
    let mut out = Vec::new();
    for (o, s) in live_published(&state, org, now_min).await? {
        let from =
            ((now_min - s.start_utc).div_euclid(i64::from(s.interval_min)) + 1).max(0) as u32;
        for (start, len) in s.open_shifts(from) {
            if cannot_take(&s, me, &prefs, start, len, now_min, None).is_none() {
                out.push(open_json(o.id, &s, (start, len)));
            }
        }
    }
    Ok(super::items(out, None))
}

/// An open shift or extra hours to take.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TakeIn {
    pub schedule_id: Uuid,
    /// First interval of the week (as listed).
    pub start_index: u32,
    /// Intervals (as listed).
    pub len: u32,
    /// Extra hours: the shift they extend.
    #[serde(default)]
    pub shift_id: Option<Uuid>,
}

/// Pick up an open shift.
#[utoipa::path(post, path = "/api/wfm/me/open-shifts", tag = "wfm", request_body = TakeIn,
    responses((status = 201, description = "the new shift"), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn pick_up_open_shift(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<TakeIn>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    auth.require(STAFF)?;
    let org = auth.org_id();
    let me = auth.user.id;
    let _guard = write_lock().lock().await;
    let (o, mut s) = load_schedule(&state, org, body.schedule_id).await?;
    if s.status != "published" {
        return Err(ApiError::conflict("this schedule is not published"));
    }
    if body.len > MAX_OPEN_LEN {
        return Err(ApiError::invalid("len: at most 8 hours"));
    }
    let now_min = minute_of(state.now());
    let prefs = load_prefs(&state, org, me).await?.unwrap_or_default();
    if let Some(why) = cannot_take(&s, me, &prefs, body.start_index, body.len, now_min, None) {
        return Err(ApiError::conflict(format!(
            "you cannot take this shift: {why}"
        )));
    }
    let shift = StoredShift {
        id: store::new_id(),
        agent_id: me,
        local_day: zone::local_day(&prefs.stored_zone(), s.minute(body.start_index)),
        start: body.start_index,
        len: body.len,
        breaks: Vec::new(),
        source: "open_shift".into(),
        up_for_swap: false,
    };
    s.shifts.push(shift.clone());
    let now = state.now();
    save_schedule(
        &state,
        o,
        &mut s,
        vec![
            LiveEvent::WfmOpenShiftTaken {
                schedule_id: body.schedule_id,
                shift_id: shift.id,
                user_id: me,
            }
            .change(org, now, Actor::from(&auth)),
        ],
    )
    .await?;
    let names = agent_names(&state, org);
    let mut v = shift_json(&shift, &s, &names, &prefs.stored_zone());
    v["schedule_id"] = json!(body.schedule_id);
    v["week"] = json!(s.week);
    Ok((StatusCode::CREATED, Json(v)))
}

/// Extensions of `sh` into under-staffed intervals right before or after it.
fn extensions(
    s: &StoredSchedule,
    sh: &StoredShift,
    prefs: &PreferencesIn,
    now_min: i64,
) -> Vec<(u32, u32)> {
    let deficit = s.deficit();
    let tz = prefs.stored_zone();
    let local_day = |i: u32| zone::local_day(&tz, s.minute(i));
    let max_len = (16 * 60 / s.interval_min).min(sh.len + MAX_EXTRA_LEN);
    let mut out = Vec::new();
    // After the shift.
    let mut n = 0;
    while sh.len + n < max_len
        && ((sh.end() + n) as usize) < deficit.len()
        && deficit[(sh.end() + n) as usize] > 0
        && local_day(sh.end() + n) == sh.local_day
    {
        n += 1;
    }
    if n > 0 && s.minute(sh.end()) >= now_min {
        out.push((sh.end(), n));
    }
    // Before it.
    let mut n = 0;
    while sh.len + n < max_len
        && sh.start > n
        && deficit[(sh.start - n - 1) as usize] > 0
        && local_day(sh.start - n - 1) == sh.local_day
        && s.minute(sh.start - n - 1) >= now_min
    {
        n += 1;
    }
    if n > 0 {
        out.push((sh.start - n, n));
    }
    // Within the weekly maximum (shortened if need be).
    let cap = if s.peak {
        prefs.peak_max_week_hours.unwrap_or(prefs.max_week_hours)
    } else {
        prefs.max_week_hours
    };
    let room = ((cap - s.paid_hours(sh.agent_id)) * 60.0 / f64::from(s.interval_min)).floor();
    out.into_iter()
        .filter_map(|(start, len)| {
            let len2 = len.min(room.max(0.0) as u32);
            if len2 == 0 {
                None
            } else if start < sh.start {
                Some((sh.start - len2, len2))
            } else {
                Some((start, len2))
            }
        })
        .collect()
}

/// Extra hours offered to me: under-staffed intervals right next to my published shifts.
#[utoipa::path(get, path = "/api/wfm/me/extra-hours", tag = "wfm", responses((status = 200, description = "`{items, next_cursor}`")))]
async fn extra_hours(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require(STAFF)?;
    let org = auth.org_id();
    let me = auth.user.id;
    let now_min = minute_of(state.now());
    let prefs = load_prefs(&state, org, me).await?.unwrap_or_default();
    let mut out = Vec::new();
    for (o, s) in live_published(&state, org, now_min).await? {
        for sh in s.shifts.iter().filter(|x| x.agent_id == me) {
            for (start, len) in extensions(&s, sh, &prefs, now_min) {
                let mut v = open_json(o.id, &s, (start, len));
                v["shift_id"] = json!(sh.id);
                v["shift_start"] = json!(ts_min(s.minute(sh.start)));
                v["shift_end"] = json!(ts_min(s.minute(sh.end())));
                v["position"] = json!(if start < sh.start { "before" } else { "after" });
                out.push(v);
            }
        }
    }
    Ok(super::items(out, None))
}

/// Accept extra hours: my shift is extended.
#[utoipa::path(post, path = "/api/wfm/me/extra-hours", tag = "wfm", request_body = TakeIn,
    responses((status = 200, description = "the extended shift"), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn accept_extra_hours(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<TakeIn>,
) -> ApiResult<Json<Value>> {
    auth.require(STAFF)?;
    let org = auth.org_id();
    let me = auth.user.id;
    let shift_id = body
        .shift_id
        .ok_or_else(|| ApiError::invalid("shift_id: required"))?;
    let _guard = write_lock().lock().await;
    let (o, mut s) = load_schedule(&state, org, body.schedule_id).await?;
    if s.status != "published" {
        return Err(ApiError::conflict("this schedule is not published"));
    }
    let now_min = minute_of(state.now());
    let prefs = load_prefs(&state, org, me).await?.unwrap_or_default();
    let pos = s
        .shifts
        .iter()
        .position(|x| x.id == shift_id && x.agent_id == me)
        .ok_or_else(|| ApiError::not_found("shift"))?;
    let offered = extensions(&s, &s.shifts[pos], &prefs, now_min);
    // Any part of an offered extension that touches the shift may be taken.
    let sh = &s.shifts[pos];
    let ok = offered.iter().any(|&(st, len)| {
        body.len >= 1
            && ((st >= sh.end() && body.start_index == sh.end() && body.len <= len)
                || (st < sh.start
                    && body.start_index + body.len == sh.start
                    && body.start_index >= st))
    });
    if !ok {
        return Err(ApiError::conflict(
            "these extra hours are no longer offered to you",
        ));
    }
    let sh = &mut s.shifts[pos];
    if body.start_index < sh.start {
        let shift_by = sh.start - body.start_index;
        sh.start = body.start_index;
        sh.len += shift_by;
    } else {
        sh.len += body.len;
    }
    sh.source = if sh.source == "generated" {
        "extra_hours".into()
    } else {
        sh.source.clone()
    };
    let shift = sh.clone();
    let now = state.now();
    save_schedule(
        &state,
        o,
        &mut s,
        vec![
            LiveEvent::WfmExtraHoursAccepted {
                schedule_id: body.schedule_id,
                shift_id,
                user_id: me,
                intervals: body.len,
            }
            .change(org, now, Actor::from(&auth)),
        ],
    )
    .await?;
    let names = agent_names(&state, org);
    let mut v = shift_json(&shift, &s, &names, &prefs.stored_zone());
    v["schedule_id"] = json!(body.schedule_id);
    v["week"] = json!(s.week);
    Ok(Json(v))
}

// ---------- shift swaps ----------

/// Why `me` may not take over shift `sh` of `s` from a colleague (None: it fits): it
/// must not have begun, must lie inside my availability, keep an hour clear of my
/// other shifts, and keep me within my weekly maximum.
fn cannot_swap(
    s: &StoredSchedule,
    sh: &StoredShift,
    me: Uuid,
    prefs: &AgentPrefs,
    now_min: i64,
) -> Option<&'static str> {
    if sh.agent_id == me {
        return Some("it is your own shift");
    }
    if s.minute(sh.start) <= now_min {
        return Some("that shift has already begun");
    }
    if !prefs.available(s.minute(sh.start), s.minute(sh.end())) {
        return Some("it is outside the hours you offer");
    }
    let gap = 60 / s.interval_min;
    if s.shifts
        .iter()
        .filter(|x| x.agent_id == me)
        .any(|x| sh.start < x.end() + gap && x.start < sh.end() + gap)
    {
        return Some("it overlaps or touches one of your shifts");
    }
    if s.paid_hours(me) + sh.paid_hours() > prefs.cap_hours(s.peak) + 1e-9 {
        return Some("it would take you over your weekly maximum");
    }
    None
}

/// My zone (UTC until I save my preferences).
async fn my_zone(state: &AppState, org: Uuid, me: Uuid) -> ApiResult<TimeZone> {
    Ok(load_prefs(state, org, me)
        .await?
        .map(|p| p.stored_zone())
        .unwrap_or(TimeZone::UTC))
}

/// My preferences in the `wfm` form (defaults when never saved).
async fn my_prefs(state: &AppState, org: Uuid, me: Uuid) -> ApiResult<AgentPrefs> {
    load_prefs(state, org, me)
        .await?
        .unwrap_or_default()
        .to_prefs(me)
}

/// The published, not yet ended schedule holding shift `id`.
async fn schedule_with_shift(
    state: &AppState,
    org: Uuid,
    id: Uuid,
    now_min: i64,
) -> ApiResult<(Object, StoredSchedule, usize)> {
    for (o, s) in live_published(state, org, now_min).await? {
        if let Some(i) = s.shifts.iter().position(|x| x.id == id) {
            return Ok((o, s, i));
        }
    }
    Err(ApiError::not_found("shift"))
}

/// Colleagues' shifts up for swap that I could take.
#[utoipa::path(get, path = "/api/wfm/me/swaps", tag = "wfm", responses((status = 200, description = "`{items, next_cursor}`: shifts with `schedule_id` and `week`")))]
async fn swappable_shifts(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require(STAFF)?;
    let org = auth.org_id();
    let me = auth.user.id;
    let now_min = minute_of(state.now());
    let prefs = my_prefs(&state, org, me).await?;
    let names = agent_names(&state, org);
    let mut out: Vec<(i64, Value)> = Vec::new();
    for (o, s) in live_published(&state, org, now_min).await? {
        for sh in s.shifts.iter().filter(|x| x.up_for_swap) {
            if cannot_swap(&s, sh, me, &prefs, now_min).is_none() {
                let mut v = shift_json(sh, &s, &names, &prefs.time_zone);
                v["schedule_id"] = json!(o.id);
                v["week"] = json!(s.week);
                out.push((s.minute(sh.start), v));
            }
        }
    }
    out.sort_by_key(|(t, _)| *t);
    Ok(super::items(
        out.into_iter().map(|(_, v)| v).collect(),
        None,
    ))
}

/// A shift of mine to put up for swap.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwapIn {
    pub shift_id: Uuid,
}

/// Put one of my published shifts up for a colleague to take. It stays mine until
/// someone does.
#[utoipa::path(post, path = "/api/wfm/me/swaps", tag = "wfm", request_body = SwapIn,
    responses((status = 200, description = "the shift, `up_for_swap` true"), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn offer_swap(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<SwapIn>,
) -> ApiResult<Json<Value>> {
    auth.require(STAFF)?;
    set_up_for_swap(&state, &auth, body.shift_id, true).await
}

/// Take back a shift I put up for swap.
#[utoipa::path(delete, path = "/api/wfm/me/swaps/{id}", tag = "wfm", params(("id" = Uuid, Path, description = "the shift")),
    responses((status = 200, description = "the shift, `up_for_swap` false"), (status = 404, body = crate::error::ErrorBody)))]
async fn withdraw_swap(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    auth.require(STAFF)?;
    set_up_for_swap(&state, &auth, id, false).await
}

async fn set_up_for_swap(
    state: &AppState,
    auth: &Auth,
    shift_id: Uuid,
    up: bool,
) -> ApiResult<Json<Value>> {
    let org = auth.org_id();
    let me = auth.user.id;
    let _guard = write_lock().lock().await;
    let now_min = minute_of(state.now());
    let (o, mut s, i) = schedule_with_shift(state, org, shift_id, now_min).await?;
    if s.shifts[i].agent_id != me {
        return Err(ApiError::not_found("shift"));
    }
    if up && s.minute(s.shifts[i].start) <= now_min {
        return Err(ApiError::conflict("that shift has already begun"));
    }
    if s.shifts[i].up_for_swap != up {
        s.shifts[i].up_for_swap = up;
        let ev = if up {
            LiveEvent::WfmSwapOffered {
                schedule_id: o.id,
                shift_id,
                user_id: me,
            }
        } else {
            LiveEvent::WfmSwapWithdrawn {
                schedule_id: o.id,
                shift_id,
                user_id: me,
            }
        };
        save_schedule(
            state,
            o.clone(),
            &mut s,
            vec![ev.change(org, state.now(), Actor::from(auth))],
        )
        .await?;
    }
    let names = agent_names(state, org);
    let tz = my_zone(state, org, me).await?;
    let mut v = shift_json(&s.shifts[i], &s, &names, &tz);
    v["schedule_id"] = json!(o.id);
    v["week"] = json!(s.week);
    Ok(Json(v))
}

/// Take over a colleague's shift that is up for swap: it becomes mine, breaks and all.
#[utoipa::path(post, path = "/api/wfm/me/swaps/{id}/take", tag = "wfm", params(("id" = Uuid, Path, description = "the shift")),
    responses((status = 200, description = "the shift, now mine"), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn take_swap(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    auth.require(STAFF)?;
    let org = auth.org_id();
    let me = auth.user.id;
    let _guard = write_lock().lock().await;
    let now_min = minute_of(state.now());
    let (o, mut s, i) = schedule_with_shift(&state, org, id, now_min).await?;
    if !s.shifts[i].up_for_swap {
        return Err(ApiError::conflict("that shift is not up for swap"));
    }
    let prefs = my_prefs(&state, org, me).await?;
    if let Some(why) = cannot_swap(&s, &s.shifts[i], me, &prefs, now_min) {
        return Err(ApiError::conflict(format!(
            "you cannot take this shift: {why}"
        )));
    }
    let from = s.shifts[i].agent_id;
    let local_day = zone::local_day(&prefs.time_zone, s.minute(s.shifts[i].start));
    let sh = &mut s.shifts[i];
    sh.agent_id = me;
    sh.local_day = local_day;
    sh.up_for_swap = false;
    sh.source = "swap".into();
    let taken = LiveEvent::WfmSwapTaken {
        schedule_id: o.id,
        shift_id: id,
        from_user_id: from,
        user_id: me,
    };
    let names = agent_names(&state, org);
    // The colleague who offered it hears that it is taken.
    let note = Note::user(
        from,
        "shift_taken",
        json!({
            "schedule_id": o.id,
            "week": s.week,
            "shift_id": id,
            "start": ts_min(s.minute(s.shifts[i].start)),
            "end": ts_min(s.minute(s.shifts[i].end())),
            "by": names.get(&me),
        }),
    );
    save_schedule_telling(
        &state,
        o.clone(),
        &mut s,
        vec![taken.change(org, state.now(), Actor::from(&auth))],
        vec![note],
    )
    .await?;
    let mut v = shift_json(&s.shifts[i], &s, &names, &prefs.time_zone);
    v["schedule_id"] = json!(o.id);
    v["week"] = json!(s.week);
    Ok(Json(v))
}

// ---------- adherence ----------

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AdherenceQuery {
    /// Seconds a mismatch must last before it is listed (default 0).
    pub grace_s: Option<i64>,
}

fn activity_str(a: adherence::Activity) -> &'static str {
    match a {
        adherence::Activity::Work => "work",
        adherence::Activity::Break => "break",
        adherence::Activity::Lunch => "lunch",
        adherence::Activity::Off => "off",
    }
}

fn actual_str(a: ActualState) -> &'static str {
    match a {
        ActualState::Available => "available",
        ActualState::Busy => "busy",
        ActualState::AfterWork => "after_work",
        ActualState::Break => "break",
        ActualState::Offline => "offline",
    }
}

/// Who is out of adherence now, and since when: this week's published schedule against
/// the live agent states. `agents` lists everyone scheduled this week.
#[utoipa::path(get, path = "/api/wfm/adherence", tag = "wfm", params(AdherenceQuery), responses((status = 200, description = "`{now, schedule_id, week, items, agents, team_today, team_week}`: who is out of adherence now and since when; per agent and for the team, adherence and conformance so far today (the agent's local day) and this week")))]
async fn get_adherence(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<AdherenceQuery>,
) -> ApiResult<Json<Value>> {
    auth.require(PLANNERS)?;
    let org = auth.org_id();
    let now = state.now();
    let now_s = now.unix_timestamp();
    let grace = q.grace_s.unwrap_or(0).clamp(0, 86_400);
    let week = date_str(monday_of(minute_of(now)));
    let Some((o, s)) = published_for_week(&state, org, &week).await? else {
        return Ok(Json(json!({
            "now": wire::ts(now), "schedule_id": null, "week": week, "items": [], "agents": [],
        })));
    };
    let (sched, ids) = s.as_wfm();
    // Each agent's live state since it began.
    let live: HashMap<Uuid, (String, ActualState, i64)> = state.with_org(org, |ol| {
        ol.agents()
            .filter_map(|a| {
                let snap = ol.agent_snapshot(a.user_id)?;
                let st = match (&snap.presence, snap.contacts.is_empty()) {
                    (routing::Presence::Offline, _) => ActualState::Offline,
                    (routing::Presence::Break { .. } | routing::Presence::Missed, _) => {
                        ActualState::Break
                    }
                    (routing::Presence::Available, true) => ActualState::Available,
                    (routing::Presence::Available, false) => ActualState::Busy,
                };
                let since = crate::live::time_of(snap.presence_since).unix_timestamp();
                Some((a.user_id, (a.name.clone(), st, since)))
            })
            .collect()
    });
    let changes: Vec<StateChange> = ids
        .iter()
        .enumerate()
        .filter_map(|(i, id)| {
            live.get(id).map(|(_, st, at)| StateChange {
                agent: i,
                at: *at,
                state: *st,
            })
        })
        .collect();
    let name = |id: &Uuid| {
        live.get(id)
            .map(|l| l.0.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let out = adherence::out_of_adherence(&sched, ids.len(), &changes, now_s, grace);
    // Adherence and conformance so far today (each agent's own local day) and this
    // week, from the agents' state changes in the log and their state now.
    let week_start_s = s.start_utc * 60;
    let team = team_zones(&state, org).await?;
    let zones: Vec<TimeZone> = ids
        .iter()
        .map(|id| team.get(id).cloned().unwrap_or(TimeZone::UTC))
        .collect();
    let index: HashMap<Uuid, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut history = state_changes_since(&state, org, &index, week_start_s).await?;
    history.extend(changes.iter().cloned());
    let so_far = |from: i64| {
        adherence::adherence(
            &sched,
            ids.len(),
            &history,
            from.max(week_start_s),
            now_s.max(from),
        )
    };
    let today = adherence::adherence_local_day(&sched, &zones, &history, week_start_s, now_s);
    let this_week = so_far(week_start_s);
    let pct = |a: &adherence::AgentAdherence| {
        (a.scheduled_s > 0).then(|| {
            json!({
                "adherence": a.adherence,
                "conformance": a.conformance,
                "scheduled_s": a.scheduled_s,
            })
        })
    };
    let out_ids: HashSet<usize> = out.iter().map(|x| x.agent).collect();
    let items: Vec<Value> = out
        .iter()
        .map(|x| {
            json!({
                "agent_id": ids[x.agent],
                "name": name(&ids[x.agent]),
                "scheduled": activity_str(x.scheduled),
                "actual": actual_str(x.actual),
                "since": OffsetDateTime::from_unix_timestamp(x.since).map(wire::ts).unwrap_or_default(),
                "for_s": now_s - x.since,
            })
        })
        .collect();
    let mut agents: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let actual = live.get(id).map_or(ActualState::Offline, |l| l.1);
            json!({
                "agent_id": id,
                "name": name(id),
                "scheduled": activity_str(adherence::scheduled_activity(&sched, i, now_s)),
                "actual": actual_str(actual),
                "in_adherence": !out_ids.contains(&i),
                "today": pct(&today[i]),
                "week": pct(&this_week[i]),
            })
        })
        .collect();
    agents.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let team = |all: &[adherence::AgentAdherence]| {
        let (sched_s, in_s): (i64, i64) = all.iter().fold((0, 0), |(a, b), x| {
            (a + x.scheduled_s, b + x.in_adherence_s)
        });
        let (work_s, actual_s): (i64, i64) = all.iter().fold((0, 0), |(a, b), x| {
            (
                a + x.scheduled_work_s,
                b + x.actual_work_s.min(x.scheduled_work_s),
            )
        });
        (sched_s > 0).then(|| {
            json!({
                "adherence": in_s as f64 / sched_s as f64,
                "conformance": if work_s > 0 { actual_s as f64 / work_s as f64 } else { 1.0 },
            })
        })
    };
    Ok(Json(json!({
        "now": wire::ts(now),
        "schedule_id": o.id,
        "week": s.week,
        "items": items,
        "agents": agents,
        "team_today": team(&today),
        "team_week": team(&this_week),
    })))
}

/// The logged state changes (`agent.state` events) of the schedule's agents from
/// `since_s` on, read newest first until older than that.
async fn state_changes_since(
    state: &AppState,
    org: Uuid,
    index: &HashMap<Uuid, usize>,
    since_s: i64,
) -> ApiResult<Vec<StateChange>> {
    let mut out = Vec::new();
    let mut before = i64::MAX;
    loop {
        let page = state
            .store()
            .read_org_events_of_kind(org, "agent.state", before, 1000)
            .await?;
        let Some(last) = page.last() else { break };
        before = last.seq;
        let mut older = false;
        for e in &page {
            let at = e.at.unix_timestamp();
            if at < since_s {
                older = true;
            }
            let agent = e.data["agent_id"]
                .as_str()
                .and_then(|a| a.parse::<Uuid>().ok())
                .and_then(|a| index.get(&a));
            let st = match e.data["state"].as_str() {
                Some("available") => ActualState::Available,
                Some("break") => ActualState::Break,
                Some("offline") => ActualState::Offline,
                _ => continue,
            };
            if let Some(&agent) = agent {
                // One change before the period says what the agent was doing as it began.
                out.push(StateChange {
                    agent,
                    at,
                    state: st,
                });
            }
        }
        if older || page.len() < 1000 {
            break;
        }
    }
    // Oldest first, so that changes at the same instant keep their order.
    out.reverse();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_and_times() {
        // 2026-11-30 is a Monday.
        let day = wfm::time::days_from_civil(2026, 11, 30);
        assert_eq!(wfm::time::weekday(day), 0);
        assert_eq!(monday_of(day * DAY_MIN + 3 * DAY_MIN + 17), day);
        assert_eq!(date_str(day), "2026-11-30");
        assert_eq!(hhmm("09:30"), Some(570));
        assert_eq!(hhmm("24:00"), Some(1440));
        assert_eq!(hhmm("24:30"), None);
        assert_eq!(hhmm("9:30"), None);
        assert_eq!(SLOTS, 336);
    }

    fn sched(req: Vec<f64>, shifts: Vec<StoredShift>) -> StoredSchedule {
        StoredSchedule {
            week: "2026-11-30".into(),
            start_utc: 0,
            interval_min: 30,
            peak: false,
            status: "published".into(),
            generated_at: String::new(),
            published_at: None,
            requirement: req,
            shifts,
            lower_bound: 0.0,
            shortfall_generated: 0.0,
            agents: vec![],
            unmet_minimum: vec![],
            without_preferences: vec![],
            version: 1,
        }
    }

    #[test]
    fn open_shifts_follow_the_deficit() {
        let mut req = vec![0.0; SLOTS];
        for r in req.iter_mut().take(26).skip(20) {
            *r = 2.0;
        }
        let a = Uuid::from_u128(1);
        let s = sched(
            req,
            vec![StoredShift {
                id: Uuid::from_u128(9),
                agent_id: a,
                local_day: 0,
                start: 20,
                len: 4,
                breaks: vec![],
                source: "generated".into(),
                up_for_swap: false,
            }],
        );
        assert_eq!(s.shortfall(), 8.0);
        // Level 1: 20..26 minus the covered 20..24 → 24..26; level 2: 20..26.
        assert_eq!(s.open_shifts(0), vec![(20, 6), (24, 2)]);
        // Across UTC midnight: cut there where both sides make an hour or more, kept
        // whole where a side would be shorter than that.
        let mut req = vec![0.0; SLOTS];
        req[47..49].fill(1.0); // Monday 23:30 – Tuesday 00:30
        req[93..99].fill(1.0); // Tuesday 22:30 – Wednesday 01:30
        req[143..146].fill(1.0); // Wednesday 23:30 – Thursday 01:00
        let night = sched(req, vec![]);
        assert_eq!(
            night.open_shifts(0),
            vec![(47, 2), (93, 3), (96, 3), (143, 3)]
        );
        assert_eq!(night.open_shifts(48), vec![(93, 3), (96, 3), (143, 3)]);
        let prefs = PreferencesIn::default();
        assert_eq!(extensions(&s, &s.shifts[0], &prefs, -1), vec![(24, 2)]);
        let b = Uuid::from_u128(2);
        assert_eq!(cannot_take(&s, b, &prefs, 20, 6, -1, None), None);
        assert!(cannot_take(&s, a, &prefs, 24, 2, -1, None).is_some());
        assert!(cannot_take(&s, b, &prefs, 0, 2, -1, None).is_some());
    }
}
