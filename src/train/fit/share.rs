//! A worker's share of a distributed run: which genes its matrices hold, and the few numbers
//! the workers agree on. Carried by the run as an `Option<Share>` (`None`: this process trains
//! alone), never looked up from process state.

use std::borrow::Cow;

use super::model::xgb_error;
use crate::train::Error;
use crate::train::input::dataset::Dataset;
use crate::xgb::collective::{self, Op};

/// Which share of the genes a worker's matrices hold: rank r of N streams the genes stored in
/// the part files p with p mod N = r.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    /// This worker's rank.
    pub rank: usize,
    /// How many workers.
    pub world: usize,
}

impl Share {
    /// Whether the gene stored in part file `part` is this worker's.
    pub fn owns(&self, part: usize) -> bool {
        part % self.world == self.rank
    }
}

/// The genes of `keep` this process streams: with a share, those stored in its part files;
/// alone, all of them.
pub(crate) fn genes<'k>(share: Option<Share>, ds: &Dataset, keep: &'k [bool]) -> Cow<'k, [bool]> {
    match share {
        Some(share) => keep
            .iter()
            .zip(&ds.genes)
            .map(|(k, g)| *k && share.owns(g.part))
            .collect(),
        None => Cow::Borrowed(keep),
    }
}

/// For each flag, whether every worker has it (a logical AND over the ranks); the flags
/// themselves for a process that trains alone.
pub(crate) fn all_ranks(share: Option<Share>, flags: &[bool]) -> Result<Vec<bool>, Error> {
    if share.is_none() {
        return Ok(flags.to_vec());
    }
    let mut v: Vec<u64> = flags.iter().map(|&f| u64::from(f)).collect();
    collective::allreduce(&mut v, Op::Min).map_err(xgb_error)?;
    Ok(v.into_iter().map(|x| x == 1).collect())
}

/// `n` summed over every worker (`n` itself for a process that trains alone).
pub(crate) fn sum_over_ranks(share: Option<Share>, n: usize) -> Result<usize, Error> {
    if share.is_none() {
        return Ok(n);
    }
    let mut v = [n as u64];
    collective::allreduce(&mut v, Op::Sum).map_err(xgb_error)?;
    Ok(v[0] as usize)
}
