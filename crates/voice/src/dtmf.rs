//! RFC 4733 telephone-events (DTMF carried in RTP) and a digit detector over them.
//!
//! A key press is one event: several packets with the same RTP timestamp and a growing
//! duration, the last three usually repeated with the end bit set. The detector reports
//! each digit once, when its first end packet arrives (the repeats are redundancy), or
//! when a packet of a newer event shows that the end packets were all lost.

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("telephone-event payload shorter than 4 bytes")]
    TooShort,
}

/// One telephone-event payload (RFC 4733 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// 0–9 digits, 10 `*`, 11 `#`, 12–15 A–D, 16 flash.
    pub event: u8,
    pub end: bool,
    /// Power level in −dBm0 (0–63).
    pub volume: u8,
    /// In timestamp units (8 kHz: 160 per 20 ms).
    pub duration: u16,
}

impl TelephoneEvent {
    /// Parses the first event of a payload (redundant RFC 2198 blocks are not used here).
    pub fn parse(payload: &[u8]) -> Result<TelephoneEvent, EventError> {
        let [event, flags, d0, d1, ..] = *payload else {
            return Err(EventError::TooShort);
        };
        Ok(TelephoneEvent {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3F,
            duration: u16::from_be_bytes([d0, d1]),
        })
    }

    pub fn to_bytes(self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            if self.end { 0x80 } else { 0 } | (self.volume & 0x3F),
            d[0],
            d[1],
        ]
    }

    /// The key for a DTMF event, `None` for other events.
    pub fn digit(self) -> Option<char> {
        b"0123456789*#ABCD"
            .get(self.event as usize)
            .map(|b| *b as char)
    }
}

/// The event number of a DTMF key (`'0'`–`'9'`, `*`, `#`, `A`–`D`).
pub fn event_of(digit: char) -> Option<u8> {
    b"0123456789*#ABCD"
        .iter()
        .position(|b| *b as char == digit.to_ascii_uppercase())
        .map(|p| p as u8)
}

/// The packets a sender emits for one key press of `duration` timestamp units, one every
/// `step` units, the end packet sent three times (RFC 4733 §2.5.1.4). All carry the
/// event's start timestamp; the first has the marker bit.
pub fn key_press(digit: char, duration: u16, step: u16) -> Vec<TelephoneEvent> {
    let Some(event) = event_of(digit) else {
        return Vec::new();
    };
    let step = step.max(1);
    let mut out = Vec::new();
    let mut d = step;
    while d < duration {
        out.push(TelephoneEvent {
            event,
            end: false,
            volume: 10,
            duration: d,
        });
        d = d.saturating_add(step);
    }
    for _ in 0..3 {
        out.push(TelephoneEvent {
            event,
            end: true,
            volume: 10,
            duration,
        });
    }
    out
}

/// A digit the detector recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digit {
    pub digit: char,
    /// RTP timestamp of the event's start.
    pub timestamp: u32,
    /// Longest duration seen, in timestamp units.
    pub duration: u16,
}

#[derive(Debug, Clone, Default)]
pub struct DtmfDetector {
    current: Option<(u32, Digit, bool)>, // (timestamp, digit so far, reported)
    last_reported: Option<u32>,
}

impl DtmfDetector {
    /// Feeds one telephone-event packet (its RTP timestamp and payload) and returns the
    /// digits it completes: at most two (a previous event whose end was lost, and this).
    pub fn push(&mut self, timestamp: u32, event: TelephoneEvent) -> Vec<Digit> {
        let mut out = Vec::new();
        let Some(digit) = event.digit() else {
            return out;
        };
        if self.last_reported == Some(timestamp) && self.current.is_none() {
            return out; // a late repeat of an event already reported
        }
        match &mut self.current {
            Some((ts, d, reported)) if *ts == timestamp => {
                d.duration = d.duration.max(event.duration);
                if event.end && !*reported {
                    *reported = true;
                    out.push(*d);
                    self.last_reported = Some(timestamp);
                }
                return out;
            }
            Some((ts, d, reported)) => {
                // A new event: an older one never reported had all its end packets lost.
                // Packets of an event older than the current one are ignored.
                if (timestamp.wrapping_sub(*ts) as i32) < 0 {
                    return out;
                }
                if !*reported {
                    out.push(*d);
                }
            }
            None => {}
        }
        let d = Digit {
            digit,
            timestamp,
            duration: event.duration,
        };
        self.current = Some((timestamp, d, event.end));
        if event.end {
            out.push(d);
            self.last_reported = Some(timestamp);
        }
        out
    }

    /// Reports a started event whose end never came, once the caller decides it is over
    /// (no packet for longer than a key press lasts).
    pub fn flush(&mut self) -> Option<Digit> {
        match self.current.take() {
            Some((ts, d, false)) => {
                self.last_reported = Some(ts);
                Some(d)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn detect(packets: &[(u32, TelephoneEvent)]) -> String {
        let mut d = DtmfDetector::default();
        let mut s: String = packets
            .iter()
            .flat_map(|(ts, e)| d.push(*ts, *e))
            .map(|d| d.digit)
            .collect();
        s.extend(d.flush().map(|d| d.digit));
        s
    }

    #[test]
    fn parse_and_build() {
        let e = TelephoneEvent::parse(&[11, 0x8A, 0x03, 0x20]).unwrap();
        assert_eq!(
            e,
            TelephoneEvent {
                event: 11,
                end: true,
                volume: 10,
                duration: 800
            }
        );
        assert_eq!(e.digit(), Some('#'));
        assert_eq!(e.to_bytes(), [11, 0x8A, 0x03, 0x20]);
        assert_eq!(TelephoneEvent::parse(&[1, 2, 3]), Err(EventError::TooShort));
        assert_eq!(event_of('d'), Some(15));
    }

    #[test]
    fn one_digit_per_press_despite_redundant_ends() {
        let mut packets = Vec::new();
        for (i, c) in "12#".chars().enumerate() {
            for e in key_press(c, 800, 160) {
                packets.push((i as u32 * 2000, e));
            }
        }
        assert_eq!(detect(&packets), "12#");
    }

    #[test]
    fn lost_end_packets_and_reordering() {
        let ts = |t| move |e: TelephoneEvent| (t, e);
        let five: Vec<_> = key_press('5', 800, 160)
            .into_iter()
            .filter(|e| !e.end)
            .map(ts(0))
            .collect();
        let six: Vec<_> = key_press('6', 800, 160).into_iter().map(ts(4000)).collect();
        // 5's end packets lost: 6's first packet reveals 5.
        assert_eq!(detect(&[five.clone(), six.clone()].concat()), "56");
        // A late end packet of 5 after 6 began is ignored.
        let late = (0, key_press('5', 800, 160).pop().unwrap());
        assert_eq!(
            detect(
                &[
                    five.clone(),
                    six[..2].to_vec(),
                    vec![late],
                    six[2..].to_vec()
                ]
                .concat()
            ),
            "56"
        );
        // Only the press, no end at all: flush reports it.
        assert_eq!(detect(&five), "5");
    }

    proptest! {
        #[test]
        fn every_press_is_reported_once(digits in "[0-9*#A-D]{0,12}", drop in prop::collection::vec(any::<bool>(), 0..200)) {
            let mut packets = Vec::new();
            for (i, c) in digits.chars().enumerate() {
                for e in key_press(c, 640, 160) {
                    packets.push((1000 + i as u32 * 1600, e));
                }
            }
            // Lose any packet except the first of each press.
            let mut firsts = std::collections::HashSet::new();
            let packets: Vec<_> = packets
                .into_iter()
                .enumerate()
                .filter(|(k, (ts, _))| firsts.insert(*ts) || !drop.get(*k).copied().unwrap_or(false))
                .map(|(_, p)| p)
                .collect();
            prop_assert_eq!(detect(&packets), digits);
        }
    }
}
