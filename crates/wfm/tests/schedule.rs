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
            a.utc_offset_min = off / 15 * 15;
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
    let plan = plan_hires(&agents, &req, &cfg, &standard_profiles(0, 40.0), 0.0, 200).unwrap();
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
