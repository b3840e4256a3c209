//! The machine-readable summary of a run (`summary.json`, and stdout with `--format json`).
//!
//! One serde type per file, written and read back (by `chokepoint report` and `batch`) as the same struct. The
//! engine has no serde, so its summaries are mirrored here. Durations are converted from periods to weeks
//! (`periods x period_weeks`), so the document reads the same for weekly and monthly scenarios. Nothing here
//! depends on the machine, the thread count or the clock: for one scenario, seed, trial count and tool version the
//! document is byte-for-byte the same. Run metadata that does vary (wall time, timestamp, threads) lives in
//! `run.json`. Non-finite numbers are written as `null` and read back as NaN.

use chokepoint_engine::report::{EndUseSummary, RunSummary, StageSummary, StockpileSummary};
use chokepoint_engine::stats::{Proportion, Summary};
use chokepoint_engine::{Model, Unmet};
use chokepoint_scenario::Scenario;
use serde::{Deserialize, Deserializer, Serialize};

use crate::documents::header::ScenarioHeader;

pub use chokepoint_tables::{stage_unit, unit_name, unmet_word};

use crate::files::trial_summary::LossSummaries;
use crate::scenario_source::LoadedScenario;

/// Version of the layout of `summary.json` and `run.json`; bumped when a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 2;

/// The name of the generator each random process draws from (see the engine's `rng` module).
pub fn rng_name() -> &'static str {
    chokepoint_engine::rng::RNG_NAME
}

/// How a trial's streams are derived from the run's seed.
pub const RNG_SEEDING: &str = chokepoint_engine::rng::RNG_SEEDING;

/// `null` (a missing or non-finite number) reads as NaN.
pub fn nan_if_null<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// The whole summary document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SummaryDocument {
    pub schema_version: u32,
    pub tool: Tool,
    pub scenario: ScenarioHeader,
    pub run: RunSettings,
    /// The loss measure over every end use, per trial.
    pub loss: LossJson,
    pub end_uses: Vec<EndUseJson>,
    pub stages: Vec<StageJson>,
    pub stockpiles: Vec<StockpileJson>,
    pub warnings: Vec<WarningJson>,
    /// The two-level study of `run --worlds`: each headline metric across worlds of knowledge uncertainty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worlds: Option<crate::documents::worlds::WorldsJson>,
}

/// The tool that produced an output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Tool {
    pub fn this() -> Self {
        Self { name: env!("CARGO_PKG_NAME").to_owned(), version: env!("CARGO_PKG_VERSION").to_owned() }
    }
}

/// The settings that determine the numbers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSettings {
    pub seed: u64,
    pub trials: u64,
    pub rng: String,
    pub periods: usize,
    pub period_weeks: f64,
}

impl RunSettings {
    /// Length of the horizon in weeks.
    pub fn horizon_weeks(&self) -> f64 {
        self.periods as f64 * self.period_weeks
    }
}

/// Distribution of one metric across trials (the engine's `stats::Summary`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct DistributionJson {
    /// Number of trials the statistics are over.
    pub n: usize,
    #[serde(deserialize_with = "nan_if_null")]
    pub mean: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub sd: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub se: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci95_low: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci95_high: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub min: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub p5: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub p50: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub p95: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub p99: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub max: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub cvar95: f64,
}

impl DistributionJson {
    /// The summary with every value multiplied by `factor` (positive): a change of unit. Each statistic is
    /// linear in the data, so scaling the statistics equals summarising the scaled data.
    pub fn scaled(s: &Summary, factor: f64) -> Self {
        Self {
            n: s.n,
            mean: s.mean * factor,
            sd: s.sd * factor,
            se: s.se * factor,
            ci95_low: s.ci95_low * factor,
            ci95_high: s.ci95_high * factor,
            min: s.min * factor,
            p5: s.p5 * factor,
            p50: s.p50 * factor,
            p95: s.p95 * factor,
            p99: s.p99 * factor,
            max: s.max * factor,
            cvar95: s.cvar95 * factor,
        }
    }
}

impl From<&Summary> for DistributionJson {
    fn from(s: &Summary) -> Self {
        Self::scaled(s, 1.0)
    }
}

/// A proportion with its Wilson score 95 % interval.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct ProportionJson {
    pub k: usize,
    pub n: usize,
    #[serde(deserialize_with = "nan_if_null")]
    pub p: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci95_low: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci95_high: f64,
}

impl From<&Proportion> for ProportionJson {
    fn from(p: &Proportion) -> Self {
        Self { k: p.k, n: p.n, p: p.p, ci95_low: p.ci95_low, ci95_high: p.ci95_high }
    }
}

/// The loss measure of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LossJson {
    /// `USD`, or `weeks of demand` when the scenario gives no value.
    pub unit: String,
    /// The trial's loss (every end use, summed), across trials.
    pub per_trial: DistributionJson,
}

/// What a reader should look at first for an end use: lateness for backlogged demand, shortfall for lost demand.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "measure", rename_all = "snake_case")]
pub enum Headline {
    /// Lost demand: how often and how much is never built.
    Short {
        /// P(short): some demand lost in some week.
        p: ProportionJson,
        /// Units never built over the horizon.
        mean_units_short: f64,
        mean_units_short_ci95: [f64; 2],
        p95_units_short: f64,
        mean_share_met: f64,
        /// Median week of the first shortfall over the trials that were short (`null` when none was).
        median_first_short_week: Option<f64>,
    },
    /// Backlogged demand: how often, how late and how large the backlog.
    Late {
        /// P(late): some unit delivered late, or still owed at the end.
        p: ProportionJson,
        /// Mean delay of a late unit, weeks, pooled over every late unit of every trial (`null` when none was).
        mean_delay_weeks: Option<f64>,
        /// Over the trials with a late unit: the median and P95 of the longest delay of a unit, weeks.
        median_max_delay_weeks_when_late: Option<f64>,
        p95_max_delay_weeks_when_late: Option<f64>,
        /// Over the trials with a late unit: P95 of the peak backlog, units and weeks of normal demand.
        p95_peak_backlog_units_when_late: Option<f64>,
        p95_peak_backlog_weeks_when_late: Option<f64>,
        /// Median week the backlog cleared, over the trials that were late and caught up within the horizon.
        median_backlog_cleared_week: Option<f64>,
        /// P(units still owed at the end of the horizon).
        p_owed_at_end: ProportionJson,
        /// Median week of the first late unit, over the trials with one.
        median_first_late_week: Option<f64>,
    },
}

/// Delay metrics of a backlogged end use.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DelayJson {
    /// Units built later than the week they were demanded in, within the horizon.
    pub units_late: DistributionJson,
    /// Units still owed at the end of the horizon.
    pub units_owed_at_end: DistributionJson,
    pub p_owed_at_end: ProportionJson,
    /// Mean delay of a late unit in each trial (delivered late or still owed, censored at the horizon), weeks,
    /// over the trials with a late unit.
    pub mean_delay_weeks: Option<DistributionJson>,
    /// The same pooled over every late unit of every trial: total unit-weeks of backlog over total units late.
    pub pooled_mean_delay_weeks: Option<f64>,
    /// The longest delay of a unit in each trial, weeks (0 without one; censored at the horizon).
    pub max_delay_weeks: DistributionJson,
    /// The largest backlog, in units and in weeks of that week's normal demand.
    pub peak_backlog_units: DistributionJson,
    pub peak_backlog_weeks: DistributionJson,
    /// The same three over the trials with a late unit only (`null` when none was).
    pub max_delay_weeks_when_late: Option<DistributionJson>,
    pub peak_backlog_units_when_late: Option<DistributionJson>,
    pub peak_backlog_weeks_when_late: Option<DistributionJson>,
    /// Weeks every late unit waited within the horizon, summed.
    pub backlog_unit_weeks: DistributionJson,
    /// The week the backlog cleared, over the trials that were late and caught up within the horizon.
    pub backlog_cleared_week: Option<DistributionJson>,
}

/// Statistics of one end use.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EndUseJson {
    pub name: String,
    /// Priority class: `defense`, `essential` or `other`.
    pub class: String,
    pub region: String,
    /// What one unit is (`aircraft`, `MW`, `motors`).
    pub unit: String,
    /// `lost` or `backlog`.
    pub unmet_demand: String,
    /// Units demanded over the horizon, mean across trials.
    pub mean_demand_units: f64,
    /// Loss per unit not built and per unit-week late, in the loss measure's unit.
    pub value_per_unit_short: f64,
    pub cost_per_unit_week_late: f64,
    pub headline: Headline,
    /// P(short or late): some demand, new or backlogged, went unmet in some week (lost, or delivered late).
    pub p_short_or_late: ProportionJson,
    /// Units not built within the horizon: lost, or (backlogged demand) still owed at its end.
    pub units_short: DistributionJson,
    /// Lost demand only: units never built (0 for backlogged demand).
    pub units_lost: DistributionJson,
    /// Units not delivered in the week they were demanded in: lost, late, or still owed.
    pub units_short_or_late: DistributionJson,
    pub share_met: DistributionJson,
    /// Weeks in which some requirement went unmet.
    pub short_weeks: DistributionJson,
    pub longest_short_run_weeks: DistributionJson,
    /// Week of the first shortfall, over the trials that were short (`null` when none was).
    pub first_short_week: Option<DistributionJson>,
    /// Week of recovery, over the trials that were short and recovered within the horizon.
    pub recovery_week: Option<DistributionJson>,
    /// Share of short trials still short at the end of the horizon.
    pub p_short_at_end: ProportionJson,
    /// Backlogged demand only: how late.
    pub delay: Option<DelayJson>,
    /// The end use's loss per trial, in the loss measure's unit.
    pub loss: DistributionJson,
}

/// Statistics of one stage.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageJson {
    pub name: String,
    pub region: String,
    /// Unit of throughput: `t` or `unit` (the unit of the stage's outputs).
    pub unit: String,
    /// Throughput over the horizon at the normal (baseline) rate.
    pub normal_throughput: f64,
    /// Throughput lost over the horizon, across trials.
    pub throughput_lost: DistributionJson,
    /// Mean over trials of the throughput the stage wanted and could have made at nameplate, `Σ min(plan,
    /// capacity before outages)`: what the lost throughput is a part of.
    #[serde(default)]
    pub wanted_throughput: f64,
    /// Mean throughput lost as a share of the mean throughput wanted, in [0, 1] (`null` for a stage that wanted
    /// none). Normal throughput does not bound the loss: demand grows and stages restock above their normal rate.
    pub mean_lost_share: Option<f64>,
}

/// Statistics of one strategic stockpile (a mitigation).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StockpileJson {
    pub name: String,
    pub material: String,
    /// Unit of the material: `t` or `unit`.
    pub unit: String,
    /// Lowest level over the horizon, across trials.
    pub min_level: DistributionJson,
    /// Total released over the horizon, across trials.
    pub released: DistributionJson,
    /// Share of trials in which it ran dry.
    pub p_ran_dry: ProportionJson,
}

/// A scenario warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningJson {
    pub code: String,
    pub key: String,
    pub message: String,
    pub help: Option<String>,
}

impl SummaryDocument {
    pub fn new(loaded: &LoadedScenario, seed: u64, summary: &RunSummary, losses: &LossSummaries) -> Self {
        let scenario = &loaded.scenario;
        let model = &scenario.model;
        let spec = model.spec();
        let weeks = spec.period_weeks;
        Self {
            schema_version: SCHEMA_VERSION,
            tool: Tool::this(),
            scenario: ScenarioHeader {
                start_date: ScenarioHeader::start_date_of(loaded),
                mitigations: Some(loaded.applied.clone()),
                ..ScenarioHeader::of(loaded)
            },
            run: RunSettings {
                seed,
                trials: summary.trials as u64,
                rng: rng_name().to_owned(),
                periods: spec.periods,
                period_weeks: weeks,
            },
            loss: LossJson { unit: scenario.loss.unit.label().to_owned(), per_trial: (&losses.per_trial).into() },
            end_uses: summary
                .end_uses
                .iter()
                .enumerate()
                .map(|(e, s)| end_use(scenario, e, s, &losses.end_uses[e], weeks))
                .collect(),
            stages: summary.stages.iter().enumerate().map(|(i, s)| stage(model, i, s)).collect(),
            stockpiles: summary.stockpiles.iter().enumerate().map(|(k, s)| stockpile(model, k, s)).collect(),
            warnings: warnings(loaded),
            worlds: None,
        }
    }
}

fn end_use(scenario: &Scenario, e: usize, s: &EndUseSummary, loss: &Summary, weeks: f64) -> EndUseJson {
    let spec = &scenario.model.spec().end_uses[e];
    let values = &scenario.end_uses[e];
    let in_weeks = |d: &Summary| DistributionJson::scaled(d, weeks);
    let delay = (spec.unmet == Unmet::Backlog).then(|| DelayJson {
        units_late: (&s.units_late).into(),
        units_owed_at_end: (&s.units_owed_at_end).into(),
        p_owed_at_end: (&s.p_owed_at_end).into(),
        mean_delay_weeks: s.mean_delay_periods.as_ref().map(in_weeks),
        pooled_mean_delay_weeks: s.pooled_mean_delay_periods.map(|x| x * weeks),
        max_delay_weeks: in_weeks(&s.max_delay_periods),
        peak_backlog_units: (&s.peak_backlog).into(),
        peak_backlog_weeks: (&s.peak_backlog_weeks).into(),
        max_delay_weeks_when_late: s.max_delay_periods_when_late.as_ref().map(in_weeks),
        peak_backlog_units_when_late: s.peak_backlog_when_late.as_ref().map(Into::into),
        peak_backlog_weeks_when_late: s.peak_backlog_weeks_when_late.as_ref().map(Into::into),
        backlog_unit_weeks: in_weeks(&s.backlog_unit_periods),
        backlog_cleared_week: s.recovery_period.as_ref().map(in_weeks),
    });
    let first_short_week = s.first_short_period.as_ref().map(in_weeks);
    let p_short_or_late = ProportionJson::from(&s.p_any_short);
    let headline = match &delay {
        Some(d) => Headline::Late {
            p: p_short_or_late,
            mean_delay_weeks: d.pooled_mean_delay_weeks,
            median_max_delay_weeks_when_late: d.max_delay_weeks_when_late.map(|x| x.p50),
            p95_max_delay_weeks_when_late: d.max_delay_weeks_when_late.map(|x| x.p95),
            p95_peak_backlog_units_when_late: d.peak_backlog_units_when_late.map(|x| x.p95),
            p95_peak_backlog_weeks_when_late: d.peak_backlog_weeks_when_late.map(|x| x.p95),
            median_backlog_cleared_week: d.backlog_cleared_week.map(|c| c.p50),
            p_owed_at_end: d.p_owed_at_end,
            median_first_late_week: first_short_week.map(|f| f.p50),
        },
        None => Headline::Short {
            p: p_short_or_late,
            mean_units_short: s.units_short.mean,
            mean_units_short_ci95: [s.units_short.ci95_low, s.units_short.ci95_high],
            p95_units_short: s.units_short.p95,
            mean_share_met: s.share_met.mean,
            median_first_short_week: first_short_week.map(|f| f.p50),
        },
    };
    EndUseJson {
        name: s.name.clone(),
        class: s.class.name().to_owned(),
        region: spec.region.clone(),
        unit: values.unit.clone(),
        unmet_demand: unmet_word(spec.unmet).to_owned(),
        mean_demand_units: s.mean_demand,
        value_per_unit_short: values.value_per_unit_short,
        cost_per_unit_week_late: values.cost_per_unit_week_late,
        headline,
        p_short_or_late,
        units_short: (&s.units_short).into(),
        units_lost: (&s.units_lost).into(),
        units_short_or_late: (&s.units_short_or_late).into(),
        share_met: (&s.share_met).into(),
        short_weeks: in_weeks(&s.short_periods),
        longest_short_run_weeks: in_weeks(&s.longest_short_run),
        first_short_week,
        recovery_week: s.recovery_period.as_ref().map(in_weeks),
        p_short_at_end: (&s.p_short_at_end).into(),
        delay,
        loss: loss.into(),
    }
}

fn stage(model: &Model, index: usize, s: &StageSummary) -> StageJson {
    StageJson {
        name: s.name.clone(),
        region: s.region.clone(),
        unit: stage_unit(model, index).to_owned(),
        normal_throughput: s.normal_throughput,
        throughput_lost: (&s.throughput_lost).into(),
        wanted_throughput: s.wanted_throughput,
        mean_lost_share: (s.wanted_throughput > 0.0).then(|| (s.throughput_lost.mean / s.wanted_throughput).min(1.0)),
    }
}

fn stockpile(model: &Model, index: usize, s: &StockpileSummary) -> StockpileJson {
    let spec = model.spec();
    let material = &spec.materials[spec.mitigations.stockpiles[index].material];
    StockpileJson {
        name: s.name.clone(),
        material: material.name.clone(),
        unit: unit_name(material.unit).to_owned(),
        min_level: (&s.min_level).into(),
        released: (&s.released).into(),
        p_ran_dry: (&s.p_ran_dry).into(),
    }
}

/// The scenario's warnings, in the order the parser reported them.
pub fn warnings(loaded: &LoadedScenario) -> Vec<WarningJson> {
    loaded
        .scenario
        .warnings
        .iter()
        .map(|w| WarningJson {
            code: w.code.to_owned(),
            key: w.key.clone(),
            message: w.message.clone(),
            help: w.help.clone(),
        })
        .collect()
}

/// Pretty JSON with a final newline.
pub fn to_json_text<T: Serialize>(value: &T) -> anyhow::Result<String> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_back_from_json_are_the_numbers_written() {
        // `batch`, `check` and `report` read summary.json back: each number must be the one the run wrote, bit for
        // bit. serde_json's default parser reads these one ulp off; its `float_roundtrip` feature does not.
        for x in [958_787.270_229_118_9, 948_157.035_989_573_3, 419_528.202_848_458_84, 199_539.536_497_844_62_f64] {
            let text = serde_json::to_string(&x).unwrap();
            let back: f64 = serde_json::from_str(&text).unwrap();
            assert_eq!(back.to_bits(), x.to_bits(), "{text} read back as {back:?}");
        }
    }

    #[test]
    fn rng_name_is_the_engines_generator() {
        let full = std::any::type_name::<chokepoint_engine::rng::Stream>();
        assert_eq!(full.rsplit("::").next(), Some(rng_name()));
    }

    #[test]
    fn scaling_changes_units_but_not_the_count() {
        let mut values = [1.0, 2.0, 3.0, 4.0];
        let s = chokepoint_engine::stats::summarize(&mut values);
        let d = DistributionJson::scaled(&s, 52.0 / 12.0);
        assert_eq!(d.n, 4);
        assert!((d.mean - 2.5 * 52.0 / 12.0).abs() < 1e-12);
        assert!((d.max - 4.0 * 52.0 / 12.0).abs() < 1e-12);
    }

    #[test]
    fn missing_values_serialise_as_null_and_read_back_as_nan() {
        let p = ProportionJson::from(&Proportion::new(0, 0));
        let text = serde_json::to_string(&p).unwrap();
        assert_eq!(text, r#"{"k":0,"n":0,"p":null,"ci95_low":null,"ci95_high":null}"#);
        let back: ProportionJson = serde_json::from_str(&text).unwrap();
        assert!(back.p.is_nan() && back.ci95_low.is_nan());
    }
}
