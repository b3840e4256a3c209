//! A comparison of mitigation options with the baseline on common random numbers (`compare.json`).
//!
//! Every variant (the baseline and each option) runs with the same seed and trial count, so trial `i` sees the
//! same disruptions in each and the per-trial difference `baseline - option` is paired (the engine's
//! `compare::paired`). Per end use and option the document holds the units short avoided with its paired
//! standard error and 95 % interval (and the unpaired standard error for contrast), the probabilities that the
//! option is better or worse, the change in the probability of any shortfall and in CVaR95, the option's cost
//! over the horizon and the cost per unit of shortfall avoided, and two rankings:
//!
//! - within an end use, options are ranked by mean units short avoided (larger first), then by the change in the
//!   probability of any shortfall (larger fall first);
//! - overall, units short of different end uses (motors, aircraft, MW) cannot be added, so options are ranked by
//!   counts instead: end uses improved minus end uses worsened, each at 95 % (see [`Effect`]),
//!   then the mean over end uses of the share of the baseline's shortfall avoided (a unitless measure of how
//!   much each end use gains, weighting end uses equally), then total cost (cheaper first). Equal keys share a
//!   rank. Value for money is not folded into this ranking: it is the cost per unit avoided, per end use.
//!
//! Nothing here depends on the clock or the thread count: the document is byte-for-byte reproducible.

use chokepoint_engine::compare::{PairedSummary, paired};
use chokepoint_engine::stats::{Proportion, summarize};
use chokepoint_engine::{Model, RunResults};
use chokepoint_scenario::{Cost, Scenario};
use serde::Serialize;

use crate::scenario_source::{LoadedScenario, SourceDigest};
use crate::summary_json::{ProportionJson, SCHEMA_VERSION, Tool, WarningJson, rng_name, warnings};

/// How options are ranked within an end use, in words (recorded in `compare.json`).
pub const RANK_WITHIN_END_USE: &str = "mean units short avoided, larger first, then change in P(any shortfall), larger fall first; equal keys share a rank";
/// How options are ranked overall, in words.
pub const RANK_OVERALL: &str = "end uses improved minus end uses worsened (see effect), \
                                then mean share of the baseline's shortfall avoided over the end uses short in the \
                                baseline, then total cost over the horizon (lower first); equal keys share a rank";

/// A mitigation or package to compare with the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionSpec {
    pub name: String,
    /// `mitigation` or `package`.
    pub kind: &'static str,
    /// The mitigation's kind (`stockpile`, `buffer`, ...); `None` for a package.
    pub mitigation_kind: Option<&'static str>,
    /// A package's mitigations; the mitigation itself for a mitigation.
    pub members: Vec<String>,
    pub description: String,
    pub cost: Cost,
    /// The file name of the overlay that defined it, if it came from `--mitigation FILE`.
    pub source: Option<String>,
}

impl OptionSpec {
    /// The mitigation or package `name` of `scenario`, if it has one.
    pub fn of(scenario: &Scenario, name: &str) -> Option<Self> {
        if let Some(m) = scenario.mitigations.iter().find(|m| m.name == name) {
            return Some(Self {
                name: m.name.clone(),
                kind: "mitigation",
                mitigation_kind: Some(m.kind),
                members: vec![m.name.clone()],
                description: m.description.clone(),
                cost: m.cost,
                source: None,
            });
        }
        scenario.packages.iter().find(|p| p.name == name).map(|p| Self {
            name: p.name.clone(),
            kind: "package",
            mitigation_kind: None,
            members: p.members.clone(),
            description: p.description.clone(),
            cost: p.cost,
            source: None,
        })
    }
}

/// Whether an option improves an end use, at 95 %: first by units short, then, where that cannot tell (the
/// paired interval of units short avoided contains 0, as for backlogged demand that catches up within the
/// horizon), by the probability of any shortfall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// The paired 95 % interval of units short avoided lies above 0; or it contains 0 and the interval of the
    /// change in P(any shortfall) lies below 0.
    Better,
    /// The mirror image: fewer units avoided than 0, or, failing that, a higher P(any shortfall).
    Worse,
    /// Neither.
    None,
}

impl Effect {
    pub fn of(p: &PairedSummary) -> Self {
        let tol = noise(p.baseline_mean);
        let (low, high) = (p.avoided.ci95_low, p.avoided.ci95_high);
        if low > tol {
            Effect::Better
        } else if high < -tol {
            Effect::Worse
        } else if p.delta_p_any_ci95.1 < 0.0 {
            Effect::Better
        } else if p.delta_p_any_ci95.0 > 0.0 {
            Effect::Worse
        } else {
            Effect::None
        }
    }
}

/// Differences in units short this small (relative to 1 + the baseline's mean) are floating-point residue of the
/// period loop, not shortfall avoided: treated as 0 in effects, rankings and costs per unit.
pub fn noise(baseline_mean: f64) -> f64 {
    1e-9 * (1.0 + baseline_mean.abs())
}

/// `x`, or 0 when it is within [`noise`] of 0.
pub fn snap(x: f64, baseline_mean: f64) -> f64 {
    if x.abs() <= noise(baseline_mean) { 0.0 } else { x }
}

/// What the comparison needs from one variant's run, per end use (the rest of the run can be dropped).
#[derive(Debug, Clone)]
pub struct VariantOutcome {
    /// Units short per trial, end use by end use: `units_short[e][trial]`.
    pub units_short: Vec<Vec<f64>>,
    /// Share of trials with any shortfall, per end use.
    pub p_any_short: Vec<Proportion>,
}

impl VariantOutcome {
    pub fn of(results: &RunResults) -> Self {
        let n = results.trials;
        let units_short =
            (0..results.n_end_uses).map(|e| results.end_use(e).map(|o| o.units_short).collect()).collect();
        let p_any_short = (0..results.n_end_uses)
            .map(|e| Proportion::new(results.end_use(e).filter(|o| o.short_periods > 0).count(), n))
            .collect();
        Self { units_short, p_any_short }
    }
}

/// An option's run compared with the baseline's, per end use.
#[derive(Debug, Clone)]
pub struct OptionOutcome {
    pub variant: VariantOutcome,
    pub paired: Vec<PairedSummary>,
}

impl OptionOutcome {
    /// Compares `option` with `baseline`, which must come from the same seed and trial count.
    pub fn new(baseline: &RunResults, option: &RunResults) -> Self {
        let paired = (0..baseline.n_end_uses).map(|e| paired(baseline, option, e)).collect();
        Self { variant: VariantOutcome::of(option), paired }
    }
}

/// The whole comparison document.
#[derive(Debug, Clone, Serialize)]
pub struct CompareDocument {
    pub schema_version: u32,
    pub tool: Tool,
    pub scenario: ScenarioJson,
    pub run: CompareSettings,
    pub ranking: RankingJson,
    /// Options in overall rank order.
    pub options: Vec<OptionJson>,
    pub end_uses: Vec<EndUseJson>,
    pub warnings: Vec<WarningJson>,
}

/// The scenario, its bases and the overlays added to it, each by file name and SHA-256 of its bytes.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioJson {
    pub name: String,
    pub sha256: String,
    pub bases: Vec<FileDigest>,
    pub overlays: Vec<FileDigest>,
}

/// A file by name (without its folder, so that the document does not depend on where it was run from) and digest.
#[derive(Debug, Clone, Serialize)]
pub struct FileDigest {
    pub file: String,
    pub sha256: String,
}

impl FileDigest {
    pub fn of(d: &SourceDigest) -> Self {
        let file = std::path::Path::new(&d.origin)
            .file_name()
            .map_or_else(|| d.origin.clone(), |f| f.to_string_lossy().into_owned());
        Self { file, sha256: d.sha256.clone() }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CompareSettings {
    pub seed: u64,
    pub trials: u64,
    pub rng: &'static str,
    pub periods: usize,
    pub period_weeks: f64,
    /// The horizon in years (52 weeks), over which costs are totalled.
    pub horizon_years: f64,
    /// Runs made: the baseline and one per option.
    pub variants: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct RankingJson {
    pub within_end_use: &'static str,
    pub overall: &'static str,
}

/// The cost of an option, in US dollars, undiscounted.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CostJson {
    pub one_off_usd: f64,
    pub per_year_usd: f64,
    pub horizon_years: f64,
    /// `one_off_usd + per_year_usd x horizon_years`.
    pub total_usd: f64,
}

impl CostJson {
    pub fn new(cost: &Cost, horizon_years: f64) -> Self {
        Self {
            one_off_usd: cost.one_off_usd,
            per_year_usd: cost.per_year_usd,
            horizon_years,
            total_usd: cost.total_usd(horizon_years),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct OptionJson {
    pub name: String,
    pub kind: &'static str,
    pub mitigation_kind: Option<&'static str>,
    pub members: Vec<String>,
    pub description: String,
    pub source: Option<String>,
    pub cost: CostJson,
    /// Overall rank (1 is best).
    pub rank: usize,
    pub end_uses_improved: usize,
    pub end_uses_worsened: usize,
    /// Mean, over the end uses short in the baseline, of units short avoided / baseline mean units short (a
    /// unitless summary; `null` when no end use is short in the baseline).
    pub mean_share_of_shortfall_avoided: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EndUseJson {
    pub name: String,
    pub class: &'static str,
    pub baseline: BaselineJson,
    /// The options, in rank order for this end use.
    pub options: Vec<EffectJson>,
}

/// The end use without any option.
#[derive(Debug, Clone, Serialize)]
pub struct BaselineJson {
    pub mean_units_short: f64,
    pub se: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    pub cvar95: f64,
    pub p_any_short: ProportionJson,
}

/// One option's effect on one end use.
#[derive(Debug, Clone, Serialize)]
pub struct EffectJson {
    pub option: String,
    /// Rank within this end use (1 is best).
    pub rank: usize,
    pub mean_units_short: f64,
    pub units_short_avoided: AvoidedJson,
    pub effect: Effect,
    /// Share of trials in which the option has fewer units short than the baseline, and more.
    pub p_better: ProportionJson,
    pub p_worse: ProportionJson,
    pub p_any_short: ProportionJson,
    /// Change in the probability of any shortfall (option minus baseline), with its paired 95 % interval.
    pub delta_p_any_short: DeltaJson,
    /// Change in CVaR95 of units short (option minus baseline).
    pub delta_cvar95: f64,
    /// The option's total cost over the horizon.
    pub cost_usd: f64,
    /// `cost_usd / units_short_avoided.mean`; `null` when the option avoids nothing on average.
    pub cost_per_unit_avoided_usd: Option<f64>,
    /// `cost_usd` over the bounds of the interval of units short avoided: `[cost / high, cost / low]`; the upper
    /// bound is `null` (unbounded) when the interval reaches 0.
    pub cost_per_unit_avoided_ci95: [Option<f64>; 2],
}

/// Units short avoided per trial (`baseline - option`), paired.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct AvoidedJson {
    pub mean: f64,
    pub sd: f64,
    /// Paired standard error of the mean difference.
    pub se: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    /// The standard error had the two runs been independent: `sqrt(se_baseline^2 + se_option^2)`.
    pub unpaired_se: f64,
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct DeltaJson {
    pub estimate: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
}

/// Cost per unit avoided and its interval; see [`EffectJson`].
pub fn cost_per_unit(cost_usd: f64, avoided: &PairedSummary) -> (Option<f64>, [Option<f64>; 2]) {
    let a = &avoided.avoided;
    let tol = noise(avoided.baseline_mean);
    let point = (a.mean > tol).then(|| cost_usd / a.mean);
    let low = (a.ci95_high > tol).then(|| cost_usd / a.ci95_high);
    let high = (a.ci95_low > tol).then(|| cost_usd / a.ci95_low);
    (point, [low, high])
}

/// Competition ranks ("1, 1, 3") of `items` sorted by `cmp`, returned in the items' original order.
fn ranks<T>(items: &[T], cmp: impl Fn(&T, &T) -> std::cmp::Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| cmp(&items[a], &items[b]).then(a.cmp(&b)));
    let mut rank = vec![0; items.len()];
    for (pos, &i) in order.iter().enumerate() {
        rank[i] =
            if pos > 0 && cmp(&items[order[pos - 1]], &items[i]).is_eq() { rank[order[pos - 1]] } else { pos + 1 };
    }
    rank
}

/// The inputs of [`CompareDocument::new`] that describe the run.
#[derive(Debug, Clone, Copy)]
pub struct CompareRun<'a> {
    pub loaded: &'a LoadedScenario,
    /// Overlays added with `--mitigation FILE`.
    pub overlays: &'a [SourceDigest],
    pub seed: u64,
    pub trials: u64,
}

impl CompareDocument {
    /// Builds the document. `baseline` is the baseline run's outcome; `options[i]` belongs to `specs[i]`.
    pub fn new(
        run: CompareRun<'_>,
        specs: &[OptionSpec],
        baseline: &VariantOutcome,
        options: &[OptionOutcome],
    ) -> Self {
        let scenario = &run.loaded.scenario;
        let model: &Model = &scenario.model;
        let spec = model.spec();
        let years = scenario.horizon_years();
        let costs: Vec<f64> = specs.iter().map(|o| o.cost.total_usd(years)).collect();

        let mut end_uses = Vec::with_capacity(spec.end_uses.len());
        for (e, eu) in spec.end_uses.iter().enumerate() {
            let mut short = baseline.units_short[e].clone();
            let b = summarize(&mut short);
            let within = ranks(options, |x, y| {
                let (x, y) = (&x.paired[e], &y.paired[e]);
                let avoided = |p: &PairedSummary| snap(p.avoided.mean, p.baseline_mean);
                avoided(y).total_cmp(&avoided(x)).then(x.delta_p_any.total_cmp(&y.delta_p_any))
            });
            let mut effects: Vec<EffectJson> = options
                .iter()
                .zip(specs)
                .zip(&costs)
                .zip(&within)
                .map(|(((o, s), &cost), &rank)| effect(&s.name, rank, cost, &o.paired[e], &o.variant.p_any_short[e]))
                .collect();
            effects.sort_by_key(|x| x.rank);
            end_uses.push(EndUseJson {
                name: eu.name.clone(),
                class: eu.class.name(),
                baseline: BaselineJson {
                    mean_units_short: b.mean,
                    se: b.se,
                    ci95_low: b.ci95_low,
                    ci95_high: b.ci95_high,
                    cvar95: b.cvar95,
                    p_any_short: (&baseline.p_any_short[e]).into(),
                },
                options: effects,
            });
        }

        let tallies: Vec<(usize, usize, f64, f64)> = options
            .iter()
            .zip(&costs)
            .map(|(o, &cost)| {
                let effects: Vec<Effect> = o.paired.iter().map(Effect::of).collect();
                let better = effects.iter().filter(|&&x| x == Effect::Better).count();
                let worse = effects.iter().filter(|&&x| x == Effect::Worse).count();
                (better, worse, mean_share_avoided(&o.paired).unwrap_or(f64::NEG_INFINITY), cost)
            })
            .collect();
        let overall = ranks(&tallies, |&(b1, w1, s1, c1), &(b2, w2, s2, c2)| {
            let net = |b: usize, w: usize| b as i64 - w as i64;
            net(b2, w2).cmp(&net(b1, w1)).then(s2.total_cmp(&s1)).then(c1.total_cmp(&c2))
        });
        let mut option_docs: Vec<OptionJson> = specs
            .iter()
            .zip(options)
            .zip(&tallies)
            .zip(&overall)
            .map(|(((s, o), &(better, worse, _, _)), &rank)| OptionJson {
                name: s.name.clone(),
                kind: s.kind,
                mitigation_kind: s.mitigation_kind,
                members: s.members.clone(),
                description: s.description.clone(),
                source: s.source.clone(),
                cost: CostJson::new(&s.cost, years),
                rank,
                end_uses_improved: better,
                end_uses_worsened: worse,
                mean_share_of_shortfall_avoided: mean_share_avoided(&o.paired),
            })
            .collect();
        option_docs.sort_by_key(|o| o.rank);

        Self {
            schema_version: SCHEMA_VERSION,
            tool: Tool::this(),
            scenario: ScenarioJson {
                name: scenario.name.clone(),
                sha256: run.loaded.sha256.clone(),
                bases: run.loaded.bases.iter().map(FileDigest::of).collect(),
                overlays: run.overlays.iter().map(FileDigest::of).collect(),
            },
            run: CompareSettings {
                seed: run.seed,
                trials: run.trials,
                rng: rng_name(),
                periods: spec.periods,
                period_weeks: spec.period_weeks,
                horizon_years: years,
                variants: specs.len() + 1,
            },
            ranking: RankingJson { within_end_use: RANK_WITHIN_END_USE, overall: RANK_OVERALL },
            options: option_docs,
            end_uses,
            warnings: warnings(run.loaded),
        }
    }
}

fn effect(option: &str, rank: usize, cost_usd: f64, p: &PairedSummary, p_any: &Proportion) -> EffectJson {
    let a = &p.avoided;
    let (per_unit, per_unit_ci) = cost_per_unit(cost_usd, p);
    EffectJson {
        option: option.to_owned(),
        rank,
        mean_units_short: p.option_mean,
        units_short_avoided: AvoidedJson {
            mean: a.mean,
            sd: a.sd,
            se: a.se,
            ci95_low: a.ci95_low,
            ci95_high: a.ci95_high,
            unpaired_se: p.unpaired_se,
            p5: a.p5,
            p50: a.p50,
            p95: a.p95,
        },
        effect: Effect::of(p),
        p_better: (&p.p_better).into(),
        p_worse: (&p.p_worse).into(),
        p_any_short: p_any.into(),
        delta_p_any_short: DeltaJson {
            estimate: p.delta_p_any,
            ci95_low: p.delta_p_any_ci95.0,
            ci95_high: p.delta_p_any_ci95.1,
        },
        delta_cvar95: p.delta_cvar95,
        cost_usd,
        cost_per_unit_avoided_usd: per_unit,
        cost_per_unit_avoided_ci95: per_unit_ci,
    }
}

fn mean_share_avoided(paired: &[PairedSummary]) -> Option<f64> {
    let shares: Vec<f64> = paired
        .iter()
        .filter(|p| p.baseline_mean > noise(0.0))
        .map(|p| snap(p.avoided.mean, p.baseline_mean) / p.baseline_mean)
        .collect();
    (!shares.is_empty()).then(|| shares.iter().sum::<f64>() / shares.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_share_a_rank() {
        let r = ranks(&[5.0, 9.0, 5.0, 1.0], |a: &f64, b: &f64| b.total_cmp(a));
        assert_eq!(r, [2, 1, 2, 4]);
    }

    #[test]
    fn effect_needs_an_interval_to_exclude_zero() {
        let with_p = |p: PairedSummary, d: (f64, f64)| PairedSummary { delta_p_any_ci95: d, ..p };
        assert_eq!(Effect::of(&avoided(1.0, 0.1, 2.0)), Effect::Better);
        assert_eq!(Effect::of(&with_p(avoided(1.0, 0.1, 2.0), (0.1, 0.2))), Effect::Better, "units come first");
        assert_eq!(Effect::of(&avoided(-1.0, -2.0, -0.1)), Effect::Worse);
        assert_eq!(Effect::of(&avoided(1.0, -0.1, 2.0)), Effect::None);
        assert_eq!(Effect::of(&avoided(0.0, 0.0, 0.0)), Effect::None);
        // Rounding residue is not an effect; then the probability of any shortfall decides.
        assert_eq!(Effect::of(&avoided(1e-14, 1e-15, 2e-14)), Effect::None);
        assert_eq!(Effect::of(&with_p(avoided(0.0, 0.0, 0.0), (-0.05, -0.03))), Effect::Better);
        assert_eq!(Effect::of(&with_p(avoided(0.0, -1e-15, 1e-15), (0.01, 0.03))), Effect::Worse);
    }

    fn avoided(mean: f64, low: f64, high: f64) -> PairedSummary {
        let s = chokepoint_engine::stats::Summary { mean, ci95_low: low, ci95_high: high, ..Default::default() };
        PairedSummary {
            baseline_mean: 0.0,
            option_mean: 0.0,
            avoided: s,
            unpaired_se: 0.0,
            p_better: Proportion::new(0, 1),
            p_worse: Proportion::new(0, 1),
            delta_p_any: 0.0,
            delta_p_any_ci95: (0.0, 0.0),
            delta_cvar95: 0.0,
        }
    }

    #[test]
    fn cost_per_unit_avoided_divides_the_total_cost() {
        // $1.5 M once and $45 k a year over 3 years: $1.635 M.
        let cost = Cost { one_off_usd: 1.5e6, per_year_usd: 45e3 }.total_usd(3.0);
        assert_eq!(cost, 1_635_000.0);
        assert_eq!(
            cost_per_unit(cost, &avoided(100.0, 50.0, 200.0)),
            (Some(16_350.0), [Some(8_175.0), Some(32_700.0)])
        );
        assert_eq!(cost_per_unit(cost, &avoided(100.0, -5.0, 200.0)), (Some(16_350.0), [Some(8_175.0), None]));
        assert_eq!(cost_per_unit(cost, &avoided(0.0, 0.0, 0.0)), (None, [None, None]));
        assert_eq!(cost_per_unit(cost, &avoided(-3.0, -5.0, -1.0)), (None, [None, None]));
        assert_eq!(cost_per_unit(cost, &avoided(1e-13, 1e-14, 2e-13)), (None, [None, None]), "residue is not avoided");
    }
}
