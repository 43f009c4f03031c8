//! Tones: generate a sine and measure how much of a frequency a signal holds (Goertzel).
//!
//! For tests that need to know who hears whom: each party sends its own frequency, and
//! [`dominant`] says which one arrived. Also usable for call-progress detection.

/// `n` samples of a sine at `freq` Hz, `amplitude` peak (≤ 32767).
pub fn tone(freq: f64, rate: u32, n: usize, amplitude: f64) -> Vec<i16> {
    (0..n)
        .map(|i| {
            let t = i as f64 / rate as f64;
            (amplitude * (2.0 * std::f64::consts::PI * freq * t).sin()).round() as i16
        })
        .collect()
}

/// The power of `freq` in `samples` (Goertzel's algorithm), normalised by length so
/// that a full-scale sine gives about (amplitude/2)².
pub fn goertzel(samples: &[i16], rate: u32, freq: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let w = 2.0 * std::f64::consts::PI * freq / rate as f64;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for x in samples {
        let s0 = *x as f64 + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    power / (samples.len() as f64 * samples.len() as f64)
}

/// The candidate frequency with the most power, if it stands clearly above silence and
/// holds at least half the candidates' total.
pub fn dominant(samples: &[i16], rate: u32, candidates: &[f64]) -> Option<f64> {
    let powers: Vec<f64> = candidates
        .iter()
        .map(|f| goertzel(samples, rate, *f))
        .collect();
    let total: f64 = powers.iter().sum();
    let (i, best) = powers
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))?;
    (*best > 100.0 && *best >= total / 2.0).then(|| candidates[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_frequency_sent() {
        let cands = [350.0, 440.0, 697.0, 1209.0, 2000.0];
        for f in cands {
            let s = tone(f, 8000, 1600, 8000.0);
            assert_eq!(dominant(&s, 8000, &cands), Some(f));
            // Through G.711 and back too.
            let coded: Vec<i16> = s
                .iter()
                .map(|x| crate::g711::ulaw_decode(crate::g711::ulaw_encode(*x)))
                .collect();
            assert_eq!(dominant(&coded, 8000, &cands), Some(f));
        }
        assert_eq!(dominant(&[0; 800], 8000, &cands), None);
    }
}
