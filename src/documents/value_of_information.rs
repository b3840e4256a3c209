//! The `value_of_information` section of `compare.json` and `optimize.json`: the answer of the analysis
//! library's EVPPI sampler, with the question it answered.

use chokepoint_analysis::evppi::EvppiAnswer;
use serde::{Deserialize, Serialize};

use crate::documents::optimize::ObjectiveJson;
use crate::documents::summary::nan_if_null;

/// The `value_of_information` section of `compare.json` and `optimize.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvppiJson {
    /// The metric the choice minimises.
    pub metric: ObjectiveJson,
    /// Whether each option's cost over the horizon is added to its mean loss (the metric is the loss in US
    /// dollars and the options have costs: a comparison).
    pub net_of_cost: bool,
    pub outer_samples: usize,
    /// Trials per option and outer sample (the run's seed).
    pub trials_per_run: u64,
    pub bootstrap: usize,
    /// Trials run in all.
    pub trials: u64,
    pub options: Vec<EvppiOptionJson>,
    /// The option chosen on current information.
    pub best: String,
    /// The parameters, most valuable first.
    pub parameters: Vec<EvppiParameterJson>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvppiOptionJson {
    pub name: String,
    /// Its mean metric with every parameter drawn as usual, plus its cost when net of cost.
    #[serde(deserialize_with = "nan_if_null")]
    pub expected: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvppiParameterJson {
    pub key: String,
    pub unit: String,
    /// The expected value of perfect information about the parameter, in the metric's unit.
    #[serde(deserialize_with = "nan_if_null")]
    pub evppi: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci95_low: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci95_high: f64,
    /// The bootstrap estimate of the estimator's upward bias.
    #[serde(deserialize_with = "nan_if_null")]
    pub bias: f64,
    /// The share of outer samples in which knowing the parameter changes the best option.
    pub switch_share: f64,
    /// The outer values, in the key's unit, and the best option for each.
    pub outer_values: Vec<f64>,
    pub best_by_sample: Vec<String>,
}

impl EvppiJson {
    pub fn new(
        answer: &EvppiAnswer,
        metric: ObjectiveJson,
        outer_samples: usize,
        trials_per_run: u64,
        trials: u64,
        net_of_cost: bool,
    ) -> Self {
        Self {
            metric,
            net_of_cost,
            outer_samples,
            trials_per_run,
            bootstrap: 200,
            trials,
            options: answer
                .options
                .iter()
                .zip(&answer.expected)
                .map(|(name, &expected)| EvppiOptionJson { name: name.clone(), expected })
                .collect(),
            best: answer.options[answer.best].clone(),
            parameters: answer
                .parameters
                .iter()
                .map(|p| EvppiParameterJson {
                    key: p.key.clone(),
                    unit: p.unit.clone(),
                    evppi: p.evppi,
                    ci95_low: p.ci95_low,
                    ci95_high: p.ci95_high,
                    bias: p.bias,
                    switch_share: p.switch_share,
                    outer_values: p.outer_values.clone(),
                    best_by_sample: p.best_by_sample.iter().map(|&b| answer.options[b].clone()).collect(),
                })
                .collect(),
        }
    }
}
