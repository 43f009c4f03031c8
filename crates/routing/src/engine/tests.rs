//! One test per rule. Every command goes through `H::cmd`, which also audits the
//! invariants and checks that a rebuild from the log so far equals the live engine.
use crate::*;
use std::collections::BTreeMap;

pub(crate) struct H {
    pub(crate) e: Engine,
    pub(crate) now: u64,
    pub(crate) log: Vec<Event>,
}

const T0: u64 = 1_000_000;

impl H {
    pub(crate) fn new() -> H {
        H::with(Settings::default())
    }
    pub(crate) fn with(settings: Settings) -> H {
        H {
            e: Engine::new(settings),
            now: T0,
            log: Vec::new(),
        }
    }
    /// Moves the clock to T0 + `ms`.
    fn at(&mut self, ms: u64) -> &mut Self {
        self.now = T0 + ms;
        self
    }
    #[track_caller]
    fn cmd(&mut self, c: Command) -> Vec<Event> {
        let events = self
            .e
            .handle(Timestamp(self.now), c.clone())
            .unwrap_or_else(|e| panic!("{c:?}: {e}"));
        self.log.extend(events.iter().cloned());
        if let Err(e) = self.e.check_consistency() {
            panic!("after {c:?}:\n{e}");
        }
        let rebuilt = Engine::rebuild(Settings::default(), &self.log).expect("rebuild");
        assert!(rebuilt == self.e, "rebuild differs after {c:?}");
        events
    }
    #[track_caller]
    fn err(&mut self, c: Command) -> CommandError {
        let before = self.e.clone();
        let e = self
            .e
            .handle(Timestamp(self.now), c.clone())
            .expect_err("command should fail");
        assert!(before == self.e, "a refused command changed the state");
        e
    }
    fn tick(&mut self) -> Vec<Event> {
        self.cmd(Command::Tick)
    }
    fn queue(&mut self, q: u64, config: QueueConfig) {
        self.cmd(Command::ConfigureQueue {
            queue: QueueId(q),
            config,
        });
    }
    fn agent_with(&mut self, a: u64, skills: &[(&str, u8)], capacity: Capacity) -> Vec<Event> {
        let mut config = AgentConfig::with_skills(skills.iter().copied());
        config.capacity = capacity;
        self.cmd(Command::ConfigureAgent {
            agent: AgentId(a),
            config,
        });
        self.presence(a, Presence::Available)
    }
    fn agent(&mut self, a: u64, skills: &[(&str, u8)]) -> Vec<Event> {
        self.agent_with(a, skills, Capacity::default())
    }
    fn presence(&mut self, a: u64, presence: Presence) -> Vec<Event> {
        self.cmd(Command::SetPresence {
            agent: AgentId(a),
            presence,
        })
    }
    fn contact(&mut self, c: u64, q: u64, channel: Channel) -> Vec<Event> {
        self.enqueue(NewContact::new(ContactId(c), QueueId(q), channel))
    }
    fn enqueue(&mut self, nc: NewContact) -> Vec<Event> {
        self.cmd(Command::Enqueue(nc))
    }
    fn accept(&mut self, c: u64, a: u64) -> Vec<Event> {
        self.cmd(Command::Accept {
            contact: ContactId(c),
            agent: AgentId(a),
        })
    }
    fn reject(&mut self, c: u64, a: u64) -> Vec<Event> {
        self.cmd(Command::Reject {
            contact: ContactId(c),
            agent: AgentId(a),
        })
    }
    fn complete(&mut self, c: u64) -> Vec<Event> {
        self.cmd(Command::Complete {
            contact: ContactId(c),
        })
    }
    fn status(&self, c: u64) -> ContactStatus {
        self.e.contact(ContactId(c)).expect("live contact").status
    }
    fn state(&self, a: u64) -> AgentState {
        self.e.agent(AgentId(a)).expect("agent").state
    }
}

/// (contact, agent) of every offer in `events`.
pub(crate) fn offers(events: &[Event]) -> Vec<(u64, u64)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ContactOffered { contact, agent, .. } => Some((contact.0, agent.0)),
            _ => None,
        })
        .collect()
}

fn explanation(events: &[Event]) -> Explanation {
    events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::ContactOffered { explanation, .. } => Some(explanation.clone()),
            _ => None,
        })
        .expect("an offer")
}

fn steps(targets: &[(&str, Option<u64>)]) -> QueueConfig {
    QueueConfig::new(
        targets
            .iter()
            .map(|(t, s)| RoutingStep::new(*t, s.map(Millis::secs)))
            .collect(),
    )
}

#[test]
fn longest_idle_agent_gets_the_contact() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("skill.returns"));
    h.agent(1, &[("returns", 1)]);
    h.at(5_000).agent(2, &[("returns", 5)]);
    h.at(10_000);
    let ev = h.contact(1, 1, Channel::Voice);
    assert_eq!(offers(&ev), vec![(1, 1)]);
    let x = explanation(&ev);
    assert_eq!(x.trigger, Trigger::ContactWaiting);
    assert_eq!(x.qualified_agents, 2);
    assert_eq!(x.selection, Selection::LongestIdle);
    assert_eq!(x.agent_ready_since, Timestamp(T0));
    assert_eq!(
        x.rule,
        MatchedRule::Step {
            index: 0,
            of: 1,
            target: "skill.returns".into()
        }
    );
    // The next one goes to the agent idle longest now: agent 2.
    assert_eq!(offers(&h.contact(2, 1, Channel::Voice)), vec![(2, 2)]);
}

#[test]
fn auto_accept_answers_in_the_same_pass() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("skill.phone"));
    h.cmd(Command::ConfigureAgent {
        agent: AgentId(1),
        config: AgentConfig {
            auto_accept: true,
            ..AgentConfig::with_skills([("phone", 1)])
        },
    });
    h.presence(1, Presence::Available);
    h.agent(2, &[("phone", 1)]);
    // Agent 1 (longest idle) answers at once: offered, then accepted, one command.
    let ev = h.at(1_000).contact(1, 1, Channel::Voice);
    let kinds: Vec<&EventKind> = ev.iter().map(|e| &e.kind).collect();
    assert!(matches!(
        kinds.as_slice(),
        [
            EventKind::ContactEnqueued { .. },
            EventKind::ContactOffered { .. },
            EventKind::OfferAccepted {
                contact: ContactId(1),
                agent: AgentId(1)
            },
        ]
    ));
    assert!(matches!(h.status(1), ContactStatus::Active { .. }));
    assert_eq!(h.state(1), AgentState::OnContact);
    // Agent 2 does not auto-accept: its offer waits for an answer.
    let ev = h.contact(2, 1, Channel::Voice);
    assert_eq!(offers(&ev), vec![(2, 2)]);
    assert!(matches!(h.status(2), ContactStatus::Offered { .. }));
    // When agent 1 frees up, the next waiting contact is answered by the same pass.
    h.contact(3, 1, Channel::Voice);
    let ev = h.at(2_000).complete(1);
    assert!(ev.iter().any(|e| matches!(
        e.kind,
        EventKind::OfferAccepted {
            contact: ContactId(3),
            agent: AgentId(1)
        }
    )));
}

#[test]
fn unqualified_agents_never_get_the_contact_and_steps_relax() {
    let mut h = H::new();
    h.queue(
        1,
        steps(&[
            ("skill.returns >= 4", Some(30)),
            ("skill.returns >= 2", None),
        ]),
    );
    h.agent(1, &[("returns", 2)]);
    h.agent(2, &[("billing", 5)]);
    assert!(offers(&h.contact(1, 1, Channel::Voice)).is_empty());
    assert_eq!(h.e.next_timeout(), Some(Timestamp(T0 + 30_000)));
    h.at(29_999);
    assert!(h.tick().is_empty());
    h.at(30_000);
    let ev = h.tick();
    assert!(matches!(
        ev[0].kind,
        EventKind::ContactStepChanged { step: 1, .. }
    ));
    assert_eq!(offers(&ev), vec![(1, 1)]);
    let x = explanation(&ev);
    assert_eq!(x.waited, Millis::secs(30));
    assert!(matches!(
        x.rule,
        MatchedRule::Step {
            index: 1,
            of: 2,
            ..
        }
    ));
}

#[test]
fn contact_attributes_in_targets() {
    let mut h = H::new();
    h.queue(
        1,
        QueueConfig::single(
            "skill.returns >= 2 AND (contact.language != \"es\" OR skill.spanish >= 2)",
        ),
    );
    h.agent(1, &[("returns", 3)]);
    let mut es = NewContact::new(ContactId(1), QueueId(1), Channel::Chat);
    es.attributes.insert("language".into(), "es".into());
    assert!(offers(&h.enqueue(es)).is_empty());
    // An English contact arriving later is served first: the agent qualifies only for it.
    assert_eq!(offers(&h.contact(2, 1, Channel::Chat)), vec![(2, 1)]);
    // A Spanish speaker logs in and gets the Spanish contact.
    let ev = h.agent(2, &[("returns", 2), ("spanish", 3)]);
    assert_eq!(offers(&ev), vec![(1, 2)]);
    assert_eq!(explanation(&ev).trigger, Trigger::AgentReady);
}

#[test]
fn most_skilled_selection() {
    let mut h = H::new();
    let mut config = QueueConfig::single("skill.returns >= 1 AND skill.spanish >= 1");
    config.selection = Selection::MostSkilled;
    h.queue(1, config);
    h.agent(1, &[("returns", 2), ("spanish", 2)]);
    h.agent(2, &[("returns", 5), ("spanish", 3), ("billing", 5)]);
    h.agent(3, &[("returns", 4), ("spanish", 1)]);
    let ev = h.contact(1, 1, Channel::Voice);
    assert_eq!(offers(&ev), vec![(1, 2)]);
    assert_eq!(explanation(&ev).skill_score, 8);
    assert_eq!(explanation(&ev).qualified_agents, 3);
}

#[test]
fn least_occupied_selection() {
    let mut h = H::new();
    let mut config = QueueConfig::single("true");
    config.selection = Selection::LeastOccupied;
    h.queue(1, config);
    h.agent(1, &[]);
    h.at(1).agent(2, &[]);
    h.at(2);
    assert_eq!(offers(&h.contact(1, 1, Channel::Chat)), vec![(1, 1)]);
    h.accept(1, 1);
    h.at(3);
    assert_eq!(offers(&h.contact(2, 1, Channel::Chat)), vec![(2, 2)]);
    h.accept(2, 2);
    h.at(4);
    // Both hold one chat; agent 1 was offered longer ago.
    assert_eq!(offers(&h.contact(3, 1, Channel::Chat)), vec![(3, 1)]);
    h.at(5);
    assert_eq!(offers(&h.contact(4, 1, Channel::Chat)), vec![(4, 2)]);
}

#[test]
fn priority_then_age_with_aging() {
    let mut h = H::new();
    let mut config = QueueConfig::single("true");
    config.priority_aging = Millis::secs(60);
    h.queue(1, config);
    h.cmd(Command::ConfigureAgent {
        agent: AgentId(1),
        config: AgentConfig::with_skills([]),
    });
    let mk = |c: u64, p: u8| {
        let mut nc = NewContact::new(ContactId(c), QueueId(1), Channel::Voice);
        nc.priority = p;
        nc
    };
    h.enqueue(mk(1, 0)); // t=0, low priority
    h.at(10_000).enqueue(mk(2, 1)); // 10 s later, one level higher: served first
    h.at(100_000).enqueue(mk(3, 1)); // 100 s later: the first contact has aged past it
    assert_eq!(h.e.position(ContactId(2)), Some(1));
    assert_eq!(h.e.position(ContactId(1)), Some(2));
    assert_eq!(h.e.position(ContactId(3)), Some(3));
    let ev = h.presence(1, Presence::Available);
    assert_eq!(offers(&ev), vec![(2, 1)]);
    assert_eq!(explanation(&ev).trigger, Trigger::AgentReady);
    h.accept(2, 1);
    h.complete(2);
    assert_eq!(offers(&h.log[h.log.len() - 1..]), vec![(1, 1)]);
}

#[test]
fn a_priority_change_moves_a_waiting_contact_and_is_kept_through_a_requeue() {
    let mut h = H::new();
    let mut config = QueueConfig::single("true");
    config.priority_aging = Millis::secs(60);
    h.queue(1, config);
    h.cmd(Command::ConfigureAgent {
        agent: AgentId(1),
        config: AgentConfig::with_skills([]),
    });
    h.contact(1, 1, Channel::Voice);
    h.at(10_000).contact(2, 1, Channel::Voice);
    h.at(20_000).contact(3, 1, Channel::Voice);
    assert_eq!(h.e.position(ContactId(3)), Some(3));
    // A supervisor moves the last caller up one level: worth 60 s of waiting, so it
    // passes both (it waited 20 s less than the first).
    let ev = h.at(30_000).cmd(Command::SetPriority {
        contact: ContactId(3),
        priority: 1,
    });
    assert!(matches!(
        ev.as_slice(),
        [Event {
            kind: EventKind::ContactPriorityChanged { priority: 1, .. },
            ..
        }]
    ));
    assert_eq!(h.e.position(ContactId(3)), Some(1));
    assert_eq!(h.e.position(ContactId(1)), Some(2));
    // The same priority again changes nothing and logs nothing.
    assert!(
        h.cmd(Command::SetPriority {
            contact: ContactId(3),
            priority: 1,
        })
        .is_empty()
    );
    assert_eq!(offers(&h.presence(1, Presence::Available)), vec![(3, 1)]);
    // Taken back down while active, it keeps the lower priority when it waits again.
    h.accept(3, 1);
    h.cmd(Command::SetPriority {
        contact: ContactId(3),
        priority: 0,
    });
    h.cmd(Command::Requeue {
        contact: ContactId(3),
    });
    // The freed agent takes the first caller; the requeued one is behind the second,
    // who arrived before it.
    assert_eq!(h.e.position(ContactId(2)), Some(1));
    assert_eq!(h.e.position(ContactId(3)), Some(2));
    assert_eq!(
        h.err(Command::SetPriority {
            contact: ContactId(9),
            priority: 1,
        }),
        CommandError::UnknownContact(ContactId(9))
    );
}

#[test]
fn strict_priority_with_large_aging() {
    let mut h = H::new();
    let mut config = QueueConfig::single("true");
    config.priority_aging = Millis(u64::MAX / 1024);
    h.queue(1, config);
    h.cmd(Command::ConfigureAgent {
        agent: AgentId(1),
        config: AgentConfig::with_skills([]),
    });
    h.contact(1, 1, Channel::Voice);
    let mut nc = NewContact::new(ContactId(2), QueueId(1), Channel::Voice);
    nc.priority = 1;
    h.at(3_600_000).enqueue(nc);
    assert_eq!(offers(&h.presence(1, Presence::Available)), vec![(2, 1)]);
}

#[test]
fn queue_priority_across_queues() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("skill.a"));
    let mut vip = QueueConfig::single("skill.a");
    vip.priority = 5;
    h.queue(2, vip);
    h.cmd(Command::ConfigureAgent {
        agent: AgentId(1),
        config: AgentConfig::with_skills([("a", 1)]),
    });
    h.contact(1, 1, Channel::Voice);
    h.at(60_000).contact(2, 2, Channel::Voice);
    assert_eq!(offers(&h.presence(1, Presence::Available)), vec![(2, 1)]);
}

#[test]
fn chat_capacity_and_cross_channel_rules() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("true"));
    h.agent(1, &[]);
    for c in 1..=4 {
        h.at(c);
        h.contact(c, 1, Channel::Chat);
    }
    assert_eq!(h.e.agent(AgentId(1)).unwrap().load[&Channel::Chat], 3);
    assert!(matches!(h.status(4), ContactStatus::Waiting { .. }));
    // Holding chats blocks calls.
    h.contact(5, 1, Channel::Voice);
    assert!(matches!(h.status(5), ContactStatus::Waiting { .. }));
    // Freeing a chat slot takes the next chat (voice stays blocked).
    h.accept(1, 1);
    let ev = h.complete(1);
    assert_eq!(offers(&ev), vec![(4, 1)]);
    for c in 2..=4 {
        h.accept(c, 1);
        h.complete(c);
    }
    // Only now is the call offered; while on it, chats wait.
    assert!(matches!(h.status(5), ContactStatus::Offered { .. }));
    h.contact(6, 1, Channel::Chat);
    assert!(matches!(h.status(6), ContactStatus::Waiting { .. }));
    assert_eq!(h.e.agent(AgentId(1)).unwrap().free_channels, vec![]);
}

#[test]
fn channel_limits_and_max_total() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("true"));
    let mut cap = Capacity::none()
        .with(Channel::Email, 5)
        .with(Channel::Chat, 5);
    cap.max_total = Some(2);
    h.agent_with(1, &[], cap);
    h.contact(1, 1, Channel::Voice);
    h.contact(2, 1, Channel::Email);
    h.contact(3, 1, Channel::Chat);
    h.contact(4, 1, Channel::Email);
    assert!(matches!(h.status(1), ContactStatus::Waiting { .. }));
    assert!(matches!(h.status(2), ContactStatus::Offered { .. }));
    assert!(matches!(h.status(3), ContactStatus::Offered { .. }));
    assert!(matches!(h.status(4), ContactStatus::Waiting { .. }));
}

#[test]
fn reject_and_timeout_go_to_the_next_agent() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("true"));
    h.agent(1, &[]);
    h.at(1).agent(2, &[]);
    h.at(2).agent(3, &[]);
    h.at(10);
    assert_eq!(offers(&h.contact(1, 1, Channel::Voice)), vec![(1, 1)]);
    let ev = h.reject(1, 1);
    assert_eq!(offers(&ev), vec![(1, 2)]);
    // Agent 2 lets it time out (default 20 s); agent 3 gets it, not agent 1, whose
    // decline is still cooling off (60 s by default).
    h.at(10 + 20_000);
    let ev = h.tick();
    assert!(matches!(
        ev[0].kind,
        EventKind::OfferDeclined {
            reason: DeclineReason::TimedOut,
            ..
        }
    ));
    assert_eq!(offers(&ev), vec![(1, 3)]);
    h.reject(1, 3);
    assert!(matches!(h.status(1), ContactStatus::Waiting { .. }));
    let snap = h.e.contact(ContactId(1)).unwrap();
    assert_eq!(snap.declined_by, vec![AgentId(1), AgentId(2), AgentId(3)]);
    // Another contact still goes to them.
    assert_eq!(offers(&h.contact(2, 1, Channel::Voice)).len(), 1);
}

#[test]
fn missed_after_three_timeouts_in_a_row() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("true"));
    h.agent(1, &[]);
    for c in 1..=3u64 {
        h.contact(c, 1, Channel::Voice);
        assert!(matches!(h.status(c), ContactStatus::Offered { .. }));
        h.at(c * 20_000);
        h.tick();
    }
    assert_eq!(h.state(1), AgentState::Missed);
    assert_eq!(h.e.agent(AgentId(1)).unwrap().presence, Presence::Missed);
    // Back to available: offers resume (not of the contacts they let time out) and the
    // count restarts.
    assert!(offers(&h.presence(1, Presence::Available)).is_empty());
    assert_eq!(h.e.agent(AgentId(1)).unwrap().consecutive_timeouts, 0);
    assert_eq!(offers(&h.contact(4, 1, Channel::Voice)), vec![(4, 1)]);
    assert_eq!(
        h.err(Command::SetPresence {
            agent: AgentId(1),
            presence: Presence::Missed
        }),
        CommandError::PresenceNotSettable
    );
}

#[test]
fn rejections_count_when_configured_and_accept_resets() {
    let mut h = H::with(Settings {
        missed_after: Some(2),
        rejections_count_as_misses: true,
    });
    h.queue(1, QueueConfig::single("true"));
    h.agent(1, &[]);
    h.contact(1, 1, Channel::Voice);
    h.reject(1, 1);
    h.contact(2, 1, Channel::Voice);
    h.accept(2, 1);
    h.complete(2);
    h.contact(3, 1, Channel::Voice);
    h.reject(3, 1);
    assert_eq!(h.state(1), AgentState::Available);
    h.contact(4, 1, Channel::Voice);
    h.reject(4, 1);
    assert_eq!(h.state(1), AgentState::Missed);
}

#[test]
fn break_withdraws_pending_offers_but_keeps_contacts() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("true"));
    h.agent(1, &[]);
    h.contact(1, 1, Channel::Chat);
    h.accept(1, 1);
    h.contact(2, 1, Channel::Chat);
    let ev = h.presence(
        1,
        Presence::Break {
            aux: "lunch".into(),
        },
    );
    assert!(matches!(
        ev[0].kind,
        EventKind::OfferDeclined {
            reason: DeclineReason::Withdrawn,
            ..
        }
    ));
    assert!(matches!(h.status(1), ContactStatus::Active { .. }));
    assert!(matches!(h.status(2), ContactStatus::Waiting { .. }));
    assert_eq!(h.state(1), AgentState::OnContact);
    h.complete(1);
    assert_eq!(
        h.state(1),
        AgentState::Break {
            aux: "lunch".into()
        }
    );
    // Withdrawn is not a decline: the agent gets it back when available.
    assert_eq!(offers(&h.presence(1, Presence::Available)), vec![(2, 1)]);
}

#[test]
fn preferred_agent_first_then_anyone() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("true"));
    h.agent(1, &[]);
    h.agent(2, &[]);
    h.contact(9, 1, Channel::Voice); // keeps agent 1 busy
    h.accept(9, 1);
    let mut nc = NewContact::new(ContactId(1), QueueId(1), Channel::Voice);
    nc.preferred_agent = Some(PreferredAgent {
        agent: AgentId(1),
        wait: Some(Millis::secs(30)),
    });
    assert!(offers(&h.enqueue(nc.clone())).is_empty());
    assert!(matches!(
        h.status(1),
        ContactStatus::Waiting {
            step: None,
            for_agent: Some(AgentId(1)),
            ..
        }
    ));
    // Agent 1 frees up within the wait: they get it.
    h.at(10_000);
    let ev = h.complete(9);
    assert_eq!(offers(&ev), vec![(1, 1)]);
    assert_eq!(explanation(&ev).rule, MatchedRule::PreferredAgent);
    h.cmd(Command::Abandon {
        contact: ContactId(1),
    });
    // Again, but agent 1 stays busy: after 30 s anyone qualifies.
    assert_eq!(offers(&h.contact(10, 1, Channel::Voice)), vec![(10, 2)]);
    assert_eq!(offers(&h.contact(11, 1, Channel::Voice)), vec![(11, 1)]);
    h.accept(10, 2);
    h.accept(11, 1);
    nc.contact = ContactId(2);
    h.enqueue(nc);
    h.at(20_000);
    assert!(offers(&h.complete(10)).is_empty());
    h.at(40_000);
    let ev = h.tick();
    assert!(matches!(
        ev[0].kind,
        EventKind::ContactStepChanged { step: 0, .. }
    ));
    assert_eq!(offers(&ev), vec![(2, 2)]);
}

#[test]
fn unknown_preferred_agent_is_ignored() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("true"));
    h.agent(1, &[]);
    let mut nc = NewContact::new(ContactId(1), QueueId(1), Channel::Voice);
    nc.preferred_agent = Some(PreferredAgent {
        agent: AgentId(77),
        wait: None,
    });
    assert_eq!(offers(&h.enqueue(nc)), vec![(1, 1)]);
}

#[test]
fn transfer_to_queue_and_to_agent() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("skill.a"));
    h.queue(2, QueueConfig::single("skill.b"));
    h.agent(1, &[("a", 1)]);
    h.agent(2, &[("b", 1)]);
    h.agent(3, &[("c", 1)]);
    h.contact(1, 1, Channel::Voice);
    h.accept(1, 1);
    h.at(1000);
    let ev = h.cmd(Command::Transfer {
        contact: ContactId(1),
        to: TransferTarget::Queue(QueueId(2)),
    });
    assert_eq!(offers(&ev), vec![(1, 2)]);
    assert_eq!(h.e.contact(ContactId(1)).unwrap().queue, QueueId(2));
    h.accept(1, 2);
    let ev = h.cmd(Command::Transfer {
        contact: ContactId(1),
        to: TransferTarget::Agent(AgentId(3)),
    });
    // Agent 3 lacks skill b but a transfer to an agent needs no skill.
    assert_eq!(offers(&ev), vec![(1, 3)]);
    assert_eq!(explanation(&ev).rule, MatchedRule::PreferredAgent);
    // Declining a direct transfer hands it to the queue's policy.
    let ev = h.reject(1, 3);
    assert_eq!(offers(&ev), vec![(1, 2)]);
    assert_eq!(
        h.err(Command::Transfer {
            contact: ContactId(1),
            to: TransferTarget::Queue(QueueId(1))
        }),
        CommandError::InvalidContactState {
            contact: ContactId(1),
            state: "offered",
            action: "transfer",
            needs: "waiting or active"
        }
    );
}

#[test]
fn requeue_keeps_place_and_skips_the_agent() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("true"));
    h.agent(1, &[]);
    h.contact(1, 1, Channel::Voice);
    h.accept(1, 1);
    h.at(5_000).contact(2, 1, Channel::Voice);
    let ev = h.cmd(Command::Requeue {
        contact: ContactId(1),
    });
    // Agent 1 is free again, but contact 1 is not offered to them (cooling off):
    // contact 2 is.
    assert_eq!(offers(&ev), vec![(2, 1)]);
    assert_eq!(h.e.position(ContactId(1)), Some(1));
    assert_eq!(
        h.e.contact(ContactId(1)).unwrap().enqueued_at,
        Timestamp(T0)
    );
    h.at(6_000).agent(2, &[]);
    assert!(matches!(
        h.status(1),
        ContactStatus::Offered {
            agent: AgentId(2),
            ..
        }
    ));
}

#[test]
fn abandon_while_waiting_and_while_offered() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("true"));
    h.contact(1, 1, Channel::Voice);
    h.cmd(Command::Abandon {
        contact: ContactId(1),
    });
    assert!(h.e.contact(ContactId(1)).is_none());
    h.agent(1, &[]);
    h.contact(2, 1, Channel::Voice);
    h.cmd(Command::Abandon {
        contact: ContactId(2),
    });
    assert_eq!(h.state(1), AgentState::Available);
    let stats = h.e.queue_stats(QueueId(1), Timestamp(h.now)).unwrap();
    assert_eq!(stats.abandoned, 2);
    h.contact(3, 1, Channel::Voice);
    h.accept(3, 1);
    assert!(matches!(
        h.err(Command::Abandon {
            contact: ContactId(3)
        }),
        CommandError::InvalidContactState { .. }
    ));
}

#[test]
fn after_contact_work_by_command_and_by_timer() {
    let mut h = H::new();
    let mut config = QueueConfig::single("true");
    config.after_contact_work = Some(Millis::secs(30));
    h.queue(1, config);
    h.agent(1, &[]);
    h.contact(1, 1, Channel::Voice);
    h.contact(2, 1, Channel::Voice);
    h.accept(1, 1);
    h.at(60_000);
    let ev = h.complete(1);
    assert!(offers(&ev).is_empty());
    assert_eq!(h.state(1), AgentState::AfterContactWork);
    assert!(matches!(
        h.status(1),
        ContactStatus::WrapUp {
            until: Some(Timestamp(t)),
            ..
        } if t == T0 + 90_000
    ));
    let ev = h.cmd(Command::WrapUp {
        contact: ContactId(1),
        code: Some("refund".into()),
    });
    assert!(matches!(
        &ev[0].kind,
        EventKind::ContactWrappedUp { code: Some(c), timed_out: false, .. } if c == "refund"
    ));
    assert_eq!(offers(&ev), vec![(2, 1)]);
    h.accept(2, 1);
    h.at(100_000).complete(2);
    h.at(130_000);
    let ev = h.tick();
    assert!(matches!(
        ev[0].kind,
        EventKind::ContactWrappedUp {
            timed_out: true,
            ..
        }
    ));
    assert_eq!(h.state(1), AgentState::Available);
}

#[test]
fn max_wait_overflows_or_expires() {
    let mut h = H::new();
    h.queue(2, QueueConfig::single("skill.b"));
    let mut config = QueueConfig::single("skill.a");
    config.max_wait = Some(Millis::secs(60));
    config.overflow = Some(QueueId(2));
    h.queue(1, config);
    let mut lone = QueueConfig::single("skill.a");
    lone.max_wait = Some(Millis::secs(10));
    h.queue(3, lone);
    h.agent(2, &[("b", 1)]);
    h.contact(1, 1, Channel::Voice);
    h.contact(3, 3, Channel::Voice);
    h.at(10_000);
    let ev = h.tick();
    assert!(matches!(ev[0].kind, EventKind::ContactExpired { .. }));
    assert!(h.e.contact(ContactId(3)).is_none());
    h.at(60_000);
    let ev = h.tick();
    assert!(matches!(
        ev[0].kind,
        EventKind::ContactOverflowed {
            from: QueueId(1),
            to: QueueId(2),
            ..
        }
    ));
    assert_eq!(offers(&ev), vec![(1, 2)]);
    let s1 = h.e.queue_stats(QueueId(1), Timestamp(h.now)).unwrap();
    assert_eq!(s1.overflowed, 1);
    assert_eq!(
        h.e.queue_stats(QueueId(3), Timestamp(h.now))
            .unwrap()
            .expired,
        1
    );
}

#[test]
fn closed_queue_refuses_new_contacts_but_serves_waiting_ones() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("true"));
    h.contact(1, 1, Channel::Voice);
    h.cmd(Command::SetQueueOpen {
        queue: QueueId(1),
        open: false,
    });
    assert_eq!(
        h.err(Command::Enqueue(NewContact::new(
            ContactId(2),
            QueueId(1),
            Channel::Voice
        ))),
        CommandError::QueueClosed(QueueId(1))
    );
    assert_eq!(offers(&h.agent(1, &[])), vec![(1, 1)]);
    h.cmd(Command::SetQueueOpen {
        queue: QueueId(1),
        open: true,
    });
    h.contact(2, 1, Channel::Voice);
}

#[test]
fn queue_stats_and_positions() {
    let mut h = H::new();
    let mut config = QueueConfig::single("skill.a");
    config.service_level.threshold = Millis::secs(20);
    h.queue(1, config);
    h.agent(1, &[("a", 1)]);
    h.agent(2, &[("b", 1)]);
    for c in 1..=3 {
        h.at(c * 1000);
        h.contact(c, 1, Channel::Voice);
    }
    h.at(10_000).accept(1, 1);
    let s = h.e.queue_stats(QueueId(1), Timestamp(T0 + 12_000)).unwrap();
    assert_eq!(
        (s.waiting, s.offered, s.handling, s.agents_available),
        (2, 0, 1, 0)
    );
    assert_eq!(s.oldest_entered_at, Some(Timestamp(T0 + 2000)));
    assert_eq!(s.longest_wait, Millis(10_000));
    assert_eq!((s.answered, s.answered_within_threshold), (1, 1));
    assert_eq!(s.service_level_percent, Some(100.0));
    assert_eq!(h.e.position(ContactId(3)), Some(2));
    assert_eq!(h.e.position(ContactId(1)), None);
    h.at(40_000).complete(1);
    h.accept(2, 1);
    let s = h.e.queue_stats(QueueId(1), Timestamp(h.now)).unwrap();
    assert_eq!((s.answered, s.answered_within_threshold), (2, 1));
    assert_eq!(s.service_level_percent, Some(50.0));
}

#[test]
fn reconfiguring_a_queue_regroups_waiting_contacts() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("skill.a >= 5"));
    h.agent(1, &[("a", 2)]);
    h.contact(1, 1, Channel::Voice);
    let ev = h.cmd(Command::ConfigureQueue {
        queue: QueueId(1),
        config: QueueConfig::single("skill.a >= 2"),
    });
    assert_eq!(offers(&ev), vec![(1, 1)]);
    // Same config again: no event.
    assert!(
        h.cmd(Command::ConfigureQueue {
            queue: QueueId(1),
            config: QueueConfig::single("skill.a >= 2"),
        })
        .is_empty()
    );
}

#[test]
fn skill_changes_apply_at_once() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("skill.spanish >= 3"));
    h.agent(1, &[("spanish", 2)]);
    h.contact(1, 1, Channel::Voice);
    let ev = h.cmd(Command::ConfigureAgent {
        agent: AgentId(1),
        config: AgentConfig::with_skills([("spanish", 3)]),
    });
    assert_eq!(offers(&ev), vec![(1, 1)]);
}

#[test]
fn removing_agents_and_queues() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("true"));
    let mut config = QueueConfig::single("true");
    config.overflow = Some(QueueId(1));
    config.max_wait = Some(Millis::secs(5));
    h.queue(2, config);
    h.agent(1, &[]);
    h.contact(1, 1, Channel::Voice);
    assert_eq!(
        h.err(Command::RemoveAgent { agent: AgentId(1) }),
        CommandError::AgentBusy(AgentId(1))
    );
    assert!(matches!(
        h.err(Command::RemoveQueue { queue: QueueId(1) }),
        CommandError::QueueInUse(..)
    ));
    h.accept(1, 1);
    h.complete(1);
    assert!(matches!(
        h.err(Command::RemoveQueue { queue: QueueId(1) }),
        CommandError::QueueInUse(..)
    ));
    h.cmd(Command::RemoveQueue { queue: QueueId(2) });
    h.cmd(Command::RemoveQueue { queue: QueueId(1) });
    h.cmd(Command::RemoveAgent { agent: AgentId(1) });
    assert_eq!(h.e.counts(), (0, 0, 0));
}

#[test]
fn removing_a_preferred_agent_releases_their_contacts() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("true"));
    h.cmd(Command::ConfigureAgent {
        agent: AgentId(1),
        config: AgentConfig::with_skills([]),
    });
    let mut nc = NewContact::new(ContactId(1), QueueId(1), Channel::Voice);
    nc.preferred_agent = Some(PreferredAgent {
        agent: AgentId(1),
        wait: None,
    });
    h.enqueue(nc);
    h.agent(2, &[]);
    assert!(matches!(h.status(1), ContactStatus::Waiting { .. }));
    let ev = h.cmd(Command::RemoveAgent { agent: AgentId(1) });
    assert_eq!(offers(&ev), vec![(1, 2)]);
}

#[test]
fn invalid_commands_are_refused_without_change() {
    let mut h = H::new();
    match h.err(Command::ConfigureQueue {
        queue: QueueId(1),
        config: steps(&[("skill.a >= 1", Some(5)), ("skill.a >=", None)]),
    }) {
        CommandError::InvalidTarget { step: 1, error } => assert_eq!(error.column, 11),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        h.err(Command::ConfigureQueue {
            queue: QueueId(1),
            config: QueueConfig::new(vec![])
        }),
        CommandError::InvalidConfig(_)
    ));
    let mut own = QueueConfig::single("true");
    own.overflow = Some(QueueId(1));
    assert!(matches!(
        h.err(Command::ConfigureQueue {
            queue: QueueId(1),
            config: own
        }),
        CommandError::InvalidConfig(_)
    ));
    assert!(matches!(
        h.err(Command::ConfigureAgent {
            agent: AgentId(1),
            config: AgentConfig::with_skills([("a", 6)])
        }),
        CommandError::InvalidConfig(_)
    ));
    assert!(matches!(
        h.err(Command::ConfigureAgent {
            agent: AgentId(1),
            config: AgentConfig::with_skills([("bad name", 2)])
        }),
        CommandError::InvalidConfig(_)
    ));
    assert_eq!(
        h.err(Command::Enqueue(NewContact::new(
            ContactId(1),
            QueueId(9),
            Channel::Chat
        ))),
        CommandError::UnknownQueue(QueueId(9))
    );
    h.queue(1, QueueConfig::single("true"));
    h.contact(1, 1, Channel::Chat);
    assert_eq!(
        h.err(Command::Enqueue(NewContact::new(
            ContactId(1),
            QueueId(1),
            Channel::Chat
        ))),
        CommandError::DuplicateContact(ContactId(1))
    );
    h.agent(1, &[]);
    h.agent(2, &[]);
    assert_eq!(
        h.err(Command::Accept {
            contact: ContactId(1),
            agent: AgentId(2)
        }),
        CommandError::NotOffered {
            contact: ContactId(1),
            agent: AgentId(2)
        }
    );
    assert!(matches!(
        h.err(Command::Complete {
            contact: ContactId(1)
        }),
        CommandError::InvalidContactState { .. }
    ));
    assert_eq!(
        h.err(Command::Requeue {
            contact: ContactId(5)
        }),
        CommandError::UnknownContact(ContactId(5))
    );
}

#[test]
fn time_never_goes_backwards() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("true"));
    h.at(10_000).contact(1, 1, Channel::Voice);
    h.at(0);
    let ev = h.contact(2, 1, Channel::Voice);
    assert_eq!(ev[0].at, Timestamp(T0 + 10_000));
}

#[test]
fn explanation_reads_well() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("skill.a >= 2"));
    h.agent(1, &[("a", 3)]);
    h.at(1_500);
    let text = explanation(&h.contact(1, 1, Channel::Chat)).to_string();
    assert_eq!(
        text,
        format!(
            "queue 1: step 1 of 1 (`skill.a >= 2`) after 0ms waiting; chosen as longest idle of 1 qualified free agent (ready since {}ms, holding 0, skill score 3)",
            T0
        )
    );
}

#[test]
fn events_round_trip_through_json_and_rebuild() {
    let mut h = H::new();
    let mut config = steps(&[("skill.a >= 3", Some(10)), ("skill.a", None)]);
    config.after_contact_work = Some(Millis::secs(5));
    h.queue(1, config);
    h.agent(1, &[("a", 1)]);
    let mut nc = NewContact::new(ContactId(1), QueueId(1), Channel::Email);
    nc.attributes = BTreeMap::from([("language".to_string(), "es".to_string())]);
    h.enqueue(nc);
    h.at(10_000).tick();
    h.accept(1, 1);
    h.complete(1);
    let json = serde_json::to_string(&h.log).unwrap();
    assert!(json.contains(r#""type":"contact_offered""#), "{json}");
    let back: Vec<Event> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, h.log);
    assert!(Engine::rebuild(Settings::default(), &back).unwrap() == h.e);
    // A log that does not fit is reported with its position.
    let err = Engine::rebuild(Settings::default(), &back[3..]).unwrap_err();
    assert_eq!(err.index, 0);
}

#[test]
fn snapshot_compares_semantically() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("true"));
    h.agent(1, &[]);
    h.contact(1, 1, Channel::Chat);
    let now = Timestamp(h.now);
    let rebuilt = Engine::rebuild(Settings::default(), &h.log).unwrap();
    assert_eq!(rebuilt.snapshot(now), h.e.snapshot(now));
    let snap = h.e.snapshot(now);
    assert_eq!(snap.agents[0].contacts, vec![ContactId(1)]);
    assert_eq!(snap.queues[0].stats.offered, 1);
}

/// (contact, agent) of every `DeclineExpired` in `events`.
fn expiries(events: &[Event]) -> Vec<(u64, u64)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::DeclineExpired { contact, agent } => Some((contact.0, agent.0)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_declined_contact_is_offered_again_after_the_cooloff() {
    // The incident: a small team, two qualified agents, each missed the contact once.
    let mut h = H::new();
    h.queue(1, QueueConfig::single("skill.returns"));
    h.agent(1, &[("returns", 2)]);
    h.at(1_000).agent(2, &[("returns", 2)]);
    h.at(2_000);
    assert_eq!(offers(&h.contact(1, 1, Channel::Voice)), vec![(1, 1)]);
    // Agent 1 rejects; agent 2 lets the offer time out (20 s).
    h.at(5_000);
    assert_eq!(offers(&h.reject(1, 1)), vec![(1, 2)]);
    h.at(25_000);
    let ev = h.tick();
    assert!(offers(&ev).is_empty());
    assert!(matches!(h.status(1), ContactStatus::Waiting { .. }));
    assert_eq!(
        (h.state(1), h.state(2)),
        (AgentState::Available, AgentState::Available)
    );
    let snap = h.e.contact(ContactId(1)).unwrap();
    assert_eq!(snap.declined_by, vec![AgentId(1), AgentId(2)]);
    // Agent 1's cool-off (60 s from the rejection) is the next deadline.
    assert_eq!(h.e.next_timeout(), Some(Timestamp(T0 + 65_000)));
    h.at(64_999);
    assert!(h.tick().is_empty());
    h.at(65_000);
    let ev = h.tick();
    assert_eq!(expiries(&ev), vec![(1, 1)]);
    assert_eq!(offers(&ev), vec![(1, 1)]);
    // The routing pass after the expiry offered it to agent 1 again, as the contact waited.
    let x = explanation(&ev);
    assert_eq!(x.trigger, Trigger::ContactWaiting);
    assert_eq!(x.waited, Millis(63_000));
    assert_eq!(
        h.e.contact(ContactId(1)).unwrap().declined_by,
        vec![AgentId(2)]
    );
    assert_eq!(h.e.next_timeout(), Some(Timestamp(T0 + 85_000)));
    // Agent 1 lets it time out this time; agent 2's cool-off has ended by then.
    h.at(85_000);
    let ev = h.tick();
    assert!(matches!(
        ev[0].kind,
        EventKind::OfferDeclined {
            reason: DeclineReason::TimedOut,
            ..
        }
    ));
    assert_eq!(expiries(&ev), vec![(1, 2)]);
    assert_eq!(offers(&ev), vec![(1, 2)]);
    h.accept(1, 2);
    assert!(matches!(
        h.status(1),
        ContactStatus::Active {
            agent: AgentId(2),
            ..
        }
    ));
}

#[test]
fn cooloff_is_per_queue_and_a_change_applies_to_declines_made() {
    let mut h = H::new();
    let mut config = QueueConfig::single("true");
    config.decline_cooloff = Millis::secs(30);
    h.queue(1, config.clone());
    h.agent(1, &[]);
    h.contact(1, 1, Channel::Chat);
    h.at(1_000).reject(1, 1);
    assert_eq!(h.e.next_timeout(), Some(Timestamp(T0 + 31_000)));
    config.decline_cooloff = Millis::secs(10);
    h.at(2_000).queue(1, config.clone());
    assert_eq!(h.e.next_timeout(), Some(Timestamp(T0 + 11_000)));
    h.at(11_000);
    assert_eq!(offers(&h.tick()), vec![(1, 1)]);
    // A cool-off must be positive; a configuration without one gets 60 s.
    config.decline_cooloff = Millis(0);
    assert!(matches!(
        h.err(Command::ConfigureQueue {
            queue: QueueId(1),
            config
        }),
        CommandError::InvalidConfig(_)
    ));
    let json = r#"{"steps": [{"target": "true"}]}"#;
    let parsed: QueueConfig = serde_json::from_str(json).unwrap();
    assert_eq!(parsed.decline_cooloff, Millis::secs(60));
    assert_eq!(parsed, QueueConfig::single("true"));
}

#[test]
fn rebuild_across_a_decline_expiry() {
    let mut h = H::new();
    let mut config = steps(&[("skill.a >= 3", Some(40)), ("skill.a", None)]);
    config.decline_cooloff = Millis::secs(15);
    config.max_wait = Some(Millis::secs(600));
    h.queue(1, config);
    h.agent(1, &[("a", 4)]);
    h.at(500).agent(2, &[("a", 4)]);
    h.at(1_000).contact(1, 1, Channel::Voice);
    h.contact(2, 1, Channel::Voice);
    h.at(2_000).reject(1, 1);
    h.at(3_000).reject(2, 2);
    // Each now has the other's contact; agent 1 rejects that too.
    assert!(matches!(
        h.status(2),
        ContactStatus::Offered {
            agent: AgentId(1),
            ..
        }
    ));
    h.at(4_000).reject(2, 1);
    h.accept(1, 2);
    // Agent 2's decline of contact 2 ends at 18 s; agent 2 is busy, so it waits on.
    h.at(18_000);
    let ev = h.tick();
    assert_eq!(expiries(&ev), vec![(2, 2)]);
    assert!(offers(&ev).is_empty());
    assert_eq!(
        h.e.contact(ContactId(2)).unwrap().declined_by,
        vec![AgentId(1)]
    );
    let expired = ev
        .iter()
        .find(|e| matches!(e.kind, EventKind::DeclineExpired { .. }))
        .unwrap();
    let json = serde_json::to_value(expired).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"at": T0 + 18_000, "kind": {"type": "decline_expired", "contact": 2, "agent": 2}})
    );
    // A rebuild (through JSON, as the server stores events) equals the live engine,
    // pending cool-offs included, and decides the same from here.
    let text = serde_json::to_string(&h.log).unwrap();
    let back: Vec<Event> = serde_json::from_str(&text).unwrap();
    let mut rebuilt = Engine::rebuild(Settings::default(), &back).unwrap();
    assert!(rebuilt == h.e);
    assert_eq!(rebuilt.next_timeout(), h.e.next_timeout());
    assert_eq!(rebuilt.next_timeout(), Some(Timestamp(T0 + 19_000)));
    let t = Timestamp(T0 + 19_000);
    let live = h.e.handle(t, Command::Tick).unwrap();
    assert_eq!(rebuilt.handle(t, Command::Tick).unwrap(), live);
    assert_eq!(expiries(&live), vec![(2, 1)]);
    assert_eq!(offers(&live), vec![(2, 1)]);
    assert!(rebuilt == h.e);
    // An expiry that does not fit is refused without change.
    let before = rebuilt.clone();
    let bad = Event {
        at: t,
        kind: EventKind::DeclineExpired {
            contact: ContactId(2),
            agent: AgentId(2),
        },
    };
    assert!(rebuilt.apply(&bad).is_err());
    assert!(rebuilt == before);
}

#[test]
fn stale_decline_timers_are_harmless() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("true"));
    h.queue(2, QueueConfig::single("true"));
    h.agent(1, &[]);
    h.at(100).agent(2, &[]);
    // Contact 1: declined by agent 1, accepted by agent 2, transferred (a new visit).
    h.at(1_000).contact(1, 1, Channel::Voice);
    h.reject(1, 1);
    h.accept(1, 2);
    h.cmd(Command::Transfer {
        contact: ContactId(1),
        to: TransferTarget::Queue(QueueId(2)),
    });
    assert_eq!(h.e.contact(ContactId(1)).unwrap().declined_by, vec![]);
    assert!(matches!(
        h.status(1),
        ContactStatus::Offered {
            agent: AgentId(1),
            ..
        }
    ));
    h.accept(1, 1);
    // Contact 2: declined by agent 2, then abandoned.
    h.at(2_000).contact(2, 1, Channel::Voice);
    h.reject(2, 2);
    h.cmd(Command::Abandon {
        contact: ContactId(2),
    });
    assert_eq!(h.e.next_timeout(), None);
    h.at(70_000);
    assert!(h.tick().is_empty());
    // Contact 3: declined by agent 2 at 71 s, offered again at 131 s and declined again
    // at 132 s: the cool-off restarts from the second decline.
    h.at(71_000).contact(3, 1, Channel::Voice);
    h.reject(3, 2);
    assert_eq!(h.e.next_timeout(), Some(Timestamp(T0 + 131_000)));
    h.at(131_000);
    assert_eq!(offers(&h.tick()), vec![(3, 2)]);
    h.at(132_000).reject(3, 2);
    h.at(191_999);
    assert!(h.tick().is_empty());
    h.at(192_000);
    let ev = h.tick();
    assert_eq!((expiries(&ev), offers(&ev)), (vec![(3, 2)], vec![(3, 2)]));
}

#[test]
fn a_cooloff_that_ended_while_handled_ends_on_requeue() {
    let mut h = H::new();
    h.queue(1, QueueConfig::single("true"));
    h.agent(1, &[]);
    h.at(100).agent(2, &[]);
    h.at(1_000).contact(1, 1, Channel::Voice);
    h.reject(1, 1);
    h.accept(1, 2);
    // Agent 2 hands it back long after agent 1's cool-off ended: agent 1 gets it at
    // once, and agent 2 is kept from it for the cool-off.
    h.at(300_000);
    let ev = h.cmd(Command::Requeue {
        contact: ContactId(1),
    });
    assert_eq!(expiries(&ev), vec![(1, 1)]);
    assert_eq!(offers(&ev), vec![(1, 1)]);
    assert_eq!(
        h.e.contact(ContactId(1)).unwrap().declined_by,
        vec![AgentId(2)]
    );
    // Agent 1 logs off: the withdrawn offer is not held against them.
    h.presence(1, Presence::Offline);
    assert_eq!(
        h.e.contact(ContactId(1)).unwrap().declined_by,
        vec![AgentId(2)]
    );
    assert_eq!(
        offers(&h.at(301_000).presence(1, Presence::Available)),
        vec![(1, 1)]
    );
}

/// A customer the answer bot hands over keeps the time they spent with it, when given:
/// they go ahead of one who queued after they first wrote, while a step timeout still
/// counts from their entering the queue; a `waiting_since` in the future is now.
#[test]
fn waiting_since_keeps_the_place_but_not_the_step_clock() {
    let mut h = H::new();
    h.queue(
        1,
        steps(&[("skill.a >= 5", Some(60)), ("skill.a >= 1", None)]),
    );
    h.agent(1, &[("a", 1)]);
    h.at(10_000).contact(1, 1, Channel::Chat);
    let mut nc = NewContact::new(ContactId(2), QueueId(1), Channel::Chat);
    nc.waiting_since = Some(Timestamp(T0 + 5_000));
    h.at(20_000).enqueue(nc);
    assert_eq!(h.e.position(ContactId(2)), Some(1));
    assert_eq!(h.e.position(ContactId(1)), Some(2));
    let snap = h.e.contact(ContactId(2)).unwrap();
    assert_eq!(snap.enqueued_at, Timestamp(T0 + 5_000));
    assert_eq!(snap.queue_entered_at, Timestamp(T0 + 20_000));
    // Contact 1's first step runs out at 70 s, contact 2's at 80 s (not at 65 s).
    assert_eq!(offers(&h.at(70_000).tick()), vec![(1, 1)]);
    h.accept(1, 1);
    assert!(offers(&h.at(79_000).tick()).is_empty());
    assert_eq!(offers(&h.at(80_000).tick()), vec![(2, 1)]);
    let mut later = NewContact::new(ContactId(3), QueueId(1), Channel::Chat);
    later.waiting_since = Some(Timestamp(T0 + 999_999_999));
    h.at(90_000).enqueue(later);
    assert_eq!(
        h.e.contact(ContactId(3)).unwrap().enqueued_at,
        Timestamp(T0 + 90_000)
    );
}
