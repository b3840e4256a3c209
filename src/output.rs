//! The files of a run, built as polars DataFrames and written through [`StagedFiles`] (all or nothing).
//!
//! Per-trial tables are long and can be large (10,000,000 trials x every end use or stage), so their rows are
//! built here one batch of trials and one end use (stage, stockpile) at a time, straight from the engine's arrays,
//! and `trial_files` streams them out as the batches finish, one Parquet row group each: memory stays at one batch
//! whatever the number of trials. `docs/output-schema.md` describes every column.

use std::io::Write;
use std::ops::Range;

use anyhow::Context;
use chokepoint_engine::outcome::EndUseOutcome;
use chokepoint_engine::report::{BACKLOG_BAND_QUANTILES, BAND_QUANTILES, RunSummary};
use chokepoint_engine::{Model, RunResults, Unmet};
use chokepoint_scenario::Scenario;
use polars::prelude::*;

use crate::staged_files::StagedFiles;
use crate::summary_json::{DistributionJson, ProportionJson, SummaryDocument, to_json_text, unmet_word};

pub const TRIALS_FILE: &str = "trials.parquet";
pub const STAGE_LOSSES_FILE: &str = "stage_losses.parquet";
pub const STOCKPILES_FILE: &str = "stockpiles.parquet";
pub const BANDS_FILE: &str = "bands.parquet";
pub const BACKLOG_BANDS_FILE: &str = "backlog_bands.parquet";
pub const SUMMARY_CSV_FILE: &str = "summary.csv";
pub const SUMMARY_JSON_FILE: &str = "summary.json";
pub const RUN_JSON_FILE: &str = "run.json";

/// Rows per batch (and per Parquet row group) of the per-trial tables of `compare`.
const BATCH_ROWS: usize = 1 << 17;

pub(crate) fn schema(columns: &[(&str, DataType)]) -> Schema {
    columns.iter().map(|(name, dtype)| (PlSmallStr::from(*name), dtype.clone())).collect()
}

/// Columns of `trials.parquet`.
pub fn trials_schema() -> Schema {
    use DataType::{Boolean, Float64, String, UInt64};
    schema(&[
        ("trial", UInt64),
        ("end_use", String),
        ("unit", String),
        ("unmet_demand", String),
        ("short_or_late", Boolean),
        ("demand", Float64),
        ("built", Float64),
        ("units_short", Float64),
        ("units_lost", Float64),
        ("units_late", Float64),
        ("units_owed_at_end", Float64),
        ("units_short_or_late", Float64),
        ("share_met", Float64),
        ("short_weeks", Float64),
        ("longest_short_run_weeks", Float64),
        ("first_short_week", Float64),
        ("recovery_week", Float64),
        ("mean_delay_weeks", Float64),
        ("max_delay_weeks", Float64),
        ("peak_backlog_units", Float64),
        ("peak_backlog_weeks", Float64),
        ("backlog_unit_weeks", Float64),
        ("loss", Float64),
    ])
}

/// Columns of `stage_losses.parquet`.
pub fn stage_losses_schema() -> Schema {
    schema(&[("trial", DataType::UInt64), ("stage", DataType::String), ("throughput_lost", DataType::Float64)])
}

/// Columns of `stockpiles.parquet`.
pub fn stockpiles_schema() -> Schema {
    use DataType::{Float64, String, UInt64};
    schema(&[("trial", UInt64), ("stockpile", String), ("min_level", Float64), ("released", Float64)])
}

/// Columns of `bands.parquet`.
pub fn bands_schema() -> Schema {
    use DataType::{Float64, String, UInt32};
    schema(&[
        ("end_use", String),
        ("period", UInt32),
        ("week", Float64),
        ("p5", Float64),
        ("p25", Float64),
        ("p50", Float64),
        ("p75", Float64),
        ("p95", Float64),
        ("mean", Float64),
    ])
}

pub(crate) fn parquet<W: Write>(w: W, schema: &Schema) -> PolarsResult<polars::io::parquet::write::BatchedWriter<W>> {
    ParquetWriter::new(w).with_compression(ParquetCompression::Zstd(None)).batched(schema)
}

/// Where a per-trial Parquet file's rows come from, recorded in its key-value metadata (`chokepoint.scenario`,
/// `chokepoint.scenario_sha256`, `chokepoint.seed`, `chokepoint.trials`, `chokepoint.version`), so that the file
/// alone says which run made it, and how its rows are laid out (`chokepoint.trials_from`, `chokepoint.trials_to`,
/// `chokepoint.batch_trials`: see `trial_files`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    pub scenario: String,
    pub scenario_sha256: String,
    pub seed: u64,
    /// Trials of the whole run (of which a shard holds a part).
    pub trials: u64,
    /// The trials whose rows the file holds, `trials_from .. trials_to` (the whole run but for a shard).
    pub trials_from: u64,
    pub trials_to: u64,
    /// Trials per batch of rows.
    pub batch_trials: u64,
}

impl Provenance {
    /// The key-value pairs written, in this order.
    pub fn key_values(&self) -> Vec<(String, String)> {
        [
            ("chokepoint.scenario", self.scenario.clone()),
            ("chokepoint.scenario_sha256", self.scenario_sha256.clone()),
            ("chokepoint.seed", self.seed.to_string()),
            ("chokepoint.trials", self.trials.to_string()),
            ("chokepoint.version", env!("CARGO_PKG_VERSION").to_owned()),
            ("chokepoint.trials_from", self.trials_from.to_string()),
            ("chokepoint.trials_to", self.trials_to.to_string()),
            ("chokepoint.batch_trials", self.batch_trials.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}

/// A batched Parquet writer whose file carries `provenance` in its key-value metadata.
pub(crate) fn parquet_with<W: Write>(
    w: W,
    schema: &Schema,
    provenance: &Provenance,
) -> PolarsResult<polars::io::parquet::write::BatchedWriter<W>> {
    ParquetWriter::new(w)
        .with_compression(ParquetCompression::Zstd(None))
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(provenance.key_values())))
        .batched(schema)
}

/// Trial ranges of at most `BATCH_ROWS` trials.
pub(crate) fn batches(trials: usize) -> impl Iterator<Item = Range<usize>> {
    (0..trials).step_by(BATCH_ROWS).map(move |start| start..(start + BATCH_ROWS).min(trials))
}

/// The `trial` column of rows for trials `trials` (global trial indices).
pub(crate) fn trial_column(trials: Range<u64>) -> Column {
    Column::new("trial".into(), trials.collect::<Vec<u64>>())
}

pub(crate) fn label_column(name: &str, value: &str, len: usize) -> Column {
    StringChunked::full(name.into(), value, len).into_column()
}

/// The rows of `trials.parquet` for end use `e` in one batch: `results` holds trials `first_trial ..`, and `losses`
/// the end use's loss in each of them.
pub fn trials_frame(
    scenario: &Scenario,
    e: usize,
    first_trial: u64,
    results: &RunResults,
    losses: &[f64],
) -> anyhow::Result<DataFrame> {
    let spec = scenario.model.spec();
    let weeks = spec.period_weeks;
    let end_use = &spec.end_uses[e];
    let n = results.trials;
    let outcomes: Vec<&EndUseOutcome> = results.end_use(e).collect();
    let f64s = |name: &str, f: &dyn Fn(&EndUseOutcome) -> f64| {
        Column::new(name.into(), outcomes.iter().map(|o| f(o)).collect::<Vec<f64>>())
    };
    let optional = |name: &str, f: &dyn Fn(&EndUseOutcome) -> Option<f64>| {
        Column::new(name.into(), outcomes.iter().map(|o| f(o)).collect::<Vec<Option<f64>>>())
    };
    let backlog = end_use.unmet == Unmet::Backlog;
    // Delay columns are null for lost demand, which is never late.
    let delay = |name: &str, f: &dyn Fn(&EndUseOutcome) -> f64| optional(name, &|o| backlog.then(|| f(o)));
    let columns = vec![
        trial_column(first_trial..first_trial + n as u64),
        label_column("end_use", &end_use.name, n),
        label_column("unit", &scenario.end_uses[e].unit, n),
        label_column("unmet_demand", unmet_word(end_use.unmet), n),
        Column::new("short_or_late".into(), outcomes.iter().map(|o| o.any_shortfall()).collect::<Vec<bool>>()),
        f64s("demand", &|o| o.demand),
        f64s("built", &|o| o.built),
        f64s("units_short", &|o| o.units_short),
        f64s("units_lost", &|o| o.units_lost),
        f64s("units_late", &|o| o.units_late),
        f64s("units_owed_at_end", &|o| o.units_owed_at_end),
        f64s("units_short_or_late", &|o| o.units_short_or_late()),
        f64s("share_met", &|o| o.share_met),
        f64s("short_weeks", &|o| f64::from(o.short_periods) * weeks),
        f64s("longest_short_run_weeks", &|o| f64::from(o.longest_short_run) * weeks),
        optional("first_short_week", &|o| o.first_short_period.map(|p| f64::from(p) * weeks)),
        optional("recovery_week", &|o| o.recovery_period.map(|p| f64::from(p) * weeks)),
        optional("mean_delay_weeks", &|o| o.mean_delay_periods().map(|p| p * weeks)),
        delay("max_delay_weeks", &|o| f64::from(o.max_delay_periods) * weeks),
        delay("peak_backlog_units", &|o| o.peak_backlog),
        delay("peak_backlog_weeks", &|o| o.peak_backlog_weeks),
        delay("backlog_unit_weeks", &|o| o.backlog_unit_periods * weeks),
        Column::new("loss".into(), losses.to_vec()),
    ];
    Ok(DataFrame::new(n, columns)?)
}

/// The rows of `stage_losses.parquet` for stage `s` in one batch (`results` holds trials `first_trial ..`).
pub fn stage_losses_frame(model: &Model, s: usize, first_trial: u64, results: &RunResults) -> anyhow::Result<DataFrame> {
    let n = results.trials;
    let columns = vec![
        trial_column(first_trial..first_trial + n as u64),
        label_column("stage", &model.spec().stages[s].name, n),
        Column::new("throughput_lost".into(), results.stage_lost(s).collect::<Vec<f64>>()),
    ];
    Ok(DataFrame::new(n, columns)?)
}

/// The rows of `stockpiles.parquet` for stockpile `k` in one batch (`results` holds trials `first_trial ..`).
pub fn stockpiles_frame(model: &Model, k: usize, first_trial: u64, results: &RunResults) -> anyhow::Result<DataFrame> {
    let n = results.trials;
    let columns = vec![
        trial_column(first_trial..first_trial + n as u64),
        label_column("stockpile", &model.spec().mitigations.stockpiles[k].name, n),
        Column::new("min_level".into(), results.stockpile_min(k).collect::<Vec<f64>>()),
        Column::new("released".into(), results.stockpile_released(k).collect::<Vec<f64>>()),
    ];
    Ok(DataFrame::new(n, columns)?)
}

/// Writes `bands.parquet`: fan-chart quantiles of the weekly share of requirement met, per end use and period.
pub fn write_bands<W: Write>(w: W, summary: &RunSummary, period_weeks: f64) -> anyhow::Result<()> {
    let rows: usize = summary.bands.iter().map(|b| b.quantiles.len()).sum();
    let mut end_use = Vec::with_capacity(rows);
    let mut period = Vec::with_capacity(rows);
    let mut week = Vec::with_capacity(rows);
    let mut quantiles: [Vec<f64>; 5] = Default::default();
    let mut mean = Vec::with_capacity(rows);
    for band in &summary.bands {
        for (j, (q, m)) in band.quantiles.iter().zip(&band.mean).enumerate() {
            // Every period, or every `period_stride`-th on a very long horizon.
            let t = j * band.period_stride;
            end_use.push(band.end_use.as_str());
            period.push(u32::try_from(t).context("too many periods")?);
            week.push(t as f64 * period_weeks);
            for (column, value) in quantiles.iter_mut().zip(q) {
                column.push(*value);
            }
            mean.push(*m);
        }
    }
    debug_assert_eq!(BAND_QUANTILES, [0.05, 0.25, 0.50, 0.75, 0.95]);
    let [p5, p25, p50, p75, p95] = quantiles;
    let columns = vec![
        Column::new("end_use".into(), end_use),
        Column::new("period".into(), period),
        Column::new("week".into(), week),
        Column::new("p5".into(), p5),
        Column::new("p25".into(), p25),
        Column::new("p50".into(), p50),
        Column::new("p75".into(), p75),
        Column::new("p95".into(), p95),
        Column::new("mean".into(), mean),
    ];
    let df = DataFrame::new(rows, columns)?;
    let mut writer = parquet(w, &bands_schema())?;
    writer.write_batch(&df)?;
    writer.finish()?;
    Ok(())
}

/// Columns of `backlog_bands.parquet`.
pub fn backlog_bands_schema() -> Schema {
    use DataType::{Float64, String, UInt32};
    schema(&[
        ("end_use", String),
        ("period", UInt32),
        ("week", Float64),
        ("p_backlog", Float64),
        ("p5", Float64),
        ("p25", Float64),
        ("p50", Float64),
        ("p75", Float64),
        ("p95", Float64),
        ("p99", Float64),
    ])
}

/// Writes `backlog_bands.parquet`: quantiles of the backlog, in weeks of normal demand, per backlogged end use
/// and period (no rows when the scenario has no backlogged end use).
pub fn write_backlog_bands<W: Write>(w: W, summary: &RunSummary, period_weeks: f64) -> anyhow::Result<()> {
    let rows: usize = summary.backlog_bands.iter().map(|b| b.quantiles.len()).sum();
    let mut end_use = Vec::with_capacity(rows);
    let mut period = Vec::with_capacity(rows);
    let mut week = Vec::with_capacity(rows);
    let mut p_backlog = Vec::with_capacity(rows);
    let mut quantiles: [Vec<f64>; 6] = Default::default();
    for band in &summary.backlog_bands {
        for (j, (q, p)) in band.quantiles.iter().zip(&band.p_backlog).enumerate() {
            let t = j * band.period_stride;
            end_use.push(band.end_use.as_str());
            period.push(u32::try_from(t).context("too many periods")?);
            week.push(t as f64 * period_weeks);
            p_backlog.push(*p);
            for (column, value) in quantiles.iter_mut().zip(q) {
                column.push(*value);
            }
        }
    }
    debug_assert_eq!(BACKLOG_BAND_QUANTILES, [0.05, 0.25, 0.50, 0.75, 0.95, 0.99]);
    let [p5, p25, p50, p75, p95, p99] = quantiles;
    let columns = vec![
        Column::new("end_use".into(), end_use),
        Column::new("period".into(), period),
        Column::new("week".into(), week),
        Column::new("p_backlog".into(), p_backlog),
        Column::new("p5".into(), p5),
        Column::new("p25".into(), p25),
        Column::new("p50".into(), p50),
        Column::new("p75".into(), p75),
        Column::new("p95".into(), p95),
        Column::new("p99".into(), p99),
    ];
    let df = DataFrame::new(rows, columns)?;
    let mut writer = parquet(w, &backlog_bands_schema())?;
    writer.write_batch(&df)?;
    writer.finish()?;
    Ok(())
}

/// One row of `summary.csv`.
struct SummaryRow<'a> {
    entity: &'static str,
    name: &'a str,
    metric: &'static str,
    unit: &'a str,
    n: u64,
    /// `mean, sd, se, ci95_low, ci95_high, min, p5, p50, p95, p99, max, cvar95`.
    stats: [Option<f64>; 12],
}

const STAT_COLUMNS: [&str; 12] =
    ["mean", "sd", "se", "ci95_low", "ci95_high", "min", "p5", "p50", "p95", "p99", "max", "cvar95"];

impl<'a> SummaryRow<'a> {
    fn distribution(
        entity: &'static str,
        name: &'a str,
        metric: &'static str,
        unit: &'a str,
        d: Option<&DistributionJson>,
    ) -> Self {
        let stats = match d {
            Some(d) => [d.mean, d.sd, d.se, d.ci95_low, d.ci95_high, d.min, d.p5, d.p50, d.p95, d.p99, d.max, d.cvar95]
                .map(|x| x.is_finite().then_some(x)),
            None => [None; 12],
        };
        Self { entity, name, metric, unit, n: d.map_or(0, |d| d.n as u64), stats }
    }

    fn proportion(entity: &'static str, name: &'a str, metric: &'static str, p: &ProportionJson) -> Self {
        let mut stats = [None; 12];
        stats[0] = p.p.is_finite().then_some(p.p);
        stats[3] = p.ci95_low.is_finite().then_some(p.ci95_low);
        stats[4] = p.ci95_high.is_finite().then_some(p.ci95_high);
        Self { entity, name, metric, unit: "probability", n: p.n as u64, stats }
    }
}

/// Writes `summary.csv`: one row per end use or stage and metric, with the distribution's statistics in
/// columns (proportions fill `mean`, `ci95_low` and `ci95_high` only).
pub fn write_summary_csv<W: Write>(w: W, doc: &SummaryDocument) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    for e in &doc.end_uses {
        let d =
            |metric, unit, d: Option<&DistributionJson>| SummaryRow::distribution("end_use", &e.name, metric, unit, d);
        rows.push(SummaryRow::proportion("end_use", &e.name, "p_short_or_late", &e.p_short_or_late));
        rows.push(d("units_short", &e.unit, Some(&e.units_short)));
        rows.push(d("units_lost", &e.unit, Some(&e.units_lost)));
        rows.push(d("units_short_or_late", &e.unit, Some(&e.units_short_or_late)));
        rows.push(d("share_met", "fraction", Some(&e.share_met)));
        rows.push(d("short_weeks", "weeks", Some(&e.short_weeks)));
        rows.push(d("longest_short_run_weeks", "weeks", Some(&e.longest_short_run_weeks)));
        rows.push(d("first_short_week", "week", e.first_short_week.as_ref()));
        rows.push(d("recovery_week", "week", e.recovery_week.as_ref()));
        rows.push(SummaryRow::proportion("end_use", &e.name, "p_short_at_end", &e.p_short_at_end));
        if let Some(delay) = &e.delay {
            rows.push(d("units_late", &e.unit, Some(&delay.units_late)));
            rows.push(d("units_owed_at_end", &e.unit, Some(&delay.units_owed_at_end)));
            rows.push(SummaryRow::proportion("end_use", &e.name, "p_owed_at_end", &delay.p_owed_at_end));
            rows.push(d("mean_delay_weeks", "weeks", delay.mean_delay_weeks.as_ref()));
            rows.push(d("max_delay_weeks", "weeks", Some(&delay.max_delay_weeks)));
            rows.push(d("peak_backlog_units", &e.unit, Some(&delay.peak_backlog_units)));
            rows.push(d("peak_backlog_weeks", "weeks of demand", Some(&delay.peak_backlog_weeks)));
            rows.push(d("backlog_unit_weeks", "unit-weeks", Some(&delay.backlog_unit_weeks)));
            rows.push(d("backlog_cleared_week", "week", delay.backlog_cleared_week.as_ref()));
        }
        rows.push(d("loss", &doc.loss.unit, Some(&e.loss)));
    }
    rows.push(SummaryRow::distribution("run", &doc.scenario.name, "loss", &doc.loss.unit, Some(&doc.loss.per_trial)));
    for s in &doc.stages {
        rows.push(SummaryRow::distribution("stage", &s.name, "throughput_lost", &s.unit, Some(&s.throughput_lost)));
    }
    for s in &doc.stockpiles {
        rows.push(SummaryRow::distribution("stockpile", &s.name, "min_level", &s.unit, Some(&s.min_level)));
        rows.push(SummaryRow::distribution("stockpile", &s.name, "released", &s.unit, Some(&s.released)));
        rows.push(SummaryRow::proportion("stockpile", &s.name, "p_ran_dry", &s.p_ran_dry));
    }
    let mut columns = vec![
        Column::new("entity".into(), rows.iter().map(|r| r.entity).collect::<Vec<_>>()),
        Column::new("name".into(), rows.iter().map(|r| r.name).collect::<Vec<_>>()),
        Column::new("metric".into(), rows.iter().map(|r| r.metric).collect::<Vec<_>>()),
        Column::new("unit".into(), rows.iter().map(|r| r.unit).collect::<Vec<_>>()),
        Column::new("n".into(), rows.iter().map(|r| r.n).collect::<Vec<_>>()),
    ];
    for (k, name) in STAT_COLUMNS.iter().enumerate() {
        columns.push(Column::new((*name).into(), rows.iter().map(|r| r.stats[k]).collect::<Vec<_>>()));
    }
    let mut df = DataFrame::new(rows.len(), columns)?;
    CsvWriter::new(w).include_header(true).finish(&mut df)?;
    Ok(())
}

/// Writes `text` as file `name`.
pub fn write_text(files: &mut StagedFiles, name: &str, text: &str) -> anyhow::Result<()> {
    files.write(name, |w| Ok(w.write_all(text.as_bytes())?))
}

/// Writes `value` as pretty JSON to file `name`.
pub fn write_json<T: serde::Serialize>(files: &mut StagedFiles, name: &str, value: &T) -> anyhow::Result<()> {
    write_text(files, name, &to_json_text(value)?)
}
