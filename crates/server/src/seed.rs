//! Creating organisations, users, queues and tokens: used by the CLI (`homeshore org
//! create`, `homeshore user add`), the demo and tests. Each writes through the store and
//! refreshes the live state.

use serde_json::{Value, json};
use store::{ApiToken, Change, Object, ObjectKind, Org, Role, Store, User};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::events::{Actor, LiveEvent};
use crate::live::AgentProfile;
use crate::{ApiError, ApiResult, AppState, auth, contacts};

/// A URL-safe slug: lowercase letters, digits and dashes, 2 to 64 characters.
pub fn valid_slug(s: &str) -> bool {
    (2..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(64).collect()
}

pub fn valid_email(e: &str) -> bool {
    let e = e.trim();
    e.len() <= 254
        && e.split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'))
        && !e.contains(char::is_whitespace)
}

/// Create an organisation. 409 when the slug is taken.
pub async fn create_org(state: &AppState, slug: &str, name: &str) -> ApiResult<Org> {
    if !valid_slug(slug) {
        return Err(ApiError::invalid(
            "slug: 2 to 64 lowercase letters, digits or dashes",
        ));
    }
    if name.trim().is_empty() || name.len() > 200 {
        return Err(ApiError::invalid("name: 1 to 200 characters"));
    }
    if state.store().get_org_by_slug(slug).await?.is_some() {
        return Err(ApiError::conflict(format!("organisation {slug} exists")));
    }
    let now = state.now();
    let org = Org {
        id: store::new_id(),
        slug: slug.to_string(),
        name: name.trim().to_string(),
        mfa_required: false,
        created_at: now,
    };
    state
        .write(
            vec![
                Change::PutOrg(org.clone()),
                LiveEvent::OrgCreated {
                    slug: slug.to_string(),
                    name: org.name.clone(),
                }
                .change(org.id, now, Actor::System),
            ],
            vec![],
        )
        .await?;
    contacts::refresh_org_config(state, org.id).await?;
    Ok(org)
}

/// Add a user with a password (checked against the policy, hashed with Argon2id).
pub async fn create_user(
    state: &AppState,
    org: Uuid,
    email: &str,
    name: &str,
    role: Role,
    password: &str,
) -> ApiResult<User> {
    create_user_by(state, Actor::System, org, email, name, role, password).await
}

/// [`create_user`], recording who did it.
pub async fn create_user_by(
    state: &AppState,
    actor: Actor,
    org: Uuid,
    email: &str,
    name: &str,
    role: Role,
    password: &str,
) -> ApiResult<User> {
    let email = email.trim().to_lowercase();
    if !valid_email(&email) {
        return Err(ApiError::invalid("email: not an email address"));
    }
    if name.trim().is_empty() || name.len() > 200 {
        return Err(ApiError::invalid("name: 1 to 200 characters"));
    }
    auth::password_policy(password)?;
    if state.store().get_org(org).await?.is_none() {
        return Err(ApiError::not_found("organisation"));
    }
    if state
        .store()
        .get_user_by_email(org, &email)
        .await?
        .is_some()
    {
        return Err(ApiError::conflict(format!(
            "{email} already has an account"
        )));
    }
    let hash = auth::hash_password(password.to_string(), state.config().argon2_m_kib).await?;
    insert_user(state, actor, org, &email, name, role, hash, None).await
}

/// What a user made by the identity provider has for a password: not a PHC string, so
/// no password ever matches it (they sign in through the provider).
pub const NO_PASSWORD: &str = "!external";

/// Create a user for the organisation's identity provider (`source`: `oidc` when made
/// just in time at sign-in, `scim` when provisioned): no password, so they can only
/// sign in through the provider. 409 when the email has an account.
pub async fn provision_user(
    state: &AppState,
    actor: Actor,
    org: Uuid,
    email: &str,
    name: &str,
    role: Role,
    source: &str,
) -> ApiResult<User> {
    let email = email.trim().to_lowercase();
    if !valid_email(&email) {
        return Err(ApiError::invalid("email: not an email address"));
    }
    let name = if name.trim().is_empty() { &email } else { name };
    if name.len() > 200 {
        return Err(ApiError::invalid("name: 1 to 200 characters"));
    }
    if state
        .store()
        .get_user_by_email(org, &email)
        .await?
        .is_some()
    {
        return Err(ApiError::conflict(format!(
            "{email} already has an account"
        )));
    }
    insert_user(
        state,
        actor,
        org,
        &email,
        name,
        role,
        NO_PASSWORD.into(),
        Some(source),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn insert_user(
    state: &AppState,
    actor: Actor,
    org: Uuid,
    email: &str,
    name: &str,
    role: Role,
    hash: String,
    source: Option<&str>,
) -> ApiResult<User> {
    let now = state.now();
    let user = User {
        id: store::new_id(),
        org_id: org,
        email: email.to_string(),
        name: name.trim().to_string(),
        role,
        password_hash: hash,
        totp_secret: None,
        totp_enabled: false,
        recovery_codes: vec![],
        failed_logins: 0,
        locked_until: None,
        disabled: false,
        created_at: now,
        updated_at: now,
    };
    let mut changes = vec![
        Change::PutUser(user.clone()),
        match source {
            None => LiveEvent::UserCreated {
                user_id: user.id,
                role,
            },
            Some(source) => LiveEvent::UserProvisioned {
                user_id: user.id,
                role,
                source: source.to_string(),
            },
        }
        .change(org, now, actor),
    ];
    if role == Role::Agent {
        changes.push(Change::PutObject(Object {
            id: user.id,
            org_id: org,
            kind: ObjectKind::Agent,
            name: user.id.to_string(),
            data: serde_json::to_value(AgentProfile::default()).unwrap_or(Value::Null),
            created_at: now,
            updated_at: now,
        }));
    }
    state.write(changes, vec![]).await?;
    contacts::refresh_org_config(state, org).await?;
    Ok(user)
}

/// Create a queue (`settings` is the queue's JSON: priority, required_skills…).
pub async fn create_queue(
    state: &AppState,
    org: Uuid,
    name: &str,
    settings: Value,
) -> ApiResult<Object> {
    create_object(state, org, ObjectKind::Queue, name, settings).await
}

/// Create a configuration object of any kind.
pub async fn create_object(
    state: &AppState,
    org: Uuid,
    kind: ObjectKind,
    name: &str,
    data: Value,
) -> ApiResult<Object> {
    create_object_by(state, Actor::System, org, kind, name, data).await
}

/// [`create_object`], recording who did it.
pub async fn create_object_by(
    state: &AppState,
    actor: Actor,
    org: Uuid,
    kind: ObjectKind,
    name: &str,
    data: Value,
) -> ApiResult<Object> {
    let now = state.now();
    let o = Object {
        id: store::new_id(),
        org_id: org,
        kind,
        name: name.to_string(),
        data,
        created_at: now,
        updated_at: now,
    };
    state
        .write(
            vec![
                Change::PutObject(o.clone()),
                LiveEvent::ObjectPut {
                    kind: kind.as_str().into(),
                    id: o.id,
                }
                .change(org, now, actor),
            ],
            vec![],
        )
        .await?;
    if matches!(
        kind,
        ObjectKind::Queue | ObjectKind::Agent | ObjectKind::BusinessHours
    ) {
        contacts::refresh_org_config(state, org).await?;
    }
    Ok(o)
}

/// A new API token for `user`; returns the secret (shown once) and the stored record.
pub async fn create_api_token(
    state: &AppState,
    org: Uuid,
    user: Uuid,
    name: &str,
    scopes: Vec<String>,
) -> ApiResult<(String, ApiToken)> {
    create_api_token_by(state, Actor::System, org, user, name, scopes, None).await
}

/// [`create_api_token`], recording who did it, and when it stops working (`None`: when
/// revoked). A token `actor` mints for another user names the actor as its maker.
pub async fn create_api_token_by(
    state: &AppState,
    actor: Actor,
    org: Uuid,
    user: Uuid,
    name: &str,
    scopes: Vec<String>,
    expires_at: Option<OffsetDateTime>,
) -> ApiResult<(String, ApiToken)> {
    if scopes.is_empty()
        || scopes
            .iter()
            .any(|s| !matches!(s.as_str(), "read" | "write" | "admin" | "scim"))
    {
        return Err(ApiError::invalid(
            "scopes: one or more of read, write, admin; or scim alone",
        ));
    }
    if scopes.iter().any(|s| s == "scim") && scopes.len() > 1 {
        return Err(ApiError::invalid(
            "scopes: scim stands alone (a provisioning token opens nothing else)",
        ));
    }
    if name.trim().is_empty() || name.len() > 100 {
        return Err(ApiError::invalid("name: 1 to 100 characters"));
    }
    if state.store().get_user(org, user).await?.is_none() {
        return Err(ApiError::not_found("user"));
    }
    let secret = format!("{}{}", auth::TOKEN_PREFIX, auth::random_secret());
    let now = state.now();
    let t = ApiToken {
        id: store::new_id(),
        org_id: org,
        user_id: user,
        name: name.to_string(),
        token_hash: auth::sha256_hex(&secret),
        scopes,
        created_at: now,
        last_used_at: None,
        revoked: false,
        expires_at,
        // Minted by someone else for this user: an impersonation, named as such.
        created_by: actor.user_id().filter(|by| *by != user),
    };
    state
        .write(
            vec![
                Change::PutApiToken(t.clone()),
                LiveEvent::TokenCreated {
                    token_id: t.id,
                    user_id: user,
                    impersonation: t.created_by.is_some(),
                    expires_at: t.expires_at.map(|at| at.unix_timestamp()),
                }
                .change(org, now, actor),
            ],
            vec![],
        )
        .await?;
    Ok((secret, t))
}

/// Make MFA mandatory (or not) for an organisation.
pub async fn set_mfa_required(state: &AppState, org: Uuid, required: bool) -> ApiResult<Org> {
    let mut o = state
        .store()
        .get_org(org)
        .await?
        .ok_or_else(|| ApiError::not_found("organisation"))?;
    o.mfa_required = required;
    state
        .write(
            vec![
                Change::PutOrg(o.clone()),
                LiveEvent::OrgMfaRequired { required }.change(org, state.now(), Actor::System),
            ],
            vec![],
        )
        .await?;
    Ok(o)
}

/// The hours an agent offers, as they would enter them on My hours: availability
/// windows (weekday 0 = Monday, `HH:MM` to `HH:MM`, the agent's local time), the fewest
/// and most paid hours of an ordinary week (0–30), and, for those who opt in, the most
/// in a peak week the planner opens (up to 60).
#[derive(Debug, Clone, PartialEq)]
pub struct OfferedHours {
    pub utc_offset_min: i32,
    pub windows: Vec<(u8, String, String)>,
    pub min_week_hours: f64,
    pub max_week_hours: f64,
    pub peak_max_week_hours: Option<f64>,
}

impl OfferedHours {
    /// The JSON `PUT /api/wfm/me/preferences` takes.
    pub fn to_json(&self) -> Value {
        json!({
            "utc_offset_min": self.utc_offset_min,
            "windows": self.windows.iter().map(|(d, a, b)| json!({"weekday": d, "start": a, "end": b})).collect::<Vec<_>>(),
            "min_week_hours": self.min_week_hours,
            "max_week_hours": self.max_week_hours,
            "peak_max_week_hours": self.peak_max_week_hours,
            "days_off": [],
        })
    }
}

/// The id of a user's preferences object: the one `/api/wfm/me/preferences` reads (the
/// user's id with fixed bits flipped; the user's own id is their agent object's).
fn prefs_id(user: Uuid) -> Uuid {
    Uuid::from_u128(user.as_u128() ^ 0x5746_4d5f_7072_6566_7300_0000_0000_0000)
}

/// Save the hours `user` offers unless they have saved some already (a person's own
/// entry is never overwritten). Returns whether it wrote them.
pub async fn offer_hours(
    state: &AppState,
    org: Uuid,
    user: Uuid,
    hours: &OfferedHours,
) -> ApiResult<bool> {
    let id = prefs_id(user);
    if state
        .store()
        .get_object(org, ObjectKind::WfmPreferences, id)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let bad = hours.min_week_hours < 0.0
        || hours.min_week_hours > hours.max_week_hours
        || hours.max_week_hours > 30.0
        || hours
            .peak_max_week_hours
            .is_some_and(|p| p < hours.max_week_hours || p > 60.0);
    if bad {
        return Err(ApiError::invalid(
            "offered hours: 0 ≤ min ≤ max ≤ 30, peak from max to 60",
        ));
    }
    let now = state.now();
    let o = Object {
        id,
        org_id: org,
        kind: ObjectKind::WfmPreferences,
        name: user.to_string(),
        data: hours.to_json(),
        created_at: now,
        updated_at: now,
    };
    state
        .write(
            vec![
                Change::PutObject(o),
                LiveEvent::WfmPreferences { user_id: user }.change(org, now, Actor::System),
            ],
            vec![],
        )
        .await?;
    Ok(true)
}

pub use crate::history::History;
