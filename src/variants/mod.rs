//! Variant effect scores: SpliceAI's delta scores for the alleles of a VCF.

pub mod delta;
pub mod engine;
