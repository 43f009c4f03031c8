//! The answer bot's decision: answer from an article, or hand the customer to a person.
//! Pure: the question and the search's hits go in, the decision comes out. The bot never
//! invents an answer; when it is not sure, or the customer asks for a person, it hands over.

use serde::{Deserialize, Serialize};

use crate::Hit;

/// Why the bot handed a customer over to a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoverReason {
    /// The customer asked for a person ("agent", "human"…).
    AskedForPerson,
    /// No article matched the question at all.
    NoMatch,
    /// The best article was not a confident enough answer.
    LowConfidence,
}

/// What the bot does with a question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Answer { article_id: String, confidence: f32 },
    Handover { reason: HandoverReason },
}

/// The bot's settings. `min_confidence` is calibrated on the demo question set
/// (`tests/recall.rs`): at it, no question without an answer in the knowledge base is
/// answered, and most answerable ones are.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BotConfig {
    pub min_confidence: f32,
}

impl Default for BotConfig {
    fn default() -> Self {
        BotConfig {
            min_confidence: 0.8,
        }
    }
}

/// How sure the bot is that `hits[0]` answers the question, in 0..=1: mostly how much of
/// the question the article covers (rare words weigh more), less when the runner-up
/// covers as much (two articles answer equally: the question is ambiguous), and less for
/// a one-word question, which says little.
pub fn confidence(hits: &[Hit]) -> f32 {
    let Some(top) = hits.first() else {
        return 0.0;
    };
    let mut c = top.coverage.clamp(0.0, 1.0);
    if let Some(second) = hits.get(1) {
        // A clear winner by BM25 keeps its coverage; a tie with an equally covering
        // runner-up loses a little.
        let margin = if top.score > 0.0 {
            ((top.score - second.score) / top.score).clamp(0.0, 1.0)
        } else {
            0.0
        };
        if second.coverage >= top.coverage {
            c *= 0.9 + 0.1 * margin;
        }
    }
    if top.terms <= 1 {
        c *= 0.9;
    }
    c
}

/// Answer or hand over.
pub fn decide(question: &str, hits: &[Hit], config: &BotConfig) -> Decision {
    if asks_for_person(question) {
        return Decision::Handover {
            reason: HandoverReason::AskedForPerson,
        };
    }
    let Some(top) = hits.first() else {
        return Decision::Handover {
            reason: HandoverReason::NoMatch,
        };
    };
    if top.coverage <= 0.0 {
        return Decision::Handover {
            reason: HandoverReason::NoMatch,
        };
    }
    let c = confidence(hits);
    if c >= config.min_confidence {
        Decision::Answer {
            article_id: top.id.clone(),
            confidence: c,
        }
    } else {
        Decision::Handover {
            reason: HandoverReason::LowConfidence,
        }
    }
}

/// Whether the customer asks for a person, in English, French, German or Spanish.
pub fn asks_for_person(text: &str) -> bool {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    const ALONE: &[&str] = &[
        "agent",
        "agents",
        "human",
        "humans",
        "person",
        "representative",
        "rep",
        "operator",
        "advisor",
        "adviser",
        "staff",
        "somebody",
        "someone",
        "humain",
        "conseiller",
        "conseillère",
        "mitarbeiter",
        "mensch",
        "menschen",
        "berater",
        "agente",
        "humano",
        "persona",
        "asesor",
        "operador",
    ];
    const PHRASES: &[&str] = &[
        "real person",
        "customer service",
        "call me",
        "talk to a",
        "speak to a",
        "speak with a",
        "talk with a",
        "live chat",
    ];
    words.iter().any(|w| ALONE.contains(w)) || PHRASES.iter().any(|p| lower.contains(p))
}

/// Whether a message only thanks or says goodbye ("thanks!", "ok that helped", "merci"):
/// after an answer, the bot acknowledges it instead of handing over a question it
/// cannot find. A question (a `?`) or a longer message is never one.
pub fn is_thanks(text: &str) -> bool {
    let lower = text.to_lowercase();
    if lower.contains('?') {
        return false;
    }
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() || words.len() > 6 {
        return false;
    }
    const THANKS: &[&str] = &[
        "thanks",
        "thank",
        "thx",
        "ty",
        "cheers",
        "great",
        "perfect",
        "ok",
        "okay",
        "bye",
        "goodbye",
        "helped",
        "merci",
        "danke",
        "gracias",
        "awesome",
        "brilliant",
        "solved",
    ];
    const OTHER: &[&str] = &[
        "you", "that", "it", "this", "so", "much", "a", "lot", "very", "got", "all", "good",
        "thats", "that's", "fine", "now", "beaucoup", "schön", "vielen", "muchas", "oh", "yes",
        "nice", "works", "worked", "has", "have", "for", "the", "help",
    ];
    words.iter().any(|w| THANKS.contains(w))
        && words
            .iter()
            .all(|w| THANKS.contains(w) || OTHER.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thanks_are_told_from_questions() {
        for t in [
            "Thanks!",
            "ok that helped",
            "thank you so much",
            "merci beaucoup",
            "great, thx",
        ] {
            assert!(is_thanks(t), "{t}");
        }
        for t in [
            "thanks, but where is my parcel",
            "ok?",
            "my refund has not arrived",
            "",
            "thanks thanks thanks thanks thanks thanks thanks",
        ] {
            assert!(!is_thanks(t), "{t}");
        }
    }

    fn hit(id: &str, score: f32, coverage: f32, terms: usize) -> Hit {
        Hit {
            id: id.into(),
            title: id.into(),
            category: "c".into(),
            locale: "en".into(),
            score,
            coverage,
            terms,
        }
    }

    #[test]
    fn asking_for_a_person_hands_over_whatever_the_hits() {
        let hits = [hit("a", 10.0, 1.0, 3)];
        for q in [
            "agent",
            "Can I talk to a HUMAN please",
            "I want a real person",
            "representative!",
            "je veux un conseiller",
        ] {
            assert_eq!(
                decide(q, &hits, &BotConfig::default()),
                Decision::Handover {
                    reason: HandoverReason::AskedForPerson
                },
                "{q}"
            );
        }
        assert!(!asks_for_person("Where is my parcel?"));
        assert!(!asks_for_person("management fees"), "no word inside a word");
    }

    #[test]
    fn no_hits_or_no_coverage_is_no_match() {
        let c = BotConfig::default();
        let no = Decision::Handover {
            reason: HandoverReason::NoMatch,
        };
        assert_eq!(decide("weather", &[], &c), no);
        assert_eq!(decide("weather", &[hit("a", 1.0, 0.0, 1)], &c), no);
    }

    #[test]
    fn covered_questions_are_answered_and_partial_ones_handed_over() {
        let c = BotConfig::default();
        assert!(matches!(
            decide("x", &[hit("a", 9.0, 1.0, 3), hit("b", 3.0, 0.4, 3)], &c),
            Decision::Answer { ref article_id, .. } if article_id == "a"
        ));
        assert_eq!(
            decide("x", &[hit("a", 9.0, 0.5, 3)], &c),
            Decision::Handover {
                reason: HandoverReason::LowConfidence
            }
        );
    }
}
