//! A caller (`Call::outgoing`) and a callee (`Call::incoming`) talk through a simulated
//! UDP network that loses, duplicates and delays datagrams, with time driven by hand.
//! Whatever the network does (within a few losses), the call is set up once, both sides
//! agree on the media, and hanging up ends it once on each side. `TRACE_FLOW=1` prints
//! every datagram (time, index, direction, first line, CSeq, lost or not).
use proptest::prelude::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use voice::call::{Call, CallOutput, CallState, CallTimer, Dial, EndReason, Endpoint};
use voice::dialog::Ids;
use voice::sdp::{Codec, Direction, LocalMedia, Negotiated};
use voice::sip::{Limits, Message, NameAddr, parse};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    Caller,
    Callee,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Deliver(Side, Vec<u8>),
    Timer(Side, u8, u64),
    Answer,
    Hold,
    HangUp,
}

fn timer_code(t: CallTimer) -> (u8, u64) {
    match t {
        CallTimer::Tx { tx, timer } => (0, (tx as u64) << 8 | timer as u64),
        CallTimer::Retransmit2xx { cseq } => (1, cseq as u64),
        CallTimer::AckTimeout { cseq } => (2, cseq as u64),
    }
}

fn timer_of(kind: u8, v: u64) -> CallTimer {
    use voice::transaction::Timer::*;
    match kind {
        0 => CallTimer::Tx {
            tx: (v >> 8) as u32,
            timer: [A, B, D, E, F, G, H, I, J, K][(v & 0xFF) as usize],
        },
        1 => CallTimer::Retransmit2xx { cseq: v as u32 },
        _ => CallTimer::AckTimeout { cseq: v as u32 },
    }
}

#[derive(Default, Debug)]
struct Seen {
    confirmed: u32,
    ringing: u32,
    ended: Vec<EndReason>,
    media: Vec<Negotiated>,
}

struct Net {
    queue: BinaryHeap<Reverse<(u64, u64, Event)>>,
    seq: u64,
    sends: usize,
    drop: Vec<usize>,
    dup: Vec<usize>,
    delays: Vec<u64>,
}

impl Net {
    fn at(&mut self, t: u64, e: Event) {
        self.seq += 1;
        self.queue.push(Reverse((t, self.seq, e)));
    }

    fn send(&mut self, now: u64, to: Side, m: &Message) {
        let n = self.sends;
        if std::env::var_os("TRACE_FLOW").is_some() {
            let first = String::from_utf8_lossy(&m.to_bytes())
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            let cseq = m.header("CSeq").unwrap_or("");
            eprintln!(
                "{now:>6} #{n} -> {to:?} {first} [{cseq}]{}",
                if self.drop.contains(&n) { " LOST" } else { "" }
            );
        }
        self.sends += 1;
        if self.drop.contains(&n) {
            return;
        }
        let delay = self.delays[n % self.delays.len()];
        self.at(now + delay, Event::Deliver(to, m.to_bytes()));
        if self.dup.contains(&n) {
            self.at(now + delay + 7, Event::Deliver(to, m.to_bytes()));
        }
    }
}

fn absorb(net: &mut Net, now: u64, from: Side, out: Vec<CallOutput>, seen: &mut Seen) {
    let to = if from == Side::Caller {
        Side::Callee
    } else {
        Side::Caller
    };
    for o in out {
        match o {
            CallOutput::Send(m) => net.send(now, to, &m),
            CallOutput::Arm { timer, at } => {
                let (k, v) = timer_code(timer);
                net.at(at, Event::Timer(from, k, v));
            }
            CallOutput::Media(n) => seen.media.push(n),
            CallOutput::Ringing => seen.ringing += 1,
            CallOutput::Confirmed => seen.confirmed += 1,
            CallOutput::Ended(r) => seen.ended.push(r),
        }
    }
}

fn run(drop: Vec<usize>, dup: Vec<usize>, delays: Vec<u64>, callee_prefers_pcma: bool) {
    let mut net = Net {
        queue: BinaryHeap::new(),
        seq: 0,
        sends: 0,
        drop,
        dup,
        delays,
    };
    let (mut caller_seen, mut callee_seen) = (Seen::default(), Seen::default());
    let dial = Dial {
        uri: "sip:agent@192.0.2.20:5060".into(),
        from: NameAddr::new("sip:+15550000@192.0.2.10"),
        to: NameAddr::new("sip:agent@192.0.2.20"),
        credentials: None,
    };
    let (mut caller, out) = Call::outgoing(
        0,
        dial,
        Endpoint::udp("192.0.2.10", 5060),
        LocalMedia::new("192.0.2.10", 40_000, 1),
        Ids::new(1),
    );
    absorb(&mut net, 0, Side::Caller, out, &mut caller_seen);
    let mut callee: Option<Call> = None;
    let mut callee_media = LocalMedia::new("192.0.2.20", 50_000, 2);
    if callee_prefers_pcma {
        callee_media.codecs = vec![Codec::Pcma, Codec::Pcmu];
    }
    let mut hung_up = false;
    while let Some(Reverse((now, _, event))) = net.queue.pop() {
        assert!(now < 300_000, "the flow must settle");
        match event {
            Event::Deliver(side, bytes) => {
                let m = parse(&bytes, &Limits::default()).expect("we only send what parses");
                match (side, &mut callee) {
                    (Side::Caller, _) => {
                        let out = caller.handle_message(now, m);
                        absorb(&mut net, now, Side::Caller, out, &mut caller_seen);
                    }
                    (Side::Callee, Some(c)) => {
                        let out = c.handle_message(now, m);
                        absorb(&mut net, now, Side::Callee, out, &mut callee_seen);
                    }
                    (Side::Callee, None) => {
                        let (mut c, out) = Call::incoming(
                            now,
                            m,
                            Endpoint::udp("192.0.2.20", 5060),
                            callee_media.clone(),
                            Ids::new(2),
                        )
                        .unwrap();
                        absorb(&mut net, now, Side::Callee, out, &mut callee_seen);
                        let out = c.ring(now);
                        absorb(&mut net, now, Side::Callee, out, &mut callee_seen);
                        net.at(now + 300, Event::Answer);
                        callee = Some(c);
                    }
                }
            }
            Event::Timer(side, k, v) => {
                let t = timer_of(k, v);
                match side {
                    Side::Caller => {
                        let out = caller.handle_timer(now, t);
                        absorb(&mut net, now, Side::Caller, out, &mut caller_seen);
                    }
                    Side::Callee => {
                        let out = callee.as_mut().unwrap().handle_timer(now, t);
                        absorb(&mut net, now, Side::Callee, out, &mut callee_seen);
                    }
                }
            }
            Event::Answer => {
                let out = callee.as_mut().unwrap().answer(now);
                absorb(&mut net, now, Side::Callee, out, &mut callee_seen);
            }
            Event::Hold => {
                let out = callee.as_mut().unwrap().hold(now, true);
                absorb(&mut net, now, Side::Callee, out, &mut callee_seen);
            }
            Event::HangUp => {
                let out = caller.hangup(now);
                absorb(&mut net, now, Side::Caller, out, &mut caller_seen);
            }
        }
        if !hung_up && caller.state() == CallState::Confirmed {
            hung_up = true;
            net.at(now + 2_000, Event::Hold);
            net.at(now + 60_000, Event::HangUp);
        }
    }
    let callee = callee.expect("the INVITE arrived");
    assert_eq!(caller_seen.confirmed, 1, "{caller_seen:?}");
    assert_eq!(callee_seen.confirmed, 1, "{callee_seen:?}");
    assert_eq!(caller_seen.ended, vec![EndReason::LocalHangup]);
    assert_eq!(callee_seen.ended, vec![EndReason::RemoteHangup]);
    assert_eq!(
        (caller.state(), callee.state()),
        (CallState::Ended, CallState::Ended)
    );
    let (a, b) = (
        caller_seen.media.last().unwrap(),
        callee_seen.media.last().unwrap(),
    );
    // The callee put the call on hold: it only sends (music), the caller only receives.
    assert_eq!(
        (a.direction, b.direction),
        (Direction::RecvOnly, Direction::SendOnly)
    );
    // Both sides play the same codec, each toward the other's port.
    assert_eq!(a.codec, b.codec);
    assert_eq!(
        a.codec,
        if callee_prefers_pcma {
            Codec::Pcma
        } else {
            Codec::Pcmu
        }
    );
    assert_eq!((a.remote_port, b.remote_port), (50_000, 40_000));
    assert_eq!(
        (a.telephone_event, b.telephone_event),
        (Some(101), Some(101))
    );
}

#[test]
fn lost_200_to_the_hold_reinvite() {
    // …, ACK(5), re-INVITE(6), 100(7), 200 to the re-INVITE(8) lost: resent at T1.
    run(vec![8], vec![0], vec![1], false);
}

#[test]
fn hold_survives_a_lost_ack_and_a_lost_reinvite() {
    // Found by a random seed: the first two 200 OKs and the first ACK are lost, so the
    // callee asks for hold while its 200 still waits for the ACK; the re-INVITE must
    // wait for the ACK (RFC 3261 §14.1) and then go out, not be forgotten.
    run(vec![8, 5, 6], vec![], vec![357, 143, 143, 1], false);
}

#[test]
fn clean_network() {
    run(vec![], vec![], vec![20], false);
}

#[test]
fn lost_invite_ok_ack_and_bye() {
    // Sends in order: INVITE(0) lost, INVITE(1), 100(2), 180(3), 200(4) lost, 200(5)...
    run(vec![0, 4, 6], vec![], vec![30], true);
}

// The same 200 cases every run, so that CI does not turn red at random; run it with
// PROPTEST_CASES and another seed to search further (one such search found the case in
// `hold_survives_a_lost_ack_and_a_lost_reinvite`).
proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(200),
        rng_seed: proptest::test_runner::RngSeed::Fixed(
            std::env::var("PROPTEST_RNG_SEED").ok().and_then(|c| c.parse().ok()).unwrap_or(2026),
        ),
        ..ProptestConfig::default()
    })]
    #[test]
    fn survives_loss_duplication_and_reordering(
        drop in prop::collection::vec(0usize..40, 0..4),
        dup in prop::collection::vec(0usize..40, 0..6),
        delays in prop::collection::vec(1u64..400, 1..12),
        pcma in any::<bool>(),
    ) {
        run(drop, dup, delays, pcma);
    }
}
