//! `--ensemble-size K`: K sub-models on gene subsets (disjoint, or overlapping by
//! `--ensemble-overlap`), each calibrated on its own held-back genes and checkpointed, so a killed
//! `train` resumes and skips finished sub-models. An outer gene hold-out that no sub-model sees
//! measures the ensemble (mean of calibrated probabilities) against a single model trained on all
//! the other genes, and against the base model.

mod member;
mod report;
mod split;

pub use self::report::{COMPARISON, EnsembleMetrics, RULE};

use self::member::{Done, train_member, train_single};
use self::report::score;
use self::split::{Split, mask, single_genes, split};
use super::{Finished, outdir};
use crate::rss;
use crate::store::lock::Lock;
use crate::train::Error;
use crate::train::config::TrainConfig;
use crate::train::fit::apply::{add_weighted, both_probabilities};
use crate::train::fit::model::Model;
use crate::train::input::dataset::Dataset;
use crate::train::input::sample_genes;
use crate::train::log::log;
use crate::train::modeldir::ensemble::{EnsembleFile, load};
use crate::train::modeldir::{FeatureList, TrainInfo, TrainedOn, files};

/// Trains (or resumes) the ensemble; returns the human summary and the `train.json` to write
/// last.
pub(crate) fn train_ensemble(
    cfg: &TrainConfig,
    ds: &Dataset,
    universe: &[bool],
) -> Result<Finished, Error> {
    let monitor = rss::Monitor::start(std::time::Duration::from_millis(50));
    let split = {
        let _shared = Lock::wait(&cfg.out)?;
        setup(cfg, ds, universe)?
    };
    let members: Vec<Done> = (0..cfg.memory.ensemble_size)
        .map(|i| train_member(cfg, ds, i, &split.subsets[i], &monitor))
        .collect::<Result<_, _>>()?;
    let comparison = single_genes(cfg, ds, &split);
    let single = match &comparison {
        Some(c) => {
            log(&format!("comparison model: {}", c.what));
            Some(train_single(cfg, ds, &c.genes, &monitor)?)
        }
        None => {
            log("comparison model skipped (--single-model none)");
            None
        }
    };
    let trained = Trained {
        members,
        single,
        single_what: comparison.map_or("none".into(), |c| c.what),
    };
    let m = evaluate(cfg, ds, &split, trained, &monitor)?;
    let info = write_results(cfg, ds, &split, &m)?;
    Ok(Finished {
        text: report::headline(cfg, &m),
        info,
    })
}

/// The ensemble's split, recorded in `ensemble.json` (or checked against the one there), and
/// `features.json`. Callers hold the directory's lock: members may run at once.
fn setup(cfg: &TrainConfig, ds: &Dataset, universe: &[bool]) -> Result<Split, Error> {
    let split = split(cfg, ds, universe)?;
    let file = file_of(cfg, ds, &split);
    file.record(&cfg.out)?;
    files::write_json(&cfg.out, "features.json", &FeatureList::of(ds))?;
    Ok(split)
}

/// `train --ensemble-size K --member I`: sub-model `i` (from 0) only, into the shared model
/// directory, safe beside the other members running at once. A run without `--member` then
/// finds the finished ones and completes the ensemble.
pub(crate) fn train_one_member(cfg: &TrainConfig, ds: &Dataset, i: usize) -> Result<String, Error> {
    let out = &cfg.out;
    let split = {
        std::fs::create_dir_all(out).map_err(|e| crate::store::Error::write(out, e))?;
        let _shared = Lock::wait(out)?;
        outdir::prepare(cfg)?;
        let universe = sample_genes(ds, cfg.sample_genes, cfg.params.seed);
        setup(cfg, ds, &universe)?
    };
    let monitor = rss::Monitor::start(std::time::Duration::from_millis(50));
    let done = train_member(cfg, ds, i, &split.subsets[i], &monitor)?;
    let finished = (0..cfg.memory.ensemble_size)
        .filter(|k| member::is_done(cfg, *k))
        .count();
    Ok(format!(
        "sub-model {}/{} trained into {} ({} genes, {} rows, {:.1} s, peak RSS {}); {finished} of {} sub-models done. When all are, run the same command without --member to complete the ensemble\n",
        i + 1,
        cfg.memory.ensemble_size,
        member::dir(cfg, i).display(),
        done.genes,
        done.rows,
        done.secs,
        rss::human(done.peak_rss),
        cfg.memory.ensemble_size
    ))
}

/// What was trained, before the hold-out evaluation.
struct Trained {
    /// What each sub-model cost.
    members: Vec<Done>,
    /// The comparison model and its cost.
    single: Option<(Model, Done)>,
    /// What the comparison model trained on, in words.
    single_what: String,
}

/// `ensemble.json` of this run: dataset, settings and the genes of the hold-out and subsets.
fn file_of(cfg: &TrainConfig, ds: &Dataset, split: &Split) -> EnsembleFile {
    let k = cfg.memory.ensemble_size;
    let ids = |v: &[usize]| {
        v.iter()
            .map(|&g| ds.genes[g].id.clone())
            .collect::<Vec<_>>()
    };
    EnsembleFile {
        dataset_fingerprint: ds.run.fingerprint.clone(),
        params: cfg.params.clone(),
        size: k,
        overlap: cfg.memory.ensemble_overlap,
        holdout: ids(&split.holdout),
        subsets: split.subsets.iter().map(|s| ids(s)).collect(),
        weights: vec![1.0 / k as f64; k],
    }
}

/// Scores the ensemble (sub-models read back from disk, as `predict` reads them), the
/// comparison model and each sub-model on the hold-out.
fn evaluate(
    cfg: &TrainConfig,
    ds: &Dataset,
    split: &Split,
    trained: Trained,
    monitor: &rss::Monitor,
) -> Result<EnsembleMetrics, Error> {
    let k = cfg.memory.ensemble_size;
    let ensemble =
        load(&cfg.out)?.ok_or_else(|| Error::Internal("ensemble.json vanished".into()))?;
    let _ = monitor.phase_peak();
    let refs: Vec<&Model> = ensemble
        .models
        .iter()
        .chain(trained.single.as_ref().map(|s| &s.0))
        .collect();
    let both = both_probabilities(ds, &mask(ds.genes.len(), &split.holdout), &refs)?;
    let evaluation_peak_rss = monitor.phase_peak();
    let info = &both.info;
    let mean = |probs: &[Vec<f32>]| {
        let mut out = Vec::new();
        for (&w, pr) in ensemble.weights.iter().zip(&probs[..k]) {
            add_weighted(&mut out, pr, w);
        }
        out
    };
    let (cal, raw) = (&both.calibrated, &both.raw);
    let done = &trained.members;
    let whole = Done {
        secs: done.iter().map(|d| d.secs).sum(),
        peak_rss: done.iter().map(|d| d.peak_rss).max().unwrap_or(0),
        ..Done::default()
    };
    let mut table = vec![score(
        cfg,
        info,
        "ensemble".into(),
        &mean(cal),
        &mean(raw),
        whole,
    )];
    if let Some((_, d)) = &trained.single {
        table.push(score(cfg, info, COMPARISON.into(), &cal[k], &raw[k], *d));
    }
    for (i, d) in done.iter().enumerate() {
        let name = format!("sub-model {}", i + 1);
        table.push(score(cfg, info, name, &cal[i], &raw[i], *d));
    }
    Ok(EnsembleMetrics {
        holdout_genes: split.holdout.len(),
        holdout_rows: info.len(),
        rule: RULE.into(),
        result: table[0].figures.clone(),
        single_model: trained.single_what,
        models: table,
        evaluation_peak_rss,
    })
}

/// `report.md` and `metrics.json`; returns `train.json`.
fn write_results(
    cfg: &TrainConfig,
    ds: &Dataset,
    split: &Split,
    m: &EnsembleMetrics,
) -> Result<TrainInfo, Error> {
    let out = &cfg.out;
    files::write(out, "report.md", report::report(cfg, m).as_bytes())?;
    files::write_json(out, "metrics.json", m)?;
    let on = TrainedOn {
        n_folds: 0,
        calibrated: cfg.calibrate,
        rows: split.rest.iter().map(|&g| ds.genes[g].rows as usize).sum(),
        genes: split.rest.len(),
    };
    Ok(TrainInfo::new(
        &cfg.params,
        cfg.memory.train_weights,
        ds,
        on,
    ))
}
