//! [`SortedDeque`]: an ordered set of small `Copy` keys in one sorted ring buffer.
//!
//! The engine's ordered sets (free agents per group, waiting contacts per group, a
//! queue's arrival order) are keyed by time: new keys almost always go at the back
//! (an agent freed now is the most recently idle, a contact arriving now is the
//! latest) and the keys taken out are almost always at the front (the longest idle
//! agent, the first contact in line). Here both are O(1) without allocation; any
//! other insert or remove is a binary search plus a shift of the shorter side, one
//! `memmove` of contiguous memory, which for the sizes a group holds is cheaper than a
//! B-tree's node walk.
use std::collections::VecDeque;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SortedDeque<K> {
    items: VecDeque<K>,
}

impl<K> Default for SortedDeque<K> {
    fn default() -> Self {
        SortedDeque {
            items: VecDeque::new(),
        }
    }
}

impl<K: Ord + Copy> SortedDeque<K> {
    /// Adds `k`; false when it was already there.
    pub(crate) fn insert(&mut self, k: K) -> bool {
        match self.items.back() {
            None => {
                self.items.push_back(k);
                return true;
            }
            Some(b) if *b < k => {
                self.items.push_back(k);
                return true;
            }
            _ => {}
        }
        if self.items.front().is_some_and(|f| k < *f) {
            self.items.push_front(k);
            return true;
        }
        let i = self.items.partition_point(|x| *x < k);
        if self.items.get(i) == Some(&k) {
            return false;
        }
        self.items.insert(i, k);
        true
    }

    /// Removes `k`; false when it was not there.
    pub(crate) fn remove(&mut self, k: &K) -> bool {
        if self.items.front() == Some(k) {
            self.items.pop_front();
            return true;
        }
        if self.items.back() == Some(k) {
            self.items.pop_back();
            return true;
        }
        match self.items.binary_search(k) {
            Ok(i) => {
                self.items.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    pub(crate) fn contains(&self, k: &K) -> bool {
        self.items.binary_search(k).is_ok()
    }

    pub(crate) fn first(&self) -> Option<&K> {
        self.items.front()
    }

    pub(crate) fn iter(&self) -> std::collections::vec_deque::Iter<'_, K> {
        self.items.iter()
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl<K: Ord + Copy> FromIterator<K> for SortedDeque<K> {
    fn from_iter<I: IntoIterator<Item = K>>(iter: I) -> Self {
        let mut v: Vec<K> = iter.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        SortedDeque { items: v.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::SortedDeque;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        #[test]
        fn behaves_like_a_btreeset(ops in prop::collection::vec((any::<bool>(), 0u16..64), 0..400)) {
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
            }
            for k in 0..64 {
                prop_assert_eq!(d.contains(&k), b.contains(&k));
            }
        }
    }
}
