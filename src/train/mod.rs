//! `spliceforge train`, `estimate` and `predict`: the meta-model, learned from a builder dataset
//! streamed straight from Parquet into XGBoost. One room per concept:
//!
//! * [`input`]: the dataset opened for training, its rows streamed batch by batch, gene samples;
//! * [`fit`]: quantile matrices, boosters, gene-level folds, calibration, the single model;
//! * [`ensemble`]: sub-models on gene subsets, checkpointed, judged on an outer hold-out;
//! * [`eval`]: metrics (one average precision), base-model quality, `report.md` and plots;
//! * [`memory`]: the memory model, the `--memory-budget` planner and `estimate`;
//! * [`modeldir`]: the files of a model directory, `--out-dir` rules, and `predict`.
//!
//! This file holds the run itself: the configuration, the plan, and the order of the steps.

mod error;

pub mod ensemble;
pub mod eval;
pub mod fit;
pub mod input;
pub mod memory;
pub mod modeldir;
pub mod workers;

use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use self::error::Error;
use self::fit::model::Params;
use self::input::dataset::Dataset;
use self::input::sample_genes;
use self::modeldir::{MemoryReport, files, outdir};
use crate::mem;

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
    /// Workers training the model: `--workers` on this machine, or `--world` with `--tracker`
    /// (1: this process trains alone).
    pub workers: usize,
    /// This process is one worker of a distributed run (`--tracker … --rank … --world …`).
    pub collective: Option<workers::Collective>,
    /// Seconds a worker waits for its peers before the run fails.
    pub worker_timeout: u64,
    /// Train only this sub-model of the ensemble (0-based; `--member I` is 1-based), e.g. one
    /// per array task; a run without it completes the ensemble.
    pub member: Option<usize>,
    /// Settings left to the data's size, settled by [`plan`].
    pub auto: Auto,
}

pub use memory::LARGE_RUN_ROWS;

/// Settings the user left out (`--objective`, `--cuts`): [`plan`] settles them by the rows a
/// model trains on ([`LARGE_RUN_ROWS`]).
#[derive(Debug, Clone, Default)]
pub struct Auto {
    /// `--objective` was not given.
    pub objective: bool,
    /// `--cuts` was not given.
    pub cuts: bool,
    /// What [`plan`] settled them to, for the log.
    pub settled: Option<String>,
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
            workers: self.workers,
            threads: self.params.threads,
            objective_by_size: self.auto.objective,
        }
    }

    /// Where external-memory cache files go (removed when training ends).
    pub(crate) fn cache_dir(&self) -> Option<PathBuf> {
        self.external_memory.then(|| self.out.join(".tmp"))
    }
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

/// The phases of a run so far.
#[derive(Debug, Default)]
pub struct Phases(pub Vec<Phase>);

impl Phases {
    /// Records phase `name`, begun at `t`, with the peak RSS so far.
    pub fn record(&mut self, name: &str, t: Instant) {
        self.0.push(Phase {
            name: name.into(),
            secs: t.elapsed().as_secs_f64(),
            peak_rss: mem::peak_rss_bytes(),
        });
    }
}

/// Prints a progress line, prefixed with the process's resident memory (RSS) at that moment.
pub(crate) fn log(msg: &str) {
    eprintln!(
        "{}[RSS {}] {msg}",
        workers::log_prefix(),
        mem::human(mem::rss_bytes())
    );
}

/// A configuration fitted to `--memory-budget`.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The configuration to run (possibly changed by the planner).
    pub cfg: TrainConfig,
    /// Its memory estimate.
    pub estimate: memory::Estimate,
    /// Why this plan, in one line.
    pub reason: String,
}

/// Runs cross-validation, calibration, the final model and the report (as one worker of a
/// distributed run when `cfg.collective` says so).
pub fn train(cfg: &TrainConfig) -> Result<String, Error> {
    if let Some(c) = &cfg.collective {
        return workers::train_as_worker(cfg, c);
    }
    let opened = open(cfg)?;
    if let Some(i) = opened.planned.cfg.member {
        return ensemble::train_one_member(&opened.planned.cfg, &opened.ds, i);
    }
    let created = outdir::prepare(&opened.planned.cfg)?;
    run_opened(opened, created)
}

/// A run whose dataset is open and verified and whose plan is made.
pub(crate) struct Opened {
    planned: Planned,
    ds: Dataset,
    t0: Instant,
    phases: Phases,
}

impl Opened {
    /// The configuration the plan runs.
    pub(crate) fn cfg(&self) -> &TrainConfig {
        &self.planned.cfg
    }
}

/// Opens the dataset, plans the run (before any work: the memory model needs only the
/// manifest) and verifies the dataset.
pub(crate) fn open(cfg: &TrainConfig) -> Result<Opened, Error> {
    let t0 = Instant::now();
    let mut phases = Phases::default();
    let ds = Dataset::open_unverified(&cfg.dataset)?;
    let planned = plan(cfg, &ds)?;
    ds.verify()?;
    phases.record("open + verify", t0);
    Ok(Opened {
        planned,
        ds,
        t0,
        phases,
    })
}

/// Runs an opened plan into its ready output directory (`created`: by this run, removed again
/// if the run fails before keeping anything resumable).
pub(crate) fn run_opened(o: Opened, created: bool) -> Result<String, Error> {
    let result = train_in(&o.planned, &o.ds, o.t0, o.phases);
    if result.is_err() && created {
        outdir::discard_if_nothing_kept(&o.planned.cfg.out);
    }
    result
}

/// [`train`] once the output directory is ready: the model, then `memory.json`.
fn train_in(planned: &Planned, ds: &Dataset, t0: Instant, phases: Phases) -> Result<String, Error> {
    let Planned {
        cfg,
        estimate,
        reason,
    } = planned;
    log(&format!(
        "dataset {}: {} genes, {} rows, {} features (verified)",
        cfg.dataset.display(),
        ds.genes.len(),
        ds.rows(),
        ds.features.len()
    ));
    log(&format!(
        "memory: predicted peak {} ({reason})",
        mem::human(estimate.peak)
    ));
    if let Some(settled) = &cfg.auto.settled {
        log(settled);
    }
    let universe = sample_genes(ds, cfg.sample_genes, cfg.params.seed);
    let genes_used = universe.iter().filter(|k| **k).count();
    if genes_used < ds.genes.len() {
        log(&format!(
            "--sample-genes: {genes_used} of {} genes (seed {})",
            ds.genes.len(),
            cfg.params.seed
        ));
    }
    let finished = if cfg.ensemble_size > 1 {
        ensemble::train_ensemble(cfg, ds, &universe)?
    } else {
        fit::train_single(cfg, ds, &universe, t0, phases)?
    };
    let measured = mem::peak_rss_bytes();
    files::write_json(
        &cfg.out,
        "memory.json",
        &MemoryReport {
            plan: reason.clone(),
            budget: cfg.memory_budget,
            shape: memory::shape(ds, &universe),
            settings: cfg.memory_settings(),
            estimate: estimate.clone(),
            measured_peak: measured,
        },
    )?;
    // Last: train.json says the model directory is complete; then the checkpoints go.
    files::write_json(&cfg.out, "train.json", &finished.info)?;
    let _ = std::fs::remove_dir_all(cfg.out.join(fit::checkpoint::DIR));
    let _ = std::fs::remove_dir_all(cfg.out.join(".tmp"));
    Ok(format!(
        "{}memory: peak RSS {} measured, {} predicted{}\n",
        finished.text,
        mem::human(measured),
        mem::human(estimate.peak),
        match cfg.memory_budget {
            Some(b) => format!(" (budget {}; {reason})", mem::human(b)),
            None => String::new(),
        }
    ))
}

/// Applies `--memory-budget`, then settles the settings left to the data's size ([`Auto`]):
/// the configuration to run, its memory estimate and the reason for the plan. Refuses a budget
/// that nothing fits.
pub fn plan(cfg: &TrainConfig, ds: &Dataset) -> Result<Planned, Error> {
    check_folds(cfg, ds)?;
    let sh = memory::sample_shape(ds, cfg.sample_genes, cfg.params.seed);
    let mut planned = plan_memory(cfg, ds, &sh)?;
    check_folds(&planned.cfg, ds)?;
    let c = &mut planned.cfg;
    // The planner may sample genes; the rows are then those of its sample.
    let rows = if c.sample_genes == cfg.sample_genes {
        sh.rows
    } else {
        memory::sample_shape(ds, c.sample_genes, c.params.seed).rows
    } as f64;
    let per_model = memory::rows_per_model(rows, &c.memory_settings());
    let large = per_model >= LARGE_RUN_ROWS as f64;
    if c.auto.objective {
        // As the memory model settled it for the plan's estimate.
        c.params.objective = memory::objective_by_size(per_model);
    }
    if c.auto.cuts {
        c.params.shared_cuts = large && c.ensemble_size <= 1 && c.workers <= 1;
    }
    if c.auto.objective || c.auto.cuts {
        c.auto.settled = Some(format!(
            "defaults for {per_model:.0} rows per model ({} {LARGE_RUN_ROWS}): objective {}, {}; --objective and --cuts choose",
            if large { "at least" } else { "fewer than" },
            c.params.objective,
            if c.params.shared_cuts {
                "one quantile sketch per run"
            } else {
                "a quantile sketch per matrix"
            }
        ));
    }
    Ok(planned)
}

/// Refuses more cross-validation folds than a single model has genes to train on, before any
/// work or progress line.
fn check_folds(cfg: &TrainConfig, ds: &Dataset) -> Result<(), Error> {
    let genes = ds.genes.len();
    let used = cfg.sample_genes.map_or(genes, |n| n.min(genes));
    if cfg.ensemble_size <= 1 && cfg.n_folds > used {
        return Err(Error::Usage(format!(
            "--n-folds {} is more than the {used} genes trained on; use at most {used} folds",
            cfg.n_folds
        )));
    }
    Ok(())
}

/// [`plan`]'s memory part.
fn plan_memory(cfg: &TrainConfig, ds: &Dataset, sh: &memory::Shape) -> Result<Planned, Error> {
    let n_genes = ds.genes.len() as u64;
    let asked = cfg.memory_settings();
    let Some(budget) = cfg.memory_budget else {
        return Ok(Planned {
            cfg: cfg.clone(),
            estimate: memory::estimate(sh, n_genes, &asked),
            reason: "no --memory-budget".into(),
        });
    };
    if asked.workers > 1 {
        // Workers train one in-memory single model: the only plan is the one asked, per worker.
        let estimate = memory::estimate(sh, n_genes, &asked);
        if estimate.peak > budget {
            return Err(Error::Budget(format!(
                "with {} workers each one needs about {} (predicted), more than --memory-budget {}; use more workers (each holds about 1/N of the matrices), or drop --workers and let --memory-budget pick a plan",
                asked.workers,
                mem::human(estimate.peak),
                mem::human(budget)
            )));
        }
        return Ok(Planned {
            cfg: cfg.clone(),
            reason: format!(
                "{} workers, {} each fits the budget",
                asked.workers,
                mem::human(estimate.peak)
            ),
            estimate,
        });
    }
    let p = memory::plan(sh, n_genes, &asked, budget, cfg.fixed).map_err(Error::Budget)?;
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
    Ok(Planned {
        cfg: out,
        estimate: p.estimate,
        reason: p.reason,
    })
}
