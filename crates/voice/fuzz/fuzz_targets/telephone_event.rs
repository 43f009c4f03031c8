//! RFC 4733 payloads, fed to the DTMF detector as a stream of (timestamp, payload).
#![no_main]
use libfuzzer_sys::fuzz_target;
use voice::dtmf::{DtmfDetector, TelephoneEvent};

fuzz_target!(|data: &[u8]| {
    let mut detector = DtmfDetector::default();
    for chunk in data.chunks(6) {
        if chunk.len() < 6 {
            break;
        }
        let ts = u16::from_be_bytes([chunk[0], chunk[1]]) as u32 * 160;
        if let Ok(e) = TelephoneEvent::parse(&chunk[2..]) {
            assert_eq!(TelephoneEvent::parse(&e.to_bytes()).unwrap(), e);
            for d in detector.push(ts, e) {
                assert!(d.digit.is_ascii_alphanumeric() || d.digit == '*' || d.digit == '#');
            }
        }
    }
    let _ = detector.flush();
});
