//! `spliceforge variants`: SpliceAI's VCF annotation (a drop-in for `spliceai -I -O -R -A`).
//!
//! Inputs and outputs: [`vcf`] (the VCF read record by record and written back with one INFO
//! field added), [`genes`] (the genes variants are scored against: SpliceAI's gene table or one
//! made from an annotation), [`contigs`] (one rule for matching contig names across the VCF, the
//! FASTA and the genes). Formats and rules: `docs/variants.md`.

pub mod contigs;
pub mod genes;
pub mod vcf;

mod error;
pub(crate) mod input;

pub use contigs::{ContigNames, match_contig};
pub use error::Error;
pub use genes::{GeneTable, TableGene};
