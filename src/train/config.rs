//! `TrainConfig`: everything a `train` run is asked to do, resolved from the flags by the CLI,
//! and what an ensemble is compared with.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::fit::Matrices;
pub use super::fit::folds::Cv;
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
    /// Booster settings.
    pub params: Params,
    /// What the memory model and the `--memory-budget` planner take and return: folds,
    /// sub-models, hold-out, external memory, instance weights, workers (`--workers`, or
    /// `--world` with `--tracker`), and the bins, objective and threads as `params` has them.
    pub memory: memory::Settings,
    /// Fit per-class calibration on out-of-fold margins.
    pub calibrate: bool,
    /// Calibrate to the whole-gene population (rows weighted by `sample_weight`) instead of the
    /// dataset's sampled rows.
    pub calibrate_population: bool,
    /// The base model's call threshold (for base-vs-meta figures).
    pub threshold: f32,
    /// Train on a seeded sample of this many genes (over all genes of the dataset).
    pub sample_genes: Option<usize>,
    /// An ensemble's single comparison model.
    pub single_model: SingleModel,
    /// Replace a trained model found in `out`.
    pub overwrite: bool,
    /// Choose the largest plan whose predicted peak RSS fits this many bytes.
    pub memory_budget: Option<u64>,
    /// Settings the user fixed explicitly (the planner keeps them).
    pub fixed: memory::Fixed,
    /// This process is one worker of a distributed run (`--tracker … --rank … --world …`).
    pub collective: Option<Collective>,
    /// Seconds a worker waits for its peers before the run fails.
    pub worker_timeout: u64,
    /// Train only this sub-model of the ensemble (0-based; `--member I` is 1-based), e.g. one
    /// per array task; a run without it completes the ensemble.
    pub member: Option<usize>,
    /// Settings left to the data's size, settled by `train::plan`.
    pub auto: Auto,
    /// How cross-validation deals genes to folds.
    pub cv: Cv,
    /// Contigs whose genes no model of the run trains on; after training, every base of their
    /// genes is predicted and evaluated (`holdout/` in the model directory).
    pub holdout_contigs: Vec<String>,
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
    /// Sets the objective the boosters train with (and the memory model estimates).
    pub(crate) fn set_objective(&mut self, objective: crate::train::fit::model::Objective) {
        self.params.objective = objective;
        self.memory.objective = objective;
    }

    /// Where external-memory cache files go (removed when training ends).
    pub(crate) fn cache_dir(&self) -> Option<PathBuf> {
        self.memory.external_memory.then(|| self.out.join(".tmp"))
    }

    /// How this run builds its matrices from `ds`, as the worker of `share` (`None`: alone).
    pub(crate) fn matrices<'a>(&'a self, ds: &'a Dataset, share: Option<Share>) -> Matrices<'a> {
        Matrices {
            ds,
            params: &self.params,
            weights: self.memory.train_weights,
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
