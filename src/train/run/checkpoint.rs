//! Checkpoints of a single-model run: each finished fold's held-out rows and margins in
//! `folds/fold-K.parquet` (written atomically, last), the rounds its boosters kept in
//! `folds/fold-K.rounds.json` (written before it), under the identity of the run in
//! `folds/run.json`. A killed `train` run again with the same arguments loads the finished folds
//! instead of training them again, so it ends with the same model bytes; with other arguments
//! it is refused (exit 4). The directory is removed once the model is complete.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, Float32Array, Int64Array, RecordBatch, UInt8Array, UInt32Array};
use serde::{Deserialize, Serialize};

use crate::store;
use crate::store::reader::{Part, column};
use crate::train::Error;
use crate::train::config::{Cv, TrainConfig};
use crate::train::fit::model::Params;
use crate::train::input::dataset::Dataset;
use crate::train::input::source::RowInfo;
use crate::train::modeldir::files;

/// The directory of the checkpoints inside `--out-dir`.
pub const DIR: &str = "folds";

/// What decides the out-of-fold rows and margins: a checkpoint is only used by the same run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FoldRun {
    dataset_fingerprint: String,
    params: Params,
    n_folds: usize,
    train_weights: bool,
    sample_genes: Option<usize>,
    #[serde(default, skip_serializing_if = "Cv::is_genes")]
    cv: Cv,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    holdout_contigs: Vec<String>,
}

/// One finished fold: its held-out rows and their margins (`rows × 3`).
pub struct FoldResult {
    /// The held-out rows.
    pub info: RowInfo,
    /// Their margins.
    pub margins: Vec<f32>,
    /// The rounds the fold's boosters kept.
    pub rounds: Vec<u32>,
}

/// The fold checkpoints of one run.
pub struct Checkpoints {
    dir: PathBuf,
    scratch: PathBuf,
}

/// The columns of a fold file, in order.
const COLUMNS: [&str; 9] = [
    "gene",
    "label",
    "weight",
    "base_donor",
    "base_acceptor",
    "position",
    "m0",
    "m1",
    "m2",
];

impl Checkpoints {
    /// Opens (or starts) the checkpoints of the run `cfg` describes; refuses checkpoints of
    /// another run.
    pub fn open(cfg: &TrainConfig, ds: &Dataset) -> Result<Self, Error> {
        let dir = cfg.out.join(DIR);
        let run = FoldRun {
            dataset_fingerprint: ds.run.fingerprint.clone(),
            params: cfg.params.clone(),
            n_folds: cfg.memory.n_folds,
            train_weights: cfg.memory.train_weights,
            sample_genes: cfg.sample_genes,
            cv: cfg.cv,
            holdout_contigs: cfg.holdout_contigs.clone(),
        };
        if dir.join("run.json").exists() {
            let old: Option<FoldRun> = files::read_json(&dir, "run.json").ok();
            if old.as_ref() != Some(&run) {
                return Err(Error::ModelDirTaken {
                    path: cfg.out.clone(),
                    why: "holds an unfinished training run with another dataset or settings; resume it with its original arguments, pass --overwrite to start over, or choose another --out-dir".into(),
                });
            }
        } else {
            std::fs::create_dir_all(&dir).map_err(|e| store::Error::write(&dir, e))?;
            files::write_json(&dir, "run.json", &run)?;
        }
        Ok(Checkpoints {
            dir,
            scratch: cfg.out.join(".tmp"),
        })
    }

    fn path(&self, fold: usize) -> PathBuf {
        self.dir.join(format!("fold-{}.parquet", fold + 1))
    }

    fn rounds_name(fold: usize) -> String {
        format!("fold-{}.rounds.json", fold + 1)
    }

    /// Whether fold `fold`'s file was committed.
    pub fn exists(&self, fold: usize) -> bool {
        self.path(fold).exists()
    }

    /// The finished fold `fold`, if its file was committed; `expected_rows` (the held-out genes'
    /// rows in the manifest) must match.
    pub fn load(&self, fold: usize, expected_rows: usize) -> Result<Option<FoldResult>, Error> {
        let path = self.path(fold);
        if !path.exists() {
            return Ok(None);
        }
        let rounds: Vec<u32> = files::read_json(&self.dir, &Self::rounds_name(fold))?;
        let r = read(&path, rounds)?;
        if r.info.len() != expected_rows || r.margins.len() != 3 * expected_rows {
            return Err(Error::ModelDamaged {
                path,
                message: format!("{} rows where the fold holds {expected_rows}", r.info.len()),
            });
        }
        Ok(Some(r))
    }

    /// Commits fold `fold`'s rows, margins and kept rounds.
    pub fn save(
        &self,
        fold: usize,
        info: &RowInfo,
        margins: &[f32],
        rounds: &[u32],
    ) -> Result<(), Error> {
        files::write_json(&self.dir, &Self::rounds_name(fold), &rounds)?;
        let m = |c: usize| -> ArrayRef {
            Arc::new(Float32Array::from(
                margins
                    .iter()
                    .skip(c)
                    .step_by(3)
                    .copied()
                    .collect::<Vec<_>>(),
            ))
        };
        let cols: Vec<(&str, ArrayRef)> = vec![
            (COLUMNS[0], Arc::new(UInt32Array::from(info.gene.clone()))),
            (COLUMNS[1], Arc::new(UInt8Array::from(info.label.clone()))),
            (
                COLUMNS[2],
                Arc::new(Float32Array::from(info.weight.clone())),
            ),
            (
                COLUMNS[3],
                Arc::new(Float32Array::from(info.base_donor.clone())),
            ),
            (
                COLUMNS[4],
                Arc::new(Float32Array::from(info.base_acceptor.clone())),
            ),
            (
                COLUMNS[5],
                Arc::new(Int64Array::from(info.position.clone())),
            ),
            (COLUMNS[6], m(0)),
            (COLUMNS[7], m(1)),
            (COLUMNS[8], m(2)),
        ];
        store::table::write(&self.path(fold), &self.scratch, cols)?;
        Ok(())
    }
}

/// Reads a fold file; `rounds` are its boosters' kept rounds (from their own file).
fn read(path: &Path, rounds: Vec<u32>) -> Result<FoldResult, Error> {
    let reader = Part::open(path)?.read(&COLUMNS, None, 1 << 16)?;
    let mut info = RowInfo::default();
    let mut margins = Vec::new();
    let damaged = |message: String| Error::ModelDamaged {
        path: path.to_path_buf(),
        message,
    };
    for batch in reader {
        let batch = batch.map_err(|e| damaged(e.to_string()))?;
        append(&batch, &mut info, &mut margins)
            .ok_or_else(|| damaged("unexpected column types".into()))?;
    }
    Ok(FoldResult {
        info,
        margins,
        rounds,
    })
}

/// Appends one batch of a fold file; `None` if a column has another type.
fn append(batch: &RecordBatch, info: &mut RowInfo, margins: &mut Vec<f32>) -> Option<()> {
    let f32s = |i: usize| column::<Float32Array>(batch, i).map(|a| a.values());
    info.gene
        .extend(column::<UInt32Array>(batch, 0)?.values().iter());
    info.label
        .extend(column::<UInt8Array>(batch, 1)?.values().iter());
    info.weight.extend(f32s(2)?.iter());
    info.base_donor.extend(f32s(3)?.iter());
    info.base_acceptor.extend(f32s(4)?.iter());
    info.position
        .extend(column::<Int64Array>(batch, 5)?.values().iter());
    let (m0, m1, m2) = (f32s(6)?, f32s(7)?, f32s(8)?);
    for r in 0..batch.num_rows() {
        margins.extend([m0[r], m1[r], m2[r]]);
    }
    Some(())
}
