//! Small statistics shared by the base model and the trainer.

/// Weighted negative log-likelihood of `sigmoid(a·x + b)`.
fn nll(xyw: &[(f64, f64, f64)], a: f64, b: f64) -> f64 {
    xyw.iter()
        .map(|&(x, y, w)| {
            let z = a * x + b;
            // log(1 + e^z) − y·z, computed stably
            let softplus = if z > 0.0 {
                z + (-z).exp().ln_1p()
            } else {
                z.exp().ln_1p()
            };
            w * (softplus - y * z)
        })
        .sum()
}

/// Fits `y ~ sigmoid(a·x + b)` with weights by damped Newton steps (backtracking until the
/// weighted log-likelihood improves), starting from the identity `a = 1, b = 0`. Weights are
/// rescaled to mean 1. Input: `(x, y ∈ {0, 1}, weight)`.
pub fn fit_logistic(xyw: &[(f64, f64, f64)]) -> (f64, f64) {
    let mean_w = xyw.iter().map(|t| t.2).sum::<f64>() / xyw.len().max(1) as f64;
    if mean_w <= 0.0 {
        return (1.0, 0.0);
    }
    let data: Vec<(f64, f64, f64)> = xyw.iter().map(|&(x, y, w)| (x, y, w / mean_w)).collect();
    let ridge = 1e-6;
    let (mut a, mut b) = (1.0f64, 0.0f64);
    let mut cur = nll(&data, a, b);
    for _ in 0..100 {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (ridge * a, ridge * b, ridge, 0.0, ridge);
        for &(x, y, w) in &data {
            let p = 1.0 / (1.0 + (-(a * x + b)).exp());
            let r = (p - y) * w;
            let h = (p * (1.0 - p)).max(1e-12) * w;
            ga += r * x;
            gb += r;
            haa += h * x * x;
            hab += h * x;
            hbb += h;
        }
        let det = haa * hbb - hab * hab;
        if !det.is_finite() || det.abs() < 1e-18 {
            break;
        }
        let da = (hbb * ga - hab * gb) / det;
        let db = (haa * gb - hab * ga) / det;
        let mut step = 1.0;
        let mut improved = false;
        while step > 1e-6 {
            let (na, nb) = (a - step * da, b - step * db);
            let v = nll(&data, na, nb);
            if v.is_finite() && v <= cur {
                a = na;
                b = nb;
                improved = cur - v > 1e-12 * cur.abs().max(1.0);
                cur = v;
                break;
            }
            step /= 2.0;
        }
        if !improved {
            break;
        }
    }
    (a, b)
}

/// The one average precision: a ranking given as groups of tied scores from the highest down,
/// each with its positive and negative weight; every group adds its share of the positives
/// times the precision of everything ranked down to it. 0 without positives.
pub fn average_precision_of_groups(groups: impl Iterator<Item = (f64, f64)> + Clone) -> f64 {
    let total: f64 = groups.clone().map(|(p, _)| p).sum();
    if total == 0.0 {
        return 0.0;
    }
    let (mut tp, mut fp, mut ap) = (0.0f64, 0.0f64, 0.0f64);
    for (p, n) in groups {
        if p == 0.0 && n == 0.0 {
            continue;
        }
        tp += p;
        fp += n;
        ap += (p / total) * (tp / (tp + fp));
    }
    ap
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logistic_fit_recovers_known_parameters() {
        let mut rng = crate::seed::Rng::new(1);
        let xy: Vec<(f64, f64, f64)> = (0..20_000)
            .map(|_| {
                let x = rng.next_f64() * 10.0 - 5.0;
                let p = 1.0 / (1.0 + (-(1.5 * x - 2.0)).exp());
                (x, if rng.next_f64() < p { 1.0 } else { 0.0 }, 1.0)
            })
            .collect();
        let (a, b) = fit_logistic(&xy);
        assert!((a - 1.5).abs() < 0.15, "slope {a}");
        assert!((b + 2.0).abs() < 0.2, "intercept {b}");
    }
}
