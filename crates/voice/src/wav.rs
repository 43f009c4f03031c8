//! Recordings as WAV files: both sides of a call on separate stereo channels (the
//! customer left, the agent right), 16-bit PCM at 8 kHz, so any player plays them and a
//! reviewer can tell who spoke.
//!
//! Prompts come the other way: [`read`] takes a mono 16-bit WAV (a text-to-speech
//! engine's output, an uploaded greeting) and [`resample`] brings it to the 8 kHz of
//! the telephone network. A voicemail is a mono [`mono`] file.
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

/// A mono 16-bit WAV of `pcm` at `rate` Hz.
pub fn mono(rate: u32, pcm: &[i16]) -> Vec<u8> {
    let mut h = header(rate, pcm.len() as u32);
    // One channel: block of 2 bytes, and the sizes halved.
    let data = (pcm.len() as u32).saturating_mul(2);
    h[4..8].copy_from_slice(&data.saturating_add(36).to_le_bytes());
    h[22..24].copy_from_slice(&1u16.to_le_bytes());
    h[28..32].copy_from_slice(&(rate * 2).to_le_bytes());
    h[32..34].copy_from_slice(&2u16.to_le_bytes());
    h[40..44].copy_from_slice(&data.to_le_bytes());
    let mut out = h.to_vec();
    out.reserve(pcm.len() * 2);
    for s in pcm {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// The rate and samples of a 16-bit PCM WAV; a stereo file is mixed down to mono. A
/// data chunk whose declared size runs past the end (a WAV written to a pipe) is read
/// to the end. `None` for anything else.
pub fn read(bytes: &[u8]) -> Option<(u32, Vec<i16>)> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return None;
    }
    let u16_at = |i: usize| Some(u16::from_le_bytes(bytes.get(i..i + 2)?.try_into().ok()?));
    let u32_at = |i: usize| Some(u32::from_le_bytes(bytes.get(i..i + 4)?.try_into().ok()?));
    let mut at = 12;
    let mut fmt: Option<(u16, u16, u32, u16)> = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32_at(at + 4)? as usize;
        let body = at + 8;
        if id == b"fmt " {
            fmt = Some((
                u16_at(body)?,
                u16_at(body + 2)?,
                u32_at(body + 4)?,
                u16_at(body + 14)?,
            ));
        } else if id == b"data" {
            let (format, channels, rate, bits) = fmt?;
            if format != 1 || bits != 16 || !(1..=2).contains(&channels) || rate == 0 {
                return None;
            }
            let end = body.saturating_add(size).min(bytes.len());
            let samples: Vec<i16> = bytes[body..end]
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect();
            let pcm = if channels == 2 {
                samples
                    .chunks_exact(2)
                    .map(|c| ((i32::from(c[0]) + i32::from(c[1])) / 2) as i16)
                    .collect()
            } else {
                samples
            };
            return Some((rate, pcm));
        }
        at = body.checked_add(size + (size & 1))?;
    }
    None
}

/// `input` at `from` Hz, resampled to `to` Hz by windowed-sinc interpolation, low-passed
/// below the lower rate's Nyquist frequency (so speech made at 22 kHz does not alias
/// when it is brought down to 8 kHz).
pub fn resample(input: &[i16], from: u32, to: u32) -> Vec<i16> {
    if from == to || input.is_empty() {
        return input.to_vec();
    }
    const HALF: i64 = 16;
    let step = from as f64 / to as f64;
    // Cutoff as a fraction of the input rate: 0.45 of the lower Nyquist, with margin.
    let cutoff = 0.9 * 0.5 * (to.min(from) as f64) / from as f64;
    let n_out = (input.len() as f64 / step).floor() as usize;
    let mut out = Vec::with_capacity(n_out);
    for n in 0..n_out {
        let t = n as f64 * step;
        let centre = t.floor() as i64;
        let mut acc = 0.0;
        for k in (centre - HALF + 1)..=(centre + HALF) {
            if k < 0 || k as usize >= input.len() {
                continue;
            }
            let x = t - k as f64;
            let sinc = if x.abs() < 1e-9 {
                2.0 * cutoff
            } else {
                (2.0 * std::f64::consts::PI * cutoff * x).sin() / (std::f64::consts::PI * x)
            };
            // Hann window over the kernel's width.
            let w = 0.5 + 0.5 * (std::f64::consts::PI * x / HALF as f64).cos();
            acc += f64::from(input[k as usize]) * sinc * w;
        }
        out.push(acc.round().clamp(-32768.0, 32767.0) as i16);
    }
    out
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

    #[test]
    fn speech_rate_audio_comes_down_to_8k_without_aliasing() {
        let low = tone(440.0, 22_050, 22_050, 8000.0);
        let high = tone(6000.0, 22_050, 22_050, 8000.0);
        let mixed: Vec<i16> = low.iter().zip(&high).map(|(a, b)| a / 2 + b / 2).collect();
        let file = mono(22_050, &mixed);
        let (rate, pcm) = read(&file).unwrap();
        assert_eq!((rate, pcm.len()), (22_050, 22_050));
        let out = resample(&pcm, rate, 8000);
        assert!((7990..=8000).contains(&out.len()), "{}", out.len());
        let body = &out[400..7600];
        // 6 kHz is above 4 kHz: filtered out, not folded to 2 kHz.
        assert_eq!(dominant(body, 8000, &[440.0, 2000.0]), Some(440.0));
        let kept = crate::tone::goertzel(body, 8000, 440.0);
        let folded = crate::tone::goertzel(body, 8000, 2000.0);
        assert!(folded < kept / 100.0, "{folded} vs {kept}");
    }

    #[test]
    fn a_piped_wav_with_a_placeholder_size_still_reads() {
        let mut file = mono(8000, &[1, 2, 3]);
        file[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(read(&file), Some((8000, vec![1, 2, 3])));
        assert_eq!(read(b"RIFF....WAVEjunk"), None);
        assert_eq!(read(&file[..30]), None);
    }
}
