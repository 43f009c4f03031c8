//! A past of contacts, routed by the real engine: the demo's weeks of history, and the
//! history that tests of planning and reports start from.
//!
//! Why through the engine. Planners forecast from past arrivals; reports show past
//! waits, service level, handle times, occupancy, wrap-up codes and ratings. Figures
//! drawn at random would be numbers no router produced. So the arrivals (a daily curve,
//! Mondays busier, Sundays closed) are routed by the organisation's own queues and
//! agents, as configured, through `routing::Engine` in simulated time: agents sign in
//! for the day and take a lunch break, accept offers after a few seconds (now and then
//! one is declined), handle, wrap up with a code; customers who wait too long leave;
//! some rate the chat. [`History::simulate`] touches no store or clock (configuration in, contacts and
//! engine events out); [`History::write`] stores the closed contacts and hands the
//! events to the reports' projection ([`crate::reports::import`]), the code that reads
//! the live log, so a month of history reads in reports like a month of live traffic.
//!
//! The events are not appended to the routing log: the live engine is rebuilt from
//! that log, and a past that never happened live must not move today's agents.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use routing::{
    AgentConfig, AgentId, Command, ContactId, Engine, Event, EventKind, NewContact, Presence,
    QueueConfig, QueueId, Timestamp,
};
use serde_json::json;
use store::Change;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::live::{QueueSettings, rid};
use crate::{ApiResult, AppState};

/// A seeded history of closed chats: `days` days from `first_day` (a UTC midnight),
/// open Monday to Saturday 08:00–20:00 UTC, busiest late in the morning and in the
/// middle of the afternoon, Mondays busier and Saturdays quieter; about `per_day`
/// contacts on an ordinary weekday, handled in about `aht_s` seconds.
pub struct History<'a> {
    pub org: Uuid,
    pub queues: &'a [Uuid],
    /// The agents who work it, on early (07:36) or late (11:42 UTC) shifts of eight
    /// and a half hours with half an hour for lunch, five days of the six open. With
    /// none, every customer gives up.
    pub agents: &'a [Uuid],
    pub first_day: OffsetDateTime,
    pub days: u32,
    pub per_day: f64,
    pub aht_s: f64,
    /// Wrap-up codes: `codes[i]` is what agents pick most for `queues[i]` (the list is
    /// reused when shorter), any other now and then. None when empty.
    pub codes: &'a [&'a str],
    /// What customers write first: `openings[i]` for `queues[i]` (reused when
    /// shorter). No messages when empty.
    pub openings: &'a [&'a [&'a str]],
    /// Openings only of the last seven days, for one customer in six: a problem that
    /// is new this week.
    pub recent: &'a [&'a str],
    pub seed: u64,
}

/// What a simulated history produced.
#[derive(Debug, Default)]
pub struct Past {
    /// The contacts, closed, in order of arrival.
    pub contacts: Vec<store::Contact>,
    /// Each contact's first message, from its customer.
    pub messages: Vec<store::Message>,
    /// Every event the engine emitted, in order.
    pub events: Vec<Event>,
    /// Ratings: (contact, 1–5, Unix ms).
    pub ratings: Vec<(Uuid, i64, i64)>,
}

/// splitmix64: small, seedable, the same everywhere.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d4_9bb1_3311_14eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[a, b)` milliseconds.
    fn ms(&mut self, a: f64, b: f64) -> u64 {
        ((a + (b - a) * self.unit()) * 1000.0) as u64
    }
}

/// What happens next in the simulation.
#[derive(Debug)]
enum Step {
    Arrive(usize),
    Accept(ContactId, AgentId),
    Reject(ContactId, AgentId),
    Complete(ContactId),
    WrapUp(ContactId),
    Abandon(ContactId),
    Presence(AgentId, Presence),
}

fn ms(t: OffsetDateTime) -> u64 {
    (t.unix_timestamp_nanos() / 1_000_000).max(0) as u64
}

fn at(ms: u64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Steps to take, each at its time (ties in the order planned).
#[derive(Default)]
struct Agenda {
    steps: Vec<Option<Step>>,
    due: BinaryHeap<Reverse<(u64, usize)>>,
}

impl Agenda {
    fn plan(&mut self, t: u64, s: Step) {
        self.due.push(Reverse((t, self.steps.len())));
        self.steps.push(Some(s));
    }

    fn peek(&self) -> Option<u64> {
        self.due.peek().map(|r| r.0.0)
    }

    fn pop(&mut self) -> Option<(u64, Step)> {
        let Reverse((t, i)) = self.due.pop()?;
        Some((t, self.steps[i].take()?))
    }
}

/// A contact being simulated: where it is in `Past::contacts`, its queue's index and
/// what happened to it.
struct Live {
    index: usize,
    queue: usize,
    accepted: Option<(u64, AgentId)>,
    ended: Option<u64>,
    wrapped: Option<u64>,
    gone: Option<u64>,
}

impl<'a> History<'a> {
    /// UTC midnight `days` days before the day of `now`: where a history ending
    /// yesterday starts.
    pub fn start_days_before(now: OffsetDateTime, days: u32) -> OffsetDateTime {
        now.to_offset(time::UtcOffset::UTC)
            .replace_time(time::Time::MIDNIGHT)
            - time::Duration::days(i64::from(days))
    }

    /// The arrivals, oldest first: (Unix ms, queue index).
    fn arrivals(&self, rng: &mut Rng) -> Vec<(u64, usize)> {
        let shape = |half: u32| {
            let h = f64::from(half) / 2.0;
            0.5 + (-(h - 11.0).powi(2) / 3.0).exp() + 0.8 * (-(h - 15.0).powi(2) / 3.0).exp()
        };
        let total: f64 = (16..40).map(shape).sum();
        let mut out = Vec::new();
        for d in 0..self.days {
            let day = self.first_day + time::Duration::days(i64::from(d));
            let busy = match day.weekday() {
                time::Weekday::Sunday => continue,
                time::Weekday::Monday => 1.25,
                time::Weekday::Saturday => 0.7,
                _ => 1.0,
            };
            for half in 16..40u32 {
                let mean = self.per_day * busy * shape(half) / total;
                // Poisson by inversion (means are small).
                let (mut n, mut p, mut cdf, u) = (0u32, (-mean).exp(), 0.0, rng.unit());
                cdf += p;
                while u > cdf && n < 10_000 {
                    n += 1;
                    p *= mean / f64::from(n);
                    cdf += p;
                }
                let mut times: Vec<u64> = (0..n)
                    .map(|_| {
                        ms(day) + rng.ms(f64::from(half) * 1800.0, f64::from(half + 1) * 1800.0)
                    })
                    .collect();
                times.sort_unstable();
                for t in times {
                    let q = (rng.unit() * self.queues.len() as f64) as usize;
                    out.push((t, q.min(self.queues.len().saturating_sub(1))));
                }
            }
        }
        out
    }

    /// What the customer of a contact arriving at `now` in `queues[q]` writes first.
    fn opening(&self, q: usize, now: u64, rng: &mut Rng) -> Option<&'a str> {
        let last_week = ms(self.first_day) + u64::from(self.days.saturating_sub(7)) * 86_400_000;
        let pick = |list: &[&'a str], rng: &mut Rng| -> Option<&'a str> {
            (!list.is_empty()).then(|| list[(rng.unit() * list.len() as f64) as usize % list.len()])
        };
        if now >= last_week && !self.recent.is_empty() && rng.unit() < 1.0 / 6.0 {
            return pick(self.recent, rng);
        }
        if self.openings.is_empty() {
            return None;
        }
        pick(self.openings[q % self.openings.len()], rng)
    }

    /// Routes the history through a fresh engine configured with `queues` and `agents`
    /// (those of [`History::queues`] and [`History::agents`] missing here get a
    /// default configuration, and no skills).
    pub fn simulate(&self, queues: &[(Uuid, QueueConfig)], agents: &[(Uuid, AgentConfig)]) -> Past {
        let mut rng = Rng(self.seed ^ 0x9e37_79b9_7f4a_7c15);
        let mut past = Past::default();
        if self.queues.is_empty() {
            return past;
        }
        let arrivals = self.arrivals(&mut rng);
        let start = Timestamp(ms(self.first_day));
        let mut engine = Engine::default();
        let mut out = Vec::new();
        for q in self.queues {
            let config = queues
                .iter()
                .find(|(id, _)| id == q)
                .map(|(_, c)| c.clone())
                .unwrap_or_else(|| QueueSettings::default().engine_config());
            let _ = engine.handle_into(
                start,
                Command::ConfigureQueue {
                    queue: QueueId(rid(*q)),
                    config,
                },
                &mut out,
            );
        }
        let mut agenda = Agenda::default();
        for (i, a) in self.agents.iter().enumerate() {
            let config = agents
                .iter()
                .find(|(id, _)| id == a)
                .map(|(_, c)| c.clone())
                .unwrap_or_else(|| AgentConfig::with_skills([]));
            let agent = AgentId(rid(*a));
            let _ = engine.handle_into(start, Command::ConfigureAgent { agent, config }, &mut out);
            for d in 0..self.days {
                let date = self.first_day + time::Duration::days(i64::from(d));
                // Each agent has one open day off a week.
                let weekday = date.weekday().number_days_from_monday() as usize;
                if weekday == 6 || weekday == i % 6 {
                    continue;
                }
                let day = ms(date);
                // Early and late shifts of eight and a half hours, lunch in the middle.
                let begin = if i % 2 == 0 { 7.6 } else { 11.7 } * 3600.0;
                let lunch = begin + 4.0 * 3600.0 + (i % 3) as f64 * 900.0;
                agenda.plan(
                    day + rng.ms(begin, begin + 600.0),
                    Step::Presence(agent, Presence::Available),
                );
                agenda.plan(
                    day + rng.ms(lunch, lunch + 300.0),
                    Step::Presence(
                        agent,
                        Presence::Break {
                            aux: "lunch".into(),
                        },
                    ),
                );
                agenda.plan(
                    day + rng.ms(lunch + 1800.0, lunch + 2100.0),
                    Step::Presence(agent, Presence::Available),
                );
                agenda.plan(
                    day + rng.ms(begin + 8.5 * 3600.0, begin + 8.7 * 3600.0),
                    Step::Presence(agent, Presence::Offline),
                );
            }
        }
        for (i, (t, _)) in arrivals.iter().enumerate() {
            agenda.plan(*t, Step::Arrive(i));
        }
        past.events.append(&mut out);

        let mut live: HashMap<u64, Live> = HashMap::new();
        let mut now = start.0;
        loop {
            // The engine's timers fire before anything planned for the same moment.
            let step = match (agenda.peek(), engine.next_timeout().map(|t| t.0)) {
                (Some(t), Some(x)) if x <= t => {
                    now = now.max(x);
                    None
                }
                (Some(_), _) => agenda.pop().map(|(t, s)| {
                    now = now.max(t);
                    s
                }),
                (None, Some(x)) => {
                    now = now.max(x);
                    None
                }
                (None, None) => break,
            };
            let command = match step {
                None => Command::Tick,
                Some(Step::Arrive(i)) => {
                    let (_, q) = arrivals[i];
                    let id = store::new_id();
                    let contact = ContactId(rid(id));
                    past.contacts.push(store::Contact {
                        id,
                        org_id: self.org,
                        channel: store::Channel::Chat,
                        queue_id: Some(self.queues[q]),
                        status: store::ContactStatus::Closed,
                        customer_id: None,
                        agent_id: None,
                        topic: None,
                        enqueued_at: at(now),
                        accepted_at: None,
                        ended_at: None,
                        closed_at: None,
                        wrapup_code: None,
                        wrapup_notes: None,
                        last_seq: 0,
                        customer_read_seq: 0,
                        agent_read_seq: 0,
                        data: json!({"history": true}),
                        created_at: at(now),
                        updated_at: at(now),
                    });
                    if let Some(text) = self.opening(q, now, &mut rng) {
                        let c = past.contacts.last_mut().expect("just pushed");
                        c.last_seq = 1;
                        past.messages.push(store::Message {
                            id: store::new_id(),
                            org_id: self.org,
                            contact_id: id,
                            seq: 1,
                            sender: store::Sender::Customer,
                            author_id: None,
                            author_name: None,
                            text: Some(text.to_string()),
                            attachment: None,
                            internal: false,
                            client_id: None,
                            at: at(now),
                            template: None,
                            pii: Vec::new(),
                        });
                    }
                    live.insert(
                        contact.0,
                        Live {
                            index: past.contacts.len() - 1,
                            queue: q,
                            accepted: None,
                            ended: None,
                            wrapped: None,
                            gone: None,
                        },
                    );
                    // Patience: most wait a minute or two, a few much longer.
                    let patience = 20.0 + 150.0 * -(1.0 - rng.unit()).ln();
                    agenda.plan(now + (patience * 1000.0) as u64, Step::Abandon(contact));
                    Command::Enqueue(NewContact::new(
                        contact,
                        QueueId(rid(self.queues[q])),
                        routing::Channel::Chat,
                    ))
                }
                Some(Step::Accept(contact, agent)) => Command::Accept { contact, agent },
                Some(Step::Reject(contact, agent)) => Command::Reject { contact, agent },
                Some(Step::Complete(contact)) => Command::Complete { contact },
                Some(Step::WrapUp(contact)) => Command::WrapUp {
                    contact,
                    code: None,
                },
                Some(Step::Abandon(contact)) => {
                    if live
                        .get(&contact.0)
                        .is_some_and(|l| l.accepted.is_some() || l.gone.is_some())
                    {
                        continue;
                    }
                    Command::Abandon { contact }
                }
                Some(Step::Presence(agent, presence)) => Command::SetPresence { agent, presence },
            };
            let from = past.events.len();
            if engine
                .handle_into(Timestamp(now), command, &mut past.events)
                .is_err()
            {
                continue;
            }
            for ev in &past.events[from..] {
                match &ev.kind {
                    EventKind::ContactOffered { contact, agent, .. } => {
                        let t = now + rng.ms(3.0, 25.0);
                        let s = if rng.unit() < 0.03 {
                            Step::Reject(*contact, *agent)
                        } else {
                            Step::Accept(*contact, *agent)
                        };
                        agenda.plan(t, s);
                    }
                    EventKind::OfferAccepted { contact, agent } => {
                        if let Some(l) = live.get_mut(&contact.0) {
                            l.accepted = Some((now, *agent));
                        }
                        let handle = self.aht_s * (0.4 + 1.2 * rng.unit());
                        agenda.plan(now + (handle * 1000.0) as u64, Step::Complete(*contact));
                    }
                    EventKind::ContactCompleted { contact, .. } => {
                        if let Some(l) = live.get_mut(&contact.0) {
                            l.ended = Some(now);
                        }
                        agenda.plan(now + rng.ms(15.0, 75.0), Step::WrapUp(*contact));
                    }
                    EventKind::ContactWrappedUp { contact, .. } => {
                        if let Some(l) = live.get_mut(&contact.0) {
                            l.wrapped = Some(now);
                        }
                    }
                    EventKind::ContactAbandoned { contact, .. }
                    | EventKind::ContactExpired { contact, .. } => {
                        if let Some(l) = live.get_mut(&contact.0) {
                            l.gone = Some(now);
                        }
                    }
                    _ => {}
                }
            }
        }

        // Each contact as it ended, with its code and (for some) a rating.
        let mut order: Vec<&Live> = live.values().collect();
        order.sort_by_key(|l| l.index);
        for l in order {
            let c = &mut past.contacts[l.index];
            let enqueued = ms(c.enqueued_at);
            if let Some((accepted, agent)) = l.accepted {
                c.accepted_at = Some(at(accepted));
                c.agent_id = self.agents.iter().find(|a| rid(**a) == agent.0).copied();
                let ended = l.ended.unwrap_or(accepted);
                c.ended_at = Some(at(ended));
                let closed = l.wrapped.unwrap_or(ended + 30_000);
                c.closed_at = Some(at(closed));
                c.updated_at = at(closed);
                if !self.codes.is_empty() {
                    let usual = self.codes[l.queue % self.codes.len()];
                    let code = if rng.unit() < 0.7 {
                        usual
                    } else {
                        self.codes
                            [(rng.unit() * self.codes.len() as f64) as usize % self.codes.len()]
                    };
                    c.wrapup_code = Some(code.to_string());
                }
                if rng.unit() < 0.3 {
                    let u = rng.unit();
                    let mut rating: i64 = match u {
                        u if u < 0.45 => 5,
                        u if u < 0.75 => 4,
                        u if u < 0.87 => 3,
                        u if u < 0.94 => 2,
                        _ => 1,
                    };
                    if accepted - enqueued > 120_000 {
                        rating = (rating - 1).max(1);
                    }
                    past.ratings
                        .push((c.id, rating, (closed + rng.ms(30.0, 300.0)) as i64));
                }
            } else {
                let gone = l.gone.unwrap_or(enqueued);
                c.closed_at = Some(at(gone));
                c.updated_at = at(gone);
            }
        }
        past
    }

    /// Simulates the history with the organisation's live configuration, writes the
    /// contacts (a thousand per commit) and the reports' rows. Returns how many
    /// contacts.
    pub async fn write(&self, state: &AppState) -> ApiResult<usize> {
        let (queues, agents) = state.with_org(self.org, |o| {
            (
                o.queues()
                    .map(|q| (q.id, q.settings.engine_config()))
                    .collect::<Vec<_>>(),
                o.agents()
                    .map(|a| (a.user_id, a.profile.engine_config()))
                    .collect::<Vec<_>>(),
            )
        });
        let past = self.simulate(&queues, &agents);
        for chunk in past.contacts.chunks(1000) {
            let changes = chunk.iter().cloned().map(Change::PutContact).collect();
            state.write(changes, vec![]).await?;
        }
        // Messages after their contacts, sealed by the write like any other.
        for chunk in past.messages.chunks(1000) {
            let changes = chunk.iter().cloned().map(Change::PutMessage).collect();
            state.write(changes, vec![]).await?;
        }
        crate::reports::import(state, self.org, &past).await?;
        Ok(past.contacts.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn history<'a>(queues: &'a [Uuid], agents: &'a [Uuid]) -> History<'a> {
        History {
            org: Uuid::nil(),
            queues,
            agents,
            first_day: datetime!(2026-11-02 00:00 UTC),
            days: 7,
            per_day: 300.0,
            aht_s: 300.0,
            codes: &["Order status given", "Refund issued"],
            openings: &[&["Where is my parcel?"], &["I want my money back."]],
            recent: &["The discount code is rejected at checkout."],
            seed: 7,
        }
    }

    #[test]
    fn the_engine_routes_a_week_with_waits_answers_codes_and_ratings() {
        let queues = [Uuid::from_u128(1), Uuid::from_u128(2)];
        // Four agents on two shifts, one chat each, for about two chats at a time on
        // average: at the peaks customers wait, and some give up.
        let agents: Vec<Uuid> = (10..14).map(Uuid::from_u128).collect();
        let mut config = AgentConfig::with_skills([]);
        config.capacity = routing::Capacity::none().with(routing::Channel::Chat, 1);
        let configs: Vec<(Uuid, AgentConfig)> =
            agents.iter().map(|a| (*a, config.clone())).collect();
        let past = history(&queues, &agents).simulate(&[], &configs);
        let n = past.contacts.len();
        // Six open days, about 300 a day (Monday a quarter busier, Saturday quieter).
        assert!((1500..2300).contains(&n), "{n} contacts");
        assert!(past.contacts.iter().all(|c| c.closed_at.is_some()));
        assert!(
            past.contacts
                .iter()
                .all(|c| c.enqueued_at.weekday() != time::Weekday::Sunday)
        );
        let answered: Vec<_> = past
            .contacts
            .iter()
            .filter(|c| c.accepted_at.is_some())
            .collect();
        let share = answered.len() as f64 / n as f64;
        assert!(share > 0.6 && share < 1.0, "answered {share}");
        // Answered by one of the agents, after waiting, before ending, with a code.
        for c in &answered {
            assert!(agents.contains(&c.agent_id.unwrap()));
            assert!(c.accepted_at.unwrap() >= c.enqueued_at);
            assert!(c.ended_at.unwrap() > c.accepted_at.unwrap());
            assert!(c.wrapup_code.is_some());
        }
        // Every decision came from the engine: an offer for each answer at least.
        let offers = past
            .events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::ContactOffered { .. }))
            .count();
        assert!(offers >= answered.len());
        let rated = past.ratings.len() as f64 / answered.len() as f64;
        assert!((0.2..0.4).contains(&rated), "rated {rated}");
        assert!(past.ratings.iter().all(|(_, r, _)| (1..=5).contains(r)));
        // One opening each; the new problem only in the last week.
        assert_eq!(past.messages.len(), n);
        let last_week = datetime!(2026-11-02 00:00 UTC) + time::Duration::days(0);
        let recent: Vec<_> = past
            .messages
            .iter()
            .filter(|m| m.text.as_deref() == Some("The discount code is rejected at checkout."))
            .collect();
        assert!(
            recent.len() > n / 10 && recent.len() < n / 4,
            "{} of {n}",
            recent.len()
        );
        assert!(recent.iter().all(|m| m.at >= last_week));
        // Seeded: the same history twice.
        let again = history(&queues, &agents).simulate(&[], &configs);
        assert_eq!(again.contacts.len(), n);
        assert_eq!(again.events.len(), past.events.len());
    }

    #[test]
    fn without_agents_every_customer_gives_up() {
        let queues = [Uuid::from_u128(1)];
        let past = history(&queues, &[]).simulate(&[], &[]);
        assert!(!past.contacts.is_empty());
        assert!(
            past.contacts
                .iter()
                .all(|c| c.accepted_at.is_none() && c.closed_at.is_some())
        );
        assert!(past.ratings.is_empty());
    }
}
