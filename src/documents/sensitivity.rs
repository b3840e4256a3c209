//! The `sensitivity.json` document of `chokepoint sensitivity`: the parameters studied, the tornado and the
//! variance-based indices.

use chokepoint_analysis::sobol::{Factor, SobolAnswer};
use chokepoint_analysis::tornado::{Reference, TornadoAnswer};
use serde::{Deserialize, Serialize};

use crate::documents::header::{RunHeader, ScenarioHeader};

use crate::documents::optimize::{ObjectiveJson, objective_value};
use crate::documents::study::{DifferenceJson, ParameterJson};
use crate::documents::summary::{DistributionJson, Tool, WarningJson, nan_if_null};
use crate::render::table::number;

/// The whole `sensitivity.json` document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SensitivityDocument {
    pub schema_version: u32,
    pub tool: Tool,
    pub scenario: ScenarioHeader,
    pub run: RunHeader,
    pub metric: ObjectiveJson,
    /// The parameters studied, in the scenario's order.
    pub parameters: Vec<ParameterJson>,
    pub tornado: Option<TornadoJson>,
    pub sobol: Option<SobolJson>,
    pub warnings: Vec<WarningJson>,
}

/// One parameter at a time at its low and high quantile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TornadoJson {
    pub low_quantile: f64,
    pub high_quantile: f64,
    /// The metric with every parameter as the scenario gives it.
    pub base: DistributionJson,
    /// Largest swing first.
    pub bars: Vec<BarJson>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BarJson {
    pub key: String,
    pub unit: String,
    /// `trial` or `event`: whether the parameter is drawn once per trial or for every event or shipment (then set
    /// to the same value for every one).
    pub scope: String,
    /// The low and high values, in the key's unit.
    pub low_value: f64,
    pub high_value: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub low_mean: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub high_mean: f64,
    /// What the changes are measured from: the parameter at its median (`reference_value`, in the key's unit; a
    /// parameter of a disruption, whose draws share a stream) or, when `null`, the base run.
    pub reference_value: Option<f64>,
    /// The metric of the reference run.
    #[serde(deserialize_with = "nan_if_null")]
    pub reference_mean: f64,
    /// The run with the parameter low (high) minus the reference run, trial by trial.
    pub low_change: DifferenceJson,
    pub high_change: DifferenceJson,
    /// High minus low, trial by trial.
    pub swing: DifferenceJson,
}

/// First-order and total variance-based indices.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SobolJson {
    pub base_samples: usize,
    pub bootstrap: usize,
    /// Trials run: base samples × (factors + 3).
    pub evaluations: u64,
    #[serde(deserialize_with = "nan_if_null")]
    pub mean: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub variance: f64,
    /// The parameters, largest total index first.
    pub factors: Vec<FactorJson>,
    /// The trial's event randomness (with every parameter not studied, and every one drawn per event).
    pub events: FactorJson,
    /// Parameters chosen but drawn per event, which count with the events.
    pub in_events: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FactorJson {
    pub key: String,
    pub first_order: IndexJson,
    pub total: IndexJson,
}

/// An index with its 95 % bootstrap interval.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct IndexJson {
    #[serde(deserialize_with = "nan_if_null")]
    pub value: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci95_low: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci95_high: f64,
}

impl From<&Factor> for FactorJson {
    fn from(f: &Factor) -> Self {
        let index = |i: &chokepoint_analysis::sobol::Index| IndexJson {
            value: i.value,
            ci95_low: i.ci95_low,
            ci95_high: i.ci95_high,
        };
        Self { key: f.key.clone(), first_order: index(&f.first_order), total: index(&f.total) }
    }
}

impl TornadoJson {
    pub fn new(answer: &TornadoAnswer, low_quantile: f64, high_quantile: f64) -> Self {
        Self {
            low_quantile,
            high_quantile,
            base: (&answer.base).into(),
            bars: answer
                .bars
                .iter()
                .map(|b| BarJson {
                    key: b.key.clone(),
                    unit: b.unit.clone(),
                    scope: chokepoint_tables::scope_word(b.scope).to_owned(),
                    low_value: b.low_value,
                    high_value: b.high_value,
                    low_mean: b.low.mean,
                    high_mean: b.high.mean,
                    reference_value: match &b.reference {
                        Reference::Base => None,
                        Reference::Median { value, .. } => Some(*value),
                    },
                    reference_mean: match &b.reference {
                        Reference::Base => answer.base.mean,
                        Reference::Median { metric, .. } => metric.mean,
                    },
                    low_change: (&b.low_change).into(),
                    high_change: (&b.high_change).into(),
                    swing: (&b.swing).into(),
                })
                .collect(),
        }
    }
}

impl SobolJson {
    pub fn new(answer: &SobolAnswer, base_samples: usize, bootstrap: usize, in_events: Vec<String>) -> Self {
        let factors: Vec<FactorJson> = answer.ranked_factors().into_iter().map(FactorJson::from).collect();
        Self {
            base_samples,
            bootstrap,
            evaluations: answer.evaluations,
            mean: answer.mean,
            variance: answer.variance,
            factors,
            events: (&answer.events).into(),
            in_events,
        }
    }
}

impl SensitivityDocument {
    /// A signed change with its interval, the unit written once: "−19.4 pp [−22.9, −15.9]", "+$812M [+$700M,
    /// +$924M]", "+19.6 wk [+18.6, +20.6]".
    pub fn signed_interval(&self, mean: f64, low: f64, high: f64) -> String {
        let bare = |x: f64| {
            let text = self.signed(x);
            text.strip_suffix(" pp").or_else(|| text.strip_suffix(" wk")).map_or(text.clone(), str::to_owned)
        };
        format!("{} [{}, {}]", self.signed(mean), bare(low), bare(high))
    }

    /// A metric's value in its unit.
    pub fn value(&self, x: f64) -> String {
        objective_value(x, &self.metric)
    }

    /// A signed change in the metric's unit; a change of a probability in percentage points.
    pub fn signed(&self, x: f64) -> String {
        let text = if self.metric.kind == "short_or_late" {
            format!("{} pp", number(x.abs() * 100.0))
        } else {
            self.value(x.abs())
        };
        // A change that rounds to zero has no sign.
        if text.trim_start_matches('$').starts_with('0') && !text.contains('.') {
            text
        } else if x > 0.0 {
            format!("+{text}")
        } else if x < 0.0 {
            format!("−{text}")
        } else {
            text
        }
    }
}
