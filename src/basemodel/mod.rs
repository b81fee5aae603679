//! Base models: what scores every position of a gene as donor / acceptor / neither.
//!
//! The meta-model learns where a base model is wrong, so the base model is an input like the
//! genome: either the built-in weight-array model ([`builtin`]), fitted on reserved genes that never
//! become rows; SpliceAI computed natively ([`spliceai`], weights fetched by the user); or
//! scores computed elsewhere and imported ([`imported`]).

pub(crate) mod builtin;
pub(crate) mod imported;
pub mod spliceai;

mod error;

pub use builtin::is_reserved;
pub use error::Error;

use crate::genome::{Gene, GeneRegion};

/// Per-position probabilities over a [`GeneRegion`], in its local (gene-oriented) indices.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// P(donor) at each local index.
    pub donor: Vec<f32>,
    /// P(acceptor) at each local index.
    pub acceptor: Vec<f32>,
}

impl Scores {
    /// All-zero scores for `len` positions.
    pub fn zeros(len: usize) -> Self {
        Self {
            donor: vec![0.0; len],
            acceptor: vec![0.0; len],
        }
    }

    /// P(neither) = 1 − P(donor) − P(acceptor), never below 0.
    pub fn neither(&self, j: usize) -> f32 {
        (1.0 - self.donor[j] - self.acceptor[j]).max(0.0)
    }

    /// Number of positions.
    pub fn len(&self) -> usize {
        self.donor.len()
    }

    /// Whether there are no positions.
    pub fn is_empty(&self) -> bool {
        self.donor.is_empty()
    }

    /// Scales both scores down where their sum exceeds 1.
    pub fn normalise(&mut self) {
        for (d, a) in self.donor.iter_mut().zip(self.acceptor.iter_mut()) {
            let s = *d + *a;
            if s > 1.0 {
                *d /= s;
                *a /= s;
            }
        }
    }
}

/// A source of base-model scores for one gene at a time.
pub trait ScoreSource: Send + Sync {
    /// Scores every position of `region` (the gene ± flank, gene-oriented).
    fn score(&self, gene: &Gene, region: &GeneRegion) -> Scores;

    /// Bases of genomic context the model reads on each side of the region
    /// ([`GeneRegion::outer`]); 0 when it needs none.
    fn context(&self) -> usize {
        0
    }

    /// Scores several regions of one contig, sorted by start, at once: a model with a receptive
    /// field scores overlapping windows once (the results are the same as one region at a time).
    fn score_many(&self, genes: &[&Gene], regions: &[&GeneRegion]) -> Vec<Scores> {
        genes
            .iter()
            .zip(regions)
            .map(|(g, r)| self.score(g, r))
            .collect()
    }
}
