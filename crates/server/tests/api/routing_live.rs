//! The live server routes with the `routing` engine: policies whose steps relax over
//! time, skills with levels, per-channel capacity with cross-channel rules, preferred
//! agents, offer timeouts, explanations, and a restart in the middle of all that. Over
//! real HTTP, on SQLite and PostgreSQL, with a clock the test moves by hand.

use std::time::Duration;

use serde_json::{Value, json};
use store::{Role, Store};
use uuid::Uuid;

use crate::common::*;

pub(crate) fn uuid(v: &Value) -> Uuid {
    v.as_str().expect("a uuid string").parse().expect("a uuid")
}

pub(crate) async fn advance(s: &Server, secs: u64) {
    s.clock.advance(Duration::from_secs(secs));
    server::contacts::tick(&s.state).await.expect("timers fire");
}

/// Give a staff member an agent profile and make them available.
pub(crate) async fn agent(s: &Server, o: &Org, role: Role, profile: Value) -> Client {
    let admin = o.client(s, Role::Admin);
    let a = admin
        .put(&format!("/api/agents/{}", o.user(role)), &profile)
        .await;
    assert_eq!(a.status, 200, "profile: {}", a.text);
    let c = o.client(s, role);
    let a = c
        .put("/api/agent/state", &json!({"state": "available"}))
        .await;
    assert_eq!(a.status, 200, "available: {}", a.text);
    c
}

pub(crate) async fn set_state(c: &Client, state: &str) {
    let a = c
        .put(
            "/api/agent/state",
            &json!({"state": state, "reason": "lunch"}),
        )
        .await;
    assert_eq!(a.status, 200, "state {state}: {}", a.text);
}

pub(crate) async fn queue(s: &Server, o: &Org, name: &str, settings: Value) -> Uuid {
    let mut body = settings;
    body["name"] = json!(name);
    let a = o.client(s, Role::Admin).post("/api/queues", &body).await;
    assert_eq!(a.status, 201, "queue: {}", a.text);
    uuid(&a.body["id"])
}

pub(crate) async fn contact(s: &Server, o: &Org, q: Uuid, channel: &str, customer: Value) -> Uuid {
    let a = o
        .client(s, Role::Admin)
        .post(
            "/api/contacts",
            &json!({"channel": channel, "queue_id": q, "customer": customer, "text": "hi"}),
        )
        .await;
    assert_eq!(a.status, 201, "contact: {}", a.text);
    uuid(&a.body["id"])
}

/// The pending offers of one staff member: (offer, contact, explanation).
pub(crate) async fn offers_of(c: &Client) -> Vec<(Uuid, Uuid, Value)> {
    let v = c.ok("/api/offers").await;
    v["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                uuid(&x["offer"]["id"]),
                uuid(&x["offer"]["contact_id"]),
                x["offer"].clone(),
            )
        })
        .collect()
}

pub(crate) async fn offered_to(c: &Client, contact: Uuid) -> Option<(Uuid, Value)> {
    offers_of(c)
        .await
        .into_iter()
        .find(|(_, ct, _)| *ct == contact)
        .map(|(o, _, v)| (o, v))
}

pub(crate) async fn accept(c: &Client, offer: Uuid) {
    let a = c
        .post(&format!("/api/offers/{offer}/accept"), &json!({}))
        .await;
    assert_eq!(a.status, 200, "accept: {}", a.text);
}

async fn finish(c: &Client, contact: Uuid) {
    let a = c
        .post(&format!("/api/contacts/{contact}/end"), &json!({}))
        .await;
    assert_eq!(a.status, 200, "end: {}", a.text);
    let a = c
        .post(
            &format!("/api/contacts/{contact}/wrapup"),
            &json!({"code": "resolved"}),
        )
        .await;
    assert_eq!(a.status, 200, "wrapup: {}", a.text);
}

/// A fresh organisation whose default agent is offline (tests add their own).
pub(crate) async fn quiet_org(s: &Server, slug: &str) -> Org {
    let o = seed_org(s, slug).await;
    set_state(&o.client(s, Role::Agent), "offline").await;
    o
}

#[tokio::test]
async fn a_two_step_policy_offers_the_expert_first_then_relaxes() {
    each_backend_with(manual_clock(), |s| async move {
        let o = quiet_org(&s, "steps").await;
        let q = queue(
            &s,
            &o,
            "Returns",
            json!({"steps": [
                {"target": "skill.returns >= 5", "timeout_s": 30},
                {"target": "skill.returns >= 1"}
            ]}),
        )
        .await;
        let novice = agent(
            &s,
            &o,
            Role::Agent,
            json!({"skills": {"returns": 2}, "capacity": 3}),
        )
        .await;
        let expert = agent(
            &s,
            &o,
            Role::Supervisor,
            json!({"skills": {"returns": 5}, "capacity": 3}),
        )
        .await;

        // Step 1: only the level-5 agent qualifies.
        let c1 = contact(&s, &o, q, "chat", json!({"name": "Ada"})).await;
        let (_, offer) = offered_to(&expert, c1)
            .await
            .expect("the expert is offered it");
        assert!(offered_to(&novice, c1).await.is_none());
        assert_eq!(offer["why"]["rule"]["index"], 0, "{offer}");
        assert!(
            offer["explanation"]
                .as_str()
                .unwrap()
                .contains("step 1 of 2"),
            "{offer}"
        );

        // The expert goes on break: the next contact waits at step 1 …
        set_state(&expert, "break").await;
        let c2 = contact(&s, &o, q, "chat", json!({"name": "Bob"})).await;
        assert!(offered_to(&novice, c2).await.is_none());
        advance(&s, 20).await;
        assert!(offered_to(&novice, c2).await.is_none(), "relaxed too early");
        // … and relaxes to level ≥ 1 once the step's 30 s are over.
        advance(&s, 11).await;
        let (_, offer) = offered_to(&novice, c2)
            .await
            .expect("relaxed to the novice");
        assert_eq!(offer["why"]["rule"]["index"], 1, "{offer}");
        assert!(
            offer["explanation"]
                .as_str()
                .unwrap()
                .contains("step 2 of 2"),
            "{offer}"
        );
        s
    })
    .await;
}

#[tokio::test]
async fn a_call_blocks_chats_and_a_chat_blocks_calls() {
    each_backend_with(manual_clock(), |s| async move {
        let o = quiet_org(&s, "blocks").await;
        let q = queue(&s, &o, "Mixed", json!({"after_contact_work_s": 0})).await;
        let a = agent(
            &s,
            &o,
            Role::Agent,
            json!({"skills": {}, "capacity": {"voice": 1, "chat": 3}}),
        )
        .await;

        let call = contact(&s, &o, q, "voice", json!({"name": "Caller"})).await;
        let (offer, _) = offered_to(&a, call).await.expect("the call is offered");
        accept(&a, offer).await;
        let chat = contact(&s, &o, q, "chat", json!({"name": "Chatter"})).await;
        assert!(
            offered_to(&a, chat).await.is_none(),
            "a chat was offered during a call"
        );
        let agent_now = o
            .client(&s, Role::Admin)
            .ok(&format!("/api/agents/{}", o.user(Role::Agent)))
            .await;
        assert_eq!(agent_now["activity"], "on_contact", "{agent_now}");

        finish(&a, call).await;
        let (offer, _) = offered_to(&a, chat)
            .await
            .expect("the chat once the call ended");
        accept(&a, offer).await;
        let call2 = contact(&s, &o, q, "voice", json!({"name": "Caller 2"})).await;
        assert!(
            offered_to(&a, call2).await.is_none(),
            "a call was offered during a chat"
        );
        finish(&a, chat).await;
        assert!(
            offered_to(&a, call2).await.is_some(),
            "the call after the chat"
        );
        s
    })
    .await;
}

#[tokio::test]
async fn a_returning_customer_gets_the_agent_who_helped_them() {
    each_backend_with(manual_clock(), |s| async move {
        let o = quiet_org(&s, "prefer").await;
        let q = queue(
            &s,
            &o,
            "Orders",
            json!({"prefer_last_agent_s": 60, "after_contact_work_s": 0}),
        )
        .await;
        let first = agent(&s, &o, Role::Agent, json!({"capacity": 1})).await;
        let customer = json!({"name": "Pat", "email": "pat@example.com"});
        let c1 = contact(&s, &o, q, "chat", customer.clone()).await;
        let (offer, _) = offered_to(&first, c1)
            .await
            .expect("offered to the only agent");
        accept(&first, offer).await;
        finish(&first, c1).await;

        // A second agent, idle longer than the first one now: without a preference the
        // contact would go to them.
        let other = agent(&s, &o, Role::Supervisor, json!({"capacity": 1})).await;
        advance(&s, 5).await;
        set_state(&first, "break").await;
        set_state(&first, "available").await;
        let c2 = contact(&s, &o, q, "chat", customer.clone()).await;
        let (_, offer) = offered_to(&first, c2)
            .await
            .expect("the customer's last agent first");
        assert_eq!(offer["why"]["rule"]["rule"], "preferred_agent", "{offer}");
        assert!(offered_to(&other, c2).await.is_none());

        // A stranger goes by the policy: the longest idle.
        let c3 = contact(&s, &o, q, "chat", json!({"name": "New"})).await;
        assert!(offered_to(&other, c3).await.is_some());
        s
    })
    .await;
}

#[tokio::test]
async fn a_timed_out_offer_moves_on_and_repeated_misses_park_the_agent() {
    each_backend_with(manual_clock(), |s| async move {
        let o = quiet_org(&s, "timeouts").await;
        let q = queue(&s, &o, "Fast", json!({"offer_timeout_s": 10})).await;
        let sleepy = agent(&s, &o, Role::Agent, json!({"capacity": 1})).await;
        let c = contact(&s, &o, q, "chat", json!({"name": "Waiting"})).await;
        assert!(offered_to(&sleepy, c).await.is_some());
        let awake = agent(&s, &o, Role::Supervisor, json!({"capacity": 1})).await;
        advance(&s, 11).await;
        assert!(
            offered_to(&sleepy, c).await.is_none(),
            "the offer timed out"
        );
        let (offer, v) = offered_to(&awake, c)
            .await
            .expect("offered to the next agent");
        assert!(v["explanation"].is_string());
        accept(&awake, offer).await;
        // One miss does not send the agent away.
        let me = sleepy.ok("/api/offers").await;
        assert_eq!(me["agent"]["state"], "available", "{me}");
        // Three in a row do.
        for i in 0..3 {
            let c = contact(&s, &o, q, "chat", json!({"name": format!("Miss {i}")})).await;
            if i < 2 {
                assert!(offered_to(&sleepy, c).await.is_some(), "miss {i}");
            }
            advance(&s, 11).await;
        }
        let me = sleepy.ok("/api/offers").await;
        assert_eq!(me["agent"]["state"], "missed", "{me}");
        s
    })
    .await;
}

#[tokio::test]
async fn a_restart_in_the_middle_of_a_policy_keeps_step_place_and_offers() {
    each_backend_with(manual_clock(), |s| async move {
        let o = quiet_org(&s, "restart").await;
        let q = queue(
            &s,
            &o,
            "Billing",
            json!({"offer_timeout_s": 3600, "steps": [
                {"target": "skill.billing >= 4", "timeout_s": 60},
                {"target": "skill.billing >= 1"}
            ]}),
        )
        .await;
        let ana = agent(
            &s,
            &o,
            Role::Agent,
            json!({"skills": {"billing": 4}, "capacity": 1}),
        )
        .await;
        let first = contact(&s, &o, q, "chat", json!({"name": "First"})).await;
        let (offer, _) = offered_to(&ana, first).await.expect("offered");
        let waiting: Vec<Uuid> = {
            let mut v = Vec::new();
            for n in ["Second", "Third"] {
                v.push(contact(&s, &o, q, "chat", json!({"name": n})).await);
                advance(&s, 1).await;
            }
            v
        };
        advance(&s, 60).await; // Second is at step 2 now, Third not yet.
        let before = s.state.with_org(o.id, |l| l.snapshot(s.state.now()));
        let admin = o.client(&s, Role::Admin);
        let pos_before: Vec<Value> = {
            let mut v = Vec::new();
            for c in &waiting {
                v.push(admin.ok(&format!("/api/contacts/{c}")).await);
            }
            v
        };

        let clock = s.clock.clone();
        let data = s.halt().await;
        let s = Server::start_with(data, clock).await;
        let after = s.state.with_org(o.id, |l| l.snapshot(s.state.now()));
        assert_eq!(after, before, "the engine after a restart");
        let admin = o.client(&s, Role::Admin);
        for (c, b) in waiting.iter().zip(&pos_before) {
            let a = admin.ok(&format!("/api/contacts/{c}")).await;
            assert_eq!(a["position"], b["position"], "{a}");
            assert_eq!(a["enqueued_at"], b["enqueued_at"], "{a}");
        }
        // The offer in flight survived with its id: the agent accepts it.
        let ana = o.client(&s, Role::Agent);
        let (again, _) = offered_to(&ana, first)
            .await
            .expect("the offer is still there");
        assert_eq!(again, offer);
        accept(&ana, again).await;
        s
    })
    .await;
}

#[tokio::test]
async fn what_an_admin_changes_takes_effect_live_and_keeps_presence() {
    each_backend_with(manual_clock(), |s| async move {
        let o = quiet_org(&s, "liveconf").await;
        let q = queue(
            &s,
            &o,
            "Spanish",
            json!({"steps": [{"target": "skill.spanish >= 3"}]}),
        )
        .await;
        let a = agent(&s, &o, Role::Agent, json!({"skills": {"spanish": 1}})).await;
        let c = contact(&s, &o, q, "chat", json!({"name": "Lola"})).await;
        assert!(offered_to(&a, c).await.is_none());
        // The admin raises the skill: offered at once.
        let admin = o.client(&s, Role::Admin);
        let r = admin
            .put(
                &format!("/api/agents/{}", o.user(Role::Agent)),
                &json!({"skills": {"spanish": 4}}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(
            offered_to(&a, c).await.is_some(),
            "the new skill counts at once"
        );
        // Editing skills during a break does not end the break.
        set_state(&a, "break").await;
        let r = admin
            .put(
                &format!("/api/agents/{}", o.user(Role::Agent)),
                &json!({"skills": {"spanish": 5}}),
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["state"], "break", "{}", r.text);
        // A bad expression is refused with the parser's words.
        let bad = admin
            .put(
                &format!("/api/queues/{q}"),
                &json!({"name": "Spanish", "steps": [{"target": "skill.spanish >="}]}),
            )
            .await;
        assert_eq!(bad.status, 422, "{}", bad.text);
        assert!(bad.text.contains("steps[0].target"), "{}", bad.text);
        s
    })
    .await;
}

/// After a random sequence of API operations, the live engine equals one rebuilt from
/// the stored log.
#[tokio::test]
async fn the_live_engine_equals_one_rebuilt_from_the_log() {
    each_backend_with(manual_clock(), |s| async move {
        let o = quiet_org(&s, "replay").await;
        let q1 = queue(&s, &o, "One", json!({"offer_timeout_s": 10, "after_contact_work_s": 5})).await;
        let q2 = queue(
            &s,
            &o,
            "Two",
            json!({"steps": [{"target": "skill.x >= 3", "timeout_s": 15}, {"target": "true"}], "max_wait_s": 120, "overflow_queue_id": q1}),
        )
        .await;
        let staff = [
            agent(&s, &o, Role::Agent, json!({"skills": {"x": 4}, "capacity": 2})).await,
            agent(&s, &o, Role::Supervisor, json!({"skills": {"x": 1}, "capacity": 1})).await,
            agent(&s, &o, Role::Admin, json!({"capacity": {"voice": 1, "chat": 2}})).await,
        ];
        let admin = o.client(&s, Role::Admin);
        let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        let mut contacts: Vec<Uuid> = Vec::new();
        for step in 0..120 {
            let who = &staff[next(3) as usize];
            match next(9) {
                0 | 1 => {
                    let q = if next(2) == 0 { q1 } else { q2 };
                    let ch = ["chat", "voice", "sms"][next(3) as usize];
                    contacts.push(contact(&s, &o, q, ch, json!({"name": format!("C{step}")})).await);
                }
                2 => {
                    if let Some((off, _, _)) = offers_of(who).await.first() {
                        who.post(&format!("/api/offers/{off}/accept"), &json!({})).await;
                    }
                }
                3 => {
                    if let Some((off, _, _)) = offers_of(who).await.first() {
                        who.post(&format!("/api/offers/{off}/reject"), &json!({})).await;
                    }
                }
                4 => {
                    if let Some(c) = contacts.get(next(contacts.len().max(1) as u64) as usize) {
                        admin.post(&format!("/api/contacts/{c}/end"), &json!({})).await;
                    }
                }
                5 => {
                    if let Some(c) = contacts.get(next(contacts.len().max(1) as u64) as usize) {
                        admin
                            .post(&format!("/api/contacts/{c}/wrapup"), &json!({"code": "done"}))
                            .await;
                    }
                }
                6 => {
                    if let Some(c) = contacts.get(next(contacts.len().max(1) as u64) as usize) {
                        admin
                            .post(&format!("/api/contacts/{c}/transfer"), &json!({"queue_id": q2}))
                            .await;
                    }
                }
                7 => {
                    let st = ["available", "break", "offline"][next(3) as usize];
                    who.put("/api/agent/state", &json!({"state": st})).await;
                }
                _ => advance(&s, 1 + next(20)).await,
            }
        }
        let now = s.state.now();
        let live = s.state.with_org(o.id, |l| l.snapshot(now));
        let mut events = Vec::new();
        let mut after = 0;
        loop {
            let page = s
                .state
                .store()
                .read_org_events_of_kind_after(o.id, server::events::ROUTING, after, 1000)
                .await
                .unwrap();
            let n = page.len();
            for e in &page {
                after = e.seq;
                if let Some((_, server::events::LiveEvent::Routing { events: evs, .. })) =
                    server::events::LiveEvent::parse(e)
                {
                    events.extend(evs);
                }
            }
            if n < 1000 {
                break;
            }
        }
        let rebuilt = routing::Engine::rebuild(Default::default(), &events).expect("the log replays");
        assert_eq!(rebuilt.snapshot(server::live::ts(now)), live);
        assert!(live.contacts.len() + events.len() > 20, "the sequence did something");
        s
    })
    .await;
}

#[tokio::test]
async fn the_policy_preview_lists_who_qualifies_at_each_step_and_the_parsers_errors() {
    each_backend_with(manual_clock(), |s| async move {
        let o = quiet_org(&s, "preview").await;
        agent(&s, &o, Role::Agent, json!({"skills": {"returns": 2, "spanish": 4}})).await;
        agent(&s, &o, Role::Supervisor, json!({"skills": {"returns": 5}})).await;
        let admin = o.client(&s, Role::Admin);
        let a = admin
            .post(
                "/api/routing/preview",
                &json!({
                    "steps": [
                        {"target": "skill.returns >= 5", "timeout_s": 20},
                        {"target": "contact.language == \"es\" AND skill.spanish >= 3 OR contact.language != \"es\""},
                        {"target": "skill.returns >="}
                    ],
                    "contact": {"channel": "chat", "attributes": {"language": "es"}}
                }),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        let names = |i: usize| -> Vec<String> {
            a.body["steps"][i]["agents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(names(0), vec!["supervisor of preview"]);
        assert_eq!(names(1), vec!["agent of preview"], "only the Spanish speaker");
        let err = &a.body["steps"][2]["error"];
        assert!(err["column"].as_u64().is_some(), "{err}");
        assert!(err["message"].is_string(), "{err}");
        // Agents cannot look.
        let r = o
            .client(&s, Role::Agent)
            .post("/api/routing/preview", &json!({"steps": [], "contact": {"channel": "chat"}}))
            .await;
        assert_eq!(r.status, 403);
        s
    })
    .await;
}

/// Operators graph contacts by channel: `/metrics` counts what was committed.
#[tokio::test]
async fn metrics_count_contacts_messages_and_offers_by_channel() {
    each_backend_with(manual_clock(), |s| async move {
        let o = quiet_org(&s, "counters").await;
        let q = queue(&s, &o, "Counted", json!({"offer_timeout_s": 10, "after_contact_work_s": 0})).await;
        let a = agent(&s, &o, Role::Agent, json!({"capacity": {"voice": 1, "chat": 2, "messaging": 2}})).await;
        let sms = contact(&s, &o, q, "sms", json!({"name": "Texter"})).await;
        let call = contact(&s, &o, q, "voice", json!({"name": "Caller"})).await;
        let (offer, _) = offered_to(&a, sms).await.expect("the SMS is offered");
        accept(&a, offer).await;
        let r = a
            .post(&format!("/api/contacts/{sms}/messages"), &json!({"text": "On its way", "client_id": "out-1"}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        finish(&a, sms).await;
        // The call is offered now, and times out.
        assert!(offered_to(&a, call).await.is_some());
        advance(&s, 11).await;
        let text = metrics_text(&s).await;
        let line = |prefix: &str| -> u64 {
            text.lines()
                .find(|l| l.starts_with(prefix))
                .and_then(|l| l.rsplit(' ').next())
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no `{prefix}` in /metrics:\n{text}"))
        };
        let qs = q.to_string();
        assert_eq!(line(&format!("homeshore_contacts_created_total{{channel=\"sms\",queue=\"{qs}\"}}")), 1);
        assert_eq!(line(&format!("homeshore_contacts_created_total{{channel=\"voice\",queue=\"{qs}\"}}")), 1);
        assert_eq!(
            line(&format!("homeshore_contacts_closed_total{{channel=\"sms\",queue=\"{qs}\",reason=\"wrapped_up\"}}")),
            1
        );
        // The contact's first message came in with it; the agent's went out.
        assert_eq!(line("homeshore_messages_total{channel=\"sms\",direction=\"out\"}"), 1);
        assert!(line("homeshore_offers_total{outcome=\"accepted\"}") >= 1);
        assert!(line("homeshore_offers_total{outcome=\"timed_out\"}") >= 1);
        s
    })
    .await;
}

/// A transferred chat arrives saying where it comes from; the customer is told.
#[tokio::test]
async fn a_transfer_tells_the_customer_and_the_next_agent() {
    each_backend_with(manual_clock(), |s| async move {
        let o = quiet_org(&s, "handover").await;
        let q1 = queue(
            &s,
            &o,
            "Orders",
            json!({"steps": [{"target": "skill.orders"}]}),
        )
        .await;
        let q2 = queue(
            &s,
            &o,
            "Billing",
            json!({"steps": [{"target": "skill.billing"}]}),
        )
        .await;
        let first = agent(&s, &o, Role::Agent, json!({"skills": {"orders": 3}})).await;
        let next = agent(&s, &o, Role::Supervisor, json!({"skills": {"billing": 3}})).await;
        let c = contact(&s, &o, q1, "chat", json!({"name": "Moving"})).await;
        let (offer, _) = offered_to(&first, c).await.expect("offered");
        accept(&first, offer).await;
        let r = first
            .post(
                &format!("/api/contacts/{c}/transfer"),
                &json!({"queue_id": q2, "note": "Wants a refund for order 42"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            r.body["transferred_from"]["agent_name"], "agent of handover",
            "{}",
            r.text
        );
        let (offer, v) = offered_to(&next, c).await.expect("offered to billing");
        let _ = v;
        accept(&next, offer).await;
        let msgs = next.ok(&format!("/api/contacts/{c}/messages")).await;
        let items = msgs["items"].as_array().unwrap();
        let system = items
            .iter()
            .find(|m| m["from"] == "system")
            .expect("a system line");
        assert_eq!(
            system["text"], "agent of handover transferred this conversation to Billing.",
            "{msgs}"
        );
        let note = items
            .iter()
            .find(|m| m["internal"] == true)
            .expect("the note");
        assert!(note["text"].as_str().unwrap().contains("order 42"));
        s
    })
    .await;
}

/// Business hours open and close a queue in its own time zone; a closed queue refuses
/// new contacts with a reason and still serves those waiting.
#[tokio::test]
async fn business_hours_open_and_close_the_queue_in_its_time_zone() {
    each_backend_with(manual_clock(), |s| async move {
        let o = quiet_org(&s, "hours").await;
        let admin = o.client(&s, Role::Admin);
        let bad = admin
            .post(
                "/api/business-hours",
                &json!({"name": "Nowhere", "timezone": "Mars/Olympus", "weekly": []}),
            )
            .await;
        assert_eq!(bad.status, 422, "{}", bad.text);
        assert!(bad.text.contains("IANA"), "{}", bad.text);
        // The clock says Tuesday 15:00 UTC: 09:00 in Chicago (CST, UTC−6).
        let h = admin
            .post(
                "/api/business-hours",
                &json!({"name": "Chicago mornings", "timezone": "America/Chicago",
                        "weekly": [{"day": 2, "open": "09:00", "close": "10:00"}]}),
            )
            .await;
        assert_eq!(h.status, 201, "{}", h.text);
        let q = queue(
            &s,
            &o,
            "Mornings",
            json!({"business_hours_id": h.body["id"]}),
        )
        .await;
        let waiting = contact(&s, &o, q, "chat", json!({"name": "Early"})).await;
        advance(&s, 3600).await; // 10:00 in Chicago: closed.
        let late = o
            .client(&s, Role::Admin)
            .post(
                "/api/contacts",
                &json!({"channel": "chat", "queue_id": q, "customer": {"name": "Late"}}),
            )
            .await;
        assert_eq!(late.status, 409, "{}", late.text);
        assert!(late.text.contains("closed"), "{}", late.text);
        // The contact that came in while open is still served.
        let a = agent(&s, &o, Role::Agent, json!({})).await;
        assert!(offered_to(&a, waiting).await.is_some());
        s
    })
    .await;
}

/// The channel contract's one receive path: one customer by identity, one open contact
/// per channel, a provider's retry answered with the first result (also after a restart).
#[tokio::test]
async fn inbound_messages_find_the_customer_and_their_contact_and_never_repeat() {
    each_backend_with(manual_clock(), |s| async move {
        let o = quiet_org(&s, "inbound").await;
        let q = queue(&s, &o, "Texts", json!({})).await;
        let admin = o.client(&s, Role::Admin);
        let send = |id: &str, text: &str| {
            json!({"channel": "sms", "from": {"kind": "phone", "value": "+15550001111", "name": "Sam"},
                   "message_id": id, "sent_at": "2026-12-01T14:59:58Z", "text": text, "queue_id": q})
        };
        let first = admin.post("/api/inbound", &send("SM1", "Where is my order?")).await;
        assert_eq!(first.status, 200, "{}", first.text);
        assert_eq!(first.body["opened"], true);
        assert_eq!(
            first.body["message"]["at"], "2026-12-01T14:59:58Z",
            "stamped with the provider's time, not ours"
        );
        let contact = first.body["contact"]["id"].clone();
        let again = admin.post("/api/inbound", &send("SM1", "Where is my order?")).await;
        assert_eq!(again.body["duplicate"], true, "{}", again.text);
        assert_eq!(again.body["message"]["id"], first.body["message"]["id"]);
        let second = admin.post("/api/inbound", &send("SM2", "It was due Friday")).await;
        assert_eq!(second.body["opened"], false, "{}", second.text);
        assert_eq!(second.body["contact"]["id"], contact);
        assert_eq!(second.body["message"]["seq"], 2);
        assert_eq!(second.body["message"]["at"], "2026-12-01T14:59:58Z");

        let clock = s.clock.clone();
        let s = Server::start_with(s.halt().await, clock).await;
        let admin = o.client(&s, Role::Admin);
        let retry = admin.post("/api/inbound", &send("SM2", "It was due Friday")).await;
        assert_eq!(retry.body["duplicate"], true, "{}", retry.text);
        assert_eq!(retry.body["message"]["seq"], 2);
        let retry1 = admin.post("/api/inbound", &send("SM1", "Where is my order?")).await;
        assert_eq!(retry1.body["duplicate"], true, "{}", retry1.text);
        let msgs = admin.ok(&format!("/api/contacts/{}/messages", contact.as_str().unwrap())).await;
        assert_eq!(msgs["items"].as_array().unwrap().len(), 2, "{msgs}");

        // Once that contact is over, the same customer's next text opens a new one.
        let r = admin
            .post(&format!("/api/contacts/{}/end", contact.as_str().unwrap()), &json!({}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let third = admin.post("/api/inbound", &send("SM3", "Hello again")).await;
        assert_eq!(third.body["opened"], true, "{}", third.text);
        assert_ne!(third.body["contact"]["id"], contact);
        assert_eq!(
            third.body["contact"]["customer_id"],
            first.body["contact"]["customer_id"],
            "one customer across contacts"
        );
        let bad = admin
            .post("/api/inbound", &json!({"channel": "fax", "from": {"kind": "phone", "value": "1"}, "message_id": "x", "text": "t", "queue_id": q}))
            .await;
        assert_eq!(bad.status, 422, "{}", bad.text);
        s
    })
    .await;
}

/// The widget's customer is the one of the same browser, else of the same email, and
/// keeps the identities each chat showed (recorded in the chat's own commit): a second
/// browser with a known email is that customer from then on, and so is a new email from
/// a known browser. Chats opened at once with one new email all open, and the email
/// belongs to one customer afterwards.
#[tokio::test]
async fn widget_chats_find_their_customer_by_browser_or_email() {
    each_backend(|s| async move {
        let o = quiet_org(&s, "visitors").await;
        let start = |visitor: &str, email: Option<&str>| {
            let mut body =
                json!({"name": "Vera", "topic": o.queue.to_string(), "visitor_id": visitor});
            if let Some(e) = email {
                body["email"] = json!(e);
            }
            let url = format!("{}/api/widget/{}/chats", s.base, o.slug);
            async move {
                let a = answer(reqwest::Client::new().post(url).json(&body)).await;
                assert_eq!(a.status, 201, "start: {}", a.text);
                uuid(&a.body["contact_id"])
            }
        };
        let customer = |contact: Uuid| {
            let st = s.state.clone();
            let org = o.id;
            async move {
                st.store()
                    .get_contact(org, contact)
                    .await
                    .unwrap()
                    .and_then(|c| c.customer_id)
                    .expect("the chat's customer")
            }
        };
        let x = customer(start("browser-aaaa", Some("vera@example.org")).await).await;
        // Another browser, the same email (cased differently): the same customer, who
        // now has that browser too.
        let c = start("browser-bbbb", Some("Vera@Example.org")).await;
        assert_eq!(customer(c).await, x);
        let c = start("browser-bbbb", None).await;
        assert_eq!(customer(c).await, x, "the second browser was recorded");
        // A known browser with a new email: the email becomes theirs.
        let c = start("browser-aaaa", Some("vera.work@example.org")).await;
        assert_eq!(customer(c).await, x);
        let c = start("browser-cccc", Some("vera.work@example.org")).await;
        assert_eq!(customer(c).await, x, "the new email was recorded");

        // Four browsers at once with one new email: every chat opens.
        let at_once: Vec<Uuid> = futures::future::join_all(
            [
                "browser-d001",
                "browser-d002",
                "browser-d003",
                "browser-d004",
            ]
            .map(|v| start(v, Some("someone@example.org"))),
        )
        .await;
        let mut theirs = Vec::new();
        for c in at_once {
            let id = customer(c).await;
            assert_ne!(id, x);
            theirs.push(id);
        }
        let c = start("browser-eeee", Some("someone@example.org")).await;
        assert!(
            theirs.contains(&customer(c).await),
            "the email went to one of them"
        );
        s
    })
    .await;
}
