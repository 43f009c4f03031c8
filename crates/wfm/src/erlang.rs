//! Staffing maths: Erlang B, Erlang C (M/M/n) and Erlang A (M/M/n+M, with abandonment),
//! and the search for the fewest agents that meet a service target.
//!
//! Everything is computed with recurrences and log-space sums: no factorials, no powers
//! of the load, so the results stay finite and exact to rounding at thousands of
//! Erlangs. A function never returns NaN; an unreachable wait (too few agents for the
//! load in Erlang C) is `f64::INFINITY`.

use serde::{Deserialize, Serialize};

/// Erlang B blocking probability for `n` servers and `a` Erlangs, by the recurrence
/// `B(k) = a·B(k−1) / (k + a·B(k−1))`, which is stable for any load.
pub fn erlang_b(n: u32, a: f64) -> f64 {
    if a <= 0.0 {
        return if n == 0 { 1.0 } else { 0.0 };
    }
    // The same recurrence on 1/B, which needs no division: 1/B(k) = 1 + (k/a)/B(k−1).
    // It only grows; past f64's range it is infinite and B is 0, its true limit.
    let inv_a = 1.0 / a;
    let mut inv_b = 1.0f64;
    // Terms from k far below a are damped by Π k/a ≈ exp(−(a−k)²/2a): starting the
    // recurrence at a − 12√a (as if B were 1 there) changes nothing at f64 precision
    // and makes the cost O(√a) instead of O(a).
    let k0 = if a > 400.0 {
        ((a - 12.0 * a.sqrt()).floor() as u32).min(n)
    } else {
        0
    };
    for k in k0 + 1..=n {
        inv_b = 1.0 + f64::from(k) * inv_a * inv_b;
    }
    1.0 / inv_b
}

/// Erlang C: the probability that a contact waits, for `n` agents and `a` Erlangs.
/// `1.0` when `n <= a` (the queue grows without bound).
pub fn erlang_c(n: u32, a: f64) -> f64 {
    erlang_c_from_b(n, a, erlang_b(n, a))
}

fn erlang_c_from_b(n: u32, a: f64, b: f64) -> f64 {
    let n = f64::from(n);
    if a <= 0.0 {
        return 0.0;
    }
    if n <= a {
        return 1.0;
    }
    (n * b / (n - a * (1.0 - b))).clamp(0.0, 1.0)
}

/// What a queue delivers with a given number of agents.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Fraction of all offered contacts answered within the answer time (abandoned
    /// contacts count as not answered in time).
    pub service_level: f64,
    /// Probability that a contact has to wait at all.
    pub p_wait: f64,
    /// Average speed of answer of answered contacts, seconds.
    pub asa_s: f64,
    /// Average time in queue over all contacts (answered or abandoned), seconds.
    pub avg_wait_s: f64,
    /// Fraction of offered contacts that abandon (0 in Erlang C).
    pub abandon_rate: f64,
    /// Fraction of agent (or chat-slot) time busy with contacts.
    pub occupancy: f64,
}

/// Erlang C (M/M/n) metrics: `a` Erlangs, `n` servers, mean handle time `aht_s`, answer
/// time `answer_s` for the service level.
pub fn erlang_c_metrics(n: u32, a: f64, aht_s: f64, answer_s: f64) -> Metrics {
    erlang_c_metrics_b(n, a, aht_s, answer_s, erlang_b(n, a))
}

fn erlang_c_metrics_b(n: u32, a: f64, aht_s: f64, answer_s: f64, b: f64) -> Metrics {
    if a <= 0.0 {
        return Metrics {
            service_level: 1.0,
            p_wait: 0.0,
            asa_s: 0.0,
            avg_wait_s: 0.0,
            abandon_rate: 0.0,
            occupancy: 0.0,
        };
    }
    let nf = f64::from(n);
    if nf <= a {
        return Metrics {
            service_level: 0.0,
            p_wait: 1.0,
            asa_s: f64::INFINITY,
            avg_wait_s: f64::INFINITY,
            abandon_rate: 0.0,
            occupancy: 1.0,
        };
    }
    let c = erlang_c_from_b(n, a, b);
    let excess = nf - a;
    let sl = 1.0 - c * (-excess * answer_s / aht_s).exp();
    let asa = c * aht_s / excess;
    Metrics {
        service_level: sl.clamp(0.0, 1.0),
        p_wait: c,
        asa_s: asa,
        avg_wait_s: asa,
        abandon_rate: 0.0,
        occupancy: a / nf,
    }
}

/// Running log-sum-exp: `log Σ exp(x)` without overflow.
#[derive(Clone, Copy)]
struct LogSum {
    max: f64,
    sum: f64,
}

impl LogSum {
    fn new() -> Self {
        LogSum {
            max: f64::NEG_INFINITY,
            sum: 0.0,
        }
    }
    fn add(&mut self, x: f64) {
        if x == f64::NEG_INFINITY {
            return;
        }
        if x > self.max {
            self.sum = self.sum * (self.max - x).exp() + 1.0;
            self.max = x;
        } else {
            self.sum += (x - self.max).exp();
        }
    }
    fn value(&self) -> f64 {
        if self.sum == 0.0 {
            f64::NEG_INFINITY
        } else {
            self.max + self.sum.ln()
        }
    }
}

/// Most queue states summed in Erlang A before the tail is cut (a safety net: the tail
/// is cut much earlier, once terms fall below 1e-18 of the largest).
const MAX_TAIL_STATES: usize = 20_000_000;

/// Erlang A (M/M/n+M, Palm's model) metrics, computed exactly from the birth–death
/// chain of the number of contacts in the system.
///
/// * `lambda`: arrivals per second; `aht_s`: mean handle time; `patience_s`: mean
///   customer patience (exponential); `answer_s`: the service-level answer time.
///
/// The lower states sum to `1/B(n, a)` (Erlang B); the queue states
/// `π(n+j)/π(n) = Π λ/(nμ + iθ)` are summed in log space. The service level uses the
/// exact law of the time a contact with `j` others ahead waits to be answered: it is
/// answered with probability `nμ/(nμ+(j+1)θ)`, after a sum of exponentials with rates
/// `nμ+θ, …, nμ+(j+1)θ`, whose distribution function is a negative-binomial tail.
pub fn erlang_a_metrics(
    n: u32,
    lambda: f64,
    aht_s: f64,
    patience_s: f64,
    answer_s: f64,
) -> Metrics {
    erlang_a_metrics_b(
        n,
        lambda,
        aht_s,
        patience_s,
        answer_s,
        erlang_b(n, lambda * aht_s),
    )
}

fn erlang_a_metrics_b(
    n: u32,
    lambda: f64,
    aht_s: f64,
    patience_s: f64,
    answer_s: f64,
    b: f64,
) -> Metrics {
    if lambda <= 0.0 {
        return erlang_c_metrics_b(n, 0.0, aht_s, answer_s, b);
    }
    let mu = 1.0 / aht_s;
    let theta = 1.0 / patience_s.max(1e-9);
    let nmu = f64::from(n) * mu;
    // log π(n+j)/π(n) for j = 0, 1, …
    let mut logs: Vec<f64> = Vec::with_capacity(64);
    let mut norm = LogSum::new();
    // Σ_{k ≤ n} π(k)/π(n) = 1/B(n, a).
    norm.add(-b.ln());
    let mut l = 0.0f64;
    let mut peak = f64::NEG_INFINITY;
    let mut j = 0usize;
    loop {
        if j > 0 {
            l += (lambda / (nmu + j as f64 * theta)).ln();
            norm.add(l);
        }
        logs.push(l);
        peak = peak.max(l);
        j += 1;
        // Past the mode (ratios < 1) and negligible: stop.
        let past_mode = lambda < nmu + j as f64 * theta;
        if (past_mode && l < peak - 42.0) || j >= MAX_TAIL_STATES {
            break;
        }
    }
    let log_z = norm.value();
    let x_theta_t = theta * answer_s; // θt
    let alpha = nmu / theta + 1.0;
    let ln_y = if answer_s > 0.0 {
        (-(-x_theta_t).exp_m1()).ln()
    } else {
        f64::NEG_INFINITY
    };
    let mut log_q = -(nmu + theta) * answer_s; // log q_0 = α ln x
    let mut cum_q = 0.0f64; // Σ_{i ≤ j} q_i
    let mut p_wait = 0.0;
    let mut eq = 0.0;
    let mut answered_waiting = 0.0;
    let mut answered_in_time = 0.0;
    let mut wait_answered = 0.0;
    let mut h = 0.0; // H_j = Σ_{m=1}^{j+1} 1/(nμ + mθ)
    for (j, &lj) in logs.iter().enumerate() {
        let p = (lj - log_z).exp();
        let jf = j as f64;
        if j > 0 {
            log_q += ((alpha + jf - 1.0) / jf).ln() + ln_y;
        }
        cum_q += log_q.exp();
        h += 1.0 / (nmu + (jf + 1.0) * theta);
        let p_ans = nmu / (nmu + (jf + 1.0) * theta);
        p_wait += p;
        eq += jf * p;
        answered_waiting += p * p_ans;
        answered_in_time += p * p_ans * (1.0 - cum_q.min(1.0));
        wait_answered += p * p_ans * h;
    }
    let p_wait = p_wait.clamp(0.0, 1.0);
    let abandon = (theta * eq / lambda).clamp(0.0, 1.0);
    let answered = (1.0 - p_wait) + answered_waiting;
    let occupancy = if n == 0 {
        1.0
    } else {
        (lambda * (1.0 - abandon) / nmu).clamp(0.0, 1.0)
    };
    Metrics {
        service_level: ((1.0 - p_wait) + answered_in_time).clamp(0.0, 1.0),
        p_wait,
        asa_s: if answered > 0.0 {
            wait_answered / answered
        } else {
            f64::INFINITY
        },
        avg_wait_s: eq / lambda,
        abandon_rate: abandon,
        occupancy,
    }
}

/// The service target to staff for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// At least `fraction` of contacts answered within `answer_s` seconds.
    ServiceLevel {
        /// e.g. 0.8.
        fraction: f64,
        /// e.g. 20.
        answer_s: f64,
    },
    /// Average speed of answer at most `asa_s` seconds.
    Asa {
        /// Seconds.
        asa_s: f64,
    },
}

/// One staffing question: a load and a target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StaffingInput {
    /// Contacts offered in the interval.
    pub contacts: f64,
    /// Interval length, seconds.
    pub interval_s: f64,
    /// Average handle time, seconds (for chat: the handle time of one chat while the
    /// agent handles `concurrency` at once).
    pub aht_s: f64,
    /// The service target.
    pub target: Target,
    /// Mean customer patience in seconds; `Some` switches to Erlang A.
    pub patience_s: Option<f64>,
    /// Occupancy cap (e.g. 0.85): never plan agents busier than this.
    pub max_occupancy: Option<f64>,
    /// Abandonment cap (Erlang A, e.g. 0.05): the target also needs at most this share
    /// of contacts abandoning.
    #[serde(default)]
    pub max_abandon: Option<f64>,
    /// Fraction of paid time not available for contacts (breaks, training, absence).
    pub shrinkage: f64,
    /// Contacts an agent handles at once (1 for voice; 2–4 for chat).
    pub concurrency: u32,
}

impl StaffingInput {
    /// A voice queue with a service-level target and no shrinkage.
    pub fn voice(contacts: f64, interval_s: f64, aht_s: f64, target: Target) -> Self {
        StaffingInput {
            contacts,
            interval_s,
            aht_s,
            target,
            patience_s: None,
            max_occupancy: None,
            max_abandon: None,
            shrinkage: 0.0,
            concurrency: 1,
        }
    }
}

/// The answer to a staffing question.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Staffing {
    /// The fewest agents on the phones (or chat desks) meeting the target and the cap.
    pub agents_raw: u32,
    /// Agents to schedule: `agents_raw / (1 − shrinkage)`, rounded up.
    pub agents: u32,
    /// Offered load in Erlangs.
    pub traffic_erlangs: f64,
    /// `"erlang_c"` or `"erlang_a"`.
    pub model: &'static str,
    /// Whether the target was reached (false only if the search hit its limit).
    pub target_met: bool,
    /// What `agents_raw` agents deliver.
    #[serde(flatten)]
    pub metrics: Metrics,
}

/// Why a staffing question has no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StaffingError {
    /// An input is out of range.
    #[error("invalid staffing input: {0}")]
    Invalid(&'static str),
}

fn validate(input: &StaffingInput) -> Result<(), StaffingError> {
    let finite_nonneg = |x: f64| x.is_finite() && x >= 0.0;
    if !finite_nonneg(input.contacts) {
        return Err(StaffingError::Invalid(
            "contacts must be a finite number ≥ 0",
        ));
    }
    if !(input.interval_s.is_finite() && input.interval_s > 0.0) {
        return Err(StaffingError::Invalid("interval must be > 0"));
    }
    if !(input.aht_s.is_finite() && input.aht_s > 0.0) {
        return Err(StaffingError::Invalid("AHT must be > 0"));
    }
    match input.target {
        Target::ServiceLevel { fraction, answer_s } => {
            if !(fraction.is_finite() && fraction > 0.0 && fraction < 1.0) {
                return Err(StaffingError::Invalid(
                    "service level must be between 0 and 1",
                ));
            }
            if !finite_nonneg(answer_s) {
                return Err(StaffingError::Invalid("answer time must be ≥ 0"));
            }
        }
        Target::Asa { asa_s } => {
            if !(asa_s.is_finite() && asa_s > 0.0) {
                return Err(StaffingError::Invalid("ASA target must be > 0"));
            }
        }
    }
    if let Some(p) = input.patience_s
        && !(p.is_finite() && p > 0.0)
    {
        return Err(StaffingError::Invalid("patience must be > 0"));
    }
    if let Some(o) = input.max_occupancy
        && !(o.is_finite() && o > 0.0 && o <= 1.0)
    {
        return Err(StaffingError::Invalid("max occupancy must be in (0, 1]"));
    }
    if let Some(c) = input.max_abandon
        && !(c.is_finite() && c > 0.0 && c <= 1.0)
    {
        return Err(StaffingError::Invalid("max abandonment must be in (0, 1]"));
    }
    if !(input.shrinkage.is_finite() && (0.0..1.0).contains(&input.shrinkage)) {
        return Err(StaffingError::Invalid("shrinkage must be in [0, 1)"));
    }
    if input.concurrency == 0 {
        return Err(StaffingError::Invalid("concurrency must be ≥ 1"));
    }
    Ok(())
}

/// The fewest agents meeting `input`'s target and occupancy cap, and what they deliver.
///
/// Chat with concurrency `c` is modelled as `c` independent slots per agent, each an
/// Erlang server with the chat's handle time; `agents_raw = ⌈slots / c⌉`.
pub fn required_agents(input: &StaffingInput) -> Result<Staffing, StaffingError> {
    validate(input)?;
    let lambda = input.contacts / input.interval_s;
    let a = lambda * input.aht_s;
    let c = input.concurrency;
    let answer_s = match input.target {
        Target::ServiceLevel { answer_s, .. } => answer_s,
        Target::Asa { .. } => 0.0,
    };
    let metrics_at = |n: u32, b: f64| match input.patience_s {
        None => erlang_c_metrics_b(n, a, input.aht_s, answer_s, b),
        Some(p) => erlang_a_metrics_b(n, lambda, input.aht_s, p, answer_s, b),
    };
    let meets = |m: &Metrics| {
        let target = match input.target {
            Target::ServiceLevel { fraction, .. } => m.service_level >= fraction,
            Target::Asa { asa_s } => m.asa_s <= asa_s,
        };
        target && input.max_abandon.is_none_or(|c| m.abandon_rate <= c)
    };
    let model = if input.patience_s.is_some() {
        "erlang_a"
    } else {
        "erlang_c"
    };
    let finish = |servers: u32, metrics: Metrics, met: bool| {
        let agents_raw = servers.div_ceil(c);
        let agents = (f64::from(agents_raw) / (1.0 - input.shrinkage) - 1e-9)
            .ceil()
            .max(0.0) as u32;
        Staffing {
            agents_raw,
            agents,
            traffic_erlangs: a,
            model,
            target_met: met,
            metrics,
        }
    };
    if a <= 0.0 {
        return Ok(finish(0, metrics_at(0, 1.0), true));
    }
    // Servers needed for the occupancy cap alone.
    let min_occ = input
        .max_occupancy
        .map_or(0, |o| (a / o - 1e-9).ceil().max(0.0) as u32);
    let limit = (a + 40.0 * a.sqrt() + 200.0).min(f64::from(u32::MAX - 1)) as u32;
    if input.patience_s.is_some() {
        // Erlang A can be stable below n = a: binary search on the (monotone) target,
        // each probe computing Erlang B afresh.
        let ok = |n: u32| {
            let m = metrics_at(n, erlang_b(n, a));
            let occ_ok = input.max_occupancy.is_none_or(|o| m.occupancy <= o + 1e-12);
            (meets(&m) && occ_ok, m)
        };
        let (mut lo, mut hi) = (min_occ.max(1), limit.max(min_occ.max(1)));
        if !ok(hi).0 {
            let m = ok(hi).1;
            return Ok(finish(hi, m, false));
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if ok(mid).0 { hi = mid } else { lo = mid + 1 }
        }
        let m = ok(lo).1;
        return Ok(finish(lo, m, true));
    }
    // Erlang C needs n > a: walk up from there with the Erlang B recurrence.
    let start = (a.floor() as u32).saturating_add(1).max(min_occ).max(1);
    let mut b = erlang_b(start, a);
    let mut n = start;
    loop {
        let m = metrics_at(n, b);
        if meets(&m) || n >= limit.max(start) {
            return Ok(finish(n, m, meets(&m)));
        }
        n += 1;
        b = a * b / (f64::from(n) + a * b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sl(fraction: f64, answer_s: f64) -> Target {
        Target::ServiceLevel { fraction, answer_s }
    }

    #[test]
    fn erlang_c_matches_published_table() {
        // 10 Erlangs (100 calls in 30 minutes at 180 s): the classic table.
        for (n, pw, sl) in [
            (11, 0.6821, 0.3896),
            (12, 0.4494, 0.6402),
            (13, 0.2853, 0.7956),
            (14, 0.1741, 0.8884),
            (15, 0.1020, 0.9415),
        ] {
            let m = erlang_c_metrics(n, 10.0, 180.0, 20.0);
            assert!((m.p_wait - pw).abs() < 5e-5, "n={n}: {}", m.p_wait);
            assert!(
                (m.service_level - sl).abs() < 5e-5,
                "n={n}: {}",
                m.service_level
            );
        }
        // Erlang B table: 10 Erlangs on 15 trunks blocks 3.65%.
        assert!((erlang_b(15, 10.0) - 0.03649).abs() < 1e-4);
        let s = required_agents(&StaffingInput {
            shrinkage: 0.3,
            ..StaffingInput::voice(100.0, 1800.0, 180.0, sl(0.8, 20.0))
        })
        .unwrap();
        assert_eq!((s.agents_raw, s.agents), (14, 20));
        assert!((s.metrics.asa_s - 7.84).abs() < 0.01);
        assert!((s.metrics.occupancy - 10.0 / 14.0).abs() < 1e-12);
    }

    #[test]
    fn stable_at_thousands_of_erlangs() {
        for a in [0.001, 0.5, 50.0, 1_000.0, 5_000.0, 20_000.0] {
            let s = required_agents(&StaffingInput::voice(
                a * 1800.0 / 180.0,
                1800.0,
                180.0,
                sl(0.8, 20.0),
            ))
            .unwrap();
            assert!(s.target_met);
            assert!(
                f64::from(s.agents_raw) > a && f64::from(s.agents_raw) < a + 5.0 * a.sqrt() + 5.0,
                "{a}: {s:?}"
            );
            for x in [
                s.metrics.service_level,
                s.metrics.p_wait,
                s.metrics.asa_s,
                s.metrics.occupancy,
            ] {
                assert!(x.is_finite());
            }
            let m = erlang_a_metrics(s.agents_raw, a / 180.0, 180.0, 120.0, 20.0);
            for x in [
                m.service_level,
                m.p_wait,
                m.asa_s,
                m.abandon_rate,
                m.occupancy,
            ] {
                assert!(x.is_finite(), "{a}: {m:?}");
            }
            // Under-staffed by a lot: still finite.
            let m = erlang_a_metrics((a / 2.0) as u32, a / 180.0, 180.0, 600.0, 20.0);
            assert!(
                m.abandon_rate.is_finite() && m.abandon_rate > 0.3,
                "{a}: {m:?}"
            );
        }
        assert_eq!(erlang_c(10, 20.0), 1.0);
        assert!(erlang_c_metrics(10, 20.0, 180.0, 20.0).asa_s.is_infinite());
    }

    #[test]
    fn erlang_a_is_consistent() {
        // Very patient customers: Erlang A tends to Erlang C.
        let c = erlang_c_metrics(14, 10.0, 180.0, 20.0);
        let a = erlang_a_metrics(14, 10.0 / 180.0, 180.0, 1e7, 20.0);
        assert!(
            (a.service_level - c.service_level).abs() < 1e-3,
            "{a:?} vs {c:?}"
        );
        assert!((a.p_wait - c.p_wait).abs() < 1e-3);
        assert!((a.asa_s - c.asa_s).abs() < 0.05);
        // Abandonment helps the service level of the others and costs answered calls.
        let a = erlang_a_metrics(10, 10.0 / 180.0, 180.0, 60.0, 20.0);
        assert!(a.abandon_rate > 0.05 && a.abandon_rate < 0.5);
        assert!((a.occupancy * 10.0 - 10.0 * (1.0 - a.abandon_rate)).abs() < 1e-9);
        // n = 0: everyone abandons.
        let z = erlang_a_metrics(0, 0.1, 180.0, 60.0, 20.0);
        assert!((z.abandon_rate - 1.0).abs() < 1e-9 && z.service_level == 0.0);
    }

    #[test]
    fn targets_and_caps() {
        let base = StaffingInput::voice(100.0, 1800.0, 180.0, Target::Asa { asa_s: 10.0 });
        assert_eq!(required_agents(&base).unwrap().agents_raw, 14);
        let capped = StaffingInput {
            max_occupancy: Some(0.6),
            ..base
        };
        assert_eq!(required_agents(&capped).unwrap().agents_raw, 17);
        // Chat: 3 at once.
        let chat = StaffingInput {
            concurrency: 3,
            ..StaffingInput::voice(100.0, 1800.0, 540.0, sl(0.8, 20.0))
        };
        let s = required_agents(&chat).unwrap();
        assert_eq!(s.agents_raw, 12); // 35 slots of 30 Erlangs, in agents of 3
        let none =
            required_agents(&StaffingInput::voice(0.0, 1800.0, 180.0, sl(0.8, 20.0))).unwrap();
        assert_eq!((none.agents_raw, none.agents), (0, 0));
        assert!(
            required_agents(&StaffingInput::voice(
                f64::NAN,
                1800.0,
                180.0,
                sl(0.8, 20.0)
            ))
            .is_err()
        );
        assert!(required_agents(&StaffingInput::voice(1.0, 1800.0, 0.0, sl(0.8, 20.0))).is_err());
        assert!(required_agents(&StaffingInput::voice(1.0, 1800.0, 10.0, sl(1.2, 20.0))).is_err());
        // Erlang A needs fewer agents than Erlang C for the same target.
        let a = required_agents(&StaffingInput {
            patience_s: Some(120.0),
            ..StaffingInput::voice(100.0, 1800.0, 180.0, sl(0.8, 20.0))
        })
        .unwrap();
        assert!(a.agents_raw <= 14 && a.model == "erlang_a" && a.metrics.service_level >= 0.8);
        // A big queue with short patience meets 80/20 below the load by letting many
        // abandon; an abandonment cap forces more agents.
        let big = StaffingInput {
            patience_s: Some(90.0),
            ..StaffingInput::voice(5000.0, 900.0, 300.0, sl(0.8, 20.0))
        };
        let loose = required_agents(&big).unwrap();
        let capped = required_agents(&StaffingInput {
            max_abandon: Some(0.02),
            ..big
        })
        .unwrap();
        assert!(loose.metrics.abandon_rate > 0.05);
        assert!(capped.metrics.abandon_rate <= 0.02 && capped.agents_raw > loose.agents_raw);
    }
}
