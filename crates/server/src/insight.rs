//! Insight: what the week's contacts say to the business. The top contact reasons
//! (wrap-up codes) and how they move week over week, customer satisfaction by reason
//! and by queue, the words and two-word phrases rising in customers' messages this
//! week against the four weeks before, and a weekly digest an owner reads in two
//! minutes.
//!
//! Pure: counts per week in, figures out; time (the weeks, "is the digest due") is an
//! input. The shell (`api/insight_api.rs`) reads the reports' projection and the
//! conversations, and sends the digest to the organisation's webhook.
//!
//! Rising terms never carry personal data: texts are masked again ([`crate::pii`]),
//! masks and any word holding a digit or an `@` are dropped, and a term used in fewer
//! than [`MIN_CONVERSATIONS`] conversations of the week is never shown, so a name or a
//! one-off detail (an order number, an address) cannot surface.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A term must be used in at least this many conversations of the week to be shown.
pub const MIN_CONVERSATIONS: u32 = 3;
/// The weeks a week is compared with, for rising terms.
pub const PREVIOUS_WEEKS: usize = 4;
/// Added to both sides of the ratio, so that a term going from 0 to 3 does not
/// outrank one going from 10 to 40.
pub const SMOOTHING: f64 = 2.0;
/// The least ratio (smoothed) for a term to count as rising.
pub const MIN_RATIO: f64 = 1.5;

/// Common English words that say nothing about why customers wrote.
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "done",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "get",
    "got",
    "had",
    "has",
    "have",
    "having",
    "he",
    "hello",
    "her",
    "here",
    "hers",
    "herself",
    "hey",
    "hi",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "im",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "let",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "need",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "ok",
    "okay",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "please",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "thank",
    "thanks",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "us",
    "very",
    "want",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "yes",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "dont",
    "cant",
    "ive",
    "youre",
    "thats",
    "its",
    "still",
    "yet",
    "one",
    "two",
    "like",
    "know",
    "way",
    "today",
    "yesterday",
];

fn is_stop(w: &str) -> bool {
    STOP_WORDS.contains(&w)
}

/// The distinct terms of one conversation's customer text: its words and two-word
/// phrases (adjacent words, neither a stop word), lower-cased, personal data masked
/// and dropped.
pub fn terms(text: &str) -> BTreeSet<String> {
    let masked = crate::pii::mask(text).map_or_else(|| text.to_string(), |m| m.text);
    let mut out = BTreeSet::new();
    let mut prev: Option<String> = None;
    // Masks (`[card ending 4242]`) are cut out: they break phrases and say nothing.
    let mut depth = 0u32;
    let mut clean = String::with_capacity(masked.len());
    for ch in masked.chars() {
        match ch {
            '[' => {
                depth += 1;
                clean.push(' ');
                clean.push('.');
            }
            ']' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            _ => clean.push(ch),
        }
    }
    for raw in clean.split(|c: char| c.is_whitespace()) {
        // A sentence's end breaks a phrase.
        let ends = raw.ends_with(['.', ',', '!', '?', ';', ':']) || raw.is_empty();
        let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
        let keep = !word.is_empty()
            && word
                .chars()
                .all(|c| c.is_alphabetic() || c == '\'' || c == '-')
            && !raw.contains('@')
            && word.chars().count() >= 2;
        let word = word.to_lowercase().replace('\'', "");
        if !keep || is_stop(&word) || word.chars().count() < 2 {
            prev = None;
            continue;
        }
        if let Some(p) = prev.take() {
            out.insert(format!("{p} {word}"));
        }
        out.insert(word.clone());
        prev = (!ends).then_some(word);
    }
    out
}

/// One week's terms: in how many conversations each was used.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WeekTerms {
    /// Conversations read.
    pub conversations: u32,
    pub counts: HashMap<String, u32>,
}

impl WeekTerms {
    /// Count one conversation's terms.
    pub fn add(&mut self, terms: &BTreeSet<String>) {
        self.conversations += 1;
        for t in terms {
            *self.counts.entry(t.clone()).or_default() += 1;
        }
    }
}

/// A word or phrase used in more conversations this week than before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RisingTerm {
    pub term: String,
    /// Conversations that used it this week.
    pub conversations: u32,
    /// The mean per week of the four weeks before.
    pub previous_mean: f64,
    /// (this week + 2) / (mean before + 2).
    pub ratio: f64,
}

/// The terms rising in `this` week against the mean of `previous` (the weeks before,
/// any order; a missing week counts as none), most rising first, at most `limit`.
/// Terms used in fewer than [`MIN_CONVERSATIONS`] conversations this week never
/// appear. A word is left out when a rising phrase holding it was used in nearly all
/// of its conversations (the phrase says more).
pub fn rising(this: &WeekTerms, previous: &[WeekTerms], limit: usize) -> Vec<RisingTerm> {
    let weeks = PREVIOUS_WEEKS.max(previous.len()) as f64;
    let mut all: Vec<RisingTerm> = this
        .counts
        .iter()
        .filter(|(_, n)| **n >= MIN_CONVERSATIONS)
        .filter_map(|(term, n)| {
            let before: u32 = previous
                .iter()
                .map(|w| w.counts.get(term).copied().unwrap_or(0))
                .sum();
            let mean = before as f64 / weeks;
            let ratio = (*n as f64 + SMOOTHING) / (mean + SMOOTHING);
            (ratio >= MIN_RATIO).then(|| RisingTerm {
                term: term.clone(),
                conversations: *n,
                previous_mean: (mean * 100.0).round() / 100.0,
                ratio: (ratio * 100.0).round() / 100.0,
            })
        })
        .collect();
    all.sort_by(|a, b| {
        b.ratio
            .total_cmp(&a.ratio)
            .then(b.conversations.cmp(&a.conversations))
            .then(a.term.cmp(&b.term))
    });
    let phrases: Vec<(String, u32)> = all
        .iter()
        .filter(|t| t.term.contains(' '))
        .map(|t| (t.term.clone(), t.conversations))
        .collect();
    all.retain(|t| {
        t.term.contains(' ')
            || !phrases.iter().any(|(p, n)| {
                p.split(' ').any(|w| w == t.term)
                    && f64::from(*n) >= 0.8 * f64::from(t.conversations)
            })
    });
    all.truncate(limit);
    all
}

/// One week's figures of one contact reason (or queue).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WeekCount {
    /// Contacts handled with this reason.
    pub contacts: u64,
    pub csat_sum: i64,
    pub csat_count: u64,
}

fn avg(sum: i64, n: u64) -> Option<f64> {
    (n > 0).then(|| ((sum as f64 / n as f64) * 100.0).round() / 100.0)
}

/// The change from `before` to `now`, in percent to a tenth (none from zero).
pub fn change_percent(now: f64, before: f64) -> Option<f64> {
    (before > 0.0).then(|| (((now - before) / before * 100.0) * 10.0).round() / 10.0)
}

/// A contact reason this week, with its trend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReasonTrend {
    /// The wrap-up code.
    pub code: String,
    /// Contacts handled with it this week.
    pub contacts: u64,
    pub last_week: u64,
    /// Week over week, in percent (none when last week had none).
    pub change_percent: Option<f64>,
    /// Share of this week's coded contacts, in percent.
    pub share_percent: f64,
    /// Contacts per week, oldest first, this week last.
    pub weekly: Vec<u64>,
    /// Average rating this week (1–5) and how many.
    pub csat_avg: Option<f64>,
    pub csat_count: u64,
    pub csat_last_week: Option<f64>,
}

/// The contact reasons of the last week of `weeks` (oldest first; each week's counts by
/// wrap-up code), most frequent first. Contacts without a code are not a reason.
pub fn reasons(weeks: &[BTreeMap<String, WeekCount>]) -> Vec<ReasonTrend> {
    let Some(this) = weeks.last() else {
        return Vec::new();
    };
    let last = weeks.len().checked_sub(2).and_then(|i| weeks.get(i));
    let total: u64 = this
        .iter()
        .filter(|(c, _)| !c.is_empty())
        .map(|(_, w)| w.contacts)
        .sum();
    let codes: BTreeSet<&String> = weeks
        .iter()
        .flat_map(|w| w.keys())
        .filter(|c| !c.is_empty())
        .collect();
    let mut out: Vec<ReasonTrend> = codes
        .into_iter()
        .map(|code| {
            let now = this.get(code).copied().unwrap_or_default();
            let before = last.and_then(|w| w.get(code)).copied().unwrap_or_default();
            ReasonTrend {
                code: code.clone(),
                contacts: now.contacts,
                last_week: before.contacts,
                change_percent: change_percent(now.contacts as f64, before.contacts as f64),
                share_percent: if total == 0 {
                    0.0
                } else {
                    ((now.contacts as f64 / total as f64) * 1000.0).round() / 10.0
                },
                weekly: weeks
                    .iter()
                    .map(|w| w.get(code).map_or(0, |c| c.contacts))
                    .collect(),
                csat_avg: avg(now.csat_sum, now.csat_count),
                csat_count: now.csat_count,
                csat_last_week: avg(before.csat_sum, before.csat_count),
            }
        })
        .filter(|r| r.contacts > 0 || r.last_week > 0)
        .collect();
    out.sort_by(|a, b| {
        b.contacts
            .cmp(&a.contacts)
            .then(b.last_week.cmp(&a.last_week))
            .then(a.code.cmp(&b.code))
    });
    out
}

/// A week's headline figures (the whole center, or one queue).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WeekFigures {
    /// Contacts offered.
    pub contacts: u64,
    pub handled: u64,
    pub service_level_percent: Option<f64>,
    pub asa_s: Option<f64>,
    pub abandon_percent: Option<f64>,
    pub csat_avg: Option<f64>,
    pub csat_count: u64,
}

/// A queue this week against last week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QueueInsight {
    pub queue_id: Uuid,
    pub name: String,
    pub this_week: WeekFigures,
    pub last_week: WeekFigures,
}

/// One figure this week and last, and the change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Compared {
    pub value: Option<f64>,
    pub previous: Option<f64>,
    /// `value - previous` (in the figure's own unit: points for percentages).
    pub change: Option<f64>,
}

fn compared(value: Option<f64>, previous: Option<f64>) -> Compared {
    Compared {
        value,
        previous,
        change: value
            .zip(previous)
            .map(|(a, b)| ((a - b) * 100.0).round() / 100.0),
    }
}

/// The weekly digest: the week summarised for someone with two minutes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Digest {
    /// The week's Monday (`YYYY-MM-DD`) and zone.
    pub week: String,
    pub tz: String,
    pub contacts: Compared,
    pub service_level_percent: Compared,
    pub asa_s: Compared,
    pub abandon_percent: Compared,
    pub csat_avg: Compared,
    /// The five most frequent reasons, with their trend.
    pub top_reasons: Vec<ReasonTrend>,
    /// The five most rising words and phrases.
    pub rising: Vec<RisingTerm>,
    /// The queues with the highest and the lowest service level this week (of those
    /// that answered or lost a contact).
    pub best_queue: Option<QueueInsight>,
    pub worst_queue: Option<QueueInsight>,
    /// The same in a few plain sentences.
    pub summary: Vec<String>,
}

fn num(v: Option<f64>, unit: &str) -> String {
    v.map_or_else(|| "no figure".into(), |v| format!("{v}{unit}"))
}

/// The week's digest from its figures.
pub fn digest(
    week: &str,
    tz: &str,
    this: &WeekFigures,
    last: &WeekFigures,
    reasons: &[ReasonTrend],
    rising: &[RisingTerm],
    queues: &[QueueInsight],
) -> Digest {
    let ranked: Vec<&QueueInsight> = {
        let mut v: Vec<&QueueInsight> = queues
            .iter()
            .filter(|q| q.this_week.service_level_percent.is_some())
            .collect();
        v.sort_by(|a, b| {
            let sl = |q: &QueueInsight| q.this_week.service_level_percent.unwrap_or(0.0);
            sl(b).total_cmp(&sl(a)).then(a.name.cmp(&b.name))
        });
        v
    };
    let best = ranked.first().map(|q| (*q).clone());
    let worst = (ranked.len() > 1).then(|| ranked[ranked.len() - 1].clone());
    let contacts = compared(Some(this.contacts as f64), Some(last.contacts as f64));
    let mut summary = vec![format!(
        "{} contacts this week{}; service level {}, average speed of answer {}, {} abandoned.",
        this.contacts,
        change_percent(this.contacts as f64, last.contacts as f64)
            .map_or(String::new(), |p| format!(" ({p:+}% on last week)")),
        num(this.service_level_percent, "%"),
        num(this.asa_s, " s"),
        num(this.abandon_percent, "%"),
    )];
    summary.push(match (this.csat_avg, last.csat_avg) {
        (Some(a), Some(b)) => format!(
            "Customers rated us {a} of 5 ({} ratings), against {b} last week.",
            this.csat_count
        ),
        (Some(a), None) => format!("Customers rated us {a} of 5 ({} ratings).", this.csat_count),
        _ => "No customer ratings this week.".into(),
    });
    if !reasons.is_empty() {
        let top: Vec<String> = reasons
            .iter()
            .take(3)
            .map(|r| {
                format!(
                    "{} ({}{})",
                    r.code,
                    r.contacts,
                    r.change_percent
                        .map_or(String::new(), |p| format!(", {p:+}%"))
                )
            })
            .collect();
        summary.push(format!(
            "Customers contacted us most about {}.",
            top.join(", ")
        ));
    }
    if !rising.is_empty() {
        let t: Vec<String> = rising
            .iter()
            .take(3)
            .map(|r| format!("\u{201c}{}\u{201d}", r.term))
            .collect();
        summary.push(format!("Rising in conversations: {}.", t.join(", ")));
    }
    if let Some(b) = &best {
        let mut s = format!(
            "Best queue: {} ({} service level)",
            b.name,
            num(b.this_week.service_level_percent, "%")
        );
        if let Some(w) = &worst {
            s.push_str(&format!(
                "; most behind: {} ({}).",
                w.name,
                num(w.this_week.service_level_percent, "%")
            ));
        } else {
            s.push('.');
        }
        summary.push(s);
    }
    Digest {
        week: week.to_string(),
        tz: tz.to_string(),
        contacts,
        service_level_percent: compared(this.service_level_percent, last.service_level_percent),
        asa_s: compared(this.asa_s, last.asa_s),
        abandon_percent: compared(this.abandon_percent, last.abandon_percent),
        csat_avg: compared(this.csat_avg, last.csat_avg),
        top_reasons: reasons.iter().take(5).cloned().collect(),
        rising: rising.iter().take(5).cloned().collect(),
        best_queue: best,
        worst_queue: worst,
        summary,
    }
}

/// The day (days since 1970-01-01) of the Monday of the week holding `day`.
pub fn monday_of(day: i64) -> i64 {
    day - wfm::time::weekday(day) as i64
}

/// When the digest of the week starting on Monday `week` is sent: the next Monday at
/// 08:00 on the zone's clock (Unix ms).
pub fn send_time(zone: &jiff::tz::TimeZone, week: i64) -> i64 {
    wfm::zone::to_utc(zone, week + 7, 8 * 60) * 60_000
}

/// Which week's digest is due at `now` (Unix ms): the last week whose Monday 08:00
/// (the next week's, on the zone's clock) has passed, unless it was sent already
/// (`last_sent`, the Monday of the last week sent on schedule) or its time came
/// before the webhook was set up (`since`): a new webhook hears from the next Monday.
pub fn digest_due(
    now: i64,
    zone: &jiff::tz::TimeZone,
    since: i64,
    last_sent: Option<i64>,
) -> Option<i64> {
    let today = wfm::zone::local_day(zone, now.div_euclid(60_000));
    let mut week = monday_of(today) - 7;
    if send_time(zone, week) > now {
        week -= 7;
    }
    (send_time(zone, week) >= since && last_sent.is_none_or(|l| l < week)).then_some(week)
}

/// How long after a digest was sent its call is still made after a restart.
pub const RESUME_WINDOW_MS: i64 = 24 * 3_600_000;

/// The digests still owed their call when a server starts: each one sent (`sends`:
/// id, week, when, in Unix ms) in the last [`RESUME_WINDOW_MS`] with no attempt that
/// got through and fewer than `max` attempts (`attempts`: id, attempt, ok), with the
/// number of the next attempt.
pub fn owed(
    sends: &[(Uuid, String, i64)],
    attempts: &[(Uuid, u32, bool)],
    now: i64,
    max: u32,
) -> Vec<(Uuid, String, u32)> {
    sends
        .iter()
        .filter(|(_, _, at)| now - at <= RESUME_WINDOW_MS)
        .filter_map(|(id, week, _)| {
            let mine = attempts.iter().filter(|(a, _, _)| a == id);
            let ok = mine.clone().any(|(_, _, ok)| *ok);
            let tried = mine.map(|(_, n, _)| *n).max().unwrap_or(0);
            (!ok && tried < max).then(|| (*id, week.clone(), tried + 1))
        })
        .collect()
}

// ---------- the answer bot's week ----------

/// Questions the answer bot could not answer that share a word or phrase: one article
/// to write.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QuestionGroup {
    /// The word or phrase they share (`refund`, `gift card`); `""` for the rest, which
    /// share none with another.
    pub label: String,
    pub count: u32,
    /// Up to three of the questions, personal data masked, at most 200 characters each.
    pub examples: Vec<String>,
}

/// Examples shown per group.
pub const GROUP_EXAMPLES: usize = 3;

/// Group questions by what they share, largest group first: the term (word or two-word
/// phrase, see [`terms`]) used by the most questions not yet grouped (a phrase before a
/// word on a tie, then alphabetical) makes a group of every question using it, until no
/// term is shared by two; the rest make one last group. At most `limit` groups before
/// the rest.
pub fn group_questions(questions: &[String], limit: usize) -> Vec<QuestionGroup> {
    let sets: Vec<BTreeSet<String>> = questions.iter().map(|q| terms(q)).collect();
    let example = |i: usize| -> String {
        let masked =
            crate::pii::mask(&questions[i]).map_or_else(|| questions[i].clone(), |m| m.text);
        let mut t: String = masked.chars().take(200).collect();
        if masked.chars().count() > 200 {
            t.push('…');
        }
        t
    };
    let mut left: Vec<usize> = (0..questions.len()).collect();
    let mut out = Vec::new();
    while out.len() < limit {
        let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
        for &i in &left {
            for t in &sets[i] {
                *counts.entry(t.as_str()).or_default() += 1;
            }
        }
        let best = counts.into_iter().filter(|(_, n)| *n >= 2).max_by(|a, b| {
            a.1.cmp(&b.1)
                .then(a.0.contains(' ').cmp(&b.0.contains(' ')))
                .then(b.0.cmp(a.0))
        });
        let Some((term, count)) = best else {
            break;
        };
        let term = term.to_string();
        let (group, rest): (Vec<usize>, Vec<usize>) =
            left.iter().partition(|&&i| sets[i].contains(&term));
        left = rest;
        out.push(QuestionGroup {
            label: term,
            count,
            examples: group
                .iter()
                .take(GROUP_EXAMPLES)
                .map(|&i| example(i))
                .collect(),
        });
    }
    if !left.is_empty() {
        out.push(QuestionGroup {
            label: String::new(),
            count: left.len() as u32,
            examples: left
                .iter()
                .take(GROUP_EXAMPLES)
                .map(|&i| example(i))
                .collect(),
        });
    }
    out
}

/// Deflection counts one self-served conversation only once this long has passed
/// without the customer coming back.
pub const DEFLECTION_WINDOW_MS: i64 = 24 * 3_600_000;

/// What became of one conversation with the answer bot, as the shell read it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BotConversation {
    pub answered: bool,
    /// Why it was handed over, if it was.
    pub handover: Option<String>,
    /// Ended without a person, the bot having answered; when (ms).
    pub self_served_at: Option<i64>,
    /// The customer's next contact after it (ms), if any.
    pub back_at: Option<i64>,
    /// The customer's rating of it, 1 to 5.
    pub csat: Option<u8>,
}

/// Why the bot handed over, and how often.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HandoverCount {
    pub reason: String,
    pub count: u32,
}

/// The answer bot's week.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BotWeek {
    /// Conversations that met the bot.
    pub conversations: u32,
    /// Of them, those it answered with an article at least once.
    pub answered: u32,
    /// Ended without a person after an answer.
    pub self_served: u32,
    /// Self-served, and the customer did not come back within a day.
    pub deflected: u32,
    /// Self-served less than a day ago with no new contact yet: not judged.
    pub pending: u32,
    /// Deflected against the conversations judged (all but `pending`), in percent.
    pub deflection_percent: Option<f64>,
    pub handed_over: u32,
    pub handover_percent: Option<f64>,
    /// Most frequent first.
    pub handover_reasons: Vec<HandoverCount>,
    /// Ratings of self-served conversations.
    pub csat_avg: Option<f64>,
    pub csat_count: u32,
    /// The questions it could not answer, grouped: the articles to write next.
    pub unanswered: Vec<QuestionGroup>,
}

/// The week's figures from its conversations with the bot, judged at `now` (ms).
pub fn bot_week(conversations: &[BotConversation], now: i64) -> BotWeek {
    let mut w = BotWeek {
        conversations: conversations.len() as u32,
        ..Default::default()
    };
    let mut reasons: BTreeMap<&str, u32> = BTreeMap::new();
    let (mut csat_sum, mut judged) = (0u32, 0u32);
    for c in conversations {
        w.answered += u32::from(c.answered);
        if let Some(r) = &c.handover {
            w.handed_over += 1;
            *reasons.entry(r.as_str()).or_default() += 1;
        }
        match c.self_served_at {
            Some(at) => {
                w.self_served += 1;
                let back = c.back_at.is_some_and(|b| b <= at + DEFLECTION_WINDOW_MS);
                if back {
                    judged += 1;
                } else if now < at + DEFLECTION_WINDOW_MS {
                    w.pending += 1;
                } else {
                    w.deflected += 1;
                    judged += 1;
                }
                if let Some(r) = c.csat {
                    csat_sum += u32::from(r);
                    w.csat_count += 1;
                }
            }
            None => judged += 1,
        }
    }
    let percent = |n: u32, d: u32| (d > 0).then(|| (1000.0 * n as f64 / d as f64).round() / 10.0);
    w.deflection_percent = percent(w.deflected, judged);
    w.handover_percent = percent(w.handed_over, w.conversations);
    w.csat_avg =
        (w.csat_count > 0).then(|| (100.0 * csat_sum as f64 / w.csat_count as f64).round() / 100.0);
    let mut reasons: Vec<HandoverCount> = reasons
        .into_iter()
        .map(|(reason, count)| HandoverCount {
            reason: reason.to_string(),
            count,
        })
        .collect();
    reasons.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
    w.handover_reasons = reasons;
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    fn week(convs: &[&str]) -> WeekTerms {
        let mut w = WeekTerms::default();
        for c in convs {
            w.add(&terms(c));
        }
        w
    }

    #[test]
    fn terms_are_words_and_phrases_without_stop_words_or_personal_data() {
        let t = terms(
            "Hi, my parcel is LATE again. Card 4242 4242 4242 4242, mail me at jo.doe@example.com \
             or call +1 312 555 0199. Order AB12345. Late delivery!",
        );
        let t: Vec<&str> = t.iter().map(String::as_str).collect();
        assert!(t.contains(&"parcel"), "{t:?}");
        assert!(t.contains(&"late delivery"), "{t:?}");
        assert!(t.contains(&"late"), "{t:?}");
        for bad in [
            "4242",
            "jo.doe",
            "example",
            "ab12345",
            "card ending",
            "0199",
            "hi",
            "my",
        ] {
            assert!(!t.iter().any(|x| x.contains(bad)), "{bad} in {t:?}");
        }
        // A phrase never spans a sentence's end or a stop word.
        assert!(!t.contains(&"again card"), "{t:?}");
        assert!(!t.contains(&"parcel late"), "{t:?}");
    }

    #[test]
    fn rising_terms_compare_with_the_four_weeks_before_and_need_three_conversations() {
        let base = ["where is my refund", "the app crashes", "refund please"];
        let before: Vec<WeekTerms> = (0..4).map(|_| week(&base)).collect();
        let this = week(&[
            "my damaged parcel arrived",
            "damaged parcel again",
            "a damaged parcel, sadly",
            "damaged parcel box",
            "where is my refund",
            "the app crashes",
            // One customer names themselves and their street: never shown.
            "Ottoline Quibble of Marrowfield Lane",
            "Ottoline Quibble again",
        ]);
        let r = rising(&this, &before, 10);
        let names: Vec<&str> = r.iter().map(|t| t.term.as_str()).collect();
        assert_eq!(names[0], "damaged parcel", "{r:?}");
        assert_eq!(r[0].conversations, 4);
        assert_eq!(r[0].previous_mean, 0.0);
        assert_eq!(r[0].ratio, 3.0);
        // The phrase covers its words: they are not listed again.
        assert!(
            !names.contains(&"damaged") && !names.contains(&"parcel"),
            "{names:?}"
        );
        // Steady terms do not rise; terms in two conversations never show.
        for t in [
            "refund",
            "app crashes",
            "ottoline",
            "ottoline quibble",
            "quibble",
        ] {
            assert!(!names.contains(&t), "{t} in {names:?}");
        }
    }

    #[test]
    fn the_min_three_rule_holds_whatever_the_ratio() {
        let this = week(&["Zebulon", "Zebulon"]);
        assert!(rising(&this, &[], 10).is_empty());
        let this = week(&["Zebulon", "Zebulon", "Zebulon"]);
        assert_eq!(rising(&this, &[], 10)[0].term, "zebulon");
        // Smoothed: 3 against a mean of 2 is not enough.
        let before: Vec<WeekTerms> = (0..4).map(|_| week(&["Zebulon", "Zebulon"])).collect();
        assert!(rising(&this, &before, 10).is_empty());
    }

    #[test]
    fn personal_data_never_surfaces_even_when_many_share_it() {
        let convs: Vec<String> = (0..5)
            .map(|_| {
                "refund to 4111 1111 1111 1111 or ops@shop.example, call 0044 20 7946 0958"
                    .to_string()
            })
            .collect();
        let refs: Vec<&str> = convs.iter().map(String::as_str).collect();
        let r = rising(&week(&refs), &[], 50);
        assert!(!r.is_empty());
        for t in &r {
            assert!(
                !t.term.chars().any(|c| c.is_ascii_digit())
                    && !t.term.contains('@')
                    && !t.term.contains("shop"),
                "{r:?}"
            );
        }
    }

    fn wk(pairs: &[(&str, u64, i64, u64)]) -> BTreeMap<String, WeekCount> {
        pairs
            .iter()
            .map(|(c, n, s, k)| {
                (
                    c.to_string(),
                    WeekCount {
                        contacts: *n,
                        csat_sum: *s,
                        csat_count: *k,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn reasons_rank_by_this_week_with_their_trend_and_ratings() {
        let weeks = vec![
            wk(&[("returns", 4, 0, 0)]),
            wk(&[("returns", 10, 8, 2), ("billing", 5, 0, 0), ("", 7, 0, 0)]),
            wk(&[
                ("returns", 5, 9, 3),
                ("billing", 10, 20, 4),
                ("shipping", 5, 0, 0),
                ("", 9, 0, 0),
            ]),
        ];
        let r = reasons(&weeks);
        let codes: Vec<&str> = r.iter().map(|x| x.code.as_str()).collect();
        assert_eq!(codes, ["billing", "returns", "shipping"]);
        assert_eq!(r[0].change_percent, Some(100.0));
        assert_eq!(r[1].change_percent, Some(-50.0));
        assert_eq!(r[2].change_percent, None);
        assert_eq!(r[0].share_percent, 50.0);
        assert_eq!(r[1].weekly, vec![4, 10, 5]);
        assert_eq!((r[0].csat_avg, r[0].csat_count), (Some(5.0), 4));
        assert_eq!((r[1].csat_avg, r[1].csat_last_week), (Some(3.0), Some(4.0)));
    }

    #[test]
    fn the_digest_is_due_from_monday_eight_in_the_zone_once_a_week() {
        let ny = wfm::zone::parse("America/New_York").unwrap();
        let at = |y, m, d, h: i64| {
            wfm::zone::to_utc(&ny, wfm::time::days_from_civil(y, m, d), h * 60) * 60_000
        };
        // Monday 7 December 2026; the week before started on Monday 30 November.
        let nov30 = wfm::time::days_from_civil(2026, 11, 30);
        let since = at(2026, 12, 2, 12);
        assert_eq!(
            digest_due(at(2026, 12, 7, 7), &ny, since, None),
            None,
            "before 08:00"
        );
        assert_eq!(
            digest_due(at(2026, 12, 7, 8), &ny, since, None),
            Some(nov30)
        );
        assert_eq!(
            digest_due(at(2026, 12, 9, 15), &ny, since, None),
            Some(nov30),
            "late is still due"
        );
        assert_eq!(
            digest_due(at(2026, 12, 9, 15), &ny, since, Some(nov30)),
            None,
            "once"
        );
        assert_eq!(
            digest_due(at(2026, 12, 14, 8), &ny, since, Some(nov30)),
            Some(nov30 + 7)
        );
        // Set up after that Monday 08:00: the first digest is the next one.
        assert_eq!(
            digest_due(at(2026, 12, 9, 15), &ny, at(2026, 12, 7, 9), None),
            None
        );
        // 08:00 is the zone's: 13:00 UTC in New York's winter.
        assert_eq!(send_time(&ny, nov30), at(2026, 12, 7, 8));
        assert_eq!(send_time(&ny, nov30) % 86_400_000, 13 * 3_600_000);
    }

    #[test]
    fn the_digest_names_the_best_and_worst_queue_and_reads_in_sentences() {
        let q = |name: &str, sl: Option<f64>| QueueInsight {
            queue_id: Uuid::nil(),
            name: name.into(),
            this_week: WeekFigures {
                service_level_percent: sl,
                ..Default::default()
            },
            last_week: WeekFigures::default(),
        };
        let this = WeekFigures {
            contacts: 120,
            service_level_percent: Some(81.5),
            csat_avg: Some(4.2),
            csat_count: 30,
            ..Default::default()
        };
        let last = WeekFigures {
            contacts: 100,
            csat_avg: Some(4.0),
            ..Default::default()
        };
        let d = digest(
            "2026-11-30",
            "UTC",
            &this,
            &last,
            &[],
            &[],
            &[
                q("Sales", Some(90.0)),
                q("Care", Some(60.0)),
                q("Idle", None),
            ],
        );
        assert_eq!(d.best_queue.unwrap().name, "Sales");
        assert_eq!(d.worst_queue.unwrap().name, "Care");
        assert_eq!(d.contacts.change, Some(20.0));
        assert_eq!(d.csat_avg.change, Some(0.2));
        assert!(
            d.summary[0].starts_with("120 contacts this week (+20% on last week)"),
            "{:?}",
            d.summary
        );
    }

    #[test]
    fn a_restart_owes_the_calls_that_did_not_get_through_for_a_day() {
        let (a, b, c, d) = (
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            Uuid::from_u128(3),
            Uuid::from_u128(4),
        );
        let now = 10 * RESUME_WINDOW_MS;
        let w = |s: &str| s.to_string();
        let sends = vec![
            (a, w("2026-11-30"), now - 60_000),
            (b, w("2026-11-30"), now - 60_000),
            (c, w("2026-11-23"), now - 60_000),
            (d, w("2026-11-16"), now - RESUME_WINDOW_MS - 1),
        ];
        // a: failed twice; b: got through on the second; c: all five failed; d: too old.
        let attempts = vec![(a, 1, false), (a, 2, false), (b, 1, false), (b, 2, true)]
            .into_iter()
            .chain((1..=5).map(|n| (c, n, false)))
            .collect::<Vec<_>>();
        assert_eq!(
            owed(&sends, &attempts, now, 5),
            vec![(a, w("2026-11-30"), 3)]
        );
        assert_eq!(
            owed(&sends[..1], &[], now, 5),
            vec![(a, w("2026-11-30"), 1)],
            "never tried"
        );
    }

    #[test]
    fn unanswered_questions_group_by_what_they_share() {
        let q: Vec<String> = [
            "Do you sell gift cards?",
            "Can I pay with a gift card from my aunt?",
            "Is the gift card valid abroad?",
            "Do you deliver to Norway?",
            "Can you deliver to Norway by Friday?",
            "My parrot ate the box, mail me at sam@example.com",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let g = group_questions(&q, 10);
        assert_eq!(g.len(), 3, "{g:?}");
        assert_eq!((g[0].label.as_str(), g[0].count), ("gift", 3), "{g:?}");
        assert_eq!(g[0].examples.len(), 3);
        assert_eq!((g[1].label.as_str(), g[1].count), ("deliver", 2), "{g:?}");
        assert_eq!((g[2].label.as_str(), g[2].count), ("", 1));
        assert!(
            !g[2].examples[0].contains("sam@example.com"),
            "{:?}",
            g[2].examples
        );
        assert!(group_questions(&[], 10).is_empty());
        assert_eq!(group_questions(&q, 1).len(), 2, "one group, then the rest");
    }

    #[test]
    fn the_bots_week_counts_deflection_only_once_it_can_be_judged() {
        let day = DEFLECTION_WINDOW_MS;
        let now = 10 * day;
        let c = |answered, handover: Option<&str>, served: Option<i64>, back: Option<i64>, csat| {
            BotConversation {
                answered,
                handover: handover.map(str::to_string),
                self_served_at: served,
                back_at: back,
                csat,
            }
        };
        let w = bot_week(
            &[
                c(true, None, Some(now - 2 * day), None, Some(5)),
                c(
                    true,
                    None,
                    Some(now - 2 * day),
                    Some(now - 2 * day + 3_600_000),
                    Some(3),
                ),
                c(true, None, Some(now - 3_600_000), None, None),
                c(true, Some("asked_for_person"), None, None, None),
                c(false, Some("no_match"), None, None, None),
                c(false, Some("no_match"), None, None, None),
            ],
            now,
        );
        assert_eq!(w.conversations, 6);
        assert_eq!(w.answered, 4);
        assert_eq!((w.self_served, w.deflected, w.pending), (3, 1, 1));
        assert_eq!(w.deflection_percent, Some(20.0), "1 of the 5 judged");
        assert_eq!(w.handed_over, 3);
        assert_eq!(w.handover_percent, Some(50.0));
        assert_eq!(w.handover_reasons[0].reason, "no_match");
        assert_eq!(w.handover_reasons[0].count, 2);
        assert_eq!((w.csat_avg, w.csat_count), (Some(4.0), 2));
        assert_eq!(bot_week(&[], now), BotWeek::default());
    }
}
