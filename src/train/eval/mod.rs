//! Evaluation: how good the base model and the meta-model are on held-out rows (metrics,
//! average precision, the secondary decision rule), and `report.md`, `metrics.json` and the
//! plots that show it.

pub mod decision;
pub mod metrics;
pub mod report;
