//! The vector kernels of the dilated convolution (AVX-512F, or AVX2 with FMA), chosen at run
//! time. This and `src/xgb/` are the only modules allowed `unsafe` (`#![deny(unsafe_code)]` in
//! `lib.rs`): calling a function compiled for a target feature is `unsafe` in Rust whatever
//! it does, and the kernels load and store through pointers. Each block says why it is sound;
//! the test below checks every instruction set against the scalar loop, bit for bit.

use super::conv::Conv;

/// Computes as many positions of `c` over `x` as the CPU's widest kernel does (all `n`, or all
/// but a short tail) into `out`; returns how many. 0 on CPUs without AVX2+FMA and on other
/// architectures: the caller computes the rest with the scalar loop, to the same bits.
pub(super) fn wide(c: &Conv, x: &[f32], n: usize, out: &mut [f32]) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F (checked just above), the only requirement of
            // calling a function compiled with that target feature.
            return unsafe { x86::wide_avx512(c, x, n, out) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above).
            return unsafe { x86::wide_avx2(c, x, n, out) };
        }
    }
    let _ = (c, x, n, out);
    0
}

/// The x86-64 kernels: a block of positions keeps its 32-wide accumulators in registers while
/// each weight row is loaded once for the whole block.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use crate::basemodel::spliceai::conv::{Conv, WIDTH};

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

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::basemodel::spliceai::conv::{Conv, WIDTH};

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
                let done = unsafe { x86::wide_avx2(&c, &x, n, &mut out) };
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
                let done = unsafe { x86::wide_avx512(&c, &x, n, &mut out) };
                assert_eq!(done, n);
                assert_eq!(out, want, "AVX-512, c_in {c_in}");
            }
        }
    }
}
