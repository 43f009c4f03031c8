//! The supervisor console over real HTTP, on SQLite and PostgreSQL: the wallboard's
//! figures for a scripted morning (exact values, time driven by the test, the same
//! after a restart), raised hands, monitoring, whisper, barge, take-over and team
//! control, each recorded with its actor.

use serde_json::{Value, json};
use store::{Role, Store};
use uuid::Uuid;

use crate::common::*;
use crate::routing_live::{accept, advance, agent, contact, offered_to, queue, quiet_org, uuid};

async fn board(c: &Client, query: &str) -> Value {
    c.ok(&format!("/api/wallboard{query}")).await
}

async fn events_of(s: &Server, o: &Org, kind: &str) -> Vec<store::Event> {
    s.state
        .store()
        .read_org_events_of_kind(o.id, kind, i64::MAX, 100)
        .await
        .expect("events")
}

/// Three contacts: one answered in 10 s, one in 40 s (the threshold is 20 s), one
/// abandoned after 30 s. The figures are exact, and a restart rebuilds them from the
/// log.
#[tokio::test]
async fn the_wallboard_counts_a_scripted_morning_exactly() {
    each_backend_with(manual_clock(), |s| async move {
        let o = quiet_org(&s, "board").await;
        let q = queue(
            &s,
            &o,
            "Sales",
            json!({"service_level_s": 20, "service_level_percent": 80, "offer_timeout_s": 3600}),
        )
        .await;
        let ana = agent(
            &s,
            &o,
            Role::Agent,
            json!({"skills": {}, "capacity": 5, "team": "East"}),
        )
        .await;
        let sup = o.client(&s, Role::Supervisor);

        let a = contact(&s, &o, q, "chat", json!({"name": "Ann"})).await;
        advance(&s, 10).await;
        accept(&ana, offered_to(&ana, a).await.expect("offered").0).await;
        let b = contact(&s, &o, q, "chat", json!({"name": "Ben"})).await;
        advance(&s, 40).await;
        accept(&ana, offered_to(&ana, b).await.expect("offered").0).await;
        let r = ana
            .put(
                "/api/agent/state",
                &json!({"state": "break", "reason": "lunch"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let c = contact(
            &s,
            &o,
            q,
            "sms",
            json!({"name": "Cy", "phone": "+13125550100"}),
        )
        .await;
        advance(&s, 30).await;
        let r = o
            .client(&s, Role::Admin)
            .post(&format!("/api/contacts/{c}/end"), &json!({}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);

        let check = |v: &Value| {
            let t = &v["totals"]["today"];
            assert_eq!(t["offered"], 3, "{v}");
            assert_eq!(t["answered"], 2, "{v}");
            assert_eq!(t["answered_in_sl"], 1, "{v}");
            assert_eq!(t["abandoned"], 1, "{v}");
            assert_eq!(t["asa_s"], 25, "{v}");
            assert_eq!(t["service_level_percent"], 33.3, "{v}");
            assert_eq!(t["abandon_percent"], 33.3, "{v}");
            assert_eq!(t["abandon_wait_s"], 30, "{v}");
            let row = v["queues"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["name"] == "Sales")
                .unwrap();
            assert_eq!(row["today"]["offered"], 3, "{row}");
            assert_eq!(row["threshold_s"], 20, "{row}");
            assert_eq!(row["agents_on_contact"], 1, "{row}");
            let agent = v["agents"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["team"] == "East")
                .unwrap();
            // Holding two chats while on break still counts as on contact.
            assert_eq!(agent["activity"], "on_contact", "{agent}");
            assert_eq!(agent["contacts"], 2, "{agent}");
            // Available for 10 s (until the first acceptance), then on contact for 70 s.
            assert_eq!(agent["time_today"]["available_ms"], 10_000, "{agent}");
            assert_eq!(agent["time_today"]["on_contact_ms"], 70_000, "{agent}");
            // 70 s with contacts of 80 s ready for them.
            assert_eq!(agent["occupancy_percent"], 88.0, "{agent}");
        };
        let v = board(&sup, "?tz=America/New_York").await;
        check(&v);
        // Filters: the SMS channel holds only the abandoned one; another team no agent.
        let sms = board(&sup, "?channel=sms").await;
        assert_eq!(sms["totals"]["today"]["offered"], 1, "{sms}");
        assert_eq!(sms["totals"]["today"]["abandoned"], 1, "{sms}");
        let west = board(&sup, "?team=West").await;
        assert_eq!(west["agents"].as_array().unwrap().len(), 0, "{west}");
        assert_eq!(west["teams"], json!(["East"]));
        // Bad input is refused and names the field.
        let bad = sup.get("/api/wallboard?tz=Mars/Olympus").await;
        assert_eq!(bad.status, 422, "{}", bad.text);
        assert!(bad.text.contains("tz"), "{}", bad.text);
        let bad = sup.get("/api/wallboard?channel=pigeon").await;
        assert_eq!(bad.status, 422, "{}", bad.text);
        // Agents do not see the wallboard.
        assert_eq!(ana.get("/api/wallboard").await.status, 403);

        // A restart rebuilds the same figures from the event log.
        let clock = s.clock.clone();
        let data = s.halt().await;
        let s = Server::start_with(data, clock).await;
        let v = board(&o.client(&s, Role::Supervisor), "?tz=America/New_York").await;
        check(&v);
        s
    })
    .await;
}

#[tokio::test]
async fn a_raised_hand_is_seen_taken_once_and_survives_a_restart() {
    each_backend(|s| async move {
        let o = seed_org(&s, "hands").await;
        let chat = active_contact(&s, &o).await;
        let ana = o.client(&s, Role::Agent);
        let sup = o.client(&s, Role::Supervisor);
        let admin = o.client(&s, Role::Admin);

        // A contact that is not hers (another organisation's) is refused; her own is
        // accepted; the card number in her line is masked before it is stored.
        let other = seed_org(&s, "hands-other").await;
        let foreign = create_contact(&s, &other, "Other").await;
        let r = ana.post("/api/help", &json!({"contact_id": foreign["id"], "text": "?"})).await;
        assert_eq!(r.status, 422, "{}", r.text);
        // Her team goes with the request: its supervisors are the ones called.
        let r = admin
            .put(&format!("/api/agents/{}", o.user(Role::Agent)), &json!({"team": "North", "capacity": 3}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = ana
            .post("/api/help", &json!({"contact_id": chat, "text": "refund over my limit, card 4111 1111 1111 1111"}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id: Uuid = uuid(&r.body["id"]);
        assert_eq!(r.body["team"], "North", "{}", r.text);
        assert!(!r.text.contains("4111 1111 1111 1111"), "{}", r.text);
        let again = ana.post("/api/help", &json!({"contact_id": chat})).await;
        assert_eq!(again.status, 409, "{}", again.text);

        let list = sup.ok("/api/help").await;
        assert!(list.as_array().unwrap().iter().any(|h| uuid(&h["id"]) == id), "{list}");
        // The wallboard lists it (and keeps the board for the next console).
        let wb = board(&admin, "").await;
        assert_eq!(wb["help"][0]["taken_by"], json!(null), "{wb}");
        // Agents take no hands; a supervisor takes it; another supervisor cannot.
        assert_eq!(ana.post(&format!("/api/help/{id}/take"), &json!({})).await.status, 403);
        let r = sup.post(&format!("/api/help/{id}/take"), &json!({})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["taken_by"], json!(o.user(Role::Supervisor)));
        // A board shared since (no routing event in between) still shows it taken.
        let wb = board(&admin, "").await;
        assert_eq!(wb["help"][0]["taken_by"], json!(o.user(Role::Supervisor)), "{wb}");
        let r = admin.post(&format!("/api/help/{id}/take"), &json!({})).await;
        assert_eq!(r.status, 409, "{}", r.text);
        // The agent sees who is coming.
        let mine = ana.ok("/api/help").await;
        assert_eq!(mine[0]["taken_by_name"], "supervisor of hands", "{mine}");

        // A restart keeps the open request, taken.
        let data = s.halt().await;
        let s = Server::start_with(data, server::Clock::System).await;
        let sup = o.client(&s, Role::Supervisor);
        let list = sup.ok("/api/help").await;
        let h = list.as_array().unwrap().iter().find(|h| uuid(&h["id"]) == id).expect("kept");
        assert_eq!(h["taken_by"], json!(o.user(Role::Supervisor)));
        assert_eq!(h["team"], "North", "{h}");
        let r = o.client(&s, Role::Agent).post(&format!("/api/help/{id}/close"), &json!({})).await;
        assert_eq!(r.status, 204, "{}", r.text);
        assert!(sup.ok("/api/help").await.as_array().unwrap().iter().all(|h| uuid(&h["id"]) != id));
        // Raised, taken, closed: each with its actor.
        let ev = events_of(&s, &o, "help").await;
        let actions: Vec<&str> = ev.iter().rev().filter_map(|e| e.data["action"].as_str()).collect();
        assert!(actions.ends_with(&["raised", "taken", "closed"]), "{actions:?}");
        s
    })
    .await;
}

#[tokio::test]
async fn whisper_barge_and_take_over_reach_the_right_people() {
    each_backend(|s| async move {
        let o = seed_org(&s, "watch").await;
        let chat = active_contact(&s, &o).await;
        let ana = o.client(&s, Role::Agent);
        let sup = o.client(&s, Role::Supervisor);
        let url = format!("/api/contacts/{chat}/supervise");

        // Monitoring is recorded; agents cannot supervise.
        assert_eq!(
            ana.post(&url, &json!({"action": "monitor"})).await.status,
            403
        );
        let r = sup.post(&url, &json!({"action": "monitor"})).await;
        assert_eq!(r.status, 200, "{}", r.text);

        // A whisper: internal, from the supervisor; the customer's feed never has it.
        let w = sup
            .post(
                &format!("/api/contacts/{chat}/messages"),
                &json!({"text": "offer the voucher", "client_id": "w1"}),
            )
            .await;
        assert_eq!(w.status, 201, "{}", w.text);
        assert_eq!(w.body["from"], "supervisor");
        assert_eq!(w.body["internal"], true);
        assert!(
            w.body["delivery"].is_null(),
            "a whisper goes to no one outside: {}",
            w.text
        );

        // Barge: a line the customer sees, then the supervisor's messages reach them.
        let r = sup.post(&url, &json!({"action": "barge"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let m = sup
            .post(
                &format!("/api/contacts/{chat}/messages"),
                &json!({"text": "Hello, I am the supervisor", "client_id": "b1"}),
            )
            .await;
        assert_eq!(m.status, 201, "{}", m.text);
        assert_eq!(m.body["internal"], false);
        assert_eq!(m.body["from"], "supervisor");
        let msgs = ana
            .ok(&format!("/api/contacts/{chat}/messages?limit=100"))
            .await;
        let texts: Vec<String> = msgs["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| format!("{}:{}:{}", m["from"], m["internal"], m["text"]))
            .collect();
        assert!(
            texts.iter().any(|t| t.contains("joined the conversation")),
            "{texts:?}"
        );

        // Take over: the supervisor needs an agent profile; then the chat is theirs.
        let r = sup.post(&url, &json!({"action": "take_over"})).await;
        assert_eq!(r.status, 409, "{}", r.text);
        let admin = o.client(&s, Role::Admin);
        let p = admin
            .put(
                &format!("/api/agents/{}", o.user(Role::Supervisor)),
                &json!({"skills": {}, "capacity": 5}),
            )
            .await;
        assert_eq!(p.status, 200, "{}", p.text);
        let r = sup.post(&url, &json!({"action": "take_over"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            r.body["agent_id"],
            json!(o.user(Role::Supervisor)),
            "{}",
            r.text
        );
        assert_eq!(r.body["status"], "active", "{}", r.text);
        let mine = ana.ok("/api/offers").await;
        assert!(
            mine["contacts"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["id"] != json!(chat)),
            "{mine}"
        );
        // Now the supervisor's messages are an agent's.
        let m = sup
            .post(
                &format!("/api/contacts/{chat}/messages"),
                &json!({"text": "All sorted", "client_id": "t1"}),
            )
            .await;
        assert_eq!(m.status, 201, "{}", m.text);
        assert_eq!(m.body["from"], "agent");

        let ev = events_of(&s, &o, "supervision").await;
        let actions: Vec<&str> = ev
            .iter()
            .rev()
            .filter_map(|e| e.data["action"].as_str())
            .collect();
        assert_eq!(actions, ["monitor", "barge", "take_over"]);
        assert!(
            ev.iter()
                .all(|e| e.data["actor"]["user_id"] == json!(o.user(Role::Supervisor))),
            "{:?}",
            ev[0].data
        );
        s
    })
    .await;
}

#[tokio::test]
async fn a_supervisor_sets_an_agents_state_and_signs_them_out() {
    each_backend(|s| async move {
        let o = seed_org(&s, "force").await;
        let sup = o.client(&s, Role::Supervisor);
        let agent_id = o.user(Role::Agent);
        let url = format!("/api/agents/{agent_id}/state");

        // A reason is required; agents cannot do it to each other.
        let r = sup
            .put(&url, &json!({"state": "break", "reason": ""}))
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        let r = o
            .client(&s, Role::Agent)
            .put(&url, &json!({"state": "break", "reason": "x"}))
            .await;
        assert_eq!(r.status, 403, "{}", r.text);
        let r = sup
            .put(&url, &json!({"state": "break", "reason": "coaching at 10"}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let me = o.client(&s, Role::Agent).ok("/api/offers").await;
        assert_eq!(me["agent"]["state"], "break", "{me}");
        assert_eq!(me["agent"]["reason"], "coaching at 10", "{me}");
        let ev = events_of(&s, &o, "agent.state").await;
        assert_eq!(
            ev[0].data["actor"]["user_id"],
            json!(o.user(Role::Supervisor)),
            "{:?}",
            ev[0].data
        );

        // Signing out ends the agent's browser session.
        let mut browser = Browser::new(&s, &o.slug);
        let (code, _) = browser.login(&o.email(Role::Agent), PASSWORD, None).await;
        assert_eq!(code, 200);
        assert_eq!(browser.get("/api/offers").await, 200);
        let r = sup
            .put(
                &url,
                &json!({"state": "break", "reason": "x", "sign_out": true}),
            )
            .await;
        assert_eq!(r.status, 422, "signing out means offline: {}", r.text);
        let r = sup
            .put(
                &url,
                &json!({"state": "offline", "reason": "shift over", "sign_out": true}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(browser.get("/api/offers").await, 401);
        // Someone else's organisation's agent is unknown here.
        let other = seed_org(&s, "force-other").await;
        let r = sup
            .put(
                &format!("/api/agents/{}/state", other.user(Role::Agent)),
                &json!({"state": "break", "reason": "x"}),
            )
            .await;
        assert_eq!(r.status, 404, "{}", r.text);
        s
    })
    .await;
}

#[tokio::test]
async fn a_supervisor_moves_a_waiting_contact_to_another_queue() {
    each_backend(|s| async move {
        let o = quiet_org(&s, "move").await;
        let returns = queue(&s, &o, "Returns", json!({"offer_timeout_s": 3600})).await;
        let c = contact(&s, &o, o.queue, "chat", json!({"name": "Wanda Waiting"})).await;
        let before = o
            .client(&s, Role::Admin)
            .ok(&format!("/api/contacts/{c}"))
            .await;
        assert_eq!(before["status"], "waiting", "{before}");
        let url = format!("/api/contacts/{c}/transfer");
        // An agent cannot move someone else's waiting contact; a supervisor can.
        let r = o
            .client(&s, Role::Agent)
            .post(&url, &json!({"queue_id": returns}))
            .await;
        assert_eq!(r.status, 403, "{}", r.text);
        let r = o
            .client(&s, Role::Supervisor)
            .post(&url, &json!({"queue_id": returns}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["queue_id"], json!(returns), "{}", r.text);
        assert_eq!(r.body["status"], "waiting", "{}", r.text);
        // It keeps the time it started waiting.
        assert_eq!(r.body["enqueued_at"], before["enqueued_at"], "{}", r.text);
        s
    })
    .await;
}

/// Three customers wait; a supervisor moves the last one to the front with a reason.
/// Agents cannot, out-of-range values change nothing, the new place survives a restart,
/// and the routing history says what routing did and why, with who changed what.
#[tokio::test]
async fn a_supervisor_moves_a_customer_up_and_sees_why_routing_did_what_it_did() {
    each_backend_with(manual_clock(), |s| async move {
        let o = quiet_org(&s, "priority").await;
        let q = queue(
            &s,
            &o,
            "Line",
            json!({"offer_timeout_s": 600, "priority_aging_s": 60}),
        )
        .await;
        let first = contact(&s, &o, q, "chat", json!({"name": "First"})).await;
        advance(&s, 5).await;
        let second = contact(&s, &o, q, "chat", json!({"name": "Second"})).await;
        advance(&s, 5).await;
        let third = contact(&s, &o, q, "chat", json!({"name": "Third"})).await;
        let url = format!("/api/contacts/{third}/priority");
        let sup = o.client(&s, Role::Supervisor);
        let r = o
            .client(&s, Role::Agent)
            .put(&url, &json!({"priority": 5}))
            .await;
        assert_eq!(r.status, 403, "{}", r.text);
        let r = sup.put(&url, &json!({"priority": 101})).await;
        assert_eq!(r.status, 422, "{}", r.text);
        let r = sup
            .put(
                &url,
                &json!({"priority": 1, "reason": "called three times today"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["priority"], 1, "{}", r.text);
        let log = events_of(&s, &o, "supervision").await;
        let d = &log[0].data;
        assert_eq!(d["action"], "priority", "{d}");
        assert_eq!(d["priority"], 1, "{d}");
        assert_eq!(d["reason"], "called three times today", "{d}");
        assert_eq!(
            d["actor"]["user_id"],
            json!(o.user(Role::Supervisor)),
            "{d}"
        );

        // After a restart, the first free agent gets the third customer: one level of
        // priority is worth 60 s of waiting, and they waited only 10 s less.
        let clock = s.clock.clone();
        let data = s.halt().await;
        let s = Server::start_with(data, clock).await;
        let ana = agent(&s, &o, Role::Agent, json!({"capacity": 1})).await;
        let (offer, v) = offered_to(&ana, third).await.expect("the third first");
        assert!(offered_to(&ana, first).await.is_none());
        assert!(offered_to(&ana, second).await.is_none());
        accept(&ana, offer).await;

        // Why: each step in order, the offer with the engine's explanation.
        let r = o
            .client(&s, Role::Agent)
            .get(&format!("/api/contacts/{third}/routing"))
            .await;
        assert_eq!(
            r.status, 403,
            "agents do not see routing histories: {}",
            r.text
        );
        let h = o
            .client(&s, Role::Supervisor)
            .ok(&format!("/api/contacts/{third}/routing"))
            .await;
        let steps = h["steps"].as_array().expect("steps");
        let kinds: Vec<&str> = steps.iter().map(|x| x["event"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "contact_enqueued",
                "contact_priority_changed",
                "contact_offered",
                "offer_accepted"
            ],
            "{h}"
        );
        assert_eq!(steps[0]["text"], "Entered Line with priority 0.", "{h}");
        assert_eq!(steps[1]["text"], "Priority set to 1.", "{h}");
        assert_eq!(
            steps[1]["actor"]["user_id"],
            json!(o.user(Role::Supervisor)),
            "{h}"
        );
        assert_eq!(steps[2]["agent_id"], json!(o.user(Role::Agent)), "{h}");
        assert_eq!(steps[2]["explanation"], v["explanation"], "{h}");
        assert!(
            steps[2]["explanation"]
                .as_str()
                .unwrap()
                .contains("step 1 of 1"),
            "{h}"
        );
        assert_eq!(steps[2]["why"]["qualified_agents"], 1, "{h}");
        assert_eq!(
            steps[3]["actor"]["user_id"],
            json!(o.user(Role::Agent)),
            "{h}"
        );
        // A contact of another organisation is not found.
        let other = quiet_org(&s, "elsewhere").await;
        let r = other
            .client(&s, Role::Supervisor)
            .get(&format!("/api/contacts/{third}/routing"))
            .await;
        assert_eq!(r.status, 404, "{}", r.text);
        s
    })
    .await;
}
