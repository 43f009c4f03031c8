//! Discrete-event simulation of a day or week of contacts: Poisson arrivals at forecast
//! rates, lognormal (or exponential) handle times, exponential patience, agents on duty
//! per interval from a schedule's coverage. Reports SL, ASA, abandonment and occupancy
//! per interval; the same seed gives the same run.
//!
//! The routing decisions sit behind the small [`Router`] trait. [`FifoRouter`] (first
//! come first served, longest-idle agent) is built in; an adapter over the `routing`
//! engine implements the same trait.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, LogNormal};
use serde::{Deserialize, Serialize};

/// Who handles which contact. Times are seconds from the start of the run.
pub trait Router {
    /// Agent `agent` comes on duty and is free.
    fn agent_on(&mut self, t: f64, agent: usize, out: &mut Vec<(u64, usize)>);
    /// Agent `agent` goes off duty (it is free at this moment).
    fn agent_off(&mut self, t: f64, agent: usize);
    /// A contact arrives.
    fn arrive(&mut self, t: f64, contact: u64, out: &mut Vec<(u64, usize)>);
    /// A contact's patience runs out; returns whether it was still waiting (abandoned).
    fn abandon(&mut self, t: f64, contact: u64) -> bool;
    /// Agent `agent` finished its contact; if `stays_on`, it is free for the next.
    fn finish(&mut self, t: f64, agent: usize, stays_on: bool, out: &mut Vec<(u64, usize)>);
}

/// First come, first served; the longest-idle agent answers.
#[derive(Debug, Default)]
pub struct FifoRouter {
    waiting: VecDeque<u64>,
    gone: Vec<bool>,
    free: VecDeque<usize>,
    on: Vec<bool>,
}

impl FifoRouter {
    fn mark(&mut self, contact: u64) -> &mut bool {
        let i = contact as usize;
        if self.gone.len() <= i {
            self.gone.resize(i + 1, false);
        }
        &mut self.gone[i]
    }
    fn serve(&mut self, out: &mut Vec<(u64, usize)>) {
        while !self.waiting.is_empty() && !self.free.is_empty() {
            let Some(&a) = self.free.front() else { break };
            if !self.on[a] {
                self.free.pop_front();
                continue;
            }
            let c = self.waiting.pop_front().expect("not empty");
            if self.gone.get(c as usize).copied().unwrap_or(false) {
                continue;
            }
            *self.mark(c) = true;
            self.free.pop_front();
            out.push((c, a));
        }
    }
}

impl Router for FifoRouter {
    fn agent_on(&mut self, _t: f64, agent: usize, out: &mut Vec<(u64, usize)>) {
        if self.on.len() <= agent {
            self.on.resize(agent + 1, false);
        }
        self.on[agent] = true;
        self.free.push_back(agent);
        self.serve(out);
    }
    fn agent_off(&mut self, _t: f64, agent: usize) {
        // Lazily dropped from the free list.
        self.on[agent] = false;
    }
    fn arrive(&mut self, _t: f64, contact: u64, out: &mut Vec<(u64, usize)>) {
        *self.mark(contact) = false;
        self.waiting.push_back(contact);
        self.serve(out);
    }
    fn abandon(&mut self, _t: f64, contact: u64) -> bool {
        let g = self.mark(contact);
        if *g {
            false
        } else {
            *g = true;
            true
        }
    }
    fn finish(&mut self, _t: f64, agent: usize, stays_on: bool, out: &mut Vec<(u64, usize)>) {
        if stays_on {
            self.free.push_back(agent);
            self.serve(out);
        } else {
            self.on[agent] = false;
        }
    }
}

/// Handle-time distribution.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HandleTime {
    /// Exponential with the interval's AHT as mean (the M/M/n case).
    Exponential,
    /// Lognormal with the interval's AHT as mean and this coefficient of variation.
    LogNormal {
        /// Standard deviation / mean.
        cv: f64,
    },
}

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimConfig {
    /// Interval length, minutes.
    pub interval_min: u32,
    /// Expected contacts per interval.
    pub contacts: Vec<f64>,
    /// Mean handle time per interval, seconds.
    pub aht_s: Vec<f64>,
    /// Agents on duty per interval.
    pub agents: Vec<u32>,
    /// Handle-time distribution.
    pub handle: HandleTime,
    /// Mean patience, seconds (exponential); `None`: nobody abandons.
    pub patience_s: Option<f64>,
    /// Service-level answer time, seconds.
    pub answer_s: f64,
    /// Random seed.
    pub seed: u64,
}

/// Results for one interval (contacts counted in the interval they arrived).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct IntervalResult {
    /// Contacts offered.
    pub offered: u64,
    /// Answered.
    pub answered: u64,
    /// Answered within the answer time.
    pub answered_in_time: u64,
    /// Abandoned.
    pub abandoned: u64,
    /// Total wait of answered contacts, seconds.
    pub wait_s: f64,
    /// Agent-seconds busy with contacts.
    pub busy_s: f64,
    /// Agent-seconds on duty.
    pub staffed_s: f64,
}

impl IntervalResult {
    /// Answered in time / offered (1 when nothing was offered).
    pub fn service_level(&self) -> f64 {
        if self.offered == 0 {
            1.0
        } else {
            self.answered_in_time as f64 / self.offered as f64
        }
    }
    /// Mean wait of answered contacts, seconds.
    pub fn asa_s(&self) -> f64 {
        if self.answered == 0 {
            0.0
        } else {
            self.wait_s / self.answered as f64
        }
    }
    /// Abandoned / offered.
    pub fn abandon_rate(&self) -> f64 {
        if self.offered == 0 {
            0.0
        } else {
            self.abandoned as f64 / self.offered as f64
        }
    }
    /// Busy / staffed time.
    pub fn occupancy(&self) -> f64 {
        if self.staffed_s == 0.0 {
            0.0
        } else {
            self.busy_s / self.staffed_s
        }
    }
    fn add(&mut self, o: &IntervalResult) {
        self.offered += o.offered;
        self.answered += o.answered;
        self.answered_in_time += o.answered_in_time;
        self.abandoned += o.abandoned;
        self.wait_s += o.wait_s;
        self.busy_s += o.busy_s;
        self.staffed_s += o.staffed_s;
    }
}

/// A simulation's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimResult {
    /// Per interval.
    pub intervals: Vec<IntervalResult>,
    /// All intervals together.
    pub total: IntervalResult,
}

#[derive(Clone, Copy, PartialEq)]
enum Ev {
    Boundary(usize),
    Arrival,
    Done(usize),
    Patience(u64),
}

/// A scheduled event. `key` is the time's bits (times are finite and ≥ 0, so their
/// bits order like the times) over the insertion sequence: one integer comparison
/// orders the heap by (time, sequence).
#[derive(Clone, Copy)]
struct Item {
    key: u128,
    ev: Ev,
}

impl Item {
    #[inline]
    fn new(t: f64, seq: u64, ev: Ev) -> Self {
        debug_assert!(t >= 0.0 && t.is_finite());
        // `+ 0.0` turns a -0.0 into 0.0.
        let bits = (t + 0.0).to_bits();
        Item {
            key: (u128::from(bits) << 64) | u128::from(seq),
            ev,
        }
    }
    #[inline]
    fn t(&self) -> f64 {
        f64::from_bits((self.key >> 64) as u64)
    }
}

impl PartialEq for Item {
    #[inline]
    fn eq(&self, o: &Self) -> bool {
        self.key == o.key
    }
}
impl Eq for Item {}
impl PartialOrd for Item {
    #[inline]
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Item {
    #[inline]
    fn cmp(&self, o: &Self) -> Ordering {
        // Min-heap on (time, sequence).
        o.key.cmp(&self.key)
    }
}

/// Why a simulation cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    /// Inputs disagree or are out of range.
    #[error("invalid simulation input: {0}")]
    Invalid(&'static str),
}

/// Runs a simulation through `router`.
pub fn simulate<R: Router>(cfg: &SimConfig, router: &mut R) -> Result<SimResult, SimError> {
    simulate_with_progress(cfg, router, &mut || {})
}

/// [`simulate`], calling `interval_started` as each interval begins (a progress bar).
pub fn simulate_with_progress<R: Router>(
    cfg: &SimConfig,
    router: &mut R,
    interval_started: &mut dyn FnMut(),
) -> Result<SimResult, SimError> {
    let n = cfg.contacts.len();
    if cfg.aht_s.len() != n || cfg.agents.len() != n {
        return Err(SimError::Invalid(
            "contacts, AHT and agents need one value per interval",
        ));
    }
    if cfg.interval_min == 0 {
        return Err(SimError::Invalid("interval must be > 0"));
    }
    if cfg
        .contacts
        .iter()
        .chain(&cfg.aht_s)
        .any(|x| !(x.is_finite() && *x >= 0.0))
    {
        return Err(SimError::Invalid("contacts and AHT must be finite and ≥ 0"));
    }
    if let HandleTime::LogNormal { cv } = cfg.handle
        && !(cv.is_finite() && cv > 0.0)
    {
        return Err(SimError::Invalid("handle-time CV must be > 0"));
    }
    if cfg.patience_s.is_some_and(|p| !(p.is_finite() && p > 0.0)) {
        return Err(SimError::Invalid("patience must be > 0"));
    }
    let len = f64::from(cfg.interval_min) * 60.0;
    let end = len * n as f64;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut res = vec![IntervalResult::default(); n];
    // Pending completions and patience deadlines. The next arrival and the next
    // interval boundary are always exactly one each, so they live outside the heap:
    // half the heap traffic of keeping every event in it.
    let mut heap: BinaryHeap<Item> = BinaryHeap::with_capacity(1024);
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<Item>, t: f64, ev: Ev| {
        seq += 1;
        heap.push(Item::new(t, seq, ev));
    };
    let exp1 = Exp::new(1.0).expect("rate 1");
    let sigma = match cfg.handle {
        HandleTime::LogNormal { cv } => (1.0 + cv * cv).ln().sqrt(),
        HandleTime::Exponential => 0.0,
    };
    let std_lognormal = LogNormal::new(-sigma * sigma / 2.0, sigma.max(1e-12)).expect("valid");
    let max_agents = cfg.agents.iter().copied().max().unwrap_or(0) as usize;
    let mut on_duty = vec![false; max_agents];
    let mut busy_since: Vec<Option<f64>> = vec![None; max_agents];
    let mut duty = 0usize;
    // Contact arrival times (index = contact id).
    let mut arrived: Vec<f64> = Vec::new();
    let mut out: Vec<(u64, usize)> = Vec::new();
    let mut cur = 0usize;
    let mut next_boundary = 0usize;
    let mut next_arrival: Option<f64> = None;

    let interval_of = |t: f64| ((t / len) as usize).min(n - 1);
    // Busy time split across intervals.
    let add_busy = |res: &mut [IntervalResult], from: f64, to: f64| {
        let mut t = from;
        while t < to {
            let i = ((t / len) as usize).min(n - 1);
            let e = ((i + 1) as f64 * len).min(to);
            res[i].busy_s += e - t;
            if e <= t {
                break;
            }
            t = e;
        }
    };

    loop {
        // The earliest of: the next boundary (first on a tie), the heap's head, the
        // next arrival (last on a tie).
        let boundary_t = (next_boundary < n).then_some(next_boundary as f64 * len);
        let heap_t = heap.peek().map(Item::t);
        let ev = match (boundary_t, heap_t, next_arrival) {
            (Some(b), h, a) if h.is_none_or(|h| b <= h) && a.is_none_or(|a| b <= a) => {
                next_boundary += 1;
                (b, Ev::Boundary(next_boundary - 1))
            }
            (_, Some(h), a) if a.is_none_or(|a| h <= a) => {
                let item = heap.pop().expect("peeked");
                (h, item.ev)
            }
            (_, _, Some(a)) => {
                next_arrival = None;
                (a, Ev::Arrival)
            }
            _ => break,
        };
        let (t, ev) = ev;
        if t > end && !matches!(ev, Ev::Done(_)) {
            continue;
        }
        out.clear();
        match ev {
            Ev::Boundary(i) => {
                interval_started();
                cur = i;
                let want = cfg.agents[i] as usize;
                if want > duty {
                    for a in duty..want {
                        on_duty[a] = true;
                        if busy_since[a].is_none() {
                            router.agent_on(t, a, &mut out);
                        }
                    }
                } else {
                    for a in want..duty {
                        on_duty[a] = false;
                        if busy_since[a].is_none() {
                            router.agent_off(t, a);
                        }
                    }
                }
                duty = want;
                res[i].staffed_s += duty as f64 * len;
                if next_arrival.is_none() {
                    next_arrival = next_arrival_after(cfg, &mut rng, &exp1, t, cur, len);
                }
            }
            Ev::Arrival => {
                let id = arrived.len() as u64;
                arrived.push(t);
                res[interval_of(t)].offered += 1;
                let patience = cfg.patience_s.map(|p| exp1.sample(&mut rng) * p);
                router.arrive(t, id, &mut out);
                // A contact answered on arrival cannot abandon: no timer needed.
                if let Some(patience) = patience
                    && !out.iter().any(|&(c, _)| c == id)
                {
                    push(&mut heap, t + patience, Ev::Patience(id));
                }
                next_arrival = next_arrival_after(cfg, &mut rng, &exp1, t, cur, len);
            }
            Ev::Patience(c) => {
                if router.abandon(t, c) {
                    res[interval_of(arrived[c as usize])].abandoned += 1;
                }
            }
            Ev::Done(a) => {
                if let Some(s) = busy_since[a].take() {
                    add_busy(&mut res, s, t.min(end));
                }
                router.finish(t, a, on_duty[a] && t < end, &mut out);
            }
        }
        for &(c, a) in &out {
            let at = arrived[c as usize];
            let r = &mut res[interval_of(at)];
            let wait = t - at;
            r.answered += 1;
            r.wait_s += wait;
            if wait <= cfg.answer_s {
                r.answered_in_time += 1;
            }
            let aht = cfg.aht_s[interval_of(t)].max(1e-9);
            let h = match cfg.handle {
                HandleTime::Exponential => exp1.sample(&mut rng) * aht,
                HandleTime::LogNormal { .. } => std_lognormal.sample(&mut rng) * aht,
            };
            busy_since[a] = Some(t);
            push(&mut heap, t + h, Ev::Done(a));
        }
    }
    let mut total = IntervalResult::default();
    for r in &res {
        total.add(r);
    }
    Ok(SimResult {
        intervals: res,
        total,
    })
}

/// Independent replications of one simulation: the spread across them says how far a
/// single run's service level can be trusted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replications {
    /// One result per replication, seeds `seed`, `seed + 1`, … in order.
    pub runs: Vec<SimResult>,
    /// All replications together, per interval.
    pub intervals: Vec<IntervalResult>,
    /// All replications together.
    pub total: IntervalResult,
    /// Half-width of the 95 % confidence interval of the service level across
    /// replications (Student's t; 0 with one replication).
    pub service_level_ci95: f64,
}

/// Runs `runs` replications of `cfg` with seeds `cfg.seed`, `cfg.seed + 1`, …, each
/// through its own router from `router`, spread over up to `threads` threads. The
/// result does not depend on the thread count.
pub fn simulate_replications<R, F>(
    cfg: &SimConfig,
    runs: u32,
    threads: usize,
    router: F,
) -> Result<Replications, SimError>
where
    R: Router,
    F: Fn() -> R + Sync,
{
    simulate_replications_with_progress(cfg, runs, threads, router, &|| {})
}

/// [`simulate_replications`], calling `interval_started` (from any of the threads) as
/// each interval of each replication begins: `runs × intervals` calls in all.
pub fn simulate_replications_with_progress<R, F>(
    cfg: &SimConfig,
    runs: u32,
    threads: usize,
    router: F,
    interval_started: &(dyn Fn() + Sync),
) -> Result<Replications, SimError>
where
    R: Router,
    F: Fn() -> R + Sync,
{
    if runs == 0 {
        return Err(SimError::Invalid("at least one replication"));
    }
    let threads = threads.clamp(1, runs as usize);
    let one = |k: u32| {
        let cfg = SimConfig {
            seed: cfg.seed.wrapping_add(u64::from(k)),
            ..cfg.clone()
        };
        simulate_with_progress(&cfg, &mut router(), &mut || interval_started())
    };
    // Thread t runs replications t, t + threads, …; results go back in seed order.
    let mut slots: Vec<Option<Result<SimResult, SimError>>> = vec![None; runs as usize];
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let one = &one;
                scope.spawn(move || {
                    (t as u32..runs)
                        .step_by(threads)
                        .map(|k| (k, one(k)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            for (k, r) in h.join().expect("a replication panicked") {
                slots[k as usize] = Some(r);
            }
        }
    });
    let runs: Vec<SimResult> = slots
        .into_iter()
        .map(|r| r.expect("every replication ran"))
        .collect::<Result<_, _>>()?;
    let mut intervals = vec![IntervalResult::default(); cfg.contacts.len()];
    let mut total = IntervalResult::default();
    for r in &runs {
        for (sum, i) in intervals.iter_mut().zip(&r.intervals) {
            sum.add(i);
        }
        total.add(&r.total);
    }
    let sls: Vec<f64> = runs.iter().map(|r| r.total.service_level()).collect();
    Ok(Replications {
        runs,
        intervals,
        total,
        service_level_ci95: ci95_half_width(&sls),
    })
}

/// Half-width of a 95 % confidence interval of the mean of `xs` (Student's t).
fn ci95_half_width(xs: &[f64]) -> f64 {
    let n = xs.len();
    if n < 2 {
        return 0.0;
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    // Two-sided 97.5 % quantiles of Student's t for 1–30 degrees of freedom; the
    // normal 1.96 beyond.
    const T975: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    let t = T975.get(n - 2).copied().unwrap_or(1.96);
    t * (var / n as f64).sqrt()
}

/// The next arrival of a piecewise-constant Poisson process after `t`, if one comes
/// before the end.
fn next_arrival_after(
    cfg: &SimConfig,
    rng: &mut ChaCha8Rng,
    exp1: &Exp<f64>,
    t: f64,
    cur: usize,
    len: f64,
) -> Option<f64> {
    let n = cfg.contacts.len();
    let mut t = t;
    let mut i = cur.max(((t / len) as usize).min(n - 1));
    // Memoryless: draw Exp(1) work and spend it across intervals at their rates.
    let mut work = exp1.sample(rng);
    while i < n {
        let rate = cfg.contacts[i] / len;
        let end_i = (i + 1) as f64 * len;
        let avail = (end_i - t) * rate;
        if rate > 0.0 && work <= avail {
            return Some(t + work / rate);
        }
        work -= avail.max(0.0);
        t = end_i;
        i += 1;
    }
    None
}

/// Checks any [`Router`] against the queueing formulas (shared by the built-in router's
/// tests and the routing engine's).
#[cfg(test)]
pub(crate) mod checks {
    use super::*;
    use crate::erlang::{erlang_a_metrics, erlang_c_metrics};

    /// 12 half-hours of `contacts` each on `agents` agents, 180 s exponential handle
    /// times; the first hour (an empty start) left out.
    pub(crate) fn steady<R: Router>(
        router: &mut R,
        agents: u32,
        contacts: f64,
        patience_s: Option<f64>,
        seed: u64,
    ) -> IntervalResult {
        let cfg = SimConfig {
            interval_min: 30,
            contacts: vec![contacts; 12],
            aht_s: vec![180.0; 12],
            agents: vec![agents; 12],
            handle: HandleTime::Exponential,
            patience_s,
            answer_s: 20.0,
            seed,
        };
        let r = simulate(&cfg, router).unwrap();
        let mut t = IntervalResult::default();
        for i in &r.intervals[2..] {
            t.add(i);
        }
        t
    }

    /// 10 Erlangs on 14 agents (Erlang C: SL 88.84 %, ASA 7.84 s), mean of 20 seeds.
    pub(crate) fn against_erlang_c<R: Router>(router: impl Fn() -> R) {
        let c = erlang_c_metrics(14, 10.0, 180.0, 20.0);
        let (mut sl, mut asa, mut occ) = (0.0, 0.0, 0.0);
        let runs = 20;
        for seed in 0..runs {
            let t = steady(&mut router(), 14, 100.0, None, seed);
            sl += t.service_level();
            asa += t.asa_s();
            occ += t.occupancy();
        }
        let k = runs as f64;
        let (sl, asa, occ) = (sl / k, asa / k, occ / k);
        assert!(
            (sl - c.service_level).abs() < 0.01,
            "SL {sl} vs {}",
            c.service_level
        );
        assert!((asa - c.asa_s).abs() < 3.0, "ASA {asa} vs {}", c.asa_s);
        assert!(
            (occ - c.occupancy).abs() < 0.01,
            "occupancy {occ} vs {}",
            c.occupancy
        );
    }

    /// 10 Erlangs on 10 agents with 60 s mean patience (heavy abandonment) against
    /// Erlang A, mean of 20 seeds.
    pub(crate) fn against_erlang_a<R: Router>(router: impl Fn() -> R) {
        let a = erlang_a_metrics(10, 100.0 / 1800.0, 180.0, 60.0, 20.0);
        let (mut sl, mut ab) = (0.0, 0.0);
        let runs = 20;
        for seed in 0..runs {
            let t = steady(&mut router(), 10, 100.0, Some(60.0), seed);
            sl += t.service_level();
            ab += t.abandon_rate();
        }
        let k = runs as f64;
        let (sl, ab) = (sl / k, ab / k);
        assert!(
            (sl - a.service_level).abs() < 0.015,
            "SL {sl} vs {}",
            a.service_level
        );
        assert!(
            (ab - a.abandon_rate).abs() < 0.01,
            "abandoned {ab} vs {}",
            a.abandon_rate
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(n_agents: u32, contacts: f64, patience: Option<f64>, seed: u64) -> SimResult {
        // 12 half-hours at a constant load.
        let cfg = SimConfig {
            interval_min: 30,
            contacts: vec![contacts; 12],
            aht_s: vec![180.0; 12],
            agents: vec![n_agents; 12],
            handle: HandleTime::Exponential,
            patience_s: patience,
            answer_s: 20.0,
            seed,
        };
        simulate(&cfg, &mut FifoRouter::default()).unwrap()
    }

    #[test]
    fn events_order_by_time_then_sequence() {
        let mut heap = BinaryHeap::new();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let exp1: Exp<f64> = Exp::new(1.0).unwrap();
        let mut all = Vec::new();
        for seq in 0..10_000u64 {
            // Whole seconds: many ties in time, broken by sequence.
            let t = (exp1.sample(&mut rng) * 10.0).floor();
            heap.push(Item::new(t, seq, Ev::Arrival));
            all.push((t, seq));
        }
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (t, seq) in all {
            let i = heap.pop().unwrap();
            assert_eq!((i.t(), i.key as u64), (t, seq));
        }
    }

    #[test]
    fn matches_erlang_c() {
        checks::against_erlang_c(FifoRouter::default);
        // Reproducible by seed.
        assert_eq!(run(14, 100.0, None, 7), run(14, 100.0, None, 7));
    }

    #[test]
    fn replications_do_not_depend_on_threads() {
        let cfg = SimConfig {
            interval_min: 30,
            contacts: vec![100.0; 6],
            aht_s: vec![180.0; 6],
            agents: vec![12; 6],
            handle: HandleTime::LogNormal { cv: 0.8 },
            patience_s: Some(90.0),
            answer_s: 20.0,
            seed: 11,
        };
        let one = simulate_replications(&cfg, 5, 1, FifoRouter::default).unwrap();
        let three = simulate_replications(&cfg, 5, 3, FifoRouter::default).unwrap();
        assert_eq!(one, three);
        assert_eq!(one.runs.len(), 5);
        // Run k is the plain simulation with seed 11 + k.
        let cfg3 = SimConfig {
            seed: 14,
            ..cfg.clone()
        };
        assert_eq!(
            one.runs[3],
            simulate(&cfg3, &mut FifoRouter::default()).unwrap()
        );
        let offered: u64 = one.runs.iter().map(|r| r.total.offered).sum();
        assert_eq!(one.total.offered, offered);
        assert!(one.service_level_ci95 > 0.0 && one.service_level_ci95 < 0.2);
        assert!(simulate_replications(&cfg, 0, 1, FifoRouter::default).is_err());
    }

    #[test]
    fn ci_half_width() {
        assert_eq!(ci95_half_width(&[0.8]), 0.0);
        // Two values 0.7 and 0.9: s = 0.1414, t(1) = 12.706 → 12.706 · 0.1.
        assert!((ci95_half_width(&[0.7, 0.9]) - 1.2706).abs() < 1e-3);
    }

    #[test]
    fn matches_erlang_a() {
        checks::against_erlang_a(FifoRouter::default);
    }
}
