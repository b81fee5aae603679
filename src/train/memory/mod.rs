//! The memory model of `train`: the peak resident memory of a training run, predicted from the
//! dataset's shape (rows, genes, features) and the settings (max_bin, folds, ensemble, objective,
//! external memory) before anything is loaded; and the planner that picks the largest plan that
//! fits a `--memory-budget`.
//!
//! Every byte count below is a structure we hold or XGBoost 3.4 holds, with the per-value and
//! per-row sizes measured on this machine (`scripts/bench/memory.sh` re-measures them and checks
//! the model on datasets it was not fitted on; `docs/memory.md` has the table).

use serde::Serialize;

use crate::train::fit::model::{Model, Objective};

pub(crate) mod estimate;
mod plan;

use crate::train::input::dataset::Dataset;

pub use estimate::{Request, render};
pub use plan::{Fixed, HEADROOM, MAX_ENSEMBLE, MIN_SAMPLE_GENES, Plan, parse_size, plan};

/// A megabyte (decimal, as in budgets and reports).
pub const MB: u64 = 1_000_000;

/// What the process holds before any matrix: the binary, XGBoost and its OpenMP runtime, the
/// allocator's per-thread arenas touched by the first pass over the Parquet parts, and
/// XGBoost's quantile sketch. Measured: 18 MB at start, 67 MB more after the first pass.
const FIXED: f64 = 85.0e6;
/// XGBoost's quantile sketch, per feature and bin (19 MB at 131 features × 256 bins).
const SKETCH_PER_FEATURE_BIN: f64 = 570.0;
/// The in-core quantile matrix holds every value twice (row-major bin index and XGBoost's
/// column-major copy used to partition rows), plus a missing-value bitmap: bytes per value and
/// per byte of bin index (1 byte up to 256 bins, 2 above).
const MATRIX_PER_VALUE: f64 = 2.06;
/// Per row of the in-core matrix: row pointer (8 B), label and weight slots, our label byte.
const MATRIX_PER_ROW: f64 = 14.0;
/// Per row of an external-memory matrix (pages live in cache files; labels and row pointers
/// stay in memory).
const EXTMEM_PER_ROW: f64 = 14.0;
/// Boosting, per row and per class trained at once: gradient pair (8 B), prediction cache
/// (4 B) and XGBoost's row partitions and sampling buffers.
const BOOST_PER_ROW_CLASS: f64 = 16.0;
/// Boosters boosting together (`Model::boosters_at_once`), per row and booster: its 0/1
/// labels, its margins twice (XGBoost's prediction buffer and our copy), its gradients and
/// hessians (4 B each).
const TOGETHER_PER_ROW_BOOSTER: f64 = 20.0;
/// Boosting, per row whatever the classes.
const BOOST_PER_ROW: f64 = 20.0;
/// External-memory boosting streams bin pages back from the cache, a few at a time.
const EXTMEM_BOOST_PER_ROW: f64 = 60.0;
/// Held-out predictions kept for metrics: gene, label, weight, base scores, position (25 B)
/// and three margins (12 B).
const OOF_PER_ROW: f64 = 37.0;
/// Scoring a held-out set, per row: one class's scores, truth flags and sort index for average
/// precision (4 + 1 + 4 B), and the argmax calls of the model and of the base model (2 B).
const METRICS_PER_ROW: f64 = 11.0;
/// Per gene of the dataset index (id, counts, lookup table).
const PER_GENE: f64 = 200.0;

/// The data a plan trains on.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Shape {
    /// Genes.
    pub genes: u64,
    /// Rows of those genes.
    pub rows: u64,
    /// Feature columns.
    pub features: u64,
}

impl Shape {
    /// Mean rows per gene.
    pub fn rows_per_gene(&self) -> f64 {
        self.rows as f64 / self.genes.max(1) as f64
    }

    /// The same data restricted to `genes` genes of average size.
    pub fn with_genes(&self, genes: u64) -> Shape {
        Shape {
            genes,
            rows: (self.rows_per_gene() * genes as f64).round() as u64,
            features: self.features,
        }
    }
}

/// The settings that change memory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    /// Histogram bins per feature.
    pub max_bin: u32,
    /// ovr or softprob.
    pub objective: Objective,
    /// Cross-validation folds (below 2: none).
    pub n_folds: usize,
    /// Sub-models (1: a single model).
    pub ensemble_size: usize,
    /// Ensemble overlap fraction.
    pub ensemble_overlap: f64,
    /// Ensemble outer hold-out fraction.
    pub holdout_fraction: f64,
    /// Train the single comparison model of an ensemble.
    pub compare_single: bool,
    /// XGBoost external-memory matrices (bins in cache files).
    pub external_memory: bool,
    /// Instance weights passed to XGBoost.
    pub train_weights: bool,
    /// Worker processes sharing the training rows (`train --workers`; 1: one process). The
    /// estimate is then per worker.
    pub workers: usize,
    /// XGBoost threads per process: with one for each binary booster, the boosters boost
    /// together and hold their training state at once.
    pub threads: usize,
    /// `--objective` was left out: `objective` is then settled by the rows a model trains on
    /// ([`objective_by_size`]), as `train` does.
    pub objective_by_size: bool,
}

/// From this many rows per model, the defaults turn to what saves time at scale: `ovr2` and
/// one sketch per run. Below it they cost seconds, and on small sets (the 82 fly genes of
/// `data/`) the third booster and per-matrix cuts were steadier (docs/training.md).
pub const LARGE_RUN_ROWS: u64 = 1_000_000;

/// The rows one model trains on, of `rows` rows: all of them for a single model; a sub-model's
/// share of the non-hold-out rows for an ensemble.
pub fn rows_per_model(rows: f64, s: &Settings) -> f64 {
    if s.ensemble_size > 1 {
        rows * (1.0 - s.holdout_fraction) / s.ensemble_size as f64
    } else {
        rows
    }
}

/// The objective left to the data's size: `ovr2` from [`LARGE_RUN_ROWS`] rows per model,
/// `ovr` below.
pub fn objective_by_size(rows_per_model: f64) -> Objective {
    if rows_per_model >= LARGE_RUN_ROWS as f64 {
        Objective::Ovr2
    } else {
        Objective::Ovr
    }
}

/// One phase of a plan and its predicted peak.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseEstimate {
    /// What runs.
    pub name: String,
    /// Rows in XGBoost's matrix during the phase.
    pub rows: u64,
    /// Predicted peak RSS (bytes).
    pub bytes: u64,
}

/// A predicted run: its phases and its peak.
#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    /// The phases, in order.
    pub phases: Vec<PhaseEstimate>,
    /// The largest phase (bytes).
    pub peak: u64,
}

fn bin_bytes(max_bin: u32) -> f64 {
    if max_bin <= 256 { 1.0 } else { 2.0 }
}

/// Bytes of one training matrix of `rows` rows plus boosting on it (no fixed part).
pub fn training_bytes(rows: f64, features: u64, s: &Settings) -> f64 {
    let weights = if s.train_weights { 4.0 } else { 0.0 };
    if s.external_memory {
        let classes = match s.objective {
            Objective::Softprob => 3.0,
            Objective::Ovr | Objective::Ovr2 => 1.0,
        };
        rows * (EXTMEM_PER_ROW + weights + EXTMEM_BOOST_PER_ROW + BOOST_PER_ROW_CLASS * classes)
    } else {
        // Boosters boost together in one process only; then each holds its state, and the
        // weights are copied once for the gradients.
        let at_once = if s.workers > 1 {
            1
        } else {
            Model::boosters_at_once(s.objective, s.threads)
        };
        let (classes, together) = match s.objective {
            Objective::Softprob => (3.0, 0.0),
            _ if at_once > 1 => {
                let n = at_once as f64;
                (n, n * TOGETHER_PER_ROW_BOOSTER + 4.0)
            }
            _ => (1.0, 0.0),
        };
        let matrix = features as f64 * MATRIX_PER_VALUE * bin_bytes(s.max_bin);
        rows * (matrix
            + MATRIX_PER_ROW
            + weights
            + BOOST_PER_ROW
            + BOOST_PER_ROW_CLASS * classes
            + together)
    }
}

/// Predicts the phases and peak RSS of `train` on `shape` with settings `s`.
pub fn estimate(shape: &Shape, dataset_genes: u64, s: &Settings) -> Estimate {
    let fixed = FIXED
        + SKETCH_PER_FEATURE_BIN * shape.features as f64 * f64::from(s.max_bin.min(1 << 16))
        + PER_GENE * dataset_genes as f64;
    let n = shape.rows as f64;
    let settled;
    let s = if s.objective_by_size {
        settled = Settings {
            objective: objective_by_size(rows_per_model(n, s)),
            ..s.clone()
        };
        &settled
    } else {
        s
    };
    let mut phases = Vec::new();
    let mut push = |name: String, rows: f64, extra: f64| {
        phases.push(PhaseEstimate {
            name,
            rows: rows.round() as u64,
            bytes: (fixed + training_bytes(rows, shape.features, s) + extra).round() as u64,
        })
    };
    if s.ensemble_size <= 1 {
        // Each worker bins its share of the training rows; every worker predicts all the
        // held-out rows (its out-of-fold table is whole).
        let w = s.workers.max(1) as f64;
        if s.n_folds >= 2 {
            let f = s.n_folds as f64;
            let train = n * (f - 1.0) / f;
            push(
                format!("cross-validation fold (of {})", s.n_folds),
                train / w,
                OOF_PER_ROW * train,
            );
            push("final model".into(), n / w, OOF_PER_ROW * n);
        } else {
            push("final model".into(), n, 0.0);
        }
    } else {
        let k = s.ensemble_size as f64;
        let rest = n * (1.0 - s.holdout_fraction);
        let holdout = n - rest;
        // A sub-model trains on four fifths of its subset; the other fifth calibrates it.
        let sub = rest / k * (1.0 + s.ensemble_overlap) * 0.8;
        push(format!("sub-model (of {})", s.ensemble_size), sub, 0.0);
        if s.compare_single {
            push("single model for comparison".into(), rest, 0.0);
        }
        let models = k + f64::from(u8::from(s.compare_single)) + 1.0;
        phases.push(PhaseEstimate {
            name: "hold-out evaluation".into(),
            rows: 0,
            bytes: (fixed + holdout * (25.0 + 12.0 * models + METRICS_PER_ROW)).round() as u64,
        });
    }
    let peak = phases.iter().map(|p| p.bytes).max().unwrap_or(0);
    Estimate { phases, peak }
}

/// The shape of the data a run trains on: the genes flagged in `universe`.
pub fn shape(ds: &Dataset, universe: &[bool]) -> Shape {
    let (genes, rows) = ds
        .genes
        .iter()
        .zip(universe)
        .filter(|(_, k)| **k)
        .fold((0, 0), |(g, r), (gene, _)| (g + 1, r + gene.rows));
    Shape {
        genes,
        rows,
        features: ds.features.len() as u64,
    }
}

/// The shape of `--sample-genes n` drawn with `seed` (all genes without `n`).
pub fn sample_shape(ds: &Dataset, n: Option<usize>, seed: u64) -> Shape {
    shape(ds, &crate::train::input::sample_genes(ds, n, seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            max_bin: 256,
            objective: Objective::Softprob,
            n_folds: 1,
            ensemble_size: 1,
            ensemble_overlap: 0.0,
            holdout_fraction: 0.2,
            compare_single: true,
            external_memory: false,
            train_weights: false,
            workers: 1,
            threads: 1,
            objective_by_size: false,
        }
    }

    const SHAPE: Shape = Shape {
        genes: 10_000,
        rows: 15_000_000,
        features: 131,
    };

    #[test]
    fn sizes_parse_in_units_of_1000() {
        assert_eq!(parse_size("16G").unwrap(), 16_000_000_000);
        assert_eq!(parse_size("1.5g").unwrap(), 1_500_000_000);
        assert_eq!(parse_size("512MB").unwrap(), 512_000_000);
        assert_eq!(parse_size("1000").unwrap(), 1000);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("-1G").is_err());
        assert!(parse_size("").is_err());
    }

    #[test]
    fn memory_grows_with_rows_features_bins_and_folds() {
        let s = settings();
        let a = estimate(&SHAPE, 10_000, &s).peak;
        assert!(estimate(&SHAPE.with_genes(5_000), 10_000, &s).peak < a);
        let wide = Shape {
            features: 400,
            ..SHAPE
        };
        assert!(estimate(&wide, 10_000, &s).peak > 2 * a);
        let bins = Settings {
            max_bin: 1024,
            ..settings()
        };
        assert!(estimate(&SHAPE, 10_000, &bins).peak > a);
        let cv = Settings {
            n_folds: 5,
            ..settings()
        };
        assert!(estimate(&SHAPE, 10_000, &cv).peak > a);
        let ext = Settings {
            external_memory: true,
            ..settings()
        };
        assert!(estimate(&SHAPE, 10_000, &ext).peak < a / 2);
    }

    #[test]
    fn ensemble_needs_about_a_kth_without_the_comparison_model() {
        let single = estimate(&SHAPE, 10_000, &settings()).peak;
        let ens = Settings {
            ensemble_size: 5,
            compare_single: false,
            ..settings()
        };
        let e = estimate(&SHAPE, 10_000, &ens).peak;
        assert!(e < single / 4, "{e} vs {single}");
        let with_single = Settings {
            compare_single: true,
            ..ens
        };
        assert!(estimate(&SHAPE, 10_000, &with_single).peak > e);
    }

    #[test]
    fn planner_keeps_a_fitting_run_and_shrinks_one_that_does_not() {
        let s = settings();
        let need = estimate(&SHAPE, 10_000, &s).peak;
        assert!(plan(&SHAPE, 10_000, &s, need + 1, Fixed::default()).is_ok());
        let roomy = (need as f64 / (1.0 - HEADROOM)) as u64 + 1;
        let p = plan(&SHAPE, 10_000, &s, roomy, Fixed::default()).unwrap();
        assert_eq!(p.settings.ensemble_size, 1);
        assert!(!p.settings.external_memory);
        assert!(p.sample_genes.is_none());
        // Half the memory: external memory fits first.
        let p = plan(&SHAPE, 10_000, &s, need / 2, Fixed::default()).unwrap();
        assert!(p.settings.external_memory);
        assert!(p.estimate.peak <= need / 2);
        // With external memory ruled out, an ensemble.
        let fixed = Fixed {
            external: true,
            ..Fixed::default()
        };
        let p = plan(&SHAPE, 10_000, &s, need / 3, fixed).unwrap();
        assert!(p.settings.ensemble_size >= 3, "{p:?}");
        assert!(!p.settings.compare_single);
        assert!(p.estimate.peak <= need / 3);
        // With the ensemble ruled out too, a sample.
        let fixed = Fixed {
            external: true,
            ensemble: true,
            ..Fixed::default()
        };
        let p = plan(&SHAPE, 10_000, &s, need / 3, fixed).unwrap();
        let n = p.sample_genes.unwrap();
        assert!((2_000..4_000).contains(&n), "{n}");
    }

    #[test]
    fn planner_tries_sub_models_in_memory_before_external_memory() {
        let sub = |k: usize, external_memory: bool| Settings {
            ensemble_size: k,
            compare_single: false,
            external_memory,
            ..settings()
        };
        let smallest_in_memory = (2..=MAX_ENSEMBLE)
            .map(|k| estimate(&SHAPE, 10_000, &sub(k, false)).peak)
            .min()
            .unwrap();
        let budget = |usable: u64| (usable as f64 / (1.0 - HEADROOM)) as u64;
        // Room for sub-models in memory: they are chosen (external memory is slower).
        let p = plan(
            &SHAPE,
            10_000,
            &settings(),
            budget(smallest_in_memory + 1_000),
            Fixed::default(),
        )
        .unwrap();
        assert!(p.settings.ensemble_size >= 2, "{p:?}");
        assert!(!p.settings.external_memory, "{p:?}");
        // Less than any in-memory ensemble needs: sub-models on external memory.
        let tight = budget(smallest_in_memory - 1_000);
        let p = plan(&SHAPE, 10_000, &settings(), tight, Fixed::default()).unwrap();
        assert!(p.settings.ensemble_size >= 2, "{p:?}");
        assert!(p.settings.external_memory, "{p:?}");
        assert!(p.sample_genes.is_none());
        assert!(p.reason.contains("on external memory"), "{}", p.reason);
        assert!(p.estimate.peak < smallest_in_memory);
        // An ensemble the user asked for moves to external memory rather than shrinking.
        let asked = sub(5, false);
        let need5 = estimate(&SHAPE, 10_000, &asked).peak;
        let p = plan(
            &SHAPE,
            10_000,
            &asked,
            budget(need5 - 1_000),
            Fixed {
                ensemble: true,
                ..Fixed::default()
            },
        )
        .unwrap();
        assert_eq!(p.settings, sub(5, true));
        // The user kept XGBoost in memory (`external` fixed): a gene sample instead.
        let fixed = Fixed {
            external: true,
            ..Fixed::default()
        };
        let p = plan(&SHAPE, 10_000, &settings(), tight, fixed).unwrap();
        assert!(!p.settings.external_memory, "{p:?}");
        assert!(p.sample_genes.is_some(), "{p:?}");
    }

    #[test]
    fn planner_refuses_an_impossible_budget() {
        let e = plan(&SHAPE, 10_000, &settings(), 50 * MB, Fixed::default()).unwrap_err();
        assert!(e.contains("no plan fits a memory budget of 50.0 MB"), "{e}");
        assert!(e.contains("Raise --memory-budget"), "{e}");
    }
}
