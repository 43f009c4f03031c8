//! Email: mail in by IMAP polling or a raw-MIME ingress, replies out by SMTP, each mail
//! threaded into the conversation it answers.
//!
//! - **In.** A mailbox is read by UID ([`sync`]): the server keeps the mailbox's
//!   UIDVALIDITY and the last UID it took, durably, after each mail is stored, and asks
//!   only for what came after. A dropped connection ends the round; the next round goes on
//!   from the last UID stored, so nothing is skipped and nothing is taken twice (a mail
//!   fetched again is recognised by its Message-ID). When the server renumbers the mailbox
//!   (a new UIDVALIDITY) the mails since a day before the last round are read again and
//!   de-duplicated the same way. A first round takes the last day's mail, never "the last
//!   N". An MTA's pipe or a provider's inbound webhook can instead POST the raw message
//!   to `POST /api/webhooks/email/{org}` with the endpoint's ingress secret.
//! - **Threading** ([`thread_of`]): a reply names the conversation in its `In-Reply-To`
//!   or `References` (our Message-IDs carry the contact's id, and the customer's own
//!   earlier Message-IDs are known on open contacts); a client that drops those headers
//!   still writes to the reply address, `support+<contact>@…`, which counts only when the
//!   sender is that contact's customer. Subjects never thread: two mails with the same
//!   subject are two conversations unless one answers the other. A reply to a closed
//!   conversation opens a new contact that names it (`follows`).
//! - **What is kept.** The plain-text part (HTML-only mail is turned into text: no markup
//!   from a mail is ever shown), quoted history included (the desktop folds it away);
//!   pictures and PDFs attached, one message each, judged by their bytes. Mail from our
//!   own address and automatic replies (`Auto-Submitted`, bounces) open nothing.
//! - **Out.** Agents' replies go by SMTP from the endpoint's address, with our own
//!   Message-ID, `In-Reply-To` and `References` so the customer's client threads them, the
//!   reply address, the agent's signature and the customer's last mail quoted below
//!   (an agent's file attached).
//!   A 5xx from the SMTP server fails the delivery; anything else is retried. A send
//!   repeated after a crash carries the same Message-ID, which mail clients fold into one.
//!
//! The parsing and threading rules are pure functions here, tested below; the I/O is
//! the transport, the poller and the HTTP handler.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::TryStreamExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use store::{Channel, Delivery, DeliveryStatus, ObjectKind, Sender, Store as _};
use time::OffsetDateTime;
use uuid::Uuid;

use super::outbound::{Outbound, SendError, Sent};
use crate::{ApiError, ApiResult, AppState, contacts};

/// How a connection to a mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Tls,
    /// Plain first, then STARTTLS before anything else (IMAP 143, submission 587).
    Starttls,
    /// No encryption: only for a server on the same machine or network.
    None,
}

impl Security {
    pub fn parse(s: &str) -> Option<Security> {
        match s {
            "tls" => Some(Security::Tls),
            "starttls" => Some(Security::Starttls),
            "none" => Some(Security::None),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Security::Tls => "tls",
            Security::Starttls => "starttls",
            Security::None => "none",
        }
    }
}

/// A mail server and the account on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: String,
    pub password: String,
}

/// An organisation's support address, as admins configure it.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailConfig {
    /// The address customers write to and replies come from (`support@shop.example`).
    pub address: String,
    /// The name replies come from (`Demo Retail Support`).
    pub display_name: String,
    /// Where a new email contact waits.
    pub queue_id: Uuid,
    /// The mailbox read for new mail, if mail comes in by IMAP.
    pub imap: Option<Server>,
    /// Which folder of it (`INBOX`).
    pub mailbox: String,
    /// Where replies are sent (an empty user: no authentication).
    pub smtp: Server,
    /// The shared secret of the raw-MIME ingress (`Authorization: Bearer …`).
    pub ingress_secret: String,
    /// Put under every reply; `{agent}` becomes the agent's name.
    pub signature: String,
}

impl EmailConfig {
    /// The address's domain: our Message-IDs are made in it.
    pub fn domain(&self) -> &str {
        self.address
            .rsplit_once('@')
            .map(|(_, d)| d)
            .unwrap_or("localhost")
    }
}

/// Whether `s` is one mail address fit for a header: an address as everywhere else
/// ([`crate::seed::valid_email`]), and no character a header or a route would read
/// (`<>()[],;:"\\`, spaces), a local part of at most 64 and a domain not ending in a dot.
pub fn is_address(s: &str) -> bool {
    crate::seed::valid_email(s)
        && s.rsplit_once('@')
            .is_some_and(|(local, domain)| local.len() <= 64 && !domain.ends_with('.'))
        && s.chars()
            .all(|c| c.is_ascii_graphic() && !"<>()[],;:\"\\".contains(c))
}

/// One mail, as much of it as Homeshore keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    /// Its Message-ID without brackets (or one made from its bytes when it has none).
    pub message_id: String,
    pub from: String,
    pub from_name: Option<String>,
    /// To, Cc and Delivered-To, lowercased.
    pub recipients: Vec<String>,
    pub subject: Option<String>,
    pub sent_at: Option<OffsetDateTime>,
    /// The text as the customer wrote it, quoted history included.
    pub text: String,
    /// `In-Reply-To` then `References`, without brackets, in that order.
    pub refers_to: Vec<String>,
    /// An automatic reply, a bounce or a list's mail: it opens no conversation.
    pub automatic: bool,
    pub attachments: Vec<MailAttachment>,
}

/// A file attached to a mail.
#[derive(Debug, Clone, PartialEq)]
pub struct MailAttachment {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The largest raw mail read (over it: refused, with a clear error).
pub const MAX_MAIL_BYTES: usize = 25 * 1024 * 1024;
/// Attachments kept per mail (pictures and PDFs, one message each).
const MAX_ATTACHMENTS: usize = 5;
/// What ends a mail's text that was too long for one message.
const CUT_NOTE: &str = "\n[the rest of this mail was cut]";

fn unbracket(s: &str) -> String {
    s.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

/// A mail from its raw bytes (RFC 5322 with MIME), or why it is not one.
pub fn parse(raw: &[u8]) -> Result<Mail, String> {
    use mail_parser::{MessageParser, MimeHeaders as _};
    if raw.len() > MAX_MAIL_BYTES {
        return Err(format!(
            "the mail is larger than {} MB",
            MAX_MAIL_BYTES / 1024 / 1024
        ));
    }
    let m = MessageParser::default()
        .parse(raw)
        .filter(|m| {
            m.headers()
                .iter()
                .any(|h| h.name().eq_ignore_ascii_case("from"))
        })
        .ok_or("not a mail: no headers or no From")?;
    let from = m
        .from()
        .and_then(|a| a.first())
        .ok_or("the mail has no From address")?;
    let address = from
        .address()
        .map(|a| a.trim().to_ascii_lowercase())
        .filter(|a| is_address(a))
        .ok_or("the mail's From is not an address")?;
    let message_id = match m.message_id().map(unbracket).filter(|s| !s.is_empty()) {
        Some(id) if id.len() <= 190 => id,
        _ => {
            use sha2::Digest;
            format!("sha256-{}", hex::encode(sha2::Sha256::digest(raw)))
        }
    };
    let list = |v: &mail_parser::HeaderValue| -> Vec<String> {
        match v {
            mail_parser::HeaderValue::Text(t) => vec![unbracket(t)],
            mail_parser::HeaderValue::TextList(l) => l.iter().map(|t| unbracket(t)).collect(),
            _ => Vec::new(),
        }
    };
    let mut refers_to = list(m.in_reply_to());
    refers_to.extend(list(m.references()).into_iter().rev());
    refers_to.retain(|r| !r.is_empty());
    refers_to.truncate(50);
    let mut recipients: Vec<String> = [m.to(), m.cc()]
        .into_iter()
        .flatten()
        .flat_map(|a| a.iter())
        .filter_map(|a| a.address().map(|s| s.trim().to_ascii_lowercase()))
        .collect();
    if let Some(d) = m.header_raw("Delivered-To") {
        recipients.push(unbracket(d).to_ascii_lowercase());
    }
    let header = |name: &str| m.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    let automatic = header("Auto-Submitted").is_some_and(|v| v != "no")
        || header("X-Autoreply").is_some()
        || header("X-Autorespond").is_some()
        || matches!(
            header("Precedence").as_deref(),
            Some("bulk" | "junk" | "list")
        )
        || m.header_raw("List-Id").is_some()
        || address.starts_with("mailer-daemon@")
        || address.starts_with("postmaster@")
        || m.content_type()
            .and_then(|c| c.subtype())
            .is_some_and(|s| s.eq_ignore_ascii_case("report"));
    // The plain part when there is one; mail_parser turns an HTML-only body into text.
    let mut text = m
        .body_text(0)
        .map(|t| t.replace("\r\n", "\n"))
        .unwrap_or_default()
        .trim()
        .to_string();
    // A message holds at most `contacts::MAX_TEXT` bytes: a longer mail is cut, and
    // says so, rather than refused.
    if text.len() > crate::contacts::MAX_TEXT {
        let mut end = crate::contacts::MAX_TEXT - CUT_NOTE.len();
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str(CUT_NOTE);
    }
    let attachments = m
        .attachments()
        .filter(|p| !p.is_message())
        .map(|p| MailAttachment {
            name: p
                .attachment_name()
                .map(str::to_string)
                .unwrap_or_else(|| "attachment".into()),
            bytes: p.contents().to_vec(),
        })
        .collect();
    Ok(Mail {
        message_id,
        from: address,
        from_name: from
            .name()
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty()),
        recipients,
        subject: m
            .subject()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        sent_at: m
            .date()
            .and_then(|d| OffsetDateTime::from_unix_timestamp(d.to_timestamp()).ok()),
        text,
        refers_to,
        automatic,
        attachments,
    })
}

/// Our Message-ID for one message of a contact (without brackets): both ids are in it,
/// so a reply that quotes it finds its conversation without a lookup.
pub fn message_id_of(message: Uuid, contact: Uuid, domain: &str) -> String {
    format!("{}.{}@{domain}", message.simple(), contact.simple())
}

/// The contact named by one of our Message-IDs (in `domain`).
pub fn contact_in_message_id(id: &str, domain: &str) -> Option<Uuid> {
    let (local, d) = id.rsplit_once('@')?;
    if !d.eq_ignore_ascii_case(domain) {
        return None;
    }
    let (m, c) = local.split_once('.')?;
    Uuid::try_parse(m).ok()?;
    Uuid::try_parse(c).ok()
}

/// The reply address of a contact: `support+<contact>@domain`.
pub fn reply_address(address: &str, contact: Uuid) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => format!("{local}+{}@{domain}", contact.simple()),
        None => address.to_string(),
    }
}

/// The contact a recipient's reply address names, for the support address `address`.
pub fn contact_in_address(recipient: &str, address: &str) -> Option<Uuid> {
    let (local, domain) = address.rsplit_once('@')?;
    let (rl, rd) = recipient.rsplit_once('@')?;
    if !rd.eq_ignore_ascii_case(domain) {
        return None;
    }
    let token = rl.strip_prefix(local)?.strip_prefix('+')?;
    Uuid::try_parse(token).ok()
}

/// Where a mail belongs, by the rules in the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thread {
    /// It answers this contact (by our Message-ID or a known Message-ID of the customer).
    Reply(Uuid),
    /// It was written to this contact's reply address (valid only from its customer).
    Addressed(Uuid),
    /// A new conversation.
    New,
}

/// Where `mail` belongs: `known` finds the contact that holds one of the customer's own
/// earlier Message-IDs.
pub fn thread_of(mail: &Mail, cfg_address: &str, known: impl Fn(&str) -> Option<Uuid>) -> Thread {
    let domain = cfg_address.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
    for r in &mail.refers_to {
        if let Some(c) = contact_in_message_id(r, domain).or_else(|| known(r)) {
            return Thread::Reply(c);
        }
    }
    mail.recipients
        .iter()
        .find_map(|r| contact_in_address(r, cfg_address))
        .map_or(Thread::New, Thread::Addressed)
}

/// `Re: <subject>`, once.
pub fn reply_subject(subject: Option<&str>, display_name: &str) -> String {
    match subject.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if s.len() >= 3 && s[..3].eq_ignore_ascii_case("re:") => s.to_string(),
        Some(s) => format!("Re: {s}"),
        None => format!("Your message to {display_name}"),
    }
}

/// The text of a reply: the agent's words, the signature, and the customer's last mail
/// quoted below (its own quoted history left out).
pub fn reply_body(
    text: &str,
    signature: &str,
    agent: &str,
    quoted: Option<(&str, OffsetDateTime, &str)>,
) -> String {
    let mut body = text.trim_end().to_string();
    let signature = signature.replace("{agent}", agent);
    if !signature.trim().is_empty() {
        body.push_str("\n\n-- \n");
        body.push_str(signature.trim_end());
    }
    if let Some((who, at, said)) = quoted {
        let said = fresh_part(said);
        if !said.trim().is_empty() {
            let date = at
                .format(&time::format_description::well_known::Rfc2822)
                .unwrap_or_default();
            body.push_str(&format!("\n\nOn {date}, {who} wrote:\n"));
            for line in said.lines() {
                body.push('>');
                if !line.is_empty() {
                    body.push(' ');
                }
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    body
}

/// A mail's text without the history it quotes at its end (`> …` lines and the
/// "On … wrote:" line above them).
pub fn fresh_part(text: &str) -> &str {
    let lines: Vec<&str> = text.lines().collect();
    let mut end = lines.len();
    while end > 0 && (lines[end - 1].trim().is_empty() || lines[end - 1].starts_with('>')) {
        end -= 1;
    }
    if end == lines.len() {
        return text;
    }
    if end > 0 && lines[end - 1].trim_end().ends_with("wrote:") {
        end -= 1;
    }
    let cut: usize = lines[..end].iter().map(|l| l.len() + 1).sum();
    text[..cut.min(text.len())].trim_end()
}

// ---------- in ----------

/// What became of one mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// Stored in this contact (`opened`: a new one).
    Stored { contact: Uuid, opened: bool },
    /// Stored before: the same Message-ID.
    Duplicate { contact: Uuid },
    /// An automatic reply or our own mail: kept out.
    Skipped(&'static str),
}

/// The contact holding a customer's own earlier Message-ID, among open contacts.
fn known_contact(state: &AppState, org: Uuid, message_id: &str) -> Option<Uuid> {
    let cid = super::client_id(Channel::Email, message_id);
    state.with_org(org, |o| {
        o.contacts()
            .find(|lc| lc.contact.channel == Channel::Email && lc.client_ids.contains_key(&cid))
            .map(|lc| lc.contact.id)
    })
}

/// One raw mail into its conversation (see the module docs).
pub async fn take(state: &AppState, org: Uuid, cfg: &EmailConfig, raw: &[u8]) -> ApiResult<Taken> {
    let mail = parse(raw).map_err(ApiError::invalid)?;
    if mail.from.eq_ignore_ascii_case(&cfg.address) {
        return Ok(Taken::Skipped("sent from the support address itself"));
    }
    if mail.automatic {
        return Ok(Taken::Skipped("an automatic reply or bounce"));
    }
    let cid = super::client_id(Channel::Email, &mail.message_id);
    let thread = match thread_of(&mail, &cfg.address, |id| known_contact(state, org, id)) {
        Thread::New => None,
        Thread::Reply(c) => Some(c),
        Thread::Addressed(c) => {
            // A reply address counts only from the conversation's own customer.
            let customer = contact_of(state, org, c).await?.and_then(|c| c.customer_id);
            let sender = state.find_identity(org, "email", &mail.from).await?;
            match (customer, sender) {
                (Some(a), Some(i)) if a == i.customer_id => Some(c),
                _ => None,
            }
        }
    };
    let thread = match thread {
        Some(c) => contact_of(state, org, c).await?,
        None => None,
    };
    if let Some(c) = &thread
        && state.message_by_client_id(org, c.id, &cid).await?.is_some()
    {
        return Ok(Taken::Duplicate { contact: c.id });
    }
    let open = thread.as_ref().filter(|c| {
        matches!(
            c.status,
            store::ContactStatus::Bot
                | store::ContactStatus::Waiting
                | store::ContactStatus::Active
        )
    });
    let mut attributes = BTreeMap::new();
    attributes.insert("to".to_string(), cfg.address.clone());
    if let (Some(c), None) = (&thread, open) {
        attributes.insert("follows".to_string(), c.id.to_string());
    }
    let text = if mail.text.is_empty() && !mail.attachments.is_empty() {
        "(a mail with attachments)".to_string()
    } else if mail.text.is_empty() {
        mail.subject
            .clone()
            .unwrap_or_else(|| "(an empty mail)".into())
    } else {
        mail.text.clone()
    };
    let received = super::receive(
        state,
        org,
        super::Inbound {
            channel: Channel::Email,
            identity: ("email".into(), mail.from.clone()),
            name: mail.from_name.clone(),
            provider_message_id: mail.message_id.clone(),
            sent_at: mail.sent_at,
            text: Some(text),
            attachment: None,
            queue_id: cfg.queue_id,
            attributes,
            thread: super::Threading::Given(open.map(|c| c.id)),
            topic: Some(
                mail.subject
                    .as_deref()
                    .unwrap_or("(no subject)")
                    .chars()
                    .take(200)
                    .collect(),
            ),
        },
    )
    .await?;
    let contact = received.contact.id;
    if !received.duplicate {
        keep_attachments(state, org, &mail, &received).await?;
    }
    Ok(if received.duplicate {
        Taken::Duplicate { contact }
    } else {
        Taken::Stored {
            contact,
            opened: received.opened,
        }
    })
}

async fn contact_of(state: &AppState, org: Uuid, id: Uuid) -> ApiResult<Option<store::Contact>> {
    match state.with_org(org, |o| o.contact(id).map(|lc| lc.contact.clone())) {
        Some(c) => Ok(Some(c)),
        None => Ok(state.contact(org, id).await?),
    }
}

/// A mail's pictures and PDFs, one message each after its text (each once, however
/// often the mail is read again); other files are named, not kept.
async fn keep_attachments(
    state: &AppState,
    org: Uuid,
    mail: &Mail,
    received: &super::Received,
) -> ApiResult<()> {
    use crate::chat::upload::{MAX_ATTACHMENT_BYTES, sniff};
    let mut refused = Vec::new();
    for (k, a) in mail.attachments.iter().enumerate() {
        let kind = sniff(&a.bytes).filter(|_| a.bytes.len() <= MAX_ATTACHMENT_BYTES);
        match kind.filter(|_| k < MAX_ATTACHMENTS) {
            Some(kind) => {
                let cid = format!("email:{}:att{k}", mail.message_id);
                let file = Ok((kind, a.bytes.clone()));
                super::keep_file(state, org, received, cid, &a.name, file).await?;
            }
            None => refused.push(a.name.chars().take(80).collect::<String>()),
        }
    }
    if refused.is_empty() {
        return Ok(());
    }
    let cid = format!("email:{}:refused", mail.message_id);
    let contact = received.contact.id;
    if state
        .message_by_client_id(org, contact, &cid)
        .await?
        .is_some()
    {
        return Ok(());
    }
    contacts::append_message(
        state,
        org,
        contact,
        contacts::NewMessage {
            sender: Sender::Customer,
            author: None,
            author_name: received.message.author_name.clone(),
            text: Some(format!(
                "(attachments not kept: only pictures and PDFs up to 10 MB, {MAX_ATTACHMENTS} a mail: {})",
                refused.join(", ")
            )),
            attachment: None,
            internal: false,
            client_id: Some(cid),
            sent_at: mail.sent_at,
            template: None,
        },
    )
    .await?;
    Ok(())
}

// ---------- IMAP ----------

/// Where reading a mailbox stands, kept durably (an object named after the mailbox).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub uid_validity: Option<u32>,
    /// The last UID stored.
    pub last_uid: u32,
    /// When a round last finished (Unix seconds).
    pub synced_at: Option<i64>,
}

/// What one round asks the server for, given the cursor and the mailbox's UIDVALIDITY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Every UID after this one.
    After(u32),
    /// The mails the server received since this day (`SINCE 06-Dec-2026`), read again
    /// and de-duplicated: a first round, or the mailbox was renumbered.
    Since(time::Date),
}

/// The round's plan (pure: time is an input).
pub fn plan(cursor: &Cursor, uid_validity: u32, now: OffsetDateTime) -> Plan {
    if cursor.uid_validity == Some(uid_validity) {
        return Plan::After(cursor.last_uid);
    }
    let from = cursor
        .synced_at
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(now)
        .min(now)
        - time::Duration::days(1);
    Plan::Since(from.date())
}

/// IMAP's date form: `6-Dec-2026`.
pub fn imap_date(d: time::Date) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}-{}-{}",
        d.day(),
        MONTHS[usize::from(u8::from(d.month())) - 1],
        d.year()
    )
}

/// A stream to a mail server, plain or TLS.
trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + std::fmt::Debug> Io for T {}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long one IMAP command may take before the round gives up (and the next goes on).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// `stream` wrapped in TLS to `host`, checked against the platform's roots.
async fn tls_to<S>(host: &str, stream: S) -> Result<Box<dyn Io>, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + std::fmt::Debug + 'static,
{
    use rustls_platform_verifier::ConfigVerifierExt as _;
    crate::tls_init();
    let config = rustls::ClientConfig::with_platform_verifier().map_err(|e| e.to_string())?;
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|_| format!("{host} is not a host name"))?;
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(name, stream)
        .await
        .map_err(|e| format!("TLS with {host}: {e}"))?;
    Ok(Box::new(tls))
}

type Session = async_imap::Session<Box<dyn Io>>;

async fn imap_login(server: &Server) -> Result<Session, String> {
    let addr = format!("{}:{}", server.host, server.port);
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(&addr))
        .await
        .map_err(|_| format!("{addr} did not answer"))?
        .map_err(|e| format!("{addr}: {e}"))?;
    let stream: Box<dyn Io> = match server.security {
        Security::Tls => tls_to(&server.host, tcp).await?,
        _ => Box::new(tcp),
    };
    let mut client = async_imap::Client::new(stream);
    let greeting = tokio::time::timeout(COMMAND_TIMEOUT, client.read_response())
        .await
        .map_err(|_| "the IMAP server sent no greeting".to_string())?
        .map_err(|e| e.to_string())?;
    if greeting.is_none() {
        return Err("the IMAP server closed the connection".into());
    }
    if server.security == Security::Starttls {
        client
            .run_command_and_check_ok("STARTTLS", None)
            .await
            .map_err(|e| format!("STARTTLS: {e}"))?;
        let tcp = client.into_inner();
        // The plain stream, wrapped again: no greeting follows STARTTLS.
        let tls = tls_to(&server.host, tcp).await?;
        client = async_imap::Client::new(tls);
    }
    tokio::time::timeout(
        COMMAND_TIMEOUT,
        client.login(&server.user, &server.password),
    )
    .await
    .map_err(|_| "the IMAP server did not answer the login".to_string())?
    .map_err(|(e, _)| format!("login refused: {e}"))
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Round {
    pub stored: usize,
    pub duplicates: usize,
    pub skipped: usize,
    /// Mails that are not mail (kept in the mailbox, left behind).
    pub unreadable: usize,
}

const CURSOR_PREFIX: &str = "imap:";

async fn load_cursor(
    state: &AppState,
    org: Uuid,
    mailbox: &str,
) -> ApiResult<(Cursor, Option<store::Object>)> {
    crate::org_settings::load(
        state,
        org,
        ObjectKind::EmailSync,
        &format!("{CURSOR_PREFIX}{mailbox}"),
    )
    .await
}

async fn save_cursor(
    state: &AppState,
    org: Uuid,
    mailbox: &str,
    cursor: &Cursor,
    existing: Option<&store::Object>,
) -> ApiResult<store::Object> {
    let o = store::Object::next_version(
        existing,
        org,
        ObjectKind::EmailSync,
        format!("{CURSOR_PREFIX}{mailbox}"),
        serde_json::to_value(cursor).unwrap_or_default(),
        state.now(),
    );
    state
        .write(vec![store::Change::PutObject(o.clone())], vec![])
        .await?;
    Ok(o)
}

/// One round of reading the organisation's mailbox (see the module docs). An error
/// (the server unreachable, the connection dropped) ends the round with what it stored
/// kept; the next round goes on from there.
pub async fn sync(state: &AppState, org: Uuid, cfg: &EmailConfig) -> Result<Round, String> {
    let Some(server) = &cfg.imap else {
        return Err("no IMAP server is set: mail comes in only through the ingress".into());
    };
    // One round at a time per mailbox (the poller and an admin's "Fetch now").
    let lock = crate::api::key_lock(&format!("{org}:imap:{}", cfg.mailbox));
    let _one = lock.lock().await;
    let mut session = imap_login(server).await?;
    let result = sync_session(state, org, cfg, &mut session).await;
    if result.is_ok() {
        let _ = tokio::time::timeout(Duration::from_secs(5), session.logout()).await;
    }
    result
}

async fn sync_session(
    state: &AppState,
    org: Uuid,
    cfg: &EmailConfig,
    session: &mut Session,
) -> Result<Round, String> {
    let err = |e: ApiError| e.message;
    let mailbox = tokio::time::timeout(COMMAND_TIMEOUT, session.select(&cfg.mailbox))
        .await
        .map_err(|_| "SELECT timed out".to_string())?
        .map_err(|e| format!("SELECT {}: {e}", cfg.mailbox))?;
    let validity = mailbox
        .uid_validity
        .ok_or("the mailbox has no UIDVALIDITY")?;
    let (mut cursor, mut obj) = load_cursor(state, org, &cfg.mailbox).await.map_err(err)?;
    let uids: Vec<u32> = match plan(&cursor, validity, state.now()) {
        Plan::After(last) => {
            if mailbox.uid_next.is_some_and(|next| next <= last + 1) {
                Vec::new()
            } else {
                // `n:*` also names the last mail when none is above n: filtered below.
                let found = tokio::time::timeout(
                    COMMAND_TIMEOUT,
                    session.uid_search(format!("UID {}:*", last + 1)),
                )
                .await
                .map_err(|_| "UID SEARCH timed out".to_string())?
                .map_err(|e| format!("UID SEARCH: {e}"))?;
                found.into_iter().filter(|u| *u > last).collect()
            }
        }
        Plan::Since(day) => {
            let found = tokio::time::timeout(
                COMMAND_TIMEOUT,
                session.uid_search(format!("SINCE {}", imap_date(day))),
            )
            .await
            .map_err(|_| "UID SEARCH timed out".to_string())?
            .map_err(|e| format!("UID SEARCH: {e}"))?;
            // A new numbering: what was stored is known by Message-ID from here on.
            cursor = Cursor {
                uid_validity: Some(validity),
                last_uid: 0,
                synced_at: cursor.synced_at,
            };
            found.into_iter().collect()
        }
    };
    let mut uids = uids;
    uids.sort_unstable();
    let mut round = Round::default();
    // A few at a time: each is stored, then the cursor moves past it.
    for chunk in uids.chunks(20) {
        let set = chunk
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let fetched: Vec<async_imap::types::Fetch> = tokio::time::timeout(COMMAND_TIMEOUT, async {
            session
                .uid_fetch(&set, "(UID BODY.PEEK[])")
                .await?
                .try_collect()
                .await
        })
        .await
        .map_err(|_| "UID FETCH timed out".to_string())?
        .map_err(|e| format!("UID FETCH: {e}"))?;
        let mut by_uid: Vec<(u32, Vec<u8>)> = fetched
            .iter()
            .filter_map(|f| Some((f.uid?, f.body()?.to_vec())))
            .collect();
        by_uid.sort_by_key(|(u, _)| *u);
        for uid in chunk {
            // A mail the server did not return now (deleted meanwhile) is passed over.
            if let Some((_, raw)) = by_uid.iter().find(|(u, _)| u == uid) {
                match take(state, org, cfg, raw).await {
                    Ok(Taken::Stored { .. }) => round.stored += 1,
                    Ok(Taken::Duplicate { .. }) => round.duplicates += 1,
                    Ok(Taken::Skipped(why)) => {
                        tracing::info!(%org, uid, why, "email: mail kept out of conversations");
                        round.skipped += 1;
                    }
                    Err(e) if e.status == axum::http::StatusCode::UNPROCESSABLE_ENTITY => {
                        tracing::warn!(%org, uid, error = %e.message, "email: a mail that could not be read was passed over");
                        round.unreadable += 1;
                    }
                    // Not stored (the store failed): stop here, the next round retries it.
                    Err(e) => return Err(e.message),
                }
            }
            cursor.last_uid = cursor.last_uid.max(*uid);
            obj = Some(
                save_cursor(state, org, &cfg.mailbox, &cursor, obj.as_ref())
                    .await
                    .map_err(err)?,
            );
        }
    }
    cursor.uid_validity = Some(validity);
    cursor.synced_at = Some(state.now().unix_timestamp());
    save_cursor(state, org, &cfg.mailbox, &cursor, obj.as_ref())
        .await
        .map_err(err)?;
    Ok(round)
}

/// How often each organisation's mailbox is read (`HOMESHORE_EMAIL_POLL_MS`, default
/// 30 s).
fn poll_every() -> Duration {
    std::env::var("HOMESHORE_EMAIL_POLL_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(30))
}

/// Reads every organisation's mailbox, round after round, until shutdown. A mailbox
/// that fails waits longer before the next try (doubling, at most ten minutes).
pub async fn poll_task(state: AppState) {
    let mut shutdown = state.shutdown_signal();
    let every = poll_every();
    let mut failing: std::collections::HashMap<Uuid, (u32, std::time::Instant)> =
        std::collections::HashMap::new();
    loop {
        let orgs = state.store().list_orgs().await.unwrap_or_default();
        for org in orgs {
            let cfg = match super::outbound::endpoint(&state, org.id, Channel::Email).await {
                Ok(Some(super::outbound::Endpoint {
                    provider: super::outbound::Provider::Email(cfg),
                    ..
                })) if cfg.imap.is_some() => cfg,
                _ => continue,
            };
            if let Some((_, until)) = failing.get(&org.id)
                && std::time::Instant::now() < *until
            {
                continue;
            }
            match sync(&state, org.id, &cfg).await {
                Ok(r) => {
                    failing.remove(&org.id);
                    if r != Round::default() {
                        tracing::info!(org = %org.id, stored = r.stored, duplicates = r.duplicates,
                            skipped = r.skipped, unreadable = r.unreadable, "email: mailbox read");
                    }
                }
                Err(e) => {
                    let n = failing.get(&org.id).map_or(0, |(n, _)| *n) + 1;
                    let wait =
                        (every * 2u32.saturating_pow(n.min(10))).min(Duration::from_secs(600));
                    tracing::warn!(org = %org.id, error = %e, retry_in_s = wait.as_secs(), "email: reading the mailbox failed");
                    failing.insert(org.id, (n, std::time::Instant::now() + wait));
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
    }
}

// ---------- out ----------

/// A reply as the customer's mail client receives it.
pub fn build_reply(
    cfg: &EmailConfig,
    out: &Outbound,
    thread: &[store::Message],
    file: Option<super::outbound::File>,
) -> Result<lettre::Message, String> {
    use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};
    let to = out
        .to()
        .filter(|i| i.kind == "email")
        .ok_or("the customer has no email address")?;
    let domain = cfg.domain();
    let contact = out.contact.id;
    let mailbox = |name: &str, address: &str| -> Result<Mailbox, String> {
        Ok(Mailbox::new(
            Some(name.to_string()).filter(|n| !n.is_empty()),
            address
                .parse()
                .map_err(|_| format!("{address} is not an address"))?,
        ))
    };
    // The mails of the thread, as the customer's client knows them.
    let ids: Vec<String> = thread
        .iter()
        .filter(|m| !m.internal && m.seq < out.message.seq)
        .filter_map(|m| match m.sender {
            Sender::Customer => m
                .client_id
                .as_deref()
                .and_then(|c| c.strip_prefix("email:"))
                .filter(|c| !c.contains(":att") && !c.ends_with(":refused"))
                .map(str::to_string),
            _ => Some(message_id_of(m.id, contact, domain)),
        })
        .collect();
    let last_customer = thread
        .iter()
        .filter(|m| m.sender == Sender::Customer && m.seq < out.message.seq && m.text.is_some())
        .filter(|m| {
            m.client_id
                .as_deref()
                .is_some_and(|c| c.starts_with("email:"))
        })
        .max_by_key(|m| m.seq);
    let agent = out.message.author_name.clone().unwrap_or_default();
    let body = reply_body(
        out.message.text.as_deref().unwrap_or(""),
        &cfg.signature,
        &agent,
        last_customer.map(|m| {
            (
                m.author_name.as_deref().unwrap_or(to.value.as_str()),
                m.at,
                m.text.as_deref().unwrap_or(""),
            )
        }),
    );
    let mut b = lettre::Message::builder()
        .from(mailbox(&cfg.display_name, &cfg.address)?)
        .reply_to(mailbox(
            &cfg.display_name,
            &reply_address(&cfg.address, contact),
        )?)
        .to(mailbox("", &to.value)?)
        .subject(reply_subject(
            out.contact.topic.as_deref(),
            &cfg.display_name,
        ))
        .message_id(Some(format!(
            "<{}>",
            message_id_of(out.message.id, contact, domain)
        )))
        .date(std::time::SystemTime::from(out.message.at));
    if let Some(m) = last_customer.and_then(|m| m.client_id.as_deref()?.strip_prefix("email:")) {
        b = b.in_reply_to(format!("<{m}>"));
    }
    if !ids.is_empty() {
        let refs: Vec<String> = ids
            .iter()
            .rev()
            .take(20)
            .rev()
            .map(|i| format!("<{i}>"))
            .collect();
        b = b.references(refs.join(" "));
    }
    match file {
        None => b.header(ContentType::TEXT_PLAIN).body(body),
        Some(f) => {
            let kind = ContentType::parse(&f.content_type)
                .unwrap_or(ContentType::parse("application/octet-stream").expect("a type"));
            b.multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(body))
                    .singlepart(Attachment::new(f.name).body(f.bytes, kind)),
            )
        }
    }
    .map_err(|e| e.to_string())
}

/// The SMTP connection for a server.
fn smtp(server: &Server) -> Result<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>, String> {
    use lettre::transport::smtp::client::{Tls, TlsParameters};
    crate::tls_init();
    let mut b =
        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous(&server.host)
            .port(server.port)
            .timeout(Some(Duration::from_secs(30)));
    let params = || TlsParameters::new(server.host.clone()).map_err(|e| e.to_string());
    b = match server.security {
        Security::Tls => b.tls(Tls::Wrapper(params()?)),
        Security::Starttls => b.tls(Tls::Required(params()?)),
        Security::None => b.tls(Tls::None),
    };
    if !server.user.is_empty() {
        b = b.credentials(lettre::transport::smtp::authentication::Credentials::new(
            server.user.clone(),
            server.password.clone(),
        ));
    }
    Ok(b.build())
}

/// Sends one agent's message as a mail (see the module docs).
pub fn send<'a>(
    state: &'a AppState,
    cfg: &'a EmailConfig,
    d: &'a Delivery,
) -> BoxFuture<'a, Result<Sent, SendError>> {
    Box::pin(async move {
        use lettre::AsyncTransport as _;
        let out = Outbound::for_send(state, d).await?;
        let file = out.file(state).await?;
        let thread = state
            .messages(d.org_id, d.contact_id, 0, 1_000)
            .await
            .map_err(|e| SendError::Retry(format!("reading the conversation: {e}")))?;
        let mail = build_reply(cfg, &out, &thread, file).map_err(SendError::Permanent)?;
        let transport = smtp(&cfg.smtp).map_err(SendError::Permanent)?;
        match transport.send(mail).await {
            Ok(_) => Ok(Sent {
                status: DeliveryStatus::Sent,
                provider_message_id: Some(message_id_of(
                    out.message.id,
                    out.contact.id,
                    cfg.domain(),
                )),
            }),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(format!(
                "the mail server refused it: {e}"
            ))),
            Err(e) => Err(SendError::Retry(format!("the mail server: {e}"))),
        }
    })
}

/// Checks an endpoint's servers without sending anyone anything: logs in to IMAP and
/// reads the mailbox; connects to SMTP (and logs in where a user is set).
pub async fn check(cfg: &EmailConfig) -> Result<String, String> {
    let mut said = Vec::new();
    if let Some(server) = &cfg.imap {
        let mut s = imap_login(server).await.map_err(|e| format!("IMAP: {e}"))?;
        let m = s
            .select(&cfg.mailbox)
            .await
            .map_err(|e| format!("IMAP: SELECT {}: {e}", cfg.mailbox))?;
        let _ = s.logout().await;
        said.push(format!("IMAP: {} holds {} mails", cfg.mailbox, m.exists));
    }
    let ok = smtp(&cfg.smtp)?
        .test_connection()
        .await
        .map_err(|e| format!("SMTP: {e}"))?;
    if !ok {
        return Err("SMTP: the server did not accept a connection".into());
    }
    said.push(format!(
        "SMTP: {}:{} accepts mail",
        cfg.smtp.host, cfg.smtp.port
    ));
    Ok(format!("Works: {}", said.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAW: &str = "From: \"Ann Lee\" <Ann@Example.com>\r\n\
To: support@shop.example\r\n\
Subject: Where is my order?\r\n\
Message-ID: <abc123@mail.example.com>\r\n\
Date: Sun, 06 Dec 2026 10:00:00 +0000\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Hello, order 1234 has not arrived.\r\n";

    #[test]
    fn a_plain_mail_is_read() {
        let m = parse(RAW.as_bytes()).unwrap();
        assert_eq!(m.message_id, "abc123@mail.example.com");
        assert_eq!(m.from, "ann@example.com");
        assert_eq!(m.from_name.as_deref(), Some("Ann Lee"));
        assert_eq!(m.subject.as_deref(), Some("Where is my order?"));
        assert_eq!(m.text, "Hello, order 1234 has not arrived.");
        assert_eq!(m.recipients, vec!["support@shop.example"]);
        assert_eq!(
            m.sent_at.unwrap().unix_timestamp(),
            time::macros::datetime!(2026-12-06 10:00 UTC).unix_timestamp()
        );
        assert!(!m.automatic);
    }

    #[test]
    fn html_only_mail_becomes_text_without_markup() {
        let raw = "From: a@b.example\r\nSubject: x\r\nContent-Type: text/html\r\n\r\n<p>Hi <b>there</b><script>alert(1)</script></p><img src=x onerror=alert(2)>\r\n";
        let m = parse(raw.as_bytes()).unwrap();
        assert!(
            m.text.contains("Hi") && m.text.contains("there"),
            "{}",
            m.text
        );
        assert!(!m.text.contains('<'), "{}", m.text);
        assert!(!m.text.contains("onerror"), "{}", m.text);
    }

    #[test]
    fn garbage_and_mails_without_a_sender_are_refused() {
        assert!(parse(b"").is_err());
        assert!(parse(b"\x00\x01\x02 not a mail").is_err());
        assert!(parse(b"Subject: no sender\r\n\r\nbody").is_err());
        assert!(parse(b"From: not an address\r\n\r\nbody").is_err());
        let big = vec![b'a'; MAX_MAIL_BYTES + 1];
        assert!(parse(&big).unwrap_err().contains("larger"));
    }

    #[test]
    fn a_long_mail_is_cut_to_one_message_on_a_character_boundary() {
        let raw = format!("From: a@b.example\r\n\r\n{}", "é".repeat(8_000));
        let m = parse(raw.as_bytes()).unwrap();
        assert!(
            m.text.len() <= crate::contacts::MAX_TEXT,
            "{}",
            m.text.len()
        );
        assert!(m.text.ends_with(CUT_NOTE));
        assert!(m.text.starts_with("éé"));
    }

    #[test]
    fn a_mail_without_message_id_gets_one_from_its_bytes() {
        let raw = b"From: a@b.example\r\n\r\nhello";
        let a = parse(raw).unwrap();
        assert!(a.message_id.starts_with("sha256-"));
        assert_eq!(a.message_id, parse(raw).unwrap().message_id);
    }

    #[test]
    fn automatic_replies_are_recognised() {
        for h in [
            "Auto-Submitted: auto-replied",
            "Precedence: bulk",
            "X-Autoreply: yes",
            "List-Id: <news.example.com>",
        ] {
            let raw = format!("From: a@b.example\r\n{h}\r\n\r\nout of office");
            assert!(parse(raw.as_bytes()).unwrap().automatic, "{h}");
        }
        let raw = "From: MAILER-DAEMON@b.example\r\n\r\nundeliverable";
        assert!(parse(raw.as_bytes()).unwrap().automatic);
        let raw = "From: a@b.example\r\nAuto-Submitted: no\r\n\r\nhi";
        assert!(!parse(raw.as_bytes()).unwrap().automatic);
    }

    #[test]
    fn our_message_ids_and_reply_addresses_name_the_contact() {
        let (m, c) = (store::new_id(), store::new_id());
        let id = message_id_of(m, c, "shop.example");
        assert_eq!(contact_in_message_id(&id, "shop.example"), Some(c));
        assert_eq!(contact_in_message_id(&id, "other.example"), None);
        assert_eq!(
            contact_in_message_id("abc@shop.example", "shop.example"),
            None
        );
        let r = reply_address("support@shop.example", c);
        assert_eq!(contact_in_address(&r, "support@shop.example"), Some(c));
        assert_eq!(contact_in_address(&r, "sales@shop.example"), None);
        assert_eq!(
            contact_in_address("support@shop.example", "support@shop.example"),
            None
        );
        assert_eq!(
            contact_in_address("support+nonsense@shop.example", "support@shop.example"),
            None
        );
    }

    fn mail(refs: &[&str], to: &[&str]) -> Mail {
        Mail {
            refers_to: refs.iter().map(|s| s.to_string()).collect(),
            recipients: to.iter().map(|s| s.to_string()).collect(),
            ..parse(RAW.as_bytes()).unwrap()
        }
    }

    #[test]
    fn threading_follows_references_then_the_reply_address_never_the_subject() {
        let (c1, c2) = (store::new_id(), store::new_id());
        let ours = message_id_of(store::new_id(), c1, "shop.example");
        let addr = "support@shop.example";
        assert_eq!(
            thread_of(&mail(&[&ours], &[addr]), addr, |_| None),
            Thread::Reply(c1)
        );
        // A customer's own earlier mail, known on an open contact.
        let known = |id: &str| (id == "first@mail.example.com").then_some(c2);
        assert_eq!(
            thread_of(
                &mail(&["unknown@x", "first@mail.example.com"], &[addr]),
                addr,
                known
            ),
            Thread::Reply(c2)
        );
        let token = reply_address(addr, c2);
        assert_eq!(
            thread_of(&mail(&[], &[&token]), addr, |_| None),
            Thread::Addressed(c2)
        );
        // Same subject, no reference: a new conversation.
        assert_eq!(thread_of(&mail(&[], &[addr]), addr, |_| None), Thread::New);
        // Another domain's look-alike id is not ours.
        let foreign = message_id_of(store::new_id(), c1, "evil.example");
        assert_eq!(
            thread_of(&mail(&[&foreign], &[addr]), addr, |_| None),
            Thread::New
        );
    }

    #[test]
    fn replies_quote_the_fresh_part_of_the_last_mail_under_the_signature() {
        let at = time::macros::datetime!(2026-12-06 10:00 UTC);
        let said = "Still nothing.\n\nOn Sat, 5 Dec 2026, Support wrote:\n> We sent it.\n> Thanks";
        assert_eq!(fresh_part(said), "Still nothing.");
        let body = reply_body(
            "It ships today.",
            "{agent}\nDemo Retail",
            "Sam",
            Some(("Ann", at, said)),
        );
        assert_eq!(
            body,
            "It ships today.\n\n-- \nSam\nDemo Retail\n\nOn Sun, 06 Dec 2026 10:00:00 +0000, Ann wrote:\n> Still nothing.\n"
        );
        assert_eq!(fresh_part("no quotes\nat all"), "no quotes\nat all");
        assert_eq!(fresh_part("> only quotes"), "");
        assert_eq!(
            reply_subject(Some("Where is my order?"), "S"),
            "Re: Where is my order?"
        );
        assert_eq!(reply_subject(Some("RE: x"), "S"), "RE: x");
        assert_eq!(reply_subject(None, "Demo"), "Your message to Demo");
    }

    #[test]
    fn a_round_goes_on_from_the_last_uid_or_reads_the_last_day_again() {
        let now = time::macros::datetime!(2026-12-07 09:00 UTC);
        let c = Cursor {
            uid_validity: Some(7),
            last_uid: 41,
            synced_at: Some(now.unix_timestamp() - 3_600),
        };
        assert_eq!(plan(&c, 7, now), Plan::After(41));
        assert_eq!(
            plan(&c, 8, now),
            Plan::Since(time::macros::date!(2026 - 12 - 06))
        );
        assert_eq!(
            plan(&Cursor::default(), 1, now),
            Plan::Since(time::macros::date!(2026 - 12 - 06))
        );
        assert_eq!(imap_date(time::macros::date!(2026 - 12 - 06)), "6-Dec-2026");
    }

    #[test]
    fn addresses() {
        assert!(is_address("support@shop.example"));
        assert!(!is_address("support@localhost"));
        assert!(!is_address("a b@c.d"));
        assert!(!is_address("<a@b.c>"));
        assert!(!is_address("@b.c"));
    }
}
