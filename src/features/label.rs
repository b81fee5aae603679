//! Labels and classes of the positions of one gene, and seeded negative sampling.
//!
//! A *call* is a position scoring ≥ `threshold` for a site type. Per type: a call within
//! ±`consensus_window` of a true site of that type is TP (and so is the site it found); a true
//! site with no call that close is FN; any other call is FP; everything else is TN. The donor and
//! acceptor verdicts merge per position with priority TP > FN > FP > TN.

use serde::{Deserialize, Serialize};

use crate::basemodel::Scores;
use crate::genome::SiteKind;
use crate::seed::{Rng, gene_seed};

/// The annotated site type at a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SpliceType {
    /// Not a splice site.
    Neither = 0,
    /// Donor site.
    Donor = 1,
    /// Acceptor site.
    Acceptor = 2,
}

impl SpliceType {
    /// Every class, in index order: the order of the probability columns (neither, donor,
    /// acceptor) and of the label indices 0, 1, 2.
    pub const ALL: [SpliceType; 3] = [SpliceType::Neither, SpliceType::Donor, SpliceType::Acceptor];

    /// Their spellings, in index order.
    pub const NAMES: [&'static str; 3] = [
        SpliceType::Neither.as_str(),
        SpliceType::Donor.as_str(),
        SpliceType::Acceptor.as_str(),
    ];

    /// The class of label index `i` (0, 1 or 2).
    pub fn of_index(i: u8) -> Self {
        Self::ALL[usize::from(i)]
    }

    /// The dataset's spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            SpliceType::Neither => "neither",
            SpliceType::Donor => "donor",
            SpliceType::Acceptor => "acceptor",
        }
    }

    /// Parses the dataset's spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// The base model's verdict at a position; the order is the merge priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PredType {
    /// True negative.
    TN = 0,
    /// False positive.
    FP = 1,
    /// False negative.
    FN = 2,
    /// True positive.
    TP = 3,
}

impl PredType {
    /// The dataset's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PredType::TN => "TN",
            PredType::FP => "FP",
            PredType::FN => "FN",
            PredType::TP => "TP",
        }
    }
}

/// Labelling and sampling settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelConfig {
    /// Score at which a position is a call.
    pub threshold: f32,
    /// A call this close (nt) to a true site of its type is a TP.
    pub consensus_window: usize,
    /// TNs scoring at least this (either type) are kept as hard negatives.
    pub hard_prob: f32,
    /// TNs within this many nt of a non-TN row of the same gene are kept.
    pub window: usize,
    /// Easy TNs kept per non-TN row.
    pub easy_ratio: f64,
    /// Keep every position (no TN sampling).
    pub keep_all: bool,
}

impl Default for LabelConfig {
    fn default() -> Self {
        Self {
            threshold: 0.5,
            consensus_window: 2,
            hard_prob: 0.15,
            window: 75,
            easy_ratio: 0.5,
            keep_all: false,
        }
    }
}

/// Labels of the positions `first..=last` of a region (index 0 = `first`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    /// Annotated site type.
    pub splice: Vec<SpliceType>,
    /// Merged verdict.
    pub pred: Vec<PredType>,
}

/// One site kind's true sites in `first..=last` and the base model's calls there (score at or
/// above the threshold), each matched within the consensus window: what the labels and the
/// base model's quality figures share.
pub struct Matched {
    /// True sites, ascending.
    pub truth: Vec<usize>,
    /// Whether each true site has a call within the window.
    pub found: Vec<bool>,
    /// Calls, ascending.
    pub calls: Vec<usize>,
    /// Whether each call has a true site within the window.
    pub true_call: Vec<bool>,
}

/// [`Matched`] for sites of `kind` (from `sites`: local index and kind, sorted) with `score`.
pub fn match_sites(
    sites: &[(usize, SiteKind)],
    kind: SiteKind,
    score: &[f32],
    (first, last): (usize, usize),
    cfg: &LabelConfig,
) -> Matched {
    let w = cfg.consensus_window;
    let near = |sorted: &[usize], j: usize| -> bool {
        let lo = sorted.partition_point(|&x| x + w < j);
        lo < sorted.len() && sorted[lo] <= j + w
    };
    let truth: Vec<usize> = (sites.iter())
        .filter(|s| s.1 == kind && (first..=last).contains(&s.0))
        .map(|s| s.0)
        .collect();
    let calls: Vec<usize> = (first..=last)
        .filter(|&j| score[j] >= cfg.threshold)
        .collect();
    Matched {
        found: truth.iter().map(|&t| near(&calls, t)).collect(),
        true_call: calls.iter().map(|&c| near(&truth, c)).collect(),
        truth,
        calls,
    }
}

/// The two site kinds with their scores and the class they label.
pub(crate) fn kinds(scores: &Scores) -> [(SiteKind, &[f32], SpliceType); 2] {
    [
        (SiteKind::Donor, &scores.donor, SpliceType::Donor),
        (SiteKind::Acceptor, &scores.acceptor, SpliceType::Acceptor),
    ]
}

/// Labels positions `first..=last` given the true `sites` (local index, kind, sorted).
pub fn classify(
    sites: &[(usize, SiteKind)],
    scores: &Scores,
    first: usize,
    last: usize,
    cfg: &LabelConfig,
) -> Labels {
    let n = last + 1 - first;
    let mut splice = vec![SpliceType::Neither; n];
    let mut pred = vec![PredType::TN; n];
    for (kind, score, st) in kinds(scores) {
        let m = match_sites(sites, kind, score, (first, last), cfg);
        for &t in &m.truth {
            splice[t - first] = st;
        }
        let mut set = |j: usize, p: PredType| {
            let slot = &mut pred[j - first];
            if p > *slot {
                *slot = p;
            }
        };
        for (&c, &tp) in m.calls.iter().zip(&m.true_call) {
            set(c, if tp { PredType::TP } else { PredType::FP });
        }
        for (&t, &found) in m.truth.iter().zip(&m.found) {
            set(t, if found { PredType::TP } else { PredType::FN });
        }
    }
    Labels { splice, pred }
}

/// The rows kept from one gene: indices into the labelled range and their weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Kept indices (0 = `first`), ascending.
    pub kept: Vec<usize>,
    /// Sample weight of each kept row.
    pub weights: Vec<f32>,
}

/// Keeps every non-TN row; TNs that are hard (max score ≥ `hard_prob`) or within `window` nt of a
/// non-TN row; and `easy_ratio` × (non-TN rows) easy TNs drawn with a generator seeded from
/// `(seed, gene_id)` only, weighted by their inverse keep-probability.
pub fn sample(
    labels: &Labels,
    scores: &Scores,
    first: usize,
    cfg: &LabelConfig,
    seed: u64,
    gene_id: &str,
) -> Sample {
    let n = labels.pred.len();
    if cfg.keep_all {
        return Sample {
            kept: (0..n).collect(),
            weights: vec![1.0; n],
        };
    }
    let non_tn: Vec<usize> = (0..n).filter(|&i| labels.pred[i] != PredType::TN).collect();
    let mut keep = vec![false; n];
    for &i in &non_tn {
        let lo = i.saturating_sub(cfg.window);
        let hi = (i + cfg.window).min(n - 1);
        keep[lo..=hi].iter_mut().for_each(|k| *k = true);
    }
    for (i, k) in keep.iter_mut().enumerate() {
        let j = first + i;
        if scores.donor[j].max(scores.acceptor[j]) >= cfg.hard_prob {
            *k = true;
        }
    }
    let pool: Vec<usize> = (0..n).filter(|&i| !keep[i]).collect();
    let want = ((cfg.easy_ratio * non_tn.len() as f64).round() as usize).min(pool.len());
    let mut weights = vec![1.0f32; n];
    if want > 0 {
        let mut pool = pool;
        let mut rng = Rng::new(gene_seed(seed, "tn-sample", gene_id));
        for i in 0..want {
            let j = i + rng.below((pool.len() - i) as u64) as usize;
            pool.swap(i, j);
        }
        let w = (pool.len() as f64 / want as f64) as f32;
        for &i in &pool[..want] {
            keep[i] = true;
            weights[i] = w;
        }
    }
    let kept: Vec<usize> = (0..n).filter(|&i| keep[i]).collect();
    let weights = kept.iter().map(|&i| weights[i]).collect();
    Sample { kept, weights }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(n: usize, donor: &[(usize, f32)], acceptor: &[(usize, f32)]) -> Scores {
        let mut s = Scores::zeros(n);
        for &(j, v) in donor {
            s.donor[j] = v;
        }
        for &(j, v) in acceptor {
            s.acceptor[j] = v;
        }
        s
    }

    fn cfg() -> LabelConfig {
        LabelConfig::default()
    }

    #[test]
    fn tp_fp_fn_tn_and_consensus_window() {
        // donor sites at 10 and 30; calls at 12 (within 2 of 10), 20 (far) ; 30 not called.
        let sites = [(10, SiteKind::Donor), (30, SiteKind::Donor)];
        let s = scores(50, &[(12, 0.9), (20, 0.7), (33, 0.6)], &[]);
        let l = classify(&sites, &s, 0, 49, &cfg());
        assert_eq!(l.pred[12], PredType::TP);
        assert_eq!(l.pred[10], PredType::TP, "the site a call found is TP");
        assert_eq!(l.splice[10], SpliceType::Donor);
        assert_eq!(l.splice[12], SpliceType::Neither);
        assert_eq!(l.pred[20], PredType::FP);
        assert_eq!(
            l.pred[33],
            PredType::FP,
            "3 nt away is outside the window of 2"
        );
        assert_eq!(l.pred[30], PredType::FN);
        assert_eq!(l.pred[0], PredType::TN);
    }

    #[test]
    fn merge_priority_is_tp_fn_fp_tn() {
        // Position 5 is a true acceptor without a call (FN) and a donor call near no donor (FP):
        // FN wins. Position 8 is a donor TP and an acceptor FP: TP wins.
        let sites = [(5, SiteKind::Acceptor), (8, SiteKind::Donor)];
        let s = scores(20, &[(5, 0.8), (8, 0.9)], &[(8, 0.6)]);
        let l = classify(&sites, &s, 0, 19, &cfg());
        assert_eq!(l.pred[5], PredType::FN);
        assert_eq!(l.pred[8], PredType::TP);
    }

    #[test]
    fn sites_at_range_ends_and_offset_ranges() {
        // The labelled range is 100..=120 of a larger region; sites on its first and last base.
        let sites = [
            (100, SiteKind::Acceptor),
            (120, SiteKind::Donor),
            (130, SiteKind::Donor),
        ];
        let s = scores(140, &[(120, 0.95), (121, 0.99)], &[]);
        let l = classify(&sites, &s, 100, 120, &cfg());
        assert_eq!(l.pred.len(), 21);
        assert_eq!(
            (l.splice[0], l.pred[0]),
            (SpliceType::Acceptor, PredType::FN)
        );
        assert_eq!(
            (l.splice[20], l.pred[20]),
            (SpliceType::Donor, PredType::TP)
        );
        // the call at 121 lies outside the range and is ignored; site 130 too.
    }

    #[test]
    fn overlapping_windows_and_sampling_are_seeded_per_gene() {
        let sites = [(100, SiteKind::Donor), (150, SiteKind::Donor)];
        let s = scores(2000, &[(100, 0.9), (900, 0.2)], &[]);
        let l = classify(&sites, &s, 0, 1999, &cfg());
        let a = sample(&l, &s, 0, &cfg(), 42, "g1");
        // non-TN: 100 (TP), 150 (FN); windows ±75 overlap: 25..=225 kept once each.
        assert!((25..=225).all(|i| a.kept.contains(&i)));
        assert!(a.kept.contains(&900), "hard TN kept");
        let easy: Vec<_> = a
            .kept
            .iter()
            .zip(&a.weights)
            .filter(|(_, w)| **w > 1.0)
            .collect();
        assert_eq!(easy.len(), 1, "0.5 × 2 non-TN rows");
        assert_eq!(a, sample(&l, &s, 0, &cfg(), 42, "g1"));
        assert_ne!(a, sample(&l, &s, 0, &cfg(), 7, "g1"));
        let all = sample(
            &l,
            &s,
            0,
            &LabelConfig {
                keep_all: true,
                ..cfg()
            },
            42,
            "g1",
        );
        assert_eq!(all.kept.len(), 2000);
    }
}
