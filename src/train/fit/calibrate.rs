//! Per-class Platt scaling on out-of-fold margins, then renormalisation; Brier score and expected
//! calibration error to show what it changed.

use serde::{Deserialize, Serialize};

use crate::stats::fit_logistic;

/// One sigmoid per class on the class's log-odds `z_c = logit(p_c)` of the uncalibrated model —
/// for `ovr` that is exactly the booster's margin, for `softprob` the log-odds of the softmax —
/// `q_c = 1 / (1 + exp(-(a_c · z_c + b_c)))`, then `q / Σ q`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Slopes per class.
    pub a: [f64; 3],
    /// Intercepts per class.
    pub b: [f64; 3],
}

impl Calibration {
    /// Fits each class's sigmoid on uncalibrated probabilities (`n × 3`, row-major), labels and
    /// weights.
    pub fn fit(raw: &[f32], labels: &[u8], weights: &[f32]) -> Self {
        let mut a = [1.0; 3];
        let mut b = [0.0; 3];
        for c in 0..3 {
            let xyw: Vec<(f64, f64, f64)> = labels
                .iter()
                .enumerate()
                .map(|(i, &y)| {
                    (
                        logit(raw[i * 3 + c]),
                        f64::from(u8::from(y as usize == c)),
                        f64::from(weights[i]),
                    )
                })
                .collect();
            let (ac, bc) = fit_logistic(&xyw);
            a[c] = ac;
            b[c] = bc;
        }
        Self { a, b }
    }

    /// Calibrated, renormalised probabilities (`n × 3`) from uncalibrated ones.
    pub fn apply(&self, raw: &[f32]) -> Vec<f32> {
        let mut out = Vec::with_capacity(raw.len());
        for row in raw.chunks_exact(3) {
            let p: Vec<f64> = (0..3)
                .map(|c| 1.0 / (1.0 + (-(self.a[c] * logit(row[c]) + self.b[c])).exp()))
                .collect();
            let s: f64 = p.iter().sum::<f64>().max(1e-12);
            out.extend(p.iter().map(|x| (x / s) as f32));
        }
        out
    }
}

/// Log-odds of a probability, clamped away from 0 and 1.
fn logit(p: f32) -> f64 {
    let p = f64::from(p).clamp(1e-7, 1.0 - 1e-7);
    (p / (1.0 - p)).ln()
}

/// Renormalised sigmoids of one-vs-rest margins (`n × 3`): `p_c = σ(m_c) / Σ_k σ(m_k)`.
///
/// Computed in log space (`ln σ(m) = −softplus(−m)`, then a softmax), so rows whose three
/// boosters all say "not me" with margins far below zero (common under heavy class imbalance)
/// keep exact ratios instead of collapsing to zero.
pub fn ovr_probs(margins: &[f32]) -> Vec<f32> {
    rowwise_softmax(margins, |m| -softplus(-m))
}

/// `ln(1 + eˣ)` without overflow or loss of precision.
fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// Softmax of margins (`n × 3`): the uncalibrated probabilities of a softprob model.
pub fn softmax(margins: &[f32]) -> Vec<f32> {
    rowwise_softmax(margins, |m| m)
}

/// Softmax of each row of `n × 3` values after mapping each through `f` (shifted by the row's
/// largest value, so nothing overflows).
fn rowwise_softmax(values: &[f32], f: impl Fn(f64) -> f64) -> Vec<f32> {
    let mut out = Vec::with_capacity(values.len());
    for row in values.chunks_exact(3) {
        let l = [row[0], row[1], row[2]].map(|v| f(f64::from(v)));
        let top = l[0].max(l[1]).max(l[2]);
        let e = l.map(|x| (x - top).exp());
        let s: f64 = e.iter().sum();
        out.extend(e.map(|x| (x / s) as f32));
    }
    out
}

/// Weighted multi-class Brier score: mean over rows of Σ_c (p_c − y_c)².
pub fn brier(p: &[f32], labels: &[u8], weights: &[f32]) -> f64 {
    let (mut s, mut w) = (0.0, 0.0);
    for (i, &y) in labels.iter().enumerate() {
        let e: f64 = (0..3)
            .map(|c| {
                let t = f64::from(u8::from(y as usize == c));
                (f64::from(p[i * 3 + c]) - t).powi(2)
            })
            .sum();
        s += e * f64::from(weights[i]);
        w += f64::from(weights[i]);
    }
    if w > 0.0 { s / w } else { 0.0 }
}

/// Weighted expected calibration error of class `c` over 15 equal-width bins.
pub fn ece(p: &[f32], labels: &[u8], weights: &[f32], c: usize) -> f64 {
    const BINS: usize = 15;
    let mut sum_p = [0.0f64; BINS];
    let mut sum_y = [0.0f64; BINS];
    let mut sum_w = [0.0f64; BINS];
    for (i, &y) in labels.iter().enumerate() {
        let x = f64::from(p[i * 3 + c]);
        let b = ((x * BINS as f64) as usize).min(BINS - 1);
        let w = f64::from(weights[i]);
        sum_p[b] += x * w;
        sum_y[b] += f64::from(u8::from(y as usize == c)) * w;
        sum_w[b] += w;
    }
    let total: f64 = sum_w.iter().sum();
    if total == 0.0 {
        return 0.0;
    }
    (0..BINS)
        .filter(|&b| sum_w[b] > 0.0)
        .map(|b| (sum_w[b] / total) * ((sum_p[b] - sum_y[b]) / sum_w[b]).abs())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ovr_probs_are_renormalised_sigmoids_even_for_extreme_margins() {
        let sig = |m: f64| 1.0 / (1.0 + (-m).exp());
        let row = [0.5f32, -1.0, 2.0];
        let s: f64 = row.iter().map(|&m| sig(f64::from(m))).sum();
        let p = ovr_probs(&row);
        for (x, &m) in p.iter().zip(&row) {
            assert!((f64::from(*x) - sig(f64::from(m)) / s).abs() < 1e-6);
        }
        // All three boosters far below zero: the ratios still hold (σ(m) ≈ eᵐ there).
        let p = ovr_probs(&[-61.0, -83.0, -64.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6, "{p:?}");
        let want = 1.0 / (1.0 + (-22.0f64).exp() + (-3.0f64).exp());
        assert!((f64::from(p[0]) - want).abs() < 1e-6, "{p:?}");
        assert!(p[0] > 0.9 && p[2] > 0.04, "{p:?}");
    }
}
