//! A slow, independent audit of the engine's invariants, for tests and debugging.
use super::Engine;
use super::sorted::SortedDeque;
use super::state::{CState, Phase, TimerKind, agent_key};
use crate::expr::Expr;
use crate::ids::{AgentId, ContactId};
use crate::model::{Channel, Presence};
use std::collections::BTreeSet;

impl Engine {
    /// Checks every invariant the engine relies on or promises, against the reference
    /// semantics rather than the indexes:
    ///
    /// * no agent holds more than its capacity or breaks a cross-channel rule (unless
    ///   their capacity was lowered while they held contacts);
    /// * every held contact is held by exactly one agent, and loads match;
    /// * every index (groups, availability, waiting sets, timers, queue counts) equals
    ///   what a recomputation from scratch gives;
    /// * work conservation: no waiting contact has a free agent who qualifies for it
    ///   (by evaluating the step's expression directly) and is not kept from it by a
    ///   decline whose cool-off has not expired;
    /// * each waiting contact has a timer for the end of its earliest decline cool-off.
    ///
    /// O(contacts × agents): meant for tests, not for production paths.
    pub fn check_consistency(&self) -> Result<(), String> {
        let st = &self.state;
        let mut errors = Vec::new();
        let mut err = |e: String| {
            if errors.len() < 20 {
                errors.push(e)
            }
        };

        // Agents: loads, capacity, indexes.
        for (a, ag) in st.agents.iter() {
            let mut load = [0u8; Channel::COUNT];
            for &c in &ag.held {
                match st.contacts.get(c) {
                    Some(ct) if ct.state.agent() == Some(a) => load[ct.channel.index()] += 1,
                    _ => err(format!("{} holds a contact that is not theirs", ag.id)),
                }
            }
            if load != ag.load {
                err(format!(
                    "{}: load {:?} but holds {:?}",
                    ag.id, ag.load, load
                ));
            }
            let mut blocked = 0u8;
            for ch in 0..Channel::COUNT {
                if load[ch] > ag.limits[ch] {
                    err(format!("{} over capacity on {}", ag.id, Channel::ALL[ch]));
                }
                if load[ch] > 0 {
                    blocked |= ag.block[ch];
                }
            }
            for ch in 0..Channel::COUNT {
                if load[ch] > 0 && blocked & (1 << ch) != 0 {
                    err(format!(
                        "{} breaks a cross-channel rule on {}",
                        ag.id,
                        Channel::ALL[ch]
                    ));
                }
            }
            if ag.load_total() > ag.max_total {
                err(format!("{} over total capacity", ag.id));
            }
            if ag.indexed.free != ag.free_mask()
                || ag.indexed.ready_since != ag.ready_since
                || ag.indexed.load_total != ag.load_total()
            {
                err(format!("{}: stale index entry", ag.id));
            }
            let mut mine: Vec<u32> = ag.groups.iter().map(|m| m.group).collect();
            mine.sort_unstable();
            let expected: Vec<u32> = st
                .groups
                .iter()
                .filter(|(_, g)| g.expr.eval(&ag.skills))
                .map(|(gi, _)| gi)
                .collect();
            if mine != expected {
                err(format!("{}: groups {mine:?}, expected {expected:?}", ag.id));
            }
        }

        // Groups: availability sets.
        for (gi, g) in st.groups.iter() {
            let mut members = 0;
            let mut free_agents = 0;
            let mut avail: [BTreeSet<(u64, u64, u32)>; Channel::COUNT] = Default::default();
            for (a, ag) in st.agents.iter() {
                if let Some(m) = ag.groups.iter().find(|m| m.group == gi) {
                    members += 1;
                    if ag.indexed.free != 0 {
                        free_agents += 1;
                    }
                    for (ch, set) in avail.iter_mut().enumerate() {
                        if ag.indexed.free & g.channels & (1 << ch) != 0 {
                            set.insert(agent_key(g.selection, m.score, &ag.indexed, a));
                        }
                    }
                }
            }
            for ch in 0..Channel::COUNT {
                if !g.waiting[ch].is_empty() && g.channels & (1 << ch) == 0 {
                    err(format!("group {gi}: contacts wait on an unindexed channel"));
                }
            }
            let same = avail
                .iter()
                .zip(&g.avail)
                .all(|(want, have)| want.iter().eq(have.iter()));
            if members != g.members || free_agents != g.free_agents || !same {
                err(format!(
                    "group {gi}: availability index differs from a recomputation"
                ));
            }
        }

        // Contacts: placement, timers, counts.
        let mut timers = BTreeSet::new();
        let mut waiting_entries = 0usize;
        let mut per_queue = vec![(0u32, 0u32, 0usize); st.queues.bound()];
        for (c, ct) in st.contacts.iter() {
            let q = &mut per_queue[ct.queue as usize];
            q.0 += 1;
            let ch = ct.channel.index();
            match ct.state {
                CState::Limbo => err(format!("{} left in limbo", ct.id)),
                CState::Waiting(w) => {
                    q.2 += 1;
                    waiting_entries += 1;
                    let key = (w.rank, ct.seq, c);
                    let placed = match ct.phase {
                        Phase::Preferred(a) => st
                            .agents
                            .get(a)
                            .is_some_and(|ag| ag.preferred.contains(&(ch as u8, key))),
                        Phase::Step(_) => st
                            .groups
                            .get(w.group)
                            .is_some_and(|g| g.waiting[ch].contains(&key)),
                    };
                    if !placed {
                        err(format!("{} waiting but not in its waiting set", ct.id));
                    }
                    if !st.queues[ct.queue]
                        .waiting
                        .contains(&(ct.queue_entered_at, ct.seq, c))
                    {
                        err(format!("{} missing from its queue's order", ct.id));
                    }
                    if !st.queues[ct.queue].line.contains(&key) {
                        err(format!("{} missing from its queue's line", ct.id));
                    }
                    // One entry: the earlier deadline (the step's on a tie).
                    let mut due = w.phase_deadline.map(|t| (t, TimerKind::Phase, c));
                    if let Some(t) = w.max_wait_deadline
                        && due.is_none_or(|d| t < d.0)
                    {
                        due = Some((t, TimerKind::MaxWait, c));
                    }
                    timers.extend(due);
                    // And one for the earliest decline cool-off to end.
                    let cooloff = st.queues[ct.queue].config.decline_cooloff;
                    let decline = ct
                        .declined_by
                        .iter()
                        .map(|d| d.at)
                        .min()
                        .map(|t| t + cooloff);
                    if decline != w.decline_deadline {
                        err(format!("{}: stale decline deadline", ct.id));
                    }
                    timers.extend(decline.map(|t| (t, TimerKind::Decline, c)));
                }
                CState::Offered { agent, expires_at } => {
                    q.1 += 1;
                    timers.insert((expires_at, TimerKind::Offer, c));
                    if !st.agents.get(agent).is_some_and(|ag| ag.held.contains(&c)) {
                        err(format!(
                            "{} offered to an agent who does not hold it",
                            ct.id
                        ));
                    }
                }
                CState::Active { agent, .. } | CState::WrapUp { agent, .. } => {
                    if let CState::WrapUp { until: Some(t), .. } = ct.state {
                        timers.insert((t, TimerKind::WrapUp, c));
                    }
                    if !st.agents.get(agent).is_some_and(|ag| ag.held.contains(&c)) {
                        err(format!(
                            "{} assigned to an agent who does not hold it",
                            ct.id
                        ));
                    }
                }
            }
            for (i, d) in ct.declined_by.iter().enumerate() {
                if ct.declined_by[..i].iter().any(|e| e.agent == d.agent) {
                    err(format!("{} declined twice by {}", ct.id, d.agent));
                }
            }
            let holders = st
                .agents
                .iter()
                .filter(|(_, ag)| ag.held.contains(&c))
                .count();
            if holders > 1 {
                err(format!("{} held by {holders} agents", ct.id));
            }
        }
        let live = st.live_timers();
        if st.timers.first() != live.first().copied() {
            err("the earliest timer entry is stale".into());
        }
        if timers.into_iter().collect::<Vec<_>>() != live {
            err("timer set differs from a recomputation".into());
        }
        let indexed_waiting: usize = st
            .groups
            .iter()
            .map(|(_, g)| g.waiting.iter().map(SortedDeque::len).sum::<usize>())
            .sum::<usize>()
            + st.agents
                .iter()
                .map(|(_, a)| a.preferred.len())
                .sum::<usize>();
        if indexed_waiting != waiting_entries {
            err(format!(
                "{indexed_waiting} waiting-set entries for {waiting_entries} waiting contacts"
            ));
        }
        for (qi, q) in st.queues.iter() {
            let (contacts, offered, waiting) = per_queue[qi as usize];
            if q.contacts != contacts
                || q.offered != offered
                || q.waiting.len() != waiting
                || q.line.len() != waiting
            {
                err(format!("{}: counts differ from a recomputation", q.id));
            }
        }

        // Work conservation, by the reference semantics.
        for (contact, agent) in self.idle_qualified(true)? {
            err(format!(
                "{contact} waits while {agent} is free and qualifies (work conservation)"
            ));
        }

        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("\n"))
        }
    }

    /// Every (waiting contact, available agent with room on its channel who qualifies
    /// for it), by evaluating the step's expression directly. With `honour_declines`,
    /// agents the contact is kept from by an unexpired decline do not count.
    /// O(contacts × agents).
    pub(crate) fn idle_qualified(
        &self,
        honour_declines: bool,
    ) -> Result<Vec<(ContactId, AgentId)>, String> {
        let st = &self.state;
        let mut found = Vec::new();
        for (_, ct) in st.contacts.iter() {
            if !matches!(ct.state, CState::Waiting(_)) {
                continue;
            }
            let queue = &st.queues[ct.queue];
            let target = match ct.phase {
                Phase::Step(k) => Some(
                    Expr::parse(&queue.config.steps[k as usize].target)
                        .map_err(|e| e.to_string())?,
                ),
                Phase::Preferred(_) => None,
            };
            for (a, ag) in st.agents.iter() {
                if ag.presence != Presence::Available
                    || ag.free_mask() & ct.channel.bit() == 0
                    || (honour_declines && ct.declined(ag.id))
                {
                    continue;
                }
                let qualifies = match (&target, ct.phase) {
                    (Some(expr), _) => expr.matches(&ag.config.skills, &ct.view()),
                    (None, Phase::Preferred(p)) => p == a,
                    (None, _) => false,
                };
                if qualifies {
                    found.push((ct.id, ag.id));
                }
            }
        }
        Ok(found)
    }
}
