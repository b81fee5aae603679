//! The one hot loop of SpliceAI: a dilated 1-D convolution with 32 output channels over
//! position-major activations, computed as one small GEMM per kernel tap on shifted views of the
//! input (no im2col copy).
//!
//! Every output value is `bias + Σ_tap Σ_in x·w`, accumulated with fused multiply-adds in the same
//! order (taps ascending, input channels ascending) whatever the block of positions it falls in.
//! That is what makes scores bit-identical whatever the tile length or thread count. The wide
//! versions only change how many values are computed at once, never the order, so every
//! instruction set gives the same bits.

/// Output channels of every convolution the fast path handles (SpliceAI's trunk width).
pub const WIDTH: usize = 32;

/// A convolution's shape and weights, laid out for the kernel.
#[derive(Debug, Clone, PartialEq)]
pub struct Conv {
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// Kernel size (odd).
    pub k: usize,
    /// Dilation.
    pub d: usize,
    /// Weights as `[tap][c_in][c_out]` (Keras' own layout), flattened.
    pub w: Vec<f32>,
    /// Bias per output channel.
    pub b: Vec<f32>,
}

impl Conv {
    /// Positions each side an output needs beyond its own (`(k−1)/2 · d`).
    pub fn radius(&self) -> usize {
        (self.k - 1) / 2 * self.d
    }

    /// Multiply-add operations per output position.
    pub fn flops_per_position(&self) -> u64 {
        2 * (self.k * self.c_in * self.c_out) as u64
    }

    /// Scales each output channel by `scale` and adds `shift` after it: a following per-channel
    /// affine map (a folded BatchNorm) merged into the weights.
    pub fn fold_affine(&mut self, scale: &[f32], shift: &[f32]) {
        for row in self.w.chunks_exact_mut(self.c_out) {
            for (w, s) in row.iter_mut().zip(scale) {
                *w *= s;
            }
        }
        for ((b, s), t) in self.b.iter_mut().zip(scale).zip(shift) {
            *b = *b * s + t;
        }
    }

    /// Computes `n` output positions into `out` (`n × c_out`, position-major). `x` holds the
    /// input rows (`c_in` each) starting `radius()` positions before the first output.
    pub fn run(&self, x: &[f32], n: usize, out: &mut [f32]) {
        debug_assert!(x.len() >= (n + 2 * self.radius()) * self.c_in);
        debug_assert!(out.len() >= n * self.c_out);
        if self.c_out == WIDTH {
            wide(self, x, n, out);
        } else {
            narrow(self, x, n, out);
        }
    }
}

/// Any channel count, one position and one output at a time (the 4→… input layer and the
/// 32→3 head: a negligible share of the work).
fn narrow(c: &Conv, x: &[f32], n: usize, out: &mut [f32]) {
    for p in 0..n {
        for co in 0..c.c_out {
            let mut acc = c.b[co];
            for t in 0..c.k {
                let row = &x[(p + t * c.d) * c.c_in..][..c.c_in];
                for (ci, &xv) in row.iter().enumerate() {
                    acc = xv.mul_add(c.w[(t * c.c_in + ci) * c.c_out + co], acc);
                }
            }
            out[p * c.c_out + co] = acc;
        }
    }
}

fn wide(c: &Conv, x: &[f32], n: usize, out: &mut [f32]) {
    let done = super::simd::wide(c, x, n, out);
    // Whatever the vector code left (a short tail, or all of it on other CPUs), one position at
    // a time with the same fused multiply-adds in the same order: the same bits.
    for p in done..n {
        let mut a: [f32; WIDTH] = c.b[..WIDTH].try_into().expect("32 biases");
        for t in 0..c.k {
            let xs = &x[(p + t * c.d) * c.c_in..][..c.c_in];
            let wt = &c.w[t * c.c_in * WIDTH..][..c.c_in * WIDTH];
            for (&xv, w) in xs.iter().zip(wt.chunks_exact(WIDTH)) {
                for (a, &w) in a.iter_mut().zip(w) {
                    *a = xv.mul_add(w, *a);
                }
            }
        }
        out[p * WIDTH..][..WIDTH].copy_from_slice(&a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(c_in: usize, c_out: usize, k: usize, d: usize, seed: u32) -> Conv {
        // Small exact values (multiples of 1/8) so float sums are exact and order-free.
        let mut s = seed;
        let mut next = || {
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            ((s >> 16) % 9) as f32 / 8.0 - 0.5
        };
        Conv {
            c_in,
            c_out,
            k,
            d,
            w: (0..k * c_in * c_out).map(|_| next()).collect(),
            b: (0..c_out).map(|_| next()).collect(),
        }
    }

    /// The definition, written out with no blocking.
    fn reference(c: &Conv, x: &[f32], n: usize) -> Vec<f32> {
        let mut out = vec![0.0; n * c.c_out];
        for p in 0..n {
            for co in 0..c.c_out {
                let mut s = c.b[co];
                for t in 0..c.k {
                    for ci in 0..c.c_in {
                        s += x[(p + t * c.d) * c.c_in + ci] * c.w[(t * c.c_in + ci) * c.c_out + co];
                    }
                }
                out[p * c.c_out + co] = s;
            }
        }
        out
    }

    #[test]
    fn dilated_conv_by_hand() {
        // One channel in and out, k = 3, d = 2: out[p] = b + w0·x[p−2] + w1·x[p] + w2·x[p+2].
        let mut c = conv(1, 1, 3, 2, 1);
        c.w = vec![1.0, 10.0, 100.0];
        c.b = vec![0.5];
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut out = [0.0; 2];
        c.run(&x, 2, &mut out);
        // p = 0 (input index 2): 1·1 + 10·3 + 100·5 + 0.5; p = 1: 1·2 + 10·4 + 100·6 + 0.5
        assert_eq!(out, [531.5, 642.5]);
        assert_eq!(c.radius(), 2);
    }

    #[test]
    fn wide_kernel_matches_definition_including_remainder_positions() {
        for (c_in, k, d) in [(32, 11, 4), (4, 1, 1), (32, 1, 1), (32, 3, 25)] {
            let c = conv(c_in, WIDTH, k, d, 7);
            let n = 27; // full blocks of every vector width and a remainder
            let x: Vec<f32> = (0..(n + 2 * c.radius()) * c_in)
                .map(|i| ((i * 37 % 17) as f32 - 8.0) / 4.0)
                .collect();
            let mut out = vec![0.0; n * WIDTH];
            c.run(&x, n, &mut out);
            assert_eq!(out, reference(&c, &x, n), "c_in {c_in} k {k} d {d}");
        }
    }

    #[test]
    fn a_position_gets_the_same_bits_in_a_block_and_alone() {
        // Non-exact values: equality here means the accumulation order is the same.
        let c = Conv {
            w: (0..11 * 32 * 32)
                .map(|i| (i as f32 * 0.618).sin())
                .collect(),
            b: (0..32).map(|i| (i as f32).cos()).collect(),
            ..conv(32, 32, 11, 1, 3)
        };
        let n = 29;
        let x: Vec<f32> = (0..(n + 10) * 32)
            .map(|i| (i as f32 * 0.37).sin())
            .collect();
        let mut all = vec![0.0; n * 32];
        c.run(&x, n, &mut all);
        for p in 0..n {
            let mut one = vec![0.0; 32];
            c.run(&x[p * 32..], 1, &mut one);
            assert_eq!(one, all[p * 32..][..32], "position {p}");
        }
    }

    #[test]
    fn folding_an_affine_map_equals_applying_it_after() {
        let mut c = conv(2, WIDTH, 3, 1, 5);
        let x: Vec<f32> = (0..5 * 2).map(|i| i as f32 / 4.0).collect();
        let mut plain = vec![0.0; 3 * WIDTH];
        c.run(&x, 3, &mut plain);
        let scale: Vec<f32> = (0..WIDTH).map(|i| 0.5 + (i % 3) as f32 / 2.0).collect();
        let shift: Vec<f32> = (0..WIDTH).map(|i| (i % 5) as f32 / 4.0).collect();
        c.fold_affine(&scale, &shift);
        let mut folded = vec![0.0; 3 * WIDTH];
        c.run(&x, 3, &mut folded);
        for (p, row) in folded.chunks(WIDTH).enumerate() {
            for co in 0..WIDTH {
                let want = plain[p * WIDTH + co] * scale[co] + shift[co];
                assert!((row[co] - want).abs() < 1e-5, "{} vs {want}", row[co]);
            }
        }
    }
}
