//! Contact flows as an admin's browser sends them: parse, validate, and — when valid —
//! play them with any keys, prompts and silences, which must never panic or loop.
#![no_main]
use libfuzzer_sys::fuzz_target;
use voice::flow::{Facts, Flow, Input, Known, Run};

fuzz_target!(|data: &[u8]| {
    let (keys, json) = data.split_at(data.len().min(16));
    let Ok(text) = std::str::from_utf8(json) else { return };
    let Ok(flow) = Flow::parse(text) else { return };
    let any = |_: &str| true;
    if !flow.validate(&Known { queue: &any, zone: &any }).is_empty() {
        return;
    }
    let open = |q: &str| q.len() % 2 == 0;
    let facts = Facts { weekday: 2, minute: 600, known_caller: true, open: &open };
    let (mut run, _) = Run::start(flow, &facts);
    for k in keys {
        let input = match k % 4 {
            0 => Input::PromptDone,
            1 => Input::Timeout,
            _ => Input::Digit(b"0123456789*#"[(*k as usize / 4) % 12] as char),
        };
        let _ = run.handle(input, &facts);
    }
});
