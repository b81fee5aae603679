//! `spliceforge train` and `predict`: the meta-model, learned from a builder dataset streamed
//! straight from Parquet into XGBoost, with gene-level cross-validation, per-class calibration,
//! metrics against the base model, and a final model saved in XGBoost's JSON format.

pub mod calibrate;
pub mod dataset;
pub mod decision;
pub mod ensemble;
pub mod estimate;
pub mod files;
pub mod folds;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod outdir;
pub mod predict;
pub mod report;
pub mod source;

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use self::calibrate::Calibration;
use self::dataset::Dataset;
use self::folds::Folds;
use self::model::{Model, Params, xgb_error};
use self::source::{Record, RowInfo, RowSource};
use crate::Error;
use crate::mem;
use crate::xgb::DMatrix;

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
        }
    }

    /// Where external-memory cache files go (removed when training ends).
    pub(crate) fn cache_dir(&self) -> Option<PathBuf> {
        self.external_memory.then(|| self.out.join(".tmp"))
    }
}

/// The shape of the data a run trains on: the genes flagged in `universe`.
pub fn shape(ds: &Dataset, universe: &[bool]) -> memory::Shape {
    let (genes, rows) = ds
        .genes
        .iter()
        .zip(universe)
        .filter(|(_, k)| **k)
        .fold((0, 0), |(g, r), (gene, _)| (g + 1, r + gene.rows));
    memory::Shape {
        genes,
        rows,
        features: ds.features.len() as u64,
    }
}

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

/// The genes taking part: all, or a sample of `n` ranked by a hash of `(seed, gene id)` — so a
/// gene's inclusion depends on nothing else, and the sample spans every part file.
pub fn sample_genes(ds: &Dataset, n: Option<usize>, seed: u64) -> Vec<bool> {
    match n {
        Some(n) if n < ds.genes.len() => {
            let mut keep = vec![false; ds.genes.len()];
            for i in hashed_sample(ds, 0..ds.genes.len(), n, seed, "sample-genes") {
                keep[i] = true;
            }
            keep
        }
        _ => vec![true; ds.genes.len()],
    }
}

/// The first `n` of the genes `among` (indices into `ds.genes`) ranked by a hash of
/// `(seed, purpose, gene id)`, in that order.
pub(crate) fn hashed_sample(
    ds: &Dataset,
    among: impl Iterator<Item = usize>,
    n: usize,
    seed: u64,
    purpose: &str,
) -> Vec<usize> {
    let mut ranked: Vec<(u64, usize)> = among
        .map(|i| (crate::seed::gene_seed(seed, purpose, &ds.genes[i].id), i))
        .collect();
    ranked.sort_unstable();
    ranked.into_iter().take(n).map(|(_, i)| i).collect()
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

/// The weights calibration is fitted and judged with: `sample_weight` (the whole-gene
/// population) or 1 (the dataset's rows, the distribution the model was trained on).
pub fn calibration_weights(info: &RowInfo, population: bool) -> Vec<f32> {
    if population {
        info.weight.clone()
    } else {
        vec![1.0; info.len()]
    }
}

/// Out-of-fold predictions with their rows.
#[derive(Default)]
pub struct Oof {
    /// Rows (in fold order, genes contiguous).
    pub info: RowInfo,
    /// Margins `n × 3`.
    pub margins: Vec<f32>,
    /// The fold each row was held out in.
    pub fold: Vec<u8>,
}

/// What a phase of training cost.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    /// Name.
    pub name: String,
    /// Seconds.
    pub secs: f64,
    /// Peak RSS during the phase (bytes), sampled every 50 ms.
    pub peak_rss: u64,
}

fn log(msg: &str) {
    // Each progress line starts with the process's resident memory (RSS) at that moment.
    eprintln!("[RSS {}] {msg}", mem::human(mem::rss_bytes()));
}

/// Builds the quantile matrix of the genes flagged in `keep`; returns it with the rows' info.
pub(crate) fn matrix(
    ds: &Dataset,
    keep: &[bool],
    p: &Params,
    weights: bool,
    record: Record,
    cache: Option<&Path>,
) -> Result<(DMatrix, RowInfo), Error> {
    static CACHES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let mut src = RowSource::new(ds, keep, weights, record)?;
    let (max_bin, threads) = (p.max_bin, p.threads as u32);
    let dm = match cache {
        None => DMatrix::quantile_from_source(&mut src, max_bin, threads, None),
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| crate::store::Error::io(dir, e))?;
            let n = CACHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let prefix = dir.join(format!("xgb-cache-{}-{n}", std::process::id()));
            DMatrix::ext_mem_quantile_from_source(&mut src, max_bin, threads, None, &prefix)
        }
    }
    .map_err(|e| match e {
        crate::xgb::Error::Source(inner) => match inner.downcast::<crate::store::Error>() {
            Ok(s) => Error::Store(*s),
            Err(other) => Error::Internal(other.to_string()),
        },
        other => xgb_error(other),
    })?;
    // The sketch's scratch is freed by now; give it back before boosting allocates elsewhere.
    mem::release_free_memory();
    Ok((dm, src.info))
}

/// Runs cross-validation, calibration, the final model and the report.
pub fn train(cfg: &TrainConfig) -> Result<String, Error> {
    let t0 = Instant::now();
    let mut phases = Vec::new();
    let phase = |phases: &mut Vec<Phase>, name: &str, t: Instant| {
        phases.push(Phase {
            name: name.into(),
            secs: t.elapsed().as_secs_f64(),
            peak_rss: mem::peak_rss_bytes(),
        })
    };
    let t = Instant::now();
    let ds = Dataset::open_unverified(&cfg.dataset)?;
    // Plan before any work: the memory model needs only the manifest.
    let (cfg, estimate, plan_reason) = plan(cfg, &ds)?;
    let cfg = &cfg;
    ds.verify()?;
    phase(&mut phases, "open + verify", t);
    let created = outdir::prepare(cfg)?;
    let result = train_in(cfg, &ds, &estimate, &plan_reason, t0, phases);
    if result.is_err() && created {
        outdir::discard_if_nothing_kept(&cfg.out);
    }
    result
}

/// [`train`] once the output directory is ready.
fn train_in(
    cfg: &TrainConfig,
    ds: &Dataset,
    estimate: &memory::Estimate,
    plan_reason: &str,
    t0: Instant,
    phases: Vec<Phase>,
) -> Result<String, Error> {
    log(&format!(
        "dataset {}: {} genes, {} rows, {} features (verified)",
        cfg.dataset.display(),
        ds.genes.len(),
        ds.rows(),
        ds.features.len()
    ));
    log(&format!(
        "memory: predicted peak {} ({plan_reason})",
        mem::human(estimate.peak)
    ));
    let text = train_planned(cfg, ds, t0, phases)?;
    let measured = mem::peak_rss_bytes();
    let universe = sample_genes(ds, cfg.sample_genes, cfg.params.seed);
    files::write_json(
        &cfg.out,
        "memory.json",
        &MemoryReport {
            plan: plan_reason.to_string(),
            budget: cfg.memory_budget,
            shape: shape(ds, &universe),
            settings: cfg.memory_settings(),
            estimate: estimate.clone(),
            measured_peak: measured,
        },
    )?;
    let _ = std::fs::remove_dir_all(cfg.out.join(".tmp"));
    Ok(format!(
        "{text}memory: peak RSS {} measured, {} predicted{}\n",
        mem::human(measured),
        mem::human(estimate.peak),
        match cfg.memory_budget {
            Some(b) => format!(" (budget {}; {plan_reason})", mem::human(b)),
            None => String::new(),
        }
    ))
}

/// Applies `--memory-budget`: the configuration to run (possibly changed by the planner), its
/// memory estimate and the reason for the plan. Refuses a budget that nothing fits.
pub fn plan(
    cfg: &TrainConfig,
    ds: &Dataset,
) -> Result<(TrainConfig, memory::Estimate, String), Error> {
    let universe = sample_genes(ds, cfg.sample_genes, cfg.params.seed);
    let sh = shape(ds, &universe);
    let n_genes = ds.genes.len() as u64;
    let asked = cfg.memory_settings();
    let Some(budget) = cfg.memory_budget else {
        return Ok((
            cfg.clone(),
            memory::estimate(&sh, n_genes, &asked),
            "no --memory-budget".into(),
        ));
    };
    let p = memory::plan(&sh, n_genes, &asked, budget, cfg.fixed).map_err(Error::Budget)?;
    let mut out = cfg.clone();
    let s = &p.settings;
    out.ensemble_size = s.ensemble_size;
    if cfg.single_model == SingleModel::All && !s.compare_single {
        out.single_model = SingleModel::SameMemory;
    }
    out.external_memory = s.external_memory;
    if let Some(n) = p.sample_genes {
        out.sample_genes = Some(n as usize);
    }
    Ok((out, p.estimate, p.reason))
}

/// Runs cross-validation, calibration, the final model and the report for a planned config.
fn train_planned(
    cfg: &TrainConfig,
    ds: &Dataset,
    t0: Instant,
    mut phases: Vec<Phase>,
) -> Result<String, Error> {
    let mut phase = |name: &str, t: Instant| {
        phases.push(Phase {
            name: name.into(),
            secs: t.elapsed().as_secs_f64(),
            peak_rss: mem::peak_rss_bytes(),
        })
    };
    let ds = ds.clone();
    let p = &cfg.params;
    let universe = sample_genes(&ds, cfg.sample_genes, p.seed);
    let genes_used = universe.iter().filter(|k| **k).count();
    if genes_used < ds.genes.len() {
        log(&format!(
            "--sample-genes: {genes_used} of {} genes (seed {})",
            ds.genes.len(),
            p.seed
        ));
    }
    if cfg.ensemble_size > 1 {
        return ensemble::train_ensemble(cfg, &ds, &universe);
    }
    if cfg.n_folds > genes_used {
        return Err(Error::Usage(format!(
            "--n-folds {} is more than the {genes_used} genes trained on; use at most {genes_used} folds",
            cfg.n_folds
        )));
    }
    let folds = Folds::assign(&ds, cfg.n_folds.max(1), p.seed, &universe);
    let mut oof = Oof::default();
    if cfg.n_folds >= 2 {
        for k in 0..cfg.n_folds {
            let t = Instant::now();
            let train_mask = folds.train_mask(k);
            let test_mask = folds.test_mask(k);
            let (dtrain, tinfo) = matrix(
                &ds,
                &train_mask,
                p,
                cfg.train_weights,
                Record::Labels,
                cfg.cache_dir().as_deref(),
            )?;
            let model = Model::fit(dtrain, &tinfo.label, p)?;
            // Held-out rows are predicted batch by batch: no second matrix.
            let (info, m) = predict::margins(&ds, &test_mask, &model)?;
            log(&format!(
                "fold {}/{}: trained on {} rows, predicted {} held-out rows of {} genes ({:.1} s)",
                k + 1,
                cfg.n_folds,
                tinfo.len(),
                info.len(),
                folds.sizes[k],
                t.elapsed().as_secs_f64()
            ));
            append(&mut oof, info, m, k as u8);
            phase(&format!("fold {}", k + 1), t);
        }
    }

    let t = Instant::now();
    let calibration = (cfg.calibrate && !oof.info.is_empty()).then(|| {
        Calibration::fit(
            &model::raw_probs(p.objective, &oof.margins),
            &oof.info.label,
            &calibration_weights(&oof.info, cfg.calibrate_population),
        )
    });
    phase("calibration", t);

    let t = Instant::now();
    let all = folds.all_mask();
    let (dall, info_all) = matrix(
        &ds,
        &all,
        p,
        cfg.train_weights,
        Record::Labels,
        cfg.cache_dir().as_deref(),
    )?;
    log(&format!(
        "final model: streamed {} rows into the binned matrix ({:.1} s, peak RSS {})",
        info_all.len(),
        t.elapsed().as_secs_f64(),
        mem::human(mem::peak_rss_bytes())
    ));
    phase("final: load", t);
    let t = Instant::now();
    let mut model = Model::fit(dall, &info_all.label, p)?;
    model.calibration = calibration.clone();
    log(&format!(
        "final model: {} rows of {} genes ({:.1} s)",
        info_all.len(),
        genes_used,
        t.elapsed().as_secs_f64()
    ));
    phase("final: boosting", t);

    // Save.
    let t = Instant::now();
    let out = &cfg.out;
    model.save(out)?;
    files::write_json(
        out,
        "features.json",
        &FeatureList {
            schema_version: ds.schema.version,
            features: ds.features.clone(),
        },
    )?;
    files::write_json(out, "folds.json", &folds)?;
    files::write_json(out, "calibration.json", &calibration)?;
    files::write_json(
        out,
        "train.json",
        &TrainInfo {
            version: env!("CARGO_PKG_VERSION").into(),
            dataset_fingerprint: ds.run.fingerprint.clone(),
            params: p.clone(),
            n_folds: cfg.n_folds,
            calibrated: calibration.is_some(),
            train_weights: cfg.train_weights,
            rows: info_all.len(),
            genes: genes_used,
        },
    )?;
    let importance = model.importance(ds.features.len())?;
    phase("save", t);
    let summary = report::write(&report::Inputs {
        out,
        population: cfg.calibrate_population,
        ds: &ds,
        model: &model,
        oof: &oof,
        threshold: cfg.threshold,
        importance: &importance,
        phases: &phases,
        total_secs: t0.elapsed().as_secs_f64(),
    })?;
    Ok(summary.text)
}

fn append(oof: &mut Oof, info: RowInfo, margins: Vec<f32>, fold: u8) {
    oof.fold.extend(std::iter::repeat_n(fold, info.len()));
    let o = &mut oof.info;
    o.gene.extend(info.gene);
    o.label.extend(info.label);
    o.weight.extend(info.weight);
    o.base_donor.extend(info.base_donor);
    o.base_acceptor.extend(info.base_acceptor);
    o.position.extend(info.position);
    oof.margins.extend(margins);
}

/// Reads a model directory's `train.json`, `features.json` and `calibration.json` and loads it.
pub fn load_model(dir: &Path) -> Result<(Model, FeatureList, TrainInfo), Error> {
    let info: TrainInfo = files::read_json(dir, "train.json")?;
    let features: FeatureList = files::read_json(dir, "features.json")?;
    let calibration: Option<Calibration> = files::read_json(dir, "calibration.json")?;
    let model = Model::load(dir, info.params.objective, calibration)?;
    Ok((model, features, info))
}
