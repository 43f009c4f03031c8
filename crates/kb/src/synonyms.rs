//! Synonyms: groups of words or phrases that mean the same thing to a customer ("money
//! back" and "refund"). They are applied to the question, never to the index, so an
//! organisation can change them without reindexing.

use serde::{Deserialize, Serialize};

/// Groups of interchangeable words or phrases, per organisation and language.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Synonyms {
    pub groups: Vec<Vec<String>>,
}

impl Synonyms {
    pub fn new(groups: &[&[&str]]) -> Synonyms {
        Synonyms {
            groups: groups
                .iter()
                .map(|g| g.iter().map(|w| w.to_lowercase()).collect())
                .collect(),
        }
    }

    /// A set that suits a retail shop's English help center.
    pub fn retail_en() -> Synonyms {
        Synonyms::new(&[
            &[
                "refund",
                "money back",
                "reimburse",
                "reimbursement",
                "repay",
            ],
            &["parcel", "package", "shipment"],
            &["delivery", "shipping", "postage", "courier"],
            &["cancel", "call off", "stop"],
            &["return", "send back", "bring back"],
            &["password", "passcode", "log in details", "login details"],
            &["sign in", "log in", "login"],
            &["account", "profile"],
            &[
                "voucher",
                "coupon",
                "promo code",
                "discount code",
                "gift card",
            ],
            &["exchange", "swap", "replace"],
            &["broken", "damaged", "faulty", "defective", "cracked"],
            &[
                "late",
                "delayed",
                "not arrived",
                "hasn't arrived",
                "missing",
            ],
            &["pay", "payment", "paid", "charge", "charged"],
            &["card", "credit card", "debit card"],
            &["track", "tracking", "where is"],
            &["address", "postcode", "zip code"],
            &["email", "e-mail", "mail"],
            &["size", "fit", "sizing"],
            &["invoice", "receipt"],
            &["unsubscribe", "newsletter", "marketing emails"],
            &["out of stock", "sold out", "unavailable"],
        ])
    }

    /// For each group with a member in `question` (whole words, case ignored), the pairs
    /// (member found, other members): the alternatives the question may be searched with.
    pub fn expand(&self, question: &str) -> Vec<(String, Vec<String>)> {
        let words = normalise(question);
        let mut out = Vec::new();
        for group in &self.groups {
            for member in group {
                if contains_phrase(&words, member) {
                    let others = group.iter().filter(|m| *m != member).cloned().collect();
                    out.push((member.clone(), others));
                    break;
                }
            }
        }
        out
    }
}

/// Lower-cased words padded with spaces, so a phrase matches on word boundaries.
fn normalise(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + 2);
    s.push(' ');
    for w in text
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
    {
        s.push_str(&w.to_lowercase());
        s.push(' ');
    }
    s
}

fn contains_phrase(words: &str, phrase: &str) -> bool {
    let p = normalise(phrase);
    p.len() > 2 && words.contains(&p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phrase_in_the_question_brings_its_group() {
        let s = Synonyms::retail_en();
        let found = s.expand("When do I get my Money Back?");
        assert!(
            found
                .iter()
                .any(|(m, others)| m == "money back" && others.contains(&"refund".to_string()))
        );
    }

    #[test]
    fn phrases_match_whole_words_only() {
        let s = Synonyms::new(&[&["card", "gift card"]]);
        assert!(s.expand("discarded items").is_empty());
        assert_eq!(s.expand("my card").len(), 1);
    }
}
