//! What a build produced: `summary.json` (deterministic: class mix, rows per gene, base-model
//! quality) and the closing table printed after a run (timings, throughput, bottleneck, memory).

use std::fmt::Write as _;

use serde::Serialize;

use super::pipeline::Outcome;
use crate::features::quality::{Quality, TypeQuality};
use crate::rss;
use crate::store::manifest::{BatchEntry, ClassCounts};

/// Base-model quality of one site type at the call threshold.
#[derive(Debug, Clone, Serialize)]
pub struct TypeFigures {
    /// Annotated sites.
    pub sites: u64,
    /// Calls.
    pub calls: u64,
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
    /// Average precision of the exact-position ranking.
    pub average_precision: f64,
}

impl From<&TypeQuality> for TypeFigures {
    fn from(q: &TypeQuality) -> Self {
        Self {
            sites: q.sites,
            calls: q.calls,
            precision: round4(q.precision()),
            recall: round4(q.recall()),
            f1: round4(q.f1()),
            average_precision: round4(q.average_precision()),
        }
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The content of `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Genes with rows.
    pub genes: usize,
    /// Rows.
    pub rows: u64,
    /// Batches.
    pub batches: usize,
    /// Genes reserved for the built-in base model.
    pub reserved_genes: usize,
    /// `builtin` or `imported`.
    pub base_model: String,
    /// Rows per gene: mean, median, min, max.
    pub rows_per_gene: [f64; 4],
    /// Rows per class.
    pub classes: ClassCounts,
    /// Base-model quality on every position of the dataset's genes.
    pub donor: TypeFigures,
    /// See `donor`.
    pub acceptor: TypeFigures,
}

impl Summary {
    /// Summarises the committed batches.
    pub fn of(batches: &[BatchEntry], reserved_genes: usize, base_model: &str) -> Self {
        let mut classes = ClassCounts::default();
        let mut q = Quality::default();
        let mut per_gene: Vec<u64> = Vec::new();
        for b in batches {
            classes.merge(&b.classes);
            q.merge(&(&b.quality).into());
            per_gene.extend(b.genes.iter().map(|g| g.rows));
        }
        per_gene.sort_unstable();
        let rows: u64 = per_gene.iter().sum();
        let n = per_gene.len().max(1) as f64;
        let median = if per_gene.is_empty() {
            0.0
        } else {
            per_gene[per_gene.len() / 2] as f64
        };
        Self {
            genes: per_gene.len(),
            rows,
            batches: batches.len(),
            reserved_genes,
            base_model: base_model.into(),
            rows_per_gene: [
                round4(rows as f64 / n),
                median,
                *per_gene.first().unwrap_or(&0) as f64,
                *per_gene.last().unwrap_or(&0) as f64,
            ],
            classes,
            donor: (&q.donor).into(),
            acceptor: (&q.acceptor).into(),
        }
    }

    /// The human-readable part shared by every run's closing table.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let c = &self.classes;
        let total = self.rows.max(1) as f64;
        let pct = |x: u64| 100.0 * x as f64 / total;
        let _ = writeln!(
            s,
            "dataset: {} genes, {} rows in {} batches ({} genes reserved for the {} base model)",
            self.genes, self.rows, self.batches, self.reserved_genes, self.base_model
        );
        let _ = writeln!(
            s,
            "rows per gene: mean {:.0}, median {:.0}, min {:.0}, max {:.0}",
            self.rows_per_gene[0],
            self.rows_per_gene[1],
            self.rows_per_gene[2],
            self.rows_per_gene[3]
        );
        let _ = writeln!(
            s,
            "class mix: donor {:.2} %, acceptor {:.2} %, neither {:.2} % | TP {} FP {} FN {} TN {}",
            pct(c.donor),
            pct(c.acceptor),
            pct(c.neither),
            c.tp,
            c.fp,
            c.fn_,
            c.tn
        );
        let _ = writeln!(
            s,
            "base model     sites    calls  precision  recall     F1     AP"
        );
        for (name, f) in [("donor", &self.donor), ("acceptor", &self.acceptor)] {
            let _ = writeln!(
                s,
                "  {name:<10}{:>8} {:>8}   {:>7.3} {:>7.3} {:>6.3} {:>6.3}",
                f.sites, f.calls, f.precision, f.recall, f.f1, f.average_precision
            );
        }
        let _ = writeln!(
            s,
            "  (every position of the dataset's genes, a call found if a site is within the consensus window; `train` scores the base model again on its held-out rows, weighted back to every position, so its figures differ a little)"
        );
        s
    }
}

/// The pipeline table: per stage busy time, throughput and utilisation; the bottleneck; totals.
pub fn pipeline_table(o: &Outcome, prepare_secs: f64, total_secs: f64) -> String {
    let mut s = String::new();
    let wall = o.wall.as_secs_f64().max(1e-9);
    let _ = writeln!(
        s,
        "stage               threads   genes    busy s   genes/s      nt/s   utilisation"
    );
    let mut bottleneck = ("", 0.0f64);
    for st in &o.stages {
        let busy = st.busy.as_secs_f64();
        let util = busy / (wall * st.threads as f64);
        if util > bottleneck.1 {
            bottleneck = (st.name, util);
        }
        let per_s = |x: u64| {
            if busy > 0.0 {
                x as f64 / busy * st.threads as f64
            } else {
                0.0
            }
        };
        let _ = writeln!(
            s,
            "  {:<18}{:>6} {:>7} {:>9.2} {:>9.0} {:>9.0} {:>10.0} %",
            st.name,
            st.threads,
            st.genes,
            busy,
            per_s(st.genes),
            per_s(st.nt),
            100.0 * util
        );
    }
    if !bottleneck.0.is_empty() {
        let _ = writeln!(
            s,
            "bottleneck: {} ({:.0} % busy)",
            bottleneck.0,
            100.0 * bottleneck.1
        );
    }
    let _ = writeln!(
        s,
        "this run: {} genes, {} rows, {} batches, {} written in {:.2} s (prepare {:.2} s, pipeline {:.2} s); peak RSS {}",
        o.genes,
        o.rows,
        o.batches,
        rss::human(o.bytes),
        total_secs,
        prepare_secs,
        wall,
        rss::human(rss::peak_rss_bytes())
    );
    s
}
