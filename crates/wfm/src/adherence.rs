//! Adherence: what agents were scheduled to do against what they did.
//!
//! * **Adherence** — of the time an agent was scheduled on shift (working, on a break
//!   or at lunch), the share spent in a matching state.
//! * **Conformance** — time actually working (available, on a contact, in after-contact
//!   work) over time scheduled to work, whenever it happened.
//! * **Out of adherence now** — agents whose state does not match the schedule at `now`,
//!   and since when (the start of the current unbroken mismatch).
//!
//! Times are seconds since the epoch (UTC); schedules are in planning intervals. "Today"
//! is each agent's own local day ([`adherence_local_day`]), not the UTC day.

use serde::{Deserialize, Serialize};

use jiff::tz::TimeZone;

use crate::schedule::{BreakKind, Schedule};
use crate::zone;

/// What the schedule says an agent should be doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// Handling contacts.
    Work,
    /// A short break.
    Break,
    /// Lunch.
    Lunch,
    /// Not scheduled.
    Off,
}

/// What an agent was actually doing (the routing engine's presence and work).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActualState {
    /// Logged in and free.
    Available,
    /// On a contact.
    Busy,
    /// After-contact work.
    AfterWork,
    /// On a break (any aux code).
    Break,
    /// Logged out.
    Offline,
}

impl ActualState {
    fn working(self) -> bool {
        matches!(
            self,
            ActualState::Available | ActualState::Busy | ActualState::AfterWork
        )
    }
}

/// Whether a state matches a scheduled activity.
pub fn matches(scheduled: Activity, actual: ActualState) -> bool {
    match scheduled {
        Activity::Work => actual.working(),
        Activity::Break | Activity::Lunch => {
            matches!(actual, ActualState::Break | ActualState::Offline)
        }
        Activity::Off => actual == ActualState::Offline,
    }
}

/// An agent's state from `at` (seconds) on, until its next change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateChange {
    /// Index of the agent in the schedule's agent list.
    pub agent: usize,
    /// Seconds since the epoch (UTC).
    pub at: i64,
    /// The new state.
    pub state: ActualState,
}

/// What `agent` is scheduled to do at second `t`.
pub fn scheduled_activity(schedule: &Schedule, agent: usize, t: i64) -> Activity {
    let iv = i64::from(schedule.interval_min) * 60;
    let rel = t - schedule.start_utc * 60;
    if rel < 0 {
        return Activity::Off;
    }
    let i = rel / iv;
    if i > i64::from(u32::MAX) {
        return Activity::Off;
    }
    let i = i as u32;
    for s in schedule.shifts.iter().filter(|s| s.agent == agent) {
        if i >= s.start && i < s.start + s.len {
            for b in &s.breaks {
                if i >= b.start && i < b.start + b.len {
                    return if b.kind == BreakKind::Lunch {
                        Activity::Lunch
                    } else {
                        Activity::Break
                    };
                }
            }
            return Activity::Work;
        }
    }
    Activity::Off
}

/// One agent's adherence over a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentAdherence {
    /// Agent index.
    pub agent: usize,
    /// Seconds scheduled on shift (work, breaks, lunch).
    pub scheduled_s: i64,
    /// Of those, seconds in a matching state.
    pub in_adherence_s: i64,
    /// Seconds scheduled to work.
    pub scheduled_work_s: i64,
    /// Seconds actually working.
    pub actual_work_s: i64,
    /// `in_adherence_s / scheduled_s` (1 when nothing was scheduled).
    pub adherence: f64,
    /// `actual_work_s / scheduled_work_s` (1 when no work was scheduled).
    pub conformance: f64,
    /// Per interval of the schedule: (interval, seconds scheduled on shift, seconds in adherence).
    pub intervals: Vec<(u32, i64, i64)>,
}

/// Adherence and conformance of agents `0..agents` over `[from, to)` seconds.
/// `changes` may be in any order; an agent is offline before its first change.
pub fn adherence(
    schedule: &Schedule,
    agents: usize,
    changes: &[StateChange],
    from: i64,
    to: i64,
) -> Vec<AgentAdherence> {
    adherence_each(schedule, agents, changes, |_| (from, to))
}

/// Adherence and conformance so far on each agent's own local day: from the later of
/// midnight in the agent's zone (`zones[agent]`; a day may be 23 or 25 hours) and
/// `floor` (e.g. the schedule's start), to `now`, seconds.
pub fn adherence_local_day(
    schedule: &Schedule,
    zones: &[TimeZone],
    changes: &[StateChange],
    floor: i64,
    now: i64,
) -> Vec<AgentAdherence> {
    adherence_each(schedule, zones.len(), changes, |a| {
        let day = zone::local_day(&zones[a], now.div_euclid(60));
        let from = (zone::to_utc(&zones[a], day, 0) * 60).max(floor);
        (from, now.max(from))
    })
}

/// Adherence of agents `0..agents`, each over its own `[from, to)` seconds.
fn adherence_each(
    schedule: &Schedule,
    agents: usize,
    changes: &[StateChange],
    span: impl Fn(usize) -> (i64, i64),
) -> Vec<AgentAdherence> {
    let iv = i64::from(schedule.interval_min) * 60;
    let base = schedule.start_utc * 60;
    let mut by_agent: Vec<Vec<&StateChange>> = vec![Vec::new(); agents];
    for c in changes {
        if c.agent < agents {
            by_agent[c.agent].push(c);
        }
    }
    let mut out = Vec::with_capacity(agents);
    for (agent, list) in by_agent.iter_mut().enumerate() {
        let (from, to) = span(agent);
        list.sort_by_key(|c| c.at);
        // Breakpoints: state changes and interval boundaries.
        let mut state = ActualState::Offline;
        let mut ci = 0;
        while ci < list.len() && list[ci].at <= from {
            state = list[ci].state;
            ci += 1;
        }
        let mut t = from;
        let mut a = AgentAdherence {
            agent,
            scheduled_s: 0,
            in_adherence_s: 0,
            scheduled_work_s: 0,
            actual_work_s: 0,
            adherence: 1.0,
            conformance: 1.0,
            intervals: Vec::new(),
        };
        while t < to {
            let next_boundary = base + ((t - base).div_euclid(iv) + 1) * iv;
            let next_change = list.get(ci).map_or(i64::MAX, |c| c.at);
            let end = next_boundary.min(next_change).min(to);
            let d = end - t;
            let act = scheduled_activity(schedule, agent, t);
            let ok = matches(act, state);
            if act != Activity::Off {
                a.scheduled_s += d;
                if ok {
                    a.in_adherence_s += d;
                }
                if t >= base {
                    let i = ((t - base) / iv) as u32;
                    match a.intervals.last_mut() {
                        Some(last) if last.0 == i => {
                            last.1 += d;
                            last.2 += if ok { d } else { 0 };
                        }
                        _ => a.intervals.push((i, d, if ok { d } else { 0 })),
                    }
                }
            }
            if act == Activity::Work {
                a.scheduled_work_s += d;
            }
            if state.working() {
                a.actual_work_s += d;
            }
            t = end;
            while ci < list.len() && list[ci].at <= t {
                state = list[ci].state;
                ci += 1;
            }
        }
        if a.scheduled_s > 0 {
            a.adherence = a.in_adherence_s as f64 / a.scheduled_s as f64;
        }
        if a.scheduled_work_s > 0 {
            a.conformance = a.actual_work_s as f64 / a.scheduled_work_s as f64;
        }
        out.push(a);
    }
    out
}

/// An agent out of adherence right now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutOfAdherence {
    /// Agent index.
    pub agent: usize,
    /// What the schedule says.
    pub scheduled: Activity,
    /// What the agent is doing.
    pub actual: ActualState,
    /// Seconds since the epoch when the current mismatch began.
    pub since: i64,
}

/// Agents `0..agents` whose state at `now` does not match their schedule, for at least
/// `grace_s` seconds, longest first.
pub fn out_of_adherence(
    schedule: &Schedule,
    agents: usize,
    changes: &[StateChange],
    now: i64,
    grace_s: i64,
) -> Vec<OutOfAdherence> {
    let iv = i64::from(schedule.interval_min) * 60;
    let base = schedule.start_utc * 60;
    let mut by_agent: Vec<Vec<&StateChange>> = vec![Vec::new(); agents];
    for c in changes {
        if c.agent < agents && c.at <= now {
            by_agent[c.agent].push(c);
        }
    }
    let mut out = Vec::new();
    for (agent, list) in by_agent.iter_mut().enumerate() {
        list.sort_by_key(|c| c.at);
        let state_at = |t: i64| {
            list.iter()
                .rev()
                .find(|c| c.at <= t)
                .map_or(ActualState::Offline, |c| c.state)
        };
        let actual = state_at(now);
        let scheduled = scheduled_activity(schedule, agent, now);
        if matches(scheduled, actual) {
            continue;
        }
        // Walk back over breakpoints while the mismatch holds.
        let mut since = now;
        loop {
            let prev_change = list.iter().rev().map(|c| c.at).find(|&a| a < since);
            let prev_boundary = if since > base {
                Some(base + (since - base - 1).div_euclid(iv) * iv)
            } else {
                None
            };
            let Some(prev) = [prev_change, prev_boundary].into_iter().flatten().max() else {
                since = i64::MIN;
                break;
            };
            if matches(scheduled_activity(schedule, agent, prev), state_at(prev)) {
                // The mismatch began at the first breakpoint after `prev`.
                let after_change = list.iter().map(|c| c.at).find(|&a| a > prev);
                let after_boundary = base + ((prev - base).div_euclid(iv) + 1) * iv;
                since = after_change
                    .map_or(after_boundary, |c| c.min(after_boundary))
                    .min(since);
                break;
            }
            since = prev;
            if now - since > 366 * 86_400 {
                break;
            }
        }
        if now - since >= grace_s {
            out.push(OutOfAdherence {
                agent,
                scheduled,
                actual,
                since,
            });
        }
    }
    out.sort_by_key(|o| (o.since, o.agent));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{Break, Shift};

    fn sched() -> Schedule {
        Schedule {
            interval_min: 15,
            start_utc: 0,
            // Agent 0 works intervals 4..12 (01:00–03:00) with a break at 8.
            shifts: vec![Shift {
                agent: 0,
                local_day: 0,
                start: 4,
                len: 8,
                breaks: vec![Break {
                    start: 8,
                    len: 1,
                    kind: BreakKind::Break,
                }],
            }],
            coverage: vec![],
            requirement: vec![],
            shortfall: 0.0,
            overstaffing: 0.0,
            lower_bound: 0.0,
            hours: vec![],
            unmet_minimum: vec![],
            fill_spread: 0.0,
        }
    }

    #[test]
    fn adherence_and_conformance() {
        let s = sched();
        let h = 3600;
        // Logs in 10 minutes late, takes the break on time, logs out on time.
        let changes = vec![
            StateChange {
                agent: 0,
                at: h + 600,
                state: ActualState::Available,
            },
            StateChange {
                agent: 0,
                at: 2 * h,
                state: ActualState::Break,
            },
            StateChange {
                agent: 0,
                at: 2 * h + 900,
                state: ActualState::Busy,
            },
            StateChange {
                agent: 0,
                at: 3 * h,
                state: ActualState::Offline,
            },
        ];
        let a = &adherence(&s, 1, &changes, 0, 4 * h)[0];
        assert_eq!(a.scheduled_s, 2 * h);
        assert_eq!(a.in_adherence_s, 2 * h - 600);
        assert_eq!(a.scheduled_work_s, 2 * h - 900);
        assert_eq!(a.actual_work_s, 2 * h - 600 - 900);
        assert!((a.conformance - (6300.0 - 600.0) / 6300.0).abs() < 1e-12);
        // At 01:05 the agent is out of adherence since 01:00.
        let o = out_of_adherence(&s, 1, &changes, h + 300, 0);
        assert_eq!(
            o,
            vec![OutOfAdherence {
                agent: 0,
                scheduled: Activity::Work,
                actual: ActualState::Offline,
                since: h
            }]
        );
        assert!(out_of_adherence(&s, 1, &changes, h + 300, 600).is_empty());
        // Working through the break: out since the break began.
        let late = vec![StateChange {
            agent: 0,
            at: h,
            state: ActualState::Available,
        }];
        let o = out_of_adherence(&s, 1, &late, 2 * h + 60, 0);
        assert_eq!(o[0].since, 2 * h);
        assert_eq!(o[0].scheduled, Activity::Break);
        // Still logged in after the shift.
        let o = out_of_adherence(&s, 1, &late, 3 * h + 120, 0);
        assert_eq!((o[0].scheduled, o[0].since), (Activity::Off, 3 * h));
    }

    #[test]
    fn today_is_the_agents_local_day() {
        let s = sched();
        let h = 3600;
        let on = vec![StateChange {
            agent: 0,
            at: h,
            state: ActualState::Available,
        }];
        // The shift is 01:00–03:00 UTC on 1970-01-01: 20:00–22:00 on Dec 31 in New York.
        let ny = crate::zone::parse("America/New_York").unwrap();
        // At 04:00 UTC (23:00 in New York) the shift is part of the agent's today …
        let a = &adherence_local_day(&s, std::slice::from_ref(&ny), &on, 0, 4 * h)[0];
        assert_eq!(a.scheduled_s, 2 * h);
        // … at 06:00 UTC (01:00 on Jan 1 there) it was yesterday, though the UTC day
        // still holds it.
        let a = &adherence_local_day(&s, std::slice::from_ref(&ny), &on, 0, 6 * h)[0];
        assert_eq!(a.scheduled_s, 0);
        assert_eq!(adherence(&s, 1, &on, 0, 6 * h)[0].scheduled_s, 2 * h);
    }
}
