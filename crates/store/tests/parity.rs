//! One suite, both backends: every test runs on SQLite (temp dir) and on PostgreSQL (its
//! own schema per test). PostgreSQL is at `HOMESHORE_TEST_PG`, default
//! `postgres://postgres@127.0.0.1:5432/test`. When it is unreachable the PostgreSQL half
//! is skipped with a loud message, unless `CI` is set: in CI it must run.

use std::future::Future;

use serde_json::json;
use store::*;
use uuid::Uuid;

pub fn pg_url() -> String {
    std::env::var("HOMESHORE_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// Runs `f` against a fresh SQLite store and a fresh PostgreSQL schema.
async fn each<F, Fut>(f: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
    f(Db::Sqlite(sqlite)).await;

    let schema = format!("t_{}", Uuid::new_v4().simple());
    match PgStore::connect(&pg_url(), Some(&schema)).await {
        Ok(pg) => {
            f(Db::Postgres(pg.clone())).await;
            pg.close().await;
            let _ = PgStore::drop_schema(&pg_url(), &schema).await;
        }
        Err(e) => {
            if std::env::var_os("CI").is_some() {
                panic!("PostgreSQL unreachable in CI ({e}): the parity suite must run on it");
            }
            eprintln!(
                "\n!!!!!!!! SKIPPING the PostgreSQL half: {e}\n!!!!!!!! start it with `bash scripts/services.sh`\n"
            );
        }
    }
}

fn org(slug: &str) -> Org {
    Org {
        id: new_id(),
        slug: format!("{slug}-{}", Uuid::new_v4().simple()),
        name: slug.to_string(),
        mfa_required: false,
        created_at: now(),
    }
}

fn user(org: Uuid, email: &str, role: Role) -> User {
    User {
        id: new_id(),
        org_id: org,
        email: email.to_string(),
        name: email.to_string(),
        role,
        password_hash: "$argon2id$fake".into(),
        totp_secret: None,
        totp_enabled: false,
        recovery_codes: vec!["h1".into(), "h2".into()],
        failed_logins: 0,
        locked_until: None,
        disabled: false,
        created_at: now(),
        updated_at: now(),
    }
}

fn contact(org: Uuid) -> Contact {
    let t = now();
    Contact {
        id: new_id(),
        org_id: org,
        channel: store::Channel::Chat,
        queue_id: Some(new_id()),
        status: ContactStatus::Waiting,
        customer_id: None,
        agent_id: None,
        topic: Some("billing".into()),
        enqueued_at: t,
        accepted_at: None,
        ended_at: None,
        closed_at: None,
        wrapup_code: None,
        wrapup_notes: None,
        last_seq: 0,
        customer_read_seq: 0,
        agent_read_seq: 0,
        data: json!({"token_hash": "abc"}),
        created_at: t,
        updated_at: t,
    }
}

fn message(c: &Contact, seq: i64, client_id: Option<&str>) -> Message {
    Message {
        id: new_id(),
        org_id: c.org_id,
        contact_id: c.id,
        seq,
        sender: Sender::Customer,
        author_id: None,
        author_name: Some("Ann".into()),
        text: Some(format!("hello {seq}")),
        attachment: None,
        internal: false,
        client_id: client_id.map(str::to_string),
        at: now(),
        template: None,
        pii: Vec::new(),
    }
}

#[tokio::test]
async fn orgs_and_users_round_trip_and_stay_in_their_org() {
    each(|db| async move {
        let a = org("a");
        let b = org("b");
        let u = user(a.id, "ann@example.com", Role::Admin);
        db.commit(vec![
            Change::PutOrg(a.clone()),
            Change::PutOrg(b.clone()),
            Change::PutUser(u.clone()),
        ])
        .await
        .unwrap();
        assert_eq!(db.get_org(a.id).await.unwrap(), Some(a.clone()));
        assert_eq!(db.get_org_by_slug(&b.slug).await.unwrap(), Some(b.clone()));
        assert_eq!(db.get_user(a.id, u.id).await.unwrap(), Some(u.clone()));
        assert_eq!(
            db.get_user_by_email(a.id, "ann@example.com").await.unwrap(),
            Some(u.clone())
        );
        // Another organisation sees nothing.
        assert_eq!(db.get_user(b.id, u.id).await.unwrap(), None);
        assert_eq!(
            db.get_user_by_email(b.id, "ann@example.com").await.unwrap(),
            None
        );
        assert!(
            db.list_users(b.id, PageRequest::default())
                .await
                .unwrap()
                .items
                .is_empty()
        );
        // An update through another organisation's id changes nothing.
        let mut hijack = u.clone();
        hijack.org_id = b.id;
        hijack.role = Role::Agent;
        db.commit(vec![Change::PutUser(hijack)]).await.unwrap();
        assert_eq!(
            db.get_user(a.id, u.id).await.unwrap().unwrap().role,
            Role::Admin
        );
        // Same email twice in one org is a conflict.
        let dup = user(a.id, "ann@example.com", Role::Agent);
        let err = db.commit(vec![Change::PutUser(dup)]).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn events_get_increasing_sequence_numbers_in_submission_order() {
    each(|db| async move {
        let a = org("ev");
        let b = org("ev2");
        db.commit(vec![Change::PutOrg(a.clone()), Change::PutOrg(b.clone())])
            .await
            .unwrap();
        let start = db
            .read_events(0, 1000)
            .await
            .unwrap()
            .last()
            .map(|e| e.seq)
            .unwrap_or(0);
        // Submitted back to back without waiting: they land in one or a few transactions,
        // and the log keeps the submission order.
        let mut pending = Vec::new();
        for i in 0..300 {
            let o = if i % 3 == 0 { b.id } else { a.id };
            pending.push(db.submit(vec![Change::Event(NewEvent {
                org_id: o,
                at: now(),
                kind: "test".into(),
                data: json!({"i": i}),
            })]));
        }
        let mut seqs = Vec::new();
        for p in pending {
            seqs.push(p.await.unwrap().event_seqs[0]);
        }
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
        let all: Vec<Event> = db
            .read_events(start, 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == "test")
            .collect();
        assert_eq!(all.len(), 300);
        for (i, e) in all.iter().enumerate() {
            assert_eq!(e.data, json!({"i": i}));
        }
        let only_b = db.read_org_events(b.id, 0, 1000).await.unwrap();
        assert_eq!(only_b.len(), 100);
        assert!(only_b.iter().all(|e| e.org_id == b.id));
        // Newest first, one kind, before a given seq, paged.
        db.commit(vec![Change::Event(NewEvent {
            org_id: b.id,
            at: now(),
            kind: "other".into(),
            data: json!({}),
        })])
        .await
        .unwrap();
        let page = db
            .read_org_events_of_kind(b.id, "test", i64::MAX, 30)
            .await
            .unwrap();
        assert_eq!(page.len(), 30);
        assert!(page.windows(2).all(|w| w[0].seq > w[1].seq));
        assert!(page.iter().all(|e| e.kind == "test" && e.org_id == b.id));
        assert_eq!(page[0].data, json!({"i": 297}));
        let rest = db
            .read_org_events_of_kind(b.id, "test", page[29].seq, 1000)
            .await
            .unwrap();
        assert_eq!(rest.len(), 70);
        assert_eq!(rest.last().unwrap().data, json!({"i": 0}));
    })
    .await;
}

#[tokio::test]
async fn one_conflicting_submission_fails_alone() {
    each(|db| async move {
        let a = org("cf");
        let c = contact(a.id);
        db.commit(vec![
            Change::PutOrg(a.clone()),
            Change::PutContact(c.clone()),
        ])
        .await
        .unwrap();
        db.commit(vec![Change::PutMessage(message(&c, 1, Some("k1")))])
            .await
            .unwrap();
        // Three submissions queued together; the middle one reuses a client id.
        let p1 = db.submit(vec![Change::PutMessage(message(&c, 2, Some("k2")))]);
        let p2 = db.submit(vec![
            Change::Event(NewEvent {
                org_id: a.id,
                at: now(),
                kind: "should-vanish".into(),
                data: json!({}),
            }),
            Change::PutMessage(message(&c, 3, Some("k1"))),
        ]);
        let p3 = db.submit(vec![Change::PutMessage(message(&c, 3, Some("k3")))]);
        assert!(p1.await.is_ok());
        assert!(matches!(p2.await, Err(StoreError::Conflict(_))));
        assert!(p3.await.is_ok());
        let msgs = db.list_messages(a.id, c.id, 0, 100).await.unwrap();
        let ids: Vec<_> = msgs.iter().map(|m| m.client_id.clone().unwrap()).collect();
        assert_eq!(ids, ["k1", "k2", "k3"]);
        // The failed submission's event is not in the log either: all or nothing.
        let evs = db.read_org_events(a.id, 0, 100).await.unwrap();
        assert!(evs.iter().all(|e| e.kind != "should-vanish"));
        assert_eq!(
            db.get_message_by_client_id(a.id, c.id, "k2")
                .await
                .unwrap()
                .map(|m| m.seq),
            Some(2)
        );
        assert_eq!(db.list_messages(a.id, c.id, 2, 100).await.unwrap().len(), 1);
    })
    .await;
}

/// After a fenced submission fails, later ones with the same fence are refused unwritten
/// (they were computed from the failed one's state); other organisations and a new epoch
/// go on.
#[tokio::test]
async fn a_failed_fenced_write_refuses_the_writes_computed_after_it() {
    each(|db| async move {
        let (a, b) = (org("fa"), org("fb"));
        let (ca, cb) = (contact(a.id), contact(b.id));
        db.commit(vec![
            Change::PutOrg(a.clone()),
            Change::PutOrg(b.clone()),
            Change::PutContact(ca.clone()),
            Change::PutContact(cb.clone()),
        ])
        .await
        .unwrap();
        db.commit(vec![Change::PutMessage(message(&ca, 1, Some("k1")))])
            .await
            .unwrap();
        let fa = Some(Fence {
            org: a.id,
            epoch: 1,
        });
        let fb = Some(Fence {
            org: b.id,
            epoch: 1,
        });
        // Queued together: the first fails (a reused client id), the second depends on it.
        let p1 = db.submit_fenced(fa, vec![Change::PutMessage(message(&ca, 2, Some("k1")))]);
        let p2 = db.submit_fenced(fa, vec![Change::PutMessage(message(&ca, 3, Some("k3")))]);
        let p3 = db.submit_fenced(fb, vec![Change::PutMessage(message(&cb, 1, Some("k1")))]);
        assert!(matches!(p1.await, Err(StoreError::Conflict(_))));
        assert!(matches!(p2.await, Err(StoreError::Fenced(_))));
        assert!(p3.await.is_ok(), "another organisation is not fenced");
        // Also later, in a batch of its own.
        let p4 = db.submit_fenced(fa, vec![Change::PutMessage(message(&ca, 2, Some("k2")))]);
        assert!(matches!(p4.await, Err(StoreError::Fenced(_))));
        let seqs: Vec<i64> = db
            .list_messages(a.id, ca.id, 0, 100)
            .await
            .unwrap()
            .iter()
            .map(|m| m.seq)
            .collect();
        assert_eq!(seqs, [1], "nothing after the failure was written");
        // Rebuilt: the next epoch writes again.
        let next = Some(Fence {
            org: a.id,
            epoch: 2,
        });
        db.submit_fenced(next, vec![Change::PutMessage(message(&ca, 2, Some("k2")))])
            .await
            .unwrap();
        assert_eq!(
            db.list_messages(a.id, ca.id, 0, 100).await.unwrap().len(),
            2
        );
    })
    .await;
}

#[tokio::test]
async fn contacts_round_trip_filter_and_paginate() {
    each(|db| async move {
        let a = org("ct");
        let b = org("ct2");
        db.commit(vec![Change::PutOrg(a.clone()), Change::PutOrg(b.clone())])
            .await
            .unwrap();
        let mut cs = Vec::new();
        for i in 0..5 {
            let mut c = contact(a.id);
            if i % 2 == 1 {
                c.status = ContactStatus::Active;
                c.agent_id = Some(new_id());
                c.accepted_at = Some(now());
            }
            cs.push(c);
        }
        db.commit(cs.iter().cloned().map(Change::PutContact).collect())
            .await
            .unwrap();
        assert_eq!(
            db.get_contact(a.id, cs[1].id).await.unwrap(),
            Some(cs[1].clone())
        );
        assert_eq!(db.get_contact(b.id, cs[1].id).await.unwrap(), None);
        let waiting = db
            .list_contacts(
                a.id,
                &ContactFilter {
                    status: Some(ContactStatus::Waiting),
                    ..Default::default()
                },
                PageRequest::default(),
            )
            .await
            .unwrap();
        assert_eq!(waiting.items.len(), 3);
        // Pages of two, by cursor.
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = db
                .list_contacts(
                    a.id,
                    &ContactFilter::default(),
                    PageRequest { after, limit: 2 },
                )
                .await
                .unwrap();
            seen.extend(page.items.iter().map(|c| c.id));
            match page.next_cursor {
                Some(c) => after = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, cs.iter().map(|c| c.id).collect::<Vec<_>>());
        // Close one: it leaves the open list.
        let mut closed = cs[0].clone();
        closed.status = ContactStatus::Closed;
        closed.closed_at = Some(now());
        db.commit(vec![Change::PutContact(closed)]).await.unwrap();
        let open = db.list_open_contacts().await.unwrap();
        assert!(open.iter().all(|c| c.id != cs[0].id));
        assert!(open.iter().any(|c| c.id == cs[1].id));
    })
    .await;
}

#[tokio::test]
async fn objects_customers_sessions_tokens_attachments_idempotency() {
    each(|db| async move {
        let a = org("ob");
        let b = org("ob2");
        let u = user(a.id, "bob@example.com", Role::Agent);
        db.commit(vec![
            Change::PutOrg(a.clone()),
            Change::PutOrg(b.clone()),
            Change::PutUser(u.clone()),
        ])
        .await
        .unwrap();

        // Objects: unique name per kind, scoped listing.
        let q = Object {
            id: new_id(),
            org_id: a.id,
            kind: ObjectKind::Queue,
            name: "Support".into(),
            data: json!({"priority": 1}),
            created_at: now(),
            updated_at: now(),
        };
        db.commit(vec![Change::PutObject(q.clone())]).await.unwrap();
        let mut dup = q.clone();
        dup.id = new_id();
        assert!(matches!(
            db.commit(vec![Change::PutObject(dup)]).await,
            Err(StoreError::Conflict(_))
        ));
        let mut skill = q.clone();
        skill.id = new_id();
        skill.kind = ObjectKind::Skill;
        db.commit(vec![Change::PutObject(skill)]).await.unwrap();
        assert_eq!(
            db.get_object(a.id, ObjectKind::Queue, q.id).await.unwrap(),
            Some(q.clone())
        );
        assert_eq!(
            db.get_object(a.id, ObjectKind::Skill, q.id).await.unwrap(),
            None
        );
        assert_eq!(
            db.get_object(b.id, ObjectKind::Queue, q.id).await.unwrap(),
            None
        );
        assert_eq!(
            db.list_objects(a.id, ObjectKind::Queue, PageRequest::default())
                .await
                .unwrap()
                .items,
            vec![q.clone()]
        );
        // Deleting through another org does nothing.
        db.commit(vec![Change::DeleteObject {
            org_id: b.id,
            kind: ObjectKind::Queue,
            id: q.id,
        }])
        .await
        .unwrap();
        assert!(
            db.get_object(a.id, ObjectKind::Queue, q.id)
                .await
                .unwrap()
                .is_some()
        );
        db.commit(vec![Change::DeleteObject {
            org_id: a.id,
            kind: ObjectKind::Queue,
            id: q.id,
        }])
        .await
        .unwrap();
        assert!(
            db.get_object(a.id, ObjectKind::Queue, q.id)
                .await
                .unwrap()
                .is_none()
        );

        // Customers and identities.
        let cu = Customer {
            id: new_id(),
            org_id: a.id,
            name: "Carol".into(),
            email: Some("carol@example.com".into()),
            data: json!({}),
            created_at: now(),
        };
        let id1 = Identity {
            id: new_id(),
            org_id: a.id,
            customer_id: cu.id,
            kind: "email".into(),
            value: "carol@example.com".into(),
            sealed: Some("enc:k1:sealed-carol".into()),
            created_at: now(),
        };
        db.commit(vec![
            Change::PutCustomer(cu.clone()),
            Change::PutIdentity(id1.clone()),
        ])
        .await
        .unwrap();
        assert_eq!(
            db.get_customer(a.id, cu.id).await.unwrap(),
            Some(cu.clone())
        );
        assert_eq!(
            db.find_identity(a.id, "email", "carol@example.com")
                .await
                .unwrap(),
            Some(id1.clone())
        );
        assert_eq!(
            db.find_identity(b.id, "email", "carol@example.com")
                .await
                .unwrap(),
            None
        );
        assert_eq!(db.list_identities(a.id, cu.id).await.unwrap(), vec![id1]);

        // Sessions: log out everywhere removes all of one user's.
        let t0 = now();
        let s = |h: &str| Session {
            token_hash: h.into(),
            org_id: a.id,
            user_id: u.id,
            csrf_token: "csrf".into(),
            created_at: t0,
            last_seen_at: t0,
            expires_at: t0 + time::Duration::hours(12),
            // One signed in through an identity provider that reported a second factor.
            idp_mfa: h.starts_with("s2"),
        };
        let h1 = format!("s1-{}", Uuid::new_v4());
        let h2 = format!("s2-{}", Uuid::new_v4());
        db.commit(vec![Change::PutSession(s(&h1)), Change::PutSession(s(&h2))])
            .await
            .unwrap();
        assert_eq!(db.get_session(&h1).await.unwrap(), Some(s(&h1)));
        assert_eq!(db.get_session(&h2).await.unwrap(), Some(s(&h2)));
        assert!(s(&h2).idp_mfa && !s(&h1).idp_mfa);
        db.commit(vec![Change::DeleteSession {
            token_hash: h1.clone(),
        }])
        .await
        .unwrap();
        assert!(db.get_session(&h1).await.unwrap().is_none());
        assert!(db.get_session(&h2).await.unwrap().is_some());
        db.commit(vec![Change::DeleteUserSessions {
            org_id: a.id,
            user_id: u.id,
        }])
        .await
        .unwrap();
        assert!(db.get_session(&h2).await.unwrap().is_none());

        // API tokens.
        let t = ApiToken {
            id: new_id(),
            org_id: a.id,
            user_id: u.id,
            name: "crm".into(),
            token_hash: format!("th-{}", Uuid::new_v4()),
            scopes: vec!["read".into()],
            created_at: now(),
            last_used_at: None,
            revoked: false,
            expires_at: None,
            created_by: None,
        };
        db.commit(vec![Change::PutApiToken(t.clone())])
            .await
            .unwrap();
        assert_eq!(
            db.get_api_token(&t.token_hash).await.unwrap(),
            Some(t.clone())
        );
        assert_eq!(db.list_api_tokens(a.id).await.unwrap(), vec![t.clone()]);
        assert!(db.list_api_tokens(b.id).await.unwrap().is_empty());

        // Attachments.
        let c = contact(a.id);
        let meta = Attachment {
            id: new_id(),
            org_id: a.id,
            contact_id: c.id,
            name: "a.png".into(),
            content_type: "image/png".into(),
            size: 4,
            sha256: "00".into(),
            created_at: now(),
        };
        db.commit(vec![
            Change::PutContact(c.clone()),
            Change::PutAttachment {
                meta: meta.clone(),
                data: vec![1, 2, 3, 4],
            },
        ])
        .await
        .unwrap();
        assert_eq!(
            db.get_attachment(a.id, meta.id).await.unwrap(),
            Some(meta.clone())
        );
        assert_eq!(
            db.attachment_data(a.id, meta.id).await.unwrap(),
            Some(vec![1, 2, 3, 4])
        );
        assert_eq!(db.attachment_data(b.id, meta.id).await.unwrap(), None);

        // Idempotency keys: a key is stored once.
        let rec = IdempotencyRecord {
            org_id: a.id,
            key: "k".into(),
            request_hash: "h".into(),
            status: 201,
            body: json!({"id": 1}),
            created_at: now(),
        };
        db.commit(vec![Change::PutIdempotency(rec.clone())])
            .await
            .unwrap();
        assert!(matches!(
            db.commit(vec![Change::PutIdempotency(rec.clone())]).await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(db.get_idempotency(a.id, "k").await.unwrap(), Some(rec));
        assert_eq!(db.get_idempotency(b.id, "k").await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn times_read_back_equal() {
    each(|db| async move {
        let a = org("tm");
        db.commit(vec![Change::PutOrg(a.clone())]).await.unwrap();
        let got = db.get_org(a.id).await.unwrap().unwrap();
        assert_eq!(got.created_at, a.created_at);
    })
    .await;
}

#[tokio::test]
async fn concurrent_submitters_all_commit() {
    each(|db| async move {
        let a = org("cc");
        db.commit(vec![Change::PutOrg(a.clone())]).await.unwrap();
        let mut tasks = Vec::new();
        for t in 0..16 {
            let db = db.clone();
            let org = a.id;
            tasks.push(tokio::spawn(async move {
                for i in 0..50 {
                    db.commit(vec![Change::Event(NewEvent {
                        org_id: org,
                        at: now(),
                        kind: "c".into(),
                        data: json!({"t": t, "i": i}),
                    })])
                    .await
                    .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let evs = db.read_org_events(a.id, 0, 1000).await.unwrap();
        assert_eq!(evs.len(), 800);
    })
    .await;
}

fn delivery(m: &Message, channel: Channel, next: Option<i64>) -> Delivery {
    Delivery {
        message_id: m.id,
        org_id: m.org_id,
        contact_id: m.contact_id,
        seq: m.seq,
        channel,
        status: DeliveryStatus::Queued,
        attempts: 0,
        next_attempt_ms: next,
        provider_message_id: None,
        error: None,
        created_at: now(),
        updated_at: now(),
    }
}

#[tokio::test]
async fn the_outbox_lists_what_is_due_and_keeps_each_organisation_apart() {
    each(|db| async move {
        let a = org("oa");
        let b = org("ob");
        let ca = contact(a.id);
        let cb = contact(b.id);
        let (m1, m2, m3) = (
            message(&ca, 1, None),
            message(&ca, 2, None),
            message(&cb, 1, None),
        );
        db.commit(vec![
            Change::PutOrg(a.clone()),
            Change::PutOrg(b.clone()),
            Change::PutContact(ca.clone()),
            Change::PutContact(cb.clone()),
            Change::PutMessage(m1.clone()),
            Change::PutMessage(m2.clone()),
            Change::PutMessage(m3.clone()),
            Change::PutDelivery(delivery(&m1, Channel::Sms, Some(1_000))),
            Change::PutDelivery(delivery(&m2, Channel::Sms, Some(5_000))),
            Change::PutDelivery(delivery(&m3, Channel::Chat, Some(500))),
        ])
        .await
        .unwrap();
        assert_eq!(db.next_delivery_due().await.unwrap(), Some(500));
        let due: Vec<Uuid> = db
            .list_due_deliveries(1_000, 10)
            .await
            .unwrap()
            .iter()
            .map(|d| d.message_id)
            .collect();
        assert_eq!(due, vec![m3.id, m1.id], "soonest first, not later ones");

        // A transport's answer replaces the row: sent, with the provider's id, and
        // nothing more to send.
        let mut d1 = db.get_delivery(a.id, m1.id).await.unwrap().unwrap();
        d1.status = DeliveryStatus::Sent;
        d1.attempts = 1;
        d1.next_attempt_ms = None;
        d1.provider_message_id = Some("SM123".into());
        db.commit(vec![Change::PutDelivery(d1.clone())])
            .await
            .unwrap();
        assert_eq!(
            db.get_delivery(a.id, m1.id).await.unwrap(),
            Some(d1.clone())
        );
        assert_eq!(
            db.find_delivery_by_provider_id(a.id, Channel::Sms, "SM123")
                .await
                .unwrap()
                .map(|d| d.message_id),
            Some(m1.id)
        );
        // Scoped: another organisation cannot read or overwrite it.
        assert_eq!(db.get_delivery(b.id, m1.id).await.unwrap(), None);
        assert_eq!(
            db.find_delivery_by_provider_id(b.id, Channel::Sms, "SM123")
                .await
                .unwrap(),
            None
        );
        let mut forged = d1.clone();
        forged.org_id = b.id;
        forged.status = DeliveryStatus::Failed;
        db.commit(vec![Change::PutDelivery(forged)]).await.unwrap();
        assert_eq!(
            db.get_delivery(a.id, m1.id).await.unwrap().unwrap().status,
            DeliveryStatus::Sent
        );
        let listed: Vec<i64> = db
            .list_deliveries(a.id, ca.id, 0)
            .await
            .unwrap()
            .iter()
            .map(|d| d.seq)
            .collect();
        assert_eq!(listed, vec![1, 2]);
        assert_eq!(db.list_deliveries(a.id, ca.id, 1).await.unwrap().len(), 1);
        let due: Vec<Uuid> = db
            .list_due_deliveries(10_000, 10)
            .await
            .unwrap()
            .iter()
            .map(|d| d.message_id)
            .collect();
        assert_eq!(due, vec![m3.id, m2.id]);
    })
    .await;
}

#[tokio::test]
async fn a_delivery_never_moves_back() {
    each(|db| async move {
        let a = org("ob2");
        let c = contact(a.id);
        let m = message(&c, 1, None);
        let mut d = delivery(&m, Channel::Whatsapp, Some(1));
        db.commit(vec![
            Change::PutOrg(a.clone()),
            Change::PutContact(c.clone()),
            Change::PutMessage(m.clone()),
            Change::PutDelivery(d.clone()),
        ])
        .await
        .unwrap();
        // The provider's "delivered" receipt lands before the transport records "sent".
        d.status = DeliveryStatus::Delivered;
        d.next_attempt_ms = None;
        db.commit(vec![Change::PutDelivery(d.clone())])
            .await
            .unwrap();
        let mut late = d.clone();
        late.status = DeliveryStatus::Sent;
        late.provider_message_id = Some("wamid.1".into());
        db.commit(vec![Change::PutDelivery(late)]).await.unwrap();
        let mut failed = d.clone();
        failed.status = DeliveryStatus::Failed;
        db.commit(vec![Change::PutDelivery(failed)]).await.unwrap();
        assert_eq!(
            db.get_delivery(a.id, m.id).await.unwrap().unwrap().status,
            DeliveryStatus::Delivered
        );
        d.status = DeliveryStatus::Read;
        db.commit(vec![Change::PutDelivery(d.clone())])
            .await
            .unwrap();
        assert_eq!(db.get_delivery(a.id, m.id).await.unwrap(), Some(d));
    })
    .await;
}

#[tokio::test]
async fn lists_committed_together_leave_what_they_would_one_by_one() {
    // Submitted without waiting, these lists share one transaction, where the writer
    // gathers each hot table's rows into one statement; the outcome must be the same as
    // applying them in order.
    each(|db| async move {
        let a = org("batch");
        db.commit(vec![Change::PutOrg(a.clone())]).await.unwrap();
        let start = db
            .read_events(0, 100_000)
            .await
            .unwrap()
            .last()
            .map_or(0, |e| e.seq);
        let mut c = contact(a.id);
        let m1 = message(&c, 1, None);
        let m2 = message(&c, 2, None);
        let mut d = delivery(&m1, Channel::Sms, Some(1));
        let ev = |i: i64| {
            Change::Event(NewEvent {
                org_id: a.id,
                at: now(),
                kind: "batch".into(),
                data: json!({"i": i}),
            })
        };
        let mut lists = vec![vec![
            Change::PutContact(c.clone()),
            Change::PutMessage(m1.clone()),
            Change::PutDelivery(d.clone()),
            ev(0),
        ]];
        c.last_seq = 2;
        lists.push(vec![
            Change::PutContact(c.clone()),
            Change::PutMessage(m2.clone()),
            ev(1),
        ]);
        d.status = DeliveryStatus::Delivered;
        lists.push(vec![Change::PutDelivery(d.clone()), ev(2)]);
        let mut late = d.clone();
        late.status = DeliveryStatus::Sent;
        lists.push(vec![Change::PutDelivery(late), ev(3)]);
        // The same contact twice in one list: the second wins.
        c.topic = Some("first".into());
        let first = c.clone();
        c.topic = Some("second".into());
        lists.push(vec![
            Change::PutContact(first),
            ev(4),
            Change::PutContact(c.clone()),
            ev(5),
        ]);
        let pending: Vec<_> = lists.into_iter().map(|l| db.submit(l)).collect();
        let mut seqs = Vec::new();
        for p in pending {
            seqs.extend(p.await.unwrap().event_seqs);
        }
        assert_eq!(seqs.len(), 6);
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
        assert_eq!(db.get_contact(a.id, c.id).await.unwrap(), Some(c.clone()));
        let got = db.list_messages(a.id, c.id, 0, 10).await.unwrap();
        assert_eq!(got, vec![m1.clone(), m2]);
        assert_eq!(
            db.get_delivery(a.id, m1.id).await.unwrap().unwrap().status,
            DeliveryStatus::Delivered
        );
        let order: Vec<i64> = db
            .read_events(start, 100_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.org_id == a.id && e.kind == "batch")
            .map(|e| e.data["i"].as_i64().unwrap())
            .collect();
        assert_eq!(order, vec![0, 1, 2, 3, 4, 5]);
    })
    .await;
}

#[tokio::test]
async fn data_keys_reseals_and_erasures_with_their_counts() {
    each(|db| async move {
        let o = org("keys");
        let other = org("keys-other");
        db.commit(vec![
            Change::PutOrg(o.clone()),
            Change::PutOrg(other.clone()),
        ])
        .await
        .unwrap();
        let key = |org: Uuid, id: i32, w: &str| DataKey {
            org_id: org,
            key_id: id,
            wrapped: w.into(),
            created_at: now(),
        };
        db.commit(vec![Change::PutDataKey(key(o.id, 1, "w1"))])
            .await
            .unwrap();
        // A second key 1 (another process made it first) is a conflict.
        let again = db.commit(vec![Change::PutDataKey(key(o.id, 1, "x"))]).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        db.commit(vec![
            Change::PutDataKey(key(o.id, 2, "w2")),
            Change::RewrapDataKey(key(o.id, 1, "w1-rewrapped")),
        ])
        .await
        .unwrap();
        let keys = db.list_data_keys(o.id).await.unwrap();
        assert_eq!(
            keys.iter()
                .map(|k| (k.key_id, k.wrapped.as_str()))
                .collect::<Vec<_>>(),
            vec![(1, "w1-rewrapped"), (2, "w2")]
        );
        assert!(db.list_data_keys(other.id).await.unwrap().is_empty());

        let cust = Customer {
            id: new_id(),
            org_id: o.id,
            name: "Ann".into(),
            email: None,
            data: json!({}),
            created_at: now(),
        };
        let mut gone = contact(o.id);
        gone.customer_id = Some(cust.id);
        gone.status = ContactStatus::Closed;
        gone.closed_at = Some(now());
        let kept = contact(o.id);
        let m1 = message(&gone, 1, None);
        let m2 = message(&kept, 1, None);
        let att = Attachment {
            id: new_id(),
            org_id: o.id,
            contact_id: gone.id,
            name: "a.pdf".into(),
            content_type: "application/pdf".into(),
            size: 3,
            sha256: "x".into(),
            created_at: now(),
        };
        db.commit(vec![
            Change::PutCustomer(cust.clone()),
            Change::PutIdentity(Identity {
                id: new_id(),
                org_id: o.id,
                customer_id: cust.id,
                kind: "email".into(),
                value: "ann@example.org".into(),
                sealed: None,
                created_at: now(),
            }),
            Change::PutContact(gone.clone()),
            Change::PutContact(kept.clone()),
            Change::PutMessage(m1.clone()),
            Change::PutMessage(m2.clone()),
            Change::PutAttachment {
                meta: att.clone(),
                data: b"pdf".to_vec(),
            },
            Change::PutIdempotency(IdempotencyRecord {
                org_id: o.id,
                key: "k1".into(),
                request_hash: "h".into(),
                status: 201,
                body: json!({"id": gone.id}),
                created_at: now(),
            }),
        ])
        .await
        .unwrap();
        let texts = db.list_message_texts(o.id, None, 10).await.unwrap();
        assert_eq!(texts.len(), 2);
        let closed = db.list_closed_contacts(o.id).await.unwrap();
        assert_eq!(
            closed.iter().map(|c| c.0).collect::<Vec<_>>(),
            vec![gone.id]
        );
        db.commit(vec![
            Change::ResealMessage {
                org_id: o.id,
                id: m2.id,
                text: Some("sealed".into()),
                author_name: None,
            },
            Change::ResealAttachment {
                org_id: o.id,
                id: att.id,
                data: b"sealed-bytes".to_vec(),
            },
        ])
        .await
        .unwrap();
        let m = db.list_messages(o.id, kept.id, 0, 10).await.unwrap();
        assert_eq!(m[0].text.as_deref(), Some("sealed"));
        assert_eq!(
            db.attachment_data(o.id, att.id).await.unwrap().unwrap(),
            b"sealed-bytes"
        );
        assert_eq!(
            db.list_attachment_ids(o.id, None, 10).await.unwrap(),
            vec![att.id]
        );

        // Personal data sealed in place: a customer, an identity, and a contact's data
        // only while it still is what was read (the second write read a stale `before`).
        let idents = db.list_all_identities(o.id, None, 10).await.unwrap();
        assert_eq!(idents.len(), 1);
        assert_eq!(db.list_unsealed_identities(o.id, 10).await.unwrap(), idents);
        assert_eq!(db.list_customers(o.id, None, 10).await.unwrap().len(), 1);
        let data = db.list_contact_data(o.id, None, 10).await.unwrap();
        let (cid, before) = data.iter().find(|(id, _)| *id == kept.id).unwrap().clone();
        db.commit(vec![
            Change::ResealCustomer {
                org_id: o.id,
                id: cust.id,
                name: "sealed-name".into(),
                email: None,
                data: json!("sealed-data"),
            },
            Change::ResealIdentity {
                org_id: o.id,
                id: idents[0].id,
                kind: "email".into(),
                value: "bi:x".into(),
                sealed: "sealed-value".into(),
            },
            Change::ResealContactData {
                org_id: o.id,
                id: cid,
                before: before.clone(),
                data: json!({"customer_name": "sealed"}),
            },
            Change::ResealContactData {
                org_id: o.id,
                id: cid,
                before,
                data: json!({"customer_name": "stale"}),
            },
        ])
        .await
        .unwrap();
        let c = db.get_customer(o.id, cust.id).await.unwrap().unwrap();
        assert_eq!(
            (c.name.as_str(), c.email, c.data),
            ("sealed-name", None, json!("sealed-data"))
        );
        let i = db
            .find_identity(o.id, "email", "bi:x")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            i.sealed.as_deref(),
            Some("sealed-value"),
            "found at once by its new value"
        );
        assert!(
            db.list_unsealed_identities(o.id, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            db.get_contact(o.id, cid).await.unwrap().unwrap().data,
            json!({"customer_name": "sealed"})
        );

        // Another organisation's erasure touches nothing here.
        let none = db
            .commit(vec![Change::EraseCustomer {
                org_id: other.id,
                customer_id: cust.id,
            }])
            .await
            .unwrap();
        assert!(
            none.erased.iter().all(|(_, n)| *n == 0),
            "{:?}",
            none.erased
        );
        let done = db
            .commit(vec![Change::EraseCustomer {
                org_id: o.id,
                customer_id: cust.id,
            }])
            .await
            .unwrap();
        let count = |t: &str| done.erased.iter().find(|(x, _)| *x == t).map(|x| x.1);
        assert_eq!(count("customers"), Some(1));
        assert_eq!(count("identities"), Some(1));
        assert_eq!(count("contacts"), Some(1));
        assert_eq!(count("messages"), Some(1));
        assert_eq!(count("attachments"), Some(1));
        assert_eq!(count("idempotency_keys"), Some(1));
        assert!(db.get_customer(o.id, cust.id).await.unwrap().is_none());
        assert!(db.get_contact(o.id, gone.id).await.unwrap().is_none());
        assert!(db.get_idempotency(o.id, "k1").await.unwrap().is_none());
        assert!(
            db.find_identity(o.id, "email", "ann@example.org")
                .await
                .unwrap()
                .is_none()
        );
        // The other contact and its message stay.
        assert!(db.get_contact(o.id, kept.id).await.unwrap().is_some());
        assert_eq!(
            db.list_messages(o.id, kept.id, 0, 10).await.unwrap().len(),
            1
        );
        let by_contacts = db
            .commit(vec![Change::EraseContacts {
                org_id: o.id,
                contact_ids: vec![kept.id],
            }])
            .await
            .unwrap();
        assert!(by_contacts.erased.contains(&("contacts", 1)));
        assert!(by_contacts.erased.contains(&("messages", 1)));
        assert!(db.get_contact(o.id, kept.id).await.unwrap().is_none());
    })
    .await;
}

/// A small deterministic generator for the reports' random stays.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// The sums of every fact, as the rollup keeps them: per (fact, quarter hour, group,
/// outcome), (n, s1, s2), with only the values a report uses (the abandoned's waits,
/// the handled's handle time) and nothing where n is 0.
fn sums_map(
    rows: impl IntoIterator<Item = (reports::SumFact, reports::FactSum)>,
) -> std::collections::BTreeMap<String, (i64, i64, i64)> {
    use reports::SumFact;
    let mut out = std::collections::BTreeMap::new();
    for (fact, s) in rows {
        let (s1, s2) = match (fact, s.outcome.as_deref()) {
            (SumFact::Ended, Some("abandoned")) => (s.s1, 0),
            (SumFact::Ended, Some("handled")) => (0, s.s2),
            (SumFact::Ended, Some("expired" | "transferred")) => (0, 0),
            (SumFact::Ended, _) => continue,
            (SumFact::Offered, _) => (0, 0),
            (SumFact::Wrapped | SumFact::Rated, _) => (s.s1, 0),
            (SumFact::Answered, _) => (s.s1, s.s2),
        };
        if s.n == 0 {
            continue;
        }
        let e = out
            .entry(format!("{fact:?} {} {:?} {:?}", s.bucket, s.key, s.outcome))
            .or_insert((0, 0, 0));
        e.0 += s.n;
        e.1 += s1;
        e.2 += s2;
    }
    out
}

#[tokio::test]
async fn the_reports_rollup_adds_up_what_the_stays_add_up_through_later_changes() {
    use reports::{ReportStay, ReportWrite, StayQuery, SumFact, SumGroup};
    each(|db| async move {
        let org = new_id();
        let mut rng = Lcg(42);
        let queues = [new_id(), new_id(), new_id()];
        let agents = [new_id(), new_id(), new_id(), new_id()];
        let channels = ["chat", "sms", "email"];
        let codes = [None, Some("billing"), Some("returns")];
        let base: i64 = 1_793_491_200_000;
        let pick = |rng: &mut Lcg, n: usize| rng.below(n as u64) as usize;
        // A stay's later facts, each at a random time after the offer (some days later).
        let answer = |rng: &mut Lcg, s: &mut ReportStay| {
            let wait = 1000 * (1 + rng.below(600) as i64);
            s.agent_id = Some(agents[pick(rng, agents.len())]);
            s.answered_at = Some(s.offered_at + wait);
            s.answer_wait_ms = Some(wait);
            s.in_sl = wait < 20_000;
        };
        let end = |rng: &mut Lcg, s: &mut ReportStay| {
            let at = s.answered_at.unwrap_or(s.offered_at) + 1000 * rng.below(200_000) as i64;
            let outcome = ["abandoned", "expired", "handled", "transferred", "moved"][pick(rng, 5)];
            s.outcome = Some(outcome.into());
            s.ended_at = Some(at);
            s.wait_ms = Some(at - s.offered_at);
            s.handle_ms = s.answered_at.map(|a| at - a);
            if rng.below(2) == 0 {
                let acw = 1000 * rng.below(120) as i64;
                s.wrapped_at = Some(at + acw);
                s.acw_ms = Some(acw);
            }
        };
        let mut stays = Vec::new();
        for _ in 0..300 {
            let mut s = ReportStay {
                contact_id: new_id(),
                seq: 0,
                queue_id: queues[pick(&mut rng, queues.len())],
                channel: channels[pick(&mut rng, channels.len())].into(),
                offered_at: base + rng.below(3 * 86_400_000) as i64,
                code: codes[pick(&mut rng, codes.len())].map(str::to_string),
                ..Default::default()
            };
            if rng.below(4) > 0 {
                answer(&mut rng, &mut s);
            }
            if rng.below(3) > 0 {
                end(&mut rng, &mut s);
            }
            stays.push(s);
        }
        let write = |stays: Vec<ReportStay>, ratings: Vec<(Uuid, i64, i64)>| ReportWrite {
            org_id: org,
            stays,
            ratings,
            ..Default::default()
        };
        db.report_save(&write(stays.clone(), vec![])).await.unwrap();
        // Later changes: answers, ends, new wrap-up codes, ratings (on the stay, or
        // of a contact no longer in flight), second stays.
        for round in 0..3 {
            let mut changed = Vec::new();
            let mut ratings = Vec::new();
            for s in stays.iter_mut() {
                match rng.below(8) {
                    0 => answer(&mut rng, s),
                    1 => end(&mut rng, s),
                    2 => s.code = codes[pick(&mut rng, codes.len())].map(str::to_string),
                    3 => {
                        s.csat = Some(1 + rng.below(5) as i64);
                        s.rated_at = Some(s.offered_at + rng.below(4 * 86_400_000) as i64);
                    }
                    4 => {
                        let r = 1 + rng.below(5) as i64;
                        let at = base + rng.below(4 * 86_400_000) as i64;
                        s.csat = Some(r);
                        s.rated_at = Some(at);
                        ratings.push((s.contact_id, r, at));
                        continue;
                    }
                    5 if round == 0 && s.seq == 0 => {
                        let next = ReportStay {
                            seq: 1,
                            queue_id: queues[pick(&mut rng, queues.len())],
                            offered_at: s.offered_at + 60_000,
                            answered_at: None,
                            answer_wait_ms: None,
                            in_sl: false,
                            agent_id: None,
                            outcome: None,
                            ended_at: None,
                            wrapped_at: None,
                            acw_ms: None,
                            csat: None,
                            rated_at: None,
                            ..s.clone()
                        };
                        changed.push(next);
                    }
                    _ => continue,
                }
                changed.push(s.clone());
            }
            db.report_save(&write(changed, ratings)).await.unwrap();
        }

        let (from, to) = (base, base + 5 * 86_400_000);
        let facts = [
            SumFact::Offered,
            SumFact::Answered,
            SumFact::Ended,
            SumFact::Wrapped,
            SumFact::Rated,
        ];
        let all = StayQuery {
            org_id: org,
            offered_from: 0,
            offered_to: to,
            ..Default::default()
        };
        let filters = [
            all.clone(),
            StayQuery {
                queue_id: Some(queues[1]),
                ..all.clone()
            },
            StayQuery {
                channel: Some("sms".into()),
                ..all.clone()
            },
            StayQuery {
                code: Some(None),
                ..all.clone()
            },
            StayQuery {
                code: Some(Some("billing".into())),
                queue_id: Some(queues[0]),
                ..all.clone()
            },
            StayQuery {
                agent_id: Some(Some(agents[2])),
                ..all.clone()
            },
            StayQuery {
                agent_id: Some(None),
                ..all.clone()
            },
        ];
        let mut served = 0;
        for q in &filters {
            for group in [
                SumGroup::None,
                SumGroup::Queue,
                SumGroup::Channel,
                SumGroup::Code,
                SumGroup::Agent,
            ] {
                // A day in: facts of stays offered the days before still count.
                for from in [from, from + 86_400_000] {
                    let Some(rolled) = db.report_rollup(q, from, to, group, &[]).await.unwrap()
                    else {
                        continue;
                    };
                    // Added up per interval by the database: the same as per quarter
                    // hour, then per interval.
                    let starts = [from, from + 6 * 3_600_000, from + 30 * 3_600_000];
                    let folded = db
                        .report_rollup(q, from, to, group, &starts)
                        .await
                        .unwrap()
                        .expect("served as before");
                    let by_interval = rolled.iter().cloned().map(|(f, mut x)| {
                        let at = from + x.bucket * 900_000;
                        let start = starts.iter().rev().find(|b| **b <= at).unwrap();
                        x.bucket = (start - from) / 900_000;
                        (f, x)
                    });
                    assert_eq!(
                        sums_map(folded),
                        sums_map(by_interval),
                        "{group:?} {q:?} by interval"
                    );
                    served += 1;
                    let mut scanned = Vec::new();
                    for fact in facts {
                        for s in db.report_sums(q, fact, from, to, group).await.unwrap() {
                            scanned.push((fact, s));
                        }
                    }
                    let want = sums_map(scanned);
                    assert!(!want.is_empty());
                    assert_eq!(sums_map(rolled), want, "{group:?} {q:?}");
                }
            }
        }
        assert!(served >= 40, "the rollup served {served}");
        // What it cannot serve, it says so.
        let two = StayQuery {
            channel: Some("sms".into()),
            agent_id: Some(Some(agents[0])),
            ..all.clone()
        };
        assert!(
            db.report_rollup(&two, from, to, SumGroup::None, &[])
                .await
                .unwrap()
                .is_none()
        );
        let per_queue = StayQuery {
            queue_id: Some(queues[0]),
            ..all.clone()
        };
        assert!(
            db.report_rollup(&per_queue, from, to, SumGroup::Agent, &[])
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            db.report_rollup(&all, from + 1, to, SumGroup::None, &[])
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

fn customer(org: Uuid, name: &str) -> Customer {
    Customer {
        id: new_id(),
        org_id: org,
        name: name.into(),
        email: None,
        data: json!({}),
        created_at: now(),
    }
}

fn identity(c: &Customer, kind: &str, value: &str) -> Identity {
    Identity {
        id: new_id(),
        org_id: c.org_id,
        customer_id: c.id,
        kind: kind.into(),
        value: value.into(),
        sealed: None,
        created_at: now(),
    }
}

#[tokio::test]
async fn merges_and_splits_move_identities_and_contacts_and_leave_a_redirect() {
    each(|db| async move {
        let o = org("merge");
        let other = org("merge-other");
        db.commit(vec![
            Change::PutOrg(o.clone()),
            Change::PutOrg(other.clone()),
        ])
        .await
        .unwrap();
        let (a, b, c) = (
            customer(o.id, "A"),
            customer(o.id, "B"),
            customer(o.id, "C"),
        );
        let (ia, ib) = (identity(&a, "phone", "bi:1"), identity(&b, "email", "bi:2"));
        let mut ca = contact(o.id);
        ca.customer_id = Some(a.id);
        let mut cb = contact(o.id);
        cb.customer_id = Some(b.id);
        let mut cb2 = contact(o.id);
        cb2.customer_id = Some(b.id);
        cb2.status = ContactStatus::Closed;
        db.commit(vec![
            Change::PutCustomer(a.clone()),
            Change::PutCustomer(b.clone()),
            Change::PutCustomer(c.clone()),
            Change::PutIdentity(ia.clone()),
            Change::PutIdentity(ib.clone()),
            Change::PutContact(ca.clone()),
            Change::PutContact(cb.clone()),
            Change::PutContact(cb2.clone()),
        ])
        .await
        .unwrap();

        // Another organisation's merge finds nothing and moves nothing.
        let wrong = db
            .commit(vec![Change::MergeCustomer {
                org_id: other.id,
                from: b.id,
                into: a.id,
            }])
            .await;
        assert!(matches!(wrong, Err(StoreError::NotFound)), "{wrong:?}");

        // A list submitted before the merge in the same batch still writes the contact
        // with its old customer; the merge, written in order after it, moves it.
        let earlier = db.submit(vec![Change::PutContact(cb.clone())]);
        let merge = db.submit(vec![Change::MergeCustomer {
            org_id: o.id,
            from: b.id,
            into: a.id,
        }]);
        earlier.await.unwrap();
        merge.await.unwrap();
        assert!(db.get_customer(o.id, b.id).await.unwrap().is_none());
        assert_eq!(db.get_customer_merge(o.id, b.id).await.unwrap(), Some(a.id));
        assert_eq!(db.get_customer_merge(o.id, a.id).await.unwrap(), None);
        assert_eq!(db.get_customer_merge(other.id, b.id).await.unwrap(), None);
        let ids: Vec<Uuid> = db
            .list_identities(o.id, a.id)
            .await
            .unwrap()
            .iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(ids, vec![ia.id, ib.id]);
        // The index still finds the identity, now on the customer kept.
        let found = db
            .find_identity(o.id, "email", "bi:2")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.customer_id, a.id);
        let history = db
            .list_customer_contacts(o.id, a.id, None, 10)
            .await
            .unwrap();
        let mut want = vec![cb2.id, cb.id, ca.id];
        want.sort_by(|x, y| y.cmp(x));
        assert_eq!(history.iter().map(|x| x.id).collect::<Vec<_>>(), want);
        let page = db
            .list_customer_contacts(o.id, a.id, Some(want[0]), 1)
            .await
            .unwrap();
        assert_eq!(page.iter().map(|x| x.id).collect::<Vec<_>>(), vec![want[1]]);
        // Merged again: the redirect of the first follows to the last.
        db.commit(vec![Change::MergeCustomer {
            org_id: o.id,
            from: a.id,
            into: c.id,
        }])
        .await
        .unwrap();
        assert_eq!(db.get_customer_merge(o.id, b.id).await.unwrap(), Some(c.id));
        // A customer merged away cannot be merged into.
        let gone = db
            .commit(vec![Change::MergeCustomer {
                org_id: o.id,
                from: c.id,
                into: a.id,
            }])
            .await;
        assert!(gone.is_err());

        // A split moves only what it names, and only from its customer.
        let d = customer(o.id, "D");
        db.commit(vec![
            Change::PutCustomer(d.clone()),
            Change::SplitCustomer {
                org_id: o.id,
                from: c.id,
                into: d.id,
                identity_ids: vec![ib.id],
                contact_ids: vec![cb.id, cb2.id],
            },
            // Not c's (any more): left where it is.
            Change::SplitCustomer {
                org_id: o.id,
                from: c.id,
                into: a.id,
                identity_ids: vec![ib.id],
                contact_ids: vec![cb.id],
            },
        ])
        .await
        .unwrap();
        let of = |cust: Uuid| {
            let db = db.clone();
            async move {
                let mut v: Vec<Uuid> = db
                    .list_customer_contacts(o.id, cust, None, 10)
                    .await
                    .unwrap()
                    .iter()
                    .map(|x| x.id)
                    .collect();
                v.sort();
                v
            }
        };
        let mut moved = vec![cb.id, cb2.id];
        moved.sort();
        assert_eq!(of(d.id).await, moved);
        assert_eq!(of(c.id).await, vec![ca.id]);
        let found = db
            .find_identity(o.id, "email", "bi:2")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.customer_id, d.id);
        let found = db
            .find_identity(o.id, "phone", "bi:1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.customer_id, c.id);

        // Erasing the customer kept takes the redirects to it with it.
        db.commit(vec![Change::EraseCustomer {
            org_id: o.id,
            customer_id: c.id,
        }])
        .await
        .unwrap();
        assert_eq!(db.get_customer_merge(o.id, b.id).await.unwrap(), None);
        assert_eq!(db.get_customer_merge(o.id, a.id).await.unwrap(), None);
    })
    .await;
}
