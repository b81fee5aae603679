//! Features derived from the base-model scores around a position (and the nearest strong calls).

use super::schema::{PREDICTION_CONTEXT, SCORE_CONTEXT};
use crate::basemodel::Scores;

const EPS: f32 = 1e-6;

/// Precomputed per-region data for the score features: prefix sums and call positions.
pub struct ScoreContext<'a> {
    s: &'a Scores,
    threshold: f32,
    donor_prefix: Vec<f64>,
    acceptor_prefix: Vec<f64>,
    donor_calls: Vec<usize>,
    acceptor_calls: Vec<usize>,
}

fn prefix(v: &[f32]) -> Vec<f64> {
    let mut p = Vec::with_capacity(v.len() + 1);
    let mut acc = 0.0f64;
    p.push(0.0);
    for &x in v {
        acc += f64::from(x);
        p.push(acc);
    }
    p
}

impl<'a> ScoreContext<'a> {
    /// Prepares the region's scores; `threshold` defines a call.
    pub fn new(s: &'a Scores, threshold: f32) -> Self {
        let calls = |v: &[f32]| -> Vec<usize> {
            v.iter()
                .enumerate()
                .filter(|(_, x)| **x >= threshold)
                .map(|(i, _)| i)
                .collect()
        };
        Self {
            s,
            threshold,
            donor_prefix: prefix(&s.donor),
            acceptor_prefix: prefix(&s.acceptor),
            donor_calls: calls(&s.donor),
            acceptor_calls: calls(&s.acceptor),
        }
    }

    fn at(v: &[f32], j: usize, d: isize) -> f32 {
        let k = j as isize + d;
        if k < 0 || k as usize >= v.len() {
            0.0
        } else {
            v[k as usize]
        }
    }

    fn range(&self, j: usize, r: usize) -> (usize, usize) {
        (j.saturating_sub(r), (j + r).min(self.s.len() - 1))
    }

    fn window_stats(&self, v: &[f32], prefix: &[f64], j: usize) -> [f32; 6] {
        let x = v[j];
        let (lo, hi) = self.range(j, 10);
        let mut max_other = 0.0f32;
        let mut rank = 0u32;
        for (k, &y) in v.iter().enumerate().take(hi + 1).skip(lo) {
            if k != j {
                max_other = max_other.max(y);
            }
            if y > x {
                rank += 1;
            }
        }
        let mean = ((prefix[hi + 1] - prefix[lo]) / (hi + 1 - lo) as f64) as f32;
        let (lo50, hi50) = self.range(j, 50);
        let sum50 = (prefix[hi50 + 1] - prefix[lo50]) as f32;
        [max_other, mean, x / (mean + 0.001), rank as f32, sum50, 0.0]
    }

    fn calls_within(calls: &[usize], j: usize, r: usize) -> f32 {
        let lo = calls.partition_point(|&c| c + r < j);
        let hi = calls.partition_point(|&c| c <= j + r);
        let self_call = calls.binary_search(&j).is_ok() as usize;
        (hi - lo - self_call) as f32
    }

    fn nearest(&self, calls: &[usize], v: &[f32], j: usize) -> [f32; 4] {
        let i = calls.partition_point(|&c| c < j);
        let up = if i > 0 { Some(calls[i - 1]) } else { None };
        let down_i = if i < calls.len() && calls[i] == j {
            i + 1
        } else {
            i
        };
        let down = calls.get(down_i).copied();
        // No call on a side: the distance is censored at the region's edge (one past it, so
        // it is larger than any real distance on that side) and the score is 0. Every value
        // is finite, which keeps XGBoost's binned matrix dense (one byte per value).
        let (ud, us) = match up {
            Some(c) => ((j - c) as f32, v[c]),
            None => ((j + 1) as f32, 0.0),
        };
        let (dd, ds) = match down {
            Some(c) => ((c - j) as f32, v[c]),
            None => ((v.len() - j) as f32, 0.0),
        };
        [ud, us, dd, ds]
    }

    /// The score-context features at local index `j`, in [`SCORE_CONTEXT`] order.
    pub fn score_features(&self, j: usize, out: &mut Vec<f32>) {
        let (dv, av) = (&self.s.donor, &self.s.acceptor);
        let d = dv[j];
        let a = av[j];
        let n = self.s.neither(j);
        let neither_at = |k: isize| {
            let x = j as isize + k;
            if x < 0 || x as usize >= dv.len() {
                1.0
            } else {
                self.s.neither(x as usize)
            }
        };
        let (dm2, dm1, dp1, dp2) = (
            Self::at(dv, j, -2),
            Self::at(dv, j, -1),
            Self::at(dv, j, 1),
            Self::at(dv, j, 2),
        );
        let (am2, am1, ap1, ap2) = (
            Self::at(av, j, -2),
            Self::at(av, j, -1),
            Self::at(av, j, 1),
            Self::at(av, j, 2),
        );
        let dmax2 = dm2.max(dm1).max(dp1).max(dp2);
        let amax2 = am2.max(am1).max(ap1).max(ap2);
        let entropy = [d, a, n]
            .iter()
            .filter(|&&p| p > 0.0)
            .map(|&p| -p * p.ln())
            .sum::<f32>();
        let dw = self.window_stats(dv, &self.donor_prefix, j);
        let aw = self.window_stats(av, &self.acceptor_prefix, j);
        let start = out.len();
        out.extend_from_slice(&[
            d,
            a,
            n,
            dm2,
            dm1,
            dp1,
            dp2,
            am2,
            am1,
            ap1,
            ap2,
            neither_at(-1),
            neither_at(1),
            d - dm1,
            d - dp1,
            a - am1,
            a - ap1,
            dm1 + dp1 - 2.0 * d,
            am1 + ap1 - 2.0 * a,
            (d > 0.0 && d >= dmax2) as u8 as f32,
            (a > 0.0 && a >= amax2) as u8 as f32,
            d / (dmax2 + 0.001),
            a / (amax2 + 0.001),
            ((d + EPS) / (1.0 - d + EPS)).ln(),
            ((a + EPS) / (1.0 - a + EPS)).ln(),
            ((d + EPS) / (a + EPS)).ln(),
            d - a,
            d.max(a),
            d + a,
            entropy,
            dw[0],
            aw[0],
            dw[1],
            aw[1],
            dw[2],
            aw[2],
            dw[3],
            aw[3],
            dw[4],
            aw[4],
            Self::calls_within(&self.donor_calls, j, 500),
            Self::calls_within(&self.acceptor_calls, j, 500),
        ]);
        debug_assert_eq!(out.len() - start, SCORE_CONTEXT.len());
        let _ = self.threshold;
    }

    /// The prediction-context features at `j`, in [`PREDICTION_CONTEXT`] order.
    pub fn prediction_features(&self, j: usize, out: &mut Vec<f32>) {
        let start = out.len();
        out.extend_from_slice(&self.nearest(&self.acceptor_calls, &self.s.acceptor, j));
        out.extend_from_slice(&self.nearest(&self.donor_calls, &self.s.donor, j));
        debug_assert_eq!(out.len() - start, PREDICTION_CONTEXT.len());
    }
}
