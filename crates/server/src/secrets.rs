//! Credentials at rest: the providers' tokens and secrets an admin enters (Twilio's auth
//! token, Meta's access tokens and app secret, a webhook's signing secret) are stored
//! sealed, so that a copy of the database (a backup, a disk on hardware the company does
//! not own) does not give anyone the keys to its SMS number or WhatsApp account.
//!
//! - ChaCha20-Poly1305 with a 256-bit key that never enters the database: from
//!   `secret_key` (`HOMESHORE_SECRET_KEY`, 64 hex digits or base64; every node of a
//!   center needs the same), else a `secret.key` file created in the data directory
//!   (readable by its owner only) on first start.
//! - A sealed value is `enc:v1:` and the base64 of a random 96-bit nonce and the
//!   ciphertext. The organisation and the field's name are the associated data: a value
//!   copied into another organisation or another field does not open.
//! - A value without the prefix (written before sealing existed) is read as it is, and
//!   sealed when the endpoint is next saved.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use uuid::Uuid;

const PREFIX: &str = "enc:v1:";
/// The key file's name in the data directory.
pub const KEY_FILE: &str = "secret.key";

/// Seals and opens credentials with the center's key.
#[derive(Clone)]
pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(…)")
    }
}

fn aad(org: Uuid, field: &str) -> Vec<u8> {
    let mut a = org.as_bytes().to_vec();
    a.extend_from_slice(field.as_bytes());
    a
}

impl Sealer {
    /// A key given as 64 hex digits or as base64 of 32 bytes.
    pub fn from_key_text(text: &str) -> Result<Sealer, String> {
        let text = text.trim();
        let bytes = hex::decode(text)
            .ok()
            .filter(|b| b.len() == 32)
            .or_else(|| B64.decode(text).ok().filter(|b| b.len() == 32))
            .ok_or_else(|| {
                "secret_key: 32 bytes, as 64 hex digits or base64 (make one with `openssl rand -hex 32`)"
                    .to_string()
            })?;
        let cipher = ChaCha20Poly1305::new_from_slice(&bytes).map_err(|e| e.to_string())?;
        Ok(Sealer { cipher })
    }

    /// A fresh random key, as text.
    pub fn new_key_text() -> String {
        let k: [u8; 32] = rand::random();
        hex::encode(k)
    }

    /// `plain` sealed for `field` of `org`'s settings.
    pub fn seal(&self, org: Uuid, field: &str, plain: &str) -> String {
        let nonce: [u8; 12] = rand::random();
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: &aad(org, field),
                },
            )
            .expect("ChaCha20-Poly1305 seals any length a setting has");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}", B64.encode(out))
    }

    /// The plain value of a stored one: opened if sealed (`None` if it does not open
    /// with this key, organisation and field), as it is if it predates sealing.
    pub fn open(&self, org: Uuid, field: &str, stored: &str) -> Option<String> {
        let Some(b64) = stored.strip_prefix(PREFIX) else {
            return Some(stored.to_string());
        };
        let raw = B64.decode(b64).ok()?;
        if raw.len() < 12 + 16 {
            return None;
        }
        let (nonce, sealed) = raw.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        let plain = self
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad(org, field),
                },
            )
            .ok()?;
        String::from_utf8(plain).ok()
    }

    /// Whether a stored value is sealed.
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }
}

/// The key in `dir/secret.key`, made (readable by its owner only) if there is none.
pub fn load_or_create_key(dir: &Path) -> std::io::Result<String> {
    let path = dir.join(KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(k) => return Ok(k.trim().to_string()),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        Err(_) => {}
    }
    store::private_dir(dir)?;
    let key = Sealer::new_key_text();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    match opts.open(&path) {
        Ok(mut f) => {
            use std::io::Write as _;
            f.write_all(format!("{key}\n").as_bytes())?;
            f.sync_all()?;
            Ok(key)
        }
        // Another process made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read_to_string(&path)?.trim().to_string())
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_organisation_and_field() {
        let s = Sealer::from_key_text(&Sealer::new_key_text()).unwrap();
        let org = Uuid::now_v7();
        let sealed = s.seal(org, "auth_token", "twilio-secret-token");
        assert!(Sealer::is_sealed(&sealed));
        assert!(!sealed.contains("twilio-secret-token"));
        assert_ne!(
            sealed,
            s.seal(org, "auth_token", "twilio-secret-token"),
            "fresh nonce"
        );
        assert_eq!(
            s.open(org, "auth_token", &sealed).as_deref(),
            Some("twilio-secret-token")
        );
        assert_eq!(
            s.open(Uuid::now_v7(), "auth_token", &sealed),
            None,
            "another organisation"
        );
        assert_eq!(s.open(org, "app_secret", &sealed), None, "another field");
        let other = Sealer::from_key_text(&Sealer::new_key_text()).unwrap();
        assert_eq!(other.open(org, "auth_token", &sealed), None, "another key");
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(s.open(org, "auth_token", &tampered), None);
        // Written before sealing: read as it is.
        assert_eq!(s.open(org, "auth_token", "plain").as_deref(), Some("plain"));
    }

    #[test]
    fn keys_are_read_as_hex_or_base64_and_bad_ones_refused() {
        let hex_key = Sealer::new_key_text();
        let b64_key = B64.encode(hex::decode(&hex_key).unwrap());
        let org = Uuid::now_v7();
        let sealed = Sealer::from_key_text(&hex_key).unwrap().seal(org, "f", "v");
        let opened = Sealer::from_key_text(&b64_key)
            .unwrap()
            .open(org, "f", &sealed);
        assert_eq!(opened.as_deref(), Some("v"));
        assert!(Sealer::from_key_text("short").is_err());
        assert!(Sealer::from_key_text(&"ab".repeat(31)).is_err());
    }

    #[test]
    fn the_key_file_is_made_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create_key(dir.path()).unwrap();
        let b = load_or_create_key(dir.path()).unwrap();
        assert_eq!(a, b);
        assert!(Sealer::from_key_text(&a).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "owner only: {mode:o}");
        }
    }
}
