//! Binary-logistic boosters that boost on one training matrix at the same time, one thread
//! each: [`boost_logistic_together`].
//!
//! XGBoost's `hist` does not use two threads twice as well as one, so two boosters with one
//! thread each finish sooner than one after the other with two threads each (14 % on 1 M
//! *A. thaliana* rows, `scripts/bench/boost_together.py`). They share the binned matrix, whose
//! one label slot holds one booster's labels, so each booster boosts from gradients we compute
//! from its own labels: XGBoost 3.4's `binary:logistic` gradients, to the bit, so that the trees
//! are the ones the booster would have grown alone with the same threads.

use std::ops::Range;

use super::collective;
use super::error::{Error, Result};
use super::{Booster, DMatrix};

/// One booster of [`boost_logistic_together`] and what it boosts.
pub struct LogisticJob<'a> {
    /// A `binary:logistic` booster (default `scale_pos_weight`) that has boosted exactly
    /// `rounds.start` rounds on the matrix — at least one when `rounds` is not empty: XGBoost
    /// fits the intercept from the labels in the first round.
    pub booster: &'a mut Booster,
    /// Its 0/1 label per row.
    pub labels: &'a [f32],
    /// The rounds it boosts now.
    pub rounds: Range<u32>,
}

/// Boosts every job's booster through its rounds on `train`, all at the same time (one thread
/// per job), each from the `binary:logistic` gradients of its own labels and the matrix's
/// weights. `train` must be an in-memory quantile matrix (its bins are all made, so the
/// boosters only read it) and this process must not be one of a group of workers (the
/// boosters' collective calls would interleave). Every booster ends with the trees it would
/// have grown by [`Booster::update`] with its labels set on the matrix.
pub fn boost_logistic_together(train: &DMatrix, jobs: Vec<LogisticJob<'_>>) -> Result<()> {
    if !train.binned_in_memory() {
        return Err(Error::InvalidInput(
            "boosters train together only on an in-memory quantile matrix".into(),
        ));
    }
    if collective::is_distributed() {
        return Err(Error::InvalidInput(
            "boosters do not train together in a group of workers".into(),
        ));
    }
    let rows = train.num_rows()?;
    let weights = train.weights()?;
    for job in &jobs {
        if job.labels.len() != rows {
            return Err(Error::InvalidInput(format!(
                "{} labels for {rows} rows",
                job.labels.len()
            )));
        }
        let done = job.booster.boosted_rounds()?;
        if !job.rounds.is_empty() && (done == 0 || done != job.rounds.start as usize) {
            return Err(Error::InvalidInput(format!(
                "a booster with {done} rounds cannot continue from round {}",
                job.rounds.start
            )));
        }
    }
    let shared = Shared(train);
    let weights = &weights;
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|job| s.spawn(move || boost_rounds(job, shared.matrix(), weights)))
            .collect();
        // Every thread is joined before the first error is returned.
        let results: Vec<Result<()>> = handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|panic| {
                    Err(Error::Panic(super::callbacks::panic_message(&*panic)))
                })
            })
            .collect();
        results.into_iter().collect()
    })
}

/// The training matrix, shared by the boosting threads.
#[derive(Clone, Copy)]
struct Shared<'a>(&'a DMatrix);

// SAFETY: the matrix is an in-memory quantile matrix (checked above): XGBoost made its bins,
// column index and missing-value mask at construction and builds nothing on it later, and no
// one sets its labels or weights while the threads run (they borrow it shared). Each booster
// keeps its own prediction cache, gradients and row partitions, and reads the matrix only.
unsafe impl Sync for Shared<'_> {}
// SAFETY: as for `Sync`; only a shared reference moves.
unsafe impl Send for Shared<'_> {}

impl<'a> Shared<'a> {
    /// The matrix (a method, so that closures capture the whole `Shared`).
    fn matrix(self) -> &'a DMatrix {
        self.0
    }
}

/// One job's rounds, on the calling thread.
fn boost_rounds(job: LogisticJob<'_>, train: &DMatrix, weights: &[f32]) -> Result<()> {
    let n = job.labels.len();
    let (mut grad, mut hess) = (vec![0.0f32; n], vec![0.0f32; n]);
    for round in job.rounds {
        let margins = job.booster.training_margins(train)?;
        logistic_gradients(&margins, job.labels, weights, &mut grad, &mut hess);
        job.booster
            .boost_with_gradients(round, train, &grad, &hess)?;
    }
    Ok(())
}

/// XGBoost 3.4's sigmoid (`common::Sigmoid(float)`), to the bit.
fn sigmoid(margin: f32) -> f32 {
    let x = (-margin).min(88.7);
    1.0 / (x.exp() + 1.0 + 1e-16)
}

/// XGBoost 3.4's `binary:logistic` gradients (`RegLossObj<LogisticClassification>` with
/// `scale_pos_weight` 1): `(p − y)·w` and `max(p(1 − p), 1e-16)·w`, in `f32` like XGBoost.
/// `weights` is empty when the rows are unweighted.
fn logistic_gradients(
    margins: &[f32],
    labels: &[f32],
    weights: &[f32],
    grad: &mut [f32],
    hess: &mut [f32],
) {
    for (i, ((&m, &y), (g, h))) in margins
        .iter()
        .zip(labels)
        .zip(grad.iter_mut().zip(hess.iter_mut()))
        .enumerate()
    {
        let p = sigmoid(m);
        let w = weights.get(i).copied().unwrap_or(1.0);
        *g = (p - y) * w;
        *h = (p * (1.0 - p)).max(1e-16) * w;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xgb::{Batch, BatchSource, testdata};

    /// One batch with weights.
    struct Whole<'a> {
        x: &'a [f32],
        y: &'a [f32],
        w: &'a [f32],
        served: bool,
    }

    impl BatchSource for Whole<'_> {
        type Error = std::io::Error;
        fn reset(&mut self) {
            self.served = false;
        }
        fn next(&mut self) -> std::result::Result<Option<Batch<'_>>, std::io::Error> {
            if std::mem::replace(&mut self.served, true) {
                return Ok(None);
            }
            Ok(Some(Batch::new(self.x, 4, self.y).with_weights(self.w)))
        }
    }

    fn params(b: &mut Booster) {
        b.set_params(&[
            ("tree_method", "hist"),
            ("objective", "binary:logistic"),
            ("max_depth", "4"),
            ("eta", "0.3"),
            ("subsample", "0.8"),
            ("colsample_bytree", "0.8"),
            ("max_delta_step", "5"),
            ("max_bin", "32"),
            ("nthread", "1"),
            ("seed", "7"),
        ])
        .unwrap();
    }

    #[test]
    fn boosters_trained_together_grow_the_trees_they_grow_one_after_the_other() {
        let (x, a) = testdata::binary(3000, 11);
        // A second task on the same rows, and uneven weights.
        let b: Vec<f32> = x.chunks(4).map(|r| f32::from(r[2] > 0.6)).collect();
        let w: Vec<f32> = (0..a.len()).map(|i| 0.5 + (i % 7) as f32 * 0.25).collect();
        let mut src = Whole {
            x: &x,
            y: &a,
            w: &w,
            served: false,
        };
        let mut train = DMatrix::quantile_from_source(&mut src, 32, 1, None).unwrap();
        assert!(train.binned_in_memory());
        let rounds = 12;

        // One after the other, with XGBoost's own objective.
        let mut alone = Vec::new();
        for labels in [&a, &b] {
            train.set_labels(labels).unwrap();
            let mut bst = Booster::new(&[&train]).unwrap();
            params(&mut bst);
            for r in 0..rounds {
                bst.update(r, &train).unwrap();
            }
            alone.push(bst.to_ubj_bytes().unwrap());
        }

        // Together: the first round with XGBoost's objective (it fits the intercept), the rest
        // from our gradients, while the matrix holds the second booster's labels.
        let mut boosters = Vec::new();
        for labels in [&a, &b] {
            train.set_labels(labels).unwrap();
            let mut bst = Booster::new(&[&train]).unwrap();
            params(&mut bst);
            bst.update(0, &train).unwrap();
            boosters.push(bst);
        }
        let [first, second] = &mut boosters[..] else {
            unreachable!()
        };
        let jobs = vec![
            LogisticJob {
                booster: first,
                labels: &a,
                rounds: 1..rounds,
            },
            LogisticJob {
                booster: second,
                labels: &b,
                rounds: 1..rounds,
            },
        ];
        boost_logistic_together(&train, jobs).unwrap();
        for (i, bst) in boosters.iter().enumerate() {
            assert_eq!(bst.boosted_rounds().unwrap(), rounds as usize);
            assert!(
                bst.to_ubj_bytes().unwrap() == alone[i],
                "booster {i} differs from the one trained alone"
            );
        }

        // Negative control: the first booster boosted from the second one's labels differs.
        train.set_labels(&a).unwrap();
        let mut wrong = Booster::new(&[&train]).unwrap();
        params(&mut wrong);
        wrong.update(0, &train).unwrap();
        boost_logistic_together(
            &train,
            vec![LogisticJob {
                booster: &mut wrong,
                labels: &b,
                rounds: 1..rounds,
            }],
        )
        .unwrap();
        assert!(wrong.to_ubj_bytes().unwrap() != alone[0]);
    }

    #[test]
    fn a_booster_that_has_not_boosted_its_first_round_is_refused() {
        let (x, a) = testdata::binary(200, 3);
        let w = vec![1.0; a.len()];
        let mut src = Whole {
            x: &x,
            y: &a,
            w: &w,
            served: false,
        };
        let train = DMatrix::quantile_from_source(&mut src, 32, 1, None).unwrap();
        let mut bst = Booster::new(&[&train]).unwrap();
        params(&mut bst);
        let err = boost_logistic_together(
            &train,
            vec![LogisticJob {
                booster: &mut bst,
                labels: &a,
                rounds: 0..3,
            }],
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput(m) if m.contains("0 rounds")),
            "{err:?}"
        );
        let short = &a[..10];
        bst.update(0, &train).unwrap();
        let err = boost_logistic_together(
            &train,
            vec![LogisticJob {
                booster: &mut bst,
                labels: short,
                rounds: 1..3,
            }],
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput(m) if m.contains("10 labels")),
            "{err:?}"
        );
    }
}
