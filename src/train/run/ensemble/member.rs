//! Training one sub-model (checkpointed in its own `sub-NN/` directory, found again on resume)
//! and the single comparison model.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::split::{calibration_split, mask};
use crate::rss;
use crate::store::lock::Lock;
use crate::train::Error;
use crate::train::config::TrainConfig;
use crate::train::fit::apply::both_probabilities;
use crate::train::fit::calibrate::Calibration;
use crate::train::fit::model::Model;
use crate::train::input::dataset::Dataset;
use crate::train::input::source::Record;
use crate::train::modeldir::files;

/// What a finished sub-model recorded in `done.json`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub(super) struct Done {
    /// Genes it trained and calibrated on.
    pub genes: usize,
    /// Rows it trained on.
    pub rows: usize,
    /// Seconds.
    pub secs: f64,
    /// Peak RSS while it trained (bytes).
    pub peak_rss: u64,
}

/// The directory of sub-model `i` (from 0).
pub(super) fn dir(cfg: &TrainConfig, i: usize) -> std::path::PathBuf {
    crate::train::modeldir::ensemble::member_dir(&cfg.out, i)
}

/// Whether sub-model `i` (from 0) is finished.
pub(super) fn is_done(cfg: &TrainConfig, i: usize) -> bool {
    dir(cfg, i).join("done.json").exists()
}

/// Trains sub-model `i` into `dir` (or finds it finished there); returns what it cost.
pub(super) fn train_member(
    cfg: &TrainConfig,
    ds: &Dataset,
    i: usize,
    sub: &[usize],
    monitor: &rss::Monitor,
) -> Result<Done, Error> {
    let (p, k, n) = (&cfg.params, cfg.memory.ensemble_size, ds.genes.len());
    let dir = dir(cfg, i);
    std::fs::create_dir_all(&dir).map_err(|e| crate::store::Error::write(&dir, e))?;
    // One process per sub-model: `--member` tasks may run at once.
    let _lock = Lock::acquire(&dir).map_err(|e| match e {
        crate::store::Error::Locked { .. } => Error::ModelDirTaken {
            path: dir.clone(),
            why: format!(
                "is locked: sub-model {}/{k} is being trained by another process; wait for it, or give each task its own --member",
                i + 1
            ),
        },
        other => other.into(),
    })?;
    if let Ok(done) = files::read_json::<Done>(&dir, "done.json") {
        crate::train::log::log(&format!(
            "sub-model {}/{k}: already trained ({:.1} s, peak RSS {} when it ran), loaded from {}",
            i + 1,
            done.secs,
            rss::human(done.peak_rss),
            dir.display()
        ));
        return Ok(done);
    }
    let t = Instant::now();
    let _ = monitor.phase_peak();
    let genes = calibration_split(ds, p.seed, sub);
    // Sub-models train in one process each (never shared between workers).
    let (dfit, info) = cfg
        .matrices(ds, None)
        .build(&mask(n, &genes.fit), Record::Labels, None)?;
    let mut model = Model::fit(dfit, &info.label, p)?;
    if cfg.calibrate && !genes.calibrate.is_empty() {
        let mut both = both_probabilities(ds, &mask(n, &genes.calibrate), &[&model])?;
        let (cinfo, raw) = (both.info, both.raw.pop().unwrap_or_default());
        model.calibration = Some(Calibration::fit(
            &raw,
            &cinfo.label,
            &crate::train::fit::calibration_weights(&cinfo, cfg.calibrate_population),
        ));
    }
    files::write_model(&dir, &model)?;
    files::write_json(&dir, "calibration.json", &model.calibration)?;
    let done = Done {
        genes: sub.len(),
        rows: info.len(),
        secs: t.elapsed().as_secs_f64(),
        peak_rss: monitor.phase_peak(),
    };
    files::write_json(&dir, "done.json", &done)?;
    let _ = std::fs::remove_dir_all(dir.join(".tmp"));
    crate::train::log::log(&format!(
        "sub-model {}/{k}: {} genes, {} rows, {:.1} s, peak RSS {}",
        i + 1,
        done.genes,
        done.rows,
        done.secs,
        rss::human(done.peak_rss)
    ));
    drop(model);
    crate::xgb::alloc::release_free_memory();
    Ok(done)
}

/// The single comparison model, trained on `genes`, with what it cost.
pub(super) fn train_single(
    cfg: &TrainConfig,
    ds: &Dataset,
    genes: &[usize],
    monitor: &rss::Monitor,
) -> Result<(Model, Done), Error> {
    let t = Instant::now();
    let _ = monitor.phase_peak();
    let (d, info) =
        cfg.matrices(ds, None)
            .build(&mask(ds.genes.len(), genes), Record::Labels, None)?;
    let model = Model::fit(d, &info.label, &cfg.params)?;
    let done = Done {
        genes: genes.len(),
        rows: info.len(),
        secs: t.elapsed().as_secs_f64(),
        peak_rss: monitor.phase_peak(),
    };
    Ok((model, done))
}
