//! The set of interaction ids read from one file (to skip an interaction listed twice). Many
//! exports number their interactions 1, 2, 3, ...: such ids go into a bitmap (one bit each,
//! and a lookup that stays in cache), any other id into a hash set. The bitmap grows only while
//! it stays smaller than a hash set of the ids it would hold.

use rustc_hash::FxHashSet;

#[derive(Default)]
pub(crate) struct IdSet {
    /// Bit `id` is set when `id` (below `64 * bits.len()`) was inserted.
    bits: Vec<u64>,
    /// Ids the bitmap does not cover.
    others: FxHashSet<u64>,
    /// Ids in the bitmap.
    dense: u64,
}

/// A bitmap of this many bytes is always fine (1 MiB: the first 8 million ids).
const FREE_BYTES: u64 = 1 << 20;
/// Bytes a hash set spends on one id, about: the bitmap may grow to this per id it holds.
const BYTES_PER_ID: u64 = 16;

impl IdSet {
    /// Adds `id`; `false` if it was already there.
    pub(crate) fn insert(&mut self, id: u64) -> bool {
        if id >= 64 * self.bits.len() as u64 {
            self.grow_for(id);
        }
        let word = (id / 64) as usize;
        if let Some(w) = self.bits.get_mut(word) {
            let bit = 1u64 << (id % 64);
            if *w & bit != 0 {
                return false;
            }
            *w |= bit;
            self.dense += 1;
            return true;
        }
        self.others.insert(id)
    }

    /// Grows the bitmap to cover `id` if it stays small enough for the ids it holds, moving
    /// the ids it now covers out of the hash set.
    fn grow_for(&mut self, id: u64) {
        let want_words = (id / 64 + 1).next_power_of_two();
        let bytes = want_words.saturating_mul(8);
        let held = self.dense + self.others.len() as u64 + 1;
        if bytes > FREE_BYTES && bytes > held.saturating_mul(BYTES_PER_ID) {
            return;
        }
        self.bits.resize(want_words as usize, 0);
        let limit = 64 * want_words;
        let moved: Vec<u64> = self.others.iter().copied().filter(|&x| x < limit).collect();
        for x in moved {
            self.others.remove(&x);
            self.bits[(x / 64) as usize] |= 1 << (x % 64);
            self.dense += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same answers as a hash set, for numbered ids, hashed ids and a mix (ids that first
    /// go to the hash set and later fall under a grown bitmap).
    #[test]
    fn behaves_like_a_hash_set() {
        let mut state = 7u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for case in 0..4 {
            let (mut ours, mut theirs) = (IdSet::default(), std::collections::HashSet::new());
            for i in 0..200_000u64 {
                let id = match case {
                    0 => next() % 150_000,
                    1 => next() | 1 << 63,
                    2 => {
                        if next() % 3 == 0 {
                            next() % (1 << 40)
                        } else {
                            i / 2
                        }
                    }
                    _ => (next() % 50) * 1_000_000 + i % 7,
                };
                assert_eq!(ours.insert(id), theirs.insert(id), "case {case}: id {id}");
            }
        }
    }

    #[test]
    fn numbered_ids_stay_in_a_small_bitmap() {
        let mut set = IdSet::default();
        for id in 1..=3_000_000u64 {
            assert!(set.insert(id));
        }
        assert!(!set.insert(17));
        assert!(set.others.is_empty());
        assert!(set.bits.len() * 8 <= 1 << 20);
    }
}
