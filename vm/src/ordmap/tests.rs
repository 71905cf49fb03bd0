//! Unit tests of `OrdMap`, including the randomized model test.

use super::hash::{tag_of, Home, PRIMES};
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
