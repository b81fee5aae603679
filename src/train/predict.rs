//! `spliceforge predict`: apply a trained model to any dataset with the same features.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float32Array, Int64Array, StringArray};

use super::dataset::Dataset;
use super::load_model;
use super::model::Model;
use super::model::xgb_error;
use super::source::{Record, RowInfo, RowSource};
use crate::Error;
use crate::features::SpliceType;
use crate::xgb::{BatchSource, DMatrix};

/// Walks the rows of the genes flagged in `keep` one row group at a time, as plain (exact,
/// unbinned) matrices: only one batch of features is ever held. Returns the rows' info.
fn each_batch(
    ds: &Dataset,
    keep: &[bool],
    mut f: impl FnMut(&DMatrix) -> Result<(), Error>,
) -> Result<RowInfo, Error> {
    let mut src = RowSource::new(ds, keep, false, Record::Detail)?;
    src.reset();
    while let Some(b) = src.next()? {
        f(&DMatrix::from_dense(b.features, b.rows, b.cols, f32::NAN).map_err(xgb_error)?)?;
    }
    Ok(src.info)
}

/// Calibrated probabilities (`n × 3`) of each model for the rows of the genes flagged in `keep`.
pub fn probabilities(
    ds: &Dataset,
    keep: &[bool],
    models: &[&Model],
) -> Result<(RowInfo, Vec<Vec<f32>>), Error> {
    let (info, probs, _) = probabilities_and_calls(ds, keep, models, false)?;
    Ok((info, probs))
}

/// Rows, each model's calibrated probabilities, and the first model's calls.
type Predicted = (RowInfo, Vec<Vec<f32>>, Vec<u8>);

/// Like [`probabilities`]; with `calls`, also each row's class called by the first model before
/// calibration (its own argmax).
fn probabilities_and_calls(
    ds: &Dataset,
    keep: &[bool],
    models: &[&Model],
    calls: bool,
) -> Result<Predicted, Error> {
    let mut probs: Vec<Vec<f32>> = vec![Vec::new(); models.len()];
    let mut called = Vec::new();
    let info = each_batch(ds, keep, |dm| {
        for (i, (m, out)) in models.iter().zip(probs.iter_mut()).enumerate() {
            let margins = m.margins(dm)?;
            if calls && i == 0 {
                called.extend(super::metrics::argmax(&m.raw_probs(&margins)));
            }
            out.extend(m.probs(&margins));
        }
        Ok(())
    })?;
    Ok((info, probs, called))
}

/// Margins (`n × 3`) of `model` for the rows of the genes flagged in `keep` (held-out folds).
pub fn margins(ds: &Dataset, keep: &[bool], model: &Model) -> Result<(RowInfo, Vec<f32>), Error> {
    let mut out = Vec::new();
    let info = each_batch(ds, keep, |dm| {
        out.extend(model.margins(dm)?);
        Ok(())
    })?;
    Ok((info, out))
}

/// Predicts every row of `dataset` with the model in `model_dir`; writes `out` (Parquet).
/// Returns the number of rows.
pub fn predict(model_dir: &Path, dataset: &Path, out: &Path) -> Result<usize, Error> {
    let (features, models, weights) = match super::ensemble::load(model_dir)? {
        Some((models, weights)) => (
            super::files::read_json(model_dir, "features.json")?,
            models,
            weights,
        ),
        None => {
            let (model, features, _) = load_model(model_dir)?;
            (features, vec![model], vec![1.0])
        }
    };
    let ds = Dataset::open(dataset)?;
    if ds.features != features.features {
        let first = ds
            .features
            .iter()
            .zip(&features.features)
            .position(|(a, b)| a != b)
            .unwrap_or(ds.features.len().min(features.features.len()));
        return Err(crate::store::Error::Corrupt {
            path: dataset.join("run.json"),
            message: format!(
                "its features do not match the model's ({} vs {} columns; first difference at column {}: {:?} vs {:?}); predict needs a dataset built with the same schema (same spliceforge version and --kmer-sizes)",
                ds.features.len(),
                features.features.len(),
                first,
                ds.features.get(first),
                features.features.get(first)
            ),
        }
        .into());
    }
    let keep = vec![true; ds.genes.len()];
    let refs: Vec<&Model> = models.iter().collect();
    // A single model's call is its own argmax before calibration (as in the training report);
    // an ensemble's is the argmax of its averaged calibrated probabilities.
    let single = refs.len() == 1;
    let (info, per_model, calls) = probabilities_and_calls(&ds, &keep, &refs, single)?;
    let mut probs = vec![0.0f32; info.len() * 3];
    for (w, pr) in weights.iter().zip(&per_model) {
        for (p, x) in probs.iter_mut().zip(pr) {
            *p += (*w as f32) * x;
        }
    }
    let info = &info;
    let n = info.len();
    let col = |c: usize| -> ArrayRef {
        Arc::new(Float32Array::from(
            probs.iter().skip(c).step_by(3).copied().collect::<Vec<_>>(),
        ))
    };
    let calls = if single {
        calls
    } else {
        super::metrics::argmax(&probs)
    };
    let pred: Vec<&str> = calls
        .iter()
        .map(|&c| {
            [SpliceType::Neither, SpliceType::Donor, SpliceType::Acceptor][c as usize].as_str()
        })
        .collect();
    let label: Vec<&str> = info
        .label
        .iter()
        .map(|&c| {
            [SpliceType::Neither, SpliceType::Donor, SpliceType::Acceptor][c as usize].as_str()
        })
        .collect();
    let genes: Vec<&str> = info
        .gene
        .iter()
        .map(|&g| ds.genes[g as usize].id.as_str())
        .collect();
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("gene_id", Arc::new(StringArray::from(genes))),
        (
            "position",
            Arc::new(Int64Array::from(info.position.clone())),
        ),
        ("splice_type", Arc::new(StringArray::from(label))),
        ("p_neither", col(0)),
        ("p_donor", col(1)),
        ("p_acceptor", col(2)),
        ("predicted", Arc::new(StringArray::from(pred))),
    ];
    let tmp_dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join(".spliceforge-tmp");
    crate::store::table::write(out, &tmp_dir, cols)?;
    let _ = std::fs::remove_dir(&tmp_dir);
    Ok(n)
}
