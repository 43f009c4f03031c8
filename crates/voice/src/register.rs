//! Registering to a SIP provider (RFC 3261 §10) and staying registered.
//!
//! [`RegisterClient`] sends REGISTER, answers a 401/407 digest challenge once (again
//! only when the server says the nonce was stale), honours 423 Interval Too Brief, and
//! refreshes before the registration expires: at half the granted time, or a minute
//! before it ends, whichever is later. After a failure it retries with a doubling delay
//! (30 s up to 10 minutes). Sans-IO like the rest: time in, messages and timers out.
use crate::call::Endpoint;
use crate::dialog::Ids;
use crate::digest::{self, Challenge};
use crate::sip::{Message, Method, NameAddr};
use crate::transaction::{Input, Key, Millis, Output, Timer, Transaction};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterConfig {
    /// Request-URI, e.g. `sip:sip.provider.example`.
    pub registrar: String,
    /// Address of record, e.g. `sip:+15551234@sip.provider.example`.
    pub aor: String,
    pub username: String,
    pub password: String,
    /// Seconds asked for.
    pub expires: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegTimer {
    Tx(Timer),
    Refresh,
    Retry,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegOutput {
    Send(Message),
    Arm {
        timer: RegTimer,
        at: Millis,
    },
    Registered {
        expires_s: u32,
    },
    Unregistered,
    /// The provider refused (its status code) or did not answer (`None`); a retry is
    /// armed.
    Failed {
        code: Option<u16>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegState {
    Idle,
    Registering,
    Registered,
    Failed,
}

const RETRY_MIN_MS: Millis = 30_000;
const RETRY_MAX_MS: Millis = 600_000;

#[derive(Debug, Clone)]
pub struct RegisterClient {
    config: RegisterConfig,
    ep: Endpoint,
    ids: Ids,
    call_id: String,
    from_tag: String,
    cseq: u32,
    expires: u32,
    tx: Option<(Key, Transaction)>,
    /// The last challenge, its header (`Authorization` or `Proxy-Authorization`), nc.
    challenge: Option<(Challenge, &'static str, u32)>,
    challenged_without_success: bool,
    retry_delay: Millis,
    removing: bool,
    state: RegState,
}

impl RegisterClient {
    pub fn new(config: RegisterConfig, ep: Endpoint, mut ids: Ids) -> RegisterClient {
        RegisterClient {
            call_id: format!("{}@{}", ids.token(), ep.host),
            from_tag: ids.token(),
            expires: config.expires,
            config,
            ep,
            ids,
            cseq: 0,
            tx: None,
            challenge: None,
            challenged_without_success: false,
            retry_delay: RETRY_MIN_MS,
            removing: false,
            state: RegState::Idle,
        }
    }

    pub fn state(&self) -> RegState {
        self.state
    }

    /// Registers now (also: re-registers at once after a configuration change).
    pub fn start(&mut self, now: Millis) -> Vec<RegOutput> {
        self.removing = false;
        self.send(now)
    }

    /// The Call-ID every REGISTER of this client carries: responses are routed by it.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// Removes the binding (Expires: 0).
    pub fn unregister(&mut self, now: Millis) -> Vec<RegOutput> {
        self.removing = true;
        self.send(now)
    }

    fn request(&mut self) -> Message {
        self.cseq += 1;
        let mut m = Message::request(Method::Register, self.config.registrar.clone());
        m.push("Via", self.ep.via(&mut self.ids).to_string());
        m.push("Max-Forwards", "70");
        m.push(
            "From",
            NameAddr::new(self.config.aor.clone())
                .with_tag(&self.from_tag)
                .to_string(),
        );
        m.push("To", NameAddr::new(self.config.aor.clone()).to_string());
        m.push("Call-ID", self.call_id.clone());
        m.push("CSeq", format!("{} REGISTER", self.cseq));
        m.push("Contact", format!("<{}>", self.ep.contact));
        m.push(
            "Expires",
            if self.removing { 0 } else { self.expires }.to_string(),
        );
        m.push("User-Agent", self.ep.user_agent.clone());
        if let Some((ch, header, nc)) = &mut self.challenge {
            *nc += 1;
            let cnonce = format!("{:08x}", self.ids.next_u64() as u32);
            let creds = digest::respond(
                ch,
                "REGISTER",
                &self.config.registrar,
                &self.config.username,
                &self.config.password,
                &cnonce,
                *nc,
            );
            m.push(header, creds.to_string());
        }
        m
    }

    fn send(&mut self, now: Millis) -> Vec<RegOutput> {
        let req = self.request();
        let Ok(key) = Key::of(&req) else {
            return Vec::new();
        };
        let (tx, outs) = Transaction::client(now, req, self.ep.reliable, self.ep.timers);
        self.tx = Some((key, tx));
        if self.state != RegState::Registered {
            self.state = RegState::Registering;
        }
        let mut out = Vec::new();
        self.absorb(now, outs, &mut out);
        out
    }

    fn absorb(&mut self, now: Millis, outs: Vec<Output>, out: &mut Vec<RegOutput>) {
        for o in outs {
            match o {
                Output::Send(m) => out.push(RegOutput::Send(m)),
                Output::Arm { timer, at } => out.push(RegOutput::Arm {
                    timer: RegTimer::Tx(timer),
                    at,
                }),
                Output::Deliver(res) => self.on_response(now, res, out),
                Output::TimedOut => self.fail(now, None, out),
                Output::Cancel(_) | Output::Terminated => {}
            }
        }
    }

    fn fail(&mut self, now: Millis, code: Option<u16>, out: &mut Vec<RegOutput>) {
        self.state = RegState::Failed;
        out.push(RegOutput::Failed { code });
        out.push(RegOutput::Arm {
            timer: RegTimer::Retry,
            at: now + self.retry_delay,
        });
        self.retry_delay = (self.retry_delay * 2).min(RETRY_MAX_MS);
    }

    fn on_response(&mut self, now: Millis, res: Message, out: &mut Vec<RegOutput>) {
        let Some(code) = res.status() else { return };
        match code {
            100..=199 => {}
            200..=299 => {
                self.challenged_without_success = false;
                self.retry_delay = RETRY_MIN_MS;
                if self.removing {
                    self.state = RegState::Idle;
                    out.push(RegOutput::Unregistered);
                    return;
                }
                // The granted time: our Contact's expires parameter, else Expires.
                let ours = res
                    .contacts()
                    .ok()
                    .and_then(|cs| cs.into_iter().find(|c| c.uri == self.ep.contact))
                    .and_then(|c| {
                        crate::sip::param(&c.params, "expires")
                            .flatten()
                            .and_then(|e| e.parse().ok())
                    });
                let granted: u32 = ours.or(res.expires()).unwrap_or(self.expires);
                self.state = RegState::Registered;
                out.push(RegOutput::Registered { expires_s: granted });
                if granted > 0 {
                    let s = granted as Millis;
                    let refresh_s = (s / 2).max(s.saturating_sub(60));
                    out.push(RegOutput::Arm {
                        timer: RegTimer::Refresh,
                        at: now + refresh_s * 1000,
                    });
                }
            }
            401 | 407 => match digest::challenge_of(&res) {
                Some((ch, header)) if !self.challenged_without_success || ch.stale => {
                    self.challenged_without_success = true;
                    self.challenge = Some((ch, header, 0));
                    out.extend(self.send(now));
                }
                _ => {
                    self.challenge = None;
                    self.fail(now, Some(code), out);
                }
            },
            423 => match res.header("Min-Expires").and_then(|v| v.parse().ok()) {
                Some(min) if min > self.expires => {
                    self.expires = min;
                    out.extend(self.send(now));
                }
                _ => self.fail(now, Some(code), out),
            },
            _ => self.fail(now, Some(code), out),
        }
    }

    pub fn handle_timer(&mut self, now: Millis, timer: RegTimer) -> Vec<RegOutput> {
        match timer {
            RegTimer::Tx(t) => {
                let mut out = Vec::new();
                if let Some((_, tx)) = &mut self.tx {
                    let outs = tx.handle(now, Input::Timer(t));
                    self.absorb(now, outs, &mut out);
                }
                out
            }
            RegTimer::Refresh if self.state == RegState::Registered && !self.removing => {
                self.send(now)
            }
            RegTimer::Retry if self.state == RegState::Failed && !self.removing => self.send(now),
            _ => Vec::new(),
        }
    }

    pub fn handle_message(&mut self, now: Millis, res: Message) -> Vec<RegOutput> {
        let mut out = Vec::new();
        let Some((key, tx)) = &mut self.tx else {
            return out;
        };
        if Key::of(&res).ok().as_ref() != Some(key) {
            return out;
        }
        let outs = tx.handle(now, Input::Receive(res));
        self.absorb(now, outs, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::{Credentials, DigestServer, ha1};

    fn client() -> RegisterClient {
        RegisterClient::new(
            RegisterConfig {
                registrar: "sip:sip.provider.example".into(),
                aor: "sip:+15551234@sip.provider.example".into(),
                username: "acme".into(),
                password: "hunter2".into(),
                expires: 600,
            },
            Endpoint::udp("192.0.2.10", 5060),
            Ids::new(3),
        )
    }

    fn sent(out: &[RegOutput]) -> Vec<Message> {
        out.iter()
            .filter_map(|o| match o {
                RegOutput::Send(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    }

    /// A registrar: challenges, verifies with the real digest server, grants 120 s.
    fn registrar(server: &DigestServer, now: Millis, req: &Message) -> Message {
        let creds = req
            .header("Authorization")
            .and_then(|v| Credentials::parse(v).ok());
        let verdict = creds.map(|c| {
            server.verify(now, "REGISTER", &c, |u| {
                (u == "acme").then(|| ha1("acme", "provider", "hunter2"))
            })
        });
        match verdict {
            Some(Ok(())) => {
                let mut ok = Message::response_to(req, 200, "OK");
                ok.push(
                    "Contact",
                    format!("{};expires=120", req.header("Contact").unwrap()),
                );
                ok
            }
            Some(Err(crate::digest::Refusal::Stale)) | None => {
                let mut c = Message::response_to(req, 401, "Unauthorized");
                let stale = verdict.is_some();
                c.push("WWW-Authenticate", server.challenge(now, stale).to_string());
                c
            }
            Some(Err(_)) => Message::response_to(req, 403, "Forbidden"),
        }
    }

    #[test]
    fn registers_through_a_challenge_and_refreshes() {
        let server = DigestServer::new("provider", b"registrar secret", 300_000);
        let mut c = client();
        let first = sent(&c.start(0)).remove(0);
        assert!(first.header("Authorization").is_none());
        let out = c.handle_message(50, registrar(&server, 50, &first));
        let second = sent(&out).remove(0);
        assert_eq!(second.cseq().unwrap().seq, 2);
        assert_eq!(second.call_id().unwrap(), first.call_id().unwrap());
        let out = c.handle_message(100, registrar(&server, 100, &second));
        assert!(out.contains(&RegOutput::Registered { expires_s: 120 }));
        assert!(out.contains(&RegOutput::Arm {
            timer: RegTimer::Refresh,
            at: 100 + 60_000
        }));
        // Refresh: the nonce is reused (nc=2), no new challenge needed.
        let third = sent(&c.handle_timer(60_100, RegTimer::Refresh)).remove(0);
        assert!(
            third
                .header("Authorization")
                .unwrap()
                .contains("nc=00000002")
        );
        let out = c.handle_message(60_150, registrar(&server, 60_150, &third));
        assert!(out.contains(&RegOutput::Registered { expires_s: 120 }));
        // Much later the nonce is stale: one more challenge round, no failure.
        let fourth = sent(&c.handle_timer(500_000, RegTimer::Refresh)).remove(0);
        let out = c.handle_message(500_010, registrar(&server, 500_010, &fourth));
        let fifth = sent(&out).remove(0);
        let out = c.handle_message(500_020, registrar(&server, 500_020, &fifth));
        assert!(out.contains(&RegOutput::Registered { expires_s: 120 }));
        assert_eq!(c.state(), RegState::Registered);
    }

    #[test]
    fn wrong_password_fails_once_and_retries_later() {
        let server = DigestServer::new("provider", b"registrar secret", 300_000);
        let mut c = client();
        c.config.password = "wrong".into();
        let first = sent(&c.start(0)).remove(0);
        let second = sent(&c.handle_message(1, registrar(&server, 1, &first))).remove(0);
        let out = c.handle_message(2, registrar(&server, 2, &second));
        assert!(out.contains(&RegOutput::Failed { code: Some(403) }));
        assert!(out.contains(&RegOutput::Arm {
            timer: RegTimer::Retry,
            at: 30_002
        }));
        assert!(sent(&out).is_empty(), "no loop of attempts");
    }

    #[test]
    fn times_out_without_an_answer() {
        let mut c = client();
        let out = c.start(0);
        assert!(out.contains(&RegOutput::Arm {
            timer: RegTimer::Tx(Timer::F),
            at: 32_000
        }));
        let out = c.handle_timer(32_000, RegTimer::Tx(Timer::F));
        assert!(out.contains(&RegOutput::Failed { code: None }));
        assert_eq!(sent(&c.handle_timer(62_000, RegTimer::Retry)).len(), 1);
        assert!(
            c.handle_timer(62_000, RegTimer::Refresh).is_empty(),
            "not registered: no refresh"
        );
    }
}
