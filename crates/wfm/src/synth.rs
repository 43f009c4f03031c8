//! Seeded synthetic data for tests, demos and benchmarks: interval histories with known
//! seasonality, and centers of agents with a week's requirement.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};

use crate::history::Record;
use crate::schedule::{AgentPrefs, Window};
use crate::time::{DAY_MIN, Day, weekday};

/// Intraday shape of a contact center open 08:00–20:00: a morning and an afternoon
/// peak. Returns the relative volume at `minute` after midnight (0 when closed).
pub fn intraday(minute: i64, open: i64, close: i64) -> f64 {
    if minute < open || minute >= close {
        return 0.0;
    }
    let h = minute as f64 / 60.0;
    let bump = |c: f64, w: f64| (-(h - c).powi(2) / (2.0 * w * w)).exp();
    0.35 + bump(10.5, 1.5) + 0.8 * bump(14.5, 2.0)
}

/// Weekday factors of the generated history (Monday busiest, Sunday closed).
pub const WEEKLY: [f64; 7] = [1.25, 1.1, 1.0, 1.0, 0.95, 0.6, 0.0];

/// A history of `days` days from `start` for one queue, `interval_min` records, with
/// Poisson noise around `daily_volume × WEEKLY × intraday shape × (1 + trend)^week`.
/// Open 08:00–20:00 Monday–Saturday (09:00–17:00 on Saturdays); `holidays` are closed.
#[allow(clippy::too_many_arguments)]
pub fn history(
    queue: &str,
    start: Day,
    days: u32,
    interval_min: u32,
    daily_volume: f64,
    weekly_trend: f64,
    holidays: &[Day],
    seed: u64,
) -> Vec<Record> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::new();
    let step = i64::from(interval_min);
    for d in start..start + i64::from(days) {
        let wd = weekday(d);
        if WEEKLY[wd] == 0.0 || holidays.contains(&d) {
            continue;
        }
        let (open, close) = if wd == 5 {
            (9 * 60, 17 * 60)
        } else {
            (8 * 60, 20 * 60)
        };
        let shape_total: f64 = (0..DAY_MIN / step)
            .map(|i| intraday(i * step, open, close))
            .sum();
        let level = daily_volume * WEEKLY[wd] * (1.0 + weekly_trend).powf((d - start) as f64 / 7.0);
        for i in 0..DAY_MIN / step {
            let m = i * step;
            let s = intraday(m, open, close);
            if s == 0.0 {
                continue;
            }
            let mean = level * s / shape_total;
            let offered = if mean > 0.0 {
                Poisson::new(mean)
                    .map(|p| p.sample(&mut rng))
                    .unwrap_or(0.0)
            } else {
                0.0
            };
            // AHT: longer in the morning, 240 s ± noise.
            let aht =
                220.0 + 40.0 * ((m as f64 / 60.0 - 8.0) / 12.0) + rng.random_range(-10.0..10.0);
            out.push(Record {
                timestamp: d * DAY_MIN + m,
                queue: queue.to_string(),
                offered,
                handled: None,
                abandoned: None,
                aht_s: Some(aht),
            });
        }
    }
    out
}

/// Monday 2026-11-30 00:00 UTC, minutes since the epoch: the week [`center`] plans.
pub const WEEK_START: i64 = 20_787 * DAY_MIN;

/// A synthetic center: `n` agents with varied availability patterns, time zones and
/// hours, and a requirement for the week (`intervals` of `interval_min` minutes from a
/// Monday 00:00 UTC). `load` scales the requirement: 1.0 asks for every offered hour
/// less 8 % (breaks); 0.85 keeps most agents busy and is coverable.
pub fn center(
    n: usize,
    intervals: usize,
    interval_min: u32,
    load: f64,
    seed: u64,
) -> (Vec<AgentPrefs>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut agents = Vec::with_capacity(n);
    // (name, local start, local end, weekdays)
    let patterns: [(u32, u32, &[u8]); 8] = [
        (7 * 60, 13 * 60, &[0, 1, 2, 3, 4]),
        (9 * 60, 17 * 60, &[0, 1, 2, 3, 4]),
        (12 * 60, 19 * 60, &[0, 1, 2, 3, 4, 5]),
        (17 * 60, 23 * 60, &[0, 1, 2, 3, 4, 5, 6]),
        (8 * 60, 20 * 60, &[5, 6]),
        (8 * 60, 22 * 60, &[0, 1, 2, 3, 4, 5, 6]),
        (6 * 60, 12 * 60, &[0, 1, 2, 3, 4, 5]),
        (10 * 60, 16 * 60, &[0, 2, 4]),
    ];
    let offsets = [0, 0, 0, 0, 60, -60, 120, -120];
    let mut hours_total = 0.0;
    for i in 0..n {
        let (s, e, days) = patterns[rng.random_range(0..patterns.len())];
        let jitter = rng.random_range(0..3u32) * 30;
        let mut windows = Vec::new();
        for &d in days {
            if rng.random_bool(0.8) {
                windows.push(Window {
                    weekday: d,
                    start_min: s.saturating_sub(jitter),
                    end_min: (e + jitter).min(1440),
                });
            }
        }
        if windows.is_empty() {
            windows.push(Window {
                weekday: days[0],
                start_min: s,
                end_min: e,
            });
        }
        let max = f64::from(rng.random_range(4..=30u32));
        let min = f64::from(rng.random_range(1..=4u32)).min(max);
        hours_total += max;
        let mut a = AgentPrefs::new(format!("agent{i:05}"), windows);
        a.time_zone = crate::zone::fixed(offsets[rng.random_range(0..offsets.len())])
            .unwrap_or(jiff::tz::TimeZone::UTC);
        a.max_week_hours = max;
        a.min_week_hours = min;
        a.min_shift_hours = 2.0;
        a.max_shift_hours = f64::from(rng.random_range(5..=8u32));
        a.skills = vec!["support".into()];
        agents.push(a);
    }
    // Requirement: 07:00–23:00 UTC, intraday shape, lighter weekends, scaled to `load`
    // times the hours offered (in agents working per interval).
    let step = i64::from(interval_min);
    let mut req = vec![0.0; intervals];
    for (i, r) in req.iter_mut().enumerate() {
        let t = i as i64 * step;
        let d = t.div_euclid(DAY_MIN);
        let m = t.rem_euclid(DAY_MIN);
        let wd = (d % 7) as usize;
        let day_factor = [1.2, 1.1, 1.05, 1.0, 0.95, 0.7, 0.55][wd];
        *r = day_factor * intraday(m, 7 * 60, 23 * 60);
    }
    let shape_total: f64 = req.iter().sum();
    let work_intervals = hours_total * 60.0 / f64::from(interval_min) * load * 0.92;
    for r in &mut req {
        *r = (*r * work_intervals / shape_total * 10.0).round() / 10.0;
    }
    (agents, req)
}
