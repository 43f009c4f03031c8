//! Voice: the sans-IO core of Homeshore's telephony — SIP, SDP, digest authentication,
//! RTP/RTCP, DTMF, G.711, jitter buffering and mixing.
//!
//! Nothing here touches a socket, a clock, a thread or an async runtime. Bytes and the
//! current time (milliseconds on the caller's monotonic clock) go in; parsed values,
//! messages to send and timers to arm ("fire timer X at t") come out. The server's
//! driver owns the sockets and one timer queue and feeds both back. So every call flow
//! runs in tests faster than real time, deterministically (identifiers come from a
//! seeded [`dialog::Ids`]), and every parser of network bytes has a fuzz target
//! (`crates/voice/fuzz`).
//!
//! * [`sip`]: messages (parse, serialize, typed headers), with size limits; never panics.
//! * [`sdp`]: session descriptions and offer/answer for PCMU, PCMA and telephone-event.
//! * [`digest`]: MD5 digest authentication, client and stateless server.
//! * [`access`]: a trunk's IP allow-list and digest policy: allow, challenge or 403.
//! * [`router`]: where a parsed message goes (a call by Call-ID, a new call, or a
//!   stateless reply: OPTIONS 200, 481, 405).
//! * [`transaction`]: the four RFC 3261 transaction state machines, timers A–K.
//! * [`dialog`]: dialogs (route set, CSeq, target) and in-dialog requests.
//! * [`call`]: a call either way: incoming (100/180/200/ACK, CANCEL), outgoing
//!   (INVITE with digest auth, CANCEL), then BYE and hold by re-INVITE.
//! * [`flow`]: contact flows (the IVR): validated JSON, played by a sans-IO runner.
//! * [`speech`]: the language a line speaks, and the sentences the server adds in each.
//! * [`register`]: REGISTER to a provider with digest auth, refreshed before expiry.
//! * [`rtp`], [`dtmf`], [`g711`], [`jitter`], [`mixer`], [`tone`], [`wav`]: the media
//!   path, recordings with each side on its own channel included.
//!
//! # Driving an incoming call
//!
//! ```
//! use voice::call::{CallOutput, Endpoint, Call};
//! use voice::dialog::Ids;
//! use voice::sdp::LocalMedia;
//! use voice::sip::{parse, Limits};
//!
//! let datagram = b"INVITE sip:+15551234@192.0.2.10 SIP/2.0\r\n\
//! Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK1;rport\r\n\
//! From: <sip:+15550000@carrier.example>;tag=a\r\nTo: <sip:+15551234@192.0.2.10>\r\n\
//! Call-ID: c1\r\nCSeq: 1 INVITE\r\nContact: <sip:198.51.100.7>\r\n\
//! Content-Type: application/sdp\r\n\r\n\
//! v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n\
//! m=audio 6000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n";
//! let invite = parse(datagram, &Limits::default())?;
//! let now = 0; // the driver's clock, in ms
//! let (mut call, out) = Call::incoming(
//!     now,
//!     invite,
//!     Endpoint::udp("192.0.2.10", 5060),
//!     LocalMedia::new("192.0.2.10", 40_000, 1),
//!     Ids::new(42), // seeded from the OS by the driver
//! )?;
//! // out: [Send(100 Trying)]; the driver sends it to the top Via's address.
//! assert!(matches!(&out[0], CallOutput::Send(m) if m.status() == Some(100)));
//! call.ring(now + 5); // [Send(180 Ringing)]
//! let out = call.answer(now + 2_000);
//! // [Send(200 OK + SDP), Arm{Retransmit2xx}, Arm{AckTimeout}, Media(PCMU, PT 101 for DTMF)]
//! assert!(out.iter().any(|o| matches!(o, CallOutput::Media(m) if m.telephone_event == Some(101))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub mod access;
pub mod call;
pub mod dialog;
pub mod digest;
pub mod dtmf;
pub mod flow;
pub mod g711;
pub mod jitter;
pub mod mixer;
pub mod register;
pub mod router;
pub mod rtp;
pub mod sdp;
pub mod sip;
pub mod speech;
pub mod tone;
pub mod transaction;
pub mod wav;
