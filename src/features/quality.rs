//! The base model's quality on the genes of a dataset, gathered while the builder scores them:
//! precision and recall of its calls near annotated sites, and the average precision of its
//! exact-position ranking from a score histogram (`summary.json`, `builder`'s table).

use serde::{Deserialize, Serialize};

use super::LabelConfig;
use super::label::{kinds, match_sites};
use crate::basemodel::Scores;
use crate::genome::SiteKind;
use crate::stats::average_precision_of_groups;

/// Bins of the score histogram used for average precision.
pub const QUALITY_BINS: usize = 1000;

/// Base-model quality for one site type, accumulated over positions and genes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeQuality {
    /// Annotated sites.
    pub sites: u64,
    /// Calls (score ≥ threshold).
    pub calls: u64,
    /// Calls within the consensus window of a true site.
    pub true_calls: u64,
    /// Sites with a call within the consensus window.
    pub found_sites: u64,
    /// Per score bin: positions that are true sites.
    pub hist_pos: Vec<u64>,
    /// Per score bin: positions that are not.
    pub hist_neg: Vec<u64>,
}

impl Default for TypeQuality {
    fn default() -> Self {
        Self {
            sites: 0,
            calls: 0,
            true_calls: 0,
            found_sites: 0,
            hist_pos: vec![0; QUALITY_BINS],
            hist_neg: vec![0; QUALITY_BINS],
        }
    }
}

impl TypeQuality {
    /// Adds another gene's figures.
    pub fn merge(&mut self, o: &TypeQuality) {
        self.sites += o.sites;
        self.calls += o.calls;
        self.true_calls += o.true_calls;
        self.found_sites += o.found_sites;
        for (a, b) in self.hist_pos.iter_mut().zip(&o.hist_pos) {
            *a += b;
        }
        for (a, b) in self.hist_neg.iter_mut().zip(&o.hist_neg) {
            *a += b;
        }
    }

    /// Precision at the threshold (calls near a true site / calls).
    pub fn precision(&self) -> f64 {
        ratio(self.true_calls, self.calls)
    }

    /// Recall at the threshold (sites with a call nearby / sites).
    pub fn recall(&self) -> f64 {
        ratio(self.found_sites, self.sites)
    }

    /// F1 at the threshold.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Average precision of the exact-position ranking, from the score histogram
    /// (scores binned at 0.001; positions scoring 0 rank last).
    pub fn average_precision(&self) -> f64 {
        let groups = (0..QUALITY_BINS)
            .rev()
            .map(|b| (self.hist_pos[b] as f64, self.hist_neg[b] as f64));
        average_precision_of_groups(groups)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Base-model quality for both types.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Donor figures.
    pub donor: TypeQuality,
    /// Acceptor figures.
    pub acceptor: TypeQuality,
}

impl Quality {
    /// Adds another gene's figures.
    pub fn merge(&mut self, o: &Quality) {
        self.donor.merge(&o.donor);
        self.acceptor.merge(&o.acceptor);
    }
}

/// The base model's figures on one gene: calls, sites found, and the score histogram of true
/// sites and other positions between `first` and `last`.
pub fn of_gene(
    sites: &[(usize, SiteKind)],
    scores: &Scores,
    first: usize,
    last: usize,
    cfg: &LabelConfig,
) -> Quality {
    let mut q = Quality::default();
    for ((kind, v, _), tq) in kinds(scores)
        .into_iter()
        .zip([&mut q.donor, &mut q.acceptor])
    {
        let m = match_sites(sites, kind, v, (first, last), cfg);
        tq.sites = m.truth.len() as u64;
        tq.calls = m.calls.len() as u64;
        tq.true_calls = m.true_call.iter().filter(|&&t| t).count() as u64;
        tq.found_sites = m.found.iter().filter(|&&f| f).count() as u64;
        for (j, &x) in v.iter().enumerate().take(last + 1).skip(first) {
            let bin = ((x * QUALITY_BINS as f32) as usize).min(QUALITY_BINS - 1);
            if m.truth.binary_search(&j).is_ok() {
                tq.hist_pos[bin] += 1;
            } else {
                tq.hist_neg[bin] += 1;
            }
        }
    }
    q
}
