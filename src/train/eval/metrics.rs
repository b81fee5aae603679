//! Metrics on out-of-fold predictions, weighted by `sample_weight` where the metric needs it:
//! per-class precision/recall/F1 of a set of calls and average precision, top-k accuracy per gene, and the
//! base model against the meta-model on the same rows.

use serde::Serialize;

use crate::features::SpliceType;
use crate::stats::average_precision_of_groups;
use crate::train::input::source::RowInfo;

/// Per-class figures.
#[derive(Debug, Clone, Serialize)]
pub struct ClassMetrics {
    /// Class name.
    pub class: String,
    /// Precision of the calls (weighted).
    pub precision: f64,
    /// Recall of the calls (weighted).
    pub recall: f64,
    /// F1 of the calls.
    pub f1: f64,
    /// Average precision of P(class) (weighted).
    pub average_precision: f64,
    /// Top-k accuracy per gene, k = the gene's true sites of this class (splice classes only).
    pub top_k_accuracy: Option<f64>,
}

/// Base vs meta for one splice class on the same rows.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Class name.
    pub class: String,
    /// Base-model F1 (weighted).
    pub base_f1: f64,
    /// Meta-model F1 (weighted).
    pub meta_f1: f64,
    /// Base-model false positives (weighted count).
    pub base_fp: f64,
    /// Meta-model false positives (weighted count).
    pub meta_fp: f64,
    /// Base-model false negatives.
    pub base_fn: f64,
    /// Meta-model false negatives.
    pub meta_fn: f64,
    /// Rows the base model got wrong for this class and the meta-model right (weighted).
    pub fixed: f64,
    /// Rows the base model got right and the meta-model wrong (weighted).
    pub introduced: f64,
    /// Base-model average precision (threshold-free, weighted).
    pub base_ap: f64,
    /// Meta-model average precision of its probabilities (threshold-free, weighted).
    pub meta_ap: f64,
}

/// Warnings for every site type whose meta-model F1 is below the base model's on the same
/// held-out rows: `what` names the model ("meta-model", "ensemble"), `advice` says what to try.
pub fn below_base_warnings(comparisons: &[Comparison], what: &str, advice: &str) -> Vec<String> {
    comparisons
        .iter()
        .filter(|c| c.meta_f1 < c.base_f1)
        .map(|c| {
            format!(
                "warning: on held-out genes the {what}'s {} F1 ({:.3}) is below the base model's ({:.3}){}; {advice}",
                c.class,
                c.meta_f1,
                c.base_f1,
                if c.meta_ap < c.base_ap {
                    format!(", and so is its AP ({:.3} against {:.3})", c.meta_ap, c.base_ap)
                } else {
                    String::new()
                }
            )
        })
        .collect()
}

/// Everything measured of one decision rule on the same rows: per-class figures and the
/// comparison with the base model.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// Per-class metrics (neither, donor, acceptor).
    pub classes: Vec<ClassMetrics>,
    /// Against the base model (donor, acceptor).
    pub base_vs_meta: Vec<Comparison>,
}

impl Figures {
    /// The figures of calls `pred` made from probabilities `p` (`n × 3`); the base model calls at
    /// `threshold`.
    pub fn new(p: &[f32], pred: &[u8], info: &RowInfo, threshold: f32) -> Self {
        let classes = class_metrics(p, pred, info);
        let base = [&info.base_donor, &info.base_acceptor];
        let ap = [1usize, 2].map(|c| {
            let y: Vec<bool> = info.label.iter().map(|&l| l as usize == c).collect();
            let base_ap = average_precision(base[c - 1], &y, &info.weight);
            (base_ap, classes[c].average_precision)
        });
        Self {
            base_vs_meta: compare(pred, info, threshold, ap),
            classes,
        }
    }

    /// The figures of other calls `pred` from the same probabilities: the threshold-free ones
    /// (AP, top-k, the base model's AP) are taken from `self`, not computed again.
    pub fn with_calls(&self, pred: &[u8], info: &RowInfo, threshold: f32) -> Self {
        let mut classes = self.classes.clone();
        for (c, m) in classes.iter_mut().enumerate() {
            (m.precision, m.recall, m.f1, _, _) = prf(pred, &info.label, &info.weight, c as u8);
        }
        let ap = [0, 1].map(|i| (self.base_vs_meta[i].base_ap, self.base_vs_meta[i].meta_ap));
        Self {
            base_vs_meta: compare(pred, info, threshold, ap),
            classes,
        }
    }

    /// The meta-model's F1 for splice class `c` (1 donor, 2 acceptor).
    pub fn f1(&self, c: usize) -> f64 {
        self.classes[c].f1
    }
}

/// Argmax class of each row of `p` (`n × 3`).
pub fn argmax(p: &[f32]) -> Vec<u8> {
    p.chunks_exact(3)
        .map(|r| {
            let mut best = 0;
            for c in 1..3 {
                if r[c] > r[best] {
                    best = c;
                }
            }
            best as u8
        })
        .collect()
}

/// The base model's class per row: the higher of donor/acceptor if it reaches `threshold`.
pub fn base_calls(info: &RowInfo, threshold: f32) -> Vec<u8> {
    info.base_donor
        .iter()
        .zip(&info.base_acceptor)
        .map(|(&d, &a)| base_call(d, a, threshold))
        .collect()
}

/// The base model's class of one position with donor score `d` and acceptor score `a`: donor
/// (1) if `d` reaches `threshold` and is at least `a`, else acceptor (2) if `a` reaches it, else
/// neither (0).
pub fn base_call(d: f32, a: f32, threshold: f32) -> u8 {
    if d >= threshold && d >= a {
        1
    } else if a >= threshold {
        2
    } else {
        0
    }
}

fn prf(pred: &[u8], labels: &[u8], w: &[f32], c: u8) -> (f64, f64, f64, f64, f64) {
    let (mut tp, mut fp, mut fnn) = (0.0, 0.0, 0.0);
    for i in 0..labels.len() {
        let wi = f64::from(w[i]);
        match (pred[i] == c, labels[i] == c) {
            (true, true) => tp += wi,
            (true, false) => fp += wi,
            (false, true) => fnn += wi,
            _ => {}
        }
    }
    let p = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
    let r = if tp + fnn > 0.0 { tp / (tp + fnn) } else { 0.0 };
    let f = if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    };
    (p, r, f, fp, fnn)
}

/// Weighted average precision of scores `s` for positives `y` (no curve is kept: this runs on
/// every held-out row of every model).
pub fn average_precision(s: &[f32], y: &[bool], w: &[f32]) -> f64 {
    let mut groups = Vec::new();
    walk_groups(s, y, w, |_, pos, neg| groups.push((pos, neg)));
    average_precision_of_groups(groups.into_iter())
}

/// Weighted precision–recall curve, `(recall, precision)` at each distinct score, descending.
pub fn pr_curve(s: &[f32], y: &[bool], w: &[f32]) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    walk_pr(s, y, w, |_, r, p| out.push((r, p)));
    out
}

/// The score threshold (call when `s ≥ t`) with the highest weighted F1, or `None` when there is
/// no positive. Ties go to the higher threshold (fewer calls).
pub fn best_f1_threshold(s: &[f32], y: &[bool], w: &[f32]) -> Option<f32> {
    let mut best: Option<(f64, f32)> = None;
    walk_pr(s, y, w, |t, r, p| {
        let f1 = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        if best.is_none_or(|(b, _)| f1 > b) {
            best = Some((f1, t));
        }
    });
    best.map(|(_, t)| t)
}

/// Calls `f(score, recall, precision)` at each distinct score, from the highest down (nothing if
/// there is no positive).
fn walk_pr(s: &[f32], y: &[bool], w: &[f32], mut f: impl FnMut(f32, f64, f64)) {
    let total: f64 = (0..s.len())
        .filter(|&i| y[i])
        .map(|i| f64::from(w[i]))
        .sum();
    if total == 0.0 {
        return;
    }
    let (mut tp, mut fp) = (0.0, 0.0);
    walk_ranked(s, |i, last_of_tie| {
        if y[i] {
            tp += f64::from(w[i]);
        } else {
            fp += f64::from(w[i]);
        }
        if last_of_tie {
            f(s[i], tp / total, tp / (tp + fp));
        }
    });
}

/// Calls `f(score, positive weight, negative weight)` for each group of tied scores, from the
/// highest down.
fn walk_groups(s: &[f32], y: &[bool], w: &[f32], mut f: impl FnMut(f32, f64, f64)) {
    let (mut pos, mut neg) = (0.0, 0.0);
    walk_ranked(s, |i, last_of_tie| {
        if y[i] {
            pos += f64::from(w[i]);
        } else {
            neg += f64::from(w[i]);
        }
        if last_of_tie {
            f(s[i], pos, neg);
            (pos, neg) = (0.0, 0.0);
        }
    });
}

/// Calls `f(row, last of its tie)` for every row from the highest score down (ties in row
/// order). Holds one `u32` index per row.
fn walk_ranked(s: &[f32], mut f: impl FnMut(usize, bool)) {
    let mut idx: Vec<u32> = (0..s.len() as u32).collect();
    idx.sort_unstable_by(|&a, &b| s[b as usize].total_cmp(&s[a as usize]).then(a.cmp(&b)));
    for (k, &i) in idx.iter().enumerate() {
        let i = i as usize;
        f(i, k + 1 == idx.len() || s[idx[k + 1] as usize] != s[i]);
    }
}

/// Top-k accuracy per gene for class `c`: over genes, hits among each gene's k best rows.
pub fn top_k(p: &[f32], info: &RowInfo, c: usize) -> f64 {
    let mut hits = 0usize;
    let mut total = 0usize;
    let mut start = 0;
    let n = info.len();
    while start < n {
        let g = info.gene[start];
        let mut end = start;
        while end < n && info.gene[end] == g {
            end += 1;
        }
        let k = (start..end)
            .filter(|&i| info.label[i] as usize == c)
            .count();
        if k > 0 {
            let mut rows: Vec<usize> = (start..end).collect();
            rows.sort_by(|&a, &b| p[b * 3 + c].total_cmp(&p[a * 3 + c]));
            hits += rows[..k]
                .iter()
                .filter(|&&i| info.label[i] as usize == c)
                .count();
            total += k;
        }
        start = end;
    }
    if total == 0 {
        0.0
    } else {
        hits as f64 / total as f64
    }
}

/// All per-class metrics of probabilities `p` (`n × 3`), precision, recall and F1 of the calls
/// `pred` (one class per row).
pub fn class_metrics(p: &[f32], pred: &[u8], info: &RowInfo) -> Vec<ClassMetrics> {
    (0..3)
        .map(|c| {
            let (precision, recall, f1, _, _) = prf(pred, &info.label, &info.weight, c as u8);
            let s: Vec<f32> = p.chunks_exact(3).map(|r| r[c]).collect();
            let y: Vec<bool> = info.label.iter().map(|&l| l as usize == c).collect();
            ClassMetrics {
                class: SpliceType::NAMES[c].into(),
                precision,
                recall,
                f1,
                average_precision: average_precision(&s, &y, &info.weight),
                top_k_accuracy: (c > 0).then(|| top_k(p, info, c)),
            }
        })
        .collect()
}

/// Base vs meta per splice class: the meta-model's calls `meta` against the base model's at
/// `threshold`; `ap` holds each splice class's (base, meta) average precision.
fn compare(meta: &[u8], info: &RowInfo, threshold: f32, ap: [(f64, f64); 2]) -> Vec<Comparison> {
    let base = base_calls(info, threshold);
    (1..3u8)
        .map(|c| {
            let (base_ap, meta_ap) = ap[c as usize - 1];
            let (_, _, bf1, bfp, bfn) = prf(&base, &info.label, &info.weight, c);
            let (_, _, mf1, mfp, mfn) = prf(meta, &info.label, &info.weight, c);
            let (mut fixed, mut introduced) = (0.0, 0.0);
            for i in 0..info.len() {
                let truth = info.label[i] == c;
                let b_ok = (base[i] == c) == truth;
                let m_ok = (meta[i] == c) == truth;
                let w = f64::from(info.weight[i]);
                if !b_ok && m_ok {
                    fixed += w;
                } else if b_ok && !m_ok {
                    introduced += w;
                }
            }
            Comparison {
                class: SpliceType::NAMES[c as usize].into(),
                base_f1: bf1,
                meta_f1: mf1,
                base_fp: bfp,
                meta_fp: mfp,
                base_fn: bfn,
                meta_fn: mfn,
                fixed,
                introduced,
                base_ap,
                meta_ap,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_precision_of_a_perfect_and_a_reversed_ranking() {
        let s = [0.9, 0.8, 0.2, 0.1];
        let w = [1.0; 4];
        assert!((average_precision(&s, &[true, true, false, false], &w) - 1.0).abs() < 1e-12);
        let ap = average_precision(&s, &[false, false, true, true], &w);
        assert!(ap < 0.6, "{ap}");
        // Interleaved: recall 1/2 at precision 1, then 1 at precision 2/3.
        let y = [true, false, true, false];
        let ap = average_precision(&s, &y, &w);
        assert!((ap - (0.5 + 0.5 * 2.0 / 3.0)).abs() < 1e-12, "{ap}");
        // The curve gives the same area.
        let curve = pr_curve(&s, &y, &w);
        assert_eq!(curve.len(), 4);
        let mut prev = 0.0;
        let area: f64 = curve
            .iter()
            .map(|&(r, p)| {
                let a = (r - prev) * p;
                prev = r;
                a
            })
            .sum();
        assert!((area - ap).abs() < 1e-12);
        // Tied scores form one step; a class with no positive has AP 0 and no curve.
        let tied = [0.5f32, 0.5, 0.5, 0.1];
        assert_eq!(pr_curve(&tied, &y, &w).len(), 2);
        assert_eq!(average_precision(&s, &[false; 4], &w), 0.0);
        assert!(pr_curve(&s, &[false; 4], &w).is_empty());
    }
}
