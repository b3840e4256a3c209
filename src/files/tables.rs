//! The files of a run, written through [`StagedFiles`] (all or nothing): the tables of `chokepoint-tables`
//! (which says which columns each file has) converted to polars DataFrames and written as Parquet or CSV.
//!
//! Per-trial tables are long and can be large (10,000,000 trials x every end use or stage), so their rows are
//! built here one batch of trials and one end use (stage, stockpile) at a time, straight from the engine's arrays,
//! and `files::trials` streams them out as the batches finish, one Parquet row group each: memory stays at two
//! batches (one written while the next runs) whatever the number of trials. `docs/output-schema.md` describes every column.

use std::io::Write;
use std::ops::Range;

use chokepoint_engine::report::RunSummary;
use chokepoint_engine::{Model, RunResults};
use chokepoint_scenario::Scenario;
use chokepoint_tables::{self as tables, ColumnType, Table, Values};
use polars::prelude::*;

use crate::documents::header::{RunHeader, ScenarioHeader};
use crate::documents::summary::to_json_text;
use crate::files::staged::StagedFiles;
use crate::files::trial_summary::LossSummaries;

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

/// The polars schema of a table's columns.
fn polars_schema(columns: chokepoint_tables::Schema) -> Schema {
    let owned: Vec<(&str, DataType)> = columns.iter().map(|(name, ty)| (*name, dtype(*ty))).collect();
    schema(&owned)
}

fn dtype(ty: ColumnType) -> DataType {
    match ty {
        ColumnType::Bool => DataType::Boolean,
        ColumnType::U32 => DataType::UInt32,
        ColumnType::U64 => DataType::UInt64,
        ColumnType::F64 => DataType::Float64,
        ColumnType::Text => DataType::String,
    }
}

/// Columns of `trials.parquet`.
pub fn trials_schema() -> Schema {
    polars_schema(tables::TRIALS)
}

/// Columns of `stage_losses.parquet`.
pub fn stage_losses_schema() -> Schema {
    polars_schema(tables::STAGE_LOSSES)
}

/// Columns of `stockpiles.parquet`.
pub fn stockpiles_schema() -> Schema {
    polars_schema(tables::STOCKPILES)
}

/// Columns of `bands.parquet`.
pub fn bands_schema() -> Schema {
    polars_schema(tables::BANDS)
}

/// Columns of `backlog_bands.parquet`.
pub fn backlog_bands_schema() -> Schema {
    polars_schema(tables::BACKLOG_BANDS)
}

/// `table` as a DataFrame, its columns moved rather than copied.
pub fn frame(table: Table) -> PolarsResult<DataFrame> {
    let rows = table.rows();
    let columns = table
        .into_columns()
        .into_iter()
        .map(|c| {
            let name = PlSmallStr::from(c.name);
            match c.values {
                Values::Bool(v) => Column::new(name, v),
                Values::U32(v) => Column::new(name, v),
                Values::U64(v) => Column::new(name, v),
                Values::F64(v) => Column::new(name, v),
                Values::OptionalF64(v) => Column::new(name, v),
                Values::OptionalU64(v) => Column::new(name, v),
                Values::Text(v) => Column::new(name, v),
                Values::OptionalText(v) => Column::new(name, v),
                Values::Repeated(value) => StringChunked::full(name, &value, rows).into_column(),
            }
        })
        .collect();
    DataFrame::new(rows, columns)
}

pub(crate) fn parquet<W: Write>(w: W, schema: &Schema) -> PolarsResult<polars::io::parquet::write::BatchedWriter<W>> {
    ParquetWriter::new(w).with_compression(ParquetCompression::Zstd(None)).batched(schema)
}

/// Where a per-trial Parquet file's rows come from, recorded in its key-value metadata (`chokepoint.scenario`,
/// `chokepoint.scenario_sha256`, `chokepoint.seed`, `chokepoint.trials`, `chokepoint.version`), so that the file
/// alone says which run made it, and how its rows are laid out (`chokepoint.trials_from`, `chokepoint.trials_to`,
/// `chokepoint.batch_trials`: see `files::trials`).
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
        let mut pairs = Origin {
            scenario: &self.scenario,
            scenario_sha256: &self.scenario_sha256,
            seed: self.seed,
            trials: self.trials,
        }
        .key_values();
        let layout = [
            ("chokepoint.trials_from", self.trials_from.to_string()),
            ("chokepoint.trials_to", self.trials_to.to_string()),
            ("chokepoint.batch_trials", self.batch_trials.to_string()),
        ];
        pairs.extend(layout.into_iter().map(|(k, v)| (k.to_owned(), v)));
        pairs
    }
}

/// Which run made a file, recorded in a Parquet file's key-value metadata (`chokepoint.scenario`,
/// `chokepoint.scenario_sha256`, `chokepoint.seed`, `chokepoint.trials`, `chokepoint.version`): the per-trial
/// files' [`Provenance`] begins with it, and the files of a study (`sweep.parquet`, `tornado.parquet`,
/// `sobol.parquet`, `portfolios.parquet`, `worlds.parquet`, `flows.parquet`) carry it alone, `trials` being the
/// trials of each run the study made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin<'a> {
    pub scenario: &'a str,
    pub scenario_sha256: &'a str,
    pub seed: u64,
    pub trials: u64,
}

impl<'a> Origin<'a> {
    /// The origin a study's document records in its `scenario` and `run` headers.
    pub fn of(scenario: &'a ScenarioHeader, run: &RunHeader) -> Self {
        Self { scenario: &scenario.name, scenario_sha256: &scenario.sha256, seed: run.seed, trials: run.trials }
    }

    /// The key-value pairs written, in this order.
    pub fn key_values(&self) -> Vec<(String, String)> {
        [
            ("chokepoint.scenario", self.scenario.to_owned()),
            ("chokepoint.scenario_sha256", self.scenario_sha256.to_owned()),
            ("chokepoint.seed", self.seed.to_string()),
            ("chokepoint.trials", self.trials.to_string()),
            ("chokepoint.version", env!("CARGO_PKG_VERSION").to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}

/// Writes `frame` as one zstd-compressed Parquet file whose key-value metadata says which run made it.
pub(crate) fn write_parquet_from<W: Write>(w: W, frame: &mut DataFrame, origin: Origin<'_>) -> PolarsResult<()> {
    ParquetWriter::new(w)
        .with_compression(ParquetCompression::Zstd(None))
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(origin.key_values())))
        .finish(frame)?;
    Ok(())
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
    Ok(frame(tables::trials(scenario, e, first_trial, results.end_use(e), losses))?)
}

/// The rows of `stage_losses.parquet` for stage `s` in one batch (`results` holds trials `first_trial ..`).
pub fn stage_losses_frame(
    model: &Model,
    s: usize,
    first_trial: u64,
    results: &RunResults,
) -> anyhow::Result<DataFrame> {
    let lost: Vec<f64> = results.stage_lost(s).collect();
    let wanted: Vec<f64> = results.stage_wanted(s).collect();
    Ok(frame(tables::stage_losses(model, s, first_trial, &lost, &wanted))?)
}

/// The rows of `stockpiles.parquet` for stockpile `k` in one batch (`results` holds trials `first_trial ..`).
pub fn stockpiles_frame(model: &Model, k: usize, first_trial: u64, results: &RunResults) -> anyhow::Result<DataFrame> {
    let min_level: Vec<f64> = results.stockpile_min(k).collect();
    let released: Vec<f64> = results.stockpile_released(k).collect();
    Ok(frame(tables::stockpiles(model, k, first_trial, &min_level, &released))?)
}

/// Writes `bands.parquet`: fan-chart quantiles of the weekly share of requirement met, per end use and period.
pub fn write_bands<W: Write>(w: W, summary: &RunSummary, period_weeks: f64) -> anyhow::Result<()> {
    let df = frame(tables::bands(summary, period_weeks)?)?;
    let mut writer = parquet(w, &bands_schema())?;
    writer.write_batch(&df)?;
    writer.finish()?;
    Ok(())
}

/// Writes `backlog_bands.parquet`: quantiles of the backlog, in weeks of normal demand, per backlogged end use
/// and period (no rows when the scenario has no backlogged end use).
pub fn write_backlog_bands<W: Write>(w: W, summary: &RunSummary, period_weeks: f64) -> anyhow::Result<()> {
    let df = frame(tables::backlog_bands(summary, period_weeks)?)?;
    let mut writer = parquet(w, &backlog_bands_schema())?;
    writer.write_batch(&df)?;
    writer.finish()?;
    Ok(())
}

/// Writes `summary.csv`: one row per end use or stage and metric, with the distribution's statistics in
/// columns (proportions fill `mean`, `ci95_low` and `ci95_high` only).
pub fn write_summary_csv<W: Write>(
    w: W,
    scenario: &Scenario,
    summary: &RunSummary,
    losses: &LossSummaries,
) -> anyhow::Result<()> {
    let mut df = frame(tables::summary_with_losses(scenario, summary, &losses.end_uses, &losses.per_trial))?;
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
