//! Hostile SIP into a live call: an answered incoming call and an outgoing one receive
//! whatever parses out of the input (messages split on NUL bytes), with timers firing in
//! between. Nothing may panic, and a call that ended stays ended.
#![no_main]
use libfuzzer_sys::fuzz_target;
use voice::call::{Call, CallOutput, CallState, CallTimer, Dial, Endpoint};
use voice::dialog::Ids;
use voice::sdp::LocalMedia;
use voice::sip::{Limits, NameAddr, parse};
use voice::transaction::Timer;

const INVITE: &[u8] = b"INVITE sip:agent@192.0.2.20 SIP/2.0\r\n\
Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKf1\r\n\
From: <sip:+15550000@carrier.example>;tag=a\r\nTo: <sip:agent@192.0.2.20>\r\n\
Call-ID: fuzz\r\nCSeq: 1 INVITE\r\nContact: <sip:198.51.100.7>\r\n\r\n\
v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n\
m=audio 6000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n";

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let invite = parse(INVITE, &limits).unwrap();
    let ep = Endpoint::udp("192.0.2.20", 5060);
    let (mut incoming, _) = Call::incoming(
        0,
        invite,
        ep.clone(),
        LocalMedia::new("192.0.2.20", 4000, 1),
        Ids::new(1),
    )
    .unwrap();
    incoming.answer(10);
    let dial = Dial {
        uri: "sip:x@198.51.100.7".into(),
        from: NameAddr::new("sip:hs@192.0.2.20"),
        to: NameAddr::new("sip:x@198.51.100.7"),
        credentials: Some(("u".into(), "p".into())),
    };
    let (mut outgoing, _) = Call::outgoing(
        0,
        dial,
        ep,
        LocalMedia::new("192.0.2.20", 4002, 2),
        Ids::new(2),
    );
    let mut now = 10;
    for (i, chunk) in data.split(|b| *b == 0).enumerate() {
        now += 100;
        for call in [&mut incoming, &mut outgoing] {
            let was_ended = call.state() == CallState::Ended;
            let mut outs = Vec::new();
            if let Ok(m) = parse(chunk, &limits) {
                outs.extend(call.handle_message(now, m));
            }
            let timer = match i % 4 {
                0 => CallTimer::Retransmit2xx { cseq: 1 },
                1 => CallTimer::Tx {
                    tx: (i % 3) as u32,
                    timer: [Timer::A, Timer::B, Timer::E, Timer::F, Timer::G, Timer::H][i % 6],
                },
                2 => CallTimer::AckTimeout { cseq: 1 },
                _ => CallTimer::Tx {
                    tx: 0,
                    timer: Timer::D,
                },
            };
            outs.extend(call.handle_timer(now, timer));
            if was_ended {
                assert!(
                    !outs
                        .iter()
                        .any(|o| matches!(o, CallOutput::Ended(_) | CallOutput::Confirmed))
                );
                assert_eq!(call.state(), CallState::Ended);
            }
        }
    }
});
