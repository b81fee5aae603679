//! The builder's resolved configuration, and the part of it that decides the content.

use std::path::PathBuf;

use serde_json::json;

use crate::features::RowConfig;
use crate::genome::{Format, Selection};
use crate::store::Shard;
use crate::store::shard::CONFIG_KEY;

/// Everything `builder` runs on, validated.
#[derive(Debug, Clone)]
pub struct BuildConfig {
    /// Genome FASTA.
    pub genome: PathBuf,
    /// Annotation GTF/GFF3.
    pub annotation: PathBuf,
    /// Annotation format, if forced.
    pub annotation_format: Option<Format>,
    /// Output directory.
    pub out: PathBuf,
    /// Gene selection.
    pub selection: Selection,
    /// Labelling, sampling, features.
    pub rows: RowConfig,
    /// Genes per batch.
    pub batch_size: usize,
    /// Rows per row group (and the bound on buffered rows).
    pub batch_rows: usize,
    /// Bases scored on each side of a gene.
    pub flank: u64,
    /// Fraction of genes reserved to train the built-in base model.
    pub reserve_fraction: f64,
    /// Imported base-model scores instead of the built-in model.
    pub base_scores: Option<PathBuf>,
    /// SpliceAI instead of the built-in model.
    pub spliceai: Option<SpliceAiSettings>,
    /// Compute threads.
    pub threads: usize,
    /// Start over, discarding what `out` holds.
    pub overwrite: bool,
    /// Build only this shard's batches (`--shard I/N`).
    pub shard: Option<Shard>,
}

/// Which SpliceAI weights to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpliceAiSettings {
    /// The directory holding `spliceai1.h5` … `spliceai5.h5`.
    pub weights: PathBuf,
    /// How many of them to average (1–5, in file order).
    pub models: usize,
}

impl BuildConfig {
    /// The base model's name as summaries show it.
    pub fn base_model_name(&self) -> &'static str {
        if self.base_scores.is_some() {
            "imported"
        } else if self.spliceai.is_some() {
            "spliceai"
        } else {
            "builtin"
        }
    }

    /// The settings that decide the dataset's bytes (no paths, no threads): what the
    /// fingerprint hashes together with the input checksums.
    pub fn content(&self) -> serde_json::Value {
        let s = &self.selection;
        let l = &self.rows.label;
        let mut content = json!({
            "annotation_format": self.annotation_format,
            "selection": {
                "gene_types": s.gene_types,
                "gene_ids_file": s.gene_ids.is_some(),
                "n_genes": s.n_genes,
                "require_introns": s.require_introns,
                "skip_missing_contigs": s.skip_missing_contigs,
            },
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
            "flank": self.flank,
            // The weight files themselves are fingerprinted as inputs.
            "base_model": if self.base_scores.is_some() {
                json!({"kind": "imported"})
            } else if let Some(sa) = &self.spliceai {
                json!({"kind": "spliceai", "models": sa.models})
            } else {
                json!({"kind": "builtin", "reserve_fraction": self.reserve_fraction,
                       "version": crate::basemodel::wam::MODEL_VERSION})
            },
        });
        // Only a sharded run records its shard: a whole run's fingerprint is what it always was,
        // and a merge of the shards gets it back by removing this key.
        if let (Some(shard), Some(map)) = (self.shard, content.as_object_mut()) {
            map.insert(CONFIG_KEY.into(), json!(shard));
        }
        content
    }
}
