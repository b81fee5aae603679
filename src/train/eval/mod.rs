//! Evaluation: how good the base model is on a dataset's genes ([`quality`], gathered by the
//! builder) and how good the meta-model is on held-out rows ([`metrics`]: F1, one average
//! precision for both, the secondary decision rule), and `report.md`, `metrics.json` and the
//! plots that show it.

pub mod decision;
pub mod metrics;
pub mod quality;
pub mod report;
