//! Interval history per queue: offered, handled, abandoned and average handle time, built
//! from interval records (a CSV export) or from individual contacts (the event log).
//!
//! An interval with no record means the center was **closed**, not that nobody called:
//! the forecast learns opening hours from which intervals exist.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::time::{DAY_MIN, Day, Minute};

/// One input row: a queue's traffic in one (source) interval starting at `timestamp`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Local start of the source interval.
    pub timestamp: Minute,
    /// Queue name.
    pub queue: String,
    /// Contacts offered.
    pub offered: f64,
    /// Contacts handled (defaults to offered − abandoned).
    #[serde(default)]
    pub handled: Option<f64>,
    /// Contacts abandoned (defaults to 0).
    #[serde(default)]
    pub abandoned: Option<f64>,
    /// Average handle time of the handled contacts, seconds.
    #[serde(default)]
    pub aht_s: Option<f64>,
}

/// One contact from the event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactRecord {
    /// Local arrival time, minutes.
    pub arrived: Minute,
    /// Queue name.
    pub queue: String,
    /// Whether the customer left before an agent answered.
    pub abandoned: bool,
    /// Handle time (talk + after-contact work), seconds, for handled contacts.
    pub handle_s: Option<f64>,
}

/// Aggregated traffic of one queue in one interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IntervalStats {
    /// Contacts offered.
    pub offered: f64,
    /// Contacts handled.
    pub handled: f64,
    /// Contacts abandoned.
    pub abandoned: f64,
    /// Average handle time, seconds, if known.
    pub aht_s: Option<f64>,
}

/// Why history could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HistoryError {
    /// The interval does not divide a day.
    #[error("interval of {0} minutes must divide 1440 (use 15, 30 or 60)")]
    BadInterval(u32),
    /// A number is negative or not finite.
    #[error("queue {queue:?} at minute {timestamp}: {what} must be a finite number ≥ 0")]
    BadNumber {
        /// Queue.
        queue: String,
        /// Timestamp, minutes.
        timestamp: Minute,
        /// Field.
        what: &'static str,
    },
}

/// Interval history: per queue, per interval start, the aggregated traffic.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Interval length, minutes (divides 1440).
    pub interval_min: u32,
    /// Queue name → interval start → stats. Absent intervals were closed.
    pub queues: BTreeMap<String, BTreeMap<Minute, IntervalStats>>,
}

#[derive(Default, Clone, Copy)]
struct Acc {
    offered: f64,
    handled: f64,
    abandoned: f64,
    handle_total: f64,
    handle_weight: f64,
}

fn check_interval(interval_min: u32) -> Result<(), HistoryError> {
    if interval_min == 0 || 1440 % interval_min != 0 {
        return Err(HistoryError::BadInterval(interval_min));
    }
    Ok(())
}

impl History {
    /// Aggregates interval records of any length that divides `interval_min` into
    /// intervals of `interval_min` minutes (records are placed by their start time).
    pub fn from_records<'a>(
        records: impl IntoIterator<Item = &'a Record>,
        interval_min: u32,
    ) -> Result<History, HistoryError> {
        check_interval(interval_min)?;
        let step = i64::from(interval_min);
        let mut acc: BTreeMap<String, BTreeMap<Minute, Acc>> = BTreeMap::new();
        for r in records {
            let bad = |what| HistoryError::BadNumber {
                queue: r.queue.clone(),
                timestamp: r.timestamp,
                what,
            };
            let ok = |x: f64| x.is_finite() && x >= 0.0;
            if !ok(r.offered) {
                return Err(bad("offered"));
            }
            let abandoned = r.abandoned.unwrap_or(0.0);
            if !ok(abandoned) {
                return Err(bad("abandoned"));
            }
            let handled = r.handled.unwrap_or((r.offered - abandoned).max(0.0));
            if !ok(handled) {
                return Err(bad("handled"));
            }
            if let Some(a) = r.aht_s
                && !ok(a)
            {
                return Err(bad("aht_s"));
            }
            let start = r.timestamp.div_euclid(step) * step;
            let q = acc.entry(r.queue.clone()).or_default();
            let a = q.entry(start).or_default();
            a.offered += r.offered;
            a.handled += handled;
            a.abandoned += abandoned;
            if let Some(aht) = r.aht_s {
                // Weight by handled contacts; a row with none still carries its AHT.
                let w = if handled > 0.0 { handled } else { 1e-6 };
                a.handle_total += aht * w;
                a.handle_weight += w;
            }
        }
        Ok(Self::finish(acc, interval_min))
    }

    /// Aggregates individual contacts (from the event log) into intervals.
    pub fn from_contacts<'a>(
        contacts: impl IntoIterator<Item = &'a ContactRecord>,
        interval_min: u32,
    ) -> Result<History, HistoryError> {
        check_interval(interval_min)?;
        let step = i64::from(interval_min);
        let mut acc: BTreeMap<String, BTreeMap<Minute, Acc>> = BTreeMap::new();
        for c in contacts {
            let start = c.arrived.div_euclid(step) * step;
            let a = acc
                .entry(c.queue.clone())
                .or_default()
                .entry(start)
                .or_default();
            a.offered += 1.0;
            if c.abandoned {
                a.abandoned += 1.0;
            } else {
                a.handled += 1.0;
                if let Some(h) = c.handle_s.filter(|h| h.is_finite() && *h >= 0.0) {
                    a.handle_total += h;
                    a.handle_weight += 1.0;
                }
            }
        }
        Ok(Self::finish(acc, interval_min))
    }

    fn finish(acc: BTreeMap<String, BTreeMap<Minute, Acc>>, interval_min: u32) -> History {
        let queues = acc
            .into_iter()
            .map(|(q, m)| {
                let m = m
                    .into_iter()
                    .map(|(t, a)| {
                        let aht_s =
                            (a.handle_weight > 0.0).then(|| a.handle_total / a.handle_weight);
                        (
                            t,
                            IntervalStats {
                                offered: a.offered,
                                handled: a.handled,
                                abandoned: a.abandoned,
                                aht_s,
                            },
                        )
                    })
                    .collect();
                (q, m)
            })
            .collect();
        History {
            interval_min,
            queues,
        }
    }

    /// Intervals per day.
    pub fn slots_per_day(&self) -> usize {
        (1440 / self.interval_min.max(1)) as usize
    }

    /// Whether any record carries a handle time.
    pub fn has_aht(&self) -> bool {
        self.queues
            .values()
            .any(|m| m.values().any(|s| s.aht_s.is_some()))
    }

    /// Days on which any queue has a record (the center was open), ascending.
    pub fn open_days(&self) -> Vec<Day> {
        let mut days: Vec<Day> = self
            .queues
            .values()
            .flat_map(|m| m.keys().map(|t| t.div_euclid(DAY_MIN)))
            .collect();
        days.sort_unstable();
        days.dedup();
        days
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregates_fifteen_into_thirty() {
        let rec = |t: i64, o: f64, aht: f64| Record {
            timestamp: t,
            queue: "sales".into(),
            offered: o,
            handled: None,
            abandoned: None,
            aht_s: Some(aht),
        };
        let h = History::from_records(
            &[
                rec(0, 10.0, 100.0),
                rec(15, 30.0, 200.0),
                rec(30, 5.0, 50.0),
            ],
            30,
        )
        .unwrap();
        let q = &h.queues["sales"];
        assert_eq!(q.len(), 2);
        assert_eq!(q[&0].offered, 40.0);
        assert!((q[&0].aht_s.unwrap() - 175.0).abs() < 1e-9);
        assert!(History::from_records(&[], 7).is_err());
    }
}
