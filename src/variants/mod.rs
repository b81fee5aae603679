//! `spliceforge variants`: SpliceAI's VCF annotation (a drop-in for `spliceai -I -O -R -A`).
//!
//! Inputs and outputs: [`vcf`] (the VCF read record by record and written back with one INFO
//! field added). Formats and rules: `docs/variants.md`.

pub mod vcf;

mod error;
pub(crate) mod input;

pub use error::Error;
