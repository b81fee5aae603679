//! Errors of the dataset store.

use std::path::{Path, PathBuf};

/// An error reading, writing or checking a dataset directory.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error on a file of ours (disk full, permissions…).
    #[error(
        "cannot write or read {}: {source}. Committed batches are intact: fix the cause and run the same command again to resume",
        path.display()
    )]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Another builder holds the directory.
    #[error(
        "{} is in use by another spliceforge builder (lock {}/.lock is held); wait for it to finish, or use another --out",
        dir.display(), dir.display()
    )]
    Locked {
        /// The directory.
        dir: PathBuf,
    },
    /// The directory holds a run with other inputs or settings.
    #[error(
        "{} holds a run with different content settings, so it cannot be resumed:\n  {}\nRun the original command to resume it, pass --overwrite to start over, or choose another --out",
        dir.display(), changes.join("\n  ")
    )]
    FingerprintMismatch {
        /// The directory.
        dir: PathBuf,
        /// What changed, one line each.
        changes: Vec<String>,
    },
    /// The directory is not empty and is not a spliceforge dataset.
    #[error(
        "{} is not empty and holds no spliceforge run.json; refusing to write into it (choose an empty or new --out)",
        dir.display()
    )]
    NotADataset {
        /// The directory.
        dir: PathBuf,
    },
    /// A file of the dataset is damaged beyond the repairs resume makes.
    #[error("{}: {message}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Parquet encoding or decoding failed.
    #[error("{}: Parquet error: {message}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The library's message.
        message: String,
    },
    /// `verify` found problems.
    #[error("the dataset failed verification:\n  - {}", problems.join("\n  - "))]
    Verify {
        /// The problems, one line each.
        problems: Vec<String>,
    },
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A Parquet error on `path`.
    pub fn parquet(path: &Path, e: impl std::fmt::Display) -> Self {
        Error::Parquet {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}
