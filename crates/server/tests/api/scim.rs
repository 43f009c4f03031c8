//! SCIM 2.0 provisioning as an identity provider drives it: a `scim` token made by an
//! admin creates, finds, changes and deactivates accounts; deactivation ends the
//! person's sessions at once; a bad or foreign token touches nothing; malformed bodies
//! get SCIM error bodies.

use serde_json::{Value, json};
use store::{Change, Role};
use uuid::Uuid;

use crate::common::{Answer, Client, Server, each_backend, seed_org};

const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn assert_scim_error(a: &Answer, status: u16, scim_type: Option<&str>, what: &str) {
    assert_eq!(a.status, status, "{what}: {}", a.text);
    assert_eq!(a.body["schemas"], json!([ERROR]), "{what}: {}", a.text);
    assert_eq!(a.body["status"], json!(status.to_string()), "{what}");
    assert!(a.body["detail"].is_string(), "{what}: {}", a.text);
    if let Some(t) = scim_type {
        assert_eq!(a.body["scimType"], json!(t), "{what}: {}", a.text);
    }
}

async fn scim_token(admin: &Client) -> String {
    let a = admin
        .post(
            "/api/tokens",
            &json!({"name": "Okta provisioning", "scopes": ["scim"]}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    a.body["token"].as_str().unwrap().to_string()
}

/// A signed-in browser session for `user` (people provisioned by SCIM sign in through
/// the identity provider; the session is the same kind).
async fn session_for(s: &Server, org: Uuid, user: Uuid) -> String {
    let (secret, session) = server::auth::new_session(&s.state, org, user, false);
    s.state
        .write(vec![Change::PutSession(session)], vec![])
        .await
        .unwrap();
    format!("hs_session={secret}")
}

async fn me_with(s: &Server, cookie: &str) -> u16 {
    Client::new(&s.base, None)
        .send("GET", "/api/me", None, &[("cookie", cookie)])
        .await
        .status
}

fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH], "Operations": ops})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim_provisions_finds_changes_and_deprovisions() {
    each_backend(|s| async move {
        let a = seed_org(&s, "acme").await;
        let b = seed_org(&s, "globex").await;
        let admin = a.client(&s, Role::Admin);
        let token = scim_token(&admin).await;
        let scim = Client::new(&s.base, Some(token.clone()));

        // Who may call: no token, a wrong one, an ordinary admin token are refused; the
        // scim token opens nothing under /api.
        assert_scim_error(&Client::new(&s.base, None).get("/scim/v2/Users").await, 401, None, "no token");
        assert_scim_error(&Client::new(&s.base, Some("hs_not-a-token".into())).get("/scim/v2/Users").await, 401, None, "bad token");
        assert_scim_error(&admin.get("/scim/v2/Users").await, 403, None, "a token without the scim scope");
        assert_eq!(scim.get("/api/users").await.status, 403);
        let mixed = admin
            .post("/api/tokens", &json!({"name": "x", "scopes": ["scim", "admin"]}))
            .await;
        assert_eq!(mixed.status, 422, "{}", mixed.text);

        // Discovery.
        let spc = scim.get("/scim/v2/ServiceProviderConfig").await;
        assert_eq!(spc.status, 200, "{}", spc.text);
        assert_eq!(spc.body["patch"]["supported"], true);
        assert_eq!(scim.get("/scim/v2/ResourceTypes").await.body["Resources"][0]["endpoint"], "/Users");
        let schemas = scim.get("/scim/v2/Schemas").await;
        assert_eq!(schemas.body["Resources"][0]["id"], "urn:ietf:params:scim:schemas:core:2.0:User");

        // Create.
        let created = scim
            .post(
                "/scim/v2/Users",
                &json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": "Pat.Quinn@Acme.example",
                    "name": {"givenName": "Pat", "familyName": "Quinn"},
                    "emails": [{"value": "Pat.Quinn@Acme.example", "primary": true}],
                    "active": true,
                }),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let id = created.body["id"].as_str().unwrap().to_string();
        let pat = Uuid::parse_str(&id).unwrap();
        assert_eq!(created.body["userName"], "pat.quinn@acme.example");
        assert_eq!(created.body["name"]["formatted"], "Pat Quinn");
        assert_eq!(created.body["active"], true);
        assert_eq!(created.body["roles"][0]["value"], "agent");
        assert_eq!(created.body["meta"]["location"], format!("/scim/v2/Users/{id}"));
        let again = scim
            .post("/scim/v2/Users", &json!({"userName": "pat.quinn@acme.example"}))
            .await;
        assert_scim_error(&again, 409, Some("uniqueness"), "the same userName twice");
        // The admin API sees the account, and the log says who made it.
        let u = admin.ok(&format!("/api/users/{id}")).await;
        assert_eq!(u["role"], "agent");
        assert_eq!(u["disabled"], false);
        let events = admin.ok("/api/events?limit=1000").await;
        assert!(
            events["items"].as_array().unwrap().iter().any(|e| e["kind"] == "user.provisioned"
                && e["data"]["user_id"] == json!(id)
                && e["data"]["source"] == "scim"
                && e["data"]["actor"]["kind"] == "api_token"),
            "{events}"
        );

        // Find by userName (as Okta and Entra ID ask before creating), page.
        let found = scim
            .get("/scim/v2/Users?filter=userName%20eq%20%22PAT.QUINN%40acme.example%22")
            .await;
        assert_eq!(found.status, 200, "{}", found.text);
        assert_eq!(found.body["totalResults"], 1);
        assert_eq!(found.body["Resources"][0]["id"], json!(id));
        let none = scim
            .get("/scim/v2/Users?filter=userName%20eq%20%22nobody%40acme.example%22")
            .await;
        assert_eq!(none.body["totalResults"], 0);
        assert_scim_error(
            &scim.get("/scim/v2/Users?filter=title%20sw%20%22x%22").await,
            400,
            Some("invalidFilter"),
            "an unsupported filter",
        );
        let all = scim.get("/scim/v2/Users").await;
        assert_eq!(all.body["totalResults"], 5, "four seeded users and Pat");
        let page = scim.get("/scim/v2/Users?startIndex=2&count=2").await;
        assert_eq!(page.body["startIndex"], 2);
        assert_eq!(page.body["itemsPerPage"], 2);
        assert_eq!(page.body["Resources"][0]["id"], all.body["Resources"][1]["id"]);

        // Changes: Entra ID's path form, Okta's value form.
        let renamed = scim
            .send("PATCH", &format!("/scim/v2/Users/{id}"), Some(&patch(json!([{"op": "Replace", "path": "displayName", "value": "Pat Q."}]))), &[])
            .await;
        assert_eq!(renamed.status, 200, "{}", renamed.text);
        assert_eq!(renamed.body["displayName"], "Pat Q.");
        let promoted = scim
            .send("PATCH", &format!("/scim/v2/Users/{id}"), Some(&patch(json!([{"op": "replace", "path": "roles", "value": [{"value": "supervisor"}]}]))), &[])
            .await;
        assert_eq!(promoted.body["roles"][0]["value"], "supervisor", "{}", promoted.text);
        assert_eq!(admin.ok(&format!("/api/users/{id}")).await["role"], "supervisor");

        // Someone the provider made has no password: the desktop's lock cannot be
        // opened with one, so unlocking signs them out (to sign in at the provider).
        let cookie = session_for(&s, a.id, pat).await;
        let me = Client::new(&s.base, None)
            .send("GET", "/api/me", None, &[("cookie", &cookie)])
            .await;
        let csrf = me.body["csrf_token"].as_str().unwrap().to_string();
        let reauth = Client::new(&s.base, None)
            .send("POST", "/api/auth/reauth", Some(&json!({"password": "!external"})), &[("cookie", &cookie), ("x-csrf-token", &csrf)])
            .await;
        assert_eq!(reauth.status, 401, "{}", reauth.text);
        assert_eq!(reauth.body["error"]["code"], "signed_out");
        assert_eq!(me_with(&s, &cookie).await, 401);

        // Deactivation (Okta: no path, an object value) ends the session at once.
        let cookie = session_for(&s, a.id, pat).await;
        assert_eq!(me_with(&s, &cookie).await, 200);
        let off = scim
            .send("PATCH", &format!("/scim/v2/Users/{id}"), Some(&patch(json!([{"op": "replace", "value": {"active": false}}]))), &[])
            .await;
        assert_eq!(off.status, 200, "{}", off.text);
        assert_eq!(off.body["active"], false);
        assert_eq!(me_with(&s, &cookie).await, 401, "a deactivated user's session stops working");
        assert_eq!(admin.ok(&format!("/api/users/{id}")).await["disabled"], true);
        // Entra ID's string booleans bring the account back; the old session stays gone.
        let on = scim
            .send("PATCH", &format!("/scim/v2/Users/{id}"), Some(&patch(json!([{"op": "Replace", "path": "active", "value": "True"}]))), &[])
            .await;
        assert_eq!(on.body["active"], true, "{}", on.text);
        assert_eq!(me_with(&s, &cookie).await, 401);

        // PUT replaces name and active; userName is the account and cannot change.
        let put = scim
            .put(&format!("/scim/v2/Users/{id}"), &json!({"userName": "pat.quinn@acme.example", "name": {"formatted": "Pat Quinn"}, "active": true, "roles": [{"value": "agent"}]}))
            .await;
        assert_eq!(put.status, 200, "{}", put.text);
        assert_eq!(put.body["name"]["formatted"], "Pat Quinn");
        assert_eq!(put.body["roles"][0]["value"], "agent");
        assert_scim_error(
            &scim.put(&format!("/scim/v2/Users/{id}"), &json!({"userName": "other@acme.example"})).await,
            400,
            Some("mutability"),
            "a new userName",
        );

        // Malformed bodies: SCIM errors, nothing changed.
        let raw = scim.raw("POST", "/scim/v2/Users", "application/scim+json", b"{not json".to_vec()).await;
        assert_scim_error(&raw, 400, Some("invalidSyntax"), "not JSON");
        assert_scim_error(&scim.post("/scim/v2/Users", &json!({})).await, 400, Some("invalidValue"), "no userName");
        assert_scim_error(&scim.post("/scim/v2/Users", &json!({"userName": "not-an-email"})).await, 400, Some("invalidValue"), "not an email");
        assert_scim_error(&scim.post("/scim/v2/Users", &json!({"userName": "r@acme.example", "roles": [{"value": "god"}]})).await, 400, Some("invalidValue"), "an unknown role");
        assert_scim_error(&scim.post("/scim/v2/Users", &json!({"userName": "r@acme.example", "active": "maybe"})).await, 400, Some("invalidValue"), "active not a boolean");
        assert_scim_error(
            &scim.send("PATCH", &format!("/scim/v2/Users/{id}"), Some(&json!({"Operations": []})), &[]).await,
            400,
            Some("invalidSyntax"),
            "a PATCH without its schema",
        );
        assert_scim_error(
            &scim.send("PATCH", &format!("/scim/v2/Users/{id}"), Some(&patch(json!([{"op": "explode"}]))), &[]).await,
            400,
            Some("invalidValue"),
            "an unknown op",
        );
        assert_eq!(scim.get("/scim/v2/Users").await.body["totalResults"], 5);
        assert_scim_error(&scim.get(&format!("/scim/v2/Users/{}", Uuid::now_v7())).await, 404, None, "an unknown id");
        assert_scim_error(&scim.get("/scim/v2/Users/not-a-uuid").await, 404, None, "not an id");

        // Another organisation's token cannot see or touch this organisation's people.
        let foreign = Client::new(&s.base, Some(scim_token(&b.client(&s, Role::Admin)).await));
        assert_scim_error(&foreign.get(&format!("/scim/v2/Users/{id}")).await, 404, None, "foreign GET");
        assert_scim_error(
            &foreign.send("PATCH", &format!("/scim/v2/Users/{id}"), Some(&patch(json!([{"op": "replace", "path": "active", "value": false}]))), &[]).await,
            404,
            None,
            "foreign PATCH",
        );
        assert_scim_error(&foreign.send("DELETE", &format!("/scim/v2/Users/{id}"), None, &[]).await, 404, None, "foreign DELETE");
        let theirs = foreign
            .get("/scim/v2/Users?filter=userName%20eq%20%22pat.quinn%40acme.example%22")
            .await;
        assert_eq!(theirs.body["totalResults"], 0);
        assert_eq!(admin.ok(&format!("/api/users/{id}")).await["disabled"], false);

        // DELETE deprovisions: deactivated, its session refused at once.
        let cookie = session_for(&s, a.id, pat).await;
        assert_eq!(me_with(&s, &cookie).await, 200);
        let del = scim.send("DELETE", &format!("/scim/v2/Users/{id}"), None, &[]).await;
        assert_eq!(del.status, 204, "{}", del.text);
        assert_eq!(me_with(&s, &cookie).await, 401);
        assert_eq!(scim.get(&format!("/scim/v2/Users/{id}")).await.body["active"], false);

        // Without roles, the single sign-on group rules choose, else its default role.
        let sso = admin
            .put("/api/sso", &json!({"enabled": false, "provider_name": "Acme ID", "issuer": "https://idp.example", "client_id": "homeshore",
                                     "role_rules": [{"group": "cc-supervisors", "role": "supervisor"}], "default_role": "analyst"}))
            .await;
        assert_eq!(sso.status, 200, "{}", sso.text);
        let grouped = scim
            .post("/scim/v2/Users", &json!({"userName": "gil@acme.example", "groups": [{"value": "g1", "display": "cc-supervisors"}]}))
            .await;
        assert_eq!(grouped.body["roles"][0]["value"], "supervisor", "{}", grouped.text);
        let plain = scim.post("/scim/v2/Users", &json!({"userName": "hal@acme.example", "active": false})).await;
        assert_eq!(plain.status, 201, "{}", plain.text);
        assert_eq!(plain.body["roles"][0]["value"], "analyst");
        assert_eq!(plain.body["active"], false, "created deactivated");

        // A revoked token stops at once.
        let tokens = admin.ok("/api/tokens").await;
        let tid = tokens["items"].as_array().unwrap().iter().find(|t| t["scopes"] == json!(["scim"])).unwrap()["id"].as_str().unwrap().to_string();
        assert_eq!(admin.send("DELETE", &format!("/api/tokens/{tid}"), None, &[]).await.status, 204);
        assert_scim_error(&scim.get("/scim/v2/Users").await, 401, None, "a revoked token");
        s
    })
    .await;
}
