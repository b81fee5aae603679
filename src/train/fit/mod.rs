//! Fitting and cross-validation: the quantile matrix of a set of genes, the boosters
//! ([`model`]), gene-level folds ([`folds`]), out-of-fold predictions, per-class calibration
//! ([`calibrate`]) and the final model on every gene, saved with the files that describe it.

pub mod calibrate;
pub mod checkpoint;
pub mod cuts;
pub mod folds;
pub mod model;
pub mod stopping;

use std::path::Path;
use std::time::Instant;

use self::calibrate::Calibration;
use self::checkpoint::Checkpoints;
use self::cuts::SharedCuts;
use self::folds::Folds;
use self::model::{Model, Params, xgb_error};
use self::stopping::{Stop, Stopped, Validation};
use crate::mem;
use crate::train::Error;
use crate::train::input::dataset::Dataset;
use crate::train::input::hashed_sample;
use crate::train::input::source::{Record, RowInfo, RowSource};
use crate::train::modeldir::{FeatureList, TrainInfo, TrainedOn, files, predict};
use crate::train::{Phases, TrainConfig, eval, log};
use crate::xgb::DMatrix;

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
    /// Per fold, the rounds each booster kept.
    pub rounds: Vec<Vec<u32>>,
}

/// Builds the quantile matrix of the genes flagged in `keep`, binned with the cuts of
/// `reference` when given (else sketched on its own rows); returns it with the rows' info.
pub(crate) fn matrix(
    ds: &Dataset,
    keep: &[bool],
    p: &Params,
    weights: bool,
    record: Record,
    cache: Option<&Path>,
    reference: Option<&DMatrix>,
) -> Result<(DMatrix, RowInfo), Error> {
    static CACHES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    // A worker of a distributed run streams its own share of the genes only.
    let keep = crate::train::workers::share_of(ds, keep);
    let mut src = RowSource::new(ds, &keep, weights, record)?;
    let (max_bin, threads) = (p.max_bin, p.threads as u32);
    let dm = match cache {
        None => DMatrix::quantile_from_source(&mut src, max_bin, threads, reference),
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| crate::store::Error::write(dir, e))?;
            let n = CACHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let prefix = dir.join(format!("xgb-cache-{}-{n}", std::process::id()));
            DMatrix::ext_mem_quantile_from_source(&mut src, max_bin, threads, reference, &prefix)
        }
    }
    .map_err(source_error)?;
    // The sketch's scratch is freed by now; give it back before boosting allocates elsewhere.
    crate::xgb::alloc::release_free_memory();
    Ok((dm, src.info))
}

/// A matrix constructor's error, with the dataset's own errors unwrapped.
pub(crate) fn source_error(e: crate::xgb::Error) -> Error {
    match e {
        crate::xgb::Error::Source(inner) => match inner.downcast::<crate::store::Error>() {
            Ok(s) => Error::Store(*s),
            Err(other) => Error::Internal(other.to_string()),
        },
        other => xgb_error(other),
    }
}

/// A single model: cross-validation over gene folds (each finished fold checkpointed),
/// calibration on the out-of-fold margins, the final model on every gene, its files and the
/// report. Every matrix is binned with one set of cuts ([`cuts`]). Returns the console summary
/// and the `train.json` to write last.
pub(crate) fn train_single(
    cfg: &TrainConfig,
    ds: &Dataset,
    universe: &[bool],
    t0: Instant,
    mut phases: Phases,
) -> Result<Finished, Error> {
    // `train::plan` refused more folds than genes before any work.
    let genes_used = universe.iter().filter(|k| **k).count();
    let folds = Folds::assign(ds, cfg.n_folds.max(1), cfg.params.seed, universe);
    let mut cuts = SharedCuts::new(
        ds,
        &cfg.params,
        cfg.train_weights,
        cfg.cache_dir(),
        &folds.all_mask(),
    );
    let oof = cross_validate(cfg, ds, &folds, &mut cuts, &mut phases)?;

    let t = Instant::now();
    let calibration = (cfg.calibrate && !oof.info.is_empty()).then(|| {
        Calibration::fit(
            &model::raw_probs(cfg.params.objective, &oof.margins),
            &oof.info.label,
            &calibration_weights(&oof.info, cfg.calibrate_population),
        )
    });
    phases.record("calibration", t);

    let stopped = cfg.params.early_stopping_rounds.map(|patience| Stopped {
        patience,
        boosters: Model::booster_names(cfg.params.objective),
        final_rounds: stopping::median_rounds(&oof.rounds),
        folds: oof.rounds.clone(),
    });
    let stop = match &stopped {
        Some(s) => Stop::After(s.final_rounds.clone()),
        None => Model::all_rounds(&cfg.params),
    };
    let (mut model, rows) = final_model(cfg, &folds, &mut cuts, stop, genes_used, &mut phases)?;
    model.calibration = calibration;

    let t = Instant::now();
    let trained = Trained {
        model: &model,
        folds: &folds,
        rows,
        genes: genes_used,
    };
    let info = save(cfg, ds, &trained)?;
    let importance = model.importance(ds.features.len())?;
    phases.record("save", t);
    let summary = eval::report::write(&eval::report::Inputs {
        out: &cfg.out,
        params: &cfg.params,
        population: cfg.calibrate_population,
        ds,
        model: &model,
        oof: &oof,
        threshold: cfg.threshold,
        importance: &importance,
        phases: &phases.0,
        total_secs: t0.elapsed().as_secs_f64(),
        genes: genes_used,
        rows,
        stopped: stopped.as_ref(),
    })?;
    Ok(Finished {
        text: summary.text,
        info,
    })
}

/// The genes a fold's model trains on, and its validation slice (with early stopping).
struct FoldGenes {
    fit: Vec<bool>,
    valid: Option<Vec<bool>>,
}

/// Fold `k`'s training genes; with early stopping, a seeded tenth of them (at least one gene)
/// is held out as the validation slice.
fn fold_genes(cfg: &TrainConfig, ds: &Dataset, folds: &Folds, k: usize) -> FoldGenes {
    let mut fit = folds.train_mask(k);
    if cfg.params.early_stopping_rounds.is_none() {
        return FoldGenes { fit, valid: None };
    }
    let train: Vec<usize> = (0..fit.len()).filter(|&i| fit[i]).collect();
    let n = ((train.len() as f64 * stopping::VALIDATION_FRACTION).round() as usize)
        .clamp(1, train.len().saturating_sub(1).max(1));
    let mut valid = vec![false; fit.len()];
    for i in hashed_sample(ds, train.into_iter(), n, cfg.params.seed, "early-stopping") {
        valid[i] = true;
        fit[i] = false;
    }
    FoldGenes {
        fit,
        valid: Some(valid),
    }
}

/// One model per fold, trained on the other folds; its held-out rows are predicted batch by
/// batch (no second matrix). No folds (`--n-folds` 0 or 1): no out-of-fold rows.
fn cross_validate(
    cfg: &TrainConfig,
    ds: &Dataset,
    folds: &Folds,
    cuts: &mut SharedCuts<'_>,
    phases: &mut Phases,
) -> Result<Oof, Error> {
    let mut oof = Oof::default();
    if cfg.n_folds < 2 {
        return Ok(oof);
    }
    let checkpoints = Checkpoints::open(cfg, ds)?;
    // Workers resume only the folds every one of them finished.
    let present: Vec<bool> = (0..cfg.n_folds).map(|k| checkpoints.exists(k)).collect();
    let usable = crate::train::workers::all_ranks(&present)?;
    for (k, usable) in usable.into_iter().enumerate() {
        let t = Instant::now();
        let test_mask = folds.test_mask(k);
        let held_out_rows = ds
            .genes
            .iter()
            .zip(&test_mask)
            .filter(|(_, keep)| **keep)
            .map(|(g, _)| g.rows as usize)
            .sum();
        if !usable {
            // Not finished (or not by every worker): trained now.
        } else if let Some(done) = checkpoints.load(k, held_out_rows)? {
            log(&format!(
                "fold {}/{}: already trained; its {} held-out rows loaded from {}/fold-{}.parquet",
                k + 1,
                cfg.n_folds,
                done.info.len(),
                checkpoint::DIR,
                k + 1
            ));
            oof.append(done.info, done.margins, k as u8, done.rounds);
            phases.record(&format!("fold {} (loaded)", k + 1), t);
            continue;
        }
        let genes = fold_genes(cfg, ds, folds, k);
        let (dtrain, tinfo) = cuts.matrix(&genes.fit, Record::Labels)?;
        let stop = match (&genes.valid, cfg.params.early_stopping_rounds) {
            (Some(v), Some(patience)) => {
                let (matrix, vinfo) = cuts.matrix(v, Record::Labels)?;
                Stop::Early(Validation {
                    matrix,
                    labels: vinfo.label,
                    patience,
                })
            }
            _ => Model::all_rounds(&cfg.params),
        };
        let loaded = t.elapsed().as_secs_f64();
        let model = Model::fit_with(dtrain, &tinfo.label, &cfg.params, stop)?;
        let boosted = t.elapsed().as_secs_f64();
        let (info, m) = predict::margins(ds, &test_mask, &model)?;
        checkpoints.save(k, &info, &m, &model.rounds)?;
        let done = t.elapsed().as_secs_f64();
        log(&format!(
            "fold {}/{}: trained on {} rows{}, predicted {} held-out rows of {} genes ({done:.1} s: \
             load {loaded:.1}, boosting {:.1}, held-out prediction {:.1})",
            k + 1,
            cfg.n_folds,
            tinfo.len(),
            if genes.valid.is_some() {
                format!(" (kept rounds {:?})", model.rounds)
            } else {
                String::new()
            },
            info.len(),
            folds.sizes[k],
            boosted - loaded,
            done - boosted
        ));
        oof.append(info, m, k as u8, model.rounds.clone());
        phases.record(&format!("fold {}", k + 1), t);
    }
    Ok(oof)
}

/// The final model on every gene of the folds, boosted as `stop` says; returns it with the rows
/// it trained on.
fn final_model(
    cfg: &TrainConfig,
    folds: &Folds,
    cuts: &mut SharedCuts<'_>,
    stop: Stop,
    genes: usize,
    phases: &mut Phases,
) -> Result<(Model, usize), Error> {
    let t = Instant::now();
    let (dall, info_all) = cuts.matrix(&folds.all_mask(), Record::Labels)?;
    log(&format!(
        "final model: streamed {} rows into the binned matrix ({:.1} s, peak RSS {})",
        info_all.len(),
        t.elapsed().as_secs_f64(),
        mem::human(mem::peak_rss_bytes())
    ));
    phases.record("final: load", t);
    let t = Instant::now();
    let model = Model::fit_with(dall, &info_all.label, &cfg.params, stop)?;
    // With workers, each bins its share of the rows; the model is trained on all of them.
    let rows = crate::train::workers::sum_over_ranks(info_all.len())?;
    log(&format!(
        "final model: {rows} rows of {genes} genes ({:.1} s)",
        t.elapsed().as_secs_f64()
    ));
    phases.record("final: boosting", t);
    Ok((model, rows))
}

/// What [`save`] writes.
struct Trained<'a> {
    model: &'a Model,
    folds: &'a Folds,
    /// Rows the final model trained on.
    rows: usize,
    /// Genes the final model trained on.
    genes: usize,
}

/// What a finished run returns: the console summary and `train.json`, which is written last
/// (its presence means the model directory is complete).
pub(crate) struct Finished {
    /// The console summary.
    pub text: String,
    /// `train.json`.
    pub info: TrainInfo,
}

/// The boosters, `features.json`, `folds.json` and `calibration.json`; returns `train.json`.
fn save(cfg: &TrainConfig, ds: &Dataset, t: &Trained) -> Result<TrainInfo, Error> {
    let out = &cfg.out;
    t.model.save(out)?;
    files::write_json(out, "features.json", &FeatureList::of(ds))?;
    files::write_json(out, "folds.json", t.folds)?;
    files::write_json(out, "calibration.json", &t.model.calibration)?;
    let on = TrainedOn {
        n_folds: cfg.n_folds,
        calibrated: t.model.calibration.is_some(),
        rows: t.rows,
        genes: t.genes,
    };
    Ok(TrainInfo::new(cfg, ds, on))
}

impl Oof {
    /// Appends the held-out rows of fold `fold` and their margins.
    fn append(&mut self, info: RowInfo, margins: Vec<f32>, fold: u8, rounds: Vec<u32>) {
        self.rounds.push(rounds);
        self.fold.extend(std::iter::repeat_n(fold, info.len()));
        let o = &mut self.info;
        o.gene.extend(info.gene);
        o.label.extend(info.label);
        o.weight.extend(info.weight);
        o.base_donor.extend(info.base_donor);
        o.base_acceptor.extend(info.base_acceptor);
        o.position.extend(info.position);
        self.margins.extend(margins);
    }
}
