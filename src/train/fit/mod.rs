//! The toolbox a run fits with: quantile matrices of a set of genes ([`Matrices`], one set of
//! cuts per run in [`cuts`]), the boosters ([`model`]), gene-level folds ([`folds`]), early
//! stopping ([`stopping`]), per-class calibration ([`calibrate`]), a model applied batch by batch
//! ([`apply`]) and a worker's share of a distributed run ([`share`]). It never writes a model
//! directory or a report: the run layer (`train::run`) does.

pub(crate) mod apply;
pub(crate) mod calibrate;
pub(crate) mod cuts;
pub(crate) mod folds;
pub(crate) mod model;
pub(crate) mod share;
pub(crate) mod stopping;

use std::path::PathBuf;

use self::model::{Params, xgb_error};
use self::share::Share;
use crate::train::Error;
use crate::train::input::dataset::Dataset;
use crate::train::input::source::{Record, RowInfo, RowSource};
use crate::xgb::DMatrix;

/// The weights calibration is fitted and judged with: `sample_weight` (the whole-gene
/// population) or 1 (the dataset's rows, the distribution the model was trained on).
pub fn calibration_weights(info: &RowInfo, population: bool) -> Vec<f32> {
    if population {
        info.weight.clone()
    } else {
        vec![1.0; info.len()]
    }
}

/// Out-of-fold predictions with their rows.
#[derive(Default)]
pub struct Oof {
    /// Rows (in fold order, genes contiguous).
    pub info: RowInfo,
    /// Margins `n × 3`.
    pub margins: Vec<f32>,
    /// The fold each row was held out in.
    pub fold: Vec<u8>,
    /// Per fold, the rounds each booster kept.
    pub rounds: Vec<Vec<u32>>,
}

/// How a run builds its quantile matrices: from which dataset, with which bins and threads,
/// with `sample_weight` as weights or not, in memory or in external memory under `cache`, and
/// from this process's share of the genes (`None`: all of them).
pub struct Matrices<'a> {
    /// The dataset.
    pub ds: &'a Dataset,
    /// Bins (`max_bin`) and threads.
    pub params: &'a Params,
    /// `sample_weight` as instance weights.
    pub weights: bool,
    /// External memory: the directory of the cache files.
    pub cache: Option<PathBuf>,
    /// This worker's share of a distributed run.
    pub share: Option<Share>,
}

impl Matrices<'_> {
    /// The quantile matrix of the genes flagged in `keep` (of this process's share), binned with
    /// the cuts of `reference` when given (else sketched on its own rows); with the rows' info.
    pub fn build(
        &self,
        keep: &[bool],
        record: Record,
        reference: Option<&DMatrix>,
    ) -> Result<(DMatrix, RowInfo), Error> {
        static CACHES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let keep = share::genes(self.share, self.ds, keep);
        let mut src = RowSource::new(self.ds, &keep, self.weights, record)?;
        let (max_bin, threads) = (self.params.max_bin, self.params.threads as u32);
        let dm = match &self.cache {
            None => DMatrix::quantile_from_source(&mut src, max_bin, threads, reference),
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| crate::store::Error::write(dir, e))?;
                let n = CACHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let prefix = dir.join(format!("xgb-cache-{}-{n}", std::process::id()));
                DMatrix::ext_mem_quantile_from_source(
                    &mut src, max_bin, threads, reference, &prefix,
                )
            }
        }
        .map_err(source_error)?;
        // The sketch's scratch is freed by now; give it back before boosting allocates elsewhere.
        crate::xgb::alloc::release_free_memory();
        Ok((dm, src.info))
    }
}

/// A matrix constructor's error, with the dataset's own errors unwrapped.
pub(crate) fn source_error(e: crate::xgb::Error) -> Error {
    match e {
        crate::xgb::Error::Source(inner) => match inner.downcast::<crate::store::Error>() {
            Ok(s) => Error::Store(*s),
            Err(other) => Error::Internal(other.to_string()),
        },
        other => xgb_error(other),
    }
}

impl Oof {
    /// Appends the held-out rows of fold `fold` and their margins.
    pub fn append(&mut self, info: RowInfo, margins: Vec<f32>, fold: u8, rounds: Vec<u32>) {
        self.rounds.push(rounds);
        self.fold.extend(std::iter::repeat_n(fold, info.len()));
        let o = &mut self.info;
        o.gene.extend(info.gene);
        o.label.extend(info.label);
        o.weight.extend(info.weight);
        o.base_donor.extend(info.base_donor);
        o.base_acceptor.extend(info.base_acceptor);
        o.position.extend(info.position);
        self.margins.extend(margins);
    }
}
