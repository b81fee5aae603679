//! The builder's resolved configuration, and the part of it that decides the content.

use std::path::PathBuf;

use serde::Deserialize;
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
        self.selection.content()
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
        // Only a build without the structure features says so: every other fingerprint is what
        // it always was.
        if let (false, Some(map)) = (self.rows.structure, content.as_object_mut()) {
            map.insert("structure_features".into(), json!(false));
        }
        // Only a sharded run records its shard: a whole run's fingerprint is what it always was,
        // and a merge of the shards gets it back by removing this key.
        if let (Some(shard), Some(map)) = (self.shard, content.as_object_mut()) {
            map.insert(CONFIG_KEY.into(), json!(shard));
        }
        content
    }
}

/// A dataset's content settings (its `run.json` config, as [`BuildConfig::content`] writes
/// them) read back: what applying a model trained on it to new genes needs in order to compute
/// the same rows (every-base `predict`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BuiltWith {
    /// Seed of the negative sampling (kept for the record; every-base rows keep every position).
    pub seed: u64,
    /// Labelling settings (the call threshold is also a feature setting).
    pub label: BuiltLabel,
    /// k-mer sizes.
    pub kmer_sizes: Vec<usize>,
    /// Bases scored on each side of a gene.
    pub flank: u64,
    /// The base model.
    pub base_model: BuiltBaseModel,
    /// Whether the rows have the gene-structure features (`builder --no-structure-features`).
    #[serde(default = "yes")]
    pub structure_features: bool,
}

fn yes() -> bool {
    true
}

/// [`BuiltWith`]'s labelling settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BuiltLabel {
    /// Score at which a position is a call.
    pub threshold: f32,
    /// A call this close (nt) to a true site of its type is a TP.
    pub consensus_window: usize,
    /// TNs scoring at least this are hard negatives.
    pub hard_prob: f32,
    /// TNs within this many nt of a non-TN row are kept.
    pub window: usize,
    /// Easy TNs kept per non-TN row.
    pub easy_ratio: f64,
}

/// [`BuiltWith`]'s base model, as [`BaseModel::content`] records it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BuiltBaseModel {
    /// `builtin`, `spliceai` or `imported`.
    pub kind: String,
    /// SpliceAI's networks averaged.
    #[serde(default)]
    pub models: Option<usize>,
}

impl BuiltWith {
    /// Reads a dataset's content settings; `None` when they are not a builder's.
    pub fn of(content: &serde_json::Value) -> Option<Self> {
        serde_json::from_value(content.clone()).ok()
    }

    /// The row settings that give every position of a gene its row (no sampling), with this
    /// dataset's features.
    pub fn every_row(&self) -> RowConfig {
        let l = &self.label;
        RowConfig {
            label: crate::features::LabelConfig {
                threshold: l.threshold,
                consensus_window: l.consensus_window,
                hard_prob: l.hard_prob,
                window: l.window,
                easy_ratio: l.easy_ratio,
                keep_all: true,
            },
            kmer_sizes: self.kmer_sizes.clone(),
            seed: self.seed,
            structure: self.structure_features,
        }
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
                structure: true,
            },
            batch_size: 8,
            batch_rows: 10_000,
            overwrite: false,
            shard: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `content` writes, `BuiltWith` reads back: the two cannot drift apart.
    #[test]
    fn the_content_a_build_records_reads_back_as_what_it_was_built_with() {
        let mut cfg = BuildConfig::fly(std::path::Path::new("unused"), 3);
        cfg.rows.kmer_sizes = vec![2, 4];
        cfg.rows.label.threshold = 0.3;
        let built = BuiltWith::of(&cfg.content()).unwrap();
        assert_eq!(built.kmer_sizes, vec![2, 4]);
        assert_eq!(built.flank, 250);
        assert_eq!(built.base_model.kind, "builtin");
        let rows = built.every_row();
        assert!(rows.label.keep_all);
        assert_eq!(
            RowConfig {
                label: crate::features::LabelConfig {
                    keep_all: false,
                    ..rows.label.clone()
                },
                ..rows
            },
            cfg.rows
        );
        cfg.scoring.base_model = BaseModel::SpliceAi(SpliceAiSettings {
            weights: "w".into(),
            models: 2,
        });
        let built = BuiltWith::of(&cfg.content()).unwrap();
        assert_eq!(
            (built.base_model.kind.as_str(), built.base_model.models),
            ("spliceai", Some(2))
        );
    }
}
