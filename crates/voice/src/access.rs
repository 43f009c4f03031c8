//! Who may start something with us: a trunk's IP allow-list and/or digest credentials.
//!
//! The driver asks [`admit`] about every request that arrives outside a dialog (INVITE,
//! REGISTER, OPTIONS…) before anything else happens, so a call from an unknown source is
//! refused with 403 and never answered or rung. ACK and CANCEL are never challenged
//! (RFC 3261 §22.1): the driver matches them to their INVITE instead.
use crate::digest::{Credentials, DigestServer, Refusal};
use crate::sip::Message;
use std::net::IpAddr;

/// An address block, `203.0.113.0/24`, `2001:db8::/32`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an address or address block: {0}")]
pub struct CidrError(pub String);

impl Cidr {
    pub fn parse(s: &str) -> Result<Cidr, CidrError> {
        let err = || CidrError(s.to_string());
        let (a, p) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = a.parse().map_err(|_| err())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(err)?,
            None => max,
        };
        Ok(Cidr { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 peer may reach an IPv6 socket as ::ffff:a.b.c.d.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        let bits = |a: IpAddr| match a {
            IpAddr::V4(a) => (u32::from(a) as u128) << 96,
            IpAddr::V6(a) => u128::from(a),
        };
        if self.addr.is_ipv4() != ip.is_ipv4() {
            return false;
        }
        // IPv4 sits in the top 32 bits, so one mask serves both.
        if self.prefix == 0 {
            return true;
        }
        let mask = u128::MAX << (128 - self.prefix as u32);
        bits(self.addr) & mask == bits(ip) & mask
    }
}

/// The stored HA1 ([`crate::digest::ha1`]) of a username, `None` when unknown.
pub type Ha1Lookup = dyn Fn(&str) -> Option<String>;

/// What a trunk accepts.
#[derive(Clone, Copy)]
pub struct Policy<'a> {
    pub allow: &'a [Cidr],
    /// Digest authentication: the server and the stored HA1 of a username.
    pub digest: Option<(&'a DigestServer, &'a Ha1Lookup)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Go on; `user` when digest credentials admitted it.
    Allowed { user: Option<String> },
    /// Send this 401 and wait for the request again with credentials.
    Challenge(Message),
    /// Send this 403; nothing else happens.
    Refused(Message),
}

/// Decides whether `req` from `source` may proceed under `policy`.
pub fn admit(now_ms: u64, source: IpAddr, req: &Message, policy: &Policy<'_>) -> Admission {
    if policy.allow.iter().any(|c| c.contains(source)) {
        return Admission::Allowed { user: None };
    }
    // Stateless final answers, To-tagged like any (`router::stateless_reply`).
    let refuse = || Admission::Refused(crate::router::stateless_reply(req, 403, "Forbidden"));
    let Some((server, ha1_of)) = policy.digest else {
        return refuse();
    };
    let challenge = |stale: bool| {
        let mut r = crate::router::stateless_reply(req, 401, "Unauthorized");
        r.push(
            "WWW-Authenticate",
            server.challenge(now_ms, stale).to_string(),
        );
        Admission::Challenge(r)
    };
    let Some(creds) = req.header("Authorization") else {
        return challenge(false);
    };
    let Ok(creds) = Credentials::parse(creds) else {
        return refuse();
    };
    let method = req.method().map(|m| m.as_str()).unwrap_or_default();
    match server.verify(now_ms, method, &creds, ha1_of) {
        Ok(()) => Admission::Allowed {
            user: Some(creds.username),
        },
        Err(Refusal::Stale) => challenge(true),
        Err(Refusal::Invalid) => refuse(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::{Challenge, ha1, respond};
    use crate::sip::{Method, Via};

    fn invite() -> Message {
        let mut m = Message::request(Method::Invite, "sip:+15551234@homeshore.example");
        m.push(
            "Via",
            Via::new("UDP", "198.51.100.7", 5060, "z9hG4bK1").to_string(),
        );
        m.push("From", "<sip:+15550000@carrier.example>;tag=a");
        m.push("To", "<sip:+15551234@homeshore.example>");
        m.push("Call-ID", "c");
        m.push("CSeq", "1 INVITE");
        m
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks() {
        let c = Cidr::parse("203.0.113.0/24").unwrap();
        assert!(c.contains(ip("203.0.113.77")));
        assert!(c.contains(ip("::ffff:203.0.113.77")));
        assert!(!c.contains(ip("203.0.114.1")));
        assert!(!c.contains(ip("2001:db8::1")));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(
            Cidr::parse("198.51.100.7")
                .unwrap()
                .contains(ip("198.51.100.7"))
        );
        assert!(
            !Cidr::parse("198.51.100.7")
                .unwrap()
                .contains(ip("198.51.100.8"))
        );
        for bad in ["10.0.0.0/33", "nonsense", "::/129", "1.2.3.4/x"] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn allow_list_challenge_refuse() {
        let allow = [Cidr::parse("198.51.100.0/24").unwrap()];
        let open = Policy {
            allow: &allow,
            digest: None,
        };
        assert_eq!(
            admit(0, ip("198.51.100.7"), &invite(), &open),
            Admission::Allowed { user: None }
        );
        assert!(
            matches!(admit(0, ip("192.0.2.1"), &invite(), &open), Admission::Refused(r) if r.status() == Some(403))
        );

        let server = DigestServer::new("homeshore", b"a secret of 16 bytes", 30_000);
        let store = |u: &str| (u == "pbx").then(|| ha1("pbx", "homeshore", "pw"));
        let policy = Policy {
            allow: &allow,
            digest: Some((&server, &store)),
        };
        let Admission::Challenge(ch) = admit(10, ip("192.0.2.1"), &invite(), &policy) else {
            panic!()
        };
        assert_eq!(ch.status(), Some(401));
        let ch = Challenge::parse(ch.header("WWW-Authenticate").unwrap()).unwrap();
        let with = |pw: &str| {
            let mut m = invite();
            m.push(
                "Authorization",
                respond(
                    &ch,
                    "INVITE",
                    "sip:+15551234@homeshore.example",
                    "pbx",
                    pw,
                    "cn",
                    1,
                )
                .to_string(),
            );
            m
        };
        assert_eq!(
            admit(20, ip("192.0.2.1"), &with("pw"), &policy),
            Admission::Allowed {
                user: Some("pbx".into())
            }
        );
        assert!(matches!(
            admit(20, ip("192.0.2.1"), &with("guess"), &policy),
            Admission::Refused(_)
        ));
        let Admission::Challenge(again) = admit(60_000, ip("192.0.2.1"), &with("pw"), &policy)
        else {
            panic!()
        };
        assert!(
            Challenge::parse(again.header("WWW-Authenticate").unwrap())
                .unwrap()
                .stale
        );
        let mut garbage = invite();
        garbage.push("Authorization", "Digest nonsense");
        assert!(matches!(
            admit(20, ip("192.0.2.1"), &garbage, &policy),
            Admission::Refused(_)
        ));
    }
}
