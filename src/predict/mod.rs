//! `spliceforge predict`: a trained model directory (one model or an ensemble) applied
//!
//! * to the rows of a builder dataset with the same features ([`dataset`], `--dataset`), or
//! * to every base of the selected genes of any genome and annotation ([`genes`], `--genome`
//!   `--annotation`): the base model it was trained with, the builder's own feature code, the
//!   meta-model.
//!
//! Both give each row the weighted mean of the models' calibrated probabilities and the call of
//! the training report (the argmax of the mean before calibration).

pub mod dataset;
mod explain;
pub mod genes;
pub mod tracks;

pub use dataset::predict;
pub(crate) use genes::RUN_KEY;
pub use genes::{GenesConfig, GenesReport, Merged, Split, Targets, merge, predict_genes};
pub use tracks::Tracks;

use crate::train::Error;
use crate::train::eval::metrics::argmax;
use crate::train::fit::apply::add_weighted;
use crate::train::fit::model::Model;
use crate::xgb::Batch;

/// The weighted mean over `models` of their calibrated probabilities for the rows of `batch`
/// (`n × 3`), and each row's call: the argmax of the weighted mean of their probabilities before
/// calibration (for one model, its own argmax).
pub(crate) fn mean_and_calls(
    models: &[Model],
    weights: &[f64],
    batch: &Batch<'_>,
) -> Result<(Vec<f32>, Vec<u8>), Error> {
    let mut c_sum: Vec<f32> = Vec::new();
    let mut r_sum: Vec<f32> = Vec::new();
    for (m, &w) in models.iter().zip(weights) {
        let margins = m.margins(batch)?;
        add_weighted(&mut c_sum, &m.probs(&margins), w);
        add_weighted(&mut r_sum, &m.raw_probs(&margins), w);
    }
    let calls = argmax(&r_sum);
    Ok((c_sum, calls))
}
