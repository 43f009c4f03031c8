//! What an outside attacker tries against the API, each finding of the security review
//! as a test that failed before its fix: metrics without credentials, cacheable answers,
//! locking someone out with wrong passwords and learning which accounts exist from the
//! lock, acting as another user with a token minted for them, and megabytes of "name".
//! (Connections that never finish their headers are in `conn_limit`'s own tests; a chat
//! token's forty uploads and five hundred sockets in the widget's end-to-end test.)

use std::time::Duration;

use serde_json::{Value, json};
use store::Role;

use crate::common::*;

fn code(v: &(u16, Value)) -> (u16, &str) {
    (v.0, v.1["error"]["code"].as_str().unwrap_or("ok"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_ask_for_their_token_and_answers_are_never_cached() {
    let dir = std::env::temp_dir().join(format!("homeshore-hostile-{}", uuid::Uuid::new_v4()));
    let s = Server::start_with(Data::Sqlite(dir), server::Clock::System).await;
    let o = seed_org(&s, "hostile-metrics").await;
    let http = server::http_client();
    let url = format!("{}/metrics", s.base);
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401, "no credentials");
    let r = http.get(&url).bearer_auth("guess").send().await.unwrap();
    assert_eq!(r.status(), 401, "a wrong token");
    // Not even a staff member's own API token opens them.
    let r = http
        .get(&url)
        .bearer_auth(o.token(Role::Admin))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "an admin's API token");
    let text = metrics_text(&s).await;
    assert!(text.contains("homeshore_http_connections_open"), "{text}");

    // Customer data in an answer must not stay in a shared browser's cache.
    for path in ["/api/me", "/api/contacts", "/api/nothing-here"] {
        let r = http
            .get(format!("{}{path}", s.base))
            .bearer_auth(o.token(Role::Agent))
            .send()
            .await
            .unwrap();
        let h = r.headers();
        assert_eq!(h["cache-control"], "no-store", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_cannot_lock_a_user_out_nor_learn_which_accounts_exist() {
    each_backend(|s| async move {
        let o = seed_org(&s, "hostile-lock").await;
        let email = o.email(Role::Agent);
        let threshold = s.state.config().lockout_threshold;

        // The agent signs in from their own browser once: it is recognised from then on.
        let mut own = Browser::new(&s, &o.slug);
        assert_eq!(own.login(&email, PASSWORD, None).await.0, 200);

        // A stranger tries passwords until the account locks, for strangers.
        let mut stranger = Browser::new(&s, &o.slug);
        for _ in 0..threshold {
            let r = stranger.login(&email, "guess", None).await;
            assert_eq!(code(&r), (401, "invalid_credentials"));
        }
        let r = stranger.login(&email, PASSWORD, None).await;
        assert_eq!(
            code(&r),
            (429, "locked"),
            "even the right password: {}",
            r.1
        );

        // The agent's own browser is not locked out.
        let r = own.login(&email, PASSWORD, None).await;
        assert_eq!(r.0, 200, "the owner's browser signs in: {}", r.1);

        // An email with no account locks in the same way, with the same words.
        let mut nobody = Browser::new(&s, &o.slug);
        let ghost = format!("ghost@{}.example", o.slug);
        for _ in 0..threshold {
            let r = nobody.login(&ghost, "guess", None).await;
            assert_eq!(code(&r), (401, "invalid_credentials"));
        }
        let real = stranger.login(&email, "guess", None).await;
        let fake = nobody.login(&ghost, "guess", None).await;
        assert_eq!(code(&real), code(&fake));
        let words = |v: &Value| {
            let m = v["error"]["message"].as_str().unwrap_or_default();
            m.split(" Try again in ")
                .next()
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(words(&real.1), words(&fake.1));

        // A forged device cookie is no way around the lock.
        let forger = server::http_client();
        let r = forger
            .post(format!("{}/api/auth/login", s.base))
            .header("cookie", format!("hs_device={}.enc:v1:AAAA", o.id))
            .json(&json!({"org": o.slug, "email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 429);

        // Failures from the owner's own browser lock only that browser.
        for _ in 0..threshold {
            assert_eq!(own.login(&email, "typo", None).await.0, 401);
        }
        assert_eq!(
            code(&own.login(&email, PASSWORD, None).await),
            (429, "locked")
        );

        // Everything above is in the organisation's hash chain, read back intact from
        // this database (PostgreSQL's JSONB included).
        let chain = store::chain::verify(s.state.store(), o.id).await.unwrap();
        assert_eq!(chain.broken_at, None, "{chain:?}");
        assert!(chain.checked > 20, "{chain:?}");
        assert_eq!(chain.unchained, 0);
        s
    })
    .await;
}

/// A desktop locked while its owner was away: the password unlocks it; someone else
/// guessing ends the session after as many tries as lock an account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_lock_cannot_be_guessed_past() {
    let dir = std::env::temp_dir().join(format!("homeshore-hostile-{}", uuid::Uuid::new_v4()));
    let s = Server::start_with(Data::Sqlite(dir), server::Clock::System).await;
    let o = seed_org(&s, "hostile-idle").await;
    let email = o.email(Role::Agent);
    let mut b = Browser::new(&s, &o.slug);
    assert_eq!(b.login(&email, PASSWORD, None).await.0, 200);
    assert_eq!(b.get("/api/me").await, 200);
    let (st, _) = b
        .post("/api/auth/reauth", json!({"password": PASSWORD}))
        .await;
    assert_eq!(st, 204, "the owner unlocks");
    let threshold = s.state.config().lockout_threshold;
    for i in 1..threshold {
        let (st, v) = b
            .post("/api/auth/reauth", json!({"password": "guess"}))
            .await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (401, Some("invalid_credentials")),
            "try {i}"
        );
    }
    let (st, v) = b
        .post("/api/auth/reauth", json!({"password": "guess"}))
        .await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (401, Some("signed_out")),
        "{v}"
    );
    assert_eq!(b.get("/api/me").await, 401, "the session is over");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acting_as_someone_else_is_explicit_short_and_named() {
    each_backend_with(manual_clock(), |s| async move {
        let o = seed_org(&s, "hostile-imp").await;
        let admin = o.client(&s, Role::Admin);
        let agent_id = o.user(Role::Agent);

        // No admin rights through someone else's token, and no long-lived one.
        let r = admin
            .post(
                "/api/tokens",
                &json!({"name": "as agent", "scopes": ["read", "write", "admin"], "user_id": agent_id}),
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.text);
        let r = admin
            .post(
                "/api/tokens",
                &json!({"name": "as agent", "scopes": ["read"], "user_id": agent_id, "expires_in_s": 86400}),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);

        // A short one: it expires by itself (15 minutes unless asked for less).
        let r = admin
            .post(
                "/api/tokens",
                &json!({"name": "as agent", "scopes": ["read", "write"], "user_id": agent_id}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["impersonation"], true);
        let token = r.body["token"].as_str().unwrap().to_string();
        let token_id = r.body["id"].as_str().unwrap().to_string();
        let imp = Client::new(&s.base, Some(token.clone()));
        assert_eq!(imp.ok("/api/me").await["user"]["id"], json!(agent_id));

        // What it changes names the admin behind it, and its creation says what it is.
        let r = imp
            .put("/api/agent/state", &json!({"state": "break", "reason": "lunch"}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let events = admin.ok("/api/events?limit=500").await;
        let items = events["items"].as_array().unwrap();
        let created = items
            .iter()
            .find(|e| e["kind"] == "token.created" && e["data"]["token_id"] == json!(token_id))
            .expect("token.created");
        assert_eq!(created["data"]["impersonation"], true, "{created}");
        assert!(created["data"]["expires_at"].is_i64(), "{created}");
        assert_eq!(
            created["data"]["actor"]["user_id"],
            json!(o.user(Role::Admin)),
            "minted by the admin (through the admin's own token): {created}"
        );
        let by_token: Vec<&Value> = items
            .iter()
            .filter(|e| e["data"]["actor"]["id"] == json!(token_id))
            .collect();
        assert!(!by_token.is_empty(), "the change made with it: {events}");
        for e in by_token {
            assert_eq!(e["data"]["actor"]["by"], json!(o.user(Role::Admin)), "{e}");
        }

        // After its time it opens nothing.
        s.clock.advance(Duration::from_secs(15 * 60 + 1));
        let r = imp.get("/api/me").await;
        assert_eq!(r.status, 401, "{}", r.text);

        // The admin's own tokens stay theirs: no expiry unless asked.
        let r = admin
            .post("/api/tokens", &json!({"name": "mine", "scopes": ["read"]}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["impersonation"], false);
        assert!(r.body["expires_at"].is_null());
        s
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_text_has_limits() {
    let dir = std::env::temp_dir().join(format!("homeshore-hostile-{}", uuid::Uuid::new_v4()));
    let s = Server::start_with(Data::Sqlite(dir), server::Clock::System).await;
    let o = seed_org(&s, "hostile-text").await;
    let admin = o.client(&s, Role::Admin);
    // Under the body limit (which alone once let 900 KB through), over the field's.
    let big = "x".repeat(20 * 1024);
    for body in [
        json!({"name": "Returns", "description": big}),
        json!({"name": "Returns", "tags": [big]}),
        json!({"name": "Returns", "tags": vec!["t"; 500]}),
    ] {
        let r = admin.post("/api/wrapup-codes", &body).await;
        assert_eq!(r.status, 422, "{}", &r.text[..r.text.len().min(200)]);
        r.assert_error_shape("oversized field");
    }
    let r = admin
        .post(
            "/api/business-hours",
            &json!({"name": "Mars", "timezone": "Mars/Olympus", "weekly": []}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    // A contact's channel is one of the channels, not any string: an unknown one, or one
    // with a NUL byte, is refused and nothing is created; a customer's name has a limit.
    let before = admin.ok("/api/contacts?limit=500").await["items"]
        .as_array()
        .unwrap()
        .len();
    for channel in ["fax", "chat\u{0}", "CHAT", ""] {
        let r = admin
            .post(
                "/api/contacts",
                &json!({"channel": channel, "queue_id": o.queue, "customer": {"name": "Nul"}}),
            )
            .await;
        assert!(
            r.status == 422 || r.status == 400,
            "{channel:?}: {} {}",
            r.status,
            r.text
        );
        r.assert_error_shape("unknown channel");
    }
    let r = admin
        .post(
            "/api/contacts",
            &json!({"channel": "chat", "queue_id": o.queue, "customer": {"name": "n".repeat(201)}}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let after = admin.ok("/api/contacts?limit=500").await["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, before, "nothing was created");
    let r = admin
        .post(
            "/api/wrapup-codes",
            &json!({"name": "Returns", "description": "Sent back"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    s.stop().await;
}

/// Every byte under `dir` (database, log, key file), as `strings` would read it.
fn bytes_under(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            all.extend(bytes_under(&p));
        } else if let Ok(b) = std::fs::read(&p) {
            all.extend(b);
        }
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_numbers_and_contact_details_are_masked_kept_sealed_and_revealed_only_with_a_reason() {
    let dir = std::env::temp_dir().join(format!("homeshore-hostile-{}", uuid::Uuid::new_v4()));
    let s = Server::start_with(Data::Sqlite(dir.clone()), server::Clock::System).await;
    let o = seed_org(&s, "hostile-pii").await;
    let admin = o.client(&s, Role::Admin);
    let card = "4242 4242 4242 4242";
    let email = "zed.quinn@mailbox-for-pii.example";
    let phone = "+1 (312) 555-0199";
    let r = admin
        .post(
            "/api/contacts",
            &json!({"channel": "chat", "queue_id": o.queue, "customer": {"name": "Zed"},
                    "text": format!("My card is {card}, write to {email} or call {phone}")}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let contact = r.body["id"].as_str().unwrap().to_string();

    // Staff see masks, not values; what each mask stands for is listed.
    let msgs = admin.ok(&format!("/api/contacts/{contact}/messages")).await;
    let m = &msgs["items"][0];
    let text = m["text"].as_str().unwrap();
    assert_eq!(
        text,
        "My card is [card ending 4242], write to [email z•••@mailbox-for-pii.example] or call [phone ending 99]"
    );
    let kinds: Vec<&str> = m["hidden"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["card", "email", "phone"]);
    assert_eq!(m["hidden"][0]["kept"], false, "a card number is never kept");

    // A reveal needs a reason, is not for analysts, and is recorded before it answers.
    let path = format!("/api/contacts/{contact}/messages/1/reveal");
    let r = admin.post(&path, &json!({"reason": ""})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let r = o
        .client(&s, Role::Analyst)
        .post(&path, &json!({"reason": "curious"}))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = admin
        .post(&path, &json!({"reason": "customer asked for a call back"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let values: Vec<Value> = r.body["values"].as_array().unwrap().clone();
    assert_eq!(values[0]["value"], Value::Null, "the card number is gone");
    assert_eq!(values[1]["value"], email);
    assert_eq!(values[2]["value"], phone);
    let events = admin.ok("/api/events?limit=500").await;
    let revealed: Vec<&Value> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "pii.revealed")
        .collect();
    assert_eq!(revealed.len(), 1, "{events}");
    assert_eq!(
        revealed[0]["data"]["reason"],
        "customer asked for a call back"
    );
    assert_eq!(
        revealed[0]["data"]["actor"]["user_id"],
        json!(o.user(Role::Admin))
    );
    // Reading the transcript was recorded too, with who read it.
    let reads: Vec<&Value> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "audit.read" && e["data"]["id"] == json!(contact))
        .collect();
    assert!(
        reads.iter().any(|e| e["data"]["what"] == "transcript"
            && e["data"]["actor"]["user_id"] == json!(o.user(Role::Admin))),
        "{reads:?}"
    );

    // On disk: neither the card number nor the email nor the phone number in clear,
    // and nothing another local user may read.
    s.halt().await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700, "the data directory");
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = entry.path();
            if p.is_file() {
                assert_eq!(mode(&p) & 0o077, 0, "{} is {:o}", p.display(), mode(&p));
            }
        }
    }
    let disk = bytes_under(&dir);
    assert!(!disk.is_empty());
    for (what, needle) in [
        ("card", card),
        ("card digits", "4242424242424242"),
        ("email", email),
        ("phone", "555-0199"),
    ] {
        assert!(!contains(&disk, needle), "the {what} is on disk in clear");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
