//! Customer data at rest: message bodies and attachments sealed under the organisation's
//! data key (nothing in clear in the data directory), key rotation and re-encryption,
//! and the erasure of one customer.

use serde_json::{Value, json};
use server::keys;
use store::{Role, Store as _};
use uuid::Uuid;

use crate::common::*;

const CARD: &str = "4111 1111 1111 1111";
const CARD_DIGITS: &str = "4111111111111111";
const EMAIL: &str = "zebulon.quixote@example.org";
const PHONE: &str = "312 555 0142";
const WORD: &str = "Sunnyvalequasar";
const FILE_SECRET: &str = "ATTACHMENT-SECRET-Xylophonic";

/// A chat started from the widget, and its customer token.
async fn widget_chat(s: &Server, o: &Org, name: &str) -> (Uuid, String) {
    let http = reqwest::Client::new();
    let a = answer(
        http.post(format!("{}/api/widget/{}/chats", s.base, o.slug))
            .json(&json!({"name": name, "topic": o.queue.to_string()})),
    )
    .await;
    assert_eq!(a.status, 201, "start: {}", a.text);
    let id: Uuid = a.body["contact_id"].as_str().unwrap().parse().unwrap();
    (id, a.body["token"].as_str().unwrap().to_string())
}

async fn customer_says(s: &Server, chat: Uuid, token: &str, text: &str) {
    let a = answer(
        reqwest::Client::new()
            .post(format!("{}/api/widget/chats/{chat}/messages", s.base))
            .bearer_auth(token)
            .json(&json!({"text": text})),
    )
    .await;
    assert_eq!(a.status, 201, "message: {}", a.text);
}

/// Uploads a small PDF whose bytes hold [`FILE_SECRET`]; answers the attachment's id.
async fn customer_uploads(s: &Server, chat: Uuid, token: &str) -> Uuid {
    let bytes = format!("%PDF-1.4\n{FILE_SECRET}\n%%EOF\n").into_bytes();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes)
            .file_name("receipt.pdf")
            .mime_str("application/pdf")
            .unwrap(),
    );
    let a = answer(
        reqwest::Client::new()
            .post(format!("{}/api/widget/chats/{chat}/attachments", s.base))
            .bearer_auth(token)
            .multipart(form),
    )
    .await;
    assert_eq!(a.status, 201, "upload: {}", a.text);
    let url = a.body["attachment"]["url"].as_str().unwrap_or_default();
    let id = url.rsplit('/').next().unwrap_or_default();
    id.parse()
        .unwrap_or_else(|_| panic!("attachment id in {}", a.text))
}

fn texts(items: &[Value]) -> String {
    items
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every file under `dir`, as bytes (`strings` would see the same).
fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else if let Ok(b) = std::fs::read(&p) {
            out.push((p, b));
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// `table.column` of every cell in the server's database that holds `needle` (as text,
/// or as bytes: PostgreSQL's `bytea` shows as hex).
async fn cells_holding(s: &Server, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    match s.data() {
        Data::Sqlite(dir) => {
            let url = format!("sqlite://{}", dir.join("homeshore.db").display());
            let pool = sqlx::SqlitePool::connect(&url).await.expect("the database");
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            for t in tables {
                let cols: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT name FROM pragma_table_info('{t}')"
                )))
                .fetch_all(&pool)
                .await
                .unwrap();
                for c in cols {
                    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT count(*) FROM \"{t}\" WHERE instr(CAST(\"{c}\" AS BLOB), CAST($1 AS BLOB)) > 0"
                    )))
                    .bind(needle)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                    if n > 0 {
                        hits.push(format!("{t}.{c}"));
                    }
                }
            }
            pool.close().await;
        }
        Data::Postgres(schema) => {
            let pool = sqlx::PgPool::connect(&pg_url()).await.expect("PostgreSQL");
            let cols: Vec<(String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = $1",
            )
            .bind(&schema)
            .fetch_all(&pool)
            .await
            .unwrap();
            let hex = hex::encode(needle.as_bytes());
            for (t, c) in cols {
                let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT count(*) FROM \"{schema}\".\"{t}\" WHERE \"{c}\"::text LIKE $1 OR \"{c}\"::text LIKE $2"
                )))
                .bind(format!("%{needle}%"))
                .bind(format!("%{hex}%"))
                .fetch_one(&pool)
                .await
                .unwrap();
                if n > 0 {
                    hits.push(format!("{t}.{c}"));
                }
            }
            pool.close().await;
        }
    }
    hits
}

/// A chat with a card number, an email and a phone number, and an attachment: none of
/// them, nor the message's words or the file's bytes, is in any file of the SQLite data
/// directory, while staff still read them (masked where they are personal data).
#[tokio::test]
async fn nothing_a_customer_wrote_is_in_clear_in_the_data_directory() {
    each_backend(|s| async move {
        let o = seed_org(&s, "atrest").await;
        let (chat, token) = widget_chat(&s, &o, "Zebulon Quixote").await;
        let said =
            format!("my card is {CARD}, mail me at {EMAIL} or call {PHONE}, about the {WORD} tent");
        customer_says(&s, chat, &token, &said).await;
        let att = customer_uploads(&s, chat, &token).await;
        let admin = o.client(&s, Role::Admin);
        let msgs = admin.ok(&format!("/api/contacts/{chat}/messages")).await;
        let shown = texts(msgs["items"].as_array().unwrap());
        assert!(shown.contains(WORD), "staff read the text: {shown}");
        assert!(!shown.contains(CARD), "the card is masked: {shown}");
        let file = answer(
            reqwest::Client::new()
                .get(format!("{}/api/attachments/{att}", s.base))
                .bearer_auth(o.token(Role::Admin)),
        )
        .await;
        assert_eq!(file.status, 200, "attachment: {}", file.text);
        assert!(file.text.contains(FILE_SECRET), "staff read the file");

        if let Data::Sqlite(dir) = s.data() {
            let files = files_under(&dir);
            assert!(files.iter().any(|(p, _)| p.ends_with("homeshore.db")));
            for (path, bytes) in &files {
                for needle in [
                    CARD,
                    CARD_DIGITS,
                    EMAIL,
                    PHONE,
                    WORD,
                    FILE_SECRET,
                    said.as_str(),
                ] {
                    assert!(
                        !contains(bytes, needle.as_bytes()),
                        "{needle:?} in clear in {}",
                        path.display()
                    );
                }
            }
        }
        for needle in [CARD_DIGITS, EMAIL, WORD, FILE_SECRET] {
            assert_eq!(
                cells_holding(&s, needle).await,
                Vec::<String>::new(),
                "{needle} in the database"
            );
        }
        s
    })
    .await;
}

/// A customer who writes something that looks like a ciphertext, or uploads a file that
/// starts like a sealed one, has it sealed like anything else and read back as written:
/// neither stored in clear nor able to make the transcript unreadable.
#[tokio::test]
async fn sealed_looking_input_is_sealed_and_reads_back() {
    each_backend(|s| async move {
        let o = seed_org(&s, "lookalike").await;
        let (chat, token) = widget_chat(&s, &o, "Mallory").await;
        let fake = "enc:k999:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        customer_says(&s, chat, &token, fake).await;
        customer_says(&s, chat, &token, &format!("and then {WORD}")).await;
        let admin = o.client(&s, Role::Admin);
        let msgs = admin.ok(&format!("/api/contacts/{chat}/messages")).await;
        let shown = texts(msgs["items"].as_array().unwrap());
        assert!(
            shown.contains(fake),
            "the text reads back as written: {shown}"
        );
        assert!(
            shown.contains(WORD),
            "the rest of the transcript reads: {shown}"
        );
        assert_eq!(
            cells_holding(&s, "enc:k999:").await,
            Vec::<String>::new(),
            "the look-alike was sealed, not stored as it came"
        );
        s
    })
    .await;
}

/// A rotated key seals new messages while old ones still read; the re-encryption moves
/// every message and attachment to the newest key.
#[tokio::test]
async fn a_rotated_key_keeps_old_messages_readable_and_reencryption_moves_them() {
    each_backend(|s| async move {
        let o = seed_org(&s, "rotate").await;
        let (chat, token) = widget_chat(&s, &o, "Rita Rotation").await;
        customer_says(&s, chat, &token, "before the rotation, alpha").await;
        let att = customer_uploads(&s, chat, &token).await;
        let db = s.state.store();
        let key_ids = |rows: &[(Uuid, String)]| {
            let mut ids: Vec<Option<i32>> =
                rows.iter().map(|(_, t)| keys::text_key_id(t)).collect();
            ids.sort();
            ids.dedup();
            ids
        };
        let before = db.list_message_texts(o.id, None, 1000).await.unwrap();
        assert_eq!(key_ids(&before), vec![Some(1)], "sealed under key 1");

        let n = keys::rotate(db, s.state.sealer(), o.id).await.unwrap();
        assert_eq!(n, 2);
        // A running server finds the new key on its next refresh; this one now.
        s.state.keyring().load(db, o.id).await.unwrap();
        customer_says(&s, chat, &token, "after the rotation, bravo").await;
        let mixed = db.list_message_texts(o.id, None, 1000).await.unwrap();
        assert_eq!(key_ids(&mixed), vec![Some(1), Some(2)]);
        let admin = o.client(&s, Role::Admin);
        let shown = texts(
            admin.ok(&format!("/api/contacts/{chat}/messages")).await["items"]
                .as_array()
                .unwrap(),
        );
        assert!(
            shown.contains("alpha") && shown.contains("bravo"),
            "{shown}"
        );

        let wrap: std::sync::Arc<dyn keys::KeyWrap> = std::sync::Arc::new(s.state.sealer().clone());
        let done = keys::reencrypt(db, wrap.clone(), o.id, &|_| {})
            .await
            .unwrap();
        assert!(done.messages >= 1 && done.attachments == 1, "{done:?}");
        assert_eq!(done.unreadable, 0);
        let after = db.list_message_texts(o.id, None, 1000).await.unwrap();
        assert_eq!(key_ids(&after), vec![Some(2)], "nothing left under key 1");
        let stored = db.attachment_data(o.id, att).await.unwrap().unwrap();
        assert_eq!(keys::bytes_key_id(&stored), Some(2));
        // A second run has nothing to do.
        let again = keys::reencrypt(db, wrap, o.id, &|_| {}).await.unwrap();
        assert_eq!((again.messages, again.attachments), (0, 0));
        let shown = texts(
            admin.ok(&format!("/api/contacts/{chat}/messages")).await["items"]
                .as_array()
                .unwrap(),
        );
        assert!(
            shown.contains("alpha") && shown.contains("bravo"),
            "{shown}"
        );
        let file = answer(
            reqwest::Client::new()
                .get(format!("{}/api/attachments/{att}", s.base))
                .bearer_auth(o.token(Role::Admin)),
        )
        .await;
        assert!(file.text.contains(FILE_SECRET));
        s
    })
    .await;
}

/// Erasing a customer leaves no row that holds their name, email, phone, words or file,
/// keeps the event chain whole, answers a second erasure 404 and is not for another
/// organisation's admin.
#[tokio::test]
async fn an_erased_customer_leaves_no_trace_and_the_chain_holds() {
    each_backend(|s| async move {
        let o = seed_org(&s, "erase").await;
        let other = seed_org(&s, "erase-other").await;
        let name = "Ermintrude Vanishing";
        let (chat, token) = widget_chat(&s, &o, name).await;
        customer_says(
            &s,
            chat,
            &token,
            &format!("reach me at {EMAIL} or {PHONE}, re {WORD}"),
        )
        .await;
        let att = customer_uploads(&s, chat, &token).await;
        let admin = o.client(&s, Role::Admin);
        let contact = admin.ok(&format!("/api/contacts/{chat}")).await;
        let customer = contact["customer_id"].as_str().unwrap().to_string();
        // A second customer, who stays.
        let kept = create_contact(&s, &o, "Kept Customer").await;

        let path = format!("/api/customers/{customer}/erase");
        let why = json!({"reason": "erasure request, ticket 4711"});
        // Open contact: refused.
        let a = admin.post(&path, &why).await;
        assert_eq!(a.status, 409, "{}", a.text);
        // Close it: the agent takes it, ends it and wraps it up.
        close_chat(&s, &o, chat).await;

        assert_eq!(
            o.client(&s, Role::Supervisor)
                .post(&path, &why)
                .await
                .status,
            403
        );
        let foreign = other.client(&s, Role::Admin).post(&path, &why).await;
        assert_eq!(
            foreign.status, 404,
            "another organisation: {}",
            foreign.text
        );
        assert_eq!(admin.post(&path, &json!({"reason": ""})).await.status, 422);

        let a = admin.post(&path, &why).await;
        assert_eq!(a.status, 200, "erase: {}", a.text);
        let erased = &a.body["erased"];
        assert_eq!(erased["customers"], 1, "{}", a.text);
        assert_eq!(erased["contacts"], 1, "{}", a.text);
        assert!(erased["messages"].as_u64().unwrap() >= 1, "{}", a.text);
        assert_eq!(erased["attachments"], 1, "{}", a.text);
        assert!(erased["identities"].as_u64().unwrap() >= 1, "{}", a.text);

        for needle in [
            name,
            EMAIL,
            PHONE,
            WORD,
            FILE_SECRET,
            &customer[..],
            &chat.to_string()[..],
        ] {
            let hits = cells_holding(&s, needle).await;
            // Ids stay in the hash-chained events, which hold nothing else about them.
            let hits: Vec<_> = hits
                .into_iter()
                .filter(|h| !h.starts_with("events."))
                .collect();
            assert_eq!(hits, Vec::<String>::new(), "{needle} still in the database");
        }
        assert_eq!(
            admin
                .get(&format!("/api/customers/{customer}"))
                .await
                .status,
            404
        );
        assert_eq!(
            admin.get(&format!("/api/attachments/{att}")).await.status,
            404
        );
        let again = admin.post(&path, &why).await;
        assert_eq!(again.status, 404, "second erasure: {}", again.text);
        again.assert_error_shape("second erasure");
        // The other customer is untouched.
        let kept_id = kept["customer_id"].as_str().unwrap();
        assert_eq!(
            admin.get(&format!("/api/customers/{kept_id}")).await.status,
            200
        );

        let chain = store::chain::verify(s.state.store(), o.id).await.unwrap();
        assert_eq!(chain.broken_at, None, "{chain:?}");
        let events = admin.ok("/api/events?limit=1000").await;
        let ev = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "customer.erased")
            .expect("customer.erased logged");
        assert_eq!(ev["data"]["customer_id"], customer);
        assert_eq!(
            ev["data"]["actor"]["user_id"],
            o.user(Role::Admin).to_string(),
            "{ev}"
        );
        s
    })
    .await;
}

/// Closes a contact made through the widget: the agent takes it, ends it, wraps it up.
async fn close_chat(s: &Server, o: &Org, chat: Uuid) {
    let agent = o.client(s, Role::Agent);
    let offer = offers(s, o)
        .await
        .into_iter()
        .find(|(_, c)| *c == chat)
        .unwrap()
        .0;
    assert_eq!(
        agent
            .post(&format!("/api/offers/{offer}/accept"), &json!({}))
            .await
            .status,
        200
    );
    assert_eq!(
        agent
            .post(&format!("/api/contacts/{chat}/end"), &json!({}))
            .await
            .status,
        200
    );
    let w = agent
        .post(
            &format!("/api/contacts/{chat}/wrapup"),
            &json!({"code": "resolved"}),
        )
        .await;
    assert_eq!(w.status, 200, "wrap-up: {}", w.text);
}

/// The retention job deletes closed contacts past their period (per channel, else the
/// organisation's), keeps newer ones and open ones, logs its counts, and leaves the
/// event chain whole.
#[tokio::test]
async fn retention_deletes_closed_contacts_past_their_period_only() {
    each_backend_with(manual_clock(), |s| async move {
        let o = seed_org(&s, "retain").await;
        let admin = o.client(&s, Role::Admin);
        // Nothing set: everything kept.
        assert_eq!(
            admin.ok("/api/retention").await,
            json!({"days": null, "channels": {}})
        );
        let bad = admin.put("/api/retention", &json!({"days": 0})).await;
        assert_eq!(bad.status, 422, "{}", bad.text);
        let bad = admin
            .put("/api/retention", &json!({"channels": {"fax": 3}}))
            .await;
        assert_eq!(bad.status, 422, "{}", bad.text);
        assert_eq!(
            o.client(&s, Role::Supervisor)
                .get("/api/retention")
                .await
                .status,
            403
        );

        let (old, t1) = widget_chat(&s, &o, "Olga Oldest").await;
        customer_says(&s, old, &t1, "an old chat about Ancientword").await;
        let old_att = customer_uploads(&s, old, &t1).await;
        close_chat(&s, &o, old).await;
        s.clock
            .advance(std::time::Duration::from_secs(10 * 24 * 3600));
        let (newer, t2) = widget_chat(&s, &o, "Nora Newer").await;
        customer_says(&s, newer, &t2, "a newer chat about Freshword").await;
        close_chat(&s, &o, newer).await;
        let (open, t3) = widget_chat(&s, &o, "Otto Open").await;
        customer_says(&s, open, &t3, "still open").await;
        s.clock
            .advance(std::time::Duration::from_secs(3 * 24 * 3600));

        let a = admin
            .put(
                "/api/retention",
                &json!({"days": 7, "channels": {"sms": null}}),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(admin.ok("/api/retention").await["days"], 7);
        let runs = server::retention::run_once(&s.state).await.unwrap();
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert_eq!((runs[0].contacts, runs[0].attachments), (1, 1), "{runs:?}");
        assert!(runs[0].messages >= 1);

        assert_eq!(admin.get(&format!("/api/contacts/{old}")).await.status, 404);
        assert_eq!(
            admin
                .get(&format!("/api/attachments/{old_att}"))
                .await
                .status,
            404
        );
        assert_eq!(
            admin.get(&format!("/api/contacts/{newer}")).await.status,
            200
        );
        assert_eq!(
            admin.get(&format!("/api/contacts/{open}")).await.status,
            200
        );
        let shown = texts(
            admin.ok(&format!("/api/contacts/{newer}/messages")).await["items"]
                .as_array()
                .unwrap(),
        );
        assert!(shown.contains("Freshword"));
        assert!(cells_holding(&s, "Ancientword").await.is_empty());
        // Ten days on, the newer one goes too; the open one stays.
        s.clock
            .advance(std::time::Duration::from_secs(10 * 24 * 3600));
        let runs = server::retention::run_once(&s.state).await.unwrap();
        assert_eq!(runs.iter().map(|r| r.contacts).sum::<u64>(), 1, "{runs:?}");
        assert_eq!(
            admin.get(&format!("/api/contacts/{newer}")).await.status,
            404
        );
        assert_eq!(
            admin.get(&format!("/api/contacts/{open}")).await.status,
            200
        );
        // Nothing more to do.
        assert!(
            server::retention::run_once(&s.state)
                .await
                .unwrap()
                .is_empty()
        );

        let events = admin.ok("/api/events?limit=1000").await;
        let logged = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "retention.run")
            .count();
        assert_eq!(logged, 2);
        let chain = store::chain::verify(s.state.store(), o.id).await.unwrap();
        assert_eq!(chain.broken_at, None, "{chain:?}");
        s
    })
    .await;
}
