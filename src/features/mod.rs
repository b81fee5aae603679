//! Rows of the dataset: the one schema, labels and sampling, and the features of each row.
//!
//! No feature is derived from annotated exon/intron coordinates at or near a row's position:
//! position-level features come from the sequence and the base-model scores only, and the
//! annotation enters through gene-level aggregates ([`structure`]) and the labels.

pub(crate) mod context;
pub(crate) mod label;
pub(crate) mod quality;
pub(crate) mod rows;
pub(crate) mod schema;
pub(crate) mod sequence;
pub(crate) mod structure;

pub use label::{LabelConfig, PredType, SpliceType};
pub use quality::Quality;
pub(crate) use rows::features_at;
pub use rows::{GeneRows, RowConfig, gene_rows};
pub use schema::{Group, Role, SCHEMA_VERSION, Schema};
pub(crate) use structure::GeneStructure;
