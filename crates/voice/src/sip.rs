//! SIP messages (RFC 3261 §7, §20, §25): parse bytes from the network into a [`Message`]
//! and serialize it back.
//!
//! Why our own: a datagram from anyone on the internet lands here first, so the parser is
//! strict about sizes ([`Limits`]), returns a [`ParseError`] for anything it does not
//! understand and never panics (a fuzz target holds it to that). Headers are kept in
//! order as (name, value) pairs, one value each: compact names (`v`, `f`, `i`, …) are
//! expanded, known names take their canonical spelling, folded lines are joined, and the
//! comma-separated list headers (`Via`, `Contact`, `Route`, …) are split, so
//! `parse(serialize(m)) == m`. `Content-Length` is not kept as a header: the body is
//! the truth and serialization writes its length.
use std::borrow::Cow;
use std::fmt;

/// Bounds on what the parser accepts. A message past them is refused whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Whole message, head and body (a UDP datagram cannot exceed 65,535 anyway).
    pub max_message: usize,
    /// Header values after compact lists are split.
    pub max_headers: usize,
    /// One header line after unfolding.
    pub max_header_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message: 65_535,
            max_headers: 128,
            max_header_len: 8_192,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("message of {len} bytes exceeds the limit of {max}")]
    TooLarge { len: usize, max: usize },
    #[error("more than {max} headers")]
    TooManyHeaders { max: usize },
    #[error("header line longer than {max} bytes")]
    HeaderTooLong { max: usize },
    #[error("empty message")]
    Empty,
    #[error("incomplete message: no blank line after the headers")]
    Incomplete,
    #[error("message head is not UTF-8")]
    NotUtf8,
    #[error("bad start line")]
    BadStartLine,
    #[error("unsupported SIP version")]
    BadVersion,
    #[error("bad header line {line}")]
    BadHeader { line: usize },
    #[error("missing mandatory header {0}")]
    MissingHeader(&'static str),
    #[error("bad value in header {0}")]
    BadValue(&'static str),
    #[error("bad Content-Length")]
    BadContentLength,
    #[error("body shorter than Content-Length ({have} < {want})")]
    Truncated { have: usize, want: usize },
    #[error("CSeq method does not match the request method")]
    CSeqMismatch,
}

/// A SIP method. Unknown extension methods are kept by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    Invite,
    Ack,
    Bye,
    Cancel,
    Register,
    Options,
    Info,
    Update,
    Prack,
    Subscribe,
    Notify,
    Refer,
    Message,
    Other(String),
}

const METHODS: [(Method, &str); 13] = [
    (Method::Invite, "INVITE"),
    (Method::Ack, "ACK"),
    (Method::Bye, "BYE"),
    (Method::Cancel, "CANCEL"),
    (Method::Register, "REGISTER"),
    (Method::Options, "OPTIONS"),
    (Method::Info, "INFO"),
    (Method::Update, "UPDATE"),
    (Method::Prack, "PRACK"),
    (Method::Subscribe, "SUBSCRIBE"),
    (Method::Notify, "NOTIFY"),
    (Method::Refer, "REFER"),
    (Method::Message, "MESSAGE"),
];

impl Method {
    /// Methods are case-sensitive tokens (RFC 3261 §7.1).
    pub fn parse(s: &str) -> Option<Method> {
        if s.is_empty() || !s.bytes().all(is_token) {
            return None;
        }
        Some(
            METHODS
                .iter()
                .find(|(_, n)| *n == s)
                .map(|(m, _)| m.clone())
                .unwrap_or_else(|| Method::Other(s.to_string())),
        )
    }
    pub fn as_str(&self) -> &str {
        match self {
            Method::Other(s) => s,
            m => METHODS.iter().find(|(k, _)| k == m).map_or("", |(_, n)| n),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    Request { method: Method, uri: String },
    Response { code: u16, reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// One SIP request or response. Header names are compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub start: StartLine,
    pub headers: Vec<Header>,
    pub body: Vec<u8>,
}

/// Compact forms (RFC 3261 §7.3.3 and the registry), expanded on parse.
const COMPACT: [(&str, &str); 19] = [
    ("a", "Accept-Contact"),
    ("b", "Referred-By"),
    ("c", "Content-Type"),
    ("d", "Request-Disposition"),
    ("e", "Content-Encoding"),
    ("f", "From"),
    ("i", "Call-ID"),
    ("j", "Reject-Contact"),
    ("k", "Supported"),
    ("l", "Content-Length"),
    ("m", "Contact"),
    ("n", "Identity-Info"),
    ("o", "Event"),
    ("r", "Refer-To"),
    ("s", "Subject"),
    ("t", "To"),
    ("u", "Allow-Events"),
    ("v", "Via"),
    ("x", "Session-Expires"),
];

/// Known names in their canonical spelling.
const KNOWN: [&str; 30] = [
    "Accept",
    "Allow",
    "Authorization",
    "Call-ID",
    "Contact",
    "Content-Disposition",
    "Content-Length",
    "Content-Type",
    "CSeq",
    "Date",
    "Event",
    "Expires",
    "From",
    "Max-Forwards",
    "Min-Expires",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Proxy-Require",
    "Reason",
    "Record-Route",
    "Require",
    "Route",
    "Server",
    "Supported",
    "Timestamp",
    "To",
    "Unsupported",
    "User-Agent",
    "Via",
    "WWW-Authenticate",
];

/// Headers whose comma-separated values are separate entries (RFC 3261 §7.3.1).
/// The authentication headers are not: their parameters are comma-separated.
const LIST_HEADERS: [&str; 9] = [
    "Via",
    "Contact",
    "Route",
    "Record-Route",
    "Allow",
    "Supported",
    "Require",
    "Proxy-Require",
    "Unsupported",
];

/// The canonical spelling of a header name: compact forms expanded, known names in
/// their usual case, others as written. Borrows, so lookups do not allocate.
fn canonical(name: &str) -> Cow<'_, str> {
    if name.len() == 1
        && let Some((_, long)) = COMPACT.iter().find(|(c, _)| c.eq_ignore_ascii_case(name))
    {
        return Cow::Borrowed(long);
    }
    KNOWN
        .iter()
        .chain(COMPACT.iter().map(|(_, l)| l))
        .find(|k| k.len() == name.len() && k.eq_ignore_ascii_case(name))
        .map_or(Cow::Borrowed(name), |k| Cow::Borrowed(*k))
}

fn canonical_name(name: &str) -> String {
    canonical(name).into_owned()
}

fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// Splits `s` on `sep` where it stands outside double quotes and angle brackets.
pub(crate) fn split_outside(s: &str, sep: u8) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut quoted, mut angle, mut escaped, mut start) = (false, false, false, 0);
    for (i, b) in s.bytes().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match b {
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b'<' if !quoted => angle = true,
            b'>' if !quoted => angle = false,
            _ if b == sep && !quoted && !angle => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn find_head_end(buf: &[u8]) -> Option<(usize, usize)> {
    // Returns (end of head, start of body). Accepts bare LF line ends too.
    let mut i = 0;
    while i < buf.len() {
        if buf[i] == b'\n' {
            if buf.get(i + 1) == Some(&b'\n') {
                return Some((i, i + 2));
            }
            if buf.get(i + 1) == Some(&b'\r') && buf.get(i + 2) == Some(&b'\n') {
                return Some((i, i + 3));
            }
        }
        i += 1;
    }
    None
}

fn skip_keepalive(buf: &[u8]) -> usize {
    buf.iter()
        .take_while(|b| **b == b'\r' || **b == b'\n')
        .count()
}

/// For a stream transport (TCP): the length of the first complete message in `buf`
/// (leading CRLF keep-alives included), `None` while more bytes are needed.
pub fn frame_len(buf: &[u8], limits: &Limits) -> Result<Option<usize>, ParseError> {
    let skip = skip_keepalive(buf);
    let rest = &buf[skip..];
    let Some((head_end, body_start)) = find_head_end(rest) else {
        if rest.len() > limits.max_message {
            return Err(ParseError::TooLarge {
                len: rest.len(),
                max: limits.max_message,
            });
        }
        return Ok(None);
    };
    let head = std::str::from_utf8(&rest[..head_end]).map_err(|_| ParseError::NotUtf8)?;
    let mut length = 0;
    for line in head.split('\n').skip(1) {
        if let Some((name, value)) = line.split_once(':')
            && canonical(name.trim()) == "Content-Length"
        {
            length = parse_content_length(value)?;
        }
    }
    let total = body_start + length;
    if total > limits.max_message {
        return Err(ParseError::TooLarge {
            len: total,
            max: limits.max_message,
        });
    }
    Ok((rest.len() >= total).then_some(skip + total))
}

fn parse_content_length(v: &str) -> Result<usize, ParseError> {
    let v = v.trim();
    if v.is_empty() || v.len() > 9 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::BadContentLength);
    }
    v.parse().map_err(|_| ParseError::BadContentLength)
}

fn parse_start_line(line: &str) -> Result<StartLine, ParseError> {
    if let Some(rest) = line.strip_prefix("SIP/") {
        let (version, rest) = rest.split_once(' ').ok_or(ParseError::BadStartLine)?;
        if version != "2.0" {
            return Err(ParseError::BadVersion);
        }
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::BadStartLine);
        }
        let code: u16 = code.parse().map_err(|_| ParseError::BadStartLine)?;
        if !(100..700).contains(&code) || reason.bytes().any(|b| b.is_ascii_control()) {
            return Err(ParseError::BadStartLine);
        }
        return Ok(StartLine::Response {
            code,
            reason: reason.to_string(),
        });
    }
    let mut parts = line.split(' ');
    let (Some(m), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::BadStartLine);
    };
    let method = Method::parse(m).ok_or(ParseError::BadStartLine)?;
    if version != "SIP/2.0" {
        return Err(ParseError::BadVersion);
    }
    if uri.is_empty() || !uri.contains(':') || uri.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(ParseError::BadStartLine);
    }
    Ok(StartLine::Request {
        method,
        uri: uri.to_string(),
    })
}

/// Parses one message from a datagram (or a frame cut by [`frame_len`]).
pub fn parse(buf: &[u8], limits: &Limits) -> Result<Message, ParseError> {
    if buf.len() > limits.max_message {
        return Err(ParseError::TooLarge {
            len: buf.len(),
            max: limits.max_message,
        });
    }
    let buf = &buf[skip_keepalive(buf)..];
    if buf.is_empty() {
        return Err(ParseError::Empty);
    }
    let (head_end, body_start) = find_head_end(buf).ok_or(ParseError::Incomplete)?;
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| ParseError::NotUtf8)?;
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let start = parse_start_line(lines.next().ok_or(ParseError::Empty)?)?;

    // Unfold: a line starting with whitespace continues the previous one.
    let mut raw: Vec<(usize, Cow<str>)> = Vec::new();
    for (n, line) in lines.enumerate() {
        if line.starts_with([' ', '\t']) {
            let Some((_, prev)) = raw.last_mut() else {
                return Err(ParseError::BadHeader { line: n + 2 });
            };
            let prev = prev.to_mut();
            prev.push(' ');
            prev.push_str(line.trim());
        } else {
            // One line more than headers: Content-Length is not kept as one.
            if raw.len() > limits.max_headers {
                return Err(ParseError::TooManyHeaders {
                    max: limits.max_headers,
                });
            }
            raw.push((n + 2, Cow::Borrowed(line)));
        }
        if raw
            .last()
            .is_some_and(|(_, l)| l.len() > limits.max_header_len)
        {
            return Err(ParseError::HeaderTooLong {
                max: limits.max_header_len,
            });
        }
    }

    let mut headers = Vec::new();
    let mut content_length = None;
    for (n, line) in raw {
        let (name, value) = line
            .split_once(':')
            .ok_or(ParseError::BadHeader { line: n })?;
        let name = name.trim_end_matches([' ', '\t']);
        if name.is_empty() || !name.bytes().all(is_token) {
            return Err(ParseError::BadHeader { line: n });
        }
        if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Err(ParseError::BadHeader { line: n });
        }
        let name = canonical_name(name);
        let value = value.trim_matches([' ', '\t']);
        if name == "Content-Length" {
            let len = parse_content_length(value)?;
            if content_length.is_some_and(|l| l != len) {
                return Err(ParseError::BadContentLength);
            }
            content_length = Some(len);
            continue;
        }
        if LIST_HEADERS.contains(&name.as_str()) {
            for part in split_outside(value, b',') {
                let part = part.trim_matches([' ', '\t']);
                if part.is_empty() {
                    continue;
                }
                headers.push(Header {
                    name: name.clone(),
                    value: part.to_string(),
                });
            }
        } else {
            headers.push(Header {
                name,
                value: value.to_string(),
            });
        }
        if headers.len() > limits.max_headers {
            return Err(ParseError::TooManyHeaders {
                max: limits.max_headers,
            });
        }
    }

    let rest = &buf[body_start..];
    let body = match content_length {
        Some(want) if want > rest.len() => {
            return Err(ParseError::Truncated {
                have: rest.len(),
                want,
            });
        }
        Some(want) => rest[..want].to_vec(),
        None => rest.to_vec(),
    };
    let msg = Message {
        start,
        headers,
        body,
    };
    msg.validate()?;
    Ok(msg)
}

impl Message {
    pub fn request(method: Method, uri: impl Into<String>) -> Message {
        Message {
            start: StartLine::Request {
                method,
                uri: uri.into(),
            },
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn response(code: u16, reason: impl Into<String>) -> Message {
        Message {
            start: StartLine::Response {
                code,
                reason: reason.into(),
            },
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A response to `req` (RFC 3261 §8.2.6.2): Via, From, To, Call-ID and CSeq copied,
    /// Record-Route too (the dialog needs it on 1xx/2xx to INVITE; harmless elsewhere).
    pub fn response_to(req: &Message, code: u16, reason: impl Into<String>) -> Message {
        let mut res = Message::response(code, reason);
        for h in &req.headers {
            if matches!(
                h.name.as_str(),
                "Via" | "From" | "To" | "Call-ID" | "CSeq" | "Record-Route"
            ) {
                res.headers.push(h.clone());
            }
        }
        res
    }

    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    pub fn method(&self) -> Option<&Method> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    pub fn uri(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { uri, .. } => Some(uri),
            StartLine::Response { .. } => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { code, .. } => Some(*code),
            StartLine::Request { .. } => None,
        }
    }

    /// The first value of header `name` (any spelling, compact forms included).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = canonical(name);
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(&name))
            .map(|h| h.value.as_str())
    }

    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let name = canonical(name);
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(&name))
            .map(|h| h.value.as_str())
    }

    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        self.headers.push(Header {
            name: canonical_name(name),
            value: value.into(),
        });
    }

    /// Replaces every value of `name` with one, where the first one stood.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let name = canonical_name(name);
        let value = value.into();
        match self.headers.iter().position(|h| h.name == name) {
            Some(i) => {
                self.headers[i].value = value;
                let mut j = 0;
                self.headers.retain(|h| {
                    j += 1;
                    j - 1 == i || h.name != name
                });
            }
            None => self.headers.push(Header { name, value }),
        }
    }

    pub fn remove(&mut self, name: &str) {
        let name = canonical_name(name);
        self.headers.retain(|h| h.name != name);
    }

    pub fn vias(&self) -> Result<Vec<Via>, ParseError> {
        self.headers_named("Via").map(Via::parse).collect()
    }

    pub fn top_via(&self) -> Result<Via, ParseError> {
        Via::parse(self.header("Via").ok_or(ParseError::MissingHeader("Via"))?)
    }

    pub fn from_addr(&self) -> Result<NameAddr, ParseError> {
        NameAddr::parse(
            self.header("From")
                .ok_or(ParseError::MissingHeader("From"))?,
        )
        .ok_or(ParseError::BadValue("From"))
    }

    pub fn to_addr(&self) -> Result<NameAddr, ParseError> {
        NameAddr::parse(self.header("To").ok_or(ParseError::MissingHeader("To"))?)
            .ok_or(ParseError::BadValue("To"))
    }

    pub fn call_id(&self) -> Result<&str, ParseError> {
        self.header("Call-ID")
            .filter(|v| !v.is_empty() && !v.contains([' ', '\t']))
            .ok_or(ParseError::MissingHeader("Call-ID"))
    }

    pub fn cseq(&self) -> Result<CSeq, ParseError> {
        CSeq::parse(
            self.header("CSeq")
                .ok_or(ParseError::MissingHeader("CSeq"))?,
        )
        .ok_or(ParseError::BadValue("CSeq"))
    }

    pub fn contacts(&self) -> Result<Vec<NameAddr>, ParseError> {
        self.headers_named("Contact")
            .map(|v| NameAddr::parse(v).ok_or(ParseError::BadValue("Contact")))
            .collect()
    }

    pub fn max_forwards(&self) -> Result<Option<u8>, ParseError> {
        self.header("Max-Forwards")
            .map(|v| v.parse().map_err(|_| ParseError::BadValue("Max-Forwards")))
            .transpose()
    }

    pub fn expires(&self) -> Option<u32> {
        self.header("Expires").and_then(|v| v.parse().ok())
    }

    /// The checks every received message passes: the headers a transaction needs.
    fn validate(&self) -> Result<(), ParseError> {
        self.top_via()?;
        self.from_addr()?;
        self.to_addr()?;
        self.call_id()?;
        let cseq = self.cseq()?;
        self.max_forwards()?;
        if let Some(m) = self.method()
            && *m != cseq.method
        {
            return Err(ParseError::CSeqMismatch);
        }
        Ok(())
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.to_string().into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

/// The head: start line, headers, Content-Length and the blank line (the body follows).
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.start {
            StartLine::Request { method, uri } => write!(f, "{method} {uri} SIP/2.0\r\n")?,
            StartLine::Response { code, reason } => write!(f, "SIP/2.0 {code} {reason}\r\n")?,
        }
        for h in &self.headers {
            write!(f, "{}: {}\r\n", h.name, h.value)?;
        }
        write!(f, "Content-Length: {}\r\n\r\n", self.body.len())
    }
}

pub type Params = Vec<(String, Option<String>)>;

/// Parses `;a=b;c` (the leading `;` optional). Names are kept as written.
pub fn parse_params(s: &str) -> Option<Params> {
    let s = s.trim();
    let s = s.strip_prefix(';').unwrap_or(s);
    if s.is_empty() {
        return Some(Vec::new());
    }
    split_outside(s, b';')
        .into_iter()
        .map(|p| {
            let (n, v) = match p.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim().to_string())),
                None => (p.trim(), None),
            };
            (!n.is_empty() && n.bytes().all(is_token)).then(|| (n.to_string(), v))
        })
        .collect()
}

pub fn param<'a>(params: &'a Params, name: &str) -> Option<Option<&'a str>> {
    params
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_deref())
}

fn write_params(f: &mut fmt::Formatter<'_>, params: &Params) -> fmt::Result {
    for (n, v) in params {
        match v {
            Some(v) => write!(f, ";{n}={v}")?,
            None => write!(f, ";{n}")?,
        }
    }
    Ok(())
}

/// One Via entry: `SIP/2.0/UDP host:port;branch=z9hG4bK…;received=…;rport=…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    pub transport: String,
    pub host: String,
    pub port: Option<u16>,
    pub params: Params,
}

/// The RFC 3261 branch cookie: a branch that starts with it identifies a transaction.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

impl Via {
    pub fn parse(s: &str) -> Result<Via, ParseError> {
        let bad = ParseError::BadValue("Via");
        let (proto, rest) = s.trim().split_once([' ', '\t']).ok_or(bad.clone())?;
        let mut p = proto.split('/');
        let (Some(name), Some(version), Some(transport), None) =
            (p.next(), p.next(), p.next(), p.next())
        else {
            return Err(bad);
        };
        if !name.eq_ignore_ascii_case("SIP") || version != "2.0" || transport.is_empty() {
            return Err(bad);
        }
        if !transport.bytes().all(is_token) {
            return Err(bad);
        }
        let rest = rest.trim();
        let (sent_by, params) = match rest.find(';') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (host, port) = split_host_port(sent_by.trim()).ok_or(bad.clone())?;
        let params = parse_params(params).ok_or(bad)?;
        Ok(Via {
            transport: transport.to_ascii_uppercase(),
            host,
            port,
            params,
        })
    }

    pub fn new(transport: &str, host: &str, port: u16, branch: &str) -> Via {
        Via {
            transport: transport.to_ascii_uppercase(),
            host: host.to_string(),
            port: Some(port),
            params: vec![
                ("branch".into(), Some(branch.to_string())),
                ("rport".into(), None),
            ],
        }
    }

    pub fn branch(&self) -> Option<&str> {
        param(&self.params, "branch").flatten()
    }
    pub fn received(&self) -> Option<&str> {
        param(&self.params, "received").flatten()
    }
    /// `None`: no rport; `Some(None)`: asked for (`;rport`); `Some(Some(p))`: filled in.
    pub fn rport(&self) -> Option<Option<u16>> {
        param(&self.params, "rport").map(|v| v.and_then(|v| v.parse().ok()))
    }

    /// What a server does to the top Via of a request it receives (RFC 3261 §18.2.1,
    /// RFC 3581): `received` when the source address differs from sent-by, `rport` filled
    /// in when asked for.
    pub fn stamp_source(&mut self, ip: &str, port: u16) {
        let set = |params: &mut Params, name: &str, value: String| match params
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(p) => p.1 = Some(value),
            None => params.push((name.to_string(), Some(value))),
        };
        let wants_rport = self.rport().is_some();
        if self.host != ip || wants_rport {
            set(&mut self.params, "received", ip.to_string());
        }
        if wants_rport {
            set(&mut self.params, "rport", port.to_string());
        }
    }

    /// Where responses go (RFC 3261 §18.2.2, RFC 3581 §4): received/rport over sent-by.
    pub fn response_target(&self) -> (String, u16) {
        let host = self.received().unwrap_or(&self.host).to_string();
        let default = if self.transport == "TLS" { 5061 } else { 5060 };
        let port = self.rport().flatten().or(self.port).unwrap_or(default);
        (host, port)
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SIP/2.0/{} {}",
            self.transport,
            host_port(&self.host, self.port)
        )?;
        write_params(f, &self.params)
    }
}

fn host_port(host: &str, port: Option<u16>) -> String {
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    match port {
        Some(p) => format!("{host}:{p}"),
        None => host,
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`. IPv6 hosts come back without brackets.
fn split_host_port(s: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        match after {
            "" => (h, None),
            p => (h, Some(p.strip_prefix(':')?)),
        }
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let ok = |c: char| c.is_ascii_alphanumeric() || ".-_:".contains(c);
    if host.is_empty() || !host.chars().all(ok) {
        return None;
    }
    let port = match port {
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() && p.len() <= 5 => {
            Some(p.parse().ok()?)
        }
        Some(_) => return None,
        None => None,
    };
    Some((host.to_string(), port))
}

/// `"Display" <uri>;params` (From, To, Contact, Route). Always written with brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    pub display: Option<String>,
    pub uri: String,
    pub params: Params,
}

impl NameAddr {
    pub fn new(uri: impl Into<String>) -> NameAddr {
        NameAddr {
            display: None,
            uri: uri.into(),
            params: Vec::new(),
        }
    }

    pub fn parse(s: &str) -> Option<NameAddr> {
        let s = s.trim();
        if s == "*" {
            return Some(NameAddr::new("*"));
        }
        let (display, rest) = if let Some(q) = s.strip_prefix('"') {
            let mut end = None;
            let mut escaped = false;
            for (i, c) in q.char_indices() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let end = end?;
            (Some(q[..end].to_string()), q[end + 1..].trim_start())
        } else {
            match (s.find('<'), s.find(';')) {
                (Some(lt), semi) if semi.is_none_or(|sc| lt < sc) => {
                    let d = s[..lt].trim();
                    ((!d.is_empty()).then(|| d.to_string()), &s[lt..])
                }
                _ => (None, s),
            }
        };
        let (uri, params) = if let Some(r) = rest.strip_prefix('<') {
            let (uri, after) = r.split_once('>')?;
            (uri, after)
        } else if display.is_some() {
            return None;
        } else {
            match rest.find(';') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, ""),
            }
        };
        let uri = uri.trim();
        if uri.is_empty() || !uri.contains(':') || uri.contains(['<', '>', ' ', '"']) {
            return None;
        }
        let params = params.trim();
        if !params.is_empty() && !params.starts_with(';') {
            return None;
        }
        Some(NameAddr {
            display,
            uri: uri.to_string(),
            params: parse_params(params)?,
        })
    }

    pub fn tag(&self) -> Option<&str> {
        param(&self.params, "tag").flatten()
    }

    pub fn with_tag(mut self, tag: &str) -> NameAddr {
        self.params.retain(|(n, _)| !n.eq_ignore_ascii_case("tag"));
        self.params.push(("tag".into(), Some(tag.to_string())));
        self
    }
}

impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.uri == "*" {
            return f.write_str("*");
        }
        if let Some(d) = &self.display {
            write!(f, "\"{d}\" ")?;
        }
        write!(f, "<{}>", self.uri)?;
        write_params(f, &self.params)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    pub seq: u32,
    pub method: Method,
}

impl CSeq {
    pub fn parse(s: &str) -> Option<CSeq> {
        let mut it = s.split_whitespace();
        let (Some(n), Some(m), None) = (it.next(), it.next(), it.next()) else {
            return None;
        };
        if n.len() > 10 || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // RFC 3261 §8.1.1.5: less than 2**31.
        let seq: u32 = n.parse().ok().filter(|s| *s < 1 << 31)?;
        Some(CSeq {
            seq,
            method: Method::parse(m)?,
        })
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

/// A `sip:`/`sips:` URI, enough to find where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri {
    pub secure: bool,
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    pub params: Params,
}

impl SipUri {
    pub fn parse(s: &str) -> Option<SipUri> {
        let (secure, rest) = if let Some(r) = s.strip_prefix("sips:") {
            (true, r)
        } else {
            (false, s.strip_prefix("sip:")?)
        };
        let rest = rest.split('?').next()?;
        let (addr, params) = match rest.find(';') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (user, hostport) = match addr.rsplit_once('@') {
            Some((u, h)) => (Some(u.split(':').next()?.to_string()), h),
            None => (None, addr),
        };
        let (host, port) = split_host_port(hostport)?;
        Some(SipUri {
            secure,
            user: user.filter(|u| !u.is_empty()),
            host,
            port,
            params: parse_params(params)?,
        })
    }

    pub fn transport(&self) -> Option<&str> {
        param(&self.params, "transport").flatten()
    }
}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "sips:" } else { "sip:" })?;
        if let Some(u) = &self.user {
            write!(f, "{u}@")?;
        }
        f.write_str(&host_port(&self.host, self.port))?;
        write_params(f, &self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const INVITE: &str = "INVITE sip:bob@biloxi.com SIP/2.0\r\n\
v: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds ;rport,\r\n SIP/2.0/TCP proxy.example.com:5070;branch=z9hG4bKnashds8\r\n\
Max-Forwards: 70\r\n\
t: Bob <sip:bob@biloxi.com>\r\n\
f: \"Alice, A.\" <sip:alice@atlanta.com>;tag=1928301774\r\n\
i: a84b4c76e66710@pc33.atlanta.com\r\n\
CSeq: 314159 INVITE\r\n\
m: <sip:alice@pc33.atlanta.com>\r\n\
Subject: lunch\r\n  and more\r\n\
c: application/sdp\r\n\
l: 4\r\n\r\nv=0\r\nEXTRA";

    fn p(s: &str) -> Result<Message, ParseError> {
        parse(s.as_bytes(), &Limits::default())
    }

    #[test]
    fn parses_compact_folded_and_multi_value_headers() {
        let m = p(INVITE).unwrap();
        assert_eq!(m.method(), Some(&Method::Invite));
        assert_eq!(m.uri(), Some("sip:bob@biloxi.com"));
        let vias = m.vias().unwrap();
        assert_eq!(vias.len(), 2);
        assert_eq!(vias[0].branch(), Some("z9hG4bK776asdhds"));
        assert_eq!(vias[0].rport(), Some(None));
        assert_eq!(vias[1].transport, "TCP");
        assert_eq!(vias[1].port, Some(5070));
        assert_eq!(m.call_id().unwrap(), "a84b4c76e66710@pc33.atlanta.com");
        let from = m.from_addr().unwrap();
        assert_eq!(from.display.as_deref(), Some("Alice, A."));
        assert_eq!(from.tag(), Some("1928301774"));
        assert_eq!(m.to_addr().unwrap().tag(), None);
        assert_eq!(m.to_addr().unwrap().display.as_deref(), Some("Bob"));
        assert_eq!(
            m.cseq().unwrap(),
            CSeq {
                seq: 314159,
                method: Method::Invite
            }
        );
        assert_eq!(m.header("Subject"), Some("lunch and more"));
        assert_eq!(m.header("content-type"), Some("application/sdp"));
        assert_eq!(m.contacts().unwrap()[0].uri, "sip:alice@pc33.atlanta.com");
        assert_eq!(m.max_forwards().unwrap(), Some(70));
        // Content-Length cuts the datagram's trailing bytes.
        assert_eq!(m.body, b"v=0\r");
        assert_eq!(p(&String::from_utf8(m.to_bytes()).unwrap()).unwrap(), m);
    }

    #[test]
    fn refuses_what_it_does_not_understand() {
        let ok = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n";
        assert!(p(ok).is_ok());
        let cases: [(&str, ParseError); 9] = [
            ("", ParseError::Empty),
            ("OPTIONS sip:a@b SIP/2.0\r\nVia: x", ParseError::Incomplete),
            (
                &ok.replace("SIP/2.0\r\nVia", "SIP/3.0\r\nVia"),
                ParseError::BadVersion,
            ),
            (
                &ok.replace("CSeq: 1 OPTIONS", "CSeq: 1 INVITE"),
                ParseError::CSeqMismatch,
            ),
            (
                &ok.replace("Call-ID: x\r\n", ""),
                ParseError::MissingHeader("Call-ID"),
            ),
            (
                &ok.replace("CSeq: 1", "CSeq: x"),
                ParseError::BadValue("CSeq"),
            ),
            (
                &ok.replace("\r\n\r\n", "\r\nContent-Length: 5\r\n\r\nab"),
                ParseError::Truncated { have: 2, want: 5 },
            ),
            (
                &ok.replace("\r\n\r\n", "\r\nContent-Length: -1\r\n\r\n"),
                ParseError::BadContentLength,
            ),
            (&ok.replace("To:", "To"), ParseError::BadHeader { line: 4 }),
        ];
        for (input, err) in cases {
            assert_eq!(p(input), Err(err), "{input:?}");
        }
        // Folded continuation lines are joined, not refused:
        assert!(p(&ok.replace("To: <sip:a@b>", "To:\r\n <sip:a@b>")).is_ok());
        let many = ok.replace("\r\n\r\n", &"\r\nX-A: 1".repeat(200)) + "\r\n\r\n";
        assert_eq!(p(&many), Err(ParseError::TooManyHeaders { max: 128 }));
        let big = vec![b'a'; 70_000];
        assert!(matches!(
            parse(&big, &Limits::default()),
            Err(ParseError::TooLarge { .. })
        ));
    }

    #[test]
    fn stream_framing_waits_for_the_body() {
        let msg = "\r\n\r\nSIP/2.0 200 OK\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: x\r\nCSeq: 1 BYE\r\nContent-Length: 3\r\n\r\nabc";
        let l = Limits::default();
        assert_eq!(frame_len(&msg.as_bytes()[..msg.len() - 1], &l), Ok(None));
        assert_eq!(frame_len(msg.as_bytes(), &l), Ok(Some(msg.len())));
        let two = format!("{msg}{msg}");
        let n = frame_len(two.as_bytes(), &l).unwrap().unwrap();
        assert_eq!(parse(&two.as_bytes()[..n], &l).unwrap().body, b"abc");
    }

    #[test]
    fn via_received_and_rport() {
        let mut v = Via::parse("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa;rport").unwrap();
        v.stamp_source("203.0.113.9", 40000);
        assert_eq!(
            v.to_string(),
            "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa;rport=40000;received=203.0.113.9"
        );
        assert_eq!(v.response_target(), ("203.0.113.9".into(), 40000));
        let v6 = Via::parse("SIP/2.0/TLS [2001:db8::1];branch=z9hG4bKb").unwrap();
        assert_eq!(v6.response_target(), ("2001:db8::1".into(), 5061));
        assert_eq!(Via::parse(&v6.to_string()).unwrap(), v6);
    }

    #[test]
    fn name_addr_forms() {
        let a = NameAddr::parse("sip:bob@b.com;tag=9").unwrap();
        assert_eq!((a.uri.as_str(), a.tag()), ("sip:bob@b.com", Some("9")));
        let b = NameAddr::parse("Bob Smith <sip:bob@b.com;transport=tcp>;tag=x").unwrap();
        assert_eq!(b.display.as_deref(), Some("Bob Smith"));
        assert_eq!(b.uri, "sip:bob@b.com;transport=tcp");
        assert_eq!(NameAddr::parse(&b.to_string()).unwrap().uri, b.uri);
        assert!(NameAddr::parse("\"unterminated <sip:a@b>").is_none());
        let u = SipUri::parse("sips:alice:pw@[2001:db8::2]:5071;transport=tls").unwrap();
        assert_eq!(
            (u.user.as_deref(), u.host.as_str(), u.port),
            (Some("alice"), "2001:db8::2", Some(5071))
        );
        assert_eq!(u.transport(), Some("tls"));
    }

    fn token() -> impl Strategy<Value = String> {
        "[A-Za-z0-9][A-Za-z0-9.!%*_+~-]{0,8}"
    }

    prop_compose! {
        fn message()(
            request in any::<bool>(),
            method in prop::sample::select(vec!["INVITE", "BYE", "OPTIONS", "REGISTER", "FOO"]),
            user in token(), host in "[a-z]{1,8}(\\.[a-z]{1,5}){0,2}",
            port in prop::option::of(1u16..),
            code in 100u16..700, reason in "[A-Za-z ]{0,12}",
            branches in prop::collection::vec(token(), 1..4),
            from_tag in token(), to_tag in prop::option::of(token()),
            call_id in "[A-Za-z0-9@.-]{1,20}", seq in 0u32..(1 << 31),
            display in prop::option::of("[A-Za-z ,]{0,10}"),
            extra in prop::collection::vec(("X-[A-Za-z0-9-]{1,8}", "[ -~]{0,20}"), 0..5),
            body in prop::collection::vec(any::<u8>(), 0..64),
        ) -> Message {
            let mut m = if request {
                Message::request(Method::parse(method).unwrap(), format!("sip:{user}@{host}"))
            } else {
                Message::response(code, reason.trim())
            };
            for b in &branches {
                let mut via = Via::new("UDP", &host, port.unwrap_or(5060), &format!("{MAGIC_COOKIE}{b}"));
                via.port = port;
                m.push("Via", via.to_string());
            }
            let mut from = NameAddr::new(format!("sip:{user}@{host}")).with_tag(&from_tag);
            from.display = display;
            m.push("From", from.to_string());
            let to = NameAddr::new(format!("sip:x@{host}"));
            m.push("To", to_tag.map_or(to.clone(), |t| to.with_tag(&t)).to_string());
            m.push("Call-ID", call_id);
            m.push("CSeq", format!("{seq} {method}"));
            m.push("Max-Forwards", "70");
            for (n, v) in extra {
                m.push(&n, v.trim());
            }
            m.body = body;
            m
        }
    }

    proptest! {
        #[test]
        fn round_trips(m in message()) {
            let bytes = m.to_bytes();
            prop_assert_eq!(parse(&bytes, &Limits::default()).unwrap(), m.clone());
            prop_assert_eq!(frame_len(&bytes, &Limits::default()).unwrap(), Some(bytes.len()));
        }

        #[test]
        fn never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&bytes, &Limits::default());
            let _ = frame_len(&bytes, &Limits::default());
        }

        #[test]
        fn mutated_messages_never_panic(m in message(), cut in 0usize..400, flip in any::<u8>()) {
            let mut bytes = m.to_bytes();
            if !bytes.is_empty() {
                let i = cut % bytes.len();
                bytes[i] ^= flip;
                let _ = parse(&bytes, &Limits::default());
                let _ = parse(&bytes[..i], &Limits::default());
            }
        }
    }
}
