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
