//! Errors of the base models: imported score files, saved models, SpliceAI's weights.

use std::path::PathBuf;

/// An error loading a base model or imported scores.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A required column is missing.
    #[error(
        "{}: missing column {column:?}; a base-score file needs columns chrom, position (1-based), strand, donor, acceptor[, neither]",
        path.display()
    )]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: &'static str,
    },
    /// A value is malformed.
    #[error("{}:{row}: {message}", path.display())]
    Value {
        /// The file.
        path: PathBuf,
        /// Line (TSV) or row (Parquet, 1-based).
        row: u64,
        /// What is wrong.
        message: String,
    },
    /// The Parquet file could not be read.
    #[error("{}: not a readable Parquet file: {message}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The reader's message.
        message: String,
    },
    /// An input file that cannot be opened or decompressed (missing, empty, not gzip/bgzip).
    #[error(transparent)]
    Input(#[from] crate::genome::Error),
    /// SpliceAI's weights are missing or unusable.
    #[error(transparent)]
    SpliceAi(#[from] super::spliceai::Error),
    /// The built-in model has nothing to learn from.
    #[error(
        "the built-in base model needs reserved genes with introns to train on, and found {sites} site(s); use a larger annotation, raise --reserve-fraction, or import scores with --base-scores"
    )]
    NotEnoughTraining {
        /// Sites found.
        sites: usize,
    },
}
