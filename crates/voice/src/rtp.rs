//! RTP and RTCP packets (RFC 3550): parse what arrives, build what we send.
//!
//! Parsing borrows the datagram (no allocation on the media path) and checks every
//! length against the buffer; anything inconsistent is an [`RtpError`], never a panic.
//! RTCP sender and receiver reports are decoded; other RTCP packets (SDES, BYE, APP…)
//! are passed over by their length. With `rtcp-mux` both arrive on one port:
//! [`is_rtcp`] tells them apart (RFC 5761 §4).

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    #[error("packet too short")]
    TooShort,
    #[error("not RTP version 2")]
    BadVersion,
    #[error("bad padding")]
    BadPadding,
    #[error("bad length field")]
    BadLength,
}

/// A parsed RTP packet, borrowing its payload from the datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    pub csrc: Vec<u32>,
    /// Header extension: (profile, data).
    pub extension: Option<(u16, &'a [u8])>,
    pub payload: &'a [u8],
}

fn be16(b: &[u8], i: usize) -> u16 {
    u16::from_be_bytes([b[i], b[i + 1]])
}
fn be32(b: &[u8], i: usize) -> u32 {
    u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// RTCP packet types 192–223 (RFC 5761 §4): on a muxed port, those are RTCP.
pub fn is_rtcp(buf: &[u8]) -> bool {
    buf.len() >= 2 && (192..=223).contains(&buf[1])
}

impl<'a> RtpPacket<'a> {
    pub fn parse(buf: &'a [u8]) -> Result<RtpPacket<'a>, RtpError> {
        if buf.len() < 12 {
            return Err(RtpError::TooShort);
        }
        if buf[0] >> 6 != 2 {
            return Err(RtpError::BadVersion);
        }
        let padding = buf[0] & 0x20 != 0;
        let has_ext = buf[0] & 0x10 != 0;
        let cc = (buf[0] & 0x0F) as usize;
        let mut off = 12 + 4 * cc;
        if buf.len() < off {
            return Err(RtpError::TooShort);
        }
        let csrc = (0..cc).map(|i| be32(buf, 12 + 4 * i)).collect();
        let mut extension = None;
        if has_ext {
            if buf.len() < off + 4 {
                return Err(RtpError::TooShort);
            }
            let profile = be16(buf, off);
            let len = be16(buf, off + 2) as usize * 4;
            if buf.len() < off + 4 + len {
                return Err(RtpError::TooShort);
            }
            extension = Some((profile, &buf[off + 4..off + 4 + len]));
            off += 4 + len;
        }
        let mut end = buf.len();
        if padding {
            let pad = buf[end - 1] as usize;
            if pad == 0 || off + pad > end {
                return Err(RtpError::BadPadding);
            }
            end -= pad;
        }
        Ok(RtpPacket {
            marker: buf[1] & 0x80 != 0,
            payload_type: buf[1] & 0x7F,
            sequence: be16(buf, 2),
            timestamp: be32(buf, 4),
            ssrc: be32(buf, 8),
            csrc,
            extension,
            payload: &buf[off..end],
        })
    }

    /// Writes the packet (without padding) to `out`, which is cleared first.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.clear();
        let cc = self.csrc.len().min(15);
        out.push(0x80 | if self.extension.is_some() { 0x10 } else { 0 } | cc as u8);
        out.push((self.payload_type & 0x7F) | if self.marker { 0x80 } else { 0 });
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        for c in &self.csrc[..cc] {
            out.extend_from_slice(&c.to_be_bytes());
        }
        if let Some((profile, data)) = self.extension {
            let words = data.len().div_ceil(4).min(0xFFFF);
            out.extend_from_slice(&profile.to_be_bytes());
            out.extend_from_slice(&(words as u16).to_be_bytes());
            out.extend_from_slice(&data[..data.len().min(words * 4)]);
            out.resize(out.len() + (words * 4 - data.len().min(words * 4)), 0);
        }
        out.extend_from_slice(self.payload);
    }

    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(12 + self.payload.len());
        self.write(&mut v);
        v
    }
}

/// One reception report block (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    pub ssrc: u32,
    /// Fraction lost since the last report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative packets lost (24-bit signed).
    pub cumulative_lost: i32,
    pub highest_sequence: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    pub last_sr: u32,
    pub delay_since_last_sr: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    pub ntp_timestamp: u64,
    pub rtp_timestamp: u32,
    pub packet_count: u32,
    pub octet_count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtcpPacket {
    SenderReport {
        ssrc: u32,
        info: SenderInfo,
        reports: Vec<ReportBlock>,
    },
    ReceiverReport {
        ssrc: u32,
        reports: Vec<ReportBlock>,
    },
    /// Any other type, by number (SDES 202, BYE 203, APP 204, feedback…).
    Other { packet_type: u8 },
}

fn parse_block(b: &[u8]) -> ReportBlock {
    let lost = u32::from_be_bytes([0, b[5], b[6], b[7]]);
    // sign-extend 24 bits
    let lost = ((lost << 8) as i32) >> 8;
    ReportBlock {
        ssrc: be32(b, 0),
        fraction_lost: b[4],
        cumulative_lost: lost,
        highest_sequence: be32(b, 8),
        jitter: be32(b, 12),
        last_sr: be32(b, 16),
        delay_since_last_sr: be32(b, 20),
    }
}

/// Parses a compound RTCP packet: every packet in it, or the first error.
pub fn parse_rtcp(mut buf: &[u8]) -> Result<Vec<RtcpPacket>, RtpError> {
    let mut out = Vec::new();
    if buf.is_empty() {
        return Err(RtpError::TooShort);
    }
    while !buf.is_empty() {
        if buf.len() < 4 {
            return Err(RtpError::TooShort);
        }
        if buf[0] >> 6 != 2 {
            return Err(RtpError::BadVersion);
        }
        let count = (buf[0] & 0x1F) as usize;
        let pt = buf[1];
        let len = (be16(buf, 2) as usize + 1) * 4;
        if len > buf.len() {
            return Err(RtpError::BadLength);
        }
        let body = &buf[4..len];
        let packet = match pt {
            200 | 201 => {
                let fixed = if pt == 200 { 24 } else { 4 };
                if body.len() < fixed + 24 * count {
                    return Err(RtpError::BadLength);
                }
                let reports = (0..count)
                    .map(|i| parse_block(&body[fixed + 24 * i..]))
                    .collect();
                let ssrc = be32(body, 0);
                if pt == 200 {
                    RtcpPacket::SenderReport {
                        ssrc,
                        info: SenderInfo {
                            ntp_timestamp: (be32(body, 4) as u64) << 32 | be32(body, 8) as u64,
                            rtp_timestamp: be32(body, 12),
                            packet_count: be32(body, 16),
                            octet_count: be32(body, 20),
                        },
                        reports,
                    }
                } else {
                    RtcpPacket::ReceiverReport { ssrc, reports }
                }
            }
            _ => RtcpPacket::Other { packet_type: pt },
        };
        out.push(packet);
        buf = &buf[len..];
    }
    Ok(out)
}

/// Writes a sender or receiver report (at most 31 blocks) to the end of `out`.
pub fn write_report(packet: &RtcpPacket, out: &mut Vec<u8>) {
    let (pt, ssrc, info, reports) = match packet {
        RtcpPacket::SenderReport {
            ssrc,
            info,
            reports,
        } => (200u8, *ssrc, Some(info), reports),
        RtcpPacket::ReceiverReport { ssrc, reports } => (201, *ssrc, None, reports),
        RtcpPacket::Other { .. } => return,
    };
    let reports = &reports[..reports.len().min(31)];
    let words = 1 + if info.is_some() { 5 } else { 0 } + 6 * reports.len();
    out.push(0x80 | reports.len() as u8);
    out.push(pt);
    out.extend_from_slice(&(words as u16).to_be_bytes());
    out.extend_from_slice(&ssrc.to_be_bytes());
    if let Some(i) = info {
        out.extend_from_slice(&i.ntp_timestamp.to_be_bytes());
        out.extend_from_slice(&i.rtp_timestamp.to_be_bytes());
        out.extend_from_slice(&i.packet_count.to_be_bytes());
        out.extend_from_slice(&i.octet_count.to_be_bytes());
    }
    for r in reports {
        out.extend_from_slice(&r.ssrc.to_be_bytes());
        out.push(r.fraction_lost);
        out.extend_from_slice(&(r.cumulative_lost as u32).to_be_bytes()[1..]);
        out.extend_from_slice(&r.highest_sequence.to_be_bytes());
        out.extend_from_slice(&r.jitter.to_be_bytes());
        out.extend_from_slice(&r.last_sr.to_be_bytes());
        out.extend_from_slice(&r.delay_since_last_sr.to_be_bytes());
    }
}

/// What a receiver counts to fill its report block and to warn of a bad network
/// (RFC 3550 §6.4.1 and appendix A.3, A.8).
#[derive(Debug, Clone, Default)]
pub struct ReceiverStats {
    started: bool,
    base_seq: u32,
    max_seq: u16,
    cycles: u32,
    received: u32,
    expected_prior: u32,
    received_prior: u32,
    /// Jitter estimate in timestamp units, ×16 (as A.8 keeps it).
    jitter16: u64,
    last_transit: Option<i64>,
}

impl ReceiverStats {
    /// Counts one packet: its sequence number, RTP timestamp and arrival time in
    /// timestamp units (arrival ms × clock rate / 1000).
    pub fn record(&mut self, seq: u16, timestamp: u32, arrival: u32) {
        if !self.started {
            self.started = true;
            self.base_seq = seq as u32;
            self.max_seq = seq;
        } else {
            let delta = seq.wrapping_sub(self.max_seq);
            if delta != 0 && delta < 0x8000 {
                if seq < self.max_seq {
                    self.cycles = self.cycles.wrapping_add(1 << 16);
                }
                self.max_seq = seq;
            }
        }
        self.received = self.received.wrapping_add(1);
        let transit = arrival as i64 - timestamp as i64;
        if let Some(last) = self.last_transit {
            let d = (transit - last).unsigned_abs().min(u32::MAX as u64);
            // J += (|D| - J) / 16, kept ×16.
            self.jitter16 = self.jitter16 + d - ((self.jitter16 + 8) >> 4);
        }
        self.last_transit = Some(transit);
    }

    pub fn extended_max(&self) -> u32 {
        self.cycles.wrapping_add(self.max_seq as u32)
    }

    pub fn expected(&self) -> u32 {
        if !self.started {
            return 0;
        }
        self.extended_max()
            .wrapping_sub(self.base_seq)
            .wrapping_add(1)
    }

    pub fn lost(&self) -> i32 {
        (self.expected() as i64 - self.received as i64).clamp(-(1 << 23), (1 << 23) - 1) as i32
    }

    pub fn jitter(&self) -> u32 {
        (self.jitter16 >> 4).min(u32::MAX as u64) as u32
    }

    /// A report block for `ssrc`; starts a new interval for the fraction lost.
    pub fn report(&mut self, ssrc: u32) -> ReportBlock {
        let expected = self.expected();
        let exp_int = expected.wrapping_sub(self.expected_prior);
        let rec_int = self.received.wrapping_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_int = exp_int as i64 - rec_int as i64;
        let fraction = if exp_int == 0 || lost_int <= 0 {
            0
        } else {
            ((lost_int << 8) / exp_int as i64).min(255) as u8
        };
        ReportBlock {
            ssrc,
            fraction_lost: fraction,
            cumulative_lost: self.lost(),
            highest_sequence: self.extended_max(),
            jitter: self.jitter(),
            last_sr: 0,
            delay_since_last_sr: 0,
        }
    }
}

/// Numbers our outgoing stream: sequence, timestamp, SSRC, the marker on the first
/// packet and after a DTMF event; the payload types negotiated in SDP.
#[derive(Debug, Clone)]
pub struct RtpSender {
    pub ssrc: u32,
    sequence: u16,
    timestamp: u32,
    payload_type: u8,
    telephone_event: Option<u8>,
    marker_next: bool,
}

impl RtpSender {
    /// `ssrc`, first sequence number and timestamp: random, from the driver.
    pub fn new(
        ssrc: u32,
        sequence: u16,
        timestamp: u32,
        negotiated: &crate::sdp::Negotiated,
    ) -> RtpSender {
        RtpSender {
            ssrc,
            sequence,
            timestamp,
            payload_type: negotiated.payload_type,
            telephone_event: negotiated.telephone_event,
            marker_next: true,
        }
    }

    fn packet(&mut self, pt: u8, marker: bool, ts: u32, payload: &[u8], out: &mut Vec<u8>) {
        RtpPacket {
            marker,
            payload_type: pt,
            sequence: self.sequence,
            timestamp: ts,
            ssrc: self.ssrc,
            csrc: Vec::new(),
            extension: None,
            payload,
        }
        .write(out);
        self.sequence = self.sequence.wrapping_add(1);
    }

    /// One frame of G.711 (one byte per sample at 8 kHz) into `out`.
    pub fn audio(&mut self, payload: &[u8], out: &mut Vec<u8>) {
        let marker = std::mem::take(&mut self.marker_next);
        self.packet(self.payload_type, marker, self.timestamp, payload, out);
        self.timestamp = self.timestamp.wrapping_add(payload.len() as u32);
    }

    /// The packets of one key press on the negotiated telephone-event type, to send one
    /// per `step` samples (the three end packets together); `None` when the peer did not
    /// negotiate telephone-event or `digit` is not a key. Audio resumes after the event.
    pub fn dtmf(&mut self, digit: char, duration: u16, step: u16) -> Option<Vec<Vec<u8>>> {
        let pt = self.telephone_event?;
        let events = crate::dtmf::key_press(digit, duration, step);
        if events.is_empty() {
            return None;
        }
        let start = self.timestamp;
        let packets = events
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let mut b = Vec::with_capacity(16);
                self.packet(pt, i == 0, start, &e.to_bytes(), &mut b);
                b
            })
            .collect();
        self.timestamp = self.timestamp.wrapping_add(duration as u32);
        self.marker_next = true;
        Some(packets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_a_pcmu_packet() {
        let mut b = vec![
            0x80, 0x80, 0x12, 0x34, 0, 0, 0x03, 0x20, 0xDE, 0xAD, 0xBE, 0xEF,
        ];
        b.extend([0xFF; 160]);
        let p = RtpPacket::parse(&b).unwrap();
        assert!(p.marker);
        assert_eq!(
            (p.payload_type, p.sequence, p.timestamp, p.ssrc),
            (0, 0x1234, 800, 0xDEADBEEF)
        );
        assert_eq!(p.payload.len(), 160);
        assert_eq!(p.to_vec(), b);
    }

    #[test]
    fn padding_csrc_and_extension() {
        let p = RtpPacket {
            marker: false,
            payload_type: 101,
            sequence: 65535,
            timestamp: 1,
            ssrc: 2,
            csrc: vec![7, 8],
            extension: Some((0xBEDE, &[1, 2, 3, 4])),
            payload: &[9, 9],
        };
        let mut b = p.to_vec();
        assert_eq!(RtpPacket::parse(&b).unwrap(), p);
        b[0] |= 0x20;
        b.extend([0, 0, 3]);
        assert_eq!(RtpPacket::parse(&b).unwrap().payload, &[9, 9]);
        *b.last_mut().unwrap() = 200;
        assert_eq!(RtpPacket::parse(&b), Err(RtpError::BadPadding));
        assert_eq!(RtpPacket::parse(&b[..11]), Err(RtpError::TooShort));
        assert_eq!(RtpPacket::parse(&[0x40; 12]), Err(RtpError::BadVersion));
        assert!(!is_rtcp(&b) && is_rtcp(&[0x80, 200, 0, 1]));
    }

    #[test]
    fn rtcp_compound_round_trip() {
        let block = ReportBlock {
            ssrc: 5,
            fraction_lost: 25,
            cumulative_lost: -3,
            highest_sequence: 70_000,
            jitter: 12,
            last_sr: 1,
            delay_since_last_sr: 2,
        };
        let sr = RtcpPacket::SenderReport {
            ssrc: 1,
            info: SenderInfo {
                ntp_timestamp: 1 << 40,
                rtp_timestamp: 3,
                packet_count: 4,
                octet_count: 5,
            },
            reports: vec![block],
        };
        let rr = RtcpPacket::ReceiverReport {
            ssrc: 2,
            reports: vec![block, block],
        };
        let mut b = Vec::new();
        write_report(&sr, &mut b);
        write_report(&rr, &mut b);
        b.extend([0x81, 203, 0, 1, 0, 0, 0, 1]); // BYE
        assert_eq!(
            parse_rtcp(&b).unwrap(),
            vec![sr, rr, RtcpPacket::Other { packet_type: 203 }]
        );
        assert_eq!(parse_rtcp(&b[..b.len() - 1]), Err(RtpError::BadLength));
    }

    #[test]
    fn receiver_stats_count_loss_across_wrap() {
        let mut s = ReceiverStats::default();
        for (i, seq) in [65530u16, 65531, 65533, 65534, 0, 1, 3].iter().enumerate() {
            s.record(*seq, i as u32 * 160, i as u32 * 160);
        }
        assert_eq!(s.expected(), 10);
        assert_eq!(s.lost(), 3);
        let r = s.report(9);
        assert_eq!(r.highest_sequence, (1 << 16) + 3);
        assert_eq!(r.fraction_lost, (3 * 256 / 10) as u8);
        assert_eq!(r.jitter, 0);
        // Steady 20 ms packets arriving 0/40 ms late alternately: jitter grows.
        for i in 0..50u32 {
            s.record(4 + i as u16, (7 + i) * 160, (7 + i) * 160 + (i % 2) * 320);
        }
        assert!(s.jitter() > 100, "{}", s.jitter());
    }

    #[test]
    fn sender_numbers_audio_and_dtmf() {
        let neg = crate::sdp::Negotiated {
            codec: crate::sdp::Codec::Pcmu,
            payload_type: 0,
            telephone_event: Some(96),
            ptime: 20,
            direction: crate::sdp::Direction::SendRecv,
            remote_address: "h".into(),
            remote_port: 1,
            rtcp_mux: false,
        };
        let mut s = RtpSender::new(7, 65535, 1000, &neg);
        let mut b = Vec::new();
        s.audio(&[0xFF; 160], &mut b);
        let p = RtpPacket::parse(&b).unwrap();
        assert!(p.marker);
        assert_eq!((p.sequence, p.timestamp, p.payload_type), (65535, 1000, 0));
        let digits = s.dtmf('#', 800, 160).unwrap();
        let mut det = crate::dtmf::DtmfDetector::default();
        let mut heard = Vec::new();
        for (i, d) in digits.iter().enumerate() {
            let p = RtpPacket::parse(d).unwrap();
            assert_eq!((p.payload_type, p.timestamp, p.marker), (96, 1160, i == 0));
            heard.extend(det.push(
                p.timestamp,
                crate::dtmf::TelephoneEvent::parse(p.payload).unwrap(),
            ));
        }
        assert_eq!(heard.iter().map(|d| d.digit).collect::<String>(), "#");
        s.audio(&[0xFF; 160], &mut b);
        let p = RtpPacket::parse(&b).unwrap();
        assert_eq!(
            (p.sequence, p.timestamp, p.marker),
            (digits.len() as u16, 1960, true)
        );
        let none = crate::sdp::Negotiated {
            telephone_event: None,
            ..neg
        };
        assert!(RtpSender::new(1, 0, 0, &none).dtmf('1', 800, 160).is_none());
    }

    proptest! {
        #[test]
        fn rtp_round_trips(m in any::<bool>(), pt in 0u8..128, seq in any::<u16>(), ts in any::<u32>(), ssrc in any::<u32>(),
                           csrc in prop::collection::vec(any::<u32>(), 0..15),
                           ext in prop::option::of((any::<u16>(), prop::collection::vec(any::<u8>(), 0..3).prop_map(|v| v.len()))),
                           payload in prop::collection::vec(any::<u8>(), 0..200)) {
            let ext_data = [0u8; 8];
            let p = RtpPacket { marker: m, payload_type: pt, sequence: seq, timestamp: ts, ssrc, csrc,
                                extension: ext.map(|(prof, words)| (prof, &ext_data[..words * 4])), payload: &payload };
            let bytes = p.to_vec();
            prop_assert_eq!(RtpPacket::parse(&bytes).unwrap(), p);
        }

        #[test]
        fn never_panics(b in prop::collection::vec(any::<u8>(), 0..100)) {
            let _ = RtpPacket::parse(&b);
            let _ = parse_rtcp(&b);
        }
    }
}
