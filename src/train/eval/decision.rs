//! Per-class thresholds on calibrated probabilities, chosen on out-of-fold rows: a secondary
//! decision rule that `report.md` shows beside the result (the meta-model's own argmax, which
//! needs nothing chosen and was the better rule on fly and *A. thaliana* genes).
//!
//! A row is called donor (acceptor) when its calibrated P(donor) (P(acceptor)) reaches that
//! class's threshold; if both do, the class further above its threshold (by ratio) wins. Each
//! threshold maximises the class's F1 over the out-of-fold rows, each row counting once (a few
//! easy negatives weigh thousands under `sample_weight`, and a weighted choice jumps to just
//! above whichever of them scored highest). The figure reported is *cross-fitted*: the rows of
//! each fold are called with thresholds chosen on the other folds only, so no row is judged by a
//! threshold chosen on itself.

use serde::Serialize;

use crate::train::eval::metrics;

/// Where a threshold is used when there is nothing to choose it from (no cross-validation, or
/// no true site of the class among the rows).
pub const DEFAULT_THRESHOLD: f32 = 0.5;

/// Per-class thresholds on calibrated probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Decision {
    /// P(donor) at or above this is a donor call.
    pub donor: f32,
    /// P(acceptor) at or above this is an acceptor call.
    pub acceptor: f32,
}

impl Default for Decision {
    fn default() -> Self {
        Self {
            donor: DEFAULT_THRESHOLD,
            acceptor: DEFAULT_THRESHOLD,
        }
    }
}

impl Decision {
    /// The class called for one row `r` (`[neither, donor, acceptor]`): 0 neither, 1 donor,
    /// 2 acceptor.
    pub fn call(&self, r: &[f32]) -> u8 {
        let d = r[1] / self.donor.max(f32::MIN_POSITIVE);
        let a = r[2] / self.acceptor.max(f32::MIN_POSITIVE);
        match (d >= 1.0, a >= 1.0) {
            (true, true) if a > d => 2,
            (true, _) => 1,
            (false, true) => 2,
            (false, false) => 0,
        }
    }

    /// The thresholds maximising each class's F1 (each row counting once) over the rows of `p`
    /// (`n × 3`, classes `labels`) where `keep` holds.
    pub fn fit(p: &[f32], labels: &[u8], keep: impl Fn(usize) -> bool) -> Self {
        let rows: Vec<usize> = (0..labels.len()).filter(|&i| keep(i)).collect();
        let ones = vec![1.0; rows.len()];
        let best = |c: usize| {
            let s: Vec<f32> = rows.iter().map(|&i| p[i * 3 + c]).collect();
            let y: Vec<bool> = rows.iter().map(|&i| labels[i] as usize == c).collect();
            metrics::best_f1_threshold(&s, &y, &ones).unwrap_or(DEFAULT_THRESHOLD)
        };
        Self {
            donor: best(1),
            acceptor: best(2),
        }
    }
}

/// Cross-fitted calls: rows of group `g` (`group[i]`) are called with thresholds fitted on the
/// rows of every other group. With a single group there is nothing to fit on apart from the rows
/// themselves, so they are called with `fallback`.
pub fn cross_fitted_calls(p: &[f32], labels: &[u8], group: &[u8], fallback: Decision) -> Vec<u8> {
    let groups = group.iter().copied().max().map_or(0, |g| g as usize + 1);
    let rules: Vec<Decision> = (0..groups as u8)
        .map(|g| {
            if groups > 1 {
                Decision::fit(p, labels, |i| group[i] != g)
            } else {
                fallback
            }
        })
        .collect();
    group
        .iter()
        .zip(p.chunks_exact(3))
        .map(|(&g, r)| rules[g as usize].call(r))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_take_the_class_further_above_its_threshold() {
        let d = Decision {
            donor: 0.2,
            acceptor: 0.5,
        };
        let p = [
            0.9, 0.05, 0.05, // neither
            0.7, 0.25, 0.05, // donor (0.25 ≥ 0.2)
            0.2, 0.25, 0.55, // both: donor 1.25×, acceptor 1.1× → donor
            0.1, 0.3, 0.6, // both: donor 1.5×, acceptor 1.2× → donor
            0.3, 0.1, 0.6, // acceptor
        ];
        let calls: Vec<u8> = p.chunks_exact(3).map(|r| d.call(r)).collect();
        assert_eq!(calls, [0, 1, 1, 1, 2]);
    }

    #[test]
    fn fit_finds_the_threshold_that_separates_the_classes() {
        // Donors score 0.3–0.4, non-donors at most 0.2: argmax would call none of them.
        let labels = [1, 1, 0, 0, 0, 2];
        let p = [
            0.6, 0.4, 0.0, 0.7, 0.3, 0.0, 0.8, 0.2, 0.0, 0.9, 0.1, 0.0, 0.95, 0.05, 0.0, 0.1, 0.0,
            0.9,
        ];
        let d = Decision::fit(&p, &labels, |_| true);
        assert_eq!(d.donor, 0.3);
        assert_eq!(d.acceptor, 0.9);
        let calls: Vec<u8> = p.chunks_exact(3).map(|r| d.call(r)).collect();
        assert_eq!(calls, labels);
        // Cross-fitted with each row its own group, the rows are judged by the others' choice.
        let group = [0, 1, 0, 1, 0, 1];
        let calls = cross_fitted_calls(&p, &labels, &group, Decision::default());
        assert_eq!(calls.len(), 6);
        // One group: the fallback rule.
        let one = cross_fitted_calls(&p, &labels, &[0; 6], Decision::default());
        assert_eq!(one, [0, 0, 0, 0, 0, 2]);
    }
}
