//! The model directory: the files `train` writes beside the boosters (`train.json`,
//! `features.json`, `memory.json`), how they are written and read, the refusal or resumption of
//! an existing `--out-dir`, and `predict`, which loads a directory and applies it.

pub mod files;
pub mod outdir;
pub mod predict;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::train::fit::calibrate::Calibration;
use crate::train::fit::model::{Model, Params};
use crate::train::memory;

/// `memory.json`: what the memory model predicted, the plan, and what was measured.
#[derive(Debug, Clone, Serialize)]
pub struct MemoryReport {
    /// The plan's reason (or "no --memory-budget").
    pub plan: String,
    /// The budget, if any (bytes).
    pub budget: Option<u64>,
    /// The data trained on.
    pub shape: memory::Shape,
    /// Settings the estimate used.
    pub settings: memory::Settings,
    /// Predicted phases and peak.
    pub estimate: memory::Estimate,
    /// Measured peak RSS of the whole run (bytes).
    pub measured_peak: u64,
}

/// `train.json`: what was trained, on what, and how long it took.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainInfo {
    /// Tool version.
    pub version: String,
    /// The dataset's fingerprint.
    pub dataset_fingerprint: String,
    /// Booster settings.
    pub params: Params,
    /// Folds used.
    pub n_folds: usize,
    /// Calibrated?
    pub calibrated: bool,
    /// Instance weights used in training?
    pub train_weights: bool,
    /// Rows and genes trained on (final model).
    pub rows: usize,
    /// Genes.
    pub genes: usize,
}

/// `features.json`: the model's input columns, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureList {
    /// Schema version of the dataset trained on.
    pub schema_version: u32,
    /// Feature names in order (XGBoost's f0, f1, …).
    pub features: Vec<String>,
}

/// Reads a model directory's `train.json`, `features.json` and `calibration.json` and loads it.
pub fn load_model(dir: &Path) -> Result<(Model, FeatureList, TrainInfo), Error> {
    let info: TrainInfo = files::read_json(dir, "train.json")?;
    let features: FeatureList = files::read_json(dir, "features.json")?;
    let calibration: Option<Calibration> = files::read_json(dir, "calibration.json")?;
    let model = Model::load(dir, info.params.objective, calibration)?;
    Ok((model, features, info))
}
