//! HTTP Digest authentication as SIP uses it (RFC 3261 §22, RFC 2617, RFC 7616 with MD5,
//! `qop=auth`), both sides.
//!
//! * Client: a trunk challenges our REGISTER or INVITE with 401/407; [`respond`] computes
//!   the `Authorization`/`Proxy-Authorization` value.
//! * Server: a device or trunk that registers to us is challenged by [`DigestServer`],
//!   whose nonces carry their issue time and a keyed hash, so they need no table and
//!   expire after `nonce_ttl_ms` (then the challenge says `stale=true` and the client
//!   retries without asking its user again). Nonce counts are not tracked: a replay
//!   within the nonce's lifetime is possible, as it is on most SIP servers; keep the
//!   lifetime short.
//!
//! MD5 is what SIP equipment speaks; nothing else here relies on it.
use md5::{Digest, Md5};
use std::fmt::Write;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    #[error("not a Digest header")]
    NotDigest,
    #[error("malformed Digest parameters")]
    Malformed,
    #[error("missing Digest parameter {0}")]
    Missing(&'static str),
    #[error("unsupported algorithm or qop")]
    Unsupported,
}

fn md5_hex(parts: &[&str]) -> String {
    let mut h = Md5::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update(b":");
        }
        h.update(p.as_bytes());
    }
    let mut s = String::with_capacity(32);
    for b in h.finalize() {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Parses `Digest a="b", c=d` into pairs (names lowercased, quotes removed).
fn parse_pairs(value: &str) -> Result<Vec<(String, String)>, DigestError> {
    let value = value.trim();
    let rest = value
        .get(..6)
        .filter(|s| s.eq_ignore_ascii_case("digest"))
        .map(|_| &value[6..])
        .ok_or(DigestError::NotDigest)?;
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return Err(DigestError::NotDigest);
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for part in crate::sip::split_outside(rest, b',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (n, v) = part.split_once('=').ok_or(DigestError::Malformed)?;
        let (n, v) = (n.trim().to_ascii_lowercase(), v.trim());
        let v = match v.strip_prefix('"') {
            Some(q) => q
                .strip_suffix('"')
                .ok_or(DigestError::Malformed)?
                .replace("\\\"", "\""),
            None => v.to_string(),
        };
        if n.is_empty() || out.iter().any(|(k, _)| *k == n) || out.len() > 16 {
            return Err(DigestError::Malformed);
        }
        out.push((n, v));
    }
    Ok(out)
}

fn get(pairs: &[(String, String)], name: &'static str) -> Result<String, DigestError> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .ok_or(DigestError::Missing(name))
}

fn opt(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Md5Sess,
}

fn algorithm(s: Option<&str>) -> Result<Algorithm, DigestError> {
    match s {
        None => Ok(Algorithm::Md5),
        Some(a) if a.eq_ignore_ascii_case("MD5") => Ok(Algorithm::Md5),
        Some(a) if a.eq_ignore_ascii_case("MD5-sess") => Ok(Algorithm::Md5Sess),
        _ => Err(DigestError::Unsupported),
    }
}

/// A `WWW-Authenticate` or `Proxy-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub algorithm: Algorithm,
    /// Whether the server offered `qop=auth` (we use it whenever offered).
    pub qop_auth: bool,
    pub stale: bool,
}

impl Challenge {
    pub fn parse(value: &str) -> Result<Challenge, DigestError> {
        let p = parse_pairs(value)?;
        let qop = opt(&p, "qop");
        let qop_auth = qop
            .as_deref()
            .is_some_and(|q| q.split(',').any(|q| q.trim().eq_ignore_ascii_case("auth")));
        if qop.is_some() && !qop_auth {
            return Err(DigestError::Unsupported);
        }
        Ok(Challenge {
            realm: get(&p, "realm")?,
            nonce: get(&p, "nonce")?,
            opaque: opt(&p, "opaque"),
            algorithm: algorithm(opt(&p, "algorithm").as_deref())?,
            qop_auth,
            stale: opt(&p, "stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
        })
    }
}

impl std::fmt::Display for Challenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Digest realm=\"{}\", nonce=\"{}\"",
            self.realm, self.nonce
        )?;
        if let Some(o) = &self.opaque {
            write!(f, ", opaque=\"{o}\"")?;
        }
        let alg = match self.algorithm {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
        };
        write!(f, ", algorithm={alg}")?;
        if self.qop_auth {
            f.write_str(", qop=\"auth\"")?;
        }
        if self.stale {
            f.write_str(", stale=true")?;
        }
        Ok(())
    }
}

/// The challenge of a 401 or 407 response and the header that answers it
/// (`Authorization` or `Proxy-Authorization`); `None` for other responses or a challenge
/// we cannot answer.
pub fn challenge_of(res: &crate::sip::Message) -> Option<(Challenge, &'static str)> {
    let (from, header) = match res.status()? {
        401 => ("WWW-Authenticate", "Authorization"),
        407 => ("Proxy-Authenticate", "Proxy-Authorization"),
        _ => return None,
    };
    Some((Challenge::parse(res.header(from)?).ok()?, header))
}

/// An `Authorization` or `Proxy-Authorization` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub algorithm: Algorithm,
    pub opaque: Option<String>,
    /// `Some((nc, cnonce))` with `qop=auth`.
    pub qop: Option<(u32, String)>,
}

impl Credentials {
    pub fn parse(value: &str) -> Result<Credentials, DigestError> {
        let p = parse_pairs(value)?;
        let qop = match opt(&p, "qop") {
            None => None,
            Some(q) if q.eq_ignore_ascii_case("auth") => {
                let nc = get(&p, "nc")?;
                let nc = u32::from_str_radix(&nc, 16).map_err(|_| DigestError::Malformed)?;
                Some((nc, get(&p, "cnonce")?))
            }
            Some(_) => return Err(DigestError::Unsupported),
        };
        Ok(Credentials {
            username: get(&p, "username")?,
            realm: get(&p, "realm")?,
            nonce: get(&p, "nonce")?,
            uri: get(&p, "uri")?,
            response: get(&p, "response")?,
            algorithm: algorithm(opt(&p, "algorithm").as_deref())?,
            opaque: opt(&p, "opaque"),
            qop,
        })
    }
}

impl std::fmt::Display for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let alg = match self.algorithm {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
        };
        write!(
            f,
            "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{}\", algorithm={alg}",
            self.username, self.realm, self.nonce, self.uri, self.response
        )?;
        if let Some(o) = &self.opaque {
            write!(f, ", opaque=\"{o}\"")?;
        }
        if let Some((nc, cnonce)) = &self.qop {
            write!(f, ", qop=auth, nc={nc:08x}, cnonce=\"{cnonce}\"")?;
        }
        Ok(())
    }
}

/// HA1 = MD5(username:realm:password): what a server may store instead of the password.
pub fn ha1(username: &str, realm: &str, password: &str) -> String {
    md5_hex(&[username, realm, password])
}

fn expected(
    ha1: &str,
    alg: Algorithm,
    nonce: &str,
    qop: &Option<(u32, String)>,
    method: &str,
    uri: &str,
) -> String {
    let ha1 = match (alg, qop) {
        (Algorithm::Md5Sess, Some((_, cnonce))) => md5_hex(&[ha1, nonce, cnonce]),
        _ => ha1.to_string(),
    };
    let ha2 = md5_hex(&[method, uri]);
    match qop {
        Some((nc, cnonce)) => md5_hex(&[&ha1, nonce, &format!("{nc:08x}"), cnonce, "auth", &ha2]),
        None => md5_hex(&[&ha1, nonce, &ha2]),
    }
}

/// The client's answer to `challenge` for `method` to `uri`. `cnonce` is the caller's
/// random string and `nc` counts requests with this nonce, from 1.
pub fn respond(
    challenge: &Challenge,
    method: &str,
    uri: &str,
    username: &str,
    password: &str,
    cnonce: &str,
    nc: u32,
) -> Credentials {
    let qop = challenge.qop_auth.then(|| (nc, cnonce.to_string()));
    let response = expected(
        &ha1(username, &challenge.realm, password),
        challenge.algorithm,
        &challenge.nonce,
        &qop,
        method,
        uri,
    );
    Credentials {
        username: username.into(),
        realm: challenge.realm.clone(),
        nonce: challenge.nonce.clone(),
        uri: uri.into(),
        response,
        algorithm: challenge.algorithm,
        opaque: challenge.opaque.clone(),
        qop,
    }
}

/// Why a request's credentials were refused; each is answered with a fresh challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The nonce was ours but has expired: challenge again with `stale=true`.
    Stale,
    /// Forged nonce, other realm, unknown user or wrong password.
    Invalid,
}

/// Challenges and verifies without state: the nonce is `<issued ms hex>.<MAC>`.
#[derive(Debug, Clone)]
pub struct DigestServer {
    pub realm: String,
    key: Vec<u8>,
    pub nonce_ttl_ms: u64,
}

fn eq_ct(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl DigestServer {
    /// `key`: a secret of the server's (random, at least 16 bytes).
    pub fn new(realm: &str, key: &[u8], nonce_ttl_ms: u64) -> DigestServer {
        DigestServer {
            realm: realm.into(),
            key: key.to_vec(),
            nonce_ttl_ms,
        }
    }

    fn mac(&self, issued: u64) -> String {
        let mut h = Md5::new();
        h.update(&self.key);
        h.update(format!(":{issued:x}:{}", self.realm).as_bytes());
        h.update(&self.key);
        h.finalize().iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    pub fn challenge(&self, now_ms: u64, stale: bool) -> Challenge {
        Challenge {
            realm: self.realm.clone(),
            nonce: format!("{now_ms:x}.{}", self.mac(now_ms)),
            opaque: None,
            algorithm: Algorithm::Md5,
            qop_auth: true,
            stale,
        }
    }

    /// Verifies `creds` for `method`; `ha1_of(username)` gives the stored HA1 (see
    /// [`ha1`]) or `None` for an unknown user.
    pub fn verify(
        &self,
        now_ms: u64,
        method: &str,
        creds: &Credentials,
        ha1_of: impl FnOnce(&str) -> Option<String>,
    ) -> Result<(), Refusal> {
        let (issued, mac) = creds.nonce.split_once('.').ok_or(Refusal::Invalid)?;
        let issued = u64::from_str_radix(issued, 16).map_err(|_| Refusal::Invalid)?;
        if creds.realm != self.realm || !eq_ct(mac.as_bytes(), self.mac(issued).as_bytes()) {
            return Err(Refusal::Invalid);
        }
        if creds.qop.is_none() {
            // We always offer qop=auth; a response without it is a downgrade.
            return Err(Refusal::Invalid);
        }
        let ha1 = ha1_of(&creds.username).ok_or(Refusal::Invalid)?;
        let want = expected(
            &ha1,
            creds.algorithm,
            &creds.nonce,
            &creds.qop,
            method,
            &creds.uri,
        );
        if !eq_ct(
            want.as_bytes(),
            creds.response.to_ascii_lowercase().as_bytes(),
        ) {
            return Err(Refusal::Invalid);
        }
        if issued > now_ms || now_ms - issued > self.nonce_ttl_ms {
            return Err(Refusal::Stale);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc2617_example() {
        // RFC 2617 §3.5 (HTTP, but the same arithmetic).
        let c = Challenge::parse(
            r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        )
        .unwrap();
        let r = respond(
            &c,
            "GET",
            "/dir/index.html",
            "Mufasa",
            "Circle Of Life",
            "0a4f113b",
            1,
        );
        assert_eq!(r.response, "6629fae49393a05397450978507c4ef1");
        let text = r.to_string();
        assert!(
            text.contains("nc=00000001") && text.contains("qop=auth"),
            "{text}"
        );
        assert_eq!(Credentials::parse(&text).unwrap(), r);
    }

    #[test]
    fn without_qop() {
        let c = Challenge::parse(
            "Digest realm=\"atlanta.com\", nonce=\"84a4cc6f3082121f32b42a2187831a9e\"",
        )
        .unwrap();
        let r = respond(&c, "REGISTER", "sip:atlanta.com", "bob", "zanzibar", "x", 1);
        assert_eq!(r.qop, None);
        assert_eq!(
            r.response,
            md5_hex(&[
                &ha1("bob", "atlanta.com", "zanzibar"),
                &c.nonce,
                &md5_hex(&["REGISTER", "sip:atlanta.com"])
            ])
        );
    }

    #[test]
    fn server_challenges_and_verifies_with_a_time_bound() {
        let server = DigestServer::new("homeshore", b"0123456789abcdef", 30_000);
        let ch = Challenge::parse(&server.challenge(1_000, false).to_string()).unwrap();
        let store = |u: &str| (u == "trunk1").then(|| ha1("trunk1", "homeshore", "s3cret"));
        let ok = respond(
            &ch,
            "REGISTER",
            "sip:homeshore",
            "trunk1",
            "s3cret",
            "c1",
            1,
        );
        assert_eq!(server.verify(2_000, "REGISTER", &ok, store), Ok(()));
        assert_eq!(
            server.verify(40_000, "REGISTER", &ok, store),
            Err(Refusal::Stale)
        );
        let wrong = respond(&ch, "REGISTER", "sip:homeshore", "trunk1", "guess", "c1", 1);
        assert_eq!(
            server.verify(2_000, "REGISTER", &wrong, store),
            Err(Refusal::Invalid)
        );
        assert_eq!(
            server.verify(2_000, "INVITE", &ok, store),
            Err(Refusal::Invalid)
        );
        let mut forged = ch.clone();
        forged.nonce = format!("{:x}.{}", 39_000, ch.nonce.split_once('.').unwrap().1);
        let f = respond(
            &forged,
            "REGISTER",
            "sip:homeshore",
            "trunk1",
            "s3cret",
            "c1",
            1,
        );
        assert_eq!(
            server.verify(40_000, "REGISTER", &f, store),
            Err(Refusal::Invalid)
        );
        let other = DigestServer::new("homeshore", b"another key 1234", 30_000);
        assert_eq!(
            other.verify(2_000, "REGISTER", &ok, store),
            Err(Refusal::Invalid)
        );
    }

    #[test]
    fn refuses_malformed() {
        assert_eq!(
            Challenge::parse("Basic realm=x"),
            Err(DigestError::NotDigest)
        );
        assert_eq!(
            Challenge::parse("Digest nonce=\"1\""),
            Err(DigestError::Missing("realm"))
        );
        assert_eq!(
            Challenge::parse("Digest realm=\"x, nonce=1"),
            Err(DigestError::Malformed)
        );
        assert_eq!(
            Challenge::parse("Digest realm=x, nonce=1, qop=auth-int"),
            Err(DigestError::Unsupported)
        );
    }

    proptest! {
        #[test]
        fn client_and_server_agree(user in "[a-z0-9]{1,12}", pass in "[ -~]{0,20}", cnonce in "[a-f0-9]{8}", nc in 1u32..1000, t in 0u64..1 << 40) {
            let server = DigestServer::new("r", b"k", 60_000);
            let ch = server.challenge(t, false);
            let c = Credentials::parse(&respond(&ch, "INVITE", "sip:x", &user, &pass, &cnonce, nc).to_string()).unwrap();
            prop_assert_eq!(server.verify(t + 59_999, "INVITE", &c, |_| Some(ha1(&user, "r", &pass))), Ok(()));
            let wrong = ha1(&user, "r", &format!("{pass}!"));
            prop_assert_eq!(server.verify(t, "INVITE", &c, |_| Some(wrong)), Err(Refusal::Invalid));
        }

        #[test]
        fn never_panics(s in "[ -~]{0,120}") {
            let _ = Challenge::parse(&s);
            let _ = Credentials::parse(&format!("Digest {s}"));
        }
    }
}
