//! Sizing a strategic stockpile (`sizing.json`): the smallest initial size that keeps an end use's probability
//! of any shortfall at or below a target, found by bisection on common random numbers.
//!
//! Every size runs the same trials with the same seed, so trial `i` sees the same disruptions at every size; the
//! engine guarantees that, under common random numbers, a larger stockpile never increases a trial's shortfall
//! (a property test). Whether end use `E` is short in trial `i` is therefore a non-increasing step function of the
//! size, and so is the share of trials in which it is short: "P(any shortfall) <= target" is false below some
//! size and true from it on, which is exactly what bisection (`compare::smallest_passing`) needs. The estimate
//! at each size is a proportion of the same trials, not an independent draw, so the search cannot be misled by
//! noise between sizes; the sampling error of the whole curve is reported as the Wilson interval at the answer.
//!
//! The time-to-survive figure: the weeks of normal use the stockpile covers, where normal use is the served
//! customers' use of the material at the baseline's normal rates (`Model::baseline`, the start of the horizon):
//! for a served stage, its normal throughput times its input of the material per unit of throughput; for a
//! served end use, its normal builds times its intensity. It is given for all of that use, and for the part of
//! it that ends up in end uses of the classes the stockpile releases to (each stage's use is split by the share
//! of its normal shipments that reach those end uses, through every stage downstream).

use chokepoint_engine::stats::Proportion;
use chokepoint_engine::{Model, Node};
use serde::Serialize;

use crate::comparison::{CostJson, FileDigest};
use crate::summary_json::{ProportionJson, Tool, WarningJson};

/// One size tried, and the share of trials in which the end use was short.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    pub size: f64,
    pub short: Proportion,
}

/// Weeks of normal use a stockpile of `size` covers; see the module's documentation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TimeToSurvive {
    /// Normal use of the material by the served customers, per week.
    pub normal_use_per_week: f64,
    /// `size / normal_use_per_week` (`null` when there is no normal use).
    pub weeks_of_normal_use: Option<f64>,
    /// The part of that use that ends up in end uses of the classes the stockpile releases to, per week.
    pub release_class_use_per_week: f64,
    pub weeks_of_release_class_use: Option<f64>,
    /// `size / max_release_per_week` (central value): how long it lasts when released at its fastest.
    pub weeks_at_max_release_rate: Option<f64>,
}

/// The time-to-survive figures of stockpile `k` of `model` at `size`.
pub fn time_to_survive(model: &Model, k: usize, size: f64) -> TimeToSurvive {
    let spec = model.spec();
    let baseline = model.baseline();
    let sp = &spec.mitigations.stockpiles[k];
    let ns = spec.stages.len();
    let release = release_class_share(model, &sp.release_classes);
    let mut all = 0.0;
    let mut classes = 0.0;
    for &node in &sp.serves {
        let (activity, per_unit, share) = match node {
            Node::Stage(s) => (baseline.activity[s], &spec.stages[s].inputs, release[s]),
            Node::EndUse(e) => {
                let class = spec.end_uses[e].class;
                (
                    baseline.activity[ns + e],
                    &spec.end_uses[e].intensity,
                    f64::from(u8::from(sp.release_classes.contains(&class))),
                )
            }
        };
        let used: f64 = per_unit.iter().filter(|(m, _)| *m == sp.material).map(|(_, q)| activity * q).sum();
        all += used;
        classes += used * share;
    }
    let per_week = |per_period: f64| per_period / spec.period_weeks;
    let weeks = |use_per_week: f64| (use_per_week > 0.0).then(|| size / use_per_week);
    let max_release = sp.max_release_per_week.central();
    TimeToSurvive {
        normal_use_per_week: per_week(all),
        weeks_of_normal_use: weeks(per_week(all)),
        release_class_use_per_week: per_week(classes),
        weeks_of_release_class_use: weeks(per_week(classes)),
        weeks_at_max_release_rate: (max_release > 0.0).then(|| size / max_release),
    }
}

/// For each stage, the share of its normal shipments that ends up in end uses of `classes` (through the stages
/// downstream, by normal link flows). Stages are visited customers first, memoised; the graph is acyclic.
fn release_class_share(model: &Model, classes: &[chokepoint_engine::Class]) -> Vec<f64> {
    let spec = model.spec();
    let flow = &model.baseline().link_flow;
    let mut share: Vec<Option<f64>> = vec![None; spec.stages.len()];
    fn visit(
        s: usize,
        spec: &chokepoint_engine::ModelSpec,
        flow: &[f64],
        classes: &[chokepoint_engine::Class],
        share: &mut Vec<Option<f64>>,
    ) -> f64 {
        if let Some(x) = share[s] {
            return x;
        }
        let (mut total, mut reached) = (0.0, 0.0);
        for (l, link) in spec.links.iter().enumerate().filter(|(_, l)| l.from == s) {
            let to = match link.to {
                Node::Stage(c) => visit(c, spec, flow, classes, share),
                Node::EndUse(e) => f64::from(u8::from(classes.contains(&spec.end_uses[e].class))),
            };
            total += flow[l];
            reached += flow[l] * to;
        }
        let x = if total > 0.0 { reached / total } else { 0.0 };
        share[s] = Some(x);
        x
    }
    (0..spec.stages.len()).map(|s| visit(s, spec, flow, classes, &mut share)).collect()
}

/// The whole sizing document.
#[derive(Debug, Clone, Serialize)]
pub struct SizingDocument {
    pub schema_version: u32,
    pub tool: Tool,
    pub scenario: SizingScenario,
    pub run: SizingSettings,
    pub question: Question,
    pub result: SizingResult,
    /// Every size tried, in the order tried.
    pub evaluations: Vec<EvaluationJson>,
    pub warnings: Vec<WarningJson>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SizingScenario {
    pub name: String,
    pub sha256: String,
    pub bases: Vec<FileDigest>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SizingSettings {
    pub seed: u64,
    /// Trials per size.
    pub trials: u64,
    pub rng: &'static str,
    pub periods: usize,
    pub period_weeks: f64,
    pub horizon_years: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Question {
    pub stockpile: String,
    pub material: String,
    /// Unit of sizes: `t` or `unit`.
    pub unit: &'static str,
    pub end_use: String,
    pub max_shortfall_probability: f64,
    /// Mitigations and packages applied as in the file at every size.
    pub with: Vec<String>,
    /// The stockpile's initial size in the file (its central value when it is a distribution).
    pub file_size: f64,
    pub min_size: f64,
    pub max_size: f64,
    pub step: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SizingResult {
    /// Whether some size in `[min_size, max_size]` meets the target.
    pub found: bool,
    /// The smallest size found (`null` when not found).
    pub size: Option<f64>,
    /// P(any shortfall) of the end use at `size` (at `max_size` when not found).
    pub p_any_short: ProportionJson,
    /// The next smaller step, `size - step`, and its P(any shortfall), which misses the target (`null` when the
    /// size is 0 or not found).
    pub next_smaller: Option<EvaluationJson>,
    /// The stockpile's cost at `size`: the file's one-off cost scaled by `size / file_size` (purchase is
    /// proportional to the amount bought), the file's yearly cost as it is; `null` when the file's size is 0.
    pub stockpile_cost: Option<CostJson>,
    /// The total cost of the `with` mitigations, as in the file.
    pub with_cost: CostJson,
    pub time_to_survive: Option<TimeToSurvive>,
    pub evaluations: usize,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct EvaluationJson {
    pub size: f64,
    pub p_any_short: ProportionJson,
    pub meets_target: bool,
}

impl EvaluationJson {
    pub fn new(e: &Evaluation, target: f64) -> Self {
        Self { size: e.size, p_any_short: (&e.short).into(), meets_target: meets(&e.short, target) }
    }
}

/// Whether a share of short trials meets the target: the point estimate, at or below it.
pub fn meets(short: &Proportion, target: f64) -> bool {
    short.p <= target
}

/// The stockpile's cost at `size`: one-off part scaled by `size / file_size`, yearly part unchanged; nothing at
/// all at size 0 (no stockpile is held).
pub fn scaled_cost(cost: &chokepoint_scenario::Cost, size: f64, file_size: f64, years: f64) -> Option<CostJson> {
    (file_size > 0.0).then(|| {
        let per_year_usd = if size > 0.0 { cost.per_year_usd } else { 0.0 };
        let scaled = chokepoint_scenario::Cost { one_off_usd: cost.one_off_usd * size / file_size, per_year_usd };
        CostJson::new(&scaled, years)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_one_off_cost_scales_with_the_size() {
        let cost = chokepoint_scenario::Cost { one_off_usd: 1_495_000.0, per_year_usd: 45_000.0 };
        let half = scaled_cost(&cost, 2.875, 5.75, 3.0).unwrap();
        assert_eq!((half.one_off_usd, half.per_year_usd), (747_500.0, 45_000.0));
        assert_eq!(half.total_usd, 747_500.0 + 135_000.0);
        assert!(scaled_cost(&cost, 1.0, 0.0, 3.0).is_none());
        assert_eq!(scaled_cost(&cost, 0.0, 5.75, 3.0).unwrap().total_usd, 0.0, "no stockpile costs nothing");
    }

    #[test]
    fn the_target_is_met_at_or_below_it() {
        assert!(meets(&Proportion::new(5, 100), 0.05));
        assert!(!meets(&Proportion::new(6, 100), 0.05));
    }
}
