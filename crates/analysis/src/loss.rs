//! The loss of a trial: every end use's units short and unit-weeks late, valued by the scenario's loss measure
//! and summed, so that options acting on motors, MW and aircraft can be judged as a whole.
//!
//! For end use `e` in a trial: `loss_e = value_per_unit_short_e x units_short_e + cost_per_unit_week_late_e x
//! backlog_unit_weeks_e`, where units short are the units not built within the horizon (lost, or still owed at its
//! end) and backlog unit-weeks are the weeks every late unit waited within the horizon (delivered late or still
//! owed). The trial's loss is the sum over end uses, in scenario order. The values come from the scenario
//! (`chokepoint_scenario::EndUseValues`): US dollars, or weeks of normal demand when the scenario gives none.

use chokepoint_engine::EndUseColumns;
use chokepoint_engine::outcome::EndUseOutcome;
use chokepoint_engine::{Model, RunResults};
use chokepoint_scenario::{LossUnit, Scenario};

/// The values of one end use's shortfalls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EndUseWeight {
    /// The loss of one unit not built within the horizon.
    pub value_per_unit_short: f64,
    /// The loss of one unit-week of backlog.
    pub cost_per_unit_week_late: f64,
}

/// How a trial's shortfalls are valued.
#[derive(Debug, Clone, PartialEq)]
pub struct LossWeights {
    /// What the loss is counted in.
    pub unit: LossUnit,
    /// Per end use, in model order.
    pub end_uses: Vec<EndUseWeight>,
    /// Length of a period in weeks, to turn backlog unit-periods into unit-weeks.
    pub period_weeks: f64,
}

impl LossWeights {
    /// The weights of `scenario` (its variants share them: mitigations do not change end uses' values).
    pub fn of(scenario: &Scenario) -> Self {
        Self::new(
            &scenario.model,
            scenario.loss.unit,
            scenario
                .end_uses
                .iter()
                .map(|v| EndUseWeight {
                    value_per_unit_short: v.value_per_unit_short,
                    cost_per_unit_week_late: v.cost_per_unit_week_late,
                })
                .collect(),
        )
    }

    /// Weights for `model` given per end use.
    pub fn new(model: &Model, unit: LossUnit, end_uses: Vec<EndUseWeight>) -> Self {
        Self { unit, end_uses, period_weeks: model.spec().period_weeks }
    }

    /// The loss of end use `e` in one trial.
    pub fn end_use_loss(&self, e: usize, o: &EndUseOutcome) -> f64 {
        let w = self.end_uses[e];
        w.value_per_unit_short * o.units_short + w.cost_per_unit_week_late * o.backlog_unit_periods * self.period_weeks
    }

    /// The losses of end use `e` in consecutive trials, one per trial of `trials`: [`LossWeights::end_use_loss`] of
    /// each, read from the per-metric slices.
    pub fn end_use_losses(&self, e: usize, trials: EndUseColumns<'_>) -> Vec<f64> {
        let w = self.end_uses[e];
        let late = w.cost_per_unit_week_late;
        let units = trials.units_short.iter().zip(trials.backlog_unit_periods);
        units.map(|(&short, &periods)| w.value_per_unit_short * short + late * periods * self.period_weeks).collect()
    }

    /// The loss of one trial: the sum over end uses, in order.
    pub fn trial_loss(&self, outcomes: &[EndUseOutcome]) -> f64 {
        outcomes.iter().enumerate().map(|(e, o)| self.end_use_loss(e, o)).sum()
    }
}

/// The losses of a run, per end use (`end_uses[e][trial]`) and per trial (the sum over end uses, in order).
#[derive(Debug, Clone, PartialEq)]
pub struct TrialLosses {
    /// Per end use, in model order: the loss of each trial.
    pub end_uses: Vec<Vec<f64>>,
    /// Per trial: the sum of the end uses' losses, in model order.
    pub trials: Vec<f64>,
}

impl TrialLosses {
    /// The losses of `results`, a run of `scenario` or of one of its variants, valued with the scenario's loss
    /// measure.
    pub fn of(scenario: &Scenario, results: &RunResults) -> Self {
        let weights = LossWeights::of(scenario);
        let end_uses: Vec<Vec<f64>> =
            (0..results.n_end_uses).map(|e| weights.end_use_losses(e, results.end_use(e))).collect();
        let trials = (0..results.trials).map(|t| end_uses.iter().map(|x| x[t]).sum::<f64>()).collect();
        Self { end_uses, trials }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trial_loss_values_units_short_and_weeks_late() {
        let weights = LossWeights {
            unit: LossUnit::Usd,
            end_uses: vec![
                EndUseWeight { value_per_unit_short: 500.0, cost_per_unit_week_late: 0.0 },
                EndUseWeight { value_per_unit_short: 1e8, cost_per_unit_week_late: 2e6 },
            ],
            period_weeks: 52.0 / 12.0,
        };
        let motors = EndUseOutcome { units_short: 1_000.0, ..EndUseOutcome::default() };
        // Two aircraft late by 3 months each (6 unit-months of backlog), one still owed.
        let aircraft = EndUseOutcome { units_short: 1.0, backlog_unit_periods: 6.0, ..EndUseOutcome::default() };
        let expected = 500.0 * 1_000.0 + 1e8 * 1.0 + 2e6 * 6.0 * 52.0 / 12.0;
        assert!((weights.trial_loss(&[motors, aircraft]) - expected).abs() < 1e-6);
    }
}
