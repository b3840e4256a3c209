//! Sizing a strategic stockpile: the smallest initial size that meets a target for one end use, found by
//! bisection on common random numbers, and the weeks of normal use that size covers.
//!
//! **Targets.** The probability that the end use is short or late at all over the horizon (for lost demand,
//! units lost; for backlogged demand, a unit delivered late), at most `p`; or, for a backlogged end use, a
//! quantile across trials of the longest delay of a unit, at most a number of weeks.
//!
//! **When bisection is valid.** Every size runs the same trials with the same seed, so trial `i` sees the same
//! disruptions at every size. On a single chain a larger stockpile never increases a trial's shortfall, its backlog
//! or the longest delay of a unit (a property test of the engine), so the share of short trials and any quantile
//! of the delay are non-increasing step functions of the size. In a network that holds for the shares measured but
//! not trial by trial: a larger reserve released earlier is rebuilt, and raises its customers' orders, when a later
//! disruption may strike, so some trials come out later (`docs/cli.md`). [`SizingAnswer::not_monotone`] says when
//! the sizes evaluated contradict monotonicity. Where "target met" is false below some size and true from it on,
//! bisection finds that size in about `log2(max_size / step)` runs, plus one at the step below the answer, which
//! misses the target and is reported.
//!
//! **Time to survive.** The weeks of normal use the stockpile covers, where normal use is the served customers'
//! use of the material at the baseline's normal rates (`Model::baseline`, the start of the horizon): a served
//! stage's normal throughput times its input of the material per unit of throughput, a served end use's normal
//! builds times its intensity. It is given for all of that use, for the part of it that ends up in end uses of
//! the classes the stockpile releases to (each stage's use split by the share of its normal shipments that reach
//! those end uses, through every stage downstream), and at the stockpile's largest release rate.

use chokepoint_engine::stats::{Proportion, quantile_sorted};
use chokepoint_engine::{Class, Model, ModelSpec, Node, Param, Unmet};
use chokepoint_scenario::{Cost, Scenario};

use crate::AnalysisError;
use crate::comparison::OptionSpec;
use crate::variants::VariantRunner;

/// What the stockpile must achieve for the end use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SizingTarget {
    /// P(short or late at all over the horizon) at most this.
    ShortOrLateProbability(f64),
    /// The `quantile` across trials of the longest delay of a unit, at most `max_weeks` (backlogged end uses).
    DelayQuantile {
        /// The quantile across trials, in (0, 1).
        quantile: f64,
        /// The most weeks that quantile may reach.
        max_weeks: f64,
    },
}

/// A sizing question.
#[derive(Debug, Clone, PartialEq)]
pub struct SizingQuestion {
    /// The stockpile mitigation to size.
    pub stockpile: String,
    /// The end use the target is about, by name.
    pub end_use: String,
    /// What the stockpile must achieve.
    pub target: SizingTarget,
    /// Other mitigations or packages applied, as in the file, at every size.
    pub with: Vec<String>,
    /// Largest size searched (default: 10 x the file's size).
    pub max_size: Option<f64>,
    /// Resolution of the search (default: max size / 1000).
    pub step: Option<f64>,
}

/// One size tried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// The stockpile's initial size, in the material's unit.
    pub size: f64,
    /// Share of trials in which the end use was short or late.
    pub short_or_late: Proportion,
    /// The target's quantile of the longest delay, in weeks (delay targets only).
    pub delay_quantile_weeks: Option<f64>,
    /// Whether this size meets the target.
    pub meets_target: bool,
}

/// Weeks of normal use a stockpile covers; see the module's documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeToSurvive {
    /// Normal use of the material by the served customers, per week.
    pub normal_use_per_week: f64,
    /// `size / normal_use_per_week` (`None` when there is no normal use).
    pub weeks_of_normal_use: Option<f64>,
    /// The part of that use that ends up in end uses of the classes the stockpile releases to, per week.
    pub release_class_use_per_week: f64,
    /// `size / release_class_use_per_week` (`None` when there is no such use).
    pub weeks_of_release_class_use: Option<f64>,
    /// `size / max_release_per_week` (central value): how long it lasts when released at its fastest.
    pub weeks_at_max_release_rate: Option<f64>,
}

/// The answer to a sizing question.
#[derive(Debug, Clone, PartialEq)]
pub struct SizingAnswer {
    /// The end use the target is about, by index in the model.
    pub end_use: usize,
    /// The stockpile's material.
    pub material: usize,
    /// The stockpile's initial size in the file (its central value when it is a distribution).
    pub file_size: f64,
    /// Largest size searched, in the material's unit.
    pub max_size: f64,
    /// Resolution of the search, in the material's unit.
    pub step: f64,
    /// The smallest size that meets the target (`None` when even `max_size` misses it).
    pub size: Option<f64>,
    /// The evaluation at `size`, or at `max_size` when none meets the target.
    pub at: Evaluation,
    /// The evaluation one step below `size` (which misses the target); `None` at size 0 or when not found.
    pub next_smaller: Option<Evaluation>,
    /// The stockpile's cost at `size`: the file's one-off cost scaled by `size / file_size`, its yearly cost as
    /// it is, nothing at size 0; `None` when the file's size is 0.
    pub cost: Option<Cost>,
    /// The cost of the `with` mitigations, as in the file.
    pub with_cost: Cost,
    /// How long the size found lasts (`None` when no size was found).
    pub time_to_survive: Option<TimeToSurvive>,
    /// Every size run, in order.
    pub evaluations: Vec<Evaluation>,
}

/// The number of runs a search over `[0, max_size]` to within `step` makes at most: both ends, the midpoints and
/// the step below the answer.
pub fn expected_runs(max_size: f64, step: f64) -> u64 {
    // The least `n` with `2^n >= max_size / step`, by doubling (exact) rather than through the C library's `log2`;
    // at most 1,024 doublings reach infinity, so an infinite ratio ends too.
    let ratio = max_size / step;
    let (mut n, mut power) = (0u64, 1.0f64);
    while power < ratio {
        power *= 2.0;
        n += 1;
    }
    3 + n
}

/// The smallest `x` in `[lo, hi]` for which the monotone predicate `passes` holds (false below some threshold,
/// true from it on), to within `step`: bisection, about `log2((hi - lo) / step)` evaluations. Returns `None` when
/// even `hi` fails; `Some(lo)` when `lo` passes. The result passes and `result - step` (if not below `lo`) fails.
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

/// Builds the variants of a sizing study: the stockpile at any size, with the `with` mitigations applied.
#[derive(Debug)]
pub struct Sizer {
    stockpile: String,
    with: Vec<String>,
    /// The variant with `with` and the stockpile applied at its file size.
    pub variant: Model,
    /// The stockpile's index in `variant`'s stockpiles.
    pub index: usize,
    /// The stockpile's material, by index in the model.
    pub material: usize,
    /// The stockpile's initial size in the file (its central value when it is a distribution).
    pub file_size: f64,
    /// The stockpile's cost at its file size.
    pub cost: Cost,
    /// The cost of the `with` mitigations.
    pub with_cost: Cost,
}

impl Sizer {
    /// Checks the stockpile and the `with` names against `scenario`.
    pub fn new(scenario: &Scenario, stockpile: &str, with: &[String]) -> Result<Self, AnalysisError> {
        // Refuses a name that is not a stockpile with the scenario's own message.
        scenario.with_stockpile_size(stockpile, 0.0)?;
        let mut with_cost = Cost::default();
        for name in with {
            if name == stockpile {
                return Err(AnalysisError::Question(format!("`--with {name}` names the stockpile being sized")));
            }
            scenario.variant(&[name.as_str()])?;
            with_cost = with_cost + OptionSpec::of(scenario, name).map_or(Cost::default(), |o| o.cost);
        }
        let names: Vec<&str> = with.iter().map(String::as_str).chain([stockpile]).collect();
        let variant = scenario.variant(&names)?;
        let stockpiles = &variant.spec().mitigations.stockpiles;
        let index = stockpiles.iter().position(|s| s.name == stockpile).ok_or_else(|| {
            AnalysisError::Question(format!("stockpile `{stockpile}` is missing from its own variant"))
        })?;
        let (material, file_size) = (stockpiles[index].material, stockpiles[index].initial.central());
        let cost = scenario.mitigations.iter().find(|m| m.name == stockpile).map_or(Cost::default(), |m| m.cost);
        Ok(Self {
            stockpile: stockpile.to_owned(),
            with: with.to_vec(),
            variant,
            index,
            material,
            file_size,
            cost,
            with_cost,
        })
    }

    /// The model at `size`.
    pub fn model(&self, scenario: &Scenario, size: f64) -> Result<Model, AnalysisError> {
        if self.with.is_empty() {
            return Ok(scenario.with_stockpile_size(&self.stockpile, size)?);
        }
        let mut spec = self.variant.spec().clone();
        spec.mitigations.stockpiles[self.index].initial =
            Param::constant(size).map_err(|e| AnalysisError::Question(format!("size {size}: {e}")))?;
        Model::new(spec).map_err(|errors| {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            AnalysisError::Question(format!("the sized variant is not a valid model: {}", list.join("; ")))
        })
    }
}

/// The search range of a question: the largest size and the step.
pub fn search_range(question: &SizingQuestion, file_size: f64) -> Result<(f64, f64), AnalysisError> {
    let max_size = match question.max_size {
        Some(x) => x,
        None if file_size > 0.0 => 10.0 * file_size,
        None => {
            return Err(AnalysisError::Question(format!(
                "stockpile `{}` has size 0 in the file: give the largest size to search with `--max-size`",
                question.stockpile
            )));
        }
    };
    let step = question.step.unwrap_or(max_size / 1000.0);
    if !(step < max_size) {
        return Err(AnalysisError::Question(format!(
            "`--step {step}` must be smaller than the largest size searched ({max_size})"
        )));
    }
    Ok((max_size, step))
}

/// Answers `question` for `scenario`, running each size with `runner`.
pub fn size_stockpile(
    scenario: &Scenario,
    question: &SizingQuestion,
    runner: &mut VariantRunner<'_>,
) -> Result<SizingAnswer, AnalysisError> {
    let spec = scenario.model.spec();
    let Some(end_use) = spec.end_uses.iter().position(|e| e.name == question.end_use) else {
        return Err(AnalysisError::Question(unknown_end_use(spec, &question.end_use)));
    };
    if let SizingTarget::DelayQuantile { .. } = question.target
        && spec.end_uses[end_use].unmet != Unmet::Backlog
    {
        return Err(AnalysisError::Question(format!(
            "end use `{}` loses the demand it cannot meet, so none of it is late: size it on the probability of a \
             shortfall instead",
            question.end_use
        )));
    }
    let sizer = Sizer::new(scenario, &question.stockpile, &question.with)?;
    let (max_size, step) = search_range(question, sizer.file_size)?;
    let mut evaluations: Vec<Evaluation> = Vec::new();
    let mut error: Option<AnalysisError> = None;
    let mut evaluate = |size: f64, evaluations: &mut Vec<Evaluation>| -> Option<Evaluation> {
        if let Some(e) = evaluations.iter().find(|e| e.size == size) {
            return Some(*e);
        }
        let result = sizer.model(scenario, size).and_then(|model| Ok(runner.run(&model)?));
        match result {
            Ok(results) => {
                let outcomes = results.end_use(end_use);
                let n = outcomes.len();
                let short = Proportion::new(outcomes.any_shortfall().filter(|&short| short).count(), n);
                let (delay, meets) = match question.target {
                    SizingTarget::ShortOrLateProbability(p) => (None, short.p <= p),
                    SizingTarget::DelayQuantile { quantile, max_weeks } => {
                        let weeks = spec.period_weeks;
                        let mut d: Vec<f64> =
                            outcomes.max_delay_periods.iter().map(|&p| f64::from(p) * weeks).collect();
                        d.sort_by(f64::total_cmp);
                        let q = quantile_sorted(&d, quantile);
                        (Some(q), q <= max_weeks)
                    }
                };
                let e = Evaluation { size, short_or_late: short, delay_quantile_weeks: delay, meets_target: meets };
                evaluations.push(e);
                Some(e)
            }
            Err(e) => {
                error.get_or_insert(e);
                None
            }
        }
    };
    let found =
        smallest_passing(0.0, max_size, step, |size| evaluate(size, &mut evaluations).is_some_and(|e| e.meets_target));
    let next_smaller_size = found.filter(|&s| s > 0.0).map(|s| (s - step).max(0.0));
    let next_smaller = next_smaller_size.and_then(|s| evaluate(s, &mut evaluations));
    if let Some(e) = error {
        return Err(e);
    }
    let at_size = found.unwrap_or(max_size);
    let at = *evaluations
        .iter()
        .find(|e| e.size == at_size)
        .ok_or_else(|| AnalysisError::Question("the size found was not evaluated".into()))?;
    Ok(SizingAnswer {
        end_use,
        material: sizer.material,
        file_size: sizer.file_size,
        max_size,
        step,
        size: found,
        at,
        next_smaller,
        cost: found.and_then(|s| scaled_cost(&sizer.cost, s, sizer.file_size)),
        with_cost: sizer.with_cost,
        time_to_survive: found.map(|s| time_to_survive(&sizer.variant, sizer.index, s)),
        evaluations,
    })
}

impl SizingAnswer {
    /// Two sizes evaluated that contradict a target falling monotonically with the size: a smaller one that meets
    /// it and a larger one that misses it (the first such pair, by size), if any. Bisection assumes there is none
    /// (see the module's documentation); with one, the size found meets the target and one step smaller does not,
    /// but a smaller size may meet it too.
    pub fn not_monotone(&self) -> Option<(f64, f64)> {
        not_monotone(&self.evaluations)
    }
}

/// Of `evaluations`, the smallest size that meets the target and the first larger one that misses it, if any.
fn not_monotone(evaluations: &[Evaluation]) -> Option<(f64, f64)> {
    let mut by_size: Vec<&Evaluation> = evaluations.iter().collect();
    by_size.sort_by(|a, b| a.size.total_cmp(&b.size));
    let first_met = by_size.iter().position(|e| e.meets_target)?;
    let missed_above = by_size[first_met..].iter().find(|e| !e.meets_target)?;
    Some((by_size[first_met].size, missed_above.size))
}

/// "unknown end use `x` (did you mean `y`?); the scenario has `a`, `b`".
pub fn unknown_end_use(spec: &ModelSpec, name: &str) -> String {
    let names = || spec.end_uses.iter().map(|e| e.name.as_str());
    let suggestion =
        chokepoint_scenario::did_you_mean(name, names()).map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default();
    let known: Vec<String> = names().map(|n| format!("`{n}`")).collect();
    format!("unknown end use `{name}`{suggestion}; the scenario has {}", known.join(", "))
}

/// The stockpile's cost at `size`: the one-off part scaled by `size / file_size`, the yearly part unchanged;
/// nothing at all at size 0 (no stockpile is held). `None` when the file's size is 0.
pub fn scaled_cost(cost: &Cost, size: f64, file_size: f64) -> Option<Cost> {
    (file_size > 0.0).then(|| {
        let per_year_usd = if size > 0.0 { cost.per_year_usd } else { 0.0 };
        Cost { one_off_usd: cost.one_off_usd * size / file_size, per_year_usd }
    })
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
        // Central intensities for end uses (an uncertain one is drawn per trial in runs).
        let (activity, per_unit, share): (f64, Vec<(usize, f64)>, f64) = match node {
            Node::Stage(s) => (baseline.activity[s], spec.stages[s].inputs.clone(), release[s]),
            Node::EndUse(e) => {
                let class = spec.end_uses[e].class;
                (
                    baseline.activity[ns + e],
                    spec.end_uses[e].intensity.iter().map(|(m, q)| (*m, q.central())).collect(),
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
fn release_class_share(model: &Model, classes: &[Class]) -> Vec<f64> {
    let spec = model.spec();
    let flow = &model.baseline().link_flow;
    let mut share: Vec<Option<f64>> = vec![None; spec.stages.len()];
    fn visit(s: usize, spec: &ModelSpec, flow: &[f64], classes: &[Class], share: &mut Vec<Option<f64>>) -> f64 {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_runs_counts_the_halvings_of_the_range() {
        assert_eq!(expected_runs(1.0, 1.0), 3);
        assert_eq!(expected_runs(0.5, 1.0), 3);
        assert_eq!(expected_runs(64.0, 1.0), 9, "2^6 = 64 exactly");
        assert_eq!(expected_runs(65.0, 1.0), 10);
        assert_eq!(expected_runs(100.0, 1.0), 10);
        assert_eq!(expected_runs(f64::INFINITY, 1.0), 3 + 1024);
        assert_eq!(expected_runs(f64::NAN, 1.0), 3);
    }

    #[test]
    fn sizes_that_meet_the_target_below_one_that_misses_it_are_found() {
        let at = |size: f64, meets_target: bool| Evaluation {
            size,
            short_or_late: Proportion::new(0, 10),
            delay_quantile_weeks: None,
            meets_target,
        };
        // Evaluated in bisection's order: 8 meets, 4 misses, 6 meets, 5 misses: monotone.
        assert_eq!(not_monotone(&[at(8.0, true), at(4.0, false), at(6.0, true), at(5.0, false)]), None);
        // 2 meets, 4 misses: not.
        assert_eq!(not_monotone(&[at(8.0, true), at(4.0, false), at(2.0, true)]), Some((2.0, 4.0)));
    }

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

    #[test]
    fn the_one_off_cost_scales_with_the_size() {
        let cost = Cost { one_off_usd: 1_495_000.0, per_year_usd: 45_000.0 };
        let half = scaled_cost(&cost, 2.875, 5.75).unwrap();
        assert_eq!((half.one_off_usd, half.per_year_usd), (747_500.0, 45_000.0));
        assert!(scaled_cost(&cost, 1.0, 0.0).is_none());
        assert_eq!(scaled_cost(&cost, 0.0, 5.75).unwrap().total_usd(3.0), 0.0, "no stockpile costs nothing");
    }
}
