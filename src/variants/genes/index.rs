//! Finding the genes whose span holds a position, for millions of look-ups: per contig, the
//! genes sorted by start with the running maximum of their ends, so a look-up is a binary search
//! and a walk back over the genes that start before the position, stopped as soon as no earlier
//! gene can reach it.

use super::TableGene;

/// The genes of one contig, by start.
#[derive(Debug, Clone)]
pub(super) struct ContigIndex {
    /// Table indices, sorted by (start, index).
    order: Vec<usize>,
    starts: Vec<u64>,
    ends: Vec<u64>,
    /// `max_end[i]`: the largest end among `order[..=i]`.
    max_end: Vec<u64>,
}

impl ContigIndex {
    /// The index of `members` (indices into `genes`).
    pub(super) fn new(genes: &[TableGene], mut members: Vec<usize>) -> ContigIndex {
        members.sort_by_key(|&i| (genes[i].tx_start, i));
        let starts = members.iter().map(|&i| genes[i].tx_start).collect();
        let ends: Vec<u64> = members.iter().map(|&i| genes[i].tx_end).collect();
        let max_end = ends
            .iter()
            .scan(0, |m, &e| {
                *m = e.max(*m);
                Some(*m)
            })
            .collect();
        ContigIndex {
            order: members,
            starts,
            ends,
            max_end,
        }
    }

    /// The table indices of the genes with `start ≤ pos ≤ end`, in table order.
    pub(super) fn overlapping(&self, pos: u64) -> Vec<usize> {
        let started = self.starts.partition_point(|&s| s <= pos);
        let mut hits = Vec::new();
        for i in (0..started).rev() {
            if self.max_end[i] < pos {
                break;
            }
            if self.ends[i] >= pos {
                hits.push(self.order[i]);
            }
        }
        hits.sort_unstable();
        hits
    }
}
