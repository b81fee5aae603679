//! `spliceforge variants`: SpliceAI's VCF annotation (a drop-in for `spliceai -I -O -R -A -D -M`).
//!
//! Inputs and outputs: [`vcf`] (the VCF read record by record and written back with one INFO
//! field added), [`genes`] (the genes variants are scored against: SpliceAI's gene table or one
//! made from an annotation), [`contigs`] (one rule for matching contig names across the VCF, the
//! FASTA and the genes). Scoring: [`delta`] (SpliceAI's delta-score rules), [`engine`] (the
//! networks run with shared reference windows and SNV cones), [`run`] (the command: chunks,
//! resume, shards, summary). Formats and rules: `docs/variants.md`.

pub mod contigs;
pub mod delta;
pub mod engine;
pub mod genes;
pub mod meta;
pub mod run;
pub mod vcf;

mod error;
pub(crate) mod input;

pub use contigs::{ContigNames, match_contig};
pub use error::Error;
pub use genes::{GeneTable, TableGene};
pub use run::{Config, Report, Skip, Tally, run};
