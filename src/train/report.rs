//! `metrics.json`, `report.md` and its SVG figures (PR curves, feature importance).

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::calibrate::{CLASSES, brier, ece};
use super::dataset::Dataset;
use super::metrics::{self, ClassMetrics, Comparison};
use super::model::Model;
use super::{Oof, Phase};
use crate::Error;
use crate::mem;

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
    /// Per-class metrics of the uncalibrated out-of-fold probabilities.
    pub classes_uncalibrated: Vec<ClassMetrics>,
    /// Per-class metrics of the final (calibrated) out-of-fold probabilities.
    pub classes: Vec<ClassMetrics>,
    /// Base model vs meta-model on the same held-out rows; the meta-model's call is its own
    /// argmax (before calibration).
    pub base_vs_meta: Vec<Comparison>,
    /// The same with the meta-model's call taken at the argmax of calibrated probabilities
    /// (per-class Platt scaling shifts it towards "neither": more precision, less recall).
    pub base_vs_meta_calibrated: Vec<Comparison>,
    /// Calibration figures.
    pub calibration: Option<CalibrationFigures>,
    /// Top features by total gain in the final model.
    pub importance: Vec<(String, f64)>,
    /// Time and peak memory per phase.
    pub phases: Vec<Phase>,
    /// Total seconds.
    pub total_secs: f64,
    /// Peak RSS (bytes).
    pub peak_rss: u64,
}

/// What `train` tells the user.
pub struct Summary {
    /// The metrics.
    pub metrics: Metrics,
    /// A short human summary.
    pub text: String,
}

/// A named, coloured line of `(x, y)` points in [0, 1]².
type Series<'a> = (String, &'a str, Vec<(f64, f64)>);

fn svg_lines(title: &str, x: &str, y: &str, series: &[Series<'_>]) -> String {
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
fn model_params(out: &Path) -> String {
    std::fs::read(out.join("train.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<super::TrainInfo>(&b).ok())
        .map(|t| {
            let p = t.params;
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
        })
        .unwrap_or_default()
}

/// Computes the metrics, writes `metrics.json`, `report.md`, `pr_curves.svg`, `importance.svg`.
#[allow(clippy::too_many_arguments)]
pub fn write(
    out: &Path,
    population: bool,
    ds: &Dataset,
    model: &Model,
    oof: &Oof,
    threshold: f32,
    importance: &[f64],
    phases: &[Phase],
    total_secs: f64,
) -> Result<Summary, Error> {
    let info = &oof.info;
    let have_oof = !info.is_empty();
    let raw = model.raw_probs(&oof.margins);
    let cal = model.probs(&oof.margins);
    let cw = super::calibration_weights(info, population);
    let calibration = (have_oof && model.calibration.is_some()).then(|| CalibrationFigures {
        brier_before: brier(&raw, &info.label, &cw),
        brier_after: brier(&cal, &info.label, &cw),
        ece_before: [0, 1, 2].map(|c| ece(&raw, &info.label, &cw, c)),
        ece_after: [0, 1, 2].map(|c| ece(&cal, &info.label, &cw, c)),
    });
    let mut top: Vec<(String, f64)> = ds
        .features
        .iter()
        .cloned()
        .zip(importance.iter().copied())
        .collect();
    top.sort_by(|a, b| b.1.total_cmp(&a.1));
    top.truncate(20);
    let m = Metrics {
        oof_rows: info.len(),
        genes: ds.genes.len(),
        classes_uncalibrated: if have_oof {
            metrics::class_metrics(&raw, info)
        } else {
            Vec::new()
        },
        classes: if have_oof {
            metrics::class_metrics(&cal, info)
        } else {
            Vec::new()
        },
        base_vs_meta: if have_oof {
            metrics::compare(&raw, info, threshold)
        } else {
            Vec::new()
        },
        base_vs_meta_calibrated: if have_oof && model.calibration.is_some() {
            metrics::compare(&cal, info, threshold)
        } else {
            Vec::new()
        },
        calibration,
        importance: top.clone(),
        phases: phases.to_vec(),
        total_secs,
        peak_rss: mem::peak_rss_bytes(),
    };
    let save = |name: &str, bytes: &[u8]| super::files::write(out, name, bytes);
    super::files::write_json(out, "metrics.json", &m)?;

    // Figures.
    if have_oof {
        let mut series = Vec::new();
        for (c, color) in [(1usize, "#cc3311"), (2, "#0077bb")] {
            let y: Vec<bool> = info.label.iter().map(|&l| l as usize == c).collect();
            let s: Vec<f32> = cal.chunks_exact(3).map(|r| r[c]).collect();
            series.push((
                format!("meta {}", CLASSES[c]),
                color,
                metrics::pr_curve(&s, &y, &info.weight),
            ));
            let b = if c == 1 {
                &info.base_donor
            } else {
                &info.base_acceptor
            };
            series.push((
                format!("base {}", CLASSES[c]),
                if c == 1 { "#ee9988" } else { "#88bbdd" },
                metrics::pr_curve(b, &y, &info.weight),
            ));
        }
        save(
            "pr_curves.svg",
            svg_lines(
                "Precision-recall, held-out genes",
                "recall",
                "precision",
                &series,
            )
            .as_bytes(),
        )?;
    }
    save(
        "importance.svg",
        svg_bars("Feature importance (total gain, final model)", &top).as_bytes(),
    )?;

    let mem_bars: Vec<(String, f64)> = phases
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
    )?;

    // report.md
    let mut r = String::new();
    let _ = writeln!(r, "# spliceforge meta-model report\n");
    let _ = writeln!(
        r,
        "Dataset `{}`: {} genes, {} rows, {} features. Objective `{:?}`, {}.\n",
        ds.dir.display(),
        ds.genes.len(),
        ds.rows(),
        ds.features.len(),
        model.objective,
        model_params(out)
    );
    if have_oof {
        let _ = writeln!(r, "## Held-out genes (out-of-fold, {} rows)\n", info.len());
        let _ = writeln!(
            r,
            "| class | precision | recall | F1 | AP | top-k per gene |\n|---|---|---|---|---|---|"
        );
        for c in &m.classes {
            let _ = writeln!(
                r,
                "| {} | {:.4} | {:.4} | {:.4} | {:.4} | {} |",
                c.class,
                c.precision,
                c.recall,
                c.f1,
                c.average_precision,
                c.top_k_accuracy.map_or("–".into(), |v| format!("{v:.4}"))
            );
        }
        let _ = writeln!(
            r,
            "\nPrecision and recall are weighted by `sample_weight` (the inverse TN keep-probability), so they estimate figures on every position of the genes.\n"
        );
        let _ = writeln!(
            r,
            "Before calibration (the model's own argmax): F1 {}.\n",
            m.classes_uncalibrated
                .iter()
                .map(|c| format!("{} {:.4}", c.class, c.f1))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(r, "## Base model vs meta-model (same rows)\n");
        let _ = writeln!(
            r,
            "The meta-model's call is its argmax before calibration; calibration changes probabilities, and its argmax (second table) trades recall for precision.\n"
        );
        let _ = writeln!(
            r,
            "| class | base F1 | meta F1 | base FP | meta FP | base FN | meta FN | errors fixed | errors introduced |\n|---|---|---|---|---|---|---|---|---|"
        );
        for (i, c) in m
            .base_vs_meta
            .iter()
            .chain(&m.base_vs_meta_calibrated)
            .enumerate()
        {
            if i == m.base_vs_meta.len() {
                let _ = writeln!(
                    r,
                    "\nAt the argmax of calibrated probabilities:\n\n| class | base F1 | meta F1 | base FP | meta FP | base FN | meta FN | errors fixed | errors introduced |\n|---|---|---|---|---|---|---|---|---|"
                );
            }
            let _ = writeln!(
                r,
                "| {} | {:.4} | {:.4} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} |",
                c.class,
                c.base_f1,
                c.meta_f1,
                c.base_fp,
                c.meta_fp,
                c.base_fn,
                c.meta_fn,
                c.fixed,
                c.introduced
            );
        }
        if let Some(c) = &m.calibration {
            let _ = writeln!(
                r,
                "\n## Calibration (per-class Platt scaling on out-of-fold margins, renormalised; {})\n",
                if population {
                    "to the whole-gene population, rows weighted by sample_weight"
                } else {
                    "to the dataset's rows"
                }
            );
            let _ = writeln!(
                r,
                "| | Brier | ECE neither | ECE donor | ECE acceptor |\n|---|---|---|---|---|"
            );
            let _ = writeln!(
                r,
                "| before | {:.5} | {:.5} | {:.5} | {:.5} |",
                c.brier_before, c.ece_before[0], c.ece_before[1], c.ece_before[2]
            );
            let _ = writeln!(
                r,
                "| after | {:.5} | {:.5} | {:.5} | {:.5} |",
                c.brier_after, c.ece_after[0], c.ece_after[1], c.ece_after[2]
            );
        }
        let _ = writeln!(r, "\n![precision-recall curves](pr_curves.svg)\n");
    } else {
        let _ = writeln!(
            r,
            "No cross-validation (`--n-folds` < 2): no held-out figures.\n"
        );
    }
    let _ = writeln!(
        r,
        "## Feature importance\n\n![feature importance](importance.svg)\n"
    );
    let _ = writeln!(
        r,
        "## Time and memory per phase\n\nRSS sampled every 50 ms; each phase's own peak.\n\n![peak RSS per phase](memory.svg)\n\n| phase | seconds | peak RSS |\n|---|---|---|"
    );
    for p in phases {
        let _ = writeln!(
            r,
            "| {} | {:.1} | {} |",
            p.name,
            p.secs,
            mem::human(p.peak_rss)
        );
    }
    let _ = writeln!(
        r,
        "\nTotal {:.1} s, peak RSS {}.",
        total_secs,
        mem::human(m.peak_rss)
    );
    save("report.md", r.as_bytes())?;

    let mut text = String::new();
    let _ = writeln!(
        text,
        "trained {:?} meta-model on {} genes ({} rows) in {:.1} s, peak RSS {}",
        model.objective,
        ds.genes.len(),
        ds.rows(),
        total_secs,
        mem::human(m.peak_rss)
    );
    for (i, c) in m.base_vs_meta.iter().enumerate() {
        let _ = writeln!(
            text,
            "  {:<9} held-out F1: base {:.3} → meta {:.3}  (FP {:.0} → {:.0}, FN {:.0} → {:.0}){}",
            c.class,
            c.base_f1,
            c.meta_f1,
            c.base_fp,
            c.meta_fp,
            c.base_fn,
            c.meta_fn,
            m.base_vs_meta_calibrated
                .get(i)
                .map_or(String::new(), |k| format!(
                    "; at the calibrated argmax {:.3}",
                    k.meta_f1
                ))
        );
    }
    let _ = writeln!(
        text,
        "  model, calibration, metrics and report in {}",
        out.display()
    );
    Ok(Summary { metrics: m, text })
}
