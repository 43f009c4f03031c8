//! Prompts: text a contact flow says, turned into 8 kHz audio once and kept.
//!
//! Speech comes from `espeak-ng` (Debian's package), run as a child process with a
//! time limit, in the voice of the flow's language (`voice::speech`), and resampled to
//! the telephone rate (`voice::wav`). Nothing is fetched
//! at run time, and a server without `espeak-ng` still answers calls: each prompt is
//! then a short chime followed by a pause as long as the text would take to say, and
//! the log says once how to get speech.
//!
//! An admin may record any sentence instead (`/api/voice/prompts`): the recording,
//! resampled to 8 kHz and kept as a `voice_prompt` object, plays wherever a flow says
//! that sentence (compared without regard to case and spacing, [`sentence_key`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use voice::speech::Language;

/// Distinct prompts kept (announcements with numbers in them are prompts too).
const MAX_CACHED: usize = 2_000;

/// Audio made so far, by language and text.
type Cache = HashMap<(Language, String), Arc<Vec<i16>>>;

#[derive(Default)]
pub struct Prompts {
    cache: Mutex<Cache>,
    warned: std::sync::atomic::AtomicBool,
}

impl Prompts {
    /// The audio of `text` read in `language`, made on first use.
    pub async fn get(&self, language: Language, text: &str) -> Arc<Vec<i16>> {
        let key = (language, text.to_string());
        if let Some(p) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return p.clone();
        }
        let pcm = Arc::new(match speak(language, text).await {
            Ok(pcm) => pcm,
            Err(e) => {
                if !self.warned.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    tracing::warn!(error = %e, "prompts are chimes, not speech: install espeak-ng (apt-get install espeak-ng) for spoken prompts");
                }
                chime(text)
            }
        });
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(key, pcm.clone());
        pcm
    }
}

/// A recording of a sentence, as stored (`voice_prompt`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Recorded {
    pub text: String,
    pub seconds: f64,
    /// 8 kHz mono 16-bit little-endian PCM, base64.
    pub pcm: String,
}

impl Recorded {
    pub fn new(text: &str, pcm: &[i16]) -> Recorded {
        use base64::Engine as _;
        let bytes: Vec<u8> = pcm.iter().flat_map(|s| s.to_le_bytes()).collect();
        Recorded {
            text: text.trim().to_string(),
            seconds: pcm.len() as f64 / 8000.0,
            pcm: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    /// The samples, if the stored text still reads.
    pub fn samples(&self) -> Option<Vec<i16>> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.pcm)
            .ok()?;
        Some(
            bytes
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]))
                .collect(),
        )
    }
}

/// A sentence as recordings are matched to it: lower case, spaces collapsed.
pub fn sentence_key(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The `voice_prompt` object name of a sentence: a short hash of its key.
pub fn object_name(text: &str) -> String {
    use sha2::Digest as _;
    hex::encode(&sha2::Sha256::digest(sentence_key(text).as_bytes())[..12])
}

/// `text` spoken by espeak-ng in `language`'s voice, at 8 kHz.
async fn speak(language: Language, text: &str) -> Result<Vec<i16>, String> {
    let child = tokio::process::Command::new("espeak-ng")
        .args(["-v", language.voice(), "-s", "160", "--stdout", "--"])
        .arg(text)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(10), child)
        .await
        .map_err(|_| "espeak-ng took longer than 10 s".to_string())?
        .map_err(|e| format!("espeak-ng: {e}"))?;
    if !out.status.success() {
        return Err(format!("espeak-ng exited with {}", out.status));
    }
    let (rate, pcm) =
        voice::wav::read(&out.stdout).ok_or_else(|| "espeak-ng gave no WAV".to_string())?;
    let mut pcm = voice::wav::resample(&pcm, rate, 8000);
    // A little air after each prompt.
    pcm.extend(std::iter::repeat_n(0, 1600));
    Ok(pcm)
}

/// Two soft notes, then a pause about as long as the text would take to say.
pub fn chime(text: &str) -> Vec<i16> {
    let mut pcm = voice::tone::tone(880.0, 8000, 1200, 2500.0);
    pcm.extend(voice::tone::tone(660.0, 8000, 1600, 2500.0));
    let words = text.split_whitespace().count().max(1);
    pcm.extend(std::iter::repeat_n(0, (words * 2_800).min(8000 * 20)));
    pcm
}

/// The beep before a voicemail is recorded.
pub fn beep() -> Arc<Vec<i16>> {
    Arc::new(voice::tone::tone(1000.0, 8000, 3200, 6000.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chime_lasts_as_long_as_its_words() {
        assert!(chime("one two three four").len() > chime("one").len());
    }

    #[tokio::test]
    async fn prompts_are_made_once() {
        let p = Prompts::default();
        let a = p.get(Language::English, "Thank you for calling.").await;
        let b = p.get(Language::English, "Thank you for calling.").await;
        assert!(Arc::ptr_eq(&a, &b));
        assert!(a.len() > 4000, "{} samples", a.len());
    }

    #[tokio::test]
    async fn each_language_has_its_own_voice() {
        let p = Prompts::default();
        let text = "Gracias por llamar. Su llamada es importante para nosotros.";
        let spanish = p.get(Language::Spanish, text).await;
        let english = p.get(Language::English, text).await;
        assert!(spanish.len() > 8000, "{} samples", spanish.len());
        // Two readings, kept apart: not the same audio.
        assert!(!Arc::ptr_eq(&spanish, &english));
        assert_ne!(*spanish, *english);
        assert!(Arc::ptr_eq(&spanish, &p.get(Language::Spanish, text).await));
    }
}
