//! The rows of one gene: labels, sampling and every feature of the schema, in schema order.

use serde::{Deserialize, Serialize};

use super::context::ScoreContext;
use super::label::{self, LabelConfig, PredType, SpliceType};
use super::quality::{self, Quality};
use super::schema::Schema;
use super::sequence::SeqWindow;
use super::structure::GeneStructure;
use crate::basemodel::Scores;
use crate::genome::{Gene, GeneRegion, SiteKind, Strand};

/// Everything that decides a gene's rows besides the gene, its sequence and its scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowConfig {
    /// Labelling and sampling.
    pub label: LabelConfig,
    /// k-mer sizes.
    pub kmer_sizes: Vec<usize>,
    /// Seed of the negative sampling.
    pub seed: u64,
    /// Compute the gene-structure features (from the annotated gene model).
    pub structure: bool,
}

impl RowConfig {
    /// The dataset schema these rows fill.
    pub fn schema(&self) -> Schema {
        Schema::with_structure(&self.kmer_sizes, self.structure)
    }
}

/// One gene's rows; features are column-major (one run per feature, in schema order).
#[derive(Debug, Clone, PartialEq)]
pub struct GeneRows {
    /// Gene id.
    pub gene_id: String,
    /// Contig.
    pub chrom: String,
    /// Strand.
    pub strand: Strand,
    /// Genomic positions (ascending).
    pub positions: Vec<i64>,
    /// Annotated site type per row.
    pub splice: Vec<SpliceType>,
    /// Base-model verdict per row.
    pub pred: Vec<PredType>,
    /// Sample weight per row.
    pub weights: Vec<f32>,
    /// Features, column-major: feature `f` of row `r` is at `f * len + r`.
    pub features: Vec<f32>,
    /// Features per row.
    pub n_features: usize,
    /// The base model's quality on every position of the gene (not only the kept rows).
    pub quality: Quality,
}

impl GeneRows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// Feature `f` of every row.
    pub fn feature(&self, f: usize) -> &[f32] {
        let n = self.len();
        &self.features[f * n..(f + 1) * n]
    }

    /// Annotated sites of the gene.
    pub fn sites(&self) -> u64 {
        self.quality.donor.sites + self.quality.acceptor.sites
    }
}

/// Appends the features of local index `j` (the sequence window is moved there) in schema
/// order; `structure` gives the gene-structure values and `j`'s index in the gene's region.
fn push_row(
    ctx: &ScoreContext<'_>,
    window: &mut SeqWindow<'_>,
    structure: Option<(&GeneStructure, usize)>,
    j: usize,
    out: &mut Vec<f32>,
) {
    window.move_to(j);
    ctx.score_features(j, out);
    ctx.prediction_features(j, out);
    window.features(j, out);
    window.kmer_features(out);
    if let Some((s, g)) = structure {
        s.features(g, out);
    }
}

/// The features of the local indices `rows` (ascending) of a stretch of sequence (`seq`, in
/// gene orientation, upper-case ACGTN) and its base-model scores, row-major, computed as
/// [`gene_rows`] computes a kept row's: what the variant scorer's meta-model reads around a
/// variant, on the reference and on the ALT sequence. `structure` gives the gene's structure
/// values (when the schema has them) and, for each row, its index in the gene's own region.
pub(crate) fn features_at(
    seq: &[u8],
    scores: &Scores,
    rows: std::ops::Range<usize>,
    structure: Option<(&GeneStructure, &dyn Fn(usize) -> usize)>,
    cfg: &RowConfig,
    out: &mut Vec<f32>,
) {
    let ctx = ScoreContext::new(scores, cfg.label.threshold);
    let mut window = SeqWindow::new(seq, &cfg.kmer_sizes);
    for j in rows {
        push_row(
            &ctx,
            &mut window,
            structure.map(|(s, at)| (s, at(j))),
            j,
            out,
        );
    }
}

/// Computes the rows of `gene` from its region and scores.
pub fn gene_rows(
    gene: &Gene,
    region: &GeneRegion,
    scores: &Scores,
    schema: &Schema,
    cfg: &RowConfig,
) -> GeneRows {
    let first = region.gene_first;
    let last = region.gene_last.min(region.len().saturating_sub(1));
    let sites: Vec<(usize, SiteKind)> = region
        .sites(gene)
        .into_iter()
        .filter(|s| (first..=last).contains(&s.0))
        .collect();
    let labels = label::classify(&sites, scores, first, last, &cfg.label);
    let sample = label::sample(&labels, scores, first, &cfg.label, cfg.seed, &gene.id);
    let n_features = schema.n_features();

    let ctx = ScoreContext::new(scores, cfg.label.threshold);
    let mut window = SeqWindow::new(&region.seq, &cfg.kmer_sizes);
    let structure = schema.structure.then(|| GeneStructure::new(gene, region));
    let mut features = Vec::with_capacity(sample.kept.len() * n_features);
    for &i in &sample.kept {
        let j = first + i;
        push_row(
            &ctx,
            &mut window,
            structure.as_ref().map(|s| (s, j)),
            j,
            &mut features,
        );
    }
    debug_assert_eq!(features.len(), sample.kept.len() * n_features);

    // Rows go out in ascending genomic position: reversed on the minus strand.
    let mut order: Vec<usize> = (0..sample.kept.len()).collect();
    if gene.strand == Strand::Reverse {
        order.reverse();
    }
    let mut rows = GeneRows {
        gene_id: gene.id.clone(),
        chrom: gene.contig.clone(),
        strand: gene.strand,
        positions: Vec::with_capacity(order.len()),
        splice: Vec::with_capacity(order.len()),
        pred: Vec::with_capacity(order.len()),
        weights: Vec::with_capacity(order.len()),
        features: vec![0.0; features.len()],
        n_features,
        quality: quality::of_gene(&sites, scores, first, last, &cfg.label),
    };
    let n = order.len();
    for &r in &order {
        let i = sample.kept[r];
        rows.positions.push(region.genomic(first + i) as i64);
        rows.splice.push(labels.splice[i]);
        rows.pred.push(labels.pred[i]);
        rows.weights.push(sample.weights[r]);
    }
    // Row-major → column-major, in blocks of rows so that writes stay in cache.
    const BLOCK: usize = 64;
    for block in order.chunks(BLOCK).enumerate() {
        let (b, rs) = block;
        for f in 0..n_features {
            let dst = &mut rows.features[f * n + b * BLOCK..f * n + b * BLOCK + rs.len()];
            for (d, &r) in dst.iter_mut().zip(rs) {
                *d = features[r * n_features + f];
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genome::fasta::Contig;
    use crate::genome::{Exon, Transcript};

    /// A two-exon gene on a 3 kb contig of seeded letters, with seeded scores around it.
    fn case(strand: Strand) -> (Gene, GeneRegion, Scores) {
        let mut x = 12345u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let seq: Vec<u8> = (0..3000).map(|_| b"ACGT"[(next() % 4) as usize]).collect();
        let contig = Contig {
            name: "c".into(),
            seq,
        };
        let exons = vec![
            Exon {
                start: 1001,
                end: 1200,
            },
            Exon {
                start: 1601,
                end: 2000,
            },
        ];
        let gene = Gene {
            id: "g".into(),
            name: "g".into(),
            biotype: None,
            contig: "c".into(),
            strand,
            start: 1001,
            end: 2000,
            transcripts: vec![Transcript::new("t".into(), exons)],
        };
        let region = GeneRegion::new(&gene, &contig, 250);
        let mut scores = Scores::zeros(region.len());
        for i in 0..region.len() {
            let r = next() % 1000;
            // Mostly low, some calls.
            let (d, a) = match r {
                0..=9 => (0.9, 0.05),
                10..=19 => (0.02, 0.8),
                _ => ((r % 100) as f32 / 1000.0, (r % 37) as f32 / 1000.0),
            };
            scores.donor[i] = d;
            scores.acceptor[i] = a;
        }
        (gene, region, scores)
    }

    #[test]
    fn features_at_any_rows_equal_the_gene_rows_of_every_base() {
        for strand in [Strand::Forward, Strand::Reverse] {
            let (gene, region, scores) = case(strand);
            let mut cfg = RowConfig {
                label: LabelConfig::default(),
                kmer_sizes: vec![2, 3],
                seed: 1,
                structure: true,
            };
            cfg.label.keep_all = true;
            let schema = cfg.schema();
            let rows = gene_rows(&gene, &region, &scores, &schema, &cfg);
            let n = rows.len();
            let cols = schema.n_features();
            assert_eq!(n, region.gene_last - region.gene_first + 1);
            let structure = GeneStructure::new(&gene, &region);
            let identity = |j: usize| j;
            // Rows from the middle of the gene (local indices), row-major.
            let (from, to) = (region.gene_first + 300, region.gene_first + 420);
            let mut out = Vec::new();
            features_at(
                &region.seq,
                &scores,
                from..to,
                Some((&structure, &identity)),
                &cfg,
                &mut out,
            );
            assert_eq!(out.len(), (to - from) * cols);
            for j in from..to {
                // gene_rows gives rows in ascending genomic position.
                let r = match strand {
                    Strand::Forward => j - region.gene_first,
                    Strand::Reverse => region.gene_last - j,
                };
                for f in 0..cols {
                    let want = rows.features[f * n + r];
                    let got = out[(j - from) * cols + f];
                    assert_eq!(
                        want.to_bits(),
                        got.to_bits(),
                        "{strand:?} row {j} feature {f}"
                    );
                }
            }
        }
    }
}
