//! Volume and handle-time forecasts per queue and interval, and their backtest.
//!
//! The model, fitted separately for each queue on the weeks before the forecast day:
//!
//! * **Daily volume**: `ln D(d) = level(weekday(d)) + trend · (d − d₀)`, a weighted least
//!   squares fit (weights halve every `half_life_days`) over the last `window_weeks`
//!   weeks of open days. That is weekly seasonality plus a trend.
//! * **Intraday shape** per weekday: the weighted average share of the day's volume in
//!   each interval (daily seasonality), lightly pooled with the all-weekday shape.
//! * **Opening hours**: an interval is forecast open if it had records on at least half
//!   of the recent open days of that weekday; a weekday is open if it was open in at
//!   least half of the recent weeks. Missing intervals mean *closed*, never zero.
//! * **Special days** (holidays, promotions) are planner-entered: a multiplier on the
//!   day's volume (`0` closes the day). They are left out of the fit.
//! * **AHT** per weekday and interval: a handled-weighted average, shrunk towards the
//!   interval's all-weekday average and the queue's average.
//! * **Prediction ranges**: Poisson noise plus the log-normal day-level noise seen in
//!   the fit's residuals.
//!
//! [`backtest`] replays one-day-ahead forecasts over the last N open days and compares
//! them with the seasonal-naive baseline (same interval, the previous open day with the
//! same weekday).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::history::{History, IntervalStats};
use crate::time::{DAY_MIN, Day, Minute, weekday};

/// A planner-entered special day: a holiday (`uplift` 0) or promotion (`uplift` 1.3 …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpecialDay {
    /// The day.
    pub date: Day,
    /// The queue it applies to, or every queue.
    #[serde(default)]
    pub queue: Option<String>,
    /// Multiplier on the day's volume; 0 means closed.
    pub uplift: f64,
}

/// Forecast settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastConfig {
    /// Weeks of history used for a fit.
    pub window_weeks: u32,
    /// Age at which a day's weight halves, days.
    pub half_life_days: f64,
    /// Fit a trend (otherwise a flat level per weekday).
    pub trend: bool,
    /// Central coverage of the prediction range (0.8 → 10th to 90th percentile).
    pub coverage: f64,
    /// Holidays and promotions.
    pub special_days: Vec<SpecialDay>,
}

impl Default for ForecastConfig {
    fn default() -> Self {
        ForecastConfig {
            window_weeks: 10,
            half_life_days: 35.0,
            trend: true,
            coverage: 0.8,
            special_days: Vec::new(),
        }
    }
}

impl ForecastConfig {
    fn uplift(&self, queue: &str, day: Day) -> Option<f64> {
        // A queue-specific entry wins over an all-queue one.
        let mut all = None;
        for s in &self.special_days {
            if s.date == day {
                match &s.queue {
                    Some(q) if q == queue => return Some(s.uplift),
                    None => all = Some(s.uplift),
                    _ => {}
                }
            }
        }
        all
    }
}

/// Why there is no forecast.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ForecastError {
    /// Not enough history.
    #[error("not enough history: {0}")]
    NotEnoughHistory(String),
    /// A setting is out of range.
    #[error("invalid forecast setting: {0}")]
    Invalid(&'static str),
}

/// One forecast interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastRow {
    /// Local start of the interval.
    pub start: Minute,
    /// Queue.
    pub queue: String,
    /// Expected contacts offered.
    pub offered: f64,
    /// Lower end of the prediction range.
    pub offered_lo: f64,
    /// Upper end of the prediction range.
    pub offered_hi: f64,
    /// Expected average handle time, seconds (when the history has handle times).
    pub aht_s: Option<f64>,
}

type Slots = Vec<Option<IntervalStats>>;
/// A forecast interval: mean, low, high, AHT.
type DayPoint = (f64, f64, f64, Option<f64>);

/// A queue's history as open days of slots.
struct QueueDays {
    first: Day,
    days: BTreeMap<Day, Slots>,
}

fn by_day(history: &History) -> BTreeMap<String, QueueDays> {
    let slots = history.slots_per_day();
    let step = i64::from(history.interval_min);
    history
        .queues
        .iter()
        .map(|(q, m)| {
            let mut days: BTreeMap<Day, Slots> = BTreeMap::new();
            for (&t, s) in m {
                let d = t.div_euclid(DAY_MIN);
                let slot = (t.rem_euclid(DAY_MIN) / step) as usize;
                days.entry(d).or_insert_with(|| vec![None; slots])[slot] = Some(*s);
            }
            let first = days.keys().next().copied().unwrap_or(0);
            (q.clone(), QueueDays { first, days })
        })
        .collect()
}

/// A fitted model for one queue.
#[derive(Debug, Clone)]
struct QueueModel {
    level: [Option<f64>; 7],
    trend: f64,
    origin: Day,
    shape: [Vec<f64>; 7],
    aht: [Vec<Option<f64>>; 7],
    sigma: f64,
}

fn fit(
    qd: &QueueDays,
    before: Day,
    cfg: &ForecastConfig,
    queue: &str,
    slots: usize,
) -> Option<QueueModel> {
    let from = before - 7 * i64::from(cfg.window_weeks.max(1));
    let weight = |d: Day| 0.5f64.powf((before - d) as f64 / cfg.half_life_days.max(1.0));
    // (day, weight, ln total, slots)
    let mut obs: Vec<(Day, f64, f64, &Slots)> = Vec::new();
    for (&d, s) in qd.days.range(from..before) {
        if cfg.uplift(queue, d).is_some() {
            continue;
        }
        let total: f64 = s.iter().flatten().map(|x| x.offered).sum();
        obs.push((d, weight(d), total.max(0.5).ln(), s));
    }
    if obs.is_empty() {
        return None;
    }
    // Which weekdays are open: observed vs possible occurrences in the window.
    let mut possible = [0.0f64; 7];
    let mut seen = [0.0f64; 7];
    for d in from.max(qd.first)..before {
        if cfg.uplift(queue, d).is_none() {
            possible[weekday(d)] += weight(d);
        }
    }
    for o in &obs {
        seen[weekday(o.0)] += o.1;
    }
    let open_wd: [bool; 7] = std::array::from_fn(|k| seen[k] > 0.0 && seen[k] >= 0.5 * possible[k]);
    // Level per weekday and a common trend, by coordinate descent on weighted LSQ.
    let t = |d: Day| (d - before) as f64;
    let span = obs.last().map(|o| o.0).unwrap_or(0) - obs[0].0;
    let use_trend = cfg.trend && span >= 20;
    let mut level = [0.0f64; 7];
    let mut b = 0.0f64;
    for _ in 0..(if use_trend { 30 } else { 1 }) {
        let mut num = [0.0f64; 7];
        let mut den = [0.0f64; 7];
        for &(d, w, y, _) in &obs {
            num[weekday(d)] += w * (y - b * t(d));
            den[weekday(d)] += w;
        }
        for k in 0..7 {
            level[k] = if den[k] > 0.0 { num[k] / den[k] } else { 0.0 };
        }
        if use_trend {
            // Slope of the residual on time, within weekdays.
            let (mut sxy, mut sxx) = (0.0, 0.0);
            let mut tbar = [0.0f64; 7];
            for &(d, w, _, _) in &obs {
                tbar[weekday(d)] += w * t(d) / den[weekday(d)];
            }
            for &(d, w, y, _) in &obs {
                let k = weekday(d);
                let x = t(d) - tbar[k];
                sxy += w * x * (y - level[k] - b * tbar[k]);
                sxx += w * x * x;
            }
            if sxx > 0.0 {
                b = (sxy / sxx).clamp(-0.02, 0.02);
            }
        }
    }
    // Residual spread (log scale), with a degrees-of-freedom correction.
    let (mut ss, mut ws, mut n) = (0.0, 0.0, 0.0);
    for &(d, w, y, _) in &obs {
        let r = y - level[weekday(d)] - b * t(d);
        ss += w * r * r;
        ws += w;
        n += 1.0;
    }
    let params = open_wd.iter().filter(|&&o| o).count() as f64 + if use_trend { 1.0 } else { 0.0 };
    let sigma = if n > params + 1.0 {
        (ss / ws * n / (n - params)).sqrt()
    } else {
        0.15
    }
    .clamp(0.02, 1.0);

    // Shapes and AHT.
    let mut share_all = vec![0.0f64; slots];
    let mut w_all = 0.0;
    let mut share_wd: [Vec<f64>; 7] = std::array::from_fn(|_| vec![0.0; slots]);
    let mut open_cnt: [Vec<f64>; 7] = std::array::from_fn(|_| vec![0.0; slots]);
    let mut w_wd = [0.0f64; 7];
    let mut aht_num: [Vec<f64>; 7] = std::array::from_fn(|_| vec![0.0; slots]);
    let mut aht_den: [Vec<f64>; 7] = std::array::from_fn(|_| vec![0.0; slots]);
    for &(d, w, _, s) in &obs {
        let k = weekday(d);
        let total: f64 = s.iter().flatten().map(|x| x.offered).sum();
        w_wd[k] += w;
        for (i, x) in s.iter().enumerate() {
            let Some(x) = x else { continue };
            open_cnt[k][i] += w;
            if total > 0.0 {
                share_wd[k][i] += w * x.offered / total;
                share_all[i] += w * x.offered / total;
            }
            if let Some(a) = x.aht_s {
                let h = if x.handled > 0.0 { x.handled } else { 1e-3 };
                aht_num[k][i] += w * h * a;
                aht_den[k][i] += w * h;
            }
        }
        if total > 0.0 {
            w_all += w;
        }
    }
    let mut aht_slot_num = vec![0.0; slots];
    let mut aht_slot_den = vec![0.0; slots];
    for k in 0..7 {
        for i in 0..slots {
            aht_slot_num[i] += aht_num[k][i];
            aht_slot_den[i] += aht_den[k][i];
        }
    }
    let (qn, qdn): (f64, f64) = (aht_slot_num.iter().sum(), aht_slot_den.iter().sum());
    let aht_queue = (qdn > 0.0).then(|| qn / qdn);
    const PSEUDO: f64 = 5.0;
    const POOL: f64 = 0.5;
    let mut shape: [Vec<f64>; 7] = std::array::from_fn(|_| vec![0.0; slots]);
    let mut aht: [Vec<Option<f64>>; 7] = std::array::from_fn(|_| vec![None; slots]);
    let mut levels: [Option<f64>; 7] = [None; 7];
    for k in 0..7 {
        if !open_wd[k] || w_wd[k] <= 0.0 {
            continue;
        }
        let mut sum = 0.0;
        for i in 0..slots {
            if open_cnt[k][i] >= 0.5 * w_wd[k] {
                let global = if w_all > 0.0 {
                    share_all[i] / w_all
                } else {
                    0.0
                };
                let v = (share_wd[k][i] + POOL * global) / (w_wd[k] + POOL);
                shape[k][i] = v.max(1e-9);
                sum += shape[k][i];
                if let Some(aq) = aht_queue {
                    let slot_avg = (aht_slot_num[i] + PSEUDO * aq) / (aht_slot_den[i] + PSEUDO);
                    aht[k][i] =
                        Some((aht_num[k][i] + PSEUDO * slot_avg) / (aht_den[k][i] + PSEUDO));
                }
            }
        }
        if sum > 0.0 {
            shape[k].iter_mut().for_each(|v| *v /= sum);
            levels[k] = Some(level[k]);
        }
    }
    Some(QueueModel {
        level: levels,
        trend: b,
        origin: before,
        shape,
        aht,
        sigma,
    })
}

/// Probit: the standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9).
#[allow(clippy::excessive_precision)]
pub fn normal_quantile(p: f64) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    const A: [f64; 6] = [
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.383577518672690e+02,
        -3.066479806614716e+01,
        2.506628277459239e+00,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-03,
        3.224671290700398e-01,
        2.445134137142996e+00,
        3.754408661907416e+00,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

impl QueueModel {
    /// Forecast intervals of `day` (slot, mean, lo, hi, aht); empty when closed.
    fn day(
        &self,
        day: Day,
        uplift: Option<f64>,
        z: f64,
    ) -> Vec<(usize, f64, f64, f64, Option<f64>)> {
        let k = weekday(day);
        let Some(level) = self.level[k] else {
            return Vec::new();
        };
        let u = uplift.unwrap_or(1.0);
        if u <= 0.0 {
            return Vec::new();
        }
        let h = (day - self.origin) as f64;
        // Log-normal day total: mean = exp(μ + σ²/2).
        let total = (level + self.trend * h + self.sigma * self.sigma / 2.0).exp() * u;
        let mut out = Vec::new();
        for (i, &s) in self.shape[k].iter().enumerate() {
            if s <= 0.0 {
                continue;
            }
            let f = total * s;
            let sd = (f + (self.sigma * f).powi(2)).sqrt();
            out.push((i, f, (f - z * sd).max(0.0), f + z * sd, self.aht[k][i]));
        }
        out
    }
}

fn check(cfg: &ForecastConfig) -> Result<(), ForecastError> {
    if !(cfg.coverage > 0.0 && cfg.coverage < 1.0) {
        return Err(ForecastError::Invalid("coverage must be between 0 and 1"));
    }
    if !(cfg.half_life_days.is_finite() && cfg.half_life_days > 0.0) {
        return Err(ForecastError::Invalid("half-life must be > 0"));
    }
    if cfg
        .special_days
        .iter()
        .any(|s| !(s.uplift.is_finite() && s.uplift >= 0.0))
    {
        return Err(ForecastError::Invalid("special-day uplift must be ≥ 0"));
    }
    Ok(())
}

/// Forecasts `days` days from `start` using only history before `start`. Rows come out
/// by time, then queue, for every interval expected open.
pub fn forecast(
    history: &History,
    cfg: &ForecastConfig,
    start: Day,
    days: u32,
) -> Result<Vec<ForecastRow>, ForecastError> {
    check(cfg)?;
    let z = normal_quantile(0.5 + cfg.coverage / 2.0);
    let slots = history.slots_per_day();
    let step = i64::from(history.interval_min);
    let mut rows = Vec::new();
    let mut fitted = 0;
    for (q, qd) in by_day(history) {
        let Some(model) = fit(&qd, start, cfg, &q, slots) else {
            continue;
        };
        fitted += 1;
        for d in start..start + i64::from(days) {
            for (i, f, lo, hi, aht) in model.day(d, cfg.uplift(&q, d), z) {
                rows.push(ForecastRow {
                    start: d * DAY_MIN + i as i64 * step,
                    queue: q.clone(),
                    offered: f,
                    offered_lo: lo,
                    offered_hi: hi,
                    aht_s: aht,
                });
            }
        }
    }
    if fitted == 0 {
        return Err(ForecastError::NotEnoughHistory(
            "no queue has history before the start day".into(),
        ));
    }
    rows.sort_by(|a, b| (a.start, &a.queue).cmp(&(b.start, &b.queue)));
    Ok(rows)
}

/// Error measures of a set of forecasts against actuals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Accuracy {
    /// Weighted absolute percentage error: Σ|f − a| / Σa.
    pub wape: f64,
    /// Mean absolute percentage error over intervals with a > 0.
    pub mape: f64,
    /// Σ(f − a) / Σa: positive means over-forecast.
    pub bias: f64,
    /// The seasonal-naive baseline's WAPE.
    pub baseline_wape: f64,
    /// The baseline's MAPE.
    pub baseline_mape: f64,
    /// The baseline's bias.
    pub baseline_bias: f64,
    /// Handle-time WAPE (weighted by actual handled contacts), when handle times exist.
    pub aht_wape: Option<f64>,
    /// Fraction of actual intervals inside the prediction range.
    pub range_coverage: f64,
    /// Intervals compared.
    pub intervals: usize,
}

#[derive(Default, Clone, Copy)]
struct Acc {
    actual: f64,
    abs: f64,
    err: f64,
    ape: f64,
    ape_n: f64,
    b_abs: f64,
    b_err: f64,
    b_ape: f64,
    aht_abs: f64,
    aht_w: f64,
    inside: f64,
    n: usize,
}

impl Acc {
    fn add(&mut self, a: f64, f: f64, base: f64, range: (f64, f64)) {
        self.actual += a;
        self.abs += (f - a).abs();
        self.err += f - a;
        self.b_abs += (base - a).abs();
        self.b_err += base - a;
        if a > 0.0 {
            self.ape += (f - a).abs() / a;
            self.b_ape += (base - a).abs() / a;
            self.ape_n += 1.0;
        }
        if a >= range.0.floor() && a <= range.1.ceil() {
            self.inside += 1.0;
        }
        self.n += 1;
    }
    fn merge(&mut self, o: &Acc) {
        self.actual += o.actual;
        self.abs += o.abs;
        self.err += o.err;
        self.ape += o.ape;
        self.ape_n += o.ape_n;
        self.b_abs += o.b_abs;
        self.b_err += o.b_err;
        self.b_ape += o.b_ape;
        self.aht_abs += o.aht_abs;
        self.aht_w += o.aht_w;
        self.inside += o.inside;
        self.n += o.n;
    }
    fn report(&self) -> Accuracy {
        let div = |x: f64, y: f64| if y > 0.0 { x / y } else { 0.0 };
        Accuracy {
            wape: div(self.abs, self.actual),
            mape: div(self.ape, self.ape_n),
            bias: div(self.err, self.actual),
            baseline_wape: div(self.b_abs, self.actual),
            baseline_mape: div(self.b_ape, self.ape_n),
            baseline_bias: div(self.b_err, self.actual),
            aht_wape: (self.aht_w > 0.0).then(|| self.aht_abs / self.aht_w),
            range_coverage: div(self.inside, self.n as f64),
            intervals: self.n,
        }
    }
}

/// A backtest: one-day-ahead forecasts over the last N open days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backtest {
    /// All queues together.
    #[serde(flatten)]
    pub overall: Accuracy,
    /// Days tested, ascending.
    pub days: Vec<Day>,
    /// Per queue.
    pub queues: BTreeMap<String, Accuracy>,
}

/// Forecasts each of the last `n_days` open days from the history before it and scores
/// the forecasts, and the seasonal-naive baseline, against what happened.
pub fn backtest(
    history: &History,
    cfg: &ForecastConfig,
    n_days: usize,
) -> Result<Backtest, ForecastError> {
    check(cfg)?;
    let open = history.open_days();
    if n_days == 0 {
        return Err(ForecastError::Invalid("backtest days must be ≥ 1"));
    }
    if open.len() < n_days + 7 {
        return Err(ForecastError::NotEnoughHistory(format!(
            "{} open days in the history; a {n_days}-day backtest needs at least {}",
            open.len(),
            n_days + 7
        )));
    }
    let test_days = open[open.len() - n_days..].to_vec();
    let z = normal_quantile(0.5 + cfg.coverage / 2.0);
    let slots = history.slots_per_day();
    let mut per_queue = BTreeMap::new();
    let mut all = Acc::default();
    for (q, qd) in by_day(history) {
        let mut acc = Acc::default();
        for &d in &test_days {
            if cfg.uplift(&q, d).is_some_and(|u| u <= 0.0) {
                continue;
            }
            let model = fit(&qd, d, cfg, &q, slots);
            let mut fc: Vec<Option<DayPoint>> = vec![None; slots];
            if let Some(m) = &model {
                for (i, f, lo, hi, aht) in m.day(d, cfg.uplift(&q, d), z) {
                    fc[i] = Some((f, lo, hi, aht));
                }
            }
            let actual = qd.days.get(&d);
            // Seasonal naive: the same interval on the last open day with this weekday.
            let base_day = (1..=5).map(|w| d - 7 * w).find_map(|b| qd.days.get(&b));
            for i in 0..slots {
                let a = actual.and_then(|s| s[i]);
                let f = fc[i];
                if a.is_none() && f.is_none() {
                    continue;
                }
                let av = a.map_or(0.0, |x| x.offered);
                let (fv, lo, hi, faht) = f.unwrap_or((0.0, 0.0, 0.0, None));
                let base = base_day.and_then(|s| s[i]).map_or(0.0, |x| x.offered);
                acc.add(av, fv, base, (lo, hi));
                if let (Some(x), Some(fa)) = (a, faht)
                    && let Some(aa) = x.aht_s
                {
                    acc.aht_abs += x.handled * (fa - aa).abs();
                    acc.aht_w += x.handled * aa;
                }
            }
        }
        all.merge(&acc);
        per_queue.insert(q, acc.report());
    }
    Ok(Backtest {
        overall: all.report(),
        days: test_days,
        queues: per_queue,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probit() {
        assert!((normal_quantile(0.975) - 1.959964).abs() < 1e-5);
        assert!((normal_quantile(0.9) - 1.281552).abs() < 1e-5);
        assert!(normal_quantile(0.5).abs() < 1e-9);
    }
}
