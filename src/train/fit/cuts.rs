//! One quantile sketch per run (the default; `--cuts per-matrix` sketches every matrix on its
//! own rows). The histogram cuts are sketched once, on the feature values of every gene the run
//! trains on (never on labels), and every matrix of the run — each fold's, the validation
//! slices', the final model's — is binned with them, which skips its sketching pass. The final
//! matrix is sketched on the same rows in the same order either way, so its cuts, and the final
//! model, are those a per-matrix run makes. A resumed run sketches the same genes again.

use super::model::xgb_error;
use super::{Matrices, share, source_error};
use crate::train::Error;
use crate::train::input::dataset::Dataset;
use crate::train::input::source::{Record, RowInfo, RowSource};
use crate::xgb::DMatrix;

/// Rows the one sketch of a run reads at most: above it, the genes trained on in a seeded
/// sample of the part files, holding about this many. Sketching costs about 10 s per million
/// rows on 2 threads, and 256 quantiles of half a million rows are as fine as bins need.
pub const SKETCH_ROWS: u64 = 500_000;

/// The genes a run's cuts are sketched on: every gene of `universe` when they hold at most
/// [`SKETCH_ROWS`] rows, else those of a seeded sample of the part files (whole parts, so that
/// only their row groups are read), about that many rows.
pub fn sketch_genes(ds: &Dataset, universe: &[bool], seed: u64) -> Vec<bool> {
    sample_within(ds, universe, seed, SKETCH_ROWS)
}

/// [`sketch_genes`] with at most about `max_rows` rows.
pub(crate) fn sample_within(
    ds: &Dataset,
    universe: &[bool],
    seed: u64,
    max_rows: u64,
) -> Vec<bool> {
    let rows: u64 = (ds.genes.iter().zip(universe))
        .filter(|(_, k)| **k)
        .map(|(g, _)| g.rows)
        .sum();
    if rows <= max_rows {
        return universe.to_vec();
    }
    // Each part file ranked by a hash of its first gene trained on; parts taken in that order.
    let mut first: Vec<Option<usize>> = vec![None; ds.parts.len()];
    let mut part_rows = vec![0u64; ds.parts.len()];
    for (i, g) in ds.genes.iter().enumerate().filter(|(i, _)| universe[*i]) {
        first[g.part].get_or_insert(i);
        part_rows[g.part] += g.rows;
    }
    let parts: Vec<(usize, &str)> = (first.iter().enumerate())
        .filter_map(|(p, g)| g.map(|g| (p, ds.genes[g].id.as_str())))
        .collect();
    let ranked = crate::seed::hashed_order(seed, "sketch", parts.iter().map(|(_, id)| *id));
    let mut taken = vec![false; ds.parts.len()];
    let mut sum = 0;
    for p in ranked.into_iter().map(|k| parts[k].0) {
        if sum >= max_rows {
            break;
        }
        taken[p] = true;
        sum += part_rows[p];
    }
    (ds.genes.iter().zip(universe))
        .map(|(g, k)| *k && taken[g.part])
        .collect()
}

/// The run's cuts, sketched on first use.
pub struct SharedCuts<'a> {
    matrices: Matrices<'a>,
    /// The genes whose rows the cuts are sketched on.
    sketched: Vec<bool>,
    /// Whether they are a sample of the genes trained on (not all of them).
    sampled: bool,
    /// A one-row matrix carrying the cuts, once sketched.
    holder: Option<DMatrix>,
}

impl<'a> SharedCuts<'a> {
    /// Cuts to be sketched on the genes of `universe` (the genes trained on; a seeded sample of
    /// them above [`SKETCH_ROWS`]) for the matrices `matrices` builds.
    pub fn new(matrices: Matrices<'a>, universe: &[bool]) -> Self {
        let sketched = sketch_genes(matrices.ds, universe, matrices.params.seed);
        SharedCuts {
            matrices,
            sampled: sketched != universe,
            sketched,
            holder: None,
        }
    }

    /// The quantile matrix of the genes flagged in `keep`, binned with the run's cuts; with the
    /// rows' info. The first call sketches the cuts: on `keep` itself when it is the sketched
    /// gene set, else in a pass of its own over the sketched genes.
    pub fn matrix(&mut self, keep: &[bool], record: Record) -> Result<(DMatrix, RowInfo), Error> {
        if !self.matrices.params.shared_cuts {
            return self.build(keep, record, None);
        }
        if self.holder.is_none() {
            if keep == self.sketched.as_slice() {
                let (m, info) = self.build(keep, record, None)?;
                let max_bin = self.matrices.params.max_bin;
                self.holder = Some(m.cuts_only(max_bin).map_err(xgb_error)?);
                return Ok((m, info));
            }
            let t = std::time::Instant::now();
            self.holder = Some(self.sketch()?);
            let genes = self.sketched.iter().filter(|k| **k).count();
            let rows: u64 = (self.matrices.ds.genes.iter().zip(&self.sketched))
                .filter(|(_, k)| **k)
                .map(|(g, _)| g.rows)
                .sum();
            crate::train::log::log(&format!(
                "quantile cuts: sketched once on {genes} genes ({rows} rows{}) in {:.1} s; every \
                 matrix of this run is binned with them",
                if self.sampled {
                    ", a seeded sample of the genes trained on"
                } else {
                    ""
                },
                t.elapsed().as_secs_f64()
            ));
        }
        self.build(keep, record, self.holder.as_ref())
    }

    #[cfg(test)]
    /// The cuts' holder, once sketched (a one-row matrix).
    pub fn holder(&self) -> Option<&DMatrix> {
        self.holder.as_ref()
    }

    /// The cuts of the sketched genes, without keeping their bins. In memory, their values are
    /// decoded for the sketch alone; with external memory, their matrix is built in its cache
    /// (never the whole binned matrix in memory) and dropped.
    fn sketch(&self) -> Result<DMatrix, Error> {
        let m = &self.matrices;
        let p = m.params;
        if m.cache.is_some() {
            let (m, _) = self.build(&self.sketched, Record::Labels, None)?;
            return m.cuts_only(p.max_bin).map_err(xgb_error);
        }
        let keep = share::genes(m.share, m.ds, &self.sketched);
        let mut src = RowSource::new(m.ds, &keep, m.weights, Record::Labels)?;
        let holder =
            DMatrix::sketch_cuts(&mut src, p.max_bin, p.threads as u32).map_err(source_error)?;
        crate::xgb::alloc::release_free_memory();
        Ok(holder)
    }

    fn build(
        &self,
        keep: &[bool],
        record: Record,
        reference: Option<&DMatrix>,
    ) -> Result<(DMatrix, RowInfo), Error> {
        self.matrices.build(keep, record, reference)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::BuildConfig;
    use crate::store::fsutil::TempDir;
    use crate::train::fit::folds::Folds;
    use crate::train::fit::model::{Objective, Params};
    use std::collections::HashSet;
    use std::path::Path;

    /// In-memory matrices of every gene, unweighted.
    fn plain<'a>(ds: &'a Dataset, params: &'a Params) -> Matrices<'a> {
        Matrices {
            ds,
            params,
            weights: false,
            cache: None,
            share: None,
        }
    }

    /// A 40-gene dataset of the embedded fly data (`data/`), built by the real builder.
    fn fly_dataset(dir: &Path) -> Dataset {
        let cfg = BuildConfig::fly(&dir.join("ds"), 40);
        crate::builder::build(&cfg, false).unwrap();
        Dataset::open(&cfg.out).unwrap()
    }

    #[test]
    fn every_fold_matrix_and_the_final_matrix_share_the_cuts_sketched_on_every_gene() {
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

        // What a matrix sketched on its own rows gets.
        let own = |keep: &[bool]| {
            let (m, _) = plain(&ds, &params)
                .build(keep, Record::Labels, None)
                .unwrap();
            cuts_of(&m)
        };
        let all = own(&folds.all_mask());
        assert_ne!(
            own(&folds.train_mask(0)),
            all,
            "the test must be able to fail"
        );

        // In run order: folds 1 to 3, then the final matrix, all binned with every gene's cuts;
        // the rows are each matrix's own.
        let mut shared = SharedCuts::new(plain(&ds, &params), &folds.all_mask());
        for keep in [
            folds.train_mask(0),
            folds.train_mask(1),
            folds.train_mask(2),
            folds.all_mask(),
        ] {
            let (m, info) = shared.matrix(&keep, Record::Labels).unwrap();
            let rows: u64 = ds
                .genes
                .iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(g, _)| g.rows)
                .sum();
            assert_eq!(m.num_rows().unwrap(), info.len());
            assert_eq!(info.len() as u64, rows);
            assert_eq!(cuts_of(&m), all);
        }

        // Above SKETCH_ROWS: the genes of a seeded sample of the part files, about that many
        // rows, the same for the same seed.
        let universe = folds.all_mask();
        assert_eq!(
            sketch_genes(&ds, &universe, 7),
            universe,
            "40 fly genes: all of them"
        );
        let third = ds.rows() / 3;
        let sample = sample_within(&ds, &universe, 7, third);
        let rows: u64 = (ds.genes.iter().zip(&sample))
            .filter(|(_, k)| **k)
            .map(|(g, _)| g.rows)
            .sum();
        assert!(rows >= third && rows < third * 2, "{rows} rows for {third}");
        let parts: HashSet<usize> = (ds.genes.iter().zip(&sample))
            .filter(|(_, k)| **k)
            .map(|(g, _)| g.part)
            .collect();
        for (g, k) in ds.genes.iter().zip(&sample) {
            assert_eq!(*k, parts.contains(&g.part), "whole part files");
        }
        assert_eq!(sample, sample_within(&ds, &universe, 7, third));
        assert!((8..40).any(|seed| sample_within(&ds, &universe, seed, third) != sample));

        // Without folds (or resumed after every fold): the final matrix sketches itself.
        let mut alone = SharedCuts::new(plain(&ds, &params), &folds.all_mask());
        let (m, info) = alone.matrix(&folds.all_mask(), Record::Labels).unwrap();
        assert_eq!(info.len() as u64, ds.rows());
        assert_eq!(cuts_of(&m), all);
        assert_eq!(cuts_of(alone.holder().unwrap()), all);
    }
}
