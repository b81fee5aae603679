//! The rows of one gene: labels, sampling and every feature of the schema, in schema order.

use serde::{Deserialize, Serialize};

use super::context::ScoreContext;
use super::label::{self, LabelConfig, PredType, SpliceType};
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

/// Bins of the score histogram used for average precision.
pub const QUALITY_BINS: usize = 1000;

/// Base-model quality for one site type, accumulated over positions and genes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeQuality {
    /// Annotated sites.
    pub sites: u64,
    /// Calls (score ≥ threshold).
    pub calls: u64,
    /// Calls within the consensus window of a true site.
    pub true_calls: u64,
    /// Sites with a call within the consensus window.
    pub found_sites: u64,
    /// Per score bin: positions that are true sites.
    pub hist_pos: Vec<u64>,
    /// Per score bin: positions that are not.
    pub hist_neg: Vec<u64>,
}

impl Default for TypeQuality {
    fn default() -> Self {
        Self {
            sites: 0,
            calls: 0,
            true_calls: 0,
            found_sites: 0,
            hist_pos: vec![0; QUALITY_BINS],
            hist_neg: vec![0; QUALITY_BINS],
        }
    }
}

impl TypeQuality {
    /// Adds another gene's figures.
    pub fn merge(&mut self, o: &TypeQuality) {
        self.sites += o.sites;
        self.calls += o.calls;
        self.true_calls += o.true_calls;
        self.found_sites += o.found_sites;
        for (a, b) in self.hist_pos.iter_mut().zip(&o.hist_pos) {
            *a += b;
        }
        for (a, b) in self.hist_neg.iter_mut().zip(&o.hist_neg) {
            *a += b;
        }
    }

    /// Precision at the threshold (calls near a true site / calls).
    pub fn precision(&self) -> f64 {
        ratio(self.true_calls, self.calls)
    }

    /// Recall at the threshold (sites with a call nearby / sites).
    pub fn recall(&self) -> f64 {
        ratio(self.found_sites, self.sites)
    }

    /// F1 at the threshold.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Average precision of the exact-position ranking, from the score histogram
    /// (scores binned at 0.001; positions scoring 0 rank last).
    pub fn average_precision(&self) -> f64 {
        let total_pos: u64 = self.hist_pos.iter().sum();
        if total_pos == 0 {
            return 0.0;
        }
        let (mut tp, mut fp, mut ap) = (0u64, 0u64, 0.0f64);
        for b in (0..QUALITY_BINS).rev() {
            let (p, n) = (self.hist_pos[b], self.hist_neg[b]);
            if p == 0 && n == 0 {
                continue;
            }
            tp += p;
            fp += n;
            ap += (p as f64 / total_pos as f64) * (tp as f64 / (tp + fp) as f64);
        }
        ap
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Base-model quality for both types.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Donor figures.
    pub donor: TypeQuality,
    /// Acceptor figures.
    pub acceptor: TypeQuality,
}

impl Quality {
    /// Adds another gene's figures.
    pub fn merge(&mut self, o: &Quality) {
        self.donor.merge(&o.donor);
        self.acceptor.merge(&o.acceptor);
    }
}

fn quality(
    sites: &[(usize, SiteKind)],
    scores: &Scores,
    first: usize,
    last: usize,
    cfg: &LabelConfig,
) -> Quality {
    let mut q = Quality::default();
    let w = cfg.consensus_window;
    for (kind, v, tq) in [
        (SiteKind::Donor, &scores.donor, &mut q.donor),
        (SiteKind::Acceptor, &scores.acceptor, &mut q.acceptor),
    ] {
        let truth: Vec<usize> = sites.iter().filter(|s| s.1 == kind).map(|s| s.0).collect();
        let calls: Vec<usize> = (first..=last).filter(|&j| v[j] >= cfg.threshold).collect();
        let near = |sorted: &[usize], j: usize| {
            let lo = sorted.partition_point(|&x| x + w < j);
            lo < sorted.len() && sorted[lo] <= j + w
        };
        tq.sites = truth.len() as u64;
        tq.calls = calls.len() as u64;
        tq.true_calls = calls.iter().filter(|&&c| near(&truth, c)).count() as u64;
        tq.found_sites = truth.iter().filter(|&&t| near(&calls, t)).count() as u64;
        for (j, &x) in v.iter().enumerate().take(last + 1).skip(first) {
            let bin = ((x * QUALITY_BINS as f32) as usize).min(QUALITY_BINS - 1);
            if truth.binary_search(&j).is_ok() {
                tq.hist_pos[bin] += 1;
            } else {
                tq.hist_neg[bin] += 1;
            }
        }
    }
    q
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
    let structure = GeneStructure::new(gene, region);
    let mut features = Vec::with_capacity(sample.kept.len() * n_features);
    for &i in &sample.kept {
        let j = first + i;
        window.move_to(j);
        ctx.score_features(j, &mut features);
        ctx.prediction_features(j, &mut features);
        window.features(j, &mut features);
        window.kmer_features(&mut features);
        structure.features(j, &mut features);
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
        quality: quality(&sites, scores, first, last, &cfg.label),
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
