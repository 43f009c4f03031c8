//! `Idempotency-Key` on creates, cursor pagination, and writes that race a close.

use std::collections::HashSet;

use serde_json::{Value, json};
use store::{ContactStatus, Role};
use uuid::Uuid;

use crate::common::{self, Client, Server};

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

async fn count(c: &Client, path: &str) -> usize {
    common::walk(c, path, 500).await.0.len()
}

async fn idempotency(s: Server) -> Server {
    let o = common::seed_org(&s, "acme").await;
    let admin = o.client(&s, Role::Admin);
    let supervisor = o.client(&s, Role::Supervisor);

    // Contacts: a retry with the same key and body gets the first answer; one contact.
    let body = json!({"channel": "chat", "queue_id": o.queue, "customer": {"name": "Rita Retry", "email": "rita@example.com"}, "text": "Where is my order?"});
    let before = count(&admin, "/api/contacts").await;
    let first = admin
        .send(
            "POST",
            "/api/contacts",
            Some(&body),
            &[("idempotency-key", "order-42")],
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = admin
        .send(
            "POST",
            "/api/contacts",
            Some(&body),
            &[("idempotency-key", "order-42")],
        )
        .await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(
        again.body["id"], first.body["id"],
        "the retry answers the first contact"
    );
    assert_eq!(
        count(&admin, "/api/contacts").await,
        before + 1,
        "one contact for two calls"
    );
    // The same key with another body is refused, and creates nothing.
    let other =
        json!({"channel": "chat", "queue_id": o.queue, "customer": {"name": "Someone Else"}});
    let clash = admin
        .send(
            "POST",
            "/api/contacts",
            Some(&other),
            &[("idempotency-key", "order-42")],
        )
        .await;
    assert_eq!(clash.status, 422, "{}", clash.text);
    clash.assert_error_shape("key reuse");
    assert_eq!(count(&admin, "/api/contacts").await, before + 1);
    // Keys are per user: another user's same key is another request.
    let theirs = supervisor
        .send(
            "POST",
            "/api/contacts",
            Some(&body),
            &[("idempotency-key", "order-42")],
        )
        .await;
    assert_eq!(theirs.status, 201);
    assert_ne!(theirs.body["id"], first.body["id"]);
    // Without a key every call creates.
    let a = admin.post("/api/contacts", &body).await;
    let b = admin.post("/api/contacts", &body).await;
    assert_ne!(a.body["id"], b.body["id"]);
    assert_eq!(count(&admin, "/api/contacts").await, before + 4);
    // A key that is too long is refused.
    let long = "k".repeat(201);
    let r = admin
        .send(
            "POST",
            "/api/contacts",
            Some(&body),
            &[("idempotency-key", &long)],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(count(&admin, "/api/contacts").await, before + 4);

    // Retries racing the first call (a client that timed out and retried at once): one
    // contact, every answer the same.
    let racing = json!({"channel": "chat", "queue_id": o.queue, "customer": {"name": "Rex Race"}});
    let calls = (0..8).map(|_| {
        let admin = admin.clone();
        let racing = racing.clone();
        tokio::spawn(async move {
            admin
                .send(
                    "POST",
                    "/api/contacts",
                    Some(&racing),
                    &[("idempotency-key", "race-1")],
                )
                .await
        })
    });
    let answers: Vec<_> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let mut seen = HashSet::new();
    for a in &answers {
        assert_eq!(a.status, 201, "{}", a.text);
        seen.insert(a.body["id"].as_str().unwrap().to_string());
    }
    assert_eq!(seen.len(), 1, "racing retries answer one contact: {seen:?}");
    assert_eq!(
        count(&admin, "/api/contacts").await,
        before + 5,
        "racing retries create one contact"
    );

    // Configuration objects and users honour it too.
    let q = json!({"name": "Returns"});
    let a = admin
        .send(
            "POST",
            "/api/skills",
            Some(&q),
            &[("idempotency-key", "skill-1")],
        )
        .await;
    let b = admin
        .send(
            "POST",
            "/api/skills",
            Some(&q),
            &[("idempotency-key", "skill-1")],
        )
        .await;
    assert_eq!((a.status, b.status), (201, 201), "{} {}", a.text, b.text);
    assert_eq!(a.body, b.body);
    let c = admin
        .send(
            "POST",
            "/api/skills",
            Some(&json!({"name": "Refunds"})),
            &[("idempotency-key", "skill-1")],
        )
        .await;
    assert_eq!(c.status, 422);
    let skills = common::walk(&admin, "/api/skills", 500).await.0;
    assert_eq!(skills.iter().filter(|s| s["name"] == "Returns").count(), 1);
    assert!(skills.iter().all(|s| s["name"] != "Refunds"));
    let u = json!({"email": "nina@acme.example", "name": "Nina New", "role": "agent", "password": common::PASSWORD});
    let a = admin
        .send(
            "POST",
            "/api/users",
            Some(&u),
            &[("idempotency-key", "user-1")],
        )
        .await;
    let b = admin
        .send(
            "POST",
            "/api/users",
            Some(&u),
            &[("idempotency-key", "user-1")],
        )
        .await;
    assert_eq!((a.status, b.status), (201, 201), "{} {}", a.text, b.text);
    assert_eq!(a.body["id"], b.body["id"]);
    // The password is part of the request: another one is another request.
    let mut u2 = u.clone();
    u2["password"] = json!("another-password-123");
    let c = admin
        .send(
            "POST",
            "/api/users",
            Some(&u2),
            &[("idempotency-key", "user-1")],
        )
        .await;
    assert_eq!(c.status, 422, "{}", c.text);
    s
}

async fn pagination(s: Server) -> Server {
    let o = common::seed_org(&s, "acme").await;
    let admin = o.client(&s, Role::Admin);
    let mut made = HashSet::new();
    for i in 0..23 {
        let a = admin
            .post("/api/skills", &json!({"name": format!("Skill {i:02}")}))
            .await;
        assert_eq!(a.status, 201);
        made.insert(a.body["id"].as_str().unwrap().to_string());
    }
    for i in 0..11 {
        common::create_contact(&s, &o, &format!("Page {i}")).await;
    }
    for i in 0..7 {
        server::seed::create_user(
            &s.state,
            o.id,
            &format!("p{i}@acme.example"),
            "Pat",
            Role::Agent,
            common::PASSWORD,
        )
        .await
        .unwrap();
    }
    for (path, limit, at_least) in [
        ("/api/skills", 5, 23),
        ("/api/skills", 1, 23),
        ("/api/contacts", 4, 11),
        ("/api/contacts?status=waiting", 3, 1),
        ("/api/users", 2, 11),
    ] {
        let (items, pages) = common::walk(&admin, path, limit).await;
        let got = ids(&items);
        let unique: HashSet<&String> = got.iter().collect();
        assert_eq!(
            unique.len(),
            got.len(),
            "{path} limit {limit}: duplicates in {got:?}"
        );
        assert!(got.len() >= at_least, "{path}: {} items", got.len());
        // The same items, in the same order, as one big page.
        let (all, one) = common::walk(&admin, path, 500).await;
        assert_eq!(one, 1);
        assert_eq!(
            got,
            ids(&all),
            "{path} limit {limit}: walking pages gives the whole list"
        );
        assert!(
            pages >= got.len().div_ceil(limit as usize),
            "{path}: {pages} pages"
        );
    }
    let skills: HashSet<String> = ids(&common::walk(&admin, "/api/skills", 7).await.0)
        .into_iter()
        .collect();
    assert!(made.is_subset(&skills), "every skill made is listed");
    // A cursor of another list or organisation does not leak or crash: a page or a 4xx.
    let other = common::seed_org(&s, "globex").await;
    let theirs = other.client(&s, Role::Admin);
    let first_skill = made.iter().next().unwrap();
    let a = theirs
        .get(&format!("/api/skills?cursor={first_skill}&limit=5"))
        .await;
    assert!(
        a.status == 200 || (400..500).contains(&a.status),
        "{}",
        a.text
    );
    if a.status == 200 {
        assert!(
            a.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| !made.contains(i["id"].as_str().unwrap()))
        );
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_on_creates() {
    common::each_backend(idempotency).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursor_pagination_walks_every_item_once() {
    common::each_backend(pagination).await;
}

/// A contact's data patched while its close is on the way to the store (a call's
/// flow record lands as the caller hangs up): the stored row ends closed and holds
/// the patch. A patch that read the row before the close committed and wrote it back
/// left closed contacts `waiting` in the store for good.
async fn patch_racing_close(s: Server) -> Server {
    let o = common::seed_org(&s, "acme").await;
    // Nobody available: contacts wait, and ending one closes it at once.
    let away = o
        .client(&s, Role::Agent)
        .put(
            "/api/agent/state",
            &json!({"state": "break", "reason": "lunch"}),
        )
        .await;
    assert_eq!(away.status, 200, "{}", away.text);
    for i in 0..25 {
        let c = common::create_contact(&s, &o, "Cleo Close").await;
        let id: Uuid = c["id"].as_str().unwrap().parse().unwrap();
        let patch = json!({"note": i}).as_object().unwrap().clone();
        let (ended, patched) = tokio::join!(
            server::contacts::end_contact(&s.state, o.id, id, server::events::Actor::Customer),
            async {
                tokio::task::yield_now().await;
                server::contacts::update_contact_data(&s.state, o.id, id, patch).await
            }
        );
        ended.unwrap();
        patched.unwrap();
        let stored = s.state.contact(o.id, id).await.unwrap().unwrap();
        assert_eq!(stored.status, ContactStatus::Closed, "round {i}");
        assert_eq!(stored.data["note"], json!(i), "round {i}");
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_racing_a_close_keeps_it_closed() {
    common::each_backend(patch_racing_close).await;
}
