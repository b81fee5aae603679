//! `--ensemble-size K`: K sub-models on gene subsets (disjoint, or overlapping by
//! `--ensemble-overlap`), each calibrated on its own held-back genes and checkpointed, so a killed
//! `train` resumes and skips finished sub-models. An outer gene hold-out that no sub-model sees
//! measures the ensemble (mean of calibrated probabilities) against a single model trained on all
//! the other genes, and against the base model.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::calibrate::Calibration;
use super::dataset::Dataset;
use super::metrics::{self, ClassMetrics, Comparison};
use super::model::Model;
use super::predict::probabilities;
use super::source::Record;
use super::{FeatureList, TrainConfig, files, matrix};
use crate::Error;
use crate::mem;
use crate::seed::{Rng, gene_seed};

/// What decides an ensemble's content; a resumed `train` must find the same plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsemblePlan {
    /// The dataset's fingerprint.
    pub dataset_fingerprint: String,
    /// Booster settings.
    pub params: super::model::Params,
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
    /// Per-class metrics.
    pub classes: Vec<ClassMetrics>,
    /// Against the base model.
    pub base_vs_meta: Vec<Comparison>,
    /// Training seconds.
    pub secs: f64,
    /// Peak RSS while training it (bytes).
    pub peak_rss: u64,
}

/// Trains (or resumes) the ensemble; returns the human summary.
pub fn train_ensemble(cfg: &TrainConfig, ds: &Dataset, universe: &[bool]) -> Result<String, Error> {
    let p = &cfg.params;
    let out = &cfg.out;
    let n = ds.genes.len();
    let k = cfg.ensemble_size;
    let monitor = mem::Monitor::start(std::time::Duration::from_millis(50));

    // Outer hold-out by a hash of (seed, gene id); the rest shuffled and dealt into subsets.
    let used: Vec<usize> = (0..n).filter(|&g| universe[g]).collect();
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
    if holdout.is_empty() || rest.len() < 2 * k {
        return Err(Error::Usage(format!(
            "--ensemble-size {k} needs at least {} genes besides the hold-out ({} genes, {} held out); lower it or use more genes",
            2 * k,
            used.len(),
            holdout.len()
        )));
    }
    let subs = subsets(&rest, k, cfg.ensemble_overlap);
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
        holdout: ids(&holdout),
        subsets: subs.iter().map(|s| ids(s)).collect(),
        weights: vec![1.0 / k as f64; k],
    };
    match std::fs::read(out.join("ensemble.json")) {
        Ok(bytes) => {
            let old: Option<EnsemblePlan> = serde_json::from_slice(&bytes).ok();
            if old.as_ref() != Some(&plan) {
                return Err(Error::Usage(format!(
                    "{} holds an ensemble with other settings or data; resume it with its original arguments, or choose another --out-dir",
                    out.display()
                )));
            }
        }
        Err(_) => files::write_json(out, "ensemble.json", &plan)?,
    }
    files::write_json(
        out,
        "features.json",
        &FeatureList {
            schema_version: ds.schema.version,
            features: ds.features.clone(),
        },
    )?;

    let mut scored_meta: Vec<(f64, u64)> = Vec::new();
    for (i, sub) in subs.iter().enumerate() {
        let dir = out.join(format!("sub-{:02}", i + 1));
        let done = dir.join("done.json");
        let t = Instant::now();
        let _ = monitor.phase_peak();
        if done.exists() {
            eprintln!(
                "sub-model {}/{k}: already trained, loaded from {}",
                i + 1,
                dir.display()
            );
            scored_meta.push((0.0, 0));
            continue;
        }
        std::fs::create_dir_all(&dir).map_err(|e| crate::store::Error::io(&dir, e))?;
        // Calibrate on a fifth of its own genes, train on the rest.
        let (cal_genes, fit_genes): (Vec<usize>, Vec<usize>) = sub.iter().partition(|&&g| {
            gene_seed(p.seed, "ensemble-calibration", &ds.genes[g].id).is_multiple_of(5)
        });
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
            // No calibration is set yet, so these are the model's raw probabilities.
            let (cinfo, mut probs) = probabilities(ds, &mask(n, &cal_genes), &[&model])?;
            let raw = probs.pop().unwrap_or_default();
            model.calibration = Some(Calibration::fit(
                &raw,
                &cinfo.label,
                &super::calibration_weights(&cinfo, cfg.calibrate_population),
            ));
        }
        model.save(&dir)?;
        files::write_json(&dir, "calibration.json", &model.calibration)?;
        let secs = t.elapsed().as_secs_f64();
        let peak = monitor.phase_peak();
        let marker = serde_json::json!({"genes": sub.len(), "rows": info.len(), "secs": secs, "peak_rss": peak});
        files::write(&dir, "done.json", marker.to_string().as_bytes())?;
        let _ = std::fs::remove_dir_all(dir.join(".tmp"));
        eprintln!(
            "sub-model {}/{k}: {} genes, {} rows, {:.1} s, peak RSS {}",
            i + 1,
            sub.len(),
            info.len(),
            secs,
            mem::human(peak)
        );
        scored_meta.push((secs, peak));
        // Read back from disk for the evaluation, as `predict` will.
        drop(model);
        mem::release_free_memory();
    }
    let (models, _) = load(out)?.ok_or_else(|| Error::Internal("ensemble.json vanished".into()))?;

    // A single model on every non-hold-out gene, for comparison (it needs the memory of
    // training on all of them; --no-single-model or a tight --memory-budget skips it).
    let single = if cfg.compare_single {
        let t = Instant::now();
        let _ = monitor.phase_peak();
        let (dall, info_all) = matrix(
            ds,
            &mask(n, &rest),
            p,
            cfg.train_weights,
            Record::Labels,
            cfg.cache_dir().as_deref(),
        )?;
        let single = Model::fit(dall, &info_all.label, p)?;
        Some((single, t.elapsed().as_secs_f64(), monitor.phase_peak()))
    } else {
        eprintln!("single comparison model skipped (--no-single-model or the memory plan)");
        None
    };

    // Hold-out evaluation.
    let _ = monitor.phase_peak();
    let refs: Vec<&Model> = models.iter().chain(single.as_ref().map(|s| &s.0)).collect();
    let (info, probs) = probabilities(ds, &mask(n, &holdout), &refs)?;
    let eval_peak = monitor.phase_peak();
    let mut ensemble = vec![0.0f32; info.len() * 3];
    for (w, pr) in plan.weights.iter().zip(&probs[..k]) {
        for (e, x) in ensemble.iter_mut().zip(pr) {
            *e += (*w as f32) * x;
        }
    }
    let score = |name: String, pr: &[f32], secs: f64, peak: u64| Scored {
        name,
        classes: metrics::class_metrics(pr, &info),
        base_vs_meta: metrics::compare(pr, &info, cfg.threshold),
        secs,
        peak_rss: peak,
    };
    let mut table: Vec<Scored> = (0..k)
        .map(|i| {
            score(
                format!("sub-model {}", i + 1),
                &probs[i],
                scored_meta[i].0,
                scored_meta[i].1,
            )
        })
        .collect();
    table.push(score(
        "ensemble".into(),
        &ensemble,
        scored_meta.iter().map(|s| s.0).sum(),
        scored_meta.iter().map(|s| s.1).max().unwrap_or(0),
    ));
    if let Some((_, secs, peak)) = &single {
        table.push(score("single model".into(), &probs[k], *secs, *peak));
    }

    let mut r = String::new();
    let _ = writeln!(r, "# spliceforge ensemble report\n");
    let _ = writeln!(
        r,
        "{k} sub-models (overlap {}), outer hold-out of {} genes ({} rows) that no sub-model saw; the ensemble averages calibrated probabilities with equal weights.\n",
        cfg.ensemble_overlap,
        holdout.len(),
        info.len()
    );
    let _ = writeln!(
        r,
        "| model | donor F1 | acceptor F1 | donor AP | acceptor AP | train s | peak RSS |\n|---|---|---|---|---|---|---|"
    );
    for s in &table {
        let _ = writeln!(
            r,
            "| {} | {:.4} | {:.4} | {:.4} | {:.4} | {:.1} | {} |",
            s.name,
            s.classes[1].f1,
            s.classes[2].f1,
            s.classes[1].average_precision,
            s.classes[2].average_precision,
            s.secs,
            mem::human(s.peak_rss)
        );
    }
    let b = &table[k].base_vs_meta;
    let _ = writeln!(
        r,
        "| base model | {:.4} | {:.4} | – | – | – | – |",
        b[0].base_f1, b[1].base_f1
    );
    files::write(out, "report.md", r.as_bytes())?;
    files::write_json(out, "metrics.json", &table)?;
    let info_json = super::TrainInfo {
        version: env!("CARGO_PKG_VERSION").into(),
        dataset_fingerprint: ds.run.fingerprint.clone(),
        params: p.clone(),
        n_folds: 0,
        calibrated: cfg.calibrate,
        train_weights: cfg.train_weights,
        rows: rest.iter().map(|&g| ds.genes[g].rows as usize).sum(),
        genes: rest.len(),
    };
    files::write_json(out, "train.json", &info_json)?;
    let _ = std::fs::remove_dir_all(out.join(".tmp"));

    let e = &table[k];
    let s = table.get(k + 1);
    let single_f1 = |c: usize| s.map_or("–".to_string(), |s| format!("{:.3}", s.classes[c].f1));
    let mut text = String::new();
    let _ = writeln!(
        text,
        "trained an ensemble of {k} sub-models; hold-out of {} genes no sub-model saw:",
        holdout.len()
    );
    let _ = writeln!(
        text,
        "  donor F1:    base {:.3} | single {} | ensemble {:.3}",
        b[0].base_f1,
        single_f1(1),
        e.classes[1].f1
    );
    let _ = writeln!(
        text,
        "  acceptor F1: base {:.3} | single {} | ensemble {:.3}",
        b[1].base_f1,
        single_f1(2),
        e.classes[2].f1
    );
    let _ = writeln!(
        text,
        "  peak RSS: largest sub-model {}, hold-out evaluation {}, single model {}",
        mem::human(e.peak_rss),
        mem::human(eval_peak),
        s.map_or("skipped".to_string(), |s| mem::human(s.peak_rss))
    );
    let _ = writeln!(
        text,
        "  sub-models, ensemble.json, metrics.json and report.md in {}",
        out.display()
    );
    Ok(text)
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
