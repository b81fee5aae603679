//! When boosting stops: after a fixed number of rounds, or early (`--early-stopping-rounds R`)
//! once the loss on a gene-disjoint validation slice has not improved for `R` rounds, keeping
//! the trees up to the best round. The final model, which has no validation slice, boosts the
//! folds' median best number of rounds.

use serde::Serialize;

use crate::train::Error;
use crate::train::fit::model::xgb_error;
use crate::xgb::{Booster, DMatrix};

/// Share of a fold's training genes held out as its validation slice.
pub const VALIDATION_FRACTION: f64 = 0.1;

/// How many rounds each booster boosts.
pub enum Stop {
    /// Exactly these many rounds, per booster (in booster order).
    After(Vec<u32>),
    /// Up to the configured rounds, stopping early on this validation slice.
    Early(Validation),
}

/// A gene-disjoint validation matrix with its rows' classes (0/1/2), and the patience.
pub struct Validation {
    /// The matrix, binned with the training matrix's cuts.
    pub matrix: DMatrix,
    /// Its rows' classes.
    pub labels: Vec<u8>,
    /// Rounds without improvement before stopping.
    pub patience: u32,
}

/// Boosts `b` on `train`, at most `max_rounds` rounds. With a validation slice (whose labels
/// are already this booster's), stops once its loss has not improved for `patience` rounds;
/// returns the number of rounds to keep (the best round's, counted from 1).
pub fn boost(
    b: &mut Booster,
    train: &DMatrix,
    max_rounds: u32,
    valid: Option<(&DMatrix, u32)>,
) -> Result<u32, Error> {
    let mut best = (f64::INFINITY, 0u32);
    for it in 0..max_rounds {
        b.update(it, train).map_err(xgb_error)?;
        let Some((v, patience)) = valid else {
            continue;
        };
        let line = b.eval(it, &[(v, "valid")]).map_err(xgb_error)?;
        let loss = parse_loss(&line)
            .ok_or_else(|| Error::Internal(format!("unexpected evaluation line {line:?}")))?;
        if loss < best.0 {
            best = (loss, it + 1);
        } else if it + 1 - best.1 >= patience {
            return Ok(best.1);
        }
    }
    Ok(if valid.is_some() { best.1 } else { max_rounds })
}

/// The loss in an XGBoost evaluation line such as `[12]\tvalid-logloss:0.0213`.
fn parse_loss(line: &str) -> Option<f64> {
    line.rsplit(':').next()?.trim().parse().ok()
}

/// The median of the folds' kept rounds, per booster (the lower middle value for an even
/// number of folds).
pub fn median_rounds(per_fold: &[Vec<u32>]) -> Vec<u32> {
    let boosters = per_fold.first().map_or(0, Vec::len);
    (0..boosters)
        .map(|i| {
            let mut v: Vec<u32> = per_fold.iter().map(|f| f[i]).collect();
            v.sort_unstable();
            v[(v.len() - 1) / 2]
        })
        .collect()
}

/// Where early stopping stopped (`metrics.json`, `report.md`).
#[derive(Debug, Clone, Serialize)]
pub struct Stopped {
    /// Rounds without improvement before stopping.
    pub patience: u32,
    /// The boosters, by class.
    pub boosters: Vec<String>,
    /// Per fold, the rounds each booster kept (its best validation round).
    pub folds: Vec<Vec<u32>>,
    /// The rounds the final model boosted, per booster: the folds' median.
    pub final_rounds: Vec<u32>,
}

impl Stopped {
    /// The report's section.
    pub fn markdown(&self, max_rounds: u32) -> String {
        let mut s = format!(
            "## Early stopping

Each fold held out {:.0} % of its training genes as a validation slice and stopped a booster once the slice's loss had not improved for {} rounds (at most {max_rounds}), keeping its best round's trees. The final model, which has no slice, boosted the folds' median.

| booster |",
            VALIDATION_FRACTION * 100.0,
            self.patience
        );
        for k in 0..self.folds.len() {
            s += &format!(" fold {} |", k + 1);
        }
        s += " final model |
|---|";
        s += &"---|".repeat(self.folds.len() + 1);
        s += "
";
        for (i, b) in self.boosters.iter().enumerate() {
            s += &format!("| {b} |");
            for f in &self.folds {
                s += &format!(" {} |", f[i]);
            }
            s += &format!(" {} |\n", self.final_rounds[i]);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluation_lines_give_their_loss() {
        assert_eq!(parse_loss("[12]\tvalid-logloss:0.0213"), Some(0.0213));
        assert_eq!(parse_loss("[0]\tvalid-mlogloss:1.05\n"), Some(1.05));
        assert_eq!(parse_loss("[0]\tvalid-logloss:nope"), None);
    }

    #[test]
    fn the_median_of_the_folds_is_taken_per_booster() {
        let folds = vec![vec![80, 12], vec![100, 30], vec![64, 31]];
        assert_eq!(median_rounds(&folds), [80, 30]);
        assert_eq!(median_rounds(&[vec![7, 9], vec![5, 11]]), [5, 9]);
    }
}
