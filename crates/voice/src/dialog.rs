//! Dialogs (RFC 3261 §12): the state two user agents share for a call, and the requests
//! made within it.
//!
//! A [`Dialog`] is created from the INVITE and the response that carries the callee's
//! tag, on either side. It keeps the route set (in the order the request must follow),
//! the remote target (the peer's Contact, refreshed by re-INVITE), both CSeq counters,
//! and builds in-dialog requests (BYE, re-INVITE for hold, ACK for a 2xx). It checks
//! that the peer's CSeq only grows.
use crate::sip::{MAGIC_COOKIE, Message, Method, NameAddr, ParseError, Via};

/// Random-looking tokens for tags, branches and Call-IDs, from a seed the driver takes
/// from the operating system. Deterministic, so tests replay exactly (SplitMix64).
#[derive(Debug, Clone)]
pub struct Ids {
    state: u64,
}

impl Ids {
    pub fn new(seed: u64) -> Ids {
        Ids { state: seed }
    }
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn token(&mut self) -> String {
        format!("{:016x}", self.next_u64())
    }
    /// A Via branch with the RFC 3261 magic cookie.
    pub fn branch(&mut self) -> String {
        format!("{MAGIC_COOKIE}{}", self.token())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialogError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("the response carries no To tag")]
    NoTag,
    #[error("no Contact to send in-dialog requests to")]
    NoContact,
    #[error("CSeq {got} is not above {last}")]
    CSeqOutOfOrder { got: u32, last: u32 },
    #[error("request does not belong to this dialog")]
    NotThisDialog,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    Early,
    Confirmed,
    Terminated,
}

/// Call-ID and both tags.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    pub call_id: String,
    pub local_tag: String,
    pub remote_tag: String,
}

impl DialogId {
    /// The dialog an incoming request claims (its To tag is ours).
    pub fn of_request(req: &Message) -> Result<Option<DialogId>, ParseError> {
        let (from, to) = (req.from_addr()?, req.to_addr()?);
        Ok(match (to.tag(), from.tag()) {
            (Some(l), Some(r)) => Some(DialogId {
                call_id: req.call_id()?.to_string(),
                local_tag: l.into(),
                remote_tag: r.into(),
            }),
            _ => None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    pub id: DialogId,
    pub state: DialogState,
    /// Our From/To (with our tag) and theirs.
    pub local: NameAddr,
    pub remote: NameAddr,
    pub local_contact: String,
    pub remote_target: String,
    /// Route headers for our requests, in order.
    pub route_set: Vec<String>,
    pub local_cseq: u32,
    pub remote_cseq: Option<u32>,
}

fn contact_uri(msg: &Message) -> Result<String, DialogError> {
    msg.contacts()?
        .into_iter()
        .next()
        .map(|c| c.uri)
        .ok_or(DialogError::NoContact)
}

impl Dialog {
    /// The callee's side (§12.1.1): `invite` received, `response` (1xx with tag or 2xx)
    /// sent by us with `local_contact` as Contact.
    pub fn uas(
        invite: &Message,
        response: &Message,
        local_contact: &str,
    ) -> Result<Dialog, DialogError> {
        let to = response.to_addr()?;
        let from = invite.from_addr()?;
        let local_tag = to.tag().ok_or(DialogError::NoTag)?.to_string();
        let remote_tag = from.tag().ok_or(DialogError::NoTag)?.to_string();
        Ok(Dialog {
            id: DialogId {
                call_id: invite.call_id()?.to_string(),
                local_tag,
                remote_tag,
            },
            state: if response.status().unwrap_or(0) >= 200 {
                DialogState::Confirmed
            } else {
                DialogState::Early
            },
            local: to,
            remote: from,
            local_contact: local_contact.into(),
            remote_target: contact_uri(invite)?,
            route_set: invite
                .headers_named("Record-Route")
                .map(String::from)
                .collect(),
            local_cseq: 0,
            remote_cseq: Some(invite.cseq()?.seq),
        })
    }

    /// The caller's side (§12.1.2): `invite` sent, `response` received.
    pub fn uac(invite: &Message, response: &Message) -> Result<Dialog, DialogError> {
        let to = response.to_addr()?;
        let from = invite.from_addr()?;
        let mut route_set: Vec<String> = response
            .headers_named("Record-Route")
            .map(String::from)
            .collect();
        route_set.reverse();
        Ok(Dialog {
            id: DialogId {
                call_id: invite.call_id()?.to_string(),
                local_tag: from.tag().ok_or(DialogError::NoTag)?.into(),
                remote_tag: to.tag().ok_or(DialogError::NoTag)?.into(),
            },
            state: if response.status().unwrap_or(0) >= 200 {
                DialogState::Confirmed
            } else {
                DialogState::Early
            },
            local: from,
            remote: to,
            local_contact: invite
                .contacts()?
                .first()
                .map(|c| c.uri.clone())
                .unwrap_or_default(),
            remote_target: contact_uri(response)?,
            route_set,
            local_cseq: invite.cseq()?.seq,
            remote_cseq: None,
        })
    }

    /// A request within the dialog (§12.2.1.1). Takes the next local CSeq, except ACK
    /// and CANCEL, which carry the INVITE's (`ack_of`).
    pub fn request(&mut self, method: Method, via: Via, ack_of: Option<u32>) -> Message {
        let seq = match (&method, ack_of) {
            (Method::Ack | Method::Cancel, Some(n)) => n,
            _ => {
                self.local_cseq += 1;
                self.local_cseq
            }
        };
        let mut m = Message::request(method.clone(), self.remote_target.clone());
        m.push("Via", via.to_string());
        m.push("Max-Forwards", "70");
        for r in &self.route_set {
            m.push("Route", r.clone());
        }
        m.push("From", self.local.to_string());
        m.push("To", self.remote.to_string());
        m.push("Call-ID", self.id.call_id.clone());
        m.push("CSeq", format!("{seq} {method}"));
        if !self.local_contact.is_empty() {
            m.push("Contact", format!("<{}>", self.local_contact));
        }
        if method == Method::Bye {
            self.state = DialogState::Terminated;
        }
        m
    }

    /// Checks a request from the peer (§12.2.2): its CSeq grows; a re-INVITE or UPDATE
    /// moves the remote target; a BYE ends the dialog.
    pub fn receive_request(&mut self, req: &Message) -> Result<(), DialogError> {
        if DialogId::of_request(req)?.as_ref() != Some(&self.id) {
            return Err(DialogError::NotThisDialog);
        }
        let cseq = req.cseq()?;
        if cseq.method != Method::Ack && cseq.method != Method::Cancel {
            if let Some(last) = self.remote_cseq
                && cseq.seq <= last
            {
                return Err(DialogError::CSeqOutOfOrder {
                    got: cseq.seq,
                    last,
                });
            }
            self.remote_cseq = Some(cseq.seq);
        }
        match req.method() {
            Some(Method::Invite | Method::Update) => {
                if let Ok(target) = contact_uri(req) {
                    self.remote_target = target;
                }
            }
            Some(Method::Bye) => self.state = DialogState::Terminated,
            _ => {}
        }
        Ok(())
    }

    /// A response to our INVITE or re-INVITE: a 2xx confirms and refreshes the target.
    pub fn receive_response(&mut self, res: &Message) {
        if res.status().is_some_and(|c| (200..300).contains(&c)) {
            if self.state == DialogState::Early {
                self.state = DialogState::Confirmed;
            }
            if let Ok(target) = contact_uri(res) {
                self.remote_target = target;
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn invite() -> Message {
        let mut m = Message::request(Method::Invite, "sip:+15551234@homeshore.example");
        m.push("Via", "SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKtrunk1");
        m.push("Record-Route", "<sip:edge1.carrier.example;lr>");
        m.push("Record-Route", "<sip:edge2.carrier.example;lr>");
        m.push(
            "From",
            "\"Caller\" <sip:+15550000@carrier.example>;tag=caller1",
        );
        m.push("To", "<sip:+15551234@homeshore.example>");
        m.push("Call-ID", "call-1@carrier");
        m.push("CSeq", "10 INVITE");
        m.push("Contact", "<sip:+15550000@198.51.100.7:5060>");
        m.push("Max-Forwards", "69");
        m
    }

    #[test]
    fn uas_dialog_routes_and_counts() {
        let inv = invite();
        let mut ok = Message::response_to(&inv, 200, "OK");
        ok.set("To", inv.to_addr().unwrap().with_tag("hs1").to_string());
        let mut d = Dialog::uas(&inv, &ok, "sip:hs@192.0.2.10:5060").unwrap();
        assert_eq!(d.state, DialogState::Confirmed);
        assert_eq!(d.route_set.len(), 2);
        let bye = d.request(
            Method::Bye,
            Via::new("UDP", "192.0.2.10", 5060, "z9hG4bKx"),
            None,
        );
        assert_eq!(bye.uri(), Some("sip:+15550000@198.51.100.7:5060"));
        assert_eq!(
            bye.headers_named("Route").collect::<Vec<_>>(),
            vec![
                "<sip:edge1.carrier.example;lr>",
                "<sip:edge2.carrier.example;lr>"
            ]
        );
        assert_eq!(bye.from_addr().unwrap().tag(), Some("hs1"));
        assert_eq!(bye.to_addr().unwrap().tag(), Some("caller1"));
        assert_eq!(bye.cseq().unwrap().seq, 1);
        assert_eq!(d.state, DialogState::Terminated);
        // The far side's requests: CSeq must grow.
        let mut d = Dialog::uas(&inv, &ok, "sip:hs@192.0.2.10:5060").unwrap();
        let mut reinv = inv.clone();
        reinv.set("To", ok.header("To").unwrap());
        reinv.set("CSeq", "10 INVITE");
        assert_eq!(
            d.receive_request(&reinv),
            Err(DialogError::CSeqOutOfOrder { got: 10, last: 10 })
        );
        reinv.set("CSeq", "11 INVITE");
        reinv.set("Contact", "<sip:moved@198.51.100.8>");
        d.receive_request(&reinv).unwrap();
        assert_eq!(d.remote_target, "sip:moved@198.51.100.8");
        reinv.set("From", "<sip:x@y>;tag=other");
        assert_eq!(d.receive_request(&reinv), Err(DialogError::NotThisDialog));
    }

    #[test]
    fn uac_dialog_reverses_the_route_set() {
        let inv = invite();
        let mut ok = Message::response_to(&inv, 180, "Ringing");
        ok.set("To", "<sip:+15551234@homeshore.example>;tag=callee");
        ok.push("Contact", "<sip:agent@203.0.113.5>");
        let mut d = Dialog::uac(&inv, &ok).unwrap();
        assert_eq!(d.state, DialogState::Early);
        assert_eq!(d.route_set[0], "<sip:edge2.carrier.example;lr>");
        let mut ok2 = ok.clone();
        ok2.start = crate::sip::StartLine::Response {
            code: 200,
            reason: "OK".into(),
        };
        d.receive_response(&ok2);
        assert_eq!(d.state, DialogState::Confirmed);
        let ack = d.request(
            Method::Ack,
            Via::new("UDP", "h", 5060, "z9hG4bKy"),
            Some(10),
        );
        assert_eq!(ack.cseq().unwrap().seq, 10);
        let reinvite = d.request(Method::Invite, Via::new("UDP", "h", 5060, "z9hG4bKz"), None);
        assert_eq!(reinvite.cseq().unwrap().seq, 11);
    }

    #[test]
    fn ids_are_deterministic_and_distinct() {
        let (mut a, mut b) = (Ids::new(7), Ids::new(7));
        assert_eq!(a.branch(), b.branch());
        assert!(a.branch().starts_with(MAGIC_COOKIE));
        let set: std::collections::HashSet<String> = (0..1000).map(|_| a.token()).collect();
        assert_eq!(set.len(), 1000);
    }
}
