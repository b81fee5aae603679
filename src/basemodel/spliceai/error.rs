//! Errors loading SpliceAI's weights.

use std::path::{Path, PathBuf};

/// What is wrong with a weights file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// Not an HDF5 file (or a truncated one).
    #[error("not a readable HDF5 file ({0})")]
    NotHdf5(String),
    /// HDF5, but not a Keras model.
    #[error("not a Keras model file: {0}")]
    NotKeras(String),
    /// The layer graph cannot be wired or uses something unsupported.
    #[error("unsupported model graph: {0}")]
    Graph(String),
    /// Weight arrays missing or malformed.
    #[error("bad weights: {0}")]
    Weights(String),
    /// A valid network, but not SpliceAI's.
    #[error("not a SpliceAI network: {0}")]
    NotSpliceAi(String),
}

/// An error loading SpliceAI.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The weights directory does not exist.
    #[error(
        "SpliceAI weights directory {} does not exist; fetch the weights with scripts/fetch-spliceai.sh (it prints the directory) and pass it with --spliceai-weights or SPLICEFORGE_SPLICEAI_WEIGHTS",
        dir.display()
    )]
    MissingDir {
        /// The directory.
        dir: PathBuf,
    },
    /// A weights file is missing from the directory.
    #[error(
        "SpliceAI weights file {} is missing; scripts/fetch-spliceai.sh fetches all five (spliceai1.h5 … spliceai5.h5)",
        path.display()
    )]
    MissingFile {
        /// The file.
        path: PathBuf,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file was read but is not usable.
    #[error(
        "{}: {problem}; re-fetch the weights with scripts/fetch-spliceai.sh (it verifies their checksums)",
        path.display()
    )]
    Bad {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: Problem,
    },
}

impl Error {
    pub(super) fn bad(path: &Path, problem: Problem) -> Self {
        Error::Bad {
            path: path.to_path_buf(),
            problem,
        }
    }
}
