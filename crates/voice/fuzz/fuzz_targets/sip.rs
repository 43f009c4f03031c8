//! SIP bytes from anyone: parse as a datagram and as a stream; whatever parses must
//! serialize and parse again to the same message, and its typed headers must not panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use voice::sip::{Limits, frame_len, parse};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let _ = frame_len(data, &limits);
    if let Ok(m) = parse(data, &limits) {
        let again = parse(&m.to_bytes(), &limits).expect("what we write parses");
        assert_eq!(again, m);
        let _ = m.vias();
        let _ = m.contacts();
        let _ = voice::transaction::Key::of(&m);
        let _ = voice::dialog::DialogId::of_request(&m);
        let _ = voice::router::route(&m);
        for v in m.headers_named("WWW-Authenticate") {
            let _ = voice::digest::Challenge::parse(v);
        }
        for v in m.headers_named("Authorization") {
            let _ = voice::digest::Credentials::parse(v);
        }
    }
});
