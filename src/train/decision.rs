//! Per-class thresholds on calibrated probabilities, chosen on out-of-fold rows: a secondary
//! decision rule that `report.md` shows beside the result (the meta-model's own argmax, which
//! needs nothing chosen and was the better rule on fly and *A. thaliana* genes).
//!
//! A row is called donor (acceptor) when its calibrated P(donor) (P(acceptor)) reaches that
//! class's threshold; if both do, the class further above its threshold (by ratio) wins. Each
//! threshold is the one that maximises the class's weighted F1 on out-of-fold data. The figure
//! reported is *cross-fitted*: the rows of each fold (or hold-out half) are called with
//! thresholds chosen on the other folds only, so no row is judged by a threshold chosen on
//! itself.

use serde::{Deserialize, Serialize};

use super::metrics;
use super::source::RowInfo;

/// Where a threshold is used when there is nothing to choose it from (no cross-validation, or
/// no true site of the class among the rows).
pub const DEFAULT_THRESHOLD: f32 = 0.5;

/// Per-class thresholds on calibrated probabilities (`decision.json` in a model directory).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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
    /// The class called for each row of `p` (`n × 3`): 0 neither, 1 donor, 2 acceptor.
    pub fn calls(&self, p: &[f32]) -> Vec<u8> {
        p.chunks_exact(3)
            .map(|r| {
                let d = r[1] / self.donor.max(f32::MIN_POSITIVE);
                let a = r[2] / self.acceptor.max(f32::MIN_POSITIVE);
                match (d >= 1.0, a >= 1.0) {
                    (true, true) if a > d => 2,
                    (true, _) => 1,
                    (false, true) => 2,
                    (false, false) => 0,
                }
            })
            .collect()
    }

    /// The thresholds maximising each class's F1 (each row counting once) over the rows where
    /// `keep` holds.
    pub fn fit(p: &[f32], info: &RowInfo, keep: impl Fn(usize) -> bool) -> Self {
        let best = |c: usize| {
            let rows: Vec<usize> = (0..info.len()).filter(|&i| keep(i)).collect();
            let s: Vec<f32> = rows.iter().map(|&i| p[i * 3 + c]).collect();
            let y: Vec<bool> = rows.iter().map(|&i| info.label[i] as usize == c).collect();
            let w = vec![1.0; rows.len()];
            metrics::best_f1_threshold(&s, &y, &w).unwrap_or(DEFAULT_THRESHOLD)
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
pub fn cross_fitted_calls(p: &[f32], info: &RowInfo, group: &[u8], fallback: Decision) -> Vec<u8> {
    let groups = group.iter().copied().max().map_or(0, |g| g as usize + 1);
    let mut calls = vec![0u8; info.len()];
    for g in 0..groups as u8 {
        let rule = if groups > 1 {
            Decision::fit(p, info, |i| group[i] != g)
        } else {
            fallback
        };
        let mine: Vec<usize> = (0..info.len()).filter(|&i| group[i] == g).collect();
        let rows: Vec<f32> = mine
            .iter()
            .flat_map(|&i| p[i * 3..i * 3 + 3].iter().copied())
            .collect();
        for (&i, c) in mine.iter().zip(rule.calls(&rows)) {
            calls[i] = c;
        }
    }
    calls
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(labels: &[u8]) -> RowInfo {
        RowInfo {
            gene: vec![0; labels.len()],
            label: labels.to_vec(),
            weight: vec![1.0; labels.len()],
            base_donor: vec![0.0; labels.len()],
            base_acceptor: vec![0.0; labels.len()],
            position: vec![0; labels.len()],
        }
    }

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
        assert_eq!(d.calls(&p), [0, 1, 1, 1, 2]);
    }

    #[test]
    fn fit_finds_the_threshold_that_separates_the_classes() {
        // Donors score 0.3–0.4, non-donors at most 0.2: argmax would call none of them.
        let labels = [1, 1, 0, 0, 0, 2];
        let p = [
            0.6, 0.4, 0.0, 0.7, 0.3, 0.0, 0.8, 0.2, 0.0, 0.9, 0.1, 0.0, 0.95, 0.05, 0.0, 0.1, 0.0,
            0.9,
        ];
        let info = info(&labels);
        let d = Decision::fit(&p, &info, |_| true);
        assert_eq!(d.donor, 0.3);
        assert_eq!(d.acceptor, 0.9);
        assert_eq!(d.calls(&p), labels);
        // Cross-fitted with each row its own group, the rows are judged by the others' choice.
        let group = [0, 1, 0, 1, 0, 1];
        let calls = cross_fitted_calls(&p, &info, &group, Decision::default());
        assert_eq!(calls.len(), 6);
        // One group: the fallback rule.
        let one = cross_fitted_calls(&p, &info, &[0; 6], Decision::default());
        assert_eq!(one, [0, 0, 0, 0, 0, 2]);
    }
}
