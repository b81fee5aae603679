//! The plan of a run, made from the manifest before any work: `--memory-budget` applied (the
//! largest plan that fits), the settings left to the data's size settled, impossible folds
//! refused.

use crate::rss;
use crate::train::Error;
use crate::train::config::{Cv, LARGE_RUN_ROWS, SingleModel, TrainConfig};
use crate::train::fit::folds::Folds;
use crate::train::input::dataset::Dataset;
use crate::train::memory;

/// A configuration fitted to `--memory-budget`.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The configuration to run (possibly changed by the planner).
    pub cfg: TrainConfig,
    /// Its memory estimate.
    pub estimate: memory::Estimate,
    /// Why this plan, in one line.
    pub reason: String,
}

/// Applies `--memory-budget`, then settles the settings left to the data's size ([`Auto`]):
/// the configuration to run, its memory estimate and the reason for the plan. Refuses a budget
/// that nothing fits.
pub fn plan(cfg: &TrainConfig, ds: &Dataset) -> Result<Planned, Error> {
    check_folds(cfg, ds)?;
    let sh = memory::sample_shape(ds, cfg.sample_genes, cfg.params.seed);
    let mut planned = plan_memory(cfg, ds, &sh)?;
    check_folds(&planned.cfg, ds)?;
    contig_folds(&mut planned.cfg, ds)?;
    let c = &mut planned.cfg;
    // The planner may sample genes; the rows are then those of its sample.
    let rows = if c.sample_genes == cfg.sample_genes {
        sh.rows
    } else {
        memory::sample_shape(ds, c.sample_genes, c.params.seed).rows
    } as f64;
    let per_model = memory::rows_per_model(rows, &c.memory);
    let large = per_model >= LARGE_RUN_ROWS as f64;
    if c.auto.objective {
        // As the memory model settled it for the plan's estimate.
        c.set_objective(memory::objective_by_size(per_model));
    }
    if c.auto.cuts {
        c.params.shared_cuts = large && c.memory.ensemble_size <= 1 && c.memory.workers <= 1;
    }
    if c.auto.objective || c.auto.cuts {
        c.auto.settled = Some(format!(
            "defaults for {per_model:.0} rows per model ({} {LARGE_RUN_ROWS}): objective {}, {}; --objective and --cuts choose",
            if large { "at least" } else { "fewer than" },
            c.params.objective,
            if c.params.shared_cuts {
                "one quantile sketch per run"
            } else {
                "a quantile sketch per matrix"
            }
        ));
    }
    Ok(planned)
}

/// Refuses more cross-validation folds than a single model has genes to train on, before any
/// work or progress line.
fn check_folds(cfg: &TrainConfig, ds: &Dataset) -> Result<(), Error> {
    let genes = ds.genes.len();
    let used = cfg.sample_genes.map_or(genes, |n| n.min(genes));
    if cfg.memory.ensemble_size <= 1 && cfg.memory.n_folds > used {
        return Err(Error::Usage(format!(
            "--n-folds {} is more than the {used} genes trained on; use at most {used} folds",
            cfg.memory.n_folds
        )));
    }
    Ok(())
}

/// `--cv chromosome`: as many folds as asked, but no more than the contigs trained on (one contig
/// per fold then); refused for an ensemble, without folds, or with a single contig.
fn contig_folds(cfg: &mut TrainConfig, ds: &Dataset) -> Result<(), Error> {
    if cfg.cv != Cv::Chromosome {
        return Ok(());
    }
    if cfg.memory.ensemble_size > 1 || cfg.memory.n_folds < 2 {
        return Err(Error::Usage(
            "--cv chromosome needs cross-validation folds (--n-folds 2 or more) and a single model (no --ensemble-size, and a --memory-budget that fits one model)".into(),
        ));
    }
    let universe = crate::train::input::sample_genes(ds, cfg.sample_genes, cfg.params.seed);
    let contigs = Folds::contig_count(ds, &universe);
    if contigs < 2 {
        return Err(Error::Usage(format!(
            "--cv chromosome needs genes on at least 2 contigs; the genes trained on lie on {contigs} ({}); use --cv genes",
            ds.contigs().join(", ")
        )));
    }
    cfg.memory.n_folds = cfg.memory.n_folds.min(contigs);
    Ok(())
}

/// [`plan`]'s memory part.
fn plan_memory(cfg: &TrainConfig, ds: &Dataset, sh: &memory::Shape) -> Result<Planned, Error> {
    let n_genes = ds.genes.len() as u64;
    let asked = &cfg.memory;
    let Some(budget) = cfg.memory_budget else {
        return Ok(Planned {
            cfg: cfg.clone(),
            estimate: memory::estimate(sh, n_genes, asked),
            reason: "no --memory-budget".into(),
        });
    };
    if asked.workers > 1 {
        // Workers train one in-memory single model: the only plan is the one asked, per worker.
        let estimate = memory::estimate(sh, n_genes, asked);
        if estimate.peak > budget {
            return Err(Error::Budget(format!(
                "with {} workers each one needs about {} (predicted), more than --memory-budget {}; use more workers (each holds about 1/N of the matrices), or drop --workers and let --memory-budget pick a plan",
                asked.workers,
                rss::human(estimate.peak),
                rss::human(budget)
            )));
        }
        return Ok(Planned {
            cfg: cfg.clone(),
            reason: format!(
                "{} workers, {} each fits the budget",
                asked.workers,
                rss::human(estimate.peak)
            ),
            estimate,
        });
    }
    let p = memory::plan(sh, n_genes, asked, budget, cfg.fixed).map_err(Error::Budget)?;
    let mut out = cfg.clone();
    // The planner changes sub-models, external memory and the comparison model only.
    out.memory = p.settings;
    if cfg.single_model == SingleModel::All && !out.memory.compare_single {
        out.single_model = SingleModel::SameMemory;
    }
    if let Some(n) = p.sample_genes {
        out.sample_genes = Some(n as usize);
    }
    Ok(Planned {
        cfg: out,
        estimate: p.estimate,
        reason: p.reason,
    })
}
