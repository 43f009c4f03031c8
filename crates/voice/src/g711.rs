//! G.711 μ-law and A-law (ITU-T G.711), table-based.
//!
//! The tables are computed at compile time from the reference algorithm (the one in the
//! ITU-T G.191 software tools' `g711.c`): μ-law works on the top
//! 14 bits of a 16-bit sample, A-law on the top 13, so the encoders index tables of 16,384
//! and 8,192 entries, and the decoders tables of 256. A frame of 160 samples (20 ms at
//! 8 kHz) is 160 lookups each way.

// The reference algorithms, written as ITU-T G.191's `g711.c` has them (one's
// complement for negative samples, so -1 encodes as the negative zero).
const fn ulaw_encode_ref(pcm: i16) -> u8 {
    let x = pcm as i32;
    let mut absno = if x < 0 {
        ((!x) >> 2) + 33
    } else {
        (x >> 2) + 33
    };
    if absno > 0x1FFF {
        absno = 0x1FFF;
    }
    let mut i = absno >> 6;
    let mut segno = 1;
    while i != 0 {
        segno += 1;
        i >>= 1;
    }
    let high = 8 - segno;
    let low = 15 - ((absno >> segno) & 0xF);
    let out = (high << 4) | low;
    (if x >= 0 { out | 0x80 } else { out }) as u8
}

const fn ulaw_decode_ref(u: u8) -> i16 {
    let sign = if u < 0x80 { -1 } else { 1 };
    let m = !(u as i32);
    let exponent = (m >> 4) & 7;
    let step = 4 << (exponent + 1);
    (sign * ((0x80 << exponent) + step * (m & 0xF) + step / 2 - 4 * 33)) as i16
}

const fn alaw_encode_ref(pcm: i16) -> u8 {
    let x = pcm as i32;
    let mut ix = if x < 0 { (!x) >> 4 } else { x >> 4 };
    if ix > 15 {
        let mut iexp = 1;
        while ix > 16 + 15 {
            ix >>= 1;
            iexp += 1;
        }
        ix -= 16;
        ix += iexp << 4;
    }
    if x >= 0 {
        ix |= 0x80;
    }
    (ix ^ 0x55) as u8
}

const fn alaw_decode_ref(a: u8) -> i16 {
    let ix = ((a ^ 0x55) & 0x7F) as i32;
    let iexp = ix >> 4;
    let mut mant = ix & 0xF;
    if iexp > 0 {
        mant += 16;
    }
    mant = (mant << 4) + 8;
    if iexp > 1 {
        mant <<= iexp - 1;
    }
    (if a > 127 { mant } else { -mant }) as i16
}

static ULAW_ENC: [u8; 16384] = {
    let mut t = [0u8; 16384];
    let mut i = 0;
    while i < 16384 {
        // index = the 14-bit value as unsigned; sample = index << 2 sign-extended
        t[i] = ulaw_encode_ref(((i as u16) << 2) as i16);
        i += 1;
    }
    t
};

static ALAW_ENC: [u8; 8192] = {
    let mut t = [0u8; 8192];
    let mut i = 0;
    while i < 8192 {
        t[i] = alaw_encode_ref(((i as u16) << 3) as i16);
        i += 1;
    }
    t
};

static ULAW_DEC: [i16; 256] = {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = ulaw_decode_ref(i as u8);
        i += 1;
    }
    t
};

static ALAW_DEC: [i16; 256] = {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = alaw_decode_ref(i as u8);
        i += 1;
    }
    t
};

#[inline]
pub fn ulaw_encode(pcm: i16) -> u8 {
    ULAW_ENC[(pcm as u16 >> 2) as usize]
}
#[inline]
pub fn ulaw_decode(u: u8) -> i16 {
    ULAW_DEC[u as usize]
}
#[inline]
pub fn alaw_encode(pcm: i16) -> u8 {
    ALAW_ENC[(pcm as u16 >> 3) as usize]
}
#[inline]
pub fn alaw_decode(a: u8) -> i16 {
    ALAW_DEC[a as usize]
}

/// Which law a stream uses (PCMU or PCMA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Law {
    Mu,
    A,
}

impl Law {
    pub fn decode(self, bytes: &[u8], out: &mut [i16]) {
        let table = match self {
            Law::Mu => &ULAW_DEC,
            Law::A => &ALAW_DEC,
        };
        for (o, b) in out.iter_mut().zip(bytes) {
            *o = table[*b as usize];
        }
    }

    pub fn encode(self, pcm: &[i16], out: &mut [u8]) {
        match self {
            Law::Mu => out
                .iter_mut()
                .zip(pcm)
                .for_each(|(o, s)| *o = ulaw_encode(*s)),
            Law::A => out
                .iter_mut()
                .zip(pcm)
                .for_each(|(o, s)| *o = alaw_encode(*s)),
        }
    }

    /// The byte that decodes to silence.
    pub fn silence(self) -> u8 {
        match self {
            Law::Mu => 0xFF,
            Law::A => 0xD5,
        }
    }
}

impl From<crate::sdp::Codec> for Law {
    fn from(c: crate::sdp::Codec) -> Law {
        match c {
            crate::sdp::Codec::Pcmu => Law::Mu,
            crate::sdp::Codec::Pcma => Law::A,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // Zero, the extremes and segment edges, as the reference code gives them.
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(ulaw_encode(-1), 0x7F);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_decode(0x7F), 0);
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(ulaw_decode(0xEF), 132);
        assert_eq!(ulaw_decode(0xDF), 396);
        assert_eq!(ulaw_encode(1000), 0xCE);
        assert_eq!(ulaw_decode(0xCE), 988);
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_encode(-1), 0x55);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
        assert_eq!(alaw_encode(i16::MIN), 0x2A);
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0x55), -8);
        assert_eq!(alaw_decode(0xAA), 32256);
        assert_eq!(alaw_decode(0x2A), -32256);
        assert_eq!(alaw_encode(1000), 0xFA);
        assert_eq!(alaw_decode(0xFA), 1008);
    }

    #[test]
    fn tables_match_the_reference_for_every_sample() {
        for s in i16::MIN..=i16::MAX {
            assert_eq!(ulaw_encode(s), ulaw_encode_ref(s), "{s}");
            assert_eq!(alaw_encode(s), alaw_encode_ref(s), "{s}");
        }
    }

    #[test]
    fn decode_encode_is_identity_on_codes() {
        for b in 0..=255u8 {
            // Both zeros of μ-law decode to 0, which encodes as the positive one.
            let u = if b == 0x7F { 0xFF } else { b };
            assert_eq!(ulaw_encode(ulaw_decode(b)), u, "{b:#x}");
            assert_eq!(alaw_encode(alaw_decode(b)), b, "{b:#x}");
        }
    }

    #[test]
    fn monotonic_and_error_bounded() {
        let mut last = (0u8, 0u8);
        let mut prev = (i16::MIN, i16::MIN);
        for s in (i16::MIN..=i16::MAX).step_by(7) {
            let (u, a) = (ulaw_decode(ulaw_encode(s)), alaw_decode(alaw_encode(s)));
            assert!(u >= prev.0 && a >= prev.1);
            prev = (u, a);
            // Quantisation error at most half a step of the top segment (plus clipping).
            let bound = |x: i16| 1024 + (x as i32).abs() / 16;
            assert!((u as i32 - s as i32).abs() <= bound(s), "{s} {u}");
            assert!((a as i32 - s as i32).abs() <= bound(s), "{s} {a}");
            last = (ulaw_encode(s), alaw_encode(s));
        }
        let _ = last;
    }
}
