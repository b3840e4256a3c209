//! `compare.json`: a comparison of mitigation options with the baseline on common random numbers, as the
//! analysis library computed it (`chokepoint_analysis::comparison`), in one serde type that is written and read
//! back (the report is rebuilt from it).
//!
//! Per end use and option: units short avoided, the change in P(short or late), the longest delay and the
//! unit-weeks of backlog avoided, and the end use's loss avoided, each with its paired 95 % interval, and a cost
//! per unit avoided only where the amount avoided is detectably positive. Overall, per option: the loss avoided
//! over every end use with its paired interval, its effect (`better`, `none` for no detectable effect, `worse`),
//! the rank by loss avoided and by value for money, and the option that dominates it, if any. Nothing here
//! depends on the clock or the thread count: the document is byte-for-byte reproducible.

use chokepoint_analysis::comparison::{
    Comparison, CostPerUnit, EndUseEffect, EndUseLevels, OptionKind, OptionResult, OptionSpec,
};
use chokepoint_analysis::paired::{Detected, PairedDifference, ProportionChange};
use chokepoint_scenario::Cost;
use serde::{Deserialize, Serialize};

use crate::documents::header::{RunHeader, ScenarioHeader};

use crate::documents::summary::{
    DistributionJson, ProportionJson, SCHEMA_VERSION, Tool, WarningJson, nan_if_null, unmet_word, warnings,
};
use crate::scenario_source::{LoadedScenario, SourceDigest};

/// How options are ranked, in words (recorded in `compare.json`).
pub const RANK_OVERALL: &str = "loss avoided over every end use: options with a detectable benefit (the paired 95% \
                                interval lies above 0) first, then those with no detectable effect, then those \
                                that do harm; within each, by mean loss avoided, then by cost (lower first); equal \
                                keys share a rank";
pub const RANK_BY_VALUE: &str =
    "loss avoided per US dollar, among options with a detectable benefit only (free ones first)";
pub const RANK_WITHIN_END_USE: &str =
    "the end use's mean loss avoided, larger first, then the fall in P(short or late); equal keys share a rank";

/// The whole comparison document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompareDocument {
    pub schema_version: u32,
    pub tool: Tool,
    pub scenario: ScenarioHeader,
    pub run: CompareSettings,
    pub loss: CompareLossJson,
    pub ranking: RankingJson,
    /// Options in overall rank order.
    pub options: Vec<OptionJson>,
    pub end_uses: Vec<EndUseJson>,
    pub warnings: Vec<WarningJson>,
    /// `--evppi`: which unknown is worth researching before choosing among the options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_of_information: Option<crate::documents::value_of_information::EvppiJson>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompareSettings {
    /// Seed, trials per variant, generator and horizon, written inline (the fields of `RunHeader`, then `variants`).
    #[serde(flatten)]
    pub common: RunHeader,
    /// Runs made: the baseline and one per option.
    pub variants: usize,
}

/// The loss measure of the comparison.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompareLossJson {
    /// `USD`, or `weeks of demand`.
    pub unit: String,
    /// The baseline's loss per trial.
    pub baseline: DistributionJson,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RankingJson {
    pub overall: String,
    pub by_value: String,
    pub within_end_use: String,
}

/// The cost of an option, in US dollars, undiscounted.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
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

/// Which side of 0 a paired interval lies on: `better`, `none` (no detectable effect) or `worse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    Better,
    None,
    Worse,
}

impl From<Detected> for Effect {
    fn from(d: Detected) -> Self {
        match d {
            Detected::Better => Effect::Better,
            Detected::None => Effect::None,
            Detected::Worse => Effect::Worse,
        }
    }
}

impl Effect {
    /// In words, for tables.
    pub fn words(self) -> &'static str {
        match self {
            Effect::Better => "better",
            Effect::None => "no detectable effect",
            Effect::Worse => "worse",
        }
    }
}

/// A metric compared trial by trial: `avoided` is baseline minus option (positive is better).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct PairedJson {
    #[serde(deserialize_with = "nan_if_null")]
    pub baseline_mean: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub option_mean: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub avoided_mean: f64,
    /// Paired standard error of the mean difference.
    #[serde(deserialize_with = "nan_if_null")]
    pub se: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci95_low: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci95_high: f64,
    /// The standard error had the two runs been independent: `sqrt(se_baseline^2 + se_option^2)`.
    #[serde(deserialize_with = "nan_if_null")]
    pub unpaired_se: f64,
    /// Share of trials in which the option is strictly better, and strictly worse.
    pub p_better: ProportionJson,
    pub p_worse: ProportionJson,
    pub effect: Effect,
}

impl From<&PairedDifference> for PairedJson {
    fn from(p: &PairedDifference) -> Self {
        // Floating-point residue of the period loop reads as 0.
        let snap = |x: f64| chokepoint_analysis::paired::snap(x, p.baseline_mean);
        Self {
            baseline_mean: p.baseline_mean,
            option_mean: p.option_mean,
            avoided_mean: snap(p.avoided.mean),
            se: snap(p.avoided.se),
            ci95_low: snap(p.avoided.ci95_low),
            ci95_high: snap(p.avoided.ci95_high),
            unpaired_se: p.unpaired_se,
            p_better: (&p.p_better).into(),
            p_worse: (&p.p_worse).into(),
            effect: p.detected().into(),
        }
    }
}

/// The change of a probability, option minus baseline, with its paired interval.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct ChangeJson {
    pub baseline: ProportionJson,
    pub option: ProportionJson,
    #[serde(deserialize_with = "nan_if_null")]
    pub delta: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci95_low: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci95_high: f64,
    pub effect: Effect,
}

impl From<&ProportionChange> for ChangeJson {
    fn from(c: &ProportionChange) -> Self {
        Self {
            baseline: (&c.baseline).into(),
            option: (&c.option).into(),
            delta: c.delta,
            ci95_low: c.ci95_low,
            ci95_high: c.ci95_high,
            effect: c.detected().into(),
        }
    }
}

/// A cost per unit avoided (or an amount avoided per dollar), with the interval from the amount's interval.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct RatioJson {
    pub point: f64,
    pub ci95: [f64; 2],
}

impl From<&CostPerUnit> for RatioJson {
    fn from(c: &CostPerUnit) -> Self {
        Self { point: c.point, ci95: c.ci95 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OptionJson {
    pub name: String,
    /// `mitigation` or `package`.
    pub kind: String,
    /// The mitigation's kind (`stockpile`, `buffer`, ...); `null` for a package.
    pub mitigation_kind: Option<String>,
    pub members: Vec<String>,
    pub description: String,
    pub source: Option<String>,
    pub cost: CostJson,
    /// Overall rank by loss avoided (1 is best).
    pub rank: usize,
    /// The loss over every end use avoided, per trial, paired.
    pub loss_avoided: PairedJson,
    /// Loss avoided per US dollar, only when the loss avoided is detectably positive and the option costs
    /// something.
    pub loss_avoided_per_usd: Option<RatioJson>,
    /// Rank by value for money, among options with a detectable benefit.
    pub rank_by_value: Option<usize>,
    pub end_uses_improved: usize,
    pub end_uses_worsened: usize,
    /// An option that costs no more and avoids at least as much loss, better on one of the two.
    pub dominated_by: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EndUseJson {
    pub name: String,
    pub class: String,
    pub unit: String,
    pub unmet_demand: String,
    pub baseline: LevelsJson,
    /// The options, in rank order for this end use.
    pub options: Vec<EffectJson>,
}

/// An end use's levels in one variant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LevelsJson {
    pub units_short: DistributionJson,
    pub p_short_or_late: ProportionJson,
    pub max_delay_weeks: DistributionJson,
    /// Over the trials with a late unit only; null when none was late (and in documents written before it).
    #[serde(default)]
    pub max_delay_weeks_when_late: Option<DistributionJson>,
    pub backlog_unit_weeks: DistributionJson,
    pub loss: DistributionJson,
}

impl From<&EndUseLevels> for LevelsJson {
    fn from(l: &EndUseLevels) -> Self {
        Self {
            units_short: (&l.units_short).into(),
            p_short_or_late: (&l.short_or_late).into(),
            max_delay_weeks: (&l.max_delay_weeks).into(),
            max_delay_weeks_when_late: l.max_delay_weeks_when_late.as_ref().map(Into::into),
            backlog_unit_weeks: (&l.backlog_unit_weeks).into(),
            loss: (&l.loss).into(),
        }
    }
}

/// One option's effect on one end use.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EffectJson {
    pub option: String,
    /// Rank within this end use (1 is best).
    pub rank: usize,
    /// Better, no detectable effect, or worse for this end use, at 95 %: by its loss, or, where that cannot
    /// tell, by P(short or late).
    pub effect: Effect,
    pub levels: LevelsJson,
    pub units_short_avoided: PairedJson,
    pub p_short_or_late: ChangeJson,
    pub max_delay_weeks_avoided: PairedJson,
    pub backlog_unit_weeks_avoided: PairedJson,
    pub loss_avoided: PairedJson,
    /// CVaR95 of units short, option minus baseline.
    #[serde(deserialize_with = "nan_if_null")]
    pub delta_cvar95_units_short: f64,
    /// The option's total cost over the horizon.
    pub cost_usd: f64,
    /// Cost per unit short avoided, and per unit-week of backlog avoided, only where detectably positive.
    pub cost_per_unit_short_avoided_usd: Option<RatioJson>,
    pub cost_per_unit_week_late_avoided_usd: Option<RatioJson>,
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
    /// The document of `comparison`, whose options are `specs`, in the same order.
    pub fn new(run: CompareRun<'_>, specs: &[OptionSpec], comparison: &Comparison) -> Self {
        let scenario = &run.loaded.scenario;
        let spec = scenario.model.spec();
        let years = comparison.horizon_years;
        let mut options: Vec<OptionJson> =
            specs.iter().zip(&comparison.options).map(|(s, r)| option(s, r, specs, years)).collect();
        options.sort_by_key(|o| o.rank);
        let end_uses = comparison
            .end_uses
            .iter()
            .map(|c| {
                let mut effects: Vec<EffectJson> = c
                    .effects
                    .iter()
                    .zip(specs)
                    .zip(&comparison.options)
                    .map(|((x, s), r)| effect(&s.name, x, r.cost_usd))
                    .collect();
                effects.sort_by_key(|x| x.rank);
                EndUseJson {
                    name: c.name.clone(),
                    class: spec.end_uses[c.end_use].class.name().to_owned(),
                    unit: scenario.end_uses[c.end_use].unit.clone(),
                    unmet_demand: unmet_word(c.unmet).to_owned(),
                    baseline: (&c.baseline).into(),
                    options: effects,
                }
            })
            .collect();
        Self {
            schema_version: SCHEMA_VERSION,
            tool: Tool::this(),
            scenario: ScenarioHeader {
                start_date: ScenarioHeader::start_date_of(run.loaded),
                bases: ScenarioHeader::bases_of(run.loaded),
                overlays: ScenarioHeader::overlays_of(run.overlays),
                ..ScenarioHeader::of(run.loaded)
            },
            run: CompareSettings { common: RunHeader::of(run.loaded, run.seed, run.trials), variants: specs.len() + 1 },
            loss: CompareLossJson {
                unit: comparison.loss_unit.label().to_owned(),
                baseline: (&comparison.baseline_loss).into(),
            },
            ranking: RankingJson {
                overall: RANK_OVERALL.to_owned(),
                by_value: RANK_BY_VALUE.to_owned(),
                within_end_use: RANK_WITHIN_END_USE.to_owned(),
            },
            options,
            end_uses,
            warnings: warnings(run.loaded),
            value_of_information: None,
        }
    }
}

fn option(s: &OptionSpec, r: &OptionResult, specs: &[OptionSpec], years: f64) -> OptionJson {
    let (kind, mitigation_kind) = match &s.kind {
        OptionKind::Mitigation { kind } => ("mitigation", Some(kind.as_str().to_owned())),
        OptionKind::Package { .. } => ("package", None),
    };
    OptionJson {
        name: s.name.clone(),
        kind: kind.to_owned(),
        mitigation_kind,
        members: s.members(),
        description: s.description.clone(),
        source: s.source.clone(),
        cost: CostJson::new(&s.cost, years),
        rank: r.rank,
        loss_avoided: (&r.loss).into(),
        loss_avoided_per_usd: r.loss_avoided_per_usd.as_ref().map(Into::into),
        rank_by_value: r.rank_by_value,
        end_uses_improved: r.end_uses_improved,
        end_uses_worsened: r.end_uses_worsened,
        dominated_by: r.dominated_by.map(|j| specs[j].name.clone()),
    }
}

fn effect(option: &str, x: &EndUseEffect, cost_usd: f64) -> EffectJson {
    EffectJson {
        option: option.to_owned(),
        rank: x.rank,
        effect: x.effect.into(),
        levels: (&x.levels).into(),
        units_short_avoided: (&x.units_short).into(),
        p_short_or_late: (&x.short_or_late).into(),
        max_delay_weeks_avoided: (&x.max_delay_weeks).into(),
        backlog_unit_weeks_avoided: (&x.backlog_unit_weeks).into(),
        loss_avoided: (&x.loss).into(),
        delta_cvar95_units_short: x.delta_cvar95_units_short,
        cost_usd,
        cost_per_unit_short_avoided_usd: x.cost_per_unit_short_avoided.as_ref().map(Into::into),
        cost_per_unit_week_late_avoided_usd: x.cost_per_unit_week_late_avoided.as_ref().map(Into::into),
    }
}

impl EndUseJson {
    /// Whether the end use is never short or late, with or without any option.
    pub fn never_short(&self) -> bool {
        self.baseline.p_short_or_late.k == 0 && self.options.iter().all(|o| o.levels.p_short_or_late.k == 0)
    }

    /// Whether its demand is backlogged.
    pub fn backlogged(&self) -> bool {
        self.unmet_demand == "backlog"
    }
}
