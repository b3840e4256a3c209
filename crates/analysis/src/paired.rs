//! Paired differences on common random numbers.
//!
//! Trial `i` of two variants of one scenario, run with the same seed, sees the same disruptions (each random
//! process has its own stream keyed by name), so the per-trial difference `baseline - option` removes the variance
//! the two share. Its mean, standard error and normal-theory interval are the estimators of
//! `chokepoint_engine::stats` applied to the differences; the unpaired standard error `sqrt(se_a^2 + se_b^2)` is
//! reported beside it to show what pairing buys. A change of a probability is the mean of the per-trial
//! differences of 0/1 indicators, with the same paired interval.

use chokepoint_engine::stats::{Proportion, Summary, Z_95, summarize};

/// Differences this small (relative to 1 + the baseline's mean) are floating-point residue of the period loop, not
/// effects: treated as 0 in effects, rankings and costs.
pub fn noise(baseline_mean: f64) -> f64 {
    1e-9 * (1.0 + baseline_mean.abs())
}

/// `x`, or 0 when it is within [`noise`] of 0.
pub fn snap(x: f64, baseline_mean: f64) -> f64 {
    if x.abs() <= noise(baseline_mean) { 0.0 } else { x }
}

/// Which side of 0 a paired interval lies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Detected {
    /// The interval of the amount avoided lies above 0 (beyond floating-point residue).
    Better,
    /// It contains 0: no detectable effect.
    None,
    /// It lies below 0.
    Worse,
}

/// A metric of the baseline and of an option, compared trial by trial ("avoided" = baseline minus option, so
/// positive is better for a metric where less is better).
#[derive(Debug, Clone, PartialEq)]
pub struct PairedDifference {
    /// The metric's mean over the baseline's trials.
    pub baseline_mean: f64,
    /// The metric's mean over the option's trials.
    pub option_mean: f64,
    /// The per-trial amount avoided, `baseline - option`.
    pub avoided: Summary,
    /// The standard error of the difference of means had the two runs been independent.
    pub unpaired_se: f64,
    /// Trials in which the option is strictly better (a relative tolerance of 1e-9 counts as equal).
    pub p_better: Proportion,
    /// Trials in which the option is strictly worse.
    pub p_worse: Proportion,
}

impl PairedDifference {
    /// Compares `option` with `baseline`, trial by trial (the shorter length is used).
    pub fn new(baseline: &[f64], option: &[f64]) -> Self {
        let n = baseline.len().min(option.len());
        let (baseline, option) = (&baseline[..n], &option[..n]);
        let tol = |a: f64, b: f64| 1e-9 * (1.0 + a.abs().max(b.abs()));
        let better = baseline.iter().zip(option).filter(|&(b, o)| b - o > tol(*b, *o)).count();
        let worse = baseline.iter().zip(option).filter(|&(b, o)| o - b > tol(*b, *o)).count();
        let mut diff: Vec<f64> = baseline.iter().zip(option).map(|(b, o)| b - o).collect();
        let avoided = summarize(&mut diff);
        let sb = summarize(&mut baseline.to_vec());
        let so = summarize(&mut option.to_vec());
        Self {
            baseline_mean: sb.mean,
            option_mean: so.mean,
            avoided,
            unpaired_se: (sb.se * sb.se + so.se * so.se).sqrt(),
            p_better: Proportion::new(better, n),
            p_worse: Proportion::new(worse, n),
        }
    }

    /// Which side of 0 the 95 % interval of the amount avoided lies on.
    pub fn detected(&self) -> Detected {
        let tol = noise(self.baseline_mean);
        if self.avoided.ci95_low > tol {
            Detected::Better
        } else if self.avoided.ci95_high < -tol {
            Detected::Worse
        } else {
            Detected::None
        }
    }

    /// The mean amount avoided, with floating-point residue read as 0.
    pub fn mean_avoided(&self) -> f64 {
        snap(self.avoided.mean, self.baseline_mean)
    }
}

/// The change of a probability from the baseline to an option, trial by trial.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProportionChange {
    /// The probability without the option.
    pub baseline: Proportion,
    /// The probability with the option.
    pub option: Proportion,
    /// Option minus baseline.
    pub delta: f64,
    /// The low end of the 95 % interval of `delta`, from the paired trials.
    pub ci95_low: f64,
    /// The high end of the 95 % interval of `delta`, from the paired trials.
    pub ci95_high: f64,
}

impl ProportionChange {
    /// Compares the indicators of `option` with those of `baseline`, trial by trial.
    pub fn new(baseline: &[bool], option: &[bool]) -> Self {
        let n = baseline.len().min(option.len());
        let count = |x: &[bool]| x[..n].iter().filter(|&&b| b).count();
        let mut d: Vec<f64> = baseline[..n]
            .iter()
            .zip(&option[..n])
            .map(|(&b, &o)| f64::from(u8::from(o)) - f64::from(u8::from(b)))
            .collect();
        let s = summarize(&mut d);
        Self {
            baseline: Proportion::new(count(baseline), n),
            option: Proportion::new(count(option), n),
            delta: s.mean,
            ci95_low: s.mean - Z_95 * s.se,
            ci95_high: s.mean + Z_95 * s.se,
        }
    }

    /// Which side of 0 the interval of the fall in probability lies on (a fall is better).
    pub fn detected(&self) -> Detected {
        if self.ci95_high < 0.0 {
            Detected::Better
        } else if self.ci95_low > 0.0 {
            Detected::Worse
        } else {
            Detected::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_component_cancels_in_the_paired_difference() {
        // The option removes 1 from a large shared trial-to-trial spread: the paired SE is 0, the unpaired large.
        let baseline: Vec<f64> = (0..100).map(|i| f64::from(i) * 10.0 + 1.0).collect();
        let option: Vec<f64> = baseline.iter().map(|b| b - 1.0).collect();
        let p = PairedDifference::new(&baseline, &option);
        assert!((p.avoided.mean - 1.0).abs() < 1e-12);
        assert!(p.avoided.se < 1e-12);
        assert!(p.unpaired_se > 40.0);
        assert_eq!(p.detected(), Detected::Better);
        assert_eq!((p.p_better.k, p.p_worse.k), (100, 0));
        let same = PairedDifference::new(&baseline, &baseline);
        assert_eq!((same.avoided.mean, same.detected()), (0.0, Detected::None));
    }

    #[test]
    fn residue_is_not_an_effect() {
        let p = PairedDifference::new(&[1.0, 2.0, 3.0], &[1.0 - 1e-14, 2.0 - 1e-14, 3.0 - 1e-14]);
        assert_eq!(p.detected(), Detected::None);
        assert_eq!(p.mean_avoided(), 0.0);
    }

    #[test]
    fn a_probability_change_is_paired() {
        let baseline = [true, true, false, true, false, true, true, true, false, true];
        let option = [false, false, false, false, false, false, false, false, false, false];
        let c = ProportionChange::new(&baseline, &option);
        assert_eq!((c.baseline.k, c.option.k), (7, 0));
        assert!((c.delta + 0.7).abs() < 1e-12);
        assert_eq!(c.detected(), Detected::Better);
        let none = ProportionChange::new(&baseline, &baseline);
        assert_eq!((none.delta, none.detected()), (0.0, Detected::None));
    }
}
