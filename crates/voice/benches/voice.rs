//! `cargo bench -p homeshore-voice`: ns per SIP message parsed, per 20 ms three-party
//! G.711 mix, per RTP packet parsed, per caller taken through a contact flow, per
//! second of a spoken prompt resampled to 8 kHz. A plain `main` that prints figures
//! (no criterion).
use std::hint::black_box;
use std::time::Instant;
use voice::g711::Law;
use voice::mixer::{Mixer, Party};
use voice::rtp::RtpPacket;
use voice::sip::{Limits, parse};

const INVITE: &str = "INVITE sip:+15551234@homeshore.example:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-524287-1---8a3c2e7f;rport\r\n\
Max-Forwards: 70\r\n\
Contact: <sip:+15550000@198.51.100.7:5060>\r\n\
To: <sip:+15551234@homeshore.example>\r\n\
From: \"Caller\" <sip:+15550000@carrier.example>;tag=0c6a1b2f\r\n\
Call-ID: 9f0e4d9c2b7a4e1f@198.51.100.7\r\n\
CSeq: 1 INVITE\r\n\
Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO\r\n\
Content-Type: application/sdp\r\n\
Supported: replaces, timer\r\n\
User-Agent: carrier-sbc 4.2\r\n\
Content-Length: 231\r\n\r\n\
v=0\r\no=- 3916011012 3916011012 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n\
m=audio 6000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n";

/// This thread's CPU time in ns (Linux), so that a machine shared with other builds
/// does not inflate the figures the way wall time does.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn time(name: &str, unit: &str, iters: u64, mut f: impl FnMut()) {
    for _ in 0..iters / 10 {
        f();
    }
    let (start, cpu) = (Instant::now(), cpu_ns());
    for _ in 0..iters {
        f();
    }
    let wall = start.elapsed().as_nanos() as f64 / iters as f64;
    match cpu.zip(cpu_ns()) {
        Some((a, b)) => println!(
            "{name}: {:.0} ns/{unit} on CPU ({wall:.0} ns wall, {iters} iterations)",
            (b - a) as f64 / iters as f64
        ),
        None => println!("{name}: {wall:.0} ns/{unit} ({iters} iterations)"),
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too: keep it small.
    let quick = !std::env::args().any(|a| a == "--bench");
    let n = |full: u64| if quick { full / 1000 } else { full };

    let invite = INVITE.as_bytes();
    let limits = Limits::default();
    assert!(parse(invite, &limits).is_ok());
    time(
        &format!("SIP parse ({} byte INVITE with SDP)", invite.len()),
        "message",
        n(200_000),
        || {
            black_box(parse(black_box(invite), &limits).ok());
        },
    );
    let msg = parse(invite, &limits).unwrap();
    time("SIP serialize (same INVITE)", "message", n(200_000), || {
        black_box(black_box(&msg).to_bytes());
    });

    let frames: Vec<Vec<u8>> = (0..3u8)
        .map(|p| {
            (0..160u32)
                .map(|i| (i as u8).wrapping_mul(37).wrapping_add(p * 11))
                .collect()
        })
        .collect();
    let parties: Vec<Party> = frames
        .iter()
        .enumerate()
        .map(|(i, f)| Party {
            law: if i == 2 { Law::A } else { Law::Mu },
            frame: Some(f),
        })
        .collect();
    let mut mixer = Mixer::default();
    let mut out = Vec::new();
    time(
        "G.711 decode + mix + encode, 3 parties, 20 ms (160 samples each, one mix per listener)",
        "frame",
        n(2_000_000),
        || {
            mixer.mix(black_box(&parties), 160, &mut out);
            black_box(&out);
        },
    );

    let mut rtp = vec![
        0x80, 0x00, 0x12, 0x34, 0, 0, 0x03, 0x20, 0xDE, 0xAD, 0xBE, 0xEF,
    ];
    rtp.extend([0xFFu8; 160]);
    time(
        "RTP parse (PCMU, 172 bytes)",
        "packet",
        n(20_000_000),
        || {
            black_box(RtpPacket::parse(black_box(&rtp)).ok());
        },
    );

    // A caller through the example flow: hours branch, menu key, four digits and #.
    let flow = voice::flow::example("Orders");
    let open = |_: &str| true;
    let facts = voice::flow::Facts {
        weekday: 1,
        minute: 600,
        known_caller: false,
        open: &open,
    };
    time(
        "contact flow (a caller: branch, menu, 4 digits, #, queued)",
        "caller",
        n(200_000),
        || {
            let (mut run, _) = voice::flow::Run::start(flow.clone(), &facts);
            run.handle(voice::flow::Input::PromptDone, &facts);
            for d in "14217#".chars() {
                black_box(run.handle(voice::flow::Input::Digit(d), &facts));
            }
            assert!(run.is_done());
        },
    );

    let speech = voice::tone::tone(220.0, 22_050, 22_050, 8000.0);
    time(
        "prompt resample (1 s of 22.05 kHz speech to 8 kHz)",
        "second",
        n(2_000),
        || {
            black_box(voice::wav::resample(black_box(&speech), 22_050, 8000));
        },
    );
}
