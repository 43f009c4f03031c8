//! Creating organisations, users, queues and tokens: used by the CLI (`homeshore org
//! create`, `homeshore user add`), the demo and tests. Each writes through the store and
//! refreshes the live state.

use serde_json::{Value, json};
use store::{ApiToken, Change, NewEvent, Object, ObjectKind, Org, Role, Store, User};
use uuid::Uuid;

use crate::engine::AgentProfile;
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

fn log(org: Uuid, at: time::OffsetDateTime, kind: &str, data: Value) -> Change {
    Change::Event(NewEvent {
        org_id: org,
        at,
        kind: kind.into(),
        data,
    })
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
                log(
                    org.id,
                    now,
                    "org.created",
                    json!({"slug": slug, "name": org.name}),
                ),
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
    let now = state.now();
    let user = User {
        id: store::new_id(),
        org_id: org,
        email: email.clone(),
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
        log(
            org,
            now,
            "user.created",
            json!({"user_id": user.id, "role": role}),
        ),
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
                log(
                    org,
                    now,
                    "object.put",
                    json!({"kind": kind.as_str(), "id": o.id}),
                ),
            ],
            vec![],
        )
        .await?;
    if matches!(kind, ObjectKind::Queue | ObjectKind::Agent) {
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
    if scopes.is_empty()
        || scopes
            .iter()
            .any(|s| !matches!(s.as_str(), "read" | "write" | "admin"))
    {
        return Err(ApiError::invalid(
            "scopes: one or more of read, write, admin",
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
    };
    state
        .write(
            vec![
                Change::PutApiToken(t.clone()),
                log(
                    org,
                    now,
                    "token.created",
                    json!({"token_id": t.id, "user_id": user}),
                ),
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
                log(
                    org,
                    state.now(),
                    "org.mfa_required",
                    json!({"required": required}),
                ),
            ],
            vec![],
        )
        .await?;
    Ok(o)
}
