//! The files of a run, written through [`StagedFiles`] (all or nothing): the tables of `chokepoint-tables`
//! (which says which columns each file has) converted to polars DataFrames and written as Parquet or CSV.
//!
//! Per-trial tables are long and can be large (1,000,000 trials x every end use or stage), so they are built and
//! written in bounded batches, one Parquet row group per batch, straight from the engine's arrays: memory stays at
//! one batch whatever the number of trials. `docs/output-schema.md` describes every column.

use std::io::Write;
use std::ops::Range;

use chokepoint_analysis::loss::TrialLosses;
use chokepoint_engine::report::RunSummary;
use chokepoint_engine::{Model, RunResults};
use chokepoint_scenario::Scenario;
use chokepoint_tables::{self as tables, ColumnType, Table, Values};
use polars::prelude::*;

use crate::staged_files::StagedFiles;
use crate::summary_json::to_json_text;

pub const TRIALS_FILE: &str = "trials.parquet";
pub const STAGE_LOSSES_FILE: &str = "stage_losses.parquet";
pub const BANDS_FILE: &str = "bands.parquet";
pub const BACKLOG_BANDS_FILE: &str = "backlog_bands.parquet";
pub const SUMMARY_CSV_FILE: &str = "summary.csv";
pub const SUMMARY_JSON_FILE: &str = "summary.json";
pub const RUN_JSON_FILE: &str = "run.json";

/// Rows per batch (and per Parquet row group) of the per-trial tables.
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
                Values::Text(v) => Column::new(name, v),
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
/// alone says which run made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    pub scenario: String,
    pub scenario_sha256: String,
    pub seed: u64,
    pub trials: u64,
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
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}

/// A batched Parquet writer whose file carries `provenance` in its key-value metadata.
fn parquet_with<W: Write>(
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

pub(crate) fn trial_column(trials: &Range<usize>) -> Column {
    Column::new("trial".into(), trials.clone().map(|t| t as u64).collect::<Vec<u64>>())
}

pub(crate) fn label_column(name: &str, value: &str, len: usize) -> Column {
    StringChunked::full(name.into(), value, len).into_column()
}

/// Writes `trials.parquet`: one row per end use and trial, ordered by end use, then trial. `losses` are the
/// end uses' losses per trial (`[e][trial]`).
pub fn write_trials<W: Write>(
    w: W,
    scenario: &Scenario,
    results: &RunResults,
    losses: &[Vec<f64>],
    provenance: &Provenance,
) -> anyhow::Result<()> {
    let mut writer = parquet_with(w, &trials_schema(), provenance)?;
    for e in 0..scenario.model.spec().end_uses.len() {
        for trials in batches(results.trials) {
            writer.write_batch(&frame(tables::trials_of_run(scenario, results, losses, e, trials))?)?;
        }
    }
    writer.finish()?;
    Ok(())
}

/// Writes `stage_losses.parquet`: one row per stage and trial, ordered by stage, then trial.
pub fn write_stage_losses<W: Write>(
    w: W,
    model: &Model,
    results: &RunResults,
    provenance: &Provenance,
) -> anyhow::Result<()> {
    let mut writer = parquet_with(w, &stage_losses_schema(), provenance)?;
    for s in 0..model.spec().stages.len() {
        for trials in batches(results.trials) {
            writer.write_batch(&frame(tables::stage_losses_of_run(model, results, s, trials))?)?;
        }
    }
    writer.finish()?;
    Ok(())
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
    losses: &TrialLosses,
) -> anyhow::Result<()> {
    let mut df = frame(tables::summary(scenario, summary, &losses.end_uses, &losses.trials))?;
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
