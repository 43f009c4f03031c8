//! Settings an organisation keeps as one object of its own kind (retention, data
//! protection, alerts, the knowledge base's editors): read with their defaults where
//! none were saved, written as the object's next version with an `object.put` event
//! naming who changed them, in one commit.

use serde::Serialize;
use serde::de::DeserializeOwned;
use store::{Change, Object, ObjectKind, Store as _};
use uuid::Uuid;

use crate::events::{Actor, LiveEvent};
use crate::{ApiResult, AppState};

/// The settings named `name` of kind `kind` (the defaults where none were saved, or
/// where what is stored no longer reads), with the object they came from.
pub async fn load<T: DeserializeOwned + Default>(
    state: &AppState,
    org: Uuid,
    kind: ObjectKind,
    name: &str,
) -> ApiResult<(T, Option<Object>)> {
    let o = state.store().get_object_by_name(org, kind, name).await?;
    let s = o
        .as_ref()
        .and_then(|o| serde_json::from_value(o.data.clone()).ok())
        .unwrap_or_default();
    Ok((s, o))
}

/// Deletes the object `kind` numbered `id`, audited as `object.deleted` by `actor`.
pub async fn delete(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    kind: ObjectKind,
    id: Uuid,
) -> ApiResult<()> {
    let ev = LiveEvent::ObjectDeleted {
        kind: kind.as_str().into(),
        id,
    }
    .change(org, state.now(), actor);
    state
        .write(
            vec![
                Change::DeleteObject {
                    org_id: org,
                    kind,
                    id,
                },
                ev,
            ],
            vec![],
        )
        .await?;
    Ok(())
}

/// Stores `value` as the next version of `existing` (or the first), audited as
/// `object.put` by `actor`.
pub async fn save<T: Serialize>(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    kind: ObjectKind,
    name: &str,
    value: &T,
    existing: Option<&Object>,
) -> ApiResult<()> {
    let now = state.now();
    let o = Object::next_version(
        existing,
        org,
        kind,
        name,
        serde_json::to_value(value).unwrap_or_default(),
        now,
    );
    let ev = LiveEvent::ObjectPut {
        kind: kind.as_str().into(),
        id: o.id,
    }
    .change(org, now, actor);
    state.write(vec![Change::PutObject(o), ev], vec![]).await?;
    Ok(())
}
