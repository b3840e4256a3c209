//! What the report is made from, read back from a run's output folder (or taken from the run in memory).
//!
//! `report.html` must come out byte for byte the same whether `run` writes it or `chokepoint report` rebuilds
//! it, so both paths fill the same [`ReportData`]: the JSON documents are parsed from their text in both, and
//! the bands and per-trial shortfalls are the same `f64`s, whether taken from the engine's results or from the
//! Parquet files written from them.

use std::fs::File;
use std::path::Path;

use anyhow::Context;
use polars::prelude::*;
use serde::{Deserialize, Deserializer};

use super::exceedance::ExceedanceCurve;
use super::graph_json::GraphDocument;
use crate::output::{BANDS_FILE, RUN_JSON_FILE, SUMMARY_JSON_FILE, TRIALS_FILE};

/// Name of the stage-graph file a run writes for the report.
pub const GRAPH_JSON_FILE: &str = "graph.json";
/// Name of the report.
pub const REPORT_FILE: &str = "report.html";

/// Everything `report.html` shows.
#[derive(Debug, Clone)]
pub struct ReportData {
    pub summary: SummaryView,
    /// The scenario's description (from `run.json`).
    pub description: String,
    pub graph: GraphDocument,
    /// Fan-chart bands, one per end use, in `summary.end_uses` order.
    pub bands: Vec<BandSeries>,
    /// Exceedance curves of units short, one per end use, in `summary.end_uses` order.
    pub exceedance: Vec<ExceedanceCurve>,
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

impl ReportData {
    /// Assembles the report's data. `summary_json` and `graph_json` are the texts of the files.
    pub fn new(
        summary_json: &str,
        description: String,
        graph_json: &str,
        bands: Vec<BandSeries>,
        exceedance: Vec<ExceedanceCurve>,
    ) -> anyhow::Result<Self> {
        let summary: SummaryView = serde_json::from_str(summary_json).context("could not read the summary")?;
        let graph: GraphDocument = serde_json::from_str(graph_json).context("could not read the stage graph")?;
        let names: Vec<&str> = summary.end_uses.iter().map(|e| e.name.as_str()).collect();
        let band_names: Vec<&str> = bands.iter().map(|b| b.end_use.as_str()).collect();
        let curve_names: Vec<&str> = exceedance.iter().map(|c| c.end_use.as_str()).collect();
        anyhow::ensure!(band_names == names, "the bands do not match the end uses of the summary");
        anyhow::ensure!(curve_names == names, "the trials do not match the end uses of the summary");
        Ok(Self { summary, description, graph, bands, exceedance })
    }

    /// Reads the outputs of a run from folder `dir`.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).with_context(|| format!("could not read `{}`", path.display()))
        };
        let summary_json = read(SUMMARY_JSON_FILE)?;
        let graph_json = read(GRAPH_JSON_FILE)?;
        let run: RunView = serde_json::from_str(&read(RUN_JSON_FILE)?)
            .with_context(|| format!("could not read `{}`", dir.join(RUN_JSON_FILE).display()))?;
        let bands = read_bands(&dir.join(BANDS_FILE))?;
        let exceedance = read_shortfalls(&dir.join(TRIALS_FILE))?;
        Self::new(&summary_json, run.scenario.description, &graph_json, bands, exceedance)
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

/// Reads the units short of every trial from `trials.parquet`, as one exceedance curve per end use.
fn read_shortfalls(path: &Path) -> anyhow::Result<Vec<ExceedanceCurve>> {
    let df = read_parquet(path, &["end_use", "units_short"])?;
    let labels = runs(df.column("end_use")?.str()?);
    let short = f64_column(&df, "units_short")?;
    Ok(labels.into_iter().map(|(end_use, rows)| ExceedanceCurve::new(end_use, short[rows].to_vec())).collect())
}

/// `null` in the summary (a missing or non-finite number) reads as NaN.
fn nan_if_null<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
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

/// `summary.json`, as the report reads it (owned strings; `null` numbers as NaN).
#[derive(Debug, Clone, Deserialize)]
pub struct SummaryView {
    pub schema_version: u32,
    pub tool: ToolView,
    pub scenario: ScenarioView,
    pub run: RunSettingsView,
    pub end_uses: Vec<EndUseView>,
    pub stages: Vec<StageView>,
    pub stockpiles: Vec<StockpileView>,
    pub warnings: Vec<WarningView>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ToolView {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScenarioView {
    pub name: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RunSettingsView {
    pub seed: u64,
    pub trials: u64,
    pub rng: String,
    pub periods: usize,
    pub period_weeks: f64,
}

impl RunSettingsView {
    /// Length of the horizon in weeks.
    pub fn horizon_weeks(&self) -> f64 {
        self.periods as f64 * self.period_weeks
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Dist {
    pub n: usize,
    #[serde(deserialize_with = "nan_if_null")]
    pub mean: f64,
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
    pub max: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub cvar95: f64,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Prop {
    pub k: usize,
    pub n: usize,
    #[serde(deserialize_with = "nan_if_null")]
    pub p: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci95_low: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci95_high: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EndUseView {
    pub name: String,
    pub class: String,
    pub region: String,
    #[serde(deserialize_with = "nan_if_null")]
    pub mean_demand_units: f64,
    pub units_short: Dist,
    pub share_met: Dist,
    pub p_any_short: Prop,
    pub first_short_week: Option<Dist>,
    pub p_short_at_end: Prop,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StageView {
    pub name: String,
    pub mean_lost_share: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StockpileView {
    pub name: String,
    pub material: String,
    pub unit: String,
    pub min_level: Dist,
    pub released: Dist,
    pub p_ran_dry: Prop,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WarningView {
    pub code: String,
    pub key: String,
    pub message: String,
}
