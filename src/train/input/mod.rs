//! The training input: a builder dataset opened and verified, its rows streamed batch by batch
//! from Parquet, and the seeded gene samples drawn from it.

pub(crate) mod dataset;
pub(crate) mod source;

use self::dataset::Dataset;

/// The genes taking part: all, or a sample of `n` ranked by a hash of `(seed, gene id)` — so a
/// gene's inclusion depends on nothing else, and the sample spans every part file.
pub fn sample_genes(ds: &Dataset, n: Option<usize>, seed: u64) -> Vec<bool> {
    let eligible = (0..ds.genes.len()).filter(|&g| !ds.held_out[g]);
    match n {
        Some(n) if n < eligible.clone().count() => {
            let sample = hashed_sample(ds, eligible, n, seed, "sample-genes");
            mask(ds.genes.len(), &sample)
        }
        _ => ds.held_out.iter().map(|h| !h).collect(),
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
    let among: Vec<usize> = among.collect();
    let ids = among.iter().map(|&i| ds.genes[i].id.as_str());
    (crate::seed::hashed_order(seed, purpose, ids).into_iter())
        .take(n)
        .map(|k| among[k])
        .collect()
}

/// A gene mask of `genes` (indices) among `n` genes.
pub fn mask(n: usize, genes: &[usize]) -> Vec<bool> {
    let mut m = vec![false; n];
    for &g in genes {
        m[g] = true;
    }
    m
}
