//! Login, logout, "me" (and the 200-always `session` the sign-in pages ask first), MFA
//! enrolment, password change, and an admin's unlock of a locked account.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};
use store::{Change, Store};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{self, Auth, TOTP_FIELD, Via};
use crate::error::{Json, Path};
use crate::events::{Actor, LiveEvent};
use crate::{ApiError, ApiResult, AppState, contacts, wire};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(logout_all))
        .routes(routes!(me))
        .routes(routes!(session))
        .routes(routes!(unlock_user))
        .routes(routes!(mfa_enrol))
        .routes(routes!(mfa_verify))
        .routes(routes!(mfa_disable))
        .routes(routes!(change_password))
        .routes(routes!(reauth))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LoginIn {
    /// The organisation's slug.
    pub org: String,
    pub email: String,
    pub password: String,
    /// A 6-digit TOTP code or a recovery code, when MFA is enabled.
    pub totp_code: Option<String>,
}

fn unix(t: time::OffsetDateTime) -> u64 {
    u64::try_from(t.unix_timestamp()).unwrap_or(0)
}

const WRONG_CODE: &str =
    "That code is wrong or has expired. Enter the code your authenticator app shows now.";

/// A wait in words: "45 seconds", "1 minute", "15 minutes".
fn wait_words(secs: u64) -> String {
    match secs {
        0..=1 => "1 second".into(),
        2..=90 => format!("{secs} seconds"),
        _ => {
            let min = secs.div_ceil(60);
            if min == 1 {
                "1 minute".into()
            } else {
                format!("{min} minutes")
            }
        }
    }
}

/// The answer while sign-in is locked: the same for every account, real or not.
fn locked(wait: u64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "locked",
        format!(
            "Signing in to this account is locked after too many failed sign-ins. Try again in {}, \
             or ask an admin to unlock it. A browser you signed in from before is not locked.",
            wait_words(wait)
        ),
    )
    .with_details(json!({"retry_after_s": wait}))
}

fn bad_login() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "The organisation, email or password is wrong. Check them and try again.",
    )
}

/// Log in with a password (and a TOTP code when enrolled). Sets the session cookie and
/// answers the CSRF token to send with writes. A browser signing in for the first time
/// also gets a device cookie: failed sign-ins from elsewhere never lock it out, and its
/// own failures lock only it. Unknown accounts lock like real ones.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginIn,
    responses((status = 200, description = "`{user, csrf_token}`"),
              (status = 401, description = "`invalid_credentials` or `mfa_required`", body = crate::error::ErrorBody),
              (status = 429, description = "too many attempts, or the account is locked", body = crate::error::ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    auth::ClientIp(peer): auth::ClientIp,
    headers: HeaderMap,
    Json(body): Json<LoginIn>,
) -> ApiResult<Response> {
    if let Err(wait) = state.limiter().check(peer) {
        return Err(ApiError::too_many(
            format!(
                "Too many sign-in attempts from this address. Wait {} and try again.",
                wait_words(wait)
            ),
            wait,
        )
        .with_details(json!({"retry_after_s": wait})));
    }
    let dummy = auth::DUMMY_HASH
        .get_or_init(|| {
            use argon2::password_hash::PasswordHasher;
            argon2::Argon2::default()
                .hash_password(b"not a real password")
                .map(|h| h.to_string())
                .unwrap_or_default()
        })
        .clone();
    let email = body.email.trim().to_lowercase();
    let slug = body.org.trim();
    let org = state.store().get_org_by_slug(slug).await?;
    let user = match &org {
        Some(o) => state.store().get_user_by_email(o.id, &email).await?,
        None => None,
    };
    let (threshold, lock_secs) = (
        state.config().lockout_threshold,
        state.config().lockout_secs,
    );
    let now = state.now();
    let lockouts = state.lockouts();
    let Some((org, mut user)) = org.zip(user) else {
        // No such account: it locks as a real one would, so that "locked" tells an
        // attacker nothing about which emails exist.
        let key = format!("nobody:{slug}:{email}");
        if let Some(wait) = lockouts.locked(&key, now) {
            return Err(locked(wait));
        }
        auth::verify_password(body.password.clone(), dummy).await;
        lockouts.fail(&key, now, threshold, lock_secs);
        state
            .metrics()
            .logins_failed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return Err(bad_login());
    };
    // A browser this user signed in from before counts its own failures: what
    // strangers try elsewhere cannot lock it out.
    let device = auth::device_of(&state, &headers)
        .filter(|(u, _)| *u == user.id)
        .map(|(_, nonce)| format!("device:{nonce}"));
    let wait = match &device {
        Some(key) => lockouts.locked(key, now),
        None => user
            .locked_until
            .filter(|until| *until > now)
            .map(|until| (until - now).whole_seconds().max(1) as u64),
    };
    if let Some(wait) = wait {
        return Err(locked(wait));
    }
    // One failure, counted where it belongs: on the device, or on the account.
    let failed = |user: &mut store::User| -> Vec<Change> {
        match &device {
            Some(key) => {
                lockouts.fail(key, now, threshold, lock_secs);
                vec![]
            }
            None => {
                user.failed_logins += 1;
                if user.failed_logins >= threshold {
                    user.locked_until = Some(now + time::Duration::seconds(lock_secs as i64));
                    user.failed_logins = 0;
                }
                user.updated_at = now;
                vec![Change::PutUser(user.clone())]
            }
        }
    };
    let password_ok = !user.disabled
        && auth::verify_password(body.password.clone(), user.password_hash.clone()).await;
    if !password_ok {
        let mut changes = failed(&mut user);
        changes.push(LiveEvent::LoginFailed { user_id: user.id }.change(
            org.id,
            now,
            Actor::System,
        ));
        state.write(changes, vec![]).await?;
        state
            .metrics()
            .logins_failed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return Err(bad_login());
    }
    if user.role != store::Role::Admin
        && let Some(sso) = super::sso_api::settings(&state, org.id).await?
        && sso.enabled
        && !sso.password_login
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "sso_required",
            format!(
                "Your organisation signs in with {}: use the \"Sign in with {}\" button.",
                sso.provider_name, sso.provider_name
            ),
        ));
    }
    if user.totp_enabled {
        let Some(code) = body
            .totp_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "mfa_required",
                "Enter the 6-digit code from your authenticator app, or one of your recovery codes.",
            ));
        };
        let secret = auth::totp_secret_of(&state, &user);
        let totp_ok = auth::check_totp(&secret, code, unix(now));
        let recovery = auth::sha256_hex(&code.to_lowercase());
        let recovery_ok = !totp_ok
            && user
                .recovery_codes
                .iter()
                .any(|h| auth::constant_time_eq(h.as_bytes(), recovery.as_bytes()));
        if !totp_ok && !recovery_ok {
            let changes = failed(&mut user);
            if !changes.is_empty() {
                state.write(changes, vec![]).await?;
            }
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "mfa_invalid",
                WRONG_CODE,
            ));
        }
        if recovery_ok {
            user.recovery_codes.retain(|h| h != &recovery);
        }
    }
    match &device {
        // The owner's own browser: strangers' failures and lock stay as they are.
        Some(key) => lockouts.clear(key),
        None => {
            user.failed_logins = 0;
            user.locked_until = None;
        }
    }
    user.updated_at = now;
    let (secret, session) = auth::new_session(&state, org.id, user.id, false);
    let csrf = session.csrf_token.clone();
    state
        .write(
            vec![
                Change::PutUser(user.clone()),
                Change::PutSession(session),
                LiveEvent::Login { user_id: user.id }.change(
                    org.id,
                    now,
                    Actor::User { id: user.id },
                ),
            ],
            vec![],
        )
        .await?;
    let cookie = auth::session_cookie(&state, &secret, state.config().session_absolute_secs);
    let body = json!({
        "user": wire::user(&user),
        "csrf_token": csrf,
        "mfa_enrolment_required": org.mfa_required && !user.totp_enabled,
    });
    let mut resp = ([(header::SET_COOKIE, cookie)], axum::Json(body)).into_response();
    if device.is_none()
        && let Ok(v) = header::HeaderValue::from_str(&auth::device_cookie(&state, org.id, user.id))
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// End this session.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", responses((status = 204, description = "logged out")))]
async fn logout(State(state): State<AppState>, auth: Auth) -> ApiResult<Response> {
    if let Via::Session { token_hash, .. } = &auth.via {
        state
            .write(
                vec![Change::DeleteSession {
                    token_hash: token_hash.clone(),
                }],
                vec![],
            )
            .await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, auth::clear_cookie(&state))],
    )
        .into_response())
}

/// End every session of this user, on every device, and close their WebSockets.
#[utoipa::path(post, path = "/api/auth/logout-all", tag = "auth", responses((status = 204, description = "logged out everywhere")))]
async fn logout_all(State(state): State<AppState>, auth: Auth) -> ApiResult<Response> {
    state
        .write(
            vec![Change::DeleteUserSessions {
                org_id: auth.org_id(),
                user_id: auth.user.id,
            }],
            vec![],
        )
        .await?;
    state.hub().disconnect_user(auth.user.id);
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, auth::clear_cookie(&state))],
    )
        .into_response())
}

fn me_json(state: &AppState, auth: &Auth) -> Value {
    let csrf = match &auth.via {
        Via::Session { csrf, .. } => Some(csrf.clone()),
        Via::Token { .. } => None,
    };
    let snapshot = contacts::agent_snapshot(state, auth.org_id(), auth.user.id);
    json!({
        "user": wire::user(&auth.user),
        "org": {"id": auth.org.id, "slug": auth.org.slug, "name": auth.org.name, "mfa_required": auth.org.mfa_required},
        "csrf_token": csrf,
        "agent": snapshot.get("agent").cloned().unwrap_or(Value::Null),
        "mfa_enrolment_required": auth.mfa_enrolment_required(),
        "idle_lock_s": state.config().idle_lock_secs,
    })
}

/// Who am I: user, CSRF token, agent state.
#[utoipa::path(get, path = "/api/me", tag = "auth", responses((status = 200, description = "`{user, org, csrf_token, agent?, mfa_enrolment_required}`"), (status = 401, body = crate::error::ErrorBody)))]
async fn me(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    Ok(Json(me_json(&state, &auth)))
}

/// Whether this browser is signed in, always 200 (a sign-in page asks it first and has
/// no failed request to log): `/api/me`'s answer with `signed_in: true`, or
/// `{signed_in: false}`.
#[utoipa::path(get, path = "/api/auth/session", tag = "auth", responses((status = 200, description = "`{signed_in, …}`")))]
async fn session(
    State(state): State<AppState>,
    auth: Result<Auth, ApiError>,
) -> ApiResult<Json<Value>> {
    match auth {
        Ok(auth) => {
            let mut v = me_json(&state, &auth);
            v["signed_in"] = json!(true);
            Ok(Json(v))
        }
        Err(e) if e.status == StatusCode::UNAUTHORIZED => Ok(Json(json!({"signed_in": false}))),
        Err(e) => Err(e),
    }
}

/// Unlock an account locked after failed sign-ins (admins). Audited as `user.unlocked`;
/// `was_locked` says whether it was.
#[utoipa::path(post, path = "/api/users/{id}/unlock", tag = "admin", params(("id" = uuid::Uuid, Path)), responses((status = 200, description = "`{was_locked}`"), (status = 404, body = crate::error::ErrorBody)))]
async fn unlock_user(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<uuid::Uuid>,
) -> ApiResult<Json<Value>> {
    auth.require_admin()?;
    let org = auth.org_id();
    let mut u = state
        .store()
        .get_user(org, id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let now = state.now();
    let was_locked = u.locked_until.is_some_and(|t| t > now);
    u.locked_until = None;
    u.failed_logins = 0;
    u.updated_at = now;
    state
        .write(
            vec![
                Change::PutUser(u),
                LiveEvent::UserUnlocked {
                    user_id: id,
                    was_locked,
                }
                .change(org, now, Actor::from(&auth)),
            ],
            vec![],
        )
        .await?;
    Ok(Json(json!({"was_locked": was_locked})))
}

/// Start TOTP enrolment: a new secret, its `otpauth://` URL and a QR code (PNG data
/// URL). Confirm with `/api/auth/mfa/verify`.
#[utoipa::path(post, path = "/api/auth/mfa/enrol", tag = "auth", responses((status = 200, description = "`{secret, otpauth_url, qr_png}`"), (status = 409, description = "already enabled", body = crate::error::ErrorBody)))]
async fn mfa_enrol(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    let mut user = auth.user.clone();
    if user.totp_enabled {
        return Err(ApiError::conflict(
            "Two-factor authentication is already on for this account. Turn it off first to set it up again.",
        ));
    }
    let secret = auth::new_totp_secret();
    let totp = auth::totp(
        &secret,
        &user.email,
        &format!("{} ({})", state.config().mfa_issuer, auth.org.name),
    )?;
    let url = totp
        .to_url()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let png = totp
        .to_qr_png()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let qr = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    );
    // Sealed at rest like the providers' credentials: a copy of the database alone
    // cannot make anyone's codes.
    user.totp_secret = Some(state.sealer().seal(user.org_id, TOTP_FIELD, &secret));
    user.updated_at = state.now();
    state.write(vec![Change::PutUser(user)], vec![]).await?;
    Ok(Json(
        json!({"secret": secret, "otpauth_url": url, "qr_png": qr}),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CodeIn {
    pub code: String,
}

/// Confirm enrolment with a code: MFA is on, and ten recovery codes are shown once.
#[utoipa::path(post, path = "/api/auth/mfa/verify", tag = "auth", request_body = CodeIn, responses((status = 200, description = "`{recovery_codes}`"), (status = 422, body = crate::error::ErrorBody)))]
async fn mfa_verify(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<CodeIn>,
) -> ApiResult<Json<Value>> {
    let mut user = auth.user.clone();
    if user.totp_secret.is_none() {
        return Err(ApiError::conflict(
            "Start two-factor set-up first: ask for a new key, then enter its code.",
        ));
    }
    let secret = auth::totp_secret_of(&state, &user);
    if user.totp_enabled {
        return Err(ApiError::conflict(
            "Two-factor authentication is already on for this account: sign in with its codes.",
        ));
    }
    if !auth::check_totp(&secret, &body.code, unix(state.now())) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "mfa_invalid",
            WRONG_CODE,
        ));
    }
    let (codes, hashes) = auth::recovery_codes();
    user.totp_enabled = true;
    user.recovery_codes = hashes;
    user.updated_at = state.now();
    state
        .write(
            vec![
                Change::PutUser(user.clone()),
                LiveEvent::MfaEnabled { user_id: user.id }.change(
                    auth.org_id(),
                    state.now(),
                    Actor::from(&auth),
                ),
            ],
            vec![],
        )
        .await?;
    Ok(Json(json!({"recovery_codes": codes})))
}

/// Turn MFA off (needs a current code). Refused when the organisation requires MFA.
#[utoipa::path(post, path = "/api/auth/mfa/disable", tag = "auth", request_body = CodeIn, responses((status = 204, description = "off"), (status = 403, body = crate::error::ErrorBody)))]
async fn mfa_disable(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<CodeIn>,
) -> ApiResult<StatusCode> {
    if auth.org.mfa_required {
        return Err(ApiError::forbidden(
            "Your organisation requires two-factor authentication, so it cannot be turned off. Ask an admin to reset it if you lost your phone.",
        ));
    }
    let mut user = auth.user.clone();
    let secret = auth::totp_secret_of(&state, &user);
    if !user.totp_enabled || !auth::check_totp(&secret, &body.code, unix(state.now())) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "mfa_invalid",
            WRONG_CODE,
        ));
    }
    user.totp_enabled = false;
    user.totp_secret = None;
    user.recovery_codes.clear();
    user.updated_at = state.now();
    state.write(vec![Change::PutUser(user)], vec![]).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PasswordIn {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReauthIn {
    pub password: String,
}

/// Unlock a desktop that locked itself while no one used it: the signed-in user types
/// their password again. A wrong one counts; after as many as lock an account the
/// session ends (401 `signed_out`), so whoever found the computer cannot keep guessing.
#[utoipa::path(post, path = "/api/auth/reauth", tag = "auth", request_body = ReauthIn,
    responses((status = 204, description = "unlocked"), (status = 401, description = "`invalid_credentials`, or `signed_out` after too many", body = crate::error::ErrorBody)))]
async fn reauth(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<ReauthIn>,
) -> ApiResult<StatusCode> {
    let Via::Session { token_hash, .. } = &auth.via else {
        return Err(ApiError::bad_request("only a browser session locks"));
    };
    let key = format!("reauth:{token_hash}");
    let now = state.now();
    if auth.user.password_hash == crate::seed::NO_PASSWORD {
        // Made by the identity provider: no password to type; sign in there again.
        state
            .write(
                vec![Change::DeleteSession {
                    token_hash: token_hash.clone(),
                }],
                vec![],
            )
            .await?;
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "signed_out",
            "You sign in through your organisation's identity provider: sign in again there.",
        ));
    }
    if auth::verify_password(body.password, auth.user.password_hash.clone()).await {
        state.lockouts().clear(&key);
        return Ok(StatusCode::NO_CONTENT);
    }
    let lockouts = state.lockouts();
    lockouts.fail(&key, now, state.config().lockout_threshold, 3600);
    if lockouts.locked(&key, now).is_some() {
        state
            .write(
                vec![
                    Change::DeleteSession {
                        token_hash: token_hash.clone(),
                    },
                    LiveEvent::LoginFailed {
                        user_id: auth.user.id,
                    }
                    .change(auth.org_id(), now, Actor::System),
                ],
                vec![],
            )
            .await?;
        lockouts.clear(&key);
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "signed_out",
            "Too many wrong passwords: you are signed out. Sign in again.",
        ));
    }
    Err(ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "That password is wrong. Type it again.",
    ))
}

/// Change one's own password; every other session is logged out.
#[utoipa::path(post, path = "/api/auth/password", tag = "auth", request_body = PasswordIn, responses((status = 204, description = "changed"), (status = 422, body = crate::error::ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    auth: Auth,
    _h: HeaderMap,
    Json(body): Json<PasswordIn>,
) -> ApiResult<StatusCode> {
    auth::password_policy(&body.new_password)?;
    if !auth::verify_password(body.current_password, auth.user.password_hash.clone()).await {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_credentials",
            "The current password is wrong. Type it again, or ask an admin to reset it.",
        ));
    }
    let mut user = auth.user.clone();
    user.password_hash =
        auth::hash_password(body.new_password, state.config().argon2_m_kib).await?;
    user.updated_at = state.now();
    let mut changes = vec![
        Change::PutUser(user),
        Change::DeleteUserSessions {
            org_id: auth.org_id(),
            user_id: auth.user.id,
        },
    ];
    // Keep the session this request came from.
    if let Via::Session { token_hash, .. } = &auth.via
        && let Some(s) = state.store().get_session(token_hash).await?
    {
        changes.push(Change::PutSession(s));
    }
    state.write(changes, vec![]).await?;
    Ok(StatusCode::NO_CONTENT)
}
