//! The answer bot's conversation, before any queue: self-service with a person one step
//! away.
//!
//! Where an organisation turns the bot on for a queue and channel
//! ([`crate::knowledge::KbSettings::bot_first`]), a new conversation starts with the bot
//! (`ContactStatus::Bot`), not in the queue: no agent is offered it and it holds no
//! place in line. Each customer message gets one turn ([`turn`]):
//!
//! - the customer asks for a person ("agent", "human", the widget's button): handed over
//!   at once;
//! - an article answers the question confidently ([`kb::decide`]): the bot quotes it and
//!   links it, and stays;
//! - a thanks after an answer: acknowledged;
//! - anything else (no article, or not sure): handed over.
//!
//! The handover ([`handover`]) puts the contact in its queue through the routing engine
//! like any new contact, with the topic the search detected, and keeps what the bot did
//! on the contact ([`BotRecord`]: the articles it showed, why it handed over, which
//! message it could not answer) so the agent reads it beside the transcript and never
//! asks again. The customer's place in line counts from their first message only where
//! the organisation says so (`bot_time_counts`). A conversation the customer leaves, or
//! that is silent for `bot_idle_s`, closes: `self_served` when the bot answered,
//! `left_bot` when it never did. Both are events in the log (`bot.answered`,
//! `bot.handover`), which the insight report counts.
//!
//! Guided actions ([`actions`]) run inside this conversation: a phrase starts one, the
//! bot asks what it needs, calls the company's endpoint, and answers, or hands over when
//! that fails.
//!
//! A restart keeps all of it: the record is the contact's row, and a contact with the bot
//! is open but not in the engine, so replaying the routing log leaves it where it was.

pub mod actions;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::{Change, ContactStatus, Store as _};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::contacts::{NewMessage, push_message};
use crate::events::{Actor, LiveEvent};
use crate::live::{Effects, contact_note};
use crate::{ApiError, ApiResult, AppState, Tx};

/// The bot's name on its messages.
pub const BOT_NAME: &str = "Answer bot";
/// The key of [`BotRecord`] in a contact's data.
pub const KEY: &str = "bot";

/// Why the bot handed a customer to a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// They asked for one (in words, or with the widget's button).
    AskedForPerson,
    /// No article matched the question.
    NoMatch,
    /// The best article was not a sure enough answer.
    LowConfidence,
    /// A guided action could not finish (its endpoint failed, or the customer could
    /// not give what it asks).
    ActionFailed,
    /// A guided action's endpoint asked for a person.
    ActionHandover,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::AskedForPerson => "asked_for_person",
            Reason::NoMatch => "no_match",
            Reason::LowConfidence => "low_confidence",
            Reason::ActionFailed => "action_failed",
            Reason::ActionHandover => "action_handover",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Reason::AskedForPerson => "the customer asked for a person",
            Reason::NoMatch => "no article matched the question",
            Reason::LowConfidence => "no article answered the question surely enough",
            Reason::ActionFailed => "a guided action could not finish",
            Reason::ActionHandover => "a guided action asked for a person",
        }
    }
}

impl From<kb::HandoverReason> for Reason {
    fn from(r: kb::HandoverReason) -> Self {
        match r {
            kb::HandoverReason::AskedForPerson => Reason::AskedForPerson,
            kb::HandoverReason::NoMatch => Reason::NoMatch,
            kb::HandoverReason::LowConfidence => Reason::LowConfidence,
        }
    }
}

/// An article the bot showed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Shown {
    pub slug: String,
    pub title: String,
    /// The message that quoted it.
    pub seq: i64,
    /// How sure the bot was, 0 to 1.
    pub confidence: f32,
}

/// How the bot handed the conversation over.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Handover {
    pub reason: Reason,
    /// What the question is about, as the search found it (an article category).
    pub topic: Option<String>,
    /// The customer's message it could not answer (none when they asked for a person
    /// with the button).
    pub question_seq: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub at: OffsetDateTime,
}

/// What the bot did in a conversation: kept in the contact's data under [`KEY`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BotRecord {
    /// The articles it showed, in order.
    #[serde(default)]
    pub answers: Vec<Shown>,
    #[serde(default)]
    pub handover: Option<Handover>,
    /// The guided action under way, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<actions::InFlight>,
    /// The guided actions that answered (their slugs), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions_answered: Vec<String>,
    /// Attributes for routing steps, kept for the handover.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = Object)]
    pub attributes: BTreeMap<String, String>,
    /// Seconds of silence that close the conversation (the setting at its start).
    #[serde(default)]
    pub idle_s: i64,
    /// Whether the time with the bot counts toward the wait (the setting at its start).
    #[serde(default)]
    pub time_counts: bool,
}

impl BotRecord {
    /// A new conversation's record, from the organisation's settings.
    pub fn start(
        settings: &crate::knowledge::KbSettings,
        attributes: BTreeMap<String, String>,
    ) -> BotRecord {
        BotRecord {
            attributes,
            idle_s: settings.bot_idle_s,
            time_counts: settings.bot_time_counts,
            ..Default::default()
        }
    }

    /// The record kept on a contact (an empty one when it never met the bot).
    pub fn of(c: &store::Contact) -> Option<BotRecord> {
        c.data
            .get(KEY)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    fn put(&self, c: &mut store::Contact) {
        if let Value::Object(m) = &mut c.data {
            m.insert(
                KEY.into(),
                serde_json::to_value(self).unwrap_or(Value::Null),
            );
        }
    }

    /// How a conversation with the bot that ends without a person is closed: served when
    /// an article or a guided action answered.
    pub fn closing(&self) -> &'static str {
        if self.answers.is_empty() && self.actions_answered.is_empty() {
            "left_bot"
        } else {
            "self_served"
        }
    }
}

/// Whether a new conversation on `channel` in `queue` meets the bot first.
pub async fn first(
    state: &AppState,
    org: Uuid,
    queue: Uuid,
    channel: store::Channel,
) -> ApiResult<Option<crate::knowledge::KbSettings>> {
    let (settings, _) = crate::knowledge::settings(state, org).await?;
    Ok(settings.bot_first(queue, channel).then_some(settings))
}

/// A contact's status and bot record, while it is with the bot.
fn with_bot(state: &AppState, org: Uuid, id: Uuid) -> Option<(store::Contact, BotRecord)> {
    state.with_org(org, |o| {
        o.contact(id)
            .filter(|lc| lc.contact.status == ContactStatus::Bot)
            .map(|lc| {
                (
                    lc.contact.clone(),
                    BotRecord::of(&lc.contact).unwrap_or_default(),
                )
            })
    })
}

/// The bot's turn on a customer's message `seq` (see the module docs). Best effort: a
/// failure here never fails the customer's message; it is logged, and the customer can
/// still ask for a person.
pub async fn turn(state: &AppState, org: Uuid, contact_id: Uuid, seq: i64, text: &str) {
    // One turn at a time per conversation, in the order the messages came.
    let lock = crate::api::key_lock(&format!("{org}:bot:{contact_id}"));
    let _one = lock.lock().await;
    let Some((_, record)) = with_bot(state, org, contact_id) else {
        return;
    };
    match decide_turn(state, org, contact_id, seq, text, &record).await {
        Ok(()) => {}
        // The queue is closed (business hours): the bot says so and stays.
        Err(e) if e.status == axum::http::StatusCode::CONFLICT => {
            let reply = "Our team is not available right now. Write again during our opening hours and a person will take over.";
            if let Err(e) = say(state, org, contact_id, reply.into(), None).await {
                tracing::warn!(%org, contact = %contact_id, error = %e.message, "answer bot");
            }
        }
        Err(e) => tracing::warn!(%org, contact = %contact_id, error = %e.message, "answer bot"),
    }
}

async fn decide_turn(
    state: &AppState,
    org: Uuid,
    contact_id: Uuid,
    seq: i64,
    text: &str,
    record: &BotRecord,
) -> ApiResult<()> {
    if kb::asks_for_person(text) {
        return handover(
            state,
            org,
            contact_id,
            Reason::AskedForPerson,
            None,
            Some(seq),
        )
        .await;
    }
    if let Some(flight) = &record.action {
        let action = actions::enabled(state, org)
            .await?
            .into_iter()
            .find(|(slug, _)| *slug == flight.slug);
        if let Some((_, action)) = action {
            return run_action(state, org, contact_id, &action, flight.clone(), Some(text)).await;
        }
        // Deleted or turned off meanwhile: go on as if none were under way.
    }
    let started = actions::enabled(state, org)
        .await?
        .into_iter()
        .find(|(_, a)| actions::triggered(text, &a.action.triggers));
    if let Some((slug, action)) = started {
        let flight = actions::InFlight {
            slug,
            ..Default::default()
        };
        return run_action(state, org, contact_id, &action, flight, None).await;
    }
    let served = !record.answers.is_empty() || !record.actions_answered.is_empty();
    if served && kb::bot::is_thanks(text) {
        let reply = "Glad that helped! If there is anything else, just write; or say “agent” to talk to a person.";
        return say(state, org, contact_id, reply.into(), None).await;
    }
    let hits = crate::knowledge::search(state, org, text, "en", 5).await?;
    let topic = hits
        .first()
        .filter(|h| h.coverage > 0.0 && !h.category.is_empty())
        .map(|h| h.category.clone());
    let (article_id, confidence) = match kb::decide(text, &hits, &kb::BotConfig::default()) {
        kb::Decision::Answer {
            article_id,
            confidence,
        } => (article_id, confidence),
        kb::Decision::Handover { reason } => {
            return handover(state, org, contact_id, reason.into(), topic, Some(seq)).await;
        }
    };
    let Some(article) = crate::knowledge::by_slug(state, org, &article_id).await? else {
        return handover(state, org, contact_id, Reason::NoMatch, topic, Some(seq)).await;
    };
    let Some(published) = article.data.published.as_ref() else {
        return handover(state, org, contact_id, Reason::NoMatch, topic, Some(seq)).await;
    };
    let org_slug = state
        .store()
        .get_org(org)
        .await?
        .ok_or_else(|| ApiError::not_found("organisation"))?
        .slug;
    let base = state.config().public_url.trim_end_matches('/');
    let reply = format!(
        "From our help center, “{}”: {}\nRead more: {base}/help/{org_slug}/a/{}\nNot what you needed? Say “agent” and a person will take over.",
        published.title,
        kb::render::excerpt(&published.body, 280),
        article.slug(),
    );
    let shown = Shown {
        slug: article.slug().to_string(),
        title: published.title.clone(),
        seq: 0,
        confidence,
    };
    say(state, org, contact_id, reply, Some((shown, article.id()))).await
}

/// A message from the bot to the customer (leaving through the channel like an agent's),
/// with the article it showed kept on the contact, in one commit.
async fn say(
    state: &AppState,
    org: Uuid,
    contact_id: Uuid,
    text: String,
    shown: Option<(Shown, Uuid)>,
) -> ApiResult<()> {
    say_and(
        state,
        org,
        contact_id,
        text,
        move |record, seq| match shown {
            Some((mut shown, article_id)) => {
                shown.seq = seq;
                record.answers.push(shown);
                vec![LiveEvent::BotAnswered {
                    contact_id,
                    article_id,
                }]
            }
            None => Vec::new(),
        },
    )
    .await
}

/// A message from the bot to the customer (`seq`), and whatever `change` makes of its
/// record (with the events it returns), in one commit. Nothing is said once the
/// conversation has left the bot.
async fn say_and(
    state: &AppState,
    org: Uuid,
    contact_id: Uuid,
    text: String,
    change: impl FnOnce(&mut BotRecord, i64) -> Vec<LiveEvent>,
) -> ApiResult<()> {
    state
        .mutate(org, |o, now| {
            let mut fx = Effects::default();
            let Some(lc) = o
                .contact_mut(contact_id)
                .filter(|lc| lc.contact.status == ContactStatus::Bot)
            else {
                // Handed over or closed meanwhile: the bot no longer speaks.
                return Ok(Tx::new(()));
            };
            let mut record = BotRecord::of(&lc.contact).unwrap_or_default();
            for ev in change(&mut record, lc.contact.last_seq + 1) {
                fx.changes.push(ev.change(org, now, Actor::System));
            }
            record.put(&mut lc.contact);
            push_message(
                o,
                now,
                Actor::System,
                contact_id,
                // With an author: it speaks to the customer, through the channel.
                NewMessage {
                    author: Some(Actor::System),
                    author_name: Some(BOT_NAME.into()),
                    ..NewMessage::line(text)
                },
                &mut fx,
            );
            Ok(Tx {
                value: (),
                changes: fx.changes,
                notes: fx.notes,
            })
        })
        .await
}

/// One step of a guided action: ask the next question (or the same again), or call the
/// endpoint and answer, or hand over (see [`actions`]).
async fn run_action(
    state: &AppState,
    org: Uuid,
    contact_id: Uuid,
    action: &actions::ActionData,
    mut flight: actions::InFlight,
    answer: Option<&str>,
) -> ApiResult<()> {
    let (step, accepted) = actions::Step::next(&action.action, &mut flight, answer);
    if let Some((name, value)) = accepted {
        let sealed = state.sealer().seal(org, actions::VALUE_FIELD, &value);
        flight.values.insert(name, sealed);
    }
    let title = action.action.title.clone();
    let slug = flight.slug.clone();
    let outcome = |outcome: &str, error: Option<String>| LiveEvent::BotAction {
        contact_id,
        action: slug.clone(),
        outcome: outcome.to_string(),
        error,
    };
    match step {
        actions::Step::Ask(prompt) => {
            say_and(state, org, contact_id, prompt, move |record, _| {
                record.action = Some(flight);
                Vec::new()
            })
            .await
        }
        actions::Step::GiveUp => {
            let why = "That still does not look right, so a person will take over from here.";
            give_up(state, org, contact_id, why, outcome("gave_up", None), title).await
        }
        actions::Step::Call => {
            let values: BTreeMap<String, String> = flight
                .values
                .iter()
                .filter_map(|(k, v)| {
                    state
                        .sealer()
                        .open(org, actions::VALUE_FIELD, v)
                        .map(|v| (k.clone(), v))
                })
                .collect();
            match actions::call(state, org, contact_id, &flight.slug, action, &values).await {
                Ok(answer) => {
                    let mut all = values;
                    all.extend(answer.fields);
                    let reply = actions::fill(&action.action.reply, &all);
                    let ev = outcome("answered", None);
                    say_and(state, org, contact_id, reply, move |record, _| {
                        if let Some(done) = record.action.take() {
                            record.actions_answered.push(done.slug);
                        }
                        vec![ev]
                    })
                    .await?;
                    if answer.handover {
                        handover(
                            state,
                            org,
                            contact_id,
                            Reason::ActionHandover,
                            Some(title),
                            None,
                        )
                        .await?;
                    }
                    Ok(())
                }
                Err(why) => {
                    tracing::warn!(%org, action = %flight.slug, error = %why, "guided action failed");
                    let said =
                        "I could not look that up right now, so a person will take over from here.";
                    give_up(
                        state,
                        org,
                        contact_id,
                        said,
                        outcome("failed", Some(why)),
                        title,
                    )
                    .await
                }
            }
        }
    }
}

/// A guided action that cannot finish: the bot says so, forgets the action, and hands
/// the customer over with the action's title as the topic.
async fn give_up(
    state: &AppState,
    org: Uuid,
    contact_id: Uuid,
    said: &str,
    ev: LiveEvent,
    title: String,
) -> ApiResult<()> {
    say_and(state, org, contact_id, said.into(), move |record, _| {
        record.action = None;
        vec![ev]
    })
    .await?;
    handover(
        state,
        org,
        contact_id,
        Reason::ActionFailed,
        Some(title),
        None,
    )
    .await
}

/// Hand a conversation with the bot to a person: into its queue, routed by the engine,
/// with the bot's record and a line in the conversation saying why. A conversation no
/// longer with the bot is left as it is (a second request for a person changes nothing).
pub async fn handover(
    state: &AppState,
    org: Uuid,
    contact_id: Uuid,
    reason: Reason,
    topic: Option<String>,
    question_seq: Option<i64>,
) -> ApiResult<()> {
    let Some((contact, _)) = with_bot(state, org, contact_id) else {
        return Ok(());
    };
    let preferred = match (contact.queue_id, contact.customer_id) {
        (Some(queue), Some(customer)) => {
            crate::contacts::preferred_agent(state, org, queue, customer).await
        }
        _ => None,
    };
    state
        .mutate(org, |o, now| {
            let mut fx = Effects::default();
            let Some(lc) = o
                .contact_mut(contact_id)
                .filter(|lc| lc.contact.status == ContactStatus::Bot)
            else {
                return Ok(Tx::new(()));
            };
            // Everything below changes the live state only if the engine takes the
            // contact (a closed queue refuses it): put back as it was otherwise.
            let before = lc.contact.clone();
            let mut record = BotRecord::of(&lc.contact).unwrap_or_default();
            record.handover = Some(Handover {
                reason,
                topic: topic.clone(),
                question_seq,
                at: now,
            });
            let attributes = std::mem::take(&mut record.attributes);
            record.put(&mut lc.contact);
            if let Some(t) = &topic {
                lc.contact.topic = Some(t.clone());
            }
            let since = record.time_counts.then_some(lc.contact.created_at);
            let line = match &topic {
                Some(t) => format!(
                    "The answer bot handed over: {}. Topic: {t}.",
                    reason.words()
                ),
                None => format!("The answer bot handed over: {}.", reason.words()),
            };
            push_message(
                o,
                now,
                Actor::System,
                contact_id,
                NewMessage::line(line),
                &mut fx,
            );
            fx.changes.push(
                LiveEvent::BotHandover {
                    contact_id,
                    reason,
                    topic: topic.clone(),
                }
                .change(org, now, Actor::System),
            );
            if let Err(e) = o.hand_over(
                now,
                Actor::System,
                contact_id,
                attributes,
                preferred,
                since,
                &mut fx,
            ) {
                if let Some(lc) = o.contact_mut(contact_id) {
                    lc.contact = before;
                }
                return Err(e);
            }
            if let Some(lc) = o.contact(contact_id) {
                let c = lc.contact.clone();
                fx.changes.push(Change::PutContact(c.clone()));
                contact_note(&c, &mut fx.notes);
            }
            Ok(Tx {
                value: (),
                changes: fx.changes,
                notes: fx.notes,
            })
        })
        .await
}
