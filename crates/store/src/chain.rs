//! The event log as a hash chain per organisation, so that a row edited, inserted or
//! deleted by hand in the database is found afterwards (`homeshore audit verify`).
//!
//! Each event's `hash` is SHA-256 over the previous event's hash (of the same
//! organisation), the organisation, the time in milliseconds, the kind and the data
//! as compact JSON with sorted keys: what both databases give back unchanged. The
//! writer keeps each organisation's last hash in memory and takes it back when a
//! commit fails, so the chain has exactly the rows that were committed. Events from
//! before the chain existed have no hash and are not part of it.

use std::collections::HashMap;

use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::model::Event;

/// The hash of an event that follows `prev` ("" for an organisation's first).
pub fn link(prev: &str, org: Uuid, at: OffsetDateTime, kind: &str, data: &Value) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update([0x1f]);
    h.update(org.as_bytes());
    h.update(((at.unix_timestamp_nanos() / 1_000_000) as i64).to_be_bytes());
    h.update(kind.as_bytes());
    h.update([0x1f]);
    h.update(serde_json::to_string(data).unwrap_or_default().as_bytes());
    hex::encode(h.finalize())
}

/// Each organisation's last hash, with an undo log so that a failed commit (or a
/// failed list inside one) leaves it as it was.
#[derive(Debug, Default)]
pub struct Chains {
    last: HashMap<Uuid, String>,
    undo: Vec<(Uuid, Option<String>)>,
}

impl Chains {
    pub fn get(&self, org: Uuid) -> Option<&String> {
        self.last.get(&org)
    }

    pub fn set(&mut self, org: Uuid, hash: String) {
        let old = self.last.insert(org, hash);
        self.undo.push((org, old));
    }

    /// Where the undo log stands now.
    pub fn mark(&self) -> usize {
        self.undo.len()
    }

    /// Undoes every `set` since `mark`.
    pub fn rollback_to(&mut self, mark: usize) {
        while self.undo.len() > mark {
            let Some((org, old)) = self.undo.pop() else {
                break;
            };
            match old {
                Some(h) => self.last.insert(org, h),
                None => self.last.remove(&org),
            };
        }
    }

    /// The writes since the last `commit` are durable.
    pub fn commit(&mut self) {
        self.undo.clear();
    }
}

/// What checking one organisation's chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Events checked (those with a hash).
    pub checked: u64,
    /// Events from before the chain, without a hash.
    pub unchained: u64,
    /// The first event whose hash does not follow from the rows before it.
    pub broken_at: Option<i64>,
}

/// Checks events in `seq` order, continuing from `prev` (the last good hash so far).
/// Returns the last hash; records the first break in `report`.
pub fn check(events: &[Event], prev: &mut String, report: &mut ChainReport) {
    for e in events {
        let Some(stored) = &e.hash else {
            report.unchained += 1;
            continue;
        };
        let want = link(prev, e.org_id, e.at, &e.kind, &e.data);
        report.checked += 1;
        if &want != stored && report.broken_at.is_none() {
            report.broken_at = Some(e.seq);
        }
        // Go on from what is stored, so one edited row is reported once.
        *prev = stored.clone();
    }
}

/// Checks one organisation's whole chain, a page at a time.
pub async fn verify<S: crate::Store>(store: &S, org: Uuid) -> crate::Result<ChainReport> {
    let mut report = ChainReport {
        checked: 0,
        unchained: 0,
        broken_at: None,
    };
    let mut prev = String::new();
    let mut after = 0;
    loop {
        let page = store.read_org_events(org, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        check(&page, &mut prev, &mut report);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: i64, org: Uuid, data: Value, prev: &str) -> Event {
        let at = time::macros::datetime!(2026-12-06 10:00 UTC);
        Event {
            seq,
            org_id: org,
            at,
            kind: "x".into(),
            data: data.clone(),
            hash: Some(link(prev, org, at, "x", &data)),
        }
    }

    #[test]
    fn an_edited_or_missing_row_breaks_the_chain_where_it_is() {
        let org = Uuid::new_v4();
        let a = ev(1, org, serde_json::json!({"n": 1}), "");
        let b = ev(
            2,
            org,
            serde_json::json!({"n": 2}),
            a.hash.as_deref().unwrap(),
        );
        let c = ev(
            3,
            org,
            serde_json::json!({"n": 3}),
            b.hash.as_deref().unwrap(),
        );
        let run = |evs: &[Event]| {
            let mut r = ChainReport {
                checked: 0,
                unchained: 0,
                broken_at: None,
            };
            check(evs, &mut String::new(), &mut r);
            r
        };
        assert_eq!(run(&[a.clone(), b.clone(), c.clone()]).broken_at, None);
        let mut edited = b.clone();
        edited.data = serde_json::json!({"n": 20});
        assert_eq!(run(&[a.clone(), edited, c.clone()]).broken_at, Some(2));
        assert_eq!(
            run(&[a.clone(), c.clone()]).broken_at,
            Some(3),
            "a row removed"
        );
    }

    #[test]
    fn the_undo_log_takes_back_a_failed_commit() {
        let org = Uuid::new_v4();
        let mut c = Chains::default();
        c.set(org, "a".into());
        c.commit();
        let m = c.mark();
        c.set(org, "b".into());
        c.set(Uuid::new_v4(), "z".into());
        c.rollback_to(m);
        assert_eq!(c.get(org).map(String::as_str), Some("a"));
        assert_eq!(c.last.len(), 1);
    }
}
