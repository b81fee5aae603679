//! The every-base metrics of one score column against one site type: top-k accuracy, average
//! precision (the one formula, [`average_precision_of_groups`]) and a bounded precision–recall
//! curve, all from one ranking; and precision, recall and F1 of a set of calls, counted as the
//! rows stream by.
//!
//! The ranking: every row by score, highest first, ties in table order (a stable sort). Top-k
//! takes the first k rows of it, so among tied scores the earlier rows of the table count;
//! average precision groups tied scores (scikit-learn's `average_precision_score`), so it does
//! not depend on the order of ties at all. The ranking holds one `u32` per row while it lives.

use serde::{Deserialize, Serialize};

use crate::stats::average_precision_of_groups;

/// The most points a precision–recall curve keeps.
pub const CURVE_POINTS: usize = 500;

/// What one model's scores say of one site type, without a threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// Hits among the first k ranked rows over k (k = the true sites); `None` without any.
    pub top_k: Option<f64>,
    /// Average precision over every row (0 without a true site).
    pub average_precision: f64,
    /// `(recall, precision)` after each group of tied scores, from the highest down, thinned
    /// to at most [`CURVE_POINTS`] points (the first and the last kept).
    pub curve: Vec<(f64, f64)>,
}

/// The row order from the highest score down, ties in row order (what a stable sort gives).
pub fn ranking(scores: &[f32]) -> Vec<u32> {
    let mut idx: Vec<u32> = (0..scores.len() as u32).collect();
    idx.sort_unstable_by(|&a, &b| {
        scores[b as usize]
            .total_cmp(&scores[a as usize])
            .then(a.cmp(&b))
    });
    idx
}

/// Top-k of `scores` for the rows where `truth` holds: k = how many do; the fraction of the k
/// best-ranked rows (ties in row order) that are true. `None` when k = 0.
pub fn top_k(scores: &[f32], truth: impl Fn(usize) -> bool) -> Option<f64> {
    let k = (0..scores.len()).filter(|&i| truth(i)).count();
    if k == 0 {
        return None;
    }
    let order = ranking(scores);
    let hits = order[..k].iter().filter(|&&i| truth(i as usize)).count();
    Some(hits as f64 / k as f64)
}

/// Top-k, average precision and the PR curve of `scores` for the rows where `truth` holds.
pub fn ranked(scores: &[f32], truth: impl Fn(usize) -> bool + Copy) -> Ranked {
    let order = ranking(scores);
    let k = (0..scores.len()).filter(|&i| truth(i)).count();
    let top_k = (k > 0).then(|| {
        let hits = order[..k].iter().filter(|&&i| truth(i as usize)).count();
        hits as f64 / k as f64
    });
    let groups = Groups {
        order: &order,
        scores,
        truth,
        at: 0,
    };
    let average_precision = average_precision_of_groups(groups.clone());
    Ranked {
        top_k,
        average_precision,
        curve: curve(groups, k),
    }
}

/// The ranking's groups of tied scores, each as (true rows, other rows), from the highest
/// score down; cloning restarts nothing (it copies the position).
#[derive(Clone)]
struct Groups<'a, F> {
    order: &'a [u32],
    scores: &'a [f32],
    truth: F,
    at: usize,
}

impl<F: Fn(usize) -> bool> Iterator for Groups<'_, F> {
    type Item = (f64, f64);

    fn next(&mut self) -> Option<(f64, f64)> {
        let first = *self.order.get(self.at)? as usize;
        let score = self.scores[first];
        let (mut pos, mut neg) = (0.0, 0.0);
        while let Some(&i) = self.order.get(self.at) {
            let i = i as usize;
            if self.scores[i].total_cmp(&score).is_ne() {
                break;
            }
            if (self.truth)(i) {
                pos += 1.0;
            } else {
                neg += 1.0;
            }
            self.at += 1;
        }
        Some((pos, neg))
    }
}

/// `(recall, precision)` after each group, keeping a point only once recall has grown by
/// 1/(CURVE_POINTS − 2) since the last kept one (the first and last points always): at most
/// [`CURVE_POINTS`] points. Empty without a true row.
fn curve(groups: impl Iterator<Item = (f64, f64)>, k: usize) -> Vec<(f64, f64)> {
    if k == 0 {
        return Vec::new();
    }
    let step = 1.0 / (CURVE_POINTS - 2) as f64;
    let total = k as f64;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut out: Vec<(f64, f64)> = Vec::new();
    let mut pending = None;
    for (p, n) in groups {
        tp += p;
        fp += n;
        let point = (tp / total, tp / (tp + fp));
        match out.last() {
            Some(&(r, _)) if point.0 - r < step => pending = Some(point),
            _ => {
                out.push(point);
                pending = None;
            }
        }
    }
    out.extend(pending);
    out
}

/// Counts of a set of calls against the truth, for one site type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calls {
    /// Called and true.
    pub tp: u64,
    /// Called, not true.
    pub fp: u64,
    /// True, not called.
    pub fn_: u64,
}

impl Calls {
    /// Counts one row: whether it was called this type, and whether it truly is.
    pub fn add(&mut self, called: bool, truth: bool) {
        match (called, truth) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => {}
        }
    }

    /// Precision, recall and F1 (each 0 where its denominator is: scikit-learn's
    /// `zero_division=0`).
    pub fn prf(&self) -> (f64, f64, f64) {
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let p = ratio(self.tp, self.tp + self.fp);
        let r = ratio(self.tp, self.tp + self.fn_);
        let f = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        (p, r, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_breaks_ties_by_table_order() {
        // Two true sites (rows 1 and 3); rows 0–3 all tie at the top: the first two rows of
        // the table are taken, so one hit of two.
        let s = [0.9f32, 0.9, 0.9, 0.9, 0.1];
        let truth = |i: usize| i == 1 || i == 3;
        assert_eq!(top_k(&s, truth), Some(0.5));
        assert_eq!(ranked(&s, truth).top_k, Some(0.5));
        // The true rows first in the table: both taken.
        let truth = |i: usize| i == 0 || i == 1;
        assert_eq!(top_k(&s, truth), Some(1.0));
        // A lower score after a tie never jumps ahead; no true row: no top-k.
        assert_eq!(ranking(&[0.2, 0.5, 0.5, 0.7]), [3, 1, 2, 0]);
        assert_eq!(top_k(&s, |_| false), None);
    }

    #[test]
    fn average_precision_by_hand() {
        // Scores 0.8 (true), 0.6 (false), 0.6 (true), 0.3 (false), 0.1 (true): the groups are
        // {0.8: 1 true}, {0.6: 1 true, 1 false}, {0.3: 1 false}, {0.1: 1 true}. AP =
        // 1/3·1 + 1/3·(2/3) + 1/3·(3/5) = (1 + 2/3 + 3/5)/3.
        let s = [0.6f32, 0.8, 0.1, 0.6, 0.3];
        let y = [false, true, true, true, false];
        let r = ranked(&s, |i| y[i]);
        let want = (1.0 + 2.0 / 3.0 + 3.0 / 5.0) / 3.0;
        assert!((r.average_precision - want).abs() < 1e-15, "{r:?}");
        // top-k, k = 3: rows 1, 0, 3 (0.6s in table order): 2 hits.
        assert_eq!(r.top_k, Some(2.0 / 3.0));
        assert_eq!(
            r.curve,
            [(1.0 / 3.0, 1.0), (2.0 / 3.0, 2.0 / 3.0), (1.0, 0.6)],
            "the point of the 0.3 group adds no recall and is thinned away"
        );
        // No true row: AP 0, no curve.
        let none = ranked(&s, |_| false);
        assert_eq!((none.average_precision, none.curve.len()), (0.0, 0));
    }

    #[test]
    fn the_curve_is_bounded_and_ends_at_full_recall() {
        let n = 20_000;
        let s: Vec<f32> = (0..n).map(|i| (i as f32 * 0.618).fract()).collect();
        let r = ranked(&s, |i| i % 3 == 0);
        assert!(r.curve.len() <= CURVE_POINTS, "{}", r.curve.len());
        assert!(r.curve.len() > CURVE_POINTS / 2, "{}", r.curve.len());
        assert_eq!(r.curve.last().map(|p| p.0), Some(1.0));
        assert!(r.curve.windows(2).all(|w| w[0].0 <= w[1].0));
    }

    #[test]
    fn precision_recall_and_f1_of_calls() {
        let mut c = Calls::default();
        for (called, truth) in [(true, true), (true, false), (false, true), (false, true)] {
            c.add(called, truth);
        }
        let (p, r, f) = c.prf();
        assert_eq!((p, r), (0.5, 1.0 / 3.0));
        assert!((f - 0.4).abs() < 1e-15);
        assert_eq!(Calls::default().prf(), (0.0, 0.0, 0.0));
    }
}
