//! The four RFC 3261 §17 transaction state machines, sans-IO.
//!
//! A [`Transaction`] is driven by [`Input`]s (a message received, a response the
//! transaction user sends, a timer that fired) with the current time, and answers with
//! [`Output`]s: messages to send, timers to arm at an absolute time, messages for the
//! transaction user, a timeout, the end. It never reads a clock: the driver keeps one
//! timer per (transaction, [`Timer`]) and feeds [`Input::Timer`] when it is due. A fire
//! for a timer the transaction no longer wants is ignored, so the driver need not cancel
//! anything ([`Output::Cancel`] is only a hint that lets it drop the entry early).
//!
//! Over a reliable transport (TCP) retransmission timers (A, E, G) are not armed and
//! the wait timers D, I, J, K are zero, as §17 says.
use crate::sip::{MAGIC_COOKIE, Message, Method, ParseError};

/// Milliseconds on the driver's monotonic clock.
pub type Millis = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timer {
    A,
    B,
    D,
    E,
    F,
    G,
    H,
    I,
    J,
    K,
}

/// T1 (round-trip estimate), T2 (longest retransmit interval), T4 (how long the network
/// may hold a message): 500 ms, 4 s, 5 s by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    pub t1: Millis,
    pub t2: Millis,
    pub t4: Millis,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            t1: 500,
            t2: 4_000,
            t4: 5_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Send(Message),
    Arm {
        timer: Timer,
        at: Millis,
    },
    Cancel(Timer),
    /// A response (client) or retransmitted request the TU must see (server: never).
    Deliver(Message),
    /// Timer B, F or H: no answer came. Terminated follows.
    TimedOut,
    Terminated,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A message from the network that matched this transaction.
    Receive(Message),
    /// The TU sends a response (server transactions only).
    Respond(Message),
    Timer(Timer),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    InviteClient,
    InviteServer,
    NonInviteClient,
    NonInviteServer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Calling,
    Trying,
    Proceeding,
    Completed,
    Confirmed,
    Terminated,
}

/// How a message finds its transaction (§17.1.3, §17.2.3): the top Via's branch and
/// sent-by, and the method, with ACK counted as INVITE.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub branch: String,
    pub sent_by: String,
    pub method: Method,
}

impl Key {
    pub fn of(msg: &Message) -> Result<Key, ParseError> {
        let via = msg.top_via()?;
        let branch = via
            .branch()
            .filter(|b| b.starts_with(MAGIC_COOKIE))
            .ok_or(ParseError::BadValue("Via"))?;
        let method = match msg.cseq()?.method {
            Method::Ack => Method::Invite,
            m => m,
        };
        Ok(Key {
            branch: branch.to_string(),
            sent_by: format!(
                "{}:{}",
                via.host.to_ascii_lowercase(),
                via.port.unwrap_or(5060)
            ),
            method,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Transaction {
    kind: Kind,
    state: State,
    reliable: bool,
    timers: TimerConfig,
    request: Message,
    last_response: Option<Message>,
    ack: Option<Message>,
    interval: Millis,
    armed: Vec<Timer>,
}

fn is_final(code: u16) -> bool {
    code >= 200
}

impl Transaction {
    fn new(
        kind: Kind,
        state: State,
        request: Message,
        reliable: bool,
        timers: TimerConfig,
    ) -> Transaction {
        Transaction {
            kind,
            state,
            reliable,
            timers,
            request,
            last_response: None,
            ack: None,
            interval: timers.t1,
            armed: Vec::new(),
        }
    }

    /// A client transaction: sends `request` now.
    pub fn client(
        now: Millis,
        request: Message,
        reliable: bool,
        timers: TimerConfig,
    ) -> (Transaction, Vec<Output>) {
        let invite = request.method() == Some(&Method::Invite);
        let (kind, state) = if invite {
            (Kind::InviteClient, State::Calling)
        } else {
            (Kind::NonInviteClient, State::Trying)
        };
        let mut t = Transaction::new(kind, state, request.clone(), reliable, timers);
        let mut out = vec![Output::Send(request)];
        let (retransmit, timeout) = if invite {
            (Timer::A, Timer::B)
        } else {
            (Timer::E, Timer::F)
        };
        if !reliable {
            t.arm(&mut out, retransmit, now + timers.t1);
        }
        t.arm(&mut out, timeout, now + 64 * timers.t1);
        (t, out)
    }

    /// A server transaction for a request just received. An INVITE is answered with
    /// 100 Trying at once (§17.2.1), which stops the client's retransmissions.
    pub fn server(
        request: Message,
        reliable: bool,
        timers: TimerConfig,
    ) -> (Transaction, Vec<Output>) {
        let invite = request.method() == Some(&Method::Invite);
        let (kind, state) = if invite {
            (Kind::InviteServer, State::Proceeding)
        } else {
            (Kind::NonInviteServer, State::Trying)
        };
        let mut t = Transaction::new(kind, state, request, reliable, timers);
        let mut out = Vec::new();
        if invite {
            let trying = Message::response_to(&t.request, 100, "Trying");
            t.last_response = Some(trying.clone());
            out.push(Output::Send(trying));
        }
        (t, out)
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }
    pub fn state(&self) -> State {
        self.state
    }
    pub fn request(&self) -> &Message {
        &self.request
    }
    pub fn is_terminated(&self) -> bool {
        self.state == State::Terminated
    }

    fn arm(&mut self, out: &mut Vec<Output>, timer: Timer, at: Millis) {
        if !self.armed.contains(&timer) {
            self.armed.push(timer);
        }
        out.push(Output::Arm { timer, at });
    }

    fn disarm(&mut self, out: &mut Vec<Output>, timers: &[Timer]) {
        for t in timers {
            if let Some(i) = self.armed.iter().position(|a| a == t) {
                self.armed.swap_remove(i);
                out.push(Output::Cancel(*t));
            }
        }
    }

    fn terminate(&mut self, out: &mut Vec<Output>) {
        let armed = std::mem::take(&mut self.armed);
        out.extend(armed.into_iter().map(Output::Cancel));
        self.state = State::Terminated;
        out.push(Output::Terminated);
    }

    /// Enters a wait state (D, I, J, K): zero over a reliable transport.
    fn wait(
        &mut self,
        out: &mut Vec<Output>,
        state: State,
        timer: Timer,
        unreliable: Millis,
        now: Millis,
    ) {
        self.state = state;
        if self.reliable {
            self.terminate(out);
        } else {
            self.arm(out, timer, now + unreliable);
        }
    }

    /// The ACK for a non-2xx final response (§17.1.1.3).
    fn ack_for(&self, response: &Message) -> Message {
        let r = &self.request;
        let mut ack = Message::request(Method::Ack, r.uri().unwrap_or_default());
        if let Some(v) = r.header("Via") {
            ack.push("Via", v);
        }
        for route in r.headers_named("Route") {
            ack.push("Route", route);
        }
        for name in ["From", "Call-ID"] {
            if let Some(v) = r.header(name) {
                ack.push(name, v);
            }
        }
        if let Some(v) = response.header("To") {
            ack.push("To", v);
        }
        let seq = r.cseq().map(|c| c.seq).unwrap_or(0);
        ack.push("CSeq", format!("{seq} ACK"));
        ack.push("Max-Forwards", "70");
        ack
    }

    pub fn handle(&mut self, now: Millis, input: Input) -> Vec<Output> {
        let mut out = Vec::new();
        if self.state == State::Terminated {
            return out;
        }
        if let Input::Timer(t) = &input {
            if !self.armed.contains(t) {
                return out; // stale or cancelled
            }
            self.armed.retain(|a| a != t);
        }
        let (t1, t2, t4) = (self.timers.t1, self.timers.t2, self.timers.t4);
        match (self.kind, self.state, input) {
            // ---- INVITE client (§17.1.1) ----
            (Kind::InviteClient, State::Calling, Input::Timer(Timer::A)) => {
                out.push(Output::Send(self.request.clone()));
                self.interval = self.interval.saturating_mul(2);
                self.arm(&mut out, Timer::A, now + self.interval);
            }
            (Kind::InviteClient, State::Calling, Input::Timer(Timer::B)) => {
                out.push(Output::TimedOut);
                self.terminate(&mut out);
            }
            (Kind::InviteClient, State::Calling | State::Proceeding, Input::Receive(res)) => {
                let Some(code) = res.status() else { return out };
                if code < 200 {
                    self.state = State::Proceeding;
                    self.disarm(&mut out, &[Timer::A, Timer::B]);
                    out.push(Output::Deliver(res));
                } else if code < 300 {
                    out.push(Output::Deliver(res));
                    self.terminate(&mut out);
                } else {
                    self.disarm(&mut out, &[Timer::A, Timer::B]);
                    let ack = self.ack_for(&res);
                    self.ack = Some(ack.clone());
                    out.push(Output::Send(ack));
                    out.push(Output::Deliver(res));
                    self.wait(&mut out, State::Completed, Timer::D, 32_000, now);
                }
            }
            (Kind::InviteClient, State::Completed, Input::Receive(res)) => {
                if res.status().is_some_and(|c| c >= 300)
                    && let Some(ack) = &self.ack
                {
                    out.push(Output::Send(ack.clone()));
                }
            }
            (Kind::InviteClient, State::Completed, Input::Timer(Timer::D)) => {
                self.terminate(&mut out);
            }

            // ---- INVITE server (§17.2.1) ----
            (Kind::InviteServer, State::Proceeding, Input::Receive(req))
                if req.method() == Some(&Method::Invite) =>
            {
                out.extend(self.last_response.clone().map(Output::Send));
            }
            (Kind::InviteServer, State::Proceeding, Input::Respond(res)) => {
                let code = res.status().unwrap_or(0);
                self.last_response = Some(res.clone());
                out.push(Output::Send(res));
                if (200..300).contains(&code) {
                    // The TU retransmits 2xx until the ACK (§13.3.1.4).
                    self.terminate(&mut out);
                } else if is_final(code) {
                    self.state = State::Completed;
                    if !self.reliable {
                        self.arm(&mut out, Timer::G, now + t1);
                    }
                    self.arm(&mut out, Timer::H, now + 64 * t1);
                }
            }
            (Kind::InviteServer, State::Completed, Input::Receive(req)) => match req.method() {
                Some(Method::Invite) => out.extend(self.last_response.clone().map(Output::Send)),
                Some(Method::Ack) => {
                    self.disarm(&mut out, &[Timer::G, Timer::H]);
                    self.wait(&mut out, State::Confirmed, Timer::I, t4, now);
                }
                _ => {}
            },
            (Kind::InviteServer, State::Completed, Input::Timer(Timer::G)) => {
                out.extend(self.last_response.clone().map(Output::Send));
                self.interval = (self.interval * 2).min(t2);
                self.arm(&mut out, Timer::G, now + self.interval);
            }
            (Kind::InviteServer, State::Completed, Input::Timer(Timer::H)) => {
                out.push(Output::TimedOut);
                self.terminate(&mut out);
            }
            (Kind::InviteServer, State::Confirmed, Input::Timer(Timer::I)) => {
                self.terminate(&mut out);
            }

            // ---- non-INVITE client (§17.1.2) ----
            (Kind::NonInviteClient, State::Trying | State::Proceeding, Input::Timer(Timer::E)) => {
                out.push(Output::Send(self.request.clone()));
                self.interval = if self.state == State::Trying {
                    (self.interval * 2).min(t2)
                } else {
                    t2
                };
                self.arm(&mut out, Timer::E, now + self.interval);
            }
            (Kind::NonInviteClient, State::Trying | State::Proceeding, Input::Timer(Timer::F)) => {
                out.push(Output::TimedOut);
                self.terminate(&mut out);
            }
            (Kind::NonInviteClient, State::Trying | State::Proceeding, Input::Receive(res)) => {
                let Some(code) = res.status() else { return out };
                out.push(Output::Deliver(res));
                if code < 200 {
                    self.state = State::Proceeding;
                } else {
                    self.disarm(&mut out, &[Timer::E, Timer::F]);
                    self.wait(&mut out, State::Completed, Timer::K, t4, now);
                }
            }
            (Kind::NonInviteClient, State::Completed, Input::Timer(Timer::K)) => {
                self.terminate(&mut out);
            }

            // ---- non-INVITE server (§17.2.2) ----
            (Kind::NonInviteServer, State::Trying | State::Proceeding, Input::Respond(res)) => {
                let code = res.status().unwrap_or(0);
                self.last_response = Some(res.clone());
                out.push(Output::Send(res));
                if is_final(code) {
                    self.wait(&mut out, State::Completed, Timer::J, 64 * t1, now);
                } else {
                    self.state = State::Proceeding;
                }
            }
            (Kind::NonInviteServer, State::Proceeding | State::Completed, Input::Receive(req))
                if req.is_request() =>
            {
                out.extend(self.last_response.clone().map(Output::Send));
            }
            (Kind::NonInviteServer, State::Completed, Input::Timer(Timer::J)) => {
                self.terminate(&mut out);
            }
            // Anything else (a retransmitted request while Trying, a response to a
            // server transaction, a response after completion) is absorbed.
            _ => {}
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::{NameAddr, Via};
    use proptest::prelude::*;

    fn request(method: Method) -> Message {
        let mut m = Message::request(method.clone(), "sip:bob@example.com");
        m.push(
            "Via",
            Via::new("UDP", "10.0.0.1", 5060, "z9hG4bKabc").to_string(),
        );
        m.push(
            "From",
            NameAddr::new("sip:alice@example.com")
                .with_tag("a1")
                .to_string(),
        );
        m.push("To", "<sip:bob@example.com>");
        m.push("Call-ID", "c1");
        m.push("CSeq", format!("1 {method}"));
        m.push("Route", "<sip:proxy.example.com;lr>");
        m
    }

    fn response(req: &Message, code: u16) -> Message {
        let mut r = Message::response_to(req, code, "X");
        if code > 100 {
            r.set("To", "<sip:bob@example.com>;tag=b1");
        }
        r
    }

    fn sent(out: &[Output]) -> Vec<String> {
        out.iter()
            .filter_map(|o| match o {
                Output::Send(m) => Some(match m.status() {
                    Some(c) => c.to_string(),
                    None => m.method().unwrap().to_string(),
                }),
                _ => None,
            })
            .collect()
    }

    fn arms(out: &[Output]) -> Vec<(Timer, Millis)> {
        out.iter()
            .filter_map(|o| match o {
                Output::Arm { timer, at } => Some((*timer, *at)),
                _ => None,
            })
            .collect()
    }

    /// Fires `timer` five times from `at`: the intervals it re-armed with, and when next.
    fn retransmit(
        t: &mut Transaction,
        timer: Timer,
        mut at: Millis,
        resent: &str,
    ) -> (Vec<Millis>, Millis) {
        let mut intervals = Vec::new();
        for _ in 0..5 {
            let out = t.handle(at, Input::Timer(timer));
            assert_eq!(sent(&out), vec![resent]);
            let next = arms(&out)[0].1;
            intervals.push(next - at);
            at = next;
        }
        (intervals, at)
    }

    #[test]
    fn invite_client_retransmits_doubling_then_times_out() {
        let (mut t, out) =
            Transaction::client(0, request(Method::Invite), false, TimerConfig::default());
        assert_eq!(arms(&out), vec![(Timer::A, 500), (Timer::B, 32_000)]);
        let mut at = 500;
        let mut sends = 1;
        while at < 32_000 {
            let out = t.handle(at, Input::Timer(Timer::A));
            sends += sent(&out).len();
            at = arms(&out)[0].1;
        }
        assert_eq!(
            sends, 7,
            "INVITE sent at 0, .5, 1.5, 3.5, 7.5, 15.5, 31.5 s"
        );
        let out = t.handle(32_000, Input::Timer(Timer::B));
        assert!(out.contains(&Output::TimedOut) && t.is_terminated());
    }

    #[test]
    fn invite_client_acks_a_failure_and_absorbs_repeats() {
        let req = request(Method::Invite);
        let (mut t, _) = Transaction::client(0, req.clone(), false, TimerConfig::default());
        let out = t.handle(100, Input::Receive(response(&req, 180)));
        assert_eq!(t.state(), State::Proceeding);
        assert!(out.contains(&Output::Cancel(Timer::A)));
        // A stale Timer A fire does nothing now.
        assert!(t.handle(500, Input::Timer(Timer::A)).is_empty());
        let out = t.handle(200, Input::Receive(response(&req, 486)));
        assert_eq!(sent(&out), vec!["ACK"]);
        let Output::Send(ack) = &out[0] else { panic!() };
        assert_eq!(ack.to_addr().unwrap().tag(), Some("b1"));
        assert_eq!(ack.cseq().unwrap().seq, 1);
        assert_eq!(ack.header("Route"), Some("<sip:proxy.example.com;lr>"));
        assert_eq!(ack.top_via().unwrap().branch(), Some("z9hG4bKabc"));
        assert_eq!(arms(&out), vec![(Timer::D, 32_200)]);
        assert_eq!(
            sent(&t.handle(300, Input::Receive(response(&req, 486)))),
            vec!["ACK"]
        );
        assert!(
            t.handle(32_200, Input::Timer(Timer::D))
                .contains(&Output::Terminated)
        );
    }

    #[test]
    fn invite_server_retransmits_failure_until_ack() {
        let req = request(Method::Invite);
        let (mut t, out) = Transaction::server(req.clone(), false, TimerConfig::default());
        assert_eq!(sent(&out), vec!["100"]);
        assert_eq!(
            sent(&t.handle(10, Input::Receive(req.clone()))),
            vec!["100"]
        );
        let out = t.handle(20, Input::Respond(response(&req, 486)));
        assert_eq!(arms(&out), vec![(Timer::G, 520), (Timer::H, 32_020)]);
        let (intervals, at) = retransmit(&mut t, Timer::G, 520, "486");
        assert_eq!(intervals, vec![1000, 2000, 4000, 4000, 4000]);
        let mut ack = request(Method::Ack);
        ack.set("CSeq", "1 ACK");
        let out = t.handle(at, Input::Receive(ack));
        assert_eq!(t.state(), State::Confirmed);
        assert!(out.contains(&Output::Cancel(Timer::G)));
        assert!(t.handle(at + 10, Input::Timer(Timer::G)).is_empty());
        assert!(
            t.handle(at + 5_000, Input::Timer(Timer::I))
                .contains(&Output::Terminated)
        );
    }

    #[test]
    fn non_invite_client_caps_at_t2_and_waits_k() {
        let req = request(Method::Bye);
        let (mut t, _) = Transaction::client(0, req.clone(), false, TimerConfig::default());
        let (intervals, at) = retransmit(&mut t, Timer::E, 500, "BYE");
        assert_eq!(intervals, vec![1000, 2000, 4000, 4000, 4000]);
        let out = t.handle(at, Input::Receive(response(&req, 200)));
        assert!(matches!(&out[0], Output::Deliver(m) if m.status() == Some(200)));
        assert_eq!(t.state(), State::Completed);
        assert!(
            t.handle(at + 5_000, Input::Timer(Timer::K))
                .contains(&Output::Terminated)
        );
    }

    #[test]
    fn reliable_transport_arms_no_retransmissions() {
        let req = request(Method::Options);
        let (mut t, out) = Transaction::client(0, req.clone(), true, TimerConfig::default());
        assert_eq!(arms(&out), vec![(Timer::F, 32_000)]);
        let out = t.handle(5, Input::Receive(response(&req, 200)));
        assert!(out.contains(&Output::Terminated));
        let (mut s, _) = Transaction::server(req.clone(), true, TimerConfig::default());
        assert!(
            s.handle(1, Input::Respond(response(&req, 200)))
                .contains(&Output::Terminated)
        );
    }

    #[test]
    fn non_invite_server_answers_retransmissions_from_memory() {
        let req = request(Method::Register);
        let (mut t, out) = Transaction::server(req.clone(), false, TimerConfig::default());
        assert!(out.is_empty());
        assert!(
            t.handle(1, Input::Receive(req.clone())).is_empty(),
            "Trying absorbs"
        );
        t.handle(2, Input::Respond(response(&req, 200)));
        assert_eq!(sent(&t.handle(3, Input::Receive(req.clone()))), vec!["200"]);
        assert!(
            t.handle(32_002, Input::Timer(Timer::J))
                .contains(&Output::Terminated)
        );
        assert_eq!(
            Key::of(&req).unwrap(),
            Key::of(&response(&req, 200)).unwrap()
        );
    }

    proptest! {
        /// Whatever arrives in whatever order, a transaction terminates by its last
        /// timer, never sends after terminating and never panics.
        #[test]
        fn always_ends(kind in 0..4u8, steps in prop::collection::vec((0..4u8, 100u16..700), 0..20)) {
            let method = if kind % 2 == 0 { Method::Invite } else { Method::Bye };
            let req = request(method.clone());
            let (mut t, out) = if kind < 2 {
                Transaction::client(0, req.clone(), false, TimerConfig::default())
            } else {
                Transaction::server(req.clone(), false, TimerConfig::default())
            };
            let mut timers: Vec<(Timer, Millis)> = arms(&out);
            let mut now = 0;
            for (what, code) in steps {
                now += 10;
                let input = match what {
                    0 => Input::Receive(response(&req, code)),
                    1 => Input::Respond(response(&req, code)),
                    2 => Input::Receive(req.clone()),
                    _ => match timers.first() { Some((t, at)) => { now = now.max(*at); Input::Timer(*t) } None => continue },
                };
                if let Input::Timer(fired) = &input { timers.retain(|(t, _)| t != fired); }
                let out = t.handle(now, input);
                timers.extend(arms(&out));
                timers.sort_by_key(|(_, at)| *at);
            }
            // Run every remaining timer: the transaction must end.
            let mut guard = 0;
            while !t.is_terminated() {
                guard += 1;
                prop_assert!(guard < 100 || t.state() == State::Proceeding, "stuck in {:?}", t.state());
                if guard >= 100 { break; }
                let Some((fired, at)) = timers.first().copied() else { break };
                timers.remove(0);
                now = now.max(at);
                let out = t.handle(now, Input::Timer(fired));
                timers.extend(arms(&out));
                timers.sort_by_key(|(_, at)| *at);
            }
            // Only Proceeding may wait for the TU (server) or the far end (INVITE client).
            prop_assert!(t.is_terminated() || t.state() == State::Proceeding || t.state() == State::Trying && kind == 3);
            if t.is_terminated() {
                prop_assert!(t.handle(now + 1, Input::Receive(req.clone())).is_empty());
            }
        }
    }
}
