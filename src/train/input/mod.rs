//! The training input: a builder dataset opened and verified, its rows streamed batch by batch
//! from Parquet, and the seeded gene samples drawn from it.

pub mod dataset;
pub mod source;

use self::dataset::Dataset;

/// The genes taking part: all, or a sample of `n` ranked by a hash of `(seed, gene id)` — so a
/// gene's inclusion depends on nothing else, and the sample spans every part file.
pub fn sample_genes(ds: &Dataset, n: Option<usize>, seed: u64) -> Vec<bool> {
    match n {
        Some(n) if n < ds.genes.len() => {
            let mut keep = vec![false; ds.genes.len()];
            for i in hashed_sample(ds, 0..ds.genes.len(), n, seed, "sample-genes") {
                keep[i] = true;
            }
            keep
        }
        _ => vec![true; ds.genes.len()],
    }
}

/// The first `n` of the genes `among` (indices into `ds.genes`) ranked by a hash of
/// `(seed, purpose, gene id)`, in that order.
pub(crate) fn hashed_sample(
    ds: &Dataset,
    among: impl Iterator<Item = usize>,
    n: usize,
    seed: u64,
    purpose: &str,
) -> Vec<usize> {
    let mut ranked: Vec<(u64, usize)> = among
        .map(|i| (crate::seed::gene_seed(seed, purpose, &ds.genes[i].id), i))
        .collect();
    ranked.sort_unstable();
    ranked.into_iter().take(n).map(|(_, i)| i).collect()
}
