//! Telephony: the server's driver of the sans-IO `voice` crate — the SIP socket, the timers,
//! and calls turned into contacts on the `voice` channel.
//!
//! One task owns the SIP socket (UDP) and one timer heap. Every datagram is parsed
//! (bounded; garbage is counted and dropped, nothing else changes) and routed by
//! `voice::router`: a known Call-ID to its call or registration, a new INVITE to
//! admission. An INVITE must name a number some organisation's trunk holds (else 404)
//! and pass that trunk's admission (its address allow-list, else a digest challenge;
//! else 403), before anything rings. An admitted call becomes a contact on the `voice`
//! channel in the number's queue, routed by the engine like every other contact (a call
//! blocks an agent's other channels by the engine's default rule); the call is answered
//! as soon as the contact is durable, and the caller hears the hold music
//! ([`media`]) while waiting. The caller hanging up ends the contact (abandoned if it
//! was still waiting); the contact ending (the agent closes it, the queue's longest
//! wait passes) hangs the call up with a BYE. A failed contact creation answers 503.
//!
//! Calls live in this process: a restart ends them, so at start every voice contact
//! still open from before is ended. The driver also keeps each trunk's registration
//! with its provider alive (`voice::register`).
//!
//! The agent hears the caller in the browser: the desktop offers WebRTC for the call's
//! contact, [`webrtc`] answers it (str0m), and the call's media task bridges the two
//! legs ([`media::AgentAudio`]).
//!
//! Calls in a queue that records (`record_calls`) are recorded by their media task,
//! both sides in step; the agent pauses it for a card payment. When the call ends the
//! WAV becomes the contact's attachment (sealed at rest) and `recording` on the contact.
//!
//! A number can name a contact flow (the IVR, `voice::flow`): the call is then answered
//! at once and the flow plays — prompts spoken by [`prompts`], keys read from the
//! media, silence timers on the driver's heap — until it queues the call (with the
//! digits collected as the contact's attributes, and its path through the flow on the
//! contact), takes a voicemail (a contact with the message attached, routed like any
//! other), or hangs up. A caller waiting in a queue hears their place and the expected
//! wait every so often and, where the flow offers it, may press 1 to be called back:
//! the contact keeps its place in line while the call ends.
//!
//! Calls go out too: the agent who takes a callback contact dials the caller back
//! through the trunk the call came in on (its `outbound` address, else its registrar,
//! answering the carrier's challenge with the registration's credentials). The call
//! out is the contact's call like any other — the agent's browser joins its audio, and
//! either side hanging up ends it — but a call out that is not answered (busy, no
//! answer) leaves the contact open, the attempt noted on it, for another try.
//!
//! A supervisor joins a live call from the browser the same way (WebRTC, `webrtc.rs`)
//! and listens, whispers to the agent, or barges in: the call's media task then mixes
//! the three legs on its 20 ms clock (`voice::mixer`), each hearing what the mode
//! allows ([`media::Monitor`]).
//!
//! Agents pass calls on. A blind transfer is the contact's transfer like any other:
//! when the contact waits again, the agent's leg leaves and the caller hears the music
//! until the next agent's browser joins. A warm transfer starts with a consult: the
//! agent asks a colleague to join ([`Sip::consult`]); the colleague's browser joins as
//! the third leg, the caller hearing the music while the two talk
//! ([`media::Third::Consult`]), then all three talk (a conference) if the agent
//! wishes; the agent hands the call over (the colleague takes the contact at once and
//! their desktop joins its audio) or calls the consult off.

pub mod media;
pub mod prompts;
pub mod trunks;
pub mod webrtc;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde::Serialize;
use store::{Channel, ContactStatus, Store as _};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;
use voice::access::{self, Admission, Policy};
use voice::call::CallState;
use voice::call::{Call, CallOutput, CallTimer, EndReason, Endpoint};
use voice::dialog::Ids;
use voice::digest::DigestServer;
use voice::flow::{Action, Facts, Flow, Input, QueueTarget, Run};
use voice::register::{RegOutput, RegTimer, RegisterClient, RegisterConfig};
use voice::router::{Route, route, stateless_reply};
use voice::sdp::LocalMedia;
use voice::sip::{Limits, Message, NameAddr, SipUri};
use voice::speech::Language;
use voice::transaction::Millis;

use crate::AppState;
use crate::contacts::{self, CustomerRef, NewContact};
use crate::events::Actor;
use media::{AgentAudio, Control, MediaEvent, MediaHandle, Monitor, Third};
use trunks::Directory;

/// How long an ended call's Call-ID is remembered, so that a late retransmission is
/// answered by its call instead of starting a new one (64·T1).
const LINGER_MS: Millis = 32_000;

/// Counters of the SIP side, for `/metrics` and the status endpoint.
#[derive(Debug, Default)]
pub struct SipStats {
    pub datagrams: AtomicU64,
    pub malformed: AtomicU64,
    pub refused: AtomicU64,
    pub challenged: AtomicU64,
    pub not_found: AtomicU64,
    pub calls_total: AtomicU64,
    pub calls_active: AtomicU64,
    /// Callers who hung up in a contact flow, before it queued them.
    pub flow_abandoned: AtomicU64,
    pub voicemails: AtomicU64,
    pub callbacks_requested: AtomicU64,
}

/// The running SIP driver: where it listens, and how to reach it.
#[derive(Clone)]
pub struct Sip {
    pub addr: SocketAddr,
    pub stats: Arc<SipStats>,
    tx: mpsc::UnboundedSender<Cmd>,
    /// Where browsers' legs bind, for the device check's loopback.
    webrtc_ip: IpAddr,
    ports: MediaPorts,
}

/// One live call, as the status endpoint shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CallOut {
    pub contact_id: Option<Uuid>,
    pub trunk: String,
    /// `offered`, `ringing`, `answered`, `confirmed`, `ended`.
    pub state: String,
    pub seconds: u64,
    pub packets_in: u64,
    pub packets_out: u64,
    pub lost: u64,
    pub jitter_ms: f64,
    /// Key presses received (their values are not kept: they may be card numbers).
    pub key_presses: u64,
    /// The contact flow and the step the caller is at, while in one.
    pub flow: Option<String>,
    pub flow_step: Option<String>,
    /// Whether an agent's browser is connected to the call's audio.
    pub agent_audio: bool,
    /// A supervisor on the call: `listen`, `whisper` or `barge`.
    pub monitor: Option<Monitor>,
    /// The colleague the agent consults, if any.
    pub consult: Option<ConsultOut>,
    /// The agent has the caller on hold (the caller hears the music).
    pub held: bool,
    /// Audio frames from the agent's browser, and to it.
    pub agent_frames_in: u64,
    pub agent_frames_out: u64,
}

/// A colleague asked to join a call, and how far they are.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConsultOut {
    pub agent_id: Uuid,
    pub agent_name: String,
    /// `invited` (asked, not joined yet), `consult` (the agent and the colleague talk,
    /// the caller hears the music) or `conference` (all three talk).
    pub state: String,
}

impl ConsultOut {
    /// The `consult` note both sides' desktops get (`by`: who acted).
    pub fn note(&self, contact: Uuid, by: &str) -> serde_json::Value {
        serde_json::json!({
            "contact_id": contact,
            "agent_id": self.agent_id,
            "agent_name": self.agent_name,
            "state": self.state,
            "by": by,
        })
    }
}

/// A colleague the agent asked to join the call.
struct Consult {
    colleague: Uuid,
    name: String,
    joined: bool,
    conference: bool,
}

impl Consult {
    fn out(&self) -> ConsultOut {
        ConsultOut {
            agent_id: self.colleague,
            agent_name: self.name.clone(),
            state: match (self.joined, self.conference) {
                (false, _) => "invited",
                (true, false) => "consult",
                (true, true) => "conference",
            }
            .into(),
        }
    }

    fn third(&self) -> Third {
        if self.conference {
            Third::Conference
        } else {
            Third::Consult
        }
    }
}

/// Tells the colleague's desktop that a consult is over without them (the call ended,
/// or the agent passed it on blind), so it stops offering to join.
fn consult_over(state: &AppState, c: &Consult, contact: Uuid) {
    let mut out = c.out();
    out.state = "ended".into();
    state.hub().publish(vec![crate::hub::Note::user(
        out.agent_id,
        "consult",
        out.note(contact, ""),
    )]);
}

/// Who joins a call as its third leg.
#[derive(Debug, Clone, Copy)]
enum Joiner {
    Supervisor(Monitor),
    /// The colleague the agent asked (their user id).
    Colleague(Uuid),
}

/// A trunk's registration with its provider.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegistrationOut {
    pub trunk: String,
    /// `registering`, `registered`, `failed`, `unresolved` (the registrar's name did not
    /// resolve).
    pub state: String,
    /// The provider's last refusal, if any.
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VoiceStatus {
    /// Where SIP is received (`udp:ADDRESS:PORT`); null when telephony is off.
    pub listening: Option<String>,
    /// Where SIP over TCP is received (`tcp:ADDRESS:PORT`), and how many carriers'
    /// connections are open.
    pub listening_tcp: Option<String>,
    pub tcp_connections: usize,
    pub calls: Vec<CallOut>,
    pub registrations: Vec<RegistrationOut>,
    pub datagrams: u64,
    pub malformed: u64,
    pub refused: u64,
}

enum Cmd {
    /// The trunks changed: read them again, then say so.
    Reload(oneshot::Sender<()>),
    Created {
        call_id: String,
        org: Uuid,
        contact: Uuid,
    },
    Failed {
        call_id: String,
    },
    /// The contact ended: hang up.
    Hangup {
        call_id: String,
    },
    Status {
        org: Uuid,
        reply: oneshot::Sender<VoiceStatus>,
    },
    Loaded(Box<Directory>, oneshot::Sender<()>),
    /// Bridge the call of this contact to a browser: answer its offer.
    Attach {
        org: Uuid,
        contact: Uuid,
        offer: String,
        reply: oneshot::Sender<Result<String, String>>,
    },
    Leg {
        call_id: String,
        stats: Arc<webrtc::LegStats>,
    },
    Pause {
        org: Uuid,
        contact: Uuid,
        paused: bool,
        reply: oneshot::Sender<Option<bool>>,
    },
    /// A flow call's caller is (not) a known customer: the flow can start.
    FlowReady {
        call_id: String,
        known: bool,
    },
    Media {
        call_id: String,
        event: MediaEvent,
    },
    /// A prompt's audio is ready to play.
    Prompt {
        call_id: String,
        id: u64,
        pcm: Arc<Vec<i16>>,
    },
    /// The callback is on the contact: say goodbye and hang up, the contact waiting on.
    CallbackKept {
        call_id: String,
        number: String,
    },
    /// Call `number` for `contact` through the trunk named (or the organisation's first
    /// that can place calls).
    Dial {
        org: Uuid,
        contact: Uuid,
        number: String,
        trunk: Option<String>,
        reply: oneshot::Sender<Result<(), String>>,
    },
    /// A supervisor's or a colleague's browser joins the call of `contact`.
    Join {
        org: Uuid,
        contact: Uuid,
        offer: String,
        who: Joiner,
        reply: oneshot::Sender<Result<String, String>>,
    },
    /// A third party's browser leg is up: it joins the call (if it still may).
    Joined {
        org: Uuid,
        contact: Uuid,
        who: Joiner,
        audio: AgentAudio,
        answer: String,
        reply: oneshot::Sender<Result<String, String>>,
    },
    /// The agent asks a colleague to join the call of `contact`.
    Consult {
        org: Uuid,
        contact: Uuid,
        colleague: Uuid,
        name: String,
        reply: oneshot::Sender<Result<(), String>>,
    },
    /// The consult on the call of `contact`, if any.
    ConsultOf {
        org: Uuid,
        contact: Uuid,
        reply: oneshot::Sender<Option<ConsultOut>>,
    },
    /// The consult becomes a conference (`true`) or goes back to a consult: `false`
    /// when no colleague has joined.
    ConsultMode {
        org: Uuid,
        contact: Uuid,
        conference: bool,
        reply: oneshot::Sender<bool>,
    },
    /// The consult ends: the colleague's leg leaves. With `handed_over` (the agent legs
    /// the call had when it was handed over) the call is now theirs: off hold, and the
    /// agent's leg leaves unless the colleague's desktop has already joined in its
    /// place. The consult that was.
    EndConsult {
        org: Uuid,
        contact: Uuid,
        handed_over: Option<u64>,
        reply: oneshot::Sender<Option<ConsultOut>>,
    },
    /// How many agent legs the call of `contact` has had.
    AgentLegs {
        org: Uuid,
        contact: Uuid,
        reply: oneshot::Sender<Option<u64>>,
    },
    /// A carrier opened a TCP connection: what we send it goes to `writer`.
    TcpOpened {
        conn: u64,
        writer: mpsc::UnboundedSender<Vec<u8>>,
    },
    /// One whole SIP message arrived on a TCP connection.
    TcpMessage {
        conn: u64,
        from: SocketAddr,
        data: Vec<u8>,
    },
    /// A TCP connection has been quiet a long while: whether a live call uses it.
    TcpIdle {
        conn: u64,
        reply: oneshot::Sender<bool>,
    },
    /// A TCP connection closed (or was closed for sending garbage).
    TcpClosed {
        conn: u64,
        malformed: bool,
    },
    /// Whether a phone line of the organisation places calls.
    PlacesCalls {
        org: Uuid,
        reply: oneshot::Sender<bool>,
    },
    /// The call's contact waits in a queue again (a transfer): its agent has left.
    Requeued {
        call_id: String,
    },
    /// The supervisor on the call of `contact` changes mode: `false` when there is none.
    MonitorMode {
        org: Uuid,
        contact: Uuid,
        mode: Monitor,
        reply: oneshot::Sender<bool>,
    },
    /// The agent holds (or resumes) the call of `contact`, or sends it key presses:
    /// `false` when the contact has no live call.
    Hold {
        org: Uuid,
        contact: Uuid,
        on: bool,
        reply: oneshot::Sender<bool>,
    },
    Keys {
        org: Uuid,
        contact: Uuid,
        keys: String,
        reply: oneshot::Sender<bool>,
    },
    /// The carrier's address is known: place the call.
    Place {
        org: Uuid,
        contact: Uuid,
        number: String,
        trunk: Box<trunks::TrunkEntry>,
        to: SocketAddr,
        reply: oneshot::Sender<Result<(), String>>,
    },
}

impl Sip {
    /// Sends the driver a command carrying a reply channel and waits for the reply;
    /// `None` once telephony has stopped.
    async fn ask<T>(&self, cmd: impl FnOnce(oneshot::Sender<T>) -> Cmd) -> Option<T> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(cmd(reply)).ok()?;
        rx.await.ok()
    }

    /// Tells the driver that an organisation's trunks changed; returns once the next
    /// call is admitted by what is saved now.
    pub async fn reload(&self) {
        self.ask(Cmd::Reload).await;
    }

    /// Connects an agent's browser to the call of `contact` (WebRTC): answers the
    /// browser's SDP offer. `Err` says why not (no live call, an offer we cannot take).
    pub async fn connect_agent(
        &self,
        org: Uuid,
        contact: Uuid,
        offer: String,
    ) -> Result<String, String> {
        self.ask(|reply| Cmd::Attach {
            org,
            contact,
            offer,
            reply,
        })
        .await
        .unwrap_or_else(|| Err(STOPPED.into()))
    }

    /// Pauses (a card payment) or resumes the recording of the call of `contact`:
    /// `Some(recording)` (whether this call records at all), `None` when the contact
    /// has no live call.
    pub async fn pause_recording(&self, org: Uuid, contact: Uuid, paused: bool) -> Option<bool> {
        self.ask(|reply| Cmd::Pause {
            org,
            contact,
            paused,
            reply,
        })
        .await?
    }

    /// Joins a supervisor's browser to the call of `contact` (WebRTC): answers its
    /// offer. `Err` says why not.
    pub async fn monitor(
        &self,
        org: Uuid,
        contact: Uuid,
        offer: String,
        mode: Monitor,
    ) -> Result<String, String> {
        self.ask(|reply| Cmd::Join {
            org,
            contact,
            offer,
            who: Joiner::Supervisor(mode),
            reply,
        })
        .await
        .unwrap_or_else(|| Err(STOPPED.into()))
    }

    /// Asks `colleague` (named `name`) to join the call of `contact`, which the agent
    /// holds: the invitation stands until they join or the agent calls it off. `Err`
    /// says why not (no live call, a colleague already asked).
    pub async fn consult(
        &self,
        org: Uuid,
        contact: Uuid,
        colleague: Uuid,
        name: String,
    ) -> Result<(), String> {
        self.ask(|reply| Cmd::Consult {
            org,
            contact,
            colleague,
            name,
            reply,
        })
        .await
        .unwrap_or_else(|| Err(STOPPED.into()))
    }

    /// The colleague asked joins from the browser (WebRTC): answers its offer. They
    /// and the agent talk; the caller hears the music.
    pub async fn join_consult(
        &self,
        org: Uuid,
        contact: Uuid,
        colleague: Uuid,
        offer: String,
    ) -> Result<String, String> {
        self.ask(|reply| Cmd::Join {
            org,
            contact,
            offer,
            who: Joiner::Colleague(colleague),
            reply,
        })
        .await
        .unwrap_or_else(|| Err(STOPPED.into()))
    }

    /// The device check's audio loopback ([`webrtc::loopback`]): answers the
    /// browser's offer; what it sends comes back for 20 seconds.
    pub async fn loopback(&self, offer: &str, client: IpAddr) -> Result<String, String> {
        webrtc::loopback(&self.ports, self.webrtc_ip, offer, client).await
    }

    /// Whether a phone line of the organisation places calls (has an outbound
    /// address).
    pub async fn places_calls(&self, org: Uuid) -> bool {
        self.ask(|reply| Cmd::PlacesCalls { org, reply })
            .await
            .unwrap_or(false)
    }

    /// The consult on the call of `contact`, if any.
    pub async fn consult_of(&self, org: Uuid, contact: Uuid) -> Option<ConsultOut> {
        self.ask(|reply| Cmd::ConsultOf {
            org,
            contact,
            reply,
        })
        .await?
    }

    /// All three talk (`true`), or back to the agent and the colleague alone; `false`
    /// when no colleague has joined the call.
    pub async fn consult_mode(&self, org: Uuid, contact: Uuid, conference: bool) -> bool {
        self.ask(|reply| Cmd::ConsultMode {
            org,
            contact,
            conference,
            reply,
        })
        .await
        .unwrap_or(false)
    }

    /// Ends the consult on the call of `contact`: the colleague's leg leaves. With
    /// `handed_over` (what [`Sip::agent_legs`] said before the hand-over) the call is
    /// now theirs: the agent who handed it over leaves it, and the colleague's desktop
    /// joins its audio as its agent. The consult that was, if any.
    pub async fn end_consult(
        &self,
        org: Uuid,
        contact: Uuid,
        handed_over: Option<u64>,
    ) -> Option<ConsultOut> {
        self.ask(|reply| Cmd::EndConsult {
            org,
            contact,
            handed_over,
            reply,
        })
        .await?
    }

    /// How many agents' browser legs the call of `contact` has had (each join counts).
    pub async fn agent_legs(&self, org: Uuid, contact: Uuid) -> Option<u64> {
        self.ask(|reply| Cmd::AgentLegs {
            org,
            contact,
            reply,
        })
        .await?
    }

    /// Changes the mode of the supervisor on the call of `contact`; `false` when no
    /// supervisor is on it.
    pub async fn monitor_mode(&self, org: Uuid, contact: Uuid, mode: Monitor) -> bool {
        self.ask(|reply| Cmd::MonitorMode {
            org,
            contact,
            mode,
            reply,
        })
        .await
        .unwrap_or(false)
    }

    /// Calls `number` for `contact` (the agent's callback): `Ok` once the INVITE is out;
    /// `Err` says why not (no trunk places calls, the contact has a live call already).
    pub async fn dial(
        &self,
        org: Uuid,
        contact: Uuid,
        number: String,
        trunk: Option<String>,
    ) -> Result<(), String> {
        self.ask(|reply| Cmd::Dial {
            org,
            contact,
            number,
            trunk,
            reply,
        })
        .await
        .unwrap_or_else(|| Err(STOPPED.into()))
    }

    /// Puts the call of `contact` on hold (music for the caller) or takes it back;
    /// `false` when the contact has no live call.
    pub async fn hold(&self, org: Uuid, contact: Uuid, on: bool) -> bool {
        self.ask(|reply| Cmd::Hold {
            org,
            contact,
            on,
            reply,
        })
        .await
        .unwrap_or(false)
    }

    /// Sends key presses on the call of `contact`; `false` when it has no live call.
    pub async fn keys(&self, org: Uuid, contact: Uuid, keys: String) -> bool {
        self.ask(|reply| Cmd::Keys {
            org,
            contact,
            keys,
            reply,
        })
        .await
        .unwrap_or(false)
    }

    /// One organisation's calls and registrations.
    pub async fn status(&self, org: Uuid) -> Option<VoiceStatus> {
        self.ask(|reply| Cmd::Status { org, reply }).await
    }
}

const STOPPED: &str = "telephony has stopped";

/// Where a SIP message came from, and so where what answers it goes: a UDP address,
/// or a carrier's TCP connection (answers go back on it, as RFC 3261 §18 asks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Peer {
    Udp(SocketAddr),
    Tcp { conn: u64, addr: SocketAddr },
}

impl Peer {
    fn addr(self) -> SocketAddr {
        match self {
            Peer::Udp(a) | Peer::Tcp { addr: a, .. } => a,
        }
    }
}

/// Carriers' TCP connections open at once, at most.
const MAX_TCP: usize = 1024;
/// A TCP connection that sends nothing for this long is closed.
const TCP_IDLE_SECS: u64 = 600;

/// Accepts carriers' TCP connections: each gets a reader that frames whole SIP messages
/// (`voice::sip::frame_len`) and hands them to the driver, and a writer for what the
/// driver sends back. A connection over `MAX_TCP`, one that sends a message too large
/// or malformed framing, and one idle for ten minutes that no live call uses are
/// closed.
async fn accept_tcp(
    listener: tokio::net::TcpListener,
    tx: mpsc::UnboundedSender<Cmd>,
    open: Arc<std::sync::atomic::AtomicUsize>,
) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut next = 0u64;
    loop {
        let Ok((stream, from)) = listener.accept().await else {
            if tx.is_closed() {
                return;
            }
            // Out of descriptors, say: let them free up rather than spin.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            continue;
        };
        if tx.is_closed() {
            return;
        }
        if open.load(Ordering::Relaxed) >= MAX_TCP {
            tracing::warn!(%from, "a SIP TCP connection was refused: {MAX_TCP} are open");
            continue;
        }
        open.fetch_add(1, Ordering::Relaxed);
        next += 1;
        let conn = next;
        let (mut rd, mut wr) = stream.into_split();
        let (writer, mut outgoing) = mpsc::unbounded_channel::<Vec<u8>>();
        let _ = tx.send(Cmd::TcpOpened { conn, writer });
        tokio::spawn(async move {
            while let Some(bytes) = outgoing.recv().await {
                if wr.write_all(&bytes).await.is_err() {
                    return;
                }
            }
        });
        let (tx, open) = (tx.clone(), open.clone());
        tokio::spawn(async move {
            let limits = Limits::default();
            let mut buf: Vec<u8> = Vec::with_capacity(4096);
            let mut chunk = vec![0u8; 16 * 1024];
            let idle = std::time::Duration::from_secs(TCP_IDLE_SECS);
            let malformed = 'conn: loop {
                let n = match tokio::time::timeout(idle, rd.read(&mut chunk)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => break false,
                    Ok(Ok(n)) => n,
                    Err(_) => {
                        // Quiet a long while: kept only while a live call uses it.
                        let (reply, busy) = oneshot::channel();
                        if tx.send(Cmd::TcpIdle { conn, reply }).is_err() || busy.await != Ok(true)
                        {
                            break false;
                        }
                        continue;
                    }
                };
                buf.extend_from_slice(&chunk[..n]);
                // Keep-alives (CRLF, RFC 5626) between messages are dropped here, so
                // that a stream of them cannot grow the buffer.
                let blank = buf
                    .iter()
                    .take_while(|b| matches!(b, b'\r' | b'\n'))
                    .count();
                buf.drain(..blank);
                loop {
                    match voice::sip::frame_len(&buf, &limits) {
                        Ok(Some(len)) => {
                            let data: Vec<u8> = buf.drain(..len).collect();
                            if tx.send(Cmd::TcpMessage { conn, from, data }).is_err() {
                                break 'conn false;
                            }
                        }
                        Ok(None) => break,
                        Err(_) => break 'conn true,
                    }
                }
            };
            open.fetch_sub(1, Ordering::Relaxed);
            let _ = tx.send(Cmd::TcpClosed { conn, malformed });
        });
    }
}

/// Where call audio binds its UDP sockets: a configured range of ports (`media_ports`),
/// taken in turn so that a port just freed rests before it is used again, or any free
/// port.
#[derive(Clone, Debug, Default)]
pub struct MediaPorts {
    range: Option<(u16, u16)>,
    next: Arc<std::sync::atomic::AtomicU32>,
}

impl MediaPorts {
    /// `FIRST-LAST` (`20000-29999`), or empty for any free port.
    pub fn parse(s: &str) -> Result<MediaPorts, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(MediaPorts::default());
        }
        let bad = || format!("media_ports: \"{s}\" is not FIRST-LAST, e.g. 20000-29999");
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let (a, b): (u16, u16) = (
            a.trim().parse().map_err(|_| bad())?,
            b.trim().parse().map_err(|_| bad())?,
        );
        if a == 0 || b < a {
            return Err(format!(
                "media_ports: {a}-{b} is empty; the first port is at least 1 and at most the last"
            ));
        }
        Ok(MediaPorts {
            range: Some((a, b)),
            next: Arc::default(),
        })
    }

    /// A UDP socket on `ip`, on the next free port of the range.
    pub async fn bind(&self, ip: IpAddr) -> std::io::Result<UdpSocket> {
        let Some((first, last)) = self.range else {
            return UdpSocket::bind((ip, 0)).await;
        };
        let n = u32::from(last - first) + 1;
        for _ in 0..n {
            let i = self.next.fetch_add(1, Ordering::Relaxed) % n;
            match UdpSocket::bind((ip, first + i as u16)).await {
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
                r => return r,
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            format!("every port of media_ports {first}-{last} is in use"),
        ))
    }
}

/// The SIP sockets: UDP at `bind`, and TCP on the same address and port where it can
/// be bound (without it, UDP alone, said in the log). Port 0, or a port taken where
/// `any_port` allows another, takes a port free for both.
async fn bind_sip(
    bind: &str,
    any_port: bool,
) -> std::io::Result<(UdpSocket, Option<tokio::net::TcpListener>)> {
    let fixed = bind.parse::<SocketAddr>().ok();
    let udp = match fixed {
        Some(a) if a.port() == 0 => None,
        _ => match UdpSocket::bind(bind).await {
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && any_port => None,
            r => Some(r?),
        },
    };
    if let Some(udp) = udp {
        let addr = udp.local_addr()?;
        let tcp = match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => Some(l),
            Err(e) => {
                tracing::warn!(%addr, error = %e, "SIP over TCP is off: its port could not be bound");
                None
            }
        };
        return Ok((udp, tcp));
    }
    // Any port: one free for TCP that UDP can have too (a few tries).
    let ip = fixed.map_or(IpAddr::from([127, 0, 0, 1]), |a| a.ip());
    for _ in 0..20 {
        let tcp = tokio::net::TcpListener::bind((ip, 0)).await?;
        let port = tcp.local_addr()?.port();
        if let Ok(udp) = UdpSocket::bind((ip, port)).await {
            return Ok((udp, Some(tcp)));
        }
    }
    tracing::warn!("SIP over TCP is off: no port was free for both UDP and TCP");
    Ok((UdpSocket::bind((ip, 0)).await?, None))
}

/// Binds the SIP socket (`sip_bind`) and starts the driver; ends the voice contacts a
/// previous process left open.
pub async fn start(state: &AppState) -> std::io::Result<Option<Sip>> {
    let bind = state.config().sip_bind.trim().to_string();
    if bind.is_empty() {
        return Ok(None);
    }
    let ports = MediaPorts::parse(&state.config().media_ports)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let loopback_ports = ports.clone();
    let (sock, tcp_listener) = bind_sip(&bind, state.config().sip_any_port).await?;
    let addr = sock.local_addr()?;
    let host = match state.config().sip_host.trim() {
        "" if addr.ip().is_unspecified() => "127.0.0.1".to_string(),
        "" => addr.ip().to_string(),
        h => h.to_string(),
    };
    let media_ip = addr.ip();
    let webrtc_ip = if media_ip.is_unspecified() {
        host.parse().unwrap_or(IpAddr::from([127, 0, 0, 1]))
    } else {
        media_ip
    };
    end_orphans(state).await;
    let directory = Directory::load(state).await.unwrap_or_else(|e| {
        tracing::error!(error = ?e, "trunks could not be read; no calls are admitted until they are saved again");
        Directory::default()
    });
    let (tx, rx) = mpsc::unbounded_channel();
    let stats = Arc::new(SipStats::default());
    let mut ep = Endpoint::udp(&host, addr.port());
    ep.user_agent = format!("Homeshore/{}", env!("CARGO_PKG_VERSION"));
    let ep_tcp = Endpoint {
        transport: "TCP".into(),
        reliable: true,
        contact: format!("{};transport=tcp", ep.contact),
        ..ep.clone()
    };
    // SIP over TCP on the same address and port as UDP; without it, UDP alone.
    let tcp_addr = tcp_listener.as_ref().and_then(|l| l.local_addr().ok());
    let key: [u8; 32] = rand::random();
    let driver = Driver {
        prompts: Arc::new(prompts::Prompts::default()),
        state: state.clone(),
        sock: Arc::new(sock),
        ep,
        ep_tcp,
        tcp_addr,
        tcp: HashMap::new(),
        host,
        media_ip,
        webrtc_ip,
        ports,
        clock: Instant::now(),
        digest: DigestServer::new(trunks::REALM, &key, 300_000),
        dir: directory,
        calls: HashMap::new(),
        regs: HashMap::new(),
        timers: BinaryHeap::new(),
        timer_keys: HashMap::new(),
        timer_seq: 0,
        tx: tx.clone(),
        stats: stats.clone(),
    };
    tokio::spawn(driver.run(rx));
    if let Some(l) = tcp_listener {
        tokio::spawn(accept_tcp(l, tx.clone(), Arc::default()));
    }
    tracing::info!(%addr, tcp = tcp_addr.is_some(), "SIP listening (UDP, and TCP where bound)");
    Ok(Some(Sip {
        addr,
        stats,
        tx,
        webrtc_ip,
        ports: loopback_ports,
    }))
}

/// Voice contacts still open from a previous process whose calls died with it (a
/// voicemail, or a caller waiting for a callback, has no call to lose).
async fn end_orphans(state: &AppState) {
    for (org, _) in state.slots() {
        let open: Vec<Uuid> = state.with_org(org, |o| {
            o.contacts()
                .filter(|lc| {
                    lc.contact.channel == Channel::Voice
                        && !lc.contact.status.is_ended()
                        && !outlives_call(&lc.contact)
                })
                .map(|lc| lc.contact.id)
                .collect()
        });
        for id in open {
            if let Err(e) = contacts::end_contact(state, org, id, Actor::System).await {
                tracing::warn!(contact = %id, error = ?e, "a call from before the restart could not be ended");
            }
        }
    }
}

/// A voice contact that needs no live call: a voicemail, or a caller who asked to be
/// called back.
pub fn outlives_call(c: &store::Contact) -> bool {
    c.data.get("voicemail").is_some() || c.data.get("callback").is_some()
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum TimerKey {
    Call(String, CallTimer),
    Reg(String, RegTimer),
    /// A flow's silence timer; only the latest of a call counts.
    Listen(String, u64),
    /// Time to tell a waiting caller their place again.
    Announce(String),
    /// A voicemail reached its longest.
    VoicemailEnd(String),
    Sweep,
}

/// A call in a contact flow.
struct FlowCall {
    name: String,
    flow: Arc<Flow>,
    /// Started once the caller is known or not.
    run: Option<Run>,
    known: bool,
}

/// A call waiting in a queue.
struct Waiting {
    announce_every: Millis,
    callback: bool,
}

/// A voicemail being taken.
struct Voicemail {
    queue: Uuid,
    max_s: u32,
    /// The beep is over and the caller is being recorded.
    recording: bool,
}

struct Active {
    call: Call,
    org: Uuid,
    queue: Uuid,
    trunk: String,
    peer: Peer,
    contact: Option<Uuid>,
    ended: Option<EndReason>,
    forget_at: Option<Millis>,
    media: MediaHandle,
    started: Instant,
    leg: Option<Arc<webrtc::LegStats>>,
    /// Its queue records calls.
    records: bool,
    dialled: String,
    caller_number: Option<String>,
    caller_name: String,
    flow: Option<FlowCall>,
    /// What its flow speaks: the prompts' voice and the server's own sentences.
    language: Language,
    /// The flow's name and path, kept for the contact once it queues.
    flow_record: Option<serde_json::Value>,
    wait: Option<Waiting>,
    voicemail: Option<Voicemail>,
    /// The prompt playing (its `PromptDone` is awaited), if any.
    prompt: Option<u64>,
    prompt_seq: u64,
    /// The latest silence timer; older ones are stale.
    listen: u64,
    /// Hang up when the prompt playing ends.
    hangup_after_prompt: bool,
    /// We placed it (a callback).
    outbound: bool,
    /// The supervisor on the call, and how.
    monitor: Option<Monitor>,
    /// The colleague the agent consults.
    consult: Option<Consult>,
    /// Agents' browser legs joined so far.
    legs: u64,
    /// It was answered and acknowledged.
    confirmed: bool,
    /// The agent has the caller on hold.
    held: bool,
}

impl Active {
    /// The agent's browser leaves the call (it was passed on): the caller hears the
    /// music, off hold, until the next agent's browser joins.
    fn agent_left(&mut self) {
        self.media.control(Control::Detach);
        self.media.control(Control::Hold(false));
        self.media.control(Control::Music(true));
        self.held = false;
        self.leg = None;
    }

    /// A call just offered or placed: nothing else known yet.
    fn new(
        call: Call,
        org: Uuid,
        queue: Uuid,
        trunk: String,
        peer: Peer,
        media: MediaHandle,
    ) -> Active {
        Active {
            call,
            org,
            queue,
            trunk,
            peer,
            contact: None,
            ended: None,
            forget_at: None,
            media,
            started: Instant::now(),
            leg: None,
            records: false,
            dialled: String::new(),
            caller_number: None,
            caller_name: String::new(),
            flow: None,
            language: Language::English,
            flow_record: None,
            wait: None,
            voicemail: None,
            prompt: None,
            prompt_seq: 0,
            listen: 0,
            hangup_after_prompt: false,
            outbound: false,
            confirmed: false,
            monitor: None,
            consult: None,
            legs: 0,
            held: false,
        }
    }
}

struct Reg {
    client: RegisterClient,
    to: SocketAddr,
    org: Uuid,
    trunk: String,
    state: &'static str,
    last_error: Option<String>,
}

struct Driver {
    prompts: Arc<prompts::Prompts>,
    state: AppState,
    sock: Arc<UdpSocket>,
    ep: Endpoint,
    /// The same, for calls that come over TCP.
    ep_tcp: Endpoint,
    /// Where carriers connect over TCP (the SIP port), if it could be bound.
    tcp_addr: Option<SocketAddr>,
    /// Open TCP connections' writers.
    tcp: HashMap<u64, mpsc::UnboundedSender<Vec<u8>>>,
    host: String,
    media_ip: IpAddr,
    /// The address browsers reach the agent legs at (the ICE candidate).
    webrtc_ip: IpAddr,
    ports: MediaPorts,
    clock: Instant,
    digest: DigestServer,
    dir: Directory,
    calls: HashMap<String, Active>,
    regs: HashMap<String, Reg>,
    /// (due, arming order): the order is also the key's id in `timer_keys` (a key has
    /// no order of its own).
    timers: BinaryHeap<Reverse<(Millis, u64)>>,
    timer_keys: HashMap<u64, TimerKey>,
    timer_seq: u64,
    tx: mpsc::UnboundedSender<Cmd>,
    stats: Arc<SipStats>,
}

impl Driver {
    fn now(&self) -> Millis {
        self.clock.elapsed().as_millis() as Millis
    }

    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Cmd>) {
        let mut shutdown = self.state.shutdown_signal();
        let mut buf = vec![0u8; 65_536];
        let sock = self.sock.clone();
        self.start_registrations().await;
        let now = self.now();
        self.arm(TimerKey::Sweep, now + 5_000);
        loop {
            let next = self.timers.peek().map(|Reverse((at, _))| *at);
            let sleep = async {
                match next {
                    Some(at) => {
                        let wait = at.saturating_sub(self.now());
                        tokio::time::sleep(std::time::Duration::from_millis(wait)).await
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                got = sock.recv_from(&mut buf) => {
                    if let Ok((len, from)) = got {
                        let data = buf[..len].to_vec();
                        self.datagram(&data, Peer::Udp(from)).await;
                    }
                }
                cmd = rx.recv() => {
                    let Some(cmd) = cmd else { return };
                    self.command(cmd).await;
                }
                _ = sleep => self.fire_due().await,
                _ = shutdown.changed() => {
                    self.hang_up_all().await;
                    return;
                }
            }
        }
    }

    fn arm(&mut self, key: TimerKey, at: Millis) {
        self.timer_seq += 1;
        self.timer_keys.insert(self.timer_seq, key);
        self.timers.push(Reverse((at, self.timer_seq)));
    }

    async fn fire_due(&mut self) {
        let now = self.now();
        while let Some(Reverse((at, id))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            let Some(key) = self.timer_keys.remove(&id) else {
                continue;
            };
            match key {
                TimerKey::Call(call_id, t) => {
                    if let Some(a) = self.calls.get_mut(&call_id) {
                        let out = a.call.handle_timer(now, t);
                        self.call_outputs(&call_id, out).await;
                    }
                }
                TimerKey::Reg(call_id, t) => {
                    if let Some(r) = self.regs.get_mut(&call_id) {
                        let out = r.client.handle_timer(now, t);
                        self.reg_outputs(&call_id, out).await;
                    }
                }
                TimerKey::Listen(call_id, n) => {
                    if self.calls.get(&call_id).is_some_and(|a| a.listen == n) {
                        self.flow_input(&call_id, Input::Timeout).await;
                    }
                }
                TimerKey::Announce(call_id) => self.announce(&call_id).await,
                TimerKey::VoicemailEnd(call_id) => self.end_voicemail(&call_id).await,
                TimerKey::Sweep => {
                    self.calls
                        .retain(|_, a| a.forget_at.is_none_or(|t| t > now));
                    self.arm(TimerKey::Sweep, now + 5_000);
                }
            }
        }
    }

    async fn send(&self, msg: &Message, to: Peer) {
        match to {
            Peer::Udp(to) => {
                if let Err(e) = self.sock.send_to(&msg.to_bytes(), to).await {
                    tracing::debug!(%to, error = %e, "SIP send failed");
                }
            }
            Peer::Tcp { conn, addr } => {
                let sent = self
                    .tcp
                    .get(&conn)
                    .is_some_and(|w| w.send(msg.to_bytes()).is_ok());
                if !sent {
                    tracing::debug!(%addr, "SIP send failed: the TCP connection is closed");
                }
            }
        }
    }

    /// The endpoint a call that came from `peer` speaks as (its Via and Contact).
    fn endpoint(&self, peer: Peer) -> Endpoint {
        match peer {
            Peer::Udp(_) => self.ep.clone(),
            Peer::Tcp { .. } => self.ep_tcp.clone(),
        }
    }

    /// One SIP message, from a UDP datagram or a TCP connection.
    async fn datagram(&mut self, data: &[u8], from: Peer) {
        self.stats.datagrams.fetch_add(1, Ordering::Relaxed);
        // Keep-alives (CRLF pings, RFC 5626) are answered by nothing.
        if data.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let msg = match voice::sip::parse(data, &Limits::default()) {
            Ok(m) => m,
            Err(e) => {
                self.stats.malformed.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(from = %from.addr(), error = %e, "malformed SIP message dropped");
                return;
            }
        };
        let now = self.now();
        match route(&msg) {
            Route::Reply(r) => self.send(&r, from).await,
            Route::Existing { call_id, unknown } => {
                if let Some(a) = self.calls.get_mut(&call_id) {
                    // A carrier that reconnected over TCP is answered on its new
                    // connection (from the same address only).
                    if matches!(from, Peer::Tcp { .. }) && from.addr().ip() == a.peer.addr().ip() {
                        a.peer = from;
                    }
                    let out = a.call.handle_message(now, msg);
                    self.call_outputs(&call_id, out).await;
                } else if let Some(r) = self.regs.get_mut(&call_id) {
                    let out = r.client.handle_message(now, msg);
                    self.reg_outputs(&call_id, out).await;
                } else if let Some(r) = unknown {
                    self.send(&r, from).await;
                }
            }
            Route::NewCall { call_id } => {
                if let Some(a) = self.calls.get_mut(&call_id) {
                    let out = a.call.handle_message(now, msg);
                    self.call_outputs(&call_id, out).await;
                } else {
                    self.new_call(call_id, msg, from).await;
                }
            }
        }
    }

    async fn new_call(&mut self, call_id: String, msg: Message, from: Peer) {
        let now = self.now();
        let dialled = msg
            .uri()
            .and_then(SipUri::parse)
            .and_then(|u| u.user)
            .unwrap_or_default();
        let Some((trunk, route)) = self.dir.lookup(&dialled) else {
            self.stats.not_found.fetch_add(1, Ordering::Relaxed);
            self.send(&stateless_reply(&msg, 404, "Not Found"), from)
                .await;
            return;
        };
        let (org, trunk_name) = (trunk.org, trunk.name.clone());
        let (queue, flow) = (route.queue, route.flow.clone());
        // Decided before anything is awaited (the policy borrows a closure).
        let admission = {
            let digest = trunk.digest.clone();
            let ha1_of = move |user: &str| -> Option<String> {
                digest
                    .as_ref()
                    .filter(|(u, _)| u == user)
                    .map(|(_, h)| h.clone())
            };
            let policy = Policy {
                allow: &trunk.allow,
                digest: trunk
                    .digest
                    .as_ref()
                    .map(|_| (&self.digest, &ha1_of as &access::Ha1Lookup)),
            };
            access::admit(now, from.addr().ip(), &msg, &policy)
        };
        match admission {
            Admission::Allowed { .. } => {}
            Admission::Challenge(r) => {
                self.stats.challenged.fetch_add(1, Ordering::Relaxed);
                self.send(&r, from).await;
                return;
            }
            Admission::Refused(r) => {
                self.stats.refused.fetch_add(1, Ordering::Relaxed);
                tracing::info!(from = %from.addr(), trunk = %trunk_name, "a call was refused (403): not from the trunk's addresses and no valid credentials");
                self.send(&r, from).await;
                return;
            }
        }
        let rtp = match self.ports.bind(self.media_ip).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "no RTP port for a call; answered 503");
                self.send(&stateless_reply(&msg, 503, "Service Unavailable"), from)
                    .await;
                return;
            }
        };
        let (events_tx, events_rx) = mpsc::unbounded_channel::<MediaEvent>();
        let media = MediaHandle::start(rtp, events_tx);
        let local = LocalMedia::new(&self.host, media.local_port, rand::random::<u32>() as u64);
        let caller = msg.from_addr().ok();
        let (call, out) = match Call::incoming(
            now,
            msg,
            self.endpoint(from),
            local,
            Ids::new(rand::random()),
        ) {
            Ok(x) => x,
            Err(e) => {
                tracing::debug!(from = %from.addr(), error = %e, "an INVITE could not start a call");
                return;
            }
        };
        self.forward_media(&call_id, events_rx);
        self.stats.calls_total.fetch_add(1, Ordering::Relaxed);
        self.stats.calls_active.fetch_add(1, Ordering::Relaxed);
        let rejected = out.iter().any(|o| matches!(o, CallOutput::Ended(_)));
        let (number, name) = caller_of(caller.as_ref());
        let mut active = Active::new(call, org, queue, trunk_name, from, media);
        active.dialled = trunks::number_key(&dialled);
        active.caller_number = number.clone();
        active.caller_name = name;
        active.language = flow.as_ref().map(|(_, f)| f.language).unwrap_or_default();
        active.flow = flow.map(|(name, flow)| FlowCall {
            name,
            flow,
            run: None,
            known: false,
        });
        self.calls.insert(call_id.clone(), active);
        self.call_outputs(&call_id, out).await;
        if rejected {
            return;
        }
        let Some(a) = self.calls.get_mut(&call_id) else {
            return;
        };
        if a.flow.is_none() {
            a.wait = Some(Waiting {
                announce_every: 0,
                callback: false,
            });
            self.create_contact(&call_id, BTreeMap::new());
            return;
        }
        // A contact flow: answer now, in silence, and start it once we know whether
        // the caller is a customer already.
        a.media.control(Control::Music(false));
        let mut out = a.call.ring(now);
        out.extend(a.call.answer(now));
        self.call_outputs(&call_id, out).await;
        let (state, tx) = (self.state.clone(), self.tx.clone());
        tokio::spawn(async move {
            let known = match &number {
                Some(n) => state
                    .store()
                    .find_identity(org, "phone", n)
                    .await
                    .ok()
                    .flatten()
                    .is_some(),
                None => false,
            };
            let _ = tx.send(Cmd::FlowReady { call_id, known });
        });
    }

    /// Key presses and finished prompts of a call's media come back to this task.
    fn forward_media(&self, call_id: &str, mut events: mpsc::UnboundedReceiver<MediaEvent>) {
        let (tx, call_id) = (self.tx.clone(), call_id.to_string());
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                let call_id = call_id.clone();
                if tx.send(Cmd::Media { call_id, event }).is_err() {
                    return;
                }
            }
        });
    }

    /// Writes the call's contact in its queue (`a.queue`), with these attributes.
    fn create_contact(&mut self, call_id: &str, attributes: BTreeMap<String, String>) {
        let Some(a) = self.calls.get(call_id) else {
            return;
        };
        let state = self.state.clone();
        let tx = self.tx.clone();
        let (org, queue, call_id) = (a.org, a.queue, call_id.to_string());
        let mut new = NewContact::new(
            Channel::Voice,
            queue,
            CustomerRef::New {
                name: a.caller_name.clone(),
                email: None,
                identity: a.caller_number.clone().map(|n| ("phone".to_string(), n)),
            },
        );
        new.attributes = attributes;
        new.attributes.insert("dialled".into(), a.dialled.clone());
        new.data.insert(
            "sip_call_id".into(),
            serde_json::Value::String(call_id.clone()),
        );
        if let Some(f) = &a.flow_record {
            new.data.insert("flow".into(), f.clone());
        }
        if let Some(p) = new
            .attributes
            .get("priority")
            .and_then(|p| p.parse::<u8>().ok())
        {
            new.data.insert("priority".into(), p.into());
        }
        tokio::spawn(async move {
            match contacts::create_contact(&state, org, Actor::Customer, new).await {
                Ok(c) => {
                    let _ = tx.send(Cmd::Created {
                        call_id,
                        org,
                        contact: c.id,
                    });
                }
                Err(e) => {
                    tracing::warn!(error = ?e, "a call's contact could not be created; answered 503");
                    let _ = tx.send(Cmd::Failed { call_id });
                }
            }
        });
    }

    async fn command(&mut self, cmd: Cmd) {
        let now = self.now();
        match cmd {
            Cmd::Reload(done) => {
                let state = self.state.clone();
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    match Directory::load(&state).await {
                        Ok(d) => {
                            let _ = tx.send(Cmd::Loaded(Box::new(d), done));
                        }
                        Err(e) => tracing::error!(error = ?e, "trunks could not be read again"),
                    }
                });
            }
            Cmd::Loaded(dir, done) => {
                self.dir = *dir;
                self.start_registrations().await;
                let _ = done.send(());
            }
            Cmd::Created {
                call_id,
                org,
                contact,
            } => {
                let Some(a) = self.calls.get_mut(&call_id) else {
                    // The caller hung up while the contact was being written, so long
                    // ago that the call is forgotten (a writer far behind).
                    end_contact_later(&self.state, org, contact);
                    return;
                };
                a.contact = Some(contact);
                if a.ended.is_some() {
                    // The caller hung up while the contact was being written.
                    end_contact_later(&self.state, org, contact);
                    return;
                }
                let records = self.state.with_org(org, |o| {
                    o.queue(a.queue)
                        .and_then(|q| q.settings.record_calls)
                        .unwrap_or(false)
                });
                if records {
                    a.media.control(Control::Record);
                    a.records = true;
                }
                let announces = a
                    .wait
                    .as_ref()
                    .is_some_and(|w| w.announce_every > 0 || w.callback);
                if matches!(a.call.state(), CallState::Offered | CallState::Ringing) {
                    let mut out = a.call.ring(now);
                    out.extend(a.call.answer(now));
                    self.call_outputs(&call_id, out).await;
                }
                if announces {
                    // The first announcement a moment after the caller is queued.
                    self.arm(TimerKey::Announce(call_id.clone()), now + 1_500);
                }
                tokio::spawn(watch_contact(
                    self.state.clone(),
                    org,
                    contact,
                    call_id,
                    self.tx.clone(),
                ));
            }
            Cmd::Failed { call_id } => {
                if let Some(a) = self.calls.get_mut(&call_id) {
                    let out = a.call.reject(now, 503, "Service Unavailable");
                    self.call_outputs(&call_id, out).await;
                }
            }
            Cmd::Hangup { call_id } => {
                if let Some(a) = self.calls.get_mut(&call_id)
                    && a.ended.is_none()
                {
                    let out = a.call.hangup(now);
                    self.call_outputs(&call_id, out).await;
                }
            }
            Cmd::Attach {
                org,
                contact,
                offer,
                reply,
            } => {
                let Some((call_id, a)) = self
                    .calls
                    .iter_mut()
                    .find(|(_, a)| a.org == org && a.contact == Some(contact) && a.ended.is_none())
                else {
                    let _ = reply.send(Err("this contact has no live call".into()));
                    return;
                };
                let (to_agent, to_browser) = mpsc::channel(50);
                let (from_browser, from_agent) = mpsc::channel(50);
                // An announcement in progress gives way to the agent.
                if a.prompt.take().is_some() {
                    a.media.control(Control::StopPrompt);
                }
                a.wait = None;
                a.legs += 1;
                a.media.attach(AgentAudio {
                    to_agent,
                    from_agent,
                });
                let (call_id, ip, tx) = (call_id.clone(), self.webrtc_ip, self.tx.clone());
                let ports = self.ports.clone();
                tokio::spawn(async move {
                    let r = webrtc::start(&ports, ip, &offer, to_browser, from_browser).await;
                    let _ = reply.send(r.map(|(answer, stats)| {
                        let _ = tx.send(Cmd::Leg { call_id, stats });
                        answer
                    }));
                });
            }
            Cmd::Join {
                org,
                contact,
                offer,
                who,
                reply,
            } => {
                // Checked now, done once the browser's leg is up (`Joined`): an offer
                // that fails changes nothing on the call.
                if let Err(e) = self.may_join(org, contact, who) {
                    let _ = reply.send(Err(e));
                    return;
                }
                let (to_third, to_browser) = mpsc::channel(50);
                let (from_browser, from_third) = mpsc::channel(50);
                let (ip, ports, tx) = (self.webrtc_ip, self.ports.clone(), self.tx.clone());
                tokio::spawn(async move {
                    match webrtc::start(&ports, ip, &offer, to_browser, from_browser).await {
                        Ok((answer, _)) => {
                            let audio = AgentAudio {
                                to_agent: to_third,
                                from_agent: from_third,
                            };
                            let _ = tx.send(Cmd::Joined {
                                org,
                                contact,
                                who,
                                audio,
                                answer,
                                reply,
                            });
                        }
                        Err(e) => {
                            let _ = reply.send(Err(e));
                        }
                    }
                });
            }
            Cmd::Joined {
                org,
                contact,
                who,
                audio,
                answer,
                reply,
            } => {
                if let Err(e) = self.may_join(org, contact, who) {
                    let _ = reply.send(Err(e));
                    return;
                }
                let Some(a) = self.live_call(org, contact) else {
                    let _ = reply.send(Err("this contact has no live call".into()));
                    return;
                };
                let third = match who {
                    Joiner::Supervisor(mode) => {
                        a.monitor = Some(mode);
                        Third::Supervisor(mode)
                    }
                    Joiner::Colleague(_) => {
                        a.monitor = None;
                        match &mut a.consult {
                            Some(c) => {
                                c.joined = true;
                                c.third()
                            }
                            None => Third::Consult,
                        }
                    }
                };
                a.media.control(Control::Join(audio, third));
                let _ = reply.send(Ok(answer));
            }
            Cmd::Hold {
                org,
                contact,
                on,
                reply,
            } => {
                let found = self.live_call(org, contact);
                let _ = reply.send(found.is_some_and(|a| {
                    a.media.control(Control::Hold(on));
                    a.held = on;
                    true
                }));
            }
            Cmd::Keys {
                org,
                contact,
                keys,
                reply,
            } => {
                let found = self.live_call(org, contact);
                let _ = reply.send(found.is_some_and(|a| {
                    a.media.control(Control::Keys(keys));
                    true
                }));
            }
            Cmd::MonitorMode {
                org,
                contact,
                mode,
                reply,
            } => {
                let found = self.live_call(org, contact).filter(|a| a.monitor.is_some());
                let _ = reply.send(found.is_some_and(|a| {
                    a.media.control(Control::Mode(Third::Supervisor(mode)));
                    a.monitor = Some(mode);
                    true
                }));
            }
            Cmd::Consult {
                org,
                contact,
                colleague,
                name,
                reply,
            } => {
                let Some(a) = self.live_call(org, contact) else {
                    let _ = reply.send(Err("this contact has no live call".into()));
                    return;
                };
                if let Some(c) = &a.consult
                    && c.colleague != colleague
                {
                    let _ = reply.send(Err(format!(
                        "{} is already asked to this call; call that off first",
                        c.name
                    )));
                    return;
                }
                if a.consult.is_none() {
                    a.consult = Some(Consult {
                        colleague,
                        name,
                        joined: false,
                        conference: false,
                    });
                }
                let _ = reply.send(Ok(()));
            }
            Cmd::ConsultOf {
                org,
                contact,
                reply,
            } => {
                let found = self
                    .live_call(org, contact)
                    .and_then(|a| a.consult.as_ref().map(Consult::out));
                let _ = reply.send(found);
            }
            Cmd::ConsultMode {
                org,
                contact,
                conference,
                reply,
            } => {
                let Some(a) = self.live_call(org, contact) else {
                    let _ = reply.send(false);
                    return;
                };
                let Some(c) = a.consult.as_mut().filter(|c| c.joined) else {
                    let _ = reply.send(false);
                    return;
                };
                c.conference = conference;
                a.media.control(Control::Mode(c.third()));
                let _ = reply.send(true);
            }
            Cmd::EndConsult {
                org,
                contact,
                handed_over,
                reply,
            } => {
                let Some(a) = self.live_call(org, contact) else {
                    let _ = reply.send(None);
                    return;
                };
                let Some(c) = a.consult.take() else {
                    let _ = reply.send(None);
                    return;
                };
                if c.joined {
                    a.media.control(Control::Leave);
                }
                if let Some(legs) = handed_over {
                    // The colleague takes the caller off hold by taking the call. The
                    // agent's leg leaves (the caller hears the music until the
                    // colleague's desktop joins), unless that desktop already has.
                    if a.legs == legs {
                        a.agent_left();
                    } else {
                        a.media.control(Control::Hold(false));
                        a.held = false;
                    }
                }
                let _ = reply.send(Some(c.out()));
            }
            Cmd::AgentLegs {
                org,
                contact,
                reply,
            } => {
                let _ = reply.send(self.live_call(org, contact).map(|a| a.legs));
            }
            Cmd::TcpOpened { conn, writer } => {
                self.tcp.insert(conn, writer);
            }
            Cmd::TcpMessage { conn, from, data } => {
                self.datagram(&data, Peer::Tcp { conn, addr: from }).await;
            }
            Cmd::TcpIdle { conn, reply } => {
                let busy = self.calls.values().any(|a| {
                    a.ended.is_none() && matches!(a.peer, Peer::Tcp { conn: c, .. } if c == conn)
                });
                let _ = reply.send(busy);
            }
            Cmd::TcpClosed { conn, malformed } => {
                self.tcp.remove(&conn);
                if malformed {
                    self.stats.malformed.fetch_add(1, Ordering::Relaxed);
                }
            }
            Cmd::PlacesCalls { org, reply } => {
                let places = self
                    .dir
                    .trunks
                    .iter()
                    .any(|t| t.org == org && t.outbound.is_some());
                let _ = reply.send(places);
            }
            Cmd::Requeued { call_id } => {
                if let Some(a) = self.calls.get_mut(&call_id)
                    && a.ended.is_none()
                {
                    // Whoever was on with the agent leaves with them.
                    let (consult, monitor) = (a.consult.take(), a.monitor.take());
                    if consult.as_ref().is_some_and(|c| c.joined) || monitor.is_some() {
                        a.media.control(Control::Leave);
                    }
                    if let (Some(c), Some(contact)) = (consult, a.contact) {
                        consult_over(&self.state, &c, contact);
                    }
                    a.agent_left();
                }
            }
            Cmd::Pause {
                org,
                contact,
                paused,
                reply,
            } => {
                let found = self.live_call(org, contact);
                let _ = reply.send(found.map(|a| {
                    if a.records {
                        a.media.control(Control::Pause(paused));
                    }
                    a.records
                }));
            }
            Cmd::Leg { call_id, stats } => {
                if let Some(a) = self.calls.get_mut(&call_id) {
                    a.leg = Some(stats);
                }
            }
            Cmd::Status { org, reply } => {
                let _ = reply.send(self.status(org));
            }
            Cmd::FlowReady { call_id, known } => {
                let facts = self.facts_of(&call_id);
                let Some(a) = self.calls.get_mut(&call_id) else {
                    return;
                };
                let Some(f) = &mut a.flow else { return };
                if a.ended.is_some() || f.run.is_some() {
                    return;
                }
                f.known = known;
                let Some((weekday, minute, open)) = facts else {
                    return;
                };
                let actions = {
                    let open = |q: &str| open.get(q).copied().unwrap_or(false);
                    let fx = Facts {
                        weekday,
                        minute,
                        known_caller: known,
                        open: &open,
                    };
                    let (run, actions) = Run::start((*f.flow).clone(), &fx);
                    f.run = Some(run);
                    actions
                };
                self.flow_actions(&call_id, actions).await;
            }
            Cmd::Media { call_id, event } => self.media_event(&call_id, event).await,
            Cmd::Dial {
                org,
                contact,
                number,
                trunk,
                reply,
            } => {
                if self
                    .calls
                    .values()
                    .any(|a| a.org == org && a.contact == Some(contact) && a.ended.is_none())
                {
                    let _ = reply.send(Err("this contact has a live call already".into()));
                    return;
                }
                let places = |t: &&trunks::TrunkEntry| t.org == org && t.outbound.is_some();
                let found = self
                    .dir
                    .trunks
                    .iter()
                    .filter(places)
                    .find(|t| trunk.as_ref().is_none_or(|n| *n == t.name))
                    .or_else(|| self.dir.trunks.iter().find(places))
                    .cloned();
                let Some(entry) = found else {
                    let _ = reply.send(Err(
                        "no phone line places calls: give one an outbound address (Admin → Phone lines)".into(),
                    ));
                    return;
                };
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let (host, port) = entry.outbound.clone().unwrap_or_default();
                    match trunks::resolve(&host, port).await {
                        Some(to) => {
                            let _ = tx.send(Cmd::Place {
                                org,
                                contact,
                                number,
                                trunk: Box::new(entry),
                                to,
                                reply,
                            });
                        }
                        None => {
                            let _ = reply
                                .send(Err(format!("the carrier's address {host} did not resolve")));
                        }
                    }
                });
            }
            Cmd::Place {
                org,
                contact,
                number,
                trunk,
                to,
                reply,
            } => {
                let r = self.place(org, contact, &number, &trunk, to).await;
                let _ = reply.send(r);
            }
            Cmd::Prompt { call_id, id, pcm } => {
                if let Some(a) = self.calls.get(&call_id)
                    && a.prompt == Some(id)
                    && a.ended.is_none()
                {
                    a.media.control(Control::Play { id, pcm });
                }
            }
            Cmd::CallbackKept { call_id, number } => {
                let text = self.calls.get_mut(&call_id).map(|a| {
                    a.hangup_after_prompt = true;
                    a.language.callback_kept(&number)
                });
                if let Some(text) = text {
                    self.say(&call_id, text);
                }
            }
        }
    }

    /// Places a call to `number` for `contact` through `trunk` at `to`.
    async fn place(
        &mut self,
        org: Uuid,
        contact: Uuid,
        number: &str,
        trunk: &trunks::TrunkEntry,
        to: SocketAddr,
    ) -> Result<(), String> {
        let now = self.now();
        let rtp = self
            .ports
            .bind(self.media_ip)
            .await
            .map_err(|e| format!("no RTP port: {e}"))?;
        let (events_tx, events_rx) = mpsc::unbounded_channel::<MediaEvent>();
        let media = MediaHandle::start(rtp, events_tx);
        media.control(Control::Music(false));
        let local = LocalMedia::new(&self.host, media.local_port, rand::random::<u32>() as u64);
        let host = match to.port() {
            5060 => to.ip().to_string(),
            p => format!("{}:{p}", to.ip()),
        };
        let dial = voice::call::Dial {
            uri: format!("sip:{number}@{host}"),
            from: NameAddr::new(format!("sip:{}@{}", trunk.caller_id, self.host)),
            to: NameAddr::new(format!("sip:{number}@{host}")),
            credentials: trunk
                .register
                .as_ref()
                .map(|r| (r.username.clone(), r.password.clone())),
        };
        let (call, out) =
            Call::outgoing(now, dial, self.ep.clone(), local, Ids::new(rand::random()));
        let call_id = call.invite().call_id().unwrap_or_default().to_string();
        self.forward_media(&call_id, events_rx);
        let (queue, records) = self.state.with_org(org, |o| {
            let q = o.contact(contact).and_then(|lc| lc.contact.queue_id);
            let records = q
                .and_then(|q| o.queue(q))
                .and_then(|q| q.settings.record_calls)
                .unwrap_or(false);
            (q.unwrap_or_default(), records)
        });
        if records {
            media.control(Control::Record);
        }
        self.stats.calls_total.fetch_add(1, Ordering::Relaxed);
        self.stats.calls_active.fetch_add(1, Ordering::Relaxed);
        tracing::info!(%contact, trunk = %trunk.name, "calling a customer back");
        let mut active = Active::new(call, org, queue, trunk.name.clone(), Peer::Udp(to), media);
        active.contact = Some(contact);
        active.records = records;
        active.dialled = trunks::number_key(number);
        active.caller_number = Some(number.to_string());
        active.outbound = true;
        self.calls.insert(call_id.clone(), active);
        self.call_outputs(&call_id, out).await;
        tokio::spawn(watch_contact(
            self.state.clone(),
            org,
            contact,
            call_id,
            self.tx.clone(),
        ));
        Ok(())
    }

    /// Local weekday and minute in the flow's zone, and which of the organisation's
    /// queues are open, by name.
    fn facts_of(&self, call_id: &str) -> Option<(u8, u32, HashMap<String, bool>)> {
        let a = self.calls.get(call_id)?;
        let f = a.flow.as_ref()?;
        let tz = f
            .flow
            .timezone
            .as_deref()
            .and_then(|z| jiff::tz::TimeZone::get(z).ok())
            .unwrap_or(jiff::tz::TimeZone::UTC);
        let local = jiff::Timestamp::from_second(self.state.now().unix_timestamp())
            .ok()?
            .to_zoned(tz);
        let weekday = (local.weekday().to_monday_one_offset() - 1) as u8;
        let minute = u32::from(local.hour() as u8) * 60 + u32::from(local.minute() as u8);
        let open = self.state.with_org(a.org, |o| {
            o.queues()
                .map(|q| (q.name.clone(), o.queue_open(q.id).unwrap_or(false)))
                .collect()
        });
        Some((weekday, minute, open))
    }

    /// Feeds the flow of a call; what it asks for is done.
    async fn flow_input(&mut self, call_id: &str, input: Input) {
        let facts = self.facts_of(call_id);
        let Some(a) = self.calls.get_mut(call_id) else {
            return;
        };
        let Some(f) = &mut a.flow else { return };
        let (Some(run), Some((weekday, minute, open))) = (&mut f.run, facts) else {
            return;
        };
        let actions = {
            let open = |q: &str| open.get(q).copied().unwrap_or(false);
            let fx = Facts {
                weekday,
                minute,
                known_caller: f.known,
                open: &open,
            };
            run.handle(input, &fx)
        };
        self.flow_actions(call_id, actions).await;
    }

    /// Plays `text` on the call; its `PromptDone` is then awaited.
    fn say(&mut self, call_id: &str, text: String) {
        let Some(a) = self.calls.get_mut(call_id) else {
            return;
        };
        a.prompt_seq += 1;
        let id = a.prompt_seq;
        a.prompt = Some(id);
        let (prompts, tx, call_id) = (self.prompts.clone(), self.tx.clone(), call_id.to_string());
        let language = a.language;
        // An admin's recording of the sentence, where there is one; else speech.
        let recorded = self
            .dir
            .recorded
            .get(&(a.org, prompts::sentence_key(&text)))
            .cloned();
        if let Some(pcm) = recorded {
            let _ = tx.send(Cmd::Prompt { call_id, id, pcm });
            return;
        }
        tokio::spawn(async move {
            let pcm = prompts.get(language, &text).await;
            let _ = tx.send(Cmd::Prompt { call_id, id, pcm });
        });
    }

    async fn flow_actions(&mut self, call_id: &str, actions: Vec<Action>) {
        let now = self.now();
        for action in actions {
            let Some(a) = self.calls.get_mut(call_id) else {
                return;
            };
            if a.ended.is_some() {
                return;
            }
            match action {
                Action::Say(text) => self.say(call_id, text),
                Action::StopPrompt => {
                    a.prompt = None;
                    a.media.control(Control::StopPrompt);
                }
                Action::Listen { timeout_ms } => {
                    self.timer_seq += 1;
                    a.listen = self.timer_seq;
                    let n = a.listen;
                    self.arm(TimerKey::Listen(call_id.to_string(), n), now + timeout_ms);
                }
                Action::Queue(target) => self.flow_queues(call_id, target),
                Action::Voicemail { queue, max_s } => {
                    let (org, own) = (a.org, a.queue);
                    let queue = queue.and_then(|q| self.queue_named(org, &q)).unwrap_or(own);
                    let Some(a) = self.calls.get_mut(call_id) else {
                        return;
                    };
                    a.voicemail = Some(Voicemail {
                        queue,
                        max_s,
                        recording: false,
                    });
                    // The flow is over: its keys now end the message (`#`).
                    if let Some(f) = a.flow.take()
                        && let Some(run) = f.run
                    {
                        a.flow_record = Some(flow_record(&f.name, &run));
                    }
                    a.prompt_seq += 1;
                    a.prompt = Some(a.prompt_seq);
                    a.media.control(Control::Play {
                        id: a.prompt_seq,
                        pcm: prompts::beep(),
                    });
                }
                Action::Hangup => {
                    if a.prompt.is_some() {
                        a.hangup_after_prompt = true;
                    } else {
                        let out = a.call.hangup(now);
                        self.call_outputs(call_id, out).await;
                    }
                }
            }
        }
    }

    fn queue_named(&self, org: Uuid, name: &str) -> Option<Uuid> {
        self.state
            .with_org(org, |o| o.queues().find(|q| q.name == name).map(|q| q.id))
    }

    /// The flow queues the call: its contact is written with what the caller keyed in.
    fn flow_queues(&mut self, call_id: &str, target: QueueTarget) {
        let queue = target.queue.as_deref().and_then(|q| {
            self.calls
                .get(call_id)
                .and_then(|a| self.queue_named(a.org, q))
        });
        let Some(a) = self.calls.get_mut(call_id) else {
            return;
        };
        let Some(f) = a.flow.take() else { return };
        if let Some(q) = queue {
            a.queue = q;
        }
        let Some(run) = f.run else { return };
        let mut attributes: BTreeMap<String, String> = run.attributes.clone();
        attributes.extend(target.attributes);
        if let Some(p) = target.priority {
            attributes.insert("priority".into(), p.to_string());
        }
        a.flow_record = Some(flow_record(&f.name, &run));
        a.wait = Some(Waiting {
            announce_every: u64::from(target.announce_every_s) * 1000,
            callback: target.callback && a.caller_number.is_some(),
        });
        a.media.control(Control::Music(true));
        self.create_contact(call_id, attributes);
    }

    async fn media_event(&mut self, call_id: &str, event: MediaEvent) {
        let now = self.now();
        let Some(a) = self.calls.get_mut(call_id) else {
            return;
        };
        if a.ended.is_some() {
            return;
        }
        match event {
            MediaEvent::PromptDone(id) => {
                if a.prompt != Some(id) {
                    return;
                }
                a.prompt = None;
                if a.hangup_after_prompt {
                    let out = a.call.hangup(now);
                    self.call_outputs(call_id, out).await;
                } else if let Some(v) = &mut a.voicemail {
                    if !v.recording {
                        v.recording = true;
                        let max = v.max_s as usize * 8000;
                        let at = now + u64::from(v.max_s) * 1000;
                        a.media.control(Control::Capture(max));
                        self.arm(TimerKey::VoicemailEnd(call_id.to_string()), at);
                    }
                } else if a.flow.is_some() {
                    self.flow_input(call_id, Input::PromptDone).await;
                }
            }
            MediaEvent::Digit(d) => {
                if a.flow.is_some() {
                    self.flow_input(call_id, Input::Digit(d)).await;
                } else if a.voicemail.as_ref().is_some_and(|v| v.recording) {
                    if d == '#' {
                        self.end_voicemail(call_id).await;
                    }
                } else if d == '1'
                    && a.wait.as_ref().is_some_and(|w| w.callback)
                    && let (Some(contact), Some(number)) = (a.contact, a.caller_number.clone())
                {
                    a.wait = None;
                    self.stats
                        .callbacks_requested
                        .fetch_add(1, Ordering::Relaxed);
                    let (state, tx, org, call_id, trunk) = (
                        self.state.clone(),
                        self.tx.clone(),
                        a.org,
                        call_id.to_string(),
                        a.trunk.clone(),
                    );
                    tokio::spawn(async move {
                        let mut patch = serde_json::Map::new();
                        patch.insert(
                            "callback".into(),
                            serde_json::json!({
                                "number": number,
                                "trunk": trunk,
                                "requested_at": crate::wire::ts(state.now()),
                            }),
                        );
                        match contacts::update_contact_data(&state, org, contact, patch).await {
                            Ok(_) => {
                                let _ = tx.send(Cmd::CallbackKept { call_id, number });
                            }
                            Err(e) => {
                                tracing::warn!(%contact, error = ?e, "a callback could not be kept; the caller waits on")
                            }
                        }
                    });
                }
            }
        }
    }

    /// Tells a waiting caller their place, the expected wait and the callback offer;
    /// again after the flow's interval while they wait.
    async fn announce(&mut self, call_id: &str) {
        let now = self.now();
        let Some(a) = self.calls.get(call_id) else {
            return;
        };
        let (Some(w), Some(contact)) = (&a.wait, a.contact) else {
            return;
        };
        if a.ended.is_some() {
            return;
        }
        let Some((position, wait_s)) = self.state.with_org(a.org, |o| o.position(contact)) else {
            return; // offered or answered: no more announcements
        };
        let (every, callback) = (w.announce_every, w.callback);
        if a.prompt.is_none() {
            let text = a.language.announcement(position, wait_s, callback);
            self.say(call_id, text);
        }
        if every > 0 {
            self.arm(TimerKey::Announce(call_id.to_string()), now + every);
        }
    }

    /// The voicemail is over (the caller pressed #, hung up, or it reached its
    /// longest): the message becomes a contact in its queue.
    async fn end_voicemail(&mut self, call_id: &str) {
        let now = self.now();
        let Some(a) = self.calls.get_mut(call_id) else {
            return;
        };
        let Some(v) = a.voicemail.take() else { return };
        if !v.recording {
            return;
        }
        let (reply, pcm) = oneshot::channel();
        a.media.control(Control::TakeCapture(reply));
        let (state, org) = (self.state.clone(), a.org);
        let mut new = NewContact::new(
            Channel::Voice,
            v.queue,
            CustomerRef::New {
                name: a.caller_name.clone(),
                email: None,
                identity: a.caller_number.clone().map(|n| ("phone".to_string(), n)),
            },
        );
        new.attributes.insert("dialled".into(), a.dialled.clone());
        new.attributes.insert("voicemail".into(), "yes".into());
        new.data
            .insert("voicemail".into(), serde_json::json!({"pending": true}));
        if let Some(f) = &a.flow_record {
            new.data.insert("flow".into(), f.clone());
        }
        self.stats.voicemails.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(keep_voicemail(state, org, new, pcm));
        if a.ended.is_none() {
            let out = a.call.hangup(now);
            self.call_outputs(call_id, out).await;
        }
    }

    /// Whether `who` may join the live call of `contact` as its third leg: one at a
    /// time, a colleague the agent asked before a supervisor (who may join again once
    /// they leave).
    fn may_join(&mut self, org: Uuid, contact: Uuid, who: Joiner) -> Result<(), String> {
        let a = self
            .live_call(org, contact)
            .ok_or("this contact has no live call")?;
        match who {
            Joiner::Supervisor(_) if a.consult.as_ref().is_some_and(|c| c.joined) => {
                Err("a colleague is on this call; join once they leave".into())
            }
            Joiner::Supervisor(_) => Ok(()),
            Joiner::Colleague(id) if a.consult.as_ref().is_some_and(|c| c.colleague == id) => {
                Ok(())
            }
            Joiner::Colleague(_) => Err("you were not asked to join this call".into()),
        }
    }

    /// The live call of a contact.
    fn live_call(&mut self, org: Uuid, contact: Uuid) -> Option<&mut Active> {
        self.calls
            .values_mut()
            .find(|a| a.org == org && a.contact == Some(contact) && a.ended.is_none())
    }

    fn status(&self, org: Uuid) -> VoiceStatus {
        let calls = self
            .calls
            .values()
            .filter(|a| a.org == org && a.ended.is_none())
            .map(|a| {
                let s = &a.media.stats;
                CallOut {
                    contact_id: a.contact,
                    trunk: a.trunk.clone(),
                    state: format!("{:?}", a.call.state()).to_lowercase(),
                    seconds: a.started.elapsed().as_secs(),
                    packets_in: s.packets_in.load(Ordering::Relaxed),
                    packets_out: s.packets_out.load(Ordering::Relaxed),
                    lost: s.lost.load(Ordering::Relaxed),
                    jitter_ms: s.jitter_us.load(Ordering::Relaxed) as f64 / 1000.0,
                    key_presses: s.digits.load(Ordering::Relaxed),
                    flow: a.flow.as_ref().map(|f| f.name.clone()),
                    flow_step: a
                        .flow
                        .as_ref()
                        .and_then(|f| f.run.as_ref())
                        .map(|r| r.step().to_string()),
                    monitor: a.monitor,
                    consult: a.consult.as_ref().map(Consult::out),
                    held: a.held,
                    agent_audio: a
                        .leg
                        .as_ref()
                        .is_some_and(|l| l.connected.load(Ordering::Relaxed)),
                    agent_frames_in: a
                        .leg
                        .as_ref()
                        .map_or(0, |l| l.frames_in.load(Ordering::Relaxed)),
                    agent_frames_out: a
                        .leg
                        .as_ref()
                        .map_or(0, |l| l.frames_out.load(Ordering::Relaxed)),
                }
            })
            .collect();
        let registrations = self
            .regs
            .values()
            .filter(|r| r.org == org)
            .map(|r| RegistrationOut {
                trunk: r.trunk.clone(),
                state: r.state.to_string(),
                last_error: r.last_error.clone(),
            })
            .collect();
        VoiceStatus {
            listening: self.sock.local_addr().ok().map(|a| format!("udp:{a}")),
            listening_tcp: self.tcp_addr.map(|a| format!("tcp:{a}")),
            tcp_connections: self.tcp.len(),
            calls,
            registrations,
            datagrams: self.stats.datagrams.load(Ordering::Relaxed),
            malformed: self.stats.malformed.load(Ordering::Relaxed),
            refused: self.stats.refused.load(Ordering::Relaxed),
        }
    }

    async fn call_outputs(&mut self, call_id: &str, out: Vec<CallOutput>) {
        for o in out {
            let Some(a) = self.calls.get_mut(call_id) else {
                return;
            };
            match o {
                CallOutput::Send(m) => {
                    let peer = a.peer;
                    self.send(&m, peer).await;
                }
                CallOutput::Arm { timer, at } => {
                    self.arm(TimerKey::Call(call_id.to_string(), timer), at)
                }
                CallOutput::Media(n) => a.media.negotiated(n),
                CallOutput::Ringing => {}
                CallOutput::Confirmed => a.confirmed = true,
                CallOutput::Ended(reason) => {
                    if a.ended.is_some() {
                        continue;
                    }
                    if a.flow.is_some() {
                        self.stats.flow_abandoned.fetch_add(1, Ordering::Relaxed);
                    }
                    a.ended = Some(reason);
                    if let (Some(c), Some(contact)) = (a.consult.take(), a.contact) {
                        consult_over(&self.state, &c, contact);
                    }
                    a.forget_at = Some(self.clock.elapsed().as_millis() as Millis + LINGER_MS);
                    self.stats.calls_active.fetch_sub(1, Ordering::Relaxed);
                    tracing::info!(call = %call_id, reason = ?reason, "call ended");
                    if a.voicemail.as_ref().is_some_and(|v| v.recording) {
                        // Hanging up is how most callers end a message (before the
                        // media task is finished below).
                        Box::pin(self.end_voicemail(call_id)).await;
                    }
                    let Some(a) = self.calls.get_mut(call_id) else {
                        return;
                    };
                    let (done, wav) = oneshot::channel();
                    a.media.control(Control::Finish(done));
                    if let Some(c) = a.contact {
                        keep_recording(&self.state, a.org, c, wav);
                    }
                    if a.outbound && !a.confirmed {
                        // A callback nobody took: the contact stays for another try.
                        if let Some(c) = a.contact {
                            note_attempt(&self.state, a.org, c, reason);
                        }
                        continue;
                    }
                    // Hanging up because the contact ended needs nothing more.
                    if reason != EndReason::LocalHangup
                        && let Some(c) = a.contact
                    {
                        end_contact_later(&self.state, a.org, c);
                    }
                }
            }
        }
    }

    async fn reg_outputs(&mut self, call_id: &str, out: Vec<RegOutput>) {
        for o in out {
            let Some(r) = self.regs.get_mut(call_id) else {
                return;
            };
            match o {
                RegOutput::Send(m) => {
                    let to = r.to;
                    self.send(&m, Peer::Udp(to)).await;
                }
                RegOutput::Arm { timer, at } => {
                    self.arm(TimerKey::Reg(call_id.to_string(), timer), at)
                }
                RegOutput::Registered { expires_s } => {
                    tracing::info!(trunk = %r.trunk, expires_s, "registered with the provider");
                    r.state = "registered";
                    r.last_error = None;
                }
                RegOutput::Unregistered => r.state = "unregistered",
                RegOutput::Failed { code } => {
                    r.state = "failed";
                    r.last_error = Some(match code {
                        Some(c) => format!("the provider answered {c}"),
                        None => "the provider did not answer".into(),
                    });
                    tracing::warn!(trunk = %r.trunk, code = ?code, "registration failed; retrying later");
                }
            }
        }
    }

    /// Starts a registration for each trunk that asks for one and has none running with
    /// the same settings; stops those no longer asked for.
    async fn start_registrations(&mut self) {
        let wanted: Vec<_> = self
            .dir
            .trunks
            .iter()
            .filter_map(|t| Some((t.org, t.name.clone(), t.register.clone()?)))
            .collect();
        let now = self.now();
        let mut stale: Vec<String> = Vec::new();
        for (id, r) in &self.regs {
            if !wanted.iter().any(|(o, n, _)| *o == r.org && *n == r.trunk) {
                stale.push(id.clone());
            }
        }
        for id in stale {
            if let Some(mut r) = self.regs.remove(&id) {
                for o in r.client.unregister(now) {
                    if let RegOutput::Send(m) = o {
                        self.send(&m, Peer::Udp(r.to)).await;
                    }
                }
            }
        }
        for (org, trunk, reg) in wanted {
            // Changed settings: a trunk's registration starts again.
            self.regs.retain(|_, r| !(r.org == org && r.trunk == trunk));
            let Some(to) = trunks::resolve(&reg.host, reg.port).await else {
                tracing::warn!(host = %reg.host, "a registrar's name did not resolve");
                continue;
            };
            let registrar = if reg.port == 5060 {
                format!("sip:{}", reg.host)
            } else {
                format!("sip:{}:{}", reg.host, reg.port)
            };
            let config = RegisterConfig {
                aor: format!("sip:{}@{}", reg.username, reg.host),
                registrar,
                username: reg.username.clone(),
                password: reg.password.clone(),
                expires: reg.expires,
            };
            let mut client = RegisterClient::new(config, self.ep.clone(), Ids::new(rand::random()));
            let out = client.start(now);
            let id = client.call_id().to_string();
            self.regs.insert(
                id.clone(),
                Reg {
                    client,
                    to,
                    org,
                    trunk,
                    state: "registering",
                    last_error: None,
                },
            );
            self.reg_outputs(&id, out).await;
        }
    }

    async fn hang_up_all(&mut self) {
        let now = self.now();
        let ids: Vec<String> = self
            .calls
            .iter()
            .filter(|(_, a)| a.ended.is_none())
            .map(|(k, _)| k.clone())
            .collect();
        for id in ids {
            if let Some(a) = self.calls.get_mut(&id) {
                let out = a.call.hangup(now);
                self.call_outputs(&id, out).await;
            }
        }
    }
}

/// The caller's number (E.164 when it looks like one) and a name for a new customer.
fn caller_of(from: Option<&NameAddr>) -> (Option<String>, String) {
    let user = from
        .and_then(|f| SipUri::parse(&f.uri))
        .and_then(|u| u.user)
        .unwrap_or_default();
    let digits = trunks::number_key(&user);
    let number = (!digits.is_empty()
        && digits.len() <= 15
        && user
            .trim_start_matches('+')
            .chars()
            .all(|c| c.is_ascii_digit()))
    .then(|| format!("+{digits}"));
    let display = from
        .and_then(|f| f.display.clone())
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty() && d.len() <= 100);
    let name = display
        .or_else(|| number.clone())
        .unwrap_or_else(|| "Unknown caller".into());
    (number, name)
}

/// Stores the call's recording (sealed at rest, as every attachment) and names it on
/// the contact, once the media task hands it over.
fn keep_recording(
    state: &AppState,
    org: Uuid,
    contact: Uuid,
    wav: oneshot::Receiver<Option<Vec<u8>>>,
) {
    let state = state.clone();
    tokio::spawn(async move {
        let Ok(Some(wav)) = wav.await else { return };
        let seconds = (wav.len().saturating_sub(44) / 4 / 8000) as u64;
        let kept = async {
            let meta = contacts::store_attachment(
                &state,
                org,
                contact,
                "call-recording.wav",
                "audio/wav",
                wav,
            )
            .await?;
            let mut patch = serde_json::Map::new();
            patch.insert(
                "recording".into(),
                serde_json::json!({"attachment": crate::wire::attachment(&meta), "seconds": seconds}),
            );
            contacts::update_contact_data(&state, org, contact, patch).await
        };
        if let Err(e) = kept.await {
            tracing::error!(%contact, error = ?e, "a call's recording could not be kept");
        }
    });
}

/// What a contact keeps of the flow its call went through: its name, the path taken,
/// what was keyed in.
fn flow_record(name: &str, run: &Run) -> serde_json::Value {
    serde_json::json!({"name": name, "path": run.path, "keyed": run.attributes})
}

/// Writes a voicemail's contact, then its message (sealed at rest, as every
/// attachment) as `voicemail` on it. A message under half a second is dropped.
async fn keep_voicemail(
    state: AppState,
    org: Uuid,
    new: NewContact,
    pcm: oneshot::Receiver<Vec<i16>>,
) {
    let Ok(pcm) = pcm.await else { return };
    if pcm.len() < 4000 {
        tracing::info!("a voicemail under half a second was dropped");
        return;
    }
    let seconds = (pcm.len() / 8000) as u64;
    let wav = voice::wav::mono(8000, &pcm);
    let kept = async {
        let c = contacts::create_contact(&state, org, Actor::Customer, new).await?;
        let meta = contacts::store_attachment(&state, org, c.id, "voicemail.wav", "audio/wav", wav)
            .await?;
        let mut patch = serde_json::Map::new();
        patch.insert(
            "voicemail".into(),
            serde_json::json!({"attachment": crate::wire::attachment(&meta), "seconds": seconds}),
        );
        contacts::update_contact_data(&state, org, c.id, patch).await
    };
    if let Err(e) = kept.await {
        tracing::error!(error = ?e, "a voicemail could not be kept");
    }
}

/// A call out that was not answered: noted on its contact (`callback.attempts`,
/// `callback.last`), which stays open for another try.
fn note_attempt(state: &AppState, org: Uuid, contact: Uuid, reason: EndReason) {
    let state = state.clone();
    tokio::spawn(async move {
        let outcome = match reason {
            EndReason::Failed(486 | 600) => "busy".to_string(),
            EndReason::Failed(408 | 480) => "no answer".to_string(),
            EndReason::Failed(code) => format!("refused ({code})"),
            EndReason::LocalHangup | EndReason::Cancelled => "hung up before an answer".into(),
            other => format!("{other:?}").to_lowercase(),
        };
        // A callback the caller asked for, or a call the agent placed from the desktop.
        let (key, callback) = state.with_org(org, |o| {
            let data = o.contact(contact).map(|lc| &lc.contact.data);
            match data.and_then(|d| d.get("callback")) {
                Some(cb) => ("callback", Some(cb.clone())),
                None => ("outbound", data.and_then(|d| d.get("outbound")).cloned()),
            }
        });
        let mut cb = match callback {
            Some(serde_json::Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        };
        let attempts = cb.get("attempts").and_then(|v| v.as_u64()).unwrap_or(0) + 1;
        cb.insert("attempts".into(), attempts.into());
        cb.insert(
            "last".into(),
            serde_json::json!({"at": crate::wire::ts(state.now()), "outcome": outcome}),
        );
        let mut patch = serde_json::Map::new();
        patch.insert(key.into(), serde_json::Value::Object(cb));
        if let Err(e) = contacts::update_contact_data(&state, org, contact, patch).await {
            tracing::warn!(%contact, error = ?e, "a callback attempt could not be noted");
        }
    });
}

fn end_contact_later(state: &AppState, org: Uuid, contact: Uuid) {
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(e) = contacts::end_contact(&state, org, contact, Actor::Customer).await {
            tracing::warn!(%contact, error = ?e, "a hung-up call's contact could not be ended");
        }
    });
}

/// Hangs the call up when its contact ends: its `ended` note, or (for endings that
/// send none, such as a transfer out of the organisation's reach) a look at the live
/// state every few seconds. A contact its agent passed on (waiting again) tells the
/// driver that the agent has left.
async fn watch_contact(
    state: AppState,
    org: Uuid,
    contact: Uuid,
    call_id: String,
    tx: mpsc::UnboundedSender<Cmd>,
) {
    let mut feed = state.hub().subscribe_contact(contact);
    let status =
        |state: &AppState| state.with_org(org, |o| o.contact(contact).map(|lc| lc.contact.status));
    let mut shutdown = state.shutdown_signal();
    let mut last = None;
    loop {
        let now = status(&state);
        match now {
            None | Some(ContactStatus::Wrapup | ContactStatus::Closed) => break,
            Some(ContactStatus::Waiting) if last == Some(ContactStatus::Active) => {
                let _ = tx.send(Cmd::Requeued {
                    call_id: call_id.clone(),
                });
            }
            _ => {}
        }
        last = now;
        tokio::select! {
            ev = feed.recv() => match ev {
                Some(ev) if ev.kind == "ended" => break,
                Some(_) => {}
                None => feed = state.hub().subscribe_contact(contact),
            },
            _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
            _ = shutdown.changed() => return,
        }
    }
    let _ = tx.send(Cmd::Hangup { call_id });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn media_ports_come_from_the_range_in_turn_until_it_is_full() {
        assert!(MediaPorts::parse("").unwrap().range.is_none());
        for bad in ["20000", "a-b", "3-2", "0-10", "1-70000"] {
            let e = MediaPorts::parse(bad).unwrap_err();
            assert!(e.starts_with("media_ports:"), "{bad}: {e}");
        }
        let ports = MediaPorts::parse(" 47140 - 47142 ").unwrap();
        let ip = IpAddr::from([127, 0, 0, 1]);
        let mut held = Vec::new();
        for _ in 0..3 {
            let s = ports.bind(ip).await.unwrap();
            let p = s.local_addr().unwrap().port();
            assert!((47140..=47142).contains(&p), "{p}");
            held.push(s);
        }
        let full = ports.bind(ip).await.unwrap_err();
        assert!(full.to_string().contains("47140-47142"), "{full}");
        // A port freed is used again.
        let freed = held.pop().unwrap().local_addr().unwrap().port();
        assert_eq!(
            ports.bind(ip).await.unwrap().local_addr().unwrap().port(),
            freed
        );
    }

    #[test]
    fn callers_are_known_by_their_e164_number() {
        let f = NameAddr::parse("\"Ada Lovelace\" <sip:+15550001@carrier.example>;tag=1");
        assert_eq!(
            caller_of(f.as_ref()),
            (Some("+15550001".into()), "Ada Lovelace".into())
        );
        let f = NameAddr::parse("<sip:15550001@carrier.example>;tag=1");
        assert_eq!(
            caller_of(f.as_ref()),
            (Some("+15550001".into()), "+15550001".into())
        );
        let f = NameAddr::parse("\"\" <sip:anonymous@anonymous.invalid>;tag=1");
        assert_eq!(caller_of(f.as_ref()), (None, "Unknown caller".into()));
    }
}
