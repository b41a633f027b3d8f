//! A fast hash for the maps of the policy engine, the population reader and the roster
//! import: keys are short (household ids, ID numbers, table cells, interned texts) and come
//! from the project's files, not from an adversary, and SipHash cost more than the rest of
//! a lookup.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;

/// Mixes eight-byte words (an id of 11 bytes is two steps, not eleven); MurmurHash3's
/// finaliser makes every input bit reach the low bits, which pick the bucket.
#[derive(Clone, Copy)]
pub struct WordHasher(u64);

impl Default for WordHasher {
    fn default() -> WordHasher {
        WordHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for WordHasher {
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        // Whole words read directly; the tail folded into a word as if zero-padded (a
        // copy of variable length into a buffer compiled to a `memcpy` call per word).
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.write_u64(u64::from_le_bytes(w.try_into().expect("eight bytes")));
        }
        let tail = words.remainder();
        if !tail.is_empty() {
            let word = tail
                .iter()
                .rev()
                .fold(0u64, |w, &b| (w << 8) | u64::from(b));
            self.write_u64(word);
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<WordHasher>>;
pub type FastSet<K> = HashSet<K, BuildHasherDefault<WordHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn a_tail_hashes_as_its_zero_padded_word() {
        use std::hash::Hasher;
        let one = |bytes: &[u8]| {
            let mut h = WordHasher::default();
            h.write(bytes);
            h.finish()
        };
        let words = |ws: &[u64]| {
            let mut h = WordHasher::default();
            ws.iter().for_each(|w| h.write_u64(*w));
            h.finish()
        };
        let id = b"H0000000001";
        let tail = u64::from_le_bytes(*b"001\0\0\0\0\0");
        let head = u64::from_le_bytes(*b"H0000000");
        assert_eq!(one(id), words(&[head, tail]));
        assert_eq!(one(b"12345678"), words(&[u64::from_le_bytes(*b"12345678")]));
        assert_ne!(one(b"a"), one(b"b"));
    }

    #[test]
    fn ids_that_differ_late_land_in_different_buckets() {
        // Household ids share their first eight bytes; the low bits must still differ.
        let b = BuildHasherDefault::<WordHasher>::default();
        let low: HashSet<u64> = (0..1000)
            .map(|i| b.hash_one(format!("H48732{i:05}")) & 0xfff)
            .collect();
        assert!(low.len() > 700, "{} distinct of 1000", low.len());
    }
}
