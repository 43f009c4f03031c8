//! Single sign-on settings and the sign-in round trip's refusals, over HTTP: settings
//! are validated and the secret never returned; `start` sends the browser to the
//! provider with PKCE (S256), state and nonce in a sealed cookie; every failure comes
//! back as a redirect with a code (never a 500); an organisation that keeps passwords
//! for admins only refuses other staff's passwords. The full sign-in through a real
//! provider is the browser test `web/tests/sso.test.mjs`.

use axum::routing::get;
use serde_json::json;
use store::{Role, Store};

use crate::common::{Client, each_backend, seed_org};

/// A stand-in discovery document and key set on loopback (what `PUT /api/sso` checks).
async fn discovery_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let b = base.clone();
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || {
                let b = b.clone();
                async move {
                    axum::Json(json!({
                        "issuer": b,
                        "authorization_endpoint": format!("{b}/auth"),
                        "token_endpoint": format!("{b}/token"),
                        "jwks_uri": format!("{b}/jwks"),
                        "response_types_supported": ["code"],
                    }))
                }
            }),
        )
        .route("/jwks", get(|| async { axum::Json(json!({"keys": []})) }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

fn no_redirects() -> reqwest::Client {
    server::http_client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sso_settings_start_and_refusals() {
    each_backend(|s| async move {
        let o = seed_org(&s, "acme").await;
        let admin = o.client(&s, Role::Admin);
        let issuer = discovery_server().await;
        let http = no_redirects();

        // Before it is set up: the sign-in page is told there is none; start goes back.
        let info = Client::new(&s.base, None).ok("/api/auth/sso/acme").await;
        assert_eq!(info["enabled"], false);
        let unknown = Client::new(&s.base, None).ok("/api/auth/sso/no-such-org").await;
        assert_eq!(unknown["enabled"], false);
        for (path, want) in [
            ("/api/auth/sso/acme/start?return_to=/admin/", "/admin/?sso_error=unavailable&org=acme"),
            ("/api/auth/sso/no-such-org/start", "/agent/?sso_error=unavailable"),
            // Another site as the page to come back to: ignored.
            ("/api/auth/sso/acme/start?return_to=//evil.example/", "/agent/?sso_error=unavailable&org=acme"),
        ] {
            let r = http.get(format!("{}{path}", s.base)).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 303, "{path}");
            assert_eq!(location(&r), want, "{path}");
        }

        // Validation: names the field; a provider that does not answer is refused.
        let base = json!({"enabled": true, "provider_name": "Acme ID", "issuer": issuer, "client_id": "homeshore",
                          "client_secret": "s3cret-value-of-the-client", "role_rules": [{"group": "cc-agents", "role": "agent"}]});
        for (patch, field) in [
            (json!({"issuer": "http://idp.example"}), "issuer"),
            (json!({"issuer": "https://idp.example/?x=1"}), "issuer"),
            (json!({"provider_name": ""}), "provider_name"),
            (json!({"client_id": "x".repeat(501)}), "client_id"),
            (json!({"scopes": "email profile"}), "scopes"),
            (json!({"role_rules": [{"group": "", "role": "agent"}]}), "role_rules"),
            (json!({"issuer": "http://127.0.0.1:9"}), "issuer"),
        ] {
            let mut body = base.clone();
            for (k, v) in patch.as_object().unwrap() {
                body[k] = v.clone();
            }
            let a = admin.put("/api/sso", &body).await;
            assert_eq!(a.status, 422, "{field}: {}", a.text);
            assert!(a.body["error"]["message"].as_str().unwrap().starts_with(&format!("{field}:")), "{}", a.text);
        }
        let bad_role = admin.put("/api/sso", &json!({"enabled": false, "provider_name": "A", "issuer": issuer, "client_id": "c", "default_role": "owner"})).await;
        assert_eq!(bad_role.status, 422, "{}", bad_role.text);
        let no_secret = admin.put("/api/sso", &json!({"enabled": true, "provider_name": "A", "issuer": issuer, "client_id": "c"})).await;
        assert_eq!(no_secret.status, 422, "{}", no_secret.text);
        // Only admins.
        assert_eq!(o.client(&s, Role::Supervisor).put("/api/sso", &base).await.status, 403);

        let saved = admin.put("/api/sso", &base).await;
        assert_eq!(saved.status, 200, "{}", saved.text);
        assert_eq!(saved.body["client_secret_set"], true);
        assert_eq!(saved.body["groups_claim"], "groups");
        assert_eq!(saved.body["redirect_uri"], format!("{}/api/auth/sso/callback", s.base));
        let got = admin.ok("/api/sso").await;
        assert!(!got.to_string().contains("s3cret"), "the secret never comes back: {got}");
        // Sealed at rest.
        let stored = s
            .state
            .store()
            .get_object_by_name(o.id, store::ObjectKind::SsoConfig, "oidc")
            .await
            .unwrap()
            .unwrap();
        let secret = stored.data["client_secret"].as_str().unwrap();
        assert!(secret.starts_with("enc:v1:") && !secret.contains("s3cret"), "{secret}");
        // Saving again without the secret keeps it.
        let mut keep = base.clone();
        keep.as_object_mut().unwrap().remove("client_secret");
        keep["provider_name"] = json!("Acme ID");
        assert_eq!(admin.put("/api/sso", &keep).await.status, 200);
        assert_eq!(admin.ok("/api/sso").await["client_secret_set"], true);
        let events = admin.ok("/api/events?limit=1000").await;
        assert!(events["items"].as_array().unwrap().iter().any(|e| e["kind"] == "sso.configured" && e["data"]["enabled"] == true));

        // The sign-in page now offers it.
        let info = Client::new(&s.base, None).ok("/api/auth/sso/acme").await;
        assert_eq!(info, json!({"enabled": true, "provider_name": "Acme ID", "password_login": true, "start_url": "/api/auth/sso/acme/start"}));

        // Start: to the provider with PKCE S256, state and nonce; the cookie is sealed.
        let r = http
            .get(format!("{}/api/auth/sso/acme/start?return_to=/admin/", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        let to = url::Url::parse(&location(&r)).unwrap();
        assert_eq!(format!("{}{}", to.origin().ascii_serialization(), to.path()), format!("{issuer}/auth"));
        let q: std::collections::HashMap<String, String> = to.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "homeshore");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"].len(), 43);
        assert_eq!(q["redirect_uri"], format!("{}/api/auth/sso/callback", s.base));
        assert!(q["state"].len() >= 32 && q["nonce"].len() >= 32 && q["state"] != q["nonce"]);
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("hs_sso="))
            .expect("the pending sign-in cookie");
        assert!(cookie.contains("HttpOnly") && cookie.contains("Path=/api/auth/sso"), "{cookie}");
        assert!(!cookie.contains(&q["state"]) && !cookie.contains(&q["nonce"]), "sealed: {cookie}");
        let pair = cookie.split(';').next().unwrap().to_string();

        // Callback refusals: a redirect with a code, never a 500.
        let callback = |query: String, cookie: Option<String>| {
            let http = http.clone();
            let base = s.base.clone();
            async move {
                let mut rb = http.get(format!("{base}/api/auth/sso/callback?{query}"));
                if let Some(c) = cookie {
                    rb = rb.header("cookie", c);
                }
                let r = rb.send().await.unwrap();
                (r.status().as_u16(), location(&r))
            }
        };
        let state = q["state"].clone();
        assert_eq!(callback(format!("code=abc&state={state}"), None).await, (303, "/agent/?sso_error=state".into()), "no cookie");
        assert_eq!(
            callback("code=abc&state=forged".into(), Some(pair.clone())).await,
            (303, "/admin/?sso_error=state&org=acme".into()),
            "a state that is not this sign-in's"
        );
        let mut tampered = pair.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(callback(format!("code=abc&state={state}"), Some(tampered)).await.1, "/agent/?sso_error=state", "a cookie changed by hand");
        assert_eq!(
            callback(format!("error=access_denied&state={state}"), Some(pair.clone())).await,
            (303, "/admin/?sso_error=provider&org=acme".into()),
            "the provider refused"
        );
        // The code exchange fails at this stand-in provider (no token endpoint).
        assert_eq!(
            callback(format!("code=abc&state={state}"), Some(pair.clone())).await,
            (303, "/admin/?sso_error=provider&org=acme".into())
        );

        // Passwords for admins only: other staff are sent to the provider.
        let mut only = base.clone();
        only["password_login"] = json!(false);
        assert_eq!(admin.put("/api/sso", &only).await.status, 200);
        let login = |email: String| {
            let c = Client::new(&s.base, None);
            async move {
                c.post("/api/auth/login", &json!({"org": "acme", "email": email, "password": crate::common::PASSWORD}))
                    .await
            }
        };
        let agent = login(o.email(Role::Agent)).await;
        assert_eq!(agent.status, 403, "{}", agent.text);
        assert_eq!(agent.body["error"]["code"], "sso_required");
        assert!(agent.body["error"]["message"].as_str().unwrap().contains("Sign in with Acme ID"));
        assert_eq!(login(o.email(Role::Admin)).await.status, 200, "admins keep a way in");

        // Switched off: the sign-in page no longer offers it; start goes back.
        let mut off = base.clone();
        off["enabled"] = json!(false);
        assert_eq!(admin.put("/api/sso", &off).await.status, 200);
        assert_eq!(Client::new(&s.base, None).ok("/api/auth/sso/acme").await["enabled"], false);
        assert_eq!(callback(format!("code=abc&state={state}"), Some(pair)).await.1, "/admin/?sso_error=unavailable&org=acme");
        assert_eq!(login(o.email(Role::Agent)).await.status, 200);
        s
    })
    .await;
}

/// What the stand-in provider's token endpoint answers, and what it must be sent.
#[derive(Default)]
struct Next {
    nonce: String,
    challenge: String,
    claims: serde_json::Value,
    /// Sign with a key the provider does not publish.
    wrong_key: bool,
}

/// A provider that signs ID tokens with ES256 (ring) and checks the code exchange:
/// client credentials (Basic), the redirect URI and the PKCE verifier against the
/// challenge of the authorization request.
async fn signing_provider(
    redirect_uri: String,
) -> (String, std::sync::Arc<std::sync::Mutex<Next>>) {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    use sha2::Digest;
    let rng = SystemRandom::new();
    let key = |rng: &SystemRandom| {
        let pk8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, rng).unwrap();
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pk8.as_ref(), rng).unwrap()
    };
    let (good, bad) = (
        std::sync::Arc::new(key(&rng)),
        std::sync::Arc::new(key(&rng)),
    );
    let point = good.public_key().as_ref().to_vec();
    let jwks = json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65])}]});
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let next = std::sync::Arc::new(std::sync::Mutex::new(Next::default()));
    let (b, n) = (base.clone(), next.clone());
    let token = axum::routing::post(
        move |headers: axum::http::HeaderMap,
              axum::extract::Form(form): axum::extract::Form<
            std::collections::HashMap<String, String>,
        >| {
            let (b, n, good, bad, redirect_uri) = (
                b.clone(),
                n.clone(),
                good.clone(),
                bad.clone(),
                redirect_uri.clone(),
            );
            async move {
                let refuse = |why: &str| {
                    (
                        axum::http::StatusCode::BAD_REQUEST,
                        axum::Json(json!({"error": "invalid_grant", "error_description": why})),
                    )
                };
                let basic = format!(
                    "Basic {}",
                    STANDARD.encode("homeshore:s3cret-value-of-the-client")
                );
                if headers.get("authorization").and_then(|v| v.to_str().ok())
                    != Some(basic.as_str())
                {
                    return refuse("client authentication");
                }
                let next = n.lock().unwrap();
                let verifier = form.get("code_verifier").cloned().unwrap_or_default();
                if URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
                    != next.challenge
                {
                    return refuse("PKCE");
                }
                if form.get("grant_type").map(String::as_str) != Some("authorization_code")
                    || form.get("code").map(String::as_str) != Some("the-code")
                    || form.get("redirect_uri") != Some(&redirect_uri)
                {
                    return refuse("grant");
                }
                let now = time::OffsetDateTime::now_utc().unix_timestamp();
                let mut claims = json!({"iss": b, "aud": "homeshore", "exp": now + 300, "iat": now, "nonce": next.nonce});
                for (k, v) in next.claims.as_object().unwrap() {
                    claims[k] = v.clone();
                }
                let msg = format!(
                    "{}.{}",
                    URL_SAFE_NO_PAD.encode(json!({"alg": "ES256", "kid": "k1"}).to_string()),
                    URL_SAFE_NO_PAD.encode(claims.to_string())
                );
                let signer = if next.wrong_key { &bad } else { &good };
                let sig = signer.sign(&SystemRandom::new(), msg.as_bytes()).unwrap();
                let id_token = format!("{msg}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()));
                (
                    axum::http::StatusCode::OK,
                    axum::Json(
                        json!({"access_token": "at", "token_type": "Bearer", "id_token": id_token}),
                    ),
                )
            }
        },
    );
    let b = base.clone();
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || {
                let b = b.clone();
                async move {
                    axum::Json(
                        json!({"issuer": b, "authorization_endpoint": format!("{b}/auth"),
                        "token_endpoint": format!("{b}/token"), "jwks_uri": format!("{b}/jwks")}),
                    )
                }
            }),
        )
        .route(
            "/jwks",
            get(move || {
                let j = jwks.clone();
                async move { axum::Json(j) }
            }),
        )
        .route("/token", token);
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, next)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sso_sign_in_verifies_the_token_and_counts_the_providers_mfa() {
    each_backend(|s| async move {
        let o = seed_org(&s, "acme").await;
        let admin = o.client(&s, Role::Admin);
        let (issuer, next) = signing_provider(format!("{}/api/auth/sso/callback", s.base)).await;
        let saved = admin
            .put("/api/sso", &json!({"enabled": true, "provider_name": "Acme ID", "issuer": issuer, "client_id": "homeshore",
                "client_secret": "s3cret-value-of-the-client", "role_rules": [{"group": "cc-agents", "role": "agent"}]}))
            .await;
        assert_eq!(saved.status, 200, "{}", saved.text);
        // Everyone must use a second factor: the provider's counts when it reports one.
        assert_eq!(admin.send("PATCH", "/api/org", Some(&json!({"mfa_required": true})), &[]).await.status, 200);
        let http = no_redirects();

        // One round trip: start, the provider's answer, the callback.
        let sign_in = |claims: serde_json::Value, wrong_key: bool| {
            let (http, base, next) = (http.clone(), s.base.clone(), next.clone());
            async move {
                let r = http.get(format!("{base}/api/auth/sso/acme/start?return_to=/agent/")).send().await.unwrap();
                let to = url::Url::parse(&location(&r)).unwrap();
                let q: std::collections::HashMap<String, String> = to.query_pairs().into_owned().collect();
                let cookie = r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string())
                    .find(|c| c.starts_with("hs_sso=")).unwrap();
                *next.lock().unwrap() = Next { nonce: q["nonce"].clone(), challenge: q["code_challenge"].clone(), claims, wrong_key };
                let r = http
                    .get(format!("{base}/api/auth/sso/callback?code=the-code&state={}", q["state"]))
                    .header("cookie", cookie.split(';').next().unwrap())
                    .send()
                    .await
                    .unwrap();
                let session = r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string())
                    .find(|c| c.starts_with("hs_session=")).map(|c| c.split(';').next().unwrap().to_string());
                (r.status().as_u16(), location(&r), session)
            }
        };
        let mia = json!({"sub": "u-mia", "email": "Mia@Acme.example", "email_verified": true, "name": "Mia Ortiz",
                         "groups": ["cc-agents"], "amr": ["pwd", "mfa"]});
        let (status, to, session) = sign_in(mia.clone(), false).await;
        assert_eq!((status, to.as_str()), (303, "/agent/"), "signed in");
        let cookie = session.expect("the session cookie");
        let me = Client::new(&s.base, None).send("GET", "/api/me", None, &[("cookie", &cookie)]).await;
        assert_eq!(me.status, 200, "{}", me.text);
        assert_eq!(me.body["user"]["email"], "mia@acme.example");
        assert_eq!(me.body["user"]["role"], "agent");
        assert_eq!(me.body["mfa_enrolment_required"], false, "the provider's second factor counts");
        assert!(me.body["csrf_token"].as_str().is_some_and(|t| t.len() >= 32));
        // Beyond the enrolment pages too: the session works like a password one.
        let agents = Client::new(&s.base, None).send("GET", "/api/agents", None, &[("cookie", &cookie)]).await;
        assert_eq!(agents.status, 200, "{}", agents.text);

        // The same person without a second factor at the provider: refused.
        let mut no_mfa = mia.clone();
        no_mfa["amr"] = json!(["pwd"]);
        assert_eq!(sign_in(no_mfa, false).await.1, "/agent/?sso_error=mfa_required&org=acme");
        // A token signed by someone else: refused, whatever it says.
        assert_eq!(sign_in(mia.clone(), true).await.1, "/agent/?sso_error=token&org=acme");
        // An unverified email: refused.
        let mut unverified = mia.clone();
        unverified["email_verified"] = json!(false);
        assert_eq!(sign_in(unverified, false).await.1, "/agent/?sso_error=email&org=acme");
        // Password sessions keep the old rule: the admin, without a second factor,
        // is held to enrolment.
        assert_eq!(admin.send("PATCH", "/api/org", Some(&json!({"mfa_required": false})), &[]).await.status, 403);
        s
    })
    .await;
}
