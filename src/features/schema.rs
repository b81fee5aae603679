//! THE dataset schema: every column's name, type, role and meaning, declared once.
//!
//! The Parquet writer, the dataset reader, the trainer and `docs/dataset-schema.md` all ask this
//! module; nothing else lists columns. The feature order here is the order in which
//! [`super::rows`] computes them (a test pins the two together).

use serde::{Deserialize, Serialize};

/// Bumped whenever a column is added, removed, renamed or computed differently.
pub const SCHEMA_VERSION: u32 = 2;

/// What a column is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Identifies the row (gene, contig, position, strand).
    Id,
    /// The truth and the base model's verdict.
    Label,
    /// An input of the meta-model.
    Feature,
    /// A row weight.
    Weight,
}

/// The storage type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// UTF-8 string.
    Utf8,
    /// 64-bit signed integer.
    Int64,
    /// 32-bit float.
    Float32,
}

/// Which part of the features a column belongs to (for the docs and for importance reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// Identifier, label or weight column.
    Row,
    /// Derived from the base-model scores around the position.
    ScoreContext,
    /// Nearest strong calls up- and downstream.
    PredictionContext,
    /// Derived from the sequence around the position.
    Sequence,
    /// k-mer counts in the sequence window.
    Kmer,
    /// Gene-level aggregates of the annotation (the same for every row of a gene, except
    /// `relative_position`, which uses only the gene's start and end).
    GeneStructure,
}

/// One column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Storage type.
    #[serde(rename = "type")]
    pub dtype: ColumnType,
    /// Role.
    pub role: Role,
    /// Feature group.
    pub group: Group,
    /// What it holds.
    pub doc: String,
}

/// The identifier, label and weight columns, in order.
const ROW_COLUMNS: &[(&str, ColumnType, Role, &str)] = &[
    (
        "gene_id",
        ColumnType::Utf8,
        Role::Id,
        "gene id from the annotation",
    ),
    ("chrom", ColumnType::Utf8, Role::Id, "contig name"),
    (
        "position",
        ColumnType::Int64,
        Role::Id,
        "genomic position, 1-based, forward strand",
    ),
    ("strand", ColumnType::Utf8, Role::Id, "gene strand, + or -"),
    (
        "splice_type",
        ColumnType::Utf8,
        Role::Label,
        "annotated site at this position: donor, acceptor or neither",
    ),
    (
        "pred_type",
        ColumnType::Utf8,
        Role::Label,
        "base model vs annotation: TP, FP, FN or TN (merged over donor and acceptor with priority TP > FN > FP > TN)",
    ),
    (
        "sample_weight",
        ColumnType::Float32,
        Role::Weight,
        "inverse probability that negative sampling kept this row (1 for kept-by-rule rows)",
    ),
];

/// Base-score context features (gene orientation: `m` = upstream/5', `p` = downstream/3').
pub const SCORE_CONTEXT: &[(&str, &str)] = &[
    ("donor_score", "base-model P(donor)"),
    ("acceptor_score", "base-model P(acceptor)"),
    (
        "neither_score",
        "base-model P(neither) = 1 - donor - acceptor",
    ),
    ("donor_score_m2", "P(donor) 2 nt upstream"),
    ("donor_score_m1", "P(donor) 1 nt upstream"),
    ("donor_score_p1", "P(donor) 1 nt downstream"),
    ("donor_score_p2", "P(donor) 2 nt downstream"),
    ("acceptor_score_m2", "P(acceptor) 2 nt upstream"),
    ("acceptor_score_m1", "P(acceptor) 1 nt upstream"),
    ("acceptor_score_p1", "P(acceptor) 1 nt downstream"),
    ("acceptor_score_p2", "P(acceptor) 2 nt downstream"),
    ("neither_score_m1", "P(neither) 1 nt upstream"),
    ("neither_score_p1", "P(neither) 1 nt downstream"),
    ("donor_diff_m1", "donor_score - donor_score_m1"),
    ("donor_diff_p1", "donor_score - donor_score_p1"),
    ("acceptor_diff_m1", "acceptor_score - acceptor_score_m1"),
    ("acceptor_diff_p1", "acceptor_score - acceptor_score_p1"),
    (
        "donor_second_diff",
        "donor_score_m1 + donor_score_p1 - 2 donor_score",
    ),
    (
        "acceptor_second_diff",
        "acceptor_score_m1 + acceptor_score_p1 - 2 acceptor_score",
    ),
    (
        "donor_is_local_peak",
        "1 if donor_score > 0 and no higher within ±2 nt",
    ),
    (
        "acceptor_is_local_peak",
        "1 if acceptor_score > 0 and no higher within ±2 nt",
    ),
    (
        "donor_peak_ratio",
        "donor_score / (max donor score within ±2 nt, self excluded, + 0.001)",
    ),
    (
        "acceptor_peak_ratio",
        "acceptor_score / (max acceptor score within ±2 nt, self excluded, + 0.001)",
    ),
    ("donor_log_odds", "ln((donor + 1e-6) / (1 - donor + 1e-6))"),
    (
        "acceptor_log_odds",
        "ln((acceptor + 1e-6) / (1 - acceptor + 1e-6))",
    ),
    (
        "donor_acceptor_log_ratio",
        "ln((donor + 1e-6) / (acceptor + 1e-6))",
    ),
    ("donor_minus_acceptor", "donor_score - acceptor_score"),
    ("max_splice_score", "max(donor_score, acceptor_score)"),
    ("splice_score_sum", "donor_score + acceptor_score"),
    (
        "score_entropy",
        "Shannon entropy (nats) of (donor, acceptor, neither)",
    ),
    (
        "donor_window_max",
        "max P(donor) within ±10 nt, self excluded",
    ),
    (
        "acceptor_window_max",
        "max P(acceptor) within ±10 nt, self excluded",
    ),
    ("donor_window_mean", "mean P(donor) within ±10 nt"),
    ("acceptor_window_mean", "mean P(acceptor) within ±10 nt"),
    (
        "donor_context_ratio",
        "donor_score / (donor_window_mean + 0.001)",
    ),
    (
        "acceptor_context_ratio",
        "acceptor_score / (acceptor_window_mean + 0.001)",
    ),
    (
        "donor_window_rank",
        "positions within ±10 nt with a higher P(donor)",
    ),
    (
        "acceptor_window_rank",
        "positions within ±10 nt with a higher P(acceptor)",
    ),
    ("donor_sum_50", "sum of P(donor) within ±50 nt"),
    ("acceptor_sum_50", "sum of P(acceptor) within ±50 nt"),
    (
        "donor_calls_500",
        "donor calls (score >= threshold) within ±500 nt, self excluded",
    ),
    (
        "acceptor_calls_500",
        "acceptor calls (score >= threshold) within ±500 nt, self excluded",
    ),
];

/// Prediction-context features: the nearest strong calls (score >= threshold) up- and
/// downstream in the gene's region, self excluded. Where there is none, the distance is
/// censored at the region's edge (one past it) and the score is 0: no feature is ever missing.
pub const PREDICTION_CONTEXT: &[(&str, &str)] = &[
    (
        "up_acceptor_dist",
        "nt to the nearest acceptor call upstream (exon-length plausibility for a donor)",
    ),
    ("up_acceptor_score", "its P(acceptor)"),
    (
        "down_acceptor_dist",
        "nt to the nearest acceptor call downstream (intron-length plausibility for a donor)",
    ),
    ("down_acceptor_score", "its P(acceptor)"),
    (
        "up_donor_dist",
        "nt to the nearest donor call upstream (intron-length plausibility for an acceptor)",
    ),
    ("up_donor_score", "its P(donor)"),
    (
        "down_donor_dist",
        "nt to the nearest donor call downstream (exon-length plausibility for an acceptor)",
    ),
    ("down_donor_score", "its P(donor)"),
];

/// Sequence features around the position (gene orientation).
pub const SEQUENCE: &[(&str, &str)] = &[
    ("donor_dinucleotide_gt", "1 if the next two bases are GT"),
    ("donor_dinucleotide_gc", "1 if the next two bases are GC"),
    (
        "acceptor_dinucleotide_ag",
        "1 if the previous two bases are AG",
    ),
    (
        "ppt_fraction",
        "fraction of C/T from 25 to 3 nt upstream (polypyrimidine tract)",
    ),
    (
        "ppt_longest_run",
        "longest run of C/T within 40 nt upstream",
    ),
    (
        "gc_content",
        "G+C fraction of the non-N bases of the ±250 nt window",
    ),
    (
        "window_length",
        "bases in the ±250 nt window (shorter at contig ends)",
    ),
    (
        "n_count",
        "N bases in the window (k-mers with N are not counted)",
    ),
    (
        "sequence_complexity",
        "Shannon entropy of the window's smallest-k k-mer counts / its maximum (0..1)",
    ),
];

/// Gene-level structure features (aggregates over the whole gene, never near the position).
pub const GENE_STRUCTURE: &[(&str, &str)] = &[
    ("gene_length", "gene length in nt"),
    ("n_transcripts", "transcripts of the gene"),
    ("n_exons", "distinct exons of the gene"),
    ("mean_exon_length", "mean length of the distinct exons"),
    ("n_introns", "distinct introns of the gene"),
    (
        "mean_intron_length",
        "mean length of the distinct introns (0 if none)",
    ),
    ("gene_gc_content", "G+C fraction of the gene"),
    (
        "relative_position",
        "(position - gene 5' end) / (gene length - 1), in transcription direction",
    ),
];

/// The k-mer column names for `k`, over the fixed ACGT vocabulary in lexicographic order.
pub fn kmer_names(k: usize) -> Vec<String> {
    (0..1usize << (2 * k))
        .map(|i| {
            let s: String = (0..k)
                .map(|p| b"ACGT"[(i >> (2 * (k - 1 - p))) & 3] as char)
                .collect();
            format!("{k}mer_{s}")
        })
        .collect()
}

/// The dataset's columns for a given k-mer configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    /// [`SCHEMA_VERSION`].
    pub version: u32,
    /// k-mer sizes.
    pub kmer_sizes: Vec<usize>,
    /// Whether the gene-structure features are in (recorded only when they are not, so that
    /// the schema of every dataset built with them is what it always was).
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub structure: bool,
    /// Columns in file order.
    pub columns: Vec<Column>,
}

fn yes() -> bool {
    true
}

fn is_yes(b: &bool) -> bool {
    *b
}

impl Schema {
    /// The schema for k-mer sizes `kmer_sizes` (each 1..=6), with the gene-structure features.
    pub fn new(kmer_sizes: &[usize]) -> Self {
        Self::with_structure(kmer_sizes, true)
    }

    /// The schema for k-mer sizes `kmer_sizes`, with the gene-structure features or without
    /// (`builder --no-structure-features`: features a region without an annotation has too).
    pub fn with_structure(kmer_sizes: &[usize], structure: bool) -> Self {
        let mut columns: Vec<Column> = ROW_COLUMNS
            .iter()
            .map(|&(name, dtype, role, doc)| Column {
                name: name.into(),
                dtype,
                role,
                group: Group::Row,
                doc: doc.into(),
            })
            .collect();
        let mut feature = |name: String, group, doc: String| {
            columns.push(Column {
                name,
                dtype: ColumnType::Float32,
                role: Role::Feature,
                group,
                doc,
            })
        };
        for (list, group) in [
            (SCORE_CONTEXT, Group::ScoreContext),
            (PREDICTION_CONTEXT, Group::PredictionContext),
            (SEQUENCE, Group::Sequence),
        ] {
            for &(n, d) in list {
                feature(n.into(), group, d.into());
            }
        }
        for &k in kmer_sizes {
            for n in kmer_names(k) {
                feature(
                    n,
                    Group::Kmer,
                    format!("count of this {k}-mer in the ±250 nt window"),
                );
            }
        }
        if structure {
            for &(n, d) in GENE_STRUCTURE {
                feature(n.into(), Group::GeneStructure, d.into());
            }
        }
        Self {
            version: SCHEMA_VERSION,
            kmer_sizes: kmer_sizes.to_vec(),
            structure,
            columns,
        }
    }

    /// Feature columns in order.
    pub fn features(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| c.role == Role::Feature)
    }

    /// Number of feature columns.
    pub fn n_features(&self) -> usize {
        self.features().count()
    }

    /// The Arrow schema of the Parquet parts.
    pub fn arrow(&self) -> arrow_schema::Schema {
        use arrow_schema::{DataType, Field};
        arrow_schema::Schema::new(
            self.columns
                .iter()
                .map(|c| {
                    let dt = match c.dtype {
                        ColumnType::Utf8 => DataType::Utf8,
                        ColumnType::Int64 => DataType::Int64,
                        ColumnType::Float32 => DataType::Float32,
                    };
                    // Every feature is a finite float32: nothing is null or NaN.
                    Field::new(&c.name, dt, false)
                })
                .collect::<Vec<_>>(),
        )
    }

    /// The schema as a Markdown document (what `docs/dataset-schema.md` holds).
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "# Dataset schema (version {}, k-mer sizes {:?})\n\n\
             Generated from `src/features/schema.rs` by `spliceforge schema --markdown`; a test fails \
             if this file and the module drift apart. {} columns: {} features.\n\n\
             | # | column | type | role | group | meaning |\n|---|---|---|---|---|---|\n",
            self.version,
            self.kmer_sizes,
            self.columns.len(),
            self.n_features()
        ));
        let mut kmer_done = false;
        for (i, c) in self.columns.iter().enumerate() {
            if c.group == Group::Kmer {
                if !kmer_done {
                    let n = self
                        .columns
                        .iter()
                        .filter(|c| c.group == Group::Kmer)
                        .count();
                    s.push_str(&format!(
                        "| {}–{} | `{}` … | float32 | feature | kmer | {} k-mer count columns (`{{k}}mer_{{ACGT…}}`, lexicographic): count in the ±250 nt window, gene orientation; N never appears in names |\n",
                        i + 1,
                        i + n,
                        c.name,
                        n
                    ));
                    kmer_done = true;
                }
                continue;
            }
            s.push_str(&format!(
                "| {} | `{}` | {} | {} | {} | {} |\n",
                i + 1,
                c.name,
                serde_name(&c.dtype),
                serde_name(&c.role),
                serde_name(&c.group),
                c.doc
            ));
        }
        s
    }
}

/// The serde name of a unit enum value (`float32`, `feature`…).
fn serde_name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schema_has_about_130_features_and_unique_names() {
        let s = Schema::new(&[3]);
        assert_eq!(s.n_features(), 42 + 8 + 9 + 64 + 8);
        let mut names: Vec<&str> = s.columns.iter().map(|c| c.name.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), s.columns.len());
        assert!(
            s.columns
                .iter()
                .all(|c| !c.name.contains('N') || !c.name.contains("mer_"))
        );
        assert_eq!(kmer_names(2)[..3], ["2mer_AA", "2mer_AC", "2mer_AG"]);
    }

    #[test]
    fn docs_dataset_schema_matches_this_module() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/dataset-schema.md");
        let doc = std::fs::read_to_string(&path).unwrap_or_default();
        let want = Schema::new(&[3]).markdown();
        assert!(
            doc.starts_with(&want),
            "docs/dataset-schema.md is out of date: regenerate its table with `spliceforge schema --markdown`"
        );
    }
}
