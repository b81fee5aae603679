//! The library's top-level error and the exit code each kind maps to.

use crate::{basemodel, genome, store};

/// Exit codes of the `spliceforge` binary (also listed in the README and `--help`).
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// An unexpected failure (a bug, or an I/O error on our own output).
    pub const FAILURE: u8 = 1;
    /// Bad command-line usage (clap's own code).
    pub const USAGE: u8 = 2;
    /// Bad input data: an unreadable or malformed genome, annotation or gene list, or an empty
    /// selection.
    pub const BAD_INPUT: u8 = 3;
    /// The output directory holds a run with other inputs or content settings (resume refused).
    pub const FINGERPRINT: u8 = 4;
    /// Another builder holds the output directory.
    pub const LOCKED: u8 = 5;
    /// `verify` found problems.
    pub const VERIFY: u8 = 6;
    /// Writing failed (disk full, permissions); committed batches are intact.
    pub const WRITE: u8 = 7;
    /// The output directory is not a dataset, or is damaged beyond what resume repairs.
    pub const DATASET: u8 = 8;
    /// No training plan fits `--memory-budget` (refused before any work).
    pub const MEMORY: u8 = 9;
}

/// Any error the library reports to the binary.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A genome, annotation or selection problem.
    #[error(transparent)]
    Genome(#[from] genome::Error),
    /// A base-model problem (imported scores, training).
    #[error(transparent)]
    BaseModel(#[from] basemodel::Error),
    /// A dataset store problem.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// Settings that cannot work with this input (e.g. more folds than genes).
    #[error("{0}")]
    Usage(String),
    /// No plan fits the memory budget.
    #[error("{0}")]
    Budget(String),
    /// `train --out-dir` holds a trained model or another run: nothing is overwritten.
    #[error("{0}")]
    ModelDirTaken(String),
    /// `train --out-dir` (or `predict --model`) is not a spliceforge model directory.
    #[error("{0}")]
    NotAModelDir(String),
    /// A bug.
    #[error("internal error: {0} (please report this)")]
    Internal(String),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Genome(_) | Error::BaseModel(_) => exit::BAD_INPUT,
            Error::Store(e) => match e {
                store::Error::FingerprintMismatch { .. } => exit::FINGERPRINT,
                store::Error::Locked { .. } => exit::LOCKED,
                store::Error::Verify { .. } => exit::VERIFY,
                store::Error::Io { .. } | store::Error::Parquet { .. } => exit::WRITE,
                _ => exit::DATASET,
            },
            Error::Usage(_) => exit::USAGE,
            Error::Budget(_) => exit::MEMORY,
            Error::ModelDirTaken(_) => exit::FINGERPRINT,
            Error::NotAModelDir(_) => exit::DATASET,
            Error::Internal(_) => exit::FAILURE,
        }
    }
}
