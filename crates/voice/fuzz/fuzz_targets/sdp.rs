//! SDP offers from anyone: parse, answer, and round-trip what parsed.
#![no_main]
use libfuzzer_sys::fuzz_target;
use voice::sdp::{LocalMedia, SessionDescription, answer};

fuzz_target!(|data: &[u8]| {
    if let Ok(sdp) = SessionDescription::parse(data) {
        let _ = answer(&sdp, &LocalMedia::new("192.0.2.1", 4000, 1));
        let again = SessionDescription::parse(&sdp.to_bytes()).expect("what we write parses");
        assert_eq!(again, sdp);
    }
});
