//! Errors of the dataset store.

use std::path::{Path, PathBuf};

/// An error reading, writing or checking a dataset directory.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Writing a file of ours failed (disk full, permissions…).
    #[error(
        "cannot write {}: {source}. Committed batches are intact: fix the cause (disk space, permissions) and run the same command again to resume",
        path.display()
    )]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Reading a file failed.
    #[error("cannot read {}: {source} (check the path and that you may read it)", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A dataset directory given to read does not exist.
    #[error(
        "dataset directory {} does not exist; give the --out directory of a `spliceforge builder` run",
        dir.display()
    )]
    NotFound {
        /// The directory.
        dir: PathBuf,
    },
    /// A directory given as a dataset to read holds no spliceforge run.
    #[error(
        "{} is not a spliceforge dataset (it has no run.json); give the --out directory of a `spliceforge builder` run",
        dir.display()
    )]
    NoDataset {
        /// The directory.
        dir: PathBuf,
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
    /// A file of the dataset is damaged beyond the repairs resume makes (or unreadable as what
    /// it should be).
    #[error("{}: {message}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Parquet encoding failed while writing.
    #[error("{}: Parquet error: {message}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The library's message.
        message: String,
    },
    /// `merge` was given shards that are not one whole, finished run.
    #[error(
        "merge refused, nothing was written:\n  - {}\nGive every shard of one run once (`builder --shard I/N` with the same arguments), each finished",
        problems.join("\n  - ")
    )]
    Shards {
        /// What is wrong, one line per shard.
        problems: Vec<String>,
    },
    /// `verify` found problems.
    #[error("the dataset failed verification:\n  - {}", problems.join("\n  - "))]
    Verify {
        /// The problems, one line each.
        problems: Vec<String>,
    },
}

impl Error {
    /// Writing `path` failed.
    pub fn write(path: &Path, source: std::io::Error) -> Self {
        Error::Write {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Reading `path` failed.
    pub fn read(path: &Path, source: std::io::Error) -> Self {
        Error::Read {
            path: path.to_path_buf(),
            source,
        }
    }

    /// `path` is not a readable Parquet file of ours.
    pub fn damaged_parquet(path: &Path, e: impl std::fmt::Display) -> Self {
        Error::Corrupt {
            path: path.to_path_buf(),
            message: format!(
                "not a readable Parquet file ({e}); the dataset is damaged: run `spliceforge verify`, and rebuild it if verify fails"
            ),
        }
    }

    /// A Parquet error on `path` while writing.
    pub fn parquet(path: &Path, e: impl std::fmt::Display) -> Self {
        Error::Parquet {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}
