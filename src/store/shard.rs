//! Shards: a build split into N parts by batch, batch b (from 1) belonging to shard (b − 1) mod N.
//! The one place that rule lives; the builder builds a shard's batches, `merge` puts the shards
//! back together, `verify` checks a shard against its share of the plan.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The key under which a shard is recorded in the fingerprinted configuration.
pub const CONFIG_KEY: &str = "shard";

/// Shard `index` of `count` (0 ≤ index < count, count ≥ 2; one shard is no sharding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, from 0.
    pub index: usize,
    /// How many shards the run is split into.
    pub count: usize,
}

impl Shard {
    /// Shard `index` of `count`; `None` for `0/1` (no sharding); an error for anything else
    /// out of range.
    pub fn new(index: usize, count: usize) -> Result<Option<Self>, String> {
        if count == 0 || index >= count {
            return Err(format!(
                "shard {index}/{count} does not exist: shards are numbered 0 to N−1 (e.g. 0/4 … 3/4)"
            ));
        }
        Ok((count > 1).then_some(Shard { index, count }))
    }

    /// Whether batch `b` (from 1) is this shard's.
    pub fn owns(&self, b: usize) -> bool {
        (b - 1) % self.count == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `I/N`; `0/1` parses too (as shard 0 of 1) so that it can turn sharding off.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("--shard {s:?}: expected I/N, e.g. 0/4 (shard 0 of 4)");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index = i.trim().parse().map_err(|_| bad())?;
        let count = n.trim().parse().map_err(|_| bad())?;
        Shard::new(index, count)?;
        Ok(Shard { index, count })
    }
}

/// The batches (from 1) of a run of `total` batches that `shard` builds: all of them without
/// sharding.
pub fn batches(total: usize, shard: Option<Shard>) -> Vec<usize> {
    (1..=total)
        .filter(|&b| shard.is_none_or(|s| s.owns(b)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_batch_belongs_to_exactly_one_shard_and_shards_are_balanced() {
        for n in 2..6 {
            let mut seen = vec![0; 23];
            for i in 0..n {
                let s = Shard::new(i, n).unwrap();
                let mine = batches(23, s);
                assert!(mine.len().abs_diff(23 / n) <= 1, "{n}: {mine:?}");
                for b in mine {
                    seen[b - 1] += 1;
                }
            }
            assert!(seen.iter().all(|&c| c == 1), "{n}: {seen:?}");
        }
        assert_eq!(batches(5, None), vec![1, 2, 3, 4, 5]);
        assert_eq!(batches(7, Shard::new(1, 3).unwrap()), vec![2, 5]);
    }

    #[test]
    fn shard_text_is_parsed_and_checked() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!(Shard::new(0, 1), Ok(None));
        for bad in ["4/4", "1", "a/2", "0/0", "-1/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
