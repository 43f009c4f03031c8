//! Recordings as WAV files: both sides of a call on separate stereo channels (the
//! customer left, the agent right), 16-bit PCM at 8 kHz, so any player plays them and a
//! reviewer can tell who spoke.
//!
//! Streaming: the driver writes [`header`] with the final length once known (or a
//! placeholder, patched when the call ends) and appends [`interleave`]d frames.

/// The 44-byte RIFF header for `frames` stereo 16-bit frames at `rate` Hz.
pub fn header(rate: u32, frames: u32) -> [u8; 44] {
    let channels: u16 = 2;
    let bits: u16 = 16;
    let block = channels * bits / 8;
    let data = frames.saturating_mul(block as u32);
    let mut h = [0u8; 44];
    let mut put = |at: usize, b: &[u8]| h[at..at + b.len()].copy_from_slice(b);
    put(0, b"RIFF");
    put(4, &data.saturating_add(36).to_le_bytes());
    put(8, b"WAVEfmt ");
    put(16, &16u32.to_le_bytes());
    put(20, &1u16.to_le_bytes()); // PCM
    put(22, &channels.to_le_bytes());
    put(24, &rate.to_le_bytes());
    put(28, &(rate * block as u32).to_le_bytes());
    put(32, &block.to_le_bytes());
    put(34, &bits.to_le_bytes());
    put(36, b"data");
    put(40, &data.to_le_bytes());
    h
}

/// Appends `left` and `right` (the shorter padded with silence) as stereo frames.
pub fn interleave(left: &[i16], right: &[i16], out: &mut Vec<u8>) {
    let n = left.len().max(right.len());
    out.reserve(n * 4);
    for i in 0..n {
        out.extend_from_slice(&left.get(i).copied().unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&right.get(i).copied().unwrap_or(0).to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tone::{dominant, tone};

    #[test]
    fn each_side_on_its_channel() {
        let (caller, agent) = (
            tone(440.0, 8000, 1600, 8000.0),
            tone(1000.0, 8000, 1200, 8000.0),
        );
        let mut wav = header(8000, 1600).to_vec();
        interleave(&caller, &agent, &mut wav);
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(
            u32::from_le_bytes(wav[4..8].try_into().unwrap()) as usize,
            wav.len() - 8
        );
        assert_eq!(
            u32::from_le_bytes(wav[40..44].try_into().unwrap()) as usize,
            wav.len() - 44
        );
        let samples: Vec<i16> = wav[44..]
            .chunks(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
        let right: Vec<i16> = samples.iter().skip(1).step_by(2).copied().collect();
        assert_eq!(dominant(&left, 8000, &[440.0, 1000.0]), Some(440.0));
        assert_eq!(
            dominant(&right[..1200], 8000, &[440.0, 1000.0]),
            Some(1000.0)
        );
        assert!(right[1200..].iter().all(|s| *s == 0));
    }
}
