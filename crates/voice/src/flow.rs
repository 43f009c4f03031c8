//! Contact flows (the IVR): what a caller hears and keys in before reaching a queue.
//!
//! A flow is declarative (JSON, edited by admins in the browser): named steps, a first
//! one, and where each goes next. [`Flow::parse`] and [`Flow::validate`] refuse a flow
//! that could misbehave on a live call — a missing step, an option that is not a key, a
//! loop that never waits for the caller, a step nothing reaches — and every error
//! carries the JSON pointer of what is wrong, so the editor can point at it.
//!
//! [`Run`] plays one flow for one call, sans-IO: it takes [`Input`]s (the flow started,
//! a prompt finished, a key was pressed, the caller was silent too long) and returns
//! [`Action`]s (say this, listen for keys, queue the call, take a voicemail, hang up).
//! Facts it branches on — the local time, whether a queue is open, whether the caller
//! is known — are given with each input, so a test drives a whole flow in microseconds.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::speech::Language;

/// At most this many steps in a flow, and this many steps taken without the caller
/// doing anything (a second guard behind the loop check).
pub const MAX_STEPS: usize = 200;
const MAX_TEXT: usize = 500;

/// A whole flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// The name of the first step.
    pub start: String,
    /// The IANA time zone `time` conditions are read in (`America/Chicago`); UTC when
    /// left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// The language callers are spoken to in (`en`, `es`, `fr`, `de`, `pt`, `it`):
    /// the voice that reads the flow's prompts, and the language of what the server
    /// adds (the place in line, the callback offer). English when left out.
    #[serde(default, skip_serializing_if = "Language::is_english")]
    pub language: Language,
    pub steps: BTreeMap<String, Step>,
}

/// One step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Say something, then go on.
    Say { text: String, next: String },
    /// Say a prompt and take one key: each option is a key (`0`–`9`, `*`, `#`) and the
    /// step it leads to. A wrong key or silence asks again, `retries` times; then
    /// `no_input` (or hang up, when left out).
    Menu {
        prompt: String,
        options: BTreeMap<String, String>,
        #[serde(default = "default_timeout")]
        timeout_s: u32,
        #[serde(default = "default_retries")]
        retries: u32,
        /// Said after a key that is not an option.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        invalid: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        no_input: Option<String>,
    },
    /// Say a prompt and take several digits (an order or account number), ended by `#`,
    /// by `max_digits`, or by a pause once `min_digits` are in. They are kept on the
    /// contact as the attribute `into`.
    Collect {
        prompt: String,
        into: String,
        #[serde(default = "default_min_digits")]
        min_digits: u32,
        max_digits: u32,
        #[serde(default = "default_timeout")]
        timeout_s: u32,
        #[serde(default = "default_retries")]
        retries: u32,
        next: String,
        /// Where to go when no valid number came after the retries (hang up when left
        /// out).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failed: Option<String>,
    },
    /// Go to the first rule whose condition holds, else `otherwise`.
    Branch { rules: Vec<Rule>, otherwise: String },
    /// Put the call in a queue (the number's own when `queue` is left out), with
    /// attributes the queue's routing policy reads (`{"language": "es"}` for a step
    /// that targets `skill.spanish >= 3`) and a priority (0–100, added to the
    /// queue's). While the caller waits they hear music and, every `announce_every_s`
    /// seconds (0: never), their place and the expected wait; with `callback`, also
    /// that they may press 1 to be called back, keeping their place.
    Queue {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queue: Option<String>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        attributes: BTreeMap<String, String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        priority: Option<u8>,
        #[serde(default)]
        callback: bool,
        #[serde(default = "default_announce")]
        announce_every_s: u32,
    },
    /// Say a prompt, then record the caller (up to `max_s` seconds, or until they press
    /// `#` or hang up). The message becomes a contact in the queue.
    Voicemail {
        prompt: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queue: Option<String>,
        #[serde(default = "default_voicemail")]
        max_s: u32,
    },
    /// Say something (or nothing) and hang up.
    Hangup {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
}

fn default_timeout() -> u32 {
    5
}
fn default_retries() -> u32 {
    2
}
fn default_min_digits() -> u32 {
    1
}
fn default_announce() -> u32 {
    60
}
fn default_voicemail() -> u32 {
    120
}

/// `{"if": {...}, "goto": "step"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(rename = "if")]
    pub when: Condition,
    pub goto: String,
}

/// What a branch can ask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// The named queue is open (its business hours).
    Open(String),
    /// The local time (in the flow's zone) is on one of `days` (`mon` … `sun`; every
    /// day when empty) between `from` and `to` (`HH:MM`, `to` excluded).
    Time {
        #[serde(default)]
        days: Vec<String>,
        from: String,
        to: String,
    },
    /// The caller's number belongs to a customer seen before.
    KnownCaller(bool),
    /// An attribute (digits collected earlier, or one set by the server such as
    /// `dialled`) equals a value.
    Attribute { name: String, equals: String },
}

/// One problem with a flow, and where it is (a JSON pointer into the flow).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for FlowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// What the flow may name, as the organisation has it.
pub struct Known<'a> {
    pub queue: &'a dyn Fn(&str) -> bool,
    pub zone: &'a dyn Fn(&str) -> bool,
}

/// Attributes the server sets itself; a flow cannot overwrite them.
pub const RESERVED: [&str; 3] = ["dialled", "caller", "priority"];

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
}

fn is_key(s: &str) -> bool {
    s.len() == 1
        && s.chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `~` and `/` escaped as a JSON pointer needs.
fn esc(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

impl Step {
    /// The steps this one can go to, with the pointer (under the step) that names each.
    pub fn targets(&self) -> Vec<(String, &str)> {
        let mut out: Vec<(String, &str)> = Vec::new();
        match self {
            Step::Say { next, .. } => out.push(("/next".into(), next)),
            Step::Menu {
                options, no_input, ..
            } => {
                for (k, v) in options {
                    out.push((format!("/options/{}", esc(k)), v));
                }
                if let Some(n) = no_input {
                    out.push(("/no_input".into(), n));
                }
            }
            Step::Collect { next, failed, .. } => {
                out.push(("/next".into(), next));
                if let Some(f) = failed {
                    out.push(("/failed".into(), f));
                }
            }
            Step::Branch { rules, otherwise } => {
                for (i, r) in rules.iter().enumerate() {
                    out.push((format!("/rules/{i}/goto"), &r.goto));
                }
                out.push(("/otherwise".into(), otherwise));
            }
            Step::Queue { .. } | Step::Voicemail { .. } | Step::Hangup { .. } => {}
        }
        out
    }

    /// What the step says (its prompts), for recordings to stand in for speech.
    pub fn sentences(&self) -> Vec<&str> {
        match self {
            Step::Say { text, .. } => vec![text],
            Step::Menu {
                prompt, invalid, ..
            } => std::iter::once(prompt)
                .chain(invalid)
                .map(String::as_str)
                .collect(),
            Step::Collect { prompt, .. } | Step::Voicemail { prompt, .. } => vec![prompt],
            Step::Hangup { text } => text.iter().map(String::as_str).collect(),
            Step::Branch { .. } | Step::Queue { .. } => vec![],
        }
    }

    /// Whether the step waits for the caller (a key or a pause) before moving on.
    fn waits(&self) -> bool {
        matches!(self, Step::Menu { .. } | Step::Collect { .. })
    }
}

/// The field of the step at `/steps/<name>` that makes it fail to read: the one whose
/// absence makes it read, or be missing instead.
fn culprit(json: &str, pointer: &str) -> Option<String> {
    let name = pointer.strip_prefix("/steps/")?;
    if name.contains('/') {
        return None;
    }
    let name = name.replace("~1", "/").replace("~0", "~");
    let root: serde_json::Value = serde_json::from_str(json).ok()?;
    let step = root.get("steps")?.get(&name)?.as_object()?;
    step.keys().filter(|k| *k != "type").find_map(|k| {
        let mut without = step.clone();
        without.remove(k);
        match serde_json::from_value::<Step>(serde_json::Value::Object(without)) {
            Ok(_) => Some(format!("{pointer}/{}", esc(k))),
            Err(e) if e.to_string().contains(&format!("missing field `{k}`")) => {
                Some(format!("{pointer}/{}", esc(k)))
            }
            Err(_) => None,
        }
    })
}

impl Flow {
    /// Every sentence the flow says, once each, in the order of its steps' names.
    pub fn sentences(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for step in self.steps.values() {
            for t in step.sentences() {
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        out
    }

    /// Reads a flow from JSON; a shape error names where it is.
    pub fn parse(json: &str) -> Result<Flow, FlowError> {
        let de = &mut serde_json::Deserializer::from_str(json);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let pointer = if path == "." {
                String::new()
            } else {
                path.split('.')
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        let s = s.trim_start_matches('[').trim_end_matches(']');
                        format!("/{}", esc(s))
                    })
                    .collect()
            };
            let message = e.inner().to_string();
            // A step's fields are read through its `type` tag, which hides which field
            // was wrong: find it by leaving each out in turn.
            let path = culprit(json, &pointer).unwrap_or(pointer);
            FlowError { path, message }
        })
    }

    /// Every problem with the flow, each with its pointer; empty when it may be used.
    pub fn validate(&self, known: &Known<'_>) -> Vec<FlowError> {
        let mut errs = Vec::new();
        let mut err = |path: String, message: String| errs.push(FlowError { path, message });
        if self.steps.is_empty() {
            err("/steps".into(), "a flow needs at least one step".into());
        }
        if self.steps.len() > MAX_STEPS {
            err("/steps".into(), format!("at most {MAX_STEPS} steps"));
        }
        if !self.steps.contains_key(&self.start) {
            err(
                "/start".into(),
                format!("no step is named \"{}\"", self.start),
            );
        }
        if let Some(z) = &self.timezone
            && !(known.zone)(z)
        {
            err(
                "/timezone".into(),
                format!("\"{z}\" is not a time zone (e.g. America/Chicago)"),
            );
        }
        let text = |path: String, t: &str, err: &mut dyn FnMut(String, String)| {
            if t.trim().is_empty() || t.chars().count() > MAX_TEXT {
                err(path, format!("1 to {MAX_TEXT} characters to say"));
            }
        };
        let secs = |path: String, v: u32, lo: u32, hi: u32, err: &mut dyn FnMut(String, String)| {
            if !(lo..=hi).contains(&v) {
                err(path, format!("{lo} to {hi}"));
            }
        };
        for (name, step) in &self.steps {
            let at = format!("/steps/{}", esc(name));
            if !is_name(name) {
                err(
                    at.clone(),
                    "step names are 1 to 64 letters, digits, _ or -".into(),
                );
            }
            for (p, target) in step.targets() {
                if !self.steps.contains_key(target) {
                    err(format!("{at}{p}"), format!("no step is named \"{target}\""));
                }
            }
            match step {
                Step::Say { text: t, .. } => text(format!("{at}/text"), t, &mut err),
                Step::Menu {
                    prompt,
                    options,
                    timeout_s,
                    retries,
                    invalid,
                    ..
                } => {
                    text(format!("{at}/prompt"), prompt, &mut err);
                    if options.is_empty() {
                        err(format!("{at}/options"), "a menu needs an option".into());
                    }
                    for k in options.keys() {
                        if !is_key(k) {
                            err(
                                format!("{at}/options/{}", esc(k)),
                                "an option is one key: 0-9, * or #".into(),
                            );
                        }
                    }
                    if let Some(t) = invalid {
                        text(format!("{at}/invalid"), t, &mut err);
                    }
                    secs(format!("{at}/timeout_s"), *timeout_s, 1, 60, &mut err);
                    secs(format!("{at}/retries"), *retries, 0, 5, &mut err);
                }
                Step::Collect {
                    prompt,
                    into,
                    min_digits,
                    max_digits,
                    timeout_s,
                    retries,
                    ..
                } => {
                    text(format!("{at}/prompt"), prompt, &mut err);
                    if !is_name(into) {
                        err(
                            format!("{at}/into"),
                            "an attribute name: 1 to 64 letters, digits, _ or -".into(),
                        );
                    }
                    secs(format!("{at}/max_digits"), *max_digits, 1, 32, &mut err);
                    if *min_digits < 1 || min_digits > max_digits {
                        err(
                            format!("{at}/min_digits"),
                            "at least 1 and at most max_digits".into(),
                        );
                    }
                    secs(format!("{at}/timeout_s"), *timeout_s, 1, 60, &mut err);
                    secs(format!("{at}/retries"), *retries, 0, 5, &mut err);
                }
                Step::Branch { rules, .. } => {
                    for (i, r) in rules.iter().enumerate() {
                        let rp = format!("{at}/rules/{i}/if");
                        match &r.when {
                            Condition::Open(q) => {
                                if !(known.queue)(q) {
                                    err(format!("{rp}/open"), format!("no queue is named \"{q}\""));
                                }
                            }
                            Condition::Time { days, from, to } => {
                                for (j, d) in days.iter().enumerate() {
                                    if !DAYS.contains(&d.as_str()) {
                                        err(
                                            format!("{rp}/time/days/{j}"),
                                            "a day is mon, tue, wed, thu, fri, sat or sun".into(),
                                        );
                                    }
                                }
                                match (hhmm(from), hhmm(to)) {
                                    (None, _) => err(format!("{rp}/time/from"), "a time such as 09:00".into()),
                                    (_, None) => err(format!("{rp}/time/to"), "a time such as 17:30".into()),
                                    (Some(f), Some(t)) if f >= t => err(
                                        format!("{rp}/time/to"),
                                        "must be after from (split a window that crosses midnight in two)".into(),
                                    ),
                                    _ => {}
                                }
                            }
                            Condition::KnownCaller(_) => {}
                            Condition::Attribute { name, equals } => {
                                if !is_name(name) {
                                    err(format!("{rp}/attribute/name"), "an attribute name".into());
                                }
                                if equals.len() > 200 {
                                    err(
                                        format!("{rp}/attribute/equals"),
                                        "at most 200 characters".into(),
                                    );
                                }
                            }
                        }
                    }
                }
                Step::Queue {
                    queue,
                    attributes,
                    priority,
                    announce_every_s,
                    ..
                } => {
                    if let Some(q) = queue
                        && !(known.queue)(q)
                    {
                        err(format!("{at}/queue"), format!("no queue is named \"{q}\""));
                    }
                    for (k, v) in attributes {
                        if !is_name(k) || RESERVED.contains(&k.as_str()) {
                            err(
                                format!("{at}/attributes/{}", esc(k)),
                                format!(
                                    "an attribute name: 1 to 64 letters, digits, _ or -, not one of {}",
                                    RESERVED.join(", ")
                                ),
                            );
                        } else if v.len() > 200 {
                            err(
                                format!("{at}/attributes/{}", esc(k)),
                                "at most 200 characters".into(),
                            );
                        }
                    }
                    if let Some(p) = priority
                        && *p > 100
                    {
                        err(format!("{at}/priority"), "0 to 100".into());
                    }
                    if *announce_every_s != 0 && !(15..=600).contains(announce_every_s) {
                        err(
                            format!("{at}/announce_every_s"),
                            "0 (never) or 15 to 600 seconds".into(),
                        );
                    }
                }
                Step::Voicemail {
                    prompt,
                    queue,
                    max_s,
                } => {
                    text(format!("{at}/prompt"), prompt, &mut err);
                    if let Some(q) = queue
                        && !(known.queue)(q)
                    {
                        err(format!("{at}/queue"), format!("no queue is named \"{q}\""));
                    }
                    secs(format!("{at}/max_s"), *max_s, 5, 600, &mut err);
                }
                Step::Hangup { text: t } => {
                    if let Some(t) = t {
                        text(format!("{at}/text"), t, &mut err);
                    }
                }
            }
        }
        if !errs.is_empty() {
            return errs;
        }
        // Every step reached from the start.
        let mut reached = BTreeSet::new();
        let mut todo = vec![self.start.as_str()];
        while let Some(s) = todo.pop() {
            if !reached.insert(s) {
                continue;
            }
            for (_, t) in self.steps[s].targets() {
                todo.push(t);
            }
        }
        for name in self.steps.keys() {
            if !reached.contains(name.as_str()) {
                errs.push(FlowError {
                    path: format!("/steps/{}", esc(name)),
                    message: "no step leads here from the start".into(),
                });
            }
        }
        // No loop that never waits for the caller: among steps that do not wait, the
        // graph must have no cycle.
        let mut state: BTreeMap<&str, u8> = BTreeMap::new(); // 1 on the path, 2 done
        for name in self.steps.keys() {
            if let Some(at) = self.loop_from(name, &mut state) {
                errs.push(FlowError {
                    path: format!("/steps/{}", esc(at)),
                    message: "this step comes back to itself without waiting for the caller".into(),
                });
                break;
            }
        }
        errs
    }

    fn loop_from<'a>(
        &'a self,
        name: &'a str,
        state: &mut BTreeMap<&'a str, u8>,
    ) -> Option<&'a str> {
        match state.get(name) {
            Some(1) => return Some(name),
            Some(_) => return None,
            None => {}
        }
        let step = &self.steps[name];
        if step.waits() {
            state.insert(name, 2);
            return None;
        }
        state.insert(name, 1);
        for (_, t) in step.targets() {
            if let Some(found) = self.loop_from(t, state) {
                return Some(found);
            }
        }
        state.insert(name, 2);
        None
    }
}

/// What the flow may ask about, given with each input.
pub struct Facts<'a> {
    /// Local weekday (0 = Monday) and minute of the day, in the flow's zone.
    pub weekday: u8,
    pub minute: u32,
    pub known_caller: bool,
    pub open: &'a dyn Fn(&str) -> bool,
}

/// What happened on the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The prompt of the last [`Action::Say`] has been heard to the end.
    PromptDone,
    /// A key: `0`–`9`, `*`, `#` (`A`–`D` are ignored).
    Digit(char),
    /// The caller said nothing for the time the last [`Action::Listen`] gave.
    Timeout,
}

/// Where the flow puts the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueTarget {
    /// A queue by name; the number's own when `None`.
    pub queue: Option<String>,
    /// The step's attributes (the digits collected are in [`Run::attributes`]).
    pub attributes: BTreeMap<String, String>,
    pub priority: Option<u8>,
    pub callback: bool,
    pub announce_every_s: u32,
}

/// What the driver does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Play this text; [`Input::PromptDone`] follows unless a key stops it first
    /// ([`Action::StopPrompt`]).
    Say(String),
    /// Stop the prompt playing now (the caller keyed ahead).
    StopPrompt,
    /// Arm the silence timer: [`Input::Timeout`] after this long (replaces the last).
    Listen { timeout_ms: u64 },
    /// The flow is done: queue the call, with the attributes collected.
    Queue(QueueTarget),
    /// The flow is done: record a message of up to `max_s` seconds for this queue.
    Voicemail { queue: Option<String>, max_s: u32 },
    /// The flow is done: hang up.
    Hangup,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Playing a prompt of the current step.
    Speaking,
    /// Waiting for keys.
    Listening,
    Done,
}

/// One flow playing on one call.
#[derive(Debug, Clone)]
pub struct Run {
    flow: Flow,
    at: String,
    phase: Phase,
    /// Tries used at the current menu or collect step.
    tries: u32,
    /// Digits of the current collect step.
    digits: String,
    /// Keys pressed while a plain message played: kept for the next menu.
    ahead: VecDeque<char>,
    /// What the caller keyed in, by attribute name.
    pub attributes: BTreeMap<String, String>,
    /// What happened, step by step, for the contact's record (digits of `collect`
    /// steps are not written here: they may be an account number).
    pub path: Vec<String>,
}

impl Run {
    /// Starts a validated flow.
    pub fn start(flow: Flow, facts: &Facts<'_>) -> (Run, Vec<Action>) {
        let start = flow.start.clone();
        let mut run = Run {
            flow,
            at: String::new(),
            phase: Phase::Done,
            tries: 0,
            digits: String::new(),
            ahead: VecDeque::new(),
            attributes: BTreeMap::new(),
            path: Vec::new(),
        };
        let mut out = Vec::new();
        run.enter(&start, facts, &mut out);
        (run, out)
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// The step the call is at.
    pub fn step(&self) -> &str {
        &self.at
    }

    pub fn handle(&mut self, input: Input, facts: &Facts<'_>) -> Vec<Action> {
        let mut out = Vec::new();
        if self.phase == Phase::Done {
            return out;
        }
        let step = self.flow.steps[&self.at].clone();
        match (input, &step) {
            (Input::PromptDone, _) if self.phase == Phase::Speaking => match step {
                Step::Say { next, .. } => self.enter(&next, facts, &mut out),
                Step::Menu { timeout_s, .. } | Step::Collect { timeout_s, .. } => {
                    self.phase = Phase::Listening;
                    // Keys typed ahead during an earlier message count now.
                    let at = self.at.clone();
                    while let Some(d) = self.ahead.pop_front() {
                        self.key(d, &step, facts, &mut out);
                        if self.phase != Phase::Listening || self.at != at {
                            return out;
                        }
                    }
                    out.push(Action::Listen {
                        timeout_ms: u64::from(timeout_s) * 1000,
                    });
                }
                Step::Voicemail { queue, max_s, .. } => {
                    self.phase = Phase::Done;
                    out.push(Action::Voicemail { queue, max_s });
                }
                Step::Hangup { .. } => {
                    self.phase = Phase::Done;
                    out.push(Action::Hangup);
                }
                Step::Branch { .. } | Step::Queue { .. } => {}
            },
            (Input::Digit(d), Step::Menu { .. } | Step::Collect { .. }) => {
                if self.phase == Phase::Speaking {
                    out.push(Action::StopPrompt);
                    self.phase = Phase::Listening;
                }
                self.key(d, &step, facts, &mut out);
            }
            (Input::Digit(d), Step::Say { .. }) if self.ahead.len() < 32 => self.ahead.push_back(d),
            (Input::Digit('#'), Step::Voicemail { .. }) if self.phase == Phase::Speaking => {
                // Skip the greeting: record at once.
                out.push(Action::StopPrompt);
                out.extend(self.handle(Input::PromptDone, facts));
            }
            (Input::Timeout, Step::Menu { .. } | Step::Collect { .. })
                if self.phase == Phase::Listening =>
            {
                if let Step::Collect {
                    min_digits,
                    next,
                    into,
                    ..
                } = &step
                    && self.digits.len() >= *min_digits as usize
                {
                    let got = std::mem::take(&mut self.digits);
                    self.attributes.insert(into.clone(), got);
                    self.enter(next, facts, &mut out);
                } else {
                    self.again(&step, None, facts, &mut out);
                }
            }
            _ => {}
        }
        out
    }

    /// One key at a menu or collect step that is listening.
    fn key(&mut self, d: char, step: &Step, facts: &Facts<'_>, out: &mut Vec<Action>) {
        if !(d.is_ascii_digit() || d == '*' || d == '#') {
            return;
        }
        match step {
            Step::Menu {
                options, invalid, ..
            } => match options.get(d.encode_utf8(&mut [0; 4]) as &str) {
                Some(next) => {
                    self.path.push(format!("{}:{d}", self.at));
                    let next = next.clone();
                    self.enter(&next, facts, out);
                }
                None => {
                    let sorry = invalid
                        .clone()
                        .unwrap_or_else(|| "Sorry, that is not one of the choices.".into());
                    self.again(step, Some(sorry), facts, out);
                }
            },
            Step::Collect {
                min_digits,
                max_digits,
                timeout_s,
                into,
                next,
                ..
            } => {
                let done = |run: &mut Run, out: &mut Vec<Action>| {
                    let got = std::mem::take(&mut run.digits);
                    run.path.push(format!("{}:collected", run.at));
                    run.attributes.insert(into.clone(), got);
                    run.enter(next, facts, out);
                };
                if d == '#' {
                    if self.digits.len() >= *min_digits as usize {
                        done(self, out);
                    } else {
                        self.again(step, None, facts, out);
                    }
                    return;
                }
                if d == '*' {
                    // Start the number again.
                    self.digits.clear();
                } else {
                    self.digits.push(d);
                }
                if self.digits.len() >= *max_digits as usize {
                    done(self, out);
                } else {
                    out.push(Action::Listen {
                        timeout_ms: u64::from(*timeout_s) * 1000,
                    });
                }
            }
            _ => {}
        }
    }

    /// A wrong key or silence: ask again, or give up after the retries.
    fn again(
        &mut self,
        step: &Step,
        sorry: Option<String>,
        facts: &Facts<'_>,
        out: &mut Vec<Action>,
    ) {
        self.digits.clear();
        self.ahead.clear();
        let (retries, give_up, prompt) = match step {
            Step::Menu {
                retries,
                no_input,
                prompt,
                ..
            } => (*retries, no_input.clone(), prompt.clone()),
            Step::Collect {
                retries,
                failed,
                prompt,
                ..
            } => (*retries, failed.clone(), prompt.clone()),
            _ => return,
        };
        if self.tries >= retries {
            self.path.push(format!("{}:gave_up", self.at));
            match give_up {
                Some(n) => self.enter(&n, facts, out),
                None => {
                    self.phase = Phase::Done;
                    out.push(Action::Say("Goodbye.".into()));
                    out.push(Action::Hangup);
                }
            }
            return;
        }
        self.tries += 1;
        self.phase = Phase::Speaking;
        let text = match sorry {
            Some(s) => format!("{s} {prompt}"),
            None => prompt,
        };
        out.push(Action::Say(text));
    }

    /// Moves to a step and does what it does at once; steps that do not wait are
    /// passed through (bounded, although validation already refuses such loops).
    fn enter(&mut self, name: &str, facts: &Facts<'_>, out: &mut Vec<Action>) {
        let mut name = name.to_string();
        for _ in 0..MAX_STEPS {
            let Some(step) = self.flow.steps.get(&name).cloned() else {
                break;
            };
            self.at = name.clone();
            self.tries = 0;
            self.digits.clear();
            match step {
                Step::Say { text, .. } => {
                    self.phase = Phase::Speaking;
                    out.push(Action::Say(text));
                    return;
                }
                Step::Menu { prompt, .. } | Step::Collect { prompt, .. } => {
                    self.phase = Phase::Speaking;
                    out.push(Action::Say(prompt));
                    return;
                }
                Step::Branch { rules, otherwise } => {
                    let goto = rules
                        .iter()
                        .find(|r| self.holds(&r.when, facts))
                        .map_or(otherwise, |r| r.goto.clone());
                    self.path.push(format!("{name}:{goto}"));
                    name = goto;
                }
                Step::Queue {
                    queue,
                    attributes,
                    priority,
                    callback,
                    announce_every_s,
                } => {
                    self.phase = Phase::Done;
                    out.push(Action::Queue(QueueTarget {
                        queue,
                        attributes,
                        priority,
                        callback,
                        announce_every_s,
                    }));
                    return;
                }
                Step::Voicemail { prompt, .. } => {
                    self.phase = Phase::Speaking;
                    out.push(Action::Say(prompt));
                    return;
                }
                Step::Hangup { text } => match text {
                    Some(t) => {
                        self.phase = Phase::Speaking;
                        out.push(Action::Say(t));
                        return;
                    }
                    None => {
                        self.phase = Phase::Done;
                        out.push(Action::Hangup);
                        return;
                    }
                },
            }
        }
        self.phase = Phase::Done;
        out.push(Action::Hangup);
    }

    fn holds(&self, c: &Condition, facts: &Facts<'_>) -> bool {
        match c {
            Condition::Open(q) => (facts.open)(q),
            Condition::Time { days, from, to } => {
                let day_ok = days.is_empty()
                    || days
                        .iter()
                        .any(|d| DAYS.iter().position(|x| x == d) == Some(facts.weekday as usize));
                let (Some(f), Some(t)) = (hhmm(from), hhmm(to)) else {
                    return false;
                };
                day_ok && f <= facts.minute && facts.minute < t
            }
            Condition::KnownCaller(want) => facts.known_caller == *want,
            Condition::Attribute { name, equals } => {
                self.attributes.get(name).is_some_and(|v| v == equals)
            }
        }
    }
}

/// A small flow that every new number can start from: a menu, an order number, a
/// voicemail after hours.
pub fn example(queue: &str) -> Flow {
    let json = format!(
        r#"{{
  "start": "hours",
  "steps": {{
    "hours": {{"type": "branch", "rules": [{{"if": {{"open": "{queue}"}}, "goto": "welcome"}}], "otherwise": "closed"}},
    "welcome": {{"type": "menu", "prompt": "Thank you for calling. For an order, press 1. For anything else, press 2.",
      "options": {{"1": "order", "2": "queue"}}, "no_input": "queue"}},
    "order": {{"type": "collect", "prompt": "Please key in your order number, then press hash.", "into": "order",
      "min_digits": 4, "max_digits": 12, "next": "queue", "failed": "queue"}},
    "queue": {{"type": "queue", "callback": true, "announce_every_s": 60}},
    "closed": {{"type": "voicemail", "prompt": "We are closed. Please leave a message after the tone, and press hash when you are done."}}
  }}
}}"#
    );
    Flow::parse(&json).expect("the example flow reads")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(_: &str) -> bool {
        true
    }
    fn none(_: &str) -> bool {
        false
    }
    fn known() -> Known<'static> {
        Known {
            queue: &|q| q == "Orders" || q == "Returns",
            zone: &|z| z == "America/Chicago",
        }
    }
    fn facts(open: &dyn Fn(&str) -> bool) -> Facts<'_> {
        Facts {
            weekday: 0,
            minute: 10 * 60,
            known_caller: false,
            open,
        }
    }

    #[test]
    fn the_example_is_valid_and_queues_an_order_number() {
        let f = example("Orders");
        assert!(
            f.validate(&known()).is_empty(),
            "{:?}",
            f.validate(&known())
        );
        let (mut run, out) = Run::start(f, &facts(&all));
        assert!(matches!(&out[..], [Action::Say(t)] if t.starts_with("Thank you")));
        let out = run.handle(Input::PromptDone, &facts(&all));
        assert_eq!(out, vec![Action::Listen { timeout_ms: 5000 }]);
        let out = run.handle(Input::Digit('1'), &facts(&all));
        assert!(matches!(&out[..], [Action::Say(t)] if t.contains("order number")));
        // Keyed over the prompt: the prompt stops.
        let out = run.handle(Input::Digit('4'), &facts(&all));
        assert_eq!(
            out,
            vec![Action::StopPrompt, Action::Listen { timeout_ms: 5000 }]
        );
        for d in "217".chars() {
            run.handle(Input::Digit(d), &facts(&all));
        }
        let out = run.handle(Input::Digit('#'), &facts(&all));
        assert!(matches!(&out[..], [Action::Queue(q)] if q.callback && q.queue.is_none()));
        assert_eq!(run.attributes["order"], "4217");
        assert!(run.is_done());
        assert!(
            !run.path.iter().any(|p| p.contains("4217")),
            "digits are not in the path"
        );
    }

    #[test]
    fn after_hours_the_caller_leaves_a_message() {
        let (mut run, out) = Run::start(example("Orders"), &facts(&none));
        assert!(matches!(&out[..], [Action::Say(t)] if t.starts_with("We are closed")));
        let out = run.handle(Input::PromptDone, &facts(&none));
        assert_eq!(
            out,
            vec![Action::Voicemail {
                queue: None,
                max_s: 120
            }]
        );
    }

    #[test]
    fn a_silent_caller_is_asked_again_then_goes_on() {
        let (mut run, _) = Run::start(example("Orders"), &facts(&all));
        run.handle(Input::PromptDone, &facts(&all));
        for _ in 0..2 {
            let out = run.handle(Input::Timeout, &facts(&all));
            assert!(matches!(&out[..], [Action::Say(_)]), "{out:?}");
            run.handle(Input::PromptDone, &facts(&all));
        }
        let out = run.handle(Input::Timeout, &facts(&all));
        assert!(matches!(&out[..], [Action::Queue(_)]), "{out:?}");
        // A wrong key is answered with the invalid message and the prompt again.
        let (mut run, _) = Run::start(example("Orders"), &facts(&all));
        run.handle(Input::PromptDone, &facts(&all));
        let out = run.handle(Input::Digit('9'), &facts(&all));
        assert!(
            matches!(&out[..], [Action::Say(t)] if t.starts_with("Sorry") && t.contains("press 1"))
        );
    }

    #[test]
    fn keys_typed_during_a_message_answer_the_next_menu() {
        let f = Flow::parse(
            r#"{"start": "hi", "steps": {
                "hi": {"type": "say", "text": "Hello.", "next": "m"},
                "m": {"type": "menu", "prompt": "Press 2.", "options": {"2": "bye"}},
                "bye": {"type": "hangup"}}}"#,
        )
        .unwrap();
        assert!(f.validate(&known()).is_empty());
        let (mut run, _) = Run::start(f, &facts(&all));
        assert!(run.handle(Input::Digit('2'), &facts(&all)).is_empty());
        run.handle(Input::PromptDone, &facts(&all));
        let out = run.handle(Input::PromptDone, &facts(&all));
        assert_eq!(out, vec![Action::Hangup]);
    }

    #[test]
    fn branches_read_time_attributes_and_known_callers() {
        let f = Flow::parse(
            r#"{"start": "b", "timezone": "America/Chicago", "steps": {
                "b": {"type": "branch", "rules": [
                    {"if": {"known_caller": true}, "goto": "vip"},
                    {"if": {"time": {"days": ["mon", "tue"], "from": "09:00", "to": "17:00"}}, "goto": "day"}],
                  "otherwise": "night"},
                "vip": {"type": "queue", "priority": 10},
                "day": {"type": "queue", "queue": "Orders"},
                "night": {"type": "queue", "queue": "Returns", "attributes": {"language": "es"}}}}"#,
        )
        .unwrap();
        assert!(
            f.validate(&known()).is_empty(),
            "{:?}",
            f.validate(&known())
        );
        let target = |weekday, minute, known_caller| {
            let fx = Facts {
                weekday,
                minute,
                known_caller,
                open: &all,
            };
            match Run::start(f.clone(), &fx).1.pop() {
                Some(Action::Queue(q)) => (q.queue, q.priority),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(target(0, 600, true), (None, Some(10)));
        assert_eq!(target(1, 600, false), (Some("Orders".into()), None));
        assert_eq!(target(1, 17 * 60, false), (Some("Returns".into()), None));
        assert_eq!(target(4, 600, false), (Some("Returns".into()), None));
    }

    #[test]
    fn errors_point_at_what_is_wrong() {
        let paths = |json: &str| -> Vec<String> {
            let f = Flow::parse(json).unwrap();
            f.validate(&known()).into_iter().map(|e| e.path).collect()
        };
        assert_eq!(
            paths(
                r#"{"start": "m", "steps": {"m": {"type": "menu", "prompt": "Hi", "options": {"1": "gone", "12": "m"}}}}"#
            ),
            vec!["/steps/m/options/1", "/steps/m/options/12"]
        );
        assert_eq!(
            paths(
                r#"{"start": "a", "timezone": "Mars/Base", "steps": {"a": {"type": "queue", "queue": "Sales", "attributes": {"dialled": "1"}, "priority": 101}}}"#
            ),
            vec![
                "/timezone",
                "/steps/a/queue",
                "/steps/a/attributes/dialled",
                "/steps/a/priority"
            ]
        );
        assert_eq!(
            paths(
                r#"{"start": "a", "steps": {"a": {"type": "say", "text": "Hi", "next": "b"},
                  "b": {"type": "branch", "rules": [], "otherwise": "a"}}}"#
            ),
            vec!["/steps/a"]
        );
        assert_eq!(
            paths(
                r#"{"start": "a", "steps": {"a": {"type": "hangup"}, "lost": {"type": "hangup"}}}"#
            ),
            vec!["/steps/lost"]
        );
        assert_eq!(
            paths(
                r#"{"start": "a", "steps": {"a": {"type": "branch", "rules": [{"if": {"time": {"from": "18:00", "to": "08:00"}}, "goto": "b"}], "otherwise": "b"}, "b": {"type": "hangup"}}}"#
            ),
            vec!["/steps/a/rules/0/if/time/to"]
        );
        // Shape errors name their place too.
        let e = Flow::parse(r#"{"start": "a", "steps": {"a": {"type": "sya", "text": "x"}}}"#)
            .unwrap_err();
        assert_eq!(e.path, "/steps/a/type");
        assert!(e.message.contains("sya"), "{e}");
        let e = Flow::parse(r#"{"start": "a", "steps": {"a": {"type": "menu", "prompt": "x", "options": {"1": "a"}, "timeout_s": "soon"}}}"#)
            .unwrap_err();
        assert_eq!(e.path, "/steps/a/timeout_s");
        let e =
            Flow::parse(r#"{"start": "a", "language": "xx", "steps": {"a": {"type": "hangup"}}}"#)
                .unwrap_err();
        assert_eq!(e.path, "/language");
        assert!(e.message.contains("`es`"), "{e}");
    }

    #[test]
    fn a_flow_speaks_english_unless_it_names_its_language() {
        let f = Flow::parse(r#"{"start": "a", "steps": {"a": {"type": "hangup"}}}"#).unwrap();
        assert_eq!(f.language, Language::English);
        // Left out when written back, as it was read.
        assert!(!serde_json::to_string(&f).unwrap().contains("language"));
        let f = Flow::parse(r#"{"start": "a", "language": "es", "steps": {"a": {"type": "hangup", "text": "Adiós."}}}"#)
            .unwrap();
        assert_eq!(f.language, Language::Spanish);
        assert!(
            serde_json::to_string(&f)
                .unwrap()
                .contains(r#""language":"es""#)
        );
    }

    #[test]
    fn a_flow_lists_each_sentence_it_says_once() {
        let f = Flow::parse(
            r#"{"start": "hi", "steps": {
                "hi": {"type": "say", "text": "Welcome.", "next": "menu"},
                "menu": {"type": "menu", "prompt": "Press 1.", "invalid": "Welcome.", "options": {"1": "bye"}},
                "bye": {"type": "hangup", "text": "Goodbye."}}}"#,
        )
        .unwrap();
        assert_eq!(f.sentences(), vec!["Goodbye.", "Welcome.", "Press 1."]);
    }
}
