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

use std::hash::{Hash, Hasher};

/// Holes are tolerated up to this many even when they are most of a small map (compacting a tiny
/// vector over and over would cost more than the holes).
const MIN_HOLES_BEFORE_COMPACTION: usize = 8;

/// An empty index slot.
const EMPTY: u32 = u32::MAX;

/// The multiplier of the folded multiply (the fractional part of pi, as in foldhash).
const MULTIPLIER: u64 = 0x243f_6a88_85a3_08d3;

/// The full 128-bit product of `a` and `b`, folded to 64 bits by XOR of its halves: every input bit
/// affects every output bit, at the cost of one multiplication.
#[inline(always)]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let p = (a as u128).wrapping_mul(b as u128);
    (p as u64) ^ ((p >> 64) as u64)
}

/// The per-process seed of [`KeyHasher`] (hash flooding needs the seed; iteration order never
/// depends on it).
fn process_seed() -> u64 {
    use std::sync::OnceLock;
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| ahash::RandomState::new().hash_one(0x5eed_u64) | 1)
}

/// The hasher of map keys (see the module docs): a single word is its own hash; each further
/// 8-byte word is mixed in with one folded multiply.
#[derive(Clone, Copy)]
pub struct KeyHasher {
    acc: u64,
    words: u32,
}

impl KeyHasher {
    /// A hasher starting from `seed`.
    #[inline(always)]
    fn new(seed: u64) -> KeyHasher {
        KeyHasher { acc: seed, words: 0 }
    }
}

impl Hasher for KeyHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline(always)]
    fn write_u8(&mut self, i: u8) {
        self.write_u64(i as u64)
    }

    #[inline(always)]
    fn write_u32(&mut self, i: u32) {
        self.write_u64(i as u64)
    }

    #[inline(always)]
    fn write_u64(&mut self, i: u64) {
        self.acc = if self.words == 0 { self.acc ^ i } else { folded_multiply(self.acc ^ i, MULTIPLIER) };
        self.words += 1;
    }

    #[inline(always)]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64)
    }

    #[inline(always)]
    fn write_i64(&mut self, i: i64) {
        self.write_u64(i as u64)
    }

    #[inline(always)]
    fn finish(&self) -> u64 {
        self.acc
    }
}

/// The hash of a string as map keys hash it: what a key type that caches its text's hash (string
/// map keys, see `crate::heap::StrKey`) writes with one `write_u64`.
pub fn hash_str(s: &str) -> u64 {
    let mut h = KeyHasher::new(process_seed());
    h.write_u64(s.len() as u64);
    h.write(s.as_bytes());
    // Never zero, so that a cache can use zero for "not computed yet".
    folded_multiply(h.finish(), MULTIPLIER) | 1
}

/// Largest primes below 2^3 .. 2^32: the modulus for home slots of a table of 2^k slots.
const PRIMES: [u32; 30] = [
    7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071, 262139, 524287, 1048573,
    2097143, 4194301, 8388593, 16777213, 33554393, 67108859, 134217689, 268435399, 536870909, 1073741789, 2147483647,
    4294967291,
];

/// The modulus for a table of `len` slots (a power of two, at least 8).
fn modulus_for(len: usize) -> u32 {
    PRIMES.get(len.trailing_zeros().saturating_sub(3) as usize).copied().unwrap_or(u32::MAX)
}

/// Reduction of tags to home slots: `t % modulus`, computed with Lemire's "fastmod" (two
/// multiplications instead of a division, exact for every 32-bit `t` and `modulus`).
#[derive(Clone, Copy, Debug)]
struct Home {
    modulus: u32,
    magic: u64,
}

impl Home {
    fn new(modulus: u32) -> Home {
        Home { modulus, magic: (u64::MAX / modulus.max(1) as u64).wrapping_add(1) }
    }

    /// The home slot of `tag`.
    #[inline(always)]
    fn of(self, tag: u32) -> usize {
        let low = self.magic.wrapping_mul(tag as u64);
        ((low as u128 * self.modulus as u128) >> 64) as usize
    }
}

/// A hash folded to the 32-bit tag that index slots store.
#[inline(always)]
fn tag_of(h: u64) -> u32 {
    (h ^ (h >> 32)) as u32
}

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
                    m.check_invariant();
                }
            }
            let got: Vec<(u64, u64)> = m.iter().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(got, model);
            assert!(m.holes * 2 <= m.slot_count().max(2 * MIN_HOLES_BEFORE_COMPACTION));
            m.check_invariant();
        }
    }

    #[test]
    fn large_strided_keys_grow_remove_and_reinsert() {
        // Multiples of 1024 would all share a home slot under a plain multiplicative hash.
        let mut m: OrdMap<i64, i64> = OrdMap::new();
        for i in 0..20_000 {
            assert_eq!(m.insert(i * 1024, i), None);
        }
        m.check_invariant();
        // The longest probe run stays short: the hash spreads the keys.
        let mask = m.slots.len() - 1;
        let longest = (0..20_000i64)
            .map(|i| {
                let h = m.hash(&(i * 1024));
                let (slot, _) = m.find(h, &(i * 1024)).unwrap();
                (slot.wrapping_sub(m.home.of(tag_of(h)))) & mask
            })
            .max()
            .unwrap();
        assert!(longest < 64, "probe run of {longest}");
        for i in (0..20_000).step_by(2) {
            assert_eq!(m.remove(&(i * 1024)), Some(i));
        }
        m.check_invariant();
        for i in 0..20_000 {
            assert_eq!(m.get(&(i * 1024)).copied(), (i % 2 == 1).then_some(i));
        }
        assert_eq!(m.insert(0, -1), None);
        assert_eq!(m.keys().last(), Some(&0), "a re-inserted key goes last");
        m.check_invariant();
        m.clear();
        m.check_invariant();
        assert_eq!(m.get(&1024), None);
    }

    #[test]
    fn fastmod_matches_the_remainder() {
        for &d in PRIMES.iter().chain(&[1, 2, 3, u32::MAX]) {
            let home = Home::new(d);
            for t in [0, 1, 2, 6, 7, 8, 12345, d.wrapping_sub(1), d, d.wrapping_add(1), u32::MAX - 1, u32::MAX] {
                assert_eq!(home.of(t), (t % d) as usize, "{t} % {d}");
            }
        }
    }

    #[test]
    fn hashed_lookup_insert_and_remove_agree_with_the_key_api() {
        let mut m: OrdMap<u64, u64> = OrdMap::new();
        for k in 0..100u64 {
            assert_eq!(m.find_hashed(k * 3, |e| *e == k * 3), None);
            m.insert_new(k * 3, k);
        }
        m.check_invariant();
        let pos = m.find_hashed(30, |e| *e == 30).unwrap();
        assert_eq!(m.slot(pos), Some((&30, &10)));
        *m.slot_value_mut(pos).unwrap() = 99;
        assert_eq!(m.get(&30), Some(&99));
        assert_eq!(m.remove_at(30, pos), Some(99));
        assert_eq!(m.remove_at(30, pos), None);
        assert_eq!(m.get(&30), None);
        assert_eq!(m.len(), 99);
        m.check_invariant();
    }

    #[test]
    fn string_keys_hash_by_content() {
        let mut m: OrdMap<String, i64> = OrdMap::new();
        for i in 0..1000 {
            m.insert(format!("key number {i}"), i);
        }
        for i in 0..1000 {
            assert_eq!(m.get(&format!("key number {i}")), Some(&i));
        }
        assert_eq!(m.get(&"key number".to_string()), None);
        m.check_invariant();
    }
}
