//! The front door, as a person uses it with a browser's cookies: an admin enrols an
//! authenticator app, then needs its code (or a recovery code, once) to log in; "log out
//! everywhere" ends every session; wrong passwords lock the account; an organisation
//! that makes MFA mandatory lets a user without it reach nothing but enrolment.

use serde_json::{Value, json};
use store::{Role, Store};

use crate::common::{Browser, PASSWORD, each_backend};

fn code_now(secret: &str) -> String {
    let unix = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    server::auth::totp(secret, "a", "b")
        .unwrap()
        .generate(unix)
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_enrols_mfa_and_logs_in_with_it() {
    each_backend(|s| async move {
        let org = server::seed::create_org(&s.state, "mfa-org", "MFA Org")
            .await
            .unwrap();
        let email = "root@mfa.example";
        server::seed::create_user(&s.state, org.id, email, "Root", Role::Admin, PASSWORD)
            .await
            .unwrap();

        // Enrol: a secret, an otpauth URL and a QR code; a wrong code does not turn it on.
        let mut first = Browser::new(&s, "mfa-org");
        assert_eq!(first.login(email, PASSWORD, None).await.0, 200);
        let (st, enrol) = first.post("/api/auth/mfa/enrol", json!({})).await;
        assert_eq!(st, 200, "{enrol}");
        let secret = enrol["secret"].as_str().unwrap().to_string();
        assert!(
            enrol["otpauth_url"]
                .as_str()
                .unwrap()
                .starts_with("otpauth://totp/")
        );
        assert!(enrol["qr_png"].as_str().is_some_and(|q| q.len() > 100));
        // At rest the secret is sealed: the database alone cannot make codes.
        let stored = s
            .state
            .store()
            .get_user_by_email(org.id, email)
            .await
            .unwrap()
            .unwrap()
            .totp_secret
            .unwrap();
        assert!(
            stored.starts_with("enc:v1:") && !stored.contains(&secret),
            "{stored}"
        );
        let (st, _) = first
            .post("/api/auth/mfa/verify", json!({"code": "000000"}))
            .await;
        assert_ne!(st, 200);
        let (st, verified) = first
            .post("/api/auth/mfa/verify", json!({"code": code_now(&secret)}))
            .await;
        assert_eq!(st, 200, "{verified}");
        let recovery: Vec<String> = verified["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        assert_eq!(recovery.len(), 10);

        // From now on the password alone is not enough.
        let mut second = Browser::new(&s, "mfa-org");
        let (st, v) = second.login(email, PASSWORD, None).await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (401, Some("mfa_required")),
            "{v}"
        );
        assert_eq!(second.get("/api/me").await, 401);
        assert_eq!(second.login(email, PASSWORD, Some("123456")).await.0, 401);
        assert_eq!(
            second
                .login(email, PASSWORD, Some(&code_now(&secret)))
                .await
                .0,
            200
        );
        assert_eq!(second.get("/api/me").await, 200);

        // A recovery code works once.
        let mut third = Browser::new(&s, "mfa-org");
        assert_eq!(
            third.login(email, PASSWORD, Some(&recovery[0])).await.0,
            200
        );
        let mut fourth = Browser::new(&s, "mfa-org");
        assert_eq!(
            fourth.login(email, PASSWORD, Some(&recovery[0])).await.0,
            401
        );

        // "Log out everywhere" from one browser ends the others' sessions too.
        assert_eq!(first.get("/api/me").await, 200);
        let (st, _) = second.post("/api/auth/logout-all", json!({})).await;
        assert_eq!(st, 204);
        assert_eq!(first.get("/api/me").await, 401);
        assert_eq!(third.get("/api/me").await, 401);
        assert_eq!(second.get("/api/me").await, 401);
        s
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_lock_the_account_and_mandatory_mfa_fences_the_api() {
    each_backend(|s| async move {
        let org = server::seed::create_org(&s.state, "mfa-org", "MFA Org")
            .await
            .unwrap();
        let email = "agent@mfa.example";
        server::seed::create_user(&s.state, org.id, email, "Agent", Role::Agent, PASSWORD)
            .await
            .unwrap();

        // Locked after the configured number of failures, even with the right password.
        let threshold = s.state.config().lockout_threshold;
        let mut b = Browser::new(&s, "mfa-org");
        for _ in 0..threshold {
            assert_eq!(b.login(email, "not-the-password", None).await.0, 401);
        }
        let (st, v) = b.login(email, PASSWORD, None).await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (429, Some("locked")),
            "{v}"
        );
        // The wait is given, in seconds and in the words shown.
        let wait = v["error"]["details"]["retry_after_s"].as_u64().unwrap();
        assert!(wait > 0 && wait <= s.state.config().lockout_secs, "{v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("Try again in ") && message.contains("ask an admin to unlock it"),
            "{message}"
        );

        // An admin unlocks the account (audited); the right password works again.
        let admin_email = "admin@mfa.example";
        let user_id = server::seed::create_user(
            &s.state,
            org.id,
            admin_email,
            "Admin",
            Role::Admin,
            PASSWORD,
        )
        .await
        .unwrap()
        .id;
        let locked_id = s
            .state
            .store()
            .get_user_by_email(org.id, email)
            .await
            .unwrap()
            .unwrap()
            .id;
        let mut admin = Browser::new(&s, "mfa-org");
        assert_eq!(admin.login(admin_email, PASSWORD, None).await.0, 200);
        // The admin has two-factor on (the organisation is about to require it).
        let (_, enrol) = admin.post("/api/auth/mfa/enrol", json!({})).await;
        let admin_secret = enrol["secret"].as_str().unwrap().to_string();
        let (st, _) = admin
            .post(
                "/api/auth/mfa/verify",
                json!({"code": code_now(&admin_secret)}),
            )
            .await;
        assert_eq!(st, 200);
        let (st, v) = b
            .post(&format!("/api/users/{locked_id}/unlock"), json!({}))
            .await;
        assert_eq!(st, 401, "not signed in: {v}");
        let (st, v) = admin
            .post(&format!("/api/users/{locked_id}/unlock"), json!({}))
            .await;
        assert_eq!((st, v["was_locked"].as_bool()), (200, Some(true)), "{v}");
        let (st, v) = admin
            .post(&format!("/api/users/{locked_id}/unlock"), json!({}))
            .await;
        assert_eq!((st, v["was_locked"].as_bool()), (200, Some(false)), "{v}");
        assert_eq!(b.login(email, PASSWORD, None).await.0, 200);
        let events = admin.get_json("/api/events?limit=500").await;
        let unlocked: Vec<&Value> = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "user.unlocked")
            .collect();
        assert_eq!(unlocked.len(), 2, "{events}");
        assert_eq!(unlocked[0]["data"]["user_id"], json!(locked_id));
        assert_eq!(
            unlocked[0]["data"]["actor"],
            json!({"kind": "user", "id": user_id}),
            "who unlocked it"
        );
        // An agent cannot unlock anyone.
        let (st, _) = b
            .post(&format!("/api/users/{user_id}/unlock"), json!({}))
            .await;
        assert_eq!(st, 403);

        // Another user, in an organisation that now requires MFA: logged in, but only
        // enrolment is open until an authenticator app is set up.
        let email = "sup@mfa.example";
        server::seed::create_user(&s.state, org.id, email, "Sup", Role::Supervisor, PASSWORD)
            .await
            .unwrap();
        server::seed::set_mfa_required(&s.state, org.id, true)
            .await
            .unwrap();
        let mut b = Browser::new(&s, "mfa-org");
        // Signed out: the session question is answered 200, so sign-in pages log no error.
        let v = b.get_json("/api/auth/session").await;
        assert_eq!(v, json!({"signed_in": false}));
        assert_eq!(b.get("/api/auth/session").await, 200);
        let (st, v) = b.login(email, PASSWORD, None).await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["mfa_enrolment_required"], json!(true));
        assert_eq!(b.get("/api/me").await, 200);
        let v = b.get_json("/api/auth/session").await;
        assert_eq!(v["signed_in"], json!(true));
        assert_eq!(v["mfa_enrolment_required"], json!(true));
        assert_eq!(v["user"]["email"], json!(email));
        assert!(v["csrf_token"].as_str().is_some_and(|t| !t.is_empty()));
        assert_eq!(b.get("/api/queues").await, 403);
        let (st, enrol) = b.post("/api/auth/mfa/enrol", json!({})).await;
        assert_eq!(st, 200);
        let secret = enrol["secret"].as_str().unwrap();
        let (st, _) = b
            .post("/api/auth/mfa/verify", json!({"code": code_now(secret)}))
            .await;
        assert_eq!(st, 200);
        assert_eq!(b.get("/api/queues").await, 200);
        assert_eq!(
            b.get_json("/api/auth/session").await["mfa_enrolment_required"],
            json!(false)
        );

        // The admin resets it (lost phone): audited, signed out, enrolment again.
        let sup_id = b.get_json("/api/me").await["user"]["id"].clone();
        let (st, v) = admin
            .post(
                &format!("/api/users/{}/mfa/reset", sup_id.as_str().unwrap()),
                json!({}),
            )
            .await;
        assert_eq!(st, 204, "{v}");
        assert_eq!(b.get("/api/me").await, 401);
        let events = admin.get_json("/api/events?limit=500").await;
        assert!(
            events["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["kind"] == "user.mfa_reset" && e["data"]["user_id"] == sup_id),
            "{events}"
        );
        let (st, v) = b.login(email, PASSWORD, None).await;
        assert_eq!(
            (st, v["mfa_enrolment_required"].as_bool()),
            (200, Some(true)),
            "{v}"
        );
        s
    })
    .await;
}
