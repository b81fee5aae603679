//! `metrics.json`, `report.md` and its SVG figures (PR curves, feature importance).

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::features::SpliceType;
use crate::rss;
use crate::train::Error;
use crate::train::eval::decision::{Decision, cross_fitted_calls};
use crate::train::eval::metrics::{self, ClassMetrics, Comparison, Figures};
use crate::train::fit::Oof;
use crate::train::fit::calibrate::{brier, ece};
use crate::train::fit::model::{Model, Params};
use crate::train::fit::stopping::Stopped;
use crate::train::input::dataset::Dataset;
use crate::train::phases::Phase;

/// Calibration quality before and after.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationFigures {
    /// Brier score of uncalibrated probabilities.
    pub brier_before: f64,
    /// Brier score after calibration.
    pub brier_after: f64,
    /// ECE per class before.
    pub ece_before: [f64; 3],
    /// ECE per class after.
    pub ece_after: [f64; 3],
}

/// `metrics.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    /// Out-of-fold rows evaluated.
    pub oof_rows: usize,
    /// Genes in the dataset.
    pub genes: usize,
    /// How the result's calls are made (see [`RULE`]).
    pub rule: String,
    /// **The result**: the meta-model's own out-of-fold calls (see [`RULE`]), against the base
    /// model on the same rows; AP from the calibrated probabilities.
    pub result: Option<Figures>,
    /// Secondary: per-class thresholds on calibrated probabilities, chosen on all out-of-fold
    /// rows to maximise F1.
    pub thresholds: Decision,
    /// Secondary: calls at those thresholds, cross-fitted (each fold's rows called with
    /// thresholds chosen on the other folds).
    pub at_thresholds: Option<Figures>,
    /// Secondary: the argmax of the calibrated probabilities.
    pub argmax_calibrated: Option<Figures>,
    /// Calibration figures.
    pub calibration: Option<CalibrationFigures>,
    /// Where early stopping stopped each fold's boosters, and the final model's rounds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub early_stopping: Option<Stopped>,
    /// Top features by total gain in the final model.
    pub importance: Vec<(String, f64)>,
    /// Top features by mean |SHAP contribution| (donor + acceptor) in the final model: name,
    /// donor, acceptor.
    #[serde(default)]
    pub shap: Vec<(String, f64, f64)>,
    /// Rows the SHAP summary was measured on.
    #[serde(default)]
    pub shap_rows: usize,
    /// Time and peak memory per phase.
    pub phases: Vec<Phase>,
    /// Total seconds.
    pub total_secs: f64,
    /// Peak RSS (bytes).
    pub peak_rss: u64,
}

/// The SHAP summary beside gain importance: what moves the final model's margins, on average.
fn shap_section(r: &mut String, m: &Metrics) {
    if m.shap.is_empty() {
        return;
    }
    let _ = writeln!(
        r,
        "## Why sites are called (SHAP)\n\nMean |SHAP contribution| (XGBoost's TreeSHAP, margin units) of each feature to the final model's donor and acceptor margins, over {} rows of a seeded sample of the training genes; `spliceforge predict --explain K` lists a called site's own top K. Gain rank: the feature's place by total gain above.\n\n| feature | donor | acceptor | gain rank |\n|---|---|---|---|",
        m.shap_rows
    );
    for (name, d, a) in m.shap.iter().take(15) {
        let rank = (m.importance.iter())
            .position(|(n, _)| n == name)
            .map_or("> 20".to_string(), |i| (i + 1).to_string());
        let _ = writeln!(r, "| {name} | {d:.4} | {a:.4} | {rank} |");
    }
    let _ = writeln!(r);
}

/// The decision rule in words (report, `metrics.json`).
pub const RULE: &str = "the meta-model's own call, the class whose booster gives the highest probability before calibration (a fixed rule: nothing is chosen on the rows it is judged on)";

/// What `train` tells the user.
pub struct Summary {
    /// A short human summary.
    pub text: String,
}

/// A named, coloured line of `(x, y)` points in [0, 1]².
pub(crate) type Series<'a> = (String, &'a str, Vec<(f64, f64)>);

/// A line chart of `series` in [0, 1]² (PR curves), as plain SVG.
pub(crate) fn svg_lines(title: &str, x: &str, y: &str, series: &[Series<'_>]) -> String {
    let (w, h, m) = (520.0, 380.0, 50.0);
    let mut s = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' fill='white'/>\n<text x='{}' y='20' text-anchor='middle' font-size='14'>{title}</text>\n",
        w / 2.0
    );
    let px = |v: f64| m + v * (w - 2.0 * m);
    let py = |v: f64| h - m - v * (h - 2.0 * m);
    let _ = writeln!(
        s,
        "<rect x='{m}' y='{m}' width='{}' height='{}' fill='none' stroke='#999'/>",
        w - 2.0 * m,
        h - 2.0 * m
    );
    for t in 0..=4 {
        let v = t as f64 / 4.0;
        let _ = writeln!(
            s,
            "<text x='{}' y='{}' text-anchor='middle'>{v:.2}</text>",
            px(v),
            h - m + 16.0
        );
        let _ = writeln!(
            s,
            "<text x='{}' y='{}' text-anchor='end'>{v:.2}</text>",
            m - 6.0,
            py(v) + 4.0
        );
    }
    let _ = writeln!(
        s,
        "<text x='{}' y='{}' text-anchor='middle'>{x}</text>",
        w / 2.0,
        h - 10.0
    );
    let _ = writeln!(
        s,
        "<text x='14' y='{}' transform='rotate(-90 14 {})' text-anchor='middle'>{y}</text>",
        h / 2.0,
        h / 2.0
    );
    for (i, (name, color, pts)) in series.iter().enumerate() {
        let step = (pts.len() / 400).max(1);
        let path: Vec<String> = pts
            .iter()
            .step_by(step)
            .chain(pts.last())
            .map(|(a, b)| format!("{:.1},{:.1}", px(*a), py(*b)))
            .collect();
        let _ = writeln!(
            s,
            "<polyline fill='none' stroke='{color}' stroke-width='1.6' points='{}'/>",
            path.join(" ")
        );
        let ly = m + 16.0 + 16.0 * i as f64;
        let _ = writeln!(
            s,
            "<line x1='{}' y1='{ly}' x2='{}' y2='{ly}' stroke='{color}' stroke-width='2'/><text x='{}' y='{}'>{name}</text>",
            w - m - 150.0,
            w - m - 130.0,
            w - m - 125.0,
            ly + 4.0
        );
    }
    s.push_str("</svg>\n");
    s
}

fn svg_bars(title: &str, bars: &[(String, f64)]) -> String {
    let (w, row, left) = (620.0, 18.0, 210.0);
    let h = 40.0 + row * bars.len() as f64 + 10.0;
    let max = bars.iter().map(|b| b.1).fold(0.0, f64::max).max(1e-12);
    let mut s = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' font-family='sans-serif' font-size='11'>\n<rect width='100%' height='100%' fill='white'/>\n<text x='{}' y='20' text-anchor='middle' font-size='14'>{title}</text>\n",
        w / 2.0
    );
    for (i, (name, v)) in bars.iter().enumerate() {
        let y = 34.0 + row * i as f64;
        let bw = (w - left - 20.0) * v / max;
        let _ = writeln!(
            s,
            "<text x='{}' y='{}' text-anchor='end'>{name}</text><rect x='{left}' y='{y}' width='{bw:.1}' height='{}' fill='#4477aa'/>",
            left - 6.0,
            y + 12.0,
            row - 4.0
        );
    }
    s.push_str("</svg>\n");
    s
}

/// The booster settings as a short phrase, from `train.json` in `out` (written before the report).
fn model_params(p: &Params) -> String {
    format!(
        "{} rounds, eta {}, depth {}, subsample {}, colsample {}, max_bin {}{}",
        p.n_estimators,
        p.learning_rate,
        p.max_depth,
        p.subsample,
        p.colsample,
        p.max_bin,
        if p.max_delta_step > 0.0 {
            format!(", max_delta_step {}", p.max_delta_step)
        } else {
            String::new()
        }
    )
}

/// What the report is made of.
pub struct Inputs<'a> {
    /// The model directory.
    pub out: &'a Path,
    /// The booster settings.
    pub params: &'a Params,
    /// Calibrated to the whole-gene population (`--calibrate-population`)?
    pub population: bool,
    /// The dataset trained on.
    pub ds: &'a Dataset,
    /// The final model (with its calibration).
    pub model: &'a Model,
    /// Out-of-fold predictions.
    pub oof: &'a Oof,
    /// The base model's call threshold.
    pub threshold: f32,
    /// Total gain per feature of the final model.
    pub importance: &'a [f64],
    /// The final model's mean |SHAP contribution| per feature to the donor and the acceptor
    /// margin, with the rows it was measured on.
    pub shap: &'a (usize, Vec<[f64; 2]>),
    /// Time and memory per phase.
    pub phases: &'a [Phase],
    /// Seconds since the start.
    pub total_secs: f64,
    /// Genes the final model trained on (fewer than the dataset's with `--sample-genes`).
    pub genes: usize,
    /// Rows the final model trained on.
    pub rows: usize,
    /// Where early stopping stopped, if it was on.
    pub stopped: Option<&'a Stopped>,
}

/// "N genes (R rows)", or "N of the dataset's M genes (R of its S rows; --sample-genes)".
fn trained_on(inp: &Inputs<'_>) -> String {
    let (all_genes, all_rows) = (inp.ds.genes.len(), inp.ds.rows());
    if inp.genes < all_genes {
        format!(
            "{} of the dataset's {all_genes} genes ({} of its {all_rows} rows; a seeded sample, --sample-genes)",
            inp.genes, inp.rows
        )
    } else {
        format!("{} genes ({} rows)", inp.genes, inp.rows)
    }
}

/// Computes the metrics, writes `metrics.json`, `report.md`, `pr_curves.svg`, `importance.svg`
/// and `memory.svg`; returns the metrics and the console summary.
pub fn write(r: &Inputs<'_>) -> Result<Summary, Error> {
    let probs = Probs {
        raw: r.model.raw_probs(&r.oof.margins),
        cal: r.model.probs(&r.oof.margins),
    };
    let m = compute(r, &probs);
    crate::train::modeldir::files::write_json(r.out, "metrics.json", &m)?;
    write_figures(r, &probs.cal, &m)?;
    crate::train::modeldir::files::write(r.out, "report.md", markdown(r, &m).as_bytes())?;
    let text = headline(r, &m);
    Ok(Summary { text })
}

/// The out-of-fold probabilities before and after calibration (`n × 3` each).
struct Probs {
    raw: Vec<f32>,
    cal: Vec<f32>,
}

fn compute(r: &Inputs<'_>, probs: &Probs) -> Metrics {
    let info = &r.oof.info;
    let have_oof = !info.is_empty();
    let (raw, cal) = (&probs.raw, &probs.cal);
    let cw = crate::train::fit::calibration_weights(info, r.population);
    let calibrated = have_oof && r.model.calibration.is_some();
    let calibration = calibrated.then(|| CalibrationFigures {
        brier_before: brier(raw, &info.label, &cw),
        brier_after: brier(cal, &info.label, &cw),
        ece_before: [0, 1, 2].map(|c| ece(raw, &info.label, &cw, c)),
        ece_after: [0, 1, 2].map(|c| ece(cal, &info.label, &cw, c)),
    });
    let mut top: Vec<(String, f64)> =
        r.ds.features
            .iter()
            .cloned()
            .zip(r.importance.iter().copied())
            .collect();
    top.sort_by(|a, b| b.1.total_cmp(&a.1));
    top.truncate(20);
    let mut shap: Vec<(String, f64, f64)> = (r.ds.features.iter())
        .zip(&r.shap.1)
        .map(|(n, s)| (n.clone(), s[0], s[1]))
        .collect();
    shap.sort_by(|a, b| (b.1 + b.2).total_cmp(&(a.1 + a.2)).then(a.0.cmp(&b.0)));
    shap.truncate(20);
    // The result, then the secondary rules on the same calibrated probabilities (their AP and
    // top-k are the result's).
    let result = have_oof.then(|| Figures::new(cal, &metrics::argmax(raw), info, r.threshold));
    let thresholds = if have_oof {
        Decision::fit(cal, &info.label, |_| true)
    } else {
        Decision::default()
    };
    let other = |calls: Vec<u8>| {
        result
            .as_ref()
            .map(|f| f.with_calls(&calls, info, r.threshold))
    };
    let fold_calls = cross_fitted_calls(cal, &info.label, &r.oof.fold, thresholds);
    Metrics {
        oof_rows: info.len(),
        genes: r.ds.genes.len(),
        rule: RULE.into(),
        thresholds,
        at_thresholds: other(fold_calls),
        argmax_calibrated: if calibrated {
            other(metrics::argmax(cal))
        } else {
            None
        },
        result,
        calibration,
        early_stopping: r.stopped.cloned(),
        importance: top,
        shap,
        shap_rows: r.shap.0,
        phases: r.phases.to_vec(),
        total_secs: r.total_secs,
        peak_rss: rss::peak_rss_bytes(),
    }
}

fn write_figures(r: &Inputs<'_>, cal: &[f32], m: &Metrics) -> Result<(), Error> {
    let save = |name: &str, bytes: &[u8]| crate::train::modeldir::files::write(r.out, name, bytes);
    let info = &r.oof.info;
    if !info.is_empty() {
        let mut series = Vec::new();
        for (c, color) in [(1usize, "#cc3311"), (2, "#0077bb")] {
            let y: Vec<bool> = info.label.iter().map(|&l| l as usize == c).collect();
            let s: Vec<f32> = cal.chunks_exact(3).map(|r| r[c]).collect();
            series.push((
                format!("meta {}", SpliceType::NAMES[c]),
                color,
                metrics::pr_curve(&s, &y, &info.weight),
            ));
            let b = if c == 1 {
                &info.base_donor
            } else {
                &info.base_acceptor
            };
            series.push((
                format!("base {}", SpliceType::NAMES[c]),
                if c == 1 { "#ee9988" } else { "#88bbdd" },
                metrics::pr_curve(b, &y, &info.weight),
            ));
        }
        let title = "Precision-recall, held-out genes";
        save(
            "pr_curves.svg",
            svg_lines(title, "recall", "precision", &series).as_bytes(),
        )?;
    }
    save(
        "importance.svg",
        svg_bars(
            "Feature importance (total gain, final model)",
            &m.importance,
        )
        .as_bytes(),
    )?;
    let mem_bars: Vec<(String, f64)> = r
        .phases
        .iter()
        .map(|p| {
            (
                format!("{} ({:.0} MB)", p.name, p.peak_rss as f64 / 1e6),
                p.peak_rss as f64,
            )
        })
        .collect();
    save(
        "memory.svg",
        svg_bars("Peak RSS per training phase", &mem_bars).as_bytes(),
    )
}

/// The header of a base-vs-meta table.
const COMPARISON_HEADER: &str = "| class | base F1 | meta F1 | base FP | meta FP | base FN | meta FN | errors fixed | errors introduced | base AP | meta AP |\n|---|---|---|---|---|---|---|---|---|---|---|";

/// One Markdown table row of `cells`.
fn table_row(r: &mut String, cells: &[String]) {
    let _ = writeln!(r, "| {} |", cells.join(" | "));
}

fn comparison_rows(r: &mut String, rows: &[Comparison]) {
    for c in rows {
        let mut cells = vec![c.class.clone()];
        cells.extend([c.base_f1, c.meta_f1].map(|v| format!("{v:.4}")));
        cells.extend(
            [
                c.base_fp,
                c.meta_fp,
                c.base_fn,
                c.meta_fn,
                c.fixed,
                c.introduced,
            ]
            .map(|v| format!("{v:.0}")),
        );
        cells.extend([c.base_ap, c.meta_ap].map(|v| format!("{v:.4}")));
        table_row(r, &cells);
    }
}

fn class_rows(r: &mut String, classes: &[ClassMetrics]) {
    let _ = writeln!(
        r,
        "| class | precision | recall | F1 | AP | top-k per gene |\n|---|---|---|---|---|---|"
    );
    for c in classes {
        let mut cells = vec![c.class.clone()];
        cells.extend([c.precision, c.recall, c.f1, c.average_precision].map(|v| format!("{v:.4}")));
        cells.push(c.top_k_accuracy.map_or("–".into(), |v| format!("{v:.4}")));
        table_row(r, &cells);
    }
}

fn markdown(inp: &Inputs<'_>, m: &Metrics) -> String {
    let mut r = String::new();
    let _ = writeln!(r, "# spliceforge meta-model report\n");
    for w in warnings(m) {
        let _ = writeln!(r, "> **{w}**\n");
    }
    let _ = writeln!(
        r,
        "Dataset `{}`: {} genes, {} rows, {} features; trained on {}. Objective `{}`, {}.\n",
        inp.ds.dir.display(),
        inp.ds.genes.len(),
        inp.ds.rows(),
        inp.ds.features.len(),
        trained_on(inp),
        inp.model.objective,
        model_params(inp.params)
    );
    match &m.result {
        Some(result) => held_out_sections(&mut r, inp, m, result),
        None => {
            let _ = writeln!(
                r,
                "No cross-validation (`--n-folds` < 2): no held-out figures.\n"
            );
        }
    }
    if let Some(st) = inp.stopped {
        let _ = writeln!(r, "{}", st.markdown(inp.params.n_estimators));
    }
    let _ = writeln!(
        r,
        "## Feature importance\n\n![feature importance](importance.svg)\n"
    );
    shap_section(&mut r, m);
    let _ = writeln!(
        r,
        "## Time and memory per phase\n\nRSS sampled every 50 ms; each phase's own peak.\n\n![peak RSS per phase](memory.svg)\n\n| phase | seconds | peak RSS |\n|---|---|---|"
    );
    for p in inp.phases {
        let _ = writeln!(
            r,
            "| {} | {:.1} | {} |",
            p.name,
            p.secs,
            rss::human(p.peak_rss)
        );
    }
    let _ = writeln!(
        r,
        "\nTotal {:.1} s, peak RSS {}.",
        inp.total_secs,
        rss::human(m.peak_rss)
    );
    r
}

fn held_out_sections(r: &mut String, inp: &Inputs<'_>, m: &Metrics, result: &Figures) {
    let _ = writeln!(
        r,
        "## Result: base model vs meta-model on held-out genes ({} out-of-fold rows)\n",
        inp.oof.info.len()
    );
    let _ = writeln!(
        r,
        "How a site is called: {RULE}; `predict` writes the same calls in its `predicted` column. The base model calls at score ≥ {}. Precision, recall, FP and FN are weighted by `sample_weight` (the inverse TN keep-probability), so they estimate figures on every position of the genes; AP (average precision, of the calibrated probabilities) needs no threshold.\n",
        inp.threshold
    );
    let _ = writeln!(r, "{COMPARISON_HEADER}");
    comparison_rows(r, &result.base_vs_meta);
    let _ = writeln!(r, "\nPer class, the same calls:\n");
    class_rows(r, &result.classes);
    let _ = writeln!(
        r,
        "\n## Secondary: other decision rules on the same rows\n\nNot the result. Calibration moves each class's probabilities separately, so its argmax is another rule, chosen by no one; per-class thresholds chosen for F1 (P(donor) ≥ {:.4}, P(acceptor) ≥ {:.4} on all out-of-fold rows) are judged cross-fitted, and a few easy negatives with weights in the thousands make that choice unstable on small datasets.\n",
        m.thresholds.donor, m.thresholds.acceptor
    );
    for (name, f) in [
        (
            "At per-class thresholds chosen on the other folds",
            &m.at_thresholds,
        ),
        ("Argmax after calibration", &m.argmax_calibrated),
    ] {
        if let Some(f) = f {
            let _ = writeln!(r, "{name}:\n\n{COMPARISON_HEADER}");
            comparison_rows(r, &f.base_vs_meta);
            let _ = writeln!(r);
        }
    }
    if let Some(c) = &m.calibration {
        let _ = writeln!(
            r,
            "## Calibration (per-class Platt scaling on out-of-fold margins, renormalised; {})\n",
            if inp.population {
                "to the whole-gene population, rows weighted by sample_weight"
            } else {
                "to the dataset's rows"
            }
        );
        let _ = writeln!(
            r,
            "| | Brier | ECE neither | ECE donor | ECE acceptor |\n|---|---|---|---|---|"
        );
        for (name, b, e) in [
            ("before", c.brier_before, c.ece_before),
            ("after", c.brier_after, c.ece_after),
        ] {
            let _ = writeln!(
                r,
                "| {name} | {b:.5} | {:.5} | {:.5} | {:.5} |",
                e[0], e[1], e[2]
            );
        }
    }
    let _ = writeln!(r, "\n![precision-recall curves](pr_curves.svg)\n");
}

/// What a single model below its base model should try.
const SINGLE_ADVICE: &str = "likely too few genes or rows of this site type to learn from, or overfitting: train on more genes, or try fewer --n-estimators, a lower --learning-rate or a smaller --max-depth";

/// The below-the-base-model warnings of a single model's result.
fn warnings(m: &Metrics) -> Vec<String> {
    m.result.as_ref().map_or_else(Vec::new, |r| {
        metrics::below_base_warnings(&r.base_vs_meta, "meta-model", SINGLE_ADVICE)
    })
}

/// The console summary: the result first, the threshold-free AP second.
fn headline(inp: &Inputs<'_>, m: &Metrics) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "trained the {} meta-model on {} in {:.1} s, peak RSS {}",
        inp.model.objective,
        trained_on(inp),
        inp.total_secs,
        rss::human(m.peak_rss)
    );
    match &m.result {
        Some(result) => {
            let _ = writeln!(
                text,
                "result on held-out genes (out-of-fold rows weighted back to every position, base and meta on the same rows; the meta-model's own calls, its argmax before calibration):"
            );
            for c in &result.base_vs_meta {
                let _ = writeln!(
                    text,
                    "  {:<9} F1: base {:.3} → meta {:.3}  (FP {:.0} → {:.0}, FN {:.0} → {:.0}; AP {:.3} → {:.3})",
                    c.class,
                    c.base_f1,
                    c.meta_f1,
                    c.base_fp,
                    c.meta_fp,
                    c.base_fn,
                    c.meta_fn,
                    c.base_ap,
                    c.meta_ap
                );
            }
        }
        None => {
            let _ = writeln!(text, "  no cross-validation: no held-out figures");
        }
    }
    let _ = writeln!(
        text,
        "  model, calibration, metrics and report in {}",
        inp.out.display()
    );
    for w in warnings(m) {
        let _ = writeln!(text, "{w}");
    }
    text
}
