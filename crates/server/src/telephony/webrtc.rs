//! The agent's leg of a call: WebRTC to the browser, with `str0m` (sans-IO: this task
//! owns its UDP socket and clock and feeds both in).
//!
//! ICE-lite with one host candidate (the SIP host's address, a port of its own), DTLS-SRTP
//! with str0m's pure-Rust crypto, PCMU only: the browser's 20 ms G.711 frames go to the
//! call's media task as they are, and the caller's frames (already μ-law) come back, so
//! the bridge never needs another codec. The browser makes the offer; the answer goes
//! back over HTTP; no trickle (ICE-lite answers whatever the browser checks).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use str0m::change::SdpOffer;
use str0m::format::Codec;
use str0m::media::{Frequency, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc, RtcConfig};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// What one agent leg counted.
#[derive(Debug, Default)]
pub struct LegStats {
    /// Audio frames from the browser (the agent's microphone).
    pub frames_in: AtomicU64,
    /// Audio frames written to the browser (the caller's voice).
    pub frames_out: AtomicU64,
    pub connected: std::sync::atomic::AtomicBool,
}

/// Installs str0m's crypto provider for the process (once; later calls do nothing).
pub fn install_crypto() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| str0m::crypto::from_feature_flags().install_process_default());
}

/// Accepts the browser's offer on a new socket at `ip` (a port of `ports`): answers
/// with our SDP and runs the leg until the browser goes away or `to_browser` closes.
/// The caller's frames arrive on `to_browser`; the agent's go out on `from_browser`.
pub async fn start(
    ports: &super::MediaPorts,
    ip: IpAddr,
    offer: &str,
    to_browser: mpsc::Receiver<Vec<u8>>,
    from_browser: mpsc::Sender<Vec<u8>>,
) -> Result<(String, Arc<LegStats>), String> {
    install_crypto();
    let offer =
        SdpOffer::from_sdp_string(offer).map_err(|e| format!("sdp: not an SDP offer ({e})"))?;
    let sock = ports
        .bind(ip)
        .await
        .map_err(|e| format!("no UDP port for the browser's audio: {e}"))?;
    let addr = sock.local_addr().map_err(|e| e.to_string())?;
    let mut rtc = RtcConfig::new()
        .set_ice_lite(true)
        .clear_codecs()
        .enable_pcmu(true, false)
        .build(Instant::now());
    let candidate = Candidate::host(addr, "udp").map_err(|e| e.to_string())?;
    rtc.add_local_candidate(candidate);
    let answer = rtc.sdp_api().accept_offer(offer).map_err(|e| {
        format!("sdp: the offer cannot be answered ({e}); the browser must offer PCMU audio")
    })?;
    let stats = Arc::new(LegStats::default());
    tokio::spawn(run(
        rtc,
        sock,
        addr,
        to_browser,
        from_browser,
        stats.clone(),
    ));
    Ok((answer.to_sdp_string(), stats))
}

/// At most this many loopbacks at once (the device check's, which anyone may start)…
pub const MAX_LOOPBACKS: usize = 16;
/// …and this many from one address.
pub const MAX_LOOPBACKS_PER_CLIENT: usize = 2;
/// How long one runs.
const LOOPBACK_SECS: u64 = 20;

/// The loopbacks running, by the address that asked.
static LOOPBACKS: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<IpAddr, usize>>> =
    std::sync::LazyLock::new(Default::default);

/// One loopback's place among them, given back when dropped (on every path).
struct LoopbackSlot(IpAddr);

impl LoopbackSlot {
    fn take(client: IpAddr) -> Option<LoopbackSlot> {
        let mut all = LOOPBACKS.lock().unwrap_or_else(|p| p.into_inner());
        let total: usize = all.values().sum();
        let mine = all.entry(client).or_default();
        if total >= MAX_LOOPBACKS || *mine >= MAX_LOOPBACKS_PER_CLIENT {
            if *mine == 0 {
                all.remove(&client);
            }
            return None;
        }
        *mine += 1;
        Some(LoopbackSlot(client))
    }
}

impl Drop for LoopbackSlot {
    fn drop(&mut self) {
        let mut all = LOOPBACKS.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = all.get_mut(&self.0) {
            *n -= 1;
            if *n == 0 {
                all.remove(&self.0);
            }
        }
    }
}

/// The device check's audio loopback: a leg like an agent's whose every frame from the
/// browser goes straight back to it, for 20 seconds, so that a browser can see call
/// audio cross its network both ways before a shift. `Err` when too many run at once,
/// or from `client` (`"busy"`), or the offer cannot be answered (`"sdp: …"`).
pub async fn loopback(
    ports: &super::MediaPorts,
    ip: IpAddr,
    offer: &str,
    client: IpAddr,
) -> Result<String, String> {
    let slot = LoopbackSlot::take(client).ok_or("busy")?;
    let (to_browser_tx, to_browser) = mpsc::channel(50);
    let (from_browser, mut heard) = mpsc::channel::<Vec<u8>>(50);
    let (answer, _) = start(ports, ip, offer, to_browser, from_browser).await?;
    tokio::spawn(async move {
        let echo = async {
            while let Some(f) = heard.recv().await {
                if to_browser_tx.send(f).await.is_err() {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(std::time::Duration::from_secs(LOOPBACK_SECS), echo).await;
        // Dropping the sender ends the leg; the slot is given back with it.
        drop(slot);
    });
    Ok(answer)
}

async fn run(
    mut rtc: Rtc,
    sock: UdpSocket,
    local: SocketAddr,
    mut to_browser: mpsc::Receiver<Vec<u8>>,
    from_browser: mpsc::Sender<Vec<u8>>,
    stats: Arc<LegStats>,
) {
    let mut buf = vec![0u8; 2000];
    let mut mid: Option<Mid> = None;
    let mut pt: Option<str0m::media::Pt> = None;
    let mut rtp_time: u64 = rand::random::<u32>() as u64;
    // A leg the browser never connects to is given up after a minute.
    let opened = Instant::now();
    loop {
        let timeout = loop {
            match rtc.poll_output() {
                Ok(Output::Timeout(t)) => break t,
                Ok(Output::Transmit(t)) => {
                    let _ = sock.send_to(&t.contents, t.destination).await;
                }
                Ok(Output::Event(e)) => match e {
                    Event::Connected => stats.connected.store(true, Ordering::Relaxed),
                    Event::MediaAdded(m) => mid = Some(m.mid),
                    Event::MediaData(d) => {
                        stats.frames_in.fetch_add(1, Ordering::Relaxed);
                        let _ = from_browser.try_send(d.data.to_vec());
                    }
                    Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                        rtc.disconnect();
                    }
                    _ => {}
                },
                Err(e) => {
                    tracing::debug!(error = %e, "the agent's audio leg failed");
                    return;
                }
            }
        };
        if !rtc.is_alive()
            || (!stats.connected.load(Ordering::Relaxed) && opened.elapsed().as_secs() > 60)
        {
            return;
        }
        let wait = timeout.saturating_duration_since(Instant::now());
        tokio::select! {
            got = sock.recv_from(&mut buf) => {
                let Ok((n, source)) = got else { continue };
                let Ok(contents) = buf[..n].try_into() else { continue };
                let input = Input::Receive(Instant::now(), Receive {
                    proto: Protocol::Udp,
                    source,
                    destination: local,
                    contents,
                });
                if rtc.handle_input(input).is_err() {
                    return;
                }
            }
            frame = to_browser.recv() => {
                let Some(frame) = frame else {
                    // The call ended or the agent left it.
                    rtc.disconnect();
                    return;
                };
                let Some(m) = mid else { continue };
                let Some(w) = rtc.writer(m) else { continue };
                // The PCMU payload type the answer agreed on, looked up once.
                let found = pt.or_else(|| {
                    w.payload_params()
                        .find(|p| p.spec().codec == Codec::PCMU)
                        .map(|p| p.pt())
                });
                let Some(pcmu) = found else { continue };
                pt = Some(pcmu);
                let n = frame.len() as u64;
                if w.write(pcmu, Instant::now(), MediaTime::new(rtp_time, Frequency::EIGHT_KHZ), frame).is_ok() {
                    stats.frames_out.fetch_add(1, Ordering::Relaxed);
                }
                rtp_time += n;
            }
            _ = tokio::time::sleep(wait) => {
                if rtc.handle_input(Input::Timeout(Instant::now())).is_err() {
                    return;
                }
            }
        }
    }
}
