//! Forecasts on generated series with known seasonality recover it.
use wfm::forecast::{ForecastConfig, SpecialDay, backtest, forecast};
use wfm::history::History;
use wfm::synth::{WEEKLY, history, intraday};
use wfm::time::{DAY_MIN, days_from_civil, weekday};

#[test]
fn recovers_weekly_and_daily_seasonality() {
    let start = days_from_civil(2026, 6, 1); // a Monday
    let holiday = start + 7 * 10 + 2; // a Wednesday, closed
    let recs = history("support", start, 7 * 16, 15, 2000.0, 0.0, &[holiday], 1);
    let h = History::from_records(&recs, 30).unwrap();
    let cfg = ForecastConfig::default();

    // Backtest: close to the Poisson noise floor and better than seasonal naive.
    let bt = backtest(&h, &cfg, 20).unwrap();
    assert!(bt.overall.wape < 0.12, "{:?}", bt.overall);
    assert!(
        bt.overall.wape < bt.overall.baseline_wape,
        "{:?}",
        bt.overall
    );
    assert!(bt.overall.bias.abs() < 0.03, "{:?}", bt.overall);
    assert!(bt.overall.range_coverage > 0.7, "{:?}", bt.overall);
    assert!(bt.days.len() == 20 && !bt.days.contains(&holiday));

    // The next week: Sundays closed, nights closed, weekday totals in the true ratios.
    let next = start + 7 * 16;
    let rows = forecast(&h, &cfg, next, 7).unwrap();
    let mut totals = [0.0f64; 7];
    for r in &rows {
        let d = r.start.div_euclid(DAY_MIN);
        let m = r.start.rem_euclid(DAY_MIN);
        let wd = weekday(d);
        let (open, close) = if wd == 5 {
            (9 * 60, 17 * 60)
        } else {
            (8 * 60, 20 * 60)
        };
        assert!(
            intraday(m, open, close) > 0.0,
            "forecast for a closed interval at {m}"
        );
        totals[wd] += r.offered;
        assert!(r.offered_lo <= r.offered && r.offered <= r.offered_hi);
        assert!(r.aht_s.is_some());
    }
    assert_eq!(totals[6], 0.0);
    for wd in 0..6 {
        let expected = 2000.0 * WEEKLY[wd];
        assert!(
            (totals[wd] / expected - 1.0).abs() < 0.06,
            "weekday {wd}: {} vs {expected}",
            totals[wd]
        );
    }
    // 30-minute intervals open 08:00–20:00 on a Monday: 24 of them.
    assert_eq!(
        rows.iter()
            .filter(|r| r.start.div_euclid(DAY_MIN) == next)
            .count(),
        24
    );
}

#[test]
fn follows_trend_and_special_days() {
    let start = days_from_civil(2026, 6, 1);
    let recs = history("sales", start, 7 * 12, 30, 1000.0, 0.03, &[], 2);
    let h = History::from_records(&recs, 30).unwrap();
    let next = start + 7 * 12;
    let mut cfg = ForecastConfig::default();
    cfg.special_days.push(SpecialDay {
        date: next + 1,
        queue: None,
        uplift: 1.5,
    });
    cfg.special_days.push(SpecialDay {
        date: next + 2,
        queue: Some("sales".into()),
        uplift: 0.0,
    });
    let rows = forecast(&h, &cfg, next, 3).unwrap();
    let day = |d: i64| {
        rows.iter()
            .filter(|r| r.start.div_euclid(DAY_MIN) == d)
            .map(|r| r.offered)
            .sum::<f64>()
    };
    // Monday of week 12 with 3 % weekly growth.
    let expected = 1000.0 * WEEKLY[0] * 1.03f64.powf(12.0);
    assert!(
        (day(next) / expected - 1.0).abs() < 0.06,
        "{} vs {expected}",
        day(next)
    );
    let tue = 1000.0 * WEEKLY[1] * 1.03f64.powf(12.0 + 1.0 / 7.0) * 1.5;
    assert!(
        (day(next + 1) / tue - 1.0).abs() < 0.07,
        "{} vs {tue}",
        day(next + 1)
    );
    assert_eq!(day(next + 2), 0.0);
}
