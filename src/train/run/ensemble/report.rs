//! An ensemble's hold-out figures: `metrics.json`, `report.md` and the console headline.

use std::fmt::Write as _;

use serde::Serialize;

use super::member::Done;
use crate::features::SpliceType;
use crate::rss;
use crate::train::config::TrainConfig;
use crate::train::eval::metrics::{Figures, argmax, below_base_warnings};
use crate::train::input::source::RowInfo;

/// One model's figures on the hold-out.
#[derive(Debug, Clone, Serialize)]
pub struct Scored {
    /// Name.
    pub name: String,
    /// Its own calls (argmax before calibration) against the base model; AP of its calibrated
    /// probabilities.
    pub figures: Figures,
    /// Training seconds.
    pub secs: f64,
    /// Peak RSS while training it (bytes).
    pub peak_rss: u64,
}

/// An ensemble's `metrics.json`.
#[derive(Debug, Clone, Serialize)]
pub struct EnsembleMetrics {
    /// Hold-out genes (no sub-model saw them).
    pub holdout_genes: usize,
    /// Their rows.
    pub holdout_rows: usize,
    /// How calls are made.
    pub rule: String,
    /// **The result**: the ensemble's figures (the same as its row in `models`).
    pub result: Figures,
    /// What the single comparison model was trained on.
    pub single_model: String,
    /// Every model evaluated: the ensemble, the comparison model, each sub-model.
    pub models: Vec<Scored>,
    /// Peak RSS of the hold-out evaluation (bytes).
    pub evaluation_peak_rss: u64,
}

/// The name of the model the ensemble is compared with (`--single-model`), wherever it is shown.
pub const COMPARISON: &str = "comparison model";

/// The decision rule of an ensemble's figures, in words.
pub const RULE: &str = "the class with the highest probability before calibration (for the ensemble, of the sub-models' mean; a fixed rule: nothing is chosen on the hold-out)";

/// Scores one model on the hold-out: its calls from `raw`, AP from calibrated `cal`.
pub(super) fn score(
    cfg: &TrainConfig,
    info: &RowInfo,
    name: String,
    cal: &[f32],
    raw: &[f32],
    d: Done,
) -> Scored {
    Scored {
        name,
        figures: Figures::new(cal, &argmax(raw), info, cfg.threshold),
        secs: d.secs,
        peak_rss: d.peak_rss,
    }
}

/// What an ensemble below its base model should try.
const ADVICE: &str = "likely too few genes per sub-model (each sees about a K-th of the non-hold-out genes): train a single model (no --ensemble-size), fewer sub-models, or on more genes";

/// The below-the-base-model warnings of the ensemble's result.
fn warnings(m: &EnsembleMetrics) -> Vec<String> {
    below_base_warnings(&m.result.base_vs_meta, "ensemble", ADVICE)
}

/// `report.md`.
pub(super) fn report(cfg: &TrainConfig, m: &EnsembleMetrics) -> String {
    let k = cfg.memory.ensemble_size;
    let mut r = String::new();
    let _ = writeln!(r, "# spliceforge ensemble report\n");
    for w in warnings(m) {
        let _ = writeln!(r, "> **{w}**\n");
    }
    let _ = writeln!(
        r,
        "## Result: base model vs ensemble on {} hold-out genes ({} rows) that no sub-model saw\n",
        m.holdout_genes, m.holdout_rows
    );
    let _ = writeln!(
        r,
        "{k} sub-models (overlap {}); the ensemble's probabilities are the mean of theirs (equal weights). Calls: {RULE}; `predict` writes the same calls. Comparison model: {}.\n",
        cfg.memory.ensemble_overlap, m.single_model
    );
    let _ = writeln!(
        r,
        "| model | donor F1 | acceptor F1 | donor AP | acceptor AP | train s | peak RSS |\n|---|---|---|---|---|---|---|"
    );
    let b = &m.result.base_vs_meta;
    for s in &m.models {
        let f = &s.figures;
        let _ = writeln!(
            r,
            "| {} | {:.4} | {:.4} | {:.4} | {:.4} | {:.1} | {} |",
            s.name,
            f.f1(1),
            f.f1(2),
            f.classes[1].average_precision,
            f.classes[2].average_precision,
            s.secs,
            rss::human(s.peak_rss)
        );
        if s.name == "ensemble" {
            let _ = writeln!(
                r,
                "| base model | {:.4} | {:.4} | {:.4} | {:.4} | – | – |",
                b[0].base_f1, b[1].base_f1, b[0].base_ap, b[1].base_ap
            );
        }
    }
    let _ = writeln!(
        r,
        "\nThe ensemble's train time is the sum over its sub-models, its peak RSS the largest sub-model's. Hold-out evaluation peaked at {}.",
        rss::human(m.evaluation_peak_rss)
    );
    r
}

/// The console summary.
pub(super) fn headline(cfg: &TrainConfig, m: &EnsembleMetrics) -> String {
    let k = cfg.memory.ensemble_size;
    let e = &m.models[0];
    let single = m.models.iter().find(|s| s.name == COMPARISON);
    let single_f1 =
        |c: usize| single.map_or("–".to_string(), |s| format!("{:.3}", s.figures.f1(c)));
    let b = &m.result.base_vs_meta;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "trained an ensemble of {k} sub-models; result on a hold-out of {} genes no sub-model saw (each model's own calls, its argmax before calibration):",
        m.holdout_genes
    );
    for class in [SpliceType::Donor, SpliceType::Acceptor] {
        let (c, name) = (class as usize, class.as_str());
        let _ = writeln!(
            text,
            "  {name:<9} F1: base {:.3} → ensemble {:.3}  ({COMPARISON} {})",
            b[c - 1].base_f1,
            e.figures.f1(c),
            single_f1(c)
        );
    }
    let _ = writeln!(text, "  {COMPARISON}: {}", m.single_model);
    let _ = writeln!(
        text,
        "  peak RSS: largest sub-model {}, {COMPARISON} {}, hold-out evaluation {}",
        rss::human(e.peak_rss),
        single.map_or("skipped".to_string(), |s| rss::human(s.peak_rss)),
        rss::human(m.evaluation_peak_rss)
    );
    let _ = writeln!(
        text,
        "  sub-models, metrics.json and report.md in {}",
        cfg.out.display()
    );
    for w in warnings(m) {
        let _ = writeln!(text, "{w}");
    }
    text
}
