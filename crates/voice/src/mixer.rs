//! Server-side G.711 mixing for conferences and supervisors.
//!
//! Each party's frame is decoded once, summed in 32 bits, and every listener gets its
//! own mix, clamped to 16 bits and encoded in its own law: by default everyone but
//! themselves ([`Mixer::mix`]: the total minus one's own voice, so n parties cost n
//! decodes, one sum and n encodes); for listen, whisper and barge, whoever
//! [`Mixer::mix_with`]'s `hears(listener, speaker)` allows.
use crate::g711::Law;

/// One party's input for a frame. `frame: None` is silence (muted, lost, not sending).
#[derive(Debug, Clone, Copy)]
pub struct Party<'a> {
    pub law: Law,
    pub frame: Option<&'a [u8]>,
}

#[derive(Debug, Default, Clone)]
pub struct Mixer {
    decoded: Vec<Vec<i16>>,
    total: Vec<i32>,
    scratch: Vec<i16>,
}

impl Mixer {
    fn decode(&mut self, parties: &[Party<'_>], samples: usize) {
        self.decoded.resize_with(parties.len(), Vec::new);
        for (p, d) in parties.iter().zip(&mut self.decoded) {
            d.clear();
            d.resize(samples, 0);
            if let Some(f) = p.frame {
                p.law.decode(&f[..f.len().min(samples)], d);
            }
        }
        self.scratch.resize(samples, 0);
    }

    /// `out[i]`: the mix for party `i`, everyone else's voice, `samples` long.
    pub fn mix(&mut self, parties: &[Party<'_>], samples: usize, out: &mut Vec<Vec<u8>>) {
        self.decode(parties, samples);
        self.total.clear();
        self.total.resize(samples, 0);
        for d in &self.decoded[..parties.len()] {
            for (t, s) in self.total.iter_mut().zip(d) {
                *t += *s as i32;
            }
        }
        out.resize_with(parties.len(), Vec::new);
        for (i, p) in parties.iter().enumerate() {
            let own = &self.decoded[i];
            for ((o, t), s) in self.scratch.iter_mut().zip(&self.total).zip(own) {
                *o = (t - *s as i32).clamp(i16::MIN as i32, i16::MAX as i32) as i16;
            }
            out[i].resize(samples, 0);
            p.law.encode(&self.scratch, &mut out[i]);
        }
    }

    /// `out[i]`: the sum of every `j` with `hears(i, j)` (and `j != i`).
    pub fn mix_with(
        &mut self,
        parties: &[Party<'_>],
        samples: usize,
        hears: impl Fn(usize, usize) -> bool,
        out: &mut Vec<Vec<u8>>,
    ) {
        self.decode(parties, samples);
        out.resize_with(parties.len(), Vec::new);
        for (i, p) in parties.iter().enumerate() {
            self.total.clear();
            self.total.resize(samples, 0);
            for (j, d) in self.decoded[..parties.len()].iter().enumerate() {
                if j != i && hears(i, j) {
                    for (t, s) in self.total.iter_mut().zip(d) {
                        *t += *s as i32;
                    }
                }
            }
            for (o, t) in self.scratch.iter_mut().zip(&self.total) {
                *o = (*t).clamp(i16::MIN as i32, i16::MAX as i32) as i16;
            }
            out[i].resize(samples, 0);
            p.law.encode(&self.scratch, &mut out[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tone::{dominant, tone};

    fn enc(law: Law, pcm: &[i16]) -> Vec<u8> {
        let mut v = vec![0; pcm.len()];
        law.encode(pcm, &mut v);
        v
    }

    fn dec(law: Law, b: &[u8]) -> Vec<i16> {
        let mut v = vec![0; b.len()];
        law.decode(b, &mut v);
        v
    }

    #[test]
    fn each_hears_the_others_not_themselves() {
        let freqs = [440.0, 1000.0, 1800.0];
        let frames: Vec<Vec<u8>> = freqs
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let law = if i == 1 { Law::A } else { Law::Mu };
                enc(law, &tone(*f, 8000, 800, 6000.0))
            })
            .collect();
        let parties: Vec<Party> = frames
            .iter()
            .enumerate()
            .map(|(i, f)| Party {
                law: if i == 1 { Law::A } else { Law::Mu },
                frame: Some(f),
            })
            .collect();
        let mut out = Vec::new();
        Mixer::default().mix(&parties, 800, &mut out);
        for (i, p) in parties.iter().enumerate() {
            let heard = dec(p.law, &out[i]);
            let energy = |f: f64| crate::tone::goertzel(&heard, 8000, f);
            assert!(
                energy(freqs[i]) < 0.01 * energy(freqs[(i + 1) % 3]),
                "party {i} hears itself"
            );
            assert!(energy(freqs[(i + 2) % 3]) > 0.1 * energy(freqs[(i + 1) % 3]));
        }
    }

    #[test]
    fn clamps_instead_of_wrapping() {
        let loud = enc(Law::Mu, &[30_000; 160]);
        let parties = [Party {
            law: Law::Mu,
            frame: Some(&loud),
        }; 3];
        let mut out = Vec::new();
        Mixer::default().mix(&parties, 160, &mut out);
        assert!(dec(Law::Mu, &out[0]).iter().all(|s| *s > 30_000));
        let quiet = [Party {
            law: Law::A,
            frame: None,
        }; 2];
        Mixer::default().mix(&quiet, 160, &mut out);
        assert!(out[0].iter().all(|b| *b == Law::A.silence()));
    }

    #[test]
    fn whisper_reaches_only_the_agent() {
        // 0 caller, 1 agent, 2 supervisor whispering.
        let (c, a, s) = (
            tone(500.0, 8000, 800, 5000.0),
            tone(1200.0, 8000, 800, 5000.0),
            tone(2000.0, 8000, 800, 5000.0),
        );
        let f: Vec<Vec<u8>> = [c, a, s].iter().map(|t| enc(Law::Mu, t)).collect();
        let parties: Vec<Party> = f
            .iter()
            .map(|f| Party {
                law: Law::Mu,
                frame: Some(f),
            })
            .collect();
        let mut out = Vec::new();
        let whisper = |l: usize, sp: usize| !(l == 0 && sp == 2);
        Mixer::default().mix_with(&parties, 800, whisper, &mut out);
        let caller = dec(Law::Mu, &out[0]);
        assert_eq!(
            dominant(&caller, 8000, &[500.0, 1200.0, 2000.0]),
            Some(1200.0)
        );
        let agent = dec(Law::Mu, &out[1]);
        assert!(
            crate::tone::goertzel(&agent, 8000, 2000.0)
                > 0.1 * crate::tone::goertzel(&agent, 8000, 500.0)
        );
        assert!(
            crate::tone::goertzel(&caller, 8000, 2000.0)
                < 0.01 * crate::tone::goertzel(&caller, 8000, 1200.0)
        );
    }
}
