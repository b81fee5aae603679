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
        window.move_to(j);
        ctx.score_features(j, &mut features);
        ctx.prediction_features(j, &mut features);
        window.features(j, &mut features);
        window.kmer_features(&mut features);
        if let Some(s) = &structure {
            s.features(j, &mut features);
        }
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
