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
        let minutes = wait_s.div_ceil(60).max(1);
        let next = position <= 1;
        let (place, wait, offer) = match self {
            Language::English => (
                if next {
                    "You are next in line.".to_string()
                } else {
                    format!("You are number {position} in line.")
                },
                if minutes == 1 {
                    "The expected wait is about one minute.".to_string()
                } else {
                    format!("The expected wait is about {minutes} minutes.")
                },
                "To be called back instead, keeping your place in line, press 1.",
            ),
            Language::Spanish => (
                if next {
                    "Usted es el siguiente en la fila.".to_string()
                } else {
                    format!("Usted es el número {position} en la fila.")
                },
                if minutes == 1 {
                    "El tiempo de espera es de aproximadamente un minuto.".to_string()
                } else {
                    format!("El tiempo de espera es de aproximadamente {minutes} minutos.")
                },
                "Para que le devolvamos la llamada sin perder su lugar en la fila, pulse 1.",
            ),
            Language::French => (
                if next {
                    "Vous êtes le prochain dans la file.".to_string()
                } else {
                    format!("Vous êtes le numéro {position} dans la file.")
                },
                if minutes == 1 {
                    "L'attente prévue est d'environ une minute.".to_string()
                } else {
                    format!("L'attente prévue est d'environ {minutes} minutes.")
                },
                "Pour être rappelé sans perdre votre place dans la file, appuyez sur 1.",
            ),
            Language::German => (
                if next {
                    "Sie sind als Nächstes an der Reihe.".to_string()
                } else {
                    format!("Sie sind Nummer {position} in der Warteschlange.")
                },
                if minutes == 1 {
                    "Die voraussichtliche Wartezeit beträgt etwa eine Minute.".to_string()
                } else {
                    format!("Die voraussichtliche Wartezeit beträgt etwa {minutes} Minuten.")
                },
                "Um zurückgerufen zu werden und Ihren Platz in der Warteschlange zu behalten, drücken Sie die 1.",
            ),
            Language::Portuguese => (
                if next {
                    "Você é o próximo da fila.".to_string()
                } else {
                    format!("Você é o número {position} da fila.")
                },
                if minutes == 1 {
                    "O tempo de espera previsto é de cerca de um minuto.".to_string()
                } else {
                    format!("O tempo de espera previsto é de cerca de {minutes} minutos.")
                },
                "Para receber uma ligação de volta sem perder seu lugar na fila, pressione 1.",
            ),
            Language::Italian => (
                if next {
                    "Lei è il prossimo in coda.".to_string()
                } else {
                    format!("Lei è il numero {position} in coda.")
                },
                if minutes == 1 {
                    "L'attesa prevista è di circa un minuto.".to_string()
                } else {
                    format!("L'attesa prevista è di circa {minutes} minuti.")
                },
                "Per essere richiamato mantenendo il suo posto in coda, prema 1.",
            ),
        };
        if callback {
            format!("{place} {wait} {offer}")
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
        let digits = digits.join(" ");
        match self {
            Language::English => format!(
                "Thank you. We will call you back at {digits}, keeping your place in line. Goodbye."
            ),
            Language::Spanish => format!(
                "Gracias. Le devolveremos la llamada al {digits}, sin perder su lugar en la fila. Adiós."
            ),
            Language::French => format!(
                "Merci. Nous vous rappellerons au {digits}, sans que vous perdiez votre place dans la file. Au revoir."
            ),
            Language::German => format!(
                "Vielen Dank. Wir rufen Sie unter {digits} zurück, Ihr Platz in der Warteschlange bleibt erhalten. Auf Wiederhören."
            ),
            Language::Portuguese => format!(
                "Obrigado. Ligaremos de volta para {digits}, sem que você perca seu lugar na fila. Tchau."
            ),
            Language::Italian => format!(
                "Grazie. La richiameremo al numero {digits}, mantenendo il suo posto in coda. Arrivederci."
            ),
        }
    }
}

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
