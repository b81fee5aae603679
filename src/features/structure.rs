//! Gene-level structure features: aggregates over the whole gene, never anything near a row.

use std::collections::BTreeSet;

use super::schema::GENE_STRUCTURE;
use crate::genome::{Gene, GeneRegion};

/// The gene-level values (all of [`GENE_STRUCTURE`] but `relative_position`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeneStructure {
    values: [f32; 7],
    first: usize,
    last: usize,
}

impl GeneStructure {
    /// Computes the gene's aggregates.
    pub fn new(gene: &Gene, region: &GeneRegion) -> Self {
        let exons: BTreeSet<_> = gene
            .transcripts
            .iter()
            .flat_map(|t| t.exons.iter().copied())
            .collect();
        let introns = gene.introns();
        let mean = |it: &mut dyn Iterator<Item = u64>, n: usize| {
            if n == 0 {
                0.0
            } else {
                it.sum::<u64>() as f32 / n as f32
            }
        };
        let exon_mean = mean(&mut exons.iter().map(|e| e.end - e.start + 1), exons.len());
        let intron_mean = mean(
            &mut introns.iter().map(|i| i.end - i.start + 1),
            introns.len(),
        );
        let body = &region.seq[region.gene_first..=region.gene_last.min(region.len() - 1)];
        let acgt = body.iter().filter(|&&b| b != b'N').count();
        let gc = body.iter().filter(|&&b| b == b'G' || b == b'C').count();
        Self {
            values: [
                gene.length() as f32,
                gene.transcripts.len() as f32,
                exons.len() as f32,
                exon_mean,
                introns.len() as f32,
                intron_mean,
                if acgt > 0 {
                    gc as f32 / acgt as f32
                } else {
                    0.0
                },
            ],
            first: region.gene_first,
            last: region.gene_last,
        }
    }

    /// The structure features of the row at local index `j`, in [`GENE_STRUCTURE`] order.
    pub fn features(&self, j: usize, out: &mut Vec<f32>) {
        out.extend_from_slice(&self.values);
        let span = (self.last - self.first).max(1) as f32;
        out.push((j - self.first) as f32 / span);
        debug_assert_eq!(self.values.len() + 1, GENE_STRUCTURE.len());
    }
}
