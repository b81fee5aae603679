//! `spliceforge estimate`: the memory model's prediction for one dataset and settings, the plan
//! a `--memory-budget` would get, and a table of dataset sizes → RAM required → strategy.

use std::fmt::Write as _;

use serde_json::json;

use crate::rss::human;
use crate::train::memory::{self, Fixed, Settings, Shape};

/// The budget the size table is planned for when none is given: a 16 GB laptop.
pub const LAPTOP: u64 = 16_000_000_000;

/// What to estimate.
#[derive(Debug, Clone)]
pub struct Request {
    /// The data trained on.
    pub shape: Shape,
    /// Genes in the whole dataset (the index is held even when sampling).
    pub dataset_genes: u64,
    /// Where the shape came from (for the header).
    pub source: String,
    /// Settings as asked.
    pub settings: Settings,
    /// `--memory-budget`, if given.
    pub budget: Option<u64>,
    /// Settings the user fixed.
    pub fixed: Fixed,
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn describe(s: &Settings) -> String {
    let model = if s.ensemble_size > 1 {
        format!(
            "ensemble of {} (overlap {}, hold-out {}{})",
            s.ensemble_size,
            s.ensemble_overlap,
            s.holdout_fraction,
            if s.compare_single {
                ", with a single comparison model"
            } else {
                ""
            }
        )
    } else if s.n_folds >= 2 {
        format!("single model, {}-fold cross-validation", s.n_folds)
    } else {
        "single model, no cross-validation".into()
    };
    let workers = if s.workers > 1 {
        format!(", {} workers (figures per worker)", s.workers)
    } else {
        String::new()
    };
    let objective = if s.objective_by_size {
        format!(
            "ovr (ovr2 from {} rows per model)",
            thousands(memory::LARGE_RUN_ROWS)
        )
    } else {
        format!("{:?}", s.objective)
    };
    format!(
        "{objective}, max_bin {}, {model}, {}{workers}, {} threads",
        s.max_bin,
        if s.external_memory {
            "external memory"
        } else {
            "in memory"
        },
        s.threads
    )
    .to_lowercase()
}

/// A short name for a plan's strategy.
fn strategy(p: &memory::Plan, asked: &Settings) -> String {
    let mut parts = Vec::new();
    if let Some(n) = p.sample_genes {
        parts.push(format!("sample {} genes", thousands(n)));
    }
    if p.settings.ensemble_size > asked.ensemble_size {
        parts.push(format!("{} sub-models", p.settings.ensemble_size));
    }
    if p.settings.external_memory && !asked.external_memory {
        parts.push("external memory".into());
    }
    if !p.settings.compare_single && asked.compare_single && asked.ensemble_size > 1 {
        parts.push("no comparison model".into());
    }
    if parts.is_empty() {
        "as asked".into()
    } else {
        parts.join(" + ")
    }
}

/// What `estimate` prints: the text report, and its JSON form for `--json`.
pub struct Rendered {
    /// The tables.
    pub text: String,
    /// The same as JSON.
    pub json: serde_json::Value,
}

/// The report for one request: the shape, the predicted peak by phase, the plan a budget would
/// get, and the table of dataset sizes.
pub fn render(r: &Request) -> Rendered {
    let mut t = String::new();
    let sh = &r.shape;
    let _ = writeln!(
        t,
        "{}: {} genes, {} rows ({:.0} per gene), {} features",
        r.source,
        thousands(sh.genes),
        thousands(sh.rows),
        sh.rows_per_gene(),
        sh.features
    );
    let _ = writeln!(t, "settings: {}\n", describe(&r.settings));
    let est = memory::estimate(sh, r.dataset_genes, &r.settings);
    phases_text(&mut t, &est);
    let plan = r
        .budget
        .map(|b| memory::plan(sh, r.dataset_genes, &r.settings, b, r.fixed));
    match &plan {
        Some(Ok(p)) => {
            let _ = writeln!(
                t,
                "with --memory-budget {}: {}\n  plan: {}\n",
                human(r.budget.unwrap_or(0)),
                strategy(p, &r.settings),
                p.reason
            );
        }
        Some(Err(e)) => {
            let _ = writeln!(t, "refused: {e}\n");
        }
        None => {}
    }
    let budget = r.budget.unwrap_or(LAPTOP);
    let table = size_table(&mut t, r, budget);
    let json = json!({
        "shape": sh,
        "settings": r.settings,
        "estimate": est,
        "budget": r.budget,
        "plan": plan.as_ref().map(|p| match p {
            Ok(p) => json!({"strategy": strategy(p, &r.settings), "reason": p.reason,
                            "sample_genes": p.sample_genes, "settings": p.settings, "estimate": p.estimate}),
            Err(e) => json!({"refused": e}),
        }),
        "table_budget": budget,
        "table": table,
    });
    Rendered { text: t, json }
}

/// The predicted peak of each phase, and the peak.
fn phases_text(t: &mut String, est: &memory::Estimate) {
    let _ = writeln!(t, "predicted peak RSS by phase:");
    for p in &est.phases {
        let _ = writeln!(
            t,
            "  {:<34} {:>14} rows  {:>10}",
            p.name,
            thousands(p.rows),
            human(p.bytes)
        );
    }
    let _ = writeln!(t, "  {:<34} {:>20}  {:>10}\n", "peak", "", human(est.peak));
}

/// One row of the size table.
struct SizeRow {
    genes: u64,
    rows: u64,
    /// Predicted peak as asked, on external memory, and as 5 sub-models (bytes).
    as_asked: u64,
    external_memory: u64,
    ensemble_5: u64,
    /// What the planner would do with the budget.
    strategy: String,
}

/// The predictions for `g` genes of this data's shape.
fn size_row(r: &Request, g: u64, budget: u64) -> SizeRow {
    let s = r.shape.with_genes(g);
    let peak = |dataset_genes: u64, settings: Settings| {
        memory::estimate(&s, dataset_genes, &settings).peak
    };
    let base = || r.settings.clone();
    SizeRow {
        genes: g,
        rows: s.rows,
        as_asked: peak(g.max(r.dataset_genes), base()),
        external_memory: peak(
            g,
            Settings {
                external_memory: true,
                ..base()
            },
        ),
        ensemble_5: peak(
            g,
            Settings {
                ensemble_size: 5,
                compare_single: false,
                ..base()
            },
        ),
        strategy: match memory::plan(&s, g, &r.settings, budget, r.fixed) {
            Ok(p) => strategy(&p, &r.settings),
            Err(_) => "does not fit: raise the budget".into(),
        },
    }
}

/// Dataset size → RAM required → strategy, for standard sizes and this data's; returns the rows
/// as JSON.
fn size_table(t: &mut String, r: &Request, budget: u64) -> Vec<serde_json::Value> {
    let sh = &r.shape;
    let mut sizes: Vec<u64> = vec![1_000, 2_000, 5_000, 10_000, 20_000, 50_000];
    if !sizes.contains(&sh.genes) {
        sizes.push(sh.genes);
        sizes.sort_unstable();
    }
    let _ = writeln!(
        t,
        "dataset size -> RAM required -> strategy for a {} budget ({:.0} rows per gene):",
        human(budget),
        sh.rows_per_gene()
    );
    let _ = writeln!(
        t,
        "  {:>8} {:>12} {:>12} {:>12} {:>12}  strategy",
        "genes", "rows", "as asked", "ext. memory", "ensemble 5"
    );
    let mut table = Vec::new();
    for &g in &sizes {
        let row = size_row(r, g, budget);
        let _ = writeln!(
            t,
            "  {:>8} {:>12} {:>12} {:>12} {:>12}  {}{}",
            thousands(g),
            thousands(row.rows),
            human(row.as_asked),
            human(row.external_memory),
            human(row.ensemble_5),
            row.strategy,
            if g == sh.genes { "  <- this data" } else { "" }
        );
        table.push(
            json!({"genes": row.genes, "rows": row.rows, "as_asked": row.as_asked,
            "external_memory": row.external_memory, "ensemble_5": row.ensemble_5,
            "strategy": row.strategy}),
        );
    }
    table
}
