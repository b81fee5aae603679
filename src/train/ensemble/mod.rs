//! `--ensemble-size K`: K sub-models on gene subsets (disjoint, or overlapping by
//! `--ensemble-overlap`), each calibrated on its own held-back genes and checkpointed, so a killed
//! `train` resumes and skips finished sub-models. An outer gene hold-out that no sub-model sees
//! measures the ensemble (mean of calibrated probabilities) against a single model trained on all
//! the other genes, and against the base model.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::mem;
use crate::seed::{Rng, gene_seed};
use crate::train::eval::metrics::{Figures, argmax};
use crate::train::fit::calibrate::Calibration;
use crate::train::fit::matrix;
use crate::train::fit::model::Model;
use crate::train::input::dataset::Dataset;
use crate::train::input::source::{Record, RowInfo};
use crate::train::modeldir::predict::{add_weighted, both_probabilities};
use crate::train::modeldir::{FeatureList, files};
use crate::train::{SingleModel, TrainConfig};

/// What decides an ensemble's content; a resumed `train` must find the same plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsemblePlan {
    /// The dataset's fingerprint.
    pub dataset_fingerprint: String,
    /// Booster settings.
    pub params: crate::train::fit::model::Params,
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

/// Splits `genes` (already shuffled) into `k` contiguous chunks whose sizes differ by at most
/// one; sub-model `i` gets chunk `i` plus the first `ceil(overlap × |chunk i+1|)` genes of the
/// next chunk (cyclically). With `overlap = 0` the subsets are disjoint and cover every gene.
pub fn subsets(genes: &[usize], k: usize, overlap: f64) -> Vec<Vec<usize>> {
    let k = k.max(1);
    let n = genes.len();
    let chunks: Vec<&[usize]> = (0..k).map(|i| &genes[i * n / k..(i + 1) * n / k]).collect();
    (0..k)
        .map(|i| {
            let mut s = chunks[i].to_vec();
            if k > 1 {
                let next = chunks[(i + 1) % k];
                let extra = ((overlap * next.len() as f64).ceil() as usize).min(next.len());
                s.extend_from_slice(&next[..extra]);
            }
            s
        })
        .collect()
}

fn mask(n: usize, genes: &[usize]) -> Vec<bool> {
    let mut m = vec![false; n];
    for &g in genes {
        m[g] = true;
    }
    m
}

/// One model's figures on the hold-out.
#[derive(Debug, Clone, Serialize)]
pub struct Scored {
    /// Name.
    pub name: String,
    /// Its own calls (argmax before calibration) against the base model; AP of its calibrated
    /// probabilities.
    pub figures: Figures,
    /// Training seconds.
    pub secs: f64,
    /// Peak RSS while training it (bytes).
    pub peak_rss: u64,
}

/// An ensemble's `metrics.json`.
#[derive(Debug, Clone, Serialize)]
pub struct EnsembleMetrics {
    /// Hold-out genes (no sub-model saw them).
    pub holdout_genes: usize,
    /// Their rows.
    pub holdout_rows: usize,
    /// How calls are made.
    pub rule: String,
    /// **The result**: the ensemble's figures (the same as its row in `models`).
    pub result: Figures,
    /// What the single comparison model was trained on.
    pub single_model: String,
    /// Every model evaluated: the ensemble, the comparison model, each sub-model.
    pub models: Vec<Scored>,
    /// Peak RSS of the hold-out evaluation (bytes).
    pub evaluation_peak_rss: u64,
}

/// The decision rule of an ensemble's figures, in words.
pub const RULE: &str = "the class with the highest probability before calibration (for the ensemble, of the sub-models' mean; a fixed rule: nothing is chosen on the hold-out)";

/// What a finished sub-model recorded in `done.json`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct Done {
    genes: usize,
    rows: usize,
    secs: f64,
    peak_rss: u64,
}

/// The genes of one ensemble run.
struct Split {
    holdout: Vec<usize>,
    rest: Vec<usize>,
    subsets: Vec<Vec<usize>>,
}

fn split(cfg: &TrainConfig, ds: &Dataset, universe: &[bool]) -> Result<Split, Error> {
    let p = &cfg.params;
    let k = cfg.ensemble_size;
    // Outer hold-out by a hash of (seed, gene id); the rest shuffled and dealt into subsets.
    let used: Vec<usize> = (0..ds.genes.len()).filter(|&g| universe[g]).collect();
    let is_holdout = |g: usize| {
        ((gene_seed(p.seed, "ensemble-holdout", &ds.genes[g].id) >> 11) as f64
            / (1u64 << 53) as f64)
            < cfg.holdout_fraction
    };
    let holdout: Vec<usize> = used.iter().copied().filter(|&g| is_holdout(g)).collect();
    let mut rest: Vec<usize> = used.iter().copied().filter(|&g| !is_holdout(g)).collect();
    let mut rng = Rng::new(gene_seed(p.seed, "ensemble", ""));
    for i in (1..rest.len()).rev() {
        rest.swap(i, rng.below(i as u64 + 1) as usize);
    }
    if holdout.len() < 2 || rest.len() < 2 * k {
        return Err(Error::Usage(format!(
            "--ensemble-size {k} needs at least {} genes besides the hold-out, and 2 held out ({} genes, {} held out); lower it or use more genes",
            2 * k,
            used.len(),
            holdout.len()
        )));
    }
    let subsets = subsets(&rest, k, cfg.ensemble_overlap);
    Ok(Split {
        holdout,
        rest,
        subsets,
    })
}

/// Writes `ensemble.json`, or checks that the one there has the same plan (a resume).
fn record_plan(out: &Path, plan: &EnsemblePlan) -> Result<(), Error> {
    match std::fs::read(out.join("ensemble.json")) {
        Ok(bytes) => {
            let old: Option<EnsemblePlan> = serde_json::from_slice(&bytes).ok();
            if old.as_ref() != Some(plan) {
                return Err(Error::ModelDirTaken(format!(
                    "{} holds an unfinished ensemble with another dataset, settings or gene subsets; resume it with its original arguments, pass --overwrite to start over, or choose another --out-dir",
                    out.display()
                )));
            }
            Ok(())
        }
        Err(_) => files::write_json(out, "ensemble.json", plan),
    }
}

/// A sub-model's genes: a fifth (by gene hash) calibrates it, the rest train it.
fn calibration_split(ds: &Dataset, seed: u64, sub: &[usize]) -> (Vec<usize>, Vec<usize>) {
    sub.iter()
        .partition(|&&g| gene_seed(seed, "ensemble-calibration", &ds.genes[g].id).is_multiple_of(5))
}

/// Trains sub-model `i` into `dir` (or finds it finished there); returns what it cost.
fn train_member(
    cfg: &TrainConfig,
    ds: &Dataset,
    i: usize,
    sub: &[usize],
    monitor: &mem::Monitor,
) -> Result<Done, Error> {
    let (p, k, n) = (&cfg.params, cfg.ensemble_size, ds.genes.len());
    let dir = cfg.out.join(format!("sub-{:02}", i + 1));
    if let Ok(done) = files::read_json::<Done>(&dir, "done.json") {
        eprintln!(
            "sub-model {}/{k}: already trained ({:.1} s, peak RSS {} when it ran), loaded from {}",
            i + 1,
            done.secs,
            mem::human(done.peak_rss),
            dir.display()
        );
        return Ok(done);
    }
    let t = Instant::now();
    let _ = monitor.phase_peak();
    std::fs::create_dir_all(&dir).map_err(|e| crate::store::Error::io(&dir, e))?;
    let (cal_genes, fit_genes) = calibration_split(ds, p.seed, sub);
    let (dfit, info) = matrix(
        ds,
        &mask(n, &fit_genes),
        p,
        cfg.train_weights,
        Record::Labels,
        cfg.cache_dir().as_deref(),
    )?;
    let mut model = Model::fit(dfit, &info.label, p)?;
    if cfg.calibrate && !cal_genes.is_empty() {
        let mut both = both_probabilities(ds, &mask(n, &cal_genes), &[&model])?;
        let (cinfo, raw) = (both.info, both.raw.pop().unwrap_or_default());
        model.calibration = Some(Calibration::fit(
            &raw,
            &cinfo.label,
            &crate::train::fit::calibration_weights(&cinfo, cfg.calibrate_population),
        ));
    }
    model.save(&dir)?;
    files::write_json(&dir, "calibration.json", &model.calibration)?;
    let done = Done {
        genes: sub.len(),
        rows: info.len(),
        secs: t.elapsed().as_secs_f64(),
        peak_rss: monitor.phase_peak(),
    };
    files::write_json(&dir, "done.json", &done)?;
    let _ = std::fs::remove_dir_all(dir.join(".tmp"));
    eprintln!(
        "sub-model {}/{k}: {} genes, {} rows, {:.1} s, peak RSS {}",
        i + 1,
        done.genes,
        done.rows,
        done.secs,
        mem::human(done.peak_rss)
    );
    drop(model);
    mem::release_free_memory();
    Ok(done)
}

/// The single comparison model, trained on `genes`, with what it cost.
fn train_single(
    cfg: &TrainConfig,
    ds: &Dataset,
    genes: &[usize],
    monitor: &mem::Monitor,
) -> Result<(Model, Done), Error> {
    let t = Instant::now();
    let _ = monitor.phase_peak();
    let (d, info) = matrix(
        ds,
        &mask(ds.genes.len(), genes),
        &cfg.params,
        cfg.train_weights,
        Record::Labels,
        cfg.cache_dir().as_deref(),
    )?;
    let model = Model::fit(d, &info.label, &cfg.params)?;
    let done = Done {
        genes: genes.len(),
        rows: info.len(),
        secs: t.elapsed().as_secs_f64(),
        peak_rss: monitor.phase_peak(),
    };
    Ok((model, done))
}

/// The genes of the comparison model: every non-hold-out gene, or a seeded sample as large as
/// the largest sub-model's training genes (so it needs no more memory than a sub-model).
fn single_genes(cfg: &TrainConfig, ds: &Dataset, split: &Split) -> Option<(Vec<usize>, String)> {
    match cfg.single_model {
        SingleModel::None => None,
        SingleModel::All => Some((
            split.rest.clone(),
            format!("all {} non-hold-out genes", split.rest.len()),
        )),
        SingleModel::SameMemory => {
            let n = split
                .subsets
                .iter()
                .map(|s| calibration_split(ds, cfg.params.seed, s).1.len())
                .max()
                .unwrap_or(0);
            let genes = crate::train::input::hashed_sample(
                ds,
                split.rest.iter().copied(),
                n,
                cfg.params.seed,
                "single-model",
            );
            Some((
                genes,
                format!(
                    "a seeded sample of {n} of the {} non-hold-out genes, as many as a sub-model trains on (the same memory)",
                    split.rest.len()
                ),
            ))
        }
    }
}

/// Scores one model on the hold-out: its calls from `raw`, AP from calibrated `cal`.
fn score(
    cfg: &TrainConfig,
    info: &RowInfo,
    name: String,
    cal: &[f32],
    raw: &[f32],
    d: Done,
) -> Scored {
    Scored {
        name,
        figures: Figures::new(cal, &argmax(raw), info, cfg.threshold),
        secs: d.secs,
        peak_rss: d.peak_rss,
    }
}

/// Trains (or resumes) the ensemble; returns the human summary.
pub fn train_ensemble(cfg: &TrainConfig, ds: &Dataset, universe: &[bool]) -> Result<String, Error> {
    let p = &cfg.params;
    let out = &cfg.out;
    let n = ds.genes.len();
    let k = cfg.ensemble_size;
    let monitor = mem::Monitor::start(std::time::Duration::from_millis(50));
    let split = split(cfg, ds, universe)?;
    let ids = |v: &[usize]| {
        v.iter()
            .map(|&g| ds.genes[g].id.clone())
            .collect::<Vec<_>>()
    };
    let plan = EnsemblePlan {
        dataset_fingerprint: ds.run.fingerprint.clone(),
        params: p.clone(),
        size: k,
        overlap: cfg.ensemble_overlap,
        holdout: ids(&split.holdout),
        subsets: split.subsets.iter().map(|s| ids(s)).collect(),
        weights: vec![1.0 / k as f64; k],
    };
    record_plan(out, &plan)?;
    files::write_json(
        out,
        "features.json",
        &FeatureList {
            schema_version: ds.schema.version,
            features: ds.features.clone(),
        },
    )?;
    let done: Vec<Done> = (0..k)
        .map(|i| train_member(cfg, ds, i, &split.subsets[i], &monitor))
        .collect::<Result<_, _>>()?;
    // Read back from disk for the evaluation, as `predict` will.
    let (models, _) = load(out)?.ok_or_else(|| Error::Internal("ensemble.json vanished".into()))?;
    let single_plan = single_genes(cfg, ds, &split);
    let single = match &single_plan {
        Some((genes, what)) => {
            eprintln!("single comparison model: {what}");
            Some(train_single(cfg, ds, genes, &monitor)?)
        }
        None => {
            eprintln!("single comparison model skipped (--single-model none)");
            None
        }
    };

    // Hold-out evaluation.
    let _ = monitor.phase_peak();
    let refs: Vec<&Model> = models.iter().chain(single.as_ref().map(|s| &s.0)).collect();
    let both = both_probabilities(ds, &mask(n, &split.holdout), &refs)?;
    let evaluation_peak_rss = monitor.phase_peak();
    let info = &both.info;
    let mean = |probs: &[Vec<f32>]| {
        let mut out = Vec::new();
        for (&w, pr) in plan.weights.iter().zip(&probs[..k]) {
            add_weighted(&mut out, pr, w);
        }
        out
    };
    let (cal, raw) = (&both.calibrated, &both.raw);
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
    if let Some((_, d)) = &single {
        table.push(score(
            cfg,
            info,
            "single model".into(),
            &cal[k],
            &raw[k],
            *d,
        ));
    }
    for (i, d) in done.iter().enumerate() {
        let name = format!("sub-model {}", i + 1);
        table.push(score(cfg, info, name, &cal[i], &raw[i], *d));
    }
    let m = EnsembleMetrics {
        holdout_genes: split.holdout.len(),
        holdout_rows: info.len(),
        rule: RULE.into(),
        result: table[0].figures.clone(),
        single_model: single_plan.map_or("none".into(), |s| s.1),
        models: table,
        evaluation_peak_rss,
    };
    files::write(out, "report.md", report(cfg, &m).as_bytes())?;
    files::write_json(out, "metrics.json", &m)?;
    files::write_json(
        out,
        "train.json",
        &crate::train::modeldir::TrainInfo {
            version: env!("CARGO_PKG_VERSION").into(),
            dataset_fingerprint: ds.run.fingerprint.clone(),
            params: p.clone(),
            n_folds: 0,
            calibrated: cfg.calibrate,
            train_weights: cfg.train_weights,
            rows: split.rest.iter().map(|&g| ds.genes[g].rows as usize).sum(),
            genes: split.rest.len(),
        },
    )?;
    let _ = std::fs::remove_dir_all(out.join(".tmp"));
    Ok(headline(cfg, &m))
}

fn report(cfg: &TrainConfig, m: &EnsembleMetrics) -> String {
    let k = cfg.ensemble_size;
    let mut r = String::new();
    let _ = writeln!(r, "# spliceforge ensemble report\n");
    let _ = writeln!(
        r,
        "## Result: base model vs ensemble on {} hold-out genes ({} rows) that no sub-model saw\n",
        m.holdout_genes, m.holdout_rows
    );
    let _ = writeln!(
        r,
        "{k} sub-models (overlap {}); the ensemble's probabilities are the mean of theirs (equal weights). Calls: {RULE}; `predict` writes the same calls. Single comparison model: {}.\n",
        cfg.ensemble_overlap, m.single_model
    );
    let _ = writeln!(
        r,
        "| model | donor F1 | acceptor F1 | donor AP | acceptor AP | train s | peak RSS |\n|---|---|---|---|---|---|---|"
    );
    let b = &m.result.base_vs_meta;
    for s in &m.models {
        let f = &s.figures;
        let _ = writeln!(
            r,
            "| {} | {:.4} | {:.4} | {:.4} | {:.4} | {:.1} | {} |",
            s.name,
            f.f1(1),
            f.f1(2),
            f.classes[1].average_precision,
            f.classes[2].average_precision,
            s.secs,
            mem::human(s.peak_rss)
        );
        if s.name == "ensemble" {
            let _ = writeln!(
                r,
                "| base model | {:.4} | {:.4} | {:.4} | {:.4} | – | – |",
                b[0].base_f1, b[1].base_f1, b[0].base_ap, b[1].base_ap
            );
        }
    }
    let _ = writeln!(
        r,
        "\nThe ensemble's train time is the sum over its sub-models, its peak RSS the largest sub-model's. Hold-out evaluation peaked at {}.",
        mem::human(m.evaluation_peak_rss)
    );
    r
}

fn headline(cfg: &TrainConfig, m: &EnsembleMetrics) -> String {
    let k = cfg.ensemble_size;
    let e = &m.models[0];
    let single = m.models.iter().find(|s| s.name == "single model");
    let single_f1 =
        |c: usize| single.map_or("–".to_string(), |s| format!("{:.3}", s.figures.f1(c)));
    let b = &m.result.base_vs_meta;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "trained an ensemble of {k} sub-models; result on a hold-out of {} genes no sub-model saw (each model's own calls, its argmax before calibration):",
        m.holdout_genes
    );
    for (c, name) in [(1, "donor"), (2, "acceptor")] {
        let _ = writeln!(
            text,
            "  {name:<9} F1: base {:.3} → ensemble {:.3}  (single comparison model {})",
            b[c - 1].base_f1,
            e.figures.f1(c),
            single_f1(c)
        );
    }
    let _ = writeln!(text, "  single comparison model: {}", m.single_model);
    let _ = writeln!(
        text,
        "  peak RSS: largest sub-model {}, single model {}, hold-out evaluation {}",
        mem::human(e.peak_rss),
        single.map_or("skipped".to_string(), |s| mem::human(s.peak_rss)),
        mem::human(m.evaluation_peak_rss)
    );
    let _ = writeln!(
        text,
        "  sub-models, metrics.json and report.md in {}",
        cfg.out.display()
    );
    text
}

/// An ensemble's sub-models with their weights.
pub type Loaded = (Vec<Model>, Vec<f64>);

/// Loads every sub-model of an ensemble directory (for `predict`).
pub fn load(dir: &Path) -> Result<Option<Loaded>, Error> {
    if !dir.join("ensemble.json").exists() {
        return Ok(None);
    }
    let plan: EnsemblePlan = files::read_json(dir, "ensemble.json")?;
    let mut models = Vec::new();
    for i in 0..plan.size {
        let sub = dir.join(format!("sub-{:02}", i + 1));
        let calibration: Option<Calibration> = files::read_json(&sub, "calibration.json")?;
        models.push(Model::load(&sub, plan.params.objective, calibration)?);
    }
    Ok(Some((models, plan.weights)))
}

#[cfg(test)]
mod tests {
    use super::subsets;

    #[test]
    fn disjoint_subsets_cover_every_gene_once() {
        let genes: Vec<usize> = (0..103).collect();
        let s = subsets(&genes, 5, 0.0);
        assert_eq!(s.len(), 5);
        let mut all: Vec<usize> = s.concat();
        all.sort();
        assert_eq!(all, genes);
        let sizes: Vec<usize> = s.iter().map(Vec::len).collect();
        assert!(
            sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
            "{sizes:?}"
        );
    }

    #[test]
    fn overlap_adds_a_fraction_of_the_next_chunk() {
        let genes: Vec<usize> = (0..100).collect();
        let s = subsets(&genes, 4, 0.5);
        // chunks of 25; each subset takes ceil(0.5 × 25) = 13 genes of the next chunk
        assert!(s.iter().all(|x| x.len() == 38));
        let a: std::collections::HashSet<_> = s[0].iter().collect();
        let b: std::collections::HashSet<_> = s[1].iter().collect();
        assert_eq!(a.intersection(&b).count(), 13);
        let first: std::collections::HashSet<_> = s[3].iter().collect();
        assert_eq!(
            first.intersection(&a).count(),
            13,
            "cyclic: the last takes from the first"
        );
        assert_eq!(subsets(&genes, 4, 1.0)[0].len(), 50);
    }
}
