//! The outbound side of the channels over HTTP: where each channel's messages go
//! (admins), and the receipts integrations report back. The rules live in
//! [`crate::channels::outbound`]; this module only translates requests.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{Change, Channel, Delivery, DeliveryStatus, NewEvent, ObjectKind, Role, Store};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::channels::outbound::{self, Endpoint, ReceiptFor};
use crate::error::{Json, Path};
use crate::events::Actor;
use crate::{ApiError, ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_endpoints))
        .routes(routes!(put_endpoint, delete_endpoint))
        .routes(routes!(post_receipt))
}

const MANAGERS: &[Role] = &[Role::Admin, Role::Supervisor];

/// The channels whose messages leave through an organisation's endpoint (web chat has
/// its own transport; calls carry no text).
const ENDPOINT_CHANNELS: [Channel; 4] = [
    Channel::Sms,
    Channel::Whatsapp,
    Channel::Messenger,
    Channel::Email,
];

/// One channel's endpoint as admins see it: never the secret itself.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EndpointOut {
    /// `sms`, `whatsapp`, `messenger` or `email`.
    pub channel: String,
    pub webhook_url: String,
    /// The secret's last four characters, to tell which one is set.
    pub secret_hint: String,
    /// Only in the answer that created the secret: keep it, it is not shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

fn out(e: &Endpoint, shown: Option<String>) -> EndpointOut {
    let n = e.secret.chars().count();
    EndpointOut {
        channel: e.channel.as_str().into(),
        webhook_url: e.url.clone(),
        secret_hint: e.secret.chars().skip(n.saturating_sub(4)).collect(),
        secret: shown,
    }
}

fn endpoint_channel(s: &str) -> ApiResult<Channel> {
    Channel::parse(s)
        .filter(|c| ENDPOINT_CHANNELS.contains(c))
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "channel: `{}` has no endpoint; one of sms, whatsapp, messenger, email",
                s.chars().take(40).collect::<String>()
            ))
        })
}

/// Where each channel's outbound messages go (admins).
#[utoipa::path(get, path = "/api/channel-endpoints", tag = "admin",
    responses((status = 200, description = "`{items: [EndpointOut]}`")))]
async fn list_endpoints(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require_admin()?;
    let eps = outbound::endpoints(&state, auth.org_id()).await?;
    let items: Vec<EndpointOut> = eps.iter().map(|e| out(e, None)).collect();
    Ok(Json(json!({ "items": items })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointIn {
    /// Where each outbound message is POSTed (JSON, signed in `X-Homeshore-Signature`).
    pub webhook_url: String,
    /// The HMAC-SHA256 key (16 to 200 characters). Left out: the current one stays, or
    /// a new one is made and shown once.
    pub secret: Option<String>,
}

/// Set where one channel's outbound messages go (admins): an `http://` URL of the
/// integration that speaks to the provider. Each message is POSTed there as JSON with
/// `Idempotency-Key: <message id>` and `X-Homeshore-Signature: t=<unix>,v1=<hex
/// HMAC-SHA256 of "<t>.<body>">`.
#[utoipa::path(put, path = "/api/channel-endpoints/{channel}", tag = "admin",
    params(("channel" = String, Path)), request_body = EndpointIn,
    responses((status = 200, body = EndpointOut), (status = 422, body = crate::error::ErrorBody)))]
async fn put_endpoint(
    State(state): State<AppState>,
    auth: Auth,
    Path(channel): Path<String>,
    Json(body): Json<EndpointIn>,
) -> ApiResult<Json<EndpointOut>> {
    auth.require_admin()?;
    let channel = endpoint_channel(&channel)?;
    let url = body.webhook_url.trim();
    if url.len() > 2_000 || url.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "webhook_url: at most 2000 characters, no control characters",
        ));
    }
    if url.starts_with("https://") {
        return Err(ApiError::invalid(
            "webhook_url: this build sends over plain http only; point it at an integration on your own network (http://…), which talks TLS to the provider",
        ));
    }
    let parsed = url
        .strip_prefix("http://")
        .filter(|rest| !rest.is_empty() && !rest.starts_with('/'));
    if parsed.is_none() {
        return Err(ApiError::invalid(
            "webhook_url: an http:// URL with a host, such as http://sms-relay.internal:8080/outbound",
        ));
    }
    if let Some(s) = &body.secret
        && !(16..=200).contains(&s.chars().count())
    {
        return Err(ApiError::invalid("secret: 16 to 200 characters"));
    }
    let org = auth.org_id();
    let existing = state
        .store()
        .list_objects(
            org,
            ObjectKind::ChannelEndpoint,
            store::PageRequest {
                after: None,
                limit: 100,
            },
        )
        .await?
        .items
        .into_iter()
        .find(|o| o.name == channel.as_str());
    let kept = existing
        .as_ref()
        .and_then(|o| o.data.get("secret"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let (secret, shown) = match (body.secret, kept) {
        (Some(s), _) => (s, None),
        (None, Some(k)) => (k, None),
        (None, None) => {
            let s = crate::auth::random_secret();
            (s.clone(), Some(s))
        }
    };
    let now = state.now();
    let obj = store::Object {
        id: existing
            .as_ref()
            .map(|o| o.id)
            .unwrap_or_else(store::new_id),
        org_id: org,
        kind: ObjectKind::ChannelEndpoint,
        name: channel.as_str().into(),
        data: json!({"webhook_url": url, "secret": secret}),
        created_at: existing.as_ref().map(|o| o.created_at).unwrap_or(now),
        updated_at: now,
    };
    let ep = Endpoint {
        id: obj.id,
        channel,
        url: url.to_string(),
        secret,
    };
    state
        .write(
            vec![
                Change::PutObject(obj),
                audit(org, now, &auth, "channel_endpoint.put", channel),
            ],
            vec![],
        )
        .await?;
    Ok(Json(out(&ep, shown)))
}

/// Remove a channel's endpoint (admins): its messages fail until one is set again.
#[utoipa::path(delete, path = "/api/channel-endpoints/{channel}", tag = "admin",
    params(("channel" = String, Path)),
    responses((status = 204, description = "removed"), (status = 404, body = crate::error::ErrorBody)))]
async fn delete_endpoint(
    State(state): State<AppState>,
    auth: Auth,
    Path(channel): Path<String>,
) -> ApiResult<StatusCode> {
    auth.require_admin()?;
    let channel = endpoint_channel(&channel)?;
    let org = auth.org_id();
    let ep = outbound::endpoints(&state, org)
        .await?
        .into_iter()
        .find(|e| e.channel == channel)
        .ok_or_else(|| ApiError::not_found("endpoint"))?;
    let now = state.now();
    state
        .write(
            vec![
                Change::DeleteObject {
                    org_id: org,
                    kind: ObjectKind::ChannelEndpoint,
                    id: ep.id,
                },
                audit(org, now, &auth, "channel_endpoint.deleted", channel),
            ],
            vec![],
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn audit(org: Uuid, at: time::OffsetDateTime, auth: &Auth, kind: &str, channel: Channel) -> Change {
    Change::Event(NewEvent {
        org_id: org,
        at,
        kind: kind.into(),
        data: json!({"actor": Actor::from(auth), "channel": channel}),
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptIn {
    /// Our id of the message (the webhook body's `id`)…
    pub message_id: Option<Uuid>,
    /// …or the provider's id, with the channel.
    pub provider_message_id: Option<String>,
    #[schema(value_type = Option<String>, example = "sms")]
    pub channel: Option<Channel>,
    /// `sent`, `delivered`, `read` or `failed`.
    #[schema(value_type = String, example = "delivered")]
    pub status: DeliveryStatus,
    /// Why it failed, as the provider says.
    pub error: Option<String>,
}

/// A delivery as integrations see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryOut {
    pub message_id: Uuid,
    pub contact_id: Uuid,
    #[schema(value_type = String)]
    pub channel: Channel,
    /// `queued`, `sent`, `delivered`, `read`, `failed`.
    #[schema(value_type = String)]
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub provider_message_id: Option<String>,
    pub error: Option<String>,
}

impl From<Delivery> for DeliveryOut {
    fn from(d: Delivery) -> Self {
        DeliveryOut {
            message_id: d.message_id,
            contact_id: d.contact_id,
            channel: d.channel,
            status: d.status,
            attempts: d.attempts,
            provider_message_id: d.provider_message_id,
            error: d.error,
        }
    }
}

/// Report what happened to an outbound message (integrations): `sent`, `delivered`,
/// `read` or `failed`. Receipts only move a message forward: a late or repeated one is
/// answered with the message's status as it stands and changes nothing.
#[utoipa::path(post, path = "/api/receipts", tag = "contacts", request_body = ReceiptIn,
    responses((status = 200, body = DeliveryOut), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn post_receipt(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<ReceiptIn>,
) -> ApiResult<Json<DeliveryOut>> {
    auth.require(MANAGERS)?;
    if body.status == DeliveryStatus::Queued {
        return Err(ApiError::invalid(
            "status: one of sent, delivered, read, failed",
        ));
    }
    if let Some(p) = &body.provider_message_id
        && (p.is_empty() || p.len() > 200)
    {
        return Err(ApiError::invalid(
            "provider_message_id: 1 to 200 characters",
        ));
    }
    let error: Option<String> = body.error.map(|e| e.chars().take(500).collect());
    let which = match (body.message_id, body.provider_message_id, body.channel) {
        (Some(id), provider_message_id, _) => ReceiptFor::Message {
            id,
            provider_message_id,
        },
        (None, Some(id), Some(channel)) => ReceiptFor::Provider { channel, id },
        _ => {
            return Err(ApiError::invalid(
                "name the message: message_id, or provider_message_id with channel",
            ));
        }
    };
    let d = outbound::receipt(
        &state,
        auth.org_id(),
        Actor::from(&auth),
        which,
        body.status,
        error.as_deref(),
    )
    .await?;
    Ok(Json(d.into()))
}
