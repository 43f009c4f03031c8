//! Routing engine: decides which agent helps each contact.
//!
//! Pure and deterministic: commands in, events and decisions out. Time is an input;
//! this crate never reads a clock, never does I/O, never spawns a thread. The same
//! commands at the same times give the same events, and applying those events to an
//! empty engine rebuilds an equal one. That is how the server restarts without losing a
//! waiting customer's place.
//!
//! # Using it
//!
//! ```
//! use routing::{AgentConfig, AgentId, Channel, Command, ContactId, Engine, EventKind,
//!               NewContact, Presence, QueueConfig, QueueId, Timestamp};
//!
//! let mut engine = Engine::default();
//! let t = Timestamp(1_700_000_000_000);
//! let returns = QueueId(1);
//! engine.handle(t, Command::ConfigureQueue {
//!     queue: returns,
//!     config: QueueConfig::single("skill.returns >= 2"),
//! })?;
//! engine.handle(t, Command::ConfigureAgent {
//!     agent: AgentId(7),
//!     config: AgentConfig::with_skills([("returns", 3)]),
//! })?;
//! engine.handle(t, Command::SetPresence { agent: AgentId(7), presence: Presence::Available })?;
//!
//! let events = engine.handle(t, Command::Enqueue(NewContact::new(ContactId(1), returns, Channel::Chat)))?;
//! // [ContactEnqueued, ContactOffered { agent: 7, explanation, .. }]
//! let EventKind::ContactOffered { agent, explanation, .. } = &events[1].kind else { panic!() };
//! assert_eq!(*agent, AgentId(7));
//! println!("{explanation}"); // "queue 1: step 1 of 1 (`skill.returns >= 2`) after 0ms waiting; …"
//!
//! // The server persists `events`, then acknowledges. After a restart:
//! let rebuilt = Engine::rebuild(Default::default(), [&events[0], &events[1]]);
//! # let _ = rebuilt;
//! # Ok::<(), routing::CommandError>(())
//! ```
//!
//! * [`Engine::handle`]`(now, command)` validates the [`Command`], applies its effects
//!   and runs a routing pass, and returns every state change as [`Event`]s, routing
//!   decisions ([`EventKind::ContactOffered`]) included, each with an [`Explanation`]:
//!   which step matched, how the agent was chosen, how many others qualified. A refused
//!   command returns a [`CommandError`] and changes nothing.
//! * **Timers.** Offers time out, steps relax, queues overflow, after-contact work
//!   ends, declines cool off. None of this happens by itself: [`Engine::next_timeout`]
//!   says when the next deadline is, and the caller sends [`Command::Tick`] at (or
//!   after) that time.
//!   A server runs one timer task that sleeps until `next_timeout()`; a simulation
//!   simply jumps there.
//! * **Events are the state.** [`Engine::rebuild`] (or [`Engine::apply`], one at a time)
//!   replays events without deciding anything and gives an engine `==` to the one that
//!   emitted them, indexes included. Events are serde enums tagged by `"type"`; fields
//!   are only ever added with defaults. The engine applies each event to itself through
//!   the same code path as `rebuild`, so a live engine and its rebuild cannot drift.
//! * **Ids** ([`AgentId`], [`QueueId`], [`ContactId`]) are caller-allocated `u64`
//!   newtypes that serialize as plain numbers. Time is a [`Timestamp`] (milliseconds
//!   since the Unix epoch) and durations are [`Millis`].
//! * **Queries**: [`Engine::agent`], [`Engine::contact`], [`Engine::queue_stats`],
//!   [`Engine::position`], [`Engine::snapshot`]. [`Engine::check_consistency`] audits
//!   every invariant (slow; for tests).
//!
//! # The model
//!
//! * **Agents** ([`AgentConfig`]) have skills with proficiency 1–5 and a [`Capacity`]
//!   per channel with cross-channel rules (by default a call blocks everything else and
//!   anything else blocks calls; a limit of 0 keeps an agent off a channel). Their
//!   [`Presence`] is available, break (with an aux code), offline, or missed (set by the
//!   engine after [`Settings::missed_after`] timeouts in a row). A contact holds a slot
//!   from its offer until its after-contact work ends.
//! * **Queues** ([`QueueConfig`]) have a priority, a service-level target, a maximum
//!   wait and an overflow queue, are open or closed (business hours are an input), and
//!   carry the **routing policy**: ordered [`RoutingStep`]s, each a target expression
//!   (see [`expr`]) and a timeout after which the next step replaces it.
//! * **Contacts** ([`NewContact`]) have a channel, a priority, attributes the targets
//!   can test (`contact.language == "es"`), and optionally a preferred agent who alone
//!   qualifies for a while.
//! * **Selection.** Contacts are served by rank: queue priority plus contact priority,
//!   aged — each [`QueueConfig::priority_aging`] of waiting is worth one level — then
//!   arrival. Among qualified free agents, [`Selection`] picks the longest idle (the
//!   default), the most skilled in the step's skills, or the least occupied.
//! * **Offers** go to one agent at a time and time out after
//!   [`QueueConfig::offer_timeout`]. A rejected or timed-out contact goes back to its
//!   place and on to the next agent. It is kept from an agent who rejected it, let its
//!   offer time out, or requeued it for [`QueueConfig::decline_cooloff`] (60 s by
//!   default) after that decline; then [`EventKind::DeclineExpired`] ends the cool-off
//!   and the agent may be offered it again at once, so a contact never waits for
//!   good while an agent who qualifies is free. A withdrawn offer (the agent left
//!   `available`) is not held against the agent. Moving to another queue (transfer,
//!   overflow) ends every cool-off.
//! * **Work conservation.** After every command no waiting contact has a free agent
//!   who qualifies for it and is not in a decline cool-off for it.
//!
//! # Performance
//!
//! Decisions never scan agents or contacts. Each distinct step target (after the
//! contact's own conditions are substituted) is an *agent group* holding, per channel,
//! an ordered set of its free members and an ordered set of the contacts waiting for
//! it: placing a contact is one ordered-set lookup, and a freed agent peeks the head of
//! each group it belongs to. The sets are sorted ring buffers keyed by time, so the
//! common changes (a newly idle agent or a new contact at the back, the chosen one
//! taken from the front) are O(1); timers are per-kind queues whose entries go stale in
//! place rather than being searched for. Figures are in `docs/benchmarks.md`
//! (`homeshore bench routing`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Per-channel arrays (load, limits, blocks) are indexed in parallel by channel index.
#![allow(clippy::needless_range_loop)]

mod command;
mod engine;
mod event;
pub mod expr;
mod ids;
mod model;
mod query;
pub mod wallboard;
pub mod workload;

pub use command::{Command, CommandError, NewContact};
pub use engine::{ApplyError, Engine, RebuildError};
pub use event::{DeclineReason, Event, EventKind, Explanation, MatchedRule, Trigger};
pub use expr::{Expr, ParseError};
pub use ids::{AgentId, ContactId, Millis, QueueId, Timestamp};
pub use model::{
    AgentConfig, Capacity, Channel, CrossChannelRule, Level, PreferredAgent, Presence, QueueConfig,
    RoutingStep, Selection, ServiceLevel, Settings, TransferTarget,
};
pub use query::{
    AgentSnapshot, AgentState, ContactSnapshot, ContactStatus, QueueSnapshot, QueueStats, Snapshot,
};
