//! Properties of the channel contract's pure rules, over random histories:
//! - whatever order attempts and receipts come in, a delivery never moves back, its
//!   attempts never decrease, it is due again only while queued, and a failure says why;
//! - the providers' webhook parsers take any JSON without panicking, and every message
//!   they return has an id, a sender and text.

use proptest::prelude::*;
use serde_json::{Map, Value};
use store::{Channel, Delivery, DeliveryStatus};
use time::macros::datetime;
use uuid::Uuid;

use super::outbound::{SendError, Sent, after_attempt, apply_receipt};

#[derive(Debug, Clone)]
enum Step {
    Attempt(Result<DeliveryStatus, bool>),
    Receipt(DeliveryStatus, bool),
    Wait(u32),
}

fn status() -> impl Strategy<Value = DeliveryStatus> {
    prop::sample::select(DeliveryStatus::ALL.to_vec())
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        prop_oneof![
            Just(Ok(DeliveryStatus::Sent)),
            Just(Ok(DeliveryStatus::Delivered)),
            any::<bool>().prop_map(Err),
        ]
        .prop_map(Step::Attempt),
        (status(), any::<bool>()).prop_map(|(s, id)| Step::Receipt(s, id)),
        (0u32..200_000).prop_map(Step::Wait),
    ]
}

proptest! {
    #[test]
    fn a_delivery_only_moves_forward(steps in prop::collection::vec(step(), 0..60)) {
        let t0 = datetime!(2026-12-01 15:00 UTC);
        let mut now = t0;
        let mut d = Delivery {
            message_id: Uuid::nil(),
            org_id: Uuid::nil(),
            contact_id: Uuid::nil(),
            seq: 1,
            channel: Channel::Sms,
            status: DeliveryStatus::Queued,
            attempts: 0,
            next_attempt_ms: Some(0),
            provider_message_id: None,
            error: None,
            created_at: t0,
            updated_at: t0,
        };
        for s in steps {
            let before = d.clone();
            match s {
                Step::Wait(ms) => {
                    now += time::Duration::milliseconds(i64::from(ms));
                    continue;
                }
                Step::Attempt(outcome) => {
                    // The drain task only attempts what is still queued.
                    if d.status != DeliveryStatus::Queued {
                        continue;
                    }
                    let outcome = match outcome {
                        Ok(status) => Ok(Sent { status, provider_message_id: Some("P1".into()) }),
                        Err(true) => Err(SendError::Retry("503".into())),
                        Err(false) => Err(SendError::Permanent("400".into())),
                    };
                    d = after_attempt(&d, &outcome, now);
                    prop_assert_eq!(d.attempts, before.attempts + 1);
                    // A retry is never due before now.
                    if let Some(next) = d.next_attempt_ms {
                        prop_assert!(next > super::outbound::unix_ms(now));
                    }
                }
                Step::Receipt(status, with_id) => {
                    let id = with_id.then_some("P2");
                    if let Some(next) = apply_receipt(&d, status, id, None, now) {
                        d = next;
                    }
                }
            }
            prop_assert!(d.status.rank() >= before.status.rank(), "{:?} → {:?}", before.status, d.status);
            prop_assert!(d.attempts >= before.attempts);
            prop_assert_eq!(d.next_attempt_ms.is_some(), d.status == DeliveryStatus::Queued);
            if d.status == DeliveryStatus::Failed {
                prop_assert!(d.error.as_deref().is_some_and(|e| !e.is_empty()));
            }
        }
    }

    #[test]
    fn webhook_parsers_take_any_json(v in json(4)) {
        let (messages, statuses) = super::whatsapp::parse(&v);
        for m in messages {
            prop_assert!(!m.wamid.is_empty() && m.phone.starts_with('+'));
        }
        for s in statuses {
            prop_assert!(!s.wamid.is_empty());
        }
        for e in super::messenger::parse(&v) {
            if let super::messenger::Event::Message { mid, psid, .. } = e {
                prop_assert!(!mid.is_empty() && !psid.is_empty());
            }
        }
    }

    #[test]
    fn webhook_parsers_take_any_shape_of_a_real_body(
        kind in prop::sample::select(vec!["text", "location", "interactive", "image", "button", "reaction", ""]),
        text in any::<Option<String>>(),
        ts in any::<Option<i64>>(),
        mids in prop::collection::vec(any::<String>(), 0..3),
        noise in json(2),
    ) {
        let body = serde_json::json!({"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {
            "contacts": [{"wa_id": "1", "profile": {"name": text}}],
            "messages": [{"from": "1", "id": "w", "timestamp": ts.map(|t| t.to_string()), "type": kind, kind: {"body": text, "caption": text}, "interactive": noise}],
            "statuses": [{"id": "s", "status": text, "errors": noise}]}}]}],
            "entry_messenger": mids});
        let _ = super::whatsapp::parse(&body);
        let page = serde_json::json!({"object": "page", "entry": [{"messaging": [
            {"sender": {"id": "p"}, "timestamp": ts, "message": {"mid": "m", "text": text, "attachments": noise}},
            {"sender": {"id": "p"}, "delivery": {"mids": mids}},
            {"sender": {"id": "p"}, "read": {"watermark": ts}}]}]});
        let _ = super::messenger::parse(&page);
    }
}

/// Any JSON value, `depth` levels deep at most.
fn json(depth: u32) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(depth, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "entry",
                        "changes",
                        "value",
                        "messages",
                        "statuses",
                        "contacts",
                        "messaging",
                        "sender",
                        "id",
                        "from",
                        "type",
                        "text",
                        "body",
                        "timestamp",
                        "mid",
                        "delivery",
                        "read",
                        "watermark",
                        "mids",
                        "message",
                        "status",
                        "errors",
                        "wa_id",
                        "profile",
                    ]),
                    inner
                ),
                0..6
            )
            .prop_map(|kv| {
                let mut m = Map::new();
                for (k, v) in kv {
                    m.insert(k.to_string(), v);
                }
                Value::Object(m)
            }),
        ]
    })
}
