//! Sequence features: dinucleotides, the polypyrimidine tract, and k-mer counts, GC content and
//! complexity in a ±250 nt window kept up to date as rows advance along the region.

use super::schema::SEQUENCE;

/// Half-width of the sequence window.
pub const HALF_WINDOW: usize = 250;

fn code(b: u8) -> u8 {
    match b {
        b'A' => 0,
        b'C' => 1,
        b'G' => 2,
        b'T' => 3,
        _ => 4,
    }
}

/// `c · log2(c)` for every count a window can hold.
fn xlog2x_table() -> &'static [f64] {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=2 * HALF_WINDOW + 1)
            .map(|c| {
                if c == 0 {
                    0.0
                } else {
                    c as f64 * (c as f64).log2()
                }
            })
            .collect()
    })
}

/// k-mer, GC and N counts over a window `[lo, hi)` of a region, moved incrementally.
pub struct SeqWindow<'a> {
    seq: &'a [u8],
    codes: Vec<u8>,
    ks: Vec<usize>,
    counts: Vec<Vec<u32>>,
    gc: u32,
    n: u32,
    lo: usize,
    hi: usize,
}

impl<'a> SeqWindow<'a> {
    /// A window over `seq` counting k-mers of the sizes `ks`.
    pub fn new(seq: &'a [u8], ks: &[usize]) -> Self {
        Self {
            seq,
            codes: seq.iter().map(|&b| code(b)).collect(),
            ks: ks.to_vec(),
            counts: ks.iter().map(|&k| vec![0; 1 << (2 * k)]).collect(),
            gc: 0,
            n: 0,
            lo: 0,
            hi: 0,
        }
    }

    fn kmer(&self, start: usize, k: usize) -> Option<usize> {
        let mut idx = 0usize;
        for &c in &self.codes[start..start + k] {
            if c > 3 {
                return None;
            }
            idx = (idx << 2) | c as usize;
        }
        Some(idx)
    }

    /// Adds base `p` (= `hi`) at the right end: counts the k-mers that end on it.
    fn push_right(&mut self) {
        let p = self.hi;
        match self.codes[p] {
            1 | 2 => self.gc += 1,
            4 => self.n += 1,
            _ => {}
        }
        self.hi += 1;
        for i in 0..self.ks.len() {
            let k = self.ks[i];
            if p + 1 >= self.lo + k
                && let Some(x) = self.kmer(p + 1 - k, k)
            {
                self.counts[i][x] += 1;
            }
        }
    }

    /// Removes base `lo` at the left end: uncounts the k-mers that start on it.
    fn pop_left(&mut self) {
        let p = self.lo;
        match self.codes[p] {
            1 | 2 => self.gc -= 1,
            4 => self.n -= 1,
            _ => {}
        }
        for i in 0..self.ks.len() {
            let k = self.ks[i];
            if p + k <= self.hi
                && let Some(x) = self.kmer(p, k)
            {
                self.counts[i][x] -= 1;
            }
        }
        self.lo += 1;
    }

    /// Moves the window to `j ± HALF_WINDOW` (clipped); `j` must not decrease between calls.
    pub fn move_to(&mut self, j: usize) {
        let lo = j.saturating_sub(HALF_WINDOW);
        let hi = (j + HALF_WINDOW + 1).min(self.seq.len());
        if lo >= self.hi {
            for c in &mut self.counts {
                c.iter_mut().for_each(|x| *x = 0);
            }
            self.gc = 0;
            self.n = 0;
            self.lo = lo;
            self.hi = lo;
        }
        while self.hi < hi {
            self.push_right();
        }
        while self.lo < lo {
            self.pop_left();
        }
    }

    /// Sequence features at `j` (the window must be at `j`), in [`SEQUENCE`] order.
    pub fn features(&self, j: usize, out: &mut Vec<f32>) {
        let s = self.seq;
        let start = out.len();
        let next2 = |a: u8, b: u8| (j + 2 < s.len() && s[j + 1] == a && s[j + 2] == b) as u8 as f32;
        let prev_ag = (j >= 2 && s[j - 2] == b'A' && s[j - 1] == b'G') as u8 as f32;
        let pyr = |b: u8| b == b'C' || b == b'T';
        let (plo, phi) = (j.saturating_sub(25), j.saturating_sub(3));
        let ppt = if phi > plo {
            s[plo..phi].iter().filter(|&&b| pyr(b)).count() as f32 / (phi - plo) as f32
        } else {
            0.0
        };
        let mut run = 0u32;
        let mut best = 0u32;
        for &b in &s[j.saturating_sub(40)..j] {
            run = if pyr(b) { run + 1 } else { 0 };
            best = best.max(run);
        }
        let len = (self.hi - self.lo) as u32;
        let acgt = len - self.n;
        let gc = if acgt > 0 {
            self.gc as f32 / acgt as f32
        } else {
            0.0
        };
        let complexity = match (self.ks.first(), self.counts.first()) {
            (Some(&k), Some(c)) => {
                // H = log2 T − (Σ c·log2 c) / T, with c·log2 c from a table (no log per k-mer).
                let table = xlog2x_table();
                let (mut total, mut sum) = (0u32, 0.0f64);
                for &x in c {
                    total += x;
                    sum += table[x as usize];
                }
                if total == 0 {
                    0.0
                } else {
                    let t = f64::from(total);
                    let h = t.log2() - sum / t;
                    (h / (2 * k) as f64) as f32
                }
            }
            _ => 0.0,
        };
        out.extend_from_slice(&[
            next2(b'G', b'T'),
            next2(b'G', b'C'),
            prev_ag,
            ppt,
            best as f32,
            gc,
            len as f32,
            self.n as f32,
            complexity,
        ]);
        debug_assert_eq!(out.len() - start, SEQUENCE.len());
    }

    /// The k-mer counts of the current window, k by k, in schema order.
    pub fn kmer_features(&self, out: &mut Vec<f32>) {
        for c in &self.counts {
            out.extend(c.iter().map(|&x| x as f32));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Rng;

    fn brute(seq: &[u8], j: usize, k: usize) -> Vec<u32> {
        let lo = j.saturating_sub(HALF_WINDOW);
        let hi = (j + HALF_WINDOW + 1).min(seq.len());
        let mut c = vec![0u32; 1 << (2 * k)];
        for s in lo..hi.saturating_sub(k - 1) {
            let w = &seq[s..s + k];
            if w.iter().all(|&b| code(b) < 4) {
                c[w.iter().fold(0, |a, &b| (a << 2) | code(b) as usize)] += 1;
            }
        }
        c
    }

    #[test]
    fn sliding_counts_equal_brute_force_counts() {
        let mut rng = Rng::new(3);
        let seq: Vec<u8> = (0..3000)
            .map(|_| b"ACGTN"[(rng.below(100) as usize * 5 / 100).min(4)])
            .collect();
        let mut w = SeqWindow::new(&seq, &[1, 3]);
        let mut j = 0;
        while j < seq.len() {
            w.move_to(j);
            assert_eq!(w.counts[1], brute(&seq, j, 3), "at {j}");
            assert_eq!(w.counts[0], brute(&seq, j, 1), "at {j}");
            j += 1 + rng.below(700) as usize;
        }
    }
}
