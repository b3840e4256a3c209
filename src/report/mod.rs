//! `report.html`: the outputs of a run as a self-contained page of charts and plain-language summaries.
//!
//! The page is made from the files a run leaves (see [`ReportData::load`]), or from the same values in memory
//! while `run` writes them; both give the same bytes. Charts are drawn with plotters' SVG backend
//! (`charts`, `stage_graph`), words are generated from the numbers (`narrative`), and `html` assembles an
//! XHTML-compatible page with inline CSS and SVG, no script and nothing fetched. `compare` holds the charts and
//! page of a comparison of mitigation options, for the `compare` command to call.

mod charts;
mod compare;
mod graph_json;
mod html;
mod inputs;
mod narrative;
mod optimize;
mod sensitivity;
mod stage_graph;
mod sweep;
mod value_of_information;
mod worlds;

use chokepoint_engine::report::RunSummary;

pub use compare::render_compare_report;
pub use graph_json::GraphDocument;
pub use inputs::{BacklogSeries, BandSeries, GRAPH_JSON_FILE, REPORT_FILE, ReportData, read_curves};
pub use optimize::render_optimize_report;
pub use sensitivity::render_sensitivity_report;
pub use sweep::render_sweep_report;

/// Renders the report of a run.
pub fn render_run_report(data: &ReportData) -> anyhow::Result<String> {
    html::run_report(data)
}

/// The fan-chart bands of `summary`, as `bands.parquet` holds them.
pub fn bands_of(summary: &RunSummary, period_weeks: f64) -> Vec<BandSeries> {
    summary
        .bands
        .iter()
        .map(|b| {
            let column = |k: usize| b.quantiles.iter().map(|q| q[k]).collect::<Vec<f64>>();
            BandSeries {
                end_use: b.end_use.clone(),
                week: (0..b.quantiles.len()).map(|j| (j * b.period_stride) as f64 * period_weeks).collect(),
                p5: column(0),
                p25: column(1),
                p50: column(2),
                p75: column(3),
                p95: column(4),
            }
        })
        .collect()
}

/// The backlog bands of `summary`, as `backlog_bands.parquet` holds them.
pub fn backlog_bands_of(summary: &RunSummary, period_weeks: f64) -> Vec<BacklogSeries> {
    summary
        .backlog_bands
        .iter()
        .map(|b| {
            let column = |k: usize| b.quantiles.iter().map(|q| q[k]).collect::<Vec<f64>>();
            BacklogSeries {
                end_use: b.end_use.clone(),
                week: (0..b.quantiles.len()).map(|t| t as f64 * period_weeks).collect(),
                p_backlog: b.p_backlog.clone(),
                p5: column(0),
                p25: column(1),
                p50: column(2),
                p75: column(3),
                p95: column(4),
                p99: column(5),
            }
        })
        .collect()
}
