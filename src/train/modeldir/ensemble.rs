//! `ensemble.json`: what decides an ensemble's content (dataset, settings, the genes of its
//! hold-out and of each sub-model, the weights), written when the ensemble starts and checked
//! by every resume; and the ensemble loaded back (its sub-models in `sub-NN/`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files;
use crate::train::Error;
use crate::train::fit::calibrate::Calibration;
use crate::train::fit::model::{Model, Params};

/// The file's name in the model directory.
pub const ENSEMBLE_JSON: &str = "ensemble.json";

/// Sub-model `i`'s directory (from 0: `sub-01`).
pub fn member_dir(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("sub-{:02}", i + 1))
}

/// What decides an ensemble's content; a resumed `train` must find the same plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsembleFile {
    /// The dataset's fingerprint.
    pub dataset_fingerprint: String,
    /// Booster settings.
    pub params: Params,
    /// Sub-models.
    pub size: usize,
    /// Overlap fraction.
    pub overlap: f64,
    /// Outer hold-out genes (no sub-model sees them).
    pub holdout: Vec<String>,
    /// Genes of each sub-model.
    pub subsets: Vec<Vec<String>>,
    /// Weight of each sub-model in the average.
    pub weights: Vec<f64>,
}

impl EnsembleFile {
    /// Writes `ensemble.json`, or checks that the one there has the same plan (a resume).
    pub fn record(&self, out: &Path) -> Result<(), Error> {
        let plan = self;
        match std::fs::read(out.join(ENSEMBLE_JSON)) {
            Ok(bytes) => {
                let old: Option<EnsembleFile> = serde_json::from_slice(&bytes).ok();
                if old.as_ref() != Some(plan) {
                    return Err(Error::ModelDirTaken {
                        path: out.to_path_buf(),
                        why: "holds an unfinished ensemble with another dataset, settings or gene subsets; resume it with its original arguments, pass --overwrite to start over, or choose another --out-dir".into(),
                    });
                }
                Ok(())
            }
            Err(_) => files::write_json(out, ENSEMBLE_JSON, plan),
        }
    }
}

/// An ensemble's sub-models with their weights.
pub struct Loaded {
    /// The sub-models, in order.
    pub models: Vec<Model>,
    /// Each one's weight in the mean.
    pub weights: Vec<f64>,
}

/// Loads every sub-model of an ensemble directory (for `predict`).
pub fn load(dir: &Path) -> Result<Option<Loaded>, Error> {
    if !dir.join(ENSEMBLE_JSON).exists() {
        return Ok(None);
    }
    let plan: EnsembleFile = files::read_json(dir, ENSEMBLE_JSON)?;
    let mut models = Vec::new();
    for i in 0..plan.size {
        let sub = member_dir(dir, i);
        let calibration: Option<Calibration> = files::read_json(&sub, "calibration.json")?;
        models.push(Model::load(&sub, plan.params.objective, calibration)?);
    }
    Ok(Some(Loaded {
        models,
        weights: plan.weights,
    }))
}
