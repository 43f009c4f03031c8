//! Malformed and oversized request bodies, on every operation of the OpenAPI document
//! that takes one: malformed JSON → 400, JSON of the wrong shape → 422, a body over the
//! limit → 413, always in the one error shape, and nothing changes.

use serde_json::{Value, json};
use store::Role;
use uuid::Uuid;

use crate::common::{self, BODY_LIMIT, Client, Server};

/// What the organisation looks like through its listings (compared before and after).
async fn snapshot(admin: &Client, contact: Uuid) -> Value {
    let mut v = serde_json::Map::new();
    for path in [
        "/api/contacts?limit=500".to_string(),
        "/api/queues?limit=500".into(),
        "/api/skills?limit=500".into(),
        "/api/routing-policies?limit=500".into(),
        "/api/wrapup-codes?limit=500".into(),
        "/api/business-hours?limit=500".into(),
        "/api/canned-responses?limit=500".into(),
        "/api/users?limit=500".into(),
        "/api/tokens".into(),
        "/api/agents".into(),
        "/api/org".into(),
        "/api/events?limit=1000".into(),
        format!("/api/contacts/{contact}/messages"),
    ] {
        let mut body = admin.ok(&path).await;
        // Reads are recorded (`audit.read`): the snapshot's own reads are not changes.
        if path.starts_with("/api/events") {
            if let Some(items) = body.get_mut("items").and_then(Value::as_array_mut) {
                items.retain(|e| e["kind"] != "audit.read");
            }
            if let Some(o) = body.as_object_mut() {
                o.remove("next_after_seq");
            }
        }
        v.insert(path, body);
    }
    Value::Object(v)
}

async fn bodies(s: Server) -> Server {
    let o = common::seed_org(&s, "acme").await;
    let admin = o.client(&s, Role::Admin);
    let contact = common::active_contact(&s, &o).await;
    let skill = admin.post("/api/skills", &json!({"name": "Tents"})).await;
    assert_eq!(skill.status, 201);
    let skill: Uuid = skill.body["id"].as_str().unwrap().parse().unwrap();
    let target = server::seed::create_user(
        &s.state,
        o.id,
        "target@acme.example",
        "Target",
        Role::Agent,
        common::PASSWORD,
    )
    .await
    .unwrap()
    .id;

    let doc = Client::new(&s.base, None).ok("/api/openapi.json").await;
    let mut ops: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            // JSON bodies. Providers' webhooks check the provider's signature before they
            // read anything, so they refuse these as unsigned; their own tests cover them.
            if op["requestBody"]["content"]
                .get("application/json")
                .is_some()
                && !path.starts_with("/api/webhooks/")
            {
                ops.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    assert!(ops.len() >= 20, "operations with a body: {ops:?}");

    let before = snapshot(&admin, contact).await;
    let big = json!({"name": "x".repeat(BODY_LIMIT + 1)})
        .to_string()
        .into_bytes();
    let mut failures = Vec::new();
    for (method, path) in &ops {
        let seg = path
            .trim_start_matches("/api/")
            .split('/')
            .next()
            .unwrap_or("");
        let id = match seg {
            "contacts" => contact,
            "users" | "tokens" => target,
            "agents" => o.user(Role::Agent),
            "queues" => o.queue,
            _ => skill,
        };
        let url = common::fill(path, Some(id));
        let cases: [(&str, Vec<u8>, u16); 5] = [
            ("malformed JSON", br#"{"name": "#.to_vec(), 400),
            ("not JSON at all", b"name=Tents".to_vec(), 400),
            ("an array", b"[]".to_vec(), 422),
            ("a number", b"42".to_vec(), 422),
            ("over the limit", big.clone(), 413),
        ];
        for (what, body, want) in cases {
            let got = admin.raw(method, &url, "application/json", body).await;
            if got.status != want {
                failures.push(format!(
                    "{} {method} {url} with {what}: expected {want}, got {} {}",
                    s.backend, got.status, got.text
                ));
                continue;
            }
            let e = &got.body["error"];
            let shaped = e["code"].is_string()
                && e["message"].is_string()
                && e.as_object().is_some_and(|m| m.contains_key("details"));
            if !shaped {
                failures.push(format!(
                    "{} {method} {url} with {what}: not in the error shape: {}",
                    s.backend, got.text
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The error codes say which is which.
    let a = admin
        .raw("POST", "/api/skills", "application/json", b"{".to_vec())
        .await;
    assert_eq!(a.body["error"]["code"], "bad_json");
    let a = admin
        .raw("POST", "/api/skills", "application/json", big.clone())
        .await;
    assert_eq!(a.body["error"]["code"], "too_large");
    // A body just under the limit is read (and then judged on its content).
    let near = json!({"name": "x".repeat(BODY_LIMIT - 100)})
        .to_string()
        .into_bytes();
    let a = admin
        .raw("POST", "/api/skills", "application/json", near)
        .await;
    assert_eq!(a.status, 422, "{}", a.text);
    assert!(
        a.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("name")
    );
    // Not JSON by its content type: 415.
    let a = admin
        .raw(
            "POST",
            "/api/skills",
            "text/plain",
            br#"{"name":"Tarps"}"#.to_vec(),
        )
        .await;
    assert_eq!(a.status, 415, "{}", a.text);
    a.assert_error_shape("text/plain");
    // Malformed path ids and queries are 400s in the same shape.
    let a = admin.get("/api/contacts/not-a-uuid").await;
    assert_eq!(a.status, 400, "{}", a.text);
    a.assert_error_shape("bad id");
    let a = admin.get("/api/contacts?limit=lots").await;
    assert_eq!(a.status, 400, "{}", a.text);
    a.assert_error_shape("bad query");
    let a = admin.get("/api/contacts?status=sleeping").await;
    assert_eq!(a.status, 400, "{}", a.text);
    // An unknown API path is a 404 in the error shape, not the browser app.
    let a = admin.get("/api/no-such-thing").await;
    assert_eq!(a.status, 404, "{}", a.text);
    a.assert_error_shape("unknown path");

    let after = snapshot(&admin, contact).await;
    assert_eq!(before, after, "refused requests changed nothing");
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_oversized_bodies() {
    common::each_backend(bodies).await;
}
