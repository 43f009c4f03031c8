//! Schedules never violate availability or hour limits; the bound is a bound.
use proptest::prelude::*;
use wfm::schedule::{
    AgentPrefs, ScheduleConfig, Window, check, generate, plan_hires, standard_profiles,
};

fn agent_strategy(i: usize) -> impl Strategy<Value = AgentPrefs> {
    (
        prop::collection::vec((0u8..7, 0u32..40, 1u32..40), 1..5),
        -120i32..=120,
        0u32..=5,
        1u32..=30,
        2u32..=4,
        0u32..=4,
        prop::collection::vec(0u8..7, 0..2),
    )
        .prop_map(move |(wins, off, min_h, max_h, min_s, extra_s, days_off)| {
            let windows = wins
                .into_iter()
                .map(|(d, s, l)| {
                    let start = s * 30;
                    Window {
                        weekday: d,
                        start_min: start,
                        end_min: (start + l * 30).min(1440),
                    }
                })
                .collect();
            let mut a = AgentPrefs::new(format!("a{i}"), windows);
            a.time_zone = wfm::zone::fixed(off / 15 * 15).unwrap();
            a.max_week_hours = f64::from(max_h);
            a.min_week_hours = f64::from(min_h.min(max_h));
            a.min_shift_hours = f64::from(min_s);
            a.max_shift_hours = f64::from(min_s + extra_s);
            a.days_off = days_off;
            a
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn schedules_respect_preferences(
        agents in (1usize..12).prop_flat_map(|n| (0..n).map(agent_strategy).collect::<Vec<_>>()),
        req in prop::collection::vec(0.0f64..4.0, 672),
        peak in any::<bool>(),
    ) {
        let cfg = ScheduleConfig { peak, improve_passes: 1, priced_passes: 2, ..ScheduleConfig::default() };
        let s = generate(&agents, &req, &cfg).unwrap();
        prop_assert!(check(&s, &agents, &cfg).is_ok(), "{:?}", check(&s, &agents, &cfg));
        prop_assert!(s.lower_bound <= s.shortfall + 1e-6, "bound {} > shortfall {}", s.lower_bound, s.shortfall);
        for (i, c) in s.coverage.iter().enumerate() {
            let working = s.shifts.iter().filter(|sh| sh.works(i as u32)).count() as u32;
            prop_assert_eq!(*c, working);
        }
    }
}

#[test]
fn synthetic_center_is_close_to_its_bound() {
    let (agents, req) = wfm::synth::center(120, 672, 15, 0.85, 3);
    let cfg = ScheduleConfig {
        start_utc: wfm::synth::WEEK_START,
        ..ScheduleConfig::default()
    };
    let s = generate(&agents, &req, &cfg).unwrap();
    check(&s, &agents, &cfg).unwrap();
    assert!(s.lower_bound <= s.shortfall + 1e-6);
    let need: f64 = req.iter().sum();
    assert!(
        s.shortfall - s.lower_bound < 0.02 * need,
        "shortfall {} bound {} of {need}",
        s.shortfall,
        s.lower_bound
    );
    assert!(s.unmet_minimum.is_empty());
    // A peak at 120 % of the hours offered: hires close most of the gap.
    let (agents, req) = wfm::synth::center(120, 672, 15, 1.2, 3);
    let plan = plan_hires(
        &agents,
        &req,
        &cfg,
        &standard_profiles(&jiff::tz::TimeZone::UTC, 40.0),
        0.0,
        200,
    )
    .unwrap();
    assert!(
        plan.total_hires > 0 && plan.shortfall_after < plan.shortfall_before * 0.5,
        "{plan:?}"
    );
}

#[test]
fn rejects_bad_preferences() {
    let mut a = AgentPrefs::new(
        "x",
        vec![Window {
            weekday: 0,
            start_min: 600,
            end_min: 540,
        }],
    );
    assert!(generate(&[a.clone()], &[1.0; 10], &ScheduleConfig::default()).is_err());
    a.windows[0].end_min = 700;
    a.max_week_hours = 45.0;
    assert!(generate(&[a.clone()], &[1.0; 10], &ScheduleConfig::default()).is_err());
    a.max_week_hours = 30.0;
    a.peak_max_week_hours = Some(61.0);
    assert!(generate(&[a], &[1.0; 10], &ScheduleConfig::default()).is_err());
}

/// The zones of the contiguous United States, Arizona's (no daylight saving) included.
const US_ZONES: [&str; 5] = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
];

/// UTC starts of planning weeks that hold a daylight-saving change: the Mondays before
/// the change (2026-11-01, 2027-03-14, both Sundays) and the change days themselves.
fn dst_week_starts() -> [i64; 4] {
    let day = |y, m, d| wfm::time::days_from_civil(y, m, d) * wfm::time::DAY_MIN;
    [
        day(2026, 10, 26),
        day(2026, 11, 1),
        day(2027, 3, 8),
        day(2027, 3, 14),
    ]
}

fn zoned_agent(i: usize) -> impl Strategy<Value = AgentPrefs> {
    (
        agent_strategy(i),
        0usize..US_ZONES.len(),
        // Some windows around the changed hour (00:00–04:00 local).
        prop::collection::vec((0u8..7, 0u32..8, 1u32..12), 0..3),
    )
        .prop_map(|(mut a, z, night)| {
            a.time_zone = wfm::zone::parse(US_ZONES[z]).unwrap();
            a.windows.extend(night.into_iter().map(|(d, s, l)| Window {
                weekday: d,
                start_min: s * 30,
                end_min: (s * 30 + l * 30).min(1440),
            }));
            a
        })
}

/// The UTC minute at which `a`'s clock first reads `min_of_day` (minutes after the
/// midnight that starts `date`, past 1440 into the next day) or later: in a repeated
/// hour, its first occurrence; in a skipped one, the jump. Found by walking the clock
/// minute by minute with jiff, independently of the scheduler's own conversion.
fn reached(a: &AgentPrefs, date: jiff::civil::Date, min_of_day: i64) -> i64 {
    use jiff::Timestamp;
    let midnight = date
        .to_zoned(a.time_zone.clone())
        .unwrap()
        .timestamp()
        .as_second()
        / 60;
    for t in midnight..midnight + 27 * 60 {
        let dt = a
            .time_zone
            .to_datetime(Timestamp::from_second(t * 60).unwrap());
        let days = i64::from(dt.date().since(date).unwrap().get_days());
        if days * 1440 + i64::from(dt.hour()) * 60 + i64::from(dt.minute()) >= min_of_day {
            return t;
        }
    }
    midnight + 27 * 60
}

/// Whether `[from, to)` (UTC minutes) lies in one of `a`'s windows, each read on the
/// agent's own clock for the local day it belongs to (that day not off): from when the
/// clock first reaches the window's start to when it first reaches its end.
fn inside_local_window(a: &AgentPrefs, from: i64, to: i64) -> bool {
    use jiff::Timestamp;
    let day = a
        .time_zone
        .to_datetime(Timestamp::from_second(from * 60).unwrap())
        .date();
    [day, day.yesterday().unwrap()].into_iter().any(|date| {
        let wd = date.weekday().to_monday_zero_offset() as u8;
        if a.days_off.contains(&wd) {
            return false;
        }
        // Windows on that weekday, touching ones merged.
        let mut w: Vec<(i64, i64)> = a
            .windows
            .iter()
            .filter(|w| w.weekday == wd)
            .map(|w| (i64::from(w.start_min), i64::from(w.end_min)))
            .collect();
        w.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::new();
        for (ws, we) in w {
            match merged.last_mut() {
                Some(l) if ws <= l.1 => l.1 = l.1.max(we),
                _ => merged.push((ws, we)),
            }
        }
        merged
            .iter()
            .any(|&(ws, we)| reached(a, date, ws) <= from && to <= reached(a, date, we))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]
    /// Every shift lies inside its agent's availability on the agent's own wall clock,
    /// in weeks where that clock jumps (or, in Phoenix, does not).
    #[test]
    fn shifts_stay_in_local_availability_through_dst_changes(
        agents in (1usize..10).prop_flat_map(|n| (0..n).map(zoned_agent).collect::<Vec<_>>()),
        req in prop::collection::vec(0.0f64..4.0, 336),
        week in 0usize..4,
    ) {
        let cfg = ScheduleConfig {
            start_utc: dst_week_starts()[week],
            interval_min: 30,
            improve_passes: 1,
            priced_passes: 2,
            ..ScheduleConfig::default()
        };
        let s = generate(&agents, &req, &cfg).unwrap();
        prop_assert!(check(&s, &agents, &cfg).is_ok(), "{:?}", check(&s, &agents, &cfg));
        for sh in &s.shifts {
            let a = &agents[sh.agent];
            let from = cfg.start_utc + i64::from(sh.start) * 30;
            let to = from + i64::from(sh.len) * 30;
            prop_assert!(
                inside_local_window(a, from, to),
                "{} in {}: shift {}..{} UTC outside {:?}",
                a.id, wfm::zone::name(&a.time_zone),
                wfm::time::DateTime(from), wfm::time::DateTime(to), a.windows
            );
        }
    }
}

/// A weekly "Monday 09:00–17:00" in New York is 13:00–21:00 UTC while daylight saving
/// time lasts and 14:00–22:00 UTC after the November change; in Phoenix it never moves.
#[test]
fn a_weekly_window_follows_the_zone_across_the_november_change() {
    let day = wfm::time::days_from_civil;
    let window = vec![Window {
        weekday: 0,
        start_min: 9 * 60,
        end_min: 17 * 60,
    }];
    let hm = |m: i64| m.rem_euclid(wfm::time::DAY_MIN) / 60;
    for (zone, before, after) in [
        ("America/New_York", (13, 21), (14, 22)),
        ("America/Chicago", (14, 22), (15, 23)),
        ("America/Phoenix", (16, 0), (16, 0)),
    ] {
        let mut a = AgentPrefs::new("a", window.clone());
        a.time_zone = wfm::zone::parse(zone).unwrap();
        let b = a.windows_utc(day(2026, 10, 26));
        let c = a.windows_utc(day(2026, 11, 2));
        assert_eq!((hm(b[0].0), hm(b[0].1)), before, "{zone}");
        assert_eq!((hm(c[0].0), hm(c[0].1)), after, "{zone}");
        // A schedule over both Mondays puts the shift where the wall clock says.
        let cfg = ScheduleConfig {
            start_utc: day(2026, 10, 26) * wfm::time::DAY_MIN,
            interval_min: 30,
            ..ScheduleConfig::default()
        };
        let mut a2 = a.clone();
        a2.min_shift_hours = 8.0;
        a2.max_shift_hours = 8.0;
        let s = generate(&[a2], &[1.0; 14 * 48], &cfg).unwrap();
        let starts: Vec<i64> = s
            .shifts
            .iter()
            .map(|sh| hm(cfg.start_utc + i64::from(sh.start) * 30))
            .collect();
        assert_eq!(starts, vec![before.0, after.0], "{zone}");
    }
}
