//! `OrdMap`: the insertion-ordered hash map behind Newt's `Map<K, V>`.
//!
//! language.md fixes the iteration order of maps: insertion order, where assigning an existing key
//! keeps its place, removing a key keeps the others' order, and a removed key that is inserted again
//! goes last. A plain hash map cannot give that, and a sorted or linked structure costs more than the
//! O(1) average the VM wants for `m[k]`, `m[k] = v` and `m.remove(k)`.
//!
//! Layout (indexmap's): `entries` holds the key/value pairs densely in order; a removed pair leaves a
//! hole (`None`) so that the positions of the others stay valid. Holes at the end are popped at
//! once; when holes make up more than half of `entries` the vector is compacted and the index
//! renumbered, which costs O(n) but happens at most once per n/2 removals (amortised O(1)).
//!
//! The index is a compact open-addressing table of 8-byte slots (linear probing, backward-shift
//! deletion, so no tombstones): each slot holds a 32-bit tag (the key's hash folded to 32 bits) and
//! the position of its entry. A lookup therefore touches one slot (eight share a cache line) and
//! then the one entry it names; the previous design (`HashMap<K, usize>` with 40-byte buckets beside
//! the entries) cost about three cache misses per lookup and made `map_numeric` 10x slower than Lua.
//!
//! **Hashing and home slots.** A key's home slot is its tag modulo a prime just below the table
//! size (Lua's scheme, with a prime rather than an odd modulus). Keys are hashed with
//! [`KeyHasher`], which passes a single word through unchanged and mixes longer input with a folded
//! multiply. So int keys (a map key writes one word) keep their locality: keys `k, k+7, k+14, ...`
//! get nearby home slots and a loop over them streams through the index instead of missing the
//! cache at every step (measured: 180 ns per lookup with a fully mixed hash on 2M keys, which is a
//! cache and TLB miss each time), while the prime modulus still spreads strided keys such as
//! multiples of 1024. Like Lua, this gives up resistance to chosen int keys. String keys feed
//! their text's hash ([`hash_str`], seeded per process) as their one word.
//!
//! **Invariant:** every `Some` entry has exactly one index slot naming its position (and the slot's
//! tag is its key's folded hash), no slot names a hole, `holes` counts the `None`s in `entries`,
//! `entries` never ends with a `None`, and the index is at most 3/4 full.

mod hash;

pub use hash::{hash_str, KeyHasher};

use hash::{modulus_for, tag_of, Home};
use std::hash::{Hash, Hasher};

/// Holes are tolerated up to this many even when they are most of a small map (compacting a tiny
/// vector over and over would cost more than the holes).
const MIN_HOLES_BEFORE_COMPACTION: usize = 8;

/// An empty index slot.
const EMPTY: u32 = u32::MAX;

/// One index slot: the low 32 bits of the key's hash and the position of its entry (`EMPTY`: none).
#[derive(Clone, Copy, Debug)]
struct Slot {
    tag: u32,
    pos: u32,
}

const FREE_SLOT: Slot = Slot { tag: 0, pos: EMPTY };

/// An insertion-ordered hash map with O(1) average get, insert and remove (see the module docs).
#[derive(Clone)]
pub struct OrdMap<K, V> {
    entries: Vec<Option<(K, V)>>,
    /// The open-addressing index; its length is zero or a power of two.
    slots: Box<[Slot]>,
    /// Live entries.
    len: usize,
    holes: usize,
    /// The home slot of tag `t` is `t % modulus` (see the module docs); 1 while `slots` is empty.
    home: Home,
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

/// The number of index slots for `n` entries: a power of two at most 3/4 full (0 for none).
fn slots_for(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        (n * 4 / 3 + 1).next_power_of_two().max(8)
    }
}

impl<K: Hash + Eq + Clone, V> OrdMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty map with room for `n` entries (map literals know their size).
    pub fn with_capacity(n: usize) -> Self {
        let slots = slots_for(n);
        OrdMap {
            entries: Vec::with_capacity(n),
            slots: vec![FREE_SLOT; slots].into_boxed_slice(),
            len: 0,
            holes: 0,
            home: Home::new(if slots == 0 { 1 } else { modulus_for(slots) }),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn hash(&self, k: &K) -> u64 {
        let mut h = KeyHasher::new(0);
        k.hash(&mut h);
        h.finish()
    }

    /// The index slot and entry position of `k` (whose hash is `h`).
    #[inline]
    fn find(&self, h: u64, k: &K) -> Option<(usize, usize)> {
        self.find_by(h, |ek| ek == k)
    }

    /// The index slot and entry position of the key with hash `h` for which `eq` holds.
    #[inline]
    fn find_by(&self, h: u64, eq: impl Fn(&K) -> bool) -> Option<(usize, usize)> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let tag = tag_of(h);
        let mut i = self.home.of(tag);
        loop {
            let s = self.slots[i];
            if s.pos == EMPTY {
                return None;
            }
            if s.tag == tag {
                if let Some(Some((ek, _))) = self.entries.get(s.pos as usize) {
                    if eq(ek) {
                        return Some((i, s.pos as usize));
                    }
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Puts `slot` into the first free slot of its probe sequence (the index has a free slot).
    #[inline]
    fn place(slots: &mut [Slot], home: Home, slot: Slot) {
        let mask = slots.len() - 1;
        let mut i = home.of(slot.tag);
        while slots[i].pos != EMPTY {
            i = (i + 1) & mask;
        }
        slots[i] = slot;
    }

    /// Makes room in the index for one more entry.
    fn reserve_one(&mut self) {
        if (self.len + 1) * 4 <= self.slots.len() * 3 {
            return;
        }
        let mut slots = vec![FREE_SLOT; slots_for(self.len + 1).max(self.slots.len() * 2)].into_boxed_slice();
        let home = Home::new(modulus_for(slots.len()));
        for s in self.slots.iter().filter(|s| s.pos != EMPTY) {
            Self::place(&mut slots, home, *s);
        }
        self.slots = slots;
        self.home = home;
    }

    /// Empties index slot `i` and shifts later members of its cluster back (Knuth's Algorithm R), so
    /// that lookups never need tombstones.
    fn free_slot(&mut self, mut i: usize) {
        let mask = self.slots.len() - 1;
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let s = self.slots[j];
            if s.pos == EMPTY {
                break;
            }
            let home = self.home.of(s.tag);
            // The slot at `j` may move to the hole at `i` unless its home lies cyclically in (i, j].
            let stays = if i <= j { i < home && home <= j } else { i < home || home <= j };
            if !stays {
                self.slots[i] = s;
                i = j;
            }
        }
        self.slots[i] = FREE_SLOT;
    }

    /// The value under `k`.
    pub fn get(&self, k: &K) -> Option<&V> {
        let (_, pos) = self.find(self.hash(k), k)?;
        self.entries.get(pos)?.as_ref().map(|(_, v)| v)
    }

    /// The value under `k`, mutable.
    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        let (_, pos) = self.find(self.hash(k), k)?;
        self.entries.get_mut(pos)?.as_mut().map(|(_, v)| v)
    }

    /// True when `k` has a value.
    pub fn contains_key(&self, k: &K) -> bool {
        self.find(self.hash(k), k).is_some()
    }

    /// Sets `k` to `v`. An existing key keeps its place and its old value is returned; a new key
    /// goes last.
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        let h = self.hash(&k);
        if let Some((_, pos)) = self.find(h, &k) {
            if let Some(Some((_, slot))) = self.entries.get_mut(pos) {
                return Some(std::mem::replace(slot, v));
            }
        }
        self.reserve_one();
        debug_assert!(self.entries.len() < EMPTY as usize);
        Self::place(&mut self.slots, self.home, Slot { tag: tag_of(h), pos: self.entries.len() as u32 });
        self.entries.push(Some((k, v)));
        self.len += 1;
        None
    }

    /// Removes `k`, returning its value; the other entries keep their order.
    pub fn remove(&mut self, k: &K) -> Option<V> {
        let (slot, pos) = self.find(self.hash(k), k)?;
        self.remove_found(slot, pos)
    }

    /// Removes the entry at `pos`, which index slot `slot` names.
    fn remove_found(&mut self, slot: usize, pos: usize) -> Option<V> {
        let (_, v) = self.entries.get_mut(pos)?.take()?;
        self.free_slot(slot);
        self.len -= 1;
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

    /// The position (see [`OrdMap::slot`]) of the key for which `eq` holds, found without building
    /// a key: the VM looks up string keys by the text of a string object this way, without
    /// cloning it. `word` must be the one word `K`'s `Hash` writes for that key (map keys write a
    /// single word; [`KeyHasher`] hashes it to itself).
    #[inline]
    pub fn find_hashed(&self, word: u64, eq: impl Fn(&K) -> bool) -> Option<usize> {
        self.find_by(word, eq).map(|(_, pos)| pos)
    }

    /// The value at position `pos`, mutable (`None` for a hole or past the end).
    pub fn slot_value_mut(&mut self, pos: usize) -> Option<&mut V> {
        self.entries.get_mut(pos)?.as_mut().map(|(_, v)| v)
    }

    /// Adds `k`, which the caller knows is absent (it just looked it up), at the end.
    pub fn insert_new(&mut self, k: K, v: V) {
        let h = self.hash(&k);
        debug_assert!(self.find(h, &k).is_none(), "insert_new of a present key");
        self.reserve_one();
        debug_assert!(self.entries.len() < EMPTY as usize);
        Self::place(&mut self.slots, self.home, Slot { tag: tag_of(h), pos: self.entries.len() as u32 });
        self.entries.push(Some((k, v)));
        self.len += 1;
    }

    /// Removes the entry at position `pos` (found by [`OrdMap::find_hashed`] with the same `word`),
    /// returning its value; the other entries keep their order.
    pub fn remove_at(&mut self, word: u64, pos: usize) -> Option<V> {
        let (slot, pos) = self.slot_of(word, pos)?;
        self.remove_found(slot, pos)
    }

    /// The index slot that names position `pos`, searched along the probe sequence of `h`.
    fn slot_of(&self, h: u64, pos: usize) -> Option<(usize, usize)> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home.of(tag_of(h));
        loop {
            let s = self.slots[i];
            if s.pos == EMPTY {
                return None;
            }
            if s.pos as usize == pos {
                return Some((i, pos));
            }
            i = (i + 1) & mask;
        }
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.slots.fill(FREE_SLOT);
        self.len = 0;
        self.holes = 0;
    }

    /// Drops the holes and renumbers the index.
    fn compact(&mut self) {
        // new_pos[old position] for every entry (holes keep EMPTY; no slot names them).
        let mut new_pos = vec![EMPTY; self.entries.len()];
        let mut next = 0u32;
        for (old, e) in self.entries.iter().enumerate() {
            if e.is_some() {
                new_pos[old] = next;
                next += 1;
            }
        }
        self.entries.retain(Option::is_some);
        self.holes = 0;
        for s in self.slots.iter_mut().filter(|s| s.pos != EMPTY) {
            if let Some(&p) = new_pos.get(s.pos as usize) {
                s.pos = p;
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

    /// Checks the invariant of the module docs (tests).
    #[cfg(test)]
    fn check_invariant(&self) {
        let live = self.entries.iter().filter(|e| e.is_some()).count();
        assert_eq!(live, self.len);
        assert_eq!(self.entries.len() - live, self.holes);
        assert!(!matches!(self.entries.last(), Some(None)));
        let used: Vec<&Slot> = self.slots.iter().filter(|s| s.pos != EMPTY).collect();
        assert_eq!(used.len(), self.len);
        assert!(self.len * 4 <= self.slots.len() * 3 || self.slots.is_empty());
        for s in used {
            let Some(Some((k, _))) = self.entries.get(s.pos as usize) else { panic!("slot names a hole") };
            assert_eq!(tag_of(self.hash(k)), s.tag);
            assert_eq!(self.find(self.hash(k), k).map(|(_, p)| p), Some(s.pos as usize));
        }
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
mod tests;
