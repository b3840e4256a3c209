//! `sizing.json`: the answer of `chokepoint size-stockpile` (the analysis library's `sizing`), in one serde type.
//! It holds no timing, so it is byte-for-byte reproducible.

use chokepoint_analysis::sizing::{Evaluation, SizingTarget, TimeToSurvive};
use serde::{Deserialize, Serialize};

use crate::documents::compare::CostJson;
use crate::documents::header::{RunHeader, ScenarioHeader};
use crate::documents::summary::{ProportionJson, Tool, WarningJson};

/// The whole sizing document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SizingDocument {
    pub schema_version: u32,
    pub tool: Tool,
    pub scenario: ScenarioHeader,
    pub run: RunHeader,
    pub question: Question,
    pub result: SizingResult,
    /// Every size tried, in the order tried.
    pub evaluations: Vec<EvaluationJson>,
    pub warnings: Vec<WarningJson>,
}

/// What the stockpile must achieve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetJson {
    /// P(short or late at all over the horizon) at most `max_probability`.
    ShortOrLateProbability { max_probability: f64 },
    /// The `quantile` across trials of the longest delay of a unit at most `max_weeks`.
    DelayQuantile { quantile: f64, max_weeks: f64 },
}

impl From<SizingTarget> for TargetJson {
    fn from(t: SizingTarget) -> Self {
        match t {
            SizingTarget::ShortOrLateProbability(p) => TargetJson::ShortOrLateProbability { max_probability: p },
            SizingTarget::DelayQuantile { quantile, max_weeks } => TargetJson::DelayQuantile { quantile, max_weeks },
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Question {
    pub stockpile: String,
    pub material: String,
    /// Unit of sizes: `t` or `unit`.
    pub unit: String,
    pub end_use: String,
    pub target: TargetJson,
    /// Mitigations and packages applied as in the file at every size.
    pub with: Vec<String>,
    /// The stockpile's initial size in the file (its central value when it is a distribution).
    pub file_size: f64,
    pub min_size: f64,
    pub max_size: f64,
    pub step: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SizingResult {
    /// Whether some size in `[min_size, max_size]` meets the target.
    pub found: bool,
    /// The smallest size found (`null` when not found).
    pub size: Option<f64>,
    /// The evaluation at `size` (at `max_size` when not found).
    pub at: EvaluationJson,
    /// The next smaller step, `size - step`, which misses the target (`null` when the size is 0 or not found).
    pub next_smaller: Option<EvaluationJson>,
    /// The stockpile's cost at `size`: the file's one-off cost scaled by `size / file_size` (purchase is
    /// proportional to the amount bought), the file's yearly cost as it is; `null` when the file's size is 0.
    pub stockpile_cost: Option<CostJson>,
    /// The total cost of the `with` mitigations, as in the file.
    pub with_cost: CostJson,
    pub time_to_survive: Option<TimeToSurviveJson>,
    pub evaluations: usize,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct EvaluationJson {
    pub size: f64,
    /// P(short or late at all over the horizon), with its Wilson 95 % interval.
    pub p_short_or_late: ProportionJson,
    /// The target's quantile of the longest delay of a unit, weeks (delay targets only).
    pub delay_quantile_weeks: Option<f64>,
    pub meets_target: bool,
}

impl From<&Evaluation> for EvaluationJson {
    fn from(e: &Evaluation) -> Self {
        Self {
            size: e.size,
            p_short_or_late: (&e.short_or_late).into(),
            delay_quantile_weeks: e.delay_quantile_weeks,
            meets_target: e.meets_target,
        }
    }
}

/// Weeks of normal use a stockpile covers (see the analysis library's `sizing`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct TimeToSurviveJson {
    pub normal_use_per_week: f64,
    pub weeks_of_normal_use: Option<f64>,
    pub release_class_use_per_week: f64,
    pub weeks_of_release_class_use: Option<f64>,
    pub weeks_at_max_release_rate: Option<f64>,
}

impl From<&TimeToSurvive> for TimeToSurviveJson {
    fn from(t: &TimeToSurvive) -> Self {
        Self {
            normal_use_per_week: t.normal_use_per_week,
            weeks_of_normal_use: t.weeks_of_normal_use,
            release_class_use_per_week: t.release_class_use_per_week,
            weeks_of_release_class_use: t.weeks_of_release_class_use,
            weeks_at_max_release_rate: t.weeks_at_max_release_rate,
        }
    }
}
