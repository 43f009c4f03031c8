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
        assert!(
            msgs.to_string().contains("receipt.pdf"),
            "staff read the file's name: {msgs}"
        );
        for needle in [CARD_DIGITS, EMAIL, WORD, FILE_SECRET, "receipt.pdf"] {
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

const WIDGET_NAME: &str = "Philippa Quartermaine";
const WIDGET_EMAIL: &str = "philippa.q@example.net";
const API_NAME: &str = "Bartholomew Ironside";
const API_EMAIL: &str = "b.ironside@example.com";
const NOTE_SECRET: &str = "internal note: Quixotically overdrawn";
const WRAPUP_SECRET: &str = "wrap-up: Zanzibar refund approved";

/// Starts a widget chat with a name and an email (a new browser each time); answers the
/// chat's id and its customer's.
async fn widget_chat_with_email(s: &Server, o: &Org) -> (Uuid, Uuid) {
    let a = answer(
        reqwest::Client::new()
            .post(format!("{}/api/widget/{}/chats", s.base, o.slug))
            .json(
                &json!({"name": WIDGET_NAME, "email": WIDGET_EMAIL, "topic": o.queue.to_string()}),
            ),
    )
    .await;
    assert_eq!(a.status, 201, "start: {}", a.text);
    let chat: Uuid = a.body["contact_id"].as_str().unwrap().parse().unwrap();
    let c = o
        .client(s, Role::Admin)
        .ok(&format!("/api/contacts/{chat}"))
        .await;
    assert_eq!(c["customer_name"], WIDGET_NAME, "staff read the name: {c}");
    (chat, c["customer_id"].as_str().unwrap().parse().unwrap())
}

/// Customers' names, emails and identities are sealed at rest, identities found by their
/// blind index: a customer who comes back with the same email is the same customer, a
/// retried create answers as the first time, staff read everything in clear, and no
/// file of the data directory nor any cell of the database holds a name or an email.
#[tokio::test]
async fn customers_names_emails_and_identities_are_sealed_and_still_found() {
    each_backend(|s| async move {
        let o = seed_org(&s, "people").await;
        let (_, first) = widget_chat_with_email(&s, &o).await;
        let (_, again) = widget_chat_with_email(&s, &o).await;
        assert_eq!(
            first, again,
            "the same email, from another browser, is the same customer"
        );

        let admin = o.client(&s, Role::Admin);
        let body = json!({"channel": "chat", "queue_id": o.queue,
            "customer": {"name": API_NAME, "email": API_EMAIL}, "text": "Where is my order?"});
        let made = admin
            .send(
                "POST",
                "/api/contacts",
                Some(&body),
                &[("idempotency-key", "sealed-1")],
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.text);
        let retried = admin
            .send(
                "POST",
                "/api/contacts",
                Some(&body),
                &[("idempotency-key", "sealed-1")],
            )
            .await;
        assert_eq!(retried.status, 201, "{}", retried.text);
        assert_eq!(
            retried.body, made.body,
            "the retry answers as the first time"
        );
        assert_eq!(made.body["customer_name"], API_NAME);
        let customer = made.body["customer_id"].as_str().unwrap().to_string();
        let second = admin
            .send(
                "POST",
                "/api/contacts",
                Some(&json!({"channel": "chat", "queue_id": o.queue,
            "customer": {"name": "B. Ironside", "email": API_EMAIL}})),
                &[],
            )
            .await;
        assert_eq!(
            second.body["customer_id"],
            customer.as_str(),
            "found by email: {}",
            second.text
        );

        let c = admin.ok(&format!("/api/customers/{customer}")).await;
        assert_eq!(c["customer"]["name"], API_NAME, "{c}");
        assert_eq!(c["customer"]["email"], API_EMAIL, "{c}");
        assert_eq!(c["identities"][0]["value"], API_EMAIL, "{c}");
        let w = admin.ok(&format!("/api/customers/{first}")).await;
        let values: Vec<&str> = w["identities"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["value"].as_str())
            .collect();
        assert!(values.contains(&WIDGET_EMAIL), "{w}");
        let msgs = admin
            .ok(&format!(
                "/api/contacts/{}/messages",
                made.body["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(msgs["items"][0]["author_name"], API_NAME, "{msgs}");
        // Every one of those reads is in the log, with who read what.
        let events = admin.ok("/api/events?limit=1000").await;
        let read = |what: &str, id: &str| {
            events["items"].as_array().unwrap().iter().any(|e| {
                e["kind"] == "audit.read"
                    && e["data"]["what"] == what
                    && e["data"]["id"] == id
                    && e["data"]["actor"]["user_id"] == json!(o.user(Role::Admin))
            })
        };
        assert!(
            read("customer", &customer),
            "the customer read is audited: {events}"
        );
        assert!(read("customer", &first.to_string()), "{events}");
        assert!(
            read("transcript", made.body["id"].as_str().unwrap()),
            "{events}"
        );

        // What the agent writes about a customer: an internal note and wrap-up notes.
        let agent = o.client(&s, Role::Agent);
        let worked = active_contact(&s, &o).await;
        let note = agent
            .post(
                &format!("/api/contacts/{worked}/messages"),
                &json!({"client_id": "note-1", "text": NOTE_SECRET, "internal": true}),
            )
            .await;
        assert_eq!(note.status, 201, "{}", note.text);
        assert_eq!(
            agent
                .post(&format!("/api/contacts/{worked}/end"), &json!({}))
                .await
                .status,
            200
        );
        let w = agent
            .post(
                &format!("/api/contacts/{worked}/wrapup"),
                &json!({"code": "resolved", "notes": WRAPUP_SECRET}),
            )
            .await;
        assert_eq!(w.status, 200, "{}", w.text);
        let read = admin.ok(&format!("/api/contacts/{worked}")).await;
        assert_eq!(
            read["wrapup_notes"], WRAPUP_SECRET,
            "staff read the notes: {read}"
        );
        let events = admin.ok("/api/events?limit=1000").await;
        assert!(
            events["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["kind"] == "audit.read"
                    && e["data"]["what"] == "contact"
                    && e["data"]["id"] == json!(worked)),
            "reading the contact is audited too"
        );

        s.state.barrier().await;
        for needle in [
            WIDGET_NAME,
            WIDGET_EMAIL,
            API_NAME,
            API_EMAIL,
            NOTE_SECRET,
            WRAPUP_SECRET,
        ] {
            assert_eq!(
                cells_holding(&s, needle).await,
                Vec::<String>::new(),
                "{needle} in the database"
            );
            if let Data::Sqlite(dir) = s.data() {
                for (path, bytes) in files_under(&dir) {
                    assert!(
                        !contains(&bytes, needle.as_bytes()),
                        "{needle:?} in clear in {}",
                        path.display()
                    );
                }
            }
        }
        s
    })
    .await;
}

/// A contact from a customer who gives [`API_EMAIL`] (and another name).
async fn bart_writes(admin: &Client, o: &Org) -> Answer {
    admin
        .send(
            "POST",
            "/api/contacts",
            Some(&json!({"channel": "chat", "queue_id": o.queue,
                "customer": {"name": "Bart", "email": API_EMAIL}})),
            &[],
        )
        .await
}

/// Rows written before customers were sealed (names, emails and identity values in
/// clear) are still found and read, and the re-encryption seals them and gives
/// identities their blind index.
#[tokio::test]
async fn customers_from_before_sealing_are_found_and_the_reencryption_seals_them() {
    each_backend(|s| async move {
        let o = seed_org(&s, "legacy").await;
        let db = s.state.store();
        let now = time::OffsetDateTime::now_utc();
        let cust = store::Customer {
            id: store::new_id(),
            org_id: o.id,
            name: API_NAME.into(),
            email: Some(API_EMAIL.into()),
            data: json!({}),
            created_at: now,
        };
        // Straight to the store: what an older server wrote.
        db.commit(vec![
            store::Change::PutCustomer(cust.clone()),
            store::Change::PutIdentity(store::Identity {
                id: store::new_id(),
                org_id: o.id,
                customer_id: cust.id,
                kind: "email".into(),
                value: API_EMAIL.into(),
                sealed: None,
                created_at: now,
            }),
        ])
        .await
        .unwrap();
        let admin = o.client(&s, Role::Admin);
        let made = bart_writes(&admin, &o).await;
        assert_eq!(
            made.body["customer_id"],
            cust.id.to_string(),
            "found by its value in clear: {}",
            made.text
        );
        assert_eq!(made.body["customer_name"], API_NAME);
        assert!(
            !cells_holding(&s, API_EMAIL).await.is_empty(),
            "in clear before"
        );

        // A (re)starting server seals identities in clear before it serves; the CLI's
        // re-encryption seals the rest.
        let s = Server::start_with(s.halt().await, server::Clock::System).await;
        assert_eq!(
            cells_holding(&s, API_EMAIL).await,
            vec!["customers.email"],
            "identities sealed at start"
        );
        let db = s.state.store();
        let admin = o.client(&s, Role::Admin);
        let wrap: std::sync::Arc<dyn keys::KeyWrap> = std::sync::Arc::new(s.state.sealer().clone());
        let r = keys::reencrypt(db, wrap, o.id, &|_| {}).await.unwrap();
        // The customer (the identity was sealed at start, the new contact when it was made).
        assert_eq!(r.personal, 1, "{r:?}");
        for needle in [API_NAME, API_EMAIL] {
            assert_eq!(
                cells_holding(&s, needle).await,
                Vec::<String>::new(),
                "{needle} after"
            );
        }
        let again = bart_writes(&admin, &o).await;
        assert_eq!(
            again.body["customer_id"],
            cust.id.to_string(),
            "found by its blind index: {}",
            again.text
        );
        let c = admin.ok(&format!("/api/customers/{}", cust.id)).await;
        assert_eq!(c["customer"]["name"], API_NAME, "{c}");
        assert_eq!(c["identities"][0]["value"], API_EMAIL, "{c}");
        s
    })
    .await;
}

/// An admin chooses which roles open customers' files: a refused role gets a 403 that
/// says why, the file's name and size still show, and the others still open it.
#[tokio::test]
async fn attachments_open_only_for_the_roles_allowed() {
    each_backend(|s| async move {
        let o = seed_org(&s, "files").await;
        let (chat, token) = widget_chat(&s, &o, "Fiona Files").await;
        let att = customer_uploads(&s, chat, &token).await;
        let get = |role: Role| {
            let (base, tok) = (s.base.clone(), o.token(role));
            async move {
                answer(
                    reqwest::Client::new()
                        .get(format!("{base}/api/attachments/{att}"))
                        .bearer_auth(tok),
                )
                .await
            }
        };
        let admin = o.client(&s, Role::Admin);
        let p = admin.ok("/api/protection").await;
        assert_eq!(
            p["attachment_roles"],
            json!(["admin", "supervisor", "agent"]),
            "the default"
        );
        assert_eq!(get(Role::Supervisor).await.status, 200);

        let put = admin
            .send(
                "PUT",
                "/api/protection",
                Some(&json!({"attachment_roles": ["admin"]})),
                &[],
            )
            .await;
        assert_eq!(put.status, 200, "{}", put.text);
        let events = admin.ok("/api/events?limit=1000").await;
        let reads_by = |events: &Value, role: Role| {
            events["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| {
                    e["kind"] == "audit.read"
                        && e["data"]["what"] == "attachment"
                        && e["data"]["id"] == json!(att)
                        && e["data"]["actor"]["user_id"] == json!(o.user(role))
                })
                .count()
        };
        assert_eq!(
            reads_by(&events, Role::Supervisor),
            1,
            "the opening is audited: {events}"
        );
        let refused = get(Role::Supervisor).await;
        assert_eq!(refused.status, 403, "{}", refused.text);
        let events = admin.ok("/api/events?limit=1000").await;
        assert_eq!(
            reads_by(&events, Role::Supervisor),
            1,
            "a refused opening reads nothing"
        );
        assert!(
            refused.text.contains("supervisor role"),
            "says why: {}",
            refused.text
        );
        assert_eq!(get(Role::Admin).await.status, 200, "admins still open it");
        let msgs = admin.ok(&format!("/api/contacts/{chat}/messages")).await;
        assert!(
            msgs.to_string().contains("receipt.pdf"),
            "the file's name still shows: {msgs}"
        );
        let bad = admin
            .send(
                "PUT",
                "/api/protection",
                Some(&json!({"attachment_roles": ["owner"]})),
                &[],
            )
            .await;
        assert!(bad.status == 422 || bad.status == 400, "{}", bad.text);
        let supervisor = o.client(&s, Role::Supervisor);
        assert_eq!(
            supervisor
                .send(
                    "PUT",
                    "/api/protection",
                    Some(&json!({"attachment_roles": ["admin", "supervisor"]})),
                    &[]
                )
                .await
                .status,
            403
        );
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
        // Texts and customers' names on their messages.
        let key_ids = |rows: &[store::MessageTexts]| {
            let mut ids: Vec<Option<i32>> = rows
                .iter()
                .flat_map(|(_, t, a)| [t, a])
                .flatten()
                .map(|t| keys::text_key_id(t))
                .collect();
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
        // The customer and their identity (the contact itself was written again, under
        // key 2, with the message after the rotation).
        assert_eq!(done.personal, 2, "{done:?}");
        let again = keys::reencrypt(db, wrap, o.id, &|_| {}).await.unwrap();
        assert_eq!(
            (again.messages, again.attachments, again.personal),
            (0, 0, 0)
        );
        let c = admin.ok(&format!("/api/contacts/{chat}")).await;
        assert_eq!(c["customer_name"], "Rita Rotation", "{c}");
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
