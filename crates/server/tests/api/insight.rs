//! Insight over real HTTP, on SQLite and PostgreSQL: five weeks of contacts driven
//! through the API with a clock moved by hand (customers' words, wrap-up codes,
//! ratings, an abandon), then this week's reasons with their trend, satisfaction by
//! reason and queue and the rising phrase checked in exact values; personal data and
//! one-off words never surface; agents are refused and another organisation sees
//! nothing. Then the weekly digest: as a page, sent now to a real HTTP server that
//! checks its signature and answers 500 once (retried, both attempts logged), and sent
//! on schedule on Monday at 08:00 in the planning zone, once.

use std::time::Duration;

use serde_json::{Value, json};
use store::Role;
use uuid::Uuid;

use crate::common::*;
use crate::outbound::{Endpoint, deliveries_until, verify};
use crate::routing_live::{accept, advance, agent, contact, offered_to, queue, quiet_org};

const DAY_S: u64 = 86_400;

/// One contact: the customer writes `text`, the agent answers, ends and wraps up with
/// `code`; the customer rates it when `rating` is given.
async fn handled(
    s: &Server,
    o: &Org,
    ana: &Client,
    q: Uuid,
    text: &str,
    code: &str,
    rating: Option<i64>,
) -> Uuid {
    let admin = o.client(s, Role::Admin);
    let a = admin
        .post(
            "/api/contacts",
            &json!({"channel": "chat", "queue_id": q, "customer": {"name": "Pat"}, "text": text}),
        )
        .await;
    assert_eq!(a.status, 201, "contact: {}", a.text);
    let c: Uuid = a.body["id"].as_str().unwrap().parse().unwrap();
    advance(s, 5).await;
    accept(ana, offered_to(ana, c).await.expect("offered").0).await;
    advance(s, 120).await;
    let r = ana
        .post(&format!("/api/contacts/{c}/end"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "end: {}", r.text);
    let r = ana
        .post(&format!("/api/contacts/{c}/wrapup"), &json!({"code": code}))
        .await;
    assert_eq!(r.status, 200, "wrapup: {}", r.text);
    if let Some(rating) = rating {
        advance(s, 30).await;
        rate(s, o, c, q, rating).await;
    }
    advance(s, 600).await;
    c
}

/// What the chat widget's rating writes: the customer's `rating` of contact `c` in
/// queue `q`, answered by the organisation's agent.
pub(crate) async fn rate(s: &Server, o: &Org, c: Uuid, q: Uuid, rating: i64) {
    s.state
        .write(
            vec![
                server::events::LiveEvent::ContactCsat {
                    contact_id: c,
                    queue_id: Some(q),
                    agent_id: Some(o.user(Role::Agent)),
                    rating,
                }
                .change(o.id, s.state.now(), server::events::Actor::Customer),
            ],
            vec![],
        )
        .await
        .expect("rating written");
}

fn find<'a>(list: &'a Value, key: &str, value: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|x| x[key] == value)
        .unwrap_or_else(|| panic!("{key}={value} in {list}"))
}

#[tokio::test]
async fn a_weeks_reasons_ratings_and_rising_phrase_and_its_signed_digest() {
    each_backend_with(manual_clock(), |s| async move {
        // The clock starts on Tuesday 1 December 2026, 10:00 in New York.
        let o = quiet_org(&s, "insight").await;
        let admin = o.client(&s, Role::Admin);
        let r = admin
            .put("/api/wfm/settings", &json!({"planning_zone": "America/New_York"}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let sales = queue(&s, &o, "Sales", json!({"service_level_s": 20, "offer_timeout_s": 3600})).await;
        let care = queue(&s, &o, "Care", json!({"service_level_s": 20, "offer_timeout_s": 3600})).await;
        let ana = agent(&s, &o, Role::Agent, json!({"skills": {}, "capacity": 5})).await;

        // Four ordinary weeks: double charges and a lost parcel.
        for week in 0..4 {
            for _ in 0..3 {
                handled(&s, &o, &ana, sales, "I was charged twice for my order", "billing", None).await;
            }
            handled(&s, &o, &ana, care, "Where is my parcel?", "shipping", Some(4)).await;
            advance(&s, 7 * DAY_S - 4 * 755 - 30).await;
            let _ = week;
        }
        // This week (from Monday 28 December): damaged parcels, each customer in their
        // own words, some leaving their email and phone number; one customer gives their
        // name twice; two are charged twice; one leaves before an answer.
        let email = "ottoline.quibble@example.com";
        for (text, rating) in [
            (format!("Damaged parcel again, write to {email}"), 2),
            (format!("I got a damaged parcel. Call me on +1 312 555 0199 or {email}"), 3),
            ("Damaged parcel, box crushed".to_string(), 2),
            (format!("This is the second damaged parcel ({email})"), 1),
        ] {
            handled(&s, &o, &ana, care, &text, "shipping", Some(rating)).await;
        }
        handled(&s, &o, &ana, care, "Ottoline Quibble here about a return", "returns", None).await;
        handled(&s, &o, &ana, care, "Ottoline Quibble again, the return label", "returns", None).await;
        handled(&s, &o, &ana, sales, "charged twice!", "billing", Some(5)).await;
        handled(&s, &o, &ana, sales, "Charged twice for one order", "billing", Some(4)).await;
        let left = contact(&s, &o, sales, "chat", json!({"name": "Lou"})).await;
        advance(&s, 40).await;
        let r = admin.post(&format!("/api/contacts/{left}/end"), &json!({})).await;
        assert_eq!(r.status, 200, "abandon: {}", r.text);

        let sup = o.client(&s, Role::Supervisor);
        let v = sup.ok("/api/insight").await;
        assert_eq!(v["week"], "2026-12-28", "{v}");
        assert_eq!(v["tz"], "America/New_York");
        assert_eq!(v["weeks"], json!(["2026-11-30", "2026-12-07", "2026-12-14", "2026-12-21", "2026-12-28"]));
        assert_eq!(v["totals"]["contacts"], 9, "{v}");
        assert_eq!(v["totals"]["handled"], 8);
        assert_eq!(v["totals"]["csat_avg"], 2.83, "(2+3+2+1+5+4)/6");
        assert_eq!(v["last_week"]["contacts"], 4);
        assert_eq!(v["conversations"], 8, "the one who left wrote nothing worth counting");

        // The reasons: shipping first, up from one a week; then billing, down a third.
        let reasons = &v["reasons"];
        let codes: Vec<&str> = reasons.as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["shipping", "billing", "returns"], "{reasons}");
        let ship = &reasons[0];
        assert_eq!(ship["contacts"], 4);
        assert_eq!(ship["last_week"], 1);
        assert_eq!(ship["change_percent"], 300.0);
        assert_eq!(ship["weekly"], json!([1, 1, 1, 1, 4]));
        assert_eq!(ship["share_percent"], 50.0);
        assert_eq!((ship["csat_avg"].clone(), ship["csat_count"].clone()), (json!(2.0), json!(4)));
        assert_eq!(ship["csat_last_week"], 4.0);
        let billing = &reasons[1];
        assert_eq!((billing["contacts"].clone(), billing["last_week"].clone()), (json!(2), json!(3)));
        assert_eq!(billing["change_percent"], -33.3);
        assert_eq!(billing["csat_avg"], 4.5);
        assert_eq!(reasons[2]["change_percent"], Value::Null);
        assert_eq!(reasons[2]["csat_avg"], Value::Null);

        // Satisfaction and service by queue.
        let q_care = find(&v["queues"], "name", "Care");
        assert_eq!(q_care["this_week"]["csat_avg"], 2.0);
        assert_eq!(q_care["this_week"]["contacts"], 6);
        assert_eq!(q_care["this_week"]["service_level_percent"], 100.0);
        assert_eq!(q_care["last_week"]["csat_avg"], 4.0);
        let q_sales = find(&v["queues"], "name", "Sales");
        assert_eq!(q_sales["this_week"]["csat_avg"], 4.5);
        assert_eq!(q_sales["this_week"]["service_level_percent"], 66.7, "one left");

        // The one rising phrase, exactly; its words are not listed again, and nothing
        // personal or used by fewer than three customers shows.
        assert_eq!(
            v["rising"],
            json!([{"term": "damaged parcel", "conversations": 4, "previous_mean": 0.0, "ratio": 3.0}]),
            "{v}"
        );
        let text = v.to_string();
        for never in ["ottoline", "quibble", "example"] {
            assert!(!text.to_lowercase().contains(never), "{never} in {text}");
        }
        // Counting customers' words is a read of their data: audited, by whom.
        let events = admin.ok("/api/events?limit=1000").await;
        let audit: Vec<&Value> = events["items"].as_array().unwrap().iter().filter(|e| e["kind"] == "insight.terms").collect();
        assert_eq!(audit.len(), 5, "one per week counted: {events}");
        assert!(audit.iter().all(|e| e["data"]["actor"]["user_id"] == o.user(Role::Supervisor).to_string()), "{audit:?}");
        // Nothing derived from the messages is stored in clear.
        assert!(cells_holding(&s, "damaged parcel").await.is_empty());

        // Agents are refused; another organisation sees none of it.
        assert_eq!(o.client(&s, Role::Agent).get("/api/insight").await.status, 403);
        assert_eq!(o.client(&s, Role::Agent).get("/api/insight/digest").await.status, 403);
        let other = seed_org(&s, "insight-other").await;
        let theirs = other.client(&s, Role::Supervisor).ok("/api/insight?week=2026-12-28").await;
        assert_eq!((theirs["reasons"].clone(), theirs["rising"].clone(), theirs["queues"].clone()), (json!([]), json!([]), json!([])), "{theirs}");
        assert_eq!(theirs["totals"]["contacts"], 0);
        assert_eq!(sup.get("/api/insight?week=28-12-2026").await.status, 422);
        assert_eq!(sup.get("/api/insight?tz=Mars/Olympus").await.status, 422);

        // The digest of the week, as a page.
        let d = sup.ok("/api/insight/digest?week=2026-12-30").await;
        assert_eq!(d["week"], "2026-12-28");
        assert_eq!(d["contacts"], json!({"value": 9.0, "previous": 4.0, "change": 5.0}));
        assert_eq!(d["top_reasons"][0]["code"], "shipping");
        assert_eq!(d["rising"][0]["term"], "damaged parcel");
        assert_eq!(d["best_queue"]["name"], "Care");
        assert_eq!(d["worst_queue"]["name"], "Sales");
        assert!(d["summary"][0].as_str().unwrap().starts_with("9 contacts this week (+125% on last week)"), "{d}");

        // Its webhook: admins only; a secret is needed and never comes back.
        let secret = "digest-signing-secret-0001";
        let (ep, url) = Endpoint::start(vec![(500, json!({}))]).await;
        assert_eq!(sup.put("/api/insight/settings", &json!({"webhook_url": url})).await.status, 403);
        let r = admin.put("/api/insight/settings", &json!({"webhook_url": url})).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.text.contains("webhook_secret"), "{}", r.text);
        let r = admin.put("/api/insight/settings", &json!({"webhook_url": url, "webhook_secret": secret})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["has_secret"], true);
        assert!(!r.text.contains(secret));
        assert!(cells_holding(&s, secret).await.is_empty(), "the secret is sealed");

        // Sent now: refused once (500), delivered on the retry; both signed.
        assert_eq!(sup.post("/api/insight/digest/send?week=2026-12-28", &json!({})).await.status, 403);
        let r = admin.post("/api/insight/digest/send?week=2026-12-28", &json!({})).await;
        assert_eq!(r.status, 202, "{}", r.text);
        let hits = ep.wait_for(2).await;
        for h in &hits {
            assert!(verify(secret, h), "signed: {:?}", h.signature);
            assert_eq!(h.body["type"], "insight.digest");
            assert_eq!(h.body["id"], r.body["id"]);
            assert_eq!(h.body["digest"]["rising"][0]["term"], "damaged parcel");
            assert_eq!(h.body["digest"]["top_reasons"][0]["code"], "shipping");
        }
        let log = deliveries_until(&sup, "/api/insight/deliveries", 2).await;
        let items = log["items"].as_array().unwrap();
        assert_eq!((items[1]["attempt"].clone(), items[1]["ok"].clone(), items[1]["status"].clone()), (json!(1), json!(false), json!(500)), "{log}");
        assert_eq!((items[0]["attempt"].clone(), items[0]["ok"].clone()), (json!(2), json!(true)), "{log}");
        assert_eq!(items[0]["digest_id"], r.body["id"]);

        // On schedule: nothing before Monday 08:00 in New York, then that week's
        // digest, once.
        server::api::insight_api::check_digests(&s.state).await;
        let now = s.state.now();
        let monday_8 = time::macros::datetime!(2027-01-04 13:00 UTC);
        advance(&s, (monday_8 - now).whole_seconds() as u64 - 60).await;
        server::api::insight_api::check_digests(&s.state).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(ep.hits().len(), 2, "not before 08:00");
        advance(&s, 60).await;
        server::api::insight_api::check_digests(&s.state).await;
        let hits = ep.wait_for(3).await;
        assert!(verify(secret, &hits[2]));
        assert_eq!(hits[2].body["digest"]["week"], "2026-12-28");
        advance(&s, 3600).await;
        server::api::insight_api::check_digests(&s.state).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(ep.hits().len(), 3, "once a week");
        s
    })
    .await;
}

/// A digest call that failed when the server stopped is made again after the restart,
/// under the same id, as its next attempt.
#[tokio::test]
async fn a_digest_call_owed_at_a_stop_is_made_after_the_restart() {
    each_backend(|s| async move {
        let o = seed_org(&s, "insight-restart").await;
        let (ep, url) = Endpoint::start(vec![(503, json!({}))]).await;
        let secret = "digest-signing-secret-0002";
        let admin = o.client(&s, Role::Admin);
        let r = admin
            .put(
                "/api/insight/settings",
                &json!({"webhook_url": url, "webhook_secret": secret}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let sent = admin.post("/api/insight/digest/send", &json!({})).await;
        assert_eq!(sent.status, 202, "{}", sent.text);
        let first = ep.wait_for(1).await;
        // Stopped before the retry (1 s later).
        let data = s.halt().await;
        assert_eq!(ep.hits().len(), 1, "no retry from a stopped server");
        let s = Server::start_with(data, server::Clock::System).await;
        server::api::insight_api::check_digests(&s.state).await;
        let hits = ep.wait_for(2).await;
        assert!(verify(secret, &hits[1]), "signed: {:?}", hits[1].signature);
        assert_eq!(hits[1].body["id"], first[0].body["id"], "the same digest");
        assert_eq!(
            hits[1].body["digest"]["week"],
            first[0].body["digest"]["week"]
        );
        let admin = o.client(&s, Role::Admin);
        let log = deliveries_until(&admin, "/api/insight/deliveries", 2).await;
        let items = log["items"].as_array().unwrap();
        assert_eq!(
            (items[0]["attempt"].clone(), items[0]["ok"].clone()),
            (json!(2), json!(true)),
            "{log}"
        );
        assert_eq!(
            (items[1]["attempt"].clone(), items[1]["status"].clone()),
            (json!(1), json!(503)),
            "{log}"
        );
        // Made once, however often the check runs.
        server::api::insight_api::check_digests(&s.state).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(ep.hits().len(), 2);
        s
    })
    .await;
}
