//! Errors of `evaluate` of its own: a file that is not an every-base prediction table, an
//! output directory that is not an evaluation's. Everything else is the store's, the genome's
//! or a usage error (`crate::Error`).

use std::path::PathBuf;

/// An input or output `evaluate` refuses (exit 8: not ours; nothing was written).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `--predictions` is not a table written by every-base `predict`.
    #[error(
        "{} is not a prediction table of `spliceforge predict --genome` ({why}); give the --out of an every-base predict run",
        path.display()
    )]
    NotATable {
        /// The file.
        path: PathBuf,
        /// What it lacks.
        why: String,
    },
    /// `--out` is a non-empty directory that `evaluate` did not write.
    #[error(
        "{} is not empty and is not an evaluation's directory (it holds {found}); refusing to write into it (choose a new or empty --out)",
        dir.display()
    )]
    NotAnEvaluationDir {
        /// The directory.
        dir: PathBuf,
        /// A file in it that is not ours.
        found: String,
    },
}
