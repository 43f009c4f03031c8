//! A reorder and jitter buffer for the SIP leg's RTP.
//!
//! Packets go in as they arrive ([`JitterBuffer::push`], with the arrival time); the
//! media clock takes one frame out per packet time ([`JitterBuffer::pop`]). A packet is
//! played `playout_delay_ms` after the time its timestamp says it should have arrived,
//! measured against the first packet, so packets that arrive out of order within that
//! delay come out in order. Sequence numbers are extended past 65,535 (wrap-around);
//! packets older than what was already played are dropped as late, repeats as
//! duplicates. A missing packet whose successors are already due is reported as
//! [`Playout::Missing`] so the caller can conceal it (repeat or silence).
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterConfig {
    pub clock_rate: u32,
    pub playout_delay_ms: u64,
    /// Packets held at most; past it new packets are refused.
    pub capacity: usize,
}

impl Default for JitterConfig {
    fn default() -> Self {
        JitterConfig {
            clock_rate: 8000,
            playout_delay_ms: 60,
            capacity: 256,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Extended sequence number (wraps counted).
    pub sequence: u64,
    pub timestamp: u32,
    pub marker: bool,
    pub payload: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playout {
    Frame(Frame),
    /// This sequence number never arrived in time.
    Missing(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    Accepted,
    Late,
    Duplicate,
    Overflow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JitterStats {
    pub played: u64,
    pub missing: u64,
    pub late: u64,
    pub duplicate: u64,
    pub overflow: u64,
}

#[derive(Debug, Clone)]
pub struct JitterBuffer {
    config: JitterConfig,
    packets: BTreeMap<u64, Frame>,
    next: Option<u64>,
    highest: u64,
    /// (time the frame at `next` is due without the delay, its timestamp)
    base: (u64, u32),
    stats: JitterStats,
}

impl JitterBuffer {
    pub fn new(config: JitterConfig) -> JitterBuffer {
        JitterBuffer {
            config,
            packets: BTreeMap::new(),
            next: None,
            highest: 0,
            base: (0, 0),
            stats: JitterStats::default(),
        }
    }

    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    pub fn len(&self) -> usize {
        self.packets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// The extended value of `seq` nearest to the highest seen.
    fn extend(&self, seq: u16) -> u64 {
        let h = self.highest as i64;
        let mut c = (h & !0xFFFF) | seq as i64;
        if c - h > 0x8000 {
            c -= 0x10000;
        } else if h - c > 0x8000 {
            c += 0x10000;
        }
        c.max(0) as u64
    }

    pub fn push(
        &mut self,
        now_ms: u64,
        seq: u16,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> Pushed {
        let Some(next) = self.next else {
            // Start far from zero so extended numbers never go below it.
            let ext = (1 << 20) | seq as u64;
            self.next = Some(ext);
            self.highest = ext;
            self.base = (now_ms, timestamp);
            self.insert(ext, timestamp, marker, payload);
            return Pushed::Accepted;
        };
        let ext = self.extend(seq);
        if ext < next {
            self.stats.late += 1;
            return Pushed::Late;
        }
        if self.packets.contains_key(&ext) {
            self.stats.duplicate += 1;
            return Pushed::Duplicate;
        }
        if self.packets.len() >= self.config.capacity {
            self.stats.overflow += 1;
            return Pushed::Overflow;
        }
        self.highest = self.highest.max(ext);
        self.insert(ext, timestamp, marker, payload);
        Pushed::Accepted
    }

    fn insert(&mut self, ext: u64, timestamp: u32, marker: bool, payload: &[u8]) {
        self.packets.insert(
            ext,
            Frame {
                sequence: ext,
                timestamp,
                marker,
                payload: payload.to_vec(),
            },
        );
    }

    /// When a frame with `timestamp` is due to play.
    fn due(&self, timestamp: u32) -> u64 {
        let dt = timestamp.wrapping_sub(self.base.1) as i32 as i64;
        let ms = dt * 1000 / self.config.clock_rate.max(1) as i64;
        (self.base.0 as i64 + ms).max(0) as u64 + self.config.playout_delay_ms
    }

    /// The frame to play at `now_ms`, if any is due. Call once per packet time.
    pub fn pop(&mut self, now_ms: u64) -> Option<Playout> {
        let next = self.next?;
        let (&first, frame) = self.packets.iter().next()?;
        if now_ms < self.due(frame.timestamp) {
            return None;
        }
        if first != next {
            self.next = Some(next + 1);
            self.stats.missing += 1;
            return Some(Playout::Missing(next));
        }
        let frame = self.packets.remove(&first)?;
        self.base = (
            self.due(frame.timestamp) - self.config.playout_delay_ms,
            frame.timestamp,
        );
        self.next = Some(next + 1);
        self.stats.played += 1;
        Some(Playout::Frame(frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn buf(delay: u64) -> JitterBuffer {
        JitterBuffer::new(JitterConfig {
            playout_delay_ms: delay,
            ..Default::default()
        })
    }

    fn seqs(out: &[Playout]) -> Vec<i64> {
        out.iter()
            .map(|p| match p {
                Playout::Frame(f) => (f.sequence & 0xFFFF) as i64,
                Playout::Missing(s) => -((s & 0xFFFF) as i64) - 1,
            })
            .collect()
    }

    #[test]
    fn reorders_within_the_delay_and_across_wrap() {
        let mut b = buf(40);
        // 65534, 0, 65535, 1 arriving at 0, 20, 25, 40 ms.
        for (t, s, ts) in [
            (0, 65534u16, 0u32),
            (20, 0, 320),
            (25, 65535, 160),
            (40, 1, 480),
        ] {
            assert_eq!(b.push(t, s, ts, false, &[s as u8]), Pushed::Accepted);
        }
        assert_eq!(b.pop(39), None, "held for the playout delay");
        let mut out = Vec::new();
        for t in (40..=120).step_by(20) {
            out.extend(b.pop(t));
        }
        assert_eq!(seqs(&out), vec![65534, 65535, 0, 1]);
        assert_eq!(b.push(130, 65535, 160, false, &[]), Pushed::Late);
        assert_eq!(b.stats().late, 1);
    }

    #[test]
    fn missing_duplicate_and_late() {
        let mut b = buf(20);
        b.push(0, 10, 0, true, &[]);
        assert_eq!(b.push(1, 10, 0, true, &[]), Pushed::Duplicate);
        b.push(40, 12, 320, false, &[]);
        let out: Vec<_> = (0..6).filter_map(|i| b.pop(20 + i * 20)).collect();
        assert_eq!(seqs(&out), vec![10, -12, 12]);
        assert_eq!(b.push(100, 11, 160, false, &[]), Pushed::Late);
        assert_eq!(
            b.stats(),
            JitterStats {
                played: 2,
                missing: 1,
                late: 1,
                duplicate: 1,
                overflow: 0
            }
        );
    }

    proptest! {
        /// Packets sent every 20 ms arrive up to `spread` ms late in any order; with a
        /// playout delay above the spread every one plays, in order, exactly once.
        #[test]
        fn in_order_exactly_once(start in any::<u16>(), n in 1usize..300, lateness in prop::collection::vec(0u64..60, 300), dup in prop::collection::vec(any::<bool>(), 300)) {
            let mut arrivals: Vec<(u64, u16, u32)> = (0..n).map(|i| (i as u64 * 20 + lateness[i], start.wrapping_add(i as u16), i as u32 * 160)).collect();
            // The first packet is the reference clock: it must be on time.
            arrivals[0].0 = 0;
            for i in 0..n { if dup[i] { arrivals.push((arrivals[i].0 + 5, arrivals[i].1, arrivals[i].2)); } }
            arrivals.sort();
            let mut b = buf(80);
            let mut played = Vec::new();
            let mut a = arrivals.into_iter().peekable();
            for now in 0..(n as u64 * 20 + 200) {
                while let Some(&(t, s, ts)) = a.peek() {
                    if t > now { break; }
                    b.push(t, s, ts, false, &[]);
                    a.next();
                }
                if now % 20 == 0 {
                    played.extend(b.pop(now));
                }
            }
            let want: Vec<i64> = (0..n).map(|i| start.wrapping_add(i as u16) as i64).collect();
            prop_assert_eq!(seqs(&played), want);
        }
    }
}
