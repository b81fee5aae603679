//! The meta-model: one multi-class booster (`softprob`), three one-vs-rest boosters (`ovr`) or
//! two (`ovr2`: donor and acceptor, "neither" implied), with optional per-class calibration;
//! training, margins, probabilities, saving and loading.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::features::SpliceType;
use crate::train::Error;
use crate::train::fit::calibrate::{Calibration, ovr_probs, softmax};
use crate::train::fit::stopping::{self, Stop};
use crate::xgb::{Batch, Booster, DMatrix, LogisticJob, boost_logistic_together};

/// How the three classes are modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Objective {
    /// Three binary boosters (neither / donor / acceptor vs the rest).
    Ovr,
    /// Two binary boosters (donor / acceptor vs the rest); "neither" is implied: the chance that
    /// the position is neither a donor nor an acceptor, `(1 − p_donor)(1 − p_acceptor)`.
    Ovr2,
    /// One `multi:softprob` booster.
    Softprob,
}

impl Objective {
    /// The name users give it (`--objective`), as `train.json` records it.
    pub fn name(self) -> &'static str {
        match self {
            Objective::Ovr => "ovr",
            Objective::Ovr2 => "ovr2",
            Objective::Softprob => "softprob",
        }
    }
}

impl std::fmt::Display for Objective {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
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
    /// Stop a fold's boosting once its validation loss has not improved for this many rounds
    /// (`--early-stopping-rounds`; the final model boosts the folds' median best rounds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_stopping_rounds: Option<u32>,
    /// Bin every matrix of the run with one sketch of every gene trained on (`--cuts shared`,
    /// the default for single models).
    #[serde(
        default,
        rename = "one_sketch",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub shared_cuts: bool,
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
        Objective::Ovr | Objective::Ovr2 => ovr_probs(margins),
    }
}

/// The margin of "neither" implied by the donor and acceptor margins of `ovr2`:
/// `logit((1 − σ(d))(1 − σ(a)))`, computed in logs so that no margin overflows.
pub fn neither_margin(donor: f32, acceptor: f32) -> f32 {
    let softplus = |x: f64| x.max(0.0) + (-x.abs()).exp().ln_1p();
    // ln P(neither) < 0; ln(1 − P(neither)) = ln(−expm1(ln P)).
    let ln_p = -softplus(f64::from(donor)) - softplus(f64::from(acceptor));
    let ln_q = (-ln_p.exp_m1()).max(f64::MIN_POSITIVE).ln();
    (ln_p - ln_q) as f32
}

/// A trained meta-model.
pub struct Model {
    /// Objective.
    pub objective: Objective,
    /// One booster (softprob), three (ovr, in class order) or two (ovr2: donor, acceptor).
    pub boosters: Vec<Booster>,
    /// Per-class calibration, if fitted.
    pub calibration: Option<Calibration>,
    /// Rounds kept per booster (fewer than `n_estimators` when boosting stopped early; empty
    /// for a model loaded from files).
    pub rounds: Vec<u32>,
}

/// Each row's 0/1 label for the booster of class `c` against the rest.
fn one_vs_rest(labels: &[u8], c: u8) -> Vec<f32> {
    labels
        .iter()
        .map(|&l| f32::from(u8::from(l == c)))
        .collect()
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
    crate::xgb::alloc::release_free_memory();
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
    /// Trains on `train` whose labels are the classes `labels` (0/1/2), `n_estimators` rounds
    /// per booster; see [`fit_with`](Self::fit_with).
    pub fn fit(train: DMatrix, labels: &[u8], p: &Params) -> Result<Self, Error> {
        Self::fit_with(train, labels, p, Self::all_rounds(p))
    }

    /// Trains on `train` whose labels are the classes `labels` (0/1/2), stopping as `stop`
    /// says; for `ovr` the matrix's labels (and the validation slice's) are replaced by each
    /// class's 0/1 in turn. The matrix is consumed: it is freed, and its memory handed back to
    /// the kernel, before the model is returned.
    pub fn fit_with(
        mut train: DMatrix,
        labels: &[u8],
        p: &Params,
        mut stop: Stop,
    ) -> Result<Self, Error> {
        if let Stop::After(rounds) = &stop
            && Self::boosters_at_once(p.objective, p.threads) > 1
            && train.binned_in_memory()
            && !crate::xgb::collective::is_distributed()
        {
            return Self::fit_together(train, labels, p, rounds);
        }
        let binary = p.objective != Objective::Softprob;
        let classes: Vec<Option<u8>> = if binary {
            Self::booster_classes(p.objective).map(Some).collect()
        } else {
            vec![None]
        };
        let (mut boosters, mut rounds) = (Vec::new(), Vec::new());
        for (i, class) in classes.into_iter().enumerate() {
            if let Some(c) = class {
                train
                    .set_labels(&one_vs_rest(labels, c))
                    .map_err(xgb_error)?;
                if let Stop::Early(v) = &mut stop {
                    v.matrix
                        .set_labels(&one_vs_rest(&v.labels, c))
                        .map_err(xgb_error)?;
                }
            }
            let (max_rounds, valid) = match &stop {
                Stop::After(r) => (r[i], None),
                Stop::Early(v) => (p.n_estimators, Some((&v.matrix, v.patience))),
            };
            let cache: Vec<&DMatrix> = std::iter::once(&train).chain(valid.map(|v| v.0)).collect();
            let mut b = Booster::new(&cache).map_err(xgb_error)?;
            set_params(&mut b, &p.booster_params(binary))?;
            let kept = stopping::boost(&mut b, &train, max_rounds, valid)?;
            if kept < max_rounds {
                b = b.first_rounds(kept).map_err(xgb_error)?;
            }
            // Dropped before the next class, so the boosters never hold their training state
            // at once.
            boosters.push(trees_only(b, p.threads)?);
            rounds.push(kept);
        }
        drop(train);
        drop(stop);
        crate::xgb::alloc::release_free_memory();
        Ok(Self {
            objective: p.objective,
            boosters,
            calibration: None,
            rounds,
        })
    }

    /// How many boosters of `objective` boost at the same time with `threads` threads: every
    /// binary booster when there is a thread for each (ovr2 from 2 threads, ovr from 3), each
    /// with an equal share of the threads; else one after the other. Boosting together needs
    /// a fixed number of rounds, an in-memory matrix and one process (`fit_with` checks those),
    /// and holds every booster's training state at once (the memory model counts it).
    pub fn boosters_at_once(objective: Objective, threads: usize) -> usize {
        let n = Self::booster_classes(objective).len();
        if objective != Objective::Softprob && n > 1 && threads >= n {
            n
        } else {
            1
        }
    }

    /// [`fit_with`](Self::fit_with) for binary boosters that boost together, `rounds[i]`
    /// rounds for booster `i` (see [`boost_logistic_together`]): each boosts its first round
    /// alone with XGBoost's objective (which fits its intercept from the labels), then all boost
    /// the rest at once from their own gradients. The trees are those each booster grows alone
    /// with its share of the threads.
    fn fit_together(
        mut train: DMatrix,
        labels: &[u8],
        p: &Params,
        rounds: &[u32],
    ) -> Result<Self, Error> {
        let at_once = Self::boosters_at_once(p.objective, p.threads);
        let shared = Params {
            threads: p.threads / at_once,
            ..p.clone()
        };
        let params = shared.booster_params(true);
        let mut boosters = Vec::new();
        let mut class_labels = Vec::new();
        for (c, &r) in Self::booster_classes(p.objective).zip(rounds) {
            let l = one_vs_rest(labels, c);
            train.set_labels(&l).map_err(xgb_error)?;
            let mut b = Booster::new(&[&train]).map_err(xgb_error)?;
            set_params(&mut b, &params)?;
            if r > 0 {
                b.update(0, &train).map_err(xgb_error)?;
            }
            boosters.push(b);
            class_labels.push(l);
        }
        let jobs = boosters
            .iter_mut()
            .zip(&class_labels)
            .zip(rounds)
            .map(|((booster, labels), &r)| LogisticJob {
                booster,
                labels,
                rounds: r.min(1)..r,
            })
            .collect();
        boost_logistic_together(&train, jobs).map_err(xgb_error)?;
        drop(class_labels);
        drop(train);
        let boosters = boosters
            .into_iter()
            .map(|b| trees_only(b, p.threads))
            .collect::<Result<Vec<_>, _>>()?;
        crate::xgb::alloc::release_free_memory();
        Ok(Self {
            objective: p.objective,
            boosters,
            calibration: None,
            rounds: rounds.to_vec(),
        })
    }

    /// Raw margins of the rows of `data` (read in place), `n × 3` row-major in class order.
    pub fn margins(&self, data: &Batch<'_>) -> Result<Vec<f32>, Error> {
        let predict = |b: &Booster| b.predict_dense(data.features, data.rows, data.cols, true);
        match self.objective {
            Objective::Softprob => Ok(predict(&self.boosters[0]).map_err(xgb_error)?.0),
            Objective::Ovr | Objective::Ovr2 => {
                let cols: Vec<Vec<f32>> = self
                    .boosters
                    .iter()
                    .map(|b| predict(b).map(|r| r.0))
                    .collect::<Result<_, _>>()
                    .map_err(xgb_error)?;
                let mut out = Vec::with_capacity(cols[0].len() * 3);
                if let [n, d, a] = &cols[..] {
                    for ((n, d), a) in n.iter().zip(d).zip(a) {
                        out.extend([*n, *d, *a]);
                    }
                } else {
                    for (d, a) in cols[0].iter().zip(&cols[1]) {
                        out.extend([neither_margin(*d, *a), *d, *a]);
                    }
                }
                Ok(out)
            }
        }
    }

    /// Each feature's SHAP contribution (XGBoost's TreeSHAP) to the donor and to the acceptor
    /// margin of the rows of `data`: `[donor, acceptor]`, each `rows × (cols + 1)` row-major with
    /// the bias last. They come from the donor and acceptor boosters (`ovr`, `ovr2`) or from
    /// those two outputs of the `softprob` booster; each row's values sum to that margin (the
    /// margins of [`margins`](Self::margins), before calibration).
    pub fn contributions(&self, data: &Batch<'_>) -> Result<[Vec<f32>; 2], Error> {
        let m = DMatrix::from_dense(data.features, data.rows, data.cols, f32::NAN)
            .map_err(xgb_error)?;
        self.contributions_of(&m, data.rows, data.cols)
    }

    /// [`contributions`](Self::contributions) of the `rows × cols` matrix `m`, built once by a
    /// caller that explains it with several models.
    pub fn contributions_of(
        &self,
        m: &DMatrix,
        rows: usize,
        cols: usize,
    ) -> Result<[Vec<f32>; 2], Error> {
        let of = |b: &Booster| b.contributions(m).map(|r| r.0).map_err(xgb_error);
        match self.objective {
            Objective::Softprob => {
                let all = of(&self.boosters[0])?;
                let width = cols + 1;
                let class = |c: usize| -> Vec<f32> {
                    (0..rows)
                        .flat_map(|r| &all[(r * 3 + c) * width..(r * 3 + c + 1) * width])
                        .copied()
                        .collect()
                };
                Ok([class(1), class(2)])
            }
            Objective::Ovr => Ok([of(&self.boosters[1])?, of(&self.boosters[2])?]),
            Objective::Ovr2 => Ok([of(&self.boosters[0])?, of(&self.boosters[1])?]),
        }
    }

    /// The classes of the binary boosters, in booster order.
    fn booster_classes(objective: Objective) -> std::ops::Range<u8> {
        match objective {
            Objective::Ovr2 => 1..3,
            _ => 0..3,
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

    /// Every booster boosts `n_estimators` rounds.
    pub fn all_rounds(p: &Params) -> Stop {
        Stop::After(vec![p.n_estimators; Self::booster_names(p.objective).len()])
    }

    /// The boosters' names, in order: the class each one calls (softprob: `all`).
    pub fn booster_names(objective: Objective) -> Vec<String> {
        match objective {
            Objective::Softprob => vec!["all".into()],
            _ => Self::booster_classes(objective)
                .map(|c| SpliceType::NAMES[usize::from(c)].to_string())
                .collect(),
        }
    }

    /// The model files' names in a model directory.
    pub fn file_names(objective: Objective) -> Vec<String> {
        match objective {
            Objective::Softprob => vec!["model.json".into()],
            _ => Self::booster_names(objective)
                .iter()
                .map(|name| format!("model-{name}.json"))
                .collect(),
        }
    }

    /// The boosters as XGBoost JSON, each with its file name in a model directory.
    pub fn json_files(&self) -> Result<Vec<(String, Vec<u8>)>, Error> {
        (self.boosters.iter().zip(Self::file_names(self.objective)))
            .map(|(b, name)| Ok((name, b.to_json_bytes().map_err(xgb_error)?)))
            .collect()
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
                Booster::load(&path).map_err(|e| match e {
                    // No library to load it with: not the file's fault.
                    crate::xgb::Error::Library(_) => Error::Xgboost(e),
                    e => Error::ModelDamaged {
                        path,
                        message: format!("XGBoost cannot load it: {e}"),
                    },
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            objective,
            boosters,
            calibration,
            rounds: Vec::new(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_implied_neither_margin_is_the_chance_of_neither_site() {
        let sig = |m: f64| 1.0 / (1.0 + (-m).exp());
        for (d, a) in [(0.0f32, 0.0f32), (-3.0, 2.0), (4.0, -7.5), (-12.0, -9.0)] {
            let want = (1.0 - sig(f64::from(d))) * (1.0 - sig(f64::from(a)));
            let got = sig(f64::from(neither_margin(d, a)));
            assert!((got - want).abs() < 1e-6, "({d}, {a}): {got} vs {want}");
        }
        // Far from zero nothing overflows: both sites impossible → neither certain, and back.
        assert!(neither_margin(-80.0, -90.0) > 70.0);
        assert!(neither_margin(60.0, 50.0) < -50.0);
        assert!(neither_margin(-80.0, -90.0).is_finite() && neither_margin(60.0, 50.0).is_finite());
    }

    #[test]
    fn each_rows_contributions_sum_to_its_margin() {
        // Three classes from two informative features among five; NaN now and then.
        let (rows, cols) = (600, 5);
        let mut rng = crate::seed::Rng::new(3);
        let mut x = vec![0f32; rows * cols];
        let mut y = vec![0u8; rows];
        for r in 0..rows {
            for c in 0..cols {
                x[r * cols + c] = if rng.next_f64() < 0.05 {
                    f32::NAN
                } else {
                    rng.next_f64() as f32
                };
            }
            let (a, b) = (x[r * cols], x[r * cols + 1]);
            y[r] = if a > 0.7 {
                1
            } else if b > 0.7 {
                2
            } else {
                0
            };
        }
        for objective in [Objective::Softprob, Objective::Ovr, Objective::Ovr2] {
            let p = Params {
                objective,
                n_estimators: 15,
                learning_rate: 0.3,
                max_depth: 4,
                subsample: 1.0,
                colsample: 1.0,
                max_bin: 64,
                max_delta_step: 0.0,
                early_stopping_rounds: None,
                shared_cuts: false,
                seed: 1,
                threads: 1,
            };
            let mut train = DMatrix::from_dense(&x, rows, cols, f32::NAN).unwrap();
            train
                .set_labels(&y.iter().map(|&l| f32::from(l)).collect::<Vec<_>>())
                .unwrap();
            let model = Model::fit(train, &y, &p).unwrap();
            let labels = vec![0f32; rows];
            let batch = Batch::new(&x, cols, &labels);
            let margins = model.margins(&batch).unwrap();
            let contributions = model.contributions(&batch).unwrap();
            for (k, contrib) in contributions.iter().enumerate() {
                assert_eq!(contrib.len(), rows * (cols + 1), "{objective}");
                for r in 0..rows {
                    let sum: f32 = contrib[r * (cols + 1)..(r + 1) * (cols + 1)].iter().sum();
                    let margin = margins[r * 3 + k + 1];
                    assert!(
                        (sum - margin).abs() <= 1e-4 * (1.0 + margin.abs()),
                        "{objective} class {} row {r}: contributions sum to {sum}, margin {margin}",
                        k + 1
                    );
                }
                // The informative feature of the class carries the most.
                let mean_abs = |f: usize| -> f32 {
                    (0..rows)
                        .map(|r| contrib[r * (cols + 1) + f].abs())
                        .sum::<f32>()
                };
                let top = (0..cols).max_by(|&a, &b| mean_abs(a).total_cmp(&mean_abs(b)));
                assert_eq!(top, Some(k), "{objective} class {}", k + 1);
            }
        }
    }

    #[test]
    fn each_objective_names_one_file_per_booster() {
        assert_eq!(Model::file_names(Objective::Softprob), ["model.json"]);
        assert_eq!(
            Model::file_names(Objective::Ovr),
            [
                "model-neither.json",
                "model-donor.json",
                "model-acceptor.json"
            ]
        );
        assert_eq!(
            Model::file_names(Objective::Ovr2),
            ["model-donor.json", "model-acceptor.json"]
        );
    }
}
