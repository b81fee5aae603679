//! `spliceforge evaluate`: an every-base prediction table (`predict --genome … --out T`) judged
//! site type by site type, the base model beside the meta-model on the same rows: top-k
//! accuracy over every row, average precision (PR-AUC), and precision, recall and F1 of each
//! model's calls; per gene, top-k within the gene.
//!
//! The truth is the table's `splice_type` column, or the sites of an annotation's chosen
//! transcripts ([`Truth`]). The table is read forward in record batches ([`table`]: 17 bytes a
//! row are kept, plus a `u32` per row while one ranking is sorted), so memory grows with the
//! table's rows only by those ~21 bytes. The output directory is a builder's: locked, written
//! atomically, with a fingerprint that makes a rerun a no-op and refuses another run
//! ([`outdir`]).

mod error;
pub mod holdout;
pub mod metrics;
mod outdir;
pub mod report;
pub mod table;
pub mod truth;

use std::path::PathBuf;

use crate::store::{self, Fingerprint, InputFile};

pub use error::Error;
pub use holdout::{HOLDOUT_DIR, Holdout, held_out_contigs};
pub use report::{EvalMetrics, TIE_RULE};
pub use truth::Truth;

/// The base model's call threshold when none is given: `train --threshold`'s default (the
/// table does not record the threshold of the dataset its model was trained on).
pub const DEFAULT_THRESHOLD: f32 = 0.5;

/// `format` of an evaluation's fingerprint.
pub const EVALUATE_FORMAT: u32 = 3001;

/// Everything `evaluate` runs on.
#[derive(Debug, Clone)]
pub struct EvaluateConfig {
    /// The every-base prediction table.
    pub predictions: PathBuf,
    /// The output directory.
    pub out: PathBuf,
    /// Where the true sites come from.
    pub truth: Truth,
    /// The base model calls a site where its higher score reaches this.
    pub threshold: f32,
    /// Replace another evaluation found in `out`.
    pub overwrite: bool,
}

/// What an evaluation found (or found already done).
#[derive(Debug, Clone)]
pub struct EvalReport {
    /// `out` already held this evaluation; nothing was written.
    pub already_complete: bool,
    /// The figures (`metrics.json`).
    pub metrics: EvalMetrics,
    /// The console summary.
    pub summary: String,
}

/// Judges `cfg.predictions` into `cfg.out` (`metrics.json`, `genes.tsv`, `report.md`,
/// `pr-donor.svg`, `pr-acceptor.svg`, then `evaluation.json`).
pub fn evaluate(cfg: &EvaluateConfig) -> Result<EvalReport, crate::Error> {
    if !(0.0..=1.0).contains(&cfg.threshold) {
        return Err(crate::Error::Usage(
            "--threshold is a probability in [0, 1]".into(),
        ));
    }
    if !cfg.predictions.exists() {
        return Err(crate::Error::MissingInput {
            flag: "--predictions".into(),
            path: cfg.predictions.clone(),
        });
    }
    let predict_run = predict_run(&cfg.predictions)?;
    let (fp, inputs) = fingerprint(cfg, &predict_run)?;
    let out = outdir::OutDir::open(&cfg.out, &fp, cfg.overwrite)?;
    if out.complete {
        let path = out.path("metrics.json");
        let bytes = std::fs::read(&path).map_err(|e| store::Error::read(&path, e))?;
        let metrics: EvalMetrics =
            serde_json::from_slice(&bytes).map_err(|e| store::Error::Corrupt {
                path: path.clone(),
                message: format!(
                    "cannot be read back ({e}); run again with --overwrite to redo the evaluation"
                ),
            })?;
        return Ok(EvalReport {
            already_complete: true,
            summary: report::summary(&metrics, &cfg.out),
            metrics,
        });
    }
    let sites = match &cfg.truth {
        Truth::Table => None,
        Truth::Annotation {
            path,
            format,
            transcripts,
        } => Some(truth::Sites::read(path, *format, *transcripts)?),
    };
    let t = table::read(&cfg.predictions, sites.as_ref(), cfg.threshold)?;
    let c = report::compute(&t);
    let input = |f: &InputFile| report::Input {
        path: f.path.display().to_string(),
        bytes: f.bytes,
        sha256: f.sha256.clone(),
    };
    let metrics = EvalMetrics {
        predictions: input(&inputs[0]),
        annotation: inputs.get(1).map(input),
        truth: cfg.truth.content(),
        threshold: cfg.threshold,
        tie_rule: TIE_RULE.into(),
        fingerprint: fp.digest(),
        rows: t.rows.len() as u64,
        genes: t.genes.len() as u64,
        types: c.types,
    };
    let json = serde_json::to_vec_pretty(&metrics)
        .map_err(|e| crate::Error::Internal(format!("metrics.json: {e}")))?;
    out.write("metrics.json", &[json.as_slice(), b"\n"].concat())?;
    out.write("genes.tsv", report::genes_tsv(&c.genes).as_bytes())?;
    for (k, name) in ["pr-donor.svg", "pr-acceptor.svg"].iter().enumerate() {
        out.write(name, report::pr_svg(k, &c.curves[k]).as_bytes())?;
    }
    let md = report::markdown(&metrics, &cfg.truth.describe(), &c.genes);
    out.write("report.md", md.as_bytes())?;
    out.finish(&fp)?;
    Ok(EvalReport {
        already_complete: false,
        summary: report::summary(&metrics, &cfg.out),
        metrics,
    })
}

/// The fingerprint of the every-base run that wrote `path`, or why `path` is not such a table
/// (exit 8).
fn predict_run(path: &std::path::Path) -> Result<Fingerprint, crate::Error> {
    let not_ours = |why: &str| Error::NotATable {
        path: path.to_path_buf(),
        why: why.into(),
    };
    // A file that cannot be opened is the store's read error (exit 10 or 11), not "not ours".
    std::fs::File::open(path).map_err(|e| store::Error::read(path, e))?;
    let run = store::output::metadata(path, crate::predict::RUN_KEY).ok_or_else(|| {
        not_ours(&format!(
            "no `{}` in its Parquet metadata",
            crate::predict::RUN_KEY
        ))
    })?;
    Ok(
        serde_json::from_str(&run).map_err(|e| store::Error::Corrupt {
            path: path.to_path_buf(),
            message: format!(
                "its record of the predict run is damaged ({e}); predict the table again"
            ),
        })?,
    )
}

/// The evaluation's fingerprint: the table and annotation by content, the truth and threshold
/// (the schema is the predict run's); with the inputs, the table first.
fn fingerprint(
    cfg: &EvaluateConfig,
    predict_run: &Fingerprint,
) -> Result<(Fingerprint, Vec<InputFile>), crate::Error> {
    let mut inputs = vec![InputFile::of("predictions", &cfg.predictions)?];
    if let Truth::Annotation { path, .. } = &cfg.truth {
        inputs.push(InputFile::of("annotation", path)?);
    }
    let fp = Fingerprint {
        format: EVALUATE_FORMAT,
        config: serde_json::json!({
            "command": "evaluate",
            "truth": cfg.truth.content(),
            // As written (0.3, not the f32's 0.30000001192092896).
            "threshold": cfg.threshold.to_string().parse::<f64>().unwrap_or(f64::from(cfg.threshold)),
        }),
        inputs: inputs.clone(),
        schema: predict_run.schema.clone(),
    };
    Ok((fp, inputs))
}
