//! One call's audio towards the trunk: a UDP socket of its own, G.711 out every 20 ms,
//! RTP and RFC 4733 key presses in.
//!
//! While a call waits, the caller hears the hold music (a soft arpeggio, generated
//! here, so nothing is downloaded); a prompt (the contact flow's, a place-in-line
//! announcement) plays over whatever else would be heard, and says when it is done.
//! Once an agent's browser is attached ([`AgentAudio`], the WebRTC leg in `webrtc.rs`),
//! the caller hears the agent instead (silence when a frame is late) and the agent gets
//! the caller's frames, both in μ-law: a PCMA trunk is transcoded sample by sample, a
//! PCMU one passed through. On hold the caller hears the music and the agent nothing of
//! the caller; the agent's keypad sends RFC 4733 events in place of audio frames. With
//! a third party on the call — a supervisor, or a colleague the agent consults — the
//! three legs are mixed on the 20 ms clock instead (`voice::mixer`), each hearing what
//! [`Third`] allows; while the agent consults, the caller hears the music.
//!
//! A call in a queue that records ([`Recording`]) keeps both sides as 8 kHz PCM, the
//! caller on the left channel and what the caller heard (the agent, or the music) on
//! the right, aligned on the 20 ms clock of what we send; a pause (a card payment)
//! records silence on both until resumed. The WAV is handed over when the call ends.
//! A voicemail keeps the caller's side alone ([`Control::Capture`]). Packets in are
//! counted (received, lost, jitter, as RTCP would report them) and key presses are
//! detected on the telephone-event payload type the SDP negotiated. The remote address
//! latches to where the caller's packets really come from (symmetric RTP), so a caller
//! behind NAT still hears us.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use voice::dtmf::{DtmfDetector, TelephoneEvent};
use voice::g711::Law;
use voice::rtp::{ReceiverStats, RtpPacket, RtpSender};
use voice::sdp::{Codec, Direction, Negotiated};

/// How a supervisor joins a call (all three hear the caller and the agent).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Monitor {
    /// The supervisor hears both sides; nobody hears them.
    Listen,
    /// The agent hears the supervisor; the caller does not.
    Whisper,
    /// Everyone hears everyone.
    Barge,
}

impl Monitor {
    pub fn as_str(self) -> &'static str {
        match self {
            Monitor::Listen => "listen",
            Monitor::Whisper => "whisper",
            Monitor::Barge => "barge",
        }
    }

    /// Whether `listener` hears `speaker`, parties numbered caller 0, agent 1,
    /// supervisor 2.
    pub fn hears(self, listener: usize, speaker: usize) -> bool {
        match (listener, speaker) {
            (0, 1) | (1, 0) | (2, 0) | (2, 1) => true,
            (0, 2) => self == Monitor::Barge,
            (1, 2) => self != Monitor::Listen,
            _ => false,
        }
    }
}

/// What one call's media counted, read by the status endpoint and the tests.
#[derive(Debug, Default)]
pub struct MediaStats {
    pub packets_in: AtomicU64,
    pub packets_out: AtomicU64,
    pub lost: AtomicU64,
    /// Interarrival jitter, microseconds.
    pub jitter_us: AtomicU64,
    pub digits: AtomicU64,
}

/// Who the third leg of a call is, and so who hears whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Third {
    /// A supervisor, in this mode.
    Supervisor(Monitor),
    /// A colleague the agent consults: the two hear each other, the caller hears the
    /// hold music and neither of them.
    Consult,
    /// The colleague, the agent and the caller all hear each other.
    Conference,
}

impl Third {
    /// Whether `listener` hears `speaker`, parties numbered caller 0, agent 1, third 2.
    pub fn hears(self, listener: usize, speaker: usize) -> bool {
        match self {
            Third::Supervisor(m) => m.hears(listener, speaker),
            Third::Consult => matches!((listener, speaker), (1, 2) | (2, 1)),
            Third::Conference => listener != speaker,
        }
    }

    /// The caller waits (hearing the music) while this third party is on.
    pub fn holds_caller(self) -> bool {
        self == Third::Consult
    }
}

/// What the media task tells the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaEvent {
    /// A key press (RFC 4733).
    Digit(char),
    /// The prompt with this id has been played to its end.
    PromptDone(u64),
}

/// Longest recording kept: four hours (about 460 MB of PCM in memory at worst).
const MAX_RECORDING_SAMPLES: usize = 4 * 3600 * 8000;

/// What the media task is told besides the negotiated media.
pub enum Control {
    Attach(AgentAudio),
    /// Start recording (once the contact's queue is known to record).
    Record,
    /// Pause (`true`) or resume recording.
    Pause(bool),
    /// The call is over: the recording as a stereo WAV, if there is one.
    Finish(tokio::sync::oneshot::Sender<Option<Vec<u8>>>),
    /// Play a prompt (8 kHz) in place of the music or the agent; `PromptDone(id)`
    /// follows when it has been heard to the end.
    Play {
        id: u64,
        pcm: Arc<Vec<i16>>,
    },
    /// Stop the prompt now (no `PromptDone`).
    StopPrompt,
    /// What the caller hears when nothing else plays: the hold music (`true`, while
    /// waiting in a queue) or silence (in a contact flow, between prompts).
    Music(bool),
    /// A third party's browser joins (in place of a previous one).
    Join(AgentAudio, Third),
    /// The third party takes part another way.
    Mode(Third),
    /// The third party leaves.
    Leave,
    /// The agent's browser leaves (the call was transferred): the caller hears the
    /// music until the next agent's joins.
    Detach,
    /// The agent puts the caller on hold (`true`: the caller hears the music, the
    /// agent hears nothing of the caller) or takes them back.
    Hold(bool),
    /// Key presses to send the caller's side (an extension, a menu of the callee's),
    /// RFC 4733 on the negotiated telephone-event type, one every 200 ms.
    Keys(String),
    /// Start keeping the caller's audio (a voicemail), up to this many samples.
    Capture(usize),
    /// Hand over what was kept, and stop keeping it.
    TakeCapture(tokio::sync::oneshot::Sender<Vec<i16>>),
}

/// Both sides of a call, in step.
#[derive(Debug, Default)]
pub struct Recording {
    caller: Vec<i16>,
    heard: Vec<i16>,
    paused: bool,
}

impl Recording {
    fn caller(&mut self, pcm: &[i16]) {
        if !self.paused && self.caller.len() < MAX_RECORDING_SAMPLES {
            self.caller.extend_from_slice(pcm);
        }
    }

    /// What we sent for one frame; keeps the caller's side within 100 ms of it.
    fn heard(&mut self, pcm: &[i16]) {
        if self.heard.len() >= MAX_RECORDING_SAMPLES {
            return;
        }
        if self.paused {
            self.heard.extend(std::iter::repeat_n(0, pcm.len()));
        } else {
            self.heard.extend_from_slice(pcm);
        }
        let n = self.heard.len();
        if self.caller.len() < n.saturating_sub(800) || self.paused {
            self.caller.resize(n, 0);
        } else if self.caller.len() > n + 800 {
            self.caller.truncate(n + 800);
        }
    }

    /// A stereo WAV: caller left, what the caller heard right.
    pub fn wav(&self) -> Vec<u8> {
        let frames = self.heard.len().max(self.caller.len());
        let mut left = self.caller.clone();
        let mut right = self.heard.clone();
        left.resize(frames, 0);
        right.resize(frames, 0);
        let mut out = voice::wav::header(8000, frames as u32).to_vec();
        voice::wav::interleave(&left, &right, &mut out);
        out
    }

    pub fn seconds(&self) -> u64 {
        self.heard.len() as u64 / 8000
    }
}

/// The agent's side of the bridge: μ-law 20 ms frames each way.
pub struct AgentAudio {
    pub to_agent: mpsc::Sender<Vec<u8>>,
    pub from_agent: mpsc::Receiver<Vec<u8>>,
}

impl AgentAudio {
    /// Moves the frames the browser sent into `queue`, keeping the latest 100 ms: late
    /// frames are dropped rather than letting the delay grow. `false` once the browser
    /// has gone.
    fn drain_into(&mut self, queue: &mut VecDeque<Vec<u8>>) -> bool {
        loop {
            match self.from_agent.try_recv() {
                Ok(f) => {
                    queue.push_back(f);
                    if queue.len() > 5 {
                        queue.pop_front();
                    }
                }
                Err(mpsc::error::TryRecvError::Empty) => return true,
                Err(mpsc::error::TryRecvError::Disconnected) => return false,
            }
        }
    }
}

/// Fills `out` with the hold music from `pos`; the position after it.
fn play_music(music: &[i16], pos: usize, out: &mut [i16]) -> usize {
    for (i, x) in out.iter_mut().enumerate() {
        *x = music[(pos + i) % music.len()];
    }
    (pos + out.len()) % music.len()
}

/// The running media of one call.
pub struct MediaHandle {
    update: watch::Sender<Option<Negotiated>>,
    control: mpsc::UnboundedSender<Control>,
    pub stats: Arc<MediaStats>,
    pub local_port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl MediaHandle {
    /// Starts sending and receiving on `sock` once `negotiated` (or a later update)
    /// gives the far end. Key presses and finished prompts go to `events`.
    pub fn start(sock: UdpSocket, events: mpsc::UnboundedSender<MediaEvent>) -> MediaHandle {
        let local_port = sock.local_addr().map(|a| a.port()).unwrap_or(0);
        let (update, rx) = watch::channel(None);
        let (control, agents) = mpsc::unbounded_channel();
        let stats = Arc::new(MediaStats::default());
        let task = tokio::spawn(run(sock, rx, agents, stats.clone(), events));
        MediaHandle {
            update,
            control,
            stats,
            local_port,
            task,
        }
    }

    /// What was (re)negotiated: the first answer, hold, resume.
    pub fn negotiated(&self, n: Negotiated) {
        let _ = self.update.send(Some(n));
    }

    /// Bridges the caller to an agent's browser (in place of a previous one).
    pub fn attach(&self, agent: AgentAudio) {
        let _ = self.control.send(Control::Attach(agent));
    }

    pub fn control(&self, c: Control) {
        let _ = self.control.send(c);
    }
}

impl Drop for MediaHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The hold music, made once for every call.
static HOLD_MUSIC: std::sync::LazyLock<Vec<i16>> = std::sync::LazyLock::new(hold_music);

/// 8 kHz samples of the hold music: C–E–G–E, half a second each, faded in and out.
pub fn hold_music() -> Vec<i16> {
    const NOTES: [f64; 4] = [523.25, 659.25, 783.99, 659.25];
    let per = 4000;
    let mut out = Vec::with_capacity(per * NOTES.len());
    for f in NOTES {
        let t = voice::tone::tone(f, 8000, per, 3000.0);
        for (i, s) in t.into_iter().enumerate() {
            let edge = i.min(per - 1 - i).min(400) as f64 / 400.0;
            out.push((s as f64 * edge) as i16);
        }
    }
    out
}

fn law(c: Codec) -> Law {
    match c {
        Codec::Pcmu => Law::Mu,
        Codec::Pcma => Law::A,
    }
}

fn remote_of(n: &Negotiated) -> Option<SocketAddr> {
    format!("{}:{}", n.remote_address, n.remote_port)
        .parse()
        .ok()
        .filter(|a: &SocketAddr| a.port() != 0 && !a.ip().is_unspecified())
}

async fn run(
    sock: UdpSocket,
    mut negotiated: watch::Receiver<Option<Negotiated>>,
    mut agents: mpsc::UnboundedReceiver<Control>,
    stats: Arc<MediaStats>,
    events: mpsc::UnboundedSender<MediaEvent>,
) {
    let music: &[i16] = &HOLD_MUSIC;
    let mut pcm_out: Vec<i16> = Vec::with_capacity(480);
    let mut pos = 0usize;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut current: Option<Negotiated> = None;
    let mut sender: Option<RtpSender> = None;
    let mut remote: Option<SocketAddr> = None;
    let mut latched = false;
    let mut rx_stats = ReceiverStats::default();
    let mut audio_ssrc = None;
    let mut detector = DtmfDetector::default();
    let started = Instant::now();
    let mut buf = vec![0u8; 2048];
    let mut frame = vec![0u8; 160];
    let mut packet = Vec::with_capacity(200);
    let mut agent: Option<AgentAudio> = None;
    let mut from_agent: VecDeque<Vec<u8>> = VecDeque::new();
    let mut pcm_in = vec![0i16; 480];
    let mut recording: Option<Recording> = None;
    let mut prompt: Option<(u64, Arc<Vec<i16>>, usize)> = None;
    let mut music_on = true;
    let mut capture: Option<(Vec<i16>, usize)> = None;
    // A third party on the call: the legs are mixed on the 20 ms clock instead of
    // passed through (the caller's frames wait here for it, at most 100 ms of them).
    let mut third: Option<(AgentAudio, Third)> = None;
    let mut from_third: VecDeque<Vec<u8>> = VecDeque::new();
    let mut from_caller: VecDeque<Vec<u8>> = VecDeque::new();
    let mut mixer = voice::mixer::Mixer::default();
    let mut mixes: Vec<Vec<u8>> = Vec::new();
    let mut held = false;
    let mut keys_out: VecDeque<char> = VecDeque::new();
    let mut next_key = 0u32;
    loop {
        tokio::select! {
            c = agents.recv() => match c {
                Some(Control::Attach(a)) => {
                    agent = Some(a);
                    from_agent.clear();
                }
                Some(Control::Record) => {
                    recording.get_or_insert_with(Recording::default);
                }
                Some(Control::Pause(on)) => {
                    if let Some(r) = &mut recording {
                        r.paused = on;
                    }
                }
                Some(Control::Finish(reply)) => {
                    let _ = reply.send(recording.take().map(|r| r.wav()));
                    return;
                }
                Some(Control::Join(a, mode)) => {
                    third = Some((a, mode));
                    from_third.clear();
                }
                Some(Control::Leave) => third = None,
                Some(Control::Detach) => {
                    agent = None;
                    from_agent.clear();
                }
                Some(Control::Mode(mode)) => {
                    if let Some((_, m)) = &mut third {
                        *m = mode;
                    }
                }
                Some(Control::Hold(on)) => held = on,
                Some(Control::Keys(k)) => keys_out.extend(k.chars().take(32)),
                Some(Control::Play { id, pcm }) => prompt = Some((id, pcm, 0)),
                Some(Control::StopPrompt) => prompt = None,
                Some(Control::Music(on)) => music_on = on,
                Some(Control::Capture(max)) => capture = Some((Vec::with_capacity(max.min(8000 * 60)), max)),
                Some(Control::TakeCapture(reply)) => {
                    let _ = reply.send(capture.take().map(|(pcm, _)| pcm).unwrap_or_default());
                }
                None => return,
            },
            changed = negotiated.changed() => {
                if changed.is_err() {
                    return;
                }
                let n = negotiated.borrow_and_update().clone();
                if let Some(n) = n {
                    if !latched {
                        remote = remote_of(&n);
                    }
                    if sender.as_ref().is_none_or(|_| current.as_ref().map(|c| c.payload_type) != Some(n.payload_type)) {
                        sender = Some(RtpSender::new(rand::random(), rand::random(), rand::random(), &n));
                    }
                    current = Some(n);
                }
            }
            _ = tick.tick() => {
                let (Some(n), Some(s), Some(to)) = (&current, &mut sender, remote) else { continue };
                if !matches!(n.direction, Direction::SendRecv | Direction::SendOnly) {
                    continue;
                }
                let samples = (n.ptime.clamp(10, 60) * 8) as usize;
                frame.resize(samples, 0);
                // A key to send takes this frame's place (audio resumes after it).
                next_key = next_key.saturating_sub(1);
                if next_key == 0 && let Some(k) = keys_out.pop_front() {
                    next_key = 10;
                    if let Some(packets) = s.dtmf(k, 800, samples as u16) {
                        for p in packets {
                            if sock.send_to(&p, to).await.is_ok() {
                                stats.packets_out.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        continue;
                    }
                }
                if agent.as_mut().is_some_and(|a| !a.drain_into(&mut from_agent)) {
                    agent = None;
                }
                if third.as_mut().is_some_and(|(t, _)| !t.drain_into(&mut from_third)) {
                    third = None;
                }
                // One buffer for every frame of the call: no allocation per packet.
                pcm_out.clear();
                pcm_out.resize(samples, 0);
                if let Some((sup, mode)) = &third {
                    // Three legs, each hearing what its mode allows.
                    let (c, a, s) = (from_caller.pop_front(), from_agent.pop_front(), from_third.pop_front());
                    let parties = [
                        voice::mixer::Party { law: Law::Mu, frame: c.as_deref() },
                        voice::mixer::Party { law: Law::Mu, frame: a.as_deref() },
                        voice::mixer::Party { law: Law::Mu, frame: s.as_deref() },
                    ];
                    let mode = *mode;
                    mixer.mix_with(&parties, samples, |l, sp| mode.hears(l, sp), &mut mixes);
                    if let Some(ag) = &agent
                        && let Err(mpsc::error::TrySendError::Closed(_)) = ag.to_agent.try_send(mixes[1].clone())
                    {
                        agent = None;
                    }
                    if let Err(mpsc::error::TrySendError::Closed(_)) = sup.to_agent.try_send(mixes[2].clone()) {
                        third = None;
                    }
                    if prompt.is_none() {
                        Law::Mu.decode(&mixes[0], &mut pcm_out);
                    }
                }
                if let Some((id, pcm, at)) = &mut prompt {
                    let end = (*at + samples).min(pcm.len());
                    pcm_out[..end - *at].copy_from_slice(&pcm[*at..end]);
                    *at = end;
                    if end == pcm.len() {
                        let _ = events.send(MediaEvent::PromptDone(*id));
                        prompt = None;
                    }
                } else if held || third.as_ref().is_some_and(|(_, m)| m.holds_caller()) {
                    pos = play_music(music, pos, &mut pcm_out);
                } else if third.is_some() {
                    // Mixed above.
                } else if agent.is_some() {
                    if let Some(mu) = from_agent.pop_front() {
                        Law::Mu.decode(&mu, &mut pcm_out);
                    }
                } else if music_on {
                    pos = play_music(music, pos, &mut pcm_out);
                }
                law(n.codec).encode(&pcm_out, &mut frame);
                if let Some(r) = &mut recording {
                    r.heard(&pcm_out);
                }
                packet.clear();
                s.audio(&frame, &mut packet);
                if sock.send_to(&packet, to).await.is_ok() {
                    stats.packets_out.fetch_add(1, Ordering::Relaxed);
                }
            }
            got = sock.recv_from(&mut buf) => {
                let Ok((len, from)) = got else { continue };
                let data = &buf[..len];
                if voice::rtp::is_rtcp(data) {
                    continue;
                }
                let Ok(p) = RtpPacket::parse(data) else { continue };
                let Some(n) = &current else { continue };
                // Symmetric RTP: answer where the caller's audio comes from.
                if !latched && (p.payload_type == n.payload_type || Some(p.payload_type) == n.telephone_event) {
                    remote = Some(from);
                    latched = true;
                }
                if Some(from) != remote {
                    continue;
                }
                stats.packets_in.fetch_add(1, Ordering::Relaxed);
                if p.payload_type == n.payload_type {
                    // Loss and jitter are the audio stream's; a new source (another
                    // SSRC) starts them again, as RTCP counts per source.
                    if audio_ssrc != Some(p.ssrc) {
                        audio_ssrc = Some(p.ssrc);
                        rx_stats = ReceiverStats::default();
                    }
                    let arrival = (started.elapsed().as_micros() as u64 * 8 / 1000) as u32;
                    rx_stats.record(p.sequence, p.timestamp, arrival);
                    stats.lost.store(rx_stats.lost().max(0) as u64, Ordering::Relaxed);
                    stats.jitter_us.store(rx_stats.jitter() as u64 * 125, Ordering::Relaxed);
                    if recording.is_some() || capture.is_some() {
                        let k = p.payload.len().min(pcm_in.len());
                        law(n.codec).decode(&p.payload[..k], &mut pcm_in[..k]);
                        if let Some(r) = &mut recording {
                            r.caller(&pcm_in[..k]);
                        }
                        if let Some((kept, max)) = &mut capture {
                            let room = max.saturating_sub(kept.len()).min(k);
                            kept.extend_from_slice(&pcm_in[..room]);
                        }
                    }
                    let waits = third.as_ref().is_some_and(|(_, m)| m.holds_caller());
                    if !held && !waits && (agent.is_some() || third.is_some()) {
                        let mu = match n.codec {
                            Codec::Pcmu => p.payload.to_vec(),
                            Codec::Pcma => {
                                let k = p.payload.len().min(pcm_in.len());
                                Law::A.decode(&p.payload[..k], &mut pcm_in[..k]);
                                let mut mu = vec![0u8; k];
                                Law::Mu.encode(&pcm_in[..k], &mut mu);
                                mu
                            }
                        };
                        if third.is_some() {
                            from_caller.push_back(mu);
                            if from_caller.len() > 5 {
                                from_caller.pop_front();
                            }
                        } else if let Some(a) = &agent
                            && let Err(mpsc::error::TrySendError::Closed(_)) = a.to_agent.try_send(mu)
                        {
                            agent = None;
                        }
                    }
                } else if Some(p.payload_type) == n.telephone_event
                    && let Ok(ev) = TelephoneEvent::parse(p.payload)
                {
                    for d in detector.push(p.timestamp, ev) {
                        stats.digits.fetch_add(1, Ordering::Relaxed);
                        let _ = events.send(MediaEvent::Digit(d.digit));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_keeps_both_sides_in_step_and_pauses_to_silence() {
        let mut r = Recording::default();
        // Whole cycles in each 20 ms frame, so that repeating a frame is a pure tone.
        let caller = voice::tone::tone(400.0, 8000, 160, 8000.0);
        let heard = voice::tone::tone(1000.0, 8000, 160, 8000.0);
        for _ in 0..50 {
            r.caller(&caller);
            r.heard(&heard);
        }
        r.paused = true;
        for _ in 0..50 {
            r.caller(&caller);
            r.heard(&heard);
        }
        r.paused = false;
        // A caller who stops sending: their side is padded, not left behind.
        for _ in 0..50 {
            r.heard(&heard);
        }
        assert_eq!(r.seconds(), 3);
        let wav = r.wav();
        assert_eq!(&wav[..4], b"RIFF");
        let frames = (wav.len() - 44) / 4;
        assert_eq!(frames, 24_000);
        let side = |ch: usize, from: usize, to: usize| -> Vec<i16> {
            (from..to)
                .map(|i| i16::from_le_bytes([wav[44 + i * 4 + ch * 2], wav[45 + i * 4 + ch * 2]]))
                .collect()
        };
        let cand = [400.0, 1000.0];
        assert_eq!(
            voice::tone::dominant(&side(0, 0, 8000), 8000, &cand),
            Some(400.0)
        );
        assert_eq!(
            voice::tone::dominant(&side(1, 0, 8000), 8000, &cand),
            Some(1000.0)
        );
        assert!(
            side(0, 8000, 16_000).iter().all(|s| *s == 0),
            "paused: silence"
        );
        assert!(
            side(1, 8000, 16_000).iter().all(|s| *s == 0),
            "paused: silence"
        );
        assert_eq!(
            voice::tone::dominant(&side(1, 16_000, 24_000), 8000, &cand),
            Some(1000.0)
        );
    }

    #[test]
    fn the_hold_music_is_its_notes() {
        let m = hold_music();
        assert_eq!(m.len(), 16_000, "two seconds at 8 kHz");
        let first = &m[400..3600];
        assert_eq!(
            voice::tone::dominant(first, 8000, &[523.25, 659.25, 783.99]),
            Some(523.25)
        );
        assert!(m.iter().all(|s| s.abs() <= 3000));
        assert!(m[0].abs() < 50, "faded in, no click");
    }

    /// Audio at 8 kHz: 20 ms μ-law frames of a tone.
    fn frames(freq: f64, n: usize) -> Vec<Vec<u8>> {
        let pcm = voice::tone::tone(freq, 8000, 160 * n, 6000.0);
        pcm.chunks(160)
            .map(|c| {
                let mut f = vec![0u8; 160];
                Law::Mu.encode(c, &mut f);
                f
            })
            .collect()
    }

    fn decoded(frames: &[Vec<u8>]) -> Vec<i16> {
        let mut out = Vec::new();
        for f in frames {
            let mut pcm = vec![0i16; f.len()];
            Law::Mu.decode(f, &mut pcm);
            out.extend(pcm);
        }
        out
    }

    /// Who hears which tone: the caller says 440 Hz, the agent 1000 Hz, the third party
    /// 1500 Hz, for one second, with the third party as `mode`. Returns what each of
    /// caller, agent and third party heard: the power of each voice and of the hold
    /// music (its loudest note), relative to the loudest of the four.
    async fn three_way(mode: Third) -> [Vec<f64>; 3] {
        let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = sock.local_addr().unwrap().port();
        let (events, _events_rx) = mpsc::unbounded_channel();
        let media = MediaHandle::start(sock, events);
        let caller = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let n = Negotiated {
            codec: Codec::Pcmu,
            payload_type: 0,
            telephone_event: None,
            ptime: 20,
            direction: Direction::SendRecv,
            remote_address: "127.0.0.1".into(),
            remote_port: caller.local_addr().unwrap().port(),
            rtcp_mux: false,
        };
        media.negotiated(n.clone());
        media.control(Control::Music(false));
        let (to_agent, mut agent_hears) = mpsc::channel(100);
        let (agent_says, from_agent) = mpsc::channel(100);
        media.attach(AgentAudio {
            to_agent,
            from_agent,
        });
        let (to_sup, mut sup_hears) = mpsc::channel(100);
        let (sup_says, from_sup) = mpsc::channel(100);
        media.control(Control::Join(
            AgentAudio {
                to_agent: to_sup,
                from_agent: from_sup,
            },
            mode,
        ));
        let mut tx = RtpSender::new(7, 1, 0, &n);
        let (c, a, s) = (frames(440.0, 50), frames(1000.0, 50), frames(1500.0, 50));
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        let mut caller_heard = Vec::new();
        let mut buf = vec![0u8; 2048];
        for i in 0..50 {
            tick.tick().await;
            let mut p = Vec::new();
            tx.audio(&c[i], &mut p);
            caller.send_to(&p, ("127.0.0.1", port)).await.unwrap();
            agent_says.send(a[i].clone()).await.unwrap();
            sup_says.send(s[i].clone()).await.unwrap();
            while let Ok(Ok((len, _))) =
                tokio::time::timeout(Duration::from_millis(1), caller.recv_from(&mut buf)).await
            {
                caller_heard.push(RtpPacket::parse(&buf[..len]).unwrap().payload.to_vec());
            }
        }
        let mut agent = Vec::new();
        while let Ok(f) = agent_hears.try_recv() {
            agent.push(f);
        }
        let mut sup = Vec::new();
        while let Ok(f) = sup_hears.try_recv() {
            sup.push(f);
        }
        let powers = |frames: &[Vec<u8>]| -> Vec<f64> {
            let pcm = decoded(frames);
            // Past the first 200 ms, while the legs fill.
            let body = &pcm[pcm.len().min(1600)..];
            let g = |f: f64| voice::tone::goertzel(body, 8000, f);
            let music = [523.25, 659.25, 783.99]
                .map(g)
                .into_iter()
                .fold(0.0, f64::max);
            let p = vec![g(440.0), g(1000.0), g(1500.0), music];
            let max = p.iter().cloned().fold(f64::MIN, f64::max).max(1.0);
            p.into_iter().map(|x| x / max).collect()
        };
        [powers(&caller_heard), powers(&agent), powers(&sup)]
    }

    #[tokio::test]
    async fn a_supervisor_listens_whispers_and_barges() {
        let heard = |x: f64| x > 0.05;
        // [440 caller, 1000 agent, 1500 supervisor] as heard by caller, agent, supervisor.
        let [caller, agent, sup] = three_way(Third::Supervisor(Monitor::Listen)).await;
        assert!(
            heard(caller[1]) && !heard(caller[2]),
            "listen: the caller hears only the agent {caller:?}"
        );
        assert!(
            heard(agent[0]) && !heard(agent[2]),
            "listen: the agent hears only the caller {agent:?}"
        );
        assert!(
            heard(sup[0]) && heard(sup[1]),
            "the supervisor hears both {sup:?}"
        );
        let [caller, agent, _] = three_way(Third::Supervisor(Monitor::Whisper)).await;
        assert!(
            heard(caller[1]) && !heard(caller[2]),
            "whisper: the caller does not hear it {caller:?}"
        );
        assert!(
            heard(agent[0]) && heard(agent[2]),
            "whisper: the agent hears it {agent:?}"
        );
        let [caller, agent, _] = three_way(Third::Supervisor(Monitor::Barge)).await;
        assert!(
            heard(caller[1]) && heard(caller[2]),
            "barge: the caller hears all {caller:?}"
        );
        assert!(
            heard(agent[0]) && heard(agent[2]),
            "barge: the agent hears all {agent:?}"
        );
    }

    #[tokio::test]
    async fn an_agent_consults_a_colleague_then_all_three_confer() {
        let heard = |x: f64| x > 0.05;
        // [caller, agent, colleague, music] as heard by caller, agent, colleague.
        let [caller, agent, colleague] = three_way(Third::Consult).await;
        assert!(
            heard(caller[3]) && !heard(caller[1]) && !heard(caller[2]),
            "consult: the caller hears the music, not the two agents {caller:?}"
        );
        assert!(
            heard(agent[2]) && !heard(agent[0]),
            "consult: the agent hears the colleague, not the caller {agent:?}"
        );
        assert!(
            heard(colleague[1]) && !heard(colleague[0]),
            "consult: the colleague hears the agent, not the caller {colleague:?}"
        );
        let [caller, agent, colleague] = three_way(Third::Conference).await;
        assert!(
            heard(caller[1]) && heard(caller[2]) && !heard(caller[3]),
            "conference: the caller hears both agents {caller:?}"
        );
        assert!(
            heard(agent[0]) && heard(agent[2]),
            "conference: the agent hears both {agent:?}"
        );
        assert!(
            heard(colleague[0]) && heard(colleague[1]),
            "conference: the colleague hears both {colleague:?}"
        );
    }

    #[tokio::test]
    async fn hold_plays_the_caller_music_and_keys_go_out_as_telephone_events() {
        let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (events, _events_rx) = mpsc::unbounded_channel();
        let media = MediaHandle::start(sock, events);
        let caller = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let n = Negotiated {
            codec: Codec::Pcmu,
            payload_type: 0,
            telephone_event: Some(101),
            ptime: 20,
            direction: Direction::SendRecv,
            remote_address: "127.0.0.1".into(),
            remote_port: caller.local_addr().unwrap().port(),
            rtcp_mux: false,
        };
        media.negotiated(n.clone());
        let (to_agent, _agent_hears) = mpsc::channel(100);
        let (agent_says, from_agent) = mpsc::channel(100);
        media.attach(AgentAudio {
            to_agent,
            from_agent,
        });
        let talk = frames(1000.0, 200);
        // What the caller hears for `ms`, the agent talking all along; and the keys.
        let hear = async |ms: u64, from: usize| -> (Vec<i16>, Vec<char>) {
            let mut heard = Vec::new();
            let mut keys = Vec::new();
            let mut detector = DtmfDetector::default();
            let mut buf = vec![0u8; 2048];
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            for i in 0..(ms / 20) as usize {
                tick.tick().await;
                let _ = agent_says.try_send(talk[(from + i) % talk.len()].clone());
                while let Ok(Ok((len, _))) =
                    tokio::time::timeout(Duration::from_millis(1), caller.recv_from(&mut buf)).await
                {
                    let p = RtpPacket::parse(&buf[..len]).unwrap();
                    if p.payload_type == 101 {
                        let ev = TelephoneEvent::parse(p.payload).unwrap();
                        keys.extend(detector.push(p.timestamp, ev).into_iter().map(|d| d.digit));
                    } else {
                        let mut pcm = vec![0i16; p.payload.len()];
                        Law::Mu.decode(p.payload, &mut pcm);
                        heard.extend(pcm);
                    }
                }
            }
            (heard, keys)
        };
        let notes = [523.25, 659.25, 783.99, 1000.0];
        let (heard, _) = hear(1000, 0).await;
        assert_eq!(
            voice::tone::dominant(&heard[1600..], 8000, &notes),
            Some(1000.0),
            "the agent"
        );
        media.control(Control::Hold(true));
        let (heard, _) = hear(1000, 50).await;
        let music = voice::tone::dominant(&heard[1600..], 8000, &notes);
        assert!(
            matches!(music, Some(f) if f != 1000.0),
            "on hold: the music, not the agent ({music:?})"
        );
        media.control(Control::Hold(false));
        media.control(Control::Keys("5#".into()));
        let (_, keys) = hear(1000, 100).await;
        assert_eq!(keys, vec!['5', '#']);
    }
}
