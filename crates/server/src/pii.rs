//! Personal data in what customers write: card numbers, social-security numbers, bank
//! accounts (IBAN), phone numbers and email addresses, found and masked before a
//! message is stored.
//!
//! Agents work on their own computers, so what they see by default is the masked text
//! ("[card ending 4242]"). A card number is never kept at all: no one's work needs it
//! after the customer typed it, and a center that keeps none has nothing to leak. The
//! other kinds are kept sealed beside the message ([`crate::secrets`]) and shown again
//! only to a staff member who gives a reason, which is recorded.
//!
//! Pure: text in, masked text and the hidden values out.

use serde::{Deserialize, Serialize};

/// A kind of personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A payment card number (13–19 digits passing the Luhn check).
    Card,
    /// A US social-security number (`123-45-6789`).
    Ssn,
    /// An international bank account number.
    Iban,
    /// A phone number (7–15 digits, with the usual separators).
    Phone,
    Email,
}

/// The associated-data name values are sealed under ([`crate::secrets::Sealer`]).
pub const SEALED_FIELD: &str = "message.pii";

impl Kind {
    /// As stored and sent: `card`, `ssn`, `iban`, `phone`, `email`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Card => "card",
            Kind::Ssn => "ssn",
            Kind::Iban => "iban",
            Kind::Phone => "phone",
            Kind::Email => "email",
        }
    }

    fn word(self) -> &'static str {
        match self {
            Kind::Card => "card",
            Kind::Ssn => "SSN",
            Kind::Iban => "bank account",
            Kind::Phone => "phone",
            Kind::Email => "email",
        }
    }

    /// Whether the value is kept (sealed) for a reveal; card numbers never are.
    pub fn kept(self) -> bool {
        self != Kind::Card
    }
}

/// One value found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub kind: Kind,
    /// Byte range in the text.
    pub start: usize,
    pub end: usize,
}

/// A masked text and what was taken out of it, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Masked {
    pub text: String,
    /// `(kind, mask as shown, the value)`.
    pub hidden: Vec<(Kind, String, String)>,
}

/// Every value in `text`, in order, none overlapping.
pub fn find(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    found.extend(emails(text));
    found.extend(ibans(text));
    found.extend(digit_runs(text));
    found.sort_by_key(|f| f.start);
    let mut kept: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        if kept.last().is_none_or(|last| f.start >= last.end) {
            kept.push(f);
        }
    }
    kept
}

/// `text` with each value replaced by its mask; `None` when there is nothing to hide.
pub fn mask(text: &str) -> Option<Masked> {
    let found = find(text);
    if found.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut hidden = Vec::with_capacity(found.len());
    let mut at = 0;
    for f in found {
        out.push_str(&text[at..f.start]);
        let value = &text[f.start..f.end];
        let shown = mask_of(f.kind, value);
        out.push_str(&shown);
        hidden.push((f.kind, shown, value.to_string()));
        at = f.end;
    }
    out.push_str(&text[at..]);
    Some(Masked { text: out, hidden })
}

/// What an agent sees in place of `value`.
pub fn mask_of(kind: Kind, value: &str) -> String {
    match kind {
        Kind::Email => {
            let (user, domain) = value.split_once('@').unwrap_or((value, ""));
            let first: String = user.chars().take(1).collect();
            format!("[email {first}•••@{domain}]")
        }
        _ => {
            let tail: String = {
                let alnum: Vec<char> = value.chars().filter(char::is_ascii_alphanumeric).collect();
                let keep = if kind == Kind::Phone { 2 } else { 4 };
                alnum[alnum.len().saturating_sub(keep)..].iter().collect()
            };
            format!("[{} ending {tail}]", kind.word())
        }
    }
}

/// The Luhn check of a string of ASCII digits.
pub fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

fn emails(text: &str) -> Vec<Found> {
    let b = text.as_bytes();
    let local = |c: u8| c.is_ascii_alphanumeric() || b"._%+-".contains(&c);
    let domain = |c: u8| c.is_ascii_alphanumeric() || c == b'.' || c == b'-';
    let mut out = Vec::new();
    for (i, _) in text.match_indices('@') {
        let mut s = i;
        while s > 0 && local(b[s - 1]) {
            s -= 1;
        }
        let mut e = i + 1;
        while e < b.len() && domain(b[e]) {
            e += 1;
        }
        while e > i + 1 && (b[e - 1] == b'.' || b[e - 1] == b'-') {
            e -= 1;
        }
        let host = &text[i + 1..e];
        let tld_ok = host.rsplit_once('.').is_some_and(|(name, tld)| {
            !name.is_empty() && tld.len() >= 2 && tld.bytes().all(|c| c.is_ascii_alphabetic())
        });
        if s < i && tld_ok {
            out.push(Found {
                kind: Kind::Email,
                start: s,
                end: e,
            });
        }
    }
    out
}

/// IBANs: two letters, two check digits, then letters and digits (upper case), written
/// solid or in groups of four, 15 to 34 in all, passing the mod-97 check.
fn ibans(text: &str) -> Vec<Found> {
    let b = text.as_bytes();
    let ok = |c: u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 4 <= b.len() {
        let starts_word = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        if !(starts_word
            && b[i].is_ascii_uppercase()
            && b[i + 1].is_ascii_uppercase()
            && b[i + 2].is_ascii_digit()
            && b[i + 3].is_ascii_digit())
        {
            i += 1;
            continue;
        }
        // The characters, and after which of them a group ends (where a match may end).
        let mut chars = Vec::new();
        let mut ends = Vec::new();
        let mut e = i;
        while e < b.len() && chars.len() < 34 {
            if ok(b[e]) {
                chars.push(b[e]);
                e += 1;
                let next = b.get(e).copied();
                if next.is_none_or(|n| !ok(n)) {
                    ends.push((chars.len(), e));
                }
            } else if b[e] == b' ' && b.get(e + 1).is_some_and(|n| ok(*n)) {
                e += 1;
            } else {
                break;
            }
        }
        let hit = ends.iter().rev().find(|(n, end)| {
            (15..=34).contains(n)
                && iban_ok(&chars[..*n])
                && b.get(*end).is_none_or(|c| !c.is_ascii_alphanumeric())
        });
        match hit {
            Some(&(_, end)) => {
                out.push(Found {
                    kind: Kind::Iban,
                    start: i,
                    end,
                });
                i = end;
            }
            None => i += 1,
        }
    }
    out
}

fn iban_ok(chars: &[u8]) -> bool {
    let mut rem = 0u32;
    for &c in chars[4..].iter().chain(&chars[..4]) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// Runs of digits with the separators people type inside numbers (space, dash, dot,
/// parentheses, a leading `+`): card numbers, SSNs and phone numbers.
fn digit_runs(text: &str) -> Vec<Found> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let starts = (b[i].is_ascii_digit()
            || (b[i] == b'+' || b[i] == b'(') && b.get(i + 1).is_some_and(|c| c.is_ascii_digit()))
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric());
        if !starts {
            i += 1;
            continue;
        }
        let mut e = i;
        let mut digits = Vec::new();
        while e < b.len() {
            let c = b[e];
            if c.is_ascii_digit() {
                digits.push(c);
                e += 1;
            } else if c == b')'
                || (matches!(c, b' ' | b'-' | b'.' | b'(' | b'+')
                    && b.get(e + 1)
                        .is_some_and(|n| n.is_ascii_digit() || *n == b'(')
                    && digits.len() < 19)
            {
                // A closing parenthesis ends an area code; the other separators count
                // only between digits.
                e += 1;
            } else {
                break;
            }
        }
        // Trim what cannot end a number.
        while e > i && !b[e - 1].is_ascii_digit() {
            e -= 1;
        }
        let run = &text[i..e];
        let kind = if (13..=19).contains(&digits.len()) && luhn(&digits) {
            Some(Kind::Card)
        } else if digits.len() == 9 && is_ssn(run) {
            Some(Kind::Ssn)
        } else if (7..=15).contains(&digits.len()) && looks_like_phone(run, &digits) {
            Some(Kind::Phone)
        } else {
            None
        };
        if let Some(kind) = kind {
            out.push(Found {
                kind,
                start: i,
                end: e,
            });
        }
        i = e.max(i + 1);
    }
    out
}

fn is_ssn(run: &str) -> bool {
    let parts: Vec<&str> = run.split(['-', ' ']).collect();
    parts.len() == 3
        && parts[0].len() == 3
        && parts[1].len() == 2
        && parts[2].len() == 4
        && parts[0] != "000"
        && parts[0] != "666"
        && !parts[0].starts_with('9')
}

/// A phone number: written with a `+` or an area code in parentheses, or ten digits or
/// more; seven to nine bare digits are as likely an order number or a date.
fn looks_like_phone(run: &str, digits: &[u8]) -> bool {
    run.starts_with('+') || run.starts_with('(') || digits.len() >= 10
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        find(text)
            .into_iter()
            .map(|f| (f.kind, &text[f.start..f.end]))
            .collect()
    }

    #[test]
    fn finds_each_kind_where_people_type_it() {
        assert_eq!(
            kinds("my card is 4242 4242 4242 4242, exp 12/29"),
            vec![(Kind::Card, "4242 4242 4242 4242")]
        );
        assert_eq!(
            kinds("card:4111-1111-1111-1111."),
            vec![(Kind::Card, "4111-1111-1111-1111")]
        );
        assert_eq!(
            kinds("SSN 123-45-6789 thanks"),
            vec![(Kind::Ssn, "123-45-6789")]
        );
        assert_eq!(
            kinds("call me on +1 (312) 555-0199 or mail ana.b@example.co.uk."),
            vec![
                (Kind::Phone, "+1 (312) 555-0199"),
                (Kind::Email, "ana.b@example.co.uk")
            ]
        );
        assert_eq!(
            kinds("IBAN GB82 WEST 1234 5698 7654 32 please"),
            vec![(Kind::Iban, "GB82 WEST 1234 5698 7654 32")]
        );
        assert_eq!(kinds("312-555-0199"), vec![(Kind::Phone, "312-555-0199")]);
    }

    #[test]
    fn leaves_alone_what_only_looks_like_a_number() {
        // Not Luhn-valid, an order number, a date, a price, a year, a version.
        assert!(
            kinds("4242 4242 4242 4241")
                .iter()
                .all(|(k, _)| *k != Kind::Card)
        );
        assert!(kinds("order 12345678 arrived").is_empty());
        assert!(kinds("on 2026-12-06 it cost 49.99").is_empty());
        assert!(kinds("since 1999, v2.3.1").is_empty());
        assert!(kinds("write to me @ home").is_empty());
        assert!(kinds("GB82 is not an account").is_empty());
    }

    #[test]
    fn masks_keep_the_end_and_cards_leave_nothing_behind() {
        let m = mask("Card 4242 4242 4242 4242 and ana@example.com").unwrap();
        assert_eq!(
            m.text,
            "Card [card ending 4242] and [email a•••@example.com]"
        );
        assert_eq!(m.hidden.len(), 2);
        assert!(!m.text.contains("4242 4242"));
        assert!(!Kind::Card.kept());
        assert!(Kind::Email.kept());
        assert_eq!(mask("nothing here"), None);
        assert_eq!(mask_of(Kind::Phone, "+1 312 555 0199"), "[phone ending 99]");
    }

    #[test]
    fn luhn_is_the_card_check() {
        assert!(luhn(b"4242424242424242"));
        assert!(luhn(b"79927398713"));
        assert!(!luhn(b"79927398710"));
    }

    proptest::proptest! {
        /// Whatever is typed: masking never panics (byte ranges stay on character
        /// boundaries), never leaves a found value in the text, and finds nothing new
        /// in its own masks.
        #[test]
        fn masking_is_total_and_final(text in "[ -~éü€0-9@.+()-]{0,120}") {
            if let Some(m) = mask(&text) {
                for (kind, _, value) in &m.hidden {
                    if *kind == Kind::Card {
                        proptest::prop_assert!(!m.text.contains(value.as_str()));
                    }
                }
                proptest::prop_assert!(find(&m.text).iter().all(|f| f.kind != Kind::Card));
            }
        }
    }
}
