//! Which customer identities (an email, a phone number, a provider's user id) exist,
//! kept in memory so that a customer seen for the first time costs no database read.
//!
//! Every new contact looks its customer up by identity. Most of those lookups, in a busy
//! hour, are for people who have never written before, and a read that finds nothing
//! costs as much as one that finds something: on SQLite it was a quarter of the CPU of a
//! whole contact creation. The index answers "certainly absent" without the read.
//!
//! It holds a 64-bit hash of each (organisation, kind, value), loaded when the store
//! opens and kept true by the store's writer, which adds every identity it writes before
//! any submitter hears of the commit (and, like a failed commit, a hash left behind by a
//! rolled-back write only costs a read later). A hash present means "maybe": the caller
//! reads the row as before. So the index can only be wrong by saying "maybe" too often,
//! never by hiding an identity, as long as identities are written by this process, which
//! holds while one writer serves each organisation (as the event chain also requires).

use std::collections::HashSet;
use std::hash::BuildHasher;
use std::sync::RwLock;

use uuid::Uuid;

use crate::model::Change;

/// The hashes of every identity known to exist.
pub(crate) struct KnownIdentities {
    hashes: RwLock<HashSet<u64>>,
    /// Keyed per process: nobody outside can choose values that collide.
    keys: std::collections::hash_map::RandomState,
}

impl Default for KnownIdentities {
    fn default() -> Self {
        KnownIdentities {
            hashes: RwLock::new(HashSet::new()),
            keys: std::collections::hash_map::RandomState::new(),
        }
    }
}

impl KnownIdentities {
    fn hash(&self, org: Uuid, kind: &str, value: &str) -> u64 {
        self.keys.hash_one((org, kind, value))
    }

    /// Remember identities that exist (loaded at start, or just written).
    pub(crate) fn add<'a>(&self, identities: impl IntoIterator<Item = (Uuid, &'a str, &'a str)>) {
        let hashes: Vec<u64> = identities
            .into_iter()
            .map(|(org, kind, value)| self.hash(org, kind, value))
            .collect();
        if hashes.is_empty() {
            return;
        }
        self.hashes
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .extend(hashes);
    }

    /// The identities among these changes.
    pub(crate) fn written<'a>(&self, changes: impl Iterator<Item = &'a Change>) {
        self.add(changes.filter_map(|c| match c {
            Change::PutIdentity(i) => Some((i.org_id, i.kind.as_str(), i.value.as_str())),
            Change::ResealIdentity {
                org_id,
                kind,
                value,
                ..
            } => Some((*org_id, kind.as_str(), value.as_str())),
            _ => None,
        }));
    }

    /// False only if no such identity exists.
    pub(crate) fn may_exist(&self, org: Uuid, kind: &str, value: &str) -> bool {
        let h = self.hash(org, kind, value);
        self.hashes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&h)
    }

    pub(crate) fn len(&self) -> usize {
        self.hashes.read().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_was_added_may_exist() {
        let k = KnownIdentities::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert!(!k.may_exist(a, "email", "ana@example.com"));
        k.add([(a, "email", "ana@example.com")]);
        assert!(k.may_exist(a, "email", "ana@example.com"));
        // Another organisation, kind or value is another identity.
        assert!(!k.may_exist(b, "email", "ana@example.com"));
        assert!(!k.may_exist(a, "phone", "ana@example.com"));
        assert!(!k.may_exist(a, "email", "ana@example.org"));
        assert_eq!(k.len(), 1);
    }
}
