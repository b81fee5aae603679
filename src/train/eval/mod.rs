//! Evaluation: how good the meta-model is on held-out rows ([`metrics`]: F1, average precision
//! (the one formula, in `stats`, that the base model's quality in `features::quality` uses too),
//! the secondary decision rule), and `report.md`, `metrics.json` and the plots that show it.

pub(crate) mod decision;
pub(crate) mod metrics;
pub(crate) mod report;
