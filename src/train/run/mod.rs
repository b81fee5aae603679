//! The run layer: a `train` run from its configuration to a finished model directory. It opens
//! and verifies the dataset, makes the plan ([`plan`]), readies `--out-dir` ([`outdir`]) and
//! runs a single model ([`single`], with its fold checkpoints in [`checkpoint`]), an ensemble
//! ([`ensemble`]) or one worker of a distributed run ([`workers`]), using the toolbox in
//! `fit`, the metrics and report of `eval` and the files of `modeldir`.

pub(crate) mod checkpoint;
pub(crate) mod ensemble;
pub(crate) mod outdir;
pub(crate) mod plan;
pub(crate) mod single;
pub(crate) mod workers;

use std::time::Instant;

pub use self::plan::{Planned, plan};
use crate::rss;
use crate::train::Error;
use crate::train::config::TrainConfig;
use crate::train::fit::share::Share;
use crate::train::input::dataset::Dataset;
use crate::train::input::sample_genes;
use crate::train::log::log;
use crate::train::memory;
use crate::train::modeldir::{self, MemoryReport, TrainInfo, files};
use crate::train::phases::Phases;

/// What a finished run returns: the console summary and `train.json`, which is written last
/// (its presence means the model directory is complete).
pub(crate) struct Finished {
    /// The console summary.
    pub text: String,
    /// `train.json`.
    pub info: TrainInfo,
}

/// Runs cross-validation, calibration, the final model and the report (as one worker of a
/// distributed run when `cfg.collective` says so).
pub fn train(cfg: &TrainConfig) -> Result<String, Error> {
    if let Some(done) = already_complete(cfg)? {
        return Ok(done);
    }
    if let Some(c) = &cfg.collective {
        return workers::train_as_worker(cfg, c);
    }
    let opened = open(cfg)?;
    if let Some(i) = opened.planned.cfg.member {
        return ensemble::train_one_member(&opened.planned.cfg, &opened.ds, i);
    }
    let created = outdir::prepare(&opened.planned.cfg)?;
    run_opened(opened, created, None)
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

/// The dataset of `cfg`, trusting its manifest, with `--holdout-contigs` held out.
pub(crate) fn open_dataset(cfg: &TrainConfig) -> Result<Dataset, Error> {
    let mut ds = Dataset::open_unverified(&cfg.dataset)?;
    ds.hold_out_contigs(&cfg.holdout_contigs)?;
    Ok(ds)
}

/// Opens the dataset, plans the run (before any work: the memory model needs only the
/// manifest) and verifies the dataset.
pub(crate) fn open(cfg: &TrainConfig) -> Result<Opened, Error> {
    let t0 = Instant::now();
    let mut phases = Phases::default();
    let ds = open_dataset(cfg)?;
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
/// if the run fails before keeping anything resumable), as the worker of `share` (`None`: alone).
pub(crate) fn run_opened(o: Opened, created: bool, share: Option<Share>) -> Result<String, Error> {
    let result = train_in(&o.planned, &o.ds, share, o.t0, o.phases);
    if result.is_err() && created {
        outdir::discard_if_nothing_kept(&o.planned.cfg.out);
    }
    result
}

/// [`train`] once the output directory is ready: the model, then `memory.json`.
fn train_in(
    planned: &Planned,
    ds: &Dataset,
    share: Option<Share>,
    t0: Instant,
    phases: Phases,
) -> Result<String, Error> {
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
        rss::human(estimate.peak)
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
    let mut finished = if cfg.memory.ensemble_size > 1 {
        // Workers train one single model only (`cli` refuses --workers with an ensemble).
        ensemble::train_ensemble(cfg, ds, &universe)?
    } else {
        single::train_single(cfg, ds, &universe, share, t0, phases)?
    };
    let measured = rss::peak_rss_bytes();
    files::write_json(
        &cfg.out,
        "memory.json",
        &MemoryReport {
            plan: reason.clone(),
            budget: cfg.memory_budget,
            shape: memory::shape(ds, &universe),
            settings: cfg.memory.clone(),
            estimate: estimate.clone(),
            measured_peak: measured,
        },
    )?;
    finished.info.cv = cfg.cv;
    finished.info.holdout_contigs = cfg.holdout_contigs.clone();
    finished.info.settings_fingerprint = Some(settings_fingerprint(cfg, ds));
    modeldir::keep_dataset_record(&cfg.out, ds)?;
    // Last: train.json says the model directory is complete; then the checkpoints go.
    files::write_json(&cfg.out, "train.json", &finished.info)?;
    let _ = std::fs::remove_dir_all(cfg.out.join(checkpoint::DIR));
    let _ = std::fs::remove_dir_all(cfg.out.join(".tmp"));
    Ok(format!(
        "{}memory: peak RSS {} measured, {} predicted{}\n",
        finished.text,
        rss::human(measured),
        rss::human(estimate.peak),
        match cfg.memory_budget {
            Some(b) => format!(" (budget {}; {reason})", rss::human(b)),
            None => String::new(),
        }
    ))
}

/// What decides the model of the planned configuration `cfg` on `ds`: a SHA-256 of the dataset's
/// fingerprint and every planned setting but the threads (and where the output goes, whether
/// to overwrite, how workers meet: nothing that changes a byte of the model).
pub(crate) fn settings_fingerprint(cfg: &TrainConfig, ds: &Dataset) -> String {
    let mut params = cfg.params.clone();
    params.threads = 0;
    let mut memory = cfg.memory.clone();
    memory.threads = 0;
    let settings = serde_json::json!({
        "dataset_fingerprint": ds.run.fingerprint,
        "params": params,
        "memory": memory,
        "calibrate": cfg.calibrate,
        "calibrate_population": cfg.calibrate_population,
        "threshold": cfg.threshold,
        "sample_genes": cfg.sample_genes,
        "single_model": cfg.single_model,
        "cv": cfg.cv,
        "holdout_contigs": cfg.holdout_contigs,
    });
    crate::store::fingerprint::digest_json(&settings)
}

/// When `cfg.out` holds a complete model (`train.json`) of the same dataset and settings (the
/// plan `cfg` gets, as [`settings_fingerprint`] sees it): the line saying so (nothing is
/// read beyond the manifest, nothing written). `None` otherwise, or with `--overwrite`: the run
/// goes on (and refuses a model of other settings).
pub fn already_complete(cfg: &TrainConfig) -> Result<Option<String>, Error> {
    let info_path = cfg.out.join("train.json");
    if cfg.overwrite || !info_path.is_file() {
        return Ok(None);
    }
    let Ok(info) = files::read_json::<TrainInfo>(&cfg.out, "train.json") else {
        return Ok(None);
    };
    let Some(stored) = info.settings_fingerprint else {
        return Ok(None);
    };
    let ds = open_dataset(cfg)?;
    let planned = plan(cfg, &ds)?;
    if settings_fingerprint(&planned.cfg, &ds) != stored {
        return Ok(None);
    }
    Ok(Some(format!(
        "{} is already complete: a model of this dataset with these settings; nothing to do (--overwrite trains it again)\n",
        cfg.out.display()
    )))
}
