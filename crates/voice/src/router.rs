//! Where a parsed message goes: the first decision the server's driver makes for each
//! datagram, kept here so that the driver only looks things up by Call-ID.
//!
//! Requests that belong to nothing we hold are answered statelessly (481, 405) so that a
//! stray or hostile packet changes nothing; out-of-dialog OPTIONS (keep-alive pings from
//! trunks) get 200 without any state.
use crate::sip::{Message, Method};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// To the call or REGISTER client with this Call-ID (a response, or a request within
    /// a dialog: ACK, BYE, re-INVITE, CANCEL…). If none holds it, send `unknown`
    /// (`None`: drop silently, as for an ACK or a response).
    Existing {
        call_id: String,
        unknown: Option<Message>,
    },
    /// An INVITE that starts a dialog: check admission (`access::admit`), then
    /// `Call::incoming`, unless a call with this Call-ID exists (a retransmission:
    /// route it there instead).
    NewCall { call_id: String },
    /// Send this and forget the request.
    Reply(Message),
}

/// A response made without any state (RFC 3261 §8.2.6): a To tag is added when the
/// request had none, derived from its branch so that a retransmission gets the same one.
pub fn stateless_reply(req: &Message, code: u16, reason: &str) -> Message {
    let mut res = Message::response_to(req, code, reason);
    if let Ok(to) = req.to_addr()
        && to.tag().is_none()
    {
        let branch = req
            .top_via()
            .ok()
            .and_then(|v| v.branch().map(String::from));
        let tag = format!("sl{:08x}", fnv(branch.as_deref().unwrap_or("").as_bytes()));
        res.set("To", to.with_tag(&tag).to_string());
    }
    res
}

fn fnv(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| {
        (h ^ *b as u32).wrapping_mul(0x0100_0193)
    })
}

/// The methods we answer; sent in Allow.
pub const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE";

/// Decides where `msg` (already parsed, so its mandatory headers are valid) goes.
pub fn route(msg: &Message) -> Route {
    let call_id = msg.call_id().unwrap_or_default().to_string();
    let Some(method) = msg.method() else {
        return Route::Existing {
            call_id,
            unknown: None,
        };
    };
    let in_dialog = msg.to_addr().is_ok_and(|t| t.tag().is_some());
    match method {
        Method::Ack => Route::Existing {
            call_id,
            unknown: None,
        },
        Method::Cancel => Route::Existing {
            call_id,
            unknown: Some(stateless_reply(msg, 481, "Call/Transaction Does Not Exist")),
        },
        _ if in_dialog => Route::Existing {
            call_id,
            unknown: Some(stateless_reply(msg, 481, "Call/Transaction Does Not Exist")),
        },
        Method::Invite => Route::NewCall { call_id },
        Method::Options => {
            let mut ok = stateless_reply(msg, 200, "OK");
            ok.push("Allow", ALLOW);
            ok.push("Accept", "application/sdp");
            Route::Reply(ok)
        }
        _ => {
            let mut r = stateless_reply(msg, 405, "Method Not Allowed");
            r.push("Allow", ALLOW);
            Route::Reply(r)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::{Limits, parse};

    fn msg(start: &str, cseq: &str, to_tag: &str) -> Message {
        let text = format!(
            "{start}\r\nVia: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>{to_tag}\r\nCall-ID: k1\r\nCSeq: {cseq}\r\n\r\n"
        );
        parse(text.as_bytes(), &Limits::default()).unwrap()
    }

    #[test]
    fn routes() {
        let invite = msg("INVITE sip:c@d SIP/2.0", "1 INVITE", "");
        assert_eq!(
            route(&invite),
            Route::NewCall {
                call_id: "k1".into()
            }
        );
        let reinvite = msg("INVITE sip:c@d SIP/2.0", "2 INVITE", ";tag=9");
        let Route::Existing {
            call_id,
            unknown: Some(r),
        } = route(&reinvite)
        else {
            panic!()
        };
        assert_eq!((call_id.as_str(), r.status()), ("k1", Some(481)));
        let ack = msg("ACK sip:c@d SIP/2.0", "1 ACK", ";tag=9");
        assert_eq!(
            route(&ack),
            Route::Existing {
                call_id: "k1".into(),
                unknown: None
            }
        );
        let response = msg("SIP/2.0 200 OK", "1 INVITE", ";tag=9");
        assert_eq!(
            route(&response),
            Route::Existing {
                call_id: "k1".into(),
                unknown: None
            }
        );
        let Route::Reply(ok) = route(&msg("OPTIONS sip:c@d SIP/2.0", "1 OPTIONS", "")) else {
            panic!()
        };
        assert_eq!(ok.status(), Some(200));
        assert!(ok.to_addr().unwrap().tag().is_some());
        assert_eq!(ok.header("Allow"), Some(ALLOW));
        let Route::Reply(no) = route(&msg("SUBSCRIBE sip:c@d SIP/2.0", "1 SUBSCRIBE", "")) else {
            panic!()
        };
        assert_eq!(no.status(), Some(405));
        // A stateless reply to a retransmission carries the same tag.
        assert_eq!(
            stateless_reply(&invite, 481, "x"),
            stateless_reply(&invite, 481, "x")
        );
    }
}
