//! The built-in base model: first-order Markov (weight-array) models of donor and acceptor
//! windows against decoy candidates, turned into probabilities by logistic calibration.
//!
//! * Donor candidates: positions whose next two bases (gene orientation) are GT, GC or AT;
//!   window −2..+6 around the site (the last 3 exonic and first 6 intronic bases).
//! * Acceptor candidates: positions preceded by AG or AC; window −20..+2 (20 intronic bases with
//!   the polypyrimidine tract, the first 3 exonic ones).
//!
//! The model is fitted only on *reserved* genes, chosen by a hash of the gene id
//! ([`is_reserved`]); the builder never makes rows from them. It is a realistic base model:
//! much better than chance, far from perfect — it knows nothing beyond ±20 nt, which is what
//! leaves false positives and false negatives for the meta-model to correct.

use serde::{Deserialize, Serialize};

use super::{Error, ScoreSource, Scores};
use crate::genome::{Gene, GeneRegion, SiteKind};
use crate::stats::fit_logistic;

/// Version of the model format and of its training procedure.
pub const MODEL_VERSION: u32 = 1;

/// Whether gene `id` is reserved for training the built-in model (`fraction` of genes, by a
/// hash of the id that depends on nothing else).
pub fn is_reserved(id: &str, fraction: f64) -> bool {
    crate::seed::in_fraction(0, "basemodel-reserve", id, fraction)
}

fn code(b: u8) -> Option<usize> {
    match b {
        b'A' => Some(0),
        b'C' => Some(1),
        b'G' => Some(2),
        b'T' => Some(3),
        _ => None,
    }
}

/// Log-probabilities of a first-order Markov chain over a fixed-length window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkovTable {
    /// `ln P(x_0)`, 4 values (A C G T).
    pub first: Vec<f64>,
    /// For each later position, `ln P(x_i | x_{i-1})` as 16 values (row = previous base).
    pub transitions: Vec<Vec<f64>>,
}

impl MarkovTable {
    fn from_windows(windows: &[Vec<u8>], len: usize) -> Self {
        const PSEUDO: f64 = 1.0;
        let mut first = [PSEUDO; 4];
        let mut trans = vec![[PSEUDO; 16]; len.saturating_sub(1)];
        for w in windows {
            first[w[0] as usize] += 1.0;
            for i in 1..len {
                trans[i - 1][(w[i - 1] as usize) * 4 + w[i] as usize] += 1.0;
            }
        }
        let total: f64 = first.iter().sum();
        let first = first.iter().map(|c| (c / total).ln()).collect();
        let transitions = trans
            .iter()
            .map(|t| {
                let mut row = Vec::with_capacity(16);
                for prev in 0..4 {
                    let s: f64 = t[prev * 4..prev * 4 + 4].iter().sum();
                    row.extend(t[prev * 4..prev * 4 + 4].iter().map(|c| (c / s).ln()));
                }
                row
            })
            .collect();
        Self { first, transitions }
    }

    fn log_prob(&self, w: &[u8]) -> f64 {
        let mut lp = self.first[w[0] as usize];
        for (i, t) in self.transitions.iter().enumerate() {
            lp += t[(w[i] as usize) * 4 + w[i + 1] as usize];
        }
        lp
    }
}

/// One site type's model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteModel {
    /// Bases of the window before the site position.
    pub before: usize,
    /// Bases of the window after the site position.
    pub after: usize,
    /// Chain of true sites.
    pub site: MarkovTable,
    /// Chain of decoy candidates.
    pub decoy: MarkovTable,
    /// Logistic calibration: `P = 1 / (1 + exp(-(slope · LLR + intercept)))`.
    pub slope: f64,
    /// See `slope`.
    pub intercept: f64,
    /// True sites it was fitted on.
    pub positives: usize,
    /// Decoy candidates it was fitted on.
    pub decoys: usize,
}

fn is_candidate(kind: SiteKind, seq: &[u8], j: usize) -> bool {
    match kind {
        SiteKind::Donor => {
            j + 2 < seq.len()
                && matches!((seq[j + 1], seq[j + 2]), (b'G', b'T' | b'C') | (b'A', b'T'))
        }
        SiteKind::Acceptor => j >= 2 && matches!((seq[j - 2], seq[j - 1]), (b'A', b'G' | b'C')),
    }
}

fn window(seq: &[u8], j: usize, before: usize, after: usize, out: &mut Vec<u8>) -> bool {
    out.clear();
    if j < before || j + after >= seq.len() {
        return false;
    }
    for &b in &seq[j - before..=j + after] {
        match code(b) {
            Some(c) => out.push(c as u8),
            None => return false,
        }
    }
    true
}

impl SiteModel {
    fn llr(&self, w: &[u8]) -> f64 {
        self.site.log_prob(w) - self.decoy.log_prob(w)
    }

    fn prob(&self, llr: f64) -> f64 {
        1.0 / (1.0 + (-(self.slope * llr + self.intercept)).exp())
    }

    fn score_into(&self, kind: SiteKind, seq: &[u8], out: &mut [f32]) {
        let mut w = Vec::with_capacity(self.before + self.after + 1);
        for (j, o) in out.iter_mut().enumerate() {
            if is_candidate(kind, seq, j) && window(seq, j, self.before, self.after, &mut w) {
                *o = self.prob(self.llr(&w)) as f32;
            }
        }
    }
}

/// Windows collected for one site type while training.
struct SiteTrainer {
    kind: SiteKind,
    before: usize,
    after: usize,
    sites: Vec<Vec<u8>>,
    decoys: Vec<Vec<u8>>,
}

impl SiteTrainer {
    fn new(kind: SiteKind, before: usize, after: usize) -> Self {
        Self {
            kind,
            before,
            after,
            sites: Vec::new(),
            decoys: Vec::new(),
        }
    }

    fn add(&mut self, region: &GeneRegion, true_sites: &[usize]) {
        let mut w = Vec::new();
        for j in region.gene_first..=region.gene_last.min(region.len().saturating_sub(1)) {
            if !is_candidate(self.kind, &region.seq, j)
                || !window(&region.seq, j, self.before, self.after, &mut w)
            {
                continue;
            }
            if true_sites.binary_search(&j).is_ok() {
                self.sites.push(w.clone());
            } else {
                self.decoys.push(w.clone());
            }
        }
    }

    fn finish(self) -> Result<SiteModel, Error> {
        const MIN_SITES: usize = 10;
        if self.sites.len() < MIN_SITES || self.decoys.is_empty() {
            return Err(Error::NotEnoughTraining {
                sites: self.sites.len(),
            });
        }
        let len = self.before + self.after + 1;
        let mut model = SiteModel {
            before: self.before,
            after: self.after,
            site: MarkovTable::from_windows(&self.sites, len),
            decoy: MarkovTable::from_windows(&self.decoys, len),
            slope: 1.0,
            intercept: 0.0,
            positives: self.sites.len(),
            decoys: self.decoys.len(),
        };
        let xs: Vec<(f64, f64, f64)> = self
            .sites
            .iter()
            .map(|w| (model.llr(w), 1.0, 1.0))
            .chain(self.decoys.iter().map(|w| (model.llr(w), 0.0, 1.0)))
            .collect();
        let (slope, intercept) = fit_logistic(&xs);
        model.slope = slope;
        model.intercept = intercept;
        Ok(model)
    }
}

/// The file a dataset (and a model trained on it) keeps the built-in base model in.
pub const BASEMODEL_JSON: &str = "basemodel.json";

/// The built-in base model, as saved with a dataset (`basemodel.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuiltinModel {
    /// [`MODEL_VERSION`] at training time.
    pub version: u32,
    /// Fraction of genes reserved for training.
    pub reserve_fraction: f64,
    /// Ids of the reserved genes that were used (those with introns), sorted.
    pub reserved_genes: Vec<String>,
    /// Donor model.
    pub donor: SiteModel,
    /// Acceptor model.
    pub acceptor: SiteModel,
}

/// Collects training windows gene by gene, then fits a [`BuiltinModel`].
pub struct Trainer {
    donor: SiteTrainer,
    acceptor: SiteTrainer,
    genes: Vec<String>,
    reserve_fraction: f64,
}

impl Trainer {
    /// A trainer for genes reserved at `reserve_fraction`.
    pub fn new(reserve_fraction: f64) -> Self {
        Self {
            donor: SiteTrainer::new(SiteKind::Donor, 2, 6),
            acceptor: SiteTrainer::new(SiteKind::Acceptor, 20, 2),
            genes: Vec::new(),
            reserve_fraction,
        }
    }

    /// Adds one reserved gene.
    pub fn add_gene(&mut self, gene: &Gene, region: &GeneRegion) {
        let sites = region.sites(gene);
        let of = |k: SiteKind| -> Vec<usize> {
            sites.iter().filter(|s| s.1 == k).map(|s| s.0).collect()
        };
        self.donor.add(region, &of(SiteKind::Donor));
        self.acceptor.add(region, &of(SiteKind::Acceptor));
        self.genes.push(gene.id.clone());
    }

    /// Fits the model.
    pub fn finish(mut self) -> Result<BuiltinModel, Error> {
        self.genes.sort();
        Ok(BuiltinModel {
            version: MODEL_VERSION,
            reserve_fraction: self.reserve_fraction,
            reserved_genes: self.genes,
            donor: self.donor.finish()?,
            acceptor: self.acceptor.finish()?,
        })
    }
}

impl ScoreSource for BuiltinModel {
    fn score(&self, _gene: &Gene, region: &GeneRegion) -> Scores {
        let mut s = Scores::zeros(region.len());
        self.donor
            .score_into(SiteKind::Donor, &region.seq, &mut s.donor);
        self.acceptor
            .score_into(SiteKind::Acceptor, &region.seq, &mut s.acceptor);
        s.normalise();
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_follow_the_dinucleotides() {
        let seq = b"CAGGTAAGT";
        assert!(is_candidate(SiteKind::Donor, seq, 2)); // G|GT
        assert!(!is_candidate(SiteKind::Donor, seq, 3));
        assert!(is_candidate(SiteKind::Acceptor, seq, 3)); // AG|G
        assert!(!is_candidate(SiteKind::Acceptor, seq, 1));
        assert!(!is_candidate(SiteKind::Donor, seq, 8));
        // GC and AT donors, AC acceptors (U12 AT-AC introns) are candidates too; others are not.
        assert!(is_candidate(SiteKind::Donor, b"AGCA", 0));
        assert!(is_candidate(SiteKind::Donor, b"AATA", 0));
        assert!(!is_candidate(SiteKind::Donor, b"AAGA", 0));
        assert!(is_candidate(SiteKind::Acceptor, b"ACG", 2));
        assert!(!is_candidate(SiteKind::Acceptor, b"GGG", 2));
    }

    #[test]
    fn reservation_is_a_stable_fraction() {
        let ids: Vec<String> = (0..10_000).map(|i| format!("gene{i}")).collect();
        let n = ids.iter().filter(|id| is_reserved(id, 0.1)).count();
        // Pinned (an independent Python implementation gives the same): a change would move
        // genes between the base model's training set and the dataset.
        assert_eq!(n, 1019);
        let first: Vec<&str> = ids[..40]
            .iter()
            .filter(|id| is_reserved(id, 0.1))
            .map(String::as_str)
            .collect();
        assert_eq!(first, ["gene0", "gene3", "gene21", "gene36"]);
        assert!(
            ids.iter()
                .filter(|id| is_reserved(id, 0.1))
                .all(|id| is_reserved(id, 0.2))
        );
    }
}
