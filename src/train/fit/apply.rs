//! A model applied to the rows of a dataset, one row group at a time (only one batch of
//! features is ever held): held-out margins for cross-validation, probabilities for an
//! ensemble's hold-out and for `predict`.

use crate::train::Error;
use crate::train::fit::model::Model;
use crate::train::input::dataset::Dataset;
use crate::train::input::source::{Record, RowInfo, RowSource};
use crate::xgb::{Batch, BatchSource};

/// Walks the rows of the genes flagged in `keep` one row group at a time, as plain (exact,
/// unbinned) matrices: only one batch of features is ever held. Returns the rows' info.
pub fn each_batch(
    ds: &Dataset,
    keep: &[bool],
    mut f: impl FnMut(&Batch<'_>) -> Result<(), Error>,
) -> Result<RowInfo, Error> {
    let mut src = RowSource::new(ds, keep, false, Record::Detail)?;
    src.reset();
    while let Some(b) = src.next()? {
        f(&b)?;
    }
    Ok(src.info)
}

/// Each model's probabilities before and after calibration (`n × 3` each) for the rows of the
/// genes flagged in `keep`.
pub struct Both {
    /// The rows.
    pub info: RowInfo,
    /// Calibrated, per model.
    pub calibrated: Vec<Vec<f32>>,
    /// Before calibration, per model.
    pub raw: Vec<Vec<f32>>,
}

/// [`Both`] for `models` on the genes flagged in `keep`.
pub fn both_probabilities(ds: &Dataset, keep: &[bool], models: &[&Model]) -> Result<Both, Error> {
    let mut calibrated: Vec<Vec<f32>> = vec![Vec::new(); models.len()];
    let mut raw: Vec<Vec<f32>> = vec![Vec::new(); models.len()];
    let info = each_batch(ds, keep, |dm| {
        for (i, m) in models.iter().enumerate() {
            let margins = m.margins(dm)?;
            calibrated[i].extend(m.probs(&margins));
            raw[i].extend(m.raw_probs(&margins));
        }
        Ok(())
    })?;
    Ok(Both {
        info,
        calibrated,
        raw,
    })
}

/// Adds `w × p` to `sum` (which grows to `p`'s length): one model's share of an ensemble's mean.
pub(crate) fn add_weighted(sum: &mut Vec<f32>, p: &[f32], w: f64) {
    sum.resize(p.len().max(sum.len()), 0.0);
    for (s, x) in sum.iter_mut().zip(p) {
        *s += w as f32 * x;
    }
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

/// Rows the SHAP summary of a training report reads at most (TreeSHAP costs far more than a
/// prediction): the genes of a seeded sample of part files holding about this many.
pub const SHAP_ROWS: u64 = 10_000;

/// The mean |SHAP contribution| of each feature to the donor and to the acceptor margin of
/// `model`, over the rows of a seeded sample of the genes of `universe` (about [`SHAP_ROWS`]):
/// `(rows read, [donor, acceptor] per feature)`.
pub fn shap_summary(
    ds: &Dataset,
    universe: &[bool],
    model: &Model,
    seed: u64,
) -> Result<(usize, Vec<[f64; 2]>), Error> {
    let keep = crate::train::fit::cuts::sample_within(ds, universe, seed, SHAP_ROWS);
    let cols = ds.features.len();
    let mut sum = vec![[0f64; 2]; cols];
    let mut rows = 0usize;
    each_batch(ds, &keep, |b| {
        let c = model.contributions(b)?;
        for (k, contrib) in c.iter().enumerate() {
            for row in contrib.chunks_exact(cols + 1) {
                for (s, v) in sum.iter_mut().zip(row) {
                    s[k] += f64::from(v.abs());
                }
            }
        }
        rows += b.rows;
        Ok(())
    })?;
    let n = rows.max(1) as f64;
    Ok((
        rows,
        sum.into_iter().map(|s| [s[0] / n, s[1] / n]).collect(),
    ))
}
