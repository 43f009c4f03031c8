//! Simulated callers: a phone on the `voice` crate that dials the demo's number over
//! loopback SIP, talks (a voice-like murmur of syllables, so an agent hears someone),
//! and hangs up when its patience or its conversation runs out, unless the center hangs
//! up first. On the menu line a caller keys through the call flow like a person would:
//! an order and its number, a return, or a message. The demo's simulated agents take
//! no calls, so a person who signs in as a free agent answers them in the browser.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use rand::RngExt as _;
use rand::rngs::StdRng;
use tokio::net::UdpSocket;
use tokio::time::{Instant, sleep_until};
use voice::call::{Call, CallOutput, Dial, Endpoint};
use voice::dialog::Ids;
use voice::g711::Law;
use voice::rtp::RtpSender;
use voice::sdp::{Codec, LocalMedia, Negotiated};
use voice::sip::{Limits, NameAddr, parse};

const NAMES: &[&str] = &[
    "Morgan Price",
    "Riley Chen",
    "Taylor Brooks",
    "Jamie Ortiz",
    "Casey Novak",
    "Avery Singh",
];

/// Speech-like audio at 8 kHz: syllables of a voiced tone with a few harmonics, in
/// phrases with breaths between them.
fn murmur(rng: &mut StdRng, seconds: f64) -> Vec<i16> {
    let total = (seconds * 8000.0) as usize;
    let mut out = Vec::with_capacity(total);
    let mut pitch: f64 = rng.random_range(110.0..220.0);
    while out.len() < total {
        for _ in 0..rng.random_range(4..10) {
            let len = rng.random_range(900..1800);
            let f = pitch * rng.random_range(0.9..1.15);
            for i in 0..len {
                let t = i as f64 / 8000.0;
                let env = (std::f64::consts::PI * i as f64 / len as f64).sin();
                let s = (2.0 * std::f64::consts::PI * f * t).sin()
                    + 0.5 * (4.0 * std::f64::consts::PI * f * t).sin()
                    + 0.25 * (6.0 * std::f64::consts::PI * f * t).sin();
                out.push((s * env * 2500.0) as i16);
            }
            out.extend(std::iter::repeat_n(0, rng.random_range(300..900)));
        }
        out.extend(std::iter::repeat_n(0, rng.random_range(6000..14000)));
        pitch = (pitch * rng.random_range(0.95..1.05)).clamp(100.0, 240.0);
    }
    out.truncate(total);
    out
}

/// One call to `number` at `center`, over within `patience` unless the center ends it.
pub async fn call(center: SocketAddr, number: &str, rng: &mut StdRng) -> anyhow::Result<bool> {
    let sip = UdpSocket::bind("127.0.0.1:0").await?;
    let rtp = UdpSocket::bind("127.0.0.1:0").await?;
    let name = NAMES[rng.random_range(0..NAMES.len())];
    let from = format!(
        "\"{name}\" <sip:+1555{:07}@127.0.0.1>",
        rng.random_range(0..10_000_000u32)
    );
    let dial = Dial {
        uri: format!("sip:{number}@{center}"),
        from: NameAddr::parse(&from).unwrap_or_else(|| NameAddr::new("sip:caller@127.0.0.1")),
        to: NameAddr::new(format!("sip:{number}@{center}")),
        credentials: None,
    };
    let t0 = Instant::now();
    let now = || t0.elapsed().as_millis() as u64;
    let (mut call, out) = Call::outgoing(
        now(),
        dial,
        Endpoint::udp("127.0.0.1", sip.local_addr()?.port()),
        LocalMedia::new("127.0.0.1", rtp.local_addr()?.port(), rng.random()),
        Ids::new(rng.random()),
    );
    let mut media: Option<Negotiated> = None;
    let mut ended = false;
    let apply = async |out: Vec<CallOutput>, media: &mut Option<Negotiated>, ended: &mut bool| {
        for o in out {
            match o {
                CallOutput::Send(m) => {
                    let _ = sip.send_to(&m.to_bytes(), center).await;
                }
                CallOutput::Media(n) => *media = Some(n),
                CallOutput::Ended(_) => *ended = true,
                // Loopback loses nothing: no retransmissions to arm.
                _ => {}
            }
        }
    };
    apply(out, &mut media, &mut ended).await;
    // Some callers give up while waiting; the others talk a while with whoever answers.
    let deadline = Instant::now() + Duration::from_secs(rng.random_range(60..240));
    let voice = murmur(rng, 20.0);
    let mut pos = 0usize;
    let mut sender: Option<RtpSender> = None;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut buf = vec![0u8; 65_536];
    let mut rtp_buf = vec![0u8; 2048];
    let mut hung_up = false;
    // What this caller keys in at the menu (ignored on a line without one).
    let mut keys: VecDeque<char> = match rng.random_range(0..20) {
        0..=10 => {
            let order = rng.random_range(100_000..1_000_000u32);
            format!("1{order}#").chars().collect()
        }
        11..=17 => VecDeque::from(['2']),
        _ => VecDeque::from(['3']),
    };
    let mut next_key: Option<Instant> = None;
    while !ended {
        tokio::select! {
            got = sip.recv_from(&mut buf) => {
                let Ok((n, _)) = got else { continue };
                let Ok(m) = parse(&buf[..n], &Limits::default()) else { continue };
                let out = call.handle_message(now(), m);
                apply(out, &mut media, &mut ended).await;
            }
            _ = rtp.recv_from(&mut rtp_buf) => {}
            _ = tick.tick() => {
                let Some(n) = &media else { continue };
                let s = sender.get_or_insert_with(|| RtpSender::new(1, 1, 0, n));
                let due = *next_key.get_or_insert_with(|| Instant::now() + Duration::from_millis(2500));
                if Instant::now() >= due && let Some(k) = keys.pop_front() {
                    let to = format!("{}:{}", n.remote_address, n.remote_port);
                    if let (Some(packets), Ok(to)) = (s.dtmf(k, 800, 160), to.parse::<SocketAddr>()) {
                        for p in packets {
                            let _ = rtp.send_to(&p, to).await;
                        }
                    }
                    next_key = Some(Instant::now() + Duration::from_millis(300));
                    continue;
                }
                let pcm: Vec<i16> = (0..160).map(|i| voice[(pos + i) % voice.len()]).collect();
                pos = (pos + 160) % voice.len();
                let mut frame = vec![0u8; 160];
                match n.codec {
                    Codec::Pcmu => Law::Mu.encode(&pcm, &mut frame),
                    Codec::Pcma => Law::A.encode(&pcm, &mut frame),
                }
                let mut packet = Vec::with_capacity(172);
                s.audio(&frame, &mut packet);
                let to = format!("{}:{}", n.remote_address, n.remote_port);
                if let Ok(to) = to.parse::<SocketAddr>() {
                    let _ = rtp.send_to(&packet, to).await;
                }
            }
            _ = sleep_until(deadline), if !hung_up => {
                hung_up = true;
                let out = call.hangup(now());
                apply(out, &mut media, &mut ended).await;
            }
            _ = sleep_until(deadline + Duration::from_secs(10)), if hung_up => break,
        }
    }
    Ok(hung_up)
}
