//! The machine-readable summary of a run (`summary.json`, and stdout with `--format json`).
//!
//! The engine has no serde, so its summaries are mirrored here by plain serialisable structs. Durations are
//! converted from periods to weeks (`periods x period_weeks`), so the document reads the same for weekly and
//! monthly scenarios. Nothing here depends on the machine, the thread count or the clock: for one scenario,
//! seed, trial count and tool version the document is byte-for-byte the same. Run metadata that does vary
//! (wall time, timestamp, threads) lives in `run.json`.

use chokepoint_engine::report::{EndUseSummary, RunSummary, StageSummary, StockpileSummary};
use chokepoint_engine::stats::{Proportion, Summary};
use chokepoint_engine::{Model, Unit, Unmet};
use serde::Serialize;

use crate::scenario_source::LoadedScenario;

/// Version of the layout of `summary.json` and `run.json`; bumped when a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;

/// The name of the generator each random process draws from (see the engine's `rng` module).
pub fn rng_name() -> &'static str {
    chokepoint_engine::rng::RNG_NAME
}

/// How a trial's streams are derived from the run's seed.
pub const RNG_SEEDING: &str = chokepoint_engine::rng::RNG_SEEDING;

/// The whole summary document.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryDocument {
    pub schema_version: u32,
    pub tool: Tool,
    pub scenario: ScenarioIdentity,
    pub run: RunSettings,
    pub end_uses: Vec<EndUseJson>,
    pub stages: Vec<StageJson>,
    pub stockpiles: Vec<StockpileJson>,
    pub warnings: Vec<WarningJson>,
}

/// The tool that produced an output.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Tool {
    pub fn this() -> Self {
        Self { name: env!("CARGO_PKG_NAME"), version: env!("CARGO_PKG_VERSION") }
    }
}

/// Which scenario ran: its name and the digest of its bytes.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioIdentity {
    pub name: String,
    /// SHA-256 of the scenario file's bytes, lowercase hex.
    pub sha256: String,
}

/// The settings that determine the numbers.
#[derive(Debug, Clone, Serialize)]
pub struct RunSettings {
    pub seed: u64,
    pub trials: u64,
    pub rng: &'static str,
    pub periods: usize,
    pub period_weeks: f64,
}

/// Distribution of one metric across trials (the engine's `stats::Summary`).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct DistributionJson {
    /// Number of trials the statistics are over.
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub se: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    pub min: f64,
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    pub cvar95: f64,
}

impl DistributionJson {
    /// The summary with every value multiplied by `factor` (positive): a change of unit. Each statistic is
    /// linear in the data, so scaling the statistics equals summarising the scaled data.
    fn scaled(s: &Summary, factor: f64) -> Self {
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
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ProportionJson {
    pub k: usize,
    pub n: usize,
    pub p: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
}

impl From<&Proportion> for ProportionJson {
    fn from(p: &Proportion) -> Self {
        Self { k: p.k, n: p.n, p: p.p, ci95_low: p.ci95_low, ci95_high: p.ci95_high }
    }
}

/// Statistics of one end use.
#[derive(Debug, Clone, Serialize)]
pub struct EndUseJson {
    pub name: String,
    /// Priority class: `defense`, `essential` or `other`.
    pub class: &'static str,
    pub region: String,
    /// `lost` or `backlog`.
    pub unmet_demand: &'static str,
    /// Units demanded over the horizon, mean across trials.
    pub mean_demand_units: f64,
    pub units_short: DistributionJson,
    pub share_met: DistributionJson,
    pub short_weeks: DistributionJson,
    pub longest_short_run_weeks: DistributionJson,
    pub p_any_short: ProportionJson,
    /// Week of the first shortfall, over the trials that were short (`null` when none was).
    pub first_short_week: Option<DistributionJson>,
    /// Week of recovery, over the trials that were short and recovered within the horizon.
    pub recovery_week: Option<DistributionJson>,
    /// Share of short trials still short at the end of the horizon.
    pub p_short_at_end: ProportionJson,
}

/// Statistics of one stage.
#[derive(Debug, Clone, Serialize)]
pub struct StageJson {
    pub name: String,
    pub region: String,
    /// Unit of throughput: `t` or `unit` (the unit of the stage's outputs).
    pub unit: &'static str,
    /// Throughput over the horizon at the normal (baseline) rate.
    pub normal_throughput: f64,
    /// Throughput lost over the horizon, across trials.
    pub throughput_lost: DistributionJson,
    /// Mean throughput lost as a share of normal throughput (`null` for a stage with no normal throughput).
    pub mean_lost_share: Option<f64>,
}

/// Statistics of one strategic stockpile (a mitigation).
#[derive(Debug, Clone, Serialize)]
pub struct StockpileJson {
    pub name: String,
    pub material: String,
    /// Unit of the material: `t` or `unit`.
    pub unit: &'static str,
    /// Lowest level over the horizon, across trials.
    pub min_level: DistributionJson,
    /// Total released over the horizon, across trials.
    pub released: DistributionJson,
    /// Share of trials in which it ran dry.
    pub p_ran_dry: ProportionJson,
}

/// A scenario warning.
#[derive(Debug, Clone, Serialize)]
pub struct WarningJson {
    pub code: &'static str,
    pub key: String,
    pub message: String,
    pub help: Option<String>,
}

impl SummaryDocument {
    pub fn new(loaded: &LoadedScenario, seed: u64, summary: &RunSummary) -> Self {
        let model = &loaded.scenario.model;
        let spec = model.spec();
        let weeks = spec.period_weeks;
        Self {
            schema_version: SCHEMA_VERSION,
            tool: Tool::this(),
            scenario: ScenarioIdentity { name: loaded.scenario.name.clone(), sha256: loaded.sha256.clone() },
            run: RunSettings {
                seed,
                trials: summary.trials as u64,
                rng: rng_name(),
                periods: spec.periods,
                period_weeks: weeks,
            },
            end_uses: summary.end_uses.iter().zip(&spec.end_uses).map(|(s, eu)| end_use(s, eu, weeks)).collect(),
            stages: summary.stages.iter().enumerate().map(|(i, s)| stage(model, i, s)).collect(),
            stockpiles: summary.stockpiles.iter().enumerate().map(|(k, s)| stockpile(model, k, s)).collect(),
            warnings: warnings(loaded),
        }
    }
}

fn end_use(s: &EndUseSummary, spec: &chokepoint_engine::EndUseSpec, weeks: f64) -> EndUseJson {
    EndUseJson {
        name: s.name.clone(),
        class: s.class.name(),
        region: spec.region.clone(),
        unmet_demand: match spec.unmet {
            Unmet::Lost => "lost",
            Unmet::Backlog => "backlog",
        },
        mean_demand_units: s.mean_demand,
        units_short: (&s.units_short).into(),
        share_met: (&s.share_met).into(),
        short_weeks: DistributionJson::scaled(&s.short_periods, weeks),
        longest_short_run_weeks: DistributionJson::scaled(&s.longest_short_run, weeks),
        p_any_short: (&s.p_any_short).into(),
        first_short_week: s.first_short_period.as_ref().map(|d| DistributionJson::scaled(d, weeks)),
        recovery_week: s.recovery_period.as_ref().map(|d| DistributionJson::scaled(d, weeks)),
        p_short_at_end: (&s.p_short_at_end).into(),
    }
}

/// The unit a stage's throughput is counted in: that of its (first) output.
pub fn stage_unit(model: &Model, stage: usize) -> &'static str {
    let spec = model.spec();
    unit_name(spec.stages[stage].outputs.first().map_or(Unit::Tonne, |&(m, _)| spec.materials[m].unit))
}

fn stage(model: &Model, index: usize, s: &StageSummary) -> StageJson {
    StageJson {
        name: s.name.clone(),
        region: s.region.clone(),
        unit: stage_unit(model, index),
        normal_throughput: s.normal_throughput,
        throughput_lost: (&s.throughput_lost).into(),
        mean_lost_share: (s.normal_throughput > 0.0).then(|| s.throughput_lost.mean / s.normal_throughput),
    }
}

fn stockpile(model: &Model, index: usize, s: &StockpileSummary) -> StockpileJson {
    let spec = model.spec();
    let material = &spec.materials[spec.mitigations.stockpiles[index].material];
    StockpileJson {
        name: s.name.clone(),
        material: material.name.clone(),
        unit: unit_name(material.unit),
        min_level: (&s.min_level).into(),
        released: (&s.released).into(),
        p_ran_dry: (&s.p_ran_dry).into(),
    }
}

/// The name of a unit in outputs.
fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Tonne => "t",
        Unit::Item => "unit",
    }
}

/// The scenario's warnings, in the order the parser reported them.
pub fn warnings(loaded: &LoadedScenario) -> Vec<WarningJson> {
    loaded
        .scenario
        .warnings
        .iter()
        .map(|w| WarningJson { code: w.code, key: w.key.clone(), message: w.message.clone(), help: w.help.clone() })
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
    fn missing_values_serialise_as_null() {
        let p = ProportionJson::from(&Proportion::new(0, 0));
        let text = serde_json::to_string(&p).unwrap();
        assert_eq!(text, r#"{"k":0,"n":0,"p":null,"ci95_low":null,"ci95_high":null}"#);
    }
}
