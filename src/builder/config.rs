//! The builder's resolved configuration, and the part of it that decides the content.

use std::path::PathBuf;

use serde_json::json;

use crate::features::RowConfig;
use crate::genome::{Format, Selection};
use crate::store::Shard;
use crate::store::shard::CONFIG_KEY;

/// What `builder` and `score` both read and how they score it: the inputs, the gene selection,
/// the base model, the flank and the threads.
#[derive(Debug, Clone)]
pub struct Scoring {
    /// Genome FASTA.
    pub genome: PathBuf,
    /// Annotation GTF/GFF3.
    pub annotation: PathBuf,
    /// Annotation format, if forced.
    pub annotation_format: Option<Format>,
    /// Gene selection.
    pub selection: Selection,
    /// The base model that scores every position.
    pub base_model: BaseModel,
    /// Bases scored on each side of a gene.
    pub flank: u64,
    /// Compute threads.
    pub threads: usize,
}

/// The base model: one choice, made once by the CLI.
#[derive(Debug, Clone, PartialEq)]
pub enum BaseModel {
    /// The built-in model, trained on a seeded fraction of the genes (reserved: never in the
    /// dataset).
    Builtin {
        /// Fraction of the genes reserved to train it.
        reserve_fraction: f64,
    },
    /// SpliceAI computed natively.
    SpliceAi(SpliceAiSettings),
    /// Scores imported from a file (`--base-scores`).
    Imported(PathBuf),
}

/// Everything `builder` runs on, validated.
#[derive(Debug, Clone)]
pub struct BuildConfig {
    /// Inputs, selection, base model, flank, threads.
    pub scoring: Scoring,
    /// Output directory.
    pub out: PathBuf,
    /// Labelling, sampling, features.
    pub rows: RowConfig,
    /// Genes per batch.
    pub batch_size: usize,
    /// Rows per row group (and the bound on buffered rows).
    pub batch_rows: usize,
    /// Start over, discarding what `out` holds.
    pub overwrite: bool,
    /// Build only this shard's batches (`--shard I/N`).
    pub shard: Option<Shard>,
}

/// Everything `score` runs on, validated.
#[derive(Debug, Clone)]
pub struct ScoreConfig {
    /// Inputs, selection, base model, flank, threads.
    pub scoring: Scoring,
    /// The Parquet file written.
    pub out: PathBuf,
    /// Genes per committed batch.
    pub batch_size: usize,
    /// Start over, discarding what `out` holds.
    pub overwrite: bool,
}

/// Which SpliceAI weights to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpliceAiSettings {
    /// The directory holding `spliceai1.h5` … `spliceai5.h5`.
    pub weights: PathBuf,
    /// How many of them to average (1–5, in file order).
    pub models: usize,
}

impl BaseModel {
    /// Its name as summaries and the plan show it.
    pub fn name(&self) -> &'static str {
        match self {
            BaseModel::Builtin { .. } => "builtin",
            BaseModel::SpliceAi(_) => "spliceai",
            BaseModel::Imported(_) => "imported",
        }
    }

    /// The settings of it that decide the scores (the files themselves are fingerprinted as
    /// inputs).
    pub fn content(&self) -> serde_json::Value {
        match self {
            BaseModel::Imported(_) => json!({"kind": "imported"}),
            BaseModel::SpliceAi(sa) => json!({"kind": "spliceai", "models": sa.models}),
            BaseModel::Builtin { reserve_fraction } => {
                json!({"kind": "builtin", "reserve_fraction": reserve_fraction,
                       "version": crate::basemodel::builtin::MODEL_VERSION})
            }
        }
    }

    /// SpliceAI's settings, when it is SpliceAI.
    pub fn spliceai(&self) -> Option<&SpliceAiSettings> {
        match self {
            BaseModel::SpliceAi(sa) => Some(sa),
            _ => None,
        }
    }
}

impl Scoring {
    /// The selection's settings that decide which genes are scored.
    pub fn selection_content(&self) -> serde_json::Value {
        let s = &self.selection;
        json!({
            "gene_types": s.gene_types,
            "gene_ids_file": s.gene_ids.is_some(),
            "n_genes": s.n_genes,
            "require_introns": s.require_introns,
            "skip_missing_contigs": s.skip_missing_contigs,
        })
    }
}

impl BuildConfig {
    /// The settings that decide the dataset's bytes (no paths, no threads): what the
    /// fingerprint hashes together with the input checksums.
    pub fn content(&self) -> serde_json::Value {
        let sc = &self.scoring;
        let l = &self.rows.label;
        let mut content = json!({
            "annotation_format": sc.annotation_format,
            "selection": sc.selection_content(),
            "seed": self.rows.seed,
            "label": {
                "threshold": l.threshold,
                "consensus_window": l.consensus_window,
                "hard_prob": l.hard_prob,
                "window": l.window,
                "easy_ratio": l.easy_ratio,
                "tn_sampling": if l.keep_all { "none" } else { "sampled" },
            },
            "kmer_sizes": self.rows.kmer_sizes,
            "batch_size": self.batch_size,
            "batch_rows": self.batch_rows,
            "flank": sc.flank,
            "base_model": sc.base_model.content(),
        });
        // Only a sharded run records its shard: a whole run's fingerprint is what it always was,
        // and a merge of the shards gets it back by removing this key.
        if let (Some(shard), Some(map)) = (self.shard, content.as_object_mut()) {
            map.insert(CONFIG_KEY.into(), json!(shard));
        }
        content
    }
}

#[cfg(test)]
impl BuildConfig {
    /// A build of the embedded fly data (`data/`: chromosome 4) into `out`: `n_genes` genes in
    /// batches of 8, the built-in base model, k = 3; for the library's own tests.
    pub(crate) fn fly(out: &std::path::Path, n_genes: usize) -> Self {
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        BuildConfig {
            scoring: Scoring {
                genome: data
                    .join("DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz"),
                annotation: data.join("DmelanDM6_4.gtf.gz"),
                annotation_format: None,
                selection: Selection {
                    n_genes: Some(n_genes),
                    ..Selection::default()
                },
                base_model: BaseModel::Builtin {
                    reserve_fraction: 0.1,
                },
                flank: 250,
                threads: 2,
            },
            out: out.to_path_buf(),
            rows: RowConfig {
                label: crate::features::label::LabelConfig::default(),
                kmer_sizes: vec![3],
                seed: 42,
            },
            batch_size: 8,
            batch_rows: 10_000,
            overwrite: false,
            shard: None,
        }
    }
}
