//! The planner: the largest plan whose predicted peak fits a `--memory-budget`, trying the
//! settings as asked, then external memory, then sub-models, then a gene sample.

use serde::Serialize;

use super::{Estimate, Settings, Shape, estimate};
use crate::rss::human;

/// The plan `train` runs: the settings it changed to fit a budget and why.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Genes trained on (a sample when fewer than the dataset's).
    pub sample_genes: Option<u64>,
    /// Settings after planning.
    pub settings: Settings,
    /// The prediction for the plan.
    pub estimate: Estimate,
    /// One line: what was chosen and why.
    pub reason: String,
}

/// The share of a budget the planner leaves free for the model's error (it predicts within
/// ±25 %; docs/memory.md).
pub const HEADROOM: f64 = 0.2;

/// The largest sub-model count the planner tries.
pub const MAX_ENSEMBLE: usize = 32;
/// The fewest genes a sample may keep.
pub const MIN_SAMPLE_GENES: u64 = 20;

/// Which settings the user gave explicitly (the planner keeps them).
#[derive(Debug, Clone, Copy, Default)]
pub struct Fixed {
    /// `--ensemble-size` given.
    pub ensemble: bool,
    /// `--sample-genes` given.
    pub sample: bool,
    /// The external-memory choice is the user's (`--external-memory` given).
    pub external: bool,
}

impl Fixed {
    fn any(&self) -> bool {
        self.ensemble || self.sample || self.external
    }
}

/// One planning problem: the data, what was asked, the budget.
struct Planner<'a> {
    shape: &'a Shape,
    dataset_genes: u64,
    asked: &'a Settings,
    budget: u64,
    fixed: Fixed,
    /// The prediction for the run as asked.
    full: Estimate,
}

impl Planner<'_> {
    /// The prediction for `s` on `sh` when it fits the budget less [`HEADROOM`].
    fn fits(&self, sh: &Shape, s: &Settings) -> Option<Estimate> {
        let usable = (self.budget as f64 * (1.0 - HEADROOM)) as u64;
        let e = estimate(sh, self.dataset_genes, s);
        (e.peak <= usable).then_some(e)
    }

    /// "as asked it needs X, more than B less 20 % headroom".
    fn too_big(&self) -> String {
        format!(
            "as asked it needs {}, more than {} less 20 % headroom",
            human(self.full.peak),
            human(self.budget)
        )
    }

    /// The alternatives to the run as asked, in order of preference: external memory, then
    /// sub-models without the comparison model, in memory before external memory.
    fn alternatives(&self) -> Vec<Settings> {
        let (asked, fixed) = (self.asked, self.fixed);
        let mut tries: Vec<Settings> = Vec::new();
        if !asked.external_memory && !fixed.external {
            tries.push(Settings {
                external_memory: true,
                ..asked.clone()
            });
        }
        // The comparison model needs the memory of all genes, so sub-models go without it.
        let mut externals = vec![asked.external_memory];
        if !asked.external_memory && !fixed.external {
            externals.push(true);
        }
        for external_memory in externals {
            let sub_models = Settings {
                compare_single: false,
                external_memory,
                ..asked.clone()
            };
            if asked.ensemble_size > 1 {
                if sub_models != *asked {
                    tries.push(sub_models);
                }
            } else if !fixed.ensemble {
                // Each sub-model needs a few genes besides the hold-out.
                let most =
                    (self.shape.genes as f64 * (1.0 - asked.holdout_fraction) / 4.0) as usize;
                tries.extend((2..=MAX_ENSEMBLE.min(most)).map(|k| Settings {
                    ensemble_size: k,
                    ..sub_models.clone()
                }));
            }
        }
        tries
    }

    /// What an alternative changed, in words.
    fn describe(&self, s: &Settings) -> String {
        let external = |yes: bool| if yes { ", on external memory" } else { "" };
        if s.ensemble_size > self.asked.ensemble_size {
            let genes = self.shape.genes as f64 * (1.0 - s.holdout_fraction);
            format!(
                "{} sub-models of ~{} genes each{}",
                s.ensemble_size,
                (genes / s.ensemble_size as f64).round(),
                external(s.external_memory)
            )
        } else if s.ensemble_size > 1 {
            format!(
                "the ensemble without its single comparison model{}",
                external(s.external_memory && !self.asked.external_memory)
            )
        } else {
            "XGBoost external memory (bins in cache files; boosting 2-4x slower)".into()
        }
    }

    /// The largest gene sample that fits, by bisection (memory grows with genes).
    fn largest_sample(&self) -> Option<(u64, Estimate)> {
        let (mut lo, mut hi) = (0u64, self.shape.genes);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if self.fits(&self.shape.with_genes(mid), self.asked).is_some() {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        if lo < MIN_SAMPLE_GENES {
            return None;
        }
        Some((lo, self.fits(&self.shape.with_genes(lo), self.asked)?))
    }

    /// Why nothing fits, and what to do.
    fn nothing_fits(&self) -> String {
        let smallest = MIN_SAMPLE_GENES.min(self.shape.genes);
        let floor = estimate(
            &self.shape.with_genes(smallest),
            self.dataset_genes,
            self.asked,
        );
        let (ruled_out, or_drop) = if self.fixed.any() {
            (
                " and the settings you fixed (--ensemble-size, --sample-genes, --external-memory) rule out the other plans",
                ", or drop the settings you fixed so that the planner may change them",
            )
        } else {
            ("", "")
        };
        format!(
            "no plan fits a memory budget of {}: as asked the run needs {}{ruled_out}; even the smallest plan ({smallest} genes) needs {}. Raise --memory-budget{or_drop}",
            human(self.budget),
            human(self.full.peak),
            human(floor.peak),
        )
    }
}

/// Picks the largest plan whose predicted peak fits `budget` bytes less [`HEADROOM`], in this
/// order: the settings as given (all genes, in memory); the same on external memory; `K`
/// sub-models without the single comparison model (the smallest `K` that fits), in memory, then
/// on external memory; a gene sample (the largest that fits). Settings the user fixed
/// ([`Fixed`]) are kept; only the others change. `Err` explains why nothing fits.
pub fn plan(
    shape: &Shape,
    dataset_genes: u64,
    asked: &Settings,
    budget: u64,
    fixed: Fixed,
) -> Result<Plan, String> {
    let p = Planner {
        shape,
        dataset_genes,
        asked,
        budget,
        fixed,
        full: estimate(shape, dataset_genes, asked),
    };
    if let Some(e) = p.fits(shape, asked) {
        return Ok(Plan {
            sample_genes: None,
            settings: asked.clone(),
            reason: format!(
                "the run as asked fits: {} predicted, within the budget of {} less 20 % headroom",
                human(e.peak),
                human(budget)
            ),
            estimate: e,
        });
    }
    for s in p.alternatives() {
        if let Some(e) = p.fits(shape, &s) {
            return Ok(Plan {
                sample_genes: None,
                reason: format!(
                    "{}; chose {}: {} predicted",
                    p.too_big(),
                    p.describe(&s),
                    human(e.peak)
                ),
                settings: s,
                estimate: e,
            });
        }
    }
    if !fixed.sample
        && let Some((n, e)) = p.largest_sample()
    {
        return Ok(Plan {
            sample_genes: Some(n),
            settings: asked.clone(),
            reason: format!(
                "{}; no ensemble fits either, so a seeded sample of {n} of {} genes: {} predicted",
                p.too_big(),
                shape.genes,
                human(e.peak)
            ),
            estimate: e,
        });
    }
    Err(p.nothing_fits())
}

/// Parses a memory size: a number with an optional unit K, M, G or T (powers of 1000, an
/// optional trailing `B`), e.g. `16G`, `512M`, `1.5G`, `2000000000`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let t = t.strip_suffix(['B', 'b']).unwrap_or(t);
    let (num, mult) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 1e3),
        Some('M' | 'm') => (&t[..t.len() - 1], 1e6),
        Some('G' | 'g') => (&t[..t.len() - 1], 1e9),
        Some('T' | 't') => (&t[..t.len() - 1], 1e12),
        _ => (t, 1.0),
    };
    match num.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok((v * mult).round() as u64),
        _ => Err(format!(
            "'{text}' is not a memory size; write e.g. 16G, 512M or 1.5G (units of 1000)"
        )),
    }
}
