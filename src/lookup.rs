//! A hash map for point lookups only: get, insert, remove — and no iteration.
//!
//! The core uses `BTreeMap` everywhere (clippy.toml forbids `HashMap`) so that no hash order
//! can reach output. Some hot maps are only ever looked up, never iterated: the memos keyed
//! by DER bytes and the table of the simulator's own keys. There a B-tree's `log n` byte-wise
//! comparisons of 32- or 65-byte keys cost 3 % of a fleet run; a hash lookup is one compare.
//! This type offers no way to iterate, so its order cannot leak. The hasher is fixed (no
//! per-process random seed) and cheap: the keys are signatures and curve points, already
//! uniformly distributed.
#![allow(clippy::disallowed_types)] // the one place HashMap is used: iteration is not exposed

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// FxHash-style multiply-rotate over 8-byte words (deterministic: no seed).
#[derive(Default, Clone, Copy)]
pub struct WordHasher(u64);

const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl WordHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
    }
}

impl Hasher for WordHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A lookup-only map (see the module doc).
pub struct LookupMap<K, V> {
    map: HashMap<K, V, BuildHasherDefault<WordHasher>>,
}

impl<K: Hash + Eq, V> LookupMap<K, V> {
    /// An empty map (usable in a `static`).
    pub const fn new() -> Self {
        LookupMap {
            map: HashMap::with_hasher(BuildHasherDefault::new()),
        }
    }
    #[inline]
    pub fn get(&self, k: &K) -> Option<&V> {
        self.map.get(k)
    }
    #[inline]
    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.map.get_mut(k)
    }
    #[inline]
    pub fn contains_key(&self, k: &K) -> bool {
        self.map.contains_key(k)
    }
    /// Insert; returns the previous value.
    #[inline]
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        self.map.insert(k, v)
    }
    /// The value for `k`, inserted by `make` if absent.
    #[inline]
    pub fn entry_or_insert_with(&mut self, k: K, make: impl FnOnce() -> V) -> &mut V {
        self.map.entry(k).or_insert_with(make)
    }
    #[inline]
    pub fn remove(&mut self, k: &K) -> Option<V> {
        self.map.remove(k)
    }
    pub fn clear(&mut self) {
        self.map.clear()
    }
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

impl<K: Hash + Eq, V> Default for LookupMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_insert_remove_by_value() {
        let mut m: LookupMap<[u8; 65], u32> = LookupMap::new();
        let mut a = [7u8; 65];
        assert!(m.insert(a, 1).is_none());
        a[64] = 8; // differs only in the last (remainder) byte
        assert!(m.insert(a, 2).is_none());
        assert_eq!(m.insert(a, 3), Some(2));
        assert_eq!(
            (m.get(&[7u8; 65]), m.get(&a), m.len()),
            (Some(&1), Some(&3), 2)
        );
        *m.entry_or_insert_with([0u8; 65], || 9) += 1;
        assert_eq!(m.get(&[0u8; 65]), Some(&10));
        assert_eq!(m.remove(&a), Some(3));
        assert!(!m.contains_key(&a) && m.contains_key(&[7u8; 65]));
        m.clear();
        assert!(m.is_empty());
    }

    /// The hash depends on every byte and on nothing else (no per-process seed): the same
    /// key hashes the same in every run.
    #[test]
    fn hasher_is_fixed_and_sees_every_byte() {
        let h = |b: &[u8]| {
            let mut s = WordHasher::default();
            s.write(b);
            s.finish()
        };
        let base = [3u8; 33];
        assert_eq!(h(&base), h(&[3u8; 33]));
        for i in 0..base.len() {
            let mut b = base;
            b[i] ^= 1;
            assert_ne!(h(&b), h(&base), "byte {i}");
        }
    }
}
