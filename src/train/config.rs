//! `TrainConfig`: everything a `train` run is asked to do, resolved from the flags by the CLI,
//! and what an ensemble is compared with.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::fit::Matrices;
use super::fit::model::Params;
use super::fit::share::Share;
use super::input::dataset::Dataset;
use super::memory;

pub use memory::LARGE_RUN_ROWS;

/// Everything `train` runs on.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// The builder dataset.
    pub dataset: PathBuf,
    /// Where the model goes.
    pub out: PathBuf,
    /// Cross-validation folds (0 or 1: no cross-validation, final model only).
    pub n_folds: usize,
    /// Booster settings.
    pub params: Params,
    /// Fit per-class calibration on out-of-fold margins.
    pub calibrate: bool,
    /// Calibrate to the whole-gene population (rows weighted by `sample_weight`) instead of the
    /// dataset's sampled rows.
    pub calibrate_population: bool,
    /// Train with `sample_weight` as instance weights.
    pub train_weights: bool,
    /// The base model's call threshold (for base-vs-meta figures).
    pub threshold: f32,
    /// Train on a seeded sample of this many genes (over all genes of the dataset).
    pub sample_genes: Option<usize>,
    /// Sub-models of an ensemble (1: a single model with cross-validation).
    pub ensemble_size: usize,
    /// Fraction of the next subset each sub-model also trains on.
    pub ensemble_overlap: f64,
    /// Fraction of genes held out from every sub-model to evaluate the ensemble.
    pub holdout_fraction: f64,
    /// An ensemble's single comparison model.
    pub single_model: SingleModel,
    /// Replace a trained model found in `out`.
    pub overwrite: bool,
    /// Build XGBoost external-memory matrices (bins in cache files under the output directory).
    pub external_memory: bool,
    /// Choose the largest plan whose predicted peak RSS fits this many bytes.
    pub memory_budget: Option<u64>,
    /// Settings the user fixed explicitly (the planner keeps them).
    pub fixed: memory::Fixed,
    /// Workers training the model: `--workers` on this machine, or `--world` with `--tracker`
    /// (1: this process trains alone).
    pub workers: usize,
    /// This process is one worker of a distributed run (`--tracker … --rank … --world …`).
    pub collective: Option<Collective>,
    /// Seconds a worker waits for its peers before the run fails.
    pub worker_timeout: u64,
    /// Train only this sub-model of the ensemble (0-based; `--member I` is 1-based), e.g. one
    /// per array task; a run without it completes the ensemble.
    pub member: Option<usize>,
    /// Settings left to the data's size, settled by `train::plan`.
    pub auto: Auto,
}

/// Settings the user left out (`--objective`, `--cuts`): `train::plan` settles them by the rows a
/// model trains on ([`LARGE_RUN_ROWS`]).
#[derive(Debug, Clone, Default)]
pub struct Auto {
    /// `--objective` was not given.
    pub objective: bool,
    /// `--cuts` was not given.
    pub cuts: bool,
    /// What `train::plan` settled them to, for the log.
    pub settled: Option<String>,
}

/// What an ensemble is compared with on its hold-out, besides the base model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SingleModel {
    /// One model on a seeded gene sample as large as a sub-model's: no more memory than a
    /// sub-model (the default).
    SameMemory,
    /// One model on every non-hold-out gene: the memory of a single model on all of them.
    All,
    /// No comparison model.
    None,
}

impl TrainConfig {
    /// The settings the memory model needs.
    pub fn memory_settings(&self) -> memory::Settings {
        memory::Settings {
            max_bin: self.params.max_bin,
            objective: self.params.objective,
            n_folds: self.n_folds,
            ensemble_size: self.ensemble_size,
            ensemble_overlap: self.ensemble_overlap,
            holdout_fraction: self.holdout_fraction,
            compare_single: self.single_model == SingleModel::All,
            external_memory: self.external_memory,
            train_weights: self.train_weights,
            workers: self.workers,
            threads: self.params.threads,
            objective_by_size: self.auto.objective,
        }
    }

    /// Where external-memory cache files go (removed when training ends).
    pub(crate) fn cache_dir(&self) -> Option<PathBuf> {
        self.external_memory.then(|| self.out.join(".tmp"))
    }

    /// How this run builds its matrices from `ds`, as the worker of `share` (`None`: alone).
    pub(crate) fn matrices<'a>(&'a self, ds: &'a Dataset, share: Option<Share>) -> Matrices<'a> {
        Matrices {
            ds,
            params: &self.params,
            weights: self.train_weights,
            cache: self.cache_dir(),
            share,
        }
    }
}

/// Where a worker finds the tracker, and which rank it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collective {
    /// The tracker's host.
    pub host: String,
    /// The tracker's port.
    pub port: u16,
    /// This worker's rank, from 0.
    pub rank: usize,
    /// How many workers.
    pub world: usize,
}
