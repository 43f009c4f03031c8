//! Telephony end to end: calls from a SIP trunk become contacts on the `voice` channel,
//! routed by the engine; callers hear the hold music; the contact and the call end
//! together whichever side hangs up; strangers, unknown numbers and garbage are refused
//! and change nothing; Homeshore registers with a provider that asks for digest.
//!
//! The peers are real: Debian's `sipp` (package `sip-tester`, installed by the test
//! command) for calls and a registrar, and a phone built on the `voice` crate over real
//! UDP where the test must hear what the caller hears. Without `sipp` the sipp tests
//! are skipped loudly, except in CI.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use store::{Role, Store as _};
use tokio::net::UdpSocket;
use voice::call::{Call, CallOutput, Dial, EndReason, Endpoint};
use voice::dialog::Ids;
use voice::g711::Law;
use voice::rtp::{RtpPacket, RtpSender};
use voice::sdp::{Codec, LocalMedia, Negotiated};
use voice::sip::{Limits, NameAddr};

use crate::common::*;

pub(crate) const NUMBER: &str = "+15550100";

pub(crate) async fn telephony_server() -> Server {
    Server::start_sqlite_with(|c| c.sip_bind = "127.0.0.1:0".into()).await
}

pub(crate) fn sip_addr(s: &Server) -> SocketAddr {
    s.state.sip().expect("telephony is on").addr
}

pub(crate) async fn put_trunk(s: &Server, o: &Org, name: &str, body: Value) -> Answer {
    o.client(s, Role::Admin)
        .put(&format!("/api/voice/trunks/{name}"), &body)
        .await
}

pub(crate) async fn status(s: &Server, o: &Org) -> Value {
    o.client(s, Role::Supervisor).ok("/api/voice/status").await
}

/// Polls the organisation's live calls until `pred` holds for one; answers it.
pub(crate) async fn call_where(s: &Server, o: &Org, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let st = status(s, o).await;
        if let Some(c) = st["calls"].as_array().unwrap().iter().find(|c| pred(c)) {
            return c.clone();
        }
        assert!(Instant::now() < deadline, "no such call: {st}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) async fn contact(s: &Server, o: &Org, id: &str) -> Value {
    o.client(s, Role::Admin)
        .ok(&format!("/api/contacts/{id}"))
        .await
}

pub(crate) async fn contact_until(
    s: &Server,
    o: &Org,
    id: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let c = contact(s, o, id).await;
        if pred(&c) {
            return c;
        }
        assert!(
            Instant::now() < deadline,
            "the contact never got there: {c}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) async fn set_state_of(c: &Client, state: &str) {
    let a = c.put("/api/agent/state", &json!({"state": state})).await;
    assert_eq!(a.status, 200, "{}", a.text);
}

pub(crate) async fn set_state(s: &Server, o: &Org, state: &str) {
    let a = o
        .client(s, Role::Agent)
        .put("/api/agent/state", &json!({"state": state}))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
}

/// A phone on the `voice` crate over real UDP: signalling on one socket, audio on
/// another.
pub(crate) struct Phone {
    sip: UdpSocket,
    rtp: UdpSocket,
    server: SocketAddr,
    call: Call,
    t0: Instant,
    pub(crate) media: Option<Negotiated>,
    pub(crate) confirmed: bool,
    pub(crate) ended: Option<EndReason>,
}

impl Phone {
    pub(crate) async fn dial(
        server: SocketAddr,
        number: &str,
        credentials: Option<(&str, &str)>,
    ) -> Phone {
        let sip = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let rtp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let ep = Endpoint::udp("127.0.0.1", sip.local_addr().unwrap().port());
        let mut media = LocalMedia::new("127.0.0.1", rtp.local_addr().unwrap().port(), 7);
        media.codecs = vec![Codec::Pcmu];
        let dial = Dial {
            uri: format!("sip:{number}@{server}"),
            from: NameAddr::parse("\"Ada Caller\" <sip:+15550001@127.0.0.1>").unwrap(),
            to: NameAddr::new(format!("sip:{number}@{server}")),
            credentials: credentials.map(|(u, p)| (u.to_string(), p.to_string())),
        };
        let (call, out) = Call::outgoing(0, dial, ep, media, Ids::new(11));
        let mut p = Phone {
            sip,
            rtp,
            server,
            call,
            t0: Instant::now(),
            media: None,
            confirmed: false,
            ended: None,
        };
        p.apply(out).await;
        p
    }

    fn now(&self) -> u64 {
        self.t0.elapsed().as_millis() as u64
    }

    async fn apply(&mut self, out: Vec<CallOutput>) {
        for o in out {
            match o {
                CallOutput::Send(m) => {
                    self.sip.send_to(&m.to_bytes(), self.server).await.unwrap();
                }
                CallOutput::Media(n) => self.media = Some(n),
                CallOutput::Confirmed => self.confirmed = true,
                CallOutput::Ended(r) => self.ended = Some(r),
                // Loopback loses nothing: no retransmissions needed.
                CallOutput::Arm { .. } | CallOutput::Ringing => {}
            }
        }
    }

    /// Reads signalling until `done` holds (or panics after 20 s).
    pub(crate) async fn until(&mut self, what: &str, done: impl Fn(&Phone) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut buf = vec![0u8; 65_536];
        while !done(self) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "the phone never saw: {what}");
            let Ok(Ok((n, _))) = tokio::time::timeout(left, self.sip.recv_from(&mut buf)).await
            else {
                continue;
            };
            let msg = voice::sip::parse(&buf[..n], &Limits::default()).unwrap();
            let now = self.now();
            let out = self.call.handle_message(now, msg);
            self.apply(out).await;
        }
    }

    /// Decoded audio from the server for about `ms` milliseconds.
    pub(crate) async fn listen(&self, ms: u64) -> Vec<i16> {
        let mut pcm = Vec::new();
        let mut buf = vec![0u8; 2048];
        let end = Instant::now() + Duration::from_millis(ms);
        while let Ok(Ok((n, _))) = tokio::time::timeout(
            end.saturating_duration_since(Instant::now()),
            self.rtp.recv_from(&mut buf),
        )
        .await
        {
            let p = RtpPacket::parse(&buf[..n]).unwrap();
            assert_eq!(p.payload_type, 0, "PCMU as negotiated");
            let mut out = vec![0i16; p.payload.len()];
            Law::Mu.decode(p.payload, &mut out);
            pcm.extend(out);
        }
        pcm
    }

    /// Says a tone for `ms` milliseconds, in 20 ms frames at the pace of a phone.
    pub(crate) async fn say(&self, freq: f64, ms: u64, tx: &mut RtpSender) {
        let n = self.media.as_ref().unwrap();
        let to: SocketAddr = format!("{}:{}", n.remote_address, n.remote_port)
            .parse()
            .unwrap();
        let pcm = voice::tone::tone(freq, 8000, (ms * 8) as usize, 8000.0);
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        for chunk in pcm.chunks(160) {
            tick.tick().await;
            let mut frame = vec![0u8; chunk.len()];
            Law::Mu.encode(chunk, &mut frame);
            let mut p = Vec::new();
            tx.audio(&frame, &mut p);
            self.rtp.send_to(&p, to).await.unwrap();
        }
    }

    /// Presses keys one after another, as a keypad does: on the phone's RTP clock (8
    /// kHz since the call began, so that each press is a new event), 200 ms apart.
    pub(crate) async fn keys(&self, keys: &str) {
        let n = self.media.as_ref().unwrap();
        let to: SocketAddr = format!("{}:{}", n.remote_address, n.remote_port)
            .parse()
            .unwrap();
        let mut tx = RtpSender::new(98, 1, (self.now() * 8) as u32, n);
        for k in keys.chars() {
            for p in tx.dtmf(k, 800, 160).unwrap() {
                self.rtp.send_to(&p, to).await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Presses a key (RFC 4733 on the negotiated payload type).
    pub(crate) async fn press(&self, digit: char) {
        let n = self.media.as_ref().unwrap();
        let to: SocketAddr = format!("{}:{}", n.remote_address, n.remote_port)
            .parse()
            .unwrap();
        let mut tx = RtpSender::new(99, 1, 1000, n);
        for p in tx.dtmf(digit, 800, 160).unwrap() {
            self.rtp.send_to(&p, to).await.unwrap();
        }
    }
}

/// The organisation's agent accepts the call of contact `id` once it is offered.
pub(crate) async fn accept_call(s: &Server, o: &Org, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let offer = loop {
        if let Some((offer, _)) = offers(s, o)
            .await
            .into_iter()
            .find(|(_, c)| c.to_string() == id)
        {
            break offer;
        }
        assert!(Instant::now() < deadline, "the call is never offered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let a = o
        .client(s, Role::Agent)
        .post(&format!("/api/offers/{offer}/accept"), &json!({}))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
}

/// A call from loopback, answered and waiting (the organisation's agent offline):
/// the organisation, the caller's phone and the call's contact id.
async fn waiting_call(s: &Server) -> (Org, Phone, String) {
    let o = seed_org(s, "tel").await;
    allow_loopback(s, &o).await;
    set_state(s, &o, "offline").await;
    let mut phone = Phone::dial(sip_addr(s), NUMBER, None).await;
    phone.until("the answer", |p| p.confirmed).await;
    let live = call_where(s, &o, |c| c["contact_id"].is_string()).await;
    let id = live["contact_id"].as_str().unwrap().to_string();
    (o, phone, id)
}

pub(crate) async fn allow_loopback(s: &Server, o: &Org) {
    let a = put_trunk(
        s,
        o,
        "carrier",
        json!({"numbers": [{"number": NUMBER, "queue_id": o.queue}], "allow": ["127.0.0.1/32"]}),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
}

#[tokio::test]
async fn trunks_are_admins_own_their_passwords_are_never_read_back_and_a_number_has_one_owner() {
    each_backend(|s| async move {
        let o = seed_org(&s, "tel").await;
        let other = seed_org(&s, "tel-other").await;
        let body = json!({
            "numbers": [{"number": "+1 555 0100", "queue_id": o.queue}],
            "allow": ["203.0.113.0/24"],
            "username": "carrier-7",
            "password": "trunk-password-42",
            "register": {"registrar": "sip.provider.example", "username": "line-1", "password": "provider-secret"}
        });
        let a = o
            .client(&s, Role::Supervisor)
            .put("/api/voice/trunks/carrier", &body)
            .await;
        assert_eq!(a.status, 403, "{}", a.text);
        let a = put_trunk(&s, &o, "carrier", body.clone()).await;
        assert_eq!(a.status, 200, "{}", a.text);
        assert!(!a.text.contains("trunk-password-42") && !a.text.contains("provider-secret"));
        assert_eq!(a.body["password_set"], true);
        assert_eq!(a.body["register"]["password_set"], true);

        // Saved again without the passwords: both kept.
        let mut again = body.clone();
        again.as_object_mut().unwrap().remove("password");
        again["register"].as_object_mut().unwrap().remove("password");
        let a = put_trunk(&s, &o, "carrier", again).await;
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(a.body["password_set"], true);
        let list = o.client(&s, Role::Admin).ok("/api/voice/trunks").await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        assert!(!list.to_string().contains("trunk-password-42"));
        // Sealed at rest: the stored object holds no password in clear.
        let stored = s
            .state
            .store()
            .get_object_by_name(o.id, store::ObjectKind::Trunk, "carrier")
            .await
            .unwrap()
            .unwrap();
        let raw = stored.data.to_string();
        assert!(!raw.contains("trunk-password-42") && !raw.contains("provider-secret"));

        // Another organisation cannot take the number (however it is written).
        let a = put_trunk(
            &s,
            &other,
            "mine",
            json!({"numbers": [{"number": "15550100", "queue_id": other.queue}], "allow": ["198.51.100.1"]}),
        )
        .await;
        assert_eq!(a.status, 409, "{}", a.text);
        a.assert_error_shape("a number held elsewhere");

        // Every mistake names its field.
        for (bad, field) in [
            (json!({"numbers": [], "allow": ["10.0.0.1"]}), "numbers"),
            (json!({"numbers": [{"number": "+15550111", "queue_id": other.queue}], "allow": ["10.0.0.1"]}), "numbers[0].queue_id"),
            (json!({"numbers": [{"number": "+15550111", "queue_id": o.queue}], "allow": ["10.0.0.300"]}), "allow[0]"),
            (json!({"numbers": [{"number": "+15550111", "queue_id": o.queue}]}), "allow"),
            (json!({"numbers": [{"number": "+15550111", "queue_id": o.queue}], "username": "x"}), "password"),
        ] {
            let a = put_trunk(&s, &o, "second", bad.clone()).await;
            assert_eq!(a.status, 422, "{bad}: {}", a.text);
            assert!(a.text.contains(field), "{bad} names {field}: {}", a.text);
        }

        let a = o
            .client(&s, Role::Admin)
            .send("DELETE", "/api/voice/trunks/carrier", None, &[])
            .await;
        assert_eq!(a.status, 204, "{}", a.text);
        let a = put_trunk(
            &s,
            &other,
            "mine",
            json!({"numbers": [{"number": "15550100", "queue_id": other.queue}], "allow": ["198.51.100.1"]}),
        )
        .await;
        assert_eq!(a.status, 200, "free again: {}", a.text);
        // Telephony is off on this server: the status says so.
        let st = status(&s, &o).await;
        assert!(st["listening"].is_null(), "{st}");
        s
    })
    .await;
}

#[tokio::test]
async fn a_call_waits_in_its_queue_hearing_music_and_ends_when_its_contact_does() {
    let s = telephony_server().await;
    let o = seed_org(&s, "tel").await;
    allow_loopback(&s, &o).await;
    set_state(&s, &o, "offline").await;

    let mut phone = Phone::dial(sip_addr(&s), NUMBER, None).await;
    phone.until("the answer", |p| p.confirmed).await;
    let n = phone.media.clone().expect("media agreed");
    assert_eq!(n.codec, Codec::Pcmu);

    // The caller hears the hold music (its first notes).
    let pcm = phone.listen(1500).await;
    assert!(
        pcm.len() >= 8000,
        "a second of audio at least: {}",
        pcm.len()
    );
    let heard = voice::tone::dominant(&pcm[..8000], 8000, &[523.25, 659.25, 783.99, 440.0]);
    assert!(
        matches!(heard, Some(f) if f != 440.0),
        "the hold music's notes: {heard:?}"
    );

    // The call is a waiting contact on the voice channel, with the caller as customer.
    let live = call_where(&s, &o, |c| c["contact_id"].is_string()).await;
    let id = live["contact_id"].as_str().unwrap().to_string();
    let c = contact(&s, &o, &id).await;
    assert_eq!(c["channel"], "voice", "{c}");
    assert_eq!(c["status"], "waiting", "{c}");
    let customer = o
        .client(&s, Role::Admin)
        .ok(&format!(
            "/api/customers/{}",
            c["customer_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(customer["customer"]["name"], "Ada Caller", "{customer}");
    assert_eq!(customer["identities"][0]["kind"], "phone", "{customer}");
    assert_eq!(
        customer["identities"][0]["value"], "+15550001",
        "{customer}"
    );

    // A key press arrives (counted, its value not kept).
    phone.press('5').await;
    call_where(&s, &o, |c| {
        c["key_presses"] == 1 && c["packets_in"].as_u64() >= Some(1)
    })
    .await;
    assert!(!status(&s, &o).await.to_string().contains("\"5\""));

    // An agent takes it and ends it: the caller gets a BYE.
    set_state(&s, &o, "available").await;
    let agent = o.client(&s, Role::Agent);
    accept_call(&s, &o, &id).await;
    // The call's audio is the agent's alone, and only for a real offer (the browser
    // test connects Chromium to it).
    let audio = format!("/api/voice/calls/{id}/audio");
    let a = o
        .client(&s, Role::Admin)
        .post(&audio, &json!({"sdp": "v=0"}))
        .await;
    assert_eq!(a.status, 403, "{}", a.text);
    let a = agent.post(&audio, &json!({"sdp": "not an offer"})).await;
    assert_eq!(a.status, 422, "{}", a.text);
    a.assert_error_shape("a bad offer");
    let a = agent
        .post(&format!("/api/contacts/{id}/end"), &json!({}))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    phone.until("the BYE", |p| p.ended.is_some()).await;
    let a = agent.post(&audio, &json!({"sdp": "v=0"})).await;
    assert_eq!(a.status, 403, "ended: {}", a.text);
    assert_eq!(phone.ended, Some(EndReason::RemoteHangup));
    let st = status(&s, &o).await;
    assert!(st["calls"].as_array().unwrap().is_empty(), "{st}");
    s.stop().await;
}

#[tokio::test]
async fn the_agent_holds_the_caller_and_presses_keys_on_the_call() {
    let s = telephony_server().await;
    let (o, phone, id) = waiting_call(&s).await;
    set_state(&s, &o, "available").await;
    accept_call(&s, &o, &id).await;
    let agent = o.client(&s, Role::Agent);
    let (hold, keys) = (
        format!("/api/voice/calls/{id}/hold"),
        format!("/api/voice/calls/{id}/keys"),
    );
    let a = o
        .client(&s, Role::Supervisor)
        .post(&hold, &json!({"on": true}))
        .await;
    assert_eq!(a.status, 403, "not the supervisor's call: {}", a.text);
    let a = agent.post(&keys, &json!({"keys": "12x"})).await;
    assert_eq!(a.status, 422, "{}", a.text);
    let a = agent.post(&hold, &json!({"on": true})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    call_where(&s, &o, |c| c["held"] == true).await;
    let a = agent.post(&keys, &json!({"keys": "12#"})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["sent"], 3);
    // The caller's phone gets the three presses as telephone-events, in order.
    let te = phone.media.as_ref().unwrap().telephone_event.unwrap();
    let mut detector = voice::dtmf::DtmfDetector::default();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 2048];
    let deadline = Instant::now() + Duration::from_secs(5);
    while got.len() < 3 && Instant::now() < deadline {
        let Ok(Ok((n, _))) =
            tokio::time::timeout(Duration::from_millis(200), phone.rtp.recv_from(&mut buf)).await
        else {
            continue;
        };
        let p = RtpPacket::parse(&buf[..n]).unwrap();
        if p.payload_type == te {
            let ev = voice::dtmf::TelephoneEvent::parse(p.payload).unwrap();
            got.extend(detector.push(p.timestamp, ev).into_iter().map(|d| d.digit));
        }
    }
    assert_eq!(got, vec!['1', '2', '#']);
    // Their values are not kept where staff could read them.
    assert!(!status(&s, &o).await.to_string().contains("12#"));
    s.stop().await;
}

/// An SDP offer as a browser makes it (PCMU audio, DTLS, ICE), from str0m: enough
/// for the server to answer; nothing connects to it.
fn browser_offer() -> String {
    server::telephony::webrtc::install_crypto();
    let mut rtc = str0m::RtcConfig::new()
        .clear_codecs()
        .enable_pcmu(true, false)
        .build(Instant::now());
    let mut api = rtc.sdp_api();
    api.add_media(
        str0m::media::MediaKind::Audio,
        str0m::media::Direction::SendRecv,
        None,
        None,
        None,
    );
    let (offer, _) = api.apply().expect("an audio offer");
    offer.to_sdp_string()
}

/// A second agent of the organisation, available, with an API client.
async fn colleague(s: &Server, o: &Org) -> (uuid::Uuid, Client) {
    let sam = server::seed::create_user(
        &s.state,
        o.id,
        "sam@tel.example",
        "Sam Second",
        Role::Agent,
        PASSWORD,
    )
    .await
    .unwrap();
    let (token, _) = server::seed::create_api_token(
        &s.state,
        o.id,
        sam.id,
        "sam",
        vec!["read".into(), "write".into()],
    )
    .await
    .unwrap();
    (sam.id, Client::new(&s.base, Some(token)))
}

#[tokio::test]
async fn an_agent_consults_a_colleague_confers_and_hands_the_call_over() {
    let s = telephony_server().await;
    let (o, _phone, id) = waiting_call(&s).await;
    set_state(&s, &o, "available").await;
    accept_call(&s, &o, &id).await;
    let agent = o.client(&s, Role::Agent);
    let (sam_id, sam) = colleague(&s, &o).await;
    let consult = format!("/api/voice/calls/{id}/consult");
    let join = format!("{consult}/join");
    let complete = format!("{consult}/complete");

    // Nobody asked Sam; only the agent who holds the call asks, and someone else.
    let a = sam.post(&join, &json!({"sdp": browser_offer()})).await;
    assert_eq!(a.status, 403, "{}", a.text);
    let a = sam.post(&consult, &json!({"agent_id": sam_id})).await;
    assert_eq!(a.status, 403, "{}", a.text);
    let a = agent
        .post(&consult, &json!({"agent_id": o.user(Role::Agent)}))
        .await;
    assert_eq!(a.status, 422, "{}", a.text);
    let a = agent
        .post(&consult, &json!({"agent_id": uuid::Uuid::new_v4()}))
        .await;
    assert_eq!(a.status, 422, "{}", a.text);

    // Asked: nothing to confer about or hand over until Sam joins.
    let a = agent.post(&consult, &json!({"agent_id": sam_id})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["state"], "invited");
    assert_eq!(a.body["agent_name"], "Sam Second");
    call_where(&s, &o, |c| c["consult"]["state"] == "invited").await;
    let a = agent.put(&consult, &json!({"conference": true})).await;
    assert_eq!(a.status, 409, "{}", a.text);
    let a = agent.post(&complete, &json!({})).await;
    assert_eq!(a.status, 409, "{}", a.text);
    let a = sam.post(&join, &json!({"sdp": "not an offer"})).await;
    assert_eq!(a.status, 422, "{}", a.text);

    // Sam joins: the two talk while the caller waits; then all three.
    let a = sam.post(&join, &json!({"sdp": browser_offer()})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(
        a.body["sdp"].as_str().unwrap().contains("PCMU"),
        "{}",
        a.text
    );
    call_where(&s, &o, |c| c["consult"]["state"] == "consult").await;
    // A supervisor waits until the colleague leaves.
    let a = o
        .client(&s, Role::Supervisor)
        .post(
            &format!("/api/voice/calls/{id}/monitor"),
            &json!({"sdp": browser_offer(), "mode": "listen"}),
        )
        .await;
    assert_eq!(a.status, 409, "{}", a.text);
    let a = agent.put(&consult, &json!({"conference": true})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["state"], "conference");
    call_where(&s, &o, |c| c["consult"]["state"] == "conference").await;

    // Handed over: the call is Sam's at once, the consult over.
    set_state_of(&sam, "available").await;
    let a = sam.post(&complete, &json!({})).await;
    assert_eq!(a.status, 403, "only the holder hands over: {}", a.text);
    let a = agent.post(&complete, &json!({})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["taken"], true, "{}", a.text);
    assert_eq!(a.body["contact"]["agent_id"], json!(sam_id), "{}", a.text);
    assert_eq!(a.body["contact"]["status"], "active", "{}", a.text);
    call_where(&s, &o, |c| c["consult"].is_null()).await;
    let a = agent.post(&consult, &json!({"agent_id": sam_id})).await;
    assert_eq!(a.status, 403, "no longer the agent's call: {}", a.text);
    let a = sam
        .post(&format!("/api/voice/calls/{id}/hold"), &json!({"on": true}))
        .await;
    assert_eq!(a.status, 200, "Sam holds the call now: {}", a.text);
    s.stop().await;
}

#[tokio::test]
async fn call_audio_takes_its_ports_from_the_configured_range() {
    let s = Server::start_sqlite_with(|c| {
        c.sip_bind = "127.0.0.1:0".into();
        c.media_ports = "47100-47119".into();
    })
    .await;
    let in_range = |p: u16| (47100..=47119).contains(&p);
    let (o, phone, id) = waiting_call(&s).await;
    // The trunk side: the port our SDP answer gave the caller.
    let rtp = phone.media.as_ref().unwrap().remote_port;
    assert!(in_range(rtp), "RTP on {rtp}");
    // The browser side: the port of the ICE candidate in our answer.
    set_state(&s, &o, "available").await;
    accept_call(&s, &o, &id).await;
    let a = o
        .client(&s, Role::Agent)
        .post(
            &format!("/api/voice/calls/{id}/audio"),
            &json!({"sdp": browser_offer()}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let sdp = a.body["sdp"].as_str().unwrap();
    let candidate: u16 = sdp
        .lines()
        .find(|l| l.starts_with("a=candidate"))
        .and_then(|l| l.split_whitespace().nth(5))
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no candidate port: {sdp}"));
    assert!(in_range(candidate), "WebRTC on {candidate}");
    assert_ne!(candidate, rtp);
    s.stop().await;
}

#[tokio::test]
async fn the_device_checks_audio_loopback_answers_anyone_up_to_its_limit() {
    let s = telephony_server().await;
    let anyone = Client::new(&s.base, None);
    let a = anyone
        .post("/api/voice/loopback", &json!({"sdp": "not an offer"}))
        .await;
    assert_eq!(a.status, 422, "{}", a.text);
    // Two at once from one address.
    for i in 0..2 {
        let a = anyone
            .post("/api/voice/loopback", &json!({"sdp": browser_offer()}))
            .await;
        assert_eq!(a.status, 200, "loopback {i}: {}", a.text);
        assert!(
            a.body["sdp"].as_str().unwrap().contains("a=candidate"),
            "{}",
            a.text
        );
    }
    let a = anyone
        .post("/api/voice/loopback", &json!({"sdp": browser_offer()}))
        .await;
    assert_eq!(a.status, 429, "{}", a.text);
    a.assert_error_shape("too many loopbacks");
    s.stop().await;
}

#[tokio::test]
async fn a_call_passed_on_blind_leaves_its_agent_and_consult_behind() {
    let s = telephony_server().await;
    let (o, _phone, id) = waiting_call(&s).await;
    set_state(&s, &o, "available").await;
    accept_call(&s, &o, &id).await;
    let agent = o.client(&s, Role::Agent);
    let (sam_id, sam) = colleague(&s, &o).await;
    let consult = format!("/api/voice/calls/{id}/consult");
    // On hold, a colleague asked; Sam declines, then is asked again.
    let a = agent
        .post(&format!("/api/voice/calls/{id}/hold"), &json!({"on": true}))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = agent.post(&consult, &json!({"agent_id": sam_id})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = sam.send("DELETE", &consult, None, &[]).await;
    assert_eq!(a.status, 204, "{}", a.text);
    call_where(&s, &o, |c| c["consult"].is_null() && c["held"] == true).await;
    let a = sam.send("DELETE", &consult, None, &[]).await;
    assert_eq!(a.status, 409, "nothing left to end: {}", a.text);
    let a = agent.post(&consult, &json!({"agent_id": sam_id})).await;
    assert_eq!(a.status, 200, "{}", a.text);

    // A blind transfer to Sam, who is not available: the call waits for him, its
    // agent's leg, hold and consult gone with the agent.
    let a = agent
        .post(
            &format!("/api/contacts/{id}/transfer"),
            &json!({"agent_id": sam_id}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    contact_until(&s, &o, &id, |c| c["status"] == "waiting").await;
    call_where(&s, &o, |c| c["consult"].is_null() && c["held"] == false).await;
    // Sam comes on and takes it.
    set_state_of(&sam, "available").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let offer = loop {
        assert!(
            Instant::now() < deadline,
            "the call is never offered to Sam"
        );
        let v = sam.ok("/api/offers").await;
        if let Some(off) = v["offers"]
            .as_array()
            .and_then(|i| i.iter().find(|x| x["offer"]["contact_id"] == json!(id)))
        {
            break off["offer"]["id"].as_str().unwrap().to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let a = sam
        .post(&format!("/api/offers/{offer}/accept"), &json!({}))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let c = contact_until(&s, &o, &id, |c| c["status"] == "active").await;
    assert_eq!(c["agent_id"], json!(sam_id), "{c}");
    s.stop().await;
}

#[tokio::test]
async fn a_recorded_call_keeps_both_sides_and_records_nothing_while_paused() {
    let s = telephony_server().await;
    let o = seed_org(&s, "tel").await;
    allow_loopback(&s, &o).await;
    let admin = o.client(&s, Role::Admin);
    let a = admin
        .put(
            &format!("/api/queues/{}", o.queue),
            &json!({"name": "Help", "required_skills": [], "public": true, "offer_timeout_s": 3600, "record_calls": true}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let mut phone = Phone::dial(sip_addr(&s), NUMBER, None).await;
    phone.until("the answer", |p| p.confirmed).await;
    let live = call_where(&s, &o, |c| c["contact_id"].is_string()).await;
    let id = live["contact_id"].as_str().unwrap().to_string();
    let agent = o.client(&s, Role::Agent);
    accept_call(&s, &o, &id).await;
    let mut tx = RtpSender::new(5, 1, 0, phone.media.as_ref().unwrap());
    phone.say(440.0, 1000, &mut tx).await;
    // A card number: the agent pauses, the caller speaks, the agent resumes.
    let pause = format!("/api/voice/calls/{id}/recording");
    let a = agent.post(&pause, &json!({"paused": true})).await;
    assert_eq!(
        (a.status, a.body["recording"].as_str()),
        (200, Some("paused")),
        "{}",
        a.text
    );
    phone.say(440.0, 1500, &mut tx).await;
    let a = agent.post(&pause, &json!({"paused": false})).await;
    assert_eq!(a.body["recording"], "recording", "{}", a.text);
    phone.say(440.0, 1000, &mut tx).await;
    let a = agent
        .post(&format!("/api/contacts/{id}/end"), &json!({}))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    phone.until("the BYE", |p| p.ended.is_some()).await;

    let c = contact_until(&s, &o, &id, |c| c["recording"].is_object()).await;
    let url = c["recording"]["attachment"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(c["recording"]["seconds"].as_u64() >= Some(3), "{c}");
    let r = server::http_client()
        .get(format!("{}{url}", s.base))
        .bearer_auth(o.token(Role::Admin))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let wav = r.bytes().await.unwrap().to_vec();
    assert_eq!(&wav[..4], b"RIFF");
    let frames = (wav.len() - 44) / 4;
    let side = |ch: usize| -> Vec<i16> {
        (0..frames)
            .map(|i| i16::from_le_bytes([wav[44 + i * 4 + ch * 2], wav[45 + i * 4 + ch * 2]]))
            .collect()
    };
    let (caller, heard) = (side(0), side(1));
    // The caller's tone is on the left, the hold music (before the agent) on the right.
    let notes = [440.0, 523.25, 659.25, 783.99];
    let loudest = |x: &[i16], f: f64| {
        x.chunks(1600)
            .map(|w| voice::tone::goertzel(w, 8000, f))
            .fold(0.0, f64::max)
    };
    assert!(
        loudest(&caller, 440.0) > 1_000_000.0,
        "the caller is recorded"
    );
    assert!(
        loudest(&heard, 523.25) > 100_000.0 || loudest(&heard, 659.25) > 100_000.0,
        "what the caller heard is recorded"
    );
    assert_eq!(
        voice::tone::dominant(&caller[..], 8000, &notes),
        Some(440.0)
    );
    // The pause: at least a second of silence on both channels together.
    let mut run = 0usize;
    let mut longest = 0usize;
    for i in 0..frames {
        if caller[i] == 0 && heard[i] == 0 {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    assert!(
        longest >= 8000,
        "a second of silence while paused: {longest} samples"
    );
    s.stop().await;
}

#[tokio::test]
async fn a_caller_who_hangs_up_while_waiting_abandons_the_contact() {
    let s = telephony_server().await;
    let (o, mut phone, id) = waiting_call(&s).await;
    let now = phone.now();
    let out = phone.call.hangup(now);
    phone.apply(out).await;
    phone
        .until("the 200 to our BYE", |p| p.ended.is_some())
        .await;
    let c = contact_until(&s, &o, &id, |c| c["status"] == "closed").await;
    assert!(c["agent_id"].is_null(), "nobody took it: {c}");
    s.stop().await;
}

#[tokio::test]
async fn strangers_unknown_numbers_and_garbage_are_refused_and_change_nothing() {
    let s = telephony_server().await;
    let o = seed_org(&s, "tel").await;
    let a = put_trunk(
        &s,
        &o,
        "carrier",
        json!({"numbers": [{"number": NUMBER, "queue_id": o.queue}], "allow": ["192.0.2.0/24"]}),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let before = o
        .client(&s, Role::Admin)
        .ok("/api/contacts?limit=100")
        .await;

    // From an address the trunk does not know: 403, never answered.
    let mut phone = Phone::dial(sip_addr(&s), NUMBER, None).await;
    phone.until("a final answer", |p| p.ended.is_some()).await;
    assert_eq!(phone.ended, Some(EndReason::Failed(403)));
    // A number nobody holds: 404.
    let mut phone = Phone::dial(sip_addr(&s), "+15550999", None).await;
    phone.until("a final answer", |p| p.ended.is_some()).await;
    assert_eq!(phone.ended, Some(EndReason::Failed(404)));

    // Garbage and half messages: dropped, counted.
    let junk = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for d in [
        &b"\x00\x01\x02garbage"[..],
        b"INVITE sip:x SIP/2.0\r\nVia: nonsense\r\n\r\n",
        b"SIP/2.0 200 OK\r\n\r\n",
        &[0xffu8; 1400][..],
    ] {
        junk.send_to(d, sip_addr(&s)).await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let st = status(&s, &o).await;
        if st["malformed"].as_u64() >= Some(3) {
            assert_eq!(st["refused"], 1, "{st}");
            assert!(st["calls"].as_array().unwrap().is_empty(), "{st}");
            break;
        }
        assert!(Instant::now() < deadline, "garbage not counted: {st}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after = o
        .client(&s, Role::Admin)
        .ok("/api/contacts?limit=100")
        .await;
    assert_eq!(before["items"], after["items"], "no contact from any of it");

    // The trunk's credentials let a call in from anywhere: challenged, then answered.
    let a = put_trunk(
        &s,
        &o,
        "carrier",
        json!({"numbers": [{"number": NUMBER, "queue_id": o.queue}], "allow": ["192.0.2.0/24"],
               "username": "carrier-7", "password": "trunk-password-42"}),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    // Saved is in effect: a wrong password is refused, the right one answered.
    let mut wrong = Phone::dial(
        sip_addr(&s),
        NUMBER,
        Some(("carrier-7", "not-the-password")),
    )
    .await;
    wrong.until("a final answer", |p| p.ended.is_some()).await;
    assert_eq!(
        wrong.ended,
        Some(EndReason::Failed(403)),
        "a wrong password is refused"
    );
    let mut right = Phone::dial(
        sip_addr(&s),
        NUMBER,
        Some(("carrier-7", "trunk-password-42")),
    )
    .await;
    right
        .until("the answer", |p| p.confirmed || p.ended.is_some())
        .await;
    assert!(
        right.confirmed,
        "answered after the challenge: {:?}",
        right.ended
    );
    s.stop().await;
}

/// `sipp`, or `None` (loudly) outside CI when it is not installed.
pub(crate) fn sipp() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("sipp"))
            .find(|f| f.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "sipp is not installed in CI (apt-get install sip-tester)"
        );
        eprintln!("\n!!!!!!!! SKIPPING a sipp test: apt-get install sip-tester\n");
    }
    found
}

pub(crate) fn scenario(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/sipp")
        .join(name)
        .display()
        .to_string()
}

pub(crate) fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts sipp with a scenario, one call, against `target` (a UAS when `None`).
pub(crate) fn run_sipp(
    bin: &PathBuf,
    file: &str,
    target: Option<SocketAddr>,
    port: u16,
) -> tokio::process::Child {
    run_sipp_with(bin, file, target, port, &[])
}

/// [`run_sipp`] with more of sipp's arguments (`-t t1`: over TCP).
pub(crate) fn run_sipp_with(
    bin: &PathBuf,
    file: &str,
    target: Option<SocketAddr>,
    port: u16,
    extra: &[&str],
) -> tokio::process::Child {
    let mut cmd = tokio::process::Command::new(bin);
    cmd.args([
        "-sf",
        &scenario(file),
        "-m",
        "1",
        "-i",
        "127.0.0.1",
        "-mi",
        "127.0.0.1",
        "-nostdin",
    ])
    .args(["-p", &port.to_string(), "-mp", &free_udp_port().to_string()])
    .args(["-timeout", "60", "-timeout_error", "-s", &NUMBER[1..]])
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .kill_on_drop(true);
    cmd.args(extra);
    if let Some(t) = target {
        cmd.arg(t.to_string());
    }
    cmd.spawn().expect("sipp starts")
}

pub(crate) async fn sipp_passes(child: tokio::process::Child, what: &str) {
    let out = tokio::time::timeout(Duration::from_secs(90), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("sipp ({what}) did not finish"))
        .unwrap();
    assert!(
        out.status.success(),
        "sipp ({what}) failed: {}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .join("\n"),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn sipp_calls_in_talks_presses_a_key_and_the_agent_hangs_up() {
    let Some(bin) = sipp() else { return };
    let s = telephony_server().await;
    let o = seed_org(&s, "tel").await;
    allow_loopback(&s, &o).await;
    let child = run_sipp(&bin, "call_in.xml", Some(sip_addr(&s)), free_udp_port());
    // Its audio (PCMA) and its key press (telephone-event 101) arrive.
    let live = call_where(&s, &o, |c| {
        c["contact_id"].is_string() && c["key_presses"] == 1 && c["packets_in"].as_u64() > Some(50)
    })
    .await;
    assert_eq!(live["lost"], 0, "{live}");
    let id = live["contact_id"].as_str().unwrap().to_string();
    let c = contact(&s, &o, &id).await;
    assert_eq!(c["channel"], "voice", "{c}");
    // The org's agent is available: the engine offers the call; the agent takes it
    // and ends it, and sipp sees the BYE.
    let agent = o.client(&s, Role::Agent);
    accept_call(&s, &o, &id).await;
    let a = agent
        .post(&format!("/api/contacts/{id}/end"), &json!({}))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    sipp_passes(child, "call in").await;
    s.stop().await;
}

#[tokio::test]
async fn sipp_calls_in_over_tcp_and_hears_the_hang_up_on_its_connection() {
    let Some(bin) = sipp() else { return };
    let s = telephony_server().await;
    let o = seed_org(&s, "tel").await;
    allow_loopback(&s, &o).await;
    let st = status(&s, &o).await;
    assert_eq!(
        st["listening_tcp"].as_str(),
        Some(format!("tcp:{}", sip_addr(&s)).as_str()),
        "{st}"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = run_sipp_with(&bin, "call_in.xml", Some(sip_addr(&s)), port, &["-t", "t1"]);
    let live = call_where(&s, &o, |c| {
        c["contact_id"].is_string() && c["key_presses"] == 1 && c["packets_in"].as_u64() > Some(50)
    })
    .await;
    assert_eq!(status(&s, &o).await["tcp_connections"], 1);
    let id = live["contact_id"].as_str().unwrap().to_string();
    accept_call(&s, &o, &id).await;
    let a = o
        .client(&s, Role::Agent)
        .post(&format!("/api/contacts/{id}/end"), &json!({}))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    // sipp gets the BYE on its TCP connection, and answers it there.
    sipp_passes(child, "call in over TCP").await;

    // Garbage on a connection of its own: counted and closed; the server goes on.
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let before = status(&s, &o).await["malformed"].as_u64().unwrap();
    let mut junk = tokio::net::TcpStream::connect(sip_addr(&s)).await.unwrap();
    junk.write_all(b"INVITE sip:x SIP/2.0\r\nContent-Length: nope\r\n\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), junk.read_to_end(&mut rest)).await;
    assert!(
        matches!(closed, Ok(Ok(0))),
        "closed without an answer: {closed:?} {rest:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while status(&s, &o).await["malformed"].as_u64().unwrap() == before {
        assert!(Instant::now() < deadline, "the garbage was not counted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Keep-alives (far more than a message may hold) are dropped as they come, and the
    // connection still carries a message after them: an OPTIONS ping is answered on it.
    let mut pinger = tokio::net::TcpStream::connect(sip_addr(&s)).await.unwrap();
    pinger.write_all(&b"\r\n".repeat(200_000)).await.unwrap();
    pinger
        .write_all(
            b"OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKka1\r\n\
              From: <sip:carrier@127.0.0.1>;tag=1\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: ka1\r\n\
              CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
        )
        .await
        .unwrap();
    let mut answer = vec![0u8; 2048];
    let n = tokio::time::timeout(Duration::from_secs(5), pinger.read(&mut answer))
        .await
        .expect("an answer to the ping")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("SIP/2.0 200"), "{answer}");
    assert!(answer.contains("Call-ID: ka1"), "{answer}");
    s.stop().await;
}

#[tokio::test]
async fn sipp_callers_hang_up_with_and_without_digest_and_strangers_get_403() {
    let Some(bin) = sipp() else { return };
    let s = telephony_server().await;
    let o = seed_org(&s, "tel").await;
    set_state(&s, &o, "offline").await;
    // Loopback allowed: the plain call is answered, waits, and is abandoned.
    allow_loopback(&s, &o).await;
    let child = run_sipp(&bin, "hang_up.xml", Some(sip_addr(&s)), free_udp_port());
    sipp_passes(child, "hang up").await;

    // Only a far-away block allowed, with credentials: digest, then the same.
    let a = put_trunk(
        &s,
        &o,
        "carrier",
        json!({"numbers": [{"number": NUMBER, "queue_id": o.queue}], "allow": ["192.0.2.0/24"],
               "username": "carrier-7", "password": "trunk-password-42"}),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let child = run_sipp(&bin, "auth.xml", Some(sip_addr(&s)), free_udp_port());
    sipp_passes(child, "digest").await;

    // Without credentials from loopback: 403.
    let a = put_trunk(
        &s,
        &o,
        "carrier",
        json!({"numbers": [{"number": NUMBER, "queue_id": o.queue}], "allow": ["192.0.2.0/24"]}),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let child = run_sipp(&bin, "refused.xml", Some(sip_addr(&s)), free_udp_port());
    sipp_passes(child, "refused").await;

    // Two calls answered and abandoned, none left open.
    let list = o
        .client(&s, Role::Admin)
        .ok("/api/contacts?limit=100")
        .await;
    let calls: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["channel"] == "voice")
        .collect();
    assert_eq!(calls.len(), 2, "{list}");
    for c in calls {
        let id = c["id"].as_str().unwrap();
        contact_until(&s, &o, id, |c| c["status"] == "closed").await;
    }
    s.stop().await;
}

#[tokio::test]
async fn homeshore_registers_with_a_provider_that_asks_for_digest() {
    let Some(bin) = sipp() else { return };
    let s = telephony_server().await;
    let o = seed_org(&s, "tel").await;
    let port = free_udp_port();
    let registrar = run_sipp(&bin, "registrar.xml", None, port);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let a = put_trunk(
        &s,
        &o,
        "provider",
        json!({"numbers": [{"number": NUMBER, "queue_id": o.queue}], "allow": ["127.0.0.1"],
               "register": {"registrar": format!("127.0.0.1:{port}"), "username": "homeshore-line",
                            "password": "provider-secret-9", "expires": 3600}}),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    sipp_passes(registrar, "registrar").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let st = status(&s, &o).await;
        let r = &st["registrations"][0];
        if r["state"] == "registered" {
            assert_eq!(r["trunk"], "provider");
            break;
        }
        assert!(Instant::now() < deadline, "never registered: {st}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    s.stop().await;
}

#[tokio::test]
async fn a_stop_hangs_up_its_calls_and_the_next_start_ends_their_contacts() {
    let s = telephony_server().await;
    let (o, mut phone, id) = waiting_call(&s).await;
    let Data::Sqlite(dir) = s.halt().await else {
        unreachable!("a SQLite server")
    };
    phone
        .until("the BYE of a server stopping", |p| p.ended.is_some())
        .await;
    assert_eq!(phone.ended, Some(EndReason::RemoteHangup));
    // The call died with the process; its contact must not wait for ever.
    let s = Server::restart_sqlite_with(dir, |c| c.sip_bind = "127.0.0.1:0".into()).await;
    contact_until(&s, &o, &id, |c| c["status"] == "closed").await;
    s.stop().await;
}
