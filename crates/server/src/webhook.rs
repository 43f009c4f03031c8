//! The organisation's own webhooks (alerts, the weekly digest): one way to check the
//! settings an admin gives, and one sender. Each call is signed as the channels'
//! webhooks are (`X-Homeshore-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
//! "<t>.<body>">`, [`sign`]), retried with backoff up to [`ATTEMPTS`], and every
//! attempt is handed to the caller to log (the delivery log admins read).

use std::time::Duration;

use store::Change;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::channels::outbound::sign;
use serde_json::{Value, json};
use store::Store as _;

use crate::{ApiError, ApiResult, AppState};

/// Attempts at one webhook call, and the wait before the first retry (doubling).
pub const ATTEMPTS: u32 = 5;
const FIRST_RETRY: Duration = Duration::from_secs(1);

/// One attempt's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub at: OffsetDateTime,
    /// From 1.
    pub attempt: u32,
    pub ok: bool,
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// A webhook's URL and signing secret as an admin sends them, checked: the URL
/// trimmed (none when empty; https, or http on this machine), the secret sealed as
/// `field` (16 to 200 characters; none sent keeps `existing`, already sealed). A URL
/// without a secret is refused.
pub fn settings(
    state: &AppState,
    org: Uuid,
    url: Option<&str>,
    secret: Option<&str>,
    existing: Option<String>,
    field: &str,
) -> ApiResult<(Option<String>, Option<String>)> {
    let url = url
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    if let Some(u) = &url
        && !crate::sso::allowed_url(u)
    {
        return Err(ApiError::invalid(
            "webhook_url: https, or http on this machine",
        ));
    }
    let secret = match secret.map(str::trim) {
        Some(s) if !s.is_empty() => {
            if s.len() < 16 || s.len() > 200 {
                return Err(ApiError::invalid("webhook_secret: 16 to 200 characters"));
            }
            Some(state.sealer().seal(org, field, s))
        }
        _ => existing,
    };
    if url.is_some() && secret.is_none() {
        return Err(ApiError::invalid(
            "webhook_secret: a webhook needs a signing secret",
        ));
    }
    Ok((url, secret))
}

/// Posts `body` (JSON) to `url` from attempt `first`, signed with `secret`, retrying
/// with backoff until one succeeds or [`ATTEMPTS`] were made; writes what `log` makes
/// of each attempt. A stopping server leaves the rest to the next start.
pub async fn deliver(
    state: &AppState,
    url: &str,
    secret: &str,
    body: String,
    first: u32,
    log: impl Fn(&Attempt) -> Change,
) {
    let http = crate::http_client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    let mut wait = FIRST_RETRY * 2u32.pow(first.saturating_sub(1).min(8));
    for attempt in first..=ATTEMPTS {
        let now = state.now();
        let sent = http
            .post(url)
            .header("content-type", "application/json")
            .header(
                "x-homeshore-signature",
                sign(secret, now.unix_timestamp(), body.as_bytes()),
            )
            .body(body.clone())
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        let (ok, status, error) = match sent {
            Ok(r) if r.status().is_success() => (true, Some(r.status().as_u16()), None),
            Ok(r) => (
                false,
                Some(r.status().as_u16()),
                Some(format!("HTTP {}", r.status())),
            ),
            Err(e) => (false, None, Some(crate::channels::outbound::root_cause(&e))),
        };
        let a = Attempt {
            at: now,
            attempt,
            ok,
            status,
            error,
        };
        let _ = state.write(vec![log(&a)], vec![]).await;
        if ok {
            return;
        }
        let mut stopping = state.shutdown_signal();
        if *stopping.borrow() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stopping.changed() => return,
        }
        wait *= 2;
    }
}

/// The delivery log of one webhook: the last 200 attempts logged as `kind`, newest
/// first, as `{items: [{at, …the event's fields}]}`.
pub async fn delivery_log(state: &AppState, org: Uuid, kind: &str) -> ApiResult<Value> {
    let events = state
        .store()
        .read_org_events_of_kind(org, kind, i64::MAX, 200)
        .await?;
    let items: Vec<Value> = events
        .iter()
        .map(|e| {
            let mut d = e.data.clone();
            if let Value::Object(m) = &mut d {
                m.insert("at".into(), json!(crate::wire::ts(e.at)));
                m.remove("actor");
                m.remove("type");
            }
            d
        })
        .collect();
    Ok(json!({ "items": items }))
}
