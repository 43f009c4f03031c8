//! One customer across channels: merging two customers found to be one person, and
//! splitting one back into two (a wrong merge undone).
//!
//! The decisions (what may be merged, what a split moves, the rules it is checked
//! against) are pure functions over ids ([`check_merge`], [`plan_split`]); the
//! service around them ([`merge`], [`split`]) reads what the customers hold, then
//! under the organisation's lock moves the live contacts in memory and writes the rows'
//! move (`Change::MergeCustomer` / `Change::SplitCustomer`) with its event
//! (`customer.merged` / `customer.split`, ids only) in one commit.
//!
//! Identities are looked up by a blind index of (kind, value), which a move does not
//! change: the store's index of identities that exist stays true, and a lookup after
//! the move finds the identity on its new customer.

use std::collections::{BTreeSet, HashSet};

use serde_json::{Value, json};
use store::{Change, Contact, Customer, Store};
use uuid::Uuid;

use crate::events::{Actor, LiveEvent};
use crate::live::{OrgLive, contact_note};
use crate::{ApiError, ApiResult, AppState, Tx};

/// Most identities or contacts one split may name.
pub const MAX_SPLIT: usize = 1000;
/// Most contacts of one customer that a merge or split reads (a customer with more is
/// refused rather than half moved).
pub const MAX_CONTACTS: usize = 10_000;

/// Whether `from` may be merged into `into`: a field-naming message when not.
pub fn check_merge(into: Uuid, from: Uuid) -> Result<(), String> {
    if into == from {
        return Err("from: a customer cannot be merged into itself".into());
    }
    Ok(())
}

/// What a split moves to the new customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitPlan {
    pub identities: Vec<Uuid>,
    pub contacts: Vec<Uuid>,
}

/// Check a split of a customer who holds `owned_identities` and `owned_contacts`:
/// the request names at least one identity or contact, each at most once (repeats
/// are ignored), each the customer's own, and leaves the customer at least one
/// identity or contact (moving everything is not a split: nothing would stay).
/// Returns what moves, in the order asked, or a message naming the field.
pub fn plan_split(
    owned_identities: &[Uuid],
    owned_contacts: &[Uuid],
    identities: &[Uuid],
    contacts: &[Uuid],
) -> Result<SplitPlan, String> {
    if identities.is_empty() && contacts.is_empty() {
        return Err("identities: name at least one identity or contact to move".into());
    }
    if identities.len() > MAX_SPLIT {
        return Err(format!("identities: at most {MAX_SPLIT} at a time"));
    }
    if contacts.len() > MAX_SPLIT {
        return Err(format!("contacts: at most {MAX_SPLIT} at a time"));
    }
    let unique = |list: &[Uuid]| {
        let mut seen = HashSet::new();
        list.iter()
            .copied()
            .filter(|x| seen.insert(*x))
            .collect::<Vec<_>>()
    };
    let (identities, contacts) = (unique(identities), unique(contacts));
    let own_i: HashSet<Uuid> = owned_identities.iter().copied().collect();
    let own_c: HashSet<Uuid> = owned_contacts.iter().copied().collect();
    if let Some(x) = identities.iter().find(|x| !own_i.contains(x)) {
        return Err(format!(
            "identities: {x} is not an identity of this customer"
        ));
    }
    if let Some(x) = contacts.iter().find(|x| !own_c.contains(x)) {
        return Err(format!("contacts: {x} is not a contact of this customer"));
    }
    if identities.len() == own_i.len() && contacts.len() == own_c.len() {
        return Err(
            "identities: the customer would keep no identity and no contact; leave them at least one"
                .into(),
        );
    }
    Ok(SplitPlan {
        identities,
        contacts,
    })
}

/// The customer merged into: `into`'s own fields, with what `from` knew and `into`
/// did not (an email, attributes) added. `None` when nothing changes.
pub fn merged_fields(into: &Customer, from: &Customer) -> Option<Customer> {
    let mut c = into.clone();
    if c.email.is_none() {
        c.email = from.email.clone();
    }
    if let (Some(mine), Some(theirs)) = (c.data.as_object_mut(), from.data.as_object()) {
        for (k, v) in theirs {
            mine.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    (c != *into).then_some(c)
}

/// Whether `agent` holds or is offered a contact (not yet closed) of `customer`.
pub fn serves(o: &OrgLive, agent: Uuid, customer: Uuid) -> bool {
    o.contacts().any(|lc| {
        lc.contact.customer_id == Some(customer)
            && (lc.contact.agent_id == Some(agent)
                || lc
                    .offer
                    .and_then(|x| o.offer(x))
                    .is_some_and(|off| off.agent_id == agent))
    })
}

/// A customer's id, or a 404 saying where a merged one went (`details.merged_into`).
pub async fn existing(state: &AppState, org: Uuid, id: Uuid) -> ApiResult<Customer> {
    if let Some(c) = state.customer(org, id).await? {
        return Ok(c);
    }
    Err(gone(state, org, id).await?)
}

/// The 404 for a customer that does not exist: merged away (and where to), or never
/// was (or erased).
pub async fn gone(state: &AppState, org: Uuid, id: Uuid) -> ApiResult<ApiError> {
    Ok(match state.store().get_customer_merge(org, id).await? {
        Some(into) => ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "merged",
            format!("customer merged into {into}"),
        )
        .with_details(json!({ "merged_into": into })),
        None => ApiError::not_found("customer"),
    })
}

/// Every contact id of a customer in the store (newest first).
async fn contact_ids(state: &AppState, org: Uuid, customer: Uuid) -> ApiResult<Vec<Uuid>> {
    let mut ids = Vec::new();
    let mut before = None;
    loop {
        let page = state
            .store()
            .list_customer_contacts(org, customer, before, 1000)
            .await?;
        let n = page.len();
        ids.extend(page.iter().map(|c| c.id));
        before = page.last().map(|c| c.id);
        if n < 1000 {
            return Ok(ids);
        }
        if ids.len() > MAX_CONTACTS {
            return Err(ApiError::conflict(format!(
                "this customer has more than {MAX_CONTACTS} contacts; move them with the API in parts"
            )));
        }
    }
}

/// Point the live contacts among `ids` (or all of `from`'s, when `None`) that belong
/// to `from` at `to`, with `to`'s name; their rows and notes go into `tx`.
fn move_live(
    o: &mut OrgLive,
    from: Uuid,
    to: &Customer,
    ids: Option<&HashSet<Uuid>>,
    now: time::OffsetDateTime,
    tx: &mut Tx<impl Sized>,
) -> Vec<Uuid> {
    let moving: Vec<Uuid> = o
        .contacts()
        .filter(|lc| lc.contact.customer_id == Some(from))
        .filter(|lc| ids.is_none_or(|s| s.contains(&lc.contact.id)))
        .map(|lc| lc.contact.id)
        .collect();
    for id in &moving {
        if let Some(lc) = o.contact_mut(*id) {
            let c: &mut Contact = &mut lc.contact;
            c.customer_id = Some(to.id);
            if let Some(d) = c.data.as_object_mut() {
                d.insert("customer_name".into(), Value::String(to.name.clone()));
            }
            c.updated_at = now;
            let c = c.clone();
            tx.changes.push(Change::PutContact(c.clone()));
            contact_note(&c, &mut tx.notes);
        }
    }
    moving
}

/// What a merge or split moved.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Moved {
    /// The customer that holds them now.
    pub customer_id: Uuid,
    /// The customer they came from (merged away, or split from).
    pub from: Uuid,
    pub identities: Vec<Uuid>,
    pub contacts: Vec<Uuid>,
}

/// Merge customer `from` into `into` (both of `org`): see the module docs.
pub async fn merge(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    into: Uuid,
    from: Uuid,
) -> ApiResult<Moved> {
    check_merge(into, from).map_err(ApiError::invalid)?;
    let target = existing(state, org, into).await?;
    let source = match state.customer(org, from).await? {
        Some(c) => c,
        None => {
            let e = gone(state, org, from).await?;
            return Err(ApiError::invalid(format!("from: {}", e.message)));
        }
    };
    let identities: Vec<Uuid> = state
        .identities(org, from)
        .await?
        .iter()
        .map(|i| i.id)
        .collect();
    let stored = contact_ids(state, org, from).await?;
    let fields = merged_fields(&target, &source);
    state
        .mutate(org, |o, now| {
            // Under the lock: a merge committed since the reads above wins.
            if o.merged_customers.contains_key(&into) || o.merged_customers.contains_key(&from) {
                return Err(ApiError::conflict(
                    "one of these customers was merged meanwhile: look them up again",
                ));
            }
            let mut tx = Tx::new(());
            if let Some(c) = fields.clone() {
                tx.changes.push(Change::PutCustomer(c));
            }
            let live = move_live(o, from, &target, None, now, &mut tx);
            o.merged_customers.insert(from, into);
            let mut contacts: BTreeSet<Uuid> = stored.iter().copied().collect();
            contacts.extend(live);
            tx.changes.push(Change::MergeCustomer {
                org_id: org,
                from,
                into,
            });
            let moved = Moved {
                customer_id: into,
                from,
                identities: identities.clone(),
                contacts: contacts.into_iter().collect(),
            };
            tx.changes.push(
                LiveEvent::CustomerMerged {
                    customer_id: into,
                    from,
                    identities: moved.identities.clone(),
                    contacts: moved.contacts.clone(),
                }
                .change(org, now, actor),
            );
            Ok(Tx {
                value: moved,
                changes: tx.changes,
                notes: tx.notes,
            })
        })
        .await
}

/// Split identities and contacts of customer `id` off into a new customer (named
/// `name`, or as `id` is): see [`plan_split`] for the rules.
pub async fn split(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    id: Uuid,
    name: Option<String>,
    identities: &[Uuid],
    contacts: &[Uuid],
) -> ApiResult<Moved> {
    let source = existing(state, org, id).await?;
    let owned_identities = state.identities(org, id).await?;
    let stored = contact_ids(state, org, id).await?;
    let ids: Vec<Uuid> = owned_identities.iter().map(|i| i.id).collect();
    let email = owned_identities
        .iter()
        .find(|i| i.kind == "email" && identities.contains(&i.id))
        .map(|i| i.value.clone());
    let name = name
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| source.name.clone());
    if name.chars().count() > 200 {
        return Err(ApiError::invalid("name: at most 200 characters"));
    }
    state
        .mutate(org, |o, now| {
            if o.merged_customers.contains_key(&id) {
                return Err(ApiError::conflict(
                    "this customer was merged meanwhile: look them up again",
                ));
            }
            // Under the lock, the live contacts are the truth for contacts not closed.
            let mut owned: BTreeSet<Uuid> = stored.iter().copied().collect();
            for lc in o.contacts() {
                if lc.contact.customer_id == Some(id) {
                    owned.insert(lc.contact.id);
                } else {
                    owned.remove(&lc.contact.id);
                }
            }
            let owned: Vec<Uuid> = owned.into_iter().collect();
            let plan = plan_split(&ids, &owned, identities, contacts).map_err(ApiError::invalid)?;
            let new = Customer {
                id: store::new_id(),
                org_id: org,
                name: name.clone(),
                email: email.clone(),
                data: json!({}),
                created_at: now,
            };
            let mut tx = Tx::new(());
            tx.changes.push(Change::PutCustomer(new.clone()));
            let wanted: HashSet<Uuid> = plan.contacts.iter().copied().collect();
            move_live(o, id, &new, Some(&wanted), now, &mut tx);
            tx.changes.push(Change::SplitCustomer {
                org_id: org,
                from: id,
                into: new.id,
                identity_ids: plan.identities.clone(),
                contact_ids: plan.contacts.clone(),
            });
            tx.changes.push(
                LiveEvent::CustomerSplit {
                    customer_id: id,
                    into: new.id,
                    identities: plan.identities.clone(),
                    contacts: plan.contacts.clone(),
                }
                .change(org, now, actor),
            );
            Ok(Tx {
                value: Moved {
                    customer_id: new.id,
                    from: id,
                    identities: plan.identities,
                    contacts: plan.contacts,
                },
                changes: tx.changes,
                notes: tx.notes,
            })
        })
        .await
}

/// Where a customer is reached on `channel`: the identity kinds it sends to, most
/// fitting first, and what to call them when missing. `None`: a channel a contact is
/// not opened on from here (web chat reaches a customer only while their chat is open;
/// calls are not placed from here).
pub fn reach_kinds(channel: store::Channel) -> Option<(&'static [&'static str], &'static str)> {
    use store::Channel::*;
    match channel {
        Sms | Whatsapp => Some((&["phone", "whatsapp"], "phone number")),
        Messenger => Some((&["messenger_psid", "messenger"], "Messenger id")),
        Email => Some((&["email"], "email address")),
        Chat | Voice => None,
    }
}

/// Whether an agent may write to a customer on `channel` from a contact on `current`:
/// the identity value it goes to, or a message naming the field. `identities` are the
/// customer's `(kind, value)`; `endpoint`: the organisation set the channel up;
/// `opted_out`: the number texted STOP (SMS only, asked once the number is known).
pub fn check_reach(
    current: store::Channel,
    channel: store::Channel,
    identities: &[(String, String)],
    endpoint: bool,
) -> Result<String, String> {
    use store::Channel::{Messenger, Whatsapp};
    if channel == current {
        return Err("channel: this contact is on that channel already: reply here".into());
    }
    let Some((kinds, what)) = reach_kinds(channel) else {
        return Err(format!(
            "channel: a {} contact is not opened from here",
            channel.as_str()
        ));
    };
    let to = kinds
        .iter()
        .find_map(|k| identities.iter().find(|(kind, _)| kind == k))
        .map(|(_, v)| v.clone())
        .ok_or_else(|| format!("channel: the customer has no {what} to write to"))?;
    // A new conversation on WhatsApp or Messenger has no reply window: both refuse a
    // business's free text that answers nothing (the send would fail).
    if let Whatsapp | Messenger = channel {
        return Err(format!(
            "channel: {name} lets a business write only in reply to the customer; answer in their own {name} conversation",
            name = if channel == Whatsapp {
                "WhatsApp"
            } else {
                "Messenger"
            }
        ));
    }
    if !endpoint {
        return Err(format!(
            "channel: {} is not set up for this organisation (Admin → Channels)",
            channel.as_str()
        ));
    }
    Ok(to)
}

/// An agent writes to the customer of contact `from` (theirs, not ended) on another
/// channel: a new contact on `channel`, offered to the agent alone and accepted, with
/// the agent's text as its first message (through the outbox). Refused where the
/// channel has no endpoint, the customer no identity on it, on WhatsApp and Messenger
/// (which take a business's text only in reply), or (SMS) where the number opted out. `Ok((contact, None))` when the agent had no room: the contact waits for them.
pub async fn reach(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    agent: (Uuid, String),
    from: &Contact,
    channel: store::Channel,
    text: String,
) -> ApiResult<(Contact, Option<crate::wire::MessageOut>)> {
    if text.trim().is_empty() {
        return Err(ApiError::invalid("text: write what to send"));
    }
    if from.status.is_ended() {
        return Err(ApiError::conflict("this contact has ended"));
    }
    let customer = from
        .customer_id
        .ok_or_else(|| ApiError::invalid("channel: this contact has no customer"))?;
    let queue = from
        .queue_id
        .ok_or_else(|| ApiError::invalid("channel: this contact has no queue"))?;
    let identities: Vec<(String, String)> = state
        .identities(org, customer)
        .await?
        .into_iter()
        .map(|i| (i.kind, i.value))
        .collect();
    let endpoint = crate::channels::outbound::endpoint(state, org, channel)
        .await?
        .is_some();
    let to =
        check_reach(from.channel, channel, &identities, endpoint).map_err(ApiError::invalid)?;
    if channel == store::Channel::Sms && crate::channels::twilio::opted_out(state, org, &to).await?
    {
        return Err(ApiError::invalid(
            "channel: the customer texted STOP: no texts until they text START",
        ));
    }
    let mut new = crate::contacts::NewContact::new(
        channel,
        queue,
        crate::contacts::CustomerRef::Existing(customer),
    );
    new.topic = from.topic.clone();
    // Offered to the agent alone for five minutes, then to the queue.
    let c =
        crate::contacts::create_contact_for(state, org, actor, new, Some((agent.0, 300))).await?;
    let offer = state.with_org(org, |o| {
        o.contact(c.id)
            .and_then(|lc| lc.offer)
            .and_then(|x| o.offer(x))
            .filter(|off| off.agent_id == agent.0)
            .map(|off| off.id)
    });
    let Some(offer) = offer else {
        return Ok((c, None));
    };
    let c = crate::contacts::accept_offer(state, org, actor, offer).await?;
    let appended = crate::contacts::append(
        state,
        org,
        c.id,
        crate::contacts::NewMessage {
            sender: store::Sender::Agent,
            author: Some(actor),
            author_name: Some(agent.1),
            text: Some(text),
            attachment: None,
            internal: false,
            client_id: None,
            sent_at: None,
            template: None,
        },
    )
    .await?;
    let (c, d) = appended.written.unwrap_or((c, None));
    let m = crate::wire::message_out(&appended.message, &c, d.as_ref());
    Ok((c, Some(m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<Uuid> {
        (0..n).map(|_| Uuid::now_v7()).collect()
    }

    #[test]
    fn a_customer_is_not_merged_into_itself() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert!(check_merge(a, b).is_ok());
        assert!(check_merge(a, a).unwrap_err().starts_with("from:"));
    }

    #[test]
    fn a_split_moves_what_it_names_once_in_order() {
        let (i, c) = (ids(3), ids(2));
        let p = plan_split(&i, &c, &[i[2], i[0], i[2]], &[c[1]]).unwrap();
        assert_eq!(p.identities, vec![i[2], i[0]]);
        assert_eq!(p.contacts, vec![c[1]]);
        // Only contacts, or only identities.
        assert!(plan_split(&i, &c, &[], &[c[0]]).is_ok());
        assert!(plan_split(&i, &c, &[i[1]], &[]).is_ok());
    }

    #[test]
    fn a_split_names_something_of_its_customer() {
        let (i, c) = (ids(2), ids(2));
        let e = plan_split(&i, &c, &[], &[]).unwrap_err();
        assert!(e.starts_with("identities:"), "{e}");
        let stranger = Uuid::now_v7();
        let e = plan_split(&i, &c, &[stranger], &[]).unwrap_err();
        assert!(e.starts_with("identities:") && e.contains(&stranger.to_string()));
        let e = plan_split(&i, &c, &[], &[stranger]).unwrap_err();
        assert!(e.starts_with("contacts:") && e.contains(&stranger.to_string()));
        // An identity is not a contact.
        assert!(plan_split(&i, &c, &[], &[i[0]]).is_err());
    }

    #[test]
    fn a_split_leaves_the_customer_something() {
        let (i, c) = (ids(2), ids(1));
        let e = plan_split(&i, &c, &[i[0], i[1]], &[c[0]]).unwrap_err();
        assert!(e.contains("keep no identity"), "{e}");
        // All identities but a contact stays; all contacts but an identity stays.
        assert!(plan_split(&i, &c, &[i[0], i[1]], &[]).is_ok());
        assert!(plan_split(&i, &c, &[i[0]], &[c[0]]).is_ok());
        // A customer with one identity and nothing else cannot be split.
        let one = ids(1);
        assert!(plan_split(&one, &[], &one, &[]).is_err());
    }

    #[test]
    fn a_split_is_bounded() {
        let many = ids(MAX_SPLIT + 1);
        let e = plan_split(&many, &[], &many, &[]).unwrap_err();
        assert!(e.starts_with("identities: at most"), "{e}");
        let e = plan_split(&[], &many, &[], &many).unwrap_err();
        assert!(e.starts_with("contacts: at most"), "{e}");
    }

    #[test]
    fn a_customer_is_reached_where_they_have_an_identity_and_the_channel_is_set_up() {
        use store::Channel::*;
        let ids = vec![
            ("whatsapp".to_string(), "15550100001".to_string()),
            ("phone".to_string(), "+15550100001".to_string()),
            ("email".to_string(), "ana@example.com".to_string()),
        ];
        // The phone number before the WhatsApp id, whatever their order.
        assert_eq!(
            check_reach(Whatsapp, Sms, &ids, true).unwrap(),
            "+15550100001"
        );
        assert_eq!(
            check_reach(Sms, Email, &ids, true).unwrap(),
            "ana@example.com"
        );
        let e = check_reach(Sms, Messenger, &ids, true).unwrap_err();
        assert!(
            e.starts_with("channel:") && e.contains("Messenger id"),
            "{e}"
        );
        let e = check_reach(Whatsapp, Sms, &ids, false).unwrap_err();
        assert!(e.contains("not set up"), "{e}");
        // WhatsApp takes a business's free text only in reply, in the customer's own
        // conversation there.
        let e = check_reach(Sms, Whatsapp, &ids, true).unwrap_err();
        assert!(e.contains("only in reply"), "{e}");
        assert!(
            check_reach(Sms, Sms, &ids, true)
                .unwrap_err()
                .contains("already")
        );
        for c in [Chat, Voice] {
            assert!(
                check_reach(Sms, c, &ids, true)
                    .unwrap_err()
                    .contains("not opened")
            );
        }
    }

    #[test]
    fn a_merge_keeps_the_target_and_adds_what_it_lacked() {
        let now = time::OffsetDateTime::UNIX_EPOCH;
        let c = |name: &str, email: Option<&str>, data: Value| Customer {
            id: Uuid::now_v7(),
            org_id: Uuid::nil(),
            name: name.into(),
            email: email.map(str::to_string),
            data,
            created_at: now,
        };
        let into = c("Ana", None, json!({"tier": "gold"}));
        let from = c(
            "Ana P.",
            Some("ana@example.com"),
            json!({"tier": "silver", "lang": "pt"}),
        );
        let m = merged_fields(&into, &from).unwrap();
        assert_eq!((m.id, m.name.as_str()), (into.id, "Ana"));
        assert_eq!(m.email.as_deref(), Some("ana@example.com"));
        assert_eq!(m.data, json!({"tier": "gold", "lang": "pt"}));
        // Nothing to add: nothing to write.
        let full = c("Bo", Some("bo@example.com"), json!({"lang": "en"}));
        assert_eq!(
            merged_fields(&full, &c("B", Some("b@example.org"), json!({}))),
            None
        );
    }
}
