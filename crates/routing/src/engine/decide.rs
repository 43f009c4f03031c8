//! Commands → events: validation, timers, and the routing pass.
//!
//! Nothing here mutates the state directly: every change is an event passed to
//! `State::apply` through [`Engine::emit`].
use super::Engine;
use super::state::{CState, NONE, Phase, TimerKind};
use crate::command::{Command, CommandError, NewContact};
use crate::event::{DeclineReason, Event, EventKind, Explanation, MatchedRule, Trigger};
use crate::expr::Expr;
use crate::ids::{AgentId, ContactId, QueueId, Timestamp};
use crate::model::{AgentConfig, Channel, Presence, QueueConfig, TransferTarget};
use std::cmp::Reverse;

/// A contact to route: (rank, seq, contact, nominating agent or NONE, heads compared).
pub(crate) type Candidate = Reverse<(u64, u64, u32, u32, u32)>;

struct Choice {
    agent: u32,
    qualified: u32,
    group: u32,
}

fn valid_skill_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl Engine {
    pub(super) fn emit(&mut self, at: Timestamp, kind: EventKind, out: &mut Vec<Event>) {
        let ev = Event { at, kind };
        match self.state.apply(&ev, &mut self.dirty) {
            Ok(()) => out.push(ev),
            // Commands are validated before they emit, so this is a bug in the engine;
            // the event is dropped (apply changed nothing) rather than crash a server.
            Err(e) => debug_assert!(false, "emitted an event that does not apply: {e}: {ev:?}"),
        }
    }

    fn contact_handle(&self, id: ContactId) -> Result<u32, CommandError> {
        self.state
            .contact_idx(id)
            .ok_or(CommandError::UnknownContact(id))
    }
    fn agent_handle(&self, id: AgentId) -> Result<u32, CommandError> {
        self.state
            .agent_idx(id)
            .ok_or(CommandError::UnknownAgent(id))
    }
    fn queue(&self, id: QueueId) -> Result<u32, CommandError> {
        self.state
            .queue_idx(id)
            .ok_or(CommandError::UnknownQueue(id))
    }
    fn wrong_state(&self, c: u32, action: &'static str, needs: &'static str) -> CommandError {
        let ct = &self.state.contacts[c];
        CommandError::InvalidContactState {
            contact: ct.id,
            state: ct.state.name(),
            action,
            needs,
        }
    }

    fn validate_queue(&self, queue: QueueId, config: &QueueConfig) -> Result<(), CommandError> {
        if config.steps.is_empty() {
            return Err(CommandError::InvalidConfig(
                "a routing policy needs at least one step".into(),
            ));
        }
        for (step, s) in config.steps.iter().enumerate() {
            Expr::parse(&s.target).map_err(|error| CommandError::InvalidTarget { step, error })?;
            if s.timeout == Some(crate::Millis(0)) {
                return Err(CommandError::InvalidConfig(format!(
                    "step {step}: a timeout must be positive"
                )));
            }
        }
        if config.max_wait == Some(crate::Millis(0)) {
            return Err(CommandError::InvalidConfig(
                "max_wait must be positive".into(),
            ));
        }
        if config.offer_timeout.0 == 0 {
            return Err(CommandError::InvalidConfig(
                "offer_timeout must be positive".into(),
            ));
        }
        if config.decline_cooloff.0 == 0 {
            return Err(CommandError::InvalidConfig(
                "decline_cooloff must be positive".into(),
            ));
        }
        if config.service_level.percent > 100 {
            return Err(CommandError::InvalidConfig(
                "service_level.percent is 0 to 100".into(),
            ));
        }
        if let Some(o) = config.overflow {
            if o == queue {
                return Err(CommandError::InvalidConfig(
                    "a queue cannot overflow into itself".into(),
                ));
            }
            self.queue(o)?;
        }
        Ok(())
    }

    fn validate_agent(config: &AgentConfig) -> Result<(), CommandError> {
        for (name, &level) in &config.skills {
            if !valid_skill_name(name) {
                return Err(CommandError::InvalidConfig(format!(
                    "skill name {name:?}: use letters, digits, `_` and `-`, starting with a letter"
                )));
            }
            if !(1..=5).contains(&level) {
                return Err(CommandError::InvalidConfig(format!(
                    "skill {name}: level {level} is outside 1 to 5"
                )));
            }
        }
        Ok(())
    }

    /// Validates `command` and emits its events (not yet routed).
    pub(super) fn command(
        &mut self,
        now: Timestamp,
        command: Command,
        out: &mut Vec<Event>,
    ) -> Result<(), CommandError> {
        use EventKind as E;
        match command {
            Command::ConfigureQueue { queue, config } => {
                self.validate_queue(queue, &config)?;
                if let Some(q) = self.state.queue_idx(queue)
                    && self.state.queues[q].config == config
                {
                    return Ok(());
                }
                self.emit(now, E::QueueConfigured { queue, config }, out);
            }
            Command::RemoveQueue { queue } => {
                let q = self.queue(queue)?;
                if self.state.queues[q].contacts > 0 {
                    return Err(CommandError::QueueInUse(queue, "it holds contacts".into()));
                }
                if let Some((_, other)) = self
                    .state
                    .queues
                    .iter()
                    .find(|(_, o)| o.config.overflow == Some(queue))
                {
                    return Err(CommandError::QueueInUse(
                        queue,
                        format!("{} overflows into it", other.id),
                    ));
                }
                self.emit(now, E::QueueRemoved { queue }, out);
            }
            Command::SetQueueOpen { queue, open } => {
                let q = self.queue(queue)?;
                if self.state.queues[q].open != open {
                    self.emit(now, E::QueueOpenChanged { queue, open }, out);
                }
            }
            Command::ConfigureAgent { agent, config } => {
                Self::validate_agent(&config)?;
                if let Some(a) = self.state.agent_idx(agent)
                    && self.state.agents[a].config == config
                {
                    return Ok(());
                }
                self.emit(now, E::AgentConfigured { agent, config }, out);
            }
            Command::RemoveAgent { agent } => {
                let a = self.agent_handle(agent)?;
                if !self.state.agents[a].held.is_empty() {
                    return Err(CommandError::AgentBusy(agent));
                }
                self.emit(now, E::AgentRemoved { agent }, out);
            }
            Command::SetPresence { agent, presence } => {
                let a = self.agent_handle(agent)?;
                if presence == Presence::Missed {
                    return Err(CommandError::PresenceNotSettable);
                }
                if self.state.agents[a].presence != presence {
                    self.change_presence(now, a, presence, out);
                }
            }
            Command::Enqueue(NewContact {
                contact,
                queue,
                channel,
                priority,
                attributes,
                preferred_agent,
                waiting_since,
            }) => {
                let q = self.queue(queue)?;
                if !self.state.queues[q].open {
                    return Err(CommandError::QueueClosed(queue));
                }
                if self.state.contact_idx(contact).is_some() {
                    return Err(CommandError::DuplicateContact(contact));
                }
                let preferred_agent =
                    preferred_agent.filter(|p| self.state.agent_idx(p.agent).is_some());
                self.emit(
                    now,
                    E::ContactEnqueued {
                        contact,
                        queue,
                        channel,
                        priority,
                        attributes,
                        preferred_agent,
                        waiting_since: waiting_since.filter(|t| *t < now),
                    },
                    out,
                );
            }
            Command::Accept { contact, agent } | Command::Reject { contact, agent } => {
                let accept = matches!(command, Command::Accept { .. });
                let c = self.contact_handle(contact)?;
                let a = self.agent_handle(agent)?;
                match self.state.contacts[c].state {
                    CState::Offered { agent: x, .. } if x == a => {}
                    CState::Offered { .. } => {
                        return Err(CommandError::NotOffered { contact, agent });
                    }
                    _ => {
                        return Err(self.wrong_state(
                            c,
                            if accept { "accept" } else { "reject" },
                            "offered",
                        ));
                    }
                }
                if accept {
                    self.emit(now, E::OfferAccepted { contact, agent }, out);
                } else {
                    let reason = DeclineReason::Rejected;
                    self.emit(
                        now,
                        E::OfferDeclined {
                            contact,
                            agent,
                            reason,
                        },
                        out,
                    );
                    self.expire_declines(now, c, out);
                    self.after_miss(now, a, out);
                }
            }
            Command::Complete { contact } => {
                let c = self.contact_handle(contact)?;
                let ct = &self.state.contacts[c];
                let CState::Active { agent, .. } = ct.state else {
                    return Err(self.wrong_state(c, "complete", "active"));
                };
                let acw = self.state.queues[ct.queue].config.after_contact_work;
                let kind = E::ContactCompleted {
                    contact,
                    agent: self.state.agents[agent].id,
                    after_contact_work_until: acw.map(|d| now + d),
                };
                self.emit(now, kind, out);
            }
            Command::WrapUp { contact, code } => {
                let c = self.contact_handle(contact)?;
                let CState::WrapUp { agent, .. } = self.state.contacts[c].state else {
                    return Err(self.wrong_state(c, "wrap up", "in wrap-up"));
                };
                let agent = self.state.agents[agent].id;
                let kind = E::ContactWrappedUp {
                    contact,
                    agent,
                    code,
                    timed_out: false,
                };
                self.emit(now, kind, out);
            }
            Command::Transfer { contact, to } => {
                let c = self.contact_handle(contact)?;
                match to {
                    TransferTarget::Queue(q) => {
                        if !self.state.queues[self.queue(q)?].open {
                            return Err(CommandError::QueueClosed(q));
                        }
                    }
                    TransferTarget::Agent(a) => {
                        self.agent_handle(a)?;
                    }
                }
                let from_agent = match self.state.contacts[c].state {
                    CState::Waiting(_) => None,
                    CState::Active { agent, .. } => Some(self.state.agents[agent].id),
                    _ => return Err(self.wrong_state(c, "transfer", "waiting or active")),
                };
                let kind = E::ContactTransferred {
                    contact,
                    from_agent,
                    to,
                };
                self.emit(now, kind, out);
            }
            Command::Requeue { contact } => {
                let c = self.contact_handle(contact)?;
                let CState::Active { agent, .. } = self.state.contacts[c].state else {
                    return Err(self.wrong_state(c, "requeue", "active"));
                };
                let agent = self.state.agents[agent].id;
                self.emit(now, E::ContactRequeued { contact, agent }, out);
                self.expire_declines(now, c, out);
            }
            Command::SetPriority { contact, priority } => {
                let c = self.contact_handle(contact)?;
                if self.state.contacts[c].priority != priority {
                    self.emit(now, E::ContactPriorityChanged { contact, priority }, out);
                }
            }
            Command::Abandon { contact } => {
                let c = self.contact_handle(contact)?;
                let ct = &self.state.contacts[c];
                if !matches!(ct.state, CState::Waiting(_) | CState::Offered { .. }) {
                    return Err(self.wrong_state(c, "abandon", "waiting or offered"));
                }
                let queue = self.state.queues[ct.queue].id;
                self.emit(now, E::ContactAbandoned { contact, queue }, out);
            }
            Command::Tick => self.fire_timers(now, out),
            Command::Reroute => {
                for (c, ct) in self.state.contacts.iter() {
                    if matches!(ct.state, CState::Waiting(_)) {
                        self.dirty.contacts.push(c);
                    }
                }
            }
        }
        Ok(())
    }

    /// Sets a presence; leaving `Available` first withdraws pending offers.
    fn change_presence(
        &mut self,
        now: Timestamp,
        a: u32,
        presence: Presence,
        out: &mut Vec<Event>,
    ) {
        let agent = self.state.agents[a].id;
        if presence != Presence::Available {
            let offered: Vec<u32> = self.state.agents[a]
                .held
                .iter()
                .copied()
                .filter(|&c| matches!(self.state.contacts[c].state, CState::Offered { .. }))
                .collect();
            for c in offered {
                let contact = self.state.contacts[c].id;
                let reason = DeclineReason::Withdrawn;
                self.emit(
                    now,
                    EventKind::OfferDeclined {
                        contact,
                        agent,
                        reason,
                    },
                    out,
                );
                self.expire_declines(now, c, out);
            }
        }
        self.emit(
            now,
            EventKind::AgentPresenceChanged { agent, presence },
            out,
        );
    }

    /// After a missed offer: too many in a row → presence `Missed`.
    fn after_miss(&mut self, now: Timestamp, a: u32, out: &mut Vec<Event>) {
        let Some(limit) = self.settings.missed_after else {
            return;
        };
        let agent = &self.state.agents[a];
        let misses = if self.settings.rejections_count_as_misses {
            agent.unanswered
        } else {
            agent.timeouts
        };
        if misses >= limit.max(1) && agent.presence == Presence::Available {
            self.change_presence(now, a, Presence::Missed, out);
        }
    }

    /// Ends every decline of waiting contact `c` whose cool-off is over at `now`: those
    /// due while it waits (its decline timer), and those that ran out while it was
    /// offered or handled, as it comes back to its queue.
    fn expire_declines(&mut self, now: Timestamp, c: u32, out: &mut Vec<Event>) {
        loop {
            let Some(ct) = self.state.contacts.get(c) else {
                return;
            };
            if !matches!(ct.state, CState::Waiting(_)) {
                return;
            }
            let cooloff = self.state.queues[ct.queue].config.decline_cooloff;
            let Some(d) = ct.declined_by.iter().find(|d| d.at + cooloff <= now) else {
                return;
            };
            let kind = EventKind::DeclineExpired {
                contact: ct.id,
                agent: d.agent,
            };
            let before = ct.declined_by.len();
            self.emit(now, kind, out);
            if self.state.contacts[c].declined_by.len() == before {
                return; // did not apply (a bug, asserted in `emit`)
            }
        }
    }

    fn fire_timers(&mut self, now: Timestamp, out: &mut Vec<Event>) {
        use EventKind as E;
        while let Some((at, kind, c)) = self.state.timers.first() {
            if at > now {
                break;
            }
            let ct = &self.state.contacts[c];
            let contact = ct.id;
            match (kind, ct.state) {
                (TimerKind::Offer, CState::Offered { agent: a, .. }) => {
                    let agent = self.state.agents[a].id;
                    let reason = DeclineReason::TimedOut;
                    self.emit(
                        now,
                        E::OfferDeclined {
                            contact,
                            agent,
                            reason,
                        },
                        out,
                    );
                    self.after_miss(now, a, out);
                }
                (TimerKind::Phase, CState::Waiting(_)) => {
                    let step = match ct.phase {
                        Phase::Preferred(_) => 0,
                        Phase::Step(k) => k + 1,
                    };
                    self.emit(now, E::ContactStepChanged { contact, step }, out);
                }
                (TimerKind::MaxWait, CState::Waiting(_)) => {
                    let queue = &self.state.queues[ct.queue];
                    let from = queue.id;
                    let kind = match queue.config.overflow {
                        Some(to) if self.state.queue_idx(to).is_some() => {
                            E::ContactOverflowed { contact, from, to }
                        }
                        _ => E::ContactExpired {
                            contact,
                            queue: from,
                        },
                    };
                    self.emit(now, kind, out);
                }
                (TimerKind::WrapUp, CState::WrapUp { agent: a, .. }) => {
                    let agent = self.state.agents[a].id;
                    let kind = E::ContactWrappedUp {
                        contact,
                        agent,
                        code: None,
                        timed_out: true,
                    };
                    self.emit(now, kind, out);
                }
                (TimerKind::Decline, CState::Waiting(_)) => self.expire_declines(now, c, out),
                _ => {}
            }
            if self.state.timers.first() == Some((at, kind, c)) {
                debug_assert!(false, "timer {kind:?} for {contact} did not clear");
                break;
            }
        }
    }

    // ----- the routing pass -------------------------------------------------------------

    fn waiting_key(&self, c: u32) -> Option<(u64, u64)> {
        let ct = self.state.contacts.get(c)?;
        match ct.state {
            CState::Waiting(w) => Some((w.rank, ct.seq)),
            _ => None,
        }
    }

    /// The best free agent for a waiting contact.
    fn best_agent(&self, c: u32) -> Option<Choice> {
        let st = &self.state;
        let ct = &st.contacts[c];
        let CState::Waiting(w) = ct.state else {
            return None;
        };
        let ch = ct.channel.index();
        match ct.phase {
            Phase::Preferred(a) => {
                let agent = &st.agents[a];
                (agent.indexed.free & (1 << ch) != 0 && !ct.declined(agent.id)).then_some(Choice {
                    agent: a,
                    qualified: 1,
                    group: NONE,
                })
            }
            Phase::Step(_) => {
                let set = &st.groups[w.group].avail[ch];
                set.iter()
                    .map(|k| k.2)
                    .find(|&a| ct.declined_by.is_empty() || !ct.declined(st.agents[a].id))
                    .map(|agent| Choice {
                        agent,
                        qualified: set.len() as u32,
                        group: w.group,
                    })
            }
        }
    }

    /// The first contact in line among those a free agent qualifies for, and how many
    /// queue heads were compared.
    fn best_contact(&self, a: u32) -> Option<((u64, u64, u32), u32)> {
        let st = &self.state;
        let agent = st.agents.get(a)?;
        let free = agent.indexed.free;
        if free == 0 {
            return None;
        }
        let mut best: Option<(u64, u64, u32)> = None;
        let mut considered = 0;
        for ch in 0..Channel::COUNT {
            if free & (1 << ch) == 0 {
                continue;
            }
            let mut consider = |k: (u64, u64, u32)| {
                considered += 1;
                if best.is_none_or(|b| k < b) {
                    best = Some(k);
                }
            };
            // Nobody who declined a contact waits in their own preferred set.
            if let Some(&(_, k)) = agent
                .preferred
                .iter()
                .find(|e| usize::from(e.0) >= ch)
                .filter(|e| usize::from(e.0) == ch)
            {
                consider(k);
            }
            for m in &agent.groups {
                let g = &st.groups[m.group];
                // A channel no contact ever waited on in this group has none waiting.
                if g.channels & (1 << ch) == 0 {
                    continue;
                }
                let head = g.waiting[ch]
                    .iter()
                    .find(|k| !st.contacts[k.2].declined(agent.id));
                if let Some(&k) = head {
                    consider(k);
                }
            }
        }
        best.map(|b| (b, considered))
    }

    fn nominate(&self, a: u32, heap: &mut std::collections::BinaryHeap<Candidate>) {
        if let Some(((rank, seq, c), considered)) = self.best_contact(a) {
            heap.push(Reverse((rank, seq, c, a, considered)));
        }
    }

    /// Matches what the last events made routable, best contact first.
    ///
    /// Dirty contacts enter the heap by their own rank; each dirty agent enters it
    /// through the best contact it could take ("nominates" it). Popping a contact
    /// gives it the best free agent for it (which may be a different dirty agent
    /// than its nominator, the fairer choice); the nominator then nominates again
    /// while it has room. So contacts are served in rank order and agents in
    /// selection order, and when the heap is empty no waiting contact has a free
    /// qualified agent.
    pub(super) fn route(&mut self, now: Timestamp, out: &mut Vec<Event>) {
        let mut heap = std::mem::take(&mut self.heap);
        heap.clear();
        loop {
            while let Some(c) = self.dirty.contacts.pop() {
                if let Some((rank, seq)) = self.waiting_key(c) {
                    heap.push(Reverse((rank, seq, c, NONE, 1)));
                }
            }
            while let Some(a) = self.dirty.agents.pop() {
                self.nominate(a, &mut heap);
            }
            let Some(Reverse((rank, seq, c, nominator, considered))) = heap.pop() else {
                break;
            };
            if self.waiting_key(c) == Some((rank, seq))
                && let Some(choice) = self.best_agent(c)
            {
                self.offer(now, c, &choice, nominator, considered, out);
            }
            if nominator != NONE {
                self.nominate(nominator, &mut heap);
            }
        }
        self.heap = heap;
    }

    fn offer(
        &mut self,
        now: Timestamp,
        c: u32,
        choice: &Choice,
        nominator: u32,
        considered: u32,
        out: &mut Vec<Event>,
    ) {
        let st = &self.state;
        let ct = &st.contacts[c];
        let queue = &st.queues[ct.queue];
        let agent = &st.agents[choice.agent];
        let rule = match ct.phase {
            Phase::Preferred(_) => MatchedRule::PreferredAgent,
            Phase::Step(k) => MatchedRule::Step {
                index: k,
                of: queue.steps.len() as u32,
                target: queue.steps[k as usize].target.clone(),
            },
        };
        let agent_ready = nominator == choice.agent;
        let explanation = Explanation {
            trigger: if agent_ready {
                Trigger::AgentReady
            } else {
                Trigger::ContactWaiting
            },
            queue: queue.id,
            rule,
            selection: queue.config.selection,
            qualified_agents: choice.qualified,
            contacts_considered: if agent_ready { considered } else { 1 },
            agent_ready_since: agent.ready_since,
            agent_load: agent.load_total().min(255) as u8,
            skill_score: if choice.group == NONE {
                0
            } else {
                agent.score(choice.group)
            },
            waited: now.since(ct.queue_entered_at),
        };
        let (contact, agent_id, auto_accept) = (ct.id, agent.id, agent.config.auto_accept);
        let kind = EventKind::ContactOffered {
            contact,
            agent: agent_id,
            expires_at: now + queue.config.offer_timeout,
            explanation,
        };
        self.emit(now, kind, out);
        if auto_accept {
            let kind = EventKind::OfferAccepted {
                contact,
                agent: agent_id,
            };
            self.emit(now, kind, out);
        }
    }
}
