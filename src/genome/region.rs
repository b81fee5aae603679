//! A gene's region (the gene plus a flank) read in the gene's own orientation.
//!
//! Everything downstream of the genome — scoring, labelling, features — works on local indices
//! `0..len` of this oriented sequence, so that "upstream" always means 5' of the gene and the
//! code is the same for both strands. [`GeneRegion::genomic`] maps back to 1-based genomic
//! coordinates on the forward strand.

use super::fasta::{Contig, reverse_complement};
use super::gene::{Gene, SiteKind, Strand};

/// The oriented sequence of a gene ± flank.
#[derive(Debug, Clone)]
pub struct GeneRegion {
    /// Strand of the gene.
    pub strand: Strand,
    /// First genomic base of the region (1-based, forward strand).
    pub lo: u64,
    /// Last genomic base of the region (1-based, inclusive).
    pub hi: u64,
    /// Bases in gene orientation (reverse-complemented on `-`), upper-case ACGTN.
    pub seq: Vec<u8>,
    /// Local index of the gene's first (5') base.
    pub gene_first: usize,
    /// Local index of the gene's last (3') base.
    pub gene_last: usize,
    /// `seq` with more genomic context on each side (N beyond the contig's ends), in the same
    /// orientation: what a base model with a receptive field reads. Empty unless asked for
    /// ([`GeneRegion::with_context`]).
    pub outer: Vec<u8>,
}

impl GeneRegion {
    /// Like [`GeneRegion::new`], also cutting `context` more bases on each side into
    /// [`GeneRegion::outer`].
    pub fn with_context(gene: &Gene, contig: &Contig, flank: u64, context: usize) -> Self {
        let mut r = Self::new(gene, contig, flank);
        if context > 0 {
            let fwd = padded_slice(contig, r.lo, r.hi, context as u64);
            r.outer = match r.strand {
                Strand::Forward => fwd,
                Strand::Reverse => reverse_complement(&fwd),
            };
        }
        r
    }

    /// Cuts `gene` ± `flank` bases (clipped to the contig) out of `contig`.
    pub fn new(gene: &Gene, contig: &Contig, flank: u64) -> Self {
        let len = contig.seq.len() as u64;
        let lo = gene.start.saturating_sub(flank).max(1);
        let hi = (gene.end + flank).min(len).max(lo);
        let fwd = contig.slice(lo, hi);
        let (seq, gene_first, gene_last) = match gene.strand {
            Strand::Forward => (fwd.to_vec(), gene.start - lo, gene.end - lo),
            Strand::Reverse => (reverse_complement(fwd), hi - gene.end, hi - gene.start),
        };
        Self {
            strand: gene.strand,
            lo,
            hi,
            seq,
            gene_first: gene_first as usize,
            gene_last: gene_last as usize,
            outer: Vec::new(),
        }
    }

    /// Number of bases.
    pub fn len(&self) -> usize {
        self.seq.len()
    }

    /// Whether the region is empty.
    pub fn is_empty(&self) -> bool {
        self.seq.is_empty()
    }

    /// Genomic position (1-based, forward strand) of local index `j`.
    pub fn genomic(&self, j: usize) -> u64 {
        match self.strand {
            Strand::Forward => self.lo + j as u64,
            Strand::Reverse => self.hi - j as u64,
        }
    }

    /// Local index of genomic position `pos`, if inside the region.
    pub fn local(&self, pos: u64) -> Option<usize> {
        if pos < self.lo || pos > self.hi {
            return None;
        }
        Some(match self.strand {
            Strand::Forward => (pos - self.lo) as usize,
            Strand::Reverse => (self.hi - pos) as usize,
        })
    }

    /// The gene's splice sites as `(local index, kind)`, sorted by local index.
    pub fn sites(&self, gene: &Gene) -> Vec<(usize, SiteKind)> {
        let mut out: Vec<(usize, SiteKind)> = gene
            .sites()
            .into_iter()
            .filter_map(|s| self.local(s.position).map(|j| (j, s.kind)))
            .collect();
        out.sort_unstable();
        out
    }
}

/// Forward-strand bases `lo − pad ..= hi + pad` (1-based), N where that leaves the contig.
fn padded_slice(contig: &Contig, lo: u64, hi: u64, pad: u64) -> Vec<u8> {
    let len = contig.seq.len() as u64;
    let want = (hi - lo + 1 + 2 * pad) as usize;
    let mut out = Vec::with_capacity(want);
    let first = lo as i64 - pad as i64; // may be ≤ 0
    let before = (1 - first).max(0) as usize;
    out.resize(before, b'N');
    let from = first.max(1) as u64;
    let to = (hi + pad).min(len);
    if from <= to {
        out.extend_from_slice(contig.slice(from, to));
    }
    out.resize(want, b'N');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genome::{Exon, Transcript};

    #[test]
    fn minus_strand_region_is_reverse_complemented_and_maps_back() {
        let contig = Contig {
            name: "c".into(),
            seq: b"AAAACCCGGTTTT".to_vec(),
        };
        let gene = Gene {
            id: "g".into(),
            name: "g".into(),
            biotype: None,
            contig: "c".into(),
            strand: Strand::Reverse,
            start: 5,
            end: 9,
            transcripts: vec![Transcript::new("t".into(), vec![Exon { start: 5, end: 9 }])],
        };
        let r = GeneRegion::new(&gene, &contig, 2);
        assert_eq!((r.lo, r.hi), (3, 11));
        // forward 3..=11 = AACCCGGTT; reverse complement = AACCGGGTT
        assert_eq!(r.seq, b"AACCGGGTT");
        assert_eq!((r.gene_first, r.gene_last), (2, 6));
        assert_eq!(r.genomic(r.gene_first), 9);
        assert_eq!(r.local(9), Some(2));
        for j in 0..r.len() {
            assert_eq!(r.local(r.genomic(j)), Some(j));
        }
        // Context beyond the contig's ends is N, and oriented like the region.
        let r = GeneRegion::with_context(&gene, &contig, 2, 4);
        assert_eq!(r.outer, b"NNAAAACCGGGTTTTNN");
        assert_eq!(&r.outer[4..4 + r.len()], &r.seq[..]);
    }
}
