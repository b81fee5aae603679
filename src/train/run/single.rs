//! A single model: cross-validation over gene folds (each finished fold checkpointed),
//! calibration on the out-of-fold margins, the final model on every gene, its files and the
//! report.

use std::time::Instant;

use super::Finished;
use super::checkpoint::{self, Checkpoints};
use crate::rss;
use crate::train::Error;
use crate::train::config::{Cv, TrainConfig};
use crate::train::eval;
use crate::train::fit::calibrate::Calibration;
use crate::train::fit::cuts::SharedCuts;
use crate::train::fit::folds::Folds;
use crate::train::fit::model::{self, Model};
use crate::train::fit::share::{self, Share};
use crate::train::fit::stopping::{self, Stop, Stopped, Validation};
use crate::train::fit::{Oof, apply, calibration_weights};
use crate::train::input::dataset::Dataset;
use crate::train::input::hashed_sample;
use crate::train::input::source::Record;
use crate::train::log::log;
use crate::train::modeldir::{FeatureList, TrainInfo, TrainedOn, files};
use crate::train::phases::Phases;

/// A single model: cross-validation over gene folds (each finished fold checkpointed),
/// calibration on the out-of-fold margins, the final model on every gene, its files and the
/// report. Every matrix is binned with one set of cuts ([`cuts`]). Returns the console summary
/// and the `train.json` to write last.
pub(crate) fn train_single(
    cfg: &TrainConfig,
    ds: &Dataset,
    universe: &[bool],
    share: Option<Share>,
    t0: Instant,
    mut phases: Phases,
) -> Result<Finished, Error> {
    // `train::plan` refused more folds than genes before any work.
    let genes_used = universe.iter().filter(|k| **k).count();
    let n_folds = cfg.memory.n_folds.max(1);
    let folds = match cfg.cv {
        Cv::Genes => Folds::assign(ds, n_folds, cfg.params.seed, universe),
        Cv::Chromosome => Folds::assign_by_contig(ds, n_folds, cfg.params.seed, universe),
    };
    let mut cuts = SharedCuts::new(cfg.matrices(ds, share), &folds.all_mask());
    let oof = cross_validate(cfg, ds, &folds, &mut cuts, share, &mut phases)?;

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
    let final_genes = FinalGenes {
        folds: &folds,
        genes: genes_used,
        share,
    };
    let (mut model, rows) = final_model(cfg, &final_genes, &mut cuts, stop, &mut phases)?;
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
    let t = Instant::now();
    let shap = apply::shap_summary(ds, &folds.all_mask(), &model, cfg.params.seed)?;
    phases.record("SHAP summary", t);
    let summary = eval::report::write(&eval::report::Inputs {
        out: &cfg.out,
        params: &cfg.params,
        population: cfg.calibrate_population,
        ds,
        model: &model,
        oof: &oof,
        threshold: cfg.threshold,
        importance: &importance,
        shap: &shap,
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
    share: Option<Share>,
    phases: &mut Phases,
) -> Result<Oof, Error> {
    let mut oof = Oof::default();
    if cfg.memory.n_folds < 2 {
        return Ok(oof);
    }
    let checkpoints = Checkpoints::open(cfg, ds)?;
    // Workers resume only the folds every one of them finished.
    let present: Vec<bool> = (0..cfg.memory.n_folds)
        .map(|k| checkpoints.exists(k))
        .collect();
    let usable = share::all_ranks(share, &present)?;
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
                cfg.memory.n_folds,
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
        let (info, m) = apply::margins(ds, &test_mask, &model)?;
        checkpoints.save(k, &info, &m, &model.rounds)?;
        let done = t.elapsed().as_secs_f64();
        log(&format!(
            "fold {}/{}: trained on {} rows{}, predicted {} held-out rows of {} genes ({done:.1} s: \
             load {loaded:.1}, boosting {:.1}, held-out prediction {:.1})",
            k + 1,
            cfg.memory.n_folds,
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

/// The genes of the final model: every gene of the folds (`genes` of them), of this worker's
/// share.
struct FinalGenes<'a> {
    folds: &'a Folds,
    genes: usize,
    share: Option<Share>,
}

/// The final model on every gene of the folds, boosted as `stop` says; returns it with the rows
/// it trained on.
fn final_model(
    cfg: &TrainConfig,
    on: &FinalGenes<'_>,
    cuts: &mut SharedCuts<'_>,
    stop: Stop,
    phases: &mut Phases,
) -> Result<(Model, usize), Error> {
    let (folds, genes) = (on.folds, on.genes);
    let t = Instant::now();
    let (dall, info_all) = cuts.matrix(&folds.all_mask(), Record::Labels)?;
    log(&format!(
        "final model: streamed {} rows into the binned matrix ({:.1} s, peak RSS {})",
        info_all.len(),
        t.elapsed().as_secs_f64(),
        rss::human(rss::peak_rss_bytes())
    ));
    phases.record("final: load", t);
    let t = Instant::now();
    let model = Model::fit_with(dall, &info_all.label, &cfg.params, stop)?;
    // With workers, each bins its share of the rows; the model is trained on all of them.
    let rows = share::sum_over_ranks(on.share, info_all.len())?;
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

/// The boosters, `features.json`, `folds.json` and `calibration.json`; returns `train.json`.
fn save(cfg: &TrainConfig, ds: &Dataset, t: &Trained) -> Result<TrainInfo, Error> {
    let out = &cfg.out;
    files::write_model(out, t.model)?;
    files::write_json(out, "features.json", &FeatureList::of(ds))?;
    files::write_json(out, "folds.json", t.folds)?;
    files::write_json(out, "calibration.json", &t.model.calibration)?;
    let on = TrainedOn {
        n_folds: cfg.memory.n_folds,
        calibrated: t.model.calibration.is_some(),
        rows: t.rows,
        genes: t.genes,
    };
    Ok(TrainInfo::new(
        &cfg.params,
        cfg.memory.train_weights,
        ds,
        on,
    ))
}
