//! One customer across channels: finding a customer, merging two customers who are one
//! person, splitting one back, and the history of every channel, on both databases.

use serde_json::{Value, json};
use store::{Role, Store};
use uuid::Uuid;

use crate::common::{self, Client, Org, Server, each_backend};

const PHONE: &str = "+15550100001";
const EMAIL: &str = "ana.lima@example.com";

/// A customer's message through the channel contract (an integration's inbound).
async fn inbound(
    s: &Server,
    o: &Org,
    channel: &str,
    kind: &str,
    value: &str,
    id: &str,
    text: &str,
) -> Value {
    let a = o
        .client(s, Role::Admin)
        .post(
            "/api/inbound",
            &json!({
                "channel": channel,
                "from": {"kind": kind, "value": value, "name": "Ana Lima"},
                "message_id": id,
                "text": text,
                "queue_id": o.queue,
            }),
        )
        .await;
    assert_eq!(a.status, 200, "inbound {channel}: {}", a.text);
    a.body
}

fn id_of(v: &Value) -> Uuid {
    v.as_str()
        .unwrap_or_else(|| panic!("not an id: {v}"))
        .parse()
        .unwrap()
}

/// The agent accepts every offer waiting for them.
async fn accept_all(s: &Server, o: &Org) {
    let agent = o.client(s, Role::Agent);
    for _ in 0..50 {
        let pending = common::offers(s, o).await;
        if pending.is_empty() {
            return;
        }
        for (offer, _) in pending {
            let a = agent
                .post(&format!("/api/offers/{offer}/accept"), &json!({}))
                .await;
            assert_eq!(a.status, 200, "accept: {}", a.text);
        }
    }
}

/// An SMS customer and an email customer who are the same person, both with a
/// contact the agent holds: (sms contact, its customer, email contact, its customer).
async fn two_customers(s: &Server, o: &Org) -> (Uuid, Uuid, Uuid, Uuid) {
    let sms = inbound(s, o, "sms", "phone", PHONE, "SM1", "My parcel is late").await;
    let mail = inbound(
        s,
        o,
        "email",
        "email",
        EMAIL,
        "<m1@example.com>",
        "Writing again by email about the parcel",
    )
    .await;
    accept_all(s, o).await;
    let (c1, k1) = (
        id_of(&sms["contact"]["id"]),
        id_of(&sms["contact"]["customer_id"]),
    );
    let (c2, k2) = (
        id_of(&mail["contact"]["id"]),
        id_of(&mail["contact"]["customer_id"]),
    );
    assert_ne!(k1, k2, "two identities never seen together: two customers");
    (c1, k1, c2, k2)
}

async fn customer(c: &Client, id: Uuid) -> Value {
    c.ok(&format!("/api/customers/{id}")).await
}

fn ids(v: &Value, key: &str) -> Vec<Uuid> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} in {v}"))
        .iter()
        .map(|x| id_of(&x["id"]))
        .collect()
}

async fn events_of(c: &Client, kind: &str) -> Vec<Value> {
    let events = c.ok("/api/events?limit=1000").await;
    events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .cloned()
        .collect()
}

#[tokio::test]
async fn an_agent_merges_two_customers_and_the_merge_survives_a_restart() {
    each_backend(|s| async move {
        let o = common::seed_org(&s, "merge").await;
        let o = &o;
        let (sms, ana, mail, other) = two_customers(&s, o).await;
        let agent = o.client(&s, Role::Agent);

        // The agent finds the other customer by the exact email, and by phone.
        let found = agent.ok(&format!("/api/customers?q={EMAIL}")).await;
        let items = found["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{found}");
        assert_eq!(id_of(&items[0]["id"]), other);
        assert_eq!(items[0]["matched"], "email");
        assert_eq!(items[0]["identities"], json!(["email"]));
        let found = agent.ok("/api/customers?q=%2B1%20555%20010%200001").await;
        assert_eq!(id_of(&found["items"][0]["id"]), ana, "{found}");
        assert_eq!(found["items"][0]["matched"], "phone");

        let a = agent
            .post(
                &format!("/api/customers/{ana}/merge"),
                &json!({"from": other}),
            )
            .await;
        assert_eq!(a.status, 200, "merge: {}", a.text);
        assert_eq!(id_of(&a.body["customer_id"]), ana);
        assert_eq!(id_of(&a.body["from"]), other);
        assert_eq!(a.body["contacts"], json!([mail]), "{}", a.text);
        assert_eq!(a.body["identities"].as_array().unwrap().len(), 1);

        let check = |s: Server| async move {
            let admin = o.client(&s, Role::Admin);
            let agent = o.client(&s, Role::Agent);
            // The one merged away says where it went.
            let gone = admin.get(&format!("/api/customers/{other}")).await;
            assert_eq!(gone.status, 404, "{}", gone.text);
            gone.assert_error_shape("merged customer");
            assert_eq!(id_of(&gone.body["error"]["details"]["merged_into"]), ana);
            // The one kept holds both identities and both contacts.
            let c = customer(&admin, ana).await;
            let kinds: Vec<&str> = c["identities"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["kind"].as_str().unwrap())
                .collect();
            assert_eq!(kinds.len(), 2, "{c}");
            assert!(kinds.contains(&"phone") && kinds.contains(&"email"), "{c}");
            let mut cs = ids(&c, "contacts");
            cs.sort();
            let mut want = vec![sms, mail];
            want.sort();
            assert_eq!(cs, want, "{c}");
            // The contact still open follows at once, in memory as in the rows.
            let live = admin.ok(&format!("/api/contacts/{mail}")).await;
            assert_eq!(id_of(&live["customer_id"]), ana, "{live}");
            // The history spans both channels, newest first, with first and last lines.
            let h = agent.ok(&format!("/api/customers/{ana}/history")).await;
            let items = h["items"].as_array().unwrap();
            assert_eq!(items.len(), 2, "{h}");
            assert_eq!(items[0]["contact"]["channel"], "email", "{h}");
            assert_eq!(items[1]["contact"]["channel"], "sms", "{h}");
            assert_eq!(items[1]["first"]["text"], "My parcel is late");
            assert_eq!(items[1]["first"]["from"], "customer");
            assert_eq!(
                items[0]["first"]["text"],
                "Writing again by email about the parcel"
            );
            s
        };
        let s = check(s).await;
        let clock = s.clock.clone();
        let s = Server::start_with(s.halt().await, clock).await;
        let s = check(s).await;

        // The identity index answers with the customer kept: another email from the
        // address lands in the open email contact, now the merged customer's.
        let again = inbound(
            &s,
            o,
            "email",
            "email",
            EMAIL,
            "<m2@example.com>",
            "Any news?",
        )
        .await;
        assert_eq!(again["opened"], false, "{again}");
        assert_eq!(id_of(&again["contact"]["id"]), mail);
        assert_eq!(id_of(&again["contact"]["customer_id"]), ana);
        let text = inbound(&s, o, "sms", "phone", PHONE, "SM2", "Still waiting").await;
        assert_eq!(id_of(&text["contact"]["customer_id"]), ana);
        // A new contact on a third channel is opened for the same customer.
        let wa = inbound(
            &s,
            o,
            "whatsapp",
            "phone",
            PHONE,
            "wamid.1",
            "Hi on WhatsApp",
        )
        .await;
        assert_eq!(wa["opened"], true);
        assert_eq!(id_of(&wa["contact"]["customer_id"]), ana);

        // Audited, with the actor, and the chain still whole.
        let admin = o.client(&s, Role::Admin);
        let merged = events_of(&admin, "customer.merged").await;
        assert_eq!(merged.len(), 1, "{merged:?}");
        assert_eq!(id_of(&merged[0]["data"]["customer_id"]), ana);
        assert_eq!(id_of(&merged[0]["data"]["from"]), other);
        assert_eq!(
            id_of(&merged[0]["data"]["actor"]["user_id"]),
            o.user(Role::Agent)
        );
        let chain = store::chain::verify(s.state.store(), o.id).await.unwrap();
        assert_eq!(chain.broken_at, None, "{chain:?}");
        s
    })
    .await;
}

#[tokio::test]
async fn a_merge_is_refused_into_itself_across_organisations_and_when_gone() {
    each_backend(|s| async move {
        let o = common::seed_org(&s, "refuse").await;
        let f = common::seed_org(&s, "foreign").await;
        let (_, ana, _, other) = two_customers(&s, &o).await;
        let admin = o.client(&s, Role::Admin);
        let merge = |c: &Client, into: Uuid, from: Uuid| {
            let c = c.clone();
            async move {
                c.post(
                    &format!("/api/customers/{into}/merge"),
                    &json!({"from": from}),
                )
                .await
            }
        };

        let a = merge(&admin, ana, ana).await;
        assert_eq!(a.status, 422, "{}", a.text);
        a.assert_error_shape("self merge");
        assert!(
            a.body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("from:")
        );

        // Another organisation's customer, either way round, is not found.
        let theirs = inbound(&s, &f, "sms", "phone", "+15550109999", "SMF", "Hello").await;
        let theirs = id_of(&theirs["contact"]["customer_id"]);
        let a = merge(&admin, ana, theirs).await;
        assert_eq!(a.status, 404, "{}", a.text);
        let foreign = f.client(&s, Role::Admin);
        for path in [
            format!("/api/customers/{ana}"),
            format!("/api/customers/{ana}/history"),
        ] {
            let a = foreign.get(&path).await;
            assert_eq!(a.status, 404, "{path}: {}", a.text);
        }
        let a = merge(&foreign, ana, theirs).await;
        assert_eq!(a.status, 404, "{}", a.text);
        let a = merge(&foreign, theirs, ana).await;
        assert_eq!(a.status, 404, "{}", a.text);
        let a = foreign
            .post(
                &format!("/api/customers/{ana}/split"),
                &json!({"contacts": []}),
            )
            .await;
        assert_eq!(a.status, 404, "{}", a.text);
        // The foreign search never finds this organisation's customers (only its own
        // Ana Lima).
        let found = foreign.ok(&format!("/api/customers?q={EMAIL}")).await;
        assert_eq!(found["items"], json!([]), "{found}");
        let found = foreign.ok("/api/customers?q=Ana").await;
        let hits: Vec<Uuid> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| id_of(&h["id"]))
            .collect();
        assert_eq!(hits, vec![theirs], "{found}");

        // An analyst may not merge; an agent without a contact of either may not.
        let a = merge(&o.client(&s, Role::Analyst), ana, other).await;
        assert_eq!(a.status, 403, "{}", a.text);
        let stranger = inbound(
            &s,
            &o,
            "messenger",
            "messenger_psid",
            "psid-77",
            "mid.1",
            "Hi",
        )
        .await;
        let stranger = id_of(&stranger["contact"]["customer_id"]);
        let lonely = server::seed::create_user(
            &s.state,
            o.id,
            "lonely@refuse.example",
            "Lonely",
            Role::Agent,
            common::PASSWORD,
        )
        .await
        .unwrap();
        let (token, _) = server::seed::create_api_token(
            &s.state,
            o.id,
            lonely.id,
            "lonely",
            vec!["read".into(), "write".into()],
        )
        .await
        .unwrap();
        let lonely = Client::new(&s.base, Some(token));
        let a = merge(&lonely, ana, stranger).await;
        assert_eq!(a.status, 403, "{}", a.text);

        // Merged once: the one merged away cannot be merged again, nor merged into.
        let a = merge(&admin, ana, other).await;
        assert_eq!(a.status, 200, "{}", a.text);
        let a = merge(&admin, ana, other).await;
        assert_eq!(a.status, 404, "{}", a.text);
        assert_eq!(id_of(&a.body["error"]["details"]["merged_into"]), ana);
        let a = merge(&admin, other, stranger).await;
        assert_eq!(a.status, 404, "{}", a.text);

        // A chain of merges: the first one merged away names the last.
        let a = merge(&admin, stranger, ana).await;
        assert_eq!(a.status, 200, "{}", a.text);
        let gone = admin.get(&format!("/api/customers/{other}")).await;
        assert_eq!(
            id_of(&gone.body["error"]["details"]["merged_into"]),
            stranger
        );

        // An erased customer is gone for merges too.
        let erased = inbound(&s, &o, "sms", "phone", "+15550108888", "SME", "Bye").await;
        let (erased_contact, erased) = (
            id_of(&erased["contact"]["id"]),
            id_of(&erased["contact"]["customer_id"]),
        );
        accept_all(&s, &o).await;
        let agent = o.client(&s, Role::Agent);
        for (step, body) in [("end", json!({})), ("wrapup", json!({"code": "resolved"}))] {
            let a = agent
                .post(&format!("/api/contacts/{erased_contact}/{step}"), &body)
                .await;
            assert_eq!(a.status, 200, "{step}: {}", a.text);
        }
        let a = admin
            .post(
                &format!("/api/customers/{erased}/erase"),
                &json!({"reason": "erasure request 12"}),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        let a = merge(&admin, stranger, erased).await;
        assert_eq!(a.status, 404, "{}", a.text);
        let a = merge(&admin, erased, stranger).await;
        assert_eq!(a.status, 404, "{}", a.text);
        s
    })
    .await;
}

#[tokio::test]
async fn a_split_undoes_a_merge_and_the_index_follows() {
    each_backend(|s| async move {
        let o = common::seed_org(&s, "split").await;
        let o = &o;
        let (sms, ana, mail, other) = two_customers(&s, o).await;
        let agent = o.client(&s, Role::Agent);
        let a = agent
            .post(
                &format!("/api/customers/{ana}/merge"),
                &json!({"from": other}),
            )
            .await;
        assert_eq!(a.status, 200, "merge: {}", a.text);
        let c = customer(&agent, ana).await;
        let email_identity = c["identities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["kind"] == "email")
            .map(|i| id_of(&i["id"]))
            .expect("the email identity");
        let phone_identity = c["identities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["kind"] == "phone")
            .map(|i| id_of(&i["id"]))
            .expect("the phone identity");
        let path = format!("/api/customers/{ana}/split");

        // Refusals name the field and change nothing.
        for (body, field) in [
            (json!({}), "identities:"),
            (json!({"identities": [], "contacts": []}), "identities:"),
            (json!({"identities": [Uuid::new_v4()]}), "identities:"),
            (json!({"contacts": [Uuid::new_v4()]}), "contacts:"),
            (json!({"contacts": [email_identity]}), "contacts:"),
            (
                json!({"identities": [email_identity, phone_identity], "contacts": [sms, mail]}),
                "identities:",
            ),
        ] {
            let a = agent.post(&path, &body).await;
            assert_eq!(a.status, 422, "{body}: {}", a.text);
            a.assert_error_shape("split");
            let m = a.body["error"]["message"].as_str().unwrap();
            assert!(m.starts_with(field), "{body}: {m}");
        }
        let a = agent
            .post(&path, &json!({"contacts": [], "other": 1}))
            .await;
        assert!(a.status == 400 || a.status == 422, "{}", a.text);
        assert_eq!(
            customer(&agent, ana).await["identities"]
                .as_array()
                .unwrap()
                .len(),
            2
        );

        let a = agent
            .post(
                &path,
                &json!({"identities": [email_identity], "contacts": [mail], "name": "A. Lima"}),
            )
            .await;
        assert_eq!(a.status, 201, "split: {}", a.text);
        let new = id_of(&a.body["customer_id"]);
        assert_ne!(new, ana);
        assert_ne!(new, other, "a split makes a new customer");

        let check = |s: Server| async move {
            let admin = o.client(&s, Role::Admin);
            let n = customer(&admin, new).await;
            assert_eq!(n["customer"]["name"], "A. Lima");
            assert_eq!(n["identities"].as_array().unwrap().len(), 1, "{n}");
            assert_eq!(n["identities"][0]["kind"], "email");
            assert_eq!(ids(&n, "contacts"), vec![mail]);
            let k = customer(&admin, ana).await;
            assert_eq!(k["identities"].as_array().unwrap().len(), 1, "{k}");
            assert_eq!(k["identities"][0]["kind"], "phone");
            assert_eq!(ids(&k, "contacts"), vec![sms]);
            let live = admin.ok(&format!("/api/contacts/{mail}")).await;
            assert_eq!(id_of(&live["customer_id"]), new);
            assert_eq!(live["customer_name"], "A. Lima");
            s
        };
        let s = check(s).await;
        let clock = s.clock.clone();
        let s = Server::start_with(s.halt().await, clock).await;
        let s = check(s).await;

        // The index follows: the email lands on the new customer, the phone on the old.
        let m = inbound(
            &s,
            o,
            "email",
            "email",
            EMAIL,
            "<m3@example.com>",
            "Me again",
        )
        .await;
        assert_eq!(id_of(&m["contact"]["customer_id"]), new);
        assert_eq!(id_of(&m["contact"]["id"]), mail);
        let t = inbound(&s, o, "sms", "phone", PHONE, "SM3", "Me too").await;
        assert_eq!(id_of(&t["contact"]["customer_id"]), ana);

        let admin = o.client(&s, Role::Admin);
        let split = events_of(&admin, "customer.split").await;
        assert_eq!(split.len(), 1, "{split:?}");
        assert_eq!(id_of(&split[0]["data"]["customer_id"]), ana);
        assert_eq!(id_of(&split[0]["data"]["into"]), new);
        assert_eq!(split[0]["data"]["identities"], json!([email_identity]));
        assert_eq!(split[0]["data"]["contacts"], json!([mail]));
        // Events carry ids, never the email or the name.
        assert!(!split[0].to_string().contains("Lima"));
        assert!(!split[0].to_string().contains(EMAIL));
        s
    })
    .await;
}

#[tokio::test]
async fn supervisors_find_customers_by_part_of_a_name_and_agents_only_their_own() {
    each_backend(|s| async move {
        let o = common::seed_org(&s, "search").await;
        let (_, ana, _, _) = two_customers(&s, &o).await;
        let solo = common::create_contact(&s, &o, "Bruno Costa").await;
        let bruno = id_of(&solo["customer_id"]);
        let sup = o.client(&s, Role::Supervisor);
        let found = sup.ok("/api/customers?q=bruno").await;
        let hits: Vec<Uuid> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| id_of(&h["id"]))
            .collect();
        assert_eq!(hits, vec![bruno], "{found}");
        assert_eq!(found["items"][0]["matched"], "name");
        let found = sup.ok("/api/customers?q=ana%20lima").await;
        assert_eq!(found["items"].as_array().unwrap().len(), 2, "{found}");

        // Agents: by name only among the customers of their own contacts.
        let agent = o.client(&s, Role::Agent);
        let found = agent.ok("/api/customers?q=ana").await;
        let hits: Vec<Uuid> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| id_of(&h["id"]))
            .collect();
        assert!(hits.contains(&ana), "{found}");
        // Empty: the customers of the agent's open contacts.
        let open = agent.ok("/api/customers").await;
        assert!(open["items"].as_array().unwrap().len() >= 2, "{open}");
        let a = o
            .client(&s, Role::Analyst)
            .get("/api/customers?q=ana")
            .await;
        assert_eq!(a.status, 403);
        let long = "x".repeat(201);
        let a = sup.get(&format!("/api/customers?q={long}")).await;
        assert_eq!(a.status, 422, "{}", a.text);
        s
    })
    .await;
}

#[tokio::test]
async fn an_agent_texts_a_whatsapp_customer_where_allowed() {
    each_backend(|s| async move {
        let o = common::seed_org(&s, "reach").await;
        let wa = inbound(
            &s,
            &o,
            "whatsapp",
            "phone",
            PHONE,
            "wamid.9",
            "Hi, about my order",
        )
        .await;
        accept_all(&s, &o).await;
        let (wa, ana) = (
            id_of(&wa["contact"]["id"]),
            id_of(&wa["contact"]["customer_id"]),
        );
        let agent = o.client(&s, Role::Agent);
        let path = format!("/api/contacts/{wa}/reach");
        let refused = |body: Value, want: &'static str| {
            let agent = agent.clone();
            let path = path.clone();
            async move {
                let a = agent.post(&path, &body).await;
                assert_eq!(a.status, 422, "{body}: {}", a.text);
                a.assert_error_shape("reach");
                let m = a.body["error"]["message"].as_str().unwrap().to_string();
                assert!(m.starts_with("channel:") && m.contains(want), "{body}: {m}");
            }
        };
        // Not set up yet; no email; not a channel opened from here; this one already.
        refused(json!({"channel": "sms", "text": "Hello"}), "not set up").await;
        refused(
            json!({"channel": "email", "text": "Hello"}),
            "no email address",
        )
        .await;
        refused(json!({"channel": "chat", "text": "Hello"}), "not opened").await;
        refused(json!({"channel": "whatsapp", "text": "Hello"}), "already").await;
        let admin = o.client(&s, Role::Admin);
        let put = admin
            .put(
                "/api/channel-endpoints/sms",
                &json!({"webhook_url": "http://127.0.0.1:9/texts"}),
            )
            .await;
        assert_eq!(put.status, 200, "{}", put.text);
        // Only the contact's agent.
        let a = admin
            .post(&path, &json!({"channel": "sms", "text": "Hello"}))
            .await;
        assert_eq!(a.status, 403, "{}", a.text);

        let a = agent
            .post(
                &path,
                &json!({"channel": "sms", "text": "Texting you the tracking link"}),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
        let sms = id_of(&a.body["contact"]["id"]);
        assert_eq!(a.body["contact"]["channel"], "sms");
        assert_eq!(a.body["contact"]["status"], "active");
        assert_eq!(id_of(&a.body["contact"]["customer_id"]), ana);
        assert_eq!(id_of(&a.body["contact"]["agent_id"]), o.user(Role::Agent));
        assert_eq!(a.body["message"]["text"], "Texting you the tracking link");
        // Through the outbox, to the customer's number.
        let m = id_of(&a.body["message"]["id"]);
        let d = s.state.store().get_delivery(o.id, m).await.unwrap();
        assert!(d.is_some(), "the text is in the outbox");
        // Both contacts are the customer's history.
        let h = agent.ok(&format!("/api/customers/{ana}/history")).await;
        let chans: Vec<&str> = h["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["contact"]["channel"].as_str().unwrap())
            .collect();
        assert_eq!(chans, vec!["sms", "whatsapp"], "{h}");
        assert_eq!(id_of(&h["items"][0]["contact"]["id"]), sms);

        // The number texted STOP: no more texts.
        let now = s.state.now();
        let stop = store::Object {
            id: store::new_id(),
            org_id: o.id,
            kind: store::ObjectKind::SmsOptOut,
            name: s
                .state
                .org_keys(o.id)
                .await
                .unwrap()
                .blind("sms_opt_out", PHONE),
            data: json!({"message_sid": "SMstop"}),
            created_at: now,
            updated_at: now,
        };
        s.state
            .write(vec![store::Change::PutObject(stop)], vec![])
            .await
            .unwrap();
        let wa2 = inbound(&s, &o, "whatsapp", "phone", PHONE, "wamid.10", "Thanks").await;
        assert_eq!(id_of(&wa2["contact"]["id"]), wa);
        refused(json!({"channel": "sms", "text": "One more"}), "STOP").await;
        s
    })
    .await;
}
