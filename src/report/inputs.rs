//! What the report is made from, read back from a run's output folder (or taken from the run in memory).
//!
//! `report.html` must come out byte for byte the same whether `run` writes it or `chokepoint report` rebuilds
//! it, so both paths fill the same [`ReportData`]: the JSON documents are parsed from their text in both, and
//! the bands and per-trial shortfalls are the same `f64`s, whether taken from the engine's results or from the
//! Parquet files written from them.

use std::fs::File;
use std::path::Path;

use anyhow::Context;
use chokepoint_analysis::exceedance::{ExceedanceCurve, Measure};
use polars::prelude::*;
use serde::Deserialize;

use super::graph_json::GraphDocument;
use crate::documents::summary::SummaryDocument;
use crate::files::tables::{BACKLOG_BANDS_FILE, BANDS_FILE, RUN_JSON_FILE, SUMMARY_JSON_FILE, TRIALS_FILE};
use crate::files::trials::TrialFileReader;

/// Name of the stage-graph file a run writes for the report.
pub const GRAPH_JSON_FILE: &str = "graph.json";
/// Name of the report.
pub const REPORT_FILE: &str = "report.html";

/// Everything `report.html` shows.
#[derive(Debug, Clone)]
pub struct ReportData {
    pub summary: SummaryDocument,
    /// The scenario's description (from `run.json`).
    pub description: String,
    pub graph: GraphDocument,
    /// Fan-chart bands of the weekly share met, one per end use, in `summary.end_uses` order.
    pub bands: Vec<BandSeries>,
    /// Fan-chart bands of the backlog, one per backlogged end use, in scenario order.
    pub backlog_bands: Vec<BacklogSeries>,
    /// Exceedance curves, one per end use, in `summary.end_uses` order: units short for lost demand, the longest
    /// delay of a unit for backlogged demand.
    pub curves: Vec<ExceedanceCurve>,
}

/// Quantiles of the weekly share of requirement met of one end use (`bands.parquet`).
#[derive(Debug, Clone, PartialEq)]
pub struct BandSeries {
    pub end_use: String,
    /// Start of each period, in weeks.
    pub week: Vec<f64>,
    pub p5: Vec<f64>,
    pub p25: Vec<f64>,
    pub p50: Vec<f64>,
    pub p75: Vec<f64>,
    pub p95: Vec<f64>,
}

/// Quantiles of the weekly backlog of one backlogged end use, in weeks of normal demand
/// (`backlog_bands.parquet`).
#[derive(Debug, Clone, PartialEq)]
pub struct BacklogSeries {
    pub end_use: String,
    pub week: Vec<f64>,
    /// Share of trials with a backlog.
    pub p_backlog: Vec<f64>,
    pub p5: Vec<f64>,
    pub p25: Vec<f64>,
    pub p50: Vec<f64>,
    pub p75: Vec<f64>,
    pub p95: Vec<f64>,
    pub p99: Vec<f64>,
}

impl ReportData {
    /// Assembles the report's data. `summary_json` and `graph_json` are the texts of the files.
    pub fn new(
        summary_json: &str,
        description: String,
        graph_json: &str,
        bands: Vec<BandSeries>,
        backlog_bands: Vec<BacklogSeries>,
        curves: Vec<ExceedanceCurve>,
    ) -> anyhow::Result<Self> {
        let summary: SummaryDocument = serde_json::from_str(summary_json).context("could not read the summary")?;
        let graph: GraphDocument = serde_json::from_str(graph_json).context("could not read the stage graph")?;
        let names: Vec<&str> = summary.end_uses.iter().map(|e| e.name.as_str()).collect();
        let backlogged: Vec<&str> =
            summary.end_uses.iter().filter(|e| e.delay.is_some()).map(|e| e.name.as_str()).collect();
        let band_names: Vec<&str> = bands.iter().map(|b| b.end_use.as_str()).collect();
        let backlog_names: Vec<&str> = backlog_bands.iter().map(|b| b.end_use.as_str()).collect();
        let curve_names: Vec<&str> = curves.iter().map(|c| c.end_use.as_str()).collect();
        anyhow::ensure!(band_names == names, "the bands do not match the end uses of the summary");
        anyhow::ensure!(backlog_names == backlogged, "the backlog bands do not match the backlogged end uses");
        anyhow::ensure!(curve_names == names, "the trials do not match the end uses of the summary");
        Ok(Self { summary, description, graph, bands, backlog_bands, curves })
    }

    /// Reads the outputs of a run from folder `dir`.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).with_context(|| format!("could not read `{}`", path.display()))
        };
        // The record first: a run writes it last, so a folder without it holds no complete run (`files/staged.rs`).
        let record = read(RUN_JSON_FILE).with_context(|| {
            format!("`{}` holds no complete run: `{RUN_JSON_FILE}`, which a run writes last, is missing", dir.display())
        })?;
        let run: RunView = serde_json::from_str(&record)
            .with_context(|| format!("could not read `{}`", dir.join(RUN_JSON_FILE).display()))?;
        let summary_json = read(SUMMARY_JSON_FILE)?;
        let graph_json = read(GRAPH_JSON_FILE)?;
        let bands = read_bands(&dir.join(BANDS_FILE))?;
        let backlog_bands = read_backlog_bands(&dir.join(BACKLOG_BANDS_FILE))?;
        let summary: SummaryDocument = serde_json::from_str(&summary_json)
            .with_context(|| format!("could not read `{}`", dir.join(SUMMARY_JSON_FILE).display()))?;
        let end_uses: Vec<(&str, bool)> =
            summary.end_uses.iter().map(|e| (e.name.as_str(), e.delay.is_some())).collect();
        let curves = read_curves(&dir.join(TRIALS_FILE), &end_uses)?;
        Self::new(&summary_json, run.scenario.description, &graph_json, bands, backlog_bands, curves)
            .with_context(|| format!("the outputs in `{}` do not belong together", dir.display()))
    }
}

fn read_parquet(path: &Path, columns: &[&str]) -> anyhow::Result<DataFrame> {
    let file = File::open(path).with_context(|| format!("could not read `{}`", path.display()))?;
    ParquetReader::new(file)
        .with_columns(Some(columns.iter().map(|c| (*c).to_owned()).collect()))
        .finish()
        .map_err(anyhow::Error::from)
        .with_context(|| format!("could not read `{}`", path.display()))
}

/// Splits a column of labels into runs of equal labels: `(label, rows)`, in order.
fn runs(labels: &StringChunked) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out: Vec<(String, std::ops::Range<usize>)> = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        let label = label.unwrap_or_default();
        match out.last_mut() {
            Some((last, rows)) if last == label => rows.end = i + 1,
            _ => out.push((label.to_owned(), i..i + 1)),
        }
    }
    out
}

fn f64_column(df: &DataFrame, name: &str) -> anyhow::Result<Vec<f64>> {
    let column = df.column(name)?.f64()?;
    Ok(column.iter().map(|x| x.unwrap_or(f64::NAN)).collect())
}

/// Reads `bands.parquet`.
fn read_bands(path: &Path) -> anyhow::Result<Vec<BandSeries>> {
    let df = read_parquet(path, &["end_use", "week", "p5", "p25", "p50", "p75", "p95"])?;
    let labels = runs(df.column("end_use")?.str()?);
    let [week, p5, p25, p50, p75, p95] = ["week", "p5", "p25", "p50", "p75", "p95"].map(|name| f64_column(&df, name));
    let (week, p5, p25, p50, p75, p95) = (week?, p5?, p25?, p50?, p75?, p95?);
    Ok(labels
        .into_iter()
        .map(|(end_use, rows)| BandSeries {
            end_use,
            week: week[rows.clone()].to_vec(),
            p5: p5[rows.clone()].to_vec(),
            p25: p25[rows.clone()].to_vec(),
            p50: p50[rows.clone()].to_vec(),
            p75: p75[rows.clone()].to_vec(),
            p95: p95[rows].to_vec(),
        })
        .collect())
}

/// Reads `backlog_bands.parquet`.
fn read_backlog_bands(path: &Path) -> anyhow::Result<Vec<BacklogSeries>> {
    let names = ["week", "p_backlog", "p5", "p25", "p50", "p75", "p95", "p99"];
    let mut columns = vec!["end_use"];
    columns.extend(names);
    let df = read_parquet(path, &columns)?;
    let labels = runs(df.column("end_use")?.str()?);
    let values = names.iter().map(|name| f64_column(&df, name)).collect::<anyhow::Result<Vec<_>>>()?;
    Ok(labels
        .into_iter()
        .map(|(end_use, rows)| {
            let take = |k: usize| values[k][rows.clone()].to_vec();
            BacklogSeries {
                end_use,
                week: take(0),
                p_backlog: take(1),
                p5: take(2),
                p25: take(3),
                p50: take(4),
                p75: take(5),
                p95: take(6),
                p99: take(7),
            }
        })
        .collect())
}

/// Reads every trial's units short (lost demand) or longest delay (backlogged demand) from `trials.parquet`, as
/// one exceedance curve per end use of `end_uses` (name, and whether its demand is backlogged, in scenario order),
/// one end use's column at a time.
pub fn read_curves(path: &Path, end_uses: &[(&str, bool)]) -> anyhow::Result<Vec<ExceedanceCurve>> {
    let trials = TrialFileReader::open(path, end_uses.len())?;
    end_uses
        .iter()
        .enumerate()
        .map(|(e, &(name, backlogged))| {
            Ok(if backlogged {
                ExceedanceCurve::new(
                    name.to_owned(),
                    Measure::MaxDelayWeeks,
                    trials.entity_f64s(e, "max_delay_weeks", 0.0)?,
                )
            } else {
                ExceedanceCurve::new(
                    name.to_owned(),
                    Measure::UnitsShort,
                    trials.entity_f64s(e, "units_short", f64::NAN)?,
                )
            })
        })
        .collect()
}

/// The part of `run.json` the report shows. Deliberately not the timings or the thread count: they vary from
/// run to run, and the report, like every output but `run.json`, is determined by the scenario, seed and trials.
#[derive(Debug, Deserialize)]
struct RunView {
    scenario: RunScenarioView,
}

#[derive(Debug, Deserialize)]
struct RunScenarioView {
    description: String,
}
