//! A bounded memo keyed by exact DER bytes: what was learnt about a certificate or request
//! once (its signature verified, its fields parsed) is not recomputed when the same bytes
//! come back — on every update of the same CSR, in the signer, in the kubelet that receives
//! the certificate, in every hourly pass of the cleaner.
//!
//! Entries are found by the DER's last 32 bytes (the signature, which differs between
//! objects) before the full comparison: DERs share long prefixes, and ordering whole DERs
//! spent 1 % of a fleet run in `memcmp`. The tails are hashed ([`crate::lookup`]): ordering
//! them in a B-tree still cost 1.5 %. Oldest entries go first once `capacity` is reached.

use crate::lookup::LookupMap;
use std::collections::VecDeque;

pub struct DerMemo<V> {
    capacity: usize,
    by_tail: LookupMap<[u8; 32], Vec<(Box<[u8]>, V)>>,
    /// Insertion order (by tail; within one tail, its list is in insertion order too).
    order: VecDeque<[u8; 32]>,
}

fn der_tail(der: &[u8]) -> [u8; 32] {
    let mut t = [0u8; 32];
    let n = der.len().min(32);
    t[32 - n..].copy_from_slice(&der[der.len() - n..]);
    t
}

impl<V: Clone> DerMemo<V> {
    /// An empty memo (usable in a `static`).
    pub const fn new(capacity: usize) -> Self {
        DerMemo {
            capacity,
            by_tail: LookupMap::new(),
            order: VecDeque::new(),
        }
    }

    /// The value remembered for exactly these bytes.
    pub fn get(&self, der: &[u8]) -> Option<V> {
        self.by_tail
            .get(&der_tail(der))?
            .iter()
            .find(|(d, _)| **d == *der)
            .map(|(_, v)| v.clone())
    }

    /// The value remembered for exactly these bytes, to change in place.
    pub fn get_mut(&mut self, der: &[u8]) -> Option<&mut V> {
        self.by_tail
            .get_mut(&der_tail(der))?
            .iter_mut()
            .find(|(d, _)| **d == *der)
            .map(|(_, v)| v)
    }

    /// Remember `value` for these bytes (kept as first remembered if already there).
    pub fn insert(&mut self, der: &[u8], value: V) {
        let tail = der_tail(der);
        let list = self.by_tail.entry_or_insert_with(tail, Vec::new);
        if list.iter().any(|(d, _)| **d == *der) {
            return;
        }
        list.push((der.into(), value));
        self.order.push_back(tail);
        while self.order.len() > self.capacity {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(l) = self.by_tail.get_mut(&old) {
                l.remove(0);
                if l.is_empty() {
                    self.by_tail.remove(&old);
                }
            }
        }
    }

    pub fn clear(&mut self) {
        self.by_tail.clear();
        self.order.clear();
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der(tag: u32, tail: u8) -> Vec<u8> {
        let mut d = vec![0x30; 200];
        d[..4].copy_from_slice(&tag.to_be_bytes());
        d.extend_from_slice(&[tail; 40]);
        d
    }

    /// Entries sharing their last bytes are told apart by the full comparison, and the
    /// oldest entry goes first once the memo is full.
    #[test]
    fn compares_whole_der_and_evicts_oldest() {
        let mut m = DerMemo::new(3);
        let (a, b, c, d) = (der(1, 7), der(2, 7), der(3, 7), der(4, 9));
        m.insert(&a, 'a');
        m.insert(&b, 'b');
        m.insert(&b, 'x');
        assert_eq!(
            (m.get(&a), m.get(&b), m.get(&c)),
            (Some('a'), Some('b'), None)
        );
        m.insert(&c, 'c');
        m.insert(&d, 'd');
        assert_eq!(m.len(), 3);
        assert_eq!(m.get(&a), None, "oldest evicted");
        assert_eq!(
            (m.get(&b), m.get(&c), m.get(&d)),
            (Some('b'), Some('c'), Some('d'))
        );
        assert_eq!(m.get(&[]), None);
        m.insert(&[], 'e');
        assert_eq!(m.get(&[]), Some('e'), "short DERs are padded, not refused");
        m.clear();
        assert!(m.is_empty() && m.get(&d).is_none());
    }
}
