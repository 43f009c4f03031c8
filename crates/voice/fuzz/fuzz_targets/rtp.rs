//! RTP and RTCP datagrams: parse; an RTP packet that parses must rebuild to bytes that
//! parse to the same packet.
#![no_main]
use libfuzzer_sys::fuzz_target;
use voice::rtp::{RtpPacket, is_rtcp, parse_rtcp};

fuzz_target!(|data: &[u8]| {
    if is_rtcp(data) {
        let _ = parse_rtcp(data);
    }
    if let Ok(p) = RtpPacket::parse(data) {
        let bytes = p.to_vec();
        assert_eq!(RtpPacket::parse(&bytes).unwrap(), p);
    }
});
