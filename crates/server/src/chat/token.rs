//! The customer's bearer secret for one chat.
//!
//! `hsc_` + base64url(16 bytes of the organisation id ‖ 32 random bytes). The random part
//! comes from the thread's CSPRNG (seeded by the OS); the organisation id in front lets
//! the server find the chat's organisation without a cross-organisation lookup (it is
//! not secret: the widget's page names the organisation anyway). The server keeps only
//! the SHA-256 of the whole token: a leaked database lets no one write into a chat. The
//! secret is long and random, so a fast hash is right here (passwords need Argon2).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The prefix that marks a customer chat token (secret scanners and logs can spot it).
pub const PREFIX: &str = "hsc_";

/// base64url length of 48 bytes, unpadded.
const BODY_LEN: usize = 64;

/// A fresh token for a chat of `org`: the secret to hand to the customer and the hash to
/// store.
pub fn generate(org: Uuid) -> (String, String) {
    let random: [u8; 32] = rand::random();
    let mut bytes = [0u8; 48];
    bytes[..16].copy_from_slice(org.as_bytes());
    bytes[16..].copy_from_slice(&random);
    let secret = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash(&secret);
    (secret, hash)
}

/// The organisation a well-formed token belongs to.
pub fn org_of(secret: &str) -> Option<Uuid> {
    let body = secret.strip_prefix(PREFIX)?;
    if body.len() != BODY_LEN {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(body).ok()?;
    let org: [u8; 16] = bytes.get(..16)?.try_into().ok()?;
    Some(Uuid::from_bytes(org))
}

/// The stored form of a token: lowercase hex SHA-256 of the whole secret.
pub fn hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `secret` is the token whose stored hash is `stored`, compared in constant time.
pub fn verify(secret: &str, stored: &str) -> bool {
    if org_of(secret).is_none() {
        return false;
    }
    let computed = hash(secret);
    let (a, b) = (computed.as_bytes(), stored.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_verify_against_their_hash_only() {
        let org = Uuid::now_v7();
        let (a, ha) = generate(org);
        let (b, hb) = generate(org);
        assert_ne!(a, b);
        assert_ne!(ha, hb);
        assert!(a.starts_with(PREFIX));
        assert!(verify(&a, &ha));
        assert!(!verify(&a, &hb));
        assert!(!verify(&b, &ha));
        assert_eq!(ha.len(), 64);
        assert_eq!(org_of(&a), Some(org));
    }

    #[test]
    fn malformed_tokens_are_refused_before_hashing() {
        let (a, ha) = generate(Uuid::now_v7());
        assert!(!verify("", &ha));
        assert!(!verify(&a[PREFIX.len()..], &ha));
        assert!(!verify(&format!("{a}x"), &ha));
        assert_eq!(org_of("hsc_../../../../etc/passwd"), None);
        assert_eq!(org_of("hs_abc"), None);
        // Same length, not base64url.
        assert_eq!(org_of(&format!("{PREFIX}{}", "!".repeat(BODY_LEN))), None);
    }
}
