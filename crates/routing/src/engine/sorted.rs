//! [`SortedDeque`]: an ordered set of small `Copy` keys in one sorted ring buffer.
//!
//! The engine's ordered sets (free agents per group, waiting contacts per group, a
//! queue's arrival order) are keyed by time: new keys almost always go at the back
//! (an agent freed now is the most recently idle, a contact arriving now is the
//! latest) and the keys taken out are almost always at the front (the longest idle
//! agent, the first contact in line). Here both are O(1) without allocation; any
//! other insert or remove is a binary search plus a shift of the shorter side, one
//! `memmove` of contiguous memory, which for the sizes a group holds is cheaper than a
//! B-tree's node walk. Removals from the middle leave tombstones rather than shift.
use std::collections::VecDeque;

/// A sorted set. Removing from the middle leaves a tombstone (the key stays, so the
/// buffer stays sorted and searchable) instead of shifting; tombstones at either end
/// are dropped at once, an insert next to one reuses its slot, and the buffer is
/// compacted when they outnumber live keys. So the front is always live, and no
/// operation shifts more than the keys between its position and the nearest end or
/// tombstone.
#[derive(Clone, Debug)]
pub(crate) struct SortedDeque<K> {
    /// (key, live)
    items: VecDeque<(K, bool)>,
    live: usize,
}

impl<K> Default for SortedDeque<K> {
    fn default() -> Self {
        SortedDeque {
            items: VecDeque::new(),
            live: 0,
        }
    }
}

/// Equal when the live keys are equal (tombstones are not content).
impl<K: PartialEq> PartialEq for SortedDeque<K> {
    fn eq(&self, other: &Self) -> bool {
        self.live == other.live
            && self.items.iter().filter(|e| e.1).map(|e| &e.0).eq(other
                .items
                .iter()
                .filter(|e| e.1)
                .map(|e| &e.0))
    }
}

impl<K: Eq> Eq for SortedDeque<K> {}

impl<K: Ord + Copy> SortedDeque<K> {
    fn search(&self, k: &K) -> Result<usize, usize> {
        self.items.binary_search_by(|e| e.0.cmp(k))
    }

    /// Adds `k`; false when it was already there.
    pub(crate) fn insert(&mut self, k: K) -> bool {
        match self.items.back() {
            Some(b) if b.0 >= k => {}
            _ => {
                self.items.push_back((k, true));
                self.live += 1;
                return true;
            }
        }
        if self.items.front().is_some_and(|f| k < f.0) {
            self.items.push_front((k, true));
            self.live += 1;
            return true;
        }
        match self.search(&k) {
            Ok(i) => {
                if self.items[i].1 {
                    return false;
                }
                self.items[i].1 = true;
            }
            Err(i) => {
                // items[i - 1] < k < items[i]; reuse a neighbouring tombstone's slot.
                if i > 0 && !self.items[i - 1].1 {
                    self.items[i - 1] = (k, true);
                } else if i < self.items.len() && !self.items[i].1 {
                    self.items[i] = (k, true);
                } else {
                    self.items.insert(i, (k, true));
                }
            }
        }
        self.live += 1;
        true
    }

    /// Removes `k`; false when it was not there.
    pub(crate) fn remove(&mut self, k: &K) -> bool {
        let i = if self.items.front().is_some_and(|f| f.0 == *k) {
            0
        } else {
            match self.search(k) {
                Ok(i) if self.items[i].1 => i,
                _ => return false,
            }
        };
        self.live -= 1;
        if i == 0 {
            self.items.pop_front();
        } else if i + 1 == self.items.len() {
            self.items.pop_back();
        } else {
            self.items[i].1 = false;
        }
        while self.items.front().is_some_and(|e| !e.1) {
            self.items.pop_front();
        }
        while self.items.back().is_some_and(|e| !e.1) {
            self.items.pop_back();
        }
        if self.items.len() > 2 * self.live + 32 {
            self.items.retain(|e| e.1);
        }
        true
    }

    /// How many live keys come before `k`, when `k` is live. Counts from the nearer
    /// end of the buffer: O(1) for keys near the front or the back (a contact that just
    /// arrived, the first in line), one pass over contiguous memory at worst.
    pub(crate) fn index_of(&self, k: &K) -> Option<usize> {
        let i = match self.search(k) {
            Ok(i) if self.items[i].1 => i,
            _ => return None,
        };
        if i <= self.items.len() / 2 {
            Some(self.items.range(..i).filter(|e| e.1).count())
        } else {
            let after = self.items.range(i + 1..).filter(|e| e.1).count();
            Some(self.live - 1 - after)
        }
    }

    pub(crate) fn contains(&self, k: &K) -> bool {
        matches!(self.search(k), Ok(i) if self.items[i].1)
    }

    pub(crate) fn first(&self) -> Option<&K> {
        self.items.front().map(|e| &e.0)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &K> + Clone + '_ {
        self.items.iter().filter(|e| e.1).map(|e| &e.0)
    }

    pub(crate) fn len(&self) -> usize {
        self.live
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.live == 0
    }
}

impl<K: Ord + Copy> FromIterator<K> for SortedDeque<K> {
    fn from_iter<I: IntoIterator<Item = K>>(iter: I) -> Self {
        let mut v: Vec<K> = iter.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        SortedDeque {
            live: v.len(),
            items: v.into_iter().map(|k| (k, true)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SortedDeque;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        #[test]
        fn behaves_like_a_btreeset(ops in prop::collection::vec((any::<bool>(), 0u16..64), 0..600)) {
            let mut d = SortedDeque::default();
            let mut b = BTreeSet::new();
            for (ins, k) in ops {
                if ins {
                    prop_assert_eq!(d.insert(k), b.insert(k));
                } else {
                    prop_assert_eq!(d.remove(&k), b.remove(&k));
                }
                prop_assert_eq!(d.len(), b.len());
                prop_assert_eq!(d.first(), b.first());
                prop_assert!(d.iter().eq(b.iter()));
                for (i, k) in b.iter().enumerate() {
                    prop_assert_eq!(d.index_of(k), Some(i));
                }
                prop_assert_eq!(&d, &b.iter().copied().collect::<SortedDeque<u16>>());
            }
            for k in 0..64 {
                prop_assert_eq!(d.contains(&k), b.contains(&k));
                if !b.contains(&k) {
                    prop_assert_eq!(d.index_of(&k), None);
                }
            }
        }
    }
}
