//! Guided actions: small flows an admin defines for the answer bot, such as "where is my
//! order". A phrase the customer writes starts one; the bot asks for what it needs (an
//! order number, checked against a pattern, asked again once), calls the company's own
//! HTTP endpoint with a signed request, and answers with the result filled into a
//! template. When the endpoint fails, is slow or refuses, or the customer cannot give
//! what is asked, the bot says so and hands over to a person at once.
//!
//! The request is `POST <url>` with `{"action", "contact_id", "values": {…}}` and
//! `X-Homeshore-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (the
//! same signature as every webhook Homeshore sends; [`crate::webhook`]), no redirects,
//! within the action's timeout. A 2xx JSON object answers: its top-level fields fill the
//! template's `{{name}}`s (beside the values collected), and `"handover": true` hands
//! the customer over after the reply.
//!
//! Pure parts ([`ActionIn::validate`], [`triggered`], [`fill`], [`Step::next`]) take
//! values and return values; [`call`] is the one place that does I/O. What the customer
//! gives is sealed in the conversation's bot record ([`InFlight::values`]), never kept
//! in clear.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{ApiError, ApiResult, AppState};

/// The sealing field of a guided action's signing secret.
pub const SECRET_FIELD: &str = "bot_action_secret";
/// The sealing field of the values a customer gives a guided action.
pub const VALUE_FIELD: &str = "bot_action_value";
/// Times the bot asks for one value before it hands over.
pub const TRIES: u8 = 2;

/// One thing an action asks the customer for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// `order_number`: lowercase letters, digits and `_`, 1 to 32; the template's
    /// `{{order_number}}`.
    pub name: String,
    /// What the bot asks ("What is your order number?"); 1 to 300 characters.
    pub prompt: String,
    /// A regular expression the whole answer must match (`HS-\d{5}`), if any.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Said when an answer does not match ("Order numbers look like HS-12345.").
    #[serde(default)]
    pub hint: Option<String>,
}

/// A guided action as admins write it (`PUT /api/bot/actions/{slug}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionIn {
    /// 1 to 100 characters.
    pub title: String,
    /// Phrases that start it when a customer's message contains one ("where is my
    /// order"), case and punctuation aside; 1 to 20, each 3 to 100 characters.
    pub triggers: Vec<String>,
    /// What it asks for, in order (at most 5).
    #[serde(default)]
    pub ask: Vec<Field>,
    /// The company's endpoint: https, or http on this machine.
    pub url: String,
    /// The signing secret, 16 to 200 characters (write only: none keeps the stored one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// How long the endpoint may take, 500 to 10,000 ms (default 5,000).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// The answer, with `{{name}}` for the endpoint's fields and the values asked
    /// ("Your order {{order_number}} is {{status}}."); 1 to 1,000 characters.
    pub reply: String,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn default_timeout_ms() -> u64 {
    5_000
}

fn yes() -> bool {
    true
}

/// A guided action as stored (the `bot_action` object's data): its secret sealed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionData {
    #[serde(flatten)]
    pub action: ActionIn,
    pub secret_sealed: Option<String>,
}

/// A guided action as admins read it (its secret never).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ActionOut {
    pub slug: String,
    pub title: String,
    pub triggers: Vec<String>,
    pub ask: Vec<Field>,
    pub url: String,
    pub timeout_ms: u64,
    pub reply: String,
    pub enabled: bool,
    /// Whether a signing secret is stored.
    pub has_secret: bool,
}

impl ActionOut {
    pub fn of(slug: String, data: ActionData) -> ActionOut {
        let a = data.action;
        ActionOut {
            slug,
            title: a.title,
            triggers: a.triggers,
            ask: a.ask,
            url: a.url,
            timeout_ms: a.timeout_ms,
            reply: a.reply,
            enabled: a.enabled,
            has_secret: data.secret_sealed.is_some(),
        }
    }
}

fn is_name(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A pattern as the bot applies it: the whole answer, bounded in size.
fn compile(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .build()
        .map_err(|e| e.to_string())
}

impl ActionIn {
    /// Checks everything but the secret (see [`crate::webhook::settings`]); the error
    /// names the field.
    pub fn validate(&self) -> Result<(), ApiError> {
        let chars = |s: &str| s.trim().chars().count();
        if !(1..=100).contains(&chars(&self.title)) {
            return Err(ApiError::invalid("title: 1 to 100 characters"));
        }
        if self.triggers.is_empty() || self.triggers.len() > 20 {
            return Err(ApiError::invalid("triggers: 1 to 20 phrases"));
        }
        for (i, t) in self.triggers.iter().enumerate() {
            if !(3..=100).contains(&chars(t)) || normalize(t).is_empty() {
                return Err(ApiError::invalid(format!(
                    "triggers[{i}]: 3 to 100 characters, with words"
                )));
            }
        }
        if self.ask.len() > 5 {
            return Err(ApiError::invalid("ask: at most 5 questions"));
        }
        for (i, f) in self.ask.iter().enumerate() {
            if !is_name(&f.name) {
                return Err(ApiError::invalid(format!(
                    "ask[{i}].name: lowercase letters, digits and _, 1 to 32"
                )));
            }
            if self.ask[..i].iter().any(|g| g.name == f.name) {
                return Err(ApiError::invalid(format!(
                    "ask[{i}].name: `{}` is asked twice",
                    f.name
                )));
            }
            if !(1..=300).contains(&chars(&f.prompt)) {
                return Err(ApiError::invalid(format!(
                    "ask[{i}].prompt: 1 to 300 characters"
                )));
            }
            if let Some(p) = &f.pattern {
                if p.len() > 200 {
                    return Err(ApiError::invalid(format!(
                        "ask[{i}].pattern: at most 200 characters"
                    )));
                }
                compile(p).map_err(|e| {
                    ApiError::invalid(format!("ask[{i}].pattern: not a regular expression: {e}"))
                })?;
            }
            if f.hint.as_deref().is_some_and(|h| h.chars().count() > 300) {
                return Err(ApiError::invalid(format!(
                    "ask[{i}].hint: at most 300 characters"
                )));
            }
        }
        if !crate::sso::allowed_url(self.url.trim()) {
            return Err(ApiError::invalid("url: https, or http on this machine"));
        }
        if !(500..=10_000).contains(&self.timeout_ms) {
            return Err(ApiError::invalid("timeout_ms: 500 to 10,000"));
        }
        if !(1..=1000).contains(&chars(&self.reply)) {
            return Err(ApiError::invalid("reply: 1 to 1,000 characters"));
        }
        Ok(())
    }
}

/// Lowercase words, single spaces: how triggers and messages are compared.
fn normalize(s: &str) -> String {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a customer's message starts the action: it contains one of the triggers as
/// whole words.
pub fn triggered(text: &str, triggers: &[String]) -> bool {
    let text = format!(" {} ", normalize(text));
    triggers
        .iter()
        .map(|t| normalize(t))
        .filter(|t| !t.is_empty())
        .any(|t| text.contains(&format!(" {t} ")))
}

/// The template with each `{{name}}` replaced by its value (`""` when unknown).
pub fn fill(template: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                out.push_str(values.get(name).map(String::as_str).unwrap_or(""));
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// An action under way in a conversation (kept in its bot record).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InFlight {
    pub slug: String,
    /// The index of the question asked now.
    pub step: usize,
    /// Times the current question was answered wrongly.
    pub tries: u8,
    /// Values given so far, each sealed.
    #[schema(value_type = Object)]
    pub values: BTreeMap<String, String>,
}

/// What the bot does with an answer to the current question.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Ask this (the next question, or the same one again with its hint).
    Ask(String),
    /// Everything asked is known: call the endpoint.
    Call,
    /// The customer could not give what is asked: hand over.
    GiveUp,
}

impl Step {
    /// The step after `answer` to the question `flight` is on (`None`: the first
    /// question, or the call when the action asks nothing). Updates `flight`;
    /// `accepted` is the value to keep when the answer was taken.
    pub fn next(
        action: &ActionIn,
        flight: &mut InFlight,
        answer: Option<&str>,
    ) -> (Step, Option<(String, String)>) {
        let mut accepted = None;
        if let Some(answer) = answer {
            let Some(field) = action.ask.get(flight.step) else {
                return (Step::Call, None);
            };
            let answer = answer.trim();
            let fits = !answer.is_empty()
                && answer.chars().count() <= 200
                && field
                    .pattern
                    .as_deref()
                    .is_none_or(|p| compile(p).is_ok_and(|r| r.is_match(answer)));
            if !fits {
                flight.tries += 1;
                if flight.tries >= TRIES {
                    return (Step::GiveUp, None);
                }
                let again = match &field.hint {
                    Some(h) => format!("{h} {}", field.prompt),
                    None => format!("Sorry, that does not look right. {}", field.prompt),
                };
                return (Step::Ask(again), None);
            }
            accepted = Some((field.name.clone(), answer.to_string()));
            flight.step += 1;
            flight.tries = 0;
        }
        match action.ask.get(flight.step) {
            Some(f) => (Step::Ask(f.prompt.clone()), accepted),
            None => (Step::Call, accepted),
        }
    }
}

/// What the endpoint answered: its fields for the template, and whether it asks for a
/// person.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub fields: BTreeMap<String, String>,
    pub handover: bool,
}

/// Reads an endpoint's answer body: a JSON object, whose string, number and boolean
/// fields fill the template.
pub fn read_answer(body: &[u8]) -> Result<Answer, String> {
    let v: Value =
        serde_json::from_slice(body).map_err(|_| "the answer is not JSON".to_string())?;
    let obj = v
        .as_object()
        .ok_or_else(|| "the answer is not a JSON object".to_string())?;
    let fields = obj
        .iter()
        .filter_map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.chars().take(500).collect(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            Some((k.clone(), s))
        })
        .collect();
    Ok(Answer {
        fields,
        handover: obj.get("handover").and_then(Value::as_bool) == Some(true),
    })
}

/// The organisation's enabled actions, by slug.
pub async fn enabled(state: &AppState, org: Uuid) -> ApiResult<Vec<(String, ActionData)>> {
    Ok(all(state, org)
        .await?
        .into_iter()
        .filter(|(_, a)| a.action.enabled)
        .collect())
}

/// Every action of the organisation, by slug.
pub async fn all(state: &AppState, org: Uuid) -> ApiResult<Vec<(String, ActionData)>> {
    let objects =
        crate::contacts::load_all_objects(state, org, store::ObjectKind::BotAction).await?;
    Ok(objects
        .into_iter()
        .filter_map(|o| {
            serde_json::from_value::<ActionData>(o.data)
                .ok()
                .map(|d| (o.name, d))
        })
        .collect())
}

/// Calls the action's endpoint, signed (see the module docs). The values are in clear
/// here, and only here.
pub async fn call(
    state: &AppState,
    org: Uuid,
    contact: Uuid,
    slug: &str,
    action: &ActionData,
    values: &BTreeMap<String, String>,
) -> Result<Answer, String> {
    let secret = action
        .secret_sealed
        .as_deref()
        .and_then(|s| state.sealer().open(org, SECRET_FIELD, s))
        .ok_or_else(|| "the action has no signing secret".to_string())?;
    let body = json!({"action": slug, "contact_id": contact, "values": values}).to_string();
    let http = crate::http_client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let sent = http
        .post(action.action.url.trim())
        .header("content-type", "application/json")
        .header(
            "x-homeshore-signature",
            crate::channels::outbound::sign(&secret, state.now().unix_timestamp(), body.as_bytes()),
        )
        .header("x-homeshore-action", slug)
        .body(body)
        .timeout(Duration::from_millis(action.action.timeout_ms))
        .send()
        .await
        .map_err(|e| crate::channels::outbound::root_cause(&e))?;
    let status = sent.status();
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    // At most 64 KiB of answer.
    let bytes = sent.bytes().await.map_err(|e| e.to_string())?;
    if bytes.len() > 64 * 1024 {
        return Err("the answer is larger than 64 KiB".into());
    }
    read_answer(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> ActionIn {
        ActionIn {
            title: "Where is my order".into(),
            triggers: vec!["where is my order".into(), "track my order".into()],
            ask: vec![Field {
                name: "order_number".into(),
                prompt: "What is your order number?".into(),
                pattern: Some(r"HS-\d{5}".into()),
                hint: Some("Order numbers look like HS-12345.".into()),
            }],
            url: "https://shop.example/hooks/order".into(),
            secret: None,
            timeout_ms: 3000,
            reply: "Order {{order_number}} is {{status}}.".into(),
            enabled: true,
        }
    }

    #[test]
    fn triggers_match_whole_words_whatever_the_case() {
        let t = order().triggers;
        assert!(triggered("Hi! WHERE is my order??", &t));
        assert!(triggered("can you track my order please", &t));
        assert!(!triggered("where is my ordering form", &t));
        assert!(!triggered("my order is late", &t));
    }

    #[test]
    fn an_answer_that_fits_moves_on_and_one_that_does_not_is_asked_again_once() {
        let a = order();
        let mut f = InFlight::default();
        assert_eq!(
            Step::next(&a, &mut f, None),
            (Step::Ask("What is your order number?".into()), None)
        );
        let (s, v) = Step::next(&a, &mut f, Some("12345"));
        assert_eq!(
            s,
            Step::Ask("Order numbers look like HS-12345. What is your order number?".into())
        );
        assert_eq!(v, None);
        assert_eq!(
            Step::next(&a, &mut f, Some(" HS-12345 ")),
            (Step::Call, Some(("order_number".into(), "HS-12345".into())))
        );
        let mut g = InFlight::default();
        Step::next(&a, &mut g, Some("no idea"));
        assert_eq!(Step::next(&a, &mut g, Some("still no")).0, Step::GiveUp);
        // A partial match is no match: the pattern covers the whole answer.
        let mut h = InFlight::default();
        assert!(matches!(
            Step::next(&a, &mut h, Some("HS-123456")).0,
            Step::Ask(_)
        ));
    }

    #[test]
    fn templates_fill_known_names_and_blank_unknown_ones() {
        let v: BTreeMap<String, String> = [("a".to_string(), "1".to_string())].into();
        assert_eq!(fill("x {{a}} y {{ b }} z {{a", &v), "x 1 y  z {{a");
        assert_eq!(fill("", &v), "");
    }

    #[test]
    fn admins_get_the_field_that_is_wrong() {
        let ok = order();
        ok.validate().unwrap();
        type Change = Box<dyn Fn(&mut ActionIn)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|a| a.title = " ".into()), "title"),
            (Box::new(|a| a.triggers.clear()), "triggers"),
            (Box::new(|a| a.triggers[1] = "!!".into()), "triggers[1]"),
            (Box::new(|a| a.ask[0].name = "Order".into()), "ask[0].name"),
            (
                Box::new(|a| a.ask[0].pattern = Some("(".into())),
                "ask[0].pattern",
            ),
            (Box::new(|a| a.url = "ftp://x".into()), "url"),
            (Box::new(|a| a.timeout_ms = 60_000), "timeout_ms"),
            (Box::new(|a| a.reply = String::new()), "reply"),
        ];
        for (change, field) in cases {
            let mut a = order();
            change(&mut a);
            let e = a.validate().expect_err(field);
            assert!(
                e.message.starts_with(&format!("{field}:")),
                "{field}: {}",
                e.message
            );
        }
    }

    #[test]
    fn endpoint_answers_fill_the_template_or_are_refused() {
        let a = read_answer(
            br#"{"status":"on its way","eta":3,"late":false,"items":[1],"handover":true}"#,
        )
        .unwrap();
        assert_eq!(a.fields["status"], "on its way");
        assert_eq!(a.fields["eta"], "3");
        assert!(!a.fields.contains_key("items"));
        assert!(a.handover);
        assert!(read_answer(b"[1]").is_err());
        assert!(read_answer(b"<html>").is_err());
    }
}
