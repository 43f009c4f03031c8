//! Email against real mail servers on loopback (Dovecot for IMAP, an SMTP server that
//! keeps what it gets): mail read by UID and threaded by its headers, never by its
//! subject; replies with our own Message-ID and the thread's headers; a connection cut
//! mid-fetch and a renumbered mailbox that lose and repeat nothing; the raw-MIME
//! ingress and its secret; an SMTP outage that ends with each reply sent once. On
//! SQLite and PostgreSQL.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Value, json};
use store::Role;
use uuid::Uuid;

use crate::common::*;
use crate::mailserver::{CutProxy, Dovecot, PASSWORD, SmtpSink, USER};

fn mail(id: &str, from: &str, subject: &str, extra: &str, body: &str) -> String {
    format!(
        "From: {from}\nTo: {USER}\nSubject: {subject}\nMessage-ID: <{id}>\nDate: Mon, 07 Dec 2026 09:00:00 +0000\n{extra}Content-Type: text/plain; charset=utf-8\n\n{body}\n"
    )
}

async fn set_up(s: &Server, o: &Org, imap_port: u16, smtp: &SmtpSink) -> Value {
    let put = o
        .client(s, Role::Admin)
        .put(
            "/api/channel-endpoints/email",
            &json!({"provider": "email", "address": USER, "display_name": "Shop Support",
                "queue_id": o.queue, "signature": "{agent}\nShop Support",
                "imap": {"host": "127.0.0.1", "port": imap_port, "security": "none", "user": USER, "password": PASSWORD},
                "smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "none"}}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    put.body
}

async fn fetch(s: &Server, o: &Org) -> Value {
    let a = o
        .client(s, Role::Admin)
        .post("/api/channel-endpoints/email/fetch", &json!({}))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body
}

/// The organisation's email contacts, oldest first, with their messages' texts.
async fn conversations(s: &Server, o: &Org) -> Vec<(Uuid, Vec<String>)> {
    let admin = o.client(s, Role::Admin);
    let list = admin.ok("/api/contacts?limit=200").await;
    let mut out = Vec::new();
    let mut items: Vec<Value> = list["items"].as_array().unwrap().clone();
    items.retain(|c| c["channel"] == "email");
    items.sort_by_key(|c| c["created_at"].as_str().unwrap().to_string());
    for c in items {
        let id: Uuid = c["id"].as_str().unwrap().parse().unwrap();
        let m = admin.ok(&format!("/api/contacts/{id}/messages")).await;
        let texts = m["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| match m["text"].as_str() {
                Some(t) => t.to_string(),
                None => format!("[file {}]", m["attachment"]["name"].as_str().unwrap_or("?")),
            })
            .collect();
        out.push((id, texts));
    }
    out
}

async fn accept(s: &Server, o: &Org, contact: Uuid) {
    let agent = o.client(s, Role::Agent);
    for _ in 0..300 {
        if let Some((offer, _)) = offers(s, o).await.into_iter().find(|(_, c)| *c == contact) {
            let r = agent
                .post(&format!("/api/offers/{offer}/accept"), &json!({}))
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("contact {contact} was never offered");
}

fn header<'a>(mail: &'a str, name: &str) -> Option<&'a str> {
    mail.lines()
        .take_while(|l| !l.is_empty() && *l != "\r")
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
}

#[tokio::test]
async fn mail_threads_by_its_headers_and_replies_go_out_with_them() {
    each_backend_with(manual_clock(), |s| async move {
        let dovecot = Dovecot::start().await;
        let smtp = SmtpSink::start().await;
        let o = seed_org(&s, "mail").await;
        let ep = set_up(&s, &o, dovecot.port, &smtp).await;
        assert_eq!(ep["inbound_url"], "/api/webhooks/email/mail");
        assert_eq!(ep["imap"]["has_password"], true);
        assert!(!ep.to_string().contains(PASSWORD), "no password is shown: {ep}");
        let ingress_secret = ep["secret"].as_str().expect("the ingress secret, shown once").to_string();
        // The stored endpoint holds no credential in clear.
        let listed = o.client(&s, Role::Admin).ok("/api/channel-endpoints").await;
        assert!(listed["items"][0]["secret"].is_null(), "{listed}");

        // A first mail opens a conversation; reading again takes nothing twice.
        dovecot
            .deliver(&mail("a1@mail.example.com", "Ann Lee <ann@example.com>", "Where is my order?", "",
                "Hello, order 1234 has not arrived."))
            .await;
        let r = fetch(&s, &o).await;
        assert_eq!((r["ok"].as_bool(), r["stored"].as_u64()), (Some(true), Some(1)), "{r}");
        let r = fetch(&s, &o).await;
        assert_eq!((r["stored"].as_u64(), r["duplicates"].as_u64()), (Some(0), Some(0)), "{r}");
        let conv = conversations(&s, &o).await;
        assert_eq!(conv.len(), 1, "{conv:?}");
        let (c1, _) = conv[0].clone();
        assert_eq!(conv[0].1, vec!["Hello, order 1234 has not arrived."]);
        let contact = o.client(&s, Role::Admin).ok(&format!("/api/contacts/{c1}")).await;
        assert_eq!(contact["topic"], "Where is my order?", "{contact}");

        // The agent answers: a mail with our Message-ID, the thread's headers, the
        // reply address, the signature, and the customer's mail quoted.
        accept(&s, &o, c1).await;
        let agent = o.client(&s, Role::Agent);
        let r = agent
            .post(&format!("/api/contacts/{c1}/messages"), &json!({"client_id": "r1", "text": "It ships today."}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.body["id"].as_str().unwrap().to_string();
        delivery_until(&agent, &c1.to_string(), &id, |d| d["status"] == "sent").await;
        let sent = smtp.mails();
        assert_eq!(sent.len(), 1);
        let out = &sent[0];
        assert_eq!(header(out, "In-Reply-To"), Some("<a1@mail.example.com>"), "{out}");
        assert!(header(out, "To").unwrap().contains("ann@example.com"), "{out}");
        assert_eq!(header(out, "Subject"), Some("Re: Where is my order?"), "{out}");
        let our_id = header(out, "Message-ID").unwrap().trim_matches(['<', '>']).to_string();
        assert!(our_id.contains(&c1.simple().to_string()), "{our_id}");
        let reply_to = format!("support+{}@shop.example", c1.simple());
        assert!(header(out, "Reply-To").unwrap().contains(&reply_to), "{out}");
        assert!(out.contains("It ships today."), "{out}");
        assert!(out.contains("-- \r\nagent of mail\r\nShop Support"), "signature: {out}");
        assert!(out.contains("> Hello, order 1234 has not arrived."), "quoted: {out}");

        // A picture goes as an attachment of the mail.
        let pic = send_file(&agent, &c1.to_string(), "r-pic", "The label is attached.").await;
        delivery_until(&agent, &c1.to_string(), &pic, |d| d["status"] == "sent").await;
        let with_file = smtp.mails()[1].clone();
        assert!(with_file.contains("multipart/mixed"), "{with_file}");
        assert!(with_file.contains("filename=\"label.png\"") || with_file.contains("filename=label.png"), "{with_file}");
        assert!(with_file.contains("The label is attached."), "{with_file}");

        // The customer answers that mail: it joins the conversation.
        dovecot
            .deliver(&mail("a2@mail.example.com", "ann@example.com", "Re: Where is my order?",
                &format!("In-Reply-To: <{our_id}>\nReferences: <a1@mail.example.com> <{our_id}>\n"),
                "Thanks!\n\nOn Mon, Support wrote:\n> It ships today.")).await;
        // The same subject without a reference: another conversation, never merged.
        dovecot
            .deliver(&mail("a3@mail.example.com", "ann@example.com", "Where is my order?", "",
                "A different order, 5678.")).await;
        // A client that dropped the headers but wrote to the reply address: threaded.
        dovecot
            .deliver(&format!("From: ann@example.com\nTo: {reply_to}\nSubject: more\nMessage-ID: <a4@mail.example.com>\n\nAlso, gift wrap please.\n"))
            .await;
        // Someone else writing to that reply address: not in Ann's conversation.
        dovecot
            .deliver(&format!("From: mallory@evil.example\nTo: {reply_to}\nSubject: hi\nMessage-ID: <m1@evil.example>\n\nSend me Ann's address.\n"))
            .await;
        // An out-of-office reply opens nothing.
        dovecot
            .deliver(&mail("ooo@example.com", "ann@example.com", "Out of office", "Auto-Submitted: auto-replied\n", "Away."))
            .await;
        let r = fetch(&s, &o).await;
        assert_eq!((r["stored"].as_u64(), r["skipped"].as_u64()), (Some(4), Some(1)), "{r}");
        let conv = conversations(&s, &o).await;
        assert_eq!(conv.len(), 3, "{conv:?}");
        assert_eq!(conv[0].0, c1);
        assert_eq!(
            conv[0].1,
            vec![
                "Hello, order 1234 has not arrived.",
                "It ships today.",
                "The label is attached.",
                "Thanks!\n\nOn Mon, Support wrote:\n> It ships today.",
                "Also, gift wrap please."
            ]
        );
        // The desktop folds the quoted history of a mail away.
        let msgs = o.client(&s, Role::Agent).ok(&format!("/api/contacts/{c1}/messages")).await;
        let quoted: Vec<Value> = msgs["items"].as_array().unwrap().iter().map(|m| m["quoted_from"].clone()).collect();
        assert_eq!(quoted, vec![Value::Null, Value::Null, Value::Null, json!(7), Value::Null], "{msgs}");
        assert_eq!(conv[1].1, vec!["A different order, 5678."]);
        assert_eq!(conv[2].1, vec!["Send me Ann's address."]);

        // The raw-MIME ingress: refused without its secret (nothing stored), stored
        // once however often it is posted, and a picture kept as a file.
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
        let raw = format!(
            "From: Bo <bo@example.org>\r\nTo: {USER}\r\nSubject: Broken lamp\r\nMessage-ID: <b1@example.org>\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\n\
             Content-Type: text/plain\r\n\r\nIt arrived broken, photo attached.\r\n--XX\r\n\
             Content-Type: image/png; name=\"lamp.png\"\r\nContent-Disposition: attachment; filename=\"lamp.png\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{png}\r\n--XX--\r\n"
        );
        let post = |secret: String, body: String| {
            let url = format!("{}/api/webhooks/email/mail", s.base);
            async move {
                answer(
                    server::http_client()
                        .post(url)
                        .header("content-type", "message/rfc822")
                        .header("authorization", format!("Bearer {secret}"))
                        .body(body),
                )
                .await
            }
        };
        let forged = post("not-the-secret-at-all".into(), raw.clone()).await;
        assert_eq!(forged.status, 401, "{}", forged.text);
        assert_eq!(conversations(&s, &o).await.len(), 3);
        let garbage = post(ingress_secret.clone(), "\u{0}\u{1} not a mail".into()).await;
        assert_eq!(garbage.status, 422, "{}", garbage.text);
        let mut statuses = Vec::new();
        for _ in 0..5 {
            let a = post(ingress_secret.clone(), raw.clone()).await;
            assert_eq!(a.status, 200, "{}", a.text);
            statuses.push(a.body["status"].as_str().unwrap().to_string());
        }
        assert_eq!(statuses, ["stored", "duplicate", "duplicate", "duplicate", "duplicate"]);
        let conv = conversations(&s, &o).await;
        assert_eq!(conv.len(), 4);
        assert_eq!(conv[3].1, vec!["It arrived broken, photo attached.", "[file lamp.png]"]);
        let unknown = Client::new(&s.base, None)
            .raw("POST", "/api/webhooks/email/nobody", "message/rfc822", raw.into_bytes())
            .await;
        assert_eq!(unknown.status, 404);

        // The admin's Test logs in to both servers and sends nothing.
        let t = o.client(&s, Role::Admin).post("/api/channel-endpoints/email/test", &json!({})).await;
        assert_eq!(t.body["ok"], true, "{}", t.text);
        assert_eq!(smtp.mails().len(), 2);
        s
    })
    .await;
}

#[tokio::test]
async fn a_connection_cut_mid_fetch_and_a_renumbered_mailbox_lose_and_repeat_nothing() {
    each_backend(|s| async move {
        let dovecot = Dovecot::start().await;
        let smtp = SmtpSink::start().await;
        let proxy = CutProxy::start(dovecot.port).await;
        let o = seed_org(&s, "cut").await;
        set_up(&s, &o, proxy.port, &smtp).await;
        // Forty mails of 8 KB each (read twenty at a time), then a connection that drops
        // after 200 KB: in the second twenty.
        let filler = "All work and no play. ".repeat(370);
        for k in 0..40 {
            dovecot
                .deliver(&mail(
                    &format!("m{k}@x.example"),
                    &format!("c{k}@x.example"),
                    &format!("Question {k}"),
                    "",
                    &format!("question {k}\n{filler}"),
                ))
                .await;
        }
        proxy.cut_after.store(200_000, Ordering::SeqCst);
        let r = fetch(&s, &o).await;
        assert_eq!(r["ok"], false, "the cut ends the round: {r}");
        assert_eq!(proxy.cuts.load(Ordering::SeqCst), 1);
        let first = conversations(&s, &o).await.len();
        assert!(
            first > 0 && first < 40,
            "part was stored before the cut: {first}"
        );
        let r = fetch(&s, &o).await;
        assert_eq!(r["ok"], true, "{r}");
        let conv = conversations(&s, &o).await;
        assert_eq!(conv.len(), 40, "every mail once");
        let mut firsts: Vec<String> = conv
            .iter()
            .map(|(_, t)| t[0].lines().next().unwrap().to_string())
            .collect();
        firsts.sort();
        firsts.dedup();
        assert_eq!(firsts.len(), 40);
        assert!(conv.iter().all(|(_, t)| t.len() == 1), "no message twice");

        // The server renumbers the mailbox: the last day is read again, all known.
        dovecot.renumber().await;
        let r = fetch(&s, &o).await;
        assert_eq!(
            (
                r["ok"].as_bool(),
                r["stored"].as_u64(),
                r["duplicates"].as_u64()
            ),
            (Some(true), Some(0), Some(40)),
            "{r}"
        );
        assert_eq!(conversations(&s, &o).await.len(), 40);

        // A restart on the same data goes on from the last UID: the new mail once (the
        // poller or this round takes it), nothing again.
        let data = s.halt().await;
        let s = Server::start_with(data, server::Clock::System).await;
        dovecot
            .deliver(&mail(
                "late@x.example",
                "late@x.example",
                "Late",
                "",
                "one more",
            ))
            .await;
        let r = fetch(&s, &o).await;
        assert_eq!(
            (r["ok"].as_bool(), r["duplicates"].as_u64()),
            (Some(true), Some(0)),
            "{r}"
        );
        let conv = conversations(&s, &o).await;
        assert_eq!(conv.len(), 41);
        assert!(conv.iter().all(|(_, t)| t.len() == 1), "no message twice");
        s
    })
    .await;
}

#[tokio::test]
async fn replies_held_up_by_an_smtp_outage_and_a_restart_go_once() {
    each_backend_with(manual_clock(), |s| async move {
        let dovecot = Dovecot::start().await;
        let smtp = SmtpSink::start().await;
        let o = seed_org(&s, "outage").await;
        let ep = set_up(&s, &o, dovecot.port, &smtp).await;
        let secret = ep["secret"].as_str().unwrap().to_string();
        let raw = mail(
            "q1@example.net",
            "cy@example.net",
            "Refund",
            "",
            "When is my refund?",
        );
        let a = answer(
            server::http_client()
                .post(format!("{}/api/webhooks/email/outage", s.base))
                .header("authorization", format!("Bearer {secret}"))
                .body(raw),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.text);
        let contact: Uuid = a.body["contact_id"].as_str().unwrap().parse().unwrap();
        accept(&s, &o, contact).await;
        smtp.down.store(true, Ordering::SeqCst);
        let agent = o.client(&s, Role::Agent);
        let mut ids = Vec::new();
        for k in 0..5 {
            let r = agent
                .post(
                    &format!("/api/contacts/{contact}/messages"),
                    &json!({"client_id": format!("o{k}"), "text": format!("Update {k}")}),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.text);
            ids.push(r.body["id"].as_str().unwrap().to_string());
        }
        for id in &ids {
            let d = delivery_until(&agent, &contact.to_string(), id, |d| {
                d["attempts"].as_i64() >= Some(1)
            })
            .await;
            assert_eq!(d["status"], "queued", "{d}");
        }
        assert!(smtp.refused.load(Ordering::SeqCst) >= 5);
        // The server restarts during the outage; the outage ends; a minute passes.
        let data = s.halt().await;
        let s = Server::start_with(data, manual_clock()).await;
        smtp.down.store(false, Ordering::SeqCst);
        s.clock.advance(Duration::from_secs(61));
        s.state.wake_outbox();
        let agent = o.client(&s, Role::Agent);
        for id in &ids {
            delivery_until(&agent, &contact.to_string(), id, |d| d["status"] == "sent").await;
        }
        let mails = smtp.mails();
        assert_eq!(mails.len(), 5, "each reply once");
        for k in 0..5 {
            assert_eq!(
                mails
                    .iter()
                    .filter(|m| m.contains(&format!("Update {k}")))
                    .count(),
                1
            );
        }
        s
    })
    .await;
}
