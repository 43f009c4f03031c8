//! The knowledge base over HTTP: articles written, published and searched by staff,
//! each change logged with its actor; editors besides admins only when authorised;
//! another organisation can neither read nor edit them; imports; and the public help
//! center's pages (published articles only, sanitised, strict CSP, votes).

use serde_json::{Value, json};
use store::Role;

use crate::common::{self, Client, Server};

async fn create(c: &Client, body: Value) -> Value {
    let a = c.post("/api/kb/articles", &body).await;
    assert_eq!(a.status, 201, "create: {}", a.text);
    a.body
}

async fn kb(s: Server) -> Server {
    let o = common::seed_org(&s, "kb-one").await;
    let other = common::seed_org(&s, "kb-two").await;
    let admin = o.client(&s, Role::Admin);
    let agent = o.client(&s, Role::Agent);

    // A draft: staff see it, search and the help center do not.
    let a = create(
        &admin,
        json!({"title": "Returning a parcel", "body": "Print the **returns label** and drop the parcel at a post office.", "category": "Returns"}),
    )
    .await;
    let id = a["id"].as_str().unwrap().to_string();
    assert_eq!(a["slug"], "returning-a-parcel");
    assert_eq!(a["revision"], 1);
    assert!(a["published"].is_null());
    let list = agent.ok("/api/kb/articles").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let found = agent.ok("/api/kb/search?q=return+parcel").await;
    assert!(found["hits"].as_array().unwrap().is_empty(), "{found}");

    // Bad input changes nothing.
    let bad = admin.post("/api/kb/articles", &json!({"title": ""})).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    bad.assert_error_shape("empty title");
    let taken = admin
        .post(
            "/api/kb/articles",
            &json!({"title": "x", "slug": "returning-a-parcel"}),
        )
        .await;
    assert_eq!(taken.status, 409, "{}", taken.text);
    assert_eq!(
        agent.ok("/api/kb/articles").await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Agents read but do not write, until an admin authorises them.
    let refused = agent
        .put(&format!("/api/kb/articles/{id}"), &json!({"title": "Mine"}))
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    let ok = admin
        .put(
            "/api/kb/settings",
            &json!({"editors": [o.user(Role::Agent)]}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let saved = agent
        .put(
            &format!("/api/kb/articles/{id}"),
            &json!({"title": "Returning a parcel", "body": "Print the returns label, pack the parcel and drop it at a post office or locker.", "category": "Returns", "base_revision": 1}),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    assert_eq!(saved.body["revision"], 2);
    assert_eq!(saved.body["edited_by"], o.user(Role::Agent).to_string());
    // An edit from a stale revision would lose the agent's: refused.
    let stale = admin
        .put(
            &format!("/api/kb/articles/{id}"),
            &json!({"title": "Old", "base_revision": 1}),
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.text);

    // Published: searchable, and the bot would answer from it.
    let p = agent
        .post(&format!("/api/kb/articles/{id}/publish"), &json!({}))
        .await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.body["published_revision"], 2);
    assert_eq!(p.body["unpublished_changes"], false);
    let found = agent.ok("/api/kb/search?q=how+do+I+return+a+parcel").await;
    assert_eq!(found["hits"][0]["slug"], "returning-a-parcel", "{found}");
    assert_eq!(found["bot"]["decision"], "answer", "{found}");
    let human = agent.ok("/api/kb/search?q=I+want+a+human").await;
    assert_eq!(human["bot"]["decision"], "handover");
    assert_eq!(human["bot"]["reason"], "asked_for_person");

    // Who changed what: the log has each change with its actor.
    let events = admin.ok("/api/events?limit=500").await;
    let evs = events["items"].as_array().unwrap();
    let published = evs
        .iter()
        .find(|e| e["kind"] == "kb.published")
        .expect("kb.published logged");
    assert_eq!(published["data"]["article_id"], id.as_str());
    assert_eq!(
        published["data"]["actor"]["user_id"],
        o.user(Role::Agent).to_string()
    );
    assert!(
        evs.iter()
            .filter(|e| e["kind"] == "object.put" && e["data"]["kind"] == "kb_article")
            .count()
            >= 3
    );

    // Another organisation neither reads nor edits it.
    let foreign = other.client(&s, Role::Admin);
    for (m, path) in [
        ("GET", format!("/api/kb/articles/{id}")),
        ("PUT", format!("/api/kb/articles/{id}")),
        ("DELETE", format!("/api/kb/articles/{id}")),
        ("POST", format!("/api/kb/articles/{id}/publish")),
    ] {
        let a = foreign
            .send(m, &path, Some(&json!({"title": "Hijack"})), &[])
            .await;
        assert_eq!(a.status, 404, "{m} {path}: {}", a.text);
    }
    assert!(
        foreign.ok("/api/kb/articles").await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let theirs = foreign.ok("/api/kb/search?q=return+parcel").await;
    assert!(theirs["hits"].as_array().unwrap().is_empty());

    // The help center shows the published version, sanitised, with a strict policy.
    let anon = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = anon
        .get(format!("{}/help/kb-one/a/returning-a-parcel", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(html.contains("<h1>Returning a parcel</h1>"), "{html}");
    assert!(
        html.contains("data-org=\"kb-one\""),
        "the chat widget is on the page"
    );
    assert!(html.contains("Was this helpful?"));
    let home = anon
        .get(format!("{}/help/kb-one/", s.base))
        .send()
        .await
        .unwrap();
    assert!(
        home.text()
            .await
            .unwrap()
            .contains("/help/kb-one/a/returning-a-parcel")
    );
    let results = anon
        .get(format!("{}/help/kb-one/search?q=parcel+locker", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(results.contains("1 article found"), "{results}");
    // Another organisation's help center does not show it.
    let there = anon
        .get(format!("{}/help/kb-two/a/returning-a-parcel", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(there.status(), 404);

    // A script in an article is text on the page, not a script.
    let x = create(
        &admin,
        json!({"title": "Tricky", "body": "<script>alert(1)</script>\n\n[x](javascript:alert(1))", "publish": true}),
    )
    .await;
    let html = anon
        .get(format!(
            "{}/help/kb-one/a/{}",
            s.base,
            x["slug"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(!html.contains("href=\"javascript:"), "{html}");
    assert!(html.contains("<a href=\"#\">x</a>"), "{html}");

    // Votes count.
    let v = anon
        .post(format!("{}/help/kb-one/a/returning-a-parcel/vote", s.base))
        .form(&[("helpful", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(v.status(), 303);
    let bad = anon
        .post(format!("{}/help/kb-one/a/returning-a-parcel/vote", s.base))
        .form(&[("helpful", "maybe")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let read = admin.ok(&format!("/api/kb/articles/{id}")).await;
    assert_eq!(read["votes"]["helpful"], 1, "{read}");
    assert_eq!(read["votes"]["not_helpful"], 0);

    // Withdrawn: gone from search and the help center, the draft kept.
    let u = admin
        .post(&format!("/api/kb/articles/{id}/unpublish"), &json!({}))
        .await;
    assert_eq!(u.status, 200, "{}", u.text);
    assert!(
        agent.ok("/api/kb/search?q=parcel+locker").await["hits"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let gone = anon
        .get(format!("{}/help/kb-one/a/returning-a-parcel", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);

    // Imports: CSV rows and an HTML page become drafts; a bad row imports nothing.
    let csv = "title,body,category\nGift cards,Valid for two years.,Payments\nVouchers,One per order.,Payments\n";
    let i = admin
        .post(
            "/api/kb/import",
            &json!({"format": "csv", "content": csv, "publish": true}),
        )
        .await;
    assert_eq!(i.status, 201, "{}", i.text);
    assert_eq!(i.body["items"].as_array().unwrap().len(), 2);
    let h = admin
        .post(
            "/api/kb/import",
            &json!({"format": "html", "content": "<h1>Store hours</h1><p>9 to 5.</p>", "category": "Shops"}),
        )
        .await;
    assert_eq!(h.status, 201, "{}", h.text);
    assert_eq!(h.body["items"][0]["draft"]["body"], "9 to 5.");
    let before = admin.ok("/api/kb/articles").await["items"]
        .as_array()
        .unwrap()
        .len();
    let bad = admin
        .post(
            "/api/kb/import",
            &json!({"format": "csv", "content": "title,body\nOk,x\n,empty title\n"}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(
        admin.ok("/api/kb/articles").await["items"]
            .as_array()
            .unwrap()
            .len(),
        before
    );

    // Deleted: gone for staff too.
    let d = admin
        .send("DELETE", &format!("/api/kb/articles/{id}"), None, &[])
        .await;
    assert_eq!(d.status, 204, "{}", d.text);
    assert_eq!(
        admin.get(&format!("/api/kb/articles/{id}")).await.status,
        404
    );
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn knowledge_base_and_help_center() {
    common::each_backend(kb).await;
}

/// The demo's knowledge base is seeded and answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_articles_are_searchable() {
    common::each_backend(|s| async move {
        let o = common::seed_org(&s, "kb-demo").await;
        let n = server::knowledge::seed_demo(&s.state, o.id).await.unwrap();
        assert!(n >= 30);
        assert_eq!(
            server::knowledge::seed_demo(&s.state, o.id).await.unwrap(),
            0,
            "seeded once"
        );
        let found = o
            .client(&s, Role::Agent)
            .ok("/api/kb/search?q=when+will+I+get+my+refund")
            .await;
        assert_eq!(found["hits"][0]["slug"], "refund-time", "{found}");
        assert_eq!(found["bot"]["decision"], "answer");
        // The widget's search before a chat: public, three at most, with the page.
        let http = reqwest::Client::new();
        let w = common::answer(http.get(format!(
            "{}/api/widget/kb-demo/search?q=when+will+I+get+my+refund",
            s.base
        )))
        .await;
        assert_eq!(w.status, 200, "{}", w.text);
        let items = w.body["items"].as_array().unwrap();
        assert!(!items.is_empty() && items.len() <= 3, "{}", w.text);
        assert_eq!(items[0]["url"], "/help/kb-demo/a/refund-time");
        assert!(!items[0]["excerpt"].as_str().unwrap().is_empty());
        for (path, status) in [
            ("/api/widget/kb-demo/search?q=", 422),
            (
                &*format!("/api/widget/kb-demo/search?q={}", "a".repeat(301)),
                422,
            ),
            ("/api/widget/nobody-here/search?q=refund", 404),
        ] {
            let r = common::answer(http.get(format!("{}{path}", s.base))).await;
            assert_eq!(r.status, status, "{path}: {}", r.text);
        }
        s
    })
    .await;
}

/// Agent assist: the agent of a conversation gets the articles that fit what the
/// customer asks, with a passage and a link; another agent gets 403; a flag on a wrong
/// article and on a question with no article reach the editors' list, the note's
/// personal data masked; bad flags change nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_get_suggested_articles_and_flag_what_is_wrong_or_missing() {
    use crate::routing_live::{accept, agent, offered_to, quiet_org};
    common::each_backend(|s| async move {
        let o = quiet_org(&s, "kb-assist").await;
        server::knowledge::seed_demo(&s.state, o.id).await.unwrap();
        let ana = agent(&s, &o, Role::Agent, json!({"skills": {}, "capacity": 3})).await;
        let admin = o.client(&s, Role::Admin);
        let a = admin
            .post(
                "/api/contacts",
                &json!({"channel": "chat", "queue_id": o.queue, "customer": {"name": "Robin"},
                        "text": "Hello, when will I get my refund for the jacket I sent back?"}),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
        let contact = a.body["id"].as_str().unwrap().to_string();
        let cid: uuid::Uuid = contact.parse().unwrap();
        let (offer, _) = offered_to(&ana, cid).await.expect("offered to the agent");
        accept(&ana, offer).await;

        let v = ana.ok(&format!("/api/contacts/{contact}/suggestions")).await;
        let items = v["items"].as_array().unwrap();
        assert!(!items.is_empty() && items.len() <= 3, "{v}");
        assert_eq!(items[0]["slug"], "refund-time", "{v}");
        assert!(items[0]["url"].as_str().unwrap().ends_with("/help/kb-assist/a/refund-time"), "{v}");
        assert!(!items[0]["excerpt"].as_str().unwrap().is_empty());
        // Only the conversation's own agent (and managers).
        let sup = o.client(&s, Role::Supervisor);
        assert_eq!(sup.get(&format!("/api/contacts/{contact}/suggestions")).await.status, 200);
        let analyst = o.client(&s, Role::Analyst);
        assert_eq!(analyst.get(&format!("/api/contacts/{contact}/suggestions")).await.status, 403);
        let other = common::seed_org(&s, "kb-assist-two").await;
        let foreign = other.client(&s, Role::Admin);
        assert_eq!(foreign.get(&format!("/api/contacts/{contact}/suggestions")).await.status, 404);

        // Flags.
        let article = items[0]["article_id"].as_str().unwrap().to_string();
        let wrong = ana
            .post(
                "/api/kb/flags",
                &json!({"article_id": article, "reason": "outdated", "note": "Refunds take 10 days now, call me on +44 7700 900123", "contact_id": contact}),
            )
            .await;
        assert_eq!(wrong.status, 201, "{}", wrong.text);
        let missing = ana
            .post(
                "/api/kb/flags",
                &json!({"reason": "missing", "note": "Can I pay with a gift card and a credit card together?"}),
            )
            .await;
        assert_eq!(missing.status, 201, "{}", missing.text);
        for (bad, status) in [
            (json!({"reason": "missing", "note": ""}), 422),
            (json!({"reason": "wrong"}), 422),
            (json!({"reason": "missing", "article_id": article, "note": "x"}), 422),
            (json!({"reason": "wrong", "article_id": uuid::Uuid::now_v7()}), 404),
            (json!({"reason": "maybe", "note": "x"}), 422),
        ] {
            let r = ana.post("/api/kb/flags", &bad).await;
            assert_eq!(r.status, status, "{bad}: {}", r.text);
        }
        // Another organisation's article is not found.
        let r = foreign
            .post("/api/kb/flags", &json!({"reason": "wrong", "article_id": article}))
            .await;
        assert_eq!(r.status, 404, "{}", r.text);

        // The editors' list: newest first, who, the article's title, the number masked.
        assert_eq!(ana.get("/api/kb/flags").await.status, 403);
        let list = admin.ok("/api/kb/flags").await;
        let flags = list["items"].as_array().unwrap();
        assert_eq!(flags.len(), 2, "{list}");
        assert_eq!(flags[0]["reason"], "missing");
        assert!(flags[0]["article_id"].is_null());
        assert_eq!(flags[1]["reason"], "outdated");
        assert_eq!(flags[1]["article_id"], article.as_str());
        assert!(flags[1]["article_title"].as_str().is_some_and(|t| !t.is_empty()), "{list}");
        assert_eq!(flags[1]["contact_id"], contact.as_str());
        assert_eq!(flags[1]["by"], o.user(Role::Agent).to_string());
        let note = flags[1]["note"].as_str().unwrap();
        assert!(note.starts_with("Refunds take 10 days now") && !note.contains("900123"), "{note}");
        assert!(foreign.ok("/api/kb/flags").await["items"].as_array().unwrap().is_empty());
        s
    })
    .await;
}

/// Semantic re-ranking with a sentence-embedding model from local files (a random one
/// here, in the real format): on, search still answers from the words' best hits, with
/// weight 0 in exactly their order, and the bot still answers; a directory that holds no
/// model leaves it off and search works by words alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn semantic_reranking_reorders_the_best_hits_from_a_local_model() {
    let model = tempfile::tempdir().unwrap();
    let words = [
        "when", "will", "i", "get", "my", "refund", "return", "order", "parcel", "?",
    ];
    kb::semantic::write_random_model(model.path(), &words, (32, 2, 4, 64)).unwrap();
    let q = "/api/kb/search?q=When%20will%20I%20get%20my%20refund%3F&limit=10";
    let mut orders = Vec::new();
    for (dir, weight) in [
        (String::new(), 0.5),
        (model.path().display().to_string(), 0.0),
        (model.path().display().to_string(), 1.0),
        ("/nonexistent/model".to_string(), 0.5),
    ] {
        let on = !dir.is_empty() && !dir.starts_with("/nonexistent");
        let s = Server::start_sqlite_with(|c| {
            c.kb_model_dir = dir.clone();
            c.kb_rerank_weight = weight;
        })
        .await;
        let o = common::seed_org(&s, "kb-sem").await;
        server::knowledge::seed_demo(&s.state, o.id).await.unwrap();
        let r = o.client(&s, Role::Agent).ok(q).await;
        assert_eq!(r["reranked"], on, "{dir}: {r}");
        let hits: Vec<String> = r["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["slug"].as_str().unwrap().to_string())
            .collect();
        assert!(!hits.is_empty() && hits.len() <= 10, "{r}");
        orders.push(hits);
        s.stop().await;
    }
    assert_eq!(orders[1], orders[0], "weight 0: the words' order");
    let (mut a, mut b) = (orders[0].clone(), orders[2].clone());
    a.sort();
    b.sort();
    assert_eq!(a, b, "re-ranking reorders the same best hits, adds none");
    assert_eq!(orders[3], orders[0], "no model: words alone");
}
