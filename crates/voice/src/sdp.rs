//! SDP (RFC 4566) and the offer/answer model (RFC 3264) for one audio stream.
//!
//! We speak G.711 only: PCMU (static payload type 0) and PCMA (8), plus RFC 4733
//! `telephone-event` on whatever dynamic payload type the offerer chose. An answer picks
//! the codec by *our* preference among those offered and keeps the offerer's
//! telephone-event number, so DTMF is sent and recognised on the payload type that was
//! actually negotiated.
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    #[error("SDP too large")]
    TooLarge,
    #[error("SDP is not UTF-8")]
    NotUtf8,
    #[error("bad SDP line {line}")]
    BadLine { line: usize },
    #[error("SDP lacks its {0} line")]
    Missing(&'static str),
    #[error("no audio stream offered")]
    NoAudio,
    #[error("no codec in common")]
    NoCommonCodec,
    #[error("no connection address for the audio stream")]
    NoAddress,
}

/// `c=IN IP4 203.0.113.1`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub addr_type: String,
    pub address: String,
}

/// `o=user sess-id sess-version IN IP4 address`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub username: String,
    pub session_id: u64,
    pub session_version: u64,
    pub addr_type: String,
    pub address: String,
}

pub type Attribute = (String, Option<String>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub kind: String,
    pub port: u16,
    pub proto: String,
    pub formats: Vec<String>,
    pub connection: Option<Connection>,
    pub bandwidth: Vec<String>,
    pub attributes: Vec<Attribute>,
}

/// A session description. Lines we do not use (`i=`, `u=`, `e=`, `p=`, `r=`, `z=`, `k=`)
/// are dropped; serialization writes the RFC's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    pub origin: Origin,
    pub name: String,
    pub connection: Option<Connection>,
    pub bandwidth: Vec<String>,
    pub times: Vec<(u64, u64)>,
    pub attributes: Vec<Attribute>,
    pub media: Vec<Media>,
}

const MAX_SDP: usize = 16 * 1024;

fn num<T: std::str::FromStr>(s: &str) -> Option<T> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn field_ok(s: &str) -> bool {
    !s.is_empty() && !s.bytes().any(|b| b.is_ascii_control())
}

fn parse_connection(v: &str) -> Option<Connection> {
    let mut it = v.split(' ');
    let (Some("IN"), Some(t), Some(a), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return None;
    };
    (field_ok(t) && field_ok(a)).then(|| Connection {
        addr_type: t.into(),
        address: a.into(),
    })
}

fn parse_attribute(v: &str) -> Option<Attribute> {
    match v.split_once(':') {
        Some((n, val)) if field_ok(n) && !n.contains(' ') => Some((n.into(), Some(val.into()))),
        None if field_ok(v) && !v.contains(' ') => Some((v.into(), None)),
        _ => None,
    }
}

impl SessionDescription {
    pub fn parse(bytes: &[u8]) -> Result<SessionDescription, SdpError> {
        if bytes.len() > MAX_SDP {
            return Err(SdpError::TooLarge);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| SdpError::NotUtf8)?;
        let mut origin = None;
        let mut name = None;
        let mut session = SessionDescription {
            origin: Origin {
                username: String::new(),
                session_id: 0,
                session_version: 0,
                addr_type: String::new(),
                address: String::new(),
            },
            name: String::new(),
            connection: None,
            bandwidth: Vec::new(),
            times: Vec::new(),
            attributes: Vec::new(),
            media: Vec::new(),
        };
        let mut saw_version = false;
        for (i, line) in text.split('\n').enumerate() {
            let n = i + 1;
            let bad = SdpError::BadLine { line: n };
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            let b = line.as_bytes();
            if b.len() < 2 || b[1] != b'=' || line.bytes().any(|c| c.is_ascii_control()) {
                return Err(bad);
            }
            let v = &line[2..];
            if !saw_version {
                if line != "v=0" {
                    return Err(bad);
                }
                saw_version = true;
                continue;
            }
            let media = session.media.last_mut();
            match (b[0], media) {
                (b'o', None) => {
                    let f: Vec<&str> = v.split(' ').collect();
                    let [u, id, ver, "IN", t, a] = f[..] else {
                        return Err(bad);
                    };
                    let (Some(id), Some(ver)) = (num(id), num(ver)) else {
                        return Err(bad);
                    };
                    if ![u, t, a].iter().all(|s| field_ok(s)) {
                        return Err(bad);
                    }
                    origin = Some(Origin {
                        username: u.into(),
                        session_id: id,
                        session_version: ver,
                        addr_type: t.into(),
                        address: a.into(),
                    });
                }
                (b's', None) => name = Some(v.to_string()),
                (b'c', None) => session.connection = Some(parse_connection(v).ok_or(bad)?),
                (b'c', Some(m)) => m.connection = Some(parse_connection(v).ok_or(bad)?),
                (b'b', None) => session.bandwidth.push(v.into()),
                (b'b', Some(m)) => m.bandwidth.push(v.into()),
                (b't', None) => {
                    let Some((Some(a), Some(b))) = v.split_once(' ').map(|(a, b)| (num(a), num(b)))
                    else {
                        return Err(bad);
                    };
                    session.times.push((a, b));
                }
                (b'a', None) => session.attributes.push(parse_attribute(v).ok_or(bad)?),
                (b'a', Some(m)) => m.attributes.push(parse_attribute(v).ok_or(bad)?),
                (b'm', _) => {
                    if session.media.len() >= 16 {
                        return Err(bad);
                    }
                    let mut f = v.split(' ');
                    let (Some(kind), Some(port), Some(proto)) = (f.next(), f.next(), f.next())
                    else {
                        return Err(bad);
                    };
                    // `port/count` is legal; we keep the port.
                    let port = num(port.split('/').next().unwrap_or("")).ok_or(bad.clone())?;
                    let formats: Vec<String> = f.map(String::from).collect();
                    if !field_ok(kind) || !field_ok(proto) || formats.iter().any(|f| !field_ok(f)) {
                        return Err(bad);
                    }
                    session.media.push(Media {
                        kind: kind.into(),
                        port,
                        proto: proto.into(),
                        formats,
                        connection: None,
                        bandwidth: Vec::new(),
                        attributes: Vec::new(),
                    });
                }
                (b'i' | b'u' | b'e' | b'p' | b'r' | b'z' | b'k', _) => {}
                _ => return Err(bad),
            }
        }
        if !saw_version {
            return Err(SdpError::Missing("v="));
        }
        session.origin = origin.ok_or(SdpError::Missing("o="))?;
        session.name = name.ok_or(SdpError::Missing("s="))?;
        Ok(session)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

impl fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.origin;
        write!(
            f,
            "v=0\r\no={} {} {} IN {} {}\r\ns={}\r\n",
            o.username, o.session_id, o.session_version, o.addr_type, o.address, self.name
        )?;
        let conn = |f: &mut fmt::Formatter<'_>, c: &Option<Connection>| match c {
            Some(c) => write!(f, "c=IN {} {}\r\n", c.addr_type, c.address),
            None => Ok(()),
        };
        let attrs = |f: &mut fmt::Formatter<'_>, a: &[Attribute]| {
            a.iter().try_for_each(|(n, v)| match v {
                Some(v) => write!(f, "a={n}:{v}\r\n"),
                None => write!(f, "a={n}\r\n"),
            })
        };
        conn(f, &self.connection)?;
        for b in &self.bandwidth {
            write!(f, "b={b}\r\n")?;
        }
        for (a, b) in &self.times {
            write!(f, "t={a} {b}\r\n")?;
        }
        attrs(f, &self.attributes)?;
        for m in &self.media {
            write!(f, "m={} {} {}", m.kind, m.port, m.proto)?;
            for fmt in &m.formats {
                write!(f, " {fmt}")?;
            }
            f.write_str("\r\n")?;
            conn(f, &m.connection)?;
            for b in &m.bandwidth {
                write!(f, "b={b}\r\n")?;
            }
            attrs(f, &m.attributes)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    Pcmu,
    Pcma,
}

impl Codec {
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    pub fn attr(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }
    /// The answerer's direction for an offered one (RFC 3264 §6.1), limited by ours.
    pub fn answer(self, ours: Direction) -> Direction {
        let (off_send, off_recv) = self.flags();
        let (our_send, our_recv) = ours.flags();
        Direction::from_flags(off_recv && our_send, off_send && our_recv)
    }
    fn flags(self) -> (bool, bool) {
        match self {
            Direction::SendRecv => (true, true),
            Direction::SendOnly => (true, false),
            Direction::RecvOnly => (false, true),
            Direction::Inactive => (false, false),
        }
    }
    fn from_flags(send: bool, recv: bool) -> Direction {
        match (send, recv) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }
}

/// What one side's audio stream says, read from its `m=audio` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioStream {
    pub address: Option<String>,
    pub port: u16,
    /// G.711 codecs offered, in the order of the m= line, with their payload types.
    pub codecs: Vec<(Codec, u8)>,
    pub telephone_event: Option<u8>,
    pub ptime: Option<u32>,
    pub direction: Direction,
    pub rtcp_mux: bool,
}

fn attr<'a>(attrs: &'a [Attribute], name: &str) -> Option<Option<&'a str>> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_deref())
}

impl AudioStream {
    /// The first audio stream of `sdp` (index of the m= line too).
    pub fn of(sdp: &SessionDescription) -> Result<(usize, AudioStream), SdpError> {
        let (i, m) = sdp
            .media
            .iter()
            .enumerate()
            .find(|(_, m)| m.kind == "audio")
            .ok_or(SdpError::NoAudio)?;
        let rtpmap: Vec<(u8, String, u32)> = m
            .attributes
            .iter()
            .filter(|(n, _)| n == "rtpmap")
            .filter_map(|(_, v)| {
                let (pt, rest) = v.as_deref()?.split_once(' ')?;
                let mut p = rest.split('/');
                Some((num(pt)?, p.next()?.to_ascii_lowercase(), num(p.next()?)?))
            })
            .collect();
        let mut codecs = Vec::new();
        let mut telephone_event = None;
        for f in &m.formats {
            let Some(pt) = num::<u8>(f) else { continue };
            let mapped = rtpmap.iter().find(|(p, _, _)| *p == pt);
            let codec = match (pt, mapped) {
                (_, Some((_, name, 8000))) if name == "pcmu" => Some(Codec::Pcmu),
                (_, Some((_, name, 8000))) if name == "pcma" => Some(Codec::Pcma),
                (_, Some((_, name, 8000))) if name == "telephone-event" => {
                    telephone_event.get_or_insert(pt);
                    None
                }
                (0, None) => Some(Codec::Pcmu),
                (8, None) => Some(Codec::Pcma),
                _ => None,
            };
            if let Some(c) = codec {
                codecs.push((c, pt));
            }
        }
        let direction = [
            Direction::SendRecv,
            Direction::SendOnly,
            Direction::RecvOnly,
            Direction::Inactive,
        ]
        .into_iter()
        .find(|d| {
            attr(&m.attributes, d.attr()).is_some() || attr(&sdp.attributes, d.attr()).is_some()
        })
        .unwrap_or(Direction::SendRecv);
        let address = m
            .connection
            .as_ref()
            .or(sdp.connection.as_ref())
            .map(|c| c.address.clone());
        Ok((
            i,
            AudioStream {
                address,
                port: m.port,
                codecs,
                telephone_event,
                ptime: attr(&m.attributes, "ptime").flatten().and_then(num),
                direction,
                rtcp_mux: attr(&m.attributes, "rtcp-mux").is_some(),
            },
        ))
    }
}

/// Our side of a negotiation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMedia {
    /// Our preference, best first.
    pub codecs: Vec<Codec>,
    pub address: String,
    pub port: u16,
    pub session_id: u64,
    pub session_version: u64,
    pub telephone_event: bool,
    /// The payload type we offer for telephone-event (an answer uses the offerer's).
    pub telephone_event_pt: u8,
    pub ptime: u32,
    pub direction: Direction,
    pub rtcp_mux: bool,
}

impl LocalMedia {
    pub fn new(address: &str, port: u16, session_id: u64) -> LocalMedia {
        LocalMedia {
            codecs: vec![Codec::Pcmu, Codec::Pcma],
            address: address.into(),
            port,
            session_id,
            session_version: 1,
            telephone_event: true,
            telephone_event_pt: 101,
            ptime: 20,
            direction: Direction::SendRecv,
            rtcp_mux: true,
        }
    }
}

/// What was agreed for the audio stream: what the media code sends and expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    pub codec: Codec,
    pub payload_type: u8,
    pub telephone_event: Option<u8>,
    pub ptime: u32,
    /// Our direction.
    pub direction: Direction,
    pub remote_address: String,
    pub remote_port: u16,
    pub rtcp_mux: bool,
}

fn audio_section(
    local: &LocalMedia,
    codecs: &[(Codec, u8)],
    te: Option<u8>,
    dir: Direction,
    mux: bool,
) -> Media {
    let mut formats: Vec<String> = codecs.iter().map(|(_, pt)| pt.to_string()).collect();
    let mut attributes = Vec::new();
    for (c, pt) in codecs {
        attributes.push(("rtpmap".into(), Some(format!("{pt} {}/8000", c.name()))));
    }
    if let Some(pt) = te {
        formats.push(pt.to_string());
        attributes.push(("rtpmap".into(), Some(format!("{pt} telephone-event/8000"))));
        attributes.push(("fmtp".into(), Some(format!("{pt} 0-16"))));
    }
    attributes.push(("ptime".into(), Some(local.ptime.to_string())));
    if mux {
        attributes.push(("rtcp-mux".into(), None));
    }
    attributes.push((dir.attr().into(), None));
    Media {
        kind: "audio".into(),
        port: local.port,
        proto: "RTP/AVP".into(),
        formats,
        connection: None,
        bandwidth: Vec::new(),
        attributes,
    }
}

fn session(local: &LocalMedia, media: Vec<Media>) -> SessionDescription {
    let addr_type = if local.address.contains(':') {
        "IP6"
    } else {
        "IP4"
    };
    SessionDescription {
        origin: Origin {
            username: "homeshore".into(),
            session_id: local.session_id,
            session_version: local.session_version,
            addr_type: addr_type.into(),
            address: local.address.clone(),
        },
        name: "-".into(),
        connection: Some(Connection {
            addr_type: addr_type.into(),
            address: local.address.clone(),
        }),
        bandwidth: Vec::new(),
        times: vec![(0, 0)],
        attributes: Vec::new(),
        media,
    }
}

/// An offer of our codecs, telephone-event on our payload type.
pub fn offer(local: &LocalMedia) -> SessionDescription {
    let codecs: Vec<(Codec, u8)> = local
        .codecs
        .iter()
        .map(|c| (*c, c.payload_type()))
        .collect();
    let te = local.telephone_event.then_some(local.telephone_event_pt);
    session(
        local,
        vec![audio_section(
            local,
            &codecs,
            te,
            local.direction,
            local.rtcp_mux,
        )],
    )
}

/// Answers `offer`: every m= line is answered in order (RFC 3264 §6); the first audio one
/// gets our best codec among those offered, the others are refused with port 0.
pub fn answer(
    offer: &SessionDescription,
    local: &LocalMedia,
) -> Result<(SessionDescription, Negotiated), SdpError> {
    let (index, theirs) = AudioStream::of(offer)?;
    let (codec, pt) = local
        .codecs
        .iter()
        .find_map(|c| theirs.codecs.iter().find(|(o, _)| o == c).copied())
        .ok_or(SdpError::NoCommonCodec)?;
    let te = theirs.telephone_event.filter(|_| local.telephone_event);
    let dir = theirs.direction.answer(local.direction);
    let mux = theirs.rtcp_mux && local.rtcp_mux;
    let media = offer
        .media
        .iter()
        .enumerate()
        .map(|(i, m)| {
            if i == index {
                audio_section(local, &[(codec, pt)], te, dir, mux)
            } else {
                Media {
                    port: 0,
                    connection: None,
                    bandwidth: Vec::new(),
                    attributes: Vec::new(),
                    ..m.clone()
                }
            }
        })
        .collect();
    let negotiated = Negotiated {
        codec,
        payload_type: pt,
        telephone_event: te,
        ptime: theirs.ptime.unwrap_or(local.ptime),
        direction: dir,
        remote_address: theirs.address.ok_or(SdpError::NoAddress)?,
        remote_port: theirs.port,
        rtcp_mux: mux,
    };
    Ok((session(local, media), negotiated))
}

/// The offerer's view once the answer arrives: the answer's codec and its DTMF type.
pub fn negotiated_from_answer(
    answer: &SessionDescription,
    local: &LocalMedia,
) -> Result<Negotiated, SdpError> {
    let (_, theirs) = AudioStream::of(answer)?;
    let (codec, pt) = theirs
        .codecs
        .iter()
        .find(|(c, _)| local.codecs.contains(c))
        .copied()
        .ok_or(SdpError::NoCommonCodec)?;
    Ok(Negotiated {
        codec,
        payload_type: pt,
        telephone_event: theirs.telephone_event.filter(|_| local.telephone_event),
        ptime: theirs.ptime.unwrap_or(local.ptime),
        direction: theirs.direction.answer(local.direction),
        remote_address: theirs.address.ok_or(SdpError::NoAddress)?,
        remote_port: theirs.port,
        rtcp_mux: theirs.rtcp_mux && local.rtcp_mux,
    })
}

/// The same description with the audio direction changed and the version bumped, for a
/// re-INVITE that puts the call on hold (`SendOnly`) or takes it off (`SendRecv`).
pub fn with_direction(sdp: &SessionDescription, dir: Direction) -> SessionDescription {
    let mut out = sdp.clone();
    out.origin.session_version += 1;
    let names = ["sendrecv", "sendonly", "recvonly", "inactive"];
    out.attributes.retain(|(n, _)| !names.contains(&n.as_str()));
    for m in out.media.iter_mut().filter(|m| m.kind == "audio") {
        m.attributes.retain(|(n, _)| !names.contains(&n.as_str()));
        m.attributes.push((dir.attr().into(), None));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SIPP_OFFER: &str = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-11,16\r\na=ptime:20\r\nm=video 6002 RTP/AVP 96\r\n";

    #[test]
    fn answer_prefers_ours_and_keeps_their_dtmf_type() {
        let offer = SessionDescription::parse(SIPP_OFFER.as_bytes()).unwrap();
        let local = LocalMedia::new("192.0.2.10", 30000, 7);
        let (ans, neg) = answer(&offer, &local).unwrap();
        assert_eq!(neg.codec, Codec::Pcmu);
        assert_eq!(neg.payload_type, 0);
        assert_eq!(neg.telephone_event, Some(101));
        assert_eq!(
            (neg.remote_address.as_str(), neg.remote_port),
            ("127.0.0.1", 6000)
        );
        assert!(!neg.rtcp_mux);
        let text = ans.to_string();
        assert!(text.contains("m=audio 30000 RTP/AVP 0 101\r\n"), "{text}");
        assert!(text.contains("m=video 0 RTP/AVP 96\r\n"));
        assert!(text.contains("a=sendrecv"));
        // PCMA first when we prefer it.
        let pcma = LocalMedia {
            codecs: vec![Codec::Pcma, Codec::Pcmu],
            ..local.clone()
        };
        assert_eq!(answer(&offer, &pcma).unwrap().1.payload_type, 8);
        // The offerer reads the same result from the answer.
        assert_eq!(
            negotiated_from_answer(&ans, &local)
                .unwrap()
                .telephone_event,
            Some(101)
        );
    }

    #[test]
    fn hold_direction_and_refusals() {
        let local = LocalMedia::new("192.0.2.10", 30000, 7);
        let ours = offer(&local);
        let held = with_direction(&ours, Direction::SendOnly);
        assert_eq!(held.origin.session_version, 2);
        let (ans, neg) = answer(&held, &local).unwrap();
        assert_eq!(neg.direction, Direction::RecvOnly);
        assert_eq!(
            AudioStream::of(&ans).unwrap().1.direction,
            Direction::RecvOnly
        );
        assert_eq!(
            Direction::Inactive.answer(Direction::SendRecv),
            Direction::Inactive
        );
        let g729 = SIPP_OFFER.replace("RTP/AVP 8 0 101", "RTP/AVP 18");
        let g729 = SessionDescription::parse(g729.as_bytes()).unwrap();
        assert_eq!(answer(&g729, &local).unwrap_err(), SdpError::NoCommonCodec);
        assert_eq!(
            SessionDescription::parse(b"v=1\r\n"),
            Err(SdpError::BadLine { line: 1 })
        );
        assert_eq!(
            SessionDescription::parse(b"v=0\r\ns=x\r\n"),
            Err(SdpError::Missing("o="))
        );
        assert_eq!(
            SessionDescription::parse(b"v=0\r\nxx\r\n"),
            Err(SdpError::BadLine { line: 2 })
        );
    }

    fn word() -> impl Strategy<Value = String> {
        "[A-Za-z0-9.-]{1,10}"
    }

    prop_compose! {
        fn media()(kind in word(), port in any::<u16>(), formats in prop::collection::vec("[0-9]{1,3}", 0..5),
                   conn in prop::option::of(word()),
                   attributes in prop::collection::vec((word(), prop::option::of("[ -~]{0,12}")), 0..6)) -> Media {
            Media { kind, port, proto: "RTP/AVP".into(), formats,
                    connection: conn.map(|a| Connection { addr_type: "IP4".into(), address: a }),
                    bandwidth: vec![], attributes }
        }
    }

    prop_compose! {
        fn description()(user in word(), id in any::<u64>(), ver in any::<u64>(), name in "[ -~]{0,12}",
                         media in prop::collection::vec(media(), 0..4),
                         attributes in prop::collection::vec((word(), prop::option::of("[ -~]{0,12}")), 0..4))
                         -> SessionDescription {
            SessionDescription {
                origin: Origin { username: user, session_id: id, session_version: ver, addr_type: "IP4".into(), address: "192.0.2.1".into() },
                name, connection: None, bandwidth: vec!["AS:64".into()], times: vec![(0, 0)], attributes, media,
            }
        }
    }

    proptest! {
        #[test]
        fn round_trips(sdp in description()) {
            prop_assert_eq!(SessionDescription::parse(&sdp.to_bytes()).unwrap(), sdp);
        }

        #[test]
        fn never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(sdp) = SessionDescription::parse(&bytes) {
                let _ = answer(&sdp, &LocalMedia::new("192.0.2.1", 4000, 1));
            }
        }
    }
}
