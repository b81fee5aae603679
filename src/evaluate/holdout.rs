//! Every base of a model's held-out contigs judged (`train --holdout-contigs`): once the model is
//! complete, the dataset's genes on those contigs are predicted every base ([`predict_genes`],
//! with the model's own base model and the dataset's inputs, transcripts and annotation format)
//! and the table is judged against its annotated sites ([`evaluate`]), all inside the model
//! directory:
//!
//! ```text
//! M/holdout/genes.txt          the held-out genes (the dataset's, on the held-out contigs)
//! M/holdout/bases.parquet      every base of them (predict's table; resumable)
//! M/holdout/eval/              evaluate's metrics.json, report.md, genes.tsv, PR curves
//! ```
//!
//! The inputs are found where the dataset's record says it read them, and must still have the
//! checksums it recorded. Both steps resume: a run killed here and started again finishes them.

use std::path::{Path, PathBuf};

use super::{EvalReport, EvaluateConfig, Truth, evaluate};
use crate::builder::BuiltWith;
use crate::genome::{Format, Selection, Transcripts};
use crate::predict::{GenesConfig, Targets, Tracks, predict_genes};
use crate::store::{self, InputFile, RunInfo};
use crate::train::modeldir::{DATASET_JSON, TrainInfo, files};

/// The directory inside the model directory.
pub const HOLDOUT_DIR: &str = "holdout";

/// What the held-out evaluation did.
#[derive(Debug, Clone)]
pub struct Holdout {
    /// The contigs held out.
    pub contigs: Vec<String>,
    /// Genes predicted every base.
    pub genes: usize,
    /// The evaluation.
    pub report: EvalReport,
    /// Where it is.
    pub dir: PathBuf,
}

/// Judges every base of the held-out contigs' genes of the model in `model` (trained on
/// `dataset`); `None` when the model held no contig out. `threads` for the base model.
pub fn held_out_contigs(
    model: &Path,
    dataset: &Path,
    threads: usize,
    progress: bool,
) -> Result<Option<Holdout>, crate::Error> {
    let info: TrainInfo = files::read_json(model, "train.json")?;
    if info.holdout_contigs.is_empty() {
        return Ok(None);
    }
    let run: RunInfo = files::read_json(model, DATASET_JSON)?;
    let built = BuiltWith::of(&run.content.config).ok_or_else(|| {
        crate::Error::Internal("the model's dataset record is not a builder's settings".into())
    })?;
    let genes: Vec<String> = store::genes::read(dataset)?
        .into_iter()
        .filter(|g| info.holdout_contigs.contains(&g.chrom))
        .map(|g| g.id)
        .collect();
    let dir = model.join(HOLDOUT_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| store::Error::write(&dir, e))?;
    let list = dir.join("genes.txt");
    let text: String = genes.iter().map(|g| format!("{g}\n")).collect();
    store::fsutil::write_atomic(&list, &dir, text.as_bytes())
        .map_err(|e| store::Error::write(&list, e))?;

    let input = |role: &str| -> Result<Option<PathBuf>, crate::Error> {
        let Some(f) = run.content.inputs.iter().find(|f| f.role == role) else {
            return Ok(None);
        };
        checked(f)?;
        Ok(Some(f.path.clone()))
    };
    let genome = input("genome")?.ok_or_else(|| missing("genome"))?;
    let annotation = input("annotation")?.ok_or_else(|| missing("annotation"))?;
    let spliceai_weights = match input("spliceai_weights")? {
        Some(p) => p.parent().map(Path::to_path_buf),
        None => None,
    };
    let config = &run.content.config;
    let annotation_format: Option<Format> =
        serde_json::from_value(config["annotation_format"].clone()).unwrap_or(None);
    let transcripts: Transcripts =
        serde_json::from_value(config["selection"]["transcripts"].clone()).unwrap_or_default();
    let table = dir.join("bases.parquet");
    predict_genes(
        &GenesConfig {
            model: model.to_path_buf(),
            genome,
            targets: Targets::Genes {
                annotation: annotation.clone(),
                annotation_format,
                selection: Selection {
                    gene_ids: Some(list),
                    require_introns: false,
                    transcripts,
                    ..Selection::default()
                },
            },
            spliceai_weights,
            base_scores: input("base_scores")?,
            out: table.clone(),
            batch_size: 20,
            threads,
            overwrite: false,
            tracks: Tracks::default(),
            shard: None,
            explain: 0,
        },
        progress,
    )?;
    let report = evaluate(&EvaluateConfig {
        predictions: table,
        out: dir.join("eval"),
        truth: Truth::Table,
        threshold: built.label.threshold,
        overwrite: false,
    })?;
    Ok(Some(Holdout {
        contigs: info.holdout_contigs,
        genes: genes.len(),
        report,
        dir,
    }))
}

/// The dataset's input file `f`, refused unless it still has the content the dataset read.
fn checked(f: &InputFile) -> Result<(), crate::Error> {
    if !f.path.exists() {
        return Err(crate::Error::MissingInput {
            flag: format!(
                "the dataset's {} (to predict the held-out contigs every base; run train from the directory the dataset was built from)",
                f.role
            ),
            path: f.path.clone(),
        });
    }
    let now = InputFile::of(&f.role, &f.path)?;
    if now.sha256 != f.sha256 {
        return Err(crate::Error::Usage(format!(
            "{} is not the {} the dataset was built from (its checksum changed), so the held-out contigs cannot be predicted as the model was trained; restore it",
            f.path.display(),
            f.role
        )));
    }
    Ok(())
}

fn missing(role: &str) -> crate::Error {
    crate::Error::Internal(format!("the model's dataset record names no {role} file"))
}
