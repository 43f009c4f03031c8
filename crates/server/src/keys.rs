//! Encryption at rest: what customers write (message bodies, internal notes, attachments)
//! is stored sealed under a key of its organisation, so that a copy of the database or of
//! the data directory (a backup, a disk on hardware the company does not own) holds no
//! conversation in clear.
//!
//! The key hierarchy has two levels:
//!
//! - The **master key** (`secret_key` / `HOMESHORE_SECRET_KEY`, else `secret.key` in the
//!   data directory, see [`crate::secrets`]) never enters the database. It only wraps
//!   data keys, behind the [`KeyWrap`] trait: a KMS (Vault transit, AWS KMS, …) plugs in
//!   through the operator's command ([`KmsCommand`]), and then the master key never
//!   enters this process either.
//! - Each organisation has **data keys** (random 256 bits), stored wrapped in the
//!   `data_keys` table with a number. The highest number is the one new writes use
//!   ("current"); older keys stay to read what they sealed. `homeshore keys rotate`
//!   adds a key; `homeshore keys reencrypt` moves every ciphertext to the current key,
//!   after which the older keys seal nothing. A running server notices a new key within
//!   [`REFRESH`] (and at once when it meets a ciphertext under a key it has not loaded),
//!   so rotation needs no restart. Rotating the master key rewraps the data keys only.
//!
//! What is sealed: message texts and customers' names on them, attachments and their
//! file names, customers'
//! names, emails and attributes, the personal keys of a contact's data
//! ([`CONTACT_PERSONAL`]) and its wrap-up notes, identity values and stored answers to
//! retried requests.
//! Identities must still be found by their value (the same email is the same
//! customer), so each also stores a **blind index**: an HMAC of its kind and value under
//! a key derived from the organisation's first data key, which never changes (rotation
//! adds keys and keeps the old ones), so lookups survive rotation. Equal values give
//! equal indexes, which is what a lookup needs and all that a copy of the database
//! learns.
//!
//! Ciphertexts say which key sealed them: a text is `enc:k<N>:` and the base64 of a
//! random 96-bit nonce and the ChaCha20-Poly1305 ciphertext; bytes are [`BYTES_MAGIC`],
//! the key number (4 bytes, big endian), the nonce and the ciphertext. The associated data
//! is the organisation, the field and the row's id: a value copied into another
//! organisation, field or row does not open. A value without the header was written
//! before encryption at rest and is read as it is (the re-encryption seals it).
//!
//! Sealing happens on the request's task before the change reaches the store's single
//! writer, so the group commit does no cryptography; opening happens right above the
//! store (`AppState::messages`, `AppState::attachment_data`), so the rest of the server
//! sees plain values.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use store::{Change, DataKey, Db, Store as _, StoreError};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::secrets::Sealer;

/// How long a server trusts the keys it loaded before it looks for a newer one.
pub const REFRESH: Duration = Duration::from_secs(5);
/// What sealed bytes begin with.
pub const BYTES_MAGIC: &[u8; 4] = b"\0HSK";
const TEXT_PREFIX: &str = "enc:k";

/// The field names sealed values are bound to.
pub const MESSAGE_TEXT: &str = "message.text";
pub const ATTACHMENT: &str = "attachment";
/// A customer's message names them (`author_name`).
pub const MESSAGE_AUTHOR: &str = "message.author_name";
pub const CUSTOMER_NAME: &str = "customer.name";
pub const CUSTOMER_EMAIL: &str = "customer.email";
pub const CUSTOMER_DATA: &str = "customer.data";
pub const IDENTITY_VALUE: &str = "identity.value";
/// A file's name (it may name the customer: `passport-ann-smith.jpg`), on the
/// attachment and on the message that carries it.
pub const ATTACHMENT_NAME: &str = "attachment.name";
/// What the agent noted about a contact at wrap-up.
pub const WRAPUP_NOTES: &str = "contact.wrapup_notes";
/// A stored answer to a retried request (bound to its key as well).
pub const IDEMPOTENT_ANSWER: &str = "idempotency.body";
/// The keys of a contact's `data` that hold personal data, each sealed on its own (as
/// `contact.data.<key>`) so that the rest stays readable to the store and its queries.
pub const CONTACT_PERSONAL: &[&str] = &["customer_name", "chat_name", "email"];
/// What a blind index value (an identity's lookup key) begins with.
const BLIND_PREFIX: &str = "bi:";

/// Why a data key could not be wrapped or unwrapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("data key: {0}")]
pub struct KeyError(pub String);

impl From<KeyError> for StoreError {
    fn from(e: KeyError) -> Self {
        StoreError::Backend(e.0)
    }
}

/// Wraps and unwraps organisations' data keys: the local master key, or a KMS.
///
/// A KMS implementation sends the key (or the wrapped text) to the KMS's encrypt and
/// decrypt operations, with the organisation and key number as the encryption context;
/// nothing else in the server changes, since only [`Keyring::load`] and the CLI's
/// rotation call these. Calls are rare (a key is unwrapped once per process and
/// refresh), so a network round trip is fine.
pub trait KeyWrap: Send + Sync {
    fn wrap(&self, org: Uuid, key_id: i32, key: &[u8; 32]) -> Result<String, KeyError>;
    fn unwrap(&self, org: Uuid, key_id: i32, wrapped: &str) -> Result<[u8; 32], KeyError>;
}

fn wrap_field(key_id: i32) -> String {
    format!("data_key.{key_id}")
}

/// The master key kept by this center (`secret_key` or `secret.key`).
impl KeyWrap for Sealer {
    fn wrap(&self, org: Uuid, key_id: i32, key: &[u8; 32]) -> Result<String, KeyError> {
        Ok(self.seal(org, &wrap_field(key_id), &hex::encode(key)))
    }
    fn unwrap(&self, org: Uuid, key_id: i32, wrapped: &str) -> Result<[u8; 32], KeyError> {
        if !Sealer::is_sealed(wrapped) {
            return Err(KeyError("a data key is stored unwrapped".into()));
        }
        let plain = self
            .open(org, &wrap_field(key_id), wrapped)
            .ok_or_else(|| {
                KeyError(format!(
                    "key {key_id} of organisation {org} does not open with this master key"
                ))
            })?;
        hex::decode(plain.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| KeyError("a data key is not 32 bytes".into()))
    }
}

/// What a data key wrapped by the KMS command begins with.
const KMS_PREFIX: &str = "kms:";

/// A key-management service (Vault transit, AWS KMS, Google Cloud KMS, an HSM…) reached
/// through a command the operator provides (`kms_command` / `HOMESHORE_KMS_COMMAND`),
/// as Git reaches credential helpers: the master key then never enters this process.
///
/// The command is run by `sh -c` with one more argument, `wrap` or `unwrap`, and the
/// variables `HOMESHORE_KMS_ORG` (the organisation's id) and `HOMESHORE_KMS_KEY_ID` (the
/// data key's number), to pass to the KMS as its encryption context. `wrap` reads the
/// data key (64 hex digits) on standard input and prints what the KMS returned (one
/// line of text); `unwrap` reads that text and prints the 64 hex digits. A non-zero
/// exit fails the call with the command's first line of standard error. Unwrapped keys
/// are kept in memory, so the command runs once per key and process, not on every
/// refresh.
pub struct KmsCommand {
    command: String,
    opened: std::sync::Mutex<HashMap<(Uuid, i32, String), [u8; 32]>>,
}

impl KmsCommand {
    pub fn new(command: &str) -> KmsCommand {
        KmsCommand {
            command: command.trim().to_string(),
            opened: std::sync::Mutex::new(HashMap::new()),
        }
    }

    fn run(&self, verb: &str, org: Uuid, key_id: i32, input: &str) -> Result<String, KeyError> {
        use std::io::Write as _;
        use std::process::{Command, Stdio};
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("{} {verb}", self.command))
            .env("HOMESHORE_KMS_ORG", org.to_string())
            .env("HOMESHORE_KMS_KEY_ID", key_id.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| KeyError(format!("the KMS command could not start: {e}")))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(input.as_bytes())
                .map_err(|e| KeyError(format!("the KMS command did not read its input: {e}")))?;
        }
        let out = child
            .wait_with_output()
            .map_err(|e| KeyError(format!("the KMS command failed: {e}")))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(KeyError(format!(
                "the KMS command's {verb} failed ({}): {}",
                out.status,
                err.lines().next().unwrap_or("no message")
            )));
        }
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if text.is_empty() || text.contains('\n') {
            return Err(KeyError(format!(
                "the KMS command's {verb} printed no single line of text"
            )));
        }
        Ok(text)
    }
}

impl KeyWrap for KmsCommand {
    fn wrap(&self, org: Uuid, key_id: i32, key: &[u8; 32]) -> Result<String, KeyError> {
        let text = self.run("wrap", org, key_id, &hex::encode(key))?;
        Ok(format!("{KMS_PREFIX}{text}"))
    }
    fn unwrap(&self, org: Uuid, key_id: i32, wrapped: &str) -> Result<[u8; 32], KeyError> {
        let text = wrapped
            .strip_prefix(KMS_PREFIX)
            .ok_or_else(|| KeyError("a data key is not wrapped by the KMS".into()))?;
        let at = (org, key_id, text.to_string());
        if let Some(k) = self
            .opened
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&at)
        {
            return Ok(*k);
        }
        let plain = self.run("unwrap", org, key_id, text)?;
        let key: [u8; 32] = hex::decode(plain.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                KeyError("the KMS command's unwrap printed no 32-byte hex key".into())
            })?;
        self.opened
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(at, key);
        Ok(key)
    }
}

/// What wraps this center's data keys: new ones with the KMS when one is configured,
/// else with the local master key; a stored key opens with whichever wrapped it, so a
/// center moves to a KMS with `homeshore keys rewrap --kms` while it runs.
pub struct DataKeyWrap {
    pub local: Sealer,
    pub kms: Option<KmsCommand>,
}

impl KeyWrap for DataKeyWrap {
    fn wrap(&self, org: Uuid, key_id: i32, key: &[u8; 32]) -> Result<String, KeyError> {
        match &self.kms {
            Some(k) => k.wrap(org, key_id, key),
            None => self.local.wrap(org, key_id, key),
        }
    }
    fn unwrap(&self, org: Uuid, key_id: i32, wrapped: &str) -> Result<[u8; 32], KeyError> {
        match (&self.kms, wrapped.starts_with(KMS_PREFIX)) {
            (Some(k), true) => k.unwrap(org, key_id, wrapped),
            (None, true) => Err(KeyError(
                "a data key is wrapped by a KMS, and no kms_command is set".into(),
            )),
            (_, false) => self.local.unwrap(org, key_id, wrapped),
        }
    }
}

fn aad(org: Uuid, field: &str, row: Uuid) -> Vec<u8> {
    let mut a = Vec::with_capacity(48 + field.len());
    a.extend_from_slice(org.as_bytes());
    a.extend_from_slice(field.as_bytes());
    a.push(0x1f);
    a.extend_from_slice(row.as_bytes());
    a
}

/// Which key sealed a stored text, if it is sealed.
pub fn text_key_id(stored: &str) -> Option<i32> {
    let rest = stored.strip_prefix(TEXT_PREFIX)?;
    let (n, _) = rest.split_once(':')?;
    n.parse().ok()
}

/// Whether a stored identity value is a blind index (not a value in clear).
pub fn is_blind(value: &str) -> bool {
    value.starts_with(BLIND_PREFIX)
}

/// Which key sealed stored bytes, if they are sealed.
pub fn bytes_key_id(stored: &[u8]) -> Option<i32> {
    let rest = stored.strip_prefix(BYTES_MAGIC.as_slice())?;
    Some(i32::from_be_bytes(rest.get(..4)?.try_into().ok()?))
}

/// One organisation's unwrapped data keys.
pub struct OrgKeys {
    org: Uuid,
    current: i32,
    ciphers: HashMap<i32, ChaCha20Poly1305>,
    /// Keyed for the blind index (from the first data key).
    index: Hmac<Sha256>,
    loaded: Instant,
}

impl std::fmt::Debug for OrgKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OrgKeys({}, current {})", self.org, self.current)
    }
}

impl OrgKeys {
    fn from_rows(wrap: &dyn KeyWrap, org: Uuid, rows: &[DataKey]) -> Result<OrgKeys, KeyError> {
        let mut ciphers = HashMap::new();
        let mut first: Option<(i32, [u8; 32])> = None;
        for k in rows {
            let key = wrap.unwrap(org, k.key_id, &k.wrapped)?;
            let c = ChaCha20Poly1305::new_from_slice(&key).map_err(|e| KeyError(e.to_string()))?;
            ciphers.insert(k.key_id, c);
            if first.is_none_or(|(id, _)| k.key_id < id) {
                first = Some((k.key_id, key));
            }
        }
        let current = rows.iter().map(|k| k.key_id).max().unwrap_or(0);
        let (_, first) =
            first.ok_or_else(|| KeyError(format!("organisation {org} has no data key")))?;
        let mut derive = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&first)
            .expect("HMAC takes any key length");
        derive.update(b"homeshore blind index\x1f");
        derive.update(org.as_bytes());
        let index =
            <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&derive.finalize().into_bytes())
                .expect("HMAC takes any key length");
        Ok(OrgKeys {
            org,
            current,
            ciphers,
            index,
            loaded: Instant::now(),
        })
    }

    /// The number of the key new writes use.
    pub fn current(&self) -> i32 {
        self.current
    }

    fn seal_raw(&self, field: &str, row: Uuid, plain: &[u8]) -> (i32, Vec<u8>) {
        let cipher = &self.ciphers[&self.current];
        let nonce: [u8; 12] = rand::random();
        let sealed = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: &aad(self.org, field, row),
                },
            )
            .expect("ChaCha20-Poly1305 seals any length a message has");
        let mut out = Vec::with_capacity(12 + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        (self.current, out)
    }

    fn open_raw(&self, key_id: i32, field: &str, row: Uuid, raw: &[u8]) -> Option<Vec<u8>> {
        if raw.len() < 12 + 16 {
            return None;
        }
        let (nonce, sealed) = raw.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        self.ciphers
            .get(&key_id)?
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad(self.org, field, row),
                },
            )
            .ok()
    }

    /// `plain` sealed under the current key for `field` of row `row`.
    pub fn seal_text(&self, field: &str, row: Uuid, plain: &str) -> String {
        let (id, raw) = self.seal_raw(field, row, plain.as_bytes());
        format!("{TEXT_PREFIX}{id}:{}", B64.encode(raw))
    }

    /// The plain text of a stored one: opened if sealed (`None` if it does not open:
    /// another organisation, field or row, tampered, or its key is gone), as it is if it
    /// predates encryption at rest.
    pub fn open_text(&self, field: &str, row: Uuid, stored: &str) -> Option<String> {
        let Some(id) = text_key_id(stored) else {
            return Some(stored.to_string());
        };
        let b64 = stored.split_once(':')?.1.split_once(':')?.1;
        let raw = B64.decode(b64).ok()?;
        String::from_utf8(self.open_raw(id, field, row, &raw)?).ok()
    }

    /// `plain` bytes sealed under the current key.
    pub fn seal_bytes(&self, field: &str, row: Uuid, plain: &[u8]) -> Vec<u8> {
        let (id, raw) = self.seal_raw(field, row, plain);
        let mut out = Vec::with_capacity(8 + raw.len());
        out.extend_from_slice(BYTES_MAGIC);
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(&raw);
        out
    }

    /// Stored bytes opened (as they are if they predate encryption at rest).
    pub fn open_bytes(&self, field: &str, row: Uuid, stored: &[u8]) -> Option<Vec<u8>> {
        let Some(id) = bytes_key_id(stored) else {
            return Some(stored.to_vec());
        };
        self.open_raw(id, field, row, &stored[8..])
    }

    /// The blind index of an identity: what is stored and compared instead of its value.
    pub fn blind(&self, kind: &str, value: &str) -> String {
        let mut m = self.index.clone();
        m.update(kind.as_bytes());
        m.update(&[0x1f]);
        m.update(value.as_bytes());
        let tag = m.finalize().into_bytes();
        format!("{BLIND_PREFIX}{}", B64URL.encode(&tag[..20]))
    }

    /// A customer's stored fields opened (as they are where they predate sealing; an
    /// unreadable one reads as empty rather than as a ciphertext).
    pub fn open_customer(&self, mut c: store::Customer) -> store::Customer {
        c.name = self
            .open_text(CUSTOMER_NAME, c.id, &c.name)
            .unwrap_or_default();
        c.email = c
            .email
            .and_then(|e| self.open_text(CUSTOMER_EMAIL, c.id, &e));
        if let Value::String(sealed) = &c.data {
            c.data = self
                .open_text(CUSTOMER_DATA, c.id, sealed)
                .and_then(|d| serde_json::from_str(&d).ok())
                .unwrap_or_else(|| Value::Object(Default::default()));
        }
        c
    }

    /// An identity with its value opened.
    pub fn open_identity(&self, mut i: store::Identity) -> store::Identity {
        if let Some(sealed) = i.sealed.take() {
            i.value = self
                .open_text(IDENTITY_VALUE, i.id, &sealed)
                .unwrap_or_default();
        }
        i
    }

    /// A contact's data with its personal keys opened, and its wrap-up notes.
    pub fn open_contact(&self, mut c: store::Contact) -> store::Contact {
        c.wrapup_notes = c
            .wrapup_notes
            .and_then(|n| self.open_text(WRAPUP_NOTES, c.id, &n));
        if let Value::Object(data) = &mut c.data {
            for key in CONTACT_PERSONAL {
                if let Some(Value::String(v)) = data.get_mut(*key) {
                    *v = self
                        .open_text(&contact_field(key), c.id, v)
                        .unwrap_or_default();
                }
            }
        }
        c
    }

    /// A message's customer name and file name opened (its text is opened apart).
    pub fn open_message_names(&self, m: &mut store::Message) {
        if m.sender == store::Sender::Customer
            && let Some(n) = &m.author_name
        {
            m.author_name = self.open_text(MESSAGE_AUTHOR, m.id, n);
        }
        if let Some(Value::String(n)) = m.attachment.as_mut().and_then(|a| a.get_mut("name")) {
            *n = self.open_text(ATTACHMENT_NAME, m.id, n).unwrap_or_default();
        }
    }

    /// An attachment's metadata with its file name opened.
    pub fn open_attachment(&self, mut a: store::Attachment) -> store::Attachment {
        a.name = self
            .open_text(ATTACHMENT_NAME, a.id, &a.name)
            .unwrap_or_default();
        a
    }

    /// A stored answer to a retried request, opened.
    pub fn open_answer(&self, mut r: store::IdempotencyRecord) -> store::IdempotencyRecord {
        if let Some(sealed) = r.body.get("sealed").and_then(Value::as_str) {
            r.body = self
                .open_text(&answer_field(&r.key), Uuid::nil(), sealed)
                .and_then(|b| serde_json::from_str(&b).ok())
                .unwrap_or(Value::Null);
        }
        r
    }

    /// Whether a key with this number is loaded.
    pub fn has(&self, key_id: i32) -> bool {
        self.ciphers.contains_key(&key_id)
    }
}

/// Seals, in place, what `changes` would store in clear for `keys`' organisation:
/// message texts and attachment bytes. Messages and attachments are only ever inserted,
/// from what someone just wrote, so each is sealed whatever it looks like: a customer
/// who types a sealed-looking text (`enc:k9:…`) or uploads a file that starts like a
/// sealed one gets it sealed and read back as written, not stored in clear nor read as
/// a ciphertext under a key that does not exist.
///
/// The same holds for customers, identities, contacts' personal keys and stored answers:
/// every read of them goes through an opening (`AppState::customer`, `AppState::contact`,
/// …), so what comes back to be written again is always plain.
pub fn seal_changes(keys: &OrgKeys, changes: &mut [Change]) {
    for c in changes {
        match c {
            Change::PutMessage(m) if m.org_id == keys.org => {
                if let Some(t) = &m.text {
                    m.text = Some(keys.seal_text(MESSAGE_TEXT, m.id, t));
                }
                if m.sender == store::Sender::Customer
                    && let Some(n) = &m.author_name
                {
                    m.author_name = Some(keys.seal_text(MESSAGE_AUTHOR, m.id, n));
                }
                if let Some(Value::String(n)) =
                    m.attachment.as_mut().and_then(|a| a.get_mut("name"))
                {
                    *n = keys.seal_text(ATTACHMENT_NAME, m.id, n);
                }
            }
            Change::PutAttachment { meta, data } if meta.org_id == keys.org => {
                *data = keys.seal_bytes(ATTACHMENT, meta.id, data);
                meta.name = keys.seal_text(ATTACHMENT_NAME, meta.id, &meta.name);
            }
            Change::PutCustomer(c) if c.org_id == keys.org => seal_customer(keys, c),
            Change::PutIdentity(i) if i.org_id == keys.org => {
                i.sealed = Some(keys.seal_text(IDENTITY_VALUE, i.id, &i.value));
                i.value = keys.blind(&i.kind, &i.value);
            }
            Change::PutContact(c) if c.org_id == keys.org => {
                seal_contact_data(keys, c.id, &mut c.data);
                if let Some(n) = &c.wrapup_notes {
                    c.wrapup_notes = Some(keys.seal_text(WRAPUP_NOTES, c.id, n));
                }
            }
            Change::PutIdempotency(r) if r.org_id == keys.org && !r.body.is_null() => {
                r.body = seal_answer(keys, &r.key, &r.body);
            }
            _ => {}
        }
    }
}

fn seal_customer(keys: &OrgKeys, c: &mut store::Customer) {
    c.name = keys.seal_text(CUSTOMER_NAME, c.id, &c.name);
    if let Some(e) = &c.email {
        c.email = Some(keys.seal_text(CUSTOMER_EMAIL, c.id, e));
    }
    if c.data.as_object().is_none_or(|d| !d.is_empty()) {
        c.data = Value::String(keys.seal_text(CUSTOMER_DATA, c.id, &c.data.to_string()));
    }
}

fn contact_field(key: &str) -> String {
    format!("contact.data.{key}")
}

fn answer_field(key: &str) -> String {
    format!("{IDEMPOTENT_ANSWER}:{key}")
}

fn seal_contact_data(keys: &OrgKeys, id: Uuid, data: &mut Value) {
    if let Value::Object(data) = data {
        for key in CONTACT_PERSONAL {
            if let Some(Value::String(v)) = data.get_mut(*key) {
                *v = keys.seal_text(&contact_field(key), id, v);
            }
        }
    }
}

/// A stored answer sealed whole, beside the ids it names: erasing a customer or a
/// contact still finds the answers that name them (`names`), and nothing else of it is
/// readable.
fn seal_answer(keys: &OrgKeys, key: &str, body: &Value) -> Value {
    let mut names = Vec::new();
    ids_in(body, &mut names);
    names.sort();
    names.dedup();
    json!({
        "sealed": keys.seal_text(&answer_field(key), Uuid::nil(), &body.to_string()),
        "names": names,
    })
}

fn ids_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.len() == 36 && s.parse::<Uuid>().is_ok() => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| ids_in(v, out)),
        Value::Object(o) => o.values().for_each(|v| ids_in(v, out)),
        _ => {}
    }
}

/// The organisations whose rows in `changes` [`seal_changes`] would seal.
pub fn orgs_to_seal(changes: &[Change]) -> Vec<Uuid> {
    let mut orgs: Vec<Uuid> = changes
        .iter()
        .filter_map(|c| match c {
            Change::PutMessage(m) if m.text.is_some() || m.author_name.is_some() => Some(m.org_id),
            Change::PutAttachment { meta, .. } => Some(meta.org_id),
            Change::PutCustomer(c) => Some(c.org_id),
            Change::PutIdentity(i) => Some(i.org_id),
            Change::PutContact(c) => Some(c.org_id),
            Change::PutIdempotency(r) if !r.body.is_null() => Some(r.org_id),
            _ => None,
        })
        .collect();
    orgs.sort();
    orgs.dedup();
    orgs
}

/// Every organisation's data keys, loaded on first use and refreshed every [`REFRESH`].
pub struct Keyring {
    wrap: Arc<dyn KeyWrap>,
    orgs: RwLock<HashMap<Uuid, Arc<OrgKeys>>>,
    /// One load (or first key) at a time in this process.
    loading: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring(…)")
    }
}

impl Keyring {
    /// What wraps and unwraps this center's data keys.
    pub fn wrap(&self) -> Arc<dyn KeyWrap> {
        self.wrap.clone()
    }

    pub fn new(wrap: Arc<dyn KeyWrap>) -> Keyring {
        Keyring {
            wrap,
            orgs: RwLock::new(HashMap::new()),
            loading: tokio::sync::Mutex::new(()),
        }
    }

    fn cached(&self, org: Uuid) -> Option<Arc<OrgKeys>> {
        self.orgs
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&org)
            .cloned()
    }

    /// The organisation's keys: from memory while fresh, else read again (and the
    /// first key made if it has none).
    pub async fn get(&self, db: &Db, org: Uuid) -> Result<Arc<OrgKeys>, StoreError> {
        if let Some(k) = self.cached(org)
            && k.loaded.elapsed() < REFRESH
        {
            return Ok(k);
        }
        match (
            self.reload(db, org, Some(Instant::now())).await,
            self.cached(org),
        ) {
            (Ok(k), _) => Ok(k),
            // Keys already unwrapped stay usable while the store or the KMS is away,
            // or while the master key is being rotated under this server.
            (Err(e), Some(k)) => {
                tracing::warn!(%org, error = %e, "data keys not refreshed; using those loaded");
                Ok(k)
            }
            (Err(e), None) => Err(e),
        }
    }

    /// The organisation's keys, read again from the store now (after a rotation: what
    /// any earlier read found is not enough).
    pub async fn load(&self, db: &Db, org: Uuid) -> Result<Arc<OrgKeys>, StoreError> {
        self.reload(db, org, None).await
    }

    /// Read the keys again, one reader at a time. With `asked`, keys loaded since then
    /// (by whoever held the lock meanwhile) are fresh enough: concurrent callers share
    /// one read.
    async fn reload(
        &self,
        db: &Db,
        org: Uuid,
        asked: Option<Instant>,
    ) -> Result<Arc<OrgKeys>, StoreError> {
        let _one = self.loading.lock().await;
        if let (Some(asked), Some(k)) = (asked, self.cached(org))
            && k.loaded >= asked
        {
            return Ok(k);
        }
        let mut rows = db.list_data_keys(org).await?;
        if rows.is_empty() {
            match add_key(db, self.wrap.as_ref(), org, 1).await {
                Ok(()) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
            rows = db.list_data_keys(org).await?;
        }
        let keys = Arc::new(OrgKeys::from_rows(self.wrap.as_ref(), org, &rows)?);
        self.orgs
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(org, keys.clone());
        Ok(keys)
    }

    /// Keys that can open a value sealed under `key_id` (read again if that key is
    /// newer than what is loaded).
    pub async fn for_key(
        &self,
        db: &Db,
        org: Uuid,
        key_id: Option<i32>,
    ) -> Result<Arc<OrgKeys>, StoreError> {
        let k = self.get(db, org).await?;
        match key_id {
            Some(id) if !k.has(id) => {
                let k = self.reload(db, org, Some(Instant::now())).await?;
                if k.has(id) {
                    return Ok(k);
                }
                // A read shared with others may have begun before the key existed.
                self.load(db, org).await
            }
            _ => Ok(k),
        }
    }
}

/// Writes data key `key_id` for `org`, made at random and wrapped.
async fn add_key(db: &Db, wrap: &dyn KeyWrap, org: Uuid, key_id: i32) -> Result<(), StoreError> {
    let key: [u8; 32] = rand::random();
    let wrapped = wrap.wrap(org, key_id, &key)?;
    db.commit(vec![Change::PutDataKey(DataKey {
        org_id: org,
        key_id,
        wrapped,
        created_at: OffsetDateTime::now_utc(),
    })])
    .await?;
    Ok(())
}

/// Adds a new data key to `org`: new writes use it (a running server within
/// [`REFRESH`]). Returns its number.
pub async fn rotate(db: &Db, wrap: &dyn KeyWrap, org: Uuid) -> Result<i32, StoreError> {
    let next = db
        .list_data_keys(org)
        .await?
        .iter()
        .map(|k| k.key_id)
        .max()
        .unwrap_or(0)
        + 1;
    add_key(db, wrap, org, next).await?;
    Ok(next)
}

/// Rewraps every data key of `org` from the `old` master key to `new`: the data keys
/// (and so every ciphertext) stay the same.
pub async fn rewrap(
    db: &Db,
    old: &dyn KeyWrap,
    new: &dyn KeyWrap,
    org: Uuid,
) -> Result<usize, StoreError> {
    let rows = db.list_data_keys(org).await?;
    let mut changes = Vec::with_capacity(rows.len());
    for k in &rows {
        let key = old.unwrap(org, k.key_id, &k.wrapped)?;
        changes.push(Change::RewrapDataKey(DataKey {
            wrapped: new.wrap(org, k.key_id, &key)?,
            ..k.clone()
        }));
    }
    let n = changes.len();
    if n > 0 {
        db.commit(changes).await?;
    }
    Ok(n)
}

/// What a re-encryption did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reencrypted {
    pub messages: u64,
    pub attachments: u64,
    /// Customers, identities and contacts whose personal data was sealed again.
    pub personal: u64,
    /// Values that did not open (left as they are).
    pub unreadable: u64,
}

/// Whether a stored text needs sealing under `current`: in clear, or under an older key.
fn stale(stored: &str, current: i32) -> bool {
    text_key_id(stored) != Some(current)
}

/// Moves every sealed value of `org` to its current key (sealing those from before
/// encryption at rest, and giving identities from before their blind index), a page at
/// a time; `progress` hears each row done. Safe while the server runs: a row is only
/// ever rewritten with the same plain value, and a contact's data only if the live state
/// has not changed it since it was read.
pub async fn reencrypt(
    db: &Db,
    wrap: Arc<dyn KeyWrap>,
    org: Uuid,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<Reencrypted, StoreError> {
    let ring = Keyring::new(wrap);
    let keys = ring.load(db, org).await?;
    let current = keys.current();
    let mut done = Reencrypted::default();
    let mut after = None;
    loop {
        let page = db.list_message_texts(org, after, 500).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.0);
        let mut changes = Vec::new();
        for (id, text, author) in &page {
            progress(1);
            let reseal = |field: &str, stored: &Option<String>| match stored {
                Some(t) if stale(t, current) => Some(
                    keys.open_text(field, *id, t)
                        .map(|plain| keys.seal_text(field, *id, &plain)),
                ),
                _ => None,
            };
            let (text, author) = (reseal(MESSAGE_TEXT, text), reseal(MESSAGE_AUTHOR, author));
            if matches!(text, Some(None)) || matches!(author, Some(None)) {
                done.unreadable += 1;
            } else if text.is_some() || author.is_some() {
                changes.push(Change::ResealMessage {
                    org_id: org,
                    id: *id,
                    text: text.flatten(),
                    author_name: author.flatten(),
                });
                done.messages += 1;
            }
        }
        if !changes.is_empty() {
            db.commit(changes).await?;
        }
    }
    reseal_personal(db, &keys, org, progress, &mut done).await?;
    let mut after = None;
    loop {
        let page = db.list_attachment_ids(org, after, 100).await?;
        let Some(last) = page.last() else { break };
        after = Some(*last);
        let mut changes = Vec::new();
        for id in &page {
            progress(1);
            let Some(stored) = db.attachment_data(org, *id).await? else {
                continue;
            };
            if bytes_key_id(&stored) == Some(current) {
                continue;
            }
            match keys.open_bytes(ATTACHMENT, *id, &stored) {
                Some(plain) => {
                    changes.push(Change::ResealAttachment {
                        org_id: org,
                        id: *id,
                        data: keys.seal_bytes(ATTACHMENT, *id, &plain),
                    });
                    done.attachments += 1;
                }
                None => done.unreadable += 1,
            }
        }
        if !changes.is_empty() {
            db.commit(changes).await?;
        }
    }
    Ok(done)
}

/// Seals customers, identities and contacts' personal keys under the current key.
async fn reseal_personal(
    db: &Db,
    keys: &OrgKeys,
    org: Uuid,
    progress: &(dyn Fn(u64) + Send + Sync),
    done: &mut Reencrypted,
) -> Result<(), StoreError> {
    let current = keys.current();
    let mut after = None;
    loop {
        let page = db.list_customers(org, after, 500).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        let mut changes = Vec::new();
        for c in page {
            progress(1);
            if !stale(&c.name, current) {
                continue;
            }
            let mut c = keys.open_customer(c);
            seal_customer(keys, &mut c);
            changes.push(Change::ResealCustomer {
                org_id: org,
                id: c.id,
                name: c.name,
                email: c.email,
                data: c.data,
            });
            done.personal += 1;
        }
        if !changes.is_empty() {
            db.commit(changes).await?;
        }
    }
    let mut after = None;
    loop {
        let page = db.list_all_identities(org, after, 500).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        let mut changes = Vec::new();
        for i in page {
            progress(1);
            if i.sealed.as_deref().is_some_and(|v| !stale(v, current)) {
                continue;
            }
            match reseal_identity(keys, i) {
                Some(c) => {
                    changes.push(c);
                    done.personal += 1;
                }
                None => done.unreadable += 1,
            }
        }
        if !changes.is_empty() {
            db.commit(changes).await?;
        }
    }
    let mut after = None;
    loop {
        let page = db.list_contact_data(org, after, 500).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.0);
        let mut changes = Vec::new();
        for (id, before) in page {
            progress(1);
            let personal = CONTACT_PERSONAL
                .iter()
                .filter_map(|k| before.get(*k)?.as_str());
            if !personal.clone().any(|v| stale(v, current)) {
                continue;
            }
            let mut data = before.clone();
            if let Value::Object(d) = &mut data {
                for key in CONTACT_PERSONAL {
                    if let Some(Value::String(v)) = d.get_mut(*key) {
                        *v = keys
                            .open_text(&contact_field(key), id, v)
                            .unwrap_or_default();
                    }
                }
            }
            seal_contact_data(keys, id, &mut data);
            changes.push(Change::ResealContactData {
                org_id: org,
                id,
                before,
                data,
            });
            done.personal += 1;
        }
        if !changes.is_empty() {
            db.commit(changes).await?;
        }
    }
    Ok(())
}

/// One identity sealed under the current key with its blind index (`None`: it does not
/// open).
fn reseal_identity(keys: &OrgKeys, i: store::Identity) -> Option<Change> {
    let i = keys.open_identity(i);
    if i.value.is_empty() {
        return None;
    }
    Some(Change::ResealIdentity {
        org_id: keys.org,
        id: i.id,
        value: keys.blind(&i.kind, &i.value),
        sealed: keys.seal_text(IDENTITY_VALUE, i.id, &i.value),
        kind: i.kind,
    })
}

/// Seals the identities an older version stored in clear, giving them their blind
/// index. A server does this for each organisation before it serves: its lookups use
/// the blind index, and the writer of the process that serves must be the one to write
/// them (it keeps the index of which identities exist, see `store`'s `known`).
/// Answers how many were sealed.
pub async fn seal_identities_in_clear(db: &Db, keys: &OrgKeys) -> Result<u64, StoreError> {
    let mut n = 0;
    loop {
        let page = db.list_unsealed_identities(keys.org, 500).await?;
        if page.is_empty() {
            return Ok(n);
        }
        let len = page.len();
        let changes: Vec<Change> = page
            .into_iter()
            .filter_map(|i| reseal_identity(keys, i))
            .collect();
        if changes.len() < len {
            return Err(StoreError::Backend(format!(
                "an identity of organisation {} does not open with its keys",
                keys.org
            )));
        }
        n += changes.len() as u64;
        db.commit(changes).await?;
    }
}

/// How many rows [`reencrypt`] will walk (for a progress bar).
pub async fn count_sealable(db: &Db, org: Uuid) -> Result<u64, StoreError> {
    let mut n = 0u64;
    let mut after = None;
    loop {
        let page = db.list_message_texts(org, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.0);
        n += page.len() as u64;
    }
    let mut after = None;
    loop {
        let page = db.list_attachment_ids(org, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(*last);
        n += page.len() as u64;
    }
    let mut after = None;
    loop {
        let page = db.list_customers(org, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        n += page.len() as u64;
    }
    let mut after = None;
    loop {
        let page = db.list_all_identities(org, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        n += page.len() as u64;
    }
    let mut after = None;
    loop {
        let page = db.list_contact_data(org, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.0);
        n += page.len() as u64;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn master() -> Sealer {
        Sealer::from_key_text(&Sealer::new_key_text()).unwrap()
    }

    fn keys_of(wrap: &dyn KeyWrap, org: Uuid, ids: &[i32]) -> (OrgKeys, Vec<DataKey>) {
        let rows: Vec<DataKey> = ids
            .iter()
            .map(|&id| DataKey {
                org_id: org,
                key_id: id,
                wrapped: wrap.wrap(org, id, &rand::random()).unwrap(),
                created_at: OffsetDateTime::now_utc(),
            })
            .collect();
        (OrgKeys::from_rows(wrap, org, &rows).unwrap(), rows)
    }

    #[test]
    fn texts_open_only_with_their_organisation_field_row_and_key() {
        let m = master();
        let org = Uuid::now_v7();
        let row = Uuid::now_v7();
        let (keys, rows) = keys_of(&m, org, &[1]);
        let sealed = keys.seal_text(MESSAGE_TEXT, row, "my card is 4242");
        assert_eq!(text_key_id(&sealed), Some(1));
        assert!(!sealed.contains("4242"));
        assert_eq!(
            keys.open_text(MESSAGE_TEXT, row, &sealed).as_deref(),
            Some("my card is 4242")
        );
        assert_eq!(
            keys.open_text(MESSAGE_TEXT, Uuid::now_v7(), &sealed),
            None,
            "row"
        );
        assert_eq!(keys.open_text("other", row, &sealed), None, "field");
        // Another organisation's keys (even its key number 1) do not open it.
        let (other, _) = keys_of(&m, Uuid::now_v7(), &[1]);
        assert_eq!(
            other.open_text(MESSAGE_TEXT, row, &sealed),
            None,
            "organisation"
        );
        // The same key rows under another organisation id do not unwrap at all.
        assert!(OrgKeys::from_rows(&m, Uuid::now_v7(), &rows).is_err());
        // A wrong master key does not unwrap the data key.
        assert!(OrgKeys::from_rows(&master(), org, &rows).is_err());
        // Tampered: one byte of the ciphertext changed.
        let mut raw = B64
            .decode(sealed.split_once(':').unwrap().1.split_once(':').unwrap().1)
            .unwrap();
        raw[20] ^= 1;
        let tampered = format!("enc:k1:{}", B64.encode(raw));
        assert_eq!(
            keys.open_text(MESSAGE_TEXT, row, &tampered),
            None,
            "tampered"
        );
        // Older rows, written in clear, read as they are.
        assert_eq!(
            keys.open_text(MESSAGE_TEXT, row, "hello").as_deref(),
            Some("hello")
        );
    }

    #[test]
    fn bytes_carry_their_key_and_a_rotation_keeps_old_ones_readable() {
        let m = master();
        let org = Uuid::now_v7();
        let row = Uuid::now_v7();
        let (k1, mut rows) = keys_of(&m, org, &[1]);
        let old = k1.seal_bytes(ATTACHMENT, row, b"%PDF secret");
        assert_eq!(bytes_key_id(&old), Some(1));
        rows.push(DataKey {
            org_id: org,
            key_id: 2,
            wrapped: m.wrap(org, 2, &rand::random()).unwrap(),
            created_at: OffsetDateTime::now_utc(),
        });
        let k2 = OrgKeys::from_rows(&m, org, &rows).unwrap();
        assert_eq!(k2.current(), 2);
        let new = k2.seal_bytes(ATTACHMENT, row, b"%PDF secret");
        assert_eq!(bytes_key_id(&new), Some(2));
        assert_eq!(
            k2.open_bytes(ATTACHMENT, row, &old).unwrap(),
            b"%PDF secret"
        );
        assert_eq!(
            k2.open_bytes(ATTACHMENT, row, &new).unwrap(),
            b"%PDF secret"
        );
        // Key 1 alone cannot read what key 2 sealed.
        assert_eq!(k1.open_bytes(ATTACHMENT, row, &new), None);
        let mut t = new.clone();
        let last = t.len() - 1;
        t[last] ^= 0x80;
        assert_eq!(k2.open_bytes(ATTACHMENT, row, &t), None, "tampered");
        assert_eq!(k2.open_bytes(ATTACHMENT, row, b"plain").unwrap(), b"plain");
    }

    /// A stand-in KMS: "wraps" by encrypting with openssl under a passphrase bound to
    /// the organisation and key number (the encryption context), so the test sees the
    /// whole contract: input, output, context, failure.
    fn kms() -> (KmsCommand, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("homeshore-kms-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("kms.sh");
        std::fs::write(
            &script,
            "#!/bin/sh\n\
             pass=\"kms-secret:$HOMESHORE_KMS_ORG:$HOMESHORE_KMS_KEY_ID\"\n\
             case \"$1\" in\n\
             wrap) openssl enc -aes-256-cbc -pbkdf2 -a -A -pass pass:\"$pass\" ;;\n\
             unwrap) openssl enc -d -aes-256-cbc -pbkdf2 -a -A -pass pass:\"$pass\" ;;\n\
             *) echo \"unknown verb $1\" >&2; exit 2 ;;\n\
             esac\n",
        )
        .unwrap();
        (KmsCommand::new(&format!("sh {}", script.display())), dir)
    }

    #[test]
    fn a_kms_command_wraps_and_unwraps_bound_to_its_context() {
        if std::process::Command::new("openssl")
            .arg("version")
            .output()
            .is_err()
        {
            eprintln!("openssl is not installed: skipped");
            return;
        }
        let (k, dir) = kms();
        let org = Uuid::now_v7();
        let key: [u8; 32] = rand::random();
        let wrapped = k.wrap(org, 1, &key).unwrap();
        assert!(wrapped.starts_with("kms:"), "{wrapped}");
        assert!(!wrapped.contains(&hex::encode(key)));
        assert_eq!(k.unwrap(org, 1, &wrapped).unwrap(), key);
        // A fresh process (no memory of it) opens it too; another context does not.
        let (k2, dir2) = kms();
        assert_eq!(k2.unwrap(org, 1, &wrapped).unwrap(), key);
        let err = k2.unwrap(org, 2, &wrapped).unwrap_err();
        assert!(err.0.contains("unwrap failed"), "{err}");
        // The composite opens what either wrapped, and wraps new keys with the KMS.
        let both = DataKeyWrap {
            local: master(),
            kms: Some(k2),
        };
        let local = both.local.wrap(org, 3, &key).unwrap();
        assert_eq!(both.unwrap(org, 3, &local).unwrap(), key);
        assert!(both.wrap(org, 4, &key).unwrap().starts_with("kms:"));
        let no_kms = DataKeyWrap {
            local: master(),
            kms: None,
        };
        assert!(
            no_kms
                .unwrap(org, 1, &wrapped)
                .unwrap_err()
                .0
                .contains("no kms_command")
        );
        let broken = KmsCommand::new("false");
        assert!(broken.wrap(org, 1, &key).is_err());
        let _ = std::fs::remove_dir_all(dir);
        let _ = std::fs::remove_dir_all(dir2);
    }

    #[test]
    fn rewrapping_keeps_the_data_key() {
        let (a, b) = (master(), master());
        let org = Uuid::now_v7();
        let key: [u8; 32] = rand::random();
        let wrapped = a.wrap(org, 3, &key).unwrap();
        assert!(!wrapped.contains(&hex::encode(key)));
        let rewrapped = b
            .wrap(org, 3, &a.unwrap(org, 3, &wrapped).unwrap())
            .unwrap();
        assert_eq!(b.unwrap(org, 3, &rewrapped).unwrap(), key);
        assert!(a.unwrap(org, 3, &rewrapped).is_err());
        assert!(b.unwrap(org, 4, &rewrapped).is_err(), "bound to its number");
    }
}
