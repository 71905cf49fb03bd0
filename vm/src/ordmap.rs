//! `OrdMap`: the insertion-ordered hash map behind Newt's `Map<K, V>`.
//!
//! language.md fixes the iteration order of maps: insertion order, where assigning an existing key
//! keeps its place, removing a key keeps the others' order, and a removed key that is inserted again
//! goes last. A plain hash map cannot give that, and a sorted or linked structure costs more than the
//! O(1) average the VM wants for `m[k]`, `m[k] = v` and `m.remove(k)`.
//!
//! Layout: `entries` holds the key/value pairs in order; a removed pair leaves a hole (`None`) so
//! that the positions of the others, which `index` records, stay valid. Holes at the end are popped
//! at once; when holes make up more than half of `entries` the vector is compacted and `index`
//! renumbered, which costs O(n) but happens at most once per n/2 removals (amortised O(1)).
//!
//! **Invariant:** `index[k] == i` exactly when `entries[i]` is `Some((k, _))`, `holes` counts the
//! `None`s in `entries`, and `entries` never ends with a `None`.

use std::hash::Hash;

type Index<K> = std::collections::HashMap<K, usize, ahash::RandomState>;

/// Holes are tolerated up to this many even when they are most of a small map (compacting a tiny
/// vector over and over would cost more than the holes).
const MIN_HOLES_BEFORE_COMPACTION: usize = 8;

/// An insertion-ordered hash map with O(1) average get, insert and remove (see the module docs).
#[derive(Clone)]
pub struct OrdMap<K, V> {
    entries: Vec<Option<(K, V)>>,
    index: Index<K>,
    holes: usize,
}

impl<K: Hash + Eq + Clone, V> Default for OrdMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Hash + Eq + Clone + std::fmt::Debug, V: std::fmt::Debug> std::fmt::Debug for OrdMap<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Hash + Eq + Clone, V> OrdMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty map with room for `n` entries (map literals know their size).
    pub fn with_capacity(n: usize) -> Self {
        OrdMap {
            entries: Vec::with_capacity(n),
            index: Index::with_capacity_and_hasher(n, ahash::RandomState::new()),
            holes: 0,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The value under `k`.
    pub fn get(&self, k: &K) -> Option<&V> {
        let i = *self.index.get(k)?;
        self.entries.get(i)?.as_ref().map(|(_, v)| v)
    }

    /// The value under `k`, mutable.
    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        let i = *self.index.get(k)?;
        self.entries.get_mut(i)?.as_mut().map(|(_, v)| v)
    }

    /// True when `k` has a value.
    pub fn contains_key(&self, k: &K) -> bool {
        self.index.contains_key(k)
    }

    /// Sets `k` to `v`. An existing key keeps its place and its old value is returned; a new key
    /// goes last.
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        if let Some(&i) = self.index.get(&k) {
            if let Some(Some((_, slot))) = self.entries.get_mut(i) {
                return Some(std::mem::replace(slot, v));
            }
        }
        self.index.insert(k.clone(), self.entries.len());
        self.entries.push(Some((k, v)));
        None
    }

    /// Removes `k`, returning its value; the other entries keep their order.
    pub fn remove(&mut self, k: &K) -> Option<V> {
        let i = self.index.remove(k)?;
        let (_, v) = self.entries.get_mut(i)?.take()?;
        self.holes += 1;
        while let Some(None) = self.entries.last() {
            self.entries.pop();
            self.holes -= 1;
        }
        if self.holes >= MIN_HOLES_BEFORE_COMPACTION && self.holes * 2 > self.entries.len() {
            self.compact();
        }
        Some(v)
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.index.clear();
        self.holes = 0;
    }

    /// Drops the holes and renumbers the index.
    fn compact(&mut self) {
        self.entries.retain(Option::is_some);
        self.holes = 0;
        for (i, (k, _)) in self.entries.iter().flatten().enumerate() {
            if let Some(pos) = self.index.get_mut(k) {
                *pos = i;
            }
        }
    }

    /// The keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// The values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// The values in key order, mutable (the collector rewrites or visits them).
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + '_ {
        self.iter_mut().map(|(_, v)| v)
    }

    /// The entries in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + '_ {
        self.entries.iter().flatten().map(|(k, v)| (k, v))
    }

    /// The entries in order, values mutable.
    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (&K, &mut V)> + '_ {
        self.entries.iter_mut().flatten().map(|(k, v)| (&*k, v))
    }

    /// One past the last slot position; with [`OrdMap::slot`] this lets an iterator keep a cursor
    /// (a plain `usize`) instead of borrowing the map, e.g. across VM instructions.
    ///
    /// Positions stay valid while entries are inserted or assigned; a `remove` may compact the
    /// slots and move entries to lower positions, so a cursor held across a removal may skip some.
    pub fn slot_count(&self) -> usize {
        self.entries.len()
    }

    /// The entry at slot `pos`, or `None` for a hole or a position past the end.
    pub fn slot(&self, pos: usize) -> Option<(&K, &V)> {
        self.entries.get(pos)?.as_ref().map(|(k, v)| (k, v))
    }
}

impl<K: Hash + Eq + Clone, V> FromIterator<(K, V)> for OrdMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut m = OrdMap::with_capacity(iter.size_hint().0);
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(m: &OrdMap<i64, i64>) -> Vec<i64> {
        m.keys().copied().collect()
    }

    #[test]
    fn insertion_order_and_reassignment() {
        let mut m = OrdMap::new();
        assert!(m.is_empty());
        assert_eq!(m.insert(3, 30), None);
        assert_eq!(m.insert(1, 10), None);
        assert_eq!(m.insert(2, 20), None);
        assert_eq!(keys(&m), [3, 1, 2]);
        // Assigning an existing key keeps its place.
        assert_eq!(m.insert(3, 31), Some(30));
        assert_eq!(keys(&m), [3, 1, 2]);
        assert_eq!(m.get(&3), Some(&31));
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn remove_keeps_order_and_reinsert_goes_last() {
        let mut m: OrdMap<i64, i64> = (0..5).map(|i| (i, i * 10)).collect();
        assert_eq!(m.remove(&1), Some(10));
        assert_eq!(m.remove(&1), None);
        assert_eq!(keys(&m), [0, 2, 3, 4]);
        assert_eq!(m.insert(1, 11), None);
        assert_eq!(keys(&m), [0, 2, 3, 4, 1]);
        assert_eq!(m.values().copied().collect::<Vec<_>>(), [0, 20, 30, 40, 11]);
        assert!(!m.contains_key(&9));
        assert!(m.contains_key(&1));
    }

    #[test]
    fn removing_the_last_entry_leaves_no_hole() {
        let mut m: OrdMap<i64, i64> = (0..3).map(|i| (i, i)).collect();
        m.remove(&1);
        m.remove(&2);
        assert_eq!(m.slot_count(), 1);
        assert_eq!(m.holes, 0);
    }

    #[test]
    fn compaction_keeps_lookups_right() {
        let mut m: OrdMap<i64, i64> = (0..100).map(|i| (i, i)).collect();
        for i in (0..99).filter(|i| i % 3 != 0) {
            m.remove(&i);
        }
        assert!(m.slot_count() < 100, "compaction should have run");
        for i in 0..100 {
            let expected = (i % 3 == 0 || i == 99).then_some(i);
            assert_eq!(m.get(&i).copied(), expected);
        }
        let want: Vec<i64> = (0..100).filter(|i| i % 3 == 0 || *i == 99).collect();
        assert_eq!(keys(&m), want);
    }

    #[test]
    fn mutation_through_get_mut_and_iter_mut() {
        let mut m: OrdMap<String, Vec<i64>> = OrdMap::new();
        m.insert("a".into(), vec![1]);
        m.insert("b".into(), vec![]);
        if let Some(v) = m.get_mut(&"b".to_string()) {
            v.push(2);
        }
        for v in m.values_mut() {
            v.push(0);
        }
        for (k, v) in m.iter_mut() {
            if k == "a" {
                v.push(9);
            }
        }
        let got: Vec<_> = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        assert_eq!(got, [("a".to_string(), vec![1, 0, 9]), ("b".to_string(), vec![2, 0])]);
        m.clear();
        assert!(m.is_empty());
        assert_eq!(m.iter().count(), 0);
        m.insert("c".into(), vec![]);
        assert_eq!(m.keys().collect::<Vec<_>>(), ["c"]);
    }

    #[test]
    fn slot_cursor_sees_every_entry() {
        let mut m: OrdMap<i64, i64> = (0..6).map(|i| (i, i)).collect();
        m.remove(&2);
        let mut seen = Vec::new();
        let mut pos = 0;
        while pos < m.slot_count() {
            if let Some((k, _)) = m.slot(pos) {
                seen.push(*k);
            }
            pos += 1;
        }
        assert_eq!(seen, [0, 1, 3, 4, 5]);
        assert_eq!(m.slot(2), None);
        assert_eq!(m.slot(1000), None);
    }

    #[test]
    fn debug_lists_entries_in_order() {
        let m: OrdMap<i64, &str> = [(2, "b"), (1, "a")].into_iter().collect();
        assert_eq!(format!("{m:?}"), r#"{2: "b", 1: "a"}"#);
    }

    /// A tiny deterministic generator (xorshift64*) so the test needs no extra crate.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
    }

    #[test]
    fn randomized_against_a_vec_model() {
        for seed in 1..=20u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let mut m: OrdMap<u64, u64> = OrdMap::new();
            let mut model: Vec<(u64, u64)> = Vec::new();
            let key_space = 5 + seed * 7;
            for step in 0..3000u64 {
                let k = rng.next() % key_space;
                match rng.next() % 10 {
                    0..=4 => {
                        let old = model.iter_mut().find(|(mk, _)| *mk == k).map(|e| std::mem::replace(&mut e.1, step));
                        if old.is_none() {
                            model.push((k, step));
                        }
                        assert_eq!(m.insert(k, step), old);
                    }
                    5..=8 => {
                        let pos = model.iter().position(|(mk, _)| *mk == k);
                        let old = pos.map(|p| model.remove(p).1);
                        assert_eq!(m.remove(&k), old);
                    }
                    _ => {
                        let want = model.iter().find(|(mk, _)| *mk == k).map(|e| e.1);
                        assert_eq!(m.get(&k).copied(), want);
                        assert_eq!(m.contains_key(&k), want.is_some());
                    }
                }
                assert_eq!(m.len(), model.len());
                if step % 97 == 0 {
                    let got: Vec<(u64, u64)> = m.iter().map(|(k, v)| (*k, *v)).collect();
                    assert_eq!(got, model, "seed {seed} step {step}");
                }
            }
            let got: Vec<(u64, u64)> = m.iter().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(got, model);
            assert!(m.holes * 2 <= m.slot_count().max(2 * MIN_HOLES_BEFORE_COMPACTION));
        }
    }
}
