//! Hashing for [`super::OrdMap`]: the key hasher, the string hash that string objects cache, and
//! the reduction of 32-bit tags to home slots (see the parent module's docs for why).

use std::hash::Hasher;

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
    pub(super) fn new(seed: u64) -> KeyHasher {
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
pub(super) const PRIMES: [u32; 30] = [
    7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071, 262139, 524287, 1048573,
    2097143, 4194301, 8388593, 16777213, 33554393, 67108859, 134217689, 268435399, 536870909, 1073741789, 2147483647,
    4294967291,
];

/// The modulus for a table of `len` slots (a power of two, at least 8).
pub(super) fn modulus_for(len: usize) -> u32 {
    PRIMES.get(len.trailing_zeros().saturating_sub(3) as usize).copied().unwrap_or(u32::MAX)
}

/// Reduction of tags to home slots: `t % modulus`, computed with Lemire's "fastmod" (two
/// multiplications instead of a division, exact for every 32-bit `t` and `modulus`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Home {
    modulus: u32,
    magic: u64,
}

impl Home {
    pub(super) fn new(modulus: u32) -> Home {
        Home { modulus, magic: (u64::MAX / modulus.max(1) as u64).wrapping_add(1) }
    }

    /// The home slot of `tag`.
    #[inline(always)]
    pub(super) fn of(self, tag: u32) -> usize {
        let low = self.magic.wrapping_mul(tag as u64);
        ((low as u128 * self.modulus as u128) >> 64) as usize
    }
}

/// A hash folded to the 32-bit tag that index slots store.
#[inline(always)]
pub(super) fn tag_of(h: u64) -> u32 {
    (h ^ (h >> 32)) as u32
}
