//! Why a site was called (`predict --explain K`): for each base called donor or acceptor, the K
//! features with the largest SHAP contributions (XGBoost's TreeSHAP) to that class's margin.
//!
//! Contributions are in margin (log-odds) units, before calibration; an ensemble's are the
//! weighted mean of its sub-models' (as its probabilities are a weighted mean). Only the called
//! rows are explained (TreeSHAP costs far more than a prediction), so the cost follows the
//! number of calls, not of bases.

use crate::train::Error;
use crate::train::fit::model::{Model, xgb_error};
use crate::xgb::{Batch, DMatrix};

/// One text per row of `batch`: `None` where `calls` (class indices: 0 neither, 1 donor, 2
/// acceptor) is neither, else the `k` features (named by `names`, in column order) with the
/// largest |contribution| to the called class's margin, largest first (ties: column order), as
/// `name=+0.1234;name=-0.0567`.
pub(crate) fn called_sites(
    models: &[Model],
    weights: &[f64],
    batch: &Batch<'_>,
    calls: &[u8],
    names: &[&str],
    k: usize,
) -> Result<Vec<Option<String>>, Error> {
    let called: Vec<usize> = (0..batch.rows).filter(|&r| calls[r] != 0).collect();
    let mut out = vec![None; batch.rows];
    if called.is_empty() || k == 0 {
        return Ok(out);
    }
    let cols = batch.cols;
    let mut features = Vec::with_capacity(called.len() * cols);
    for &r in &called {
        features.extend_from_slice(&batch.features[r * cols..(r + 1) * cols]);
    }
    // One matrix of the called rows, explained by every model.
    let m = DMatrix::from_dense(&features, called.len(), cols, f32::NAN).map_err(xgb_error)?;
    let width = cols + 1;
    let mut sum = [
        vec![0f32; called.len() * width],
        vec![0f32; called.len() * width],
    ];
    for (model, &w) in models.iter().zip(weights) {
        for (s, c) in sum
            .iter_mut()
            .zip(model.contributions_of(&m, called.len(), cols)?)
        {
            for (s, c) in s.iter_mut().zip(c) {
                *s += w as f32 * c;
            }
        }
    }
    for (i, &r) in called.iter().enumerate() {
        let class = usize::from(calls[r]) - 1;
        let row = &sum[class][i * width..i * width + cols];
        out[r] = Some(top(row, names, k));
    }
    Ok(out)
}

/// The `k` largest |values| of `row`, named, largest first (ties: column order).
fn top(row: &[f32], names: &[&str], k: usize) -> String {
    let mut order: Vec<usize> = (0..row.len()).collect();
    order.sort_by(|&a, &b| row[b].abs().total_cmp(&row[a].abs()).then(a.cmp(&b)));
    order
        .iter()
        .take(k)
        .map(|&f| format!("{}={:+.4}", names.get(f).copied().unwrap_or("?"), row[f]))
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_contributions_come_first_whatever_their_sign() {
        let names = ["a", "b", "c", "d"];
        assert_eq!(
            top(&[0.1, -0.5, 0.3, 0.5], &names, 3),
            "b=-0.5000;d=+0.5000;c=+0.3000"
        );
        assert_eq!(top(&[0.0, 0.0], &names, 5), "a=+0.0000;b=+0.0000");
    }
}
