//! The language a line speaks, and the sentences Homeshore itself says to callers.
//!
//! A flow's own prompts are whatever its admin wrote, in any language; what the server
//! adds — a waiting caller's place and expected wait, the callback offer, the
//! confirmation of a callback — must be in the same language, and spoken by a voice of
//! that language (a Spanish sentence read by an English voice is hard to follow on a
//! phone line). So a flow names its [`Language`] and each of these sentences exists in
//! every one. The voices are `espeak-ng`'s, which Debian ships for all of them.

use serde::{Deserialize, Serialize};

/// A language a line can speak.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Language {
    /// English (US voice).
    #[default]
    #[serde(rename = "en")]
    English,
    /// Spanish.
    #[serde(rename = "es")]
    Spanish,
    /// French.
    #[serde(rename = "fr")]
    French,
    /// German.
    #[serde(rename = "de")]
    German,
    /// Portuguese (Brazilian voice).
    #[serde(rename = "pt")]
    Portuguese,
    /// Italian.
    #[serde(rename = "it")]
    Italian,
}

impl Language {
    pub const ALL: [Language; 6] = [
        Language::English,
        Language::Spanish,
        Language::French,
        Language::German,
        Language::Portuguese,
        Language::Italian,
    ];

    /// The tag flows use (`"es"`).
    pub fn tag(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Spanish => "es",
            Language::French => "fr",
            Language::German => "de",
            Language::Portuguese => "pt",
            Language::Italian => "it",
        }
    }

    /// The `espeak-ng` voice that reads it.
    pub fn voice(self) -> &'static str {
        match self {
            Language::English => "en-us",
            Language::Spanish => "es",
            Language::French => "fr-fr",
            Language::German => "de",
            Language::Portuguese => "pt-br",
            Language::Italian => "it",
        }
    }

    pub fn is_english(&self) -> bool {
        *self == Language::English
    }

    /// What a caller waiting in line is told: their place, the expected wait (whole
    /// minutes, at least one), and the callback offer where the queue step makes one.
    pub fn announcement(self, position: usize, wait_s: u64, callback: bool) -> String {
        let p = self.phrases();
        let minutes = wait_s.div_ceil(60).max(1);
        let place = if position <= 1 {
            p.next.to_string()
        } else {
            p.number.replace("{n}", &position.to_string())
        };
        let wait = if minutes == 1 {
            p.one_minute.to_string()
        } else {
            p.minutes.replace("{n}", &minutes.to_string())
        };
        if callback {
            format!("{place} {wait} {}", p.offer)
        } else {
            format!("{place} {wait}")
        }
    }

    /// What a caller who asked for a callback hears before the call ends: the number
    /// it will be made to, digit by digit.
    pub fn callback_kept(self, number: &str) -> String {
        let digits: Vec<String> = number
            .trim_start_matches('+')
            .chars()
            .map(String::from)
            .collect();
        self.phrases().kept.replace("{digits}", &digits.join(" "))
    }

    fn phrases(self) -> &'static Phrases {
        match self {
            Language::English => &ENGLISH,
            Language::Spanish => &SPANISH,
            Language::French => &FRENCH,
            Language::German => &GERMAN,
            Language::Portuguese => &PORTUGUESE,
            Language::Italian => &ITALIAN,
        }
    }
}

/// One language's sentences; `{n}` and `{digits}` are filled in.
struct Phrases {
    next: &'static str,
    number: &'static str,
    one_minute: &'static str,
    minutes: &'static str,
    offer: &'static str,
    kept: &'static str,
}

const ENGLISH: Phrases = Phrases {
    next: "You are next in line.",
    number: "You are number {n} in line.",
    one_minute: "The expected wait is about one minute.",
    minutes: "The expected wait is about {n} minutes.",
    offer: "To be called back instead, keeping your place in line, press 1.",
    kept: "Thank you. We will call you back at {digits}, keeping your place in line. Goodbye.",
};

const SPANISH: Phrases = Phrases {
    next: "Usted es el siguiente en la fila.",
    number: "Usted es el número {n} en la fila.",
    one_minute: "El tiempo de espera es de aproximadamente un minuto.",
    minutes: "El tiempo de espera es de aproximadamente {n} minutos.",
    offer: "Para que le devolvamos la llamada sin perder su lugar en la fila, pulse 1.",
    kept: "Gracias. Le devolveremos la llamada al {digits}, sin perder su lugar en la fila. Adiós.",
};

const FRENCH: Phrases = Phrases {
    next: "Vous êtes le prochain dans la file.",
    number: "Vous êtes le numéro {n} dans la file.",
    one_minute: "L'attente prévue est d'environ une minute.",
    minutes: "L'attente prévue est d'environ {n} minutes.",
    offer: "Pour être rappelé sans perdre votre place dans la file, appuyez sur 1.",
    kept: "Merci. Nous vous rappellerons au {digits}, sans que vous perdiez votre place dans la file. Au revoir.",
};

const GERMAN: Phrases = Phrases {
    next: "Sie sind als Nächstes an der Reihe.",
    number: "Sie sind Nummer {n} in der Warteschlange.",
    one_minute: "Die voraussichtliche Wartezeit beträgt etwa eine Minute.",
    minutes: "Die voraussichtliche Wartezeit beträgt etwa {n} Minuten.",
    offer: "Um zurückgerufen zu werden und Ihren Platz in der Warteschlange zu behalten, drücken Sie die 1.",
    kept: "Vielen Dank. Wir rufen Sie unter {digits} zurück, Ihr Platz in der Warteschlange bleibt erhalten. Auf Wiederhören.",
};

const PORTUGUESE: Phrases = Phrases {
    next: "Você é o próximo da fila.",
    number: "Você é o número {n} da fila.",
    one_minute: "O tempo de espera previsto é de cerca de um minuto.",
    minutes: "O tempo de espera previsto é de cerca de {n} minutos.",
    offer: "Para receber uma ligação de volta sem perder seu lugar na fila, pressione 1.",
    kept: "Obrigado. Ligaremos de volta para {digits}, sem que você perca seu lugar na fila. Tchau.",
};

const ITALIAN: Phrases = Phrases {
    next: "Lei è il prossimo in coda.",
    number: "Lei è il numero {n} in coda.",
    one_minute: "L'attesa prevista è di circa un minuto.",
    minutes: "L'attesa prevista è di circa {n} minuti.",
    offer: "Per essere richiamato mantenendo il suo posto in coda, prema 1.",
    kept: "Grazie. La richiameremo al numero {digits}, mantenendo il suo posto in coda. Arrivederci.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_announcements_say_place_and_wait() {
        let en = Language::English;
        assert_eq!(
            en.announcement(1, 30, false),
            "You are next in line. The expected wait is about one minute."
        );
        assert_eq!(
            en.announcement(4, 200, true),
            "You are number 4 in line. The expected wait is about 4 minutes. To be called back instead, keeping your place in line, press 1."
        );
        assert_eq!(
            en.callback_kept("+15551234"),
            "Thank you. We will call you back at 1 5 5 5 1 2 3 4, keeping your place in line. Goodbye."
        );
    }

    #[test]
    fn every_language_says_the_figures_and_offers_the_callback_on_key_1() {
        for lang in Language::ALL {
            let a = lang.announcement(7, 600, true);
            assert!(a.contains(" 7 ") && a.contains(" 10 "), "{lang:?}: {a}");
            assert!(a.trim_end_matches('.').ends_with('1'), "{lang:?}: {a}");
            let quiet = lang.announcement(7, 600, false);
            assert!(a.starts_with(&quiet) && a.len() > quiet.len(), "{lang:?}");
            // Only English is in English.
            assert_eq!(a.contains("line"), lang.is_english(), "{lang:?}: {a}");
            assert!(lang.callback_kept("+4930").contains("4 9 3 0"), "{lang:?}");
        }
    }

    #[test]
    fn tags_read_back_and_an_unknown_one_is_refused() {
        for lang in Language::ALL {
            let json = format!("\"{}\"", lang.tag());
            assert_eq!(serde_json::from_str::<Language>(&json).unwrap(), lang);
        }
        let err = serde_json::from_str::<Language>("\"xx\"").unwrap_err();
        assert!(err.to_string().contains("expected one of"), "{err}");
    }
}
