//! Gene-level folds: every gene in exactly one test fold, seeded, shuffled, balanced by sites.

use serde::{Deserialize, Serialize};

use crate::seed::{Rng, gene_seed};
use crate::train::input::dataset::Dataset;

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
    /// Fold of each dataset gene (by index), `None` for genes left out by `--sample-genes`.
    #[serde(skip)]
    pub assignment: Vec<Option<usize>>,
}

impl Folds {
    /// Shuffles the genes with `seed`, then deals each, in that order, to the fold with the fewest
    /// sites so far (ties: fewest genes, then lowest fold): folds are random yet balanced.
    /// Only genes with `universe[g]` take part.
    pub fn assign(ds: &Dataset, n_folds: usize, seed: u64, universe: &[bool]) -> Self {
        let n_folds = n_folds.max(1);
        let mut order: Vec<usize> = (0..ds.genes.len()).filter(|&g| universe[g]).collect();
        Rng::new(gene_seed(seed, "folds", "")).shuffle(&mut order);
        let mut sites = vec![0u64; n_folds];
        let mut sizes = vec![0usize; n_folds];
        let mut assignment = vec![None; ds.genes.len()];
        for g in order {
            let f = (0..n_folds)
                .min_by_key(|&f| (sites[f], sizes[f], f))
                .unwrap_or(0);
            assignment[g] = Some(f);
            sites[f] += ds.genes[g].sites;
            sizes[f] += 1;
        }
        Self {
            n_folds,
            seed,
            genes: ds
                .genes
                .iter()
                .zip(&assignment)
                .filter_map(|(g, f)| f.map(|f| (g.id.clone(), f)))
                .collect(),
            sites,
            sizes,
            assignment,
        }
    }

    /// `keep` flags (by gene index) for the training genes of fold `k` (the others).
    pub fn train_mask(&self, k: usize) -> Vec<bool> {
        self.assignment
            .iter()
            .map(|f| f.is_some_and(|f| f != k))
            .collect()
    }

    /// `keep` flags for the test genes of fold `k`.
    pub fn test_mask(&self, k: usize) -> Vec<bool> {
        self.assignment.iter().map(|f| *f == Some(k)).collect()
    }

    /// `keep` flags for every participating gene.
    pub fn all_mask(&self) -> Vec<bool> {
        self.assignment.iter().map(Option::is_some).collect()
    }
}
