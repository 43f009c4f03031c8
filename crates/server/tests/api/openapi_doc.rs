//! The OpenAPI document is a contract: `docs/openapi.json` is its snapshot, and the
//! browser apps' TypeScript types (`web/src/lib/api.gen.ts`) are generated from it. A
//! change to the API that the snapshot does not have fails here, so the types cannot
//! drift from the server. To accept a change:
//!
//! ```text
//! HOMESHORE_UPDATE_OPENAPI=1 cargo test -p homeshore-server --test api openapi
//! (cd web && npm run types)
//! ```

use serde_json::Value;

#[test]
fn the_document_matches_its_snapshot_in_docs() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let now = server::api::openapi_json();
    if std::env::var_os("HOMESHORE_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, format!("{now}\n")).expect("docs/openapi.json is writable");
        return;
    }
    let snapshot = std::fs::read_to_string(&path).unwrap_or_default();
    let (a, b): (Value, Value) = (
        serde_json::from_str(&now).expect("the document is JSON"),
        serde_json::from_str(&snapshot).unwrap_or(Value::Null),
    );
    assert!(
        a == b,
        "the API changed but docs/openapi.json did not: run\n  HOMESHORE_UPDATE_OPENAPI=1 cargo test -p homeshore-server --test api openapi\n  (cd web && npm run types)\nand commit both files"
    );
}

#[test]
fn responses_name_their_shapes() {
    let doc: Value = serde_json::from_str(&server::api::openapi_json()).unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "MessageOut",
        "ContactOut",
        "ReceiptOut",
        "DeliveryOut",
        "EndpointOut",
    ] {
        assert!(schemas.contains_key(name), "{name} is not in the document");
    }
    let messages = &doc["paths"]["/api/contacts/{id}/messages"]["get"]["responses"]["200"];
    assert_eq!(
        messages["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/MessagePage",
        "{messages}"
    );
    let statuses = &schemas["DeliveryState"]["enum"];
    assert_eq!(
        statuses,
        &serde_json::json!(["queued", "sent", "delivered", "read", "failed"])
    );
}
