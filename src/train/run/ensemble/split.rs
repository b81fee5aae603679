//! The genes of an ensemble: the outer hold-out no sub-model sees, the sub-models' subsets
//! (disjoint or overlapping), each sub-model's calibration genes, and the comparison model's.

use crate::seed::{Rng, gene_seed};
use crate::train::Error;
use crate::train::config::{SingleModel, TrainConfig};
use crate::train::input::dataset::Dataset;

/// The genes of one ensemble run.
pub(super) struct Split {
    /// Outer hold-out genes.
    pub holdout: Vec<usize>,
    /// Every other gene, shuffled.
    pub rest: Vec<usize>,
    /// Each sub-model's genes.
    pub subsets: Vec<Vec<usize>>,
}

/// Draws the hold-out and deals the other genes into subsets.
pub(super) fn split(cfg: &TrainConfig, ds: &Dataset, universe: &[bool]) -> Result<Split, Error> {
    let p = &cfg.params;
    let k = cfg.memory.ensemble_size;
    // Outer hold-out by a hash of (seed, gene id); the rest shuffled and dealt into subsets.
    let used: Vec<usize> = (0..ds.genes.len()).filter(|&g| universe[g]).collect();
    let is_holdout = |g: usize| {
        let id = &ds.genes[g].id;
        crate::seed::in_fraction(p.seed, "ensemble-holdout", id, cfg.memory.holdout_fraction)
    };
    let holdout: Vec<usize> = used.iter().copied().filter(|&g| is_holdout(g)).collect();
    let mut rest: Vec<usize> = used.iter().copied().filter(|&g| !is_holdout(g)).collect();
    Rng::new(gene_seed(p.seed, "ensemble", "")).shuffle(&mut rest);
    if holdout.len() < 2 || rest.len() < 2 * k {
        return Err(Error::Usage(format!(
            "--ensemble-size {k} needs at least {} genes besides the hold-out, and 2 held out ({} genes, {} held out); lower it or use more genes",
            2 * k,
            used.len(),
            holdout.len()
        )));
    }
    let subsets = subsets(&rest, k, cfg.memory.ensemble_overlap);
    Ok(Split {
        holdout,
        rest,
        subsets,
    })
}

/// Splits `genes` (already shuffled) into `k` contiguous chunks whose sizes differ by at most
/// one; sub-model `i` gets chunk `i` plus the first `ceil(overlap × |chunk i+1|)` genes of the
/// next chunk (cyclically). With `overlap = 0` the subsets are disjoint and cover every gene.
pub fn subsets(genes: &[usize], k: usize, overlap: f64) -> Vec<Vec<usize>> {
    let k = k.max(1);
    let n = genes.len();
    let chunks: Vec<&[usize]> = (0..k).map(|i| &genes[i * n / k..(i + 1) * n / k]).collect();
    (0..k)
        .map(|i| {
            let mut s = chunks[i].to_vec();
            if k > 1 {
                let next = chunks[(i + 1) % k];
                let extra = ((overlap * next.len() as f64).ceil() as usize).min(next.len());
                s.extend_from_slice(&next[..extra]);
            }
            s
        })
        .collect()
}

pub(super) use crate::train::input::mask;

/// A sub-model's genes, split in two.
pub(super) struct CalibrationSplit {
    /// The genes that calibrate it.
    pub calibrate: Vec<usize>,
    /// The genes it trains on.
    pub fit: Vec<usize>,
}

/// A sub-model's genes: a fifth (by gene hash) calibrates it, the rest train it.
pub(super) fn calibration_split(ds: &Dataset, seed: u64, sub: &[usize]) -> CalibrationSplit {
    let (calibrate, fit) = sub.iter().partition(|&&g| {
        gene_seed(seed, "ensemble-calibration", &ds.genes[g].id).is_multiple_of(5)
    });
    CalibrationSplit { calibrate, fit }
}

/// The single comparison model's genes and what they are, in words.
pub(super) struct Comparison {
    /// Genes it trains on.
    pub genes: Vec<usize>,
    /// Which comparison model, in words: all non-hold-out genes, or the same-memory sample.
    pub what: String,
}

/// The genes of the comparison model: every non-hold-out gene, or a seeded sample as large as
/// the largest sub-model's training genes (so it needs no more memory than a sub-model).
pub(super) fn single_genes(cfg: &TrainConfig, ds: &Dataset, split: &Split) -> Option<Comparison> {
    match cfg.single_model {
        SingleModel::None => None,
        SingleModel::All => Some(Comparison {
            genes: split.rest.clone(),
            what: format!(
                "--single-model all, one model on all {} non-hold-out genes",
                split.rest.len()
            ),
        }),
        SingleModel::SameMemory => {
            let n = split
                .subsets
                .iter()
                .map(|s| calibration_split(ds, cfg.params.seed, s).fit.len())
                .max()
                .unwrap_or(0);
            let genes = crate::train::input::hashed_sample(
                ds,
                split.rest.iter().copied(),
                n,
                cfg.params.seed,
                "single-model",
            );
            Some(Comparison {
                genes,
                what: format!(
                    "--single-model same-memory, one model on a seeded sample of {n} of the {} non-hold-out genes, as many as a sub-model trains on",
                    split.rest.len()
                ),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::subsets;

    #[test]
    fn disjoint_subsets_cover_every_gene_once() {
        let genes: Vec<usize> = (0..103).collect();
        let s = subsets(&genes, 5, 0.0);
        assert_eq!(s.len(), 5);
        let mut all: Vec<usize> = s.concat();
        all.sort();
        assert_eq!(all, genes);
        let sizes: Vec<usize> = s.iter().map(Vec::len).collect();
        assert!(
            sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
            "{sizes:?}"
        );
    }

    #[test]
    fn overlap_adds_a_fraction_of_the_next_chunk() {
        let genes: Vec<usize> = (0..100).collect();
        let s = subsets(&genes, 4, 0.5);
        // chunks of 25; each subset takes ceil(0.5 × 25) = 13 genes of the next chunk
        assert!(s.iter().all(|x| x.len() == 38));
        let a: std::collections::HashSet<_> = s[0].iter().collect();
        let b: std::collections::HashSet<_> = s[1].iter().collect();
        assert_eq!(a.intersection(&b).count(), 13);
        let first: std::collections::HashSet<_> = s[3].iter().collect();
        assert_eq!(
            first.intersection(&a).count(),
            13,
            "cyclic: the last takes from the first"
        );
        assert_eq!(subsets(&genes, 4, 1.0)[0].len(), 50);
    }
}
