//! Paired comparison of two runs on common random numbers, and a monotone search.
//!
//! Trial `i` of two variants of one scenario, run with the same seed, sees the same disruptions (each random
//! process has its own stream keyed by name), so the per-trial difference `baseline - option` removes the
//! variance the two share. Its mean, standard error and normal-theory interval are the paired estimators
//! (the same as in [`crate::stats`], applied to differences). The unpaired standard error
//! `sqrt(se_a^2 + se_b^2)` is reported beside it to show what pairing buys.

use crate::runner::RunResults;
use crate::stats::{Proportion, Summary, Z_95, summarize};

/// How an option compares with the baseline for one end use, trial by trial.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedSummary {
    /// Mean units short in the baseline and with the option.
    pub baseline_mean: f64,
    pub option_mean: f64,
    /// Units short avoided per trial (`baseline - option`; positive is better).
    pub avoided: Summary,
    /// Standard error of the difference of means had the runs been independent.
    pub unpaired_se: f64,
    /// Trials where the option is strictly better, strictly worse, and (by difference) tied.
    pub p_better: Proportion,
    pub p_worse: Proportion,
    /// Change in the probability of any shortfall (option minus baseline), with its paired 95 % interval.
    pub delta_p_any: f64,
    pub delta_p_any_ci95: (f64, f64),
    /// Change in CVaR95 of units short (option minus baseline).
    pub delta_cvar95: f64,
}

/// Compares end use `e` of `option` with `baseline`; both must come from the same seed and trial count.
pub fn paired(baseline: &RunResults, option: &RunResults, e: usize) -> PairedSummary {
    let n = baseline.trials.min(option.trials);
    let base: Vec<f64> = baseline.end_use(e).take(n).map(|o| o.units_short).collect();
    let opt: Vec<f64> = option.end_use(e).take(n).map(|o| o.units_short).collect();
    let tol = |a: f64, b: f64| 1e-9 * (1.0 + a.abs().max(b.abs()));
    let better = base.iter().zip(&opt).filter(|&(b, o)| b - o > tol(*b, *o)).count();
    let worse = base.iter().zip(&opt).filter(|&(b, o)| o - b > tol(*b, *o)).count();
    let mut diff: Vec<f64> = base.iter().zip(&opt).map(|(b, o)| b - o).collect();
    let avoided = summarize(&mut diff);
    let mut b_sorted = base.clone();
    let mut o_sorted = opt.clone();
    let sb = summarize(&mut b_sorted);
    let so = summarize(&mut o_sorted);
    let short = |o: &crate::outcome::EndUseOutcome| f64::from(u8::from(o.short_periods > 0));
    let mut dp: Vec<f64> =
        option.end_use(e).take(n).zip(baseline.end_use(e).take(n)).map(|(o, b)| short(o) - short(b)).collect();
    let d = summarize(&mut dp);
    PairedSummary {
        baseline_mean: sb.mean,
        option_mean: so.mean,
        avoided,
        unpaired_se: (sb.se * sb.se + so.se * so.se).sqrt(),
        p_better: Proportion::new(better, n),
        p_worse: Proportion::new(worse, n),
        delta_p_any: d.mean,
        delta_p_any_ci95: (d.mean - Z_95 * d.se, d.mean + Z_95 * d.se),
        delta_cvar95: so.cvar95 - sb.cvar95,
    }
}

/// The smallest `x` in `[lo, hi]` for which the monotone predicate `passes` holds (false below some
/// threshold, true from it on), to within `step`: bisection, about `log2((hi - lo) / step)` evaluations.
/// Returns `None` when even `hi` fails; `Some(lo)` when `lo` passes. The result passes and `result - step`
/// (if not below `lo`) fails.
pub fn smallest_passing(lo: f64, hi: f64, step: f64, mut passes: impl FnMut(f64) -> bool) -> Option<f64> {
    if passes(lo) {
        return Some(lo);
    }
    if !passes(hi) {
        return None;
    }
    let step = step.max(f64::EPSILON * hi.abs().max(1.0));
    // Invariant: passes(high), !passes(low).
    let (mut low, mut high) = (lo, hi);
    while high - low > step {
        let mid = low + 0.5 * (high - low);
        if passes(mid) {
            high = mid;
        } else {
            low = mid;
        }
    }
    Some(high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bisection_finds_the_threshold_within_one_step() {
        let mut calls = 0;
        let x = smallest_passing(0.0, 1000.0, 1.0, |x| {
            calls += 1;
            x >= 123.4
        })
        .unwrap();
        assert!((123.4..=124.4).contains(&x), "{x}");
        assert!(calls <= 13, "{calls} calls");
        assert_eq!(smallest_passing(0.0, 10.0, 0.1, |x| x >= 20.0), None);
        assert_eq!(smallest_passing(5.0, 10.0, 0.1, |_| true), Some(5.0));
    }
}
