//! The meta-model: one multi-class booster (`softprob`) or three one-vs-rest boosters (`ovr`),
//! with optional per-class calibration; training, margins, probabilities, saving and loading.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::train::Error;
use crate::train::fit::calibrate::{CLASSES, Calibration, ovr_probs, softmax};
use crate::xgb::{Booster, DMatrix};

/// How the three classes are modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Objective {
    /// Three binary boosters (neither / donor / acceptor vs the rest).
    Ovr,
    /// One `multi:softprob` booster.
    Softprob,
}

/// Booster settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Objective.
    pub objective: Objective,
    /// Boosting rounds.
    pub n_estimators: u32,
    /// Learning rate (eta).
    pub learning_rate: f64,
    /// Maximum tree depth.
    pub max_depth: u32,
    /// Row subsample per tree.
    pub subsample: f64,
    /// Column subsample per tree.
    pub colsample: f64,
    /// Histogram bins.
    pub max_bin: u32,
    /// Largest step of a leaf's value in the `ovr` boosters (0: no limit).
    #[serde(default)]
    pub max_delta_step: f64,
    /// Seed.
    pub seed: u64,
    /// Threads.
    pub threads: usize,
}

impl Params {
    fn booster_params(&self, binary: bool) -> Vec<(String, String)> {
        let mut p: Vec<(String, String)> = vec![
            ("tree_method".into(), "hist".into()),
            ("eta".into(), self.learning_rate.to_string()),
            ("max_depth".into(), self.max_depth.to_string()),
            ("subsample".into(), self.subsample.to_string()),
            ("colsample_bytree".into(), self.colsample.to_string()),
            ("max_bin".into(), self.max_bin.to_string()),
            ("nthread".into(), self.threads.to_string()),
            ("seed".into(), (self.seed % (1 << 31)).to_string()),
            ("verbosity".into(), "0".into()),
        ];
        if binary {
            p.push(("objective".into(), "binary:logistic".into()));
            p.push(("eval_metric".into(), "logloss".into()));
            p.push(("max_delta_step".into(), self.max_delta_step.to_string()));
        } else {
            p.push(("objective".into(), "multi:softprob".into()));
            p.push(("num_class".into(), "3".into()));
            p.push(("eval_metric".into(), "mlogloss".into()));
        }
        p
    }
}

/// Probabilities from margins without calibration: softmax (softprob) or renormalised
/// sigmoids (ovr).
pub fn raw_probs(objective: Objective, margins: &[f32]) -> Vec<f32> {
    match objective {
        Objective::Softprob => softmax(margins),
        Objective::Ovr => ovr_probs(margins),
    }
}

/// A trained meta-model.
pub struct Model {
    /// Objective.
    pub objective: Objective,
    /// One booster (softprob) or three (ovr, in class order).
    pub boosters: Vec<Booster>,
    /// Per-class calibration, if fitted.
    pub calibration: Option<Calibration>,
}

fn set_params(b: &mut Booster, params: &[(String, String)]) -> Result<(), Error> {
    for (k, v) in params {
        b.set_param(k, v).map_err(xgb_error)?;
    }
    Ok(())
}

/// A trained booster keeps its training state on the training matrix (gradients, row
/// partitions, prediction cache: tens of bytes per row) for as long as it lives. Reloading it
/// from its own (exact) UBJSON keeps only the trees.
fn trees_only(b: Booster, threads: usize) -> Result<Booster, Error> {
    let bytes = b.to_ubj_bytes().map_err(xgb_error)?;
    drop(b);
    crate::mem::release_free_memory();
    let mut b = Booster::from_buffer(&bytes).map_err(xgb_error)?;
    b.set_param("nthread", &threads.to_string())
        .map_err(xgb_error)?;
    Ok(b)
}

/// An XGBoost failure as a library error.
pub fn xgb_error(e: crate::xgb::Error) -> Error {
    Error::from(e)
}

impl Model {
    /// Trains on `train` whose labels are the classes `labels` (0/1/2); for `ovr` the matrix's
    /// labels are replaced by each class's 0/1 in turn. The matrix is consumed: it is freed,
    /// and its memory handed back to the kernel, before the model is returned.
    pub fn fit(mut train: DMatrix, labels: &[u8], p: &Params) -> Result<Self, Error> {
        let mut boosters = Vec::new();
        match p.objective {
            Objective::Softprob => {
                let mut b = Booster::new(&[&train]).map_err(xgb_error)?;
                set_params(&mut b, &p.booster_params(false))?;
                for it in 0..p.n_estimators {
                    b.update(it, &train).map_err(xgb_error)?;
                }
                boosters.push(trees_only(b, p.threads)?);
            }
            Objective::Ovr => {
                for c in 0..3u8 {
                    let y: Vec<f32> = labels
                        .iter()
                        .map(|&l| f32::from(u8::from(l == c)))
                        .collect();
                    train.set_labels(&y).map_err(xgb_error)?;
                    let mut b = Booster::new(&[&train]).map_err(xgb_error)?;
                    set_params(&mut b, &p.booster_params(true))?;
                    for it in 0..p.n_estimators {
                        b.update(it, &train).map_err(xgb_error)?;
                    }
                    // Dropped before the next class, so the three boosters never hold their
                    // training state at once.
                    boosters.push(trees_only(b, p.threads)?);
                }
            }
        }
        drop(train);
        crate::mem::release_free_memory();
        Ok(Self {
            objective: p.objective,
            boosters,
            calibration: None,
        })
    }

    /// Raw margins, `n × 3` row-major in class order.
    pub fn margins(&self, data: &DMatrix) -> Result<Vec<f32>, Error> {
        match self.objective {
            Objective::Softprob => Ok(self.boosters[0].predict(data, true).map_err(xgb_error)?.0),
            Objective::Ovr => {
                let cols: Vec<Vec<f32>> = self
                    .boosters
                    .iter()
                    .map(|b| b.predict(data, true).map(|r| r.0))
                    .collect::<Result<_, _>>()
                    .map_err(xgb_error)?;
                let mut out = Vec::with_capacity(cols[0].len() * 3);
                for ((n, d), a) in cols[0].iter().zip(&cols[1]).zip(&cols[2]) {
                    out.extend([*n, *d, *a]);
                }
                Ok(out)
            }
        }
    }

    /// Probabilities from margins without calibration (see [`raw_probs`]).
    pub fn raw_probs(&self, margins: &[f32]) -> Vec<f32> {
        raw_probs(self.objective, margins)
    }

    /// Final probabilities: calibrated when a calibration is set.
    pub fn probs(&self, margins: &[f32]) -> Vec<f32> {
        let raw = self.raw_probs(margins);
        match &self.calibration {
            Some(c) => c.apply(&raw),
            None => raw,
        }
    }

    /// The model files' names in a model directory.
    pub fn file_names(objective: Objective) -> Vec<String> {
        match objective {
            Objective::Softprob => vec!["model.json".into()],
            Objective::Ovr => CLASSES.iter().map(|c| format!("model-{c}.json")).collect(),
        }
    }

    /// Saves the boosters (XGBoost JSON) into `dir`.
    pub fn save(&self, dir: &Path) -> Result<(), Error> {
        for (b, name) in self.boosters.iter().zip(Self::file_names(self.objective)) {
            let bytes = b.to_json_bytes().map_err(xgb_error)?;
            crate::train::modeldir::files::write(dir, &name, &bytes)?;
        }
        Ok(())
    }

    /// Loads the boosters from `dir`.
    pub fn load(
        dir: &Path,
        objective: Objective,
        calibration: Option<Calibration>,
    ) -> Result<Self, Error> {
        let boosters = Self::file_names(objective)
            .iter()
            .map(|n| {
                let path = dir.join(n);
                Booster::load(&path).map_err(|e| Error::ModelDamaged {
                    path,
                    message: format!("XGBoost cannot load it: {e}"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            objective,
            boosters,
            calibration,
        })
    }

    /// Total gain per feature index, summed over boosters.
    pub fn importance(&self, n_features: usize) -> Result<Vec<f64>, Error> {
        let mut gain = vec![0.0f64; n_features];
        for b in &self.boosters {
            for (name, g) in b
                .feature_score(crate::xgb::ImportanceType::TotalGain)
                .map_err(xgb_error)?
            {
                if let Some(i) = name.strip_prefix('f').and_then(|s| s.parse::<usize>().ok())
                    && i < n_features
                {
                    gain[i] += f64::from(g);
                }
            }
        }
        Ok(gain)
    }
}
