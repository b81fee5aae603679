//! SpliceAI 1.3.1's delta scores, rule by rule: the window around a variant, its one-hot
//! encoding, the alignment of an indel's predictions to the reference's, the four scores with
//! their positions, the mask and the `ALLELE|SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|DP_AG|DP_AL|DP_DG|DP_DL`
//! entry. Pure functions of sequences and probabilities; the network runs elsewhere.

/// Bases of context on each side of the scored span (SpliceAI-10k's 10,000 nt in all).
pub const CONTEXT: u64 = 5_000;

/// The longest distance SpliceAI's CLI accepts (`-D 0..4999`).
pub const MAX_DISTANCE: u32 = 4_999;

/// The code SpliceAI gives a letter: A, C, G, T → 1..4, N → 0, and any other byte its value
/// mod 5 after upper-casing, as its `one_hot_encode` does — so IUPAC codes alias onto bases:
/// R, M, W, H → C; S, D → G; Y → T; B, V → A; K → all zeros.
pub fn code(b: u8) -> u8 {
    match b.to_ascii_uppercase() {
        b'A' => 1,
        b'C' => 2,
        b'G' => 3,
        b'T' => 4,
        b'N' => 0,
        // NumPy's int8 view of the byte, then Python's modulo (never negative).
        other => (other as i8).rem_euclid(5) as u8,
    }
}

/// The one-hot row of a code (0 = all zeros).
pub fn row(code: u8) -> [f32; 4] {
    let mut r = [0.0; 4];
    if (1..=4).contains(&code) {
        r[code as usize - 1] = 1.0;
    }
    r
}

/// The complement of a code on the one-hot level (A↔T, C↔G; 0 stays 0): what reversing the
/// channel axis does.
pub fn complement(code: u8) -> u8 {
    if code == 0 { 0 } else { 5 - code }
}

/// One-hot rows of `letters`, reverse-complemented when `reverse` (a minus-strand gene).
pub fn onehot(letters: &[u8], reverse: bool, out: &mut Vec<f32>) {
    out.clear();
    out.reserve(letters.len() * 4);
    let mut push = |c: u8| out.extend_from_slice(&row(c));
    if reverse {
        letters
            .iter()
            .rev()
            .for_each(|&b| push(complement(code(b))));
    } else {
        letters.iter().for_each(|&b| push(code(b)));
    }
}

/// Class probabilities of the ALT sequence aligned to the reference's `cov` positions (genome
/// order, 3 per position): a deletion (REF longer, ALT one base) gets `ref_len − 1` zero rows
/// just after the anchor; an insertion (REF one base, ALT longer) has its `alt_len` centre
/// rows merged into one by per-class maximum. Anything else is already aligned.
pub fn align_alt(y_alt: Vec<f32>, cov: usize, ref_len: usize, alt_len: usize) -> Vec<f32> {
    let half = cov / 2;
    if ref_len > 1 && alt_len == 1 {
        let cut = (half + alt_len) * 3;
        let mut y = Vec::with_capacity(cov * 3);
        y.extend_from_slice(&y_alt[..cut]);
        y.resize(cut + (ref_len - alt_len) * 3, 0.0);
        y.extend_from_slice(&y_alt[cut..]);
        y
    } else if ref_len == 1 && alt_len > 1 {
        let mut y = Vec::with_capacity(cov * 3);
        y.extend_from_slice(&y_alt[..half * 3]);
        let mut m = [f32::NEG_INFINITY; 3];
        for r in y_alt[half * 3..(half + alt_len) * 3].chunks_exact(3) {
            for (m, &v) in m.iter_mut().zip(r) {
                // NumPy's maximum: the larger value, NaN never arising here.
                if v > *m {
                    *m = v;
                }
            }
        }
        y.extend_from_slice(&m);
        y.extend_from_slice(&y_alt[(half + alt_len) * 3..]);
        y
    } else {
        y_alt
    }
}

/// The four delta scores and their positions of one allele in one gene.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Delta {
    /// Acceptor gain, acceptor loss, donor gain, donor loss (after the mask; `-0.0` kept).
    pub ds: [f64; 4],
    /// Their positions relative to the variant (positive = downstream in genome coordinates).
    pub dp: [i64; 4],
}

/// The first index of the largest value (NumPy's `argmax`).
fn argmax(v: impl Iterator<Item = f32>) -> usize {
    let mut best = (0, f32::NEG_INFINITY);
    for (i, x) in v.enumerate() {
        if x > best.1 {
            best = (i, x);
        }
    }
    best.0
}

/// Delta scores from the reference and aligned ALT probabilities (`cov` rows of 3, genome
/// order). With `mask`, gains at the annotated boundary (`boundary` = the signed distance from
/// the variant to the nearest exon boundary) and losses elsewhere are zeroed.
pub fn delta(y_ref: &[f32], y_alt: &[f32], cov: usize, boundary: i64, mask: bool) -> Delta {
    let half = (cov / 2) as i64;
    let class = |c: usize, gain: bool| {
        let d = |p: usize| {
            let (r, a) = (y_ref[p * 3 + c], y_alt[p * 3 + c]);
            if gain { a - r } else { r - a }
        };
        let i = argmax((0..cov).map(d));
        let at = i as i64 - half;
        // Gains are masked at the boundary, losses away from it.
        let masked = mask && ((at == boundary) == gain);
        // SpliceAI multiplies by (1 − mask): a masked negative difference prints -0.00.
        let v = d(i) as f64 * if masked { 0.0 } else { 1.0 };
        (v, at)
    };
    let (ag, pag) = class(1, true);
    let (al, pal) = class(1, false);
    let (dg, pdg) = class(2, true);
    let (dl, pdl) = class(2, false);
    Delta {
        ds: [ag, al, dg, dl],
        dp: [pag, pal, pdg, pdl],
    }
}

/// One `SpliceAI=` entry: `ALT|GENE|DS_AG|DS_AL|DS_DG|DS_DL|DP_AG|DP_AL|DP_DG|DP_DL`, scores
/// with two decimals as Python's `{:.2f}` writes them (round half to even on the exact binary
/// value, `-0.00` kept; Rust's formatting does the same).
pub fn entry(alt: &str, gene: &str, d: &Delta) -> String {
    format!(
        "{alt}|{gene}|{:.2}|{:.2}|{:.2}|{:.2}|{}|{}|{}|{}",
        d.ds[0], d.ds[1], d.ds[2], d.ds[3], d.dp[0], d.dp[1], d.dp[2], d.dp[3]
    )
}

/// The entry of an allele SpliceAI does not score (an MNV or a complex substitution).
pub fn unscored_entry(alt: &str, gene: &str) -> String {
    format!("{alt}|{gene}|.|.|.|.|.|.|.|.")
}

/// What SpliceAI does with one ALT allele.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allele {
    /// Scored: an SNV (both one base) or a simple indel (one side one base).
    Scored,
    /// Written as `ALT|GENE|.|.|.|.|.|.|.|.`: both REF and ALT longer than one base.
    Unscored,
    /// No entry: a symbolic (`<…>`, breakends with `<`/`>`), missing (`.`), gap (`-`) or
    /// spanning-deletion (`*`) allele.
    Skipped,
}

/// SpliceAI's per-allele rule.
pub fn allele(reference: &str, alt: &str) -> Allele {
    if alt.contains(['.', '-', '*', '<', '>']) {
        Allele::Skipped
    } else if reference.len() > 1 && alt.len() > 1 {
        Allele::Unscored
    } else {
        Allele::Scored
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_are_encoded_as_spliceai_encodes_them() {
        let codes: Vec<u8> = b"ACGTNacgtnRYKMSWBDHV".iter().map(|&b| code(b)).collect();
        // R=82, Y=89, K=75, M=77, S=83, W=87, B=66, D=68, H=72, V=86 (mod 5).
        assert_eq!(
            codes,
            [1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 2, 4, 0, 2, 3, 2, 1, 3, 2, 1]
        );
        let mut v = Vec::new();
        onehot(b"ACN", true, &mut v);
        // Reverse complement: N, G, T.
        assert_eq!(v, [0., 0., 0., 0., 0., 0., 1., 0., 0., 0., 0., 1.]);
    }

    #[test]
    fn indel_predictions_are_aligned_as_spliceai_aligns_them() {
        // cov = 5 (D = 2): centre index 2.
        let rows = |v: &[f32]| v.iter().flat_map(|&x| [x, x, x]).collect::<Vec<f32>>();
        // Deletion REF 3, ALT 1: 3 rows predicted, 2 zero rows after the anchor (index 2).
        let y = align_alt(rows(&[1., 2., 3.]), 5, 3, 1);
        assert_eq!(y, rows(&[1., 2., 3., 0., 0.])[..]);
        // Insertion REF 1, ALT 3: 7 rows; rows 2..5 merged by maximum.
        let y = align_alt(rows(&[1., 2., 5., 9., 4., 6., 7.]), 5, 1, 3);
        assert_eq!(y, rows(&[1., 2., 9., 6., 7.]));
    }

    #[test]
    fn scores_positions_and_mask_follow_spliceai() {
        // cov = 5; acceptor (class 1) gains 0.3 at index 4, loses 0.5 at index 1.
        let mut r = vec![0.0f32; 15];
        let mut a = vec![0.0f32; 15];
        r[3 + 1] = 0.5;
        a[4 * 3 + 1] = 0.3;
        let d = delta(&r, &a, 5, 99, false);
        assert_eq!(d.dp, [2, -1, -2, -2], "ties go to the first index");
        assert_eq!(entry("C", "G1", &d), "C|G1|0.30|0.50|0.00|0.00|2|-1|-2|-2");
        // Boundary at +2: the gain there is masked; losses elsewhere are masked, -0 kept.
        let d = delta(&r, &a, 5, 2, true);
        assert_eq!(entry("C", "G1", &d), "C|G1|0.00|0.00|0.00|0.00|2|-1|-2|-2");
        let mut a2 = a.clone();
        a2[1] = -0.25; // never happens with probabilities; checks the sign survives the mask
        let d = delta(&r, &a2, 5, -1, true);
        assert_eq!(d.ds[1], 0.5, "a loss at the boundary stays");
        assert_eq!(format!("{:.2}", -0.0f64 * 0.0), "-0.00");
    }

    #[test]
    fn alleles_are_sorted_into_spliceai_cases() {
        assert_eq!(allele("A", "C"), Allele::Scored);
        assert_eq!(allele("A", "CTT"), Allele::Scored);
        assert_eq!(allele("ATT", "A"), Allele::Scored);
        assert_eq!(allele("AT", "GC"), Allele::Unscored);
        for alt in ["*", "<DEL>", ".", "<NON_REF>", "-", "]1:10]A<"] {
            assert_eq!(allele("A", alt), Allele::Skipped, "{alt}");
        }
        // A `[` breakend has none of SpliceAI's skip characters: scored as an insertion.
        assert_eq!(allele("A", "A[1:10["), Allele::Scored);
        assert_eq!(unscored_entry("GC", "G1"), "GC|G1|.|.|.|.|.|.|.|.");
    }
}
