//! Gene-level folds: every gene in exactly one test fold, seeded, shuffled, balanced by sites.

use serde::{Deserialize, Serialize};

use crate::seed::{Rng, gene_seed};
use crate::train::input::dataset::Dataset;

/// How cross-validation deals genes to folds (`--cv`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cv {
    /// Genes shuffled (seeded) and dealt to folds balanced by sites.
    #[default]
    Genes,
    /// Leave-one-contig-out: each fold's held-out genes are whole contigs (grouped, balanced by
    /// sites, when there are more contigs than folds).
    Chromosome,
}

impl Cv {
    /// Whether this is the default (records leave it out).
    pub fn is_genes(&self) -> bool {
        *self == Cv::Genes
    }
}

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
    /// With `--cv chromosome`: the contigs of each fold's held-out genes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contigs: Vec<Vec<String>>,
    /// Fold of each dataset gene (by index), `None` for genes left out by `--sample-genes` or
    /// `--holdout-contigs`.
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
            contigs: Vec::new(),
            assignment,
        }
    }

    /// Leave-one-contig-out folds (`--cv chromosome`): the contigs of the genes in `universe`,
    /// from the most sites down (ties: name), each dealt to the fold with the fewest sites so far
    /// (ties: fewest genes, then lowest fold); at most `n_folds` folds, one per contig when
    /// there are no more contigs than that. No contig is in two folds.
    pub fn assign_by_contig(ds: &Dataset, n_folds: usize, seed: u64, universe: &[bool]) -> Self {
        let mut contigs: Vec<(&str, u64, usize)> = Vec::new();
        for (g, _) in ds.genes.iter().zip(universe).filter(|(_, u)| **u) {
            match contigs.iter_mut().find(|c| c.0 == g.contig) {
                Some(c) => {
                    c.1 += g.sites;
                    c.2 += 1;
                }
                None => contigs.push((g.contig.as_str(), g.sites, 1)),
            }
        }
        contigs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let n_folds = n_folds.clamp(1, contigs.len().max(1));
        let mut sites = vec![0u64; n_folds];
        let mut sizes = vec![0usize; n_folds];
        let mut members: Vec<Vec<String>> = vec![Vec::new(); n_folds];
        for &(name, s, n) in &contigs {
            let f = (0..n_folds)
                .min_by_key(|&f| (sites[f], sizes[f], f))
                .unwrap_or(0);
            sites[f] += s;
            sizes[f] += n;
            members[f].push(name.to_string());
        }
        let fold_of = |contig: &str| members.iter().position(|m| m.iter().any(|c| c == contig));
        let assignment: Vec<Option<usize>> = (ds.genes.iter().zip(universe))
            .map(|(g, &u)| if u { fold_of(&g.contig) } else { None })
            .collect();
        Self {
            n_folds,
            seed,
            genes: (ds.genes.iter().zip(&assignment))
                .filter_map(|(g, f)| f.map(|f| (g.id.clone(), f)))
                .collect(),
            sites,
            sizes,
            contigs: members,
            assignment,
        }
    }

    /// The number of contigs among the genes of `universe`: the most folds `--cv chromosome`
    /// can make.
    pub fn contig_count(ds: &Dataset, universe: &[bool]) -> usize {
        let mut seen: Vec<&str> = Vec::new();
        for (g, _) in ds.genes.iter().zip(universe).filter(|(_, u)| **u) {
            if !seen.contains(&g.contig.as_str()) {
                seen.push(&g.contig);
            }
        }
        seen.len()
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
