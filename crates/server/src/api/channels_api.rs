//! The channels over HTTP: where each channel's messages go (admins), the receipts
//! integrations report back, and the providers' own webhooks (Twilio, WhatsApp,
//! Messenger), each checked against the provider's signature before it is read. The
//! rules live in [`crate::channels`]; this module only translates requests.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{Change, Channel, Delivery, DeliveryStatus, ObjectKind, Role, Store};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::channels::outbound::{self, Endpoint, Provider, ReceiptFor};
use crate::error::{Json, Path};
use crate::events::{Actor, LiveEvent};
use crate::{ApiError, ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_endpoints))
        .routes(routes!(put_endpoint, delete_endpoint))
        .routes(routes!(test_endpoint))
        .routes(routes!(fetch_mail))
        .routes(routes!(post_receipt))
        .routes(routes!(twilio_sms))
        .routes(routes!(twilio_status))
        .routes(routes!(whatsapp_verify, whatsapp_webhook))
        .routes(routes!(messenger_verify, messenger_webhook))
        .merge(
            // A raw mail may be far larger than the API's usual bodies.
            OpenApiRouter::new().routes(routes!(email_ingress)).layer(
                axum::extract::DefaultBodyLimit::max(crate::channels::email::MAX_MAIL_BYTES + 1),
            ),
        )
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

/// One channel's endpoint as admins see it: never a secret itself.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct EndpointOut {
    /// `sms`, `whatsapp`, `messenger` or `email`.
    pub channel: String,
    /// `webhook`, `twilio`, `whatsapp`, `messenger` or `email`.
    pub provider: String,
    /// Webhook: where each message is POSTed.
    pub webhook_url: Option<String>,
    /// The last four characters of the signing secret (webhook), the auth token
    /// (Twilio) or the access token (WhatsApp, Messenger).
    pub secret_hint: String,
    /// Only in the answer that created the secret: keep it, it is not shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Twilio: the account, the sending number, where new contacts wait, the API's
    /// address, and this server's address as Twilio reaches it.
    pub account_sid: Option<String>,
    pub from: Option<String>,
    pub queue_id: Option<Uuid>,
    pub api_base: Option<String>,
    pub public_base_url: Option<String>,
    /// Twilio: the URL to set as the number's "A message comes in" webhook. WhatsApp:
    /// the path of the callback URL to give Meta (after this server's address).
    pub inbound_url: Option<String>,
    /// WhatsApp: the business number's id.
    pub phone_number_id: Option<String>,
    /// Messenger: the Facebook page's id.
    pub page_id: Option<String>,
    /// WhatsApp: the approved message templates agents may send.
    pub templates: Option<Vec<crate::channels::whatsapp::Template>>,
    /// Email: the support address, the name replies come from, the mail servers (never
    /// their passwords), the mailbox read, and the signature under replies.
    pub address: Option<String>,
    pub display_name: Option<String>,
    pub imap: Option<MailServerOut>,
    pub mailbox: Option<String>,
    pub smtp: Option<MailServerOut>,
    pub signature: Option<String>,
}

/// A mail server as admins see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MailServerOut {
    pub host: String,
    pub port: u16,
    /// `tls`, `starttls` or `none`.
    pub security: String,
    pub user: String,
    /// Whether a password is stored.
    pub has_password: bool,
}

fn mail_server_out(s: &crate::channels::email::Server) -> MailServerOut {
    MailServerOut {
        host: s.host.clone(),
        port: s.port,
        security: s.security.as_str().into(),
        user: s.user.clone(),
        has_password: !s.password.is_empty(),
    }
}

fn hint(secret: &str) -> String {
    let n = secret.chars().count();
    secret.chars().skip(n.saturating_sub(4)).collect()
}

fn out(e: &Endpoint, org_slug: &str, shown: Option<String>) -> EndpointOut {
    let base = |provider: &str, secret: &str| EndpointOut {
        channel: e.channel.as_str().into(),
        provider: provider.into(),
        secret_hint: hint(secret),
        ..EndpointOut::default()
    };
    match &e.provider {
        Provider::Webhook { url, secret } => EndpointOut {
            webhook_url: Some(url.clone()),
            secret: shown,
            ..base("webhook", secret)
        },
        Provider::Whatsapp(w) => EndpointOut {
            queue_id: Some(w.queue_id),
            api_base: Some(w.api_base.clone()),
            inbound_url: Some(format!("/api/webhooks/whatsapp/{org_slug}")),
            phone_number_id: Some(w.phone_number_id.clone()),
            templates: Some(w.templates.clone()),
            ..base("whatsapp", &w.access_token)
        },
        Provider::Messenger(m) => EndpointOut {
            queue_id: Some(m.queue_id),
            api_base: Some(m.api_base.clone()),
            inbound_url: Some(format!("/api/webhooks/messenger/{org_slug}")),
            page_id: Some(m.page_id.clone()),
            ..base("messenger", &m.page_access_token)
        },
        Provider::Email(m) => EndpointOut {
            queue_id: Some(m.queue_id),
            inbound_url: Some(format!("/api/webhooks/email/{org_slug}")),
            secret: shown,
            address: Some(m.address.clone()),
            display_name: Some(m.display_name.clone()),
            imap: m.imap.as_ref().map(mail_server_out),
            mailbox: Some(m.mailbox.clone()),
            smtp: Some(mail_server_out(&m.smtp)),
            signature: Some(m.signature.clone()),
            ..base("email", &m.ingress_secret)
        },
        Provider::Twilio(t) => EndpointOut {
            account_sid: Some(t.account_sid.clone()),
            from: Some(t.from.clone()),
            queue_id: Some(t.queue_id),
            api_base: Some(t.api_base.clone()),
            public_base_url: Some(t.public_base_url.clone()),
            inbound_url: Some(format!(
                "{}/api/webhooks/twilio/{org_slug}/sms",
                t.public_base_url.trim_end_matches('/')
            )),
            ..base("twilio", &t.auth_token)
        },
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

async fn org_slug(state: &AppState, org: Uuid) -> ApiResult<String> {
    Ok(state
        .store()
        .get_org(org)
        .await?
        .map(|o| o.slug)
        .unwrap_or_default())
}

/// Where each channel's outbound messages go (admins).
#[utoipa::path(get, path = "/api/channel-endpoints", tag = "admin",
    responses((status = 200, description = "`{items: [EndpointOut]}`")))]
async fn list_endpoints(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require_admin()?;
    let slug = org_slug(&state, auth.org_id()).await?;
    let eps = outbound::endpoints(&state, auth.org_id()).await?;
    let items: Vec<EndpointOut> = eps.iter().map(|e| out(e, &slug, None)).collect();
    Ok(Json(json!({ "items": items })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointIn {
    /// `webhook` (the default), `twilio` (SMS only), `whatsapp` (WhatsApp only),
    /// `messenger` (Messenger only) or `email` (email only).
    pub provider: Option<String>,
    /// Webhook: where each outbound message is POSTed (JSON, signed in
    /// `X-Homeshore-Signature`).
    pub webhook_url: Option<String>,
    /// Webhook: the HMAC-SHA256 key (16 to 200 characters). Left out: the current one
    /// stays, or a new one is made and shown once.
    pub secret: Option<String>,
    /// Twilio: the account SID (`AC…`).
    pub account_sid: Option<String>,
    /// Twilio: the auth token (left out: the current one stays).
    pub auth_token: Option<String>,
    /// Twilio: the number replies come from, E.164 (`+15551230000`).
    pub from: Option<String>,
    /// Twilio: where a new SMS contact waits.
    pub queue_id: Option<Uuid>,
    /// Twilio: the API's address (default `https://api.twilio.com`).
    pub api_base: Option<String>,
    /// Twilio: this server's address as Twilio reaches it (`https://cc.example.com`).
    pub public_base_url: Option<String>,
    /// WhatsApp: the business number's id in the Cloud API.
    pub phone_number_id: Option<String>,
    /// WhatsApp: a system user's access token (left out: the current one stays).
    pub access_token: Option<String>,
    /// WhatsApp, Messenger: the Meta app's secret, which signs webhooks (left out: kept).
    pub app_secret: Option<String>,
    /// WhatsApp, Messenger: the verify token the webhook's set-up handshake must present.
    pub verify_token: Option<String>,
    /// Messenger: the Facebook page's id.
    pub page_id: Option<String>,
    /// Messenger: the page's access token (left out: the current one stays).
    pub page_access_token: Option<String>,
    /// WhatsApp: the number's approved message templates, as in WhatsApp Manager (left
    /// out: the current ones stay). The only messages sent once the 24-hour window closed.
    pub templates: Option<Vec<crate::channels::whatsapp::Template>>,
    /// Email: the support address customers write to (`support@shop.example`).
    pub address: Option<String>,
    /// Email: the name replies come from.
    pub display_name: Option<String>,
    /// Email: the IMAP server mail is read from (left out: mail comes in only through
    /// the raw-MIME ingress).
    pub imap: Option<MailServerIn>,
    /// Email: the IMAP folder read (default `INBOX`).
    pub mailbox: Option<String>,
    /// Email: the SMTP server replies go through.
    pub smtp: Option<MailServerIn>,
    /// Email: under every reply; `{agent}` becomes the agent's name.
    pub signature: Option<String>,
    /// Email: the raw-MIME ingress's shared secret (16 to 200 characters). Left out:
    /// the current one stays, or a new one is made and shown once.
    pub ingress_secret: Option<String>,
}

/// A mail server and the account on it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailServerIn {
    pub host: String,
    pub port: u16,
    /// `tls` (the default), `starttls` or `none` (a server on this machine or network).
    pub security: Option<String>,
    /// Left empty: no login (an SMTP relay that trusts this server).
    pub user: Option<String>,
    /// Left out: the current one stays.
    pub password: Option<String>,
}

/// WhatsApp templates as WhatsApp Manager shows them: each valid, names unique per
/// language, a hundred at most.
fn check_templates(templates: &[crate::channels::whatsapp::Template]) -> ApiResult<()> {
    use crate::channels::whatsapp::MAX_TEMPLATES;
    if templates.len() > MAX_TEMPLATES {
        return Err(ApiError::invalid(format!(
            "templates: at most {MAX_TEMPLATES}"
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for t in templates {
        t.check()
            .map_err(|e| ApiError::invalid(format!("templates: {e}")))?;
        if !seen.insert((&t.name, &t.language)) {
            return Err(ApiError::invalid(format!(
                "templates: {} ({}) is listed twice",
                t.name, t.language
            )));
        }
    }
    Ok(())
}

fn http_url(field: &str, url: &str) -> ApiResult<String> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(r)
            if !r.is_empty()
                && !r.starts_with('/')
                && url.len() <= 2_000
                && !url.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            Ok(url.to_string())
        }
        _ => Err(ApiError::invalid(format!(
            "{field}: an http:// or https:// URL with a host, such as https://relay.example.com/outbound"
        ))),
    }
}

/// Set where one channel's outbound messages go (admins). A webhook: each message is
/// POSTed there as JSON with `Idempotency-Key: <message id>` and `X-Homeshore-Signature:
/// t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. Twilio (SMS): replies go through the
/// Messages API, texts come in at `inbound_url`, and both are checked with the auth token.
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
    let org = auth.org_id();
    let existing = state
        .store()
        .get_object_by_name(org, ObjectKind::ChannelEndpoint, channel.as_str())
        .await?;
    // What is stored now, credentials opened.
    let kept = |k: &str| {
        existing
            .as_ref()
            .and_then(|o| o.data.get(k))
            .and_then(Value::as_str)
            .and_then(|v| state.sealer().open(org, k, v))
    };
    let mut shown = None;
    let data = match body.provider.as_deref().unwrap_or("webhook") {
        "webhook" => {
            let url = http_url(
                "webhook_url",
                body.webhook_url
                    .as_deref()
                    .ok_or_else(|| ApiError::invalid("webhook_url: required"))?,
            )?;
            if let Some(s) = &body.secret
                && !(16..=200).contains(&s.chars().count())
            {
                return Err(ApiError::invalid("secret: 16 to 200 characters"));
            }
            let secret = match (body.secret, kept("secret")) {
                (Some(s), _) => s,
                (None, Some(k)) => k,
                (None, None) => {
                    let s = crate::auth::random_secret();
                    shown = Some(s.clone());
                    s
                }
            };
            json!({"provider": "webhook", "webhook_url": url, "secret": secret})
        }
        "twilio" => {
            if channel != Channel::Sms {
                return Err(ApiError::invalid("provider: twilio carries sms only"));
            }
            let sid = body.account_sid.unwrap_or_default();
            if !(sid.starts_with("AC")
                && (10..=64).contains(&sid.len())
                && sid.chars().all(|c| c.is_ascii_alphanumeric()))
            {
                return Err(ApiError::invalid(
                    "account_sid: your Twilio account SID, AC followed by letters and digits",
                ));
            }
            let token = match (body.auth_token, kept("auth_token")) {
                (Some(t), _) if (16..=200).contains(&t.len()) => t,
                (Some(_), _) => return Err(ApiError::invalid("auth_token: 16 to 200 characters")),
                (None, Some(k)) => k,
                (None, None) => return Err(ApiError::invalid("auth_token: required")),
            };
            let from = body.from.unwrap_or_default();
            if !(from.starts_with('+')
                && (8..=16).contains(&from.len())
                && from[1..].chars().all(|c| c.is_ascii_digit()))
            {
                return Err(ApiError::invalid(
                    "from: the sending number in E.164, such as +15551230000",
                ));
            }
            let queue = queue_of(&state, org, body.queue_id).await?;
            let api_base = http_url(
                "api_base",
                body.api_base.as_deref().unwrap_or("https://api.twilio.com"),
            )?;
            let public = http_url(
                "public_base_url",
                body.public_base_url.as_deref().ok_or_else(|| {
                    ApiError::invalid(
                        "public_base_url: required (this server's address as Twilio reaches it)",
                    )
                })?,
            )?;
            json!({"provider": "twilio", "account_sid": sid, "auth_token": token, "from": from,
                   "queue_id": queue, "api_base": api_base, "public_base_url": public})
        }
        meta @ ("whatsapp" | "messenger") => {
            // Meta's two channels: the account's id and token differ, the rest is one.
            let (id_key, id_what, token_key, token_what, given_id, given_token) =
                if meta == "whatsapp" {
                    (
                        "phone_number_id",
                        "the number's id from WhatsApp Manager (digits)",
                        "access_token",
                        "a system user's access token",
                        body.phone_number_id,
                        body.access_token,
                    )
                } else {
                    (
                        "page_id",
                        "the Facebook page's id (digits)",
                        "page_access_token",
                        "the page's access token",
                        body.page_id,
                        body.page_access_token,
                    )
                };
            if channel.as_str() != meta {
                return Err(ApiError::invalid(format!(
                    "provider: {meta} carries {meta} only"
                )));
            }
            let id = given_id.unwrap_or_default();
            if !((5..=32).contains(&id.len()) && id.chars().all(|c| c.is_ascii_digit())) {
                return Err(ApiError::invalid(format!("{id_key}: {id_what}")));
            }
            let keep = |given: Option<String>, key: &str, what: &str| -> ApiResult<String> {
                match (given, kept(key)) {
                    (Some(t), _) if (16..=1000).contains(&t.len()) => Ok(t),
                    (Some(_), _) => Err(ApiError::invalid(format!(
                        "{key}: {what}, 16 to 1000 characters"
                    ))),
                    (None, Some(k)) => Ok(k),
                    (None, None) => Err(ApiError::invalid(format!("{key}: required ({what})"))),
                }
            };
            let token = keep(given_token, token_key, token_what)?;
            let secret = keep(body.app_secret, "app_secret", "the Meta app's secret")?;
            let verify = body
                .verify_token
                .or_else(|| kept("verify_token"))
                .unwrap_or_default();
            if !(8..=200).contains(&verify.len()) {
                return Err(ApiError::invalid(
                    "verify_token: 8 to 200 characters, the same as in the app's webhook settings",
                ));
            }
            let queue = queue_of(&state, org, body.queue_id).await?;
            let api_base = http_url(
                "api_base",
                body.api_base
                    .as_deref()
                    .unwrap_or("https://graph.facebook.com/v21.0"),
            )?;
            let mut data = json!({"provider": meta, id_key: id, token_key: token,
                   "app_secret": secret, "verify_token": verify, "queue_id": queue,
                   "api_base": api_base});
            if meta == "whatsapp" {
                let templates = match body.templates {
                    Some(t) => t,
                    None => existing
                        .as_ref()
                        .and_then(|o| o.data.get("templates"))
                        .and_then(|t| serde_json::from_value(t.clone()).ok())
                        .unwrap_or_default(),
                };
                check_templates(&templates)?;
                data["templates"] = json!(templates);
            } else if body.templates.is_some() {
                return Err(ApiError::invalid("templates: WhatsApp only"));
            }
            data
        }
        "email" => {
            if channel != Channel::Email {
                return Err(ApiError::invalid("provider: email carries email only"));
            }
            let address = body
                .address
                .as_deref()
                .map(|a| a.trim().to_ascii_lowercase())
                .filter(|a| crate::channels::email::is_address(a))
                .ok_or_else(|| {
                    ApiError::invalid("address: the support address, such as support@shop.example")
                })?;
            let display_name = body.display_name.unwrap_or_default().trim().to_string();
            if display_name.chars().count() > 100 || display_name.chars().any(char::is_control) {
                return Err(ApiError::invalid(
                    "display_name: at most 100 characters on one line",
                ));
            }
            let signature = body.signature.unwrap_or_default();
            if signature.chars().count() > 1_000 {
                return Err(ApiError::invalid("signature: at most 1,000 characters"));
            }
            let mailbox = body.mailbox.unwrap_or_else(|| "INBOX".into());
            if mailbox.is_empty()
                || mailbox.len() > 200
                || mailbox
                    .chars()
                    .any(|c| c.is_control() || c == '"' || c == '\\')
            {
                return Err(ApiError::invalid(
                    "mailbox: an IMAP folder's name, such as INBOX",
                ));
            }
            let queue = queue_of(&state, org, body.queue_id).await?;
            let mut data = json!({"provider": "email", "address": address,
                "display_name": display_name, "queue_id": queue, "mailbox": mailbox,
                "signature": signature});
            let smtp = body
                .smtp
                .ok_or_else(|| ApiError::invalid("smtp: required (where replies are sent)"))?;
            mail_server_into(&mut data, "smtp", smtp, kept("smtp_password"))?;
            if let Some(imap) = body.imap {
                mail_server_into(&mut data, "imap", imap, kept("imap_password"))?;
            }
            if let Some(s) = &body.ingress_secret
                && !(16..=200).contains(&s.chars().count())
            {
                return Err(ApiError::invalid("ingress_secret: 16 to 200 characters"));
            }
            data["ingress_secret"] = json!(match (body.ingress_secret, kept("ingress_secret")) {
                (Some(s), _) => s,
                (None, Some(k)) => k,
                (None, None) => {
                    let s = crate::auth::random_secret();
                    shown = Some(s.clone());
                    s
                }
            });
            data
        }
        other => {
            return Err(ApiError::invalid(format!(
                "provider: `{}` is not one of webhook, twilio, whatsapp, messenger, email",
                other.chars().take(40).collect::<String>()
            )));
        }
    };
    let mut data = data;
    crate::channels::outbound::seal_endpoint(state.sealer(), org, &mut data);
    let now = state.now();
    let obj = store::Object::next_version(
        existing.as_ref(),
        org,
        ObjectKind::ChannelEndpoint,
        channel.as_str(),
        data,
        now,
    );
    state
        .write(
            vec![
                Change::PutObject(obj.clone()),
                LiveEvent::ChannelEndpointPut { channel }.change(org, now, Actor::from(&auth)),
            ],
            vec![],
        )
        .await?;
    let ep = outbound::endpoint(&state, org, channel)
        .await?
        .ok_or_else(|| ApiError::internal("the endpoint did not read back"))?;
    let slug = org_slug(&state, org).await?;
    Ok(Json(out(&ep, &slug, shown)))
}

/// The queue new contacts of an endpoint wait in: required, and the organisation's.
async fn queue_of(state: &AppState, org: Uuid, queue: Option<Uuid>) -> ApiResult<Uuid> {
    let queue = queue.ok_or_else(|| ApiError::invalid("queue_id: required"))?;
    state
        .store()
        .get_object(org, ObjectKind::Queue, queue)
        .await?
        .ok_or_else(|| ApiError::invalid("queue_id: no such queue"))?;
    Ok(queue)
}

/// A mail server's settings into an endpoint's (`<prefix>_host`, …), its password kept
/// when none is given.
fn mail_server_into(
    data: &mut Value,
    prefix: &str,
    s: MailServerIn,
    kept_password: Option<String>,
) -> ApiResult<()> {
    let host = s.host.trim();
    if host.is_empty()
        || host.len() > 253
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
    {
        return Err(ApiError::invalid(format!(
            "{prefix}.host: a host name or IP address, such as mail.shop.example"
        )));
    }
    if s.port == 0 {
        return Err(ApiError::invalid(format!("{prefix}.port: 1 to 65535")));
    }
    let security = crate::channels::email::Security::parse(s.security.as_deref().unwrap_or("tls"))
        .ok_or_else(|| ApiError::invalid(format!("{prefix}.security: tls, starttls or none")))?;
    let user = s.user.unwrap_or_default();
    if user.len() > 320 || user.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!(
            "{prefix}.user: at most 320 characters"
        )));
    }
    let password = match s.password {
        Some(p) if p.len() <= 1_000 => p,
        Some(_) => {
            return Err(ApiError::invalid(format!(
                "{prefix}.password: at most 1,000 characters"
            )));
        }
        None => kept_password.unwrap_or_default(),
    };
    if !user.is_empty() && password.is_empty() {
        return Err(ApiError::invalid(format!(
            "{prefix}.password: required with a user"
        )));
    }
    data[format!("{prefix}_host")] = json!(host);
    data[format!("{prefix}_port")] = json!(s.port);
    data[format!("{prefix}_security")] = json!(security.as_str());
    data[format!("{prefix}_user")] = json!(user);
    data[format!("{prefix}_password")] = json!(password);
    Ok(())
}

/// The endpoint an admin names by channel, in the admin's organisation.
async fn admins_endpoint(
    state: &AppState,
    auth: &Auth,
    channel: &str,
) -> ApiResult<(Uuid, Endpoint)> {
    auth.require_admin()?;
    let channel = endpoint_channel(channel)?;
    let org = auth.org_id();
    let ep = outbound::endpoint(state, org, channel)
        .await?
        .ok_or_else(|| ApiError::not_found("endpoint"))?;
    Ok((org, ep))
}

/// What testing an endpoint found.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EndpointCheck {
    /// The provider (or integration) accepted the stored address and credentials.
    pub ok: bool,
    /// What it said, or what to fix.
    pub detail: String,
    /// How long the check took.
    pub took_ms: u64,
}

/// Check a channel's endpoint without sending a customer anything: Twilio, WhatsApp
/// and Messenger are asked to read the account, number or page with the stored
/// credentials; an integration gets a signed test message (`"type": "test"`).
#[utoipa::path(post, path = "/api/channel-endpoints/{channel}/test", tag = "admin",
    params(("channel" = String, Path)),
    responses((status = 200, body = EndpointCheck), (status = 404, body = crate::error::ErrorBody)))]
async fn test_endpoint(
    State(state): State<AppState>,
    auth: Auth,
    Path(channel): Path<String>,
) -> ApiResult<Json<EndpointCheck>> {
    let (org, ep) = admins_endpoint(&state, &auth, &channel).await?;
    let started = std::time::Instant::now();
    let found = state.transports().provider().check(&state, org, &ep).await;
    let took_ms = started.elapsed().as_millis() as u64;
    Ok(Json(match found {
        Ok(detail) => EndpointCheck {
            ok: true,
            detail,
            took_ms,
        },
        Err(detail) => EndpointCheck {
            ok: false,
            detail,
            took_ms,
        },
    }))
}

/// What reading the mailbox now found.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MailRound {
    /// The round ran to its end.
    pub ok: bool,
    /// What went wrong, or what was read.
    pub detail: String,
    /// New mails stored.
    pub stored: usize,
    /// Mails stored before (the same Message-ID).
    pub duplicates: usize,
    /// Automatic replies and our own mails, kept out.
    pub skipped: usize,
    /// Messages that are not mail, passed over.
    pub unreadable: usize,
}

/// Read the email endpoint's IMAP mailbox now, as the poller does every 30 seconds
/// (admins): what is new is stored; what was stored is not stored again.
#[utoipa::path(post, path = "/api/channel-endpoints/email/fetch", tag = "admin",
    responses((status = 200, body = MailRound), (status = 404, body = crate::error::ErrorBody)))]
async fn fetch_mail(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<MailRound>> {
    let (org, ep) = admins_endpoint(&state, &auth, "email").await?;
    let Provider::Email(cfg) = ep.provider else {
        return Err(ApiError::not_found("IMAP mailbox"));
    };
    Ok(Json(
        match crate::channels::email::sync(&state, org, &cfg).await {
            Ok(r) => MailRound {
                ok: true,
                detail: format!(
                    "{} new, {} seen before, {} automatic, {} unreadable",
                    r.stored, r.duplicates, r.skipped, r.unreadable
                ),
                stored: r.stored,
                duplicates: r.duplicates,
                skipped: r.skipped,
                unreadable: r.unreadable,
            },
            Err(detail) => MailRound {
                ok: false,
                detail,
                stored: 0,
                duplicates: 0,
                skipped: 0,
                unreadable: 0,
            },
        },
    ))
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
    let (org, ep) = admins_endpoint(&state, &auth, &channel).await?;
    let now = state.now();
    state
        .write(
            vec![
                Change::DeleteObject {
                    org_id: org,
                    kind: ObjectKind::ChannelEndpoint,
                    id: ep.id,
                },
                LiveEvent::ChannelEndpointDeleted {
                    channel: ep.channel,
                }
                .change(org, now, Actor::from(&auth)),
            ],
            vec![],
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
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

// ---------- Twilio's webhooks (signed by Twilio, no session or token) ----------

/// The organisation a provider's webhook names (by slug), and its provider for `channel`.
async fn provider_for(
    state: &AppState,
    slug: &str,
    channel: Channel,
) -> ApiResult<(Uuid, Option<Provider>)> {
    let org = state
        .store()
        .get_org_by_slug(slug)
        .await?
        .ok_or_else(|| ApiError::not_found("organisation"))?;
    let provider = outbound::endpoint(state, org.id, channel)
        .await?
        .map(|e| e.provider);
    Ok((org.id, provider))
}

/// The empty TwiML answer: Twilio sends nothing back to the customer.
const TWIML_EMPTY: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";

/// The organisation and its Twilio account for a webhook, and the request's form once its
/// signature holds. Nothing is read from the form before that.
async fn twilio_request(
    state: &AppState,
    slug: &str,
    uri: &axum::http::Uri,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> ApiResult<(
    Uuid,
    crate::channels::twilio::TwilioConfig,
    Vec<(String, String)>,
)> {
    let (org, provider) = provider_for(state, slug, Channel::Sms).await?;
    let Some(Provider::Twilio(cfg)) = provider else {
        return Err(ApiError::not_found("Twilio account for SMS"));
    };
    let params: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    let url = format!(
        "{}{}",
        cfg.public_base_url.trim_end_matches('/'),
        uri.path_and_query()
            .map(|p| p.as_str())
            .unwrap_or(uri.path())
    );
    let given = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !crate::channels::twilio::verify(&cfg.auth_token, &url, &params, given) {
        tracing::warn!(%org, %url, "Twilio webhook with a bad signature refused");
        return Err(ApiError::forbidden(
            "X-Twilio-Signature does not match this request: check the auth token, and that public_base_url is the address Twilio calls",
        ));
    }
    Ok((org, cfg, params))
}

/// A text from a customer, as Twilio posts it (form-encoded `MessageSid`, `From`, `To`,
/// `Body`), checked against `X-Twilio-Signature`. STOP and START change whether the
/// number may be texted; every text joins the customer's conversation. Answered with
/// empty TwiML once durable; a repeated `MessageSid` changes nothing.
#[utoipa::path(post, path = "/api/webhooks/twilio/{org}/sms", tag = "contacts",
    params(("org" = String, Path, description = "the organisation's slug")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "empty TwiML"), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn twilio_sms(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    headers: axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<impl axum::response::IntoResponse> {
    let body = body.map_err(|e| crate::error::body_rejection(e.status(), e.body_text()))?;
    let (org, cfg, params) = twilio_request(&state, &slug, &uri, &headers, &body).await?;
    crate::channels::twilio::receive_text(&state, org, &cfg, &params).await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "text/xml")],
        TWIML_EMPTY,
    ))
}

/// Twilio's status callback for a text we sent (`MessageSid`, `MessageStatus`,
/// `ErrorCode`), checked against `X-Twilio-Signature`: the delivery moves forward.
#[utoipa::path(post, path = "/api/webhooks/twilio/{org}/status", tag = "contacts",
    params(("org" = String, Path, description = "the organisation's slug")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 204, description = "noted"), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn twilio_status(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    headers: axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<StatusCode> {
    let body = body.map_err(|e| crate::error::body_rejection(e.status(), e.body_text()))?;
    let (org, _, params) = twilio_request(&state, &slug, &uri, &headers, &body).await?;
    let Some(sid) = crate::channels::twilio::param(&params, "MessageSid") else {
        return Err(ApiError::invalid("MessageSid is required"));
    };
    let Some(status) = crate::channels::twilio::param(&params, "MessageStatus")
        .and_then(crate::channels::twilio::status_of)
    else {
        return Ok(StatusCode::NO_CONTENT);
    };
    // Our message id rides in the callback's URL (`?m=`), so a callback that beats our
    // record of Twilio's SID still finds its message.
    let ours = uri.query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "m")
            .and_then(|(_, v)| v.parse::<Uuid>().ok())
    });
    let which = match ours {
        Some(id) => ReceiptFor::Message {
            id,
            provider_message_id: Some(sid.to_string()),
        },
        None => ReceiptFor::Provider {
            channel: Channel::Sms,
            id: sid.to_string(),
        },
    };
    let error = crate::channels::twilio::param(&params, "ErrorCode")
        .filter(|c| !c.is_empty())
        .map(|c| format!("Twilio error {c}: the carrier did not deliver it"));
    outbound::receipt(&state, org, Actor::System, which, status, error.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------- WhatsApp's webhooks (signed by Meta, no session or token) ----------

async fn whatsapp_config(
    state: &AppState,
    slug: &str,
) -> ApiResult<(Uuid, crate::channels::whatsapp::WhatsappConfig)> {
    match provider_for(state, slug, Channel::Whatsapp).await? {
        (org, Some(Provider::Whatsapp(cfg))) => Ok((org, cfg)),
        _ => Err(ApiError::not_found("WhatsApp number")),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct HubQuery {
    #[serde(rename = "hub.mode")]
    #[param(rename = "hub.mode")]
    pub mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    #[param(rename = "hub.verify_token")]
    pub verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    #[param(rename = "hub.challenge")]
    pub challenge: Option<String>,
}

/// Meta's set-up handshake: with the configured verify token, the challenge is answered.
#[utoipa::path(get, path = "/api/webhooks/whatsapp/{org}", tag = "contacts",
    params(("org" = String, Path, description = "the organisation's slug"), HubQuery),
    responses((status = 200, description = "the challenge"), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn whatsapp_verify(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    crate::error::Query(q): crate::error::Query<HubQuery>,
) -> ApiResult<String> {
    let (_, cfg) = whatsapp_config(&state, &slug).await?;
    hub_challenge(&cfg.verify_token, q)
}

/// Meta's handshake for any of its webhooks: the challenge, when the token matches.
fn hub_challenge(verify_token: &str, q: HubQuery) -> ApiResult<String> {
    let given = q.verify_token.unwrap_or_default();
    if q.mode.as_deref() != Some("subscribe")
        || !crate::auth::constant_time_eq(given.as_bytes(), verify_token.as_bytes())
    {
        return Err(ApiError::forbidden(
            "hub.verify_token does not match the configured verify token",
        ));
    }
    let challenge = q.challenge.unwrap_or_default();
    if challenge.len() > 200 {
        return Err(ApiError::invalid("hub.challenge: at most 200 characters"));
    }
    Ok(challenge)
}

/// Customers' messages and our messages' statuses, as the Cloud API posts them, checked
/// against `X-Hub-Signature-256` before anything is read. Each message joins the
/// customer's conversation once (by its `wamid`), with WhatsApp's time; statuses move
/// deliveries forward. Answered 200 once durable.
#[utoipa::path(post, path = "/api/webhooks/whatsapp/{org}", tag = "contacts",
    params(("org" = String, Path, description = "the organisation's slug")),
    request_body(content = String, content_type = "application/json", description = "the Cloud API's webhook body"),
    responses((status = 200, description = "received"), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn whatsapp_webhook(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<StatusCode> {
    use crate::channels::whatsapp;
    let body = body.map_err(|e| crate::error::body_rejection(e.status(), e.body_text()))?;
    let (org, cfg) = whatsapp_config(&state, &slug).await?;
    let v = meta_body(org, "WhatsApp", &cfg.app_secret, &headers, &body)?;
    whatsapp::receive(&state, org, &cfg, &v).await?;
    Ok(StatusCode::OK)
}

// ---------- Messenger's webhooks (signed by Meta, no session or token) ----------

/// The JSON of a webhook Meta signed (`X-Hub-Signature-256` over the raw body with the
/// app secret), checked before it is parsed.
fn meta_body(
    org: Uuid,
    who: &str,
    app_secret: &str,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> ApiResult<Value> {
    let given = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !crate::channels::whatsapp::verify(app_secret, body, given) {
        tracing::warn!(%org, "{who} webhook with a bad signature refused");
        return Err(ApiError::forbidden(
            "X-Hub-Signature-256 does not match this body: check the app secret",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!("the body is not JSON: {e}"),
        )
    })
}

/// What became of a mail given to the ingress.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MailTaken {
    /// `stored` (in `contact_id`; `opened`: a new contact), `duplicate` (stored before,
    /// by its Message-ID) or `skipped` (an automatic reply, or our own mail).
    pub status: String,
    pub contact_id: Option<Uuid>,
    pub opened: bool,
    /// Why it was skipped.
    pub reason: Option<String>,
}

/// A raw mail (RFC 5322, MIME), as an MTA's pipe or a provider's inbound webhook
/// delivers it, with `Authorization: Bearer <the endpoint's ingress secret>`. It joins
/// the conversation it answers or opens one, once however often it is posted; the
/// answer comes when it is durable. Up to 25 MB.
#[utoipa::path(post, path = "/api/webhooks/email/{org}", tag = "contacts",
    params(("org" = String, Path, description = "the organisation's slug")),
    request_body(content = String, content_type = "application/octet-stream",
        description = "the raw mail (RFC 5322 with MIME), under any content type (`message/rfc822` too)"),
    responses((status = 200, body = MailTaken), (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
async fn email_ingress(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<MailTaken>> {
    use crate::channels::email::{self, Taken};
    let (org, provider) = provider_for(&state, &slug, Channel::Email).await?;
    let Some(Provider::Email(cfg)) = provider else {
        return Err(ApiError::not_found("email address"));
    };
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !crate::auth::constant_time_eq(given.trim().as_bytes(), cfg.ingress_secret.as_bytes()) {
        tracing::warn!(%org, "email ingress with a wrong secret refused");
        return Err(ApiError::unauthorized(
            "Authorization: Bearer <the ingress secret of this organisation's email endpoint>",
        ));
    }
    let body = body.map_err(|e| crate::error::body_rejection(e.status(), e.body_text()))?;
    let taken = email::take(&state, org, &cfg, &body).await?;
    Ok(Json(match taken {
        Taken::Stored { contact, opened } => MailTaken {
            status: "stored".into(),
            contact_id: Some(contact),
            opened,
            reason: None,
        },
        Taken::Duplicate { contact } => MailTaken {
            status: "duplicate".into(),
            contact_id: Some(contact),
            opened: false,
            reason: None,
        },
        Taken::Skipped(why) => MailTaken {
            status: "skipped".into(),
            contact_id: None,
            opened: false,
            reason: Some(why.into()),
        },
    }))
}

async fn messenger_config(
    state: &AppState,
    slug: &str,
) -> ApiResult<(Uuid, crate::channels::messenger::MessengerConfig)> {
    match provider_for(state, slug, Channel::Messenger).await? {
        (org, Some(Provider::Messenger(cfg))) => Ok((org, cfg)),
        _ => Err(ApiError::not_found("Messenger page")),
    }
}

/// Meta's set-up handshake for the page's webhook.
#[utoipa::path(get, path = "/api/webhooks/messenger/{org}", tag = "contacts",
    params(("org" = String, Path, description = "the organisation's slug"), HubQuery),
    responses((status = 200, description = "the challenge"), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn messenger_verify(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    crate::error::Query(q): crate::error::Query<HubQuery>,
) -> ApiResult<String> {
    let (_, cfg) = messenger_config(&state, &slug).await?;
    hub_challenge(&cfg.verify_token, q)
}

/// Customers' messages and delivery and read receipts, as Messenger posts them, checked
/// against `X-Hub-Signature-256` before anything is read. Messages join the customer's
/// conversation once each (by `mid`, with Messenger's time); receipts move our replies
/// forward (a read receipt: everything sent to that customer up to its watermark).
#[utoipa::path(post, path = "/api/webhooks/messenger/{org}", tag = "contacts",
    params(("org" = String, Path, description = "the organisation's slug")),
    request_body(content = String, content_type = "application/json", description = "Messenger's webhook body"),
    responses((status = 200, description = "received"), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn messenger_webhook(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<StatusCode> {
    use crate::channels::messenger;
    let body = body.map_err(|e| crate::error::body_rejection(e.status(), e.body_text()))?;
    let (org, cfg) = messenger_config(&state, &slug).await?;
    let v = meta_body(org, "Messenger", &cfg.app_secret, &headers, &body)?;
    messenger::receive(&state, org, &cfg, &v).await?;
    Ok(StatusCode::OK)
}
