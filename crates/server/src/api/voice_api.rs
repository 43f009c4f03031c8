//! Telephony over HTTP (`/api/voice/…`): the organisation's SIP trunks (admins; their
//! passwords sealed, never read back) and the live calls and registrations of the SIP
//! driver (admins and supervisors). The driver itself is `crate::telephony`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use store::{ObjectKind, Role, Store as _};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::error::{Json, Path};
use crate::events::{Actor, LiveEvent};
use crate::telephony::trunks::{self, Directory, TrunkData, TrunkIn, TrunkOut};
use crate::telephony::{ConsultOut, VoiceStatus};
use crate::{ApiError, ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_trunks))
        .routes(routes!(put_trunk, delete_trunk))
        .routes(routes!(voice_status))
        .routes(routes!(connect_audio))
        .routes(routes!(pause_recording))
        .routes(routes!(dial))
        .routes(routes!(place_call))
        .routes(routes!(loopback))
        .routes(routes!(hold))
        .routes(routes!(send_keys))
        .routes(routes!(monitor, monitor_mode))
        .routes(routes!(consult, consult_mode, end_consult))
        .routes(routes!(join_consult))
        .routes(routes!(complete_consult))
        .routes(routes!(list_flows))
        .routes(routes!(put_flow, delete_flow))
        .routes(routes!(check_flow))
        .routes(routes!(list_prompts))
        .routes(routes!(delete_prompt))
        .routes(routes!(prompt_audio))
        .merge(
            // A recording may be far larger than the API's usual bodies.
            OpenApiRouter::new()
                .routes(routes!(put_prompt))
                .layer(axum::extract::DefaultBodyLimit::max(MAX_PROMPT_BYTES)),
        )
}

// ---------- recorded prompts ----------

/// The largest recording accepted, as uploaded (a WAV at any rate).
const MAX_PROMPT_BYTES: usize = 16 * 1024 * 1024;
/// The longest recording kept.
const MAX_PROMPT_SECONDS: usize = 120;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PromptOut {
    /// Names the recording (`/api/voice/prompts/{key}`).
    pub key: String,
    pub text: String,
    /// The recording's length; absent where the sentence is spoken (no recording).
    pub seconds: Option<f64>,
    /// The contact flows that say this sentence.
    pub flows: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PromptsOut {
    pub items: Vec<PromptOut>,
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct PromptQuery {
    /// The sentence the recording says, as a flow says it (case and spacing aside).
    /// Required.
    pub text: Option<String>,
}

/// Every sentence the organisation's contact flows say, each with the recording an
/// admin made of it (played in place of synthesized speech) or none, and recordings no
/// flow says any more (admins).
#[utoipa::path(get, path = "/api/voice/prompts", tag = "voice",
    responses((status = 200, body = PromptsOut), (status = 403, body = crate::error::ErrorBody)))]
async fn list_prompts(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<PromptsOut>> {
    auth.require_admin()?;
    let org = auth.org_id();
    let mut items: Vec<PromptOut> = Vec::new();
    let key = crate::telephony::prompts::sentence_key;
    for o in crate::contacts::load_all_objects(&state, org, ObjectKind::CallFlow).await? {
        let Some(flow) = trunks::flow_of(&o.data) else {
            continue;
        };
        for t in flow.sentences() {
            match items.iter_mut().find(|p| key(&p.text) == key(t)) {
                Some(p) => p.flows.push(o.name.clone()),
                None => items.push(PromptOut {
                    key: crate::telephony::prompts::object_name(t),
                    text: t.to_string(),
                    seconds: None,
                    flows: vec![o.name.clone()],
                }),
            }
        }
    }
    for o in crate::contacts::load_all_objects(&state, org, ObjectKind::VoicePrompt).await? {
        let Ok(r) = serde_json::from_value::<crate::telephony::prompts::Recorded>(o.data) else {
            continue;
        };
        match items.iter_mut().find(|p| key(&p.text) == key(&r.text)) {
            Some(p) => p.seconds = Some(r.seconds),
            None => items.push(PromptOut {
                key: o.name,
                text: r.text,
                seconds: Some(r.seconds),
                flows: vec![],
            }),
        }
    }
    Ok(Json(PromptsOut { items }))
}

/// Record a sentence (admins): the body is a WAV file (16-bit PCM, any rate, mono or
/// stereo, up to two minutes), kept at the telephone's 8 kHz; wherever a contact flow
/// says `text` (case and spacing aside), callers hear the recording instead of the
/// synthesized voice. Replaces an earlier recording of it. Audited as `object.put`.
/// 422 for a body that is not such a WAV, or is longer.
#[utoipa::path(put, path = "/api/voice/prompts", tag = "voice", params(PromptQuery),
    request_body(content = String, content_type = "application/octet-stream",
        description = "the WAV file, under any content type (`audio/wav` too)"),
    responses((status = 200, body = PromptOut), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
async fn put_prompt(
    State(state): State<AppState>,
    auth: Auth,
    crate::error::Query(q): crate::error::Query<PromptQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<PromptOut>> {
    auth.require_admin()?;
    let org = auth.org_id();
    let text = q.text.as_deref().unwrap_or_default().trim();
    if text.is_empty() || text.len() > 1_000 {
        return Err(ApiError::invalid("text: the sentence, 1 to 1,000 bytes"));
    }
    let (rate, pcm) = voice::wav::read(&body).ok_or_else(|| {
        ApiError::invalid("body: a WAV file of 16-bit PCM (mono or stereo) is needed")
    })?;
    if pcm.is_empty() || !(4_000..=96_000).contains(&rate) {
        return Err(ApiError::invalid(
            "body: the recording is empty, or its rate is not 4,000 to 96,000 Hz",
        ));
    }
    if pcm.len() > MAX_PROMPT_SECONDS * rate as usize {
        return Err(ApiError::invalid(format!(
            "body: at most {MAX_PROMPT_SECONDS} seconds"
        )));
    }
    let pcm = voice::wav::resample(&pcm, rate, 8000);
    let rec = crate::telephony::prompts::Recorded::new(text, &pcm);
    let name = crate::telephony::prompts::object_name(text);
    let existing = state
        .store()
        .get_object_by_name(org, ObjectKind::VoicePrompt, &name)
        .await?;
    crate::org_settings::save(
        &state,
        org,
        Actor::from(&auth),
        ObjectKind::VoicePrompt,
        &name,
        &rec,
        existing.as_ref(),
    )
    .await?;
    if let Some(sip) = state.sip() {
        sip.reload().await;
    }
    Ok(Json(PromptOut {
        key: name,
        text: rec.text,
        seconds: Some(rec.seconds),
        flows: vec![],
    }))
}

/// Delete a recording (admins): its sentence is spoken again.
#[utoipa::path(delete, path = "/api/voice/prompts/{key}", tag = "voice",
    params(("key" = String, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
async fn delete_prompt(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
) -> ApiResult<StatusCode> {
    auth.require_admin()?;
    let org = auth.org_id();
    let o = state
        .store()
        .get_object_by_name(org, ObjectKind::VoicePrompt, &key)
        .await?
        .ok_or_else(|| ApiError::not_found("recording"))?;
    crate::org_settings::delete(
        &state,
        org,
        Actor::from(&auth),
        ObjectKind::VoicePrompt,
        o.id,
    )
    .await?;
    if let Some(sip) = state.sip() {
        sip.reload().await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// A recording as callers hear it (admins): 8 kHz mono WAV.
#[utoipa::path(get, path = "/api/voice/prompts/{key}/audio", tag = "voice",
    params(("key" = String, Path)),
    responses((status = 200, content_type = "audio/wav", body = Vec<u8>), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
async fn prompt_audio(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse as _;
    auth.require_admin()?;
    let o = state
        .store()
        .get_object_by_name(auth.org_id(), ObjectKind::VoicePrompt, &key)
        .await?
        .ok_or_else(|| ApiError::not_found("recording"))?;
    let pcm = serde_json::from_value::<crate::telephony::prompts::Recorded>(o.data)
        .ok()
        .and_then(|r| r.samples())
        .ok_or_else(|| ApiError::internal("the stored recording does not read"))?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "audio/wav")],
        voice::wav::mono(8000, &pcm),
    )
        .into_response())
}

// ---------- contact flows ----------

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowIn {
    /// The flow: `{"start": "step", "timezone": "America/Chicago", "language": "es",
    /// "steps": {...}}`; each step has a `type` (`say`, `menu`, `collect`, `branch`,
    /// `queue`, `voicemail`, `hangup`). `language` (`en`, `es`, `fr`, `de`, `pt`, `it`;
    /// English when left out) is the voice callers hear and the language of the place
    /// in line and the callback offer. See the example in the list.
    #[schema(value_type = Object)]
    pub flow: serde_json::Value,
}

/// One problem with a flow: a JSON pointer into it, and what is wrong there.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FlowProblem {
    pub path: String,
    pub message: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FlowCheckOut {
    /// Empty when the flow may be saved.
    pub errors: Vec<FlowProblem>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FlowOut {
    pub name: String,
    #[schema(value_type = Object)]
    pub flow: serde_json::Value,
    /// The numbers whose callers go through it.
    pub numbers: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FlowsOut {
    pub items: Vec<FlowOut>,
    /// A flow to start from: business hours, a menu, an order number, a callback
    /// offer while waiting, voicemail when closed.
    #[schema(value_type = Object)]
    pub example: serde_json::Value,
}

/// Reads and checks a flow against the organisation's queues; every problem, each with
/// its JSON pointer.
async fn check(
    state: &AppState,
    org: uuid::Uuid,
    value: &serde_json::Value,
) -> ApiResult<Result<voice::flow::Flow, Vec<FlowProblem>>> {
    let problem = |e: voice::flow::FlowError| FlowProblem {
        path: e.path,
        message: e.message,
    };
    let flow = match voice::flow::Flow::parse(&value.to_string()) {
        Ok(f) => f,
        Err(e) => return Ok(Err(vec![problem(e)])),
    };
    let queues: Vec<String> = crate::contacts::load_all_objects(state, org, ObjectKind::Queue)
        .await?
        .into_iter()
        .map(|o| o.name)
        .collect();
    let queue = |q: &str| queues.iter().any(|n| n == q);
    let zone = |z: &str| jiff::tz::TimeZone::get(z).is_ok();
    let errors: Vec<FlowProblem> = flow
        .validate(&voice::flow::Known {
            queue: &queue,
            zone: &zone,
        })
        .into_iter()
        .map(problem)
        .collect();
    Ok(if errors.is_empty() {
        Ok(flow)
    } else {
        Err(errors)
    })
}

/// The organisation's contact flows (admins), the numbers that use each, and an
/// example to start from.
#[utoipa::path(get, path = "/api/voice/flows", tag = "voice",
    responses((status = 200, body = FlowsOut), (status = 403, body = crate::error::ErrorBody)))]
async fn list_flows(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<FlowsOut>> {
    auth.require_admin()?;
    let org = auth.org_id();
    let users = flow_users(&state, org).await?;
    let items = crate::contacts::load_all_objects(&state, org, ObjectKind::CallFlow)
        .await?
        .into_iter()
        .map(|o| FlowOut {
            numbers: users
                .iter()
                .filter(|(f, _)| *f == o.name)
                .map(|(_, n)| n.clone())
                .collect(),
            flow: o.data.get("flow").cloned().unwrap_or_default(),
            name: o.name,
        })
        .collect();
    let first_queue = crate::contacts::load_all_objects(&state, org, ObjectKind::Queue)
        .await?
        .into_iter()
        .map(|o| o.name)
        .min()
        .unwrap_or_else(|| "Support".into());
    let example = serde_json::to_value(voice::flow::example(&first_queue)).unwrap_or_default();
    Ok(Json(FlowsOut { items, example }))
}

/// (flow, number) for every number of the organisation's trunks that names a flow.
async fn flow_users(state: &AppState, org: uuid::Uuid) -> ApiResult<Vec<(String, String)>> {
    Ok(
        crate::contacts::load_all_objects(state, org, ObjectKind::Trunk)
            .await?
            .into_iter()
            .filter_map(|o| serde_json::from_value::<TrunkData>(o.data).ok())
            .flat_map(|d| d.trunk.numbers)
            .filter_map(|n| Some((n.flow?, n.number)))
            .collect(),
    )
}

/// Check a contact flow without saving it (admins): every problem, each with the JSON
/// pointer of what is wrong, for the editor to show where.
#[utoipa::path(post, path = "/api/voice/flows/check", tag = "voice", request_body = FlowIn,
    responses((status = 200, body = FlowCheckOut), (status = 403, body = crate::error::ErrorBody)))]
async fn check_flow(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<FlowIn>,
) -> ApiResult<Json<FlowCheckOut>> {
    auth.require_admin()?;
    let errors = check(&state, auth.org_id(), &body.flow)
        .await?
        .err()
        .unwrap_or_default();
    Ok(Json(FlowCheckOut { errors }))
}

/// Create or replace a contact flow (admins). A flow with problems is refused (422)
/// with every problem in `details.errors` (`path`, a JSON pointer, and `message`).
/// Calls already in the flow finish the version they started with. Audited as
/// `object.put`.
#[utoipa::path(put, path = "/api/voice/flows/{name}", tag = "voice", request_body = FlowIn,
    params(("name" = String, Path, description = "lowercase letters, digits and dashes, 2 to 64")),
    responses((status = 200, body = FlowOut), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
async fn put_flow(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
    Json(body): Json<FlowIn>,
) -> ApiResult<Json<FlowOut>> {
    auth.require_admin()?;
    let org = auth.org_id();
    if !crate::seed::valid_slug(&name) {
        return Err(ApiError::invalid(
            "name: lowercase letters, digits and dashes, 2 to 64",
        ));
    }
    if body.flow.to_string().len() > 100_000 {
        return Err(ApiError::invalid("flow: at most 100,000 bytes"));
    }
    let flow = match check(&state, org, &body.flow).await? {
        Ok(f) => f,
        Err(errors) => {
            let first = format!(
                "the flow at {}: {}",
                if errors[0].path.is_empty() {
                    "/"
                } else {
                    &errors[0].path
                },
                errors[0].message
            );
            return Err(
                ApiError::invalid(first).with_details(serde_json::json!({ "errors": errors }))
            );
        }
    };
    let existing = state
        .store()
        .get_object_by_name(org, ObjectKind::CallFlow, &name)
        .await?;
    let value = serde_json::to_value(&flow).unwrap_or_default();
    crate::org_settings::save(
        &state,
        org,
        Actor::from(&auth),
        ObjectKind::CallFlow,
        &name,
        &serde_json::json!({ "flow": value }),
        existing.as_ref(),
    )
    .await?;
    if let Some(sip) = state.sip() {
        sip.reload().await;
    }
    let numbers = flow_users(&state, org)
        .await?
        .into_iter()
        .filter(|(f, _)| *f == name)
        .map(|(_, n)| n)
        .collect();
    Ok(Json(FlowOut {
        name,
        flow: value,
        numbers,
    }))
}

/// Delete a contact flow (admins); refused (409) while a number names it.
#[utoipa::path(delete, path = "/api/voice/flows/{name}", tag = "voice",
    params(("name" = String, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn delete_flow(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    auth.require_admin()?;
    let org = auth.org_id();
    let o = state
        .store()
        .get_object_by_name(org, ObjectKind::CallFlow, &name)
        .await?
        .ok_or_else(|| ApiError::not_found("contact flow"))?;
    let users: Vec<String> = flow_users(&state, org)
        .await?
        .into_iter()
        .filter(|(f, _)| *f == name)
        .map(|(_, n)| n)
        .collect();
    if !users.is_empty() {
        return Err(ApiError::conflict(format!(
            "the numbers {} go through this flow; point them elsewhere first",
            users.join(", ")
        )));
    }
    crate::org_settings::delete(&state, org, Actor::from(&auth), ObjectKind::CallFlow, o.id)
        .await?;
    if let Some(sip) = state.sip() {
        sip.reload().await;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldIn {
    /// `true`: the caller hears the hold music and the agent hears nothing of them;
    /// `false`: back on the line.
    pub on: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HoldOut {
    pub held: bool,
}

/// Put the caller on hold, or take them back (the contact's agent, while active). 409
/// when the contact has no live call.
#[utoipa::path(post, path = "/api/voice/calls/{id}/hold", tag = "voice", request_body = HoldIn,
    params(("id" = uuid::Uuid, Path, description = "the contact's id")),
    responses((status = 200, body = HoldOut), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn hold(
    State(state): State<AppState>,
    auth: Auth,
    Path(contact_id): Path<uuid::Uuid>,
    Json(body): Json<HoldIn>,
) -> ApiResult<Json<HoldOut>> {
    let (_, sip) = held_call(&state, &auth, contact_id, "puts it on hold").await?;
    if !sip.hold(auth.org_id(), contact_id, body.on).await {
        return Err(ApiError::conflict("this contact has no live call"));
    }
    Ok(Json(HoldOut { held: body.on }))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeysIn {
    /// 1 to 32 of `0`–`9`, `*`, `#`, sent one every 200 ms.
    pub keys: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeysOut {
    /// How many keys were queued (their values are not kept or logged).
    pub sent: usize,
}

/// Press keys on the call (the agent's keypad: an extension or a menu on the other
/// side), sent as RFC 4733 events on the telephone-event type the call agreed. The
/// contact's agent, while active; 409 when the contact has no live call.
#[utoipa::path(post, path = "/api/voice/calls/{id}/keys", tag = "voice", request_body = KeysIn,
    params(("id" = uuid::Uuid, Path, description = "the contact's id")),
    responses((status = 200, body = KeysOut), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
async fn send_keys(
    State(state): State<AppState>,
    auth: Auth,
    Path(contact_id): Path<uuid::Uuid>,
    Json(body): Json<KeysIn>,
) -> ApiResult<Json<KeysOut>> {
    let (_, sip) = held_call(&state, &auth, contact_id, "presses keys on it").await?;
    let ok = !body.keys.is_empty()
        && body.keys.len() <= 32
        && body
            .keys
            .chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '#');
    if !ok {
        return Err(ApiError::invalid("keys: 1 to 32 of 0-9, * and #"));
    }
    let sent = body.keys.len();
    if !sip.keys(auth.org_id(), contact_id, body.keys).await {
        return Err(ApiError::conflict("this contact has no live call"));
    }
    Ok(Json(KeysOut { sent }))
}

/// The SIP driver, or a 409 where telephony is off.
fn telephony(state: &AppState) -> ApiResult<crate::telephony::Sip> {
    state
        .sip()
        .cloned()
        .ok_or_else(|| ApiError::conflict("telephony is off on this server"))
}

/// A browser's SDP offer of a sane size.
fn check_offer(sdp: &str) -> ApiResult<()> {
    if sdp.len() > 20_000 {
        return Err(ApiError::invalid("sdp: at most 20,000 bytes"));
    }
    Ok(())
}

/// The driver's answer to a browser's offer: the SDP, a 422 for an offer it cannot
/// answer, a 409 for a call it cannot join.
fn answered(r: Result<String, String>) -> ApiResult<String> {
    match r {
        Ok(sdp) => Ok(sdp),
        Err(e) if e.starts_with("sdp:") => Err(ApiError::invalid(e)),
        Err(e) => Err(ApiError::conflict(e)),
    }
}

/// The contact of a call the signed-in user holds as its agent (while it is active),
/// and the SIP driver; `doing` says what only that agent may do.
async fn held_call(
    state: &AppState,
    auth: &Auth,
    id: uuid::Uuid,
    doing: &str,
) -> ApiResult<(store::Contact, crate::telephony::Sip)> {
    auth.require(&[Role::Admin, Role::Supervisor, Role::Agent])?;
    let c = crate::contacts::visible(state, auth, id).await?;
    if c.agent_id != Some(auth.user.id) || c.status != store::ContactStatus::Active {
        return Err(ApiError::forbidden(format!(
            "only the agent who holds this call {doing}, while it is active"
        )));
    }
    if c.channel != store::Channel::Voice {
        return Err(ApiError::conflict("this contact is not a call"));
    }
    Ok((c, telephony(state)?))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordingIn {
    /// `true`: stop recording (a card payment is read out or keyed in); `false`: go on.
    pub paused: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecordingOut {
    /// `paused`, `recording`, or `off` (this call's queue does not record).
    pub recording: String,
}

/// Pause or resume the recording of a call the agent holds, e.g. while the caller gives
/// a card number (what is said and keyed meanwhile is not recorded; key presses are
/// never kept anyway). Only the contact's agent, while it is active; 409 when the call
/// is over.
#[utoipa::path(post, path = "/api/voice/calls/{id}/recording", tag = "voice", request_body = RecordingIn,
    params(("id" = uuid::Uuid, Path, description = "the contact's id")),
    responses((status = 200, body = RecordingOut), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn pause_recording(
    State(state): State<AppState>,
    auth: Auth,
    Path(contact_id): Path<uuid::Uuid>,
    Json(body): Json<RecordingIn>,
) -> ApiResult<Json<RecordingOut>> {
    let (_, sip) = held_call(&state, &auth, contact_id, "pauses its recording").await?;
    let records = sip
        .pause_recording(auth.org_id(), contact_id, body.paused)
        .await
        .ok_or_else(|| ApiError::conflict("this contact has no live call"))?;
    tracing::info!(contact = %contact_id, user = %auth.user.id, paused = body.paused, "call recording paused or resumed");
    Ok(Json(RecordingOut {
        recording: match (records, body.paused) {
            (false, _) => "off",
            (true, true) => "paused",
            (true, false) => "recording",
        }
        .into(),
    }))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MonitorIn {
    /// The supervisor's browser's SDP offer, with PCMU audio.
    pub sdp: String,
    /// `listen` (nobody hears the supervisor), `whisper` (the agent does), `barge`
    /// (everyone does).
    pub mode: crate::telephony::media::Monitor,
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MonitorModeIn {
    pub mode: crate::telephony::media::Monitor,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MonitorOut {
    /// Homeshore's SDP answer (on joining); absent on a change of mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdp: Option<String>,
    pub mode: crate::telephony::media::Monitor,
}

/// Audits a supervisor's listen, whisper or barge on a call (`supervision` in the log,
/// with the contact and its agent).
async fn audit_monitor(
    state: &AppState,
    auth: &Auth,
    c: &store::Contact,
    mode: crate::telephony::media::Monitor,
) -> ApiResult<()> {
    let ev = LiveEvent::Supervision {
        contact_id: c.id,
        agent_id: c.agent_id,
        action: format!("call_{}", mode.as_str()),
        priority: None,
        reason: None,
    }
    .change(auth.org_id(), state.now(), Actor::from(auth));
    state.write(vec![ev], vec![]).await?;
    Ok(())
}

/// A live call a supervisor may join: the contact must be active with an agent.
async fn monitored(
    state: &AppState,
    auth: &Auth,
    id: uuid::Uuid,
) -> ApiResult<(store::Contact, crate::telephony::Sip)> {
    auth.require(&[Role::Admin, Role::Supervisor])?;
    let c = crate::contacts::visible(state, auth, id).await?;
    if c.status != store::ContactStatus::Active || c.channel != store::Channel::Voice {
        return Err(ApiError::conflict(
            "only a call an agent is on can be listened to",
        ));
    }
    Ok((c, telephony(state)?))
}

/// Join a live call from the browser (supervisors and admins): listen to both sides,
/// whisper to the agent (the caller does not hear it), or barge in (everyone hears
/// everyone). Send the browser's SDP offer, get the answer. Audited (`supervision`,
/// `call_listen` / `call_whisper` / `call_barge`). 409 when the contact has no live
/// call with an agent.
#[utoipa::path(post, path = "/api/voice/calls/{id}/monitor", tag = "voice", request_body = MonitorIn,
    params(("id" = uuid::Uuid, Path, description = "the contact's id")),
    responses((status = 200, body = MonitorOut), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
async fn monitor(
    State(state): State<AppState>,
    auth: Auth,
    Path(contact_id): Path<uuid::Uuid>,
    Json(body): Json<MonitorIn>,
) -> ApiResult<Json<MonitorOut>> {
    let (c, sip) = monitored(&state, &auth, contact_id).await?;
    check_offer(&body.sdp)?;
    let answer = answered(
        sip.monitor(auth.org_id(), contact_id, body.sdp, body.mode)
            .await,
    )?;
    audit_monitor(&state, &auth, &c, body.mode).await?;
    Ok(Json(MonitorOut {
        sdp: Some(answer),
        mode: body.mode,
    }))
}

/// Change how the supervisor on a call takes part: `listen`, `whisper` or `barge`.
/// Audited like joining. 409 when no supervisor is on the call.
#[utoipa::path(put, path = "/api/voice/calls/{id}/monitor", tag = "voice", request_body = MonitorModeIn,
    params(("id" = uuid::Uuid, Path, description = "the contact's id")),
    responses((status = 200, body = MonitorOut), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn monitor_mode(
    State(state): State<AppState>,
    auth: Auth,
    Path(contact_id): Path<uuid::Uuid>,
    Json(body): Json<MonitorModeIn>,
) -> ApiResult<Json<MonitorOut>> {
    let (c, sip) = monitored(&state, &auth, contact_id).await?;
    if !sip.monitor_mode(auth.org_id(), contact_id, body.mode).await {
        return Err(ApiError::conflict("no supervisor is on this call"));
    }
    audit_monitor(&state, &auth, &c, body.mode).await?;
    Ok(Json(MonitorOut {
        sdp: None,
        mode: body.mode,
    }))
}

// ---------- consult, conference, warm transfer ----------

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsultIn {
    /// The colleague to ask: another agent (or supervisor) of the organisation.
    pub agent_id: uuid::Uuid,
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsultModeIn {
    /// `true`: the caller, the agent and the colleague all talk; `false`: the agent
    /// and the colleague alone, the caller hearing the music.
    pub conference: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HandOverOut {
    /// The colleague took the call; when `false` (no room for a call, not available)
    /// it waits for them, offered as soon as they can take it, the caller hearing the
    /// music.
    pub taken: bool,
    pub contact: crate::wire::ContactOut,
}

/// Tells both sides of a consult how it stands (`consult` on their staff feeds).
fn tell_consult(
    state: &AppState,
    holder: Option<uuid::Uuid>,
    contact: uuid::Uuid,
    c: &ConsultOut,
    by: &str,
) {
    let data = c.note(contact, by);
    let mut notes = vec![crate::hub::Note::user(c.agent_id, "consult", data.clone())];
    if let Some(h) = holder.filter(|h| *h != c.agent_id) {
        notes.push(crate::hub::Note::user(h, "consult", data));
    }
    state.hub().publish(notes);
}

/// 404 unless the contact is this organisation's. (A colleague asked to join a call
/// does not hold its contact, so `contacts::visible` would refuse them.)
async fn this_org_contact(state: &AppState, auth: &Auth, id: uuid::Uuid) -> ApiResult<()> {
    crate::contacts::load(state, auth.org_id(), id)
        .await?
        .map(|_| ())
        .ok_or_else(|| ApiError::not_found("contact"))
}

/// The agent who holds a contact's call, from the live state.
fn holder_of(state: &AppState, org: uuid::Uuid, contact: uuid::Uuid) -> Option<uuid::Uuid> {
    state.with_org(org, |o| {
        o.contact(contact).and_then(|lc| lc.contact.agent_id)
    })
}

/// Ask a colleague to join a call you hold (a consult before a warm transfer, or a
/// conference): their desktop shows the request, and they join from the browser
/// (`POST /api/voice/calls/{id}/consult/join`). Only the contact's agent, while it is
/// active; 409 while another colleague is asked, or when the call is over.
#[utoipa::path(post, path = "/api/voice/calls/{id}/consult", tag = "voice", request_body = ConsultIn,
    params(("id" = uuid::Uuid, Path, description = "the contact's id")),
    responses((status = 200, body = ConsultOut), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
async fn consult(
    State(state): State<AppState>,
    auth: Auth,
    Path(contact_id): Path<uuid::Uuid>,
    Json(body): Json<ConsultIn>,
) -> ApiResult<Json<ConsultOut>> {
    let (c, sip) = held_call(&state, &auth, contact_id, "asks a colleague to join it").await?;
    if body.agent_id == auth.user.id {
        return Err(ApiError::invalid("agent_id: someone other than you"));
    }
    let name = state
        .with_org(auth.org_id(), |o| {
            o.agent(body.agent_id).map(|a| a.name.clone())
        })
        .ok_or_else(|| ApiError::invalid("agent_id: no such agent"))?;
    sip.consult(auth.org_id(), contact_id, body.agent_id, name)
        .await
        .map_err(ApiError::conflict)?;
    let out = sip
        .consult_of(auth.org_id(), contact_id)
        .await
        .ok_or_else(|| ApiError::conflict("this contact has no live call"))?;
    let from = state
        .with_org(auth.org_id(), |o| {
            o.agent(auth.user.id).map(|a| a.name.clone())
        })
        .unwrap_or_else(|| auth.user.name.clone());
    let mut data = out.note(contact_id, &from);
    data["caller"] = c
        .data
        .get("customer_name")
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    state
        .hub()
        .publish(vec![crate::hub::Note::user(out.agent_id, "consult", data)]);
    tracing::info!(contact = %contact_id, user = %auth.user.id, colleague = %out.agent_id, "an agent asked a colleague to join a call");
    Ok(Json(out))
}

/// Join a call a colleague asked you to (WebRTC: send the browser's SDP offer, get the
/// answer). You and the agent then talk while the caller hears the music, until the
/// agent makes it a conference, hands the call over to you, or calls it off. 403 when
/// you were not asked; 409 when the call is over.
#[utoipa::path(post, path = "/api/voice/calls/{id}/consult/join", tag = "voice", request_body = AudioIn,
    params(("id" = uuid::Uuid, Path, description = "the contact's id")),
    responses((status = 200, body = AudioOut), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn join_consult(
    State(state): State<AppState>,
    auth: Auth,
    Path(contact_id): Path<uuid::Uuid>,
    Json(body): Json<AudioIn>,
) -> ApiResult<Json<AudioOut>> {
    auth.require(&[Role::Admin, Role::Supervisor, Role::Agent])?;
    this_org_contact(&state, &auth, contact_id).await?;
    check_offer(&body.sdp)?;
    let sip = telephony(&state)?;
    let asked = sip
        .consult_of(auth.org_id(), contact_id)
        .await
        .is_some_and(|c| c.agent_id == auth.user.id);
    if !asked {
        return Err(ApiError::forbidden("you were not asked to join this call"));
    }
    let sdp = answered(
        sip.join_consult(auth.org_id(), contact_id, auth.user.id, body.sdp)
            .await,
    )?;
    if let Some(out) = sip.consult_of(auth.org_id(), contact_id).await {
        let holder = holder_of(&state, auth.org_id(), contact_id);
        tell_consult(&state, holder, contact_id, &out, &auth.user.name);
    }
    Ok(Json(AudioOut { sdp }))
}

/// Make the consult a conference (all three talk) or take it back to the agent and
/// the colleague alone. Only the contact's agent; 409 until the colleague has joined.
#[utoipa::path(put, path = "/api/voice/calls/{id}/consult", tag = "voice", request_body = ConsultModeIn,
    params(("id" = uuid::Uuid, Path, description = "the contact's id")),
    responses((status = 200, body = ConsultOut), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn consult_mode(
    State(state): State<AppState>,
    auth: Auth,
    Path(contact_id): Path<uuid::Uuid>,
    Json(body): Json<ConsultModeIn>,
) -> ApiResult<Json<ConsultOut>> {
    let (_, sip) = held_call(&state, &auth, contact_id, "makes it a conference").await?;
    if !sip
        .consult_mode(auth.org_id(), contact_id, body.conference)
        .await
    {
        return Err(ApiError::conflict("no colleague has joined this call"));
    }
    let out = sip
        .consult_of(auth.org_id(), contact_id)
        .await
        .ok_or_else(|| ApiError::conflict("this contact has no live call"))?;
    tell_consult(
        &state,
        Some(auth.user.id),
        contact_id,
        &out,
        &auth.user.name,
    );
    Ok(Json(out))
}

/// End a consult: the colleague leaves the call (or is no longer asked) and the agent
/// has the caller back. The agent who holds the call, or the colleague themselves.
/// 409 when there is no consult on the call.
#[utoipa::path(delete, path = "/api/voice/calls/{id}/consult", tag = "voice",
    params(("id" = uuid::Uuid, Path, description = "the contact's id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)))]
async fn end_consult(
    State(state): State<AppState>,
    auth: Auth,
    Path(contact_id): Path<uuid::Uuid>,
) -> ApiResult<StatusCode> {
    auth.require(&[Role::Admin, Role::Supervisor, Role::Agent])?;
    this_org_contact(&state, &auth, contact_id).await?;
    let sip = telephony(&state)?;
    let consult = sip
        .consult_of(auth.org_id(), contact_id)
        .await
        .ok_or_else(|| ApiError::conflict("there is no consult on this call"))?;
    let holder = holder_of(&state, auth.org_id(), contact_id);
    if holder != Some(auth.user.id) && consult.agent_id != auth.user.id {
        return Err(ApiError::forbidden(
            "only the agent who holds this call, or the colleague asked, ends a consult",
        ));
    }
    let mut out = sip
        .end_consult(auth.org_id(), contact_id, None)
        .await
        .ok_or_else(|| ApiError::conflict("there is no consult on this call"))?;
    out.state = "ended".into();
    tell_consult(&state, holder, contact_id, &out, &auth.user.name);
    Ok(StatusCode::NO_CONTENT)
}

/// Hand the call over to the colleague on it (the end of a warm transfer): the
/// contact becomes theirs at once, their desktop joins its audio, and yours leaves.
/// Only the contact's agent, once the colleague has joined; 409 before.
#[utoipa::path(post, path = "/api/voice/calls/{id}/consult/complete", tag = "voice",
    params(("id" = uuid::Uuid, Path, description = "the contact's id")),
    responses((status = 200, body = HandOverOut), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn complete_consult(
    State(state): State<AppState>,
    auth: Auth,
    Path(contact_id): Path<uuid::Uuid>,
) -> ApiResult<Json<HandOverOut>> {
    let (_, sip) = held_call(&state, &auth, contact_id, "hands it over").await?;
    let consult = sip
        .consult_of(auth.org_id(), contact_id)
        .await
        .filter(|c| c.state != "invited")
        .ok_or_else(|| ApiError::conflict("no colleague has joined this call"))?;
    let legs = sip.agent_legs(auth.org_id(), contact_id).await;
    let (contact, taken) = crate::contacts::hand_over(
        &state,
        auth.org_id(),
        Actor::from(&auth),
        contact_id,
        consult.agent_id,
    )
    .await?;
    let handed = legs.filter(|_| taken);
    if let Some(mut out) = sip.end_consult(auth.org_id(), contact_id, handed).await {
        out.state = if taken { "handed_over" } else { "ended" }.into();
        tell_consult(
            &state,
            Some(auth.user.id),
            contact_id,
            &out,
            &auth.user.name,
        );
    }
    tracing::info!(contact = %contact_id, user = %auth.user.id, colleague = %consult.agent_id, taken, "an agent handed a call over");
    Ok(Json(HandOverOut {
        taken,
        contact: crate::wire::contact_out(&contact),
    }))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DialIn {
    /// The number to call (E.164, `+15550001`); the number the caller asked to be
    /// called back at when left out.
    #[serde(default)]
    pub number: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DialOut {
    /// `dialling`: the call is out; its audio is joined like any call's
    /// (`POST /api/voice/calls/{id}/audio`), and `GET /api/voice/status` shows it ring.
    pub state: String,
    pub number: String,
}

/// Call the customer of a voice contact the agent holds — a callback the caller asked
/// for, or any number they give — through the phone line the call came in on (or the
/// organisation's first that places calls). Only the contact's agent, while it is
/// active; 409 while the contact has a live call, or when no phone line places calls.
/// A call nobody answers leaves the contact open with the attempt noted
/// (`callback.attempts`, `callback.last`).
#[utoipa::path(post, path = "/api/voice/calls/{id}/dial", tag = "voice", request_body = DialIn,
    params(("id" = uuid::Uuid, Path, description = "the contact's id")),
    responses((status = 200, body = DialOut), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
async fn dial(
    State(state): State<AppState>,
    auth: Auth,
    Path(contact_id): Path<uuid::Uuid>,
    Json(body): Json<DialIn>,
) -> ApiResult<Json<DialOut>> {
    let (c, sip) = held_call(&state, &auth, contact_id, "calls its customer").await?;
    // A callback's number, or the number of a call placed from the desktop.
    let callback = c.data.get("callback").or_else(|| c.data.get("outbound"));
    let number = body
        .number
        .or_else(|| {
            callback
                .and_then(|cb| cb.get("number"))
                .and_then(|n| n.as_str())
                .map(str::to_string)
        })
        .ok_or_else(|| {
            ApiError::invalid("number: this contact has no callback number; give one")
        })?;
    let number = e164(&number)?;
    let trunk = callback
        .and_then(|cb| cb.get("trunk"))
        .and_then(|t| t.as_str())
        .map(str::to_string);
    sip.dial(auth.org_id(), contact_id, number.clone(), trunk)
        .await
        .map_err(ApiError::conflict)?;
    tracing::info!(contact = %contact_id, user = %auth.user.id, "an agent called a customer back");
    Ok(Json(DialOut {
        state: "dialling".into(),
        number,
    }))
}

/// A number as typed (`+1 (555) 000-1234`) in E.164 (`+15550001234`), or a 422 naming
/// `number`.
fn e164(number: &str) -> ApiResult<String> {
    let digits = trunks::number_key(number);
    let shaped = number
        .trim()
        .chars()
        .all(|ch| ch.is_ascii_digit() || " +-().".contains(ch));
    if !shaped || !(3..=15).contains(&digits.len()) {
        return Err(ApiError::invalid("number: 3 to 15 digits, e.g. +15550001"));
    }
    Ok(format!("+{digits}"))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceCallIn {
    /// The number to call (E.164, `+15550001`).
    pub number: String,
    /// The queue the call counts in (its reports, its recording policy).
    pub queue_id: uuid::Uuid,
    /// The customer's name, for a number not known yet.
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlacedCallOut {
    /// The call's contact: yours, active; the desktop joins its audio
    /// (`POST /api/voice/calls/{id}/audio`) while it rings.
    pub contact: crate::wire::ContactOut,
    pub number: String,
    /// `dialling`.
    pub state: String,
}

/// Call a number from the desktop (click-to-dial): a new voice contact for the
/// customer with that phone number (found, or created under `name`), in `queue_id`,
/// yours at once, and the call placed through the organisation's first phone line that
/// places calls. An agent who cannot take a call now (not available, a call or chats
/// already filling their capacity) gets a 409 and no contact is left behind; so does an
/// organisation with no phone line that places calls.
#[utoipa::path(post, path = "/api/voice/calls", tag = "voice", request_body = PlaceCallIn,
    responses((status = 201, body = PlacedCallOut), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn place_call(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<PlaceCallIn>,
) -> ApiResult<(StatusCode, Json<PlacedCallOut>)> {
    auth.require(&[Role::Admin, Role::Supervisor, Role::Agent])?;
    let number = e164(&body.number)?;
    let name = body
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if name.is_some_and(|n| n.len() > 200) {
        return Err(ApiError::invalid("name: at most 200 bytes"));
    }
    let org = auth.org_id();
    if !state.with_org(org, |o| o.queue(body.queue_id).is_some()) {
        return Err(ApiError::invalid("queue_id: no such queue"));
    }
    let sip = telephony(&state)?;
    if !sip.places_calls(org).await {
        return Err(ApiError::conflict(
            "no phone line places calls: give one an outbound address (Admin → Phone lines)",
        ));
    }
    let actor = Actor::from(&auth);
    let mut new = crate::contacts::NewContact::new(
        store::Channel::Voice,
        body.queue_id,
        crate::contacts::CustomerRef::New {
            name: name.unwrap_or(&number).to_string(),
            email: None,
            identity: Some(("phone".into(), number.clone())),
        },
    );
    new.data
        .insert("outbound".into(), serde_json::json!({"number": number}));
    let c = crate::contacts::create_contact_for(&state, org, actor, new, Some((auth.user.id, 60)))
        .await?;
    let offer = state.with_org(org, |o| {
        o.contact(c.id)
            .and_then(|lc| lc.offer)
            .and_then(|x| o.offer(x))
            .filter(|off| off.agent_id == auth.user.id)
            .map(|off| off.id)
    });
    let Some(offer) = offer else {
        crate::contacts::end_contact(&state, org, c.id, actor).await?;
        return Err(ApiError::conflict(
            "you cannot take a call now: be available, with no call and room for one",
        ));
    };
    let c = match crate::contacts::accept_offer(&state, org, actor, offer).await {
        Ok(c) => c,
        Err(e) => {
            // The offer went in between (the agent's state changed): no call, no contact.
            crate::contacts::end_contact(&state, org, c.id, actor).await?;
            return Err(e);
        }
    };
    if let Err(e) = sip.dial(org, c.id, number.clone(), None).await {
        crate::contacts::end_contact(&state, org, c.id, actor).await?;
        return Err(ApiError::conflict(e));
    }
    tracing::info!(contact = %c.id, user = %auth.user.id, "an agent placed a call");
    Ok((
        StatusCode::CREATED,
        Json(PlacedCallOut {
            contact: crate::wire::contact_out(&c),
            number,
            state: "dialling".into(),
        }),
    ))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AudioIn {
    /// The browser's SDP offer (`RTCPeerConnection.createOffer`), with PCMU audio.
    pub sdp: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AudioOut {
    /// Homeshore's SDP answer (ICE-lite, one host candidate, PCMU).
    pub sdp: String,
}

/// Connect the agent's browser to the call of a contact they hold (WebRTC): send the
/// browser's SDP offer, get the answer. The caller then hears the agent and the agent
/// the caller. Only the contact's agent, while it is active; 409 when the contact has
/// no live call (the caller hung up, or telephony is off).
#[utoipa::path(post, path = "/api/voice/calls/{id}/audio", tag = "voice", request_body = AudioIn,
    params(("id" = uuid::Uuid, Path, description = "the contact's id")),
    responses((status = 200, body = AudioOut), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
async fn connect_audio(
    State(state): State<AppState>,
    auth: Auth,
    Path(contact_id): Path<uuid::Uuid>,
    Json(body): Json<AudioIn>,
) -> ApiResult<Json<AudioOut>> {
    let (_, sip) = held_call(&state, &auth, contact_id, "joins its audio").await?;
    check_offer(&body.sdp)?;
    let sdp = answered(sip.connect_agent(auth.org_id(), contact_id, body.sdp).await)?;
    Ok(Json(AudioOut { sdp }))
}

/// The device check's audio test (no sign-in: it runs before a shift): the browser's
/// offer is answered like an agent's leg on a call, and every audio frame it sends
/// comes back, for 20 seconds, so the page sees call audio cross the network both
/// ways. At most 16 run at once, 2 from one address (429 beyond, with Retry-After);
/// 409 where telephony is off.
#[utoipa::path(post, path = "/api/voice/loopback", tag = "voice", request_body = AudioIn,
    responses((status = 200, body = AudioOut), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
async fn loopback(
    State(state): State<AppState>,
    crate::auth::ClientIp(client): crate::auth::ClientIp,
    Json(body): Json<AudioIn>,
) -> ApiResult<Json<AudioOut>> {
    check_offer(&body.sdp)?;
    let sip = telephony(&state)?;
    match sip.loopback(&body.sdp, client).await {
        Err(e) if e == "busy" => Err(ApiError::too_many(
            "too many device checks at once; try again in a moment",
            20,
        )),
        r => Ok(Json(AudioOut { sdp: answered(r)? })),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TrunksOut {
    pub items: Vec<TrunkOut>,
}

/// The organisation's SIP trunks (admins).
#[utoipa::path(get, path = "/api/voice/trunks", tag = "voice",
    responses((status = 200, body = TrunksOut), (status = 403, body = crate::error::ErrorBody)))]
async fn list_trunks(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<TrunksOut>> {
    auth.require_admin()?;
    let items = crate::contacts::load_all_objects(&state, auth.org_id(), ObjectKind::Trunk)
        .await?
        .into_iter()
        .filter_map(|o| {
            let d: TrunkData = serde_json::from_value(o.data).ok()?;
            Some(TrunkOut::of(o.name, &d))
        })
        .collect();
    Ok(Json(TrunksOut { items }))
}

/// Create or replace a SIP trunk (admins): its numbers and their queues, the addresses
/// it sends calls from, digest credentials, and the provider to register with.
/// Passwords are sealed; leaving one out keeps the stored one. A number another trunk
/// holds is refused. Takes effect for the next call. Audited as `object.put`.
#[utoipa::path(put, path = "/api/voice/trunks/{name}", tag = "voice", request_body = TrunkIn,
    params(("name" = String, Path, description = "lowercase letters, digits and dashes, 2 to 64")),
    responses((status = 200, body = TrunkOut), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn put_trunk(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
    Json(body): Json<TrunkIn>,
) -> ApiResult<Json<TrunkOut>> {
    auth.require_admin()?;
    let org = auth.org_id();
    if !crate::seed::valid_slug(&name) {
        return Err(ApiError::invalid(
            "name: lowercase letters, digits and dashes, 2 to 64",
        ));
    }
    body.validate()?;
    for (i, n) in body.numbers.iter().enumerate() {
        let queue = state
            .store()
            .get_object(org, ObjectKind::Queue, n.queue_id)
            .await?;
        if queue.is_none() {
            return Err(ApiError::invalid(format!(
                "numbers[{i}].queue_id: no such queue in this organisation"
            )));
        }
        if let Some(f) = &n.flow
            && state
                .store()
                .get_object_by_name(org, ObjectKind::CallFlow, f)
                .await?
                .is_none()
        {
            return Err(ApiError::invalid(format!(
                "numbers[{i}].flow: no contact flow is named \"{f}\""
            )));
        }
    }
    // One lock for every trunk: a number is unique across organisations.
    let lock = crate::api::key_lock("voice-trunks");
    let _one = lock.lock().await;
    let dir = Directory::load(&state).await?;
    for n in &body.numbers {
        if let Some((holder, _)) = dir.holder(&n.number, org, &name) {
            let whose = if holder == org {
                "another of your trunks"
            } else {
                "another organisation"
            };
            return Err(ApiError::conflict(format!(
                "numbers: {} already belongs to {whose}",
                n.number
            )));
        }
    }
    let existing = state
        .store()
        .get_object_by_name(org, ObjectKind::Trunk, &name)
        .await?;
    let kept: Option<TrunkData> = existing
        .as_ref()
        .and_then(|o| serde_json::from_value(o.data.clone()).ok());
    let sealer = state.sealer();
    let ha1_sealed = match (&body.username, &body.password) {
        (Some(u), Some(p)) => Some(sealer.seal(
            org,
            trunks::HA1_FIELD,
            &voice::digest::ha1(u, trunks::REALM, p),
        )),
        // The same username keeps its password; another needs a new one.
        (Some(u), None) => kept
            .as_ref()
            .filter(|k| k.trunk.username.as_deref() == Some(u))
            .and_then(|k| k.ha1_sealed.clone()),
        (None, _) => None,
    };
    if body.username.is_some() && ha1_sealed.is_none() {
        return Err(ApiError::invalid(
            "password: a new username needs its password (12 to 128 characters)",
        ));
    }
    if body.username.is_none() && body.allow.is_empty() {
        return Err(ApiError::invalid(
            "allow: a trunk with no addresses and no credentials would refuse every call; give its addresses or a username and password",
        ));
    }
    let register_password_sealed = match &body.register {
        None => None,
        Some(r) => match &r.password {
            Some(p) => Some(sealer.seal(org, trunks::REGISTER_PASSWORD_FIELD, p)),
            None => kept
                .as_ref()
                .and_then(|k| k.register_password_sealed.clone())
                .ok_or_else(|| {
                    ApiError::invalid(
                        "register.password: registering needs the provider's password",
                    )
                })
                .map(Some)?,
        },
    };
    let mut trunk = body;
    trunk.password = None;
    if let Some(r) = &mut trunk.register {
        r.password = None;
        r.registrar = r.registrar.trim().to_string();
    }
    let data = TrunkData {
        trunk,
        ha1_sealed,
        register_password_sealed,
    };
    crate::org_settings::save(
        &state,
        org,
        Actor::from(&auth),
        ObjectKind::Trunk,
        &name,
        &data,
        existing.as_ref(),
    )
    .await?;
    if let Some(sip) = state.sip() {
        sip.reload().await;
    }
    Ok(Json(TrunkOut::of(name, &data)))
}

/// Delete a SIP trunk (admins). Calls in progress go on; new calls to its numbers are
/// refused (404). Audited as `object.deleted`.
#[utoipa::path(delete, path = "/api/voice/trunks/{name}", tag = "voice",
    params(("name" = String, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
async fn delete_trunk(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    auth.require_admin()?;
    let org = auth.org_id();
    let o = state
        .store()
        .get_object_by_name(org, ObjectKind::Trunk, &name)
        .await?
        .ok_or_else(|| ApiError::not_found("trunk"))?;
    crate::org_settings::delete(&state, org, Actor::from(&auth), ObjectKind::Trunk, o.id).await?;
    if let Some(sip) = state.sip() {
        sip.reload().await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The organisation's live calls (their media counters) and trunk registrations, and
/// the SIP listener's counters (admins and supervisors). `listening` is null when
/// telephony is off (`sip_bind` unset).
#[utoipa::path(get, path = "/api/voice/status", tag = "voice",
    responses((status = 200, body = VoiceStatus), (status = 403, body = crate::error::ErrorBody)))]
async fn voice_status(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<VoiceStatus>> {
    auth.require(&[Role::Admin, Role::Supervisor])?;
    let off = VoiceStatus {
        listening: None,
        listening_tcp: None,
        tcp_connections: 0,
        calls: Vec::new(),
        registrations: Vec::new(),
        datagrams: 0,
        malformed: 0,
        refused: 0,
    };
    Ok(Json(match state.sip() {
        Some(sip) => sip.status(auth.org_id()).await.unwrap_or(off),
        None => off,
    }))
}
