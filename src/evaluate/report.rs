//! What `evaluate` computes from a read table and writes: `metrics.json` ([`EvalMetrics`]),
//! `genes.tsv` (per gene), `report.md`, `pr-donor.svg` and `pr-acceptor.svg`, and the console
//! summary (the report's first table).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::train::eval::report::{Series, svg_lines};

use super::metrics::{Calls, ranked, top_k};
use super::table::{MODELS, TYPES, Table};

/// How top-k breaks ties, in words (help, report, `metrics.json`).
pub const TIE_RULE: &str = "rows ranked by score, highest first; tied scores in table order (a stable sort), so among tied rows the earlier ones in the table are taken first";

/// `metrics.json`: everything an evaluation measured, with its inputs and settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvalMetrics {
    /// The table judged: its path (as given), size and SHA-256.
    pub predictions: Input,
    /// The annotation whose sites are the truth, when one is given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub annotation: Option<Input>,
    /// Where the true sites come from, and which transcripts' sites count.
    pub truth: serde_json::Value,
    /// The base model calls a site where its score reaches this.
    pub threshold: f32,
    /// How top-k breaks ties.
    pub tie_rule: String,
    /// The evaluation's fingerprint (its inputs' checksums and settings), as in `evaluation.json`.
    pub fingerprint: String,
    /// Rows (bases) of the table.
    pub rows: u64,
    /// Genes (consecutive rows of one gene id, contig and strand).
    pub genes: u64,
    /// Per site type: donor, acceptor.
    pub types: Vec<TypeMetrics>,
}

/// An input file by content.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Input {
    /// The path as given.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 (hex).
    pub sha256: String,
}

/// One site type, both models.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TypeMetrics {
    /// `donor` or `acceptor`.
    pub site_type: String,
    /// True sites of this type among the rows (top-k's k).
    pub true_sites: u64,
    /// The base model (base_donor / base_acceptor; calls at the threshold).
    pub base: ModelMetrics,
    /// The meta-model (p_donor / p_acceptor; calls: the table's `predicted`).
    pub meta: ModelMetrics,
}

/// One model's figures for one site type.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelMetrics {
    /// Top-k accuracy over every row (`null` without a true site).
    pub top_k: Option<f64>,
    /// Average precision over every row (PR-AUC; scikit-learn's definition, ties grouped).
    pub average_precision: f64,
    /// Precision of the model's calls.
    pub precision: f64,
    /// Recall of the model's calls.
    pub recall: f64,
    /// F1 of the model's calls.
    pub f1: f64,
    /// The call counts.
    #[serde(flatten)]
    pub calls: CallCounts,
}

/// The call counts of [`Calls`], as `metrics.json` names them.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct CallCounts {
    /// Called and true.
    pub tp: u64,
    /// Called, not true.
    pub fp: u64,
    /// True, not called.
    #[serde(rename = "fn")]
    pub fn_: u64,
}

/// One gene's figures (a line of `genes.tsv`).
#[derive(Debug, Clone)]
pub struct GeneMetrics {
    /// Gene id, contig, strand.
    pub gene_id: String,
    /// Its contig.
    pub chrom: String,
    /// `+` or `-`.
    pub strand: String,
    /// Rows (bases).
    pub bases: usize,
    /// True sites per type (donor, acceptor).
    pub sites: [usize; 2],
    /// `top_k[model][type]` within the gene (k = its own true sites of the type).
    pub top_k: [[Option<f64>; 2]; 2],
}

impl GeneMetrics {
    /// The meta-model's hits over both types, over the gene's true sites (`None` without any).
    fn meta_pooled(&self) -> Option<f64> {
        let k: usize = self.sites.iter().sum();
        let hits: f64 = (0..2)
            .map(|t| self.top_k[1][t].unwrap_or(0.0) * self.sites[t] as f64)
            .sum();
        (k > 0).then(|| hits / k as f64)
    }
}

/// Everything computed from a table: the figures, the per-gene lines and the PR curves
/// (`curves[type][model]`).
pub struct Computed {
    /// The types' figures.
    pub types: Vec<TypeMetrics>,
    /// Per gene.
    pub genes: Vec<GeneMetrics>,
    /// `curves[type][model]`: `(recall, precision)` points.
    pub curves: [[Vec<(f64, f64)>; 2]; 2],
}

/// Computes every figure of `t`: one ranking per model and type over every row, then each
/// gene's own.
pub fn compute(t: &Table) -> Computed {
    let truth = &t.rows.truth;
    let mut types = Vec::new();
    let mut curves: [[Vec<(f64, f64)>; 2]; 2] = Default::default();
    for (k, &(name, class)) in TYPES.iter().enumerate() {
        let is = |i: usize| truth[i] == class;
        let figures = [0, 1].map(|m| {
            let r = ranked(&t.rows.scores[m][k], is);
            let c: Calls = t.calls[m][k];
            let (precision, recall, f1) = c.prf();
            curves[k][m] = r.curve;
            ModelMetrics {
                top_k: r.top_k,
                average_precision: r.average_precision,
                precision,
                recall,
                f1,
                calls: CallCounts {
                    tp: c.tp,
                    fp: c.fp,
                    fn_: c.fn_,
                },
            }
        });
        let [base, meta] = figures;
        types.push(TypeMetrics {
            site_type: name.into(),
            true_sites: truth.iter().filter(|&&c| c == class).count() as u64,
            base,
            meta,
        });
    }
    let genes = t
        .genes
        .iter()
        .map(|g| {
            let rows = g.start..g.end;
            let sites =
                TYPES.map(|(_, class)| truth[rows.clone()].iter().filter(|&&c| c == class).count());
            let top_k = [0, 1].map(|m| {
                [0, 1].map(|k| {
                    let class = TYPES[k].1;
                    let s = &t.rows.scores[m][k][rows.clone()];
                    top_k(s, |i| truth[g.start + i] == class)
                })
            });
            GeneMetrics {
                gene_id: g.gene_id.clone(),
                chrom: g.chrom.clone(),
                strand: g.strand.clone(),
                bases: g.end - g.start,
                sites,
                top_k,
            }
        })
        .collect();
    Computed {
        types,
        genes,
        curves,
    }
}

/// A figure with four decimals, or `–` where there is none.
fn fig(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.4}"))
}

/// `genes.tsv`: one line per gene, in table order; a top-k is empty where the gene has no true
/// site of the type.
pub fn genes_tsv(genes: &[GeneMetrics]) -> String {
    let mut s = String::from(
        "gene_id\tchrom\tstrand\tbases\tdonors\tacceptors\tbase_donor_top_k\tmeta_donor_top_k\tbase_acceptor_top_k\tmeta_acceptor_top_k\n",
    );
    for g in genes {
        let cell = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v}"));
        let _ = writeln!(s, "{}", gene_cells(g, cell).join("\t"));
    }
    s
}

/// A gene's row, in the column order of `genes.tsv` and the report's gene table, each top-k
/// written by `cell`.
fn gene_cells(g: &GeneMetrics, cell: impl Fn(Option<f64>) -> String) -> Vec<String> {
    vec![
        g.gene_id.clone(),
        g.chrom.clone(),
        g.strand.clone(),
        g.bases.to_string(),
        g.sites[0].to_string(),
        g.sites[1].to_string(),
        cell(g.top_k[0][0]),
        cell(g.top_k[1][0]),
        cell(g.top_k[0][1]),
        cell(g.top_k[1][1]),
    ]
}

/// The PR curves of one site type, base against meta, as SVG.
pub fn pr_svg(type_index: usize, curves: &[Vec<(f64, f64)>; 2]) -> String {
    let name = TYPES[type_index].0;
    let colors = if type_index == 0 {
        ["#ee9988", "#cc3311"]
    } else {
        ["#88bbdd", "#0077bb"]
    };
    let series: Vec<Series<'_>> = (0..2)
        .map(|m| {
            (
                format!("{} {name}", MODELS[m]),
                colors[m],
                curves[m].clone(),
            )
        })
        .collect();
    svg_lines(
        &format!("Precision-recall, every base: {name}"),
        "recall",
        "precision",
        &series,
    )
}

/// The first table (base → meta per site type), as Markdown.
fn first_table(m: &EvalMetrics) -> String {
    let mut r = String::from(
        "| site type | true sites | base top-k | meta top-k | base AP | meta AP | base precision | meta precision | base recall | meta recall | base F1 | meta F1 |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for t in &m.types {
        let (b, x) = (&t.base, &t.meta);
        let _ = writeln!(
            r,
            "| {} | {} | {} | {} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} |",
            t.site_type,
            t.true_sites,
            fig(b.top_k),
            fig(x.top_k),
            b.average_precision,
            x.average_precision,
            b.precision,
            x.precision,
            b.recall,
            x.recall,
            b.f1,
            x.f1
        );
    }
    r
}

/// How many genes the report lists at the top and at the bottom.
const LISTED: usize = 5;

/// `report.md`.
pub fn markdown(m: &EvalMetrics, truth: &str, genes: &[GeneMetrics]) -> String {
    let mut r = String::from("# spliceforge every-base evaluation\n\n");
    let _ = writeln!(
        r,
        "Predictions `{}` (SHA-256 {}…): {} bases of {} genes. True sites: {truth}. The base model calls a site where its higher score (donor or acceptor) reaches {}; the meta-model's calls are the table's `predicted` column (its argmax before calibration).\n",
        m.predictions.path,
        &m.predictions.sha256[..12.min(m.predictions.sha256.len())],
        m.rows,
        m.genes,
        m.threshold
    );
    let _ = writeln!(
        r,
        "## Result: base model → meta-model, every base\n\n{}",
        first_table(m)
    );
    let _ = writeln!(
        r,
        "**top-k** (SpliceAI's headline figure): with k the number of true sites of the type among all rows, the fraction of the k highest-scoring rows that are true sites; {TIE_RULE}. **AP** (average precision, the area under the precision–recall curve) ranks every row and groups tied scores (scikit-learn's `average_precision_score`). Precision, recall and F1 are those of each model's calls.\n"
    );
    let with_sites: Vec<&GeneMetrics> =
        genes.iter().filter(|g| g.meta_pooled().is_some()).collect();
    let _ = writeln!(
        r,
        "## Per gene\n\n{} genes, {} with a true site; every gene's figures are in `genes.tsv` (top-k within the gene, k = its own true sites of the type). The best and the worst by the meta-model's top-k over both types:\n",
        genes.len(),
        with_sites.len()
    );
    let mut ranked = with_sites.clone();
    ranked.sort_by(|a, b| {
        let (x, y) = (
            a.meta_pooled().unwrap_or(0.0),
            b.meta_pooled().unwrap_or(0.0),
        );
        y.total_cmp(&x).then_with(|| a.gene_id.cmp(&b.gene_id))
    });
    let n = ranked.len();
    let mut listed: Vec<&GeneMetrics> = ranked.iter().take(LISTED).copied().collect();
    listed.extend(
        ranked
            .iter()
            .skip(LISTED.max(n.saturating_sub(LISTED)))
            .copied(),
    );
    let _ = writeln!(
        r,
        "| gene | chrom | strand | bases | donors | acceptors | base donor top-k | meta donor top-k | base acceptor top-k | meta acceptor top-k |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    for (i, g) in listed.iter().enumerate() {
        if i == LISTED && n > 2 * LISTED {
            let _ = writeln!(r, "| … | | | | | | | | | |");
        }
        let _ = writeln!(r, "| {} |", gene_cells(g, fig).join(" | "));
    }
    let _ = writeln!(
        r,
        "\n## Precision–recall curves\n\n![donor](pr-donor.svg)\n![acceptor](pr-acceptor.svg)"
    );
    r
}

/// The console summary: what was judged, then the first table's figures.
pub fn summary(m: &EvalMetrics, out: &std::path::Path) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "evaluated {} bases of {} genes of {} (base model calls at ≥ {}):",
        m.rows, m.genes, m.predictions.path, m.threshold
    );
    for t in &m.types {
        let (b, x) = (&t.base, &t.meta);
        let _ = writeln!(
            s,
            "  {:<9} top-k: base {} → meta {}  (AP {:.3} → {:.3}, F1 {:.3} → {:.3}; {} true sites)",
            t.site_type,
            b.top_k.map_or("–".into(), |v| format!("{v:.3}")),
            x.top_k.map_or("–".into(), |v| format!("{v:.3}")),
            b.average_precision,
            x.average_precision,
            b.f1,
            x.f1,
            t.true_sites
        );
    }
    let _ = writeln!(
        s,
        "  metrics.json, report.md, genes.tsv and PR curves in {}",
        out.display()
    );
    s
}
