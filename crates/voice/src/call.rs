//! A call, either way. Incoming, as the answering side (UAS) sees it: INVITE → 100
//! Trying → 180 Ringing → 200 OK with our SDP answer → ACK → … → BYE, with CANCEL and
//! the 2xx retransmissions §13.3.1.4 asks of the UAS. Outgoing (UAC, for click-to-dial
//! and callbacks through a trunk): INVITE with our offer → 1xx → 2xx → ACK, answering a
//! 401/407 digest challenge once, CANCEL before an answer. Once up, both take BYE and
//! re-INVITE (hold from either side) the same way.
//!
//! Like the transactions it drives, it is sans-IO: [`Call::handle`] takes the
//! time and a message or a due timer; every method returns [`CallOutput`]s: messages to
//! send (to the address the driver resolves: the top Via for responses, the dialog's
//! target for requests), timers to arm, and what the server must know (the negotiated
//! media, the call confirmed or ended).
use crate::dialog::{Dialog, DialogState, Ids};
use crate::digest::{self, Challenge};
use crate::sdp::{self, Direction, LocalMedia, Negotiated, SessionDescription};
use crate::sip::{Message, Method, NameAddr, Via};
use crate::transaction::{Input, Key, Millis, Output, Timer, TimerConfig, Transaction};

/// Where we are: our Via sent-by and Contact, and the transport's reliability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub transport: String,
    pub host: String,
    pub port: u16,
    /// Our Contact URI, e.g. `sip:homeshore@192.0.2.10:5060`.
    pub contact: String,
    pub reliable: bool,
    pub timers: TimerConfig,
    pub user_agent: String,
}

impl Endpoint {
    pub fn udp(host: &str, port: u16) -> Endpoint {
        Endpoint {
            transport: "UDP".into(),
            host: host.into(),
            port,
            contact: format!("sip:homeshore@{host}:{port}"),
            reliable: false,
            timers: TimerConfig::default(),
            user_agent: "Homeshore".into(),
        }
    }

    pub fn via(&self, ids: &mut Ids) -> Via {
        Via::new(&self.transport, &self.host, self.port, &ids.branch())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallTimer {
    /// A transaction's timer; `tx` numbers the call's transactions.
    Tx { tx: u32, timer: Timer },
    /// Resend the 200 OK to the INVITE or re-INVITE with this CSeq (§13.3.1.4).
    Retransmit2xx { cseq: u32 },
    /// No ACK for that 200 OK within 64·T1: the call is torn down.
    AckTimeout { cseq: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// We refused it (or could not agree on media: 488).
    Rejected(u16),
    Cancelled,
    RemoteHangup,
    LocalHangup,
    /// Our 200 OK was never acknowledged.
    NoAck,
    /// Our call was refused with this status (408 when nobody answered at all).
    Failed(u16),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutput {
    Send(Message),
    Arm {
        timer: CallTimer,
        at: Millis,
    },
    /// Media to set up or change (answer sent, hold, resume).
    Media(Negotiated),
    /// Our outgoing call rings (a 1xx other than 100 arrived).
    Ringing,
    /// The ACK arrived (incoming) or was sent (outgoing): the call is up.
    Confirmed,
    /// Sent once, when the call is over for the server (a BYE may still be finishing).
    Ended(EndReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    /// The INVITE is in (incoming) or out (outgoing); nothing more yet.
    Offered,
    Ringing,
    /// 200 OK sent, waiting for the ACK.
    Answered,
    Confirmed,
    Ended,
}

#[derive(Debug, Clone)]
struct Tx {
    id: u32,
    key: Key,
    tx: Transaction,
    /// For our re-INVITE: the SDP we offered.
    offer: Option<SessionDescription>,
}

/// Whom an outgoing call is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dial {
    /// Request-URI, e.g. `sip:+15557654321@trunk.example`.
    pub uri: String,
    /// Our caller ID.
    pub from: NameAddr,
    pub to: NameAddr,
    /// (username, password) for the trunk's digest challenge, if it asks.
    pub credentials: Option<(String, String)>,
}

/// What only an outgoing call needs: how to build its INVITE again with credentials.
#[derive(Debug, Clone)]
struct Outgoing {
    uri: String,
    from: NameAddr,
    to: NameAddr,
    call_id: String,
    cseq: u32,
    credentials: Option<(String, String)>,
    challenge: Option<(Challenge, &'static str)>,
    cancel_pending: bool,
}

#[derive(Debug, Clone)]
pub struct Call {
    ep: Endpoint,
    ids: Ids,
    media: LocalMedia,
    invite: Message,
    local_tag: String,
    offer: Option<SessionDescription>,
    dialog: Option<Dialog>,
    local_sdp: Option<SessionDescription>,
    /// Our 2xx to an INVITE or re-INVITE while its ACK has not come: (CSeq, 2xx).
    ok: Option<(u32, Message)>,
    ok_interval: Millis,
    txs: Vec<Tx>,
    next_tx: u32,
    /// The transaction of the (last) INVITE that set the call up.
    invite_tx: u32,
    /// Our ACK to the last 2xx for an INVITE of ours, sent again when the 2xx is.
    last_ack: Option<(u32, Message)>,
    /// Our 200 OK to the peer's last re-INVITE, sent again if the re-INVITE is (its
    /// server transaction ends with the 2xx, §17.2.1).
    reinvite_ok: Option<(Key, Message)>,
    outgoing: Option<Outgoing>,
    state: CallState,
    /// A hold (or resume) asked for while our 2xx waited for its ACK: a re-INVITE may
    /// not start before then (RFC 3261 §14.1), so it goes out with the ACK.
    deferred_hold: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("not an INVITE")]
    NotInvite,
    #[error(transparent)]
    Parse(#[from] crate::sip::ParseError),
}

impl Call {
    /// Takes an INVITE that starts a new dialog. Answers 100 Trying, or 488 when its
    /// SDP offers nothing we speak (an INVITE without SDP is refused the same way: we
    /// do not make offers in the 200 OK).
    pub fn incoming(
        now: Millis,
        invite: Message,
        ep: Endpoint,
        media: LocalMedia,
        mut ids: Ids,
    ) -> Result<(Call, Vec<CallOutput>), CallError> {
        if invite.method() != Some(&Method::Invite) {
            return Err(CallError::NotInvite);
        }
        let key = Key::of(&invite)?;
        let (tx, outs) = Transaction::server(invite.clone(), ep.reliable, ep.timers);
        let offer = SessionDescription::parse(&invite.body).ok();
        let mut call = Call {
            local_tag: ids.token(),
            ep,
            ids,
            media,
            invite,
            offer,
            dialog: None,
            local_sdp: None,
            ok: None,
            ok_interval: 0,
            txs: vec![Tx {
                id: 0,
                key,
                tx,
                offer: None,
            }],
            next_tx: 1,
            invite_tx: 0,
            reinvite_ok: None,
            last_ack: None,
            outgoing: None,
            state: CallState::Offered,
            deferred_hold: None,
        };
        let mut out = Vec::new();
        call.absorb(0, outs, &mut out);
        let acceptable = call
            .offer
            .as_ref()
            .is_some_and(|o| sdp::answer(o, &call.media).is_ok());
        if call.invite.contacts().map_or(true, |c| c.is_empty()) {
            // Without a Contact there is nowhere to send the BYE (§8.1.1.8).
            out.extend(call.reject(now, 400, "Missing Contact"));
        } else if !acceptable {
            out.extend(call.reject(now, 488, "Not Acceptable Here"));
        }
        Ok((call, out))
    }

    /// Places a call: INVITE `dial.uri` with our SDP offer. With `dial.credentials`
    /// a 401/407 challenge is answered once.
    pub fn outgoing(
        now: Millis,
        dial: Dial,
        ep: Endpoint,
        media: LocalMedia,
        mut ids: Ids,
    ) -> (Call, Vec<CallOutput>) {
        let Dial {
            uri,
            from,
            to,
            credentials,
        } = dial;
        let local_tag = ids.token();
        let call_id = format!("{}@{}", ids.token(), ep.host);
        let offer = sdp::offer(&media);
        let mut call = Call {
            invite: Message::request(Method::Invite, uri.clone()),
            outgoing: Some(Outgoing {
                uri,
                from: from.with_tag(&local_tag),
                to,
                call_id,
                cseq: 0,
                credentials,
                challenge: None,
                cancel_pending: false,
            }),
            local_tag,
            ep,
            ids,
            media,
            local_sdp: Some(offer.clone()),
            offer: Some(offer),
            dialog: None,
            ok: None,
            ok_interval: 0,
            txs: Vec::new(),
            next_tx: 0,
            invite_tx: 0,
            reinvite_ok: None,
            last_ack: None,
            state: CallState::Offered,
            deferred_hold: None,
        };
        let mut out = Vec::new();
        call.send_invite(now, &mut out);
        (call, out)
    }

    fn send_invite(&mut self, now: Millis, out: &mut Vec<CallOutput>) {
        let via = self.ep.via(&mut self.ids);
        let Some(o) = &mut self.outgoing else { return };
        o.cseq += 1;
        let mut m = Message::request(Method::Invite, o.uri.clone());
        m.push("Via", via.to_string());
        m.push("Max-Forwards", "70");
        m.push("From", o.from.to_string());
        m.push("To", o.to.to_string());
        m.push("Call-ID", o.call_id.clone());
        m.push("CSeq", format!("{} INVITE", o.cseq));
        m.push("Contact", format!("<{}>", self.ep.contact));
        m.push("User-Agent", self.ep.user_agent.clone());
        if let (Some((ch, header)), Some((user, pass))) = (&o.challenge, &o.credentials) {
            let cnonce = format!("{:08x}", self.ids.next_u64() as u32);
            let creds = digest::respond(ch, "INVITE", &o.uri, user, pass, &cnonce, 1);
            m.push(header, creds.to_string());
        }
        m.push("Content-Type", "application/sdp");
        m.body = self
            .offer
            .as_ref()
            .map(|o| o.to_bytes())
            .unwrap_or_default();
        self.invite = m.clone();
        let Ok(key) = Key::of(&m) else { return };
        let (tx, outs) = Transaction::client(now, m, self.ep.reliable, self.ep.timers);
        self.invite_tx = self.new_tx(tx, key, None);
        self.absorb(self.invite_tx, outs, out);
    }

    /// CANCEL for our INVITE (§9.1): its Request-URI, Via, Call-ID, From, To and CSeq
    /// number, a transaction of its own.
    fn send_cancel(&mut self, now: Millis, out: &mut Vec<CallOutput>) {
        let inv = &self.invite;
        let mut c = Message::request(Method::Cancel, inv.uri().unwrap_or_default());
        for name in ["Via", "From", "To", "Call-ID"] {
            if let Some(v) = inv.header(name) {
                c.push(name, v);
            }
        }
        for r in inv.headers_named("Route") {
            c.push("Route", r);
        }
        let seq = inv.cseq().map(|c| c.seq).unwrap_or(1);
        c.push("CSeq", format!("{seq} CANCEL"));
        c.push("Max-Forwards", "70");
        let Ok(key) = Key::of(&c) else { return };
        let (tx, outs) = Transaction::client(now, c, self.ep.reliable, self.ep.timers);
        let id = self.new_tx(tx, key, None);
        self.absorb(id, outs, out);
    }

    /// A response to our INVITE, after its transaction.
    fn on_invite_response(&mut self, now: Millis, r: Message, out: &mut Vec<CallOutput>) {
        let Some(code) = r.status() else { return };
        let cancelled = self.state == CallState::Ended;
        match code {
            100 => {}
            101..=199 => {
                if self.outgoing.as_ref().is_some_and(|o| o.cancel_pending) {
                    if let Some(o) = &mut self.outgoing {
                        o.cancel_pending = false;
                    }
                    self.send_cancel(now, out);
                    return;
                }
                if self.dialog.is_none() {
                    self.dialog = Dialog::uac(&self.invite, &r).ok();
                }
                if self.state == CallState::Offered {
                    self.state = CallState::Ringing;
                    out.push(CallOutput::Ringing);
                }
                // Early media (183 with SDP).
                if let Some(neg) = SessionDescription::parse(&r.body)
                    .ok()
                    .filter(|_| !cancelled)
                    .and_then(|a| sdp::negotiated_from_answer(&a, &self.media).ok())
                {
                    out.push(CallOutput::Media(neg));
                }
            }
            200..=299 => {
                let Ok(mut dialog) = Dialog::uac(&self.invite, &r) else {
                    return;
                };
                let via = self.ep.via(&mut self.ids);
                let seq = r.cseq().map(|c| c.seq).ok();
                let ack = dialog.request(Method::Ack, via, seq);
                out.push(CallOutput::Send(ack.clone()));
                self.last_ack = seq.map(|s| (s, ack));
                self.dialog = Some(dialog);
                let neg = SessionDescription::parse(&r.body)
                    .ok()
                    .and_then(|a| sdp::negotiated_from_answer(&a, &self.media).ok());
                match neg {
                    Some(neg) if !cancelled => {
                        self.state = CallState::Confirmed;
                        out.push(CallOutput::Media(neg));
                        out.push(CallOutput::Confirmed);
                    }
                    // Answered after we gave up, or with nothing we can play: end it.
                    _ => {
                        self.send_bye(now, out);
                        self.end(EndReason::Failed(488), out);
                    }
                }
            }
            401 | 407 => {
                let retry = match (&mut self.outgoing, digest::challenge_of(&r)) {
                    (Some(o), Some((ch, header))) if o.credentials.is_some() && !cancelled => {
                        let first = o.challenge.is_none() || ch.stale;
                        o.challenge = Some((ch, header));
                        first
                    }
                    _ => false,
                };
                if retry {
                    self.send_invite(now, out);
                } else {
                    self.end(EndReason::Failed(code), out);
                }
            }
            _ => self.end(EndReason::Failed(code), out),
        }
    }

    pub fn state(&self) -> CallState {
        self.state
    }
    pub fn dialog(&self) -> Option<&Dialog> {
        self.dialog.as_ref()
    }
    pub fn invite(&self) -> &Message {
        &self.invite
    }

    fn response(&self, code: u16, reason: &str) -> Message {
        let mut r = Message::response_to(&self.invite, code, reason);
        if let Ok(to) = self.invite.to_addr() {
            r.set("To", to.with_tag(&self.local_tag).to_string());
        }
        if (101..300).contains(&code) {
            r.push("Contact", format!("<{}>", self.ep.contact));
        }
        r.push("Server", self.ep.user_agent.clone());
        r
    }

    /// Feeds a transaction's outputs to the call's; returns the messages it delivered.
    fn absorb(&mut self, id: u32, outs: Vec<Output>, out: &mut Vec<CallOutput>) -> Vec<Message> {
        let mut delivered = Vec::new();
        for o in outs {
            match o {
                Output::Send(m) => out.push(CallOutput::Send(m)),
                Output::Arm { timer, at } => out.push(CallOutput::Arm {
                    timer: CallTimer::Tx { tx: id, timer },
                    at,
                }),
                Output::Deliver(m) => delivered.push(m),
                Output::Terminated => {
                    // Keep the INVITE's for matching retransmissions; drop others.
                    if id != self.invite_tx {
                        self.txs.retain(|t| t.id != id);
                    }
                }
                Output::TimedOut if id == self.invite_tx && self.outgoing.is_some() => {
                    self.end(EndReason::Failed(408), out);
                }
                Output::Cancel(_) | Output::TimedOut => {}
            }
        }
        delivered
    }

    fn tx_handle(
        &mut self,
        id: u32,
        now: Millis,
        input: Input,
        out: &mut Vec<CallOutput>,
    ) -> Vec<Message> {
        let Some(t) = self.txs.iter_mut().find(|t| t.id == id) else {
            return Vec::new();
        };
        let outs = t.tx.handle(now, input);
        self.absorb(id, outs, out)
    }

    fn new_tx(&mut self, tx: Transaction, key: Key, offer: Option<SessionDescription>) -> u32 {
        let id = self.next_tx;
        self.next_tx += 1;
        self.txs.push(Tx { id, key, tx, offer });
        id
    }

    fn end(&mut self, reason: EndReason, out: &mut Vec<CallOutput>) {
        if self.state != CallState::Ended {
            self.state = CallState::Ended;
            out.push(CallOutput::Ended(reason));
        }
    }

    /// 180 Ringing; the dialog is early.
    pub fn ring(&mut self, now: Millis) -> Vec<CallOutput> {
        let mut out = Vec::new();
        if self.state != CallState::Offered || self.outgoing.is_some() {
            return out;
        }
        let ringing = self.response(180, "Ringing");
        self.dialog = Dialog::uas(&self.invite, &ringing, &self.ep.contact).ok();
        self.state = CallState::Ringing;
        self.tx_handle(0, now, Input::Respond(ringing), &mut out);
        out
    }

    /// 200 OK with the SDP answer. The 200 is resent until the ACK comes.
    pub fn answer(&mut self, now: Millis) -> Vec<CallOutput> {
        let mut out = Vec::new();
        if !matches!(self.state, CallState::Offered | CallState::Ringing) || self.outgoing.is_some()
        {
            return out;
        }
        let Some(Ok((answer, negotiated))) =
            self.offer.as_ref().map(|o| sdp::answer(o, &self.media))
        else {
            return self.reject(now, 488, "Not Acceptable Here");
        };
        let mut ok = self.response(200, "OK");
        ok.push("Content-Type", "application/sdp");
        ok.body = answer.to_bytes();
        self.local_sdp = Some(answer);
        match &mut self.dialog {
            Some(d) => d.state = DialogState::Confirmed,
            None => self.dialog = Dialog::uas(&self.invite, &ok, &self.ep.contact).ok(),
        }
        self.state = CallState::Answered;
        self.await_ack(now, ok.clone(), &mut out);
        self.tx_handle(0, now, Input::Respond(ok), &mut out);
        out.push(CallOutput::Media(negotiated));
        out
    }

    /// A final refusal (486 Busy Here, 480, 603 Decline…) before answering.
    pub fn reject(&mut self, now: Millis, code: u16, reason: &str) -> Vec<CallOutput> {
        let mut out = Vec::new();
        if !matches!(self.state, CallState::Offered | CallState::Ringing) || self.outgoing.is_some()
        {
            return out;
        }
        let res = self.response(code, reason);
        self.tx_handle(0, now, Input::Respond(res), &mut out);
        self.end(EndReason::Rejected(code), &mut out);
        out
    }

    /// Our side hangs up: BYE once answered; before, 480 (incoming) or CANCEL
    /// (outgoing; held back until the far end has answered provisionally, §9.1).
    pub fn hangup(&mut self, now: Millis) -> Vec<CallOutput> {
        let mut out = Vec::new();
        match (self.state, &mut self.outgoing) {
            (CallState::Offered, Some(o)) => o.cancel_pending = true,
            (CallState::Ringing, Some(_)) => self.send_cancel(now, &mut out),
            _ => return self.hangup_answered_or_incoming(now),
        }
        self.end(EndReason::Cancelled, &mut out);
        out
    }

    fn hangup_answered_or_incoming(&mut self, now: Millis) -> Vec<CallOutput> {
        match self.state {
            CallState::Offered | CallState::Ringing => {
                self.reject(now, 480, "Temporarily Unavailable")
            }
            CallState::Answered | CallState::Confirmed => {
                let mut out = Vec::new();
                self.send_bye(now, &mut out);
                self.end(EndReason::LocalHangup, &mut out);
                out
            }
            CallState::Ended => Vec::new(),
        }
    }

    fn send_bye(&mut self, now: Millis, out: &mut Vec<CallOutput>) {
        let via = self.ep.via(&mut self.ids);
        let Some(d) = &mut self.dialog else { return };
        let bye = d.request(Method::Bye, via, None);
        let Ok(key) = Key::of(&bye) else { return };
        let (tx, outs) = Transaction::client(now, bye, self.ep.reliable, self.ep.timers);
        let id = self.new_tx(tx, key, None);
        self.absorb(id, outs, out);
    }

    /// Puts the call on hold (`true`: we send only, the music) or takes it off, by a
    /// re-INVITE. The media changes when the peer's 200 OK arrives.
    pub fn hold(&mut self, now: Millis, on: bool) -> Vec<CallOutput> {
        let mut out = Vec::new();
        if self.state == CallState::Answered {
            self.deferred_hold = Some(on);
            return out;
        }
        if self.state != CallState::Confirmed || self.txs.iter().any(|t| t.offer.is_some()) {
            return out;
        }
        let (Some(current), via) = (self.local_sdp.clone(), self.ep.via(&mut self.ids)) else {
            return out;
        };
        let dir = if on {
            Direction::SendOnly
        } else {
            Direction::SendRecv
        };
        let offer = sdp::with_direction(&current, dir);
        let Some(d) = &mut self.dialog else {
            return out;
        };
        let mut reinvite = d.request(Method::Invite, via, None);
        reinvite.push("Content-Type", "application/sdp");
        reinvite.body = offer.to_bytes();
        let Ok(key) = Key::of(&reinvite) else {
            return out;
        };
        let (tx, outs) = Transaction::client(now, reinvite, self.ep.reliable, self.ep.timers);
        let id = self.new_tx(tx, key, Some(offer));
        self.absorb(id, outs, &mut out);
        out
    }

    /// Keeps a 2xx to resend until its ACK, and arms the two timers.
    fn await_ack(&mut self, now: Millis, ok: Message, out: &mut Vec<CallOutput>) {
        let cseq = ok.cseq().map(|c| c.seq).unwrap_or(0);
        self.ok = Some((cseq, ok));
        self.ok_interval = self.ep.timers.t1;
        out.push(CallOutput::Arm {
            timer: CallTimer::Retransmit2xx { cseq },
            at: now + self.ok_interval,
        });
        out.push(CallOutput::Arm {
            timer: CallTimer::AckTimeout { cseq },
            at: now + 64 * self.ep.timers.t1,
        });
    }

    fn pending_ok(&self, cseq: u32) -> Option<&Message> {
        self.ok.as_ref().filter(|(s, _)| *s == cseq).map(|(_, m)| m)
    }

    pub fn handle_timer(&mut self, now: Millis, timer: CallTimer) -> Vec<CallOutput> {
        let mut out = Vec::new();
        match timer {
            CallTimer::Tx { tx, timer } => {
                self.tx_handle(tx, now, Input::Timer(timer), &mut out);
            }
            CallTimer::Retransmit2xx { cseq } if self.state != CallState::Ended => {
                let Some(ok) = self.pending_ok(cseq).cloned() else {
                    return out;
                };
                out.push(CallOutput::Send(ok));
                self.ok_interval = (self.ok_interval * 2).min(self.ep.timers.t2);
                out.push(CallOutput::Arm {
                    timer: CallTimer::Retransmit2xx { cseq },
                    at: now + self.ok_interval,
                });
            }
            CallTimer::AckTimeout { cseq }
                if self.state != CallState::Ended && self.pending_ok(cseq).is_some() =>
            {
                self.ok = None;
                self.send_bye(now, &mut out);
                self.end(EndReason::NoAck, &mut out);
            }
            _ => {}
        }
        out
    }

    /// A message from the network for this call (same Call-ID).
    pub fn handle_message(&mut self, now: Millis, msg: Message) -> Vec<CallOutput> {
        let mut out = Vec::new();
        let Ok(key) = Key::of(&msg) else {
            return out;
        };
        if !msg.is_request() {
            self.handle_response(now, key, msg, &mut out);
            return out;
        }
        let method = msg.method().cloned();
        // An ACK for our 2xx is its own transaction (new branch).
        if method == Some(Method::Ack) {
            let seq = msg.cseq().map(|c| c.seq).unwrap_or(0);
            if self.pending_ok(seq).is_some() && self.in_dialog(&msg) {
                self.ok = None;
                if self.state == CallState::Answered {
                    self.state = CallState::Confirmed;
                    out.push(CallOutput::Confirmed);
                    if let Some(on) = self.deferred_hold.take() {
                        out.extend(self.hold(now, on));
                    }
                }
                return out;
            }
        }
        if let Some((k, ok)) = &self.reinvite_ok
            && method == Some(Method::Invite)
            && *k == key
        {
            out.push(CallOutput::Send(ok.clone()));
            return out;
        }
        // A retransmission, or the ACK for a non-2xx, belongs to an existing transaction.
        if let Some(id) = self.txs.iter().find(|t| t.key == key).map(|t| t.id) {
            if method == Some(Method::Invite) && id == 0 && self.state == CallState::Answered {
                out.extend(self.ok.clone().map(|(_, ok)| CallOutput::Send(ok)));
            } else {
                self.tx_handle(id, now, Input::Receive(msg), &mut out);
            }
            return out;
        }
        match method {
            Some(Method::Cancel) => {
                let invite_key = Key {
                    method: Method::Invite,
                    ..key.clone()
                };
                let code = if self.txs.first().is_some_and(|t| t.key == invite_key) {
                    200
                } else {
                    481
                };
                self.respond_new(now, &msg, key, code, None, &mut out);
                if code == 200 && matches!(self.state, CallState::Offered | CallState::Ringing) {
                    let res = self.response(487, "Request Terminated");
                    self.tx_handle(0, now, Input::Respond(res), &mut out);
                    self.end(EndReason::Cancelled, &mut out);
                }
            }
            Some(Method::Bye) => {
                let ok = self.accept_in_dialog(&msg);
                self.respond_new(now, &msg, key, if ok { 200 } else { 481 }, None, &mut out);
                if ok {
                    self.end(EndReason::RemoteHangup, &mut out);
                }
            }
            Some(Method::Invite) => {
                // A re-INVITE: answer its offer (hold or resume from their side).
                if self.state == CallState::Ended || !self.accept_in_dialog(&msg) {
                    self.respond_new(now, &msg, key, 481, None, &mut out);
                    return out;
                }
                let answered = SessionDescription::parse(&msg.body)
                    .ok()
                    .and_then(|o| sdp::answer(&o, &self.media).ok());
                match answered {
                    Some((mut sdp, neg)) => {
                        if let Some(prev) = &self.local_sdp {
                            sdp.origin.session_version = prev.origin.session_version + 1;
                        }
                        self.local_sdp = Some(sdp.clone());
                        let ok = self.respond_new(now, &msg, key.clone(), 200, Some(sdp), &mut out);
                        self.await_ack(now, ok.clone(), &mut out);
                        self.reinvite_ok = Some((key, ok));
                        out.push(CallOutput::Media(neg));
                    }
                    None => {
                        self.respond_new(now, &msg, key, 488, None, &mut out);
                    }
                }
            }
            Some(Method::Ack) => {} // stray ACK: nothing to answer
            Some(Method::Options | Method::Info | Method::Update) if self.in_dialog(&msg) => {
                self.respond_new(now, &msg, key, 200, None, &mut out);
            }
            _ => {
                self.respond_new(now, &msg, key, 501, None, &mut out);
            }
        }
        out
    }

    fn in_dialog(&self, msg: &Message) -> bool {
        let id = crate::dialog::DialogId::of_request(msg).ok().flatten();
        matches!((&self.dialog, id), (Some(d), Some(id)) if d.id == id)
    }

    fn accept_in_dialog(&mut self, msg: &Message) -> bool {
        self.dialog
            .as_mut()
            .is_some_and(|d| d.receive_request(msg).is_ok())
    }

    fn respond_new(
        &mut self,
        now: Millis,
        req: &Message,
        key: Key,
        code: u16,
        sdp: Option<SessionDescription>,
        out: &mut Vec<CallOutput>,
    ) -> Message {
        let (tx, outs) = Transaction::server(req.clone(), self.ep.reliable, self.ep.timers);
        let id = self.new_tx(tx, key, None);
        self.absorb(id, outs, out);
        let reason = match code {
            200 => "OK",
            481 => "Call/Transaction Does Not Exist",
            488 => "Not Acceptable Here",
            _ => "Not Implemented",
        };
        let mut res = Message::response_to(req, code, reason);
        if req.to_addr().is_ok_and(|t| t.tag().is_none())
            && let Ok(to) = req.to_addr()
        {
            res.set("To", to.with_tag(&self.local_tag).to_string());
        }
        if let Some(sdp) = sdp {
            res.push("Contact", format!("<{}>", self.ep.contact));
            res.push("Content-Type", "application/sdp");
            res.body = sdp.to_bytes();
        }
        self.tx_handle(id, now, Input::Respond(res.clone()), out);
        res
    }

    /// A 2xx to an INVITE of ours that came again after its transaction ended: our ACK
    /// was lost, send it again (§13.2.2.4).
    fn ack_again(&self, res: &Message, out: &mut Vec<CallOutput>) {
        let Ok(cseq) = res.cseq() else { return };
        if res.status().is_some_and(|c| (200..300).contains(&c))
            && cseq.method == Method::Invite
            && let Some((seq, ack)) = &self.last_ack
            && *seq == cseq.seq
        {
            out.push(CallOutput::Send(ack.clone()));
        }
    }

    fn handle_response(&mut self, now: Millis, key: Key, res: Message, out: &mut Vec<CallOutput>) {
        let Some((id, offer)) = self
            .txs
            .iter()
            .find(|t| t.key == key)
            .map(|t| (t.id, t.offer.clone()))
        else {
            self.ack_again(&res, out);
            return;
        };
        let delivered = self.tx_handle(id, now, Input::Receive(res.clone()), out);
        if delivered.is_empty() {
            self.ack_again(&res, out);
        }
        if id == self.invite_tx && self.outgoing.is_some() {
            for r in delivered {
                self.on_invite_response(now, r, out);
            }
            return;
        }
        for r in delivered {
            let Some(offer) = &offer else { continue };
            if !r.status().is_some_and(|c| (200..300).contains(&c)) {
                continue;
            }
            // Our re-INVITE was accepted: ACK it (a new transaction of its own) and
            // take the answer.
            let via = self.ep.via(&mut self.ids);
            let seq = r.cseq().map(|c| c.seq).ok();
            if let Some(d) = &mut self.dialog {
                d.receive_response(&r);
                let ack = d.request(Method::Ack, via, seq);
                out.push(CallOutput::Send(ack.clone()));
                self.last_ack = seq.map(|s| (s, ack));
            }
            let answer = SessionDescription::parse(&r.body).ok();
            if let Some(neg) =
                answer.and_then(|a| sdp::negotiated_from_answer(&a, &self.media).ok())
            {
                self.local_sdp = Some(offer.clone());
                out.push(CallOutput::Media(neg));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::{Limits, parse};

    const OFFER: &str = "v=0\r\no=sipp 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 6000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n";

    fn invite() -> Message {
        let mut m = crate::dialog::tests::invite();
        m.push("Content-Type", "application/sdp");
        m.body = OFFER.as_bytes().to_vec();
        m
    }

    fn incoming(inv: Message) -> (Call, Vec<CallOutput>) {
        let ep = Endpoint::udp("h", 5060);
        Call::incoming(0, inv, ep, LocalMedia::new("h", 4000, 1), Ids::new(1)).unwrap()
    }

    fn start() -> (Call, Vec<CallOutput>) {
        Call::incoming(
            0,
            invite(),
            Endpoint::udp("192.0.2.10", 5060),
            LocalMedia::new("192.0.2.10", 40000, 1),
            Ids::new(1),
        )
        .unwrap()
    }

    fn sent(out: &[CallOutput]) -> Vec<Message> {
        out.iter()
            .filter_map(|o| match o {
                CallOutput::Send(m) => {
                    Some(parse(&m.to_bytes(), &Limits::default()).expect("we send what we parse"))
                }
                _ => None,
            })
            .collect()
    }

    fn codes(out: &[CallOutput]) -> Vec<String> {
        sent(out)
            .iter()
            .map(|m| {
                m.status()
                    .map_or_else(|| m.method().unwrap().to_string(), |c| c.to_string())
            })
            .collect()
    }

    fn from_peer(to_us: &Message, method: Method, seq: u32, branch: &str) -> Message {
        // The caller's in-dialog request, built from the dialog our response set up.
        let mut m = Message::request(method.clone(), "sip:homeshore@192.0.2.10:5060");
        m.push(
            "Via",
            format!("SIP/2.0/UDP 198.51.100.7:5060;branch={branch}"),
        );
        m.push("From", to_us.header("From").unwrap());
        m.push("To", to_us.header("To").unwrap());
        m.push("Call-ID", "call-1@carrier");
        m.push("CSeq", format!("{seq} {method}"));
        m.push("Contact", "<sip:+15550000@198.51.100.7:5060>");
        m
    }

    #[test]
    fn trying_ringing_answer_ack_bye() {
        let (mut call, out) = start();
        assert_eq!(codes(&out), vec!["100"]);
        assert_eq!(codes(&call.ring(10)), vec!["180"]);
        let out = call.answer(20);
        let ok = sent(&out).remove(0);
        assert_eq!(ok.status(), Some(200));
        assert!(ok.to_addr().unwrap().tag().is_some());
        let answer = SessionDescription::parse(&ok.body).unwrap();
        let (_, stream) = sdp::AudioStream::of(&answer).unwrap();
        assert_eq!(stream.codecs, vec![(sdp::Codec::Pcmu, 0)]);
        assert_eq!(stream.telephone_event, Some(101));
        assert!(
            out.iter()
                .any(|o| matches!(o, CallOutput::Media(n) if n.remote_port == 6000))
        );
        // No ACK yet: the 200 is resent at T1, 2T1, …
        let out = call.handle_timer(520, CallTimer::Retransmit2xx { cseq: 10 });
        assert_eq!(codes(&out), vec!["200"]);
        assert!(out.contains(&CallOutput::Arm {
            timer: CallTimer::Retransmit2xx { cseq: 10 },
            at: 1520
        }));
        // A retransmitted INVITE gets the 200 again.
        assert_eq!(codes(&call.handle_message(600, invite())), vec!["200"]);
        let ack = from_peer(&ok, Method::Ack, 10, "z9hG4bKack");
        assert_eq!(call.handle_message(700, ack), vec![CallOutput::Confirmed]);
        assert!(
            call.handle_timer(1520, CallTimer::Retransmit2xx { cseq: 10 })
                .is_empty()
        );
        assert!(
            call.handle_timer(32_020, CallTimer::AckTimeout { cseq: 10 })
                .is_empty()
        );
        let bye = from_peer(&ok, Method::Bye, 11, "z9hG4bKbye");
        let out = call.handle_message(5_000, bye.clone());
        assert_eq!(codes(&out), vec!["200"]);
        assert!(out.contains(&CallOutput::Ended(EndReason::RemoteHangup)));
        // The BYE retransmitted is answered from the transaction, not ended twice.
        let again = call.handle_message(5_100, bye);
        assert_eq!(codes(&again), vec!["200"]);
        assert!(!again.iter().any(|o| matches!(o, CallOutput::Ended(_))));
    }

    #[test]
    fn cancel_before_answer() {
        let (mut call, _) = start();
        call.ring(10);
        let mut cancel = invite();
        cancel.start = crate::sip::StartLine::Request {
            method: Method::Cancel,
            uri: "sip:+15551234@homeshore.example".into(),
        };
        cancel.set("CSeq", "10 CANCEL");
        cancel.body.clear();
        let out = call.handle_message(50, cancel);
        assert_eq!(codes(&out), vec!["200", "487"]);
        assert!(out.contains(&CallOutput::Ended(EndReason::Cancelled)));
        assert_eq!(call.state(), CallState::Ended);
    }

    #[test]
    fn no_contact_is_400() {
        let mut inv = invite();
        inv.remove("Contact");
        let (call, out) = incoming(inv);
        assert_eq!(codes(&out), vec!["100", "400"]);
        assert_eq!(call.state(), CallState::Ended);
    }

    #[test]
    fn no_common_codec_is_488() {
        let mut inv = invite();
        inv.body = OFFER.replace("RTP/AVP 8 0 101", "RTP/AVP 18").into_bytes();
        let (call, out) = incoming(inv);
        assert_eq!(codes(&out), vec!["100", "488"]);
        assert!(out.contains(&CallOutput::Ended(EndReason::Rejected(488))));
        assert_eq!(call.state(), CallState::Ended);
    }

    #[test]
    fn hold_by_reinvite_and_hangup() {
        let (mut call, _) = start();
        let ok = sent(&call.answer(0)).remove(0);
        call.handle_message(10, from_peer(&ok, Method::Ack, 10, "z9hG4bKack"));
        let out = call.hold(1_000, true);
        let reinvite = sent(&out).remove(0);
        assert_eq!(reinvite.method(), Some(&Method::Invite));
        assert_eq!(reinvite.uri(), Some("sip:+15550000@198.51.100.7:5060"));
        assert_eq!(reinvite.headers_named("Route").count(), 2);
        let offered = SessionDescription::parse(&reinvite.body).unwrap();
        assert_eq!(
            sdp::AudioStream::of(&offered).unwrap().1.direction,
            Direction::SendOnly
        );
        // The caller answers recvonly.
        let their = SessionDescription::parse(OFFER.as_bytes()).unwrap();
        let mut reply = Message::response_to(&reinvite, 200, "OK");
        reply.push("Contact", "<sip:+15550000@198.51.100.7:5060>");
        reply.body = sdp::with_direction(&their, Direction::RecvOnly).to_bytes();
        let out = call.handle_message(1_050, reply);
        assert_eq!(codes(&out), vec!["ACK"]);
        assert!(
            out.iter()
                .any(|o| matches!(o, CallOutput::Media(n) if n.direction == Direction::SendOnly))
        );
        let out = call.hangup(2_000);
        let bye = sent(&out).remove(0);
        assert_eq!(bye.method(), Some(&Method::Bye));
        assert_eq!(bye.cseq().unwrap().seq, 2, "after the re-INVITE's 1");
        assert!(out.contains(&CallOutput::Ended(EndReason::LocalHangup)));
    }

    #[test]
    fn unanswered_200_tears_down() {
        let (mut call, _) = start();
        call.answer(0);
        let out = call.handle_timer(32_000, CallTimer::AckTimeout { cseq: 10 });
        assert_eq!(codes(&out), vec!["BYE"]);
        assert!(out.contains(&CallOutput::Ended(EndReason::NoAck)));
    }

    fn dial(creds: bool) -> (Call, Message) {
        let dial = Dial {
            uri: "sip:+15557654321@trunk.example".into(),
            from: NameAddr::new("sip:+15551234@homeshore.example"),
            to: NameAddr::new("sip:+15557654321@trunk.example"),
            credentials: creds.then(|| ("acme".to_string(), "hunter2".to_string())),
        };
        let (call, out) = Call::outgoing(
            0,
            dial,
            Endpoint::udp("192.0.2.10", 5060),
            LocalMedia::new("192.0.2.10", 40000, 9),
            Ids::new(5),
        );
        let inv = sent(&out).remove(0);
        (call, inv)
    }

    fn reply(req: &Message, code: u16, sdp: bool) -> Message {
        let mut r = Message::response_to(req, code, "X");
        r.set("To", req.to_addr().unwrap().with_tag("far").to_string());
        r.push("Contact", "<sip:gw@198.51.100.9:5060>");
        r.push("Record-Route", "<sip:sbc.trunk.example;lr>");
        if sdp {
            let offer = SessionDescription::parse(&req.body).unwrap();
            let far = LocalMedia {
                codecs: vec![sdp::Codec::Pcma],
                ..LocalMedia::new("198.51.100.9", 7000, 3)
            };
            r.body = sdp::answer(&offer, &far).unwrap().0.to_bytes();
        }
        r
    }

    #[test]
    fn outgoing_through_a_challenge_to_answer_and_bye() {
        let (mut call, inv) = dial(true);
        assert_eq!(inv.cseq().unwrap().seq, 1);
        let offered = SessionDescription::parse(&inv.body).unwrap();
        assert_eq!(
            sdp::AudioStream::of(&offered).unwrap().1.telephone_event,
            Some(101)
        );
        let mut challenge = Message::response_to(&inv, 407, "Proxy Authentication Required");
        challenge.set("To", inv.to_addr().unwrap().with_tag("p").to_string());
        let server = crate::digest::DigestServer::new("trunk", b"trunk secret key", 30_000);
        challenge.push(
            "Proxy-Authenticate",
            server.challenge(10, false).to_string(),
        );
        let out = call.handle_message(10, challenge);
        assert_eq!(codes(&out), vec!["ACK", "INVITE"]);
        let inv2 = sent(&out).remove(1);
        assert_eq!(inv2.cseq().unwrap().seq, 2);
        assert_eq!(inv2.call_id().unwrap(), inv.call_id().unwrap());
        let creds =
            crate::digest::Credentials::parse(inv2.header("Proxy-Authorization").unwrap()).unwrap();
        let ha1 = crate::digest::ha1("acme", "trunk", "hunter2");
        assert_eq!(server.verify(20, "INVITE", &creds, |_| Some(ha1)), Ok(()));
        let out = call.handle_message(30, reply(&inv2, 180, false));
        assert_eq!(out, vec![CallOutput::Ringing]);
        let ok = reply(&inv2, 200, true);
        let out = call.handle_message(40, ok.clone());
        let ack = sent(&out).remove(0);
        assert_eq!(ack.method(), Some(&Method::Ack));
        assert_eq!(ack.uri(), Some("sip:gw@198.51.100.9:5060"));
        assert_eq!(ack.header("Route"), Some("<sip:sbc.trunk.example;lr>"));
        assert_eq!(ack.cseq().unwrap().seq, 2);
        assert!(out.iter().any(|o| matches!(o, CallOutput::Media(n) if n.codec == sdp::Codec::Pcma && n.remote_port == 7000 && n.telephone_event == Some(101))));
        assert!(out.contains(&CallOutput::Confirmed));
        assert_eq!(call.state(), CallState::Confirmed);
        // The 2xx again (our ACK lost): the same ACK again.
        assert_eq!(sent(&call.handle_message(50, ok)), vec![ack]);
        // The far end hangs up.
        let mut bye = Message::request(Method::Bye, "sip:homeshore@192.0.2.10:5060");
        bye.push("Via", "SIP/2.0/UDP 198.51.100.9:5060;branch=z9hG4bKfarbye");
        bye.push("From", inv2.to_addr().unwrap().with_tag("far").to_string());
        bye.push("To", inv2.header("From").unwrap());
        bye.push("Call-ID", inv2.call_id().unwrap());
        bye.push("CSeq", "1 BYE");
        let out = call.handle_message(60, bye);
        assert_eq!(codes(&out), vec!["200"]);
        assert!(out.contains(&CallOutput::Ended(EndReason::RemoteHangup)));
    }

    #[test]
    fn outgoing_cancel_waits_for_a_provisional() {
        let (mut call, inv) = dial(false);
        let out = call.hangup(5);
        assert!(
            sent(&out).is_empty(),
            "no CANCEL before a provisional response"
        );
        assert_eq!(out, vec![CallOutput::Ended(EndReason::Cancelled)]);
        let out = call.handle_message(10, reply(&inv, 180, false));
        let cancel = sent(&out).remove(0);
        assert_eq!(cancel.method(), Some(&Method::Cancel));
        assert_eq!(cancel.top_via().unwrap(), inv.top_via().unwrap());
        assert_eq!(cancel.cseq().unwrap().seq, 1);
        let out = call.handle_message(20, reply(&inv, 487, false));
        assert_eq!(codes(&out), vec!["ACK"]);
        assert!(
            !out.iter().any(|o| matches!(o, CallOutput::Ended(_))),
            "ended once only"
        );
    }

    #[test]
    fn outgoing_refusals_and_silence() {
        let (mut call, inv) = dial(false);
        let out = call.handle_message(10, reply(&inv, 486, false));
        assert!(out.contains(&CallOutput::Ended(EndReason::Failed(486))));
        let (mut call, _) = dial(false);
        let out = call.handle_timer(
            32_000,
            CallTimer::Tx {
                tx: 0,
                timer: Timer::B,
            },
        );
        assert!(out.contains(&CallOutput::Ended(EndReason::Failed(408))));
        // Without credentials a challenge ends the call.
        let (mut call, inv) = dial(false);
        let mut ch = reply(&inv, 401, false);
        ch.push("WWW-Authenticate", "Digest realm=\"r\", nonce=\"n\"");
        assert!(
            call.handle_message(10, ch)
                .contains(&CallOutput::Ended(EndReason::Failed(401)))
        );
    }
}
