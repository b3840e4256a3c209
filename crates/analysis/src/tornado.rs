//! One-at-a-time sensitivity (a tornado): each uncertain parameter in turn set to a low and a high quantile of its
//! distribution (P10 and P90 by default) while every other parameter keeps its distribution, on common random
//! numbers, and the change of a metric it makes.
//!
//! Every run uses the same seed and trials as the base run (the scenario as it is), so trial `i` sees the same
//! draws of every other random process: the change from the reference and the swing from the low to the high value
//! are means of trial-by-trial differences, with their normal-theory intervals. The reference is the base run,
//! except for the parameters of a disruption: those draw from the disruption's single stream, in a fixed order, and
//! fixing one to a constant shifts the draws of the others (its timing, say), which would show as a change at both
//! ends whatever the parameter does. For them a third run, with the parameter at its median, is the reference: the
//! low, median and high runs draw alike, so every difference stays paired. A parameter drawn per event or shipment
//! (a licence review) is set to the same value for every event. Bars are sorted by the size of the swing.

use chokepoint_engine::stats::Summary;
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
    /// The metric each bar measures.
    pub metric: Objective,
    /// The low quantile, such as 0.1.
    pub low_quantile: f64,
    /// The high quantile, such as 0.9.
    pub high_quantile: f64,
}

/// One parameter's bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The parameter's key in the scenario.
    pub key: String,
    /// The unit of the parameter's values.
    pub unit: String,
    /// Whether the parameter is drawn once per trial or once per event.
    pub scope: Scope,
    /// The low value, in the key's unit.
    pub low_value: f64,
    /// The high value, in the key's unit.
    pub high_value: f64,
    /// The metric with the parameter at its low value.
    pub low: Summary,
    /// The metric with the parameter at its high value.
    pub high: Summary,
    /// What the changes are measured from.
    pub reference: Reference,
    /// The change from the reference run with the parameter low (that run minus the reference), trial by trial.
    pub low_change: Summary,
    /// The change from the reference run with the parameter high, trial by trial.
    pub high_change: Summary,
    /// High minus low, trial by trial.
    pub swing: Summary,
}

/// The run a bar's changes are measured from.
#[derive(Debug, Clone, PartialEq)]
pub enum Reference {
    /// The scenario as it is.
    Base,
    /// The parameter at its median (a parameter of a disruption), with this value in the key's unit and this
    /// metric.
    Median {
        /// The parameter's median, in the key's unit.
        value: f64,
        /// The metric with the parameter at its median.
        metric: Summary,
    },
}

/// The base run and every bar, largest swing first.
#[derive(Debug, Clone, PartialEq)]
pub struct TornadoAnswer {
    /// The metric of the scenario as it is.
    pub base: Summary,
    /// Every parameter's bar, largest swing first.
    pub bars: Vec<Bar>,
}

/// Trials a tornado of `parameters` runs: the base, then a low and a high run per parameter, and a median run per
/// parameter of a disruption.
pub fn trials(parameters: &[&Parameter], trials_per_run: u64) -> u64 {
    let median_runs = parameters.iter().filter(|p| p.shares_stream()).count() as u64;
    (1 + 2 * parameters.len() as u64 + median_runs) * trials_per_run
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
    // An unbounded distribution (a normal, a lognormal) has no finite 0 or 1 quantile: refused before any run.
    for p in parameters {
        for q in [question.low_quantile, question.high_quantile] {
            if !quantile(&p.distribution, q).is_finite() {
                return Err(AnalysisError::Question(format!(
                    "the {q} quantile of `{}` is not a number the scenario can take (its distribution is unbounded \
                     there): give quantiles strictly between 0 and 1, such as 0.1,0.9",
                    p.key
                )));
            }
        }
    }
    let base = values(model, runner)?;
    let mut bars = Vec::with_capacity(parameters.len());
    for p in parameters {
        let lo = quantile(&p.distribution, question.low_quantile);
        let hi = quantile(&p.distribution, question.high_quantile);
        let low = values(&substitute(model, &[(p, Param::fixed(lo))])?, runner)?;
        let high = values(&substitute(model, &[(p, Param::fixed(hi))])?, runner)?;
        let (reference, from) = if p.shares_stream() {
            let mid = quantile(&p.distribution, 0.5);
            let median = values(&substitute(model, &[(p, Param::fixed(mid))])?, runner)?;
            (Reference::Median { value: p.in_key_unit(mid), metric: question.metric.summarize(&median) }, median)
        } else {
            (Reference::Base, base.clone())
        };
        bars.push(Bar {
            key: p.key.clone(),
            unit: p.unit.clone(),
            scope: p.scope,
            low_value: p.in_key_unit(lo),
            high_value: p.in_key_unit(hi),
            low: question.metric.summarize(&low),
            high: question.metric.summarize(&high),
            reference,
            low_change: change(&from, &low),
            high_change: change(&from, &high),
            swing: change(&low, &high),
        });
    }
    bars.sort_by(|a, b| b.swing.mean.abs().total_cmp(&a.swing.mean.abs()).then_with(|| a.key.cmp(&b.key)));
    Ok(TornadoAnswer { base: question.metric.summarize(&base), bars })
}
