//! One quantile sketch per run (`--shared-cuts`; without it every matrix sketches its own rows).
//! The histogram cuts are sketched once, on the rows of the first matrix the run needs (the first fold's training genes; every gene without folds), and every
//! other matrix of the run is binned with them, which skips its sketching pass. A resumed run
//! whose first fold is already done sketches the same genes again, so its cuts are the same.

use std::path::PathBuf;

use super::matrix;
use super::model::{Params, xgb_error};
use crate::train::Error;
use crate::train::input::dataset::Dataset;
use crate::train::input::source::{Record, RowInfo};
use crate::xgb::DMatrix;

/// The run's cuts, sketched on first use.
pub struct SharedCuts<'a> {
    ds: &'a Dataset,
    params: &'a Params,
    weights: bool,
    cache: Option<PathBuf>,
    /// The genes whose rows the cuts are sketched on.
    sketched: Vec<bool>,
    /// A one-row matrix carrying the cuts, once sketched.
    holder: Option<DMatrix>,
}

impl<'a> SharedCuts<'a> {
    /// Cuts to be sketched on the rows of the genes `sketched`; matrices are built with `params`'
    /// bins and threads, with `sample_weight` as weights when `weights`, their bins in external
    /// memory under `cache` when given.
    pub fn new(
        ds: &'a Dataset,
        params: &'a Params,
        weights: bool,
        cache: Option<PathBuf>,
        sketched: Vec<bool>,
    ) -> Self {
        SharedCuts {
            ds,
            params,
            weights,
            cache,
            sketched,
            holder: None,
        }
    }

    /// The quantile matrix of the genes flagged in `keep`, binned with the run's cuts; with the
    /// rows' info. The first call sketches the cuts: on `keep` itself when it is the sketched
    /// gene set, else on a matrix of the sketched genes built and dropped for it.
    pub fn matrix(&mut self, keep: &[bool], record: Record) -> Result<(DMatrix, RowInfo), Error> {
        if !self.params.shared_cuts {
            return self.build(keep, record, None);
        }
        if self.holder.is_none() {
            let first = keep == self.sketched.as_slice();
            let mark = if first { record } else { Record::Labels };
            let (m, info) = self.build(&self.sketched, mark, None)?;
            self.holder = Some(m.cuts_only(self.params.max_bin).map_err(xgb_error)?);
            if first {
                return Ok((m, info));
            }
        }
        self.build(keep, record, self.holder.as_ref())
    }

    /// The cuts' holder, once sketched (a one-row matrix).
    pub fn holder(&self) -> Option<&DMatrix> {
        self.holder.as_ref()
    }

    fn build(
        &self,
        keep: &[bool],
        record: Record,
        reference: Option<&DMatrix>,
    ) -> Result<(DMatrix, RowInfo), Error> {
        matrix(
            self.ds,
            keep,
            self.params,
            self.weights,
            record,
            self.cache.as_deref(),
            reference,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::BuildConfig;
    use crate::features::RowConfig;
    use crate::features::label::LabelConfig;
    use crate::genome::Selection;
    use crate::store::fsutil::TempDir;
    use crate::train::fit::folds::Folds;
    use crate::train::fit::model::Objective;
    use std::path::Path;

    /// A 40-gene dataset of the embedded fly data (`data/`), built by the real builder.
    fn fly_dataset(dir: &Path) -> Dataset {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        let cfg = BuildConfig {
            genome: data.join("DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz"),
            annotation: data.join("DmelanDM6_4.gtf.gz"),
            annotation_format: None,
            out: dir.join("ds"),
            selection: Selection {
                n_genes: Some(40),
                ..Selection::default()
            },
            rows: RowConfig {
                label: LabelConfig::default(),
                kmer_sizes: vec![3],
                seed: 42,
            },
            batch_size: 8,
            batch_rows: 10_000,
            flank: 250,
            reserve_fraction: 0.1,
            base_scores: None,
            spliceai: None,
            threads: 2,
            overwrite: false,
            shard: None,
        };
        crate::builder::build(&cfg, false).unwrap();
        Dataset::open(&cfg.out).unwrap()
    }

    #[test]
    fn every_fold_matrix_and_the_final_matrix_share_the_cuts_sketched_on_the_first_fold() {
        let dir = TempDir::new("sf-cuts-").unwrap();
        let ds = fly_dataset(dir.path());
        let params = Params {
            objective: Objective::Ovr,
            n_estimators: 1,
            learning_rate: 0.1,
            max_depth: 3,
            subsample: 1.0,
            colsample: 1.0,
            max_bin: 64,
            max_delta_step: 0.0,
            early_stopping_rounds: None,
            shared_cuts: true,
            seed: 7,
            threads: 1,
        };
        let folds = Folds::assign(&ds, 3, 7, &vec![true; ds.genes.len()]);
        let cuts_of = |m: &DMatrix| m.quantile_cuts().unwrap();

        // What the first fold's training genes give when sketched on their own.
        let own = |keep: &[bool]| {
            let (m, _) = matrix(&ds, keep, &params, false, Record::Labels, None, None).unwrap();
            cuts_of(&m)
        };
        let first = own(&folds.train_mask(0));
        assert_ne!(
            own(&folds.all_mask()),
            first,
            "the test must be able to fail"
        );

        // In run order: fold 1 (sketched), folds 2 and 3, the final matrix.
        let mut shared = SharedCuts::new(&ds, &params, false, None, folds.train_mask(0));
        for keep in [
            folds.train_mask(0),
            folds.train_mask(1),
            folds.train_mask(2),
            folds.all_mask(),
        ] {
            let (m, info) = shared.matrix(&keep, Record::Labels).unwrap();
            assert_eq!(m.num_rows().unwrap(), info.len());
            assert_eq!(cuts_of(&m), first);
        }

        // A resumed run whose first fold is done: the final matrix alone still gets them.
        let mut resumed = SharedCuts::new(&ds, &params, false, None, folds.train_mask(0));
        let (m, info) = resumed.matrix(&folds.all_mask(), Record::Labels).unwrap();
        assert_eq!(info.len() as u64, ds.rows());
        assert_eq!(cuts_of(&m), first);
        assert_eq!(cuts_of(resumed.holder().unwrap()), first);
    }
}
