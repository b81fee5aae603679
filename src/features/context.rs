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

/// The three class scores at one position.
#[derive(Debug, Clone, Copy)]
struct Point {
    /// Donor.
    d: f32,
    /// Acceptor.
    a: f32,
    /// Neither.
    n: f32,
}

/// One class's scores two and one positions either side of a position (0 beyond the region).
#[derive(Debug, Clone, Copy)]
struct Flank {
    m2: f32,
    m1: f32,
    p1: f32,
    p2: f32,
}

impl Flank {
    /// The scores of `v` around `j`.
    fn around(v: &[f32], j: usize) -> Self {
        let at = |d: isize| {
            let k = j as isize + d;
            if k < 0 || k as usize >= v.len() {
                0.0
            } else {
                v[k as usize]
            }
        };
        Self {
            m2: at(-2),
            m1: at(-1),
            p1: at(1),
            p2: at(2),
        }
    }

    /// The highest of the four.
    fn max(self) -> f32 {
        self.m2.max(self.m1).max(self.p1).max(self.p2)
    }
}

/// One class's scores in the window of ±10 around a position (and the sum over ±50).
#[derive(Debug, Clone, Copy)]
struct WindowStats {
    /// The highest score in the window other than the position's.
    max_other: f32,
    /// The window's mean.
    mean: f32,
    /// The position's score over the mean.
    ratio: f32,
    /// How many positions in the window score higher.
    rank: f32,
    /// The sum over ±50.
    sum50: f32,
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

    fn range(&self, j: usize, r: usize) -> (usize, usize) {
        (j.saturating_sub(r), (j + r).min(self.s.len() - 1))
    }

    fn window_stats(&self, v: &[f32], prefix: &[f64], j: usize) -> WindowStats {
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
        WindowStats {
            max_other,
            mean,
            ratio: x / (mean + 0.001),
            rank: rank as f32,
            sum50,
        }
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
        let start = out.len();
        let point = Point {
            d: self.s.donor[j],
            a: self.s.acceptor[j],
            n: self.s.neither(j),
        };
        let df = Flank::around(&self.s.donor, j);
        let af = Flank::around(&self.s.acceptor, j);
        self.push_neighbourhood(j, point, df, af, out);
        Self::push_shape(point, df, af, out);
        Self::push_probabilities(point, out);
        self.push_windows(j, out);
        debug_assert_eq!(out.len() - start, SCORE_CONTEXT.len());
        let _ = self.threshold;
    }

    /// The scores at `j`, two either side, and "neither" one either side (1 beyond the region).
    fn push_neighbourhood(&self, j: usize, point: Point, df: Flank, af: Flank, out: &mut Vec<f32>) {
        let neither_at = |k: isize| {
            let x = j as isize + k;
            if x < 0 || x as usize >= self.s.donor.len() {
                1.0
            } else {
                self.s.neither(x as usize)
            }
        };
        out.extend_from_slice(&[
            point.d,
            point.a,
            point.n,
            df.m2,
            df.m1,
            df.p1,
            df.p2,
            af.m2,
            af.m1,
            af.p1,
            af.p2,
            neither_at(-1),
            neither_at(1),
        ]);
    }

    /// Steps to the neighbours, curvature, whether `j` is a local peak, and its height over them.
    fn push_shape(point: Point, df: Flank, af: Flank, out: &mut Vec<f32>) {
        let Point { d, a, .. } = point;
        let (dmax2, amax2) = (df.max(), af.max());
        out.extend_from_slice(&[
            d - df.m1,
            d - df.p1,
            a - af.m1,
            a - af.p1,
            df.m1 + df.p1 - 2.0 * d,
            af.m1 + af.p1 - 2.0 * a,
            (d > 0.0 && d >= dmax2) as u8 as f32,
            (a > 0.0 && a >= amax2) as u8 as f32,
            d / (dmax2 + 0.001),
            a / (amax2 + 0.001),
        ]);
    }

    /// Log-odds, donor against acceptor, and the entropy of the three classes at `j`.
    fn push_probabilities(point: Point, out: &mut Vec<f32>) {
        let Point { d, a, n } = point;
        let entropy = [d, a, n]
            .iter()
            .filter(|&&p| p > 0.0)
            .map(|&p| -p * p.ln())
            .sum::<f32>();
        out.extend_from_slice(&[
            ((d + EPS) / (1.0 - d + EPS)).ln(),
            ((a + EPS) / (1.0 - a + EPS)).ln(),
            ((d + EPS) / (a + EPS)).ln(),
            d - a,
            d.max(a),
            d + a,
            entropy,
        ]);
    }

    /// Statistics of the windows around `j` (donor and acceptor interleaved) and the calls
    /// within 500 positions.
    fn push_windows(&self, j: usize, out: &mut Vec<f32>) {
        let dw = self.window_stats(&self.s.donor, &self.donor_prefix, j);
        let aw = self.window_stats(&self.s.acceptor, &self.acceptor_prefix, j);
        out.extend_from_slice(&[
            dw.max_other,
            aw.max_other,
            dw.mean,
            aw.mean,
            dw.ratio,
            aw.ratio,
            dw.rank,
            aw.rank,
            dw.sum50,
            aw.sum50,
            Self::calls_within(&self.donor_calls, j, 500),
            Self::calls_within(&self.acceptor_calls, j, 500),
        ]);
    }

    /// The prediction-context features at `j`, in [`PREDICTION_CONTEXT`] order.
    pub fn prediction_features(&self, j: usize, out: &mut Vec<f32>) {
        let start = out.len();
        out.extend_from_slice(&self.nearest(&self.acceptor_calls, &self.s.acceptor, j));
        out.extend_from_slice(&self.nearest(&self.donor_calls, &self.s.donor, j));
        debug_assert_eq!(out.len() - start, PREDICTION_CONTEXT.len());
    }
}
