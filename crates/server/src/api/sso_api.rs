//! Single sign-on: the organisation's OpenID Connect settings (admins), what the
//! sign-in page asks (public), and the browser's round trip through the provider
//! (`start`, `callback`). The protocol's checks live in [`crate::sso`].
//!
//! `start` and `callback` are navigations, not API calls: they answer with redirects.
//! A refused sign-in goes back to the page it started from with `?sso_error=CODE`
//! (`unavailable`, `state`, `provider`, `token`, `email`, `no_access`, `disabled`,
//! `no_account`, `mfa_required`, `rate_limited`), which the sign-in form turns into a
//! sentence; the reason is logged. Never a 500.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use store::{Change, Object, ObjectKind, Role, Store};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{self, Auth};
use crate::error::{Json, Path, Query};
use crate::events::{Actor, LiveEvent};
use crate::sso::{self, Pending, RoleRule, SsoSettings};
use crate::{ApiError, ApiResult, AppState, contacts, seed};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_sso, put_sso))
        .routes(routes!(sso_info))
        .routes(routes!(sso_start))
        .routes(routes!(sso_callback))
}

/// The organisation's stored settings, if any.
pub async fn settings(state: &AppState, org: Uuid) -> ApiResult<Option<SsoSettings>> {
    Ok(state
        .store()
        .get_object_by_name(org, ObjectKind::SsoConfig, sso::CONFIG_NAME)
        .await?
        .and_then(|o| serde_json::from_value(o.data).ok()))
}

/// The callback URL to register at the identity provider.
fn redirect_uri(state: &AppState, headers: &HeaderMap) -> String {
    let base = state.config().public_url.trim().trim_end_matches('/');
    if !base.is_empty() {
        return format!("{base}/api/auth/sso/callback");
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = if state.cookie_secure() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}/api/auth/sso/callback")
}

fn settings_json(s: Option<&SsoSettings>, redirect_uri: String) -> Value {
    match s {
        Some(s) => json!({
            "configured": true,
            "enabled": s.enabled,
            "provider_name": s.provider_name,
            "issuer": s.issuer,
            "client_id": s.client_id,
            "client_secret_set": !s.client_secret.is_empty(),
            "scopes": s.scopes,
            "groups_claim": s.groups_claim,
            "role_rules": s.role_rules,
            "default_role": s.default_role,
            "jit": s.jit,
            "password_login": s.password_login,
            "redirect_uri": redirect_uri,
        }),
        None => json!({
            "configured": false,
            "enabled": false,
            "provider_name": "",
            "issuer": "",
            "client_id": "",
            "client_secret_set": false,
            "scopes": sso::DEFAULT_SCOPES,
            "groups_claim": "groups",
            "role_rules": [],
            "default_role": null,
            "jit": true,
            "password_login": true,
            "redirect_uri": redirect_uri,
        }),
    }
}

/// The organisation's single sign-on settings (admins). The client secret is never
/// returned, only whether one is set; `redirect_uri` is the callback to register at the
/// provider.
#[utoipa::path(get, path = "/api/sso", tag = "admin", responses((status = 200, description = "the settings")))]
async fn get_sso(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    auth.require_admin()?;
    let s = settings(&state, auth.org_id()).await?;
    Ok(Json(settings_json(
        s.as_ref(),
        redirect_uri(&state, &headers),
    )))
}

/// Single sign-on settings as an admin sends them.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SsoIn {
    /// Offer "Sign in with …" (and accept sign-ins through the provider).
    pub enabled: bool,
    /// The provider's name on the sign-in page ("Okta", "Acme SSO").
    pub provider_name: String,
    /// The issuer URL; its `/.well-known/openid-configuration` must answer. https (http
    /// only on loopback).
    pub issuer: String,
    pub client_id: String,
    /// Leave out to keep the stored one. Stored sealed, never returned.
    pub client_secret: Option<String>,
    /// Scopes to ask for (default `openid email profile`; add `groups` where the
    /// provider needs it).
    pub scopes: Option<String>,
    /// The ID-token claim that lists the user's groups (default `groups`).
    pub groups_claim: Option<String>,
    /// Group → role, first match wins.
    #[serde(default)]
    pub role_rules: Vec<RoleRule>,
    /// The role of a user none of whose groups has a rule; null: no access.
    #[schema(value_type = Option<String>, example = "agent")]
    pub default_role: Option<Role>,
    /// Create an account at the first sign-in of an unknown email (default on).
    pub jit: Option<bool>,
    /// Whether staff may still sign in with a password (default on; admins always may).
    pub password_login: Option<bool>,
}

/// Set the organisation's single sign-on (admins). When `enabled`, the issuer's
/// discovery document is fetched first: a provider that does not answer is a 422 that
/// says why. Audited as `sso.configured`.
#[utoipa::path(put, path = "/api/sso", tag = "admin", request_body = SsoIn,
    responses((status = 200, description = "the settings"), (status = 422, body = crate::error::ErrorBody)))]
async fn put_sso(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Json(body): Json<SsoIn>,
) -> ApiResult<Json<Value>> {
    auth.require_admin()?;
    let org = auth.org_id();
    let existing_obj = state
        .store()
        .get_object_by_name(org, ObjectKind::SsoConfig, sso::CONFIG_NAME)
        .await?;
    let existing: Option<SsoSettings> = existing_obj
        .as_ref()
        .and_then(|o| serde_json::from_value(o.data.clone()).ok());
    let client_secret = match body.client_secret.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => {
            if s.len() > 1000 {
                return Err(ApiError::invalid("client_secret: at most 1000 characters"));
            }
            state.sealer().seal(org, sso::SECRET_FIELD, s)
        }
        _ => existing
            .as_ref()
            .map(|e| e.client_secret.clone())
            .unwrap_or_default(),
    };
    let s = SsoSettings {
        enabled: body.enabled,
        provider_name: body.provider_name.trim().to_string(),
        issuer: body.issuer.trim().trim_end_matches('/').to_string(),
        client_id: body.client_id.trim().to_string(),
        client_secret,
        scopes: body
            .scopes
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| sso::DEFAULT_SCOPES.into()),
        groups_claim: body
            .groups_claim
            .map(|g| g.trim().to_string())
            .filter(|g| !g.is_empty())
            .unwrap_or_else(|| "groups".into()),
        role_rules: body
            .role_rules
            .into_iter()
            .map(|r| RoleRule {
                group: r.group.trim().to_string(),
                role: r.role,
            })
            .collect(),
        default_role: body.default_role,
        jit: body.jit.unwrap_or(true),
        password_login: body.password_login.unwrap_or(true),
    };
    s.validate().map_err(ApiError::invalid)?;
    if s.enabled {
        if s.client_secret.is_empty() {
            return Err(ApiError::invalid(
                "client_secret: required (the secret the provider gave for this application)",
            ));
        }
        sso::provider(&s.issuer).await.map_err(|e| {
            ApiError::invalid(format!(
                "issuer: {e}. Check the issuer URL (its /.well-known/openid-configuration must answer)."
            ))
        })?;
    }
    let now = state.now();
    let o = Object::next_version(
        existing_obj.as_ref(),
        org,
        ObjectKind::SsoConfig,
        sso::CONFIG_NAME,
        serde_json::to_value(&s).unwrap_or(Value::Null),
        now,
    );
    state
        .write(
            vec![
                Change::PutObject(o),
                LiveEvent::SsoConfigured {
                    enabled: s.enabled,
                    issuer: s.issuer.clone(),
                }
                .change(org, now, Actor::from(&auth)),
            ],
            vec![],
        )
        .await?;
    Ok(Json(settings_json(
        Some(&s),
        redirect_uri(&state, &headers),
    )))
}

/// What the sign-in page shows for an organisation: whether it offers single sign-on,
/// under which name, and whether passwords are still accepted. Public, always 200 (an
/// unknown organisation has no single sign-on).
#[utoipa::path(get, path = "/api/auth/sso/{org}", tag = "auth", params(("org" = String, Path, description = "the organisation's slug")),
    responses((status = 200, description = "`{enabled, provider_name?, password_login, start_url?}`")))]
async fn sso_info(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<Json<Value>> {
    let off = Json(json!({"enabled": false, "password_login": true}));
    if slug.len() > 100 {
        return Ok(off);
    }
    let Some(org) = state.store().get_org_by_slug(slug.trim()).await? else {
        return Ok(off);
    };
    match settings(&state, org.id).await? {
        Some(s) if s.enabled => Ok(Json(json!({
            "enabled": true,
            "provider_name": s.provider_name,
            "password_login": s.password_login,
            "start_url": format!("/api/auth/sso/{}/start", org.slug),
        }))),
        _ => Ok(off),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StartQuery {
    /// The page to come back to (a path on this server; default `/agent/`).
    pub return_to: Option<String>,
}

/// Where a refused sign-in goes: back to the sign-in page with a code.
fn refused(return_to: &str, slug: Option<&str>, code: &str) -> Response {
    let mut url = format!("{return_to}?sso_error={code}");
    if let Some(slug) = slug {
        url.push_str("&org=");
        url.extend(url::form_urlencoded::byte_serialize(slug.as_bytes()));
    }
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, url)]).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&format!(
        "{}=; Path=/api/auth/sso; HttpOnly; SameSite=Lax; Max-Age=0",
        sso::STATE_COOKIE
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// Start signing in through the organisation's identity provider: a redirect to the
/// provider (authorization code with PKCE), with `state` and `nonce` in a sealed,
/// ten-minute cookie. Unknown organisation or single sign-on off: back with
/// `?sso_error=unavailable`.
#[utoipa::path(get, path = "/api/auth/sso/{org}/start", tag = "auth", params(("org" = String, Path, description = "the organisation's slug"), StartQuery),
    responses((status = 303, description = "to the identity provider, or back with `?sso_error=`")))]
async fn sso_start(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<StartQuery>,
    headers: HeaderMap,
) -> Response {
    let return_to = sso::safe_return_to(q.return_to.as_deref());
    let slug = slug.trim().to_string();
    let org = match state.store().get_org_by_slug(&slug).await {
        Ok(Some(o)) if slug.len() <= 100 => o,
        _ => return refused(&return_to, None, "unavailable"),
    };
    let s = match settings(&state, org.id).await {
        Ok(Some(s)) if s.enabled => s,
        _ => return refused(&return_to, Some(&org.slug), "unavailable"),
    };
    let provider = match sso::provider(&s.issuer).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(org = %org.slug, error = %e, "single sign-on: discovery failed");
            return refused(&return_to, Some(&org.slug), "provider");
        }
    };
    let (verifier, challenge) = sso::pkce();
    let pending = Pending {
        state: auth::random_secret(),
        nonce: auth::random_secret(),
        verifier,
        return_to,
        exp: state.now().unix_timestamp() + sso::STATE_TTL_SECS,
    };
    let Ok(mut url) = url::Url::parse(&provider.discovery.authorization_endpoint) else {
        return refused(&pending.return_to, Some(&org.slug), "provider");
    };
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &s.client_id)
        .append_pair("redirect_uri", &redirect_uri(&state, &headers))
        .append_pair("scope", &s.scopes)
        .append_pair("state", &pending.state)
        .append_pair("nonce", &pending.nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let sealed = state.sealer().seal(
        org.id,
        sso::STATE_COOKIE,
        &serde_json::to_string(&pending).unwrap_or_default(),
    );
    let secure = if state.cookie_secure() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{}={}.{sealed}; Path=/api/auth/sso; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        sso::STATE_COOKIE,
        org.id,
        sso::STATE_TTL_SECS
    );
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, url.to_string()),
            (header::SET_COOKIE, cookie),
        ],
    )
        .into_response()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    /// The provider's refusal (`access_denied`…).
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// The identity provider sends the browser back here (register this URL at the
/// provider; `GET /api/sso` shows it). Checks the state, exchanges the code, verifies
/// the ID token, maps groups to a role, finds or creates the user, and signs them in
/// exactly as a password sign-in does; then back to the page sign-in started from.
#[utoipa::path(get, path = "/api/auth/sso/callback", tag = "auth", params(CallbackQuery),
    responses((status = 303, description = "signed in (session cookie set), or back with `?sso_error=`")))]
async fn sso_callback(
    State(state): State<AppState>,
    auth::ClientIp(peer): auth::ClientIp,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    match callback(&state, peer, &headers, q).await {
        Ok(r) => r,
        Err((return_to, slug, code)) => refused(&return_to, slug.as_deref(), code),
    }
}

type Refusal = (String, Option<String>, &'static str);

/// The sealed pending sign-in in the cookie, with its organisation.
fn pending_of(state: &AppState, headers: &HeaderMap) -> Option<(Uuid, Pending)> {
    let v = auth::cookie_value(headers, sso::STATE_COOKIE)?;
    let (org, sealed) = v.split_once('.')?;
    let org = Uuid::parse_str(org).ok()?;
    let plain = state.sealer().open(org, sso::STATE_COOKIE, sealed)?;
    Some((org, serde_json::from_str(&plain).ok()?))
}

async fn callback(
    state: &AppState,
    peer: std::net::IpAddr,
    headers: &HeaderMap,
    q: CallbackQuery,
) -> Result<Response, Refusal> {
    let Some((org_id, pending)) = pending_of(state, headers) else {
        tracing::info!("single sign-on: callback without a valid pending sign-in cookie");
        return Err(("/agent/".into(), None, "state"));
    };
    let back = pending.return_to.clone();
    let org = match state.store().get_org(org_id).await {
        Ok(Some(o)) => o,
        _ => return Err((back, None, "unavailable")),
    };
    let fail = |code: &'static str| (back.clone(), Some(org.slug.clone()), code);
    let now = state.now();
    let sent_state = q.state.as_deref().unwrap_or("");
    if pending.exp < now.unix_timestamp()
        || !auth::constant_time_eq(sent_state.as_bytes(), pending.state.as_bytes())
    {
        tracing::info!(org = %org.slug, "single sign-on: state does not match or expired");
        return Err(fail("state"));
    }
    if let Some(e) = &q.error {
        tracing::info!(org = %org.slug, error = %e, description = ?q.error_description, "single sign-on: the provider refused");
        return Err(fail("provider"));
    }
    if state.limiter().check(peer).is_err() {
        return Err(fail("rate_limited"));
    }
    let s = match settings(state, org.id).await {
        Ok(Some(s)) if s.enabled => s,
        _ => return Err(fail("unavailable")),
    };
    let code = q.code.as_deref().unwrap_or("");
    if code.is_empty() || code.len() > 4096 {
        return Err(fail("provider"));
    }
    let provider = sso::provider(&s.issuer).await.map_err(|e| {
        tracing::warn!(org = %org.slug, error = %e, "single sign-on: discovery failed");
        fail("provider")
    })?;
    let secret = state
        .sealer()
        .open(org.id, sso::SECRET_FIELD, &s.client_secret)
        .unwrap_or_default();
    let tokens = provider
        .exchange(
            code,
            &pending.verifier,
            &redirect_uri(state, headers),
            &s.client_id,
            &secret,
        )
        .await
        .map_err(|e| {
            tracing::warn!(org = %org.slug, error = %e, "single sign-on: code exchange failed");
            fail("provider")
        })?;
    let expect = sso::Expect {
        issuer: &s.issuer,
        client_id: &s.client_id,
        nonce: &pending.nonce,
        now: now.unix_timestamp(),
    };
    let mut verified = sso::verify_id_token(&tokens.id_token, &provider.keys(), &expect);
    if verified == Err(sso::TokenError::UnknownKey) && provider.refresh_keys().await {
        verified = sso::verify_id_token(&tokens.id_token, &provider.keys(), &expect);
    }
    let mut claims = verified.map_err(|e| {
        tracing::warn!(org = %org.slug, error = %e, "single sign-on: ID token refused");
        fail("token")
    })?;
    // Claims the ID token left out (some providers keep email and groups for the
    // userinfo endpoint), for the same subject only.
    if (claims.get("email").is_none() || claims.get(&s.groups_claim).is_none())
        && let Some(extra) = provider.userinfo(tokens.access_token.as_deref()).await
        && extra["sub"] == claims["sub"]
        && let (Some(c), Some(e)) = (claims.as_object_mut(), extra.as_object())
    {
        for (k, v) in e {
            c.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let subject = claims["sub"].as_str().unwrap_or("").to_string();
    let email = claims["email"]
        .as_str()
        .map(|e| e.trim().to_lowercase())
        .filter(|e| seed::valid_email(e));
    let Some(email) = email.filter(|_| claims["email_verified"] != json!(false)) else {
        tracing::info!(org = %org.slug, subject, "single sign-on: no verified email");
        return Err(fail("email"));
    };
    let groups = sso::groups_of(&claims, &s.groups_claim);
    let mfa = sso::reports_mfa(&claims);
    let user = state
        .store()
        .get_user_by_email(org.id, &email)
        .await
        .map_err(|_| fail("unavailable"))?;
    let refuse = |user_id: Option<Uuid>, reason: &'static str| {
        let email = email.clone();
        let org_id = org.id;
        async move {
            let _ = state
                .write(
                    vec![
                        LiveEvent::SsoRefused {
                            user_id,
                            email,
                            reason: reason.into(),
                        }
                        .change(org_id, now, Actor::System),
                    ],
                    vec![],
                )
                .await;
        }
    };
    let Some(role) = s
        .mapped_role(&groups)
        .or(user
            .as_ref()
            .map(|u| u.role)
            .filter(|_| s.default_role.is_some()))
        .or(s.default_role)
    else {
        refuse(user.as_ref().map(|u| u.id), "no_access").await;
        return Err(fail("no_access"));
    };
    if org.mfa_required && !mfa {
        refuse(user.as_ref().map(|u| u.id), "mfa_required").await;
        return Err(fail("mfa_required"));
    }
    let mut changes = vec![];
    let user = match user {
        Some(u) if u.disabled => {
            refuse(Some(u.id), "disabled").await;
            return Err(fail("disabled"));
        }
        Some(mut u) => {
            if u.role != role {
                u.role = role;
                u.updated_at = now;
                changes.push(Change::PutUser(u.clone()));
                changes.push(
                    LiveEvent::UserSynced {
                        user_id: u.id,
                        role,
                        disabled: false,
                        source: "oidc".into(),
                    }
                    .change(org.id, now, Actor::System),
                );
                if role == Role::Agent {
                    changes.extend(agent_profile(state, org.id, u.id).await);
                }
            }
            u
        }
        None if !s.jit => {
            refuse(None, "no_account").await;
            return Err(fail("no_account"));
        }
        None => {
            let name = claims["name"]
                .as_str()
                .map(str::to_string)
                .or_else(|| {
                    let g = claims["given_name"].as_str().unwrap_or("");
                    let f = claims["family_name"].as_str().unwrap_or("");
                    Some(format!("{g} {f}").trim().to_string()).filter(|n| !n.is_empty())
                })
                .unwrap_or_else(|| email.clone());
            let name: String = name.chars().take(200).collect();
            seed::provision_user(state, Actor::System, org.id, &email, &name, role, "oidc")
                .await
                .map_err(|e| {
                    tracing::warn!(org = %org.slug, error = %e, "single sign-on: just-in-time account failed");
                    fail("no_account")
                })?
        }
    };
    let (secret, session) = auth::new_session(state, org.id, user.id, mfa);
    changes.push(Change::PutSession(session));
    changes.push(
        LiveEvent::SsoLogin {
            user_id: user.id,
            issuer: s.issuer.clone(),
            subject,
            mfa,
        }
        .change(org.id, now, Actor::User { id: user.id }),
    );
    let had_role_change = changes.len() > 2;
    state
        .write(changes, vec![])
        .await
        .map_err(|_| fail("unavailable"))?;
    if had_role_change {
        let _ = contacts::refresh_org_config(state, org.id).await;
    }
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, back.clone())]).into_response();
    for c in [
        auth::session_cookie(state, &secret, state.config().session_absolute_secs),
        format!(
            "{}=; Path=/api/auth/sso; HttpOnly; SameSite=Lax; Max-Age=0",
            sso::STATE_COOKIE
        ),
    ] {
        if let Ok(v) = header::HeaderValue::from_str(&c) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(r)
}

/// An agent's routing profile for a user who became an agent, if they have none.
pub async fn agent_profile(state: &AppState, org: Uuid, user: Uuid) -> Vec<Change> {
    match state.store().get_object(org, ObjectKind::Agent, user).await {
        Ok(None) => {
            let now = state.now();
            vec![Change::PutObject(Object {
                id: user,
                org_id: org,
                kind: ObjectKind::Agent,
                name: user.to_string(),
                data: serde_json::to_value(crate::live::AgentProfile::default())
                    .unwrap_or(Value::Null),
                created_at: now,
                updated_at: now,
            })]
        }
        _ => vec![],
    }
}
