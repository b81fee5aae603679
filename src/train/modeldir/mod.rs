//! The model directory on disk: the files `train` writes beside the boosters (`train.json`,
//! `features.json`, `memory.json`, an ensemble's `ensemble.json`), how they are written and
//! read, and a finished directory opened as the models it holds (for `predict`).

pub(crate) mod ensemble;
pub(crate) mod files;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::train::Error;
use crate::train::fit::calibrate::Calibration;
use crate::train::fit::folds::Cv;
use crate::train::fit::model::{Model, Params};
use crate::train::input::dataset::Dataset;
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
    /// `--cv chromosome`: the folds held whole contigs out.
    #[serde(default, skip_serializing_if = "Cv::is_genes")]
    pub cv: Cv,
    /// Contigs no model of the run trained on (`--holdout-contigs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holdout_contigs: Vec<String>,
    /// The XGBoost version that trained the model (absent in models of older spliceforge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xgboost_version: Option<String>,
    /// What decides the model: the dataset's fingerprint and the planned settings, threads left
    /// out (`train` with the same arguments on a complete directory does nothing). Absent in
    /// models of older spliceforge, which a rerun keeps refusing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings_fingerprint: Option<String>,
}

/// `features.json`: the model's input columns, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureList {
    /// Schema version of the dataset trained on.
    pub schema_version: u32,
    /// Feature names in order (XGBoost's f0, f1, …).
    pub features: Vec<String>,
}

/// What a model trained on: its final model's rows and genes, and whether it is calibrated.
pub struct TrainedOn {
    /// Cross-validation folds (0 for an ensemble).
    pub n_folds: usize,
    /// Calibrated?
    pub calibrated: bool,
    /// Rows of the final model (an ensemble: of every non-hold-out gene).
    pub rows: usize,
    /// Genes of the final model.
    pub genes: usize,
}

impl TrainInfo {
    /// `train.json` of a model boosted with `params` (with `sample_weight` as instance weights
    /// when `train_weights`) on `ds`.
    pub fn new(params: &Params, train_weights: bool, ds: &Dataset, on: TrainedOn) -> Self {
        TrainInfo {
            version: env!("CARGO_PKG_VERSION").into(),
            dataset_fingerprint: ds.run.fingerprint.clone(),
            params: params.clone(),
            n_folds: on.n_folds,
            calibrated: on.calibrated,
            train_weights,
            rows: on.rows,
            genes: on.genes,
            cv: Cv::Genes,
            holdout_contigs: Vec::new(),
            xgboost_version: crate::xgb::loader::get_if_loaded().map(|l| l.version_string()),
            settings_fingerprint: None,
        }
    }
}

impl FeatureList {
    /// The feature columns of `ds`.
    pub fn of(ds: &Dataset) -> Self {
        FeatureList {
            schema_version: ds.schema.version,
            features: ds.features.clone(),
        }
    }
}

/// The dataset's `run.json` (its content settings, inputs and schema), kept in the model
/// directory: what applying the model to new genes needs to compute the same rows.
pub const DATASET_JSON: &str = "dataset.json";

/// Keeps the record of the dataset `ds` in the model directory `out`: its `run.json` as
/// [`DATASET_JSON`], and its built-in base model (`basemodel.json`) when it has one.
pub fn keep_dataset_record(out: &Path, ds: &Dataset) -> Result<(), Error> {
    files::write_json(out, DATASET_JSON, &ds.run)?;
    let name = crate::basemodel::builtin::BASEMODEL_JSON;
    match std::fs::read(ds.dir.join(name)) {
        Ok(bytes) => files::write(out, name, &bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(crate::store::Error::read(&ds.dir.join(name), e).into()),
    }
}

/// A finished model directory, loaded: one model, or an ensemble's sub-models with weights.
pub struct Trained {
    /// The models (one for a single model).
    pub models: Vec<Model>,
    /// Each model's weight in the mean.
    pub weights: Vec<f64>,
    /// The input columns they expect.
    pub features: FeatureList,
}

/// Opens the finished model directory `dir` (a single model or an ensemble), with errors that
/// say what the directory is when it is not a model.
pub fn open(dir: &Path) -> Result<Trained, Error> {
    if !dir.exists() {
        return Err(Error::ModelNotFound {
            path: dir.to_path_buf(),
        });
    }
    let not_a_model = |why: &str| Error::NotAModel {
        path: dir.to_path_buf(),
        why: why.into(),
    };
    if !dir.join("train.json").exists() {
        return Err(if dir.join(ensemble::ENSEMBLE_JSON).exists() {
            not_a_model(
                "it holds an unfinished ensemble (no train.json yet); run the same `spliceforge train` command again to finish it",
            )
        } else if dir.join(crate::store::RUN_JSON).exists() {
            not_a_model(
                "it is a dataset (run.json), not a model; give --model the --out-dir of `spliceforge train`",
            )
        } else {
            not_a_model(
                "it has no train.json; give --model the --out-dir of a finished `spliceforge train`",
            )
        });
    }
    let trained = match ensemble::load(dir)? {
        Some(e) => Trained {
            features: files::read_json(dir, "features.json")?,
            models: e.models,
            weights: e.weights,
        },
        None => {
            let (model, features, _) = load_model(dir)?;
            Trained {
                models: vec![model],
                weights: vec![1.0],
                features,
            }
        }
    };
    if let Ok(info) = files::read_json::<TrainInfo>(dir, "train.json") {
        warn_if_other_xgboost(dir, &info);
    }
    Ok(trained)
}

/// Warns (once per process) when the model in `dir` was trained by another XGBoost version than
/// the loaded one: its bytes, and slightly its predictions, may differ from what that version
/// gives.
pub fn warn_if_other_xgboost(dir: &Path, info: &TrainInfo) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    let (Some(trained), Some(lib)) = (&info.xgboost_version, crate::xgb::loader::get_if_loaded())
    else {
        return;
    };
    let here = lib.version_string();
    if *trained != here {
        WARNED.call_once(|| {
            eprintln!(
                "warning: model {} was trained with XGBoost {trained}; this is XGBoost {here} ({}): predictions may differ slightly from that version's",
                dir.display(),
                lib.path.display()
            );
        });
    }
}

/// Reads a model directory's `train.json`, `features.json` and `calibration.json` and loads it.
pub fn load_model(dir: &Path) -> Result<(Model, FeatureList, TrainInfo), Error> {
    let info: TrainInfo = files::read_json(dir, "train.json")?;
    let features: FeatureList = files::read_json(dir, "features.json")?;
    let calibration: Option<Calibration> = files::read_json(dir, "calibration.json")?;
    let model = Model::load(dir, info.params.objective, calibration)?;
    Ok((model, features, info))
}
