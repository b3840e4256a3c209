//! The cross-scenario summary of `chokepoint batch`: one row per scenario and end use with the headline figures
//! of its run, read back from the run's `summary.json` text (so that a scenario run now and one skipped as up to
//! date give the same row), written as `batch_summary.csv` and `batch_summary.parquet` and rendered as a
//! terminal table, Markdown or JSON.

use std::io::Write;

use anyhow::Context;
use polars::prelude::*;
use serde::Serialize;

use crate::documents::summary::SummaryDocument;

pub const BATCH_CSV_FILE: &str = "batch_summary.csv";
pub const BATCH_PARQUET_FILE: &str = "batch_summary.parquet";

/// What `chokepoint batch` prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BatchFormat {
    /// A readable table.
    Table,
    /// The rows as a JSON array.
    Json,
    /// A Markdown table (for README files).
    Markdown,
}

/// Whether a scenario's outputs were made by this batch or kept from an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Ran,
    UpToDate,
}

impl RunStatus {
    pub fn label(self) -> &'static str {
        match self {
            RunStatus::Ran => "ran",
            RunStatus::UpToDate => "skipped (up to date)",
        }
    }
}

/// The headline figures of one end use in one scenario. Missing statistics (no short trial) are `None`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchRow {
    pub scenario: String,
    pub end_use: String,
    pub class: String,
    pub unit: String,
    /// `lost` or `backlog`.
    pub unmet_demand: String,
    pub status: &'static str,
    pub seed: u64,
    pub trials: u64,
    /// SHA-256 of the scenario file's bytes.
    pub sha256: String,
    /// P(short or late): some demand lost or delivered late in some week.
    pub p_short_or_late: Option<f64>,
    pub p_short_or_late_ci95_low: Option<f64>,
    pub p_short_or_late_ci95_high: Option<f64>,
    /// Units not built within the horizon (lost, or still owed at its end).
    pub mean_units_short: Option<f64>,
    pub mean_units_short_ci95_low: Option<f64>,
    pub mean_units_short_ci95_high: Option<f64>,
    pub p95_units_short: Option<f64>,
    pub cvar95_units_short: Option<f64>,
    /// Median week of the first shortfall, over the trials that were short.
    pub median_first_short_week: Option<f64>,
    pub mean_share_met: Option<f64>,
    /// Share of the units demanded that were built in the week they were demanded in (pooled over trials: one minus
    /// mean units short or late over mean units demanded). For backlogged demand this is what lateness costs, where
    /// the share met catches up.
    pub share_on_time: Option<f64>,
    /// Backlogged demand: mean delay of a late unit (pooled), and P95 of the longest delay over the trials with a
    /// late unit, weeks.
    pub mean_delay_weeks: Option<f64>,
    pub p95_max_delay_weeks: Option<f64>,
    /// Mean loss of the end use, in `loss_unit`.
    pub mean_loss: Option<f64>,
    pub loss_unit: String,
}

/// The rows of one run, from the text of its `summary.json`.
pub fn rows_of(summary_json: &str, status: RunStatus) -> anyhow::Result<Vec<BatchRow>> {
    let doc: SummaryDocument = serde_json::from_str(summary_json).context("could not read summary.json")?;
    let finite = |x: f64| x.is_finite().then_some(x);
    Ok(doc
        .end_uses
        .iter()
        .map(|e| BatchRow {
            scenario: doc.scenario.name.clone(),
            end_use: e.name.clone(),
            class: e.class.clone(),
            unit: e.unit.clone(),
            unmet_demand: e.unmet_demand.clone(),
            status: status.label(),
            seed: doc.run.seed,
            trials: doc.run.trials,
            sha256: doc.scenario.sha256.clone(),
            p_short_or_late: finite(e.p_short_or_late.p),
            p_short_or_late_ci95_low: finite(e.p_short_or_late.ci95_low),
            p_short_or_late_ci95_high: finite(e.p_short_or_late.ci95_high),
            mean_units_short: finite(e.units_short.mean),
            mean_units_short_ci95_low: finite(e.units_short.ci95_low),
            mean_units_short_ci95_high: finite(e.units_short.ci95_high),
            p95_units_short: finite(e.units_short.p95),
            cvar95_units_short: finite(e.units_short.cvar95),
            median_first_short_week: e.first_short_week.and_then(|d| finite(d.p50)),
            mean_share_met: finite(e.share_met.mean),
            share_on_time: (e.mean_demand_units > 0.0)
                .then(|| 1.0 - e.units_short_or_late.mean / e.mean_demand_units)
                .and_then(finite),
            mean_delay_weeks: e.delay.as_ref().and_then(|d| d.pooled_mean_delay_weeks),
            p95_max_delay_weeks: e.delay.as_ref().and_then(|d| d.max_delay_weeks_when_late).and_then(|d| finite(d.p95)),
            mean_loss: finite(e.loss.mean),
            loss_unit: doc.loss.unit.clone(),
        })
        .collect())
}

/// The rows as a DataFrame, columns in [`BatchRow`]'s order.
fn frame(rows: &[BatchRow]) -> PolarsResult<DataFrame> {
    let strings = |name: &str, f: &dyn Fn(&BatchRow) -> String| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<String>>())
    };
    let numbers = |name: &str, f: &dyn Fn(&BatchRow) -> Option<f64>| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<Option<f64>>>())
    };
    let columns = vec![
        strings("scenario", &|r| r.scenario.clone()),
        strings("end_use", &|r| r.end_use.clone()),
        strings("class", &|r| r.class.clone()),
        strings("unit", &|r| r.unit.clone()),
        strings("unmet_demand", &|r| r.unmet_demand.clone()),
        strings("status", &|r| r.status.to_owned()),
        Column::new("seed".into(), rows.iter().map(|r| r.seed).collect::<Vec<u64>>()),
        Column::new("trials".into(), rows.iter().map(|r| r.trials).collect::<Vec<u64>>()),
        strings("sha256", &|r| r.sha256.clone()),
        numbers("p_short_or_late", &|r| r.p_short_or_late),
        numbers("p_short_or_late_ci95_low", &|r| r.p_short_or_late_ci95_low),
        numbers("p_short_or_late_ci95_high", &|r| r.p_short_or_late_ci95_high),
        numbers("mean_units_short", &|r| r.mean_units_short),
        numbers("mean_units_short_ci95_low", &|r| r.mean_units_short_ci95_low),
        numbers("mean_units_short_ci95_high", &|r| r.mean_units_short_ci95_high),
        numbers("p95_units_short", &|r| r.p95_units_short),
        numbers("cvar95_units_short", &|r| r.cvar95_units_short),
        numbers("median_first_short_week", &|r| r.median_first_short_week),
        numbers("mean_share_met", &|r| r.mean_share_met),
        numbers("share_on_time", &|r| r.share_on_time),
        numbers("mean_delay_weeks", &|r| r.mean_delay_weeks),
        numbers("p95_max_delay_weeks", &|r| r.p95_max_delay_weeks),
        numbers("mean_loss", &|r| r.mean_loss),
        strings("loss_unit", &|r| r.loss_unit.clone()),
    ];
    DataFrame::new(rows.len(), columns)
}

/// Writes `batch_summary.csv`.
pub fn write_csv<W: Write>(w: W, rows: &[BatchRow]) -> anyhow::Result<()> {
    CsvWriter::new(w).include_header(true).finish(&mut frame(rows)?)?;
    Ok(())
}

/// Writes `batch_summary.parquet` (zstd).
pub fn write_parquet<W: Write>(w: W, rows: &[BatchRow]) -> anyhow::Result<()> {
    ParquetWriter::new(w).with_compression(ParquetCompression::Zstd(None)).finish(&mut frame(rows)?)?;
    Ok(())
}
