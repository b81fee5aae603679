//! Errors of `train`, `estimate` and `predict`: settings that cannot work, budgets nothing fits,
//! model directories that are missing, foreign, taken, damaged or incompatible with a dataset.

use std::path::PathBuf;

use crate::store;

/// An error of training or of using a trained model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A dataset problem (missing, not a dataset, damaged, unreadable, unwritable).
    #[error(transparent)]
    Store(#[from] store::Error),
    /// Settings that cannot work with this dataset (e.g. more folds than genes).
    #[error("{0}")]
    Usage(String),
    /// No plan fits `--memory-budget`.
    #[error("{0}")]
    Budget(String),
    /// `--out-dir` holds a trained model, an unfinished run of other settings, or a sub-model
    /// another process is training.
    #[error("{} {why}", path.display())]
    ModelDirTaken {
        /// The directory (or the sub-model's directory).
        path: PathBuf,
        /// What it holds and what to do, after its name.
        why: String,
    },
    /// `--out-dir` is a non-empty directory that `train` did not write.
    #[error(
        "{} is not empty and is not a spliceforge model directory; refusing to write into it (choose a new or empty --out-dir)",
        path.display()
    )]
    NotAModelDir {
        /// The directory.
        path: PathBuf,
    },
    /// `predict --model` names a directory that does not exist.
    #[error(
        "model directory {} does not exist; give the --out-dir of a finished `spliceforge train`",
        path.display()
    )]
    ModelNotFound {
        /// The directory.
        path: PathBuf,
    },
    /// A model directory that is not (or not yet) a trained model.
    #[error("{} is not a trained spliceforge model: {why}", path.display())]
    NotAModel {
        /// The directory.
        path: PathBuf,
        /// What is missing and what to do.
        why: String,
    },
    /// A file of a model directory that cannot be parsed or loaded.
    #[error(
        "model file {} is damaged: {message}; train the model again (or restore the directory from a copy)",
        path.display()
    )]
    ModelDamaged {
        /// The file.
        path: PathBuf,
        /// What the parser or XGBoost said.
        message: String,
    },
    /// A dataset whose features are not the ones the model was trained on.
    #[error(
        "dataset {} cannot be used with model {}: {message}",
        dataset.display(),
        model.display()
    )]
    Incompatible {
        /// The dataset.
        dataset: PathBuf,
        /// The model directory.
        model: PathBuf,
        /// What differs and what to do.
        message: String,
    },
    /// A worker process of `train --workers` failed; the others were stopped.
    #[error(
        "worker {rank} of {workers} {} after {after_secs:.0} s (its messages are above); the other workers were stopped. Fix the cause and run the same command again: it resumes after the folds every worker finished",
        match code { Some(c) => format!("failed with exit code {c}"), None => "was killed by a signal".to_string() }
    )]
    Worker {
        /// Its rank.
        rank: usize,
        /// How many workers the run had.
        workers: usize,
        /// Its exit code (`None`: killed by a signal).
        code: Option<i32>,
        /// Seconds into the run.
        after_secs: f64,
    },
    /// XGBoost failed while training or predicting (not a problem of the input), or its
    /// library was not found ([`crate::xgb::Error::Library`]).
    #[error("{}", xgboost_message(.0))]
    Xgboost(#[from] crate::xgb::Error),
    /// A bug.
    #[error("internal error: {0} (please report this)")]
    Internal(String),
}

/// An XGBoost error as the user reads it: a missing library says where it looked, anything else
/// is a bug to report.
fn xgboost_message(e: &crate::xgb::Error) -> String {
    match e {
        crate::xgb::Error::Library(_) => e.to_string(),
        _ => format!("XGBoost failed: {e} (please report this)"),
    }
}
