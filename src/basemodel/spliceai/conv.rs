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
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F (checked just above), the only requirement of
            // calling a function compiled with that target feature.
            done = unsafe { simd::wide_avx512(c, x, n, out) };
        } else if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above).
            done = unsafe { simd::wide_avx2(c, x, n, out) };
        }
    }
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

/// The vector kernels: a block of positions keeps its 32-wide accumulators in registers while
/// each weight row is loaded once for the whole block.
#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::*;

    use super::{Conv, WIDTH};

    /// Positions per block with 32 registers of 16 lanes: 24 accumulators.
    const B512: usize = 12;
    /// Positions per block with 16 registers of 8 lanes: 8 accumulators.
    const B256: usize = 2;

    fn load512(s: &[f32]) -> __m512 {
        assert!(s.len() >= 16);
        // SAFETY: `s` holds at least 16 floats (asserted); the load is unaligned.
        unsafe { _mm512_loadu_ps(s.as_ptr()) }
    }

    fn store512(s: &mut [f32], v: __m512) {
        assert!(s.len() >= 16);
        // SAFETY: `s` holds at least 16 floats (asserted); the store is unaligned.
        unsafe { _mm512_storeu_ps(s.as_mut_ptr(), v) }
    }

    fn load256(s: &[f32]) -> __m256 {
        assert!(s.len() >= 8);
        // SAFETY: `s` holds at least 8 floats (asserted); the load is unaligned.
        unsafe { _mm256_loadu_ps(s.as_ptr()) }
    }

    fn store256(s: &mut [f32], v: __m256) {
        assert!(s.len() >= 8);
        // SAFETY: `s` holds at least 8 floats (asserted); the store is unaligned.
        unsafe { _mm256_storeu_ps(s.as_mut_ptr(), v) }
    }

    /// Positions whose output rows stay in the L1 cache while every tap passes over them.
    const CHUNK: usize = 240;

    /// All `n` positions; one GEMM per tap over a chunk of positions (the tap's 4 KB of weights
    /// and the chunk's outputs stay in L1), blocks of [`B512`] positions, then single ones.
    /// Returns how many positions it computed: `n`, or 0 for input widths other than 32 and 4.
    #[target_feature(enable = "avx512f")]
    pub fn wide_avx512(c: &Conv, x: &[f32], n: usize, out: &mut [f32]) -> usize {
        if c.c_in != 32 && c.c_in != 4 {
            // Other widths (none in SpliceAI): the caller's scalar loop does all of them.
            return 0;
        }
        let mut from = 0;
        while from < n {
            let to = (from + CHUNK).min(n);
            let full = from + (to - from) / B512 * B512;
            for t in 0..c.k {
                match c.c_in {
                    32 => {
                        taps512::<B512, 32>(c, x, t, from, full, out);
                        taps512::<1, 32>(c, x, t, full, to, out);
                    }
                    4 => {
                        taps512::<B512, 4>(c, x, t, from, full, out);
                        taps512::<1, 4>(c, x, t, full, to, out);
                    }
                    _ => unreachable!("checked above"),
                }
            }
            from = to;
        }
        n
    }

    /// Adds tap `t` to positions `from..to` (a multiple of `B` apart), `B` at a time; the first
    /// tap starts from the bias. Each output is `bias`, then taps and input channels in
    /// ascending order, one fused multiply-add each, whatever `B` is.
    #[target_feature(enable = "avx512f")]
    fn taps512<const B: usize, const CIN: usize>(
        c: &Conv,
        x: &[f32],
        t: usize,
        from: usize,
        to: usize,
        out: &mut [f32],
    ) {
        // Constant widths let the compiler drop the bounds checks of the inner loop.
        let wt = &c.w[t * CIN * WIDTH..][..CIN * WIDTH];
        let bias = [load512(&c.b[..16]), load512(&c.b[16..WIDTH])];
        let mut p = from;
        while p + B <= to {
            let mut acc = [bias; B];
            if t > 0 {
                for (i, a) in acc.iter_mut().enumerate() {
                    let o = &out[(p + i) * WIDTH..][..WIDTH];
                    *a = [load512(&o[..16]), load512(&o[16..])];
                }
            }
            let xs = &x[(p + t * c.d) * CIN..][..B * CIN];
            for ci in 0..CIN {
                let w0 = load512(&wt[ci * WIDTH..ci * WIDTH + 16]);
                let w1 = load512(&wt[ci * WIDTH + 16..ci * WIDTH + 32]);
                for (i, a) in acc.iter_mut().enumerate() {
                    let xv = _mm512_set1_ps(xs[i * CIN + ci]);
                    a[0] = _mm512_fmadd_ps(xv, w0, a[0]);
                    a[1] = _mm512_fmadd_ps(xv, w1, a[1]);
                }
            }
            for (i, a) in acc.iter().enumerate() {
                let o = &mut out[(p + i) * WIDTH..][..WIDTH];
                store512(&mut o[..16], a[0]);
                store512(&mut o[16..], a[1]);
            }
            p += B;
        }
    }

    /// Full blocks of [`B256`] positions; returns how many positions it computed.
    #[target_feature(enable = "avx2,fma")]
    pub fn wide_avx2(c: &Conv, x: &[f32], n: usize, out: &mut [f32]) -> usize {
        let cin = c.c_in;
        let bias = [
            load256(&c.b[..8]),
            load256(&c.b[8..16]),
            load256(&c.b[16..24]),
            load256(&c.b[24..WIDTH]),
        ];
        let mut p = 0;
        while p + B256 <= n {
            let mut acc = [bias; B256];
            for t in 0..c.k {
                let xs = &x[(p + t * c.d) * cin..][..B256 * cin];
                let wt = &c.w[t * cin * WIDTH..][..cin * WIDTH];
                for ci in 0..cin {
                    let w = [
                        load256(&wt[ci * WIDTH..]),
                        load256(&wt[ci * WIDTH + 8..]),
                        load256(&wt[ci * WIDTH + 16..]),
                        load256(&wt[ci * WIDTH + 24..]),
                    ];
                    for (i, a) in acc.iter_mut().enumerate() {
                        let xv = _mm256_set1_ps(xs[i * cin + ci]);
                        for (a, w) in a.iter_mut().zip(w) {
                            *a = _mm256_fmadd_ps(xv, w, *a);
                        }
                    }
                }
            }
            for (i, a) in acc.iter().enumerate() {
                let o = &mut out[(p + i) * WIDTH..][..WIDTH];
                for (j, v) in a.iter().enumerate() {
                    store256(&mut o[j * 8..], *v);
                }
            }
            p += B256;
        }
        p
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

#[cfg(all(test, target_arch = "x86_64"))]
mod simd_tests {
    use super::*;

    /// Each position by the definition, with one fused multiply-add per term in the kernels'
    /// order (bias, taps, input channels), as the scalar loop computes it.
    fn scalar(c: &Conv, x: &[f32], n: usize) -> Vec<f32> {
        let mut out = vec![0.0; n * WIDTH];
        for (p, row) in out.chunks_exact_mut(WIDTH).enumerate() {
            row.copy_from_slice(&c.b[..WIDTH]);
            for t in 0..c.k {
                for ci in 0..c.c_in {
                    let xv = x[(p + t * c.d) * c.c_in + ci];
                    for (co, a) in row.iter_mut().enumerate() {
                        *a = xv.mul_add(c.w[(t * c.c_in + ci) * WIDTH + co], *a);
                    }
                }
            }
        }
        out
    }

    #[test]
    fn every_instruction_set_gives_the_scalar_bits() {
        for c_in in [32, 4] {
            let c = Conv {
                c_in,
                c_out: WIDTH,
                k: 5,
                d: 3,
                w: (0..5 * c_in * WIDTH)
                    .map(|i| (i as f32 * 0.618).sin())
                    .collect(),
                b: (0..WIDTH).map(|i| (i as f32).cos()).collect(),
            };
            let n = 300; // more than one chunk, blocks and a tail
            let x: Vec<f32> = (0..(n + 12) * c_in)
                .map(|i| (i as f32 * 0.37).sin())
                .collect();
            let want = scalar(&c, &x, n);
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                let mut out = vec![0.0; n * WIDTH];
                // SAFETY: AVX2 and FMA are present (checked just above).
                let done = unsafe { simd::wide_avx2(&c, &x, n, &mut out) };
                assert_eq!(
                    out[..done * WIDTH],
                    want[..done * WIDTH],
                    "AVX2, c_in {c_in}"
                );
                assert!(done >= n - 1);
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                let mut out = vec![0.0; n * WIDTH];
                // SAFETY: AVX-512F is present (checked just above).
                let done = unsafe { simd::wide_avx512(&c, &x, n, &mut out) };
                assert_eq!(done, n);
                assert_eq!(out, want, "AVX-512, c_in {c_in}");
            }
        }
    }
}
