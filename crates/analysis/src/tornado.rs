//! One-at-a-time sensitivity (a tornado): each uncertain parameter in turn set to a low and a high quantile of its
//! distribution (P10 and P90 by default) while every other parameter keeps its distribution, on common random
//! numbers, and the change of a metric it makes.
//!
//! Every run uses the same seed and trials as the base run (the scenario as it is), so trial `i` sees the same
//! draws of every other random process: the change from the base and the swing from the low to the high value are
//! means of trial-by-trial differences, with their normal-theory intervals. The parameters of one disruption draw
//! from that disruption's single stream, so fixing one of them shifts the others' draws: for those the change from
//! the base is still an unbiased paired estimate, only less tight; the low and high runs draw alike, so the swing
//! stays fully paired. A parameter drawn per event or shipment (a licence review) is set to the same value for
//! every event. Bars are sorted by the size of the swing.

use chokepoint_engine::stats::{Summary, summarize};
use chokepoint_engine::{Model, Param};
use chokepoint_scenario::{Parameter, Scope};

use crate::AnalysisError;
use crate::loss::LossWeights;
use crate::outcome::VariantOutcome;
use crate::parameters::substitute;
use crate::portfolio::Objective;
use crate::quantile::quantile;
use crate::sweep::change;
use crate::variants::VariantRunner;

/// What a tornado measures, and where it sets each parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TornadoQuestion {
    pub metric: Objective,
    /// The low and high quantiles, such as 0.1 and 0.9.
    pub low_quantile: f64,
    pub high_quantile: f64,
}

/// One parameter's bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub key: String,
    pub unit: String,
    pub scope: Scope,
    /// The low and high values, in the key's unit.
    pub low_value: f64,
    pub high_value: f64,
    /// The metric with the parameter at its low and high value.
    pub low: Summary,
    pub high: Summary,
    /// The change from the base run with the parameter low, and high (that run minus the base), trial by trial.
    pub low_change: Summary,
    pub high_change: Summary,
    /// High minus low, trial by trial.
    pub swing: Summary,
}

/// The base run and every bar, largest swing first.
#[derive(Debug, Clone, PartialEq)]
pub struct TornadoAnswer {
    pub base: Summary,
    pub bars: Vec<Bar>,
}

/// Trials a tornado of `parameters` runs: the base, then a low and a high run per parameter.
pub fn trials(parameters: usize, trials_per_run: u64) -> u64 {
    (1 + 2 * parameters as u64) * trials_per_run
}

/// Runs the tornado of `parameters` (uncertain parameters of `model`).
pub fn tornado(
    model: &Model,
    parameters: &[&Parameter],
    question: &TornadoQuestion,
    weights: &LossWeights,
    runner: &mut VariantRunner<'_>,
) -> Result<TornadoAnswer, AnalysisError> {
    let values = |m: &Model, runner: &mut VariantRunner<'_>| -> Result<Vec<f64>, AnalysisError> {
        let results = runner.run(m)?;
        Ok(question.metric.per_trial(&VariantOutcome::of(&results, weights)))
    };
    let base = values(model, runner)?;
    let mut bars = Vec::with_capacity(parameters.len());
    for p in parameters {
        let lo = quantile(&p.distribution, question.low_quantile);
        let hi = quantile(&p.distribution, question.high_quantile);
        let low = values(&substitute(model, &[(p, Param::Const(lo))])?, runner)?;
        let high = values(&substitute(model, &[(p, Param::Const(hi))])?, runner)?;
        bars.push(Bar {
            key: p.key.clone(),
            unit: p.unit.clone(),
            scope: p.scope,
            low_value: p.in_key_unit(lo),
            high_value: p.in_key_unit(hi),
            low: summarize(&mut low.clone()),
            high: summarize(&mut high.clone()),
            low_change: change(&base, &low),
            high_change: change(&base, &high),
            swing: change(&low, &high),
        });
    }
    bars.sort_by(|a, b| b.swing.mean.abs().total_cmp(&a.swing.mean.abs()).then_with(|| a.key.cmp(&b.key)));
    Ok(TornadoAnswer { base: summarize(&mut base.clone()), bars })
}
