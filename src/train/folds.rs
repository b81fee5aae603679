//! Gene-level folds: every gene in exactly one test fold, seeded, shuffled, balanced by sites.

use serde::{Deserialize, Serialize};

use super::dataset::Dataset;
use crate::seed::{Rng, gene_seed};

/// The fold of every gene (`folds.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Folds {
    /// Number of folds.
    pub n_folds: usize,
    /// Seed.
    pub seed: u64,
    /// `(gene id, fold)` in dataset order.
    pub genes: Vec<(String, usize)>,
    /// Sites per fold.
    pub sites: Vec<u64>,
    /// Genes per fold.
    pub sizes: Vec<usize>,
}

impl Folds {
    /// Shuffles the genes with `seed`, then deals each, in that order, to the fold with the fewest
    /// sites so far (ties: fewest genes, then lowest fold): folds are random yet balanced.
    pub fn assign(ds: &Dataset, n_folds: usize, seed: u64) -> Self {
        let n_folds = n_folds.max(1);
        let mut order: Vec<usize> = (0..ds.genes.len()).collect();
        let mut rng = Rng::new(gene_seed(seed, "folds", ""));
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let mut sites = vec![0u64; n_folds];
        let mut sizes = vec![0usize; n_folds];
        let mut fold = vec![0usize; ds.genes.len()];
        for g in order {
            let f = (0..n_folds)
                .min_by_key(|&f| (sites[f], sizes[f], f))
                .unwrap_or(0);
            fold[g] = f;
            sites[f] += ds.genes[g].sites;
            sizes[f] += 1;
        }
        Self {
            n_folds,
            seed,
            genes: ds
                .genes
                .iter()
                .zip(&fold)
                .map(|(g, &f)| (g.id.clone(), f))
                .collect(),
            sites,
            sizes,
        }
    }

    /// `keep` flags (by gene index) for the training genes of fold `k` (all genes but fold `k`).
    pub fn train_mask(&self, k: usize) -> Vec<bool> {
        self.genes.iter().map(|(_, f)| *f != k).collect()
    }

    /// `keep` flags for the test genes of fold `k`.
    pub fn test_mask(&self, k: usize) -> Vec<bool> {
        self.genes.iter().map(|(_, f)| *f == k).collect()
    }
}
