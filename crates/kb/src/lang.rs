//! Languages the index knows: each has its own analyzer (stop words, stemmer), and its own
//! pair of indexed fields, so a French article is stemmed as French and found by a French
//! question. Locales we have no stemmer for fall back to a plain analyzer.

use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};

/// A language with its own analyzer and fields. `Other` is lower-cased words, no stemming.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Fr,
    De,
    Es,
    It,
    Nl,
    Pt,
    Other,
}

impl Lang {
    pub const ALL: [Lang; 8] = [
        Lang::En,
        Lang::Fr,
        Lang::De,
        Lang::Es,
        Lang::It,
        Lang::Nl,
        Lang::Pt,
        Lang::Other,
    ];

    /// The language of a locale such as `en`, `en-GB` or `fr_CA` (case ignored).
    pub fn of_locale(locale: &str) -> Lang {
        let primary = locale
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Lang::En,
            "fr" => Lang::Fr,
            "de" => Lang::De,
            "es" => Lang::Es,
            "it" => Lang::It,
            "nl" => Lang::Nl,
            "pt" => Lang::Pt,
            _ => Lang::Other,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::De => "de",
            Lang::Es => "es",
            Lang::It => "it",
            Lang::Nl => "nl",
            Lang::Pt => "pt",
            Lang::Other => "xx",
        }
    }

    fn stemmer(self) -> Option<Language> {
        Some(match self {
            Lang::En => Language::English,
            Lang::Fr => Language::French,
            Lang::De => Language::German,
            Lang::Es => Language::Spanish,
            Lang::It => Language::Italian,
            Lang::Nl => Language::Dutch,
            Lang::Pt => Language::Portuguese,
            Lang::Other => return None,
        })
    }

    /// The tokenizer's registered name for indexing this language's fields.
    pub(crate) fn tokenizer_name(self) -> String {
        format!("kb_{}", self.code())
    }

    /// The analyzer articles are indexed with.
    pub(crate) fn analyzer(self) -> TextAnalyzer {
        self.build(&[])
    }

    /// The analyzer questions are read with: the article analyzer less the words that make
    /// a question a question ("how do I…"), which say nothing about its topic.
    pub(crate) fn question_analyzer(self) -> TextAnalyzer {
        self.build(self.question_words())
    }

    fn build(self, extra_stop: &[&str]) -> TextAnalyzer {
        let mut builder = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .dynamic();
        if let Some(stop) = self.stemmer().and_then(StopWordFilter::new) {
            builder = builder.filter_dynamic(stop);
        }
        if !extra_stop.is_empty() {
            builder = builder.filter_dynamic(StopWordFilter::remove(
                extra_stop.iter().map(|w| w.to_string()),
            ));
        }
        if let Some(language) = self.stemmer() {
            builder = builder.filter_dynamic(Stemmer::new(language));
        }
        builder.build()
    }

    /// Words that carry no topic in a customer's question (beyond the index's stop words).
    fn question_words(self) -> &'static [&'static str] {
        match self {
            Lang::En => &[
                "i", "im", "ive", "me", "my", "mine", "we", "our", "us", "you", "your", "how",
                "what", "whats", "why", "who", "which", "can", "could", "do", "does", "did",
                "done", "doing", "am", "has", "have", "had", "should", "would", "want", "wanted",
                "need", "like", "please", "pls", "hi", "hello", "hey", "thanks", "thank", "get",
                "got", "know", "tell", "help", "much", "many", "long", "s", "t", "d", "ll", "don",
                "doesn", "didn", "isn", "still", "yet", "just", "any", "some", "so", "about",
                "from", "up", "there", "here", "been", "one", "all", "again", "out", "very",
                "really", "good", "day", "morning", "anyone", "able", "let", "make", "ok", "okay",
                "yes", "also", "too", "dont",
            ],
            Lang::Fr => &[
                "je", "j", "me", "m", "mon", "ma", "mes", "vous", "votre", "vos", "comment",
                "quand", "où", "pourquoi", "quel", "quelle", "est", "puis", "peux", "pouvez",
                "bonjour", "merci", "svp",
            ],
            Lang::De => &[
                "ich", "mein", "meine", "meinen", "wie", "wann", "wo", "warum", "kann", "können",
                "hallo", "bitte", "danke",
            ],
            Lang::Es => &[
                "yo", "mi", "mis", "cómo", "como", "cuándo", "dónde", "por", "qué", "puedo",
                "hola", "gracias",
            ],
            _ => &[],
        }
    }
}

/// The distinct terms an analyzer makes of a text, in order of first appearance.
pub(crate) fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = &stream.token().text;
        if !out.iter().any(|o| o == t) {
            out.push(t.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_map_to_languages() {
        assert_eq!(Lang::of_locale("en-GB"), Lang::En);
        assert_eq!(Lang::of_locale("FR_ca"), Lang::Fr);
        assert_eq!(Lang::of_locale("ja"), Lang::Other);
        assert_eq!(Lang::of_locale(""), Lang::Other);
    }

    #[test]
    fn english_is_stemmed_and_questions_lose_their_question_words() {
        let mut a = Lang::En.analyzer();
        assert_eq!(terms(&mut a, "Returning the parcels"), ["return", "parcel"]);
        let mut q = Lang::En.question_analyzer();
        assert_eq!(
            terms(&mut q, "How do I return my parcel?"),
            ["return", "parcel"]
        );
    }

    #[test]
    fn french_is_stemmed_as_french() {
        let mut a = Lang::Fr.analyzer();
        assert_eq!(
            terms(&mut a, "remboursements"),
            terms(&mut a, "remboursement")
        );
    }
}
