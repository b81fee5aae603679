//! `predict --dataset`: a trained model directory (one model or an ensemble) applied to every
//! row of a builder dataset with the same features, written as one Parquet table.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float32Array, Int64Array, StringArray};

use crate::features::SpliceType;
use crate::store::genes::GeneRow;
use crate::train::Error;
use crate::train::fit::apply::each_batch;
use crate::train::fit::model::Model;
use crate::train::input::dataset::Dataset;
use crate::train::input::source::RowInfo;
use crate::train::modeldir;

/// Every row of a dataset, predicted.
struct Predictions {
    /// The rows.
    info: RowInfo,
    /// Calibrated probabilities (`n × 3`; an ensemble's weighted mean).
    probs: Vec<f32>,
    /// Each row's call.
    calls: Vec<u8>,
}

/// The weighted mean over models of their calibrated probabilities, and the call of each row:
/// the argmax of the weighted mean of their probabilities before calibration (for one model, its
/// own argmax), as in the training report. Only the two sums are held.
fn mean_probabilities(
    ds: &Dataset,
    models: &[Model],
    weights: &[f64],
) -> Result<Predictions, Error> {
    let mut cal = Vec::new();
    let mut calls = Vec::new();
    let keep = vec![true; ds.genes.len()];
    let info = each_batch(ds, &keep, |dm| {
        let (probs, c) = super::mean_and_calls(models, weights, dm)?;
        calls.extend(c);
        cal.extend(probs);
        Ok(())
    })?;
    Ok(Predictions {
        info,
        probs: cal,
        calls,
    })
}

/// Predicts every row of `dataset` with the model in `model_dir`; writes `out` (Parquet).
/// Returns the number of rows.
/// `None` (nothing written) when `out` already holds this model's predictions of this dataset.
///
/// An existing `out` of another model or dataset, or not written by `predict --dataset`, is
/// refused (exit 4) unless `overwrite`.
pub fn predict(
    model_dir: &Path,
    dataset: &Path,
    out: &Path,
    overwrite: bool,
) -> Result<Option<usize>, Error> {
    let fp = fingerprint(model_dir, dataset)?;
    if out.exists() && !overwrite {
        if crate::store::output::metadata(out, FINGERPRINT_KEY).as_deref() == Some(fp.as_str()) {
            return Ok(None);
        }
        return Err(Error::ModelDirTaken {
            path: out.to_path_buf(),
            why: "exists and does not hold this model's predictions of this dataset (another model or dataset, or not written by `predict --dataset`); nothing was changed. Choose another --out, or pass --overwrite to replace it".into(),
        });
    }
    let trained = modeldir::open(model_dir)?;
    let ds = Dataset::open(dataset)?;
    check_features(&ds, &trained.features.features, model_dir)?;
    let loci = gene_loci(&ds)?;
    let p = mean_probabilities(&ds, &trained.models, &trained.weights)?;
    write_predictions(out, &p, &loci, &fp)?;
    Ok(Some(p.info.len()))
}

/// The Parquet metadata key of a `predict --dataset` table's fingerprint.
pub const FINGERPRINT_KEY: &str = "spliceforge.predict_dataset.fingerprint";

/// What decides a `predict --dataset` table: the model directory's `train.json` (written last,
/// it names the dataset, settings and, for an ensemble, what it holds) and `ensemble.json`, and
/// the dataset's fingerprint. Missing files are the errors `predict` gives anyway.
fn fingerprint(model_dir: &Path, dataset: &Path) -> Result<String, Error> {
    use crate::store::InputFile;
    let mut files = Vec::new();
    for name in ["train.json", modeldir::ensemble::ENSEMBLE_JSON] {
        let path = model_dir.join(name);
        if path.is_file() {
            files.push(serde_json::json!([
                name,
                InputFile::of(name, &path)?.sha256
            ]));
        } else if name == "train.json" {
            // A missing model directory or train.json: opening it says what is wrong.
            modeldir::open(model_dir)?;
        }
    }
    let run = crate::store::run::RunInfo::load_dataset(dataset)?;
    Ok(crate::store::fingerprint::digest_json(
        &serde_json::json!({"model": files, "dataset": run.fingerprint}),
    ))
}

/// Refuses a dataset whose feature columns are not the model's, naming the first difference.
fn check_features(ds: &Dataset, model: &[String], model_dir: &Path) -> Result<(), Error> {
    if ds.features == model {
        return Ok(());
    }
    let first = ds
        .features
        .iter()
        .zip(model)
        .position(|(a, b)| a != b)
        .unwrap_or(ds.features.len().min(model.len()));
    Err(Error::Incompatible {
        dataset: ds.dir.clone(),
        model: model_dir.to_path_buf(),
        message: format!(
            "its features are not the model's ({} vs {} columns; first difference at column {first}: {:?} vs {:?}); build the dataset with the spliceforge version and --kmer-sizes the model was trained with",
            ds.features.len(),
            model.len(),
            ds.features.get(first),
            model.get(first)
        ),
    })
}

/// Each dataset gene's locus (in `ds.genes` order), found once by id.
fn gene_loci(ds: &Dataset) -> Result<Vec<GeneRow>, Error> {
    let by_id: std::collections::HashMap<String, GeneRow> = crate::store::genes::read(&ds.dir)?
        .into_iter()
        .map(|l| (l.id.clone(), l))
        .collect();
    ds.genes
        .iter()
        .map(|g| {
            by_id.get(&g.id).cloned().ok_or_else(|| {
                Error::from(crate::store::Error::Corrupt {
                    path: ds.dir.join(crate::store::genes::GENES_PARQUET),
                    message: format!(
                        "gene {} of the manifest is missing from the genes table",
                        g.id
                    ),
                })
            })
        })
        .collect()
}

/// Writes the predictions table: locus, label, probabilities and the call of every row.
fn write_predictions(
    out: &Path,
    p: &Predictions,
    loci: &[GeneRow],
    fingerprint: &str,
) -> Result<(), Error> {
    let (info, probs, calls) = (&p.info, &p.probs, &p.calls);
    let col = |c: usize| -> ArrayRef {
        Arc::new(Float32Array::from(
            probs.iter().skip(c).step_by(3).copied().collect::<Vec<_>>(),
        ))
    };
    let class = |c: &u8| SpliceType::of_index(*c).as_str();
    let rows = || info.gene.iter().map(|&g| &loci[g as usize]);
    let strings = |f: fn(&GeneRow) -> &str| -> ArrayRef {
        Arc::new(StringArray::from(rows().map(f).collect::<Vec<_>>()))
    };
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("chrom", strings(|l| l.chrom.as_str())),
        (
            "position",
            Arc::new(Int64Array::from(info.position.clone())),
        ),
        ("strand", strings(|l| l.strand.as_str())),
        ("gene_id", strings(|l| l.id.as_str())),
        (
            "splice_type",
            Arc::new(StringArray::from(
                info.label.iter().map(class).collect::<Vec<_>>(),
            )),
        ),
        ("p_neither", col(0)),
        ("p_donor", col(1)),
        ("p_acceptor", col(2)),
        (
            "predicted",
            Arc::new(StringArray::from(
                calls.iter().map(class).collect::<Vec<_>>(),
            )),
        ),
    ];
    let tmp_dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join(".spliceforge-tmp");
    let metadata = parquet::file::metadata::KeyValue::new(
        FINGERPRINT_KEY.to_string(),
        fingerprint.to_string(),
    );
    crate::store::table::write_with_metadata(out, &tmp_dir, cols, Some(vec![metadata]))?;
    let _ = std::fs::remove_dir(&tmp_dir);
    Ok(())
}
