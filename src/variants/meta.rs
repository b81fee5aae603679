//! The meta-model's correction of SpliceAI's delta scores (`variants --model M`).
//!
//! For each scored allele, SpliceAI scores the reference and the ALT sequence over the
//! variant's window widened by [`REACH`] on each side (SpliceAI's window rules: 5,000 nt of
//! context, N outside the gene's transcript; an SNV by its cone, an indel by a full window);
//! the builder's own feature code then computes, on each sequence and its scores, the features
//! of the 2D + 1 positions SpliceAI compares (2D + 1 + len(ALT) − len(REF) on the ALT side),
//! the gene-structure features from the gene model; the meta-model gives each position its
//! calibrated probabilities; the ALT rows are aligned to the reference as SpliceAI aligns its
//! own, and SpliceAI's delta rules (scores, positions, masking, rounding) give the
//! `SpliceForge=` entry.
//!
//! What differs from `predict`'s every-base features: the scores and the sequence around a
//! position stop [`REACH`] nt beyond the window, so the nearest-call features see calls up to
//! there (a call further away counts as "at the edge"); everything within ±500 nt (the
//! sequence window, the score windows, the calls within 500) is what `predict` computes.

use std::path::{Path, PathBuf};

use super::delta::{self, Delta};
use super::engine::{Job, Pair};
use crate::Error;
use crate::basemodel::Scores;
use crate::basemodel::spliceai;
use crate::features::{GeneStructure, features_at};
use crate::genome::fasta;
use crate::genome::{Gene, GeneRegion, Strand};
use crate::predict::genes::{Applied, base_model_name, open_model};
use crate::store::InputFile;
use crate::train::modeldir::DATASET_JSON;

/// Bases scored on each side of SpliceAI's window so that the features of its positions see
/// their whole neighbourhood (the widest feature window is ±500 nt).
pub const REACH: u32 = 500;

/// Alleles whose features go to the meta-model in one call.
const GROUP: usize = 64;

/// A trained meta-model opened for variant scoring.
pub struct Meta {
    applied: Applied,
    dir: PathBuf,
    networks: usize,
}

/// One allele to correct: its job, the gene model, and the gene's structure values.
pub struct MetaJob<'a> {
    /// The allele and its gene span.
    pub job: &'a Job,
    /// SpliceAI's probabilities over the widened window (REF, and ALT unaligned).
    pub pair: &'a Pair,
    /// The gene's structure values and its region (when the schema has them).
    pub structure: Option<(&'a GeneStructure, &'a GeneRegion)>,
}

impl Meta {
    /// Opens a model directory, refusing (exit 13) a model that was not trained on SpliceAI's
    /// scores or whose features this version does not compute.
    pub fn open(dir: &Path) -> Result<Meta, Error> {
        let applied = open_model(dir)?;
        let kind = applied.built.base_model.kind.as_str();
        if kind != "spliceai" {
            return Err(crate::train::Error::Incompatible {
                dataset: dir.join(DATASET_JSON),
                model: dir.to_path_buf(),
                message: format!(
                    "the model was trained on the {} base model's scores, but `variants` computes SpliceAI's, so its features would not be the ones it learned; train a model on a dataset built with `builder --base-model spliceai`",
                    base_model_name(&applied.built)
                ),
            }
            .into());
        }
        let networks = applied
            .built
            .base_model
            .models
            .unwrap_or(spliceai::FILES.len());
        Ok(Meta {
            applied,
            dir: dir.to_path_buf(),
            networks,
        })
    }

    /// How many of SpliceAI's networks the model's dataset averaged.
    pub fn networks(&self) -> usize {
        self.networks
    }

    /// Whether the features need the gene model (the gene-structure features).
    pub fn needs_gene_model(&self) -> bool {
        self.applied.schema.structure
    }

    /// The model directory's files, hashed (they decide the output).
    pub fn files(&self) -> &[InputFile] {
        &self.applied.files
    }

    /// The flank the model's dataset was built with (the gene regions of the structure
    /// features).
    pub fn flank(&self) -> u64 {
        self.applied.built.flank
    }

    /// The `SpliceForge` INFO header line.
    pub fn info_header(&self, distance: u32, mask: bool) -> String {
        let name = self
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
            .replace(['"', '\\'], "_");
        format!(
            "##INFO=<ID=SpliceForge,Number=.,Type=String,Description=\"Delta scores of the spliceforge {} meta-model {name} (on SpliceAI-10k scores, weights CC BY-NC 4.0; -D {distance} -M {}), computed from its probabilities on the reference and ALT sequences as SpliceAI computes its own. Format: ALLELE|SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|DP_AG|DP_AL|DP_DG|DP_DL\">",
            env!("CARGO_PKG_VERSION"),
            u8::from(mask)
        )
    }

    /// The region (gene ± the dataset's flank) and structure values of `gene` on `contig`:
    /// what every allele in the gene shares.
    pub fn gene_context(&self, gene: &Gene, contig: &fasta::Contig) -> (GeneStructure, GeneRegion) {
        let mut region = GeneRegion::new(gene, contig, self.flank());
        normalise(&mut region.seq);
        (GeneStructure::new(gene, &region), region)
    }

    /// The meta-model's delta scores of `jobs` (`contig`: the contig's letters), one per job,
    /// with SpliceAI's rules at distance `distance`; `boundary(k)` is job k's distance to the
    /// nearest exon boundary (for masking).
    pub fn deltas(
        &self,
        contig: &[u8],
        jobs: &[MetaJob<'_>],
        distance: u32,
        mask: bool,
        boundary: impl Fn(usize) -> i64,
    ) -> Result<Vec<Delta>, Error> {
        let cfg = self.applied.built.every_row();
        let cols = self.applied.schema.n_features();
        let cov = 2 * distance as usize + 1;
        let mut out = Vec::with_capacity(jobs.len());
        for (g, group) in jobs.chunks(GROUP).enumerate() {
            let mut features = Vec::new();
            let mut counts = Vec::with_capacity(group.len());
            for j in group {
                let (r, a) = self.rows(contig, j, distance, &cfg, &mut features);
                counts.push((r, a));
            }
            let n = features.len() / cols.max(1);
            let probs = self.applied.probabilities(&features, n)?;
            let mut at = 0;
            for (k, (j, &(r, a))) in group.iter().zip(&counts).enumerate() {
                let reverse = j.job.gene.strand == Strand::Reverse;
                let y_ref = spliceai_order(&probs[at * 3..(at + r) * 3], reverse);
                at += r;
                let y_alt = spliceai_order(&probs[at * 3..(at + a) * 3], reverse);
                at += a;
                let y_alt = delta::align_alt(y_alt, cov, j.job.reference.len(), j.job.alt.len());
                out.push(delta::delta(
                    &y_ref,
                    &y_alt,
                    cov,
                    boundary(g * GROUP + k),
                    mask,
                ));
            }
        }
        Ok(out)
    }

    /// Appends the features of one allele's reference rows then its ALT rows; returns how
    /// many of each.
    fn rows(
        &self,
        contig: &[u8],
        j: &MetaJob<'_>,
        distance: u32,
        cfg: &crate::features::RowConfig,
        features: &mut Vec<f32>,
    ) -> (usize, usize) {
        let job = j.job;
        let wide = (distance + REACH) as i64;
        let d = distance as usize;
        let reverse = job.gene.strand == Strand::Reverse;
        let pos = job.pos as i64;
        // Forward bases pos − wide ..= pos + wide (N beyond the contig), and the ALT's, as
        // the builder's sequences hold them (ACGTN).
        let fwd: Vec<u8> = (pos - wide..=pos + wide)
            .map(|q| {
                let letter = usize::try_from(q - 1).ok().and_then(|i| contig.get(i));
                letter.map_or(b'N', |&b| fasta::acgtn(b))
            })
            .collect();
        let centre = wide as usize;
        let mut alt_fwd = Vec::with_capacity(fwd.len() + job.alt.len());
        alt_fwd.extend_from_slice(&fwd[..centre]);
        alt_fwd.extend(job.alt.bytes().map(fasta::acgtn));
        alt_fwd.extend_from_slice(&fwd[centre + job.reference.len()..]);
        let grow = job.alt.len() as i64 - job.reference.len() as i64;
        let r_len = fwd.len();
        let a_len = alt_fwd.len();

        // Genome position of oriented index i of a sequence of `len` letters (the ALT's
        // inserted letters take the variant's position).
        let genomic = |i: usize, len: usize, alt: bool| -> i64 {
            let f = if reverse { len - 1 - i } else { i } as i64;
            if !alt || f < centre as i64 {
                pos - wide + f
            } else if f < centre as i64 + job.alt.len() as i64 {
                pos
            } else {
                pos - wide + f - grow
            }
        };
        let structure_at = |len: usize, alt: bool| {
            move |i: usize| -> usize {
                let (_, region) = j.structure.expect("only called with a structure");
                let g = genomic(i, len, alt).max(1) as u64;
                let first = region.gene_first;
                let last = region.gene_last.min(region.len().saturating_sub(1));
                match region.local(g) {
                    Some(k) => k.clamp(first, last),
                    None if (g < region.lo) != reverse => first,
                    None => last,
                }
            }
        };

        let r_rows = 2 * d + 1;
        let a_rows = r_rows as i64 + grow;
        let first = wide as usize - d;
        for (letters, y, rows, alt) in [
            (&fwd, &j.pair.y_ref, r_rows, false),
            (&alt_fwd, &j.pair.y_alt, a_rows as usize, true),
        ] {
            let seq = oriented(letters, reverse);
            let scores = oriented_scores(y, reverse);
            let len = if alt { a_len } else { r_len };
            let at = structure_at(len, alt);
            let structure = j
                .structure
                .map(|(s, _)| (s, &at as &dyn Fn(usize) -> usize));
            features_at(&seq, &scores, first..first + rows, structure, cfg, features);
        }
        (r_rows, a_rows as usize)
    }
}

/// Letters in gene orientation (reverse-complemented on the minus strand).
fn oriented(fwd: &[u8], reverse: bool) -> Vec<u8> {
    if reverse {
        fasta::reverse_complement(fwd)
    } else {
        fwd.to_vec()
    }
}

/// Every letter as the base the builder's sequences hold ([`fasta::acgtn`]).
fn normalise(seq: &mut [u8]) {
    for b in seq {
        *b = fasta::acgtn(*b);
    }
}

/// SpliceAI's rows (genome order, neither/acceptor/donor) as the builder's scores in gene
/// orientation.
fn oriented_scores(y: &[f32], reverse: bool) -> Scores {
    let n = y.len() / 3;
    let mut s = Scores::zeros(n);
    for i in 0..n {
        let k = if reverse { n - 1 - i } else { i };
        s.acceptor[i] = y[k * 3 + 1];
        s.donor[i] = y[k * 3 + 2];
    }
    s
}

/// The meta-model's rows (gene orientation; neither, donor, acceptor) as SpliceAI's (genome
/// order; neither, acceptor, donor).
fn spliceai_order(p: &[f32], reverse: bool) -> Vec<f32> {
    let n = p.len() / 3;
    let mut y = Vec::with_capacity(p.len());
    for i in 0..n {
        let k = if reverse { n - 1 - i } else { i };
        y.extend_from_slice(&[p[k * 3], p[k * 3 + 2], p[k * 3 + 1]]);
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_and_probabilities_change_order_and_orientation_and_back() {
        // Two positions, genome order, SpliceAI's (neither, acceptor, donor).
        let y = [0.7, 0.2, 0.1, 0.5, 0.1, 0.4];
        let fwd = oriented_scores(&y, false);
        assert_eq!(fwd.acceptor, vec![0.2, 0.1]);
        assert_eq!(fwd.donor, vec![0.1, 0.4]);
        let rev = oriented_scores(&y, true);
        assert_eq!(rev.acceptor, vec![0.1, 0.2]);
        assert_eq!(rev.donor, vec![0.4, 0.1]);
        // The meta-model's (neither, donor, acceptor) in gene orientation, back to SpliceAI's.
        let p = [0.7, 0.1, 0.2, 0.5, 0.4, 0.1];
        assert_eq!(spliceai_order(&p, false), y.to_vec());
        let p_rev = [0.5, 0.4, 0.1, 0.7, 0.1, 0.2];
        assert_eq!(spliceai_order(&p_rev, true), y.to_vec());
    }

    #[test]
    fn letters_other_than_acgt_become_n() {
        let mut s = b"acgtRYNnX".to_vec();
        normalise(&mut s);
        assert_eq!(s, b"ACGTNNNNN");
    }
}
