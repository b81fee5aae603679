//! `train --out-dir`: what `train` accepts to write into, like `builder --out`. A new or empty
//! directory is used; an unfinished ensemble is resumed (its plan must match); a trained model is
//! never overwritten silently (`--overwrite` replaces it); anything else is refused. A run that
//! fails in a directory it created, before keeping anything resumable, removes it again.

use std::path::Path;

use super::checkpoint;
use crate::train::Error;
use crate::train::config::TrainConfig;

/// The marker of a directory `train` writes into.
pub const MARKER: &str = ".spliceforge-train";

/// Readies `cfg.out`; returns whether this run created it.
pub fn prepare(cfg: &TrainConfig) -> Result<bool, Error> {
    let dir = &cfg.out;
    let io = |e| Error::from(crate::store::Error::write(dir, e));
    let created = match std::fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => return Err(io(e)),
        Ok(entries) => {
            // `.lock` is taken by ensemble members before they look (see `train --member`).
            let names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != ".lock")
                .collect();
            check_existing(cfg, &names)?;
            false
        }
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let marker = dir.join(MARKER);
    if !marker.exists() {
        std::fs::write(&marker, b"").map_err(|e| crate::store::Error::write(&marker, e))?;
    }
    Ok(created)
}

fn check_existing(cfg: &TrainConfig, names: &[String]) -> Result<(), Error> {
    let dir = &cfg.out;
    let has = |n: &str| names.iter().any(|x| x == n);
    if names.is_empty() {
        return Ok(());
    }
    let trained = has("train.json");
    let unfinished = has("ensemble.json") || has(checkpoint::DIR);
    if cfg.overwrite && (trained || unfinished) {
        crate::train::log::log(&format!(
            "--overwrite: replacing the {} in {}",
            if trained {
                "trained model"
            } else {
                "unfinished run"
            },
            dir.display()
        ));
        return crate::store::fsutil::remove_dir(dir)
            .map_err(|e| crate::store::Error::write(dir, e).into());
    }
    if trained {
        return Err(Error::ModelDirTaken {
            path: dir.clone(),
            why: "already holds a trained model (train.json); nothing was changed. Choose another --out-dir, or pass --overwrite to replace it".into(),
        });
    }
    if has("ensemble.json") {
        if cfg.memory.ensemble_size > 1 {
            crate::train::log::log(&format!(
                "{} holds an unfinished ensemble: resuming it (finished sub-models are kept)",
                dir.display()
            ));
            return Ok(());
        }
        return Err(Error::ModelDirTaken {
            path: dir.clone(),
            why: "holds an unfinished ensemble; resume it with its original --ensemble-size and settings, pass --overwrite to start over, or choose another --out-dir".into(),
        });
    }
    if has(MARKER) {
        crate::train::log::log(&format!(
            "{} holds an unfinished training run: {}",
            dir.display(),
            if has(checkpoint::DIR) {
                "resuming after its finished folds (if its settings are these)"
            } else {
                "it finished no fold, starting again"
            }
        ));
        return Ok(());
    }
    Err(Error::NotAModelDir { path: dir.clone() })
}

/// After a failed run in a directory it created: removes the directory unless a finished
/// sub-model or fold (a checkpoint a rerun resumes from) is in it.
pub fn discard_if_nothing_kept(dir: &Path) {
    let is_checkpoint = |p: &Path| {
        p.join("done.json").exists()
            || p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("fold-"))
    };
    let kept = std::fs::read_dir(dir).is_err()
        || [dir.to_path_buf(), dir.join(checkpoint::DIR)]
            .iter()
            .any(|d| {
                std::fs::read_dir(d).is_ok_and(|entries| {
                    entries
                        .filter_map(|e| e.ok())
                        .any(|e| is_checkpoint(&e.path()))
                })
            });
    if !kept {
        let _ = crate::store::fsutil::remove_dir(dir);
    }
}
