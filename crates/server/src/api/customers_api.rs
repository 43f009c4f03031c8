//! One customer across channels: find a customer, see their history on every channel,
//! merge two customers who are one person, split one into two (see [`crate::customers`]).

use std::collections::{BTreeMap, HashSet};

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use store::{Contact, Message, Role, Sender};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::contacts;
use crate::customers::{self, Moved};
use crate::error::{Json, Path, Query};
use crate::events::{Actor, LiveEvent};
use crate::{ApiError, ApiResult, AppState, wire};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(history))
        .routes(routes!(merge))
        .routes(routes!(split))
        .routes(routes!(reach))
}

const ALL: &[Role] = &[Role::Admin, Role::Supervisor, Role::Agent, Role::Analyst];
const HANDLERS: &[Role] = &[Role::Admin, Role::Supervisor, Role::Agent];

/// Most customers a search answers.
const SEARCH_LIMIT: usize = 20;
/// Most customers a supervisor's or admin's search by name reads (names are sealed, so
/// the database cannot compare them: they are opened and compared here).
const NAME_SCAN: usize = 5000;

/// An agent may act on a customer only while holding or being offered one of their
/// contacts.
fn agent_serves(state: &AppState, auth: &Auth, customers: &[Uuid]) -> ApiResult<()> {
    if auth.role() != Role::Agent {
        return Ok(());
    }
    let org = auth.org_id();
    let mine = state.with_org(org, |o| {
        customers
            .iter()
            .any(|c| customers::serves(o, auth.user.id, *c))
    });
    if mine {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "not the customer of one of your contacts",
        ))
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SearchQuery {
    /// A name (part of one), an email address or a phone number. Agents find customers
    /// by an exact email, phone number or channel id, or by name among the customers
    /// of their own contacts; supervisors and admins also by part of a name or email.
    /// Empty: the customers of the caller's contacts not yet closed.
    pub q: Option<String>,
}

/// A customer found.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomerHit {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    /// How it matched: `email`, `phone`, `id` (another channel's id), `name`, `open`
    /// (a customer of a contact not yet closed).
    pub matched: String,
    /// The kinds of identity the customer has (`phone`, `email`, `chat`…).
    pub identities: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomerHits {
    pub items: Vec<CustomerHit>,
}

/// The identities a query could be: `(kind, value, how it matched)`.
pub fn identity_candidates(q: &str) -> Vec<(&'static str, String, &'static str)> {
    let q = q.trim();
    let mut out = Vec::new();
    if q.is_empty() {
        return out;
    }
    if q.contains('@') {
        out.push(("email", q.to_lowercase(), "email"));
    }
    let compact: String = q
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    if (6..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
        for v in [format!("+{digits}"), digits.to_string()] {
            out.push(("phone", v.clone(), "phone"));
            out.push(("whatsapp", v, "phone"));
        }
    }
    for kind in ["messenger_psid", "chat"] {
        out.push((kind, q.to_string(), "id"));
    }
    out
}

/// Find customers by name, email or phone (handlers of contacts), for "same person
/// as…". Every customer answered is recorded as read by the caller.
#[utoipa::path(get, path = "/api/customers", tag = "contacts", params(SearchQuery), responses((status = 200, body = CustomerHits), (status = 422, body = crate::error::ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<CustomerHits>> {
    auth.require(HANDLERS)?;
    let org = auth.org_id();
    let q = q.q.unwrap_or_default().trim().to_string();
    if q.chars().count() > 200 {
        return Err(ApiError::invalid("q: at most 200 characters"));
    }
    let agent = auth.role() == Role::Agent;
    let me = auth.user.id;
    // The customers of the caller's contacts not yet closed (an agent's own).
    let open: Vec<Uuid> = state.with_org(org, |o| {
        let mut seen = HashSet::new();
        o.contacts()
            .filter(|lc| {
                !agent
                    || lc.contact.agent_id == Some(me)
                    || lc
                        .offer
                        .and_then(|x| o.offer(x))
                        .is_some_and(|off| off.agent_id == me)
            })
            .filter_map(|lc| lc.contact.customer_id)
            .filter(|c| seen.insert(*c))
            .take(200)
            .collect()
    });
    let mut found: Vec<(Uuid, &'static str)> = Vec::new();
    fn add(id: Uuid, how: &'static str, found: &mut Vec<(Uuid, &'static str)>) {
        if !found.iter().any(|(x, _)| *x == id) {
            found.push((id, how));
        }
    }
    for (kind, value, how) in identity_candidates(&q) {
        if let Some(i) = state.find_identity(org, kind, &value).await? {
            add(i.customer_id, how, &mut found);
        }
    }
    let needle = q.to_lowercase();
    let mut people = BTreeMap::new();
    for id in &open {
        if let Some(c) = state.customer(org, *id).await? {
            let hit = needle.is_empty() || c.name.to_lowercase().contains(&needle);
            if hit {
                add(
                    c.id,
                    if needle.is_empty() { "open" } else { "name" },
                    &mut found,
                );
            }
            people.insert(c.id, c);
        }
    }
    if !agent && needle.chars().count() >= 2 {
        let mut after = None;
        let mut read = 0;
        while read < NAME_SCAN && found.len() < SEARCH_LIMIT {
            let page = state.customers_after(org, after, 500).await?;
            read += page.len();
            after = page.last().map(|c| c.id);
            let last = page.len() < 500;
            for c in page {
                let name = c.name.to_lowercase().contains(&needle);
                let email = c
                    .email
                    .as_deref()
                    .is_some_and(|e| e.to_lowercase().contains(&needle));
                if name || email {
                    add(c.id, if name { "name" } else { "email" }, &mut found);
                    people.insert(c.id, c);
                }
            }
            if last {
                break;
            }
        }
    }
    found.truncate(SEARCH_LIMIT);
    let mut items = Vec::new();
    for (id, how) in found {
        let c = match people.remove(&id) {
            Some(c) => c,
            None => match state.customer(org, id).await? {
                Some(c) => c,
                None => continue,
            },
        };
        let mut kinds: Vec<String> = state
            .identities(org, id)
            .await?
            .into_iter()
            .map(|i| i.kind)
            .collect();
        kinds.dedup();
        items.push(CustomerHit {
            id,
            name: c.name,
            email: c.email,
            matched: how.to_string(),
            identities: kinds,
        });
    }
    if !items.is_empty() {
        let now = state.now();
        let actor = Actor::from(&auth);
        state
            .write(
                items
                    .iter()
                    .map(|h| {
                        LiveEvent::Read {
                            what: "customer".into(),
                            id: h.id,
                        }
                        .change(org, now, actor)
                    })
                    .collect(),
                vec![],
            )
            .await?;
    }
    Ok(Json(CustomerHits { items }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct HistoryQuery {
    /// Where the previous page ended (its `next_cursor`): older contacts follow.
    pub cursor: Option<Uuid>,
    /// 1 to 100, default 50.
    pub limit: Option<u32>,
}

/// One line of a conversation, shortened.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LineOut {
    /// `customer`, `agent`, `system`, `supervisor`.
    pub from: String,
    /// The text (personal data masked as stored), at most 200 characters, or the
    /// attachment's name in brackets.
    pub text: String,
    #[schema(format = DateTime)]
    pub at: String,
}

/// One contact of a customer's history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryItem {
    pub contact: wire::ContactOut,
    /// The first and last lines the customer or staff wrote (internal notes left out).
    pub first: Option<LineOut>,
    pub last: Option<LineOut>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryPage {
    pub items: Vec<HistoryItem>,
    pub next_cursor: Option<Uuid>,
}

fn line(m: &Message) -> Option<LineOut> {
    if m.internal {
        return None;
    }
    let text = match (&m.text, &m.attachment) {
        (Some(t), _) if !t.trim().is_empty() => {
            let mut s: String = t.chars().take(200).collect();
            if t.chars().count() > 200 {
                s.push('…');
            }
            s
        }
        (_, Some(a)) => format!(
            "[{}]",
            a.get("name")
                .and_then(|n| n.as_str())
                .unwrap_or("attachment")
        ),
        _ => return None,
    };
    Some(LineOut {
        from: match m.sender {
            Sender::Customer => "customer",
            Sender::Agent => "agent",
            Sender::System => "system",
            Sender::Supervisor => "supervisor",
        }
        .to_string(),
        text,
        at: wire::ts(m.at),
    })
}

/// A customer's contacts on every channel (chat, SMS, WhatsApp, Messenger, email,
/// voice), newest first, each with its first and last line (agents: only customers of
/// their contacts). Recorded as a read of the customer.
#[utoipa::path(get, path = "/api/customers/{id}/history", tag = "contacts", params(("id" = Uuid, Path), HistoryQuery), responses((status = 200, body = HistoryPage), (status = 404, body = crate::error::ErrorBody)))]
async fn history(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<HistoryPage>> {
    auth.require(ALL)?;
    let org = auth.org_id();
    customers::existing(&state, org, id).await?;
    agent_serves(&state, &auth, &[id])?;
    contacts::audit_read(&state, &auth, "customer", id).await?;
    let limit = q.limit.unwrap_or(50).clamp(1, 100);
    let mut list = state
        .customer_contacts(org, id, q.cursor, limit + 1)
        .await?;
    let next_cursor = if list.len() > limit as usize {
        list.truncate(limit as usize);
        list.last().map(|c| c.id)
    } else {
        None
    };
    // The live state is ahead of the rows for contacts not yet closed.
    let live: Vec<Contact> = state.with_org(org, |o| {
        list.iter()
            .filter_map(|c| o.contact(c.id).map(|lc| lc.contact.clone()))
            .collect()
    });
    let mut items = Vec::with_capacity(list.len());
    for mut c in list {
        if let Some(l) = live.iter().find(|l| l.id == c.id) {
            c = l.clone();
        }
        let (mut first, mut last) = (None, None);
        if c.last_seq > 0 {
            first = state.messages(org, c.id, 0, 5).await?.iter().find_map(line);
            if c.last_seq > 1 {
                last = state
                    .messages(org, c.id, (c.last_seq - 5).max(0), 5)
                    .await?
                    .iter()
                    .rev()
                    .find_map(line);
            }
        }
        items.push(HistoryItem {
            contact: wire::contact_out(&c),
            first,
            last,
        });
    }
    Ok(Json(HistoryPage { items, next_cursor }))
}

/// Which customer is the same person.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeIn {
    /// The other customer: its identities and contacts become this customer's, and it
    /// is gone (a read of it answers 404 with `details.merged_into`).
    pub from: Uuid,
}

/// Merge another customer into this one (handlers: agents on a contact of either):
/// every identity and contact of `from`, on every channel, becomes this customer's, in
/// one commit with a `customer.merged` event. Contacts not yet closed follow at once.
/// A customer merged into itself is refused (422); one of another organisation, erased
/// or already merged is not found (404).
#[utoipa::path(post, path = "/api/customers/{id}/merge", tag = "contacts", params(("id" = Uuid, Path)), request_body = MergeIn, responses((status = 200, body = Moved), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn merge(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Json(body): Json<MergeIn>,
) -> ApiResult<Json<Moved>> {
    auth.require(HANDLERS)?;
    let org = auth.org_id();
    customers::existing(&state, org, id).await?;
    customers::check_merge(id, body.from).map_err(ApiError::invalid)?;
    if state.customer(org, body.from).await?.is_none() {
        let e = customers::gone(&state, org, body.from).await?;
        return Err(ApiError {
            message: format!("from: {}", e.message),
            ..e
        });
    }
    agent_serves(&state, &auth, &[id, body.from])?;
    let moved = customers::merge(&state, org, Actor::from(&auth), id, body.from).await?;
    Ok(Json(moved))
}

/// What to split off.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitIn {
    /// Ids of this customer's identities that become the new customer's.
    #[serde(default)]
    pub identities: Vec<Uuid>,
    /// Ids of this customer's contacts that become the new customer's.
    #[serde(default)]
    pub contacts: Vec<Uuid>,
    /// The new customer's name (default: this customer's).
    pub name: Option<String>,
}

/// Split identities and contacts off into a new customer (handlers: agents on a
/// contact of this customer), e.g. to undo a wrong merge, with a `customer.split`
/// event. At least one identity or contact, each this customer's, and this customer
/// keeps at least one of either (422 naming the field otherwise).
#[utoipa::path(post, path = "/api/customers/{id}/split", tag = "contacts", params(("id" = Uuid, Path)), request_body = SplitIn, responses((status = 201, body = Moved), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn split(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Json(body): Json<SplitIn>,
) -> ApiResult<(StatusCode, Json<Moved>)> {
    auth.require(HANDLERS)?;
    let org = auth.org_id();
    customers::existing(&state, org, id).await?;
    agent_serves(&state, &auth, &[id])?;
    let moved = customers::split(
        &state,
        org,
        Actor::from(&auth),
        id,
        body.name,
        &body.identities,
        &body.contacts,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(moved)))
}

/// Write to the customer on another channel.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReachIn {
    /// `sms`, `whatsapp`, `messenger` or `email`: one the customer has an identity for
    /// and the organisation has set up.
    #[schema(value_type = String, example = "sms")]
    pub channel: store::Channel,
    /// The first message.
    pub text: String,
}

/// The contact opened on the other channel, and the message sent (none when the
/// agent had no room for another contact: it waits for them for five minutes).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReachOut {
    pub contact: wire::ContactOut,
    pub message: Option<wire::MessageOut>,
}

/// From a contact of yours, write to the same customer on another channel (e.g. a text
/// to the phone of a WhatsApp customer): a new contact on that channel, assigned to you,
/// whose first message is yours. Refused (422 naming `channel`) where the customer has
/// no identity on the channel, the organisation has not set it up, or the number texted
/// STOP; web chat and calls are not opened from here.
#[utoipa::path(post, path = "/api/contacts/{id}/reach", tag = "contacts", params(("id" = Uuid, Path)), request_body = ReachIn, responses((status = 201, body = ReachOut), (status = 202, body = ReachOut), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn reach(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Json(body): Json<ReachIn>,
) -> ApiResult<(StatusCode, Json<ReachOut>)> {
    auth.require(HANDLERS)?;
    let org = auth.org_id();
    let c = contacts::visible(&state, &auth, id).await?;
    if c.agent_id != Some(auth.user.id) {
        return Err(ApiError::forbidden(
            "only the contact's agent writes to its customer on another channel",
        ));
    }
    if body.text.len() > 10_000 {
        return Err(ApiError::invalid("text: at most 10,000 bytes"));
    }
    let (contact, message) = customers::reach(
        &state,
        org,
        Actor::from(&auth),
        (auth.user.id, auth.user.name.clone()),
        &c,
        body.channel,
        body.text,
    )
    .await?;
    let status = if message.is_some() {
        StatusCode::CREATED
    } else {
        StatusCode::ACCEPTED
    };
    Ok((
        status,
        Json(ReachOut {
            contact: wire::contact_out(&contact),
            message,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_becomes_the_identities_it_could_be() {
        let kinds = |q: &str| {
            identity_candidates(q)
                .into_iter()
                .map(|(k, v, _)| format!("{k}={v}"))
                .collect::<Vec<_>>()
        };
        assert!(kinds("  ").is_empty());
        assert!(kinds(" Ana@Example.com ").contains(&"email=ana@example.com".to_string()));
        let phone = kinds("+1 (555) 010-2030");
        for want in [
            "phone=+15550102030",
            "phone=15550102030",
            "whatsapp=15550102030",
        ] {
            assert!(phone.contains(&want.to_string()), "{phone:?}");
        }
        // Too short to be a number, or not one: no phone lookups.
        assert!(!kinds("12345").iter().any(|k| k.starts_with("phone")));
        assert!(!kinds("Ana Lima").iter().any(|k| k.starts_with("phone")));
        assert!(kinds("Ana Lima").contains(&"chat=Ana Lima".to_string()));
    }
}
