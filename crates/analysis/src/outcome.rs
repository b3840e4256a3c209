//! What an analysis keeps of a run: per end use and trial the metrics that studies compare, and each trial's loss.
//! A run's full results can be dropped once this is taken, so that comparing many variants stays within memory.

use chokepoint_engine::RunResults;

use crate::loss::LossWeights;

/// One end use's metrics, one value per trial, in trial order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndUseTrials {
    /// Units not built within the horizon (lost, or still owed at its end).
    pub units_short: Vec<f64>,
    /// Units delivered late within the horizon (backlogged demand).
    pub units_late: Vec<f64>,
    /// The longest delay of a unit, in weeks (0 when none was late), censored at the horizon.
    pub max_delay_weeks: Vec<f64>,
    /// Weeks every late unit waited within the horizon, summed (unit-weeks of backlog).
    pub backlog_unit_weeks: Vec<f64>,
    /// Whether some demand went unmet in some period: units lost, or late.
    pub short_or_late: Vec<bool>,
    /// The end use's loss.
    pub loss: Vec<f64>,
}

/// A variant's metrics for every end use, and the loss of each trial.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantOutcome {
    /// The number of trials.
    pub trials: usize,
    /// Per end use, in model order.
    pub end_uses: Vec<EndUseTrials>,
    /// The loss of each trial (the sum over end uses).
    pub loss: Vec<f64>,
}

impl VariantOutcome {
    /// Takes what analyses need from `results`, valued with `weights`.
    pub fn of(results: &RunResults, weights: &LossWeights) -> Self {
        let weeks = weights.period_weeks;
        let end_uses: Vec<EndUseTrials> = (0..results.n_end_uses)
            .map(|e| {
                let trials = results.end_use(e);
                EndUseTrials {
                    units_short: trials.units_short.to_vec(),
                    units_late: trials.units_late.to_vec(),
                    max_delay_weeks: trials.max_delay_periods.iter().map(|&p| f64::from(p) * weeks).collect(),
                    backlog_unit_weeks: trials.backlog_unit_periods.iter().map(|&p| p * weeks).collect(),
                    short_or_late: trials.any_shortfall().collect(),
                    loss: weights.end_use_losses(e, trials),
                }
            })
            .collect();
        Self::from_end_uses(results.trials, end_uses)
    }

    /// The bytes the outcome of `trials` trials of a model with `end_uses` end uses holds: five numbers and a flag per
    /// end use and trial, and each trial's loss (saturating, so that callers can refuse an outcome too large).
    pub fn bytes(end_uses: usize, trials: u64) -> u128 {
        let per_end_use = (5 * size_of::<f64>() + size_of::<bool>()) as u128;
        let per_trial = (end_uses as u128).saturating_mul(per_end_use).saturating_add(size_of::<f64>() as u128);
        per_trial.saturating_mul(u128::from(trials))
    }

    /// The outcome of `trials` trials whose per-end-use values are `end_uses` (read back from files, say): each
    /// trial's loss is the sum of its end uses' losses, in order, as [`VariantOutcome::of`] adds them.
    pub fn from_end_uses(trials: usize, end_uses: Vec<EndUseTrials>) -> Self {
        let loss = (0..trials).map(|t| end_uses.iter().map(|x| x.loss[t]).sum::<f64>()).collect::<Vec<f64>>();
        Self { trials, end_uses, loss }
    }
}
